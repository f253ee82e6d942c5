/*
 * ed25519.c - Ed25519 (RFC 8032, PureEd25519) and the image signature check.
 *
 * Representation:
 * - Field elements mod p = 2^255 - 19 are eight 32-bit words (radix 2^32),
 *   kept below 2^256 but not fully reduced between operations; fe_pack()
 *   produces the unique canonical value. A product is the 8 x 8 schoolbook
 *   of (32 x 32 + 32 + 32)-bit steps, the shape of the Cortex-M4's UMAAL
 *   (ARMv7-M ARM A7.7.189), and its top half folds in as 38 times the high
 *   words (2^256 = 38 mod p). Carries are arithmetic, never branches. On
 *   the Cortex-M4 multiplication, addition and subtraction are Thumb-2
 *   inline assembly of the same steps (GCC does not emit UMAAL).
 * - Points are extended twisted Edwards coordinates (X:Y:Z:T), x = X/Z,
 *   y = Y/Z, xy = T/Z, with the addition of RFC 8032 section 5.1.4
 *   (complete on this curve) split as in "Twisted Edwards curves
 *   revisited" (Hisil, Wong, Carter, Dawson 2008): an addition or doubling
 *   yields a "completed" point (X:Z, Y:T), and the next step converts only
 *   what it needs (3 multiplications to (X:Y:Z), 4 to (X:Y:Z:T)).
 * - Scalars mod L are reduced bit by bit (constant-time, a small share of
 *   the work).
 *
 * Constant time: signing and key derivation use the field code (no
 * secret-dependent branch or index) and a Montgomery ladder over the
 * secret scalar. Verification handles public data only and is variable
 * time: inversion and square root by addition chains, [S]B - [k]A by a
 * joint chain of doublings with signed windows (wNAF) of k over a table
 * of A's odd multiples built per call, and of S over a table of B's odd
 * multiples in flash; R is compared in its encoded form.
 */
#include "fota/fota_ed25519.h"
#include "fota/fota_err.h"
#include "fota/fota_le.h"
#include "fota/fota_sha256.h"
#include "fota/fota_sha512.h"
#include "fota/fota_nomalloc.h"

/* ---- field arithmetic mod p = 2^255 - 19 ------------------------------- */

/* Cortex-M4 (ARMv7E-M, Thumb-2): multiplication, addition and subtraction
 * in inline assembly; elsewhere the C forms. */
#if defined(__ARM_ARCH_7EM__) && defined(__thumb2__)
#define FE_THUMB2 1
#endif

typedef struct {
    uint32_t v[8]; /* little-endian words, value < 2^256 */
} fe_t;

/* d = -121665 / 121666 mod p, 2d, and sqrt(-1) = 2^((p-1)/4). */
static const fe_t s_d = {{0x135978a3, 0x75eb4dca, 0x4141d8ab, 0x00700a4d,
                          0x7779e898, 0x8cc74079, 0x2b6ffe73, 0x52036cee}};
static const fe_t s_d2 = {{0x26b2f159, 0xebd69b94, 0x8283b156, 0x00e0149a,
                           0xeef3d130, 0x198e80f2, 0x56dffce7, 0x2406d9dc}};
static const fe_t s_sqrtm1 = {{0x4a0ea0b0, 0xc4ee1b27, 0xad2fe478, 0x2f431806,
                               0x3dfbd7a7, 0x2b4d0099, 0x4fc1df0b, 0x2b832480}};

static void fe_set(fe_t *r, uint32_t small)
{
    r->v[0] = small;
    for (int i = 1; i < 8; i++)
        r->v[i] = 0;
}

#ifndef FE_THUMB2
/* r = a + 38 c for a carry c < 2^27 out of bit 256: the result is again
 * below 2^256 (a second carry leaves a value below 38, and adding 38 once
 * more cannot carry). */
static void fe_fold(fe_t *r, uint32_t c)
{
    uint64_t m = (uint64_t)r->v[0] + (uint64_t)c * 38u;

    r->v[0] = (uint32_t)m;
    for (int i = 1; i < 8; i++) {
        m = (m >> 32) + r->v[i];
        r->v[i] = (uint32_t)m;
    }
    r->v[0] += (uint32_t)(m >> 32) * 38u;
}
#endif

#ifdef FE_THUMB2
/* Thumb-2: one ADDS/ADCS (SUBS/SBCS) chain over the words in registers,
 * then the same folds as the C form below (ARMv7-M ARM A7.7.2, A7.7.124:
 * the carry flag is the carry out, NOT borrow for subtraction). */
static void fe_add(fe_t *r, const fe_t *a, const fe_t *b)
{
    /* clang-format off */
    __asm__ volatile(
        "ldm %[a], {r3-r10}\n\t"
        "ldr r2, [%[b], #0]\n\t"
        "adds r3, r3, r2\n\t"
        "ldr r2, [%[b], #4]\n\t"
        "adcs r4, r4, r2\n\t"
        "ldr r2, [%[b], #8]\n\t"
        "adcs r5, r5, r2\n\t"
        "ldr r2, [%[b], #12]\n\t"
        "adcs r6, r6, r2\n\t"
        "ldr r2, [%[b], #16]\n\t"
        "adcs r7, r7, r2\n\t"
        "ldr r2, [%[b], #20]\n\t"
        "adcs r8, r8, r2\n\t"
        "ldr r2, [%[b], #24]\n\t"
        "adcs r9, r9, r2\n\t"
        "ldr r2, [%[b], #28]\n\t"
        "adcs r10, r10, r2\n\t"
        "mov.w r12, #0\n\t"
        "adc r12, r12, #0\n\t"
        "mov.w r2, #38\n\t"
        "mul r12, r12, r2\n\t"
        "adds r3, r3, r12\n\t"
        "adcs r4, r4, #0\n\t"
        "adcs r5, r5, #0\n\t"
        "adcs r6, r6, #0\n\t"
        "adcs r7, r7, #0\n\t"
        "adcs r8, r8, #0\n\t"
        "adcs r9, r9, #0\n\t"
        "adcs r10, r10, #0\n\t"
        "mov.w r12, #0\n\t"
        "adc r12, r12, #0\n\t"
        "mul r12, r12, r2\n\t"
        "add r3, r3, r12\n\t"
        "stm %[r], {r3-r10}\n\t"
        :
        : [r] "r"(r->v), [a] "r"(a->v), [b] "r"(b->v)
        : "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r12", "cc", "memory");
    /* clang-format on */
}

