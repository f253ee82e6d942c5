/*
 * fota_image.h - the 512-byte image header at the start of each slot.
 *
 * Byte layout (all little-endian; docs/formats.md has the table):
 *
 *   off size field
 *     0   4  magic            FOTA_IMAGE_MAGIC ("FOTA" in memory order)
 *     4   2  hdr_version      FOTA_IMAGE_HDR_VERSION
 *     6   2  hdr_size         512
 *     8   1  version major
 *     9   1  version minor
 *    10   2  version patch
 *    12   4  version build
 *    16   4  security counter (anti-rollback)
 *    20   4  body_size        bytes of body after the header
 *    24   4  load_addr        address the body is linked for (slot + 0x200)
 *    28   4  flags            FOTA_IMAGE_F_*
 *    32  16  product          NUL-padded product id, e.g. "stm32f407-disco"
 *    48   4  confirm_window_ms how long a trial of this image may run
 *                             before it must have confirmed (0: default)
 *    52  12  reserved         zero
 *    64  32  sha256           SHA-256 over header bytes [0, 64) then the body
 *    96   2  tlv_size         bytes of TLVs that follow at offset 100
 *    98   2  reserved         zero
 *   100 412  TLV area         (type u16, len u16, value) records, e.g. a
 *                             signature over the sha256 field; the rest 0xFF
 *
 * Bytes [0, 64) are covered by the hash, so any header field change breaks
 * the hash; the TLV area is not hashed (it holds signatures over the hash).
 */
#ifndef FOTA_IMAGE_H
#define FOTA_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fota_layout.h"
#include "fota_le.h"
#include "fota_sha256.h"

#define FOTA_IMAGE_MAGIC 0x41544F46u /* bytes 'F','O','T','A' */
#define FOTA_IMAGE_HDR_VERSION 1
#define FOTA_IMAGE_HASHED_HDR_LEN 64
#define FOTA_IMAGE_OFF_BODY_SIZE 20
#define FOTA_IMAGE_OFF_SHA256 64
#define FOTA_IMAGE_OFF_TLV_SIZE 96
#define FOTA_IMAGE_OFF_TLV 100
#define FOTA_IMAGE_TLV_MAX (FOTA_IMAGE_HDR_SIZE - FOTA_IMAGE_OFF_TLV)
#define FOTA_IMAGE_PRODUCT_LEN 16

/* TLV types in the header's TLV area. */
#define FOTA_TLV_ED25519_SIG 0x0020 /* 64-byte Ed25519 signature of sha256 */
#define FOTA_TLV_KEY_ID                                                        \
    0x0021 /* 8-byte key id (first bytes of SHA-256 of the public key) */

#define FOTA_IMAGE_F_NO_CONFIRM 0x00000001u /* test build that never confirms */

/* Confirm window (header bytes 48..51): the time a trial boot of the image
 * has to confirm. The bootloader's trial watchdog never fires before it and
 * the agent waits for it before asking how the trial ended. 0 in the header
 * means the default. The maximum keeps the watchdog able to honour it: the
 * IWDG's longest timeout is 4096 * 256 LSI ticks, 22.3 s with the LSI at its
 * 47 kHz maximum (RM0090 21.3.3, DS8626 table 23). */
#define FOTA_CONFIRM_WINDOW_DEFAULT_MS 8000u
#define FOTA_CONFIRM_WINDOW_MAX_MS 20000u

typedef struct fota_version {
    uint8_t major;
    uint8_t minor;
    uint16_t patch;
    uint32_t build;
} fota_version_t;

/* A version as 8 bytes (major, minor, patch LE16, build LE32): the layout
 * of the header's version field, reused by the records that carry one. */
static inline void fota_version_put(uint8_t p[8], const fota_version_t *v)
{
    p[0] = v->major;
    p[1] = v->minor;
    fota_put_le16(p + 2, v->patch);
    fota_put_le32(p + 4, v->build);
}

static inline void fota_version_get(fota_version_t *v, const uint8_t p[8])
{
    v->major = p[0];
    v->minor = p[1];
    v->patch = fota_get_le16(p + 2);
    v->build = fota_get_le32(p + 4);
}

