/*
 * test_vboard_trial.c - the bootloader's trial and confirm rules on the
 * real firmware (build-arm/boot/fota-boot.elf) on the virtual board, with
 * the test application fw/fw_trialapp.c in slot A: the trial watchdog
 * honours the image's confirm window, a confirmed boot starts no watchdog,
 * confirm() leaves every byte of the application's SRAM alone, the bus
 * write policy follows the boot decision, a commit the image check refuses
 * is answered with the reason, and power losses during a trial do not use
 * up its attempts.
 *
 * Usage: test_vboard_trial <build-arm dir> <fw_trialapp.bin>
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agent_proto.h"
#include "boot_core.h"
#include "boot_port_host.h"
#include "fota/fota_err.h"
#include "fota/fota_image_check.h"
#include "fota/fota_layout.h"
#include "fota/fota_le.h"
#include "fw_trialapp.h"
#include "sim_flash.h"
#include "tool.h"
#include "tool_image.h"
#include "vb_real.h"
#include "vboard.h"
#include "vboard_agent.h"

#define SLOT_A 0
#define SLOT_B 1
#define MS 1000000ull
#define STEP_NS (100u * MS)

static char s_boot_elf[1024], s_app_b[1024];
static const char *s_trialapp;
static sim_flash_t s_host;

typedef struct ta_params {
    uint32_t confirm_ms, fill_ram, feed_iwdg, window_ms;
} ta_params_t;

/* The test application with its parameter block patched, packed for slot
 * A as `fota image pack --confirm-window-ms` would. */
static void pack_trialapp(vbr_image_t *img, const ta_params_t *p,
                          unsigned minor)
{
    uint8_t *raw = NULL;
    size_t len = 0, off;
    tool_pack_opts_t o;
    char err[200];

    assert_int_equal(tool_read_file(s_trialapp, &raw, &len), 0);
    for (off = 0; off + 4 * TA_P_WORDS <= len; off += 4)
        if (fota_get_le32(raw + off) == TA_PARAM_MAGIC)
            break;
    assert_true(off + 4 * TA_P_WORDS <= len);
    fota_put_le32(raw + off + 4 * TA_P_CONFIRM_MS, p->confirm_ms);
    fota_put_le32(raw + off + 4 * TA_P_FILL_RAM, p->fill_ram);
    fota_put_le32(raw + off + 4 * TA_P_FEED_IWDG, p->feed_iwdg);
    memset(&o, 0, sizeof o);
    o.slot = SLOT_A;
    o.version = (fota_version_t){2, (uint8_t)minor, 0, 0};
    o.sec_counter = 2;
    o.confirm_window_ms = p->window_ms;
    memset(img, 0, sizeof *img);
    assert_int_equal(
        tool_image_pack(raw, len, &o, &img->data, &img->len, err, sizeof err),
        0);
    img->slot = SLOT_A;
    img->version = o.version;
    free(raw);
}

/* A board with the real bootloader; s_host holds its flash, bound to the
 * host port so the host core can prepare journal states on it. */
static vboard_t *new_board(void)
{
    vboard_t *b = vboard_create(NULL);

    assert_non_null(b);
    assert_int_equal(vboard_load_elf(b, s_boot_elf), 0);
    vboard_set_nss(b, true);
    sim_flash_init(&s_host, SIM_FLASH_TYPICAL);
    memcpy(s_host.mem, vboard_flash(b)->mem, FOTA_FLASH_SIZE);
    boot_port_host_bind(&s_host);
    return b;
}

/* Flash prepared on the host: the example application confirmed in slot B
 * and img committed (pending) in slot A. */
static void prepare_trial(const vbr_image_t *img)
{
    vbr_image_t b;
    boot_ctx_t ctx;
    boot_decision_t d;

    assert_int_equal(vbr_pack(&b, s_app_b, SLOT_B, 1, 0, 0, 0, 0), 0);
    assert_int_equal(vbr_install(&s_host, &b), 0);
    assert_int_equal(boot_init(&ctx), 0);
    assert_int_equal(boot_decide(&ctx, &d), 0);
    assert_int_equal(d.slot, SLOT_B);
    assert_int_equal(vbr_install(&s_host, img), 0);
    assert_int_equal(boot_commit(&ctx, SLOT_A), 0);
    vbr_image_free(&b);
}

