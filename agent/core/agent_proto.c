/*
 * agent_proto.c - AN4286 SPI client of the bootloader (see agent_proto.h
 * and docs/protocol.md).
 *
 * Byte flow reminders that shape this file:
 *  - the slave can only answer a byte in the exchange after the one that
 *    carried the question, so every answer starts with a dummy byte that
 *    is clocked and thrown away;
 *  - the ACK procedure is: clock 0x00 until 0x79 or 0x1F shows up, then
 *    send 0x79 (also after a NACK, or an OpenBL-style slave hangs);
 *  - a long operation (erase, programming, draining the streaming queue)
 *    simply delays the ACK; the slave answers FOTA_PROTO_BUSY meanwhile.
 */
#include "agent_proto.h"

#include "fota/fota_crc32.h"
#include "fota/fota_image.h"
#include "fota/fota_journal.h"
#include "fota/fota_layout.h"
#include "fota/fota_le.h"
#include "fota/fota_nomalloc.h"

/* Worst case of draining the engine's two queued streaming chunks:
 * 2 x 1024 bytes = 512 words at 100 us. */
#define AGENT_DRAIN_MAX_MS                                                     \
    ((2u * AGENT_STREAM_CHUNK / 4u * AGENT_WORD_PROG_MAX_US + 999u) / 1000u)

void agent_proto_default_cfg(agent_proto_cfg_t *cfg)
{
    cfg->retries = 4;
    cfg->sync_attempts = 3;
    cfg->ack_timeout_ms = 100;
    /* The target may still be erasing (up to 2 s for a 128 KiB sector)
     * when we come back after an interruption; it answers BUSY meanwhile. */
    cfg->sync_timeout_ms = AGENT_ERASE_128K_MAX_MS + 1000u;
    cfg->margin_ms = 250;
    cfg->poll_spin_ms = 5;
    cfg->reset_pulse_ms = 1;
    /* The real bootloader listens a few ms after a reset (docs/protocol.md
     * 2.4: the crystal's start, its journal read, its log lines); the sync
     * is repeated every millisecond, each frame given 4 dummies to be
     * answered (it ACKs the third), up to 100 ms after the reset: that
     * covers a crystal that never starts (the bootloader gives it 50 ms,
     * then runs on the HSI), and costs nothing when the bootloader is
     * quick. A sync sent earlier is lost (MISO undriven). */
    cfg->boot_wait_ms = 100;
    cfg->sync_poll_ms = 1;
    cfg->sync_poll_polls = 4;
    cfg->xfer_timeout_ms = 100;
    /* Silicon needs it: a polled slave cannot answer or even read bytes
     * clocked back to back (docs/protocol.md 2.4). */
    cfg->byte_xfers = true;
    /* A running application answers from its main loop; its first loop
     * pass after a boot can be late by its self-test. */
    cfg->app_timeout_ms = 20;
    cfg->app_tries = 2;
}

uint32_t agent_proto_target_resets(const agent_proto_t *t)
{
    return t->stats.resets + t->stats.app_update_resets + t->stats.reboots +
           t->stats.app_confirm_resets;
}

void agent_proto_init(agent_proto_t *t, agent_spi_t *spi, agent_gpio_t *gpio,
                      agent_clock_t *clock, agent_log_t *log,
                      const agent_proto_cfg_t *cfg)
{
    memset(t, 0, sizeof(*t));
    t->spi = spi;
    t->gpio = gpio;
    t->clock = clock;
    t->log = log;
    if (cfg)
        t->cfg = *cfg;
    else
        agent_proto_default_cfg(&t->cfg);
    if (t->cfg.retries == 0)
        t->cfg.retries = 1;
    if (t->cfg.sync_attempts == 0)
        t->cfg.sync_attempts = 1;
    t->synced = false;
}

/* ---- small helpers -------------------------------------------------------- */

static void agent_log(agent_proto_t *t, int level, const char *msg)
{
    if (t->log && t->log->ops && t->log->ops->write)
        t->log->ops->write(t->log, level, msg);
}

static uint32_t agent_now(agent_proto_t *t)
{
    return t->clock->ops->now_ms(t->clock);
}

static int agent_xfer(agent_proto_t *t, const uint8_t *tx, uint8_t *rx,
                      size_t len)
{
    return t->spi->ops->xfer(t->spi, tx, rx, len, t->cfg.xfer_timeout_ms);
}

/* Send n bytes (rx discarded) as the pacing asks: one transaction per
 * byte, or all in one. */
static int agent_send(agent_proto_t *t, const uint8_t *tx, size_t n)
{
    int rc = 0;

    if (!t->cfg.byte_xfers)
        return n ? agent_xfer(t, tx, NULL, n) : 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = agent_xfer(t, tx + i, NULL, 1);
    return rc;
}

/* Clock n 0x00 dummies and keep what comes back, paced like agent_send. */
static int agent_recv(agent_proto_t *t, uint8_t *rx, size_t n)
{
    int rc = 0;

    if (!t->cfg.byte_xfers)
        return n ? agent_xfer(t, NULL, rx, n) : 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = agent_xfer(t, NULL, rx + i, 1);
    return rc;
}

static uint8_t agent_xor(const uint8_t *p, size_t n)
{
    uint8_t x = 0;

    for (size_t i = 0; i < n; i++)
        x ^= p[i];
    return x;
}

/* Failures after which the command may be resent on a re-synchronised
 * link: the target refused a damaged frame, or it went quiet, or it said
 * something that does not parse. */
static bool agent_retryable(int rc)
{
    return rc == FOTA_ERR_NACK || rc == FOTA_ERR_TIMEOUT ||
           rc == FOTA_ERR_PROTO;
}

/* The ACK procedure: poll with dummies until ACK/NACK, within timeout_ms,
 * then send the ACK-of-ACK. max_polls > 0 also gives up after that many
 * dummies unless the last one read the busy filler (A5: a bootloader that
 * listens and works on something first, which is waited for). Polls
 * back to back for cfg.poll_spin_ms (short waits: one
 * chunk's programming), then sleeps 1 ms between polls so a 2 s erase
 * does not cost thousands of bus transactions. */
