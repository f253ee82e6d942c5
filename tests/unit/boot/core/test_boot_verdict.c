/*
 * test_boot_verdict.c - one verdict: images the bootloader must refuse,
 * packed as `fota image pack` packs them, are refused by `fota image
 * verify`'s analysis and by the boot core's commit on the strict flash
 * model, for the same reason (fota_image_check in common/).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "boot_port_host.h"
#include "boot_test_util.h"
#include "fota/fota_image_check.h"
#include "fota/fota_le.h"
#include "tool_image.h"

#define SLOT_A 0
#define SLOT_B 1
#define RAW_LEN 2048u

/* A raw binary linked for slot: vector table (sp, reset), then filler. */
static uint8_t *raw_for(int slot, uint32_t sp, uint32_t entry)
{
    uint8_t *raw = malloc(RAW_LEN);

    assert_non_null(raw);
    for (size_t i = 0; i < RAW_LEN; i++)
        raw[i] = (uint8_t)(i * 13u + 5u);
    fota_put_le32(raw, sp);
    fota_put_le32(raw + 4,
                  entry ? entry : (uint32_t)FOTA_SLOT_BODY_ADDR(slot) + 0x41u);
    return raw;
}

/* Pack as `fota image pack` does; no_vec as --no-vector-check. */
static uint8_t *pack(int slot, uint32_t sp, uint32_t entry, const char *product,
                     bool no_vec, size_t *len)
{
    tool_pack_opts_t o;
    uint8_t *raw = raw_for(slot, sp, entry), *img = NULL;
    char err[256];

    memset(&o, 0, sizeof o);
    o.slot = slot;
    o.version = (fota_version_t){1, 2, 0, 0};
    o.sec_counter = 1;
    o.product = product;
    o.no_vector_check = no_vec;
    assert_int_equal(
        tool_image_pack(raw, RAW_LEN, &o, &img, len, err, sizeof err), 0);
    free(raw);
    return img;
}

/* Program img into slot of the bound flash model. */
static void install(int slot, const uint8_t *img, size_t len)
{
    sim_flash_t *f = boot_port_host_flash();
    unsigned first = (unsigned)FOTA_SLOT_FIRST_SECTOR(slot);

    for (unsigned s = first; s < first + FOTA_SLOT_SECTORS; s++)
        assert_int_equal(sim_flash_erase_sector(f, s), 0);
    for (size_t off = 0; off < len; off += 4)
        assert_int_equal(sim_flash_program_word(
                             f, (uint32_t)FOTA_SLOT_ADDR(slot) + (uint32_t)off,
                             fota_get_le32(img + off)),
                         0);
}

/* A device running a confirmed slot A: slot B is the one the bus writes
 * and commit takes. */
static void device_on_a(boot_ctx_t *ctx)
{
    boot_decision_t d;
    size_t len;
    uint8_t *a = pack(SLOT_A, FOTA_NOINIT_ADDR, 0, NULL, false, &len);

    install(SLOT_A, a, len);
    free(a);
    tbu_reboot(ctx, &d);
    assert_int_equal(d.action, BOOT_ACTION_JUMP);
    assert_int_equal(d.slot, SLOT_A);
    assert_int_equal(boot_inactive_slot(ctx), SLOT_B);
}

/* The tool's verdict on img for slot (verify --slot), then the boot core's
 * at commit: both must be reason. */
static void both_refuse(const uint8_t *img, size_t len, int reason)
{
    tool_image_report_t *r = malloc(sizeof *r);
    boot_ctx_t ctx;

    assert_non_null(r);
    assert_false(tool_image_analyse(img, len, SLOT_B, NULL, r));
    assert_int_equal(r->reason, reason);
    free(r);

    sim_flash_init(boot_port_host_flash(), SIM_FLASH_TYPICAL);
    device_on_a(&ctx);
    install(SLOT_B, img, len);
    assert_int_equal(boot_commit(&ctx, SLOT_B), fota_image_reason_err(reason));
    /* Nothing recorded: the slot is not pending. */
    assert_int_not_equal(ctx.state.slot[SLOT_B].state, FOTA_SLOT_PENDING);
}

/* Recompute the hash after a header edit, as a packer that wrote the
 * field itself would. */
static void rehash(uint8_t *img, size_t len)
{
    fota_image_reseal(img, img + FOTA_IMAGE_HDR_SIZE,
                      (uint32_t)(len - FOTA_IMAGE_HDR_SIZE));
}

