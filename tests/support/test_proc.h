/*
 * test_proc.h - run a program (usually the `fota` binary) as a child
 * process from a cmocka test, capture its stdout and stderr, and small file
 * helpers the process-level tests share.
 *
 * Failures of the harness itself (fork, waitpid, a file that must exist)
 * fail the running cmocka test; only the child's own outcome is returned.
 */
#ifndef TEST_PROC_H
#define TEST_PROC_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

typedef struct test_proc {
    const char *exe; /* program to run; also passed as argv[0] */
    const char *dir; /* stdout.txt and stderr.txt are written here */
    char *out;       /* receives the child's stdout, NUL-terminated */
    size_t out_cap;  /* size of out; longer output is cut */
    char *err;       /* receives the child's stderr, NUL-terminated */
    size_t err_cap;
    /* Optional: runs in the child just before exec (environment set-up). */
    void (*child_setup)(void *arg);
    void *child_arg;
} test_proc_t;

/* Most arguments a run takes (after argv[0]); more fails the test. */
#define TEST_PROC_MAX_ARGS 48

/*
 * Run p->exe with the arguments first, then those in ap up to a NULL
 * (first == NULL means none). Waits for it. Returns its exit status, or -1
 * if it did not exit normally (a signal).
 */
int test_proc_run_va(const test_proc_t *p, const char *first, va_list ap);

/* test_proc_run_va with the arguments given directly, up to a NULL. */
int test_proc_run(const test_proc_t *p, const char *first, ...);

/* Whole file into buf (cap bytes, NUL-terminated, cut to fit); an empty
 * string if the file cannot be opened. */
void test_slurp(const char *file, char *buf, size_t cap);

/* Create or replace file with len bytes of data. */
void test_write_file(const char *file, const void *data, size_t len);

/* Whole file into a malloc'd buffer (one spare byte at the end); *len gets
 * the size. The file must exist. The caller frees. */
uint8_t *test_read_file(const char *file, size_t *len);

#endif /* TEST_PROC_H */
