/*
 * test_tool_image.c - the fota tool's image functions and value parsers,
 * called directly.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fota/fota_config.h"
#include "fota/fota_crc32.h"
#include "fota/fota_err.h"
#include "fota/fota_image_check.h"
#include "fota/fota_le.h"
#include "fota/fota_prng.h"
#include "tool.h"
#include "tool_image.h"
#include "tool_json.h"

/* A raw binary linked for slot s: a vector table (SP at the top of SRAM,
 * reset handler just past the table) followed by pseudo-random code. */
static uint8_t *make_raw(int slot, size_t len, uint32_t seed)
{
    uint8_t *p = malloc(len);
    uint32_t x = seed | 1u;

    assert_non_null(p);
    fota_prng_fill(&x, p, len);
    if (len >= 8) {
        fota_put_le32(p, FOTA_NOINIT_ADDR);
        fota_put_le32(p + 4, (uint32_t)FOTA_SLOT_BODY_ADDR(slot) + 0x9u);
    }
    return p;
}

static void default_opts(tool_pack_opts_t *o, int slot)
{
    memset(o, 0, sizeof *o);
    o->slot = slot;
    o->version = (fota_version_t){2, 5, 300, 77};
    o->sec_counter = 9;
    o->flags = 0;
}

static const tool_check_t *find_check(const tool_image_report_t *r,
                                      const char *name)
{
    for (size_t i = 0; i < r->ncheck; i++)
        if (strcmp(r->check[i].name, name) == 0)
            return &r->check[i];
    return NULL;
}

/* The check `name` failed and every other one passed, except the
 * bootloader's verdict ("boot"), which fails with reason when reason is not
 * FOTA_IMG_OK (a check the verdict covers) and passes otherwise. */
static void assert_failure_reason(const tool_image_report_t *r,
                                  const char *name, int reason)
{
    const tool_check_t *c = find_check(r, name);
    const tool_check_t *boot = find_check(r, "boot");

    assert_non_null(c);
    assert_non_null(boot);
    assert_false(c->ok);
    assert_true(strlen(c->detail) > 0);
    for (size_t i = 0; i < r->ncheck; i++)
        if (&r->check[i] != c && &r->check[i] != boot)
            assert_true(r->check[i].ok);
    assert_int_equal(boot->ok, reason == FOTA_IMG_OK);
    assert_int_equal(r->reason, reason);
    if (reason != FOTA_IMG_OK)
        assert_non_null(strstr(boot->detail, fota_image_reason_name(reason)));
    assert_false(tool_image_report_ok(r));
}

/* Exactly one check failed, and it is `name`. */
static void assert_only_failure(const tool_image_report_t *r, const char *name)
{
    assert_failure_reason(r, name, FOTA_IMG_OK);
}

static void test_pack_layout(void **state)
{
    tool_pack_opts_t o;
    uint8_t *raw, *img;
    size_t img_len;
    char err[256];
    fota_image_hdr_t h;

    (void)state;
    for (size_t raw_len = 1021; raw_len <= 1024; raw_len++) {
        for (int slot = 0; slot < 2; slot++) {
            raw = make_raw(slot, raw_len, (uint32_t)raw_len);
            default_opts(&o, slot);
            o.confirm_window_ms = slot ? 12000u : 0u;
            assert_int_equal(tool_image_pack(raw, raw_len, &o, &img, &img_len,
                                             err, sizeof err),
                             0);
            assert_int_equal(img_len, FOTA_IMAGE_HDR_SIZE + 1024);
            assert_int_equal(fota_get_le32(img + 48), slot ? 12000u : 0u);
            /* Body is the raw binary, then 0xFF padding to a word. */
            assert_memory_equal(img + 512, raw, raw_len);
            for (size_t i = raw_len; i < 1024; i++)
                assert_int_equal(img[512 + i], 0xFF);
            /* Header fields at their documented offsets. */
            assert_memory_equal(img, "FOTA", 4);
            assert_int_equal(fota_get_le16(img + 4), 1);
            assert_int_equal(fota_get_le16(img + 6), 512);
            assert_int_equal(img[8], 2);
            assert_int_equal(img[9], 5);
            assert_int_equal(fota_get_le16(img + 10), 300);
            assert_int_equal(fota_get_le32(img + 12), 77);
            assert_int_equal(fota_get_le32(img + 16), 9);
            assert_int_equal(fota_get_le32(img + 20), 1024);
            assert_int_equal(fota_get_le32(img + 24),
                             slot ? 0x08080200u : 0x08020200u);
            assert_memory_equal(img + 32, FOTA_PRODUCT_ID,
                                strlen(FOTA_PRODUCT_ID));
            assert_int_equal(fota_get_le16(img + 96), 0);
            /* The hash is SHA-256 of header bytes [0,64) + body. */
            uint8_t *cat = malloc(64 + 1024), d[32];
            memcpy(cat, img, 64);
            memcpy(cat + 64, img + 512, 1024);
            fota_sha256(cat, 64 + 1024, d);
            assert_memory_equal(img + 64, d, 32);
            free(cat);
            assert_int_equal(fota_image_hdr_decode(&h, img), 0);
            assert_int_equal(fota_image_check_slot(&h, slot), 0);
            free(img);
            free(raw);
        }
    }
}

