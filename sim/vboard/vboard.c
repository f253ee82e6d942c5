/*
 * vboard.c - the virtual board's core: memory map, CPU engine, the device
 * table's dispatcher, the virtual clock (the only code that moves it), the
 * exception model (entry, return, tail-chaining), run loop, resets, power
 * cuts, ELF loading, snapshots and the master-side API. The peripheral
 * models are vb_<device>.c behind vb_dev.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fota/fota_err.h"
#include "fota/fota_layout.h"
#include "fota/fota_le.h"
#include "fota/fota_prng.h"
#include "vb_internal.h"
#include "vb_scs.h"

#define VB_DEVST(b, id) ((b)->dev[(id)])
#define VB_SCS(b) ((vb_scs_t *)(b)->dev[VB_DEV_SCS])

void vb_set_fault(vboard_t *b, const char *fmt, ...);

void vb_set_fault(vboard_t *b, const char *fmt, ...)
{
    va_list ap;

    if (b->fault[0])
        return; /* keep the first cause */
    va_start(ap, fmt);
    vsnprintf(b->fault, sizeof b->fault, fmt, ap);
    va_end(ap);
    b->stop_req = true;
}

static bool vb_in_flash(uint64_t addr)
{
    return addr < FOTA_FLASH_SIZE ||
           (addr >= FOTA_FLASH_BASE && addr < FOTA_FLASH_END);
}

static void vb_apply_fixups(vboard_t *b)
{
    for (unsigned i = 0; i < b->nfix; i++)
        memcpy(&b->flash->mem[b->fix[i].addr - FOTA_FLASH_BASE],
               b->fix[i].bytes, b->fix[i].len);
    b->nfix = 0;
}

/* ---------------------------------------------------------- device table */

static const vb_dev_t *vb_find_dev(const vboard_t *b, uint32_t addr,
                                   unsigned *idx)
{
    if (addr >= VB_PERIPH_BASE && addr < VB_PERIPH_BASE + VB_PERIPH_SIZE) {
        unsigned r = b->periph_page[(addr - VB_PERIPH_BASE) / 0x400u];

        if (!r)
            return NULL;
        *idx = r - 1;
        return &vb_devices[r - 1];
    }
    for (unsigned i = 0; i < vb_ndevices; i++)
        if (vb_devices[i].base >= VB_PPB_BASE && addr >= vb_devices[i].base &&
            addr - vb_devices[i].base < vb_devices[i].size) {
            *idx = i;
            return &vb_devices[i];
        }
    return NULL;
}

static bool vb_gate_on(vboard_t *b, const vb_dev_t *d)
{
    return d->gate == VB_GATE_NONE ||
           vb_rcc_gate_on(VB_DEVST(b, VB_DEV_RCC), (enum vb_gate)d->gate,
                          d->gate_bit);
}

static uint64_t vb_next_event(const vboard_t *b)
{
    uint64_t ev = VB_NEVER;

    for (unsigned i = 0; i < vb_ndevices; i++) {
        const vb_dev_t *d = &vb_devices[i];

        if (d->cls->next_event) {
            uint64_t t = d->cls->next_event(&b->sys, d, b->dev[i]);

            if (t < ev)
                ev = t;
        }
    }
    return ev;
}

static void vb_service_events(vboard_t *b)
{
    for (unsigned i = 0; i < vb_ndevices; i++) {
        const vb_dev_t *d = &vb_devices[i];

        if (d->cls->event &&
            d->cls->next_event(&b->sys, d, b->dev[i]) <= b->sys.now)
            d->cls->event(&b->sys, d, b->dev[i]);
    }
}

/* The AHB holds the CPU while the flash is busy, unless something else
 * happens first (the watchdog firing in the middle of an erase): then time
 * stops there and the CPU is asked to stop. */
static void vb_stall_until(vboard_t *b, uint64_t until)
{
    uint64_t ev;

    if (until <= b->sys.now)
        return;
    ev = vb_next_event(b);
    if (ev < until) {
        if (ev > b->sys.now)
            b->sys.now = ev;
        b->stop_req = true;
        return;
    }
    b->sys.now = until;
}

static void vb_flash_stall(vboard_t *b)
{
    vb_stall_until(b, vb_flashif_busy_until(VB_DEVST(b, VB_DEV_FLASH)));
}

/* One register access through the table: clock gate, stall, the device.
 * Registers of no device read back what was written. */
static uint32_t vb_reg_read(vboard_t *b, uint32_t reg)
{
    unsigned i;
    const vb_dev_t *d = vb_find_dev(b, reg, &i);

    if (!d) {
        uint8_t *p = reg >= VB_PPB_BASE
                         ? &b->shadow_ppb[reg - VB_PPB_BASE]
                         : &b->shadow_periph[reg - VB_PERIPH_BASE];
        return fota_get_le32(p);
    }
    if (!vb_gate_on(b, d)) {
        b->unclocked++;
        return 0;
    }
    if (d->cls->stall)
        vb_stall_until(b,
                       d->cls->stall(&b->sys, b->dev[i], reg - d->base, false));
    return d->cls->read(&b->sys, d, b->dev[i], reg - d->base);
}

static void vb_reg_write(vboard_t *b, uint32_t reg, uint32_t v, uint32_t mask)
{
    unsigned i;
    const vb_dev_t *d = vb_find_dev(b, reg, &i);
    uint64_t ev;

    if (!d) {
        uint8_t *p = reg >= VB_PPB_BASE
                         ? &b->shadow_ppb[reg - VB_PPB_BASE]
                         : &b->shadow_periph[reg - VB_PERIPH_BASE];
        fota_put_le32(p, vb_merge(fota_get_le32(p), v, mask));
        return;
    }
    if (!vb_gate_on(b, d)) {
        b->unclocked++;
        return;
    }
    if (d->cls->stall)
        vb_stall_until(b,
                       d->cls->stall(&b->sys, b->dev[i], reg - d->base, true));
    d->cls->write(&b->sys, d, b->dev[i], reg - d->base, v, mask);
    if (i == VB_DEV_SCS)
        b->exc_check = true;
    /* A write can create an earlier event (watchdog started or reloaded,
     * clock switch pending): end the running slice there. */
    ev = vb_next_event(b);
    if (ev < b->stop_tick)
        b->stop_tick = ev;
}

static uint32_t vb_bus_read(vboard_t *b, uint32_t addr, unsigned size)
{
    uint32_t shift = (addr & 3u) * 8u;
    uint32_t v = vb_reg_read(b, addr & ~3u) >> shift;

    return size >= 4 ? v : v & ((1u << (size * 8u)) - 1u);
}

static void vb_bus_write(vboard_t *b, uint32_t addr, uint32_t val,
                         unsigned size)
{
    uint32_t shift = (addr & 3u) * 8u;
    uint32_t mask =
        size >= 4 ? 0xFFFFFFFFu : ((1u << (size * 8u)) - 1u) << shift;

    vb_reg_write(b, addr & ~3u, val << shift, mask);
}

/* ------------------------------------------------------ board services */

static vboard_t *vb_of(vb_sys_t *s)
{
    return (vboard_t *)(void *)s;
}

static void svc_irq(vb_sys_t *s, unsigned irqn, bool level)
{
    vboard_t *b = vb_of(s);

    vb_scs_level(VB_SCS(b), irqn, level);
    if (level)
        b->exc_check = true;
}

static void svc_pend(vb_sys_t *s, unsigned exc)
{
    vboard_t *b = vb_of(s);

    vb_scs_pend(VB_SCS(b), exc);
    b->exc_check = true;
}

static void svc_fault(vb_sys_t *s, const char *msg)
{
    vb_set_fault(vb_of(s), "%s", msg);
}

static void svc_request(vb_sys_t *s, enum vb_req req)
{
    vboard_t *b = vb_of(s);

    if (req == VB_REQ_SYSRESET)
        b->reset_pending = true;
    else if (req == VB_REQ_IWDG_RESET)
        b->iwdg_reset_pending = true;
    else if (req == VB_REQ_POWER_CUT)
        b->power_cut_pending = true;
    b->stop_req = true;
}

static bool svc_gate_on(vb_sys_t *s, const vb_dev_t *d)
{
    return vb_gate_on(vb_of(s), d);
}

static uint32_t svc_bus_hz(vb_sys_t *s, enum vb_gate bus)
{
    return vb_rcc_bus_hz(VB_DEVST(vb_of(s), VB_DEV_RCC), s->hclk_hz, bus);
}

static bool svc_pin_af(vb_sys_t *s, unsigned port, unsigned pin, unsigned af)
{
    vboard_t *b = vb_of(s);
    const vb_dev_t *d = &vb_devices[VB_DEV_GPIOA + port];

    return vb_gate_on(b, d) && vb_gpio_af(b->dev[VB_DEV_GPIOA + port], pin, af);
}

static void svc_drq(vb_sys_t *s, unsigned line, bool level)
{
    vboard_t *b = vb_of(s);

    if (level)
        s->drq |= line;
    else
        s->drq &= ~line;
    if (level && !b->in_dma) {
        b->in_dma = true;
        vb_dma_serve(s, &vb_devices[VB_DEV_DMA2], b->dev[VB_DEV_DMA2]);
        b->in_dma = false;
    }
}

static uint32_t svc_bus_read(vb_sys_t *s, uint32_t addr, unsigned size)
{
    return vb_bus_read(vb_of(s), addr, size);
}

static void svc_bus_write(vb_sys_t *s, uint32_t addr, uint32_t v, unsigned size)
{
    vb_bus_write(vb_of(s), addr, v, size);
}

/* DMA2 reaches SRAM (not the CCM RAM) and, reading, the flash. */
static uint8_t *svc_dma_mem(vb_sys_t *s, uint32_t a, bool write)
{
    vboard_t *b = vb_of(s);

    if (a >= VB_SRAM_BASE && a < VB_SRAM_BASE + VB_SRAM_SIZE)
        return &b->sram[a - VB_SRAM_BASE];
    if (!write && a >= FOTA_FLASH_BASE && a < FOTA_FLASH_BASE + FOTA_FLASH_SIZE)
        return &b->flash->mem[a - FOTA_FLASH_BASE];
    return NULL;
}

