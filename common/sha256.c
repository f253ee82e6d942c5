/*
 * sha256.c - streaming SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104).
 *
 * The bootloader hashes a whole slot (up to 384 KiB) on a trial's first
 * boot and at commit, so the compression is written for speed: in C, 16
 * rounds per pass with the working variables renamed instead of moved,
 * the message schedule as a rolling 16-word window updated in place, and
 * big-endian loads that the compiler turns into LDR + REV; on the
 * Cortex-M4 the same algorithm in Thumb-2 with the state in registers.
 * Blocks are hashed straight from the caller's buffer (flash, on target).
 */
#include "fota/fota_sha256.h"
#include "fota/fota_nomalloc.h"

#if defined(__ARM_ARCH_7EM__) && defined(__thumb2__)
#define SHA256_THUMB2 1
#endif

#ifdef SHA256_THUMB2
/* Referenced by name from the Thumb-2 block function below only. */
__attribute__((used))
#endif
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

#ifndef SHA256_THUMB2
/* SHA-256 words are big-endian, independent of the CPU. */
static uint32_t get_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
           ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}
#endif

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

#ifdef SHA256_THUMB2
/*
 * The compression in Thumb-2 for the Cortex-M4: a..h live in r0-r7 for
 * the whole block (the names rotate from round to round instead of the
 * values), the 16-word schedule window on the stack,
 * K through a post-incremented pointer (r11). Maj(a, b, c) =
 * b ^ ((a ^ b) & (b ^ c)), where b ^ c is the previous round's a ^ b
 * (kept in r9/r10 alternately). Sixteen rounds are written out once and
 * run four times (the register names repeat every 8 rounds), the next 16
 * schedule words computed in place between the passes. Big-endian words
 * by LDR + REV (ARMv7-M allows unaligned LDR). About 20 instructions per
 * round and 14 per schedule word; 108 bytes of stack.
 */
