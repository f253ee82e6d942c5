/*
 * tool_image.c - packing and checking images on the host (see tool_image.h).
 */
#include "tool_image.h"

#include <stdlib.h>
#include <string.h>

#include "fota/fota_config.h"
#include "fota/fota_crc32.h"
#include "fota/fota_ed25519.h"
#include "fota/fota_err.h"
#include "fota/fota_image_check.h"
#include "fota/fota_le.h"
#include "tool.h"
#include "tool_json.h"

/* Does a Cortex-M vector table at body address load_addr look right?
 * The rules are the bootloader's (fota_image_sp_ok, fota_image_entry_ok):
 * word 0 the initial stack pointer, word 1 the reset handler, a Thumb
 * address (bit 0 set) inside the body; this adds the words in the report. An image linked for the other slot fails
 * here, which is the mistake this is meant to catch. */
static bool vectors_plausible(const uint8_t *body, size_t body_len,
                              uint32_t load_addr, char *why, size_t why_len)
{
    uint32_t sp, reset, target;

    if (body_len < 8) {
        snprintf(why, why_len,
                 "body is %zu bytes, too short for a vector table", body_len);
        return false;
    }
    sp = fota_get_le32(body);
    reset = fota_get_le32(body + 4);
    if (!fota_image_sp_ok(sp)) {
        snprintf(
            why, why_len,
            "initial stack pointer 0x%08lx is not a word-aligned address in "
            "application RAM (0x%08x, 0x%08x] or CCM (0x%08x, 0x%08x]",
            (unsigned long)sp, (unsigned)FOTA_SRAM_ADDR,
            (unsigned)FOTA_NOINIT_ADDR, (unsigned)FOTA_CCM_ADDR,
            (unsigned)(FOTA_CCM_ADDR + FOTA_CCM_SIZE));
        return false;
    }
    target = reset & ~1u;
    if (!fota_image_entry_ok(reset, load_addr, (uint32_t)body_len)) {
        int other = fota_slot_of(target);
        snprintf(why, why_len,
                 "reset handler 0x%08lx is not a Thumb address inside the body "
                 "0x%08lx..0x%08lx%s%s",
                 (unsigned long)reset, (unsigned long)load_addr,
                 (unsigned long)(load_addr + body_len),
                 other >= 0 ? "; it points into slot " : "",
                 other >= 0 ? tool_slot_name(other) : "");
        return false;
    }
    return true;
}

