/*
 * test_boot_journal.c - the metadata journal (docs/journal.md) on the
 * strict flash model: scanning, appending, compaction across thousands of
 * records with a re-init after every step, compactions interrupted at
 * every flash operation (cut before it or torn), hand-made leftovers of
 * interrupted compactions and torn records, injected flash errors, and the
 * wear figure. No test may ever program over non-erased bits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "boot_core.h"
#include "boot_port.h"
#include "boot_port_host.h"
#include "boot_test_util.h"

#define MAIN_RECS (FOTA_JOURNAL_MAIN_SIZE / FOTA_JOURNAL_REC_SIZE)
#define MAIN_OFF(a) ((a)-FOTA_FLASH_BASE)

/* A state whose every field depends on i, so that two records differ. */
static void make_rec(fota_journal_rec_t *r, uint32_t i)
{
    memset(r, 0, sizeof *r);
    r->active = (uint8_t)(i & 1);
    r->attempts_left = (uint8_t)(i % 4);
    r->flags = 0;
    r->sec_floor = i * 3u;
    r->boot_count = i;
    for (int s = 0; s < 2; s++) {
        r->slot[s].state = (uint8_t)((i + (uint32_t)s) % 4);
        r->slot[s].version.major = (uint8_t)i;
        r->slot[s].version.minor = (uint8_t)(i >> 8);
        r->slot[s].version.patch = (uint16_t)(i + (uint32_t)s);
        r->slot[s].version.build = i ^ 0x5A5A5A5Au;
        r->slot[s].image_crc = i * 0x9E3779B1u + (uint32_t)s;
    }
}

/* Same state (everything but seq). */
static bool same_state(const fota_journal_rec_t *a, const fota_journal_rec_t *b)
{
    if (a->active != b->active || a->attempts_left != b->attempts_left ||
        a->flags != b->flags || a->sec_floor != b->sec_floor ||
        a->boot_count != b->boot_count)
        return false;
    for (int s = 0; s < 2; s++) {
        const fota_slot_info_t *x = &a->slot[s], *y = &b->slot[s];
        if (x->state != y->state || x->image_crc != y->image_crc ||
            fota_version_cmp(&x->version, &y->version) != 0)
            return false;
    }
    return true;
}

/* A fresh context read from flash must agree with ctx in every way. */
static void assert_reinit_matches(const boot_ctx_t *ctx)
{
    boot_ctx_t again;

    memset(&again, 0xA5, sizeof again);
    assert_int_equal(boot_init(&again), 0);
    assert_int_equal(again.area, ctx->area);
    assert_int_equal(again.state.seq, ctx->state.seq);
    assert_true(same_state(&again.state, &ctx->state));
    assert_int_equal(again.main_next_off, ctx->main_next_off);
}

static int decode_at(uint32_t addr, fota_journal_rec_t *r)
{
    uint8_t buf[FOTA_JOURNAL_REC_SIZE];

    assert_int_equal(boot_flash_read(addr, buf, sizeof buf), 0);
    return fota_journal_rec_decode(r, buf);
}

/* Program the first len bytes of record i's state, with sequence number
 * seq, at addr through the port (records made by hand: leftovers and torn
 * writes the journal itself would not produce). */
static void put_rec(uint32_t addr, uint32_t i, uint32_t seq, size_t len)
{
    fota_journal_rec_t r;
    uint8_t buf[FOTA_JOURNAL_REC_SIZE];

    make_rec(&r, i);
    r.seq = seq;
    fota_journal_rec_encode(&r, buf);
    assert_int_equal(boot_flash_write(addr, buf, len), 0);
}

/* Append the states of records first..last, each of which must land. */
static void append_range(boot_ctx_t *ctx, uint32_t first, uint32_t last)
{
    fota_journal_rec_t r;

    for (uint32_t i = first; i <= last; i++) {
        make_rec(&r, i);
        assert_int_equal(boot_journal_append(ctx, &r), 0);
    }
}

/*
 * Append r with power cut at the flash operation op_ahead operations from
 * now (mode and seed as sim_flash_arm_cut); the cut must happen. The
 * setjmp lives here, in a frame that modifies nothing after it, so no
 * caller's local can be clobbered by the longjmp.
 */
