/*
 * test_proc.c - child process runner and file helpers (see test_proc.h).
 */
#define _POSIX_C_SOURCE 200809L

#include "test_proc.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

int test_proc_run_va(const test_proc_t *p, const char *first, va_list ap)
{
    const char *argv[TEST_PROC_MAX_ARGS + 2];
    char out_path[512], err_path[512];
    int argc = 0;
    int status;
    pid_t pid;

    argv[argc++] = p->exe;
    for (const char *a = first; a != NULL; a = va_arg(ap, const char *)) {
        assert_true(argc <= TEST_PROC_MAX_ARGS);
        argv[argc++] = a;
    }
    argv[argc] = NULL;

    snprintf(out_path, sizeof out_path, "%s/stdout.txt", p->dir);
    snprintf(err_path, sizeof err_path, "%s/stderr.txt", p->dir);
    /* Nothing buffered in the parent may be written twice by the child. */
    fflush(NULL);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (p->child_setup != NULL)
            p->child_setup(p->child_arg);
        if (freopen(out_path, "w", stdout) == NULL ||
            freopen(err_path, "w", stderr) == NULL)
            _exit(127);
        execv(p->exe, (char *const *)argv);
        _exit(127);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    test_slurp(out_path, p->out, p->out_cap);
    test_slurp(err_path, p->err, p->err_cap);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void test_slurp(const char *file, char *buf, size_t cap)
{
    FILE *f = fopen(file, "rb");
    size_t n = 0;

    if (f != NULL) {
        n = fread(buf, 1, cap - 1, f);
        fclose(f);
    }
    buf[n] = '\0';
}

void test_write_file(const char *file, const void *data, size_t len)
{
    FILE *f = fopen(file, "wb");

    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

uint8_t *test_read_file(const char *file, size_t *len)
{
    FILE *f = fopen(file, "rb");
    uint8_t *buf;
    long n;

    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n >= 0);
    assert_int_equal(fseek(f, 0, SEEK_SET), 0);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

int test_proc_run(const test_proc_t *p, const char *first, ...)
{
    va_list ap;
    int rc;

    va_start(ap, first);
    rc = test_proc_run_va(p, first, ap);
    va_end(ap);
    return rc;
}
