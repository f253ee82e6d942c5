/*
 * agent_update.h - the update agent's flow (docs/agent.md): poll the
 * manifest, decide, fetch the inactive slot's image, verify it, flash,
 * commit and reset the target, observe the outcome, report it.
 *
 * Portable core: it reaches the world only through ports (HTTP, storage,
 * the protocol client's SPI/GPIO/clock, a clock for its own deadlines, a
 * UTC source for signatures and reports, an optional log). No heap: every
 * buffer lives in the caller-owned agent_update_t. Single task.
 *
 * One call of agent_update_run_once() is one poll cycle; it walks the
 * state machine below until the cycle ends (nothing to do, update done,
 * rolled back, or an error) and then says how long to wait before the
 * next cycle (agent_update_next_delay_ms: the interval with jitter, or an
 * exponential back-off with jitter after errors).
 *
 *   POLL --304, idle--> done
 *    |  \--304, update in progress (persisted) --> RESUME
 *    | 200
 *   DECIDE --not newer / other product / rejected / sec floor / rollout--> done
 *    | take it
 *   FETCH (Range from the persisted offset, If-Match on the image ETag;
 *    |     412 -> restart at 0)
 *   VERIFY (SHA-256 of the file, header, slot, version; Ed25519 signature
 *    |      when cfg.sign_pubkey is set) --mismatch--> error
 *    |
 *   FLASH (agent_proto_flash_image: update mode at the application's
 *    |     request, erase, stream, Get Checksum, commit, reboot;
 *    |     a commit the bootloader refuses -> REFUSED, never flashed again)
 *   OBSERVE (ask the running application every observe_wait_ms, no reset,
 *    |       within the image's confirm window per attempt: confirmed /
 *    |       rolled back)
 *    |
 *   REPORT (PUT reports/<device-id>.json when credentials are configured)
 *
 * Persistence: the progress record (agent_storage.h) holds the manifest
 * ETag, the chosen release (version, slot, key, size, SHA-256, image ETag),
 * the bytes downloaded (durable ones only, on erase-unit boundaries), the
 * phase, and the versions this device rejected. After a restart the cycle
 * first reconciles the record with the target's status (the commit or the
 * confirmation may have happened while the agent was gone), then resumes.
 */
#ifndef AGENT_UPDATE_H
#define AGENT_UPDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent_http.h"
#include "agent_manifest.h"
#include "agent_port.h"
#include "agent_proto.h"
#include "agent_sigv4.h"
#include "agent_storage.h"
#include "fota/fota_image.h"
#include "fota/fota_proto.h"

/* ---- UTC source (SigV4 timestamps, report times) ------------------------ */

struct agent_utc;

typedef struct agent_utc_ops {
    /* Seconds since 1970-01-01T00:00:00Z. Returns 0, or FOTA_ERR_NOENT
     * while the time is not known yet (no SNTP answer). */
    int (*now)(struct agent_utc *self, uint64_t *unix_s);
} agent_utc_ops_t;

typedef struct agent_utc {
    const agent_utc_ops_t *ops;
} agent_utc_t;

/* Format unix_s as "YYYYMMDDTHHMMSSZ" (basic, SigV4) or, with iso true,
 * "YYYY-MM-DDTHH:MM:SSZ" into out (at least 21 bytes). */
void agent_update_format_utc(uint64_t unix_s, bool iso, char *out);

/* ---- configuration ------------------------------------------------------- */

#define AGENT_UPDATE_URL_SIZE 384
#define AGENT_UPDATE_ID_SIZE 64
#define AGENT_UPDATE_REJECT_MAX 8 /* rejected versions remembered */
#define AGENT_UPDATE_IO_SIZE 4096 /* download / hashing buffer */
#define AGENT_UPDATE_REPORT_SIZE 2048
#define AGENT_UPDATE_DETAIL_SIZE 384 /* agent_update_t.err_detail */

