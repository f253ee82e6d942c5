/*
 * test_http_parse.c - the response-header parser both HTTP ports use
 * (agent_http_parse.c): Content-Range of 206 and 416 answers (RFC 9110
 * 14.4), Content-Length, ETag, status lines, raw header lines as libcurl
 * hands them over, and the agent_http.h query results built on them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "agent_http_parse.h"
#include "fota/fota_err.h"

static int cr(const char *v, uint32_t *a, uint32_t *b, uint32_t *t)
{
    return agent_http_parse_content_range(v, strlen(v), a, b, t);
}

static void test_content_range_good(void **state)
{
    uint32_t a = 7, b = 7, t = 7;

    (void)state;
    assert_int_equal(cr("bytes 0-9/10", &a, &b, &t), 0);
    assert_int_equal(a, 0);
    assert_int_equal(b, 9);
    assert_int_equal(t, 10);
    assert_int_equal(cr("bytes 1024-393215/393216", &a, &b, &t), 0);
    assert_int_equal(a, 1024);
    assert_int_equal(b, 393215);
    assert_int_equal(t, 393216);
    /* The unit is case-insensitive; surrounding blanks are not part of it. */
    assert_int_equal(cr("  Bytes 5-5/6\r\n", &a, &b, &t), 0);
    assert_int_equal(a, 5);
    assert_int_equal(b, 5);
    assert_int_equal(t, 6);
    /* 416: an asterisk for the range, then the total. */
    a = b = 9;
    assert_int_equal(cr("bytes */393216", &a, &b, &t), 0);
    assert_int_equal(a, 0);
    assert_int_equal(b, 0);
    assert_int_equal(t, 393216);
    assert_int_equal(cr("bytes 0-4294967294/4294967295", &a, &b, &t), 0);
    assert_int_equal(b, 4294967294u);
}

static void test_content_range_bad(void **state)
{
    static const char *const bad[] = {
        "",
        "bytes",
        "bytes ",
        "bits 0-9/10",
        "bytes=0-9/10",
        "bytes 0-9",
        "bytes 0-9/",
        "bytes 9-0/10",  /* end before start */
        "bytes 0-10/10", /* end at or past the total */
        "bytes 0-9/*",   /* unknown total: the agent needs it */
        "bytes -9/10",
        "bytes 0-/10",
        "bytes 0-9/10x",
        "bytes 0x0-9/10",
        "bytes 0-9/4294967296", /* 2^32 */
        "bytes 0-99999999999999999999999/10",
        "bytes * /10",
        "bytes 1-2-3/10",
    };
    uint32_t a = 77, b = 78, t = 79;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(cr(bad[i], &a, &b, &t), FOTA_ERR_PROTO);
        /* Outputs are untouched on failure. */
        assert_int_equal(a, 77);
        assert_int_equal(b, 78);
        assert_int_equal(t, 79);
    }
    assert_int_equal(agent_http_parse_content_range(NULL, 0, &a, &b, &t),
                     FOTA_ERR_PROTO);
    /* Lengths are honoured: no terminator needed, none read past. */
    assert_int_equal(
        agent_http_parse_content_range("bytes 0-9/10", 11, &a, &b, &t),
        FOTA_ERR_PROTO); /* "bytes 0-9/1": 9 >= 1 */
}

