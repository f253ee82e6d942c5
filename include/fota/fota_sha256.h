/*
 * fota_sha256.h - streaming SHA-256 (FIPS 180-4). No heap, no OS, any context.
 */
#ifndef FOTA_SHA256_H
#define FOTA_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define FOTA_SHA256_SIZE 32
#define FOTA_SHA256_BLOCK 64

typedef struct fota_sha256 {
    uint32_t state[8];
    uint64_t total_len; /* bytes hashed so far */
    uint8_t buf[FOTA_SHA256_BLOCK];
    size_t buf_len;
} fota_sha256_t;

void fota_sha256_init(fota_sha256_t *ctx);
void fota_sha256_update(fota_sha256_t *ctx, const void *data, size_t len);
void fota_sha256_final(fota_sha256_t *ctx, uint8_t digest[FOTA_SHA256_SIZE]);

/* One-shot convenience. */
void fota_sha256(const void *data, size_t len,
                 uint8_t digest[FOTA_SHA256_SIZE]);

/* HMAC-SHA256 (RFC 2104), used by the agent's SigV4 signer. */
void fota_hmac_sha256(const void *key, size_t key_len, const void *msg,
                      size_t msg_len, uint8_t mac[FOTA_SHA256_SIZE]);

#endif /* FOTA_SHA256_H */
