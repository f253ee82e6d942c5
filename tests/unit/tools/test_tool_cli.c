/*
 * test_tool_cli.c - runs the `fota` binary (path in argv[1]) on generated
 * raw binaries and on good and corrupted images, checking exit codes,
 * output files and messages.
 */
#define _POSIX_C_SOURCE 200809L

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

#include "fota/fota_crc32.h"
#include "fota/fota_layout.h"
#include "fota/fota_le.h"
#include "fota/fota_sha256.h"
#include "test_proc.h"

static const char *s_fota;
static char s_dir[64];
static char s_out[1 << 16]; /* stdout of the last run */
static char s_err[1 << 14]; /* stderr of the last run */

static void path(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", s_dir, name);
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

/* Raw binary of len bytes linked for slot. */
static void make_raw(const char *file, int slot, size_t len)
{
    uint8_t *p = malloc(len);

    assert_non_null(p);
    for (size_t i = 0; i < len; i++)
        p[i] = (uint8_t)(i * 13 + 5);
    fota_put_le32(p, FOTA_NOINIT_ADDR);
    fota_put_le32(p + 4, (uint32_t)FOTA_SLOT_BODY_ADDR(slot) + 0x1C1u);
    test_write_file(file, p, len);
    free(p);
}

static int setup(void **state)
{
    (void)state;
    snprintf(s_dir, sizeof s_dir, "/tmp/fota-cli-XXXXXX");
    assert_non_null(mkdtemp(s_dir));
    return 0;
}

static int teardown(void **state)
{
    static const char *files[] = {
        "a.bin",   "b.bin",      "a.img",      "b.img",
        "bad.img", "stdout.txt", "stderr.txt", "none.img",
    };
    char p[128];

    (void)state;
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        path(p, sizeof p, files[i]);
        remove(p);
    }
    rmdir(s_dir);
    return 0;
}

static void test_help(void **state)
{
    (void)state;
    assert_int_equal(run("--help", NULL), 0);
    assert_non_null(strstr(s_out, "image"));
    assert_int_equal(run("image", "--help", NULL), 0);
    assert_non_null(strstr(s_out, "pack"));
    assert_non_null(strstr(s_out, "verify"));
    assert_int_equal(run("image", "pack", "--help", NULL), 0);
    assert_non_null(strstr(s_out, "--sec-counter"));
    assert_int_equal(run("image", "inspect", "--help", NULL), 0);
    assert_non_null(strstr(s_out, "--json"));
    assert_int_equal(run("image", "verify", "--help", NULL), 0);
    assert_non_null(strstr(s_out, "--slot"));
    /* No command / unknown command / unknown option: usage error. */
    assert_int_equal(run(NULL), 2);
    assert_int_equal(run("bogus", NULL), 2);
    assert_non_null(strstr(s_err, "bogus"));
    assert_int_equal(run("image", "frob", NULL), 2);
    assert_int_equal(run("image", "verify", "--frob", "x", NULL), 2);
}