int tool_image_pack(const uint8_t *raw, size_t raw_len,
                    const tool_pack_opts_t *opts, uint8_t **img,
                    size_t *img_len, char *err, size_t err_len)
{
    fota_image_hdr_t hdr;
    const char *product = opts->product ? opts->product : FOTA_PRODUCT_ID;
    size_t body_len, total;
    uint8_t *buf = NULL;
    char why[160];

    *img = NULL;
    *img_len = 0;
    if (opts->slot != 0 && opts->slot != 1) {
        snprintf(err, err_len, "slot must be a or b");
        return FOTA_ERR_INVAL;
    }
    if (raw_len == 0) {
        snprintf(err, err_len, "input binary is empty");
        return FOTA_ERR_INVAL;
    }
    body_len = (raw_len + 3u) & ~(size_t)3u;
    if (body_len > FOTA_SLOT_BODY_MAX) {
        snprintf(err, err_len,
                 "input binary is %zu bytes; a slot body holds at most %u",
                 raw_len, (unsigned)FOTA_SLOT_BODY_MAX);
        return FOTA_ERR_RANGE;
    }
    if (strlen(product) == 0 || strlen(product) > FOTA_IMAGE_PRODUCT_LEN) {
        snprintf(err, err_len, "product id must be 1..%d characters",
                 FOTA_IMAGE_PRODUCT_LEN);
        return FOTA_ERR_INVAL;
    }
    if (opts->confirm_window_ms > FOTA_CONFIRM_WINDOW_MAX_MS) {
        snprintf(err, err_len,
                 "confirm window %lu ms exceeds the maximum %u ms",
                 (unsigned long)opts->confirm_window_ms,
                 (unsigned)FOTA_CONFIRM_WINDOW_MAX_MS);
        return FOTA_ERR_RANGE;
    }
    if (!opts->no_vector_check &&
        !vectors_plausible(raw, raw_len,
                           (uint32_t)FOTA_SLOT_BODY_ADDR(opts->slot), why,
                           sizeof why)) {
        snprintf(err, err_len, "not linked for slot %s: %s",
                 tool_slot_name(opts->slot), why);
        return FOTA_ERR_RANGE;
    }

    total = FOTA_IMAGE_HDR_SIZE + body_len;
    buf = malloc(total);
    if (buf == NULL) {
        snprintf(err, err_len, "out of memory");
        return FOTA_ERR_NOMEM;
    }
    memcpy(buf + FOTA_IMAGE_HDR_SIZE, raw, raw_len);
    /* Pad as erased flash so the padded image equals what flash would read. */
    memset(buf + FOTA_IMAGE_HDR_SIZE + raw_len, 0xFF, body_len - raw_len);

    fota_image_hdr_init(&hdr, opts->slot, (uint32_t)body_len, product);
    hdr.version = opts->version;
    hdr.sec_counter = opts->sec_counter;
    hdr.flags = opts->flags;
    hdr.confirm_window_ms = opts->confirm_window_ms;

    /* The bootloader's own verdict on the header and vector table (the
     * vector words only when they are checked at all). */
    {
        int why_r =
            fota_image_check(&hdr, opts->slot, product, 0,
                             fota_get_le32(buf + FOTA_IMAGE_HDR_SIZE),
                             fota_get_le32(buf + FOTA_IMAGE_HDR_SIZE + 4));
        if (why_r != FOTA_IMG_OK &&
            !(opts->no_vector_check &&
              (why_r == FOTA_IMG_SP || why_r == FOTA_IMG_ENTRY))) {
            snprintf(err, err_len, "the bootloader would refuse it: %s (%s)",
                     fota_image_reason_name(why_r),
                     fota_strerror(fota_image_reason_err(why_r)));
            free(buf);
            return fota_image_reason_err(why_r);
        }
    }
    fota_image_seal(&hdr, buf, buf + FOTA_IMAGE_HDR_SIZE);

    *img = buf;
    *img_len = total;
    return 0;
}

static tool_check_t *add_check(tool_image_report_t *r, const char *name,
                               bool ok)
{
    tool_check_t *c = &r->check[r->ncheck < TOOL_IMAGE_MAX_CHECKS
                                    ? r->ncheck++
                                    : TOOL_IMAGE_MAX_CHECKS - 1];
    c->name = name;
    c->ok = ok;
    c->detail[0] = '\0';
    return c;
}

