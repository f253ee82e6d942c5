/*
 * tool_cmd_board.c - `fota board`: the virtual STM32F407 board
 * (sim/vboard) running standalone, so the real firmware can be driven from
 * other processes:
 *
 *   fota board --flash FILE [--boot ELF] [--init-slot-a IMG]
 *              [--spi-socket PATH] [--uart stdout|none] [--uart2 stdout|none]
 *              [--max-seconds S] [--cpi m4|1]
 *
 * - the 1 MiB flash image lives in FILE: loaded at start (created erased if
 *   missing) and written back through a shared mapping after every run
 *   slice in which a flash operation ended, and at exit. A slice is one
 *   word-program time (16 us of simulated time), so a killed board loses at
 *   most the operation in flight, as a power cut would;
 * - USART1 TX goes to stdout; USART2 TX too, each line prefixed "[usart2] "
 *   (--uart2 none drops it);
 * - instructions are timed by the Cortex-M4 cycle model (--cpi m4, the
 *   default) or at one cycle each (--cpi 1, for comparison);
 * - the master's end of SPI1 and the NRST and PA4 (chip select / NSS
 *   strap) pins are served on a UNIX stream socket, one client at a time,
 *   with the framing of docs/virtual-board.md ("fota board").
 *
 * Simulated time runs no faster than wall-clock time while no client
 * command is being served (the firmware's own deadlines then mean what they
 * say); it may run slower.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "fota/fota_err.h"
#include "fota/fota_layout.h"
#include "fota/fota_le.h"
#include "tool.h"
#include "vboard.h"

#define BOARD_SLICE_NS 16000u /* one x32 word program */
#define BOARD_MSG_MAX 4096u   /* payload bytes per message */

/* Message types (docs/virtual-board.md). */
#define MSG_XFER 'X' /* MOSI bytes -> reply 'X' with as many MISO bytes */
#define MSG_NSS 'N'  /* 1 byte: PA4 level (0 low = selected / strap) */
#define MSG_NRST 'R' /* 1 byte: 1 hold NRST low, 0 release (resets) */
#define MSG_WAIT 'W' /* u32 LE microseconds of simulated time to run */
#define MSG_HZ 'H'   /* u32 LE SCK frequency */
#define MSG_TIME 'T' /* reply 'T' with u64 LE board time in ns */
#define MSG_OK 'K'
#define MSG_ERR 'E'

static volatile sig_atomic_t s_stop;

static void board_on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

static void board_uart_sink(void *ctx, uint8_t byte)
{
    (void)ctx;
    if (byte != '\r')
        putchar(byte);
    if (byte == '\n')
        fflush(stdout);
}

/* USART2 shares stdout: its lines carry a prefix. */
static void board_uart2_sink(void *ctx, uint8_t byte)
{
    bool *line_start = ctx;

    if (byte == '\r')
        return;
    if (*line_start)
        fputs("[usart2] ", stdout);
    putchar(byte);
    *line_start = byte == '\n';
    if (byte == '\n')
        fflush(stdout);
}

