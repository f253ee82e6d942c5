/*
 * proto_host.c - see proto_host.h.
 */
#include "proto_host.h"

#include <stdlib.h>
#include <string.h>

#include "boot_port.h"
#include "boot_port_host.h"
#include "host_ack.h"
#include "fota/fota_err.h"
#include "fota/fota_image.h"
#include "fota/fota_le.h"
#include "fota/fota_prng.h"
#include "fota/fota_proto.h"
#include "fota/fota_sha256.h"

/* Hard failures of the harness itself (not of the engine under test). */
static void ph_die(const char *what)
{
    (void)what;
    abort();
}

void proto_image_build(uint8_t *out, int slot, uint32_t body_size,
                       uint8_t major, uint8_t minor, uint32_t seed)
{
    fota_image_hdr_t hdr;
    uint8_t *body = out + FOTA_IMAGE_HDR_SIZE;
    uint32_t x = seed * 2654435761u + 1u;

    fota_prng_fill(&x, body, body_size);
    /* A plausible vector table: initial MSP at the top of SRAM, reset
     * handler inside the body (thumb bit set). */
    fota_put_le32(body, FOTA_NOINIT_ADDR);
    fota_put_le32(body + 4, (uint32_t)FOTA_SLOT_BODY_ADDR(slot) + 0x101u);

    fota_image_hdr_init(&hdr, slot, body_size, FOTA_PRODUCT_ID);
    hdr.version.major = major;
    hdr.version.minor = minor;
    hdr.version.build = seed;
    hdr.sec_counter = 1;
    fota_image_seal(&hdr, out, body);
}

void proto_image_install(sim_flash_t *f, int slot, const uint8_t *img,
                         size_t len)
{
    for (int s = 0; s < FOTA_SLOT_SECTORS; s++)
        if (sim_flash_erase_sector(
                f, (unsigned)(FOTA_SLOT_FIRST_SECTOR(slot) + s)))
            ph_die("erase");
    for (size_t off = 0; off < len; off += 4)
        if (sim_flash_program_word(
                f, (uint32_t)FOTA_SLOT_ADDR(slot) + (uint32_t)off,
                fota_get_le32(img + off)))
            ph_die("program");
}

void proto_fix_setup(proto_fix_t *fx, enum boot_link link)
{
    static uint8_t img[FOTA_IMAGE_HDR_SIZE + 4096];
    boot_decision_t d;

    fx->flash = malloc(sizeof *fx->flash);
    if (!fx->flash)
        ph_die("malloc");
    sim_flash_init(fx->flash, SIM_FLASH_TYPICAL);
    boot_port_host_bind(fx->flash);
    proto_image_build(img, 0, 4096, 1, 0, 7);
    proto_image_install(fx->flash, 0, img, sizeof img);
    if (boot_init(&fx->ctx) || boot_decide(&fx->ctx, &d) ||
        d.action != BOOT_ACTION_JUMP || d.slot != 0)
        ph_die("factory boot");
    if (boot_inactive_slot(&fx->ctx) != 1)
        ph_die("inactive slot");
    boot_proto_init(&fx->eng, &fx->ctx, link);
    ph_init(&fx->host, &fx->eng, fx->flash, link);
}

void proto_fix_teardown(proto_fix_t *fx)
{
    boot_port_host_bind(NULL);
    free(fx->flash);
    fx->flash = NULL;
}

void ph_init(proto_host_t *h, boot_proto_t *eng, sim_flash_t *f,
             enum boot_link link)
{
    memset(h, 0, sizeof *h);
    h->eng = eng;
    h->flash = f;
    h->link = (uint8_t)link;
    /* SPI at 1 MHz (8 us a byte plus gaps); UART at 115200 8N1. */
    h->spi_preload = FOTA_PROTO_BUSY; /* what an idle slave shifts out */
    h->byte_ns = link == BOOT_LINK_SPI ? 10000 : 86806;
}