static void append_cut(sim_flash_t *f, boot_ctx_t *ctx,
                       const fota_journal_rec_t *r, uint64_t op_ahead,
                       enum sim_cut_mode mode, uint32_t seed)
{
    jmp_buf jb;

    sim_flash_arm_cut(f, f->ops + op_ahead, mode, seed, &jb);
    if (setjmp(jb) == 0) {
        (void)boot_journal_append(ctx, r);
        fail_msg("cut %u operations ahead (mode %d): the cut did not happen",
                 (unsigned)op_ahead, (int)mode);
    }
    sim_flash_disarm(f);
}

static void empty_flash_has_no_state(void **state)
{
    (void)state;
    boot_ctx_t ctx;

    memset(&ctx, 0xA5, sizeof ctx);
    assert_int_equal(boot_init(&ctx), 0);
    assert_int_equal(ctx.area, BOOT_AREA_NONE);
    assert_int_equal(ctx.main_next_off, 0);
    assert_int_equal(ctx.records_written, 0);
    assert_int_equal(ctx.compactions, 0);
}

static void append_programs_commit_word_last(void **state)
{
    sim_flash_t *f = *state;
    boot_ctx_t ctx;
    fota_journal_rec_t r, got;

    assert_int_equal(boot_init(&ctx), 0);
    make_rec(&r, 1);
    /* Cut just before the 16th word (the commit word): the 60 bytes are
     * there, the record is not. */
    append_cut(f, &ctx, &r, 15, SIM_CUT_BEFORE, 1);
    {
        fota_journal_rec_t want = r;
        uint8_t enc[FOTA_JOURNAL_REC_SIZE];
        const uint8_t *p = f->mem + MAIN_OFF(FOTA_JOURNAL_MAIN_ADDR);
        want.seq = 1;
        fota_journal_rec_encode(&want, enc);
        assert_memory_equal(p, enc, FOTA_JOURNAL_OFF_COMMIT);
        for (int i = FOTA_JOURNAL_OFF_COMMIT; i < FOTA_JOURNAL_REC_SIZE; i++)
            assert_int_equal(p[i], 0xFF);
    }
    assert_int_equal(fota_journal_rec_decode(
                         &got, f->mem + MAIN_OFF(FOTA_JOURNAL_MAIN_ADDR)),
                     FOTA_ERR_CORRUPT);
    assert_int_equal(boot_init(&ctx), 0);
    assert_int_equal(ctx.area, BOOT_AREA_NONE);
    assert_int_equal(ctx.main_next_off, 64); /* the torn slot is used up */

    /* The next append wipes the leftovers (no state to keep) and starts at
     * offset 0 of a clean sector. */
    uint32_t wear = f->wear[FOTA_JOURNAL_MAIN_SECTOR];
    assert_int_equal(boot_journal_append(&ctx, &r), 0);
    assert_int_equal(f->wear[FOTA_JOURNAL_MAIN_SECTOR], wear + 1);
    assert_int_equal(ctx.state.seq, 1);
    assert_int_equal(ctx.main_next_off, 64);
    assert_int_equal(decode_at(FOTA_JOURNAL_MAIN_ADDR, &got), 0);
    assert_true(same_state(&got, &r));
    assert_reinit_matches(&ctx);
}

static void appends_are_sequential_and_survive_reinit(void **state)
{
    sim_flash_t *f = *state;
    boot_ctx_t ctx;
    fota_journal_rec_t r;

    assert_int_equal(boot_init(&ctx), 0);
    for (uint32_t i = 1; i <= 40; i++) {
        make_rec(&r, i);
        r.seq = 999; /* ignored: the journal assigns seq */
        assert_int_equal(boot_journal_append(&ctx, &r), 0);
        assert_int_equal(ctx.state.seq, i);
        assert_int_equal(ctx.area, BOOT_AREA_MAIN);
        assert_int_equal(ctx.main_next_off, i * FOTA_JOURNAL_REC_SIZE);
        assert_true(same_state(&ctx.state, &r));
        assert_reinit_matches(&ctx);
    }
    assert_int_equal(ctx.records_written, 40);
    assert_int_equal(f->wear[FOTA_JOURNAL_MAIN_SECTOR], 0);
    assert_int_equal(f->wear[FOTA_JOURNAL_SPARE_SECTOR], 0);
}

