/*
 * tool_release.h - publishing a release to S3 (`fota release`): checking
 * that two image files form a release pair, building the manifest of
 * docs/cloud.md, and a minimal S3 client (PUT and GET of one object over
 * libcurl, signed with libcurl's own SigV4).
 *
 * Host code: allocates, uses libcurl; nothing here prints, every failure is
 * described in an err buffer or a tool_s3_result_t.
 */
#ifndef TOOL_RELEASE_H
#define TOOL_RELEASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fota/fota_image.h"
#include "fota/fota_sha256.h"

/* Largest rollout percentage (the manifest's rollout_percent is 0..100). */
#define TOOL_RELEASE_ROLLOUT_MAX 100u

/* What the two images of a release have in common, and what differs. */
typedef struct tool_release_info {
    char product[FOTA_IMAGE_PRODUCT_LEN + 1];
    fota_version_t version;
    char version_str[32]; /* "1.2.0" or "1.2.0+45" */
    uint32_t sec_counter;
    uint32_t flags;
    size_t size[2]; /* file sizes, [0] = slot A, [1] = slot B */
    uint8_t sha256[2][FOTA_SHA256_SIZE]; /* SHA-256 of each whole file */
} tool_release_info_t;

/*
 * Check that img[0] is a valid image linked for slot A and img[1] one for
 * slot B (every check of `fota image verify`, through tool_image_analyse),
 * and that both carry the same version, security counter, product and
 * flags, with a product the manifest can carry. Fills *info on success.
 * Returns 0, or FOTA_ERR_CORRUPT with a one-line reason in err.
 */
int tool_release_check_pair(const uint8_t *const img[2], const size_t len[2],
                            tool_release_info_t *info, char *err,
                            size_t err_len);

/*
 * Object key of one slot's image: "<prefix>/<version>/slot-<a|b>.img"
 * (prefix without leading or trailing '/'). Returns 0 or FOTA_ERR_NOMEM.
 */
int tool_release_image_key(const char *prefix, const char *version_str,
                           int slot, char *out, size_t out_len);

/* Object key of the manifest: "<prefix>/manifest.json". */
int tool_release_manifest_key(const char *prefix, char *out, size_t out_len);

/*
 * Build manifest.json (format 1, docs/cloud.md) for info under prefix,
 * with rollout_percent (0..100) and published_at ("YYYY-MM-DDTHH:MM:SSZ").
 * The text is then parsed back with agent_manifest_parse() and compared
 * field by field, so a manifest the devices would refuse is never
 * produced. On success *text is malloc'd (free() it, NUL-terminated) and
 * *len set. Returns 0, or a FOTA_ERR_* code with the reason in err.
 */
/* The gateway's own image, published beside the STM32 slots (the
 * manifest's "gateway" member, docs/cloud.md). Strings are borrowed. */
typedef struct tool_release_gateway {
    const char *product;     /* gateway product id, 1..31 printable chars */
    const char *version_str; /* major.minor.patch[+build] */
    size_t size;             /* image file size (> 0) */
    uint8_t sha256[FOTA_SHA256_SIZE];
} tool_release_gateway_t;

/* Object key of the gateway image:
 * "<prefix>/<version>/gateway-<gateway version>.bin". */
int tool_release_gateway_key(const char *prefix, const char *version_str,
                             const char *gw_version, char *out, size_t out_len);

/* How a manifest is signed (docs/security.md): the release-manifest key,
 * the sequence and the expiry it carries. */
typedef struct tool_manifest_sign {
    const uint8_t *seed; /* 32-byte Ed25519 seed, or NULL: unsigned */
    uint32_t sequence;   /* written when seed is set */
    uint64_t expires;    /* Unix seconds, written when seed is set */
    /* Staged rollout ("rollout" member) when has_rollout; the manifest's
     * rollout_percent must then be the last phase's percent. */
    bool has_rollout;
    bool halted;
    uint32_t spread_s;
    unsigned n_phases;
    uint8_t percent[4];
    uint64_t start[4];
    /* The "gateway" member, or NULL (despite the struct's name: what the
     * manifest carries besides the STM32 pair). */
    const tool_release_gateway_t *gateway;
} tool_manifest_sign_t;

/* sign may be NULL (an unsigned manifest, as before signing existed). */
int tool_release_manifest(const tool_release_info_t *info, const char *prefix,
                          unsigned rollout_percent, const char *published_at,
                          const tool_manifest_sign_t *sign, char **text,
                          size_t *len, char *err, size_t err_len);

