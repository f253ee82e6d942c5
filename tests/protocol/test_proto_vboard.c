/*
 * test_proto_vboard.c - AN4286 host behaviours against the real bootloader
 * on the cycle-timed virtual board (vb_host.h): every multi-byte answer
 * read in one transfer at 1, 4 and 8 MHz with 0 and 1 us between bytes,
 * command frames back to back, an over-read byte after each ACK and
 * answer, a missed ACK followed by polling, an 11 s sleep before polling an
 * erase result, 255-byte writes, a blind final ACK-of-ACK. Each test checks
 * the answers, that the SPI saw no overrun, and that nothing outside the
 * inactive slot (B) changed and no word was programmed twice.
 *
 * Usage: test_proto_vboard <fota tool> <boot.elf> <app-slot-a.bin>
 *        test_proto_vboard --bench <fota tool> <boot.elf> <app-slot-a.bin>
 * (the second prints the `an4286:` figure line of make bench).
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fota/fota_config.h"
#include "fota/fota_crc32.h"
#include "fota/fota_err.h"
#include "fota/fota_layout.h"
#include "fota/fota_proto.h"
#include "sim_flash.h"
#include "vb_host.h"
#include "vboard.h"

#define SLOT_B FOTA_SLOT_B_ADDR
#define SLOT_B_END (FOTA_SLOT_B_ADDR + FOTA_SLOT_SIZE)

static const char *s_tool, *s_boot_elf, *s_app_bin;
static char s_img[64];
static vboard_snapshot_t *s_ready; /* in update mode, link idle */

typedef struct fx {
    vboard_t *b;
    uint8_t *before;
    vb_host_t h;
} fx_t;

static int pack_image(void)
{
    char cmd[3072];
    int fd;

    strcpy(s_img, "/tmp/proto_vboard_XXXXXX");
    fd = mkstemp(s_img);
    if (fd < 0)
        return -1;
    close(fd);
    snprintf(cmd, sizeof cmd,
             "%s image pack --slot a --version 1.0.0 --sec-counter 0 %s -o %s "
             ">/dev/null",
             s_tool, s_app_bin, s_img);
    return system(cmd) == 0 ? 0 : -1;
}

/* The bootloader in update mode (NSS strap low at reset), once; every test
 * starts from a snapshot of that moment. */
static vboard_t *ready_board(void)
{
    vboard_t *b = vboard_create(NULL);

    if (!b)
        return NULL;
    if (s_ready) {
        if (vboard_restore(b, s_ready) != 0) {
            vboard_destroy(b);
            return NULL;
        }
        return b;
    }
    vboard_until_t u = {.max_ns = 300000000u, .uart_text = "update mode"};

    if (vboard_load_elf(b, s_boot_elf) ||
        vboard_load_bin(b, s_img, FOTA_SLOT_A_ADDR)) {
        vboard_destroy(b);
        return NULL;
    }
    vboard_set_nss(b, false);
    vboard_reset(b, VBOARD_RESET_POWER);
    if (vboard_run(b, &u) != VBOARD_STOP_UART) {
        vboard_destroy(b);
        return NULL;
    }
    vboard_run_ns(b, 2000000u);
    s_ready = vboard_snapshot(b);
    return b;
}

