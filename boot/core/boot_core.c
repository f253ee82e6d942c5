/*
 * boot_core.c - image verification, the boot decision, commit, confirm and
 * the bus write policy (docs/boot-flow.md). The journal
 * itself is in boot_journal.c.
 */
#include "boot_core.h"
#include "boot_fih.h"
#include "boot_port.h"
#include "fota/fota_crc32.h"
#include "fota/fota_ed25519.h"
#include "fota/fota_image_check.h"
#include "fota/fota_le.h"
#include "fota/fota_nomalloc.h"
#include "fota/fota_sha256.h"

/* The two words at the start of the vector table. */
typedef struct boot_vectors {
    uint32_t msp;
    uint32_t entry;
} boot_vectors_t;

static bool slot_ok(int slot)
{
    return slot >= 0 && slot < FOTA_SLOT_COUNT;
}

/*
 * What verify_slot measured in this boot, kept so that confirm_jump can
 * check the verdict again without a second pass over the image (the
 * measurement is the expensive part: 0.8 ms of CRC, ~145 ms of SHA-256 for
 * a 384 KiB image). kind is one of the BOOT_MEASURED_* words, far apart in
 * Hamming distance, and stays 0 until the pass over the image has really
 * run; docs/security.md argues why this is as strong as a second pass.
 */
#define BOOT_MEASURED_CRC 0x3CA5965Au
#define BOOT_MEASURED_SHA 0xC35A69A5u
/* signature: the Ed25519 check of a hashed image passed (SIG_OK), or this
 * bootloader has no key (SIG_NO_KEY); 0 until then. */
#define BOOT_SIG_OK 0x5AC3A53Cu
#define BOOT_SIG_NO_KEY 0xA53C5AC3u

typedef struct boot_measure {
    uint32_t kind;
    uint32_t signature;
    uint32_t crc;                     /* image CRC as computed */
    uint8_t digest[FOTA_SHA256_SIZE]; /* SHA-256 as computed */
} boot_measure_t;

/* Bytes hashed between two calls of the port's idle hook (one
 * boot_flash_map each): 256 bytes, about 60 us of SHA-256 at 168 MHz. */
#define BOOT_HASH_SLICE 256u

/* m->digest, as measured, against the header's. */
static int check_digest(const fota_image_hdr_t *hdr, boot_measure_t *m)
{
    uint8_t diff = 0;

    m->kind = BOOT_MEASURED_SHA;
    for (size_t i = 0; i < FOTA_SHA256_SIZE; i++)
        diff |= (uint8_t)(m->digest[i] ^ hdr->sha256[i]);
    return diff == 0 ? 0 : FOTA_ERR_CORRUPT;
}

/* SHA-256 of header bytes [0, 64) and the body into m->digest, compared
 * with the header. */
static int check_hash(int slot, const fota_image_hdr_t *hdr,
                      const uint8_t *hdr_buf, boot_measure_t *m)
{
    fota_sha256_t sha;
    uint32_t addr = (uint32_t)FOTA_SLOT_BODY_ADDR(slot);
    uint32_t left = hdr->body_size;

    fota_image_hash_start(&sha, hdr_buf);
    /* Hashed in place (no copy out of flash), in slices of the size the
     * copy had: between two slices the port's idle hook runs (the protocol
     * engine's bus service during a commit) and the watchdog is fed. */
    while (left > 0) {
        uint32_t n = left < BOOT_HASH_SLICE ? left : BOOT_HASH_SLICE;
        const uint8_t *p = boot_flash_map(addr, n);

        if (p == NULL)
            return FOTA_ERR_RANGE;
        fota_sha256_update(&sha, p, n);
        addr += n;
        left -= n;
        /* Hashing 384 KiB takes tens of milliseconds on the chip. */
        boot_wdt_kick();
    }
    fota_sha256_final(&sha, m->digest);
    return check_digest(hdr, m);
}

/* The signature of an image whose hash was just checked against its
 * header: the header's Ed25519 signature over that hash must verify with
 * the key built into the bootloader (and name it, when it carries a key
 * id). Checked whenever the image is hashed: at factory boot, at commit, at
 * the first boot of a trial and on a fallback; a confirmed image is later
 * re-checked by its CRC only, since nothing the bus may write can change
 * it (the write policy keeps the bus out of the active slot). */