static void test_pack_and_verify(void **state)
{
    char raw[128], img[128];
    uint8_t *buf, digest[32];
    size_t len;
    fota_sha256_t sha;

    (void)state;
    path(raw, sizeof raw, "a.bin");
    path(img, sizeof img, "a.img");
    make_raw(raw, 0, 3001);
    assert_int_equal(run("image", "pack", "--slot", "a", "--version",
                         "1.4.2+99", "--sec-counter", "7", "--product",
                         "bench-board", "--flags", "0x1", raw, "-o", img, NULL),
                     0);
    assert_non_null(strstr(s_out, "version 1.4.2+99"));

    buf = test_read_file(img, &len);
    assert_int_equal(len, 512 + 3004);
    assert_memory_equal(buf, "FOTA", 4);
    assert_int_equal(buf[8], 1);
    assert_int_equal(buf[9], 4);
    assert_int_equal(fota_get_le16(buf + 10), 2);
    assert_int_equal(fota_get_le32(buf + 12), 99);
    assert_int_equal(fota_get_le32(buf + 16), 7);
    assert_int_equal(fota_get_le32(buf + 20), 3004);
    assert_int_equal(fota_get_le32(buf + 24), 0x08020200u);
    assert_int_equal(fota_get_le32(buf + 28), 1);
    assert_memory_equal(buf + 32, "bench-board\0\0\0\0\0", 16);
    assert_int_equal(buf[512 + 3001], 0xFF);
    assert_int_equal(buf[512 + 3003], 0xFF);
    fota_sha256_init(&sha);
    fota_sha256_update(&sha, buf, 64);
    fota_sha256_update(&sha, buf + 512, 3004);
    fota_sha256_final(&sha, digest);
    assert_memory_equal(buf + 64, digest, 32);

    /* The bootloader's product id is the default: a bench-board image is
     * refused unless that is the product asked for. */
    assert_int_equal(run("image", "verify", img, NULL), 1);
    assert_non_null(strstr(s_out, "refuses it: product"));
    assert_int_equal(
        run("image", "verify", img, "--product", "bench-board", NULL), 0);
    assert_non_null(strstr(s_out, "OK"));
    assert_int_equal(run("image", "verify", img, "--slot", "a", "--product",
                         "bench-board", NULL),
                     0);
    assert_int_equal(run("image", "verify", img, "--slot", "a", "--product",
                         "bench-board", NULL),
                     0);
    assert_int_equal(run("image", "verify", img, "--product", "other", NULL),
                     1);
    assert_int_equal(run("image", "verify", img, "--slot", "b", NULL), 1);
    assert_non_null(strstr(s_out, "FAIL slot"));
    assert_int_equal(run("image", "verify", img, "--slot", "c", NULL), 2);

    /* inspect shows the fields and the ST CRC of header + body. */
    assert_int_equal(
        run("image", "inspect", img, "--product", "bench-board", NULL), 0);
    assert_non_null(strstr(s_out, "1.4.2+99"));
    assert_non_null(strstr(s_out, "bench-board"));
    assert_non_null(strstr(s_out, "0x08020200 (slot A)"));
    assert_non_null(strstr(s_out, "no-confirm"));
    {
        char crc[32];
        snprintf(crc, sizeof crc, "0x%08lx",
                 (unsigned long)fota_crc32_st(buf, len));
        assert_non_null(strstr(s_out, crc));
    }
    free(buf);
}

static void test_pack_errors(void **state)
{
    char raw[128], img[128], missing[128];
    struct stat st;

    (void)state;
    path(raw, sizeof raw, "b.bin");
    path(img, sizeof img, "none.img");
    path(missing, sizeof missing, "does-not-exist.bin");
    make_raw(raw, 1, 1000);
    /* Linked for B, packed for A: refused, and no output file left. */
    assert_int_equal(run("image", "pack", "--slot", "a", "--version", "1.0.0",
                         "--sec-counter", "1", raw, "-o", img, NULL),
                     1);
    assert_non_null(strstr(s_err, "slot B"));
    assert_int_not_equal(stat(img, &st), 0);
    /* Bad arguments. */
    assert_int_equal(run("image", "pack", "--slot", "a", "--version", "1.0",
                         "--sec-counter", "1", raw, "-o", img, NULL),
                     2);
    assert_non_null(strstr(s_err, "version"));
    assert_int_equal(run("image", "pack", "--slot", "x", "--version", "1.0.0",
                         "--sec-counter", "1", raw, "-o", img, NULL),
                     2);
    assert_int_equal(run("image", "pack", "--slot", "b", "--version", "1.0.0",
                         "--sec-counter", "-3", raw, "-o", img, NULL),
                     2);
    assert_int_equal(run("image", "pack", "--slot", "b", "--version", "1.0.0",
                         raw, "-o", img, NULL),
                     2);
    assert_int_equal(run("image", "pack", "--slot", "b", "--version", "1.0.0",
                         "--sec-counter", "1", raw, NULL),
                     2);
    /* Missing input file: an I/O failure, not a usage error. */
    assert_int_equal(run("image", "pack", "--slot", "b", "--version", "1.0.0",
                         "--sec-counter", "1", missing, "-o", img, NULL),
                     1);
    assert_non_null(strstr(s_err, "does-not-exist.bin"));
    assert_int_not_equal(stat(img, &st), 0);
    /* The right slot works. */
    assert_int_equal(run("image", "pack", "--slot", "b", "--version", "1.0.0",
                         "--sec-counter", "1", raw, "-o", img, NULL),
                     0);
    assert_int_equal(run("image", "verify", img, NULL), 0);
    assert_int_equal(run("image", "verify", "--slot=b", img, NULL), 0);
}

