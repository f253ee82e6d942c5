/*
 * test_image.c - the image header codec, slot check, hash start, version
 * order and TLV lookup.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fota/fota_err.h"
#include "fota/fota_image.h"
#include "fota/fota_prng.h"

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static void wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

/* A header with every field distinct, so a field written to the wrong
 * offset shows up. */
static void sample(fota_image_hdr_t *h)
{
    fota_image_hdr_init(h, 1, 0x00012340u, "stm32f407-disco");
    h->version.major = 0x12;
    h->version.minor = 0x34;
    h->version.patch = 0x5678;
    h->version.build = 0x9ABCDEF0u;
    h->sec_counter = 0x11223344u;
    h->flags = 0xA5A5005Au;
    for (int i = 0; i < FOTA_SHA256_SIZE; i++)
        h->sha256[i] = (uint8_t)(0xC0 + i);
}

static void test_layout_offsets(void **state)
{
    fota_image_hdr_t h;
    uint8_t b[FOTA_IMAGE_HDR_SIZE];

    (void)state;
    sample(&h);
    h.confirm_window_ms = 12345;
    memset(b, 0x5C, sizeof b);
    fota_image_hdr_encode(&h, b);
    assert_memory_equal(b, "FOTA", 4);
    assert_int_equal(rd32(b + 0), FOTA_IMAGE_MAGIC);
    assert_int_equal(rd16(b + 4), FOTA_IMAGE_HDR_VERSION);
    assert_int_equal(rd16(b + 6), 512);
    assert_int_equal(b[8], 0x12);
    assert_int_equal(b[9], 0x34);
    assert_int_equal(rd16(b + 10), 0x5678);
    assert_int_equal(rd32(b + 12), 0x9ABCDEF0u);
    assert_int_equal(rd32(b + 16), 0x11223344u);
    assert_int_equal(rd32(b + 20), 0x00012340u);
    assert_int_equal(rd32(b + 24), 0x08080200u);
    assert_int_equal(rd32(b + 28), 0xA5A5005Au);
    assert_memory_equal(b + 32, "stm32f407-disco\0", 16);
    assert_int_equal(rd32(b + 48), 12345u);
    assert_int_equal(b[48], 12345u & 0xFF);
    for (int i = 52; i < 64; i++)
        assert_int_equal(b[i], 0);
    for (int i = 0; i < 32; i++)
        assert_int_equal(b[64 + i], 0xC0 + i);
    assert_int_equal(rd16(b + 96), 0);
    assert_int_equal(b[98], 0);
    assert_int_equal(b[99], 0);
    for (int i = 100; i < 512; i++)
        assert_int_equal(b[i], 0xFF);
    /* Little-endian byte order explicitly, not just via rd32. */
    assert_int_equal(b[12], 0xF0);
    assert_int_equal(b[15], 0x9A);
}

static void test_round_trip(void **state)
{
    fota_image_hdr_t h, d;
    uint8_t b[FOTA_IMAGE_HDR_SIZE], b2[FOTA_IMAGE_HDR_SIZE];

    (void)state;
    sample(&h);
    h.confirm_window_ms = 0xCAFE1234u;
    h.tlv_size = 8;
    memcpy(h.tlv, "\x21\x00\x04\x00\xde\xad\xbe\xef", 8);
    fota_image_hdr_encode(&h, b);
    assert_int_equal(fota_image_hdr_decode(&d, b), 0);
    assert_int_equal(d.magic, h.magic);
    assert_int_equal(d.hdr_version, h.hdr_version);
    assert_int_equal(d.hdr_size, h.hdr_size);
    assert_int_equal(fota_version_cmp(&d.version, &h.version), 0);
    assert_int_equal(d.version.build, h.version.build);
    assert_int_equal(d.sec_counter, h.sec_counter);
    assert_int_equal(d.body_size, h.body_size);
    assert_int_equal(d.load_addr, h.load_addr);
    assert_int_equal(d.flags, h.flags);
    assert_int_equal(d.confirm_window_ms, h.confirm_window_ms);
    assert_memory_equal(d.product, h.product, FOTA_IMAGE_PRODUCT_LEN);
    assert_memory_equal(d.sha256, h.sha256, FOTA_SHA256_SIZE);
    assert_int_equal(d.tlv_size, 8);
    assert_memory_equal(d.tlv, h.tlv, 8);
    fota_image_hdr_encode(&d, b2);
    assert_memory_equal(b, b2, sizeof b);
}

