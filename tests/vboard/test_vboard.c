/*
 * Virtual board: each peripheral model's semantics, checked with the tiny
 * test firmware in fw/ (one routine per mailbox command), plus exact
 * instruction-count stops, power cuts, SPI overrun/stale bytes and the
 * watchdog.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <unicorn/unicorn.h>

#include "fota/fota_crc32.h"
#include "fota/fota_layout.h"
#include "fota/fota_le.h"
#include "fw_mbox.h"
#include "vboard.h"

static uint32_t mb_get(vboard_t *b, unsigned word)
{
    uint8_t v[4];

    assert_int_equal(vboard_read_mem(b, FW_MBOX_ADDR + 4u * word, v, 4), 0);
    return fota_get_le32(v);
}

static void mb_set(vboard_t *b, unsigned word, uint32_t val)
{
    uint8_t v[4];

    fota_put_le32(v, val);
    assert_int_equal(vboard_write_mem(b, FW_MBOX_ADDR + 4u * word, v, 4), 0);
}

/* A powered board running the test firmware with cmd/param in the mailbox
 * (nothing has executed yet). */
static vboard_t *board_for(uint32_t cmd, uint32_t param,
                           const vboard_config_t *cfg)
{
    vboard_t *b = vboard_create(cfg);

    assert_non_null(b);
    assert_int_equal(vboard_load_elf(b, VB_FW_ELF), 0);
    vboard_reset(b, VBOARD_RESET_POWER);
    mb_set(b, FW_MB_CMD, cmd);
    mb_set(b, FW_MB_PARAM, param);
    mb_set(b, FW_MB_BOOTS, 0);
    return b;
}

static int run_to_halt(vboard_t *b, uint64_t max_ns)
{
    vboard_until_t u = {.max_ns = max_ns};
    int rc = vboard_run(b, &u);

    if (rc == VBOARD_STOP_FAULT)
        print_message("fault: %s\n", vboard_fault(b));
    return rc;
}

static void test_clock_uart_leds_crc_systick(void **state)
{
    vboard_t *b = board_for(FW_CMD_CLOCK, 0, NULL);
    const vboard_led_event_t *ev;
    uint8_t data[32];
    size_t n;

    (void)state;
    assert_int_equal(run_to_halt(b, 100000000u), VBOARD_STOP_HALT);
    assert_int_equal(vboard_halt_code(b), FW_CMD_CLOCK);
    assert_int_equal(mb_get(b, FW_MB_RES + 0), 1); /* ran from HSE */
    assert_int_equal(mb_get(b, FW_MB_RES + 1), 2); /* SWS = PLL */
    assert_int_equal(vboard_hclk_hz(b), 168000000u);
    assert_non_null(strstr(vboard_uart_output(b, NULL), "hello vboard\r\n"));
    n = vboard_led_log(b, &ev);
    assert_int_equal(n, 3);
    assert_int_equal(ev[0].leds, 0x5);
    assert_int_equal(ev[1].leds, 0xA);
    assert_int_equal(ev[2].leds, 0x0);
    /* 14 characters at 115200 baud (8N1) lie between the second and third
     * LED change: 14 * 10 / 115200 s = 1.215 ms. */
    assert_true(ev[2].t_ns - ev[1].t_ns >= 1200000u);
    assert_true(ev[2].t_ns - ev[1].t_ns < 1300000u);
    assert_int_equal(mb_get(b, FW_MB_RES + 2), 0x410FC241u);
    assert_int_equal(mb_get(b, FW_MB_RES + 3), 1024);
    assert_int_equal(vboard_read_mem(b, mb_get(b, FW_MB_RES + 5), data, 32), 0);
    assert_int_equal(mb_get(b, FW_MB_RES + 4), fota_crc32_st(data, 32));
    /* SysTick on the CPU clock and DWT_CYCCNT agree, and count real cycles. */
    uint32_t st = mb_get(b, FW_MB_RES + 6), cyc = mb_get(b, FW_MB_RES + 7);

    assert_true(cyc >= 3000 && cyc < 20000);
    assert_true(st + 20 > cyc && st < cyc + 20);
    assert_int_equal(mb_get(b, FW_MB_RES + 8), 1); /* COUNTFLAG after wraps */
    assert_int_equal(mb_get(b, FW_MB_RES + 9), 0); /* cleared by the read */
    /* The crystal start-up (2 ms) is on the clock. */
    assert_true(vboard_now_ns(b) > 2000000u + 1200000u);
    vboard_destroy(b);
}

