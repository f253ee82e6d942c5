/*
 * vb_host.c - the AN4286 SPI host of vb_host.h on the virtual board.
 */
#include "vb_host.h"

#include <string.h>

#include "host_ack.h"
#include "fota/fota_err.h"
#include "fota/fota_le.h"
#include "fota/fota_proto.h"

void vbh_init(vb_host_t *h, vboard_t *b, uint32_t hz, uint32_t gap_ns)
{
    memset(h, 0, sizeof *h);
    h->b = b;
    h->hz = hz;
    h->gap_ns = gap_ns;
    h->txn_gap_ns = 1000;
    vboard_spi_set_hz(b, hz);
}

void vbh_xfer(vb_host_t *h, const uint8_t *tx, uint8_t *rx, size_t n)
{
    vboard_spi_set_hz(h->b, h->hz);
    if (h->txn_gap_ns)
        vboard_run_ns(h->b, h->txn_gap_ns);
    if (h->gap_ns == 0) {
        (void)vboard_spi_xfer(h->b, tx, rx, n);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (i)
            vboard_run_ns(h->b, h->gap_ns);
        (void)vboard_spi_xfer(h->b, tx ? tx + i : NULL, rx ? rx + i : NULL, 1);
    }
}

static uint8_t vbh_byte(vb_host_t *h, uint8_t b)
{
    uint8_t r = 0;

    vbh_xfer(h, &b, &r, 1);
    return r;
}

/* Poll until ACK/NACK; nothing else sent. */
static int vbh_poll(vb_host_t *h, uint32_t max_ms)
{
    uint64_t end = vboard_now_ns(h->b) + (uint64_t)max_ms * 1000000u;

    h->polls = 0;
    for (;;) {
        uint8_t r = vbh_byte(h, FOTA_PROTO_DUMMY);

        h->polls++;
        if (r == FOTA_PROTO_ACK || r == FOTA_PROTO_NACK)
            return r;
        if (vboard_now_ns(h->b) >= end)
            return VBH_TIMEOUT;
        /* At the byte rate first, then every 100 us, then every ms. */
        if (h->polls > 2000)
            vboard_run_ns(h->b, 1000000);
        else if (h->polls > 100)
            vboard_run_ns(h->b, 100000);
    }
}

int vbh_ack(vb_host_t *h, uint32_t max_ms)
{
    int r = vbh_poll(h, max_ms);

    if (r == VBH_TIMEOUT)
        return r;
    if (h->over_read)
        (void)vbh_byte(h, FOTA_PROTO_DUMMY);
    (void)vbh_byte(h, FOTA_PROTO_ACK);
    return r;
}

int vbh_sync(vb_host_t *h)
{
    (void)vbh_byte(h, FOTA_PROTO_SPI_SYNC);
    return vbh_ack(h, 100);
}

/* A command frame in one transfer, then its ACK. */
static int vbh_cmd(vb_host_t *h, uint8_t cmd)
{
    uint8_t f[3] = {FOTA_PROTO_SPI_SYNC, cmd, (uint8_t)~cmd};

    vbh_xfer(h, f, NULL, sizeof f);
    return vbh_ack(h, 100);
}

/* Bytes followed by their XOR (or the complement of a single byte), in one
 * transfer. */
static void vbh_send_xor(vb_host_t *h, const uint8_t *b, size_t n)
{
    uint8_t f[2 + 2 * 256 + 2];
    uint8_t x = n == 1 ? 0xFF : 0;

    for (size_t i = 0; i < n; i++) {
        f[i] = b[i];
        x ^= b[i];
    }
    f[n] = x;
    vbh_xfer(h, f, NULL, n + 1);
}

/* An answer of n bytes after its dummy, in one transfer (plus the
 * over-read byte if configured). */
static void vbh_answer(vb_host_t *h, uint8_t *buf, size_t n)
{
    uint8_t rx[1 + 300];
    size_t len = 1 + n + (h->over_read ? 1 : 0);

    vbh_xfer(h, NULL, rx, len);
    memcpy(buf, rx + 1, n);
}

