/*
 * test_proto_conformance.c - the bootloader's command engine, every command
 * and every malformed frame, over SPI (AN4286) and UART (AN3155) framing,
 * on the strict flash model. Each test runs once per link.
 *
 * Fixture: slot A holds a confirmed image, so slot B (sectors 8-10) is the
 * only area the bus may write or erase.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "boot_port_host.h"
#include "fota/fota_crc32.h"
#include "fota/fota_err.h"
#include "fota/fota_le.h"
#include "fota/fota_proto.h"
#include "proto_host.h"

#define SLOT_B FOTA_SLOT_B_ADDR
#define MEM(fx, a) (&(fx)->flash->mem[(a)-FOTA_FLASH_BASE])

static int setup_spi(void **state)
{
    proto_fix_t *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    proto_fix_setup(fx, BOOT_LINK_SPI);
    *state = fx;
    return 0;
}

static int setup_uart(void **state)
{
    proto_fix_t *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    proto_fix_setup(fx, BOOT_LINK_UART);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    proto_fix_t *fx = *state;
    proto_fix_teardown(fx);
    free(fx);
    return 0;
}

static uint8_t *snap(const proto_fix_t *fx)
{
    uint8_t *s = malloc(FOTA_FLASH_SIZE);
    assert_non_null(s);
    memcpy(s, fx->flash->mem, FOTA_FLASH_SIZE);
    return s;
}

/* The flash array equals the snapshot except inside [lo, hi). */
static void assert_same_except(const proto_fix_t *fx, const uint8_t *s,
                               uint32_t lo, uint32_t hi)
{
    for (uint32_t off = 0; off < FOTA_FLASH_SIZE; off++) {
        uint32_t a = FOTA_FLASH_BASE + off;
        if (a >= lo && a < hi)
            continue;
        if (fx->flash->mem[off] != s[off])
            fail_msg("flash changed at 0x%08x", (unsigned)a);
    }
}

static void assert_same(const proto_fix_t *fx, const uint8_t *s)
{
    assert_same_except(fx, s, 0, 0);
}

/* The engine still talks: a full Get round trip. */
static void assert_alive(proto_fix_t *fx)
{
    uint8_t ver, cmds[64];
    size_t n;
    assert_int_equal(ph_get(&fx->host, &ver, cmds, &n), 0);
    assert_int_equal(ver, FOTA_BOOT_PROTO_VERSION);
}

static void fill_pattern(uint8_t *b, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)(seed * 131u + i * 29u + (i >> 8));
}

/* ---- information commands ------------------------------------------------ */

static void test_sync_and_get(void **state)
{
    proto_fix_t *fx = *state;
    static const uint8_t want[] = {0x00, 0x01, 0x02, 0x11, 0x21,
                                   0x31, 0x44, 0xA1, 0x50, 0x51};
    uint8_t ver, cmds[64];
    size_t n;

    assert_int_equal(ph_sync(&fx->host), FOTA_PROTO_ACK);
    assert_int_equal(ph_get(&fx->host, &ver, cmds, &n), 0);
    assert_int_equal(ver, FOTA_BOOT_PROTO_VERSION);
    assert_int_equal(n, sizeof want);
    assert_memory_equal(cmds, want, sizeof want);
    /* A second sync in the middle of a session is harmless. */
    assert_int_equal(ph_sync(&fx->host), FOTA_PROTO_ACK);
    assert_alive(fx);
}

static void test_get_version(void **state)
{
    proto_fix_t *fx = *state;
    uint8_t b[3];

    assert_int_equal(ph_cmd(&fx->host, FOTA_CMD_GET_VERSION), FOTA_PROTO_ACK);
    if (fx->host.link == BOOT_LINK_SPI) {
        /* AN4286: one version byte. */
        assert_int_equal(ph_read(&fx->host, b, 1), 0);
    } else {
        /* AN3155: version and two option bytes. */
        assert_int_equal(ph_read(&fx->host, b, 3), 0);
        assert_int_equal(b[1], 0);
        assert_int_equal(b[2], 0);
    }
    assert_int_equal(b[0], FOTA_BOOT_PROTO_VERSION);
    assert_int_equal(ph_ack(&fx->host, 100), FOTA_PROTO_ACK);
    assert_alive(fx);
}

static void test_get_id(void **state)
{
    proto_fix_t *fx = *state;
    uint8_t b[3];

    assert_int_equal(ph_cmd(&fx->host, FOTA_CMD_GET_ID), FOTA_PROTO_ACK);
    assert_int_equal(ph_read(&fx->host, b, 3), 0);
    assert_int_equal(b[0], 1);
    assert_int_equal(fota_get_be16(b + 1), 0x413);
    assert_int_equal(ph_ack(&fx->host, 100), FOTA_PROTO_ACK);
    assert_alive(fx);
}

/* ---- Read Memory -------------------------------------------------------- */

static void test_read_memory(void **state)
{
    proto_fix_t *fx = *state;
    uint8_t b[256];

    assert_int_equal(ph_read_mem(&fx->host, FOTA_SLOT_A_ADDR, b, 256), 0);
    assert_memory_equal(b, MEM(fx, FOTA_SLOT_A_ADDR), 256);
    assert_int_equal(ph_read_mem(&fx->host, FOTA_SLOT_A_ADDR + 0x203, b, 7), 0);
    assert_memory_equal(b, MEM(fx, FOTA_SLOT_A_ADDR + 0x203), 7);
    assert_int_equal(ph_read_mem(&fx->host, FOTA_FLASH_END - 256, b, 256), 0);
    assert_memory_equal(b, MEM(fx, FOTA_FLASH_END - 256), 256);
    assert_int_equal(ph_read_mem(&fx->host, FOTA_FLASH_BASE, b, 1), 0);
    assert_int_equal(b[0], *MEM(fx, FOTA_FLASH_BASE));
}

static void test_read_refused(void **state)
{
    proto_fix_t *fx = *state;
    uint8_t b[256];

    /* Past the end of flash, SRAM, option bytes, system memory. */
    assert_int_equal(ph_read_mem(&fx->host, FOTA_FLASH_END - 16, b, 32),
                     FOTA_ERR_NACK);
    assert_int_equal(ph_read_mem(&fx->host, FOTA_SRAM_ADDR, b, 16),
                     FOTA_ERR_NACK);
    assert_int_equal(ph_read_mem(&fx->host, 0x1FFFC000, b, 16), FOTA_ERR_NACK);
    assert_int_equal(ph_read_mem(&fx->host, 0x1FFF0000, b, 16), FOTA_ERR_NACK);
    assert_alive(fx);
}