static void test_pack_refuses(void **state)
{
    tool_pack_opts_t o;
    uint8_t *raw, *img;
    size_t img_len;
    char err[256];

    (void)state;
    raw = make_raw(0, 4096, 1);
    default_opts(&o, 0);

    /* Empty input. */
    assert_int_equal(
        tool_image_pack(raw, 0, &o, &img, &img_len, err, sizeof err),
        FOTA_ERR_INVAL);
    assert_null(img);
    /* Linked for slot A, packed for slot B. */
    o.slot = 1;
    assert_int_equal(
        tool_image_pack(raw, 4096, &o, &img, &img_len, err, sizeof err),
        FOTA_ERR_RANGE);
    assert_non_null(strstr(err, "slot A"));
    /* ...unless the check is turned off. */
    o.no_vector_check = true;
    assert_int_equal(
        tool_image_pack(raw, 4096, &o, &img, &img_len, err, sizeof err), 0);
    free(img);
    o.no_vector_check = false;
    o.slot = 0;
    /* Stack pointer outside RAM. */
    fota_put_le32(raw, 0x08000000u);
    assert_int_equal(
        tool_image_pack(raw, 4096, &o, &img, &img_len, err, sizeof err),
        FOTA_ERR_RANGE);
    fota_put_le32(raw, FOTA_CCM_ADDR + FOTA_CCM_SIZE); /* CCM stack is fine */
    assert_int_equal(
        tool_image_pack(raw, 4096, &o, &img, &img_len, err, sizeof err), 0);
    free(img);
    /* Reset handler without the Thumb bit. */
    fota_put_le32(raw + 4, (uint32_t)FOTA_SLOT_BODY_ADDR(0) + 0x8u);
    assert_int_equal(
        tool_image_pack(raw, 4096, &o, &img, &img_len, err, sizeof err),
        FOTA_ERR_RANGE);
    fota_put_le32(raw + 4, (uint32_t)FOTA_SLOT_BODY_ADDR(0) + 0x9u);
    /* Product id too long / empty. */
    o.product = "0123456789abcdefX";
    assert_int_equal(
        tool_image_pack(raw, 4096, &o, &img, &img_len, err, sizeof err),
        FOTA_ERR_INVAL);
    o.product = "";
    assert_int_equal(
        tool_image_pack(raw, 4096, &o, &img, &img_len, err, sizeof err),
        FOTA_ERR_INVAL);
    o.product = "0123456789abcdef"; /* exactly 16 is fine */
    assert_int_equal(
        tool_image_pack(raw, 4096, &o, &img, &img_len, err, sizeof err), 0);
    free(img);
    o.product = NULL;
    /* A confirm window the trial watchdog cannot honour. */
    o.confirm_window_ms = FOTA_CONFIRM_WINDOW_MAX_MS + 1;
    assert_int_equal(
        tool_image_pack(raw, 4096, &o, &img, &img_len, err, sizeof err),
        FOTA_ERR_RANGE);
    assert_non_null(strstr(err, "confirm window"));
    assert_null(img);
    o.confirm_window_ms = FOTA_CONFIRM_WINDOW_MAX_MS;
    assert_int_equal(
        tool_image_pack(raw, 4096, &o, &img, &img_len, err, sizeof err), 0);
    free(img);
    o.confirm_window_ms = 0;
    /* Bad slot number. */
    o.slot = 2;
    assert_int_equal(
        tool_image_pack(raw, 4096, &o, &img, &img_len, err, sizeof err),
        FOTA_ERR_INVAL);
    free(raw);

    /* Too big for a slot; the largest body that fits is accepted. */
    o.slot = 0;
    raw = make_raw(0, FOTA_SLOT_BODY_MAX + 1, 2);
    assert_int_equal(tool_image_pack(raw, FOTA_SLOT_BODY_MAX + 1, &o, &img,
                                     &img_len, err, sizeof err),
                     FOTA_ERR_RANGE);
    assert_int_equal(tool_image_pack(raw, FOTA_SLOT_BODY_MAX, &o, &img,
                                     &img_len, err, sizeof err),
                     0);
    assert_int_equal(img_len, FOTA_SLOT_SIZE);
    free(img);
    free(raw);
}

