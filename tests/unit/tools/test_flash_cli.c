/*
 * test_flash_cli.c - `fota flash` run as a process against the simulated
 * target (the same persistent target `fota agent` uses): which image it
 * picks for the inactive slot, what lands in the flash file, what a cold
 * boot of that file then runs, and the failures (wrong slot only, bad
 * image, usage, hardware that is not there).
 *
 * argv[1] is the fota binary; files go to a fresh temporary directory.
 */
#define _DEFAULT_SOURCE

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent_sim_target.h"
#include "fota/fota_layout.h"
#include "sim_image.h"
#include "test_proc.h"

static const char *s_fota;
static char s_dir[64];
static char s_out[4096];
static char s_err[16384];
static uint8_t s_img[2][64 * 1024];
static int s_img_len[2];

static void path(char *buf, size_t cap, const char *name)
{
    snprintf(buf, cap, "%s/%s", s_dir, name);
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

/* Bytes of the flash file at a flash address. */
static void read_flash(const char *flash_path, uint32_t addr, uint8_t *buf,
                       size_t len)
{
    FILE *f = fopen(flash_path, "rb");

    assert_non_null(f);
    assert_int_equal(fseek(f, (long)(addr - FOTA_FLASH_BASE), SEEK_SET), 0);
    assert_int_equal(fread(buf, 1, len, f), len);
    fclose(f);
}

static int setup(void **state)
{
    char a[128], b[128];

    (void)state;
    snprintf(s_dir, sizeof s_dir, "/tmp/fota-flash-cli-XXXXXX");
    assert_non_null(mkdtemp(s_dir));
    /* Version 1.3 of a release, one build per slot, different bodies. */
    s_img_len[0] =
        sim_image_build(s_img[0], sizeof s_img[0], 0, 1, 3, 2, 40 * 1024, 11);
    s_img_len[1] =
        sim_image_build(s_img[1], sizeof s_img[1], 1, 1, 3, 2, 40 * 1024, 22);
    assert_true(s_img_len[0] > 0 && s_img_len[1] > 0);
    path(a, sizeof a, "slot-a.img");
    path(b, sizeof b, "slot-b.img");
    test_write_file(a, s_img[0], (size_t)s_img_len[0]);
    test_write_file(b, s_img[1], (size_t)s_img_len[1]);
    return 0;
}

static int teardown(void **state)
{
    char cmd[160];

    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_flash_both_slots_in_turn(void **state)
{
    char a[128], b[128], fl[128], tgt[160];
    static uint8_t got[64 * 1024];
    int slot = -2;
    fota_version_t v;

    (void)state;
    path(a, sizeof a, "slot-a.img");
    path(b, sizeof b, "slot-b.img");
    path(fl, sizeof fl, "dev.flash");
    snprintf(tgt, sizeof tgt, "sim:%s", fl);

    /* Fresh (erased) target: nothing bootable, slot A is the inactive one,
     * so of the two builds the slot-A one is written. */
    assert_int_equal(run("flash", a, b, "--target", tgt, NULL), 0);
    assert_non_null(strstr(s_out, "slot=A"));
    assert_non_null(strstr(s_out, "committed=1 rebooted=1"));
    read_flash(fl, FOTA_SLOT_A_ADDR, got, (size_t)s_img_len[0]);
    assert_memory_equal(got, s_img[0], (size_t)s_img_len[0]);
    assert_int_equal(agent_sim_target_check_boot(fl, &slot, &v), 0);
    assert_int_equal(slot, 0);
    assert_int_equal(v.major, 1);
    assert_int_equal(v.minor, 3);

    /* Now A runs: the same command writes the slot-B build. */
    assert_int_equal(run("flash", b, a, "--target", tgt, NULL), 0);
    assert_non_null(strstr(s_out, "slot=B"));
    read_flash(fl, FOTA_SLOT_B_ADDR, got, (size_t)s_img_len[1]);
    assert_memory_equal(got, s_img[1], (size_t)s_img_len[1]);
    assert_int_equal(agent_sim_target_check_boot(fl, &slot, &v), 0);
    assert_int_equal(slot, 1);

    /* The standard Write Memory path lands the same bytes in A. */
    assert_int_equal(run("flash", a, "--write-memory", "--target", tgt, NULL),
                     0);
    assert_non_null(strstr(s_out, "slot=A"));
    assert_int_equal(agent_sim_target_check_boot(fl, &slot, &v), 0);
    assert_int_equal(slot, 0);

    /* Only the build for the running slot: refused, nothing changes. */
    assert_int_equal(run("flash", a, "--target", tgt, NULL), 1);
    assert_non_null(strstr(s_err, "inactive slot is B"));
    assert_int_equal(agent_sim_target_check_boot(fl, &slot, &v), 0);
    assert_int_equal(slot, 0);
}

static void test_flash_rejects_bad_images(void **state)
{
    char bad[128], fl[128], tgt[160];
    uint8_t junk[1024];

    (void)state;
    path(bad, sizeof bad, "bad.img");
    path(fl, sizeof fl, "bad.flash");
    snprintf(tgt, sizeof tgt, "sim:%s", fl);
    memset(junk, 0x5A, sizeof junk);
    test_write_file(bad, junk, sizeof junk);
    assert_int_equal(run("flash", bad, "--target", tgt, NULL), 1);
    assert_non_null(strstr(s_err, "not an image"));
    /* A header whose body size disagrees with the file. */
    test_write_file(bad, s_img[0], (size_t)s_img_len[0] - 4);
    assert_int_equal(run("flash", bad, "--target", tgt, NULL), 1);
    /* The target was never opened: no flash file appeared. */
    assert_int_equal(access(fl, F_OK), -1);
}

static void test_flash_usage(void **state)
{
    char a[128];

    (void)state;
    path(a, sizeof a, "slot-a.img");
    assert_int_equal(run("flash", "--help", NULL), 0);
    assert_non_null(strstr(s_out, "--cs-gpio"));
    assert_int_equal(run("flash", a, NULL), 2);
    assert_int_equal(run("flash", "--target", "sim:/tmp/x", NULL), 2);
    assert_int_equal(run("flash", a, "--target", "qemu:1", NULL), 2);
    assert_int_equal(run("flash", a, "--target", "sim:", NULL), 2);
    assert_int_equal(run("flash", a, "--target", "sim:/tmp/x", "--spi",
                         "/dev/spidev0.0", NULL),
                     2);
    assert_int_equal(run("flash", a, "--spi", "/dev/spidev0.0", "--nrst",
                         "gpiochip0:17", NULL),
                     2);
    assert_int_equal(run("flash", a, "--spi", "/dev/spidev0.0", "--nrst",
                         "gpiochip0:17", "--cs-gpio", "gpiochip0:8", "--hz",
                         "12x", NULL),
                     2);
}

static void test_flash_hardware_absent(void **state)
{
    char a[128];

    (void)state;
    path(a, sizeof a, "slot-a.img");
    /* The Linux path runs up to the first missing device and says which. */
    assert_int_equal(run("flash", a, "--spi", "/dev/spidev-none.0", "--nrst",
                         "gpiochip-none:17", "--cs-gpio", "gpiochip-none:8",
                         NULL),
                     1);
    assert_non_null(strstr(s_err, "--cs-gpio gpiochip-none:8"));
    assert_int_equal(run("flash", a, "--spi", "/dev/spidev-none.0", "--nrst",
                         "bad-spec", "--cs-gpio", "bad-spec", NULL),
                     1);
    assert_non_null(strstr(s_err, "--cs-gpio bad-spec"));
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flash_both_slots_in_turn),
        cmocka_unit_test(test_flash_rejects_bad_images),
        cmocka_unit_test(test_flash_usage),
        cmocka_unit_test(test_flash_hardware_absent),
    };

    if (argc < 2) {
        fprintf(stderr, "usage: %s <fota binary>\n", argv[0]);
        return 2;
    }
    s_fota = argv[1];
    s_proc.exe = s_fota;
    return cmocka_run_group_tests(tests, setup, teardown);
}
