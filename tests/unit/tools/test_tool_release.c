/*
 * test_tool_release.c - `fota release publish` and `show`, the binary (path
 * in argv[1]) run against a real S3 API server: s3rver on loopback, started
 * through scripts/s3-local.sh with its own state. Images come from
 * `fota image pack`; what was published is read back with plain libcurl and
 * parsed with the agent's own manifest parser. A second part uses a
 * recording loopback HTTP server to see what goes on the wire: the upload
 * order, the payload hash and SigV4 headers, and a failure in mid-publish.
 * If s3rver is missing the test fails, it does not skip.
 */
/* timegm() */
#define _GNU_SOURCE

#include <setjmp.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <cmocka.h>
#include <cJSON.h>
#include <curl/curl.h>

#include "agent_manifest.h"
#include "fota/fota_layout.h"
#include "fota/fota_le.h"
#include "fota/fota_sha256.h"
#include "test_proc.h"

#define PREFIX "fw/stm32f407-disco/stable"
#define VERSION "1.2.0+45"

static const char *s_fota;
static char s_dir[64];
static char s_state[128];
static char s_url[128];
static char s_out[1 << 16];
static char s_err[1 << 14];

/* Credentials given to the child process. */
enum creds { CREDS_NONE, CREDS_OK, CREDS_KEY_ONLY, CREDS_BAD_KEY, CREDS_TOKEN };

static void path(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", s_dir, name);
}

/* In the child: the AWS environment the credentials case asks for. */
static void set_creds(void *arg)
{
    static const char *const clear[] = {
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
        "AWS_REGION",        "AWS_DEFAULT_REGION",    "AWS_PROFILE",
    };
    enum creds creds = *(const enum creds *)arg;

    for (size_t i = 0; i < sizeof clear / sizeof clear[0]; i++)
        unsetenv(clear[i]);
    if (creds == CREDS_OK || creds == CREDS_KEY_ONLY || creds == CREDS_TOKEN)
        setenv("AWS_ACCESS_KEY_ID", "S3RVER", 1);
    if (creds == CREDS_BAD_KEY)
        setenv("AWS_ACCESS_KEY_ID", "AKIDNOTKNOWNHERE", 1);
    if (creds == CREDS_OK || creds == CREDS_BAD_KEY || creds == CREDS_TOKEN)
        setenv("AWS_SECRET_ACCESS_KEY", "S3RVER", 1);
    if (creds == CREDS_TOKEN)
        setenv("AWS_SESSION_TOKEN", "session-token-123", 1);
}

/* Run fota with the given credentials in its environment and a
 * NULL-terminated argument list; capture stdout/stderr. Returns the exit
 * status (-1 if it did not exit normally). */
static int run(enum creds creds, const char *arg, ...)
{
    const test_proc_t p = {
        .exe = s_fota,
        .dir = s_dir,
        .out = s_out,
        .out_cap = sizeof s_out,
        .err = s_err,
        .err_cap = sizeof s_err,
        .child_setup = set_creds,
        .child_arg = &creds,
    };
    va_list ap;
    int rc;

    va_start(ap, arg);
    rc = test_proc_run_va(&p, arg, ap);
    va_end(ap);
    return rc;
}

/* Raw binary of len bytes linked for slot (vector table into the slot),
 * content varied by seed. */
