/*
 * test_agent_proto.c - the protocol client against a scripted SPI slave:
 * the exact bytes of every command, the ACK procedure (dummy polls, BUSY,
 * ACK-of-ACK after NACK), NACK and timeout retries with re-synchronisation,
 * and the deadlines, on a fake clock that charges each transfer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "agent_proto.h"
#include "fota/fota_crc32.h"
#include "fota/fota_journal.h"

/* ---- scripted slave ---------------------------------------------------------- */

enum step_kind {
    STEP_BYTE = 0, /* master must send tx (unless any), slave replies reply */
    STEP_BUSY_ACK, /* master polls 0x00; BUSY until until_us, then reply */
    STEP_SILENT,   /* anything goes, BUSY back, until CS is released */
    STEP_DEAF,     /* not listening: anything goes, reply back, until the
                      first 0x5A at or after until_us, which is the next
                      step's byte */
};

typedef struct step {
    uint8_t kind;
    uint8_t tx;
    uint8_t reply;
    bool any;
    uint64_t until_us;
} step_t;

#define MAX_STEPS 8192
#define MAX_LOG 16384

typedef struct fake {
    agent_spi_t spi;
    agent_gpio_t gpio;
    agent_clock_t clock;
    step_t steps[MAX_STEPS];
    size_t n_steps;
    size_t pos;
    size_t mismatches;
    size_t first_mismatch;
    size_t overrun; /* bytes clocked after the script ended */
    uint8_t log[MAX_LOG];
    size_t n_log;
    uint64_t now_us;
    bool cs;
    unsigned cs_pulses; /* deassert events */
    int nrst;
    unsigned nrst_pulses;
} fake_t;

static fake_t s_fake;

static int fake_xfer(agent_spi_t *self, const uint8_t *tx, uint8_t *rx,
                     size_t len, uint32_t timeout_ms)
{
    fake_t *f = AGENT_CONTAINER_OF(self, fake_t, spi);

    (void)timeout_ms;
    /* An ESP32 polling transaction: fixed cost plus 1 us per byte. */
    f->now_us += 10 + len;
    for (size_t i = 0; i < len; i++) {
        uint8_t out = tx ? tx[i] : 0;
        uint8_t in = FOTA_PROTO_BUSY;

        if (f->n_log < MAX_LOG)
            f->log[f->n_log++] = out;
        if (!f->cs) {
            f->mismatches++;
        } else if (f->pos >= f->n_steps) {
            f->overrun++;
        } else {
            step_t *s = &f->steps[f->pos];

            if (s->kind == STEP_DEAF) {
                if (f->now_us < s->until_us || out != 0x5A ||
                    f->pos + 1 >= f->n_steps) {
                    if (rx)
                        rx[i] = s->reply;
                    continue;
                }
                s = &f->steps[++f->pos];
            }
            if (!s->any && out != s->tx) {
                if (!f->mismatches)
                    f->first_mismatch = f->pos;
                f->mismatches++;
            }
            if (s->kind == STEP_SILENT) {
                in = FOTA_PROTO_BUSY;
            } else if (s->kind == STEP_BUSY_ACK && f->now_us < s->until_us) {
                in = FOTA_PROTO_BUSY;
            } else {
                in = s->reply;
                f->pos++;
            }
        }
        if (rx)
            rx[i] = in;
    }
    return 0;
}

static int fake_set_cs(agent_spi_t *self, bool asserted)
{
    fake_t *f = AGENT_CONTAINER_OF(self, fake_t, spi);

    if (f->cs && !asserted) {
        f->cs_pulses++;
        if (f->pos < f->n_steps && f->steps[f->pos].kind == STEP_SILENT)
            f->pos++;
    }
    f->cs = asserted;
    return 0;
}

static int fake_gpio_set(agent_gpio_t *self, unsigned pin, int level)
{
    fake_t *f = AGENT_CONTAINER_OF(self, fake_t, gpio);

    if (pin != AGENT_PIN_NRST)
        return FOTA_ERR_INVAL;
    if (f->nrst && !level)
        f->nrst_pulses++;
    f->nrst = level;
    return 0;
}

