/* Start-up of a virtual-board test firmware: the two-word vector table,
 * the mailbox (fw_mbox.h) and the reset handler that copies .data (with
 * the RAM-resident code), clears .bss, runs main() and stops with BKPT
 * #0xEE if it returns. Include once, in the firmware's main source. */
#ifndef FW_START_H
#define FW_START_H
#include "fw_regs.h"

extern uint32_t _sdata, _edata, _ldata, _sbss, _ebss, _estack;
void fw_reset(void);
int main(void);

__attribute__((section(".isr"), used)) static const void *const s_vectors[2] = {
    &_estack, (const void *)fw_reset};

__attribute__((section(".mbox"))) static volatile uint32_t s_mb[256];

void fw_reset(void)
{
    uint32_t *s = &_ldata, *d = &_sdata;

    while (d < &_edata)
        *d++ = *s++;
    for (d = &_sbss; d < &_ebss; d++)
        *d = 0;
    main();
    FW_HALT(0xEE);
    for (;;) {
    }
}
#endif