bool tool_image_analyse(const uint8_t *img, size_t len, int want_slot,
                        const char *product, tool_image_report_t *r)
{
    tool_check_t *c;
    size_t body_have;

    memset(r, 0, sizeof *r);
    r->file_len = len;
    r->slot = -1;

    c = add_check(r, "header", false);
    if (len < FOTA_IMAGE_HDR_SIZE) {
        snprintf(c->detail, sizeof c->detail,
                 "file is %zu bytes, shorter than the %d-byte header", len,
                 FOTA_IMAGE_HDR_SIZE);
        return false;
    }
    if (fota_image_hdr_decode(&r->hdr, img) != 0) {
        if (r->hdr.magic != FOTA_IMAGE_MAGIC)
            snprintf(c->detail, sizeof c->detail,
                     "bad magic 0x%08lx (want 0x%08lx, \"FOTA\")",
                     (unsigned long)r->hdr.magic,
                     (unsigned long)FOTA_IMAGE_MAGIC);
        else if (r->hdr.hdr_version != FOTA_IMAGE_HDR_VERSION)
            snprintf(c->detail, sizeof c->detail,
                     "unsupported header version %u (want %d)",
                     (unsigned)r->hdr.hdr_version, FOTA_IMAGE_HDR_VERSION);
        else if (r->hdr.hdr_size != FOTA_IMAGE_HDR_SIZE)
            snprintf(c->detail, sizeof c->detail, "header size %u (want %d)",
                     (unsigned)r->hdr.hdr_size, FOTA_IMAGE_HDR_SIZE);
        else
            snprintf(c->detail, sizeof c->detail,
                     "TLV size %u exceeds the %d-byte TLV area",
                     (unsigned)r->hdr.tlv_size, FOTA_IMAGE_TLV_MAX);
        return false;
    }
    r->hdr_ok = true;
    c->ok = true;
    snprintf(c->detail, sizeof c->detail, "magic, version %u, size %u",
             (unsigned)r->hdr.hdr_version, (unsigned)r->hdr.hdr_size);

    /* Slot: the one asked for, or the one the load address names. */
    r->slot = want_slot;
    if (r->slot < 0) {
        uint32_t la = r->hdr.load_addr;
        r->slot = la >= FOTA_IMAGE_HDR_SIZE
                      ? fota_slot_of(la - FOTA_IMAGE_HDR_SIZE)
                      : -1;
    }
    c = add_check(r, "slot", false);
    if (r->slot < 0) {
        snprintf(c->detail, sizeof c->detail,
                 "load address 0x%08lx is not a slot body address (A 0x%08x, B "
                 "0x%08x)",
                 (unsigned long)r->hdr.load_addr,
                 (unsigned)FOTA_SLOT_BODY_ADDR(0),
                 (unsigned)FOTA_SLOT_BODY_ADDR(1));
    } else if (r->hdr.load_addr != (uint32_t)FOTA_SLOT_BODY_ADDR(r->slot)) {
        int other = r->hdr.load_addr >= FOTA_IMAGE_HDR_SIZE
                        ? fota_slot_of(r->hdr.load_addr - FOTA_IMAGE_HDR_SIZE)
                        : -1;
        char linked[40] = "";
        if (other >= 0 &&
            r->hdr.load_addr == (uint32_t)FOTA_SLOT_BODY_ADDR(other))
            snprintf(linked, sizeof linked, " (slot %s)",
                     tool_slot_name(other));
        snprintf(
            c->detail, sizeof c->detail,
            "image is linked for 0x%08lx%s, but slot %s's body is at 0x%08x",
            (unsigned long)r->hdr.load_addr, linked, tool_slot_name(r->slot),
            (unsigned)FOTA_SLOT_BODY_ADDR(r->slot));
    } else if (fota_image_check_slot(&r->hdr, r->slot) != 0) {
        snprintf(
            c->detail, sizeof c->detail,
            "body size %lu must be non-zero, a multiple of 4 and at most %u",
            (unsigned long)r->hdr.body_size, (unsigned)FOTA_SLOT_BODY_MAX);
    } else {
        c->ok = true;
        snprintf(c->detail, sizeof c->detail,
                 "slot %s, body at 0x%08lx, %lu bytes", tool_slot_name(r->slot),
                 (unsigned long)r->hdr.load_addr,
                 (unsigned long)r->hdr.body_size);
    }

    /* The file must be exactly header + body: anything after the body would
     * be written to flash but never checked. */
    body_have = len - FOTA_IMAGE_HDR_SIZE;
    c = add_check(r, "length", false);
    if (body_have < r->hdr.body_size) {
        snprintf(c->detail, sizeof c->detail,
                 "truncated: header says %lu body bytes, file has %zu",
                 (unsigned long)r->hdr.body_size, body_have);
    } else if (body_have > r->hdr.body_size) {
        snprintf(c->detail, sizeof c->detail,
                 "%zu trailing bytes after the %lu-byte body",
                 body_have - r->hdr.body_size, (unsigned long)r->hdr.body_size);
    } else {
        c->ok = true;
        snprintf(c->detail, sizeof c->detail, "%zu bytes = header + body", len);
    }

    c = add_check(r, "hash", false);
    if (body_have >= r->hdr.body_size) {
        fota_sha256_t sha;
        char want[2 * FOTA_SHA256_SIZE + 1], got[2 * FOTA_SHA256_SIZE + 1];

        r->body_complete = true;
        fota_image_hash_start(&sha, img);
        fota_sha256_update(&sha, img + FOTA_IMAGE_HDR_SIZE, r->hdr.body_size);
        fota_sha256_final(&sha, r->sha256_calc);
        r->crc_st =
            fota_crc32_st(img, FOTA_IMAGE_HDR_SIZE + (size_t)r->hdr.body_size);
        fota_hex_encode(r->hdr.sha256, FOTA_SHA256_SIZE, want);
        fota_hex_encode(r->sha256_calc, FOTA_SHA256_SIZE, got);
        if (memcmp(r->sha256_calc, r->hdr.sha256, FOTA_SHA256_SIZE) == 0) {
            c->ok = true;
            snprintf(c->detail, sizeof c->detail, "sha256 %s", got);
        } else {
            snprintf(c->detail, sizeof c->detail,
                     "mismatch: header %.16s..., computed %.16s...", want, got);
        }
    } else {
        snprintf(c->detail, sizeof c->detail, "not computed: body incomplete");
    }

    c = add_check(r, "tlv", false);
    {
        const uint8_t *v;
        int rc1 = fota_image_tlv_find(&r->hdr, FOTA_TLV_ED25519_SIG, &v);
        int rc2 = fota_image_tlv_find(&r->hdr, FOTA_TLV_KEY_ID, &v);
        if (rc1 == FOTA_ERR_CORRUPT || rc2 == FOTA_ERR_CORRUPT) {
            snprintf(
                c->detail, sizeof c->detail,
                "TLV area (%u bytes) is malformed or has duplicate records",
                (unsigned)r->hdr.tlv_size);
        } else if (rc1 >= 0 && rc1 != 64) {
            snprintf(c->detail, sizeof c->detail,
                     "signature TLV is %d bytes, want 64", rc1);
        } else if (rc2 >= 0 && rc2 != 8) {
            snprintf(c->detail, sizeof c->detail,
                     "key id TLV is %d bytes, want 8", rc2);
        } else {
            c->ok = true;
            snprintf(c->detail, sizeof c->detail, "%u bytes, well-formed%s",
                     (unsigned)r->hdr.tlv_size,
                     rc1 >= 0 ? ", signed" : ", unsigned");
        }
    }

    c = add_check(r, "vectors", false);
    if (body_have >= 8 && r->hdr.body_size >= 8) {
        r->vec_sp = fota_get_le32(img + FOTA_IMAGE_HDR_SIZE);
        r->vec_reset = fota_get_le32(img + FOTA_IMAGE_HDR_SIZE + 4);
    }
    {
        size_t blen =
            body_have < r->hdr.body_size ? body_have : r->hdr.body_size;
        c->ok =
            vectors_plausible(img + FOTA_IMAGE_HDR_SIZE, blen, r->hdr.load_addr,
                              c->detail, sizeof c->detail);
        if (c->ok)
            snprintf(c->detail, sizeof c->detail, "sp 0x%08lx, reset 0x%08lx",
                     (unsigned long)r->vec_sp, (unsigned long)r->vec_reset);
    }

    c = add_check(r, "window",
                  r->hdr.confirm_window_ms <= FOTA_CONFIRM_WINDOW_MAX_MS);
    snprintf(c->detail, sizeof c->detail,
             c->ok ? "confirm window %lu ms"
                   : "confirm window %lu ms exceeds the maximum %u ms",
             (unsigned long)fota_image_confirm_window_ms(&r->hdr),
             (unsigned)FOTA_CONFIRM_WINDOW_MAX_MS);

    {
        char have[FOTA_IMAGE_PRODUCT_LEN + 1];
        const char *want = product != NULL ? product : FOTA_PRODUCT_ID;

        memcpy(have, r->hdr.product, FOTA_IMAGE_PRODUCT_LEN);
        have[FOTA_IMAGE_PRODUCT_LEN] = '\0';
        c = add_check(r, "product", fota_image_product_ok(&r->hdr, want));
        snprintf(c->detail, sizeof c->detail,
                 c->ok ? "%s" : "image is for '%s', want '%s'", have, want);

        /* The one verdict, as the bootloader reaches it (fota_image_check):
         * the first of its checks that fails names the reason. The security
         * floor of a device is not known here. */
        int why_r = fota_image_check(&r->hdr, r->slot, want, 0, r->vec_sp,
                                     r->vec_reset);
        c = add_check(r, "boot", why_r == FOTA_IMG_OK);
        r->reason = why_r;
        if (c->ok)
            snprintf(c->detail, sizeof c->detail,
                     "the bootloader's image check passes");
        else
            snprintf(c->detail, sizeof c->detail,
                     "the bootloader refuses it: %s (%s)",
                     fota_image_reason_name(why_r),
                     fota_strerror(fota_image_reason_err(why_r)));
    }
    return tool_image_report_ok(r);
}

