/*
 * powercut_sweep.c - cut power at every flash operation of the update,
 * trial, confirm, rollback and journal-compaction paths, and check that the
 * device always boots a complete known image, never loses the last
 * confirmed one, and that a rerun finishes the interrupted work.
 *
 * Model: the bootloader core runs on the strict flash model through the
 * host port. A "step" is one power-on's worth of work: boot_init() (the
 * bootloader reading its journal) followed by one action - an update
 * (erase, stream the image, commit, as the agent does over the bus), a boot
 * decision, or the application's confirm. For each swept step the sweep
 * first runs it without a cut to count its flash operations, then, from a
 * snapshot of the flash taken before the step, cuts it at each chosen
 * operation (SIM_CUT_BEFORE and three SIM_CUT_TORN seeds), then:
 *   1. check:  boot_init + boot_decide on the surviving flash must JUMP to
 *              a slot whose image verifies fully and is byte-identical to
 *              an image written earlier (else "bricked"), and that image
 *              must be one the phase allows (else "wrong_image");
 *   2. finish: keep power-cycling as the device and agent would (redo the
 *              update while the old image runs, confirm a trial if the
 *              scenario's image confirms, keep booting if it never does)
 *              until the scenario's expected end state (else "unfinished").
 * docs/powercut.md explains the model and how to read the figure line.
 *
 * Usage: powercut_sweep [--full] [--verbose]
 *   no argument: a bounded subset (every cut of scenarios f, a and b, the
 *   compaction steps of scenario c) for CTest; --full: also every journal
 *   word of every 8th update cycle of scenario c.
 */
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "boot_core.h"
#include "boot_port.h"
#include "boot_port_host.h"
#include "fota/fota_config.h"
#include "fota/fota_err.h"
#include "fota/fota_image.h"
#include "fota/fota_le.h"
#include "sim_flash.h"

/* ---- configuration ---- */

#define TORN_VARIANTS 3    /* SIM_CUT_TORN seeds per operation index */
#define IMAGE_SAMPLE 97    /* in the bulk image write, cut every Nth word */
#define IMAGE_EDGE_WORDS 4 /* ... plus the first and last few words */
#define WRITE_CHUNK 256    /* bytes per write, as Write Memory carries */
#define MAX_POWER_ONS 24   /* bound on the recovery loop */
#define MAX_REPORTS 12     /* failures printed in detail */
#define BODY_AB 12288      /* body bytes of scenario a/b images */
#define BODY_C 1024        /* body bytes of scenario c images */
#define IMG_MAX (FOTA_IMAGE_HDR_SIZE + BODY_AB)
#define SEC_COUNTER 1

/* ---- the flash, its snapshots, the image cache ---- */

static sim_flash_t s_live; /* the device's flash, bound to the port */
static sim_flash_t s_snap; /* before the swept step */
static sim_flash_t s_post; /* after the swept step, uncut */

static bool s_full;
static bool s_verbose;

/* A scenario's image: version index k linked for one slot. Built on
 * demand and deterministically, so any slot content can be compared with
 * the image that should be there. */
typedef struct image {
    int slot;
    uint32_t ver;
    uint32_t body_size;
    uint32_t flags;
    uint32_t len; /* header + body */
    uint8_t bytes[IMG_MAX];
} image_t;

#define IMG_CACHE 6
static image_t s_img_cache[IMG_CACHE];
static unsigned s_img_next;

static fota_version_t ver_of(uint32_t k)
{
    fota_version_t v = {1, (uint8_t)(k >> 16), (uint16_t)k, k};
    return v;
}

static uint32_t mix32(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7FEB352Du;
    x ^= x >> 15;
    x *= 0x846CA68Bu;
    x ^= x >> 16;
    return x;
}

