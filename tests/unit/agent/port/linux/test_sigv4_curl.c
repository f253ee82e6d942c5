/*
 * test_sigv4_curl.c - the core's SigV4 signer byte for byte against an
 * independent implementation: libcurl's CURLOPT_AWS_SIGV4
 * ("aws:amz:<region>:s3"). libcurl sends each request to a loopback
 * listener in this test, which captures the request head; the core then
 * signs the same request (method, path, query, the headers libcurl listed
 * in SignedHeaders, the x-amz-date libcurl used) and the two Authorization
 * values must be identical.
 *
 * The same listener checks what the libcurl HTTP port puts on the wire
 * (Range, If-Match, If-None-Match, extra headers) and that it reports a 412
 * as a status, which s3rver cannot produce (it ignores If-Match).
 */
#define _GNU_SOURCE /* strcasestr */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "agent_http_curl.h"
#include "agent_sigv4.h"
#include "fota/fota_err.h"
#include "fota/fota_sha256.h"

#define HEAD_MAX 8192

/* ---- loopback listener: one request per run --------------------------------- */

typedef struct listener {
    int fd;
    int port;
    int status; /* status to answer */
    char head[HEAD_MAX];
    size_t head_len;
    pthread_t thread;
} listener_t;

static void *serve_one(void *arg)
{
    listener_t *l = arg;
    int c = accept(l->fd, NULL, NULL);
    size_t len = 0;
    char *end = NULL;
    long body = 0;
    char resp[256];
    int n;

    if (c < 0)
        return NULL;
    /* The head, then as many body bytes as Content-Length says. */
    while (len < sizeof l->head - 1 && end == NULL) {
        ssize_t r = recv(c, l->head + len, sizeof l->head - 1 - len, 0);
        if (r <= 0)
            break;
        len += (size_t)r;
        l->head[len] = '\0';
        end = strstr(l->head, "\r\n\r\n");
    }
    if (end != NULL) {
        const char *cl = strcasestr(l->head, "\r\nContent-Length:");
        size_t have = len - (size_t)(end + 4 - l->head);
        if (cl != NULL && cl < end)
            body = strtol(cl + 17, NULL, 10);
        l->head_len = (size_t)(end + 4 - l->head);
        l->head[l->head_len] = '\0';
        while ((long)have < body) {
            char sink[4096];
            ssize_t r = recv(c, sink, sizeof sink, 0);
            if (r <= 0)
                break;
            have += (size_t)r;
        }
    }
    n = snprintf(resp, sizeof resp,
                 "HTTP/1.1 %d X\r\nETag: \"abc\"\r\nContent-Length: 0\r\n"
                 "Connection: close\r\n\r\n",
                 l->status);
    if (send(c, resp, (size_t)n, 0) < 0)
        perror("send");
    close(c);
    return NULL;
}

static void listener_start(listener_t *l, int status)
{
    struct sockaddr_in a;
    socklen_t al = sizeof a;
    int one = 1;

    memset(l, 0, sizeof *l);
    l->status = status;
    l->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(l->fd >= 0);
    setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(l->fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(l->fd, 1), 0);
    assert_int_equal(getsockname(l->fd, (struct sockaddr *)&a, &al), 0);
    l->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&l->thread, NULL, serve_one, l), 0);
}

static void listener_join(listener_t *l)
{
    pthread_join(l->thread, NULL);
    close(l->fd);
}

/* Value of header name in the captured head (copied), or NULL. */
static const char *head_header(const listener_t *l, const char *name, char *out,
                               size_t out_len)
{
    const char *p = strstr(l->head, "\r\n");
    size_t nl = strlen(name);

    while (p != NULL && p[2] != '\r') {
        const char *line = p + 2;
        const char *eol = strstr(line, "\r\n");
        if (eol == NULL)
            break;
        if ((size_t)(eol - line) > nl && line[nl] == ':' &&
            strncasecmp(line, name, nl) == 0) {
            const char *v = line + nl + 1;
            size_t vl;
            while (*v == ' ')
                v++;
            vl = (size_t)(eol - v);
            if (vl >= out_len)
                return NULL;
            memcpy(out, v, vl);
            out[vl] = '\0';
            return out;
        }
        p = eol;
    }
    return NULL;
}

/* ---- libcurl signs, the core re-signs ---------------------------------- */