bool tool_image_check_sig(tool_image_report_t *r, const uint8_t *pub)
{
    tool_check_t *c = add_check(r, "sig", false);
    const uint8_t *kid = NULL;
    char idhex[2 * FOTA_ED25519_KEY_ID_SIZE + 1] = "none";
    int rs, rk;

    if (!r->hdr_ok) {
        snprintf(c->detail, sizeof c->detail, "not checked: no valid header");
        return false;
    }
    rs = fota_image_tlv_find(&r->hdr, FOTA_TLV_ED25519_SIG, NULL);
    rk = fota_image_tlv_find(&r->hdr, FOTA_TLV_KEY_ID, &kid);
    if (rk == FOTA_ED25519_KEY_ID_SIZE)
        fota_hex_encode(kid, FOTA_ED25519_KEY_ID_SIZE, idhex);
    if (pub == NULL) {
        c->ok = true;
        snprintf(c->detail, sizeof c->detail,
                 "%s, key id %s (not verified: no --pubkey)",
                 rs == FOTA_ED25519_SIG_SIZE ? "signed" : "unsigned", idhex);
        return true;
    }
    {
        uint8_t want[FOTA_ED25519_KEY_ID_SIZE];
        char whex[2 * FOTA_ED25519_KEY_ID_SIZE + 1];

        fota_ed25519_key_id(want, pub);
        fota_hex_encode(want, sizeof want, whex);
        if (rs != FOTA_ED25519_SIG_SIZE)
            snprintf(c->detail, sizeof c->detail,
                     "no Ed25519 signature (want key id %s)", whex);
        else if (rk == FOTA_ED25519_KEY_ID_SIZE &&
                 memcmp(kid, want, sizeof want) != 0)
            snprintf(c->detail, sizeof c->detail,
                     "signed by key id %s, not by %s", idhex, whex);
        else if (fota_ed25519_verify_image(&r->hdr, pub) != 0)
            snprintf(c->detail, sizeof c->detail,
                     "Ed25519 signature does not verify with key id %s", whex);
        else {
            c->ok = true;
            snprintf(c->detail, sizeof c->detail,
                     "Ed25519, key id %s, verified", whex);
        }
    }
    return c->ok;
}

