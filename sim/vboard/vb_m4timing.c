/*
 * vb_m4timing.c - Cortex-M4 cycle model (see vb_m4timing.h).
 *
 * Static costs: Cortex-M4 TRM r0p1, 3.3.1 table 3-1 (zero wait state
 * memory) and the FPU chapter (TRM 7), decoded once per address with
 * Capstone and cached with the instruction bytes they were computed from.
 * Dynamic costs, from the executed instruction stream:
 *   - P, the pipeline refill after a PC write, charged when the next
 *     instruction is not the sequential one (a conditional branch not taken
 *     costs 1). P = 1 for an immediate branch (the target is computed in
 *     decode), 2 for a register branch (BX, BLX, MOV/ADD PC), 3 for a load
 *     to the PC (TRM 3.3.2: "LDR PC,[any] ... three cycles for the pipeline
 *     reload"), one more (at most 3) when the target is a 32-bit
 *     instruction on an odd halfword (two fetches).
 *   - Load/store pipelining (TRM 3.3.2): after a single LDR, a single LDR
 *     or STR whose address does not use the loaded register costs one cycle
 *     less; STR Rt,[Rn,#imm] is always 1; nothing pipelines after a store,
 *     LDRD/STRD, LDM/STM.
 *   - An address computed by the preceding data-processing instruction
 *     costs one more cycle (TRM 3.3.2: no forwarding path).
 *   - IT folded onto a preceding 16-bit data-processing instruction: 0.
 *   - SDIV/UDIV: 2..12 cycles, terminating early (TRM table 3-1 note):
 *     2 + one cycle per 4 quotient bits, from the operands at run time.
 *   - Flash fetches through the ART accelerator (RM0090 3.4, 3.5.2): the
 *     core fetches 128-bit lines; a line not in the instruction cache nor
 *     in the prefetch buffer costs LATENCY wait states; with PRFTEN the
 *     next sequential line is read while the current one executes; data
 *     reads go through the 8-line data cache the same way.
 */
#include "vb_m4timing.h"

#include <stdlib.h>
#include <string.h>

#include <capstone/capstone.h>

/* Decoded instruction info (cached per halfword address). */
#define I_VALID (1u << 31)
#define I_BASE(i) ((i)&0xFu)
#define I_CLASS(i) (((i) >> 4) & 0xFu)
#define I_DEST(i) (((i) >> 8) & 0xFu)
#define I_RN(i) (((i) >> 12) & 0xFu)
#define I_RM(i) (((i) >> 16) & 0xFu)
#define I_P(i) (((i) >> 20) & 0x3u)
#define I_PCW (1u << 22) /* may write the PC */
#define I_T16 (1u << 23) /* 16-bit encoding */
#define R_NONE 0xFu

enum {
    C_ALU = 0,  /* data processing, multiplies, DSP (dest = written register) */
    C_LDR = 1,  /* single load (pipelines with a following LDR/STR) */
    C_STRI = 2, /* STR Rt,[Rn,#imm]: always 1 */
    C_STRR = 3, /* STR Rt,[Rn,Rm]: 2, 1 after an LDR */
    C_LSM = 4,  /* LDRD/STRD, LDM/STM/PUSH/POP, FP loads/stores */
    C_DIV = 5,  /* SDIV/UDIV (Rn, Rm in the register fields) */
    C_IT = 6,
    C_SYS = 7, /* barriers, system, hints, FP arithmetic */
};

/* Cached entry: the bytes the info was decoded from, and the info. */
typedef struct vb_m4_entry {
    uint32_t raw;
    uint32_t info;
} vb_m4_entry_t;

/* Executable regions with a cost cache (halfword granularity). */
#define VB_M4_FLASH_SIZE 0x100000u
#define VB_M4_SRAM_BASE 0x20000000u
#define VB_M4_SRAM_SIZE 0x20000u
#define VB_M4_SYS_BASE 0x1FFF0000u
#define VB_M4_SYS_SIZE 0x8000u

struct vb_m4 {
    csh cs;
    cs_insn *insn;
    vb_m4_reg_fn reg;
    void *reg_ctx;
    vb_m4_entry_t *flash, *sram, *sys;
};