/* The ACK that ends an answer: polled, or taken for granted. */
static int vbh_final_ack(vb_host_t *h)
{
    if (h->blind_ackack) {
        (void)vbh_byte(h, FOTA_PROTO_ACK);
        return FOTA_PROTO_ACK;
    }
    return vbh_ack(h, 100);
}

int vbh_get(vb_host_t *h, uint8_t *ver, uint8_t *cmds, size_t *ncmds)
{
    uint8_t a[2 + 10];

    HOST_TRY(vbh_cmd(h, FOTA_CMD_GET));
    vbh_answer(h, a, sizeof a);
    if (a[0] != 10)
        return FOTA_ERR_PROTO;
    *ver = a[1];
    memcpy(cmds, a + 2, 10);
    *ncmds = 10;
    return host_ack_rc(vbh_final_ack(h));
}

int vbh_get_version(vb_host_t *h, uint8_t *ver)
{
    HOST_TRY(vbh_cmd(h, FOTA_CMD_GET_VERSION));
    vbh_answer(h, ver, 1);
    return host_ack_rc(vbh_final_ack(h));
}

int vbh_get_id(vb_host_t *h, uint16_t *pid)
{
    uint8_t a[3];

    HOST_TRY(vbh_cmd(h, FOTA_CMD_GET_ID));
    vbh_answer(h, a, 3);
    if (a[0] != 1)
        return FOTA_ERR_PROTO;
    *pid = fota_get_be16(a + 1);
    return host_ack_rc(vbh_final_ack(h));
}

static void vbh_addr(vb_host_t *h, uint32_t addr)
{
    uint8_t a[4];

    fota_put_be32(a, addr);
    vbh_send_xor(h, a, 4);
}

int vbh_read(vb_host_t *h, uint32_t addr, uint8_t *buf, size_t n)
{
    uint8_t c = (uint8_t)(n - 1);

    HOST_TRY(vbh_cmd(h, FOTA_CMD_READ_MEMORY));
    vbh_addr(h, addr);
    HOST_TRY(vbh_ack(h, 100));
    vbh_send_xor(h, &c, 1);
    HOST_TRY(vbh_ack(h, 1000));
    vbh_answer(h, buf, n);
    return 0;
}

int vbh_write(vb_host_t *h, uint32_t addr, const uint8_t *buf, size_t n)
{
    uint8_t f[1 + 256];

    HOST_TRY(vbh_cmd(h, FOTA_CMD_WRITE_MEMORY));
    vbh_addr(h, addr);
    HOST_TRY(vbh_ack(h, 100));
    f[0] = (uint8_t)(n - 1);
    memcpy(f + 1, buf, n);
    vbh_send_xor(h, f, n + 1);
    return host_ack_rc(vbh_ack(h, 1000));
}

int vbh_erase(vb_host_t *h, const uint16_t *sectors, size_t n)
{
    uint8_t f[2 * 16];

    HOST_TRY(vbh_cmd(h, FOTA_CMD_EXTENDED_ERASE));
    fota_put_be16(f, (uint16_t)(n - 1));
    vbh_send_xor(h, f, 2);
    HOST_TRY(vbh_ack(h, 100));
    for (size_t i = 0; i < n; i++)
        fota_put_be16(f + 2 * i, sectors[i]);
    vbh_send_xor(h, f, 2 * n);
    if (h->sleep_ms)
        vboard_run_ns(h->b, (uint64_t)h->sleep_ms * 1000000u);
    return host_ack_rc(vbh_ack(h, 4000u * (uint32_t)n + 1000u));
}

int vbh_checksum(vb_host_t *h, uint32_t addr, uint32_t len, uint32_t *crc)
{
    uint8_t a[5];

    HOST_TRY(vbh_cmd(h, FOTA_CMD_GET_CHECKSUM));
    vbh_addr(h, addr);
    HOST_TRY(vbh_ack(h, 100));
    vbh_addr(h, len);
    HOST_TRY(vbh_ack(h, 100));
    HOST_TRY(vbh_ack(h, 2000));
    vbh_answer(h, a, 5);
    if ((a[0] ^ a[1] ^ a[2] ^ a[3]) != a[4])
        return FOTA_ERR_PROTO;
    *crc = fota_get_be32(a);
    return 0;
}
