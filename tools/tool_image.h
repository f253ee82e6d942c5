/*
 * tool_image.h - building and checking image files (.img = 512-byte header
 * + body) on the host. Used by `fota image` and, later, by `fota release`
 * and the flashing commands, so nothing here prints unless asked to.
 */
#ifndef TOOL_IMAGE_H
#define TOOL_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fota/fota_image.h"

typedef struct tool_pack_opts {
    int slot; /* 0 = A, 1 = B: the slot the raw binary is linked for */
    fota_version_t version;
    uint32_t sec_counter;
    uint32_t flags;      /* FOTA_IMAGE_F_* */
    const char *product; /* NULL: FOTA_PRODUCT_ID; at most 16 characters */
    uint32_t
        confirm_window_ms; /* 0: default; at most FOTA_CONFIRM_WINDOW_MAX_MS */
    bool no_vector_check;  /* skip the vector-table plausibility check */
} tool_pack_opts_t;

/* Build an image from a raw binary linked for the slot's body address:
 * header + body, the body padded with 0xFF to a multiple of 4. On success
 * *img is malloc'd (free() it) and *img_len set. On failure returns a
 * FOTA_ERR_* code and writes a one-line reason into err. Refuses an empty
 * or oversized body, a bad product id and, unless no_vector_check, a
 * binary whose vector table does not look linked for that slot. */
int tool_image_pack(const uint8_t *raw, size_t raw_len,
                    const tool_pack_opts_t *opts, uint8_t **img,
                    size_t *img_len, char *err, size_t err_len);

/* One verdict in a report. */
typedef struct tool_check {
    const char *name; /* "header", "slot", "length", "hash", ... */
    bool ok;
    char detail[200]; /* what was found; why it failed */
} tool_check_t;

#define TOOL_IMAGE_MAX_CHECKS 12

/* Everything learnt about an image file. */
typedef struct tool_image_report {
    size_t file_len;
    bool hdr_ok; /* header decoded; hdr is meaningful */
    fota_image_hdr_t hdr;
    int slot;           /* slot checked against, -1 if none */
    bool body_complete; /* file holds all body_size bytes */
    uint8_t sha256_calc[FOTA_SHA256_SIZE]; /* valid if body_complete */
    uint32_t crc_st; /* fota_crc32_st over header + body, if body_complete */
    uint32_t vec_sp, vec_reset; /* first two body words, if present */
    int reason; /* fota_image_check's verdict (enum fota_image_reason) */
    size_t ncheck;
    tool_check_t check[TOOL_IMAGE_MAX_CHECKS];
} tool_image_report_t;

/* Examine an image file's bytes. want_slot 0/1 checks that slot; -1 takes
 * the slot from the header's load address. The header's product id must be
 * product, or FOTA_PRODUCT_ID when product is NULL. The "boot" check is the
 * bootloader's verdict (fota_image_check), its reason in r->reason. Fills r; returns true if every check passed. */
bool tool_image_analyse(const uint8_t *img, size_t len, int want_slot,
                        const char *product, tool_image_report_t *r);

/* Add a "signature" check to r (analysed from the same img): with pub
 * non-NULL, the header's Ed25519 signature must verify with pub
 * (fota_ed25519_verify_image, what the agent checks); with pub NULL the
 * check only reports whether the image is signed and by which key id,
 * and passes. Returns true if the check passed. */
bool tool_image_check_sig(tool_image_report_t *r, const uint8_t *pub);

/* Sign an image in place: replace any FOTA_TLV_KEY_ID / FOTA_TLV_ED25519_SIG
 * records by the key id of seed's public key and an Ed25519 signature of the
 * header's sha256 field; other TLV records are kept. Only header bytes
 * [96, 512) change, none of them hashed, so the image hash stays valid.
 * Refuses (FOTA_ERR_CORRUPT, reason in err) an image that does not pass
 * tool_image_analyse, so a broken image is never signed, and
 * FOTA_ERR_NOSPC if the TLV area cannot hold the records. */
int tool_image_sign(uint8_t *img, size_t len, const uint8_t seed[32], char *err,
                    size_t err_len);

/* True if every check in r passed (and there is at least one). */
bool tool_image_report_ok(const tool_image_report_t *r);

/* Print r for people: the header fields (if verbose) and each check. */
void tool_image_print(FILE *f, const tool_image_report_t *r, bool verbose);

/* Print r as one JSON object. */
void tool_image_print_json(FILE *f, const tool_image_report_t *r);

#endif /* TOOL_IMAGE_H */