static void test_read_bad_count(void **state)
{
    proto_fix_t *fx = *state;
    uint8_t a[4];
    uint8_t *s = snap(fx);

    assert_int_equal(ph_cmd(&fx->host, FOTA_CMD_READ_MEMORY), FOTA_PROTO_ACK);
    fota_put_be32(a, FOTA_SLOT_A_ADDR);
    ph_bytes_xor(&fx->host, a, 4);
    assert_int_equal(ph_ack(&fx->host, 100), FOTA_PROTO_ACK);
    ph_byte(&fx->host, 15);
    ph_byte(&fx->host, 15); /* not the complement */
    assert_int_equal(ph_ack(&fx->host, 100), FOTA_PROTO_NACK);
    assert_alive(fx);
    assert_same(fx, s);
    free(s);
}

/* ---- Write Memory ------------------------------------------------------- */

static void test_write_memory(void **state)
{
    proto_fix_t *fx = *state;
    uint8_t d[256], b[256];
    uint8_t *s = snap(fx);

    fill_pattern(d, sizeof d, 1);
    assert_int_equal(ph_write_mem(&fx->host, SLOT_B + 0x400, d, 256), 0);
    assert_memory_equal(MEM(fx, SLOT_B + 0x400), d, 256);
    assert_int_equal(ph_write_mem(&fx->host, SLOT_B + 0x500, d, 4), 0);
    assert_memory_equal(MEM(fx, SLOT_B + 0x500), d, 4);
    assert_int_equal(ph_read_mem(&fx->host, SLOT_B + 0x400, b, 256), 0);
    assert_memory_equal(b, d, 256);
    /* The last word of the slot. */
    assert_int_equal(ph_write_mem(&fx->host, SLOT_B + FOTA_SLOT_SIZE - 4, d, 4),
                     0);
    assert_same_except(fx, s, SLOT_B, SLOT_B + FOTA_SLOT_SIZE);
    assert_int_equal(fx->flash->overwrites, 0);
    free(s);
}

static void test_write_refused(void **state)
{
    proto_fix_t *fx = *state;
    static const uint32_t addrs[] = {
        0x08000000,              /* sector 0: the bootloader */
        0x08004000,              /* sector 1: bootloader growth */
        FOTA_JOURNAL_SPARE_ADDR, /* sector 2: journal */
        FOTA_APPDATA_ADDR,       /* sectors 3-4: application data */
        FOTA_APPDATA_ADDR + 0x10000,
        FOTA_SLOT_A_ADDR, /* the running slot */
        FOTA_SLOT_A_ADDR + 0x5FFFC,
        FOTA_JOURNAL_MAIN_ADDR, /* sector 11: journal */
        0x1FFFC000,             /* option bytes */
        0x1FFF0000,             /* system memory */
        FOTA_SRAM_ADDR,         /* SRAM */
        FOTA_CCM_ADDR,
        SLOT_B - 4,              /* just below the slot */
        SLOT_B + FOTA_SLOT_SIZE, /* just past it */
    };
    uint8_t d[16];
    uint8_t *s = snap(fx);

    fill_pattern(d, sizeof d, 2);
    for (size_t i = 0; i < sizeof addrs / sizeof addrs[0]; i++)
        if (ph_write_mem(&fx->host, addrs[i], d, sizeof d) != FOTA_ERR_NACK)
            fail_msg("write at 0x%08x not refused", (unsigned)addrs[i]);
    /* Starts inside the slot, ends past it: refused at the data. */
    assert_int_equal(
        ph_write_mem(&fx->host, SLOT_B + FOTA_SLOT_SIZE - 8, d, 16),
        FOTA_ERR_NACK);
    assert_same(fx, s);
    assert_alive(fx);
    free(s);
}

static void test_write_malformed(void **state)
{
    proto_fix_t *fx = *state;
    proto_host_t *h = &fx->host;
    uint8_t a[5], d[18];
    uint8_t *s = snap(fx);

    /* Unaligned address. */
    assert_int_equal(ph_write_mem(h, SLOT_B + 2, d, 16), FOTA_ERR_NACK);
    /* Unaligned and not right after a held write tail. */
    memset(d, 0x5A, sizeof d);
    assert_int_equal(ph_write_mem(h, SLOT_B + 1, d, 3), FOTA_ERR_NACK);
    /* Bad address XOR. */
    assert_int_equal(ph_cmd(h, FOTA_CMD_WRITE_MEMORY), FOTA_PROTO_ACK);
    fota_put_be32(a, SLOT_B);
    a[4] = 0x12;
    ph_bytes(h, a, 5);
    assert_int_equal(ph_ack(h, 100), FOTA_PROTO_NACK);
    /* Bad data XOR. */
    assert_int_equal(ph_cmd(h, FOTA_CMD_WRITE_MEMORY), FOTA_PROTO_ACK);
    ph_bytes_xor(h, a, 4);
    assert_int_equal(ph_ack(h, 100), FOTA_PROTO_ACK);
    d[0] = 15;
    fill_pattern(d + 1, 16, 3);
    d[17] = 0;
    for (int i = 0; i < 17; i++)
        d[17] ^= d[i];
    d[17] ^= 0x80;
    ph_bytes(h, d, 18);
    assert_int_equal(ph_ack(h, 100), FOTA_PROTO_NACK);
    assert_same(fx, s);
    assert_alive(fx);
    free(s);
}

/* ---- Extended Erase ----------------------------------------------------- */

static void test_erase(void **state)
{
    proto_fix_t *fx = *state;
    uint8_t d[64];
    uint16_t one = 8;
    static const uint16_t all[] = {8, 9, 10};
    uint8_t *s;

    fill_pattern(d, sizeof d, 4);
    assert_int_equal(ph_write_mem(&fx->host, SLOT_B, d, sizeof d), 0);
    assert_int_equal(ph_write_mem(&fx->host, SLOT_B + 0x40000, d, sizeof d), 0);
    s = snap(fx);
    assert_int_equal(ph_erase(&fx->host, &one, 1), 0);
    for (uint32_t i = 0; i < 0x20000; i++)
        if (*MEM(fx, SLOT_B + i) != 0xFF)
            fail_msg("sector 8 not erased at +0x%x", (unsigned)i);
    assert_same_except(fx, s, SLOT_B, SLOT_B + 0x20000);
    assert_int_equal(ph_erase(&fx->host, all, 3), 0);
    assert_int_equal(*MEM(fx, SLOT_B + 0x40000), 0xFF);
    assert_same_except(fx, s, SLOT_B, SLOT_B + FOTA_SLOT_SIZE);
    assert_int_equal(fx->flash->wear[8], 2);
    assert_int_equal(fx->flash->wear[10], 1);
    free(s);
}