static int agent_ack_wait(agent_proto_t *t, uint32_t timeout_ms,
                          uint32_t max_polls)
{
    const uint8_t dummy = FOTA_PROTO_DUMMY;
    const uint8_t ack = FOTA_PROTO_ACK;
    uint32_t start = agent_now(t);
    uint8_t rx = 0;
    int rc;

    for (uint32_t polls = 1;; polls++) {
        rc = agent_xfer(t, &dummy, &rx, 1);
        if (rc < 0)
            return rc;
        if (rx == FOTA_PROTO_ACK || rx == FOTA_PROTO_NACK) {
            rc = agent_xfer(t, &ack, NULL, 1);
            if (rc < 0)
                return rc;
            if (rx == FOTA_PROTO_NACK) {
                t->stats.nacks++;
                return FOTA_ERR_NACK;
            }
            return 0;
        }
        uint32_t elapsed = agent_now(t) - start;
        if (elapsed >= timeout_ms ||
            (max_polls && polls >= max_polls && rx != FOTA_PROTO_BUSY)) {
            t->stats.timeouts++;
            return FOTA_ERR_TIMEOUT;
        }
        if (elapsed >= t->cfg.poll_spin_ms)
            t->clock->ops->sleep_ms(t->clock, 1);
    }
}

static int agent_get_ack(agent_proto_t *t, uint32_t timeout_ms)
{
    return agent_ack_wait(t, timeout_ms, 0);
}

/* Send 0x5A, cmd, ~cmd and wait for the ACK. */
static int agent_send_cmd(agent_proto_t *t, uint8_t cmd, uint32_t timeout_ms)
{
    uint8_t frame[3] = {FOTA_PROTO_SPI_SYNC, cmd, (uint8_t)~cmd};
    int rc;

    t->stats.commands++;
    rc = agent_send(t, frame, sizeof(frame));
    if (rc < 0)
        return rc;
    return agent_get_ack(t, timeout_ms);
}

/* Send n bytes already placed in t->buf followed by their XOR, then wait
 * for the ACK. */
static int agent_send_block(agent_proto_t *t, size_t n, uint32_t timeout_ms)
{
    int rc;

    t->buf[n] = agent_xor(t->buf, n);
    rc = agent_send(t, t->buf, n + 1);
    if (rc < 0)
        return rc;
    return agent_get_ack(t, timeout_ms);
}

/* A bulk block in t->buf: hdr size bytes, then n - hdr payload bytes, then
 * their XOR. The header goes paced; once it is in, the slave knows the
 * length and arms its DMA, so payload and XOR go in one transaction. */
static int agent_send_bulk(agent_proto_t *t, size_t hdr, size_t n,
                           uint32_t timeout_ms)
{
    int rc;

    if (!t->cfg.byte_xfers)
        return agent_send_block(t, n, timeout_ms);
    t->buf[n] = agent_xor(t->buf, n);
    rc = agent_send(t, t->buf, hdr);
    if (rc < 0)
        return rc;
    rc = agent_xfer(t, t->buf + hdr, NULL, n + 1 - hdr);
    if (rc < 0)
        return rc;
    return agent_get_ack(t, timeout_ms);
}

/* Address (4 bytes MSB first) + XOR, then the ACK. */
static int agent_send_addr(agent_proto_t *t, uint32_t addr, uint32_t timeout_ms)
{
    fota_put_be32(t->buf, addr);
    return agent_send_block(t, 4, timeout_ms);
}

/* Clock the answer's leading dummy byte plus n bytes, keep the n. The
 * port clocks 0x00 dummies for a NULL tx, so no buffer is both sent and
 * received (DMA engines need not support that). */
static int agent_read_answer(agent_proto_t *t, uint8_t *dst, size_t n)
{
    int rc;

    if (n + 1 > sizeof(t->buf))
        return FOTA_ERR_NOMEM;
    rc = agent_recv(t, t->buf, n + 1);
    if (rc < 0)
        return rc;
    memcpy(dst, t->buf + 1, n);
    return 0;
}

/* Clock n bytes that continue an answer (no dummy in front). */
static int agent_read_more(agent_proto_t *t, uint8_t *dst, size_t n)
{
    return agent_recv(t, dst, n);
}

/* Deadline of an ACK that follows flash programming of `words` words,
 * after the engine may first have to drain its streaming queue. */
static uint32_t agent_prog_deadline(const agent_proto_t *t, uint32_t words)
{
    return t->cfg.ack_timeout_ms + t->cfg.margin_ms + AGENT_DRAIN_MAX_MS +
           (words * AGENT_WORD_PROG_MAX_US + 999u) / 1000u;
}

static uint32_t agent_erase_max_ms(unsigned sector)
{
    uint32_t size = (uint32_t)FOTA_SECTOR_SIZE(sector);

    if (size <= 0x4000u)
        return AGENT_ERASE_16K_MAX_MS;
    if (size <= 0x10000u)
        return AGENT_ERASE_64K_MAX_MS;
    return AGENT_ERASE_128K_MAX_MS;
}

/* ---- synchronisation ------------------------------------------------------ */

/* One synchronisation: CS pulse, 0x5A, the ACK procedure within
 * timeout_ms and max_polls (0: no limit) dummies. */
static int agent_sync_once(agent_proto_t *t, uint32_t timeout_ms,
                           uint32_t max_polls)
{
    const uint8_t sof = FOTA_PROTO_SPI_SYNC;
    int rc;

    /* A CS pulse makes the engine drop whatever half frame it holds, so
     * the 0x5A below is seen as a frame start whatever went before. */
    rc = t->spi->ops->set_cs(t->spi, false);
    if (rc < 0)
        return rc;
    rc = t->spi->ops->set_cs(t->spi, true);
    if (rc < 0)
        return rc;
    rc = agent_xfer(t, &sof, NULL, 1);
    if (rc < 0)
        return rc;
    /* A fresh engine ACKs the sync; one that was synchronised before takes
     * 0x5A as a frame start, sees our 0x00 polls as a bad command and
     * NACKs. Either answer proves it is listening at a frame boundary. */
    rc = agent_ack_wait(t, timeout_ms, max_polls);
    if (rc == FOTA_ERR_NACK)
        rc = 0;
    return rc;
}

/* Synchronise within timeout_ms, counted as a resync. */
static int agent_sync_within(agent_proto_t *t, uint32_t timeout_ms)
{
    int rc = agent_sync_once(t, timeout_ms, 0);

    t->stats.resyncs++;
    t->synced = rc == 0;
    if (rc < 0)
        agent_log(t, AGENT_LOG_WARN, "sync: target does not answer");
    return rc;
}

int agent_proto_sync(agent_proto_t *t)
{
    return agent_sync_within(t, t->cfg.sync_timeout_ms);
}

