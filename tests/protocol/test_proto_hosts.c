/*
 * test_proto_hosts.c - the command engine against host behaviours seen in
 * AN4286/AN3155 host implementations written for ST's ROM bootloaders:
 * over-reading a byte after an ACK, missing an ACK and polling on,
 * restarting with a new 0x5A frame instead of an ACK-of-ACK, an ACK-of-ACK
 * sent blind after an answer's data, a long sleep before polling an erase
 * result, and writes of any length 1..256 (255-byte chunks).
 *
 * Same fixture as test_proto_conformance.c: slot A holds a confirmed
 * image, slot B (sectors 8-10) is the only area the bus may change; every
 * test checks that nothing else changed and that nothing was programmed
 * over non-erased bits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fota/fota_crc32.h"
#include "fota/fota_err.h"
#include "fota/fota_le.h"
#include "fota/fota_proto.h"
#include "proto_host.h"

#define SLOT_B FOTA_SLOT_B_ADDR
#define SLOT_B_END (FOTA_SLOT_B_ADDR + FOTA_SLOT_SIZE)

typedef struct fx {
    proto_fix_t pf;
    uint8_t *before; /* flash before the test */
} fx_t;

static int setup(void **state, enum boot_link link)
{
    fx_t *f = calloc(1, sizeof *f);

    assert_non_null(f);
    proto_fix_setup(&f->pf, link);
    f->before = malloc(FOTA_FLASH_SIZE);
    assert_non_null(f->before);
    memcpy(f->before, f->pf.flash->mem, FOTA_FLASH_SIZE);
    *state = f;
    return 0;
}

static int setup_spi(void **state)
{
    return setup(state, BOOT_LINK_SPI);
}

static int setup_uart(void **state)
{
    return setup(state, BOOT_LINK_UART);
}

/* Nothing outside slot B changed, nothing was programmed twice. */
static int teardown(void **state)
{
    fx_t *f = *state;

    for (uint32_t off = 0; off < FOTA_FLASH_SIZE; off++) {
        uint32_t a = FOTA_FLASH_BASE + off;

        if (a >= SLOT_B && a < SLOT_B_END)
            continue;
        if (f->pf.flash->mem[off] != f->before[off])
            fail_msg("flash changed at 0x%08x", (unsigned)a);
    }
    assert_int_equal(f->pf.flash->overwrites, 0);
    proto_fix_teardown(&f->pf);
    free(f->before);
    free(f);
    return 0;
}

static proto_host_t *H(void **state)
{
    return &((fx_t *)*state)->pf.host;
}

static const uint8_t *MEM(void **state, uint32_t addr)
{
    return &((fx_t *)*state)->pf.flash->mem[addr - FOTA_FLASH_BASE];
}

static void assert_get(proto_host_t *h)
{
    uint8_t ver, cmds[64];
    size_t n;

    assert_int_equal(ph_get(h, &ver, cmds, &n), 0);
    assert_int_equal(ver, FOTA_BOOT_PROTO_VERSION);
    assert_int_equal(n, 10);
}

static void pattern(uint8_t *b, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)(seed * 197u + i * 31u + (i >> 7));
}

/* Poll with dummies until an ACK/NACK shows, without answering it. */
static uint8_t poll_reply(proto_host_t *h, int max)
{
    for (int i = 0; i < max; i++) {
        uint8_t r = ph_byte(h, FOTA_PROTO_DUMMY);

        if (r == FOTA_PROTO_ACK || r == FOTA_PROTO_NACK)
            return r;
    }
    fail_msg("no ACK/NACK within %d polls", max);
    return 0;
}

static void frame(proto_host_t *h, uint8_t cmd)
{
    ph_byte(h, FOTA_PROTO_SPI_SYNC);
    ph_byte(h, cmd);
    ph_byte(h, (uint8_t)~cmd);
}

/* ---- SPI: ACK handling --------------------------------------------------- */

/* The ACK is held: a host reading one byte too many after it reads the ACK
 * again, then its ACK-of-ACK is taken; the same after an answer's trailing
 * ACK. */
