/*
 * test_tool_sign.c - `fota key gen|pub`, `fota image sign` and
 * `fota image verify|inspect --pubkey`, run as the binary (path in argv[1]):
 * key files and their modes, the signature the tool writes checked with the
 * common verifier, verification verdicts for good, unsigned, tampered and
 * foreign-key images, and key formats (raw, hex, PEM).
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <cmocka.h>

#include "fota/fota_ed25519.h"
#include "fota/fota_err.h"
#include "fota/fota_image.h"
#include "fota/fota_layout.h"
#include "fota/fota_le.h"
#include "fota/fota_text.h"
#include "test_proc.h"

static const char *s_fota;
static char s_dir[64];
static char s_out[1 << 16];
static char s_err[1 << 14];

static const char *p(const char *name)
{
    static char bufs[4][160];
    static int n;
    char *b = bufs[n++ & 3];

    int len = snprintf(b, sizeof bufs[0], "%s/%s", s_dir, name);

    /* A path cut short would name another file: stop the test instead. */
    assert_true(len > 0 && (size_t)len < sizeof bufs[0]);
    return b;
}

/* Run fota with a NULL-terminated argument list; capture stdout/stderr.
 * Returns the exit status (or -1 if it did not exit normally). */
/* Every fota run of this test, its output captured (exe set in main). */
static test_proc_t s_proc = {.dir = s_dir,
                             .out = s_out,
                             .out_cap = sizeof s_out,
                             .err = s_err,
                             .err_cap = sizeof s_err};

/* Run fota with a NULL-terminated argument list; capture stdout/stderr.
 * Returns the exit status (or -1 if it did not exit normally). */
#define run(...) test_proc_run(&s_proc, __VA_ARGS__)

/* A packed image for slot (0 = A, 1 = B) at name. */
static void make_slot_image(const char *name, int slot)
{
    uint8_t raw[600];

    for (size_t i = 0; i < sizeof raw; i++)
        raw[i] = (uint8_t)(i * 29 + 1);
    fota_put_le32(raw, FOTA_NOINIT_ADDR);
    fota_put_le32(raw + 4, (uint32_t)FOTA_SLOT_BODY_ADDR(slot) + 0x41u);
    test_write_file(p("raw.bin"), raw, sizeof raw);
    assert_int_equal(run("image", "pack", "--slot", slot ? "b" : "a",
                         "--version", "2.0.1", "--sec-counter", "3",
                         p("raw.bin"), "-o", p(name), NULL),
                     0);
}

static void make_image(const char *name)
{
    make_slot_image(name, 0);
}

/* RFC 8032 section 7.1 TEST 1 key pair. */
static const char s_rfc_seed[] =
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
static const char s_rfc_pub[] =
    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

static void unhex(const char *s, uint8_t *out, size_t n)
{
    assert_int_equal(fota_hex_decode(s, 2 * n, out, n), (int)n);
}