static void make_raw(const char *file, int slot, size_t len, unsigned seed)
{
    uint8_t *p = malloc(len);
    FILE *f;

    assert_non_null(p);
    for (size_t i = 0; i < len; i++)
        p[i] = (uint8_t)(i * 13 + 5 + seed * 7);
    fota_put_le32(p, FOTA_NOINIT_ADDR);
    fota_put_le32(p + 4, (uint32_t)FOTA_SLOT_BODY_ADDR(slot) + 0x1C1u);
    f = fopen(file, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    free(p);
}

/* Pack name (in s_dir) for slot with the packer of the tool itself. */
static void make_image(const char *name, int slot, const char *version,
                       const char *sec, size_t body_len, unsigned seed)
{
    char raw[128], img[128];

    path(raw, sizeof raw, "raw.bin");
    path(img, sizeof img, name);
    make_raw(raw, slot, body_len, seed);
    assert_int_equal(run(CREDS_NONE, "image", "pack", "--slot",
                         slot == 0 ? "a" : "b", "--version", version,
                         "--sec-counter", sec, raw, "-o", img, NULL),
                     0);
}

/* ---- plain libcurl access to the server, independent of the tool ---- */

typedef struct buf {
    uint8_t *data;
    size_t len;
    char etag[128];
} buf_t;

static size_t buf_write(char *d, size_t s, size_t n, void *u)
{
    buf_t *b = u;
    uint8_t *p = realloc(b->data, b->len + s * n + 1);

    if (p == NULL)
        return 0;
    memcpy(p + b->len, d, s * n);
    b->data = p;
    b->len += s * n;
    b->data[b->len] = '\0';
    return s * n;
}

static size_t buf_header(char *line, size_t s, size_t n, void *u)
{
    buf_t *b = u;
    size_t len = s * n;

    if (len > 5 && strncasecmp(line, "ETag:", 5) == 0) {
        const char *v = line + 5;
        while (*v == ' ')
            v++;
        snprintf(b->etag, sizeof b->etag, "%.*s", (int)strcspn(v, "\r\n"), v);
    }
    return len;
}

/* Signed request (s3rver needs the payload hash header on a PUT). Returns
 * the HTTP status; *b receives the body and ETag. */
static long http(const char *method, const char *url_path, buf_t *b)
{
    CURL *c = curl_easy_init();
    struct curl_slist *h = NULL;
    char url[512];
    long code = 0;

    assert_non_null(c);
    memset(b, 0, sizeof *b);
    snprintf(url, sizeof url, "%s/%s", s_url, url_path);
    h = curl_slist_append(
        h, "x-amz-content-sha256: "
           "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_AWS_SIGV4, "aws:amz:us-east-1:s3");
    curl_easy_setopt(c, CURLOPT_USERPWD, "S3RVER:S3RVER");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, buf_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, buf_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, b);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return code;
}

static void make_bucket(const char *name)
{
    buf_t b;

    assert_int_equal(http("PUT", name, &b), 200);
    free(b.data);
}

/* Number of objects in a bucket (s3rver lists them all in one page). */
static int count_keys(const char *bucket)
{
    char q[128];
    buf_t b;
    int n = 0;

    snprintf(q, sizeof q, "%s?list-type=2", bucket);
    assert_int_equal(http("GET", q, &b), 200);
    for (const char *p = (const char *)b.data; (p = strstr(p, "<Key>")) != NULL;
         p += 5)
        n++;
    free(b.data);
    return n;
}

static void get_object(const char *bucket, const char *key, buf_t *b)
{
    char q[600];
    char enc[512];
    size_t o = 0;

    /* '+' must travel as %2B (S3 would be free to read '+' as a space). */
    for (const char *k = key; *k != '\0' && o + 4 < sizeof enc; k++) {
        if (*k == '+') {
            memcpy(enc + o, "%2B", 3);
            o += 3;
        } else {
            enc[o++] = *k;
        }
    }
    enc[o] = '\0';
    snprintf(q, sizeof q, "%s/%s", bucket, enc);
    assert_int_equal(http("GET", q, b), 200);
}

static void sha_hex(const uint8_t *d, size_t len, char out[65])
{
    uint8_t h[FOTA_SHA256_SIZE];

    fota_sha256(d, len, h);
    for (int i = 0; i < FOTA_SHA256_SIZE; i++)
        snprintf(out + 2 * i, 3, "%02x", h[i]);
}

/* Publish a.img/b.img from s_dir into bucket with extra arguments. */
#define PUBLISH(creds, bucket, a, b, ...)                                      \
    run(creds, "release", "publish", "--endpoint", s_url, "--bucket", bucket,  \
        "--prefix", PREFIX, "--slot-a", a, "--slot-b", b, __VA_ARGS__)

/* ---- fixtures ---- */

static int setup(void **state)
{
    char cmd[512];
    FILE *p;
    size_t n;

    (void)state;
    snprintf(s_dir, sizeof s_dir, "/tmp/fota-release-XXXXXX");
    if (mkdtemp(s_dir) == NULL)
        return -1;
    snprintf(s_state, sizeof s_state, "%s/s3state", s_dir);
    snprintf(cmd, sizeof cmd,
             "S3_LOCAL_STATE='%s' '%s/scripts/s3-local.sh' start", s_state,
             FOTA_SOURCE_DIR);
    p = popen(cmd, "r");
    if (p == NULL)
        return -1;
    n = fread(s_url, 1, sizeof s_url - 1, p);
    s_url[n] = '\0';
    while (n > 0 && (s_url[n - 1] == '\n' || s_url[n - 1] == '\r'))
        s_url[--n] = '\0';
    if (pclose(p) != 0 || strncmp(s_url, "http://127.0.0.1:", 17) != 0) {
        fprintf(stderr,
                "test_tool_release: could not start s3rver (%s): run 'make "
                "setup' so tools/node/node_modules/.bin/s3rver exists\n",
                s_url);
        return -1;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return 0;
}

static int teardown(void **state)
{
    char cmd[512];

    (void)state;
    snprintf(cmd, sizeof cmd,
             "S3_LOCAL_STATE='%s' '%s/scripts/s3-local.sh' stop", s_state,
             FOTA_SOURCE_DIR);
    if (system(cmd) != 0)
        fprintf(stderr, "test_tool_release: stopping s3rver failed\n");
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "test_tool_release: could not remove %s\n", s_dir);
    curl_global_cleanup();
    return 0;
}

/* ---- tests against s3rver ---- */

static void test_help(void **state)
{
    (void)state;
    assert_int_equal(run(CREDS_NONE, "--help", NULL), 0);
    assert_non_null(strstr(s_out, "release"));
    assert_int_equal(run(CREDS_NONE, "release", "--help", NULL), 0);
    assert_non_null(strstr(s_out, "publish"));
    assert_non_null(strstr(s_out, "show"));
    assert_int_equal(run(CREDS_NONE, "release", "publish", "--help", NULL), 0);
    assert_non_null(strstr(s_out, "--slot-a"));
    assert_non_null(strstr(s_out, "AWS_ACCESS_KEY_ID"));
    assert_int_equal(run(CREDS_NONE, "release", "show", "--help", NULL), 0);
    assert_non_null(strstr(s_out, "--prefix"));
    /* Missing required options and bad values are usage errors. */
    assert_int_equal(run(CREDS_OK, "release", "publish", "--bucket", "x", NULL),
                     2);
    assert_int_equal(run(CREDS_OK, "release", "publish", "--bucket", "x",
                         "--prefix", "p", "--slot-a", "a", "--slot-b", "b",
                         "--rollout", "101", NULL),
                     2);
    assert_non_null(strstr(s_err, "--rollout"));
}

static void test_publish_and_read_back(void **state)
{
    static uint64_t arena[AGENT_MANIFEST_ARENA_SIZE / sizeof(uint64_t)];
    char a[128], b[128], hex[65], want_key[256];
    uint8_t *img[2];
    size_t len[2];
    buf_t man, obj;
    agent_manifest_t m;
    fota_version_t v = {1, 2, 0, 45};
    cJSON *root, *arr;
    int rc;

    (void)state;
    make_bucket("rel-ok");
    make_image("a.img", 0, VERSION, "3", 3000, 1);
    make_image("b.img", 1, VERSION, "3", 3100, 2);
    path(a, sizeof a, "a.img");
    path(b, sizeof b, "b.img");
    img[0] = test_read_file(a, &len[0]);
    img[1] = test_read_file(b, &len[1]);
    assert_int_not_equal(len[0], len[1]);

    rc = PUBLISH(CREDS_OK, "rel-ok", a, b, "--rollout", "25", "--json", NULL);
    if (rc != 0)
        fprintf(stderr, "stderr: %s\n", s_err);
    assert_int_equal(rc, 0);
    assert_int_equal(count_keys("rel-ok"), 3);

    /* The manifest, parsed as a device parses it. */
    get_object("rel-ok", PREFIX "/manifest.json", &man);
    assert_true(man.len <= AGENT_MANIFEST_TEXT_MAX);
    assert_int_equal(agent_manifest_parse((const char *)man.data, man.len,
                                          arena, sizeof arena, &m),
                     0);
    assert_string_equal(m.product, "stm32f407-disco");
    assert_string_equal(m.version_str, VERSION);
    assert_int_equal(fota_version_cmp(&m.version, &v), 0);
    assert_int_equal(m.security_counter, 3);
    assert_int_equal(m.rollout_percent, 25);
    /* published_at: UTC, ISO 8601, within a few minutes of now. */
    {
        struct tm tm;
        time_t now = time(NULL), t;
        memset(&tm, 0, sizeof tm);
        assert_int_equal(strlen(m.published_at), 20);
        assert_int_equal(m.published_at[19], 'Z');
        assert_int_equal(sscanf(m.published_at, "%d-%d-%dT%d:%d:%d",
                                &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                                &tm.tm_hour, &tm.tm_min, &tm.tm_sec),
                         6);
        tm.tm_year -= 1900;
        tm.tm_mon -= 1;
        t = timegm(&tm);
        assert_true(t > now - 300 && t <= now + 5);
    }
    /* The exact members of docs/cloud.md, format 1 included. */
    root = cJSON_Parse((const char *)man.data);
    assert_non_null(root);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(root, "format")->valueint,
                     1);
    cJSON_Delete(root);

    /* Each slot: key, size and hash in the manifest, and the object itself. */
    for (int s = 0; s < 2; s++) {
        snprintf(want_key, sizeof want_key, PREFIX "/" VERSION "/slot-%c.img",
                 "ab"[s]);
        assert_string_equal(m.slot[s].key, want_key);
        assert_int_equal(m.slot[s].size, len[s]);
        {
            uint8_t h[FOTA_SHA256_SIZE];
            fota_sha256(img[s], len[s], h);
            assert_memory_equal(m.slot[s].sha256, h, FOTA_SHA256_SIZE);
        }
        get_object("rel-ok", want_key, &obj);
        assert_int_equal(obj.len, len[s]);
        assert_memory_equal(obj.data, img[s], len[s]);
        free(obj.data);
    }

    /* --json: what was uploaded, with the ETags the server gave. */
    root = cJSON_Parse(s_out);
    assert_non_null(root);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "ok")));
    assert_string_equal(
        cJSON_GetObjectItemCaseSensitive(root, "version")->valuestring,
        VERSION);
    arr = cJSON_GetObjectItemCaseSensitive(root, "uploaded");
    assert_int_equal(cJSON_GetArraySize(arr), 3);
    {
        const char *names[3] = {"slot-a", "slot-b", "manifest"};
        for (int i = 0; i < 3; i++) {
            cJSON *o = cJSON_GetArrayItem(arr, i);
            const char *key =
                cJSON_GetObjectItemCaseSensitive(o, "key")->valuestring;
            assert_string_equal(
                cJSON_GetObjectItemCaseSensitive(o, "name")->valuestring,
                names[i]);
            get_object("rel-ok", key, &obj);
            assert_string_equal(
                cJSON_GetObjectItemCaseSensitive(o, "etag")->valuestring,
                obj.etag);
            assert_int_equal(
                cJSON_GetObjectItemCaseSensitive(o, "size")->valuedouble,
                (double)obj.len);
            sha_hex(obj.data, obj.len, hex);
            assert_string_equal(
                cJSON_GetObjectItemCaseSensitive(o, "sha256")->valuestring,
                hex);
            free(obj.data);
        }
    }
    cJSON_Delete(root);

    /* `release show`, signed and anonymous, reads the same manifest. */
    assert_int_equal(run(CREDS_OK, "release", "show", "--endpoint", s_url,
                         "--bucket", "rel-ok", "--prefix", PREFIX, NULL),
                     0);
    assert_non_null(strstr(s_out, VERSION));
    assert_non_null(strstr(s_out, "25%"));
    assert_non_null(strstr(s_out, man.etag));
    assert_int_equal(run(CREDS_NONE, "release", "show", "--endpoint", s_url,
                         "--bucket", "rel-ok", "--prefix", PREFIX "/", "--json",
                         NULL),
                     0);
    assert_string_equal(s_out, (const char *)man.data);

    free(man.data);
    free(img[0]);
    free(img[1]);
}

