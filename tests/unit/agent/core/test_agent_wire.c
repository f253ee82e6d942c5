/*
 * test_agent_wire.c - the real protocol client against the real bootloader
 * engine over the simulated wire, on the strict flash model: full updates
 * of the inactive slot (streaming and Write Memory), then every fault kind
 * at several seeds and points. After each run: the running slot and the
 * journal's existing records are untouched, and the inactive slot is
 * committed only if its content matches the image.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agent_proto.h"
#include "boot_core.h"
#include "fota/fota_crc32.h"
#include "fota/fota_journal.h"
#include "sim_flash.h"
#include "sim_image.h"
#include "sim_wire.h"

#define BODY_SIZE (40u * 1024u) /* spans two sectors with the header */

typedef struct fx {
    sim_flash_t flash;
    sim_wire_t wire;
    agent_proto_t agent;
    uint8_t img_a[FOTA_IMAGE_HDR_SIZE + 16384];
    uint8_t img_b[FOTA_IMAGE_HDR_SIZE + BODY_SIZE];
    size_t len_a, len_b;
    /* Snapshots taken once the target runs slot A. */
    uint8_t slot_a[FOTA_SLOT_SIZE];
    uint8_t journal_main[FOTA_JOURNAL_MAIN_SIZE];
    uint8_t journal_spare[FOTA_JOURNAL_SPARE_SIZE];
    uint32_t journal_used; /* bytes of sector 11 holding records */
    uint32_t seq_before;
    uint32_t wear[FOTA_FLASH_SECTORS];
    /* Corrupt slot B in the model when the agent starts verifying. */
    int corrupt_at_verify;
} fx_t;

static fx_t *s_fx;

static int img_read(void *ctx, uint32_t off, void *buf, size_t len)
{
    fx_t *f = ctx;

    if (off > f->len_b || len > f->len_b - off)
        return FOTA_ERR_RANGE;
    memcpy(buf, f->img_b + off, len);
    return 0;
}

static void on_progress(void *ctx, int phase, uint32_t done, uint32_t total)
{
    fx_t *f = ctx;

    (void)done;
    (void)total;
    if (phase == AGENT_PHASE_VERIFY && f->corrupt_at_verify > 0) {
        /* A bit error that no frame check saw (a programmed word that
         * read back right once and then did not, or an undetected double
         * flip): it must be caught before anything is committed. */
        f->corrupt_at_verify--;
        f->flash.mem[FOTA_SLOT_B_ADDR - FOTA_FLASH_BASE + 0x1234] ^= 0x08;
    }
}

static int setup(void **state)
{
    fx_t *f = calloc(1, sizeof(*f));
    boot_ctx_t ctx;
    int n;

    assert_non_null(f);
    sim_flash_init(&f->flash, SIM_FLASH_TYPICAL);
    n = sim_image_build(f->img_a, sizeof(f->img_a), 0, 1, 0, 1, 16384, 11);
    assert_true(n > 0);
    f->len_a = (size_t)n;
    assert_int_equal(sim_image_install(&f->flash, 0, f->img_a, f->len_a), 0);
    n = sim_image_build(f->img_b, sizeof(f->img_b), 1, 2, 0, 1, BODY_SIZE, 22);
    assert_true(n > 0);
    f->len_b = (size_t)n;

    /* Power on: the factory boot records slot A as confirmed and runs it. */
    sim_wire_init(&f->wire, &f->flash, NULL);
    assert_int_equal(f->wire.mode, SIM_TARGET_APP);
    assert_int_equal(f->wire.app_slot, 0);

    memcpy(f->slot_a, &f->flash.mem[FOTA_SLOT_A_ADDR - FOTA_FLASH_BASE],
           FOTA_SLOT_SIZE);
    memcpy(f->journal_main,
           &f->flash.mem[FOTA_JOURNAL_MAIN_ADDR - FOTA_FLASH_BASE],
           FOTA_JOURNAL_MAIN_SIZE);
    memcpy(f->journal_spare,
           &f->flash.mem[FOTA_JOURNAL_SPARE_ADDR - FOTA_FLASH_BASE],
           FOTA_JOURNAL_SPARE_SIZE);
    memcpy(f->wear, f->flash.wear, sizeof(f->wear));
    assert_int_equal(boot_init(&ctx), 0);
    f->journal_used = ctx.main_next_off;
    f->seq_before = ctx.state.seq;
    assert_true(f->journal_used > 0);

    agent_proto_init(&f->agent, &f->wire.spi, &f->wire.gpio, &f->wire.clock,
                     NULL, NULL);
    s_fx = f;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    s_fx = NULL;
    return 0;
}