/* Pack a good image for the corruption tests. */
static uint8_t *good_image(int slot, size_t raw_len, size_t *len)
{
    tool_pack_opts_t o;
    uint8_t *raw = make_raw(slot, raw_len, 42), *img;
    char err[256];

    default_opts(&o, slot);
    assert_int_equal(
        tool_image_pack(raw, raw_len, &o, &img, len, err, sizeof err), 0);
    free(raw);
    return img;
}

static void test_analyse_good(void **state)
{
    size_t len;
    uint8_t *img = good_image(1, 5000, &len);
    tool_image_report_t r;

    (void)state;
    assert_true(tool_image_analyse(img, len, -1, NULL, &r));
    assert_int_equal(r.slot, 1);
    assert_true(r.body_complete);
    assert_int_equal(r.crc_st, fota_crc32_st(img, len));
    assert_true(tool_image_analyse(img, len, 1, FOTA_PRODUCT_ID, &r));
    assert_false(tool_image_analyse(img, len, 1, "other-board", &r));
    assert_failure_reason(&r, "product", FOTA_IMG_PRODUCT);
    free(img);
}

static void test_analyse_every_hashed_byte(void **state)
{
    size_t len;
    uint8_t *img = good_image(0, 600, &len);
    tool_image_report_t r;

    (void)state;
    /* Flip each byte covered by the hash (header [0,64) and the body) and
     * each byte of the hash field: verification must fail every time. */
    for (size_t i = 0; i < len; i++) {
        if (i >= 96 && i < FOTA_IMAGE_HDR_SIZE)
            continue; /* tlv_size, reserved and TLV area: not hashed */
        img[i] ^= 0x20;
        assert_false(tool_image_analyse(img, len, 0, NULL, &r));
        img[i] ^= 0x20;
    }
    assert_true(tool_image_analyse(img, len, 0, NULL, &r));

    /* A body change alone is reported as a hash failure, nothing else. */
    img[700] ^= 1;
    tool_image_analyse(img, len, 0, NULL, &r);
    assert_only_failure(&r, "hash");
    img[700] ^= 1;
    /* A version change in the header breaks the hash too. */
    img[8] ^= 1;
    tool_image_analyse(img, len, 0, NULL, &r);
    assert_only_failure(&r, "hash");
    img[8] ^= 1;
    free(img);
}