static const image_t *image_get(int slot, uint32_t ver, uint32_t body_size,
                                uint32_t flags)
{
    fota_image_hdr_t hdr;
    image_t *im;
    uint32_t body = (uint32_t)FOTA_SLOT_BODY_ADDR(slot);

    for (unsigned i = 0; i < IMG_CACHE; i++) {
        im = &s_img_cache[i];
        if (im->len && im->slot == slot && im->ver == ver &&
            im->body_size == body_size && im->flags == flags)
            return im;
    }
    im = &s_img_cache[s_img_next++ % IMG_CACHE];
    memset(im, 0, sizeof(*im));
    im->slot = slot;
    im->ver = ver;
    im->body_size = body_size;
    im->flags = flags;
    im->len = FOTA_IMAGE_HDR_SIZE + body_size;

    /* Body: a vector table that can run from this slot, then bytes unique
     * to (slot, version), so a mix of two images never compares equal. */
    uint8_t *b = im->bytes + FOTA_IMAGE_HDR_SIZE;
    fota_put_le32(b, FOTA_NOINIT_ADDR);
    fota_put_le32(b + 4, body + 0x101u);
    for (uint32_t off = 8; off < body_size; off += 4)
        fota_put_le32(b + off, mix32(ver * 0x10001u + (uint32_t)slot * 0x3777u +
                                     off * 0x9E3779B9u));

    fota_image_hdr_init(&hdr, slot, body_size, FOTA_PRODUCT_ID);
    hdr.version = ver_of(ver);
    hdr.sec_counter = SEC_COUNTER;
    hdr.flags = flags;
    fota_image_seal(&hdr, im->bytes, b);
    return im;
}

/* ---- figures ---- */

typedef struct tally {
    uint64_t cuts;
    uint64_t bricked;
    uint64_t wrong;
    uint64_t unfinished;
    uint64_t journal_overwrites; /* cuts after which the journal saw one */
    uint64_t other_overwrites;
    uint64_t swept_steps;
    uint64_t compaction_steps; /* swept steps whose uncut run compacted */
    unsigned reports;
} tally_t;

static tally_t s_total;

/* ---- a scenario ---- */

enum step_kind {
    STEP_UPDATE = 0,  /* erase the inactive slot, write the image, commit */
    STEP_BOOT = 1,    /* the boot decision */
    STEP_CONFIRM = 2, /* the application confirms its slot */
};

/* What the check after a cut accepts. */
enum allow {
    ALLOW_OLD = 1,       /* the last confirmed image, normal boot */
    ALLOW_NEW_TRIAL = 2, /* the new image, on trial */
    ALLOW_NEW_CONFIRMED = 4,
};

typedef struct scenario {
    const char *name;
    bool confirms; /* the new image confirms itself when on trial */
    uint32_t body_size;
    /* current update cycle */
    int old_slot;
    uint32_t old_ver;
    uint32_t old_flags;
    int new_slot;
    uint32_t new_ver;
    uint32_t new_flags;
    unsigned trials_before; /* trial jumps of the new image before the step */
    uint8_t area;           /* journal after the last uncut step */
    uint32_t main_next_off;
    tally_t t;
} scenario_t;

typedef struct step {
    uint8_t kind; /* enum step_kind */
    const char *name;
    unsigned allow; /* enum allow bits, for cuts in this step */
} step_t;

typedef struct step_result {
    int rc;
    boot_decision_t d;
    uint32_t compactions; /* compactions during this step */
    fota_journal_rec_t state;
    uint8_t area;
    uint32_t main_next_off;
} step_result_t;

static boot_ctx_t s_ctx;

static const image_t *new_image(const scenario_t *sc)
{
    return image_get(sc->new_slot, sc->new_ver, sc->body_size, sc->new_flags);
}

/* The agent's update, as the protocol engine would carry it out: erase the
 * sectors the image needs, stream it in Write Memory sized chunks, commit.
 * Every bus operation passes the bootloader's write policy first. */
static int do_update(boot_ctx_t *ctx, const image_t *im)
{
    uint32_t base = (uint32_t)FOTA_SLOT_ADDR(im->slot);
    unsigned first = (unsigned)FOTA_SLOT_FIRST_SECTOR(im->slot);
    int rc;

    if (boot_inactive_slot(ctx) != im->slot)
        return FOTA_ERR_PERM;
    for (unsigned s = first; base + im->len > (uint32_t)FOTA_SECTOR_ADDR(s);
         s++) {
        rc = boot_policy_check(ctx, BOOT_OP_ERASE, FOTA_SECTOR_ADDR(s),
                               FOTA_SECTOR_SIZE(s));
        if (rc < 0)
            return rc;
        rc = boot_flash_erase_sector(s);
        if (rc < 0)
            return rc;
    }
    for (uint32_t off = 0; off < im->len; off += WRITE_CHUNK) {
        uint32_t n = im->len - off < WRITE_CHUNK ? im->len - off : WRITE_CHUNK;

        rc = boot_policy_check(ctx, BOOT_OP_WRITE, base + off, n);
        if (rc < 0)
            return rc;
        rc = boot_flash_write(base + off, im->bytes + off, n);
        if (rc < 0)
            return rc;
    }
    return boot_commit(ctx, im->slot);
}

