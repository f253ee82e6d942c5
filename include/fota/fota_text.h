/*
 * fota_text.h - small text helpers for code without printf or heap: a
 * bounded string builder, hexadecimal encode/decode and decimal formatting.
 *
 * Everything here is pure (no I/O, no allocation) and may be called from any
 * context, ISR included. Used by the agent core (URLs, SigV4, JSON reports,
 * manifest digests), the ESP port (a key from Kconfig) and the host tools.
 */
#ifndef FOTA_TEXT_H
#define FOTA_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Bounded string builder over a caller-owned buffer. The buffer always
 * holds a NUL-terminated string (once cap > 0). An append that does not fit
 * (including its terminator) sets overflow and appends nothing; overflow is
 * sticky, so later appends are ignored too and a caller can chain appends
 * and check once at the end.
 */
typedef struct fota_sb {
    char *p;       /* the caller's buffer */
    size_t cap;    /* its size in bytes, terminator included */
    size_t len;    /* characters written, terminator excluded */
    bool overflow; /* an append did not fit; p holds what came before it */
} fota_sb_t;

/* Start an empty string in buf (cap bytes). cap == 0 is allowed and starts
 * in the overflow state, since not even the terminator fits. */
void fota_sb_init(fota_sb_t *sb, char *buf, size_t cap);

/* Append n bytes of s (which need not be NUL-terminated). */
void fota_sb_putn(fota_sb_t *sb, const char *s, size_t n);

/* Append a NUL-terminated string; NULL appends nothing. */
void fota_sb_puts(fota_sb_t *sb, const char *s);

/* Append one character. */
void fota_sb_putc(fota_sb_t *sb, char c);

/* Append v in decimal, no leading zeros ("0" for zero). */
void fota_sb_put_u64(fota_sb_t *sb, uint64_t v);

/* Append v in decimal with a leading '-' when negative (INT64_MIN too). */
void fota_sb_put_i64(fota_sb_t *sb, int64_t v);

/* Largest fota_u64_to_dec() output: 20 digits and the terminator. */
#define FOTA_DEC_U64_SIZE 21

/* Write v in decimal to out (at least FOTA_DEC_U64_SIZE bytes), NUL-
 * terminated. Returns the number of digits. */
size_t fota_u64_to_dec(uint64_t v, char out[FOTA_DEC_U64_SIZE]);

/* Value of one hexadecimal digit (0-9, a-f, A-F), or -1 for anything else. */
int fota_hex_digit(char c);

/* Lower-case hexadecimal of n bytes into out, which must hold 2 * n + 1
 * bytes; out is NUL-terminated. */
void fota_hex_encode(const uint8_t *in, size_t n, char *out);

/*
 * Decode exactly 2 * out_len hexadecimal digits (either case) from hex into
 * out_len bytes. hex_len is the number of characters available at hex, so
 * an exact length is required: no whitespace, prefix or terminator is
 * skipped. out is written only on success.
 * Returns out_len (as int; out_len must fit), FOTA_ERR_INVAL when hex_len
 * is not 2 * out_len or out_len does not fit an int, FOTA_ERR_CORRUPT when
 * a character is not a hex digit.
 */
int fota_hex_decode(const char *hex, size_t hex_len, uint8_t *out,
                    size_t out_len);

#endif /* FOTA_TEXT_H */
