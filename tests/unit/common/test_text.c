/*
 * test_text.c - the bounded string builder, decimal formatting and the hex
 * encoder/decoder of common/text.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fota/fota_err.h"
#include "fota/fota_text.h"

static void test_sb_appends(void **state)
{
    char buf[32];
    fota_sb_t sb;

    (void)state;
    memset(buf, 'x', sizeof buf);
    fota_sb_init(&sb, buf, sizeof buf);
    assert_string_equal(buf, "");
    fota_sb_puts(&sb, "key=");
    fota_sb_putn(&sb, "abcdef", 3);
    fota_sb_putc(&sb, ';');
    fota_sb_puts(&sb, NULL);
    fota_sb_put_u64(&sb, 0);
    fota_sb_putc(&sb, ',');
    fota_sb_put_i64(&sb, -42);
    assert_false(sb.overflow);
    assert_string_equal(buf, "key=abc;0,-42");
    assert_int_equal(sb.len, strlen("key=abc;0,-42"));
}

/* The last byte that fits, then one too many: the buffer keeps what was
 * there, stays terminated, and later (even short) appends are refused. */
static void test_sb_overflow_sticky(void **state)
{
    char buf[8];
    fota_sb_t sb;

    (void)state;
    fota_sb_init(&sb, buf, sizeof buf);
    fota_sb_puts(&sb, "1234567"); /* 7 + terminator = 8: fits */
    assert_false(sb.overflow);
    assert_string_equal(buf, "1234567");
    fota_sb_putc(&sb, '8');
    assert_true(sb.overflow);
    assert_string_equal(buf, "1234567");

    fota_sb_init(&sb, buf, sizeof buf);
    fota_sb_puts(&sb, "abc");
    fota_sb_puts(&sb, "defghij"); /* does not fit */
    fota_sb_putc(&sb, 'z');       /* would fit, but overflow is sticky */
    assert_true(sb.overflow);
    assert_string_equal(buf, "abc");
    assert_int_equal(sb.len, 3);

    /* A huge length must not wrap the bounds check. */
    fota_sb_init(&sb, buf, sizeof buf);
    fota_sb_putn(&sb, "a", SIZE_MAX);
    assert_true(sb.overflow);
    assert_string_equal(buf, "");
}

static void test_sb_zero_cap(void **state)
{
    char c = 'q';
    fota_sb_t sb;

    (void)state;
    fota_sb_init(&sb, &c, 0);
    assert_true(sb.overflow);
    fota_sb_putc(&sb, 'a');
    assert_int_equal(c, 'q');
}

/* A number that does not fit is not cut in half. */
static void test_sb_number_not_split(void **state)
{
    char buf[6];
    fota_sb_t sb;

    (void)state;
    fota_sb_init(&sb, buf, sizeof buf);
    fota_sb_puts(&sb, "ab");
    fota_sb_put_i64(&sb, -123); /* "-123" needs 4 more, only 3 left */
    assert_true(sb.overflow);
    assert_string_equal(buf, "ab");
}

static void test_decimal(void **state)
{
    char d[FOTA_DEC_U64_SIZE];
    char buf[64];
    fota_sb_t sb;

    (void)state;
    assert_int_equal(fota_u64_to_dec(0, d), 1);
    assert_string_equal(d, "0");
    assert_int_equal(fota_u64_to_dec(4294967296u, d), 10);
    assert_string_equal(d, "4294967296");
    assert_int_equal(fota_u64_to_dec(UINT64_MAX, d), 20);
    assert_string_equal(d, "18446744073709551615");

    fota_sb_init(&sb, buf, sizeof buf);
    fota_sb_put_i64(&sb, INT64_MIN);
    fota_sb_putc(&sb, ' ');
    fota_sb_put_i64(&sb, INT64_MAX);
    fota_sb_putc(&sb, ' ');
    fota_sb_put_u64(&sb, 1000);
    assert_false(sb.overflow);
    assert_string_equal(buf, "-9223372036854775808 9223372036854775807 1000");
}

