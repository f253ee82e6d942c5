/*
 * test_agent_update.c - the update flow against a fake S3 (in memory,
 * with injectable faults), RAM staging storage, and the real bootloader
 * core + protocol engine on the flash model as the target.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent_sim_target.h"
#include "boot_port_host.h"
#include "agent_gateway.h"
#include "agent_update.h"
#include "fota/fota_config.h"
#include "fota/fota_ed25519.h"
#include "fota/fota_err.h"
#include "fota/fota_journal.h"
#include "fota/fota_le.h"
#include "fota/fota_sha256.h"
#include "fota/fota_text.h"
#include "sim_image.h"

#define BODY 20000u
#define IMG_MAX (FOTA_IMAGE_HDR_SIZE + BODY)

/* ---- fake S3 ------------------------------------------------------------------ */

typedef struct obj {
    char key[200];
    uint8_t *data;
    size_t len;
    char etag[40];
} obj_t;

typedef struct fake_http {
    agent_http_t base;
    obj_t objs[8];
    int nobj;
    unsigned etag_gen;
    /* the open response */
    bool open;
    int status;
    const obj_t *cur;
    uint32_t pos, end; /* body window in cur */
    char cur_etag[40];
    uint32_t cr_start, cr_end, cr_total;
    bool has_cr;
    uint32_t sent;
    /* faults */
    uint32_t drop_after; /* image body bytes before the read fails (0: never) */
    uint32_t
        replace_after; /* image body bytes before the object is re-uploaded */
    int force_status;  /* answer every request with this (0: off) */
    bool ignore_if_match;   /* like s3rver 3.7.1: If-Match not checked */
    int force_image_status; /* answer image GETs with this (0: off) */
    const char *err_body;   /* body of a forced status (S3 XML error) */
    const char *hdr_date;   /* Date header of a forced status, or NULL */
    const char *hdr_region; /* x-amz-bucket-region of a forced status */
    uint32_t err_pos;       /* err_body bytes read */
    char amz_date[32];      /* x-amz-date of the last request */
    /* observations */
    unsigned manifest_gets, image_gets, puts;
    uint32_t ranges[32];
    unsigned nranges;
    bool saw_if_none_match;
    unsigned n412;
    char last_put[1024];
    uint32_t open_ms; /* agent-clock ms each request takes (0: none) */
} fake_http_t;

static fake_http_t *fh(agent_http_t *self)
{
    return AGENT_CONTAINER_OF(self, fake_http_t, base);
}

static obj_t *fake_find(fake_http_t *h, const char *key)
{
    for (int i = 0; i < h->nobj; i++)
        if (strcmp(h->objs[i].key, key) == 0)
            return &h->objs[i];
    return NULL;
}

static void fake_put_obj(fake_http_t *h, const char *key, const void *data,
                         size_t len)
{
    obj_t *o = fake_find(h, key);

    if (!o) {
        o = &h->objs[h->nobj++];
        snprintf(o->key, sizeof(o->key), "%s", key);
    } else {
        free(o->data);
    }
    o->data = malloc(len ? len : 1);
    memcpy(o->data, data, len);
    o->len = len;
    snprintf(o->etag, sizeof(o->etag), "\"etag-%u\"", ++h->etag_gen);
}

static uint32_t s_ms;

static int f_open(agent_http_t *self, const agent_http_req_t *req)
{
    fake_http_t *h = fh(self);
    const char *p = strstr(req->url, "/bucket/");
    obj_t *o;

    s_ms += h->open_ms;
    assert_non_null(p);
    p += strlen("/bucket/");
    h->open = true;
    h->has_cr = false;
    h->cur = NULL;
    h->sent = 0;
    h->err_pos = 0;
    h->amz_date[0] = '\0';
    for (size_t i = 0; i < req->n_headers; i++)
        if (strcmp(req->headers[i].name, "x-amz-date") == 0)
            snprintf(h->amz_date, sizeof(h->amz_date), "%s",
                     req->headers[i].value);
    if (req->method == AGENT_HTTP_PUT) {
        h->puts++;
        fake_put_obj(h, p, req->body, req->body_len);
        snprintf(h->last_put, sizeof(h->last_put), "%.*s", (int)req->body_len,
                 req->body);
        h->status = 200;
        return 0;
    }
    bool is_manifest = strstr(p, "manifest.json") != NULL;
    if (is_manifest)
        h->manifest_gets++;
    else
        h->image_gets++;
    if (h->force_status || (!is_manifest && h->force_image_status)) {
        h->status = h->force_status ? h->force_status : h->force_image_status;
        return 0;
    }
    o = fake_find(h, p);
    if (!o) {
        h->status = 404;
        return 0;
    }
    if (req->has_range && h->nranges < 32)
        h->ranges[h->nranges++] = req->range_start;
    snprintf(h->cur_etag, sizeof(h->cur_etag), "%s", o->etag);
    if (req->if_none_match) {
        h->saw_if_none_match = true;
        if (strcmp(req->if_none_match, o->etag) == 0) {
            h->status = 304;
            return 0;
        }
    }
    if (req->if_match && !h->ignore_if_match &&
        strcmp(req->if_match, o->etag) != 0) {
        h->n412++;
        h->status = 412;
        return 0;
    }
    h->cur = o;
    h->pos = 0;
    h->end = (uint32_t)o->len;
    h->status = 200;
    if (req->has_range) {
        uint32_t a = req->range_start;
        uint32_t b =
            req->range_end == AGENT_HTTP_RANGE_OPEN || req->range_end >= o->len
                ? (uint32_t)o->len - 1
                : req->range_end;
        if (a >= o->len) {
            h->status = 416;
            h->cur = NULL;
            return 0;
        }
        h->pos = a;
        h->end = b + 1;
        h->status = 206;
        h->has_cr = true;
        h->cr_start = a;
        h->cr_end = b;
        h->cr_total = (uint32_t)o->len;
    }
    return 0;
}

static int f_status(agent_http_t *self)
{
    return fh(self)->status;
}

static int f_etag(agent_http_t *self, char *buf, size_t len)
{
    fake_http_t *h = fh(self);

    if (!h->cur)
        return FOTA_ERR_NOENT;
    snprintf(buf, len, "%s", h->cur_etag);
    return (int)strlen(buf);
}

static int f_clen(agent_http_t *self, uint32_t *len)
{
    fake_http_t *h = fh(self);

    if (!h->cur)
        return FOTA_ERR_NOENT;
    *len = h->end - h->pos;
    return 0;
}

static int f_crange(agent_http_t *self, uint32_t *a, uint32_t *b, uint32_t *t)
{
    fake_http_t *h = fh(self);

    if (!h->has_cr)
        return FOTA_ERR_NOENT;
    *a = h->cr_start;
    *b = h->cr_end;
    *t = h->cr_total;
    return 0;
}

static int f_read(agent_http_t *self, uint8_t *buf, size_t len)
{
    fake_http_t *h = fh(self);
    bool image = h->cur && !strstr(h->cur->key, "manifest");
    size_t n;

    if (!h->cur && h->err_body && h->status >= 300) {
        n = strlen(h->err_body) - h->err_pos;
        n = n < len ? n : len;
        memcpy(buf, h->err_body + h->err_pos, n);
        h->err_pos += (uint32_t)n;
        return (int)n;
    }
    if (!h->cur || h->pos >= h->end)
        return 0;
    n = h->end - h->pos;
    if (n > len)
        n = len;
    if (n > 1000)
        n = 1000;
    if (image && h->drop_after) {
        if (h->sent >= h->drop_after) {
            h->drop_after = 0; /* one drop */
            return FOTA_ERR_PLATFORM(56);
        }
        if (h->sent + n > h->drop_after)
            n = h->drop_after - h->sent;
    }
    if (image && h->replace_after && h->sent >= h->replace_after) {
        /* Re-upload of the same key (new ETag) while we are reading. */
        obj_t *o = (obj_t *)h->cur;
        snprintf(o->etag, sizeof(o->etag), "\"etag-%u\"", ++h->etag_gen);
        h->replace_after = 0;
    }
    memcpy(buf, h->cur->data + h->pos, n);
    h->pos += (uint32_t)n;
    h->sent += (uint32_t)n;
    return (int)n;
}

static int f_close(agent_http_t *self)
{
    fh(self)->open = false;
    return 0;
}

static int f_header(agent_http_t *self, const char *name, char *buf, size_t len)
{
    fake_http_t *h = fh(self);
    const char *v = NULL;

    if (h->status >= 300 && strcmp(name, "Date") == 0)
        v = h->hdr_date;
    else if (h->status >= 300 && strcmp(name, "x-amz-bucket-region") == 0)
        v = h->hdr_region;
    if (v == NULL)
        return FOTA_ERR_NOENT;
    snprintf(buf, len, "%s", v);
    return (int)strlen(buf);
}

static const agent_http_ops_t s_http_ops = {f_open,  f_status, f_etag,
                                            f_clen,  f_crange, f_read,
                                            f_close, f_header, NULL};

/* ---- RAM storage (strict: writes only onto erased bytes) ------------------------------ */

typedef struct ram_sto {
    agent_storage_t base;
    uint8_t data[FOTA_SLOT_SIZE];
    uint8_t rec[2][AGENT_STORAGE_REC_SIZE];
    bool rec_written[2];
    unsigned syncs, rec_writes;
} ram_sto_t;