static void fe_sub(fe_t *r, const fe_t *a, const fe_t *b)
{
    /* clang-format off */
    __asm__ volatile(
        "ldm %[a], {r3-r10}\n\t"
        "ldr r2, [%[b], #0]\n\t"
        "subs r3, r3, r2\n\t"
        "ldr r2, [%[b], #4]\n\t"
        "sbcs r4, r4, r2\n\t"
        "ldr r2, [%[b], #8]\n\t"
        "sbcs r5, r5, r2\n\t"
        "ldr r2, [%[b], #12]\n\t"
        "sbcs r6, r6, r2\n\t"
        "ldr r2, [%[b], #16]\n\t"
        "sbcs r7, r7, r2\n\t"
        "ldr r2, [%[b], #20]\n\t"
        "sbcs r8, r8, r2\n\t"
        "ldr r2, [%[b], #24]\n\t"
        "sbcs r9, r9, r2\n\t"
        "ldr r2, [%[b], #28]\n\t"
        "sbcs r10, r10, r2\n\t"
        "sbc r12, r12, r12\n\t"
        "and r12, r12, #38\n\t"
        "subs r3, r3, r12\n\t"
        "sbcs r4, r4, #0\n\t"
        "sbcs r5, r5, #0\n\t"
        "sbcs r6, r6, #0\n\t"
        "sbcs r7, r7, #0\n\t"
        "sbcs r8, r8, #0\n\t"
        "sbcs r9, r9, #0\n\t"
        "sbcs r10, r10, #0\n\t"
        "sbc r12, r12, r12\n\t"
        "and r12, r12, #38\n\t"
        "sub r3, r3, r12\n\t"
        "stm %[r], {r3-r10}\n\t"
        :
        : [r] "r"(r->v), [a] "r"(a->v), [b] "r"(b->v)
        : "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r12", "cc", "memory");
    /* clang-format on */
}
#else
static void fe_add(fe_t *r, const fe_t *a, const fe_t *b)
{
    uint64_t m = 0;

    for (int i = 0; i < 8; i++) {
        m = (m >> 32) + a->v[i] + b->v[i];
        r->v[i] = (uint32_t)m;
    }
    fe_fold(r, (uint32_t)(m >> 32));
}

/* r = a - b. A borrow out of bit 256 means the words hold a - b + 2^256,
 * which is 38 too much mod p: subtract 38, and once more if that borrows
 * (only a value below 38 can, and it then lands far above 38). */
static void fe_sub(fe_t *r, const fe_t *a, const fe_t *b)
{
    uint64_t m;
    uint32_t borrow = 0;

    for (int i = 0; i < 8; i++) {
        m = (uint64_t)a->v[i] - b->v[i] - borrow;
        r->v[i] = (uint32_t)m;
        borrow = (uint32_t)(m >> 63);
    }
    m = (uint64_t)r->v[0] - borrow * 38u;
    r->v[0] = (uint32_t)m;
    borrow = (uint32_t)(m >> 63);
    for (int i = 1; i < 8; i++) {
        m = (uint64_t)r->v[i] - borrow;
        r->v[i] = (uint32_t)m;
        borrow = (uint32_t)(m >> 63);
    }
    r->v[0] -= borrow * 38u;
}
#endif

static void fe_neg(fe_t *r, const fe_t *a)
{
    fe_t zero;

    fe_set(&zero, 0);
    fe_sub(r, &zero, a);
}

#ifndef FE_THUMB2
/* r = t mod p for a 512-bit t: low half + 38 * high half. */
static void fe_reduce(fe_t *r, const uint32_t t[16])
{
    uint32_t c = 0;

    for (int i = 0; i < 8; i++) {
        uint64_t m = (uint64_t)t[8 + i] * 38u + t[i] + c;
        r->v[i] = (uint32_t)m;
        c = (uint32_t)(m >> 32);
    }
    fe_fold(r, c);
}
#endif

/* r = a * b; r may alias a or b. Each step is hi:lo = x * y + lo + hi,
 * which cannot overflow 64 bits: one UMAAL on the Cortex-M4 (ARMv7-M ARM
 * A7.7.189, 1 cycle per Cortex-M4 TRM table 3-1). GCC 12 turns the C form
 * into UMLAL plus an ADDS/ADC pair and keeps the loops rolled at -Os, so
 * the Thumb-2 build uses the same schoolbook written out: b in r4-r11,
 * two rows of a at a time (each word of t[] loaded and stored once per
 * two products), the 512-bit product in t[], then the fold of the top
 * half and its carry (fe_reduce) with the result in registers. */
