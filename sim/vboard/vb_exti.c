/*
 * vb_exti.c - external interrupt controller (RM0090 section 12.3), lines
 * 0-15 from the GPIO pins SYSCFG selects: IMR, EMR, RTSR, FTSR, SWIER, PR.
 * An enabled edge sets PR; PR under IMR drives the line's interrupt
 * (EXTI0-4: IRQ 6-10, EXTI9_5: 23, EXTI15_10: 40, RM0090 table 61). The
 * board reports pin edges (vb_exti_edge); on the Discovery board the user
 * button is PA0.
 */
#include "vb_dev.h"
#include "vb_regs.h"

#define EXTI_LINES 0x7FFFFFu /* 23 lines */

typedef struct vb_exti {
    uint32_t imr, emr, rtsr, ftsr, swier, pr;
} vb_exti_t;

static unsigned exti_irq(unsigned line)
{
    return line <= 4 ? 6 + line : line <= 9 ? 23 : 40;
}

static void exti_lines(vb_sys_t *s, const vb_exti_t *e)
{
    uint32_t act = e->pr & e->imr;

    for (unsigned l = 0; l <= 4; l++)
        s->ops->irq(s, exti_irq(l), (act >> l) & 1u);
    s->ops->irq(s, 23, (act & 0x3E0u) != 0);
    s->ops->irq(s, 40, (act & 0xFC00u) != 0);
}

void vb_exti_edge(vb_sys_t *s, const vb_dev_t *d, void *st, unsigned line,
                  bool rising)
{
    vb_exti_t *e = st;

    (void)d;
    if (line > 22 || !(((rising ? e->rtsr : e->ftsr) >> line) & 1u))
        return;
    e->pr |= 1u << line;
    exti_lines(s, e);
}

static uint32_t exti_read(vb_sys_t *s, const vb_dev_t *d, void *st,
                          uint32_t off)
{
    vb_exti_t *e = st;

    (void)s;
    (void)d;
    switch (off) {
    case EXTI_IMR:
        return e->imr;
    case EXTI_EMR:
        return e->emr;
    case EXTI_RTSR:
        return e->rtsr;
    case EXTI_FTSR:
        return e->ftsr;
    case EXTI_SWIER:
        return e->swier;
    case EXTI_PR:
        return e->pr;
    default:
        return 0;
    }
}

static void exti_write(vb_sys_t *s, const vb_dev_t *d, void *st, uint32_t off,
                       uint32_t v, uint32_t mask)
{
    vb_exti_t *e = st;
    uint32_t w = v & mask & EXTI_LINES;

    (void)d;
    switch (off) {
    case EXTI_IMR:
        e->imr = vb_merge(e->imr, v, mask) & EXTI_LINES;
        break;
    case EXTI_EMR:
        e->emr = vb_merge(e->emr, v, mask) & EXTI_LINES;
        break;
    case EXTI_RTSR:
        e->rtsr = vb_merge(e->rtsr, v, mask) & EXTI_LINES;
        break;
    case EXTI_FTSR:
        e->ftsr = vb_merge(e->ftsr, v, mask) & EXTI_LINES;
        break;
    case EXTI_SWIER: /* a 0 -> 1 write sets PR on an unmasked line */
        e->pr |= w & ~e->swier & e->imr;
        e->swier |= w;
        break;
    case EXTI_PR: /* write 1 to clear; clears SWIER too */
        e->pr &= ~w;
        e->swier &= ~w;
        break;
    default:
        return;
    }
    exti_lines(s, e);
}

static void exti_reset(vb_sys_t *s, const vb_dev_t *d, void *st, bool power_on)
{
    (void)s;
    (void)d;
    (void)power_on;
    *(vb_exti_t *)st = (vb_exti_t){0};
}

const vb_dev_class_t vb_exti_class = {
    .state_size = sizeof(vb_exti_t),
    .reset = exti_reset,
    .read = exti_read,
    .write = exti_write,
};