static void test_hse_failure_falls_back_to_hsi(void **state)
{
    vboard_config_t cfg;
    vboard_t *b;

    (void)state;
    vboard_config_default(&cfg);
    cfg.hse_fails = true;
    b = board_for(FW_CMD_CLOCK, 0, &cfg);
    assert_int_equal(run_to_halt(b, 100000000u), VBOARD_STOP_HALT);
    assert_int_equal(mb_get(b, FW_MB_RES + 0), 0);
    assert_int_equal(mb_get(b, FW_MB_RES + 1), 2);
    assert_int_equal(vboard_hclk_hz(b), 168000000u);
    assert_non_null(strstr(vboard_uart_output(b, NULL), "hello vboard"));
    vboard_destroy(b);
}

static void test_flash_program_semantics(void **state)
{
    vboard_t *b = board_for(FW_CMD_FLASH_PROG, 0, NULL);
    uint8_t w[4];

    (void)state;
    assert_int_equal(run_to_halt(b, 100000000u), VBOARD_STOP_HALT);
    assert_int_equal(vboard_halt_code(b), FW_CMD_FLASH_PROG);
    assert_int_equal(mb_get(b, FW_MB_RES + 0), 0x1);           /* EOP only */
    assert_int_equal(mb_get(b, FW_MB_RES + 1), 0x12340000u);   /* AND */
    assert_int_equal(mb_get(b, FW_MB_RES + 2) & 0xF0u, 0x40u); /* PGPERR */
    assert_int_equal(mb_get(b, FW_MB_RES + 3) & 0xF0u, 0x80u); /* PGSERR */
    assert_true(mb_get(b, FW_MB_RES + 4) & 0x80000000u);       /* LOCK */
    assert_int_equal(mb_get(b, FW_MB_RES + 5), 0xFFFFFFFFu);
    assert_int_equal(mb_get(b, FW_MB_RES + 6), 0xFFFFFFFFu);
    assert_int_equal(vboard_read_mem(b, 0x08020000u, w, 4), 0);
    assert_int_equal(fota_get_le32(w), 0x12340000u);
    assert_int_equal(vboard_flash(b)->words_programmed, 2);
    assert_int_equal(vboard_flash(b)->overwrites, 1);
    vboard_destroy(b);
}

static void test_flash_erase_busy_stalls_flash_not_sram(void **state)
{
    vboard_t *b = board_for(FW_CMD_FLASH_ERASE, 0, NULL);
    static uint8_t zeros[0x40000];
    uint8_t chk[256];
    uint64_t erase_ns = sim_flash_erase_ns(vboard_flash(b), 5);

    (void)state;
    vboard_program_flash(b, 0x08020000u, zeros, sizeof zeros);
    assert_int_equal(run_to_halt(b, 10000000000ull), VBOARD_STOP_HALT);
    assert_int_equal(vboard_halt_code(b), FW_CMD_FLASH_ERASE);
    /* From flash: the CPU stalled for the whole erase (HSI, 16 cycles/us)
     * and saw BSY clear at its first poll. */
    assert_true(mb_get(b, FW_MB_RES + 0) >= erase_ns * 16u / 1000u);
    assert_int_equal(mb_get(b, FW_MB_RES + 1), 0);
    /* From SRAM: it kept running and polled all along. */
    assert_true(mb_get(b, FW_MB_RES + 2) > 100000u);
    assert_true(mb_get(b, FW_MB_RES + 3) >= erase_ns * 16u / 1000u);
    assert_int_equal(mb_get(b, FW_MB_RES + 4) & 0xF3u, 0);
    assert_int_equal(
        vboard_read_mem(b, 0x08020000u + 0x1F000u, chk, sizeof chk), 0);
    for (size_t i = 0; i < sizeof chk; i++)
        assert_int_equal(chk[i], 0xFF);
    assert_int_equal(vboard_read_mem(b, 0x08040000u + 0x100u, chk, sizeof chk),
                     0);
    for (size_t i = 0; i < sizeof chk; i++)
        assert_int_equal(chk[i], 0xFF);
    assert_int_equal(vboard_flash(b)->wear[5], 1);
    assert_int_equal(vboard_flash(b)->wear[6], 1);
    assert_true(vboard_now_ns(b) >= 2 * erase_ns);
    vboard_destroy(b);
}