#ifdef FE_THUMB2
static void fe_mul(fe_t *r, const fe_t *a, const fe_t *b)
{
    /* t[0..15]: the product; t[16..18]: the result, a and b pointers (the
     * block needs every register but the one holding t). */
    uint32_t t[19];
    register uint32_t *tp __asm__("r0") = t;

    /* Only r's address is taken: the block writes the result there. */
    t[16] = (uint32_t)(uintptr_t)r->v; /* cppcheck-suppress ctuuninitvar */
    t[17] = (uint32_t)(uintptr_t)a->v;
    t[18] = (uint32_t)(uintptr_t)b->v;
    /* clang-format off */
    __asm__ volatile(
        "ldr lr, [r0, #72]\n\t"
        "ldm lr, {r4-r11}\n\t"
        /* rows 0 and 1 */
        "ldr lr, [r0, #68]\n\t"
        "ldr r1, [lr, #0]\n\t"
        "ldr r2, [lr, #4]\n\t"
        "umull lr, r3, r1, r4\n\t"
        "str lr, [r0, #0]\n\t"
        "mov.w r12, #0\n\t"
        "mov.w lr, #0\n\t"
        "umaal lr, r3, r1, r5\n\t"
        "umaal lr, r12, r2, r4\n\t"
        "str lr, [r0, #4]\n\t"
        "mov.w lr, #0\n\t"
        "umaal lr, r3, r1, r6\n\t"
        "umaal lr, r12, r2, r5\n\t"
        "str lr, [r0, #8]\n\t"
        "mov.w lr, #0\n\t"
        "umaal lr, r3, r1, r7\n\t"
        "umaal lr, r12, r2, r6\n\t"
        "str lr, [r0, #12]\n\t"
        "mov.w lr, #0\n\t"
        "umaal lr, r3, r1, r8\n\t"
        "umaal lr, r12, r2, r7\n\t"
        "str lr, [r0, #16]\n\t"
        "mov.w lr, #0\n\t"
        "umaal lr, r3, r1, r9\n\t"
        "umaal lr, r12, r2, r8\n\t"
        "str lr, [r0, #20]\n\t"
        "mov.w lr, #0\n\t"
        "umaal lr, r3, r1, r10\n\t"
        "umaal lr, r12, r2, r9\n\t"
        "str lr, [r0, #24]\n\t"
        "mov.w lr, #0\n\t"
        "umaal lr, r3, r1, r11\n\t"
        "umaal lr, r12, r2, r10\n\t"
        "str lr, [r0, #28]\n\t"
        "umaal r3, r12, r2, r11\n\t"
        "str r3, [r0, #32]\n\t"
        "str r12, [r0, #36]\n\t"
        /* rows 2 and 3 */
        "ldr lr, [r0, #68]\n\t"
        "ldr r1, [lr, #8]\n\t"
        "ldr r2, [lr, #12]\n\t"
        "mov.w r3, #0\n\t"
        "mov.w r12, #0\n\t"
        "ldr lr, [r0, #8]\n\t"
        "umaal lr, r3, r1, r4\n\t"
        "str lr, [r0, #8]\n\t"
        "ldr lr, [r0, #12]\n\t"
        "umaal lr, r3, r1, r5\n\t"
        "umaal lr, r12, r2, r4\n\t"
        "str lr, [r0, #12]\n\t"
        "ldr lr, [r0, #16]\n\t"
        "umaal lr, r3, r1, r6\n\t"
        "umaal lr, r12, r2, r5\n\t"
        "str lr, [r0, #16]\n\t"
        "ldr lr, [r0, #20]\n\t"
        "umaal lr, r3, r1, r7\n\t"
        "umaal lr, r12, r2, r6\n\t"
        "str lr, [r0, #20]\n\t"
        "ldr lr, [r0, #24]\n\t"
        "umaal lr, r3, r1, r8\n\t"
        "umaal lr, r12, r2, r7\n\t"
        "str lr, [r0, #24]\n\t"
        "ldr lr, [r0, #28]\n\t"
        "umaal lr, r3, r1, r9\n\t"
        "umaal lr, r12, r2, r8\n\t"
        "str lr, [r0, #28]\n\t"
        "ldr lr, [r0, #32]\n\t"
        "umaal lr, r3, r1, r10\n\t"
        "umaal lr, r12, r2, r9\n\t"
        "str lr, [r0, #32]\n\t"
        "ldr lr, [r0, #36]\n\t"
        "umaal lr, r3, r1, r11\n\t"
        "umaal lr, r12, r2, r10\n\t"
        "str lr, [r0, #36]\n\t"
        "umaal r3, r12, r2, r11\n\t"
        "str r3, [r0, #40]\n\t"
        "str r12, [r0, #44]\n\t"
        /* rows 4 and 5 */
        "ldr lr, [r0, #68]\n\t"
        "ldr r1, [lr, #16]\n\t"
        "ldr r2, [lr, #20]\n\t"
        "mov.w r3, #0\n\t"
        "mov.w r12, #0\n\t"
        "ldr lr, [r0, #16]\n\t"
        "umaal lr, r3, r1, r4\n\t"
        "str lr, [r0, #16]\n\t"
        "ldr lr, [r0, #20]\n\t"
        "umaal lr, r3, r1, r5\n\t"
        "umaal lr, r12, r2, r4\n\t"
        "str lr, [r0, #20]\n\t"
        "ldr lr, [r0, #24]\n\t"
        "umaal lr, r3, r1, r6\n\t"
        "umaal lr, r12, r2, r5\n\t"
        "str lr, [r0, #24]\n\t"
        "ldr lr, [r0, #28]\n\t"
        "umaal lr, r3, r1, r7\n\t"
        "umaal lr, r12, r2, r6\n\t"
        "str lr, [r0, #28]\n\t"
        "ldr lr, [r0, #32]\n\t"
        "umaal lr, r3, r1, r8\n\t"
        "umaal lr, r12, r2, r7\n\t"
        "str lr, [r0, #32]\n\t"
        "ldr lr, [r0, #36]\n\t"
        "umaal lr, r3, r1, r9\n\t"
        "umaal lr, r12, r2, r8\n\t"
        "str lr, [r0, #36]\n\t"
        "ldr lr, [r0, #40]\n\t"
        "umaal lr, r3, r1, r10\n\t"
        "umaal lr, r12, r2, r9\n\t"
        "str lr, [r0, #40]\n\t"
        "ldr lr, [r0, #44]\n\t"
        "umaal lr, r3, r1, r11\n\t"
        "umaal lr, r12, r2, r10\n\t"
        "str lr, [r0, #44]\n\t"
        "umaal r3, r12, r2, r11\n\t"
        "str r3, [r0, #48]\n\t"
        "str r12, [r0, #52]\n\t"
        /* rows 6 and 7 */
        "ldr lr, [r0, #68]\n\t"
        "ldr r1, [lr, #24]\n\t"
        "ldr r2, [lr, #28]\n\t"
        "mov.w r3, #0\n\t"
        "mov.w r12, #0\n\t"
        "ldr lr, [r0, #24]\n\t"
        "umaal lr, r3, r1, r4\n\t"
        "str lr, [r0, #24]\n\t"
        "ldr lr, [r0, #28]\n\t"
        "umaal lr, r3, r1, r5\n\t"
        "umaal lr, r12, r2, r4\n\t"
        "str lr, [r0, #28]\n\t"
        "ldr lr, [r0, #32]\n\t"
        "umaal lr, r3, r1, r6\n\t"
        "umaal lr, r12, r2, r5\n\t"
        "str lr, [r0, #32]\n\t"
        "ldr lr, [r0, #36]\n\t"
        "umaal lr, r3, r1, r7\n\t"
        "umaal lr, r12, r2, r6\n\t"
        "str lr, [r0, #36]\n\t"
        "ldr lr, [r0, #40]\n\t"
        "umaal lr, r3, r1, r8\n\t"
        "umaal lr, r12, r2, r7\n\t"
        "str lr, [r0, #40]\n\t"
        "ldr lr, [r0, #44]\n\t"
        "umaal lr, r3, r1, r9\n\t"
        "umaal lr, r12, r2, r8\n\t"
        "str lr, [r0, #44]\n\t"
        "ldr lr, [r0, #48]\n\t"
        "umaal lr, r3, r1, r10\n\t"
        "umaal lr, r12, r2, r9\n\t"
        "str lr, [r0, #48]\n\t"
        "ldr lr, [r0, #52]\n\t"
        "umaal lr, r3, r1, r11\n\t"
        "umaal lr, r12, r2, r10\n\t"
        "str lr, [r0, #52]\n\t"
        "umaal r3, r12, r2, r11\n\t"
        "str r3, [r0, #56]\n\t"
        "str r12, [r0, #60]\n\t"
        /* r = t[0..7] + 38 t[8..15], then 38 times the carry out. */
        "movs r12, #0\n\t"
        "movs r2, #38\n\t"
        "ldr r3, [r0, #0]\n\t"
        "ldr r11, [r0, #32]\n\t"
        "umaal r3, r12, r11, r2\n\t"
        "ldr r4, [r0, #4]\n\t"
        "ldr r11, [r0, #36]\n\t"
        "umaal r4, r12, r11, r2\n\t"
        "ldr r5, [r0, #8]\n\t"
        "ldr r11, [r0, #40]\n\t"
        "umaal r5, r12, r11, r2\n\t"
        "ldr r6, [r0, #12]\n\t"
        "ldr r11, [r0, #44]\n\t"
        "umaal r6, r12, r11, r2\n\t"
        "ldr r7, [r0, #16]\n\t"
        "ldr r11, [r0, #48]\n\t"
        "umaal r7, r12, r11, r2\n\t"
        "ldr r8, [r0, #20]\n\t"
        "ldr r11, [r0, #52]\n\t"
        "umaal r8, r12, r11, r2\n\t"
        "ldr r9, [r0, #24]\n\t"
        "ldr r11, [r0, #56]\n\t"
        "umaal r9, r12, r11, r2\n\t"
        "ldr r10, [r0, #28]\n\t"
        "ldr r11, [r0, #60]\n\t"
        "umaal r10, r12, r11, r2\n\t"
        "mul r12, r12, r2\n\t"
        "adds r3, r3, r12\n\t"
        "adcs r4, r4, #0\n\t"
        "adcs r5, r5, #0\n\t"
        "adcs r6, r6, #0\n\t"
        "adcs r7, r7, #0\n\t"
        "adcs r8, r8, #0\n\t"
        "adcs r9, r9, #0\n\t"
        "adcs r10, r10, #0\n\t"
        "mov.w r12, #0\n\t"
        "adc r12, r12, #0\n\t"
        "mul r12, r12, r2\n\t"
        "add r3, r3, r12\n\t"
        "ldr r2, [r0, #64]\n\t"
        "stm r2, {r3-r10}\n\t"
        :
        : "r"(tp)
        : "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11", "r12",
          "lr", "memory");
    /* clang-format on */
}
#else
static void fe_mul_wide(uint32_t t[16], const fe_t *a, const fe_t *b)
{
    uint32_t c = 0;

    for (int j = 0; j < 8; j++) {
        uint64_t m = (uint64_t)a->v[0] * b->v[j] + c;
        t[j] = (uint32_t)m;
        c = (uint32_t)(m >> 32);
    }
    t[8] = c;
    for (int i = 1; i < 8; i++) {
        uint32_t ai = a->v[i];

        c = 0;
        for (int j = 0; j < 8; j++) {
            uint64_t m = (uint64_t)ai * b->v[j] + t[i + j] + c;
            t[i + j] = (uint32_t)m;
            c = (uint32_t)(m >> 32);
        }
        t[i + 8] = c;
    }
}