/* --gateway-image: the gateway's own image is uploaded before the manifest
 * and named by its "gateway" member; incomplete or bad options upload
 * nothing. */
static void test_publish_gateway_target(void **state)
{
    static uint64_t arena[AGENT_MANIFEST_ARENA_SIZE / sizeof(uint64_t)];
    static const uint8_t gwbin[] = "gateway firmware 2.1.0 for the test";
    char a[128], b[128], g[128];
    uint8_t h[FOTA_SHA256_SIZE];
    buf_t man, obj;
    agent_manifest_t m;
    FILE *f;

    (void)state;
    make_bucket("rel-gw");
    make_image("a.img", 0, VERSION, "3", 3000, 1);
    make_image("b.img", 1, VERSION, "3", 3100, 2);
    path(a, sizeof a, "a.img");
    path(b, sizeof b, "b.img");
    path(g, sizeof g, "gw.bin");
    f = fopen(g, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(gwbin, 1, sizeof gwbin, f), sizeof gwbin);
    fclose(f);

    /* All three options or none. */
    assert_int_equal(PUBLISH(CREDS_OK, "rel-gw", a, b, "--gateway-image", g,
                             "--gateway-version", "2.1.0", NULL),
                     2);
    assert_non_null(strstr(s_err, "go together"));
    assert_int_equal(PUBLISH(CREDS_OK, "rel-gw", a, b, "--gateway-image", g,
                             "--gateway-version", "2.1", "--gateway-product",
                             "linux-gateway", NULL),
                     1);
    assert_non_null(strstr(s_err, "gateway version '2.1'"));
    assert_int_equal(PUBLISH(CREDS_OK, "rel-gw", a, b, "--gateway-image", g,
                             "--gateway-version", "2.1.0", "--gateway-product",
                             "a-gateway-product-name-of-32-chr", NULL),
                     1);
    assert_non_null(strstr(s_err, "gateway product must be 1..31"));
    assert_int_equal(count_keys("rel-gw"), 0);

    assert_int_equal(PUBLISH(CREDS_OK, "rel-gw", a, b, "--gateway-image", g,
                             "--gateway-version", "2.1.0", "--gateway-product",
                             "linux-gateway", NULL),
                     0);
    assert_int_equal(count_keys("rel-gw"), 4);
    assert_non_null(strstr(s_out, "uploaded gateway"));
    get_object("rel-gw", PREFIX "/manifest.json", &man);
    assert_int_equal(agent_manifest_parse((const char *)man.data, man.len,
                                          arena, sizeof arena, &m),
                     0);
    assert_true(m.has_gateway);
    assert_string_equal(m.gateway.product, "linux-gateway");
    assert_string_equal(m.gateway.version_str, "2.1.0");
    assert_string_equal(m.gateway.image.key,
                        PREFIX "/" VERSION "/gateway-2.1.0.bin");
    assert_int_equal(m.gateway.image.size, sizeof gwbin);
    fota_sha256(gwbin, sizeof gwbin, h);
    assert_memory_equal(m.gateway.image.sha256, h, sizeof h);
    assert_int_equal(run(CREDS_OK, "release", "show", "--endpoint", s_url,
                         "--bucket", "rel-gw", "--prefix", PREFIX, NULL),
                     0);
    assert_non_null(strstr(s_out,
                           "gateway           linux-gateway 2.1.0: " PREFIX
                           "/" VERSION "/gateway-2.1.0.bin, 36 bytes"));
    get_object("rel-gw", m.gateway.image.key, &obj);
    assert_int_equal(obj.len, sizeof gwbin);
    assert_memory_equal(obj.data, gwbin, sizeof gwbin);
    free(obj.data);
    free(man.data);
}

