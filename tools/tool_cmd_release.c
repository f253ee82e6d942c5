/*
 * tool_cmd_release.c - `fota release`: publish a release (two images and
 * the manifest) to S3 or an S3-compatible server, and show the current
 * manifest. The logic is in tool_release.c.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "agent_manifest.h"
#include "fota/fota_ed25519.h"
#include "fota/fota_err.h"
#include "tool.h"
#include "tool_json.h"
#include "tool_release.h"

#define ENDPOINT_MAX 512
#define KEY_MAX 512

static void publish_usage(FILE *f)
{
    fprintf(
        f,
        "usage: fota release publish --bucket B --prefix P --slot-a A.img "
        "--slot-b B.img\n"
        "                            [--endpoint URL] [--region R] [--rollout "
        "PERCENT]\n"
        "                            [--require-signature PUB] "
        "[--allow-downgrade]\n"
        "                            [--manifest-key SEED [--expires-in S]]\n"
        "                            [--phases P@T,... [--spread S]]\n"
        "                            [--gateway-image FILE --gateway-version "
        "V\n"
        "                             --gateway-product P] [--json]\n"
        "\n"
        "Verify a release pair (slot-a linked for slot A, slot-b for slot B, "
        "same\n"
        "version, security counter, product and flags, hashes right), then "
        "upload\n"
        "  <prefix>/<version>/slot-a.img\n"
        "  <prefix>/<version>/slot-b.img\n"
        "  <prefix>/<version>/gateway-<V>.bin   (with --gateway-image)\n"
        "  <prefix>/manifest.json          (last, so devices never see a "
        "manifest\n"
        "                                   that names missing objects)\n"
        "signed with AWS SigV4. Nothing is uploaded if any check fails.\n"
        "\n"
        "      --endpoint URL    S3 endpoint, path-style (URL/bucket/key); "
        "default\n"
        "                        https://s3.<region>.amazonaws.com\n"
        "      --bucket B        bucket name\n"
        "      --prefix P        key prefix of the product and channel, e.g.\n"
        "                        fw/stm32f407-disco/stable\n"
        "      --slot-a FILE     image linked for slot A\n"
        "      --slot-b FILE     image linked for slot B\n"
        "      --rollout N       rollout_percent, 0..100 (default 100)\n"
        "      --require-signature PUB\n"
        "                        refuse unless both images carry a valid "
        "Ed25519\n"
        "                        signature by this public key ('fota key "
        "pub')\n"
        "      --manifest-key SEED\n"
        "                        sign the manifest with this release-manifest "
        "key\n"
        "                        ('fota key gen'; keep it offline, apart from "
        "the\n"
        "                        image-signing key). The manifest then carries "
        "the\n"
        "                        current manifest's sequence + 1 and an "
        "expiry\n"
        "      --expires-in S    seconds until a signed manifest expires "
        "(default\n"
        "                        2592000, 30 days; republish before that)\n"
        "      --phases P@T,...  staged rollout: up to 4 phases, P percent "
        "from time T\n"
        "                        (Unix seconds, or +S from now), e.g. "
        "10@+0,100@+86400\n"
        "      --spread S        devices start H(device id) mod S seconds "
        "after their\n"
        "                        phase opens (bounds the request rate)\n"
        "      --gateway-image FILE  the gateway's own firmware, published as "
        "the\n"
        "                        manifest's \"gateway\" target: gateways of "
        "product P\n"
        "                        running an older version install it after "
        "the\n"
        "                        STM32 update (docs/agent.md)\n"
        "      --gateway-version V  its version (major.minor.patch[+build])\n"
        "      --gateway-product P  the gateway product it is for, e.g. "
        "esp32-gateway\n"
        "      --allow-downgrade publish a version older than the one the "
        "current\n"
        "                        manifest names (refused otherwise)\n"
        "      --region R        signing region (default $AWS_REGION, then\n"
        "                        $AWS_DEFAULT_REGION, then us-east-1)\n"
        "  -j, --json            one JSON object on stdout\n"
        "  -h, --help            this help\n"
        "\n"
        "Credentials: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and, for "
        "temporary\n"
        "credentials, AWS_SESSION_TOKEN. Exit status 0 when everything was\n"
        "uploaded, 1 on a refused image or a failed upload, 2 on a bad command "
        "line.\n");
}

/* Prefix without leading or trailing '/', printable, no empty segment. */
static int clean_prefix(const char *in, char *out, size_t out_len)
{
    size_t n;

    while (*in == '/')
        in++;
    n = strlen(in);
    while (n > 0 && in[n - 1] == '/')
        n--;
    if (n == 0 || n >= out_len)
        return FOTA_ERR_INVAL;
    for (size_t i = 0; i < n; i++) {
        if (in[i] <= 0x20 || in[i] > 0x7E)
            return FOTA_ERR_INVAL;
        if (in[i] == '/' && in[i + 1] == '/')
            return FOTA_ERR_INVAL;
    }
    memcpy(out, in, n);
    out[n] = '\0';
    return 0;
}

