/*
 * test_sim_flash.c - the strict flash model behaves like the F407's flash:
 * AND programming, sector erase, alignment and range checks, datasheet
 * timings on the virtual clock, wear, overwrite detection, power cuts
 * (before and torn, for words and erases) and the non-blocking forms.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fota/fota_err.h"
#include "fota/fota_le.h"
#include "sim_flash.h"

static uint32_t word_at(const sim_flash_t *f, uint32_t addr)
{
    uint8_t b[4];

    assert_int_equal(sim_flash_read(f, addr, b, 4), 0);
    return fota_get_le32(b);
}

static int setup(void **state)
{
    sim_flash_t *f = malloc(sizeof *f);

    if (!f)
        return -1;
    sim_flash_init(f, SIM_FLASH_TYPICAL);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

static void test_init_erased(void **state)
{
    sim_flash_t *f = *state;

    for (uint32_t i = 0; i < FOTA_FLASH_SIZE; i++)
        if (f->mem[i] != 0xFF)
            fail_msg("byte %u not erased", (unsigned)i);
    for (unsigned s = 0; s < FOTA_FLASH_SECTORS; s++)
        assert_int_equal(f->wear[s], 0);
    assert_int_equal(f->now_ns, 0);
    assert_int_equal(f->ops, 0);
    assert_int_equal(f->cut_mode, SIM_CUT_NONE);
}

static void test_program_and_semantics(void **state)
{
    sim_flash_t *f = *state;
    uint32_t a = FOTA_SLOT_A_ADDR + 8;

    assert_int_equal(sim_flash_program_word(f, a, 0xF0F0F0F0u), 0);
    assert_int_equal(word_at(f, a), 0xF0F0F0F0u);
    assert_int_equal(f->overwrites, 0);
    /* Bits only go 1 -> 0: a second program ANDs. */
    assert_int_equal(sim_flash_program_word(f, a, 0x0FF00FF0u), 0);
    assert_int_equal(word_at(f, a), 0x00F000F0u);
    assert_int_equal(f->overwrites, 1);
    assert_int_equal(f->last_overwrite_addr, a);
    assert_int_equal(f->words_programmed, 2);
    assert_int_equal(f->ops, 2);
    /* Little-endian in memory, as the Cortex-M4 stores a word. */
    assert_int_equal(f->mem[a - FOTA_FLASH_BASE], 0xF0);
    assert_int_equal(f->mem[a - FOTA_FLASH_BASE + 2], 0xF0);
    /* Neighbours untouched. */
    assert_int_equal(word_at(f, a - 4), 0xFFFFFFFFu);
    assert_int_equal(word_at(f, a + 4), 0xFFFFFFFFu);
}

static void test_program_over_any_nonerased_counts(void **state)
{
    sim_flash_t *f = *state;
    uint32_t a = FOTA_JOURNAL_MAIN_ADDR;

    assert_int_equal(sim_flash_program_word(f, a, 0x12345678u), 0);
    /* Same value again changes no bit but still programs a used word. */
    assert_int_equal(sim_flash_program_word(f, a, 0x12345678u), 0);
    assert_int_equal(f->overwrites, 1);
    /* 0xFFFFFFFF onto an erased word is not an overwrite. */
    assert_int_equal(sim_flash_program_word(f, a + 4, 0xFFFFFFFFu), 0);
    assert_int_equal(f->overwrites, 1);
    assert_int_equal(word_at(f, a + 4), 0xFFFFFFFFu);
}

static void test_erase_sector(void **state)
{
    sim_flash_t *f = *state;
    uint32_t base = FOTA_SECTOR_ADDR(2);
    uint32_t size = FOTA_SECTOR_SIZE(2);

    assert_int_equal(sim_flash_program_word(f, base, 0), 0);
    assert_int_equal(sim_flash_program_word(f, base + size - 4, 0), 0);
    assert_int_equal(sim_flash_program_word(f, base - 4, 0), 0);
    assert_int_equal(sim_flash_program_word(f, base + size, 0), 0);
    assert_int_equal(sim_flash_erase_sector(f, 2), 0);
    assert_int_equal(word_at(f, base), 0xFFFFFFFFu);
    assert_int_equal(word_at(f, base + size - 4), 0xFFFFFFFFu);
    assert_int_equal(word_at(f, base - 4), 0);    /* sector 1 */
    assert_int_equal(word_at(f, base + size), 0); /* sector 3 */
    assert_int_equal(f->wear[2], 1);
    assert_int_equal(f->wear[1], 0);
    assert_int_equal(f->wear[3], 0);
    assert_int_equal(sim_flash_erase_sector(f, 2), 0);
    assert_int_equal(sim_flash_erase_sector(f, 11), 0);
    assert_int_equal(f->wear[2], 2);
    assert_int_equal(f->wear[11], 1);
    assert_int_equal(f->ops, 4 + 3);
    /* Programming after an erase is not an overwrite. */
    uint64_t ow = f->overwrites;
    assert_int_equal(sim_flash_program_word(f, base, 0xA5A5A5A5u), 0);
    assert_int_equal(f->overwrites, ow);
}