static void test_republish_and_conflict(void **state)
{
    char a[128], b[128], b2[128];
    buf_t man1, man2, obj1, obj2;

    (void)state;
    make_bucket("rel-again");
    make_image("a.img", 0, "2.0.1", "4", 2000, 3);
    make_image("b.img", 1, "2.0.1", "4", 2000, 4);
    make_image("b2.img", 1, "2.0.1", "4", 2000, 5);
    path(a, sizeof a, "a.img");
    path(b, sizeof b, "b.img");
    path(b2, sizeof b2, "b2.img");

    assert_int_equal(
        PUBLISH(CREDS_OK, "rel-again", a, b, "--rollout", "10", NULL), 0);
    assert_non_null(strstr(s_out, "uploaded manifest"));
    get_object("rel-again", PREFIX "/manifest.json", &man1);
    get_object("rel-again", PREFIX "/2.0.1/slot-b.img", &obj1);

    /* The same pair again with a wider rollout: images untouched, new
     * manifest. */
    assert_int_equal(
        PUBLISH(CREDS_OK, "rel-again", a, b, "--rollout", "50", NULL), 0);
    assert_non_null(strstr(s_out, "unchanged slot-a"));
    assert_non_null(strstr(s_out, "unchanged slot-b"));
    get_object("rel-again", PREFIX "/manifest.json", &man2);
    get_object("rel-again", PREFIX "/2.0.1/slot-b.img", &obj2);
    assert_string_equal(obj1.etag, obj2.etag);
    assert_string_not_equal(man1.etag, man2.etag);
    assert_non_null(strstr((const char *)man2.data, "\"rollout_percent\": 50"));
    free(man1.data);
    free(obj1.data);
    free(obj2.data);

    /* Another build under the same version: refused, nothing changes. */
    assert_int_equal(PUBLISH(CREDS_OK, "rel-again", a, b2, NULL), 1);
    assert_non_null(strstr(s_err, "already exists with different content"));
    get_object("rel-again", PREFIX "/manifest.json", &man1);
    assert_string_equal(man1.etag, man2.etag);
    get_object("rel-again", PREFIX "/2.0.1/slot-b.img", &obj1);
    assert_string_equal(obj1.etag, obj2.etag);
    assert_int_equal(count_keys("rel-again"), 3);
    free(man1.data);
    free(obj1.data);

    /* An older version over 2.0.1: refused without --allow-downgrade,
     * before any upload. */
    make_image("old-a.img", 0, "2.0.0", "4", 2000, 6);
    make_image("old-b.img", 1, "2.0.0", "4", 2000, 7);
    path(a, sizeof a, "old-a.img");
    path(b, sizeof b, "old-b.img");
    assert_int_equal(PUBLISH(CREDS_OK, "rel-again", a, b, NULL), 1);
    assert_non_null(strstr(s_err, "refused: 2.0.0 is older than 2.0.1"));
    assert_non_null(strstr(s_err, "--allow-downgrade"));
    assert_int_equal(count_keys("rel-again"), 3);
    get_object("rel-again", PREFIX "/manifest.json", &man1);
    assert_string_equal(man1.etag, man2.etag);
    free(man1.data);
    assert_int_equal(
        PUBLISH(CREDS_OK, "rel-again", a, b, "--allow-downgrade", NULL), 0);
    assert_non_null(
        strstr(s_err, "moving the manifest back from 2.0.1 to 2.0.0"));
    get_object("rel-again", PREFIX "/manifest.json", &man1);
    assert_non_null(strstr((const char *)man1.data, "\"version\": \"2.0.0\""));
    free(man1.data);
    free(man2.data);
}

