/*
 * vb_usart.c - USART in asynchronous mode (RM0090 section 30), one table
 * row per instance (USART1 on APB2, USART2 on APB1): a TX holding buffer
 * in front of the shift register, each character taking its real time at
 * the baud rate from BRR and the instance's bus clock; RX from a queue the
 * host fills, one character time apart, with overrun when RXNE is still
 * set. TXE/TC/RXNE drive the instance's interrupt line under
 * TXEIE/TCIE/RXNEIE. State that depends on time is computed from the
 * clock when the firmware looks, and the model asks for an event only
 * when an enabled interrupt is about to change.
 */
#include "fota/fota_err.h"
#include "vb_dev.h"
#include "vb_regs.h"

#define VB_UART_RXQ 4096

typedef struct vb_usart {
    uint32_t cr1, cr2, cr3, brr, gtpr;
    uint64_t shift_end; /* ticks: the shifter is busy until then */
    bool buf_full;
    uint8_t rdr;
    bool rxne, ore;
    uint8_t rxq[VB_UART_RXQ];
    uint64_t rxq_at[VB_UART_RXQ];
    size_t rxq_head, rxq_n;
    uint64_t rx_last;
} vb_usart_t;

static uint64_t us_char_ticks(vb_sys_t *s, const vb_dev_t *d,
                              const vb_usart_t *u)
{
    uint32_t bits = 1u + ((u->cr1 & US_CR1_M) ? 9u : 8u) +
                    (((u->cr2 >> 12) & 3u) == 2 ? 2u : 1u);
    uint32_t brr = u->brr ? u->brr : 1u;

    /* OVER8 = 0: baud = fPCLK / BRR. */
    return (uint64_t)bits * brr *
           (VB_TICK_HZ / s->ops->bus_hz(s, (enum vb_gate)d->gate));
}

static void us_update(vb_sys_t *s, const vb_dev_t *d, vb_usart_t *u)
{
    if (u->buf_full && s->now >= u->shift_end) {
        u->buf_full = false;
        u->shift_end += us_char_ticks(s, d, u);
    }
    while (u->rxq_n && u->rxq_at[u->rxq_head] <= s->now) {
        uint8_t c = u->rxq[u->rxq_head];

        u->rxq_head = (u->rxq_head + 1) % VB_UART_RXQ;
        u->rxq_n--;
        if ((u->cr1 & (US_CR1_UE | US_CR1_RE)) != (US_CR1_UE | US_CR1_RE))
            continue;
        if (u->rxne) {
            u->ore = true;
        } else {
            u->rdr = c;
            u->rxne = true;
        }
    }
}

static bool us_txe(const vb_usart_t *u)
{
    return !u->buf_full;
}

static bool us_tc(const vb_sys_t *s, const vb_usart_t *u)
{
    return !u->buf_full && s->now >= u->shift_end;
}

static void us_line(vb_sys_t *s, const vb_dev_t *d, const vb_usart_t *u)
{
    bool on = ((u->cr1 & US_CR1_TXEIE) && us_txe(u)) ||
              ((u->cr1 & US_CR1_TCIE) && us_tc(s, u)) ||
              ((u->cr1 & US_CR1_RXNEIE) && (u->rxne || u->ore));

    if (d->irq >= 0)
        s->ops->irq(s, (unsigned)d->irq, on);
}

int vb_usart_rx_push(vb_sys_t *s, const vb_dev_t *d, void *st,
                     const uint8_t *data, size_t len)
{
    vb_usart_t *u = st;

    if (len > VB_UART_RXQ - u->rxq_n)
        return FOTA_ERR_NOMEM;
    for (size_t i = 0; i < len; i++) {
        size_t slot = (u->rxq_head + u->rxq_n) % VB_UART_RXQ;
        uint64_t t = u->rx_last > s->now ? u->rx_last : s->now;

        t += us_char_ticks(s, d, u);
        u->rxq[slot] = data[i];
        u->rxq_at[slot] = t;
        u->rx_last = t;
        u->rxq_n++;
    }
    return 0;
}

