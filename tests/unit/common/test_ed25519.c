/*
 * test_ed25519.c - SHA-512 against FIPS 180 examples and streaming splits;
 * Ed25519 against every RFC 8032 section 7.1 vector (public key derived
 * from the seed, signature byte for byte, verification), the rejections a
 * verifier must make (flipped bits, S >= L, non-canonical and off-curve
 * encodings), a sign/verify round trip over pseudo-random messages,
 * Wycheproof's Ed25519 vectors (tests/data/wycheproof_ed25519.txt), a
 * differential test against OpenSSL's Ed25519 (libcrypto) over random
 * keys, messages and tampered signatures, and the image signature check
 * (fota_ed25519_verify_image).
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "fota/fota_ed25519.h"
#include "fota/fota_err.h"
#include "fota/fota_le.h"
#include "fota/fota_prng.h"
#include "fota/fota_sha512.h"
#include "fota/fota_text.h"

#ifdef FOTA_TEST_OPENSSL
#include <openssl/evp.h>
#endif

static size_t unhex(const char *s, uint8_t *out, size_t max)
{
    size_t n = strlen(s) / 2;

    assert_true(n <= max);
    assert_int_equal(fota_hex_decode(s, 2 * n, out, n), (int)n);
    return n;
}

/* ---- SHA-512 -------------------------------------------------------------- */

static void check_sha512(const void *msg, size_t len, const char *want)
{
    uint8_t d[FOTA_SHA512_SIZE];
    char got[2 * FOTA_SHA512_SIZE + 1];

    fota_sha512(msg, len, d);
    fota_hex_encode(d, sizeof d, got);
    assert_string_equal(got, want);
}

