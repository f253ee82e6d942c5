/*
 * tool_release.c - release pair check, manifest and S3 PUT/GET for
 * `fota release` (see tool_release.h).
 */
#define _POSIX_C_SOURCE 200809L

#include "tool_release.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "agent_manifest.h"
#include "agent_sigv4.h"
#include "fota/fota_ed25519.h"
#include "fota/fota_err.h"
#include "tool.h"
#include "tool_image.h"
#include "tool_json.h"

/* ---- the pair ---- */

/* The header's product as a C string (it is not NUL-terminated when all
 * 16 bytes are used). */
static void hdr_product(const fota_image_hdr_t *h,
                        char out[FOTA_IMAGE_PRODUCT_LEN + 1])
{
    memcpy(out, h->product, FOTA_IMAGE_PRODUCT_LEN);
    out[FOTA_IMAGE_PRODUCT_LEN] = '\0';
}

/* First failing check of r as "name: detail". */
static void first_failure(const tool_image_report_t *r, char *out, size_t len)
{
    for (size_t i = 0; i < r->ncheck; i++) {
        if (!r->check[i].ok) {
            snprintf(out, len, "%s: %s", r->check[i].name, r->check[i].detail);
            return;
        }
    }
    snprintf(out, len, "no check could run");
}

int tool_release_check_pair(const uint8_t *const img[2], const size_t len[2],
                            tool_release_info_t *info, char *err,
                            size_t err_len)
{
    static const char *const names[2] = {"slot-a", "slot-b"};
    tool_image_report_t *r = NULL;
    char prod[2][FOTA_IMAGE_PRODUCT_LEN + 1];
    fota_image_hdr_t hdr[2];
    int ret = FOTA_ERR_CORRUPT;

    memset(info, 0, sizeof *info);
    /* A report holds a whole header copy and its check texts: heap, not
     * stack. */
    r = malloc(sizeof *r);
    if (r == NULL) {
        snprintf(err, err_len, "out of memory");
        ret = FOTA_ERR_NOMEM;
        goto out;
    }
    for (int s = 0; s < 2; s++) {
        if (!tool_image_analyse(img[s], len[s], s, NULL, r)) {
            char why[260];
            int other = -1;

            /* The common mistake is swapped files: say so plainly. */
            if (r->hdr_ok &&
                r->hdr.load_addr == (uint32_t)FOTA_SLOT_BODY_ADDR(1 - s))
                other = 1 - s;
            if (other >= 0) {
                snprintf(
                    err, err_len,
                    "the %s image is linked for slot %s (0x%08lx): were the "
                    "slot-a and slot-b files swapped?",
                    names[s], tool_slot_name(other),
                    (unsigned long)r->hdr.load_addr);
            } else {
                first_failure(r, why, sizeof why);
                snprintf(err, err_len, "the %s image is invalid: %s", names[s],
                         why);
            }
            goto out;
        }
        hdr[s] = r->hdr;
        hdr_product(&hdr[s], prod[s]);
        info->size[s] = len[s];
        fota_sha256(img[s], len[s], info->sha256[s]);
    }

    if (fota_version_cmp(&hdr[0].version, &hdr[1].version) != 0) {
        char va[40], vb[40];
        tool_format_version(&hdr[0].version, va, sizeof va);
        tool_format_version(&hdr[1].version, vb, sizeof vb);
        snprintf(err, err_len, "versions differ: slot-a is %s, slot-b is %s",
                 va, vb);
        goto out;
    }
    if (hdr[0].sec_counter != hdr[1].sec_counter) {
        snprintf(err, err_len,
                 "security counters differ: slot-a %lu, slot-b %lu",
                 (unsigned long)hdr[0].sec_counter,
                 (unsigned long)hdr[1].sec_counter);
        goto out;
    }
    if (strcmp(prod[0], prod[1]) != 0) {
        snprintf(err, err_len, "products differ: slot-a '%s', slot-b '%s'",
                 prod[0], prod[1]);
        goto out;
    }
    if (hdr[0].flags != hdr[1].flags) {
        snprintf(err, err_len, "flags differ: slot-a 0x%08lx, slot-b 0x%08lx",
                 (unsigned long)hdr[0].flags, (unsigned long)hdr[1].flags);
        goto out;
    }
    /* The manifest carries the product as 1..16 printable characters; an
     * image whose product it cannot carry could never be matched. */
    if (prod[0][0] == '\0') {
        snprintf(err, err_len, "the images have an empty product id");
        goto out;
    }
    for (const char *p = prod[0]; *p != '\0'; p++) {
        if (*p < 0x20 || *p > 0x7E || *p == '"' || *p == '\\') {
            snprintf(err, err_len,
                     "the images' product id has a character the "
                     "manifest cannot carry");
            goto out;
        }
    }

    memcpy(info->product, prod[0], sizeof info->product);
    info->version = hdr[0].version;
    tool_format_version(&hdr[0].version, info->version_str,
                        sizeof info->version_str);
    info->sec_counter = hdr[0].sec_counter;
    info->flags = hdr[0].flags;
    ret = 0;
out:
    free(r);
    return ret;
}

