/*
 * agent_sigv4.c - AWS Signature Version 4 for S3 (see agent_sigv4.h).
 *
 * The canonical request is streamed into SHA-256 through a small block
 * buffer instead of being built in memory: its size depends on the URL and
 * the headers, and the core has no heap. Sorting (headers, query
 * parameters) works on index arrays of fixed size; query parameters are
 * compared in their encoded form through a lazy encoder, because the sort
 * order of encoded strings differs from that of the raw bytes ('{' sorts
 * after '0' raw but "%7B" sorts before it).
 */
#include "agent_sigv4.h"

#include <stdbool.h>

#include "fota/fota_err.h"
#include "fota/fota_sha256.h"
#include "fota/fota_text.h"
#include "fota/fota_nomalloc.h"

#define ALGORITHM "AWS4-HMAC-SHA256"
#define SCOPE_TERM "aws4_request"
#define FIELD_MAX 128 /* access key, secret, region, service: sanity cap */
#define SIGNED_LIST_MAX 384
#define URL_MAX 1024

static const char s_hex_upper[] = "0123456789ABCDEF";

/* ---- small string helpers ------------------------------------------------ */

static size_t str_len(const char *s)
{
    return s != NULL ? strlen(s) : 0;
}

static char to_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool is_unreserved(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
           c == '~';
}

void agent_sigv4_hex(const uint8_t *bytes, size_t n, char *out)
{
    fota_hex_encode(bytes, n, out);
}

/* ---- lazy S3 URI encoder ---------------------------------------------------- */

typedef struct enc_it {
    const char *p;
    size_t len;
    size_t i;
    bool decode;     /* input is wire form: decode %XX before encoding */
    bool keep_slash; /* path: '/' separates segments and stays */
    char pend[3];
    uint8_t npend;
    uint8_t ipend;
} enc_it_t;

static void enc_start(enc_it_t *it, const char *p, size_t len, bool decode,
                      bool keep_slash)
{
    it->p = p;
    it->len = len;
    it->i = 0;
    it->decode = decode;
    it->keep_slash = keep_slash;
    it->npend = 0;
    it->ipend = 0;
}

/* Next output character of the canonical encoding, or -1 at the end. */
static int enc_next(enc_it_t *it)
{
    uint8_t c;

    if (it->ipend < it->npend)
        return (uint8_t)it->pend[it->ipend++];
    if (it->i >= it->len)
        return -1;
    c = (uint8_t)it->p[it->i];
    if (it->decode && c == '%' && it->i + 2 < it->len &&
        fota_hex_digit(it->p[it->i + 1]) >= 0 &&
        fota_hex_digit(it->p[it->i + 2]) >= 0) {
        c = (uint8_t)(fota_hex_digit(it->p[it->i + 1]) * 16 +
                      fota_hex_digit(it->p[it->i + 2]));
        it->i += 3;
    } else {
        it->i += 1;
    }
    if (is_unreserved(c) || (c == '/' && it->keep_slash))
        return c;
    it->pend[0] = '%';
    it->pend[1] = s_hex_upper[c >> 4];
    it->pend[2] = s_hex_upper[c & 0x0f];
    it->npend = 3;
    it->ipend = 1;
    return '%';
}

/* Compare two encoded streams; end of stream sorts first. */
static int enc_cmp(enc_it_t *a, enc_it_t *b)
{
    for (;;) {
        int ca = enc_next(a);
        int cb = enc_next(b);
        if (ca != cb)
            return ca - cb;
        if (ca < 0)
            return 0;
    }
}

int agent_sigv4_uri_encode(const char *src, size_t len, int keep_slash,
                           char *out, size_t out_len)
{
    enc_it_t it;
    fota_sb_t ob;
    int c;

    fota_sb_init(&ob, out, out_len);
    enc_start(&it, src, len, false, keep_slash != 0);
    while ((c = enc_next(&it)) >= 0)
        fota_sb_putc(&ob, (char)c);
    if (ob.overflow)
        return FOTA_ERR_NOMEM;
    return (int)ob.len;
}

/* ---- hashing sink -------------------------------------------------------- */

/* Buffers small writes so SHA-256 is fed whole blocks, not single bytes. */
typedef struct sink {
    fota_sha256_t sha;
    uint8_t buf[FOTA_SHA256_BLOCK];
    size_t n;
} sink_t;