static void test_mismatched_pairs_refused(void **state)
{
    char a[128], b[128], b_ver[128], b_sec[128], bad[128];
    uint8_t *img;
    size_t len;
    FILE *f;

    (void)state;
    make_bucket("rel-refused");
    make_image("a.img", 0, "1.3.0", "5", 1000, 6);
    make_image("b.img", 1, "1.3.0", "5", 1000, 7);
    make_image("b-ver.img", 1, "1.3.1", "5", 1000, 7);
    make_image("b-sec.img", 1, "1.3.0", "6", 1000, 7);
    path(a, sizeof a, "a.img");
    path(b, sizeof b, "b.img");
    path(b_ver, sizeof b_ver, "b-ver.img");
    path(b_sec, sizeof b_sec, "b-sec.img");

    assert_int_equal(PUBLISH(CREDS_OK, "rel-refused", a, b_ver, NULL), 1);
    assert_non_null(strstr(s_err, "versions differ"));
    assert_non_null(strstr(s_err, "1.3.1"));
    assert_int_equal(PUBLISH(CREDS_OK, "rel-refused", a, b_sec, NULL), 1);
    assert_non_null(strstr(s_err, "security counters differ"));
    /* Swapped files, and the slot-a image given for both slots. */
    assert_int_equal(PUBLISH(CREDS_OK, "rel-refused", b, a, NULL), 1);
    assert_non_null(strstr(s_err, "swapped"));
    assert_int_equal(PUBLISH(CREDS_OK, "rel-refused", a, a, NULL), 1);
    assert_non_null(strstr(s_err, "slot-b image is linked for slot A"));
    /* A body byte flipped after packing: the hash check refuses it. */
    img = test_read_file(b, &len);
    img[len - 10] ^= 0x40;
    path(bad, sizeof bad, "bad.img");
    f = fopen(bad, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(img, 1, len, f), len);
    fclose(f);
    free(img);
    assert_int_equal(PUBLISH(CREDS_OK, "rel-refused", a, bad, NULL), 1);
    assert_non_null(strstr(s_err, "slot-b image is invalid: hash"));
    /* Not an image at all. */
    path(bad, sizeof bad, "raw.bin");
    assert_int_equal(PUBLISH(CREDS_OK, "rel-refused", a, bad, NULL), 1);
    assert_non_null(strstr(s_err, "slot-b image is invalid: header"));

    /* Nothing reached the bucket. */
    assert_int_equal(count_keys("rel-refused"), 0);
}