static uint32_t fake_now_ms(agent_clock_t *self)
{
    fake_t *f = AGENT_CONTAINER_OF(self, fake_t, clock);

    return (uint32_t)(f->now_us / 1000u);
}

static void fake_sleep_ms(agent_clock_t *self, uint32_t ms)
{
    fake_t *f = AGENT_CONTAINER_OF(self, fake_t, clock);

    f->now_us += (uint64_t)ms * 1000u;
}

static const agent_spi_ops_t s_spi_ops = {fake_xfer, fake_set_cs};
static const agent_gpio_ops_t s_gpio_ops = {fake_gpio_set};
static const agent_clock_ops_t s_clock_ops = {fake_now_ms, fake_sleep_ms};

/* Script builders. */
static void sx(uint8_t tx, uint8_t reply)
{
    assert_true(s_fake.n_steps < MAX_STEPS);
    s_fake.steps[s_fake.n_steps++] = (step_t){STEP_BYTE, tx, reply, false, 0};
}

/* Master sends these bytes; the slave fills with BUSY. */
static void s_send(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sx(p[i], FOTA_PROTO_BUSY);
}

static void s_send_xor(const uint8_t *p, size_t n)
{
    uint8_t x = 0;

    s_send(p, n);
    for (size_t i = 0; i < n; i++)
        x ^= p[i];
    sx(x, FOTA_PROTO_BUSY);
}

/* The slave's answer to the ACK procedure: dummy, then ACK or NACK; the
 * master must send the ACK-of-ACK in both cases. */
static void s_ack_reply(uint8_t a)
{
    sx(FOTA_PROTO_DUMMY, FOTA_PROTO_DUMMY);
    sx(FOTA_PROTO_DUMMY, a);
    sx(FOTA_PROTO_ACK, FOTA_PROTO_BUSY);
}

static void s_ack(void)
{
    s_ack_reply(FOTA_PROTO_ACK);
}

/* Slave busy until the fake clock reaches until_us, then ACK. */
static void s_busy_ack(uint64_t until_us)
{
    assert_true(s_fake.n_steps < MAX_STEPS);
    s_fake.steps[s_fake.n_steps++] = (step_t){STEP_BUSY_ACK, FOTA_PROTO_DUMMY,
                                              FOTA_PROTO_ACK, false, until_us};
    sx(FOTA_PROTO_ACK, FOTA_PROTO_BUSY);
}

/* The target does not listen (MISO reads reply) until until_us. */
static void s_deaf_until(uint64_t until_us, uint8_t reply)
{
    assert_true(s_fake.n_steps < MAX_STEPS);
    s_fake.steps[s_fake.n_steps++] =
        (step_t){STEP_DEAF, 0, reply, true, until_us};
}

static void s_silent_until_cs(void)
{
    assert_true(s_fake.n_steps < MAX_STEPS);
    s_fake.steps[s_fake.n_steps++] = (step_t){STEP_SILENT, 0, 0, true, 0};
}

static void s_cmd(uint8_t cmd)
{
    uint8_t f[3] = {0x5A, cmd, (uint8_t)~cmd};

    s_send(f, 3);
}

/* The answer: master clocks dummies, slave sends a dummy then bytes. */
static void s_answer(const uint8_t *p, size_t n, bool dummy_first)
{
    if (dummy_first)
        sx(FOTA_PROTO_DUMMY, FOTA_PROTO_DUMMY);
    for (size_t i = 0; i < n; i++)
        sx(FOTA_PROTO_DUMMY, p[i]);
}

static void s_sync(void)
{
    sx(0x5A, FOTA_PROTO_SPI_SYNC_ACK);
    s_ack();
}

static agent_proto_t s_t;

static int setup(void **state)
{
    (void)state;
    memset(&s_fake, 0, sizeof(s_fake));
    s_fake.spi.ops = &s_spi_ops;
    s_fake.gpio.ops = &s_gpio_ops;
    s_fake.clock.ops = &s_clock_ops;
    s_fake.nrst = 1;
    s_fake.cs = true;
    agent_proto_init(&s_t, &s_fake.spi, &s_fake.gpio, &s_fake.clock, NULL,
                     NULL);
    s_t.synced = true; /* most tests start at a frame boundary */
    return 0;
}

