/*
 * The real firmware on the virtual board: the bootloader ELF and the slot-A
 * application (packed into a slot image by `fota image pack`) boot to the
 * application banner on USART1, the application confirms itself, and the
 * NSS strap keeps the bootloader in update mode where it answers the SPI
 * sync. Paths come from the command line: <fota tool> <boot.elf> <app.bin>.
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

#include "agent_proto.h"
#include "fota/fota_crc32.h"
#include "fota/fota_crc32.h"
#include "fota/fota_journal.h"
#include "fota/fota_layout.h"
#include "vboard.h"
#include "vboard_agent.h"

static const char *s_tool, *s_boot_elf, *s_app_bin;
static char s_app_bin_b[1024];
static char s_img[64], s_img_b[64];

static int pack_one(char *img, const char *slot, const char *version,
                    const char *bin)
{
    char cmd[3072];
    int fd;

    strcpy(img, "/tmp/vboard_real_XXXXXX");
    fd = mkstemp(img);
    if (fd < 0)
        return -1;
    close(fd);
    snprintf(cmd, sizeof cmd,
             "%s image pack --slot %s --version %s --sec-counter 0 %s -o %s "
             ">/dev/null",
             s_tool, slot, version, bin, img);
    return system(cmd) == 0 ? 0 : -1;
}

static int pack_image(void **state)
{
    (void)state;
    if (pack_one(s_img, "a", "1.0.0", s_app_bin) < 0)
        return -1;
    return pack_one(s_img_b, "b", "1.1.0", s_app_bin_b);
}

static int remove_image(void **state)
{
    (void)state;
    remove(s_img);
    remove(s_img_b);
    return 0;
}

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf;
    long n;

    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n > 0);
    rewind(f);
    buf = malloc((size_t)n);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static vboard_t *real_board_cfg(bool strap_low, const vboard_config_t *cfg)
{
    vboard_t *b = vboard_create(cfg);

    assert_non_null(b);
    assert_int_equal(vboard_load_elf(b, s_boot_elf), 0);
    assert_int_equal(vboard_load_bin(b, s_img, FOTA_SLOT_A_ADDR), 0);
    vboard_set_nss(b, !strap_low);
    vboard_reset(b, VBOARD_RESET_POWER);
    return b;
}

static vboard_t *real_board(bool strap_low)
{
    return real_board_cfg(strap_low, NULL);
}

static void test_boots_to_app_banner_and_confirms(void **state)
{
    vboard_t *b = real_board(false);
    vboard_until_t u = {.max_ns = 200000000u, .uart_text = "fota-app"};
    const char *out;

    (void)state;
    assert_int_equal(vboard_run(b, &u), VBOARD_STOP_UART);
    print_message("app banner after %.3f ms simulated, %llu instructions\n",
                  (double)vboard_now_ns(b) / 1e6,
                  (unsigned long long)vboard_insns(b));
    assert_int_equal(vboard_hclk_hz(b), 168000000u);
    u.max_ns = 2000000000u;
    u.uart_text = "confirm";
    assert_int_equal(vboard_run(b, &u), VBOARD_STOP_UART);
    out = vboard_uart_output(b, NULL);
    assert_non_null(strstr(out, "fota-boot"));
    assert_non_null(strstr(out, "slot A"));
    assert_true(vboard_led_log(b, NULL) > 0);
    assert_null(vboard_fault(b));
    assert_int_equal(vboard_unclocked_accesses(b), 0);
    vboard_destroy(b);
}

/* A snapshot taken in the middle of the real boot continues exactly as
 * the original run, on another board too. */
static void test_snapshot_mid_boot_is_exact(void **state)
{
    vboard_t *a = real_board(false), *c = vboard_create(NULL);
    vboard_until_t u = {.max_ns = 200000000u, .uart_text = "fota-app"};
    vboard_snapshot_t *snap;
    uint64_t t, n, whole;
    char *out;

    (void)state;
    assert_non_null(c);
    /* Halfway through the boot, whatever its length: a first run measures
     * the instructions up to the application's banner. */
    {
        vboard_t *ref = real_board(false);

        assert_int_equal(vboard_run(ref, &u), VBOARD_STOP_UART);
        whole = vboard_insns(ref);
        vboard_destroy(ref);
    }
    assert_true(whole > 1000);
    assert_int_equal(vboard_run_insns(a, whole / 2 + 3), VBOARD_STOP_INSNS);
    snap = vboard_snapshot(a);
    assert_non_null(snap);
    assert_int_equal(vboard_run(a, &u), VBOARD_STOP_UART);
    t = vboard_now_ns(a);
    n = vboard_insns(a);
    out = strdup(vboard_uart_output(a, NULL));
    assert_int_equal(vboard_restore(c, snap), 0);
    assert_int_equal(vboard_run(c, &u), VBOARD_STOP_UART);
    assert_int_equal(vboard_now_ns(c), t);
    assert_int_equal(vboard_insns(c), n);
    assert_string_equal(vboard_uart_output(c, NULL), out);
    free(out);
    vboard_snapshot_free(snap);
    vboard_destroy(a);
    vboard_destroy(c);
}