static agent_flash_req_t make_req(fx_t *f, bool write_memory)
{
    agent_flash_req_t r;

    memset(&r, 0, sizeof(r));
    r.read = img_read;
    r.read_ctx = f;
    r.len = (uint32_t)f->len_b;
    r.use_write_memory = write_memory;
    r.progress = on_progress;
    r.progress_ctx = f;
    return r;
}

/* What must hold after any run, faulty or not. Returns whether slot B
 * ended up committed (pending). */
static bool check_invariants(fx_t *f)
{
    boot_ctx_t ctx;
    const uint8_t *mem = f->flash.mem;

    /* The running slot is never written or erased. */
    assert_memory_equal(&mem[FOTA_SLOT_A_ADDR - FOTA_FLASH_BASE], f->slot_a,
                        FOTA_SLOT_SIZE);
    /* Existing journal records are never touched; the spare area is not
     * used by a single append. */
    assert_memory_equal(&mem[FOTA_JOURNAL_MAIN_ADDR - FOTA_FLASH_BASE],
                        f->journal_main, f->journal_used);
    assert_memory_equal(&mem[FOTA_JOURNAL_SPARE_ADDR - FOTA_FLASH_BASE],
                        f->journal_spare, FOTA_JOURNAL_SPARE_SIZE);
    /* No sector outside slot B was erased. */
    for (unsigned s = 0; s < FOTA_FLASH_SECTORS; s++)
        if (s < FOTA_SLOT_B_FIRST_SECTOR ||
            s >= FOTA_SLOT_B_FIRST_SECTOR + FOTA_SLOT_SECTORS)
            assert_int_equal(f->flash.wear[s], f->wear[s]);

    assert_int_equal(boot_init(&ctx), 0);
    assert_int_equal(ctx.state.active, 0);
    assert_int_equal(ctx.state.slot[0].state, FOTA_SLOT_CONFIRMED);
    if (ctx.state.slot[1].state != FOTA_SLOT_PENDING) {
        assert_int_equal(ctx.state.seq, f->seq_before);
        return false;
    }
    /* Committed: the slot's content must be exactly the image. */
    assert_memory_equal(&mem[FOTA_SLOT_B_ADDR - FOTA_FLASH_BASE], f->img_b,
                        f->len_b);
    assert_int_equal(boot_verify_image(&ctx, 1, true, NULL), 0);
    assert_int_equal(ctx.state.slot[1].version.major, 2);
    return true;
}

/* ---- clean runs ------------------------------------------------------------ */

static void run_clean(fx_t *f, bool write_memory)
{
    agent_flash_req_t r = make_req(f, write_memory);
    fota_status_t st;

    assert_int_equal(agent_proto_flash_image(&f->agent, &r), 0);
    assert_true(check_invariants(f));
    /* Only the sectors the image covers were erased: 40.5 KiB in the
     * first 128 KiB sector of slot B. */
    assert_int_equal(f->flash.wear[8], 1);
    assert_int_equal(f->flash.wear[9], 0);
    assert_int_equal(f->flash.wear[10], 0);
    assert_int_equal(f->flash.overwrites, 0);
    /* The target itself reports the pending slot. */
    assert_int_equal(agent_proto_status(&f->agent, &st), 0);
    assert_int_equal(st.slot[1].state, FOTA_SLOT_PENDING);
    assert_int_equal(st.active_slot, 0);
    assert_int_equal(st.slot[1].image_crc, fota_crc32_st(f->img_b, f->len_b));
    assert_int_equal(f->agent.stats.nacks, 0);
    assert_int_equal(f->agent.stats.timeouts, 0);
}

static void test_stream_update_commits(void **state)
{
    run_clean(*state, false);
}

static void test_write_memory_update_commits(void **state)
{
    run_clean(*state, true);
}

static void test_update_at_datasheet_maximum_timings(void **state)
{
    fx_t *f = *state;
    agent_flash_req_t r = make_req(f, false);

    /* Every erase and word program takes its datasheet maximum: the
     * client's deadlines must still hold, with no timeout at all. */
    f->flash.timing = SIM_FLASH_MAXIMUM;
    assert_int_equal(agent_proto_flash_image(&f->agent, &r), 0);
    assert_int_equal(f->agent.stats.timeouts, 0);
    assert_int_equal(f->agent.stats.nacks, 0);
    assert_true(check_invariants(f));
}

