/*
 * test_boot_proto_rxwin.c - the command engine's SPI bulk-receive window
 * (boot_proto_spi_rx_window / _done, boot_proto.h), the path the STM32
 * port takes to receive Write Memory data and streaming-write buffers by
 * DMA. Every scenario runs twice or more on a fresh fixture: once with one
 * boot_proto_spi_exchange() per byte (the reference) and once per way of
 * using the window (whole, in parts, part by window and the rest byte by
 * byte, torn by a CS release). The engine's answers and the whole flash
 * array must come out identical, and the reference itself must be right.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fota/fota_err.h"
#include "fota/fota_layout.h"
#include "fota/fota_le.h"
#include "fota/fota_proto.h"
#include "proto_host.h"

#define SLOT_B_ADDR ((uint32_t)FOTA_SLOT_B_ADDR)
#define LOG_MAX 128

/* How payload bytes reach the engine. */
typedef struct path {
    const char *name;
    bool window;  /* false: one exchange per byte (the reference) */
    size_t part;  /* the window is reported in parts of this size; 0 = whole */
    size_t limit; /* at most this many bytes of a phase by window, the rest
                   * byte by byte (a DMA stopped early); 0 = no limit */
} path_t;

typedef struct rig {
    proto_fix_t fx;
    const path_t *path;
    int log[LOG_MAX]; /* every answer the host saw, in order */
    size_t nlog;
    size_t win_bytes; /* payload bytes that went through the window */
} rig_t;

static const path_t s_ref = {"byte by byte", false, 0, 0};
static const path_t s_paths[] = {
    {"whole window", true, 0, 0},
    {"window in parts of 100", true, 100, 0},
    {"window in single bytes", true, 1, 0},
    {"window cut at 200, rest by exchange", true, 0, 200},
    {"parts of 64 cut at 130", true, 64, 130},
};

static void note(rig_t *r, int v)
{
    assert_true(r->nlog < LOG_MAX);
    r->log[r->nlog++] = v;
}

static proto_host_t *host(rig_t *r)
{
    return &r->fx.host;
}

static size_t window(rig_t *r)
{
    uint8_t *dst = NULL;

    return boot_proto_spi_rx_window(&r->fx.eng, &dst);
}

/* One byte that is not payload: no window may be open around it. */
static uint8_t ctl_byte(rig_t *r, uint8_t b)
{
    uint8_t got = ph_byte(host(r), b);

    if (r->path->window)
        assert_int_equal(window(r), 0);
    return got;
}

static uint8_t xor_of(const uint8_t *b, size_t n)
{
    uint8_t x = 0;

    for (size_t i = 0; i < n; i++)
        x ^= b[i];
    return x;
}

/* Land k bytes in the window as a DMA transfer would: they take their
 * link time, the engine is told once they are all in, then the port's loop
 * polls it. */
static void dma_in(rig_t *r, uint8_t *dst, const uint8_t *b, size_t k)
{
    proto_host_t *h = host(r);

    memcpy(dst, b, k);
    sim_flash_advance_ns(h->flash, (uint64_t)k * h->byte_ns);
    h->exchanges += k;
    boot_proto_spi_rx_window_done(&r->fx.eng, k);
    boot_proto_poll(&r->fx.eng, NULL, 0, NULL);
    r->win_bytes += k;
}

/*
 * The n payload bytes of the phase in progress, by the rig's path. On a
 * window path the first window offered must be expect_win bytes, and once
 * the window is used up the engine must want the next byte itself.
 */
static void send_payload(rig_t *r, const uint8_t *b, size_t n,
                         size_t expect_win)
{
    const path_t *p = r->path;
    size_t i = 0;

    if (p->window) {
        size_t budget = p->limit ? p->limit : n;
        bool first = true;

        while (i < n && budget > 0) {
            uint8_t *dst = NULL;
            size_t w = boot_proto_spi_rx_window(&r->fx.eng, &dst);
            size_t k;

            if (first)
                assert_int_equal(w, expect_win);
            first = false;
            if (w == 0)
                break;
            assert_non_null(dst);
            k = w < n - i ? w : n - i;
            if (k > budget)
                k = budget;
            if (p->part && k > p->part)
                k = p->part;
            dma_in(r, dst, b + i, k);
            i += k;
            budget -= k;
        }
        if (i == expect_win)
            assert_int_equal(window(r), 0);
        /* The slave's output during a window is undefined; the port
         * loads the busy byte again before the next exchange. */
        host(r)->spi_preload = FOTA_PROTO_BUSY;
    }
    for (; i < n; i++)
        ph_byte(host(r), b[i]);
}

