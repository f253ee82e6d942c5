/*
 * bench_vboard_update.c - the update figure on the virtual board: the real
 * bootloader (fota-boot.elf) runs on the cycle-faithful STM32F407 model
 * with the slot-A application installed and confirmed, and the agent's
 * protocol client writes a 256 KiB image into slot B through the agent's
 * ports on the board, at 8 MHz SCK with 10 us of agent overhead per SPI
 * transaction (vboard_agent.h), the flash at typical datasheet timings.
 *
 * Simulated time from the start of the erase to a matching Get Checksum is
 * compared with the flash's own minimum: the erase time of the sectors the
 * image needs plus one word-program time per word, from the same flash
 * model timing functions the board charges. Deterministic.
 *
 * The image is the slot-B application (fota-app-slot-b.bin beside the
 * slot-A one) padded to 256 KiB, so the whole update can be timed the way
 * a user waits for it: from the agent's first byte (entering update mode)
 * through erase, write, Get Checksum and commit, the reboot, the new
 * image's first (trial) boot with its full SHA-256 check, to the
 * application's "app: confirm ok". The same flash minimum is the limit of
 * every window.
 *
 * The update runs on the Cortex-M4 cycle model, then again at one cycle
 * per instruction for comparison.
 *
 * Usage: bench_vboard_update [--cpi m4|1|both] [--profile] <fota tool>
 *                            <fota-boot.elf> <fota-app-slot-a.bin>
 * --profile prints (stderr) a time profile by function of each window of
 * each model run: the board's PC sampled after every SPI transaction of
 * the agent and every 10 us of its sleeps and of the reboot, symbols from
 * the bootloader ELF and the applications' ELFs beside the binaries
 * (vbr_prof_*, vb_real.h). Sampling runs the board in 10 us steps, which
 * can move a window's end by up to one step.
 * Prints (from the first model run, m4 unless --cpi 1)
 *   vboard_update: bytes=262144 spi_hz=8000000 sim_s=<t> limit_s=<l> ratio=<r>
 *     (erase start to a matching Get Checksum)
 *   update_boot: bytes=262144 sim_s=<t> limit_s=<l> ratio=<r>
 *     (erase start to the commit's answer)
 *   update_e2e: bytes=262144 sim_s=<t> limit_s=<l> ratio=<r>
 *     (the agent's first byte to the new image's confirm)
 * and for each model
 *   cpi: case=update model=<m4|1> cycles=<CPU cycles> instructions=<n> sim_s=<t>
 * with the CPU cycles and instructions the bootloader executed in the
 * timed window (vboard_cycles, vboard_insns).
 * Exit status 1 if the update fails.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent_proto.h"
#include "fota/fota_layout.h"
#include "fota/fota_le.h"
#include "vb_real.h"
#include "vboard.h"
#include "vboard_agent.h"

#define IMAGE_BYTES (256u * 1024u)
#define SPI_HZ 8000000u
#define SAMPLE_NS 10000u
#define SETTLE_NS 50000000u /* 50 ms */

/* The windows of the update, in order. */
enum {
    WIN_CONNECT, /* the agent's first byte to the erase start */
    WIN_WRITE,   /* erase start to a matching Get Checksum */
    WIN_COMMIT,  /* to the commit's answer */
    WIN_REBOOT,  /* the REBOOT command to the new image's first instruction */
    WIN_APP,     /* to the new image's "app: confirm ok" */
    WIN_COUNT
};

static const char *const s_win_name[WIN_COUNT] = {
    "connect", "erase to checksum", "commit", "reboot to the new image",
    "its start to its confirm"};

/* Where the ELF files for the profile's names are, and their labels. */
static const char *s_elfs[3];
static const char *const s_elf_labels[3] = {NULL, "app-a", "app-b"};
static bool s_profile;

