/*
 * app_log.c - see app_log.h. USART1 TXE / TC: RM0090 30.6.1.
 */
#include "app_log.h"

#include <stdbool.h>

#include "fw_hw.h"
#include "regs/usart.h"

#define APP_LOG_SIZE 256u /* a power of two: the indices wrap freely */

static char s_q[APP_LOG_SIZE];
static uint32_t s_head; /* next free position */
static uint32_t s_tail; /* next character to send */

void app_log_pump(void)
{
    if (s_tail != s_head && (USART_SR(USART1) & USART_SR_TXE)) {
        USART_DR(USART1) = (uint8_t)s_q[s_tail % APP_LOG_SIZE];
        s_tail++;
    }
}

static void app_log_putc(char c)
{
    /* Full: send the oldest character the waiting way (fw_uart_putc
     * waits, bounded, for TXE) rather than drop one. */
    if (s_head - s_tail >= APP_LOG_SIZE) {
        fw_uart_putc((uint8_t)s_q[s_tail % APP_LOG_SIZE]);
        s_tail++;
    }
    s_q[s_head % APP_LOG_SIZE] = c;
    s_head++;
}

void app_log_puts(const char *s)
{
    while (*s) {
        if (*s == '\n')
            app_log_putc('\r');
        app_log_putc(*s++);
    }
    app_log_pump();
}

void app_log_hex(uint32_t v)
{
    static const char hex[] = "0123456789abcdef";

    for (int i = 28; i >= 0; i -= 4)
        app_log_putc(hex[(v >> i) & 0xFu]);
    app_log_pump();
}

void app_log_drain(void)
{
    while (s_tail != s_head) {
        fw_uart_putc((uint8_t)s_q[s_tail % APP_LOG_SIZE]);
        s_tail++;
    }
    fw_uart_flush();
}
