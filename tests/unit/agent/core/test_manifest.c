/*
 * test_manifest.c - release manifest parsing (strict validation, arena
 * allocation) and the rollout decision.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>
#include <stdlib.h>

#include "agent_manifest.h"
#include "fota/fota_ed25519.h"
#include "fota/fota_err.h"
#include "fota/fota_text.h"

#define SHA_A "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF"
#define SHA_B "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"

static const char s_valid[] =
    "{\n"
    "  \"format\": 1,\n"
    "  \"product\": \"stm32f407-disco\",\n"
    "  \"version\": \"1.2.0+45\",\n"
    "  \"security_counter\": 3,\n"
    "  \"rollout_percent\": 40,\n"
    "  \"published_at\": \"2024-05-01T12:00:00Z\",\n"
    "  \"notes\": {\"ignored\": [1, 2, 3]},\n"
    "  \"slots\": {\n"
    "    \"a\": {\"key\": \"releases/1.2.0+45/slot-a.img\", \"size\": 66048, "
    "\"sha256\": \"" SHA_A "\"},\n"
    "    \"b\": {\"key\": \"releases/1.2.0+45/slot-b.img\", \"size\": 66052, "
    "\"sha256\": \"" SHA_B "\"}\n"
    "  }\n"
    "}\n";

static uint64_t s_arena[AGENT_MANIFEST_ARENA_SIZE / sizeof(uint64_t)];

static int parse(const char *text, agent_manifest_t *m)
{
    return agent_manifest_parse(text, strlen(text), s_arena, sizeof s_arena, m);
}

/* Copy of s_valid with the first occurrence of from replaced by to. */
static const char *mutate(const char *from, const char *to)
{
    static char buf[8192];
    const char *at = strstr(s_valid, from);

    assert_non_null(at);
    snprintf(buf, sizeof buf, "%.*s%s%s", (int)(at - s_valid), s_valid, to,
             at + strlen(from));
    return buf;
}

static void test_valid(void **state)
{
    (void)state;
    agent_manifest_t m;

    assert_int_equal(parse(s_valid, &m), 0);
    assert_string_equal(m.product, "stm32f407-disco");
    assert_string_equal(m.version_str, "1.2.0+45");
    assert_int_equal(m.version.major, 1);
    assert_int_equal(m.version.minor, 2);
    assert_int_equal(m.version.patch, 0);
    assert_int_equal(m.version.build, 45);
    assert_int_equal(m.security_counter, 3);
    assert_int_equal(m.rollout_percent, 40);
    assert_string_equal(m.published_at, "2024-05-01T12:00:00Z");
    assert_string_equal(m.slot[0].key, "releases/1.2.0+45/slot-a.img");
    assert_int_equal(m.slot[0].size, 66048);
    assert_int_equal(m.slot[0].sha256[0], 0x00);
    assert_int_equal(m.slot[0].sha256[1], 0x11);
    assert_int_equal(m.slot[0].sha256[31], 0xff); /* upper-case hex accepted */
    assert_string_equal(m.slot[1].key, "releases/1.2.0+45/slot-b.img");
    assert_int_equal(m.slot[1].size, 66052);
    assert_int_equal(m.slot[1].sha256[0], 0xff);
    assert_int_equal(m.slot[1].sha256[31], 0x00);

    /* Not NUL-terminated: only len bytes are read. */
    {
        char copy[sizeof s_valid + 8];
        memcpy(copy, s_valid, sizeof s_valid - 1);
        memset(copy + sizeof s_valid - 1, 'x', 8);
        assert_int_equal(agent_manifest_parse(copy, sizeof s_valid - 1, s_arena,
                                              sizeof s_arena, &m),
                         0);
        assert_int_equal(m.slot[1].size, 66052);
    }
}

static void test_rollout_default(void **state)
{
    (void)state;
    agent_manifest_t m;

    assert_int_equal(parse(mutate("\"rollout_percent\": 40,", ""), &m), 0);
    assert_int_equal(m.rollout_percent, 100);
    assert_int_equal(parse(mutate("+45\",", "\","), &m), 0);
    assert_string_equal(m.version_str, "1.2.0");
    assert_int_equal(m.version.build, 0);
}

