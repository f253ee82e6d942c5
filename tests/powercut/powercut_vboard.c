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
 * survey run from power-on stops at every entry of the journal append (the
 * bootloader's SRAM boot_journal_append for its own records, the API
 * table's flash-resident fota_api_boot_journal_append for the
 * application's confirm) and at its return: each such call is a window
 * [k0, k1) of instruction counts. Inside a window it also finds every flash
 * wait (the polling loop of the copy that runs, entry to return) and marks
 * in it each instruction where another WAIT_K_FINE CPU cycles have passed.
 *
 * Cut points, sorted and each instruction once: every instruction of the
 * window outside the waits; inside a wait (a polling loop whose only
 * progress is the flash operation in flight) its first and last 8
 * instructions and one cut every WAIT_K_FULL cycles (the middle of a wait
 * shorter than that): cuts by simulated time, as power really fails,
 * whatever one polling iteration costs on the Cortex-M4 model. Plus, for
 * every flash operation of the window, cuts armed at that operation: three
 * SIM_CUT_TORN seeds (the bounded run: SIM_CUT_BEFORE and one seed). A
 * snapshot at k0 means the boot prefix runs once per window, not once per
 * cut.
 *
 * Scenarios beyond the journal appends: trial-reset (the application
 * confirms with fota_app_confirm(): the confirm, then its planned reset,
 * which must be exactly one and land in a confirmed boot of the new image
 * with no further journal write); observe (during the trial the agent
 * polls the application's status on SPI1 as agent_proto_app_status()
 * does, one byte per transaction; a cut in every gap and right after every
 * byte while the application answers, then a poll in the confirmed boot
 * after the planned reset; every answer must decode and give the slot,
 * version and state expected).
 *
 * Check after each cut: a cold boot of the surviving flash until the
 * application's first instruction (its reset handler) or update mode,
 * bounded in simulated time. The cold boot starts from a snapshot of a
 * power-on boot taken at boot_init's entry (nothing before that reads the
 * journal or the slots), with the cut flash copied in; every 128th cut (24th
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
 * Usage: powercut_vboard [--full] [--verbose] [--count] [--scenario NAME]
 *        <build-arm dir>
 * --count surveys and counts the cut points without cutting.
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
#include "fota/fota_app_proto.h"
#include "fota/fota_config.h"
#include "fota/fota_err.h"
#include "fota/fota_layout.h"
#include "sim_flash.h"
#include "vb_real.h"
#include "vboard.h"

#define WAIT_EDGE 8 /* instructions cut at each end of a wait */
/* Inside a wait, one cut each time another WAIT_K_FULL cycles of it have
 * passed (simulated CPU cycles, so a wait gets cuts in proportion to how
 * long it lasts on the chip, whatever one polling iteration costs). */
#define WAIT_K_FULL 40000u
/* The survey marks a wait every WAIT_K_FINE cycles; the full run cuts at
 * every (WAIT_K_FULL / WAIT_K_FINE)-th mark, and a wait shorter than
 * WAIT_K_FULL (a word program) at its middle mark. The bounded run cuts at
 * the middle mark of every other wait. */
#define WAIT_K_FINE 500u
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
/* slot B v2.0.0, confirms 100 ms after boot with fota_app_confirm():
 * confirm, then the planned reset into a confirmed boot */
static vbr_image_t s_b2late;

/* s_sym_api_append: the API table's flash-resident copy of the append
 * (fota_api_*), which an application's confirm runs. */
static uint32_t s_sym_append, s_sym_api_append, s_sym_wait, s_sym_api_wait,
    s_sym_init;
static char s_boot_elf[1024];

static bool s_full, s_verbose, s_count_only;
static const char *s_only; /* --scenario NAME */

/* ---- totals ---- */

static struct {
    uint64_t cuts, bricked, wrong, spot_checks, spot_mismatch, harness;
    uint64_t insn_cuts, wait_cuts, armed_cuts, poll_cuts; /* cuts by kind */
} s_tot;
static unsigned s_reports;

/* ---- scenarios ---- */

typedef struct scenario {
    const char *name;
    const char *what;
    int (*prep)(sim_flash_t *f);
    const vbr_image_t *img_b; /* image the scenario put in slot B (or NULL) */
    bool b_allowed;     /* may slot B boot (before its confirm / rejection)? */
    int nwin;           /* journal appends to sweep from power-on */
    bool heavy;         /* compaction: truncated in the bounded run */
    bool full_only;     /* left out of the bounded run */
    bool planned_reset; /* the app's confirm resets into a confirmed boot */
    bool observe;       /* the agent polls the app's status during a trial */
    int bounded_win0;   /* first window the bounded run sweeps */
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

static int prep_trial_late(sim_flash_t *f)
{
    boot_ctx_t ctx;

    return prep_pending(f, &ctx, &s_b2late, 0);
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
    {.name = "factory",
     .what = "first boot records the factory image",
     .prep = prep_factory,
     .nwin = 1},
    {.name = "trial",
     .what = "trial record, then fota_app_confirm_keep_running() (API table)",
     .prep = prep_trial,
     .img_b = &s_b2,
     .b_allowed = true,
     .nwin = 2},
    {.name = "trial-reset",
     .what = "trial record, fota_app_confirm(), its reset: confirmed",
     .prep = prep_trial_late,
     .img_b = &s_b2late,
     .b_allowed = true,
     .nwin = 2,
     .planned_reset = true,
     .bounded_win0 = 1},
    {.name = "observe",
     .what = "agent polls the app's status on SPI1 during the trial",
     .prep = prep_trial_late,
     .img_b = &s_b2late,
     .b_allowed = true,
     .observe = true},
    {.name = "last-attempt",
     .what = "last trial attempt of an image that never confirms",
     .prep = prep_last_attempt,
     .img_b = &s_b2nc,
     .b_allowed = true,
     .nwin = 1},
    {.name = "rollback",
     .what = "attempts exhausted: rollback record",
     .prep = prep_rollback,
     .img_b = &s_b2nc,
     .nwin = 1},
    {.name = "compact-trial",
     .what = "sector 11 full: the trial record compacts, then the confirm",
     .prep = prep_compact_trial,
     .img_b = &s_b2,
     .b_allowed = true,
     .nwin = 2,
     .heavy = true,
     .full_only = true},
    {.name = "compact-confirm",
     .what = "one record left: the trial record fills it, the confirm compacts",
     .prep = prep_compact_confirm,
     .img_b = &s_b2,
     .b_allowed = true,
     .nwin = 2,
     .heavy = true},
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
    uint64_t start, end;   /* instruction counts: entry, return */
    uint64_t cstart, cend; /* CPU cycles at entry and return */
    size_t s0, ns;         /* its cycle samples: w->samp[s0 .. s0 + ns) */
} wait_t;

typedef struct window {
    uint64_t k0, k1;   /* instruction counts since power-on */
    uint64_t op0, op1; /* flash operation indices [op0, op1) */
    bool truncated;
    vboard_snapshot_t *snap; /* at k0 */
    size_t nwait;
    wait_t *wait;
    size_t nsamp, capsamp;
    uint64_t *samp; /* instruction counts where a cycle target was reached */
} window_t;

static bool push_u64(uint64_t **v, size_t *n, size_t *cap, uint64_t x)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 1024;
        uint64_t *p = realloc(*v, nc * sizeof *p);

        if (!p)
            return false;
        *v = p;
        *cap = nc;
    }
    (*v)[(*n)++] = x;
    return true;
}

