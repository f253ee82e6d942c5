/*
 * vb_iwdg.c - independent watchdog (RM0090 section 19), clocked by the
 * 32 kHz LSI: key register, prescaler and reload with their PVU/RVU update
 * delay, the hardware-watchdog option (WDG_SW = 0 starts it at reset), and
 * a system reset when the counter reaches 0.
 */
#include "vb_dev.h"
#include "vb_regs.h"

typedef struct vb_iwdg {
    bool on, unlocked;
    uint32_t pr, rlr;
    uint64_t expiry, pvu_until, rvu_until;
} vb_iwdg_t;

static uint64_t lsi_ticks(void)
{
    return VB_TICK_HZ / VB_LSI_HZ;
}

static void iwdg_reload(const vb_sys_t *s, vb_iwdg_t *w)
{
    w->expiry = s->now + (uint64_t)(w->rlr + 1u) * (4u << w->pr) * lsi_ticks();
}

static uint32_t iwdg_read(vb_sys_t *s, const vb_dev_t *d, void *st,
                          uint32_t off)
{
    vb_iwdg_t *w = st;

    (void)d;
    switch (off) {
    case IWDG_PR:
        return w->pr;
    case IWDG_RLR:
        return w->rlr;
    case IWDG_SR:
        return (s->now < w->pvu_until ? 1u : 0u) |
               (s->now < w->rvu_until ? 2u : 0u);
    default:
        return 0;
    }
}

static void iwdg_write(vb_sys_t *s, const vb_dev_t *d, void *st, uint32_t off,
                       uint32_t v, uint32_t mask)
{
    vb_iwdg_t *w = st;
    /* The register update crosses into the LSI domain: PVU/RVU stay set
     * for about five LSI periods (RM0090 IWDG_SR). */
    uint64_t upd = s->now + 5u * lsi_ticks();

    (void)d;
    v &= mask;
    switch (off) {
    case IWDG_KR:
        v &= 0xFFFFu;
        if (v == 0xCCCCu) {
            if (!w->on) {
                w->on = true;
                iwdg_reload(s, w);
            }
            w->unlocked = false;
        } else if (v == 0xAAAAu) {
            iwdg_reload(s, w);
            w->unlocked = false;
        } else {
            w->unlocked = v == 0x5555u;
        }
        break;
    case IWDG_PR:
        if (w->unlocked) {
            w->pr = v & 7u;
            w->pvu_until = upd;
        }
        break;
    case IWDG_RLR:
        if (w->unlocked) {
            w->rlr = v & 0xFFFu;
            w->rvu_until = upd;
        }
        break;
    default:
        break;
    }
}

static void iwdg_reset(vb_sys_t *s, const vb_dev_t *d, void *st, bool power_on)
{
    vb_iwdg_t *w = st;

    (void)d;
    (void)power_on;
    w->pr = 0;
    w->rlr = 0xFFF;
    w->unlocked = false;
    w->pvu_until = w->rvu_until = 0;
    /* USER option bit WDG_SW = 0 selects the hardware watchdog. */
    w->on = !(s->opt[0] & 0x20u);
    if (w->on)
        iwdg_reload(s, w);
}

static uint64_t iwdg_next_event(const vb_sys_t *s, const vb_dev_t *d,
                                const void *st)
{
    const vb_iwdg_t *w = st;

    (void)s;
    (void)d;
    return w->on ? w->expiry : VB_NEVER;
}

static void iwdg_event(vb_sys_t *s, const vb_dev_t *d, void *st)
{
    vb_iwdg_t *w = st;

    (void)d;
    if (w->on && s->now >= w->expiry) {
        w->on = false;
        s->ops->request(s, VB_REQ_IWDG_RESET);
    }
}

void vb_iwdg_halt(void *st)
{
    ((vb_iwdg_t *)st)->on = false;
}

const vb_dev_class_t vb_iwdg_class = {
    .state_size = sizeof(vb_iwdg_t),
    .reset = iwdg_reset,
    .read = iwdg_read,
    .write = iwdg_write,
    .next_event = iwdg_next_event,
    .event = iwdg_event,
};
