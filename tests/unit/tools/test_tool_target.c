/*
 * test_tool_target.c - the target options `fota flash` and `fota agent`
 * share (tools/tool_target.c): parsing them through a command's option
 * table, checking them into a selection, and opening hardware whose spidev
 * device is missing (GPIO lines faked through the libgpiod table, the
 * spidev open is the real one); then `fota agent` run as a process with
 * the hardware options on a host that has no such hardware.
 *
 * argv[1] is the fota binary.
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

#include "fota/fota_err.h"
#include "test_proc.h"
#include "tool.h"
#include "tool_target.h"

static const char *s_fota;
static char s_dir[64];
static char s_out[8192];
static char s_err[8192];

/* ---- libgpiod fake: every chip and line exists ---- */

struct gpiod_chip {
    int open;
};

struct gpiod_line {
    int requested;
    int value;
};

static struct gpiod_chip s_chips[4];
static struct gpiod_line s_lines[4];
static int s_nchips, s_nlines;

static struct gpiod_chip *fake_chip_open(const char *name)
{
    (void)name;
    assert_true(s_nchips < 4);
    s_chips[s_nchips].open = 1;
    return &s_chips[s_nchips++];
}

static void fake_chip_close(struct gpiod_chip *c)
{
    c->open = 0;
}

static struct gpiod_line *fake_get_line(struct gpiod_chip *c, unsigned off)
{
    (void)c;
    (void)off;
    assert_true(s_nlines < 4);
    return &s_lines[s_nlines++];
}

static int fake_request(struct gpiod_line *l, const char *consumer, int flags,
                        int def)
{
    (void)consumer;
    (void)flags;
    l->requested = 1;
    l->value = def;
    return 0;
}

static int fake_set(struct gpiod_line *l, int v)
{
    l->value = v;
    return 0;
}

static void fake_release(struct gpiod_line *l)
{
    l->requested = 0;
}

static const agent_gpiod_sys_t s_fake_gpiod = {
    .chip_open = fake_chip_open,
    .chip_open_by_name = fake_chip_open,
    .chip_close = fake_chip_close,
    .chip_get_line = fake_get_line,
    .line_request_output_flags = fake_request,
    .line_set_value = fake_set,
    .line_release = fake_release,
};

/* ---- helpers ---- */

/* Parse argv the way `fota agent` does: a command option plus the target
 * options. Returns tool_parse_args()'s result. */
static int parse(tool_target_args_t *ta, int argc, const char **argv)
{
    const char *endpoint = NULL;
    bool help = false;
    const char *pos[1];
    size_t npos = 0;
    const tool_opt_t opts[] = {
        {"endpoint", 0, &endpoint, NULL},
        TOOL_TARGET_OPTS(ta),
    };

    memset(ta, 0, sizeof *ta);
    return tool_parse_args("test", argc, (char **)argv, opts,
                           sizeof opts / sizeof opts[0], pos, 0, &npos, &help);
}

/* Run fota with a NULL-terminated argument list; capture stdout/stderr. */
/* Every fota run of this test, its output captured (exe set in main). */
static test_proc_t s_proc = {.dir = s_dir,
                             .out = s_out,
                             .out_cap = sizeof s_out,
                             .err = s_err,
                             .err_cap = sizeof s_err};

/* Run fota with a NULL-terminated argument list; capture stdout/stderr.
 * Returns the exit status (or -1 if it did not exit normally). */
#define run(...) test_proc_run(&s_proc, __VA_ARGS__)

/* ---- option parsing and checking ---- */

static void test_parse_hardware_options(void **state)
{
    const char *argv[] = {
        "agent",          "--endpoint",
        "http://x",       "--spi",
        "/dev/spidev0.0", "--nrst",
        "gpiochip0:17",   "--cs-gpio=gpiochip0:8",
        "--boot0",        "gpiochip0:27",
        "--hz",           "1000000",
        "--no-cs",
    };
    tool_target_args_t ta;
    tool_target_sel_t sel;

    (void)state;
    assert_int_equal(parse(&ta, (int)(sizeof argv / sizeof argv[0]), argv), 0);
    assert_string_equal(ta.spi_dev, "/dev/spidev0.0");
    assert_string_equal(ta.nrst, "gpiochip0:17");
    assert_string_equal(ta.cs, "gpiochip0:8");
    assert_string_equal(ta.boot0, "gpiochip0:27");
    assert_string_equal(ta.hz, "1000000");
    assert_true(ta.no_cs);
    assert_null(ta.target);

    assert_int_equal(tool_target_check("test", &ta, "sim:default.bin", &sel),
                     0);
    assert_false(sel.sim);
    assert_string_equal(sel.hw.spi_dev, "/dev/spidev0.0");
    assert_string_equal(sel.hw.nrst, "gpiochip0:17");
    assert_string_equal(sel.hw.cs, "gpiochip0:8");
    assert_string_equal(sel.hw.boot0, "gpiochip0:27");
    assert_int_equal(sel.hw.hz, 1000000);
    assert_true(sel.hw.no_cs);
    assert_null(sel.hw.gpiod_sys);
    assert_null(sel.hw.spi_sys);
}