/* Run s_run one step towards cycle count target inside a wait that
 * returns to wret, at most up to instruction count lim: coarsely by time
 * (inside a wait the clock moves only by executed cycles at a fixed HCLK),
 * then one instruction at a time. Returns false once the wait has
 * returned (or lim is reached) before the target. */
static bool run_to_cycle(uint64_t target, uint32_t wret, uint64_t lim)
{
    for (;;) {
        uint64_t c = vboard_cycles(s_run), k = vboard_insns(s_run);

        if (vboard_pc(s_run) == wret || k >= lim)
            return false;
        if (c >= target)
            return true;
        uint64_t ns = (target - c) * 1000000000ull / vboard_hclk_hz(s_run);
        vboard_until_t u = {.pc = wret,
                            .max_insns = ns > 1 ? lim - k : 1,
                            .max_ns = ns > 1 ? ns - 1 : 0};

        int why = vboard_run(s_run, &u);

        /* A halt or fault inside a wait makes no progress: stop marking
         * (the window's own end check reports it). */
        if (why == VBOARD_STOP_PC || vboard_insns(s_run) == k)
            return false;
    }
}

/* From s_run at a wait's entry (return address wret): run to its return,
 * at most to instruction count lim, and record where each k-cycle mark of
 * the wait is first reached. */