/* HCLK changes: the counters clocked by it are rebased first, and the
 * flash wait states must already suit the new frequency (RM0090 table 10,
 * 2.7-3.6 V: one wait state per 30 MHz), as on silicon, where too few wait
 * states make the CPU read garbage. */
static void svc_clock_changed(vb_sys_t *s, uint32_t hz)
{
    vboard_t *b = vb_of(s);
    unsigned lat = vb_flashif_latency(VB_DEVST(b, VB_DEV_FLASH));
    uint32_t need = (hz - 1u) / 30000000u;

    vb_systick_rebase(s, VB_DEVST(b, VB_DEV_SYSTICK));
    vb_dwt_rebase(s, VB_DEVST(b, VB_DEV_DWT));
    s->hclk_hz = hz;
    s->tpc = (uint32_t)(VB_TICK_HZ / hz);
    if (!s->tpc)
        s->tpc = 1;
    if (lat < need)
        vb_set_fault(b,
                     "FLASH_ACR LATENCY=%u too low for HCLK %u Hz (needs %u)",
                     lat, hz, need);
}

static void vb_capture_byte(vb_capture_t *c, uint8_t ch, bool replace)
{
    if (replace && c->len) {
        c->out[c->len - 1] = (char)ch;
    } else {
        if (c->len + 2 > c->cap) {
            size_t cap = c->cap ? c->cap * 2 : 4096;
            char *n = realloc(c->out, cap);

            if (!n)
                return;
            c->out = n;
            c->cap = cap;
        }
        c->out[c->len++] = (char)ch;
    }
    c->out[c->len] = '\0';
}

static void svc_uart_tx(vb_sys_t *s, unsigned unit, uint8_t ch, bool replace)
{
    vboard_t *b = vb_of(s);

    if (unit >= sizeof b->uart / sizeof b->uart[0])
        return;
    vb_capture_byte(&b->uart[unit], ch, replace);
    if (unit == 2) {
        if (b->uart2_sink)
            b->uart2_sink(b->uart2_sink_ctx, ch);
        return;
    }
    if (unit != 1)
        return;
    if (b->uart_sink)
        b->uart_sink(b->uart_sink_ctx, ch);
    if (b->uart_wait &&
        strstr(b->uart[1].out + b->uart_match_from, b->uart_wait)) {
        b->uart_hit = true;
        b->stop_req = true;
    }
}

static void svc_leds(vb_sys_t *s, uint8_t leds)
{
    vboard_t *b = vb_of(s);

    if (leds == b->leds)
        return;
    b->leds = leds;
    if (b->led_n == b->led_cap) {
        size_t cap = b->led_cap ? b->led_cap * 2 : 64;
        vboard_led_event_t *n = realloc(b->led_log, cap * sizeof *n);

        if (!n)
            return;
        b->led_log = n;
        b->led_cap = cap;
    }
    b->led_log[b->led_n].t_ns = VB_TICKS_TO_NS(s->now);
    b->led_log[b->led_n].leds = leds;
    b->led_n++;
}

static void svc_flush_code(vb_sys_t *s, uint32_t lo, uint32_t hi)
{
    vboard_t *b = vb_of(s);

    b->tb_flush_lo = lo;
    b->tb_flush_hi = hi;
    b->stop_req = true;
}

/* RM0090 3.5.2: ICRST/DCRST empty the ART caches the cycle model keeps. */
static void svc_acr_write(vb_sys_t *s, uint32_t acr)
{
    vb_m4_acr_write(&vb_of(s)->m4s, acr);
}

static const vb_sys_ops_t s_ops = {
    .irq = svc_irq,
    .pend = svc_pend,
    .fault = svc_fault,
    .request = svc_request,
    .gate_on = svc_gate_on,
    .bus_hz = svc_bus_hz,
    .pin_af = svc_pin_af,
    .drq = svc_drq,
    .bus_read = svc_bus_read,
    .bus_write = svc_bus_write,
    .dma_mem = svc_dma_mem,
    .clock_changed = svc_clock_changed,
    .uart_tx = svc_uart_tx,
    .leds = svc_leds,
    .flush_code = svc_flush_code,
    .acr_write = svc_acr_write,
};

/* ---------------------------------------------------------------- clock */

/* Core register r (0..12) of the running CPU, for the divider's early
 * termination in the cycle model. */
static uint32_t vb_m4_reg(void *ctx, unsigned r)
{
    vboard_t *b = ctx;
    uint32_t v = 0;

    if (r <= 12)
        uc_reg_read(b->uc, UC_ARM_REG_R0 + (int)r, &v);
    return v;
}

/*
 * The clock advance for one executed instruction: the only place where
 * executing code moves time (stalls on a busy flash and WFI sleep are the
 * other, separate moves; bus extras and exception entry/return add through
 * vb_advance_bus). Costs the instruction's Cortex-M4 cycles
 * (vb_m4timing.h), or one HCLK cycle with VBOARD_CPI_1.
 */
static inline void vb_advance_insn(vboard_t *b, uint64_t addr, uint32_t size)
{
    uint32_t c = 1;

    b->insns++;
    b->insns_total++;
    if (b->cfg.cpi_model == VBOARD_CPI_M4 && b->m4) {
        uint32_t a = (uint32_t)addr, off = a & (FOTA_FLASH_SIZE - 1u);
        uint8_t buf[4] = {0, 0, 0, 0};
        const uint8_t *code = buf;

        if (size != 2 && size != 4)
            size = 2;
        if (vb_in_flash(a) && off + size <= FOTA_FLASH_SIZE)
            code = &b->flash->mem[off];
        else if (a - VB_SRAM_BASE <= VB_SRAM_SIZE - size)
            code = &b->sram[a - VB_SRAM_BASE];
        else
            vboard_read_mem(b, a, buf, size);
        c = vb_m4_insn(b->m4, &b->m4s, a, size, code,
                       vb_flashif_acr(VB_DEVST(b, VB_DEV_FLASH)));
    }
    b->cycles += c;
    b->sys.now += (uint64_t)c * b->sys.tpc;
}

/* Cycles the instruction's own cost does not include: flash data wait
 * states, the peripheral bridges, the CRC unit, exception entry/return. */
static void vb_advance_bus(vboard_t *b, uint32_t c)
{
    b->cycles += c;
    b->sys.now += (uint64_t)c * b->sys.tpc;
}

/* ----------------------------------------------------------- exceptions */

static uint32_t vb_rd(const vboard_t *b, int reg)
{
    uint32_t v = 0;

    uc_reg_read(b->uc, reg, &v);
    return v;
}

static void vb_wr(vboard_t *b, int reg, uint32_t v)
{
    uc_reg_write(b->uc, reg, &v);
}

/*
 * Put the CPU into a mode: IPSR (and the rest of xPSR), CONTROL, and both
 * stack pointers. The CPU model banks SP by mode and ignores SPSEL writes
 * in handler mode and CONTROL writes from unprivileged code, so the
 * registers are written from privileged thread mode, where all of them
 * take effect; rewriting the flags at the end makes it re-derive the
 * translation flags (handler mode, privilege) from the new state.
 */
static void vb_cpu_set_mode(vboard_t *b, uint32_t xpsr, uint32_t control,
                            uint32_t msp, uint32_t psp)
{
    vb_wr(b, UC_ARM_REG_IPSR, 1);
    vb_wr(b, UC_ARM_REG_CONTROL, control & 4u);
    vb_wr(b, UC_ARM_REG_IPSR, 0);
    vb_wr(b, UC_ARM_REG_CONTROL, control & 6u);
    vb_wr(b, UC_ARM_REG_MSP, msp);
    vb_wr(b, UC_ARM_REG_PSP, psp);
    vb_wr(b, UC_ARM_REG_IPSR, 1);
    vb_wr(b, UC_ARM_REG_CONTROL, control & 7u);
    vb_wr(b, UC_ARM_REG_XPSR_NZCVQG, xpsr);
    vb_wr(b, UC_ARM_REG_APSR_NZCV, xpsr & 0xF0000000u);
}

/* Whether the instruction at the head of the ring is inside an IT block
 * (ARMv7-M A7.7.38): an exception is taken only between blocks, so the
 * ITSTATE in the stacked xPSR is always 0. */
static bool vb_in_it_block(const vboard_t *b)
{
    for (unsigned k = 1; k <= 4; k++) {
        uint32_t a = b->it_ring[(b->it_pos - k) & 3u];
        uint8_t hw[2];
        unsigned m;

        if (!a || vboard_read_mem(b, a & ~1u, hw, 2) != 0)
            continue;
        m = hw[0] & 0xFu;
        if (hw[1] == 0xBF && m) {
            unsigned len = 4u - (unsigned)__builtin_ctz(m);

            return k <= len;
        }
    }
    return false;
}

static int vb_exec_prio(const vboard_t *b)
{
    return vb_scs_exec_prio(VB_SCS(b), vb_rd(b, UC_ARM_REG_PRIMASK),
                            vb_rd(b, UC_ARM_REG_BASEPRI),
                            vb_rd(b, UC_ARM_REG_FAULTMASK));
}

/* The exception to take now (0: none). Clears exc_check when nothing is
 * pending at all, so the per-instruction poll costs nothing then. */
static unsigned vb_exc_poll(vboard_t *b)
{
    vb_scs_t *c = VB_SCS(b);
    unsigned e = vb_scs_best_pending(c);

    if (!e) {
        if (!c->npending)
            b->exc_check = false;
        return 0;
    }
    if (vb_scs_group(c, vb_scs_prio(c, e)) >= vb_exec_prio(b))
        return 0;
    return e;
}

static bool vb_stack_words(vboard_t *b, uint32_t sp, const uint32_t *w,
                           unsigned n)
{
    uint8_t buf[26 * 4];

    for (unsigned i = 0; i < n; i++)
        fota_put_le32(&buf[4 * i], w[i]);
    return vboard_write_mem(b, sp, buf, 4u * n) == 0;
}