static void test_erase_refused(void **state)
{
    proto_fix_t *fx = *state;
    proto_host_t *h = &fx->host;
    static const uint16_t bad[] = {0, 1, 2,  3,  4,     5,
                                   6, 7, 11, 12, 0x100, 0xFFEF};
    static const uint16_t special[] = {0xFFFF, 0xFFFE, 0xFFFD, 0xFFFC, 0xFFF0};
    uint16_t mixed[2] = {8, 5};
    uint16_t many[130];
    uint8_t d[16];
    uint8_t *s;

    fill_pattern(d, sizeof d, 5);
    assert_int_equal(ph_write_mem(h, SLOT_B, d, sizeof d), 0);
    s = snap(fx);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (ph_erase(h, &bad[i], 1) != FOTA_ERR_NACK)
            fail_msg("erase of sector code %u not refused", bad[i]);
    /* One bad code refuses the whole list: sector 8 keeps its data. */
    assert_int_equal(ph_erase(h, mixed, 2), FOTA_ERR_NACK);
    /* Mass erase, bank erases, reserved codes. */
    for (size_t i = 0; i < sizeof special / sizeof special[0]; i++)
        if (ph_erase_special(h, special[i]) != FOTA_ERR_NACK)
            fail_msg("special erase 0x%04x not refused", special[i]);
    /* More codes than the engine takes. */
    for (size_t i = 0; i < 130; i++)
        many[i] = 8;
    assert_int_equal(ph_erase(h, many, 130), FOTA_ERR_NACK);
    assert_same(fx, s);
    assert_alive(fx);
    free(s);
}

static void test_erase_malformed(void **state)
{
    proto_fix_t *fx = *state;
    proto_host_t *h = &fx->host;
    uint8_t f[5] = {0x00, 0x00, 0x00, 0x08, 0x00};
    uint8_t d[16];
    uint8_t *s;

    fill_pattern(d, sizeof d, 6);
    assert_int_equal(ph_write_mem(h, SLOT_B, d, sizeof d), 0);
    s = snap(fx);
    /* Bad XOR over the code list (UART: the one XOR of the frame). */
    assert_int_equal(ph_cmd(h, FOTA_CMD_EXTENDED_ERASE), FOTA_PROTO_ACK);
    if (h->link == BOOT_LINK_SPI) {
        ph_bytes_xor(h, f, 2);
        assert_int_equal(ph_ack(h, 100), FOTA_PROTO_ACK);
        ph_byte(h, 0x00);
        ph_byte(h, 0x08);
        ph_byte(h, 0x09); /* XOR would be 0x08 */
    } else {
        f[4] = 0x09;
        ph_bytes(h, f, 5);
    }
    assert_int_equal(ph_ack(h, 5000), FOTA_PROTO_NACK);
    /* Bad XOR over N (SPI: its own check). */
    assert_int_equal(ph_cmd(h, FOTA_CMD_EXTENDED_ERASE), FOTA_PROTO_ACK);
    if (h->link == BOOT_LINK_SPI) {
        ph_byte(h, 0x00);
        ph_byte(h, 0x00);
        ph_byte(h, 0x01);
        assert_int_equal(ph_ack(h, 100), FOTA_PROTO_NACK);
    } else {
        uint8_t g[5] = {0x00, 0x00, 0x00, 0x08, 0x01};
        ph_bytes(h, g, 5);
        assert_int_equal(ph_ack(h, 5000), FOTA_PROTO_NACK);
    }
    assert_same(fx, s);
    assert_alive(fx);
    free(s);
}

/* ---- Get Checksum ------------------------------------------------------- */

static void test_checksum(void **state)
{
    proto_fix_t *fx = *state;
    uint32_t crc;

    assert_int_equal(ph_checksum(&fx->host, FOTA_SLOT_A_ADDR, 512, &crc), 0);
    assert_int_equal(crc, fota_crc32_st(MEM(fx, FOTA_SLOT_A_ADDR), 512));
    assert_int_equal(
        ph_checksum(&fx->host, FOTA_SLOT_A_ADDR, FOTA_SLOT_SIZE, &crc), 0);
    assert_int_equal(crc,
                     fota_crc32_st(MEM(fx, FOTA_SLOT_A_ADDR), FOTA_SLOT_SIZE));
    assert_int_equal(
        ph_checksum(&fx->host, FOTA_FLASH_BASE, FOTA_FLASH_SIZE, &crc), 0);
    assert_int_equal(crc, fota_crc32_st(fx->flash->mem, FOTA_FLASH_SIZE));
    /* Refused: length 0, not a multiple of 4, past flash, unaligned
     * address, SRAM. */
    assert_int_equal(ph_checksum(&fx->host, SLOT_B, 0, &crc), FOTA_ERR_NACK);
    assert_int_equal(ph_checksum(&fx->host, SLOT_B, 6, &crc), FOTA_ERR_NACK);
    assert_int_equal(ph_checksum(&fx->host, FOTA_FLASH_END - 4, 8, &crc),
                     FOTA_ERR_NACK);
    assert_int_equal(ph_checksum(&fx->host, SLOT_B + 2, 8, &crc),
                     FOTA_ERR_NACK);
    assert_int_equal(ph_checksum(&fx->host, FOTA_SRAM_ADDR, 8, &crc),
                     FOTA_ERR_NACK);
    assert_alive(fx);
}

/* ---- Go ------------------------------------------------------------------ */

static void test_go(void **state)
{
    proto_fix_t *fx = *state;

    assert_int_equal(ph_go(&fx->host, FOTA_SRAM_ADDR), FOTA_ERR_NACK);
    assert_int_equal(ph_go(&fx->host, FOTA_SLOT_B_ADDR), FOTA_ERR_NACK);
    assert_int_equal(ph_go(&fx->host, FOTA_SLOT_A_ADDR + 0x201), FOTA_ERR_NACK);
    assert_int_equal(ph_go(&fx->host, 0x1FFF0000), FOTA_ERR_NACK);
    assert_int_equal(fx->host.requests, 0);
    assert_int_equal(ph_go(&fx->host, FOTA_FLASH_BASE), 0);
    assert_int_equal(fx->host.requests, 1);
    assert_int_equal(ph_go(&fx->host, FOTA_SLOT_BODY_ADDR(1)), 0);
    assert_int_equal(ph_go(&fx->host, FOTA_SLOT_BODY_ADDR(0)), 0);
    assert_int_equal(fx->host.requests, 3);
}

