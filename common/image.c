/*
 * image.c - the 512-byte image header: field-by-field codec, slot check,
 * hash start, version order and TLV lookup (layout in fota_image.h and
 * docs/formats.md).
 */
#include "fota/fota_image.h"
#include "fota/fota_err.h"
#include "fota/fota_le.h"
#include "fota/fota_nomalloc.h"

/* Field offsets; the table in fota_image.h is the authority. */
#define OFF_MAGIC 0
#define OFF_HDR_VERSION 4
#define OFF_HDR_SIZE 6
#define OFF_VER_MAJOR 8
#define OFF_VER_MINOR 9
#define OFF_VER_PATCH 10
#define OFF_VER_BUILD 12
#define OFF_SEC_COUNTER 16
#define OFF_LOAD_ADDR 24
#define OFF_FLAGS 28
#define OFF_PRODUCT 32
#define OFF_CONFIRM_WINDOW 48
#define OFF_RESERVED1 52
#define OFF_RESERVED2 98

_Static_assert(OFF_PRODUCT + FOTA_IMAGE_PRODUCT_LEN == OFF_CONFIRM_WINDOW,
               "the confirm window follows the product field");
_Static_assert(OFF_CONFIRM_WINDOW + 4 == OFF_RESERVED1,
               "reserved bytes follow the confirm window");
_Static_assert(OFF_RESERVED1 + 12 == FOTA_IMAGE_HASHED_HDR_LEN,
               "hashed part of the header is bytes [0, 64)");
_Static_assert(FOTA_IMAGE_OFF_SHA256 + FOTA_SHA256_SIZE ==
                   FOTA_IMAGE_OFF_TLV_SIZE,
               "tlv_size follows the hash");
_Static_assert(OFF_RESERVED2 + 2 == FOTA_IMAGE_OFF_TLV, "TLV area at 100");
_Static_assert(FOTA_IMAGE_OFF_TLV + FOTA_IMAGE_TLV_MAX == FOTA_IMAGE_HDR_SIZE,
               "TLV area fills the header");
_Static_assert(FOTA_IMAGE_HDR_SIZE == 512, "header is 512 bytes");

#define TLV_HDR_LEN 4

void fota_image_hdr_encode(const fota_image_hdr_t *hdr,
                           uint8_t buf[FOTA_IMAGE_HDR_SIZE])
{
    size_t tlv_size = hdr->tlv_size;
    size_t plen = 0;

    memset(buf, 0, FOTA_IMAGE_OFF_TLV);
    fota_put_le32(buf + OFF_MAGIC, hdr->magic);
    fota_put_le16(buf + OFF_HDR_VERSION, hdr->hdr_version);
    fota_put_le16(buf + OFF_HDR_SIZE, hdr->hdr_size);
    buf[OFF_VER_MAJOR] = hdr->version.major;
    buf[OFF_VER_MINOR] = hdr->version.minor;
    fota_put_le16(buf + OFF_VER_PATCH, hdr->version.patch);
    fota_put_le32(buf + OFF_VER_BUILD, hdr->version.build);
    fota_put_le32(buf + OFF_SEC_COUNTER, hdr->sec_counter);
    fota_put_le32(buf + FOTA_IMAGE_OFF_BODY_SIZE, hdr->body_size);
    fota_put_le32(buf + OFF_LOAD_ADDR, hdr->load_addr);
    fota_put_le32(buf + OFF_FLAGS, hdr->flags);
    /* Product: the id up to its NUL, zero-padded; exactly 16 characters
     * fill the field with no terminator. */
    while (plen < FOTA_IMAGE_PRODUCT_LEN && hdr->product[plen] != '\0')
        plen++;
    memcpy(buf + OFF_PRODUCT, hdr->product, plen);
    fota_put_le32(buf + OFF_CONFIRM_WINDOW, hdr->confirm_window_ms);
    memcpy(buf + FOTA_IMAGE_OFF_SHA256, hdr->sha256, FOTA_SHA256_SIZE);

    /* An oversized tlv_size is a caller bug; clamp rather than overrun. The
     * result then fails decode, which keeps it from being mistaken for a
     * good header. */
    if (tlv_size > FOTA_IMAGE_TLV_MAX)
        tlv_size = FOTA_IMAGE_TLV_MAX;
    fota_put_le16(buf + FOTA_IMAGE_OFF_TLV_SIZE, hdr->tlv_size);
    memcpy(buf + FOTA_IMAGE_OFF_TLV, hdr->tlv, tlv_size);
    /* Unused TLV space stays erased-flash 0xFF, so a signature can be
     * programmed into it later without erasing the header. */
    memset(buf + FOTA_IMAGE_OFF_TLV + tlv_size, 0xFF,
           FOTA_IMAGE_TLV_MAX - tlv_size);
}

