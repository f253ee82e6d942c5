/*
 * test_boot_flow.c - the boot decision, commit, confirm and the bus write
 * policy (docs/boot-flow.md), on the strict flash model through the host
 * port: factory boot, update mode, trial boots with rollback, confirm and
 * the raised security floor, fallback to the other confirmed slot, and the
 * image checks (hash, vector table, product, link address, floor).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "boot_core.h"
#include "boot_fih.h"
#include "boot_port.h"
#include "boot_port_host.h"
#include "boot_test_util.h"
#include "fota/fota_image_check.h"
#include "fota/fota_le.h"

#define SLOT_A 0
#define SLOT_B 1

static void write_image(int slot, uint8_t major, uint8_t minor, uint32_t ctr)
{
    tbu_image_t img;

    tbu_image_default(&img, major, minor, ctr);
    tbu_image_write(slot, &img);
}

static void assert_jump(const boot_decision_t *d, int slot, bool trial)
{
    assert_int_equal(d->action, BOOT_ACTION_JUMP);
    assert_int_equal(d->slot, slot);
    assert_int_equal(d->trial, trial);
    assert_int_equal(d->vector_addr, FOTA_SLOT_BODY_ADDR(slot));
    assert_int_equal(d->msp, FOTA_NOINIT_ADDR);
    assert_int_equal(d->entry, FOTA_SLOT_BODY_ADDR(slot) + 0x101u);
    assert_int_equal(d->gate, FIH_SUCCESS);
}

static void assert_update_mode(const boot_decision_t *d)
{
    assert_int_equal(d->action, BOOT_ACTION_UPDATE_MODE);
    assert_int_equal(d->slot, -1);
    assert_int_not_equal(d->gate, FIH_SUCCESS);
}

/* Factory state with slot A (v1.0, counter 1) confirmed. */
static void factory_a(boot_ctx_t *ctx)
{
    boot_decision_t d;

    write_image(SLOT_A, 1, 0, 1);
    tbu_reboot(ctx, &d);
    assert_jump(&d, SLOT_A, false);
}

/* factory_a, then v2.0 with security counter ctr written to slot B and
 * committed: B is pending, A stays the fallback. */
static void pending_b(boot_ctx_t *ctx, uint32_t ctr)
{
    factory_a(ctx);
    write_image(SLOT_B, 2, 0, ctr);
    assert_int_equal(boot_commit(ctx, SLOT_B), 0);
}

/* pending_b, then B's first trial boot confirms itself. */
static void confirmed_b(boot_ctx_t *ctx, uint32_t ctr)
{
    boot_decision_t d;

    pending_b(ctx, ctr);
    tbu_reboot(ctx, &d);
    assert_jump(&d, SLOT_B, true);
    assert_int_equal(boot_confirm(ctx, SLOT_B), 0);
}

static void factory_picks_highest_version(void **state)
{
    sim_flash_t *f = *state;
    boot_ctx_t ctx;
    boot_decision_t d;

    write_image(SLOT_A, 1, 2, 1);
    write_image(SLOT_B, 1, 10, 1);
    tbu_reboot(&ctx, &d);
    assert_jump(&d, SLOT_B, false);
    assert_int_equal(ctx.area, BOOT_AREA_MAIN);
    assert_int_equal(ctx.state.active, SLOT_B);
    assert_int_equal(ctx.state.slot[SLOT_B].state, FOTA_SLOT_CONFIRMED);
    assert_int_equal(ctx.state.slot[SLOT_B].version.minor, 10);
    assert_int_equal(
        ctx.state.slot[SLOT_B].image_crc,
        boot_flash_crc(FOTA_SLOT_B_ADDR, FOTA_IMAGE_HDR_SIZE + 4096));
    assert_int_equal(ctx.state.slot[SLOT_A].state, FOTA_SLOT_EMPTY);
    assert_int_equal(ctx.state.sec_floor, 1);
    assert_int_equal(boot_inactive_slot(&ctx), SLOT_A);

    /* The next boot is a normal one: same slot, nothing written. */
    uint64_t ops = f->ops;
    tbu_reboot(&ctx, &d);
    assert_jump(&d, SLOT_B, false);
    assert_int_equal(f->ops, ops);

    /* The other order too: A newer than B. */
    sim_flash_init(f, SIM_FLASH_TYPICAL);
    write_image(SLOT_A, 2, 0, 1);
    write_image(SLOT_B, 1, 9, 1);
    tbu_reboot(&ctx, &d);
    assert_jump(&d, SLOT_A, false);
}

static void factory_skips_invalid_newer_image(void **state)
{
    (void)state;
    boot_ctx_t ctx;
    boot_decision_t d;
    tbu_image_t img;

    write_image(SLOT_A, 1, 0, 1);
    tbu_image_default(&img, 3, 0, 1);
    img.bad_hash = true;
    tbu_image_write(SLOT_B, &img);
    tbu_reboot(&ctx, &d);
    assert_jump(&d, SLOT_A, false);
}

static void no_image_enters_update_mode(void **state)
{
    sim_flash_t *f = *state;
    boot_ctx_t ctx;
    boot_decision_t d;
    tbu_image_t img;

    tbu_reboot(&ctx, &d);
    assert_update_mode(&d);
    assert_int_equal(ctx.area, BOOT_AREA_NONE);
    assert_int_equal(f->ops, 0); /* nothing written */
    assert_int_equal(boot_inactive_slot(&ctx), SLOT_A);

    /* Invalid images only: still update mode, still no write. */
    tbu_image_default(&img, 1, 0, 1);
    img.bad_hash = true;
    tbu_image_write(SLOT_A, &img);
    tbu_image_default(&img, 1, 0, 1);
    img.product = "other-board";
    tbu_image_write(SLOT_B, &img);
    uint64_t ops = f->ops;
    tbu_reboot(&ctx, &d);
    assert_update_mode(&d);
    assert_int_equal(f->ops, ops);
}

