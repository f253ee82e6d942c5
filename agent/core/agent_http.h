/*
 * agent_http.h - the HTTP port: what a platform gives the agent's core to
 * talk to S3 (or any S3-compatible server).
 *
 * Same shape as the other ports in agent_port.h: a const table of function
 * pointers plus the instance as `self`; a platform embeds agent_http_t in
 * its own state and gets back to it with AGENT_CONTAINER_OF.
 *
 * One request at a time per instance, pull style:
 *
 *     agent_http_req_t req = { .method = AGENT_HTTP_GET, .url = url,
 *                              .has_range = true, .range_start = off,
 *                              .range_end = AGENT_HTTP_RANGE_OPEN,
 *                              .if_match = etag, .timeout_ms = 10000 };
 *     rc = http->ops->open(http, &req);          // sends, waits for headers
 *     if (rc == 0) status = http->ops->status(http);   // 206, 304, 412...
 *     while ((n = http->ops->read(http, buf, sizeof buf)) > 0) ...
 *     http->ops->close(http);                    // always, even after errors
 *
 * An HTTP status (404, 412, 500, ...) is not an error of open(): open()
 * fails only when no response head arrived (connection refused, timeout,
 * TLS failure). The core decides what each status means.
 *
 * Keep-alive: an implementation should reuse its connection for the next
 * open() after a body was read to the end (TLS handshakes dominate on small
 * devices); close() after a partly read body may drop the connection.
 *
 * All functions are called from the agent's task, never from an ISR, and
 * every wait is bounded by req->timeout_ms (per call, measured from the
 * call's start, i.e. a stall detector rather than a whole-transfer limit).
 * Errors are negative FOTA_ERR_* codes or the AGENT_ERR_* transport codes
 * below; platform codes without a better name (curl's CURLcode,
 * esp_err_t) travel as FOTA_ERR_PLATFORM(code).
 */
#ifndef AGENT_HTTP_H
#define AGENT_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent_port.h"

/*
 * Agent errors that say what happened on the way to S3, beside the shared
 * FOTA_ERR_* codes (agent_update_strerror() names both). A port maps its
 * transport failures to the first group; the core maps S3's answers
 * (status, <Code>, headers) to the second.
 */
enum agent_http_err {
    AGENT_ERR_CONNECT = -201,    /* connection refused or host unreachable */
    AGENT_ERR_DNS = -202,        /* host name did not resolve */
    AGENT_ERR_TLS = -203,        /* TLS handshake or certificate failed */
    AGENT_ERR_DROPPED = -204,    /* connection dropped during the response */
    AGENT_ERR_REDIRECT = -210,   /* 301/307: the bucket is in another region */
    AGENT_ERR_CLOCK_SKEW = -211, /* RequestTimeTooSkewed: device clock off */
    AGENT_ERR_NO_BUCKET = -212,  /* NoSuchBucket */
};

enum agent_http_method {
    AGENT_HTTP_GET = 0,
    AGENT_HTTP_HEAD = 1,
    AGENT_HTTP_PUT = 2,
};

/* range_end value meaning "to the end of the object" (bytes=start-). */
#define AGENT_HTTP_RANGE_OPEN UINT32_MAX

/* Longest ETag an implementation must keep (S3: 32 hex digits of MD5, or
 * MD5-of-MD5s plus "-<parts>", plus the quotes). */
#define AGENT_HTTP_ETAG_MAX 80

/* One extra request header. Both strings must outlive the open() call
 * only (implementations copy what they need). */
typedef struct agent_http_hdr {
    const char *name;  /* e.g. "Authorization", "x-amz-date" */
    const char *value; /* sent as is: no folding, no escaping */
} agent_http_hdr_t;

typedef struct agent_http_req {
    int method;      /* enum agent_http_method */
    const char *url; /* absolute http:// or https:// URL, already
                        * percent-encoded as it goes on the wire */
    bool has_range;  /* send Range: bytes=range_start-range_end */
    uint32_t range_start;
    uint32_t range_end;              /* inclusive, or AGENT_HTTP_RANGE_OPEN */
    const char *if_none_match;       /* ETag incl. quotes, or NULL */
    const char *if_match;            /* ETag incl. quotes, or NULL */
    const agent_http_hdr_t *headers; /* extra headers (SigV4 output...) */
    size_t n_headers;
    const uint8_t *body; /* PUT body (may be NULL when body_len is 0) */
    size_t body_len;
    const char *content_type; /* PUT only, or NULL */
    uint32_t timeout_ms; /* bound on each blocking call; 0 = port default */
} agent_http_req_t;

struct agent_http;

typedef struct agent_http_ops {
    /* Send req and wait until the response status line and headers have
     * arrived (the body, if any, is then read with read()). req and what it
     * points to need to stay valid only during this call.
     * Returns 0, FOTA_ERR_BUSY (a request is already open), FOTA_ERR_INVAL,
     * FOTA_ERR_TIMEOUT, FOTA_ERR_IO or a platform code. */
    int (*open)(struct agent_http *self, const agent_http_req_t *req);

    /* HTTP status of the open response (200, 206, 304, 403, 404, 412, 416,
     * 500, ...), or FOTA_ERR_INVAL when no request is open. */
    int (*status)(struct agent_http *self);

    /* Copy the response's ETag header, quotes included, NUL-terminated, into
     * buf. Returns its length (>= 0), FOTA_ERR_NOENT if the response had
     * none, FOTA_ERR_NOMEM if buf is too small. */
    int (*etag)(struct agent_http *self, char *buf, size_t len);

    /* Content-Length of the response body (bytes), FOTA_ERR_NOENT if the
     * response had none, FOTA_ERR_RANGE if it does not fit in 32 bits. */
    int (*content_length)(struct agent_http *self, uint32_t *len);

    /* The parsed "Content-Range: bytes start-end/total" of a 206 (end
     * inclusive), or of a 416 ("bytes * /total": start = end = 0).
     * Returns 0, FOTA_ERR_NOENT if absent, FOTA_ERR_PROTO if malformed. */
    int (*content_range)(struct agent_http *self, uint32_t *start,
                         uint32_t *end, uint32_t *total);

    /* Read up to len body bytes into buf. Returns the count (> 0), 0 at the
     * end of the body, FOTA_ERR_TIMEOUT when nothing arrived within the
     * request's timeout, or a platform code when the connection failed
     * mid-body (the caller resumes later with a Range request). */
    int (*read)(struct agent_http *self, uint8_t *buf, size_t len);

    /* End the request (the unread rest of the body is dropped). Safe to
     * call when nothing is open. Returns 0 or a platform code. */
    int (*close)(struct agent_http *self);

    /* Optional (may be NULL). Copy the value of response header name
     * (case-insensitive; an implementation must keep at least "Date" and
     * "x-amz-bucket-region") into buf, NUL-terminated. Returns its length,
     * FOTA_ERR_NOENT if absent or not kept, FOTA_ERR_NOMEM if buf is too
     * small. The core uses them to explain S3 errors (clock skew, region
     * redirects). */
    int (*header)(struct agent_http *self, const char *name, char *buf,
                  size_t len);

    /* Optional (may be NULL). The platform's own description of the last
     * transport failure of open() or read() (libcurl's error buffer,
     * esp_err_to_name), NUL-terminated, "" when there is none. */
    void (*error_text)(struct agent_http *self, char *buf, size_t len);
} agent_http_ops_t;

typedef struct agent_http {
    const agent_http_ops_t *ops;
} agent_http_t;

#endif /* AGENT_HTTP_H */