static void test_key_gen(void **state)
{
    struct stat st;
    size_t len;
    uint8_t *seed, pub[32];
    char pubhex[65];

    (void)state;
    assert_int_equal(run("key", "gen", "-o", p("k.bin"), NULL), 0);
    assert_int_equal(stat(p("k.bin"), &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    seed = test_read_file(p("k.bin"), &len);
    assert_int_equal(len, 32);
    /* The printed public key is the one the seed gives. */
    fota_ed25519_pubkey(pub, seed);
    fota_hex_encode(pub, 32, pubhex);
    assert_non_null(strstr(s_out, pubhex));
    free(seed);
    /* Never overwritten. */
    assert_int_equal(run("key", "gen", "-o", p("k.bin"), NULL), 1);
    assert_non_null(strstr(s_err, "exists"));

    /* PEM form, also 0600, readable back as the same kind of key. */
    assert_int_equal(run("key", "gen", "-o", p("k.pem"), NULL), 0);
    assert_int_equal(stat(p("k.pem"), &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    test_slurp(p("k.pem"), s_err, sizeof s_err);
    assert_non_null(strstr(s_err, "-----BEGIN PRIVATE KEY-----"));
    assert_int_equal(run("key", "pub", p("k.pem"), NULL), 0);

    /* Two keys are different keys. */
    {
        uint8_t *a = test_read_file(p("k.bin"), &len);
        assert_int_equal(run("key", "gen", "-o", p("k2.bin"), NULL), 0);
        uint8_t *b = test_read_file(p("k2.bin"), &len);
        assert_memory_not_equal(a, b, 32);
        free(a);
        free(b);
    }
    assert_int_equal(run("key", "gen", NULL), 2);
}

static void test_key_pub(void **state)
{
    uint8_t seed[32];
    size_t len;
    uint8_t *pub;
    char pubhex[65];

    (void)state;
    unhex(s_rfc_seed, seed, 32);
    test_write_file(p("rfc.bin"), seed, 32);
    assert_int_equal(run("key", "pub", p("rfc.bin"), "-o", p("rfc.pub"), NULL),
                     0);
    assert_non_null(strstr(s_out, s_rfc_pub));
    pub = test_read_file(p("rfc.pub"), &len);
    assert_int_equal(len, 32);
    fota_hex_encode(pub, 32, pubhex);
    assert_string_equal(pubhex, s_rfc_pub);
    free(pub);
    /* PEM export round-trips through the public key reader. */
    assert_int_equal(
        run("key", "pub", p("rfc.bin"), "--pem", "-o", p("rfc.pub.pem"), NULL),
        0);
    test_slurp(p("rfc.pub.pem"), s_err, sizeof s_err);
    assert_non_null(strstr(s_err, "-----BEGIN PUBLIC KEY-----"));
    /* Not a key. */
    test_write_file(p("junk.key"), "not a key at all", 16);
    assert_int_equal(run("key", "pub", p("junk.key"), NULL), 1);
    assert_non_null(strstr(s_err, "not an Ed25519 secret key"));
}

/* Sign, then check the result with the common verifier directly. */
static void test_sign_writes_valid_signature(void **state)
{
    uint8_t seed[32], pub[32], kid[8];
    uint8_t *before, *after;
    size_t blen, alen;
    fota_image_hdr_t hdr;
    const uint8_t *v;

    (void)state;
    make_image("u.img");
    unhex(s_rfc_seed, seed, 32);
    test_write_file(p("rfc.bin"), seed, 32);
    fota_ed25519_pubkey(pub, seed);
    fota_ed25519_key_id(kid, pub);
    assert_int_equal(run("image", "sign", "--key", p("rfc.bin"), p("u.img"),
                         "-o", p("s.img"), NULL),
                     0);
    before = test_read_file(p("u.img"), &blen);
    after = test_read_file(p("s.img"), &alen);
    assert_int_equal(blen, alen);
    /* Hashed header bytes, the hash and the body are untouched. */
    assert_memory_equal(before, after, FOTA_IMAGE_OFF_TLV_SIZE);
    assert_memory_equal(before + FOTA_IMAGE_HDR_SIZE,
                        after + FOTA_IMAGE_HDR_SIZE,
                        blen - FOTA_IMAGE_HDR_SIZE);
    assert_int_equal(fota_image_hdr_decode(&hdr, after), 0);
    assert_int_equal(fota_image_tlv_find(&hdr, FOTA_TLV_KEY_ID, &v), 8);
    assert_memory_equal(v, kid, 8);
    assert_int_equal(fota_image_tlv_find(&hdr, FOTA_TLV_ED25519_SIG, &v), 64);
    assert_int_equal(fota_ed25519_verify(v, hdr.sha256, 32, pub), 0);
    assert_int_equal(fota_ed25519_verify_image(&hdr, pub), 0);
    /* Unused TLV bytes stay erased-flash 0xFF. */
    for (size_t i = FOTA_IMAGE_OFF_TLV + hdr.tlv_size; i < FOTA_IMAGE_HDR_SIZE;
         i++)
        assert_int_equal(after[i], 0xFF);
    free(before);
    free(after);

    /* In place, twice: still exactly one key id and one signature. */
    assert_int_equal(
        run("image", "sign", "--key", p("rfc.bin"), p("u.img"), NULL), 0);
    assert_int_equal(
        run("image", "sign", "--key", p("rfc.bin"), p("u.img"), NULL), 0);
    after = test_read_file(p("u.img"), &alen);
    assert_int_equal(fota_image_hdr_decode(&hdr, after), 0);
    assert_int_equal(hdr.tlv_size, 2 * 4 + 8 + 64);
    assert_int_equal(fota_ed25519_verify_image(&hdr, pub), 0);
    free(after);
}

static void test_verify_pubkey(void **state)
{
    uint8_t *img;
    size_t len;

    (void)state;
    make_image("u.img");
    assert_int_equal(run("key", "gen", "-o", p("v.key"), NULL), 0);
    assert_int_equal(run("key", "pub", p("v.key"), "-o", p("v.pub"), NULL), 0);
    assert_int_equal(run("key", "gen", "-o", p("w.key"), NULL), 0);
    assert_int_equal(run("key", "pub", p("w.key"), "-o", p("w.pub"), NULL), 0);
    assert_int_equal(run("image", "sign", "-k", p("v.key"), p("u.img"), "-o",
                         p("v.img"), NULL),
                     0);

    assert_int_equal(
        run("image", "verify", p("v.img"), "--pubkey", p("v.pub"), NULL), 0);
    assert_non_null(strstr(s_out, "verified"));
    /* Without --pubkey the signature is reported, not required. */
    assert_int_equal(run("image", "verify", p("u.img"), NULL), 0);
    /* Unsigned image, key given: refused. */
    assert_int_equal(
        run("image", "verify", p("u.img"), "--pubkey", p("v.pub"), NULL), 1);
    assert_non_null(strstr(s_out, "no Ed25519 signature"));
    /* Signed by another key. */
    assert_int_equal(
        run("image", "verify", p("v.img"), "--pubkey", p("w.pub"), NULL), 1);
    assert_non_null(strstr(s_out, "signed by key id"));

    /* One bit of the signature flipped (last TLV byte in use). */
    img = test_read_file(p("v.img"), &len);
    img[FOTA_IMAGE_OFF_TLV + fota_get_le16(img + FOTA_IMAGE_OFF_TLV_SIZE) -
        1] ^= 0x04;
    test_write_file(p("t.img"), img, len);
    assert_int_equal(
        run("image", "verify", p("t.img"), "--pubkey", p("v.pub"), NULL), 1);
    assert_non_null(strstr(s_out, "does not verify"));
    free(img);

    /* A changed body fails (here already on the hash). */
    img = test_read_file(p("v.img"), &len);
    img[len - 8] ^= 0x01;
    test_write_file(p("t.img"), img, len);
    assert_int_equal(
        run("image", "verify", p("t.img"), "--pubkey", p("v.pub"), NULL), 1);
    free(img);

    /* A hash field changed to match a tampered body is caught by the
     * signature, not the hash check. */
    img = test_read_file(p("v.img"), &len);
    img[len - 8] ^= 0x01;
    fota_image_reseal(img, img + FOTA_IMAGE_HDR_SIZE,
                      (uint32_t)(len - FOTA_IMAGE_HDR_SIZE));
    test_write_file(p("t.img"), img, len);
    assert_int_equal(run("image", "verify", p("t.img"), NULL),
                     0); /* integrity alone: fine */
    assert_int_equal(
        run("image", "verify", p("t.img"), "--pubkey", p("v.pub"), NULL), 1);
    assert_non_null(strstr(s_out, "does not verify"));
    free(img);

    /* Signing refuses a broken image. */
    img = test_read_file(p("u.img"), &len);
    test_write_file(p("short.img"), img, len - 4);
    assert_int_equal(
        run("image", "sign", "-k", p("v.key"), p("short.img"), NULL), 1);
    assert_non_null(strstr(s_err, "not signing an invalid image"));
    free(img);
    assert_int_equal(run("image", "sign", p("u.img"), NULL), 2);
}

static void test_pubkey_formats_and_inspect(void **state)
{
    uint8_t *pub;
    size_t len;
    char pubhex[70];

    (void)state;
    make_image("u.img");
    assert_int_equal(run("key", "gen", "-o", p("f.pem"), NULL), 0);
    assert_int_equal(run("key", "pub", p("f.pem"), "-o", p("f.pub"), NULL), 0);
    assert_int_equal(
        run("key", "pub", p("f.pem"), "--pem", "-o", p("f.pub.pem"), NULL), 0);
    pub = test_read_file(p("f.pub"), &len);
    fota_hex_encode(pub, 32, pubhex);
    strcat(pubhex, "\n");
    test_write_file(p("f.pub.hex"), pubhex, strlen(pubhex));
    assert_int_equal(run("image", "sign", "-k", p("f.pem"), p("u.img"), "-o",
                         p("f.img"), NULL),
                     0);
    assert_int_equal(
        run("image", "verify", p("f.img"), "--pubkey", p("f.pub.hex"), NULL),
        0);
    assert_int_equal(
        run("image", "verify", p("f.img"), "--pubkey", p("f.pub.pem"), NULL),
        0);
    test_write_file(p("bad.pub"), "0123", 4);
    assert_int_equal(
        run("image", "verify", p("f.img"), "--pubkey", p("bad.pub"), NULL), 1);
    assert_non_null(strstr(s_err, "not an Ed25519 public key"));

    /* inspect: key id and signature presence, as text and JSON. */
    {
        uint8_t kid[8];
        char idhex[17], line[64];

        fota_ed25519_key_id(kid, pub);
        fota_hex_encode(kid, 8, idhex);
        assert_int_equal(run("image", "inspect", p("f.img"), NULL), 0);
        snprintf(line, sizeof line, "key id        %s", idhex);
        assert_non_null(strstr(s_out, line));
        assert_non_null(strstr(s_out, "signature     Ed25519 (present)"));
        assert_int_equal(run("image", "inspect", p("f.img"), "--json", NULL),
                         0);
        assert_non_null(strstr(s_out, "\"signed\": true"));
        assert_non_null(strstr(s_out, idhex));
        assert_int_equal(run("image", "inspect", p("u.img"), NULL), 0);
        assert_non_null(strstr(s_out, "signature     none"));
        assert_int_equal(
            run("image", "inspect", p("f.img"), "--pubkey", p("f.pub"), NULL),
            0);
        assert_non_null(strstr(s_out, "verified"));
    }
    free(pub);
}

/* `fota release publish --require-signature` refuses before any network
 * access (the endpoint is a closed port: a later failure would name the
 * connection or the credentials, not the signature). */
static void test_publish_requires_signature(void **state)
{
    const char *base[] = {
        "release",  "publish", "--endpoint", "http://127.0.0.1:9",
        "--bucket", "b",       "--prefix",   "fw"};

    (void)state;
    make_slot_image("ra.img", 0);
    make_slot_image("rb.img", 1);
    assert_int_equal(run("key", "gen", "-o", p("r.key"), NULL), 0);
    assert_int_equal(run("key", "pub", p("r.key"), "-o", p("r.pub"), NULL), 0);
    assert_int_equal(run(base[0], base[1], base[2], base[3], base[4], base[5],
                         base[6], base[7], "--slot-a", p("ra.img"), "--slot-b",
                         p("rb.img"), "--require-signature", p("r.pub"), NULL),
                     1);
    assert_non_null(strstr(s_err, "slot-a image is not signed by the key"));
    /* Only slot A signed: slot B refused. */
    assert_int_equal(run("image", "sign", "-k", p("r.key"), p("ra.img"), NULL),
                     0);
    assert_int_equal(run(base[0], base[1], base[2], base[3], base[4], base[5],
                         base[6], base[7], "--slot-a", p("ra.img"), "--slot-b",
                         p("rb.img"), "--require-signature", p("r.pub"), NULL),
                     1);
    assert_non_null(strstr(s_err, "slot-b image is not signed by the key"));
    /* Both signed: past the signature check (then fails on S3 access). */
    assert_int_equal(run("image", "sign", "-k", p("r.key"), p("rb.img"), NULL),
                     0);
    run(base[0], base[1], base[2], base[3], base[4], base[5], base[6], base[7],
        "--slot-a", p("ra.img"), "--slot-b", p("rb.img"), "--require-signature",
        p("r.pub"), NULL);
    assert_null(strstr(s_err, "not signed"));
    assert_null(strstr(s_err, "refused"));
}

static int setup(void **state)
{
    (void)state;
    snprintf(s_dir, sizeof s_dir, "/tmp/fota-sign-XXXXXX");
    assert_non_null(mkdtemp(s_dir));
    return 0;
}

static int teardown(void **state)
{
    DIR *d = opendir(s_dir);
    struct dirent *e;

    (void)state;
    if (d != NULL) {
        while ((e = readdir(d)) != NULL)
            if (e->d_name[0] != '.')
                remove(p(e->d_name));
        closedir(d);
    }
    rmdir(s_dir);
    return 0;
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_key_gen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_pub, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sign_writes_valid_signature, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_verify_pubkey, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pubkey_formats_and_inspect, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_publish_requires_signature, setup,
                                        teardown),
    };

    if (argc < 2) {
        fprintf(stderr, "usage: %s <path to fota>\n", argv[0]);
        return 2;
    }
    s_fota = argv[1];
    s_proc.exe = s_fota;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