typedef struct agent_update_cfg {
    const char *endpoint;  /* "http://127.0.0.1:4569" or
                              "https://s3.eu-west-1.amazonaws.com" */
    const char *bucket;    /* path-style: <endpoint>/<bucket>/<key> */
    const char *prefix;    /* "fw/stm32f407" (no trailing '/'), or "" */
    const char *device_id; /* rollout bucket and report name */
    const char *product;   /* expected product id (FOTA_PRODUCT_ID) */
    /* SigV4 credentials; access_key NULL = anonymous requests. */
    const char *access_key;
    const char *secret_key;
    const char *session_token; /* or NULL */
    const char *region;        /* "us-east-1" */
    bool report;               /* PUT reports/<device-id>.json (needs keys) */
    uint32_t http_timeout_ms;  /* per blocking HTTP call */
    uint32_t interval_ms;      /* poll interval (jitter +-10%) */
    uint32_t backoff_min_ms;   /* first back-off after an error */
    uint32_t backoff_max_ms;   /* cap of the exponential back-off */
    uint32_t fetch_attempts;   /* download sessions per cycle (resumes) */
    uint32_t checkpoint_bytes; /* persist progress at least this often
                                   (rounded up to the erase unit) */
    uint32_t observe_wait_ms;  /* target clock: after a commit, the interval
                                   between status reads until the trial ends
                                   (within the image's confirm window per
                                   attempt) */
    uint32_t observe_tries;    /* status reads while the image is pending */
    /* Ed25519 public key (32 bytes, must outlive the agent) the staged
     * image's signature must verify with (fota_ed25519_verify_image), after
     * its SHA-256 and before any byte goes to the target; FOTA_ERR_AUTH
     * otherwise. NULL: no signature required. */
    const uint8_t *sign_pubkey;
    /* Ed25519 public key of the release-manifest role (32 bytes, must
     * outlive the agent; a different key from sign_pubkey). When set, a
     * manifest must carry a valid signature by it (FOTA_ERR_AUTH
     * otherwise, AGENT_ERR_MANIFEST_UNSIGNED when it has none), an
     * "expires" in the future by the UTC source (AGENT_ERR_MANIFEST_EXPIRED)
     * and a "sequence" no lower than the highest one accepted before,
     * which the progress record keeps (AGENT_ERR_MANIFEST_REPLAYED). A
     * refused manifest downloads nothing. NULL: manifests are not checked. */
    const uint8_t *manifest_pubkey;
} agent_update_cfg_t;

/* Defaults: 10 s HTTP timeout, 300 s interval, 5 s .. 1 h back-off, 4
 * fetch attempts, 64 KiB checkpoints, 2 s observe wait, 3 tries. Strings
 * are left NULL (prefix "", region "us-east-1", product FOTA_PRODUCT_ID). */
void agent_update_default_cfg(agent_update_cfg_t *cfg);

/* ---- progress record ------------------------------------------------------ */

/* Phase of the persisted update. */
enum agent_upd_phase {
    AGENT_UPD_IDLE = 0,        /* nothing in progress */
    AGENT_UPD_DOWNLOADING = 1, /* rec.downloaded bytes staged */
    AGENT_UPD_STAGED = 2,      /* whole image staged and verified */
    AGENT_UPD_FLASHING = 3,    /* being written / committed in the target */
    AGENT_UPD_OBSERVING = 4,   /* committed and rebooted: outcome pending */
};

/* Phases of an update whose time the record keeps (rec.phase_ms, the
 * report's "phase_ms"): CHECK, the poll and decision of the cycle that took
 * the release (agent clock); DOWNLOAD, fetch and verify, summed over every
 * session and cycle (agent clock); FLASH, erase, write, commit and reboot
 * of the target; TRIAL, from the reboot to the verdict (both on the target
 * link's clock: simulated time on the simulated target, the same monotonic
 * clock as the agent's on hardware). Milliseconds, saturating. */
enum agent_upd_time {
    AGENT_TIME_CHECK = 0,
    AGENT_TIME_DOWNLOAD = 1,
    AGENT_TIME_FLASH = 2,
    AGENT_TIME_TRIAL = 3,
    AGENT_TIME_COUNT = 4,
};

typedef struct agent_upd_rec {
    uint32_t seq;  /* copy sequence (newest wins) */
    uint8_t phase; /* enum agent_upd_phase */
    uint8_t slot;  /* target slot the staged image is for */
    uint8_t n_rejected;
    char manifest_etag[AGENT_HTTP_ETAG_MAX]; /* "" = none stored */
    char image_etag[AGENT_HTTP_ETAG_MAX];    /* "" = not known yet */
    char key[AGENT_MANIFEST_KEY_SIZE];       /* object key of the image */
    fota_version_t version;                  /* release being installed */
    uint32_t sec_counter;
    uint32_t size; /* image bytes */
    uint8_t sha256[FOTA_SHA256_SIZE];
    uint32_t downloaded; /* durable staged bytes */
    uint32_t verified;   /* bytes verified in the target */
    uint32_t restarts;   /* downloads restarted from 0 (412, hash) */
    fota_version_t rejected[AGENT_UPDATE_REJECT_MAX];
    int32_t last_error;    /* last cycle's error (0 = none) */
    uint32_t manifest_seq; /* highest signed-manifest sequence accepted */
    uint8_t last_outcome;  /* enum agent_update_outcome */
    uint32_t phase_ms[AGENT_TIME_COUNT]; /* enum agent_upd_time, of the
                                            release in version */
} agent_upd_rec_t;