/* Right after a reset (NRST released, or the application's software reset
 * into update mode): the bootloader listens a short, unknown time later.
 * A sync frame every cfg.sync_poll_ms, each given cfg.sync_poll_polls
 * dummies to be answered (a listening bootloader with no flash work ACKs
 * the third, sending its A5 filler before), until one is answered or
 * cfg.boot_wait_ms has passed since the reset; then one last sync with
 * the full ACK deadline (cfg.ack_timeout_ms). An unanswered early frame is a
 * lost 0x5A (MISO undriven, or the engine not yet reading), not a missed
 * deadline: it does not count in stats.timeouts. The next frame's CS pulse
 * and 0x5A start afresh (AN4286 section 1: the host starts with the 0x5A
 * synchronisation byte and the ACK procedure; a slave that answered an
 * earlier frame takes the new 0x5A as a frame start and NACKs the
 * dummies, which proves it listens). */
static int agent_sync_after_reset(agent_proto_t *t)
{
    uint32_t start = agent_now(t);

    if (t->cfg.sync_poll_ms && t->cfg.sync_poll_polls) {
        for (;;) {
            uint32_t timeouts = t->stats.timeouts;
            int rc;

            t->clock->ops->sleep_ms(t->clock, t->cfg.sync_poll_ms);
            if (agent_now(t) - start >= t->cfg.boot_wait_ms)
                break;
            rc = agent_sync_once(t, t->cfg.ack_timeout_ms,
                                 t->cfg.sync_poll_polls);
            if (rc != FOTA_ERR_TIMEOUT) {
                t->stats.resyncs++;
                t->synced = rc == 0;
                return rc;
            }
            t->stats.timeouts = timeouts;
        }
    } else {
        t->clock->ops->sleep_ms(t->clock, t->cfg.boot_wait_ms);
    }
    return agent_sync_within(t, t->cfg.ack_timeout_ms);
}

int agent_proto_enter_update(agent_proto_t *t)
{
    int rc = FOTA_ERR_TIMEOUT;

    for (uint32_t i = 0; i < t->cfg.sync_attempts; i++) {
        t->synced = false;
        /* CS low across the NRST pulse: the bootloader's strap for "stay
         * in update mode". */
        rc = t->spi->ops->set_cs(t->spi, true);
        if (rc < 0)
            return rc;
        rc = t->gpio->ops->set(t->gpio, AGENT_PIN_NRST, 0);
        if (rc < 0)
            return rc;
        t->clock->ops->sleep_ms(t->clock, t->cfg.reset_pulse_ms);
        rc = t->gpio->ops->set(t->gpio, AGENT_PIN_NRST, 1);
        if (rc < 0)
            return rc;
        t->stats.resets++;
        /* The pin reset ended whatever the target was doing (an erase
         * included): a bootloader that came up listens and ACKs the sync
         * at once, like any command without flash work. One that missed
         * every 0x5A (a late boot, a reset that went nowhere) never ACKs,
         * so waiting out the erase deadline only delays the next pulse. */
        rc = agent_sync_after_reset(t);
        if (rc == 0)
            return 0;
        if (!agent_retryable(rc))
            return rc;
    }
    agent_log(t, AGENT_LOG_ERROR, "enter update: no answer after reset");
    return rc;
}

int agent_proto_reset(agent_proto_t *t)
{
    int rc;

    t->synced = false;
    rc = t->spi->ops->set_cs(t->spi, false);
    if (rc == 0)
        rc = t->gpio->ops->set(t->gpio, AGENT_PIN_NRST, 0);
    if (rc < 0)
        return rc;
    t->clock->ops->sleep_ms(t->clock, t->cfg.reset_pulse_ms);
    rc = t->gpio->ops->set(t->gpio, AGENT_PIN_NRST, 1);
    if (rc == 0)
        t->stats.resets++;
    return rc;
}

/* ---- a running application ------------------------------------------------ */

/* One exchange with the application responder: request cmd, read the
 * answer's payload into out. Returns the payload length, FOTA_ERR_NOENT (no
 * answer: filler or the bootloader's bytes until the deadline), or
 * FOTA_ERR_PROTO (a damaged answer). Always one byte per transaction: the
 * responder is a polled slave. CS stays as the caller left it. */
static int agent_app_once(agent_proto_t *t, uint8_t cmd, uint8_t *out,
                          size_t cap)
{
    const uint8_t req[3] = {FOTA_APP_SOF, cmd, (uint8_t)(0xFFu ^ cmd)};
    const uint8_t dummy = 0x00;
    uint8_t rx = 0, len = 0, x;
    uint32_t start;
    int rc;

    t->stats.app_requests++;
    for (size_t i = 0; i < sizeof(req); i++) {
        rc = agent_xfer(t, req + i, NULL, 1);
        if (rc < 0)
            return rc;
    }
    start = agent_now(t);
    for (;;) {
        rc = agent_xfer(t, &dummy, &rx, 1);
        if (rc < 0)
            return rc;
        if (rx == FOTA_APP_ANS)
            break;
        uint32_t elapsed = agent_now(t) - start;
        if (elapsed >= t->cfg.app_timeout_ms)
            return FOTA_ERR_NOENT;
        if (elapsed >= t->cfg.poll_spin_ms)
            t->clock->ops->sleep_ms(t->clock, 1);
    }
    rc = agent_xfer(t, &dummy, &len, 1);
    if (rc < 0)
        return rc;
    if ((size_t)len + 1u > sizeof(t->buf) || len > cap)
        return FOTA_ERR_PROTO;
    x = len;
    for (size_t i = 0; i <= len; i++) {
        rc = agent_xfer(t, &dummy, t->buf + i, 1);
        if (rc < 0)
            return rc;
        x ^= t->buf[i];
    }
    /* XOR over length, payload and the check byte itself is 0. */
    if (x != 0)
        return FOTA_ERR_PROTO;
    memcpy(out, t->buf, len);
    return len;
}

static int agent_app_exchange(agent_proto_t *t, uint8_t cmd, uint8_t *out,
                              size_t cap, bool keep_cs)
{
    int rc = FOTA_ERR_NOENT, rc2;

    t->synced = false;
    for (uint32_t i = 0; i < t->cfg.app_tries; i++) {
        rc = t->spi->ops->set_cs(t->spi, true);
        if (rc < 0)
            return rc;
        rc = agent_app_once(t, cmd, out, cap);
        if (rc >= 0 && keep_cs)
            return rc;
        rc2 = t->spi->ops->set_cs(t->spi, false);
        if (rc >= 0)
            return rc2 < 0 ? rc2 : rc;
        if (rc2 < 0)
            return rc2;
        if (rc != FOTA_ERR_NOENT && rc != FOTA_ERR_PROTO)
            return rc;
    }
    return rc == FOTA_ERR_PROTO ? FOTA_ERR_NOENT : rc;
}