static void test_product_full_width(void **state)
{
    fota_image_hdr_t h, d;
    uint8_t b[FOTA_IMAGE_HDR_SIZE];

    (void)state;
    sample(&h);
    memcpy(h.product, "0123456789abcdef", 16); /* no terminator */
    fota_image_hdr_encode(&h, b);
    assert_memory_equal(b + 32, "0123456789abcdef", 16);
    assert_int_equal(b[48], 0);
    assert_int_equal(fota_image_hdr_decode(&d, b), 0);
    assert_memory_equal(d.product, "0123456789abcdef", 16);
}

static void test_decode_rejects(void **state)
{
    fota_image_hdr_t h, d;
    uint8_t good[FOTA_IMAGE_HDR_SIZE], b[FOTA_IMAGE_HDR_SIZE];

    (void)state;
    sample(&h);
    fota_image_hdr_encode(&h, good);
    assert_int_equal(fota_image_hdr_decode(&d, good), 0);

    memcpy(b, good, sizeof b);
    b[0] ^= 0x01; /* magic */
    assert_int_equal(fota_image_hdr_decode(&d, b), FOTA_ERR_CORRUPT);

    memcpy(b, good, sizeof b);
    wr16(b + 4, FOTA_IMAGE_HDR_VERSION + 1);
    assert_int_equal(fota_image_hdr_decode(&d, b), FOTA_ERR_CORRUPT);
    wr16(b + 4, 0);
    assert_int_equal(fota_image_hdr_decode(&d, b), FOTA_ERR_CORRUPT);

    memcpy(b, good, sizeof b);
    wr16(b + 6, 256);
    assert_int_equal(fota_image_hdr_decode(&d, b), FOTA_ERR_CORRUPT);
    wr16(b + 6, 1024);
    assert_int_equal(fota_image_hdr_decode(&d, b), FOTA_ERR_CORRUPT);

    memcpy(b, good, sizeof b);
    wr16(b + 96, FOTA_IMAGE_TLV_MAX);
    assert_int_equal(fota_image_hdr_decode(&d, b), 0);
    wr16(b + 96, FOTA_IMAGE_TLV_MAX + 1);
    assert_int_equal(fota_image_hdr_decode(&d, b), FOTA_ERR_CORRUPT);
    wr16(b + 96, 0xFFFF); /* erased tlv_size */
    assert_int_equal(fota_image_hdr_decode(&d, b), FOTA_ERR_CORRUPT);

    /* Erased flash is not a header. */
    memset(b, 0xFF, sizeof b);
    assert_int_equal(fota_image_hdr_decode(&d, b), FOTA_ERR_CORRUPT);
    memset(b, 0x00, sizeof b);
    assert_int_equal(fota_image_hdr_decode(&d, b), FOTA_ERR_CORRUPT);
}

static void test_encode_clamps_oversized_tlv(void **state)
{
    fota_image_hdr_t h, d;
    uint8_t b[FOTA_IMAGE_HDR_SIZE];

    (void)state;
    sample(&h);
    h.tlv_size = FOTA_IMAGE_TLV_MAX + 10;
    memset(h.tlv, 0x42, sizeof h.tlv);
    fota_image_hdr_encode(&h, b);
    /* No overrun (ASan would see one), and the result does not decode. */
    assert_int_equal(fota_image_hdr_decode(&d, b), FOTA_ERR_CORRUPT);
}