/*
 * Exception entry (ARMv7-M B1.5.6, PushStack and ExceptionTaken): the
 * 8-word frame (26 words with the FP state when CONTROL.FPCA is set) on
 * the stack in use, 8-byte aligned when CCR.STKALIGN is set (xPSR bit 9
 * records the realignment), LR = EXC_RETURN, handler mode on MSP, PC from
 * the vector table at VTOR. Lazy FP stacking (FPCCR.LSPEN) is modelled
 * as immediate stacking: the frame holds the same values.
 */
static void vb_exc_enter(vboard_t *b, unsigned exc, uint32_t ret)
{
    vb_scs_t *c = VB_SCS(b);
    uint32_t control = vb_rd(b, UC_ARM_REG_CONTROL),
             xpsr = vb_rd(b, UC_ARM_REG_XPSR);
    uint32_t msp = vb_rd(b, UC_ARM_REG_MSP), psp = vb_rd(b, UC_ARM_REG_PSP);
    bool handler = (xpsr & 0x1FFu) != 0, fpca = (control & 4u) != 0;
    bool on_psp = !handler && (control & 2u);
    uint32_t sp = on_psp ? psp : msp, frame = fpca ? 0x68u : 0x20u, nsp, w[26],
             vec;
    bool align8 = (c->ccr & SCB_CCR_STKALIGN) != 0;
    uint32_t realign = align8 && (sp & 4u);
    uint8_t vb[4];

    nsp = (sp - frame) & ~(align8 ? 7u : 3u);
    w[0] = vb_rd(b, UC_ARM_REG_R0);
    w[1] = vb_rd(b, UC_ARM_REG_R1);
    w[2] = vb_rd(b, UC_ARM_REG_R2);
    w[3] = vb_rd(b, UC_ARM_REG_R3);
    w[4] = vb_rd(b, UC_ARM_REG_R12);
    w[5] = vb_rd(b, UC_ARM_REG_LR);
    w[6] = ret & ~1u;
    w[7] = (xpsr & ~(1u << 9)) | (realign << 9);
    if (fpca) {
        for (int i = 0; i < 8; i++) {
            uint64_t dv = 0;

            uc_reg_read(b->uc, UC_ARM_REG_D0 + i, &dv);
            w[8 + 2 * i] = (uint32_t)dv;
            w[9 + 2 * i] = (uint32_t)(dv >> 32);
        }
        w[24] = vb_rd(b, UC_ARM_REG_FPSCR);
        w[25] = 0;
    }
    if (!vb_stack_words(b, nsp, w, frame / 4)) {
        vb_set_fault(
            b, "exception %u: stacking to 0x%08x failed (SP outside SRAM/CCM)",
            exc, nsp);
        return;
    }
    if (vboard_read_mem(b, (c->vtor + 4u * exc) & ~3u, vb, 4) != 0 ||
        !((vec = fota_get_le32(vb)) & 1u)) {
        vb_set_fault(b, "exception %u: vector at 0x%08x is not a Thumb address",
                     exc, c->vtor + 4u * exc);
        return;
    }
    if (on_psp)
        psp = nsp;
    else
        msp = nsp;
    vb_wr(b, UC_ARM_REG_LR,
          0xFFFFFFE1u | (fpca ? 0 : 0x10u) | (handler ? 0 : 8u) |
              (on_psp ? 4u : 0));
    vb_cpu_set_mode(b, (xpsr & 0xF80F0000u & ~0x0600FC00u) | (1u << 24) | exc,
                    control & ~6u, msp, psp);
    vb_scs_activate(c, exc);
    b->resume_pc = vec & ~1u;
    b->exc_taken++;
    /* Cortex-M4 TRM 5.5.1: 12 cycles from the exception to the handler's
     * first instruction (stacking and the vector fetch); 6 when it is
     * tail-chained to a return (no unstacking and stacking in between). */
    if (b->cfg.cpi_model == VBOARD_CPI_M4)
        vb_advance_bus(b, b->exc_tail ? vb_m4_exception_tailchain(&b->m4s)
                                      : vb_m4_exception_entry(&b->m4s));
    b->exc_tail = false;
    memset(b->it_ring, 0, sizeof b->it_ring);
}

/*
 * Exception return (B1.5.8): EXC_RETURN in the PC from BX/POP/LDR in
 * handler mode. The current exception is deactivated, the frame popped
 * from the stack EXC_RETURN names, CONTROL.SPSEL and FPCA restored from
 * it. A pending exception that can preempt the restored context is taken
 * next without running an instruction: the frame is pushed again at the
 * same place, as tail-chaining (B1.5.12) leaves it.
 */
static void vb_exc_return(vboard_t *b, uint32_t excret)
{
    vb_scs_t *c = VB_SCS(b);
    uint32_t xpsr = vb_rd(b, UC_ARM_REG_XPSR),
             control = vb_rd(b, UC_ARM_REG_CONTROL);
    uint32_t msp = vb_rd(b, UC_ARM_REG_MSP), psp = vb_rd(b, UC_ARM_REG_PSP);
    unsigned exc = xpsr & 0x1FFu, kind = excret & 0xFu;
    bool fp = !(excret & 0x10u), to_psp = kind == 0xD;
    uint32_t sp, frame = fp ? 0x68u : 0x20u, w[26];
    uint8_t buf[26 * 4];

    if ((excret & 0xFFFFFFE0u) != 0xFFFFFFE0u ||
        (kind != 1 && kind != 9 && kind != 0xD)) {
        vb_set_fault(b,
                     "exception return with invalid EXC_RETURN 0x%08x (INVPC)",
                     excret);
        return;
    }
    if (!exc || !vb_scs_deactivate(c, exc)) {
        vb_set_fault(
            b, "exception return 0x%08x from exception %u, which is not active",
            excret, exc);
        return;
    }
    sp = to_psp ? psp : msp;
    if (vboard_read_mem(b, sp, buf, frame) != 0) {
        vb_set_fault(b, "exception return: unstacking from 0x%08x failed", sp);
        return;
    }
    for (unsigned i = 0; i < frame / 4; i++)
        w[i] = fota_get_le32(&buf[4 * i]);
    if (kind != 1 && c->depth && !(c->ccr & 1u)) {
        vb_set_fault(
            b,
            "exception return to thread mode with exception %u still active "
            "(INVPC)",
            vb_scs_current(c));
        return;
    }
    sp += frame + ((w[7] >> 9) & 1u ? 4u : 0u);
    if (to_psp)
        psp = sp;
    else
        msp = sp;
    vb_wr(b, UC_ARM_REG_R0, w[0]);
    vb_wr(b, UC_ARM_REG_R1, w[1]);
    vb_wr(b, UC_ARM_REG_R2, w[2]);
    vb_wr(b, UC_ARM_REG_R3, w[3]);
    vb_wr(b, UC_ARM_REG_R12, w[4]);
    vb_wr(b, UC_ARM_REG_LR, w[5]);
    if (fp) {
        for (int i = 0; i < 8; i++) {
            uint64_t dv =
                (uint64_t)w[8 + 2 * i] | ((uint64_t)w[9 + 2 * i] << 32);

            uc_reg_write(b->uc, UC_ARM_REG_D0 + i, &dv);
        }
        vb_wr(b, UC_ARM_REG_FPSCR, w[24]);
    }
    control = (control & 1u) | (to_psp ? 2u : 0) | (fp ? 4u : 0);
    vb_cpu_set_mode(
        b, (w[7] & ~(1u << 9) & ~0x1FFu) | (kind == 1 ? (w[7] & 0x1FFu) : 0),
        control, msp, psp);
    b->resume_pc = w[6] & ~1u;
    b->exc_check = true;
    b->exc_tail = true; /* its cycles are counted by vb_exc_service */
    memset(b->it_ring, 0, sizeof b->it_ring);
}

/*
 * A synchronous exception raised by an instruction: SVCall, or a
 * UsageFault (cfsr bit). It must be taken now; when its priority cannot
 * preempt, or a fault is disabled in SHCSR, it escalates to HardFault
 * (B1.5.4, HFSR.FORCED); a fault HardFault cannot take locks the core up,
 * which stops the board.
 */
static void vb_exc_sync(vboard_t *b, unsigned exc, uint32_t ret, uint32_t cfsr)
{
    vb_scs_t *c = VB_SCS(b);
    int ep = vb_exec_prio(b);

    if (exc != 11)
        vb_scs_fault_status(c, cfsr, 0);
    if (!vb_scs_enabled(c, exc) || vb_scs_group(c, vb_scs_prio(c, exc)) >= ep) {
        if (ep <= -1) {
            vb_set_fault(
                b,
                "lockup: exception %u at pc 0x%08x with HardFault unable to "
                "preempt",
                exc, ret);
            return;
        }
        vb_scs_fault_status(c, 0, 1u << 30); /* FORCED */
        exc = 3;
    }
    vb_exc_enter(b, exc, ret);
}

/* ---------------------------------------------------------------- hooks */

static void vb_hook_stop(vboard_t *b, uc_engine *uc, uint64_t addr)
{
    b->hook_stopped = true;
    b->resume_pc = (uint32_t)addr;
    uc_emu_stop(uc);
}

/*
 * Called before every instruction. Unicorn checks for a stop request right
 * after this hook, so stopping here means the instruction at addr has not
 * run: slices end on exact instruction counts and times, and exceptions
 * are taken on instruction boundaries.
 */
static void vb_hook_code(uc_engine *uc, uint64_t addr, uint32_t size, void *ud)
{
    vboard_t *b = ud;

    if (b->nfix)
        vb_apply_fixups(b);
    bool at_pc = b->stop_pc && (uint32_t)addr == b->stop_pc &&
                 b->insns != b->run_start_insns;

    if (b->stop_req || b->insns >= b->stop_insn || b->sys.now >= b->stop_tick ||
        at_pc) {
        if (at_pc)
            b->pc_hit = true;
        vb_hook_stop(b, uc, addr);
        return;
    }
    if (b->exc_check) {
        unsigned e = vb_exc_poll(b);

        if (e && !vb_in_it_block(b)) {
            b->exc_take = e;
            vb_hook_stop(b, uc, addr);
            return;
        }
    }
    /* Single bank: an instruction fetch from flash waits for BSY to clear
     * (or for an earlier event, which is then served first). */
    if (vb_flashif_busy_until(VB_DEVST(b, VB_DEV_FLASH)) > b->sys.now &&
        vb_in_flash(addr)) {
        vb_flash_stall(b);
        if (b->stop_req) {
            vb_hook_stop(b, uc, addr);
            return;
        }
    }
    b->it_ring[b->it_pos++ & 3u] = (uint32_t)addr;
    vb_advance_insn(b, addr, size);
}