static const agent_sigv4_cred_t s_cred = {
    .access_key = "AKIDEXAMPLE",
    .secret_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    .region = "eu-west-1",
    .service = "s3",
};

typedef struct curl_case {
    const char *method;     /* GET, HEAD, PUT */
    const char *target;     /* path[?query] as sent */
    const char *headers[4]; /* extra "Name: value" lines, NULL-terminated */
    const char *body;       /* PUT body or NULL */
} curl_case_t;

static size_t discard(char *d, size_t s, size_t n, void *u)
{
    (void)d;
    (void)u;
    return s * n;
}

static void check_case(const curl_case_t *cc)
{
    listener_t l;
    CURL *c = curl_easy_init();
    struct curl_slist *h = NULL;
    char url[512];
    char hash_hdr[128];
    char hex[AGENT_SIGV4_HEX_SIZE];
    uint8_t d[FOTA_SHA256_SIZE];
    char curl_auth[AGENT_SIGV4_AUTH_SIZE];
    char host[128];
    char date[64];
    char payload[80];
    char ours[AGENT_SIGV4_AUTH_SIZE];
    char method[16];
    char target[512];
    char values[AGENT_SIGV4_MAX_HEADERS][256];
    char names[AGENT_SIGV4_MAX_HEADERS][64];
    agent_sigv4_hdr_t extra[AGENT_SIGV4_MAX_HEADERS];
    size_t n_extra = 0;
    const char *sh;
    char *query;
    agent_sigv4_req_t req;

    listener_start(&l, 200);
    assert_non_null(c);
    fota_sha256(cc->body != NULL ? cc->body : "",
                cc->body != NULL ? strlen(cc->body) : 0, d);
    agent_sigv4_hex(d, sizeof d, hex);
    /* S3 (and s3rver) require it; libcurl 7.88 does not add it itself. */
    snprintf(hash_hdr, sizeof hash_hdr, "x-amz-content-sha256: %s", hex);
    h = curl_slist_append(h, hash_hdr);
    for (size_t i = 0; i < 4 && cc->headers[i] != NULL; i++)
        h = curl_slist_append(h, cc->headers[i]);
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", l.port, cc->target);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_AWS_SIGV4, "aws:amz:eu-west-1:s3");
    curl_easy_setopt(c, CURLOPT_USERPWD,
                     "AKIDEXAMPLE:wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    if (strcmp(cc->method, "HEAD") == 0) {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (strcmp(cc->method, "PUT") == 0) {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, cc->body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t)strlen(cc->body));
    }
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    listener_join(&l);

    /* What libcurl sent. */
    assert_int_equal(sscanf(l.head, "%15s %511s", method, target), 2);
    assert_string_equal(method, cc->method);
    assert_non_null(
        head_header(&l, "Authorization", curl_auth, sizeof curl_auth));
    assert_non_null(head_header(&l, "Host", host, sizeof host));
    assert_non_null(head_header(&l, "x-amz-date", date, sizeof date));
    assert_non_null(
        head_header(&l, "x-amz-content-sha256", payload, sizeof payload));
    assert_string_equal(payload, hex);

    /* The headers libcurl signed, other than the three the core adds. */
    sh = strstr(curl_auth, "SignedHeaders=");
    assert_non_null(sh);
    sh += strlen("SignedHeaders=");
    while (*sh != '\0' && *sh != ',') {
        size_t nl = strcspn(sh, ";,");
        assert_true(nl < sizeof names[0]);
        memcpy(names[n_extra], sh, nl);
        names[n_extra][nl] = '\0';
        sh += nl;
        if (*sh == ';')
            sh++;
        if (strcmp(names[n_extra], "host") == 0 ||
            strcmp(names[n_extra], "x-amz-date") == 0 ||
            strcmp(names[n_extra], "x-amz-content-sha256") == 0)
            continue;
        assert_non_null(
            head_header(&l, names[n_extra], values[n_extra], sizeof values[0]));
        extra[n_extra].name = names[n_extra];
        extra[n_extra].value = values[n_extra];
        n_extra++;
    }

    query = strchr(target, '?');
    if (query != NULL)
        *query++ = '\0';
    req = (agent_sigv4_req_t){
        .method = method,
        .host = host,
        .path = target,
        .query = query,
        .headers = extra,
        .n_headers = n_extra,
        .payload_hash = payload,
        .timestamp = date,
    };
    assert_true(
        agent_sigv4_authorization(&req, &s_cred, ours, sizeof ours, NULL) > 0);
    if (strcmp(ours, curl_auth) != 0)
        fail_msg("%s %s%s%s\n  libcurl: %s\n  core:    %s", method, target,
                 query ? "?" : "", query ? query : "", curl_auth, ours);
}

