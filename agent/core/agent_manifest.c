/*
 * agent_manifest.c - release manifest parsing and the rollout decision.
 *
 * cJSON is given an arena allocator over the caller's buffer for the time
 * of one parse. Nothing is ever freed individually: the whole arena is
 * dropped at the end, so free() is a no-op and cJSON_Delete() is not
 * needed. The parsed tree is copied into a fixed struct before returning,
 * so nothing points into the arena afterwards.
 */
#include "agent_manifest.h"

#include <stdalign.h>

#include "cJSON.h"
#include "fota/fota_ed25519.h"
#include "fota/fota_err.h"
#include "fota/fota_sha256.h"
#include "fota/fota_text.h"
#include "fota/fota_nomalloc.h"

/* cJSON's hooks are global, so the arena they draw from is too; see the
 * reentrancy caveat in agent_manifest.h. */
static struct {
    uint8_t *base;
    size_t cap;
    size_t used;
    bool exhausted;
} s_arena;

static void *arena_alloc(size_t n)
{
    const size_t align = alignof(max_align_t);
    size_t start = (s_arena.used + align - 1) & ~(align - 1);

    if (start < s_arena.used || n > s_arena.cap || start > s_arena.cap - n) {
        s_arena.exhausted = true;
        return NULL;
    }
    s_arena.used = start + n;
    return s_arena.base + start;
}

static void arena_free(void *p)
{
    (void)p; /* the arena is dropped as a whole */
}

/* ---- errors ---------------------------------------------------------------- */

/* Record why the manifest is refused in m->error ("<path>: <what>", or
 * just <what> when path is NULL) and return FOTA_ERR_CORRUPT. path is the
 * member's place in the document, e.g. "slots.a." + "sha256". */
static int bad(agent_manifest_t *m, const char *path, const char *name,
               const char *what)
{
    fota_sb_t s;

    fota_sb_init(&s, m->error, sizeof m->error);
    if (path != NULL || name != NULL) {
        fota_sb_puts(&s, path);
        fota_sb_puts(&s, name);
        fota_sb_puts(&s, ": ");
    }
    fota_sb_puts(&s, what);
    return FOTA_ERR_CORRUPT;
}

static int bad_at(agent_manifest_t *m, const char *what, size_t off)
{
    fota_sb_t s;

    fota_sb_init(&s, m->error, sizeof m->error);
    fota_sb_puts(&s, what);
    fota_sb_puts(&s, " at byte ");
    fota_sb_put_u64(&s, off);
    return FOTA_ERR_CORRUPT;
}

/* ---- pre-scan ---------------------------------------------------------------- */

/*
 * Checks made on the raw text before cJSON sees it:
 * - nesting: cJSON's parser recurses once per '[' or '{', so the depth
 *   bounds its stack use. A manifest needs AGENT_MANIFEST_DEPTH_MAX levels
 *   at most; anything deeper is refused here, before any recursion (a
 *   4,000-byte run of '[' would otherwise recurse 4,000 times).
 * - NUL: an escaped "\u0000" (or a raw NUL byte) inside a string would be
 *   decoded by cJSON into a C string that silently ends early, so
 *   "product":"stm32f407-disco\u0000other" would read as the first part.
 *   Member names are strings too: "format\u0000x" would read as "format".
 * - raw control characters inside strings are not JSON (RFC 8259 section 7).
 */
