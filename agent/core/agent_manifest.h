/*
 * agent_manifest.h - the release manifest (<prefix>/manifest.json) and the
 * staged-rollout decision.
 *
 * Schema (format 1; docs/cloud.md has the full description):
 *   {
 *     "format": 1,
 *     "product": "stm32f407-disco",
 *     "version": "1.2.0+45",            major.minor.patch[+build]
 *     "security_counter": 3,
 *     "rollout_percent": 100,           optional, 0..100, default 100
 *     "published_at": "2024-05-01T12:00:00Z",
 *     "rollout": {"halted": false,      optional, replaces rollout_percent
 *                 "spread_s": 3600,
 *                 "phases": [{"percent": 10, "start": 1767225600},
 *                            {"percent": 100, "start": 1767312000}]},
 *     "sequence": 17,                   optional, monotonic per prefix
 *     "expires": 1767225600,            optional, Unix seconds
 *     "slots": {
 *       "a": {"key": "releases/1.2.0+45/slot-a.img", "size": N, "sha256": "hex"},
 *       "b": {"key": "releases/1.2.0+45/slot-b.img", "size": N, "sha256": "hex"}
 *     },
 *     "gateway": {                      optional: the gateway's own image
 *       "product": "linux-gateway", "version": "2.1.0",
 *       "key": "releases/1.2.0+45/gateway.bin", "size": N, "sha256": "hex"}
 *     ,"signature":"ed25519:<key id, 16 hex>:<signature, 128 hex>"
 *   }
 * Signed manifests (docs/security.md): "signature" is the last member and
 * the text ends with it and the closing brace (trailing blanks allowed).
 * The signature is by the release-manifest key over
 *   SHA-256("fota-manifest-v1\n" || every byte before ',"signature":')
 * so it covers everything but itself, byte for byte, with no JSON
 * canonicalisation. agent_manifest_verify() checks it.
 * Unknown members are ignored (a newer publisher may add some); every
 * listed member is checked strictly: type, range, length, hex digits.
 *
 * Parsing uses cJSON, whose allocations are served from the caller's arena
 * buffer through cJSON_InitHooks(): the core never touches the heap.
 * Caveat: cJSON's hooks are process-wide. agent_manifest_parse() installs
 * the arena hooks for the duration of the call and restores the defaults
 * (cJSON_InitHooks(NULL)) before returning, so it must not run concurrently
 * with any other cJSON user in the same program (on ESP-IDF: other tasks
 * using the json component). It is not reentrant.
 */
#ifndef AGENT_MANIFEST_H
#define AGENT_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fota/fota_image.h"
#include "fota/fota_sha256.h"

#define AGENT_MANIFEST_FORMAT 1

/* Why a signed-manifest check refused a manifest (besides FOTA_ERR_AUTH
 * for a signature that does not verify). */
enum agent_manifest_err {
    AGENT_ERR_MANIFEST_UNSIGNED = -220, /* a key is configured, no signature */
    AGENT_ERR_MANIFEST_EXPIRED = -221,  /* "expires" is in the past */
    AGENT_ERR_MANIFEST_REPLAYED =
        -222, /* sequence below the highest accepted */
};

/* Field limits (NUL included where a string is kept). */
#define AGENT_MANIFEST_PRODUCT_SIZE (FOTA_IMAGE_PRODUCT_LEN + 1)
#define AGENT_MANIFEST_VERSION_SIZE 32
#define AGENT_MANIFEST_KEY_SIZE 160
#define AGENT_MANIFEST_DATE_SIZE 40
/* Largest manifest text accepted (bytes). */
#define AGENT_MANIFEST_TEXT_MAX 4096
/* Arena size that holds any manifest within the limits above (cJSON nodes
 * plus copied strings, with room for a few unknown members). */
#define AGENT_MANIFEST_ARENA_SIZE 8192
/* Deepest nesting of objects/arrays accepted (a format-1 manifest uses 3:
 * the root, "slots", one slot). Checked on the raw text before cJSON
 * parses it, because cJSON recurses once per level. */