static void test_credentials_and_server_errors(void **state)
{
    char a[128], b[128], ep[64];
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;
    int fd;

    (void)state;
    make_bucket("rel-errors");
    make_image("a.img", 0, "1.4.0", "5", 1000, 8);
    make_image("b.img", 1, "1.4.0", "5", 1000, 9);
    path(a, sizeof a, "a.img");
    path(b, sizeof b, "b.img");

    assert_int_equal(PUBLISH(CREDS_NONE, "rel-errors", a, b, NULL), 1);
    assert_non_null(strstr(s_err, "no credentials"));
    assert_non_null(strstr(s_err, "AWS_ACCESS_KEY_ID"));
    assert_int_equal(PUBLISH(CREDS_KEY_ONLY, "rel-errors", a, b, NULL), 1);
    assert_non_null(strstr(s_err, "AWS_SECRET_ACCESS_KEY is missing"));
    /* A key the server does not know: its status and S3 error code. */
    assert_int_equal(PUBLISH(CREDS_BAD_KEY, "rel-errors", a, b, NULL), 1);
    assert_non_null(strstr(s_err, "HTTP 403 InvalidAccessKeyId"));
    assert_int_equal(count_keys("rel-errors"), 0);
    /* A bucket that does not exist. */
    assert_int_equal(PUBLISH(CREDS_OK, "rel-no-such-bucket", a, b, NULL), 1);
    assert_non_null(strstr(s_err, "HTTP 404 NoSuchBucket"));
    assert_non_null(strstr(s_err, "upload of slot-a failed"));

    /* A wrong endpoint: a loopback port nobody listens on. */
    fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
    close(fd);
    snprintf(ep, sizeof ep, "http://127.0.0.1:%u",
             (unsigned)ntohs(sa.sin_port));
    assert_int_equal(run(CREDS_OK, "release", "publish", "--endpoint", ep,
                         "--bucket", "rel-errors", "--prefix", PREFIX,
                         "--slot-a", a, "--slot-b", b, NULL),
                     1);
    assert_non_null(strstr(s_err, "Couldn't connect"));
    assert_non_null(strstr(s_err, ep));
    assert_int_equal(run(CREDS_OK, "release", "publish", "--endpoint",
                         "ftp://x", "--bucket", "rel-errors", "--prefix",
                         PREFIX, "--slot-a", a, "--slot-b", b, NULL),
                     1);
    assert_non_null(strstr(s_err, "http://"));
    /* `show` of a prefix with nothing published. */
    assert_int_equal(run(CREDS_NONE, "release", "show", "--endpoint", s_url,
                         "--bucket", "rel-errors", "--prefix", "nothing/here",
                         NULL),
                     1);
    assert_non_null(strstr(s_err, "HTTP 404 NoSuchKey"));
    assert_int_equal(count_keys("rel-errors"), 0);
}

/* ---- what goes on the wire: a recording loopback server ---- */

#define REC_MAX 8

typedef struct rec_req {
    char method[8];
    char path[256];
    char content_sha256[80];
    char auth[512];
    char token[64];
    uint8_t body_sha[FOTA_SHA256_SIZE];
    size_t body_len;
} rec_req_t;

static struct {
    int lfd;
    unsigned port;
    const char *fail_path_part; /* answer 500 to a PUT whose path has this */
    atomic_bool stop;
    size_t n;
    rec_req_t req[REC_MAX];
} s_rec;