static void test_flash_wrong_key_locks_until_reset(void **state)
{
    vboard_t *b = board_for(FW_CMD_FLASH_KEY, 0, NULL);

    (void)state;
    assert_int_equal(run_to_halt(b, 10000000u), VBOARD_STOP_HALT);
    assert_true(mb_get(b, FW_MB_RES + 0) & 0x80000000u);
    /* After a reset the right sequence unlocks again. */
    vboard_reset(b, VBOARD_RESET_PIN);
    mb_set(b, FW_MB_CMD, FW_CMD_FLASH_PROG);
    assert_int_equal(run_to_halt(b, 100000000u), VBOARD_STOP_HALT);
    assert_int_equal(mb_get(b, FW_MB_RES + 1), 0x12340000u);
    vboard_destroy(b);
}

static void spi_xfer1(vboard_t *b, uint8_t tx, uint8_t *rx)
{
    assert_int_equal(vboard_spi_xfer(b, &tx, rx, 1), 0);
}

static void test_spi_timing_stale_and_gaps(void **state)
{
    vboard_t *b = board_for(FW_CMD_SPI_ECHO, 1, NULL); /* 168 MHz, no delay */
    uint8_t tx[4] = {0x10, 0x20, 0x30, 0x40}, rx[4];
    uint64_t bytes, ovr, stale, t0;
    FILE *trace;

    (void)state;
    assert_int_equal(vboard_run_ns(b, 5000000u), VBOARD_STOP_TIME);
    vboard_spi_set_hz(b, 8000000u);
    vboard_spi_set_cs(b, true);
    /* Back to back at 8 MHz: the firmware answers within the next byte,
     * too late for it, so that byte repeats the old DR content. */
    trace = tmpfile();
    assert_non_null(trace);
    vboard_spi_trace(b, trace);
    t0 = vboard_now_ns(b);
    assert_int_equal(vboard_spi_xfer(b, tx, rx, 4), 0);
    vboard_spi_trace(b, NULL);
    /* Byte i ends at t0 + (i + 1) us, on the master's clock: the CPU stops
     * at an instruction boundary, so each end may be up to one instruction
     * (at most ~20 cycles on the cycle model) late, but that lateness does
     * not add up from byte to byte. */
    assert_in_range(vboard_now_ns(b) - t0, 4000u, 4000u + 20u * 1000u / 168u);
    rewind(trace);
    for (unsigned i = 0; i < 4; i++) {
        double us = 0;
        uint64_t end_ns;

        assert_int_equal(fscanf(trace, "spi %lf us %*[^\n]\n", &us), 1);
        end_ns = (uint64_t)(us * 1000.0 + 0.5);
        assert_in_range(end_ns - t0, 1000u * (i + 1),
                        1000u * (i + 1) + 20u * 1000u / 168u);
    }
    fclose(trace);
    assert_int_equal(rx[0], 0xA5);
    assert_int_equal(rx[1], 0xA5); /* stale */
    assert_int_equal(rx[2], 0x11);
    assert_int_equal(rx[3], 0x21);
    /* With a gap the answer is ready. */
    vboard_run_ns(b, 2000u);
    spi_xfer1(b, 0x50, &rx[0]);
    assert_int_equal(rx[0], 0x41);
    vboard_run_ns(b, 2000u);
    spi_xfer1(b, 0xFF, &rx[0]);
    assert_int_equal(rx[0], 0x51);
    assert_int_equal(run_to_halt(b, 1000000u), VBOARD_STOP_HALT);
    assert_int_equal(mb_get(b, FW_MB_RES + 0), 6);
    assert_int_equal(mb_get(b, FW_MB_RES + 1), 0);
    vboard_spi_stats(b, &bytes, &ovr, &stale);
    assert_int_equal(bytes, 6);
    assert_int_equal(ovr, 0);
    assert_int_equal(stale, 1);
    vboard_destroy(b);
}