static double board_wall_s(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* The flash file, mapped shared: stores into it survive the process. */
typedef struct board_store {
    uint8_t *map;
    uint64_t ops_seen;
} board_store_t;

static int board_store_open(board_store_t *st, const char *path, bool *created)
{
    struct stat sb;
    int fd = open(path, O_RDWR | O_CREAT, 0644);

    if (fd < 0 || fstat(fd, &sb) != 0) {
        fprintf(stderr, "fota board: %s: %s\n", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return FOTA_ERR_IO;
    }
    *created = sb.st_size == 0;
    if (sb.st_size != 0 && sb.st_size != FOTA_FLASH_SIZE) {
        fprintf(stderr, "fota board: %s is not a 1 MiB flash image\n", path);
        close(fd);
        return FOTA_ERR_INVAL;
    }
    if (*created && ftruncate(fd, FOTA_FLASH_SIZE) != 0) {
        close(fd);
        return FOTA_ERR_IO;
    }
    st->map =
        mmap(NULL, FOTA_FLASH_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (st->map == MAP_FAILED) {
        st->map = NULL;
        return FOTA_ERR_IO;
    }
    if (*created)
        memset(st->map, FOTA_FLASH_ERASED, FOTA_FLASH_SIZE);
    return 0;
}

/* Copy the sectors that differ into the file. */
static void board_store_sync(board_store_t *st, vboard_t *b)
{
    const uint8_t *mem = vboard_flash(b)->mem;

    for (unsigned s = 0; s < FOTA_FLASH_SECTORS; s++) {
        uint32_t off = (uint32_t)(FOTA_SECTOR_ADDR(s) - FOTA_FLASH_BASE);
        uint32_t len = (uint32_t)FOTA_SECTOR_SIZE(s);

        if (memcmp(st->map + off, mem + off, len) != 0)
            memcpy(st->map + off, mem + off, len);
    }
    st->ops_seen = vboard_flash(b)->ops;
}

/* ---- the socket ---- */

static int board_listen(const char *path)
{
    struct sockaddr_un sa;
    int fd;

    if (strlen(path) >= sizeof sa.sun_path) {
        fprintf(stderr, "fota board: socket path too long\n");
        return -1;
    }
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, path, strlen(path));
    unlink(path);
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        listen(fd, 1) != 0) {
        fprintf(stderr, "fota board: socket %s: %s\n", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

static bool board_read_all(int fd, uint8_t *p, size_t n)
{
    while (n) {
        ssize_t r = read(fd, p, n);

        if (r <= 0) {
            if (r < 0 && errno == EINTR && !s_stop)
                continue;
            return false;
        }
        p += r;
        n -= (size_t)r;
    }
    return true;
}

static bool board_write_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);

        if (w <= 0) {
            if (w < 0 && errno == EINTR && !s_stop)
                continue;
            return false;
        }
        p += w;
        n -= (size_t)w;
    }
    return true;
}

static bool board_reply(int fd, uint8_t type, const uint8_t *data, uint16_t len)
{
    uint8_t h[3] = {type, (uint8_t)len, (uint8_t)(len >> 8)};

    return board_write_all(fd, h, 3) &&
           (!len || board_write_all(fd, data, len));
}

/* Serve one message; false when the client is gone or misbehaved. */
static bool board_serve(int fd, vboard_t *b)
{
    static uint8_t in[BOARD_MSG_MAX], out[BOARD_MSG_MAX];
    uint8_t h[3];
    uint16_t len;

    if (!board_read_all(fd, h, 3))
        return false;
    len = (uint16_t)(h[1] | h[2] << 8);
    if (len > BOARD_MSG_MAX || !board_read_all(fd, in, len))
        return false;
    switch (h[0]) {
    case MSG_XFER:
        if (vboard_spi_xfer(b, in, out, len) != 0)
            return board_reply(fd, MSG_ERR, NULL, 0);
        return board_reply(fd, MSG_XFER, out, len);
    case MSG_NSS:
        if (len != 1)
            break;
        vboard_set_nss(b, in[0] != 0);
        return board_reply(fd, MSG_OK, NULL, 0);
    case MSG_NRST:
        if (len != 1)
            break;
        vboard_set_nrst(b, in[0] != 0);
        return board_reply(fd, MSG_OK, NULL, 0);
    case MSG_WAIT:
        if (len != 4)
            break;
        vboard_run_ns(b, (uint64_t)fota_get_le32(in) * 1000u);
        return board_reply(fd, MSG_OK, NULL, 0);
    case MSG_HZ:
        if (len != 4 || fota_get_le32(in) == 0)
            break;
        vboard_spi_set_hz(b, fota_get_le32(in));
        return board_reply(fd, MSG_OK, NULL, 0);
    case MSG_TIME: {
        uint64_t t = vboard_now_ns(b);

        for (int i = 0; i < 8; i++)
            out[i] = (uint8_t)(t >> (8 * i));
        return board_reply(fd, MSG_TIME, out, 8);
    }
    default:
        break;
    }
    return board_reply(fd, MSG_ERR, NULL, 0);
}

int tool_cmd_board(int argc, char **argv)
{
    const char *flash = NULL, *boot = NULL, *init_a = NULL, *sock = NULL;
    const char *uart = "stdout", *uart2 = "stdout", *max_s = NULL, *cpi = "m4";
    bool help = false, created = false, uart2_line = true, faulted = false;
    const tool_opt_t opts[] = {
        {"flash", 0, &flash, NULL},        {"boot", 0, &boot, NULL},
        {"init-slot-a", 0, &init_a, NULL}, {"spi-socket", 0, &sock, NULL},
        {"uart", 0, &uart, NULL},          {"uart2", 0, &uart2, NULL},
        {"max-seconds", 0, &max_s, NULL},  {"cpi", 0, &cpi, NULL},
    };
    vboard_config_t cfg;
    const char *pos[1];
    size_t npos = 0;
    board_store_t st = {0};
    vboard_t *b = NULL;
    int lfd = -1, cfd = -1, ret = TOOL_EXIT_FAIL;
    uint32_t max_sec = 0;
    double wall0;
    uint64_t sim0;
    bool dead_reported = false;

    if (tool_parse_args("fota board", argc, argv, opts,
                        sizeof opts / sizeof opts[0], pos, 0, &npos,
                        &help) != 0)
        return TOOL_EXIT_USAGE;
    if (help || !flash ||
        (strcmp(uart, "stdout") != 0 && strcmp(uart, "none") != 0) ||
        (strcmp(uart2, "stdout") != 0 && strcmp(uart2, "none") != 0) ||
        (max_s && tool_parse_u32(max_s, &max_sec) != 0) ||
        (strcmp(cpi, "m4") != 0 && strcmp(cpi, "1") != 0)) {
        if (!help && strcmp(cpi, "m4") != 0 && strcmp(cpi, "1") != 0)
            fprintf(stderr, "fota board: --cpi must be m4 or 1, not '%s'\n",
                    cpi);
        fprintf(
            help ? stdout : stderr,
            "usage: fota board --flash FILE [--boot ELF] [--init-slot-a IMG]\n"
            "                  [--spi-socket PATH] [--uart stdout|none]\n"
            "                  [--uart2 stdout|none] [--max-seconds S]\n"
            "                  [--cpi m4|1]\n"
            "Runs the virtual STM32F407 board: flash persisted in FILE, USART1 "
            "on\n"
            "stdout, USART2 on stdout as \"[usart2] \" lines, SPI1/NRST/PA4 on "
            "a\n"
            "UNIX socket (docs/virtual-board.md). Without a socket, a CPU "
            "that\n"
            "stops on a fault ends the board with exit status 1.\n");
        return help ? TOOL_EXIT_OK : TOOL_EXIT_USAGE;
    }
    if (board_store_open(&st, flash, &created) != 0)
        return TOOL_EXIT_FAIL;
    vboard_config_default(&cfg);
    cfg.cpi_model = strcmp(cpi, "1") == 0 ? VBOARD_CPI_1 : VBOARD_CPI_M4;
    b = vboard_create(&cfg);
    if (!b)
        goto out;
    memcpy(vboard_flash(b)->mem, st.map, FOTA_FLASH_SIZE);
    if (boot) {
        /* A programmer reflashing the bootloader: erase its sector first. */
        memset(vboard_flash(b)->mem, FOTA_FLASH_ERASED, FOTA_BOOT_SIZE);
        if (vboard_load_elf(b, boot) != 0) {
            fprintf(stderr, "fota board: cannot load %s\n", boot);
            goto out;
        }
    }
    if (init_a) {
        if (!created) {
            fprintf(stderr, "fota board: %s exists, --init-slot-a ignored\n",
                    flash);
        } else if (vboard_load_bin(b, init_a, FOTA_SLOT_A_ADDR) != 0) {
            fprintf(stderr, "fota board: cannot load %s into slot A\n", init_a);
            goto out;
        }
    }
    board_store_sync(&st, b);
    if (sock) {
        lfd = board_listen(sock);
        if (lfd < 0)
            goto out;
    }
    if (strcmp(uart, "stdout") == 0)
        vboard_uart_set_sink(b, board_uart_sink, NULL);
    if (strcmp(uart2, "stdout") == 0)
        vboard_uart2_set_sink(b, board_uart2_sink, &uart2_line);
    signal(SIGINT, board_on_signal);
    signal(SIGTERM, board_on_signal);
    signal(SIGPIPE, SIG_IGN);
    vboard_set_nss(b, true);
    vboard_reset(b, VBOARD_RESET_POWER);
    wall0 = board_wall_s();
    sim0 = vboard_now_ns(b);

    while (!s_stop) {
        double ahead =
            (double)(vboard_now_ns(b) - sim0) * 1e-9 - (board_wall_s() - wall0);
        struct pollfd pf[2];
        int nfd = 0, why;

        if (max_sec &&
            vboard_now_ns(b) - sim0 >= (uint64_t)max_sec * 1000000000u)
            break;
        if (lfd >= 0) {
            pf[nfd].fd = cfd >= 0 ? cfd : lfd;
            pf[nfd].events = POLLIN;
            nfd++;
        }
        /* Sleep only when simulated time is ahead of the wall clock. */
        if (poll(pf, (nfds_t)nfd, ahead > 0.001 ? (int)(ahead * 1000) : 0) >
            0) {
            if (cfd < 0) {
                cfd = accept(lfd, NULL, NULL);
            } else if (!board_serve(cfd, b)) {
                close(cfd);
                cfd = -1;
                /* A client that went away (or was killed) no longer drives
                 * its pins: NSS floats high (the strap's pull-up) and NRST
                 * is released, as when the wires of a dead master go idle. */
                vboard_set_nss(b, true);
                vboard_set_nrst(b, false);
            }
            if (vboard_flash(b)->ops != st.ops_seen)
                board_store_sync(&st, b);
            continue;
        }
        if (ahead > 0.001)
            continue;
        why = vboard_run_ns(b, BOARD_SLICE_NS);
        if (why == VBOARD_STOP_FAULT || why == VBOARD_STOP_HALT ||
            why == VBOARD_STOP_IDLE) {
            if (!dead_reported)
                fprintf(stderr,
                        "fota board: CPU stopped (%s); NRST restarts it\n",
                        vboard_fault(b) ? vboard_fault(b) : "halt");
            dead_reported = true;
            struct timespec ts = {0, 1000000};

            nanosleep(&ts, NULL);
            if (lfd < 0) {
                faulted = why == VBOARD_STOP_FAULT;
                break;
            }
        } else {
            dead_reported = false;
        }
        if (vboard_flash(b)->ops != st.ops_seen)
            board_store_sync(&st, b);
    }
    /* An operation in flight at exit is lost, as in a power cut: the file
     * keeps what had completed. */
    board_store_sync(&st, b);
    ret = faulted ? TOOL_EXIT_FAIL : TOOL_EXIT_OK;
out:
    fflush(stdout);
    if (cfd >= 0)
        close(cfd);
    if (lfd >= 0) {
        close(lfd);
        unlink(sock);
    }
    if (st.map) {
        msync(st.map, FOTA_FLASH_SIZE, MS_SYNC);
        munmap(st.map, FOTA_FLASH_SIZE);
    }
    vboard_destroy(b);
    return ret;
}