int tool_image_sign(uint8_t *img, size_t len, const uint8_t seed[32], char *err,
                    size_t err_len)
{
    tool_image_report_t *r = malloc(sizeof *r);
    uint8_t pub[FOTA_ED25519_PUB_SIZE], kid[FOTA_ED25519_KEY_ID_SIZE];
    uint8_t sig[FOTA_ED25519_SIG_SIZE], tlv[FOTA_IMAGE_TLV_MAX];
    size_t off = 0, n = 0;
    int rc = FOTA_ERR_CORRUPT;

    if (r == NULL) {
        snprintf(err, err_len, "out of memory");
        return FOTA_ERR_NOMEM;
    }
    if (!tool_image_analyse(img, len, -1, NULL, r)) {
        for (size_t i = 0; i < r->ncheck; i++)
            if (!r->check[i].ok) {
                snprintf(err, err_len, "not signing an invalid image: %s: %s",
                         r->check[i].name, r->check[i].detail);
                break;
            }
        goto out;
    }
    /* Keep every record but old key ids and signatures (the analysis
     * above proved the area well-formed). */
    while (off < r->hdr.tlv_size) {
        uint16_t type = fota_get_le16(r->hdr.tlv + off);
        size_t rlen = 4u + fota_get_le16(r->hdr.tlv + off + 2);

        if (type != FOTA_TLV_KEY_ID && type != FOTA_TLV_ED25519_SIG) {
            memcpy(tlv + n, r->hdr.tlv + off, rlen);
            n += rlen;
        }
        off += rlen;
    }
    if (n + 4 + sizeof kid + 4 + sizeof sig > sizeof tlv) {
        snprintf(err, err_len, "TLV area full: %zu bytes of other records", n);
        rc = FOTA_ERR_NOSPC;
        goto out;
    }
    fota_ed25519_pubkey(pub, seed);
    fota_ed25519_key_id(kid, pub);
    fota_ed25519_sign(sig, r->hdr.sha256, FOTA_SHA256_SIZE, seed, pub);
    fota_put_le16(tlv + n, FOTA_TLV_KEY_ID);
    fota_put_le16(tlv + n + 2, (uint16_t)sizeof kid);
    memcpy(tlv + n + 4, kid, sizeof kid);
    n += 4 + sizeof kid;
    fota_put_le16(tlv + n, FOTA_TLV_ED25519_SIG);
    fota_put_le16(tlv + n + 2, (uint16_t)sizeof sig);
    memcpy(tlv + n + 4, sig, sizeof sig);
    n += 4 + sizeof sig;
    memset(tlv + n, 0xFF, sizeof tlv - n);
    /* Patch the unhashed bytes only: re-encoding the whole header could
     * normalise a reserved byte inside [0, 64) and break the hash. */
    fota_put_le16(img + FOTA_IMAGE_OFF_TLV_SIZE, (uint16_t)n);
    memcpy(img + FOTA_IMAGE_OFF_TLV, tlv, sizeof tlv);
    rc = 0;
out:
    free(r);
    return rc;
}