typedef struct bench {
    vboard_t *board;
    vboard_agent_t va;
    /* The agent's SPI and clock ports: va's, sampled for the profile. */
    agent_spi_t spi;
    agent_clock_t clock;
    vbr_prof_t prof[WIN_COUNT];
    int win; /* the window being profiled, -1: none */
    agent_proto_t agent;
    uint8_t img[IMAGE_BYTES];
    uint64_t t_start_ns;
    uint64_t t_synced_ns; /* in update mode, synchronised (PHASE_CONNECT) */
    uint64_t t_erase_ns;
    uint64_t t_verified_ns;
    uint64_t t_commit_ns;
    uint64_t t_app_ns; /* the new image's first instruction */
    uint64_t t_confirm_ns;
    uint64_t cyc_erase, cyc_verified, ins_erase, ins_verified;
} bench_t;

/* One model's figures. */
typedef struct bench_result {
    double sim_s, limit_s, boot_s, e2e_s;
    uint64_t cycles, insns;
} bench_result_t;

/* Close the window being profiled and start window w (-1: none). */
static void bench_window(bench_t *b, int w)
{
    if (!s_profile)
        return;
    if (b->win >= 0)
        vbr_prof_sample_board(&b->prof[b->win], b->board);
    b->win = w;
    if (w >= 0)
        vbr_prof_restart(&b->prof[w], vboard_now_ns(b->board));
}

static void bench_sample(bench_t *b)
{
    if (s_profile && b->win >= 0)
        vbr_prof_sample_board(&b->prof[b->win], b->board);
}

static int prof_xfer(agent_spi_t *self, const uint8_t *tx, uint8_t *rx,
                     size_t len, uint32_t timeout_ms)
{
    bench_t *b = AGENT_CONTAINER_OF(self, bench_t, spi);
    int rc = b->va.spi.ops->xfer(&b->va.spi, tx, rx, len, timeout_ms);

    bench_sample(b);
    return rc;
}

static int prof_set_cs(agent_spi_t *self, bool asserted)
{
    bench_t *b = AGENT_CONTAINER_OF(self, bench_t, spi);

    return b->va.spi.ops->set_cs(&b->va.spi, asserted);
}

static uint32_t prof_now_ms(agent_clock_t *self)
{
    bench_t *b = AGENT_CONTAINER_OF(self, bench_t, clock);

    return b->va.clock.ops->now_ms(&b->va.clock);
}

/* The agent's sleep in SAMPLE_NS steps, sampled after each. */
static void prof_sleep_ms(agent_clock_t *self, uint32_t ms)
{
    bench_t *b = AGENT_CONTAINER_OF(self, bench_t, clock);

    for (uint64_t t = 0; t < (uint64_t)ms * 1000000u; t += SAMPLE_NS) {
        vboard_advance_ns(b->board, SAMPLE_NS);
        bench_sample(b);
    }
}

static const agent_spi_ops_t s_prof_spi = {.xfer = prof_xfer,
                                           .set_cs = prof_set_cs};
static const agent_clock_ops_t s_prof_clock = {.now_ms = prof_now_ms,
                                               .sleep_ms = prof_sleep_ms};

/* Run the board until u's stop or, when profiling, in SAMPLE_NS steps
 * sampled after each, until the PC reaches u->pc or USART1's output since
 * the last clear holds u->uart_text, within u->max_ns. Returns the
 * VBOARD_STOP_* that ended it. */
static int bench_run(bench_t *b, const vboard_until_t *u)
{
    uint64_t t0 = vboard_now_ns(b->board);

    if (!s_profile)
        return vboard_run(b->board, u);
    for (;;) {
        vboard_until_t step = *u;
        int why;

        step.max_ns = SAMPLE_NS;
        why = vboard_run(b->board, &step);
        bench_sample(b);
        if (why != VBOARD_STOP_TIME)
            return why;
        if (u->uart_text &&
            strstr(vboard_uart_output(b->board, NULL), u->uart_text))
            return VBOARD_STOP_UART;
        if (vboard_now_ns(b->board) - t0 >= u->max_ns)
            return VBOARD_STOP_TIME;
    }
}

static int bench_read(void *ctx, uint32_t off, void *buf, size_t len)
{
    bench_t *b = ctx;

    memcpy(buf, b->img + off, len);
    return 0;
}