static int prescan(const char *text, size_t len, agent_manifest_t *m)
{
    unsigned depth = 0;
    bool in_str = false;

    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];

        if (c == 0)
            return bad_at(m, "NUL byte", i);
        if (in_str) {
            if (c == '"') {
                in_str = false;
            } else if (c < 0x20) {
                return bad_at(m, "control character in a string", i);
            } else if (c == '\\') {
                if (i + 1 >= len)
                    return bad_at(m, "unterminated escape", i);
                if (text[i + 1] == 'u' && i + 5 < len && text[i + 2] == '0' &&
                    text[i + 3] == '0' && text[i + 4] == '0' &&
                    text[i + 5] == '0')
                    return bad_at(m, "escaped NUL (\\u0000) in a string", i);
                i++; /* the escaped character cannot end the string */
            }
            continue;
        }
        if (c == '"') {
            in_str = true;
        } else if (c == '{' || c == '[') {
            if (++depth > AGENT_MANIFEST_DEPTH_MAX) {
                fota_sb_t s;

                fota_sb_init(&s, m->error, sizeof m->error);
                fota_sb_puts(&s, "nesting deeper than ");
                fota_sb_put_u64(&s, AGENT_MANIFEST_DEPTH_MAX);
                fota_sb_puts(&s, " levels at byte ");
                fota_sb_put_u64(&s, i);
                return FOTA_ERR_CORRUPT;
            }
        } else if ((c == '}' || c == ']') && depth > 0) {
            depth--;
        }
    }
    return 0;
}

/* ---- member access ------------------------------------------------------- */

/* The member called name of obj; missing or repeated is corrupt (a
 * repeated key would let two readers see two different manifests). */
static int member(agent_manifest_t *m, const cJSON *obj, const char *path,
                  const char *name, const cJSON **out)
{
    const cJSON *found = NULL;
    const cJSON *it;

    for (it = obj->child; it != NULL; it = it->next) {
        if (it->string != NULL && strcmp(it->string, name) == 0) {
            if (found != NULL)
                return bad(m, path, name, "member repeated");
            found = it;
        }
    }
    if (found == NULL)
        return FOTA_ERR_NOENT;
    *out = found;
    return 0;
}

static int required(agent_manifest_t *m, const cJSON *obj, const char *path,
                    const char *name, const cJSON **out)
{
    int rc = member(m, obj, path, name, out);

    return rc == FOTA_ERR_NOENT ? bad(m, path, name, "missing") : rc;
}

/* An integral JSON number in [min, max]. */
static int get_uint(agent_manifest_t *m, const cJSON *obj, const char *path,
                    const char *name, uint32_t min, uint32_t max, uint32_t *out)
{
    const cJSON *it = NULL;
    double d;
    int rc = required(m, obj, path, name, &it);

    if (rc < 0)
        return rc;
    if (it == NULL || !cJSON_IsNumber(it))
        return bad(m, path, name, "not a number");
    d = it->valuedouble;
    /* The range test first, so the conversion below is defined; the
     * comparison also rejects NaN. */
    if (!(d >= (double)min && d <= (double)max))
        return bad(m, path, name, "out of range");
    if ((double)(uint32_t)d != d)
        return bad(m, path, name, "not an integer");
    *out = (uint32_t)d;
    return 0;
}

/* A string of 1 .. size-1 printable ASCII characters, copied to out. */
static int get_str(agent_manifest_t *m, const cJSON *obj, const char *path,
                   const char *name, char *out, size_t size)
{
    const cJSON *it;
    size_t n;
    int rc = required(m, obj, path, name, &it);

    if (rc < 0)
        return rc;
    if (!cJSON_IsString(it) || it->valuestring == NULL)
        return bad(m, path, name, "not a string");
    n = strlen(it->valuestring);
    if (n == 0)
        return bad(m, path, name, "empty");
    if (n >= size)
        return bad(m, path, name, "too long");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)it->valuestring[i];
        if (c < 0x20 || c > 0x7e)
            return bad(m, path, name, "not printable ASCII");
    }
    memcpy(out, it->valuestring, n + 1);
    return 0;
}

static int get_object(agent_manifest_t *m, const cJSON *obj, const char *path,
                      const char *name, const cJSON **out)
{
    int rc = required(m, obj, path, name, out);

    if (rc < 0)
        return rc;
    if (!cJSON_IsObject(*out))
        return bad(m, path, name, "not an object");
    return 0;
}

/* The members every downloadable artifact has: "key", "size", "sha256"
 * (an STM32 slot image, the gateway's own image). */