/* One power-on's work. A cut longjmps out of here. */
static void run_step(const scenario_t *sc, const step_t *st, step_result_t *r)
{
    memset(r, 0, sizeof(*r));
    r->rc = boot_init(&s_ctx);
    if (r->rc < 0)
        return;
    switch (st->kind) {
    case STEP_UPDATE:
        r->rc = do_update(&s_ctx, new_image(sc));
        break;
    case STEP_BOOT:
        r->rc = boot_decide(&s_ctx, &r->d);
        break;
    case STEP_CONFIRM:
        r->rc = boot_confirm(&s_ctx, sc->new_slot);
        break;
    default:
        r->rc = FOTA_ERR_INVAL;
        break;
    }
    r->compactions = s_ctx.compactions;
    r->state = s_ctx.state;
    r->area = s_ctx.area;
    r->main_next_off = s_ctx.main_next_off;
}

/* ---- judging the surviving flash ---- */

enum verdict {
    V_OK = 0,
    V_BRICKED,
    V_WRONG,
    V_UNFINISHED,
};

/* Which known image the slot holds: 1 = old, 2 = new, 0 = none of them
 * (torn, mixed, erased). Compares every byte of header and body. */
static int identify(const scenario_t *sc, int slot)
{
    const image_t *cand[2] = {NULL, NULL};
    const uint8_t *mem = &s_live.mem[FOTA_SLOT_ADDR(slot) - FOTA_FLASH_BASE];

    if (slot == sc->old_slot)
        cand[0] =
            image_get(sc->old_slot, sc->old_ver, sc->body_size, sc->old_flags);
    if (slot == sc->new_slot)
        cand[1] = new_image(sc);
    for (int i = 0; i < 2; i++)
        if (cand[i] && memcmp(mem, cand[i]->bytes, cand[i]->len) == 0)
            return i + 1;
    return 0;
}

/* A JUMP decision must name a slot whose image verifies completely, is
 * byte-identical to a known image, and whose vector table the decision
 * repeats. Returns which image (1 old, 2 new) or 0 if bricked. */
static int judge_jump(const scenario_t *sc, boot_ctx_t *ctx,
                      const boot_decision_t *d, char *why, size_t why_len)
{
    fota_image_hdr_t hdr;
    int id, rc;

    if (d->action != BOOT_ACTION_JUMP || d->slot < 0 ||
        d->slot >= FOTA_SLOT_COUNT) {
        snprintf(why, why_len, "no jump (action %u slot %d)",
                 (unsigned)d->action, d->slot);
        return 0;
    }
    rc = boot_verify_image(ctx, d->slot, true, &hdr);
    if (rc != 0) {
        snprintf(why, why_len, "slot %d fails full verify: %d", d->slot, rc);
        return 0;
    }
    id = identify(sc, d->slot);
    if (id == 0) {
        snprintf(why, why_len, "slot %d verifies but is no known image",
                 d->slot);
        return 0;
    }
    const uint8_t *body =
        &s_live.mem[FOTA_SLOT_BODY_ADDR(d->slot) - FOTA_FLASH_BASE];
    if (d->vector_addr != (uint32_t)FOTA_SLOT_BODY_ADDR(d->slot) ||
        d->msp != fota_get_le32(body) || d->entry != fota_get_le32(body + 4)) {
        snprintf(why, why_len, "decision vectors do not match slot %d",
                 d->slot);
        return 0;
    }
    return id;
}

/* What the running image is, as (id, trial). */
static bool is_old(const scenario_t *sc, const boot_decision_t *d, int id)
{
    return id == 1 && d->slot == sc->old_slot && !d->trial;
}

static bool is_new_trial(const scenario_t *sc, const boot_decision_t *d, int id)
{
    return id == 2 && d->slot == sc->new_slot && d->trial;
}

static bool is_new_confirmed(const scenario_t *sc, const boot_decision_t *d,
                             int id)
{
    return id == 2 && d->slot == sc->new_slot && !d->trial;
}

/* Power-on after the cut, then finish the scenario's cycle as the device
 * and the agent would. */