static uint8_t xfer_gap(vboard_t *b, uint8_t tx)
{
    uint8_t rx = 0;

    vboard_run_ns(b, 10000u);
    assert_int_equal(vboard_spi_xfer(b, &tx, &rx, 1), 0);
    return rx;
}

static void test_nss_strap_enters_update_mode_and_syncs(void **state)
{
    vboard_t *b = real_board(true);
    vboard_until_t u = {.max_ns = 200000000u, .uart_text = "update mode"};
    uint8_t rx = 0;
    int i;

    (void)state;
    assert_int_equal(vboard_run(b, &u), VBOARD_STOP_UART);
    vboard_run_ns(b, 5000000u);
    assert_int_equal(xfer_gap(b, 0x5A), 0xA5);
    /* Poll with dummies until the ACK, as the agent does. */
    for (i = 0; i < 100; i++) {
        rx = xfer_gap(b, 0x00);
        if (rx == 0x79 || rx == 0x1F)
            break;
    }
    assert_int_equal(rx, 0x79);
    xfer_gap(b, 0x79);
    /* Get ID, one byte per transaction with 10 us between them (the
     * polled slave answers each byte during the gap that follows it). */
    uint8_t frame[3] = {0x5A, 0x02, 0xFD}, id[4];

    for (i = 0; i < 3; i++)
        xfer_gap(b, frame[i]);
    for (i = 0; i < 100; i++) {
        rx = xfer_gap(b, 0x00);
        if (rx == 0x79 || rx == 0x1F)
            break;
    }
    assert_int_equal(rx, 0x79);
    xfer_gap(b, 0x79);
    for (i = 0; i < 4; i++)
        id[i] = xfer_gap(b, 0x00);
    print_message("get id: %02x %02x %02x %02x\n", id[0], id[1], id[2], id[3]);
    assert_int_equal(id[1], 1);    /* N = 1 */
    assert_int_equal(id[2], 0x04); /* PID 0x413 */
    assert_int_equal(id[3], 0x13);
    assert_null(vboard_fault(b));
    vboard_destroy(b);
}

/* A bug report that fota_assert_failed left in the no-init window before
 * a reset (magic "BUG!", complement, file name address, line) is logged by
 * the next boot, which then stays in update mode instead of booting the
 * valid image. The file name is one the bootloader's flash holds; a
 * pointer outside the bootloader prints as "?". */
static void test_bug_report_logged_then_update_mode(void **state)
{
    static const char name[] = "boot_journal.c";
    static uint8_t flash[FOTA_BOOT_SIZE];
    vboard_t *b = real_board(false);
    vboard_until_t u = {.max_ns = 200000000u, .uart_text = "update mode"};
    uint32_t rep[4] = {0x21475542u, ~0x21475542u, 0, 4242};
    const uint8_t *hit;
    const char *out;

    (void)state;
    assert_int_equal(vboard_read_mem(b, FOTA_BOOT_ADDR, flash, sizeof flash),
                     0);
    hit = NULL;
    for (size_t i = 0; hit == NULL && i + sizeof name <= sizeof flash; i++)
        if (memcmp(flash + i, name, sizeof name) == 0)
            hit = flash + i;
    assert_non_null(hit);
    rep[2] = FOTA_BOOT_ADDR + (uint32_t)(hit - flash);
    for (int round = 0; round < 2; round++) {
        assert_int_equal(vboard_write_mem(b, FOTA_NOINIT_ADDR, rep, sizeof rep),
                         0);
        vboard_uart_clear(b);
        vboard_reset(b, VBOARD_RESET_PIN);
        assert_int_equal(vboard_run(b, &u), VBOARD_STOP_UART);
        out = vboard_uart_output(b, NULL);
        assert_non_null(strstr(out, round == 0 ? "firmware bug at "
                                                 "boot_journal.c:4242 in the "
                                                 "last boot"
                                               : "firmware bug at ?:4242 in "
                                                 "the last boot"));
        assert_null(strstr(out, "boot slot"));
        rep[2] = 0x12345678u; /* not the bootloader's */
    }
    /* The report is gone: the next reset boots the image. */
    vboard_uart_clear(b);
    vboard_reset(b, VBOARD_RESET_PIN);
    u.uart_text = "boot slot A";
    assert_int_equal(vboard_run(b, &u), VBOARD_STOP_UART);
    assert_null(vboard_fault(b));
    vboard_destroy(b);
}