static void test_reboot_runs_new_image_on_trial(void **state)
{
    fx_t *f = *state;
    agent_flash_req_t r = make_req(f, false);
    boot_ctx_t ctx;

    r.reboot = true;
    assert_int_equal(agent_proto_flash_image(&f->agent, &r), 0);
    assert_int_equal(f->wire.mode, SIM_TARGET_APP);
    assert_int_equal(f->wire.app_slot, 1);
    assert_true(f->wire.app_trial);
    assert_int_equal(sim_wire_app_confirm(&f->wire), 0);
    assert_int_equal(boot_init(&ctx), 0);
    assert_int_equal(ctx.state.active, 1);
    assert_int_equal(ctx.state.slot[1].state, FOTA_SLOT_CONFIRMED);
}

static void test_commands_against_engine(void **state)
{
    fx_t *f = *state;
    uint8_t v = 0, cmds[16];
    uint16_t pid = 0;
    size_t n = 0;
    uint8_t buf[16];
    const uint16_t running = 5;

    assert_int_equal(agent_proto_enter_update(&f->agent), 0);
    assert_int_equal(f->wire.mode, SIM_TARGET_UPDATE);
    assert_int_equal(agent_proto_get_version(&f->agent, &v), 0);
    assert_int_equal(v, FOTA_BOOT_PROTO_VERSION);
    assert_int_equal(agent_proto_get_id(&f->agent, &pid), 0);
    assert_int_equal(pid, FOTA_PROTO_PID);
    assert_int_equal(agent_proto_get(&f->agent, &v, cmds, sizeof(cmds), &n), 0);
    assert_true(n >= 10);
    assert_non_null(memchr(cmds, FOTA_CMD_GET_CHECKSUM, n));
    assert_int_equal(
        agent_proto_read_memory(&f->agent, FOTA_SLOT_A_ADDR, buf, sizeof(buf)),
        0);
    assert_memory_equal(buf, f->img_a, sizeof(buf));
    /* Policy: the running slot cannot be erased or written. */
    assert_int_equal(agent_proto_extended_erase(&f->agent, &running, 1),
                     FOTA_ERR_NACK);
    assert_int_equal(
        agent_proto_write_memory(&f->agent, FOTA_SLOT_A_ADDR, buf, 16),
        FOTA_ERR_NACK);
    assert_int_equal(
        agent_proto_stream_write(&f->agent, FOTA_SLOT_A_ADDR, buf, 16),
        FOTA_ERR_NACK);
    /* The link still works after the refusals. */
    assert_int_equal(agent_proto_get_version(&f->agent, &v), 0);
    assert_false(check_invariants(f));
}

static void test_wrong_slot_image_refused(void **state)
{
    fx_t *f = *state;
    agent_flash_req_t r = make_req(f, false);
    int n =
        sim_image_build(f->img_b, sizeof(f->img_b), 0, 2, 0, 1, BODY_SIZE, 5);

    assert_true(n > 0);
    assert_int_equal(agent_proto_flash_image(&f->agent, &r), FOTA_ERR_RANGE);
    assert_int_equal(f->flash.wear[8], 0); /* nothing erased */
    assert_false(check_invariants(f));
}

static void test_corruption_past_frame_checks_is_caught(void **state)
{
    fx_t *f = *state;
    agent_flash_req_t r = make_req(f, false);

    /* Once: the first pass fails its checksum, the second succeeds. */
    f->corrupt_at_verify = 1;
    assert_int_equal(agent_proto_flash_image(&f->agent, &r), 0);
    assert_true(check_invariants(f));
}

static void test_persistent_corruption_never_commits(void **state)
{
    fx_t *f = *state;
    agent_flash_req_t r = make_req(f, false);

    f->corrupt_at_verify = 100;
    assert_int_equal(agent_proto_flash_image(&f->agent, &r), FOTA_ERR_CORRUPT);
    assert_false(check_invariants(f));
}