/* Write Memory of n bytes at addr. bad_bit >= 0 flips that bit of the
 * payload after its XOR was computed (a corrupted transfer). Returns the
 * final answer. */
static int write_mem(rig_t *r, uint32_t addr, const uint8_t *data, size_t n,
                     int bad_bit)
{
    uint8_t a[4], hdr = (uint8_t)(n - 1), sent[FOTA_PROTO_MAX_RW];
    int ack;

    note(r, ph_cmd(host(r), FOTA_CMD_WRITE_MEMORY));
    if (r->path->window)
        assert_int_equal(window(r), 0);
    fota_put_be32(a, addr);
    for (int i = 0; i < 4; i++)
        ctl_byte(r, a[i]);
    ctl_byte(r, xor_of(a, 4));
    ack = ph_ack(host(r), 100);
    note(r, ack);
    if (ack != FOTA_PROTO_ACK)
        return ack; /* refused address: the frame ends here */
    /* Before the size byte the engine does not know the length. */
    if (r->path->window)
        assert_int_equal(window(r), 0);
    ph_byte(host(r), hdr);
    memcpy(sent, data, n);
    if (bad_bit >= 0)
        sent[bad_bit / 8] ^= (uint8_t)(1u << (bad_bit % 8));
    send_payload(r, sent, n, n);
    ph_byte(host(r), (uint8_t)(hdr ^ xor_of(data, n)));
    ack = ph_ack(host(r), 1000);
    note(r, ack);
    return ack;
}

/* Read Memory: no phase of it is ever offered as a window. */
static void read_mem(rig_t *r, uint32_t addr, uint8_t *buf, size_t n)
{
    uint8_t a[4];

    note(r, ph_cmd(host(r), FOTA_CMD_READ_MEMORY));
    fota_put_be32(a, addr);
    for (int i = 0; i < 4; i++)
        ctl_byte(r, a[i]);
    ctl_byte(r, xor_of(a, 4));
    note(r, ph_ack(host(r), 100));
    ctl_byte(r, (uint8_t)(n - 1));
    ctl_byte(r, (uint8_t) ~(n - 1));
    note(r, ph_ack(host(r), 100));
    ctl_byte(r, FOTA_PROTO_DUMMY);
    for (size_t i = 0; i < n; i++)
        buf[i] = ctl_byte(r, FOTA_PROTO_DUMMY);
}

/* Streaming write (Extended Special FOTA_OP_STREAM_WRITE) of n bytes at
 * addr (n may exceed the chunk, to test the refusal). bad_bit as for
 * write_mem. Returns the buffer-2 answer; the answer's size and status
 * byte go to the log. */
static int stream(rig_t *r, uint32_t addr, const uint8_t *data, size_t n,
                  int bad_bit)
{
    uint8_t o[2], b1[6], sz[2], ans[3];
    uint8_t *sent = malloc(n);
    size_t win = n < FOTA_PROTO_STREAM_MAX ? n : FOTA_PROTO_STREAM_MAX;
    int ack;

    assert_non_null(sent);
    note(r, ph_cmd(host(r), FOTA_CMD_EXTENDED_SPECIAL));
    fota_put_be16(o, FOTA_OP_STREAM_WRITE);
    ctl_byte(r, o[0]);
    ctl_byte(r, o[1]);
    ctl_byte(r, xor_of(o, 2));
    note(r, ph_ack(host(r), 100));
    /* Buffer 1 (the address) is never a window. */
    fota_put_be16(b1, 4);
    fota_put_be32(b1 + 2, addr);
    for (int i = 0; i < 6; i++)
        ctl_byte(r, b1[i]);
    ctl_byte(r, xor_of(b1, 6));
    note(r, ph_ack(host(r), 100));
    fota_put_be16(sz, (uint16_t)n);
    ph_byte(host(r), sz[0]);
    if (r->path->window)
        assert_int_equal(window(r), 0); /* half a size header */
    ph_byte(host(r), sz[1]);
    memcpy(sent, data, n);
    if (bad_bit >= 0)
        sent[bad_bit / 8] ^= (uint8_t)(1u << (bad_bit % 8));
    send_payload(r, sent, n, win);
    ph_byte(host(r), (uint8_t)(xor_of(sz, 2) ^ xor_of(data, n)));
    ack = ph_ack(host(r), 100);
    note(r, ack);
    if (ack == FOTA_PROTO_ACK) {
        assert_int_equal(ph_read(host(r), ans, 3), 0);
        note(r, fota_get_be16(ans));
        note(r, ans[2]);
        note(r, ph_ack(host(r), 100));
    }
    free(sent);
    return ack;
}

