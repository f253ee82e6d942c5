/*
 * powercut_vboard.c - power cuts at instruction level on the real
 * bootloader and application (build-arm/ ELFs) running on the virtual
 * board, with the journal appends the firmware itself performs: the
 * factory record, the trial-attempt record before the jump, the confirm the
 * application triggers through the bootloader's API table, the rollback
 * record when the attempts have run out, and journal compaction (sector 11
 * prepared full so that the trial record or the confirm compacts).
 *
 * Method. Each scenario's starting flash is prepared with the host boot core
 * on a flash model (same journal format) and copied into the board. A
 * survey run from power-on stops at every entry of boot_journal_append (an
 * SRAM function: the same address whether the bootloader's decision or the
 * application's confirm call runs it) and at its return: each such call is
 * a window [k0, k1) of instruction counts. Inside a window it also finds
 * every flash wait (fw_flash_wait_idle, entry to return).
 *
 * Cut points: every instruction of the window outside the waits; inside a
 * wait (a polling loop whose only progress is the flash operation in
 * flight) its first and last 8 instructions and 48 (full run: 64) spread over it. Plus,
 * for every flash operation of the window, a cut armed at that operation:
 * SIM_CUT_BEFORE and three SIM_CUT_TORN seeds. A snapshot at k0 means the
 * boot prefix runs once per window, not once per cut.
 *
 * Check after each cut: a cold boot of the surviving flash until the
 * application's first instruction (its reset handler) or update mode,
 * bounded in simulated time. The cold boot starts from a snapshot of a
 * power-on boot taken at boot_init's entry (nothing before that reads the
 * journal or the slots), with the cut flash copied in; every 64th cut (8th
 * in the bounded run) is also cold booted from power-on to the application
 * banner, and the two must agree. The booted slot must verify fully on the
 * flash and hold exactly a known image (else bricked; update mode counts as
 * bricked, as every scenario has a confirmed or bootable image), and the
 * image must be allowed: the old image or the new one on trial before the
 * confirm completes, only the new one once the flash holds its confirmed
 * record, never the rolled-back image once its rejection is recorded
 * (else wrong_image). The cold boot is a power-on, so a pending image
 * whose attempt is on record may run again while the power-loss bound
 * allows, even with no attempts left (docs/boot-flow.md).
 *
 * Usage: powercut_vboard [--full] [--verbose] <build-arm dir>
 * Last line: powercut-vboard: cuts=<N> bricked=<B> wrong_image=<W>
 * Exit status non-zero if B or W > 0 or the harness itself failed.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <unicorn/unicorn.h>

#include "boot_core.h"
#include "boot_port_host.h"
#include "fota/fota_config.h"
#include "fota/fota_err.h"
#include "fota/fota_layout.h"
#include "sim_flash.h"
#include "vb_real.h"
#include "vboard.h"

#define WAIT_EDGE 8 /* instructions cut at each end of a wait */
/* Cuts spread over a wait's middle: the full run samples waits more densely
 * (its figure must reach 50,000 cuts; the bounded run stays quick). */
#define WAIT_SPREAD_BOUNDED 48
#define WAIT_SPREAD_FULL 64
#define TORN_SEEDS 3
#define MAX_WINDOWS 4
#define MAX_WAITS 4096
#define CHECK_BOUND_NS                                                         \
    6000000000ull /* a check boot may compact: 1.25 s of erases */
#define SURVEY_BOUND_NS 8000000000ull
#define MAX_REPORTS 12

/* ---- images and symbols ---- */

static vbr_image_t s_a1;   /* slot A v1.0.0, confirms */
static vbr_image_t s_b2;   /* slot B v2.0.0, confirms */
static vbr_image_t s_b2nc; /* slot B v2.0.0, never confirms */

/* s_sym_api_append: the API table's flash-resident copy of the append
 * (fota_api_*), which an application's confirm runs. */
static uint32_t s_sym_append, s_sym_api_append, s_sym_wait, s_sym_init;
static char s_boot_elf[1024];

static bool s_full, s_verbose;
static uint64_t s_wait_spread = WAIT_SPREAD_BOUNDED;

/* ---- totals ---- */

