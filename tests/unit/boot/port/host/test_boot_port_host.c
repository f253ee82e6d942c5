/*
 * test_boot_port_host.c - the bootloader's host port on the flash model:
 * argument checks before any change, ascending word order (proved with a
 * power cut), erase, the CRC against an independent bitwise reference, the
 * clock derived from the model, the watchdog counter, the non-blocking trio
 * and injected FLASH_SR errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "boot_port.h"
#include "boot_port_host.h"
#include "fota/fota_err.h"
#include "fota/fota_le.h"

static int setup(void **state)
{
    sim_flash_t *f = malloc(sizeof *f);

    if (!f)
        return -1;
    sim_flash_init(f, SIM_FLASH_TYPICAL);
    boot_port_host_bind(f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    boot_port_host_bind(NULL);
    free(*state);
    return 0;
}

static void test_write_read_le(void **state)
{
    sim_flash_t *f = *state;
    const uint8_t src[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    uint8_t back[12];

    assert_ptr_equal(boot_port_host_flash(), f);
    assert_int_equal(boot_flash_write(FOTA_SLOT_B_ADDR, src, sizeof src), 0);
    assert_int_equal(boot_flash_read(FOTA_SLOT_B_ADDR, back, sizeof back), 0);
    assert_memory_equal(src, back, sizeof src);
    assert_int_equal(f->words_programmed, 3);
    assert_int_equal(f->ops, 3);
    assert_int_equal(f->overwrites, 0);
    /* Unaligned reads are fine. */
    assert_int_equal(boot_flash_read(FOTA_SLOT_B_ADDR + 3, back, 2), 0);
    assert_int_equal(back[0], 4);
    assert_int_equal(back[1], 5);
}

static void test_write_checks_before_touching(void **state)
{
    sim_flash_t *f = *state;
    uint8_t src[8] = {0};
    uint8_t b[4];

    assert_int_equal(boot_flash_write(FOTA_SLOT_A_ADDR + 2, src, 4),
                     FOTA_ERR_INVAL);
    assert_int_equal(boot_flash_write(FOTA_SLOT_A_ADDR, src, 6),
                     FOTA_ERR_INVAL);
    assert_int_equal(boot_flash_write(FOTA_FLASH_END - 4, src, 8),
                     FOTA_ERR_RANGE);
    assert_int_equal(boot_flash_write(FOTA_FLASH_BASE - 4, src, 8),
                     FOTA_ERR_RANGE);
    assert_int_equal(boot_flash_write(0xFFFFFFFCu, src, 8), FOTA_ERR_RANGE);
    assert_int_equal(boot_flash_read(FOTA_FLASH_END - 2, b, 4), FOTA_ERR_RANGE);
    assert_int_equal(boot_flash_read(0, b, 4), FOTA_ERR_RANGE);
    assert_int_equal(boot_flash_erase_sector(12), FOTA_ERR_RANGE);
    assert_int_equal(boot_flash_start_erase(12), FOTA_ERR_RANGE);
    assert_int_equal(boot_flash_start_word(FOTA_SLOT_A_ADDR + 1, 0),
                     FOTA_ERR_INVAL);
    assert_int_equal(boot_flash_start_word(FOTA_FLASH_END, 0), FOTA_ERR_RANGE);
    assert_int_equal(f->ops, 0);
    assert_int_equal(f->mem[FOTA_FLASH_SIZE - 4], 0xFF);
    assert_int_equal(f->mem[FOTA_SLOT_A_ADDR - FOTA_FLASH_BASE], 0xFF);
}

static void test_write_is_ascending(void **state)
{
    sim_flash_t *f = *state;
    uint8_t src[16];
    jmp_buf jb;
    uint8_t b[16];

    memset(src, 0, sizeof src);
    /* Cut at the third word: the first two landed, the last two did not. */
    sim_flash_arm_cut(f, 2, SIM_CUT_BEFORE, 0, &jb);
    if (setjmp(jb) == 0) {
        (void)boot_flash_write(FOTA_JOURNAL_MAIN_ADDR, src, sizeof src);
        fail_msg("cut did not land");
    }
    assert_int_equal(boot_flash_read(FOTA_JOURNAL_MAIN_ADDR, b, 16), 0);
    assert_int_equal(fota_get_le32(b), 0);
    assert_int_equal(fota_get_le32(b + 4), 0);
    assert_int_equal(fota_get_le32(b + 8), 0xFFFFFFFFu);
    assert_int_equal(fota_get_le32(b + 12), 0xFFFFFFFFu);
}