static int check_signature(const fota_image_hdr_t *hdr, boot_measure_t *m)
{
    const uint8_t *key = boot_signing_key();
    volatile fih_int sig;

    if (key == NULL) {
        m->signature = BOOT_SIG_NO_KEY;
        return 0;
    }
    sig = fih_rc(fota_ed25519_verify_image(hdr, key));
    if (FIH_FAILED(sig))
        return FOTA_ERR_AUTH;
    m->signature = BOOT_SIG_OK;
    return 0;
}

/* CRC recorded in the journal for slot, if the journal vouches for it. */
static bool recorded_crc(const boot_ctx_t *ctx, int slot, uint32_t *crc)
{
    const fota_slot_info_t *s;

    if (ctx->area == BOOT_AREA_NONE)
        return false;
    s = &ctx->state.slot[slot];
    if (s->state != FOTA_SLOT_CONFIRMED && s->state != FOTA_SLOT_PENDING)
        return false;
    *crc = s->image_crc;
    return true;
}

/* CRC over the header and body, as the journal records it. */
static uint32_t image_crc(int slot, const fota_image_hdr_t *hdr)
{
    return boot_flash_crc((uint32_t)FOTA_SLOT_ADDR(slot),
                          (size_t)FOTA_IMAGE_HDR_SIZE + hdr->body_size);
}

/* Everything about slot's image except the pass over its body: header
 * sanity, magic, then the one verdict of fota_image_check (link address,
 * size, product, confirm window, security floor, vector table), the same
 * code `fota image verify` runs. buf receives the raw header (the hash
 * starts with it). */
static int check_meta(boot_ctx_t *ctx, int slot, fota_image_hdr_t *hdr,
                      boot_vectors_t *vec, uint8_t buf[FOTA_IMAGE_HDR_SIZE])
{
    uint8_t raw[8];
    int rc;

    if (!slot_ok(slot))
        return FOTA_ERR_RANGE;
    rc = boot_flash_read((uint32_t)FOTA_SLOT_ADDR(slot), buf,
                         FOTA_IMAGE_HDR_SIZE);
    if (rc < 0)
        return rc;
    if (fota_get_le32(buf) != FOTA_IMAGE_MAGIC)
        return FOTA_ERR_NOENT;
    rc = fota_image_hdr_decode(hdr, buf);
    if (rc < 0)
        return rc;
    rc = boot_flash_read((uint32_t)FOTA_SLOT_BODY_ADDR(slot), raw, sizeof(raw));
    if (rc < 0)
        return rc;
    vec->msp = fota_get_le32(raw);
    vec->entry = fota_get_le32(raw + 4);
    return fota_image_reason_err(
        fota_image_check(hdr, slot, FOTA_PRODUCT_ID,
                         ctx->area != BOOT_AREA_NONE ? ctx->state.sec_floor : 0,
                         vec->msp, vec->entry));
}

/* boot_verify_image plus the vector table words and what was measured,
 * for the boot decision. */
static int verify_slot_landed(boot_ctx_t *ctx, int slot, bool full,
                              fota_image_hdr_t *hdr, boot_vectors_t *vec,
                              boot_measure_t *m, const uint8_t *digest)
{
    uint8_t buf[FOTA_IMAGE_HDR_SIZE];
    uint32_t crc;
    int rc;

    memset(m, 0, sizeof(*m));
    rc = check_meta(ctx, slot, hdr, vec, buf);
    if (rc < 0)
        return rc;
    if (!full && recorded_crc(ctx, slot, &crc)) {
        m->crc = image_crc(slot, hdr);
        m->kind = BOOT_MEASURED_CRC;
        return m->crc == crc ? 0 : FOTA_ERR_CORRUPT;
    }
    if (digest != NULL) {
        memcpy(m->digest, digest, FOTA_SHA256_SIZE);
        rc = check_digest(hdr, m);
    } else {
        rc = check_hash(slot, hdr, buf, m);
    }
    if (rc < 0)
        return rc;
    return check_signature(hdr, m);
}

