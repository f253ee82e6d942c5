/*
 * boot_journal.c - the metadata journal (docs/journal.md).
 *
 * The boot state is an append-only log of 64-byte records in sector 11 (the
 * main area, 2048 records), with sector 2 (the spare area) as the partner
 * that holds the state while sector 11 is erased. The newest intact record
 * (highest seq) in either area is the state.
 *
 * Invariants the code keeps (the power-cut argument in docs/journal.md
 * rests on them):
 *  - a record is programmed only into a slot that reads fully erased and
 *    lies after every non-erased slot of its area, so no bit is ever
 *    programmed twice and a torn record can never be "completed" later;
 *  - bytes [0, 60) are programmed before the commit word, so a record
 *    counts only once everything else is in place;
 *  - sector 11 is written only while it holds the newest record, or right
 *    after an erase that completed; whenever the newest record is elsewhere
 *    (a compaction was interrupted), sector 11 is erased again first, since
 *    a torn erase may have left stale bytes or weakly erased cells;
 *  - sector 2 is erased only while the newest record is in sector 11, and
 *    sector 11 is erased only while the newest record is in sector 2 (or no
 *    record exists at all), so no erase can destroy the only copy of the
 *    newest state.
 */
#include "boot_core.h"
#include "boot_port.h"
#include "fota/fota_assert.h"
#include "fota/fota_nomalloc.h"

#define REC_SIZE FOTA_JOURNAL_REC_SIZE
#define MAIN_RECS (FOTA_JOURNAL_MAIN_SIZE / REC_SIZE)
#define SPARE_RECS (FOTA_JOURNAL_SPARE_SIZE / REC_SIZE)

_Static_assert(MAIN_RECS == 2048, "sector 11 holds 2048 records");
_Static_assert(SPARE_RECS == 256, "sector 2 holds 256 records");
_Static_assert(FOTA_JOURNAL_SPARE_SECTOR == 2 && FOTA_JOURNAL_MAIN_SECTOR == 11,
               "journal sectors as in the layout");

/* seq values at and above this are refused rather than wrapped: a wrapped
 * seq would make the newest record look like the oldest. Unreachable in
 * practice (2^32 state changes), but cheap to state. */
#define SEQ_LIMIT 0xFFFFFFF0u

/*
 * Whether n words at w are all erased. Eight words are ANDed per step, so
 * there is no branch per word: the words are erased exactly when the AND
 * of all of them is all ones.
 */
static bool all_erased(const uint32_t *w, size_t n)
{
    uint32_t acc = 0xFFFFFFFFu;

    for (const uint32_t *end = w + n; w < end; w += 8)
        acc &= (w[0] & w[1]) & (w[2] & w[3]) & (w[4] & w[5]) & (w[6] & w[7]);
    return acc == 0xFFFFFFFFu;
}

_Static_assert(REC_SIZE % 32 == 0, "all_erased works in 8-word steps");

/* The scan's chunk: 1 KiB, a whole number of records and of 32-byte
 * blank-check steps, dividing both areas; small enough that the port's idle
 * hook (the boot log) runs every few microseconds. */
#define SCAN_WORDS 256u
_Static_assert((SCAN_WORDS * 4u) % REC_SIZE == 0 &&
                   (SCAN_WORDS * 4u) % 32u == 0 &&
                   FOTA_JOURNAL_SPARE_SIZE % (SCAN_WORDS * 4u) == 0 &&
                   FOTA_JOURNAL_MAIN_SIZE % (SCAN_WORDS * 4u) == 0,
               "the scan reads whole records in 1 KiB chunks");
#define REC_WORDS (REC_SIZE / 4u)

/*
 * Scan one area. Updates best, found and best_area with any record newer
 * than what was found so far, and returns in *next_off the offset just after
 * the last slot holding any non-erased byte (0 if the area is blank).
 *
 * Every slot is still looked at (a torn erase can leave non-erased bytes
 * anywhere, after erased slots too), but a whole erased chunk - the common
 * case: the journal is mostly empty - is recognised with one pass of word
 * ANDs and skipped; only chunks holding data are decoded slot by slot. The
 * chunks are read in place (boot_flash_map), not copied: the pass is one
 * load per word, at the speed the flash delivers it.
 */
static int scan_area(uint32_t base, uint32_t size, uint8_t area,
                     fota_journal_rec_t *best, bool *found, uint8_t *best_area,
                     uint32_t *next_off)
{
    const uint32_t chunk = SCAN_WORDS * 4u;
    fota_journal_rec_t rec;

    *next_off = 0;
    for (uint32_t off = 0; off < size; off += chunk) {
        const uint32_t *buf;

        if (boot_flash_blank(base + off, chunk))
            continue;
        buf = boot_flash_map(base + off, chunk);
        if (buf == NULL)
            return FOTA_ERR_RANGE;
        for (uint32_t r = 0; r < SCAN_WORDS; r += REC_WORDS) {
            if (all_erased(buf + r, REC_WORDS))
                continue;
            /* Anything non-erased counts as used, torn or not: we never
             * program over it. */
            *next_off = off + r * 4u + REC_SIZE;
            if (fota_journal_rec_decode(&rec, (const uint8_t *)(buf + r)) != 0)
                continue;
            if (!*found || rec.seq > best->seq) {
                *best = rec;
                *found = true;
                *best_area = area;
            }
        }
    }
    return 0;
}