static void sink_flush(sink_t *s)
{
    fota_sha256_update(&s->sha, s->buf, s->n);
    s->n = 0;
}

static void sink_putc(sink_t *s, char c)
{
    s->buf[s->n++] = (uint8_t)c;
    if (s->n == sizeof s->buf)
        sink_flush(s);
}

static void sink_putn(sink_t *s, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sink_putc(s, p[i]);
}

static void sink_puts(sink_t *s, const char *p)
{
    sink_putn(s, p, str_len(p));
}

static void sink_enc(sink_t *s, const char *p, size_t len, bool decode,
                     bool keep_slash)
{
    enc_it_t it;
    int c;

    enc_start(&it, p, len, decode, keep_slash);
    while ((c = enc_next(&it)) >= 0)
        sink_putc(s, (char)c);
}

/* Header value trimmed, with inner runs of blanks collapsed to one space. */
static void sink_hdr_value(sink_t *s, const char *v, size_t len)
{
    bool pending_space = false;
    bool started = false;

    for (size_t i = 0; i < len; i++) {
        char c = v[i];
        if (c == ' ' || c == '\t') {
            pending_space = started;
            continue;
        }
        if (pending_space)
            sink_putc(s, ' ');
        pending_space = false;
        started = true;
        sink_putc(s, c);
    }
}

/* ---- request model --------------------------------------------------------- */

typedef struct hdr_ent {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
} hdr_ent_t;

typedef struct qp_ent {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
    bool decode; /* wire form (from the URL) or raw (X-Amz-* of a presign) */
} qp_ent_t;

static int hdr_name_cmp(const hdr_ent_t *a, const hdr_ent_t *b)
{
    size_t n = a->name_len < b->name_len ? a->name_len : b->name_len;

    for (size_t i = 0; i < n; i++) {
        char ca = to_lower(a->name[i]);
        char cb = to_lower(b->name[i]);
        if (ca != cb)
            return (uint8_t)ca - (uint8_t)cb;
    }
    return (a->name_len > b->name_len) - (a->name_len < b->name_len);
}

static int qp_cmp(const qp_ent_t *a, const qp_ent_t *b)
{
    enc_it_t ia;
    enc_it_t ib;
    int rc;

    enc_start(&ia, a->name, a->name_len, a->decode, false);
    enc_start(&ib, b->name, b->name_len, b->decode, false);
    rc = enc_cmp(&ia, &ib);
    if (rc != 0)
        return rc;
    enc_start(&ia, a->value, a->value_len, a->decode, false);
    enc_start(&ib, b->value, b->value_len, b->decode, false);
    return enc_cmp(&ia, &ib);
}

static int add_hdr(hdr_ent_t *h, size_t *n, const char *name, const char *value)
{
    size_t nl = str_len(name);

    if (*n >= AGENT_SIGV4_MAX_HEADERS || nl == 0 || value == NULL)
        return FOTA_ERR_INVAL;
    for (size_t i = 0; i < nl; i++) {
        char c = name[i];
        if (c == ':' || c == ' ' || c == '\t' || c == '\r' || c == '\n')
            return FOTA_ERR_INVAL;
    }
    h[*n].name = name;
    h[*n].name_len = nl;
    h[*n].value = value;
    h[*n].value_len = strlen(value);
    (*n)++;
    return 0;
}

static int add_qp(qp_ent_t *q, size_t *n, const char *name, size_t name_len,
                  const char *value, size_t value_len, bool decode)
{
    if (*n >= AGENT_SIGV4_MAX_QUERY)
        return FOTA_ERR_INVAL;
    q[*n].name = name;
    q[*n].name_len = name_len;
    q[*n].value = value;
    q[*n].value_len = value_len;
    q[*n].decode = decode;
    (*n)++;
    return 0;
}

/* Split "a=1&b&c=3" (wire form) into parameters; empty pieces are skipped. */
static int parse_query(qp_ent_t *q, size_t *n, const char *query)
{
    const char *p = query;

    if (p == NULL)
        return 0;
    while (*p != '\0') {
        const char *end = p;
        const char *eq = NULL;
        int rc;

        while (*end != '\0' && *end != '&') {
            if (*end == '=' && eq == NULL)
                eq = end;
            end++;
        }
        if (end > p) {
            if (eq != NULL)
                rc = add_qp(q, n, p, (size_t)(eq - p), eq + 1,
                            (size_t)(end - eq - 1), true);
            else
                rc = add_qp(q, n, p, (size_t)(end - p), "", 0, true);
            if (rc < 0)
                return rc;
        }
        p = (*end == '&') ? end + 1 : end;
    }
    return 0;
}

