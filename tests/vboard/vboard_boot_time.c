/*
 * vboard_boot_time.c - boot time of the real bootloader on the virtual
 * board, from power-on reset to the application's first instruction (its
 * reset handler), for a 384 KiB slot image (the slot-A application padded
 * to the full body size; the header's body_size covers the filler):
 *
 *   (a) an image already verified and confirmed: the bootloader checks the
 *       CRC recorded in the journal on every boot;
 *   (b) the first boot after a commit: the pending image is verified with
 *       the full SHA-256 and the trial attempt recorded before the jump;
 *   (c) (b) with the bootloader built with the test suite's signing key
 *       (fota-boot-testkey.elf) and both images signed by it: (b) plus the
 *       Ed25519 verification.
 *
 * The bootloader runs on the HSI through the PLL while the crystal starts
 * and moves the PLL onto the crystal before the jump; two more boots of (a)
 * check that hand-over: with a crystal slower than the whole boot the
 * application is not started before the crystal runs, and with a dead
 * crystal it is started on the 16 MHz HSI with the fallback logged.
 *
 * Prints a time profile by function (the PC sampled every 10 us of
 * simulated time) for each case, then
 *   boot: cycles=<n> ms_at_168mhz=<t> first_boot_cycles=<m>
 *   boot_signed: first_boot_cycles=<s> signature_ms_at_168mhz=<(s-m) in ms>
 * where cycles are 168 MHz cycles of simulated time (the first ~0.1 ms
 * run at 16 MHz on the HSI while the PLL locks; stalls and UART waits
 * count as they do on the chip), on the Cortex-M4 cycle model; then for
 * each case (boot = (a), boot_first = (b), boot_signed = (c)) and each
 * timing model (m4, and 1 = one cycle per instruction)
 *   cpi: case=<case> model=<m4|1> cycles=<CPU cycles> instructions=<n> ms=<t>
 * with the CPU cycles and instructions executed from reset to the
 * application (vboard_cycles, vboard_insns) and the simulated time.
 *
 * Usage: vboard_boot_time [--quiet] [--cpi m4|1|both] <build-arm dir>
 * (--cpi: the models to run, default both; the boot:/boot_signed: lines
 * come from the first.)
 * Exit status non-zero if a boot does not reach the application or the
 * clock hand-over is wrong.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot_core.h"
#include "boot_port_host.h"
#include "fota/fota_ed25519.h"
#include "fota/fota_err.h"
#include "fota/fota_layout.h"
#include "tool.h"
#include "tool_image.h"
#include "sim_flash.h"
#include "vb_real.h"
#include "vboard.h"

#define SAMPLE_NS 10000u

static char s_boot_elf[1024];
static bool s_quiet;
static uint8_t s_model; /* enum vboard_cpi_model of the boards made */

/* What one boot cost. */
typedef struct boot_cost {
    uint64_t ns, cycles, insns;
} boot_cost_t;

static vboard_t *board_new(void)
{
    vboard_config_t cfg;

    vboard_config_default(&cfg);
    cfg.cpi_model = s_model;
    return vboard_create(&cfg);
}

static void print_cpi(const char *name, const boot_cost_t *c)
{
    printf("cpi: case=%s model=%s cycles=%llu instructions=%llu ms=%.3f\n",
           name, s_model == VBOARD_CPI_1 ? "1" : "m4",
           (unsigned long long)c->cycles, (unsigned long long)c->insns,
           (double)c->ns / 1e6);
}
static sim_flash_t s_host;

/* The bootloader ELF the profile names functions from (the (c) boots run
 * fota-boot-testkey.elf). */
static const char *s_prof_elf = s_boot_elf;

/* The boot's profile by function (application code has no symbol here). */
static void print_profile(const vbr_prof_t *prof, const char *what)
{
    char title[200];

    snprintf(title, sizeof title,
             "boot-time profile, %s: to the application's first instruction",
             what);
    vbr_prof_print(prof, stdout, title, 10);
}

/* Boot b from power-on to entry; returns the simulated ns, 0 on failure.
 * cost (may be NULL) gets the boot's time, CPU cycles and instructions. */
