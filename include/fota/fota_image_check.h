/*
 * fota_image_check.h - the one verdict on an image header and its vector
 * table: the checks the bootloader makes before it commits or boots an
 * image, and that `fota image pack` / `verify` make on a file. Both call
 * fota_image_check(), so they refuse the same images for the same reason.
 *
 * Not covered here: the header codec (fota_image_hdr_decode), the hash and
 * the signature, which need the whole body.
 */
#ifndef FOTA_IMAGE_CHECK_H
#define FOTA_IMAGE_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "fota_image.h"

/* Why an image is refused, in the order the checks run (the first failing
 * one is the reason). */
enum fota_image_reason {
    FOTA_IMG_OK = 0,
    FOTA_IMG_LOAD_ADDR = 1, /* load_addr is not the slot's body address */
    FOTA_IMG_SIZE = 2,      /* body_size 0, not a multiple of 4, or too big */
    FOTA_IMG_PRODUCT = 3,   /* product id is not the one required */
    FOTA_IMG_WINDOW = 4,   /* confirm window above FOTA_CONFIRM_WINDOW_MAX_MS */
    FOTA_IMG_ROLLBACK = 5, /* security counter below the floor */
    FOTA_IMG_SP = 6,       /* initial SP outside application RAM or unaligned */
    FOTA_IMG_ENTRY = 7,    /* reset vector not a Thumb address in the body */
    FOTA_IMG_REASONS = 8
};

/* Initial stack pointer allowed: (SRAM start, FOTA_NOINIT_ADDR] or
 * (CCM start, CCM end], word aligned (the stack grows down from it, so the
 * end of a region is itself allowed). */
bool fota_image_sp_ok(uint32_t sp);

/* Reset vector allowed: a Thumb address (bit 0 set) whose target lies in
 * the body [body_addr, body_addr + body_size). */
bool fota_image_entry_ok(uint32_t entry, uint32_t body_addr,
                         uint32_t body_size);

/* Product field equal to product (1..16 characters): its characters, then
 * NUL padding to the end of the field. */
bool fota_image_product_ok(const fota_image_hdr_t *hdr, const char *product);

/* The verdict on a decoded header for slot (0/1), with the first two words
 * of its body (initial SP, reset vector): enum fota_image_reason. product is
 * the id required; sec_floor the security floor (0 when unknown, which
 * passes every counter). */
int fota_image_check(const fota_image_hdr_t *hdr, int slot, const char *product,
                     uint32_t sec_floor, uint32_t sp, uint32_t entry);

/* Short name of a reason ("sp", "product", ...); "unknown" outside the
 * enum. */
const char *fota_image_reason_name(int reason);

/* The error code for a reason: 0 for FOTA_IMG_OK, FOTA_ERR_ROLLBACK for
 * FOTA_IMG_ROLLBACK, FOTA_ERR_IMAGE(reason) for the others. */
int fota_image_reason_err(int reason);

#endif /* FOTA_IMAGE_CHECK_H */
