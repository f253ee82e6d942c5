/*
 * agent_http_curl.c - agent HTTP port on libcurl's multi interface.
 *
 * Why the multi interface: the core pulls the body with read(), libcurl
 * pushes it through a write callback. With curl_easy_perform the whole
 * body would arrive in one call; with the multi interface each read() runs
 * curl_multi_perform()/curl_multi_poll() only until some bytes are
 * buffered, and the write callback pauses the transfer when the buffer is
 * full (libcurl keeps the refused chunk and hands it over again after
 * curl_easy_pause(CURLPAUSE_CONT)). The buffer holds two maximum-size
 * chunks, so after read() has drained half of it the pending chunk fits.
 */
#define _POSIX_C_SOURCE 200809L

#include "agent_http_curl.h"
#include "agent_http_parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "fota/fota_err.h"

#define BUF_SIZE (2 * CURL_MAX_WRITE_SIZE)
#define DEFAULT_TIMEOUT_MS 30000u
#define POLL_SLICE_MS 100

typedef struct http_curl {
    agent_http_t base;
    CURLM *multi;
    CURL *easy;
    struct curl_slist *hdrs;
    bool open;      /* a request is open (open() succeeded, no close()) */
    bool added;     /* easy handle is in the multi handle */
    bool done;      /* transfer finished (result holds how) */
    bool head_done; /* final (non-1xx) response head received */
    bool paused;    /* write callback refused a chunk */
    CURLcode result;
    long status;
    long new_conns;
    uint32_t timeout_ms;
    agent_http_hdrs_t resp; /* captured response headers */
    /* libcurl's description of the last failure (CURLOPT_ERRORBUFFER) */
    char errbuf[CURL_ERROR_SIZE];
    /* PUT body */
    const uint8_t *up;
    size_t up_len, up_off;
    /* body buffer: bytes [rd, wr) are unread */
    size_t rd, wr;
    uint8_t buf[BUF_SIZE];
} http_curl_t;

static http_curl_t *self_of(agent_http_t *h)
{
    return AGENT_CONTAINER_OF(h, http_curl_t, base);
}

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* libcurl's result as an agent error: the failures a user can act on get
 * their own code (agent_http.h), the rest travel as platform codes. */
static int map_curl(CURLcode c)
{
    switch (c) {
    case CURLE_OK:
        return 0;
    case CURLE_OPERATION_TIMEDOUT:
        return FOTA_ERR_TIMEOUT;
    case CURLE_OUT_OF_MEMORY:
        return FOTA_ERR_NOMEM;
    case CURLE_COULDNT_CONNECT:
        return AGENT_ERR_CONNECT;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        return AGENT_ERR_DNS;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_USE_SSL_FAILED:
        return AGENT_ERR_TLS;
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
        return AGENT_ERR_DROPPED;
    default:
        return FOTA_ERR_PLATFORM((int)c);
    }
}

/* ---- response headers (agent_http_parse.c does the parsing) ------------- */

static void reset_response(http_curl_t *s)
{
    s->status = 0;
    agent_http_hdrs_reset(&s->resp);
    s->head_done = false;
}

static size_t on_header(char *line, size_t size, size_t nmemb, void *user)
{
    http_curl_t *s = user;
    size_t len = size * nmemb;

    if (agent_http_parse_status_line(line, len) > 0) {
        /* A new response head (after a 100 Continue, the final one). */
        reset_response(s);
        return len;
    }
    if (len <= 2 && (line[0] == '\r' || line[0] == '\n')) {
        long code = 0;
        curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &code);
        if (code >= 200) {
            s->status = code;
            s->head_done = true;
        }
        return len;
    }
    agent_http_hdrs_feed_line(&s->resp, line, len);
    return len;
}