static void test_undetectable_double_flip_is_caught(void **state)
{
    fx_t *f = *state;
    agent_flash_req_t r = make_req(f, false);
    sim_wire_faults_t fl;

    /* The same bit flipped in two bytes of one data block: the block's
     * XOR still matches, so the engine programs damaged data. */
    sim_wire_no_faults(&fl);
    fl.pair_flips = 1;
    sim_wire_set_faults(&f->wire, &fl);
    assert_int_equal(agent_proto_flash_image(&f->agent, &r), 0);
    assert_int_equal(f->wire.faults_injected, 1);
    assert_true(check_invariants(f));

    /* On every pass: reported, never committed. */
    assert_int_equal(teardown(state), 0);
    assert_int_equal(setup(state), 0);
    f = *state;
    r = make_req(f, false);
    fl.pair_flips = 100;
    sim_wire_set_faults(&f->wire, &fl);
    assert_int_equal(agent_proto_flash_image(&f->agent, &r), FOTA_ERR_CORRUPT);
    assert_false(check_invariants(f));
}

/* ---- faults ---------------------------------------------------------------- */

/* Run one faulty update; return the result after checking invariants. A
 * run may fail only with a clear link or integrity error. */
static int run_faulty(fx_t *f, const sim_wire_faults_t *fl, bool write_memory)
{
    agent_flash_req_t r = make_req(f, write_memory);
    int rc;
    bool committed;

    sim_wire_set_faults(&f->wire, fl);
    rc = agent_proto_flash_image(&f->agent, &r);
    committed = check_invariants(f);
    if (rc == 0) {
        assert_true(committed);
    } else {
        /* PERM: the target's write policy refused an operation that the
         * faults made look like one outside the inactive slot (a sticky
         * stream error), which flash_image reports without a third
         * pass. */
        assert_true(rc == FOTA_ERR_TIMEOUT || rc == FOTA_ERR_NACK ||
                    rc == FOTA_ERR_PROTO || rc == FOTA_ERR_CORRUPT ||
                    rc == FOTA_ERR_IO || rc == FOTA_ERR_PERM);
    }
    return rc;
}

/* Reset the fixture between sub-runs of one test. */
static fx_t *fresh(void **state)
{
    assert_int_equal(teardown(state), 0);
    assert_int_equal(setup(state), 0);
    return *state;
}

static void random_fault_sweep(void **state, uint32_t mosi, uint32_t miso,
                               uint32_t drop, uint32_t dup, uint32_t max)
{
    unsigned ok = 0;
    uint32_t reactions = 0;
    const unsigned runs = 4;

    for (uint32_t seed = 1; seed <= runs; seed++) {
        fx_t *f = fresh(state);
        sim_wire_faults_t fl;

        sim_wire_no_faults(&fl);
        fl.seed = seed;
        fl.mosi_flip_ppm = mosi;
        fl.miso_flip_ppm = miso;
        fl.drop_ppm = drop;
        fl.dup_ppm = dup;
        fl.max_faults = max;
        if (run_faulty(f, &fl, seed % 2 == 0) == 0)
            ok++;
        assert_true(f->wire.faults_injected > 0);
        reactions += f->agent.stats.nacks + f->agent.stats.timeouts +
                     f->agent.stats.resyncs;
    }
    /* The faults were noticed and recovered from, not just absorbed (a
     * flipped ACK alone is: the slave holds the ACK and the next poll
     * reads it again). */
    assert_true(reactions > 0);
    /* A few faults per run are well within the retry budget. */
    assert_int_equal(ok, runs);
}

static void test_fault_mosi_bit_flips(void **state)
{
    random_fault_sweep(state, 100, 0, 0, 0, 3);
}

static void test_fault_miso_bit_flips(void **state)
{
    /* Most MISO bytes are ignored by the master (it is sending, one byte
     * per transaction): many flips, so that some land on ACKs and
     * answers. */
    random_fault_sweep(state, 0, 3000, 0, 0, 160);
}

static void test_fault_dropped_bytes(void **state)
{
    random_fault_sweep(state, 0, 0, 100, 0, 3);
}

static void test_fault_duplicated_bytes(void **state)
{
    random_fault_sweep(state, 0, 0, 0, 100, 3);
}

static void test_fault_mixed_heavy(void **state)
{
    /* Many faults: success is not required, only a clean outcome. */
    for (uint32_t seed = 1; seed <= 3; seed++) {
        fx_t *f = fresh(state);
        sim_wire_faults_t fl;

        sim_wire_no_faults(&fl);
        fl.seed = seed * 77;
        fl.mosi_flip_ppm = 2000;
        fl.miso_flip_ppm = 2000;
        fl.drop_ppm = 1000;
        fl.dup_ppm = 1000;
        (void)run_faulty(f, &fl, false);
    }
}

/* Byte indexes spread over a clean run: connect, erase, transfer, verify,
 * commit. */