static int verify_slot(boot_ctx_t *ctx, int slot, bool full,
                       fota_image_hdr_t *hdr, boot_vectors_t *vec,
                       boot_measure_t *m)
{
    return verify_slot_landed(ctx, slot, full, hdr, vec, m, NULL);
}

int boot_verify_image(boot_ctx_t *ctx, int slot, bool full,
                      fota_image_hdr_t *hdr)
{
    fota_image_hdr_t local;
    boot_vectors_t vec;
    boot_measure_t m;

    if (ctx == NULL)
        return FOTA_ERR_INVAL;
    return verify_slot(ctx, slot, full, hdr != NULL ? hdr : &local, &vec, &m);
}

void boot_factory_scan(boot_ctx_t *ctx)
{
    fota_image_hdr_t hdr[FOTA_SLOT_COUNT];
    uint8_t buf[FOTA_IMAGE_HDR_SIZE];
    boot_vectors_t vec;
    int best = -1;

    ctx->factory_slot = -1;
    if (ctx->area != BOOT_AREA_NONE)
        return;
    /* decide_factory's choice, from what can be known without hashing:
     * a slot whose header and vector table pass the image check, the
     * higher version when both do. A slot whose body then fails its hash
     * is protected too, which only errs on the safe side. */
    for (int s = 0; s < FOTA_SLOT_COUNT; s++) {
        if (check_meta(ctx, s, &hdr[s], &vec, buf) != 0)
            continue;
        if (best < 0 ||
            fota_version_cmp(&hdr[s].version, &hdr[best].version) > 0)
            best = s;
    }
    ctx->factory_slot = (int8_t)best;
}

int boot_inactive_slot(const boot_ctx_t *ctx)
{
    if (ctx->area == BOOT_AREA_NONE)
        return slot_ok(ctx->factory_slot) ? 1 - ctx->factory_slot : 0;
    if (!slot_ok(ctx->state.active) ||
        ctx->state.slot[ctx->state.active].state != FOTA_SLOT_CONFIRMED)
        return 0;
    return 1 - ctx->state.active;
}

/* Whether the journal has slot pending (committed, trial not ended). */
static bool slot_pending(const boot_ctx_t *ctx, int slot)
{
    return ctx->area != BOOT_AREA_NONE && slot_ok(slot) &&
           ctx->state.slot[slot].state == FOTA_SLOT_PENDING;
}

/* Whether [addr, addr + len) covers whole sectors. */
static bool whole_sectors(uint32_t addr, uint32_t len)
{
    int first = fota_sector_of(addr);
    uint32_t end = addr + len;

    if (first < 0 || addr != (uint32_t)FOTA_SECTOR_ADDR(first))
        return false;
    if (end == (uint32_t)FOTA_FLASH_END)
        return true;
    int last = fota_sector_of(end);
    return last >= 0 && end == (uint32_t)FOTA_SECTOR_ADDR(last);
}

int boot_policy_check(const boot_ctx_t *ctx, enum boot_op op, uint32_t addr,
                      uint32_t len)
{
    uint32_t lo;
    uint32_t hi;

    /* Empty and wrapping ranges are refused outright: every later test
     * compares addr + len, which must not overflow. */
    if (ctx == NULL || len == 0 || addr + len < addr)
        return FOTA_ERR_PERM;

    switch (op) {
    case BOOT_OP_READ:
        lo = FOTA_FLASH_BASE;
        hi = FOTA_FLASH_END;
        break;
    case BOOT_OP_WRITE:
    case BOOT_OP_ERASE: {
        /* Only the inactive slot: this excludes the bootloader (sectors 0
         * and 1), the journal (2 and 11), the application data (3 and 4),
         * the running slot, and everything outside main flash (system
         * memory, option bytes, SRAM, peripherals). */
        int slot = boot_inactive_slot(ctx);
        /* A committed image is never changed in place: Write Memory into
         * a pending slot is refused; an erase first withdraws the commit
         * (boot_erase_prepare), after which the slot is writable again. */
        if (op == BOOT_OP_WRITE && slot_pending(ctx, slot))
            return FOTA_ERR_PERM;
        lo = (uint32_t)FOTA_SLOT_ADDR(slot);
        hi = lo + FOTA_SLOT_SIZE;
        break;
    }
    default:
        return FOTA_ERR_PERM;
    }
    if (addr < lo || addr + len > hi)
        return FOTA_ERR_PERM;
    if (op == BOOT_OP_ERASE && !whole_sectors(addr, len))
        return FOTA_ERR_PERM;
    return 0;
}