/* Data reads from flash also stall while it is busy. */
static void vb_hook_flash_read(uc_engine *uc, uc_mem_type type, uint64_t addr,
                               int size, int64_t value, void *ud)
{
    vboard_t *b = ud;

    (void)uc;
    (void)type;
    (void)size;
    (void)value;
    vb_flash_stall(b);
    if (b->cfg.cpi_model == VBOARD_CPI_M4)
        vb_advance_bus(
            b, vb_m4_flash_data(&b->m4s, (uint32_t)addr,
                                vb_flashif_acr(VB_DEVST(b, VB_DEV_FLASH))));
}

/* Stores to flash: the mapping is writable so Unicorn lets the raw value
 * through after this hook; the model decides what the cells really hold and
 * a fixup restores that before the next instruction. */
static void vb_hook_flash_write(uc_engine *uc, uc_mem_type type, uint64_t addr,
                                int size, int64_t value, void *ud)
{
    vboard_t *b = ud;
    uint32_t a = (uint32_t)addr;

    (void)uc;
    (void)type;
    if (a < FOTA_FLASH_SIZE)
        a += FOTA_FLASH_BASE;
    if (size <= 0 || size > 8 || a + (uint32_t)size > FOTA_FLASH_END)
        return;
    vb_flash_stall(b);
    vb_flashif_store(&b->sys, VB_DEVST(b, VB_DEV_FLASH), a, (unsigned)size,
                     (uint64_t)value);
    if (b->nfix < VB_MAX_FIXUPS) {
        vb_fixup_t *fx = &b->fix[b->nfix++];

        fx->addr = a;
        fx->len = (uint32_t)size;
        memcpy(fx->bytes, &b->flash->mem[a - FOTA_FLASH_BASE], (size_t)size);
    }
}

/* CPU exceptions as the CPU model numbers them (its EXCP_* values). */
enum {
    VB_EXCP_UDEF = 1,
    VB_EXCP_SWI = 2,
    VB_EXCP_PREFETCH_ABORT = 3,
    VB_EXCP_BKPT = 7,
    VB_EXCP_EXCEPTION_EXIT = 8,
    VB_EXCP_NOCP = 17,
    VB_EXCP_INVSTATE = 18,
    VB_EXCP_UNALIGNED = 22,
    VB_EXCP_DIVBYZERO = 23,
};

/* CFSR UsageFault bits (B3.2.15). */
#define VB_UFSR_UNDEFINSTR (1u << 16)
#define VB_UFSR_INVSTATE (1u << 17)
#define VB_UFSR_NOCP (1u << 19)
#define VB_UFSR_UNALIGNED (1u << 24)
#define VB_UFSR_DIVBYZERO (1u << 25)

/* The CPU model raises its exceptions here instead of taking them: the
 * board takes them (between slices) with its own exception model. */
static void vb_hook_intr(uc_engine *uc, uint32_t intno, void *ud)
{
    vboard_t *b = ud;
    uint32_t pc = 0, ipsr;
    uint8_t op[2] = {0, 0};

    uc_reg_read(uc, UC_ARM_REG_PC, &pc);
    ipsr = vb_rd(b, UC_ARM_REG_IPSR) & 0x1FFu;
    uc_emu_stop(uc);
    b->hook_stopped = true;
    b->resume_pc = pc;
    switch (intno) {
    case VB_EXCP_BKPT: /* the PC points at the BKPT */
        vboard_read_mem(b, pc & ~1u, op, 2);
        if (op[1] == 0xBE) {
            b->halted = true;
            b->halt_code = op[0];
            return;
        }
        break;
    case VB_EXCP_EXCEPTION_EXIT:
        b->exc_return = pc | 1u;
        return;
    case VB_EXCP_PREFETCH_ABORT:
        if (ipsr && pc >= 0xFFFFFF00u) { /* EXC_RETURN seen as a fetch */
            b->exc_return = pc | 1u;
            return;
        }
        vb_set_fault(
            b,
            "instruction fetch from 0x%08x (prefetch abort; bus faults are "
            "not delivered to the firmware)",
            pc);
        return;
    case VB_EXCP_SWI: /* the PC is the return address, after the SVC */
        b->sync_exc = 11;
        b->sync_pc = pc;
        return;
    case VB_EXCP_UDEF:
        b->sync_exc = 6;
        b->sync_cfsr = VB_UFSR_UNDEFINSTR;
        break;
    case VB_EXCP_INVSTATE:
        b->sync_exc = 6;
        b->sync_cfsr = VB_UFSR_INVSTATE;
        break;
    case VB_EXCP_NOCP:
        b->sync_exc = 6;
        b->sync_cfsr = VB_UFSR_NOCP;
        break;
    case VB_EXCP_UNALIGNED:
        b->sync_exc = 6;
        b->sync_cfsr = VB_UFSR_UNALIGNED;
        break;
    case VB_EXCP_DIVBYZERO:
        b->sync_exc = 6;
        b->sync_cfsr = VB_UFSR_DIVBYZERO;
        break;
    default:
        break;
    }
    if (b->sync_exc ==
        6) { /* UsageFault: the return address is the instruction */
        b->sync_pc = pc;
        return;
    }
    vb_set_fault(b, "exception %u at pc 0x%08x (not modelled)", intno, pc);
}

static bool vb_hook_bad(uc_engine *uc, uc_mem_type type, uint64_t addr,
                        int size, int64_t value, void *ud)
{
    vboard_t *b = ud;
    uint32_t pc = 0;

    (void)size;
    (void)value;
    uc_reg_read(uc, UC_ARM_REG_PC, &pc);
    if (type == UC_MEM_FETCH_UNMAPPED && addr >= 0xFFFFFF00u &&
        (vb_rd(b, UC_ARM_REG_IPSR) & 0x1FFu)) {
        /* EXC_RETURN reached as an instruction fetch in handler mode. */
        b->exc_return = (uint32_t)addr | 1u;
        b->hook_stopped = true;
        uc_emu_stop(uc);
        return false;
    }
    vb_set_fault(
        b, "bus fault: %s at 0x%08x (pc 0x%08x)",
        type == UC_MEM_FETCH_UNMAPPED || type == UC_MEM_FETCH_PROT   ? "fetch"
        : type == UC_MEM_WRITE_UNMAPPED || type == UC_MEM_WRITE_PROT ? "write"
                                                                     : "read",
        (uint32_t)addr, pc);
    return false;
}

static uint64_t vb_mmio_read_periph(uc_engine *uc, uint64_t off, unsigned size,
                                    void *ud)
{
    vboard_t *b = ud;

    (void)uc;
    if (b->cfg.cpi_model == VBOARD_CPI_M4)
        vb_advance_bus(
            b, vb_m4_periph(&b->m4s, VB_PERIPH_BASE + (uint32_t)off, false));
    return vb_bus_read(b, VB_PERIPH_BASE + (uint32_t)off, size);
}

static void vb_mmio_write_periph(uc_engine *uc, uint64_t off, unsigned size,
                                 uint64_t value, void *ud)
{
    vboard_t *b = ud;

    (void)uc;
    if (b->cfg.cpi_model == VBOARD_CPI_M4)
        vb_advance_bus(
            b, vb_m4_periph(&b->m4s, VB_PERIPH_BASE + (uint32_t)off, true));
    vb_bus_write(b, VB_PERIPH_BASE + (uint32_t)off, (uint32_t)value, size);
}

static uint64_t vb_mmio_read_ppb(uc_engine *uc, uint64_t off, unsigned size,
                                 void *ud)
{
    (void)uc;
    return vb_bus_read(ud, VB_PPB_BASE + (uint32_t)off, size);
}

static void vb_mmio_write_ppb(uc_engine *uc, uint64_t off, unsigned size,
                              uint64_t value, void *ud)
{
    (void)uc;
    vb_bus_write(ud, VB_PPB_BASE + (uint32_t)off, (uint32_t)value, size);
}
/* A fresh CPU for every reset: it also throws away translated code, so
 * code in flash that changed while the board was off is fetched anew. */