static void test_spi_overrun_loses_bytes(void **state)
{
    /* HSI 16 MHz and a delay loop: ~16 instructions per byte at 8 MHz is
     * far too little for this firmware. */
    vboard_t *b = board_for(FW_CMD_SPI_ECHO, 40u << 8, NULL);
    uint8_t tx[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 0xFF}, rx[10];
    uint64_t ovr;

    (void)state;
    assert_int_equal(vboard_run_ns(b, 100000u), VBOARD_STOP_TIME);
    vboard_spi_set_cs(b, true);
    assert_int_equal(vboard_spi_xfer(b, tx, rx, 10), 0);
    vboard_spi_stats(b, NULL, &ovr, NULL);
    assert_true(ovr > 0);
    vboard_run_ns(b, 1000000u);
    /* Bytes were lost: the firmware saw fewer than 10, and saw OVR. */
    assert_true(mb_get(b, FW_MB_RES + 0) < 10);
    assert_true(mb_get(b, FW_MB_RES + 1) > 0);
    vboard_destroy(b);
}

static void test_spi_unselected_or_unconfigured_answers_ff(void **state)
{
    vboard_t *b = board_for(FW_CMD_SPI_ECHO, 1, NULL);
    uint8_t rx = 0;

    (void)state;
    spi_xfer1(b, 0x10, &rx); /* not configured yet */
    assert_int_equal(rx, 0xFF);
    vboard_run_ns(b, 5000000u);
    vboard_spi_set_cs(b, false);
    spi_xfer1(b, 0x10, &rx); /* NSS high: not selected */
    assert_int_equal(rx, 0xFF);
    assert_int_equal(
        mb_get(b, FW_MB_RES + 0) == 0 || mb_get(b, FW_MB_RES + 0) > 1000, 1);
    vboard_spi_set_cs(b, true);
    spi_xfer1(b, 0x10, &rx);
    assert_int_equal(rx, 0xA5);
    vboard_destroy(b);
}

static void test_uart_rx_echo(void **state)
{
    vboard_t *b = board_for(FW_CMD_UART_ECHO, 0, NULL);
    uint64_t t0;

    (void)state;
    vboard_run_ns(b, 100000u);
    t0 = vboard_now_ns(b);
    assert_int_equal(vboard_uart_send(b, "abc.", 4), 0);
    assert_int_equal(run_to_halt(b, 10000000u), VBOARD_STOP_HALT);
    assert_string_equal(vboard_uart_output(b, NULL), "ABC!");
    assert_true(vboard_now_ns(b) - t0 >= 4u * 86000u); /* 4 chars at 115200 */
    vboard_destroy(b);
}

static void test_iwdg_resets_stuck_firmware(void **state)
{
    vboard_t *b = board_for(FW_CMD_IWDG, 0, NULL);

    (void)state;
    assert_int_equal(run_to_halt(b, 200000000u), VBOARD_STOP_HALT);
    assert_int_equal(vboard_halt_code(b), FW_CMD_IWDG);
    assert_int_equal(vboard_reset_count(b), 2);
    assert_true(mb_get(b, FW_MB_RES + 0) & (1u << 29)); /* IWDGRSTF */
    assert_true(mb_get(b, FW_MB_RES + 0) & (1u << 26)); /* PINRSTF */
    /* Flags add up until RMVF: the power-on reset is still there. */
    assert_true(mb_get(b, FW_MB_RES + 0) & (1u << 27));
    assert_int_equal(mb_get(b, FW_MB_RES + 1) & 0xFF000000u, 0); /* RMVF */
    assert_int_equal(mb_get(b, FW_MB_RES + 2), 0x57C4u);         /* SRAM kept */
    assert_int_equal(mb_get(b, FW_MB_BOOTS), 2);
    /* Five kicks, then 10 ms (80 x 125 us) without one. */
    assert_true(vboard_now_ns(b) > 10000000u);
    assert_true(vboard_now_ns(b) < 40000000u);
    vboard_destroy(b);
}

