/*
 * agent_gateway.h - the gateway updates itself: the portable decision
 * around agent_update_run_once() (docs/agent.md, "The gateway updates
 * itself").
 *
 * The manifest may carry a "gateway" target beside the STM32 slots (the
 * gateway's own firmware: product, version, key, size, sha256). The core
 * decides, the port applies:
 *
 *  - Install: after a cycle that left the STM32 settled (no update in
 *    progress, the cycle did not fail), when the gateway target is for
 *    this gateway's product, newer than the running gateway, not the
 *    version rolled back before, and the manifest's rollout covers the
 *    device now, the image is downloaded into the port's second slot
 *    (Range requests resume a dropped transfer at the byte it stopped,
 *    If-Match on the first answer's ETag), its SHA-256 checked against
 *    the manifest, the slot made the next boot on trial (set_boot) and
 *    the gateway restarted (reboot).
 *  - Prove: while the running gateway image is on trial (pending_verify),
 *    each cycle must reach S3 (the manifest GET answered 200 or 304) and
 *    the STM32 (a status read answered). The first cycle that does marks
 *    the image valid; each one that does not counts an attempt, and after
 *    cfg.max_attempts the port rolls back to the previous image, which
 *    the port remembers as rejected so it is not installed again.
 *
 * STM32 first: in a release carrying both, the STM32 image is installed
 * and observed by the gateway that is proven, and only then does the
 * gateway replace itself (the reasons are in docs/agent.md).
 *
 * Same shape as the other ports (const ops table + self). No heap; the
 * download buffer is the agent's I/O buffer.
 */
#ifndef AGENT_GATEWAY_H
#define AGENT_GATEWAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent_update.h"
#include "fota/fota_image.h"
#include "fota/fota_sha256.h"

/* What the port knows about the gateway's own images. */
typedef struct agent_gw_info {
    fota_version_t running;  /* version of the image that runs now */
    bool pending_verify;     /* it runs on trial, not marked valid yet */
    uint32_t attempts;       /* trial cycles that did not prove it */
    bool has_rejected;       /* an image was rolled back ... */
    fota_version_t rejected; /* ... this version */
} agent_gw_info_t;

struct agent_gw;

typedef struct agent_gw_ops {
    /* Fill *out. */
    int (*info)(struct agent_gw *self, agent_gw_info_t *out);
    /* Open the slot that does not run for an image of size bytes (erase
     * it as needed); FOTA_ERR_NOSPC when it does not fit. */
    int (*begin)(struct agent_gw *self, uint32_t size);
    /* Append len bytes (writes come in order, with no gap). */
    int (*write)(struct agent_gw *self, const void *buf, size_t len);
    /* Close the slot after the last byte (the port checks the image as
     * far as it can: ESP-IDF's esp_ota_end validates it). */
    int (*finish)(struct agent_gw *self);
    /* Drop a slot opened by begin() that will not be finished. */
    void (*abort)(struct agent_gw *self);
    /* Make the finished slot, holding version v, the next boot, on trial
     * (pending_verify until mark_valid). */
    int (*set_boot)(struct agent_gw *self, const fota_version_t *v);
    /* Accept the running trial image (no rollback any more). */
    int (*mark_valid)(struct agent_gw *self);
    /* Count one trial cycle that did not prove the image (durably where
     * a restart does not roll back by itself). */
    int (*note_attempt)(struct agent_gw *self);
    /* Give up the running trial image: back to the previous one, its
     * version remembered as rejected; then restart (may not return). */
    int (*rollback)(struct agent_gw *self);
    /* Restart the gateway into the image set_boot chose (may not return;
     * a port that returns 0 leaves the restart to its caller:
     * agent_gateway_t.restart). */
    int (*reboot)(struct agent_gw *self);
} agent_gw_ops_t;

typedef struct agent_gw {
    const agent_gw_ops_t *ops;
} agent_gw_t;

/* What the gateway side of the last cycle did (agent_gateway_t.outcome). */
enum agent_gw_outcome {
    AGENT_GW_NONE = 0,         /* nothing to do (no gateway target) */
    AGENT_GW_UP_TO_DATE = 1,   /* the target is not newer than the running */
    AGENT_GW_SKIPPED = 2,      /* another product, rejected, rollout, STM32
                                 not settled: see agent_gateway_t.why */
    AGENT_GW_INSTALLED = 3,    /* new image in the other slot, restarting */
    AGENT_GW_PROVEN = 4,       /* the trial image reached S3 and the STM32:
                                 marked valid */
    AGENT_GW_TRIAL_FAILED = 5, /* a trial cycle did not prove it (counted) */
    AGENT_GW_ROLLED_BACK = 6,  /* max_attempts reached: previous image */
    AGENT_GW_ERROR = 7,        /* download / check / port failed */
};

typedef struct agent_gateway_cfg {
    const char *product;   /* this gateway's product id (manifest
                              gateway.product must equal it) */
    uint32_t max_attempts; /* trial cycles before a rollback (>= 1) */
} agent_gateway_cfg_t;

typedef struct agent_gateway {
    agent_gateway_cfg_t cfg;
    agent_gw_t *port;
    agent_update_t *u;
    agent_gw_info_t info; /* as read at the last cycle */
    uint8_t outcome;      /* enum agent_gw_outcome */
    int last_error;       /* of the gateway side (0 = none) */
    const char *why;      /* reason of AGENT_GW_SKIPPED / _ERROR */
    bool restart;         /* the gateway must restart now (the port's
                             reboot/rollback returned) */
    uint32_t downloaded;  /* bytes of the last install */
    uint32_t resumes;     /* Range requests that continued a transfer */
    char etag[AGENT_HTTP_ETAG_MAX];
} agent_gateway_t;

/* max_attempts 3, product NULL (must be set). */
void agent_gateway_default_cfg(agent_gateway_cfg_t *cfg);

/* Bind to an initialised agent u and the port. Reads the port's info;
 * forgets the manifest ETag in RAM so that the first cycle reads the
 * manifest in full (a 304 carries no gateway target). Returns 0 or
 * FOTA_ERR_INVAL / the port's error. */
int agent_gateway_init(agent_gateway_t *g, const agent_gateway_cfg_t *cfg,
                       agent_gw_t *port, agent_update_t *u);

/* One cycle: agent_update_run_once(u), then the gateway's side (prove a
 * trial image, or install a newer one). Returns what
 * agent_update_run_once returned; g->outcome says what the gateway did,
 * g->restart whether the caller must restart the gateway now. */
int agent_gateway_run_once(agent_gateway_t *g);

const char *agent_gateway_outcome_name(int outcome);

#endif /* AGENT_GATEWAY_H */
