/*
 * agent_update.c - the update agent's flow (see agent_update.h and
 * docs/agent.md).
 */
#include "agent_update.h"

#include "fota/fota_config.h"
#include "fota/fota_crc32.h"
#include "fota/fota_ed25519.h"
#include "fota/fota_err.h"
#include "fota/fota_journal.h"
#include "fota/fota_layout.h"
#include "fota/fota_le.h"
#include "fota/fota_nomalloc.h"
#include "fota/fota_prng.h"
#include "fota/fota_sha256.h"
#include "fota/fota_text.h"

#define REC_MAGIC 0x44505541u /* "AUPD" */
#define REC_FORMAT 1
#define REC_OFF_CRC (AGENT_STORAGE_REC_SIZE - 4)

/* ---- formatting on top of fota_text.h (no printf in the core) ------------ */

static void sb_ver(fota_sb_t *s, const fota_version_t *v)
{
    fota_sb_put_u64(s, v->major);
    fota_sb_puts(s, ".");
    fota_sb_put_u64(s, v->minor);
    fota_sb_puts(s, ".");
    fota_sb_put_u64(s, v->patch);
    if (v->build) {
        fota_sb_puts(s, "+");
        fota_sb_put_u64(s, v->build);
    }
}

/* s as the inside of a JSON string: quote, backslash and control
 * characters escaped (RFC 8259 section 7). */
static void sb_json(fota_sb_t *s, const char *str)
{
    static const char hex[] = "0123456789abcdef";

    for (; *str; str++) {
        unsigned char c = (unsigned char)*str;

        if (c == '"' || c == '\\') {
            fota_sb_putc(s, '\\');
            fota_sb_putc(s, (char)c);
        } else if (c < 0x20 || c == 0x7f) {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            fota_sb_putn(s, e, sizeof(e));
        } else {
            fota_sb_putc(s, (char)c);
        }
    }
}

/* Two digits with a leading zero. */
static void sb_2(fota_sb_t *s, unsigned v)
{
    char d[2] = {(char)('0' + v / 10u % 10u), (char)('0' + v % 10u)};

    fota_sb_putn(s, d, 2);
}

/* ---- UTC ----------------------------------------------------------------------- */

void agent_update_format_utc(uint64_t unix_s, bool iso, char *out)
{
    uint64_t days = unix_s / 86400u;
    uint32_t sod = (uint32_t)(unix_s % 86400u);
    /* Civil date from a day count (proleptic Gregorian), with eras of
     * 400 years (146097 days) counted from 0000-03-01 so that the leap day
     * is the last day of the computed year. */
    uint64_t z = days + 719468u;
    uint64_t era = z / 146097u;
    uint64_t doe = z - era * 146097u;
    uint64_t yoe = (doe - doe / 1460u + doe / 36524u - doe / 146096u) / 365u;
    uint64_t y = yoe + era * 400u;
    uint64_t doy = doe - (365u * yoe + yoe / 4u - yoe / 100u);
    uint64_t mp = (5u * doy + 2u) / 153u;
    unsigned d = (unsigned)(doy - (153u * mp + 2u) / 5u + 1u);
    unsigned m = (unsigned)(mp < 10u ? mp + 3u : mp - 9u);
    fota_sb_t s;

    if (m <= 2)
        y++;
    fota_sb_init(&s, out, 21);
    sb_2(&s, (unsigned)(y / 100u));
    sb_2(&s, (unsigned)(y % 100u));
    if (iso)
        fota_sb_puts(&s, "-");
    sb_2(&s, m);
    if (iso)
        fota_sb_puts(&s, "-");
    sb_2(&s, d);
    fota_sb_puts(&s, "T");
    sb_2(&s, sod / 3600u);
    if (iso)
        fota_sb_puts(&s, ":");
    sb_2(&s, sod / 60u % 60u);
    if (iso)
        fota_sb_puts(&s, ":");
    sb_2(&s, sod % 60u);
    fota_sb_puts(&s, "Z");
}

/* ---- record codec --------------------------------------------------------------- */

static void put_str(uint8_t *p, const char *s, size_t field)
{
    size_t n = strlen(s);

    memset(p, 0, field);
    memcpy(p, s, n < field - 1 ? n : field - 1);
}

static int get_str(char *s, const uint8_t *p, size_t field)
{
    if (!memchr(p, 0, field))
        return FOTA_ERR_CORRUPT;
    memcpy(s, p, field);
    return 0;
}

/* Byte layout of a record copy (little-endian):
 *   0 magic, 4 format u16, 6 zero u16, 8 seq, 12 phase, 13 slot,
 *   14 n_rejected, 15 last_outcome, 16 manifest_etag[80], 96 image_etag[80],
 *   176 key[160], 336 version[8], 344 sec_counter, 348 size, 352 sha256[32],
 *   384 downloaded, 388 verified, 392 restarts, 396 last_error,
 *   400 rejected[8][8], 464 manifest_seq, 468 phase_ms[4], 484..507 zero,
 *   508 CRC-32 (IEEE) of bytes 0..507. (Records written before
 *   manifest_seq existed hold 0 there, which accepts any sequence once;
 *   before phase_ms, 0 times.) */
void agent_upd_rec_encode(const agent_upd_rec_t *r,
                          uint8_t buf[AGENT_STORAGE_REC_SIZE])
{
    memset(buf, 0, AGENT_STORAGE_REC_SIZE);
    fota_put_le32(buf + 0, REC_MAGIC);
    fota_put_le16(buf + 4, REC_FORMAT);
    fota_put_le32(buf + 8, r->seq);
    buf[12] = r->phase;
    buf[13] = r->slot;
    buf[14] = r->n_rejected;
    buf[15] = r->last_outcome;
    put_str(buf + 16, r->manifest_etag, AGENT_HTTP_ETAG_MAX);
    put_str(buf + 96, r->image_etag, AGENT_HTTP_ETAG_MAX);
    put_str(buf + 176, r->key, AGENT_MANIFEST_KEY_SIZE);
    fota_version_put(buf + 336, &r->version);
    fota_put_le32(buf + 344, r->sec_counter);
    fota_put_le32(buf + 348, r->size);
    memcpy(buf + 352, r->sha256, FOTA_SHA256_SIZE);
    fota_put_le32(buf + 384, r->downloaded);
    fota_put_le32(buf + 388, r->verified);
    fota_put_le32(buf + 392, r->restarts);
    fota_put_le32(buf + 396, (uint32_t)r->last_error);
    for (unsigned i = 0; i < AGENT_UPDATE_REJECT_MAX; i++)
        fota_version_put(buf + 400 + 8 * i, &r->rejected[i]);
    fota_put_le32(buf + 464, r->manifest_seq);
    for (unsigned i = 0; i < AGENT_TIME_COUNT; i++)
        fota_put_le32(buf + 468 + 4 * i, r->phase_ms[i]);
    fota_put_le32(buf + REC_OFF_CRC,
                  fota_crc32_ieee_update(0, buf, REC_OFF_CRC));
}

int agent_upd_rec_decode(agent_upd_rec_t *r,
                         const uint8_t buf[AGENT_STORAGE_REC_SIZE])
{
    memset(r, 0, sizeof(*r));
    if (fota_get_le32(buf) != REC_MAGIC ||
        fota_get_le16(buf + 4) != REC_FORMAT ||
        fota_get_le32(buf + REC_OFF_CRC) !=
            fota_crc32_ieee_update(0, buf, REC_OFF_CRC))
        return FOTA_ERR_CORRUPT;
    r->seq = fota_get_le32(buf + 8);
    r->phase = buf[12];
    r->slot = buf[13];
    r->n_rejected = buf[14];
    r->last_outcome = buf[15];
    if (r->phase > AGENT_UPD_OBSERVING || r->slot >= FOTA_SLOT_COUNT ||
        r->n_rejected > AGENT_UPDATE_REJECT_MAX)
        goto bad;
    if (get_str(r->manifest_etag, buf + 16, AGENT_HTTP_ETAG_MAX) < 0 ||
        get_str(r->image_etag, buf + 96, AGENT_HTTP_ETAG_MAX) < 0 ||
        get_str(r->key, buf + 176, AGENT_MANIFEST_KEY_SIZE) < 0)
        goto bad;
    fota_version_get(&r->version, buf + 336);
    r->sec_counter = fota_get_le32(buf + 344);
    r->size = fota_get_le32(buf + 348);
    memcpy(r->sha256, buf + 352, FOTA_SHA256_SIZE);
    r->downloaded = fota_get_le32(buf + 384);
    r->verified = fota_get_le32(buf + 388);
    r->restarts = fota_get_le32(buf + 392);
    r->last_error = (int32_t)fota_get_le32(buf + 396);
    for (unsigned i = 0; i < AGENT_UPDATE_REJECT_MAX; i++)
        fota_version_get(&r->rejected[i], buf + 400 + 8 * i);
    r->manifest_seq = fota_get_le32(buf + 464);
    for (unsigned i = 0; i < AGENT_TIME_COUNT; i++)
        r->phase_ms[i] = fota_get_le32(buf + 468 + 4 * i);
    if (r->downloaded > r->size)
        goto bad;
    return 0;
bad:
    memset(r, 0, sizeof(*r));
    return FOTA_ERR_CORRUPT;
}

/* ---- helpers ---------------------------------------------------------------------- */

