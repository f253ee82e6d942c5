/*
 * The bootloader's signature check (boot_core.c: check_signature) on the
 * strict flash model: with a key built in (boot_port_host_set_signing_key),
 * an image must carry an Ed25519 signature of its hash by that key before
 * it is recorded (commit) or first runs (factory boot, trial); without a
 * key, images are checked for integrity only.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "boot_core.h"
#include "boot_port.h"
#include "boot_port_host.h"
#include "boot_test_util.h"
#include "fota/fota_ed25519.h"

#define SLOT_A 0
#define SLOT_B 1
/* Offset of the signature's value in a signed header: the TLV area at 100,
 * the key id record (4 + 8 bytes), the signature record's type and length. */
#define SIG_VALUE_OFF (100u + 12u + 4u)

static const uint8_t s_seed[FOTA_ED25519_SEED_SIZE] = {
    0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a,
    0xf4, 0x92, 0xec, 0x2c, 0xc4, 0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32,
    0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60};
static const uint8_t s_other_seed[FOTA_ED25519_SEED_SIZE] = {
    0x4c, 0xcd, 0x08, 0x9b, 0x28, 0xff, 0x96, 0xda, 0x9d, 0xb6, 0xc3,
    0x46, 0xec, 0x11, 0x4e, 0x0f, 0x5b, 0x8a, 0x31, 0x9f, 0x35, 0xab,
    0xa6, 0x24, 0xda, 0x8c, 0xf6, 0xed, 0x4f, 0xb8, 0xa6, 0xfb};

static void use_key(void)
{
    uint8_t pub[FOTA_ED25519_PUB_SIZE];

    fota_ed25519_pubkey(pub, s_seed);
    boot_port_host_set_signing_key(pub);
}

static void write_signed(int slot, uint8_t minor, uint32_t ctr,
                         const uint8_t *seed)
{
    tbu_image_t img;

    tbu_image_default(&img, 1, minor, ctr);
    img.sign_seed = seed;
    tbu_image_write(slot, &img);
}

/* A confirmed, signed v1.0 in slot A (factory boot with the key). */
static void factory_a(boot_ctx_t *ctx)
{
    boot_decision_t d;

    write_signed(SLOT_A, 0, 1, s_seed);
    tbu_reboot(ctx, &d);
    assert_int_equal(d.action, BOOT_ACTION_JUMP);
    assert_int_equal(d.slot, SLOT_A);
}

/* Without a key, unsigned images boot: integrity only. */
static void no_key_unsigned_boots(void **state)
{
    boot_ctx_t ctx;
    boot_decision_t d;

    (void)state;
    assert_null(boot_signing_key());
    write_signed(SLOT_A, 0, 1, NULL);
    tbu_reboot(&ctx, &d);
    assert_int_equal(d.action, BOOT_ACTION_JUMP);
    assert_int_equal(d.slot, SLOT_A);
}

/* With a key, an unsigned factory image never runs: update mode, nothing
 * recorded; signing it makes it boot. */
static void factory_unsigned_refused(void **state)
{
    boot_ctx_t ctx;
    boot_decision_t d;

    (void)state;
    use_key();
    write_signed(SLOT_A, 0, 1, NULL);
    tbu_reboot(&ctx, &d);
    assert_int_equal(d.action, BOOT_ACTION_UPDATE_MODE);
    assert_int_equal(ctx.area, BOOT_AREA_NONE);
    assert_int_equal(boot_verify_image(&ctx, SLOT_A, true, NULL),
                     FOTA_ERR_AUTH);

    write_signed(SLOT_A, 0, 1, s_seed);
    tbu_reboot(&ctx, &d);
    assert_int_equal(d.action, BOOT_ACTION_JUMP);
    assert_int_equal(d.slot, SLOT_A);
    assert_int_equal(ctx.state.slot[SLOT_A].state, FOTA_SLOT_CONFIRMED);
}

/* Commit refuses, with FOTA_ERR_AUTH and the journal untouched, an image
 * that is unsigned, signed by another key, or whose signature is wrong. */