static void test_alignment_and_range(void **state)
{
    sim_flash_t *f = *state;
    uint8_t before[64], buf[8];

    memcpy(before, f->mem, sizeof before);
    assert_int_equal(sim_flash_program_word(f, FOTA_FLASH_BASE + 2, 0),
                     FOTA_ERR_INVAL);
    assert_int_equal(sim_flash_program_word(f, FOTA_FLASH_BASE + 1, 0),
                     FOTA_ERR_INVAL);
    assert_int_equal(sim_flash_program_word(f, FOTA_FLASH_BASE - 4, 0),
                     FOTA_ERR_RANGE);
    assert_int_equal(sim_flash_program_word(f, FOTA_FLASH_END, 0),
                     FOTA_ERR_RANGE);
    assert_int_equal(sim_flash_program_word(f, FOTA_FLASH_END - 2, 0),
                     FOTA_ERR_RANGE);
    assert_int_equal(sim_flash_start_word(f, FOTA_FLASH_BASE + 3, 0),
                     FOTA_ERR_INVAL);
    assert_int_equal(sim_flash_erase_sector(f, FOTA_FLASH_SECTORS),
                     FOTA_ERR_RANGE);
    assert_int_equal(sim_flash_start_erase(f, 1000), FOTA_ERR_RANGE);
    assert_int_equal(sim_flash_read(f, FOTA_FLASH_END - 4, buf, 8),
                     FOTA_ERR_RANGE);
    assert_int_equal(sim_flash_read(f, FOTA_FLASH_BASE - 1, buf, 1),
                     FOTA_ERR_RANGE);
    assert_int_equal(sim_flash_read(f, FOTA_FLASH_END - 4, buf, 4), 0);
    /* Nothing changed: no operation counted, no time, no wear. */
    assert_int_equal(f->ops, 0);
    assert_int_equal(f->now_ns, 0);
    assert_int_equal(f->words_programmed, 0);
    for (unsigned s = 0; s < FOTA_FLASH_SECTORS; s++)
        assert_int_equal(f->wear[s], 0);
    assert_memory_equal(before, f->mem, sizeof before);
    assert_int_equal(f->mem[FOTA_FLASH_SIZE - 1], 0xFF);
}

static void test_timings_typical(void **state)
{
    sim_flash_t *f = *state;

    assert_int_equal(sim_flash_prog_word_ns(f), 16000);
    assert_int_equal(sim_flash_erase_ns(f, 0), 250000000ull);
    assert_int_equal(sim_flash_erase_ns(f, 3), 250000000ull);
    assert_int_equal(sim_flash_erase_ns(f, 4), 550000000ull);
    assert_int_equal(sim_flash_erase_ns(f, 5), 1000000000ull);
    assert_int_equal(sim_flash_erase_ns(f, 11), 1000000000ull);

    assert_int_equal(sim_flash_program_word(f, FOTA_SLOT_B_ADDR, 0), 0);
    assert_int_equal(f->now_ns, 16000);
    assert_int_equal(sim_flash_erase_sector(f, 4), 0);
    assert_int_equal(f->now_ns, 16000 + 550000000ull);
    assert_int_equal(sim_flash_erase_sector(f, 1), 0);
    assert_int_equal(f->now_ns, 16000 + 550000000ull + 250000000ull);
    sim_flash_advance_ns(f, 5);
    assert_int_equal(f->now_ns, 16000 + 800000000ull + 5);
}

static void test_timings_maximum(void **state)
{
    sim_flash_t *f = *state;

    sim_flash_init(f, SIM_FLASH_MAXIMUM);
    assert_int_equal(sim_flash_prog_word_ns(f), 100000);
    assert_int_equal(sim_flash_erase_ns(f, 2), 500000000ull);
    assert_int_equal(sim_flash_erase_ns(f, 4), 1100000000ull);
    assert_int_equal(sim_flash_erase_ns(f, 8), 2000000000ull);
    assert_int_equal(sim_flash_erase_sector(f, 8), 0);
    assert_int_equal(sim_flash_program_word(f, FOTA_SLOT_B_ADDR, 0), 0);
    assert_int_equal(f->now_ns, 2000000000ull + 100000);
}