static enum verdict recover(scenario_t *sc, unsigned allow, char *why,
                            size_t why_len)
{
    boot_ctx_t *ctx = &s_ctx;
    boot_decision_t d;
    unsigned trials = sc->trials_before;
    int rc, id;

    rc = boot_init(ctx);
    if (rc == 0)
        rc = boot_decide(ctx, &d);
    if (rc != 0) {
        snprintf(why, why_len, "boot after cut failed: %d", rc);
        return V_BRICKED;
    }
    id = judge_jump(sc, ctx, &d, why, why_len);
    if (id == 0)
        return V_BRICKED;
    if (!((allow & ALLOW_OLD) && is_old(sc, &d, id)) &&
        !((allow & ALLOW_NEW_TRIAL) && is_new_trial(sc, &d, id)) &&
        !((allow & ALLOW_NEW_CONFIRMED) && is_new_confirmed(sc, &d, id))) {
        snprintf(why, why_len,
                 "boots slot %d image %d trial %d, not allowed here", d.slot,
                 id, d.trial);
        return V_WRONG;
    }

    for (unsigned n = 0; n < MAX_POWER_ONS; n++) {
        /* d is the decision of this power-on; the image it names runs. */
        if (n > 0) {
            rc = boot_init(ctx);
            if (rc == 0)
                rc = boot_decide(ctx, &d);
            if (rc != 0) {
                snprintf(why, why_len, "power-on %u failed: %d", n, rc);
                return V_UNFINISHED;
            }
            id = judge_jump(sc, ctx, &d, why, why_len);
            if (id == 0)
                return V_UNFINISHED;
        }
        if (is_new_trial(sc, &d, id)) {
            if (++trials > FOTA_TRIAL_ATTEMPTS) {
                snprintf(why, why_len, "trial boot %u of an unconfirmed image",
                         trials);
                return V_WRONG;
            }
            if (sc->confirms) {
                rc = boot_confirm(ctx, d.slot);
                if (rc != 0) {
                    snprintf(why, why_len, "confirm failed: %d", rc);
                    return V_UNFINISHED;
                }
            }
            continue;
        }
        if (is_new_confirmed(sc, &d, id)) {
            if (!sc->confirms) {
                snprintf(why, why_len, "never-confirming image runs confirmed");
                return V_WRONG;
            }
            /* End state: the new image active and confirmed. */
            if (ctx->state.active != sc->new_slot ||
                ctx->state.slot[sc->new_slot].state != FOTA_SLOT_CONFIRMED) {
                snprintf(why, why_len, "new image runs but journal disagrees");
                return V_UNFINISHED;
            }
            return V_OK;
        }
        if (is_old(sc, &d, id) && sc->new_slot < 0) {
            /* First boot only: the image must now be on record as the
             * confirmed active one. */
            if (ctx->area == BOOT_AREA_NONE ||
                ctx->state.active != sc->old_slot ||
                ctx->state.slot[sc->old_slot].state != FOTA_SLOT_CONFIRMED) {
                snprintf(why, why_len, "factory image not on record");
                return V_UNFINISHED;
            }
            return V_OK;
        }
        if (is_old(sc, &d, id)) {
            const fota_slot_info_t *ns = &ctx->state.slot[sc->new_slot];
            fota_version_t nv = ver_of(sc->new_ver);

            if (!sc->confirms && ns->state == FOTA_SLOT_REJECTED &&
                fota_version_cmp(&ns->version, &nv) == 0) {
                /* End state of a failed trial: the old image runs and the
                 * bootloader refuses the rejected version again. */
                rc = boot_commit(ctx, sc->new_slot);
                if (rc != FOTA_ERR_REJECTED) {
                    snprintf(why, why_len, "rejected image recommit gave %d",
                             rc);
                    return V_UNFINISHED;
                }
                return V_OK;
            }
            /* The update did not land: the agent does it again. */
            rc = do_update(ctx, new_image(sc));
            if (rc != 0) {
                snprintf(why, why_len, "redoing the update failed: %d", rc);
                return V_UNFINISHED;
            }
            trials = 0;
            continue;
        }
        snprintf(why, why_len,
                 "boots slot %d image %d trial %d during recovery", d.slot, id,
                 d.trial);
        return V_WRONG;
    }
    snprintf(why, why_len, "no end state after %u power-ons", MAX_POWER_ONS);
    return V_UNFINISHED;
}

/* ---- sweeping one step ---- */

/* Operation indices to cut in a step of n operations. The bulk image
 * write of an update is sampled; everything else is cut at every index. */
static bool cut_here(const scenario_t *sc, const step_t *st, uint64_t i,
                     uint64_t n)
{
    if (st->kind != STEP_UPDATE)
        return true;
    const image_t *im = new_image(sc);
    uint64_t words = im->len / 4;
    uint64_t erases = 0;
    uint32_t base = (uint32_t)FOTA_SLOT_ADDR(sc->new_slot);

    for (unsigned s = (unsigned)FOTA_SLOT_FIRST_SECTOR(sc->new_slot);
         base + im->len > (uint32_t)FOTA_SECTOR_ADDR(s); s++)
        erases++;
    (void)n;
    if (i < erases || i >= erases + words)
        return true;
    i -= erases;
    return i < IMAGE_EDGE_WORDS || i >= words - IMAGE_EDGE_WORDS ||
           i % IMAGE_SAMPLE == 0;
}