int agent_proto_app_status(agent_proto_t *t, fota_app_info_t *info)
{
    uint8_t p[FOTA_APP_STATUS_PAYLOAD];
    int rc = agent_app_exchange(t, FOTA_APP_CMD_STATUS, p, sizeof(p), false);

    if (rc < 0)
        return rc;
    rc = fota_app_status_decode(info, p, (size_t)rc);
    if (rc < 0)
        return rc;
    t->stats.app_answers++;
    return 0;
}

int agent_proto_app_confirm(agent_proto_t *t)
{
    uint8_t p[FOTA_APP_CONFIRM_PAYLOAD];
    int rc = agent_app_exchange(t, FOTA_APP_CMD_CONFIRM, p, sizeof(p), true);
    int rc2;

    if (rc < 0)
        return rc;
    /* CS stays low for a moment after the last byte: the application
     * serves that byte (which makes the confirm due) before it sees the
     * exchange end; it waits for CS high before its reset, which would
     * otherwise be the update-mode strap. */
    t->clock->ops->sleep_ms(t->clock, 1);
    rc2 = t->spi->ops->set_cs(t->spi, false);
    if (rc2 < 0)
        return rc2;
    if (rc < (int)sizeof(p))
        return FOTA_ERR_PROTO;
    t->stats.app_answers++;
    if (p[0] == FOTA_APP_CONFIRM_ACCEPTED) {
        t->stats.app_confirm_resets++;
        return 0;
    }
    return p[0] == FOTA_APP_CONFIRM_CONFIRMED ? 1 : FOTA_ERR_PROTO;
}

int agent_proto_probe_boot(agent_proto_t *t)
{
    uint32_t timeouts = t->stats.timeouts;
    int rc = t->spi->ops->set_cs(t->spi, true);

    if (rc < 0)
        return rc;
    /* An idle bootloader answers within microseconds, a busy one sends
     * its A5 filler meanwhile: a few dummies of anything else (an
     * application's 00 filler, an undriven MISO) say no bootloader
     * listens. CS stays low at most cfg.app_timeout_ms, as for an
     * application exchange (a reset while it is low would be the strap). */
    rc = agent_sync_once(t, t->cfg.app_timeout_ms, t->cfg.sync_poll_polls);
    /* A probe nobody answers is no missed deadline. */
    t->stats.timeouts = timeouts;
    if (rc == 0) {
        t->synced = true;
        return 0;
    }
    t->synced = false;
    rc = t->spi->ops->set_cs(t->spi, false);
    return rc < 0 ? rc : FOTA_ERR_NOENT;
}

int agent_proto_enter_update_gently(agent_proto_t *t)
{
    uint8_t p[FOTA_APP_UPDATE_PAYLOAD];
    int rc;

    /* The bootloader may already listen (an earlier request, a target
     * waiting in update mode): no reset at all. */
    rc = agent_proto_probe_boot(t);
    if (rc != FOTA_ERR_NOENT)
        return rc;
    rc = agent_app_exchange(t, FOTA_APP_CMD_UPDATE, p, sizeof(p), true);
    if (rc >= 1 && p[0] == 0) {
        /* The application resets into update mode: CS stays low (the
         * strap) besides the request word it leaves for the bootloader. */
        t->stats.app_update_resets++;
        /* A software reset ends nothing the bootloader would finish
         * first: one that does not answer within boot_wait_ms is not
         * coming (or its link is out of step), and a pulse on NRST is the
         * next thing to try. */
        if (agent_sync_after_reset(t) == 0)
            return 0;
        agent_log(t, AGENT_LOG_WARN,
                  "enter update: no bootloader after the request");
    } else if (rc < 0 && rc != FOTA_ERR_NOENT) {
        return rc;
    }
    /* Nothing answers as an application: reset with the strap. */
    return agent_proto_enter_update(t);
}

int agent_proto_release(agent_proto_t *t)
{
    t->synced = false;
    return t->spi->ops->set_cs(t->spi, false);
}

/* Start an attempt: re-synchronise first if the last exchange failed. */
static int agent_begin(agent_proto_t *t)
{
    if (t->synced)
        return 0;
    return agent_proto_sync(t);
}

/* Decide after an attempt: true to stop with rc, false to try again. */
static bool agent_done(agent_proto_t *t, int rc, uint32_t attempt)
{
    if (rc == 0 || !agent_retryable(rc))
        return true;
    t->synced = false;
    return attempt + 1 >= t->cfg.retries;
}

/* Run one idempotent command attempt, `call` (an int expression), until
 * agent_done() says stop; rc holds the last result. Commands that must not
 * be resent once fully sent (Go, Special) keep their own loops. */
#define AGENT_WITH_RETRIES(t, rc, call)                                        \
    for (uint32_t attempt_ = 0;; attempt_++) {                                 \
        (rc) = agent_begin(t);                                                 \
        if ((rc) == 0)                                                         \
            (rc) = (call);                                                     \
        if (agent_done((t), (rc), attempt_))                                   \
            break;                                                             \
    }

/* ---- commands ---------------------------------------------------------------- */

static int agent_get_once(agent_proto_t *t, uint8_t *version, uint8_t *cmds,
                          size_t cap, size_t *n)
{
    uint8_t hdr[2];
    int rc;

    rc = agent_send_cmd(t, FOTA_CMD_GET, t->cfg.ack_timeout_ms);
    if (rc < 0)
        return rc;
    rc = agent_read_answer(t, hdr, 1); /* dummy, N */
    if (rc < 0)
        return rc;
    /* N + 1 bytes follow: the version and N command codes. */
    size_t count = (size_t)hdr[0] + 1u;
    rc = agent_read_more(t, t->buf, count);
    if (rc < 0)
        return rc;
    if (version)
        *version = t->buf[0];
    if (cmds)
        memcpy(cmds, t->buf + 1, count - 1 < cap ? count - 1 : cap);
    if (n)
        *n = count - 1;
    return agent_get_ack(t, t->cfg.ack_timeout_ms);
}

int agent_proto_get(agent_proto_t *t, uint8_t *version, uint8_t *cmds,
                    size_t cap, size_t *n)
{
    int rc = FOTA_ERR_TIMEOUT;

    AGENT_WITH_RETRIES(t, rc, agent_get_once(t, version, cmds, cap, n));
    return rc;
}