static int survey_wait(window_t *w, wait_t *wt, uint32_t wret, uint64_t lim)
{
    wt->start = vboard_insns(s_run);
    wt->cstart = vboard_cycles(s_run);
    wt->s0 = w->nsamp;
    for (uint64_t t = wt->cstart + WAIT_K_FINE; run_to_cycle(t, wret, lim);
         t += WAIT_K_FINE)
        if (!push_u64(&w->samp, &w->nsamp, &w->capsamp, vboard_insns(s_run)))
            return FOTA_ERR_NOMEM;
    wt->ns = w->nsamp - wt->s0;
    wt->end = vboard_insns(s_run);
    wt->cend = vboard_cycles(s_run);
    return 0;
}

/* From s_run at a boot_journal_append entry: find the return and the flash
 * waits. cap > 0 truncates the window. Leaves s_run at k1. */
static int survey_window(window_t *w, uint32_t wait_pc, uint64_t cap)
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

    /* Second pass over the window for the waits: the polling loop of the
     * copy of the append that runs (wait_pc: the SRAM one, or the API
     * table's flash-resident one, where the CPU stalls on its own fetches
     * while the flash is busy, RM0090 3.5: so that loop sees an
     * operation in flight for one instruction boundary only). */
    w->wait = calloc(MAX_WAITS, sizeof *w->wait);
    if (!w->wait || vboard_restore(s_run, w->snap) != 0)
        return FOTA_ERR_NOMEM;
    w->nwait = 0;
    while (vboard_insns(s_run) < w->k1 && w->nwait < MAX_WAITS) {
        vboard_until_t we = {.pc = wait_pc,
                             .max_insns = w->k1 - vboard_insns(s_run)};
        int rc;

        if (vboard_run(s_run, &we) != VBOARD_STOP_PC)
            break;
        wait_t *wt = &w->wait[w->nwait];
        uint32_t wret = vboard_reg(s_run, UC_ARM_REG_LR) & ~1u;

        rc = survey_wait(w, wt, wret, w->k1);
        if (rc != 0)
            return rc;
        w->nwait++;
    }
    return vboard_insns(s_run) == w->k1 ? 0 : FOTA_ERR_INVAL;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

/* Cut points of a window, ascending and distinct; returns the count (array
 * malloc'd; *in_waits: how many of them lie inside a wait). Full run:
 * every instruction outside the waits; in a wait its first and last
 * WAIT_EDGE instructions and one cut every WAIT_K_FULL cycles (the middle
 * of a shorter wait). Bounded run: every stride-th instruction outside the
 * waits and the middle of every other wait. */
static size_t cut_points(const window_t *w, uint64_t stride, uint64_t **out,
                         size_t *in_waits)
{
    size_t cap = 0, n = 0, wi = 0, nw = 0;
    uint64_t *v = NULL;
    bool ok = true;

    for (uint64_t k = w->k0; ok && k < w->k1;) {
        while (wi < w->nwait && w->wait[wi].end <= k)
            wi++;
        if (wi < w->nwait && k >= w->wait[wi].start) {
            const wait_t *wt = &w->wait[wi];

            if (s_full) {
                for (uint64_t j = wt->start;
                     ok && j < wt->end && j < wt->start + WAIT_EDGE; j++)
                    ok = push_u64(&v, &n, &cap, j);
                for (uint64_t j = wt->end > wt->start + WAIT_EDGE
                                      ? wt->end - WAIT_EDGE
                                      : wt->start + WAIT_EDGE;
                     ok && j < wt->end; j++)
                    ok = push_u64(&v, &n, &cap, j);
            }
            const uint64_t *mk = w->samp + wt->s0;
            size_t every = WAIT_K_FULL / WAIT_K_FINE;

            if (s_full && wt->ns >= every)
                for (size_t j = every - 1; ok && j < wt->ns; j += every)
                    ok = push_u64(&v, &n, &cap, mk[j]);
            else if (wt->ns && (s_full || wi % 2 == 0))
                ok = push_u64(&v, &n, &cap, mk[wt->ns / 2]);
            k = wt->end;
            continue;
        }
        ok = push_u64(&v, &n, &cap, k);
        k += stride;
    }
    if (!ok) {
        free(v);
        *out = NULL;
        return 0;
    }
    /* A cycle sample may fall on an edge instruction (a short wait): each
     * instruction is cut once. */
    if (n)
        qsort(v, n, sizeof *v, cmp_u64);
    size_t m = 0;

    for (size_t i = 0; i < n; i++)
        if (m == 0 || v[i] != v[m - 1])
            v[m++] = v[i];
    wi = 0;
    for (size_t i = 0; i < m; i++) {
        while (wi < w->nwait && w->wait[wi].end <= v[i])
            wi++;
        nw += wi < w->nwait && v[i] >= w->wait[wi].start;
    }
    *in_waits = nw;
    *out = v;
    return m;
}