typedef struct uploaded {
    const char *name;
    char key[KEY_MAX];
    size_t size;
    char sha256[2 * FOTA_SHA256_SIZE + 1];
    char etag[128];
} uploaded_t;

static void print_publish_json(const char *endpoint, const char *bucket,
                               const char *prefix,
                               const tool_release_info_t *info,
                               unsigned rollout, const char *published_at,
                               const uploaded_t *up, int n_up)
{
    tool_json_t j;

    tool_json_init(&j, stdout);
    tool_json_begin_obj(&j, NULL);
    tool_json_bool(&j, "ok", true);
    tool_json_str(&j, "endpoint", endpoint);
    tool_json_str(&j, "bucket", bucket);
    tool_json_str(&j, "prefix", prefix);
    tool_json_str(&j, "product", info->product);
    tool_json_str(&j, "version", info->version_str);
    tool_json_uint(&j, "security_counter", info->sec_counter);
    tool_json_uint(&j, "rollout_percent", rollout);
    tool_json_str(&j, "published_at", published_at);
    tool_json_begin_arr(&j, "uploaded");
    for (int i = 0; i < n_up; i++) {
        tool_json_begin_obj(&j, NULL);
        tool_json_str(&j, "name", up[i].name);
        tool_json_str(&j, "key", up[i].key);
        tool_json_uint(&j, "size", up[i].size);
        tool_json_str(&j, "sha256", up[i].sha256);
        tool_json_str(&j, "etag", up[i].etag);
        tool_json_end_obj(&j);
    }
    tool_json_end_arr(&j);
    tool_json_end_obj(&j);
}

/* Is up->key already there? Absent: *same = false. The same bytes: *same
 * = true (up->etag set). Other bytes, or no answer: refused with a message
 * (returns non-zero). */
static int check_existing(const tool_s3_t *s3, uploaded_t *up,
                          const uint8_t *img, size_t len, bool *same)
{
    tool_s3_result_t res;
    uint8_t *have = NULL;
    size_t have_len = 0;
    int rc = tool_s3_get(s3, up->key, len, &have, &have_len, &res);

    *same = false;
    if (rc == FOTA_ERR_IO && res.status == 404)
        return 0;
    if (rc == 0 && have_len == len && memcmp(have, img, len) == 0) {
        *same = true;
        snprintf(up->etag, sizeof up->etag, "%s", res.etag);
    } else if (rc == 0 || rc == FOTA_ERR_NOMEM) {
        fprintf(stderr,
                "fota release publish: refused: %s already exists with "
                "different content; a published version is never replaced "
                "(give the new build another version)\n",
                up->key);
        rc = FOTA_ERR_PERM;
    } else {
        fprintf(stderr,
                "fota release publish: cannot check whether %s exists: %s\n",
                up->key, res.message);
    }
    free(have);
    return *same || rc == 0 ? 0 : rc;
}

/* "P@T,P@T" into sign's phases (T: Unix seconds or +S from now). */
static int parse_phases(const char *s, tool_manifest_sign_t *sign)
{
    uint64_t now = (uint64_t)time(NULL);

    sign->n_phases = 0;
    while (*s) {
        char part[64], *at;
        const char *comma = strchr(s, ',');
        size_t n = comma ? (size_t)(comma - s) : strlen(s);
        uint32_t p, t;

        if (n == 0 || n >= sizeof part || sign->n_phases == 4)
            return -1;
        memcpy(part, s, n);
        part[n] = '\0';
        at = strchr(part, '@');
        if (at == NULL)
            return -1;
        *at++ = '\0';
        if (tool_parse_u32(part, &p) != 0 || p > 100 ||
            tool_parse_u32(at[0] == '+' ? at + 1 : at, &t) != 0)
            return -1;
        sign->percent[sign->n_phases] = (uint8_t)p;
        sign->start[sign->n_phases] = at[0] == '+' ? now + t : t;
        if (sign->n_phases > 0 &&
            (p < sign->percent[sign->n_phases - 1] ||
             sign->start[sign->n_phases] < sign->start[sign->n_phases - 1]))
            return -1;
        sign->n_phases++;
        s += n + (comma ? 1 : 0);
    }
    sign->has_rollout = sign->n_phases > 0;
    return sign->has_rollout ? 0 : -1;
}

/* The manifest under prefix now, if any: *have false when there is none
 * (404). Returns non-zero, with a message, when it cannot be read. A
 * manifest that does not parse is reported and treated as none. */