static void commit_refuses_bad_signatures(void **state)
{
    boot_ctx_t ctx;
    tbu_image_t img;
    uint32_t written;

    (void)state;
    use_key();
    factory_a(&ctx);
    written = ctx.records_written;

    write_signed(SLOT_B, 1, 2, NULL);
    assert_int_equal(boot_commit(&ctx, SLOT_B), FOTA_ERR_AUTH);
    write_signed(SLOT_B, 1, 2, s_other_seed);
    assert_int_equal(boot_commit(&ctx, SLOT_B), FOTA_ERR_AUTH);
    tbu_image_default(&img, 1, 1, 2);
    img.sign_seed = s_seed;
    img.bad_sig = true;
    tbu_image_write(SLOT_B, &img);
    assert_int_equal(boot_commit(&ctx, SLOT_B), FOTA_ERR_AUTH);
    /* Another key's signature without a key id: a bad signature. */
    img.bad_sig = false;
    img.sign_seed = s_other_seed;
    img.no_key_id = true;
    tbu_image_write(SLOT_B, &img);
    assert_int_equal(boot_commit(&ctx, SLOT_B), FOTA_ERR_AUTH);
    assert_int_equal(ctx.records_written, written);
    assert_int_equal(ctx.state.slot[SLOT_B].state, FOTA_SLOT_EMPTY);

    /* The key id is optional: the right signature alone is enough. */
    img.sign_seed = s_seed;
    tbu_image_write(SLOT_B, &img);
    assert_int_equal(boot_commit(&ctx, SLOT_B), 0);
    assert_int_equal(ctx.state.slot[SLOT_B].state, FOTA_SLOT_PENDING);
}

/* A signature that breaks after the commit (the TLV area is not hashed, so
 * only the signature check can notice) stops the trial before the image
 * runs: the slot is rejected and the confirmed image boots. */
static void trial_rechecks_signature(void **state)
{
    sim_flash_t *f = *state;
    boot_ctx_t ctx;
    boot_decision_t d;

    use_key();
    factory_a(&ctx);
    write_signed(SLOT_B, 1, 2, s_seed);
    assert_int_equal(boot_commit(&ctx, SLOT_B), 0);
    tbu_corrupt(f, SLOT_B, SIG_VALUE_OFF + 9);
    tbu_reboot(&ctx, &d);
    assert_int_equal(d.action, BOOT_ACTION_JUMP);
    assert_int_equal(d.slot, SLOT_A);
    assert_false(d.trial);
    assert_int_equal(ctx.state.slot[SLOT_B].state, FOTA_SLOT_REJECTED);
}

/* The signed update runs its trial, confirms and is then booted by its CRC
 * like any confirmed image. */
static void signed_update_trial_and_confirm(void **state)
{
    boot_ctx_t ctx;
    boot_decision_t d;

    (void)state;
    use_key();
    factory_a(&ctx);
    write_signed(SLOT_B, 1, 2, s_seed);
    assert_int_equal(boot_commit(&ctx, SLOT_B), 0);
    tbu_reboot(&ctx, &d);
    assert_int_equal(d.action, BOOT_ACTION_JUMP);
    assert_int_equal(d.slot, SLOT_B);
    assert_true(d.trial);
    assert_int_equal(boot_confirm(&ctx, SLOT_B), 0);
    tbu_reboot(&ctx, &d);
    assert_int_equal(d.action, BOOT_ACTION_JUMP);
    assert_int_equal(d.slot, SLOT_B);
    assert_false(d.trial);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(no_key_unsigned_boots, tbu_setup,
                                        tbu_teardown),
        cmocka_unit_test_setup_teardown(factory_unsigned_refused, tbu_setup,
                                        tbu_teardown),
        cmocka_unit_test_setup_teardown(commit_refuses_bad_signatures,
                                        tbu_setup, tbu_teardown),
        cmocka_unit_test_setup_teardown(trial_rechecks_signature, tbu_setup,
                                        tbu_teardown),
        cmocka_unit_test_setup_teardown(signed_update_trial_and_confirm,
                                        tbu_setup, tbu_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