static void compaction_across_many_records(void **state)
{
    sim_flash_t *f = *state;
    boot_ctx_t ctx;
    fota_journal_rec_t r, got;
    const uint32_t total = 2 * MAIN_RECS + 10;

    assert_int_equal(boot_init(&ctx), 0);
    for (uint32_t i = 1; i <= total; i++) {
        make_rec(&r, i);
        assert_int_equal(boot_journal_append(&ctx, &r), 0);
        assert_true(same_state(&ctx.state, &r));
        assert_reinit_matches(&ctx);

        if (i == MAIN_RECS) {
            /* Full, not yet compacted. */
            assert_int_equal(ctx.main_next_off, FOTA_JOURNAL_MAIN_SIZE);
            assert_int_equal(ctx.compactions, 0);
            assert_int_equal(ctx.state.seq, MAIN_RECS);
        }
        if (i == MAIN_RECS + 1) {
            /* Compacted: the previous state in sector 2 with the next seq,
             * the new one first in a fresh sector 11 with the one after. */
            assert_int_equal(ctx.compactions, 1);
            assert_int_equal(f->wear[FOTA_JOURNAL_SPARE_SECTOR], 1);
            assert_int_equal(f->wear[FOTA_JOURNAL_MAIN_SECTOR], 1);
            assert_int_equal(decode_at(FOTA_JOURNAL_SPARE_ADDR, &got), 0);
            assert_int_equal(got.seq, MAIN_RECS + 1);
            make_rec(&r, MAIN_RECS);
            assert_true(same_state(&got, &r));
            assert_int_equal(decode_at(FOTA_JOURNAL_SPARE_ADDR + 64, &got),
                             FOTA_ERR_NOENT);
            assert_int_equal(decode_at(FOTA_JOURNAL_MAIN_ADDR, &got), 0);
            assert_int_equal(got.seq, MAIN_RECS + 2);
            assert_int_equal(ctx.state.seq, MAIN_RECS + 2);
            assert_int_equal(decode_at(FOTA_JOURNAL_MAIN_ADDR + 64, &got),
                             FOTA_ERR_NOENT);
            assert_int_equal(ctx.main_next_off, 64);
        }
    }
    /* Second compaction after another 2047 appends (the compacting append
     * took slot 0). */
    assert_int_equal(ctx.compactions, 2);
    assert_int_equal(f->wear[FOTA_JOURNAL_SPARE_SECTOR], 2);
    assert_int_equal(f->wear[FOTA_JOURNAL_MAIN_SECTOR], 2);
    assert_int_equal(ctx.records_written, total);
    assert_int_equal(ctx.state.seq, total + 2);
}

/* Fill sector 11 completely: records 1..2048. */
static void fill_main(boot_ctx_t *ctx)
{
    assert_int_equal(boot_init(ctx), 0);
    append_range(ctx, 1, MAIN_RECS);
    assert_int_equal(ctx->main_next_off, FOTA_JOURNAL_MAIN_SIZE);
}

/*
 * Cut the compacting append at each of its flash operations, before the
 * operation and torn (three patterns each). After every cut the journal
 * must hold either the old state or the new one, and the next append must
 * land and be the state after a re-init.
 */