static void sort_hdrs(hdr_ent_t *h, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        hdr_ent_t t = h[i];
        size_t j = i;
        while (j > 0 && hdr_name_cmp(&h[j - 1], &t) > 0) {
            h[j] = h[j - 1];
            j--;
        }
        h[j] = t;
    }
}

static void sort_qps(qp_ent_t *q, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        qp_ent_t t = q[i];
        size_t j = i;
        while (j > 0 && qp_cmp(&q[j - 1], &t) > 0) {
            q[j] = q[j - 1];
            j--;
        }
        q[j] = t;
    }
}

static bool valid_timestamp(const char *ts)
{
    if (ts == NULL || strlen(ts) != AGENT_SIGV4_TIMESTAMP_SIZE - 1)
        return false;
    for (size_t i = 0; i < AGENT_SIGV4_TIMESTAMP_SIZE - 1; i++) {
        char c = ts[i];
        if (i == 8) {
            if (c != 'T')
                return false;
        } else if (i == 15) {
            if (c != 'Z')
                return false;
        } else if (c < '0' || c > '9') {
            return false;
        }
    }
    return true;
}

static bool valid_payload_hash(const char *h)
{
    if (h == NULL)
        return false;
    if (strcmp(h, AGENT_SIGV4_UNSIGNED_PAYLOAD) == 0)
        return true;
    if (strlen(h) != 64)
        return false;
    for (size_t i = 0; i < 64; i++)
        if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f')))
            return false;
    return true;
}

static bool valid_field(const char *s)
{
    size_t n = str_len(s);

    if (n == 0 || n > FIELD_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '/' || s[i] == '\n' || s[i] == '\r')
            return false;
    return true;
}

static bool valid_cred(const agent_sigv4_cred_t *cred)
{
    /* The secret may contain '/', so it only gets a length check. */
    size_t sl;

    if (cred == NULL || !valid_field(cred->access_key) ||
        !valid_field(cred->region) || !valid_field(cred->service))
        return false;
    sl = str_len(cred->secret_key);
    return sl > 0 && sl <= FIELD_MAX;
}

static bool valid_method(const char *m)
{
    size_t n = str_len(m);

    if (n == 0 || n > 16)
        return false;
    for (size_t i = 0; i < n; i++)
        if (m[i] < 'A' || m[i] > 'Z')
            return false;
    return true;
}

/* "<date>/<region>/<service>/aws4_request" */
static void put_scope(fota_sb_t *ob, const char *ts,
                      const agent_sigv4_cred_t *cred)
{
    fota_sb_putn(ob, ts, 8);
    fota_sb_putc(ob, '/');
    fota_sb_puts(ob, cred->region);
    fota_sb_putc(ob, '/');
    fota_sb_puts(ob, cred->service);
    fota_sb_putc(ob, '/');
    fota_sb_puts(ob, SCOPE_TERM);
}

/*
 * The shared part of header and query signing. presign selects query-string
 * authentication: x-amz-date/x-amz-content-sha256 are not headers then but
 * X-Amz-* query parameters, and the payload is UNSIGNED-PAYLOAD.
 * signed_list receives the SignedHeaders value, sig_hex the signature.
 */
