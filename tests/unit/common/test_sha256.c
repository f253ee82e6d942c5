/*
 * test_sha256.c - SHA-256 against the FIPS 180 examples, padding boundaries
 * and streaming splits; HMAC-SHA256 against RFC 4231; and, with OpenSSL's
 * libcrypto, the digest of pseudo-random messages of every length up to
 * 1100 bytes and some long ones, fed in random pieces.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fota/fota_sha256.h"
#include "fota/fota_text.h"

#ifdef FOTA_TEST_OPENSSL
#include <openssl/evp.h>
#endif

static void check_digest(const uint8_t d[FOTA_SHA256_SIZE], const char *want)
{
    char got[2 * FOTA_SHA256_SIZE + 1];

    fota_hex_encode(d, FOTA_SHA256_SIZE, got);
    assert_string_equal(got, want);
}

static void check_sha(const void *msg, size_t len, const char *want)
{
    uint8_t d[FOTA_SHA256_SIZE];

    fota_sha256(msg, len, d);
    check_digest(d, want);
}

static const char s_msg448[] =
    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
static const char s_msg896[] =
    "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
    "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";

static void test_fips_examples(void **state)
{
    (void)state;
    check_sha(
        "abc", 3,
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    check_sha(
        s_msg448, strlen(s_msg448),
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    check_sha(
        s_msg896, strlen(s_msg896),
        "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
    check_sha(
        "", 0,
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_million_a(void **state)
{
    uint8_t chunk[1000];
    uint8_t d[FOTA_SHA256_SIZE];
    fota_sha256_t ctx;

    (void)state;
    memset(chunk, 'a', sizeof chunk);
    fota_sha256_init(&ctx);
    for (int i = 0; i < 1000; i++)
        fota_sha256_update(&ctx, chunk, sizeof chunk);
    fota_sha256_final(&ctx, d);
    check_digest(
        d, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* Lengths around the padding boundaries (55/56 bytes: length field fits or
 * spills into another block; 64, 119, 120). Message byte i = 7i + 3. */
static void test_padding_boundaries(void **state)
{
    static const struct {
        size_t len;
        const char *hex;
    } v[] = {
        {55,
         "e7313d333c272e639f790978283f9eb392e843d0f29b7016828bb1daa4aac70b"},
        {56,
         "4324d65f3c103567f5589c710bc08f8523f929a9272e3af36fc968e52abc6c27"},
        {63,
         "81c80242132f230c3bd41b3e63bbcff16107339549214a99614ff26664625055"},
        {64,
         "39e3d7b6b5d075d37d053ad89b24b41bef4f3c29760c84447cab3f3be1882241"},
        {119,
         "9ce7368e4daf32341631b492e80359dc9f594b48453cd0dd5bf0b19279cc177e"},
        {120,
         "7836b787757e95e58b3ca5aec90b1b004e8deba1e50e9675af9cabf1a13a04b5"},
    };
    uint8_t msg[128];

    (void)state;
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (uint8_t)(i * 7 + 3);
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        check_sha(msg, v[i].len, v[i].hex);
}

static void test_streaming_odd_splits(void **state)
{
    uint8_t msg[1000];
    uint8_t whole[FOTA_SHA256_SIZE], d[FOTA_SHA256_SIZE];
    static const size_t steps[] = {1, 3, 7, 63, 64, 65, 127, 129, 500};

    (void)state;
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (uint8_t)(i * 31 + (i >> 8));
    fota_sha256(msg, sizeof msg, whole);

    /* Fixed chunk sizes. */
    for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
        fota_sha256_t ctx;
        fota_sha256_init(&ctx);
        for (size_t off = 0; off < sizeof msg; off += steps[s]) {
            size_t n =
                sizeof msg - off < steps[s] ? sizeof msg - off : steps[s];
            fota_sha256_update(&ctx, msg + off, n);
        }
        fota_sha256_final(&ctx, d);
        assert_memory_equal(d, whole, sizeof d);
    }
    /* Every two-piece split, including empty pieces. */
    for (size_t cut = 0; cut <= sizeof msg; cut += 11) {
        fota_sha256_t ctx;
        fota_sha256_init(&ctx);
        fota_sha256_update(&ctx, msg, cut);
        fota_sha256_update(&ctx, msg + cut, 0);
        fota_sha256_update(&ctx, msg + cut, sizeof msg - cut);
        fota_sha256_final(&ctx, d);
        assert_memory_equal(d, whole, sizeof d);
    }
    /* The 896-bit FIPS message split at odd points. */
    {
        fota_sha256_t ctx;
        size_t n = strlen(s_msg896);
        fota_sha256_init(&ctx);
        fota_sha256_update(&ctx, s_msg896, 5);
        fota_sha256_update(&ctx, s_msg896 + 5, 61);
        fota_sha256_update(&ctx, s_msg896 + 66, n - 66);
        fota_sha256_final(&ctx, d);
        check_digest(
            d,
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
    }
}