static uint8_t s_uncut[FOTA_FLASH_SIZE];

/* Cut s_run's power now on a copy of the board (snapshot, cut, judge,
 * restore): what a power cut at this instant leaves. */
static int cut_copy(const scenario_t *sc, const char *where, bool verify)
{
    vboard_snapshot_t *snap = vboard_snapshot(s_run);

    if (!snap)
        return FOTA_ERR_NOMEM;
    if (verify)
        memcpy(s_uncut, vboard_flash(s_run)->mem, FOTA_FLASH_SIZE);
    vboard_power_cut_after(s_run, 0);
    if (verify &&
        memcmp(s_uncut, vboard_flash(s_run)->mem, FOTA_FLASH_SIZE) != 0) {
        s_tot.harness++;
        printf("powercut-vboard: %s: %s: a cut with no operation in flight "
               "changed the flash\n",
               sc->name, where);
    }
    check_cut(sc, vboard_flash(s_run)->mem, where);
    vboard_restore(s_run, snap);
    vboard_snapshot_free(snap);
    return 0;
}

static int sweep_window(const scenario_t *sc, const window_t *w, int wi)
{
    uint64_t *pts = NULL, stride = s_full ? 1 : 293;
    size_t in_waits = 0, n = cut_points(w, stride, &pts, &in_waits);
    uint64_t before = s_tot.cuts, wait_cycles = 0, armed = 0;
    char where[96];
    int rc = 0;

    for (size_t i = 0; i < w->nwait; i++)
        wait_cycles += w->wait[i].cend - w->wait[i].cstart;
    /* Cuts armed at each flash operation of the window: SIM_CUT_BEFORE and
     * torn seeds. The full run leaves SIM_CUT_BEFORE out: it leaves the
     * flash as the instruction cut just before the operation's start,
     * which the full run makes already. */
    uint64_t op_stride = s_full ? 1 : 11;
    int v0 = s_full ? 1 : 0, v1 = s_full ? TORN_SEEDS : 1;

    for (uint64_t op = w->op0; op < w->op1; op += op_stride)
        armed += (uint64_t)(v1 - v0 + 1);
    if (s_verbose || s_count_only)
        printf("powercut-vboard:   window %d: %llu instructions%s, %zu waits "
               "(%llu cycles), %llu flash ops; cut points: %zu instructions "
               "(%zu in waits), %llu armed\n",
               wi, (unsigned long long)(w->k1 - w->k0),
               w->truncated ? " (truncated)" : "", w->nwait,
               (unsigned long long)wait_cycles,
               (unsigned long long)(w->op1 - w->op0), n, in_waits,
               (unsigned long long)armed);
    if (!pts || vboard_restore(s_run, w->snap) != 0) {
        free(pts);
        return FOTA_ERR_NOMEM;
    }
    if (s_count_only) {
        s_tot.cuts += n + armed;
        s_tot.insn_cuts += n - in_waits;
        s_tot.wait_cuts += in_waits;
        s_tot.armed_cuts += armed;
        free(pts);
        return 0;
    }
    for (size_t i = 0; rc == 0 && i < n; i++) {
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

        if (!in_flight && !verify)
            check_cut(sc, fl->mem, where);
        else
            rc = cut_copy(sc, where, verify);
    }
    free(pts);
    s_tot.insn_cuts += n - in_waits;
    s_tot.wait_cuts += in_waits;

    for (uint64_t op = w->op0; rc == 0 && op < w->op1; op += op_stride) {
        for (int v = v0; v <= v1; v++) {
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
            s_tot.armed_cuts++;
        }
    }
    if (s_verbose)
        printf("powercut-vboard:   window %d: %llu cuts\n", wi,
               (unsigned long long)(s_tot.cuts - before));
    return rc;
}