static bool vb_m4_is_flash(uint32_t addr)
{
    return addr < VB_M4_FLASH_SIZE ||
           (addr >= 0x08000000u && addr < 0x08000000u + VB_M4_FLASH_SIZE);
}

vb_m4_t *vb_m4_create(vb_m4_reg_fn reg, void *reg_ctx)
{
    vb_m4_t *m = calloc(1, sizeof *m);

    if (!m)
        return NULL;
    m->reg = reg;
    m->reg_ctx = reg_ctx;
    m->flash = calloc(VB_M4_FLASH_SIZE / 2, sizeof *m->flash);
    m->sram = calloc(VB_M4_SRAM_SIZE / 2, sizeof *m->sram);
    m->sys = calloc(VB_M4_SYS_SIZE / 2, sizeof *m->sys);
    if (!m->flash || !m->sram || !m->sys ||
        cs_open(CS_ARCH_ARM, (cs_mode)(CS_MODE_THUMB | CS_MODE_MCLASS),
                &m->cs) != CS_ERR_OK) {
        m->cs = 0;
        vb_m4_destroy(m);
        return NULL;
    }
    cs_option(m->cs, CS_OPT_DETAIL, CS_OPT_ON);
    m->insn = cs_malloc(m->cs);
    if (!m->insn) {
        vb_m4_destroy(m);
        return NULL;
    }
    return m;
}

void vb_m4_destroy(vb_m4_t *m)
{
    if (!m)
        return;
    if (m->insn)
        cs_free(m->insn, 1);
    if (m->cs)
        cs_close(&m->cs);
    free(m->flash);
    free(m->sram);
    free(m->sys);
    free(m);
}

static vb_m4_entry_t *vb_m4_slot(vb_m4_t *m, uint32_t addr)
{
    if (vb_m4_is_flash(addr))
        return &m->flash[(addr & (VB_M4_FLASH_SIZE - 1u)) >> 1];
    if (addr - VB_M4_SRAM_BASE < VB_M4_SRAM_SIZE)
        return &m->sram[(addr - VB_M4_SRAM_BASE) >> 1];
    if (addr - VB_M4_SYS_BASE < VB_M4_SYS_SIZE)
        return &m->sys[(addr - VB_M4_SYS_BASE) >> 1];
    return NULL;
}

void vb_m4_invalidate(vb_m4_t *m, uint32_t lo, uint32_t hi)
{
    if (!m || hi <= lo || !vb_m4_is_flash(lo))
        return;
    lo &= VB_M4_FLASH_SIZE - 1u;
    hi = lo +
         (hi - lo > VB_M4_FLASH_SIZE - lo ? VB_M4_FLASH_SIZE - lo : hi - lo);
    memset(&m->flash[lo >> 1], 0, ((hi - lo + 1u) >> 1) * sizeof *m->flash);
}

/* Core register number 0..15 of a Capstone register, R_NONE otherwise. */
static unsigned vb_m4_gpr(unsigned r)
{
    if (r >= ARM_REG_R0 && r <= ARM_REG_R12)
        return r - ARM_REG_R0;
    if (r == ARM_REG_SP)
        return 13;
    if (r == ARM_REG_LR)
        return 14;
    if (r == ARM_REG_PC)
        return 15;
    return R_NONE;
}

/* Words moved by a register list starting at operand first. */
static unsigned vb_m4_list_words(const cs_arm *a, unsigned first, bool *has_pc)
{
    unsigned n = 0;

    for (unsigned i = first; i < a->op_count; i++) {
        unsigned r = a->operands[i].reg;

        if (a->operands[i].type != ARM_OP_REG)
            continue;
        if (r == ARM_REG_PC)
            *has_pc = true;
        n += (r >= ARM_REG_D0 && r <= ARM_REG_D31) ? 2u : 1u;
    }
    return n;
}

static uint32_t vb_m4_pack(unsigned base, unsigned cls, unsigned dest,
                           unsigned rn, unsigned rm, unsigned p, bool pcw,
                           bool t16)
{
    if (base > 15)
        base = 15;
    return I_VALID | base | (cls << 4) | ((dest & 0xFu) << 8) |
           ((rn & 0xFu) << 12) | ((rm & 0xFu) << 16) | ((p & 3u) << 20) |
           (pcw ? I_PCW : 0) | (t16 ? I_T16 : 0);
}

