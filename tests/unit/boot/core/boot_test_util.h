/*
 * boot_test_util.h - helpers shared by the boot core's unit tests: a fresh
 * flash model bound to the host port, and images built and programmed
 * into a slot the way the agent would write them.
 */
#ifndef BOOT_TEST_UTIL_H
#define BOOT_TEST_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#include "boot_core.h"
#include "sim_flash.h"

/* What an image should look like; tbu_image_default() fills a valid one. */
typedef struct tbu_image {
    fota_version_t version;
    uint32_t sec_counter;
    uint32_t body_size;
    uint32_t msp;        /* first vector table word */
    uint32_t entry;      /* second word; 0 = body start + 0x101 */
    bool bad_hash;       /* store a wrong SHA-256 in the header */
    const char *product; /* NULL = FOTA_PRODUCT_ID */
    int32_t load_slot;   /* slot the image is linked for; -1 = the target */
    const uint8_t *sign_seed;   /* Ed25519 secret seed (32 bytes) to sign
                                 with, as `fota image sign` does; NULL:
                                 unsigned */
    bool no_key_id;             /* signed, but without the key id TLV */
    bool bad_sig;               /* flip a bit of the signature */
    uint32_t confirm_window_ms; /* header field; 0 = the default */
} tbu_image_t;

/* A fresh, fully erased flash model bound to the host port. */
sim_flash_t *tbu_flash_new(void);
void tbu_flash_free(sim_flash_t *f);

/* cmocka per-test fixture: tbu_setup puts a fresh model (tbu_flash_new)
 * in *state and clears the host port's signing key; tbu_teardown frees it and fails the test (returns -1) if
 * anything was ever programmed over non-erased bits, which the design
 * must never rely on. */
int tbu_setup(void **state);
int tbu_teardown(void **state);

void tbu_image_default(tbu_image_t *img, uint8_t major, uint8_t minor,
                       uint32_t sec_counter);

/* Erase the slot's sectors and program the image into it. */
void tbu_image_write(int slot, const tbu_image_t *img);

/* Flip bit 0 of the byte at slot start + off, directly in the model (a
 * flash bit error, not a program operation). */
void tbu_corrupt(sim_flash_t *f, int slot, uint32_t off);

/* boot_init + boot_decide, as a reset would, with a fresh context. */
void tbu_reboot(boot_ctx_t *ctx, boot_decision_t *d);

#endif /* BOOT_TEST_UTIL_H */