static void upd_log(agent_update_t *u, int level, const char *a, const char *b,
                    int32_t v, bool with_v)
{
    char msg[AGENT_UPDATE_DETAIL_SIZE + 64]; /* room for err_detail */
    fota_sb_t s;

    if (!u->p.log)
        return;
    fota_sb_init(&s, msg, sizeof(msg));
    fota_sb_puts(&s, a);
    if (b)
        fota_sb_puts(&s, b);
    if (with_v) {
        fota_sb_puts(&s, " ");
        fota_sb_put_i64(&s, v);
        if (v < 0) {
            fota_sb_puts(&s, " (");
            fota_sb_puts(&s, agent_update_strerror(v));
            fota_sb_puts(&s, ")");
        }
    }
    u->p.log->ops->write(u->p.log, level, msg);
}

void agent_update_log(agent_update_t *u, int level, const char *a,
                      const char *b, int32_t v, bool with_v)
{
    upd_log(u, level, a, b, v, with_v);
}

static void upd_event(agent_update_t *u, int ev, uint32_t done, uint32_t total)
{
    if (u->p.event)
        u->p.event(u->p.event_ctx, ev, done, total);
}

static bool ver_eq(const fota_version_t *a, const fota_version_t *b)
{
    return fota_version_cmp(a, b) == 0;
}

static int rec_save(agent_update_t *u)
{
    uint8_t *buf = u->io; /* the I/O buffer is free whenever we persist */
    int rc;

    u->rec.seq++;
    agent_upd_rec_encode(&u->rec, buf);
    rc = u->p.storage->ops->rec_write(u->p.storage, u->rec_copy, buf,
                                      AGENT_STORAGE_REC_SIZE);
    if (rc < 0)
        return rc;
    u->rec_copy ^= 1u;
    return 0;
}

static int rec_load(agent_update_t *u)
{
    agent_upd_rec_t r[2];
    bool ok[2];

    for (unsigned c = 0; c < 2; c++) {
        int rc = u->p.storage->ops->rec_read(u->p.storage, c, u->io,
                                             AGENT_STORAGE_REC_SIZE);
        if (rc < 0 && rc != FOTA_ERR_NOENT)
            return rc;
        ok[c] = rc == 0 && agent_upd_rec_decode(&r[c], u->io) == 0;
    }
    memset(&u->rec, 0, sizeof(u->rec));
    u->rec_copy = 0;
    /* Newest valid copy wins (sequence numbers compared with wrap). */
    if (ok[0] && (!ok[1] || (int32_t)(r[0].seq - r[1].seq) > 0)) {
        u->rec = r[0];
        u->rec_copy = 1;
    } else if (ok[1]) {
        u->rec = r[1];
        u->rec_copy = 0;
    }
    return 0;
}

/* URL of object key (bucket-relative) into u->url. */
static int upd_url(agent_update_t *u, const char *key_a, const char *key_b,
                   const char *key_c)
{
    fota_sb_t s;
    int n;

    fota_sb_init(&s, u->url, sizeof(u->url));
    fota_sb_puts(&s, u->cfg.endpoint);
    if (s.len && s.p[s.len - 1] == '/')
        s.p[--s.len] = '\0';
    fota_sb_puts(&s, "/");
    fota_sb_puts(&s, u->cfg.bucket);
    fota_sb_puts(&s, "/");
    for (int i = 0; i < 3; i++) {
        const char *k = i == 0 ? key_a : i == 1 ? key_b : key_c;

        if (!k || !*k)
            continue;
        if (s.overflow)
            return FOTA_ERR_NOMEM;
        n = agent_sigv4_uri_encode(k, strlen(k), 1, s.p + s.len, s.cap - s.len);
        if (n < 0)
            return n;
        s.len += (size_t)n;
    }
    return s.overflow ? FOTA_ERR_NOMEM : 0;
}

/* Manifest / report keys live under the prefix. */
static const char *upd_prefix_sep(const agent_update_t *u)
{
    return u->cfg.prefix[0] ? "/" : "";
}

static int upd_prefixed_url(agent_update_t *u, const char *rest,
                            const char *tail)
{
    char key[AGENT_MANIFEST_KEY_SIZE + 64];
    fota_sb_t s;

    fota_sb_init(&s, key, sizeof(key));
    fota_sb_puts(&s, u->cfg.prefix);
    fota_sb_puts(&s, upd_prefix_sep(u));
    fota_sb_puts(&s, rest);
    if (tail)
        fota_sb_puts(&s, tail);
    if (s.overflow)
        return FOTA_ERR_NOMEM;
    return upd_url(u, key, NULL, NULL);
}

static int upd_transport_error(agent_update_t *u, const char *method, int rc);

/* Open a request on u->url, signed when credentials are configured. */
static int upd_open(agent_update_t *u, agent_http_req_t *req,
                    const char *method)
{
    agent_http_hdr_t hdr[4];
    size_t n = 0;
    int rc;

    req->url = u->url;
    if (!req->timeout_ms)
        req->timeout_ms = u->cfg.http_timeout_ms;
    if (u->cfg.access_key && u->cfg.access_key[0]) {
        agent_sigv4_cred_t cred = {
            .access_key = u->cfg.access_key,
            .secret_key = u->cfg.secret_key ? u->cfg.secret_key : "",
            .session_token = u->cfg.session_token,
            .region = u->cfg.region,
            .service = "s3",
        };
        char ts[AGENT_SIGV4_TIMESTAMP_SIZE + 4];
        char hash_hex[AGENT_SIGV4_HEX_SIZE];
        const char *payload = NULL;
        uint64_t now;

        if (!u->p.utc)
            return FOTA_ERR_INVAL;
        rc = u->p.utc->ops->now(u->p.utc, &now);
        if (rc < 0)
            return rc;
        /* After a RequestTimeTooSkewed: the server's clock, as a hint. */
        now = (uint64_t)((int64_t)now + u->clock_hint_s);
        agent_update_format_utc(now, false, ts);
        if (req->body_len) {
            fota_sha256_t sha;
            uint8_t dig[FOTA_SHA256_SIZE];

            fota_sha256_init(&sha);
            fota_sha256_update(&sha, req->body, req->body_len);
            fota_sha256_final(&sha, dig);
            agent_sigv4_hex(dig, sizeof(dig), hash_hex);
            payload = hash_hex;
        }
        rc = agent_sigv4_sign_url(method, u->url, NULL, 0, payload, ts, &cred,
                                  &u->sig);
        if (rc < 0)
            return rc;
        hdr[n++] = (agent_http_hdr_t){"x-amz-date", u->sig.date};
        hdr[n++] =
            (agent_http_hdr_t){"x-amz-content-sha256", u->sig.content_sha256};
        hdr[n++] = (agent_http_hdr_t){"Authorization", u->sig.authorization};
        if (u->cfg.session_token)
            hdr[n++] = (agent_http_hdr_t){"x-amz-security-token",
                                          u->cfg.session_token};
    }
    req->headers = hdr;
    req->n_headers = n;
    rc = u->p.http->ops->open(u->p.http, req);
    if (rc < 0) {
        (void)upd_transport_error(u, method, rc);
        u->p.http->ops->close(u->p.http);
        return rc;
    }
    u->stats.last_http = u->p.http->ops->status(u->p.http);
    return 0;
}

/* An HTTP status that is not what the step expected, as an error. */
static int upd_http_error(int status)
{
    switch (status) {
    case 401:
    case 403:
        return FOTA_ERR_AUTH;
    case 404:
        return FOTA_ERR_NOENT;
    case 412:
        return FOTA_ERR_STALE;
    case 416:
        return FOTA_ERR_RANGE;
    default:
        return status >= 0 ? FOTA_ERR_IO : status;
    }
}

/* ---- errors that say what happened ------------------------------------------- */

/* Days since 1970-01-01 of a civil date (proleptic Gregorian; the inverse
 * of the conversion in agent_update_format_utc). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    int64_t era;
    unsigned yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (153u * (m > 2 ? m - 3u : m + 9u) + 2u) / 5u + d - 1u;
    doe = yoe * 365u + yoe / 4u - yoe / 100u + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static bool dec_field(const char **p, unsigned digits, unsigned *out)
{
    unsigned v = 0;

    for (unsigned i = 0; i < digits; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return false;
        v = v * 10u + (unsigned)(c - '0');
    }
    *p += digits;
    *out = v;
    return true;
}

int agent_update_parse_http_date(const char *s, uint64_t *unix_s)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    unsigned day, mon = 0, year, hh, mm, ss;
    const char *p = s;

    if (s == NULL || unix_s == NULL)
        return FOTA_ERR_INVAL;
    /* IMF-fixdate (RFC 9110 section 5.6.7): "Sun, 06 Nov 1994 08:49:37 GMT" */
    if (strlen(s) != 29 || s[3] != ',' || s[4] != ' ')
        return FOTA_ERR_PROTO;
    p = s + 5;
    if (!dec_field(&p, 2, &day) || *p++ != ' ')
        return FOTA_ERR_PROTO;
    for (unsigned i = 0; i < 12; i++)
        if (strncmp(p, months + 3 * i, 3) == 0)
            mon = i + 1;
    p += 3;
    if (mon == 0 || *p++ != ' ' || !dec_field(&p, 4, &year) || *p++ != ' ' ||
        !dec_field(&p, 2, &hh) || *p++ != ':' || !dec_field(&p, 2, &mm) ||
        *p++ != ':' || !dec_field(&p, 2, &ss) || strcmp(p, " GMT") != 0)
        return FOTA_ERR_PROTO;
    if (day < 1 || day > 31 || year < 1970 || hh > 23 || mm > 59 || ss > 60)
        return FOTA_ERR_PROTO;
    *unix_s = (uint64_t)days_from_civil(year, mon, day) * 86400u + hh * 3600u +
              mm * 60u + ss;
    return 0;
}