/* The TRM's static cost and class of one decoded instruction. */
static uint32_t vb_m4_classify(const cs_insn *in)
{
    const cs_arm *a = &in->detail->arm;
    bool t16 = in->size == 2, has_pc = false;
    unsigned rn = R_NONE, rm = R_NONE;
    unsigned op0 = a->op_count && a->operands[0].type == ARM_OP_REG
                       ? vb_m4_gpr(a->operands[0].reg)
                       : R_NONE;

    for (unsigned i = 0; i < a->op_count; i++) {
        if (a->operands[i].type == ARM_OP_MEM) {
            rn = vb_m4_gpr(a->operands[i].mem.base);
            rm = vb_m4_gpr(a->operands[i].mem.index);
        }
    }
    switch (in->id) {
    /* Branches: 1 + P when taken, 1 when a conditional one is not. */
    case ARM_INS_B:
    case ARM_INS_BL:
    case ARM_INS_CBZ:
    case ARM_INS_CBNZ:
        return vb_m4_pack(1, C_SYS, R_NONE, R_NONE, R_NONE, 1, true, t16);
    case ARM_INS_BX:
    case ARM_INS_BLX:
        return vb_m4_pack(1, C_SYS, R_NONE, R_NONE, R_NONE, 2, true, t16);
    case ARM_INS_TBB:
    case ARM_INS_TBH:
        /* TRM 3.3.2: two cycles for the load, one for the add, then the
         * refill. */
        return vb_m4_pack(3, C_SYS, R_NONE, rn, rm, 3, true, t16);
    /* Single loads: 2 (1 when pipelined); to the PC 2 + P. */
    case ARM_INS_LDR:
    case ARM_INS_LDRB:
    case ARM_INS_LDRH:
    case ARM_INS_LDRSB:
    case ARM_INS_LDRSH:
    case ARM_INS_LDRT:
    case ARM_INS_LDRBT:
    case ARM_INS_LDRHT:
    case ARM_INS_LDRSBT:
    case ARM_INS_LDRSHT:
    case ARM_INS_LDREX:
    case ARM_INS_LDREXB:
    case ARM_INS_LDREXH:
    case ARM_INS_STREX: /* TRM 3.3.2: STREX pipelines like an LDR */
    case ARM_INS_STREXB:
    case ARM_INS_STREXH:
        if (op0 == 15)
            return vb_m4_pack(2, C_LSM, R_NONE, rn, rm, 3, true, t16);
        /* STREX's first operand is its status result. */
        return vb_m4_pack(2, C_LDR, op0, rn, rm, 0, false, t16);
    case ARM_INS_STR:
    case ARM_INS_STRB:
    case ARM_INS_STRH:
    case ARM_INS_STRT:
    case ARM_INS_STRBT:
    case ARM_INS_STRHT:
        if (rm != R_NONE)
            return vb_m4_pack(2, C_STRR, R_NONE, rn, rm, 0, false, t16);
        return vb_m4_pack(1, C_STRI, R_NONE, rn, rm, 0, false, t16);
    case ARM_INS_LDRD:
    case ARM_INS_STRD:
    case ARM_INS_LDREXD:
    case ARM_INS_STREXD:
        return vb_m4_pack(3, C_LSM, R_NONE, rn, rm, 0, false,
                          t16); /* 1 + N, N = 2 */
    /* Multiple: 1 + N; with the PC loaded 1 + N + P. */
    case ARM_INS_POP:
    case ARM_INS_PUSH:
    case ARM_INS_VPOP:
    case ARM_INS_VPUSH: {
        unsigned n = vb_m4_list_words(a, 0, &has_pc);

        return vb_m4_pack(1 + n, C_LSM, R_NONE, 13, R_NONE, 3, has_pc, t16);
    }
    case ARM_INS_LDM:
    case ARM_INS_LDMDB:
    case ARM_INS_LDMDA:
    case ARM_INS_LDMIB:
    case ARM_INS_STM:
    case ARM_INS_STMDB:
    case ARM_INS_STMDA:
    case ARM_INS_STMIB:
    case ARM_INS_VLDMIA:
    case ARM_INS_VLDMDB:
    case ARM_INS_VSTMIA:
    case ARM_INS_VSTMDB: {
        unsigned n = vb_m4_list_words(a, 1, &has_pc);

        return vb_m4_pack(1 + n, C_LSM, R_NONE, op0, R_NONE, 3, has_pc, t16);
    }
    case ARM_INS_VLDR:
    case ARM_INS_VSTR: {
        unsigned r = a->op_count ? a->operands[0].reg : 0;

        return vb_m4_pack(r >= ARM_REG_D0 && r <= ARM_REG_D31 ? 3 : 2, C_LSM,
                          R_NONE, rn, R_NONE, 0, false, t16);
    }
    case ARM_INS_SDIV:
    case ARM_INS_UDIV:
        return vb_m4_pack(
            2, C_DIV, op0,
            a->op_count > 1 ? vb_m4_gpr(a->operands[1].reg) : R_NONE,
            a->op_count > 2 ? vb_m4_gpr(a->operands[2].reg) : R_NONE, 0, false,
            t16);
    /* FPU (TRM chapter 7). */
    case ARM_INS_VDIV:
    case ARM_INS_VSQRT:
        return vb_m4_pack(14, C_SYS, R_NONE, R_NONE, R_NONE, 0, false, t16);
    case ARM_INS_VMLA:
    case ARM_INS_VMLS:
    case ARM_INS_VNMLA:
    case ARM_INS_VNMLS:
    case ARM_INS_VFMA:
    case ARM_INS_VFMS:
    case ARM_INS_VFNMA:
    case ARM_INS_VFNMS:
        return vb_m4_pack(3, C_SYS, R_NONE, R_NONE, R_NONE, 0, false, t16);
    case ARM_INS_IT:
        return vb_m4_pack(1, C_IT, R_NONE, R_NONE, R_NONE, 0, false, t16);
    case ARM_INS_ISB: /* 1 + B, B = a pipeline refill */
        return vb_m4_pack(3, C_SYS, R_NONE, R_NONE, R_NONE, 0, false, t16);
    case ARM_INS_DMB:
    case ARM_INS_DSB:
    case ARM_INS_WFI:
    case ARM_INS_WFE:
    case ARM_INS_SEV:
    case ARM_INS_NOP:
    case ARM_INS_BKPT:
    case ARM_INS_SVC:
    case ARM_INS_MSR:
    case ARM_INS_MRS:
    case ARM_INS_CPS:
        return vb_m4_pack(1, C_SYS, R_NONE, R_NONE, R_NONE, 0, false, t16);
    /* Compares write no register. */
    case ARM_INS_CMP:
    case ARM_INS_CMN:
    case ARM_INS_TST:
    case ARM_INS_TEQ:
        return vb_m4_pack(1, C_ALU, R_NONE, R_NONE, R_NONE, 0, false, t16);
    default:
        break;
    }
    if (in->id >= ARM_INS_VABA && in->id <= ARM_INS_VZIP)
        return vb_m4_pack(1, C_SYS, R_NONE, R_NONE, R_NONE, 0, false, t16);
    /* Data processing, multiplies (MUL/MLA/MLS/UMULL/SMULL/UMLAL/SMLAL/
     * UMAAL and the DSP extension: 1 on the M4), saturation, bit fields,
     * extends: 1; with the PC as destination 1 + P. */
    if (op0 == 15)
        return vb_m4_pack(1, C_SYS, R_NONE, R_NONE, R_NONE, 2, true, t16);
    return vb_m4_pack(1, C_ALU, op0, R_NONE, R_NONE, 0, false, t16);
}