static void test_analyse_header_problems(void **state)
{
    size_t len;
    uint8_t *img = good_image(0, 256, &len);
    tool_image_report_t r;

    (void)state;
    img[0] = 'X';
    assert_false(tool_image_analyse(img, len, -1, NULL, &r));
    assert_false(r.hdr_ok);
    assert_non_null(strstr(r.check[0].detail, "magic"));
    img[0] = 'F';

    fota_put_le16(img + 4, 2);
    assert_false(tool_image_analyse(img, len, -1, NULL, &r));
    assert_non_null(strstr(r.check[0].detail, "version"));
    fota_put_le16(img + 4, 1);

    fota_put_le16(img + 6, 256);
    assert_false(tool_image_analyse(img, len, -1, NULL, &r));
    assert_non_null(strstr(r.check[0].detail, "size"));
    fota_put_le16(img + 6, 512);

    fota_put_le16(img + 96, 413);
    assert_false(tool_image_analyse(img, len, -1, NULL, &r));
    assert_non_null(strstr(r.check[0].detail, "TLV"));
    fota_put_le16(img + 96, 0);

    /* Shorter than a header, and empty. */
    assert_false(tool_image_analyse(img, 511, -1, NULL, &r));
    assert_false(tool_image_analyse(img, 0, -1, NULL, &r));
    assert_int_equal(r.ncheck, 1);

    assert_true(tool_image_analyse(img, len, -1, NULL, &r));
    free(img);
}

static void test_analyse_length_and_slot(void **state)
{
    size_t len;
    uint8_t *img = good_image(0, 2048, &len);
    uint8_t *big;
    tool_image_report_t r;

    (void)state;
    /* Truncated body. */
    assert_false(tool_image_analyse(img, len - 4, -1, NULL, &r));
    assert_false(find_check(&r, "length")->ok);
    assert_false(find_check(&r, "hash")->ok);
    assert_false(r.body_complete);
    /* Trailing bytes. */
    big = malloc(len + 4);
    memcpy(big, img, len);
    memset(big + len, 0xFF, 4);
    tool_image_analyse(big, len + 4, -1, NULL, &r);
    assert_only_failure(&r, "length");
    free(big);
    /* Wrong slot asked for. */
    tool_image_analyse(img, len, 1, NULL, &r);
    assert_failure_reason(&r, "slot", FOTA_IMG_LOAD_ADDR);
    assert_non_null(strstr(find_check(&r, "slot")->detail, "slot A"));
    free(img);

    /* A load address that is no slot's body address: the slot cannot be
     * deduced and the slot check fails. */
    img = good_image(1, 64, &len);
    fota_put_le32(img + 24, 0x08000200u);
    tool_image_analyse(img, len, -1, NULL, &r);
    assert_int_equal(r.slot, -1);
    assert_false(find_check(&r, "slot")->ok);
    free(img);
}

static void put_tlv(uint8_t *img, uint16_t *size, uint16_t type, uint16_t len,
                    uint8_t fill)
{
    uint8_t *p = img + FOTA_IMAGE_OFF_TLV + *size;
    fota_put_le16(p, type);
    fota_put_le16(p + 2, len);
    memset(p + 4, fill, len);
    *size = (uint16_t)(*size + 4 + len);
    fota_put_le16(img + FOTA_IMAGE_OFF_TLV_SIZE, *size);
}

static void test_analyse_tlv(void **state)
{
    size_t len;
    uint8_t *img = good_image(0, 128, &len);
    tool_image_report_t r;
    uint16_t size = 0;

    (void)state;
    /* TLVs are outside the hash: adding a well-formed signature keeps the
     * image valid. */
    put_tlv(img, &size, FOTA_TLV_KEY_ID, 8, 0x11);
    put_tlv(img, &size, FOTA_TLV_ED25519_SIG, 64, 0x22);
    assert_true(tool_image_analyse(img, len, 0, NULL, &r));
    assert_non_null(strstr(find_check(&r, "tlv")->detail, "signed"));

    /* Length running past tlv_size. */
    fota_put_le16(img + FOTA_IMAGE_OFF_TLV + 2, 9);
    tool_image_analyse(img, len, 0, NULL, &r);
    assert_only_failure(&r, "tlv");
    fota_put_le16(img + FOTA_IMAGE_OFF_TLV + 2, 8);
    /* tlv_size cutting the last record. */
    fota_put_le16(img + FOTA_IMAGE_OFF_TLV_SIZE, (uint16_t)(size - 1));
    tool_image_analyse(img, len, 0, NULL, &r);
    assert_only_failure(&r, "tlv");
    fota_put_le16(img + FOTA_IMAGE_OFF_TLV_SIZE, size);
    assert_true(tool_image_analyse(img, len, 0, NULL, &r));
    /* A signature of the wrong length. */
    put_tlv(img, &size, 0x0100, 2, 0);
    assert_true(
        tool_image_analyse(img, len, 0, NULL, &r)); /* unknown type: fine */
    put_tlv(img, &size, FOTA_TLV_ED25519_SIG, 64, 0x33); /* duplicate */
    tool_image_analyse(img, len, 0, NULL, &r);
    assert_only_failure(&r, "tlv");
    free(img);
}