static void test_check_slot(void **state)
{
    fota_image_hdr_t h;

    (void)state;
    sample(&h);
    h.body_size = 4096;
    for (int s = 0; s < 2; s++) {
        h.load_addr = FOTA_SLOT_BODY_ADDR(s);
        assert_int_equal(fota_image_check_slot(&h, s), 0);
        /* Linked for the other slot, or for the slot start itself. */
        assert_int_equal(fota_image_check_slot(&h, 1 - s), FOTA_ERR_RANGE);
        h.load_addr = FOTA_SLOT_ADDR(s);
        assert_int_equal(fota_image_check_slot(&h, s), FOTA_ERR_RANGE);
        h.load_addr = FOTA_SLOT_BODY_ADDR(s);
    }
    assert_int_equal(FOTA_SLOT_BODY_ADDR(0), 0x08020200);
    assert_int_equal(FOTA_SLOT_BODY_ADDR(1), 0x08080200);

    h.load_addr = FOTA_SLOT_BODY_ADDR(0);
    h.body_size = 0;
    assert_int_equal(fota_image_check_slot(&h, 0), FOTA_ERR_RANGE);
    h.body_size = 4097;
    assert_int_equal(fota_image_check_slot(&h, 0), FOTA_ERR_RANGE);
    h.body_size = 4098;
    assert_int_equal(fota_image_check_slot(&h, 0), FOTA_ERR_RANGE);
    h.body_size = FOTA_SLOT_BODY_MAX;
    assert_int_equal(fota_image_check_slot(&h, 0), 0);
    h.body_size = FOTA_SLOT_BODY_MAX + 4;
    assert_int_equal(fota_image_check_slot(&h, 0), FOTA_ERR_RANGE);
    h.body_size = 0xFFFFFFFCu;
    assert_int_equal(fota_image_check_slot(&h, 0), FOTA_ERR_RANGE);

    h.body_size = 4096;
    assert_int_equal(fota_image_check_slot(&h, -1), FOTA_ERR_RANGE);
    assert_int_equal(fota_image_check_slot(&h, 2), FOTA_ERR_RANGE);
}

static void test_hash_start_covers_first_64_bytes(void **state)
{
    fota_image_hdr_t h;
    uint8_t b[FOTA_IMAGE_HDR_SIZE];
    uint8_t body[100], d1[32], d2[32], d3[32];
    fota_sha256_t sha;

    (void)state;
    sample(&h);
    fota_image_hdr_encode(&h, b);
    memset(body, 0x3C, sizeof body);

    fota_image_hash_start(&sha, b);
    fota_sha256_update(&sha, body, sizeof body);
    fota_sha256_final(&sha, d1);

    /* Same as hashing the 64 bytes and the body explicitly. */
    uint8_t cat[64 + sizeof body];
    memcpy(cat, b, 64);
    memcpy(cat + 64, body, sizeof body);
    fota_sha256(cat, sizeof cat, d2);
    assert_memory_equal(d1, d2, 32);

    /* The sha256 field and the TLV area are not hashed; byte 63 is. */
    b[64] ^= 0xFF;
    b[200] ^= 0xFF;
    fota_image_hash_start(&sha, b);
    fota_sha256_update(&sha, body, sizeof body);
    fota_sha256_final(&sha, d3);
    assert_memory_equal(d1, d3, 32);
    b[63] ^= 0x01;
    fota_image_hash_start(&sha, b);
    fota_sha256_update(&sha, body, sizeof body);
    fota_sha256_final(&sha, d3);
    assert_memory_not_equal(d1, d3, 32);
}

static void test_version_order(void **state)
{
    /* Sorted ascending; each field outranks all those after it. */
    static const fota_version_t v[] = {
        {0, 0, 0, 0},
        {0, 0, 0, 1},
        {0, 0, 0, 0xFFFFFFFFu},
        {0, 0, 1, 0},
        {0, 0, 255, 0},
        {0, 0, 256, 0},
        {0, 0, 0xFFFF, 0xFFFFFFFFu},
        {0, 1, 0, 0},
        {0, 255, 0xFFFF, 7},
        {1, 0, 0, 0},
        {1, 2, 3, 4},
        {1, 2, 4, 0},
        {1, 10, 0, 0},
        {2, 0, 0, 0},
        {255, 255, 0xFFFF, 0xFFFFFFFFu},
    };
    const size_t n = sizeof v / sizeof v[0];

    (void)state;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            int c = fota_version_cmp(&v[i], &v[j]);
            if (i < j)
                assert_true(c < 0);
            else if (i > j)
                assert_true(c > 0);
            else
                assert_int_equal(c, 0);
        }
    }
}