static int read_current(const tool_s3_t *s3, const char *prefix,
                        agent_manifest_t *m, bool *have)
{
    static uint64_t arena[AGENT_MANIFEST_ARENA_SIZE / sizeof(uint64_t)];
    char key[KEY_MAX];
    tool_s3_result_t res;
    uint8_t *body = NULL;
    size_t len = 0;
    int rc;

    *have = false;
    tool_release_manifest_key(prefix, key, sizeof key);
    rc = tool_s3_get(s3, key, AGENT_MANIFEST_TEXT_MAX, &body, &len, &res);
    if (rc == FOTA_ERR_IO && res.status == 404)
        return 0;
    if (rc != 0) {
        fprintf(stderr,
                "fota release publish: cannot read the current %s: %s\n", key,
                rc == FOTA_ERR_NOMEM ? "larger than any manifest"
                                     : res.message);
        return rc;
    }
    if (agent_manifest_parse((const char *)body, len, arena, sizeof arena, m) ==
        0)
        *have = true;
    else
        fprintf(stderr,
                "fota release publish: warning: the current %s is not a valid "
                "manifest (%s); replacing it\n",
                key, m->error);
    free(body);
    return 0;
}

static int cmd_publish(int argc, char **argv)
{
    const char *endpoint = NULL, *bucket = NULL, *prefix_s = NULL,
               *region = NULL;
    const char *path[2] = {NULL, NULL}, *rollout_s = NULL, *pub_path = NULL;
    uint8_t pub[FOTA_ED25519_PUB_SIZE];
    bool json = false, help = false, allow_downgrade = false, have_cur = false;
    agent_manifest_t cur;
    const char *mkey_path = NULL, *expires_s = NULL, *phases_s = NULL,
               *spread_s = NULL;
    uint8_t mseed[FOTA_ED25519_SEED_SIZE];
    uint32_t expires_in = 30u * 86400u;
    tool_manifest_sign_t sign = {0};
    const char *gw_path = NULL, *gw_version = NULL, *gw_product = NULL;
    tool_release_gateway_t gw = {0};
    uint8_t *gw_img = NULL;
    const tool_opt_t opts[] = {
        {"endpoint", 0, &endpoint, NULL},
        {"bucket", 0, &bucket, NULL},
        {"prefix", 0, &prefix_s, NULL},
        {"allow-downgrade", 0, NULL, &allow_downgrade},
        {"manifest-key", 0, &mkey_path, NULL},
        {"expires-in", 0, &expires_s, NULL},
        {"phases", 0, &phases_s, NULL},
        {"spread", 0, &spread_s, NULL},
        {"slot-a", 0, &path[0], NULL},
        {"slot-b", 0, &path[1], NULL},
        {"rollout", 0, &rollout_s, NULL},
        {"region", 0, &region, NULL},
        {"json", 'j', NULL, &json},
        {"require-signature", 0, &pub_path, NULL},
        {"gateway-image", 0, &gw_path, NULL},
        {"gateway-version", 0, &gw_version, NULL},
        {"gateway-product", 0, &gw_product, NULL},
    };
    const char *pos[1];
    size_t npos;
    uint32_t rollout = TOOL_RELEASE_ROLLOUT_MAX;
    char prefix[KEY_MAX], ep[ENDPOINT_MAX], err[400], published_at[32];
    uint8_t *img[2] = {NULL, NULL};
    size_t len[2];
    char *manifest = NULL;
    size_t manifest_len = 0;
    tool_release_info_t info;
    tool_s3_t s3;
    tool_s3_result_t res;
    /* Uploaded in this order: slot-a, slot-b, the gateway image when
     * there is one, the manifest last. */
    uploaded_t up[4];
    const uint8_t *body[4];
    int n_up = 3, mi = 2;
    bool curl_up = false, unchanged[4] = {false, false, false, false};
    int ret = TOOL_EXIT_USAGE;

    if (tool_parse_args("fota release publish", argc, argv, opts,
                        sizeof opts / sizeof opts[0], pos, 0, &npos,
                        &help) != 0)
        return TOOL_EXIT_USAGE;
    if (help) {
        publish_usage(stdout);
        return TOOL_EXIT_OK;
    }
    if (bucket == NULL || prefix_s == NULL || path[0] == NULL ||
        path[1] == NULL) {
        fprintf(stderr,
                "fota release publish: need --bucket, --prefix, --slot-a and "
                "--slot-b (see --help)\n");
        goto out;
    }
    if (clean_prefix(prefix_s, prefix, sizeof prefix) != 0) {
        fprintf(
            stderr,
            "fota release publish: bad --prefix '%s' (printable, no spaces, "
            "not empty)\n",
            prefix_s);
        goto out;
    }
    if (rollout_s != NULL && (tool_parse_u32(rollout_s, &rollout) != 0 ||
                              rollout > TOOL_RELEASE_ROLLOUT_MAX)) {
        fprintf(stderr,
                "fota release publish: --rollout must be 0..100, not '%s'\n",
                rollout_s);
        goto out;
    }

    if (expires_s != NULL &&
        (tool_parse_u32(expires_s, &expires_in) != 0 || expires_in == 0)) {
        fprintf(
            stderr,
            "fota release publish: --expires-in must be a number of seconds "
            "> 0, not '%s'\n",
            expires_s);
        goto out;
    }

    if (phases_s != NULL && parse_phases(phases_s, &sign) != 0) {
        fprintf(
            stderr,
            "fota release publish: bad --phases '%s' (P@T,... with P 0..100 "
            "rising, T Unix seconds or +S, at most 4)\n",
            phases_s);
        goto out;
    }
    if (spread_s != NULL && (tool_parse_u32(spread_s, &sign.spread_s) != 0 ||
                             sign.spread_s > 30u * 86400u)) {
        fprintf(stderr,
                "fota release publish: --spread must be 0..2592000 seconds\n");
        goto out;
    }
    if (sign.has_rollout)
        rollout = sign.percent[sign.n_phases - 1];
    if ((gw_path != NULL || gw_version != NULL || gw_product != NULL) &&
        (gw_path == NULL || gw_version == NULL || gw_product == NULL)) {
        fprintf(stderr,
                "fota release publish: --gateway-image, "
                "--gateway-version and --gateway-product go together\n");
        goto out;
    }

    /* Everything is checked before the first byte goes out: images, the
     * manifest, the credentials. */
    ret = TOOL_EXIT_FAIL;
    if (mkey_path != NULL) {
        if (tool_key_load_seed(mkey_path, mseed) != 0)
            goto out;
        sign.seed = mseed;
        sign.expires = (uint64_t)time(NULL) + expires_in;
    }
    if (mkey_path != NULL && pub_path != NULL) {
        uint8_t mpub[FOTA_ED25519_PUB_SIZE], ipub[FOTA_ED25519_PUB_SIZE];

        /* Two roles, two keys: whoever may sign images must not also be
         * able to freeze or roll back the fleet with manifests. */
        fota_ed25519_pubkey(mpub, mseed);
        if (tool_key_load_pub(pub_path, ipub) != 0)
            goto out;
        if (memcmp(mpub, ipub, sizeof mpub) == 0) {
            fprintf(stderr,
                    "fota release publish: refused: the manifest key is the "
                    "image-signing key; give the release-manifest role its own "
                    "key ('fota key gen')\n");
            goto out;
        }
    }
    if (pub_path != NULL && tool_key_load_pub(pub_path, pub) != 0)
        goto out;
    for (int s = 0; s < 2; s++)
        if (tool_read_file(path[s], &img[s], &len[s]) != 0)
            goto out;
    if (gw_path != NULL) {
        if (tool_read_file(gw_path, &gw_img, &gw.size) != 0)
            goto out;
        gw.product = gw_product;
        gw.version_str = gw_version;
        fota_sha256(gw_img, gw.size, gw.sha256);
        sign.gateway = &gw;
        n_up = 4;
        mi = 3;
    }
    if (tool_release_check_pair((const uint8_t *const *)img, len, &info, err,
                                sizeof err) != 0) {
        fprintf(stderr, "fota release publish: refused: %s\n", err);
        goto out;
    }
    /* Devices configured with the key would refuse an unsigned release
     * after downloading it; refuse it here instead. The pair check above
     * proved both headers decode and both hashes match. */
    for (int s = 0; pub_path != NULL && s < 2; s++) {
        fota_image_hdr_t hdr;

        if (fota_image_hdr_decode(&hdr, img[s]) != 0 ||
            fota_ed25519_verify_image(&hdr, pub) != 0) {
            fprintf(stderr,
                    "fota release publish: refused: the slot-%c image is not "
                    "signed by the key in %s ('fota image verify --pubkey' "
                    "says why)\n",
                    "ab"[s], pub_path);
            goto out;
        }
    }
    if (tool_s3_from_env(&s3, endpoint, bucket, region, true, ep, sizeof ep,
                         err, sizeof err) != 0) {
        fprintf(stderr, "fota release publish: %s\n", err);
        goto out;
    }

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr,
                "fota release publish: libcurl could not be initialised\n");
        goto out;
    }
    curl_up = true;
    /* Moving the manifest backwards stops devices (they never install an
     * older version) and hides the newer release: only on purpose. */
    if (read_current(&s3, prefix, &cur, &have_cur) != 0)
        goto out;
    if (have_cur && fota_version_cmp(&info.version, &cur.version) < 0) {
        if (!allow_downgrade) {
            fprintf(
                stderr,
                "fota release publish: refused: %s is older than %s, which the "
                "current manifest names; give --allow-downgrade to move it "
                "back\n",
                info.version_str, cur.version_str);
            goto out;
        }
        fprintf(
            stderr,
            "fota release publish: warning: moving the manifest back from %s "
            "to %s (--allow-downgrade)\n",
            cur.version_str, info.version_str);
    }
    /* Devices refuse a signed manifest whose sequence is below one they
     * accepted: always one more than the current one. */
    sign.sequence = have_cur ? cur.sequence + 1u : 1u;
    tool_release_utc_now(published_at, sizeof published_at);
    if (tool_release_manifest(&info, prefix, rollout, published_at, &sign,
                              &manifest, &manifest_len, err, sizeof err) != 0) {
        fprintf(stderr, "fota release publish: refused: %s\n", err);
        goto out;
    }

    memset(up, 0, sizeof up);
    for (int s = 0; s < 2; s++) {
        up[s].name = s == 0 ? "slot-a" : "slot-b";
        tool_release_image_key(prefix, info.version_str, s, up[s].key,
                               sizeof up[s].key);
        up[s].size = len[s];
        fota_hex_encode(info.sha256[s], FOTA_SHA256_SIZE, up[s].sha256);
    }
    if (sign.gateway != NULL) {
        up[2].name = "gateway";
        tool_release_gateway_key(prefix, info.version_str, gw_version,
                                 up[2].key, sizeof up[2].key);
        up[2].size = gw.size;
        fota_hex_encode(gw.sha256, FOTA_SHA256_SIZE, up[2].sha256);
        body[2] = gw_img;
    }
    up[mi].name = "manifest";
    tool_release_manifest_key(prefix, up[mi].key, sizeof up[mi].key);
    up[mi].size = manifest_len;
    {
        uint8_t d[FOTA_SHA256_SIZE];
        fota_sha256((const uint8_t *)manifest, manifest_len, d);
        fota_hex_encode(d, FOTA_SHA256_SIZE, up[mi].sha256);
    }
    body[0] = img[0];
    body[1] = img[1];
    body[mi] = (const uint8_t *)manifest;

    /* A version's images are never replaced: a device half-way through
     * downloading one would otherwise mix two builds (its If-Match stops
     * it, but only after the wasted transfer). The same bytes again are
     * fine: that is how a rollout percentage is changed. */
    for (int i = 0; i < mi; i++) {
        if (check_existing(&s3, &up[i], body[i], up[i].size, &unchanged[i]) !=
            0)
            goto out;
    }
    /* Images first, the manifest last: a failure part-way leaves at most
     * unreferenced objects, never a manifest naming missing ones. */
    for (int i = 0; i < n_up; i++) {
        const char *type =
            i < mi ? "application/octet-stream" : "application/json";

        if (i < mi && unchanged[i]) {
            if (!json)
                printf("unchanged %-7s %s (%zu bytes) ETag %s\n", up[i].name,
                       up[i].key, up[i].size,
                       up[i].etag[0] ? up[i].etag : "(none)");
            continue;
        }
        if (tool_s3_put(&s3, up[i].key, body[i], up[i].size, type, &res) != 0) {
            fprintf(stderr, "fota release publish: upload of %s failed: %s\n",
                    up[i].name, res.message);
            if (i > 0)
                fprintf(stderr,
                        "fota release publish: the manifest was not "
                        "updated; devices still see the previous release\n");
            goto out;
        }
        snprintf(up[i].etag, sizeof up[i].etag, "%s", res.etag);
        if (!json)
            printf("uploaded %-8s %s (%zu bytes) ETag %s\n", up[i].name,
                   up[i].key, up[i].size, res.etag[0] ? res.etag : "(none)");
    }
    if (json) {
        print_publish_json(s3.endpoint, bucket, prefix, &info, rollout,
                           published_at, up, n_up);
    } else {
        printf("published %s %s (security counter %lu, rollout %lu%%) to "
               "%s/%s/%s\n",
               info.product, info.version_str, (unsigned long)info.sec_counter,
               (unsigned long)rollout, s3.endpoint, bucket, up[mi].key);
    }
    ret = TOOL_EXIT_OK;