/* Current UTC time as "YYYY-MM-DDTHH:MM:SSZ" (out: at least 21 bytes). */
void tool_release_utc_now(char *out, size_t out_len);

/* ---- S3 over libcurl ---- */

/* Where and as whom. Strings are borrowed. */
typedef struct tool_s3 {
    const char *endpoint; /* "https://s3.us-east-1.amazonaws.com" or an
                                * S3-compatible server; path-style URLs
                                * endpoint/bucket/key; no trailing '/' */
    const char *bucket;
    const char *region;     /* signs the credential scope */
    const char *access_key; /* NULL: anonymous request (no signature) */
    const char *secret_key;
    const char *session_token; /* temporary credentials, or NULL */
    long connect_timeout_s;    /* deadline to connect (0: 10 s) */
    long stall_timeout_s; /* abort when under 1 byte/s this long (0: 30 s) */
} tool_s3_t;

/* Outcome of one request. */
typedef struct tool_s3_result {
    long status;         /* HTTP status, 0 when no answer came */
    char etag[128];      /* ETag header as sent (quoted), or "" */
    char error_code[64]; /* <Code> of an S3 error body, or "" */
    char message[320];   /* why it failed, for people */
} tool_s3_result_t;

/*
 * Fill s3 from the environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN; the region from region_opt, else AWS_REGION, else
 * AWS_DEFAULT_REGION, else "us-east-1"; the endpoint from endpoint_opt
 * (trailing '/' removed into ep_buf), else https://s3.<region>.amazonaws.com.
 * need_creds: both keys must be set (else FOTA_ERR_AUTH, reason in err);
 * otherwise missing keys mean anonymous requests. Returns 0,
 * FOTA_ERR_AUTH or FOTA_ERR_INVAL (bad endpoint or region, reason in err).
 */
int tool_s3_from_env(tool_s3_t *s3, const char *endpoint_opt,
                     const char *bucket, const char *region_opt,
                     bool need_creds, char *ep_buf, size_t ep_len, char *err,
                     size_t err_len);

/*
 * PUT one object (len bytes of body) with Content-Type content_type,
 * signed with CURLOPT_AWS_SIGV4 and carrying x-amz-content-sha256 (the
 * body's SHA-256). Returns 0 on a 2xx answer (res->etag set); FOTA_ERR_IO
 * when the server answered otherwise (status, S3 error code in res);
 * FOTA_ERR_TIMEOUT or a FOTA_ERR_PLATFORM(curl code) when it could not be
 * reached. res->message says why in every failure case.
 */
int tool_s3_put(const tool_s3_t *s3, const char *key, const uint8_t *body,
                size_t len, const char *content_type, tool_s3_result_t *res);

/*
 * GET one object of at most max_len bytes (signed when s3 has keys). On 0
 * *body is malloc'd (NUL-terminated; free() it) and *len set. Same error
 * returns as tool_s3_put, plus FOTA_ERR_NOMEM when the object is larger
 * than max_len.
 */
int tool_s3_get(const tool_s3_t *s3, const char *key, size_t max_len,
                uint8_t **body, size_t *len, tool_s3_result_t *res);

/*
 * ListObjectsV2 of the keys under prefix, max_keys per page, following
 * NextContinuationToken until the listing is complete; each(ctx, key) is
 * called for every key (a non-zero return stops and is returned). *pages
 * counts the requests. Same error returns as tool_s3_get.
 */
int tool_s3_list(const tool_s3_t *s3, const char *prefix, unsigned max_keys,
                 int (*each)(void *ctx, const char *key), void *ctx,
                 unsigned *pages, tool_s3_result_t *res);

/* Rollout changes `fota release promote|halt|resume` and `fota fleet
 * watch` make to the current manifest. */
enum tool_rollout_op {
    TOOL_ROLLOUT_PROMOTE = 0, /* add a phase: percent at start */
    TOOL_ROLLOUT_HALT = 1,
    TOOL_ROLLOUT_RESUME = 2,
};

/*
 * Rewrite <prefix>/manifest.json with op applied (promote: a phase of
 * percent from start, Unix seconds), the sequence one higher, and signed
 * with seed (NULL only if the current manifest is unsigned) to expire in
 * expires_in seconds. Everything else is kept. s3 needs credentials and
 * libcurl initialised. Returns 0 with a one-line summary in msg, or an
 * error with the reason in msg.
 */
int tool_release_set_rollout(const tool_s3_t *s3, const char *prefix, int op,
                             unsigned percent, uint64_t start,
                             const uint8_t *seed, uint32_t expires_in,
                             char *msg, size_t msg_len);

#endif /* TOOL_RELEASE_H */