static void pattern(uint8_t *b, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)(i * 29u + seed * 101u + (i >> 8));
}

static bool erased(const rig_t *r, uint32_t addr, size_t n)
{
    const uint8_t *m = r->fx.flash->mem + (addr - FOTA_FLASH_BASE);

    for (size_t i = 0; i < n; i++)
        if (m[i] != 0xFF)
            return false;
    return true;
}

static void assert_flash(const rig_t *r, uint32_t addr, const uint8_t *want,
                         size_t n)
{
    assert_memory_equal(r->fx.flash->mem + (addr - FOTA_FLASH_BASE), want, n);
}

/* ---- scenarios (the same host actions on every path) -------------------- */

static void sc_write_memory(rig_t *r)
{
    uint8_t d[256], back[256];

    pattern(d, sizeof d, 1);
    assert_int_equal(write_mem(r, SLOT_B_ADDR, d, 256, -1), FOTA_PROTO_ACK);
    assert_flash(r, SLOT_B_ADDR, d, 256);
    pattern(d, sizeof d, 2);
    assert_int_equal(write_mem(r, SLOT_B_ADDR + 256, d, 8, -1), FOTA_PROTO_ACK);
    assert_flash(r, SLOT_B_ADDR + 256, d, 8);
    pattern(d, sizeof d, 3);
    assert_int_equal(write_mem(r, SLOT_B_ADDR + 0x400, d, 252, -1),
                     FOTA_PROTO_ACK);
    assert_flash(r, SLOT_B_ADDR + 0x400, d, 252);
    /* Read back over the bus: the same bytes, no window on the way. */
    read_mem(r, SLOT_B_ADDR + 0x400, back, 252);
    assert_memory_equal(back, d, 252);
    /* A length that is not whole words: the whole word is programmed, the
     * 2-byte tail is held back until a command that reads flash, then
     * programmed with 0xFF after it. */
    assert_int_equal(write_mem(r, SLOT_B_ADDR + 0x800, d, 6, -1),
                     FOTA_PROTO_ACK);
    assert_flash(r, SLOT_B_ADDR + 0x800, d, 4);
    assert_true(erased(r, SLOT_B_ADDR + 0x804, 4));
    read_mem(r, SLOT_B_ADDR + 0x800, back, 8);
    assert_memory_equal(back, d, 6);
    assert_int_equal(back[6], 0xFF);
    assert_int_equal(back[7], 0xFF);
    assert_flash(r, SLOT_B_ADDR + 0x800, back, 8);
    /* The running slot is refused at its address, before any window. */
    assert_int_equal(write_mem(r, (uint32_t)FOTA_SLOT_A_ADDR, d, 256, -1),
                     FOTA_PROTO_NACK);
}

static void sc_write_memory_bad_checksum(rig_t *r)
{
    uint8_t d[256];

    pattern(d, sizeof d, 4);
    /* A bit flipped early, in the middle, and in the last payload byte:
     * wherever the window path puts it, the XOR must catch it. */
    assert_int_equal(write_mem(r, SLOT_B_ADDR, d, 256, 3), FOTA_PROTO_NACK);
    assert_int_equal(write_mem(r, SLOT_B_ADDR, d, 256, 150 * 8 + 6),
                     FOTA_PROTO_NACK);
    assert_int_equal(write_mem(r, SLOT_B_ADDR, d, 256, 255 * 8),
                     FOTA_PROTO_NACK);
    assert_true(erased(r, SLOT_B_ADDR, 256));
    /* The engine is ready for the next frame, which lands. */
    assert_int_equal(write_mem(r, SLOT_B_ADDR, d, 256, -1), FOTA_PROTO_ACK);
    assert_flash(r, SLOT_B_ADDR, d, 256);
}

