/*
 * ed25519.c - Ed25519 (RFC 8032, PureEd25519) and the image signature check.
 *
 * Representation, chosen for size and portability over speed:
 * - Field elements mod p = 2^255 - 19 are 16 signed 64-bit limbs of 16 bits
 *   each (radix 2^16). Products of two limbs fit in 34 bits, so a full
 *   16x16 schoolbook product and the fold of its top half (2^256 = 38 mod p)
 *   stay far below 2^62 without any 128-bit type, which Cortex-M lacks.
 *   Limbs are only loosely reduced between operations; fe_pack() produces
 *   the unique canonical value.
 * - Points are extended twisted Edwards coordinates (X:Y:Z:T), x = X/Z,
 *   y = Y/Z, xy = T/Z, and use the complete addition formula of RFC 8032
 *   section 5.1.4 for both addition and doubling (one code path, no special
 *   cases, at the cost of a little speed when doubling).
 * - Scalars mod L are reduced bit by bit (shift in one bit, subtract L if
 *   the remainder reached it): slow by crypto standards but a few
 *   microseconds here, tiny, and constant-time.
 *
 * Constant time: every branch and memory index in field arithmetic, the
 * scalar multiplication ladder and scalar arithmetic depends only on public
 * loop counters, never on secret data, so signing leaks nothing through
 * timing. Point decoding and the final comparison in verification branch on
 * public data only.
 */
#include "fota/fota_ed25519.h"
#include "fota/fota_err.h"
#include "fota/fota_le.h"
#include "fota/fota_sha256.h"
#include "fota/fota_sha512.h"
#include "fota/fota_nomalloc.h"

/* ---- field arithmetic mod p = 2^255 - 19 ------------------------------- */

typedef struct {
    int64_t v[16];
} fe_t;

typedef struct {
    fe_t x, y, z, t;
} ge_t;

/* Constants as 16-bit limbs (expanded by fe_load when used: a quarter of
 * the flash of int64 limbs, which the bootloader would feel):
 * d = -121665 / 121666 mod p, 2d, sqrt(-1) = 2^((p-1)/4), and the base
 * point B (y = 4/5, x even; RFC 8032 section 5.1). */
enum { K_D, K_D2, K_SQRTM1, K_BX, K_BY };
static const uint16_t s_const[5][16] = {
    {0x78a3, 0x1359, 0x4dca, 0x75eb, 0xd8ab, 0x4141, 0x0a4d, 0x0070,
     0xe898, 0x7779, 0x4079, 0x8cc7, 0xfe73, 0x2b6f, 0x6cee, 0x5203},
    {0xf159, 0x26b2, 0x9b94, 0xebd6, 0xb156, 0x8283, 0x149a, 0x00e0,
     0xd130, 0xeef3, 0x80f2, 0x198e, 0xfce7, 0x56df, 0xd9dc, 0x2406},
    {0xa0b0, 0x4a0e, 0x1b27, 0xc4ee, 0xe478, 0xad2f, 0x1806, 0x2f43,
     0xd7a7, 0x3dfb, 0x0099, 0x2b4d, 0xdf0b, 0x4fc1, 0x2480, 0x2b83},
    {0xd51a, 0x8f25, 0x2d60, 0xc956, 0xa7b2, 0x9525, 0xc760, 0x692c,
     0xdc5c, 0xfdd6, 0xe231, 0xc0a4, 0x53fe, 0xcd6e, 0x36d3, 0x2169},
    {0x6658, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666,
     0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666},
};

static void fe_load(fe_t *r, int which)
{
    for (int i = 0; i < 16; i++)
        r->v[i] = s_const[which][i];
}

/* floor(v / 2^16) for v >= -2^62 without shifting a negative number
 * (implementation-defined in C): bias into the unsigned range first. */
static int64_t carry16(int64_t v)
{
    return (int64_t)(((uint64_t)v + ((uint64_t)1 << 62)) >> 16) - ((int64_t)1 << 46);
}

/* Move each limb's excess into the next one; the carry out of the top limb
 * wraps to limb 0 times 38 (2^256 = 2 * 2^255 = 2 * 19 mod p). */
static void fe_carry(fe_t *a)
{
    for (int i = 0; i < 16; i++) {
        int64_t c = carry16(a->v[i]);

        a->v[i] -= c * 65536;
        if (i < 15)
            a->v[i + 1] += c;
        else
            a->v[0] += 38 * c;
    }
}

static void fe_set(fe_t *r, int64_t small)
{
    memset(r, 0, sizeof *r);
    r->v[0] = small;
}