/* Write a corrupted copy of the good slot-A image and verify it. */
static int verify_corrupted(size_t off, uint8_t xor_mask, long len_delta)
{
    char good[128], bad[128];
    uint8_t *buf;
    size_t len;

    path(good, sizeof good, "a.img");
    path(bad, sizeof bad, "bad.img");
    buf = test_read_file(good, &len);
    buf = realloc(buf, len + 16);
    memset(buf + len, 0xFF, 16);
    if (off < len)
        buf[off] ^= xor_mask;
    test_write_file(bad, buf, (size_t)((long)len + len_delta));
    free(buf);
    return run("image", "verify", bad, "--product", "bench-board", NULL);
}

static void test_verify_corrupted(void **state)
{
    char good[128];

    (void)state;
    path(good, sizeof good, "a.img");
    /* Made by test_pack_and_verify; make sure it is still good. */
    assert_int_equal(
        run("image", "verify", good, "--product", "bench-board", NULL), 0);

    assert_int_equal(verify_corrupted(0, 0x01, 0), 1); /* magic */
    assert_non_null(strstr(s_out, "magic"));
    assert_int_equal(verify_corrupted(4, 0x02, 0), 1); /* header version */
    assert_int_equal(verify_corrupted(6, 0x01, 0), 1); /* header size */
    assert_int_equal(verify_corrupted(16, 0x01, 0),
                     1); /* sec counter: hashed */
    assert_non_null(strstr(s_out, "FAIL hash"));
    assert_int_equal(verify_corrupted(24, 0x01, 0), 1); /* load address */
    assert_int_equal(verify_corrupted(70, 0x80, 0), 1); /* stored hash */
    assert_int_equal(verify_corrupted(512 + 1500, 0x04, 0), 1); /* body */
    assert_non_null(strstr(s_out, "FAIL hash"));
    assert_non_null(strstr(s_out, "INVALID"));
    assert_int_equal(verify_corrupted(0, 0, -4), 1); /* truncated */
    assert_non_null(strstr(s_out, "truncated"));
    assert_int_equal(verify_corrupted(0, 0, +4), 1); /* trailing bytes */
    assert_non_null(strstr(s_out, "trailing"));
    assert_int_equal(verify_corrupted(0, 0, -3000),
                     1); /* shorter than header */
    /* tlv_size beyond the area (not hashed, still rejected). */
    assert_int_equal(verify_corrupted(97, 0x02, 0), 1);
    /* A flip in the unused TLV area (not hashed, not used) is harmless. */
    assert_int_equal(verify_corrupted(400, 0x01, 0), 0);
}

static void test_json(void **state)
{
    char good[128];

    (void)state;
    path(good, sizeof good, "a.img");
    assert_int_equal(run("image", "inspect", good, "--json", "--product",
                         "bench-board", NULL),
                     0);
    assert_true(s_out[0] == '{');
    assert_non_null(strstr(s_out, "\"ok\": true"));
    assert_non_null(strstr(s_out, "\"version\": \"1.4.2+99\""));
    assert_non_null(strstr(s_out, "\"slot\": \"a\""));
    assert_non_null(strstr(s_out, "\"load_addr\": 134349312"));
    assert_int_equal(verify_corrupted(600, 0x10, 0), 1);
    {
        char bad[128];
        path(bad, sizeof bad, "bad.img");
        assert_int_equal(run("image", "verify", "--json", "--product",
                             "bench-board", bad, NULL),
                         1);
    }
    assert_non_null(strstr(s_out, "\"ok\": false"));
    assert_non_null(strstr(s_out, "\"name\": \"hash\",\n      \"ok\": false"));
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_help),
        cmocka_unit_test(test_pack_and_verify),
        cmocka_unit_test(test_pack_errors),
        cmocka_unit_test(test_verify_corrupted),
        cmocka_unit_test(test_json),
    };

    if (argc < 2) {
        fprintf(stderr, "usage: %s <path to fota>\n", argv[0]);
        return 2;
    }
    s_fota = argv[1];
    s_proc.exe = s_fota;
    return cmocka_run_group_tests(tests, setup, teardown);
}
