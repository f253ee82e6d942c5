/*
 * test_boot_assert.c - FOTA_ASSERT / FOTA_UNREACHABLE on the host
 * (include/fota/fota_assert.h): a firmware bug stops the program with
 * SIGABRT and "<file>:<line>: firmware bug" on stderr; a true assertion
 * does nothing. Each bug runs in a child process.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "boot_core.h"
#include "fota/fota_assert.h"

/* Runs fn in a child with stderr captured into out; returns the wait
 * status. */
static int run_child(void (*fn)(void), char *out, size_t cap)
{
    int fd[2];
    int status = 0;
    size_t len = 0;
    ssize_t n;
    pid_t pid;

    assert_int_equal(pipe(fd), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fd[0]);
        dup2(fd[1], STDERR_FILENO);
        fn();
        _exit(0);
    }
    close(fd[1]);
    while (len + 1 < cap && (n = read(fd[0], out + len, cap - 1 - len)) > 0)
        len += (size_t)n;
    out[len] = '\0';
    close(fd[0]);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return status;
}

/* The line of the FOTA_ASSERT below (three lines on). */
static const int k_bug_line = __LINE__ + 3;
static void assert_false_here(void)
{
    FOTA_ASSERT(1 + 1 == 3);
}

static void assert_true_here(void)
{
    FOTA_ASSERT(1 + 1 == 2);
}

/* A context whose journal area no boot_init ever sets reaches the
 * journal's FOTA_UNREACHABLE. */
static void append_bad_area(void)
{
    boot_ctx_t ctx;
    fota_journal_rec_t rec;

    memset(&ctx, 0, sizeof ctx);
    memset(&rec, 0, sizeof rec);
    ctx.area = 7;
    (void)boot_journal_append(&ctx, &rec);
}

/* fn must stop with SIGABRT and a report containing want on stderr. */
static void assert_bug(void (*fn)(void), const char *want)
{
    char out[256];
    int st = run_child(fn, out, sizeof out);

    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGABRT);
    assert_non_null(strstr(out, want));
}

static void test_false_assert_aborts_with_file_line(void **state)
{
    char want[64];

    (void)state;
    snprintf(want, sizeof want, "test_boot_assert.c:%d: firmware bug\n",
             k_bug_line);
    assert_bug(assert_false_here, want);
}

static void test_true_assert_returns(void **state)
{
    char out[256];
    int st;

    (void)state;
    st = run_child(assert_true_here, out, sizeof out);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    assert_string_equal(out, "");
}

static void test_core_unreachable_aborts(void **state)
{
    (void)state;
    assert_bug(append_bad_area, "boot_journal.c:");
    assert_bug(append_bad_area, ": firmware bug\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_false_assert_aborts_with_file_line),
        cmocka_unit_test(test_true_assert_returns),
        cmocka_unit_test(test_core_unreachable_aborts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