static void test_iwdg_fires_during_flash_stall_and_tears_erase(void **state)
{
    vboard_t *b = board_for(FW_CMD_IWDG_ERASE, 0, NULL);
    static uint8_t zeros[0x20000];
    uint8_t v[4];
    unsigned erased = 0, kept = 0;

    (void)state;
    mb_set(b, FW_MB_RES + 0, 0);
    vboard_program_flash(b, 0x08020000u, zeros, sizeof zeros);
    assert_int_equal(run_to_halt(b, 2000000000u), VBOARD_STOP_HALT);
    assert_int_equal(vboard_halt_code(b), FW_CMD_IWDG_ERASE);
    assert_int_equal(vboard_reset_count(b), 2);
    assert_true(vboard_reset_flags(b) & VBOARD_RST_IWDG);
    assert_int_equal(mb_get(b, FW_MB_RES + 0), 0);
    /* The reset came 10 ms into a 1 s erase, not after it. */
    assert_true(vboard_now_ns(b) < 50000000u);
    for (uint32_t off = 0; off < sizeof zeros; off += 4) {
        vboard_read_mem(b, 0x08020000u + off, v, 4);
        erased += fota_get_le32(v) == 0xFFFFFFFFu;
        kept += fota_get_le32(v) == 0;
    }
    assert_true(erased > 0 && kept > 0); /* torn */
    vboard_destroy(b);
}

static void test_sysresetreq(void **state)
{
    vboard_t *b = board_for(FW_CMD_SYSRESET, 0, NULL);

    (void)state;
    assert_int_equal(run_to_halt(b, 10000000u), VBOARD_STOP_HALT);
    assert_int_equal(vboard_halt_code(b), FW_CMD_SYSRESET);
    assert_int_equal(mb_get(b, FW_MB_BOOTS), 2);
    assert_true(mb_get(b, FW_MB_RES + 0) & (1u << 28)); /* SFTRSTF */
    assert_true(vboard_reset_flags(b) & VBOARD_RST_SFT);
    vboard_destroy(b);
}

static void test_instruction_counts_are_exact(void **state)
{
    vboard_t *a = board_for(FW_CMD_COUNT, 0, NULL);
    vboard_t *c = board_for(FW_CMD_COUNT, 0, NULL);
    uint32_t pc;

    (void)state;
    assert_int_equal(vboard_run_insns(a, 1000), VBOARD_STOP_INSNS);
    assert_int_equal(vboard_insns(a), 1000);
    for (int i = 0; i < 5; i++) {
        pc = vboard_pc(a);
        assert_int_equal(vboard_run_insns(a, 1), VBOARD_STOP_INSNS);
        assert_int_equal(vboard_insns(a), 1001 + i);
        assert_int_not_equal(vboard_pc(a), pc);
    }
    /* One slice or many: the same machine state. */
    assert_int_equal(vboard_run_insns(a, 5000 - 1005), VBOARD_STOP_INSNS);
    for (int i = 0; i < 50; i++)
        vboard_run_insns(c, 100);
    assert_int_equal(vboard_insns(c), 5000);
    assert_int_equal(vboard_pc(a), vboard_pc(c));
    for (int r = UC_ARM_REG_R0; r <= UC_ARM_REG_R12; r++)
        assert_int_equal(vboard_reg(a, r), vboard_reg(c, r));
    assert_int_equal(mb_get(a, FW_MB_RES), mb_get(c, FW_MB_RES));
    assert_int_equal(vboard_now_ns(a), vboard_now_ns(c));
    vboard_destroy(a);
    vboard_destroy(c);
}

/* Words 0..199 at slot A after a FLASH_LOOP run: how many hold their value;
 * the word after them must be erased or a torn (partial) program of it. */
