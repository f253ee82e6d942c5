/*
 * app_main.c - the example application: shows its slot on the Discovery
 * LEDs, prints its banner, runs a self-test, confirms itself through the
 * bootloader's API table and can ask for update mode.
 *
 * Build definitions: FW_APP_SLOT (0 = A, 1 = B, also picks the linker
 * script), FW_APP_VERSION ("1.2.3"), FW_APP_CONFIRM (0 for the variant that
 * never confirms and resets itself so its trial attempts run out),
 * FW_APP_CONFIRM_DELAY_MS (0: confirm right after the self-test and keep
 * running; otherwise confirm that long after boot with fota_app_confirm(),
 * which resets into the confirmed boot), FW_APP_SEMIHOST_EXIT (1: leave
 * QEMU through semihosting after the self-test, for emulator runs only).
 *
 * The application library (lib/fota_app) answers the update agent on SPI1
 * while the application runs, polled from the main loop.
 *
 * The log is queued (app_log.h) and goes out underneath the work: the
 * self-test does not wait for the UART. Before the confirm only the banner
 * and the self-test's verdict are queued, and sent (the confirm may block
 * for a journal compaction); whether this boot is a trial and what the
 * self-test measured follow the confirm's line.
 */
#include <stdbool.h>
#include <stdint.h>

#include "app_log.h"
#include "app_selftest.h"
#include "fota_app.h"
#include "fw_hw.h"
#include "regs/gpio.h"
#include "regs/iwdg.h"
#include "regs/rcc.h"

#ifndef FW_APP_SLOT
#error "FW_APP_SLOT must be 0 or 1"
#endif
#ifndef FW_APP_VERSION
#define FW_APP_VERSION "0.0.0"
#endif
#ifndef FW_APP_CONFIRM
#define FW_APP_CONFIRM 1
#endif
#ifndef FW_APP_CONFIRM_DELAY_MS
#define FW_APP_CONFIRM_DELAY_MS 0
#endif
#ifndef FW_APP_SEMIHOST_EXIT
#define FW_APP_SEMIHOST_EXIT 0
#endif

/* Discovery LEDs on port D. */
#define LED_GREEN 12
#define LED_ORANGE 13
#define LED_RED 14
#define LED_BLUE 15

/* The slot colour: green for A, orange for B. */
#define LED_SLOT (FW_APP_SLOT == 0 ? LED_GREEN : LED_ORANGE)

/* The never-confirming variant resets itself after this long, well inside
 * the bootloader's trial watchdog, so every attempt ends in a reset. */
#define APP_NOCONFIRM_RESET_MS 2000u

static void app_leds_init(void)
{
    RCC_AHB1ENR |= RCC_AHB1ENR_GPIODEN;
    (void)RCC_AHB1ENR;
    uint32_t mask = 0, mode = 0;
    for (unsigned n = LED_GREEN; n <= LED_BLUE; n++) {
        mask |= GPIO_MODE_MASK(n);
        mode |= GPIO_MODE(n, GPIO_MODE_OUTPUT);
    }
    GPIO_MODER(GPIOD) = (GPIO_MODER(GPIOD) & ~mask) | mode;
    GPIO_BSRR(GPIOD) = GPIO_BSRR_RESET(LED_GREEN) |
                       GPIO_BSRR_RESET(LED_ORANGE) | GPIO_BSRR_RESET(LED_RED) |
                       GPIO_BSRR_RESET(LED_BLUE);
}

static void app_led(unsigned pin, bool on)
{
    GPIO_BSRR(GPIOD) = on ? GPIO_BSRR_SET(pin) : GPIO_BSRR_RESET(pin);
}

static void app_before_reset(void)
{
    app_log_drain();
}

/* What the self-test measured, after the confirm's line. */
static void app_report(bool trial, int clk, const app_selftest_info_t *info)
{
    if (trial)
        app_log_puts("app: trial boot\n");
    if (info->by_crc_unit) {
        app_log_puts("app: image crc ");
        app_log_hex(info->image_crc);
        app_log_puts(" (crc unit = journal)\n");
    } else {
        app_log_puts("app: image sha256 checked\n");
    }
    app_log_puts(clk == FW_CLOCK_PLL_HSE ? "app: clock pll 168 MHz\n"
                                         : "app: clock hsi 16 MHz\n");
}