static int agent_get_version_once(agent_proto_t *t, uint8_t *version)
{
    int rc = agent_send_cmd(t, FOTA_CMD_GET_VERSION, t->cfg.ack_timeout_ms);

    if (rc < 0)
        return rc;
    rc = agent_read_answer(t, version, 1);
    if (rc < 0)
        return rc;
    return agent_get_ack(t, t->cfg.ack_timeout_ms);
}

int agent_proto_get_version(agent_proto_t *t, uint8_t *version)
{
    uint8_t v = 0;
    int rc;

    AGENT_WITH_RETRIES(t, rc, agent_get_version_once(t, &v));
    if (rc == 0 && version)
        *version = v;
    return rc;
}

static int agent_get_id_once(agent_proto_t *t, uint16_t *pid)
{
    uint8_t ans[3];
    int rc = agent_send_cmd(t, FOTA_CMD_GET_ID, t->cfg.ack_timeout_ms);

    if (rc < 0)
        return rc;
    rc = agent_read_answer(t, ans, 3); /* N, PID MSB, PID LSB */
    if (rc < 0)
        return rc;
    if (ans[0] != 1)
        return FOTA_ERR_PROTO;
    *pid = fota_get_be16(ans + 1);
    return agent_get_ack(t, t->cfg.ack_timeout_ms);
}

int agent_proto_get_id(agent_proto_t *t, uint16_t *pid)
{
    uint16_t v = 0;
    int rc;

    AGENT_WITH_RETRIES(t, rc, agent_get_id_once(t, &v));
    if (rc == 0 && pid)
        *pid = v;
    return rc;
}

static int agent_read_memory_once(agent_proto_t *t, uint32_t addr, void *buf,
                                  size_t len)
{
    int rc = agent_send_cmd(t, FOTA_CMD_READ_MEMORY, t->cfg.ack_timeout_ms);

    if (rc < 0)
        return rc;
    rc = agent_send_addr(t, addr, t->cfg.ack_timeout_ms);
    if (rc < 0)
        return rc;
    uint8_t nn[2] = {(uint8_t)(len - 1), (uint8_t) ~(len - 1)};
    rc = agent_send(t, nn, 2);
    if (rc < 0)
        return rc;
    rc = agent_get_ack(t, t->cfg.ack_timeout_ms);
    if (rc < 0)
        return rc;
    return agent_read_answer(t, buf, len);
}

int agent_proto_read_memory(agent_proto_t *t, uint32_t addr, void *buf,
                            size_t len)
{
    int rc;

    if (!buf || len == 0 || len > FOTA_PROTO_MAX_RW)
        return FOTA_ERR_INVAL;
    AGENT_WITH_RETRIES(t, rc, agent_read_memory_once(t, addr, buf, len));
    return rc;
}

int agent_proto_go(agent_proto_t *t, uint32_t addr)
{
    int rc;

    for (uint32_t i = 0;; i++) {
        bool sent = false;

        rc = agent_begin(t);
        if (rc == 0)
            rc = agent_send_cmd(t, FOTA_CMD_GO, t->cfg.ack_timeout_ms);
        if (rc == 0) {
            sent = true;
            rc = agent_send_addr(t, addr, t->cfg.ack_timeout_ms);
        }
        /* A NACK means nothing happened; silence after the address may
         * mean the target already left for the new image: never resend. */
        if (sent && rc != FOTA_ERR_NACK) {
            t->synced = false;
            return rc;
        }
        if (agent_done(t, rc, i))
            break;
    }
    t->synced = false; /* whatever runs now has not been synchronised */
    return rc;
}

static int agent_write_memory_once(agent_proto_t *t, uint32_t addr,
                                   const uint8_t *data, size_t len)
{
    size_t padded = (len + 3u) & ~(size_t)3u;
    int rc = agent_send_cmd(t, FOTA_CMD_WRITE_MEMORY, t->cfg.ack_timeout_ms);

    if (rc < 0)
        return rc;
    rc = agent_send_addr(t, addr, t->cfg.ack_timeout_ms);
    if (rc < 0)
        return rc;
    t->buf[0] = (uint8_t)(padded - 1);
    memcpy(t->buf + 1, data, len);
    memset(t->buf + 1 + len, 0xFF, padded - len);
    /* The final ACK comes once the words are programmed. */
    return agent_send_bulk(t, 1, 1 + padded,
                           agent_prog_deadline(t, (uint32_t)(padded / 4)));
}

int agent_proto_write_memory(agent_proto_t *t, uint32_t addr, const void *data,
                             size_t len)
{
    int rc;

    if (!data || len == 0 || len > FOTA_PROTO_MAX_RW || addr % 4)
        return FOTA_ERR_INVAL;
    /* Resending after a lost final ACK programs the same words again:
     * AND-programming identical data leaves the flash unchanged, and the
     * final Get Checksum proves the result anyway. */
    AGENT_WITH_RETRIES(t, rc, agent_write_memory_once(t, addr, data, len));
    return rc;
}

static int agent_erase_once(agent_proto_t *t, const uint16_t *sectors, size_t n,
                            uint32_t deadline_ms)
{
    int rc = agent_send_cmd(t, FOTA_CMD_EXTENDED_ERASE, t->cfg.ack_timeout_ms);

    if (rc < 0)
        return rc;
    fota_put_be16(t->buf, (uint16_t)(n - 1));
    rc = agent_send_block(t, 2, t->cfg.ack_timeout_ms);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < n; i++)
        fota_put_be16(t->buf + 2 * i, sectors[i]);
    return agent_send_block(t, 2 * n, deadline_ms);
}

int agent_proto_extended_erase(agent_proto_t *t, const uint16_t *sectors,
                               size_t n)
{
    uint32_t deadline_ms =
        t->cfg.ack_timeout_ms + t->cfg.margin_ms + AGENT_DRAIN_MAX_MS;
    int rc;

    if (!sectors || n == 0 || n > FOTA_FLASH_SECTORS)
        return FOTA_ERR_INVAL;
    for (size_t i = 0; i < n; i++) {
        if (sectors[i] >= FOTA_FLASH_SECTORS)
            return FOTA_ERR_INVAL;
        deadline_ms += agent_erase_max_ms(sectors[i]);
    }
    /* Erasing twice is harmless, so a lost final ACK is simply resent. */
    AGENT_WITH_RETRIES(t, rc, agent_erase_once(t, sectors, n, deadline_ms));
    return rc;
}