static void test_erase(void **state)
{
    sim_flash_t *f = *state;
    uint8_t src[4] = {0};
    uint8_t b[4];

    assert_int_equal(boot_flash_write(FOTA_JOURNAL_SPARE_ADDR, src, 4), 0);
    assert_int_equal(boot_flash_erase_sector(FOTA_JOURNAL_SPARE_SECTOR), 0);
    assert_int_equal(boot_flash_read(FOTA_JOURNAL_SPARE_ADDR, b, 4), 0);
    assert_int_equal(fota_get_le32(b), 0xFFFFFFFFu);
    assert_int_equal(f->wear[FOTA_JOURNAL_SPARE_SECTOR], 1);
}

/* CRC-32/MPEG-2, bit by bit, over each little-endian word's bytes taken
 * most significant first: the definition in fota_crc32.h, independent of
 * the table-driven code under test. */
static uint32_t ref_crc_st(const uint8_t *p, size_t len)
{
    uint32_t crc = 0xFFFFFFFFu;

    for (size_t i = 0; i + 4 <= len; i += 4) {
        uint32_t w = fota_get_le32(p + i);

        crc ^= w;
        for (int b = 0; b < 32; b++)
            crc = (crc & 0x80000000u) ? (crc << 1) ^ 0x04C11DB7u : crc << 1;
    }
    return crc;
}

static void test_crc(void **state)
{
    (void)state;
    uint8_t src[64];

    for (unsigned i = 0; i < sizeof src; i++)
        src[i] = (uint8_t)(i * 37 + 5);
    assert_int_equal(boot_flash_write(FOTA_SLOT_A_ADDR, src, sizeof src), 0);
    assert_int_equal(boot_flash_crc(FOTA_SLOT_A_ADDR, sizeof src),
                     ref_crc_st(src, sizeof src));
    assert_int_equal(boot_flash_crc(FOTA_SLOT_A_ADDR + 8, 16),
                     ref_crc_st(src + 8, 16));
    /* Erased flash: four 0xFF bytes. */
    const uint8_t ff[4] = {0xFF, 0xFF, 0xFF, 0xFF};
    assert_int_equal(boot_flash_crc(FOTA_SLOT_B_ADDR, 4), ref_crc_st(ff, 4));
}

static void test_clock_follows_model(void **state)
{
    sim_flash_t *f = *state;

    assert_int_equal(boot_clock_ms(), 0);
    assert_int_equal(boot_flash_erase_sector(11), 0);
    assert_int_equal(boot_clock_ms(), 1000);
    assert_int_equal(boot_flash_erase_sector(4), 0);
    assert_int_equal(boot_clock_ms(), 1550);
    sim_flash_advance_ns(f, 999999);
    assert_int_equal(boot_clock_ms(), 1550);
    sim_flash_advance_ns(f, 1);
    assert_int_equal(boot_clock_ms(), 1551);
}

static void test_wdt_counter(void **state)
{
    sim_flash_t *f = *state;

    assert_int_equal(boot_port_host_wdt_kicks(), 0);
    boot_wdt_kick();
    boot_wdt_kick();
    boot_wdt_kick();
    assert_int_equal(boot_port_host_wdt_kicks(), 3);
    boot_port_host_bind(f);
    assert_int_equal(boot_port_host_wdt_kicks(), 0);
}