#if FW_APP_SEMIHOST_EXIT
/* Semihosting SYS_EXIT (0x18) with ADP_Stopped_ApplicationExit: only for
 * emulators started with semihosting enabled (a real core without a
 * debugger would fault on the BKPT). */
__attribute__((noreturn)) static void app_semihost_exit(int status)
{
    uint32_t args[2] = {0x20026u, (uint32_t)status};
    register uint32_t r0 __asm__("r0") = 0x18u;
    register uint32_t *r1 __asm__("r1") = args;
    __asm__ volatile("bkpt 0xab" : : "r"(r0), "r"(r1) : "memory");
    for (;;) {
    }
}
#endif

int main(void)
{
    int clk = fw_clock_detect();
    fw_uart_init();
    fw_systick_start();
    app_leds_init();
    app_led(LED_SLOT, true);

    app_log_puts("fota-app " FW_APP_VERSION " slot ");
    app_log_puts(FW_APP_SLOT == 0 ? "A" : "B");
    app_log_puts(FW_APP_CONFIRM ? "\n" : " (noconfirm)\n");

    fota_app_set_before_reset(app_before_reset);
    if (fota_app_init(FOTA_APP_POLLED) != 0)
        app_log_puts("app: fota_app_init failed\n");
    bool trial = fota_app_on_trial();

    app_selftest_info_t info;
    int st = app_selftest_run(FW_APP_SLOT, &info);
    app_log_puts(st == 0 ? "app: self-test pass\n" : "app: self-test FAIL\n");

    bool confirmed = false;
#if FW_APP_CONFIRM && FW_APP_CONFIRM_DELAY_MS == 0
    if (st == 0) {
        /* The confirm runs in the bootloader with interrupts masked and
         * may compact the journal (a sector erase, up to seconds): the
         * queued lines go out first rather than stop half-way. */
        app_log_drain();
        int rc = fota_app_confirm_keep_running();
        app_log_puts("app: confirm ");
        if (rc == 0) {
            app_log_puts("ok\n");
            confirmed = true;
        } else {
            /* The FOTA_ERR_* code, negated, in hex. */
            app_log_puts("failed 0x");
            app_log_hex((uint32_t)-rc);
            app_log_puts("\n");
        }
    }
#elif !FW_APP_CONFIRM
    app_log_puts("app: not confirming\n");
#endif
    app_report(trial, clk, &info);

#if FW_APP_SEMIHOST_EXIT
    app_log_drain();
    app_semihost_exit(st == 0 ? 0 : 1);
#endif

    /* Blink: the slot LED at 1 Hz, a blue heartbeat flash every second,
     * red steady when not confirmed. A byte on USART1 asks for update
     * mode. */
    app_led(LED_RED, !confirmed);
    uint32_t start = fw_ms();
    bool late_pending =
        FW_APP_CONFIRM && FW_APP_CONFIRM_DELAY_MS != 0 && st == 0;
    for (;;) {
        IWDG_KR =
            IWDG_KR_RESET; /* harmless if the bootloader did not start it */
        fota_app_poll();
        app_log_pump();
        uint32_t t = fw_ms() - start;
        if (late_pending && fw_ms() + 1u > (uint32_t)FW_APP_CONFIRM_DELAY_MS) {
            late_pending = false;
            if (fota_app_on_trial())
                app_log_puts("app: confirm and reset\n");
            app_log_drain();             /* as above */
            int rc = fota_app_confirm(); /* resets on a trial boot */
            app_log_puts(rc == 0 ? "app: confirm ok\n"
                                 : "app: confirm failed\n");
            confirmed = rc == 0;
            app_led(LED_RED, !confirmed);
        }
        app_led(LED_SLOT, (t % 1000u) < 500u);
        app_led(LED_BLUE, (t % 1000u) < 60u);
        if (fw_uart_getc() >= 0) {
            app_log_puts("app: update mode requested\n");
            fota_app_request_update_mode();
        }
        if (!FW_APP_CONFIRM && t >= APP_NOCONFIRM_RESET_MS) {
            app_log_puts("app: resetting unconfirmed\n");
            app_log_drain();
            fw_system_reset();
        }
    }
}