/* ---- keys and the manifest ---- */

int tool_release_image_key(const char *prefix, const char *version_str,
                           int slot, char *out, size_t out_len)
{
    int n = snprintf(out, out_len, "%s/%s/slot-%s.img", prefix, version_str,
                     slot == 0 ? "a" : "b");
    return n < 0 || (size_t)n >= out_len ? FOTA_ERR_NOMEM : 0;
}

int tool_release_gateway_key(const char *prefix, const char *version_str,
                             const char *gw_version, char *out, size_t out_len)
{
    int n = snprintf(out, out_len, "%s/%s/gateway-%s.bin", prefix, version_str,
                     gw_version);
    return n < 0 || (size_t)n >= out_len ? FOTA_ERR_NOMEM : 0;
}

int tool_release_manifest_key(const char *prefix, char *out, size_t out_len)
{
    int n = snprintf(out, out_len, "%s/manifest.json", prefix);
    return n < 0 || (size_t)n >= out_len ? FOTA_ERR_NOMEM : 0;
}

void tool_release_utc_now(char *out, size_t out_len)
{
    time_t t = time(NULL);
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(out, out_len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Parse the text back as a device would and compare what it read. */
static int check_manifest(const char *text, size_t len,
                          const tool_release_info_t *info,
                          const char keys[2][AGENT_MANIFEST_KEY_SIZE],
                          const char *gw_key, unsigned rollout,
                          const tool_manifest_sign_t *sign, char *err,
                          size_t err_len)
{
    /* uint64_t elements: the arena must be aligned like any object. */
    static uint64_t arena[AGENT_MANIFEST_ARENA_SIZE / sizeof(uint64_t)];
    agent_manifest_t m;
    int rc = agent_manifest_parse(text, len, arena, sizeof arena, &m);

    if (rc != 0) {
        snprintf(err, err_len,
                 "the manifest would be refused by the agent's parser: %s",
                 m.error);
        return rc;
    }
    if (sign != NULL && sign->seed != NULL) {
        uint8_t pub[FOTA_ED25519_PUB_SIZE];

        fota_ed25519_pubkey(pub, sign->seed);
        if (agent_manifest_verify(&m, text, len, pub) != 0 ||
            m.sequence != sign->sequence || m.expires != sign->expires ||
            m.halted != sign->halted ||
            (sign->has_rollout && m.n_phases != sign->n_phases)) {
            snprintf(err, err_len, "the signed manifest does not read back: %s",
                     m.error);
            return FOTA_ERR_CORRUPT;
        }
    }
    if (strcmp(m.product, info->product) != 0 ||
        strcmp(m.version_str, info->version_str) != 0 ||
        fota_version_cmp(&m.version, &info->version) != 0 ||
        m.security_counter != info->sec_counter ||
        m.rollout_percent != rollout) {
        snprintf(err, err_len,
                 "the manifest reads back with different release fields");
        return FOTA_ERR_CORRUPT;
    }
    if (sign != NULL && sign->gateway != NULL) {
        const tool_release_gateway_t *gw = sign->gateway;

        if (!m.has_gateway || strcmp(m.gateway.product, gw->product) != 0 ||
            strcmp(m.gateway.version_str, gw->version_str) != 0 ||
            strcmp(m.gateway.image.key, gw_key) != 0 ||
            m.gateway.image.size != gw->size ||
            memcmp(m.gateway.image.sha256, gw->sha256, FOTA_SHA256_SIZE) != 0) {
            snprintf(err, err_len,
                     "the manifest reads back with different gateway fields: "
                     "%s",
                     m.error);
            return FOTA_ERR_CORRUPT;
        }
    } else if (m.has_gateway) {
        snprintf(err, err_len, "the manifest reads back with a gateway target");
        return FOTA_ERR_CORRUPT;
    }
    for (int s = 0; s < 2; s++) {
        if (strcmp(m.slot[s].key, keys[s]) != 0 ||
            m.slot[s].size != info->size[s] ||
            memcmp(m.slot[s].sha256, info->sha256[s], FOTA_SHA256_SIZE) != 0) {
            snprintf(err, err_len,
                     "the manifest reads back with different slot %s fields",
                     tool_slot_name(s));
            return FOTA_ERR_CORRUPT;
        }
    }
    return 0;
}

/* Sign the manifest text in *buf (*blen bytes, ending with '}' and blanks):
 * drop the closing brace, append the signature member and the brace. */
static int sign_manifest(char **buf, size_t *blen,
                         const tool_manifest_sign_t *sign, char *err,
                         size_t err_len)
{
    char tail[AGENT_MANIFEST_SIG_TAIL_LEN + 1];
    size_t end = *blen;
    char *out;

    while (end > 0 && (*buf)[end - 1] != '}')
        end--;
    if (end == 0) {
        snprintf(err, err_len, "manifest text has no closing brace");
        return FOTA_ERR_INVAL;
    }
    end--; /* the signed bytes: everything before the final '}' */
    agent_manifest_sign_tail(*buf, end, sign->seed, tail);
    out = malloc(end + sizeof tail + 1);
    if (out == NULL) {
        snprintf(err, err_len, "out of memory");
        return FOTA_ERR_NOMEM;
    }
    memcpy(out, *buf, end);
    memcpy(out + end, tail, AGENT_MANIFEST_SIG_TAIL_LEN);
    out[end + AGENT_MANIFEST_SIG_TAIL_LEN] = '\n';
    out[end + AGENT_MANIFEST_SIG_TAIL_LEN + 1] = '\0';
    free(*buf);
    *buf = out;
    *blen = end + AGENT_MANIFEST_SIG_TAIL_LEN + 1;
    return 0;
}

int tool_release_manifest(const tool_release_info_t *info, const char *prefix,
                          unsigned rollout_percent, const char *published_at,
                          const tool_manifest_sign_t *sign, char **text,
                          size_t *len, char *err, size_t err_len)
{
    char keys[2][AGENT_MANIFEST_KEY_SIZE], gw_key[AGENT_MANIFEST_KEY_SIZE];
    const tool_release_gateway_t *gw = sign != NULL ? sign->gateway : NULL;
    char hex[2 * FOTA_SHA256_SIZE + 1];
    char *buf = NULL;
    size_t blen = 0;
    FILE *f = NULL;
    tool_json_t j;
    int rc;

    *text = NULL;
    *len = 0;
    if (rollout_percent > TOOL_RELEASE_ROLLOUT_MAX) {
        snprintf(err, err_len, "rollout %u%% is over 100%%", rollout_percent);
        return FOTA_ERR_INVAL;
    }
    for (int s = 0; s < 2; s++) {
        if (info->size[s] == 0 || info->size[s] > UINT32_MAX) {
            snprintf(err, err_len, "slot %s image size %zu cannot be published",
                     tool_slot_name(s), info->size[s]);
            return FOTA_ERR_INVAL;
        }
        if (tool_release_image_key(prefix, info->version_str, s, keys[s],
                                   sizeof keys[s]) != 0) {
            snprintf(err, err_len,
                     "object keys under prefix '%s' would exceed the "
                     "manifest's %d characters",
                     prefix, AGENT_MANIFEST_KEY_SIZE - 1);
            return FOTA_ERR_INVAL;
        }
    }
    if (gw != NULL) {
        fota_version_t v;
        size_t n = gw->product ? strlen(gw->product) : 0;

        for (size_t i = 0; i < n; i++)
            if (gw->product[i] < 0x20 || gw->product[i] > 0x7e)
                n = 0;
        if (n == 0 || n >= AGENT_MANIFEST_GW_PRODUCT_SIZE) {
            snprintf(err, err_len,
                     "gateway product must be 1..%d printable characters",
                     AGENT_MANIFEST_GW_PRODUCT_SIZE - 1);
            return FOTA_ERR_INVAL;
        }
        if (gw->version_str == NULL ||
            strlen(gw->version_str) >= AGENT_MANIFEST_VERSION_SIZE ||
            agent_manifest_parse_version(gw->version_str, &v) != 0) {
            snprintf(err, err_len,
                     "gateway version '%s' is not major.minor.patch[+build]",
                     gw->version_str ? gw->version_str : "");
            return FOTA_ERR_INVAL;
        }
        if (gw->size == 0 || gw->size > UINT32_MAX) {
            snprintf(err, err_len, "gateway image size %zu cannot be published",
                     gw->size);
            return FOTA_ERR_INVAL;
        }
        if (tool_release_gateway_key(prefix, info->version_str, gw->version_str,
                                     gw_key, sizeof gw_key) != 0) {
            snprintf(err, err_len,
                     "the gateway image key would exceed the manifest's %d "
                     "characters",
                     AGENT_MANIFEST_KEY_SIZE - 1);
            return FOTA_ERR_INVAL;
        }
    } else {
        gw_key[0] = '\0';
    }

    /* The tool's JSON writer, into memory: the same escaping as --json. */
    f = open_memstream(&buf, &blen);
    if (f == NULL) {
        snprintf(err, err_len, "out of memory");
        return FOTA_ERR_NOMEM;
    }
    tool_json_init(&j, f);
    tool_json_begin_obj(&j, NULL);
    tool_json_uint(&j, "format", AGENT_MANIFEST_FORMAT);
    tool_json_str(&j, "product", info->product);
    tool_json_str(&j, "version", info->version_str);
    tool_json_uint(&j, "security_counter", info->sec_counter);
    tool_json_uint(&j, "rollout_percent", rollout_percent);
    tool_json_str(&j, "published_at", published_at);
    if (sign != NULL && sign->has_rollout) {
        tool_json_begin_obj(&j, "rollout");
        tool_json_bool(&j, "halted", sign->halted);
        tool_json_uint(&j, "spread_s", sign->spread_s);
        tool_json_begin_arr(&j, "phases");
        for (unsigned i = 0; i < sign->n_phases; i++) {
            tool_json_begin_obj(&j, NULL);
            tool_json_uint(&j, "percent", sign->percent[i]);
            tool_json_uint(&j, "start", sign->start[i]);
            tool_json_end_obj(&j);
        }
        tool_json_end_arr(&j);
        tool_json_end_obj(&j);
    }
    if (sign != NULL && (sign->seed != NULL || sign->sequence != 0))
        tool_json_uint(&j, "sequence", sign->sequence);
    if (sign != NULL && sign->seed != NULL)
        tool_json_uint(&j, "expires", sign->expires);
    tool_json_begin_obj(&j, "slots");
    for (int s = 0; s < 2; s++) {
        tool_json_begin_obj(&j, s == 0 ? "a" : "b");
        tool_json_str(&j, "key", keys[s]);
        tool_json_uint(&j, "size", info->size[s]);
        fota_hex_encode(info->sha256[s], FOTA_SHA256_SIZE, hex);
        tool_json_str(&j, "sha256", hex);
        tool_json_end_obj(&j);
    }
    tool_json_end_obj(&j);
    if (gw != NULL) {
        tool_json_begin_obj(&j, "gateway");
        tool_json_str(&j, "product", gw->product);
        tool_json_str(&j, "version", gw->version_str);
        tool_json_str(&j, "key", gw_key);
        tool_json_uint(&j, "size", gw->size);
        fota_hex_encode(gw->sha256, FOTA_SHA256_SIZE, hex);
        tool_json_str(&j, "sha256", hex);
        tool_json_end_obj(&j);
    }
    tool_json_end_obj(&j);
    if (fclose(f) != 0 || buf == NULL) {
        free(buf);
        snprintf(err, err_len, "out of memory");
        return FOTA_ERR_NOMEM;
    }
    if (sign != NULL && sign->seed != NULL &&
        (rc = sign_manifest(&buf, &blen, sign, err, err_len)) != 0) {
        free(buf);
        return rc;
    }
    if (blen > AGENT_MANIFEST_TEXT_MAX) {
        snprintf(err, err_len, "the manifest is %zu bytes, over the agent's %d",
                 blen, AGENT_MANIFEST_TEXT_MAX);
        free(buf);
        return FOTA_ERR_NOMEM;
    }
    rc = check_manifest(buf, blen, info,
                        (const char(*)[AGENT_MANIFEST_KEY_SIZE])keys, gw_key,
                        rollout_percent, sign, err, err_len);
    if (rc != 0) {
        free(buf);
        return rc;
    }
    *text = buf;
    *len = blen;
    return 0;
}

/* ---- S3 ---- */

#define S3_DEFAULT_CONNECT_S 10L
#define S3_DEFAULT_STALL_S 30L
/* Error bodies are small XML documents; keep this much of one. */
#define S3_ERROR_BODY_MAX 8192u

static bool region_ok(const char *r)
{
    if (r == NULL || r[0] == '\0' || strlen(r) > 32)
        return false;
    for (; *r != '\0'; r++)
        if (!isalnum((unsigned char)*r) && *r != '-')
            return false;
    return true;
}

static const char *env_nonempty(const char *name)
{
    const char *v = getenv(name);
    return v != NULL && v[0] != '\0' ? v : NULL;
}

int tool_s3_from_env(tool_s3_t *s3, const char *endpoint_opt,
                     const char *bucket, const char *region_opt,
                     bool need_creds, char *ep_buf, size_t ep_len, char *err,
                     size_t err_len)
{
    const char *region = region_opt;
    size_t n;

    memset(s3, 0, sizeof *s3);
    if (region == NULL)
        region = env_nonempty("AWS_REGION");
    if (region == NULL)
        region = env_nonempty("AWS_DEFAULT_REGION");
    if (region == NULL)
        region = "us-east-1";
    if (!region_ok(region)) {
        snprintf(err, err_len, "bad region '%s' (letters, digits and '-')",
                 region);
        return FOTA_ERR_INVAL;
    }
    if (bucket == NULL || bucket[0] == '\0' || strchr(bucket, '/') != NULL ||
        strlen(bucket) > 63) {
        snprintf(err, err_len, "bad bucket name '%s'",
                 bucket != NULL ? bucket : "");
        return FOTA_ERR_INVAL;
    }
    if (endpoint_opt != NULL) {
        if (strncmp(endpoint_opt, "http://", 7) != 0 &&
            strncmp(endpoint_opt, "https://", 8) != 0) {
            snprintf(err, err_len,
                     "endpoint '%s' must start with http:// or https://",
                     endpoint_opt);
            return FOTA_ERR_INVAL;
        }
        n = strlen(endpoint_opt);
        while (n > 0 && endpoint_opt[n - 1] == '/')
            n--;
        if (n >= ep_len) {
            snprintf(err, err_len, "endpoint too long");
            return FOTA_ERR_INVAL;
        }
        memcpy(ep_buf, endpoint_opt, n);
        ep_buf[n] = '\0';
    } else if ((size_t)snprintf(ep_buf, ep_len, "https://s3.%s.amazonaws.com",
                                region) >= ep_len) {
        snprintf(err, err_len, "endpoint too long");
        return FOTA_ERR_INVAL;
    }

    s3->endpoint = ep_buf;
    s3->bucket = bucket;
    s3->region = region;
    s3->access_key = env_nonempty("AWS_ACCESS_KEY_ID");
    s3->secret_key = env_nonempty("AWS_SECRET_ACCESS_KEY");
    s3->session_token = env_nonempty("AWS_SESSION_TOKEN");
    if ((s3->access_key == NULL) != (s3->secret_key == NULL) ||
        (need_creds && s3->access_key == NULL)) {
        snprintf(err, err_len,
                 "no credentials: set AWS_ACCESS_KEY_ID and "
                 "AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for "
                 "temporary credentials)%s",
                 s3->access_key != NULL ? " (AWS_SECRET_ACCESS_KEY is missing)"
                 : s3->secret_key != NULL ? " (AWS_ACCESS_KEY_ID is missing)"
                                          : "");
        return FOTA_ERR_AUTH;
    }
    return 0;
}

/* One transfer's response: headers and a bounded body. */
typedef struct s3_xfer {
    tool_s3_result_t *res;
    uint8_t *body;
    size_t len, cap, max;
    bool too_big;
} s3_xfer_t;

static size_t on_header(char *line, size_t size, size_t nmemb, void *user)
{
    s3_xfer_t *x = user;
    size_t len = size * nmemb;

    /* A new status line (after a 100 Continue) starts a new header set. */
    if (len > 5 && strncmp(line, "HTTP/", 5) == 0)
        x->res->etag[0] = '\0';
    if (len > 5 && strncasecmp(line, "ETag:", 5) == 0) {
        const char *v = line + 5;
        size_t vl;

        while (*v == ' ' || *v == '\t')
            v++;
        vl = strcspn(v, "\r\n");
        if (vl < sizeof x->res->etag) {
            memcpy(x->res->etag, v, vl);
            x->res->etag[vl] = '\0';
        }
    }
    return len;
}

static size_t on_write(char *data, size_t size, size_t nmemb, void *user)
{
    s3_xfer_t *x = user;
    size_t len = size * nmemb;

    if (x->len + len > x->max) {
        x->too_big = true;
        return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
    }
    if (x->len + len + 1 > x->cap) {
        size_t cap = x->cap ? x->cap : 4096;
        uint8_t *p;

        while (cap < x->len + len + 1)
            cap *= 2;
        p = realloc(x->body, cap);
        if (p == NULL)
            return 0;
        x->body = p;
        x->cap = cap;
    }
    memcpy(x->body + x->len, data, len);
    x->len += len;
    x->body[x->len] = '\0';
    return len;
}

/* Copy the text between <tag> and </tag> of an XML body, if any. */
static void xml_field(const uint8_t *body, size_t len, const char *tag,
                      char *out, size_t out_len)
{
    char open[32], close[32];
    const char *b = (const char *)body, *s, *e;
    size_t n;

    out[0] = '\0';
    if (body == NULL || len == 0)
        return;
    snprintf(open, sizeof open, "<%s>", tag);
    snprintf(close, sizeof close, "</%s>", tag);
    s = strstr(b, open);
    if (s == NULL)
        return;
    s += strlen(open);
    e = strstr(s, close);
    if (e == NULL)
        return;
    n = (size_t)(e - s);
    if (n >= out_len)
        n = out_len - 1;
    memcpy(out, s, n);
    out[n] = '\0';
}

/* Build endpoint/bucket/<key, percent-encoded per segment> into a malloc'd
 * string, or NULL. */
static char *object_url(const tool_s3_t *s3, const char *key)
{
    size_t klen = strlen(key);
    size_t cap = strlen(s3->endpoint) + strlen(s3->bucket) + 3 * klen + 4;
    char *url = malloc(cap);
    int n;

    if (url == NULL)
        return NULL;
    n = snprintf(url, cap, "%s/%s/", s3->endpoint, s3->bucket);
    /* A bucket request (ListObjectsV2): the query is already encoded. */
    if (n >= 0 && key[0] == '?') {
        snprintf(url + n, cap - (size_t)n, "%s", key);
        return url;
    }
    /* '+' in a version ("1.2.0+45") travels as %2B: S3 would otherwise be
     * free to read it as a space. */
    if (n < 0 ||
        agent_sigv4_uri_encode(key, klen, 1, url + n, cap - (size_t)n) < 0) {
        free(url);
        return NULL;
    }
    return url;
}

/* Run one request. method "PUT" (body up/up_len) or "GET". */
static int s3_request(const tool_s3_t *s3, const char *method, const char *key,
                      const uint8_t *up, size_t up_len,
                      const char *content_type, size_t max_body, s3_xfer_t *x)
{
    CURL *c = NULL;
    struct curl_slist *hdrs = NULL;
    char *url = NULL, *userpwd = NULL;
    char line[256 + AGENT_SIGV4_HEX_SIZE];
    char sigv4[96];
    char curl_err[CURL_ERROR_SIZE];
    tool_s3_result_t *res = x->res;
    CURLcode cc;
    int ret = FOTA_ERR_IO;

    memset(res, 0, sizeof *res);
    x->max = max_body;
    curl_err[0] = '\0';

    url = object_url(s3, key);
    c = curl_easy_init();
    if (url == NULL || c == NULL) {
        snprintf(res->message, sizeof res->message, "out of memory");
        ret = FOTA_ERR_NOMEM;
        goto out;
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_err);
    /* Deadlines: connecting, and a transfer that stops moving. */
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT,
                     s3->connect_timeout_s > 0 ? s3->connect_timeout_s
                                               : S3_DEFAULT_CONNECT_S);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME,
                     s3->stall_timeout_s > 0 ? s3->stall_timeout_s
                                             : S3_DEFAULT_STALL_S);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, x);

    if (strcmp(method, "PUT") == 0) {
        uint8_t d[FOTA_SHA256_SIZE];
        char hex[AGENT_SIGV4_HEX_SIZE];

        /* S3 requires the payload hash header on every signed request and
         * libcurl's signer does not add it; it signs it with the other
         * headers we pass. */
        fota_sha256(up, up_len, d);
        fota_hex_encode(d, sizeof d, hex);
        snprintf(line, sizeof line, "x-amz-content-sha256: %s", hex);
        hdrs = curl_slist_append(hdrs, line);
        snprintf(line, sizeof line, "Content-Type: %s", content_type);
        hdrs = curl_slist_append(hdrs, line);
        /* The body from memory (not a read callback): libcurl's signer
         * then sees the same payload the header names. */
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, (const char *)up);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)up_len);
    } else {
        hdrs = curl_slist_append(
            hdrs, "x-amz-content-sha256: " AGENT_SIGV4_EMPTY_SHA256);
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    }
    if (s3->access_key != NULL) {
        size_t ul = strlen(s3->access_key) + strlen(s3->secret_key) + 2;

        if (s3->session_token != NULL) {
            int n = snprintf(NULL, 0, "x-amz-security-token: %s",
                             s3->session_token);
            char *t = malloc((size_t)n + 1);
            struct curl_slist *h2;
            if (t == NULL)
                goto nomem;
            snprintf(t, (size_t)n + 1, "x-amz-security-token: %s",
                     s3->session_token);
            h2 = curl_slist_append(hdrs, t); /* copies t */
            free(t);
            if (h2 == NULL)
                goto nomem;
            hdrs = h2;
        }
        userpwd = malloc(ul);
        if (userpwd == NULL)
            goto nomem;
        snprintf(userpwd, ul, "%s:%s", s3->access_key, s3->secret_key);
        snprintf(sigv4, sizeof sigv4, "aws:amz:%s:s3", s3->region);
        curl_easy_setopt(c, CURLOPT_AWS_SIGV4, sigv4);
        curl_easy_setopt(c, CURLOPT_USERPWD, userpwd);
    }
    if (hdrs == NULL)
        goto nomem;
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);

    cc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &res->status);
    if (cc != CURLE_OK) {
        if (x->too_big) {
            snprintf(res->message, sizeof res->message,
                     "%s is larger than %zu bytes", key, max_body);
            ret = FOTA_ERR_NOMEM;
        } else {
            snprintf(res->message, sizeof res->message, "%s %s: %s", method,
                     url,
                     curl_err[0] != '\0' ? curl_err : curl_easy_strerror(cc));
            ret = cc == CURLE_OPERATION_TIMEDOUT ? FOTA_ERR_TIMEOUT
                                                 : FOTA_ERR_PLATFORM((int)cc);
        }
        goto out;
    }
    if (res->status < 200 || res->status > 299) {
        char msg[160];

        xml_field(x->body, x->len, "Code", res->error_code,
                  sizeof res->error_code);
        xml_field(x->body, x->len, "Message", msg, sizeof msg);
        snprintf(res->message, sizeof res->message, "%s %s: HTTP %ld%s%s%s%s",
                 method, url, res->status, res->error_code[0] ? " " : "",
                 res->error_code, msg[0] ? ": " : "", msg);
        ret = FOTA_ERR_IO;
        goto out;
    }
    ret = 0;
    goto out;