static void check_script_done(void)
{
    if (s_fake.mismatches)
        print_error("first mismatch at step %zu (log len %zu)\n",
                    s_fake.first_mismatch, s_fake.n_log);
    assert_int_equal(s_fake.mismatches, 0);
    assert_int_equal(s_fake.overrun, 0);
    assert_int_equal(s_fake.pos, s_fake.n_steps);
}

/* ---- exact bytes ------------------------------------------------------------------ */

static void test_sync_bytes(void **state)
{
    (void)state;
    s_t.synced = false;
    s_sync();
    assert_int_equal(agent_proto_sync(&s_t), 0);
    check_script_done();
    assert_true(s_t.synced);
    assert_int_equal(s_fake.cs_pulses, 1); /* CS pulse drops half frames */
    assert_true(s_fake.cs);
}

static void test_sync_accepts_nack(void **state)
{
    (void)state;
    s_t.synced = false;
    sx(0x5A, FOTA_PROTO_BUSY);
    s_ack_reply(FOTA_PROTO_NACK);
    assert_int_equal(agent_proto_sync(&s_t), 0);
    check_script_done();
}

static void test_enter_update_pulses_nrst_with_cs_low(void **state)
{
    (void)state;
    s_fake.cs = false;
    s_sync();
    assert_int_equal(agent_proto_enter_update(&s_t), 0);
    check_script_done();
    assert_int_equal(s_fake.nrst_pulses, 1);
    assert_int_equal(s_fake.nrst, 1);
    assert_true(s_fake.cs);
    assert_int_equal(s_t.stats.resets, 1);
}

/* A bootloader that listens 5.5 ms after NRST: the sync is repeated
 * every sync_poll_ms and the first frame after it starts listening is
 * answered, long before boot_wait_ms; the unanswered frames are no missed
 * deadlines. */
static void test_enter_update_polls_until_the_bootloader_listens(void **state)
{
    (void)state;
    s_fake.cs = false;
    s_deaf_until(5500, 0xFF);
    s_sync();
    assert_int_equal(agent_proto_enter_update(&s_t), 0);
    check_script_done();
    assert_int_equal(s_fake.nrst_pulses, 1);
    assert_true(s_fake.now_us >= 5500);
    assert_true(s_fake.now_us < 5500 + 2000u * s_t.cfg.sync_poll_ms);
    assert_true(s_fake.cs_pulses >= 5);
    assert_int_equal(s_t.stats.timeouts, 0);
    assert_true(s_t.synced);
}

/* sync_poll_ms = 0: one sync after the whole boot_wait_ms, as hosts that
 * wait a fixed time do. */
static void test_enter_update_fixed_wait(void **state)
{
    agent_proto_cfg_t cfg;

    (void)state;
    agent_proto_default_cfg(&cfg);
    cfg.sync_poll_ms = 0;
    agent_proto_init(&s_t, &s_fake.spi, &s_fake.gpio, &s_fake.clock, NULL,
                     &cfg);
    s_fake.cs = false;
    s_deaf_until(5500, 0xFF);
    s_sync();
    assert_int_equal(agent_proto_enter_update(&s_t), 0);
    check_script_done();
    assert_true(s_fake.now_us >=
                1000u * (cfg.reset_pulse_ms + cfg.boot_wait_ms));
    assert_int_equal(s_fake.cs_pulses, 1);
    assert_int_equal(s_t.stats.timeouts, 0);
}

/* Nobody ever answers: each reset polls until boot_wait_ms, then one sync
 * with the full ACK deadline, the only one counted as missed; then the
 * next reset. */