int fota_image_hdr_decode(fota_image_hdr_t *hdr,
                          const uint8_t buf[FOTA_IMAGE_HDR_SIZE])
{
    memset(hdr, 0, sizeof *hdr);
    hdr->magic = fota_get_le32(buf + OFF_MAGIC);
    hdr->hdr_version = fota_get_le16(buf + OFF_HDR_VERSION);
    hdr->hdr_size = fota_get_le16(buf + OFF_HDR_SIZE);
    hdr->version.major = buf[OFF_VER_MAJOR];
    hdr->version.minor = buf[OFF_VER_MINOR];
    hdr->version.patch = fota_get_le16(buf + OFF_VER_PATCH);
    hdr->version.build = fota_get_le32(buf + OFF_VER_BUILD);
    hdr->sec_counter = fota_get_le32(buf + OFF_SEC_COUNTER);
    hdr->body_size = fota_get_le32(buf + FOTA_IMAGE_OFF_BODY_SIZE);
    hdr->load_addr = fota_get_le32(buf + OFF_LOAD_ADDR);
    hdr->flags = fota_get_le32(buf + OFF_FLAGS);
    memcpy(hdr->product, buf + OFF_PRODUCT, FOTA_IMAGE_PRODUCT_LEN);
    hdr->confirm_window_ms = fota_get_le32(buf + OFF_CONFIRM_WINDOW);
    memcpy(hdr->sha256, buf + FOTA_IMAGE_OFF_SHA256, FOTA_SHA256_SIZE);
    hdr->tlv_size = fota_get_le16(buf + FOTA_IMAGE_OFF_TLV_SIZE);
    /* The whole area is copied (not just tlv_size bytes) so a tool can show
     * exactly what is on flash. */
    memcpy(hdr->tlv, buf + FOTA_IMAGE_OFF_TLV, FOTA_IMAGE_TLV_MAX);

    if (hdr->magic != FOTA_IMAGE_MAGIC ||
        hdr->hdr_version != FOTA_IMAGE_HDR_VERSION ||
        hdr->hdr_size != FOTA_IMAGE_HDR_SIZE ||
        hdr->tlv_size > FOTA_IMAGE_TLV_MAX)
        return FOTA_ERR_CORRUPT;
    /* The reserved bytes are not checked: they are covered by the hash, and
     * a later header version that defines them bumps hdr_version. */
    return 0;
}

int fota_image_check_slot(const fota_image_hdr_t *hdr, int slot)
{
    if (slot < 0 || slot >= FOTA_SLOT_COUNT)
        return FOTA_ERR_RANGE;
    if (hdr->load_addr != (uint32_t)FOTA_SLOT_BODY_ADDR(slot))
        return FOTA_ERR_RANGE;
    if (hdr->body_size == 0 || hdr->body_size % FOTA_FLASH_WRITE_ALIGN != 0 ||
        hdr->body_size > (uint32_t)FOTA_SLOT_BODY_MAX)
        return FOTA_ERR_RANGE;
    return 0;
}

