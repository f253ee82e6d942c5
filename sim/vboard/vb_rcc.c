/*
 * vb_rcc.c - reset and clock control (RM0090 section 7): HSI/HSE/PLL with
 * their start-up times, the system clock switch, AHB/APB prescalers and
 * the peripheral clock enables that gate every other model.
 */
#include <string.h>

#include "vb_dev.h"
#include "vb_regs.h"

typedef struct vb_rcc {
    uint32_t cr, pllcfgr, cfgr, ahb1enr, ahb2enr, apb1enr, apb2enr, csr_low,
        bdcr;
    uint64_t hse_ready_at, pll_ready_at;
    uint32_t
        other[256]; /* registers nobody models read back what was written */
} vb_rcc_t;

static bool rcc_hse_ready(const vb_sys_t *s, const vb_rcc_t *r)
{
    return (r->cr & RCC_CR_HSEON) && s->now >= r->hse_ready_at;
}

static bool rcc_pll_ready(const vb_sys_t *s, const vb_rcc_t *r)
{
    return (r->cr & RCC_CR_PLLON) && s->now >= r->pll_ready_at;
}

static uint32_t rcc_pll_hz(const vb_rcc_t *r)
{
    uint32_t c = r->pllcfgr;
    uint32_t m = c & 0x3Fu, n = (c >> 6) & 0x1FFu;
    uint32_t p = 2u * (((c >> 16) & 3u) + 1u);
    uint32_t src = (c & RCC_PLLCFGR_SRC_HSE) ? VB_HSE_HZ : VB_HSI_HZ;

    if (m < 2 || n < 2)
        return 0;
    return (uint32_t)((uint64_t)src / m * n / p);
}

static uint32_t rcc_hclk_hz(const vb_rcc_t *r)
{
    static const uint16_t hpre_div[8] = {2, 4, 8, 16, 64, 128, 256, 512};
    uint32_t hpre = (r->cfgr >> 4) & 0xFu, hz;

    switch ((r->cfgr >> 2) & 3u) {
    case 1:
        hz = VB_HSE_HZ;
        break;
    case 2:
        hz = rcc_pll_hz(r);
        break;
    default:
        hz = VB_HSI_HZ;
        break;
    }
    if (hpre & 8u)
        hz /= hpre_div[hpre & 7u];
    return hz;
}

uint32_t vb_rcc_bus_hz(const void *rcc, uint32_t hclk_hz, enum vb_gate bus)
{
    const vb_rcc_t *r = rcc;
    uint32_t p;

    if (bus == VB_GATE_APB1)
        p = (r->cfgr >> 10) & 7u; /* PPRE1 */
    else if (bus == VB_GATE_APB2)
        p = (r->cfgr >> 13) & 7u; /* PPRE2 */
    else
        return hclk_hz;
    return p < 4 ? hclk_hz : hclk_hz >> (p - 3);
}

bool vb_rcc_gate_on(const void *rcc, enum vb_gate gate, unsigned bit)
{
    const vb_rcc_t *r = rcc;

    switch (gate) {
    case VB_GATE_AHB1:
        return (r->ahb1enr >> bit) & 1u;
    case VB_GATE_AHB2:
        return (r->ahb2enr >> bit) & 1u;
    case VB_GATE_APB1:
        return (r->apb1enr >> bit) & 1u;
    case VB_GATE_APB2:
        return (r->apb2enr >> bit) & 1u;
    default:
        return true;
    }
}

/* The clock switch happens once the selected source is ready; the board
 * hears of every change of HCLK. */
static void rcc_update(vb_sys_t *s, vb_rcc_t *r)
{
    uint32_t sw = r->cfgr & 3u, sws = (r->cfgr >> 2) & 3u;
    uint32_t hz;

    if (sw != sws) {
        bool ready = sw == 0 || (sw == 1 && rcc_hse_ready(s, r)) ||
                     (sw == 2 && rcc_pll_ready(s, r));

        if (ready)
            r->cfgr = (r->cfgr & ~0xCu) | (sw << 2);
    }
    hz = rcc_hclk_hz(r);
    if (hz && hz != s->hclk_hz)
        s->ops->clock_changed(s, hz);
}

static uint32_t rcc_read(vb_sys_t *s, const vb_dev_t *d, void *st, uint32_t off)
{
    vb_rcc_t *r = st;

    (void)d;
    rcc_update(s, r);
    switch (off) {
    case RCC_CR:
        return r->cr | RCC_CR_HSIRDY |
               (rcc_hse_ready(s, r) ? RCC_CR_HSERDY : 0) |
               (rcc_pll_ready(s, r) ? RCC_CR_PLLRDY : 0);
    case RCC_PLLCFGR:
        return r->pllcfgr;
    case RCC_CFGR:
        return r->cfgr;
    case RCC_AHB1ENR:
        return r->ahb1enr;
    case RCC_AHB2ENR:
        return r->ahb2enr;
    case RCC_APB1ENR:
        return r->apb1enr;
    case RCC_APB2ENR:
        return r->apb2enr;
    case RCC_BDCR:
        return r->bdcr;
    case RCC_CSR: /* LSION, LSIRDY (the LSI starts at once) and the flags */
        return s->reset_flags | (r->csr_low & 1u) |
               ((r->csr_low & 1u) ? 2u : 0u);
    default:
        return r->other[(off & 0x3FFu) / 4];
    }
}

