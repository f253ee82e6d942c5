/*
 * test_agent_conf.c - `fota agent --config FILE` (tools/tool_agent_conf.c):
 * the file's key=value lines become options ahead of the command line,
 * so the command line wins; the target group is dropped when the command
 * line picks a target; flags, quotes, comments; bad lines refused.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tool_agent_conf.h"

static const char *s_endpoint, *s_bucket, *s_target, *s_spi, *s_config;
static bool s_once, s_quiet;
static const tool_opt_t s_opts[] = {
    {"endpoint", 0, &s_endpoint, NULL}, {"bucket", 0, &s_bucket, NULL},
    {"once", 0, NULL, &s_once},         {"quiet", 'q', NULL, &s_quiet},
    {"config", 0, &s_config, NULL},     {"target", 't', &s_target, NULL},
    {"spi", 0, &s_spi, NULL},
};
#define NOPTS (sizeof s_opts / sizeof s_opts[0])

static char s_path[64];

static void write_conf(const char *text)
{
    FILE *f;

    snprintf(s_path, sizeof s_path, "/tmp/fota-conf-test.%d", (int)getpid());
    f = fopen(s_path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Expand and parse argv (NULL-terminated); returns the expand result. */
static int run(const char *const *args, tool_agent_conf_t *c)
{
    char *argv[16];
    int argc = 0, rc;
    const char *pos[1];
    size_t npos;
    bool help;

    s_endpoint = s_bucket = s_target = s_spi = s_config = NULL;
    s_once = s_quiet = false;
    while (args[argc] != NULL) {
        argv[argc] = (char *)args[argc];
        argc++;
    }
    argv[argc] = NULL;
    rc = tool_agent_conf_expand("t", argc, argv, s_opts, NOPTS, c);
    if (rc != 0)
        return rc;
    return tool_parse_args("t", c->argc, c->argv, s_opts, NOPTS, pos, 0, &npos,
                           &help);
}

static void test_file_then_command_line(void **state)
{
    tool_agent_conf_t c;

    (void)state;
    write_conf("# comment\n\n  endpoint = http://a:1  \nbucket=\"b c\"\n"
               "once=yes\nquiet=false\nspi=/dev/spidev0.0\r\n");
    const char *a1[] = {"agent", "--config", s_path, NULL};
    assert_int_equal(run(a1, &c), 0);
    assert_string_equal(s_endpoint, "http://a:1");
    assert_string_equal(s_bucket, "b c");
    assert_true(s_once);
    assert_false(s_quiet);
    assert_string_equal(s_spi, "/dev/spidev0.0");
    assert_null(s_target);
    tool_agent_conf_free(&c);

    /* The command line overrides a value and drops the file's target. */
    const char *a3[] = {"agent", "--bucket", "cli",  "--target",
                        "sim:f", "--config", s_path, NULL};
    assert_int_equal(run(a3, &c), 0);
    assert_string_equal(s_bucket, "cli");
    assert_string_equal(s_endpoint, "http://a:1");
    assert_string_equal(s_target, "sim:f");
    assert_null(s_spi);
    tool_agent_conf_free(&c);
    unlink(s_path);
}

static void test_without_config(void **state)
{
    tool_agent_conf_t c;

    (void)state;
    const char *a[] = {"agent", "--bucket", "x", NULL};
    assert_int_equal(run(a, &c), 0);
    assert_string_equal(s_bucket, "x");
    assert_false(c.owned);
    tool_agent_conf_free(&c);
}

static void expect_refused(const char *text)
{
    tool_agent_conf_t c;

    write_conf(text);
    const char *a[] = {"agent", "--config", s_path, NULL};
    assert_int_equal(run(a, &c), TOOL_EXIT_USAGE);
    unlink(s_path);
}

static void test_refused(void **state)
{
    tool_agent_conf_t c;

    (void)state;
    expect_refused("bukket=x\n");           /* unknown key */
    expect_refused("endpoint\n");           /* no '=' */
    expect_refused("once=perhaps\n");       /* flag value */
    expect_refused("endpoint=\n");          /* empty value */
    expect_refused("bucket=\"open\n");      /* quote */
    expect_refused("bucket=a\nbucket=b\n"); /* twice */
    expect_refused("config=/etc/other\n");  /* nesting */
    const char *a[] = {"agent", "--config", "/nonexistent/fota.conf", NULL};
    assert_int_equal(run(a, &c), TOOL_EXIT_USAGE);
    const char *b[] = {"agent", "--config", NULL};
    assert_int_equal(run(b, &c), TOOL_EXIT_USAGE);
}

static void test_journal_prefix(void **state)
{
    (void)state;
    /* JOURNAL_STREAM is read once; in this test stderr is no journal. */
    unsetenv("JOURNAL_STREAM");
    assert_false(tool_journal_stderr());
    setenv("JOURNAL_STREAM", "1:2", 1);
    assert_false(tool_journal_stderr()); /* names another file */
    setenv("JOURNAL_STREAM", "garbage", 1);
    assert_false(tool_journal_stderr());
    assert_string_equal(tool_journal_prefix(6), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_file_then_command_line),
        cmocka_unit_test(test_without_config),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_journal_prefix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