typedef struct fota_image_hdr {
    uint32_t magic;
    uint16_t hdr_version;
    uint16_t hdr_size;
    fota_version_t version;
    uint32_t sec_counter;
    uint32_t body_size;
    uint32_t load_addr;
    uint32_t flags;
    char product[FOTA_IMAGE_PRODUCT_LEN]; /* not NUL-terminated when full */
    uint32_t confirm_window_ms; /* 0: FOTA_CONFIRM_WINDOW_DEFAULT_MS */
    uint8_t sha256[FOTA_SHA256_SIZE];
    uint16_t tlv_size;
    uint8_t tlv[FOTA_IMAGE_TLV_MAX];
} fota_image_hdr_t;

/* Serialise hdr into buf (FOTA_IMAGE_HDR_SIZE bytes). Unused TLV space is
 * 0xFF. */
void fota_image_hdr_encode(const fota_image_hdr_t *hdr,
                           uint8_t buf[FOTA_IMAGE_HDR_SIZE]);

/* Parse and sanity-check a header: magic, header version and size, TLV size.
 * Does not check the hash or the slot. Returns 0, FOTA_ERR_CORRUPT. */
int fota_image_hdr_decode(fota_image_hdr_t *hdr,
                          const uint8_t buf[FOTA_IMAGE_HDR_SIZE]);

/* Check that a decoded header fits slot (0/1): load_addr is the slot body
 * address and body_size is non-zero, word-aligned and fits the slot.
 * Returns 0 or FOTA_ERR_RANGE. */
int fota_image_check_slot(const fota_image_hdr_t *hdr, int slot);

/* Start the image hash: feeds header bytes [0, 64) of buf. Continue with
 * fota_sha256_update() over the body, then compare with hdr->sha256. */
void fota_image_hash_start(fota_sha256_t *sha,
                           const uint8_t buf[FOTA_IMAGE_HDR_SIZE]);

/* A header for a body of body_size bytes linked for slot (0/1): magic,
 * header version and size, body size, load address and product (at most
 * FOTA_IMAGE_PRODUCT_LEN characters of it); every other field 0. */
void fota_image_hdr_init(fota_image_hdr_t *hdr, int slot, uint32_t body_size,
                         const char *product);

/* Seal an image the way `fota image pack` does: encode hdr into buf, hash
 * header bytes [0, 64) and hdr->body_size bytes of body, store the digest
 * in hdr->sha256 and encode again. The one sealing function of the tool,
 * the simulator and the tests. */
void fota_image_seal(fota_image_hdr_t *hdr, uint8_t buf[FOTA_IMAGE_HDR_SIZE],
                     const uint8_t *body);

/* Recompute the digest of an encoded header in place (buf's SHA-256
 * field) over its bytes [0, 64) and body_size bytes of body, leaving every
 * other byte as it is: for tests that patch an encoded header. */
void fota_image_reseal(uint8_t buf[FOTA_IMAGE_HDR_SIZE], const uint8_t *body,
                       uint32_t body_size);

/* The effective confirm window of an image: its header's value, or
 * FOTA_CONFIRM_WINDOW_DEFAULT_MS when that is 0. Not clamped: a value above
 * FOTA_CONFIRM_WINDOW_MAX_MS is returned as is (the image check refuses
 * such an image). */
uint32_t fota_image_confirm_window_ms(const fota_image_hdr_t *h);

/* Versions compared as (major, minor, patch, build): <0, 0, >0. */
int fota_version_cmp(const fota_version_t *a, const fota_version_t *b);

/* Find TLV type in the header's TLV area. On success *val points into
 * hdr->tlv and the value length is returned (>= 0); FOTA_ERR_NOENT if
 * absent, FOTA_ERR_CORRUPT if the TLV area is malformed. */
int fota_image_tlv_find(const fota_image_hdr_t *hdr, uint16_t type,
                        const uint8_t **val);

#endif /* FOTA_IMAGE_H */