static void fe_mul(fe_t *r, const fe_t *a, const fe_t *b)
{
    uint32_t t[16];

    fe_mul_wide(t, a, b);
    fe_reduce(r, t);
}
#endif

static void fe_sq(fe_t *r, const fe_t *a)
{
    fe_mul(r, a, a);
}

/* r = a^(2^n) */
static void fe_sqn(fe_t *r, const fe_t *a, int n)
{
    fe_sq(r, a);
    while (--n > 0)
        fe_sq(r, r);
}

/* a^(2^250 - 1) and a^11 (both needed by the two chains below): 249
 * squarings and 11 multiplications. */
static void fe_pow_250(fe_t *r, fe_t *a11, const fe_t *a)
{
    fe_t a2, t, x5, x10, x20, x50, x100;

    fe_sq(&a2, a);        /* 2 */
    fe_sqn(&t, &a2, 2);   /* 8 */
    fe_mul(&t, &t, a);    /* 9 */
    fe_mul(a11, &a2, &t); /* 11 */
    fe_sq(&a2, a11);      /* 22 */
    fe_mul(&x5, &a2, &t); /* 31 = 2^5 - 1 */
    fe_sqn(&t, &x5, 5);
    fe_mul(&x10, &t, &x5); /* 2^10 - 1 */
    fe_sqn(&t, &x10, 10);
    fe_mul(&x20, &t, &x10); /* 2^20 - 1 */
    fe_sqn(&t, &x20, 20);
    fe_mul(&t, &t, &x20); /* 2^40 - 1 */
    fe_sqn(&t, &t, 10);
    fe_mul(&x50, &t, &x10); /* 2^50 - 1 */
    fe_sqn(&t, &x50, 50);
    fe_mul(&x100, &t, &x50); /* 2^100 - 1 */
    fe_sqn(&t, &x100, 100);
    fe_mul(&t, &t, &x100); /* 2^200 - 1 */
    fe_sqn(&t, &t, 50);
    fe_mul(r, &t, &x50); /* 2^250 - 1 */
}