static struct {
    uint64_t cuts, bricked, wrong, spot_checks, spot_mismatch, harness;
} s_tot;
static unsigned s_reports;

/* ---- scenarios ---- */

typedef struct scenario {
    const char *name;
    const char *what;
    int (*prep)(sim_flash_t *f);
    const vbr_image_t *img_b; /* image the scenario put in slot B (or NULL) */
    bool b_allowed; /* may slot B boot (before its confirm / rejection)? */
    int nwin;       /* journal appends to sweep from power-on */
    bool heavy;     /* compaction: truncated in the bounded run */
    bool full_only; /* left out of the bounded run */
} scenario_t;

static sim_flash_t s_prep; /* scenario preparation (host boot core) */
static uint8_t s_boot_sector[FOTA_FLASH_SIZE];

static int prep_factory(sim_flash_t *f)
{
    return vbr_install(f, &s_a1);
}

static int prep_confirmed_a(sim_flash_t *f, boot_ctx_t *ctx)
{
    boot_decision_t d;
    int rc = vbr_install(f, &s_a1);

    if (rc == 0)
        rc = boot_init(ctx);
    if (rc == 0)
        rc = boot_decide(ctx, &d);
    if (rc == 0 && (d.slot != 0 || d.trial ||
                    ctx->state.slot[0].state != FOTA_SLOT_CONFIRMED))
        rc = FOTA_ERR_INVAL;
    return rc;
}

static int prep_pending(sim_flash_t *f, boot_ctx_t *ctx, const vbr_image_t *b,
                        int trials)
{
    boot_decision_t d;
    int rc = prep_confirmed_a(f, ctx);

    if (rc == 0)
        rc = vbr_install(f, b);
    if (rc == 0)
        rc = boot_init(ctx);
    if (rc == 0)
        rc = boot_commit(ctx, 1);
    for (int i = 0; rc == 0 && i < trials; i++) {
        rc = boot_decide(ctx, &d);
        if (rc == 0 && (d.slot != 1 || !d.trial))
            rc = FOTA_ERR_INVAL;
    }
    return rc;
}

/* Append copies of the current state until free_recs records are left in
 * sector 11: the (free_recs + 1)-th append from now compacts. */
static int fill_journal(boot_ctx_t *ctx, unsigned free_recs)
{
    int rc = 0;

    while (rc == 0 &&
           ctx->main_next_off <
               FOTA_JOURNAL_MAIN_SIZE - free_recs * FOTA_JOURNAL_REC_SIZE) {
        fota_journal_rec_t r = ctx->state;

        rc = boot_journal_append(ctx, &r);
    }
    if (rc == 0 && (ctx->compactions != 0 || ctx->area != BOOT_AREA_MAIN))
        rc = FOTA_ERR_INVAL;
    return rc;
}

static int prep_trial(sim_flash_t *f)
{
    boot_ctx_t ctx;

    return prep_pending(f, &ctx, &s_b2, 0);
}

static int prep_last_attempt(sim_flash_t *f)
{
    boot_ctx_t ctx;

    return prep_pending(f, &ctx, &s_b2nc, FOTA_TRIAL_ATTEMPTS - 1);
}

static int prep_rollback(sim_flash_t *f)
{
    boot_ctx_t ctx;

    return prep_pending(f, &ctx, &s_b2nc, FOTA_TRIAL_ATTEMPTS);
}

static int prep_compact_trial(sim_flash_t *f)
{
    boot_ctx_t ctx;
    int rc = prep_pending(f, &ctx, &s_b2, 0);

    return rc ? rc : fill_journal(&ctx, 0);
}

static int prep_compact_confirm(sim_flash_t *f)
{
    boot_ctx_t ctx;
    int rc = prep_pending(f, &ctx, &s_b2, 0);

    return rc ? rc : fill_journal(&ctx, 1);
}