void fota_sha256_block_thumb2(uint32_t state[8], const uint8_t *block);
/* clang-format off */
__asm__(
    ".global fota_sha256_block_thumb2\n"
    ".pushsection .text.fota_sha256_block_thumb2,\"ax\",%progbits\n"
    ".balign 4\n"
    ".syntax unified\n"
    ".thumb\n"
    ".thumb_func\n"
    ".type fota_sha256_block_thumb2, %function\n"
    "fota_sha256_block_thumb2:\n"
    "push {r4-r11, lr}\n"
    "sub sp, sp, #72\n"
    "str r0, [sp, #64]\n"
    "ldr r8, [r1, #0]\n"
    "rev r8, r8\n"
    "str r8, [sp, #0]\n"
    "ldr r8, [r1, #4]\n"
    "rev r8, r8\n"
    "str r8, [sp, #4]\n"
    "ldr r8, [r1, #8]\n"
    "rev r8, r8\n"
    "str r8, [sp, #8]\n"
    "ldr r8, [r1, #12]\n"
    "rev r8, r8\n"
    "str r8, [sp, #12]\n"
    "ldr r8, [r1, #16]\n"
    "rev r8, r8\n"
    "str r8, [sp, #16]\n"
    "ldr r8, [r1, #20]\n"
    "rev r8, r8\n"
    "str r8, [sp, #20]\n"
    "ldr r8, [r1, #24]\n"
    "rev r8, r8\n"
    "str r8, [sp, #24]\n"
    "ldr r8, [r1, #28]\n"
    "rev r8, r8\n"
    "str r8, [sp, #28]\n"
    "ldr r8, [r1, #32]\n"
    "rev r8, r8\n"
    "str r8, [sp, #32]\n"
    "ldr r8, [r1, #36]\n"
    "rev r8, r8\n"
    "str r8, [sp, #36]\n"
    "ldr r8, [r1, #40]\n"
    "rev r8, r8\n"
    "str r8, [sp, #40]\n"
    "ldr r8, [r1, #44]\n"
    "rev r8, r8\n"
    "str r8, [sp, #44]\n"
    "ldr r8, [r1, #48]\n"
    "rev r8, r8\n"
    "str r8, [sp, #48]\n"
    "ldr r8, [r1, #52]\n"
    "rev r8, r8\n"
    "str r8, [sp, #52]\n"
    "ldr r8, [r1, #56]\n"
    "rev r8, r8\n"
    "str r8, [sp, #56]\n"
    "ldr r8, [r1, #60]\n"
    "rev r8, r8\n"
    "str r8, [sp, #60]\n"
    "ldm r0, {r0-r7}\n"
    "movw r11, #:lower16:s_k\n"
    "movt r11, #:upper16:s_k\n"
    "add r8, r11, #256\n"
    "str r8, [sp, #68]\n"
    "eor r9, r1, r2\n"
    "1:\n"
    "ldr r12, [sp, #0]\n"
    "ldr lr, [r11], #4\n"
    "add r7, r7, r12\n"
    "add r7, r7, lr\n"
    "eor r8, r5, r6\n"
    "and r8, r8, r4\n"
    "eor r8, r8, r6\n"
    "add r7, r7, r8\n"
    "ror r8, r4, #6\n"
    "eor r8, r8, r4, ror #11\n"
    "eor r8, r8, r4, ror #25\n"
    "add r7, r7, r8\n"
    "add r3, r3, r7\n"
    "eor r10, r0, r1\n"
    "and r9, r9, r10\n"
    "eor r9, r9, r1\n"
    "add r7, r7, r9\n"
    "ror r8, r0, #2\n"
    "eor r8, r8, r0, ror #13\n"
    "eor r8, r8, r0, ror #22\n"
    "add r7, r7, r8\n"
    "ldr r12, [sp, #4]\n"
    "ldr lr, [r11], #4\n"
    "add r6, r6, r12\n"
    "add r6, r6, lr\n"
    "eor r8, r4, r5\n"
    "and r8, r8, r3\n"
    "eor r8, r8, r5\n"
    "add r6, r6, r8\n"
    "ror r8, r3, #6\n"
    "eor r8, r8, r3, ror #11\n"
    "eor r8, r8, r3, ror #25\n"
    "add r6, r6, r8\n"
    "add r2, r2, r6\n"
    "eor r9, r7, r0\n"
    "and r10, r10, r9\n"
    "eor r10, r10, r0\n"
    "add r6, r6, r10\n"
    "ror r8, r7, #2\n"
    "eor r8, r8, r7, ror #13\n"
    "eor r8, r8, r7, ror #22\n"
    "add r6, r6, r8\n"
    "ldr r12, [sp, #8]\n"
    "ldr lr, [r11], #4\n"
    "add r5, r5, r12\n"
    "add r5, r5, lr\n"
    "eor r8, r3, r4\n"
    "and r8, r8, r2\n"
    "eor r8, r8, r4\n"
    "add r5, r5, r8\n"
    "ror r8, r2, #6\n"
    "eor r8, r8, r2, ror #11\n"
    "eor r8, r8, r2, ror #25\n"
    "add r5, r5, r8\n"
    "add r1, r1, r5\n"
    "eor r10, r6, r7\n"
    "and r9, r9, r10\n"
    "eor r9, r9, r7\n"
    "add r5, r5, r9\n"
    "ror r8, r6, #2\n"
    "eor r8, r8, r6, ror #13\n"
    "eor r8, r8, r6, ror #22\n"
    "add r5, r5, r8\n"
    "ldr r12, [sp, #12]\n"
    "ldr lr, [r11], #4\n"
    "add r4, r4, r12\n"
    "add r4, r4, lr\n"
    "eor r8, r2, r3\n"
    "and r8, r8, r1\n"
    "eor r8, r8, r3\n"
    "add r4, r4, r8\n"
    "ror r8, r1, #6\n"
    "eor r8, r8, r1, ror #11\n"
    "eor r8, r8, r1, ror #25\n"
    "add r4, r4, r8\n"
    "add r0, r0, r4\n"
    "eor r9, r5, r6\n"
    "and r10, r10, r9\n"
    "eor r10, r10, r6\n"
    "add r4, r4, r10\n"
    "ror r8, r5, #2\n"
    "eor r8, r8, r5, ror #13\n"
    "eor r8, r8, r5, ror #22\n"
    "add r4, r4, r8\n"
    "ldr r12, [sp, #16]\n"
    "ldr lr, [r11], #4\n"
    "add r3, r3, r12\n"
    "add r3, r3, lr\n"
    "eor r8, r1, r2\n"
    "and r8, r8, r0\n"
    "eor r8, r8, r2\n"
    "add r3, r3, r8\n"
    "ror r8, r0, #6\n"
    "eor r8, r8, r0, ror #11\n"
    "eor r8, r8, r0, ror #25\n"
    "add r3, r3, r8\n"
    "add r7, r7, r3\n"
    "eor r10, r4, r5\n"
    "and r9, r9, r10\n"
    "eor r9, r9, r5\n"
    "add r3, r3, r9\n"
    "ror r8, r4, #2\n"
    "eor r8, r8, r4, ror #13\n"
    "eor r8, r8, r4, ror #22\n"
    "add r3, r3, r8\n"
    "ldr r12, [sp, #20]\n"
    "ldr lr, [r11], #4\n"
    "add r2, r2, r12\n"
    "add r2, r2, lr\n"
    "eor r8, r0, r1\n"
    "and r8, r8, r7\n"
    "eor r8, r8, r1\n"
    "add r2, r2, r8\n"
    "ror r8, r7, #6\n"
    "eor r8, r8, r7, ror #11\n"
    "eor r8, r8, r7, ror #25\n"
    "add r2, r2, r8\n"
    "add r6, r6, r2\n"
    "eor r9, r3, r4\n"
    "and r10, r10, r9\n"
    "eor r10, r10, r4\n"
    "add r2, r2, r10\n"
    "ror r8, r3, #2\n"
    "eor r8, r8, r3, ror #13\n"
    "eor r8, r8, r3, ror #22\n"
    "add r2, r2, r8\n"
    "ldr r12, [sp, #24]\n"
    "ldr lr, [r11], #4\n"
    "add r1, r1, r12\n"
    "add r1, r1, lr\n"
    "eor r8, r7, r0\n"
    "and r8, r8, r6\n"
    "eor r8, r8, r0\n"
    "add r1, r1, r8\n"
    "ror r8, r6, #6\n"
    "eor r8, r8, r6, ror #11\n"
    "eor r8, r8, r6, ror #25\n"
    "add r1, r1, r8\n"
    "add r5, r5, r1\n"
    "eor r10, r2, r3\n"
    "and r9, r9, r10\n"
    "eor r9, r9, r3\n"
    "add r1, r1, r9\n"
    "ror r8, r2, #2\n"
    "eor r8, r8, r2, ror #13\n"
    "eor r8, r8, r2, ror #22\n"
    "add r1, r1, r8\n"
    "ldr r12, [sp, #28]\n"
    "ldr lr, [r11], #4\n"
    "add r0, r0, r12\n"
    "add r0, r0, lr\n"
    "eor r8, r6, r7\n"
    "and r8, r8, r5\n"
    "eor r8, r8, r7\n"
    "add r0, r0, r8\n"
    "ror r8, r5, #6\n"
    "eor r8, r8, r5, ror #11\n"
    "eor r8, r8, r5, ror #25\n"
    "add r0, r0, r8\n"
    "add r4, r4, r0\n"
    "eor r9, r1, r2\n"
    "and r10, r10, r9\n"
    "eor r10, r10, r2\n"
    "add r0, r0, r10\n"
    "ror r8, r1, #2\n"
    "eor r8, r8, r1, ror #13\n"
    "eor r8, r8, r1, ror #22\n"
    "add r0, r0, r8\n"
    "ldr r12, [sp, #32]\n"
    "ldr lr, [r11], #4\n"
    "add r7, r7, r12\n"
    "add r7, r7, lr\n"
    "eor r8, r5, r6\n"
    "and r8, r8, r4\n"
    "eor r8, r8, r6\n"
    "add r7, r7, r8\n"
    "ror r8, r4, #6\n"
    "eor r8, r8, r4, ror #11\n"
    "eor r8, r8, r4, ror #25\n"
    "add r7, r7, r8\n"
    "add r3, r3, r7\n"
    "eor r10, r0, r1\n"
    "and r9, r9, r10\n"
    "eor r9, r9, r1\n"
    "add r7, r7, r9\n"
    "ror r8, r0, #2\n"
    "eor r8, r8, r0, ror #13\n"
    "eor r8, r8, r0, ror #22\n"
    "add r7, r7, r8\n"
    "ldr r12, [sp, #36]\n"
    "ldr lr, [r11], #4\n"
    "add r6, r6, r12\n"
    "add r6, r6, lr\n"
    "eor r8, r4, r5\n"
    "and r8, r8, r3\n"
    "eor r8, r8, r5\n"
    "add r6, r6, r8\n"
    "ror r8, r3, #6\n"
    "eor r8, r8, r3, ror #11\n"
    "eor r8, r8, r3, ror #25\n"
    "add r6, r6, r8\n"
    "add r2, r2, r6\n"
    "eor r9, r7, r0\n"
    "and r10, r10, r9\n"
    "eor r10, r10, r0\n"
    "add r6, r6, r10\n"
    "ror r8, r7, #2\n"
    "eor r8, r8, r7, ror #13\n"
    "eor r8, r8, r7, ror #22\n"
    "add r6, r6, r8\n"
    "ldr r12, [sp, #40]\n"
    "ldr lr, [r11], #4\n"
    "add r5, r5, r12\n"
    "add r5, r5, lr\n"
    "eor r8, r3, r4\n"
    "and r8, r8, r2\n"
    "eor r8, r8, r4\n"
    "add r5, r5, r8\n"
    "ror r8, r2, #6\n"
    "eor r8, r8, r2, ror #11\n"
    "eor r8, r8, r2, ror #25\n"
    "add r5, r5, r8\n"
    "add r1, r1, r5\n"
    "eor r10, r6, r7\n"
    "and r9, r9, r10\n"
    "eor r9, r9, r7\n"
    "add r5, r5, r9\n"
    "ror r8, r6, #2\n"
    "eor r8, r8, r6, ror #13\n"
    "eor r8, r8, r6, ror #22\n"
    "add r5, r5, r8\n"
    "ldr r12, [sp, #44]\n"
    "ldr lr, [r11], #4\n"
    "add r4, r4, r12\n"
    "add r4, r4, lr\n"
    "eor r8, r2, r3\n"
    "and r8, r8, r1\n"
    "eor r8, r8, r3\n"
    "add r4, r4, r8\n"
    "ror r8, r1, #6\n"
    "eor r8, r8, r1, ror #11\n"
    "eor r8, r8, r1, ror #25\n"
    "add r4, r4, r8\n"
    "add r0, r0, r4\n"
    "eor r9, r5, r6\n"
    "and r10, r10, r9\n"
    "eor r10, r10, r6\n"
    "add r4, r4, r10\n"
    "ror r8, r5, #2\n"
    "eor r8, r8, r5, ror #13\n"
    "eor r8, r8, r5, ror #22\n"
    "add r4, r4, r8\n"
    "ldr r12, [sp, #48]\n"
    "ldr lr, [r11], #4\n"
    "add r3, r3, r12\n"
    "add r3, r3, lr\n"
    "eor r8, r1, r2\n"
    "and r8, r8, r0\n"
    "eor r8, r8, r2\n"
    "add r3, r3, r8\n"
    "ror r8, r0, #6\n"
    "eor r8, r8, r0, ror #11\n"
    "eor r8, r8, r0, ror #25\n"
    "add r3, r3, r8\n"
    "add r7, r7, r3\n"
    "eor r10, r4, r5\n"
    "and r9, r9, r10\n"
    "eor r9, r9, r5\n"
    "add r3, r3, r9\n"
    "ror r8, r4, #2\n"
    "eor r8, r8, r4, ror #13\n"
    "eor r8, r8, r4, ror #22\n"
    "add r3, r3, r8\n"
    "ldr r12, [sp, #52]\n"
    "ldr lr, [r11], #4\n"
    "add r2, r2, r12\n"
    "add r2, r2, lr\n"
    "eor r8, r0, r1\n"
    "and r8, r8, r7\n"
    "eor r8, r8, r1\n"
    "add r2, r2, r8\n"
    "ror r8, r7, #6\n"
    "eor r8, r8, r7, ror #11\n"
    "eor r8, r8, r7, ror #25\n"
    "add r2, r2, r8\n"
    "add r6, r6, r2\n"
    "eor r9, r3, r4\n"
    "and r10, r10, r9\n"
    "eor r10, r10, r4\n"
    "add r2, r2, r10\n"
    "ror r8, r3, #2\n"
    "eor r8, r8, r3, ror #13\n"
    "eor r8, r8, r3, ror #22\n"
    "add r2, r2, r8\n"
    "ldr r12, [sp, #56]\n"
    "ldr lr, [r11], #4\n"
    "add r1, r1, r12\n"
    "add r1, r1, lr\n"
    "eor r8, r7, r0\n"
    "and r8, r8, r6\n"
    "eor r8, r8, r0\n"
    "add r1, r1, r8\n"
    "ror r8, r6, #6\n"
    "eor r8, r8, r6, ror #11\n"
    "eor r8, r8, r6, ror #25\n"
    "add r1, r1, r8\n"
    "add r5, r5, r1\n"
    "eor r10, r2, r3\n"
    "and r9, r9, r10\n"
    "eor r9, r9, r3\n"
    "add r1, r1, r9\n"
    "ror r8, r2, #2\n"
    "eor r8, r8, r2, ror #13\n"
    "eor r8, r8, r2, ror #22\n"
    "add r1, r1, r8\n"
    "ldr r12, [sp, #60]\n"
    "ldr lr, [r11], #4\n"
    "add r0, r0, r12\n"
    "add r0, r0, lr\n"
    "eor r8, r6, r7\n"
    "and r8, r8, r5\n"
    "eor r8, r8, r7\n"
    "add r0, r0, r8\n"
    "ror r8, r5, #6\n"
    "eor r8, r8, r5, ror #11\n"
    "eor r8, r8, r5, ror #25\n"
    "add r0, r0, r8\n"
    "add r4, r4, r0\n"
    "eor r9, r1, r2\n"
    "and r10, r10, r9\n"
    "eor r10, r10, r2\n"
    "add r0, r0, r10\n"
    "ror r8, r1, #2\n"
    "eor r8, r8, r1, ror #13\n"
    "eor r8, r8, r1, ror #22\n"
    "add r0, r0, r8\n"
    "ldr r8, [sp, #68]\n"
    "cmp r11, r8\n"
    "beq 2f\n"
    "ldr r8, [sp, #4]\n"
    "ror r12, r8, #7\n"
    "eor r12, r12, r8, ror #18\n"
    "eor r12, r12, r8, lsr #3\n"
    "ldr r8, [sp, #36]\n"
    "add r12, r12, r8\n"
    "ldr r8, [sp, #0]\n"
    "add r12, r12, r8\n"
    "ldr r8, [sp, #56]\n"
    "ror lr, r8, #17\n"
    "eor lr, lr, r8, ror #19\n"
    "eor lr, lr, r8, lsr #10\n"
    "add r12, r12, lr\n"
    "str r12, [sp, #0]\n"
    "ldr r8, [sp, #8]\n"
    "ror r12, r8, #7\n"
    "eor r12, r12, r8, ror #18\n"
    "eor r12, r12, r8, lsr #3\n"
    "ldr r8, [sp, #40]\n"
    "add r12, r12, r8\n"
    "ldr r8, [sp, #4]\n"
    "add r12, r12, r8\n"
    "ldr r8, [sp, #60]\n"
    "ror lr, r8, #17\n"
    "eor lr, lr, r8, ror #19\n"
    "eor lr, lr, r8, lsr #10\n"
    "add r12, r12, lr\n"
    "str r12, [sp, #4]\n"
    "ldr r8, [sp, #12]\n"
    "ror r12, r8, #7\n"
    "eor r12, r12, r8, ror #18\n"
    "eor r12, r12, r8, lsr #3\n"
    "ldr r8, [sp, #44]\n"
    "add r12, r12, r8\n"
    "ldr r8, [sp, #8]\n"
    "add r12, r12, r8\n"
    "ldr r8, [sp, #0]\n"
    "ror lr, r8, #17\n"
    "eor lr, lr, r8, ror #19\n"
    "eor lr, lr, r8, lsr #10\n"
    "add r12, r12, lr\n"
    "str r12, [sp, #8]\n"
    "ldr r8, [sp, #16]\n"
    "ror r12, r8, #7\n"
    "eor r12, r12, r8, ror #18\n"
    "eor r12, r12, r8, lsr #3\n"
    "ldr r8, [sp, #48]\n"
    "add r12, r12, r8\n"
    "ldr r8, [sp, #12]\n"
    "add r12, r12, r8\n"
    "ldr r8, [sp, #4]\n"
    "ror lr, r8, #17\n"
    "eor lr, lr, r8, ror #19\n"
    "eor lr, lr, r8, lsr #10\n"
    "add r12, r12, lr\n"
    "str r12, [sp, #12]\n"
    "ldr r8, [sp, #20]\n"
    "ror r12, r8, #7\n"
    "eor r12, r12, r8, ror #18\n"
    "eor r12, r12, r8, lsr #3\n"
    "ldr r8, [sp, #52]\n"
    "add r12, r12, r8\n"
    "ldr r8, [sp, #16]\n"
    "add r12, r12, r8\n"
    "ldr r8, [sp, #8]\n"
    "ror lr, r8, #17\n"
    "eor lr, lr, r8, ror #19\n"
    "eor lr, lr, r8, lsr #10\n"
    "add r12, r12, lr\n"
    "str r12, [sp, #16]\n"
    "ldr r8, [sp, #24]\n"
    "ror r12, r8, #7\n"
    "eor r12, r12, r8, ror #18\n"
    "eor r12, r12, r8, lsr #3\n"
    "ldr r8, [sp, #56]\n"
    "add r12, r12, r8\n"
    "ldr r8, [sp, #20]\n"
    "add r12, r12, r8\n"
    "ldr r8, [sp, #12]\n"
    "ror lr, r8, #17\n"
    "eor lr, lr, r8, ror #19\n"
    "eor lr, lr, r8, lsr #10\n"
    "add r12, r12, lr\n"
    "str r12, [sp, #20]\n"
    "ldr r8, [sp, #28]\n"
    "ror r12, r8, #7\n"
    "eor r12, r12, r8, ror #18\n"
    "eor r12, r12, r8, lsr #3\n"
    "ldr r8, [sp, #60]\n"
    "add r12, r12, r8\n"
    "ldr r8, [sp, #24]\n"
    "add r12, r12, r8\n"
    "ldr r8, [sp, #16]\n"
    "ror lr, r8, #17\n"
    "eor lr, lr, r8, ror #19\n"
    "eor lr, lr, r8, lsr #10\n"
    "add r12, r12, lr\n"
    "str r12, [sp, #24]\n"
    "ldr r8, [sp, #32]\n"
    "ror r12, r8, #7\n"
    "eor r12, r12, r8, ror #18\n"
    "eor r12, r12, r8, lsr #3\n"
    "ldr r8, [sp, #0]\n"
    "add r12, r12, r8\n"
    "ldr r8, [sp, #28]\n"
    "add r12, r12, r8\n"
    "ldr r8, [sp, #20]\n"
    "ror lr, r8, #17\n"
    "eor lr, lr, r8, ror #19\n"
    "eor lr, lr, r8, lsr #10\n"
    "add r12, r12, lr\n"
    "str r12, [sp, #28]\n"
    "ldr r8, [sp, #36]\n"
    "ror r12, r8, #7\n"
    "eor r12, r12, r8, ror #18\n"
    "eor r12, r12, r8, lsr #3\n"
    "ldr r8, [sp, #4]\n"
    "add r12, r12, r8\n"
    "ldr r8, [sp, #32]\n"
    "add r12, r12, r8\n"
    "ldr r8, [sp, #24]\n"
    "ror lr, r8, #17\n"
    "eor lr, lr, r8, ror #19\n"
    "eor lr, lr, r8, lsr #10\n"
    "add r12, r12, lr\n"
    "str r12, [sp, #32]\n"
    "ldr r8, [sp, #40]\n"
    "ror r12, r8, #7\n"
    "eor r12, r12, r8, ror #18\n"
    "eor r12, r12, r8, lsr #3\n"
    "ldr r8, [sp, #8]\n"
    "add r12, r12, r8\n"
    "ldr r8, [sp, #36]\n"
    "add r12, r12, r8\n"
    "ldr r8, [sp, #28]\n"
    "ror lr, r8, #17\n"
    "eor lr, lr, r8, ror #19\n"
    "eor lr, lr, r8, lsr #10\n"
    "add r12, r12, lr\n"
    "str r12, [sp, #36]\n"
    "ldr r8, [sp, #44]\n"
    "ror r12, r8, #7\n"
    "eor r12, r12, r8, ror #18\n"
    "eor r12, r12, r8, lsr #3\n"
    "ldr r8, [sp, #12]\n"
    "add r12, r12, r8\n"
    "ldr r8, [sp, #40]\n"
    "add r12, r12, r8\n"
    "ldr r8, [sp, #32]\n"
    "ror lr, r8, #17\n"
    "eor lr, lr, r8, ror #19\n"
    "eor lr, lr, r8, lsr #10\n"
    "add r12, r12, lr\n"
    "str r12, [sp, #40]\n"
    "ldr r8, [sp, #48]\n"
    "ror r12, r8, #7\n"
    "eor r12, r12, r8, ror #18\n"
    "eor r12, r12, r8, lsr #3\n"
    "ldr r8, [sp, #16]\n"
    "add r12, r12, r8\n"
    "ldr r8, [sp, #44]\n"
    "add r12, r12, r8\n"
    "ldr r8, [sp, #36]\n"
    "ror lr, r8, #17\n"
    "eor lr, lr, r8, ror #19\n"
    "eor lr, lr, r8, lsr #10\n"
    "add r12, r12, lr\n"
    "str r12, [sp, #44]\n"
    "ldr r8, [sp, #52]\n"
    "ror r12, r8, #7\n"
    "eor r12, r12, r8, ror #18\n"
    "eor r12, r12, r8, lsr #3\n"
    "ldr r8, [sp, #20]\n"
    "add r12, r12, r8\n"
    "ldr r8, [sp, #48]\n"
    "add r12, r12, r8\n"
    "ldr r8, [sp, #40]\n"
    "ror lr, r8, #17\n"
    "eor lr, lr, r8, ror #19\n"
    "eor lr, lr, r8, lsr #10\n"
    "add r12, r12, lr\n"
    "str r12, [sp, #48]\n"
    "ldr r8, [sp, #56]\n"
    "ror r12, r8, #7\n"
    "eor r12, r12, r8, ror #18\n"
    "eor r12, r12, r8, lsr #3\n"
    "ldr r8, [sp, #24]\n"
    "add r12, r12, r8\n"
    "ldr r8, [sp, #52]\n"
    "add r12, r12, r8\n"
    "ldr r8, [sp, #44]\n"
    "ror lr, r8, #17\n"
    "eor lr, lr, r8, ror #19\n"
    "eor lr, lr, r8, lsr #10\n"
    "add r12, r12, lr\n"
    "str r12, [sp, #52]\n"
    "ldr r8, [sp, #60]\n"
    "ror r12, r8, #7\n"
    "eor r12, r12, r8, ror #18\n"
    "eor r12, r12, r8, lsr #3\n"
    "ldr r8, [sp, #28]\n"
    "add r12, r12, r8\n"
    "ldr r8, [sp, #56]\n"
    "add r12, r12, r8\n"
    "ldr r8, [sp, #48]\n"
    "ror lr, r8, #17\n"
    "eor lr, lr, r8, ror #19\n"
    "eor lr, lr, r8, lsr #10\n"
    "add r12, r12, lr\n"
    "str r12, [sp, #56]\n"
    "ldr r8, [sp, #0]\n"
    "ror r12, r8, #7\n"
    "eor r12, r12, r8, ror #18\n"
    "eor r12, r12, r8, lsr #3\n"
    "ldr r8, [sp, #32]\n"
    "add r12, r12, r8\n"
    "ldr r8, [sp, #60]\n"
    "add r12, r12, r8\n"
    "ldr r8, [sp, #52]\n"
    "ror lr, r8, #17\n"
    "eor lr, lr, r8, ror #19\n"
    "eor lr, lr, r8, lsr #10\n"
    "add r12, r12, lr\n"
    "str r12, [sp, #60]\n"
    "b 1b\n"
    "2:\n"
    "ldr r8, [sp, #64]\n"
    "ldr r9, [r8, #0]\n"
    "add r0, r0, r9\n"
    "ldr r9, [r8, #4]\n"
    "add r1, r1, r9\n"
    "ldr r9, [r8, #8]\n"
    "add r2, r2, r9\n"
    "ldr r9, [r8, #12]\n"
    "add r3, r3, r9\n"
    "ldr r9, [r8, #16]\n"
    "add r4, r4, r9\n"
    "ldr r9, [r8, #20]\n"
    "add r5, r5, r9\n"
    "ldr r9, [r8, #24]\n"
    "add r6, r6, r9\n"
    "ldr r9, [r8, #28]\n"
    "add r7, r7, r9\n"
    "stm r8, {r0-r7}\n"
    "add sp, sp, #72\n"
    "pop {r4-r11, pc}\n"
    ".size fota_sha256_block_thumb2, .-fota_sha256_block_thumb2\n"
    ".popsection\n"
);
/* clang-format on */

