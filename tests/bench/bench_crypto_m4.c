/*
 * bench_crypto_m4 - the bootloader's Ed25519 verification and SHA-256 on
 * the virtual board, cross-built with the bootloader's flags and run from
 * SRAM like the bootloader runs them (fw/bench_crypto_fw.c).
 *
 * Prints
 *   ed25519_verify: instructions=<N> cycles=<C> model=m4-estimate board_cycles=<D>
 *                   board_model=m4
 *   sha256: bytes=<B> instructions_per_byte=<X> cycles_per_byte=<Y> model=m4-estimate
 *           board_cycles_per_byte=<Z> board_model=m4
 *
 * instructions: executed from the entry of the measured function to its
 * return (the board's count, one per instruction). cycles: an estimate for a Cortex-M4
 * from the executed instruction stream, stepped one instruction at a time
 * and decoded with Capstone, costed by the Cortex-M4 TRM (ARM DDI 0439B)
 * section 3.3 table 3-1:
 *   - data processing, MUL/MLA and the long multiplies UMULL, SMULL,
 *     UMLAL, SMLAL, UMAAL: 1 cycle; UDIV/SDIV: 7 (2-12);
 *   - LDR/STR (single): 2, or 1 right after another single load/store
 *     (3.3.2: neighbouring accesses pipeline); LDRD/STRD: 3;
 *     LDM/STM/PUSH/POP: 1 + registers;
 *   - a taken branch (B, BL, BX, CBZ, TBB, a write to PC): 1 + P with the
 *     refill P = 2 (TRM: 1-3); not taken: 1; IT: 1 (not folded);
 *   - a data load from flash (0x08000000-0x080FFFFF): + 5 wait states
 *     (RM0090 3.5.1, 168 MHz) on a miss of the ART data cache, modelled as
 *     8 lines of 16 bytes, least recently used out.
 * Not modelled: contention of instruction fetch and data on the S-bus for
 * code in SRAM, and write-buffer stalls. The estimate is not the board's
 * cycle model; the line says model=m4-estimate. board_cycles: the
 * firmware's DWT_CYCCNT across the call (a few instructions more), i.e. the
 * board's own clock, here on its Cortex-M4 cycle model (VBOARD_CPI_M4,
 * sim/vboard/vb_m4timing.c; board_model=m4 on the line).
 *
 * Usage: bench_crypto_m4 <bench_crypto_fw.elf>
 */
#include <capstone/capstone.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicorn/unicorn.h>

#include "bench_crypto_mbox.h"
#include "fota/fota_ed25519.h"
#include "fota/fota_err.h"
#include "fota/fota_sha256.h"
#include "vboard.h"

#define SHA_BYTES 16384u

/* Decoded instruction classes, cached per halfword address. */
enum { K_UNKNOWN = 0, K_ALU, K_LS, K_LS2, K_MULTI, K_BRANCH, K_DIV };

typedef struct {
    uint8_t kind, size, nregs, base; /* base: capstone register id of a load */
    uint8_t writes_pc, load;
    int16_t disp;
} insn_info_t;

typedef struct {
    csh cs;
    insn_info_t *ram,
        *flash; /* per halfword of SRAM / the first MiB of flash */
    uint64_t cycles, insns;
    bool prev_ls;
    uint32_t lines[8];
    uint64_t line_age[8], tick;
} est_t;

static insn_info_t *info_at(est_t *e, uint32_t pc)
{
    if (pc >= 0x20000000u && pc < 0x20020000u)
        return &e->ram[(pc - 0x20000000u) / 2];
    if (pc >= 0x08000000u && pc < 0x08100000u)
        return &e->flash[(pc - 0x08000000u) / 2];
    return NULL;
}

static int reg_uc(unsigned cs_reg)
{
    if (cs_reg >= ARM_REG_R0 && cs_reg <= ARM_REG_R12)
        return UC_ARM_REG_R0 + (int)(cs_reg - ARM_REG_R0);
    if (cs_reg == ARM_REG_SP)
        return UC_ARM_REG_SP;
    if (cs_reg == ARM_REG_LR)
        return UC_ARM_REG_LR;
    return -1;
}