static void ph_uart_take(proto_host_t *h, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (h->uart_len >= sizeof h->uart_rx)
            ph_die("uart fifo");
        h->uart_rx[(h->uart_head + h->uart_len++) % sizeof h->uart_rx] = b[i];
    }
}

/* The port's loop between bytes: poll the engine, collect UART output and
 * requests. */
static void ph_poll(proto_host_t *h)
{
    uint8_t out[64];
    size_t n = 0;

    boot_proto_poll(h->eng, out, sizeof out, &n);
    if (h->link == BOOT_LINK_UART)
        ph_uart_take(h, out, n);
    if (boot_proto_take_request(h->eng) == BOOT_REQ_REBOOT)
        h->requests++;
}

uint8_t ph_byte(proto_host_t *h, uint8_t b)
{
    uint8_t r = 0;

    sim_flash_advance_ns(h->flash, h->byte_ns);
    h->exchanges++;
    if (h->link == BOOT_LINK_SPI) {
        /* Full duplex: the master receives what the slave loaded before
         * this byte; the engine's answer is shifted out with the next. */
        r = h->spi_preload;
        h->spi_preload = boot_proto_spi_exchange(h->eng, b);
    } else {
        uint8_t out[8];
        size_t n = boot_proto_uart_rx(h->eng, b, out, sizeof out);

        ph_uart_take(h, out, n);
    }
    ph_poll(h);
    return r;
}

void ph_bytes(proto_host_t *h, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ph_byte(h, b[i]);
}

void ph_bytes_xor(proto_host_t *h, const uint8_t *b, size_t n)
{
    uint8_t x = 0;

    for (size_t i = 0; i < n; i++)
        x ^= b[i];
    ph_bytes(h, b, n);
    ph_byte(h, x);
}

void ph_idle(proto_host_t *h, uint32_t ms)
{
    for (uint32_t i = 0; i < ms * 10; i++) {
        sim_flash_advance_ns(h->flash, 100000);
        ph_poll(h);
    }
}

/* One UART byte from the engine within max_ms. */
static int ph_uart_get(proto_host_t *h, uint32_t max_ms)
{
    uint64_t end = h->flash->now_ns + (uint64_t)max_ms * 1000000u;
    uint8_t b;

    while (h->uart_len == 0) {
        if (h->flash->now_ns >= end)
            return PH_TIMEOUT;
        /* A byte time per wait, then coarser once the wait is long. */
        sim_flash_advance_ns(h->flash, h->polls < 200 ? h->byte_ns : 1000000);
        h->polls++;
        ph_poll(h);
    }
    b = h->uart_rx[h->uart_head];
    h->uart_head = (h->uart_head + 1) % sizeof h->uart_rx;
    h->uart_len--;
    return b;
}

int ph_ack(proto_host_t *h, uint32_t max_ms)
{
    uint64_t end = h->flash->now_ns + (uint64_t)max_ms * 1000000u;

    h->polls = 0;
    if (h->link == BOOT_LINK_UART) {
        int b = ph_uart_get(h, max_ms);

        if (b == FOTA_PROTO_ACK || b == FOTA_PROTO_NACK || b == PH_TIMEOUT)
            return b;
        return PH_TIMEOUT - 1; /* junk where an ACK belongs */
    }
    for (;;) {
        uint8_t r = ph_byte(h, FOTA_PROTO_DUMMY);

        h->polls++;
        if (r == FOTA_PROTO_ACK || r == FOTA_PROTO_NACK) {
            ph_byte(h, FOTA_PROTO_ACK); /* ACK-of-ACK, after a NACK too */
            return r;
        }
        if (h->flash->now_ns >= end)
            return PH_TIMEOUT;
        /* Poll at the byte rate first, then every millisecond, as a host
         * waiting out an erase would. */
        if (h->polls > 200)
            ph_idle(h, 1);
    }
}