static void commit_trials_then_rollback(void **state)
{
    (void)state;
    boot_ctx_t ctx;
    boot_decision_t d;

    factory_a(&ctx);
    assert_int_equal(boot_inactive_slot(&ctx), SLOT_B);
    write_image(SLOT_B, 2, 0, 1);
    assert_int_equal(boot_commit(&ctx, SLOT_B), 0);
    assert_int_equal(ctx.state.slot[SLOT_B].state, FOTA_SLOT_PENDING);
    assert_int_equal(ctx.state.attempts_left, FOTA_TRIAL_ATTEMPTS);
    assert_int_equal(ctx.state.active, SLOT_A); /* the fallback stays */

    for (int i = FOTA_TRIAL_ATTEMPTS - 1; i >= 0; i--) {
        tbu_reboot(&ctx, &d);
        assert_jump(&d, SLOT_B, true);
        /* The attempt was recorded before the jump. */
        assert_int_equal(ctx.state.attempts_left, i);
        boot_ctx_t again;
        assert_int_equal(boot_init(&again), 0);
        assert_int_equal(again.state.attempts_left, i);
    }
    /* No confirm: the next boot reverts. */
    tbu_reboot(&ctx, &d);
    assert_jump(&d, SLOT_A, false);
    assert_int_equal(ctx.state.active, SLOT_A);
    assert_int_equal(ctx.state.slot[SLOT_B].state, FOTA_SLOT_REJECTED);
    assert_int_equal(ctx.state.slot[SLOT_B].version.major, 2);
    assert_int_equal(ctx.state.slot[SLOT_A].state, FOTA_SLOT_CONFIRMED);

    /* And stays reverted. */
    tbu_reboot(&ctx, &d);
    assert_jump(&d, SLOT_A, false);

    /* The same version cannot come back; a different one can. */
    assert_int_equal(boot_commit(&ctx, SLOT_B), FOTA_ERR_REJECTED);
    write_image(SLOT_B, 2, 1, 1);
    assert_int_equal(boot_commit(&ctx, SLOT_B), 0);
    tbu_reboot(&ctx, &d);
    assert_jump(&d, SLOT_B, true);
}

static void invalid_pending_reverts_at_once(void **state)
{
    sim_flash_t *f = *state;
    boot_ctx_t ctx;
    boot_decision_t d;

    pending_b(&ctx, 1);
    tbu_corrupt(f, SLOT_B, FOTA_IMAGE_HDR_SIZE + 1000);
    tbu_reboot(&ctx, &d);
    assert_jump(&d, SLOT_A, false);
    assert_int_equal(ctx.state.slot[SLOT_B].state, FOTA_SLOT_REJECTED);
    assert_int_equal(ctx.state.attempts_left, 0);
}

static void commit_trial_confirm_then_second_update(void **state)
{
    (void)state;
    boot_ctx_t ctx;
    boot_decision_t d;

    confirmed_b(&ctx, 5);
    assert_int_equal(ctx.state.active, SLOT_B);
    assert_int_equal(ctx.state.slot[SLOT_B].state, FOTA_SLOT_CONFIRMED);
    assert_int_equal(ctx.state.sec_floor, 5);
    assert_int_equal(ctx.state.attempts_left, 0);

    /* Normal boots of the new slot from now on. */
    for (int i = 0; i < 5; i++) {
        tbu_reboot(&ctx, &d);
        assert_jump(&d, SLOT_B, false);
    }
    assert_int_equal(ctx.state.sec_floor, 5);
    /* Confirming again is a no-op. */
    uint32_t seq = ctx.state.seq;
    assert_int_equal(boot_confirm(&ctx, SLOT_B), 0);
    assert_int_equal(ctx.state.seq, seq);
    assert_int_equal(boot_confirm(&ctx, SLOT_A), FOTA_ERR_PERM);

    /* The second update targets slot A. */
    assert_int_equal(boot_inactive_slot(&ctx), SLOT_A);
    write_image(SLOT_A, 3, 0, 5);
    assert_int_equal(boot_commit(&ctx, SLOT_B), FOTA_ERR_PERM);
    assert_int_equal(boot_commit(&ctx, SLOT_A), 0);
    tbu_reboot(&ctx, &d);
    assert_jump(&d, SLOT_A, true);
    assert_int_equal(boot_confirm(&ctx, SLOT_A), 0);
    tbu_reboot(&ctx, &d);
    assert_jump(&d, SLOT_A, false);
    assert_int_equal(boot_inactive_slot(&ctx), SLOT_B);
}

static void corrupt_active_falls_back_to_other_confirmed(void **state)
{
    sim_flash_t *f = *state;
    boot_ctx_t ctx;
    boot_decision_t d;

    confirmed_b(&ctx, 1);

    tbu_corrupt(f, SLOT_B, FOTA_IMAGE_HDR_SIZE + 2048);
    tbu_reboot(&ctx, &d);
    assert_jump(&d, SLOT_A, false);
    assert_int_equal(ctx.state.active, SLOT_A);
    assert_int_equal(ctx.state.slot[SLOT_B].state, FOTA_SLOT_EMPTY);
    tbu_reboot(&ctx, &d);
    assert_jump(&d, SLOT_A, false);
    assert_int_equal(boot_inactive_slot(&ctx), SLOT_B);

    /* Both bad: update mode. */
    tbu_corrupt(f, SLOT_A, FOTA_IMAGE_HDR_SIZE + 8);
    tbu_reboot(&ctx, &d);
    assert_update_mode(&d);
}

static void corrupt_active_without_fallback_enters_update_mode(void **state)
{
    sim_flash_t *f = *state;
    boot_ctx_t ctx;
    boot_decision_t d;

    factory_a(&ctx);
    /* The header: now the magic is gone. */
    tbu_corrupt(f, SLOT_A, 0);
    tbu_reboot(&ctx, &d);
    assert_update_mode(&d);
    assert_int_equal(boot_verify_image(&ctx, SLOT_A, true, NULL),
                     FOTA_ERR_NOENT);
}

static void quick_check_catches_what_the_crc_covers(void **state)
{
    sim_flash_t *f = *state;
    boot_ctx_t ctx;
    fota_image_hdr_t hdr;

    factory_a(&ctx);
    assert_int_equal(boot_verify_image(&ctx, SLOT_A, false, &hdr), 0);
    assert_int_equal(hdr.version.major, 1);
    /* A flipped bit in the last body word: the CRC sees it. */
    tbu_corrupt(f, SLOT_A, FOTA_IMAGE_HDR_SIZE + 4095);
    assert_int_equal(boot_verify_image(&ctx, SLOT_A, false, NULL),
                     FOTA_ERR_CORRUPT);
    assert_int_equal(boot_verify_image(&ctx, SLOT_A, true, NULL),
                     FOTA_ERR_CORRUPT);
    /* A flipped bit in the unhashed TLV area: only the CRC sees it. */
    tbu_corrupt(f, SLOT_A, FOTA_IMAGE_HDR_SIZE + 4095);
    tbu_corrupt(f, SLOT_A, 300);
    assert_int_equal(boot_verify_image(&ctx, SLOT_A, false, NULL),
                     FOTA_ERR_CORRUPT);
    assert_int_equal(boot_verify_image(&ctx, SLOT_A, true, NULL), 0);
}