/* The text between <tag> and </tag> in an S3 XML error body, or "". */
static void xml_tag(const char *body, const char *tag, char *out, size_t size)
{
    char open[24];
    const char *a;
    const char *b;
    fota_sb_t s;
    size_t n;

    out[0] = '\0';
    fota_sb_init(&s, open, sizeof(open));
    fota_sb_puts(&s, "<");
    fota_sb_puts(&s, tag);
    fota_sb_puts(&s, ">");
    if (s.overflow || (a = strstr(body, open)) == NULL)
        return;
    a += s.len;
    b = strstr(a, "</");
    if (b == NULL || strncmp(b + 2, tag, strlen(tag)) != 0)
        return;
    n = (size_t)(b - a);
    if (n >= size)
        n = size - 1;
    memcpy(out, a, n);
    out[n] = '\0';
}

/* Start u->err_detail with "<METHOD> <url>: ". */
static void detail_start(agent_update_t *u, fota_sb_t *s, const char *method)
{
    fota_sb_init(s, u->err_detail, sizeof(u->err_detail));
    fota_sb_puts(s, method);
    fota_sb_puts(s, " ");
    fota_sb_puts(s, u->url);
    fota_sb_puts(s, ": ");
}

/* A transport failure (open() or read() failed) of a request on u->url. */
static int upd_transport_error(agent_update_t *u, const char *method, int rc)
{
    char text[96];
    fota_sb_t s;

    detail_start(u, &s, method);
    fota_sb_puts(&s, agent_update_strerror(rc));
    text[0] = '\0';
    if (u->p.http->ops->error_text)
        u->p.http->ops->error_text(u->p.http, text, sizeof(text));
    if (text[0]) {
        fota_sb_puts(&s, " (");
        fota_sb_puts(&s, text);
        fota_sb_puts(&s, ")");
    }
    return rc;
}

/* The image body stopped at pos of size bytes. */
static void upd_body_error(agent_update_t *u, int rc, uint32_t pos,
                           uint32_t size)
{
    fota_sb_t s;
    size_t n;

    (void)upd_transport_error(u, "GET", rc);
    n = strlen(u->err_detail);
    /* Append to what upd_transport_error wrote. */
    s = (fota_sb_t){.p = u->err_detail, .cap = sizeof(u->err_detail), .len = n};
    fota_sb_puts(&s, " after ");
    fota_sb_put_u64(&s, pos);
    fota_sb_puts(&s, " of ");
    fota_sb_put_u64(&s, size);
    fota_sb_puts(&s, " bytes");
}

static int upd_header(agent_update_t *u, const char *name, char *buf,
                      size_t len)
{
    buf[0] = '\0';
    if (!u->p.http->ops->header)
        return FOTA_ERR_NOENT;
    return u->p.http->ops->header(u->p.http, name, buf, len);
}

/* RequestTimeTooSkewed: how far the device's clock is off, from the
 * server's Date; later requests are signed with that offset applied. */
static void upd_clock_hint(agent_update_t *u, fota_sb_t *s)
{
    char date[40];
    uint64_t server, device;
    int64_t ahead;

    if (upd_header(u, "Date", date, sizeof(date)) < 0 ||
        agent_update_parse_http_date(date, &server) < 0 || !u->p.utc ||
        u->p.utc->ops->now(u->p.utc, &device) < 0) {
        fota_sb_puts(s, "clock skew: the server sent no usable Date");
        return;
    }
    ahead = (int64_t)(device - server);
    fota_sb_puts(s, "clock skew: device is ");
    fota_sb_put_u64(s, (uint64_t)(ahead < 0 ? -ahead : ahead));
    fota_sb_puts(s, ahead < 0 ? " s behind" : " s ahead");
    fota_sb_puts(s, " (server Date ");
    fota_sb_puts(s, date);
    fota_sb_puts(s, "); signing with the server's time until the clock is set");
    u->clock_hint_s = -ahead;
}

/*
 * A status the step did not expect, explained: reads the (small) S3 XML
 * error body of the open response, maps its <Code> to an error and writes
 * "<METHOD> <url>: HTTP <status> <Code>: <Message>[; what to do]" to
 * u->err_detail. The response stays open (the caller closes it).
 */
