/*
 * test_boot_iwdg.c - the trial watchdog's period (fw_iwdg.h) for every
 * confirm window the image check allows: never earlier than the window at
 * the fastest LSI (47 kHz), a reload that fits 12 bits, and the smallest
 * prescaler that holds it (the finest resolution).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fota/fota_image.h"
#include "fw_iwdg.h"

/* The IWDG's timeout in microseconds at lsi_hz: (RLR + 1) * (4 << PR)
 * LSI periods (RM0090 21.3.3). */
static uint64_t timeout_us(uint32_t pr, uint32_t rlr, uint32_t lsi_hz)
{
    return ((uint64_t)rlr + 1u) * (4u << pr) * 1000000u / lsi_hz;
}

static void every_window_is_honoured(void **state)
{
    (void)state;
    for (uint32_t w = 1; w <= FOTA_CONFIRM_WINDOW_MAX_MS; w++) {
        uint32_t pr = 99, rlr = 0;

        fw_iwdg_for_window(w, &pr, &rlr);
        assert_true(pr <= FW_IWDG_PR_MAX);
        assert_true(rlr >= 1 && rlr <= FW_IWDG_RLR_MAX);
        assert_true(timeout_us(pr, rlr, FW_LSI_MAX_HZ) >= (uint64_t)w * 1000u);
        /* A smaller prescaler could not have held the window. */
        if (pr > 0) {
            uint64_t ticks = ((uint64_t)w * FW_LSI_MAX_HZ + 999u) / 1000u;
            assert_true((ticks + (2u << pr) - 1u) / (2u << pr) >
                        FW_IWDG_RLR_MAX);
        }
        /* Not wastefully long either: within one count (plus rounding) of
         * the window at 47 kHz. */
        assert_true(timeout_us(pr, rlr, FW_LSI_MAX_HZ) <=
                    (uint64_t)w * 1000u +
                        2u * (4u << pr) * 1000000u / FW_LSI_MAX_HZ + 1u);
    }
}

static void known_values(void **state)
{
    uint32_t pr, rlr;

    (void)state;
    /* The default window, 8 s: 376000 ticks, /128 -> 2938. */
    fw_iwdg_for_window(FOTA_CONFIRM_WINDOW_DEFAULT_MS, &pr, &rlr);
    assert_int_equal(pr, 5);
    assert_int_equal(rlr, 2938);
    /* The maximum, 20 s: /256 -> 3672, 20.0 s at 47 kHz, 29.4 s at 32 kHz. */
    fw_iwdg_for_window(FOTA_CONFIRM_WINDOW_MAX_MS, &pr, &rlr);
    assert_int_equal(pr, 6);
    assert_int_equal(rlr, 3672);
    assert_true(timeout_us(pr, rlr, 32000) > 29000000u);
    /* Beyond what the IWDG holds: the longest period. */
    fw_iwdg_for_window(60000, &pr, &rlr);
    assert_int_equal(pr, FW_IWDG_PR_MAX);
    assert_int_equal(rlr, FW_IWDG_RLR_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_window_is_honoured),
        cmocka_unit_test(known_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