/* A powered board whose slot A holds the test application with p, on its
 * first trial boot (prepare_trial). */
static vboard_t *board_on_trial(const ta_params_t *p, unsigned minor,
                                vbr_image_t *img)
{
    vboard_t *b = new_board();

    pack_trialapp(img, p, minor);
    prepare_trial(img);
    vbr_flash_to_board(b, &s_host);
    vboard_reset(b, VBOARD_RESET_POWER);
    return b;
}

static void report(vboard_t *b, uint32_t r[TA_R_WORDS])
{
    uint8_t raw[4 * TA_R_WORDS];

    assert_int_equal(vboard_read_mem(b, TA_REPORT_ADDR, raw, sizeof raw), 0);
    for (int i = 0; i < TA_R_WORDS; i++)
        r[i] = fota_get_le32(raw + 4 * i);
}

/* Run the board for ms of board time in STEP_NS slices; stop early when
 * stop_on_reset and the reset count grows. Returns the board time run. */
static uint64_t run_ms(vboard_t *b, uint64_t ms, bool stop_on_reset)
{
    uint64_t t0 = vboard_now_ns(b), resets = vboard_reset_count(b);

    while (vboard_now_ns(b) - t0 < ms * MS) {
        int why = vboard_run_ns(b, STEP_NS);

        assert_null(vboard_fault(b));
        assert_true(why == VBOARD_STOP_TIME || why == VBOARD_STOP_IDLE);
        if (stop_on_reset && vboard_reset_count(b) != resets)
            break;
    }
    return vboard_now_ns(b) - t0;
}

/* The journal on the board's flash. */
static void board_journal(vboard_t *b, boot_ctx_t *ctx)
{
    assert_int_equal(vbr_journal_read(vboard_flash(b)->mem, ctx), 0);
    assert_int_not_equal(ctx->area, BOOT_AREA_NONE);
}

/* A confirmed application that never feeds the IWDG is never reset: the
 * bootloader starts no watchdog on a confirmed boot. */
static void confirmed_boot_has_no_watchdog(void **state)
{
    ta_params_t p = {0, 0, 0, 0};
    vbr_image_t img;
    uint32_t r[TA_R_WORDS];
    boot_ctx_t ctx;
    vboard_t *b;

    (void)state;
    b = new_board();
    pack_trialapp(&img, &p, 0);
    assert_int_equal(vbr_install(&s_host, &img), 0); /* the only image */
    vbr_flash_to_board(b, &s_host);
    vboard_reset(b, VBOARD_RESET_POWER);
    uint64_t resets = vboard_reset_count(b);
    assert_true(run_ms(b, 60000, true) >= 60000 * MS);
    assert_int_equal(vboard_reset_count(b), resets);
    report(b, r);
    assert_int_equal(r[TA_R_MAGIC], TA_REPORT_MAGIC);
    assert_int_equal(r[TA_R_STARTS], 1);
    assert_true(r[TA_R_ALIVE_MS] >= 59000);
    board_journal(b, &ctx);
    assert_int_equal(ctx.state.active, SLOT_A);
    assert_int_equal(ctx.state.slot[SLOT_A].state, FOTA_SLOT_CONFIRMED);
    assert_non_null(strstr(vboard_uart_output(b, NULL), "boot slot A"));
    vbr_image_free(&img);
    vboard_destroy(b);
}

/* A 12 s window that confirms at 10 s: no reset before the confirm, which
 * succeeds. The trial watchdog keeps running (it cannot be stopped) and
 * resets the chip after the window; the next boot is a confirmed one with
 * no watchdog, which runs on. */