static uint64_t s_clean_bytes;

static void measure_clean(void **state)
{
    fx_t *f = fresh(state);
    agent_flash_req_t r = make_req(f, false);

    assert_int_equal(agent_proto_flash_image(&f->agent, &r), 0);
    s_clean_bytes = f->wire.bytes;
    assert_true(s_clean_bytes > f->len_b);
}

static void test_fault_busy_stall(void **state)
{
    measure_clean(state);
    for (unsigned i = 1; i <= 4; i++) {
        fx_t *f = fresh(state);
        sim_wire_faults_t fl;

        sim_wire_no_faults(&fl);
        fl.stall_at = s_clean_bytes * i / 5;
        fl.stall_ms = AGENT_ERASE_128K_MAX_MS; /* the longest real busy */
        assert_int_equal(run_faulty(f, &fl, i % 2 == 0), 0);
        assert_int_equal(f->wire.faults_injected, 1);
    }
}

static void test_fault_target_reset_mid_frame(void **state)
{
    measure_clean(state);
    for (unsigned i = 1; i <= 6; i++) {
        fx_t *f = fresh(state);
        sim_wire_faults_t fl;

        sim_wire_no_faults(&fl);
        fl.reset_at = s_clean_bytes * i / 7 + i; /* off any frame boundary */
        assert_int_equal(run_faulty(f, &fl, i % 2 == 0), 0);
        assert_int_equal(f->wire.faults_injected, 1);
    }
}

static void test_fault_agent_restart_mid_transfer(void **state)
{
    measure_clean(state);
    for (unsigned i = 1; i <= 6; i++) {
        fx_t *f = fresh(state);
        sim_wire_faults_t fl;
        jmp_buf jb;
        agent_flash_req_t r = make_req(f, i % 2 == 0);
        volatile int killed = 0;

        sim_wire_no_faults(&fl);
        fl.kill_at = s_clean_bytes * i / 7 + 3 * i;
        fl.kill_jmp = &jb;
        sim_wire_set_faults(&f->wire, &fl);
        if (setjmp(jb) == 0)
            (void)agent_proto_flash_image(&f->agent, &r);
        else
            killed = 1;
        assert_true(killed);
        /* Whatever the kill left behind, the old state is intact... */
        if (check_invariants(f))
            continue; /* killed after the commit: nothing left to do */
        /* ... and a fresh agent starting over succeeds. */
        agent_proto_init(&f->agent, &f->wire.spi, &f->wire.gpio, &f->wire.clock,
                         NULL, NULL);
        assert_int_equal(agent_proto_flash_image(&f->agent, &r), 0);
        assert_true(check_invariants(f));
    }
}

/* ---- UART link (AN3155 framing) ------------------------------------------- */

static void uart_send(fx_t *f, const uint8_t *b, size_t n)
{
    assert_int_equal(f->wire.uart.ops->write(&f->wire.uart, b, n, 100), 0);
}

/* Send bytes followed by their XOR. */
static void uart_send_xor(fx_t *f, const uint8_t *b, size_t n)
{
    uint8_t x = 0;

    for (size_t i = 0; i < n; i++)
        x ^= b[i];
    uart_send(f, b, n);
    uart_send(f, &x, 1);
}

static void uart_expect(fx_t *f, const uint8_t *exp, size_t n,
                        uint32_t timeout_ms)
{
    uint8_t got[300];

    assert_true(n <= sizeof(got));
    assert_int_equal(f->wire.uart.ops->read(&f->wire.uart, got, n, timeout_ms),
                     (int)n);
    assert_memory_equal(got, exp, n);
}

static void uart_cmd(fx_t *f, uint8_t cmd, uint8_t reply)
{
    uint8_t fr[2] = {cmd, (uint8_t)~cmd};

    uart_send(f, fr, 2);
    uart_expect(f, &reply, 1, 100);
}