/* Encode/decode a record copy (explicit little-endian, CRC-32 at the
 * end). decode returns 0 or FOTA_ERR_CORRUPT. */
void agent_upd_rec_encode(const agent_upd_rec_t *r,
                          uint8_t buf[AGENT_STORAGE_REC_SIZE]);
int agent_upd_rec_decode(agent_upd_rec_t *r,
                         const uint8_t buf[AGENT_STORAGE_REC_SIZE]);

/* ---- the agent ------------------------------------------------------------- */

/* What a cycle ended with. */
enum agent_update_outcome {
    AGENT_OUT_NONE = 0,         /* no cycle ran yet */
    AGENT_OUT_NOT_MODIFIED = 1, /* manifest unchanged (304), nothing to do */
    AGENT_OUT_UP_TO_DATE = 2,   /* manifest read, nothing to install */
    AGENT_OUT_UPDATED = 3,      /* new image confirmed by the target */
    AGENT_OUT_ROLLED_BACK = 4,  /* new image failed its trial, rolled back */
    AGENT_OUT_ERROR = 5,        /* the cycle failed (see last_error) */
    AGENT_OUT_REFUSED = 6,      /* the bootloader refused the image at commit
                                  (verification): recorded, never retried */
};

/* Why DECIDE said no (stats.last_skip). */
enum agent_skip {
    AGENT_SKIP_NONE = 0,
    AGENT_SKIP_PRODUCT = 1,
    AGENT_SKIP_NOT_NEWER = 2,
    AGENT_SKIP_REJECTED = 3,
    AGENT_SKIP_SEC_FLOOR = 4,
    AGENT_SKIP_ROLLOUT = 5,
    AGENT_SKIP_HALTED = 6,  /* the manifest's rollout is halted */
    AGENT_SKIP_WAITING = 7, /* its phase or spread delay has not come yet */
};

/* Progress events for a user interface. */
enum agent_update_event {
    AGENT_EV_POLL = 0,      /* done = HTTP status */
    AGENT_EV_DOWNLOAD = 1,  /* done/total bytes */
    AGENT_EV_VERIFIED = 2,  /* staged image verified */
    AGENT_EV_FLASH = 3,     /* done/total bytes written to the target */
    AGENT_EV_COMMITTED = 4, /* committed and rebooted */
    AGENT_EV_OUTCOME = 5,   /* done = enum agent_update_outcome */
};

typedef struct agent_update_stats {
    uint32_t cycles;
    uint32_t manifest_gets;  /* manifest requests sent */
    uint32_t not_modified;   /* 304 answers */
    uint32_t image_requests; /* image GETs sent */
    uint32_t image_bytes;    /* image body bytes received */
    uint32_t resumes;        /* downloads continued at an offset > 0 */
    uint32_t restarts;       /* downloads restarted from 0 */
    uint32_t flashes;        /* agent_proto_flash_image calls */
    uint32_t reports;        /* report PUTs that succeeded */
    uint32_t refused;        /* releases the bootloader refused at commit
                                   (recorded, never flashed again) */
    uint32_t errors;         /* consecutive failed cycles */
    uint8_t last_skip;       /* enum agent_skip of the last DECIDE */
    int last_http;           /* status of the last HTTP answer */
} agent_update_stats_t;

typedef struct agent_update_ports {
    agent_http_t *http;
    agent_storage_t *storage;
    agent_proto_t *target; /* initialised protocol client */
    agent_clock_t *clock;  /* the agent's own clock (deadlines, back-off) */
    agent_utc_t *utc;      /* may be NULL when anonymous and not reporting */
    agent_log_t *log;      /* may be NULL */
    /* Optional progress hook (enum agent_update_event). */
    void (*event)(void *ctx, int ev, uint32_t done, uint32_t total);
    void *event_ctx;
} agent_update_ports_t;