static void check_hmac(const void *key, size_t key_len, const void *msg,
                       size_t msg_len, const char *want)
{
    uint8_t mac[FOTA_SHA256_SIZE];

    fota_hmac_sha256(key, key_len, msg, msg_len, mac);
    check_digest(mac, want);
}

static void test_hmac_rfc4231(void **state)
{
    uint8_t key[131], data[50];
    static const char tc6[] =
        "Test Using Larger Than Block-Size Key - Hash Key First";
    static const char tc7[] =
        "This is a test using a larger than block-size key and a larger than "
        "block-size data. The key needs to be hashed before being used by the "
        "HMAC algorithm.";

    (void)state;
    /* Test case 1 */
    memset(key, 0x0b, 20);
    check_hmac(
        key, 20, "Hi There", 8,
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    /* Test case 2 */
    check_hmac(
        "Jefe", 4, "what do ya want for nothing?", 28,
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    /* Test case 3 */
    memset(key, 0xaa, 20);
    memset(data, 0xdd, 50);
    check_hmac(
        key, 20, data, 50,
        "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
    /* Test case 4 */
    for (int i = 0; i < 25; i++)
        key[i] = (uint8_t)(i + 1);
    memset(data, 0xcd, 50);
    check_hmac(
        key, 25, data, 50,
        "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
    /* Test case 6: key longer than a block is hashed first. */
    memset(key, 0xaa, 131);
    check_hmac(
        key, 131, tc6, strlen(tc6),
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    /* Test case 7 */
    check_hmac(
        key, 131, tc7, strlen(tc7),
        "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

#ifdef FOTA_TEST_OPENSSL
static void test_openssl_differential(void **state)
{
    static uint8_t msg[70000];
    uint32_t x = 0x12345678u;

    (void)state;
    for (size_t i = 0; i < sizeof msg; i++) {
        x = x * 1103515245u + 12345u;
        msg[i] = (uint8_t)(x >> 16);
    }
    for (size_t len = 0; len <= sizeof msg;
         len = len < 1100 ? len + 1 : len * 3 + 7) {
        uint8_t mine[FOTA_SHA256_SIZE], want[FOTA_SHA256_SIZE];
        unsigned wl = 0;
        fota_sha256_t ctx;
        size_t done = 0;

        assert_int_equal(EVP_Digest(msg, len, want, &wl, EVP_sha256(), NULL),
                         1);
        assert_int_equal(wl, FOTA_SHA256_SIZE);
        fota_sha256_init(&ctx);
        while (done < len) {
            size_t n;

            x = x * 1103515245u + 12345u;
            n = (x >> 16) % 200u;
            if (n > len - done)
                n = len - done;
            fota_sha256_update(&ctx, msg + done, n);
            done += n;
        }
        fota_sha256_final(&ctx, mine);
        assert_memory_equal(mine, want, sizeof want);
        if (len > sizeof msg / 3)
            break;
    }
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fips_examples),
        cmocka_unit_test(test_million_a),
        cmocka_unit_test(test_padding_boundaries),
        cmocka_unit_test(test_streaming_odd_splits),
        cmocka_unit_test(test_hmac_rfc4231),
#ifdef FOTA_TEST_OPENSSL
        cmocka_unit_test(test_openssl_differential),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
