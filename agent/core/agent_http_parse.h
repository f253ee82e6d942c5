/*
 * agent_http_parse.h - the response-header handling every HTTP port shares
 * (libcurl on Linux, esp_http_client on the ESP32): splitting a raw header
 * line, recognising the headers the core asks for (ETag, Content-Length,
 * Content-Range) and answering the agent_http.h queries from them.
 *
 * Pure and freestanding (byte loops only: no libc call, no heap): the
 * same code runs in the host tests, on the ESP32 and in the
 * Cortex-M4 build. A port feeds every response header of the final
 * response head into one agent_http_hdrs_t and forwards etag() /
 * content_length() / content_range() to the functions below, so both
 * ports answer those queries identically.
 */
#ifndef AGENT_HTTP_PARSE_H
#define AGENT_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent_http.h"

/* Longest Date / x-amz-bucket-region value kept. */
#define AGENT_HTTP_KEPT_MAX 63

/* The captured response headers of one response. */
typedef struct agent_http_hdrs {
    char etag[AGENT_HTTP_ETAG_MAX + 1];
    bool has_etag;
    bool etag_too_long; /* present, longer than AGENT_HTTP_ETAG_MAX */
    bool has_length;
    int length_err; /* 0, FOTA_ERR_RANGE (> 32 bits), FOTA_ERR_PROTO */
    uint32_t length;
    bool has_range;
    bool range_bad;
    uint32_t range_start, range_end, range_total;
    /* kept for explaining S3 errors (agent_http_ops_t.header); empty when
     * absent or longer than the field */
    char date[AGENT_HTTP_KEPT_MAX + 1];
    char region[AGENT_HTTP_KEPT_MAX + 1];
} agent_http_hdrs_t;

/* Forget every captured header (a new response head begins). */
void agent_http_hdrs_reset(agent_http_hdrs_t *h);

/* One response header: name and value of the given lengths (neither needs
 * a terminator; the value is taken as is apart from leading and trailing
 * blanks). Unknown names are ignored; a repeated header replaces the
 * earlier one. */
void agent_http_hdrs_feed(agent_http_hdrs_t *h, const char *name,
                          size_t name_len, const char *value, size_t value_len);

/* A raw header line as libcurl hands it over ("Name: value\r\n"): feeds
 * it when it is a header line. Returns true if it was one, false for a
 * status line, the blank line ending the head, or a line without ':'. */
bool agent_http_hdrs_feed_line(agent_http_hdrs_t *h, const char *line,
                               size_t len);

/* The agent_http.h queries, answered from h (same return values as the
 * ops of that contract). */
int agent_http_hdrs_etag(const agent_http_hdrs_t *h, char *buf, size_t len);
int agent_http_hdrs_content_length(const agent_http_hdrs_t *h, uint32_t *len);
int agent_http_hdrs_content_range(const agent_http_hdrs_t *h, uint32_t *start,
                                  uint32_t *end, uint32_t *total);

/* The agent_http_ops_t.header query: the value of "Date" or
 * "x-amz-bucket-region" (names case-insensitive) into buf. Returns its
 * length, FOTA_ERR_NOENT (absent, or another name), FOTA_ERR_NOMEM (buf
 * too small). */
int agent_http_hdrs_header(const agent_http_hdrs_t *h, const char *name,
                           char *buf, size_t len);

/* "bytes a-b/total" (206: a <= b < total) or "bytes * /total" (416,
 * written without the blank: start = end = 0). Returns 0 or
 * FOTA_ERR_PROTO; outputs are written only on success. */
int agent_http_parse_content_range(const char *v, size_t n, uint32_t *start,
                                   uint32_t *end, uint32_t *total);

/* A decimal Content-Length. Returns 0, FOTA_ERR_RANGE when it does not fit
 * 32 bits, FOTA_ERR_PROTO when it is not a plain run of digits. */
int agent_http_parse_content_length(const char *v, size_t n, uint32_t *len);

/* "HTTP/1.1 206 Partial Content" (any HTTP/x[.y]): the status code
 * (100..599), or FOTA_ERR_PROTO when the line is no status line. */
int agent_http_parse_status_line(const char *line, size_t len);

#endif /* AGENT_HTTP_PARSE_H */
