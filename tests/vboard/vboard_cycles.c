/*
 * vboard_cycles.c - the Cortex-M4 cycle model against the Cortex-M4 TRM
 * (r0p1, 3.3.1 table 3-1, 3.3.2) and RM0090 (3.4/3.5.2 the ART accelerator
 * and FLASH_ACR, 4.3 the CRC unit): micro-benchmarks timed with DWT_CYCCNT
 * by a firmware on the board (fw/fw_cycles.c), exact where the TRM gives
 * one figure and within its range where it gives a range, the same
 * firmware at one cycle per instruction, and direct checks of the model's
 * dynamic rules (refill after a load to the PC, exception entry/exit, the
 * cost cache following changed code, the CRC unit busy).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "fw_cycles.h"
#include "fw_mbox.h"
#include "vb_m4timing.h"
#include "vboard.h"

#define LAT 5u /* FLASH_ACR LATENCY the firmware sets */

static uint32_t s_res[FWC_N];

static const char *const s_names[FWC_N] = {"empty",
                                           "alu",
                                           "mul",
                                           "mla",
                                           "umull",
                                           "umaal",
                                           "ldr",
                                           "ldr_chase",
                                           "str",
                                           "ldm",
                                           "stm",
                                           "pushpop",
                                           "branch",
                                           "loop",
                                           "udiv_big",
                                           "udiv_small",
                                           "crc",
                                           "flash_cold",
                                           "flash_prefetch16",
                                           "flash_prefetch32",
                                           "flash_art",
                                           "flash_data_off",
                                           "flash_data_cold",
                                           "flash_data_warm",
                                           "svc"};

/* Run the benchmark firmware on a board with the given timing model and
 * fetch its results into s_res. */
static void run_fw(uint8_t model)
{
    vboard_config_t cfg;
    vboard_t *b;
    vboard_until_t u = {.max_ns = 100000000u};
    uint32_t magic = 0;

    vboard_config_default(&cfg);
    cfg.cpi_model = model;
    b = vboard_create(&cfg);
    assert_non_null(b);
    assert_int_equal(vboard_load_elf(b, VB_CYCLES_FW_ELF), 0);
    vboard_reset(b, VBOARD_RESET_POWER);
    assert_int_equal(vboard_run(b, &u), VBOARD_STOP_HALT);
    assert_int_equal(vboard_halt_code(b), FW_CYCLES_HALT);
    assert_int_equal(
        vboard_read_mem(b, FW_MBOX_ADDR + 4u * FW_MB_MAGIC, &magic, 4), 0);
    assert_int_equal(magic, FW_MAGIC);
    assert_int_equal(
        vboard_read_mem(b, FW_MBOX_ADDR + 4u * FW_MB_RES, s_res, sizeof s_res),
        0);
    for (unsigned i = 0; i < FWC_N; i++)
        print_message("cycles: model=%s bench=%s cycles=%u\n",
                      model == VBOARD_CPI_1 ? "1" : "m4", s_names[i],
                      (unsigned)s_res[i]);
    /* The counters: at one cycle each they agree; on the M4 model there
     * are more cycles than instructions. */
    if (model == VBOARD_CPI_1)
        assert_int_equal(vboard_cycles(b), vboard_insns(b));
    else
        assert_true(vboard_cycles(b) > vboard_insns(b));
    vboard_destroy(b);
}