static uint32_t vb_m4_decode(vb_m4_t *m, uint32_t addr, uint32_t size,
                             const uint8_t *code)
{
    const uint8_t *p = code;
    size_t n = size;
    uint64_t a = addr;

    if (!cs_disasm_iter(m->cs, &p, &n, &a, m->insn))
        return vb_m4_pack(1, C_SYS, R_NONE, R_NONE, R_NONE, 0, false,
                          size == 2);
    return vb_m4_classify(m->insn);
}

void vb_m4_state_reset(vb_m4_state_t *s)
{
    memset(s, 0, sizeof *s);
}

void vb_m4_acr_write(vb_m4_state_t *s, uint32_t acr)
{
    if (acr & VB_M4_ACR_ICRST)
        memset(s->ic_tag, 0, sizeof s->ic_tag);
    if (acr & VB_M4_ACR_DCRST)
        memset(s->dc_tag, 0, sizeof s->dc_tag);
    s->pf_line = 0;
}

static bool vb_m4_ic_access(vb_m4_state_t *s, uint32_t line)
{
    unsigned set = line % VB_M4_IC_SETS, victim = 0;

    for (unsigned w = 0; w < VB_M4_IC_WAYS; w++) {
        if (s->ic_tag[set][w] == line) {
            s->ic_use[set][w] = ++s->use;
            return true;
        }
        if (s->ic_use[set][w] < s->ic_use[set][victim])
            victim = w;
    }
    s->ic_tag[set][victim] = line;
    s->ic_use[set][victim] = ++s->use;
    return false;
}