/* The agent's protocol client, through the same ports as on the simulated
 * wire, resets the real bootloader on b into update mode (CS strap + NRST
 * pulse) and synchronises with it. Returns the simulated ms it took. */
static double agent_enters_update(vboard_t *b)
{
    vboard_agent_t va;
    agent_proto_cfg_t cfg;
    agent_proto_t *p = malloc(sizeof *p);
    uint64_t t0;
    int rc;

    assert_non_null(p);
    vboard_agent_init(&va, b);
    agent_proto_default_cfg(&cfg);
    /* The default sync polling after the reset finds the bootloader once
     * it listens (a few ms: 2 ms crystal start, the journal read, its log
     * lines at 115200 baud); short deadlines keep a failure quick. */
    cfg.sync_attempts = 2;
    cfg.sync_timeout_ms = 200;
    agent_proto_init(p, &va.spi, &va.gpio, &va.clock, NULL, &cfg);
    vboard_run_ns(b, 1000000u);
    t0 = vboard_now_ns(b);
    rc = agent_proto_enter_update(p);
    print_message("enter_update %d after %.3f ms; uart:\n%s\n", rc,
                  (double)(vboard_now_ns(b) - t0) / 1e6,
                  vboard_uart_output(b, NULL));
    assert_int_equal(rc, 0);
    assert_true(p->synced);
    assert_int_equal(p->stats.resets, 1);
    assert_int_equal(p->stats.timeouts, 0);
    assert_int_equal(vboard_reset_count(b), 2); /* power-on, NRST pulse */
    assert_null(vboard_fault(b));
    free(p);
    return (double)(vboard_now_ns(b) - t0) / 1e6;
}

static void test_agent_protocol_client_on_real_bootloader(void **state)
{
    vboard_t *b = real_board(false);

    (void)state;
    /* Listening within a few ms of the pulse, found by the 1 ms polls. */
    assert_true(agent_enters_update(b) < 15.0);
    vboard_destroy(b);
}

/* A crystal that never starts: the bootloader waits 50 ms for it, then
 * runs on the HSI; the agent's polls still find it, within boot_wait_ms,
 * at the first reset. */
static void test_agent_finds_bootloader_without_crystal(void **state)
{
    vboard_config_t cfg;
    vboard_t *b;
    double ms;

    (void)state;
    vboard_config_default(&cfg);
    cfg.hse_fails = true;
    b = real_board_cfg(false, &cfg);
    ms = agent_enters_update(b);
    assert_true(ms > 50.0);
    assert_non_null(strstr(vboard_uart_output(b, NULL), "clk=hsi16"));
    vboard_destroy(b);
}

/* The whole update of the inactive slot by the agent's protocol client,
 * through the agent's ports, against the real bootloader with its real
 * SPI service (polled bytes, DMA for bulk payloads) at 8 MHz: enter
 * update mode, Get ID (a multi-byte answer), status, erase, the first KiB
 * by standard Write Memory and the rest by streaming writes, Read Memory
 * back, Get Checksum, commit, reboot, and the new application's trial
 * boot and confirm. No byte may be lost on the bus. */
