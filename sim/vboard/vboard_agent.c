/*
 * vboard_agent.c - agent ports on the virtual board (see vboard_agent.h).
 */
#include "vboard_agent.h"

#include "fota/fota_err.h"
#include "vb_internal.h"

void vboard_advance_ns(vboard_t *b, uint64_t ns)
{
    vb_run_ticks(b, VB_NS_TO_TICKS(ns));
}

static int vba_xfer(agent_spi_t *self, const uint8_t *tx, uint8_t *rx,
                    size_t len, uint32_t timeout_ms)
{
    vboard_agent_t *a = AGENT_CONTAINER_OF(self, vboard_agent_t, spi);

    /* The byte clock never stalls, so the transfer always completes
     * within len * 8 SCK periods; the deadline cannot be missed. */
    (void)timeout_ms;
    if (a->xfer_gap_ns)
        vboard_advance_ns(a->board, a->xfer_gap_ns);
    a->xfers++;
    return vboard_spi_xfer(a->board, tx, rx, len);
}

static int vba_set_cs(agent_spi_t *self, bool asserted)
{
    vboard_agent_t *a = AGENT_CONTAINER_OF(self, vboard_agent_t, spi);

    vboard_spi_set_cs(a->board, asserted);
    return 0;
}

static int vba_gpio_set(agent_gpio_t *self, unsigned pin, int level)
{
    vboard_agent_t *a = AGENT_CONTAINER_OF(self, vboard_agent_t, gpio);

    if (pin != AGENT_PIN_NRST)
        return FOTA_ERR_INVAL; /* BOOT0 is strapped low on this board */
    vboard_set_nrst(a->board, level == 0);
    return 0;
}

static uint32_t vba_now_ms(agent_clock_t *self)
{
    vboard_agent_t *a = AGENT_CONTAINER_OF(self, vboard_agent_t, clock);

    return (uint32_t)(vboard_now_ns(a->board) / 1000000u);
}

static void vba_sleep_ms(agent_clock_t *self, uint32_t ms)
{
    vboard_agent_t *a = AGENT_CONTAINER_OF(self, vboard_agent_t, clock);

    vboard_advance_ns(a->board, (uint64_t)ms * 1000000u);
}

static int vba_uart_write(agent_uart_t *self, const uint8_t *tx, size_t len,
                          uint32_t timeout_ms)
{
    vboard_agent_t *a = AGENT_CONTAINER_OF(self, vboard_agent_t, uart);

    (void)timeout_ms;
    return vboard_uart_send(a->board, tx, len);
}

static int vba_uart_read(agent_uart_t *self, uint8_t *rx, size_t len,
                         uint32_t timeout_ms)
{
    vboard_agent_t *a = AGENT_CONTAINER_OF(self, vboard_agent_t, uart);
    uint64_t deadline =
        vboard_now_ns(a->board) + (uint64_t)timeout_ms * 1000000u;
    size_t got = 0;

    for (;;) {
        size_t n;
        const char *out = vboard_uart_output(a->board, &n);

        if (a->uart_rd > n) /* the capture was cleared */
            a->uart_rd = n;
        while (got < len && a->uart_rd < n)
            rx[got++] = (uint8_t)out[a->uart_rd++];
        if (got == len || vboard_now_ns(a->board) >= deadline)
            break;
        /* Poll at a tenth of a character time at 115200 baud. */
        vboard_advance_ns(a->board, 10000u);
    }
    return (int)got;
}

static const agent_spi_ops_t s_spi_ops = {.xfer = vba_xfer,
                                          .set_cs = vba_set_cs};
static const agent_gpio_ops_t s_gpio_ops = {.set = vba_gpio_set};
static const agent_clock_ops_t s_clock_ops = {.now_ms = vba_now_ms,
                                              .sleep_ms = vba_sleep_ms};
static const agent_uart_ops_t s_uart_ops = {.write = vba_uart_write,
                                            .read = vba_uart_read};

void vboard_agent_init(vboard_agent_t *a, vboard_t *b)
{
    a->board = b;
    a->xfer_gap_ns = 10000u;
    a->uart_rd = 0;
    a->xfers = 0;
    a->spi.ops = &s_spi_ops;
    a->gpio.ops = &s_gpio_ops;
    a->clock.ops = &s_clock_ops;
    a->uart.ops = &s_uart_ops;
}
