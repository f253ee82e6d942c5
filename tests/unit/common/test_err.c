/*
 * test_err.c - every error code has its own name.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fota/fota_err.h"

static void test_names_distinct(void **state)
{
    static const int codes[] = {
        FOTA_OK,
        FOTA_ERR_PERM,
        FOTA_ERR_NOENT,
        FOTA_ERR_IO,
        FOTA_ERR_NOMEM,
        FOTA_ERR_BUSY,
        FOTA_ERR_INVAL,
        FOTA_ERR_NOSPC,
        FOTA_ERR_RANGE,
        FOTA_ERR_PROTO,
        FOTA_ERR_CORRUPT,
        FOTA_ERR_NACK,
        FOTA_ERR_TIMEOUT,
        FOTA_ERR_STALE,
        FOTA_ERR_AUTH,
        FOTA_ERR_ROLLBACK,
        FOTA_ERR_REJECTED,
        FOTA_ERR_PLATFORM(5),
        -7,
    };
    const size_t n = sizeof codes / sizeof codes[0];

    (void)state;
    for (size_t i = 0; i < n; i++) {
        assert_non_null(fota_strerror(codes[i]));
        assert_true(strlen(fota_strerror(codes[i])) > 0);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(fota_strerror(codes[i]),
                                    fota_strerror(codes[j]));
    }
    assert_string_equal(fota_strerror(FOTA_ERR_TIMEOUT), "timeout");
}

static void test_platform_range(void **state)
{
    (void)state;
    assert_true(FOTA_ERR_IS_PLATFORM(FOTA_ERR_PLATFORM(-5)));
    assert_int_equal(FOTA_ERR_PLATFORM(-5), FOTA_ERR_PLATFORM(5));
    assert_false(FOTA_ERR_IS_PLATFORM(FOTA_ERR_REJECTED));
    assert_string_equal(fota_strerror(FOTA_ERR_PLATFORM(3)),
                        fota_strerror(FOTA_ERR_PLATFORM(300)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_distinct),
        cmocka_unit_test(test_platform_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
