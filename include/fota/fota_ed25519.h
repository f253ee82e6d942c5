/*
 * fota_ed25519.h - Ed25519 signatures (RFC 8032, PureEd25519) and the
 * image signature check built on them.
 *
 * Portable C11 (with Thumb-2 field arithmetic on the Cortex-M4), no heap;
 * a 3 KiB table of base-point multiples. Signing and key derivation run in
 * constant time (the host tool holds the secret seed); verification
 * handles only public data and is not hardened against timing.
 * Verification needs about 3 KiB of stack.
 */
#ifndef FOTA_ED25519_H
#define FOTA_ED25519_H

#include <stddef.h>
#include <stdint.h>

#include "fota_image.h"

#define FOTA_ED25519_SEED_SIZE 32  /* the secret key: a random seed */
#define FOTA_ED25519_PUB_SIZE 32   /* encoded point A */
#define FOTA_ED25519_SIG_SIZE 64   /* R (32) || S (32) */
#define FOTA_ED25519_KEY_ID_SIZE 8 /* first bytes of SHA-256(public key) */

/* Derive the public key from a 32-byte seed (RFC 8032 section 5.1.5). */
void fota_ed25519_pubkey(uint8_t pub[FOTA_ED25519_PUB_SIZE],
                         const uint8_t seed[FOTA_ED25519_SEED_SIZE]);

/* Sign msg (section 5.1.6). pub must be fota_ed25519_pubkey(seed); it is
 * passed in to save a scalar multiplication. */
void fota_ed25519_sign(uint8_t sig[FOTA_ED25519_SIG_SIZE], const void *msg,
                       size_t msg_len,
                       const uint8_t seed[FOTA_ED25519_SEED_SIZE],
                       const uint8_t pub[FOTA_ED25519_PUB_SIZE]);

/* Verify sig over msg with pub (section 5.1.7, the unbatched equation
 * [S]B = R + [k]A). Rejects S >= L and non-canonical or off-curve
 * encodings of A and R. Returns 0 or FOTA_ERR_AUTH. */
int fota_ed25519_verify(const uint8_t sig[FOTA_ED25519_SIG_SIZE],
                        const void *msg, size_t msg_len,
                        const uint8_t pub[FOTA_ED25519_PUB_SIZE]);

/* Key id of a public key: the first 8 bytes of its SHA-256 (the value of
 * the FOTA_TLV_KEY_ID record). */
void fota_ed25519_key_id(uint8_t id[FOTA_ED25519_KEY_ID_SIZE],
                         const uint8_t pub[FOTA_ED25519_PUB_SIZE]);

/* Check a decoded image header's signature: the FOTA_TLV_ED25519_SIG record
 * must be a valid signature by pub of the 32-byte sha256 field and, if a
 * FOTA_TLV_KEY_ID record is present, it must name pub. The caller must
 * already have checked that sha256 matches the header and body: this only
 * proves who produced that hash. Returns 0, or FOTA_ERR_AUTH (missing,
 * malformed or wrong signature, other key). */
int fota_ed25519_verify_image(const fota_image_hdr_t *hdr,
                              const uint8_t pub[FOTA_ED25519_PUB_SIZE]);

#endif /* FOTA_ED25519_H */