static void test_enter_update_gives_up_after_boot_wait(void **state)
{
    agent_proto_cfg_t cfg;

    (void)state;
    agent_proto_default_cfg(&cfg);
    cfg.sync_attempts = 2;
    agent_proto_init(&s_t, &s_fake.spi, &s_fake.gpio, &s_fake.clock, NULL,
                     &cfg);
    s_fake.cs = false;
    s_deaf_until(UINT64_MAX, 0xFF);
    sx(0x00, 0x00); /* never reached */
    assert_int_equal(agent_proto_enter_update(&s_t), FOTA_ERR_TIMEOUT);
    assert_int_equal(s_fake.nrst_pulses, 2);
    assert_int_equal(s_t.stats.timeouts, 2);
    uint64_t per =
        1000u * (cfg.reset_pulse_ms + cfg.boot_wait_ms + cfg.ack_timeout_ms);
    assert_true(s_fake.now_us >= 2 * per);
    assert_true(s_fake.now_us <= 2 * per + 2 * 3000u);
    assert_false(s_t.synced);
}

/* The probe for a bootloader already listening: a running application's
 * 00 filler ends it after sync_poll_polls dummies; the bootloader's A5
 * busy filler is waited for up to app_timeout_ms. */
static void test_probe_boot_quick_on_filler(void **state)
{
    (void)state;
    s_fake.cs = false;
    s_deaf_until(UINT64_MAX, 0x00);
    sx(0x00, 0x00); /* never reached */
    assert_int_equal(agent_proto_probe_boot(&s_t), FOTA_ERR_NOENT);
    assert_true(s_fake.now_us < 1000u);
    assert_false(s_fake.cs);
    assert_int_equal(s_t.stats.timeouts, 0);
    /* 0x5A and the dummies: one frame. */
    assert_int_equal(s_fake.n_log, 1u + s_t.cfg.sync_poll_polls);

    setup(NULL);
    s_fake.cs = false;
    s_deaf_until(UINT64_MAX, FOTA_PROTO_BUSY);
    sx(0x00, 0x00); /* never reached */
    assert_int_equal(agent_proto_probe_boot(&s_t), FOTA_ERR_NOENT);
    assert_true(s_fake.now_us >= 1000u * s_t.cfg.app_timeout_ms);
    assert_true(s_fake.now_us <= 1000u * (s_t.cfg.app_timeout_ms + 2));
    assert_int_equal(s_t.stats.timeouts, 0);
}

static void test_get_version_bytes(void **state)
{
    uint8_t v = 0;
    const uint8_t ans[] = {0x11};

    (void)state;
    s_cmd(0x01);
    s_ack();
    s_answer(ans, 1, true);
    s_ack();
    assert_int_equal(agent_proto_get_version(&s_t, &v), 0);
    check_script_done();
    assert_int_equal(v, 0x11);
}

static void test_get_bytes(void **state)
{
    const uint8_t ans1[] = {4};
    const uint8_t ans2[] = {0x11, 0x00, 0x01, 0x02, 0x11};
    uint8_t v = 0, cmds[8] = {0};
    size_t n = 0;

    (void)state;
    s_cmd(0x00);
    s_ack();
    s_answer(ans1, 1, true);
    s_answer(ans2, 5, false);
    s_ack();
    assert_int_equal(agent_proto_get(&s_t, &v, cmds, sizeof(cmds), &n), 0);
    check_script_done();
    assert_int_equal(v, 0x11);
    assert_int_equal(n, 4);
    assert_memory_equal(cmds, ans2 + 1, 4);
}

static void test_get_id_bytes(void **state)
{
    const uint8_t ans[] = {1, 0x04, 0x13};
    uint16_t pid = 0;

    (void)state;
    s_cmd(0x02);
    s_ack();
    s_answer(ans, 3, true);
    s_ack();
    assert_int_equal(agent_proto_get_id(&s_t, &pid), 0);
    check_script_done();
    assert_int_equal(pid, 0x413);
}

static void test_read_memory_bytes(void **state)
{
    const uint8_t addr[] = {0x08, 0x02, 0x00, 0x10};
    const uint8_t data[] = {1, 2, 3, 4, 5, 6, 7, 8};
    uint8_t buf[8] = {0};

    (void)state;
    s_cmd(0x11);
    s_ack();
    s_send_xor(addr, 4);
    s_ack();
    sx(7, FOTA_PROTO_BUSY);
    sx(0xF8, FOTA_PROTO_BUSY);
    s_ack();
    s_answer(data, 8, true);
    assert_int_equal(agent_proto_read_memory(&s_t, 0x08020010, buf, 8), 0);
    check_script_done();
    assert_memory_equal(buf, data, 8);
}