bool tool_image_report_ok(const tool_image_report_t *r)
{
    if (r->ncheck == 0)
        return false;
    for (size_t i = 0; i < r->ncheck; i++)
        if (!r->check[i].ok)
            return false;
    return true;
}

/* The TLV records for display; stops at the first malformed one. */
static void each_tlv(const fota_image_hdr_t *h,
                     void (*fn)(void *ctx, uint16_t type, uint16_t len,
                                const uint8_t *val),
                     void *ctx)
{
    size_t off = 0, size = h->tlv_size;

    while (size <= FOTA_IMAGE_TLV_MAX && size - off >= 4) {
        uint16_t type = fota_get_le16(h->tlv + off);
        uint16_t len = fota_get_le16(h->tlv + off + 2);
        if (len > size - off - 4)
            break;
        fn(ctx, type, len, h->tlv + off + 4);
        off += 4u + len;
    }
}

static const char *tlv_name(uint16_t type)
{
    switch (type) {
    case FOTA_TLV_ED25519_SIG:
        return "ed25519-signature";
    case FOTA_TLV_KEY_ID:
        return "key-id";
    default:
        return "unknown";
    }
}

static void print_tlv(void *ctx, uint16_t type, uint16_t len,
                      const uint8_t *val)
{
    FILE *f = ctx;
    char hex[2 * 16 + 1];

    fota_hex_encode(val, len < 16 ? len : 16, hex);
    fprintf(f, "  tlv           0x%04x %s, %u bytes: %s%s\n", (unsigned)type,
            tlv_name(type), (unsigned)len, hex, len > 16 ? "..." : "");
}