static int parse_artifact(agent_manifest_t *m, const cJSON *s, const char *path,
                          agent_manifest_slot_t *out)
{
    const cJSON *h;
    int rc = get_str(m, s, path, "key", out->key, sizeof out->key);

    if (rc < 0)
        return rc;
    /* Keys are relative to the bucket; a leading '/' would produce "//". */
    if (out->key[0] == '/')
        return bad(m, path, "key", "starts with '/'");
    rc = get_uint(m, s, path, "size", 1, UINT32_MAX, &out->size);
    if (rc < 0)
        return rc;
    rc = required(m, s, path, "sha256", &h);
    if (rc < 0)
        return rc;
    if (!cJSON_IsString(h) || h->valuestring == NULL ||
        strlen(h->valuestring) != 2 * FOTA_SHA256_SIZE ||
        fota_hex_decode(h->valuestring, 2 * FOTA_SHA256_SIZE, out->sha256,
                        FOTA_SHA256_SIZE) < 0)
        return bad(m, path, "sha256", "not 64 hex digits");
    return 0;
}

static int parse_slot(agent_manifest_t *m, const cJSON *slots, const char *path,
                      const char *name, agent_manifest_slot_t *out)
{
    const cJSON *s;
    int rc = get_object(m, slots, "slots.", name, &s);

    return rc < 0 ? rc : parse_artifact(m, s, path, out);
}

/* The optional "gateway" object: the gateway's own firmware, installed by
 * the gateway into its second slot (agent_gateway.h). Same rules as a
 * slot, plus the gateway's product and version. */
static int parse_gateway(const cJSON *root, agent_manifest_t *m)
{
    agent_manifest_gateway_t *g = &m->gateway;
    const cJSON *o;
    int rc = member(m, root, NULL, "gateway", &o);

    if (rc == FOTA_ERR_NOENT)
        return 0;
    if (rc < 0)
        return rc;
    if (!cJSON_IsObject(o))
        return bad(m, NULL, "gateway", "not an object");
    rc = get_str(m, o, "gateway.", "product", g->product, sizeof g->product);
    if (rc < 0)
        return rc;
    rc = get_str(m, o, "gateway.", "version", g->version_str,
                 sizeof g->version_str);
    if (rc < 0)
        return rc;
    if (agent_manifest_parse_version(g->version_str, &g->version) < 0)
        return bad(m, "gateway.", "version", "not major.minor.patch[+build]");
    rc = parse_artifact(m, o, "gateway.", &g->image);
    if (rc < 0)
        return rc;
    m->has_gateway = true;
    return 0;
}

/* One decimal field of a version: 1-10 digits, no leading zero unless the
 * field is "0", value <= max. Advances *p past it. */
static int version_field(const char **p, uint32_t max, uint32_t *out)
{
    const char *s = *p;
    uint64_t v = 0;
    size_t n = 0;

    while (s[n] >= '0' && s[n] <= '9') {
        if (n == 10)
            return FOTA_ERR_CORRUPT;
        v = v * 10u + (uint64_t)(s[n] - '0');
        n++;
    }
    if (n == 0 || (n > 1 && s[0] == '0') || v > max)
        return FOTA_ERR_CORRUPT;
    *out = (uint32_t)v;
    *p = s + n;
    return 0;
}

int agent_manifest_parse_version(const char *s, fota_version_t *out)
{
    uint32_t major;
    uint32_t minor;
    uint32_t patch;
    uint32_t build = 0;

    if (s == NULL || out == NULL)
        return FOTA_ERR_CORRUPT;
    if (version_field(&s, 255, &major) < 0 || *s++ != '.' ||
        version_field(&s, 255, &minor) < 0 || *s++ != '.' ||
        version_field(&s, 65535, &patch) < 0)
        return FOTA_ERR_CORRUPT;
    if (*s == '+') {
        s++;
        if (version_field(&s, UINT32_MAX, &build) < 0)
            return FOTA_ERR_CORRUPT;
    }
    if (*s != '\0')
        return FOTA_ERR_CORRUPT;
    out->major = (uint8_t)major;
    out->minor = (uint8_t)minor;
    out->patch = (uint16_t)patch;
    out->build = build;
    return 0;
}