static int sign_common(const agent_sigv4_req_t *req,
                       const agent_sigv4_cred_t *cred, bool presign,
                       uint32_t expires_s, char *signed_list, size_t signed_cap,
                       char sig_hex[AGENT_SIGV4_HEX_SIZE],
                       char creq_hex[AGENT_SIGV4_HEX_SIZE])
{
    hdr_ent_t hdrs[AGENT_SIGV4_MAX_HEADERS];
    qp_ent_t qps[AGENT_SIGV4_MAX_QUERY];
    size_t nh = 0;
    size_t nq = 0;
    fota_sb_t ob;
    char credential[FIELD_MAX + 64];
    char expires[12];
    char sts[256];
    char key[4 + FIELD_MAX];
    uint8_t mac[FOTA_SHA256_SIZE];
    sink_t sink;
    const char *payload;
    int rc;

    if (req == NULL || !valid_cred(cred) || !valid_method(req->method) ||
        !valid_timestamp(req->timestamp) || str_len(req->host) == 0 ||
        req->path == NULL || req->path[0] != '/' ||
        (req->n_headers > 0 && req->headers == NULL))
        return FOTA_ERR_INVAL;
    payload = presign ? AGENT_SIGV4_UNSIGNED_PAYLOAD : req->payload_hash;
    if (!valid_payload_hash(payload))
        return FOTA_ERR_INVAL;

    /* Headers: the automatic ones, then the caller's; sorted, unique. */
    rc = add_hdr(hdrs, &nh, "host", req->host);
    if (rc == 0 && !presign) {
        rc = add_hdr(hdrs, &nh, "x-amz-content-sha256", payload);
        if (rc == 0)
            rc = add_hdr(hdrs, &nh, "x-amz-date", req->timestamp);
        if (rc == 0 && str_len(cred->session_token) > 0)
            rc =
                add_hdr(hdrs, &nh, "x-amz-security-token", cred->session_token);
    }
    for (size_t i = 0; rc == 0 && i < req->n_headers; i++)
        rc = add_hdr(hdrs, &nh, req->headers[i].name, req->headers[i].value);
    if (rc < 0)
        return rc;
    sort_hdrs(hdrs, nh);
    for (size_t i = 1; i < nh; i++)
        if (hdr_name_cmp(&hdrs[i - 1], &hdrs[i]) == 0)
            return FOTA_ERR_INVAL;

    fota_sb_init(&ob, signed_list, signed_cap);
    for (size_t i = 0; i < nh; i++) {
        if (i > 0)
            fota_sb_putc(&ob, ';');
        for (size_t k = 0; k < hdrs[i].name_len; k++)
            fota_sb_putc(&ob, to_lower(hdrs[i].name[k]));
    }
    if (ob.overflow)
        return FOTA_ERR_NOMEM;

    /* Query: the URL's parameters, plus the X-Amz-* ones of a presign. */
    rc = parse_query(qps, &nq, req->query);
    if (rc < 0)
        return rc;
    fota_sb_init(&ob, credential, sizeof credential);
    fota_sb_puts(&ob, cred->access_key);
    fota_sb_putc(&ob, '/');
    put_scope(&ob, req->timestamp, cred);
    if (ob.overflow)
        return FOTA_ERR_NOMEM;
    if (presign) {
        fota_sb_init(&ob, expires, sizeof expires);
        fota_sb_put_u64(&ob, expires_s);
        rc = add_qp(qps, &nq, "X-Amz-Algorithm", 15, ALGORITHM,
                    strlen(ALGORITHM), false);
        if (rc == 0)
            rc = add_qp(qps, &nq, "X-Amz-Credential", 16, credential,
                        strlen(credential), false);
        if (rc == 0)
            rc = add_qp(qps, &nq, "X-Amz-Date", 10, req->timestamp,
                        strlen(req->timestamp), false);
        if (rc == 0)
            rc = add_qp(qps, &nq, "X-Amz-Expires", 13, expires, strlen(expires),
                        false);
        if (rc == 0 && str_len(cred->session_token) > 0)
            rc =
                add_qp(qps, &nq, "X-Amz-Security-Token", 20,
                       cred->session_token, strlen(cred->session_token), false);
        if (rc == 0)
            rc = add_qp(qps, &nq, "X-Amz-SignedHeaders", 19, signed_list,
                        strlen(signed_list), false);
        if (rc < 0)
            return rc;
    }
    sort_qps(qps, nq);

    /* Canonical request, streamed into SHA-256. */
    fota_sha256_init(&sink.sha);
    sink.n = 0;
    sink_puts(&sink, req->method);
    sink_putc(&sink, '\n');
    sink_enc(&sink, req->path, strlen(req->path), true, true);
    sink_putc(&sink, '\n');
    for (size_t i = 0; i < nq; i++) {
        if (i > 0)
            sink_putc(&sink, '&');
        sink_enc(&sink, qps[i].name, qps[i].name_len, qps[i].decode, false);
        sink_putc(&sink, '=');
        sink_enc(&sink, qps[i].value, qps[i].value_len, qps[i].decode, false);
    }
    sink_putc(&sink, '\n');
    for (size_t i = 0; i < nh; i++) {
        for (size_t k = 0; k < hdrs[i].name_len; k++)
            sink_putc(&sink, to_lower(hdrs[i].name[k]));
        sink_putc(&sink, ':');
        sink_hdr_value(&sink, hdrs[i].value, hdrs[i].value_len);
        sink_putc(&sink, '\n');
    }
    sink_putc(&sink, '\n');
    sink_puts(&sink, signed_list);
    sink_putc(&sink, '\n');
    sink_puts(&sink, payload);
    sink_flush(&sink);
    fota_sha256_final(&sink.sha, mac);
    agent_sigv4_hex(mac, sizeof mac, creq_hex);

    /* String to sign. */
    fota_sb_init(&ob, sts, sizeof sts);
    fota_sb_puts(&ob, ALGORITHM "\n");
    fota_sb_puts(&ob, req->timestamp);
    fota_sb_putc(&ob, '\n');
    put_scope(&ob, req->timestamp, cred);
    fota_sb_putc(&ob, '\n');
    fota_sb_puts(&ob, creq_hex);
    if (ob.overflow)
        return FOTA_ERR_NOMEM;

    /* Signing key: HMAC chain over date, region, service, "aws4_request". */
    fota_sb_init(&ob, key, sizeof key);
    fota_sb_puts(&ob, "AWS4");
    fota_sb_puts(&ob, cred->secret_key);
    if (ob.overflow)
        return FOTA_ERR_NOMEM;
    fota_hmac_sha256(key, ob.len, req->timestamp, 8, mac);
    memset(key, 0, sizeof key);
    fota_hmac_sha256(mac, sizeof mac, cred->region, strlen(cred->region), mac);
    fota_hmac_sha256(mac, sizeof mac, cred->service, strlen(cred->service),
                     mac);
    fota_hmac_sha256(mac, sizeof mac, SCOPE_TERM, strlen(SCOPE_TERM), mac);
    fota_hmac_sha256(mac, sizeof mac, sts, strlen(sts), mac);
    agent_sigv4_hex(mac, sizeof mac, sig_hex);
    memset(mac, 0, sizeof mac);
    return 0;
}

