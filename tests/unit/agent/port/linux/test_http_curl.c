/*
 * test_http_curl.c - the libcurl HTTP port against a real S3 API server
 * (s3rver on loopback, started through scripts/s3-local.sh with its own
 * state and data directories). Objects are uploaded with libcurl's own
 * SigV4 (CURLOPT_AWS_SIGV4 plus the x-amz-content-sha256 header), then read
 * back through the port with the conditional and range requests the agent
 * relies on. If s3rver is missing the test fails, it does not skip.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "agent_http_curl.h"
#include "agent_sigv4.h"
#include "fota/fota_err.h"
#include "fota/fota_sha256.h"

#define BUCKET "fota"
#define OBJ_SIZE 100000u

static char s_state[256];
static char s_url[128];
static uint8_t s_obj[OBJ_SIZE];
static char s_etag[AGENT_HTTP_ETAG_MAX + 1];
static agent_http_t *s_http;

static int run_script(const char *args, char *out, size_t out_len)
{
    char cmd[1024];
    FILE *p;
    size_t n = 0;
    int st;

    snprintf(cmd, sizeof cmd, "S3_LOCAL_STATE='%s' '%s/scripts/s3-local.sh' %s",
             s_state, FOTA_SOURCE_DIR, args);
    p = popen(cmd, "r");
    if (p == NULL)
        return -1;
    if (out != NULL) {
        n = fread(out, 1, out_len - 1, p);
        out[n] = '\0';
        while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
            out[--n] = '\0';
    }
    st = pclose(p);
    return st;
}

/* Upload with libcurl's own signer, capturing the ETag S3 answers. */
static long curl_put(const char *key, const uint8_t *body, size_t len,
                     char *etag, size_t etag_len);

struct put_ctx {
    char *etag;
    size_t etag_len;
};

static size_t put_header(char *line, size_t size, size_t nmemb, void *user)
{
    struct put_ctx *c = user;
    size_t len = size * nmemb;

    if (c->etag != NULL && len > 6 && strncasecmp(line, "ETag:", 5) == 0) {
        const char *v = line + 5;
        size_t vl;
        while (*v == ' ')
            v++;
        vl = strcspn(v, "\r\n");
        if (vl < c->etag_len) {
            memcpy(c->etag, v, vl);
            c->etag[vl] = '\0';
        }
    }
    return len;
}

static size_t sink_write(char *d, size_t s, size_t n, void *u)
{
    (void)d;
    (void)u;
    return s * n;
}

static long curl_put(const char *key, const uint8_t *body, size_t len,
                     char *etag, size_t etag_len)
{
    CURL *c = curl_easy_init();
    struct curl_slist *h = NULL;
    char url[512];
    char hdr[128];
    char hex[AGENT_SIGV4_HEX_SIZE];
    uint8_t d[FOTA_SHA256_SIZE];
    struct put_ctx ctx = {etag, etag_len};
    long code = 0;

    assert_non_null(c);
    fota_sha256(body, len, d);
    agent_sigv4_hex(d, sizeof d, hex);
    snprintf(hdr, sizeof hdr, "x-amz-content-sha256: %s", hex);
    h = curl_slist_append(h, hdr);
    snprintf(url, sizeof url, "%s/%s/%s", s_url, BUCKET, key);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, (const char *)body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_AWS_SIGV4, "aws:amz:us-east-1:s3");
    curl_easy_setopt(c, CURLOPT_USERPWD, "S3RVER:S3RVER");
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, put_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &ctx);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink_write);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return code;
}

static int setup(void **state)
{
    (void)state;
    uint32_t x = 0x12345678u;
    char tmpl[] = "/tmp/fota-test-s3.XXXXXX";

    if (mkdtemp(tmpl) == NULL)
        return -1;
    snprintf(s_state, sizeof s_state, "%s/state", tmpl);
    if (run_script("start " BUCKET, s_url, sizeof s_url) != 0 ||
        strncmp(s_url, "http://127.0.0.1:", 17) != 0) {
        fprintf(stderr,
                "test_http_curl: could not start s3rver (%s): run 'make setup' "
                "so tools/node/node_modules/.bin/s3rver exists\n",
                s_url);
        return -1;
    }
    for (size_t i = 0; i < OBJ_SIZE; i++) {
        x = x * 1103515245u + 12345u;
        s_obj[i] = (uint8_t)(x >> 16);
    }
    if (curl_put("releases/obj.bin", s_obj, OBJ_SIZE, s_etag, sizeof s_etag) !=
        200)
        return -1;
    if (agent_http_curl_create(&s_http) != 0)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char dir[256];

    agent_http_curl_destroy(s_http);
    run_script("stop", NULL, 0);
    snprintf(dir, sizeof dir, "%s", s_state);
    *strrchr(dir, '/') = '\0';
    rmdir(dir);
    curl_global_cleanup();
    return 0;
}