static int parse_tree(const cJSON *root, agent_manifest_t *m)
{
    const cJSON *it;
    const cJSON *slots = NULL;
    uint32_t v;
    int rc;

    if (!cJSON_IsObject(root))
        return bad(m, NULL, NULL, "not a JSON object");
    rc = get_uint(m, root, NULL, "format", 0, UINT32_MAX, &v);
    if (rc < 0)
        return rc;
    if (v != AGENT_MANIFEST_FORMAT)
        return bad(m, NULL, "format", "unknown format (this agent reads 1)");
    rc = get_str(m, root, NULL, "product", m->product, sizeof m->product);
    if (rc < 0)
        return rc;
    rc = get_str(m, root, NULL, "version", m->version_str,
                 sizeof m->version_str);
    if (rc < 0)
        return rc;
    if (agent_manifest_parse_version(m->version_str, &m->version) < 0)
        return bad(m, NULL, "version", "not major.minor.patch[+build]");
    rc = get_uint(m, root, NULL, "security_counter", 0, UINT32_MAX,
                  &m->security_counter);
    if (rc < 0)
        return rc;
    rc = member(m, root, NULL, "rollout_percent", &it);
    if (rc == FOTA_ERR_NOENT) {
        m->rollout_percent = 100;
    } else if (rc < 0) {
        return rc;
    } else {
        rc = get_uint(m, root, NULL, "rollout_percent", 0, 100, &v);
        if (rc < 0)
            return rc;
        m->rollout_percent = (uint8_t)v;
    }
    rc = get_str(m, root, NULL, "published_at", m->published_at,
                 sizeof m->published_at);
    if (rc < 0)
        return rc;
    rc = get_object(m, root, NULL, "slots", &slots);
    if (rc < 0)
        return rc;
    rc = parse_slot(m, slots, "slots.a.", "a", &m->slot[0]);
    if (rc < 0)
        return rc;
    return parse_slot(m, slots, "slots.b.", "b", &m->slot[1]);
}

/* The optional "signature" member: it must be the very end of the text
 * in its one form, so the bytes before it are exactly what was signed. */
static int parse_signature(const cJSON *root, const char *text, size_t len,
                           agent_manifest_t *m)
{
    const size_t pre = sizeof(AGENT_MANIFEST_SIG_PREFIX) - 1;
    const cJSON *it;
    size_t end = len;
    const char *tail;
    int rc = member(m, root, NULL, "signature", &it);

    if (rc == FOTA_ERR_NOENT)
        return 0;
    if (rc < 0)
        return rc;
    while (end > 0 && (text[end - 1] == ' ' || text[end - 1] == '\t' ||
                       text[end - 1] == '\r' || text[end - 1] == '\n'))
        end--;
    if (end < AGENT_MANIFEST_SIG_TAIL_LEN)
        return bad(m, NULL, "signature", "not the last member");
    tail = text + end - AGENT_MANIFEST_SIG_TAIL_LEN;
    if (memcmp(tail, AGENT_MANIFEST_SIG_PREFIX, pre) != 0 ||
        tail[pre + 16] != ':' || memcmp(text + end - 2, "\"}", 2) != 0)
        return bad(
            m, NULL, "signature",
            "not the last member as ,\"signature\":\"ed25519:<id>:<sig>\"}");
    if (fota_hex_decode(tail + pre, 16, m->key_id, sizeof m->key_id) < 0 ||
        fota_hex_decode(tail + pre + 17, 128, m->sig, sizeof m->sig) < 0)
        return bad(m, NULL, "signature", "key id or signature not hex");
    m->is_signed = true;
    m->signed_len = (size_t)(tail - text);
    return 0;
}