static void fe_add(fe_t *r, const fe_t *a, const fe_t *b)
{
    for (int i = 0; i < 16; i++)
        r->v[i] = a->v[i] + b->v[i];
}

static void fe_sub(fe_t *r, const fe_t *a, const fe_t *b)
{
    for (int i = 0; i < 16; i++)
        r->v[i] = a->v[i] - b->v[i];
}

/* r = a * b. Inputs have limbs below about 2^18 in magnitude (results of
 * fe_carry, or a sum/difference of two), so each column sum is < 2^41 and
 * the folded one < 2^47. r may alias a or b. */
static void fe_mul(fe_t *r, const fe_t *a, const fe_t *b)
{
    int64_t t[31];

    memset(t, 0, sizeof t);
    for (int i = 0; i < 16; i++)
        for (int j = 0; j < 16; j++)
            t[i + j] += a->v[i] * b->v[j];
    for (int i = 0; i < 15; i++)
        t[i] += 38 * t[i + 16];
    memcpy(r->v, t, sizeof r->v);
    fe_carry(r);
    fe_carry(r);
}

/* r = a^2: the cross products a_i a_j (i < j) once, doubled; about half
 * the multiplications of fe_mul. Same bounds. */
static void fe_sq(fe_t *r, const fe_t *a)
{
    int64_t t[31];

    memset(t, 0, sizeof t);
    for (int i = 0; i < 16; i++) {
        t[2 * i] += a->v[i] * a->v[i];
        for (int j = i + 1; j < 16; j++)
            t[i + j] += 2 * a->v[i] * a->v[j];
    }
    for (int i = 0; i < 15; i++)
        t[i] += 38 * t[i + 16];
    memcpy(r->v, t, sizeof r->v);
    fe_carry(r);
    fe_carry(r);
}

/* r = a^(2^255 - 21) = 1/a (Fermat). The exponent is all ones in bits
 * 0..254 except bits 2 and 4; square-and-multiply over public bits. */
static void fe_inv(fe_t *r, const fe_t *a)
{
    fe_t c = *a;

    for (int i = 253; i >= 0; i--) {
        fe_sq(&c, &c);
        if (i != 2 && i != 4)
            fe_mul(&c, &c, a);
    }
    *r = c;
}

/* r = a^((p - 5) / 8) = a^(2^252 - 3): all ones in bits 0..251 but bit 1.
 * Used for the square root in point decoding. */
static void fe_pow2523(fe_t *r, const fe_t *a)
{
    fe_t c = *a;

    for (int i = 250; i >= 0; i--) {
        fe_sq(&c, &c);
        if (i != 1)
            fe_mul(&c, &c, a);
    }
    *r = c;
}

/* Constant-time: swap a and b when bit is 1, leave them when 0. */
static void fe_cswap(fe_t *a, fe_t *b, int64_t bit)
{
    int64_t mask = -bit;

    for (int i = 0; i < 16; i++) {
        int64_t x = mask & (a->v[i] ^ b->v[i]);
        a->v[i] ^= x;
        b->v[i] ^= x;
    }
}

/* Canonical 32-byte little-endian encoding of a mod p. */
static void fe_pack(uint8_t out[32], const fe_t *a)
{
    fe_t t = *a, m;

    /* Three passes bring every limb into [0, 2^16): the value is then
     * below 2^256 < 3p, so at most two subtractions of p remain. */
    fe_carry(&t);
    fe_carry(&t);
    fe_carry(&t);
    for (int pass = 0; pass < 2; pass++) {
        int64_t borrow = 0;

        for (int i = 0; i < 16; i++) {
            int64_t pl = i == 0 ? 0xffed : i == 15 ? 0x7fff : 0xffff;

            m.v[i] = t.v[i] - pl - borrow;
            borrow = (int64_t)((uint64_t)m.v[i] >> 63);
            m.v[i] += borrow * 65536;
        }
        /* borrow 0: t >= p, keep m = t - p. */
        fe_cswap(&t, &m, 1 - borrow);
    }
    for (int i = 0; i < 16; i++) {
        out[2 * i] = (uint8_t)t.v[i];
        out[2 * i + 1] = (uint8_t)(t.v[i] >> 8);
    }
}

/* Load 255 bits (the top bit of byte 31 is ignored). The value may be up
 * to 2^255 - 1, i.e. not reduced; callers that need canonical input check
 * the bytes first. */