static void test_check_defaults(void **state)
{
    const char *argv_hw[] = {"agent",      "--spi",        "/dev/spidev0.0",
                             "--nrst",     "gpiochip0:17", "--cs-gpio",
                             "gpiochip0:8"};
    const char *argv_sim[] = {"agent", "-t", "sim:mine.bin"};
    tool_target_args_t ta;
    tool_target_sel_t sel;

    (void)state;
    /* Nothing given: the command's default target. */
    memset(&ta, 0, sizeof ta);
    assert_int_equal(tool_target_check("test", &ta, "sim:default.bin", &sel),
                     0);
    assert_true(sel.sim);
    assert_string_equal(sel.sim_path, "default.bin");
    /* Without a default (fota flash) it is an error. */
    assert_int_equal(tool_target_check("test", &ta, NULL, &sel),
                     TOOL_EXIT_USAGE);

    assert_int_equal(parse(&ta, 3, argv_sim), 0);
    assert_int_equal(tool_target_check("test", &ta, "sim:default.bin", &sel),
                     0);
    assert_true(sel.sim);
    assert_string_equal(sel.sim_path, "mine.bin");

    assert_int_equal(parse(&ta, 7, argv_hw), 0);
    assert_int_equal(tool_target_check("test", &ta, NULL, &sel), 0);
    assert_int_equal(sel.hw.hz, TOOL_TARGET_DEFAULT_HZ);
    assert_null(sel.hw.boot0);
    assert_false(sel.hw.no_cs);
}

static void test_check_rejects(void **state)
{
    tool_target_args_t ta;
    tool_target_sel_t sel;
    const char *const bad_hz[] = {"99999", "50000001", "fast", "", "1e6"};

    (void)state;
    memset(&ta, 0, sizeof ta);
    ta.target = "sim:x.bin";
    ta.spi_dev = "/dev/spidev0.0";
    ta.nrst = "gpiochip0:17";
    ta.cs = "gpiochip0:8";
    assert_int_equal(tool_target_check("test", &ta, NULL, &sel),
                     TOOL_EXIT_USAGE);
    ta.spi_dev = NULL;
    ta.target = "usb:x";
    assert_int_equal(tool_target_check("test", &ta, NULL, &sel),
                     TOOL_EXIT_USAGE);
    ta.target = "sim:";
    assert_int_equal(tool_target_check("test", &ta, NULL, &sel),
                     TOOL_EXIT_USAGE);

    ta.target = NULL;
    ta.spi_dev = "/dev/spidev0.0";
    ta.nrst = NULL;
    assert_int_equal(tool_target_check("test", &ta, NULL, &sel),
                     TOOL_EXIT_USAGE);
    ta.nrst = "gpiochip0:17";
    ta.cs = NULL;
    assert_int_equal(tool_target_check("test", &ta, NULL, &sel),
                     TOOL_EXIT_USAGE);
    ta.cs = "gpiochip0:8";
    for (size_t i = 0; i < sizeof bad_hz / sizeof bad_hz[0]; i++) {
        ta.hz = bad_hz[i];
        assert_int_equal(tool_target_check("test", &ta, NULL, &sel),
                         TOOL_EXIT_USAGE);
    }
    ta.hz = "100000";
    assert_int_equal(tool_target_check("test", &ta, NULL, &sel), 0);
    assert_int_equal(sel.hw.hz, 100000);
    ta.hz = "50000000";
    assert_int_equal(tool_target_check("test", &ta, NULL, &sel), 0);
    assert_int_equal(sel.hw.hz, 50000000);
}

/* The GPIO lines open (faked), the spidev device does not exist: the open
 * fails with FOTA_ERR_NOENT, says which option and why, and releases the
 * lines it had taken. */