/* Cut once; returns whether the cut landed inside the step. */
static bool cut_once(const scenario_t *sc, const step_t *st, uint64_t at,
                     enum sim_cut_mode mode, uint32_t seed)
{
    static jmp_buf jb;
    static step_result_t r;
    volatile bool landed = false;

    s_live = s_snap;
    sim_flash_arm_cut(&s_live, at, mode, seed, &jb);
    if (setjmp(jb) == 0)
        run_step(sc, st, &r);
    else
        landed = true;
    sim_flash_disarm(&s_live);
    return landed;
}

static void report(scenario_t *sc, const char *what, const step_t *st,
                   uint64_t i, enum sim_cut_mode mode, uint32_t seed,
                   const char *why)
{
    if (sc->t.reports++ >= MAX_REPORTS)
        return;
    printf("powercut:   %s: %s in step '%s' op %llu %s seed %u: %s\n", sc->name,
           what, st->name, (unsigned long long)i,
           mode == SIM_CUT_BEFORE ? "before" : "torn", seed, why);
}

static bool journal_addr(uint32_t addr)
{
    int s = fota_sector_of(addr);
    return s == FOTA_JOURNAL_MAIN_SECTOR || s == FOTA_JOURNAL_SPARE_SECTOR;
}

/* Run a step. When sweep is set, first cut it at every chosen operation
 * (from a snapshot), then leave the flash as the uncut run left it. */
static int step(scenario_t *sc, const step_t *st, bool sweep, step_result_t *r)
{
    if (!sweep) {
        run_step(sc, st, r);
        sc->area = r->area;
        sc->main_next_off = r->main_next_off;
        return r->rc;
    }
    uint64_t base, n;
    step_result_t uncut;

    s_snap = s_live;
    base = s_live.ops;
    run_step(sc, st, r);
    uncut = *r;
    n = s_live.ops - base;
    s_post = s_live;
    sc->t.swept_steps++;
    /* ctx.compactions counts from boot_init, i.e. within this step */
    if (r->compactions > 0)
        sc->t.compaction_steps++;

    for (uint64_t i = 0; i < n; i++) {
        if (!cut_here(sc, st, i, n))
            continue;
        for (unsigned v = 0; v <= TORN_VARIANTS; v++) {
            enum sim_cut_mode mode = v == 0 ? SIM_CUT_BEFORE : SIM_CUT_TORN;
            uint32_t seed = mix32((uint32_t)(base + i) * 4u + v);
            char why[160] = "";
            enum verdict vd;

            sc->t.cuts++;
            if (!cut_once(sc, st, base + i, mode, seed)) {
                report(sc, "harness: cut did not land", st, i, mode, seed, "");
                sc->t.unfinished++;
                continue;
            }
            vd = recover(sc, st->allow, why, sizeof(why));
            switch (vd) {
            case V_BRICKED:
                sc->t.bricked++;
                report(sc, "BRICKED", st, i, mode, seed, why);
                break;
            case V_WRONG:
                sc->t.wrong++;
                report(sc, "WRONG IMAGE", st, i, mode, seed, why);
                break;
            case V_UNFINISHED:
                sc->t.unfinished++;
                report(sc, "UNFINISHED", st, i, mode, seed, why);
                break;
            case V_OK:
            default:
                break;
            }
            if (s_live.overwrites != s_snap.overwrites) {
                char ow[64];

                snprintf(ow, sizeof(ow), "program over non-erased word 0x%08x",
                         (unsigned)s_live.last_overwrite_addr);
                if (journal_addr(s_live.last_overwrite_addr)) {
                    sc->t.journal_overwrites++;
                    report(sc, "JOURNAL OVERWRITE", st, i, mode, seed, ow);
                } else {
                    sc->t.other_overwrites++;
                }
            }
        }
    }
    s_live = s_post;
    *r = uncut;
    sc->area = r->area;
    sc->main_next_off = r->main_next_off;
    return r->rc;
}

/* ---- scenarios ---- */

static const step_t k_update = {STEP_UPDATE, "update",
                                ALLOW_OLD | ALLOW_NEW_TRIAL};