/* ---- malformed frames ---------------------------------------------------- */

static void test_bad_frames(void **state)
{
    proto_fix_t *fx = *state;
    proto_host_t *h = &fx->host;
    static const uint8_t unknown[] = {0x03, 0x43, 0x32, 0x45, 0x7E, 0xFF,
                                      0xA0, 0x63, 0x73, 0x82, 0x92};
    uint8_t *s = snap(fx);

    for (size_t i = 0; i < sizeof unknown; i++)
        if (ph_cmd(h, unknown[i]) != FOTA_PROTO_NACK)
            fail_msg("command 0x%02x not refused", unknown[i]);
    /* Bad complement. */
    if (h->link == BOOT_LINK_SPI)
        ph_byte(h, FOTA_PROTO_SPI_SYNC);
    ph_byte(h, FOTA_CMD_WRITE_MEMORY);
    ph_byte(h, FOTA_CMD_WRITE_MEMORY);
    assert_int_equal(ph_ack(h, 100), FOTA_PROTO_NACK);
    if (h->link == BOOT_LINK_SPI)
        ph_byte(h, FOTA_PROTO_SPI_SYNC);
    ph_byte(h, FOTA_CMD_GET_ID);
    ph_byte(h, 0xFC);
    assert_int_equal(ph_ack(h, 100), FOTA_PROTO_NACK);
    assert_same(fx, s);
    assert_alive(fx);
    free(s);
}

static void test_truncated_then_timeout(void **state)
{
    proto_fix_t *fx = *state;
    proto_host_t *h = &fx->host;
    uint8_t a[4];
    uint8_t d[9] = {7, 1, 2, 3, 4, 5, 6, 7, 8};
    uint8_t *s = snap(fx);

    /* Half an address, then silence. */
    assert_int_equal(ph_cmd(h, FOTA_CMD_WRITE_MEMORY), FOTA_PROTO_ACK);
    fota_put_be32(a, SLOT_B);
    ph_bytes(h, a, 2);
    ph_idle(h, FOTA_PROTO_BYTE_TIMEOUT_MS + 100);
    assert_alive(fx);
    /* A data phase cut short: nothing may be written. */
    assert_int_equal(ph_cmd(h, FOTA_CMD_WRITE_MEMORY), FOTA_PROTO_ACK);
    ph_bytes_xor(h, a, 4);
    assert_int_equal(ph_ack(h, 100), FOTA_PROTO_ACK);
    ph_bytes(h, d, 6);
    ph_idle(h, FOTA_PROTO_BYTE_TIMEOUT_MS + 100);
    assert_alive(fx);
    /* A command frame cut after the command byte. */
    if (h->link == BOOT_LINK_SPI)
        ph_byte(h, FOTA_PROTO_SPI_SYNC);
    ph_byte(h, FOTA_CMD_EXTENDED_ERASE);
    ph_idle(h, FOTA_PROTO_BYTE_TIMEOUT_MS + 100);
    assert_alive(fx);
    assert_same(fx, s);
    /* Slow but within the deadline: every byte 0.8 x the timeout apart. */
    assert_int_equal(ph_cmd(h, FOTA_CMD_WRITE_MEMORY), FOTA_PROTO_ACK);
    for (int i = 0; i < 4; i++) {
        ph_idle(h, FOTA_PROTO_BYTE_TIMEOUT_MS * 8 / 10);
        ph_byte(h, a[i]);
    }
    ph_byte(h, a[0] ^ a[1] ^ a[2] ^ a[3]);
    assert_int_equal(ph_ack(h, 100), FOTA_PROTO_ACK);
    ph_bytes_xor(h, d, 9);
    assert_int_equal(ph_ack(h, 100), FOTA_PROTO_ACK);
    assert_memory_equal(MEM(fx, SLOT_B), d + 1, 8);
    free(s);
}

static void test_garbage_before_sync(void **state)
{
    proto_fix_t *fx = *state;
    proto_host_t *h = &fx->host;
    static const uint8_t junk[] = {0x12, 0x34, 0xFF, 0x00,
                                   0x79, 0x1F, 0xA5, 0x44};
    uint8_t *s = snap(fx);

    if (h->link == BOOT_LINK_UART) {
        /* AN3155 has no frame start: junk pairs are failed commands. */
        for (size_t i = 0; i + 1 < sizeof junk; i += 2) {
            ph_byte(h, junk[i]);
            ph_byte(h, junk[i + 1]);
            assert_int_equal(ph_ack(h, 100), FOTA_PROTO_NACK);
        }
    } else {
        /* SPI: bytes outside a frame are ignored; a frame start followed
         * by junk is a bad complement. */
        uint8_t r = 0;
        for (size_t i = 0; i < sizeof junk; i++)
            r |= (uint8_t)(ph_byte(h, junk[i]) != FOTA_PROTO_BUSY);
        assert_int_equal(r, 0);
        ph_byte(h, FOTA_PROTO_SPI_SYNC);
        ph_byte(h, 0x12);
        ph_byte(h, 0x34);
        assert_int_equal(ph_ack(h, 100), FOTA_PROTO_NACK);
    }
    assert_int_equal(ph_sync(h), FOTA_PROTO_ACK);
    assert_alive(fx);
    assert_same(fx, s);
    free(s);
}

static void test_reset_link(void **state)
{
    proto_fix_t *fx = *state;
    proto_host_t *h = &fx->host;
    uint8_t a[4];
    uint8_t *s = snap(fx);

    assert_int_equal(ph_cmd(h, FOTA_CMD_WRITE_MEMORY), FOTA_PROTO_ACK);
    fota_put_be32(a, SLOT_B);
    ph_bytes(h, a, 3);
    boot_proto_reset_link(&fx->eng);
    h->spi_preload = FOTA_PROTO_BUSY;
    assert_alive(fx);
    assert_same(fx, s);
    free(s);
}

/* ---- FOTA special operations -------------------------------------------- */

static void get_status(proto_fix_t *fx, fota_status_t *st)
{
    uint8_t d[128];
    size_t n = 0;
    uint8_t status = 0xEE;

    assert_int_equal(ph_special(&fx->host, FOTA_OP_STATUS, NULL, 0, d, sizeof d,
                                &n, &status),
                     0);
    assert_int_equal(n, FOTA_STATUS_SIZE);
    assert_int_equal(status, FOTA_RESULT_OK);
    assert_int_equal(fota_status_decode(st, d, n), 0);
}