/* Append one TLV to h's area. */
static void put_tlv(fota_image_hdr_t *h, uint16_t type, const void *val,
                    uint16_t len)
{
    uint8_t *p = h->tlv + h->tlv_size;
    wr16(p, type);
    wr16(p + 2, len);
    memcpy(p + 4, val, len);
    h->tlv_size = (uint16_t)(h->tlv_size + 4 + len);
}

static void test_tlv_find(void **state)
{
    fota_image_hdr_t h, d;
    uint8_t b[FOTA_IMAGE_HDR_SIZE];
    uint8_t sig[64], kid[8];
    const uint8_t *val = NULL;

    (void)state;
    for (int i = 0; i < 64; i++)
        sig[i] = (uint8_t)(i * 3);
    memcpy(kid, "KEYID-01", 8);
    sample(&h);
    memset(h.tlv, 0xFF, sizeof h.tlv);
    put_tlv(&h, 0x7777, "", 0); /* empty value */
    put_tlv(&h, FOTA_TLV_ED25519_SIG, sig, sizeof sig);
    put_tlv(&h, FOTA_TLV_KEY_ID, kid, sizeof kid);
    fota_image_hdr_encode(&h, b);
    assert_int_equal(fota_image_hdr_decode(&d, b), 0);

    assert_int_equal(fota_image_tlv_find(&d, FOTA_TLV_ED25519_SIG, &val), 64);
    assert_ptr_equal(val, d.tlv + 8);
    assert_memory_equal(val, sig, 64);
    assert_int_equal(fota_image_tlv_find(&d, FOTA_TLV_KEY_ID, &val), 8);
    assert_memory_equal(val, kid, 8);
    assert_int_equal(fota_image_tlv_find(&d, 0x7777, &val), 0);
    val = NULL;
    assert_int_equal(fota_image_tlv_find(&d, 0x1234, &val), FOTA_ERR_NOENT);
    assert_null(val);
    /* Types in the TLV area are matched exactly, not by value bytes. */
    assert_int_equal(fota_image_tlv_find(&d, 0x0300, &val), FOTA_ERR_NOENT);

    /* Empty area. */
    d.tlv_size = 0;
    assert_int_equal(fota_image_tlv_find(&d, FOTA_TLV_KEY_ID, &val),
                     FOTA_ERR_NOENT);
}

static void test_tlv_malformed(void **state)
{
    fota_image_hdr_t h;
    uint8_t sig[64] = {0};
    const uint8_t *val = NULL;

    (void)state;
    sample(&h);
    put_tlv(&h, FOTA_TLV_ED25519_SIG, sig, sizeof sig);
    put_tlv(&h, FOTA_TLV_KEY_ID, "12345678", 8);
    const uint16_t full = h.tlv_size;

    /* Every truncation of the area that cuts a record is malformed. */
    for (uint16_t sz = 1; sz < full; sz++) {
        h.tlv_size = sz;
        int rc = fota_image_tlv_find(&h, 0x9999, &val);
        if (sz == 68)
            assert_int_equal(rc, FOTA_ERR_NOENT); /* clean record boundary */
        else
            assert_int_equal(rc, FOTA_ERR_CORRUPT);
    }
    h.tlv_size = full;

    /* Damage after the wanted record still rejects the whole area, and
     * leaves *val alone. */
    wr16(h.tlv + 68 + 2, 200);
    val = NULL;
    assert_int_equal(fota_image_tlv_find(&h, FOTA_TLV_ED25519_SIG, &val),
                     FOTA_ERR_CORRUPT);
    assert_null(val);
    wr16(h.tlv + 68 + 2, 8);

    /* Length field pointing past the area (and past the buffer). */
    wr16(h.tlv + 2, 0xFFFF);
    assert_int_equal(fota_image_tlv_find(&h, FOTA_TLV_ED25519_SIG, &val),
                     FOTA_ERR_CORRUPT);
    wr16(h.tlv + 2, 64);

    /* tlv_size beyond the area itself. */
    h.tlv_size = FOTA_IMAGE_TLV_MAX + 1;
    assert_int_equal(fota_image_tlv_find(&h, FOTA_TLV_ED25519_SIG, &val),
                     FOTA_ERR_CORRUPT);
    h.tlv_size = full;

    /* Duplicate type is ambiguous. */
    put_tlv(&h, FOTA_TLV_ED25519_SIG, sig, sizeof sig);
    assert_int_equal(fota_image_tlv_find(&h, FOTA_TLV_ED25519_SIG, &val),
                     FOTA_ERR_CORRUPT);
    assert_int_equal(fota_image_tlv_find(&h, FOTA_TLV_KEY_ID, &val), 8);

    /* An area of erased bytes (0xFFFF lengths) is malformed. */
    memset(h.tlv, 0xFF, sizeof h.tlv);
    h.tlv_size = 16;
    assert_int_equal(fota_image_tlv_find(&h, FOTA_TLV_KEY_ID, &val),
                     FOTA_ERR_CORRUPT);
}