static void test_write_memory_pads_and_xors(void **state)
{
    const uint8_t addr[] = {0x08, 0x08, 0x01, 0x00};
    const uint8_t data[] = {0xDE, 0xAD, 0xBE, 0xEF, 0x01, 0x02};
    uint8_t blk[1 + 8];

    (void)state;
    s_cmd(0x31);
    s_ack();
    s_send_xor(addr, 4);
    s_ack();
    blk[0] = 7; /* N = padded length - 1 */
    memcpy(blk + 1, data, 6);
    blk[7] = 0xFF;
    blk[8] = 0xFF;
    s_send_xor(blk, 9);
    s_ack();
    assert_int_equal(agent_proto_write_memory(&s_t, 0x08080100, data, 6), 0);
    check_script_done();
}

static void test_write_memory_rejects_bad_args(void **state)
{
    uint8_t d[300] = {0};

    (void)state;
    assert_int_equal(agent_proto_write_memory(&s_t, 0x08080102, d, 4),
                     FOTA_ERR_INVAL);
    assert_int_equal(agent_proto_write_memory(&s_t, 0x08080100, d, 257),
                     FOTA_ERR_INVAL);
    assert_int_equal(s_fake.n_log, 0); /* nothing went on the wire */
}

static void test_extended_erase_bytes_and_long_deadline(void **state)
{
    const uint16_t sectors[] = {8, 9};
    const uint8_t n[] = {0x00, 0x01};
    const uint8_t codes[] = {0x00, 0x08, 0x00, 0x09};

    (void)state;
    s_cmd(0x44);
    s_ack();
    s_send_xor(n, 2);
    s_ack();
    s_send_xor(codes, 4);
    /* Two 128 KiB sectors at the datasheet maximum: 4 s of BUSY. */
    s_busy_ack(s_fake.now_us + 4000000u);
    assert_int_equal(agent_proto_extended_erase(&s_t, sectors, 2), 0);
    check_script_done();
    assert_true(s_fake.now_us >= 4000000u);
    /* Polling backs off to 1 ms sleeps: far fewer than 4 s / 11 us polls. */
    assert_true(s_fake.n_log < 8000);
}

static void test_get_checksum_bytes(void **state)
{
    const uint8_t addr[] = {0x08, 0x08, 0x00, 0x00};
    const uint8_t len[] = {0x00, 0x04, 0x00, 0x00};
    uint8_t ans[5] = {0x12, 0x34, 0x56, 0x78, 0};
    uint32_t crc = 0;

    (void)state;
    ans[4] = 0x12 ^ 0x34 ^ 0x56 ^ 0x78;
    s_cmd(0xA1);
    s_ack();
    s_send_xor(addr, 4);
    s_ack();
    s_send_xor(len, 4);
    s_ack();
    s_busy_ack(s_fake.now_us + 20000u); /* draining the queue */
    s_answer(ans, 5, true);
    assert_int_equal(agent_proto_get_checksum(&s_t, 0x08080000, 0x40000, &crc),
                     0);
    check_script_done();
    assert_int_equal(crc, 0x12345678);
}

static void test_go_bytes(void **state)
{
    const uint8_t addr[] = {0x08, 0x00, 0x00, 0x00};

    (void)state;
    s_cmd(0x21);
    s_ack();
    s_send_xor(addr, 4);
    s_ack();
    assert_int_equal(agent_proto_go(&s_t, 0x08000000), 0);
    check_script_done();
    assert_false(s_t.synced); /* a new program runs now */
}

/* The Special request of opcode with data, as the slave expects it. */
static void s_special_req(uint8_t cmd, uint16_t op, const uint8_t *d, size_t n)
{
    uint8_t b[2 + 128];

    s_cmd(cmd);
    s_ack();
    b[0] = (uint8_t)(op >> 8);
    b[1] = (uint8_t)op;
    s_send_xor(b, 2);
    s_ack();
    b[0] = (uint8_t)(n >> 8);
    b[1] = (uint8_t)n;
    if (n)
        memcpy(b + 2, d, n);
    s_send_xor(b, 2 + n);
    s_ack();
}

