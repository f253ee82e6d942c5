/*
 * proto_uart_target.c - the bootloader's command engine in UART mode on the
 * flash model, served on a pseudo-terminal, so that outside clients
 * (Debian's stm32flash) can talk to it as to ST's ROM bootloader.
 *
 * usage: proto_uart_target --pty-file PATH [--flash FILE]
 *
 * Writes the pty's slave path to PATH once it is serving. With --flash, the
 * flash array is loaded from FILE when it exists and saved there on exit
 * (SIGTERM/SIGINT), so a script can check what a client changed. A fresh
 * flash gets a valid image in slot A, booted once so the journal records it
 * confirmed: slot B is the inactive slot.
 *
 * The engine's clock never runs behind real time, so the protocol's
 * deadlines behave as on the chip; while the engine waits for a flash
 * operation the clock jumps to its end (flash time is virtual, so clients
 * are not slowed down by the datasheet times).
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "boot_port_host.h"
#include "fota/fota_image.h"
#include "proto_host.h"

static volatile sig_atomic_t s_stop;

static void on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

static uint64_t mono_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int load_flash(sim_flash_t *f, const char *path)
{
    FILE *fp = path ? fopen(path, "rb") : NULL;
    size_t n;

    if (!fp)
        return -1;
    n = fread(f->mem, 1, sizeof f->mem, fp);
    fclose(fp);
    return n == sizeof f->mem ? 0 : -1;
}

static int save_flash(const sim_flash_t *f, const char *path)
{
    char tmp[4096];
    FILE *fp;

    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    fp = fopen(tmp, "wb");
    if (!fp)
        return -1;
    if (fwrite(f->mem, 1, sizeof f->mem, fp) != sizeof f->mem) {
        fclose(fp);
        return -1;
    }
    if (fclose(fp) != 0)
        return -1;
    return rename(tmp, path);
}

int main(int argc, char **argv)
{
    static sim_flash_t flash;
    static boot_ctx_t ctx;
    static boot_proto_t eng;
    static uint8_t img[FOTA_IMAGE_HDR_SIZE + 8192];
    const char *pty_file = NULL, *flash_file = NULL;
    int master, slave;
    char name[256];
    uint64_t t0;
    boot_decision_t d;

    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--pty-file"))
            pty_file = argv[i + 1];
        else if (!strcmp(argv[i], "--flash"))
            flash_file = argv[i + 1];
    }
    if (!pty_file) {
        fprintf(stderr, "usage: %s --pty-file PATH [--flash FILE]\n", argv[0]);
        return 2;
    }

    sim_flash_init(&flash, SIM_FLASH_TYPICAL);
    boot_port_host_bind(&flash);
    if (load_flash(&flash, flash_file) != 0) {
        proto_image_build(img, 0, 8192, 1, 0, 21);
        proto_image_install(&flash, 0, img, sizeof img);
    }
    if (boot_init(&ctx) != 0 || boot_decide(&ctx, &d) != 0 ||
        d.action != BOOT_ACTION_JUMP || boot_inactive_slot(&ctx) != 1) {
        fprintf(stderr, "target: slot A is not a confirmed bootable image\n");
        return 1;
    }
    boot_proto_init(&eng, &ctx, BOOT_LINK_UART);

    if (openpty(&master, &slave, name, NULL, NULL) != 0) {
        perror("openpty");
        return 1;
    }
    {
        /* Raw until the client sets its own mode; our slave fd stays open so
         * the master never sees a hang-up between clients. */
        struct termios tio;
        tcgetattr(slave, &tio);
        cfmakeraw(&tio);
        tcsetattr(slave, TCSANOW, &tio);
    }
    fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    {
        char tmp[4096];
        FILE *fp;
        snprintf(tmp, sizeof tmp, "%s.tmp", pty_file);
        fp = fopen(tmp, "w");
        if (!fp || fprintf(fp, "%s\n", name) < 0 || fclose(fp) != 0 ||
            rename(tmp, pty_file) != 0) {
            perror("pty file");
            return 1;
        }
    }

    t0 = mono_ns();
    while (!s_stop) {
        struct pollfd pfd = {.fd = master, .events = POLLIN};
        uint8_t in[256], out[512];
        ssize_t n;
        size_t on = 0;
        uint64_t real = mono_ns() - t0;

        /* Virtual time never runs behind real time. */
        if (flash.now_ns < real)
            sim_flash_advance_ns(&flash, real - flash.now_ns);
        (void)poll(&pfd, 1, 1);
        n = read(master, in, sizeof in);
        for (ssize_t i = 0; i < n; i++) {
            on += boot_proto_uart_rx(&eng, in[i], out + on, sizeof out - on);
        }
        /* Work the engine: while it waits for the flash, jump the clock to
         * the end of the operation instead of sleeping through it. */
        for (int k = 0; k < 4096; k++) {
            size_t more = 0;
            int busy = boot_proto_poll(&eng, out + on, sizeof out - on, &more);

            on += more;
            if (!busy || on > 0 || !sim_flash_busy(&flash))
                break;
            sim_flash_advance_ns(&flash, flash.busy_until_ns - flash.now_ns);
        }
        for (size_t off = 0; off < on;) {
            ssize_t w = write(master, out + off, on - off);
            if (w < 0 && errno != EAGAIN && errno != EINTR) {
                perror("write");
                s_stop = 1;
                break;
            }
            if (w > 0)
                off += (size_t)w;
        }
        (void)boot_proto_take_request(&eng);
    }
    close(slave);
    close(master);
    if (flash_file && save_flash(&flash, flash_file) != 0) {
        perror("save flash");
        return 1;
    }
    return 0;
}