static uint64_t time_boot(vboard_t *b, uint32_t entry, const char *what,
                          boot_cost_t *cost)
{
    bool profile = !s_quiet && strcmp(what, "warm-up") != 0;
    vbr_prof_t prof;
    uint64_t t0;

    if (profile && vbr_prof_init(&prof, &s_prof_elf, NULL, 1) != 0)
        return 0;
    vboard_reset(b, VBOARD_RESET_POWER);
    t0 = vboard_now_ns(b); /* the board's clock runs on across resets */
    if (profile)
        vbr_prof_restart(&prof, t0);
    for (;;) {
        vboard_until_t u = {.pc = entry, .max_ns = SAMPLE_NS};
        int why = vboard_run(b, &u);

        if (why == VBOARD_STOP_PC) {
            if (profile)
                vbr_prof_sample_board(&prof, b);
            break;
        }
        if (why != VBOARD_STOP_TIME || vboard_now_ns(b) - t0 > 2000000000u) {
            fprintf(stderr,
                    "boot-time: %s: the application was not reached (%d); "
                    "uart:\n%s\n",
                    what, why, vboard_uart_output(b, NULL));
            if (profile)
                vbr_prof_free(&prof);
            return 0;
        }
        if (profile)
            vbr_prof_sample_board(&prof, b);
    }
    if (profile) {
        print_profile(&prof, what);
        vbr_prof_free(&prof);
    }
    if (cost)
        *cost = (boot_cost_t){vboard_now_ns(b) - t0, vboard_cycles(b),
                              vboard_insns(b)};
    return vboard_now_ns(b) - t0;
}

/* The crystal's start-up in the slow-crystal check: longer than the whole
 * of (a), so only a bootloader that waits for it reaches the application
 * after it. */
#define SLOW_HSE_US 9000u

/* Boot (a)'s flash on a fresh board with cfg; 0 when the application was
 * reached with the clock and log the hand-over promises. */
static int check_handover(const sim_flash_t *flash, uint32_t entry,
                          const vboard_config_t *cfg)
{
    vboard_t *b = vboard_create(cfg);
    const char *out;
    uint64_t t;
    int rc = -1;

    if (!b || vboard_load_elf(b, s_boot_elf) != 0)
        goto out;
    vboard_set_nss(b, true);
    vbr_flash_to_board(b, flash);
    t = time_boot(b, entry, "warm-up", NULL);
    if (!t)
        goto out;
    out = vboard_uart_output(b, NULL);
    if (!strstr(out, "boot: boot slot A\r\n")) {
        fprintf(stderr, "boot-time: hand-over: no decision line:\n%s\n", out);
        goto out;
    }
    if (cfg->hse_fails) {
        /* The documented fallback: the HSI at 16 MHz, said in the log. */
        if (vboard_hclk_hz(b) != 16000000u || !strstr(out, "clk=hsi16")) {
            fprintf(stderr, "boot-time: dead crystal: hclk %u, log:\n%s\n",
                    (unsigned)vboard_hclk_hz(b), out);
            goto out;
        }
    } else if (vboard_hclk_hz(b) != 168000000u ||
               t < cfg->hse_startup_us * 1000ull || strstr(out, "clk=hsi16")) {
        fprintf(stderr,
                "boot-time: slow crystal: application at %.3f ms, crystal at "
                "%.3f ms, "
                "hclk %u\n",
                (double)t / 1e6, cfg->hse_startup_us / 1e3,
                (unsigned)vboard_hclk_hz(b));
        goto out;
    }
    rc = 0;
out:
    vboard_destroy(b);
    return rc;
}

/* (c): both images signed with the test key, A confirmed and B committed
 * by the host core trusting that key, then B's first boot on the
 * bootloader built with it. Returns the boot time (ns) or 0. */