static void sha256_block(uint32_t state[8],
                         const uint8_t block[FOTA_SHA256_BLOCK])
{
    fota_sha256_block_thumb2(state, block);
}
#else
#define ROR(x, n) (((x) >> (n)) | ((x) << (32u - (n))))
#define BSIG0(a) (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22))
#define BSIG1(e) (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25))
#define SSIG0(x) (ROR(x, 7) ^ ROR(x, 18) ^ ((x) >> 3))
#define SSIG1(x) (ROR(x, 17) ^ ROR(x, 19) ^ ((x) >> 10))
/* Ch and Maj (FIPS 180-4 4.1.2) with one operation fewer each. */
#define CH(e, f, g) ((((f) ^ (g)) & (e)) ^ (g))
#define MAJ(a, b, c) (((a) & (b)) | ((c) & ((a) | (b))))

/* One round: only d and h change; the caller rotates the names. */
#define ROUND(a, b, c, d, e, f, g, h, i)                                       \
    do {                                                                       \
        uint32_t t1_ = (h) + BSIG1(e) + CH(e, f, g) + s_k[r + (i)] + w[i];     \
        (d) += t1_;                                                            \
        (h) = t1_ + BSIG0(a) + MAJ(a, b, c);                                   \
    } while (0)

/* W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16] in the 16-word ring. */
#define SCHED(i)                                                               \
    (w[i] +=                                                                   \
     SSIG1(w[((i) + 14) & 15]) + w[((i) + 9) & 15] + SSIG0(w[((i) + 1) & 15]))

static void sha256_block(uint32_t state[8],
                         const uint8_t block[FOTA_SHA256_BLOCK])
{
    uint32_t w[16];
    uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
    uint32_t e = state[4], f = state[5], g = state[6], h = state[7];

    for (int i = 0; i < 16; i++)
        w[i] = get_be32(block + 4 * i);
    for (int r = 0; r < 64; r += 16) {
        if (r > 0) {
            SCHED(0);
            SCHED(1);
            SCHED(2);
            SCHED(3);
            SCHED(4);
            SCHED(5);
            SCHED(6);
            SCHED(7);
            SCHED(8);
            SCHED(9);
            SCHED(10);
            SCHED(11);
            SCHED(12);
            SCHED(13);
            SCHED(14);
            SCHED(15);
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
#endif

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
