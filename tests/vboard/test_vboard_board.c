/*
 * `fota board` end to end: the standalone board runs the real bootloader
 * and slot-A application from a flash file; a minimal client on its SPI
 * socket (the framing of docs/virtual-board.md) holds the NSS strap low,
 * pulses NRST, synchronises with the bootloader in update mode and reads
 * Get ID; on SIGTERM the board writes the flash file, which then holds the
 * application and the journal record of its confirmation.
 * Arguments: <fota tool> <boot.elf> <app-slot-a.bin>.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "fota/fota_journal.h"
#include "fota/fota_layout.h"

static const char *s_tool, *s_boot_elf, *s_app_bin;
static char s_dir[64], s_img[96], s_flash[96], s_sock[96];

static int setup(void **state)
{
    char cmd[1024];

    (void)state;
    strcpy(s_dir, "/tmp/vboard_board_XXXXXX");
    if (!mkdtemp(s_dir))
        return -1;
    snprintf(s_img, sizeof s_img, "%s/a.img", s_dir);
    snprintf(s_flash, sizeof s_flash, "%s/flash.bin", s_dir);
    snprintf(s_sock, sizeof s_sock, "%s/spi.sock", s_dir);
    snprintf(cmd, sizeof cmd,
             "%s image pack --slot a --version 1.0.0 --sec-counter 0 %s -o %s "
             ">/dev/null",
             s_tool, s_app_bin, s_img);
    return system(cmd) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    remove(s_img);
    remove(s_flash);
    remove(s_sock);
    rmdir(s_dir);
    return 0;
}

/* The board's stdout, read until text appears or the deadline passes. */
static char s_out[65536];
static size_t s_out_len;

static bool wait_output(int fd, const char *text, int timeout_s)
{
    time_t end = time(NULL) + timeout_s;

    while (!strstr(s_out, text) && time(NULL) < end) {
        struct pollfd pf = {.fd = fd, .events = POLLIN};

        if (poll(&pf, 1, 200) <= 0)
            continue;
        ssize_t r = read(fd, s_out + s_out_len, sizeof s_out - 1 - s_out_len);

        if (r <= 0)
            break;
        s_out_len += (size_t)r;
        s_out[s_out_len] = '\0';
    }
    return strstr(s_out, text) != NULL;
}

static int msg(int fd, char type, const void *data, uint16_t len,
               uint8_t *reply, uint16_t *reply_len)
{
    uint8_t h[3] = {(uint8_t)type, (uint8_t)len, (uint8_t)(len >> 8)};
    uint16_t n;

    if (write(fd, h, 3) != 3 || (len && write(fd, data, len) != len))
        return -1;
    if (recv(fd, h, 3, MSG_WAITALL) != 3)
        return -1;
    n = (uint16_t)(h[1] | h[2] << 8);
    if (n && recv(fd, reply, n, MSG_WAITALL) != n)
        return -1;
    if (reply_len)
        *reply_len = n;
    return h[0];
}

static void wait_us(int fd, uint32_t us)
{
    uint8_t p[4] = {(uint8_t)us, (uint8_t)(us >> 8), (uint8_t)(us >> 16),
                    (uint8_t)(us >> 24)};

    assert_int_equal(msg(fd, 'W', p, 4, NULL, NULL), 'K');
}

/* One byte per transaction with 10 us before it, as the agent does. */
static uint8_t xfer(int fd, uint8_t tx)
{
    uint8_t rx[8];
    uint16_t n = 0;

    wait_us(fd, 10);
    assert_int_equal(msg(fd, 'X', &tx, 1, rx, &n), 'X');
    assert_int_equal(n, 1);
    return rx[0];
}

static uint8_t poll_ack(int fd)
{
    uint8_t rx = 0;

    for (int i = 0; i < 100; i++) {
        rx = xfer(fd, 0x00);
        if (rx == 0x79 || rx == 0x1F)
            break;
    }
    return rx;
}