/* Every required member, removed in turn, makes the manifest corrupt. */
static void test_missing_members(void **state)
{
    (void)state;
    const char *cut[] = {
        "\"format\": 1,",
        "\"product\": \"stm32f407-disco\",",
        "\"version\": \"1.2.0+45\",",
        "\"security_counter\": 3,",
        "\"published_at\": \"2024-05-01T12:00:00Z\",",
        "\"key\": \"releases/1.2.0+45/slot-a.img\", ",
        "\"size\": 66048, ",
        ", \"sha256\": \"" SHA_A "\"",
        "\"a\": {\"key\": \"releases/1.2.0+45/slot-a.img\", \"size\": 66048, "
        "\"sha256\": \"" SHA_A "\"},",
        ",\n    \"b\": {\"key\": \"releases/1.2.0+45/slot-b.img\", \"size\": "
        "66052, "
        "\"sha256\": \"" SHA_B "\"}",
    };
    agent_manifest_t m;

    for (size_t i = 0; i < sizeof cut / sizeof cut[0]; i++) {
        const char *t = mutate(cut[i], "");
        int rc = parse(t, &m);
        if (rc != FOTA_ERR_CORRUPT)
            fail_msg("removing %s gave %d", cut[i], rc);
        assert_string_equal(m.product, ""); /* zeroed on failure */
        if (strstr(m.error, ": missing") == NULL)
            fail_msg("removing %s: error \"%s\"", cut[i], m.error);
    }
    /* No slots object at all. */
    {
        char t[2048];
        const char *s = strstr(s_valid, ",\n  \"slots\"");
        snprintf(t, sizeof t, "%.*s}", (int)(s - s_valid), s_valid);
        assert_int_equal(parse(t, &m), FOTA_ERR_CORRUPT);
    }
}