static void decode(est_t *e, vboard_t *b, uint32_t pc, insn_info_t *in)
{
    uint8_t code[4];
    cs_insn *insn;
    size_t n;

    memset(in, 0, sizeof *in);
    if (vboard_read_mem(b, pc, code, sizeof code) != 0 ||
        (n = cs_disasm(e->cs, code, sizeof code, pc, 1, &insn)) == 0) {
        in->kind = K_ALU;
        in->size = 2;
        return;
    }
    in->size = (uint8_t)insn->size;
    in->kind = K_ALU;
    {
        const cs_arm *a = &insn->detail->arm;
        unsigned id = insn->id;

        for (int i = 0; i < a->op_count; i++)
            if (a->operands[i].type == ARM_OP_REG &&
                a->operands[i].reg == ARM_REG_PC &&
                (a->operands[i].access & CS_AC_WRITE))
                in->writes_pc = 1;
        switch (id) {
        case ARM_INS_LDR:
        case ARM_INS_LDRB:
        case ARM_INS_LDRH:
        case ARM_INS_LDRSB:
        case ARM_INS_LDRSH:
        case ARM_INS_LDREX:
            in->load = 1;
            /* fall through */
        case ARM_INS_STR:
        case ARM_INS_STRB:
        case ARM_INS_STRH:
        case ARM_INS_STREX:
            in->kind = K_LS;
            break;
        case ARM_INS_LDRD:
            in->load = 1;
            /* fall through */
        case ARM_INS_STRD:
            in->kind = K_LS2;
            break;
        case ARM_INS_LDM:
        case ARM_INS_LDMDB:
        case ARM_INS_POP:
            in->load = 1;
            /* fall through */
        case ARM_INS_STM:
        case ARM_INS_STMDB:
        case ARM_INS_PUSH:
            in->kind = K_MULTI;
            in->nregs =
                (uint8_t)(a->op_count -
                          (id == ARM_INS_POP || id == ARM_INS_PUSH ? 0 : 1));
            break;
        case ARM_INS_B:
        case ARM_INS_BL:
        case ARM_INS_BX:
        case ARM_INS_BLX:
        case ARM_INS_CBZ:
        case ARM_INS_CBNZ:
        case ARM_INS_TBB:
        case ARM_INS_TBH:
            in->kind = K_BRANCH;
            break;
        case ARM_INS_UDIV:
        case ARM_INS_SDIV:
            in->kind = K_DIV;
            break;
        default:
            if (in->writes_pc)
                in->kind = K_BRANCH;
            break;
        }
        if (in->load) {
            for (int i = 0; i < a->op_count; i++) {
                if (a->operands[i].type == ARM_OP_MEM) {
                    in->base = (uint8_t)a->operands[i].mem.base;
                    in->disp = (int16_t)a->operands[i].mem.disp;
                }
            }
            if (in->kind == K_MULTI && a->op_count > 0 &&
                a->operands[0].type == ARM_OP_REG)
                in->base = (uint8_t)a->operands[0].reg;
        }
    }
    cs_free(insn, n);
}

/* A flash data access at addr: 5 wait states unless its 16-byte line is
 * in the 8-line data cache. */
static unsigned flash_data(est_t *e, uint32_t addr)
{
    uint32_t line = addr >> 4;
    int oldest = 0;

    e->tick++;
    for (int i = 0; i < 8; i++) {
        if (e->line_age[i] != 0 && e->lines[i] == line) {
            e->line_age[i] = e->tick;
            return 0;
        }
        if (e->line_age[i] < e->line_age[oldest])
            oldest = i;
    }
    e->lines[oldest] = line;
    e->line_age[oldest] = e->tick;
    return 5;
}

/* Run from the current PC (a function's entry) to the return address in
 * LR, one instruction at a time, adding the estimate up. */