static void test_status(void **state)
{
    proto_fix_t *fx = *state;
    fota_status_t st;

    get_status(fx, &st);
    assert_int_equal(st.format, FOTA_STATUS_FORMAT);
    assert_int_equal(st.proto_version, FOTA_BOOT_PROTO_VERSION);
    assert_int_equal(st.active_slot, 0);
    assert_int_equal(st.inactive_slot, 1);
    assert_int_equal(st.journal_area, BOOT_AREA_MAIN);
    assert_int_equal(st.journal_seq, fx->ctx.state.seq);
    assert_int_equal(st.slot[0].state, FOTA_SLOT_CONFIRMED);
    assert_int_equal(st.slot[0].hdr_valid, 1);
    assert_int_equal(st.slot[0].version.major, 1);
    assert_int_equal(st.slot[0].image_crc, fx->ctx.state.slot[0].image_crc);
    assert_int_equal(st.slot[1].hdr_valid, 0);
    assert_int_equal(st.slot_addr[0], FOTA_SLOT_A_ADDR);
    assert_int_equal(st.slot_addr[1], FOTA_SLOT_B_ADDR);
    assert_int_equal(st.slot_size, FOTA_SLOT_SIZE);
    assert_int_equal(st.stream_error, 0);
}

static void test_special_malformed(void **state)
{
    proto_fix_t *fx = *state;
    proto_host_t *h = &fx->host;
    uint8_t d[200], o[2], status;
    size_t n;
    uint8_t *s = snap(fx);

    memset(d, 0, sizeof d);
    /* Wrong sizes for the opcode, unknown opcode, oversize buffer 1. */
    assert_int_equal(
        ph_special(h, FOTA_OP_STATUS, d, 1, d, sizeof d, &n, &status),
        FOTA_ERR_NACK);
    assert_int_equal(
        ph_special(h, FOTA_OP_COMMIT, d, 0, d, sizeof d, &n, &status),
        FOTA_ERR_NACK);
    d[0] = 2; /* no slot 2 */
    assert_int_equal(
        ph_special(h, FOTA_OP_COMMIT, d, 1, d, sizeof d, &n, &status),
        FOTA_ERR_NACK);
    assert_int_equal(ph_special(h, 0x4699, NULL, 0, d, sizeof d, &n, &status),
                     FOTA_ERR_NACK);
    assert_int_equal(
        ph_special(h, FOTA_OP_STREAM_WRITE, NULL, 0, d, sizeof d, &n, &status),
        FOTA_ERR_NACK);
    memset(d, 0, sizeof d);
    assert_int_equal(
        ph_special(h, FOTA_OP_STATUS, d, 129, d, sizeof d, &n, &status),
        FOTA_ERR_NACK);
    /* Bad opcode XOR. */
    assert_int_equal(ph_cmd(h, FOTA_CMD_SPECIAL), FOTA_PROTO_ACK);
    fota_put_be16(o, FOTA_OP_STATUS);
    ph_bytes(h, o, 2);
    ph_byte(h, 0x47);
    assert_int_equal(ph_ack(h, 100), FOTA_PROTO_NACK);
    /* Bad buffer XOR. */
    assert_int_equal(ph_cmd(h, FOTA_CMD_SPECIAL), FOTA_PROTO_ACK);
    ph_bytes_xor(h, o, 2);
    assert_int_equal(ph_ack(h, 100), FOTA_PROTO_ACK);
    ph_byte(h, 0);
    ph_byte(h, 0);
    ph_byte(h, 1);
    assert_int_equal(ph_ack(h, 100), FOTA_PROTO_NACK);
    assert_same(fx, s);
    assert_alive(fx);
    free(s);
}

static void test_reboot_op(void **state)
{
    proto_fix_t *fx = *state;
    uint8_t d[8], status = 0xEE;
    size_t n = 99;

    assert_int_equal(ph_special(&fx->host, FOTA_OP_REBOOT, NULL, 0, d, sizeof d,
                                &n, &status),
                     0);
    assert_int_equal(n, 0);
    assert_int_equal(status, FOTA_RESULT_OK);
    assert_int_equal(fx->host.requests, 1);
}

/* ---- streaming write, commit ---------------------------------------------- */

#define IMG_BODY (20 * 1024)
#define IMG_LEN (FOTA_IMAGE_HDR_SIZE + IMG_BODY)

/* Erase sector 8 and stream img[0, len) to slot B in chunks of chunk
 * bytes. Returns the first non-OK status byte (0 if none). */
static uint8_t stream_image(proto_fix_t *fx, const uint8_t *img, size_t len,
                            size_t chunk)
{
    uint16_t sec = 8;
    uint8_t worst = 0;

    assert_int_equal(ph_erase(&fx->host, &sec, 1), 0);
    for (size_t off = 0; off < len; off += chunk) {
        size_t n = len - off < chunk ? len - off : chunk;
        uint8_t status = 0xEE;

        assert_int_equal(
            ph_stream(&fx->host, SLOT_B + (uint32_t)off, img + off, n, &status),
            0);
        if (status && !worst)
            worst = status;
    }
    return worst;
}

static void test_stream_write(void **state)
{
    proto_fix_t *fx = *state;
    uint8_t *img = malloc(IMG_LEN);
    uint8_t *s;
    uint32_t crc;

    proto_image_build(img, 1, IMG_BODY, 2, 0, 11);
    s = snap(fx);
    assert_int_equal(stream_image(fx, img, IMG_LEN, 1024), 0);
    /* Get Checksum drains the queue: it sees everything streamed. */
    assert_int_equal(ph_checksum(&fx->host, SLOT_B, IMG_LEN, &crc), 0);
    assert_int_equal(crc, fota_crc32_st(img, IMG_LEN));
    assert_memory_equal(MEM(fx, SLOT_B), img, IMG_LEN);
    assert_same_except(fx, s, SLOT_B, SLOT_B + 0x20000);
    assert_int_equal(fx->flash->overwrites, 0);
    /* Small chunks and odd sizes (multiples of 4). */
    assert_int_equal(stream_image(fx, img, 4096, 12), 0);
    assert_int_equal(ph_checksum(&fx->host, SLOT_B, 4096, &crc), 0);
    assert_int_equal(crc, fota_crc32_st(img, 4096));
    free(s);
    free(img);
}

/* SPI at 1 MHz with datasheet-maximum word times (100 us): programming a
 * chunk (25.6 ms) is slower than sending it (~10 ms), so the engine must
 * hold back the 0x51 ACK, and transfer and programming overlap. */