/* Walk every tlv_size and every byte pattern of a small area; the walk must
 * stay inside the area (ASan) and any value pointer must lie within it. */
static void test_tlv_walk_never_escapes(void **state)
{
    fota_image_hdr_t h;
    const uint8_t *val;

    (void)state;
    sample(&h);
    uint32_t x = 0x1234567u;
    for (int round = 0; round < 2000; round++) {
        for (size_t i = 0; i < sizeof h.tlv; i++) {
            (void)fota_prng_next(&x);
            /* Small lengths so records chain. */
            h.tlv[i] = (uint8_t)((i % 4 == 3)   ? 0
                                 : (i % 4 == 2) ? x % 24
                                                : x % 3);
        }
        h.tlv_size = (uint16_t)(x % (FOTA_IMAGE_TLV_MAX + 1));
        for (uint16_t t = 0; t < 3; t++) {
            val = NULL;
            int rc = fota_image_tlv_find(&h, t, &val);
            if (rc >= 0) {
                assert_non_null(val);
                assert_true(val >= h.tlv);
                assert_true(val + rc <= h.tlv + h.tlv_size);
            } else {
                assert_true(rc == FOTA_ERR_NOENT || rc == FOTA_ERR_CORRUPT);
            }
        }
    }
}

/* The effective confirm window: 0 means the default, anything else is
 * taken as written (the image check, not this helper, refuses too long a
 * window). */
static void test_confirm_window(void **state)
{
    fota_image_hdr_t h, d;
    uint8_t b[FOTA_IMAGE_HDR_SIZE];

    (void)state;
    sample(&h);
    h.confirm_window_ms = 0;
    assert_int_equal(fota_image_confirm_window_ms(&h),
                     FOTA_CONFIRM_WINDOW_DEFAULT_MS);
    assert_int_equal(FOTA_CONFIRM_WINDOW_DEFAULT_MS, 8000);
    assert_int_equal(FOTA_CONFIRM_WINDOW_MAX_MS, 20000);
    h.confirm_window_ms = 1;
    assert_int_equal(fota_image_confirm_window_ms(&h), 1);
    h.confirm_window_ms = FOTA_CONFIRM_WINDOW_MAX_MS + 1;
    assert_int_equal(fota_image_confirm_window_ms(&h),
                     FOTA_CONFIRM_WINDOW_MAX_MS + 1);
    /* The field is hashed: it sits inside header bytes [0, 64). */
    h.confirm_window_ms = 12000;
    fota_image_hdr_encode(&h, b);
    assert_int_equal(rd32(b + 48), 12000);
    assert_int_equal(fota_image_hdr_decode(&d, b), 0);
    assert_int_equal(fota_image_confirm_window_ms(&d), 12000);
}