int ph_sync(proto_host_t *h)
{
    if (h->link == BOOT_LINK_SPI) {
        ph_byte(h, FOTA_PROTO_SPI_SYNC);
        return ph_ack(h, 100);
    }
    ph_byte(h, FOTA_PROTO_UART_SYNC);
    return ph_ack(h, 100);
}

int ph_cmd(proto_host_t *h, uint8_t cmd)
{
    if (h->link == BOOT_LINK_SPI)
        ph_byte(h, FOTA_PROTO_SPI_SYNC);
    ph_byte(h, cmd);
    ph_byte(h, (uint8_t)~cmd);
    return ph_ack(h, 100);
}

static int ph_read_raw(proto_host_t *h, uint8_t *buf, size_t n, bool dummy)
{
    if (h->link == BOOT_LINK_SPI) {
        if (dummy)
            ph_byte(h, FOTA_PROTO_DUMMY);
        for (size_t i = 0; i < n; i++)
            buf[i] = ph_byte(h, FOTA_PROTO_DUMMY);
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        int b = ph_uart_get(h, 100);

        if (b < 0)
            return PH_TIMEOUT;
        buf[i] = (uint8_t)b;
    }
    return 0;
}

int ph_read(proto_host_t *h, uint8_t *buf, size_t n)
{
    return ph_read_raw(h, buf, n, true);
}

static void ph_addr(proto_host_t *h, uint32_t addr)
{
    uint8_t a[4];

    fota_put_be32(a, addr);
    ph_bytes_xor(h, a, 4);
}

int ph_get(proto_host_t *h, uint8_t *ver, uint8_t *cmds, size_t *ncmds)
{
    uint8_t n;
    uint8_t rest[256];

    HOST_TRY(ph_cmd(h, FOTA_CMD_GET));
    if (ph_read_raw(h, &n, 1, true) ||
        ph_read_raw(h, rest, (size_t)n + 1, false))
        return FOTA_ERR_TIMEOUT;
    *ver = rest[0];
    memcpy(cmds, rest + 1, n);
    *ncmds = n;
    return host_ack_rc(ph_ack(h, 100));
}

int ph_read_mem(proto_host_t *h, uint32_t addr, uint8_t *buf, size_t n)
{
    HOST_TRY(ph_cmd(h, FOTA_CMD_READ_MEMORY));
    ph_addr(h, addr);
    HOST_TRY(ph_ack(h, 100));
    ph_byte(h, (uint8_t)(n - 1));
    ph_byte(h, (uint8_t) ~(n - 1));
    HOST_TRY(ph_ack(h, 100));
    return ph_read(h, buf, n) ? FOTA_ERR_TIMEOUT : 0;
}

int ph_write_mem(proto_host_t *h, uint32_t addr, const uint8_t *buf, size_t n)
{
    uint8_t frame[258];

    HOST_TRY(ph_cmd(h, FOTA_CMD_WRITE_MEMORY));
    ph_addr(h, addr);
    HOST_TRY(ph_ack(h, 100));
    frame[0] = (uint8_t)(n - 1);
    memcpy(frame + 1, buf, n);
    ph_bytes_xor(h, frame, n + 1);
    return host_ack_rc(ph_ack(h, 1000));
}

int ph_erase(proto_host_t *h, const uint16_t *codes, size_t n)
{
    uint8_t frame[2 + 2 * 256];

    HOST_TRY(ph_cmd(h, FOTA_CMD_EXTENDED_ERASE));
    fota_put_be16(frame, (uint16_t)(n - 1));
    for (size_t i = 0; i < n; i++)
        fota_put_be16(frame + 2 + 2 * i, codes[i]);
    if (h->link == BOOT_LINK_SPI) {
        ph_bytes_xor(h, frame, 2);
        HOST_TRY(ph_ack(h, 100));
        ph_bytes_xor(h, frame + 2, 2 * n);
    } else {
        ph_bytes_xor(h, frame, 2 + 2 * n);
    }
    /* Datasheet maximum per 128 KiB sector (2 s) plus margin. */
    return host_ack_rc(ph_ack(h, 3000u * (uint32_t)n + 1000u));
}

