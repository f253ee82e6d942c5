/*
 * The agent's board client (agent/port/sim/agent_board_client.c) against a
 * real `fota board`: the board runs the real bootloader and a packed slot-A
 * application from a fresh flash file; the client's clock and pins are
 * checked directly, then `fota flash --target board:SOCK` writes a slot-B
 * image, and the board's UART must show the bootloader's trial boot of
 * slot B and the application confirming itself; after the board stops,
 * its flash file must boot slot B (decided by the host boot core, the
 * file left unchanged).
 * Arguments: <fota tool> <boot.elf> <app-slot-a.bin> <app-slot-b.bin>.
 */
#define _POSIX_C_SOURCE 200809L

#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent_board_client.h"
#include "fota/fota_err.h"
#include "test_proc.h"

static const char *s_tool, *s_boot_elf, *s_app_a, *s_app_b;
static char s_dir[64], s_path[8][128];
enum { P_A_IMG, P_B_IMG, P_FLASH, P_SOCK, P_UART };

static char s_out[16384], s_err[16384];

/* Every fota run of this test, its output captured (exe set in main). */
static test_proc_t s_proc = {.dir = s_dir,
                             .out = s_out,
                             .out_cap = sizeof s_out,
                             .err = s_err,
                             .err_cap = sizeof s_err};

/* Run fota with a NULL-terminated argument list; capture stdout/stderr.
 * Returns the exit status (or -1 if it did not exit normally). */
#define fota(...) test_proc_run(&s_proc, __VA_ARGS__)

static int setup(void **state)
{
    static const char *names[] = {"a.img", "b.img", "flash.bin", "spi.sock",
                                  "uart.txt"};

    (void)state;
    strcpy(s_dir, "/tmp/board_client_XXXXXX");
    if (!mkdtemp(s_dir))
        return -1;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        snprintf(s_path[i], sizeof s_path[i], "%s/%s", s_dir, names[i]);
    if (fota("image", "pack", "--slot", "a", "--version", "1.0.0",
             "--sec-counter", "1", s_app_a, "-o", s_path[P_A_IMG], NULL) != 0)
        return -1;
    return fota("image", "pack", "--slot", "b", "--version", "1.1.0",
                "--sec-counter", "2", s_app_b, "-o", s_path[P_B_IMG], NULL) == 0
               ? 0
               : -1;
}

static int teardown(void **state)
{
    char cmd[256];

    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf %s", s_dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* `fota board` in the background, its stdout (the UART) into a file. */
static pid_t start_board(void)
{
    pid_t pid = fork();

    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open(s_path[P_UART], O_WRONLY | O_CREAT | O_TRUNC, 0644);

        if (fd < 0 || dup2(fd, 1) < 0)
            _exit(127);
        execl(s_tool, s_tool, "board", "--flash", s_path[P_FLASH], "--boot",
              s_boot_elf, "--init-slot-a", s_path[P_A_IMG], "--spi-socket",
              s_path[P_SOCK], (char *)NULL);
        _exit(127);
    }
    return pid;
}