static void test_invalid_values(void **state)
{
    (void)state;
    static const struct {
        const char *from;
        const char *to;
        const char *why; /* the start of m.error */
    } cases[] = {
        /* wrong types */
        {"\"format\": 1", "\"format\": \"1\"", "format: not a number"},
        {"\"product\": \"stm32f407-disco\"", "\"product\": 7",
         "product: not a string"},
        {"\"version\": \"1.2.0+45\"", "\"version\": 1.2",
         "version: not a string"},
        {"\"security_counter\": 3", "\"security_counter\": \"3\"",
         "security_counter: not a number"},
        {"\"security_counter\": 3", "\"security_counter\": true",
         "security_counter: not a number"},
        {"\"rollout_percent\": 40", "\"rollout_percent\": null",
         "rollout_percent: not a number"},
        {"\"published_at\": \"2024-05-01T12:00:00Z\"", "\"published_at\": 2024",
         "published_at: not a string"},
        {"\"slots\": {", "\"slots\": [{", "not valid JSON at byte"},
        {"\"slots\": {", "\"slots\": 1, \"x\": {", "slots: not an object"},
        {"\"size\": 66048", "\"size\": \"66048\"",
         "slots.a.size: not a number"},
        {"\"key\": \"releases/1.2.0+45/slot-a.img\"", "\"key\": [\"x\"]",
         "slots.a.key: not a string"},
        /* out of range / not integral */
        {"\"format\": 1", "\"format\": 2", "format: unknown format"},
        {"\"security_counter\": 3", "\"security_counter\": -1",
         "security_counter: out of range"},
        {"\"security_counter\": 3", "\"security_counter\": 4294967296",
         "security_counter: out of range"},
        {"\"security_counter\": 3", "\"security_counter\": 3.5",
         "security_counter: not an integer"},
        {"\"rollout_percent\": 40", "\"rollout_percent\": 101",
         "rollout_percent: out of range"},
        {"\"rollout_percent\": 40", "\"rollout_percent\": -5",
         "rollout_percent: out of range"},
        {"\"size\": 66048", "\"size\": 0", "slots.a.size: out of range"},
        {"\"size\": 66048", "\"size\": 1e12", "slots.a.size: out of range"},
        /* bad versions */
        {"1.2.0+45\"", "1.2\"", "version: not major.minor.patch"},
        {"1.2.0+45\"", "1.2.0+\"", "version: not major.minor.patch"},
        {"1.2.0+45\"", "256.2.0\"", "version: not major.minor.patch"},
        {"1.2.0+45\"", "1.2.65536\"", "version: not major.minor.patch"},
        {"1.2.0+45\"", "1.02.0\"", "version: not major.minor.patch"},
        {"1.2.0+45\"", "v1.2.0\"", "version: not major.minor.patch"},
        {"1.2.0+45\"", "1.2.0-rc1\"", "version: not major.minor.patch"},
        {"1.2.0+45\"", "1.2.0+4294967296\"", "version: not major.minor.patch"},
        /* bad hex, wrong length */
        {SHA_A,
         "0g112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
         "slots.a.sha256: not 64 hex digits"},
        {SHA_A,
         "00112233445566778899aabbccddeeff00112233445566778899aabbccddeef",
         "slots.a.sha256: not 64 hex digits"},
        {SHA_A,
         "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff0",
         "slots.a.sha256: not 64 hex digits"},
        {SHA_A, "", "slots.a.sha256: not 64 hex digits"},
        /* oversize or empty strings, control characters */
        {"stm32f407-disco", "stm32f407-discovery", "product: too long"},
        {"stm32f407-disco", "", "product: empty"},
        {"stm32f407-disco", "stm32\\nf407", "product: not printable ASCII"},
        {"releases/1.2.0+45/slot-a.img",
         "releases/"
         "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
         "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
         "x"
         "xxxxxxxxxxxxxxxxxxxxxxxx/slot-a.img",
         "slots.a.key: too long"},
        {"releases/1.2.0+45/slot-a.img", "/releases/slot-a.img",
         "slots.a.key: starts with '/'"},
        {"2024-05-01T12:00:00Z",
         "2024-05-01T12:00:00.000000000000000000000000Z",
         "published_at: too long"},
        /* repeated member */
        {"\"format\": 1,", "\"format\": 1, \"format\": 1,",
         "format: member repeated"},
        /* not JSON, or trailing garbage */
        {"\"format\": 1,", "\"format\": 1,,", "not valid JSON at byte"},
        {"\n}\n", "\n}\n}", "text after the JSON value at byte"},
        {"\n}\n", "\n} x", "text after the JSON value at byte"},
    };
    agent_manifest_t m;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = parse(mutate(cases[i].from, cases[i].to), &m);
        if (rc != FOTA_ERR_CORRUPT)
            fail_msg("case %zu (%s -> %s) gave %d", i, cases[i].from,
                     cases[i].to, rc);
        if (strncmp(m.error, cases[i].why, strlen(cases[i].why)) != 0)
            fail_msg("case %zu (%s -> %s): error \"%s\", want \"%s...\"", i,
                     cases[i].from, cases[i].to, m.error, cases[i].why);
    }
    assert_int_equal(parse("[]", &m), FOTA_ERR_CORRUPT);
    assert_int_equal(parse("", &m), FOTA_ERR_CORRUPT);
    assert_int_equal(agent_manifest_parse(s_valid, AGENT_MANIFEST_TEXT_MAX + 1,
                                          s_arena, sizeof s_arena, &m),
                     FOTA_ERR_CORRUPT);
    /* The 16-character product (the image header's full field) fits. */
    assert_int_equal(parse(mutate("stm32f407-disco", "stm32f407-disco1"), &m),
                     0);
    assert_string_equal(m.product, "stm32f407-disco1");
}

/* A too small arena is reported as such, and the next parse (with enough
 * room) still works: the hooks are restored each time. */
static void test_arena_too_small(void **state)
{
    (void)state;
    agent_manifest_t m;
    uint64_t small[32];

    assert_int_equal(
        agent_manifest_parse(s_valid, strlen(s_valid), small, sizeof small, &m),
        FOTA_ERR_NOMEM);
    assert_int_equal(parse(s_valid, &m), 0);
    assert_int_equal(agent_manifest_parse(NULL, 1, s_arena, sizeof s_arena, &m),
                     FOTA_ERR_INVAL);
    assert_int_equal(agent_manifest_parse(s_valid, 1, NULL, 0, &m),
                     FOTA_ERR_INVAL);
}

/* About rollout_percent of many devices are selected, for several
 * percentages, and the choice is stable and monotonic in the percentage. */