void fota_image_hash_start(fota_sha256_t *sha,
                           const uint8_t buf[FOTA_IMAGE_HDR_SIZE])
{
    fota_sha256_init(sha);
    fota_sha256_update(sha, buf, FOTA_IMAGE_HASHED_HDR_LEN);
}

void fota_image_hdr_init(fota_image_hdr_t *hdr, int slot, uint32_t body_size,
                         const char *product)
{
    size_t n = 0;

    memset(hdr, 0, sizeof *hdr);
    hdr->magic = FOTA_IMAGE_MAGIC;
    hdr->hdr_version = FOTA_IMAGE_HDR_VERSION;
    hdr->hdr_size = FOTA_IMAGE_HDR_SIZE;
    hdr->body_size = body_size;
    hdr->load_addr = (uint32_t)FOTA_SLOT_BODY_ADDR(slot);
    while (n < FOTA_IMAGE_PRODUCT_LEN && product[n] != '\0')
        n++;
    memcpy(hdr->product, product, n);
}

void fota_image_reseal(uint8_t buf[FOTA_IMAGE_HDR_SIZE], const uint8_t *body,
                       uint32_t body_size)
{
    fota_sha256_t sha;

    fota_image_hash_start(&sha, buf);
    fota_sha256_update(&sha, body, body_size);
    fota_sha256_final(&sha, buf + FOTA_IMAGE_OFF_SHA256);
}

void fota_image_seal(fota_image_hdr_t *hdr, uint8_t buf[FOTA_IMAGE_HDR_SIZE],
                     const uint8_t *body)
{
    /* The hash covers header bytes [0, 64), which do not hold the hash
     * itself: encode, hash, then the digest goes into its field. */
    fota_image_hdr_encode(hdr, buf);
    fota_image_reseal(buf, body, hdr->body_size);
    memcpy(hdr->sha256, buf + FOTA_IMAGE_OFF_SHA256, FOTA_SHA256_SIZE);
}

uint32_t fota_image_confirm_window_ms(const fota_image_hdr_t *h)
{
    return h->confirm_window_ms != 0 ? h->confirm_window_ms
                                     : FOTA_CONFIRM_WINDOW_DEFAULT_MS;
}

int fota_version_cmp(const fota_version_t *a, const fota_version_t *b)
{
    if (a->major != b->major)
        return a->major < b->major ? -1 : 1;
    if (a->minor != b->minor)
        return a->minor < b->minor ? -1 : 1;
    if (a->patch != b->patch)
        return a->patch < b->patch ? -1 : 1;
    if (a->build != b->build)
        return a->build < b->build ? -1 : 1;
    return 0;
}

int fota_image_tlv_find(const fota_image_hdr_t *hdr, uint16_t type,
                        const uint8_t **val)
{
    size_t size = hdr->tlv_size;
    size_t off = 0;
    const uint8_t *hit = NULL;
    int found = FOTA_ERR_NOENT;

    if (size > FOTA_IMAGE_TLV_MAX)
        return FOTA_ERR_CORRUPT;
    /* Walk the whole area even after a match: a malformed area is rejected
     * as a whole, so what is found never depends on where the damage is. */
    while (off < size) {
        uint16_t t, len;

        if (size - off < TLV_HDR_LEN)
            return FOTA_ERR_CORRUPT;
        t = fota_get_le16(hdr->tlv + off);
        len = fota_get_le16(hdr->tlv + off + 2);
        if (len > size - off - TLV_HDR_LEN)
            return FOTA_ERR_CORRUPT;
        if (t == type) {
            /* Two signatures (or key ids) would make "which one counts"
             * ambiguous; refuse rather than pick one. */
            if (hit != NULL)
                return FOTA_ERR_CORRUPT;
            hit = hdr->tlv + off + TLV_HDR_LEN;
            found = len;
        }
        off += TLV_HDR_LEN + len;
    }
    if (hit != NULL && val != NULL)
        *val = hit;
    return found;
}