static void test_instruction_classes_match_the_trm(void **state)
{
    (void)state;
    run_fw(VBOARD_CPI_M4);
    /* Table 3-1, single figures. */
    assert_int_equal(s_res[FWC_ALU], 32);   /* ADD 1 */
    assert_int_equal(s_res[FWC_MUL], 32);   /* MUL 1 */
    assert_int_equal(s_res[FWC_MLA], 32);   /* MLA 1 */
    assert_int_equal(s_res[FWC_UMULL], 32); /* UMULL 1 */
    assert_int_equal(s_res[FWC_UMAAL], 32); /* UMAAL 1 */
    assert_int_equal(s_res[FWC_STR], 32); /* 3.3.2: STR Rx,[Ry,#imm] always 1 */
    /* LDR 2; 3.3.2: each following LDR not using the loaded register
     * for its address pipelines, one cycle less. */
    assert_int_equal(s_res[FWC_LDR], 2 + 31);
    assert_int_equal(s_res[FWC_LDR_CHASE], 32 * 2);
    assert_int_equal(s_res[FWC_LDM], 8 * (1 + 4));         /* LDM 1 + N */
    assert_int_equal(s_res[FWC_STM], 8 * (1 + 4));         /* STM 1 + N */
    assert_int_equal(s_res[FWC_PUSHPOP], 8 * 2 * (1 + 4)); /* PUSH, POP 1 + N */
    /* Ranges: B taken 1 + P, P = 1..3; BNE taken 1 + P, not taken 1. */
    assert_in_range(s_res[FWC_BRANCH], 32 * 2, 32 * 4);
    assert_in_range(s_res[FWC_LOOP], 1 + 32 + 31 * 2 + 1, 1 + 32 + 31 * 4 + 1);
    /* UDIV 2..12, early termination: a 32-bit quotient costs more than a
     * zero one. */
    assert_in_range(s_res[FWC_UDIV_BIG], 8 * 2, 8 * 12);
    assert_in_range(s_res[FWC_UDIV_SMALL], 8 * 2, 8 * 12);
    assert_true(s_res[FWC_UDIV_BIG] > s_res[FWC_UDIV_SMALL]);
    /* RM0090 4.3: 4 AHB cycles per CRC word: back-to-back writes to DR go
     * no faster (the first finds the unit idle, the last is still being
     * computed when the block ends). */
    assert_in_range(s_res[FWC_CRC], 1 + 31 * 4, 32 * 6);
    /* TRM 5.5.1: exception entry 12 cycles, return 10; each SVC round trip
     * also runs the SVC (1) and the handler's BX LR (1 + P, P 0..2 more). */
    assert_in_range(s_res[FWC_SVC], 8 * (1 + 12 + 1 + 10),
                    8 * (1 + 12 + 3 + 10));
}

static void test_flash_wait_states_and_the_art(void **state)
{
    (void)state;
    run_fw(VBOARD_CPI_M4);
    /* RM0090 3.5.2: without the ART every 128-bit line read from flash
     * waits LATENCY cycles: 128 bytes of code are 8 or 9 lines. */
    assert_in_range(s_res[FWC_FL_COLD], 64 + 8 * LAT, 64 + 9 * LAT);
    /* The prefetch buffer reads the next line while the current one
     * executes: 8 16-bit instructions a line hide the LATENCY + 1 cycles
     * of the read, only the first line may wait. */
    assert_in_range(s_res[FWC_FL_PRF16], 64, 64 + LAT + 1);
    /* 4 32-bit instructions a line take 4 cycles, less than the read's
     * LATENCY + 1: each of the 16 lines waits the difference. */
    assert_in_range(s_res[FWC_FL_PRF32], 64 + 15 * (LAT + 1 - 4),
                    64 + 16 * (LAT + 1 - 4) + LAT + 1);
    /* The instruction cache warm: flash runs as fast as SRAM. */
    assert_int_equal(s_res[FWC_FL_ART], 64);
    /* Data reads: no data cache, each read waits; cold, each of the 8
     * lines once; warm, as from SRAM. */
    assert_in_range(s_res[FWC_FD_OFF], 33 + 32 * LAT, 33 + 32 * (LAT + 1));
    assert_in_range(s_res[FWC_FD_COLD], 33 + 8 * LAT, 33 + 9 * LAT);
    assert_int_equal(s_res[FWC_FD_WARM], 33);
}