static void compaction_cut_at_every_operation(void **state)
{
    sim_flash_t *f = *state;
    sim_flash_t *snap = malloc(sizeof *snap);
    boot_ctx_t ctx;
    fota_journal_rec_t old_r, new_r, next_r;
    unsigned ops_total;
    unsigned outcomes[2] = {0, 0};

    assert_non_null(snap);
    fill_main(&ctx);
    make_rec(&old_r, MAIN_RECS);
    make_rec(&new_r, 50000);
    make_rec(&next_r, 60000);
    memcpy(snap, f, sizeof *snap);

    /* Count the operations of an uninterrupted compacting append. */
    assert_int_equal(boot_journal_append(&ctx, &new_r), 0);
    ops_total = (unsigned)(f->ops - snap->ops);
    /* erase 2, 16 words, erase 11, 16 words */
    assert_int_equal(ops_total, 34);

    for (unsigned k = 0; k < ops_total; k++) {
        for (unsigned m = 0; m < 4; m++) {
            enum sim_cut_mode mode = m == 0 ? SIM_CUT_BEFORE : SIM_CUT_TORN;
            memcpy(f, snap, sizeof *f);
            assert_int_equal(boot_init(&ctx), 0);
            append_cut(f, &ctx, &new_r, k, mode, 1000u * k + m);

            /* Power back: old or new state, nothing else. */
            memset(&ctx, 0xA5, sizeof ctx);
            assert_int_equal(boot_init(&ctx), 0);
            assert_int_not_equal(ctx.area, BOOT_AREA_NONE);
            bool is_new = same_state(&ctx.state, &new_r);
            bool is_old = same_state(&ctx.state, &old_r);
            if (!is_new && !is_old)
                fail_msg("op %u mode %u: state is neither old nor new", k, m);
            outcomes[is_new]++;
            /* Only the very last operation can make the new state. */
            if (is_new)
                assert_int_equal(k, ops_total - 1);

            /* Life goes on: the next change lands and is the state. */
            assert_int_equal(boot_journal_append(&ctx, &next_r), 0);
            assert_true(same_state(&ctx.state, &next_r));
            assert_int_equal(ctx.area, BOOT_AREA_MAIN);
            assert_reinit_matches(&ctx);
            assert_int_equal(f->overwrites, 0);
        }
    }
    /* Every cut but those at the final commit word kept the old state. */
    assert_true(outcomes[0] >= 4 * (ops_total - 1));
    free(snap);
}

/* Step by step by hand: the flash after each step of a compaction, then
 * re-init and finish. */
static void compaction_interrupted_by_hand(void **state)
{
    sim_flash_t *f = *state;
    boot_ctx_t ctx;
    fota_journal_rec_t r, got;
    uint8_t buf[FOTA_JOURNAL_REC_SIZE];

    fill_main(&ctx);
    /* An old compaction's record in sector 2 (seq 7): older, ignored. */
    put_rec(FOTA_JOURNAL_SPARE_ADDR, 7, 7, FOTA_JOURNAL_REC_SIZE);
    assert_int_equal(boot_init(&ctx), 0);
    assert_int_equal(ctx.area, BOOT_AREA_MAIN);
    assert_int_equal(ctx.state.seq, MAIN_RECS);

    /* After step 1: sector 2 erased. Still the main record. */
    assert_int_equal(boot_flash_erase_sector(FOTA_JOURNAL_SPARE_SECTOR), 0);
    assert_int_equal(boot_init(&ctx), 0);
    assert_int_equal(ctx.area, BOOT_AREA_MAIN);
    assert_int_equal(ctx.state.seq, MAIN_RECS);

    /* After step 2: the state copied to sector 2 with seq + 1. */
    put_rec(FOTA_JOURNAL_SPARE_ADDR, MAIN_RECS, MAIN_RECS + 1,
            FOTA_JOURNAL_REC_SIZE);
    make_rec(&r, MAIN_RECS);
    assert_int_equal(boot_init(&ctx), 0);
    assert_int_equal(ctx.area, BOOT_AREA_SPARE);
    assert_int_equal(ctx.state.seq, MAIN_RECS + 1);
    assert_true(same_state(&ctx.state, &r));

    /* During step 3: a torn erase left every other word of sector 11 (old
     * records, all older than sector 2's). Model it on the array. */
    for (uint32_t off = 0; off < FOTA_JOURNAL_MAIN_SIZE; off += 8)
        memset(f->mem + MAIN_OFF(FOTA_JOURNAL_MAIN_ADDR) + off, 0xFF, 4);
    /* ...and a record or two that escaped whole. */
    make_rec(&r, 5);
    r.seq = 5;
    fota_journal_rec_encode(&r, buf);
    memcpy(f->mem + MAIN_OFF(FOTA_JOURNAL_MAIN_ADDR) + 320, buf, sizeof buf);
    assert_int_equal(boot_init(&ctx), 0);
    assert_int_equal(ctx.area, BOOT_AREA_SPARE);
    assert_int_equal(ctx.state.seq, MAIN_RECS + 1);
    assert_int_equal(ctx.main_next_off, FOTA_JOURNAL_MAIN_SIZE);

    /* The next append erases sector 11 first (it holds only older
     * records) and lands at its start. */
    uint32_t wear11 = f->wear[FOTA_JOURNAL_MAIN_SECTOR];
    uint32_t wear2 = f->wear[FOTA_JOURNAL_SPARE_SECTOR];
    make_rec(&r, 777);
    assert_int_equal(boot_journal_append(&ctx, &r), 0);
    assert_int_equal(f->wear[FOTA_JOURNAL_MAIN_SECTOR], wear11 + 1);
    assert_int_equal(f->wear[FOTA_JOURNAL_SPARE_SECTOR], wear2);
    assert_int_equal(ctx.state.seq, MAIN_RECS + 2);
    assert_int_equal(ctx.area, BOOT_AREA_MAIN);
    assert_int_equal(decode_at(FOTA_JOURNAL_MAIN_ADDR, &got), 0);
    assert_true(same_state(&got, &r));
    assert_reinit_matches(&ctx);

    /* After step 3 complete but before step 4: sector 11 blank, state in
     * sector 2. Erase again before use (a torn erase can read blank). */
    assert_int_equal(boot_flash_erase_sector(FOTA_JOURNAL_MAIN_SECTOR), 0);
    assert_int_equal(boot_init(&ctx), 0);
    assert_int_equal(ctx.area, BOOT_AREA_SPARE);
    assert_int_equal(ctx.main_next_off, 0);
    wear11 = f->wear[FOTA_JOURNAL_MAIN_SECTOR];
    assert_int_equal(boot_journal_append(&ctx, &r), 0);
    assert_int_equal(f->wear[FOTA_JOURNAL_MAIN_SECTOR], wear11 + 1);
    assert_int_equal(ctx.state.seq, MAIN_RECS + 2);
    assert_reinit_matches(&ctx);
}