out:
    if (curl_up)
        curl_global_cleanup();
    free(manifest);
    free(gw_img);
    free(img[0]);
    free(img[1]);
    return ret;
}

static int cmd_show(int argc, char **argv)
{
    const char *endpoint = NULL, *bucket = NULL, *prefix_s = NULL,
               *region = NULL;
    bool json = false, help = false;
    const tool_opt_t opts[] = {
        {"endpoint", 0, &endpoint, NULL}, {"bucket", 0, &bucket, NULL},
        {"prefix", 0, &prefix_s, NULL},   {"region", 0, &region, NULL},
        {"json", 'j', NULL, &json},
    };
    static uint64_t arena[AGENT_MANIFEST_ARENA_SIZE / sizeof(uint64_t)];
    const char *pos[1];
    size_t npos, len = 0;
    char prefix[KEY_MAX], key[KEY_MAX], ep[ENDPOINT_MAX], err[400];
    uint8_t *body = NULL;
    tool_s3_t s3;
    tool_s3_result_t res;
    agent_manifest_t m;
    bool curl_up = false;
    int rc, ret = TOOL_EXIT_USAGE;

    if (tool_parse_args("fota release show", argc, argv, opts,
                        sizeof opts / sizeof opts[0], pos, 0, &npos,
                        &help) != 0)
        return TOOL_EXIT_USAGE;
    if (help) {
        printf(
            "usage: fota release show --bucket B --prefix P [--endpoint URL]\n"
            "                         [--region R] [--json]\n"
            "\n"
            "Fetch <prefix>/manifest.json, check it with the agent's parser "
            "and\n"
            "print it. Signed when AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
            "are\n"
            "set, anonymous otherwise. Exit status 1 if it cannot be fetched "
            "or a\n"
            "device would refuse it.\n"
            "\n"
            "  -j, --json   print the manifest exactly as stored\n"
            "  -h, --help   this help\n");
        return TOOL_EXIT_OK;
    }
    if (bucket == NULL || prefix_s == NULL) {
        fprintf(stderr,
                "fota release show: need --bucket and --prefix (see --help)\n");
        goto out;
    }
    if (clean_prefix(prefix_s, prefix, sizeof prefix) != 0) {
        fprintf(stderr, "fota release show: bad --prefix '%s'\n", prefix_s);
        goto out;
    }
    ret = TOOL_EXIT_FAIL;
    if (tool_s3_from_env(&s3, endpoint, bucket, region, false, ep, sizeof ep,
                         err, sizeof err) != 0) {
        fprintf(stderr, "fota release show: %s\n", err);
        goto out;
    }
    tool_release_manifest_key(prefix, key, sizeof key);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr,
                "fota release show: libcurl could not be initialised\n");
        goto out;
    }
    curl_up = true;
    if (tool_s3_get(&s3, key, AGENT_MANIFEST_TEXT_MAX, &body, &len, &res) !=
        0) {
        fprintf(stderr, "fota release show: %s\n", res.message);
        goto out;
    }
    rc = agent_manifest_parse((const char *)body, len, arena, sizeof arena, &m);
    if (rc != 0) {
        fprintf(stderr,
                "fota release show: %s does not parse as a manifest "
                "(%s); devices ignore it\n",
                key, m.error);
        goto out;
    }
    if (json) {
        fwrite(body, 1, len, stdout);
        if (len == 0 || body[len - 1] != '\n')
            putchar('\n');
    } else {
        char hex[2 * FOTA_SHA256_SIZE + 1];

        printf("%s/%s/%s (ETag %s)\n", s3.endpoint, bucket, key, res.etag);
        printf("  product           %s\n", m.product);
        printf("  version           %s\n", m.version_str);
        printf("  security counter  %lu\n", (unsigned long)m.security_counter);
        printf("  rollout           %u%%\n", (unsigned)m.rollout_percent);
        printf("  published at      %s\n", m.published_at);
        if (m.is_signed)
            printf("  signed            sequence %lu, expires %llu (Unix s), "
                   "key id "
                   "%02x%02x%02x%02x%02x%02x%02x%02x\n",
                   (unsigned long)m.sequence, (unsigned long long)m.expires,
                   m.key_id[0], m.key_id[1], m.key_id[2], m.key_id[3],
                   m.key_id[4], m.key_id[5], m.key_id[6], m.key_id[7]);
        else
            printf("  signed            no\n");
        for (int s = 0; s < 2; s++) {
            fota_hex_encode(m.slot[s].sha256, FOTA_SHA256_SIZE, hex);
            printf("  slot %s            %s, %lu bytes, sha256 %s\n",
                   tool_slot_name(s), m.slot[s].key,
                   (unsigned long)m.slot[s].size, hex);
        }
        if (m.has_gateway) {
            fota_hex_encode(m.gateway.image.sha256, FOTA_SHA256_SIZE, hex);
            printf("  gateway           %s %s: %s, %lu bytes, sha256 %s\n",
                   m.gateway.product, m.gateway.version_str,
                   m.gateway.image.key, (unsigned long)m.gateway.image.size,
                   hex);
        }
    }
    ret = TOOL_EXIT_OK;