static void test_analyse_vectors(void **state)
{
    size_t len;
    uint8_t *img = good_image(0, 128, &len);
    tool_image_report_t r;

    (void)state;
    /* Vector table changes also break the hash; the report must name
     * both. */
    fota_put_le32(img + 512 + 4, (uint32_t)FOTA_SLOT_BODY_ADDR(1) + 0x101u);
    tool_image_analyse(img, len, 0, NULL, &r);
    assert_false(find_check(&r, "vectors")->ok);
    assert_non_null(strstr(find_check(&r, "vectors")->detail, "slot B"));
    assert_false(find_check(&r, "hash")->ok);
    free(img);
}

static void test_parse_version(void **state)
{
    fota_version_t v;
    char buf[40];
    static const char *bad[] = {
        "",
        "1",
        "1.2",
        "1.2.",
        "1.2.3.4",
        "1.2.3+",
        "1.2.3+x",
        "256.0.0",
        "0.256.0",
        "0.0.65536",
        "1.2.3+4294967296",
        "-1.2.3",
        "1.2.3 ",
        " 1.2.3",
        "a.b.c",
        "1..3",
        "0x1.2.3",
        "1.2.3+4+5",
    };

    (void)state;
    assert_int_equal(tool_parse_version("1.2.3", &v), 0);
    assert_int_equal(v.major, 1);
    assert_int_equal(v.minor, 2);
    assert_int_equal(v.patch, 3);
    assert_int_equal(v.build, 0);
    assert_int_equal(tool_parse_version("255.255.65535+4294967295", &v), 0);
    assert_int_equal(v.major, 255);
    assert_int_equal(v.minor, 255);
    assert_int_equal(v.patch, 65535);
    assert_int_equal(v.build, 4294967295u);
    tool_format_version(&v, buf, sizeof buf);
    assert_string_equal(buf, "255.255.65535+4294967295");
    assert_int_equal(tool_parse_version("0.10.7+12", &v), 0);
    tool_format_version(&v, buf, sizeof buf);
    assert_string_equal(buf, "0.10.7+12");
    v.build = 0;
    tool_format_version(&v, buf, sizeof buf);
    assert_string_equal(buf, "0.10.7");
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(tool_parse_version(bad[i], &v), FOTA_ERR_INVAL);
}