int boot_erase_prepare(boot_ctx_t *ctx, uint16_t sector_mask)
{
    fota_journal_rec_t rec;

    if (ctx == NULL)
        return FOTA_ERR_INVAL;
    for (int s = 0; s < FOTA_SLOT_COUNT; s++) {
        uint16_t slot_mask = (uint16_t)(((1u << FOTA_SLOT_SECTORS) - 1u)
                                        << FOTA_SLOT_FIRST_SECTOR(s));

        if (!(sector_mask & slot_mask) || !slot_pending(ctx, s))
            continue;
        rec = ctx->state;
        rec.slot[s].state = FOTA_SLOT_EMPTY;
        rec.slot[s].image_crc = 0xFFFFFFFFu;
        memset(&rec.slot[s].version, 0, sizeof(rec.slot[s].version));
        rec.attempts_left = 0;
        int rc = boot_journal_append(ctx, &rec);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* The state to build a new record on: the current one, or a blank state
 * (nothing confirmed, floor 0) in the factory state. */
static void base_state(const boot_ctx_t *ctx, fota_journal_rec_t *rec)
{
    if (ctx->area != BOOT_AREA_NONE) {
        *rec = ctx->state;
        return;
    }
    memset(rec, 0, sizeof(*rec));
    for (int s = 0; s < FOTA_SLOT_COUNT; s++) {
        rec->slot[s].state = FOTA_SLOT_EMPTY;
        rec->slot[s].image_crc = 0xFFFFFFFFu;
    }
}

/* A commit on a never-booted device: the other slot's image, when it
 * verifies in full, is what the factory decision would have booted and
 * confirmed, so rec names it the confirmed active slot with its counter as
 * the floor (decide_factory's record), and a trial that fails falls back to
 * it. Without one the fallback is the other, empty slot and a failed trial
 * ends in update mode. Returns 0 or FOTA_ERR_ROLLBACK (the committed
 * image's counter is below the factory image's). */
static int factory_fallback(boot_ctx_t *ctx, int slot,
                            const fota_image_hdr_t *hdr,
                            fota_journal_rec_t *rec)
{
    int other = 1 - slot;
    fota_image_hdr_t fh;

    rec->active = (uint8_t)other;
    if (boot_verify_image(ctx, other, true, &fh) != 0)
        return 0;
    if (hdr->sec_counter < fh.sec_counter)
        return FOTA_ERR_ROLLBACK;
    rec->sec_floor = fh.sec_counter;
    rec->slot[other].state = FOTA_SLOT_CONFIRMED;
    rec->slot[other].version = fh.version;
    rec->slot[other].image_crc = image_crc(other, &fh);
    return 0;
}

int boot_commit(boot_ctx_t *ctx, int slot)
{
    return boot_commit_landed(ctx, slot, NULL);
}

int boot_commit_landed(boot_ctx_t *ctx, int slot,
                       const uint8_t digest[FOTA_SHA256_SIZE])
{
    fota_image_hdr_t hdr;
    fota_journal_rec_t rec;
    boot_vectors_t vec;
    boot_measure_t m;
    int rc;

    if (ctx == NULL)
        return FOTA_ERR_INVAL;
    if (!slot_ok(slot) || slot != boot_inactive_slot(ctx))
        return FOTA_ERR_PERM;
    rc = verify_slot_landed(ctx, slot, true, &hdr, &vec, &m, digest);
    if (rc < 0)
        goto out;
    if (ctx->area != BOOT_AREA_NONE &&
        ctx->state.slot[slot].state == FOTA_SLOT_REJECTED &&
        fota_version_cmp(&ctx->state.slot[slot].version, &hdr.version) == 0) {
        rc = FOTA_ERR_REJECTED;
        goto out;
    }

    base_state(ctx, &rec);
    if (ctx->area == BOOT_AREA_NONE) {
        rc = factory_fallback(ctx, slot, &hdr, &rec);
        if (rc < 0)
            goto out;
    }
    rec.slot[slot].state = FOTA_SLOT_PENDING;
    rec.slot[slot].version = hdr.version;
    rec.slot[slot].image_crc = image_crc(slot, &hdr);
    rec.attempts_left = FOTA_TRIAL_ATTEMPTS;
    rec.flags &= (uint8_t)~FOTA_JOURNAL_F_PWR_REFUNDS;
    rc = boot_journal_append(ctx, &rec);
out:
    return rc;
}

int boot_confirm(boot_ctx_t *ctx, int slot)
{
    fota_image_hdr_t hdr;
    fota_journal_rec_t rec;
    int rc;

    if (ctx == NULL)
        return FOTA_ERR_INVAL;
    if (!slot_ok(slot) || ctx->area == BOOT_AREA_NONE)
        return FOTA_ERR_PERM;

    if (ctx->state.slot[slot].state == FOTA_SLOT_PENDING) {
        /* The CRC check ties the header we take the counter from to the
         * image that was committed (a pending slot always has its CRC in
         * the journal). No hash or signature here: they were checked at
         * commit and at this trial's boot, and this runs on the calling
         * application's stack. */
        boot_vectors_t vec;
        uint8_t buf[FOTA_IMAGE_HDR_SIZE];
        uint32_t crc;

        rc = check_meta(ctx, slot, &hdr, &vec, buf);
        if (rc < 0)
            goto out;
        if (!recorded_crc(ctx, slot, &crc) || image_crc(slot, &hdr) != crc) {
            rc = FOTA_ERR_CORRUPT;
            goto out;
        }
        rec = ctx->state;
        rec.active = (uint8_t)slot;
        rec.slot[slot].state = FOTA_SLOT_CONFIRMED;
        rec.attempts_left = 0;
        rec.flags &= (uint8_t)~FOTA_JOURNAL_F_PWR_REFUNDS;
        if (hdr.sec_counter > rec.sec_floor)
            rec.sec_floor = hdr.sec_counter;
        rc = boot_journal_append(ctx, &rec);
        goto out;
    }
    if (slot == ctx->state.active &&
        ctx->state.slot[slot].state == FOTA_SLOT_CONFIRMED) {
        rc = 0;
        goto out;
    }
    rc = FOTA_ERR_PERM;
out:
    return rc;
}

/* ---- boot decision ---- */

static void decision_update_mode(boot_decision_t *out)
{
    memset(out, 0, sizeof(*out));
    out->action = BOOT_ACTION_UPDATE_MODE;
    out->slot = -1;
}

/*
 * The second comparison of confirm_jump: the measurement m that
 * verify_slot took in this boot against its reference read again now: the
 * digest in the header just re-read from flash (full), or the CRC the
 * journal records (!full). Written differently from the first comparison
 * (32-bit words, the kind word tested before and after), so one skipped or
 * corrupted instruction cannot pass both.
 */
static fih_int measure_holds(const boot_ctx_t *ctx, int slot, bool full,
                             const fota_image_hdr_t *hdr,
                             const boot_measure_t *m)
{
    /* A quick check without a recorded CRC fell back to the hash; a full
     * one never accepts a CRC. */
    uint32_t want = full || m->kind == BOOT_MEASURED_SHA ? BOOT_MEASURED_SHA
                                                         : BOOT_MEASURED_CRC;
    volatile uint32_t diff = 0;
    uint32_t crc;

    if (m->kind != want)
        return FIH_FAILURE;
    if (want == BOOT_MEASURED_SHA) {
        for (size_t i = 0; i < FOTA_SHA256_SIZE; i += 4)
            diff |=
                fota_get_le32(m->digest + i) ^ fota_get_le32(hdr->sha256 + i);
        /* A hashed image passed its signature check (or there is no key). */
        diff |= m->signature ^
                (boot_signing_key() != NULL ? BOOT_SIG_OK : BOOT_SIG_NO_KEY);
    } else {
        if (!recorded_crc(ctx, slot, &crc))
            return FIH_FAILURE;
        diff = m->crc ^ crc;
    }
    return fih_bool(diff == 0 && m->kind == want);
}

/*
 * Fail-closed gate before a JUMP. The image was measured (CRC or SHA-256)
 * once in this boot by verify_slot; nothing writes the slots between that
 * pass and this gate (only the journal sectors are written), so instead of
 * measuring the whole image again the gate re-checks every input of the
 * verdict redundantly: it re-reads and re-checks the header and vector
 * table from flash, compares them with what the first pass concluded, and
 * compares the kept measurement with the reference a second time
 * (measure_holds). A glitch that skipped a check once must skip a second,
 * differently written one too. docs/security.md has the argument. Every
 * verdict here is a tagged word tested twice through volatile (boot_fih.h),
 * so the optimiser keeps each re-check; tests/vboard/check_fih.py finds
 * them in the built bootloader. Fills out (out->gate = FIH_SUCCESS) only
 * when everything agrees.
 */
static int confirm_jump(boot_ctx_t *ctx, int slot, bool full, bool trial,
                        const fota_image_hdr_t *hdr1,
                        const boot_vectors_t *vec1, const boot_measure_t *m1,
                        int rc1, boot_decision_t *out)
{
    uint8_t buf[FOTA_IMAGE_HDR_SIZE];
    fota_image_hdr_t hdr2;
    boot_vectors_t vec2;
    /* v1: the first pass's verdict; v: each re-check in turn. */
    volatile fih_int v1 = fih_rc(rc1);
    volatile fih_int v;

    if (FIH_FAILED(v1) || !slot_ok(slot))
        return FOTA_ERR_CORRUPT;
    /* Defined even if a glitch let a failed re-read through. */
    memset(&hdr2, 0, sizeof hdr2);
    memset(&vec2, 0, sizeof vec2);
    v = fih_rc(check_meta(ctx, slot, &hdr2, &vec2, buf));
    if (FIH_FAILED(v) || FIH_FAILED(v1))
        return FOTA_ERR_CORRUPT;
    v = measure_holds(ctx, slot, full, &hdr2, m1);
    if (FIH_FAILED(v))
        return FOTA_ERR_CORRUPT;
    v = fih_bool(vec2.msp == vec1->msp && vec2.entry == vec1->entry &&
                 hdr2.body_size == hdr1->body_size &&
                 memcmp(hdr2.sha256, hdr1->sha256, FOTA_SHA256_SIZE) == 0);
    if (FIH_FAILED(v))
        return FOTA_ERR_CORRUPT;
    /* The slot choice: the journal must agree that this slot may run: it
     * is the active confirmed slot, or the pending one on trial. */
    v = fih_bool(trial ? ctx->state.slot[slot].state == FOTA_SLOT_PENDING
                       : (ctx->state.active == slot &&
                          ctx->state.slot[slot].state == FOTA_SLOT_CONFIRMED));
    if (FIH_FAILED(v) || FIH_FAILED(v1))
        return FOTA_ERR_CORRUPT;

    memset(out, 0, sizeof(*out));
    out->action = BOOT_ACTION_JUMP;
    out->slot = (int8_t)slot;
    out->trial = trial;
    out->vector_addr = (uint32_t)FOTA_SLOT_BODY_ADDR(slot);
    out->msp = vec2.msp;
    out->entry = vec2.entry;
    out->confirm_window_ms = fota_image_confirm_window_ms(&hdr2);
    out->gate = v1;
    return 0;
}

/* First boot: the valid image with the highest version becomes the
 * confirmed active slot. */
static int decide_factory(boot_ctx_t *ctx, boot_decision_t *out)
{
    fota_image_hdr_t hdr[FOTA_SLOT_COUNT];
    boot_vectors_t vec[FOTA_SLOT_COUNT];
    boot_measure_t m[FOTA_SLOT_COUNT];
    int rcs[FOTA_SLOT_COUNT];
    fota_journal_rec_t rec;
    int best = -1;
    int rc;

    for (int s = 0; s < FOTA_SLOT_COUNT; s++) {
        rcs[s] = verify_slot(ctx, s, true, &hdr[s], &vec[s], &m[s]);
        if (rcs[s] == 0 &&
            (best < 0 ||
             fota_version_cmp(&hdr[s].version, &hdr[best].version) > 0))
            best = s;
    }
    if (best < 0)
        return 0; /* update mode, nothing recorded */

    base_state(ctx, &rec);
    rec.active = (uint8_t)best;
    rec.attempts_left = 0;
    rec.sec_floor = hdr[best].sec_counter;
    rec.boot_count = 1;
    rec.slot[best].state = FOTA_SLOT_CONFIRMED;
    rec.slot[best].version = hdr[best].version;
    rec.slot[best].image_crc = image_crc(best, &hdr[best]);
    rc = boot_journal_append(ctx, &rec);
    if (rc < 0)
        return rc;
    return confirm_jump(ctx, best, true, false, &hdr[best], &vec[best],
                        &m[best], rcs[best], out);
}

/* Boot the active confirmed slot, or the other confirmed slot if the
 * active one no longer verifies. */
static int decide_normal(boot_ctx_t *ctx, boot_decision_t *out)
{
    fota_image_hdr_t hdr;
    boot_vectors_t vec;
    boot_measure_t m;
    fota_journal_rec_t rec;
    int active = ctx->state.active;
    int other;
    bool full = false;
    int rc = FOTA_ERR_NOENT;

    if (slot_ok(active) &&
        ctx->state.slot[active].state == FOTA_SLOT_CONFIRMED) {
        rc = verify_slot(ctx, active, false, &hdr, &vec, &m);
        if (rc != 0) {
            full = true;
            rc = verify_slot(ctx, active, true, &hdr, &vec, &m);
        }
        if (rc == 0)
            return confirm_jump(ctx, active, full, false, &hdr, &vec, &m, rc,
                                out);
    }

    other = slot_ok(active) ? 1 - active : 1;
    if (ctx->state.slot[other].state != FOTA_SLOT_CONFIRMED)
        return 0; /* update mode */
    rc = verify_slot(ctx, other, true, &hdr, &vec, &m);
    if (rc != 0)
        return 0;
    rec = ctx->state;
    rec.active = (uint8_t)other;
    rec.attempts_left = 0;
    rec.boot_count++;
    /* The image in the old active slot is known bad: drop it, so the
     * journal never sends us back there and the agent may rewrite it. */
    if (slot_ok(active) && rec.slot[active].state == FOTA_SLOT_CONFIRMED)
        rec.slot[active].state = FOTA_SLOT_EMPTY;
    rc = boot_journal_append(ctx, &rec);
    if (rc < 0)
        return rc;
    return confirm_jump(ctx, other, true, false, &hdr, &vec, &m, 0, out);
}

/* Mark the pending slot rejected (its version kept, so the agent can tell
 * which release failed) and end the trial. */
static int revert(boot_ctx_t *ctx, int pending)
{
    fota_journal_rec_t rec = ctx->state;

    rec.slot[pending].state = FOTA_SLOT_REJECTED;
    rec.attempts_left = 0;
    rec.flags &= (uint8_t)~FOTA_JOURNAL_F_PWR_REFUNDS;
    return boot_journal_append(ctx, &rec);
}

/* Whether this trial boot gives back the attempt the previous boot used:
 * that boot was a trial attempt (one is on record for this commit) and it
 * ended in a power loss, not in a watchdog or software reset, and fewer
 * than FOTA_TRIAL_POWER_LOSS_MAX attempts were given back this trial. */
static bool power_loss_refund(const boot_ctx_t *ctx)
{
    uint8_t used = ctx->state.flags & FOTA_JOURNAL_F_PWR_REFUNDS;

    return ctx->power_loss_reset &&
           ctx->state.attempts_left < FOTA_TRIAL_ATTEMPTS &&
           used < FOTA_TRIAL_POWER_LOSS_MAX;
}

static int decide_trial(boot_ctx_t *ctx, int pending, boot_decision_t *out)
{
    fota_image_hdr_t hdr;
    boot_vectors_t vec;
    boot_measure_t m;
    fota_journal_rec_t rec;
    bool refund = power_loss_refund(ctx);
    int rc;

    if (ctx->state.attempts_left == 0 && !refund)
        goto revert;
    rc = verify_slot(ctx, pending, true, &hdr, &vec, &m);
    if (rc != 0)
        goto revert;

    /* The attempt is on record before the image runs, so an image that
     * hangs or resets before confirming still uses up its attempts. One
     * that a power loss ended is given back instead (bounded). */
    rec = ctx->state;
    if (refund)
        rec.flags = (uint8_t)((rec.flags & ~FOTA_JOURNAL_F_PWR_REFUNDS) |
                              ((rec.flags & FOTA_JOURNAL_F_PWR_REFUNDS) + 1u));
    else
        rec.attempts_left--;
    rec.boot_count++;
    rc = boot_journal_append(ctx, &rec);
    if (rc < 0)
        /* Without a recorded attempt a crashing image could be retried
         * forever: boot the fallback instead. */
        return decide_normal(ctx, out);
    return confirm_jump(ctx, pending, true, true, &hdr, &vec, &m, rc, out);

revert:
    /* If even the revert cannot be recorded, booting the fallback is still
     * right; the next boot tries the revert again. */
    (void)revert(ctx, pending);
    return decide_normal(ctx, out);
}

int boot_expected_slot(const boot_ctx_t *ctx)
{
    int active;

    if (ctx == NULL || ctx->area == BOOT_AREA_NONE)
        return -1;
    /* The same pending test boot_decide makes first. */
    for (int s = 0; s < FOTA_SLOT_COUNT; s++)
        if (ctx->state.slot[s].state == FOTA_SLOT_PENDING &&
            s != ctx->state.active)
            return -1;
    active = ctx->state.active;
    if (!slot_ok(active) ||
        ctx->state.slot[active].state != FOTA_SLOT_CONFIRMED)
        return -1;
    return active;
}

int boot_decide(boot_ctx_t *ctx, boot_decision_t *out)
{
    int pending = -1;
    int rc;

    if (ctx == NULL || out == NULL)
        return FOTA_ERR_INVAL;
    decision_update_mode(out);

    if (ctx->area == BOOT_AREA_NONE) {
        rc = decide_factory(ctx, out);
        goto out;
    }
    for (int s = 0; s < FOTA_SLOT_COUNT; s++)
        if (ctx->state.slot[s].state == FOTA_SLOT_PENDING &&
            s != ctx->state.active)
            pending = s;
    if (pending >= 0)
        rc = decide_trial(ctx, pending, out);
    else
        rc = decide_normal(ctx, out);
out:
    /* Any failure on the way to a jump ends in update mode, never in a
     * jump to something half-checked. */
    if (rc != 0 || out->action != BOOT_ACTION_JUMP)
        decision_update_mode(out);
    if (rc == FOTA_ERR_CORRUPT)
        rc = 0; /* a failed second check is a verdict, not an error */
    return rc;
}

/* ---- confirm and rollback from the bus ---- */

/* The pending slot (committed, trial not ended), or -1. */
static int pending_slot(const boot_ctx_t *ctx)
{
    for (int s = 0; s < FOTA_SLOT_COUNT; s++)
        if (slot_pending(ctx, s))
            return s;
    return -1;
}

int boot_bus_confirm(boot_ctx_t *ctx)
{
    int slot;

    if (ctx == NULL)
        return FOTA_ERR_INVAL;
    slot = pending_slot(ctx);
    return slot < 0 ? FOTA_ERR_NOENT : boot_confirm(ctx, slot);
}

int boot_bus_rollback(boot_ctx_t *ctx)
{
    int slot;

    if (ctx == NULL)
        return FOTA_ERR_INVAL;
    slot = pending_slot(ctx);
    return slot < 0 ? FOTA_ERR_NOENT : revert(ctx, slot);
}