static int upd_s3_error(agent_update_t *u, const char *method, int st)
{
    char *body = (char *)u->io;
    char code[48], msg[128], region[40];
    size_t n = 0;
    fota_sb_t s;
    int rc = upd_http_error(st);

    while (n < sizeof(u->io) - 1) {
        int r =
            u->p.http->ops->read(u->p.http, u->io + n, sizeof(u->io) - 1 - n);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    body[n] = '\0';
    xml_tag(body, "Code", code, sizeof(code));
    xml_tag(body, "Message", msg, sizeof(msg));
    if (upd_header(u, "x-amz-bucket-region", region, sizeof(region)) < 0)
        xml_tag(body, "Region", region, sizeof(region));

    detail_start(u, &s, method);
    fota_sb_puts(&s, "HTTP ");
    fota_sb_put_u64(&s, (uint64_t)st);
    if (code[0]) {
        fota_sb_puts(&s, " ");
        fota_sb_puts(&s, code);
    }
    if (msg[0]) {
        fota_sb_puts(&s, ": ");
        fota_sb_puts(&s, msg);
    }
    fota_sb_puts(&s, "; ");
    if (st == 301 || st == 307 || strcmp(code, "PermanentRedirect") == 0 ||
        strcmp(code, "TemporaryRedirect") == 0) {
        rc = AGENT_ERR_REDIRECT;
        fota_sb_puts(&s, "redirect: bucket is in ");
        fota_sb_puts(&s, region[0] ? region : "another region (not named)");
    } else if (strcmp(code, "RequestTimeTooSkewed") == 0) {
        rc = AGENT_ERR_CLOCK_SKEW;
        upd_clock_hint(u, &s);
    } else if (strcmp(code, "NoSuchBucket") == 0) {
        rc = AGENT_ERR_NO_BUCKET;
        fota_sb_puts(&s, "no such bucket: ");
        fota_sb_puts(&s, u->cfg.bucket);
    } else if (strcmp(code, "NoSuchKey") == 0) {
        rc = FOTA_ERR_NOENT;
        fota_sb_puts(&s, "no such object");
    } else if (strcmp(code, "AccessDenied") == 0) {
        rc = FOTA_ERR_PERM;
        fota_sb_puts(&s, "access denied by the bucket policy");
    } else if (strcmp(code, "SignatureDoesNotMatch") == 0 ||
               strcmp(code, "InvalidAccessKeyId") == 0) {
        rc = FOTA_ERR_AUTH;
        fota_sb_puts(&s, "check the access key and secret");
    } else {
        fota_sb_puts(&s, agent_update_strerror(rc));
    }
    return rc;
}

const char *agent_update_strerror(int err)
{
    switch (err) {
    case AGENT_ERR_CONNECT:
        return "cannot connect (refused or unreachable)";
    case AGENT_ERR_DNS:
        return "host name not resolved";
    case AGENT_ERR_TLS:
        return "TLS handshake or certificate failed";
    case AGENT_ERR_DROPPED:
        return "connection dropped";
    case AGENT_ERR_REDIRECT:
        return "redirect: bucket in another region";
    case AGENT_ERR_CLOCK_SKEW:
        return "clock skew";
    case AGENT_ERR_NO_BUCKET:
        return "no such bucket";
    case AGENT_ERR_MANIFEST_UNSIGNED:
        return "manifest not signed";
    case AGENT_ERR_MANIFEST_EXPIRED:
        return "manifest expired";
    case AGENT_ERR_MANIFEST_REPLAYED:
        return "manifest older than one accepted (replay)";
    default:
        return fota_strerror(err);
    }
}

/* ---- target ---------------------------------------------------------------------- */

/* Read the target's status from its running application (nothing is
 * reset: docs/protocol.md, "Talking to a running application"). */
static int upd_app_status(agent_update_t *u)
{
    fota_app_info_t info;
    int rc = agent_proto_app_status(u->p.target, &info);

    if (rc < 0)
        return rc;
    u->status = info.status;
    u->status_valid = true;
    u->app = info;
    u->app_valid = true;
    u->target_reached = true;
    return 0;
}

/* The target's status through the bootloader: used as it is when it
 * already listens in update mode, otherwise reset into it (the only way to
 * ask a target whose application does not answer), then rebooted so that
 * the application runs again. */
static int upd_boot_status(agent_update_t *u)
{
    int rc;

    u->status_valid = false;
    u->app_valid = false;
    rc = agent_proto_enter_update_gently(u->p.target);
    if (rc < 0)
        goto out;
    rc = agent_proto_status(u->p.target, &u->status);
    if (rc < 0)
        goto out;
    u->status_valid = true;
    u->target_reached = true;
    rc = agent_proto_reboot(u->p.target);
out:
    if (rc < 0) {
        (void)agent_proto_release(u->p.target);
        upd_log(u, AGENT_LOG_WARN, "target status failed", NULL, rc, true);
    }
    return rc;
}

/* Read the target's status: ask the application; only when none answers,
 * go through the bootloader. */
static int upd_target_status(agent_update_t *u)
{
    u->status_valid = false;
    u->app_valid = false;
    if (upd_app_status(u) == 0)
        return 0;
    return upd_boot_status(u);
}

int agent_update_target_status(agent_update_t *u)
{
    return upd_target_status(u);
}

/* The version the target runs confirmed, or false in the factory state. */
static bool upd_running(const agent_update_t *u, fota_version_t *v, int *slot)
{
    const fota_status_t *st = &u->status;

    if (!u->status_valid || st->active_slot >= FOTA_SLOT_COUNT ||
        st->slot[st->active_slot].state != FOTA_SLOT_CONFIRMED)
        return false;
    *v = st->slot[st->active_slot].version;
    if (slot)
        *slot = st->active_slot;
    return true;
}

static bool upd_is_rejected(const agent_update_t *u, const fota_version_t *v)
{
    for (unsigned i = 0; i < u->rec.n_rejected; i++)
        if (ver_eq(&u->rec.rejected[i], v))
            return true;
    if (u->status_valid)
        for (int s = 0; s < FOTA_SLOT_COUNT; s++)
            if (u->status.slot[s].state == FOTA_SLOT_REJECTED &&
                ver_eq(&u->status.slot[s].version, v))
                return true;
    return false;
}

static void upd_remember_rejected(agent_update_t *u, const fota_version_t *v)
{
    for (unsigned i = 0; i < u->rec.n_rejected; i++)
        if (ver_eq(&u->rec.rejected[i], v))
            return;
    if (u->rec.n_rejected == AGENT_UPDATE_REJECT_MAX) {
        /* Forget the oldest; the target's journal still remembers it. */
        memmove(&u->rec.rejected[0], &u->rec.rejected[1],
                sizeof(u->rec.rejected[0]) * (AGENT_UPDATE_REJECT_MAX - 1));
        u->rec.n_rejected--;
    }
    u->rec.rejected[u->rec.n_rejected++] = *v;
}

/* ---- phase times ----------------------------------------------------------------- */

/* Add the time since t0 on clock c to phase t of the update in rec. */
static void upd_time_add(agent_update_t *u, int t, agent_clock_t *c,
                         uint32_t t0)
{
    uint32_t d = c->ops->now_ms(c) - t0;
    uint32_t *p = &u->rec.phase_ms[t];

    *p = UINT32_MAX - *p < d ? UINT32_MAX : *p + d;
}

/* ---- report ---------------------------------------------------------------------- */

static void upd_report(agent_update_t *u, int outcome, int err)
{
    agent_http_req_t req;
    fota_version_t run;
    int slot = -1;
    uint64_t now = 0;
    char ts[24];
    fota_sb_t s;
    int rc;

    if (!u->cfg.report || !u->cfg.access_key || !u->cfg.access_key[0] ||
        !u->p.utc)
        return;
    if (u->p.utc->ops->now(u->p.utc, &now) < 0)
        now = 0;
    agent_update_format_utc(now, true, ts);
    fota_sb_init(&s, u->report, sizeof(u->report));
    fota_sb_puts(&s, "{\"device\":\"");
    fota_sb_puts(&s, u->cfg.device_id);
    fota_sb_puts(&s, "\",\"product\":\"");
    fota_sb_puts(&s, u->cfg.product);
    fota_sb_puts(&s, "\",\"state\":\"");
    fota_sb_puts(&s, agent_update_outcome_name(outcome));
    fota_sb_puts(&s, "\",\"running_version\":");
    if (upd_running(u, &run, &slot)) {
        fota_sb_puts(&s, "\"");
        sb_ver(&s, &run);
        fota_sb_puts(&s, "\",\"running_slot\":\"");
        fota_sb_puts(&s, slot == 0 ? "a" : "b");
        fota_sb_puts(&s, "\"");
    } else {
        fota_sb_puts(&s, "null,\"running_slot\":null");
    }
    fota_sb_puts(&s, ",\"target_version\":");
    if (u->rec.size) {
        fota_sb_puts(&s, "\"");
        sb_ver(&s, &u->rec.version);
        fota_sb_puts(&s, "\"");
    } else {
        fota_sb_puts(&s, "null");
    }
    fota_sb_puts(&s, ",\"rejected\":[");
    for (unsigned i = 0; i < u->rec.n_rejected; i++) {
        fota_sb_puts(&s, i ? ",\"" : "\"");
        sb_ver(&s, &u->rec.rejected[i]);
        fota_sb_puts(&s, "\"");
    }
    fota_sb_puts(&s, "],\"last_error\":\"");
    fota_sb_puts(&s, err ? agent_update_strerror(err) : "none");
    fota_sb_puts(&s, "\",\"last_error_code\":");
    fota_sb_put_i64(&s, err);
    fota_sb_puts(&s, ",\"error_detail\":\"");
    sb_json(&s, err ? u->err_detail : "");
    fota_sb_puts(&s, "\"");
    fota_sb_puts(&s, ",\"bytes_downloaded\":");
    fota_sb_put_u64(&s, u->rec.downloaded ? u->rec.downloaded
                                          : u->report_downloaded);
    fota_sb_puts(&s, ",\"artifact\":");
    if (u->rec.key[0]) {
        fota_sb_puts(&s, "\"");
        sb_json(&s, u->rec.key);
        fota_sb_puts(&s, "\"");
    } else {
        fota_sb_puts(&s, "null");
    }
    fota_sb_puts(&s, ",\"manifest_sequence\":");
    fota_sb_put_u64(&s, u->rec.manifest_seq);
    fota_sb_puts(&s, ",\"download_restarts\":");
    fota_sb_put_u64(&s, u->rec.restarts);
    fota_sb_puts(&s, ",\"phase_ms\":{");
    for (int i = 0; i < AGENT_TIME_COUNT; i++) {
        fota_sb_puts(&s, i ? ",\"" : "\"");
        fota_sb_puts(&s, agent_update_time_name(i));
        fota_sb_puts(&s, "\":");
        fota_sb_put_u64(&s, u->rec.phase_ms[i]);
    }
    fota_sb_puts(&s, "}");
    fota_sb_puts(&s, ",\"cycles\":");
    fota_sb_put_u64(&s, u->stats.cycles);
    fota_sb_puts(&s, ",\"time\":\"");
    fota_sb_puts(&s, ts);
    fota_sb_puts(&s, "\"}\n");
    if (s.overflow)
        return;
    rc = upd_prefixed_url(u, "reports/", u->cfg.device_id);
    if (rc == 0) {
        size_t l = strlen(u->url);
        if (l + 6 > sizeof(u->url))
            return;
        memcpy(u->url + l, ".json", 6);
    }
    if (rc < 0)
        return;
    memset(&req, 0, sizeof(req));
    req.method = AGENT_HTTP_PUT;
    req.body = (const uint8_t *)u->report;
    req.body_len = s.len;
    req.content_type = "application/json";
    rc = upd_open(u, &req, "PUT");
    if (rc == 0) {
        int st = u->p.http->ops->status(u->p.http);
        if (st == 200 || st == 201 || st == 204) {
            while (u->p.http->ops->read(u->p.http, u->io, sizeof(u->io)) > 0)
                ;
            u->p.http->ops->close(u->p.http);
            u->stats.reports++;
            return;
        }
        (void)upd_s3_error(u, "PUT", st); /* fills err_detail */
        u->p.http->ops->close(u->p.http);
    }
    upd_log(u, AGENT_LOG_WARN, "report: PUT failed: ", u->err_detail, 0, false);
}

/* ---- cycle end ------------------------------------------------------------------- */

static int upd_finish(agent_update_t *u, int outcome)
{
    int rc;

    if (outcome == AGENT_OUT_ROLLED_BACK)
        upd_remember_rejected(u, &u->rec.version);
    if (outcome == AGENT_OUT_UPDATED || outcome == AGENT_OUT_ROLLED_BACK) {
        /* The report below still tells what this update fetched. */
        u->report_downloaded = u->rec.downloaded;
        u->rec.phase = AGENT_UPD_IDLE;
        u->rec.downloaded = 0;
        u->rec.verified = 0;
        u->rec.image_etag[0] = '\0';
    }
    u->rec.last_error = 0;
    u->rec.last_outcome = (uint8_t)outcome;
    rc = rec_save(u);
    if (rc < 0)
        return rc;
    u->outcome = (uint8_t)outcome;
    u->last_error = 0;
    u->stats.errors = 0;
    upd_log(u, AGENT_LOG_INFO, "cycle: ", agent_update_outcome_name(outcome), 0,
            false);
    upd_event(u, AGENT_EV_OUTCOME, (uint32_t)outcome, 0);
    if (outcome == AGENT_OUT_UPDATED || outcome == AGENT_OUT_ROLLED_BACK)
        upd_report(u, outcome, 0);
    return outcome;
}

static int upd_fail(agent_update_t *u, int err)
{
    u->outcome = AGENT_OUT_ERROR;
    u->last_error = err;
    u->stats.errors++;
    u->rec.last_error = err;
    u->rec.last_outcome = AGENT_OUT_ERROR;
    (void)rec_save(u);
    upd_log(u, AGENT_LOG_WARN, "cycle failed:", NULL, err, true);
    if (u->err_detail[0])
        upd_log(u, AGENT_LOG_WARN, "  ", u->err_detail, 0, false);
    upd_event(u, AGENT_EV_OUTCOME, AGENT_OUT_ERROR, 0);
    upd_report(u, AGENT_OUT_ERROR, err);
    return err;
}

/* ---- poll ----------------------------------------------------------------------- */

/* GET the manifest. *changed false on 304. A 200 leaves the text in u->text
 * (length *len) and its ETag in *etag. */
static int upd_poll(agent_update_t *u, bool *changed, size_t *len, char *etag)
{
    agent_http_req_t req;
    int rc, st;
    size_t n = 0;

    *changed = false;
    rc = upd_prefixed_url(u, "manifest.json", NULL);
    if (rc < 0)
        return rc;
    memset(&req, 0, sizeof(req));
    req.method = AGENT_HTTP_GET;
    req.if_none_match = u->rec.manifest_etag[0] ? u->rec.manifest_etag : NULL;
    u->stats.manifest_gets++;
    rc = upd_open(u, &req, "GET");
    if (rc < 0)
        return rc;
    st = u->stats.last_http;
    upd_event(u, AGENT_EV_POLL, (uint32_t)st, 0);
    u->s3_reached = st == 200 || st == 304;
    if (st == 304) {
        u->stats.not_modified++;
        goto out;
    }
    if (st != 200) {
        rc = upd_s3_error(u, "GET", st);
        goto out;
    }
    if (u->p.http->ops->etag(u->p.http, etag, AGENT_HTTP_ETAG_MAX) < 0)
        etag[0] = '\0';
    for (;;) {
        if (n == sizeof(u->text)) {
            rc = FOTA_ERR_CORRUPT; /* larger than any valid manifest */
            goto out;
        }
        int r = u->p.http->ops->read(u->p.http, (uint8_t *)u->text + n,
                                     sizeof(u->text) - n);
        if (r < 0) {
            rc = upd_transport_error(u, "GET", r);
            goto out;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    *len = n;
    *changed = true;
out:
    u->p.http->ops->close(u->p.http);
    return rc;
}

/* ---- decide ------------------------------------------------------------------------ */

/* The staged rollout's answer for this device now (AGENT_SKIP_NONE: go). */
static uint8_t upd_rollout_skip(agent_update_t *u)
{
    uint64_t now = 0, wait = 0;
    unsigned phase = 0;
    int st;

    if (u->p.utc && u->p.utc->ops->now(u->p.utc, &now) < 0)
        now = 0; /* time unknown: only phases that start at 0 are open */
    st = agent_manifest_rollout_state(&u->manifest, u->cfg.device_id, now,
                                      &wait, &phase);
    if (st == AGENT_ROLLOUT_GO)
        return AGENT_SKIP_NONE;
    if (st == AGENT_ROLLOUT_HALTED)
        return AGENT_SKIP_HALTED;
    if (st == AGENT_ROLLOUT_WAIT) {
        char msg[64];
        fota_sb_t s;

        fota_sb_init(&s, msg, sizeof(msg));
        fota_sb_puts(&s, "phase ");
        fota_sb_put_u64(&s, phase + 1u);
        fota_sb_puts(&s, " opens for this device in ");
        fota_sb_put_u64(&s, wait);
        fota_sb_puts(&s, " s");
        upd_log(u, AGENT_LOG_INFO, "decide: waiting, ", msg, 0, false);
        return AGENT_SKIP_WAITING;
    }
    return AGENT_SKIP_ROLLOUT;
}

/* Returns 1 to take the release, 0 to skip it (u->stats.last_skip says
 * why), or an error. Needs u->manifest and a fresh target status. */
static int upd_decide(agent_update_t *u)
{
    const agent_manifest_t *m = &u->manifest;
    fota_version_t run;
    uint8_t skip = AGENT_SKIP_NONE;

    if (strncmp(m->product, u->cfg.product, sizeof(m->product)) != 0)
        skip = AGENT_SKIP_PRODUCT;
    else if (upd_running(u, &run, NULL) &&
             fota_version_cmp(&m->version, &run) <= 0)
        skip = AGENT_SKIP_NOT_NEWER;
    else if (upd_is_rejected(u, &m->version))
        skip = AGENT_SKIP_REJECTED;
    else if (m->security_counter < u->status.sec_floor)
        skip = AGENT_SKIP_SEC_FLOOR;
    else
        skip = upd_rollout_skip(u);
    u->stats.last_skip = skip;
    if (skip != AGENT_SKIP_NONE) {
        upd_log(u, AGENT_LOG_INFO, "decide: skip, ",
                agent_update_skip_name(skip), 0, false);
        return 0;
    }
    return 1;
}

/* Start a new update of the manifest's release into the inactive slot. */
static int upd_take(agent_update_t *u)
{
    const agent_manifest_t *m = &u->manifest;
    int slot = u->status.inactive_slot;
    const agent_manifest_slot_t *ms;

    if (slot < 0 || slot >= FOTA_SLOT_COUNT)
        return FOTA_ERR_PROTO;
    ms = &m->slot[slot];
    if (ms->size < FOTA_IMAGE_HDR_SIZE || ms->size % 4 ||
        ms->size > FOTA_SLOT_SIZE)
        return FOTA_ERR_CORRUPT;
    if (ms->size > u->p.storage->ops->size(u->p.storage))
        return FOTA_ERR_NOSPC;
    u->rec.phase = AGENT_UPD_DOWNLOADING;
    u->rec.slot = (uint8_t)slot;
    u->rec.image_etag[0] = '\0';
    memcpy(u->rec.key, ms->key, sizeof(u->rec.key));
    u->rec.version = m->version;
    u->rec.sec_counter = m->security_counter;
    u->rec.size = ms->size;
    memcpy(u->rec.sha256, ms->sha256, FOTA_SHA256_SIZE);
    u->rec.downloaded = 0;
    u->rec.verified = 0;
    memset(u->rec.phase_ms, 0, sizeof(u->rec.phase_ms));
    upd_time_add(u, AGENT_TIME_CHECK, u->p.clock, u->cycle_t0);
    upd_log(u, AGENT_LOG_INFO, "decide: installing ", m->version_str, 0, false);
    return rec_save(u);
}

/* ---- fetch ------------------------------------------------------------------------- */

static uint32_t upd_unit(agent_update_t *u)
{
    uint32_t unit = u->p.storage->ops->erase_unit(u->p.storage);

    return unit ? unit : 4096u;
}

static uint32_t round_up(uint32_t v, uint32_t unit)
{
    return (v + unit - 1u) / unit * unit;
}

/* Throw the staged bytes away: the next session starts at 0. */
static int upd_restart_download(agent_update_t *u)
{
    u->rec.downloaded = 0;
    u->rec.image_etag[0] = '\0';
    u->rec.restarts++;
    u->stats.restarts++;
    u->rec.phase = AGENT_UPD_DOWNLOADING;
    return rec_save(u);
}

/* Durable checkpoint at pos (erase-unit aligned or the end). */
static int upd_checkpoint(agent_update_t *u, uint32_t pos)
{
    int rc = u->p.storage->ops->sync(u->p.storage);

    if (rc < 0)
        return rc;
    u->rec.downloaded = pos;
    return rec_save(u);
}

/* A signed Range GET (agent_update.h). */
int agent_update_get_range(agent_update_t *u, const char *key, uint32_t off,
                           uint32_t end, const char *if_match)
{
    agent_http_req_t req;
    int rc = upd_url(u, key, NULL, NULL);

    if (rc < 0)
        return rc;
    memset(&req, 0, sizeof(req));
    req.method = AGENT_HTTP_GET;
    req.has_range = true;
    req.range_start = off;
    req.range_end = end;
    req.if_match = if_match && if_match[0] ? if_match : NULL;
    rc = upd_open(u, &req, "GET");
    if (rc < 0)
        return rc;
    if (u->stats.last_http == 200 || u->stats.last_http == 206)
        return 0;
    rc = u->stats.last_http == 412 || u->stats.last_http == 416
             ? FOTA_ERR_STALE
             : upd_s3_error(u, "GET", u->stats.last_http);
    u->p.http->ops->close(u->p.http);
    return rc;
}

/* One download session from rec.downloaded. Returns 0 when the whole image
 * is staged, FOTA_ERR_STALE when the object changed (the caller restarts),
 * or another error. */
static int upd_fetch_session(agent_update_t *u)
{
    agent_storage_t *sto = u->p.storage;
    uint32_t unit = upd_unit(u);
    uint32_t step = round_up(
        u->cfg.checkpoint_bytes ? u->cfg.checkpoint_bytes : unit, unit);
    uint32_t off = u->rec.downloaded;
    uint32_t size = u->rec.size;
    uint32_t pos, next_cp;
    char etag[AGENT_HTTP_ETAG_MAX];
    int rc, st;

    /* Bytes past the checkpoint may have been written before a restart:
     * erase from there (the checkpoint is on a unit boundary). */
    rc = sto->ops->erase(sto, off, round_up(size, unit) - off);
    if (rc < 0)
        return rc;
    if (off)
        u->stats.resumes++;
    u->stats.image_requests++;
    rc = agent_update_get_range(u, u->rec.key, off, size - 1u,
                                u->rec.image_etag);
    if (rc < 0)
        return rc;
    st = u->stats.last_http;
    /* Every 206/200 must carry the ETag the download started with: S3
     * answers 412 to a stale If-Match, but some servers (s3rver 3.7.1)
     * ignore If-Match on GET and would hand us the bytes of a replaced
     * object, which would be mixed with the ones already staged. */
    if (u->p.http->ops->etag(u->p.http, etag, sizeof(etag)) >= 0) {
        if (!u->rec.image_etag[0] && off) {
            /* The staged bytes came without an ETag: nothing ties them to
             * this object. */
            rc = FOTA_ERR_STALE;
            goto out;
        }
        if (!u->rec.image_etag[0]) {
            memcpy(u->rec.image_etag, etag, sizeof(etag));
            rc = rec_save(u);
            if (rc < 0)
                goto out;
        } else if (strcmp(etag, u->rec.image_etag) != 0) {
            upd_log(u, AGENT_LOG_WARN, "fetch: ETag changed to ", etag, 0,
                    false);
            rc = FOTA_ERR_STALE;
            goto out;
        }
    }
    if (st == 206) {
        uint32_t a, b, total;

        if (u->p.http->ops->content_range(u->p.http, &a, &b, &total) < 0 ||
            a != off || b != size - 1u) {
            rc = FOTA_ERR_PROTO;
            goto out;
        }
        if (total != size) {
            rc = FOTA_ERR_CORRUPT; /* not the object the manifest describes */
            goto out;
        }
    } else if (st == 200) {
        uint32_t cl;

        /* A server that ignores Range sends everything: usable from 0. */
        if (off) {
            rc = FOTA_ERR_STALE;
            goto out;
        }
        if (u->p.http->ops->content_length(u->p.http, &cl) == 0 && cl != size) {
            rc = FOTA_ERR_CORRUPT;
            goto out;
        }
    }
    pos = off;
    next_cp = off + step;
    while (pos < size) {
        uint32_t want =
            size - pos < sizeof(u->io) ? size - pos : (uint32_t)sizeof(u->io);
        int n = u->p.http->ops->read(u->p.http, u->io, want);

        if (n <= 0) {
            /* The connection dropped (or the body ended early). Keep what
             * arrived: make it durable up to the last erase-unit boundary
             * so the next request resumes there and not at the older
             * checkpoint. */
            rc = n < 0 ? n : AGENT_ERR_DROPPED;
            upd_body_error(u, rc, pos, size);
            if (pos / unit * unit > u->rec.downloaded &&
                upd_checkpoint(u, pos / unit * unit) < 0)
                upd_log(u, AGENT_LOG_WARN,
                        "fetch: checkpoint after drop failed", NULL, 0, false);
            goto out;
        }
        rc = sto->ops->write(sto, pos, u->io, (size_t)n);
        if (rc < 0)
            goto out;
        pos += (uint32_t)n;
        u->stats.image_bytes += (uint32_t)n;
        if (pos >= next_cp && pos < size) {
            rc = upd_checkpoint(u, pos / unit * unit);
            if (rc < 0)
                goto out;
            next_cp = u->rec.downloaded + step;
        }
        upd_event(u, AGENT_EV_DOWNLOAD, pos, size);
    }
    rc = upd_checkpoint(u, size);
out:
    u->p.http->ops->close(u->p.http);
    return rc;
}

bool agent_update_error_resumable(int rc)
{
    return !(rc == FOTA_ERR_AUTH || rc == FOTA_ERR_NOENT ||
             rc == FOTA_ERR_CORRUPT || rc == FOTA_ERR_NOMEM ||
             rc == FOTA_ERR_INVAL || rc == FOTA_ERR_NOSPC ||
             rc == FOTA_ERR_PERM || rc == AGENT_ERR_REDIRECT ||
             rc == AGENT_ERR_CLOCK_SKEW || rc == AGENT_ERR_NO_BUCKET ||
             rc == AGENT_ERR_DNS || rc == AGENT_ERR_TLS);
}

static int upd_fetch(agent_update_t *u)
{
    int rc = FOTA_ERR_IO;

    for (uint32_t i = 0; i < u->cfg.fetch_attempts; i++) {
        if (u->rec.downloaded == u->rec.size && u->rec.size)
            return 0;
        rc = upd_fetch_session(u);
        if (rc == 0)
            return 0;
        if (rc == FOTA_ERR_STALE) {
            upd_log(u, AGENT_LOG_WARN, "fetch: image changed, restarting at 0",
                    NULL, 0, false);
            int r2 = upd_restart_download(u);
            if (r2 < 0)
                return r2;
            continue;
        }
        if (!agent_update_error_resumable(rc))
            return rc; /* resuming cannot help */
        upd_log(u, AGENT_LOG_WARN, "fetch: interrupted, resuming at checkpoint",
                NULL, rc, true);
        /* Short pause before resuming; the cycle back-off handles the rest. */
        u->p.clock->ops->sleep_ms(u->p.clock, 100u << (i < 4 ? i : 4));
    }
    return rc;
}

/* ---- verify ------------------------------------------------------------------------ */

static int upd_verify(agent_update_t *u)
{
    agent_storage_t *sto = u->p.storage;
    fota_sha256_t file_sha, img_sha;
    uint8_t dig[FOTA_SHA256_SIZE];
    uint8_t hdr_buf[FOTA_IMAGE_HDR_SIZE];
    fota_image_hdr_t hdr;
    uint32_t size = u->rec.size;
    int rc;

    if (size < FOTA_IMAGE_HDR_SIZE)
        return FOTA_ERR_CORRUPT;
    rc = sto->ops->read(sto, 0, hdr_buf, sizeof(hdr_buf));
    if (rc < 0)
        return rc;
    rc = fota_image_hdr_decode(&hdr, hdr_buf);
    if (rc < 0)
        return rc;
    if (strncmp(hdr.product, u->cfg.product, FOTA_IMAGE_PRODUCT_LEN) != 0 ||
        !ver_eq(&hdr.version, &u->rec.version) ||
        hdr.sec_counter != u->rec.sec_counter ||
        (uint32_t)FOTA_IMAGE_HDR_SIZE + hdr.body_size != size)
        return FOTA_ERR_CORRUPT;
    rc = fota_image_check_slot(&hdr, u->rec.slot);
    if (rc < 0)
        return rc;
    fota_sha256_init(&file_sha);
    fota_sha256_update(&file_sha, hdr_buf, sizeof(hdr_buf));
    fota_image_hash_start(&img_sha, hdr_buf);
    for (uint32_t off = FOTA_IMAGE_HDR_SIZE; off < size;) {
        uint32_t n =
            size - off < sizeof(u->io) ? size - off : (uint32_t)sizeof(u->io);

        rc = sto->ops->read(sto, off, u->io, n);
        if (rc < 0)
            return rc;
        fota_sha256_update(&file_sha, u->io, n);
        fota_sha256_update(&img_sha, u->io, n);
        off += n;
    }
    fota_sha256_final(&file_sha, dig);
    if (memcmp(dig, u->rec.sha256, sizeof(dig)) != 0)
        return FOTA_ERR_CORRUPT;
    fota_sha256_final(&img_sha, dig);
    if (memcmp(dig, hdr.sha256, sizeof(dig)) != 0)
        return FOTA_ERR_CORRUPT;
    /* The hash is now proven to be the image's: check who signed it. */
    if (u->cfg.sign_pubkey != NULL)
        return fota_ed25519_verify_image(&hdr, u->cfg.sign_pubkey);
    return 0;
}

/* ---- flash, observe ---------------------------------------------------------------- */

static int upd_read_staged(void *ctx, uint32_t off, void *buf, size_t len)
{
    agent_update_t *u = ctx;

    return u->p.storage->ops->read(u->p.storage, off, buf, len);
}

static void upd_flash_progress(void *ctx, int phase, uint32_t done,
                               uint32_t total)
{
    agent_update_t *u = ctx;

    if (phase == AGENT_PHASE_WRITE)
        upd_event(u, AGENT_EV_FLASH, done, total);
    else if (phase == AGENT_PHASE_VERIFIED)
        upd_event(u, AGENT_EV_FLASH, total, total);
}

static int upd_flash(agent_update_t *u)
{
    agent_flash_req_t req;
    int rc;

    u->rec.phase = AGENT_UPD_FLASHING;
    u->rec.verified = 0;
    rc = rec_save(u);
    if (rc < 0)
        return rc;
    /* The protocol client writes whole images (erase, stream, Get
     * Checksum, commit): it has no ranged resume, so an interrupted flash
     * is rewritten from the start, which is always safe (only the inactive
     * slot is addressed). */
    memset(&req, 0, sizeof(req));
    req.read = upd_read_staged;
    req.read_ctx = u;
    req.len = u->rec.size;
    req.reboot = true;
    req.progress = upd_flash_progress;
    req.progress_ctx = u;
    u->stats.flashes++;
    rc = agent_proto_flash_image(u->p.target, &req);
    if (rc < 0) {
        /* Refused at commit: the bootloader still listens; boot the
         * running image again rather than leave it waiting. */
        if (u->p.target->commit_refused)
            (void)agent_proto_reboot(u->p.target);
        (void)agent_proto_release(u->p.target);
        return rc;
    }
    u->rec.verified = u->rec.size;
    u->rec.phase = AGENT_UPD_OBSERVING;
    rc = rec_save(u);
    if (rc < 0)
        return rc;
    upd_event(u, AGENT_EV_COMMITTED, u->rec.size, u->rec.size);
    return 0;
}

/* What the status says about the release in rec.slot:
 * AGENT_OUT_UPDATED, AGENT_OUT_ROLLED_BACK, 0 while pending, or -1 when
 * the slot does not hold it (never committed). */
static int upd_judge(const agent_update_t *u)
{
    const fota_status_t *st = &u->status;
    const fota_status_slot_t *s = &st->slot[u->rec.slot];

    if (!ver_eq(&s->version, &u->rec.version))
        return -1;
    if (s->state == FOTA_SLOT_CONFIRMED && st->active_slot == u->rec.slot)
        return AGENT_OUT_UPDATED;
    if (s->state == FOTA_SLOT_REJECTED)
        return AGENT_OUT_ROLLED_BACK;
    if (s->state == FOTA_SLOT_PENDING)
        return 0;
    return -1;
}

/* The confirm window the staged image declares (its header). */
static uint32_t upd_staged_window_ms(agent_update_t *u)
{
    fota_image_hdr_t hdr;

    if (u->p.storage->ops->read(u->p.storage, 0, u->io, FOTA_IMAGE_HDR_SIZE) <
            0 ||
        fota_image_hdr_decode(&hdr, u->io) < 0)
        return FOTA_CONFIRM_WINDOW_DEFAULT_MS;
    return fota_image_confirm_window_ms(&hdr);
}

/* The status from a bootloader found listening in update mode (a reset
 * landed while CS was low, or the trial image is gone): read it and
 * reboot so the boot decision runs again. */
static int upd_boot_listening_status(agent_update_t *u)
{
    int rc = agent_proto_status(u->p.target, &u->status);

    u->app_valid = false;
    if (rc == 0) {
        u->status_valid = true;
        rc = agent_proto_reboot(u->p.target);
    }
    if (rc < 0)
        (void)agent_proto_release(u->p.target);
    return rc;
}

/* After the commit and reboot. Reading the status from the application
 * resets nothing, so the agent asks every cfg.observe_wait_ms from the
 * reboot on and stops at the first verdict: confirmed (the trial image
 * runs confirmed) or rolled back (the previous image runs, the new one
 * rejected). A trial that needs its whole confirm window, or several
 * attempts, is simply asked more often; the budget covers every attempt
 * at twice the window the image declares (the IWDG fires no earlier than
 * the window, later on a slow LSI). No read costs an attempt. */
static int upd_observe_from(agent_update_t *u, uint32_t start)
{
    agent_clock_t *tclk = u->p.target->clock;
    uint32_t window = upd_staged_window_ms(u);
    uint32_t budget = 2u * window * (FOTA_TRIAL_ATTEMPTS + 1u);
    uint32_t step = u->cfg.observe_wait_ms ? u->cfg.observe_wait_ms : 500u;
    int rc = FOTA_ERR_TIMEOUT;

    for (;;) {
        tclk->ops->sleep_ms(tclk, step);
        rc = upd_app_status(u);
        if (rc < 0 && agent_proto_probe_boot(u->p.target) == 0)
            rc = upd_boot_listening_status(u);
        if (rc == 0) {
            int j = upd_judge(u);
            if (j > 0)
                return j;
            if (j < 0)
                return FOTA_ERR_NOENT; /* the commit did not stick */
            rc = FOTA_ERR_TIMEOUT;
        }
        if (tclk->ops->now_ms(tclk) - start >= budget)
            return rc;
    }
}

/* The observer, its time counted as AGENT_TIME_TRIAL. */
static int upd_observe(agent_update_t *u)
{
    agent_clock_t *tclk = u->p.target->clock;
    uint32_t t0 = tclk->ops->now_ms(tclk);
    int rc = upd_observe_from(u, t0);

    upd_time_add(u, AGENT_TIME_TRIAL, tclk, t0);
    return rc;
}

/* Whether a slot is PENDING: a committed image whose trial has not ended. */
static bool upd_trial_pending(const agent_update_t *u)
{
    for (int s = 0; s < FOTA_SLOT_COUNT; s++)
        if (u->status.slot[s].state == FOTA_SLOT_PENDING)
            return true;
    return false;
}

/* A trial the agent did not watch to its end (it was restarted between
 * the commit and the outcome, or the manifest changed meanwhile): the
 * reboot after each status read starts or continues that trial, and its
 * outcome moves the slots (the inactive slot is the pending one until
 * then). Wait for it before deciding anything on the status, as the
 * observer does. Returns 0 once no slot is pending, FOTA_ERR_BUSY if one
 * still is after observe_tries, or a target error. */
static int upd_settle_trial(agent_update_t *u)
{
    agent_clock_t *tclk = u->p.target->clock;
    uint32_t window = u->app_valid ? u->app.confirm_window_ms
                                   : FOTA_CONFIRM_WINDOW_DEFAULT_MS;
    int rc;

    for (uint32_t i = 0; i < u->cfg.observe_tries && upd_trial_pending(u);
         i++) {
        /* A trial is running: let it have its window before asking again
         * (asking never resets a running application). */
        tclk->ops->sleep_ms(tclk, window + u->cfg.observe_wait_ms);
        rc = upd_target_status(u);
        if (rc < 0)
            return rc;
    }
    return upd_trial_pending(u) ? FOTA_ERR_BUSY : 0;
}

/* ---- the cycle --------------------------------------------------------------------- */

/* Continue the persisted update after reconciling it with the target. */
static int upd_resume(agent_update_t *u, bool have_status)
{
    agent_clock_t *tclk = u->p.target->clock;
    uint32_t t0;
    int rc, j;

    if (!have_status) {
        rc = upd_target_status(u);
        if (rc < 0)
            return upd_fail(u, rc);
    }
    j = upd_judge(u);
    if (j < 0 && upd_trial_pending(u)) {
        /* Another image's trial is under way: its end decides which slot
         * is inactive. */
        rc = upd_settle_trial(u);
        if (rc < 0)
            return upd_fail(u, rc);
        j = upd_judge(u);
    }
    if (j > 0)
        return upd_finish(u, j); /* finished while the agent was away */
    if (j == 0 || u->rec.phase == AGENT_UPD_OBSERVING) {
        if (j == 0) {
            rc = upd_observe(u);
            if (rc > 0)
                return upd_finish(u, rc);
            return upd_fail(u, rc);
        }
        /* Observing, but the slot does not hold the release: flash again. */
        u->rec.phase = AGENT_UPD_STAGED;
    }
    if (u->status.inactive_slot != u->rec.slot) {
        /* The target's slots moved (another update, a rollback): the staged
         * image is linked for the wrong slot. Forget it and the manifest
         * ETag so the next cycle decides again. */
        u->rec.phase = AGENT_UPD_IDLE;
        u->rec.downloaded = 0;
        u->rec.manifest_etag[0] = '\0';
        (void)rec_save(u);
        return upd_fail(u, FOTA_ERR_STALE);
    }
    t0 = u->p.clock->ops->now_ms(u->p.clock);
    if (u->rec.phase == AGENT_UPD_DOWNLOADING) {
        rc = upd_fetch(u);
        if (rc < 0) {
            upd_time_add(u, AGENT_TIME_DOWNLOAD, u->p.clock, t0);
            goto failed;
        }
    }
    rc = upd_verify(u);
    upd_time_add(u, AGENT_TIME_DOWNLOAD, u->p.clock, t0);
    if (rc < 0) {
        upd_log(u, AGENT_LOG_ERROR, "verify: staged image rejected", NULL, rc,
                true);
        /* Nothing reached the target. Start over from 0, and re-read the
         * manifest next time (it may have been fixed). */
        (void)upd_restart_download(u);
        u->rec.manifest_etag[0] = '\0';
        (void)rec_save(u);
        return upd_fail(u, rc);
    }
    u->rec.phase = AGENT_UPD_STAGED;
    rc = rec_save(u);
    if (rc < 0)
        return upd_fail(u, rc);
    upd_event(u, AGENT_EV_VERIFIED, u->rec.size, u->rec.size);
    t0 = tclk->ops->now_ms(tclk);
    rc = upd_flash(u);
    upd_time_add(u, AGENT_TIME_FLASH, tclk, t0);
    if (rc < 0) {
        /* The bootloader refused this release for good (it failed its
         * trial before, or its signature is not by the bootloader's key):
         * never download it again. */
        if (rc == FOTA_ERR_REJECTED || rc == FOTA_ERR_AUTH ||
            u->p.target->commit_refused) {
            if (u->p.target->commit_refused) {
                u->stats.refused++;
                upd_log(u, AGENT_LOG_ERROR,
                        "commit: refused by the bootloader, release recorded "
                        "as refused",
                        NULL, rc, true);
            }
            upd_remember_rejected(u, &u->rec.version);
            u->rec.phase = AGENT_UPD_IDLE;
            (void)rec_save(u);
            if (u->p.target->commit_refused && rc != FOTA_ERR_REJECTED &&
                rc != FOTA_ERR_AUTH) {
                /* Final for this release, like a failed trial: the
                 * cycle ends with that verdict, not as an error. */
                rc = upd_finish(u, AGENT_OUT_REFUSED);
                u->last_error = u->rec.last_error = FOTA_ERR_REJECTED;
                return rc;
            }
        }
        return upd_fail(u, rc);
    }
    rc = upd_observe(u);
    if (rc > 0)
        return upd_finish(u, rc);
    return upd_fail(u, rc);
failed:
    if (rc == FOTA_ERR_CORRUPT) {
        /* The object does not match the manifest (size): start over. */
        (void)upd_restart_download(u);
        u->rec.manifest_etag[0] = '\0';
        (void)rec_save(u);
    }
    return upd_fail(u, rc);
}

/* Signed-manifest checks (cfg.manifest_pubkey): signature, expiry,
 * sequence. On success the sequence becomes the floor, persisted with the
 * record's next save (every path after this saves it). */
static int upd_check_manifest(agent_update_t *u, size_t len)
{
    agent_manifest_t *m = &u->manifest;
    fota_sb_t s;
    uint64_t now;
    int rc;

    if (!u->cfg.manifest_pubkey)
        return 0;
    fota_sb_init(&s, u->err_detail, sizeof(u->err_detail));
    fota_sb_puts(&s, "manifest ");
    fota_sb_puts(&s, m->version_str);
    fota_sb_puts(&s, " refused: ");
    if (!m->is_signed) {
        fota_sb_puts(&s,
                     "no signature, and a release-manifest key is configured");
        return AGENT_ERR_MANIFEST_UNSIGNED;
    }
    rc = agent_manifest_verify(m, u->text, len, u->cfg.manifest_pubkey);
    if (rc < 0) {
        fota_sb_puts(&s, m->error);
        return rc;
    }
    if (!u->p.utc || u->p.utc->ops->now(u->p.utc, &now) < 0) {
        fota_sb_puts(&s,
                     "the time is not known, so its expiry cannot be checked");
        return FOTA_ERR_TIMEOUT;
    }
    if (m->expires == 0 || m->expires <= now) {
        char ts[24];

        agent_update_format_utc(m->expires, true, ts);
        fota_sb_puts(&s, m->expires ? "expired at " : "no expiry");
        if (m->expires)
            fota_sb_puts(&s, ts);
        return AGENT_ERR_MANIFEST_EXPIRED;
    }
    if (m->sequence < u->rec.manifest_seq) {
        fota_sb_puts(&s, "sequence ");
        fota_sb_put_u64(&s, m->sequence);
        fota_sb_puts(&s, " is below ");
        fota_sb_put_u64(&s, u->rec.manifest_seq);
        fota_sb_puts(&s, ", the highest accepted");
        return AGENT_ERR_MANIFEST_REPLAYED;
    }
    u->err_detail[0] = '\0';
    u->rec.manifest_seq = m->sequence;
    return 0;
}

int agent_update_run_once(agent_update_t *u)
{
    char etag[AGENT_HTTP_ETAG_MAX];
    bool changed;
    size_t len = 0;
    int rc;

    u->stats.cycles++;
    u->cycle_t0 = u->p.clock->ops->now_ms(u->p.clock);
    u->stats.last_skip = AGENT_SKIP_NONE;
    u->err_detail[0] = '\0';
    u->s3_reached = false;
    u->target_reached = false;
    rc = upd_poll(u, &changed, &len, etag);
    if (rc < 0)
        return upd_fail(u, rc);
    if (!changed) {
        if (u->rec.phase == AGENT_UPD_IDLE) {
            u->outcome = AGENT_OUT_NOT_MODIFIED;
            u->last_error = 0;
            u->stats.errors = 0;
            upd_event(u, AGENT_EV_OUTCOME, AGENT_OUT_NOT_MODIFIED, 0);
            return AGENT_OUT_NOT_MODIFIED;
        }
        return upd_resume(u, false);
    }
    u->manifest_accepted = false;
    rc = agent_manifest_parse(u->text, len, u->arena, sizeof(u->arena),
                              &u->manifest);
    if (rc < 0) {
        upd_log(u, AGENT_LOG_WARN, "manifest refused: ", u->manifest.error, 0,
                false);
        return upd_fail(u, rc);
    }
    rc = upd_check_manifest(u, len);
    if (rc < 0)
        return upd_fail(u, rc);
    u->manifest_accepted = true;
    if (u->rec.phase != AGENT_UPD_IDLE &&
        ver_eq(&u->manifest.version, &u->rec.version) &&
        memcmp(u->manifest.slot[u->rec.slot].sha256, u->rec.sha256,
               FOTA_SHA256_SIZE) == 0) {
        /* Same release as the one in progress (the manifest was
         * republished, or this is the first poll after a restart). */
        memcpy(u->rec.manifest_etag, etag, sizeof(etag));
        return upd_resume(u, false);
    }
    rc = upd_target_status(u);
    if (rc < 0)
        return upd_fail(u, rc);
    rc = upd_settle_trial(u);
    if (rc < 0)
        return upd_fail(u, rc);
    if (u->rec.phase != AGENT_UPD_IDLE) {
        /* The release in progress may have ended meanwhile; a rollback is
         * remembered even though the new release replaces it. */
        if (upd_judge(u) == AGENT_OUT_ROLLED_BACK)
            upd_remember_rejected(u, &u->rec.version);
        upd_log(u, AGENT_LOG_INFO,
                "poll: new release replaces the one in progress", NULL, 0,
                false);
        u->rec.phase = AGENT_UPD_IDLE;
    }
    rc = upd_decide(u);
    if (rc < 0)
        return upd_fail(u, rc);
    /* A device waiting for its phase must read the manifest again (a 304
     * would never let it decide anew when the time comes). */
    if (rc == 0 && u->stats.last_skip == AGENT_SKIP_WAITING)
        u->rec.manifest_etag[0] = '\0';
    else
        memcpy(u->rec.manifest_etag, etag, sizeof(etag));
    if (rc == 0)
        return upd_finish(u, AGENT_OUT_UP_TO_DATE);
    rc = upd_take(u);
    if (rc < 0)
        return upd_fail(u, rc);
    return upd_resume(u, true);
}

/* ---- setup, timing ------------------------------------------------------------------- */

void agent_update_default_cfg(agent_update_cfg_t *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->prefix = "";
    cfg->region = "us-east-1";
    cfg->product = FOTA_PRODUCT_ID;
    cfg->http_timeout_ms = 10000;
    cfg->interval_ms = 300000;
    cfg->backoff_min_ms = 5000;
    cfg->backoff_max_ms = 3600000;
    cfg->fetch_attempts = 4;
    cfg->checkpoint_bytes = 65536;
    cfg->observe_wait_ms = 2000;
    cfg->observe_tries = 3;
}

int agent_update_init(agent_update_t *u, const agent_update_cfg_t *cfg,
                      const agent_update_ports_t *ports)
{
    uint32_t h = 2166136261u;

    if (!u || !cfg || !ports || !ports->http || !ports->storage ||
        !ports->target || !ports->clock || !cfg->endpoint || !cfg->bucket ||
        !cfg->device_id || !cfg->device_id[0] || !cfg->prefix ||
        !cfg->product || !cfg->region || !cfg->fetch_attempts ||
        !cfg->observe_tries)
        return FOTA_ERR_INVAL;
    memset(u, 0, sizeof(*u));
    u->cfg = *cfg;
    u->p = *ports;
    /* Jitter seed: the device id (devices spread out) and the clock. */
    for (const char *c = cfg->device_id; *c; c++)
        h = (h ^ (uint8_t)*c) * 16777619u;
    u->rng = h ^ ports->clock->ops->now_ms(ports->clock);
    if (!u->rng)
        u->rng = 1;
    return rec_load(u);
}

static uint32_t upd_rand(agent_update_t *u)
{
    return fota_prng_next(&u->rng);
}

/* base scaled by a random factor in [1 - pct/100, 1 + pct/100]. */
static uint32_t jitter(agent_update_t *u, uint32_t base, uint32_t pct)
{
    uint64_t span = (uint64_t)base * pct / 100u;
    uint64_t r = span ? upd_rand(u) % (2u * span + 1u) : 0;

    return (uint32_t)(base - span + r);
}

uint32_t agent_update_next_delay_ms(agent_update_t *u)
{
    uint64_t d;

    if (u->outcome != AGENT_OUT_ERROR || !u->stats.errors)
        return jitter(u, u->cfg.interval_ms, 10);
    d = u->cfg.backoff_min_ms;
    for (uint32_t i = 1; i < u->stats.errors && d < u->cfg.backoff_max_ms; i++)
        d *= 2u;
    if (d > u->cfg.backoff_max_ms)
        d = u->cfg.backoff_max_ms;
    return jitter(u, (uint32_t)d, 25);
}

const char *agent_update_outcome_name(int outcome)
{
    switch (outcome) {
    case AGENT_OUT_NONE:
        return "none";
    case AGENT_OUT_NOT_MODIFIED:
        return "not_modified";
    case AGENT_OUT_UP_TO_DATE:
        return "up_to_date";
    case AGENT_OUT_UPDATED:
        return "updated";
    case AGENT_OUT_ROLLED_BACK:
        return "rolled_back";
    case AGENT_OUT_ERROR:
        return "error";
    case AGENT_OUT_REFUSED:
        return "refused";
    default:
        return "unknown";
    }
}

const char *agent_update_skip_name(int skip)
{
    switch (skip) {
    case AGENT_SKIP_NONE:
        return "none";
    case AGENT_SKIP_PRODUCT:
        return "other product";
    case AGENT_SKIP_NOT_NEWER:
        return "not newer";
    case AGENT_SKIP_REJECTED:
        return "rejected before";
    case AGENT_SKIP_SEC_FLOOR:
        return "security counter below floor";
    case AGENT_SKIP_ROLLOUT:
        return "outside rollout";
    case AGENT_SKIP_HALTED:
        return "rollout halted";
    case AGENT_SKIP_WAITING:
        return "waiting for its rollout phase";
    default:
        return "unknown";
    }
}

const char *agent_update_time_name(int t)
{
    static const char *const names[AGENT_TIME_COUNT] = {"check", "download",
                                                        "flash", "trial"};

    return t >= 0 && t < AGENT_TIME_COUNT ? names[t] : "?";
}