static void test_stream_flow_control(void **state)
{
    proto_fix_t *fx = *state;
    uint8_t *img = malloc(IMG_LEN);
    uint16_t sec = 8;
    uint32_t max_polls = 0;
    uint64_t t0, t1;
    uint32_t crc;
    size_t chunks = 0;

    fx->flash->timing = SIM_FLASH_MAXIMUM;
    proto_image_build(img, 1, IMG_BODY, 2, 0, 12);
    assert_int_equal(ph_erase(&fx->host, &sec, 1), 0);
    t0 = fx->flash->now_ns;
    for (size_t off = 0; off < IMG_LEN; off += 1024, chunks++) {
        proto_host_t *h = &fx->host;
        uint8_t status = 0xEE;
        size_t n = IMG_LEN - off < 1024 ? IMG_LEN - off : 1024;

        assert_int_equal(
            ph_stream(h, SLOT_B + (uint32_t)off, img + off, n, &status), 0);
        assert_int_equal(status, 0);
    }
    assert_int_equal(ph_checksum(&fx->host, SLOT_B, IMG_LEN, &crc), 0);
    t1 = fx->flash->now_ns;
    assert_int_equal(crc, fota_crc32_st(img, IMG_LEN));
    /* Sending alone takes chunks x ~1035 bytes x 10 us; programming alone
     * takes IMG_LEN/4 x 100 us. Overlap: the total is well below the sum. */
    {
        uint64_t send_ns = (uint64_t)chunks * 1035 * fx->host.byte_ns;
        uint64_t prog_ns = (uint64_t)IMG_LEN / 4 * 100000;
        uint64_t total = t1 - t0;
        print_message("stream: %zu chunks, total %.1f ms, send %.1f ms, "
                      "program %.1f ms\n",
                      chunks, total / 1e6, send_ns / 1e6, prog_ns / 1e6);
        if (fx->host.link == BOOT_LINK_SPI)
            assert_true(total < send_ns + prog_ns * 8 / 10);
        assert_true(total >= prog_ns);
    }
    /* Flow control held the ACK of a 0x51 frame at least once: ask for a
     * third chunk while two are queued. */
    {
        proto_host_t *h = &fx->host;
        uint8_t st;
        assert_int_equal(ph_stream(h, SLOT_B + 0x10000, img, 1024, &st), 0);
        assert_int_equal(ph_stream(h, SLOT_B + 0x10400, img, 1024, &st), 0);
        assert_int_equal(ph_cmd(h, FOTA_CMD_EXTENDED_SPECIAL), FOTA_PROTO_ACK);
        max_polls = h->polls;
        boot_proto_reset_link(&fx->eng);
        h->spi_preload = FOTA_PROTO_BUSY;
        h->uart_len = 0;
    }
    if (fx->host.link == BOOT_LINK_SPI)
        assert_true(max_polls > 20);
    free(img);
}

static void test_stream_refused(void **state)
{
    proto_fix_t *fx = *state;
    proto_host_t *h = &fx->host;
    uint8_t d[1100], st, a[4];
    uint8_t *s = snap(fx);

    fill_pattern(d, sizeof d, 7);
    /* Outside the inactive slot: sector 0, the running slot, journal,
     * app data, option bytes, SRAM. */
    assert_int_equal(ph_stream(h, FOTA_FLASH_BASE, d, 64, &st), FOTA_ERR_NACK);
    assert_int_equal(ph_stream(h, FOTA_SLOT_A_ADDR, d, 64, &st), FOTA_ERR_NACK);
    assert_int_equal(ph_stream(h, FOTA_JOURNAL_MAIN_ADDR, d, 64, &st),
                     FOTA_ERR_NACK);
    assert_int_equal(ph_stream(h, FOTA_APPDATA_ADDR, d, 64, &st),
                     FOTA_ERR_NACK);
    assert_int_equal(ph_stream(h, 0x1FFFC000, d, 64, &st), FOTA_ERR_NACK);
    assert_int_equal(ph_stream(h, FOTA_SRAM_ADDR, d, 64, &st), FOTA_ERR_NACK);
    /* Starts in the slot, runs past its end. */
    assert_int_equal(ph_stream(h, SLOT_B + FOTA_SLOT_SIZE - 512, d, 1024, &st),
                     FOTA_ERR_NACK);
    /* Unaligned address, size not a multiple of 4, too small, oversize. */
    assert_int_equal(ph_stream(h, SLOT_B + 2, d, 64, &st), FOTA_ERR_NACK);
    assert_int_equal(ph_stream(h, SLOT_B, d, 62, &st), FOTA_ERR_NACK);
    assert_int_equal(ph_stream(h, SLOT_B, d, 0, &st), FOTA_ERR_NACK);
    assert_int_equal(ph_stream(h, SLOT_B, d, 1028, &st), FOTA_ERR_NACK);
    /* Buffer 1 of the wrong size. */
    assert_int_equal(ph_cmd(h, FOTA_CMD_EXTENDED_SPECIAL), FOTA_PROTO_ACK);
    fota_put_be16(a, FOTA_OP_STREAM_WRITE);
    ph_bytes_xor(h, a, 2);
    assert_int_equal(ph_ack(h, 100), FOTA_PROTO_ACK);
    {
        uint8_t b1[5] = {0x00, 0x03, 0x08, 0x08, 0x00};
        ph_bytes_xor(h, b1, 5);
    }
    assert_int_equal(ph_ack(h, 100), FOTA_PROTO_NACK);
    /* Bad XOR over buffer 2. */
    assert_int_equal(ph_cmd(h, FOTA_CMD_EXTENDED_SPECIAL), FOTA_PROTO_ACK);
    ph_bytes_xor(h, a, 2);
    assert_int_equal(ph_ack(h, 100), FOTA_PROTO_ACK);
    {
        uint8_t b1[6] = {0x00, 0x04};
        fota_put_be32(b1 + 2, SLOT_B);
        ph_bytes_xor(h, b1, 6);
    }
    assert_int_equal(ph_ack(h, 100), FOTA_PROTO_ACK);
    {
        uint8_t x = 0x08;
        for (int i = 0; i < 8; i++)
            x ^= d[i];
        ph_byte(h, 0x00);
        ph_byte(h, 0x08);
        ph_bytes(h, d, 8);
        ph_byte(h, (uint8_t)~x);
    }
    assert_int_equal(ph_ack(h, 100), FOTA_PROTO_NACK);
    ph_idle(h, 50);
    assert_same(fx, s);
    assert_alive(fx);
    free(s);
}

