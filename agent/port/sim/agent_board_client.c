/*
 * agent_board_client.c - agent ports on a `fota board` socket (see
 * agent_board_client.h; the framing is in docs/virtual-board.md).
 */
#define _POSIX_C_SOURCE 200809L

#include "agent_board_client.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "fota/fota_err.h"
#include "fota/fota_le.h"

#define BC_MSG_MAX 4096u /* payload bytes per message (the board's limit) */

#define BC_XFER 'X'
#define BC_NSS 'N'
#define BC_NRST 'R'
#define BC_WAIT 'W'
#define BC_HZ 'H'
#define BC_TIME 'T'
#define BC_OK 'K'

/* One W request runs at most this much simulated time, so that the reply
 * deadline stays meaningful for long sleeps. */
#define BC_WAIT_CHUNK_US 1000000u
/* Wall-clock ms allowed per simulated ms of a W (board speed >= 1/60). */
#define BC_WAIT_WALL_FACTOR 60u

static uint64_t bc_host_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int bc_fail(agent_board_client_t *c, int rc)
{
    if (!c->failed) {
        c->failed = true;
        c->fail_host_ms = bc_host_ms();
    }
    return rc;
}

static int bc_write_all(agent_board_client_t *c, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return bc_fail(c, FOTA_ERR_IO);
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Read exactly n bytes before the host-clock deadline. */
static int bc_read_all(agent_board_client_t *c, uint8_t *p, size_t n,
                       uint64_t deadline)
{
    while (n) {
        uint64_t now = bc_host_ms();
        struct pollfd pf = {.fd = c->fd, .events = POLLIN};
        ssize_t r;
        int pr;

        if (now >= deadline)
            return bc_fail(c, FOTA_ERR_TIMEOUT);
        pr = poll(&pf, 1,
                  (int)(deadline - now > 60000u ? 60000u : deadline - now));
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr < 0)
            return bc_fail(c, FOTA_ERR_IO);
        if (pr == 0)
            continue;
        r = recv(c->fd, p, n, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return bc_fail(c, FOTA_ERR_IO);
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

/* Put one message header + payload at out; returns its length. */
static size_t bc_frame(uint8_t *out, uint8_t type, const uint8_t *payload,
                       uint16_t len)
{
    out[0] = type;
    fota_put_le16(out + 1, len);
    if (len)
        memcpy(out + 3, payload, len);
    return 3u + len;
}

/* Read one reply, which must be of type want with exactly len payload
 * bytes (into data, may be NULL when len is 0). */
static int bc_reply(agent_board_client_t *c, uint8_t want, uint8_t *data,
                    uint16_t len, uint64_t deadline)
{
    uint8_t h[3];
    int rc = bc_read_all(c, h, 3, deadline);

    if (rc < 0)
        return rc;
    if (h[0] != want || fota_get_le16(h + 1) != len)
        return bc_fail(
            c, FOTA_ERR_PROTO); /* out of step: nothing after is trusted */
    return len ? bc_read_all(c, data, len, deadline) : 0;
}

/* One request expecting K. */
static int bc_simple(agent_board_client_t *c, uint8_t type,
                     const uint8_t *payload, uint16_t len,
                     uint64_t extra_wall_ms)
{
    uint8_t msg[3 + 4];
    int rc;

    if (c->failed)
        return FOTA_ERR_IO;
    rc = bc_write_all(c, msg, bc_frame(msg, type, payload, len));
    if (rc < 0)
        return rc;
    return bc_reply(c, BC_OK, NULL, 0,
                    bc_host_ms() + AGENT_BOARD_REPLY_MS + extra_wall_ms);
}

/* Run the board for us microseconds of simulated time. */
static int bc_wait_us(agent_board_client_t *c, uint64_t us)
{
    while (us) {
        uint32_t step = us > BC_WAIT_CHUNK_US ? BC_WAIT_CHUNK_US : (uint32_t)us;
        uint8_t p[4];
        int rc;

        fota_put_le32(p, step);
        rc = bc_simple(c, BC_WAIT, p, 4,
                       (uint64_t)step * BC_WAIT_WALL_FACTOR / 1000u);
        if (rc < 0)
            return rc;
        /* The board ran at least that long (its clock also moves between
         * requests): a lower bound until the next T. */
        c->last_ns += (uint64_t)step * 1000u;
        us -= step;
    }
    return 0;
}

static int bc_read_time(agent_board_client_t *c, uint64_t *ns)
{
    uint8_t msg[3], t[8];
    int rc;

    if (c->failed)
        return FOTA_ERR_IO;
    rc = bc_write_all(c, msg, bc_frame(msg, BC_TIME, NULL, 0));
    if (rc == 0)
        rc = bc_reply(c, BC_TIME, t, 8, bc_host_ms() + AGENT_BOARD_REPLY_MS);
    if (rc < 0)
        return rc;
    *ns = (uint64_t)fota_get_le32(t) | (uint64_t)fota_get_le32(t + 4) << 32;
    c->last_ns = *ns;
    return 0;
}

/* ---- spi ---- */

static int bc_xfer(agent_spi_t *self, const uint8_t *tx, uint8_t *rx,
                   size_t len, uint32_t timeout_ms)
{
    agent_board_client_t *c =
        AGENT_CONTAINER_OF(self, agent_board_client_t, spi);
    static uint8_t msg[3 + 4 + 3 + BC_MSG_MAX];
    uint8_t gap[4];
    size_t done = 0;

    /* The board clocks the bytes whatever the firmware does, so the
     * transfer itself cannot stall; timeout_ms bounds nothing here beyond
     * the reply deadline. */
    (void)timeout_ms;
    if (c->failed)
        return FOTA_ERR_IO;
    c->xfers++;
    while (done < len) {
        uint16_t n =
            (uint16_t)(len - done > BC_MSG_MAX ? BC_MSG_MAX : len - done);
        size_t m = 0;
        int rc;

        if (done == 0 && c->xfer_gap_us) {
            fota_put_le32(gap, c->xfer_gap_us);
            m += bc_frame(msg, BC_WAIT, gap, 4);
        }
        msg[m] = BC_XFER;
        fota_put_le16(msg + m + 1, n);
        if (tx)
            memcpy(msg + m + 3, tx + done, n);
        else
            memset(msg + m + 3, 0, n);
        m += 3u + n;
        rc = bc_write_all(c, msg, m);
        if (rc == 0 && done == 0 && c->xfer_gap_us)
            rc = bc_reply(c, BC_OK, NULL, 0,
                          bc_host_ms() + AGENT_BOARD_REPLY_MS);
        /* msg is free again once written: read MISO into it unless the
         * caller wants it. */
        if (rc == 0)
            rc = bc_reply(c, BC_XFER, rx ? rx + done : msg, n,
                          bc_host_ms() + AGENT_BOARD_REPLY_MS);
        if (rc < 0)
            return rc;
        done += n;
    }
    return 0;
}

static int bc_set_cs(agent_spi_t *self, bool asserted)
{
    agent_board_client_t *c =
        AGENT_CONTAINER_OF(self, agent_board_client_t, spi);
    uint8_t level = asserted ? 0u : 1u;

    return bc_simple(c, BC_NSS, &level, 1, 0);
}

/* ---- gpio ---- */

static int bc_gpio_set(agent_gpio_t *self, unsigned pin, int level)
{
    agent_board_client_t *c =
        AGENT_CONTAINER_OF(self, agent_board_client_t, gpio);
    uint8_t hold = level == 0 ? 1u : 0u;

    if (pin != AGENT_PIN_NRST)
        return FOTA_ERR_INVAL; /* BOOT0 is strapped low on the board */
    return bc_simple(c, BC_NRST, &hold, 1, 0);
}

/* ---- clock ---- */

static uint32_t bc_now_ms(agent_clock_t *self)
{
    agent_board_client_t *c =
        AGENT_CONTAINER_OF(self, agent_board_client_t, clock);
    uint64_t ns;

    if (!c->failed && bc_read_time(c, &ns) == 0)
        return (uint32_t)(ns / 1000000u);
    /* The board is gone: carry on from the last time seen on the host's
     * clock, so the caller's deadlines still expire. */
    return (uint32_t)(c->last_ns / 1000000u + (bc_host_ms() - c->fail_host_ms));
}

static void bc_sleep_ms(agent_clock_t *self, uint32_t ms)
{
    agent_board_client_t *c =
        AGENT_CONTAINER_OF(self, agent_board_client_t, clock);
    struct timespec ts = {(time_t)(ms / 1000u), (long)(ms % 1000u) * 1000000L};

    if (!c->failed && bc_wait_us(c, (uint64_t)ms * 1000u) == 0)
        return;
    /* No board to run: still give up the CPU for that long. */
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static const agent_spi_ops_t s_bc_spi_ops = {.xfer = bc_xfer,
                                             .set_cs = bc_set_cs};
static const agent_gpio_ops_t s_bc_gpio_ops = {.set = bc_gpio_set};
static const agent_clock_ops_t s_bc_clock_ops = {.now_ms = bc_now_ms,
                                                 .sleep_ms = bc_sleep_ms};

int agent_board_client_set_hz(agent_board_client_t *c, uint32_t hz)
{
    uint8_t p[4];

    if (hz == 0)
        return FOTA_ERR_INVAL;
    fota_put_le32(p, hz);
    return bc_simple(c, BC_HZ, p, 4, 0);
}

int agent_board_client_open(agent_board_client_t *c, const char *path,
                            uint32_t hz)
{
    struct sockaddr_un sa;
    int rc;

    memset(c, 0, sizeof *c);
    c->fd = -1;
    c->xfer_gap_us = AGENT_BOARD_XFER_GAP_US;
    c->spi.ops = &s_bc_spi_ops;
    c->gpio.ops = &s_bc_gpio_ops;
    c->clock.ops = &s_bc_clock_ops;
    if (strlen(path) >= sizeof sa.sun_path)
        return FOTA_ERR_RANGE;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, path, strlen(path));
    c->fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (c->fd < 0)
        return FOTA_ERR_PLATFORM(errno);
    if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        rc = errno == ENOENT         ? FOTA_ERR_NOENT
             : errno == ECONNREFUSED ? FOTA_ERR_BUSY
                                     : FOTA_ERR_PLATFORM(errno);
        goto out;
    }
    if (hz) {
        rc = agent_board_client_set_hz(c, hz);
        if (rc < 0)
            goto out;
    }
    rc = bc_read_time(c, &c->open_ns);
out:
    if (rc < 0) {
        close(c->fd);
        c->fd = -1;
    }
    return rc;
}

void agent_board_client_close(agent_board_client_t *c)
{
    uint8_t high = 1;

    if (c->fd < 0)
        return;
    /* CS floats high when the master goes away; the agent's protocol code
     * has already released NRST (enter/release pair it). */
    (void)bc_simple(c, BC_NSS, &high, 1, 0);
    close(c->fd);
    c->fd = -1;
}

int agent_board_client_read_ns(agent_board_client_t *c, uint64_t *ns)
{
    return bc_read_time(c, ns);
}

int agent_board_client_wait_us(agent_board_client_t *c, uint64_t us)
{
    if (c->failed)
        return FOTA_ERR_IO;
    return bc_wait_us(c, us);
}

uint64_t agent_board_client_time_ns(const agent_board_client_t *c)
{
    return c->last_ns - c->open_ns;
}