static void trial_window_is_honoured(void **state)
{
    ta_params_t p = {10000, 0, 0, 12000};
    vbr_image_t img;
    uint32_t r[TA_R_WORDS];
    boot_ctx_t ctx;
    vboard_t *b;

    (void)state;
    b = board_on_trial(&p, 1, &img);
    uint64_t resets = vboard_reset_count(b);
    run_ms(b, 10500, true);
    assert_int_equal(vboard_reset_count(b), resets);
    report(b, r);
    assert_int_equal(r[TA_R_STARTS], 1);
    assert_int_equal(r[TA_R_CONFIRM_RC], 0);
    assert_true(r[TA_R_CONFIRM_MS] >= 10000);
    board_journal(b, &ctx);
    assert_int_equal(ctx.state.active, SLOT_A);
    assert_int_equal(ctx.state.slot[SLOT_A].state, FOTA_SLOT_CONFIRMED);
    assert_non_null(strstr(vboard_uart_output(b, NULL), "trial boot slot A"));

    /* Not before the window, even counting from the jump; at the board's
     * 32 kHz LSI the reset comes at about 12 * 47 / 32 = 17.6 s. */
    run_ms(b, 30000, true);
    assert_int_equal(vboard_reset_count(b), resets + 1);
    assert_non_null(strstr(vboard_uart_output(b, NULL), "reset=iwdg"));
    uint64_t at = vboard_now_ns(b);
    run_ms(b, 60000, true);
    assert_int_equal(vboard_reset_count(b), resets + 1);
    assert_true(vboard_now_ns(b) - at >= 60000 * MS);
    report(b, r);
    assert_int_equal(r[TA_R_STARTS], 2);
    assert_int_equal(r[TA_R_CONFIRM_RC], 0); /* confirming a confirmed slot */
    vbr_image_free(&img);
    vboard_destroy(b);
}

/* The window is what the watchdog honours, not more: confirming at 10 s
 * with the default 8 s window is too late, and each attempt counts. */
static void trial_past_the_window_is_reset(void **state)
{
    ta_params_t p = {15000, 0, 0, 0};
    vbr_image_t img;
    uint32_t r[TA_R_WORDS];
    boot_ctx_t ctx;
    vboard_t *b;

    (void)state;
    b = board_on_trial(&p, 2, &img);
    uint64_t resets = vboard_reset_count(b);
    uint64_t t = run_ms(b, 30000, true);
    assert_int_equal(vboard_reset_count(b), resets + 1);
    /* 8 s at 47 kHz is the earliest; 11.75 s at the board's 32 kHz. */
    assert_true(t >= 8000 * MS);
    assert_true(t >= 11700 * MS && t <= 12000 * MS);
    report(b, r);
    assert_int_equal(r[TA_R_CONFIRM_RC], 0xFFFFFFFFu);
    board_journal(b, &ctx);
    assert_int_equal(ctx.state.slot[SLOT_A].state, FOTA_SLOT_PENDING);
    /* The first attempt was used up; the run slice that saw the reset
     * already recorded the second. */
    assert_int_equal(ctx.state.attempts_left, FOTA_TRIAL_ATTEMPTS - 2);
    assert_non_null(strstr(vboard_uart_output(b, NULL), "reset=iwdg"));
    vbr_image_free(&img);
    vboard_destroy(b);
}

/* The application owns its RAM: SRAM 0x20000000..0x2001FFEF filled with
 * a pattern right before confirm() keeps every byte across it (the
 * application checks each word after the call, and so does the test
 * through the board's memory). */