static unsigned count_programmed(vboard_t *b)
{
    uint8_t v[4];
    unsigned k = 0;

    for (; k < 200; k++) {
        vboard_read_mem(b, 0x08020000u + 4u * k, v, 4);
        if (fota_get_le32(v) != k)
            break;
    }
    if (k < 200) {
        uint32_t w =
            (vboard_read_mem(b, 0x08020000u + 4u * k, v, 4), fota_get_le32(v));

        assert_int_equal(w & k, k); /* only some of its 1->0 bits landed */
        for (unsigned j = k + 1; j < 200; j++) {
            vboard_read_mem(b, 0x08020000u + 4u * j, v, 4);
            assert_int_equal(fota_get_le32(v), 0xFFFFFFFFu);
        }
    }
    return k;
}

static void test_power_cut_after_n_instructions(void **state)
{
    vboard_t *b = board_for(FW_CMD_FLASH_LOOP, 0, NULL);
    uint64_t total;
    unsigned prev = 0;

    (void)state;
    assert_int_equal(run_to_halt(b, 1000000000u), VBOARD_STOP_HALT);
    total = vboard_insns(b);
    assert_int_equal(count_programmed(b), 200);
    vboard_destroy(b);
    for (uint64_t n = total / 16; n < total; n += total / 16) {
        b = board_for(FW_CMD_FLASH_LOOP, 0, NULL);
        assert_int_equal(vboard_power_cut_after(b, n), n);
        assert_int_equal(vboard_power_cuts(b), 1);
        assert_int_equal(vboard_insns(b), 0);
        assert_true(vboard_reset_flags(b) & VBOARD_RST_POR);
        assert_int_not_equal(mb_get(b, FW_MB_MAGIC), FW_MAGIC); /* junk */
        unsigned k = count_programmed(b);

        assert_true(k >= prev);
        assert_true(k < 200);
        prev = k;
        vboard_destroy(b);
    }
    assert_true(prev > 150);
}

static void test_power_cut_at_flash_operation(void **state)
{
    vboard_t *b = board_for(FW_CMD_FLASH_LOOP, 0, NULL);
    uint8_t v[4];

    (void)state;
    vboard_arm_flash_cut(b, 50, SIM_CUT_TORN, 7);
    assert_int_equal(run_to_halt(b, 1000000000u), VBOARD_STOP_TIME);
    assert_int_equal(vboard_power_cuts(b), 1);
    assert_int_equal(vboard_insns(b), 0);
    assert_int_equal(count_programmed(b), 50);
    vboard_read_mem(b, 0x08020000u + 4u * 51, v, 4);
    assert_int_equal(fota_get_le32(v), 0xFFFFFFFFu);
    vboard_destroy(b);
}

static void test_wfi_idles_until_next_slice(void **state)
{
    vboard_t *b = board_for(FW_CMD_WFI, 0, NULL);
    uint64_t insns;

    (void)state;
    assert_int_equal(vboard_run_ns(b, 1000000u), VBOARD_STOP_TIME);
    assert_int_equal(mb_get(b, FW_MB_RES + 0), 1);
    insns = vboard_insns(b);
    assert_true(insns < 1000); /* idle, not spinning */
    assert_int_equal(vboard_now_ns(b), 1000000u);
    assert_int_equal(run_to_halt(b, 1000000u), VBOARD_STOP_HALT);
    assert_int_equal(mb_get(b, FW_MB_RES + 1), 2);
    vboard_destroy(b);
}