static void test_ack_held_over_read(void **state)
{
    proto_host_t *h = H(state);
    uint8_t id[4];

    frame(h, FOTA_CMD_GET_ID);
    assert_int_equal(poll_reply(h, 10), FOTA_PROTO_ACK);
    assert_int_equal(ph_byte(h, FOTA_PROTO_DUMMY), FOTA_PROTO_ACK);
    assert_int_equal(ph_byte(h, FOTA_PROTO_DUMMY), FOTA_PROTO_ACK);
    ph_byte(h, FOTA_PROTO_ACK);
    assert_int_equal(ph_read(h, id, 3), 0);
    assert_int_equal(id[0], 1);
    assert_int_equal(fota_get_be16(id + 1), FOTA_PROTO_PID);
    assert_int_equal(poll_reply(h, 10), FOTA_PROTO_ACK);
    assert_int_equal(ph_byte(h, FOTA_PROTO_DUMMY), FOTA_PROTO_ACK);
    ph_byte(h, FOTA_PROTO_ACK);
    /* Released: the next byte is the idle filler, and the link works. */
    assert_int_equal(ph_byte(h, FOTA_PROTO_DUMMY), FOTA_PROTO_BUSY);
    assert_get(h);
}

/* A NACK is held the same way. */
static void test_nack_held(void **state)
{
    proto_host_t *h = H(state);

    frame(h, 0x77); /* no such command */
    assert_int_equal(poll_reply(h, 10), FOTA_PROTO_NACK);
    for (int i = 0; i < 5; i++)
        assert_int_equal(ph_byte(h, FOTA_PROTO_DUMMY), FOTA_PROTO_NACK);
    ph_byte(h, FOTA_PROTO_ACK);
    assert_get(h);
}

/* A host that missed the ACK and polls on keeps seeing it for the reply
 * deadline; its polls do not extend the deadline, after which a new frame
 * is served normally. */
static void test_missed_ack_polling(void **state)
{
    proto_host_t *h = H(state);
    uint32_t polls = 0;

    frame(h, FOTA_CMD_GET_ID);
    assert_int_equal(poll_reply(h, 10), FOTA_PROTO_ACK);
    /* Missed; poll every 50 ms for 9 s: the ACK every time. */
    for (int i = 0; i < 180; i++) {
        ph_idle(h, 50);
        assert_int_equal(ph_byte(h, FOTA_PROTO_DUMMY), FOTA_PROTO_ACK);
    }
    ph_byte(h, FOTA_PROTO_ACK);
    {
        uint8_t id[3];

        assert_int_equal(ph_read(h, id, 3), 0);
        assert_int_equal(fota_get_be16(id + 1), FOTA_PROTO_PID);
        assert_int_equal(ph_ack(h, 100), FOTA_PROTO_ACK);
    }
    /* Missed again, polled for longer than the deadline: the reply goes
     * away at FOTA_PROTO_REPLY_TIMEOUT_MS from when it was ready. */
    frame(h, FOTA_CMD_GET_ID);
    assert_int_equal(poll_reply(h, 10), FOTA_PROTO_ACK);
    for (;;) {
        ph_idle(h, 50);
        if (ph_byte(h, FOTA_PROTO_DUMMY) != FOTA_PROTO_ACK)
            break;
        polls++;
        assert_true(polls < 400);
    }
    assert_in_range(polls * 50u, FOTA_PROTO_REPLY_TIMEOUT_MS - 100,
                    FOTA_PROTO_REPLY_TIMEOUT_MS);
    assert_get(h);
}

/* Instead of an ACK-of-ACK, a new 0x5A frame: it is recognised, in every
 * state where a host may give up on a reply. */
static void test_resync_on_new_frame(void **state)
{
    proto_host_t *h = H(state);
    uint8_t b[8];

    /* ACK offered, not answered. */
    frame(h, FOTA_CMD_GET);
    assert_int_equal(poll_reply(h, 10), FOTA_PROTO_ACK);
    assert_get(h);
    /* Answer half read. */
    frame(h, FOTA_CMD_GET);
    assert_int_equal(ph_ack(h, 100), FOTA_PROTO_ACK);
    assert_int_equal(ph_read(h, b, 3), 0);
    assert_get(h);
    /* Read Memory data half read (no trailing ACK). */
    assert_int_equal(ph_cmd(h, FOTA_CMD_READ_MEMORY), FOTA_PROTO_ACK);
    fota_put_be32(b, FOTA_SLOT_A_ADDR);
    ph_bytes_xor(h, b, 4);
    assert_int_equal(ph_ack(h, 100), FOTA_PROTO_ACK);
    ph_byte(h, 255);
    ph_byte(h, 0);
    assert_int_equal(ph_ack(h, 100), FOTA_PROTO_ACK);
    assert_int_equal(ph_read(h, b, 8), 0);
    assert_memory_equal(b, MEM(state, FOTA_SLOT_A_ADDR), 8);
    assert_get(h);
    /* Between command and complement. */
    ph_byte(h, FOTA_PROTO_SPI_SYNC);
    ph_byte(h, FOTA_CMD_GET_ID);
    assert_get(h);
}

