/*
 * test_fota_app_proto.c - the application status exchange
 * (common/app_proto.c): the responder's byte state machine as
 * the host clocks it, the status payload built from a flash image with a
 * journal, and the decoder's refusals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fota/fota_config.h"
#include "fota/fota_err.h"
#include "fota/fota_image.h"
#include "fota/fota_journal.h"
#include "fota/fota_layout.h"
#include "fota/fota_le.h"
#include "fota/fota_app_proto.h"

static uint8_t *s_flash;

static uint8_t *at(uint32_t addr)
{
    return s_flash + (addr - FOTA_FLASH_BASE);
}

/* A slot header fit for the slot (the fields the payload reads). */
static void put_header(int slot, uint8_t major, uint8_t minor, uint32_t window)
{
    fota_image_hdr_t hdr;

    fota_image_hdr_init(&hdr, slot, 4096, FOTA_PRODUCT_ID);
    hdr.version.major = major;
    hdr.version.minor = minor;
    hdr.confirm_window_ms = window;
    fota_image_hdr_encode(&hdr, at((uint32_t)FOTA_SLOT_ADDR(slot)));
}

static void put_record(uint32_t addr, uint32_t seq, uint8_t active,
                       uint8_t b_state, uint8_t attempts)
{
    fota_journal_rec_t r;

    memset(&r, 0, sizeof(r));
    r.seq = seq;
    r.active = active;
    r.attempts_left = attempts;
    r.sec_floor = 1;
    r.slot[0].state = FOTA_SLOT_CONFIRMED;
    r.slot[0].version.major = 1;
    r.slot[1].state = b_state;
    r.slot[1].version.major = 1;
    r.slot[1].version.minor = 1;
    fota_journal_rec_encode(&r, at(addr));
}

static int setup(void **state)
{
    (void)state;
    s_flash = malloc(FOTA_FLASH_SIZE);
    if (!s_flash)
        return -1;
    memset(s_flash, 0xFF, FOTA_FLASH_SIZE);
    put_header(0, 1, 0, 0);
    put_header(1, 1, 1, 6000);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(s_flash);
    return 0;
}

static int answer_fixed(void *ctx, uint8_t cmd, uint8_t *payload, size_t cap)
{
    (void)ctx;
    if (cmd != FOTA_APP_CMD_STATUS || cap < 3)
        return -1;
    payload[0] = 0x11;
    payload[1] = 0x22;
    payload[2] = 0x33;
    return 3;
}

/* Clock one byte: what the slave had in DR goes out, what it answers to
 * the received byte is in DR for the next one. */
static uint8_t clock_byte(fota_app_link_t *l, uint8_t *dr, uint8_t mosi)
{
    uint8_t miso = *dr;

    *dr = fota_app_link_byte(l, mosi, answer_fixed, NULL);
    return miso;
}

/* Clock a request: start, command, check byte. */
static void clock_request(fota_app_link_t *l, uint8_t *dr, uint8_t cmd,
                          uint8_t check)
{
    clock_byte(l, dr, FOTA_APP_SOF);
    clock_byte(l, dr, cmd);
    clock_byte(l, dr, check);
}

static void test_link_answers_after_request(void **state)
{
    fota_app_link_t l;
    uint8_t dr = FOTA_APP_FILL, got[8];

    (void)state;
    fota_app_link_init(&l);
    /* Noise and an AN4286 sync before the request: ignored. */
    assert_int_equal(clock_byte(&l, &dr, 0x5A), FOTA_APP_FILL);
    assert_int_equal(clock_byte(&l, &dr, 0x00), FOTA_APP_FILL);
    clock_request(&l, &dr, FOTA_APP_CMD_STATUS, 0xFE);
    for (int i = 0; i < 7; i++)
        got[i] = clock_byte(&l, &dr, 0x00);
    assert_int_equal(got[0], FOTA_APP_ANS);
    assert_int_equal(got[1], 3);
    assert_int_equal(got[2], 0x11);
    assert_int_equal(got[3], 0x22);
    assert_int_equal(got[4], 0x33);
    assert_int_equal(got[5], 3 ^ 0x11 ^ 0x22 ^ 0x33);
    /* Then filler again; no update request was made. */
    assert_int_equal(got[6], FOTA_APP_FILL);
    assert_false(l.update_due);
}