static void test_sha512_fips(void **state)
{
    (void)state;
    /* FIPS 180 examples: "abc" (one block), the 896-bit message (the
     * length field spills into a second block), the empty message, and
     * the 448-bit message of the SHA-256 examples. */
    check_sha512(
        "abc", 3,
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
        "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
    check_sha512(
        "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
        "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
        112,
        "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018"
        "501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909");
    check_sha512(
        "", 0,
        "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
        "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e");
    check_sha512(
        "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
        "204a8fc6dda82f0a0ced7beb8e08a41657c16ef468b228a8279be331a703c335"
        "96fd15c13b1b07f9aa1d3bea57789ca031ad85c7a71dd70354ec631238ca3445");
}

static void test_sha512_million_a(void **state)
{
    uint8_t chunk[1000];
    uint8_t d[FOTA_SHA512_SIZE];
    char got[2 * FOTA_SHA512_SIZE + 1];
    fota_sha512_t ctx;

    (void)state;
    memset(chunk, 'a', sizeof chunk);
    fota_sha512_init(&ctx);
    for (int i = 0; i < 1000; i++)
        fota_sha512_update(&ctx, chunk, sizeof chunk);
    fota_sha512_final(&ctx, d);
    fota_hex_encode(d, sizeof d, got);
    assert_string_equal(
        got,
        "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973eb"
        "de0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b");
}

/* Any split of the input gives the one-shot digest, across the padding
 * boundaries (111/112 bytes: the length field fits or not). */
static void test_sha512_splits(void **state)
{
    uint8_t msg[300], one[FOTA_SHA512_SIZE], two[FOTA_SHA512_SIZE];

    (void)state;
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (uint8_t)(i * 7 + 3);
    for (size_t len = 0; len <= 260; len++) {
        fota_sha512(msg, len, one);
        for (size_t cut = 0; cut <= len; cut += 37) {
            fota_sha512_t ctx;
            fota_sha512_init(&ctx);
            fota_sha512_update(&ctx, msg, cut);
            fota_sha512_update(&ctx, msg + cut, len - cut);
            fota_sha512_final(&ctx, two);
            assert_memory_equal(one, two, sizeof one);
        }
    }
    /* Neighbouring lengths differ (padding is not ambiguous). */
    fota_sha512(msg, 111, one);
    fota_sha512(msg, 112, two);
    assert_memory_not_equal(one, two, sizeof one);
}

/* ---- RFC 8032 section 7.1 --------------------------------------------------- */

static const char s_msg1024[] =
    "08b8b2b733424243760fe426a4b54908632110a66c2f6591eabd3345e3e4eb98"
    "fa6e264bf09efe12ee50f8f54e9f77b1e355f6c50544e23fb1433ddf73be84d8"
    "79de7c0046dc4996d9e773f4bc9efe5738829adb26c81b37c93a1b270b20329d"
    "658675fc6ea534e0810a4432826bf58c941efb65d57a338bbd2e26640f89ffbc"
    "1a858efcb8550ee3a5e1998bd177e93a7363c344fe6b199ee5d02e82d522c4fe"
    "ba15452f80288a821a579116ec6dad2b3b310da903401aa62100ab5d1a36553e"
    "06203b33890cc9b832f79ef80560ccb9a39ce767967ed628c6ad573cb116dbef"
    "efd75499da96bd68a8a97b928a8bbc103b6621fcde2beca1231d206be6cd9ec7"
    "aff6f6c94fcd7204ed3455c68c83f4a41da4af2b74ef5c53f1d8ac70bdcb7ed1"
    "85ce81bd84359d44254d95629e9855a94a7c1958d1f8ada5d0532ed8a5aa3fb2"
    "d17ba70eb6248e594e1a2297acbbb39d502f1a8c6eb6f1ce22b3de1a1f40cc24"
    "554119a831a9aad6079cad88425de6bde1a9187ebb6092cf67bf2b13fd65f270"
    "88d78b7e883c8759d2c4f5c65adb7553878ad575f9fad878e80a0c9ba63bcbcc"
    "2732e69485bbc9c90bfbd62481d9089beccf80cfe2df16a2cf65bd92dd597b07"
    "07e0917af48bbb75fed413d238f5555a7a569d80c3414a8d0859dc65a46128ba"
    "b27af87a71314f318c782b23ebfe808b82b0ce26401d2e22f04d83d1255dc51a"
    "ddd3b75a2b1ae0784504df543af8969be3ea7082ff7fc9888c144da2af58429e"
    "c96031dbcad3dad9af0dcbaaaf268cb8fcffead94f3c7ca495e056a9b47acdb7"
    "51fb73e666c6c655ade8297297d07ad1ba5e43f1bca32301651339e22904cc8c"
    "42f58c30c04aafdb038dda0847dd988dcda6f3bfd15c4b4c4525004aa06eeff8"
    "ca61783aacec57fb3d1f92b0fe2fd1a85f6724517b65e614ad6808d6f6ee34df"
    "f7310fdc82aebfd904b01e1dc54b2927094b2db68d6f903b68401adebf5a7e08"
    "d78ff4ef5d63653a65040cf9bfd4aca7984a74d37145986780fc0b16ac451649"
    "de6188a7dbdf191f64b5fc5e2ab47b57f7f7276cd419c17a3ca8e1b939ae49e4"
    "88acba6b965610b5480109c8b17b80e1b7b750dfc7598d5d5011fd2dcc5600a3"
    "2ef5b52a1ecc820e308aa342721aac0943bf6686b64b2579376504ccc493d97e"
    "6aed3fb0f9cd71a43dd497f01f17c0e2cb3797aa2a2f256656168e6c496afc5f"
    "b93246f6b1116398a346f1a641f3b041e989f7914f90cc2c7fff357876e506b5"
    "0d334ba77c225bc307ba537152f3f1610e4eafe595f6d9d90d11faa933a15ef1"
    "369546868a7f3a45a96768d40fd9d03412c091c6315cf4fde7cb68606937380d"
    "b2eaaa707b4c4185c32eddcdd306705e4dc1ffc872eeee475a64dfac86aba41c"
    "0618983f8741c5ef68d3a101e8a3b8cac60c905c15fc910840b94c00a0b9d0";

typedef struct {
    const char *name;
    const char *seed, *pub, *msg, *sig;
} vector_t;

/* RFC 8032 section 7.1, TEST 1, 2, 3, 1024 and SHA(abc). The TEST 1024
 * message is s_msg1024 above (1023 bytes). Beware of copies of this vector
 * in circulation whose message has a changed byte near offset 224 and a
 * signature starting d686294b: they are not the RFC's. */
static const vector_t s_vectors[] = {
    {"TEST 1",
     "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
     "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
    {"TEST 2",
     "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
     "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
    {"TEST 3",
     "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
     "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"},
    {"TEST 1024",
     "f5e5767cf153319517630f226876b86c8160cc583bc013744c6bf255f5cc0ee5",
     "278117fc144c72340f67d0f2316e8386ceffbf2b2428c9c51fef7c597f1d426e",
     s_msg1024,
     "0aab4c900501b3e24d7cdf4663326a3a87df5e4843b2cbdb67cbf6e460fec350"
     "aa5371b1508f9f4528ecea23c436d94b5e8fcd4f681e30a6ac00a9704a188a03"},
    {"TEST SHA(abc)",
     "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
     "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
     "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
     "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
     "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b589"
     "09351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704"},
};

static void test_rfc8032_vectors(void **state)
{
    static uint8_t msg[1024];

    (void)state;
    for (size_t v = 0; v < sizeof s_vectors / sizeof s_vectors[0]; v++) {
        const vector_t *t = &s_vectors[v];
        uint8_t seed[32], pub[32], want[64], got_pub[32], got_sig[64];
        size_t len;

        print_message("%s\n", t->name);
        unhex(t->seed, seed, sizeof seed);
        unhex(t->pub, pub, sizeof pub);
        unhex(t->sig, want, sizeof want);
        len = unhex(t->msg, msg, sizeof msg);
        fota_ed25519_pubkey(got_pub, seed);
        assert_memory_equal(got_pub, pub, 32);
        fota_ed25519_sign(got_sig, msg, len, seed, pub);
        assert_memory_equal(got_sig, want, 64);
        assert_int_equal(fota_ed25519_verify(want, msg, len, pub), 0);
    }
    /* The TEST 1024 message really is 1023 bytes and SHA(abc)'s is the
     * SHA-512 of "abc" (checks the transcription and SHA-512 together). */
    assert_int_equal(unhex(s_msg1024, msg, sizeof msg), 1023);
    {
        uint8_t d[64], m[64];
        fota_sha512("abc", 3, d);
        unhex(s_vectors[4].msg, m, sizeof m);
        assert_memory_equal(d, m, 64);
    }
}

/* ---- rejections ------------------------------------------------------------ */

/* L, little-endian. */
static const uint8_t s_l[32] = {
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
    0xa2, 0xde, 0xf9, 0xde, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
};

static void vector2(uint8_t seed[32], uint8_t pub[32], uint8_t sig[64])
{
    unhex(s_vectors[1].seed, seed, 32);
    unhex(s_vectors[1].pub, pub, 32);
    unhex(s_vectors[1].sig, sig, 64);
}

static void test_flipped_bits(void **state)
{
    uint8_t seed[32], pub[32], sig[64], bad[64], badpub[32];
    uint8_t msg[1] = {0x72};

    (void)state;
    vector2(seed, pub, sig);
    assert_int_equal(fota_ed25519_verify(sig, msg, 1, pub), 0);
    /* Single-bit changes all over the signature (R and S, every byte,
     * a different bit in each; every bit is too slow under sanitizers). */
    for (int bit = 0; bit < 512; bit += 7) {
        memcpy(bad, sig, 64);
        bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        assert_int_equal(fota_ed25519_verify(bad, msg, 1, pub), FOTA_ERR_AUTH);
    }
    /* ... and of the message ... */
    for (int bit = 0; bit < 8; bit++) {
        uint8_t m2 = (uint8_t)(msg[0] ^ (1u << bit));
        assert_int_equal(fota_ed25519_verify(sig, &m2, 1, pub), FOTA_ERR_AUTH);
    }
    assert_int_equal(fota_ed25519_verify(sig, msg, 0, pub), FOTA_ERR_AUTH);
    /* ... and of the public key (some flips give no point at all, others
     * another key: both refused). */
    for (int bit = 0; bit < 256; bit += 9) {
        memcpy(badpub, pub, 32);
        badpub[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        assert_int_equal(fota_ed25519_verify(sig, msg, 1, badpub),
                         FOTA_ERR_AUTH);
    }
}

/* S + L satisfies the verification equation exactly as S does, so only
 * the range check stops this second signature of the same message. */
static void test_s_not_below_l(void **state)
{
    uint8_t seed[32], pub[32], sig[64], bad[64];
    uint8_t msg[1] = {0x72};
    unsigned carry = 0;

    (void)state;
    vector2(seed, pub, sig);
    memcpy(bad, sig, 64);
    for (int i = 0; i < 32; i++) {
        unsigned t = bad[32 + i] + s_l[i] + carry;
        bad[32 + i] = (uint8_t)t;
        carry = t >> 8;
    }
    assert_int_equal(carry, 0);
    assert_int_equal(fota_ed25519_verify(bad, msg, 1, pub), FOTA_ERR_AUTH);
    memcpy(bad + 32, s_l, 32); /* S = L */
    assert_int_equal(fota_ed25519_verify(bad, msg, 1, pub), FOTA_ERR_AUTH);
    memset(bad + 32, 0xff, 32);
    assert_int_equal(fota_ed25519_verify(bad, msg, 1, pub), FOTA_ERR_AUTH);
}

/* Encodings of y with the sign bit in bit 255. */
static void enc_y(uint8_t out[32], uint32_t small_y, int sign)
{
    memset(out, 0, 32);
    fota_put_le32(out, small_y);
    out[31] |= (uint8_t)(sign << 7);
}

/* p + small (non-canonical encoding of small), small < 19. */
static void enc_p_plus(uint8_t out[32], unsigned small)
{
    memset(out, 0xff, 32);
    out[0] = (uint8_t)(0xed + small);
    out[31] = 0x7f;
}

/* The identity point (x = 0, y = 1) as both A and R with S = 0 satisfies
 * [S]B = R + [k]A for every message: a positive control that lets the
 * non-canonical encodings of the same points be tested for the encoding
 * check alone (the equation would hold for them too). */
static void test_noncanonical_points(void **state)
{
    uint8_t id[32], id_nc[32], id_neg0[32], sig[64];
    const char *msg = "any message";

    (void)state;
    enc_y(id, 1, 0);
    enc_p_plus(id_nc, 1); /* y = p + 1 = 1 mod p */
    enc_y(id_neg0, 1, 1); /* x = 0 with the sign bit set: "-0" */

    memcpy(sig, id, 32);
    memset(sig + 32, 0, 32);
    assert_int_equal(fota_ed25519_verify(sig, msg, strlen(msg), id), 0);

    assert_int_equal(fota_ed25519_verify(sig, msg, strlen(msg), id_nc),
                     FOTA_ERR_AUTH);
    assert_int_equal(fota_ed25519_verify(sig, msg, strlen(msg), id_neg0),
                     FOTA_ERR_AUTH);
    memcpy(sig, id_nc, 32);
    assert_int_equal(fota_ed25519_verify(sig, msg, strlen(msg), id),
                     FOTA_ERR_AUTH);
    memcpy(sig, id_neg0, 32);
    assert_int_equal(fota_ed25519_verify(sig, msg, strlen(msg), id),
                     FOTA_ERR_AUTH);
}

/* y = 2 has no x on the curve ((y^2 - 1) / (d y^2 + 1) is not a square
 * mod p): not a public key, not an R. */
static void test_off_curve(void **state)
{
    uint8_t seed[32], pub[32], sig[64], bad[32], badsig[64];
    uint8_t msg[1] = {0x72};

    (void)state;
    vector2(seed, pub, sig);
    enc_y(bad, 2, 0);
    assert_int_equal(fota_ed25519_verify(sig, msg, 1, bad), FOTA_ERR_AUTH);
    memcpy(badsig, sig, 64);
    memcpy(badsig, bad, 32);
    assert_int_equal(fota_ed25519_verify(badsig, msg, 1, pub), FOTA_ERR_AUTH);
}

/* ---- round trip --------------------------------------------------------------- */

static uint32_t s_rng;

/* Reproducible from the printed seed. */
static uint8_t rnd8(void)
{
    return (uint8_t)(fota_prng_next(&s_rng) >> 24);
}

/* A random seed and len-byte message, its public key and signature. */
static void random_signed(uint8_t seed[32], uint8_t pub[32], uint8_t sig[64],
                          uint8_t *msg, size_t len)
{
    for (int i = 0; i < 32; i++)
        seed[i] = rnd8();
    for (size_t i = 0; i < len; i++)
        msg[i] = rnd8();
    fota_ed25519_pubkey(pub, seed);
    fota_ed25519_sign(sig, msg, len, seed, pub);
}

static void test_round_trip(void **state)
{
    uint8_t seed[32], pub[32], other[32], sig[64], msg[300];

    (void)state;
    s_rng = fota_prng_seed((uint32_t)time(NULL));
    print_message("round trip seed %llu\n", (unsigned long long)s_rng);
    for (int it = 0; it < 16; it++) {
        size_t len = rnd8() + (size_t)(rnd8() & 1) * 40;

        random_signed(seed, pub, sig, msg, len);
        assert_int_equal(fota_ed25519_verify(sig, msg, len, pub), 0);
        /* Deterministic: the same signature again. */
        {
            uint8_t again[64];
            fota_ed25519_sign(again, msg, len, seed, pub);
            assert_memory_equal(sig, again, 64);
        }
        /* Another key does not verify it. */
        seed[it % 32] ^= 0x01;
        fota_ed25519_pubkey(other, seed);
        assert_int_equal(fota_ed25519_verify(sig, msg, len, other),
                         FOTA_ERR_AUTH);
        if (len > 0) {
            msg[len / 2] ^= 0x80;
            assert_int_equal(fota_ed25519_verify(sig, msg, len, pub),
                             FOTA_ERR_AUTH);
        }
    }
}

/* ---- Wycheproof --------------------------------------------------------------- */

/* One hex field of a vector line ("-" is empty). Returns its length in
 * bytes, or -1 when it is not hex or longer than max. */
static int hex_field(const char *tok, uint8_t *out, size_t max)
{
    size_t n = strlen(tok);

    if (strcmp(tok, "-") == 0)
        return 0;
    if (n % 2 != 0 || n / 2 > max)
        return -1;
    return fota_hex_decode(tok, n, out, n / 2) == (int)(n / 2) ? (int)(n / 2)
                                                               : -1;
}

static void test_wycheproof(void **state)
{
    static char line[8192];
    static uint8_t msg[2048];
    uint8_t pub[64], sig[128];
    FILE *f = fopen(FOTA_TEST_DATA_DIR "/wycheproof_ed25519.txt", "r");
    int valid = 0, invalid = 0;

    (void)state;
    if (f == NULL)
        fail_msg("cannot open %s",
                 FOTA_TEST_DATA_DIR "/wycheproof_ed25519.txt");
    while (fgets(line, sizeof line, f) != NULL) {
        char id[16], result[16], pk[160], m[4200], sg[300];
        int pn, mn, sn, rc;

        if (line[0] == '#')
            continue;
        if (sscanf(line, "%15s %15s %159s %4199s %299s", id, result, pk, m,
                   sg) != 5)
            fail_msg("malformed vector line: %.60s", line);
        pn = hex_field(pk, pub, sizeof pub);
        mn = hex_field(m, msg, sizeof msg);
        sn = hex_field(sg, sig, sizeof sig);
        if (pn != 32 || mn < 0 || sn < 0)
            fail_msg("tcId %s: bad public key or message field", id);
        /* The API takes exactly 64 signature bytes: another length is
         * refused before verification (fota_ed25519_verify_image checks
         * the record length); such vectors must be marked invalid. */
        if (sn != 64) {
            if (strcmp(result, "invalid") != 0)
                fail_msg("tcId %s: a %d-byte signature marked %s", id, sn,
                         result);
            invalid++;
            continue;
        }
        rc = fota_ed25519_verify(sig, msg, (size_t)mn, pub);
        if (strcmp(result, "valid") == 0) {
            if (rc != 0)
                fail_msg("tcId %s: valid signature refused (%d)", id, rc);
            valid++;
        } else if (strcmp(result, "invalid") == 0) {
            if (rc != FOTA_ERR_AUTH)
                fail_msg("tcId %s: invalid signature accepted", id);
            invalid++;
        } else {
            fail_msg("tcId %s: unknown result %s", id, result);
        }
    }
    fclose(f);
    print_message("wycheproof: %d valid, %d invalid\n", valid, invalid);
    /* The file as committed: 88 valid, 63 invalid (all of them). */
    assert_int_equal(valid, 88);
    assert_int_equal(invalid, 63);
}

#ifdef FOTA_TEST_OPENSSL
/* ---- differential: OpenSSL's Ed25519 ------------------------------------------- */

static void ossl_pub_sign(const uint8_t seed[32], const uint8_t *msg,
                          size_t len, uint8_t pub[32], uint8_t sig[64])
{
    EVP_PKEY *k =
        EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    size_t pl = 32, sl = 64;

    assert_non_null(k);
    assert_non_null(c);
    assert_int_equal(EVP_PKEY_get_raw_public_key(k, pub, &pl), 1);
    assert_int_equal(EVP_DigestSignInit(c, NULL, NULL, NULL, k), 1);
    assert_int_equal(EVP_DigestSign(c, sig, &sl, msg, len), 1);
    assert_int_equal(sl, 64);
    EVP_MD_CTX_free(c);
    EVP_PKEY_free(k);
}

static int ossl_verify(const uint8_t pub[32], const uint8_t sig[64],
                       const uint8_t *msg, size_t len)
{
    EVP_PKEY *k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, 32);
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    int ok = 0;

    assert_non_null(c);
    if (k != NULL && EVP_DigestVerifyInit(c, NULL, NULL, NULL, k) == 1)
        ok = EVP_DigestVerify(c, sig, 64, msg, len) == 1;
    EVP_MD_CTX_free(c);
    EVP_PKEY_free(k);
    return ok;
}

/* Keys, signatures and verdicts equal OpenSSL's for random seeds and
 * messages, and for signatures with one bit flipped, S + L, and R
 * replaced by another point's encoding. */
static void test_openssl_differential(void **state)
{
    uint8_t seed[32], pub[32], opub[32], sig[64], osig[64], bad[64], msg[200];

    (void)state;
    s_rng = fota_prng_seed((uint32_t)time(NULL) * 2654435761u);
    print_message("differential seed %llu\n", (unsigned long long)s_rng);
    for (int it = 0; it < 48; it++) {
        size_t len = rnd8() % sizeof msg;

        random_signed(seed, pub, sig, msg, len);
        ossl_pub_sign(seed, msg, len, opub, osig);
        assert_memory_equal(pub, opub, 32);
        assert_memory_equal(sig, osig, 64);
        assert_int_equal(fota_ed25519_verify(sig, msg, len, pub), 0);
        for (int t = 0; t < 4; t++) {
            unsigned bit = (unsigned)rnd8() * 2u + (rnd8() & 1u);

            memcpy(bad, sig, 64);
            bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            assert_int_equal(fota_ed25519_verify(bad, msg, len, pub) == 0,
                             ossl_verify(pub, bad, msg, len));
        }
        /* R from another signature: a valid point, the wrong one. */
        memcpy(bad, sig, 64);
        seed[0] ^= 0x40;
        fota_ed25519_pubkey(opub, seed);
        memcpy(bad, opub, 32);
        assert_int_equal(fota_ed25519_verify(bad, msg, len, pub),
                         FOTA_ERR_AUTH);
        assert_int_equal(ossl_verify(pub, bad, msg, len), 0);
        /* A random 32-byte string as the public key. */
        for (int i = 0; i < 32; i++)
            opub[i] = rnd8();
        assert_int_equal(fota_ed25519_verify(sig, msg, len, opub) == 0,
                         ossl_verify(opub, sig, msg, len));
    }
}
#endif

/* ---- image signature check ------------------------------------------------------ */

static void put_tlv(fota_image_hdr_t *h, uint16_t type, const uint8_t *val,
                    uint16_t len)
{
    fota_put_le16(h->tlv + h->tlv_size, type);
    fota_put_le16(h->tlv + h->tlv_size + 2, len);
    memcpy(h->tlv + h->tlv_size + 4, val, len);
    h->tlv_size = (uint16_t)(h->tlv_size + 4 + len);
}

static void test_verify_image(void **state)
{
    uint8_t seed[32], pub[32], sig[64], kid[8], other_pub[32];
    fota_image_hdr_t h, t;

    (void)state;
    for (int i = 0; i < 32; i++)
        seed[i] = (uint8_t)(i * 11 + 1);
    fota_ed25519_pubkey(pub, seed);
    seed[0] ^= 1;
    fota_ed25519_pubkey(other_pub, seed);
    seed[0] ^= 1;
    memset(&h, 0, sizeof h);
    for (int i = 0; i < 32; i++)
        h.sha256[i] = (uint8_t)(0xa0 + i);
    memset(h.tlv, 0xff, sizeof h.tlv);

    /* Unsigned: refused. */
    assert_int_equal(fota_ed25519_verify_image(&h, pub), FOTA_ERR_AUTH);

    fota_ed25519_sign(sig, h.sha256, 32, seed, pub);
    fota_ed25519_key_id(kid, pub);
    t = h;
    put_tlv(&t, FOTA_TLV_KEY_ID, kid, 8);
    put_tlv(&t, FOTA_TLV_ED25519_SIG, sig, 64);
    assert_int_equal(fota_ed25519_verify_image(&t, pub), 0);
    /* Another key: refused (key id names a different key). */
    assert_int_equal(fota_ed25519_verify_image(&t, other_pub), FOTA_ERR_AUTH);
    /* The hash changed after signing. */
    t.sha256[5] ^= 0x10;
    assert_int_equal(fota_ed25519_verify_image(&t, pub), FOTA_ERR_AUTH);

    /* Without a key id the signature alone decides. */
    t = h;
    put_tlv(&t, FOTA_TLV_ED25519_SIG, sig, 64);
    assert_int_equal(fota_ed25519_verify_image(&t, pub), 0);
    assert_int_equal(fota_ed25519_verify_image(&t, other_pub), FOTA_ERR_AUTH);

    /* A short signature record, a wrong-length key id, two signatures. */
    t = h;
    put_tlv(&t, FOTA_TLV_ED25519_SIG, sig, 63);
    assert_int_equal(fota_ed25519_verify_image(&t, pub), FOTA_ERR_AUTH);
    t = h;
    put_tlv(&t, FOTA_TLV_KEY_ID, kid, 7);
    put_tlv(&t, FOTA_TLV_ED25519_SIG, sig, 64);
    assert_int_equal(fota_ed25519_verify_image(&t, pub), FOTA_ERR_AUTH);
    t = h;
    put_tlv(&t, FOTA_TLV_ED25519_SIG, sig, 64);
    put_tlv(&t, FOTA_TLV_ED25519_SIG, sig, 64);
    assert_int_equal(fota_ed25519_verify_image(&t, pub), FOTA_ERR_AUTH);
}

/* Host timing figure for docs/security.md (printed, not asserted). */
static void test_verify_time(void **state)
{
    uint8_t seed[32], pub[32], sig[64], msg[32];
    struct timespec a, b;
    const int n = 20;

    (void)state;
    memset(seed, 7, sizeof seed);
    memset(msg, 9, sizeof msg);
    fota_ed25519_pubkey(pub, seed);
    fota_ed25519_sign(sig, msg, sizeof msg, seed, pub);
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < n; i++)
        assert_int_equal(fota_ed25519_verify(sig, msg, sizeof msg, pub), 0);
    clock_gettime(CLOCK_MONOTONIC, &b);
    print_message("verify: %.2f ms per signature (this build)\n",
                  ((double)(b.tv_sec - a.tv_sec) * 1e3 +
                   (double)(b.tv_nsec - a.tv_nsec) / 1e6) /
                      n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha512_fips),
        cmocka_unit_test(test_sha512_million_a),
        cmocka_unit_test(test_sha512_splits),
        cmocka_unit_test(test_rfc8032_vectors),
        cmocka_unit_test(test_flipped_bits),
        cmocka_unit_test(test_s_not_below_l),
        cmocka_unit_test(test_noncanonical_points),
        cmocka_unit_test(test_off_curve),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_wycheproof),
#ifdef FOTA_TEST_OPENSSL
        cmocka_unit_test(test_openssl_differential),
#endif
        cmocka_unit_test(test_verify_image),
        cmocka_unit_test(test_verify_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