static void test_rollout_distribution(void **state)
{
    (void)state;
    const unsigned percents[] = {0, 1, 10, 25, 50, 90, 100};
    const unsigned n = 20000;
    agent_manifest_t m;
    char id[32];

    assert_int_equal(parse(s_valid, &m), 0);
    for (size_t p = 0; p < sizeof percents / sizeof percents[0]; p++) {
        unsigned selected = 0;
        m.rollout_percent = (uint8_t)percents[p];
        for (unsigned i = 0; i < n; i++) {
            snprintf(id, sizeof id, "stm32-%08x", i * 2654435761u);
            selected += agent_manifest_rollout_selected(&m, id) ? 1u : 0u;
        }
        /* Binomial: 3 sigma at n = 20000 is at most ~1.1 points. */
        {
            double got = 100.0 * selected / n;
            double want = percents[p];
            if (got < want - 1.5 || got > want + 1.5)
                fail_msg("rollout %u%%: %.2f%% selected", percents[p], got);
        }
    }
    /* Every bucket value occurs, and buckets are below 100. */
    {
        unsigned seen[100] = {0};
        for (unsigned i = 0; i < n; i++) {
            unsigned b;
            snprintf(id, sizeof id, "dev-%u", i);
            b = agent_manifest_rollout_bucket(id, "1.2.0+45");
            assert_true(b < 100);
            seen[b]++;
        }
        for (unsigned b = 0; b < 100; b++)
            assert_true(seen[b] > 100); /* ~200 expected each */
    }
    /* Stable for the same inputs; another version reshuffles. */
    {
        unsigned same = 0;
        for (unsigned i = 0; i < 1000; i++) {
            snprintf(id, sizeof id, "dev-%u", i);
            assert_int_equal(agent_manifest_rollout_bucket(id, "1.2.0"),
                             agent_manifest_rollout_bucket(id, "1.2.0"));
            same += agent_manifest_rollout_bucket(id, "1.2.0") ==
                    agent_manifest_rollout_bucket(id, "1.3.0");
        }
        assert_true(same < 50); /* ~10 expected by chance */
    }
}

/* ---- hostile input ---------------------------------------------------------- */

/* A deeply nested document of exactly len bytes: '[' * (len/2) then ']'. */
static char *nested(size_t len, char open, char close)
{
    char *t = malloc(len);

    assert_non_null(t);
    memset(t, open, len / 2);
    memset(t + len / 2, close, len - len / 2);
    return t;
}

static void test_nesting_limit(void **state)
{
    (void)state;
    agent_manifest_t m;
    char *t = nested(4000, '[', ']');

    assert_int_equal(agent_manifest_parse(t, 4000, s_arena, sizeof s_arena, &m),
                     FOTA_ERR_CORRUPT);
    assert_string_equal(m.error, "nesting deeper than 8 levels at byte 8");
    free(t);
    t = nested(4000, '{', '}');
    assert_int_equal(agent_manifest_parse(t, 4000, s_arena, sizeof s_arena, &m),
                     FOTA_ERR_CORRUPT);
    assert_string_equal(m.error, "nesting deeper than 8 levels at byte 8");
    free(t);
    /* Mixed, inside an unknown member of an otherwise valid manifest. */
    assert_int_equal(parse(mutate("[1, 2, 3]", "[[{\"x\":[[[[1]]]]}]]"), &m),
                     FOTA_ERR_CORRUPT);
    assert_non_null(strstr(m.error, "nesting deeper than 8 levels"));
    /* Exactly the limit is fine (unknown members are ignored). */
    assert_int_equal(parse(mutate("[1, 2, 3]", "[[{\"x\":[[[1]]]}]]"), &m), 0);
    /* Brackets inside strings do not count. */
    assert_int_equal(parse(mutate("[1, 2, 3]", "\"[[[[[[[[[[[[{{{{{{\""), &m),
                     0);
}