static void good_image_passes_both(void **state)
{
    size_t len;
    uint8_t *img;
    tool_image_report_t *r = malloc(sizeof *r);
    boot_ctx_t ctx;

    (void)state;
    assert_non_null(r);
    /* The ends of both stack regions are allowed. */
    const uint32_t sps[] = {FOTA_NOINIT_ADDR, FOTA_CCM_ADDR + FOTA_CCM_SIZE};
    for (size_t i = 0; i < 2; i++) {
        img = pack(SLOT_B, sps[i], 0, NULL, false, &len);
        assert_true(tool_image_analyse(img, len, SLOT_B, NULL, r));
        assert_int_equal(r->reason, FOTA_IMG_OK);
        sim_flash_init(boot_port_host_flash(), SIM_FLASH_TYPICAL);
        device_on_a(&ctx);
        install(SLOT_B, img, len);
        assert_int_equal(boot_commit(&ctx, SLOT_B), 0);
        assert_int_equal(ctx.state.slot[SLOT_B].state, FOTA_SLOT_PENDING);
        free(img);
    }
    free(r);
}

static void same_refusals_same_reasons(void **state)
{
    size_t len;
    uint8_t *img;

    (void)state;
    /* Initial SP outside the application's RAM: the no-init window, the
     * top of SRAM, flash, an unaligned CCM address. */
    const uint32_t bad_sp[] = {FOTA_NOINIT_ADDR + 4,
                               FOTA_SRAM_ADDR + FOTA_SRAM_SIZE, 0x08010000u,
                               FOTA_CCM_ADDR + 0x102u, FOTA_CCM_ADDR};
    for (size_t i = 0; i < sizeof bad_sp / sizeof bad_sp[0]; i++) {
        img = pack(SLOT_B, bad_sp[i], 0, NULL, true, &len);
        both_refuse(img, len, FOTA_IMG_SP);
        free(img);
    }
    /* Reset vector outside the body, or not Thumb. */
    const uint32_t bad_entry[] = {
        (uint32_t)FOTA_SLOT_BODY_ADDR(SLOT_A) + 0x41u,
        (uint32_t)FOTA_SLOT_BODY_ADDR(SLOT_B) + RAW_LEN + 1u,
        (uint32_t)FOTA_SLOT_BODY_ADDR(SLOT_B) + 0x40u};
    for (size_t i = 0; i < sizeof bad_entry / sizeof bad_entry[0]; i++) {
        img = pack(SLOT_B, FOTA_NOINIT_ADDR, bad_entry[i], NULL, true, &len);
        both_refuse(img, len, FOTA_IMG_ENTRY);
        free(img);
    }
    /* Packed for another product. */
    img = pack(SLOT_B, FOTA_NOINIT_ADDR, 0, "other-board", false, &len);
    both_refuse(img, len, FOTA_IMG_PRODUCT);
    free(img);
    /* Linked for slot A, written to slot B. */
    img = pack(SLOT_A, FOTA_NOINIT_ADDR, 0, NULL, false, &len);
    both_refuse(img, len, FOTA_IMG_LOAD_ADDR);
    free(img);
    /* A confirm window longer than the trial watchdog can honour (pack
     * refuses it, so the field is written by hand and the hash redone). */
    img = pack(SLOT_B, FOTA_NOINIT_ADDR, 0, NULL, false, &len);
    fota_put_le32(img + 48, FOTA_CONFIRM_WINDOW_MAX_MS + 1);
    rehash(img, len);
    both_refuse(img, len, FOTA_IMG_WINDOW);
    free(img);
}

/* pack itself refuses what the verdict refuses, naming the reason. */
static void pack_names_the_reason(void **state)
{
    tool_pack_opts_t o;
    uint8_t *raw = raw_for(SLOT_B, FOTA_NOINIT_ADDR, 0), *img = NULL;
    size_t len;
    char err[256];

    (void)state;
    memset(&o, 0, sizeof o);
    o.slot = SLOT_B;
    o.confirm_window_ms = FOTA_CONFIRM_WINDOW_MAX_MS + 1;
    assert_int_not_equal(
        tool_image_pack(raw, RAW_LEN, &o, &img, &len, err, sizeof err), 0);
    assert_null(img);
    o.confirm_window_ms = 0;
    fota_put_le32(raw, FOTA_SRAM_ADDR + FOTA_SRAM_SIZE);
    assert_int_not_equal(
        tool_image_pack(raw, RAW_LEN, &o, &img, &len, err, sizeof err), 0);
    assert_non_null(strstr(err, "stack pointer"));
    assert_null(img);
    free(raw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(good_image_passes_both, tbu_setup,
                                        tbu_teardown),
        cmocka_unit_test_setup_teardown(same_refusals_same_reasons, tbu_setup,
                                        tbu_teardown),
        cmocka_unit_test_setup_teardown(pack_names_the_reason, tbu_setup,
                                        tbu_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