static void fe_unpack(fe_t *r, const uint8_t in[32])
{
    for (int i = 0; i < 16; i++)
        r->v[i] = (int64_t)in[2 * i] | ((int64_t)in[2 * i + 1] << 8);
    r->v[15] &= 0x7fff;
}

static int fe_is_odd(const fe_t *a)
{
    uint8_t b[32];

    fe_pack(b, a);
    return b[0] & 1;
}

/* Variable time: only for public values (point decoding). */
static int fe_equal(const fe_t *a, const fe_t *b)
{
    uint8_t x[32], y[32];

    fe_pack(x, a);
    fe_pack(y, b);
    return memcmp(x, y, 32) == 0;
}

/* ---- group: twisted Edwards curve -x^2 + y^2 = 1 + d x^2 y^2 --------- */

static void ge_base(ge_t *p)
{
    fe_load(&p->x, K_BX);
    fe_load(&p->y, K_BY);
    fe_set(&p->z, 1);
    fe_mul(&p->t, &p->x, &p->y);
}

static void ge_neutral(ge_t *p)
{
    fe_set(&p->x, 0);
    fe_set(&p->y, 1);
    fe_set(&p->z, 1);
    fe_set(&p->t, 0);
}

/* r = p + q (RFC 8032 section 5.1.4; complete, so also p = q). r may alias
 * p or q. */
static void ge_add(ge_t *r, const ge_t *p, const ge_t *q)
{
    fe_t a, b, c, d, e, f, g, h;

    fe_sub(&a, &p->y, &p->x);
    fe_sub(&h, &q->y, &q->x);
    fe_mul(&a, &a, &h);          /* A = (Y1-X1)(Y2-X2) */
    fe_add(&b, &p->y, &p->x);
    fe_add(&h, &q->y, &q->x);
    fe_mul(&b, &b, &h);          /* B = (Y1+X1)(Y2+X2) */
    fe_mul(&c, &p->t, &q->t);
    fe_load(&d, K_D2);
    fe_mul(&c, &c, &d);          /* C = T1 2d T2 */
    fe_mul(&d, &p->z, &q->z);
    fe_add(&d, &d, &d);          /* D = 2 Z1 Z2 */
    fe_sub(&e, &b, &a);
    fe_sub(&f, &d, &c);
    fe_add(&g, &d, &c);
    fe_add(&h, &b, &a);
    fe_mul(&r->x, &e, &f);
    fe_mul(&r->y, &g, &h);
    fe_mul(&r->t, &e, &h);
    fe_mul(&r->z, &f, &g);
}

/* r = 2p (RFC 8032 section 5.1.4, doubling): 4 squarings and 4
 * multiplications instead of the 9 multiplications of ge_add. */
static void ge_double(ge_t *r, const ge_t *p)
{
    fe_t a, b, c, e, f, g, h;

    fe_sq(&a, &p->x);
    fe_sq(&b, &p->y);
    fe_sq(&c, &p->z);
    fe_add(&c, &c, &c);          /* C = 2 Z1^2 */
    fe_add(&h, &a, &b);          /* H = A + B */
    fe_add(&e, &p->x, &p->y);
    fe_sq(&e, &e);
    fe_sub(&e, &h, &e);          /* E = H - (X1 + Y1)^2 */
    fe_sub(&g, &a, &b);          /* G = A - B */
    fe_add(&f, &c, &g);          /* F = C + G */
    fe_mul(&r->x, &e, &f);
    fe_mul(&r->y, &g, &h);
    fe_mul(&r->t, &e, &h);
    fe_mul(&r->z, &f, &g);
}

static void ge_cswap(ge_t *p, ge_t *q, int64_t bit)
{
    fe_cswap(&p->x, &q->x, bit);
    fe_cswap(&p->y, &q->y, bit);
    fe_cswap(&p->z, &q->z, bit);
    fe_cswap(&p->t, &q->t, bit);
}

/* r = [s]p for a 256-bit little-endian scalar, as a Montgomery ladder:
 * the same two additions for every bit, the operands exchanged by a
 * masked swap, so the time does not depend on s. */
static void ge_scalarmult(ge_t *r, const ge_t *p, const uint8_t s[32])
{
    ge_t q = *p;

    ge_neutral(r);
    for (int i = 255; i >= 0; i--) {
        int64_t bit = (s[i >> 3] >> (i & 7)) & 1;

        /* Invariant q = r + p. bit 0: (r, q) <- (2r, r + q);
         * bit 1: (r, q) <- (r + q, 2q). */
        ge_cswap(r, &q, bit);
        ge_add(&q, &q, r);
        ge_double(r, r);
        ge_cswap(r, &q, bit);
    }
}