static int vb_engine_open(vboard_t *b)
{
    uc_engine *uc = NULL;
    uc_err e;

    if (b->uc) {
        uc_close(b->uc);
        b->uc = NULL;
    }
    e = uc_open(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS, &uc);
    if (e != UC_ERR_OK)
        return FOTA_ERR_IO;
    uc_ctl_set_cpu_model(uc, UC_CPU_ARM_CORTEX_M4);
    e = uc_mem_map_ptr(uc, FOTA_FLASH_BASE, FOTA_FLASH_SIZE, UC_PROT_ALL,
                       b->flash->mem);
    if (!e)
        e = uc_mem_map_ptr(uc, 0, FOTA_FLASH_SIZE, UC_PROT_ALL, b->flash->mem);
    if (!e)
        e = uc_mem_map_ptr(uc, VB_SRAM_BASE, VB_SRAM_SIZE, UC_PROT_ALL,
                           b->sram);
    if (!e)
        e = uc_mem_map_ptr(uc, VB_CCM_BASE, VB_CCM_SIZE,
                           UC_PROT_READ | UC_PROT_WRITE, b->ccm);
    if (!e)
        e = uc_mem_map_ptr(uc, VB_SYS_BASE, VB_SYS_SIZE,
                           UC_PROT_READ | UC_PROT_EXEC, b->sys_mem);
    if (!e)
        e = uc_mem_map_ptr(uc, VB_OPT_BASE, VB_OPT_SIZE, UC_PROT_READ, b->opt);
    if (!e)
        e = uc_mmio_map(uc, VB_PERIPH_BASE, VB_PERIPH_SIZE, vb_mmio_read_periph,
                        b, vb_mmio_write_periph, b);
    if (!e)
        e = uc_mmio_map(uc, VB_PPB_BASE, VB_PPB_SIZE, vb_mmio_read_ppb, b,
                        vb_mmio_write_ppb, b);
    if (!e)
        e = uc_hook_add(uc, &b->h_code, UC_HOOK_CODE, (void *)vb_hook_code, b,
                        1, 0);
    if (!e)
        e = uc_hook_add(uc, &b->h_fwrite, UC_HOOK_MEM_WRITE,
                        (void *)vb_hook_flash_write, b, 0, FOTA_FLASH_SIZE - 1);
    if (!e)
        e = uc_hook_add(uc, &b->h_fwrite, UC_HOOK_MEM_WRITE,
                        (void *)vb_hook_flash_write, b, FOTA_FLASH_BASE,
                        FOTA_FLASH_END - 1);
    if (!e)
        e = uc_hook_add(uc, &b->h_fread, UC_HOOK_MEM_READ,
                        (void *)vb_hook_flash_read, b, 0, FOTA_FLASH_SIZE - 1);
    if (!e)
        e = uc_hook_add(uc, &b->h_fread, UC_HOOK_MEM_READ,
                        (void *)vb_hook_flash_read, b, FOTA_FLASH_BASE,
                        FOTA_FLASH_END - 1);
    if (!e)
        e = uc_hook_add(uc, &b->h_intr, UC_HOOK_INTR, (void *)vb_hook_intr, b,
                        1, 0);
    if (!e)
        e = uc_hook_add(uc, &b->h_bad, UC_HOOK_MEM_INVALID, (void *)vb_hook_bad,
                        b, 1, 0);
    if (e) {
        uc_close(uc);
        return FOTA_ERR_IO;
    }
    b->uc = uc;
    return 0;
}

static uint32_t vb_junk(vboard_t *b)
{
    return fota_prng_next(&b->junk_state);
}

static void vb_fill_junk(vboard_t *b, uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 4 <= n; i += 4)
        fota_put_le32(&p[i], vb_junk(b));
}

static void vb_init_sysmem(vboard_t *b)
{
    memset(b->sys_mem, 0xFF, VB_SYS_SIZE);
    memset(b->opt, 0xFF, VB_OPT_SIZE);
    /* Unique device ID (0x1FFF7A10, 96 bits) and flash size in KiB. */
    fota_put_le32(&b->sys_mem[0x7A10], 0x00300041u);
    fota_put_le32(&b->sys_mem[0x7A14], 0x3137510Eu);
    fota_put_le32(&b->sys_mem[0x7A18], 0x33383339u);
    b->sys_mem[0x7A22] = (uint8_t)(1024 & 0xFF);
    b->sys_mem[0x7A23] = (uint8_t)(1024 >> 8);
    /* Option bytes: RDP level 0 (0xAA), USER 0xEC, no sector protected. */
    b->opt[0] = 0xEC;
    b->opt[1] = 0xAA;
    b->opt[2] = 0x13;
    b->opt[3] = 0x55;
    b->opt[8] = 0xFF;
    b->opt[9] = 0x0F;
    b->opt[10] = 0x00;
    b->opt[11] = 0xF0;
}

void vboard_config_default(vboard_config_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->flash_timing = SIM_FLASH_TYPICAL;
    cfg->hse_startup_us = 2000;
    cfg->pll_lock_us = 100;
    cfg->junk_seed = 0xC0FFEEu;
    cfg->nss_high = true;
    cfg->cpi_model = VBOARD_CPI_M4;
    cfg->cpi_model = VBOARD_CPI_M4;
}

vboard_t *vboard_create(const vboard_config_t *cfg)
{
    vboard_t *b = calloc(1, sizeof *b);
    bool ok = true;

    if (!b)
        return NULL;
    if (cfg)
        b->cfg = *cfg;
    else
        vboard_config_default(&b->cfg);
    b->flash = malloc(sizeof *b->flash);
    b->sram = malloc(VB_SRAM_SIZE);
    b->ccm = malloc(VB_CCM_SIZE);
    b->sys_mem = malloc(VB_SYS_SIZE);
    b->opt = malloc(VB_OPT_SIZE);
    b->shadow_periph = calloc(1, VB_PERIPH_SIZE);
    b->shadow_ppb = calloc(1, VB_PPB_SIZE);
    for (unsigned u = 1; u < 3; u++) {
        b->uart[u].cap = 4096;
        b->uart[u].out = malloc(b->uart[u].cap);
        ok = ok && b->uart[u].out;
    }
    for (unsigned i = 0; i < vb_ndevices && i < VB_MAX_DEVICES; i++) {
        const vb_dev_t *d = &vb_devices[i];

        b->dev[i] = calloc(1, d->cls->state_size);
        ok = ok && b->dev[i];
        if (d->base >= VB_PERIPH_BASE &&
            d->base < VB_PERIPH_BASE + VB_PERIPH_SIZE)
            for (uint32_t a = d->base; a < d->base + d->size; a += 0x400u)
                b->periph_page[(a - VB_PERIPH_BASE) / 0x400u] =
                    (uint8_t)(i + 1);
    }
    if (b->cfg.cpi_model == VBOARD_CPI_M4)
        ok = ok && (b->m4 = vb_m4_create(vb_m4_reg, b)) != NULL;
    if (vb_ndevices > VB_MAX_DEVICES || !ok || !b->flash || !b->sram ||
        !b->ccm || !b->sys_mem || !b->opt || !b->shadow_periph ||
        !b->shadow_ppb) {
        vboard_destroy(b);
        return NULL;
    }
    b->uart[1].out[0] = b->uart[2].out[0] = '\0';
    sim_flash_init(b->flash, (enum sim_flash_timing)b->cfg.flash_timing);
    b->junk_state = b->cfg.junk_seed ? b->cfg.junk_seed : 0xC0FFEEu;
    vb_fill_junk(b, b->sram, VB_SRAM_SIZE);
    vb_fill_junk(b, b->ccm, VB_CCM_SIZE);
    vb_init_sysmem(b);
    b->sys.ops = &s_ops;
    b->sys.cfg = &b->cfg;
    b->sys.flash = b->flash;
    b->sys.opt = b->opt;
    b->sys.nss_high = b->cfg.nss_high;
    b->sys.tpc = (uint32_t)(VB_TICK_HZ / VB_HSI_HZ);
    b->sys.hclk_hz = VB_HSI_HZ;
    b->spi_hz = 8000000u;
    b->halt_code = -1;
    if (getenv("VBOARD_SPI_TRACE") && getenv("VBOARD_SPI_TRACE")[0] == '1')
        b->spi_trace = stderr;
    return b;
}

void vboard_destroy(vboard_t *b)
{
    if (!b)
        return;
    if (b->uc)
        uc_close(b->uc);
    vb_m4_destroy(b->m4);
    free(b->flash);
    free(b->sram);
    free(b->ccm);
    free(b->sys_mem);
    free(b->opt);
    free(b->shadow_periph);
    free(b->shadow_ppb);
    for (unsigned u = 0; u < 3; u++)
        free(b->uart[u].out);
    for (unsigned i = 0; i < VB_MAX_DEVICES; i++)
        free(b->dev[i]);
    free(b->led_log);
    free(b);
}

sim_flash_t *vboard_flash(vboard_t *b)
{
    return b->flash;
}

/* Pointer to len bytes of backing store at addr, or NULL. */
static uint8_t *vb_backing(const vboard_t *b, uint32_t addr, size_t len)
{
    struct {
        uint32_t base, size;
        uint8_t *p;
    } r[] = {
        {FOTA_FLASH_BASE, FOTA_FLASH_SIZE, b->flash->mem},
        {0, FOTA_FLASH_SIZE, b->flash->mem},
        {VB_SRAM_BASE, VB_SRAM_SIZE, b->sram},
        {VB_CCM_BASE, VB_CCM_SIZE, b->ccm},
        {VB_SYS_BASE, VB_SYS_SIZE, b->sys_mem},
        {VB_OPT_BASE, VB_OPT_SIZE, b->opt},
    };

    for (size_t i = 0; i < sizeof r / sizeof r[0]; i++)
        if (addr >= r[i].base && addr - r[i].base <= r[i].size &&
            len <= r[i].size - (addr - r[i].base))
            return r[i].p + (addr - r[i].base);
    return NULL;
}

int vboard_read_mem(const vboard_t *b, uint32_t addr, void *dst, size_t len)
{
    const uint8_t *p = vb_backing(b, addr, len);

    if (!p)
        return FOTA_ERR_RANGE;
    memcpy(dst, p, len);
    return 0;
}

int vboard_write_mem(vboard_t *b, uint32_t addr, const void *src, size_t len)
{
    uint8_t *p = NULL;

    if ((addr >= VB_SRAM_BASE && addr < VB_SRAM_BASE + VB_SRAM_SIZE) ||
        (addr >= VB_CCM_BASE && addr < VB_CCM_BASE + VB_CCM_SIZE))
        p = vb_backing(b, addr, len);
    if (!p)
        return FOTA_ERR_RANGE;
    memcpy(p, src, len);
    return 0;
}

int vboard_program_flash(vboard_t *b, uint32_t addr, const void *src,
                         size_t len)
{
    const uint8_t *s = src;

    if (addr < FOTA_FLASH_BASE || addr > FOTA_FLASH_END ||
        len > FOTA_FLASH_END - addr)
        return FOTA_ERR_RANGE;
    for (size_t i = 0; i < len; i++)
        b->flash->mem[addr - FOTA_FLASH_BASE + i] &= s[i];
    return 0;
}

static uint8_t *vb_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    long n;

    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
        fseek(f, 0, SEEK_SET) == 0) {
        buf = malloc((size_t)n + 1);
        if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
            free(buf);
            buf = NULL;
        }
        *len = (size_t)n;
    }
    fclose(f);
    return buf;
}