static int agent_checksum_once(agent_proto_t *t, uint32_t addr, uint32_t len,
                               uint32_t *crc, uint32_t deadline_ms)
{
    uint8_t ans[5];
    int rc = agent_send_cmd(t, FOTA_CMD_GET_CHECKSUM, t->cfg.ack_timeout_ms);

    if (rc < 0)
        return rc;
    rc = agent_send_addr(t, addr, t->cfg.ack_timeout_ms);
    if (rc < 0)
        return rc;
    fota_put_be32(t->buf, len);
    rc = agent_send_block(t, 4, t->cfg.ack_timeout_ms);
    if (rc < 0)
        return rc;
    /* The second ACK comes when the queue is drained and the CRC done. */
    rc = agent_get_ack(t, deadline_ms);
    if (rc < 0)
        return rc;
    rc = agent_read_answer(t, ans, 5);
    if (rc < 0)
        return rc;
    if (agent_xor(ans, 5) != 0)
        return FOTA_ERR_PROTO;
    *crc = fota_get_be32(ans);
    return 0;
}

int agent_proto_get_checksum(agent_proto_t *t, uint32_t addr, uint32_t len,
                             uint32_t *crc)
{
    /* Drain plus a CRC pass (well under 1 ms per KiB on the chip). */
    uint32_t deadline_ms = agent_prog_deadline(t, 0) + len / 1024u;
    uint32_t v = 0;
    int rc;

    if (!crc || len == 0 || len % 4 || addr % 4)
        return FOTA_ERR_INVAL;
    AGENT_WITH_RETRIES(t, rc,
                       agent_checksum_once(t, addr, len, &v, deadline_ms));
    if (rc == 0)
        *crc = v;
    return rc;
}

/* Read the answer of a Special command: dummy, data size, data, status
 * size, status, ACK. */
static int agent_special_answer(agent_proto_t *t, bool with_data, void *out,
                                size_t out_cap, size_t *out_len,
                                uint8_t *status, uint32_t deadline_ms)
{
    uint8_t sz[2];
    size_t n;
    int rc;

    rc = agent_read_answer(t, sz, 2);
    if (rc < 0)
        return rc;
    if (with_data) {
        n = fota_get_be16(sz);
        if (n > sizeof(t->buf))
            return FOTA_ERR_PROTO;
        rc = agent_read_more(t, t->buf, n);
        if (rc < 0)
            return rc;
        if (out_len)
            *out_len = n;
        if (n) {
            /* Callers without a buffer (reboot: out NULL, out_cap 0)
             * expect no data. Testing out itself, not only out_cap, is
             * what lets the compiler see that memcpy never gets NULL
             * once agent_proto_reboot is inlined. */
            if (out == NULL || n > out_cap)
                return FOTA_ERR_NOMEM;
            memcpy(out, t->buf, n);
        }
        rc = agent_read_more(t, sz, 2);
        if (rc < 0)
            return rc;
    }
    n = fota_get_be16(sz);
    if (n > sizeof(t->buf))
        return FOTA_ERR_PROTO;
    rc = agent_read_more(t, t->buf, n);
    if (rc < 0)
        return rc;
    *status = n ? t->buf[0] : FOTA_RESULT_OK;
    return agent_get_ack(t, deadline_ms);
}

/* One Special/Extended Special exchange. *sent is set once the last
 * request byte went out (the point after which the operation may have
 * run). */
static int agent_special_once(agent_proto_t *t, uint8_t cmd, uint16_t opcode,
                              const void *d1, size_t l1, const void *d2,
                              size_t l2, void *out, size_t out_cap,
                              size_t *out_len, uint8_t *status,
                              uint32_t cmd_deadline_ms, uint32_t deadline_ms,
                              bool *sent)
{
    int rc = agent_send_cmd(t, cmd, cmd_deadline_ms);

    if (rc < 0)
        return rc;
    fota_put_be16(t->buf, opcode);
    rc = agent_send_block(t, 2, t->cfg.ack_timeout_ms);
    if (rc < 0)
        return rc;
    fota_put_be16(t->buf, (uint16_t)l1);
    if (l1)
        memcpy(t->buf + 2, d1, l1);
    if (cmd == FOTA_CMD_SPECIAL)
        *sent = true;
    rc = agent_send_block(t, 2 + l1,
                          cmd == FOTA_CMD_SPECIAL ? deadline_ms
                                                  : t->cfg.ack_timeout_ms);
    if (rc < 0)
        return rc;
    if (cmd == FOTA_CMD_EXTENDED_SPECIAL) {
        fota_put_be16(t->buf, (uint16_t)l2);
        if (l2)
            memcpy(t->buf + 2, d2, l2);
        *sent = true;
        rc = agent_send_bulk(t, 2, 2 + l2, deadline_ms);
        if (rc < 0)
            return rc;
    }
    return agent_special_answer(t, cmd == FOTA_CMD_SPECIAL, out, out_cap,
                                out_len, status, deadline_ms);
}

/* Run a Special exchange with retries. retry_after_sent: whether the
 * operation may be repeated when the outcome of a fully sent request is
 * unknown (status, stream write: yes; commit, reboot: no). */
static int agent_special_run(agent_proto_t *t, uint8_t cmd, uint16_t opcode,
                             const void *d1, size_t l1, const void *d2,
                             size_t l2, void *out, size_t out_cap,
                             size_t *out_len, uint8_t *status,
                             uint32_t cmd_deadline_ms, uint32_t deadline_ms,
                             bool retry_after_sent)
{
    int rc;

    for (uint32_t i = 0;; i++) {
        bool sent = false;

        rc = agent_begin(t);
        if (rc == 0)
            rc = agent_special_once(t, cmd, opcode, d1, l1, d2, l2, out,
                                    out_cap, out_len, status, cmd_deadline_ms,
                                    deadline_ms, &sent);
        if (rc < 0 && sent && !retry_after_sent && rc != FOTA_ERR_NACK) {
            t->synced = false;
            return rc;
        }
        if (agent_done(t, rc, i))
            return rc;
    }
}

int agent_proto_special(agent_proto_t *t, uint16_t opcode, const void *data,
                        size_t len, void *out, size_t out_cap, size_t *out_len,
                        uint8_t *status)
{
    uint8_t st = 0;
    int rc;

    if (len > FOTA_PROTO_SPECIAL_MAX1 || (len && !data))
        return FOTA_ERR_INVAL;
    rc = agent_special_run(t, FOTA_CMD_SPECIAL, opcode, data, len, NULL, 0, out,
                           out_cap, out_len, &st, t->cfg.ack_timeout_ms,
                           agent_prog_deadline(t, 0), false);
    if (status)
        *status = st;
    return rc;
}