static void test_parse_u32_and_slot(void **state)
{
    uint32_t v;

    (void)state;
    assert_int_equal(tool_parse_u32("0", &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(tool_parse_u32("4294967295", &v), 0);
    assert_int_equal(v, 4294967295u);
    assert_int_equal(tool_parse_u32("0x10", &v), 0);
    assert_int_equal(v, 16);
    assert_int_equal(tool_parse_u32("0xFFFFFFFF", &v), 0);
    assert_int_equal(v, 0xFFFFFFFFu);
    assert_int_not_equal(tool_parse_u32("4294967296", &v), 0);
    assert_int_not_equal(tool_parse_u32("0x100000000", &v), 0);
    assert_int_not_equal(tool_parse_u32("-1", &v), 0);
    assert_int_not_equal(tool_parse_u32("", &v), 0);
    assert_int_not_equal(tool_parse_u32("0x", &v), 0);
    assert_int_not_equal(tool_parse_u32("12a", &v), 0);
    assert_int_equal(tool_parse_slot("a"), 0);
    assert_int_equal(tool_parse_slot("B"), 1);
    assert_int_equal(tool_parse_slot("c"), -1);
    assert_int_equal(tool_parse_slot(NULL), -1);
}

static void test_parse_args(void **state)
{
    const char *slot = NULL, *out = NULL, *pos[2];
    bool json = false, help = false;
    const tool_opt_t opts[] = {
        {"slot", 's', &slot, NULL},
        {"output", 'o', &out, NULL},
        {"json", 0, NULL, &json},
    };
    size_t npos;
    char *argv1[] = {"cmd",    "in.bin", "--slot=b", "-o", "x.img",
                     "--json", "--",     "--odd",    NULL};
    char *argv2[] = {"cmd", "--bogus", NULL};
    char *argv3[] = {"cmd", "--slot", NULL};
    char *argv4[] = {"cmd", "a", "b", "c", NULL};
    char *argv5[] = {"cmd", "--json=1", NULL};
    char *argv6[] = {"cmd", "-h", NULL};

    (void)state;
    assert_int_equal(
        tool_parse_args("t", 8, argv1, opts, 3, pos, 2, &npos, &help), 0);
    assert_int_equal(npos, 2);
    assert_string_equal(pos[0], "in.bin");
    assert_string_equal(pos[1], "--odd");
    assert_string_equal(slot, "b");
    assert_string_equal(out, "x.img");
    assert_true(json);
    assert_false(help);
    assert_int_equal(
        tool_parse_args("t", 2, argv2, opts, 3, pos, 2, &npos, &help),
        TOOL_EXIT_USAGE);
    assert_int_equal(
        tool_parse_args("t", 2, argv3, opts, 3, pos, 2, &npos, &help),
        TOOL_EXIT_USAGE);
    assert_int_equal(
        tool_parse_args("t", 4, argv4, opts, 3, pos, 2, &npos, &help),
        TOOL_EXIT_USAGE);
    assert_int_equal(
        tool_parse_args("t", 2, argv5, opts, 3, pos, 2, &npos, &help),
        TOOL_EXIT_USAGE);
    assert_int_equal(
        tool_parse_args("t", 2, argv6, opts, 3, pos, 2, &npos, &help), 0);
    assert_true(help);
}

static void test_json_writer(void **state)
{
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    tool_json_t j;

    (void)state;
    assert_non_null(f);
    tool_json_init(&j, f);
    tool_json_begin_obj(&j, NULL);
    tool_json_str(&j, "s", "a\"b\\c\n\x01");
    tool_json_strn(&j, "n", "x\0y", 3);
    tool_json_uint(&j, "u", 4294967295u);
    tool_json_int(&j, "i", -5);
    tool_json_bool(&j, "t", true);
    tool_json_null(&j, "z");
    tool_json_begin_arr(&j, "e");
    tool_json_end_arr(&j);
    tool_json_begin_arr(&j, "a");
    tool_json_uint(&j, NULL, 1);
    tool_json_begin_obj(&j, NULL);
    tool_json_end_obj(&j);
    tool_json_end_arr(&j);
    tool_json_end_obj(&j);
    fclose(f);
    assert_string_equal(text, "{\n"
                              "  \"s\": \"a\\\"b\\\\c\\n\\u0001\",\n"
                              "  \"n\": \"x\\u0000y\",\n"
                              "  \"u\": 4294967295,\n"
                              "  \"i\": -5,\n"
                              "  \"t\": true,\n"
                              "  \"z\": null,\n"
                              "  \"e\": [],\n"
                              "  \"a\": [\n"
                              "    1,\n"
                              "    {}\n"
                              "  ]\n"
                              "}\n");
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pack_layout),
        cmocka_unit_test(test_pack_refuses),
        cmocka_unit_test(test_analyse_good),
        cmocka_unit_test(test_analyse_every_hashed_byte),
        cmocka_unit_test(test_analyse_header_problems),
        cmocka_unit_test(test_analyse_length_and_slot),
        cmocka_unit_test(test_analyse_tlv),
        cmocka_unit_test(test_analyse_vectors),
        cmocka_unit_test(test_parse_version),
        cmocka_unit_test(test_parse_u32_and_slot),
        cmocka_unit_test(test_parse_args),
        cmocka_unit_test(test_json_writer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