int vboard_load_elf(vboard_t *b, const char *path)
{
    size_t len = 0;
    uint8_t *e = vb_read_file(path, &len);
    int rc = 0;

    if (!e)
        return FOTA_ERR_IO;
    /* ELF32, little-endian, ARM (machine 40), with program headers. */
    if (len < 52 || memcmp(e, "\177ELF", 4) != 0 || e[4] != 1 || e[5] != 1 ||
        fota_get_le16(&e[18]) != 40) {
        rc = FOTA_ERR_CORRUPT;
        goto out;
    }
    uint32_t phoff = fota_get_le32(&e[28]);
    uint16_t phentsize = fota_get_le16(&e[42]);
    uint16_t phnum = fota_get_le16(&e[44]);

    if (phentsize < 32 || phoff > len ||
        (size_t)phnum * phentsize > len - phoff) {
        rc = FOTA_ERR_CORRUPT;
        goto out;
    }
    for (unsigned i = 0; i < phnum; i++) {
        const uint8_t *ph = &e[phoff + (size_t)i * phentsize];
        uint32_t type = fota_get_le32(&ph[0]);
        uint32_t off = fota_get_le32(&ph[4]);
        uint32_t paddr = fota_get_le32(&ph[12]);
        uint32_t filesz = fota_get_le32(&ph[16]);

        if (type != 1 || filesz == 0) /* PT_LOAD with data */
            continue;
        if (off > len || filesz > len - off) {
            rc = FOTA_ERR_CORRUPT;
            goto out;
        }
        if (paddr >= FOTA_FLASH_BASE && paddr < FOTA_FLASH_END)
            rc = vboard_program_flash(b, paddr, &e[off], filesz);
        else
            rc = vboard_write_mem(b, paddr, &e[off], filesz);
        if (rc)
            goto out;
    }
out:
    free(e);
    return rc;
}

int vboard_load_bin(vboard_t *b, const char *path, uint32_t addr)
{
    size_t len = 0;
    uint8_t *bin = vb_read_file(path, &len);
    int rc;

    if (!bin)
        return FOTA_ERR_IO;
    rc = vboard_program_flash(b, addr, bin, len);
    free(bin);
    return rc;
}

int vboard_load_flash_image(vboard_t *b, const char *path)
{
    size_t len = 0;
    uint8_t *img = vb_read_file(path, &len);
    int rc = 0;

    if (!img)
        return FOTA_ERR_IO;
    if (len > FOTA_FLASH_SIZE) {
        rc = FOTA_ERR_RANGE;
        goto out;
    }
    memset(b->flash->mem, FOTA_FLASH_ERASED, FOTA_FLASH_SIZE);
    memcpy(b->flash->mem, img, len);
out:
    free(img);
    return rc;
}

int vboard_save_flash_image(const vboard_t *b, const char *path)
{
    FILE *f = fopen(path, "wb");
    int rc = 0;

    if (!f)
        return FOTA_ERR_IO;
    if (fwrite(b->flash->mem, 1, FOTA_FLASH_SIZE, f) != FOTA_FLASH_SIZE)
        rc = FOTA_ERR_IO;
    if (fclose(f) != 0)
        rc = FOTA_ERR_IO;
    return rc;
}

static void vb_devices_reset(vboard_t *b, bool power_on)
{
    b->sys.drq = 0;
    b->sys.hclk_hz = VB_HSI_HZ;
    b->sys.tpc = (uint32_t)(VB_TICK_HZ / VB_HSI_HZ);
    for (unsigned i = 0; i < vb_ndevices; i++)
        vb_devices[i].cls->reset(&b->sys, &vb_devices[i], b->dev[i], power_on);
    b->tb_flush_lo = b->tb_flush_hi = 0;
    memset(b->shadow_periph, 0, VB_PERIPH_SIZE);
    memset(b->shadow_ppb, 0, VB_PPB_SIZE);
}

void vboard_reset(vboard_t *b, enum vboard_reset_kind kind)
{
    uint8_t vec[8];
    uint32_t sp, pc;

    vb_flashif_tear(&b->sys, VB_DEVST(b, VB_DEV_FLASH));
    if (kind == VBOARD_RESET_POWER) {
        /* SRAM and CCM lose their content; nothing of the old state is
         * trustworthy afterwards, which the firmware must cope with. */
        vb_fill_junk(b, b->sram, VB_SRAM_SIZE);
        vb_fill_junk(b, b->ccm, VB_CCM_SIZE);
        b->sys.reset_flags = VBOARD_RST_POR | VBOARD_RST_PIN | VBOARD_RST_BOR;
        b->power_cuts += b->powered ? 1 : 0;
        b->powered = true;
    } else {
        b->sys.reset_flags |= VBOARD_RST_PIN;
    }
    b->nfix = 0;
    vb_devices_reset(b, kind == VBOARD_RESET_POWER);
    b->insns = 0;
    b->cycles = 0;
    vb_m4_state_reset(&b->m4s);
    b->halted = false;
    b->halt_code = -1;
    b->fault[0] = '\0';
    b->stop_req = false;
    b->reset_pending = false;
    b->iwdg_reset_pending = false;
    b->power_cut_pending = false;
    b->exc_check = false;
    b->exc_take = 0;
    b->exc_return = 0;
    b->exc_tail = false;
    b->sync_exc = 0;
    memset(b->it_ring, 0, sizeof b->it_ring);
    b->resets++;
    if (vb_engine_open(b) != 0) {
        vb_set_fault(b, "cpu engine failed to start");
        b->halted = true;
        return;
    }
    vboard_read_mem(b, 0, vec, sizeof vec);
    sp = fota_get_le32(&vec[0]);
    pc = fota_get_le32(&vec[4]);
    uc_reg_write(b->uc, UC_ARM_REG_SP, &sp);
    uc_reg_write(b->uc, UC_ARM_REG_MSP, &sp);
    b->resume_pc = pc & ~1u;
}

/* Internal reset requests (SYSRESETREQ, IWDG, armed flash cut). */
static void vb_take_pending_resets(vboard_t *b)
{
    if (b->power_cut_pending) {
        vboard_reset(b, VBOARD_RESET_POWER);
    } else if (b->iwdg_reset_pending) {
        b->sys.reset_flags |= VBOARD_RST_IWDG | VBOARD_RST_PIN;
        vboard_reset(b, VBOARD_RESET_PIN);
    } else if (b->reset_pending) {
        b->sys.reset_flags |= VBOARD_RST_SFT | VBOARD_RST_PIN;
        vboard_reset(b, VBOARD_RESET_PIN);
    }
}

/* Exceptions raised or returned from in the last slice, and the pending
 * one that can be taken now (tail-chaining included). */
static void vb_exc_service(vboard_t *b)
{
    if (b->exc_return) {
        uint32_t r = b->exc_return;

        b->exc_return = 0;
        vb_exc_return(b, r);
    }
    if (b->sync_exc) {
        unsigned e = b->sync_exc;

        b->sync_exc = 0;
        vb_exc_sync(b, e, b->sync_pc, b->sync_cfsr);
    }
    if (b->exc_take) {
        b->exc_take = 0;
        b->exc_check = true; /* re-evaluated below at this boundary */
    }
    while (!b->fault[0] && b->exc_check) {
        unsigned e = vb_exc_poll(b);

        if (!e || vb_in_it_block(b))
            break;
        vb_exc_enter(b, e, b->resume_pc);
    }
    /* A return not tail-chained: Cortex-M4 TRM 5.5.1, 10 cycles. */
    if (b->exc_tail && b->cfg.cpi_model == VBOARD_CPI_M4)
        vb_advance_bus(b, vb_m4_exception_exit(&b->m4s));
    b->exc_tail = false;
}

/* Whether a pending exception wakes a WFI (its priority is above the
 * execution priority, PRIMASK aside: B1.5.19). */
static bool vb_wfi_wakes(vboard_t *b)
{
    vb_scs_t *c = VB_SCS(b);
    unsigned e = vb_scs_best_pending(c);

    return e && vb_scs_group(c, vb_scs_prio(c, e)) <
                    vb_scs_exec_prio(c, 0, vb_rd(b, UC_ARM_REG_BASEPRI),
                                     vb_rd(b, UC_ARM_REG_FAULTMASK));
}

/*
 * Run the CPU until the clock reaches until_tick, the instruction counter
 * reaches until_insn, or a stop condition (PC, UART text, halt, fault).
 * Between slices, timed peripheral events (watchdog expiry, clock switch,
 * SysTick, UART) are serviced and exceptions are taken.
 */
static int vb_exec(vboard_t *b, uint64_t until_tick, uint64_t until_insn)
{
    if (!b->powered)
        vboard_reset(b, VBOARD_RESET_POWER);
    for (;;) {
        if (b->reset_pending || b->iwdg_reset_pending || b->power_cut_pending) {
            bool cut = b->power_cut_pending;

            vb_take_pending_resets(b);
            if (cut)
                return VBOARD_STOP_TIME;
        }
        if (b->pc_hit)
            return VBOARD_STOP_PC;
        if (b->uart_hit)
            return VBOARD_STOP_UART;
        if (b->fault[0])
            return VBOARD_STOP_FAULT;
        if (b->halted)
            return VBOARD_STOP_HALT;
        if (!b->nrst_low && b->uc)
            vb_exc_service(b);
        if (b->fault[0])
            return VBOARD_STOP_FAULT;
        if (b->sys.now >= until_tick)
            return VBOARD_STOP_TIME;
        if (b->insns >= until_insn)
            return VBOARD_STOP_INSNS;

        uint64_t ev = vb_next_event(b);

        if (ev <= b->sys.now) {
            vb_service_events(b);
            continue;
        }
        if (b->nrst_low) {
            /* Held in reset: time passes, nothing runs. */
            if (until_tick == VB_NEVER)
                return VBOARD_STOP_IDLE;
            b->sys.now = until_tick;
            continue;
        }
        b->stop_tick = until_tick < ev ? until_tick : ev;
        b->stop_insn = until_insn;
        b->hook_stopped = false;
        b->stop_req = false;

        uc_err e = uc_emu_start(b->uc, b->resume_pc | 1u, 1, 0, 0);

        if (b->nfix)
            vb_apply_fixups(b);
        if (b->tb_flush_hi) {
            /* Flash changed under code that may have been translated. */
            uc_ctl_remove_cache(b->uc, b->tb_flush_lo, b->tb_flush_hi);
            uc_ctl_remove_cache(b->uc, b->tb_flush_lo - FOTA_FLASH_BASE,
                                b->tb_flush_hi - FOTA_FLASH_BASE);
            vb_m4_invalidate(b->m4, b->tb_flush_lo, b->tb_flush_hi);
            b->tb_flush_lo = b->tb_flush_hi = 0;
        }
        if (b->halted || b->fault[0] || b->pc_hit)
            continue;
        if (b->exc_return || b->sync_exc)
            continue;
        if (e != UC_ERR_OK) {
            uint32_t pc = 0;

            uc_reg_read(b->uc, UC_ARM_REG_PC, &pc);
            vb_set_fault(b, "cpu stopped: %s at pc 0x%08x", uc_strerror(e), pc);
            continue;
        }
        if (!b->hook_stopped) {
            /* Unicorn returns on WFI: the core sleeps until an exception
             * that can wake it is pending or the next board event. */
            uint32_t pc = 0;

            uc_reg_read(b->uc, UC_ARM_REG_PC, &pc);
            b->resume_pc = pc;
            if (vb_wfi_wakes(b))
                continue;
            if (b->stop_tick == VB_NEVER)
                return VBOARD_STOP_IDLE;
            b->sys.now = b->stop_tick;
        }
    }
}