static void obj_url(char *url, size_t len, const char *key)
{
    /* A failed assertion in an earlier test may have left a request open. */
    s_http->ops->close(s_http);
    snprintf(url, len, "%s/%s/%s", s_url, BUCKET, key);
}

/* Read the whole body in odd-sized pieces; returns the byte count. */
static size_t read_all(uint8_t *dst, size_t cap, size_t piece)
{
    size_t got = 0;
    int n;

    while ((n = s_http->ops->read(s_http, dst + got,
                                  cap - got < piece ? cap - got : piece)) > 0)
        got += (size_t)n;
    assert_int_equal(n, 0);
    return got;
}

static void test_get_whole_object(void **state)
{
    (void)state;
    static uint8_t body[OBJ_SIZE + 16];
    agent_http_req_t req = {.method = AGENT_HTTP_GET, .timeout_ms = 5000};
    char url[256];
    char etag[AGENT_HTTP_ETAG_MAX + 1];
    uint32_t clen = 0;
    uint32_t a, b, t;

    obj_url(url, sizeof url, "releases/obj.bin");
    req.url = url;
    assert_int_equal(s_http->ops->open(s_http, &req), 0);
    assert_int_equal(s_http->ops->status(s_http), 200);
    assert_int_equal(s_http->ops->etag(s_http, etag, sizeof etag),
                     (int)strlen(s_etag));
    assert_string_equal(etag, s_etag);
    assert_true(etag[0] == '"' && etag[strlen(etag) - 1] == '"');
    assert_int_equal(s_http->ops->etag(s_http, etag, 4), FOTA_ERR_NOMEM);
    assert_int_equal(s_http->ops->content_length(s_http, &clen), 0);
    assert_int_equal(clen, OBJ_SIZE);
    assert_int_equal(s_http->ops->content_range(s_http, &a, &b, &t),
                     FOTA_ERR_NOENT);
    /* 777-byte reads: the transfer is paused and resumed many times. */
    assert_int_equal(read_all(body, sizeof body, 777), OBJ_SIZE);
    assert_memory_equal(body, s_obj, OBJ_SIZE);
    assert_int_equal(s_http->ops->close(s_http), 0);
    assert_int_equal(s_http->ops->status(s_http), FOTA_ERR_INVAL);
}

static void test_if_none_match(void **state)
{
    (void)state;
    agent_http_req_t req = {.method = AGENT_HTTP_GET, .timeout_ms = 5000};
    char url[256];
    uint8_t b[16];

    obj_url(url, sizeof url, "releases/obj.bin");
    req.url = url;
    req.if_none_match = s_etag;
    assert_int_equal(s_http->ops->open(s_http, &req), 0);
    assert_int_equal(s_http->ops->status(s_http), 304);
    assert_int_equal(s_http->ops->read(s_http, b, sizeof b), 0);
    s_http->ops->close(s_http);

    /* Another ETag: the object comes back. */
    req.if_none_match = "\"00000000000000000000000000000000\"";
    assert_int_equal(s_http->ops->open(s_http, &req), 0);
    assert_int_equal(s_http->ops->status(s_http), 200);
    s_http->ops->close(s_http);
}

