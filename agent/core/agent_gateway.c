/*
 * agent_gateway.c - the gateway's self-update decision (agent_gateway.h).
 */
#include "agent_gateway.h"

#include <string.h>

#include "fota/fota_err.h"
#include "fota/fota_text.h"

void agent_gateway_default_cfg(agent_gateway_cfg_t *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->max_attempts = 3;
}

static void gw_log(agent_gateway_t *g, int level, const char *a, const char *b,
                   int rc)
{
    agent_update_log(g->u, level, a, b, rc, rc != 0);
}

int agent_gateway_init(agent_gateway_t *g, const agent_gateway_cfg_t *cfg,
                       agent_gw_t *port, agent_update_t *u)
{
    int rc;

    if (!g || !cfg || !port || !port->ops || !u || !cfg->product ||
        !cfg->product[0] || cfg->max_attempts == 0)
        return FOTA_ERR_INVAL;
    memset(g, 0, sizeof(*g));
    g->cfg = *cfg;
    g->port = port;
    g->u = u;
    rc = port->ops->info(port, &g->info);
    if (rc < 0)
        return rc;
    /* A 304 on the first poll would leave no manifest in RAM to read the
     * gateway target from: read it in full once per start. */
    u->rec.manifest_etag[0] = '\0';
    if (g->info.pending_verify)
        gw_log(g, AGENT_LOG_INFO,
               "gateway: running a trial image; it must reach S3 and the "
               "STM32",
               NULL, 0);
    return 0;
}

/* ---- prove a trial image --------------------------------------------------- */

static void gw_prove(agent_gateway_t *g)
{
    agent_update_t *u = g->u;
    int rc;

    /* A cycle that reached S3 without needing the target (a 304, nothing
     * to install) asks the target once more. */
    if (u->s3_reached && !u->target_reached)
        (void)agent_update_target_status(u);
    if (u->s3_reached && u->target_reached) {
        rc = g->port->ops->mark_valid(g->port);
        if (rc < 0) {
            g->outcome = AGENT_GW_ERROR;
            g->last_error = rc;
            g->why = "mark_valid failed";
            gw_log(g, AGENT_LOG_ERROR, "gateway: mark valid failed", NULL, rc);
            return;
        }
        g->info.pending_verify = false;
        g->outcome = AGENT_GW_PROVEN;
        gw_log(g, AGENT_LOG_INFO,
               "gateway: trial image reached S3 and the STM32: marked valid",
               NULL, 0);
        return;
    }
    g->why = !u->s3_reached ? "S3 not reached" : "STM32 not reached";
    rc = g->port->ops->note_attempt(g->port);
    if (rc < 0) {
        g->outcome = AGENT_GW_ERROR;
        g->last_error = rc;
        return;
    }
    g->info.attempts++;
    if (g->info.attempts < g->cfg.max_attempts) {
        g->outcome = AGENT_GW_TRIAL_FAILED;
        gw_log(g, AGENT_LOG_WARN, "gateway: trial cycle failed: ", g->why, 0);
        return;
    }
    gw_log(g, AGENT_LOG_ERROR,
           "gateway: trial image never proved itself, rolling back: ", g->why,
           0);
    rc = g->port->ops->rollback(g->port);
    if (rc < 0) {
        g->outcome = AGENT_GW_ERROR;
        g->last_error = rc;
        g->why = "rollback failed";
        return;
    }
    g->outcome = AGENT_GW_ROLLED_BACK;
    g->restart = true;
}

/* ---- install a newer image ------------------------------------------------- */