static void hdr_value(const char *head, const char *name, char *out,
                      size_t out_len)
{
    size_t nl = strlen(name);

    out[0] = '\0';
    for (const char *p = strstr(head, "\r\n"); p != NULL;
         p = strstr(p + 2, "\r\n")) {
        if (strncasecmp(p + 2, name, nl) == 0 && p[2 + nl] == ':') {
            const char *v = p + 3 + nl;
            while (*v == ' ')
                v++;
            snprintf(out, out_len, "%.*s", (int)strcspn(v, "\r\n"), v);
            return;
        }
    }
}

/* One connection: requests until the peer closes; every wait has a
 * deadline (poll, 5 s). */
static void serve_conn(int fd)
{
    static char buf[1 << 18];

    for (;;) {
        size_t have = 0, need;
        char *end = NULL, cl[32];
        rec_req_t r;
        struct pollfd pfd = {fd, POLLIN, 0};
        const char *status, *body;
        char answer[512];

        while (end == NULL) {
            ssize_t n;
            if (poll(&pfd, 1, 5000) <= 0)
                return;
            n = recv(fd, buf + have, sizeof buf - 1 - have, 0);
            if (n <= 0)
                return;
            have += (size_t)n;
            buf[have] = '\0';
            end = strstr(buf, "\r\n\r\n");
        }
        memset(&r, 0, sizeof r);
        sscanf(buf, "%7s %255s", r.method, r.path);
        hdr_value(buf, "x-amz-content-sha256", r.content_sha256,
                  sizeof r.content_sha256);
        hdr_value(buf, "Authorization", r.auth, sizeof r.auth);
        hdr_value(buf, "x-amz-security-token", r.token, sizeof r.token);
        hdr_value(buf, "Expect", cl, sizeof cl);
        if (cl[0] != '\0')
            (void)!send(fd, "HTTP/1.1 100 Continue\r\n\r\n", 25, MSG_NOSIGNAL);
        hdr_value(buf, "Content-Length", cl, sizeof cl);
        need = (size_t)(end + 4 - buf) + (size_t)strtoul(cl, NULL, 10);
        while (have < need && have < sizeof buf - 1) {
            ssize_t n;
            if (poll(&pfd, 1, 5000) <= 0)
                return;
            n = recv(fd, buf + have, sizeof buf - 1 - have, 0);
            if (n <= 0)
                return;
            have += (size_t)n;
        }
        r.body_len = need - (size_t)(end + 4 - buf);
        fota_sha256((const uint8_t *)end + 4, r.body_len, r.body_sha);
        if (s_rec.n < REC_MAX)
            s_rec.req[s_rec.n++] = r;

        if (strcmp(r.method, "GET") == 0) {
            status = "404 Not Found";
            body = "<Error><Code>NoSuchKey</Code><Message>no such "
                   "key</Message></Error>";
        } else if (s_rec.fail_path_part != NULL &&
                   strstr(r.path, s_rec.fail_path_part)) {
            status = "500 Internal Server Error";
            body =
                "<Error><Code>InternalError</Code><Message>We encountered an "
                "error</Message></Error>";
        } else {
            status = "200 OK";
            body = "";
        }
        snprintf(answer, sizeof answer,
                 "HTTP/1.1 %s\r\nETag: \"0123456789abcdef0123456789abcdef\"\r\n"
                 "Content-Length: %zu\r\n\r\n%s",
                 status, strlen(body), body);
        (void)!send(fd, answer, strlen(answer), MSG_NOSIGNAL);
        /* A pipelined next request is not used by libcurl here. */
    }
}

static void *rec_thread(void *arg)
{
    (void)arg;
    while (!atomic_load(&s_rec.stop)) {
        struct pollfd pfd = {s_rec.lfd, POLLIN, 0};
        int fd;

        /* Short polls so rec_stop() is noticed quickly. */
        if (poll(&pfd, 1, 20) <= 0)
            continue;
        fd = accept(s_rec.lfd, NULL, NULL);
        if (fd < 0)
            continue;
        serve_conn(fd);
        close(fd);
    }
    return NULL;
}

static void rec_start(pthread_t *t, const char *fail_part)
{
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;

    memset(&s_rec, 0, sizeof s_rec);
    s_rec.fail_path_part = fail_part;
    s_rec.lfd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s_rec.lfd >= 0);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(s_rec.lfd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(s_rec.lfd, 4), 0);
    assert_int_equal(getsockname(s_rec.lfd, (struct sockaddr *)&sa, &sl), 0);
    s_rec.port = ntohs(sa.sin_port);
    assert_int_equal(pthread_create(t, NULL, rec_thread, NULL), 0);
}

static void rec_stop(pthread_t t)
{
    atomic_store(&s_rec.stop, true);
    pthread_join(t, NULL);
    close(s_rec.lfd);
}