static const scenario_t s_scen[] = {
    {"factory", "first boot records the factory image", prep_factory, NULL,
     false, 1, false, false},
    {"trial", "trial-attempt record, then the app's confirm via the API table",
     prep_trial, &s_b2, true, 2, false, false},
    {"last-attempt", "last trial attempt of an image that never confirms",
     prep_last_attempt, &s_b2nc, true, 1, false, false},
    {"rollback", "attempts exhausted: rollback record", prep_rollback, &s_b2nc,
     false, 1, false, false},
    {"compact-trial",
     "sector 11 full: the trial record compacts, then the confirm",
     prep_compact_trial, &s_b2, true, 2, true, true},
    {"compact-confirm",
     "one record left: the trial record fills it, the confirm compacts",
     prep_compact_confirm, &s_b2, true, 2, true, false},
};

/* ---- boards ---- */

static vboard_t *s_run;               /* the swept board */
static vboard_t *s_chk;               /* the check board */
static vboard_snapshot_t *s_chk_snap; /* power-on boot stopped at boot_init */

static vboard_t *new_board(void)
{
    vboard_t *b = vboard_create(NULL);

    if (!b || vboard_load_elf(b, s_boot_elf) != 0) {
        fprintf(stderr, "powercut-vboard: cannot create a board with %s\n",
                s_boot_elf);
        exit(1);
    }
    vboard_set_nss(b, true);
    return b;
}

/* ---- the check ---- */

typedef struct outcome {
    int slot;           /* booted slot, -1 update mode / nothing */
    bool reached_entry; /* the CPU reached the image's reset handler */
    bool banner_ok;     /* the application's banner names that slot */
    bool holds;         /* the slot verifies and holds the known image */
    char line[96];      /* the bootloader's verdict line */
} outcome_t;

static const vbr_image_t *slot_image(const scenario_t *sc, int slot)
{
    return slot == 0 ? &s_a1 : sc->img_b;
}

/* vboard_run (u.pc unused) with every flash wait sat out as a bus stall:
 * the check boots need the outcome, not exact instruction counts, and a
 * polled 1 s sector erase would otherwise cost 168 M instructions. */
static int run_fast(vboard_t *b, vboard_until_t u)
{
    uint64_t end = vboard_now_ns(b) + u.max_ns;

    for (;;) {
        uint64_t now = vboard_now_ns(b);
        int why;

        if (now >= end)
            return VBOARD_STOP_TIME;
        u.pc = s_sym_wait;
        u.max_ns = end - now;
        why = vboard_run(b, &u);
        if (why != VBOARD_STOP_PC)
            return why;
        vboard_stall_for_flash(b);
    }
}

/* From a board that has executed up to boot_init (or less): run until the
 * decision line, to the chosen image's reset handler, then to the
 * application's banner line. */
static void run_to_banner(vboard_t *b, const scenario_t *sc, outcome_t *o)
{
    uint64_t t0 = vboard_now_ns(b);
    vboard_until_t u = {.uart_text = "\n"};

    memset(o, 0, sizeof *o);
    o->slot = -1;
    for (;;) {
        uint64_t used = vboard_now_ns(b) - t0;
        size_t len0 = 0, len1 = 0;
        const char *out;

        if (used >= CHECK_BOUND_NS)
            return;
        vboard_uart_output(b, &len0);
        u.max_ns = CHECK_BOUND_NS - used;
        if (run_fast(b, u) != VBOARD_STOP_UART)
            return;
        out = vboard_uart_output(b, &len1);
        /* The line just completed (from the previous end). */
        size_t n = len1 - len0;

        if (n >= sizeof o->line)
            n = sizeof o->line - 1;
        memcpy(o->line, out + len0, n);
        while (n && (o->line[n - 1] == '\n' || o->line[n - 1] == '\r'))
            n--;
        o->line[n] = '\0';
        if (strstr(o->line, "update mode"))
            return;
        const char *sl = strstr(o->line, "slot ");

        if (sl && strncmp(o->line, "boot:", 5) == 0) {
            o->slot = sl[5] == 'A' ? 0 : sl[5] == 'B' ? 1 : -1;
            break;
        }
    }
    const vbr_image_t *img = o->slot >= 0 ? slot_image(sc, o->slot) : NULL;

    if (!img)
        return;
    vboard_until_t e = {.pc = img->entry, .max_ns = 50000000u};

    o->reached_entry = vboard_run(b, &e) == VBOARD_STOP_PC;
    if (!o->reached_entry)
        return;
    vboard_until_t ban = {.uart_text = "fota-app", .max_ns = 100000000u};
    vboard_until_t eol = {.uart_text = "\n", .max_ns = 10000000u};
    size_t len0 = 0;

    vboard_uart_output(b, &len0);
    if (vboard_run(b, &ban) == VBOARD_STOP_UART &&
        vboard_run(b, &eol) == VBOARD_STOP_UART) {
        const char *ln = strstr(vboard_uart_output(b, NULL) + len0, "fota-app");

        o->banner_ok =
            ln && strstr(ln, o->slot == 0 ? "slot A" : "slot B") != NULL;
    }
    o->holds = vbr_slot_holds(vboard_flash(b)->mem, o->slot, img);
}

