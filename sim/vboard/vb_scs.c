/*
 * vb_scs.c - the system control space of the Cortex-M4 (ARMv7-M B3.2,
 * B3.4): the NVIC (82 interrupt lines of the STM32F407, 4 priority bits,
 * RM0090 table 61) and the SCB (CPUID, ICSR, VTOR, AIRCR with PRIGROUP
 * and SYSRESETREQ, SCR, CCR, SHPR1-3, SHCSR, CFSR/HFSR, CPACR, FPCCR).
 *
 * The registers hold the pending, active and enable state and the
 * priorities; the board core (vboard.c) asks vb_scs_* which exception to
 * take and tells it when one is entered or returns. Registers nobody
 * models read back what was written.
 */
#include <string.h>

#include "vb_dev.h"
#include "vb_regs.h"
#include "vb_scs.h"

static unsigned scs_prigroup(const vb_scs_t *c)
{
    return (c->aircr >> 8) & 7u;
}

/* Group priority (B1.5.4): the bits above PRIGROUP's split point. */
int vb_scs_group(const vb_scs_t *c, int prio)
{
    if (prio < 0)
        return prio;
    return prio & (int)(~((2u << scs_prigroup(c)) - 1u) & 0xFFu);
}

int vb_scs_prio(const vb_scs_t *c, unsigned exc)
{
    if (exc == 1)
        return -3;
    if (exc == 2)
        return -2;
    if (exc == 3)
        return -1;
    return c->prio[exc];
}

bool vb_scs_enabled(const vb_scs_t *c, unsigned exc)
{
    switch (exc) {
    case 4:
        return c->shcsr_en & (1u << 16);
    case 5:
        return c->shcsr_en & (1u << 17);
    case 6:
        return c->shcsr_en & (1u << 18);
    case 2:
    case 3:
    case 11:
    case 14:
    case 15:
        return true;
    default:
        return exc >= 16 && exc < VB_NEXC && c->enable[exc];
    }
}

/* Execution priority from the active exceptions and the masks (B1.5.4);
 * 256 = thread mode with nothing boosting it. */
int vb_scs_exec_prio(const vb_scs_t *c, uint32_t primask, uint32_t basepri,
                     uint32_t faultmask)
{
    int pri = 256, boost = 256;

    for (unsigned i = 0; i < c->depth; i++) {
        int g = vb_scs_group(c, vb_scs_prio(c, c->stack[i]));

        if (g < pri)
            pri = g;
    }
    if (basepri & 0xF0u)
        boost = vb_scs_group(c, (int)(basepri & 0xF0u));
    if (primask & 1u)
        boost = 0;
    if (faultmask & 1u)
        boost = -1;
    return boost < pri ? boost : pri;
}

/* The pending, enabled exception that would be taken next (0: none):
 * lowest priority value, then lowest number (B1.5.4). */
unsigned vb_scs_best_pending(const vb_scs_t *c)
{
    unsigned best = 0;
    int bp = 1000;

    if (!c->npending)
        return 0;
    for (unsigned e = 2; e < VB_NEXC; e++) {
        int p;

        if (!c->pending[e] || !vb_scs_enabled(c, e))
            continue;
        p = vb_scs_prio(c, e);
        if (p < bp) {
            bp = p;
            best = e;
        }
    }
    return best;
}

static void scs_set_pending(vb_scs_t *c, unsigned exc, bool on)
{
    if (exc >= VB_NEXC || c->pending[exc] == on)
        return;
    c->pending[exc] = on;
    if (on)
        c->npending++;
    else
        c->npending--;
}

void vb_scs_pend(vb_scs_t *c, unsigned exc)
{
    scs_set_pending(c, exc, true);
}

/* Interrupt lines are level-sensitive (B3.4.1): a rising level pends the
 * interrupt; a level still high when its handler returns pends it again. */
void vb_scs_level(vb_scs_t *c, unsigned irqn, bool level)
{
    unsigned e = 16 + irqn;

    if (e >= VB_NEXC || c->level[e] == level)
        return;
    c->level[e] = level;
    if (level)
        scs_set_pending(c, e, true);
}

void vb_scs_activate(vb_scs_t *c, unsigned exc)
{
    scs_set_pending(c, exc, false);
    c->active[exc] = 1;
    if (c->depth < VB_NEXC)
        c->stack[c->depth++] = (uint8_t)exc;
}

unsigned vb_scs_current(const vb_scs_t *c)
{
    return c->depth ? c->stack[c->depth - 1] : 0;
}

/* The handler of exc returns: false if exc was not active. */
bool vb_scs_deactivate(vb_scs_t *c, unsigned exc)
{
    if (exc >= VB_NEXC || !c->active[exc] || !c->depth)
        return false;
    c->active[exc] = 0;
    for (unsigned i = c->depth; i-- > 0;)
        if (c->stack[i] == exc) {
            memmove(&c->stack[i], &c->stack[i + 1], c->depth - i - 1);
            c->depth--;
            break;
        }
    if (exc >= 16 && c->level[exc])
        scs_set_pending(c, exc, true);
    return true;
}