static void test_wire_order_and_signing(void **state)
{
    char a[128], b[128], ep[64], hex[65], scope[128];
    uint8_t *img[2];
    size_t len[2];
    pthread_t t;
    int rc;

    (void)state;
    make_image("a.img", 0, "3.1.4+15", "9", 1500, 10);
    make_image("b.img", 1, "3.1.4+15", "9", 1700, 11);
    path(a, sizeof a, "a.img");
    path(b, sizeof b, "b.img");
    img[0] = test_read_file(a, &len[0]);
    img[1] = test_read_file(b, &len[1]);

    rec_start(&t, NULL);
    snprintf(ep, sizeof ep, "http://127.0.0.1:%u/", s_rec.port);
    rc = run(CREDS_TOKEN, "release", "publish", "--endpoint", ep, "--bucket",
             "bkt", "--prefix", "/p/q/", "--slot-a", a, "--slot-b", b,
             "--region", "eu-west-1", NULL);
    rec_stop(t);
    if (rc != 0)
        fprintf(stderr, "stderr: %s\n", s_err);
    assert_int_equal(rc, 0);
    /* The current manifest (downgrade check), two existence checks, then
     * slot-a, slot-b and the manifest last. */
    assert_int_equal(s_rec.n, 6);
    assert_string_equal(s_rec.req[0].method, "GET");
    assert_string_equal(s_rec.req[0].path, "/bkt/p/q/manifest.json");
    assert_string_equal(s_rec.req[1].method, "GET");
    assert_string_equal(s_rec.req[1].path, "/bkt/p/q/3.1.4%2B15/slot-a.img");
    assert_string_equal(s_rec.req[2].path, "/bkt/p/q/3.1.4%2B15/slot-b.img");
    assert_string_equal(s_rec.req[3].method, "PUT");
    assert_string_equal(s_rec.req[3].path, "/bkt/p/q/3.1.4%2B15/slot-a.img");
    assert_string_equal(s_rec.req[4].path, "/bkt/p/q/3.1.4%2B15/slot-b.img");
    assert_string_equal(s_rec.req[5].path, "/bkt/p/q/manifest.json");
    snprintf(scope, sizeof scope, "/eu-west-1/s3/aws4_request");
    for (size_t i = 0; i < s_rec.n; i++) {
        rec_req_t *r = &s_rec.req[i];
        /* Signed with the region asked for, the payload hash header and
         * the session token both sent and signed. */
        assert_non_null(strstr(r->auth, "AWS4-HMAC-SHA256 Credential=S3RVER/"));
        assert_non_null(strstr(r->auth, scope));
        assert_non_null(strstr(r->auth, "x-amz-content-sha256"));
        assert_non_null(strstr(r->auth, "x-amz-security-token"));
        assert_string_equal(r->token, "session-token-123");
        for (int k = 0; k < FOTA_SHA256_SIZE; k++)
            snprintf(hex + 2 * k, 3, "%02x", r->body_sha[k]);
        assert_string_equal(r->content_sha256, hex);
    }
    for (int s = 0; s < 2; s++) {
        uint8_t h[FOTA_SHA256_SIZE];
        fota_sha256(img[s], len[s], h);
        assert_int_equal(s_rec.req[3 + s].body_len, len[s]);
        assert_memory_equal(s_rec.req[3 + s].body_sha, h, FOTA_SHA256_SIZE);
    }
    assert_in_range(s_rec.req[5].body_len, 200, AGENT_MANIFEST_TEXT_MAX);

    /* slot-b's upload fails: the manifest is never sent, and the error
     * shows the status and the S3 code. */
    rec_start(&t, "slot-b.img");
    snprintf(ep, sizeof ep, "http://127.0.0.1:%u", s_rec.port);
    rc = run(CREDS_OK, "release", "publish", "--endpoint", ep, "--bucket",
             "bkt", "--prefix", "p", "--slot-a", a, "--slot-b", b, NULL);
    rec_stop(t);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(s_err, "upload of slot-b failed"));
    assert_non_null(strstr(s_err, "HTTP 500 InternalError"));
    assert_non_null(strstr(s_err, "manifest was not updated"));
    assert_int_equal(s_rec.n, 5);
    for (size_t i = 0; i < s_rec.n; i++) {
        if (strcmp(s_rec.req[i].method, "PUT") == 0)
            assert_null(strstr(s_rec.req[i].path, "manifest"));
        /* No session token configured: none sent. */
        assert_string_equal(s_rec.req[i].token, "");
        assert_non_null(
            strstr(s_rec.req[i].auth, "/us-east-1/s3/aws4_request"));
    }
    free(img[0]);
    free(img[1]);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_help),
        cmocka_unit_test(test_publish_and_read_back),
        cmocka_unit_test(test_publish_gateway_target),
        cmocka_unit_test(test_republish_and_conflict),
        cmocka_unit_test(test_mismatched_pairs_refused),
        cmocka_unit_test(test_credentials_and_server_errors),
        cmocka_unit_test(test_wire_order_and_signing),
    };

    if (argc < 2) {
        fprintf(stderr, "usage: %s <path to fota>\n", argv[0]);
        return 2;
    }
    s_fota = argv[1];
    return cmocka_run_group_tests(tests, setup, teardown);
}