static ram_sto_t *rs(agent_storage_t *s)
{
    return AGENT_CONTAINER_OF(s, ram_sto_t, base);
}
static uint32_t r_size(agent_storage_t *s)
{
    (void)s;
    return FOTA_SLOT_SIZE;
}
static uint32_t r_unit(agent_storage_t *s)
{
    (void)s;
    return 4096;
}
static int r_read(agent_storage_t *s, uint32_t off, void *buf, size_t len)
{
    assert_true(off + len <= FOTA_SLOT_SIZE);
    memcpy(buf, rs(s)->data + off, len);
    return 0;
}
static int r_write(agent_storage_t *s, uint32_t off, const void *buf,
                   size_t len)
{
    assert_true(off + len <= FOTA_SLOT_SIZE);
    for (size_t i = 0; i < len; i++)
        assert_int_equal(rs(s)->data[off + i],
                         0xFF); /* erased before written */
    memcpy(rs(s)->data + off, buf, len);
    return 0;
}
static int r_erase(agent_storage_t *s, uint32_t off, uint32_t len)
{
    assert_int_equal(off % 4096, 0);
    assert_int_equal(len % 4096, 0);
    assert_true(off + len <= FOTA_SLOT_SIZE);
    memset(rs(s)->data + off, 0xFF, len);
    return 0;
}
static int r_sync(agent_storage_t *s)
{
    rs(s)->syncs++;
    return 0;
}
static int r_rec_read(agent_storage_t *s, unsigned c, void *buf, size_t len)
{
    if (!rs(s)->rec_written[c])
        return FOTA_ERR_NOENT;
    memcpy(buf, rs(s)->rec[c], len);
    return 0;
}
static int r_rec_write(agent_storage_t *s, unsigned c, const void *buf,
                       size_t len)
{
    memcpy(rs(s)->rec[c], buf, len);
    rs(s)->rec_written[c] = true;
    rs(s)->rec_writes++;
    return 0;
}
static const agent_storage_ops_t s_sto_ops = {
    r_size, r_unit, r_read, r_write, r_erase, r_sync, r_rec_read, r_rec_write};

/* ---- clocks ------------------------------------------------------------------------- */

static uint32_t c_now(agent_clock_t *c)
{
    (void)c;
    return s_ms;
}
static void c_sleep(agent_clock_t *c, uint32_t ms)
{
    (void)c;
    s_ms += ms;
}
static const agent_clock_ops_t s_clk_ops = {c_now, c_sleep};
static int u_now(agent_utc_t *u, uint64_t *s)
{
    (void)u;
    *s = 1700000000u;
    return 0;
}
static const agent_utc_ops_t s_utc_ops = {u_now};

/* ---- fixture ------------------------------------------------------------------------ */

typedef struct fx {
    fake_http_t http;
    ram_sto_t sto;
    agent_sim_target_t tgt;
    agent_proto_t proto;
    agent_clock_t clk;
    agent_utc_t utc;
    agent_update_t u;
    agent_update_cfg_t cfg;
    char path[64];
    uint8_t img[IMG_MAX];
    /* publish() signs its images with this seed when non-NULL; a flipped
     * signature bit when sign_tamper. */
    const uint8_t *sign_seed;
    bool sign_tamper;
} fx_t;

/* Build an image for slot with flags (hash recomputed). */
static size_t mk_image(uint8_t *buf, int slot, uint8_t major, uint8_t minor,
                       uint32_t sec, uint32_t flags, uint32_t seed)
{
    int len =
        sim_image_build(buf, IMG_MAX, slot, major, minor, sec, BODY, seed);
    fota_image_hdr_t hdr;

    assert_true(len > 0);
    assert_int_equal(fota_image_hdr_decode(&hdr, buf), 0);
    hdr.flags = flags;
    fota_image_seal(&hdr, buf, buf + FOTA_IMAGE_HDR_SIZE);
    return (size_t)len;
}

/* Add a key id and an Ed25519 signature of the header's sha256 field to
 * the image's TLV area (as `fota image sign` does). */
static void sign_image(uint8_t *buf, const uint8_t seed[32], bool tamper)
{
    uint8_t pub[32], *t = buf + FOTA_IMAGE_OFF_TLV;

    fota_ed25519_pubkey(pub, seed);
    fota_put_le16(t, FOTA_TLV_KEY_ID);
    fota_put_le16(t + 2, 8);
    fota_ed25519_key_id(t + 4, pub);
    fota_put_le16(t + 12, FOTA_TLV_ED25519_SIG);
    fota_put_le16(t + 14, 64);
    fota_ed25519_sign(t + 16, buf + FOTA_IMAGE_OFF_SHA256, FOTA_SHA256_SIZE,
                      seed, pub);
    if (tamper)
        t[16 + 40] ^= 0x08;
    fota_put_le16(buf + FOTA_IMAGE_OFF_TLV_SIZE, 12 + 68);
}

/* Publish release major.minor (both slots) and its manifest. */
static void publish(fx_t *f, uint8_t major, uint8_t minor, uint32_t sec,
                    uint32_t flags, const char *product, int rollout,
                    bool bad_sha, const char *extra)
{
    char key[2][96], shahex[2][65], man[2048];
    size_t len = 0;

    for (int s = 0; s < 2; s++) {
        uint8_t dig[32];

        len =
            mk_image(f->img, s, major, minor, sec, flags, 100u * major + minor);
        if (f->sign_seed)
            sign_image(f->img, f->sign_seed, f->sign_tamper);
        fota_sha256_t sha;
        fota_sha256_init(&sha);
        fota_sha256_update(&sha, f->img, len);
        fota_sha256_final(&sha, dig);
        if (bad_sha)
            dig[5] ^= 1;
        fota_hex_encode(dig, 32, shahex[s]);
        snprintf(key[s], sizeof(key[s]), "fw/%u.%u.0/slot-%c.img", major, minor,
                 "ab"[s]);
        fake_put_obj(&f->http, key[s], f->img, len);
    }
    snprintf(man, sizeof(man),
             "{\"format\":1,\"product\":\"%s\",\"version\":\"%u.%u.0\","
             "\"security_counter\":%u,"
             "\"rollout_percent\":%d,\"published_at\":\"%s\",\"slots\":{"
             "\"a\":{\"key\":\"%s\",\"size\":%zu,\"sha256\":\"%s\"},"
             "\"b\":{\"key\":\"%s\",\"size\":%zu,\"sha256\":\"%s\"}}}",
             product, major, minor, sec, rollout,
             extra ? extra : "2024-01-01T00:00:00Z", key[0], len, shahex[0],
             key[1], len, shahex[1]);
    fake_put_obj(&f->http, "fw/manifest.json", man, strlen(man));
}

static int read_sto(void *ctx, uint32_t off, void *buf, size_t len)
{
    fx_t *f = ctx;

    return f->sto.base.ops->read(&f->sto.base, off, buf, len);
}

static void agent_start(fx_t *f)
{
    agent_update_ports_t p = {0};

    p.http = &f->http.base;
    p.storage = &f->sto.base;
    p.target = &f->proto;
    p.clock = &f->clk;
    p.utc = &f->utc;
    assert_int_equal(agent_update_init(&f->u, &f->cfg, &p), 0);
}