/* An integral JSON number up to 2^53 (held exactly by the double). */
static int get_u64(agent_manifest_t *m, const cJSON *obj, const char *path,
                   const char *name, uint64_t *out)
{
    const cJSON *it;
    int rc = required(m, obj, path, name, &it);

    if (rc < 0)
        return rc;
    if (!cJSON_IsNumber(it))
        return bad(m, path, name, "not a number");
    if (!(it->valuedouble >= 0.0 && it->valuedouble <= 9007199254740991.0) ||
        (double)(uint64_t)it->valuedouble != it->valuedouble)
        return bad(m, path, name, "not an integer in 0..2^53-1");
    *out = (uint64_t)it->valuedouble;
    return 0;
}

/* The optional "rollout" object (staged rollout). */
static int parse_rollout(const cJSON *root, agent_manifest_t *m)
{
    const cJSON *r, *phases, *p, *it;
    uint32_t v;
    unsigned n = 0;
    int rc = member(m, root, NULL, "rollout", &r);

    m->n_phases = 1;
    m->phase[0].percent = m->rollout_percent;
    m->phase[0].start = 0;
    if (rc == FOTA_ERR_NOENT)
        return 0;
    if (rc < 0)
        return rc;
    if (!cJSON_IsObject(r))
        return bad(m, NULL, "rollout", "not an object");
    rc = member(m, r, "rollout.", "halted", &it);
    if (rc == 0) {
        if (!cJSON_IsBool(it))
            return bad(m, "rollout.", "halted", "not true or false");
        m->halted = cJSON_IsTrue(it);
    } else if (rc != FOTA_ERR_NOENT) {
        return rc;
    }
    rc = member(m, r, "rollout.", "spread_s", &it);
    if (rc == 0)
        rc = get_uint(m, r, "rollout.", "spread_s", 0, 30u * 86400u,
                      &m->spread_s);
    if (rc < 0 && rc != FOTA_ERR_NOENT)
        return rc;
    rc = required(m, r, "rollout.", "phases", &phases);
    if (rc < 0)
        return rc;
    if (!cJSON_IsArray(phases))
        return bad(m, "rollout.", "phases", "not an array");
    for (p = phases->child; p != NULL; p = p->next, n++) {
        if (n == AGENT_MANIFEST_PHASES_MAX)
            return bad(m, "rollout.", "phases", "more than 4 phases");
        if (!cJSON_IsObject(p))
            return bad(m, "rollout.phases[].", NULL, "not an object");
        rc = get_uint(m, p, "rollout.phases[].", "percent", 0, 100, &v);
        if (rc < 0)
            return rc;
        m->phase[n].percent = (uint8_t)v;
        rc = get_u64(m, p, "rollout.phases[].", "start", &m->phase[n].start);
        if (rc < 0)
            return rc;
        if (n > 0 && (m->phase[n].percent < m->phase[n - 1].percent ||
                      m->phase[n].start < m->phase[n - 1].start))
            return bad(m, "rollout.", "phases", "percent or start decreases");
    }
    if (n == 0)
        return bad(m, "rollout.", "phases", "empty");
    m->n_phases = (uint8_t)n;
    m->rollout_percent = m->phase[n - 1].percent;
    return 0;
}

/* "sequence" (u32) and "expires" (Unix seconds, below 2^53 so the double
 * holds it exactly), both optional. */
static int parse_freshness(const cJSON *root, agent_manifest_t *m)
{
    const cJSON *it;
    int rc = member(m, root, NULL, "sequence", &it);

    if (rc == 0)
        rc = get_uint(m, root, NULL, "sequence", 0, UINT32_MAX, &m->sequence);
    if (rc < 0 && rc != FOTA_ERR_NOENT)
        return rc;
    rc = member(m, root, NULL, "expires", &it);
    if (rc == FOTA_ERR_NOENT)
        return 0;
    if (rc < 0)
        return rc;
    if (!cJSON_IsNumber(it))
        return bad(m, NULL, "expires", "not a number");
    if (!(it->valuedouble >= 1.0 && it->valuedouble <= 9007199254740991.0) ||
        (double)(uint64_t)it->valuedouble != it->valuedouble)
        return bad(m, NULL, "expires", "not Unix seconds");
    m->expires = (uint64_t)it->valuedouble;
    return 0;
}