static size_t on_write(char *data, size_t size, size_t nmemb, void *user)
{
    http_curl_t *s = user;
    size_t len = size * nmemb;

    if (s->rd > 0) {
        memmove(s->buf, s->buf + s->rd, s->wr - s->rd);
        s->wr -= s->rd;
        s->rd = 0;
    }
    if (len > sizeof s->buf - s->wr) {
        s->paused = true;
        return CURL_WRITEFUNC_PAUSE;
    }
    memcpy(s->buf + s->wr, data, len);
    s->wr += len;
    return len;
}

static size_t on_read(char *dst, size_t size, size_t nmemb, void *user)
{
    http_curl_t *s = user;
    size_t n = size * nmemb;

    if (n > s->up_len - s->up_off)
        n = s->up_len - s->up_off;
    if (n > 0)
        memcpy(dst, s->up + s->up_off, n);
    s->up_off += n;
    return n;
}

/* Run libcurl until something happened or deadline_ms passed. */
static int pump(http_curl_t *s, uint64_t deadline_ms)
{
    int running = 0;
    int queued = 0;
    CURLMsg *msg;
    CURLMcode mc;
    uint64_t now;

    mc = curl_multi_perform(s->multi, &running);
    if (mc != CURLM_OK)
        return FOTA_ERR_PLATFORM(1000 + (int)mc);
    while ((msg = curl_multi_info_read(s->multi, &queued)) != NULL) {
        if (msg->msg == CURLMSG_DONE && msg->easy_handle == s->easy) {
            s->done = true;
            s->result = msg->data.result;
            curl_easy_getinfo(s->easy, CURLINFO_NUM_CONNECTS, &s->new_conns);
        }
    }
    if (s->done || s->head_done || s->wr > s->rd)
        return 0;
    now = now_ms();
    if (now >= deadline_ms)
        return FOTA_ERR_TIMEOUT;
    {
        uint64_t left = deadline_ms - now;
        int wait = left < POLL_SLICE_MS ? (int)left : POLL_SLICE_MS;
        mc = curl_multi_poll(s->multi, NULL, 0, wait, NULL);
        if (mc != CURLM_OK)
            return FOTA_ERR_PLATFORM(1000 + (int)mc);
    }
    return 0;
}

static void drop_transfer(http_curl_t *s)
{
    if (s->added) {
        if (!s->done)
            curl_easy_getinfo(s->easy, CURLINFO_NUM_CONNECTS, &s->new_conns);
        curl_multi_remove_handle(s->multi, s->easy);
        s->added = false;
    }
    curl_slist_free_all(s->hdrs);
    s->hdrs = NULL;
    s->open = false;
    s->done = false;
    s->paused = false;
    s->rd = s->wr = 0;
    s->up = NULL;
    s->up_len = s->up_off = 0;
}

static int add_header(http_curl_t *s, const char *name, const char *value)
{
    char line[2048];
    struct curl_slist *n;
    int len = snprintf(line, sizeof line, "%s: %s", name, value);

    if (len < 0 || (size_t)len >= sizeof line || strpbrk(line, "\r\n") != NULL)
        return FOTA_ERR_INVAL;
    n = curl_slist_append(s->hdrs, line);
    if (n == NULL)
        return FOTA_ERR_NOMEM;
    s->hdrs = n;
    return 0;
}

static int build_headers(http_curl_t *s, const agent_http_req_t *req)
{
    char range[48];
    int rc = 0;

    if (req->has_range) {
        if (req->range_end == AGENT_HTTP_RANGE_OPEN)
            snprintf(range, sizeof range, "bytes=%lu-",
                     (unsigned long)req->range_start);
        else if (req->range_end < req->range_start)
            return FOTA_ERR_INVAL;
        else
            snprintf(range, sizeof range, "bytes=%lu-%lu",
                     (unsigned long)req->range_start,
                     (unsigned long)req->range_end);
        rc = add_header(s, "Range", range);
    }
    if (rc == 0 && req->if_none_match != NULL)
        rc = add_header(s, "If-None-Match", req->if_none_match);
    if (rc == 0 && req->if_match != NULL)
        rc = add_header(s, "If-Match", req->if_match);
    if (rc == 0 && req->method == AGENT_HTTP_PUT) {
        /* No "Expect: 100-continue" round trip; S3 answers errors to the
         * full request anyway. */
        rc = add_header(s, "Expect", "");
        if (rc == 0 && req->content_type != NULL)
            rc = add_header(s, "Content-Type", req->content_type);
    }
    for (size_t i = 0; rc == 0 && i < req->n_headers; i++) {
        if (req->headers[i].name == NULL || req->headers[i].value == NULL)
            return FOTA_ERR_INVAL;
        rc = add_header(s, req->headers[i].name, req->headers[i].value);
    }
    return rc;
}