void vb_scs_fault_status(vb_scs_t *c, uint32_t cfsr, uint32_t hfsr)
{
    c->cfsr |= cfsr;
    c->hfsr |= hfsr;
}

/* ------------------------------------------------------------ registers */

static uint32_t scs_bits(const uint8_t *a, unsigned word)
{
    uint32_t v = 0;

    for (unsigned i = 0; i < 32; i++) {
        unsigned e = 16 + word * 32 + i;

        if (e < VB_NEXC && a[e])
            v |= 1u << i;
    }
    return v;
}

static uint32_t scs_prio_word(const vb_scs_t *c, unsigned first_exc)
{
    uint32_t v = 0;

    for (unsigned i = 0; i < 4; i++)
        if (first_exc + i < VB_NEXC)
            v |= (uint32_t)c->prio[first_exc + i] << (8 * i);
    return v;
}

static void scs_prio_write(vb_scs_t *c, unsigned first_exc, uint32_t v,
                           uint32_t mask, uint32_t implemented)
{
    for (unsigned i = 0; i < 4; i++) {
        unsigned e = first_exc + i;

        if (e < VB_NEXC && ((mask >> (8 * i)) & 0xFFu) &&
            ((implemented >> i) & 1u))
            c->prio[e] = (uint8_t)((v >> (8 * i)) & VB_PRIO_MASK);
    }
}

static uint32_t scs_icsr(const vb_scs_t *c)
{
    unsigned cur = vb_scs_current(c), pend = vb_scs_best_pending(c);
    bool isr = false;

    for (unsigned e = 16; e < VB_NEXC; e++)
        isr = isr || c->pending[e];
    return cur | (c->depth <= 1 ? 1u << 11 : 0) | ((uint32_t)pend << 12) |
           (isr ? 1u << 22 : 0) | (c->pending[15] ? 1u << 26 : 0) |
           (c->pending[14] ? 1u << 28 : 0) | (c->pending[2] ? 1u << 31 : 0);
}

static uint32_t scs_shcsr(const vb_scs_t *c)
{
    return c->shcsr_en | (c->active[4] ? 1u << 0 : 0) |
           (c->active[5] ? 1u << 1 : 0) | (c->active[6] ? 1u << 3 : 0) |
           (c->active[11] ? 1u << 7 : 0) | (c->active[14] ? 1u << 10 : 0) |
           (c->active[15] ? 1u << 11 : 0) | (c->pending[6] ? 1u << 12 : 0) |
           (c->pending[4] ? 1u << 13 : 0) | (c->pending[5] ? 1u << 14 : 0) |
           (c->pending[11] ? 1u << 15 : 0);
}

static uint32_t scs_read(vb_sys_t *s, const vb_dev_t *d, void *st, uint32_t off)
{
    vb_scs_t *c = st;

    (void)s;
    (void)d;
    if (off >= NVIC_ISER && off < NVIC_ISER + 0x20)
        return scs_bits(c->enable, (off - NVIC_ISER) / 4);
    if (off >= NVIC_ICER && off < NVIC_ICER + 0x20)
        return scs_bits(c->enable, (off - NVIC_ICER) / 4);
    if (off >= NVIC_ISPR && off < NVIC_ISPR + 0x20)
        return scs_bits(c->pending, (off - NVIC_ISPR) / 4);
    if (off >= NVIC_ICPR && off < NVIC_ICPR + 0x20)
        return scs_bits(c->pending, (off - NVIC_ICPR) / 4);
    if (off >= NVIC_IABR && off < NVIC_IABR + 0x20)
        return scs_bits(c->active, (off - NVIC_IABR) / 4);
    if (off >= NVIC_IPR && off < NVIC_IPR + 0x100)
        return scs_prio_word(c, 16 + (off - NVIC_IPR));
    switch (off) {
    case SCS_ICTR:
        return (VB_NIRQ - 1) / 32; /* INTLINESNUM */
    case SCB_CPUID:
        return 0x410FC241u; /* Cortex-M4 r0p1 */
    case SCB_ICSR:
        return scs_icsr(c);
    case SCB_VTOR:
        return c->vtor;
    case SCB_AIRCR:
        return 0xFA050000u | (c->aircr & 0x700u);
    case SCB_SCR:
        return c->scr;
    case SCB_CCR:
        return c->ccr;
    case SCB_SHPR1:
        return scs_prio_word(c, 4);
    case SCB_SHPR2:
        return scs_prio_word(c, 8);
    case SCB_SHPR3:
        return scs_prio_word(c, 12);
    case SCB_SHCSR:
        return scs_shcsr(c);
    case SCB_CFSR:
        return c->cfsr;
    case SCB_HFSR:
        return c->hfsr;
    case SCB_CPACR:
        return c->cpacr;
    case SCB_FPCCR:
        return c->fpccr;
    default:
        return c->other[(off & 0xFFFu) / 4];
    }
}

