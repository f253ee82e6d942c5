/*
 * fota_sha512.h - streaming SHA-512 (FIPS 180-4). No heap, no OS, any
 * context. Ed25519 (fota_ed25519.h) is built on it.
 */
#ifndef FOTA_SHA512_H
#define FOTA_SHA512_H

#include <stddef.h>
#include <stdint.h>

#define FOTA_SHA512_SIZE 64
#define FOTA_SHA512_BLOCK 128

typedef struct fota_sha512 {
    uint64_t state[8];
    uint64_t total_len; /* bytes hashed so far (messages < 2^61 bytes) */
    uint8_t buf[FOTA_SHA512_BLOCK];
    size_t buf_len;
} fota_sha512_t;

void fota_sha512_init(fota_sha512_t *ctx);
void fota_sha512_update(fota_sha512_t *ctx, const void *data, size_t len);
/* Write the digest and wipe the context. */
void fota_sha512_final(fota_sha512_t *ctx, uint8_t digest[FOTA_SHA512_SIZE]);

/* One-shot convenience. */
void fota_sha512(const void *data, size_t len,
                 uint8_t digest[FOTA_SHA512_SIZE]);

#endif /* FOTA_SHA512_H */