static void s_special_answer(const uint8_t *data, size_t n, uint8_t status)
{
    uint8_t sz[2] = {(uint8_t)(n >> 8), (uint8_t)n};
    uint8_t ssz[3] = {0, 1, status};

    s_answer(sz, 2, true);
    s_answer(data, n, false);
    s_answer(ssz, 3, false);
    s_ack();
}

static void test_status_decodes_block(void **state)
{
    fota_status_t in, out;
    uint8_t blk[FOTA_STATUS_SIZE];

    (void)state;
    memset(&in, 0, sizeof(in));
    in.format = FOTA_STATUS_FORMAT;
    in.active_slot = 0;
    in.inactive_slot = 1;
    in.slot[0].state = FOTA_SLOT_CONFIRMED;
    in.slot[0].version.major = 3;
    in.slot[0].image_crc = 0xCAFEF00D;
    fota_status_encode(&in, blk);
    s_special_req(0x50, FOTA_OP_STATUS, NULL, 0);
    s_special_answer(blk, sizeof(blk), FOTA_RESULT_OK);
    assert_int_equal(agent_proto_status(&s_t, &out), 0);
    check_script_done();
    assert_int_equal(out.inactive_slot, 1);
    assert_int_equal(out.slot[0].state, FOTA_SLOT_CONFIRMED);
    assert_int_equal(out.slot[0].version.major, 3);
    assert_int_equal(out.slot[0].image_crc, 0xCAFEF00D);
}

static void test_commit_bytes_and_verdict(void **state)
{
    const uint8_t slot = 1;

    (void)state;
    s_special_req(0x50, FOTA_OP_COMMIT, &slot, 1);
    s_special_answer(NULL, 0, (uint8_t)-FOTA_ERR_CORRUPT);
    /* The target's verdict comes back as the FOTA_ERR_* and is final. */
    assert_int_equal(agent_proto_commit(&s_t, 1), FOTA_ERR_CORRUPT);
    check_script_done();
    assert_int_equal(s_t.stats.commands, 1);
}

static void test_stream_write_bytes(void **state)
{
    uint8_t data[16];
    uint8_t b[2 + 16];
    const uint8_t ssz[3] = {0, 1, 0};
    const uint8_t addr[] = {0, 4, 0x08, 0x08, 0x02, 0x00};

    (void)state;
    for (int i = 0; i < 16; i++)
        data[i] = (uint8_t)(i * 7 + 1);
    s_cmd(0x51);
    s_busy_ack(s_fake.now_us + 3000u); /* a chunk buffer frees up */
    b[0] = 0x46;
    b[1] = 0x10;
    s_send_xor(b, 2);
    s_ack();
    s_send_xor(addr, 6);
    s_ack();
    b[0] = 0;
    b[1] = 16;
    memcpy(b + 2, data, 16);
    s_send_xor(b, 18);
    s_ack();
    s_answer(ssz, 3, true);
    s_ack();
    assert_int_equal(agent_proto_stream_write(&s_t, 0x08080200, data, 16), 0);
    check_script_done();
}

static void test_reboot_bytes_and_cs_release(void **state)
{
    (void)state;
    s_special_req(0x50, FOTA_OP_REBOOT, NULL, 0);
    s_special_answer(NULL, 0, FOTA_RESULT_OK);
    assert_int_equal(agent_proto_reboot(&s_t), 0);
    check_script_done();
    /* CS released: the target boots normally, not into update mode. */
    assert_false(s_fake.cs);
    assert_false(s_t.synced);
}

/* ---- NACK, retry, deadlines ------------------------------------------------------- */

static void test_nack_resyncs_and_resends(void **state)
{
    uint8_t v = 0;
    const uint8_t ans[] = {0x11};

    (void)state;
    s_cmd(0x01);
    s_ack_reply(FOTA_PROTO_NACK); /* ACK-of-ACK is still required */
    s_sync();
    s_cmd(0x01);
    s_ack();
    s_answer(ans, 1, true);
    s_ack();
    assert_int_equal(agent_proto_get_version(&s_t, &v), 0);
    check_script_done();
    assert_int_equal(v, 0x11);
    assert_int_equal(s_t.stats.nacks, 1);
    assert_int_equal(s_t.stats.resyncs, 1);
    assert_int_equal(s_fake.cs_pulses, 1);
}