static uint32_t us_read(vb_sys_t *s, const vb_dev_t *d, void *st, uint32_t off)
{
    vb_usart_t *u = st;
    uint32_t v;

    us_update(s, d, u);
    switch (off) {
    case USART_SR:
        return (us_txe(u) ? US_SR_TXE : 0) | (us_tc(s, u) ? US_SR_TC : 0) |
               (u->rxne ? US_SR_RXNE : 0) | (u->ore ? US_SR_ORE : 0);
    case USART_DR:
        u->rxne = false;
        u->ore = false; /* SR then DR clears ORE */
        v = u->rdr;
        us_line(s, d, u);
        return v;
    case USART_BRR:
        return u->brr;
    case USART_CR1:
        return u->cr1;
    case USART_CR2:
        return u->cr2;
    case USART_CR3:
        return u->cr3;
    case USART_GTPR:
        return u->gtpr;
    default:
        return 0;
    }
}

static void us_write(vb_sys_t *s, const vb_dev_t *d, void *st, uint32_t off,
                     uint32_t v, uint32_t mask)
{
    vb_usart_t *u = st;

    us_update(s, d, u);
    switch (off) {
    case USART_DR: {
        uint8_t c = (uint8_t)(v & mask);

        if ((u->cr1 & (US_CR1_UE | US_CR1_TE)) != (US_CR1_UE | US_CR1_TE))
            break;
        if (!u->buf_full && s->now >= u->shift_end) {
            u->shift_end = s->now + us_char_ticks(s, d, u);
            s->ops->uart_tx(s, d->unit, c, false);
        } else if (!u->buf_full) {
            u->buf_full = true;
            s->ops->uart_tx(s, d->unit, c, false);
        } else {
            s->ops->uart_tx(s, d->unit, c,
                            true); /* TXE was 0: overwrites the buffer */
        }
        break;
    }
    case USART_BRR:
        u->brr = vb_merge(u->brr, v, mask) & 0xFFFFu;
        break;
    case USART_CR1:
        u->cr1 = vb_merge(u->cr1, v, mask) & 0xBFFFu;
        break;
    case USART_CR2:
        u->cr2 = vb_merge(u->cr2, v, mask);
        break;
    case USART_CR3:
        u->cr3 = vb_merge(u->cr3, v, mask);
        break;
    case USART_GTPR:
        u->gtpr = vb_merge(u->gtpr, v, mask);
        break;
    default:
        break;
    }
    us_line(s, d, u);
}

/* Only a change an enabled interrupt can see needs an event. */
static uint64_t us_next_event(const vb_sys_t *s, const vb_dev_t *d,
                              const void *st)
{
    const vb_usart_t *u = st;
    uint64_t ev = VB_NEVER;

    (void)d;
    if ((u->cr1 & (US_CR1_TXEIE | US_CR1_TCIE)) && u->shift_end > s->now)
        ev = u->shift_end;
    if ((u->cr1 & US_CR1_RXNEIE) && u->rxq_n && u->rxq_at[u->rxq_head] < ev)
        ev = u->rxq_at[u->rxq_head] > s->now ? u->rxq_at[u->rxq_head]
                                             : s->now + 1;
    return ev;
}

static void us_event(vb_sys_t *s, const vb_dev_t *d, void *st)
{
    us_update(s, d, st);
    us_line(s, d, st);
}

static void us_reset(vb_sys_t *s, const vb_dev_t *d, void *st, bool power_on)
{
    vb_usart_t *u = st;

    (void)s;
    (void)d;
    (void)power_on;
    u->cr1 = u->cr2 = u->cr3 = u->brr = u->gtpr = 0;
    u->shift_end = 0;
    u->buf_full = false;
    u->rxne = u->ore = false;
    u->rxq_n = 0;
    u->rxq_head = 0;
    u->rx_last = 0;
}

const vb_dev_class_t vb_usart_class = {
    .state_size = sizeof(vb_usart_t),
    .reset = us_reset,
    .read = us_read,
    .write = us_write,
    .next_event = us_next_event,
    .event = us_event,
};
