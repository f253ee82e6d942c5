/*
 * fota_journal.h - the metadata journal record (docs/journal.md).
 *
 * The boot state is an append-only journal of 64-byte records in sector 11,
 * with sector 2 as the compaction partner. A record is programmed word by
 * word, the commit word last; it counts only if its magic, its CRC and its
 * commit word are all intact. The newest such record (highest seq) in either
 * area is the state. docs/journal.md gives the power-cut argument.
 *
 *   off size field
 *     0   4  magic          FOTA_JOURNAL_MAGIC
 *     4   4  seq            strictly increasing across both areas
 *     8   1  format         FOTA_JOURNAL_FORMAT
 *     9   1  active         slot booted normally (last confirmed), 0/1
 *    10   1  attempts_left  trial boots left for a pending slot
 *    11   1  flags          FOTA_JOURNAL_F_*
 *    12   4  sec_floor      lowest security counter still accepted
 *    16  16  slot A         state u8, 3 reserved, version (maj u8, min u8,
 *                           patch u16), build u32, image CRC (ST) u32
 *    32  16  slot B         same
 *    48   4  boot_count     boots recorded since the journal began
 *    52   4  reserved       0xFFFFFFFF
 *    56   4  crc            fota_crc32_st over bytes [0, 56)
 *    60   4  commit         FOTA_JOURNAL_COMMIT, programmed last
 */
#ifndef FOTA_JOURNAL_H
#define FOTA_JOURNAL_H

#include <stdint.h>

#include "fota_image.h"

#define FOTA_JOURNAL_MAGIC 0x4A544F46u /* bytes 'F','O','T','J' */
#define FOTA_JOURNAL_FORMAT 1
#define FOTA_JOURNAL_COMMIT 0x600DF00Du
#define FOTA_JOURNAL_REC_SIZE 64
#define FOTA_JOURNAL_OFF_CRC 56
#define FOTA_JOURNAL_OFF_COMMIT 60

/* Per-slot state. */
/* flags bits 0-2: trial attempts given back this trial because the attempt
 * was ended by a power loss (docs/boot-flow.md); cleared by commit, confirm
 * and revert. */
#define FOTA_JOURNAL_F_PWR_REFUNDS 0x07u

enum fota_slot_state {
    FOTA_SLOT_EMPTY = 0,     /* nothing known to be there */
    FOTA_SLOT_CONFIRMED = 1, /* ran and confirmed itself */
    FOTA_SLOT_PENDING = 2,   /* committed, on trial */
    FOTA_SLOT_REJECTED = 3,  /* failed its trial; never boot it again */
};

typedef struct fota_slot_info {
    uint8_t state; /* enum fota_slot_state */
    fota_version_t version;
    uint32_t
        image_crc; /* fota_crc32_st over header + body, set once verified */
} fota_slot_info_t;

typedef struct fota_journal_rec {
    uint32_t seq;
    uint8_t active;
    uint8_t attempts_left;
    uint8_t flags;
    uint32_t sec_floor;
    fota_slot_info_t slot[2];
    uint32_t boot_count;
} fota_journal_rec_t;

/* Serialise rec into 64 bytes with magic, CRC and commit word. */
void fota_journal_rec_encode(const fota_journal_rec_t *rec,
                             uint8_t buf[FOTA_JOURNAL_REC_SIZE]);

/* Parse 64 bytes. Returns 0 if magic, format, CRC and commit word are
 * intact and the fields are in range; FOTA_ERR_NOENT if the bytes are all
 * erased (0xFF); FOTA_ERR_CORRUPT otherwise (torn or garbage). */
int fota_journal_rec_decode(fota_journal_rec_t *rec,
                            const uint8_t buf[FOTA_JOURNAL_REC_SIZE]);

#endif /* FOTA_JOURNAL_H */
