/*
 * app_selftest.h - the example application's power-on self-test.
 */
#ifndef APP_SELFTEST_H
#define APP_SELFTEST_H

#include <stdbool.h>
#include <stdint.h>

/* What the self-test found, for the lines printed after the confirm. */
typedef struct app_selftest_info {
    bool by_crc_unit;   /* the image was checked by the CRC unit against
                           the journal's CRC (else by SHA-256) */
    uint32_t image_crc; /* the CRC unit's result over header and body */
} app_selftest_info_t;

/* Run the self-test of the image in slot (0/1): RAM patterns; the image
 * header (it describes this slot); the image itself, by the CRC unit over
 * header and body against the CRC the journal recorded when the
 * bootloader verified it (the unit checked first against the software
 * CRC over the header), or, without a journal CRC or a CRC unit (QEMU),
 * by its SHA-256 against the header; SysTick counting. Queues a line only
 * for a check that fails (app_log.h). Returns 0 if everything that can be
 * checked passed, else a negative FOTA_ERR_*; info is filled either way. */
int app_selftest_run(int slot, app_selftest_info_t *info);

#endif /* APP_SELFTEST_H */