static void bench_progress(void *ctx, int phase, uint32_t done, uint32_t total)
{
    bench_t *b = ctx;

    (void)done;
    (void)total;
    if (phase == AGENT_PHASE_CONNECT && b->t_synced_ns == 0) {
        b->t_synced_ns = vboard_now_ns(b->board);
    } else if (phase == AGENT_PHASE_ERASE) {
        bench_window(b, WIN_WRITE);
        b->t_erase_ns = vboard_now_ns(b->board);
        b->cyc_erase = vboard_cycles(b->board);
        b->ins_erase = vboard_insns(b->board);
    } else if (phase == AGENT_PHASE_VERIFIED) {
        bench_window(b, WIN_COMMIT);
        b->t_verified_ns = vboard_now_ns(b->board);
        b->cyc_verified = vboard_cycles(b->board);
        b->ins_verified = vboard_insns(b->board);
    }
}

/* The slot-B application at path packed for slot B (version 2.0.0) with
 * its body padded to 256 KiB - 512 into img (IMAGE_BYTES); returns the
 * image's length or -1. */
static int bench_image(const char *path, uint8_t *img)
{
    vbr_image_t v;
    int n = -1;

    if (vbr_pack(&v, path, 1, 2, 0, 0, IMAGE_BYTES - FOTA_IMAGE_HDR_SIZE, 0) !=
        0) {
        fprintf(stderr, "vboard_update: cannot pack %s\n", path);
        return -1;
    }
    if (v.len == IMAGE_BYTES) {
        memcpy(img, v.data, v.len);
        n = (int)v.len;
    }
    vbr_image_free(&v);
    return n;
}

/* The update on a board with timing model `model` (slot A image file
 * img_a, bootloader boot_elf). Returns 0 or 1. */