static const step_t k_trial = {STEP_BOOT, "trial boot",
                               ALLOW_OLD | ALLOW_NEW_TRIAL};
static const step_t k_confirm = {
    STEP_CONFIRM, "confirm", ALLOW_OLD | ALLOW_NEW_TRIAL | ALLOW_NEW_CONFIRMED};
static const step_t k_boot_new = {STEP_BOOT, "boot confirmed",
                                  ALLOW_NEW_CONFIRMED};
static const step_t k_rollback = {STEP_BOOT, "trial/rollback boot",
                                  ALLOW_OLD | ALLOW_NEW_TRIAL};
static const step_t k_boot_old = {STEP_BOOT, "boot after rollback", ALLOW_OLD};

static int fail_setup(const scenario_t *sc, const char *what, int rc)
{
    printf("powercut: %s: uncut run failed: %s (%d)\n", sc->name, what, rc);
    return -1;
}

/* Factory: v(ver) written straight into slot A, first boot records it as
 * the confirmed image. */
static int factory(scenario_t *sc, uint32_t ver)
{
    const image_t *im = image_get(0, ver, sc->body_size, 0);
    boot_decision_t d;
    int rc;

    sim_flash_init(&s_live, SIM_FLASH_TYPICAL);
    boot_port_host_bind(&s_live);
    for (uint32_t off = 0; off < im->len; off += 4)
        (void)sim_flash_program_word(&s_live, FOTA_SLOT_A_ADDR + off,
                                     fota_get_le32(im->bytes + off));
    rc = boot_init(&s_ctx);
    if (rc == 0)
        rc = boot_decide(&s_ctx, &d);
    if (rc == 0 && (d.action != BOOT_ACTION_JUMP || d.slot != 0))
        rc = FOTA_ERR_CORRUPT;
    if (rc == 0)
        rc = boot_confirm(&s_ctx, 0);
    if (rc == 0 && (s_ctx.state.active != 0 ||
                    s_ctx.state.slot[0].state != FOTA_SLOT_CONFIRMED))
        rc = FOTA_ERR_CORRUPT;
    if (rc != 0)
        return fail_setup(sc, "factory boot", rc);
    sc->old_slot = 0;
    sc->old_ver = ver;
    sc->old_flags = 0;
    return 0;
}

/* One update cycle of a confirming image: update, trial boot, confirm,
 * normal boot. Afterwards the new image is the old one. */
static int cycle_confirm(scenario_t *sc, uint32_t ver, bool sweep)
{
    step_result_t r;
    int rc;

    sc->new_slot = 1 - sc->old_slot;
    sc->new_ver = ver;
    sc->new_flags = 0;
    sc->trials_before = 0;

    rc = step(sc, &k_update, sweep, &r);
    if (rc != 0)
        return fail_setup(sc, "update", rc);
    rc = step(sc, &k_trial, sweep, &r);
    if (rc != 0 || r.d.action != BOOT_ACTION_JUMP || r.d.slot != sc->new_slot ||
        !r.d.trial)
        return fail_setup(sc, "trial boot", rc ? rc : FOTA_ERR_CORRUPT);
    sc->trials_before = 1;
    rc = step(sc, &k_confirm, sweep, &r);
    if (rc != 0 || r.state.active != sc->new_slot)
        return fail_setup(sc, "confirm", rc ? rc : FOTA_ERR_CORRUPT);
    rc = step(sc, &k_boot_new, sweep, &r);
    if (rc != 0 || r.d.action != BOOT_ACTION_JUMP || r.d.slot != sc->new_slot ||
        r.d.trial)
        return fail_setup(sc, "boot confirmed", rc ? rc : FOTA_ERR_CORRUPT);
    sc->old_slot = sc->new_slot;
    sc->old_ver = ver;
    sc->old_flags = 0;
    return 0;
}