static void scs_write(vb_sys_t *s, const vb_dev_t *d, void *st, uint32_t off,
                      uint32_t v, uint32_t mask)
{
    vb_scs_t *c = st;
    uint32_t w = v & mask;

    (void)d;
    if (off >= NVIC_ISER && off < NVIC_ICPR + 0x20 && off < NVIC_IABR) {
        unsigned word = (off & 0x7Fu) / 4, kind = (off - NVIC_ISER) / 0x80;

        for (unsigned i = 0; i < 32; i++) {
            unsigned e = 16 + word * 32 + i;

            if (!((w >> i) & 1u) || e >= VB_NEXC)
                continue;
            if (kind == 0)
                c->enable[e] = 1;
            else if (kind == 1)
                c->enable[e] = 0;
            else if (kind == 2)
                scs_set_pending(c, e, true);
            else
                scs_set_pending(c, e, false);
        }
        return;
    }
    if (off >= NVIC_IPR && off < NVIC_IPR + 0x100) {
        scs_prio_write(c, 16 + (off - NVIC_IPR), v, mask, 0xFu);
        return;
    }
    switch (off) {
    case SCB_ICSR:
        if (w & (1u << 31))
            scs_set_pending(c, 2, true);
        if (w & (1u << 28))
            scs_set_pending(c, 14, true);
        else if (w & (1u << 27))
            scs_set_pending(c, 14, false);
        if (w & (1u << 26))
            scs_set_pending(c, 15, true);
        else if (w & (1u << 25))
            scs_set_pending(c, 15, false);
        break;
    case SCB_VTOR: /* TBLOFF, 128-byte aligned for 82 interrupts */
        c->vtor = vb_merge(c->vtor, v, mask) & 0xFFFFFF80u;
        break;
    case SCB_AIRCR:
        if (((v & mask) >> 16) != SCB_AIRCR_VECTKEY)
            break; /* writes without VECTKEY are ignored */
        c->aircr = v & 0x700u;
        if (v & SCB_AIRCR_SYSRESETREQ)
            s->ops->request(s, VB_REQ_SYSRESET);
        break;
    case SCB_SCR:
        c->scr = vb_merge(c->scr, v, mask) & 0x16u;
        break;
    case SCB_CCR:
        c->ccr = vb_merge(c->ccr, v, mask) & 0x31Bu;
        break;
    case SCB_SHPR1: /* MemManage, BusFault, UsageFault */
        scs_prio_write(c, 4, v, mask, 0x7u);
        break;
    case SCB_SHPR2: /* SVCall */
        scs_prio_write(c, 8, v, mask, 0x8u);
        break;
    case SCB_SHPR3: /* PendSV, SysTick */
        scs_prio_write(c, 12, v, mask, 0xCu);
        break;
    case SCB_SHCSR: {
        uint32_t n = vb_merge(scs_shcsr(c), v, mask);

        c->shcsr_en = n & (7u << 16);
        /* The active and pending bits are writable (context restore). */
        c->active[4] = (n >> 0) & 1u;
        c->active[5] = (n >> 1) & 1u;
        c->active[6] = (n >> 3) & 1u;
        c->active[11] = (n >> 7) & 1u;
        c->active[14] = (n >> 10) & 1u;
        c->active[15] = (n >> 11) & 1u;
        scs_set_pending(c, 6, (n >> 12) & 1u);
        scs_set_pending(c, 4, (n >> 13) & 1u);
        scs_set_pending(c, 5, (n >> 14) & 1u);
        scs_set_pending(c, 11, (n >> 15) & 1u);
        break;
    }
    case SCB_CFSR: /* write 1 to clear */
        c->cfsr &= ~w;
        break;
    case SCB_HFSR:
        c->hfsr &= ~w;
        break;
    case SCB_CPACR:
        c->cpacr = vb_merge(c->cpacr, v, mask) & 0x00F00000u;
        break;
    case SCB_FPCCR:
        c->fpccr = vb_merge(c->fpccr, v, mask) & 0xC0000000u;
        break;
    case SCS_STIR:
        if ((w & 0x1FFu) < VB_NIRQ)
            scs_set_pending(c, 16 + (w & 0x1FFu), true);
        break;
    default:
        c->other[(off & 0xFFFu) / 4] =
            vb_merge(c->other[(off & 0xFFFu) / 4], v, mask);
        break;
    }
}

static void scs_reset(vb_sys_t *s, const vb_dev_t *d, void *st, bool power_on)
{
    vb_scs_t *c = st;

    (void)s;
    (void)d;
    (void)power_on;
    memset(c, 0, sizeof *c);
    c->ccr = SCB_CCR_STKALIGN; /* Cortex-M4 r0p1 resets with STKALIGN set */
    c->fpccr = 0xC0000000u;    /* ASPEN, LSPEN */
}

const vb_dev_class_t vb_scs_class = {
    .state_size = sizeof(vb_scs_t),
    .reset = scs_reset,
    .read = scs_read,
    .write = scs_write,
};