/* Outcomes by flash content. The check board always starts from the same
 * snapshot, so a flash state boots the same way every time: many
 * instruction-level cuts between two flash operations leave identical
 * flash, and that state is booted once. (The spot checks below cold boot
 * from power-on without the cache.) */
typedef struct cached {
    uint64_t h1, h2;
    outcome_t o;
    bool used;
} cached_t;

#define CACHE_SIZE (1u << 17)
static cached_t *s_cache;
static uint64_t s_distinct;

static void flash_hash(const uint8_t *mem, uint64_t *h1, uint64_t *h2)
{
    uint64_t a = 0xcbf29ce484222325ull, c = 0x9E3779B97F4A7C15ull;

    for (size_t i = 0; i < FOTA_FLASH_SIZE; i += 8) {
        uint64_t w;

        memcpy(&w, &mem[i], 8);
        a = (a ^ w) * 0x100000001b3ull;
        c = (c + w) * 0xff51afd7ed558ccdull;
        c ^= c >> 29;
    }
    *h1 = a;
    *h2 = c;
}

static void check_boot(const scenario_t *sc, const uint8_t *mem, outcome_t *o)
{
    uint64_t h1, h2;
    size_t i;

    flash_hash(mem, &h1, &h2);
    for (i = (size_t)(h1 & (CACHE_SIZE - 1)); s_cache[i].used;
         i = (i + 1) & (CACHE_SIZE - 1)) {
        if (s_cache[i].h1 == h1 && s_cache[i].h2 == h2) {
            *o = s_cache[i].o;
            return;
        }
    }
    vboard_restore(s_chk, s_chk_snap);
    memcpy(vboard_flash(s_chk)->mem, mem, FOTA_FLASH_SIZE);
    run_to_banner(s_chk, sc, o);
    s_distinct++;
    if (s_distinct < CACHE_SIZE / 2) {
        s_cache[i].used = true;
        s_cache[i].h1 = h1;
        s_cache[i].h2 = h2;
        s_cache[i].o = *o;
    }
}

static void report(const scenario_t *sc, const char *what, const char *where,
                   const outcome_t *o)
{
    if (s_reports++ >= MAX_REPORTS)
        return;
    printf("powercut-vboard: %s: %s at %s: booted slot %d entry=%d line '%s'\n",
           sc->name, what, where, o->slot, o->reached_entry, o->line);
}