static int run_update(uint8_t model, const char *boot_elf, const char *img_a,
                      const char *img_b, bench_result_t *res)
{
    bench_t *b = calloc(1, sizeof *b);
    agent_flash_req_t req;
    vboard_config_t cfg;
    vboard_until_t u = {.max_ns = 2000000000u, .uart_text = "confirm"};
    uint64_t limit_ns = 0, bytes = 0, overruns = 0, stale = 0;
    int n, rc = 1;

    if (!b)
        return 1;
    b->win = -1;
    for (unsigned w = 0; s_profile && w < WIN_COUNT; w++)
        if (vbr_prof_init(&b->prof[w], s_elfs, s_elf_labels, 3) != 0)
            goto out;
    n = bench_image(img_b, b->img);
    if (n != (int)IMAGE_BYTES)
        goto out;

    vboard_config_default(&cfg); /* typical flash timings */
    cfg.cpi_model = model;
    b->board = vboard_create(&cfg);
    if (!b->board || vboard_load_elf(b->board, boot_elf) < 0 ||
        vboard_load_bin(b->board, img_a, FOTA_SLOT_A_ADDR) < 0)
        goto out;
    vboard_set_nss(b->board, true);
    vboard_reset(b->board, VBOARD_RESET_POWER);
    /* Slot A boots and confirms itself: slot B is the inactive slot. It
     * is given SETTLE_NS more to finish its start (its queued log lines)
     * before the update begins, as a running product would have. */
    if (vboard_run(b->board, &u) != VBOARD_STOP_UART) {
        fprintf(stderr, "vboard_update: slot A did not confirm\n");
        goto out;
    }
    vboard_advance_ns(b->board, SETTLE_NS);
    vboard_agent_init(&b->va, b->board);
    vboard_spi_set_hz(b->board, SPI_HZ);
    b->spi.ops = &s_prof_spi;
    b->clock.ops = &s_prof_clock;
    agent_proto_init(&b->agent, s_profile ? &b->spi : &b->va.spi, &b->va.gpio,
                     s_profile ? &b->clock : &b->va.clock, NULL, NULL);

    memset(&req, 0, sizeof req);
    req.read = bench_read;
    req.read_ctx = b;
    req.len = IMAGE_BYTES;
    req.progress = bench_progress;
    req.progress_ctx = b;
    b->t_start_ns = vboard_now_ns(b->board);
    bench_window(b, WIN_CONNECT);
    rc = agent_proto_flash_image(&b->agent, &req);
    if (rc != 0) {
        fprintf(stderr, "vboard_update: update failed: %d\n", rc);
        rc = 1;
        goto out;
    }
    b->t_commit_ns = vboard_now_ns(b->board);
    bench_window(b, WIN_REBOOT);
    /* The reboot into the new image's trial, up to its confirm. */
    vboard_uart_clear(b->board);
    u = (vboard_until_t){.max_ns = 2000000000u,
                         .pc = fota_get_le32(b->img + FOTA_IMAGE_HDR_SIZE + 4)};
    if (agent_proto_reboot(&b->agent) != 0 ||
        bench_run(b, &u) != VBOARD_STOP_PC) {
        fprintf(stderr, "vboard_update: the new image was not started:\n%s\n",
                vboard_uart_output(b->board, NULL));
        rc = 1;
        goto out;
    }
    b->t_app_ns = vboard_now_ns(b->board);
    bench_window(b, WIN_APP);
    u = (vboard_until_t){.max_ns = 2000000000u, .uart_text = "app: confirm ok"};
    if (bench_run(b, &u) != VBOARD_STOP_UART) {
        fprintf(stderr, "vboard_update: the new image did not confirm:\n%s\n",
                vboard_uart_output(b->board, NULL));
        rc = 1;
        goto out;
    }
    b->t_confirm_ns = vboard_now_ns(b->board);
    bench_window(b, -1);

    for (unsigned s = FOTA_SLOT_B_FIRST_SECTOR;
         s < FOTA_FLASH_SECTORS &&
         (uint32_t)FOTA_SECTOR_ADDR(s) < FOTA_SLOT_B_ADDR + IMAGE_BYTES;
         s++)
        limit_ns += sim_flash_erase_ns(vboard_flash(b->board), s);
    limit_ns += (uint64_t)(IMAGE_BYTES / 4) *
                sim_flash_prog_word_ns(vboard_flash(b->board));

    res->sim_s = (double)(b->t_verified_ns - b->t_erase_ns) / 1e9;
    res->boot_s = (double)(b->t_commit_ns - b->t_erase_ns) / 1e9;
    res->e2e_s = (double)(b->t_confirm_ns - b->t_start_ns) / 1e9;
    res->limit_s = (double)limit_ns / 1e9;
    res->cycles = b->cyc_verified - b->cyc_erase;
    res->insns = b->ins_verified - b->ins_erase;
    vboard_spi_stats(b->board, &bytes, &overruns, &stale);
    fprintf(stderr,
            "  (%s model: connect %.4f s (synchronised in update mode after "
            "%.4f s), erase to checksum %.4f s, commit "
            "%.4f s, reboot to the new image %.4f s, its start to its "
            "confirm %.4f s)\n",
            model == VBOARD_CPI_1 ? "1-CPI" : "M4",
            (double)(b->t_erase_ns - b->t_start_ns) / 1e9,
            (double)(b->t_synced_ns - b->t_start_ns) / 1e9, res->sim_s,
            (double)(b->t_commit_ns - b->t_verified_ns) / 1e9,
            (double)(b->t_app_ns - b->t_commit_ns) / 1e9,
            (double)(b->t_confirm_ns - b->t_app_ns) / 1e9);
    fprintf(stderr,
            "  (%s model, real bootloader: %llu SPI bytes, %llu transactions, "
            "%llu overruns, "
            "%llu stale, %u NACKs, %u timeouts)\n",
            model == VBOARD_CPI_1 ? "1-CPI" : "M4", (unsigned long long)bytes,
            (unsigned long long)b->va.xfers, (unsigned long long)overruns,
            (unsigned long long)stale, b->agent.stats.nacks,
            b->agent.stats.timeouts);
    for (unsigned w = 0; s_profile && w < WIN_COUNT; w++) {
        char title[160];

        snprintf(title, sizeof title, "update profile, %s model, %s",
                 model == VBOARD_CPI_1 ? "1-CPI" : "M4", s_win_name[w]);
        vbr_prof_print(&b->prof[w], stderr, title, 12);
    }
    rc = 0;
out:
    if (b->board)
        vboard_destroy(b->board);
    for (unsigned w = 0; s_profile && w < WIN_COUNT; w++)
        vbr_prof_free(&b->prof[w]);
    free(b);
    return rc;
}