static void confirm_keeps_every_sram_byte(void **state)
{
    ta_params_t p = {1000, 1, 1, 0};
    vbr_image_t img;
    uint32_t r[TA_R_WORDS];
    boot_ctx_t ctx;
    vboard_t *b;
    size_t n = FOTA_APP_SRAM_SIZE;
    uint8_t *ram = malloc(n);

    (void)state;
    assert_non_null(ram);
    b = board_on_trial(&p, 3, &img);
    uint64_t resets = vboard_reset_count(b);
    run_ms(b, 1500, true);
    assert_int_equal(vboard_reset_count(b), resets);
    report(b, r);
    assert_int_equal(r[TA_R_CONFIRM_RC], 0);
    assert_int_equal(r[TA_R_RAM_BAD], 0);
    assert_int_equal(vboard_read_mem(b, FOTA_APP_SRAM_ADDR, ram, n), 0);
    size_t bad = 0;
    for (size_t off = 0; off < n; off += 4)
        bad += fota_get_le32(ram + off) !=
               TA_PATTERN((uint32_t)(FOTA_APP_SRAM_ADDR + off));
    assert_int_equal(bad, 0);
    board_journal(b, &ctx);
    assert_int_equal(ctx.state.active, SLOT_A);
    assert_int_equal(ctx.state.slot[SLOT_A].state, FOTA_SLOT_CONFIRMED);
    free(ram);
    vbr_image_free(&img);
    vboard_destroy(b);
}

/* The agent's protocol client on b, synchronised with update mode (the
 * strap and an NRST pulse, as the agent does). */
static agent_proto_t *bus_open(vboard_t *b, vboard_agent_t *va)
{
    agent_proto_t *p = malloc(sizeof *p);

    assert_non_null(p);
    vboard_agent_init(va, b);
    agent_proto_init(p, &va->spi, &va->gpio, &va->clock, NULL, NULL);
    assert_int_equal(agent_proto_enter_update(p), 0);
    return p;
}

/* A never-booted device (empty journal) holding one image in slot A: the
 * bus may neither erase nor write that slot; slot B is the writable one. */
static void bus_never_booted_image_protected(void **state)
{
    ta_params_t p = {0, 0, 1, 0};
    vbr_image_t img;
    vboard_agent_t va;
    fota_status_t st;
    uint16_t sector_a = FOTA_SLOT_A_FIRST_SECTOR,
             sector_b = FOTA_SLOT_B_FIRST_SECTOR;
    uint8_t zeros[256] = {0};
    vboard_t *b;

    (void)state;
    b = new_board();
    pack_trialapp(&img, &p, 4);
    assert_int_equal(vbr_install(&s_host, &img), 0);
    vbr_flash_to_board(b, &s_host);
    agent_proto_t *bp = bus_open(b, &va); /* update mode before any boot */
    assert_int_equal(agent_proto_status(bp, &st), 0);
    assert_int_equal(st.journal_area, BOOT_AREA_NONE);
    assert_int_equal(st.inactive_slot, SLOT_B);
    assert_int_not_equal(agent_proto_extended_erase(bp, &sector_a, 1), 0);
    assert_int_not_equal(agent_proto_write_memory(bp, FOTA_SLOT_A_ADDR + 1024,
                                                  zeros, sizeof zeros),
                         0);
    assert_true(vbr_slot_holds(vboard_flash(b)->mem, SLOT_A, &img));
    /* The other slot (erased already) is the one to update. */
    (void)sector_b;
    assert_int_equal(
        agent_proto_write_memory(bp, FOTA_SLOT_B_ADDR, zeros, sizeof zeros), 0);
    free(bp);
    vbr_image_free(&img);
    vboard_destroy(b);
}

/* After a commit the pending slot is not writable; erasing it withdraws
 * the commit through the journal first, so the trial never boots what the
 * bus changed. */
