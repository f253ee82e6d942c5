/*
 * agent_esp_ota.c - the gateway's own image slots (agent_gateway.h) on
 * ESP-IDF's OTA app partitions ota_0/ota_1 and otadata (esp_ota_ops.h,
 * ESP-IDF v5.0 to v6.x).
 *
 * Rollback is the bootloader's (CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE):
 * esp_ota_set_boot_partition() makes the new image boot next in state
 * ESP_OTA_IMG_NEW, the bootloader starts it as ESP_OTA_IMG_PENDING_VERIFY,
 * and a reset before esp_ota_mark_app_valid_cancel_rollback() makes the
 * bootloader mark it ESP_OTA_IMG_ABORTED and start the previous image. So
 * a trial lasts one boot: the attempts the core counts are the cycles of
 * that boot (kept in RAM), and a crash is a rollback. After a rollback
 * the partition that does not run holds the rejected image, in state
 * ESP_OTA_IMG_INVALID or ESP_OTA_IMG_ABORTED, with its version in its app
 * description.
 *
 * The gateway's version is the app description's version string
 * (PROJECT_VER of the gateway firmware), which must be
 * major.minor.patch[+build] like the manifest's; anything else reads as
 * 0.0.0 (logged), so any published gateway version counts as newer.
 */
#include "agent_esp.h"

#include <string.h>

#include "esp_app_desc.h"
#include "esp_log.h"
#include "esp_ota_ops.h"
#include "esp_system.h"
#include "fota/fota_err.h"

static const char *TAG = "fota-gw";

static agent_esp_ota_t *eo(agent_gw_t *self)
{
    return AGENT_CONTAINER_OF(self, agent_esp_ota_t, base);
}

static int esp_rc(esp_err_t err)
{
    return err == ESP_OK ? 0 : FOTA_ERR_PLATFORM(err);
}

static void desc_version(const esp_app_desc_t *d, fota_version_t *v)
{
    char s[sizeof d->version + 1];

    memcpy(s, d->version, sizeof d->version);
    s[sizeof d->version] = '\0';
    if (agent_manifest_parse_version(s, v) < 0) {
        ESP_LOGW(TAG,
                 "app version \"%s\" is not major.minor.patch[+build]: "
                 "taken as 0.0.0",
                 s);
        memset(v, 0, sizeof *v);
    }
}

static int eo_info(agent_gw_t *self, agent_gw_info_t *out)
{
    agent_esp_ota_t *o = eo(self);
    const esp_partition_t *run = esp_ota_get_running_partition();
    const esp_partition_t *other = esp_ota_get_next_update_partition(NULL);
    esp_ota_img_states_t st;
    esp_app_desc_t d;

    memset(out, 0, sizeof *out);
    desc_version(esp_app_get_description(), &out->running);
    out->pending_verify = run != NULL &&
                          esp_ota_get_state_partition(run, &st) == ESP_OK &&
                          st == ESP_OTA_IMG_PENDING_VERIFY;
    out->attempts = o->attempts;
    if (other != NULL && esp_ota_get_state_partition(other, &st) == ESP_OK &&
        (st == ESP_OTA_IMG_INVALID || st == ESP_OTA_IMG_ABORTED) &&
        esp_ota_get_partition_description(other, &d) == ESP_OK) {
        out->has_rejected = true;
        desc_version(&d, &out->rejected);
    }
    return 0;
}

static int eo_begin(agent_gw_t *self, uint32_t size)
{
    agent_esp_ota_t *o = eo(self);
    esp_err_t err;

    o->part = esp_ota_get_next_update_partition(NULL);
    if (o->part == NULL) {
        ESP_LOGE(TAG, "no OTA app partition to install into (partitions.csv "
                      "needs ota_0, ota_1 and otadata)");
        return FOTA_ERR_NOSPC;
    }
    if (size > o->part->size)
        return FOTA_ERR_NOSPC;
    if (o->open)
        (void)esp_ota_abort(o->handle);
    /* The size erases just what the image needs. */
    err = esp_ota_begin(o->part, size, &o->handle);
    o->open = err == ESP_OK;
    return esp_rc(err);
}

static int eo_write(agent_gw_t *self, const void *buf, size_t len)
{
    agent_esp_ota_t *o = eo(self);

    return o->open ? esp_rc(esp_ota_write(o->handle, buf, len))
                   : FOTA_ERR_INVAL;
}

static int eo_finish(agent_gw_t *self)
{
    agent_esp_ota_t *o = eo(self);
    esp_err_t err;

    if (!o->open)
        return FOTA_ERR_INVAL;
    o->open = false;
    /* Checks the app image (headers, checksum, SHA-256 appended by the
     * build, secure boot signature when enabled). */
    err = esp_ota_end(o->handle);
    if (err == ESP_ERR_OTA_VALIDATE_FAILED) {
        ESP_LOGE(TAG, "the downloaded gateway image is not a valid app image");
        return FOTA_ERR_CORRUPT;
    }
    return esp_rc(err);
}

static void eo_abort(agent_gw_t *self)
{
    agent_esp_ota_t *o = eo(self);

    if (o->open)
        (void)esp_ota_abort(o->handle);
    o->open = false;
}

static int eo_set_boot(agent_gw_t *self, const fota_version_t *v)
{
    agent_esp_ota_t *o = eo(self);

    (void)v; /* the partition's app description carries it */
    return o->part ? esp_rc(esp_ota_set_boot_partition(o->part))
                   : FOTA_ERR_INVAL;
}

static int eo_mark_valid(agent_gw_t *self)
{
    eo(self)->attempts = 0;
    return esp_rc(esp_ota_mark_app_valid_cancel_rollback());
}

static int eo_note_attempt(agent_gw_t *self)
{
    eo(self)->attempts++; /* a reset ends the trial anyway (see above) */
    return 0;
}

static int eo_rollback(agent_gw_t *self)
{
    (void)self;
    /* Marks the running image invalid and restarts into the previous one;
     * returns only when there is none to go back to. */
    return esp_rc(esp_ota_mark_app_invalid_rollback_and_reboot());
}

static int eo_reboot(agent_gw_t *self)
{
    (void)self;
    ESP_LOGI(TAG, "restarting into the new gateway image");
    esp_restart();
    return 0; /* not reached */
}

static const agent_gw_ops_t s_ops = {
    eo_info,     eo_begin,      eo_write,        eo_finish,   eo_abort,
    eo_set_boot, eo_mark_valid, eo_note_attempt, eo_rollback, eo_reboot,
};

int agent_esp_ota_open(agent_esp_ota_t *o)
{
    memset(o, 0, sizeof *o);
    o->base.ops = &s_ops;
    if (esp_ota_get_running_partition() == NULL ||
        esp_ota_get_next_update_partition(NULL) == NULL) {
        ESP_LOGE(TAG, "gateway self-update needs two OTA app partitions "
                      "(ota_0, ota_1) and otadata in partitions.csv");
        return FOTA_ERR_NOSPC;
    }
    return 0;
}
