/*
 * fw_iwdg.h - the trial watchdog's period from an image's confirm window.
 * Plain arithmetic (no registers), so the host tests check it for every
 * window.
 *
 * The IWDG counts down from its 12-bit reload value at LSI / (4 << PR) and
 * resets the chip when it reaches 0: a timeout of (RLR + 1) * (4 << PR)
 * LSI periods (RM0090 21.3.3 and table 118). The LSI runs at 17..47 kHz
 * (DS8626 table 23), so the period is computed for the fastest LSI: even
 * then the watchdog fires no earlier than the window. At the nominal
 * 32 kHz it fires about 1.5 times the window after the start.
 */
#ifndef FW_IWDG_H
#define FW_IWDG_H

#include <stdint.h>

#define FW_LSI_MAX_HZ 47000u
#define FW_IWDG_RLR_MAX 0xFFFu
#define FW_IWDG_PR_MAX 6u /* /256 */

/* Prescaler code (0..6: /4../256) and reload value for a watchdog that
 * fires no earlier than window_ms at FW_LSI_MAX_HZ: the smallest prescaler
 * whose reload fits 12 bits. Windows beyond what /256 can hold (22.3 s)
 * get the longest period; the image check refuses them before this. */
static inline void fw_iwdg_for_window(uint32_t window_ms, uint32_t *pr,
                                      uint32_t *rlr)
{
    /* LSI ticks in the window at the fastest LSI (47 per ms exactly); a
     * window far beyond the maximum saturates instead of wrapping. 32-bit
     * arithmetic only: no division helper from libgcc. */
    uint32_t ticks = window_ms > 0x0FFFFFFFu
                         ? 0xFFFFFFFFu
                         : window_ms * (FW_LSI_MAX_HZ / 1000u);

    for (uint32_t p = 0; p <= FW_IWDG_PR_MAX; p++) {
        uint32_t r = (ticks >> (p + 2u)) + ((ticks & ((4u << p) - 1u)) != 0);

        if (r < 1u)
            r = 1u;
        if (r <= FW_IWDG_RLR_MAX) {
            *pr = p;
            *rlr = r;
            return;
        }
    }
    *pr = FW_IWDG_PR_MAX;
    *rlr = FW_IWDG_RLR_MAX;
}

#endif /* FW_IWDG_H */