static void test_stop_on_uart_text_and_pc(void **state)
{
    vboard_t *b = board_for(FW_CMD_CLOCK, 0, NULL);
    vboard_until_t u = {.max_ns = 100000000u, .uart_text = "vboard"};
    uint32_t target;

    (void)state;
    assert_int_equal(vboard_run(b, &u), VBOARD_STOP_UART);
    assert_non_null(strstr(vboard_uart_output(b, NULL), "hello vboard"));
    assert_null(strstr(vboard_uart_output(b, NULL), "\n"));
    vboard_destroy(b);
    /* The PC reached after 40 instructions on one board stops another. */
    b = board_for(FW_CMD_CLOCK, 0, NULL);
    vboard_run_insns(b, 40);
    target = vboard_pc(b);
    vboard_destroy(b);
    b = board_for(FW_CMD_CLOCK, 0, NULL);
    memset(&u, 0, sizeof u);
    u.pc = target;
    u.max_insns = 1000;
    assert_int_equal(vboard_run(b, &u), VBOARD_STOP_PC);
    assert_int_equal(vboard_pc(b), target);
    assert_true(vboard_insns(b) <= 40);
    /* Resuming from there does not stop at once. */
    assert_int_equal(vboard_run(b, &u),
                     vboard_insns(b) < 40 ? VBOARD_STOP_PC : VBOARD_STOP_INSNS);
    vboard_destroy(b);
}

static void test_flash_image_roundtrip_and_sysmem(void **state)
{
    vboard_t *a = board_for(FW_CMD_FLASH_PROG, 0, NULL), *c;
    char path[] = "/tmp/vboard_img_XXXXXX";
    uint8_t x[8], y[8];
    int fd = mkstemp(path);

    (void)state;
    assert_true(fd >= 0);
    assert_int_equal(run_to_halt(a, 100000000u), VBOARD_STOP_HALT);
    assert_int_equal(vboard_save_flash_image(a, path), 0);
    c = vboard_create(NULL);
    assert_int_equal(vboard_load_flash_image(c, path), 0);
    assert_memory_equal(vboard_flash(a)->mem, vboard_flash(c)->mem,
                        FOTA_FLASH_SIZE);
    remove(path);
    /* Flash size word and UID are readable, option bytes hold RDP 0xAA. */
    assert_int_equal(vboard_read_mem(c, 0x1FFF7A22u, x, 2), 0);
    assert_int_equal(fota_get_le16(x), 1024);
    assert_int_equal(vboard_read_mem(c, 0x1FFFC000u, y, 2), 0);
    assert_int_equal(y[1], 0xAA);
    vboard_destroy(a);
    vboard_destroy(c);
}

static void test_nrst_holds_the_cpu(void **state)
{
    vboard_t *b = board_for(FW_CMD_COUNT, 0, NULL);
    uint64_t t0;

    (void)state;
    vboard_run_insns(b, 1000);
    vboard_set_nrst(b, true);
    t0 = vboard_now_ns(b);
    assert_int_equal(vboard_run_ns(b, 1000000u), VBOARD_STOP_TIME);
    assert_int_equal(vboard_insns(b), 1000);
    assert_int_equal(vboard_now_ns(b) - t0, 1000000u);
    vboard_set_nrst(b, false);
    assert_int_equal(vboard_insns(b), 0);
    assert_int_equal(vboard_reset_count(b), 2);
    assert_true(vboard_reset_flags(b) & VBOARD_RST_PIN);
    assert_int_equal(vboard_run_insns(b, 10), VBOARD_STOP_INSNS);
    vboard_destroy(b);
}

static void test_snapshot_restore_is_exact(void **state)
{
    vboard_t *a = board_for(FW_CMD_CLOCK, 0, NULL), *c;
    vboard_snapshot_t *snap;
    uint64_t t_end, n_end;
    uint32_t res[10];
    char out[64];

    (void)state;
    /* Mid-way through the clock set-up (HSE starting). */
    assert_int_equal(vboard_run_insns(a, 2000), VBOARD_STOP_INSNS);
    snap = vboard_snapshot(a);
    assert_non_null(snap);
    assert_int_equal(run_to_halt(a, 100000000u), VBOARD_STOP_HALT);
    t_end = vboard_now_ns(a);
    n_end = vboard_insns(a);
    for (unsigned i = 0; i < 10; i++)
        res[i] = mb_get(a, FW_MB_RES + i);
    snprintf(out, sizeof out, "%s", vboard_uart_output(a, NULL));
    /* Again on the same board, and on another one. */
    for (int round = 0; round < 2; round++) {
        c = round == 0 ? a : vboard_create(NULL);
        assert_int_equal(vboard_restore(c, snap), 0);
        assert_int_equal(vboard_insns(c), 2000);
        assert_string_equal(vboard_uart_output(c, NULL), "");
        assert_int_equal(run_to_halt(c, 100000000u), VBOARD_STOP_HALT);
        assert_int_equal(vboard_now_ns(c), t_end);
        assert_int_equal(vboard_insns(c), n_end);
        for (unsigned i = 0; i < 10; i++)
            assert_int_equal(mb_get(c, FW_MB_RES + i), res[i]);
        assert_string_equal(vboard_uart_output(c, NULL), out);
        assert_int_equal(vboard_led_log(c, NULL), 3);
        if (c != a)
            vboard_destroy(c);
    }
    vboard_snapshot_free(snap);
    vboard_destroy(a);
}

