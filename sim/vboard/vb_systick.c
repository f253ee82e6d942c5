/*
 * vb_systick.c - the SysTick timer (ARMv7-M B3.3): a 24-bit down counter
 * on the processor clock (CLKSOURCE = 1) or HCLK/8, reloaded from RVR when
 * it reaches 0, COUNTFLAG on each 1->0 step and, with TICKINT, the SysTick
 * exception (15) pended at that moment. The counter is computed from the
 * clock; the model asks for an event at the next wrap only while TICKINT
 * is set.
 */
#include "vb_dev.h"
#include "vb_regs.h"

typedef struct vb_systick {
    uint32_t csr, rvr, base_val;
    uint64_t base_ticks, zeros_seen;
} vb_systick_t;

static uint64_t st_period(const vb_sys_t *s, const vb_systick_t *t)
{
    return (uint64_t)s->tpc * ((t->csr & SYST_CSR_CLKSOURCE) ? 1u : 8u);
}

/* Counter value and number of times it reached 0 after n clocks from the
 * base value. */
static uint32_t st_value(const vb_systick_t *t, uint64_t n, uint64_t *zeros)
{
    uint64_t v0 = t->base_val, p = (uint64_t)t->rvr + 1u;

    if (n == 0) {
        *zeros = 0;
        return t->base_val;
    }
    if (v0 == 0) {
        *zeros = t->rvr ? n / p : 0;
        return t->rvr ? (uint32_t)(t->rvr - (n - 1u) % p) : 0;
    }
    if (n < v0) {
        *zeros = 0;
        return (uint32_t)(v0 - n);
    }
    if (!t->rvr) { /* RVR 0: the counter stops at 0 */
        *zeros = 1;
        return 0;
    }
    *zeros = 1u + (n - v0) / p;
    return n == v0 ? 0 : (uint32_t)(t->rvr - (n - v0 - 1u) % p);
}

/* Move the base to now; returns the number of wraps in between. */
static uint64_t st_rebase(const vb_sys_t *s, vb_systick_t *t)
{
    uint64_t per = st_period(s, t), n, zeros;

    if (!(t->csr & SYST_CSR_ENABLE))
        return 0;
    n = (s->now - t->base_ticks) / per;
    t->base_val = st_value(t, n, &zeros);
    if (zeros > t->zeros_seen)
        t->csr |= SYST_CSR_COUNTFLAG;
    t->zeros_seen = 0;
    t->base_ticks += n * per;
    return zeros;
}

void vb_systick_rebase(vb_sys_t *s, void *st)
{
    vb_systick_t *t = st;

    if (st_rebase(s, t) && (t->csr & SYST_CSR_TICKINT))
        s->ops->pend(s, 15);
}

static uint32_t st_read(vb_sys_t *s, const vb_dev_t *d, void *st, uint32_t off)
{
    vb_systick_t *t = st;
    uint32_t v;

    (void)d;
    switch (off) {
    case SYST_CSR:
        vb_systick_rebase(s, t);
        v = t->csr;
        t->csr &= ~SYST_CSR_COUNTFLAG;
        return v;
    case SYST_RVR:
        return t->rvr;
    case SYST_CVR:
        vb_systick_rebase(s, t);
        return t->base_val;
    case SYST_CALIB:
        return 0x40000000u | (s->hclk_hz / 8u / 100u - 1u); /* NOREF, 10 ms */
    default:
        return 0;
    }
}

static void st_write(vb_sys_t *s, const vb_dev_t *d, void *st, uint32_t off,
                     uint32_t v, uint32_t mask)
{
    vb_systick_t *t = st;

    (void)d;
    switch (off) {
    case SYST_CSR: {
        uint32_t nv = vb_merge(t->csr, v, mask) & 7u;

        vb_systick_rebase(s, t);
        if ((nv & SYST_CSR_ENABLE) && !(t->csr & SYST_CSR_ENABLE)) {
            t->base_ticks = s->now;
            t->zeros_seen = 0;
        }
        t->csr = (t->csr & SYST_CSR_COUNTFLAG) | nv;
        break;
    }
    case SYST_RVR:
        vb_systick_rebase(s, t);
        t->rvr = vb_merge(t->rvr, v, mask) & 0xFFFFFFu;
        break;
    case SYST_CVR: /* any write clears the counter and COUNTFLAG */
        vb_systick_rebase(s, t);
        t->base_val = 0;
        t->base_ticks = s->now;
        t->zeros_seen = 0;
        t->csr &= ~SYST_CSR_COUNTFLAG;
        break;
    default:
        break;
    }
}

/* The tick of the next 1->0 step, while it would pend the exception. */
static uint64_t st_next_event(const vb_sys_t *s, const vb_dev_t *d,
                              const void *st)
{
    const vb_systick_t *t = st;
    uint64_t per, n;

    (void)d;
    if ((t->csr & (SYST_CSR_ENABLE | SYST_CSR_TICKINT)) !=
        (SYST_CSR_ENABLE | SYST_CSR_TICKINT))
        return VB_NEVER;
    per = st_period(s, t);
    if (t->base_val)
        n = t->base_val;
    else if (t->rvr)
        n = (uint64_t)t->rvr + 1u;
    else
        return VB_NEVER;
    /* The first wrap after the base: the event moves the base past it. */
    return t->base_ticks + n * per;
}

static void st_event(vb_sys_t *s, const vb_dev_t *d, void *st)
{
    (void)d;
    vb_systick_rebase(s, st);
}

static void st_reset(vb_sys_t *s, const vb_dev_t *d, void *st, bool power_on)
{
    vb_systick_t *t = st;

    (void)d;
    (void)power_on;
    t->csr = 0;
    t->rvr = 0;
    t->base_val = 0;
    t->base_ticks = s->now;
    t->zeros_seen = 0;
}

const vb_dev_class_t vb_systick_class = {
    .state_size = sizeof(vb_systick_t),
    .reset = st_reset,
    .read = st_read,
    .write = st_write,
    .next_event = st_next_event,
    .event = st_event,
};
