/*
 * text.c - bounded string builder, hex and decimal helpers (see
 * fota_text.h). Written without printf/strtoul so the portable cores can use
 * them freestanding and with a known stack cost.
 */
#include "fota/fota_text.h"

#include <string.h>

#include "fota/fota_err.h"
#include "fota/fota_nomalloc.h"

static const char s_hex_lower[] = "0123456789abcdef";

void fota_sb_init(fota_sb_t *sb, char *buf, size_t cap)
{
    sb->p = buf;
    sb->cap = cap;
    sb->len = 0;
    sb->overflow = (cap == 0);
    if (cap > 0)
        buf[0] = '\0';
}

void fota_sb_putn(fota_sb_t *sb, const char *s, size_t n)
{
    if (sb->overflow)
        return;
    /* len < cap always holds here, so cap - len - 1 cannot wrap; comparing
     * this way also cannot overflow for a huge n. */
    if (n > sb->cap - sb->len - 1) {
        sb->overflow = true;
        return;
    }
    memcpy(sb->p + sb->len, s, n);
    sb->len += n;
    sb->p[sb->len] = '\0';
}

void fota_sb_puts(fota_sb_t *sb, const char *s)
{
    if (s != NULL)
        fota_sb_putn(sb, s, strlen(s));
}

void fota_sb_putc(fota_sb_t *sb, char c)
{
    fota_sb_putn(sb, &c, 1);
}

size_t fota_u64_to_dec(uint64_t v, char out[FOTA_DEC_U64_SIZE])
{
    char tmp[FOTA_DEC_U64_SIZE - 1];
    size_t n = 0;
    size_t i = 0;

    do {
        tmp[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0);
    while (n > 0)
        out[i++] = tmp[--n];
    out[i] = '\0';
    return i;
}

void fota_sb_put_u64(fota_sb_t *sb, uint64_t v)
{
    char d[FOTA_DEC_U64_SIZE];
    size_t n = fota_u64_to_dec(v, d);

    fota_sb_putn(sb, d, n);
}

void fota_sb_put_i64(fota_sb_t *sb, int64_t v)
{
    char d[FOTA_DEC_U64_SIZE + 1];
    size_t n;

    if (v < 0) {
        /* Negate in unsigned arithmetic: -INT64_MIN does not fit an int64. */
        d[0] = '-';
        n = 1 + fota_u64_to_dec(0u - (uint64_t)v, d + 1);
    } else {
        n = fota_u64_to_dec((uint64_t)v, d);
    }
    /* One append, so a number is never cut in half by an overflow. */
    fota_sb_putn(sb, d, n);
}

int fota_hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

void fota_hex_encode(const uint8_t *in, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = s_hex_lower[in[i] >> 4];
        out[2 * i + 1] = s_hex_lower[in[i] & 0x0fu];
    }
    out[2 * n] = '\0';
}

int fota_hex_decode(const char *hex, size_t hex_len, uint8_t *out,
                    size_t out_len)
{
    if (out_len > (size_t)INT32_MAX || hex_len != 2 * out_len)
        return FOTA_ERR_INVAL;
    /* Check every digit first so that out is untouched on failure. */
    for (size_t i = 0; i < hex_len; i++)
        if (fota_hex_digit(hex[i]) < 0)
            return FOTA_ERR_CORRUPT;
    for (size_t i = 0; i < out_len; i++)
        out[i] = (uint8_t)((unsigned)fota_hex_digit(hex[2 * i]) << 4 |
                           (unsigned)fota_hex_digit(hex[2 * i + 1]));
    return (int)out_len;
}