void agent_manifest_signed_hash(const char *text, size_t signed_len,
                                uint8_t out[32])
{
    fota_sha256_t sha;

    fota_sha256_init(&sha);
    fota_sha256_update(&sha, AGENT_MANIFEST_SIG_CONTEXT,
                       sizeof(AGENT_MANIFEST_SIG_CONTEXT) - 1);
    fota_sha256_update(&sha, text, signed_len);
    fota_sha256_final(&sha, out);
}

void agent_manifest_sign_tail(const char *text, size_t signed_len,
                              const uint8_t seed[32],
                              char out[AGENT_MANIFEST_SIG_TAIL_LEN + 1])
{
    const size_t pre = sizeof(AGENT_MANIFEST_SIG_PREFIX) - 1;
    uint8_t pub[FOTA_ED25519_PUB_SIZE], id[FOTA_ED25519_KEY_ID_SIZE];
    uint8_t h[FOTA_SHA256_SIZE], sig[FOTA_ED25519_SIG_SIZE];

    fota_ed25519_pubkey(pub, seed);
    fota_ed25519_key_id(id, pub);
    agent_manifest_signed_hash(text, signed_len, h);
    fota_ed25519_sign(sig, h, sizeof h, seed, pub);
    memcpy(out, AGENT_MANIFEST_SIG_PREFIX, pre);
    fota_hex_encode(id, sizeof id, out + pre);
    out[pre + 16] = ':';
    fota_hex_encode(sig, sizeof sig, out + pre + 17);
    memcpy(out + pre + 17 + 128, "\"}", 3);
}

int agent_manifest_verify(agent_manifest_t *m, const char *text, size_t len,
                          const uint8_t pub[32])
{
    uint8_t id[FOTA_ED25519_KEY_ID_SIZE];
    uint8_t h[FOTA_SHA256_SIZE];

    if (m == NULL || text == NULL || pub == NULL)
        return FOTA_ERR_INVAL;
    if (!m->is_signed) {
        (void)bad(m, NULL, NULL, "manifest not signed");
        return FOTA_ERR_AUTH;
    }
    if (m->signed_len > len) {
        (void)bad(m, NULL, NULL, "signature: text does not match the parse");
        return FOTA_ERR_AUTH;
    }
    fota_ed25519_key_id(id, pub);
    if (memcmp(id, m->key_id, sizeof id) != 0) {
        (void)bad(m, NULL, "signature", "by another key (key id differs)");
        return FOTA_ERR_AUTH;
    }
    agent_manifest_signed_hash(text, m->signed_len, h);
    if (fota_ed25519_verify(m->sig, h, sizeof h, pub) != 0) {
        (void)bad(m, NULL, "signature", "does not verify (manifest altered)");
        return FOTA_ERR_AUTH;
    }
    return 0;
}

/* Everything but the error text back to zero. */
static void clear_keep_error(agent_manifest_t *out)
{
    char error[AGENT_MANIFEST_ERROR_SIZE];

    memcpy(error, out->error, sizeof error);
    memset(out, 0, sizeof *out);
    memcpy(out->error, error, sizeof error);
}