int agent_sigv4_authorization(const agent_sigv4_req_t *req,
                              const agent_sigv4_cred_t *cred, char *out,
                              size_t out_len, char *creq_hash_hex)
{
    char signed_list[SIGNED_LIST_MAX];
    char sig[AGENT_SIGV4_HEX_SIZE];
    char creq[AGENT_SIGV4_HEX_SIZE];
    fota_sb_t ob;
    int rc;

    if (out == NULL)
        return FOTA_ERR_INVAL;
    rc = sign_common(req, cred, false, 0, signed_list, sizeof signed_list, sig,
                     creq);
    if (rc < 0)
        return rc;
    if (creq_hash_hex != NULL)
        memcpy(creq_hash_hex, creq, sizeof creq);
    fota_sb_init(&ob, out, out_len);
    fota_sb_puts(&ob, ALGORITHM " Credential=");
    fota_sb_puts(&ob, cred->access_key);
    fota_sb_putc(&ob, '/');
    put_scope(&ob, req->timestamp, cred);
    fota_sb_puts(&ob, ", SignedHeaders=");
    fota_sb_puts(&ob, signed_list);
    fota_sb_puts(&ob, ", Signature=");
    fota_sb_puts(&ob, sig);
    if (ob.overflow)
        return FOTA_ERR_NOMEM;
    return (int)ob.len;
}

/* Append name=value with the value encoded as a query component. */
static void ob_param(fota_sb_t *ob, const char *name, const char *value)
{
    enc_it_t it;
    int c;

    fota_sb_puts(ob, name);
    fota_sb_putc(ob, '=');
    enc_start(&it, value, strlen(value), false, false);
    while ((c = enc_next(&it)) >= 0)
        fota_sb_putc(ob, (char)c);
}