nomem:
    snprintf(res->message, sizeof res->message, "out of memory");
    ret = FOTA_ERR_NOMEM;
out:
    curl_slist_free_all(hdrs);
    if (c != NULL)
        curl_easy_cleanup(c);
    free(userpwd);
    free(url);
    return ret;
}

int tool_s3_put(const tool_s3_t *s3, const char *key, const uint8_t *body,
                size_t len, const char *content_type, tool_s3_result_t *res)
{
    s3_xfer_t x;
    int rc;

    memset(&x, 0, sizeof x);
    x.res = res;
    if (s3->access_key == NULL) {
        memset(res, 0, sizeof *res);
        snprintf(res->message, sizeof res->message, "uploads need credentials");
        return FOTA_ERR_AUTH;
    }
    rc = s3_request(s3, "PUT", key, body, len, content_type, S3_ERROR_BODY_MAX,
                    &x);
    free(x.body);
    return rc;
}

int tool_s3_get(const tool_s3_t *s3, const char *key, size_t max_len,
                uint8_t **body, size_t *len, tool_s3_result_t *res)
{
    s3_xfer_t x;
    int rc;

    memset(&x, 0, sizeof x);
    x.res = res;
    *body = NULL;
    *len = 0;
    /* Room for an error document even when the object limit is small. */
    rc = s3_request(s3, "GET", key, NULL, 0, NULL,
                    max_len > S3_ERROR_BODY_MAX ? max_len : S3_ERROR_BODY_MAX,
                    &x);
    if (rc == 0 && x.len > max_len) {
        snprintf(res->message, sizeof res->message,
                 "%s is larger than %zu bytes", key, max_len);
        rc = FOTA_ERR_NOMEM;
    }
    if (rc != 0) {
        free(x.body);
        return rc;
    }
    if (x.body == NULL) {
        /* An empty object: still hand back a NUL-terminated buffer. */
        x.body = calloc(1, 1);
        if (x.body == NULL) {
            snprintf(res->message, sizeof res->message, "out of memory");
            return FOTA_ERR_NOMEM;
        }
    }
    *body = x.body;
    *len = x.len;
    return 0;
}