static int setup(void **state)
{
    fx_t *f = calloc(1, sizeof *f);

    assert_non_null(f);
    f->b = ready_board();
    assert_non_null(f->b);
    f->before = malloc(FOTA_FLASH_SIZE);
    assert_non_null(f->before);
    memcpy(f->before, vboard_flash(f->b)->mem, FOTA_FLASH_SIZE);
    vbh_init(&f->h, f->b, 8000000u, 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    const sim_flash_t *fl = vboard_flash(f->b);
    uint64_t overruns = 0;

    for (uint32_t off = 0; off < FOTA_FLASH_SIZE; off++) {
        uint32_t a = FOTA_FLASH_BASE + off;

        if (a >= SLOT_B && a < SLOT_B_END)
            continue;
        if (fl->mem[off] != f->before[off])
            fail_msg("flash changed at 0x%08x", (unsigned)a);
    }
    assert_int_equal(fl->overwrites, 0);
    vboard_spi_stats(f->b, NULL, &overruns, NULL);
    assert_int_equal(overruns, 0);
    assert_null(vboard_fault(f->b));
    vboard_destroy(f->b);
    free(f->before);
    free(f);
    return 0;
}

static const uint8_t *MEM(fx_t *f, uint32_t addr)
{
    return &vboard_flash(f->b)->mem[addr - FOTA_FLASH_BASE];
}

/* Get, Get Version, Get ID and a 256-byte Read Memory, all correct. */
static void info_round(fx_t *f)
{
    static const uint8_t want[] = {0x00, 0x01, 0x02, 0x11, 0x21,
                                   0x31, 0x44, 0xA1, 0x50, 0x51};
    uint8_t ver = 0, cmds[16], data[256];
    uint16_t pid = 0;
    size_t n = 0;

    assert_int_equal(vbh_get(&f->h, &ver, cmds, &n), 0);
    assert_int_equal(ver, FOTA_BOOT_PROTO_VERSION);
    assert_int_equal(n, sizeof want);
    assert_memory_equal(cmds, want, sizeof want);
    ver = 0;
    assert_int_equal(vbh_get_version(&f->h, &ver), 0);
    assert_int_equal(ver, FOTA_BOOT_PROTO_VERSION);
    assert_int_equal(vbh_get_id(&f->h, &pid), 0);
    assert_int_equal(pid, FOTA_PROTO_PID);
    assert_int_equal(vbh_read(&f->h, FOTA_SLOT_A_ADDR, data, sizeof data), 0);
    assert_memory_equal(data, MEM(f, FOTA_SLOT_A_ADDR), sizeof data);
}

/* Answers in one transfer at 1, 4 and 8 MHz, 0 and 1 us between bytes. */
static void test_answers_in_one_transfer(void **state)
{
    static const uint32_t hz[] = {1000000u, 4000000u, 8000000u};
    fx_t *f = *state;

    for (size_t i = 0; i < sizeof hz / sizeof hz[0]; i++)
        for (uint32_t gap = 0; gap <= 1000; gap += 1000) {
            vbh_init(&f->h, f->b, hz[i], gap);
            assert_int_equal(vbh_sync(&f->h), FOTA_PROTO_ACK);
            info_round(f);
        }
}

/* Frames follow each other with no time between transfers. */
static void test_back_to_back_frames(void **state)
{
    fx_t *f = *state;

    f->h.txn_gap_ns = 0;
    assert_int_equal(vbh_sync(&f->h), FOTA_PROTO_ACK);
    for (int i = 0; i < 3; i++)
        info_round(f);
}

/* One byte too many after each ACK and each answer. */
static void test_over_read(void **state)
{
    fx_t *f = *state;

    f->h.over_read = true;
    assert_int_equal(vbh_sync(&f->h), FOTA_PROTO_ACK);
    info_round(f);
    info_round(f);
}

/* The final ACK-of-ACK sent without polling for the ACK. */
static void test_blind_final_ackack(void **state)
{
    fx_t *f = *state;

    f->h.blind_ackack = true;
    assert_int_equal(vbh_sync(&f->h), FOTA_PROTO_ACK);
    info_round(f);
    info_round(f);
}

/* The ACK of a command is missed: the host polls on (it sees the ACK
 * again), then answers it; another time it starts a new frame instead. */
static void test_missed_ack(void **state)
{
    fx_t *f = *state;
    uint8_t frame[3] = {FOTA_PROTO_SPI_SYNC, FOTA_CMD_GET_ID,
                        (uint8_t)~FOTA_CMD_GET_ID};
    uint8_t r = 0, ans[4];

    assert_int_equal(vbh_sync(&f->h), FOTA_PROTO_ACK);
    vbh_xfer(&f->h, frame, NULL, 3);
    for (int i = 0; i < 100 && r != FOTA_PROTO_ACK; i++)
        vbh_xfer(&f->h, NULL, &r, 1);
    assert_int_equal(r, FOTA_PROTO_ACK);
    for (int i = 0; i < 50; i++) {
        vboard_run_ns(f->b, 20000);
        vbh_xfer(&f->h, NULL, &r, 1);
        assert_int_equal(r, FOTA_PROTO_ACK);
    }
    r = FOTA_PROTO_ACK;
    vbh_xfer(&f->h, &r, NULL, 1);
    vbh_xfer(&f->h, NULL, ans, 4);
    assert_int_equal(ans[1], 1);
    assert_int_equal((ans[2] << 8) | ans[3], FOTA_PROTO_PID);
    assert_int_equal(vbh_ack(&f->h, 100), FOTA_PROTO_ACK);
    /* Missed, and the host restarts with a new frame. */
    vbh_xfer(&f->h, frame, NULL, 3);
    vboard_run_ns(f->b, 100000);
    info_round(f);
}

/* An erase whose result the host polls only after sleeping 11 s, then an
 * image written in 255-byte chunks and checked by checksum. */
static void test_erase_sleep_then_255_writes(void **state)
{
    fx_t *f = *state;
    enum { LEN = 4 * 255 + 17 };
    static uint8_t img[LEN + 3];
    uint16_t sector = FOTA_SLOT_B_FIRST_SECTOR;
    uint32_t crc = 0;

    for (size_t i = 0; i < LEN; i++)
        img[i] = (uint8_t)(i * 13u + (i >> 8) + 1);
    memset(img + LEN, 0xFF, 3);
    assert_int_equal(vbh_sync(&f->h), FOTA_PROTO_ACK);
    f->h.sleep_ms = 11000;
    assert_int_equal(vbh_erase(&f->h, &sector, 1), 0);
    /* The reply was waiting: a few polls (the dummy, then the ACK, each
     * handed out as a poll arrives), not a wait. */
    print_message("erase result after %u polls\n", (unsigned)f->h.polls);
    assert_true(f->h.polls < 10);
    f->h.sleep_ms = 0;
    for (size_t off = 0; off < LEN; off += 255) {
        size_t n = LEN - off < 255 ? LEN - off : 255;

        assert_int_equal(vbh_write(&f->h, SLOT_B + (uint32_t)off, img + off, n),
                         0);
    }
    assert_int_equal(vbh_checksum(&f->h, SLOT_B, LEN + 3, &crc), 0);
    assert_int_equal(crc, fota_crc32_st(img, LEN + 3));
    assert_memory_equal(MEM(f, SLOT_B), img, LEN + 3);
    info_round(f);
}

/* A word that does not read back ends the run the flash interrupt
 * chains: the Write Memory is refused, the words before it are in flash,
 * none after it was started, and the bootloader answers on. (The word is
 * made unprogrammable behind the bus: programmed to 0 beforehand, so the
 * run programs it a second time, which the flash model counts.) */
static void test_word_failure_ends_run(void **state)
{
    fx_t *f = *state;
    static uint8_t data[256], erased[124];
    static const uint8_t zero[4];
    sim_flash_t *fl = vboard_flash(f->b);

    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(0xA5u ^ i);
    memset(erased, 0xFF, sizeof erased);
    assert_int_equal(vboard_program_flash(f->b, SLOT_B + 128, zero, 4), 0);
    assert_int_equal(vbh_sync(&f->h), FOTA_PROTO_ACK);
    assert_int_not_equal(vbh_write(&f->h, SLOT_B, data, sizeof data), 0);
    assert_memory_equal(MEM(f, SLOT_B), data, 128);
    assert_memory_equal(MEM(f, SLOT_B + 128), zero, 4);
    assert_memory_equal(MEM(f, SLOT_B + 132), erased, sizeof erased);
    assert_int_equal(fl->overwrites, 1);
    fl->overwrites = 0;
    info_round(f);
}

/* The make bench figure: Read Memory of 256 bytes at 8 MHz, every answer
 * byte clocked back to back, in simulated time. */
static int bench(void)
{
    fx_t f = {0};
    uint8_t ver = 0, cmds[16], data[256];
    size_t n = 0;
    int get_ok;
    uint64_t t0, t1;

    f.b = ready_board();
    if (!f.b)
        return 1;
    vbh_init(&f.h, f.b, 8000000u, 0);
    get_ok = vbh_sync(&f.h) == FOTA_PROTO_ACK &&
             vbh_get(&f.h, &ver, cmds, &n) == 0 &&
             ver == FOTA_BOOT_PROTO_VERSION;
    t0 = vboard_now_ns(f.b);
    if (vbh_read(&f.h, FOTA_SLOT_A_ADDR, data, sizeof data) != 0 ||
        memcmp(data,
               vboard_flash(f.b)->mem + (FOTA_SLOT_A_ADDR - FOTA_FLASH_BASE),
               sizeof data) != 0)
        get_ok = 0;
    t1 = vboard_now_ns(f.b);
    printf(
        "an4286: spi_hz=8000000 answer_gap_ns=0 get_ok=%d read_256_ms=%.3f\n",
        get_ok, (double)(t1 - t0) / 1e6);
    vboard_destroy(f.b);
    return get_ok ? 0 : 1;
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_answers_in_one_transfer, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_back_to_back_frames, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_over_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_blind_final_ackack, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_missed_ack, setup, teardown),
        cmocka_unit_test_setup_teardown(test_word_failure_ends_run, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_erase_sleep_then_255_writes, setup,
                                        teardown),
    };
    bool bench_mode = argc == 5 && strcmp(argv[1], "--bench") == 0;
    int rc;

    if (bench_mode) {
        argv++;
        argc--;
    }
    if (argc != 4) {
        fprintf(stderr,
                "usage: %s [--bench] <fota tool> <boot.elf> <app-slot-a.bin>\n",
                argv[0]);
        return 2;
    }
    s_tool = argv[1];
    s_boot_elf = argv[2];
    s_app_bin = argv[3];
    if (access(s_boot_elf, R_OK) || access(s_app_bin, R_OK)) {
        fprintf(stderr, "firmware not built (run make cross): %s %s\n",
                s_boot_elf, s_app_bin);
        return 1;
    }
    if (pack_image() != 0) {
        fprintf(stderr, "fota image pack failed\n");
        return 1;
    }
    /* PROTO_VBOARD_TEST=<glob> runs a subset. */
    if (getenv("PROTO_VBOARD_TEST"))
        cmocka_set_test_filter(getenv("PROTO_VBOARD_TEST"));
    rc = bench_mode ? bench() : cmocka_run_group_tests(tests, NULL, NULL);
    remove(s_img);
    if (s_ready)
        vboard_snapshot_free(s_ready);
    return rc;
}