/* The cut left mem: judge it. */
static void check_cut(const scenario_t *sc, const uint8_t *mem,
                      const char *where)
{
    static uint8_t cut[FOTA_FLASH_SIZE];
    boot_ctx_t jctx;
    outcome_t o;
    bool allow_a = true, allow_b = sc->b_allowed;

    s_tot.cuts++;
    memcpy(cut, mem, FOTA_FLASH_SIZE);
    /* What the cut flash already records narrows the allowed images. */
    if (vbr_journal_read(cut, &jctx) == 0 && jctx.area != BOOT_AREA_NONE) {
        if (jctx.state.active == 1 &&
            jctx.state.slot[1].state == FOTA_SLOT_CONFIRMED)
            allow_a = false;
        /* The cold boot after a cut is a power-on: a pending image whose
         * attempt is on record gets that attempt back while the bound
         * allows (docs/boot-flow.md), even with no attempts left. */
        if (jctx.state.slot[1].state == FOTA_SLOT_PENDING &&
            (jctx.state.attempts_left > 0 ||
             ((jctx.state.flags & FOTA_JOURNAL_F_PWR_REFUNDS) <
                  FOTA_TRIAL_POWER_LOSS_MAX &&
              jctx.state.attempts_left < FOTA_TRIAL_ATTEMPTS)))
            allow_b = true;
        if (jctx.state.slot[1].state == FOTA_SLOT_REJECTED)
            allow_b = false;
    }
    check_boot(sc, cut, &o);
    if (o.slot < 0 || !o.reached_entry || !o.banner_ok || !o.holds) {
        s_tot.bricked++;
        report(sc, "bricked", where, &o);
    } else if ((o.slot == 0 && !allow_a) || (o.slot == 1 && !allow_b)) {
        s_tot.wrong++;
        report(sc, "wrong_image", where, &o);
    }

    /* Spot check: the same flash cold booted from power-on, no snapshot,
     * no cache; it must reach the same slot's banner (or update mode). */
    if (s_tot.cuts % (s_full ? 128u : 24u) == 0) {
        outcome_t p;

        s_tot.spot_checks++;
        memcpy(vboard_flash(s_chk)->mem, cut, FOTA_FLASH_SIZE);
        vboard_reset(s_chk, VBOARD_RESET_POWER);
        run_to_banner(s_chk, sc, &p);
        if (p.slot != o.slot || p.reached_entry != o.reached_entry ||
            p.banner_ok != o.banner_ok || p.holds != o.holds) {
            s_tot.spot_mismatch++;
            report(sc, "cold boot from power-on disagrees", where, &p);
        }
    }
}

/* ---- survey ---- */

typedef struct wait {
    uint64_t start, end; /* instruction counts: entry, return */
} wait_t;

typedef struct window {
    uint64_t k0, k1;   /* instruction counts since power-on */
    uint64_t op0, op1; /* flash operation indices [op0, op1) */
    bool truncated;
    vboard_snapshot_t *snap; /* at k0 */
    size_t nwait;
    wait_t *wait;
} window_t;

/* From s_run at a boot_journal_append entry: find the return and the flash
 * waits. cap > 0 truncates the window. Leaves s_run at k1. */
static int survey_window(window_t *w, uint64_t cap)
{
    uint32_t ret = vboard_reg(s_run, UC_ARM_REG_LR) & ~1u;
    vboard_until_t u = {.pc = ret, .max_ns = SURVEY_BOUND_NS, .max_insns = cap};
    int why;

    w->k0 = vboard_insns(s_run);
    w->op0 = vboard_flash(s_run)->ops;
    w->snap = vboard_snapshot(s_run);
    if (!w->snap)
        return FOTA_ERR_NOMEM;
    why = vboard_run(s_run, &u);
    if (why != VBOARD_STOP_PC && !(cap && why == VBOARD_STOP_INSNS))
        return FOTA_ERR_INVAL;
    w->truncated = why == VBOARD_STOP_INSNS;
    w->k1 = vboard_insns(s_run);
    w->op1 = vboard_flash(s_run)->ops;

    /* Second pass over the window for the waits. */
    w->wait = calloc(MAX_WAITS, sizeof *w->wait);
    if (!w->wait || vboard_restore(s_run, w->snap) != 0)
        return FOTA_ERR_NOMEM;
    w->nwait = 0;
    while (vboard_insns(s_run) < w->k1 && w->nwait < MAX_WAITS) {
        vboard_until_t we = {.pc = s_sym_wait,
                             .max_insns = w->k1 - vboard_insns(s_run)};

        if (vboard_run(s_run, &we) != VBOARD_STOP_PC)
            break;
        wait_t *wt = &w->wait[w->nwait];
        uint32_t wret = vboard_reg(s_run, UC_ARM_REG_LR) & ~1u;

        wt->start = vboard_insns(s_run);
        vboard_until_t wr = {.pc = wret, .max_insns = w->k1 - wt->start};

        vboard_run(s_run, &wr);
        wt->end = vboard_insns(s_run);
        w->nwait++;
    }
    return vboard_insns(s_run) == w->k1 ? 0 : FOTA_ERR_INVAL;
}