/* ---- the application's status exchange (docs/protocol.md 10a) ---- */

#define POLL_GAP_NS 10000u /* the agent's gap before each byte (vboard_agent) */
#define POLL_MAX_BYTES 4096u

/* One cut during a poll (nothing is in flight: the flash must come out of
 * the cut unchanged, and it is judged like every other cut). */
static int poll_cut(const scenario_t *sc, const char *where)
{
    s_tot.poll_cuts++;
    if (s_count_only) {
        s_tot.cuts++;
        return 0;
    }
    return cut_copy(sc, where, true);
}

/* The agent's status request to the running application on s_run, one
 * byte per transaction after a gap, as agent_proto_app_status() clocks
 * it, with power cuts in the gaps and right after bytes (the application
 * is receiving or answering). The answer must decode and say that slot B
 * runs version 2 in state want. Returns 0 or a FOTA_ERR_* (harness). */
static int poll_status(const scenario_t *sc, int pi, uint8_t want)
{
    const uint8_t req[3] = {FOTA_APP_SOF, FOTA_APP_CMD_STATUS,
                            (uint8_t)(0xFFu ^ FOTA_APP_CMD_STATUS)};
    uint8_t frame[FOTA_APP_FRAME_MAX];
    size_t got = 0, need = 0;
    unsigned fill = 0, every = s_full ? 1u : 16u;
    char where[96];
    int rc = 0;
    fota_app_info_t info;

    vboard_spi_set_cs(s_run, true);
    for (unsigned i = 0; rc == 0 && i < POLL_MAX_BYTES; i++) {
        uint8_t tx = i < sizeof req ? req[i] : 0x00, rx = 0;
        bool cut = i % every == 0;

        vboard_run_ns(s_run, POLL_GAP_NS / 2);
        if (cut && s_full) {
            snprintf(where, sizeof where, "poll %d gap before byte %u", pi, i);
            rc = poll_cut(sc, where);
        }
        vboard_run_ns(s_run, POLL_GAP_NS - POLL_GAP_NS / 2);
        if (rc == 0)
            rc = vboard_spi_xfer(s_run, &tx, &rx, 1);
        if (rc == 0 && cut) {
            snprintf(where, sizeof where, "poll %d after byte %u", pi, i);
            rc = poll_cut(sc, where);
        }
        if (i < sizeof req)
            continue;
        if (got == 0 && rx != FOTA_APP_ANS) {
            fill++; /* filler until the answer starts */
            continue;
        }
        frame[got++] = rx;
        if (got == 2)
            need = 3u + rx;
        if (need > sizeof frame) {
            rc = FOTA_ERR_PROTO;
            break;
        }
        if (need && got == need)
            break;
    }
    vboard_spi_set_cs(s_run, false);
    uint8_t x = 0;

    for (size_t j = 1; j < got; j++)
        x ^= frame[j];
    if (rc == 0 && (!need || got != need || x != 0 ||
                    fota_app_status_decode(&info, frame + 2, need - 3) != 0))
        rc = FOTA_ERR_PROTO;
    if (rc == 0 &&
        (info.slot != 1 || info.state != want || info.version.major != 2))
        rc = FOTA_ERR_INVAL;
    if (s_verbose)
        printf("powercut-vboard:   poll %d: %u filler bytes, answer of %zu "
               "bytes: state %u, rc %d\n",
               pi, fill, got, rc == 0 ? info.state : 0u, rc);
    if (rc != 0) {
        s_tot.harness++;
        printf("powercut-vboard: %s: poll %d: no valid status answer "
               "(state %u expected): %d\n",
               sc->name, pi, want, rc);
    }
    return rc;
}