static void test_board_socket_and_flash_file(void **state)
{
    int out[2], sfd = -1;
    pid_t pid;
    struct sockaddr_un sa;
    uint8_t one, id[4], buf[64];
    FILE *f;

    (void)state;
    assert_int_equal(pipe(out), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(out[1], 1);
        close(out[0]);
        execl(s_tool, s_tool, "board", "--flash", s_flash, "--boot", s_boot_elf,
              "--init-slot-a", s_img, "--spi-socket", s_sock, "--max-seconds",
              "60", (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    /* The application boots from the new flash file and confirms itself. */
    assert_true(wait_output(out[0], "confirm ok", 60));
    assert_non_null(strstr(s_out, "fota-app 1.0.0 slot A"));

    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", s_sock);
    sfd = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_true(sfd >= 0);
    assert_int_equal(connect(sfd, (struct sockaddr *)&sa, sizeof sa), 0);

    /* Strap low, NRST pulse: the bootloader stays in update mode. */
    one = 0;
    assert_int_equal(msg(sfd, 'N', &one, 1, NULL, NULL), 'K');
    one = 1;
    assert_int_equal(msg(sfd, 'R', &one, 1, NULL, NULL), 'K');
    one = 0;
    assert_int_equal(msg(sfd, 'R', &one, 1, NULL, NULL), 'K');
    wait_us(sfd, 30000);
    assert_true(wait_output(out[0], "update mode", 10));
    assert_non_null(strstr(s_out, "reset=pin"));

    /* Sync, then Get ID (AN4286 over SPI). */
    assert_int_equal(xfer(sfd, 0x5A), 0xA5);
    assert_int_equal(poll_ack(sfd), 0x79);
    xfer(sfd, 0x79);
    xfer(sfd, 0x5A);
    xfer(sfd, 0x02);
    xfer(sfd, 0xFD);
    assert_int_equal(poll_ack(sfd), 0x79);
    xfer(sfd, 0x79);
    for (int i = 0; i < 4; i++)
        id[i] = xfer(sfd, 0x00);
    print_message("get id over the socket: %02x %02x %02x %02x\n", id[0], id[1],
                  id[2], id[3]);
    assert_int_equal(id[1], 1);
    assert_int_equal(id[2], 0x04);
    assert_int_equal(id[3], 0x13);

    /* A malformed message gets an error answer, the link stays up. */
    assert_int_equal(msg(sfd, 'N', NULL, 0, NULL, NULL), 'E');
    uint16_t n = 0;

    assert_int_equal(msg(sfd, 'T', NULL, 0, buf, &n), 'T');
    assert_int_equal(n, 8);
    close(sfd);

    int status = 0;

    assert_int_equal(kill(pid, SIGTERM), 0);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    close(out[0]);

    /* The file holds the image and the journal's confirmed record. */
    f = fopen(s_flash, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, FOTA_SLOT_A_ADDR - FOTA_FLASH_BASE, SEEK_SET), 0);
    assert_int_equal(fread(buf, 1, 4, f), 4);
    assert_memory_not_equal(buf, "\xff\xff\xff\xff", 4);
    assert_int_equal(
        fseek(f, FOTA_JOURNAL_MAIN_ADDR - FOTA_FLASH_BASE, SEEK_SET), 0);
    assert_int_equal(fread(buf, 1, 64, f), 64);
    fclose(f);
    fota_journal_rec_t rec;

    assert_int_equal(fota_journal_rec_decode(&rec, buf), 0);
    assert_int_equal(rec.active, 0);
    assert_int_equal(rec.slot[0].state, FOTA_SLOT_CONFIRMED);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_board_socket_and_flash_file),
    };

    if (argc != 4) {
        fprintf(stderr, "usage: %s <fota tool> <boot.elf> <app-slot-a.bin>\n",
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
    return cmocka_run_group_tests(tests, setup, teardown);
}