static void test_link_refuses_bad_complement_and_unknown(void **state)
{
    fota_app_link_t l;
    uint8_t dr = FOTA_APP_FILL;

    (void)state;
    fota_app_link_init(&l);
    clock_request(&l, &dr, FOTA_APP_CMD_STATUS, 0xFF); /* not the complement */
    for (int i = 0; i < 4; i++)
        assert_int_equal(clock_byte(&l, &dr, 0x00), FOTA_APP_FILL);
    /* A command the answer builder does not know: no answer. */
    clock_request(&l, &dr, 0x7E, 0x81);
    for (int i = 0; i < 4; i++)
        assert_int_equal(clock_byte(&l, &dr, 0x00), FOTA_APP_FILL);
}

static int answer_update(void *ctx, uint8_t cmd, uint8_t *payload, size_t cap)
{
    (void)ctx;
    (void)cap;
    if (cmd != FOTA_APP_CMD_UPDATE)
        return -1;
    payload[0] = 0;
    return 1;
}

static void test_link_update_due_after_last_byte(void **state)
{
    fota_app_link_t l;
    const uint8_t req[3] = {FOTA_APP_SOF, FOTA_APP_CMD_UPDATE, 0xFD};
    uint8_t dr = FOTA_APP_FILL, out[4];

    (void)state;
    fota_app_link_init(&l);
    for (int i = 0; i < 3; i++)
        dr = fota_app_link_byte(&l, req[i], answer_update, NULL);
    for (int i = 0; i < 4; i++) {
        assert_false(l.update_due);
        out[i] = dr;
        dr = fota_app_link_byte(&l, 0x00, answer_update, NULL);
    }
    /* ANS, 1, 0, xor 1: due once the check byte has gone out. */
    assert_int_equal(out[0], FOTA_APP_ANS);
    assert_int_equal(out[3], 1);
    assert_true(l.update_due);
}

static int answer_confirm(void *ctx, uint8_t cmd, uint8_t *payload, size_t cap)
{
    (void)ctx;
    (void)cap;
    if (cmd != FOTA_APP_CMD_CONFIRM)
        return -1;
    payload[0] = FOTA_APP_CONFIRM_ACCEPTED;
    return (int)FOTA_APP_CONFIRM_PAYLOAD;
}

/* CONFIRM: due once its check byte went out, never for an UPDATE or a
 * CONFIRM the host gave up on half way. */
static void test_link_confirm_due_after_last_byte(void **state)
{
    fota_app_link_t l;
    const uint8_t req[3] = {FOTA_APP_SOF, FOTA_APP_CMD_CONFIRM, 0xFC};
    uint8_t dr = FOTA_APP_FILL, out[4];

    (void)state;
    fota_app_link_init(&l);
    for (int i = 0; i < 3; i++)
        dr = fota_app_link_byte(&l, req[i], answer_confirm, NULL);
    for (int i = 0; i < 4; i++) {
        assert_false(l.confirm_due);
        out[i] = dr;
        dr = fota_app_link_byte(&l, 0x00, answer_confirm, NULL);
    }
    assert_int_equal(out[0], FOTA_APP_ANS);
    assert_int_equal(out[1], FOTA_APP_CONFIRM_PAYLOAD);
    assert_int_equal(out[2], FOTA_APP_CONFIRM_ACCEPTED);
    assert_true(l.confirm_due);
    assert_false(l.update_due);

    /* Aborted before the check byte went out: nothing due. */
    fota_app_link_init(&l);
    for (int i = 0; i < 3; i++)
        dr = fota_app_link_byte(&l, req[i], answer_confirm, NULL);
    for (int i = 0; i < 3; i++)
        dr = fota_app_link_byte(&l, 0x00, answer_confirm, NULL);
    fota_app_link_abort(&l);
    (void)fota_app_link_byte(&l, 0x00, answer_confirm, NULL);
    assert_false(l.confirm_due);
}

static void test_link_new_request_mid_answer(void **state)
{
    fota_app_link_t l;
    uint8_t dr = FOTA_APP_FILL;

    (void)state;
    fota_app_link_init(&l);
    clock_request(&l, &dr, FOTA_APP_CMD_STATUS, 0xFE);
    assert_int_equal(clock_byte(&l, &dr, 0x00), FOTA_APP_ANS);
    /* The host gives up and asks again: the new request is taken. */
    clock_request(&l, &dr, FOTA_APP_CMD_STATUS, 0xFE);
    assert_int_equal(clock_byte(&l, &dr, 0x00), FOTA_APP_ANS);
    assert_int_equal(clock_byte(&l, &dr, 0x00), 3);
}