static void test_range_and_if_match(void **state)
{
    (void)state;
    agent_http_req_t req = {.method = AGENT_HTTP_GET, .timeout_ms = 5000};
    char url[256];
    uint8_t body[200];
    uint32_t a = 0, b = 0, t = 0, clen = 0;

    obj_url(url, sizeof url, "releases/obj.bin");
    req.url = url;
    req.has_range = true;
    req.range_start = 100;
    req.range_end = 199;
    req.if_match = s_etag;
    assert_int_equal(s_http->ops->open(s_http, &req), 0);
    assert_int_equal(s_http->ops->status(s_http), 206);
    assert_int_equal(s_http->ops->content_range(s_http, &a, &b, &t), 0);
    assert_int_equal(a, 100);
    assert_int_equal(b, 199);
    assert_int_equal(t, OBJ_SIZE);
    assert_int_equal(s_http->ops->content_length(s_http, &clen), 0);
    assert_int_equal(clen, 100);
    assert_int_equal(read_all(body, sizeof body, 33), 100);
    assert_memory_equal(body, s_obj + 100, 100);
    s_http->ops->close(s_http);

    /* Open-ended range: the tail of the object. */
    req.range_start = OBJ_SIZE - 10;
    req.range_end = AGENT_HTTP_RANGE_OPEN;
    assert_int_equal(s_http->ops->open(s_http, &req), 0);
    assert_int_equal(s_http->ops->status(s_http), 206);
    assert_int_equal(s_http->ops->content_range(s_http, &a, &b, &t), 0);
    assert_int_equal(a, OBJ_SIZE - 10);
    assert_int_equal(b, OBJ_SIZE - 1);
    assert_int_equal(read_all(body, sizeof body, 64), 10);
    assert_memory_equal(body, s_obj + OBJ_SIZE - 10, 10);
    s_http->ops->close(s_http);

    /* The object "changed": If-Match with another ETag. S3 answers 412.
     * s3rver 3.7.1 ignores If-Match on GET (its getObject handles only
     * If-None-Match and If-Modified-Since) and answers 206; the agent's
     * second line of defence is the ETag of every 206, which must then be
     * the current one, not the one asked for. */
    req.range_start = 0;
    req.range_end = 99;
    req.if_match = "\"0123456789abcdef0123456789abcdef\"";
    assert_int_equal(s_http->ops->open(s_http, &req), 0);
    {
        char etag[AGENT_HTTP_ETAG_MAX + 1];
        int st = s_http->ops->status(s_http);
        if (st != 412) {
            assert_int_equal(st, 206);
            assert_true(s_http->ops->etag(s_http, etag, sizeof etag) > 0);
            assert_string_equal(etag, s_etag);
            assert_string_not_equal(etag, req.if_match);
        }
    }
    s_http->ops->close(s_http);

    /* Past the end: 416, with the total size in Content-Range. */
    req.if_match = NULL;
    req.range_start = OBJ_SIZE;
    req.range_end = OBJ_SIZE + 100;
    assert_int_equal(s_http->ops->open(s_http, &req), 0);
    assert_int_equal(s_http->ops->status(s_http), 416);
    {
        int rc = s_http->ops->content_range(s_http, &a, &b, &t);
        /* s3rver may or may not send "bytes * /total" with a 416. */
        if (rc == 0)
            assert_int_equal(t, OBJ_SIZE);
        else
            assert_int_equal(rc, FOTA_ERR_NOENT);
    }
    s_http->ops->close(s_http);

    req.range_start = 10;
    req.range_end = 5;
    assert_int_equal(s_http->ops->open(s_http, &req), FOTA_ERR_INVAL);
}

static void test_missing_key_and_head(void **state)
{
    (void)state;
    agent_http_req_t req = {.method = AGENT_HTTP_GET, .timeout_ms = 5000};
    char url[256];
    char etag[AGENT_HTTP_ETAG_MAX + 1];
    uint8_t b[64];
    uint32_t clen = 0;

    obj_url(url, sizeof url, "releases/nothing-here.bin");
    req.url = url;
    assert_int_equal(s_http->ops->open(s_http, &req), 0);
    assert_int_equal(s_http->ops->status(s_http), 404);
    assert_int_equal(s_http->ops->etag(s_http, etag, sizeof etag),
                     FOTA_ERR_NOENT);
    s_http->ops->close(s_http);

    obj_url(url, sizeof url, "releases/obj.bin");
    req.method = AGENT_HTTP_HEAD;
    assert_int_equal(s_http->ops->open(s_http, &req), 0);
    assert_int_equal(s_http->ops->status(s_http), 200);
    assert_int_equal(s_http->ops->content_length(s_http, &clen), 0);
    assert_int_equal(clen, OBJ_SIZE);
    assert_true(s_http->ops->etag(s_http, etag, sizeof etag) > 0);
    assert_string_equal(etag, s_etag);
    assert_int_equal(s_http->ops->read(s_http, b, sizeof b), 0);
    s_http->ops->close(s_http);
}

/* Sequential requests share one connection; an abandoned body does not
 * break the next request. */
static void test_keep_alive_and_abandon(void **state)
{
    (void)state;
    agent_http_req_t req = {.method = AGENT_HTTP_GET, .timeout_ms = 5000};
    char url[256];
    uint8_t b[64];

    obj_url(url, sizeof url, "releases/obj.bin");
    req.url = url;
    req.has_range = true;
    req.range_start = 0;
    req.range_end = 63;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(s_http->ops->open(s_http, &req), 0);
        assert_int_equal(s_http->ops->status(s_http), 206);
        assert_int_equal(read_all(b, sizeof b, sizeof b), 64);
        s_http->ops->close(s_http);
        if (i > 0)
            assert_int_equal(agent_http_curl_new_connections(s_http), 0);
    }
    assert_int_equal(s_http->ops->open(s_http, &req), 0);
    assert_int_equal(s_http->ops->open(s_http, &req), FOTA_ERR_BUSY);
    s_http->ops->close(s_http);

    /* Abandon a full-object body after one read. */
    req.has_range = false;
    assert_int_equal(s_http->ops->open(s_http, &req), 0);
    assert_true(s_http->ops->read(s_http, b, sizeof b) > 0);
    s_http->ops->close(s_http);
    req.has_range = true;
    assert_int_equal(s_http->ops->open(s_http, &req), 0);
    assert_int_equal(s_http->ops->status(s_http), 206);
    assert_int_equal(read_all(b, sizeof b, 7), 64);
    assert_memory_equal(b, s_obj, 64);
    s_http->ops->close(s_http);
}

