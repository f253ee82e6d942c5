/*
 * journal_rec.c - codec for the 64-byte metadata journal record (layout in
 * fota_journal.h and docs/formats.md).
 *
 * Power-cut argument for decode: a record is programmed word by word, commit
 * word last. An interrupted program can only leave bits that should have been
 * cleared still set (or partly set), never set a bit that was cleared. Any
 * such damage inside bytes [0, 56) changes the CRC input, damage to the CRC
 * word changes the stored CRC (CRC-32 detects every single-bit and every
 * burst error up to 32 bits), and a missing or torn commit word fails the
 * exact comparison. So a record is either wholly there or rejected.
 */
#include "fota/fota_journal.h"
#include "fota/fota_crc32.h"
#include "fota/fota_err.h"
#include "fota/fota_le.h"
#include "fota/fota_nomalloc.h"

#define OFF_MAGIC 0
#define OFF_SEQ 4
#define OFF_FORMAT 8
#define OFF_ACTIVE 9
#define OFF_ATTEMPTS 10
#define OFF_FLAGS 11
#define OFF_SEC_FLOOR 12
#define OFF_SLOT(i) (16 + 16 * (i))
#define OFF_BOOT_COUNT 48
#define OFF_RESERVED 52

/* Within a 16-byte slot entry. */
#define SLOT_OFF_STATE 0
#define SLOT_OFF_RESERVED 1
#define SLOT_OFF_MAJOR 4
#define SLOT_OFF_MINOR 5
#define SLOT_OFF_PATCH 6
#define SLOT_OFF_BUILD 8
#define SLOT_OFF_CRC 12
#define SLOT_ENTRY_LEN 16

_Static_assert(OFF_SLOT(2) == OFF_BOOT_COUNT, "two slot entries end at 48");
_Static_assert(OFF_RESERVED + 4 == FOTA_JOURNAL_OFF_CRC, "crc at 56");
_Static_assert(FOTA_JOURNAL_OFF_CRC + 4 == FOTA_JOURNAL_OFF_COMMIT,
               "commit at 60");
_Static_assert(FOTA_JOURNAL_OFF_COMMIT + 4 == FOTA_JOURNAL_REC_SIZE,
               "record is 64 bytes");
_Static_assert(FOTA_JOURNAL_REC_SIZE % FOTA_FLASH_WRITE_ALIGN == 0,
               "records are whole flash words");

static void slot_encode(uint8_t *p, const fota_slot_info_t *s)
{
    p[SLOT_OFF_STATE] = s->state;
    /* Reserved bytes stay at the erased value: they cost no programming and
     * can be given a meaning later without an erase. */
    memset(p + SLOT_OFF_RESERVED, 0xFF, 3);
    p[SLOT_OFF_MAJOR] = s->version.major;
    p[SLOT_OFF_MINOR] = s->version.minor;
    fota_put_le16(p + SLOT_OFF_PATCH, s->version.patch);
    fota_put_le32(p + SLOT_OFF_BUILD, s->version.build);
    fota_put_le32(p + SLOT_OFF_CRC, s->image_crc);
}

static void slot_decode(fota_slot_info_t *s, const uint8_t *p)
{
    s->state = p[SLOT_OFF_STATE];
    s->version.major = p[SLOT_OFF_MAJOR];
    s->version.minor = p[SLOT_OFF_MINOR];
    s->version.patch = fota_get_le16(p + SLOT_OFF_PATCH);
    s->version.build = fota_get_le32(p + SLOT_OFF_BUILD);
    s->image_crc = fota_get_le32(p + SLOT_OFF_CRC);
}

void fota_journal_rec_encode(const fota_journal_rec_t *rec,
                             uint8_t buf[FOTA_JOURNAL_REC_SIZE])
{
    fota_put_le32(buf + OFF_MAGIC, FOTA_JOURNAL_MAGIC);
    fota_put_le32(buf + OFF_SEQ, rec->seq);
    buf[OFF_FORMAT] = FOTA_JOURNAL_FORMAT;
    buf[OFF_ACTIVE] = rec->active;
    buf[OFF_ATTEMPTS] = rec->attempts_left;
    buf[OFF_FLAGS] = rec->flags;
    fota_put_le32(buf + OFF_SEC_FLOOR, rec->sec_floor);
    for (int i = 0; i < 2; i++)
        slot_encode(buf + OFF_SLOT(i), &rec->slot[i]);
    fota_put_le32(buf + OFF_BOOT_COUNT, rec->boot_count);
    fota_put_le32(buf + OFF_RESERVED, 0xFFFFFFFFu);
    fota_put_le32(buf + FOTA_JOURNAL_OFF_CRC,
                  fota_crc32_st(buf, FOTA_JOURNAL_OFF_CRC));
    fota_put_le32(buf + FOTA_JOURNAL_OFF_COMMIT, FOTA_JOURNAL_COMMIT);
}

int fota_journal_rec_decode(fota_journal_rec_t *rec,
                            const uint8_t buf[FOTA_JOURNAL_REC_SIZE])
{
    int erased = 1;

    for (size_t i = 0; i < FOTA_JOURNAL_REC_SIZE; i++) {
        if (buf[i] != FOTA_FLASH_ERASED) {
            erased = 0;
            break;
        }
    }
    if (erased)
        return FOTA_ERR_NOENT;

    if (fota_get_le32(buf + FOTA_JOURNAL_OFF_COMMIT) != FOTA_JOURNAL_COMMIT ||
        fota_get_le32(buf + OFF_MAGIC) != FOTA_JOURNAL_MAGIC ||
        fota_get_le32(buf + FOTA_JOURNAL_OFF_CRC) !=
            fota_crc32_st(buf, FOTA_JOURNAL_OFF_CRC))
        return FOTA_ERR_CORRUPT;
    /* An intact CRC over out-of-range fields means a writer bug or a future
     * format; either way it must not steer the boot. */
    if (buf[OFF_FORMAT] != FOTA_JOURNAL_FORMAT || buf[OFF_ACTIVE] > 1 ||
        buf[OFF_SLOT(0) + SLOT_OFF_STATE] > FOTA_SLOT_REJECTED ||
        buf[OFF_SLOT(1) + SLOT_OFF_STATE] > FOTA_SLOT_REJECTED)
        return FOTA_ERR_CORRUPT;

    memset(rec, 0, sizeof *rec);
    rec->seq = fota_get_le32(buf + OFF_SEQ);
    rec->active = buf[OFF_ACTIVE];
    rec->attempts_left = buf[OFF_ATTEMPTS];
    rec->flags = buf[OFF_FLAGS];
    rec->sec_floor = fota_get_le32(buf + OFF_SEC_FLOOR);
    for (int i = 0; i < 2; i++)
        slot_decode(&rec->slot[i], buf + OFF_SLOT(i));
    rec->boot_count = fota_get_le32(buf + OFF_BOOT_COUNT);
    return 0;
}