static void rejected_version_cannot_be_recommitted(void **state)
{
    (void)state;
    boot_ctx_t ctx;
    boot_decision_t d;

    pending_b(&ctx, 1);
    for (int i = 0; i <= FOTA_TRIAL_ATTEMPTS; i++)
        tbu_reboot(&ctx, &d);
    assert_jump(&d, SLOT_A, false);
    assert_int_equal(ctx.state.slot[SLOT_B].state, FOTA_SLOT_REJECTED);
    /* Rewritten byte for byte, the same version is still refused. */
    write_image(SLOT_B, 2, 0, 1);
    uint32_t seq = ctx.state.seq;
    assert_int_equal(boot_commit(&ctx, SLOT_B), FOTA_ERR_REJECTED);
    assert_int_equal(ctx.state.seq, seq);
    boot_ctx_t again;
    assert_int_equal(boot_init(&again), 0);
    assert_int_equal(again.state.seq, seq);
}

static void security_counter_below_floor_refused(void **state)
{
    (void)state;
    boot_ctx_t ctx;

    confirmed_b(&ctx, 7);
    assert_int_equal(ctx.state.sec_floor, 7);

    /* A newer version with an older counter is refused... */
    write_image(SLOT_A, 3, 0, 6);
    assert_int_equal(boot_verify_image(&ctx, SLOT_A, true, NULL),
                     FOTA_ERR_ROLLBACK);
    assert_int_equal(boot_commit(&ctx, SLOT_A), FOTA_ERR_ROLLBACK);
    /* ...an equal counter is fine. */
    write_image(SLOT_A, 3, 0, 7);
    assert_int_equal(boot_commit(&ctx, SLOT_A), 0);
}

static void fallback_respects_floor(void **state)
{
    sim_flash_t *f = *state;
    boot_ctx_t ctx;
    boot_decision_t d;

    confirmed_b(&ctx, 4); /* A has counter 1 */
    assert_int_equal(ctx.state.slot[SLOT_A].state, FOTA_SLOT_CONFIRMED);
    tbu_corrupt(f, SLOT_B, FOTA_IMAGE_HDR_SIZE + 100);
    tbu_reboot(&ctx, &d);
    assert_update_mode(&d);
}

static void check_bad_image(const tbu_image_t *img, int expect)
{
    boot_ctx_t ctx;
    boot_decision_t d;

    sim_flash_init(boot_port_host_flash(), SIM_FLASH_TYPICAL);
    tbu_image_write(SLOT_A, img);
    tbu_reboot(&ctx, &d);
    assert_update_mode(&d);
    assert_int_equal(ctx.area, BOOT_AREA_NONE);
    assert_int_equal(boot_verify_image(&ctx, SLOT_A, true, NULL), expect);
    assert_int_equal(boot_verify_image(&ctx, SLOT_A, false, NULL), expect);
    /* A header that passes the image check (only the hash is wrong) is
     * what the factory decision would try to boot: the bus may not touch
     * that slot, so commit refuses it as not the inactive slot. */
    assert_int_equal(boot_commit(&ctx, SLOT_A),
                     expect == FOTA_ERR_CORRUPT ? FOTA_ERR_PERM : expect);
}

static void bad_vector_table_refused(void **state)
{
    (void)state;
    tbu_image_t img;
    const uint32_t body = FOTA_SLOT_A_ADDR + FOTA_IMAGE_HDR_SIZE;

    /* The baseline is good, so each case below fails for its own reason. */
    tbu_image_default(&img, 1, 0, 1);
    {
        boot_ctx_t ctx;
        tbu_image_write(SLOT_A, &img);
        assert_int_equal(boot_init(&ctx), 0);
        assert_int_equal(boot_verify_image(&ctx, SLOT_A, true, NULL), 0);
    }

    /* The application's RAM ends below the no-init window; CCM is the
     * application's too (INTERFACES: initial SP). */
    const uint32_t good_msp[] = {FOTA_NOINIT_ADDR, FOTA_SRAM_ADDR + 4,
                                 FOTA_CCM_ADDR + FOTA_CCM_SIZE,
                                 FOTA_CCM_ADDR + 4};
    for (size_t i = 0; i < sizeof good_msp / sizeof good_msp[0]; i++) {
        boot_ctx_t ctx;
        tbu_image_default(&img, 1, 0, 1);
        img.msp = good_msp[i];
        sim_flash_init(boot_port_host_flash(), SIM_FLASH_TYPICAL);
        tbu_image_write(SLOT_A, &img);
        assert_int_equal(boot_init(&ctx), 0);
        assert_int_equal(boot_verify_image(&ctx, SLOT_A, true, NULL), 0);
    }
    const uint32_t bad_msp[] = {
        0x30000000u,           FOTA_SRAM_ADDR,
        FOTA_NOINIT_ADDR + 4,  FOTA_SRAM_ADDR + FOTA_SRAM_SIZE,
        FOTA_CCM_ADDR,         FOTA_CCM_ADDR + FOTA_CCM_SIZE + 4,
        FOTA_CCM_ADDR + 0x102, FOTA_SRAM_ADDR + 0x1002,
        0xFFFFFFFFu,           0x08001000u};
    for (size_t i = 0; i < sizeof bad_msp / sizeof bad_msp[0]; i++) {
        tbu_image_default(&img, 1, 0, 1);
        img.msp = bad_msp[i];
        check_bad_image(&img, FOTA_ERR_IMAGE(FOTA_IMG_SP));
    }
    const uint32_t bad_entry[] = {body + 0x100u,     /* not thumb */
                                  body - 0x1FFu,     /* in the header */
                                  body + 4096u + 1u, /* past the body */
                                  0x00000001u,
                                  0xFFFFFFFFu,
                                  FOTA_SLOT_B_ADDR + 0x201u}; /* other slot */
    for (size_t i = 0; i < sizeof bad_entry / sizeof bad_entry[0]; i++) {
        tbu_image_default(&img, 1, 0, 1);
        img.entry = bad_entry[i];
        check_bad_image(&img, FOTA_ERR_IMAGE(FOTA_IMG_ENTRY));
    }
}