/* Run one word program under a cut armed at the current op index; returns
 * the resulting word. The longjmp must land and no code after the cut runs. */
static uint32_t cut_word(sim_flash_t *f, uint32_t addr, uint32_t word,
                         enum sim_cut_mode mode, uint32_t seed)
{
    jmp_buf jb;
    volatile int after_cut = 0;
    uint64_t ops = f->ops;

    sim_flash_arm_cut(f, f->ops, mode, seed, &jb);
    if (setjmp(jb) == 0) {
        (void)sim_flash_program_word(f, addr, word);
        after_cut = 1;
        fail_msg("no longjmp at the armed cut");
    }
    assert_int_equal(after_cut, 0);
    assert_true(f->cut_happened);
    assert_int_equal(f->cut_mode, SIM_CUT_NONE);
    assert_int_equal(f->ops, ops + 1);
    return word_at(f, addr);
}

static void test_cut_before_word(void **state)
{
    sim_flash_t *f = *state;
    uint32_t a = FOTA_JOURNAL_SPARE_ADDR + 16;

    assert_int_equal(sim_flash_program_word(f, a - 4, 0x11111111u), 0);
    assert_int_equal(cut_word(f, a, 0x00000000u, SIM_CUT_BEFORE, 1),
                     0xFFFFFFFFu);
    assert_int_equal(f->words_programmed, 1);
    /* The model keeps working after the cut, disarmed. */
    assert_int_equal(sim_flash_program_word(f, a, 0x12345678u), 0);
    assert_int_equal(word_at(f, a), 0x12345678u);
    assert_int_equal(word_at(f, a - 4), 0x11111111u);
}

static void test_cut_armed_later_index(void **state)
{
    sim_flash_t *f = *state;
    jmp_buf jb;
    volatile unsigned done = 0;

    sim_flash_arm_cut(f, 5, SIM_CUT_BEFORE, 0, &jb);
    if (setjmp(jb) == 0) {
        for (unsigned i = 0; i < 10; i++) {
            assert_int_equal(
                sim_flash_program_word(f, FOTA_SLOT_A_ADDR + 4 * i, i), 0);
            done = i + 1;
        }
    }
    /* Operations 0..4 completed, the sixth (index 5) never started. */
    assert_int_equal(done, 5);
    assert_true(f->cut_happened);
    assert_int_equal(word_at(f, FOTA_SLOT_A_ADDR + 16), 4);
    assert_int_equal(word_at(f, FOTA_SLOT_A_ADDR + 20), 0xFFFFFFFFu);
}

static void test_cut_torn_word(void **state)
{
    sim_flash_t *f = *state;
    uint32_t results[8];
    unsigned distinct = 0;

    for (uint32_t seed = 0; seed < 8; seed++) {
        uint32_t a = FOTA_SLOT_B_ADDR + 4 * seed;
        uint32_t old = 0xFFFF00FFu;
        uint32_t want = 0x0F0F0F0Fu;

        assert_int_equal(sim_flash_program_word(f, a, old), 0);
        uint32_t got = cut_word(f, a, want, SIM_CUT_TORN, seed + 100);
        /* Never sets a bit, never clears a bit the program would not. */
        assert_int_equal(got & ~old, 0);
        assert_int_equal((old & want) & ~got, 0);
        results[seed] = got;
    }
    for (unsigned i = 0; i < 8; i++) {
        bool seen = false;
        for (unsigned j = 0; j < i; j++)
            seen |= results[j] == results[i];
        distinct += !seen;
    }
    /* A random subset of 20 bits: the seeds must not all agree. */
    assert_true(distinct >= 4);
    /* Same seed, same address, same pattern. */
    for (uint32_t seed = 0; seed < 8; seed++) {
        uint32_t a = FOTA_SLOT_B_ADDR + 4 * seed;
        sim_flash_init(f, SIM_FLASH_TYPICAL);
        assert_int_equal(sim_flash_program_word(f, a, 0xFFFF00FFu), 0);
        assert_int_equal(cut_word(f, a, 0x0F0F0F0Fu, SIM_CUT_TORN, seed + 100),
                         results[seed]);
    }
}

