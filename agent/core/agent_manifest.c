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

/* ---- member access ------------------------------------------------------- */

/* The member called name of obj; missing or repeated is corrupt (a
 * repeated key would let two readers see two different manifests). */
static int member(const cJSON *obj, const char *name, const cJSON **out)
{
    const cJSON *found = NULL;
    const cJSON *it;

    for (it = obj->child; it != NULL; it = it->next) {
        if (it->string != NULL && strcmp(it->string, name) == 0) {
            if (found != NULL)
                return FOTA_ERR_CORRUPT;
            found = it;
        }
    }
    if (found == NULL)
        return FOTA_ERR_NOENT;
    *out = found;
    return 0;
}

static int required(const cJSON *obj, const char *name, const cJSON **out)
{
    int rc = member(obj, name, out);

    return rc == FOTA_ERR_NOENT ? FOTA_ERR_CORRUPT : rc;
}

/* An integral JSON number in [min, max]. */
static int get_uint(const cJSON *obj, const char *name, uint32_t min,
                    uint32_t max, uint32_t *out)
{
    const cJSON *it;
    double d;
    int rc = required(obj, name, &it);

    if (rc < 0)
        return rc;
    if (!cJSON_IsNumber(it))
        return FOTA_ERR_CORRUPT;
    d = it->valuedouble;
    /* The range test first, so the conversion below is defined; the
     * comparison also rejects NaN. */
    if (!(d >= (double)min && d <= (double)max))
        return FOTA_ERR_CORRUPT;
    if ((double)(uint32_t)d != d)
        return FOTA_ERR_CORRUPT;
    *out = (uint32_t)d;
    return 0;
}

/* A string of 1 .. size-1 printable ASCII characters, copied to out. */
static int get_str(const cJSON *obj, const char *name, char *out, size_t size)
{
    const cJSON *it;
    size_t n;
    int rc = required(obj, name, &it);

    if (rc < 0)
        return rc;
    if (!cJSON_IsString(it) || it->valuestring == NULL)
        return FOTA_ERR_CORRUPT;
    n = strlen(it->valuestring);
    if (n == 0 || n >= size)
        return FOTA_ERR_CORRUPT;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)it->valuestring[i];
        if (c < 0x20 || c > 0x7e)
            return FOTA_ERR_CORRUPT;
    }
    memcpy(out, it->valuestring, n + 1);
    return 0;
}

static int parse_slot(const cJSON *slots, const char *name,
                      agent_manifest_slot_t *out)
{
    const cJSON *s;
    const cJSON *h;
    int rc = required(slots, name, &s);

    if (rc < 0)
        return rc;
    if (!cJSON_IsObject(s))
        return FOTA_ERR_CORRUPT;
    rc = get_str(s, "key", out->key, sizeof out->key);
    if (rc < 0)
        return rc;
    /* Keys are relative to the bucket; a leading '/' would produce "//". */
    if (out->key[0] == '/')
        return FOTA_ERR_CORRUPT;
    rc = get_uint(s, "size", 1, UINT32_MAX, &out->size);
    if (rc < 0)
        return rc;
    rc = required(s, "sha256", &h);
    if (rc < 0)
        return rc;
    if (!cJSON_IsString(h) || h->valuestring == NULL ||
        strlen(h->valuestring) != 2 * FOTA_SHA256_SIZE)
        return FOTA_ERR_CORRUPT;
    if (fota_hex_decode(h->valuestring, 2 * FOTA_SHA256_SIZE, out->sha256,
                        FOTA_SHA256_SIZE) < 0)
        return FOTA_ERR_CORRUPT;
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
    const cJSON *slots;
    uint32_t v;
    int rc;

    if (!cJSON_IsObject(root))
        return FOTA_ERR_CORRUPT;
    rc = get_uint(root, "format", 0, UINT32_MAX, &v);
    if (rc < 0)
        return rc;
    if (v != AGENT_MANIFEST_FORMAT)
        return FOTA_ERR_CORRUPT;
    rc = get_str(root, "product", m->product, sizeof m->product);
    if (rc < 0)
        return rc;
    rc = get_str(root, "version", m->version_str, sizeof m->version_str);
    if (rc < 0)
        return rc;
    rc = agent_manifest_parse_version(m->version_str, &m->version);
    if (rc < 0)
        return rc;
    rc = get_uint(root, "security_counter", 0, UINT32_MAX,
                  &m->security_counter);
    if (rc < 0)
        return rc;
    rc = member(root, "rollout_percent", &it);
    if (rc == FOTA_ERR_NOENT) {
        m->rollout_percent = 100;
    } else if (rc < 0) {
        return rc;
    } else {
        rc = get_uint(root, "rollout_percent", 0, 100, &v);
        if (rc < 0)
            return rc;
        m->rollout_percent = (uint8_t)v;
    }
    rc = get_str(root, "published_at", m->published_at,
                 sizeof m->published_at);
    if (rc < 0)
        return rc;
    rc = required(root, "slots", &slots);
    if (rc < 0)
        return rc;
    if (!cJSON_IsObject(slots))
        return FOTA_ERR_CORRUPT;
    rc = parse_slot(slots, "a", &m->slot[0]);
    if (rc < 0)
        return rc;
    return parse_slot(slots, "b", &m->slot[1]);
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
    if (len == 0 || len > AGENT_MANIFEST_TEXT_MAX)
        return FOTA_ERR_CORRUPT;

    s_arena.base = arena;
    s_arena.cap = arena_len;
    s_arena.used = 0;
    s_arena.exhausted = false;
    cJSON_InitHooks(&hooks);
    root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (root == NULL) {
        rc = s_arena.exhausted ? FOTA_ERR_NOMEM : FOTA_ERR_CORRUPT;
        goto out;
    }
    /* cJSON stops after the first value; anything but blanks after it
     * means the text is not one JSON document. */
    for (; end != NULL && end < text + len; end++) {
        if (*end != ' ' && *end != '\t' && *end != '\r' && *end != '\n') {
            rc = FOTA_ERR_CORRUPT;
            goto out;
        }
    }
    rc = parse_tree(root, out);

out:
    /* Back to cJSON's defaults so other users of cJSON are unaffected; the
     * arena is simply forgotten. */
    cJSON_InitHooks(NULL);
    s_arena.base = NULL;
    s_arena.cap = 0;
    s_arena.used = 0;
    if (rc < 0)
        memset(out, 0, sizeof *out);
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

bool agent_manifest_rollout_selected(const agent_manifest_t *m,
                                     const char *device_id)
{
    if (m == NULL)
        return false;
    return agent_manifest_rollout_bucket(device_id, m->version_str) <
           m->rollout_percent;
}