#define AGENT_MANIFEST_DEPTH_MAX 8
/* The signature member as it ends a signed manifest: ,"signature":"ed25519:
 * + 16 hex + ':' + 128 hex + '"' + '}'. */
#define AGENT_MANIFEST_SIG_PREFIX ",\"signature\":\"ed25519:"
#define AGENT_MANIFEST_SIG_TAIL_LEN                                            \
    (sizeof(AGENT_MANIFEST_SIG_PREFIX) - 1 + 16 + 1 + 128 + 2)
/* Domain separation of the signed bytes. */
#define AGENT_MANIFEST_SIG_CONTEXT "fota-manifest-v1\n"
/* Room for the reason a manifest was refused (agent_manifest_t.error). */
#define AGENT_MANIFEST_ERROR_SIZE 96

typedef struct agent_manifest_slot {
    char key[AGENT_MANIFEST_KEY_SIZE]; /* object key, relative to the bucket */
    uint32_t size;                     /* image file size in bytes (> 0) */
    uint8_t sha256[FOTA_SHA256_SIZE];  /* SHA-256 of the whole .img file */
} agent_manifest_slot_t;

/* The gateway's own firmware ("gateway" member, agent_gateway.h). */
#define AGENT_MANIFEST_GW_PRODUCT_SIZE 32

typedef struct agent_manifest_gateway {
    char product[AGENT_MANIFEST_GW_PRODUCT_SIZE]; /* gateway hardware id */
    char version_str[AGENT_MANIFEST_VERSION_SIZE];
    fota_version_t version;
    agent_manifest_slot_t image; /* key, size, sha256 of the image file */
} agent_manifest_gateway_t;

#define AGENT_MANIFEST_PHASES_MAX 4

typedef struct agent_manifest_phase {
    uint8_t percent; /* devices with a rollout bucket below this take part */
    uint64_t start;  /* Unix seconds, earliest start of the phase */
} agent_manifest_phase_t;

typedef struct agent_manifest {
    char product[AGENT_MANIFEST_PRODUCT_SIZE];
    char version_str[AGENT_MANIFEST_VERSION_SIZE]; /* as published */
    fota_version_t version;                        /* parsed */
    uint32_t security_counter;
    uint8_t rollout_percent; /* 0..100 */
    char published_at[AGENT_MANIFEST_DATE_SIZE];
    agent_manifest_slot_t slot[2]; /* [0] = "a", [1] = "b" */
    /* Staged rollout: without a "rollout" member one phase of
     * rollout_percent starting at once, no spread, not halted. Phases are
     * in order: percent and start never decrease. */
    uint8_t n_phases;
    agent_manifest_phase_t phase[AGENT_MANIFEST_PHASES_MAX];
    uint32_t
        spread_s; /* devices wait H(device_id) mod spread_s after their phase starts */
    bool halted;       /* no device starts this release */
    uint32_t sequence; /* 0 when absent */
    uint64_t expires;  /* Unix seconds, 0 when absent */
    bool has_gateway;  /* a "gateway" member was present */
    agent_manifest_gateway_t gateway;
    bool is_signed;    /* a "signature" member was present (not verified) */
    uint8_t key_id[8]; /* from the signature */
    uint8_t sig[64];
    size_t signed_len; /* bytes of the text the signature covers */
    /* Why agent_manifest_parse() refused the text, NUL-terminated, e.g.
     * "slots.b.sha256: not 64 hex digits" or "nesting deeper than 8 levels
     * at byte 8"; "" after a success. */
    char error[AGENT_MANIFEST_ERROR_SIZE];
} agent_manifest_t;

