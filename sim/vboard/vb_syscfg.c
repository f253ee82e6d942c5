/*
 * vb_syscfg.c - system configuration controller (RM0090 section 9):
 * MEMRMP and PMC keep what is written, EXTICR1-4 select the GPIO port of
 * each EXTI line 0-15, CMPCR reports READY once the compensation cell is
 * powered (CMP_PD).
 */
#include "vb_dev.h"
#include "vb_regs.h"

typedef struct vb_syscfg {
    uint32_t memrmp, pmc, exticr[4], cmpcr;
} vb_syscfg_t;

unsigned vb_syscfg_exti_port(const void *st, unsigned line)
{
    const vb_syscfg_t *c = st;

    return (c->exticr[(line / 4) & 3u] >> (4 * (line % 4))) & 0xFu;
}

static uint32_t syscfg_read(vb_sys_t *s, const vb_dev_t *d, void *st,
                            uint32_t off)
{
    vb_syscfg_t *c = st;

    (void)s;
    (void)d;
    if (off >= SYSCFG_EXTICR1 && off < SYSCFG_EXTICR1 + 16)
        return c->exticr[(off - SYSCFG_EXTICR1) / 4];
    if (off == SYSCFG_MEMRMP)
        return c->memrmp;
    if (off == SYSCFG_PMC)
        return c->pmc;
    if (off == SYSCFG_CMPCR)
        return c->cmpcr | ((c->cmpcr & 1u) ? 1u << 8 : 0);
    return 0;
}

static void syscfg_write(vb_sys_t *s, const vb_dev_t *d, void *st, uint32_t off,
                         uint32_t v, uint32_t mask)
{
    vb_syscfg_t *c = st;

    (void)s;
    (void)d;
    if (off >= SYSCFG_EXTICR1 && off < SYSCFG_EXTICR1 + 16)
        c->exticr[(off - SYSCFG_EXTICR1) / 4] =
            vb_merge(c->exticr[(off - SYSCFG_EXTICR1) / 4], v, mask) & 0xFFFFu;
    else if (off == SYSCFG_MEMRMP)
        c->memrmp = vb_merge(c->memrmp, v, mask) & 3u;
    else if (off == SYSCFG_PMC)
        c->pmc = vb_merge(c->pmc, v, mask) & (1u << 23);
    else if (off == SYSCFG_CMPCR)
        c->cmpcr = vb_merge(c->cmpcr, v, mask) & 1u;
}

static void syscfg_reset(vb_sys_t *s, const vb_dev_t *d, void *st,
                         bool power_on)
{
    vb_syscfg_t *c = st;

    (void)s;
    (void)d;
    (void)power_on;
    *c = (vb_syscfg_t){0};
}

const vb_dev_class_t vb_syscfg_class = {
    .state_size = sizeof(vb_syscfg_t),
    .reset = syscfg_reset,
    .read = syscfg_read,
    .write = syscfg_write,
};