/* After an answer's data, the ACK-of-ACK sent blind (without reading the
 * trailing dummy and ACK) is taken, and the next frame follows at once. */
static void test_blind_final_ackack(void **state)
{
    proto_host_t *h = H(state);
    uint8_t id[3];

    for (int i = 0; i < 3; i++) {
        frame(h, FOTA_CMD_GET_ID);
        assert_int_equal(ph_ack(h, 100), FOTA_PROTO_ACK);
        assert_int_equal(ph_read(h, id, 3), 0);
        assert_int_equal(fota_get_be16(id + 1), FOTA_PROTO_PID);
        ph_byte(h, FOTA_PROTO_ACK);
    }
    assert_get(h);
}

/* An erase result is kept FOTA_PROTO_RESULT_TIMEOUT_MS: a host sleeping 11 s
 * before it polls gets the ACK; one sleeping past the limit gets nothing,
 * and the link is free again. */
static void test_erase_result_after_sleep(void **state)
{
    proto_host_t *h = H(state);
    uint8_t b[4];
    int r = 0;

    for (int round = 0; round < 2; round++) {
        uint32_t sleep_ms =
            round == 0 ? 11000u : FOTA_PROTO_RESULT_TIMEOUT_MS + 5000u;

        assert_int_equal(ph_cmd(h, FOTA_CMD_EXTENDED_ERASE), FOTA_PROTO_ACK);
        fota_put_be16(b, 0);
        ph_bytes_xor(h, b, 2);
        assert_int_equal(ph_ack(h, 100), FOTA_PROTO_ACK);
        fota_put_be16(b, 8);
        ph_bytes_xor(h, b, 2);
        ph_idle(h, sleep_ms);
        for (int i = 0; i < 4; i++) {
            r = ph_byte(h, FOTA_PROTO_DUMMY);
            if (r == FOTA_PROTO_ACK || r == FOTA_PROTO_NACK)
                break;
        }
        if (round == 0) {
            assert_int_equal(r, FOTA_PROTO_ACK);
            ph_byte(h, FOTA_PROTO_ACK);
        } else {
            assert_int_equal(r, FOTA_PROTO_BUSY);
        }
    }
    assert_get(h);
}

/* ---- any write length (both links) -------------------------------------- */

/* An image written in 255-byte chunks at consecutive addresses, as ST's
 * example host does: every word programmed once, the last partial word
 * padded with 0xFF once the host checks the result. */
static void test_write_255_chunks(void **state)
{
    proto_host_t *h = H(state);
    enum { LEN = 4 * 255 + 17 };
    static uint8_t img[LEN + 3];
    uint32_t crc, want;
    size_t off = 0;

    pattern(img, LEN, 5);
    memset(img + LEN, 0xFF, 3);
    while (off < LEN) {
        size_t n = LEN - off < 255 ? LEN - off : 255;

        assert_int_equal(ph_write_mem(h, SLOT_B + (uint32_t)off, img + off, n),
                         0);
        off += n;
    }
    /* The tail (17 bytes of the last chunk, 1 past a word) is held until a
     * command that reads flash. */
    assert_memory_equal(MEM(state, SLOT_B), img, LEN - 1);
    assert_int_equal(*MEM(state, SLOT_B + LEN - 1), 0xFF);
    assert_int_equal(ph_checksum(h, SLOT_B, LEN + 3, &crc), 0);
    want = fota_crc32_st(img, LEN + 3);
    assert_int_equal(crc, want);
    assert_memory_equal(MEM(state, SLOT_B), img, LEN + 3);
}

/* Lengths 1..256 in a row, each continuing the previous write; then an
 * aligned write elsewhere (the tail is padded first), a read back, and the
 * refusals: an unaligned write that continues nothing, a continuation after
 * the tail was programmed, a write past the slot's end. */