/*
 * Parse and validate a manifest.
 * text/len: the JSON (need not be NUL-terminated), at most
 *   AGENT_MANIFEST_TEXT_MAX bytes.
 * arena/arena_len: scratch memory for the parser; AGENT_MANIFEST_ARENA_SIZE
 *   is always enough for a valid manifest. Its content is garbage after the
 *   call; it must be aligned like any object (use a uint64_t array or
 *   similar).
 * Before cJSON sees the text it is scanned once: nesting deeper than
 * AGENT_MANIFEST_DEPTH_MAX, a NUL (raw or escaped as \u0000) or a raw
 * control character inside a string are refused, so cJSON's recursion is
 * bounded and no string can end early.
 * Returns 0 with *out filled, FOTA_ERR_CORRUPT for anything malformed
 * (not JSON, missing member, wrong type, bad hex, string too long, number
 * out of range or not an integer, unknown format), FOTA_ERR_NOMEM when the
 * arena is too small, FOTA_ERR_INVAL for bad arguments. On failure *out is
 * zeroed except out->error, which names the member or the check that
 * failed (for FOTA_ERR_INVAL it stays ""). Not reentrant (see the caveat
 * above).
 */
int agent_manifest_parse(const char *text, size_t len, void *arena,
                         size_t arena_len, agent_manifest_t *out);

/*
 * Check m's signature (parsed from text, which must be the same text and
 * len) against the release-manifest public key pub: the key id must name
 * pub and the Ed25519 signature must verify. Returns 0, or FOTA_ERR_AUTH
 * (unsigned, other key, bad signature) with the reason in m->error.
 */
int agent_manifest_verify(agent_manifest_t *m, const char *text, size_t len,
                          const uint8_t pub[32]);

/* The signature member that ends a manifest whose first signed_len bytes
 * are text: AGENT_MANIFEST_SIG_PREFIX, key id, ':', signature, '"', '}'
 * (AGENT_MANIFEST_SIG_TAIL_LEN characters and a NUL into out), signed
 * with the release-manifest key's 32-byte seed. For publishers and
 * tests; a device only verifies. */
void agent_manifest_sign_tail(const char *text, size_t signed_len,
                              const uint8_t seed[32],
                              char out[AGENT_MANIFEST_SIG_TAIL_LEN + 1]);

/* The bytes a signature covers: SHA-256 of the context and the signed
 * prefix (used by the publisher to sign and by the agent to verify). */
void agent_manifest_signed_hash(const char *text, size_t signed_len,
                                uint8_t out[32]);

/*
 * Parse "major.minor.patch[+build]" (decimal, no sign, no leading '+',
 * major/minor <= 255, patch <= 65535, build <= 2^32-1; no build = 0).
 * Returns 0 or FOTA_ERR_CORRUPT.
 */
int agent_manifest_parse_version(const char *s, fota_version_t *out);

/*
 * The device's rollout bucket for a release: the first four bytes of
 * SHA-256(device_id || version_str), big-endian, modulo 100. Stable across
 * reboots and polls; a different version reshuffles the devices, so the
 * same devices are not always the first to get a release.
 */
unsigned agent_manifest_rollout_bucket(const char *device_id,
                                       const char *version_str);

/* Where a device stands in m's staged rollout at time now. */
enum agent_rollout_state {
    AGENT_ROLLOUT_GO = 0,      /* take the release now */
    AGENT_ROLLOUT_OUTSIDE = 1, /* the device's bucket is in no phase */
    AGENT_ROLLOUT_HALTED = 2,  /* the rollout is halted */
    AGENT_ROLLOUT_WAIT = 3,    /* its phase (or its spread delay) is later */
};

/* The device's start-delay spread: SHA-256("spread:" || device_id), first
 * four bytes big-endian, modulo spread_s (0 when spread_s is 0). */
uint32_t agent_manifest_spread_delay(const char *device_id, uint32_t spread_s);

/* enum agent_rollout_state of device_id at now (Unix seconds); with
 * AGENT_ROLLOUT_WAIT, *wait_s (may be NULL) is how long until it may go
 * and *phase_out (may be NULL) the index of its phase. */
int agent_manifest_rollout_state(const agent_manifest_t *m,
                                 const char *device_id, uint64_t now,
                                 uint64_t *wait_s, unsigned *phase_out);

/* True when the device takes part in m's rollout:
 * bucket < m->rollout_percent (so 0% selects none and 100% selects all). */
bool agent_manifest_rollout_selected(const agent_manifest_t *m,
                                     const char *device_id);

#endif /* AGENT_MANIFEST_H */