static void test_stream_sticky_error(void **state)
{
    proto_fix_t *fx = *state;
    uint8_t *img = malloc(IMG_LEN);
    fota_status_t st;
    uint32_t crc;
    uint16_t sec = 8;
    uint8_t status;

    proto_image_build(img, 1, IMG_BODY, 2, 0, 13);
    assert_int_equal(ph_erase(&fx->host, &sec, 1), 0);
    /* The 300th word program fails as a FLASH_SR error would. */
    boot_port_host_fail_after(300);
    for (size_t off = 0; off < 4096; off += 1024)
        assert_int_equal(ph_stream(&fx->host, SLOT_B + (uint32_t)off, img + off,
                                   1024, &status),
                         0);
    get_status(fx, &st); /* drains first */
    assert_int_equal(st.stream_error, FOTA_ERR_IO);
    /* Later chunks report the sticky error in their status byte. */
    assert_int_equal(
        ph_stream(&fx->host, SLOT_B + 4096, img + 4096, 1024, &status), 0);
    assert_int_equal(status, (uint8_t)-FOTA_ERR_IO);
    assert_int_equal(ph_checksum(&fx->host, SLOT_B, 8192, &crc), 0);
    assert_int_not_equal(crc, fota_crc32_st(img, 8192));
    /* An erase starts over and clears it. */
    assert_int_equal(stream_image(fx, img, IMG_LEN, 1024), 0);
    get_status(fx, &st);
    assert_int_equal(st.stream_error, 0);
    assert_int_equal(ph_checksum(&fx->host, SLOT_B, IMG_LEN, &crc), 0);
    assert_int_equal(crc, fota_crc32_st(img, IMG_LEN));
    free(img);
}

static void test_commit_good(void **state)
{
    proto_fix_t *fx = *state;
    uint8_t *img = malloc(IMG_LEN);
    uint8_t slot = 1, d[8], status = 0xEE;
    size_t n;
    boot_ctx_t fresh;
    fota_status_t st;

    proto_image_build(img, 1, IMG_BODY, 2, 1, 14);
    assert_int_equal(stream_image(fx, img, IMG_LEN, 1024), 0);
    /* Commit right after the last chunk: the engine drains first. */
    assert_int_equal(ph_special(&fx->host, FOTA_OP_COMMIT, &slot, 1, d,
                                sizeof d, &n, &status),
                     0);
    assert_int_equal(status, FOTA_RESULT_OK);
    assert_int_equal(n, 0);
    memset(&fresh, 0, sizeof fresh);
    assert_int_equal(boot_init(&fresh), 0);
    assert_int_equal(fresh.state.slot[1].state, FOTA_SLOT_PENDING);
    assert_int_equal(fresh.state.slot[1].version.major, 2);
    assert_int_equal(fresh.state.slot[1].version.minor, 1);
    assert_int_equal(fresh.state.attempts_left, FOTA_TRIAL_ATTEMPTS);
    assert_int_equal(fresh.state.slot[0].state, FOTA_SLOT_CONFIRMED);
    get_status(fx, &st);
    assert_int_equal(st.slot[1].state, FOTA_SLOT_PENDING);
    assert_int_equal(st.slot[1].hdr_valid, 1);
    free(img);
}

static void test_commit_corrupt(void **state)
{
    proto_fix_t *fx = *state;
    uint8_t *img = malloc(IMG_LEN);
    uint8_t slot = 1, d[8], status = 0;
    size_t n;
    uint8_t *s;

    proto_image_build(img, 1, IMG_BODY, 2, 1, 15);
    img[FOTA_IMAGE_HDR_SIZE + 5000] ^= 0x10; /* body no longer matches hash */
    assert_int_equal(stream_image(fx, img, IMG_LEN, 1024), 0);
    ph_idle(&fx->host, 200); /* let the queued chunks land */
    s = snap(fx);
    assert_int_equal(ph_special(&fx->host, FOTA_OP_COMMIT, &slot, 1, d,
                                sizeof d, &n, &status),
                     0);
    assert_int_equal(status, (uint8_t)-FOTA_ERR_CORRUPT);
    /* Committing the running slot: refused by policy. */
    slot = 0;
    assert_int_equal(ph_special(&fx->host, FOTA_OP_COMMIT, &slot, 1, d,
                                sizeof d, &n, &status),
                     0);
    assert_int_equal(status, (uint8_t)-FOTA_ERR_PERM);
    assert_same(fx, s); /* journal untouched */
    free(s);
    free(img);
}

/* COMMIT status for slot B. */
static uint8_t commit_b(proto_fix_t *fx)
{
    uint8_t slot = 1, d[8], status = 0xEE;
    size_t n;

    assert_int_equal(ph_special(&fx->host, FOTA_OP_COMMIT, &slot, 1, d,
                                sizeof d, &n, &status),
                     0);
    return status;
}

/* The commit takes the SHA-256 measured while the bytes landed: a change
 * made behind the engine (not through the bus) after they landed is not
 * seen by it, and the next boot's full check is what rejects it. */
static void test_commit_landed_digest(void **state)
{
    proto_fix_t *fx = *state;
    uint8_t *img = malloc(IMG_LEN);
    boot_ctx_t fresh;

    proto_image_build(img, 1, IMG_BODY, 2, 1, 16);
    assert_int_equal(stream_image(fx, img, IMG_LEN, 1024), 0);
    ph_idle(&fx->host, 200);
    MEM(fx, SLOT_B + FOTA_IMAGE_HDR_SIZE + 700)[0] ^= 0x01;
    assert_int_equal(commit_b(fx), FOTA_RESULT_OK);
    memset(&fresh, 0, sizeof fresh);
    assert_int_equal(boot_init(&fresh), 0);
    assert_int_equal(boot_verify_image(&fresh, 1, true, NULL),
                     FOTA_ERR_CORRUPT);
    free(img);
}

/* Bytes the bus changes after they were hashed make the commit hash the
 * slot itself: a hashed word programmed again (bits cleared), a second
 * erase followed by a partial image. Ranges out of order are hashed at
 * commit too, and a good image so written commits. */