/* Cut points of a window, ascending; returns the count (array malloc'd). */
static size_t cut_points(const window_t *w, uint64_t stride, uint64_t **out)
{
    size_t cap = 1024, n = 0, wi = 0;
    uint64_t *v = malloc(cap * sizeof *v);

    for (uint64_t k = w->k0; v && k < w->k1;) {
        while (wi < w->nwait && w->wait[wi].end <= k)
            wi++;
        if (n + WAIT_EDGE * 2 + s_wait_spread + 2 > cap) {
            uint64_t *p = realloc(v, (cap *= 2) * sizeof *v);

            if (!p) {
                free(v);
                v = NULL;
                break;
            }
            v = p;
        }
        if (wi < w->nwait && k >= w->wait[wi].start) {
            const wait_t *wt = &w->wait[wi];
            uint64_t len = wt->end - wt->start;

            if (len <= 2 * WAIT_EDGE + s_wait_spread) {
                for (uint64_t j = wt->start; j < wt->end; j += stride)
                    v[n++] = j;
            } else if (stride == 1) {
                for (uint64_t j = 0; j < WAIT_EDGE; j++)
                    v[n++] = wt->start + j;
                for (uint64_t j = 1; j <= s_wait_spread; j++)
                    v[n++] = wt->start + WAIT_EDGE +
                             j * (len - 2 * WAIT_EDGE) / (s_wait_spread + 1);
                for (uint64_t j = WAIT_EDGE; j > 0; j--)
                    v[n++] = wt->end - j;
            } else if (wi % 2 == 0) {
                /* Bounded run: one cut in the middle of every other wait. */
                v[n++] = wt->start + len / 2;
            }
            k = wt->end;
            continue;
        }
        v[n++] = k;
        k += stride;
    }
    *out = v;
    return v ? n : 0;
}

static uint8_t s_uncut[FOTA_FLASH_SIZE];

static int sweep_window(const scenario_t *sc, const window_t *w, int wi)
{
    uint64_t *pts = NULL, stride = s_full ? 1 : 293;
    size_t n = cut_points(w, stride, &pts);
    uint64_t before = s_tot.cuts;
    char where[96];

    if (!pts || vboard_restore(s_run, w->snap) != 0)
        return FOTA_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        uint64_t k = pts[i], cur = vboard_insns(s_run);

        if (k > cur)
            vboard_run_insns(s_run, k - cur);
        if (vboard_insns(s_run) != k) {
            s_tot.harness++;
            break;
        }
        snprintf(where, sizeof where, "window %d insn +%llu", wi,
                 (unsigned long long)(k - w->k0));
        /* With no flash operation in flight a cut leaves the flash exactly
         * as it is: judge it in place. Otherwise (and, as a check of that
         * claim, every 64th time / always in the bounded run) cut a copy. */
        const sim_flash_t *fl = vboard_flash(s_run);
        bool in_flight = fl->busy_until_ns >= vboard_now_ns(s_run);
        bool verify = !in_flight && (!s_full || (i % 64) == 0);

        if (!in_flight && !verify) {
            check_cut(sc, fl->mem, where);
            continue;
        }
        vboard_snapshot_t *snap = vboard_snapshot(s_run);

        if (!snap) {
            free(pts);
            return FOTA_ERR_NOMEM;
        }
        if (verify)
            memcpy(s_uncut, fl->mem, FOTA_FLASH_SIZE);
        vboard_power_cut_after(s_run, 0);
        if (verify &&
            memcmp(s_uncut, vboard_flash(s_run)->mem, FOTA_FLASH_SIZE) != 0) {
            s_tot.harness++;
            printf("powercut-vboard: %s: %s: a cut with no operation in flight "
                   "changed "
                   "the flash\n",
                   sc->name, where);
        }
        check_cut(sc, vboard_flash(s_run)->mem, where);
        vboard_restore(s_run, snap);
        vboard_snapshot_free(snap);
    }
    free(pts);

    /* Cuts armed at each flash operation of the window. */
    uint64_t op_stride = s_full ? 1 : 11;

    for (uint64_t op = w->op0; op < w->op1; op += op_stride) {
        for (int v = 0; v <= (s_full ? TORN_SEEDS : 1); v++) {
            enum sim_cut_mode mode = v == 0 ? SIM_CUT_BEFORE : SIM_CUT_TORN;
            uint64_t cuts0;

            vboard_restore(s_run, w->snap);
            cuts0 = vboard_power_cuts(s_run);
            vboard_arm_flash_cut(s_run, op, mode,
                                 (uint32_t)(op * 131u + (uint64_t)v));
            vboard_until_t u = {.max_insns = w->k1 - w->k0 + 1,
                                .max_ns = SURVEY_BOUND_NS};

            vboard_run(s_run, &u);
            if (vboard_power_cuts(s_run) != cuts0 + 1) {
                s_tot.harness++;
                printf("powercut-vboard: %s: armed cut at op %llu did not "
                       "happen\n",
                       sc->name, (unsigned long long)op);
                continue;
            }
            snprintf(where, sizeof where, "window %d flash op +%llu %s seed %d",
                     wi, (unsigned long long)(op - w->op0),
                     v == 0 ? "before" : "torn", v);
            check_cut(sc, vboard_flash(s_run)->mem, where);
        }
    }
    if (s_verbose)
        printf("powercut-vboard:   window %d: %llu instructions%s, %zu waits, "
               "%llu flash "
               "ops, %llu cuts\n",
               wi, (unsigned long long)(w->k1 - w->k0),
               w->truncated ? " (truncated)" : "", w->nwait,
               (unsigned long long)(w->op1 - w->op0),
               (unsigned long long)(s_tot.cuts - before));
    return 0;
}