/* CS released after 120 payload bytes of a Write Memory. On a window path
 * the port either reported the bytes before the release (done_first) or
 * only after it, when the engine has dropped the frame already. */
static void torn_write(rig_t *r, const uint8_t *d, bool done_first)
{
    uint8_t a[4];

    note(r, ph_cmd(host(r), FOTA_CMD_WRITE_MEMORY));
    fota_put_be32(a, SLOT_B_ADDR);
    ph_bytes_xor(host(r), a, 4);
    note(r, ph_ack(host(r), 100));
    ph_byte(host(r), 255);
    if (!r->path->window) {
        ph_bytes(host(r), d, 120);
        boot_proto_reset_link(&r->fx.eng);
    } else {
        uint8_t *dst = NULL;

        assert_int_equal(boot_proto_spi_rx_window(&r->fx.eng, &dst), 256);
        if (done_first) {
            dma_in(r, dst, d, 120);
            boot_proto_reset_link(&r->fx.eng);
        } else {
            memcpy(dst, d, 120);
            boot_proto_reset_link(&r->fx.eng);
            /* Late report of a dead frame: ignored. */
            boot_proto_spi_rx_window_done(&r->fx.eng, 120);
            r->win_bytes += 120;
        }
        assert_int_equal(window(r), 0);
    }
    ph_idle(host(r), 5);
}

static void sc_torn_by_cs(rig_t *r, bool done_first)
{
    uint8_t d[256], d2[256];

    pattern(d, sizeof d, 5);
    pattern(d2, sizeof d2, 6);
    torn_write(r, d, done_first);
    assert_true(erased(r, SLOT_B_ADDR, 256));
    /* The rest of the torn frame, clocked by a host that did not notice,
     * is not a frame: nothing is written. */
    ph_bytes(host(r), d + 120, 136);
    ph_byte(host(r), (uint8_t)(255 ^ xor_of(d, 256)));
    /* Should those bytes have looked like a frame start, let it expire. */
    ph_idle(host(r), FOTA_PROTO_BYTE_TIMEOUT_MS + 100);
    assert_true(erased(r, SLOT_B_ADDR, 256));
    /* Starting over works, whichever data comes. */
    assert_int_equal(write_mem(r, SLOT_B_ADDR, d2, 256, -1), FOTA_PROTO_ACK);
    assert_flash(r, SLOT_B_ADDR, d2, 256);
}

static void sc_torn_done_first(rig_t *r)
{
    sc_torn_by_cs(r, true);
}

static void sc_torn_done_late(rig_t *r)
{
    sc_torn_by_cs(r, false);
}

static void sc_stream(rig_t *r)
{
    uint8_t *d = malloc(3 * FOTA_PROTO_STREAM_MAX);
    uint8_t back[256];
    const size_t sizes[3] = {FOTA_PROTO_STREAM_MAX, FOTA_PROTO_STREAM_MAX, 512};
    uint32_t off = 0;

    assert_non_null(d);
    pattern(d, 3 * FOTA_PROTO_STREAM_MAX, 7);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(
            stream(r, SLOT_B_ADDR + 0x2000 + off, d + off, sizes[i], -1),
            FOTA_PROTO_ACK);
        off += (uint32_t)sizes[i];
    }
    ph_idle(host(r), 50); /* the queued chunks get programmed */
    assert_flash(r, SLOT_B_ADDR + 0x2000, d, off);
    /* A corrupted buffer 2: NACK, nothing queued. */
    assert_int_equal(stream(r, SLOT_B_ADDR + 0x4000, d, 1024, 700 * 8 + 1),
                     FOTA_PROTO_NACK);
    ph_idle(host(r), 50);
    assert_true(erased(r, SLOT_B_ADDR + 0x4000, 1024));
    /* An oversize buffer 2 (1028 bytes): the window stops at the chunk's
     * 1024, the rest is counted byte by byte, and the frame is refused. */
    {
        uint8_t *big = malloc(FOTA_PROTO_STREAM_MAX + 4);

        assert_non_null(big);
        pattern(big, FOTA_PROTO_STREAM_MAX + 4, 8);
        assert_int_equal(
            stream(r, SLOT_B_ADDR + 0x4000, big, FOTA_PROTO_STREAM_MAX + 4, -1),
            FOTA_PROTO_NACK);
        free(big);
    }
    ph_idle(host(r), 50);
    assert_true(erased(r, SLOT_B_ADDR + 0x4000, 1024));
    /* The stream goes on after the refusals, and its status is clean. */
    assert_int_equal(stream(r, SLOT_B_ADDR + 0x4000, d, 64, -1),
                     FOTA_PROTO_ACK);
    assert_int_equal(r->log[r->nlog - 2], FOTA_RESULT_OK);
    ph_idle(host(r), 50);
    assert_flash(r, SLOT_B_ADDR + 0x4000, d, 64);
    read_mem(r, SLOT_B_ADDR + 0x2000 + 1000, back, 256);
    assert_memory_equal(back, d + 1000, 256);
    free(d);
}