/* A cut k instructions after a snapshot leaves the same flash as a cut
 * after the same total count from power-on. */
static void test_snapshot_then_cut_matches_cut_from_start(void **state)
{
    vboard_t *a = board_for(FW_CMD_FLASH_LOOP, 0, NULL), *c;
    vboard_snapshot_t *snap;
    const uint64_t base = 3000;

    (void)state;
    vboard_run_insns(a, base);
    snap = vboard_snapshot(a);
    assert_non_null(snap);
    for (uint64_t k = 1; k < 400; k += 37) {
        assert_int_equal(vboard_restore(a, snap), 0);
        vboard_power_cut_after(a, k);
        c = board_for(FW_CMD_FLASH_LOOP, 0, NULL);
        vboard_power_cut_after(c, base + k);
        assert_memory_equal(vboard_flash(a)->mem + 0x20000,
                            vboard_flash(c)->mem + 0x20000, 0x1000);
        assert_int_equal(vboard_flash(a)->ops, vboard_flash(c)->ops);
        vboard_destroy(c);
    }
    vboard_snapshot_free(snap);
    vboard_destroy(a);
}

/* Not a check: how fast the board runs firmware on this machine. */
static void test_speed_report(void **state)
{
    vboard_t *b = board_for(FW_CMD_COUNT, 0, NULL);
    struct timespec t0, t1;
    const uint64_t n = 20000000u;

    (void)state;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(vboard_run_insns(b, n), VBOARD_STOP_INSNS);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) +
               (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;

    print_message(
        "vboard speed: %.1f M instructions/s (%.2f x real time at 16 MHz)\n",
        (double)n / s / 1e6, (double)vboard_now_ns(b) / 1e9 / s);
    assert_int_equal(vboard_insns(b), n);
    vboard_destroy(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clock_uart_leds_crc_systick),
        cmocka_unit_test(test_hse_failure_falls_back_to_hsi),
        cmocka_unit_test(test_flash_program_semantics),
        cmocka_unit_test(test_flash_erase_busy_stalls_flash_not_sram),
        cmocka_unit_test(test_flash_wrong_key_locks_until_reset),
        cmocka_unit_test(test_spi_timing_stale_and_gaps),
        cmocka_unit_test(test_spi_overrun_loses_bytes),
        cmocka_unit_test(test_spi_unselected_or_unconfigured_answers_ff),
        cmocka_unit_test(test_uart_rx_echo),
        cmocka_unit_test(test_iwdg_resets_stuck_firmware),
        cmocka_unit_test(test_iwdg_fires_during_flash_stall_and_tears_erase),
        cmocka_unit_test(test_sysresetreq),
        cmocka_unit_test(test_instruction_counts_are_exact),
        cmocka_unit_test(test_power_cut_after_n_instructions),
        cmocka_unit_test(test_power_cut_at_flash_operation),
        cmocka_unit_test(test_wfi_idles_until_next_slice),
        cmocka_unit_test(test_stop_on_uart_text_and_pc),
        cmocka_unit_test(test_flash_image_roundtrip_and_sysmem),
        cmocka_unit_test(test_nrst_holds_the_cpu),
        cmocka_unit_test(test_snapshot_restore_is_exact),
        cmocka_unit_test(test_snapshot_then_cut_matches_cut_from_start),
        cmocka_unit_test(test_speed_report),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