static void test_nul_and_controls(void **state)
{
    (void)state;
    agent_manifest_t m;

    assert_int_equal(
        parse(mutate("stm32f407-disco", "stm32f407-disco\\u0000other-board"),
              &m),
        FOTA_ERR_CORRUPT);
    assert_non_null(
        strstr(m.error, "escaped NUL (\\u0000) in a string at byte"));
    assert_string_equal(m.product, "");
    /* In a member name: "format\u0000x" must not read as "format". */
    assert_int_equal(parse(mutate("\"notes\"", "\"format\\u0000x\""), &m),
                     FOTA_ERR_CORRUPT);
    assert_non_null(strstr(m.error, "escaped NUL"));
    /* Upper-case hex digits are the same character; \u0001 is not NUL and
     * is refused later as not printable. */
    assert_int_equal(parse(mutate("stm32f407-disco", "stm32f407\\u0000"), &m),
                     FOTA_ERR_CORRUPT);
    assert_int_equal(parse(mutate("stm32f407-disco", "stm32f407\\u0001"), &m),
                     FOTA_ERR_CORRUPT);
    assert_string_equal(m.error, "product: not printable ASCII");
    /* An escaped backslash before "u0000" is not an escape of it. */
    assert_int_equal(parse(mutate("\"notes\"", "\"n\\\\u0000\""), &m), 0);
    /* Raw NUL byte and raw control character. */
    {
        char t[sizeof s_valid];
        memcpy(t, s_valid, sizeof t);
        t[strstr(t, "disco") - t] = '\0';
        assert_int_equal(
            agent_manifest_parse(t, sizeof t - 1, s_arena, sizeof s_arena, &m),
            FOTA_ERR_CORRUPT);
        assert_non_null(strstr(m.error, "NUL byte at byte"));
        t[strstr(s_valid, "disco") - s_valid] = '\t';
        assert_int_equal(
            agent_manifest_parse(t, sizeof t - 1, s_arena, sizeof s_arena, &m),
            FOTA_ERR_CORRUPT);
        assert_non_null(strstr(m.error, "control character in a string"));
    }
    /* A string cut by the end of the text. */
    assert_int_equal(parse("{\"format\":\"\\", &m), FOTA_ERR_CORRUPT);
    assert_non_null(strstr(m.error, "unterminated escape"));
}

/* Stack use of one parse, measured on a thread whose stack is painted
 * with a pattern first: the deepest byte overwritten is the high-water
 * mark. */
#define STACK_SIZE (256 * 1024)
static const char *s_stack_text;
static size_t s_stack_len;
static int s_stack_rc;

static void *stack_worker(void *arg)
{
    agent_manifest_t *m = arg;

    s_stack_rc = agent_manifest_parse(s_stack_text, s_stack_len, s_arena,
                                      sizeof s_arena, m);
    return NULL;
}

