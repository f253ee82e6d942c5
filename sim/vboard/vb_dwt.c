/*
 * vb_dwt.c - the data watchpoint and trace unit's cycle counter (ARMv7-M
 * C1.8.8): DWT_CYCCNT counts HCLK cycles while DWT_CTRL.CYCCNTENA is set.
 */
#include "vb_dev.h"
#include "vb_regs.h"

typedef struct vb_dwt {
    uint32_t ctrl, base_val;
    uint64_t base_ticks;
} vb_dwt_t;

void vb_dwt_rebase(vb_sys_t *s, void *st)
{
    vb_dwt_t *w = st;

    if (w->ctrl & 1u)
        w->base_val += (uint32_t)((s->now - w->base_ticks) / s->tpc);
    w->base_ticks = s->now;
}

static uint32_t dwt_read(vb_sys_t *s, const vb_dev_t *d, void *st, uint32_t off)
{
    vb_dwt_t *w = st;

    (void)d;
    if (off == DWT_CTRL)
        return w->ctrl | 0x40000000u; /* NUMCOMP = 4 */
    if (off == DWT_CYCCNT) {
        vb_dwt_rebase(s, w);
        return w->base_val;
    }
    return 0;
}

static void dwt_write(vb_sys_t *s, const vb_dev_t *d, void *st, uint32_t off,
                      uint32_t v, uint32_t mask)
{
    vb_dwt_t *w = st;

    (void)d;
    if (off == DWT_CTRL) {
        vb_dwt_rebase(s, w);
        w->ctrl = vb_merge(w->ctrl, v, mask) & 0x0FFFFFFFu;
    } else if (off == DWT_CYCCNT) {
        vb_dwt_rebase(s, w);
        w->base_val = vb_merge(w->base_val, v, mask);
    }
}

static void dwt_reset(vb_sys_t *s, const vb_dev_t *d, void *st, bool power_on)
{
    vb_dwt_t *w = st;

    (void)d;
    (void)power_on;
    w->ctrl = 0;
    w->base_val = 0;
    w->base_ticks = s->now;
}

const vb_dev_class_t vb_dwt_class = {
    .state_size = sizeof(vb_dwt_t),
    .reset = dwt_reset,
    .read = dwt_read,
    .write = dwt_write,
};