static int run_scenario(const scenario_t *sc)
{
    window_t win[MAX_WINDOWS];
    int rc = 0, nwin = 0;
    uint64_t cuts0 = s_tot.cuts, b0 = s_tot.bricked, w0 = s_tot.wrong;
    time_t t0 = time(NULL);
    uint64_t cap = (!s_full && sc->heavy) ? 150000u : 0;

    memset(win, 0, sizeof win);
    sim_flash_init(&s_prep, SIM_FLASH_TYPICAL);
    memcpy(s_prep.mem, s_boot_sector, FOTA_FLASH_SIZE);
    boot_port_host_bind(&s_prep);
    rc = sc->prep(&s_prep);
    boot_port_host_bind(NULL);
    if (rc != 0) {
        printf("powercut-vboard: %s: preparing the flash failed: %d\n",
               sc->name, rc);
        return rc;
    }
    vbr_flash_to_board(s_run, &s_prep);
    vboard_reset(s_run, VBOARD_RESET_POWER);
    vboard_uart_clear(s_run);
    for (nwin = 0; nwin < sc->nwin; nwin++) {
        /* The first append is the bootloader's; a second one is the
         * application's confirm through the API table. */
        vboard_until_t u = {.pc = nwin == 0 ? s_sym_append : s_sym_api_append,
                            .max_ns = SURVEY_BOUND_NS};

        if (vboard_run(s_run, &u) != VBOARD_STOP_PC) {
            printf("powercut-vboard: %s: journal append %d not reached; "
                   "uart:\n%s\n",
                   sc->name, nwin, vboard_uart_output(s_run, NULL));
            rc = FOTA_ERR_INVAL;
            break;
        }
        rc = survey_window(&win[nwin], cap);
        if (rc != 0) {
            printf("powercut-vboard: %s: survey of append %d failed\n",
                   sc->name, nwin);
            break;
        }
    }
    for (int i = 0; rc == 0 && i < nwin; i++)
        rc = sweep_window(sc, &win[i], i);
    for (int i = 0; i < nwin; i++) {
        vboard_snapshot_free(win[i].snap);
        free(win[i].wait);
    }
    printf("powercut-vboard: %-15s %-66s cuts=%llu bricked=%llu "
           "wrong_image=%llu (%lds)\n",
           sc->name, sc->what, (unsigned long long)(s_tot.cuts - cuts0),
           (unsigned long long)(s_tot.bricked - b0),
           (unsigned long long)(s_tot.wrong - w0), (long)(time(NULL) - t0));
    fflush(stdout);
    return rc;
}