static void test_commit_landed_fallbacks(void **state)
{
    proto_fix_t *fx = *state;
    uint8_t *img = malloc(IMG_LEN);
    uint32_t at = FOTA_IMAGE_HDR_SIZE + 1024;
    uint8_t w[4];

    proto_image_build(img, 1, IMG_BODY, 2, 1, 17);
    while (img[at] == 0)
        at += 4; /* a word with a bit to clear */
    assert_int_equal(stream_image(fx, img, IMG_LEN, 1024), 0);
    ph_idle(&fx->host, 200);
    memcpy(w, img + at, 4);
    w[0] = (uint8_t)(w[0] & (w[0] - 1));
    assert_int_equal(ph_write_mem(&fx->host, SLOT_B + at, w, 4), 0);
    assert_int_equal(commit_b(fx), (uint8_t)-FOTA_ERR_CORRUPT);

    /* Erased again, then only the first chunk: nothing stale is used. */
    assert_int_equal(stream_image(fx, img, 1024, 1024), 0);
    assert_int_equal(commit_b(fx), (uint8_t)-FOTA_ERR_CORRUPT);

    /* Second half first, then the first: hashed at commit, and good. */
    assert_int_equal(stream_image(fx, img, 0, 1024), 0); /* the erase */
    for (uint32_t off = 10240; off < IMG_LEN; off += 1024) {
        uint8_t st = 0xEE;
        uint32_t n = IMG_LEN - off < 1024 ? IMG_LEN - off : 1024;

        assert_int_equal(ph_stream(&fx->host, SLOT_B + off, img + off, n, &st),
                         0);
        assert_int_equal(st, 0);
    }
    for (uint32_t off = 0; off < 10240; off += 1024) {
        uint8_t st = 0xEE;

        assert_int_equal(
            ph_stream(&fx->host, SLOT_B + off, img + off, 1024, &st), 0);
        assert_int_equal(st, 0);
    }
    assert_int_equal(commit_b(fx), FOTA_RESULT_OK);
    free(img);
}

/* ---- status block codec --------------------------------------------------- */

static void test_status_codec(void **state)
{
    fota_status_t a, b;
    uint8_t buf[FOTA_STATUS_SIZE + 4];
    (void)state;

    memset(&a, 0, sizeof a);
    a.format = FOTA_STATUS_FORMAT;
    a.proto_version = 0x11;
    a.active_slot = 1;
    a.inactive_slot = 0;
    a.journal_area = 2;
    a.attempts_left = 3;
    a.journal_flags = 0x81;
    a.journal_seq = 0x01020304;
    a.sec_floor = 0xA0B0C0D0;
    a.slot[0].state = FOTA_SLOT_REJECTED;
    a.slot[0].hdr_valid = 1;
    a.slot[0].version.major = 9;
    a.slot[0].version.minor = 8;
    a.slot[0].version.patch = 0x1234;
    a.slot[0].version.build = 0xDEADBEEF;
    a.slot[0].image_crc = 0x11223344;
    a.slot[1].state = FOTA_SLOT_PENDING;
    a.slot[1].version.patch = 7;
    a.slot_addr[0] = FOTA_SLOT_A_ADDR;
    a.slot_addr[1] = FOTA_SLOT_B_ADDR;
    a.slot_size = FOTA_SLOT_SIZE;
    a.stream_error = FOTA_ERR_CORRUPT;
    fota_status_encode(&a, buf);
    /* Little-endian fields at their documented offsets. */
    assert_int_equal(buf[8], 0x04);
    assert_int_equal(buf[11], 0x01);
    assert_int_equal(fota_get_le16(buf + 20), 0x1234);
    assert_int_equal(fota_get_le32(buf + 48), FOTA_SLOT_A_ADDR);
    assert_int_equal(fota_get_le32(buf + 60), (uint32_t)-84);
    memset(&b, 0x77, sizeof b);
    assert_int_equal(fota_status_decode(&b, buf, FOTA_STATUS_SIZE), 0);
    assert_int_equal(b.stream_error, FOTA_ERR_CORRUPT);
    assert_int_equal(b.sec_floor, 0xA0B0C0D0);
    assert_int_equal(b.slot[0].version.build, 0xDEADBEEF);
    assert_int_equal(b.slot[0].version.patch, 0x1234);
    assert_int_equal(b.slot[1].state, FOTA_SLOT_PENDING);
    assert_int_equal(b.journal_flags, 0x81);
    fota_status_encode(&b, buf + 0);
    {
        uint8_t again[FOTA_STATUS_SIZE];
        fota_status_encode(&a, again);
        assert_memory_equal(again, buf, FOTA_STATUS_SIZE);
    }
    /* Refused: short, format 0, bad slot numbers, reserved bytes. */
    assert_int_equal(fota_status_decode(&b, buf, FOTA_STATUS_SIZE - 1),
                     FOTA_ERR_PROTO);
    buf[0] = 0;
    assert_int_equal(fota_status_decode(&b, buf, FOTA_STATUS_SIZE),
                     FOTA_ERR_PROTO);
    buf[0] = 1;
    buf[3] = 2;
    assert_int_equal(fota_status_decode(&b, buf, FOTA_STATUS_SIZE),
                     FOTA_ERR_CORRUPT);
    buf[3] = 0;
    buf[16 + 6] = 1;
    assert_int_equal(fota_status_decode(&b, buf, FOTA_STATUS_SIZE),
                     FOTA_ERR_CORRUPT);
    buf[16 + 6] = 0;
    /* A newer format decodes its first 64 bytes. */
    buf[0] = 2;
    assert_int_equal(fota_status_decode(&b, buf, sizeof buf), 0);
    assert_int_equal(b.format, 2);
}

#define BOTH(t)                                                                \
    cmocka_unit_test_setup_teardown(t, setup_spi, teardown),                   \
        cmocka_unit_test_setup_teardown(t, setup_uart, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        BOTH(test_sync_and_get),
        BOTH(test_get_version),
        BOTH(test_get_id),
        BOTH(test_read_memory),
        BOTH(test_read_refused),
        BOTH(test_read_bad_count),
        BOTH(test_write_memory),
        BOTH(test_write_refused),
        BOTH(test_write_malformed),
        BOTH(test_erase),
        BOTH(test_erase_refused),
        BOTH(test_erase_malformed),
        BOTH(test_checksum),
        BOTH(test_go),
        BOTH(test_bad_frames),
        BOTH(test_truncated_then_timeout),
        BOTH(test_garbage_before_sync),
        BOTH(test_reset_link),
        BOTH(test_status),
        BOTH(test_special_malformed),
        BOTH(test_reboot_op),
        BOTH(test_stream_write),
        BOTH(test_stream_flow_control),
        BOTH(test_stream_refused),
        BOTH(test_stream_sticky_error),
        BOTH(test_commit_good),
        BOTH(test_commit_corrupt),
        BOTH(test_commit_landed_digest),
        BOTH(test_commit_landed_fallbacks),
        cmocka_unit_test(test_status_codec),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