static void header_checks(void **state)
{
    (void)state;
    tbu_image_t img;

    tbu_image_default(&img, 1, 0, 1);
    img.bad_hash = true;
    check_bad_image(&img, FOTA_ERR_CORRUPT);

    tbu_image_default(&img, 1, 0, 1);
    img.product = "stm32f407-disc";
    check_bad_image(&img, FOTA_ERR_IMAGE(FOTA_IMG_PRODUCT));
    img.product = "stm32f407-discox";
    check_bad_image(&img, FOTA_ERR_IMAGE(FOTA_IMG_PRODUCT));

    /* Linked for slot B, sitting in slot A. */
    tbu_image_default(&img, 1, 0, 1);
    img.load_slot = SLOT_B;
    check_bad_image(&img, FOTA_ERR_IMAGE(FOTA_IMG_LOAD_ADDR));

    /* A confirm window the trial watchdog could not honour. */
    tbu_image_default(&img, 1, 0, 1);
    img.confirm_window_ms = FOTA_CONFIRM_WINDOW_MAX_MS + 1;
    check_bad_image(&img, FOTA_ERR_IMAGE(FOTA_IMG_WINDOW));

    /* Nothing there at all. */
    boot_ctx_t ctx;
    sim_flash_init(boot_port_host_flash(), SIM_FLASH_TYPICAL);
    assert_int_equal(boot_init(&ctx), 0);
    assert_int_equal(boot_verify_image(&ctx, SLOT_A, true, NULL),
                     FOTA_ERR_NOENT);
    assert_int_equal(boot_verify_image(&ctx, 2, true, NULL), FOTA_ERR_RANGE);
    assert_int_equal(boot_verify_image(&ctx, -1, true, NULL), FOTA_ERR_RANGE);
}

static void commit_from_factory_without_image(void **state)
{
    (void)state;
    boot_ctx_t ctx;
    boot_decision_t d;

    /* Blank device: update mode, the agent writes slot A. */
    tbu_reboot(&ctx, &d);
    assert_update_mode(&d);
    assert_int_equal(boot_commit(&ctx, SLOT_B), FOTA_ERR_PERM);
    assert_int_equal(boot_confirm(&ctx, SLOT_A), FOTA_ERR_PERM);
    write_image(SLOT_A, 1, 0, 1);
    assert_int_equal(boot_commit(&ctx, SLOT_A), 0);
    tbu_reboot(&ctx, &d);
    assert_jump(&d, SLOT_A, true);
    assert_int_equal(boot_confirm(&ctx, SLOT_A), 0);
    tbu_reboot(&ctx, &d);
    assert_jump(&d, SLOT_A, false);
    assert_int_equal(boot_inactive_slot(&ctx), SLOT_B);

    /* Had it never confirmed, the trial would end in update mode. */
    sim_flash_init(boot_port_host_flash(), SIM_FLASH_TYPICAL);
    tbu_reboot(&ctx, &d);
    write_image(SLOT_A, 1, 0, 1);
    assert_int_equal(boot_commit(&ctx, SLOT_A), 0);
    for (int i = 0; i < FOTA_TRIAL_ATTEMPTS; i++) {
        tbu_reboot(&ctx, &d);
        assert_jump(&d, SLOT_A, true);
    }
    tbu_reboot(&ctx, &d);
    assert_update_mode(&d);
    assert_int_equal(ctx.state.slot[SLOT_A].state, FOTA_SLOT_REJECTED);
    assert_int_equal(boot_inactive_slot(&ctx), SLOT_A);
}

/* ---- write policy ---- */