/* The text of the first <tag>...</tag> at or after *p, advancing *p past
 * it; NULL when there is none. malloc'd. */
static char *xml_next(const char **p, const char *tag)
{
    char open[48], close[48];
    const char *a, *b;
    char *out;

    snprintf(open, sizeof open, "<%s>", tag);
    snprintf(close, sizeof close, "</%s>", tag);
    a = strstr(*p, open);
    if (a == NULL)
        return NULL;
    a += strlen(open);
    b = strstr(a, close);
    if (b == NULL)
        return NULL;
    out = strndup(a, (size_t)(b - a));
    *p = b + strlen(close);
    return out;
}

int tool_s3_list(const tool_s3_t *s3, const char *prefix, unsigned max_keys,
                 int (*each)(void *ctx, const char *key), void *ctx,
                 unsigned *pages, tool_s3_result_t *res)
{
    char *token = NULL;
    int rc = 0;

    *pages = 0;
    for (;;) {
        size_t plen = strlen(prefix), tlen = token ? strlen(token) : 0;
        size_t cap = 64 + 3 * plen + 3 * tlen;
        char *q = malloc(cap), *t;
        uint8_t *body = NULL;
        size_t len = 0, n;
        const char *p;
        bool more;

        if (q == NULL) {
            rc = FOTA_ERR_NOMEM;
            break;
        }
        /* Query parameters encoded and in the order SigV4 canonicalises
         * them (sorted by name): libcurl's signer takes them as given. */
        n = (size_t)snprintf(q, cap, "?");
        if (token != NULL) {
            n += (size_t)snprintf(q + n, cap - n, "continuation-token=");
            n += (size_t)agent_sigv4_uri_encode(token, tlen, 0, q + n, cap - n);
            n += (size_t)snprintf(q + n, cap - n, "&");
        }
        n += (size_t)snprintf(q + n, cap - n,
                              "list-type=2&max-keys=%u&prefix=", max_keys);
        agent_sigv4_uri_encode(prefix, plen, 0, q + n, cap - n);
        rc = tool_s3_get(s3, q, 4u << 20, &body, &len, res);
        free(q);
        if (rc != 0)
            break;
        (*pages)++;
        p = (const char *)body;
        while ((t = xml_next(&p, "Key")) != NULL) {
            rc = each(ctx, t);
            free(t);
            if (rc != 0)
                break;
        }
        p = (const char *)body;
        t = xml_next(&p, "IsTruncated");
        more = t != NULL && strcmp(t, "true") == 0;
        free(t);
        free(token);
        p = (const char *)body;
        token = more ? xml_next(&p, "NextContinuationToken") : NULL;
        free(body);
        if (rc != 0 || !more)
            break;
        if (token == NULL) {
            snprintf(
                res->message, sizeof res->message,
                "ListObjectsV2: truncated answer without a continuation token");
            rc = FOTA_ERR_PROTO;
            break;
        }
    }
    free(token);
    return rc;
}