static void rcc_write(vb_sys_t *s, const vb_dev_t *d, void *st, uint32_t off,
                      uint32_t v, uint32_t mask)
{
    vb_rcc_t *r = st;

    (void)d;
    rcc_update(s, r);
    switch (off) {
    case RCC_CR: {
        uint32_t old = r->cr;
        uint32_t now = vb_merge(old, v, mask) & 0x050DFFF9u;

        now |= RCC_CR_HSION; /* HSI stays on while it clocks the CPU */
        if ((now & RCC_CR_HSEON) && !(old & RCC_CR_HSEON))
            r->hse_ready_at =
                s->cfg->hse_fails
                    ? VB_NEVER
                    : s->now + VB_NS_TO_TICKS((uint64_t)s->cfg->hse_startup_us *
                                              1000u);
        if ((now & RCC_CR_PLLON) && !(old & RCC_CR_PLLON)) {
            uint64_t src =
                (r->pllcfgr & RCC_PLLCFGR_SRC_HSE)
                    ? ((now & RCC_CR_HSEON) ? r->hse_ready_at : VB_NEVER)
                    : 0;
            uint64_t start = src > s->now ? src : s->now;

            r->pll_ready_at =
                start == VB_NEVER
                    ? VB_NEVER
                    : start +
                          VB_NS_TO_TICKS((uint64_t)s->cfg->pll_lock_us * 1000u);
        }
        /* The clock feeding SYSCLK cannot be switched off. */
        if (((r->cfgr >> 2) & 3u) == 2)
            now |= RCC_CR_PLLON;
        if (((r->cfgr >> 2) & 3u) == 1)
            now |= RCC_CR_HSEON;
        r->cr = now;
        break;
    }
    case RCC_PLLCFGR:
        if (!(r->cr & RCC_CR_PLLON)) /* written only while the PLL is off */
            r->pllcfgr = vb_merge(r->pllcfgr, v, mask) & 0x0F437FFFu;
        break;
    case RCC_CFGR:
        r->cfgr = (vb_merge(r->cfgr, v, mask) & ~0xCu) | (r->cfgr & 0xCu);
        break;
    case RCC_AHB1ENR:
        r->ahb1enr = vb_merge(r->ahb1enr, v, mask);
        break;
    case RCC_AHB2ENR:
        r->ahb2enr = vb_merge(r->ahb2enr, v, mask);
        break;
    case RCC_APB1ENR:
        r->apb1enr = vb_merge(r->apb1enr, v, mask);
        break;
    case RCC_APB2ENR:
        r->apb2enr = vb_merge(r->apb2enr, v, mask);
        break;
    case RCC_BDCR:
        r->bdcr = vb_merge(r->bdcr, v, mask);
        break;
    case RCC_CSR:
        if (v & mask & RCC_CSR_RMVF)
            s->reset_flags = 0;
        r->csr_low = vb_merge(r->csr_low, v, mask) & 1u;
        break;
    default:
        r->other[(off & 0x3FFu) / 4] =
            vb_merge(r->other[(off & 0x3FFu) / 4], v, mask);
        break;
    }
    rcc_update(s, r);
}

static void rcc_reset(vb_sys_t *s, const vb_dev_t *d, void *st, bool power_on)
{
    vb_rcc_t *r = st;
    uint32_t bdcr = r->bdcr;

    (void)s;
    (void)d;
    memset(r, 0, sizeof *r);
    r->cr = 0x00000083u;
    r->pllcfgr = 0x24003010u;
    r->ahb1enr = 0x00100000u;      /* CCMDATARAMEN */
    r->bdcr = power_on ? 0 : bdcr; /* backup domain: kept over a system reset */
    r->hse_ready_at = VB_NEVER;
    r->pll_ready_at = VB_NEVER;
}

/* A pending clock switch changes the instruction rate. */
static uint64_t rcc_next_event(const vb_sys_t *s, const vb_dev_t *d,
                               const void *st)
{
    const vb_rcc_t *r = st;
    uint32_t sw = r->cfgr & 3u;

    (void)d;
    if (sw != ((r->cfgr >> 2) & 3u)) {
        uint64_t t = sw == 1 ? r->hse_ready_at : sw == 2 ? r->pll_ready_at : 0;

        if (t > s->now)
            return t;
    }
    return VB_NEVER;
}

static void rcc_event(vb_sys_t *s, const vb_dev_t *d, void *st)
{
    (void)d;
    rcc_update(s, st);
}

const vb_dev_class_t vb_rcc_class = {
    .state_size = sizeof(vb_rcc_t),
    .reset = rcc_reset,
    .read = rcc_read,
    .write = rcc_write,
    .next_event = rcc_next_event,
    .event = rcc_event,
};