static void policy_table(void **state)
{
    (void)state;
    boot_ctx_t ctx;
    boot_decision_t d;
    const uint32_t A = FOTA_SLOT_A_ADDR, B = FOTA_SLOT_B_ADDR;
    const uint32_t S = FOTA_SLOT_SIZE;

    factory_a(&ctx); /* active A, inactive B */
    struct {
        enum boot_op op;
        uint32_t addr, len;
        int expect;
    } cases[] = {
        /* the inactive slot: allowed */
        {BOOT_OP_WRITE, B, 256, 0},
        {BOOT_OP_WRITE, B + S - 4, 4, 0},
        {BOOT_OP_WRITE, B, S, 0},
        {BOOT_OP_ERASE, B, 0x20000, 0},
        {BOOT_OP_ERASE, B + 0x20000, 0x40000, 0},
        {BOOT_OP_ERASE, B, S, 0},
        {BOOT_OP_READ, B, 256, 0},
        {BOOT_OP_READ, A, 256, 0},
        {BOOT_OP_READ, FOTA_FLASH_BASE, FOTA_FLASH_SIZE, 0},
        /* bootloader, sectors 0 and 1 */
        {BOOT_OP_WRITE, FOTA_BOOT_ADDR, 4, FOTA_ERR_PERM},
        {BOOT_OP_ERASE, FOTA_BOOT_ADDR, 0x4000, FOTA_ERR_PERM},
        {BOOT_OP_WRITE, FOTA_SECTOR_ADDR(1) + 0x100, 4, FOTA_ERR_PERM},
        {BOOT_OP_ERASE, FOTA_SECTOR_ADDR(1), 0x4000, FOTA_ERR_PERM},
        /* journal, sectors 2 and 11 */
        {BOOT_OP_WRITE, FOTA_JOURNAL_SPARE_ADDR, 64, FOTA_ERR_PERM},
        {BOOT_OP_ERASE, FOTA_JOURNAL_SPARE_ADDR, 0x4000, FOTA_ERR_PERM},
        {BOOT_OP_WRITE, FOTA_JOURNAL_MAIN_ADDR, 64, FOTA_ERR_PERM},
        {BOOT_OP_ERASE, FOTA_JOURNAL_MAIN_ADDR, 0x20000, FOTA_ERR_PERM},
        /* application data, sectors 3 and 4 */
        {BOOT_OP_WRITE, FOTA_APPDATA_ADDR, 4, FOTA_ERR_PERM},
        {BOOT_OP_ERASE, 0x08010000u, 0x10000, FOTA_ERR_PERM},
        /* the active slot */
        {BOOT_OP_WRITE, A, 4, FOTA_ERR_PERM},
        {BOOT_OP_WRITE, A + S - 4, 4, FOTA_ERR_PERM},
        {BOOT_OP_ERASE, A, 0x20000, FOTA_ERR_PERM},
        /* option bytes, system memory, SRAM, peripherals */
        {BOOT_OP_WRITE, 0x1FFFC000u, 4, FOTA_ERR_PERM},
        {BOOT_OP_READ, 0x1FFFC000u, 4, FOTA_ERR_PERM},
        {BOOT_OP_WRITE, 0x1FFF0000u, 4, FOTA_ERR_PERM},
        {BOOT_OP_READ, 0x1FFF0000u, 16, FOTA_ERR_PERM},
        {BOOT_OP_WRITE, FOTA_SRAM_ADDR, 4, FOTA_ERR_PERM},
        {BOOT_OP_READ, FOTA_SRAM_ADDR, 4, FOTA_ERR_PERM},
        {BOOT_OP_WRITE, 0x40023C00u, 4, FOTA_ERR_PERM},
        /* straddling: into the next slot, out of the slot, past flash */
        {BOOT_OP_WRITE, A + S - 4, 8, FOTA_ERR_PERM},
        {BOOT_OP_WRITE, B - 4, 8, FOTA_ERR_PERM},
        {BOOT_OP_WRITE, B + S - 4, 8, FOTA_ERR_PERM},
        {BOOT_OP_WRITE, B, S + 4, FOTA_ERR_PERM},
        {BOOT_OP_READ, FOTA_FLASH_END - 4, 8, FOTA_ERR_PERM},
        {BOOT_OP_READ, FOTA_FLASH_BASE - 4, 8, FOTA_ERR_PERM},
        /* wrapping and empty ranges */
        {BOOT_OP_WRITE, B, 0xFFFFFFFFu, FOTA_ERR_PERM},
        {BOOT_OP_READ, B, 0xFFFFFFFFu - B + 2, FOTA_ERR_PERM},
        {BOOT_OP_ERASE, 0xFFFFF000u, 0x2000, FOTA_ERR_PERM},
        {BOOT_OP_WRITE, B, 0, FOTA_ERR_PERM},
        {BOOT_OP_ERASE, B, 0, FOTA_ERR_PERM},
        {BOOT_OP_READ, B, 0, FOTA_ERR_PERM},
        /* erase ranges that are not whole sectors */
        {BOOT_OP_ERASE, B, 0x1000, FOTA_ERR_PERM},
        {BOOT_OP_ERASE, B + 0x1000, 0x20000, FOTA_ERR_PERM},
        {BOOT_OP_ERASE, B, 0x20004, FOTA_ERR_PERM},
        {BOOT_OP_ERASE, B + 4, S - 4, FOTA_ERR_PERM},
        /* unknown operation */
        {(enum boot_op)7, B, 4, FOTA_ERR_PERM},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc =
            boot_policy_check(&ctx, cases[i].op, cases[i].addr, cases[i].len);
        if (rc != cases[i].expect)
            fail_msg("case %zu: op %d addr 0x%08x len 0x%x: got %d, want %d", i,
                     (int)cases[i].op, (unsigned)cases[i].addr,
                     (unsigned)cases[i].len, rc, cases[i].expect);
    }

    /* After a confirmed update the roles swap. */
    write_image(SLOT_B, 2, 0, 1);
    assert_int_equal(boot_commit(&ctx, SLOT_B), 0);
    /* While B is pending, A is still the fallback: still not writable. */
    assert_int_equal(boot_policy_check(&ctx, BOOT_OP_WRITE, A, 4),
                     FOTA_ERR_PERM);
    tbu_reboot(&ctx, &d);
    assert_int_equal(boot_confirm(&ctx, SLOT_B), 0);
    assert_int_equal(boot_policy_check(&ctx, BOOT_OP_WRITE, A, 4), 0);
    assert_int_equal(boot_policy_check(&ctx, BOOT_OP_ERASE, A, S), 0);
    assert_int_equal(boot_policy_check(&ctx, BOOT_OP_WRITE, B, 4),
                     FOTA_ERR_PERM);
    assert_int_equal(boot_policy_check(&ctx, BOOT_OP_ERASE, B, 0x20000),
                     FOTA_ERR_PERM);

    /* Factory state with nothing confirmed: slot A is the writable one. */
    sim_flash_init(boot_port_host_flash(), SIM_FLASH_TYPICAL);
    assert_int_equal(boot_init(&ctx), 0);
    assert_int_equal(boot_policy_check(&ctx, BOOT_OP_WRITE, A, 4), 0);
    assert_int_equal(boot_policy_check(&ctx, BOOT_OP_WRITE, B, 4),
                     FOTA_ERR_PERM);
}

/* A never-booted device (empty journal) holding one image: that image is
 * what the factory decision would boot, so its slot is the active one for
 * the bus; the other slot is writable. */
static void policy_factory_image_protected(void **state)
{
    const uint32_t A = FOTA_SLOT_A_ADDR, B = FOTA_SLOT_B_ADDR;
    const uint32_t S = 0x20000; /* one 128 KiB sector */
    boot_ctx_t ctx;

    (void)state;
    write_image(SLOT_A, 1, 0, 1);
    assert_int_equal(boot_init(&ctx), 0);
    assert_int_equal(ctx.area, BOOT_AREA_NONE);
    assert_int_equal(ctx.factory_slot, SLOT_A);
    assert_int_equal(boot_inactive_slot(&ctx), SLOT_B);
    assert_int_equal(boot_policy_check(&ctx, BOOT_OP_WRITE, A, 4),
                     FOTA_ERR_PERM);
    assert_int_equal(boot_policy_check(&ctx, BOOT_OP_ERASE, A, S),
                     FOTA_ERR_PERM);
    assert_int_equal(boot_policy_check(&ctx, BOOT_OP_WRITE, B, 4), 0);
    assert_int_equal(boot_policy_check(&ctx, BOOT_OP_ERASE, B, S), 0);
    assert_int_equal(boot_commit(&ctx, SLOT_A), FOTA_ERR_PERM);

    /* The image alone in slot B: B is protected, A writable. */
    sim_flash_init(boot_port_host_flash(), SIM_FLASH_TYPICAL);
    write_image(SLOT_B, 1, 0, 1);
    assert_int_equal(boot_init(&ctx), 0);
    assert_int_equal(boot_inactive_slot(&ctx), SLOT_A);
    assert_int_equal(boot_policy_check(&ctx, BOOT_OP_ERASE, B, S),
                     FOTA_ERR_PERM);
    assert_int_equal(boot_policy_check(&ctx, BOOT_OP_WRITE, A, 4), 0);

    /* Both: the higher version is the one the factory decision boots. */
    write_image(SLOT_A, 3, 0, 1);
    assert_int_equal(boot_init(&ctx), 0);
    assert_int_equal(boot_inactive_slot(&ctx), SLOT_B);
    assert_int_equal(boot_policy_check(&ctx, BOOT_OP_WRITE, A, 4),
                     FOTA_ERR_PERM);
    assert_int_equal(boot_policy_check(&ctx, BOOT_OP_WRITE, B, 4), 0);

    /* An image the check refuses protects nothing. */
    sim_flash_init(boot_port_host_flash(), SIM_FLASH_TYPICAL);
    tbu_image_t img;
    tbu_image_default(&img, 1, 0, 1);
    img.product = "other-board";
    tbu_image_write(SLOT_A, &img);
    assert_int_equal(boot_init(&ctx), 0);
    assert_int_equal(ctx.factory_slot, -1);
    assert_int_equal(boot_policy_check(&ctx, BOOT_OP_WRITE, A, 4), 0);
}