static void bus_pending_slot_withdrawn_before_change(void **state)
{
    ta_params_t p = {500, 0, 1, 0};
    vbr_image_t img;
    vboard_agent_t va;
    fota_status_t st;
    boot_ctx_t ctx;
    uint16_t sector_a = FOTA_SLOT_A_FIRST_SECTOR;
    uint8_t zeros[256] = {0};
    vboard_t *b;

    (void)state;
    b = new_board();
    pack_trialapp(&img, &p, 5);
    prepare_trial(&img);
    vbr_flash_to_board(b, &s_host);
    agent_proto_t *bp = bus_open(b, &va);
    assert_int_equal(agent_proto_status(bp, &st), 0);
    assert_int_equal(st.inactive_slot, SLOT_A);
    assert_int_equal(st.slot[SLOT_A].state, FOTA_SLOT_PENDING);
    /* Write Memory of zeros over the committed image: refused. */
    assert_int_not_equal(agent_proto_write_memory(bp, FOTA_SLOT_A_ADDR + 1024,
                                                  zeros, sizeof zeros),
                         0);
    assert_true(vbr_slot_holds(vboard_flash(b)->mem, SLOT_A, &img));
    /* An erase withdraws the commit, then the slot is writable. */
    assert_int_equal(agent_proto_extended_erase(bp, &sector_a, 1), 0);
    assert_int_equal(agent_proto_status(bp, &st), 0);
    assert_int_equal(st.slot[SLOT_A].state, FOTA_SLOT_EMPTY);
    assert_int_equal(agent_proto_write_memory(bp, FOTA_SLOT_A_ADDR + 1024,
                                              zeros, sizeof zeros),
                     0);
    /* The next boot is the confirmed slot B, no trial of slot A. */
    vboard_uart_clear(b);
    assert_int_equal(agent_proto_reboot(bp), 0);
    vboard_until_t u = {.max_ns = 1000 * MS, .uart_text = "fota-app "};
    assert_int_equal(vboard_run(b, &u), VBOARD_STOP_UART);
    assert_non_null(strstr(vboard_uart_output(b, NULL), "boot slot B"));
    assert_null(strstr(vboard_uart_output(b, NULL), "trial boot"));
    board_journal(b, &ctx);
    assert_int_equal(ctx.state.active, SLOT_B);
    assert_int_equal(ctx.state.slot[SLOT_A].state, FOTA_SLOT_EMPTY);
    free(bp);
    vbr_image_free(&img);
    vboard_destroy(b);
}

/* Slot A of a device running B gets the test application with its first
 * word (initial SP) or its product id made bad; the real bootloader's
 * commit answers with the image check's reason, the one `fota image
 * verify`'s analysis names. */
static void commit_refused_with_the_reason(void **state)
{
    vbr_image_t good, bad;
    vboard_agent_t va;
    fota_status_t st;
    ta_params_t p = {0, 0, 1, 0};
    tool_image_report_t *r = malloc(sizeof *r);
    const int reasons[] = {FOTA_IMG_SP, FOTA_IMG_PRODUCT};

    (void)state;
    assert_non_null(r);
    for (size_t i = 0; i < 2; i++) {
        tool_pack_opts_t o;
        char err[200];
        vboard_t *b = new_board();

        pack_trialapp(&good, &p, 6);
        prepare_trial(&good);
        /* Withdraw the good commit: the bad image is written over it the
         * way a host would, erase first (done here on the host model). */
        boot_ctx_t ctx;
        assert_int_equal(boot_init(&ctx), 0);
        assert_int_equal(
            boot_erase_prepare(&ctx, 1u << FOTA_SLOT_A_FIRST_SECTOR), 0);
        memset(&o, 0, sizeof o);
        o.slot = SLOT_A;
        o.version = (fota_version_t){2, 7, 0, 0};
        o.no_vector_check = true;
        uint8_t *raw = malloc(good.len - FOTA_IMAGE_HDR_SIZE);
        assert_non_null(raw);
        memcpy(raw, good.data + FOTA_IMAGE_HDR_SIZE,
               good.len - FOTA_IMAGE_HDR_SIZE);
        if (reasons[i] == FOTA_IMG_SP)
            fota_put_le32(raw, FOTA_SRAM_ADDR + FOTA_SRAM_SIZE);
        else
            o.product = "other-board";
        memset(&bad, 0, sizeof bad);
        assert_int_equal(tool_image_pack(raw, good.len - FOTA_IMAGE_HDR_SIZE,
                                         &o, &bad.data, &bad.len, err,
                                         sizeof err),
                         0);
        free(raw);
        bad.slot = SLOT_A;
        assert_int_equal(vbr_install(&s_host, &bad), 0);
        assert_false(tool_image_analyse(bad.data, bad.len, SLOT_A, NULL, r));
        assert_int_equal(r->reason, reasons[i]);
        vbr_flash_to_board(b, &s_host);

        agent_proto_t *bp = bus_open(b, &va);
        int rc = agent_proto_commit(bp, SLOT_A);
        print_message("commit of a %s-refused image: %d (%s)\n",
                      fota_image_reason_name(reasons[i]), rc,
                      fota_strerror(rc));
        assert_int_equal(rc, FOTA_ERR_IMAGE(reasons[i]));
        assert_true(FOTA_ERR_IS_IMAGE(rc));
        assert_int_equal(agent_proto_status(bp, &st), 0);
        assert_int_not_equal(st.slot[SLOT_A].state, FOTA_SLOT_PENDING);
        free(bp);
        vbr_image_free(&good);
        vbr_image_free(&bad);
        vboard_destroy(b);
    }
    free(r);
}

