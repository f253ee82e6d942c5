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
#include "fota/fota_layout.h"
#include "vboard.h"
#include "vboard_agent.h"

static const char *s_tool, *s_boot_elf, *s_app_bin;
static char s_img[64];

static int pack_image(void **state)
{
    char cmd[1024];
    int fd;

    (void)state;
    strcpy(s_img, "/tmp/vboard_real_XXXXXX");
    fd = mkstemp(s_img);
    if (fd < 0)
        return -1;
    close(fd);
    snprintf(cmd, sizeof cmd,
             "%s image pack --slot a --version 1.0.0 --sec-counter 0 %s -o %s >/dev/null",
             s_tool, s_app_bin, s_img);
    return system(cmd) == 0 ? 0 : -1;
}

static int remove_image(void **state)
{
    (void)state;
    remove(s_img);
    return 0;
}

static vboard_t *real_board(bool strap_low)
{
    vboard_t *b = vboard_create(NULL);

    assert_non_null(b);
    assert_int_equal(vboard_load_elf(b, s_boot_elf), 0);
    assert_int_equal(vboard_load_bin(b, s_img, FOTA_SLOT_A_ADDR), 0);
    vboard_set_nss(b, !strap_low);
    vboard_reset(b, VBOARD_RESET_POWER);
    return b;
}

static void test_boots_to_app_banner_and_confirms(void **state)
{
    vboard_t *b = real_board(false);
    vboard_until_t u = {.max_ns = 200000000u, .uart_text = "fota-app"};
    const char *out;

    (void)state;
    assert_int_equal(vboard_run(b, &u), VBOARD_STOP_UART);
    print_message("app banner after %.3f ms simulated, %llu instructions\n",
                  (double)vboard_now_ns(b) / 1e6, (unsigned long long)vboard_insns(b));
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
    uint64_t t, n;
    char *out;

    (void)state;
    assert_non_null(c);
    assert_int_equal(vboard_run_insns(a, 1000003), VBOARD_STOP_INSNS);
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

/* The agent's protocol client, through the same ports as on the simulated
 * wire, resets the real bootloader into update mode (CS strap + NRST
 * pulse) and synchronises with it. (Multi-byte answers clocked back to back
 * in one transaction are not checked here: a polled slave loads each answer
 * byte only after the previous byte completed, so on this board, as on
 * silicon, those bytes go out stale; see docs/virtual-board.md.) */
static void test_agent_protocol_client_on_real_bootloader(void **state)
{
    vboard_t *b = real_board(false);
    vboard_agent_t va;
    agent_proto_cfg_t cfg;
    agent_proto_t *p = malloc(sizeof *p);
    int rc;

    (void)state;
    assert_non_null(p);
    vboard_agent_init(&va, b);
    agent_proto_default_cfg(&cfg);
    /* The real bootloader listens ~18 ms after reset (2 ms crystal start,
     * its banner at 115200 baud); short deadlines keep a failure quick. */
    cfg.boot_wait_ms = 30;
    cfg.sync_attempts = 2;
    cfg.sync_timeout_ms = 200;
    agent_proto_init(p, &va.spi, &va.gpio, &va.clock, NULL, &cfg);
    vboard_run_ns(b, 1000000u);
    rc = agent_proto_enter_update(p);
    print_message("enter_update %d after %.3f ms; uart:\n%s\n", rc,
                  (double)vboard_now_ns(b) / 1e6, vboard_uart_output(b, NULL));
    assert_int_equal(rc, 0);
    assert_true(p->synced);
    assert_int_equal(p->stats.resets, 1);
    assert_int_equal(vboard_reset_count(b), 2); /* power-on, NRST pulse */
    assert_null(vboard_fault(b));
    free(p);
    vboard_destroy(b);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_boots_to_app_banner_and_confirms),
        cmocka_unit_test(test_nss_strap_enters_update_mode_and_syncs),
        cmocka_unit_test(test_agent_protocol_client_on_real_bootloader),
        cmocka_unit_test(test_snapshot_mid_boot_is_exact),
    };

    if (argc != 4) {
        fprintf(stderr, "usage: %s <fota tool> <boot.elf> <app-slot-a.bin>\n", argv[0]);
        return 2;
    }
    s_tool = argv[1];
    s_boot_elf = argv[2];
    s_app_bin = argv[3];
    if (access(s_boot_elf, R_OK) || access(s_app_bin, R_OK)) {
        fprintf(stderr, "firmware not built (run make cross): %s %s\n", s_boot_elf,
                s_app_bin);
        return 1;
    }
    return cmocka_run_group_tests(tests, pack_image, remove_image);
}