/* r = [s1]p1 + [s2]p2 (Straus: one shared chain of doublings, adding
 * p1, p2 or p1 + p2 by the bit pair). Branches and indexes on the
 * scalars: only for verification, where both are public. */
static void ge_double_scalarmult_vartime(ge_t *r, const ge_t *p1, const uint8_t s1[32],
                                         const ge_t *p2, const uint8_t s2[32])
{
    ge_t sum;

    ge_add(&sum, p1, p2);
    ge_neutral(r);
    for (int i = 255; i >= 0; i--) {
        int b1 = (s1[i >> 3] >> (i & 7)) & 1;
        int b2 = (s2[i >> 3] >> (i & 7)) & 1;

        ge_double(r, r);
        if (b1 && b2)
            ge_add(r, r, &sum);
        else if (b1)
            ge_add(r, r, p1);
        else if (b2)
            ge_add(r, r, p2);
    }
}

/* Encoding (section 5.1.2): y, with the low bit of x in bit 255. */
static void ge_pack(uint8_t out[32], const ge_t *p)
{
    fe_t zi, x, y;

    fe_inv(&zi, &p->z);
    fe_mul(&x, &p->x, &zi);
    fe_mul(&y, &p->y, &zi);
    fe_pack(out, &y);
    out[31] ^= (uint8_t)(fe_is_odd(&x) << 7);
}

/* Is the 255-bit y in in[] (bit 255 masked off) at least p? Only
 * 2^255-19 .. 2^255-1 are: 0x7f, 30 x 0xff, then a low byte >= 0xed. */
static int y_not_canonical(const uint8_t in[32])
{
    if ((in[31] & 0x7f) != 0x7f || in[0] < 0xed)
        return 0;
    for (int i = 1; i < 31; i++)
        if (in[i] != 0xff)
            return 0;
    return 1;
}

/* Decoding (section 5.1.3). Returns 0, or -1 for a non-canonical y, a y
 * with no x on the curve, or the sign bit set with x = 0. */
static int ge_unpack(ge_t *p, const uint8_t in[32])
{
    fe_t u, v, v3, t, chk;
    int sign = in[31] >> 7;

    if (y_not_canonical(in))
        return -1;
    fe_unpack(&p->y, in);
    fe_set(&p->z, 1);
    /* x^2 = u / v with u = y^2 - 1, v = d y^2 + 1. */
    fe_sq(&u, &p->y);
    fe_load(&v, K_D);
    fe_mul(&v, &u, &v);
    fe_sub(&u, &u, &p->z);
    fe_add(&v, &v, &p->z);
    /* Candidate root x = u v^3 (u v^7)^((p-5)/8). */
    fe_sq(&v3, &v);
    fe_mul(&v3, &v3, &v);        /* v^3 */
    fe_sq(&t, &v3);
    fe_mul(&t, &t, &v);          /* v^7 */
    fe_mul(&t, &t, &u);          /* u v^7 */
    fe_pow2523(&t, &t);
    fe_mul(&t, &t, &v3);
    fe_mul(&p->x, &t, &u);
    /* v x^2 is u (x is a root), -u (x * sqrt(-1) is), or neither. */
    fe_sq(&chk, &p->x);
    fe_mul(&chk, &chk, &v);
    if (!fe_equal(&chk, &u)) {
        fe_t neg_u, zero;

        fe_set(&zero, 0);
        fe_sub(&neg_u, &zero, &u);
        if (!fe_equal(&chk, &neg_u))
            return -1;
        fe_load(&chk, K_SQRTM1);
        fe_mul(&p->x, &p->x, &chk);
    }
    if (fe_is_odd(&p->x) != sign) {
        fe_t zero;

        fe_set(&zero, 0);
        /* x = 0 has no negative: "-0" is a second encoding of the point. */
        if (fe_equal(&p->x, &zero))
            return -1;
        fe_sub(&p->x, &zero, &p->x);
    }
    fe_mul(&p->t, &p->x, &p->y);
    return 0;
}

/* ---- scalars mod L = 2^252 + 27742317777372353535851937790883648493 -- */

static const uint32_t s_l[8] = {
    0x5cf5d3ed, 0x5812631a, 0xa2f79cd6, 0x14def9de, 0, 0, 0, 0x10000000,
};

/* out = in mod L for a little-endian number of in_len <= 64 bytes. Long
 * division one bit at a time: r < L before each step, so 2r + bit < 2L and
 * one conditional subtraction, done with a mask, restores r < L. */