static int setup(void **state)
{
    fx_t *f = calloc(1, sizeof(*f));
    int fd;

    assert_non_null(f);
    f->http.base.ops = &s_http_ops;
    f->sto.base.ops = &s_sto_ops;
    memset(f->sto.data, 0xFF, sizeof(f->sto.data));
    f->clk.ops = &s_clk_ops;
    f->utc.ops = &s_utc_ops;
    snprintf(f->path, sizeof(f->path), "/tmp/test-agent-update-XXXXXX");
    fd = mkstemp(f->path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(agent_sim_target_open(&f->tgt, f->path), 0);
    /* Factory: v1.0.0, security counter 1, in slot A. */
    size_t len = mk_image(f->img, 0, 1, 0, 1, 0, 7);
    assert_int_equal(agent_sim_target_install(&f->tgt, 0, f->img, len), 0);
    agent_proto_init(&f->proto, &f->tgt.spi, &f->tgt.gpio, &f->tgt.clock, NULL,
                     NULL);
    agent_update_default_cfg(&f->cfg);
    f->cfg.endpoint = "http://s3.test";
    f->cfg.bucket = "bucket";
    f->cfg.prefix = "fw";
    f->cfg.device_id = "dev-1";
    f->cfg.checkpoint_bytes = 4096;
    f->cfg.observe_wait_ms = 200;
    agent_start(f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx_t *f = *state;

    agent_sim_target_close(&f->tgt);
    unlink(f->path);
    for (int i = 0; i < f->http.nobj; i++)
        free(f->http.objs[i].data);
    free(f);
    return 0;
}

/* The target's state as its status block reports it. */
static void target_status(fx_t *f, fota_status_t *st)
{
    assert_int_equal(agent_proto_enter_update(&f->proto), 0);
    assert_int_equal(agent_proto_status(&f->proto, st), 0);
    assert_int_equal(agent_proto_reboot(&f->proto), 0);
}

/* ---- tests -------------------------------------------------------------------------- */

static void test_update_then_304_downloads_nothing(void **state)
{
    fx_t *f = *state;
    fota_status_t st;

    publish(f, 1, 1, 1, 0, FOTA_PRODUCT_ID, 100, false, NULL);
    assert_int_equal(agent_update_run_once(&f->u), AGENT_OUT_UPDATED);
    target_status(f, &st);
    assert_int_equal(st.active_slot, 1);
    assert_int_equal(st.slot[1].state, FOTA_SLOT_CONFIRMED);
    assert_int_equal(st.slot[1].version.minor, 1);
    unsigned images = f->http.image_gets;
    assert_true(images >= 1);
    for (int i = 0; i < 10; i++)
        assert_int_equal(agent_update_run_once(&f->u), AGENT_OUT_NOT_MODIFIED);
    assert_int_equal(f->http.image_gets, images);
    assert_true(f->http.saw_if_none_match);
    assert_int_equal(f->u.stats.not_modified, 10);
}

static void expect_skip(fx_t *f, int skip)
{
    assert_int_equal(agent_update_run_once(&f->u), AGENT_OUT_UP_TO_DATE);
    assert_int_equal(f->u.stats.last_skip, skip);
    assert_int_equal(f->http.image_gets, 0);
    assert_int_equal(f->u.stats.flashes, 0);
}

static void test_skip_other_product(void **state)
{
    fx_t *f = *state;

    publish(f, 1, 1, 1, 0, "other-board", 100, false, NULL);
    expect_skip(f, AGENT_SKIP_PRODUCT);
}

static void test_skip_not_newer(void **state)
{
    fx_t *f = *state;

    publish(f, 1, 0, 1, 0, FOTA_PRODUCT_ID, 100, false, NULL);
    expect_skip(f, AGENT_SKIP_NOT_NEWER);
}

static void test_skip_rollout(void **state)
{
    fx_t *f = *state;

    publish(f, 1, 1, 1, 0, FOTA_PRODUCT_ID, 0, false, NULL);
    expect_skip(f, AGENT_SKIP_ROLLOUT);
}

static void test_skip_sec_floor(void **state)
{
    fx_t *f = *state;
    fota_status_t st;
    size_t len;

    /* Re-install the factory image with counter 5: confirming it raises
     * the floor to 5, and a release with counter 3 must be refused. */
    agent_sim_target_close(&f->tgt);
    unlink(f->path);
    assert_int_equal(agent_sim_target_open(&f->tgt, f->path), 0);
    len = mk_image(f->img, 0, 1, 0, 5, 0, 7);
    assert_int_equal(agent_sim_target_install(&f->tgt, 0, f->img, len), 0);
    target_status(f, &st);
    assert_int_equal(st.sec_floor, 5);
    publish(f, 2, 0, 3, 0, FOTA_PRODUCT_ID, 100, false, NULL);
    expect_skip(f, AGENT_SKIP_SEC_FLOOR);
}

static void test_resume_at_offset_after_restart(void **state)
{
    fx_t *f = *state;
    agent_upd_rec_t rec;

    publish(f, 1, 1, 1, 0, FOTA_PRODUCT_ID, 100, false, NULL);
    f->cfg.fetch_attempts = 1;
    agent_start(f);
    f->http.drop_after = 12345;
    f->http.open_ms = 5;
    assert_true(agent_update_run_once(&f->u) < 0);
    assert_int_equal(f->u.rec.phase, AGENT_UPD_DOWNLOADING);
    /* Only durable, unit-aligned bytes are claimed. */
    assert_int_equal(f->u.rec.downloaded, 12288);
    rec = f->u.rec;
    /* The first session's download time is kept with the progress. */
    assert_true(rec.phase_ms[AGENT_TIME_DOWNLOAD] >= f->http.open_ms);
    /* Restart: a fresh agent context on the same storage. */
    f->cfg.fetch_attempts = 4;
    memset(&f->u, 0xA5, sizeof(f->u));
    agent_start(f);
    assert_int_equal(f->u.rec.downloaded, rec.downloaded);
    assert_string_equal(f->u.rec.image_etag, rec.image_etag);
    unsigned before = f->http.nranges;
    assert_int_equal(agent_update_run_once(&f->u), AGENT_OUT_UPDATED);
    assert_true(f->http.nranges > before);
    assert_int_equal(f->http.ranges[before], 12288);
    assert_int_equal(f->u.stats.resumes, 1);
    assert_int_equal(f->u.stats.restarts, 0);
    /* Download time summed over both agent runs: the first run's plus 5 ms
     * per image request of the second. */
    assert_int_equal(f->u.rec.phase_ms[AGENT_TIME_DOWNLOAD],
                     rec.phase_ms[AGENT_TIME_DOWNLOAD] +
                         5u * (f->http.nranges - before));
}

static void test_412_restarts_from_zero(void **state)
{
    fx_t *f = *state;

    publish(f, 1, 1, 1, 0, FOTA_PRODUCT_ID, 100, false, NULL);
    f->http.replace_after = 8000;
    f->http.drop_after = 9000;
    assert_int_equal(agent_update_run_once(&f->u), AGENT_OUT_UPDATED);
    assert_int_equal(f->http.n412, 1);
    assert_int_equal(f->u.stats.restarts, 1);
    /* first at 0, resumed at 8192 (412), then again at 0 */
    assert_int_equal(f->http.ranges[0], 0);
    assert_int_equal(f->http.ranges[1], 8192);
    assert_int_equal(f->http.ranges[2], 0);
}

static void test_hash_mismatch_commits_nothing(void **state)
{
    fx_t *f = *state;
    fota_status_t st;

    publish(f, 1, 1, 1, 0, FOTA_PRODUCT_ID, 100, true, NULL);
    assert_int_equal(agent_update_run_once(&f->u), FOTA_ERR_CORRUPT);
    assert_int_equal(f->u.stats.flashes, 0);
    target_status(f, &st);
    assert_int_equal(st.active_slot, 0);
    assert_int_equal(st.slot[1].state, FOTA_SLOT_EMPTY);
    assert_int_equal(st.slot[1].hdr_valid, 0);
    /* The bad release is retried from 0 after the back-off. */
    assert_int_equal(f->u.rec.downloaded, 0);
    assert_true(agent_update_next_delay_ms(&f->u) >=
                f->cfg.backoff_min_ms * 3 / 4);
}

/* Image signatures (cfg.sign_pubkey). */
static const uint8_t s_seed_a[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                                     12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                                     23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
static const uint8_t s_seed_b[32] = {32, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22,
                                     21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11,
                                     10, 9,  8,  7,  6,  5,  4,  3,  2,  1};
static uint8_t s_pub_a[32];

static void start_with_key(fx_t *f)
{
    fota_ed25519_pubkey(s_pub_a, s_seed_a);
    f->cfg.sign_pubkey = s_pub_a;
    f->cfg.access_key = "AKIDEXAMPLE";
    f->cfg.secret_key = "secret";
    f->cfg.report = true;
    agent_start(f);
}

static void test_signed_image_installed(void **state)
{
    fx_t *f = *state;
    fota_status_t st;

    start_with_key(f);
    f->sign_seed = s_seed_a;
    publish(f, 1, 1, 1, 0, FOTA_PRODUCT_ID, 100, false, NULL);
    assert_int_equal(agent_update_run_once(&f->u), AGENT_OUT_UPDATED);
    target_status(f, &st);
    assert_int_equal(st.active_slot, 1);
    assert_int_equal(st.slot[1].version.minor, 1);
}

/* Refused after the download and the hash check, before the target is
 * touched: nothing flashed, the slot stays empty, the error reported. */
static void expect_auth_refusal(fx_t *f)
{
    fota_status_t st;

    assert_int_equal(agent_update_run_once(&f->u), FOTA_ERR_AUTH);
    assert_true(f->http.image_gets >= 1);
    assert_int_equal(f->u.stats.flashes, 0);
    assert_int_equal(f->u.last_error, FOTA_ERR_AUTH);
    assert_int_equal(f->u.rec.downloaded, 0);
    assert_non_null(strstr(f->http.last_put, "\"state\":\"error\""));
    target_status(f, &st);
    assert_int_equal(st.active_slot, 0);
    assert_int_equal(st.slot[1].state, FOTA_SLOT_EMPTY);
    assert_int_equal(st.slot[1].hdr_valid, 0);
    /* And again next cycle: never flashed. */
    assert_int_equal(agent_update_run_once(&f->u), FOTA_ERR_AUTH);
    assert_int_equal(f->u.stats.flashes, 0);
}

static void test_unsigned_image_refused(void **state)
{
    fx_t *f = *state;

    start_with_key(f);
    publish(f, 1, 1, 1, 0, FOTA_PRODUCT_ID, 100, false, NULL);
    expect_auth_refusal(f);
}

static void test_tampered_signature_refused(void **state)
{
    fx_t *f = *state;

    start_with_key(f);
    f->sign_seed = s_seed_a;
    f->sign_tamper = true;
    publish(f, 1, 1, 1, 0, FOTA_PRODUCT_ID, 100, false, NULL);
    expect_auth_refusal(f);
}

static void test_other_key_refused(void **state)
{
    fx_t *f = *state;

    start_with_key(f);
    f->sign_seed = s_seed_b;
    publish(f, 1, 1, 1, 0, FOTA_PRODUCT_ID, 100, false, NULL);
    expect_auth_refusal(f);
}

/* Without a configured key a signed image is installed like any other. */
static void test_no_key_ignores_signature(void **state)
{
    fx_t *f = *state;

    f->sign_seed = s_seed_b;
    f->sign_tamper = true;
    publish(f, 1, 1, 1, 0, FOTA_PRODUCT_ID, 100, false, NULL);
    assert_int_equal(agent_update_run_once(&f->u), AGENT_OUT_UPDATED);
}

/* The bootloader has a key the agent was not given: the agent downloads and
 * flashes the unsigned image, the target refuses the commit
 * (FOTA_ERR_AUTH), nothing is recorded on the target, and the agent never
 * downloads that release again. */
static void test_bootloader_refuses_unsigned_commit(void **state)
{
    fx_t *f = *state;
    fota_status_t st;
    unsigned images;

    fota_ed25519_pubkey(s_pub_a, s_seed_a);
    boot_port_host_set_signing_key(s_pub_a);
    publish(f, 1, 1, 1, 0, FOTA_PRODUCT_ID, 100, false, NULL);
    assert_int_equal(agent_update_run_once(&f->u), FOTA_ERR_AUTH);
    assert_int_equal(f->u.last_error, FOTA_ERR_AUTH);
    target_status(f, &st);
    assert_int_equal(st.active_slot, 0);
    assert_int_equal(st.slot[1].state, FOTA_SLOT_EMPTY);
    images = f->http.image_gets;
    /* Republished unchanged: not downloaded again. */
    publish(f, 1, 1, 1, 0, FOTA_PRODUCT_ID, 100, false, "2024-02-02T00:00:00Z");
    assert_int_equal(agent_update_run_once(&f->u), AGENT_OUT_UP_TO_DATE);
    assert_int_equal(f->u.stats.last_skip, AGENT_SKIP_REJECTED);
    assert_int_equal(f->http.image_gets, images);
    /* Signed by the bootloader's key, as v1.2: installed. */
    f->sign_seed = s_seed_a;
    publish(f, 1, 2, 1, 0, FOTA_PRODUCT_ID, 100, false, "2024-02-03T00:00:00Z");
    assert_int_equal(agent_update_run_once(&f->u), AGENT_OUT_UPDATED);
    boot_port_host_set_signing_key(NULL);
}

static void test_rollback_observed_not_retried(void **state)
{
    fx_t *f = *state;
    fota_status_t st;

    publish(f, 1, 1, 1, 0, FOTA_PRODUCT_ID, 100, false, NULL);
    assert_int_equal(agent_update_run_once(&f->u), AGENT_OUT_UPDATED);
    publish(f, 1, 2, 1, FOTA_IMAGE_F_NO_CONFIRM, FOTA_PRODUCT_ID, 100, false,
            NULL);
    assert_int_equal(agent_update_run_once(&f->u), AGENT_OUT_ROLLED_BACK);
    assert_true(f->tgt.app_crashes >= 1);
    target_status(f, &st);
    assert_int_equal(st.active_slot, 1);
    assert_int_equal(st.slot[1].version.minor, 1);
    assert_int_equal(st.slot[0].state, FOTA_SLOT_REJECTED);
    uint32_t flashes = f->u.stats.flashes;
    unsigned images = f->http.image_gets;
    assert_int_equal(agent_update_run_once(&f->u), AGENT_OUT_NOT_MODIFIED);
    /* Republished (new ETag), same version: still refused. */
    publish(f, 1, 2, 1, FOTA_IMAGE_F_NO_CONFIRM, FOTA_PRODUCT_ID, 100, false,
            "2024-02-02T00:00:00Z");
    assert_int_equal(agent_update_run_once(&f->u), AGENT_OUT_UP_TO_DATE);
    assert_int_equal(f->u.stats.last_skip, AGENT_SKIP_REJECTED);
    assert_int_equal(f->u.stats.flashes, flashes);
    assert_int_equal(f->http.image_gets, images);
    /* The agent's own record remembers it across a restart. */
    agent_start(f);
    assert_int_equal(f->u.rec.n_rejected, 1);
    assert_int_equal(f->u.rec.rejected[0].minor, 2);
}

static void test_http_errors_back_off(void **state)
{
    fx_t *f = *state;
    uint32_t d1, d3;

    publish(f, 1, 1, 1, 0, FOTA_PRODUCT_ID, 100, false, NULL);
    f->http.force_status = 403;
    assert_int_equal(agent_update_run_once(&f->u), FOTA_ERR_AUTH);
    d1 = agent_update_next_delay_ms(&f->u);
    f->http.force_status = 500;
    assert_int_equal(agent_update_run_once(&f->u), FOTA_ERR_IO);
    f->http.force_status = 404;
    assert_int_equal(agent_update_run_once(&f->u), FOTA_ERR_NOENT);
    d3 = agent_update_next_delay_ms(&f->u);
    assert_true(d1 <= f->cfg.backoff_min_ms * 5 / 4);
    assert_true(d3 >= f->cfg.backoff_min_ms * 4 * 3 / 4);
    f->http.force_status = 0;
    assert_int_equal(agent_update_run_once(&f->u), AGENT_OUT_UPDATED);
    d1 = agent_update_next_delay_ms(&f->u);
    assert_true(d1 >= f->cfg.interval_ms * 9 / 10 &&
                d1 <= f->cfg.interval_ms * 11 / 10);
}

#define S3_ERR(code, msg)                                                      \
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" code           \
    "</Code><Message>" msg                                                     \
    "</Message><BucketName>bucket</BucketName></Error>\n"

/* Each S3 error code has its own agent error and a detail naming the
 * URL, the code, S3's message and the cause. */
static void test_s3_errors_say_what_happened(void **state)
{
    fx_t *f = *state;
    static const struct {
        int status;
        const char *body;
        const char *region;
        int want;
        const char *detail;
    } cases[] = {
        {301,
         S3_ERR("PermanentRedirect",
                "The bucket you are attempting to access must be "
                "addressed using the specified endpoint."),
         "eu-west-1", AGENT_ERR_REDIRECT, "redirect: bucket is in eu-west-1"},
        {307, S3_ERR("TemporaryRedirect", "Please re-send this request."), NULL,
         AGENT_ERR_REDIRECT, "redirect: bucket is in another region"},
        {404, S3_ERR("NoSuchBucket", "The specified bucket does not exist"),
         NULL, AGENT_ERR_NO_BUCKET, "no such bucket: bucket"},
        {404, S3_ERR("NoSuchKey", "The specified key does not exist."), NULL,
         FOTA_ERR_NOENT,
         "HTTP 404 NoSuchKey: The specified key does not exist.; no such "
         "object"},
        {403, S3_ERR("AccessDenied", "Access Denied"), NULL, FOTA_ERR_PERM,
         "access denied by the bucket policy"},
        {403,
         S3_ERR("SignatureDoesNotMatch",
                "The request signature we calculated does not "
                "match"),
         NULL, FOTA_ERR_AUTH, "check the access key and secret"},
        {500, S3_ERR("InternalError", "We encountered an internal error."),
         NULL, FOTA_ERR_IO,
         "HTTP 500 InternalError: We encountered an internal error.; i/o "
         "error"},
    };

    publish(f, 1, 1, 1, 0, FOTA_PRODUCT_ID, 100, false, NULL);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        f->http.force_status = cases[i].status;
        f->http.err_body = cases[i].body;
        f->http.hdr_region = cases[i].region;
        assert_int_equal(agent_update_run_once(&f->u), cases[i].want);
        if (strstr(f->u.err_detail, cases[i].detail) == NULL ||
            strncmp(f->u.err_detail,
                    "GET http://s3.test/bucket/fw/manifest.json: HTTP ",
                    49) != 0)
            fail_msg("case %zu: detail \"%s\"", i, f->u.err_detail);
    }
    assert_string_equal(agent_update_strerror(AGENT_ERR_REDIRECT),
                        "redirect: bucket in another region");
    f->http.force_status = 0;
    assert_int_equal(agent_update_run_once(&f->u), AGENT_OUT_UPDATED);
    assert_string_equal(f->u.err_detail, "");
}

/* A redirect on the image is not retried as an interrupted download. */
static void test_image_redirect_not_retried(void **state)
{
    fx_t *f = *state;

    publish(f, 1, 1, 1, 0, FOTA_PRODUCT_ID, 100, false, NULL);
    f->http.force_image_status = 307;
    f->http.err_body =
        S3_ERR("TemporaryRedirect", "Please re-send this request.");
    f->http.hdr_region = "ap-south-1";
    assert_int_equal(agent_update_run_once(&f->u), AGENT_ERR_REDIRECT);
    assert_int_equal(f->http.image_gets, 1);
    assert_non_null(strstr(f->u.err_detail,
                           "/bucket/fw/1.1.0/slot-b.img: HTTP 307 "
                           "TemporaryRedirect"));
    assert_non_null(
        strstr(f->u.err_detail, "redirect: bucket is in ap-south-1"));
}

/* RequestTimeTooSkewed: the skew is computed from the server's Date, said,
 * and the next requests are signed with the server's time. */
static void test_clock_skew_uses_server_date(void **state)
{
    fx_t *f = *state;

    f->cfg.access_key = "AKIDEXAMPLE";
    f->cfg.secret_key = "secret";
    agent_start(f);
    publish(f, 1, 1, 1, 0, FOTA_PRODUCT_ID, 100, false, NULL);
    /* The device says 2023-11-14T22:13:20Z (1700000000); the server is
     * 1203 s earlier. */
    f->http.force_status = 403;
    f->http.err_body = S3_ERR("RequestTimeTooSkewed",
                              "The difference between the request "
                              "time and the current time is too large.");
    f->http.hdr_date = "Tue, 14 Nov 2023 21:53:17 GMT";
    assert_int_equal(agent_update_run_once(&f->u), AGENT_ERR_CLOCK_SKEW);
    assert_string_equal(f->http.amz_date, "20231114T221320Z");
    if (strstr(f->u.err_detail,
               "clock skew: device is 1203 s ahead (server Date "
               "Tue, 14 Nov 2023 21:53:17 GMT)") == NULL)
        fail_msg("detail \"%s\"", f->u.err_detail);
    assert_int_equal(f->u.clock_hint_s, -1203);
    f->http.force_status = 0;
    f->http.hdr_date = NULL;
    assert_int_equal(agent_update_run_once(&f->u), AGENT_OUT_UPDATED);
    assert_string_equal(f->http.amz_date, "20231114T215317Z");
    /* Without a usable Date the skew is still named as such. */
    f->http.force_status = 403;
    f->http.hdr_date = "yesterday";
    assert_int_equal(agent_update_run_once(&f->u), AGENT_ERR_CLOCK_SKEW);
    assert_non_null(
        strstr(f->u.err_detail, "clock skew: the server sent no usable Date"));
}

/* A body that ends early is "connection dropped" with the byte counts. */
static void test_dropped_body_named(void **state)
{
    fx_t *f = *state;
    uint64_t t;

    publish(f, 1, 1, 1, 0, FOTA_PRODUCT_ID, 100, false, NULL);
    f->cfg.fetch_attempts = 1;
    agent_start(f);
    f->http.drop_after = 5000;
    assert_true(agent_update_run_once(&f->u) < 0);
    if (strstr(f->u.err_detail, "slot-b.img: platform error after 5000 of ") ==
        NULL)
        fail_msg("detail \"%s\"", f->u.err_detail);
    assert_int_equal(
        agent_update_parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT", &t), 0);
    assert_int_equal(t, 784111777u);
    assert_int_equal(
        agent_update_parse_http_date("Thu, 29 Feb 2024 00:00:00 GMT", &t), 0);
    assert_int_equal(t, 1709164800u);
    assert_int_equal(
        agent_update_parse_http_date("Sun, 06 Nov 1994 08:49:37 UTC", &t),
        FOTA_ERR_PROTO);
    assert_int_equal(
        agent_update_parse_http_date("Sun, 06 Foo 1994 08:49:37 GMT", &t),
        FOTA_ERR_PROTO);
}

/* ---- signed manifests ----------------------------------------------------------------- */

static const uint8_t s_mseed[32] = {9,  8,  7,  6,  5,  4,  3,  2,  1,  0,  1,
                                    2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12,
                                    13, 14, 15, 16, 17, 18, 19, 20, 21, 22};
static uint8_t s_mpub[32];

/* Re-sign the published manifest with sequence and expiry (as `fota
 * release publish --manifest-key` does); tamper flips a byte afterwards. */
static void sign_published(fx_t *f, uint32_t seq, uint64_t expires, bool tamper)
{
    obj_t *o = fake_find(&f->http, "fw/manifest.json");
    char t[4096];
    int n;

    assert_non_null(o);
    n = snprintf(t, sizeof t, "%.*s,\"sequence\":%u,\"expires\":%llu",
                 (int)o->len - 1, (const char *)o->data, seq,
                 (unsigned long long)expires);
    agent_manifest_sign_tail(t, (size_t)n, s_mseed, t + n);
    if (tamper)
        strstr(t, "\"security_counter\":1")[19] = '2';
    fake_put_obj(&f->http, "fw/manifest.json", t, strlen(t));
}

static void use_manifest_key(fx_t *f)
{
    fota_ed25519_pubkey(s_mpub, s_mseed);
    f->cfg.manifest_pubkey = s_mpub;
    agent_start(f);
}

static void test_signed_manifest_sequence_persisted(void **state)
{
    fx_t *f = *state;

    use_manifest_key(f);
    publish(f, 1, 1, 1, 0, FOTA_PRODUCT_ID, 100, false, NULL);
    sign_published(f, 5, 1700000000u + 3600u, false);
    if (agent_update_run_once(&f->u) != AGENT_OUT_UPDATED)
        fail_msg("signed manifest: %s / %s", f->u.manifest.error,
                 f->u.err_detail);
    assert_int_equal(f->u.rec.manifest_seq, 5);
    /* A restarted agent still knows 5: a replayed older manifest (of a
     * newer version) is refused, nothing downloaded. */
    agent_start(f);
    assert_int_equal(f->u.rec.manifest_seq, 5);
    publish(f, 1, 2, 1, 0, FOTA_PRODUCT_ID, 100, false, NULL);
    sign_published(f, 4, 1700000000u + 3600u, false);
    f->http.image_gets = 0;
    assert_int_equal(agent_update_run_once(&f->u), AGENT_ERR_MANIFEST_REPLAYED);
    assert_string_equal(
        f->u.err_detail,
        "manifest 1.2.0 refused: sequence 4 is below 5, the highest accepted");
    assert_int_equal(f->http.image_gets, 0);
    /* The same sequence again is the same release: accepted. */
    publish(f, 1, 2, 1, 0, FOTA_PRODUCT_ID, 100, false, NULL);
    sign_published(f, 5, 1700000000u + 3600u, false);
    assert_int_equal(agent_update_run_once(&f->u), AGENT_OUT_UPDATED);
}

static void test_signed_manifest_refusals(void **state)
{
    fx_t *f = *state;

    use_manifest_key(f);
    /* Unsigned. */
    publish(f, 1, 1, 1, 0, FOTA_PRODUCT_ID, 100, false, NULL);
    assert_int_equal(agent_update_run_once(&f->u), AGENT_ERR_MANIFEST_UNSIGNED);
    /* Expired one second ago by the device's clock. */
    sign_published(f, 1, 1700000000u - 1u, false);
    assert_int_equal(agent_update_run_once(&f->u), AGENT_ERR_MANIFEST_EXPIRED);
    assert_string_equal(
        f->u.err_detail,
        "manifest 1.1.0 refused: expired at 2023-11-14T22:13:19Z");
    /* Tampered after signing. */
    publish(f, 1, 1, 1, 0, FOTA_PRODUCT_ID, 100, false, NULL);
    sign_published(f, 1, 1700000000u + 60u, true);
    assert_int_equal(agent_update_run_once(&f->u), FOTA_ERR_AUTH);
    assert_non_null(strstr(f->u.err_detail,
                           "signature: does not verify (manifest altered)"));
    assert_int_equal(f->http.image_gets, 0);
    assert_int_equal(f->u.stats.flashes, 0);
    assert_string_equal(agent_update_strerror(AGENT_ERR_MANIFEST_REPLAYED),
                        "manifest older than one accepted (replay)");
}

static void test_report_put_with_credentials(void **state)
{
    fx_t *f = *state;

    f->cfg.access_key = "AKIDEXAMPLE";
    f->cfg.secret_key = "secret";
    f->cfg.report = true;
    agent_start(f);
    publish(f, 1, 1, 1, 0, FOTA_PRODUCT_ID, 100, false, NULL);
    assert_int_equal(agent_update_run_once(&f->u), AGENT_OUT_UPDATED);
    assert_non_null(fake_find(&f->http, "fw/reports/dev-1.json"));
    assert_non_null(strstr(f->http.last_put, "\"state\":\"updated\""));
    assert_non_null(strstr(f->http.last_put, "\"running_version\":\"1.1.0\""));
    assert_non_null(
        strstr(f->http.last_put, "\"time\":\"2023-11-14T22:13:20Z\""));
    /* What the update fetched, and from where (the count is not reset
     * before the report is written). */
    {
        char want[64];
        snprintf(want, sizeof want, "\"bytes_downloaded\":%zu,",
                 fake_find(&f->http, "fw/1.1.0/slot-b.img")->len);
        assert_non_null(strstr(f->http.last_put, want));
    }
    assert_non_null(
        strstr(f->http.last_put, "\"artifact\":\"fw/1.1.0/slot-b.img\""));
}

/* The report's "phase_ms" of the update it is about; *out the text. */
static void want_phase_ms(const agent_upd_rec_t *r, char *out, size_t size)
{
    snprintf(out, size,
             "\"phase_ms\":{\"check\":%u,\"download\":%u,\"flash\":%u,"
             "\"trial\":%u}",
             r->phase_ms[AGENT_TIME_CHECK], r->phase_ms[AGENT_TIME_DOWNLOAD],
             r->phase_ms[AGENT_TIME_FLASH], r->phase_ms[AGENT_TIME_TRIAL]);
}

/* Each phase's time: every request takes 3 ms of the agent clock, so the
 * check is the one manifest GET and the download one 3 ms per image GET;
 * flash and trial run on the simulated target's clock (the trial at least
 * one observe wait). A rollback's report names the rejected version and
 * the times of that update alone. */
static void test_report_phase_times_and_rejected(void **state)
{
    fx_t *f = *state;
    char want[160];
    unsigned gets;

    f->cfg.access_key = "AKIDEXAMPLE";
    f->cfg.secret_key = "secret";
    f->cfg.report = true;
    agent_start(f);
    f->http.open_ms = 3;
    publish(f, 1, 1, 1, 0, FOTA_PRODUCT_ID, 100, false, NULL);
    gets = f->http.image_gets;
    assert_int_equal(agent_update_run_once(&f->u), AGENT_OUT_UPDATED);
    assert_int_equal(f->u.rec.phase_ms[AGENT_TIME_CHECK], 3);
    assert_true(f->http.image_gets > gets);
    assert_int_equal(f->u.rec.phase_ms[AGENT_TIME_DOWNLOAD],
                     3u * (f->http.image_gets - gets));
    assert_true(f->u.rec.phase_ms[AGENT_TIME_FLASH] > 0);
    assert_true(f->u.rec.phase_ms[AGENT_TIME_TRIAL] >= f->cfg.observe_wait_ms);
    want_phase_ms(&f->u.rec, want, sizeof want);
    assert_non_null(strstr(f->http.last_put, want));
    assert_non_null(strstr(f->http.last_put, "\"rejected\":[]"));

    publish(f, 1, 2, 1, FOTA_IMAGE_F_NO_CONFIRM, FOTA_PRODUCT_ID, 100, false,
            NULL);
    gets = f->http.image_gets;
    assert_int_equal(agent_update_run_once(&f->u), AGENT_OUT_ROLLED_BACK);
    assert_int_equal(f->u.rec.phase_ms[AGENT_TIME_CHECK], 3);
    assert_int_equal(f->u.rec.phase_ms[AGENT_TIME_DOWNLOAD],
                     3u * (f->http.image_gets - gets));
    /* The simulated application crashes at once on every attempt: the
     * verdict comes at the first status read after the reboot. */
    assert_true(f->u.rec.phase_ms[AGENT_TIME_TRIAL] >= f->cfg.observe_wait_ms);
    assert_true(f->tgt.app_crashes >= 1);
    want_phase_ms(&f->u.rec, want, sizeof want);
    assert_non_null(strstr(f->http.last_put, want));
    assert_non_null(strstr(f->http.last_put, "\"state\":\"rolled_back\""));
    assert_non_null(strstr(f->http.last_put, "\"rejected\":[\"1.2.0\"]"));
    assert_string_equal(agent_update_time_name(AGENT_TIME_TRIAL), "trial");
    assert_string_equal(agent_update_time_name(AGENT_TIME_COUNT), "?");
}

static void test_record_copies_and_crc(void **state)
{
    fx_t *f = *state;
    agent_upd_rec_t r, back;
    uint8_t buf[AGENT_STORAGE_REC_SIZE];

    memset(&r, 0, sizeof(r));
    r.seq = 9;
    r.phase = AGENT_UPD_DOWNLOADING;
    r.slot = 1;
    r.size = 30000;
    r.downloaded = 8192;
    strcpy(r.manifest_etag, "\"abc\"");
    strcpy(r.key, "fw/x.img");
    r.phase_ms[AGENT_TIME_CHECK] = 11;
    r.phase_ms[AGENT_TIME_TRIAL] = 0xFFFFFFFFu;
    agent_upd_rec_encode(&r, buf);
    /* phase_ms at 468 (little-endian), before the CRC at 508. */
    assert_int_equal(fota_get_le32(buf + 468), 11);
    assert_int_equal(fota_get_le32(buf + 480), 0xFFFFFFFFu);
    assert_int_equal(agent_upd_rec_decode(&back, buf), 0);
    assert_int_equal(back.phase_ms[AGENT_TIME_CHECK], 11);
    assert_int_equal(back.phase_ms[AGENT_TIME_DOWNLOAD], 0);
    assert_int_equal(back.phase_ms[AGENT_TIME_TRIAL], 0xFFFFFFFFu);
    assert_int_equal(back.downloaded, 8192);
    assert_string_equal(back.manifest_etag, "\"abc\"");
    buf[200] ^= 1;
    assert_int_equal(agent_upd_rec_decode(&back, buf), FOTA_ERR_CORRUPT);

    /* A torn newest copy: the older one is used. */
    publish(f, 1, 1, 1, 0, FOTA_PRODUCT_ID, 100, false, NULL);
    f->cfg.fetch_attempts = 1;
    agent_start(f);
    f->http.drop_after = 9000;
    assert_true(agent_update_run_once(&f->u) < 0);
    unsigned newest = f->u.rec_copy ^ 1u;
    f->sto.rec[newest][40] ^= 0xFF;
    agent_start(f);
    assert_true(f->u.rec.seq > 0);
    assert_true(f->u.rec.downloaded <= 8192);
    f->cfg.fetch_attempts = 4;
    agent_start(f);
    assert_int_equal(agent_update_run_once(&f->u), AGENT_OUT_UPDATED);
}

/* A server that ignores If-Match (s3rver 3.7.1) serves the replaced
 * object's bytes with 206: the agent sees the ETag change on the resumed
 * response and starts again from 0 instead of mixing the two objects. */
static void test_etag_change_without_412_restarts_from_zero(void **state)
{
    fx_t *f = *state;

    publish(f, 1, 1, 1, 0, FOTA_PRODUCT_ID, 100, false, NULL);
    f->http.ignore_if_match = true;
    f->http.replace_after = 8000;
    f->http.drop_after = 9000;
    assert_int_equal(agent_update_run_once(&f->u), AGENT_OUT_UPDATED);
    assert_int_equal(f->http.n412, 0);
    assert_int_equal(f->u.stats.restarts, 1);
    assert_int_equal(f->http.nranges, 3);
    assert_int_equal(f->http.ranges[0], 0);
    assert_int_equal(f->http.ranges[1], 8192);
    assert_int_equal(f->http.ranges[2], 0);
    assert_int_equal(f->u.rec.phase, AGENT_UPD_IDLE);
}

/* A dropped connection keeps the bytes that arrived: the resume starts
 * at the last erase-unit boundary before the drop, even when that is past
 * the last periodic checkpoint. */
static void test_drop_resumes_at_last_unit_not_last_checkpoint(void **state)
{
    fx_t *f = *state;

    publish(f, 1, 1, 1, 0, FOTA_PRODUCT_ID, 100, false, NULL);
    f->cfg.checkpoint_bytes = 65536; /* no periodic checkpoint in 20 KB */
    agent_start(f);
    f->http.drop_after = 13000;
    assert_int_equal(agent_update_run_once(&f->u), AGENT_OUT_UPDATED);
    assert_int_equal(f->http.nranges, 2);
    assert_int_equal(f->http.ranges[1], 12288);
    assert_int_equal(f->u.stats.resumes, 1);
    assert_int_equal(f->u.stats.restarts, 0);
}

/* Killing the agent does not reset the chip: reopening the target file
 * continues where the chip was. A committed image that never confirms
 * stays pending with all its trial attempts across any number of agent
 * restarts (each restart used to be a power-on, which booted it). */
static void test_target_survives_agent_restarts(void **state)
{
    fx_t *f = *state;
    fota_status_t st;
    agent_flash_req_t req;
    uint64_t ops;
    size_t len = mk_image(f->img, 1, 1, 1, 1, FOTA_IMAGE_F_NO_CONFIRM, 3);

    /* Commit in the bootloader without the reboot: the image is pending. */
    assert_int_equal(agent_proto_enter_update(&f->proto), 0);
    assert_int_equal(agent_proto_status(&f->proto, &st), 0);
    assert_int_equal(st.inactive_slot, 1);
    assert_int_equal(f->sto.base.ops->erase(&f->sto.base, 0, 24576), 0);
    assert_int_equal(f->sto.base.ops->write(&f->sto.base, 0, f->img, len), 0);
    memset(&req, 0, sizeof(req));
    req.read = read_sto;
    req.read_ctx = f;
    req.len = (uint32_t)len;
    req.reboot = false;
    req.skip_enter = true;
    assert_int_equal(agent_proto_flash_image(&f->proto, &req), 0);
    ops = f->tgt.flash->ops;
    for (int i = 0; i < 5; i++) {
        agent_sim_target_close(&f->tgt);
        assert_int_equal(agent_sim_target_open(&f->tgt, f->path), 0);
        agent_proto_init(&f->proto, &f->tgt.spi, &f->tgt.gpio, &f->tgt.clock,
                         NULL, NULL);
        assert_int_equal(f->tgt.wire.mode, SIM_TARGET_UPDATE);
    }
    /* Nothing was written by the reopens (no boot, no trial recorded). */
    assert_true(f->tgt.flash->ops == ops);
    assert_int_equal(f->tgt.app_crashes, 0);
    assert_int_equal(agent_proto_status(&f->proto, &st), 0);
    assert_int_equal(st.slot[1].state, FOTA_SLOT_PENDING);
    assert_int_equal(st.attempts_left, FOTA_TRIAL_ATTEMPTS);
    /* A power cycle does boot it: its trials crash and it is rolled back. */
    agent_sim_target_power_cycle(&f->tgt);
    assert_true(f->tgt.app_crashes >= 1);
    target_status(f, &st);
    assert_int_equal(st.active_slot, 0);
    assert_int_equal(st.slot[1].state, FOTA_SLOT_REJECTED);
}

/* The application's state survives too: a confirmed application keeps
 * running (no boot), and an agent that died holding NRST low lets the chip
 * boot when its pin floats. */
static void test_target_app_state_and_nrst_across_restarts(void **state)
{
    fx_t *f = *state;
    uint64_t ops;

    publish(f, 1, 1, 1, 0, FOTA_PRODUCT_ID, 100, false, NULL);
    assert_int_equal(agent_update_run_once(&f->u), AGENT_OUT_UPDATED);
    ops = f->tgt.flash->ops;
    agent_sim_target_close(&f->tgt);
    assert_int_equal(agent_sim_target_open(&f->tgt, f->path), 0);
    assert_int_equal(f->tgt.wire.mode, SIM_TARGET_APP);
    assert_int_equal(f->tgt.wire.app_slot, 1);
    assert_true(f->tgt.flash->ops == ops);
    /* NRST low, then the agent is gone. */
    assert_int_equal(f->tgt.gpio.ops->set(&f->tgt.gpio, AGENT_PIN_NRST, 0), 0);
    assert_int_equal(f->tgt.wire.mode, SIM_TARGET_RESET);
    agent_sim_target_close(&f->tgt);
    assert_int_equal(agent_sim_target_open(&f->tgt, f->path), 0);
    assert_int_equal(f->tgt.wire.mode, SIM_TARGET_APP);
    assert_int_equal(f->tgt.wire.app_slot, 1);
    /* That was a boot (the first one after resuming is the scratch
     * power-on the model discards, the second the reset release). */
    assert_int_equal(f->tgt.wire.target_boots, 2);
}

/* A commit whose trial the agent never watched (it was restarted right
 * after the commit) and then a new release: the agent lets the trial end
 * before it picks the slot, instead of downloading an image for the slot
 * that the trial's success is about to make the running one. */
static void test_pending_trial_settles_before_decide(void **state)
{
    fx_t *f = *state;
    fota_status_t st;
    agent_flash_req_t req;
    size_t len = mk_image(f->img, 1, 1, 1, 1, 0, 3);

    assert_int_equal(agent_proto_enter_update(&f->proto), 0);
    assert_int_equal(f->sto.base.ops->erase(&f->sto.base, 0, 24576), 0);
    assert_int_equal(f->sto.base.ops->write(&f->sto.base, 0, f->img, len), 0);
    memset(&req, 0, sizeof(req));
    req.read = read_sto;
    req.read_ctx = f;
    req.len = (uint32_t)len;
    req.skip_enter = true;
    assert_int_equal(agent_proto_flash_image(&f->proto, &req), 0);
    assert_int_equal(agent_proto_status(&f->proto, &st), 0);
    assert_int_equal(st.slot[1].state, FOTA_SLOT_PENDING);
    /* 1.2.0 is published before the agent looks again. */
    publish(f, 1, 2, 1, 0, FOTA_PRODUCT_ID, 100, false, NULL);
    assert_int_equal(agent_update_run_once(&f->u), AGENT_OUT_UPDATED);
    target_status(f, &st);
    assert_int_equal(st.active_slot, 0);
    assert_int_equal(st.slot[0].version.minor, 2);
    assert_int_equal(st.slot[0].state, FOTA_SLOT_CONFIRMED);
    assert_int_equal(st.slot[1].version.minor, 1);
    assert_int_equal(f->u.stats.flashes, 1);
}

/* One agent per device and per state directory. */
static void test_target_file_is_exclusive(void **state)
{
    fx_t *f = *state;
    agent_sim_target_t *other = calloc(1, sizeof(*other));

    assert_non_null(other);
    assert_int_equal(agent_sim_target_open(other, f->path), FOTA_ERR_BUSY);
    free(other);
}

static void test_utc_format(void **state)
{
    char out[24];

    (void)state;
    agent_update_format_utc(0, true, out);
    assert_string_equal(out, "1970-01-01T00:00:00Z");
    agent_update_format_utc(951782400u, false, out); /* 2000-02-29 */
    assert_string_equal(out, "20000229T000000Z");
    agent_update_format_utc(1369353600u, false, out);
    assert_string_equal(out, "20130524T000000Z");
}

/* Observation through the application: an update costs exactly its two
 * resets (into update mode at the application's request, the reboot
 * after the commit); cycles that install nothing reset nothing and are
 * answered by the modelled application's responder. */
static void test_observe_without_resets(void **state)
{
    fx_t *f = *state;
    uint32_t r0, answers;

    r0 = agent_proto_target_resets(&f->proto);
    publish(f, 1, 1, 1, 0, FOTA_PRODUCT_ID, 100, false, NULL);
    assert_int_equal(agent_update_run_once(&f->u), AGENT_OUT_UPDATED);
    assert_int_equal(agent_proto_target_resets(&f->proto) - r0, 2);
    assert_int_equal(f->proto.stats.resets, 0);
    assert_int_equal(f->proto.stats.app_update_resets, 1);
    r0 = agent_proto_target_resets(&f->proto);
    answers = f->tgt.app_answers;
    for (int i = 0; i < 10; i++) {
        int rc = agent_update_run_once(&f->u);
        assert_true(rc == AGENT_OUT_NOT_MODIFIED || rc == AGENT_OUT_UP_TO_DATE);
        /* A changed manifest outside the rollout, then the same again. */
        if (i == 4)
            publish(f, 1, 3, 1, 0, FOTA_PRODUCT_ID, 0, false, NULL);
    }
    assert_int_equal(agent_proto_target_resets(&f->proto), r0);
    assert_true(f->tgt.app_answers > answers);
    assert_true(f->u.app_valid);
    assert_int_equal(f->u.app.slot, 1);
    assert_int_equal(f->u.app.state, FOTA_SLOT_CONFIRMED);
}

/* ---- the gateway updates itself (agent_gateway.h) ------------------------ */

#define GW_MAX 30000u

/* The gateway's two slots in RAM, with a trace of what the core asked. */
typedef struct ram_gw {
    agent_gw_t base;
    agent_gw_info_t info;
    uint8_t slot[GW_MAX];
    uint32_t len, max;
    bool open, finished, booted_new;
    fota_version_t boot_version;
    unsigned begins, aborts, valids, rollbacks, reboots;
} ram_gw_t;

static ram_gw_t *rg(agent_gw_t *s)
{
    return AGENT_CONTAINER_OF(s, ram_gw_t, base);
}
static int g_info(agent_gw_t *s, agent_gw_info_t *o)
{
    *o = rg(s)->info;
    return 0;
}
static int g_begin(agent_gw_t *s, uint32_t size)
{
    ram_gw_t *g = rg(s);

    g->begins++;
    if (size > g->max)
        return FOTA_ERR_NOSPC;
    g->open = true;
    g->finished = false;
    g->len = 0;
    return 0;
}
static int g_write(agent_gw_t *s, const void *buf, size_t len)
{
    ram_gw_t *g = rg(s);

    assert_true(g->open);
    assert_true(g->len + len <= g->max);
    memcpy(g->slot + g->len, buf, len);
    g->len += (uint32_t)len;
    return 0;
}
static int g_finish(agent_gw_t *s)
{
    ram_gw_t *g = rg(s);

    assert_true(g->open);
    g->open = false;
    g->finished = true;
    return 0;
}
static void g_abort(agent_gw_t *s)
{
    rg(s)->open = false;
    rg(s)->aborts++;
}
static int g_set_boot(agent_gw_t *s, const fota_version_t *v)
{
    ram_gw_t *g = rg(s);

    assert_true(g->finished);
    g->booted_new = true;
    g->boot_version = *v;
    return 0;
}
static int g_valid(agent_gw_t *s)
{
    rg(s)->valids++;
    rg(s)->info.pending_verify = false;
    rg(s)->info.attempts = 0;
    return 0;
}
static int g_attempt(agent_gw_t *s)
{
    rg(s)->info.attempts++;
    return 0;
}
static int g_rollback(agent_gw_t *s)
{
    ram_gw_t *g = rg(s);

    g->rollbacks++;
    g->info.has_rejected = true;
    g->info.rejected = g->info.running;
    g->info.running = (fota_version_t){1, 0, 0, 0};
    g->info.pending_verify = false;
    return 0;
}
static int g_reboot(agent_gw_t *s)
{
    rg(s)->reboots++;
    return 0;
}
static const agent_gw_ops_t s_gw_ops = {
    g_info,     g_begin, g_write,   g_finish,   g_abort,
    g_set_boot, g_valid, g_attempt, g_rollback, g_reboot};

/* Add a "gateway" target (product, version, an image of len bytes made
 * from seed) to the published manifest; bad_sha publishes a wrong hash. */
static void publish_gateway(fx_t *f, const char *product, const char *version,
                            uint32_t len, uint8_t seed, bool bad_sha)
{
    obj_t *m = fake_find(&f->http, "fw/manifest.json");
    static uint8_t img[GW_MAX];
    char man[3072], hex[65];
    uint8_t dig[32];

    assert_non_null(m);
    assert_true(len <= GW_MAX);
    for (uint32_t i = 0; i < len; i++)
        img[i] = (uint8_t)(i * 7u + seed);
    fota_sha256(img, len, dig);
    if (bad_sha)
        dig[0] ^= 1;
    fota_hex_encode(dig, 32, hex);
    fake_put_obj(&f->http, "fw/gw/gateway.bin", img, len);
    snprintf(man, sizeof(man),
             "%.*s,\"gateway\":{\"product\":\"%s\",\"version\":\"%s\","
             "\"key\":\"fw/gw/gateway.bin\",\"size\":%u,\"sha256\":\"%s\"}}",
             (int)m->len - 1, (const char *)m->data, product, version, len,
             hex);
    fake_put_obj(&f->http, "fw/manifest.json", man, strlen(man));
}

static void gw_start(fx_t *f, ram_gw_t *g, agent_gateway_t *gw)
{
    agent_gateway_cfg_t cfg;

    memset(g, 0, sizeof(*g));
    g->base.ops = &s_gw_ops;
    g->max = GW_MAX;
    g->info.running = (fota_version_t){1, 0, 0, 0};
    agent_gateway_default_cfg(&cfg);
    cfg.product = "test-gw";
    assert_int_equal(agent_gateway_init(gw, &cfg, &g->base, &f->u), 0);
}

/* STM32 first, then the gateway: one release updates both; the gateway's
 * bytes arrive whole (a dropped connection resumes at the byte), the new
 * slot is booted on trial and the agent asks for a restart. */
static void test_gateway_installed_after_stm32(void **state)
{
    fx_t *f = *state;
    static ram_gw_t g;
    agent_gateway_t gw;
    obj_t *o;

    gw_start(f, &g, &gw);
    publish(f, 1, 1, 1, 0, FOTA_PRODUCT_ID, 100, false, NULL);
    publish_gateway(f, "test-gw", "2.0.0", 25000, 3, false);
    assert_int_equal(agent_gateway_run_once(&gw), AGENT_OUT_UPDATED);
    /* The STM32 update ran first and finished (no drop there yet). */
    assert_int_equal(f->u.rec.phase, AGENT_UPD_IDLE);
    assert_int_equal(gw.outcome, AGENT_GW_INSTALLED);
    assert_true(gw.restart);
    assert_int_equal(g.reboots, 1);
    assert_true(g.booted_new);
    assert_int_equal(g.boot_version.major, 2);
    o = fake_find(&f->http, "fw/gw/gateway.bin");
    assert_int_equal(g.len, o->len);
    assert_memory_equal(g.slot, o->data, o->len);

    /* Again, with a connection that drops part-way: resumed, same bytes. */
    gw_start(f, &g, &gw);
    f->http.drop_after = 9000;
    f->http.nranges = 0;
    assert_true(agent_gateway_run_once(&gw) >= 0);
    assert_int_equal(gw.outcome, AGENT_GW_INSTALLED);
    assert_int_equal(gw.resumes, 1);
    assert_int_equal(f->http.ranges[f->http.nranges - 1], 9000);
    assert_memory_equal(g.slot, o->data, o->len);
}

/* What the gateway refuses or postpones: another product, not newer, the
 * version rolled back before, a hash that does not match, too large, and
 * an STM32 update that has not settled. */
static void test_gateway_refusals(void **state)
{
    static const struct {
        const char *stm32_product, *gw_product, *gw_version;
        bool bad_sha, rejected;
        uint32_t slot_max;
        int outcome, err;
        const char *why;
    } cases[] = {
        {FOTA_PRODUCT_ID, "other-gw", "2.0.0", false, false, GW_MAX,
         AGENT_GW_SKIPPED, 0, "gateway target is for another product"},
        /* A release for another STM32 product carries nothing for us. */
        {"other-board", "test-gw", "2.0.0", false, false, GW_MAX,
         AGENT_GW_SKIPPED, 0, "the release is for another STM32 product"},
        {FOTA_PRODUCT_ID, "test-gw", "1.0.0", false, false, GW_MAX,
         AGENT_GW_UP_TO_DATE, 0, NULL},
        {FOTA_PRODUCT_ID, "test-gw", "2.0.0", false, true, GW_MAX,
         AGENT_GW_SKIPPED, 0, "this version was rolled back before"},
        {FOTA_PRODUCT_ID, "test-gw", "2.0.0", true, false, GW_MAX,
         AGENT_GW_ERROR, FOTA_ERR_CORRUPT,
         "gateway image SHA-256 differs from the manifest"},
        {FOTA_PRODUCT_ID, "test-gw", "2.0.0", false, false, 999, AGENT_GW_ERROR,
         FOTA_ERR_NOSPC, "image larger than the slot"},
    };
    fx_t *f = *state;
    static ram_gw_t g;
    agent_gateway_t gw;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        publish(f, 1, 1, 1, 0, cases[i].stm32_product, 100, false, NULL);
        publish_gateway(f, cases[i].gw_product, cases[i].gw_version, 1000, 1,
                        cases[i].bad_sha);
        gw_start(f, &g, &gw);
        g.max = cases[i].slot_max;
        if (cases[i].rejected) {
            g.info.has_rejected = true;
            g.info.rejected = (fota_version_t){2, 0, 0, 0};
        }
        agent_gateway_run_once(&gw);
        if (gw.outcome != cases[i].outcome || gw.last_error != cases[i].err)
            fail_msg("case %zu: outcome %d error %d", i, gw.outcome,
                     gw.last_error);
        if (cases[i].why)
            assert_string_equal(gw.why, cases[i].why);
        /* Nothing booted, no restart, no slot left open (a hash mismatch
         * drops the one it wrote). */
        assert_false(g.booted_new);
        assert_false(gw.restart);
        assert_false(g.open);
        assert_int_equal(g.aborts, cases[i].bad_sha ? 1 : 0);
    }

    /* A newer STM32 release whose images cannot be fetched: the gateway
     * waits for the STM32 to settle. */
    publish(f, 1, 2, 1, 0, FOTA_PRODUCT_ID, 100, false, NULL);
    publish_gateway(f, "test-gw", "2.0.0", 1000, 1, false);
    gw_start(f, &g, &gw);
    f->http.force_image_status = 503;
    assert_true(agent_gateway_run_once(&gw) < 0);
    assert_int_equal(gw.outcome, AGENT_GW_SKIPPED);
    assert_string_equal(gw.why, "waiting for the STM32 update to settle");
    assert_int_equal(g.begins, 0);
}

/* A trial image is marked valid only by a cycle that reached S3 and the
 * STM32; after max_attempts cycles that did not, the port rolls back. */
static void test_gateway_trial_proven_or_rolled_back(void **state)
{
    fx_t *f = *state;
    static ram_gw_t g;
    agent_gateway_t gw;

    publish(f, 1, 1, 1, 0, FOTA_PRODUCT_ID, 100, false, NULL);
    publish_gateway(f, "test-gw", "2.0.0", 1000, 1, false);
    gw_start(f, &g, &gw);
    g.info.pending_verify = true;
    g.info.running = (fota_version_t){2, 0, 0, 0};
    agent_gateway_run_once(&gw);
    assert_int_equal(gw.outcome, AGENT_GW_PROVEN);
    assert_int_equal(g.valids, 1);
    /* Proven: a 304 cycle after it installs nothing. */
    agent_gateway_run_once(&gw);
    assert_int_equal(gw.outcome, AGENT_GW_UP_TO_DATE);
    assert_int_equal(g.begins, 0);

    /* S3 answers 403 (the new image signs wrongly, say): never proven. */
    gw_start(f, &g, &gw);
    g.info.pending_verify = true;
    g.info.running = (fota_version_t){2, 0, 0, 0};
    f->http.force_status = 403;
    for (unsigned i = 1; i < 3; i++) {
        assert_true(agent_gateway_run_once(&gw) < 0);
        assert_int_equal(gw.outcome, AGENT_GW_TRIAL_FAILED);
        assert_string_equal(gw.why, "S3 not reached");
        assert_int_equal(g.info.attempts, i);
        assert_false(gw.restart);
    }
    assert_true(agent_gateway_run_once(&gw) < 0);
    assert_int_equal(gw.outcome, AGENT_GW_ROLLED_BACK);
    assert_int_equal(g.rollbacks, 1);
    assert_int_equal(g.valids, 0);
    assert_true(gw.restart);
    /* Back on 1.0.0, S3 reachable again: 2.0.0 is not taken again. */
    f->http.force_status = 0;
    agent_gateway_run_once(&gw);
    assert_int_equal(gw.outcome, AGENT_GW_SKIPPED);
    assert_string_equal(gw.why, "this version was rolled back before");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utc_format),
        cmocka_unit_test_setup_teardown(test_update_then_304_downloads_nothing,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_skip_other_product, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_skip_not_newer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_skip_rollout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_skip_sec_floor, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resume_at_offset_after_restart,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_412_restarts_from_zero, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_hash_mismatch_commits_nothing,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_signed_image_installed, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_unsigned_image_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_tampered_signature_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_other_key_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_no_key_ignores_signature, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_bootloader_refuses_unsigned_commit,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_rollback_observed_not_retried,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_errors_back_off, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_report_phase_times_and_rejected,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_put_with_credentials, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_s3_errors_say_what_happened, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_signed_manifest_sequence_persisted,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_signed_manifest_refusals, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_image_redirect_not_retried, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_clock_skew_uses_server_date, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_dropped_body_named, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_record_copies_and_crc, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_etag_change_without_412_restarts_from_zero, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_drop_resumes_at_last_unit_not_last_checkpoint, setup,
            teardown),
        cmocka_unit_test_setup_teardown(test_target_survives_agent_restarts,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_target_app_state_and_nrst_across_restarts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_target_file_is_exclusive, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_pending_trial_settles_before_decide, setup, teardown),
        cmocka_unit_test_setup_teardown(test_observe_without_resets, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_gateway_installed_after_stm32,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_gateway_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_gateway_trial_proven_or_rolled_back, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