/* hdr_init fills the fixed fields and cuts the product at 16 characters. */
static void test_hdr_init(void **state)
{
    fota_image_hdr_t h;

    (void)state;
    memset(&h, 0x5A, sizeof h);
    fota_image_hdr_init(&h, 0, 4096, "a-product-id-longer-than-16");
    assert_int_equal(h.magic, FOTA_IMAGE_MAGIC);
    assert_int_equal(h.hdr_version, FOTA_IMAGE_HDR_VERSION);
    assert_int_equal(h.hdr_size, FOTA_IMAGE_HDR_SIZE);
    assert_int_equal(h.body_size, 4096);
    assert_int_equal(h.load_addr, FOTA_SLOT_BODY_ADDR(0));
    assert_memory_equal(h.product, "a-product-id-lon", FOTA_IMAGE_PRODUCT_LEN);
    assert_int_equal(h.sec_counter, 0);
    assert_int_equal(h.flags, 0);
    assert_int_equal(h.tlv_size, 0);
    fota_image_hdr_init(&h, 1, 8, "p");
    assert_int_equal(h.load_addr, FOTA_SLOT_BODY_ADDR(1));
    assert_int_equal(h.product[0], 'p');
    assert_int_equal(h.product[1], 0);
}

/* seal stores SHA-256(header bytes [0, 64) || body) in the struct and the
 * buffer; reseal recomputes it after an edit and leaves the rest alone. */
static void test_seal_and_reseal(void **state)
{
    fota_image_hdr_t h, d;
    uint8_t b[FOTA_IMAGE_HDR_SIZE], before[FOTA_IMAGE_HDR_SIZE];
    uint8_t body[256], want[FOTA_SHA256_SIZE];
    fota_sha256_t sha;

    (void)state;
    for (size_t i = 0; i < sizeof body; i++)
        body[i] = (uint8_t)(i * 13u + 7u);
    fota_image_hdr_init(&h, 0, sizeof body, "stm32f407-disco");
    h.sec_counter = 3;
    fota_image_seal(&h, b, body);
    fota_sha256_init(&sha);
    fota_sha256_update(&sha, b, 64);
    fota_sha256_update(&sha, body, sizeof body);
    fota_sha256_final(&sha, want);
    assert_memory_equal(h.sha256, want, FOTA_SHA256_SIZE);
    assert_int_equal(fota_image_hdr_decode(&d, b), 0);
    assert_memory_equal(d.sha256, want, FOTA_SHA256_SIZE);
    assert_int_equal(d.sec_counter, 3);

    memcpy(before, b, sizeof b);
    fota_image_reseal(b, body, sizeof body);
    assert_memory_equal(b, before, sizeof b);
    body[100] ^= 1;
    fota_image_reseal(b, body, sizeof body);
    assert_memory_not_equal(b + FOTA_IMAGE_OFF_SHA256,
                            before + FOTA_IMAGE_OFF_SHA256, FOTA_SHA256_SIZE);
    assert_memory_equal(b, before, FOTA_IMAGE_OFF_SHA256);
    assert_memory_equal(b + FOTA_IMAGE_OFF_SHA256 + FOTA_SHA256_SIZE,
                        before + FOTA_IMAGE_OFF_SHA256 + FOTA_SHA256_SIZE,
                        sizeof b - FOTA_IMAGE_OFF_SHA256 - FOTA_SHA256_SIZE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout_offsets),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_product_full_width),
        cmocka_unit_test(test_decode_rejects),
        cmocka_unit_test(test_encode_clamps_oversized_tlv),
        cmocka_unit_test(test_check_slot),
        cmocka_unit_test(test_hash_start_covers_first_64_bytes),
        cmocka_unit_test(test_version_order),
        cmocka_unit_test(test_tlv_find),
        cmocka_unit_test(test_tlv_malformed),
        cmocka_unit_test(test_tlv_walk_never_escapes),
        cmocka_unit_test(test_confirm_window),
        cmocka_unit_test(test_hdr_init),
        cmocka_unit_test(test_seal_and_reseal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
