/*
 * agent_http_parse.c - response-header parsing shared by the HTTP ports
 * (see agent_http_parse.h). Header names are case-insensitive
 * (RFC 9110 5.1); Content-Range follows RFC 9110 14.4.
 */
#include "agent_http_parse.h"

#include "fota/fota_err.h"

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Case-insensitive equality of [s, s+n) and the NUL-terminated want. */
static bool name_is(const char *s, size_t n, const char *want)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (want[i] == '\0' || lower(s[i]) != lower(want[i]))
            return false;
    return want[n] == '\0';
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void trim(const char **s, size_t *n)
{
    while (*n > 0 && is_blank(**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n > 0 && is_blank((*s)[*n - 1]))
        (*n)--;
}

/* Decimal digits [p, p+n), at most 20, into *v. Sets *big when the value
 * exceeds max. False when empty or not all digits. */
static bool dec(const char *p, size_t n, uint64_t max, uint64_t *v, bool *big)
{
    uint64_t x = 0;
    size_t i;

    *big = false;
    if (n == 0)
        return false;
    for (i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        if (!*big) {
            x = x * 10u + (uint64_t)(p[i] - '0');
            if (x > max)
                *big = true;
        }
    }
    *v = x;
    return true;
}

static bool dec32(const char *p, size_t n, uint32_t *v)
{
    uint64_t x;
    bool big;

    if (!dec(p, n, UINT32_MAX, &x, &big) || big)
        return false;
    *v = (uint32_t)x;
    return true;
}

static const char *find(const char *p, size_t n, char c)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (p[i] == c)
            return p + i;
    return NULL;
}

int agent_http_parse_content_range(const char *v, size_t n, uint32_t *start,
                                   uint32_t *end, uint32_t *total)
{
    const char *slash;
    const char *dash;
    uint32_t a = 0, b = 0, t;

    if (v == NULL)
        return FOTA_ERR_PROTO;
    trim(&v, &n);
    if (n < 6 || !name_is(v, 5, "bytes") || v[5] != ' ')
        return FOTA_ERR_PROTO;
    v += 6;
    n -= 6;
    slash = find(v, n, '/');
    if (slash == NULL || !dec32(slash + 1, n - (size_t)(slash - v) - 1, &t))
        return FOTA_ERR_PROTO;
    if (slash - v == 1 && v[0] == '*') {
        a = b = 0;
    } else {
        dash = find(v, (size_t)(slash - v), '-');
        if (dash == NULL || !dec32(v, (size_t)(dash - v), &a) ||
            !dec32(dash + 1, (size_t)(slash - dash - 1), &b) || b < a || b >= t)
            return FOTA_ERR_PROTO;
    }
    *start = a;
    *end = b;
    *total = t;
    return 0;
}

int agent_http_parse_content_length(const char *v, size_t n, uint32_t *len)
{
    uint64_t x;
    bool big;

    if (v == NULL)
        return FOTA_ERR_PROTO;
    trim(&v, &n);
    if (!dec(v, n, UINT32_MAX, &x, &big))
        return FOTA_ERR_PROTO;
    if (big)
        return FOTA_ERR_RANGE;
    *len = (uint32_t)x;
    return 0;
}

int agent_http_parse_status_line(const char *line, size_t len)
{
    size_t i = 5;
    uint32_t code;

    if (line == NULL || len < 5 || !name_is(line, 5, "HTTP/"))
        return FOTA_ERR_PROTO;
    /* Version: digits with at most one dot (HTTP/1.1, HTTP/2). */
    if (i >= len || line[i] < '0' || line[i] > '9')
        return FOTA_ERR_PROTO;
    while (i < len && ((line[i] >= '0' && line[i] <= '9') || line[i] == '.'))
        i++;
    if (i >= len || line[i] != ' ')
        return FOTA_ERR_PROTO;
    i++;
    /* Exactly three digits, then the end or a blank (RFC 9112 4). */
    if (len - i < 3 || !dec32(line + i, 3, &code) || code < 100 || code > 599)
        return FOTA_ERR_PROTO;
    if (len - i > 3 && !is_blank(line[i + 3]))
        return FOTA_ERR_PROTO;
    return (int)code;
}

void agent_http_hdrs_reset(agent_http_hdrs_t *h)
{
    h->etag[0] = '\0';
    h->has_etag = h->etag_too_long = false;
    h->has_length = false;
    h->length_err = 0;
    h->length = 0;
    h->has_range = h->range_bad = false;
    h->range_start = h->range_end = h->range_total = 0;
    h->date[0] = h->region[0] = '\0';
}