/* r = a^(p - 2) = a^(2^255 - 21) = 1/a (Fermat; 0 for 0). */
static void fe_inv(fe_t *r, const fe_t *a)
{
    fe_t t, a11;

    fe_pow_250(&t, &a11, a);
    fe_sqn(&t, &t, 5);   /* 2^255 - 32 */
    fe_mul(r, &t, &a11); /* 2^255 - 21 */
}

/* r = a^((p - 5) / 8) = a^(2^252 - 3), for the square root. */
static void fe_pow2523(fe_t *r, const fe_t *a)
{
    fe_t t, a11;

    fe_pow_250(&t, &a11, a);
    fe_sqn(&t, &t, 2); /* 2^252 - 4 */
    fe_mul(r, &t, a);  /* 2^252 - 3 */
}

/* Constant-time: swap a and b when bit is 1, leave them when 0. */
static void fe_cswap(fe_t *a, fe_t *b, uint32_t bit)
{
    uint32_t mask = 0u - bit;

    for (int i = 0; i < 8; i++) {
        uint32_t x = mask & (a->v[i] ^ b->v[i]);
        a->v[i] ^= x;
        b->v[i] ^= x;
    }
}

/* Canonical 32-byte little-endian encoding of a mod p. */
static void fe_pack(uint8_t out[32], const fe_t *a)
{
    fe_t t = *a;
    uint32_t q;

    /* Bit 255 is worth 19: t < 2^255 + 19 afterwards. */
    q = t.v[7] >> 31;
    t.v[7] &= 0x7fffffffu;
    {
        uint64_t m = (uint64_t)t.v[0] + q * 19u;

        t.v[0] = (uint32_t)m;
        for (int i = 1; i < 8; i++) {
            m = (m >> 32) + t.v[i];
            t.v[i] = (uint32_t)m;
        }
    }
    /* t >= p exactly when t + 19 reaches bit 255; then t - p (< 38) is
     * that sum without bit 255. */
    {
        uint64_t m = (uint64_t)t.v[0] + 19u;
        fe_t u;

        u.v[0] = (uint32_t)m;
        for (int i = 1; i < 8; i++) {
            m = (m >> 32) + t.v[i];
            u.v[i] = (uint32_t)m;
        }
        q = u.v[7] >> 31;
        u.v[7] &= 0x7fffffffu;
        fe_cswap(&t, &u, q);
    }
    for (int i = 0; i < 8; i++)
        fota_put_le32(out + 4 * i, t.v[i]);
}

/* Load 255 bits (the top bit of byte 31 is ignored). The value may be up
 * to 2^255 - 1, i.e. not reduced; callers that need canonical input check
 * the bytes first. */