/* PUT through the port with headers from the core's signer, read back. */
static void test_put_signed_by_core(void **state)
{
    (void)state;
    const agent_sigv4_cred_t cred = {.access_key = "S3RVER",
                                     .secret_key = "S3RVER",
                                     .region = "us-east-1",
                                     .service = "s3"};
    static const char report[] =
        "{\"state\":\"confirmed\",\"version\":\"1.2.0\"}";
    uint8_t d[FOTA_SHA256_SIZE];
    char hex[AGENT_SIGV4_HEX_SIZE];
    agent_sigv4_signed_t sig;
    char url[256];
    char body[128];
    agent_http_hdr_t hdrs[3];
    agent_http_req_t req = {.method = AGENT_HTTP_PUT, .timeout_ms = 5000};

    char ts[AGENT_SIGV4_TIMESTAMP_SIZE];
    time_t now = time(NULL);
    struct tm tm;

    /* s3rver, like S3, refuses a request time more than 15 minutes off. */
    gmtime_r(&now, &tm);
    strftime(ts, sizeof ts, "%Y%m%dT%H%M%SZ", &tm);
    obj_url(url, sizeof url, "reports/dev%2001.json");
    fota_sha256(report, strlen(report), d);
    agent_sigv4_hex(d, sizeof d, hex);
    assert_int_equal(
        agent_sigv4_sign_url("PUT", url, NULL, 0, hex, ts, &cred, &sig), 0);
    hdrs[0] = (agent_http_hdr_t){"x-amz-date", sig.date};
    hdrs[1] = (agent_http_hdr_t){"x-amz-content-sha256", sig.content_sha256};
    hdrs[2] = (agent_http_hdr_t){"Authorization", sig.authorization};
    req.url = url;
    req.headers = hdrs;
    req.n_headers = 3;
    req.body = (const uint8_t *)report;
    req.body_len = strlen(report);
    req.content_type = "application/json";
    assert_int_equal(s_http->ops->open(s_http, &req), 0);
    assert_int_equal(s_http->ops->status(s_http), 200);
    s_http->ops->close(s_http);

    req = (agent_http_req_t){
        .method = AGENT_HTTP_GET, .url = url, .timeout_ms = 5000};
    assert_int_equal(s_http->ops->open(s_http, &req), 0);
    assert_int_equal(s_http->ops->status(s_http), 200);
    assert_int_equal(read_all((uint8_t *)body, sizeof body, 5), strlen(report));
    assert_memory_equal(body, report, strlen(report));
    s_http->ops->close(s_http);
}

/* Nothing listening: open() fails with a transport error, not a status. */
static void test_connection_refused(void **state)
{
    (void)state;
    agent_http_t *h;
    agent_http_req_t req = {.method = AGENT_HTTP_GET,
                            .timeout_ms = 2000,
                            .url = "http://127.0.0.1:1/x"};
    int rc;

    assert_int_equal(agent_http_curl_create(&h), 0);
    rc = h->ops->open(h, &req);
    assert_true(rc < 0);
    assert_int_equal(rc, AGENT_ERR_CONNECT);
    assert_int_equal(h->ops->status(h), FOTA_ERR_INVAL);
    {
        char text[CURL_ERROR_SIZE];
        h->ops->error_text(h, text, sizeof text);
        assert_non_null(strstr(text, "127.0.0.1"));
    }
    /* A name that cannot resolve (.invalid is reserved, RFC 2606). */
    req.url = "http://no-such-host.invalid/x";
    assert_int_equal(h->ops->open(h, &req), AGENT_ERR_DNS);
    agent_http_curl_destroy(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_whole_object),
        cmocka_unit_test(test_if_none_match),
        cmocka_unit_test(test_range_and_if_match),
        cmocka_unit_test(test_missing_key_and_head),
        cmocka_unit_test(test_keep_alive_and_abandon),
        cmocka_unit_test(test_put_signed_by_core),
        cmocka_unit_test(test_connection_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