static void test_open_missing_spidev(void **state)
{
    tool_target_args_t ta = {
        .spi_dev = "/dev/spidev-none.0",
        .nrst = "gpiochip0:17",
        .cs = "gpiochip0:8",
    };
    tool_target_sel_t sel;
    tool_target_t tg;
    char errfile[128];
    int saved, rc;

    (void)state;
    memset(s_chips, 0, sizeof s_chips);
    memset(s_lines, 0, sizeof s_lines);
    s_nchips = s_nlines = 0;
    assert_int_equal(tool_target_check("fota agent", &ta, NULL, &sel), 0);
    sel.hw.gpiod_sys = &s_fake_gpiod;

    /* Capture what the open prints on stderr. */
    snprintf(errfile, sizeof errfile, "%s/open-err.txt", s_dir);
    fflush(stderr);
    saved = dup(2);
    assert_true(saved >= 0);
    assert_non_null(freopen(errfile, "w", stderr));
    rc = tool_target_open("fota agent", &tg, &sel);
    fflush(stderr);
    assert_true(dup2(saved, 2) >= 0);
    close(saved);
    test_slurp(errfile, s_err, sizeof s_err);

    assert_int_equal(rc, FOTA_ERR_NOENT);
    assert_non_null(strstr(s_err, "fota agent: --spi /dev/spidev-none.0:"));
    assert_non_null(strstr(s_err, "no such spidev device"));
    assert_false(tg.hw_open);
    /* CS and NRST were opened, then released again. */
    assert_int_equal(s_nlines, 2);
    for (int i = 0; i < s_nlines; i++)
        assert_int_equal(s_lines[i].requested, 0);
    for (int i = 0; i < s_nchips; i++)
        assert_int_equal(s_chips[i].open, 0);
    /* CS was left high (deasserted). */
    assert_int_equal(s_lines[0].value, 1);
}

/* ---- `fota agent` as a process ---- */

static void test_agent_cli_hardware_options(void **state)
{
    (void)state;
    assert_int_equal(run("agent", "--help", NULL), 0);
    assert_non_null(strstr(s_out, "--spi DEV"));
    assert_non_null(strstr(s_out, "--cs-gpio CHIP:LINE"));

    /* Usage errors, before anything is opened or created. */
    assert_int_equal(run("agent", "--endpoint", "http://127.0.0.1:9",
                         "--bucket", "b", "--device-id", "d", "--spi",
                         "/dev/spidev0.0", NULL),
                     2);
    assert_non_null(strstr(s_err, "--spi needs --nrst and --cs-gpio"));
    assert_int_equal(run("agent", "--endpoint", "http://127.0.0.1:9",
                         "--bucket", "b", "--device-id", "d", "--spi",
                         "/dev/spidev0.0", "--nrst", "gpiochip0:17",
                         "--cs-gpio", "gpiochip0:8", "--target", "sim:x.bin",
                         NULL),
                     2);
    assert_non_null(strstr(s_err, "give either --target"));
    assert_int_equal(run("agent", "--endpoint", "http://127.0.0.1:9",
                         "--bucket", "b", "--device-id", "d", "--spi",
                         "/dev/spidev0.0", "--nrst", "gpiochip0:17",
                         "--cs-gpio", "gpiochip0:8", "--hz", "1", NULL),
                     2);
    assert_non_null(strstr(s_err, "--hz"));
}

/* No GPIO chip and no spidev on this host: the agent stops at the first
 * port it cannot open, names it, and exits 1 without polling. */
static void test_agent_cli_missing_hardware(void **state)
{
    char state_dir[128];

    (void)state;
    snprintf(state_dir, sizeof state_dir, "%s/state", s_dir);
    assert_int_equal(run("agent", "--endpoint", "http://127.0.0.1:9",
                         "--bucket", "b", "--device-id", "d", "--state-dir",
                         state_dir, "--spi", "/dev/spidev-none.0", "--nrst",
                         "gpiochip-none:17", "--cs-gpio", "gpiochip-none:8",
                         "--once", NULL),
                     1);
    assert_non_null(strstr(s_err, "fota agent: --cs-gpio gpiochip-none:8:"));
    assert_null(strstr(s_out, "outcome="));
}

static int setup_all(void **state)
{
    (void)state;
    snprintf(s_dir, sizeof s_dir, "/tmp/fota-tgt-XXXXXX");
    assert_non_null(mkdtemp(s_dir));
    return 0;
}

static int teardown_all(void **state)
{
    char cmd[128];

    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s_dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_hardware_options),
        cmocka_unit_test(test_check_defaults),
        cmocka_unit_test(test_check_rejects),
        cmocka_unit_test(test_open_missing_spidev),
        cmocka_unit_test(test_agent_cli_hardware_options),
        cmocka_unit_test(test_agent_cli_missing_hardware),
    };

    if (argc < 2) {
        fprintf(stderr, "usage: %s <fota binary>\n", argv[0]);
        return 2;
    }
    s_fota = argv[1];
    s_proc.exe = s_fota;
    return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