static void torn_tail_record_is_skipped(void **state)
{
    sim_flash_t *f = *state;
    boot_ctx_t ctx;
    fota_journal_rec_t r;

    assert_int_equal(boot_init(&ctx), 0);
    append_range(&ctx, 1, 3);
    /* A fourth record with everything but the commit word, and a fifth
     * slot where only one bit made it. */
    put_rec(FOTA_JOURNAL_MAIN_ADDR + 3 * 64, 4, 4, 60);
    uint8_t bit[4] = {0xFF, 0xFF, 0xFE, 0xFF};
    assert_int_equal(
        boot_flash_write(FOTA_JOURNAL_MAIN_ADDR + 4 * 64 + 20, bit, 4), 0);

    assert_int_equal(boot_init(&ctx), 0);
    assert_int_equal(ctx.area, BOOT_AREA_MAIN);
    assert_int_equal(ctx.state.seq, 3);
    make_rec(&r, 3);
    assert_true(same_state(&ctx.state, &r));
    assert_int_equal(ctx.main_next_off, 5 * 64);

    make_rec(&r, 9);
    assert_int_equal(boot_journal_append(&ctx, &r), 0);
    assert_int_equal(ctx.state.seq, 4);
    assert_int_equal(ctx.main_next_off, 6 * 64);
    assert_reinit_matches(&ctx);
    assert_int_equal(f->overwrites, 0);
}

static void newest_wins_across_areas(void **state)
{
    (void)state;
    boot_ctx_t ctx;

    /* Records written out of seq order in sector 11 (cannot happen, but
     * the scan must not depend on position): the highest seq wins. */
    const uint32_t seqs[] = {10, 30, 20};
    for (int i = 0; i < 3; i++)
        put_rec(FOTA_JOURNAL_MAIN_ADDR + (uint32_t)i * 64, seqs[i], seqs[i],
                FOTA_JOURNAL_REC_SIZE);
    put_rec(FOTA_JOURNAL_SPARE_ADDR, 25, 25, FOTA_JOURNAL_REC_SIZE);
    assert_int_equal(boot_init(&ctx), 0);
    assert_int_equal(ctx.area, BOOT_AREA_MAIN);
    assert_int_equal(ctx.state.seq, 30);

    assert_int_equal(boot_flash_erase_sector(FOTA_JOURNAL_SPARE_SECTOR), 0);
    put_rec(FOTA_JOURNAL_SPARE_ADDR, 31, 31, FOTA_JOURNAL_REC_SIZE);
    assert_int_equal(boot_init(&ctx), 0);
    assert_int_equal(ctx.area, BOOT_AREA_SPARE);
    assert_int_equal(ctx.state.seq, 31);
    assert_int_equal(ctx.main_next_off, 3 * 64);
}