static void finish_scenario(scenario_t *sc, clock_t t0)
{
    printf("powercut: scenario %s: ops=%llu swept_steps=%llu "
           "compaction_steps=%llu "
           "cuts=%llu bricked=%llu wrong_image=%llu unfinished=%llu "
           "journal_overwrites=%llu other_overwrites=%llu "
           "uncut_overwrites=%llu (%.1f s)\n",
           sc->name, (unsigned long long)s_live.ops,
           (unsigned long long)sc->t.swept_steps,
           (unsigned long long)sc->t.compaction_steps,
           (unsigned long long)sc->t.cuts, (unsigned long long)sc->t.bricked,
           (unsigned long long)sc->t.wrong,
           (unsigned long long)sc->t.unfinished,
           (unsigned long long)sc->t.journal_overwrites,
           (unsigned long long)sc->t.other_overwrites,
           (unsigned long long)s_live.overwrites,
           (double)(clock() - t0) / CLOCKS_PER_SEC);
    fflush(stdout);
    s_total.cuts += sc->t.cuts;
    s_total.bricked += sc->t.bricked;
    s_total.wrong += sc->t.wrong;
    s_total.unfinished += sc->t.unfinished;
    s_total.journal_overwrites += sc->t.journal_overwrites;
    s_total.other_overwrites += sc->t.other_overwrites;
    /* The uncut run must not program over used words either. */
    if (s_live.overwrites) {
        if (journal_addr(s_live.last_overwrite_addr))
            s_total.journal_overwrites += s_live.overwrites;
        else
            s_total.other_overwrites += s_live.overwrites;
    }
    s_total.compaction_steps += sc->t.compaction_steps;
}

static const step_t k_first_boot = {STEP_BOOT, "first boot", ALLOW_OLD};

/* (f) factory: v1 in slot A, blank journal; the first boot records it as
 * the confirmed image. Every word of that first record is cut. */
static int scenario_factory(void)
{
    static scenario_t sc;
    clock_t t0 = clock();
    const image_t *im;
    step_result_t r;
    int rc;

    memset(&sc, 0, sizeof(sc));
    sc.name = "f (factory first boot)";
    sc.confirms = true;
    sc.body_size = BODY_AB;
    sc.old_slot = 0;
    sc.old_ver = 1;
    sc.new_slot = -1; /* no update in this scenario */
    im = image_get(0, 1, sc.body_size, 0);
    sim_flash_init(&s_live, SIM_FLASH_TYPICAL);
    boot_port_host_bind(&s_live);
    for (uint32_t off = 0; off < im->len; off += 4)
        (void)sim_flash_program_word(&s_live, FOTA_SLOT_A_ADDR + off,
                                     fota_get_le32(im->bytes + off));
    rc = step(&sc, &k_first_boot, true, &r);
    if (rc != 0 || r.d.action != BOOT_ACTION_JUMP || r.d.slot != 0 ||
        r.d.trial || r.area == BOOT_AREA_NONE)
        rc = fail_setup(&sc, "first boot", rc ? rc : FOTA_ERR_CORRUPT);
    finish_scenario(&sc, t0);
    return rc;
}

/* (a) v1 confirmed in slot A; v2 written to B, committed, trial-booted,
 * confirmed, booted normally. Every operation cut (image write sampled). */
static int scenario_a(void)
{
    static scenario_t sc;
    clock_t t0 = clock();
    int rc;

    memset(&sc, 0, sizeof(sc));
    sc.name = "a (update, trial, confirm)";
    sc.confirms = true;
    sc.body_size = BODY_AB;
    rc = factory(&sc, 1);
    if (rc == 0)
        rc = cycle_confirm(&sc, 2, true);
    finish_scenario(&sc, t0);
    return rc;
}

/* (b) the same update, but v2 never confirms: trial boots until the
 * bootloader rolls back to v1 and marks v2 rejected. */
static int scenario_b(void)
{
    static scenario_t sc;
    clock_t t0 = clock();
    step_result_t r;
    unsigned trials = 0;
    int rc;

    memset(&sc, 0, sizeof(sc));
    sc.name = "b (update, trials, rollback)";
    sc.confirms = false;
    sc.body_size = BODY_AB;
    rc = factory(&sc, 1);
    if (rc != 0)
        goto out;
    sc.new_slot = 1;
    sc.new_ver = 2;
    sc.new_flags = FOTA_IMAGE_F_NO_CONFIRM;
    rc = step(&sc, &k_update, true, &r);
    if (rc != 0) {
        rc = fail_setup(&sc, "update", rc);
        goto out;
    }
    for (;;) {
        sc.trials_before = trials;
        rc = step(&sc, &k_rollback, true, &r);
        if (rc != 0 || r.d.action != BOOT_ACTION_JUMP) {
            rc = fail_setup(&sc, "trial boot", rc ? rc : FOTA_ERR_CORRUPT);
            goto out;
        }
        if (r.d.slot == sc.old_slot && !r.d.trial)
            break;
        if (r.d.slot != sc.new_slot || !r.d.trial ||
            ++trials > FOTA_TRIAL_ATTEMPTS) {
            rc = fail_setup(&sc, "trial boot", FOTA_ERR_CORRUPT);
            goto out;
        }
    }
    if (trials != FOTA_TRIAL_ATTEMPTS ||
        r.state.slot[1].state != FOTA_SLOT_REJECTED) {
        rc = fail_setup(&sc, "rollback", FOTA_ERR_CORRUPT);
        goto out;
    }
    sc.trials_before = trials;
    rc = step(&sc, &k_boot_old, true, &r);
    if (rc != 0 || r.d.slot != sc.old_slot || r.d.trial)
        rc = fail_setup(&sc, "boot after rollback", rc ? rc : FOTA_ERR_CORRUPT);
out:
    finish_scenario(&sc, t0);
    return rc;
}

