/*
 * vb_pwr.c - power controller (RM0090 section 5.4): PWR_CR keeps what is
 * written; the regulator's voltage scaling is always ready (VOSRDY).
 */
#include "vb_dev.h"
#include "vb_regs.h"

typedef struct vb_pwr {
    uint32_t cr;
} vb_pwr_t;

static uint32_t pwr_read(vb_sys_t *s, const vb_dev_t *d, void *st, uint32_t off)
{
    (void)s;
    (void)d;
    if (off == PWR_CR)
        return ((vb_pwr_t *)st)->cr;
    if (off == PWR_CSR)
        return PWR_CSR_VOSRDY;
    return 0;
}

static void pwr_write(vb_sys_t *s, const vb_dev_t *d, void *st, uint32_t off,
                      uint32_t v, uint32_t mask)
{
    vb_pwr_t *p = st;

    (void)s;
    (void)d;
    if (off == PWR_CR)
        p->cr = vb_merge(p->cr, v, mask);
}

static void pwr_reset(vb_sys_t *s, const vb_dev_t *d, void *st, bool power_on)
{
    (void)s;
    (void)d;
    (void)power_on;
    ((vb_pwr_t *)st)->cr = 0x4000u; /* VOS = 1 */
}

const vb_dev_class_t vb_pwr_class = {
    .state_size = sizeof(vb_pwr_t),
    .reset = pwr_reset,
    .read = pwr_read,
    .write = pwr_write,
};