/* A committed image is never changed in place: writes to the pending slot
 * are refused; an erase withdraws the commit first (a journal record), and
 * the trial never boots what was there. */
static void policy_pending_slot_withdrawn_before_erase(void **state)
{
    const uint32_t B = FOTA_SLOT_B_ADDR;
    const uint32_t S = 0x20000;
    boot_ctx_t ctx;
    boot_decision_t d;
    uint32_t seq;

    (void)state;
    pending_b(&ctx, 1);
    assert_int_equal(boot_inactive_slot(&ctx), SLOT_B);
    assert_int_equal(boot_policy_check(&ctx, BOOT_OP_WRITE, B, 4),
                     FOTA_ERR_PERM);
    assert_int_equal(boot_policy_check(&ctx, BOOT_OP_WRITE, B + 0x40000, 4),
                     FOTA_ERR_PERM);
    assert_int_equal(boot_policy_check(&ctx, BOOT_OP_ERASE, B, S), 0);
    /* Sectors outside the pending slot withdraw nothing. */
    seq = ctx.state.seq;
    assert_int_equal(boot_erase_prepare(&ctx, 1u << 11), 0);
    assert_int_equal(ctx.state.seq, seq);
    assert_int_equal(ctx.state.slot[SLOT_B].state, FOTA_SLOT_PENDING);
    /* Erasing B's first sector: the commit is withdrawn first. */
    assert_int_equal(boot_erase_prepare(&ctx, 1u << FOTA_SLOT_B_FIRST_SECTOR),
                     0);
    assert_int_equal(ctx.state.seq, seq + 1);
    assert_int_equal(ctx.state.slot[SLOT_B].state, FOTA_SLOT_EMPTY);
    assert_int_equal(ctx.state.attempts_left, 0);
    assert_int_equal(boot_policy_check(&ctx, BOOT_OP_WRITE, B, 4), 0);
    /* The withdrawal is on flash: a reboot boots A, confirmed, no trial. */
    tbu_reboot(&ctx, &d);
    assert_jump(&d, SLOT_A, false);
    assert_int_equal(ctx.state.slot[SLOT_B].state, FOTA_SLOT_EMPTY);
    /* And B is writable and committable again. */
    write_image(SLOT_B, 2, 1, 1);
    assert_int_equal(boot_commit(&ctx, SLOT_B), 0);
    assert_int_equal(ctx.state.slot[SLOT_B].version.minor, 1);
}

/* A reset as the port reports it: boot_init, the reset cause, boot_decide. */
static void reboot_after(boot_ctx_t *ctx, boot_decision_t *d, bool power_loss)
{
    assert_int_equal(boot_init(ctx), 0);
    ctx->power_loss_reset = power_loss;
    assert_int_equal(boot_decide(ctx, d), 0);
}

/* Trial attempts ended by a power loss are given back: three cuts between
 * the attempt record and the confirm leave a good image its attempts, and
 * it confirms. */
static void power_loss_attempts_given_back(void **state)
{
    boot_ctx_t ctx;
    boot_decision_t d;

    (void)state;
    pending_b(&ctx, 1);
    reboot_after(&ctx, &d, false); /* first attempt: after the reboot request */
    assert_jump(&d, SLOT_B, true);
    assert_int_equal(ctx.state.attempts_left, FOTA_TRIAL_ATTEMPTS - 1);
    for (int cut = 1; cut <= 3; cut++) {
        reboot_after(&ctx, &d, true);
        assert_jump(&d, SLOT_B, true);
        assert_int_equal(ctx.state.attempts_left, FOTA_TRIAL_ATTEMPTS - 1);
        assert_int_equal(ctx.state.flags & FOTA_JOURNAL_F_PWR_REFUNDS, cut);
    }
    assert_int_equal(boot_confirm(&ctx, SLOT_B), 0);
    assert_int_equal(ctx.state.slot[SLOT_B].state, FOTA_SLOT_CONFIRMED);
    assert_int_equal(ctx.state.flags & FOTA_JOURNAL_F_PWR_REFUNDS, 0);
}

/* The bound: an image whose attempts all end in power losses (one that
 * browns the board out) still runs out, after FOTA_TRIAL_ATTEMPTS +
 * FOTA_TRIAL_POWER_LOSS_MAX boots; a power-on with no attempt on record
 * gives nothing back; a watchdog reset always counts. */
static void power_loss_refunds_are_bounded(void **state)
{
    boot_ctx_t ctx;
    boot_decision_t d;
    int trials = 0;

    (void)state;
    pending_b(&ctx, 1);
    /* Power-on before any attempt: the first attempt counts. */
    reboot_after(&ctx, &d, true);
    assert_jump(&d, SLOT_B, true);
    assert_int_equal(ctx.state.attempts_left, FOTA_TRIAL_ATTEMPTS - 1);
    trials = 1;
    for (;;) {
        reboot_after(&ctx, &d, true);
        if (d.action != BOOT_ACTION_JUMP || !d.trial)
            break;
        trials++;
        assert_true(trials <= FOTA_TRIAL_ATTEMPTS + FOTA_TRIAL_POWER_LOSS_MAX);
    }
    assert_int_equal(trials, FOTA_TRIAL_ATTEMPTS + FOTA_TRIAL_POWER_LOSS_MAX);
    assert_jump(&d, SLOT_A, false);
    assert_int_equal(ctx.state.slot[SLOT_B].state, FOTA_SLOT_REJECTED);

    /* Watchdog (not power-loss) resets: exactly FOTA_TRIAL_ATTEMPTS. */
    write_image(SLOT_B, 3, 0, 1);
    assert_int_equal(boot_commit(&ctx, SLOT_B), 0);
    assert_int_equal(ctx.state.flags & FOTA_JOURNAL_F_PWR_REFUNDS, 0);
    trials = 0;
    for (;;) {
        reboot_after(&ctx, &d, false);
        if (!d.trial)
            break;
        trials++;
    }
    assert_int_equal(trials, FOTA_TRIAL_ATTEMPTS);
    assert_int_equal(ctx.state.slot[SLOT_B].state, FOTA_SLOT_REJECTED);
}