static void test_content_length(void **state)
{
    uint32_t n = 5;

    (void)state;
    assert_int_equal(agent_http_parse_content_length("0", 1, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(agent_http_parse_content_length(" 393216 \r\n", 10, &n),
                     0);
    assert_int_equal(n, 393216);
    assert_int_equal(agent_http_parse_content_length("4294967295", 10, &n), 0);
    assert_int_equal(n, 4294967295u);
    n = 5;
    assert_int_equal(agent_http_parse_content_length("4294967296", 10, &n),
                     FOTA_ERR_RANGE);
    assert_int_equal(agent_http_parse_content_length(
                         "123456789012345678901234567890", 30, &n),
                     FOTA_ERR_RANGE);
    assert_int_equal(agent_http_parse_content_length("", 0, &n),
                     FOTA_ERR_PROTO);
    assert_int_equal(agent_http_parse_content_length("-1", 2, &n),
                     FOTA_ERR_PROTO);
    assert_int_equal(agent_http_parse_content_length("12 3", 4, &n),
                     FOTA_ERR_PROTO);
    assert_int_equal(n, 5);
}

static int sl(const char *s)
{
    return agent_http_parse_status_line(s, strlen(s));
}

static void test_status_line(void **state)
{
    (void)state;
    assert_int_equal(sl("HTTP/1.1 206 Partial Content\r\n"), 206);
    assert_int_equal(sl("HTTP/1.0 304 Not Modified\r\n"), 304);
    assert_int_equal(sl("HTTP/2 200\r\n"), 200);
    assert_int_equal(sl("HTTP/1.1 100 Continue\r\n"), 100);
    assert_int_equal(sl("http/1.1 416 Range Not Satisfiable"), 416);
    assert_int_equal(sl("HTTP/1.1 99 Low\r\n"), FOTA_ERR_PROTO);
    assert_int_equal(sl("HTTP/1.1 600 High\r\n"), FOTA_ERR_PROTO);
    assert_int_equal(sl("HTTP/1.1 2000 OK\r\n"), FOTA_ERR_PROTO);
    assert_int_equal(sl("HTTP/1.1 20\r\n"), FOTA_ERR_PROTO);
    assert_int_equal(sl("HTTP/ 200 OK\r\n"), FOTA_ERR_PROTO);
    assert_int_equal(sl("HTTP/1.1200 OK\r\n"), FOTA_ERR_PROTO);
    assert_int_equal(sl("ETag: \"x\"\r\n"), FOTA_ERR_PROTO);
    assert_int_equal(sl("\r\n"), FOTA_ERR_PROTO);
    assert_int_equal(agent_http_parse_status_line(NULL, 0), FOTA_ERR_PROTO);
}

static bool line(agent_http_hdrs_t *h, const char *s)
{
    return agent_http_hdrs_feed_line(h, s, strlen(s));
}

static void test_headers_from_lines(void **state)
{
    agent_http_hdrs_t h;
    char etag[AGENT_HTTP_ETAG_MAX + 1];
    uint32_t a, b, t, n;

    (void)state;
    agent_http_hdrs_reset(&h);
    /* Nothing captured yet. */
    assert_int_equal(agent_http_hdrs_etag(&h, etag, sizeof etag),
                     FOTA_ERR_NOENT);
    assert_int_equal(agent_http_hdrs_content_length(&h, &n), FOTA_ERR_NOENT);
    assert_int_equal(agent_http_hdrs_content_range(&h, &a, &b, &t),
                     FOTA_ERR_NOENT);

    assert_false(line(&h, "HTTP/1.1 206 Partial Content\r\n"));
    assert_true(line(&h, "etag: \"9b2cf535f27731c974343645a3985328\"\r\n"));
    assert_true(line(&h, "Content-Length:   1024\r\n"));
    assert_true(line(&h, "CONTENT-RANGE: bytes 1024-2047/393216\r\n"));
    assert_true(line(&h, "X-Amz-Request-Id: 4442587FB7D0A2F9\r\n"));
    assert_false(line(&h, "\r\n"));
    assert_false(line(&h, "no colon here\r\n"));

    assert_int_equal(agent_http_hdrs_etag(&h, etag, sizeof etag), 34);
    assert_string_equal(etag, "\"9b2cf535f27731c974343645a3985328\"");
    assert_int_equal(agent_http_hdrs_etag(&h, etag, 34), FOTA_ERR_NOMEM);
    assert_int_equal(agent_http_hdrs_content_length(&h, &n), 0);
    assert_int_equal(n, 1024);
    assert_int_equal(agent_http_hdrs_content_range(&h, &a, &b, &t), 0);
    assert_int_equal(a, 1024);
    assert_int_equal(b, 2047);
    assert_int_equal(t, 393216);

    /* A new head starts clean. */
    agent_http_hdrs_reset(&h);
    assert_int_equal(agent_http_hdrs_etag(&h, etag, sizeof etag),
                     FOTA_ERR_NOENT);
    assert_int_equal(agent_http_hdrs_content_range(&h, &a, &b, &t),
                     FOTA_ERR_NOENT);
}

static void test_headers_bad_values(void **state)
{
    agent_http_hdrs_t h;
    char etag[AGENT_HTTP_ETAG_MAX + 1];
    char longtag[AGENT_HTTP_ETAG_MAX + 2];
    uint32_t a, b, t, n;

    (void)state;
    agent_http_hdrs_reset(&h);
    memset(longtag, 'e', sizeof longtag - 1);
    longtag[sizeof longtag - 1] = '\0';
    agent_http_hdrs_feed(&h, "ETag", 4, longtag, strlen(longtag));
    agent_http_hdrs_feed(&h, "Content-Length", 14, "99999999999", 11);
    agent_http_hdrs_feed(&h, "Content-Range", 13, "bytes 5-1/9", 11);
    /* Present but unusable: each query says how. */
    assert_int_equal(agent_http_hdrs_etag(&h, etag, sizeof etag),
                     FOTA_ERR_NOMEM);
    assert_int_equal(agent_http_hdrs_content_length(&h, &n), FOTA_ERR_RANGE);
    assert_int_equal(agent_http_hdrs_content_range(&h, &a, &b, &t),
                     FOTA_ERR_PROTO);
    /* A repeated header replaces the earlier one. */
    agent_http_hdrs_feed(&h, "ETag", 4, "\"a\"", 3);
    agent_http_hdrs_feed(&h, "Content-Length", 14, "abc", 3);
    assert_int_equal(agent_http_hdrs_etag(&h, etag, sizeof etag), 3);
    assert_string_equal(etag, "\"a\"");
    assert_int_equal(agent_http_hdrs_content_length(&h, &n), FOTA_ERR_PROTO);
    /* An ETag of exactly the maximum is kept. */
    longtag[AGENT_HTTP_ETAG_MAX] = '\0';
    agent_http_hdrs_feed(&h, "ETag", 4, longtag, AGENT_HTTP_ETAG_MAX);
    assert_int_equal(agent_http_hdrs_etag(&h, etag, sizeof etag),
                     AGENT_HTTP_ETAG_MAX);
    /* Names must match whole: a prefix is another header. */
    agent_http_hdrs_reset(&h);
    agent_http_hdrs_feed(&h, "Content-Rang", 12, "bytes 0-0/1", 11);
    agent_http_hdrs_feed(&h, "Content-Ranges", 14, "bytes 0-0/1", 11);
    assert_int_equal(agent_http_hdrs_content_range(&h, &a, &b, &t),
                     FOTA_ERR_NOENT);
    assert_int_equal(agent_http_hdrs_etag(NULL, etag, sizeof etag),
                     FOTA_ERR_INVAL);
    assert_int_equal(agent_http_hdrs_content_length(&h, NULL), FOTA_ERR_INVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_content_range_good),
        cmocka_unit_test(test_content_range_bad),
        cmocka_unit_test(test_content_length),
        cmocka_unit_test(test_status_line),
        cmocka_unit_test(test_headers_from_lines),
        cmocka_unit_test(test_headers_bad_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