static void test_nack_on_every_attempt_gives_nack(void **state)
{
    const uint16_t sec = 5;
    const uint8_t n[] = {0, 0};
    const uint8_t code[] = {0, 5};

    (void)state;
    for (int i = 0; i < 4; i++) {
        if (i)
            s_sync();
        s_cmd(0x44);
        s_ack();
        s_send_xor(n, 2);
        s_ack();
        s_send_xor(code, 2);
        s_ack_reply(FOTA_PROTO_NACK); /* policy: running slot */
    }
    assert_int_equal(agent_proto_extended_erase(&s_t, &sec, 1), FOTA_ERR_NACK);
    check_script_done();
    assert_int_equal(s_t.stats.nacks, 4);
}

static void test_ack_polling_skips_busy_and_junk(void **state)
{
    uint8_t v = 0;

    (void)state;
    s_cmd(0x01);
    sx(0, FOTA_PROTO_BUSY);
    sx(0, 0x42);
    sx(0, FOTA_PROTO_BUSY);
    sx(0, FOTA_PROTO_ACK);
    sx(FOTA_PROTO_ACK, FOTA_PROTO_BUSY);
    sx(0, 0);
    sx(0, 0x10);
    s_ack();
    assert_int_equal(agent_proto_get_version(&s_t, &v), 0);
    check_script_done();
    assert_int_equal(v, 0x10);
}

static void test_ack_deadline(void **state)
{
    agent_proto_cfg_t cfg;
    uint8_t v = 0;

    (void)state;
    agent_proto_default_cfg(&cfg);
    cfg.retries = 1;
    agent_proto_init(&s_t, &s_fake.spi, &s_fake.gpio, &s_fake.clock, NULL,
                     &cfg);
    s_t.synced = true;
    s_cmd(0x01); /* then the slave stays BUSY for ever */
    uint64_t t0 = s_fake.now_us;
    assert_int_equal(agent_proto_get_version(&s_t, &v), FOTA_ERR_TIMEOUT);
    uint64_t waited = s_fake.now_us - t0;
    assert_true(waited >= (uint64_t)cfg.ack_timeout_ms * 1000u);
    assert_true(waited <= (uint64_t)(cfg.ack_timeout_ms + 2) * 1000u);
    assert_int_equal(s_t.stats.timeouts, 1);
    assert_false(s_t.synced);
    /* It never sent an ACK-of-ACK: only dummies after the frame. */
    for (size_t i = 3; i < s_fake.n_log; i++)
        assert_int_equal(s_fake.log[i], 0);
}

static void test_erase_deadline_is_bounded(void **state)
{
    agent_proto_cfg_t cfg;
    const uint16_t sec = 9;
    const uint8_t n[] = {0, 0};
    const uint8_t code[] = {0, 9};

    (void)state;
    agent_proto_default_cfg(&cfg);
    cfg.retries = 1;
    agent_proto_init(&s_t, &s_fake.spi, &s_fake.gpio, &s_fake.clock, NULL,
                     &cfg);
    s_t.synced = true;
    s_cmd(0x44);
    s_ack();
    s_send_xor(n, 2);
    s_ack();
    s_send_xor(code, 2);
    uint64_t t0 = s_fake.now_us;
    /* Busy far beyond any datasheet erase time: give up, but not before
     * the 128 KiB maximum (2 s). */
    s_busy_ack(t0 + 60000000u);
    assert_int_equal(agent_proto_extended_erase(&s_t, &sec, 1),
                     FOTA_ERR_TIMEOUT);
    uint64_t waited = s_fake.now_us - t0;
    assert_true(waited >= 2000000u);
    assert_true(waited < 5000000u);
}