static int load(const char *dir)
{
    char p[1200];
    vboard_t *b;

    snprintf(s_boot_elf, sizeof s_boot_elf, "%s/boot/fota-boot.elf", dir);
    if (vbr_elf_symbol(s_boot_elf, "boot_journal_append", &s_sym_append) ||
        vbr_elf_symbol(s_boot_elf, "fota_api_boot_journal_append",
                       &s_sym_api_append) ||
        vbr_elf_symbol(s_boot_elf, "fw_flash_wait_idle", &s_sym_wait) ||
        vbr_elf_symbol(s_boot_elf, "boot_init", &s_sym_init)) {
        fprintf(stderr,
                "powercut-vboard: symbols not found in %s (run make cross)\n",
                s_boot_elf);
        return -1;
    }
    snprintf(p, sizeof p, "%s/app/fota-app-slot-a.bin", dir);
    if (vbr_pack(&s_a1, p, 0, 1, 0, 0, 0, 0))
        return -1;
    snprintf(p, sizeof p, "%s/app/fota-app-slot-b.bin", dir);
    if (vbr_pack(&s_b2, p, 1, 2, 0, 0, 0, 0))
        return -1;
    snprintf(p, sizeof p, "%s/app/fota-app-noconfirm-slot-b.bin", dir);
    if (vbr_pack(&s_b2nc, p, 1, 2, 0, 0, 0, FOTA_IMAGE_F_NO_CONFIRM))
        return -1;
    /* The bootloader as the factory programs it; everything else erased. */
    b = new_board();
    memcpy(s_boot_sector, vboard_flash(b)->mem, FOTA_FLASH_SIZE);
    vboard_destroy(b);

    /* The check board's snapshot: a power-on boot stopped at boot_init. */
    s_run = new_board();
    s_chk = new_board();
    vboard_reset(s_chk, VBOARD_RESET_POWER);
    vboard_until_t u = {.pc = s_sym_init, .max_ns = 100000000u};

    if (vboard_run(s_chk, &u) != VBOARD_STOP_PC) {
        fprintf(stderr,
                "powercut-vboard: the bootloader never reached boot_init\n");
        return -1;
    }
    s_chk_snap = vboard_snapshot(s_chk);
    return s_chk_snap ? 0 : -1;
}

int main(int argc, char **argv)
{
    const char *dir = NULL;
    int failed = 0;
    time_t t0 = time(NULL);

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--full") == 0) {
            s_full = true;
            s_wait_spread = WAIT_SPREAD_FULL;
        } else if (strcmp(argv[i], "--verbose") == 0)
            s_verbose = true;
        else if (!dir && argv[i][0] != '-')
            dir = argv[i];
        else
            dir = NULL, i = argc;
    }
    if (!dir) {
        fprintf(stderr, "usage: %s [--full] [--verbose] <build-arm dir>\n",
                argv[0]);
        return 2;
    }
    s_cache = calloc(CACHE_SIZE, sizeof *s_cache);
    if (!s_cache || load(dir) != 0)
        return 1;
    printf("powercut-vboard: %s sweep of the real bootloader on the virtual "
           "board\n",
           s_full ? "full" : "bounded");
    fflush(stdout);
    for (size_t i = 0; i < sizeof s_scen / sizeof s_scen[0]; i++)
        if (s_full || !s_scen[i].full_only)
            failed |= run_scenario(&s_scen[i]) != 0;
    printf("powercut-vboard: distinct flash states booted %llu, spot cold "
           "boots from "
           "power-on %llu, disagreeing %llu, harness errors %llu, %lds\n",
           (unsigned long long)s_distinct,
           (unsigned long long)s_tot.spot_checks,
           (unsigned long long)s_tot.spot_mismatch,
           (unsigned long long)s_tot.harness, (long)(time(NULL) - t0));
    printf("powercut-vboard: cuts=%llu bricked=%llu wrong_image=%llu\n",
           (unsigned long long)s_tot.cuts, (unsigned long long)s_tot.bricked,
           (unsigned long long)s_tot.wrong);
    vboard_snapshot_free(s_chk_snap);
    vboard_destroy(s_run);
    vboard_destroy(s_chk);
    vbr_image_free(&s_a1);
    vbr_image_free(&s_b2);
    vbr_image_free(&s_b2nc);
    free(s_cache);
    return (failed || s_tot.bricked || s_tot.wrong || s_tot.spot_mismatch ||
            s_tot.harness)
               ? 1
               : 0;
}