static void stop_board(pid_t pid)
{
    int st = 0;

    kill(pid, SIGTERM);
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* Wait (wall clock) until the UART file holds `after`, then `text` after
 * it; returns where `text` starts, or NULL at the deadline. */
static char s_uart[65536];

static const char *wait_uart(const char *after, const char *text, int timeout_s)
{
    time_t end = time(NULL) + timeout_s;

    for (;;) {
        test_slurp(s_path[P_UART], s_uart, sizeof s_uart);
        const char *a = after ? strstr(s_uart, after) : s_uart;
        const char *t = a ? strstr(a, text) : NULL;

        if (t || time(NULL) >= end)
            return t;
        struct timespec ts = {0, 100000000};

        nanosleep(&ts, NULL);
    }
}

static void test_no_board(void **state)
{
    agent_board_client_t c;
    char path[160];

    (void)state;
    snprintf(path, sizeof path, "%s/none.sock", s_dir);
    assert_int_equal(agent_board_client_open(&c, path, 0), FOTA_ERR_NOENT);
    assert_int_equal(fota("flash", s_path[P_B_IMG], "--target", "board:", NULL),
                     2);
    assert_non_null(strstr(s_err, "board: needs a socket name"));
    assert_int_not_equal(fota("flash", s_path[P_B_IMG], "--target",
                              "board:/nonexistent/x.sock", NULL),
                         0);
    assert_non_null(strstr(s_err, "is `fota board --spi-socket` running"));
}

static void test_flash_through_board(void **state)
{
    agent_board_client_t c;
    pid_t board;
    uint32_t t0, t1;
    char target[160];
    const char *trial;

    (void)state;
    board = start_board();
    /* The factory image boots and confirms itself on the bootloader. */
    assert_non_null(wait_uart(NULL, "app: confirm ok", 120));
    assert_non_null(strstr(s_uart, "fota-app "));

    /* The clock is the board's: a sleep runs it for at least that long. */
    for (int i = 0; i < 100; i++) {
        if (access(s_path[P_SOCK], F_OK) == 0)
            break;
        struct timespec ts = {0, 50000000};

        nanosleep(&ts, NULL);
    }
    assert_int_equal(agent_board_client_open(&c, s_path[P_SOCK], 8000000u), 0);
    t0 = c.clock.ops->now_ms(&c.clock);
    c.clock.ops->sleep_ms(&c.clock, 40);
    t1 = c.clock.ops->now_ms(&c.clock);
    assert_true(t1 - t0 >= 40);
    assert_true(agent_board_client_time_ns(&c) >= 40000000u);
    assert_int_equal(c.gpio.ops->set(&c.gpio, AGENT_PIN_BOOT0, 0),
                     FOTA_ERR_INVAL);
    /* A raw transaction with the application running (it does not use
     * SPI1): the bytes are clocked and as many come back. */
    uint8_t tx[3] = {0x5A, 0x00, 0x00}, rx[3] = {1, 2, 3};

    assert_int_equal(c.spi.ops->xfer(&c.spi, tx, rx, sizeof tx, 100), 0);
    assert_int_equal(c.xfers, 1);
    agent_board_client_close(&c);

    /* `fota flash` through the socket writes slot B and reboots. */
    snprintf(target, sizeof target, "board:%s", s_path[P_SOCK]);
    assert_int_equal(fota("flash", s_path[P_B_IMG], "--target", target, NULL),
                     0);
    assert_non_null(strstr(s_out, "slot=B"));
    assert_non_null(strstr(s_out, "committed=1 rebooted=1"));
    assert_non_null(strstr(s_err, "writing 100%"));

    /* The board's UART: update mode from the strap, then the trial boot of
     * slot B, whose application confirms itself. */
    assert_non_null(wait_uart("boot: nss strap low", "boot: update mode", 5));
    trial = wait_uart("boot: update mode", "boot: trial boot slot B", 60);
    assert_non_null(trial);
    assert_non_null(
        wait_uart("boot: trial boot slot B", "app: confirm ok", 60));
    test_slurp(s_path[P_UART], s_uart, sizeof s_uart);
    assert_non_null(
        strstr(strstr(s_uart, "boot: trial boot slot B"), " slot B"));
    stop_board(board);

    /* The flash file: a cold boot would run slot B, version 1.1.0, and
     * asking does not change the file (it stays the board's plain 1 MiB
     * image, byte for byte). */
    size_t len, len_after;
    uint8_t *img = test_read_file(s_path[P_FLASH], &len);
    uint8_t *after;

    assert_int_equal(len, 1024u * 1024u);
    assert_int_equal(
        fota("agent", "sim-status", "--flash", s_path[P_FLASH], NULL), 0);
    assert_non_null(strstr(s_out, "slot B, version 1.1.0"));
    after = test_read_file(s_path[P_FLASH], &len_after);
    assert_int_equal(len_after, len);
    assert_memory_equal(after, img, len);
    free(after);
    free(img);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_board),
        cmocka_unit_test(test_flash_through_board),
    };

    if (argc != 5) {
        fprintf(
            stderr,
            "usage: %s <fota> <boot.elf> <app-slot-a.bin> <app-slot-b.bin>\n",
            argv[0]);
        return 2;
    }
    s_tool = argv[1];
    s_proc.exe = s_tool;
    s_boot_elf = argv[2];
    s_app_a = argv[3];
    s_app_b = argv[4];
    return cmocka_run_group_tests(tests, setup, teardown);
}