static void test_checksum_bad_xor_is_retried(void **state)
{
    const uint8_t addr[] = {0x08, 0x08, 0x00, 0x00};
    const uint8_t len[] = {0x00, 0x00, 0x02, 0x00};
    uint8_t bad[5] = {1, 2, 3, 4, 0x55};
    uint8_t good[5] = {1, 2, 3, 4, 1 ^ 2 ^ 3 ^ 4};
    uint32_t crc = 0;

    (void)state;
    for (int i = 0; i < 2; i++) {
        if (i)
            s_sync();
        s_cmd(0xA1);
        s_ack();
        s_send_xor(addr, 4);
        s_ack();
        s_send_xor(len, 4);
        s_ack();
        s_ack();
        s_answer(i ? good : bad, 5, true);
    }
    assert_int_equal(agent_proto_get_checksum(&s_t, 0x08080000, 0x200, &crc),
                     0);
    check_script_done();
    assert_int_equal(crc, 0x01020304);
}

static void test_commit_not_resent_after_lost_answer(void **state)
{
    const uint8_t slot = 1;
    fota_status_t st;
    uint8_t blk[FOTA_STATUS_SIZE];

    (void)state;
    s_special_req(0x50, FOTA_OP_COMMIT, &slot, 1);
    /* The answer is lost: the slave stays silent until the client gives up
     * and re-synchronises. The client must not commit a second time but
     * ask the status instead, which shows the slot pending. */
    s_silent_until_cs();
    s_sync();
    memset(&st, 0, sizeof(st));
    st.format = FOTA_STATUS_FORMAT;
    st.inactive_slot = 1;
    st.slot[1].state = FOTA_SLOT_PENDING;
    fota_status_encode(&st, blk);
    s_special_req(0x50, FOTA_OP_STATUS, NULL, 0);
    s_special_answer(blk, sizeof(blk), FOTA_RESULT_OK);
    assert_int_equal(agent_proto_commit(&s_t, 1), 0);
    check_script_done();
    size_t commit_frames = 0;
    for (size_t i = 0; i + 1 < s_fake.n_log; i++)
        if (s_fake.log[i] == 0x46 && s_fake.log[i + 1] == 0x01)
            commit_frames++;
    assert_int_equal(commit_frames, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_sync_bytes, setup),
        cmocka_unit_test_setup(test_sync_accepts_nack, setup),
        cmocka_unit_test_setup(test_enter_update_pulses_nrst_with_cs_low,
                               setup),
        cmocka_unit_test_setup(
            test_enter_update_polls_until_the_bootloader_listens, setup),
        cmocka_unit_test_setup(test_enter_update_fixed_wait, setup),
        cmocka_unit_test_setup(test_enter_update_gives_up_after_boot_wait,
                               setup),
        cmocka_unit_test_setup(test_probe_boot_quick_on_filler, setup),
        cmocka_unit_test_setup(test_get_version_bytes, setup),
        cmocka_unit_test_setup(test_get_bytes, setup),
        cmocka_unit_test_setup(test_get_id_bytes, setup),
        cmocka_unit_test_setup(test_read_memory_bytes, setup),
        cmocka_unit_test_setup(test_write_memory_pads_and_xors, setup),
        cmocka_unit_test_setup(test_write_memory_rejects_bad_args, setup),
        cmocka_unit_test_setup(test_extended_erase_bytes_and_long_deadline,
                               setup),
        cmocka_unit_test_setup(test_get_checksum_bytes, setup),
        cmocka_unit_test_setup(test_go_bytes, setup),
        cmocka_unit_test_setup(test_status_decodes_block, setup),
        cmocka_unit_test_setup(test_commit_bytes_and_verdict, setup),
        cmocka_unit_test_setup(test_stream_write_bytes, setup),
        cmocka_unit_test_setup(test_reboot_bytes_and_cs_release, setup),
        cmocka_unit_test_setup(test_nack_resyncs_and_resends, setup),
        cmocka_unit_test_setup(test_nack_on_every_attempt_gives_nack, setup),
        cmocka_unit_test_setup(test_ack_polling_skips_busy_and_junk, setup),
        cmocka_unit_test_setup(test_ack_deadline, setup),
        cmocka_unit_test_setup(test_erase_deadline_is_bounded, setup),
        cmocka_unit_test_setup(test_checksum_bad_xor_is_retried, setup),
        cmocka_unit_test_setup(test_commit_not_resent_after_lost_answer, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
