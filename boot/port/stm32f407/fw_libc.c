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

FW_RAMFUNC void *memcpy(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
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