static void product_string(const fota_image_hdr_t *h,
                           char out[FOTA_IMAGE_PRODUCT_LEN + 1])
{
    memcpy(out, h->product, FOTA_IMAGE_PRODUCT_LEN);
    out[FOTA_IMAGE_PRODUCT_LEN] = '\0';
}

void tool_image_print(FILE *f, const tool_image_report_t *r, bool verbose)
{
    if (verbose && r->hdr_ok) {
        const fota_image_hdr_t *h = &r->hdr;
        char ver[40], hex[2 * FOTA_SHA256_SIZE + 1],
            prod[FOTA_IMAGE_PRODUCT_LEN + 1];
        int ls = h->load_addr >= FOTA_IMAGE_HDR_SIZE
                     ? fota_slot_of(h->load_addr - FOTA_IMAGE_HDR_SIZE)
                     : -1;

        tool_format_version(&h->version, ver, sizeof ver);
        product_string(h, prod);
        fprintf(f, "  file          %zu bytes\n", r->file_len);
        fprintf(f, "  header        version %u, %u bytes\n",
                (unsigned)h->hdr_version, (unsigned)h->hdr_size);
        fprintf(f, "  version       %s\n", ver);
        fprintf(f, "  sec counter   %lu\n", (unsigned long)h->sec_counter);
        fprintf(f, "  product       %s\n", prod);
        fprintf(f, "  load address  0x%08lx (slot %s)\n",
                (unsigned long)h->load_addr, tool_slot_name(ls));
        fprintf(f, "  body size     %lu bytes\n", (unsigned long)h->body_size);
        fprintf(f, "  flags         0x%08lx%s\n", (unsigned long)h->flags,
                (h->flags & FOTA_IMAGE_F_NO_CONFIRM)
                    ? " (no-confirm test build)"
                    : "");
        fprintf(f, "  confirm window %lu ms%s\n",
                (unsigned long)fota_image_confirm_window_ms(h),
                h->confirm_window_ms == 0 ? " (default)" : "");
        fota_hex_encode(h->sha256, FOTA_SHA256_SIZE, hex);
        fprintf(f, "  sha256        %s\n", hex);
        if (r->body_complete)
            fprintf(f, "  crc32 (ST)    0x%08lx over header + body\n",
                    (unsigned long)r->crc_st);
        fprintf(f, "  tlv size      %u bytes\n", (unsigned)h->tlv_size);
        each_tlv(h, print_tlv, f);
        {
            const uint8_t *kid = NULL;
            char idhex[2 * FOTA_ED25519_KEY_ID_SIZE + 1];
            bool signed_ = fota_image_tlv_find(h, FOTA_TLV_ED25519_SIG, NULL) ==
                           FOTA_ED25519_SIG_SIZE;

            if (fota_image_tlv_find(h, FOTA_TLV_KEY_ID, &kid) ==
                FOTA_ED25519_KEY_ID_SIZE)
                fota_hex_encode(kid, FOTA_ED25519_KEY_ID_SIZE, idhex);
            else
                snprintf(idhex, sizeof idhex, "none");
            fprintf(f, "  key id        %s\n", idhex);
            fprintf(f, "  signature     %s\n",
                    signed_ ? "Ed25519 (present)" : "none");
        }
    }
    for (size_t i = 0; i < r->ncheck; i++)
        fprintf(f, "  %-4s %-8s %s\n", r->check[i].ok ? "ok" : "FAIL",
                r->check[i].name, r->check[i].detail);
}