static void test_hex_digit(void **state)
{
    (void)state;
    assert_int_equal(fota_hex_digit('0'), 0);
    assert_int_equal(fota_hex_digit('9'), 9);
    assert_int_equal(fota_hex_digit('a'), 10);
    assert_int_equal(fota_hex_digit('F'), 15);
    assert_int_equal(fota_hex_digit('g'), -1);
    assert_int_equal(fota_hex_digit('G'), -1);
    assert_int_equal(fota_hex_digit('/'), -1);
    assert_int_equal(fota_hex_digit(':'), -1);
    assert_int_equal(fota_hex_digit('@'), -1);
    assert_int_equal(fota_hex_digit('`'), -1);
    assert_int_equal(fota_hex_digit('\0'), -1);
}

static void test_hex_encode(void **state)
{
    static const uint8_t in[] = {0x00, 0x01, 0x7f, 0x80, 0xab, 0xff};
    char out[2 * sizeof in + 1];

    (void)state;
    memset(out, 'x', sizeof out);
    fota_hex_encode(in, sizeof in, out);
    assert_string_equal(out, "00017f80abff");
    fota_hex_encode(in, 0, out);
    assert_string_equal(out, "");
}

static void test_hex_round_trip(void **state)
{
    uint8_t in[256], back[256];
    char hex[2 * sizeof in + 1];

    (void)state;
    for (size_t i = 0; i < sizeof in; i++)
        in[i] = (uint8_t)i;
    fota_hex_encode(in, sizeof in, hex);
    assert_int_equal(fota_hex_decode(hex, strlen(hex), back, sizeof back),
                     (int)sizeof back);
    assert_memory_equal(in, back, sizeof in);
}

static void test_hex_decode_cases(void **state)
{
    uint8_t out[4];

    (void)state;
    assert_int_equal(fota_hex_decode("DeadBEEF", 8, out, 4), 4);
    assert_int_equal(out[0], 0xde);
    assert_int_equal(out[1], 0xad);
    assert_int_equal(out[2], 0xbe);
    assert_int_equal(out[3], 0xef);
    assert_int_equal(fota_hex_decode("", 0, out, 0), 0);
}

/* Wrong lengths and bad digits fail and leave the output alone. */
static void test_hex_decode_rejects(void **state)
{
    static const uint8_t fill[4] = {0x11, 0x22, 0x33, 0x44};
    uint8_t out[4];

    (void)state;
    memcpy(out, fill, sizeof out);
    assert_int_equal(fota_hex_decode("deadbe", 6, out, 4), FOTA_ERR_INVAL);
    assert_int_equal(fota_hex_decode("deadbeef00", 10, out, 4), FOTA_ERR_INVAL);
    assert_int_equal(fota_hex_decode("deadbeeg", 8, out, 4), FOTA_ERR_CORRUPT);
    assert_int_equal(fota_hex_decode("g0000000", 8, out, 4), FOTA_ERR_CORRUPT);
    assert_int_equal(fota_hex_decode("dead bee", 8, out, 4), FOTA_ERR_CORRUPT);
    assert_int_equal(fota_hex_decode("0x000000", 8, out, 4), FOTA_ERR_CORRUPT);
    assert_memory_equal(out, fill, sizeof out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sb_appends),
        cmocka_unit_test(test_sb_overflow_sticky),
        cmocka_unit_test(test_sb_zero_cap),
        cmocka_unit_test(test_sb_number_not_split),
        cmocka_unit_test(test_decimal),
        cmocka_unit_test(test_hex_digit),
        cmocka_unit_test(test_hex_encode),
        cmocka_unit_test(test_hex_round_trip),
        cmocka_unit_test(test_hex_decode_cases),
        cmocka_unit_test(test_hex_decode_rejects),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