/* ---- runner ---------------------------------------------------------------- */

typedef struct outcome {
    int log[LOG_MAX];
    size_t nlog;
    uint8_t *flash; /* the whole array afterwards */
    size_t win_bytes;
} outcome_t;

static void run(const path_t *p, void (*sc)(rig_t *), outcome_t *o)
{
    rig_t *r = calloc(1, sizeof *r);

    assert_non_null(r);
    proto_fix_setup(&r->fx, BOOT_LINK_SPI);
    r->path = p;
    sc(r);
    assert_int_equal(r->fx.flash->overwrites, 0);
    memcpy(o->log, r->log, sizeof o->log);
    o->nlog = r->nlog;
    o->win_bytes = r->win_bytes;
    o->flash = malloc(FOTA_FLASH_SIZE);
    assert_non_null(o->flash);
    memcpy(o->flash, r->fx.flash->mem, FOTA_FLASH_SIZE);
    proto_fix_teardown(&r->fx);
    free(r);
}

/* The scenario on the reference path, then on every window path: the same
 * answers, the same flash, and the window really carried the payload. */
static void compare_paths(void (*sc)(rig_t *))
{
    outcome_t ref, got;

    run(&s_ref, sc, &ref);
    assert_true(ref.nlog > 0);
    assert_int_equal(ref.win_bytes, 0);
    for (size_t i = 0; i < sizeof s_paths / sizeof s_paths[0]; i++) {
        run(&s_paths[i], sc, &got);
        print_message("  %-40s %zu answers, %zu bytes by window\n",
                      s_paths[i].name, got.nlog, got.win_bytes);
        assert_true(got.win_bytes > 0);
        assert_int_equal(got.nlog, ref.nlog);
        assert_memory_equal(got.log, ref.log, ref.nlog * sizeof ref.log[0]);
        assert_memory_equal(got.flash, ref.flash, FOTA_FLASH_SIZE);
        free(got.flash);
    }
    free(ref.flash);
}

static void write_memory_by_window(void **state)
{
    (void)state;
    compare_paths(sc_write_memory);
}

static void write_memory_bad_checksum_by_window(void **state)
{
    (void)state;
    compare_paths(sc_write_memory_bad_checksum);
}

static void window_torn_by_cs_release(void **state)
{
    (void)state;
    compare_paths(sc_torn_done_first);
    compare_paths(sc_torn_done_late);
}

static void stream_write_by_window(void **state)
{
    (void)state;
    compare_paths(sc_stream);
}

/* The UART link has no window: every byte goes through the engine. */
static void no_window_on_uart(void **state)
{
    proto_fix_t *fx = calloc(1, sizeof *fx);
    uint8_t a[4], *dst = NULL;

    (void)state;
    assert_non_null(fx);
    proto_fix_setup(fx, BOOT_LINK_UART);
    assert_int_equal(ph_sync(&fx->host), FOTA_PROTO_ACK);
    assert_int_equal(ph_cmd(&fx->host, FOTA_CMD_WRITE_MEMORY), FOTA_PROTO_ACK);
    fota_put_be32(a, SLOT_B_ADDR);
    ph_bytes_xor(&fx->host, a, 4);
    assert_int_equal(ph_ack(&fx->host, 100), FOTA_PROTO_ACK);
    ph_byte(&fx->host, 255);
    assert_int_equal(boot_proto_spi_rx_window(&fx->eng, &dst), 0);
    proto_fix_teardown(fx);
    free(fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(write_memory_by_window),
        cmocka_unit_test(write_memory_bad_checksum_by_window),
        cmocka_unit_test(window_torn_by_cs_release),
        cmocka_unit_test(stream_write_by_window),
        cmocka_unit_test(no_window_on_uart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