int ph_erase_special(proto_host_t *h, uint16_t code)
{
    uint8_t frame[2];

    HOST_TRY(ph_cmd(h, FOTA_CMD_EXTENDED_ERASE));
    fota_put_be16(frame, code);
    ph_bytes_xor(h, frame, 2);
    return host_ack_rc(ph_ack(h, 40000));
}

int ph_checksum(proto_host_t *h, uint32_t addr, uint32_t len, uint32_t *crc)
{
    uint8_t a[5];

    HOST_TRY(ph_cmd(h, FOTA_CMD_GET_CHECKSUM));
    ph_addr(h, addr);
    HOST_TRY(ph_ack(h, 100));
    ph_addr(h, len);
    HOST_TRY(ph_ack(h, 100));
    HOST_TRY(ph_ack(h, 10000));
    if (ph_read(h, a, 5))
        return FOTA_ERR_TIMEOUT;
    if ((a[0] ^ a[1] ^ a[2] ^ a[3]) != a[4])
        return FOTA_ERR_PROTO;
    *crc = fota_get_be32(a);
    return 0;
}

int ph_go(proto_host_t *h, uint32_t addr)
{
    HOST_TRY(ph_cmd(h, FOTA_CMD_GO));
    ph_addr(h, addr);
    return host_ack_rc(ph_ack(h, 100));
}

static void ph_sized(proto_host_t *h, const uint8_t *in, size_t n)
{
    uint8_t frame[2 + 2 * FOTA_PROTO_SPECIAL_MAX2];

    fota_put_be16(frame, (uint16_t)n);
    if (n)
        memcpy(frame + 2, in, n);
    ph_bytes_xor(h, frame, 2 + n);
}

int ph_special(proto_host_t *h, uint16_t op, const uint8_t *in, size_t in_len,
               uint8_t *data, size_t cap, size_t *dlen, uint8_t *status)
{
    uint8_t o[2];
    uint8_t sz[2];
    uint16_t n;

    HOST_TRY(ph_cmd(h, FOTA_CMD_SPECIAL));
    fota_put_be16(o, op);
    ph_bytes_xor(h, o, 2);
    HOST_TRY(ph_ack(h, 100));
    ph_sized(h, in, in_len);
    HOST_TRY(ph_ack(h, 20000));
    if (ph_read_raw(h, sz, 2, true))
        return FOTA_ERR_TIMEOUT;
    n = fota_get_be16(sz);
    if (n > cap)
        return FOTA_ERR_PROTO;
    if (ph_read_raw(h, data, n, false) || ph_read_raw(h, sz, 2, false))
        return FOTA_ERR_TIMEOUT;
    *dlen = n;
    if (fota_get_be16(sz) != 1 || ph_read_raw(h, status, 1, false))
        return FOTA_ERR_PROTO;
    return host_ack_rc(ph_ack(h, 100));
}

int ph_stream(proto_host_t *h, uint32_t addr, const uint8_t *buf, size_t n,
              uint8_t *status)
{
    uint8_t o[2];
    uint8_t a[4];
    uint8_t sz[2];

    HOST_TRY(ph_cmd(h, FOTA_CMD_EXTENDED_SPECIAL));
    fota_put_be16(o, FOTA_OP_STREAM_WRITE);
    ph_bytes_xor(h, o, 2);
    HOST_TRY(ph_ack(h, 100));
    fota_put_be32(a, addr);
    ph_sized(h, a, 4);
    HOST_TRY(ph_ack(h, 100));
    ph_sized(h, buf, n);
    HOST_TRY(ph_ack(h, 100));
    if (ph_read_raw(h, sz, 2, true))
        return FOTA_ERR_TIMEOUT;
    if (fota_get_be16(sz) != 1 || ph_read_raw(h, status, 1, false))
        return FOTA_ERR_PROTO;
    return host_ack_rc(ph_ack(h, 100));
}