static bool vb_m4_dc_access(vb_m4_state_t *s, uint32_t line)
{
    unsigned victim = 0;

    for (unsigned i = 0; i < VB_M4_DC_LINES; i++) {
        if (s->dc_tag[i] == line) {
            s->dc_use[i] = ++s->use;
            return true;
        }
        if (s->dc_use[i] < s->dc_use[victim])
            victim = i;
    }
    s->dc_tag[victim] = line;
    s->dc_use[victim] = ++s->use;
    return false;
}

/* The core moves to flash line `line` (+1) at cycle now: wait states. */
static uint32_t vb_m4_enter_line(vb_m4_state_t *s, uint32_t line, uint32_t acr,
                                 uint64_t now)
{
    uint32_t lat = acr & VB_M4_ACR_LATENCY, stall;

    s->line = line;
    if (!lat)
        return 0;
    if ((acr & VB_M4_ACR_ICEN) && vb_m4_ic_access(s, line)) {
        s->ic_hits++;
        stall = 0;
    } else if ((acr & VB_M4_ACR_PRFTEN) && s->pf_line == line) {
        stall = s->pf_ready > now ? (uint32_t)(s->pf_ready - now) : 0;
    } else {
        s->ic_misses++;
        stall = lat; /* LATENCY + 1 cycles, one of them the fetch itself */
    }
    if (acr & VB_M4_ACR_PRFTEN) {
        s->pf_line = line + 1;
        s->pf_ready = now + stall + lat + 1;
    }
    s->flash_stalls += stall;
    return stall;
}

static uint32_t vb_m4_fetch(vb_m4_state_t *s, uint32_t addr, uint32_t size,
                            uint32_t acr)
{
    uint32_t off = addr & (VB_M4_FLASH_SIZE - 1u), stall = 0;
    uint32_t l1 = (off >> 4) + 1, l2 = ((off + size - 1) >> 4) + 1;

    if (l1 != s->line)
        stall += vb_m4_enter_line(s, l1, acr, s->cycles);
    if (l2 != l1)
        stall += vb_m4_enter_line(s, l2, acr, s->cycles + stall);
    return stall;
}

/* SDIV/UDIV: 2..12 cycles; the divider retires about 4 quotient bits per
 * cycle after a 2-cycle set-up (an approximation of the TRM's "terminates
 * early depending on the size of the operands"). */
static uint32_t vb_m4_div_cycles(uint32_t n, uint32_t d)
{
    int bn = n ? 32 - __builtin_clz(n) : 0, bd = d ? 32 - __builtin_clz(d) : 0;
    int q = d == 0 ? 0 : bn - bd + 1;

    if (q <= 0)
        return 2;
    q = (q + 3) / 4;
    return 2u + (uint32_t)(q > 10 ? 10 : q);
}