int vboard_run(vboard_t *b, const vboard_until_t *u)
{
    uint64_t until_tick = VB_NEVER, until_insn = VB_NEVER;
    int rc;

    if (!u || (!u->max_ns && !u->max_insns && !u->pc && !u->uart_text))
        return FOTA_ERR_INVAL;
    if (!b->powered)
        vboard_reset(b, VBOARD_RESET_POWER);
    if (u->max_ns)
        until_tick = b->sys.now + VB_NS_TO_TICKS(u->max_ns);
    if (u->max_insns)
        until_insn = b->insns + u->max_insns;
    b->stop_pc = u->pc & ~1u;
    b->run_start_insns = b->insns;
    b->pc_hit = false;
    b->uart_wait = u->uart_text;
    b->uart_match_from = b->uart[1].len;
    b->uart_hit = false;
    rc = vb_exec(b, until_tick, until_insn);
    b->stop_pc = 0;
    b->pc_hit = false;
    b->uart_wait = NULL;
    b->uart_hit = false;
    return rc;
}

int vboard_run_ns(vboard_t *b, uint64_t ns)
{
    vboard_until_t u = {.max_ns = ns ? ns : 1};

    return vboard_run(b, &u);
}

int vboard_run_insns(vboard_t *b, uint64_t n)
{
    vboard_until_t u = {.max_insns = n ? n : 1};

    if (!n)
        return VBOARD_STOP_INSNS;
    return vboard_run(b, &u);
}

uint64_t vboard_power_cut_after(vboard_t *b, uint64_t n)
{
    uint64_t start;

    if (!b->powered)
        vboard_reset(b, VBOARD_RESET_POWER);
    start = b->insns_total;
    if (n)
        vboard_run_insns(b, n);
    start = b->insns_total - start;
    vboard_reset(b, VBOARD_RESET_POWER);
    return start;
}

void vboard_arm_flash_cut(vboard_t *b, uint64_t op, enum sim_cut_mode mode,
                          uint32_t seed)
{
    sim_flash_arm_cut(b->flash, op, mode, seed, NULL);
}

bool vboard_stall_for_flash(vboard_t *b)
{
    uint64_t t = b->sys.now;

    vb_flash_stall(b);
    /* vb_flash_stall asks a running CPU to stop when an event comes first;
     * nothing runs here, the next vboard_run serves the event. */
    b->stop_req = false;
    return b->sys.now != t;
}

uint64_t vboard_power_cuts(const vboard_t *b)
{
    return b->power_cuts;
}

void vboard_set_nrst(vboard_t *b, bool low)
{
    if (b->nrst_low && !low) {
        b->nrst_low = false;
        b->sys.reset_flags |= VBOARD_RST_PIN;
        vboard_reset(b, VBOARD_RESET_PIN);
        return;
    }
    if (low && !b->nrst_low) {
        /* Everything stops while NRST is low, the watchdog included. */
        vb_flashif_tear(&b->sys, VB_DEVST(b, VB_DEV_FLASH));
        vb_iwdg_halt(VB_DEVST(b, VB_DEV_IWDG));
    }
    b->nrst_low = low;
}

/* A pin's level changed: EXTI sees the edge on the line of that pin
 * number when SYSCFG routes the port there (RM0090 12.2.5). The SYSCFG
 * clock only gates its registers; the routing it holds stays in effect. */
static void vb_pin_edge(vboard_t *b, unsigned port, unsigned pin, int before)
{
    int after = vboard_get_pin(b, port, pin);

    if (after == before ||
        vb_syscfg_exti_port(b->dev[VB_DEV_SYSCFG], pin) != port)
        return;
    vb_exti_edge(&b->sys, &vb_devices[VB_DEV_EXTI], b->dev[VB_DEV_EXTI], pin,
                 after > before);
}

void vboard_set_nss(vboard_t *b, bool high)
{
    int before = vboard_get_pin(b, 0, 4);

    b->sys.nss_high = high;
    vb_pin_edge(b, 0, 4, before);
}

void vboard_spi_set_cs(vboard_t *b, bool asserted)
{
    vboard_set_nss(b, !asserted);
}

void vboard_set_pin(vboard_t *b, unsigned port, unsigned pin, int level)
{
    int before;

    if (port >= 5 || pin >= 16)
        return;
    before = vboard_get_pin(b, port, pin);
    if (port == 0 && pin == 4 && level >= 0)
        b->sys.nss_high = level != 0;
    else
        vb_gpio_drive(b->dev[VB_DEV_GPIOA + port], pin, level);
    vb_pin_edge(b, port, pin, before);
}

int vboard_get_pin(const vboard_t *b, unsigned port, unsigned pin)
{
    if (port >= 5 || pin >= 16)
        return FOTA_ERR_INVAL;
    return vb_gpio_level(&b->sys, &vb_devices[VB_DEV_GPIOA + port],
                         b->dev[VB_DEV_GPIOA + port], pin);
}

void vboard_spi_set_hz(vboard_t *b, uint32_t hz)
{
    if (hz)
        b->spi_hz = hz;
}

/* Let the firmware run for ticks of simulated time (one SPI byte). */
void vb_run_ticks(vboard_t *b, uint64_t ticks)
{
    uint64_t until = b->sys.now + ticks;

    while (b->sys.now < until) {
        int rc = vb_exec(b, until, VB_NEVER);

        if (rc == VBOARD_STOP_HALT || rc == VBOARD_STOP_FAULT ||
            rc == VBOARD_STOP_IDLE) {
            b->sys.now = until; /* a dead CPU does not stop the clock */
            break;
        }
    }
}

/*
 * One byte clocked by the master: the slave's half at the first edge, the
 * firmware running for the byte's eight SCK periods, the other half after
 * the eighth.
 */
int vboard_spi_xfer(vboard_t *b, const uint8_t *tx, uint8_t *rx, size_t len)
{
    uint64_t byte_ticks;
    const vb_dev_t *d = &vb_devices[VB_DEV_SPI1];
    void *spi = b->dev[VB_DEV_SPI1];

    if (!b->spi_hz)
        return FOTA_ERR_INVAL;
    if (!b->powered)
        vboard_reset(b, VBOARD_RESET_POWER);
    byte_ticks = (8u * VB_TICK_HZ + b->spi_hz / 2) / b->spi_hz;
    /* Byte i ends at t0 + (i + 1) byte times: the master's clock does not
     * drift when the CPU's last instruction of a byte ends after it (cycle
     * timing: instructions take several cycles). */
    uint64_t end = b->sys.now;

    for (size_t i = 0; i < len; i++) {
        uint8_t mosi = tx ? tx[i] : 0x00, miso = 0xFF;
        bool stale = false, lost = false;

        end += byte_ticks;
        if (!vb_spi_byte_begin(&b->sys, d, spi, &stale)) {
            if (b->spi_trace)
                fprintf(b->spi_trace,
                        "spi %12.3f us mosi %02x miso ff (slave inactive)\n",
                        (double)vboard_now_ns(b) / 1e3, mosi);
            vb_run_ticks(b, end > b->sys.now ? end - b->sys.now : 0);
        } else {
            vb_run_ticks(b, end > b->sys.now ? end - b->sys.now : 0);
            miso = vb_spi_byte_end(&b->sys, d, spi, mosi, &lost);
            if (b->spi_trace)
                fprintf(b->spi_trace, "spi %12.3f us mosi %02x miso %02x%s%s\n",
                        (double)vboard_now_ns(b) / 1e3, mosi, miso,
                        stale ? " stale" : "", lost ? " OVERRUN" : "");
        }
        if (rx)
            rx[i] = miso;
    }
    return 0;
}

void vboard_spi_trace(vboard_t *b, FILE *f)
{
    b->spi_trace = f;
}

void vboard_spi_stats(const vboard_t *b, uint64_t *bytes, uint64_t *overruns,
                      uint64_t *stale)
{
    vb_spi_stats(b->dev[VB_DEV_SPI1], bytes, overruns, stale);
}

const char *vboard_uart_output(const vboard_t *b, size_t *len)
{
    if (len)
        *len = b->uart[1].len;
    return b->uart[1].out;
}

void vboard_uart_clear(vboard_t *b)
{
    b->uart[1].len = 0;
    b->uart_match_from = 0;
    b->uart[1].out[0] = '\0';
}

void vboard_uart_set_sink(vboard_t *b, void (*sink)(void *ctx, uint8_t byte),
                          void *ctx)
{
    b->uart_sink = sink;
    b->uart_sink_ctx = ctx;
}

int vboard_uart_send(vboard_t *b, const void *data, size_t len)
{
    return vb_usart_rx_push(&b->sys, &vb_devices[VB_DEV_USART1],
                            b->dev[VB_DEV_USART1], data, len);
}