static size_t stack_used(const char *text, size_t len, int *rc)
{
    static agent_manifest_t m;
    uint8_t *stack = aligned_alloc(4096, STACK_SIZE);
    pthread_attr_t attr;
    pthread_t th;
    size_t untouched = 0;

    assert_non_null(stack);
    memset(stack, 0xa5, STACK_SIZE);
    s_stack_text = text;
    s_stack_len = len;
    assert_int_equal(pthread_attr_init(&attr), 0);
    assert_int_equal(pthread_attr_setstack(&attr, stack, STACK_SIZE), 0);
    assert_int_equal(pthread_create(&th, &attr, stack_worker, &m), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    pthread_attr_destroy(&attr);
    while (untouched < STACK_SIZE && stack[untouched] == 0xa5)
        untouched++;
    free(stack);
    *rc = s_stack_rc;
    return STACK_SIZE - untouched;
}

static void test_stack_bounded(void **state)
{
    (void)state;
    int rc;
    char *deep = nested(4000, '[', ']');
    char limit[64];
    size_t valid, hostile, at_limit;

    /* The deepest document accepted by the pre-scan: 8 levels. */
    snprintf(limit, sizeof limit, "[[[[[[[[1]]]]]]]]");
    valid = stack_used(s_valid, strlen(s_valid), &rc);
    assert_int_equal(rc, 0);
    hostile = stack_used(deep, 4000, &rc);
    assert_int_equal(rc, FOTA_ERR_CORRUPT);
    at_limit = stack_used(limit, strlen(limit), &rc);
    assert_int_equal(rc, FOTA_ERR_CORRUPT); /* valid JSON, not an object */
    free(deep);
    printf("manifest: stack_valid=%zu stack_nested4000=%zu stack_depth8=%zu\n",
           valid, hostile, at_limit);
    /* The 4,000-byte nested text never reaches cJSON: no more stack than a
     * valid manifest. The deepest accepted nesting stays in the same
     * bound (thread start-up included, ASan-inflated frames): far below
     * the 12 KB task stacks of the ESP32 port even uninstrumented. */
    assert_true(hostile <= valid);
    assert_true(at_limit < 2 * valid);
    assert_true(valid < 32 * 1024);
}

/* ---- signed manifests --------------------------------------------------------- */

static const uint8_t s_seed[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                                   12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                                   23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

/* s_valid with sequence/expires added, signed with seed (as the publisher
 * does: the signature member replaces the closing brace). */
static const char *signed_text(const uint8_t seed[32], uint32_t seq,
                               uint64_t expires)
{
    static char buf[8192];
    const char *end = strrchr(s_valid, '}');
    int n;

    n = snprintf(buf, sizeof buf, "%.*s,\"sequence\":%u,\"expires\":%llu\n",
                 (int)(end - s_valid), s_valid, seq,
                 (unsigned long long)expires);
    agent_manifest_sign_tail(buf, (size_t)n, seed, buf + n);
    return buf;
}

static void test_signed_manifest(void **state)
{
    (void)state;
    agent_manifest_t m;
    uint8_t pub[32], other[32], seed2[32];
    char t[8192];
    const char *sig;

    fota_ed25519_pubkey(pub, s_seed);
    memcpy(seed2, s_seed, 32);
    seed2[0] ^= 1;
    fota_ed25519_pubkey(other, seed2);
    snprintf(t, sizeof t, "%s", signed_text(s_seed, 17, 1800000000u));
    assert_int_equal(parse(t, &m), 0);
    assert_true(m.is_signed);
    assert_int_equal(m.sequence, 17);
    assert_int_equal(m.expires, 1800000000u);
    assert_int_equal(agent_manifest_verify(&m, t, strlen(t), pub), 0);
    /* Another key: named as such. */
    assert_int_equal(agent_manifest_verify(&m, t, strlen(t), other),
                     FOTA_ERR_AUTH);
    assert_string_equal(m.error, "signature: by another key (key id differs)");
    /* Any byte changed before the signature: does not verify. */
    t[strstr(t, "66048") - t] = '7';
    assert_int_equal(parse(t, &m), 0);
    assert_int_equal(agent_manifest_verify(&m, t, strlen(t), pub),
                     FOTA_ERR_AUTH);
    assert_string_equal(m.error,
                        "signature: does not verify (manifest altered)");
    /* A flipped signature bit. */
    snprintf(t, sizeof t, "%s", signed_text(s_seed, 17, 1800000000u));
    sig = strstr(t, "ed25519:") + 8 + 17;
    t[sig - t] = t[sig - t] == '0' ? '1' : '0';
    assert_int_equal(parse(t, &m), 0);
    assert_int_equal(agent_manifest_verify(&m, t, strlen(t), pub),
                     FOTA_ERR_AUTH);
    /* Unsigned. */
    assert_int_equal(parse(s_valid, &m), 0);
    assert_false(m.is_signed);
    assert_int_equal(agent_manifest_verify(&m, s_valid, strlen(s_valid), pub),
                     FOTA_ERR_AUTH);
    assert_string_equal(m.error, "manifest not signed");
    /* The signature must be the last member in its one form. */
    snprintf(t, sizeof t, "%s", signed_text(s_seed, 17, 1800000000u));
    strcpy(strrchr(t, '}'), ",\"x\":1}");
    assert_int_equal(parse(t, &m), FOTA_ERR_CORRUPT);
    assert_non_null(strstr(m.error, "signature: not the last member"));
    assert_int_equal(
        parse(mutate("\"notes\"", "\"signature\":\"x\",\"n\""), &m),
        FOTA_ERR_CORRUPT);
    assert_non_null(strstr(m.error, "signature: not the last member"));
    /* Freshness members are checked like the others. */
    assert_int_equal(parse(mutate("\"notes\"", "\"expires\":-5,\"n\""), &m),
                     FOTA_ERR_CORRUPT);
    assert_string_equal(m.error, "expires: not Unix seconds");
    assert_int_equal(parse(mutate("\"notes\"", "\"sequence\":1.5,\"n\""), &m),
                     FOTA_ERR_CORRUPT);
    assert_string_equal(m.error, "sequence: not an integer");
}

/* ---- staged rollout ------------------------------------------------------------ */

static void test_rollout_phases(void **state)
{
    (void)state;
    agent_manifest_t m;
    char id[32];
    unsigned go1 = 0, go2 = 0, wait2 = 0, out = 0;
    uint64_t wait, max_wait = 0;
    unsigned phase;

    assert_int_equal(
        parse(mutate("\"notes\"", "\"rollout\":{\"spread_s\":600,\"phases\":["
                                  "{\"percent\":10,\"start\":1000},"
                                  "{\"percent\":50,\"start\":5000}]},\"n\""),
              &m),
        0);
    assert_int_equal(m.n_phases, 2);
    assert_int_equal(m.phase[1].percent, 50);
    assert_int_equal(m.phase[1].start, 5000);
    assert_int_equal(m.spread_s, 600);
    assert_int_equal(m.rollout_percent, 50);
    assert_false(m.halted);
    /* At t = 2000 (phase 1 open and its spread over, phase 2 not yet):
     * ~10% go, ~40% wait, ~50% are outside. */
    for (unsigned i = 0; i < 4000; i++) {
        snprintf(id, sizeof id, "dev-%u", i);
        switch (agent_manifest_rollout_state(&m, id, 2000, &wait, &phase)) {
        case AGENT_ROLLOUT_GO:
            go1++;
            assert_int_equal(phase, 0);
            break;
        case AGENT_ROLLOUT_WAIT:
            wait2++;
            assert_int_equal(phase, 1);
            assert_true(wait > 3000 - 1 && wait < 3000 + 600);
            break;
        default:
            out++;
            break;
        }
        if (agent_manifest_rollout_state(&m, id, 5000 + 600, NULL, NULL) ==
            AGENT_ROLLOUT_GO)
            go2++;
        /* The spread: within [0, 600) after the phase start. */
        if (agent_manifest_rollout_state(&m, id, 1000, &wait, &phase) ==
                AGENT_ROLLOUT_WAIT &&
            phase == 0 && wait > max_wait)
            max_wait = wait;
    }
    assert_in_range(go1, 300, 500);
    assert_in_range(wait2, 1400, 1800);
    assert_in_range(out, 1800, 2200);
    assert_in_range(go2, 1800, 2200);
    assert_in_range(max_wait, 500, 599);
    assert_int_equal(agent_manifest_spread_delay("dev-1", 0), 0);
    /* Halted: nobody starts. */
    assert_int_equal(
        parse(mutate("\"notes\"", "\"rollout\":{\"halted\":true,\"phases\":["
                                  "{\"percent\":100,\"start\":0}]},\"n\""),
              &m),
        0);
    assert_int_equal(
        agent_manifest_rollout_state(&m, "dev-1", 99999, NULL, NULL),
        AGENT_ROLLOUT_HALTED);
    /* Without "rollout": one phase of rollout_percent, open at once. */
    assert_int_equal(parse(s_valid, &m), 0);
    assert_int_equal(m.n_phases, 1);
    assert_int_equal(m.phase[0].percent, 40);
    /* Phases must not go backwards; at most four. */
    assert_int_equal(
        parse(mutate("\"notes\"",
                     "\"rollout\":{\"phases\":[{\"percent\":50,"
                     "\"start\":9},{\"percent\":10,\"start\":10}]},"
                     "\"n\""),
              &m),
        FOTA_ERR_CORRUPT);
    assert_string_equal(m.error, "rollout.phases: percent or start decreases");
    assert_int_equal(
        parse(mutate("\"notes\"",
                     "\"rollout\":{\"halted\":1,\"phases\":[]},\"n\""),
              &m),
        FOTA_ERR_CORRUPT);
    assert_string_equal(m.error, "rollout.halted: not true or false");
}

/* The optional "gateway" member: parsed with the release, and every
 * hostile value refused with the member named. */
static void test_gateway_target(void **state)
{
    (void)state;
    static const char gw[] =
        "\"gateway\": {\"product\": \"linux-gateway\", \"version\": "
        "\"2.1.0+7\", \"key\": \"releases/1.2.0+45/gateway.bin\", "
        "\"size\": 4096, \"sha256\": \"" SHA_B "\"},\n  \"slots\"";
    static const struct {
        const char *from;
        const char *to;
        const char *why;
    } cases[] = {
        {"\"product\": \"linux-gateway\", ", "", "gateway.product: missing"},
        {"\"linux-gateway\"", "[]", "gateway.product: not a string"},
        {"\"linux-gateway\"", "\"linux-gateway-with-a-name-longer-than-31\"",
         "gateway.product: too long"},
        {"\"2.1.0+7\"", "\"2.1\"", "gateway.version: not major.minor"},
        {"\"2.1.0+7\"", "\"2.1.0-rc1\"", "gateway.version: not major.minor"},
        {"\"size\": 4096", "\"size\": 0", "gateway.size: out of range"},
        {"\"size\": 4096", "\"size\": 4294967296",
         "gateway.size: out of range"},
        {"\"size\": 4096", "\"size\": 4096.5", "gateway.size: not an integer"},
        {"\"key\": \"releases/1.2.0+45/gateway.bin\"",
         "\"key\": \"/releases/gateway.bin\"", "gateway.key: starts with '/'"},
        {"\"key\": \"releases/1.2.0+45/gateway.bin\", ", "",
         "gateway.key: missing"},
        {"\"" SHA_B "\"", "\"abc\"", "gateway.sha256: not 64 hex digits"},
        {"\"gateway\": {", "\"gateway\": 1, \"x\": {",
         "gateway: not an object"},
        {"\"version\": \"2.1.0+7\", ",
         "\"version\": \"2.1.0+7\", \"version\": \"2.2.0\", ",
         "gateway.version: member repeated"},
    };
    char text[4096], bad[4096];
    agent_manifest_t m;

    /* Without the member: no gateway target. */
    assert_int_equal(parse(s_valid, &m), 0);
    assert_false(m.has_gateway);
    snprintf(text, sizeof text, "%s", mutate("\"slots\"", gw));
    assert_int_equal(parse(text, &m), 0);
    assert_true(m.has_gateway);
    assert_string_equal(m.gateway.product, "linux-gateway");
    assert_string_equal(m.gateway.version_str, "2.1.0+7");
    assert_int_equal(m.gateway.version.major, 2);
    assert_int_equal(m.gateway.version.minor, 1);
    assert_int_equal(m.gateway.version.build, 7);
    assert_string_equal(m.gateway.image.key, "releases/1.2.0+45/gateway.bin");
    assert_int_equal(m.gateway.image.size, 4096);
    assert_int_equal(m.gateway.image.sha256[0], 0xff);
    assert_int_equal(m.gateway.image.sha256[31], 0x00);
    /* The STM32 part is unchanged by it. */
    assert_int_equal(m.slot[1].size, 66052);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *at = strstr(text, cases[i].from);

        assert_non_null(at);
        snprintf(bad, sizeof bad, "%.*s%s%s", (int)(at - text), text,
                 cases[i].to, at + strlen(cases[i].from));
        if (parse(bad, &m) != FOTA_ERR_CORRUPT)
            fail_msg("case %zu (%s) accepted", i, cases[i].to);
        assert_false(m.has_gateway);
        if (strncmp(m.error, cases[i].why, strlen(cases[i].why)) != 0)
            fail_msg("case %zu: error \"%s\", want \"%s...\"", i, m.error,
                     cases[i].why);
    }
}

static void test_parse_version(void **state)
{
    (void)state;
    fota_version_t v;

    assert_int_equal(
        agent_manifest_parse_version("255.255.65535+4294967295", &v), 0);
    assert_int_equal(v.major, 255);
    assert_int_equal(v.minor, 255);
    assert_int_equal(v.patch, 65535);
    assert_int_equal(v.build, 4294967295u);
    assert_int_equal(agent_manifest_parse_version("0.0.0", &v), 0);
    assert_int_equal(v.build, 0);
    assert_int_equal(agent_manifest_parse_version("1.2.3 ", &v),
                     FOTA_ERR_CORRUPT);
    assert_int_equal(agent_manifest_parse_version("1..3", &v),
                     FOTA_ERR_CORRUPT);
    assert_int_equal(agent_manifest_parse_version(NULL, &v), FOTA_ERR_CORRUPT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_rollout_default),
        cmocka_unit_test(test_missing_members),
        cmocka_unit_test(test_invalid_values),
        cmocka_unit_test(test_arena_too_small),
        cmocka_unit_test(test_rollout_distribution),
        cmocka_unit_test(test_parse_version),
        cmocka_unit_test(test_nesting_limit),
        cmocka_unit_test(test_nul_and_controls),
        cmocka_unit_test(test_stack_bounded),
        cmocka_unit_test(test_signed_manifest),
        cmocka_unit_test(test_rollout_phases),
        cmocka_unit_test(test_gateway_target),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