/* After the application's confirm through fota_app_confirm(): its planned
 * reset, exactly one, into a confirmed boot of slot B with no journal
 * append on the way. Returns 0 or FOTA_ERR_INVAL (reported). */
static int planned_reset(const scenario_t *sc)
{
    uint64_t r0 = vboard_reset_count(s_run);
    vboard_until_t u = {
        .pc = s_sym_append, .uart_text = "fota-app", .max_ns = SURVEY_BOUND_NS};
    vboard_until_t eol = {.uart_text = "\n", .max_ns = 10000000u};
    boot_ctx_t ctx;
    size_t len0 = 0;
    int why;

    vboard_uart_output(s_run, &len0);
    why = vboard_run(s_run, &u);
    if (why == VBOARD_STOP_UART)
        why = vboard_run(s_run, &eol);
    const char *ln = strstr(vboard_uart_output(s_run, NULL) + len0, "fota-app");

    if (why != VBOARD_STOP_UART || !ln || !strstr(ln, "slot B") ||
        vboard_reset_count(s_run) != r0 + 1 ||
        vbr_journal_read(vboard_flash(s_run)->mem, &ctx) != 0 ||
        ctx.state.active != 1 ||
        ctx.state.slot[1].state != FOTA_SLOT_CONFIRMED) {
        s_tot.harness++;
        printf("powercut-vboard: %s: no single planned reset into a confirmed "
               "boot of slot B after the confirm (stop %d, resets %llu); "
               "uart:\n%s\n",
               sc->name, why,
               (unsigned long long)(vboard_reset_count(s_run) - r0),
               vboard_uart_output(s_run, NULL) + len0);
        return FOTA_ERR_INVAL;
    }
    return 0;
}

/* The observe scenario: from power-on, the trial boot of slot B; the
 * agent polls the application's status every period until the
 * application confirms, then once more in the confirmed boot after its
 * planned reset. */
