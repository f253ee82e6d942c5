/*
 * fuzz_manifest.c - libFuzzer target for the release manifest parser
 * (agent_manifest_parse) on arbitrary text up to AGENT_MANIFEST_TEXT_MAX
 * bytes, built against the system cJSON. Besides the sanitizers, it checks
 * the parser's promises: a refusal always says why (out->error is not
 * empty) and leaves the other fields zero; an accepted manifest holds
 * NUL-terminated printable strings and a version that parses back.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_manifest.h"
#include "fota/fota_err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t s_arena[AGENT_MANIFEST_ARENA_SIZE / sizeof(uint64_t)];

static void broken(const char *what)
{
    fprintf(stderr, "PARSER PROMISE BROKEN: %s\n", what);
    abort();
}

static void printable(const char *s, size_t size)
{
    const char *nul = memchr(s, '\0', size);
    size_t n = nul != NULL ? (size_t)(nul - s) : size;

    if (n == 0 || nul == NULL)
        broken("string empty or not terminated");
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
            broken("string not printable");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static agent_manifest_t m;
    fota_version_t v;
    int rc;

    rc = agent_manifest_parse((const char *)data, size, s_arena, sizeof s_arena,
                              &m);
    if (rc != 0) {
        if (rc != FOTA_ERR_CORRUPT && rc != FOTA_ERR_NOMEM)
            broken("unexpected error code");
        if (m.error[0] == '\0')
            broken("refusal without a reason");
        if (m.product[0] || m.version_str[0] || m.slot[0].size ||
            m.slot[1].size)
            broken("fields left after a refusal");
        return 0;
    }
    if (m.error[0] != '\0')
        broken("error text after a success");
    printable(m.product, sizeof m.product);
    printable(m.version_str, sizeof m.version_str);
    printable(m.published_at, sizeof m.published_at);
    for (int s = 0; s < 2; s++) {
        printable(m.slot[s].key, sizeof m.slot[s].key);
        if (m.slot[s].size == 0 || m.slot[s].key[0] == '/')
            broken("slot accepted with size 0 or a leading '/'");
    }
    if (agent_manifest_parse_version(m.version_str, &v) != 0 ||
        fota_version_cmp(&v, &m.version) != 0)
        broken("version does not parse back");
    if (m.rollout_percent > 100)
        broken("rollout above 100");
    return 0;
}
