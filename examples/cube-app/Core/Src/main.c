/*
 * main.c - a small CubeIDE-style application made FOTA-ready with the
 * fota-f407 kit (docs/application.md): 168 MHz, a 1 kHz SysTick tick with
 * HAL_Delay-style delays, logging on USART2 (PA2, 115200 8N1), a 100 KiB
 * buffer that must survive the bootloader's confirm(), the stack in CCM
 * (the kit's linker template), and the confirm 5 s after boot, once its
 * "peripherals" are up. SPI1 belongs to the library (interrupt-driven:
 * SPI1_IRQHandler in stm32f4xx_it.c).
 *
 * UART lines the tests look for: "cube-app <version> slot <A|B>",
 * "cube: buffer ok|BAD", "cube: confirm ok", "cube: trial boot".
 */
#include <stdbool.h>
#include <stdint.h>

#include "fota_app.h"
#include "main.h"
#include "stm32f4_regs.h"

#ifndef CUBE_APP_VERSION
#define CUBE_APP_VERSION "0.0.0"
#endif
#ifndef CUBE_APP_CONFIRM
#define CUBE_APP_CONFIRM 1
#endif

#define CONFIRM_AFTER_MS 5000u
#define BUFFER_WORDS (100u * 1024u / 4u)

/* An RTOS heap stand-in: 100 KiB of SRAM in .bss. */
static uint32_t s_buffer[BUFFER_WORDS];

uint32_t HAL_GetTick(void)
{
    return uwTick;
}

void HAL_Delay(uint32_t ms)
{
    uint32_t start = HAL_GetTick();

    /* HAL adds one tick so the delay is at least ms. */
    /* Sleep until the next interrupt (the 1 kHz tick, or SPI1 when the
     * agent talks) instead of spinning: the SPI1 responder runs from its
     * interrupt, and fota_app_poll() only watches CS here. */
    while (HAL_GetTick() - start < ms + 1u) {
        fota_app_poll();
        __asm__ volatile("wfi");
    }
}

static void usart2_init(void)
{
    RCC_AHB1ENR |= 1u << 0;  /* GPIOA */
    RCC_APB1ENR |= 1u << 17; /* USART2 */
    (void)RCC_APB1ENR;
    GPIOA_AFRL = (GPIOA_AFRL & ~(0xFu << 8)) | (7u << 8); /* PA2 AF7 */
    GPIOA_MODER = (GPIOA_MODER & ~(3u << 4)) | (2u << 4);
    /* 42 MHz / 115200 = 22.79: mantissa 22, fraction 13 (RM0090 30.3.4). */
    USART2_BRR = (22u << 4) | 13u;
    USART2_CR1 = (1u << 13) | (1u << 3); /* UE, TE */
}

void log_puts(const char *s)
{
    for (; *s; s++) {
        while (!(USART2_SR & USART_SR_TXE)) {
        }
        USART2_DR = (uint8_t)*s;
    }
}

static void log_flush(void)
{
    while (!(USART2_SR & USART_SR_TC)) {
    }
}

static void log_hex(uint32_t v)
{
    char b[11] = "0x";

    for (int i = 0; i < 8; i++)
        b[2 + i] = "0123456789abcdef"[(v >> (28 - 4 * i)) & 0xFu];
    b[10] = '\0';
    log_puts(b);
}

static uint32_t pattern(uint32_t i)
{
    return (i * 2654435761u) ^ 0xA5C3u;
}

static void buffer_fill(void)
{
    for (uint32_t i = 0; i < BUFFER_WORDS; i++)
        s_buffer[i] = pattern(i);
}

/* Returns the number of words that differ from the pattern. */
static uint32_t buffer_check(void)
{
    uint32_t bad = 0;

    for (uint32_t i = 0; i < BUFFER_WORDS; i++)
        if (s_buffer[i] != pattern(i))
            bad++;
    return bad;
}

static void systick_init(void)
{
    SYST_RVR = SystemCoreClock / 1000u - 1u;
    SYST_CVR = 0;
    SYST_CSR = 7u; /* processor clock, interrupt, enable */
}

int main(void)
{
    SystemClock_Config();
    systick_init();
    usart2_init();
    fota_app_set_before_reset(log_flush);
    if (fota_app_init(FOTA_APP_IRQ) != 0)
        log_puts("cube: not running from a slot\n");
    log_puts("cube-app " CUBE_APP_VERSION " slot ");
    log_puts(fota_app_slot() == 1 ? "B" : "A");
    log_puts(CUBE_APP_CONFIRM ? "\n" : " (noconfirm)\n");
    if (fota_app_on_trial())
        log_puts("cube: trial boot\n");

    buffer_fill();
    bool confirm_due = CUBE_APP_CONFIRM != 0;
    uint32_t last = HAL_GetTick();
    for (;;) {
        /* The trial's watchdog is not fed: a build that does not confirm
         * is reset by it when its window ends. */
        if (confirm_due && HAL_GetTick() >= CONFIRM_AFTER_MS) {
            confirm_due = false;
            uint32_t before = buffer_check();
            /* On a trial boot this resets into the confirmed boot; on a
             * confirmed boot it confirms again and returns. */
            int rc = fota_app_confirm();
            uint32_t after = buffer_check();
            log_puts(rc == 0 ? "cube: confirm ok\n" : "cube: confirm failed\n");
            log_puts(before == 0 && after == 0 ? "cube: buffer ok\n"
                                               : "cube: buffer BAD ");
            if (before || after) {
                log_hex(after);
                log_puts("\n");
            }
        }
        if (HAL_GetTick() - last >= 1000u) {
            last = HAL_GetTick();
            GPIOD_BSRR = 1u << 12;
        }
        HAL_Delay(10);
    }
}
