/*
 * The exception model on the board: fw/fw_exc.c runs nested interrupts,
 * PRIGROUP, BASEPRI/PRIMASK, SVC, SysTick at 1 kHz and a two-task PendSV
 * round robin, printing each observation on USART2; every line and the
 * mailbox figures are checked here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <unicorn/unicorn.h>

#include "fota/fota_le.h"
#include "fw_mbox.h"
#include "vboard.h"

/* What the firmware must print: fw/fw_exc.expect, which QEMU's
 * netduinoplus2 must print too (tests/qemu/run_qemu_exc.sh). */
static char *read_expect(void)
{
    FILE *f = fopen(VB_EXC_EXPECT, "rb");
    static char buf[1024];
    size_t n;

    assert_non_null(f);
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    assert_true(n > 0 && n < sizeof buf - 1);
    buf[n] = '\0';
    return buf;
}

static uint32_t mb(vboard_t *b, unsigned w)
{
    uint8_t v[4];

    assert_int_equal(vboard_read_mem(b, FW_MBOX_ADDR + 4u * w, v, 4), 0);
    return fota_get_le32(v);
}

static void test_exceptions(void **state)
{
    vboard_t *b = vboard_create(NULL);
    size_t n;
    const char *out;
    int rc;

    (void)state;
    assert_non_null(b);
    assert_int_equal(vboard_load_elf(b, VB_EXC_FW_ELF), 0);
    vboard_reset(b, VBOARD_RESET_POWER);
    rc = vboard_run_ns(b, 2000000000u);
    if (rc != VBOARD_STOP_HALT)
        print_message("stop %d fault %s pc 0x%08x\n", rc,
                      vboard_fault(b) ? vboard_fault(b) : "-", vboard_pc(b));
    out = vboard_uart2_output(b, &n);
    print_message("%s", out);
    assert_int_equal(rc, VBOARD_STOP_HALT);
    assert_int_equal(vboard_halt_code(b), 0x5E);
    assert_string_equal(out, read_expect());
    /* USART1 saw nothing. */
    vboard_uart_output(b, &n);
    assert_int_equal(n, 0);
    assert_int_equal(mb(b, FW_MB_RES + 2), 5);  /* SVC immediate */
    assert_int_equal(mb(b, FW_MB_RES + 3), 42); /* r0 from the frame */
    /* 100 SysTick periods of 16000 cycles, within the few cycles the
     * handler and the polling loop add. */
    assert_in_range(mb(b, FW_MB_RES + 4), 99u * 16000u, 101u * 16000u);
    assert_int_equal(mb(b, FW_MB_RES + 9), 20);
    assert_true(mb(b, FW_MB_RES + 11) > 0 && mb(b, FW_MB_RES + 12) > 0);
    /* 10 in the first tests, 100 SysTicks, then 20 SysTick + 20 PendSV
     * at least in the round robin. */
    assert_true(vboard_exceptions(b) >= 10u + 100u + 40u);
    vboard_destroy(b);
}

/* A snapshot taken inside a handler continues exactly like the original:
 * same output, same instruction count, same time at the halt. Points:
 * in IRQ1 nested in IRQ0 (IPSR 17), in the PendSV of the round robin
 * (IPSR 14, the tasks on PSP), and in a task (thread mode on PSP). On the
 * Cortex-M4 cycle model (the default) the round robin starts after ~1.02 M
 * instructions (the 100 SysTick periods are 1.6 M cycles, the polling loop
 * several cycles a pass) and the firmware halts at ~1.28 M. */
static void test_snapshot_in_exceptions(void **state)
{
    static const struct {
        uint64_t from;
        uint32_t ipsr, control;
    } at[] = {{0, 17, 0}, {1050000, 14, 0}, {1050000, 0, 2}};

    (void)state;
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
        vboard_t *a = vboard_create(NULL), *b = vboard_create(NULL);
        vboard_snapshot_t *snap;
        unsigned steps = 0;

        assert_non_null(a);
        assert_non_null(b);
        assert_int_equal(vboard_load_elf(a, VB_EXC_FW_ELF), 0);
        vboard_reset(a, VBOARD_RESET_POWER);
        if (at[i].from)
            assert_int_equal(vboard_run_insns(a, at[i].from),
                             VBOARD_STOP_INSNS);
        while ((vboard_reg(a, UC_ARM_REG_IPSR) & 0x1FFu) != at[i].ipsr ||
               vboard_reg(a, UC_ARM_REG_CONTROL) != at[i].control) {
            assert_int_equal(vboard_run_insns(a, 1), VBOARD_STOP_INSNS);
            assert_true(++steps < 200000);
        }
        snap = vboard_snapshot(a);
        assert_non_null(snap);
        assert_int_equal(vboard_restore(b, snap), 0);
        vboard_snapshot_free(snap);
        assert_int_equal(vboard_reg(b, UC_ARM_REG_IPSR) & 0x1FFu, at[i].ipsr);
        assert_int_equal(vboard_reg(b, UC_ARM_REG_SP),
                         vboard_reg(a, UC_ARM_REG_SP));
        assert_int_equal(vboard_run_ns(a, 2000000000u), VBOARD_STOP_HALT);
        assert_int_equal(vboard_run_ns(b, 2000000000u), VBOARD_STOP_HALT);
        assert_string_equal(vboard_uart2_output(b, NULL), read_expect());
        assert_int_equal(vboard_insns(a), vboard_insns(b));
        assert_int_equal(vboard_now_ns(a), vboard_now_ns(b));
        vboard_destroy(a);
        vboard_destroy(b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exceptions),
        cmocka_unit_test(test_snapshot_in_exceptions)};

    return cmocka_run_group_tests(tests, NULL, NULL);
}