/* Keep value (n bytes) in field (AGENT_HTTP_KEPT_MAX + 1 bytes), or leave
 * it empty when it does not fit. */
static void keep(char *field, const char *value, size_t n)
{
    if (n > AGENT_HTTP_KEPT_MAX)
        n = 0;
    for (size_t i = 0; i < n; i++)
        field[i] = value[i];
    field[n] = '\0';
}

void agent_http_hdrs_feed(agent_http_hdrs_t *h, const char *name,
                          size_t name_len, const char *value, size_t value_len)
{
    if (h == NULL || name == NULL || value == NULL)
        return;
    trim(&name, &name_len);
    trim(&value, &value_len);
    if (name_is(name, name_len, "ETag")) {
        size_t i;

        h->has_etag = true;
        h->etag_too_long = value_len > AGENT_HTTP_ETAG_MAX;
        if (h->etag_too_long)
            value_len = 0;
        for (i = 0; i < value_len; i++)
            h->etag[i] = value[i];
        h->etag[value_len] = '\0';
    } else if (name_is(name, name_len, "Content-Length")) {
        h->has_length = true;
        h->length_err =
            agent_http_parse_content_length(value, value_len, &h->length);
    } else if (name_is(name, name_len, "Content-Range")) {
        h->has_range = true;
        h->range_bad =
            agent_http_parse_content_range(value, value_len, &h->range_start,
                                           &h->range_end, &h->range_total) != 0;
    } else if (name_is(name, name_len, "Date")) {
        keep(h->date, value, value_len);
    } else if (name_is(name, name_len, "x-amz-bucket-region")) {
        keep(h->region, value, value_len);
    }
}

int agent_http_hdrs_header(const agent_http_hdrs_t *h, const char *name,
                           char *buf, size_t len)
{
    const char *v;
    size_t nl = 0, n = 0;

    if (h == NULL || name == NULL || buf == NULL)
        return FOTA_ERR_INVAL;
    while (name[nl] != '\0')
        nl++;
    if (name_is(name, nl, "Date"))
        v = h->date;
    else if (name_is(name, nl, "x-amz-bucket-region"))
        v = h->region;
    else
        return FOTA_ERR_NOENT;
    while (v[n] != '\0')
        n++;
    if (n == 0)
        return FOTA_ERR_NOENT;
    if (n + 1 > len)
        return FOTA_ERR_NOMEM;
    for (size_t i = 0; i <= n; i++)
        buf[i] = v[i];
    return (int)n;
}

bool agent_http_hdrs_feed_line(agent_http_hdrs_t *h, const char *line,
                               size_t len)
{
    const char *colon;

    if (line == NULL || agent_http_parse_status_line(line, len) > 0)
        return false;
    colon = find(line, len, ':');
    if (colon == NULL || colon == line)
        return false;
    agent_http_hdrs_feed(h, line, (size_t)(colon - line), colon + 1,
                         len - (size_t)(colon - line) - 1);
    return true;
}

int agent_http_hdrs_etag(const agent_http_hdrs_t *h, char *buf, size_t len)
{
    size_t n = 0;

    if (h == NULL || buf == NULL)
        return FOTA_ERR_INVAL;
    if (!h->has_etag)
        return FOTA_ERR_NOENT;
    if (h->etag_too_long)
        return FOTA_ERR_NOMEM;
    while (h->etag[n] != '\0')
        n++;
    if (n + 1 > len)
        return FOTA_ERR_NOMEM;
    for (size_t i = 0; i <= n; i++)
        buf[i] = h->etag[i];
    return (int)n;
}

int agent_http_hdrs_content_length(const agent_http_hdrs_t *h, uint32_t *len)
{
    if (h == NULL || len == NULL)
        return FOTA_ERR_INVAL;
    if (!h->has_length)
        return FOTA_ERR_NOENT;
    if (h->length_err != 0)
        return h->length_err;
    *len = h->length;
    return 0;
}

int agent_http_hdrs_content_range(const agent_http_hdrs_t *h, uint32_t *start,
                                  uint32_t *end, uint32_t *total)
{
    if (h == NULL || start == NULL || end == NULL || total == NULL)
        return FOTA_ERR_INVAL;
    if (!h->has_range)
        return FOTA_ERR_NOENT;
    if (h->range_bad)
        return FOTA_ERR_PROTO;
    *start = h->range_start;
    *end = h->range_end;
    *total = h->range_total;
    return 0;
}