typedef struct agent_update {
    agent_update_cfg_t cfg;
    agent_update_ports_t p;
    agent_update_stats_t stats;
    agent_upd_rec_t rec; /* persisted progress (RAM copy) */
    unsigned rec_copy;   /* copy the next write goes to */
    uint32_t rng;        /* jitter */
    uint8_t outcome;     /* enum agent_update_outcome of the last cycle */
    int last_error;
    fota_status_t status; /* target status, last read */
    bool status_valid;
    fota_app_info_t app; /* the running application's answer, when
                                   the status came from it */
    bool app_valid;
    agent_manifest_t manifest;
    char url[AGENT_UPDATE_URL_SIZE];
    char text[AGENT_MANIFEST_TEXT_MAX];
    uint64_t arena[AGENT_MANIFEST_ARENA_SIZE / sizeof(uint64_t)];
    uint8_t io[AGENT_UPDATE_IO_SIZE];
    char report[AGENT_UPDATE_REPORT_SIZE];
    agent_sigv4_signed_t sig;
    /* What the last failure was, in words: "GET <url>: HTTP 403
     * RequestTimeTooSkewed: ...; clock skew: device is 1203 s ahead ...".
     * "" when the cycle had no transport or S3 error. */
    char err_detail[AGENT_UPDATE_DETAIL_SIZE];
    /* Seconds added to the UTC source when signing: set from the server's
     * Date after a RequestTimeTooSkewed answer, 0 otherwise. */
    int64_t clock_hint_s;
    /* Bytes the finished update downloaded, kept for its report after the
     * record's count is reset. */
    uint32_t report_downloaded;
    /* What the last cycle proved (agent_gateway.h uses them to accept a
     * gateway image on trial): the manifest GET was answered 200 or 304,
     * the target answered a status read. */
    bool s3_reached;
    bool target_reached;
    /* u->manifest passed the parse and the signed-manifest checks (it
     * stays set over 304 cycles, which keep the manifest read before). */
    bool manifest_accepted;
    /* The agent clock at the start of the current cycle (AGENT_TIME_CHECK). */
    uint32_t cycle_t0;
} agent_update_t;

/* Bind the agent to its configuration (copied; the strings it points to
 * must outlive u) and ports, and load the progress record from storage
 * (a missing or damaged record starts empty). Returns 0, FOTA_ERR_INVAL
 * for a missing port or setting, or a storage error. */
int agent_update_init(agent_update_t *u, const agent_update_cfg_t *cfg,
                      const agent_update_ports_t *ports);

/* One poll cycle (see the diagram above). Returns the outcome
 * (enum agent_update_outcome, >= 0) or a negative FOTA_ERR_* when the
 * cycle failed; u->last_error and the record keep the error too. */
int agent_update_run_once(agent_update_t *u);

/* Milliseconds to wait before the next cycle: the poll interval +-10%
 * after a successful cycle, otherwise min(max, min * 2^(errors-1)) with
 * +-25% jitter. */
uint32_t agent_update_next_delay_ms(agent_update_t *u);

/* For agent_gateway.c, which shares the agent's transport and target:
 * - agent_update_get_range: GET bytes [off, end] of object key (bucket-
 *   relative), signed like every request, If-Match if_match (NULL or ""
 *   for none). On 200/206 returns 0 with the body open (read it through
 *   u->p.http, then close); 412/416 give FOTA_ERR_STALE, any other answer
 *   its error (u->err_detail says what), the request closed.
 * - agent_update_target_status: read the target's status (its running
 *   application first, the bootloader otherwise) into u->status.
 * - agent_update_error_resumable: whether another Range request may help
 *   after a download failed with rc (not for refusals: auth, missing
 *   object, corrupt data, no space, redirect, clock skew, DNS, TLS).
 * - agent_update_log: one line to the agent's log ("<a><b>[ <v> (why)]"). */
bool agent_update_error_resumable(int rc);
int agent_update_get_range(agent_update_t *u, const char *key, uint32_t off,
                           uint32_t end, const char *if_match);
int agent_update_target_status(agent_update_t *u);
void agent_update_log(agent_update_t *u, int level, const char *a,
                      const char *b, int32_t v, bool with_v);

/* Names for logs and reports. */
const char *agent_update_outcome_name(int outcome);
/* fota_strerror() extended with the AGENT_ERR_* codes of agent_http.h. */
const char *agent_update_strerror(int err);
/* Parse an HTTP Date (IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT").
 * Returns 0, FOTA_ERR_PROTO if malformed, FOTA_ERR_INVAL for NULL. */
int agent_update_parse_http_date(const char *s, uint64_t *unix_s);
const char *agent_update_skip_name(int skip);
/* "check", "download", "flash", "trial" (enum agent_upd_time), or "?". */
const char *agent_update_time_name(int t);

#endif /* AGENT_UPDATE_H */