static void flash_error_leaves_state_intact(void **state)
{
    sim_flash_t *f = *state;
    boot_ctx_t ctx;
    fota_journal_rec_t r;

    assert_int_equal(boot_init(&ctx), 0);
    append_range(&ctx, 1, 3);
    /* FLASH_SR error on the 5th word of the next record. */
    boot_port_host_fail_after(4);
    make_rec(&r, 4);
    assert_int_equal(boot_journal_append(&ctx, &r), FOTA_ERR_IO);
    make_rec(&r, 3);
    assert_int_equal(ctx.state.seq, 3);
    assert_true(same_state(&ctx.state, &r));
    assert_reinit_matches(&ctx);
    /* The half-written slot is skipped. */
    make_rec(&r, 5);
    assert_int_equal(boot_journal_append(&ctx, &r), 0);
    assert_int_equal(ctx.state.seq, 4);
    assert_int_equal(ctx.main_next_off, 5 * 64);
    assert_reinit_matches(&ctx);

    /* An erase error during compaction: the old state stays. */
    boot_ctx_t c2;
    sim_flash_init(f, SIM_FLASH_TYPICAL);
    fill_main(&c2);
    boot_port_host_fail_after(0);
    make_rec(&r, 123);
    assert_int_equal(boot_journal_append(&c2, &r), FOTA_ERR_IO);
    assert_reinit_matches(&c2);
    make_rec(&r, MAIN_RECS);
    assert_true(same_state(&c2.state, &r));
    make_rec(&r, 124);
    assert_int_equal(boot_journal_append(&c2, &r), 0);
    assert_true(same_state(&c2.state, &r));
    assert_reinit_matches(&c2);
    assert_int_equal(f->overwrites, 0);
}

/* The wear figure of docs/journal.md, measured. */
static void wear_per_state_changes(void **state)
{
    sim_flash_t *f = *state;
    boot_ctx_t ctx;
    const uint32_t changes = 10000;

    assert_int_equal(boot_init(&ctx), 0);
    append_range(&ctx, 1, changes);
    assert_reinit_matches(&ctx);
    uint32_t w11 = f->wear[FOTA_JOURNAL_MAIN_SECTOR];
    uint32_t w2 = f->wear[FOTA_JOURNAL_SPARE_SECTOR];
    /* One erase of each sector per compaction. */
    /* The first compaction comes with change 2049, then one every 2048. */
    assert_int_equal(w11, 1 + (changes - (MAIN_RECS + 1)) / MAIN_RECS);
    assert_int_equal(w2, w11);
    /* Requirement: 10,000 changes must cost under 10% of 10k cycles. */
    assert_true(w11 < 1000 && w2 < 1000);
    printf("journal wear: %u state changes -> sector 11 erased %u times, "
           "sector 2 erased %u times (limit for 10%% endurance: 1000)\n",
           (unsigned)changes, (unsigned)w11, (unsigned)w2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(empty_flash_has_no_state, tbu_setup,
                                        tbu_teardown),
        cmocka_unit_test_setup_teardown(append_programs_commit_word_last,
                                        tbu_setup, tbu_teardown),
        cmocka_unit_test_setup_teardown(
            appends_are_sequential_and_survive_reinit, tbu_setup, tbu_teardown),
        cmocka_unit_test_setup_teardown(compaction_across_many_records,
                                        tbu_setup, tbu_teardown),
        cmocka_unit_test_setup_teardown(compaction_cut_at_every_operation,
                                        tbu_setup, tbu_teardown),
        cmocka_unit_test_setup_teardown(compaction_interrupted_by_hand,
                                        tbu_setup, tbu_teardown),
        cmocka_unit_test_setup_teardown(torn_tail_record_is_skipped, tbu_setup,
                                        tbu_teardown),
        cmocka_unit_test_setup_teardown(newest_wins_across_areas, tbu_setup,
                                        tbu_teardown),
        cmocka_unit_test_setup_teardown(flash_error_leaves_state_intact,
                                        tbu_setup, tbu_teardown),
        cmocka_unit_test_setup_teardown(wear_per_state_changes, tbu_setup,
                                        tbu_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