static void test_nonblocking_trio(void **state)
{
    sim_flash_t *f = *state;
    uint8_t b[4];

    assert_int_equal(boot_flash_op_status(), 0);
    assert_int_equal(boot_flash_start_word(FOTA_SLOT_B_ADDR, 0x01020304u), 0);
    assert_int_equal(boot_flash_op_status(), 1);
    sim_flash_advance_ns(f, sim_flash_prog_word_ns(f));
    assert_int_equal(boot_flash_op_status(), 0);
    assert_int_equal(boot_flash_read(FOTA_SLOT_B_ADDR, b, 4), 0);
    assert_int_equal(fota_get_le32(b), 0x01020304u);

    assert_int_equal(boot_flash_start_erase(8), 0);
    assert_int_equal(boot_flash_op_status(), 1);
    uint32_t t0 = boot_clock_ms();
    while (boot_flash_op_status() == 1 && boot_clock_ms() - t0 < 5000)
        sim_flash_advance_ns(f, 1000000);
    assert_int_equal(boot_flash_op_status(), 0);
    assert_int_equal(boot_clock_ms() - t0, 1000);
    assert_int_equal(boot_flash_read(FOTA_SLOT_B_ADDR, b, 4), 0);
    assert_int_equal(fota_get_le32(b), 0xFFFFFFFFu);
}

static void test_read_stalls_while_busy(void **state)
{
    sim_flash_t *f = *state;
    uint8_t b[4];

    assert_int_equal(boot_flash_start_erase(2), 0);
    assert_int_equal(boot_clock_ms(), 0);
    /* A flash read waits for the erase: the clock jumps to its end. */
    assert_int_equal(boot_flash_read(FOTA_SLOT_A_ADDR, b, 4), 0);
    assert_int_equal(boot_clock_ms(), 250);
    assert_int_equal(boot_flash_op_status(), 0);
    assert_int_equal(boot_flash_start_word(FOTA_SLOT_A_ADDR, 0), 0);
    (void)boot_flash_crc(FOTA_SLOT_A_ADDR, 4);
    assert_int_equal(f->now_ns, 250000000ull + 16000);
}

static void test_injected_io_error(void **state)
{
    sim_flash_t *f = *state;
    uint8_t src[16] = {0};
    uint8_t b[16];

    boot_port_host_fail_after(2);
    assert_int_equal(boot_flash_write(FOTA_SLOT_A_ADDR, src, 16), FOTA_ERR_IO);
    assert_int_equal(boot_flash_read(FOTA_SLOT_A_ADDR, b, 16), 0);
    assert_int_equal(fota_get_le32(b + 4), 0);
    assert_int_equal(fota_get_le32(b + 8), 0xFFFFFFFFu);
    assert_int_equal(f->ops, 2);
    /* The failure fires once. */
    assert_int_equal(boot_flash_erase_sector(5), 0);
    boot_port_host_fail_after(0);
    assert_int_equal(boot_flash_start_erase(6), FOTA_ERR_IO);
    assert_int_equal(f->wear[6], 0);
    boot_port_host_fail_after(0);
    boot_port_host_fail_after(-1);
    assert_int_equal(boot_flash_start_word(FOTA_SLOT_B_ADDR, 0), 0);
}

static void test_unbound(void **state)
{
    (void)state;
    uint8_t b[4] = {0};

    boot_port_host_bind(NULL);
    assert_int_equal(boot_flash_read(FOTA_SLOT_A_ADDR, b, 4), FOTA_ERR_IO);
    assert_int_equal(boot_flash_write(FOTA_SLOT_A_ADDR, b, 4), FOTA_ERR_IO);
    assert_int_equal(boot_flash_erase_sector(5), FOTA_ERR_IO);
    assert_int_equal(boot_flash_start_erase(5), FOTA_ERR_IO);
    assert_int_equal(boot_flash_start_word(FOTA_SLOT_A_ADDR, 0), FOTA_ERR_IO);
    assert_int_equal(boot_flash_op_status(), 0);
    assert_int_equal(boot_clock_ms(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_write_read_le, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_checks_before_touching,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_is_ascending, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_erase, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crc, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clock_follows_model, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_wdt_counter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nonblocking_trio, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_stalls_while_busy, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_injected_io_error, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_unbound, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