/* Three power cuts during a good image's trials, each after the attempt
 * is on record and before the confirm: the attempts are given back and
 * the image ends installed and confirmed. */
static void power_cuts_during_trial_do_not_reject(void **state)
{
    ta_params_t p = {1000, 0, 1, 0};
    vbr_image_t img;
    boot_ctx_t ctx;
    uint32_t r[TA_R_WORDS];
    vboard_t *b;

    (void)state;
    b = board_on_trial(&p, 8, &img);
    for (int cut = 0; cut < 3; cut++) {
        run_ms(b, 400, false);
        board_journal(b, &ctx);
        assert_int_equal(ctx.state.slot[SLOT_A].state, FOTA_SLOT_PENDING);
        assert_int_equal(ctx.state.attempts_left, FOTA_TRIAL_ATTEMPTS - 1);
        assert_int_equal(ctx.state.flags & FOTA_JOURNAL_F_PWR_REFUNDS,
                         (unsigned)cut);
        report(b, r);
        assert_int_equal(r[TA_R_CONFIRM_RC], 0xFFFFFFFFu); /* not yet */
        vboard_reset(b, VBOARD_RESET_POWER);
    }
    run_ms(b, 1500, false);
    report(b, r);
    assert_int_equal(r[TA_R_CONFIRM_RC], 0);
    board_journal(b, &ctx);
    assert_int_equal(ctx.state.active, SLOT_A);
    assert_int_equal(ctx.state.slot[SLOT_A].state, FOTA_SLOT_CONFIRMED);
    assert_true(vbr_slot_holds(vboard_flash(b)->mem, SLOT_A, &img));
    assert_non_null(strstr(vboard_uart_output(b, NULL), "reset=por"));
    vbr_image_free(&img);
    vboard_destroy(b);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(confirmed_boot_has_no_watchdog),
        cmocka_unit_test(trial_window_is_honoured),
        cmocka_unit_test(trial_past_the_window_is_reset),
        cmocka_unit_test(confirm_keeps_every_sram_byte),
        cmocka_unit_test(bus_never_booted_image_protected),
        cmocka_unit_test(bus_pending_slot_withdrawn_before_change),
        cmocka_unit_test(commit_refused_with_the_reason),
        cmocka_unit_test(power_cuts_during_trial_do_not_reject),
    };

    if (argc != 3 && argc != 4) {
        fprintf(stderr, "usage: %s <build-arm dir> <fw_trialapp.bin> [test]\n",
                argv[0]);
        return 2;
    }
    snprintf(s_boot_elf, sizeof s_boot_elf, "%s/boot/fota-boot.elf", argv[1]);
    snprintf(s_app_b, sizeof s_app_b, "%s/app/fota-app-slot-b.bin", argv[1]);
    s_trialapp = argv[2];
    if (argc == 4)
        cmocka_set_test_filter(argv[3]); /* one test by name, when debugging */
    return cmocka_run_group_tests(tests, NULL, NULL);
}