static void sc_reduce(uint8_t out[32], const uint8_t *in, size_t in_len)
{
    uint32_t r[8], t[8];

    memset(r, 0, sizeof r);
    for (size_t i = in_len * 8; i-- > 0;) {
        uint32_t bit = (in[i >> 3] >> (i & 7)) & 1u;
        uint64_t borrow = 0;
        uint32_t keep;

        for (int w = 7; w > 0; w--)
            r[w] = (r[w] << 1) | (r[w - 1] >> 31);
        r[0] = (r[0] << 1) | bit;
        for (int w = 0; w < 8; w++) {
            uint64_t d = (uint64_t)r[w] - s_l[w] - borrow;
            t[w] = (uint32_t)d;
            borrow = d >> 63;
        }
        /* borrow: r < L, keep r; otherwise take t = r - L. */
        keep = (uint32_t)0 - (uint32_t)borrow;
        for (int w = 0; w < 8; w++)
            r[w] = (r[w] & keep) | (t[w] & ~keep);
    }
    for (int w = 0; w < 8; w++)
        fota_put_le32(out + 4 * w, r[w]);
}

/* out = (a * b + c) mod L for 32-byte little-endian a, b (< 2^256), c. */
static void sc_muladd(uint8_t out[32], const uint8_t a[32], const uint8_t b[32],
                      const uint8_t c[32])
{
    uint32_t x[8], y[8], z[16];
    uint8_t wide[64];
    uint64_t carry;

    for (int i = 0; i < 8; i++) {
        x[i] = fota_get_le32(a + 4 * i);
        y[i] = fota_get_le32(b + 4 * i);
    }
    memset(z, 0, sizeof z);
    for (int i = 0; i < 8; i++) {
        carry = 0;
        for (int j = 0; j < 8; j++) {
            uint64_t m = (uint64_t)x[i] * y[j] + z[i + j] + carry;
            z[i + j] = (uint32_t)m;
            carry = m >> 32;
        }
        z[i + 8] = (uint32_t)carry;
    }
    /* + c. a, b are at most 2^255 and L-sized here, so no carry out. */
    carry = 0;
    for (int i = 0; i < 16; i++) {
        uint64_t s = (uint64_t)z[i] + (i < 8 ? fota_get_le32(c + 4 * i) : 0) + carry;
        z[i] = (uint32_t)s;
        carry = s >> 32;
    }
    for (int i = 0; i < 16; i++)
        fota_put_le32(wide + 4 * i, z[i]);
    sc_reduce(out, wide, sizeof wide);
    memset(wide, 0, sizeof wide);
    memset(z, 0, sizeof z);
}

/* Is the 32-byte little-endian s below L? (public data, variable time) */
static int sc_is_canonical(const uint8_t s[32])
{
    for (int w = 7; w >= 0; w--) {
        uint32_t v = fota_get_le32(s + 4 * w);
        if (v != s_l[w])
            return v < s_l[w];
    }
    return 0; /* s == L */
}

/* ---- Ed25519 -------------------------------------------------------- */

/* SHA-512 of the seed: the clamped secret scalar a (first half) and the
 * nonce prefix (second half), section 5.1.5. */
static void expand_seed(uint8_t h[64], const uint8_t seed[FOTA_ED25519_SEED_SIZE])
{
    fota_sha512(seed, FOTA_ED25519_SEED_SIZE, h);
    h[0] &= 248;
    h[31] &= 127;
    h[31] |= 64;
}

void fota_ed25519_pubkey(uint8_t pub[FOTA_ED25519_PUB_SIZE],
                         const uint8_t seed[FOTA_ED25519_SEED_SIZE])
{
    uint8_t h[64];
    ge_t a, b;

    expand_seed(h, seed);
    ge_base(&b);
    ge_scalarmult(&a, &b, h);
    ge_pack(pub, &a);
    memset(h, 0, sizeof h);
    memset(&a, 0, sizeof a);
}

/* k = SHA-512(R || A || M) mod L (sections 5.1.6 step 4, 5.1.7 step 2). */
static void challenge(uint8_t k[32], const uint8_t r_enc[32],
                      const uint8_t pub[FOTA_ED25519_PUB_SIZE], const void *msg,
                      size_t msg_len)
{
    fota_sha512_t sha;
    uint8_t h[64];

    fota_sha512_init(&sha);
    fota_sha512_update(&sha, r_enc, 32);
    fota_sha512_update(&sha, pub, FOTA_ED25519_PUB_SIZE);
    fota_sha512_update(&sha, msg, msg_len);
    fota_sha512_final(&sha, h);
    sc_reduce(k, h, sizeof h);
}