int agent_proto_ext_special(agent_proto_t *t, uint16_t opcode, const void *d1,
                            size_t l1, const void *d2, size_t l2,
                            uint8_t *status)
{
    uint8_t st = 0;
    int rc;

    if (l1 > FOTA_PROTO_SPECIAL_MAX1 || l2 > FOTA_PROTO_SPECIAL_MAX2 ||
        (l1 && !d1) || (l2 && !d2))
        return FOTA_ERR_INVAL;
    rc = agent_special_run(t, FOTA_CMD_EXTENDED_SPECIAL, opcode, d1, l1, d2, l2,
                           NULL, 0, NULL, &st, agent_prog_deadline(t, 0),
                           agent_prog_deadline(t, 0), false);
    if (status)
        *status = st;
    return rc;
}

/* ---- FOTA operations ---- */

int agent_proto_status(agent_proto_t *t, fota_status_t *st)
{
    uint8_t block[FOTA_STATUS_SIZE];
    size_t n = 0;
    uint8_t res = 0;
    int rc;

    rc =
        agent_special_run(t, FOTA_CMD_SPECIAL, FOTA_OP_STATUS, NULL, 0, NULL, 0,
                          block, sizeof(block), &n, &res, t->cfg.ack_timeout_ms,
                          agent_prog_deadline(t, 0), true);
    if (rc < 0)
        return rc;
    if (res != FOTA_RESULT_OK)
        return -(int)res;
    return fota_status_decode(st, block, n);
}

/* Commit; when the answer is lost, the status decides whether the commit
 * happened: the slot must be pending and, if expect_crc is given, carry
 * the CRC of the image we sent (a slot left pending by an earlier run
 * must not pass for this one). */
static int agent_commit(agent_proto_t *t, int slot, const uint32_t *expect_crc)
{
    /* Drain, full SHA-256 of the slot and, on a bootloader with a key, the
     * Ed25519 check (together ~0.3 s for a full slot at one cycle per
     * instruction, so about 1 s leaves room for silicon), then a journal
     * append that may compact: erase of the spare (16 KiB) and main
     * (128 KiB) areas. */
    uint32_t deadline_ms = agent_prog_deadline(t, 0) + 1000u +
                           AGENT_ERASE_16K_MAX_MS + AGENT_ERASE_128K_MAX_MS;
    uint8_t data = (uint8_t)slot;
    uint8_t res = 0;
    size_t n = 0;
    int rc;

    if (slot < 0 || slot >= FOTA_SLOT_COUNT)
        return FOTA_ERR_INVAL;
    rc = agent_special_run(t, FOTA_CMD_SPECIAL, FOTA_OP_COMMIT, &data, 1, NULL,
                           0, NULL, 0, &n, &res, t->cfg.ack_timeout_ms,
                           deadline_ms, false);
    if (agent_retryable(rc)) {
        fota_status_t st = {0};
        int rc2 = agent_proto_status(t, &st);

        if (rc2 == 0 && st.slot[slot].state == FOTA_SLOT_PENDING &&
            (!expect_crc || st.slot[slot].image_crc == *expect_crc))
            return 0;
        return rc;
    }
    if (rc < 0)
        return rc;
    if (res != FOTA_RESULT_OK)
        t->commit_refused = true;
    return res == FOTA_RESULT_OK ? 0 : -(int)res;
}

int agent_proto_commit(agent_proto_t *t, int slot)
{
    return agent_commit(t, slot, NULL);
}

/* A journal-only operation without data (confirm, rollback): one append
 * that may compact (erase of the spare and main areas). */
static int agent_journal_op(agent_proto_t *t, uint16_t opcode)
{
    uint32_t deadline_ms = agent_prog_deadline(t, 0) + AGENT_ERASE_16K_MAX_MS +
                           AGENT_ERASE_128K_MAX_MS;
    uint8_t res = 0;
    size_t n = 0;
    int rc;

    rc = agent_special_run(t, FOTA_CMD_SPECIAL, opcode, NULL, 0, NULL, 0, NULL,
                           0, &n, &res, t->cfg.ack_timeout_ms, deadline_ms,
                           false);
    if (agent_retryable(rc)) {
        fota_status_t st = {0};

        if (agent_proto_status(t, &st) == 0 &&
            st.slot[0].state != FOTA_SLOT_PENDING &&
            st.slot[1].state != FOTA_SLOT_PENDING)
            return 0;
        return rc;
    }
    if (rc < 0)
        return rc;
    return res == FOTA_RESULT_OK ? 0 : -(int)res;
}

int agent_proto_confirm(agent_proto_t *t)
{
    return agent_journal_op(t, FOTA_OP_CONFIRM);
}

int agent_proto_rollback(agent_proto_t *t)
{
    return agent_journal_op(t, FOTA_OP_ROLLBACK);
}

int agent_proto_reboot(agent_proto_t *t)
{
    uint8_t res = 0;
    size_t n = 0;
    int rc;

    rc = agent_special_run(t, FOTA_CMD_SPECIAL, FOTA_OP_REBOOT, NULL, 0, NULL,
                           0, NULL, 0, &n, &res, t->cfg.ack_timeout_ms,
                           agent_prog_deadline(t, 0), false);
    if (rc == 0 && res == FOTA_RESULT_OK)
        t->stats.reboots++;
    /* Release the strap so the reboot boots normally. */
    int rc2 = agent_proto_release(t);
    if (rc < 0)
        return rc;
    if (res != FOTA_RESULT_OK)
        return -(int)res;
    return rc2;
}

int agent_proto_stream_write(agent_proto_t *t, uint32_t addr, const void *data,
                             size_t len)
{
    uint8_t a[4];
    uint8_t res = 0;
    int rc;

    if (!data || len < 4 || len > AGENT_STREAM_CHUNK || len % 4 || addr % 4)
        return FOTA_ERR_INVAL;
    fota_put_be32(a, addr);
    /* The engine holds the command's ACK until a chunk buffer is free:
     * up to two queued chunks to program first. Resending a chunk whose
     * answer was lost programs identical words again (harmless). */
    rc = agent_special_run(t, FOTA_CMD_EXTENDED_SPECIAL, FOTA_OP_STREAM_WRITE,
                           a, 4, data, len, NULL, 0, NULL, &res,
                           agent_prog_deadline(t, 0), t->cfg.ack_timeout_ms,
                           true);
    if (rc < 0)
        return rc;
    return res == FOTA_RESULT_OK ? 0 : -(int)res;
}