int agent_manifest_parse(const char *text, size_t len, void *arena,
                         size_t arena_len, agent_manifest_t *out)
{
    cJSON_Hooks hooks = {.malloc_fn = arena_alloc, .free_fn = arena_free};
    const char *end = NULL;
    cJSON *root;
    int rc;

    if (out == NULL)
        return FOTA_ERR_INVAL;
    memset(out, 0, sizeof *out);
    if (text == NULL || arena == NULL || arena_len == 0)
        return FOTA_ERR_INVAL;
    if (len == 0)
        return bad(out, NULL, NULL, "empty");
    if (len > AGENT_MANIFEST_TEXT_MAX)
        return bad(out, NULL, NULL, "larger than 4096 bytes");
    rc = prescan(text, len, out);
    if (rc < 0)
        return rc;

    s_arena.base = arena;
    s_arena.cap = arena_len;
    s_arena.used = 0;
    s_arena.exhausted = false;
    cJSON_InitHooks(&hooks);
    root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (root == NULL) {
        if (s_arena.exhausted) {
            rc = FOTA_ERR_NOMEM;
            (void)bad(out, NULL, NULL, "parser arena too small");
        } else {
            const char *at = cJSON_GetErrorPtr();
            size_t off = at != NULL && at >= text && at <= text + len
                             ? (size_t)(at - text)
                             : len;
            rc = bad_at(out, "not valid JSON", off);
        }
        goto out;
    }
    /* cJSON stops after the first value; anything but blanks after it
     * means the text is not one JSON document. */
    for (; end != NULL && end < text + len; end++) {
        if (*end != ' ' && *end != '\t' && *end != '\r' && *end != '\n') {
            rc = bad_at(out, "text after the JSON value", (size_t)(end - text));
            goto out;
        }
    }
    rc = parse_tree(root, out);
    if (rc == 0)
        rc = parse_rollout(root, out);
    if (rc == 0)
        rc = parse_freshness(root, out);
    if (rc == 0)
        rc = parse_gateway(root, out);
    if (rc == 0)
        rc = parse_signature(root, text, len, out);

out:
    /* Back to cJSON's defaults so other users of cJSON are unaffected; the
     * arena is simply forgotten. */
    cJSON_InitHooks(NULL);
    s_arena.base = NULL;
    s_arena.cap = 0;
    s_arena.used = 0;
    if (rc < 0)
        clear_keep_error(out);
    return rc;
}

unsigned agent_manifest_rollout_bucket(const char *device_id,
                                       const char *version_str)
{
    fota_sha256_t sha;
    uint8_t d[FOTA_SHA256_SIZE];
    uint32_t v;

    fota_sha256_init(&sha);
    if (device_id != NULL)
        fota_sha256_update(&sha, device_id, strlen(device_id));
    if (version_str != NULL)
        fota_sha256_update(&sha, version_str, strlen(version_str));
    fota_sha256_final(&sha, d);
    v = ((uint32_t)d[0] << 24) | ((uint32_t)d[1] << 16) |
        ((uint32_t)d[2] << 8) | (uint32_t)d[3];
    return (unsigned)(v % 100u);
}

uint32_t agent_manifest_spread_delay(const char *device_id, uint32_t spread_s)
{
    fota_sha256_t sha;
    uint8_t d[FOTA_SHA256_SIZE];

    if (spread_s == 0)
        return 0;
    fota_sha256_init(&sha);
    fota_sha256_update(&sha, "spread:", 7);
    if (device_id != NULL)
        fota_sha256_update(&sha, device_id, strlen(device_id));
    fota_sha256_final(&sha, d);
    return (((uint32_t)d[0] << 24) | ((uint32_t)d[1] << 16) |
            ((uint32_t)d[2] << 8) | (uint32_t)d[3]) %
           spread_s;
}

int agent_manifest_rollout_state(const agent_manifest_t *m,
                                 const char *device_id, uint64_t now,
                                 uint64_t *wait_s, unsigned *phase_out)
{
    unsigned bucket;
    uint64_t at;

    if (m == NULL)
        return AGENT_ROLLOUT_OUTSIDE;
    if (m->halted)
        return AGENT_ROLLOUT_HALTED;
    bucket = agent_manifest_rollout_bucket(device_id, m->version_str);
    for (unsigned i = 0; i < m->n_phases; i++) {
        if (bucket >= m->phase[i].percent)
            continue;
        at = m->phase[i].start +
             agent_manifest_spread_delay(device_id, m->spread_s);
        if (phase_out)
            *phase_out = i;
        if (now >= at)
            return AGENT_ROLLOUT_GO;
        if (wait_s)
            *wait_s = at - now;
        return AGENT_ROLLOUT_WAIT;
    }
    return AGENT_ROLLOUT_OUTSIDE;
}

bool agent_manifest_rollout_selected(const agent_manifest_t *m,
                                     const char *device_id)
{
    if (m == NULL)
        return false;
    return agent_manifest_rollout_bucket(device_id, m->version_str) <
           m->rollout_percent;
}