/* (c) update cycles (3 journal records each) until sector 11 has been
 * compacted into sector 2 and back at least twice. Every step near a
 * compaction is swept; with --full also every 8th cycle. */
static int scenario_c(void)
{
    static scenario_t sc;
    clock_t t0 = clock();
    uint32_t compactions = 0;
    int rc;

    memset(&sc, 0, sizeof(sc));
    sc.name = "c (journal compaction)";
    sc.confirms = true;
    sc.body_size = BODY_C;
    rc = factory(&sc, 1);
    if (rc != 0)
        goto out;
    sc.area = s_ctx.area;
    sc.main_next_off = s_ctx.main_next_off;
    for (uint32_t ver = 2; compactions < 2 || sc.main_next_off < 16 * 64;
         ver++) {
        /* Free records left in sector 11 before this cycle (each cycle
         * appends three). */
        uint32_t free_recs =
            (FOTA_JOURNAL_MAIN_SIZE - sc.main_next_off) / FOTA_JOURNAL_REC_SIZE;
        bool near = sc.area != BOOT_AREA_MAIN || free_recs < 6;
        bool sweep = near || (s_full && ver % 8 == 0);
        uint64_t er_before = s_live.wear[FOTA_JOURNAL_SPARE_SECTOR];

        rc = cycle_confirm(&sc, ver, sweep);
        if (rc != 0)
            goto out;
        if (s_live.wear[FOTA_JOURNAL_SPARE_SECTOR] != er_before)
            compactions++;
        if (ver > 20000) {
            rc = fail_setup(&sc, "no compaction", FOTA_ERR_NOSPC);
            goto out;
        }
        if (s_verbose && ver % 100 == 0)
            printf("powercut:   %s: cycle %u, journal at %u, cuts %llu\n",
                   sc.name, ver, sc.main_next_off,
                   (unsigned long long)sc.t.cuts);
    }
    printf("powercut: scenario %s: %u compactions in the uncut run, "
           "sector 11 wear %u, sector 2 wear %u\n",
           sc.name, compactions, s_live.wear[FOTA_JOURNAL_MAIN_SECTOR],
           s_live.wear[FOTA_JOURNAL_SPARE_SECTOR]);
    if (sc.t.compaction_steps < 2)
        rc = fail_setup(&sc, "fewer than two compactions were swept",
                        FOTA_ERR_NOENT);
out:
    finish_scenario(&sc, t0);
    return rc;
}

int main(int argc, char **argv)
{
    int setup_failed = 0;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--full") == 0) {
            s_full = true;
        } else if (strcmp(argv[i], "--verbose") == 0) {
            s_verbose = true;
        } else {
            fprintf(stderr, "usage: %s [--full] [--verbose]\n", argv[0]);
            return 2;
        }
    }
    printf("powercut: %s sweep, %d torn variants per cut point, image words "
           "sampled every %d\n",
           s_full ? "full" : "bounded", TORN_VARIANTS, IMAGE_SAMPLE);
    fflush(stdout);
    setup_failed |= scenario_factory() != 0;
    setup_failed |= scenario_a() != 0;
    setup_failed |= scenario_b() != 0;
    setup_failed |= scenario_c() != 0;

    if (setup_failed)
        printf("powercut: an uncut scenario run failed (see above)\n");
    printf("powercut: journal_overwrites=%llu other_overwrites=%llu\n",
           (unsigned long long)s_total.journal_overwrites,
           (unsigned long long)s_total.other_overwrites);
    printf(
        "powercut: cuts=%llu bricked=%llu wrong_image=%llu unfinished=%llu\n",
        (unsigned long long)s_total.cuts, (unsigned long long)s_total.bricked,
        (unsigned long long)s_total.wrong,
        (unsigned long long)s_total.unfinished);
    return (s_total.bricked || s_total.wrong || s_total.unfinished ||
            s_total.journal_overwrites || s_total.other_overwrites ||
            setup_failed)
               ? 1
               : 0;
}