int boot_init(boot_ctx_t *ctx)
{
    fota_journal_rec_t best;
    bool found = false;
    uint8_t area = BOOT_AREA_NONE;
    uint32_t main_next = 0;
    uint32_t spare_next = 0;
    int rc;

    if (ctx == NULL)
        return FOTA_ERR_INVAL;
    memset(&best, 0, sizeof(best));

    rc = scan_area(FOTA_JOURNAL_MAIN_ADDR, FOTA_JOURNAL_MAIN_SIZE,
                   BOOT_AREA_MAIN, &best, &found, &area, &main_next);
    if (rc < 0)
        goto out;
    rc = scan_area(FOTA_JOURNAL_SPARE_ADDR, FOTA_JOURNAL_SPARE_SIZE,
                   BOOT_AREA_SPARE, &best, &found, &area, &spare_next);
    if (rc < 0)
        goto out;

    memset(&ctx->state, 0, sizeof(ctx->state));
    if (found)
        ctx->state = best;
    ctx->area = found ? area : BOOT_AREA_NONE;
    ctx->main_next_off = main_next;
    ctx->records_written = 0;
    ctx->compactions = 0;
    ctx->power_loss_reset = false;
    boot_factory_scan(ctx);
out:
    return rc;
}

/*
 * Program one encoded record at addr: bytes [0, 60) word by word, then the
 * commit word, then read it back. A record that does not read back intact
 * is reported as FOTA_ERR_IO (its slot is consumed either way).
 */
static int write_record(boot_ctx_t *ctx, uint32_t addr,
                        const uint8_t buf[REC_SIZE])
{
    fota_journal_rec_t check;
    int rc;

    rc = boot_flash_write(addr, buf, FOTA_JOURNAL_OFF_COMMIT);
    if (rc < 0)
        goto out;
    rc = boot_flash_write(addr + FOTA_JOURNAL_OFF_COMMIT,
                          buf + FOTA_JOURNAL_OFF_COMMIT,
                          REC_SIZE - FOTA_JOURNAL_OFF_COMMIT);
    if (rc < 0)
        goto out;
    rc = boot_flash_read(addr, ctx->scratch, REC_SIZE);
    if (rc < 0)
        goto out;
    if (memcmp(ctx->scratch, buf, REC_SIZE) != 0 ||
        fota_journal_rec_decode(&check, ctx->scratch) != 0)
        rc = FOTA_ERR_IO;
out:
    return rc;
}

/* Erase sector 11 and note that it is blank. */
static int erase_main(boot_ctx_t *ctx)
{
    int rc = boot_flash_erase_sector(FOTA_JOURNAL_MAIN_SECTOR);
    if (rc < 0)
        return rc;
    ctx->main_next_off = 0;
    return 0;
}

/*
 * Compaction, steps 1-3 (step 4 is the caller's append into the blank
 * sector 11). Only called while the newest record is in sector 11.
 */
static int compact(boot_ctx_t *ctx)
{
    uint8_t buf[REC_SIZE];
    fota_journal_rec_t rec = ctx->state;
    int rc;

    /* (1) Sector 2 only ever holds states older than sector 11's newest
     * record here, so erasing it (even tornly) loses nothing. */
    rc = boot_flash_erase_sector(FOTA_JOURNAL_SPARE_SECTOR);
    if (rc < 0)
        goto out;

    /* (2) The current state, one seq newer, so that it wins over every
     * record of sector 11 from now on. */
    rec.seq = ctx->state.seq + 1;
    fota_journal_rec_encode(&rec, buf);
    rc = write_record(ctx, FOTA_JOURNAL_SPARE_ADDR, buf);
    if (rc < 0)
        goto out;
    ctx->state = rec;
    ctx->area = BOOT_AREA_SPARE;

    /* (3) The newest state is safe in sector 2: sector 11 may go. */
    rc = erase_main(ctx);
    if (rc < 0)
        goto out;
    ctx->compactions++;
out:
    return rc;
}

int boot_journal_append(boot_ctx_t *ctx, const fota_journal_rec_t *rec)
{
    uint8_t buf[REC_SIZE];
    fota_journal_rec_t next;
    int rc = 0;

    if (ctx == NULL || rec == NULL)
        return FOTA_ERR_INVAL;
    if (ctx->area != BOOT_AREA_NONE && ctx->state.seq >= SEQ_LIMIT)
        return FOTA_ERR_NOSPC;

    switch (ctx->area) {
    case BOOT_AREA_MAIN:
        if (ctx->main_next_off + REC_SIZE > FOTA_JOURNAL_MAIN_SIZE)
            rc = compact(ctx);
        break;
    case BOOT_AREA_SPARE:
        /* A compaction was interrupted after step 2: the newest record is
         * in sector 2 and sector 11 holds only older records, possibly
         * after a torn erase. Redo step 3 before using sector 11. */
        rc = erase_main(ctx);
        break;
    case BOOT_AREA_NONE:
        /* No state to protect. Leftovers in sector 11 (torn records, a
         * torn erase, foreign data) are wiped so the journal starts on a
         * cleanly erased sector. A blank sector is used as it is. */
        if (ctx->main_next_off != 0)
            rc = erase_main(ctx);
        break;
    default:
        FOTA_UNREACHABLE(); /* boot_init sets area to one of the three */
    }
    if (rc < 0)
        goto out;

    next = *rec;
    next.seq = ctx->area == BOOT_AREA_NONE ? 1 : ctx->state.seq + 1;
    fota_journal_rec_encode(&next, buf);
    {
        uint32_t off = ctx->main_next_off;
        /* The slot is consumed whatever happens next. */
        ctx->main_next_off = off + REC_SIZE;
        rc = write_record(ctx, FOTA_JOURNAL_MAIN_ADDR + off, buf);
    }
    if (rc < 0)
        goto out;
    ctx->state = next;
    ctx->area = BOOT_AREA_MAIN;
    ctx->records_written++;
out:
    return rc;
}