out:
    if (curl_up)
        curl_global_cleanup();
    free(body);
    return ret;
}

int tool_release_set_rollout(const tool_s3_t *s3, const char *prefix, int op,
                             unsigned percent, uint64_t start,
                             const uint8_t *seed, uint32_t expires_in,
                             char *msg, size_t msg_len)
{
    agent_manifest_t cur;
    tool_release_info_t info;
    tool_manifest_sign_t sign = {0};
    tool_s3_result_t res;
    char key[KEY_MAX], err[400];
    char *text = NULL;
    size_t len = 0;
    bool have = false;
    int rc;

    if (read_current(s3, prefix, &cur, &have) != 0 || !have) {
        snprintf(msg, msg_len, "no readable manifest under %s", prefix);
        return FOTA_ERR_NOENT;
    }
    if (cur.is_signed && seed == NULL) {
        snprintf(msg, msg_len,
                 "the current manifest is signed: give --manifest-key");
        return FOTA_ERR_PERM;
    }
    memset(&info, 0, sizeof info);
    snprintf(info.product, sizeof info.product, "%s", cur.product);
    snprintf(info.version_str, sizeof info.version_str, "%s", cur.version_str);
    info.version = cur.version;
    info.sec_counter = cur.security_counter;
    for (int i = 0; i < 2; i++) {
        info.size[i] = cur.slot[i].size;
        memcpy(info.sha256[i], cur.slot[i].sha256, FOTA_SHA256_SIZE);
    }
    sign.has_rollout = true;
    sign.halted = cur.halted;
    sign.spread_s = cur.spread_s;
    sign.n_phases = cur.n_phases;
    for (unsigned i = 0; i < cur.n_phases; i++) {
        sign.percent[i] = cur.phase[i].percent;
        sign.start[i] = cur.phase[i].start;
    }
    if (op == TOOL_ROLLOUT_PROMOTE) {
        unsigned last = sign.n_phases - 1;

        if (percent > TOOL_RELEASE_ROLLOUT_MAX ||
            percent <= sign.percent[last]) {
            snprintf(msg, msg_len,
                     "--percent %u must be above the last phase's %u%% and "
                     "at most 100",
                     percent, sign.percent[last]);
            return FOTA_ERR_INVAL;
        }
        if (sign.n_phases == 4) {
            snprintf(msg, msg_len, "the manifest has 4 phases already");
            return FOTA_ERR_NOSPC;
        }
        sign.percent[sign.n_phases] = (uint8_t)percent;
        sign.start[sign.n_phases] =
            start > sign.start[last] ? start : sign.start[last];
        sign.n_phases++;
    } else {
        sign.halted = op == TOOL_ROLLOUT_HALT;
    }
    sign.seed = seed;
    sign.sequence = cur.sequence + 1u;
    sign.expires = (uint64_t)time(NULL) + expires_in;
    rc = tool_release_manifest(&info, prefix, sign.percent[sign.n_phases - 1],
                               cur.published_at, &sign, &text, &len, err,
                               sizeof err);
    if (rc != 0) {
        snprintf(msg, msg_len, "%s", err);
        return rc;
    }
    tool_release_manifest_key(prefix, key, sizeof key);
    rc = tool_s3_put(s3, key, (const uint8_t *)text, len, "application/json",
                     &res);
    free(text);
    if (rc != 0) {
        snprintf(msg, msg_len, "upload of the manifest failed: %s",
                 res.message);
        return rc;
    }
    snprintf(msg, msg_len,
             "%s %s under %s: %u phase(s), last %u%%, %s, sequence %lu",
             op == TOOL_ROLLOUT_PROMOTE ? "promoted"
             : op == TOOL_ROLLOUT_HALT  ? "halted"
                                        : "resumed",
             cur.version_str, prefix, sign.n_phases,
             sign.percent[sign.n_phases - 1],
             sign.halted ? "halted" : "running", (unsigned long)sign.sequence);
    return 0;
}