static void fe_unpack(fe_t *r, const uint8_t in[32])
{
    for (int i = 0; i < 8; i++)
        r->v[i] = fota_get_le32(in + 4 * i);
    r->v[7] &= 0x7fffffffu;
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

static int fe_is_zero(const fe_t *a)
{
    fe_t zero;

    fe_set(&zero, 0);
    return fe_equal(a, &zero);
}

/* ---- group: twisted Edwards curve -x^2 + y^2 = 1 + d x^2 y^2 --------- */

typedef struct {
    fe_t x, y, z, t; /* extended: x = X/Z, y = Y/Z, xy = T/Z */
} ge_t;

typedef struct {
    fe_t x, y, z; /* projective: x = X/Z, y = Y/Z */
} ge_p2_t;

typedef struct {
    fe_t x, y, z, t; /* completed: x = X/Z, y = Y/T */
} ge_p1p1_t;

typedef struct {
    fe_t ypx, ymx, z, t2d; /* Y + X, Y - X, Z, 2dT: an addend */
} ge_cached_t;

typedef struct {
    fe_t ypx, ymx, xy2d; /* affine addend: y + x, y - x, 2dxy */
} ge_niels_t;

/* The odd multiples B, 3B, ..., 15B of the base point (RFC 8032 section
 * 5.1: y = 4/5, x even) as affine addends, printed by
 * tests/data/gen_ed25519_base.py. 768 bytes: on the STM32F407 the table stays
 * in the bootloader's flash (section .flashdata, boot.ld.in), read only
 * while verifying a signature, when no flash operation is in flight. */
#define BASE_WINDOW 5
#if defined(__arm__) && !defined(__linux__)
#define FOTA_FLASHDATA __attribute__((section(".flashdata.ed25519_base")))
#else
#define FOTA_FLASHDATA
#endif
FOTA_FLASHDATA static const ge_niels_t s_base[1 << (BASE_WINDOW - 2)] = {
    /* 1B */
    {{{0xf58c3b85, 0x2fbc93c6, 0xfb8c0e19, 0xcf932dc6, 0x643d42c2, 0x270b4898,
       0x33d4ba65, 0x07cf9d3a}},
     {{0xd740913e, 0x9d103905, 0xd140beb3, 0xfd399f05, 0x688f8a09, 0xa5c18434,
       0x98f81267, 0x44fd2f92}},
     {{0x877aaa68, 0xabc91205, 0xccaac49e, 0x26d9e823, 0xdd43598c, 0x5a1b7dcb,
       0x9f0c65a8, 0x6f117b68}}},
    /* 3B */
    {{{0x4cee9730, 0xaf25b0a8, 0xe8864b8a, 0x025a8430, 0x9f016732, 0xc11b5002,
       0x9a80f8f4, 0x7a164e1b}},
     {{0xa4fcd265, 0x56611fe8, 0xe5c1ba7d, 0x3bd353fd, 0x214bd6bd, 0x8131f31a,
       0x555bda62, 0x2ab91587}},
     {{0x0dd0d889, 0x14ae933f, 0x1c35da62, 0x58942322, 0x8cf2db4c, 0xd170e545,
       0x12b9b4c6, 0x5a2826af}}},
    /* 5B */
    {{{0x08a5bb33, 0xa212bc44, 0xc75eed02, 0x8d5048c3, 0x5abfec44, 0xdd1beb0c,
       0x46e206eb, 0x2945ccf1}},
     {{0xa447d6ba, 0x7f9182c3, 0x4b2729b7, 0xd50014d1, 0xb864a087, 0xe33cf11c,
       0xeb1b55f3, 0x154a7e73}},
     {{0x812a8285, 0xbcbbdbf1, 0xd0bdd1fc, 0x270e0807, 0x1bbda72d, 0xb41b670b,
       0x6b3bb69a, 0x43aabe69}}},
    /* 7B */
    {{{0x944ea3bf, 0x6b1a5cd0, 0xb39dc0d2, 0x7470353a, 0x28542e49, 0x71b25282,
       0x283c927e, 0x461bea69}},
     {{0xaa3221b1, 0xba6f2c9a, 0x3bba23a7, 0x6ca02153, 0x92192c3a, 0x9dea764f,
       0x2e5317e0, 0x1d6edd5d}},
     {{0x01b8b3a2, 0xf1836dc8, 0x053ea49a, 0xb3035f47, 0x5877adf3, 0x529c41ba,
       0x6a0f90a7, 0x7a9fbb1c}}},
    /* 9B */
    {{{0xa6a8632f, 0x9b2e678a, 0x51bc46c5, 0xa6509e6f, 0xc686f5b5, 0xceb233c9,
       0x8add7f59, 0x34b9ed33}},
     {{0x039d8064, 0xf36e217e, 0xf520419b, 0x98a081b6, 0xe75eb044, 0x96cbc608,
       0xfadc9c8f, 0x49c05a51}},
     {{0x9045af1b, 0x06b4e8bf, 0xa719d22f, 0xe2ff83e8, 0x93d4cf16, 0xaaf6fc29,
       0x1b008b06, 0x73c17202}}},
    /* 11B */
    {{{0x8a802ade, 0x2fbf0084, 0x02302e27, 0xe5d9fecf, 0x17703406, 0x113e8471,
       0x546d8faf, 0x4275aae2}},
     {{0x49864348, 0x315f5b02, 0x77088381, 0x3ed6b369, 0x6a8deb95, 0xa3a07555,
       0x29d5c77f, 0x18ab5980}},
     {{0xfd6089e9, 0xd82b2cc5, 0x3282e4a4, 0x031eb4a1, 0xb51a8622, 0x44311199,
       0xb53df948, 0x3dc65522}}},
    /* 13B */
    {{{0xa2007f6d, 0xbf70c222, 0xb5bcdedb, 0xbf84b39a, 0xfb07ba07, 0x537a0e12,
       0xc346f241, 0x234fd7ee}},
     {{0x327fbf93, 0x506f013b, 0x9b776f6b, 0xaefcebc9, 0xaaad5968, 0x9d12b232,
       0x176024a7, 0x0267882d}},
     {{0x732ea378, 0x5360a119, 0xdf8dd471, 0x2437e6b1, 0x91a7e533, 0xa2ef37f8,
       0xaa097863, 0x497ba6fd}}},
    /* 15B */
    {{{0x13cfeaa0, 0x24cecc03, 0x189c246d, 0x8648c28d, 0xc1f2d4d0, 0x2dbdbdfa,
       0xf12de72b, 0x61e22917}},
     {{0x468ccf0b, 0x040bcd86, 0x2a9910d6, 0xd3829ba4, 0x07b25192, 0x75083008,
       0x18d05ebf, 0x43b5cd42}},
     {{0x9bd0b516, 0x5d9a762f, 0x373fdeee, 0xeb38af4e, 0x93d64270, 0x032e5a7d,
       0x0ae4d842, 0x511d6121}}},
};

static void ge_neutral(ge_t *p)
{
    fe_set(&p->x, 0);
    fe_set(&p->y, 1);
    fe_set(&p->z, 1);
    fe_set(&p->t, 0);
}

static void ge_base(ge_t *p)
{
    /* From the table's first entry: x = (ypx - ymx) / 2, y = (ypx + ymx)
     * / 2, with Z = 2 instead of the halving. */
    fe_sub(&p->x, &s_base[0].ypx, &s_base[0].ymx);
    fe_add(&p->y, &s_base[0].ypx, &s_base[0].ymx);
    fe_set(&p->z, 2);
    fe_mul(&p->t, &p->x, &p->y);
    fe_add(&p->x, &p->x, &p->x);
    fe_add(&p->y, &p->y, &p->y);
    fe_add(&p->z, &p->z, &p->z);
}

static void ge_p1p1_to_p2(ge_p2_t *r, const ge_p1p1_t *p)
{
    fe_mul(&r->x, &p->x, &p->t);
    fe_mul(&r->y, &p->y, &p->z);
    fe_mul(&r->z, &p->z, &p->t);
}

static void ge_p1p1_to_p3(ge_t *r, const ge_p1p1_t *p)
{
    fe_mul(&r->x, &p->x, &p->t);
    fe_mul(&r->y, &p->y, &p->z);
    fe_mul(&r->z, &p->z, &p->t);
    fe_mul(&r->t, &p->x, &p->y);
}

static void ge_to_cached(ge_cached_t *r, const ge_t *p)
{
    fe_add(&r->ypx, &p->y, &p->x);
    fe_sub(&r->ymx, &p->y, &p->x);
    r->z = p->z;
    fe_mul(&r->t2d, &p->t, &s_d2);
}

/* r = 2p for p = (X:Y:Z) (RFC 8032 section 5.1.4, doubling; T is not
 * needed): 4 squarings. */
static void ge_dbl(ge_p1p1_t *r, const fe_t *x, const fe_t *y, const fe_t *z)
{
    fe_t a, b, c, h;

    fe_sq(&a, x);
    fe_sq(&b, y);
    fe_sq(&c, z);
    fe_add(&c, &c, &c); /* C = 2 Z1^2 */
    fe_add(&h, &a, &b); /* H = A + B */
    fe_add(&r->x, x, y);
    fe_sq(&r->x, &r->x);
    fe_sub(&r->x, &h, &r->x); /* E = H - (X1 + Y1)^2 */
    fe_sub(&r->z, &a, &b);    /* G = A - B */
    fe_add(&r->t, &c, &r->z); /* F = C + G */
    r->y = h;                 /* x = E/G, y = H/F */
}

/* r = p + q or p - q (sub = 1; public) for an addend given by Y+X, Y-X
 * and 2dT, with d2z = 2 Z1 Z2 (section 5.1.4, addition): 3
 * multiplications. Negating the addend swaps Y+X and Y-X and negates
 * 2dT. */
static void ge_add_with(ge_p1p1_t *r, const ge_t *p, const fe_t *ypx,
                        const fe_t *ymx, const fe_t *t2d, const fe_t *d2z,
                        int sub)
{
    fe_t a, b, c;

    fe_add(&a, &p->y, &p->x);
    fe_sub(&b, &p->y, &p->x);
    fe_mul(&a, &a, sub ? ymx : ypx); /* (Y1+X1)(Y2+X2) */
    fe_mul(&b, &b, sub ? ypx : ymx); /* (Y1-X1)(Y2-X2) */
    fe_mul(&c, &p->t, t2d);          /* T1 2d T2 */
    fe_sub(&r->x, &a, &b);           /* E */
    fe_add(&r->y, &a, &b);           /* H */
    if (sub) {
        fe_sub(&r->z, d2z, &c);
        fe_add(&r->t, d2z, &c);
    } else {
        fe_add(&r->z, d2z, &c); /* G */
        fe_sub(&r->t, d2z, &c); /* F */
    }
}

/* r = p +/- q, q an extended addend: 4 multiplications. */
static void ge_add_cached(ge_p1p1_t *r, const ge_t *p, const ge_cached_t *q,
                          int sub)
{
    fe_t d;

    fe_mul(&d, &p->z, &q->z);
    fe_add(&d, &d, &d);
    ge_add_with(r, p, &q->ypx, &q->ymx, &q->t2d, &d, sub);
}

/* The same with an affine addend (Z2 = 1): 3 multiplications. */
static void ge_add_niels(ge_p1p1_t *r, const ge_t *p, const ge_niels_t *q,
                         int sub)
{
    fe_t d;

    fe_add(&d, &p->z, &p->z);
    ge_add_with(r, p, &q->ypx, &q->ymx, &q->xy2d, &d, sub);
}

static void ge_cswap(ge_t *p, ge_t *q, uint32_t bit)
{
    fe_cswap(&p->x, &q->x, bit);
    fe_cswap(&p->y, &q->y, bit);
    fe_cswap(&p->z, &q->z, bit);
    fe_cswap(&p->t, &q->t, bit);
}

/* r = [s]p for a 256-bit little-endian scalar, as a Montgomery ladder:
 * the same addition and doubling for every bit, the operands exchanged by
 * a masked swap, so the time does not depend on s. */
static void ge_scalarmult(ge_t *r, const ge_t *p, const uint8_t s[32])
{
    ge_t q = *p;
    ge_cached_t c;
    ge_p1p1_t t;

    ge_neutral(r);
    for (int i = 255; i >= 0; i--) {
        uint32_t bit = (s[i >> 3] >> (i & 7)) & 1u;

        /* Invariant q = r + p. bit 0: (r, q) <- (2r, r + q);
         * bit 1: (r, q) <- (r + q, 2q). */
        ge_cswap(r, &q, bit);
        ge_to_cached(&c, r);
        ge_add_cached(&t, &q, &c, 0);
        ge_p1p1_to_p3(&q, &t);
        ge_dbl(&t, &r->x, &r->y, &r->z);
        ge_p1p1_to_p3(r, &t);
        ge_cswap(r, &q, bit);
    }
}

/* Signed sliding window (width-w NAF) of a scalar below 2^253: digits
 * d[i] odd in (-2^(w-1), 2^(w-1)) or 0, any two non-zero digits at least w
 * apart, sum d[i] 2^i = s. Variable time. */
static void ge_wnaf(int8_t d[256], const uint8_t s[32], int w)
{
    uint8_t bit[256 + 8];
    const int full = 1 << w, half = 1 << (w - 1);

    for (int i = 0; i < 256; i++)
        bit[i] = (uint8_t)((s[i >> 3] >> (i & 7)) & 1u);
    memset(bit + 256, 0, 8);
    for (int i = 0; i < 256; i++) {
        int v = 0;

        d[i] = 0;
        if (!bit[i])
            continue;
        for (int j = 0; j < w; j++)
            v |= bit[i + j] << j;
        for (int j = 0; j < w; j++)
            bit[i + j] = 0;
        if (v & half) {
            /* v - 2^w now, the 2^w carried into bit i + w onwards. */
            int k = i + w;

            v -= full;
            while (bit[k])
                bit[k++] = 0;
            bit[k] = 1;
        }
        d[i] = (int8_t)v;
    }
}

/* r = [s1]B + [s2]p2 for s1, s2 < 2^253 (Straus: one chain of doublings,
 * s1 in width-5 windows over the flash table, s2 in width-5 windows over
 * p2, 3 p2, ..., 15 p2 built here). Public data only. */
#define POINT_WINDOW 5
static void ge_double_scalarmult_vartime(ge_p2_t *r, const uint8_t s1[32],
                                         const ge_t *p2, const uint8_t s2[32])
{
    int8_t d1[256], d2[256];
    ge_cached_t tab[1 << (POINT_WINDOW - 2)];
    ge_p1p1_t t;
    ge_t u, p2x2;
    int i;

    ge_wnaf(d1, s1, BASE_WINDOW);
    ge_wnaf(d2, s2, POINT_WINDOW);
    ge_to_cached(&tab[0], p2);
    ge_dbl(&t, &p2->x, &p2->y, &p2->z);
    ge_p1p1_to_p3(&p2x2, &t);
    for (i = 1; i < (int)(sizeof tab / sizeof tab[0]); i++) {
        ge_add_cached(&t, &p2x2, &tab[i - 1], 0);
        ge_p1p1_to_p3(&u, &t);
        ge_to_cached(&tab[i], &u);
    }
    fe_set(&r->x, 0);
    fe_set(&r->y, 1);
    fe_set(&r->z, 1);
    for (i = 255; i >= 0 && d1[i] == 0 && d2[i] == 0; i--) {
    }
    for (; i >= 0; i--) {
        ge_dbl(&t, &r->x, &r->y, &r->z);
        if (d1[i] != 0) {
            ge_p1p1_to_p3(&u, &t);
            ge_add_niels(&t, &u, &s_base[(d1[i] < 0 ? -d1[i] : d1[i]) / 2],
                         d1[i] < 0);
        }
        if (d2[i] != 0) {
            ge_p1p1_to_p3(&u, &t);
            ge_add_cached(&t, &u, &tab[(d2[i] < 0 ? -d2[i] : d2[i]) / 2],
                          d2[i] < 0);
        }
        ge_p1p1_to_p2(r, &t);
    }
}

/* Encoding (section 5.1.2): y, with the low bit of x in bit 255. */
static void ge_pack(uint8_t out[32], const fe_t *px, const fe_t *py,
                    const fe_t *pz)
{
    fe_t zi, x, y;

    fe_inv(&zi, pz);
    fe_mul(&x, px, &zi);
    fe_mul(&y, py, &zi);
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
 * with no x on the curve, or the sign bit set with x = 0. Variable time. */
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
    fe_mul(&v, &u, &s_d);
    fe_sub(&u, &u, &p->z);
    fe_add(&v, &v, &p->z);
    /* Candidate root x = u v^3 (u v^7)^((p-5)/8). */
    fe_sq(&v3, &v);
    fe_mul(&v3, &v3, &v); /* v^3 */
    fe_sq(&t, &v3);
    fe_mul(&t, &t, &v); /* v^7 */
    fe_mul(&t, &t, &u); /* u v^7 */
    fe_pow2523(&t, &t);
    fe_mul(&t, &t, &v3);
    fe_mul(&p->x, &t, &u);
    /* v x^2 is u (x is a root), -u (x * sqrt(-1) is), or neither. */
    fe_sq(&chk, &p->x);
    fe_mul(&chk, &chk, &v);
    if (!fe_equal(&chk, &u)) {
        fe_t neg_u;

        fe_neg(&neg_u, &u);
        if (!fe_equal(&chk, &neg_u))
            return -1;
        fe_mul(&p->x, &p->x, &s_sqrtm1);
    }
    if (fe_is_odd(&p->x) != sign) {
        /* x = 0 has no negative: "-0" is a second encoding of the point. */
        if (fe_is_zero(&p->x))
            return -1;
        fe_neg(&p->x, &p->x);
    }
    fe_mul(&p->t, &p->x, &p->y);
    return 0;
}

/* ---- scalars mod L = 2^252 + 27742317777372353535851937790883648493 -- */

static const uint32_t s_l[8] = {
    0x5cf5d3ed, 0x5812631a, 0xa2f79cd6, 0x14def9de, 0, 0, 0, 0x10000000,
};

/* out = in mod L for a little-endian number of in_len <= 64 bytes, a
 * byte at a time from the top: r < L before each step, t = 256 r + byte
 * < 2^261, and q = floor(t / 2^252) is the quotient floor(t / L) or one
 * more (L > 2^252 and L - 2^252 < 2^125 make the estimate off by less
 * than 2^-118), so t - q L lies in [-L, L) and one masked addition of L
 * brings it into [0, L). No branch or index depends on the value. */
static void sc_reduce(uint8_t out[32], const uint8_t *in, size_t in_len)
{
    uint32_t r[8] = {0};

    for (size_t k = in_len; k-- > 0;) {
        uint32_t t[9], q, borrow = 0, mask, carry = 0;
        uint64_t prod = 0;

        t[8] = r[7] >> 24;
        for (int w = 7; w > 0; w--)
            t[w] = (r[w] << 8) | (r[w - 1] >> 24);
        t[0] = (r[0] << 8) | in[k];
        q = (t[8] << 4) | (t[7] >> 28);
        for (int w = 0; w < 9; w++) {
            uint64_t d;

            prod = (uint64_t)q * (w < 8 ? s_l[w] : 0u) + (prod >> 32);
            d = (uint64_t)t[w] - (uint32_t)prod - borrow;
            t[w] = (uint32_t)d;
            borrow = (uint32_t)(d >> 63);
        }
        /* borrow out: t - q L < 0, add L back. */
        mask = 0u - borrow;
        for (int w = 0; w < 8; w++) {
            uint64_t a = (uint64_t)t[w] + (s_l[w] & mask) + carry;

            r[w] = (uint32_t)a;
            carry = (uint32_t)(a >> 32);
        }
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
        uint64_t s =
            (uint64_t)z[i] + (i < 8 ? fota_get_le32(c + 4 * i) : 0) + carry;
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
static void expand_seed(uint8_t h[64],
                        const uint8_t seed[FOTA_ED25519_SEED_SIZE])
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
    ge_pack(pub, &a.x, &a.y, &a.z);
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
                       size_t msg_len,
                       const uint8_t seed[FOTA_ED25519_SEED_SIZE],
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
    ge_pack(sig, &rp.x, &rp.y, &rp.z);
    challenge(k, sig, pub, msg, msg_len);
    /* S = (r + k a) mod L */
    sc_muladd(sig + 32, k, h, r);
    memset(h, 0, sizeof h);
    memset(nonce, 0, sizeof nonce);
    memset(r, 0, sizeof r);
    memset(&rp, 0, sizeof rp);
}

int fota_ed25519_verify(const uint8_t sig[FOTA_ED25519_SIG_SIZE],
                        const void *msg, size_t msg_len,
                        const uint8_t pub[FOTA_ED25519_PUB_SIZE])
{
    uint8_t k[32], chk[32];
    ge_t a;
    ge_p2_t sum;

    /* S >= L would give a second valid signature (S + L) for the same
     * message: malleability, refused by RFC 8032. */
    if (!sc_is_canonical(sig + 32))
        return FOTA_ERR_AUTH;
    if (ge_unpack(&a, pub) != 0)
        return FOTA_ERR_AUTH;
    challenge(k, sig, pub, msg, msg_len);
    /* [S]B + [k](-A) must equal R. R is compared as the encoding of the
     * result, which is canonical: a non-canonical or off-curve R (or "-0")
     * never matches, exactly as if R had been decoded and refused. */
    fe_neg(&a.x, &a.x);
    fe_neg(&a.t, &a.t);
    ge_double_scalarmult_vartime(&sum, sig + 32, &a, k);
    ge_pack(chk, &sum.x, &sum.y, &sum.z);
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