/* ---- high level ----------------------------------------------------------------- */

static void agent_progress(const agent_flash_req_t *req, int phase,
                           uint32_t done, uint32_t total)
{
    if (req->progress)
        req->progress(req->progress_ctx, phase, done, total);
}

static int agent_read_image(const agent_flash_req_t *req, uint32_t off,
                            void *buf, size_t len)
{
    int rc = req->read(req->read_ctx, off, buf, len);

    if (rc < 0)
        return rc;
    if (rc > 0 && (size_t)rc != len)
        return FOTA_ERR_IO;
    return 0;
}

/* One pass: status, header check, erase, write, verify, commit. */
static int agent_flash_pass(agent_proto_t *t, const agent_flash_req_t *req)
{
    fota_status_t st = {0};
    fota_image_hdr_t hdr;
    uint16_t sectors[FOTA_SLOT_SECTORS];
    size_t n_sectors = 0;
    uint32_t crc = FOTA_CRC32_ST_INIT;
    uint32_t target_crc = 0;
    uint32_t slot_addr;
    int slot;
    int rc;

    agent_progress(req, AGENT_PHASE_CONNECT, 0, req->len);
    rc = agent_proto_status(t, &st);
    if (rc < 0)
        return rc;
    slot = st.inactive_slot;
    if (slot < 0 || slot >= FOTA_SLOT_COUNT)
        return FOTA_ERR_PROTO;
    slot_addr = (uint32_t)FOTA_SLOT_ADDR(slot);

    /* The image must be built for the slot the target will let us write. */
    rc = agent_read_image(req, 0, t->chunk, FOTA_IMAGE_HDR_SIZE);
    if (rc < 0)
        return rc;
    rc = fota_image_hdr_decode(&hdr, t->chunk);
    if (rc < 0)
        return rc;
    rc = fota_image_check_slot(&hdr, slot);
    if (rc < 0)
        return rc;
    if (req->len != FOTA_IMAGE_HDR_SIZE + hdr.body_size)
        return FOTA_ERR_RANGE;

    /* Only the sectors the image covers. */
    for (unsigned s = (unsigned)FOTA_SLOT_FIRST_SECTOR(slot);
         n_sectors < FOTA_SLOT_SECTORS &&
         (uint32_t)FOTA_SECTOR_ADDR(s) < slot_addr + req->len;
         s++)
        sectors[n_sectors++] = (uint16_t)s;
    agent_progress(req, AGENT_PHASE_ERASE, 0, req->len);
    rc = agent_proto_extended_erase(t, sectors, n_sectors);
    if (rc < 0)
        return rc;

    size_t step =
        req->use_write_memory ? FOTA_PROTO_MAX_RW : AGENT_STREAM_CHUNK;
    for (uint32_t off = 0; off < req->len; off += (uint32_t)step) {
        size_t n = req->len - off < step ? req->len - off : step;

        rc = agent_read_image(req, off, t->chunk, n);
        if (rc < 0)
            return rc;
        /* The CRC covers exactly the bytes that went out. */
        crc = fota_crc32_st_update(crc, t->chunk, n);
        if (req->use_write_memory)
            rc = agent_proto_write_memory(t, slot_addr + off, t->chunk, n);
        else
            rc = agent_proto_stream_write(t, slot_addr + off, t->chunk, n);
        if (rc < 0)
            return rc;
        agent_progress(req, AGENT_PHASE_WRITE, off + (uint32_t)n, req->len);
    }

    agent_progress(req, AGENT_PHASE_VERIFY, req->len, req->len);
    rc = agent_proto_get_checksum(t, slot_addr, req->len, &target_crc);
    if (rc < 0)
        return rc;
    if (target_crc != crc) {
        agent_log(t, AGENT_LOG_ERROR, "verify: checksum mismatch");
        return FOTA_ERR_CORRUPT;
    }
    agent_progress(req, AGENT_PHASE_VERIFIED, req->len, req->len);

    agent_progress(req, AGENT_PHASE_COMMIT, req->len, req->len);
    rc = agent_commit(t, slot, &crc);
    if (rc < 0)
        return rc;
    if (req->reboot) {
        rc = agent_proto_reboot(t);
        if (rc < 0)
            return rc;
    }
    agent_progress(req, AGENT_PHASE_DONE, req->len, req->len);
    return 0;
}

int agent_proto_flash_image(agent_proto_t *t, const agent_flash_req_t *req)
{
    int rc = FOTA_ERR_TIMEOUT;

    if (!req || !req->read || req->len < FOTA_IMAGE_HDR_SIZE || req->len % 4 ||
        req->len > FOTA_SLOT_SIZE)
        return FOTA_ERR_INVAL;
    /* A failed pass (a transfer damaged past the frame checks, a target
     * reset that lost queued chunks, a sticky stream error) is repeated
     * once from a fresh reset: erase, write and verify are all safe to
     * redo, and the running slot is never addressed. */
    t->commit_refused = false;
    for (uint32_t pass = 0; pass < 2; pass++) {
        if (!req->skip_enter || pass > 0) {
            /* The first pass asks the application; a repeated one starts
             * from a fresh reset, whatever the failed pass left behind. */
            rc = pass == 0 ? agent_proto_enter_update_gently(t)
                           : agent_proto_enter_update(t);
            if (rc < 0)
                return rc;
        }
        rc = agent_flash_pass(t, req);
        /* The bootloader verified the slot and said no: writing the same
         * bytes again cannot change its mind. */
        if (t->commit_refused)
            return rc;
        /* The target's verdicts on the image itself do not change on a
         * second pass: a rejected release, a security counter below the
         * floor, a signature the bootloader refuses, an image its image
         * check refuses (FOTA_ERR_IMAGE(reason): vector table, link
         * address, product, confirm window, size). */
        if (rc == 0 || rc == FOTA_ERR_RANGE || rc == FOTA_ERR_INVAL ||
            rc == FOTA_ERR_REJECTED || rc == FOTA_ERR_ROLLBACK ||
            rc == FOTA_ERR_AUTH || rc == FOTA_ERR_PERM || FOTA_ERR_IS_IMAGE(rc))
            return rc;
        agent_log(t, AGENT_LOG_WARN, "flash: pass failed, starting over");
    }
    return rc;
}