int main(int argc, char **argv)
{
    char img_a[] = "/tmp/bench_vboard_XXXXXX";
    char img_b[1200], elf_a[1200], elf_b[1200];
    const char *slot;
    char cmd[3072];
    const char *cpi = "both";
    uint8_t models[2] = {VBOARD_CPI_M4, VBOARD_CPI_1};
    unsigned nmodels = 2;
    bench_result_t r[2];
    int fd, rc = 1;

    const char *prog = argv[0];

    for (;;) {
        if (argc >= 3 && strcmp(argv[1], "--cpi") == 0) {
            cpi = argv[2];
            argv += 2;
            argc -= 2;
        } else if (argc >= 2 && strcmp(argv[1], "--profile") == 0) {
            s_profile = true;
            argv++;
            argc--;
        } else {
            break;
        }
    }
    if (argc != 4 || (strcmp(cpi, "m4") != 0 && strcmp(cpi, "1") != 0 &&
                      strcmp(cpi, "both") != 0)) {
        fprintf(stderr,
                "usage: %s [--cpi m4|1|both] [--profile] <fota tool> "
                "<boot.elf> <app-slot-a.bin>\n",
                prog);
        return 2;
    }
    if (strcmp(cpi, "both") != 0) {
        nmodels = 1;
        models[0] = strcmp(cpi, "1") == 0 ? VBOARD_CPI_1 : VBOARD_CPI_M4;
    }
    /* fota-app-slot-b.bin beside the slot-A binary. */
    slot = strstr(argv[3], "slot-a.bin");
    if (!slot || strlen(argv[3]) >= sizeof img_b) {
        fprintf(stderr, "vboard_update: %s is not a fota-app-slot-a.bin\n",
                argv[3]);
        return 2;
    }
    snprintf(img_b, sizeof img_b, "%.*sslot-b.bin", (int)(slot - argv[3]),
             argv[3]);
    snprintf(elf_a, sizeof elf_a, "%.*sslot-a.elf", (int)(slot - argv[3]),
             argv[3]);
    snprintf(elf_b, sizeof elf_b, "%.*sslot-b.elf", (int)(slot - argv[3]),
             argv[3]);
    s_elfs[0] = argv[2];
    s_elfs[1] = elf_a;
    s_elfs[2] = elf_b;
    fd = mkstemp(img_a);
    if (fd < 0)
        return 1;
    close(fd);
    snprintf(cmd, sizeof cmd,
             "%s image pack --slot a --version 1.0.0 --sec-counter 0 %s -o %s "
             ">/dev/null",
             argv[1], argv[3], img_a);
    if (system(cmd) != 0) {
        fprintf(stderr, "vboard_update: packing %s failed\n", argv[3]);
        goto out;
    }
    for (unsigned m = 0; m < nmodels; m++)
        if (run_update(models[m], argv[2], img_a, img_b, &r[m]) != 0)
            goto out;
    printf("vboard_update: bytes=%u spi_hz=%u sim_s=%.4f limit_s=%.4f "
           "ratio=%.4f\n",
           IMAGE_BYTES, SPI_HZ, r[0].sim_s, r[0].limit_s,
           r[0].sim_s / r[0].limit_s);
    printf("update_boot: bytes=%u sim_s=%.4f limit_s=%.4f ratio=%.4f\n",
           IMAGE_BYTES, r[0].boot_s, r[0].limit_s, r[0].boot_s / r[0].limit_s);
    printf("update_e2e: bytes=%u sim_s=%.4f limit_s=%.4f ratio=%.4f\n",
           IMAGE_BYTES, r[0].e2e_s, r[0].limit_s, r[0].e2e_s / r[0].limit_s);
    for (unsigned m = 0; m < nmodels; m++)
        printf("cpi: case=update model=%s cycles=%llu instructions=%llu "
               "sim_s=%.4f ratio=%.4f boot_ratio=%.4f e2e_ratio=%.4f\n",
               models[m] == VBOARD_CPI_1 ? "1" : "m4",
               (unsigned long long)r[m].cycles, (unsigned long long)r[m].insns,
               r[m].sim_s, r[m].sim_s / r[m].limit_s,
               r[m].boot_s / r[m].limit_s, r[m].e2e_s / r[m].limit_s);
    rc = 0;
out:
    remove(img_a);
    return rc;
}
