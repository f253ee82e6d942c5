/*
 * fw_trialapp.c - a slot-A application for the bootloader tests on the
 * virtual board. Its stack, data and report live in CCM, so all of SRAM
 * below the no-init window can hold a pattern the bootloader's confirm()
 * must not touch. What it does is set by its parameter block
 * (fw_trialapp.h): when to confirm, whether to fill SRAM, whether to feed
 * the IWDG.
 */
#include "fw_regs.h"
#include "fw_trialapp.h"

#define API_CONFIRM_PTR 0x0800020Cu /* API table + BOOT_API_OFF_CONFIRM */
#define SRAM_START 0x20000000u
#define SRAM_APP_END 0x2001FFF0u /* FOTA_NOINIT_ADDR */

extern uint32_t _estack;
void ta_reset(void);

__attribute__((section(".vectors"),
               used)) static const void *const s_vectors[2] = {
    &_estack, (const void *)ta_reset};

/* Patched by the test; volatile so the compiler reads the flash words. */
__attribute__((section(".params"),
               used)) static const volatile uint32_t s_param[TA_P_WORDS] = {
    TA_PARAM_MAGIC, 0, 0, 0};

#define REPORT ((volatile uint32_t *)TA_REPORT_ADDR)

/* Time by the DWT cycle counter at the clock the bootloader left (the PLL
 * at 168 MHz, or the HSI at 16 MHz). Between two looks the core sleeps in
 * WFI: with no interrupt enabled only a reset ends the sleep on a chip, and
 * on the virtual board time runs on to the end of the host's run slice, so
 * a test can run a minute of board time in a few thousand passes. */
#define DEMCR REG(0xE000EDFC)

static uint32_t s_ms, s_acc, s_last, s_cyc_per_ms;

static void ta_time_start(void)
{
    uint32_t hz = ((RCC_CFGR >> 2) & 3u) == 2u ? 168000000u : 16000000u;

    s_cyc_per_ms = hz / 1000u;
    DEMCR |= 1u << 24; /* TRCENA */
    DWT_CTRL |= 1u;    /* CYCCNTENA */
    s_last = DWT_CYCCNT;
    s_acc = 0;
    s_ms = 0;
}

static void ta_time_poll(void)
{
    uint32_t now = DWT_CYCCNT;

    s_acc += now - s_last;
    s_last = now;
    while (s_acc >= s_cyc_per_ms) {
        s_acc -= s_cyc_per_ms;
        s_ms++;
    }
}

static void ta_fill(void)
{
    for (uint32_t a = SRAM_START; a < SRAM_APP_END; a += 4)
        REG(a) = TA_PATTERN(a);
}

static void ta_check(void)
{
    uint32_t bad = 0, first = 0;

    for (uint32_t a = SRAM_START; a < SRAM_APP_END; a += 4)
        if (REG(a) != TA_PATTERN(a)) {
            if (bad++ == 0)
                first = a;
        }
    REPORT[TA_R_RAM_BAD] = bad;
    REPORT[TA_R_RAM_FIRST] = first;
}

__attribute__((noreturn)) void ta_reset(void)
{
    uint32_t confirm_ms = s_param[TA_P_CONFIRM_MS];
    int done = 0;

    if (REPORT[TA_R_MAGIC] != TA_REPORT_MAGIC) {
        for (int i = 0; i < TA_R_WORDS; i++)
            REPORT[i] = 0;
        REPORT[TA_R_MAGIC] = TA_REPORT_MAGIC;
    }
    REPORT[TA_R_STARTS]++;
    REPORT[TA_R_CONFIRM_RC] = 0xFFFFFFFFu;
    REPORT[TA_R_ALIVE_MS] = 0;
    ta_time_start();
    for (;;) {
        ta_time_poll();
        REPORT[TA_R_ALIVE_MS] = s_ms;
        if (s_param[TA_P_FEED_IWDG])
            IWDG_KR = 0xAAAAu;
        if (!done && confirm_ms != 0 && s_ms >= confirm_ms) {
            int (*confirm)(int) = (int (*)(int))REG(API_CONFIRM_PTR);

            done = 1;
            if (s_param[TA_P_FILL_RAM])
                ta_fill();
            REPORT[TA_R_CONFIRM_RC] = (uint32_t)confirm(0);
            REPORT[TA_R_CONFIRM_MS] = s_ms;
            if (s_param[TA_P_FILL_RAM])
                ta_check();
        }
        __asm volatile("wfi");
    }
}
