/*
 * agent_sigv4.h - AWS Signature Version 4 for S3, in the portable core.
 *
 * The ESP32 has no libcurl, so the agent signs its own requests. No heap:
 * the canonical request is never stored, it is streamed into SHA-256 as it
 * is produced; results go into caller buffers.
 *
 * S3 rules implemented (Amazon S3 API reference, "Authenticating Requests
 * (AWS Signature Version 4)"):
 *  - canonical URI: each path segment percent-encoded once (S3 does NOT
 *    double-encode, unlike the other AWS services); '/' kept; unreserved
 *    characters A-Z a-z 0-9 - _ . ~ kept, every other byte as %XX (upper-
 *    case hex);
 *  - canonical query: each name and value encoded the same way ('/' too),
 *    a parameter without '=' gets an empty value ("lifecycle" ->
 *    "lifecycle="), sorted by encoded name then value, joined with '&';
 *  - canonical headers: lower-case names, values trimmed with inner runs of
 *    spaces collapsed to one, sorted by name; signed headers = the names
 *    joined with ';';
 *  - payload hash: lower-case hex SHA-256 of the body, or UNSIGNED-PAYLOAD;
 *  - string to sign, signing key chain and signature as documented.
 *
 * Paths and queries are taken as they appear on the wire: a '%XX' already
 * present is decoded first and re-encoded, so "test$file.text" and
 * "test%24file.text" both canonicalise to "/test%24file.text" (nothing is
 * encoded twice). A literal '%' in a key must therefore be sent as %25.
 * '+' is a literal plus (S3 does not use form encoding).
 *
 * Any context; no global state. Timestamps are supplied by the caller
 * (YYYYMMDDTHHMMSSZ, UTC; the device gets UTC from SNTP and S3 refuses a
 * clock more than 15 minutes off).
 */
#ifndef AGENT_SIGV4_H
#define AGENT_SIGV4_H

#include <stddef.h>
#include <stdint.h>

#include "fota/fota_sha256.h"

/* Limits of one request (fixed so nothing needs the heap). */
#define AGENT_SIGV4_MAX_HEADERS 16 /* caller headers + the 3-4 automatic */
#define AGENT_SIGV4_MAX_QUERY 16   /* query parameters */

/* Sizes of the fixed-format strings, NUL included. */
#define AGENT_SIGV4_TIMESTAMP_SIZE 17 /* "20130524T000000Z" */
#define AGENT_SIGV4_HEX_SIZE 65       /* 64 hex digits of a SHA-256 */
/* A comfortable size for the Authorization value of an S3 request. */
#define AGENT_SIGV4_AUTH_SIZE 512

/* Payload hash of a GET/HEAD (SHA-256 of the empty string). */
#define AGENT_SIGV4_EMPTY_SHA256                                               \
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define AGENT_SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"

typedef struct agent_sigv4_hdr {
    const char *name;  /* any case; compared and signed lower-case */
    const char *value; /* as sent; trimmed/collapsed for signing */
} agent_sigv4_hdr_t;

/* Who signs: the credential scope is <date>/<region>/<service>/aws4_request. */
typedef struct agent_sigv4_cred {
    const char *access_key; /* AKIA... */
    const char *secret_key;
    const char *session_token; /* STS token or NULL; when set it is signed
                                * as x-amz-security-token (send it too) */
    const char *region;        /* "us-east-1" */
    const char *service;       /* "s3" */
} agent_sigv4_cred_t;

/* What is signed. */
typedef struct agent_sigv4_req {
    const char *method; /* "GET", "HEAD", "PUT" */
    const char *host;   /* Host header value: "bucket.s3.amazonaws.com"
                               * or "127.0.0.1:4569" (port included when the
                               * URL has one) */
    const char *path;   /* wire path starting with '/', no query */
    const char *query;  /* wire query without '?', or NULL/"" */
    const agent_sigv4_hdr_t *headers; /* other headers to sign (Range,
                               * Date, x-amz-storage-class...), or NULL */
    size_t n_headers;
    const char *payload_hash; /* 64 lower-case hex digits or
                               * AGENT_SIGV4_UNSIGNED_PAYLOAD */
    const char *timestamp;    /* "YYYYMMDDTHHMMSSZ" (UTC) */
} agent_sigv4_req_t;