static uint64_t time_signed_first_boot(const char *dir, const vbr_image_t *a,
                                       const vbr_image_t *bimg,
                                       boot_cost_t *cost)
{
    uint8_t seed[FOTA_ED25519_SEED_SIZE], pub[FOTA_ED25519_PUB_SIZE];
    char elf[1100], err[160];
    vbr_image_t sa = *a, sb = *bimg;
    boot_ctx_t ctx;
    boot_decision_t d;
    vboard_t *b = NULL;
    uint64_t t = 0;

    sa.data = malloc(a->len);
    sb.data = malloc(bimg->len);
    if (!sa.data || !sb.data)
        goto out;
    memcpy(sa.data, a->data, a->len);
    memcpy(sb.data, bimg->data, bimg->len);
    if (tool_key_load_seed(FOTA_TEST_KEY_PEM, seed) != 0 ||
        tool_image_sign(sa.data, sa.len, seed, err, sizeof err) != 0 ||
        tool_image_sign(sb.data, sb.len, seed, err, sizeof err) != 0) {
        fprintf(stderr, "boot-time: signing with %s failed\n",
                FOTA_TEST_KEY_PEM);
        goto out;
    }
    fota_ed25519_pubkey(pub, seed);
    snprintf(elf, sizeof elf, "%s/boot/fota-boot-testkey.elf", dir);
    b = board_new();
    if (!b || vboard_load_elf(b, elf) != 0) {
        fprintf(stderr, "boot-time: cannot load %s\n", elf);
        goto out;
    }
    vboard_set_nss(b, true);
    s_prof_elf = elf;
    sim_flash_init(&s_host, SIM_FLASH_TYPICAL);
    memcpy(s_host.mem, vboard_flash(b)->mem, FOTA_FLASH_SIZE);
    boot_port_host_bind(&s_host);
    boot_port_host_set_signing_key(pub);
    if (vbr_install(&s_host, &sa) || boot_init(&ctx) || boot_decide(&ctx, &d) ||
        d.slot != 0 || vbr_install(&s_host, &sb) || boot_init(&ctx) ||
        boot_commit(&ctx, 1)) {
        fprintf(stderr,
                "boot-time: preparing the signed committed state failed\n");
        goto out;
    }
    vbr_flash_to_board(b, &s_host);
    t = time_boot(b, sb.entry,
                  "(c) first boot after a commit, SHA-256 + Ed25519", cost);
out:
    s_prof_elf = s_boot_elf;
    boot_port_host_set_signing_key(NULL);
    vboard_destroy(b);
    free(sa.data);
    free(sb.data);
    return t;
}

/* Cases (a), (b), (c) and the clock hand-over checks on boards with
 * s_model: c[0..2] get their costs. Returns 0 or -1. */
static int measure(const char *dir, const vbr_image_t *a,
                   const vbr_image_t *bimg, boot_cost_t c[3])
{
    boot_ctx_t ctx;
    boot_decision_t d;
    vboard_config_t cfg;
    vboard_t *b = board_new();
    int rc = -1;

    if (!b || vboard_load_elf(b, s_boot_elf) != 0) {
        fprintf(stderr, "boot-time: cannot load %s\n", s_boot_elf);
        goto out;
    }
    vboard_set_nss(b, true);

    /* (a) A confirmed, its CRC on record: the factory decision on the host
     * core, the same journal format the bootloader reads. */
    sim_flash_init(&s_host, SIM_FLASH_TYPICAL);
    memcpy(s_host.mem, vboard_flash(b)->mem, FOTA_FLASH_SIZE);
    boot_port_host_bind(&s_host);
    if (vbr_install(&s_host, a) || boot_init(&ctx) || boot_decide(&ctx, &d) ||
        d.slot != 0 || ctx.state.slot[0].state != FOTA_SLOT_CONFIRMED ||
        ctx.state.slot[0].image_crc == 0) {
        fprintf(stderr, "boot-time: preparing the confirmed state failed\n");
        goto out;
    }
    vbr_flash_to_board(b, &s_host);
    /* The first power-on after the factory record may still do one-off
     * work; time the second, the steady state. */
    if (!time_boot(b, a->entry, "warm-up", NULL) ||
        !time_boot(b, a->entry, "(a) confirmed image, CRC check", &c[0]))
        goto out;
    vboard_config_default(&cfg);
    cfg.cpi_model = s_model;
    cfg.hse_startup_us = SLOW_HSE_US;
    if (c[0].ns >= SLOW_HSE_US * 1000ull ||
        check_handover(&s_host, a->entry, &cfg))
        goto out;
    vboard_config_default(&cfg);
    cfg.cpi_model = s_model;
    cfg.hse_fails = true;
    if (check_handover(&s_host, a->entry, &cfg))
        goto out;

    /* (b) B committed: its first boot verifies it fully. */
    if (vbr_install(&s_host, bimg) || boot_init(&ctx) || boot_commit(&ctx, 1)) {
        fprintf(stderr, "boot-time: preparing the committed state failed\n");
        goto out;
    }
    vbr_flash_to_board(b, &s_host);
    if (!time_boot(b, bimg->entry, "(b) first boot after a commit, SHA-256",
                   &c[1]) ||
        !time_signed_first_boot(dir, a, bimg, &c[2]))
        goto out;
    rc = c[1].ns > c[0].ns && c[2].ns > c[1].ns ? 0 : -1;
out:
    boot_port_host_bind(NULL);
    vboard_destroy(b);
    return rc;
}

