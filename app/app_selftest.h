/*
 * app_selftest.h - the example application's power-on self-test.
 */
#ifndef APP_SELFTEST_H
#define APP_SELFTEST_H

/* Run the self-test of the image in slot (0/1) with clock source clk
 * (enum fw_clock_src): RAM patterns, the image header and SHA-256 of the
 * running image against its header, the CRC unit against the software
 * CRC, and SysTick counting. Prints one line per check on USART1. Returns
 * 0 if everything that can be checked passed, else a negative FOTA_ERR_*. */
int app_selftest_run(int slot, int clk);

#endif /* APP_SELFTEST_H */