/* One GET from g->downloaded to the end; appends to the open slot. */
static int gw_session(agent_gateway_t *g, fota_sha256_t *sha)
{
    agent_update_t *u = g->u;
    agent_http_t *http = u->p.http;
    const agent_manifest_slot_t *img = &u->manifest.gateway.image;
    char etag[AGENT_HTTP_ETAG_MAX];
    uint32_t a, b, total, off = g->downloaded;
    int rc;

    if (off)
        g->resumes++;
    u->stats.image_requests++;
    rc = agent_update_get_range(u, img->key, off, img->size - 1u, g->etag);
    if (rc < 0)
        return rc;
    /* Every answer must carry the ETag the transfer started with (a
     * replaced object must not be mixed with the bytes already written). */
    if (http->ops->etag(http, etag, sizeof(etag)) >= 0) {
        if (!g->etag[0] && off == 0)
            memcpy(g->etag, etag, sizeof(etag));
        else if (strcmp(etag, g->etag) != 0)
            rc = FOTA_ERR_STALE;
    } else if (off) {
        rc = FOTA_ERR_STALE; /* nothing ties the answer to the first one */
    }
    if (rc == 0 && u->stats.last_http == 206) {
        if (http->ops->content_range(http, &a, &b, &total) < 0 || a != off ||
            b != img->size - 1u)
            rc = FOTA_ERR_PROTO;
        else if (total != img->size)
            rc = FOTA_ERR_CORRUPT; /* not the object the manifest names */
    } else if (rc == 0 && off) {
        rc = FOTA_ERR_STALE; /* a 200 to a resumed request: whole object */
    }
    while (rc == 0 && g->downloaded < img->size) {
        uint32_t left = img->size - g->downloaded;
        size_t want = left < sizeof(u->io) ? left : sizeof(u->io);
        int n = http->ops->read(http, u->io, want);

        if (n <= 0) {
            rc = n < 0 ? n : AGENT_ERR_DROPPED;
            break;
        }
        rc = g->port->ops->write(g->port, u->io, (size_t)n);
        if (rc < 0)
            break;
        fota_sha256_update(sha, u->io, (size_t)n);
        g->downloaded += (uint32_t)n;
        u->stats.image_bytes += (uint32_t)n;
    }
    http->ops->close(http);
    return rc;
}

static int gw_download(agent_gateway_t *g)
{
    agent_update_t *u = g->u;
    const agent_manifest_gateway_t *gw = &u->manifest.gateway;
    uint8_t dig[FOTA_SHA256_SIZE];
    fota_sha256_t sha;
    int rc = g->port->ops->begin(g->port, gw->image.size);

    if (rc < 0) {
        g->why = rc == FOTA_ERR_NOSPC ? "image larger than the slot"
                                      : "cannot open the other slot";
        return rc;
    }
    g->downloaded = 0;
    g->etag[0] = '\0';
    fota_sha256_init(&sha);
    rc = FOTA_ERR_IO;
    for (uint32_t i = 0; i < u->cfg.fetch_attempts && rc < 0; i++) {
        rc = gw_session(g, &sha);
        if (rc == 0)
            break;
        if (rc == FOTA_ERR_STALE || !agent_update_error_resumable(rc))
            break; /* resuming cannot help */
        gw_log(g, AGENT_LOG_WARN, "gateway: download interrupted, resuming",
               NULL, rc);
        u->p.clock->ops->sleep_ms(u->p.clock, 100u << (i < 4 ? i : 4));
    }
    if (rc < 0) {
        g->why = rc == FOTA_ERR_STALE ? "image changed during the download"
                                      : "download failed";
        goto fail;
    }
    fota_sha256_final(&sha, dig);
    if (memcmp(dig, gw->image.sha256, sizeof(dig)) != 0) {
        rc = FOTA_ERR_CORRUPT;
        g->why = "gateway image SHA-256 differs from the manifest";
        goto fail;
    }
    rc = g->port->ops->finish(g->port);
    if (rc < 0) {
        g->why = "the port refused the image";
        return rc;
    }
    rc = g->port->ops->set_boot(g->port, &gw->version);
    if (rc < 0)
        g->why = "cannot select the new image";
    return rc;
fail:
    g->port->ops->abort(g->port);
    return rc;
}

/* The gateway target of the accepted manifest, if this gateway takes it
 * now (g->why says why not). */