static int trace_call(est_t *e, vboard_t *b)
{
    uint32_t ret = vboard_reg(b, UC_ARM_REG_LR) & ~1u;

    for (;;) {
        uint32_t pc = vboard_pc(b) & ~1u;
        insn_info_t *in = info_at(e, pc);
        unsigned cost = 1;
        uint32_t addr = 0;
        int rc;

        if (pc == ret)
            return 0;
        if (in == NULL) {
            fprintf(stderr,
                    "bench_crypto_m4: pc 0x%08x outside SRAM and flash\n", pc);
            return -1;
        }
        if (in->kind == K_UNKNOWN)
            decode(e, b, pc, in);
        if (in->load && in->base != 0) {
            int r = reg_uc(in->base);

            if (r >= 0)
                addr = vboard_reg(b, r) + (uint32_t)(int32_t)in->disp;
        }
        rc = vboard_run_insns(b, 1);
        if (rc != VBOARD_STOP_INSNS) {
            fprintf(stderr,
                    "bench_crypto_m4: the firmware stopped (%d) inside the "
                    "call: %s\n",
                    rc, vboard_fault(b) ? vboard_fault(b) : "no fault");
            return -1;
        }
        e->insns++;
        switch (in->kind) {
        case K_LS:
            cost = e->prev_ls ? 1 : 2;
            break;
        case K_LS2:
            cost = 3;
            break;
        case K_MULTI:
            cost = 1u + in->nregs;
            break;
        case K_DIV:
            cost = 7;
            break;
        default:
            break;
        }
        if ((in->kind == K_BRANCH || in->writes_pc) &&
            (vboard_pc(b) & ~1u) != pc + in->size)
            cost += 2;
        if (in->load && addr >= 0x08000000u && addr < 0x08100000u)
            cost += flash_data(e, addr);
        e->prev_ls = in->kind == K_LS;
        e->cycles += cost;
    }
}

static void mb_write(vboard_t *b, unsigned word, const void *src, size_t len)
{
    if (vboard_write_mem(b, BC_MBOX_ADDR + 4u * word, src, len) != 0) {
        fprintf(stderr, "bench_crypto_m4: mailbox write failed\n");
        exit(1);
    }
}

static uint32_t mb_get(vboard_t *b, unsigned word)
{
    uint8_t v[4];

    if (vboard_read_mem(b, BC_MBOX_ADDR + 4u * word, v, 4) != 0)
        return 0xFFFFFFFFu;
    return (uint32_t)v[0] | (uint32_t)v[1] << 8 | (uint32_t)v[2] << 16 |
           (uint32_t)v[3] << 24;
}

/* One run of cmd: instructions and estimated cycles of the measured call. */
static int measure(const char *elf, uint32_t cmd, uint32_t len,
                   const uint8_t pub[32], const uint8_t sig[64],
                   const uint8_t *msg, est_t *e, vboard_t **out)
{
    vboard_config_t cfg;
    vboard_t *b;
    vboard_until_t u = {.max_insns = 100000000u};
    uint64_t start;

    vboard_config_default(&cfg);
    cfg.cpi_model = VBOARD_CPI_M4;
    b = vboard_create(&cfg);
    if (b == NULL || vboard_load_elf(b, elf) != 0) {
        fprintf(stderr, "bench_crypto_m4: cannot load %s\n", elf);
        return -1;
    }
    vboard_reset(b, VBOARD_RESET_POWER);
    mb_write(b, BC_CMD, &cmd, 4);
    mb_write(b, BC_LEN, &len, 4);
    if (pub != NULL) {
        mb_write(b, BC_PUB, pub, 32);
        mb_write(b, BC_SIG, sig, 64);
        mb_write(b, BC_MSG, msg, len);
    }
    {
        uint32_t zero = 0, go = BC_GO_MAGIC, fn;

        mb_write(b, BC_FN, &zero, 4);
        mb_write(b, BC_GO, &zero, 4);
        for (int i = 0; (fn = mb_get(b, BC_FN)) == 0; i++) {
            if (i == 1000 || vboard_run_insns(b, 10000) != VBOARD_STOP_INSNS) {
                fprintf(stderr, "bench_crypto_m4: the firmware did not "
                                "announce its call\n");
                return -1;
            }
        }
        mb_write(b, BC_GO, &go, 4);
        u.pc = fn & ~1u;
        if (vboard_run(b, &u) != VBOARD_STOP_PC) {
            fprintf(stderr,
                    "bench_crypto_m4: the firmware did not reach 0x%08x\n",
                    u.pc);
            return -1;
        }
        u.pc = 0;
    }
    start = vboard_insns(b);
    memset(e, 0, sizeof *e);
    e->ram = calloc(0x20000u / 2, sizeof *e->ram);
    e->flash = calloc(0x100000u / 2, sizeof *e->flash);
    if (e->ram == NULL || e->flash == NULL ||
        cs_open(CS_ARCH_ARM, (cs_mode)(CS_MODE_THUMB | CS_MODE_MCLASS),
                &e->cs) != CS_ERR_OK) {
        fprintf(stderr, "bench_crypto_m4: out of memory or no Capstone\n");
        return -1;
    }
    cs_option(e->cs, CS_OPT_DETAIL, CS_OPT_ON);
    if (trace_call(e, b) != 0)
        return -1;
    if (vboard_insns(b) - start != e->insns) {
        fprintf(stderr, "bench_crypto_m4: stepped %llu of %llu instructions\n",
                (unsigned long long)e->insns,
                (unsigned long long)(vboard_insns(b) - start));
        return -1;
    }
    if (vboard_run(b, &u) != VBOARD_STOP_HALT ||
        vboard_halt_code(b) != BC_HALT_DONE) {
        fprintf(stderr, "bench_crypto_m4: the firmware did not finish\n");
        return -1;
    }
    cs_close(&e->cs);
    free(e->ram);
    free(e->flash);
    *out = b;
    return 0;
}