/* A never-booted device (empty journal, held in update mode at its first
 * power-on) with a factory image in A gets an update committed into B: the
 * record names A, confirmed, as the fallback with A's counter as the
 * floor, so a B that never confirms rolls back to A, not into update
 * mode. */
static void commit_on_never_booted_device_falls_back_to_factory(void **state)
{
    boot_ctx_t ctx;
    boot_decision_t d;

    (void)state;
    write_image(SLOT_A, 3, 0, 3);
    assert_int_equal(boot_init(&ctx), 0);
    assert_int_equal(ctx.area, BOOT_AREA_NONE);
    assert_int_equal(boot_inactive_slot(&ctx), SLOT_B);
    write_image(SLOT_B, 4, 0, 3);
    assert_int_equal(boot_commit(&ctx, SLOT_B), 0);
    assert_int_equal(ctx.state.active, SLOT_A);
    assert_int_equal(ctx.state.slot[SLOT_A].state, FOTA_SLOT_CONFIRMED);
    assert_int_equal(ctx.state.slot[SLOT_A].version.major, 3);
    assert_int_equal(ctx.state.slot[SLOT_B].state, FOTA_SLOT_PENDING);
    assert_int_equal(ctx.state.sec_floor, 3);
    for (int i = 0; i < FOTA_TRIAL_ATTEMPTS; i++) {
        tbu_reboot(&ctx, &d);
        assert_jump(&d, SLOT_B, true);
    }
    tbu_reboot(&ctx, &d);
    assert_jump(&d, SLOT_A, false);
    assert_int_equal(ctx.state.slot[SLOT_B].state, FOTA_SLOT_REJECTED);
    assert_int_equal(boot_inactive_slot(&ctx), SLOT_B);
}

/* The same commit with the update's counter below the factory image's is
 * refused, as it would be after the factory boot raised the floor; a
 * factory image that fails its hash is no fallback. */
static void commit_on_never_booted_device_checks_factory(void **state)
{
    sim_flash_t *f = *state;
    boot_ctx_t ctx;
    boot_decision_t d;

    write_image(SLOT_A, 1, 0, 5);
    assert_int_equal(boot_init(&ctx), 0);
    write_image(SLOT_B, 2, 0, 4);
    assert_int_equal(boot_commit(&ctx, SLOT_B), FOTA_ERR_ROLLBACK);
    assert_int_equal(ctx.area, BOOT_AREA_NONE);
    write_image(SLOT_B, 2, 0, 5);
    assert_int_equal(boot_commit(&ctx, SLOT_B), 0);
    assert_int_equal(ctx.state.sec_floor, 5);

    /* A's body damaged (the header check passes, the hash does not). */
    sim_flash_init(f, SIM_FLASH_TYPICAL);
    write_image(SLOT_A, 1, 0, 1);
    tbu_corrupt(f, SLOT_A, FOTA_IMAGE_HDR_SIZE + 64);
    assert_int_equal(boot_init(&ctx), 0);
    assert_int_equal(ctx.factory_slot, SLOT_A);
    write_image(SLOT_B, 2, 0, 1);
    assert_int_equal(boot_commit(&ctx, SLOT_B), 0);
    assert_int_equal(ctx.state.active, SLOT_A);
    assert_int_equal(ctx.state.slot[SLOT_A].state, FOTA_SLOT_EMPTY);
    assert_int_equal(ctx.state.sec_floor, 0);
    for (int i = 0; i < FOTA_TRIAL_ATTEMPTS; i++) {
        tbu_reboot(&ctx, &d);
        assert_jump(&d, SLOT_B, true);
    }
    tbu_reboot(&ctx, &d);
    assert_update_mode(&d);
}

/* FOTA_OP_CONFIRM / FOTA_OP_ROLLBACK: confirm or reject the pending slot,
 * before its first trial boot or during its trial. */
static void bus_confirm_and_rollback(void **state)
{
    boot_ctx_t ctx;
    boot_decision_t d;

    (void)state;
    factory_a(&ctx);
    assert_int_equal(boot_bus_confirm(&ctx), FOTA_ERR_NOENT);
    assert_int_equal(boot_bus_rollback(&ctx), FOTA_ERR_NOENT);
    assert_int_equal(boot_bus_confirm(NULL), FOTA_ERR_INVAL);
    assert_int_equal(boot_bus_rollback(NULL), FOTA_ERR_INVAL);

    /* Committed, never booted: confirmed outright, the floor raised. */
    write_image(SLOT_B, 2, 0, 2);
    assert_int_equal(boot_commit(&ctx, SLOT_B), 0);
    assert_int_equal(boot_bus_confirm(&ctx), 0);
    assert_int_equal(ctx.state.active, SLOT_B);
    assert_int_equal(ctx.state.slot[SLOT_B].state, FOTA_SLOT_CONFIRMED);
    assert_int_equal(ctx.state.sec_floor, 2);
    assert_int_equal(ctx.state.attempts_left, 0);
    tbu_reboot(&ctx, &d);
    assert_jump(&d, SLOT_B, false);

    /* On trial (one attempt used), then rolled back: rejected for good,
     * the confirmed B boots. */
    write_image(SLOT_A, 3, 0, 2);
    assert_int_equal(boot_commit(&ctx, SLOT_A), 0);
    tbu_reboot(&ctx, &d);
    assert_jump(&d, SLOT_A, true);
    assert_int_equal(ctx.state.attempts_left, FOTA_TRIAL_ATTEMPTS - 1);
    assert_int_equal(boot_bus_rollback(&ctx), 0);
    assert_int_equal(ctx.state.slot[SLOT_A].state, FOTA_SLOT_REJECTED);
    assert_int_equal(ctx.state.slot[SLOT_A].version.major, 3);
    assert_int_equal(ctx.state.attempts_left, 0);
    assert_int_equal(boot_bus_rollback(&ctx), FOTA_ERR_NOENT);
    tbu_reboot(&ctx, &d);
    assert_jump(&d, SLOT_B, false);
    assert_int_equal(boot_commit(&ctx, SLOT_A), FOTA_ERR_REJECTED);

    /* A trial confirmed from the bus mid-trial. */
    write_image(SLOT_A, 4, 0, 2);
    assert_int_equal(boot_commit(&ctx, SLOT_A), 0);
    tbu_reboot(&ctx, &d);
    assert_jump(&d, SLOT_A, true);
    assert_int_equal(boot_bus_confirm(&ctx), 0);
    tbu_reboot(&ctx, &d);
    assert_jump(&d, SLOT_A, false);
}