const char *vboard_uart2_output(const vboard_t *b, size_t *len)
{
    if (len)
        *len = b->uart[2].len;
    return b->uart[2].out;
}

void vboard_uart2_set_sink(vboard_t *b, void (*sink)(void *ctx, uint8_t byte),
                           void *ctx)
{
    b->uart2_sink = sink;
    b->uart2_sink_ctx = ctx;
}

uint64_t vboard_exceptions(const vboard_t *b)
{
    return b->exc_taken;
}

uint8_t vboard_leds(const vboard_t *b)
{
    return b->leds;
}

size_t vboard_led_log(const vboard_t *b, const vboard_led_event_t **events)
{
    if (events)
        *events = b->led_log;
    return b->led_n;
}

uint64_t vboard_now_ns(const vboard_t *b)
{
    return VB_TICKS_TO_NS(b->sys.now);
}

uint64_t vboard_insns(const vboard_t *b)
{
    return b->insns;
}

uint64_t vboard_insns_total(const vboard_t *b)
{
    return b->insns_total;
}

uint64_t vboard_cycles(const vboard_t *b)
{
    return b->cycles;
}

uint32_t vboard_hclk_hz(const vboard_t *b)
{
    return b->sys.hclk_hz;
}

uint32_t vboard_pc(const vboard_t *b)
{
    return b->resume_pc;
}

uint32_t vboard_reg(const vboard_t *b, int reg)
{
    uint32_t v = 0;

    if (b->uc)
        uc_reg_read(b->uc, reg, &v);
    return v;
}

uint32_t vboard_reset_flags(const vboard_t *b)
{
    return b->sys.reset_flags;
}

uint64_t vboard_reset_count(const vboard_t *b)
{
    return b->resets;
}

int vboard_halt_code(const vboard_t *b)
{
    return b->halted ? b->halt_code : -1;
}

const char *vboard_fault(const vboard_t *b)
{
    return b->fault[0] ? b->fault : NULL;
}

uint64_t vboard_unclocked_accesses(const vboard_t *b)
{
    return b->unclocked;
}

/* ------------------------------------------------------------ snapshots */

/* The CPU state: CONTROL first, so that MSP and PSP land in their banks;
 * the mode (IPSR in xPSR) is put back last with vb_cpu_set_mode. */
static const int s_snap_regs32[] = {
    UC_ARM_REG_CONTROL,   UC_ARM_REG_MSP,     UC_ARM_REG_PSP,
    UC_ARM_REG_R0,        UC_ARM_REG_R1,      UC_ARM_REG_R2,
    UC_ARM_REG_R3,        UC_ARM_REG_R4,      UC_ARM_REG_R5,
    UC_ARM_REG_R6,        UC_ARM_REG_R7,      UC_ARM_REG_R8,
    UC_ARM_REG_R9,        UC_ARM_REG_R10,     UC_ARM_REG_R11,
    UC_ARM_REG_R12,       UC_ARM_REG_LR,      UC_ARM_REG_XPSR,
    UC_ARM_REG_ITSTATE,   UC_ARM_REG_PRIMASK, UC_ARM_REG_BASEPRI,
    UC_ARM_REG_FAULTMASK, UC_ARM_REG_FPSCR,
};
#define VB_SNAP_NREGS (sizeof s_snap_regs32 / sizeof s_snap_regs32[0])

struct vboard_snapshot {
    struct vboard board; /* scalar state; its pointers are not used */
    sim_flash_t flash;
    uint8_t sram[VB_SRAM_SIZE];
    uint8_t ccm[VB_CCM_SIZE];
    uint8_t opt[VB_OPT_SIZE];
    uint8_t shadow_periph[VB_PERIPH_SIZE];
    uint8_t shadow_ppb[VB_PPB_SIZE];
    uint8_t *dev[VB_MAX_DEVICES]; /* device states, copied through the table */
    char *uart_out[3];
    vboard_led_event_t *led_log;
    bool has_cpu;
    uint32_t regs[VB_SNAP_NREGS];
    uint64_t dregs[16];
};

vboard_snapshot_t *vboard_snapshot(const vboard_t *b)
{
    vboard_snapshot_t *s = calloc(1, sizeof *s);
    bool ok = true;

    if (!s)
        return NULL;
    s->board = *b;
    s->flash = *b->flash;
    memcpy(s->sram, b->sram, VB_SRAM_SIZE);
    memcpy(s->ccm, b->ccm, VB_CCM_SIZE);
    memcpy(s->opt, b->opt, VB_OPT_SIZE);
    memcpy(s->shadow_periph, b->shadow_periph, VB_PERIPH_SIZE);
    memcpy(s->shadow_ppb, b->shadow_ppb, VB_PPB_SIZE);
    for (unsigned i = 0; i < vb_ndevices; i++) {
        s->dev[i] = malloc(vb_devices[i].cls->state_size);
        if (!s->dev[i]) {
            ok = false;
            break;
        }
        memcpy(s->dev[i], b->dev[i], vb_devices[i].cls->state_size);
    }
    for (unsigned u = 1; u < 3 && ok; u++) {
        s->uart_out[u] = malloc(b->uart[u].len + 1);
        ok = s->uart_out[u] != NULL;
        if (ok)
            memcpy(s->uart_out[u], b->uart[u].out, b->uart[u].len + 1);
    }
    s->led_log = malloc((b->led_n ? b->led_n : 1) * sizeof *s->led_log);
    if (!ok || !s->led_log) {
        vboard_snapshot_free(s);
        return NULL;
    }
    if (b->led_n)
        memcpy(s->led_log, b->led_log, b->led_n * sizeof *s->led_log);
    s->has_cpu = b->uc != NULL;
    for (size_t i = 0; s->has_cpu && i < VB_SNAP_NREGS; i++) {
        s->regs[i] = 0;
        uc_reg_read(b->uc, s_snap_regs32[i], &s->regs[i]);
    }
    for (int i = 0; s->has_cpu && i < 16; i++) {
        s->dregs[i] = 0;
        uc_reg_read(b->uc, UC_ARM_REG_D0 + i, &s->dregs[i]);
    }
    return s;
}

int vboard_restore(vboard_t *b, const vboard_snapshot_t *s)
{
    struct vboard keep = *b;
    vboard_led_event_t *leds;

    for (unsigned u = 1; u < 3; u++) {
        size_t cap = s->board.uart[u].cap;
        char *n = realloc(keep.uart[u].out, cap);

        if (!n)
            return FOTA_ERR_NOMEM;
        keep.uart[u].out = n;
        b->uart[u].out = n;
    }
    leds = s->board.led_cap
               ? realloc(b->led_log, s->board.led_cap * sizeof *leds)
               : b->led_log;
    if (s->board.led_cap && !leds)
        return FOTA_ERR_NOMEM;
    keep.led_log = leds;

    *b = s->board;
    /* The board's own buffers and host attachments stay. */
    b->uc = keep.uc;
    b->m4 = keep.m4; /* the cost cache checks the code bytes; m4s is restored */
    b->flash = keep.flash;
    b->sram = keep.sram;
    b->ccm = keep.ccm;
    b->sys_mem = keep.sys_mem;
    b->opt = keep.opt;
    b->shadow_periph = keep.shadow_periph;
    b->shadow_ppb = keep.shadow_ppb;
    memcpy(b->dev, keep.dev, sizeof b->dev);
    b->sys.cfg = &b->cfg;
    b->sys.flash = b->flash;
    b->sys.opt = b->opt;
    for (unsigned u = 1; u < 3; u++)
        b->uart[u].out = keep.uart[u].out;
    b->led_log = keep.led_log;
    b->uart_sink = keep.uart_sink;
    b->uart_sink_ctx = keep.uart_sink_ctx;
    b->uart2_sink = keep.uart2_sink;
    b->uart2_sink_ctx = keep.uart2_sink_ctx;
    b->spi_trace = keep.spi_trace;
    b->uart_wait = NULL;
    b->uart_hit = false;
    b->stop_pc = 0;
    b->pc_hit = false;

    *b->flash = s->flash;
    memcpy(b->sram, s->sram, VB_SRAM_SIZE);
    memcpy(b->ccm, s->ccm, VB_CCM_SIZE);
    memcpy(b->opt, s->opt, VB_OPT_SIZE);
    memcpy(b->shadow_periph, s->shadow_periph, VB_PERIPH_SIZE);
    memcpy(b->shadow_ppb, s->shadow_ppb, VB_PPB_SIZE);
    for (unsigned i = 0; i < vb_ndevices; i++)
        memcpy(b->dev[i], s->dev[i], vb_devices[i].cls->state_size);
    for (unsigned u = 1; u < 3; u++)
        memcpy(b->uart[u].out, s->uart_out[u], s->board.uart[u].len + 1);
    if (s->board.led_n)
        memcpy(b->led_log, s->led_log, s->board.led_n * sizeof *b->led_log);

    if (!s->has_cpu) {
        if (b->uc)
            uc_close(b->uc);
        b->uc = NULL;
        return 0;
    }
    /* A fresh engine (no stale translations) with the saved registers. */
    if (vb_engine_open(b) != 0)
        return FOTA_ERR_IO;
    for (size_t i = 0; i < VB_SNAP_NREGS; i++)
        uc_reg_write(b->uc, s_snap_regs32[i], &s->regs[i]);
    for (int i = 0; i < 16; i++)
        uc_reg_write(b->uc, UC_ARM_REG_D0 + i, &s->dregs[i]);
    for (size_t i = 0; i < VB_SNAP_NREGS; i++)
        if (s_snap_regs32[i] == UC_ARM_REG_XPSR)
            vb_cpu_set_mode(b, s->regs[i], s->regs[0], s->regs[1], s->regs[2]);
    return 0;
}

void vboard_snapshot_free(vboard_snapshot_t *s)
{
    if (!s)
        return;
    for (unsigned i = 0; i < VB_MAX_DEVICES; i++)
        free(s->dev[i]);
    for (unsigned u = 0; u < 3; u++)
        free(s->uart_out[u]);
    free(s->led_log);
    free(s);
}