int main(int argc, char **argv)
{
    uint8_t seed[32], pub[32], sig[64], msg[32], want[32], flash[SHA_BYTES];
    est_t e;
    vboard_t *b;
    uint64_t v_insns, v_cycles;
    uint32_t v_board;

    if (argc != 2) {
        fprintf(stderr, "usage: bench_crypto_m4 <bench_crypto_fw.elf>\n");
        return 2;
    }
    /* A 32-byte message, as the bootloader verifies (the image's SHA-256). */
    for (int i = 0; i < 32; i++) {
        seed[i] = (uint8_t)(0x5a ^ (i * 29));
        msg[i] = (uint8_t)(i * 7 + 1);
    }
    fota_ed25519_pubkey(pub, seed);
    fota_ed25519_sign(sig, msg, sizeof msg, seed, pub);
    if (measure(argv[1], BC_CMD_VERIFY, sizeof msg, pub, sig, msg, &e, &b) != 0)
        return 1;
    if (mb_get(b, BC_RC) != 0) {
        fprintf(stderr,
                "bench_crypto_m4: a valid signature was refused on the board "
                "(%d)\n",
                (int)mb_get(b, BC_RC));
        return 1;
    }
    v_board = mb_get(b, BC_CYC);
    vboard_destroy(b);
    v_insns = e.insns;
    v_cycles = e.cycles;
    /* The same with one bit of S flipped must be refused on the board. */
    sig[40] ^= 0x04;
    if (measure(argv[1], BC_CMD_VERIFY, sizeof msg, pub, sig, msg, &e, &b) != 0)
        return 1;
    if ((int)mb_get(b, BC_RC) != FOTA_ERR_AUTH) {
        fprintf(stderr, "bench_crypto_m4: a tampered signature was not refused "
                        "on the board\n");
        return 1;
    }
    vboard_destroy(b);
    printf("ed25519_verify: instructions=%llu cycles=%llu model=m4-estimate "
           "board_cycles=%u "
           "board_model=m4\n",
           (unsigned long long)v_insns, (unsigned long long)v_cycles,
           (unsigned)v_board);

    /* SHA-256 of the firmware's own flash, straight from flash. */
    if (measure(argv[1], BC_CMD_SHA256, SHA_BYTES, NULL, NULL, NULL, &e, &b) !=
        0)
        return 1;
    if (vboard_read_mem(b, BC_SHA_ADDR, flash, sizeof flash) != 0)
        return 1;
    fota_sha256(flash, sizeof flash, want);
    for (int i = 0; i < 8; i++) {
        uint32_t w = mb_get(b, BC_DIGEST + (unsigned)i);

        if (memcmp(&want[4 * i],
                   (uint8_t[4]){(uint8_t)w, (uint8_t)(w >> 8),
                                (uint8_t)(w >> 16), (uint8_t)(w >> 24)},
                   4) != 0) {
            fprintf(stderr, "bench_crypto_m4: SHA-256 on the board differs "
                            "from the host's\n");
            return 1;
        }
    }
    printf("sha256: bytes=%u instructions_per_byte=%.2f cycles_per_byte=%.2f "
           "model=m4-estimate "
           "board_cycles_per_byte=%.2f board_model=m4\n",
           SHA_BYTES, (double)e.insns / SHA_BYTES, (double)e.cycles / SHA_BYTES,
           (double)mb_get(b, BC_CYC) / SHA_BYTES);
    vboard_destroy(b);
    return 0;
}