/* boot_init, then the slot boot_expected_slot names before boot_decide
 * runs; d gets the decision. */
static int expected_then_decide(boot_ctx_t *ctx, boot_decision_t *d)
{
    int expected;

    memset(ctx, 0xA5, sizeof *ctx);
    assert_int_equal(boot_init(ctx), 0);
    expected = boot_expected_slot(ctx);
    assert_int_equal(boot_decide(ctx, d), 0);
    return expected;
}

/* The expected slot (what the port announces while the check runs) is the
 * decision whenever the active image is intact, and -1 whenever the
 * journal alone cannot tell (factory state, a trial). */
static void expected_slot_matches_the_decision(void **state)
{
    sim_flash_t *f = *state;
    boot_ctx_t ctx;
    boot_decision_t d;

    assert_int_equal(boot_expected_slot(NULL), -1);
    write_image(SLOT_A, 1, 0, 1);
    /* Factory state: no journal, the decision hashes both slots. */
    assert_int_equal(expected_then_decide(&ctx, &d), -1);
    assert_jump(&d, SLOT_A, false);
    assert_int_equal(expected_then_decide(&ctx, &d), SLOT_A);
    assert_jump(&d, SLOT_A, false);

    /* B committed: its trial is not announced early. */
    write_image(SLOT_B, 2, 0, 1);
    assert_int_equal(boot_commit(&ctx, SLOT_B), 0);
    assert_int_equal(boot_expected_slot(&ctx), -1);
    assert_int_equal(expected_then_decide(&ctx, &d), -1);
    assert_jump(&d, SLOT_B, true);
    assert_int_equal(boot_confirm(&ctx, SLOT_B), 0);
    assert_int_equal(boot_expected_slot(&ctx), SLOT_B);
    assert_int_equal(expected_then_decide(&ctx, &d), SLOT_B);
    assert_jump(&d, SLOT_B, false);

    /* B damaged: B is still expected (the journal names it), the decision
     * falls back to A - the case the port corrects in its log. */
    tbu_corrupt(f, SLOT_B, FOTA_IMAGE_HDR_SIZE + 16);
    assert_int_equal(expected_then_decide(&ctx, &d), SLOT_B);
    assert_jump(&d, SLOT_A, false);
    assert_int_equal(boot_expected_slot(&ctx), SLOT_A);

    /* A damaged too: A expected, update mode decided. */
    tbu_corrupt(f, SLOT_A, FOTA_IMAGE_HDR_SIZE + 8);
    assert_int_equal(expected_then_decide(&ctx, &d), SLOT_A);
    assert_update_mode(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(expected_slot_matches_the_decision,
                                        tbu_setup, tbu_teardown),
        cmocka_unit_test_setup_teardown(power_loss_attempts_given_back,
                                        tbu_setup, tbu_teardown),
        cmocka_unit_test_setup_teardown(power_loss_refunds_are_bounded,
                                        tbu_setup, tbu_teardown),
        cmocka_unit_test_setup_teardown(policy_factory_image_protected,
                                        tbu_setup, tbu_teardown),
        cmocka_unit_test_setup_teardown(
            policy_pending_slot_withdrawn_before_erase, tbu_setup,
            tbu_teardown),
        cmocka_unit_test_setup_teardown(factory_picks_highest_version,
                                        tbu_setup, tbu_teardown),
        cmocka_unit_test_setup_teardown(factory_skips_invalid_newer_image,
                                        tbu_setup, tbu_teardown),
        cmocka_unit_test_setup_teardown(no_image_enters_update_mode, tbu_setup,
                                        tbu_teardown),
        cmocka_unit_test_setup_teardown(commit_trials_then_rollback, tbu_setup,
                                        tbu_teardown),
        cmocka_unit_test_setup_teardown(invalid_pending_reverts_at_once,
                                        tbu_setup, tbu_teardown),
        cmocka_unit_test_setup_teardown(commit_trial_confirm_then_second_update,
                                        tbu_setup, tbu_teardown),
        cmocka_unit_test_setup_teardown(
            corrupt_active_falls_back_to_other_confirmed, tbu_setup,
            tbu_teardown),
        cmocka_unit_test_setup_teardown(
            corrupt_active_without_fallback_enters_update_mode, tbu_setup,
            tbu_teardown),
        cmocka_unit_test_setup_teardown(quick_check_catches_what_the_crc_covers,
                                        tbu_setup, tbu_teardown),
        cmocka_unit_test_setup_teardown(rejected_version_cannot_be_recommitted,
                                        tbu_setup, tbu_teardown),
        cmocka_unit_test_setup_teardown(security_counter_below_floor_refused,
                                        tbu_setup, tbu_teardown),
        cmocka_unit_test_setup_teardown(fallback_respects_floor, tbu_setup,
                                        tbu_teardown),
        cmocka_unit_test_setup_teardown(bad_vector_table_refused, tbu_setup,
                                        tbu_teardown),
        cmocka_unit_test_setup_teardown(header_checks, tbu_setup, tbu_teardown),
        cmocka_unit_test_setup_teardown(commit_from_factory_without_image,
                                        tbu_setup, tbu_teardown),
        cmocka_unit_test_setup_teardown(policy_table, tbu_setup, tbu_teardown),
        cmocka_unit_test_setup_teardown(
            commit_on_never_booted_device_falls_back_to_factory, tbu_setup,
            tbu_teardown),
        cmocka_unit_test_setup_teardown(
            commit_on_never_booted_device_checks_factory, tbu_setup,
            tbu_teardown),
        cmocka_unit_test_setup_teardown(bus_confirm_and_rollback, tbu_setup,
                                        tbu_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