void fota_ed25519_sign(uint8_t sig[FOTA_ED25519_SIG_SIZE], const void *msg,
                       size_t msg_len, const uint8_t seed[FOTA_ED25519_SEED_SIZE],
                       const uint8_t pub[FOTA_ED25519_PUB_SIZE])
{
    fota_sha512_t sha;
    uint8_t h[64], nonce[64], r[32], k[32];
    ge_t rp, b;

    expand_seed(h, seed);
    /* r = SHA-512(prefix || M) mod L: deterministic, never reused for two
     * messages, no randomness needed at signing time. */
    fota_sha512_init(&sha);
    fota_sha512_update(&sha, h + 32, 32);
    fota_sha512_update(&sha, msg, msg_len);
    fota_sha512_final(&sha, nonce);
    sc_reduce(r, nonce, sizeof nonce);
    ge_base(&b);
    ge_scalarmult(&rp, &b, r);
    ge_pack(sig, &rp);
    challenge(k, sig, pub, msg, msg_len);
    /* S = (r + k a) mod L */
    sc_muladd(sig + 32, k, h, r);
    memset(h, 0, sizeof h);
    memset(nonce, 0, sizeof nonce);
    memset(r, 0, sizeof r);
    memset(&rp, 0, sizeof rp);
}

int fota_ed25519_verify(const uint8_t sig[FOTA_ED25519_SIG_SIZE], const void *msg,
                        size_t msg_len, const uint8_t pub[FOTA_ED25519_PUB_SIZE])
{
    uint8_t k[32], chk[32];
    ge_t a, b, sum;

    /* S >= L would give a second valid signature (S + L) for the same
     * message: malleability, refused by RFC 8032. */
    if (!sc_is_canonical(sig + 32))
        return FOTA_ERR_AUTH;
    if (ge_unpack(&a, pub) != 0)
        return FOTA_ERR_AUTH;
    /* R is compared by encoding below; decoding it first also refuses a
     * non-canonical or off-curve R outright. */
    if (ge_unpack(&b, sig) != 0)
        return FOTA_ERR_AUTH;
    challenge(k, sig, pub, msg, msg_len);
    /* [S]B + [k](-A) must equal R. */
    {
        fe_t zero;

        fe_set(&zero, 0);
        fe_sub(&a.x, &zero, &a.x);
        fe_sub(&a.t, &zero, &a.t);
    }
    ge_base(&b);
    ge_double_scalarmult_vartime(&sum, &b, sig + 32, &a, k);
    ge_pack(chk, &sum);
    return memcmp(chk, sig, 32) == 0 ? 0 : FOTA_ERR_AUTH;
}

void fota_ed25519_key_id(uint8_t id[FOTA_ED25519_KEY_ID_SIZE],
                         const uint8_t pub[FOTA_ED25519_PUB_SIZE])
{
    uint8_t d[FOTA_SHA256_SIZE];

    fota_sha256(pub, FOTA_ED25519_PUB_SIZE, d);
    memcpy(id, d, FOTA_ED25519_KEY_ID_SIZE);
}

int fota_ed25519_verify_image(const fota_image_hdr_t *hdr,
                              const uint8_t pub[FOTA_ED25519_PUB_SIZE])
{
    const uint8_t *sig = NULL, *kid = NULL;
    uint8_t want[FOTA_ED25519_KEY_ID_SIZE];
    int rc;

    rc = fota_image_tlv_find(hdr, FOTA_TLV_ED25519_SIG, &sig);
    if (rc != FOTA_ED25519_SIG_SIZE)
        return FOTA_ERR_AUTH;
    /* The key id is optional (it only helps pick a key during rotation),
     * but when present it must name this key: an image signed by another
     * key is refused with a clear cause instead of a bad signature. */
    rc = fota_image_tlv_find(hdr, FOTA_TLV_KEY_ID, &kid);
    if (rc != FOTA_ERR_NOENT) {
        if (rc != FOTA_ED25519_KEY_ID_SIZE)
            return FOTA_ERR_AUTH;
        fota_ed25519_key_id(want, pub);
        if (memcmp(want, kid, sizeof want) != 0)
            return FOTA_ERR_AUTH;
    }
    return fota_ed25519_verify(sig, hdr->sha256, sizeof hdr->sha256, pub);
}
