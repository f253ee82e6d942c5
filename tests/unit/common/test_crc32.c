/*
 * test_crc32.c - both CRC-32 variants against independent bitwise
 * references and published check values.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fota/fota_crc32.h"
#include "fota/fota_prng.h"

static const char s_check[] = "123456789";

/* Bit-at-a-time model of the STM32 CRC unit: each 32-bit word, as loaded
 * little-endian, is shifted in from its MSB. Written without tables or the
 * XOR-whole-word shortcut the library uses. */
static uint32_t ref_st(const uint8_t *p, size_t len)
{
    uint32_t crc = 0xFFFFFFFFu;

    for (size_t i = 0; i + 4 <= len; i += 4) {
        uint32_t w = (uint32_t)p[i] | ((uint32_t)p[i + 1] << 8) |
                     ((uint32_t)p[i + 2] << 16) | ((uint32_t)p[i + 3] << 24);
        for (int b = 31; b >= 0; b--) {
            uint32_t in = (w >> b) & 1u;
            uint32_t top = crc >> 31;
            crc <<= 1;
            if (top ^ in)
                crc ^= 0x04C11DB7u;
        }
    }
    return crc;
}

/* CRC-32/MPEG-2 over a byte stream, bit by bit, MSB first. */
static uint32_t ref_mpeg2(const uint8_t *p, size_t len)
{
    uint32_t crc = 0xFFFFFFFFu;

    for (size_t i = 0; i < len; i++) {
        crc ^= (uint32_t)p[i] << 24;
        for (int b = 0; b < 8; b++)
            crc = (crc & 0x80000000u) ? (crc << 1) ^ 0x04C11DB7u : crc << 1;
    }
    return crc;
}

/* CRC-32/ISO-HDLC bit by bit. */
static uint32_t ref_ieee(const uint8_t *p, size_t len)
{
    uint32_t crc = 0xFFFFFFFFu;

    for (size_t i = 0; i < len; i++) {
        crc ^= p[i];
        for (int b = 0; b < 8; b++)
            crc = (crc & 1u) ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
    }
    return ~crc;
}

/* Deterministic pseudo-random bytes. */
static void fill(uint8_t *p, size_t len, uint32_t seed)
{
    uint32_t x = fota_prng_seed(seed);

    fota_prng_fill(&x, p, len);
}

static void test_ieee_check_value(void **state)
{
    (void)state;
    assert_int_equal(fota_crc32_ieee_update(0, s_check, 9), 0xCBF43926u);
    assert_int_equal(ref_ieee((const uint8_t *)s_check, 9), 0xCBF43926u);
    assert_int_equal(fota_crc32_ieee_update(0, "", 0), 0u);
}

static void test_ieee_matches_reference_and_streams(void **state)
{
    uint8_t buf[1031];

    (void)state;
    fill(buf, sizeof buf, 7);
    for (size_t len = 0; len <= sizeof buf; len += 13)
        assert_int_equal(fota_crc32_ieee_update(0, buf, len),
                         ref_ieee(buf, len));
    uint32_t whole = fota_crc32_ieee_update(0, buf, sizeof buf);
    for (size_t cut = 0; cut <= sizeof buf; cut += 97) {
        uint32_t c = fota_crc32_ieee_update(0, buf, cut);
        c = fota_crc32_ieee_update(c, buf + cut, sizeof buf - cut);
        assert_int_equal(c, whole);
    }
}

static void test_mpeg2_reference_check_value(void **state)
{
    (void)state;
    /* Validates the reference used in the next test. */
    assert_int_equal(ref_mpeg2((const uint8_t *)s_check, 9), 0x0376E6E7u);
}

static void test_st_equals_mpeg2_of_swapped_words(void **state)
{
    uint8_t buf[256], sw[256];

    (void)state;
    fill(buf, sizeof buf, 99);
    for (size_t i = 0; i < sizeof buf; i += 4) {
        sw[i] = buf[i + 3];
        sw[i + 1] = buf[i + 2];
        sw[i + 2] = buf[i + 1];
        sw[i + 3] = buf[i];
    }
    for (size_t len = 0; len <= sizeof buf; len += 4)
        assert_int_equal(fota_crc32_st(buf, len), ref_mpeg2(sw, len));

    /* "1234" "5678" as little-endian words are "4321" "8765" on the wire of
     * the CRC unit: the ST CRC of the first eight check bytes equals
     * CRC-32/MPEG-2 of "43218765". */
    assert_int_equal(fota_crc32_st("12345678", 8),
                     ref_mpeg2((const uint8_t *)"43218765", 8));
}

static void test_st_matches_bitwise_reference(void **state)
{
    uint8_t buf[1024];

    (void)state;
    fill(buf, sizeof buf, 12345);
    for (size_t len = 0; len <= sizeof buf; len += 4)
        assert_int_equal(fota_crc32_st(buf, len), ref_st(buf, len));
    /* All-erased and all-zero words too. */
    memset(buf, 0xFF, sizeof buf);
    assert_int_equal(fota_crc32_st(buf, sizeof buf), ref_st(buf, sizeof buf));
    memset(buf, 0, sizeof buf);
    assert_int_equal(fota_crc32_st(buf, sizeof buf), ref_st(buf, sizeof buf));
}

static void test_st_unit_vector(void **state)
{
    /* Writing 0x12345678 to CRC_DR after reset reads back 0xDF8A8A2B. The
     * word in memory is 78 56 34 12 (little-endian). */
    static const uint8_t word[4] = {0x78, 0x56, 0x34, 0x12};

    (void)state;
    assert_int_equal(ref_st(word, 4), 0xDF8A8A2Bu);
    assert_int_equal(fota_crc32_st(word, 4), 0xDF8A8A2Bu);
    /* Empty input leaves the initial value. */
    assert_int_equal(fota_crc32_st(word, 0), 0xFFFFFFFFu);
}

static void test_st_ignores_trailing_bytes(void **state)
{
    static const uint8_t data[7] = {1, 2, 3, 4, 5, 6, 7};

    (void)state;
    assert_int_equal(fota_crc32_st(data, 7), fota_crc32_st(data, 4));
    assert_int_equal(fota_crc32_st(data, 3), FOTA_CRC32_ST_INIT);
}

static void test_st_streaming(void **state)
{
    uint8_t buf[600];

    (void)state;
    fill(buf, sizeof buf, 4242);
    uint32_t whole = fota_crc32_st(buf, sizeof buf);
    for (size_t cut = 0; cut <= sizeof buf; cut += 4) {
        uint32_t c = fota_crc32_st_update(FOTA_CRC32_ST_INIT, buf, cut);
        c = fota_crc32_st_update(c, buf + cut, sizeof buf - cut);
        assert_int_equal(c, whole);
    }
    /* Word at a time, as the CRC unit is fed. */
    uint32_t c = FOTA_CRC32_ST_INIT;
    for (size_t i = 0; i < sizeof buf; i += 4)
        c = fota_crc32_st_update(c, buf + i, 4);
    assert_int_equal(c, whole);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ieee_check_value),
        cmocka_unit_test(test_ieee_matches_reference_and_streams),
        cmocka_unit_test(test_mpeg2_reference_check_value),
        cmocka_unit_test(test_st_equals_mpeg2_of_swapped_words),
        cmocka_unit_test(test_st_matches_bitwise_reference),
        cmocka_unit_test(test_st_unit_vector),
        cmocka_unit_test(test_st_ignores_trailing_bytes),
        cmocka_unit_test(test_st_streaming),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
