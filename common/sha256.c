/*
 * sha256.c - streaming SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104).
 *
 * The bootloader hashes a whole slot (up to 384 KiB) on a trial's first
 * boot and at commit, so the compression is written for speed: 16 rounds
 * per pass with the working variables renamed instead of moved, the
 * message schedule as a rolling 16-word window updated in place, and
 * big-endian loads that the compiler turns into LDR + REV on the
 * Cortex-M4. Blocks are hashed straight from the caller's buffer (flash,
 * on target).
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

#define ROR(x, n) (((x) >> (n)) | ((x) << (32u - (n))))
#define BSIG0(a) (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22))
#define BSIG1(e) (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25))
#define SSIG0(x) (ROR(x, 7) ^ ROR(x, 18) ^ ((x) >> 3))
#define SSIG1(x) (ROR(x, 17) ^ ROR(x, 19) ^ ((x) >> 10))
/* Ch and Maj (FIPS 180-4 4.1.2) with one operation fewer each. */
#define CH(e, f, g) ((((f) ^ (g)) & (e)) ^ (g))
#define MAJ(a, b, c) (((a) & (b)) | ((c) & ((a) | (b))))

/* One round: only d and h change; the caller rotates the names. */
#define ROUND(a, b, c, d, e, f, g, h, i)                                          \
    do {                                                                          \
        uint32_t t1_ = (h) + BSIG1(e) + CH(e, f, g) + s_k[r + (i)] + w[i];        \
        (d) += t1_;                                                               \
        (h) = t1_ + BSIG0(a) + MAJ(a, b, c);                                      \
    } while (0)

/* W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16] in the 16-word ring. */
#define SCHED(i)                                                                  \
    (w[i] += SSIG1(w[((i) + 14) & 15]) + w[((i) + 9) & 15] + SSIG0(w[((i) + 1) & 15]))

static void sha256_block(uint32_t state[8], const uint8_t block[FOTA_SHA256_BLOCK])
{
    uint32_t w[16];
    uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
    uint32_t e = state[4], f = state[5], g = state[6], h = state[7];

    for (int i = 0; i < 16; i++)
        w[i] = get_be32(block + 4 * i);
    for (int r = 0; r < 64; r += 16) {
        if (r > 0) {
            SCHED(0); SCHED(1); SCHED(2); SCHED(3);
            SCHED(4); SCHED(5); SCHED(6); SCHED(7);
            SCHED(8); SCHED(9); SCHED(10); SCHED(11);
            SCHED(12); SCHED(13); SCHED(14); SCHED(15);
        }
        ROUND(a, b, c, d, e, f, g, h, 0);
        ROUND(h, a, b, c, d, e, f, g, 1);
        ROUND(g, h, a, b, c, d, e, f, 2);
        ROUND(f, g, h, a, b, c, d, e, 3);
        ROUND(e, f, g, h, a, b, c, d, 4);
        ROUND(d, e, f, g, h, a, b, c, 5);
        ROUND(c, d, e, f, g, h, a, b, 6);
        ROUND(b, c, d, e, f, g, h, a, 7);
        ROUND(a, b, c, d, e, f, g, h, 8);
        ROUND(h, a, b, c, d, e, f, g, 9);
        ROUND(g, h, a, b, c, d, e, f, 10);
        ROUND(f, g, h, a, b, c, d, e, 11);
        ROUND(e, f, g, h, a, b, c, d, 12);
        ROUND(d, e, f, g, h, a, b, c, 13);
        ROUND(c, d, e, f, g, h, a, b, 14);
        ROUND(b, c, d, e, f, g, h, a, 15);
    }
    state[0] += a;
    state[1] += b;
    state[2] += c;
    state[3] += d;
    state[4] += e;
    state[5] += f;
    state[6] += g;
    state[7] += h;
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