static void test_write_any_length(void **state)
{
    proto_host_t *h = H(state);
    static uint8_t data[33000];
    uint8_t back[256];
    uint32_t addr = SLOT_B, pos = 0;

    pattern(data, sizeof data, 9);
    for (uint32_t n = 1; n <= 256; n++) {
        assert_int_equal(ph_write_mem(h, addr + pos, data + pos, n), 0);
        pos += n;
    }
    assert_int_equal(pos, 256u * 257u / 2u);
    /* Aligned write elsewhere: the held tail is programmed (padded) first. */
    assert_int_equal(ph_write_mem(h, SLOT_B + 0x10000, data, 7), 0);
    assert_memory_equal(MEM(state, addr), data, pos);
    for (uint32_t i = pos; i < ((pos + 3) & ~3u); i++)
        assert_int_equal(*MEM(state, addr + i), 0xFF);
    /* That write's own tail is padded by the read. */
    assert_int_equal(ph_read_mem(h, SLOT_B + 0x10000, back, 8), 0);
    assert_memory_equal(back, data, 7);
    assert_int_equal(back[7], 0xFF);
    /* Refused: continuing a tail that was already programmed, an unaligned
     * start, a write past the end of the slot. */
    assert_int_equal(ph_write_mem(h, SLOT_B + 0x10000 + 7, data, 4),
                     FOTA_ERR_NACK);
    assert_int_equal(ph_write_mem(h, SLOT_B + 0x20001, data, 4), FOTA_ERR_NACK);
    assert_int_equal(ph_write_mem(h, SLOT_B_END - 4, data, 5), FOTA_ERR_NACK);
    assert_int_equal(ph_write_mem(h, SLOT_B_END - 3, data, 3), FOTA_ERR_NACK);
    /* Exactly up to the end, in two odd pieces. */
    assert_int_equal(ph_write_mem(h, SLOT_B_END - 8, data, 5), 0);
    assert_int_equal(ph_write_mem(h, SLOT_B_END - 3, data + 5, 3), 0);
    assert_memory_equal(MEM(state, SLOT_B_END - 8), data, 8);
    assert_get(h);
}

/* A held tail is not lost when the host goes quiet: it is programmed once
 * the engine has been idle for a reply deadline. */
static void test_write_tail_idle_flush(void **state)
{
    proto_host_t *h = H(state);
    uint8_t d[6];

    pattern(d, sizeof d, 3);
    assert_int_equal(ph_write_mem(h, SLOT_B, d, 6), 0);
    assert_int_equal(*MEM(state, SLOT_B + 4), 0xFF);
    ph_idle(h, FOTA_PROTO_REPLY_TIMEOUT_MS + 100);
    assert_memory_equal(MEM(state, SLOT_B), d, 6);
    assert_int_equal(*MEM(state, SLOT_B + 6), 0xFF);
    /* The same when the write that continued the tail is left with its
     * result unread: once that reply expires. */
    assert_int_equal(ph_write_mem(h, SLOT_B + 8, d, 5), 0);
    {
        uint8_t a[4], f[2] = {0, 0x42};

        assert_int_equal(ph_cmd(h, FOTA_CMD_WRITE_MEMORY), FOTA_PROTO_ACK);
        fota_put_be32(a, SLOT_B + 13);
        ph_bytes_xor(h, a, 4);
        assert_int_equal(ph_ack(h, 100), FOTA_PROTO_ACK);
        ph_bytes_xor(h, f, 2);
    }
    ph_idle(h, FOTA_PROTO_RESULT_TIMEOUT_MS + 1000);
    if (h->link == BOOT_LINK_UART) /* its ACK was sent at once */
        assert_int_equal(ph_ack(h, 100), FOTA_PROTO_ACK);
    assert_int_equal(*MEM(state, SLOT_B + 12), d[4]);
    assert_int_equal(*MEM(state, SLOT_B + 13), 0x42);
    assert_int_equal(*MEM(state, SLOT_B + 14), 0xFF);
    assert_get(h);
}

#define SPI(t) cmocka_unit_test_setup_teardown(t, setup_spi, teardown)
#define BOTH(t) SPI(t), cmocka_unit_test_setup_teardown(t, setup_uart, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        SPI(test_ack_held_over_read),     SPI(test_nack_held),
        SPI(test_missed_ack_polling),     SPI(test_resync_on_new_frame),
        SPI(test_blind_final_ackack),     SPI(test_erase_result_after_sleep),
        BOTH(test_write_255_chunks),      BOTH(test_write_any_length),
        BOTH(test_write_tail_idle_flush),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