static bool gw_wanted(agent_gateway_t *g, int cycle_rc)
{
    agent_update_t *u = g->u;
    const agent_manifest_t *m = &u->manifest;
    const agent_manifest_gateway_t *gw = &m->gateway;
    uint64_t now = 0;

    g->outcome = AGENT_GW_SKIPPED;
    if (!u->manifest_accepted || !m->has_gateway) {
        g->outcome = AGENT_GW_NONE;
        return false;
    }
    if (strncmp(gw->product, g->cfg.product, sizeof(gw->product)) != 0) {
        g->why = "gateway target is for another product";
        return false;
    }
    if (fota_version_cmp(&gw->version, &g->info.running) <= 0) {
        g->outcome = AGENT_GW_UP_TO_DATE;
        return false;
    }
    if (g->info.has_rejected &&
        fota_version_cmp(&gw->version, &g->info.rejected) == 0) {
        g->why = "this version was rolled back before";
        return false;
    }
    /* STM32 first: the proven gateway finishes the STM32's update (and
     * its observation) before it replaces itself. */
    if (strncmp(m->product, u->cfg.product, sizeof(m->product)) != 0) {
        g->why = "the release is for another STM32 product";
        return false;
    }
    if (cycle_rc < 0 || u->rec.phase != AGENT_UPD_IDLE) {
        g->why = "waiting for the STM32 update to settle";
        return false;
    }
    if (u->p.utc && u->p.utc->ops->now(u->p.utc, &now) < 0)
        now = 0;
    if (agent_manifest_rollout_state(m, u->cfg.device_id, now, NULL, NULL) !=
        AGENT_ROLLOUT_GO) {
        g->why = "the rollout does not cover this device yet";
        return false;
    }
    return true;
}

static void gw_install(agent_gateway_t *g)
{
    agent_update_t *u = g->u;
    int rc;

    gw_log(g, AGENT_LOG_INFO, "gateway: installing ",
           u->manifest.gateway.version_str, 0);
    rc = gw_download(g);
    if (rc < 0) {
        g->outcome = AGENT_GW_ERROR;
        g->last_error = rc;
        gw_log(g, AGENT_LOG_ERROR, "gateway: install failed: ", g->why, rc);
        return;
    }
    g->outcome = AGENT_GW_INSTALLED;
    gw_log(g, AGENT_LOG_INFO, "gateway: restarting into ",
           u->manifest.gateway.version_str, 0);
    rc = g->port->ops->reboot(g->port);
    if (rc < 0) {
        g->outcome = AGENT_GW_ERROR;
        g->last_error = rc;
        g->why = "reboot failed";
        return;
    }
    g->restart = true;
}

int agent_gateway_run_once(agent_gateway_t *g)
{
    int cycle_rc = agent_update_run_once(g->u);
    int rc = g->port->ops->info(g->port, &g->info);

    g->outcome = AGENT_GW_NONE;
    g->last_error = 0;
    g->why = NULL;
    g->restart = false;
    if (rc < 0) {
        g->outcome = AGENT_GW_ERROR;
        g->last_error = rc;
        g->why = "gateway slot state unreadable";
        return cycle_rc;
    }
    if (g->info.pending_verify)
        gw_prove(g);
    else if (gw_wanted(g, cycle_rc))
        gw_install(g);
    else if (g->outcome == AGENT_GW_SKIPPED)
        gw_log(g, AGENT_LOG_INFO, "gateway: skip, ", g->why, 0);
    return cycle_rc;
}

const char *agent_gateway_outcome_name(int outcome)
{
    switch (outcome) {
    case AGENT_GW_NONE:
        return "none";
    case AGENT_GW_UP_TO_DATE:
        return "up-to-date";
    case AGENT_GW_SKIPPED:
        return "skipped";
    case AGENT_GW_INSTALLED:
        return "installed";
    case AGENT_GW_PROVEN:
        return "proven";
    case AGENT_GW_TRIAL_FAILED:
        return "trial-failed";
    case AGENT_GW_ROLLED_BACK:
        return "rolled-back";
    case AGENT_GW_ERROR:
        return "error";
    default:
        return "unknown";
    }
}