/*
 * Compute the Authorization header value for req:
 *   "AWS4-HMAC-SHA256 Credential=<ak>/<scope>, SignedHeaders=<list>,
 *    Signature=<hex>"
 * The signed header set is host, x-amz-content-sha256 (= payload_hash),
 * x-amz-date (= timestamp), x-amz-security-token (if cred has one) plus
 * req->headers; the caller must send exactly those headers and values.
 * req->headers must not repeat a name (nor name one of the automatic ones).
 *
 * out/out_len: the Authorization value, NUL-terminated.
 * creq_hash_hex: if not NULL, receives the hex SHA-256 of the canonical
 *   request (AGENT_SIGV4_HEX_SIZE bytes), the last line of the string to
 *   sign, for diagnostics and tests.
 * Returns the length of the value, FOTA_ERR_INVAL (bad timestamp, payload
 * hash, method, path, duplicate header, too many headers or parameters) or
 * FOTA_ERR_NOMEM (out too small).
 */
int agent_sigv4_authorization(const agent_sigv4_req_t *req,
                              const agent_sigv4_cred_t *cred, char *out,
                              size_t out_len, char *creq_hash_hex);

/*
 * Presigned URL query string (query-string authentication): returns in out
 *   "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=...&X-Amz-Date=...
 *    &X-Amz-Expires=<s>[&X-Amz-Security-Token=...]&X-Amz-SignedHeaders=host
 *    &X-Amz-Signature=<hex>"
 * to append to the URL after '?' (or after '&' when req->query is not
 * empty: req->query is signed too and must be kept in the URL). Only host
 * (plus req->headers) is signed and the payload is UNSIGNED-PAYLOAD, so any
 * client can use the URL; req->payload_hash is ignored. expires_s is 1 ..
 * 604800 (7 days). Returns the length, FOTA_ERR_INVAL or FOTA_ERR_NOMEM.
 */
int agent_sigv4_presign(const agent_sigv4_req_t *req,
                        const agent_sigv4_cred_t *cred, uint32_t expires_s,
                        char *out, size_t out_len);

/* The headers a signed S3 request carries besides Host. */
typedef struct agent_sigv4_signed {
    char date[AGENT_SIGV4_TIMESTAMP_SIZE];         /* x-amz-date */
    char content_sha256[AGENT_SIGV4_HEX_SIZE + 2]; /* x-amz-content-sha256 */
    char authorization[AGENT_SIGV4_AUTH_SIZE];     /* Authorization */
} agent_sigv4_signed_t;

/*
 * Convenience for the agent: split an absolute URL
 * ("http[s]://host[:port]/path[?query]") and sign it. payload_hash NULL
 * means the empty body. The default port of the scheme (80, 443) is left
 * out of the signed Host, as HTTP clients leave it out of the header.
 * Returns 0, FOTA_ERR_INVAL or FOTA_ERR_NOMEM.
 */
int agent_sigv4_sign_url(const char *method, const char *url,
                         const agent_sigv4_hdr_t *headers, size_t n_headers,
                         const char *payload_hash, const char *timestamp,
                         const agent_sigv4_cred_t *cred,
                         agent_sigv4_signed_t *out);

/*
 * Percent-encode src (len bytes) the S3 way into out: unreserved characters
 * kept, '/' kept when keep_slash (object keys in paths), everything else
 * %XX. For building URLs from object keys. Returns the length written (NUL
 * added) or FOTA_ERR_NOMEM.
 */
int agent_sigv4_uri_encode(const char *src, size_t len, int keep_slash,
                           char *out, size_t out_len);

/* Lower-case hex of n bytes into out (2n + 1 bytes, NUL-terminated). */
void agent_sigv4_hex(const uint8_t *bytes, size_t n, char *out);

#endif /* AGENT_SIGV4_H */