int agent_sigv4_presign(const agent_sigv4_req_t *req,
                        const agent_sigv4_cred_t *cred, uint32_t expires_s,
                        char *out, size_t out_len)
{
    char signed_list[SIGNED_LIST_MAX];
    char sig[AGENT_SIGV4_HEX_SIZE];
    char creq[AGENT_SIGV4_HEX_SIZE];
    fota_sb_t ob;
    int rc;

    /* 7 days is the longest validity S3 accepts for a presigned URL. */
    if (out == NULL || expires_s == 0 || expires_s > 604800u)
        return FOTA_ERR_INVAL;
    rc = sign_common(req, cred, true, expires_s, signed_list,
                     sizeof signed_list, sig, creq);
    if (rc < 0)
        return rc;
    fota_sb_init(&ob, out, out_len);
    ob_param(&ob, "X-Amz-Algorithm", ALGORITHM);
    fota_sb_puts(&ob, "&X-Amz-Credential=");
    fota_sb_puts(&ob, cred->access_key);
    fota_sb_puts(&ob, "%2F");
    fota_sb_putn(&ob, req->timestamp, 8);
    fota_sb_puts(&ob, "%2F");
    {
        enc_it_t it;
        int c;
        enc_start(&it, cred->region, strlen(cred->region), false, false);
        while ((c = enc_next(&it)) >= 0)
            fota_sb_putc(&ob, (char)c);
    }
    fota_sb_puts(&ob, "%2F");
    fota_sb_puts(&ob, cred->service);
    fota_sb_puts(&ob, "%2F" SCOPE_TERM "&X-Amz-Date=");
    fota_sb_puts(&ob, req->timestamp);
    fota_sb_puts(&ob, "&X-Amz-Expires=");
    fota_sb_put_u64(&ob, expires_s);
    if (str_len(cred->session_token) > 0) {
        fota_sb_putc(&ob, '&');
        ob_param(&ob, "X-Amz-Security-Token", cred->session_token);
    }
    fota_sb_putc(&ob, '&');
    ob_param(&ob, "X-Amz-SignedHeaders", signed_list);
    fota_sb_puts(&ob, "&X-Amz-Signature=");
    fota_sb_puts(&ob, sig);
    if (ob.overflow)
        return FOTA_ERR_NOMEM;
    return (int)ob.len;
}

int agent_sigv4_sign_url(const char *method, const char *url,
                         const agent_sigv4_hdr_t *headers, size_t n_headers,
                         const char *payload_hash, const char *timestamp,
                         const agent_sigv4_cred_t *cred,
                         agent_sigv4_signed_t *out)
{
    char tmp[URL_MAX];
    char host[256];
    const char *default_port;
    size_t ul = str_len(url);
    size_t off;
    char *h;
    char *path;
    char *query;
    const char *sign_path;
    agent_sigv4_req_t req;
    int rc;

    if (out == NULL || ul == 0 || ul >= sizeof tmp)
        return FOTA_ERR_INVAL;
    if (strncmp(url, "http://", 7) == 0) {
        off = 7;
        default_port = ":80";
    } else if (strncmp(url, "https://", 8) == 0) {
        off = 8;
        default_port = ":443";
    } else {
        return FOTA_ERR_INVAL;
    }
    memcpy(tmp, url, ul + 1);
    if (strchr(tmp, '#') != NULL)
        return FOTA_ERR_INVAL;
    h = tmp + off;
    path = h;
    while (*path != '\0' && *path != '/' && *path != '?')
        path++;
    if (path == h || (size_t)(path - h) >= sizeof host)
        return FOTA_ERR_INVAL;
    memcpy(host, h, (size_t)(path - h));
    host[path - h] = '\0';
    {
        size_t hl = strlen(host);
        size_t dl = strlen(default_port);
        if (hl > dl && strcmp(host + hl - dl, default_port) == 0)
            host[hl - dl] = '\0';
    }
    /* The copy is cut at '?' so path and query are both C strings. */
    query = strchr(path, '?');
    if (query != NULL)
        *query++ = '\0';
    /* "http://host" or "http://host?q": the path is "/". */
    sign_path = (*path == '/') ? path : "/";

    req.method = method;
    req.host = host;
    req.path = sign_path;
    req.query = query;
    req.headers = headers;
    req.n_headers = n_headers;
    req.payload_hash =
        payload_hash != NULL ? payload_hash : AGENT_SIGV4_EMPTY_SHA256;
    req.timestamp = timestamp;
    rc = agent_sigv4_authorization(&req, cred, out->authorization,
                                   sizeof out->authorization, NULL);
    if (rc < 0)
        return rc;
    memcpy(out->date, timestamp, AGENT_SIGV4_TIMESTAMP_SIZE);
    memcpy(out->content_sha256, req.payload_hash, strlen(req.payload_hash) + 1);
    return 0;
}