uint32_t vb_m4_insn(vb_m4_t *m, vb_m4_state_t *s, uint32_t addr, uint32_t size,
                    const uint8_t *code, uint32_t acr)
{
    vb_m4_entry_t *e = vb_m4_slot(m, addr);
    uint32_t raw = code[0] | (uint32_t)code[1] << 8, info, prev = s->prev_info,
             c;
    bool taken = false;

    if (size == 4)
        raw |= (uint32_t)code[2] << 16 | (uint32_t)code[3] << 24;
    if (e && e->info && e->raw == raw) {
        info = e->info;
    } else {
        info = vb_m4_decode(m, addr, size, code);
        if (e) {
            e->raw = raw;
            e->info = info;
        }
    }
    c = I_BASE(info);
    if (s->prev_addr && (prev & I_PCW) && addr != s->prev_addr + s->prev_size) {
        uint32_t p = I_P(prev);

        if (size == 4 && (addr & 2u) && p < 3)
            p++;
        c += p;
        taken = true;
    }
    if (s->prev_addr && !taken) {
        unsigned cls = I_CLASS(info), pcls = I_CLASS(prev), pd = I_DEST(prev);
        bool ls =
            cls == C_LDR || cls == C_STRI || cls == C_STRR || cls == C_LSM;
        bool dep = pd != R_NONE && (pd == I_RN(info) || pd == I_RM(info));

        if (pcls == C_LDR && (cls == C_LDR || cls == C_STRI || cls == C_STRR) &&
            !dep && c > 1)
            c--;
        if (pcls == C_ALU && ls && dep)
            c++;
        if (cls == C_IT && pcls == C_ALU && (prev & I_T16))
            c = 0;
    }
    if (I_CLASS(info) == C_DIV && m->reg)
        c += vb_m4_div_cycles(m->reg(m->reg_ctx, I_RN(info)),
                              m->reg(m->reg_ctx, I_RM(info))) -
             I_BASE(info);
    if (vb_m4_is_flash(addr))
        c += vb_m4_fetch(s, addr, size, acr);
    else
        s->line = 0;
    s->cycles += c;
    s->prev_addr = addr;
    s->prev_size = size;
    s->prev_info = info;
    return c;
}

uint32_t vb_m4_flash_data(vb_m4_state_t *s, uint32_t addr, uint32_t acr)
{
    uint32_t lat = acr & VB_M4_ACR_LATENCY;
    uint32_t line = ((addr & (VB_M4_FLASH_SIZE - 1u)) >> 4) + 1;

    if (!lat)
        return 0;
    if ((acr & VB_M4_ACR_DCEN) && vb_m4_dc_access(s, line)) {
        s->dc_hits++;
        return 0;
    }
    s->dc_misses++;
    s->cycles += lat;
    s->flash_stalls += lat;
    return lat;
}

uint32_t vb_m4_periph(vb_m4_state_t *s, uint32_t addr, bool write)
{
    uint32_t c = 0;

    if (addr >= 0xE0000000u)
        return 0; /* private peripheral bus: inside the core */
    /* AHB1/AHB2 peripherals one bus cycle, APB ones two (the AHB-APB
     * bridge's set-up and access phases). */
    c = addr >= 0x40020000u ? 1u : 2u;
    if (addr == 0x40023000u) { /* CRC_DR */
        uint64_t now = s->cycles + c;
        uint32_t wait = s->crc_ready > now ? (uint32_t)(s->crc_ready - now) : 0;

        c += wait;
        if (write)
            s->crc_ready = now + wait + VB_M4_CRC_CYCLES;
    }
    s->cycles += c;
    return c;
}

/* Exception entry, return or tail-chain: the pipeline starts afresh. */
static uint32_t vb_m4_exception(vb_m4_state_t *s, uint32_t cycles)
{
    s->prev_addr = 0;
    s->line = 0;
    s->cycles += cycles;
    return cycles;
}

uint32_t vb_m4_exception_entry(vb_m4_state_t *s)
{
    return vb_m4_exception(s, VB_M4_EXC_ENTRY_CYCLES);
}

uint32_t vb_m4_exception_exit(vb_m4_state_t *s)
{
    return vb_m4_exception(s, VB_M4_EXC_EXIT_CYCLES);
}

uint32_t vb_m4_exception_tailchain(vb_m4_state_t *s)
{
    return vb_m4_exception(s, VB_M4_EXC_TAILCHAIN_CYCLES);
}
