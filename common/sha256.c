/*
 * sha256.c - streaming SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104).
 *
 * Straightforward rolled implementation: the bootloader hashes at most one
 * slot (384 KiB) per boot, so code size matters more than the last cycle.
 */
#include "fota/fota_sha256.h"
#include "fota/fota_nomalloc.h"

static const uint32_t s_k[64] = {
    0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu,
    0x59f111f1u, 0x923f82a4u, 0xab1c5ed5u, 0xd807aa98u, 0x12835b01u,
    0x243185beu, 0x550c7dc3u, 0x72be5d74u, 0x80deb1feu, 0x9bdc06a7u,
    0xc19bf174u, 0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu,
    0x2de92c6fu, 0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau, 0x983e5152u,
    0xa831c66du, 0xb00327c8u, 0xbf597fc7u, 0xc6e00bf3u, 0xd5a79147u,
    0x06ca6351u, 0x14292967u, 0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu,
    0x53380d13u, 0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u,
    0xa2bfe8a1u, 0xa81a664bu, 0xc24b8b70u, 0xc76c51a3u, 0xd192e819u,
    0xd6990624u, 0xf40e3585u, 0x106aa070u, 0x19a4c116u, 0x1e376c08u,
    0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu,
    0x682e6ff3u, 0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u,
    0x90befffau, 0xa4506cebu, 0xbef9a3f7u, 0xc67178f2u,
};

static uint32_t rotr(uint32_t x, unsigned n)
{
    return (x >> n) | (x << (32u - n));
}

/* SHA-256 words are big-endian, independent of the CPU. */
static uint32_t get_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
           ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* One compression. The message schedule is kept as a 16-word ring rather
 * than all 64 words: 192 bytes less stack, which the bootloader feels. */
static void sha256_block(uint32_t state[8], const uint8_t block[FOTA_SHA256_BLOCK])
{
    uint32_t w[16];
    uint32_t v[8];

    for (int i = 0; i < 16; i++)
        w[i] = get_be32(block + 4 * i);
    memcpy(v, state, sizeof v);

    for (int i = 0; i < 64; i++) {
        uint32_t wi;
        if (i < 16) {
            wi = w[i];
        } else {
            uint32_t w15 = w[(i - 15) & 15], w2 = w[(i - 2) & 15];
            uint32_t s0 = rotr(w15, 7) ^ rotr(w15, 18) ^ (w15 >> 3);
            uint32_t s1 = rotr(w2, 17) ^ rotr(w2, 19) ^ (w2 >> 10);
            wi = w[i & 15] + s0 + w[(i - 7) & 15] + s1;
            w[i & 15] = wi;
        }
        /* v[0..7] = a..h */
        uint32_t e = v[4], a = v[0];
        uint32_t S1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
        uint32_t ch = (e & v[5]) ^ (~e & v[6]);
        uint32_t t1 = v[7] + S1 + ch + s_k[i] + wi;
        uint32_t S0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
        uint32_t maj = (a & v[1]) ^ (a & v[2]) ^ (v[1] & v[2]);
        v[7] = v[6];
        v[6] = v[5];
        v[5] = v[4];
        v[4] = v[3] + t1;
        v[3] = v[2];
        v[2] = v[1];
        v[1] = v[0];
        v[0] = t1 + S0 + maj;
    }
    for (int i = 0; i < 8; i++)
        state[i] += v[i];
}

void fota_sha256_init(fota_sha256_t *ctx)
{
    static const uint32_t iv[8] = {
        0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au,
        0x510e527fu, 0x9b05688cu, 0x1f83d9abu, 0x5be0cd19u,
    };

    memcpy(ctx->state, iv, sizeof iv);
    ctx->total_len = 0;
    ctx->buf_len = 0;
}

void fota_sha256_update(fota_sha256_t *ctx, const void *data, size_t len)
{
    const uint8_t *p = data;

    ctx->total_len += len;
    if (ctx->buf_len > 0) {
        size_t take = FOTA_SHA256_BLOCK - ctx->buf_len;
        if (take > len)
            take = len;
        memcpy(ctx->buf + ctx->buf_len, p, take);
        ctx->buf_len += take;
        p += take;
        len -= take;
        if (ctx->buf_len < FOTA_SHA256_BLOCK)
            return;
        sha256_block(ctx->state, ctx->buf);
        ctx->buf_len = 0;
    }
    /* Whole blocks straight from the caller's buffer (flash, on target). */
    while (len >= FOTA_SHA256_BLOCK) {
        sha256_block(ctx->state, p);
        p += FOTA_SHA256_BLOCK;
        len -= FOTA_SHA256_BLOCK;
    }
    if (len > 0) {
        memcpy(ctx->buf, p, len);
        ctx->buf_len = len;
    }
}

void fota_sha256_final(fota_sha256_t *ctx, uint8_t digest[FOTA_SHA256_SIZE])
{
    uint64_t bits = ctx->total_len * 8u;
    size_t n = ctx->buf_len;

    ctx->buf[n++] = 0x80;
    if (n > FOTA_SHA256_BLOCK - 8) {
        memset(ctx->buf + n, 0, FOTA_SHA256_BLOCK - n);
        sha256_block(ctx->state, ctx->buf);
        n = 0;
    }
    memset(ctx->buf + n, 0, FOTA_SHA256_BLOCK - 8 - n);
    put_be32(ctx->buf + 56, (uint32_t)(bits >> 32));
    put_be32(ctx->buf + 60, (uint32_t)bits);
    sha256_block(ctx->state, ctx->buf);

    for (int i = 0; i < 8; i++)
        put_be32(digest + 4 * i, ctx->state[i]);
    /* Leave nothing of the message behind in the context. */
    memset(ctx, 0, sizeof *ctx);
}

void fota_sha256(const void *data, size_t len, uint8_t digest[FOTA_SHA256_SIZE])
{
    fota_sha256_t ctx;

    fota_sha256_init(&ctx);
    fota_sha256_update(&ctx, data, len);
    fota_sha256_final(&ctx, digest);
}

void fota_hmac_sha256(const void *key, size_t key_len, const void *msg,
                      size_t msg_len, uint8_t mac[FOTA_SHA256_SIZE])
{
    uint8_t k[FOTA_SHA256_BLOCK];
    uint8_t pad[FOTA_SHA256_BLOCK];
    uint8_t inner[FOTA_SHA256_SIZE];
    fota_sha256_t ctx;

    /* Keys longer than a block are hashed first; shorter ones zero-padded. */
    memset(k, 0, sizeof k);
    if (key_len > FOTA_SHA256_BLOCK)
        fota_sha256(key, key_len, k);
    else if (key_len > 0)
        memcpy(k, key, key_len);

    for (size_t i = 0; i < sizeof pad; i++)
        pad[i] = (uint8_t)(k[i] ^ 0x36u);
    fota_sha256_init(&ctx);
    fota_sha256_update(&ctx, pad, sizeof pad);
    fota_sha256_update(&ctx, msg, msg_len);
    fota_sha256_final(&ctx, inner);

    for (size_t i = 0; i < sizeof pad; i++)
        pad[i] = (uint8_t)(k[i] ^ 0x5cu);
    fota_sha256_init(&ctx);
    fota_sha256_update(&ctx, pad, sizeof pad);
    fota_sha256_update(&ctx, inner, sizeof inner);
    fota_sha256_final(&ctx, mac);

    memset(k, 0, sizeof k);
    memset(pad, 0, sizeof pad);
}