static int op_open(agent_http_t *h, const agent_http_req_t *req)
{
    http_curl_t *s = self_of(h);
    uint64_t deadline;
    int rc;

    if (s->open)
        return FOTA_ERR_BUSY;
    if (req == NULL || req->url == NULL ||
        (req->n_headers > 0 && req->headers == NULL) ||
        (req->body_len > 0 && req->body == NULL))
        return FOTA_ERR_INVAL;

    /* curl_easy_reset() clears options only; the connection pool lives in
     * the multi handle, so keep-alive survives. */
    curl_easy_reset(s->easy);
    reset_response(s);
    s->result = CURLE_OK;
    s->new_conns = 0;
    s->errbuf[0] = '\0';
    s->timeout_ms = req->timeout_ms != 0 ? req->timeout_ms : DEFAULT_TIMEOUT_MS;
    rc = build_headers(s, req);
    if (rc < 0)
        goto fail;

    curl_easy_setopt(s->easy, CURLOPT_URL, req->url);
    curl_easy_setopt(s->easy, CURLOPT_ERRORBUFFER, s->errbuf);
    curl_easy_setopt(s->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(s->easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(s->easy, CURLOPT_CONNECTTIMEOUT_MS, (long)s->timeout_ms);
    curl_easy_setopt(s->easy, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(s->easy, CURLOPT_HEADERDATA, s);
    curl_easy_setopt(s->easy, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(s->easy, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, s->hdrs);
    switch (req->method) {
    case AGENT_HTTP_GET:
        curl_easy_setopt(s->easy, CURLOPT_HTTPGET, 1L);
        break;
    case AGENT_HTTP_HEAD:
        curl_easy_setopt(s->easy, CURLOPT_NOBODY, 1L);
        break;
    case AGENT_HTTP_PUT:
        s->up = req->body;
        s->up_len = req->body_len;
        s->up_off = 0;
        curl_easy_setopt(s->easy, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(s->easy, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(s->easy, CURLOPT_READDATA, s);
        curl_easy_setopt(s->easy, CURLOPT_INFILESIZE_LARGE,
                         (curl_off_t)req->body_len);
        break;
    default:
        rc = FOTA_ERR_INVAL;
        goto fail;
    }

    if (curl_multi_add_handle(s->multi, s->easy) != CURLM_OK) {
        rc = FOTA_ERR_IO;
        goto fail;
    }
    s->added = true;
    s->open = true;

    deadline = now_ms() + s->timeout_ms;
    while (!s->head_done && !s->done) {
        rc = pump(s, deadline);
        if (rc < 0)
            goto fail;
    }
    if (!s->head_done) {
        /* Finished without a response head: connection refused, reset... */
        rc = s->result != CURLE_OK ? map_curl(s->result) : FOTA_ERR_PROTO;
        goto fail;
    }
    return 0;

fail:
    drop_transfer(s);
    return rc;
}

static int op_status(agent_http_t *h)
{
    http_curl_t *s = self_of(h);

    return s->open ? (int)s->status : FOTA_ERR_INVAL;
}

static int op_etag(agent_http_t *h, char *buf, size_t len)
{
    http_curl_t *s = self_of(h);

    if (!s->open)
        return FOTA_ERR_INVAL;
    return agent_http_hdrs_etag(&s->resp, buf, len);
}

static int op_content_length(agent_http_t *h, uint32_t *len)
{
    http_curl_t *s = self_of(h);

    if (!s->open)
        return FOTA_ERR_INVAL;
    return agent_http_hdrs_content_length(&s->resp, len);
}

static int op_content_range(agent_http_t *h, uint32_t *start, uint32_t *end,
                            uint32_t *total)
{
    http_curl_t *s = self_of(h);

    if (!s->open)
        return FOTA_ERR_INVAL;
    return agent_http_hdrs_content_range(&s->resp, start, end, total);
}

static int op_read(agent_http_t *h, uint8_t *buf, size_t len)
{
    http_curl_t *s = self_of(h);
    uint64_t deadline;
    int rc;

    if (!s->open || (buf == NULL && len > 0))
        return FOTA_ERR_INVAL;
    if (len == 0)
        return 0;
    deadline = now_ms() + s->timeout_ms;
    for (;;) {
        if (s->wr > s->rd) {
            size_t n = s->wr - s->rd;
            if (n > len)
                n = len;
            if (n > INT32_MAX)
                n = INT32_MAX;
            memcpy(buf, s->buf + s->rd, n);
            s->rd += n;
            if (s->rd == s->wr)
                s->rd = s->wr = 0;
            /* Room for a whole chunk again: let libcurl hand it over. */
            if (s->paused &&
                sizeof s->buf - (s->wr - s->rd) >= CURL_MAX_WRITE_SIZE) {
                s->paused = false;
                curl_easy_pause(s->easy, CURLPAUSE_CONT);
            }
            return (int)n;
        }
        if (s->paused) {
            s->paused = false;
            curl_easy_pause(s->easy, CURLPAUSE_CONT);
            continue;
        }
        if (s->done)
            return map_curl(s->result);
        rc = pump(s, deadline);
        if (rc < 0)
            return rc;
    }
}

static int op_header(agent_http_t *h, const char *name, char *buf, size_t len)
{
    http_curl_t *s = self_of(h);

    if (!s->open)
        return FOTA_ERR_INVAL;
    return agent_http_hdrs_header(&s->resp, name, buf, len);
}

static void op_error_text(agent_http_t *h, char *buf, size_t len)
{
    http_curl_t *s = self_of(h);

    if (buf == NULL || len == 0)
        return;
    snprintf(buf, len, "%s", s->errbuf);
}

static int op_close(agent_http_t *h)
{
    drop_transfer(self_of(h));
    return 0;
}

static const agent_http_ops_t s_ops = {
    .open = op_open,
    .status = op_status,
    .etag = op_etag,
    .content_length = op_content_length,
    .content_range = op_content_range,
    .read = op_read,
    .close = op_close,
    .header = op_header,
    .error_text = op_error_text,
};

int agent_http_curl_create(agent_http_t **out)
{
    http_curl_t *s;
    CURLcode gc;

    if (out == NULL)
        return FOTA_ERR_INVAL;
    *out = NULL;
    /* Idempotent and reference-counted inside libcurl. */
    gc = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (gc != CURLE_OK)
        return map_curl(gc);
    s = calloc(1, sizeof *s);
    if (s == NULL)
        return FOTA_ERR_NOMEM;
    s->base.ops = &s_ops;
    s->multi = curl_multi_init();
    s->easy = curl_easy_init();
    if (s->multi == NULL || s->easy == NULL) {
        agent_http_curl_destroy(&s->base);
        return FOTA_ERR_NOMEM;
    }
    *out = &s->base;
    return 0;
}

void agent_http_curl_destroy(agent_http_t *http)
{
    http_curl_t *s;

    if (http == NULL)
        return;
    s = self_of(http);
    drop_transfer(s);
    if (s->easy != NULL)
        curl_easy_cleanup(s->easy);
    if (s->multi != NULL)
        curl_multi_cleanup(s->multi);
    free(s);
}

long agent_http_curl_new_connections(agent_http_t *http)
{
    return http != NULL ? self_of(http)->new_conns : -1;
}