static void fill_sector(sim_flash_t *f, unsigned sector, uint32_t v)
{
    for (uint32_t off = 0; off < (uint32_t)FOTA_SECTOR_SIZE(sector); off += 4)
        assert_int_equal(
            sim_flash_program_word(f, FOTA_SECTOR_ADDR(sector) + off, v + off),
            0);
}

static int cut_erase(sim_flash_t *f, unsigned sector, enum sim_cut_mode mode,
                     uint32_t seed)
{
    jmp_buf jb;
    volatile int after_cut = 0;

    sim_flash_arm_cut(f, f->ops, mode, seed, &jb);
    if (setjmp(jb) == 0) {
        (void)sim_flash_erase_sector(f, sector);
        after_cut = 1;
    }
    return after_cut;
}

static void test_cut_before_erase(void **state)
{
    sim_flash_t *f = *state;

    fill_sector(f, 3, 0x1000);
    uint8_t *copy = malloc(FOTA_SECTOR_SIZE(3));
    assert_non_null(copy);
    memcpy(copy, &f->mem[FOTA_SECTOR_ADDR(3) - FOTA_FLASH_BASE],
           FOTA_SECTOR_SIZE(3));
    assert_int_equal(cut_erase(f, 3, SIM_CUT_BEFORE, 9), 0);
    assert_true(f->cut_happened);
    assert_memory_equal(copy, &f->mem[FOTA_SECTOR_ADDR(3) - FOTA_FLASH_BASE],
                        FOTA_SECTOR_SIZE(3));
    assert_int_equal(f->wear[3], 0);
    free(copy);
}

/* Classify a torn sector: words still old, words erased, words mixed. */
static void torn_counts(const sim_flash_t *f, unsigned sector, uint32_t v,
                        uint32_t *old_n, uint32_t *erased_n, uint32_t *mixed_n)
{
    *old_n = *erased_n = *mixed_n = 0;
    for (uint32_t off = 0; off < (uint32_t)FOTA_SECTOR_SIZE(sector); off += 4) {
        uint32_t w = word_at(f, FOTA_SECTOR_ADDR(sector) + off);
        uint32_t old = v + off;

        if (w == 0xFFFFFFFFu)
            (*erased_n)++;
        else if (w == old)
            (*old_n)++;
        else if ((w & old) == old) /* an erase only sets bits */
            (*mixed_n)++;
        else
            fail_msg("torn erase cleared a bit at +0x%x", (unsigned)off);
    }
}

static void test_cut_torn_erase(void **state)
{
    sim_flash_t *f = *state;
    uint32_t o1, e1, m1, o2, e2, m2;
    uint8_t *first = malloc(FOTA_SECTOR_SIZE(2));

    assert_non_null(first);
    fill_sector(f, 1, 0x2000);
    fill_sector(f, 2, 0x1000);
    assert_int_equal(cut_erase(f, 2, SIM_CUT_TORN, 42), 0);
    assert_true(f->cut_happened);
    assert_int_equal(f->wear[2], 1); /* the erase started */
    torn_counts(f, 2, 0x1000, &o1, &e1, &m1);
    assert_true(o1 > 0 && e1 > 0 && m1 > 0);
    /* The neighbour sector is untouched. */
    assert_int_equal(word_at(f, FOTA_SECTOR_ADDR(1)), 0x2000);
    assert_int_equal(word_at(f, FOTA_SECTOR_ADDR(3)), 0xFFFFFFFFu);
    memcpy(first, &f->mem[FOTA_SECTOR_ADDR(2) - FOTA_FLASH_BASE],
           FOTA_SECTOR_SIZE(2));

    /* Same seed: the same pattern. */
    sim_flash_init(f, SIM_FLASH_TYPICAL);
    fill_sector(f, 2, 0x1000);
    assert_int_equal(cut_erase(f, 2, SIM_CUT_TORN, 42), 0);
    assert_memory_equal(first, &f->mem[FOTA_SECTOR_ADDR(2) - FOTA_FLASH_BASE],
                        FOTA_SECTOR_SIZE(2));

    /* Another seed: another pattern. */
    sim_flash_init(f, SIM_FLASH_TYPICAL);
    fill_sector(f, 2, 0x1000);
    assert_int_equal(cut_erase(f, 2, SIM_CUT_TORN, 43), 0);
    torn_counts(f, 2, 0x1000, &o2, &e2, &m2);
    assert_true(o2 > 0 && e2 > 0);
    assert_memory_not_equal(first,
                            &f->mem[FOTA_SECTOR_ADDR(2) - FOTA_FLASH_BASE],
                            FOTA_SECTOR_SIZE(2));
    free(first);
}