static void test_one_cycle_per_instruction_mode(void **state)
{
    (void)state;
    run_fw(VBOARD_CPI_1);
    assert_int_equal(s_res[FWC_ALU], 32);
    assert_int_equal(s_res[FWC_LDR], 32);
    assert_int_equal(s_res[FWC_LDR_CHASE], 32);
    assert_int_equal(s_res[FWC_LDM], 8);
    assert_int_equal(s_res[FWC_PUSHPOP], 16);
    assert_int_equal(s_res[FWC_BRANCH], 32);
    assert_int_equal(s_res[FWC_LOOP], 1 + 64);
    assert_int_equal(s_res[FWC_UDIV_BIG], 8);
    assert_int_equal(s_res[FWC_CRC], 32);
    assert_int_equal(s_res[FWC_FL_COLD], 64);
    assert_int_equal(s_res[FWC_FD_OFF], 32);
    /* Exception entry and return cost no time at one cycle per
     * instruction: only the SVC and the BX LR count. */
    assert_int_equal(s_res[FWC_SVC], 8 * 2);
}

static uint32_t insn16(vb_m4_t *m, vb_m4_state_t *s, uint32_t addr, uint16_t op)
{
    uint8_t code[2] = {(uint8_t)op, (uint8_t)(op >> 8)};

    return vb_m4_insn(m, s, addr, 2, code, 0);
}

static void test_model_rules(void **state)
{
    vb_m4_t *m = vb_m4_create(NULL, NULL);
    vb_m4_state_t s;

    (void)state;
    assert_non_null(m);
    vb_m4_state_reset(&s);
    /* POP {r4-r7, pc}: 1 + N, and the refill (P = 3 for a load to the PC)
     * is charged where the new stream starts. */
    assert_int_equal(insn16(m, &s, 0x20000000u, 0xBDF0), 1 + 5);
    assert_int_equal(insn16(m, &s, 0x20000100u, 0xBF00), 1 + 3);
    /* A conditional branch not taken: 1. BNE at 0x20000102 back to 0x100,
     * then the sequential instruction. */
    assert_int_equal(insn16(m, &s, 0x20000102u, 0xD1FD), 1);
    assert_int_equal(insn16(m, &s, 0x20000104u, 0xBF00), 1);
    /* Taken: the target pays 1 + P with P = 1. */
    assert_int_equal(insn16(m, &s, 0x20000106u, 0xD1FB), 1);
    assert_int_equal(insn16(m, &s, 0x20000100u, 0xBF00), 1 + 1);
    /* The cost cache follows the code bytes: the same address holding an
     * LDR (2) then an ADDS (1). */
    assert_int_equal(insn16(m, &s, 0x20000200u, 0x6808), 2);
    assert_int_equal(insn16(m, &s, 0x20000200u, 0x1C40), 1);
    vb_m4_invalidate(m, 0x08000000u, 0x08004000u);
    /* TRM 5.5.1: exception entry 12 cycles, return 10; the handler's first
     * instruction is no branch target to pay again. */
    uint64_t c0 = s.cycles;

    assert_int_equal(vb_m4_exception_entry(&s), 12);
    assert_int_equal(vb_m4_exception_exit(&s), 10);
    assert_int_equal(s.cycles - c0, 22);
    assert_int_equal(insn16(m, &s, 0x20000300u, 0xBF00), 1);
    /* CRC_DR: a second write right after the first waits for the unit. */
    uint32_t w1 = vb_m4_periph(&s, 0x40023000u, true);
    uint32_t w2 = vb_m4_periph(&s, 0x40023000u, true);

    assert_int_equal(w1, 1);
    assert_int_equal(w2, 1 + VB_M4_CRC_CYCLES - 1);
    /* An APB register (USART1) costs the bridge, the core's PPB nothing. */
    assert_int_equal(vb_m4_periph(&s, 0x40011000u, false), 2);
    assert_int_equal(vb_m4_periph(&s, 0xE0001004u, false), 0);
    vb_m4_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_instruction_classes_match_the_trm),
        cmocka_unit_test(test_flash_wait_states_and_the_art),
        cmocka_unit_test(test_one_cycle_per_instruction_mode),
        cmocka_unit_test(test_model_rules),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
