/*
 * fw_libc.c - the few C library functions the firmware links with
 * -nostdlib: the compiler emits calls to memcpy/memset on its own, and the
 * portable cores use memcmp/memmove. They live in .ramfunc because the
 * protocol engine runs from SRAM while flash is busy and may call them.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fw_hw.h"

/* Keep GCC from recognising these loops as memcpy/memset and calling
 * themselves. */
#pragma GCC optimize("no-tree-loop-distribute-patterns")

/* Word moves, eight at a time, when both pointers are word-aligned (the
 * usual case: flash reads into scan buffers); bytes otherwise and for the
 * tail. The boot-time journal scan copies 144 KiB through here. The file
 * is built with -fno-strict-aliasing semantics in mind: the word path
 * only runs on aligned pointers and moves bytes unchanged. */
FW_RAMFUNC void *memcpy(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;

    if ((((uintptr_t)d | (uintptr_t)s) & 3u) == 0) {
        /* 32 bytes per LDM/STM pair. */
        if (n >= 32) {
            const uint8_t *end = s + (n & ~(size_t)31u);
            __asm__ volatile(
                "1:\n\t"
                "ldmia %[s]!, {r2, r3, r4, r5, r6, r8, r9, r12}\n\t"
                "stmia %[d]!, {r2, r3, r4, r5, r6, r8, r9, r12}\n\t"
                "cmp %[s], %[e]\n\t"
                "bne 1b"
                : [s] "+r"(s), [d] "+r"(d)
                : [e] "r"(end)
                : "r2", "r3", "r4", "r5", "r6", "r8", "r9", "r12", "cc",
                  "memory");
            n &= 31u;
        }
        for (; n >= 4; n -= 4, d += 4, s += 4)
            *(uint32_t *)(void *)d = *(const uint32_t *)(const void *)s;
    }
    while (n--)
        *d++ = *s++;
    return dst;
}

FW_RAMFUNC void *memmove(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    if (d < s) {
        while (n--)
            *d++ = *s++;
    } else {
        while (n--)
            d[n] = s[n];
    }
    return dst;
}

FW_RAMFUNC void *memset(void *dst, int c, size_t n)
{
    uint8_t *d = dst;
    while (n--)
        *d++ = (uint8_t)c;
    return dst;
}

FW_RAMFUNC int memcmp(const void *a, const void *b, size_t n)
{
    const uint8_t *x = a, *y = b;
    for (; n; n--, x++, y++)
        if (*x != *y)
            return *x < *y ? -1 : 1;
    return 0;
}

FW_RAMFUNC size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}