static void test_cut_without_jmp_reports_io(void **state)
{
    sim_flash_t *f = *state;

    sim_flash_arm_cut(f, 0, SIM_CUT_BEFORE, 0, NULL);
    assert_int_equal(sim_flash_program_word(f, FOTA_SLOT_A_ADDR, 0),
                     FOTA_ERR_IO);
    assert_true(f->cut_happened);
    assert_int_equal(word_at(f, FOTA_SLOT_A_ADDR), 0xFFFFFFFFu);
}

static void test_disarm(void **state)
{
    sim_flash_t *f = *state;
    jmp_buf jb;

    sim_flash_arm_cut(f, 0, SIM_CUT_TORN, 0, &jb);
    sim_flash_disarm(f);
    assert_int_equal(sim_flash_program_word(f, FOTA_SLOT_A_ADDR, 0), 0);
    assert_int_equal(word_at(f, FOTA_SLOT_A_ADDR), 0);
    assert_false(f->cut_happened);
}

static void test_nonblocking_word(void **state)
{
    sim_flash_t *f = *state;

    sim_flash_advance_ns(f, 1000);
    assert_false(sim_flash_busy(f));
    assert_int_equal(sim_flash_start_word(f, FOTA_SLOT_B_ADDR, 0xCAFEF00Du), 0);
    /* Content is there at once; the clock did not move; busy for 16 us. */
    assert_int_equal(word_at(f, FOTA_SLOT_B_ADDR), 0xCAFEF00Du);
    assert_int_equal(f->now_ns, 1000);
    assert_true(sim_flash_busy(f));
    sim_flash_advance_ns(f, 15999);
    assert_true(sim_flash_busy(f));
    sim_flash_advance_ns(f, 1);
    assert_false(sim_flash_busy(f));
}

static void test_nonblocking_erase_and_wait(void **state)
{
    sim_flash_t *f = *state;

    assert_int_equal(sim_flash_start_erase(f, 5), 0);
    assert_int_equal(f->wear[5], 1);
    assert_true(sim_flash_busy(f));
    sim_flash_advance_ns(f, 400000000ull);
    assert_true(sim_flash_busy(f));
    /* Starting while busy waits for the erase to end, then starts. */
    assert_int_equal(sim_flash_start_word(f, FOTA_SLOT_A_ADDR, 0), 0);
    assert_int_equal(f->now_ns, 1000000000ull);
    assert_true(sim_flash_busy(f));
    /* A blocking op also waits, then takes its own time. */
    assert_int_equal(sim_flash_program_word(f, FOTA_SLOT_A_ADDR + 4, 0), 0);
    assert_int_equal(f->now_ns, 1000000000ull + 32000);
    assert_false(sim_flash_busy(f));
}

static void test_nonblocking_cut_lands(void **state)
{
    sim_flash_t *f = *state;
    jmp_buf jb;
    volatile int reached = 0;

    fill_sector(f, 0, 0);
    sim_flash_arm_cut(f, f->ops, SIM_CUT_BEFORE, 0, &jb);
    if (setjmp(jb) == 0) {
        (void)sim_flash_start_erase(f, 0);
        reached = 1;
    }
    assert_int_equal(reached, 0);
    assert_int_equal(word_at(f, FOTA_SECTOR_ADDR(0)), 0);
    assert_false(sim_flash_busy(f));
}

static void test_wear_many(void **state)
{
    sim_flash_t *f = *state;

    for (unsigned i = 0; i < 25; i++)
        assert_int_equal(sim_flash_start_erase(f, 2), 0);
    assert_int_equal(sim_flash_erase_sector(f, 2), 0);
    assert_int_equal(f->wear[2], 26);
    assert_int_equal(f->now_ns, 26 * 250000000ull);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_init_erased, setup, teardown),
        cmocka_unit_test_setup_teardown(test_program_and_semantics, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_program_over_any_nonerased_counts,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_erase_sector, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alignment_and_range, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_timings_typical, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timings_maximum, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cut_before_word, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cut_armed_later_index, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_cut_torn_word, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cut_before_erase, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cut_torn_erase, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cut_without_jmp_reports_io, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_disarm, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nonblocking_word, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nonblocking_erase_and_wait, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_nonblocking_cut_lands, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_wear_many, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