static void json_tlv(void *ctx, uint16_t type, uint16_t len, const uint8_t *val)
{
    tool_json_t *j = ctx;
    char *hex = malloc(2u * len + 1u);

    tool_json_begin_obj(j, NULL);
    tool_json_uint(j, "type", type);
    tool_json_str(j, "name", tlv_name(type));
    tool_json_uint(j, "len", len);
    if (hex != NULL) {
        fota_hex_encode(val, len, hex);
        tool_json_str(j, "value", hex);
        free(hex);
    }
    tool_json_end_obj(j);
}

void tool_image_print_json(FILE *f, const tool_image_report_t *r)
{
    tool_json_t j;
    char buf[2 * FOTA_SHA256_SIZE + 1];

    tool_json_init(&j, f);
    tool_json_begin_obj(&j, NULL);
    tool_json_bool(&j, "ok", tool_image_report_ok(r));
    tool_json_uint(&j, "file_size", r->file_len);
    if (r->hdr_ok) {
        const fota_image_hdr_t *h = &r->hdr;
        char prod[FOTA_IMAGE_PRODUCT_LEN + 1];

        tool_json_begin_obj(&j, "header");
        tool_json_uint(&j, "hdr_version", h->hdr_version);
        tool_json_uint(&j, "hdr_size", h->hdr_size);
        tool_format_version(&h->version, buf, sizeof buf);
        tool_json_str(&j, "version", buf);
        tool_json_begin_obj(&j, "version_fields");
        tool_json_uint(&j, "major", h->version.major);
        tool_json_uint(&j, "minor", h->version.minor);
        tool_json_uint(&j, "patch", h->version.patch);
        tool_json_uint(&j, "build", h->version.build);
        tool_json_end_obj(&j);
        tool_json_uint(&j, "sec_counter", h->sec_counter);
        product_string(h, prod);
        tool_json_str(&j, "product", prod);
        tool_json_uint(&j, "load_addr", h->load_addr);
        tool_json_uint(&j, "body_size", h->body_size);
        tool_json_uint(&j, "flags", h->flags);
        tool_json_uint(&j, "confirm_window_ms",
                       fota_image_confirm_window_ms(h));
        fota_hex_encode(h->sha256, FOTA_SHA256_SIZE, buf);
        tool_json_str(&j, "sha256", buf);
        tool_json_uint(&j, "tlv_size", h->tlv_size);
        tool_json_begin_arr(&j, "tlv");
        each_tlv(h, json_tlv, &j);
        tool_json_end_arr(&j);
        {
            const uint8_t *kid = NULL;
            char idhex[2 * FOTA_ED25519_KEY_ID_SIZE + 1];

            tool_json_bool(&j, "signed",
                           fota_image_tlv_find(h, FOTA_TLV_ED25519_SIG, NULL) ==
                               FOTA_ED25519_SIG_SIZE);
            if (fota_image_tlv_find(h, FOTA_TLV_KEY_ID, &kid) ==
                FOTA_ED25519_KEY_ID_SIZE) {
                fota_hex_encode(kid, FOTA_ED25519_KEY_ID_SIZE, idhex);
                tool_json_str(&j, "key_id", idhex);
            } else {
                tool_json_null(&j, "key_id");
            }
        }
        tool_json_end_obj(&j);
    }
    if (r->slot >= 0)
        tool_json_str(&j, "slot", r->slot == 0 ? "a" : "b");
    else
        tool_json_null(&j, "slot");
    if (r->body_complete) {
        fota_hex_encode(r->sha256_calc, FOTA_SHA256_SIZE, buf);
        tool_json_str(&j, "sha256_computed", buf);
        tool_json_uint(&j, "crc32_st", r->crc_st);
    }
    tool_json_begin_arr(&j, "checks");
    for (size_t i = 0; i < r->ncheck; i++) {
        tool_json_begin_obj(&j, NULL);
        tool_json_str(&j, "name", r->check[i].name);
        tool_json_bool(&j, "ok", r->check[i].ok);
        tool_json_str(&j, "detail", r->check[i].detail);
        tool_json_end_obj(&j);
    }
    tool_json_end_arr(&j);
    tool_json_end_obj(&j);
}