static int observe(const scenario_t *sc)
{
    uint64_t period = s_full ? 20000000ull : 60000000ull;
    vboard_until_t ban = {.uart_text = "fota-app", .max_ns = SURVEY_BOUND_NS};
    int rc = 0, pi = 0;

    if (vboard_run(s_run, &ban) != VBOARD_STOP_UART)
        rc = FOTA_ERR_INVAL;
    while (rc == 0) {
        vboard_until_t u = {.pc = s_sym_api_append, .max_ns = period};
        int why = vboard_run(s_run, &u);

        if (why == VBOARD_STOP_PC)
            break;
        if (why != VBOARD_STOP_TIME || pi > 64)
            rc = FOTA_ERR_INVAL;
        else
            rc = poll_status(sc, pi++, FOTA_SLOT_PENDING);
    }
    if (rc == 0)
        rc = planned_reset(sc);
    if (rc == 0) {
        /* The banner comes before fota_app_init(): give it time. */
        vboard_run_ns(s_run, 20000000u);
        rc = poll_status(sc, pi++, FOTA_SLOT_CONFIRMED);
    }
    if (rc != 0)
        printf("powercut-vboard: %s: the observed trial did not run as "
               "expected (%d polls)\n",
               sc->name, pi);
    return rc;
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
        bool api = nwin > 0;
        vboard_until_t u = {.pc = api ? s_sym_api_append : s_sym_append,
                            .max_ns = SURVEY_BOUND_NS};

        if (vboard_run(s_run, &u) != VBOARD_STOP_PC) {
            printf("powercut-vboard: %s: journal append %d not reached; "
                   "uart:\n%s\n",
                   sc->name, nwin, vboard_uart_output(s_run, NULL));
            rc = FOTA_ERR_INVAL;
            break;
        }
        rc = survey_window(&win[nwin], api ? s_sym_api_wait : s_sym_wait, cap);
        if (rc != 0) {
            printf("powercut-vboard: %s: survey of append %d failed\n",
                   sc->name, nwin);
            break;
        }
    }
    if (rc == 0 && sc->planned_reset)
        rc = planned_reset(sc);
    if (rc == 0 && sc->observe)
        rc = observe(sc);
    /* (The bounded run may leave out windows another scenario sweeps the
     * same way: trial-reset's trial record is trial's.) */
    for (int i = s_full ? 0 : sc->bounded_win0; rc == 0 && i < nwin; i++)
        rc = sweep_window(sc, &win[i], i);
    for (int i = 0; i < nwin; i++) {
        vboard_snapshot_free(win[i].snap);
        free(win[i].wait);
        free(win[i].samp);
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
    /* The API table's own copy of the polling loop, if it has one. */
    if (vbr_elf_symbol(s_boot_elf, "fota_api_fw_flash_wait_idle",
                       &s_sym_api_wait) != 0)
        s_sym_api_wait = s_sym_wait;
    snprintf(p, sizeof p, "%s/app/fota-app-slot-a.bin", dir);
    if (vbr_pack(&s_a1, p, 0, 1, 0, 0, 0, 0))
        return -1;
    snprintf(p, sizeof p, "%s/app/fota-app-slot-b.bin", dir);
    if (vbr_pack(&s_b2, p, 1, 2, 0, 0, 0, 0))
        return -1;
    snprintf(p, sizeof p, "%s/app/fota-app-noconfirm-slot-b.bin", dir);
    if (vbr_pack(&s_b2nc, p, 1, 2, 0, 0, 0, FOTA_IMAGE_F_NO_CONFIRM))
        return -1;
    snprintf(p, sizeof p, "%s/app/fota-app-soon-slot-b.bin", dir);
    if (vbr_pack(&s_b2late, p, 1, 2, 0, 0, 0, 0))
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
        } else if (strcmp(argv[i], "--verbose") == 0)
            s_verbose = true;
        else if (strcmp(argv[i], "--count") == 0)
            s_count_only = true;
        else if (strcmp(argv[i], "--scenario") == 0 && i + 1 < argc)
            s_only = argv[++i];
        else if (!dir && argv[i][0] != '-')
            dir = argv[i];
        else
            dir = NULL, i = argc;
    }
    if (!dir) {
        fprintf(stderr,
                "usage: %s [--full] [--verbose] [--count] [--scenario NAME] "
                "<build-arm dir>\n",
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
    size_t ran = 0;

    for (size_t i = 0; i < sizeof s_scen / sizeof s_scen[0]; i++)
        if (s_only ? strcmp(s_only, s_scen[i].name) == 0
                   : (s_full || !s_scen[i].full_only)) {
            failed |= run_scenario(&s_scen[i]) != 0;
            ran++;
        }
    if (!ran) {
        fprintf(stderr, "powercut-vboard: no scenario named '%s'\n", s_only);
        return 2;
    }
    printf("powercut-vboard: distinct flash states booted %llu, spot cold "
           "boots from "
           "power-on %llu, disagreeing %llu, harness errors %llu, %lds\n",
           (unsigned long long)s_distinct,
           (unsigned long long)s_tot.spot_checks,
           (unsigned long long)s_tot.spot_mismatch,
           (unsigned long long)s_tot.harness, (long)(time(NULL) - t0));
    printf("powercut-vboard: cut points: %llu instructions outside flash "
           "waits, %llu inside them (by cycles), %llu armed at flash "
           "operations, %llu during status polls%s\n",
           (unsigned long long)s_tot.insn_cuts,
           (unsigned long long)s_tot.wait_cuts,
           (unsigned long long)s_tot.armed_cuts,
           (unsigned long long)s_tot.poll_cuts,
           s_count_only ? " (counted, not cut)" : "");
    printf("powercut-vboard: cuts=%llu bricked=%llu wrong_image=%llu\n",
           (unsigned long long)s_tot.cuts, (unsigned long long)s_tot.bricked,
           (unsigned long long)s_tot.wrong);
    vboard_snapshot_free(s_chk_snap);
    vboard_destroy(s_run);
    vboard_destroy(s_chk);
    vbr_image_free(&s_a1);
    vbr_image_free(&s_b2);
    vbr_image_free(&s_b2nc);
    vbr_image_free(&s_b2late);
    free(s_cache);
    return (failed || s_tot.bricked || s_tot.wrong || s_tot.spot_mismatch ||
            s_tot.harness)
               ? 1
               : 0;
}