static void test_uart_link(void **state)
{
    fx_t *f = *state;
    const uint8_t ack = FOTA_PROTO_ACK, nack = FOTA_PROTO_NACK;
    const uint8_t sync = FOTA_PROTO_UART_SYNC;
    uint8_t b[260];
    uint8_t data[64];

    /* Update mode by the strap, as for SPI. */
    f->wire.spi.ops->set_cs(&f->wire.spi, true);
    f->wire.gpio.ops->set(&f->wire.gpio, AGENT_PIN_NRST, 0);
    f->wire.gpio.ops->set(&f->wire.gpio, AGENT_PIN_NRST, 1);
    assert_int_equal(f->wire.mode, SIM_TARGET_UPDATE);

    uart_send(f, &sync, 1);
    uart_expect(f, &ack, 1, 10);

    /* Get Version: version plus two option bytes on UART. */
    uint64_t t0 = f->flash.now_ns;
    uart_cmd(f, FOTA_CMD_GET_VERSION, ack);
    const uint8_t ver[] = {FOTA_BOOT_PROTO_VERSION, 0, 0, FOTA_PROTO_ACK};
    uart_expect(f, ver, sizeof(ver), 10);
    /* 2 bytes out, 5 back, 11 bits each at 115200 baud. */
    assert_true(f->flash.now_ns - t0 >= 7u * 11u * 1000000000u / 115200u);

    uart_cmd(f, FOTA_CMD_GET_ID, ack);
    const uint8_t id[] = {1, 0x04, 0x13, FOTA_PROTO_ACK};
    uart_expect(f, id, sizeof(id), 10);

    /* Extended erase in one frame: N(2), codes, one XOR. Sector 8 is in
     * the inactive slot; the ACK comes after the erase. */
    uart_cmd(f, FOTA_CMD_EXTENDED_ERASE, ack);
    const uint8_t er[] = {0, 0, 0, 8};
    uart_send_xor(f, er, sizeof(er));
    uart_expect(f, &ack, 1, 3000);
    assert_int_equal(f->flash.wear[8], f->wear[8] + 1);

    /* Sector 5 belongs to the running slot: refused. */
    uart_cmd(f, FOTA_CMD_EXTENDED_ERASE, ack);
    const uint8_t er5[] = {0, 0, 0, 5};
    uart_send_xor(f, er5, sizeof(er5));
    uart_expect(f, &nack, 1, 3000);

    /* Write Memory, Read Memory, Get Checksum. */
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(i * 13 + 7);
    const uint8_t addr[] = {0x08, 0x08, 0x00, 0x00};
    uart_cmd(f, FOTA_CMD_WRITE_MEMORY, ack);
    uart_send_xor(f, addr, 4);
    uart_expect(f, &ack, 1, 10);
    b[0] = sizeof(data) - 1;
    memcpy(b + 1, data, sizeof(data));
    uart_send_xor(f, b, 1 + sizeof(data));
    uart_expect(f, &ack, 1, 100);

    uart_cmd(f, FOTA_CMD_READ_MEMORY, ack);
    uart_send_xor(f, addr, 4);
    uart_expect(f, &ack, 1, 10);
    const uint8_t nn[] = {sizeof(data) - 1, (uint8_t) ~(sizeof(data) - 1)};
    uart_send(f, nn, 2);
    uart_expect(f, &ack, 1, 10);
    uart_expect(f, data, sizeof(data), 100);

    uint32_t crc = fota_crc32_st(data, sizeof(data));
    uint8_t ans[6] = {FOTA_PROTO_ACK,       (uint8_t)(crc >> 24),
                      (uint8_t)(crc >> 16), (uint8_t)(crc >> 8),
                      (uint8_t)crc,         0};
    ans[5] = ans[1] ^ ans[2] ^ ans[3] ^ ans[4];
    const uint8_t len[] = {0, 0, 0, sizeof(data)};
    uart_cmd(f, FOTA_CMD_GET_CHECKSUM, ack);
    uart_send_xor(f, addr, 4);
    uart_expect(f, &ack, 1, 10);
    uart_send_xor(f, len, 4);
    uart_expect(f, &ack, 1, 10);
    uart_expect(f, ans, sizeof(ans), 100);

    /* Nothing else arrives, and the old state is intact. */
    assert_int_equal(f->wire.uart.ops->read(&f->wire.uart, b, 1, 5), 0);
    assert_false(check_invariants(f));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_stream_update_commits, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_write_memory_update_commits, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_update_at_datasheet_maximum_timings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reboot_runs_new_image_on_trial,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_commands_against_engine, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_wrong_slot_image_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_corruption_past_frame_checks_is_caught, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_persistent_corruption_never_commits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_undetectable_double_flip_is_caught,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_fault_mosi_bit_flips, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_fault_miso_bit_flips, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_fault_dropped_bytes, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_fault_duplicated_bytes, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_fault_mixed_heavy, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_fault_busy_stall, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fault_target_reset_mid_frame,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_fault_agent_restart_mid_transfer,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_uart_link, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