static void test_curl_get(void **state)
{
    (void)state;
    const curl_case_t c = {"GET", "/fota/releases/manifest.json", {NULL}, NULL};
    check_case(&c);
}

static void test_curl_get_conditional_range(void **state)
{
    (void)state;
    const curl_case_t c = {"GET",
                           "/fota/releases/1.2.0/slot-a.img",
                           {"Range: bytes=4096-8191",
                            "If-Match: \"9b2cf535f27731c974343645a3985328\"",
                            NULL},
                           NULL};
    const curl_case_t c2 = {
        "GET",
        "/fota/manifest.json",
        {"If-None-Match: \"0cc175b9c0f1b6a831c399e269772661\"", NULL},
        NULL};
    check_case(&c);
    check_case(&c2);
}

static void test_curl_put(void **state)
{
    (void)state;
    const curl_case_t c = {"PUT",
                           "/fota/reports/dev-0001.json",
                           {"Content-Type: application/json", NULL},
                           "{\"state\":\"rolled_back\",\"version\":\"1.2.0\"}"};
    check_case(&c);
}

static void test_curl_head(void **state)
{
    (void)state;
    const curl_case_t c = {
        "HEAD", "/fota/releases/1.1.0/slot-b.img", {NULL}, NULL};
    check_case(&c);
}

static void test_curl_query(void **state)
{
    (void)state;
    /* Given sorted and already encoded, as a client would send it. */
    const curl_case_t c = {"GET",
                           "/fota?list-type=2&max-keys=10&prefix=releases%2F",
                           {NULL},
                           NULL};
    check_case(&c);
}

static void test_curl_encoded_key(void **state)
{
    (void)state;
    const curl_case_t c = {
        "GET", "/fota/releases/1.2.0%2B45/slot%20a.img", {NULL}, NULL};
    check_case(&c);
}

/* ---- what the HTTP port sends -------------------------------------------- */

static void test_port_wire_and_412(void **state)
{
    (void)state;
    listener_t l;
    agent_http_t *http;
    char url[128];
    char v[128];
    const agent_http_hdr_t extra[] = {{"x-amz-date", "20260101T000000Z"}};
    agent_http_req_t req = {
        .method = AGENT_HTTP_GET,
        .has_range = true,
        .range_start = 512,
        .range_end = AGENT_HTTP_RANGE_OPEN,
        .if_match = "\"abc\"",
        .if_none_match = "\"def\"",
        .headers = extra,
        .n_headers = 1,
        .timeout_ms = 5000,
    };
    uint8_t b[8];

    listener_start(&l, 412);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/fota/x.img", l.port);
    req.url = url;
    assert_int_equal(agent_http_curl_create(&http), 0);
    assert_int_equal(http->ops->open(http, &req), 0);
    assert_int_equal(http->ops->status(http), 412);
    assert_int_equal(http->ops->read(http, b, sizeof b), 0);
    assert_int_equal(http->ops->etag(http, (char *)v, sizeof v), 5);
    assert_string_equal(v, "\"abc\"");
    http->ops->close(http);
    agent_http_curl_destroy(http);
    listener_join(&l);

    assert_non_null(strstr(l.head, "GET /fota/x.img HTTP/1.1\r\n"));
    assert_string_equal(head_header(&l, "Range", v, sizeof v), "bytes=512-");
    assert_string_equal(head_header(&l, "If-Match", v, sizeof v), "\"abc\"");
    assert_string_equal(head_header(&l, "If-None-Match", v, sizeof v),
                        "\"def\"");
    assert_string_equal(head_header(&l, "x-amz-date", v, sizeof v),
                        "20260101T000000Z");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_curl_get),
        cmocka_unit_test(test_curl_get_conditional_range),
        cmocka_unit_test(test_curl_put),
        cmocka_unit_test(test_curl_head),
        cmocka_unit_test(test_curl_query),
        cmocka_unit_test(test_curl_encoded_key),
        cmocka_unit_test(test_port_wire_and_412),
    };
    int rc;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