/* `fota release promote|halt|resume`. */
static int cmd_rollout(int argc, char **argv, const char *name, int op)
{
    const char *endpoint = NULL, *bucket = NULL, *prefix_s = NULL,
               *region = NULL;
    const char *mkey = NULL, *percent_s = NULL, *at_s = NULL, *expires_s = NULL;
    bool help = false;
    const tool_opt_t opts[] = {
        {"endpoint", 0, &endpoint, NULL}, {"bucket", 0, &bucket, NULL},
        {"prefix", 0, &prefix_s, NULL},   {"region", 0, &region, NULL},
        {"manifest-key", 0, &mkey, NULL}, {"percent", 0, &percent_s, NULL},
        {"at", 0, &at_s, NULL},           {"expires-in", 0, &expires_s, NULL},
    };
    const char *pos[1];
    size_t npos;
    char prefix[KEY_MAX], ep[ENDPOINT_MAX], err[400], msg[400], full[32];
    uint8_t seed[FOTA_ED25519_SEED_SIZE];
    uint32_t percent = 0, expires_in = 30u * 86400u, at = 0;
    uint64_t start = (uint64_t)time(NULL);
    tool_s3_t s3;
    int ret = TOOL_EXIT_USAGE;

    snprintf(full, sizeof full, "fota release %s", name);
    if (tool_parse_args(full, argc, argv, opts, sizeof opts / sizeof opts[0],
                        pos, 0, &npos, &help) != 0)
        return TOOL_EXIT_USAGE;
    if (help) {
        printf(
            "usage: %s --bucket B --prefix P [--manifest-key SEED] "
            "[--expires-in S]\n"
            "       %*s [--endpoint URL] [--region R]%s\n\n%s\n",
            full, (int)strlen(full), "",
            op == TOOL_ROLLOUT_PROMOTE ? " --percent N [--at UNIX|+S]" : "",
            op == TOOL_ROLLOUT_PROMOTE ? "Add a rollout phase: devices whose "
                                         "bucket is below N% may start at\n"
                                         "--at (Unix seconds, or +S from now; "
                                         "default now), each after its\n"
                                         "spread delay. Republishes the "
                                         "manifest, sequence + 1, re-signed."
            : op == TOOL_ROLLOUT_HALT
                ? "Halt the rollout: no device starts the release (devices "
                  "already\n"
                  "installing finish). Republishes the manifest, sequence + 1."
                : "Resume a halted rollout. Republishes the manifest, sequence "
                  "+ 1.");
        return TOOL_EXIT_OK;
    }
    if (bucket == NULL || prefix_s == NULL ||
        clean_prefix(prefix_s, prefix, sizeof prefix) != 0 ||
        (op == TOOL_ROLLOUT_PROMOTE &&
         (percent_s == NULL || tool_parse_u32(percent_s, &percent) != 0)) ||
        (expires_s != NULL &&
         (tool_parse_u32(expires_s, &expires_in) != 0 || expires_in == 0))) {
        fprintf(stderr, "%s: need --bucket, --prefix%s (see --help)\n", full,
                op == TOOL_ROLLOUT_PROMOTE ? " and --percent" : "");
        return TOOL_EXIT_USAGE;
    }
    if (at_s != NULL) {
        if (tool_parse_u32(at_s[0] == '+' ? at_s + 1 : at_s, &at) != 0) {
            fprintf(stderr, "%s: --at must be Unix seconds or +S\n", full);
            return TOOL_EXIT_USAGE;
        }
        start = at_s[0] == '+' ? start + at : at;
    }
    ret = TOOL_EXIT_FAIL;
    if (mkey != NULL && tool_key_load_seed(mkey, seed) != 0)
        return ret;
    if (tool_s3_from_env(&s3, endpoint, bucket, region, true, ep, sizeof ep,
                         err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", full, err);
        return ret;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "%s: libcurl could not be initialised\n", full);
        return ret;
    }
    if (tool_release_set_rollout(&s3, prefix, op, percent, start,
                                 mkey ? seed : NULL, expires_in, msg,
                                 sizeof msg) == 0) {
        printf("%s\n", msg);
        ret = TOOL_EXIT_OK;
    } else {
        fprintf(stderr, "%s: %s\n", full, msg);
    }
    curl_global_cleanup();
    return ret;
}

static int cmd_promote(int argc, char **argv)
{
    return cmd_rollout(argc, argv, "promote", TOOL_ROLLOUT_PROMOTE);
}

static int cmd_halt(int argc, char **argv)
{
    return cmd_rollout(argc, argv, "halt", TOOL_ROLLOUT_HALT);
}

static int cmd_resume(int argc, char **argv)
{
    return cmd_rollout(argc, argv, "resume", TOOL_ROLLOUT_RESUME);
}

static const tool_cmd_t s_release_cmds[] = {
    {"publish", "verify a release pair and upload it with its manifest",
     cmd_publish},
    {"show", "fetch and print the current manifest", cmd_show},
    {"promote", "add a staged-rollout phase (percent, start time)",
     cmd_promote},
    {"halt", "halt the rollout: no device starts the release", cmd_halt},
    {"resume", "resume a halted rollout", cmd_resume},
};

int tool_cmd_release(int argc, char **argv)
{
    return tool_dispatch(
        "fota release", "Publish releases to S3 and inspect them.",
        s_release_cmds, sizeof s_release_cmds / sizeof s_release_cmds[0], argc,
        argv);
}