static void test_status_from_journal(void **state)
{
    uint8_t p[FOTA_APP_STATUS_PAYLOAD];
    fota_app_info_t info;

    (void)state;
    /* Factory: no journal. */
    assert_int_equal(fota_app_status_build(s_flash, 0, 0, p), 0);
    assert_int_equal(fota_app_status_decode(&info, p, sizeof(p)), 0);
    assert_int_equal(info.slot, 0);
    assert_int_equal(info.state, FOTA_SLOT_EMPTY);
    assert_int_equal(info.status.active_slot, FOTA_STATUS_NO_SLOT);
    assert_int_equal(info.confirm_window_ms, FOTA_CONFIRM_WINDOW_DEFAULT_MS);

    /* B pending with 2 attempts in the main area; an older record in the
     * spare area and a torn one after it do not count. */
    put_record(FOTA_JOURNAL_SPARE_ADDR, 3, 0, FOTA_SLOT_EMPTY, 0);
    put_record(FOTA_JOURNAL_MAIN_ADDR, 7, 0, FOTA_SLOT_PENDING, 2);
    put_record(FOTA_JOURNAL_MAIN_ADDR + 64, 8, 1, FOTA_SLOT_CONFIRMED, 0);
    at(FOTA_JOURNAL_MAIN_ADDR + 64 + 20)[0] ^= 0x01; /* CRC breaks */
    assert_int_equal(
        fota_app_status_build(s_flash, 1, FOTA_APP_F_CONFIRMED_NOW, p), 0);
    assert_int_equal(fota_app_status_decode(&info, p, sizeof(p)), 0);
    assert_int_equal(info.slot, 1);
    assert_int_equal(info.state, FOTA_SLOT_PENDING);
    assert_int_equal(info.flags, FOTA_APP_F_CONFIRMED_NOW);
    assert_int_equal(info.version.minor, 1);
    assert_int_equal(info.confirm_window_ms, 6000);
    assert_int_equal(info.status.journal_seq, 7);
    assert_int_equal(info.status.journal_area, 1);
    assert_int_equal(info.status.attempts_left, 2);
    assert_int_equal(info.status.inactive_slot, 0);
    assert_int_equal(info.status.slot[1].state, FOTA_SLOT_PENDING);
    assert_int_equal(info.status.slot[0].hdr_valid, 1);
    assert_int_equal(info.status.sec_floor, 1);
}

static void test_status_refusals(void **state)
{
    uint8_t p[FOTA_APP_STATUS_PAYLOAD];
    fota_app_info_t info;

    (void)state;
    /* No header in the slot the code claims to run from. */
    memset(at(FOTA_SLOT_B_ADDR), 0xFF, 64);
    assert_int_equal(fota_app_status_build(s_flash, 1, 0, p), FOTA_ERR_CORRUPT);
    assert_int_equal(fota_app_status_build(s_flash, 2, 0, p), FOTA_ERR_CORRUPT);
    assert_int_equal(fota_app_status_build(s_flash, 0, 0, p), 0);
    assert_int_equal(fota_app_status_decode(&info, p, sizeof(p) - 1),
                     FOTA_ERR_PROTO);
    p[0] = 9;
    assert_int_equal(fota_app_status_decode(&info, p, sizeof(p)),
                     FOTA_ERR_PROTO);
    p[0] = FOTA_APP_PROTO_VERSION;
    p[1] = 2; /* slot */
    assert_int_equal(fota_app_status_decode(&info, p, sizeof(p)),
                     FOTA_ERR_CORRUPT);
    p[1] = 0;
    fota_put_le32(p + 12, FOTA_CONFIRM_WINDOW_MAX_MS + 1);
    assert_int_equal(fota_app_status_decode(&info, p, sizeof(p)),
                     FOTA_ERR_CORRUPT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_link_answers_after_request),
        cmocka_unit_test(test_link_refuses_bad_complement_and_unknown),
        cmocka_unit_test(test_link_update_due_after_last_byte),
        cmocka_unit_test(test_link_confirm_due_after_last_byte),
        cmocka_unit_test(test_link_new_request_mid_answer),
        cmocka_unit_test_setup_teardown(test_status_from_journal, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_status_refusals, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