static void test_agent_full_update_on_real_bootloader(void **state)
{
    vboard_t *b = real_board(false);
    vboard_until_t u = {.max_ns = 2000000000u, .uart_text = "confirm"};
    vboard_agent_t va;
    agent_proto_t *p = malloc(sizeof *p);
    fota_status_t st;
    uint8_t rb[256];
    uint16_t pid = 0;
    uint16_t sector = 8;
    uint32_t crc = 0;
    uint64_t bytes = 0, overruns = 0, bytes0 = 0, overruns0 = 0;
    size_t len, wm;
    uint8_t *img = read_file(s_img_b, &len);
    uint64_t t0;
    char line[64];

    (void)state;
    assert_non_null(p);
    /* Slot A runs and confirms itself: slot B is the inactive one. */
    assert_int_equal(vboard_run(b, &u), VBOARD_STOP_UART);
    vboard_agent_init(&va, b);
    vboard_spi_set_hz(b, 8000000u);
    agent_proto_init(p, &va.spi, &va.gpio, &va.clock, NULL, NULL);
    t0 = vboard_now_ns(b);

    assert_int_equal(agent_proto_enter_update(p), 0);
    assert_int_equal(p->stats.resets, 1); /* the default boot wait suffices */
    assert_int_equal(agent_proto_get_id(p, &pid), 0);
    assert_int_equal(pid, 0x413);
    assert_int_equal(agent_proto_status(p, &st), 0);
    assert_int_equal(st.active_slot, 0);
    assert_int_equal(st.inactive_slot, 1);
    assert_int_equal(FOTA_SECTOR_ADDR(sector), FOTA_SLOT_B_ADDR);
    assert_true(len <= (size_t)FOTA_SECTOR_SIZE(sector));
    assert_int_equal(len % 4, 0);
    assert_int_equal(agent_proto_extended_erase(p, &sector, 1), 0);
    vboard_spi_stats(b, &bytes0, &overruns0, NULL);

    wm = len < 1024 ? len : 1024;
    for (size_t off = 0; off < wm; off += 256) {
        size_t n = wm - off < 256 ? wm - off : 256;

        assert_int_equal(agent_proto_write_memory(
                             p, FOTA_SLOT_B_ADDR + (uint32_t)off, img + off, n),
                         0);
    }
    for (size_t off = wm; off < len; off += 1024) {
        size_t n = len - off < 1024 ? len - off : 1024;

        assert_int_equal(agent_proto_stream_write(
                             p, FOTA_SLOT_B_ADDR + (uint32_t)off, img + off, n),
                         0);
    }
    assert_int_equal(
        agent_proto_get_checksum(p, FOTA_SLOT_B_ADDR, (uint32_t)len, &crc), 0);
    assert_int_equal(crc, fota_crc32_st(img, len));
    assert_int_equal(
        agent_proto_read_memory(p, FOTA_SLOT_B_ADDR + 512, rb, sizeof rb), 0);
    assert_memory_equal(rb, img + 512, sizeof rb);
    /* Not one byte of the data path lost. (Polls clocked while the engine
     * computes synchronously - the commit's SHA-256 - may be overrun:
     * they carry nothing, the host just polls again.) */
    vboard_spi_stats(b, &bytes, &overruns, NULL);
    assert_true(bytes - bytes0 > len);
    assert_int_equal(overruns - overruns0, 0);
    assert_int_equal(agent_proto_commit(p, 1), 0);
    assert_int_equal(agent_proto_status(p, &st), 0);
    assert_int_equal(st.slot[1].state, FOTA_SLOT_PENDING);
    assert_int_equal(st.slot[1].version.minor, 1);
    print_message(
        "update of %zu bytes: %.3f ms simulated, %llu SPI transactions, "
        "%u retries\n",
        len, (double)(vboard_now_ns(b) - t0) / 1e6,
        (unsigned long long)va.xfers,
        (unsigned)(p->stats.nacks + p->stats.timeouts));
    assert_int_equal(p->stats.nacks + p->stats.timeouts, 0);

    vboard_uart_clear(b);
    assert_int_equal(agent_proto_reboot(p), 0);
    assert_int_equal(vboard_run(b, &u), VBOARD_STOP_UART);
    assert_non_null(strstr(vboard_uart_output(b, NULL), "trial boot slot B"));
    /* The new image's self-test checks itself with the CRC unit against
     * the CRC the commit recorded (fota_app_image_crc), not by hashing. */
    u = (vboard_until_t){.max_ns = 2000000000u,
                         .uart_text = "(crc unit = journal)"};
    assert_int_equal(vboard_run(b, &u), VBOARD_STOP_UART);
    snprintf(line, sizeof line, "app: image crc %08x (crc unit = journal)",
             (unsigned)fota_crc32_st(img, len));
    assert_non_null(strstr(vboard_uart_output(b, NULL), line));
    assert_null(vboard_fault(b));
    free(img);
    free(p);
    vboard_destroy(b);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_boots_to_app_banner_and_confirms),
        cmocka_unit_test(test_nss_strap_enters_update_mode_and_syncs),
        cmocka_unit_test(test_bug_report_logged_then_update_mode),
        cmocka_unit_test(test_agent_protocol_client_on_real_bootloader),
        cmocka_unit_test(test_agent_finds_bootloader_without_crystal),
        cmocka_unit_test(test_snapshot_mid_boot_is_exact),
        cmocka_unit_test(test_agent_full_update_on_real_bootloader),
    };

    if (argc != 4) {
        fprintf(stderr, "usage: %s <fota tool> <boot.elf> <app-slot-a.bin>\n",
                argv[0]);
        return 2;
    }
    s_tool = argv[1];
    s_boot_elf = argv[2];
    s_app_bin = argv[3];
    /* The slot-B application sits next to the slot-A one. */
    snprintf(s_app_bin_b, sizeof s_app_bin_b, "%s", s_app_bin);
    {
        char *a = strstr(s_app_bin_b, "slot-a.bin");

        if (!a) {
            fprintf(stderr, "expected .../fota-app-slot-a.bin: %s\n",
                    s_app_bin);
            return 2;
        }
        memcpy(a, "slot-b.bin", 10);
    }
    if (access(s_boot_elf, R_OK) || access(s_app_bin, R_OK) ||
        access(s_app_bin_b, R_OK)) {
        fprintf(stderr, "firmware not built (run make cross): %s %s\n",
                s_boot_elf, s_app_bin);
        return 1;
    }
    return cmocka_run_group_tests(tests, pack_image, remove_image);
}