int main(int argc, char **argv)
{
    static const char *const cases[3] = {"boot", "boot_first", "boot_signed"};
    const char *dir = NULL, *cpi = "both";
    char p[1200];
    vbr_image_t a, bimg;
    uint8_t models[2];
    unsigned nmodels;
    boot_cost_t c[2][3];
    int rc = 1;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quiet") == 0)
            s_quiet = true;
        else if (strcmp(argv[i], "--cpi") == 0 && i + 1 < argc)
            cpi = argv[++i];
        else if (argv[i][0] != '-')
            dir = argv[i];
    }
    if (!dir || (strcmp(cpi, "m4") != 0 && strcmp(cpi, "1") != 0 &&
                 strcmp(cpi, "both") != 0)) {
        fprintf(stderr,
                "usage: %s [--quiet] [--cpi m4|1|both] <build-arm dir>\n",
                argv[0]);
        return 2;
    }
    nmodels = strcmp(cpi, "both") == 0 ? 2 : 1;
    models[0] = strcmp(cpi, "1") == 0 ? VBOARD_CPI_1 : VBOARD_CPI_M4;
    models[1] = VBOARD_CPI_1;
    snprintf(s_boot_elf, sizeof s_boot_elf, "%s/boot/fota-boot.elf", dir);
    snprintf(p, sizeof p, "%s/app/fota-app-slot-a.bin", dir);
    if (vbr_pack(&a, p, 0, 1, 0, 0, FOTA_SLOT_BODY_MAX, 0))
        return 1;
    snprintf(p, sizeof p, "%s/app/fota-app-slot-b.bin", dir);
    if (vbr_pack(&bimg, p, 1, 2, 0, 0, FOTA_SLOT_BODY_MAX, 0)) {
        vbr_image_free(&a);
        return 1;
    }
    if (a.len != FOTA_SLOT_SIZE || bimg.len != FOTA_SLOT_SIZE) {
        fprintf(stderr, "boot-time: images are not 384 KiB\n");
        goto out;
    }
    for (unsigned m = 0; m < nmodels; m++) {
        s_model = models[m];
        if (measure(dir, &a, &bimg, c[m]) != 0)
            goto out;
        s_quiet = true; /* one profile (of the first model) is enough */
    }
    printf("boot: cycles=%llu ms_at_168mhz=%.3f first_boot_cycles=%llu\n",
           (unsigned long long)(c[0][0].ns * 168u / 1000u),
           (double)c[0][0].ns / 1e6,
           (unsigned long long)(c[0][1].ns * 168u / 1000u));
    printf("boot_signed: first_boot_cycles=%llu signature_ms_at_168mhz=%.3f\n",
           (unsigned long long)(c[0][2].ns * 168u / 1000u),
           ((double)c[0][2].ns - (double)c[0][1].ns) / 1e6);
    for (unsigned k = 0; k < 3; k++) {
        for (unsigned m = 0; m < nmodels; m++) {
            s_model = models[m];
            print_cpi(cases[k], &c[m][k]);
        }
    }
    rc = 0;
out:
    vbr_image_free(&a);
    vbr_image_free(&bimg);
    return rc;
}
