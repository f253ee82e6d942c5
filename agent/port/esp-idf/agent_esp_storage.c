/*
 * agent_esp_storage.c - storage port: the staged image in a data
 * partition of the ESP32's own flash, the progress record in NVS.
 *
 * The partition has flash semantics already (write only onto erased
 * bytes, erase in partition->erase_size = 4 KiB sectors), which is what
 * agent_storage.h asks for. esp_partition_write() returns once the data is
 * in flash, so sync() has nothing left to do.
 *
 * The two record copies are NVS blobs "rec0"/"rec1" (keys are limited to
 * 15 characters). nvs_commit() makes a write durable; NVS itself is
 * power-safe per entry, and the core's alternating copies protect against
 * anything else. A copy of another size than this version writes (an
 * older layout, another tool's value under the same key) would make every
 * start fail the same way: it is erased, logged, and the agent continues
 * as without it (agent_esp_nvs_map() decides).
 *
 * The credentials are NVS strings in their own namespace, provisioned
 * with an NVS partition image (docs/hardware.md); the agent never writes
 * or erases them.
 */
#include "agent_esp.h"

#include <string.h>

#include "esp_log.h"
#include "fota/fota_err.h"

static const char *TAG = "fota";

static int esp_err_to_fota(esp_err_t err)
{
    if (err == ESP_OK)
        return 0;
    if (err == ESP_ERR_NVS_NOT_FOUND)
        return FOTA_ERR_NOENT;
    if (err == ESP_ERR_INVALID_SIZE)
        return FOTA_ERR_RANGE;
    return FOTA_ERR_PLATFORM(err);
}

static bool in_range(const agent_esp_storage_t *st, uint32_t off, size_t len)
{
    return off <= st->part->size && len <= st->part->size - off;
}

static uint32_t st_size(agent_storage_t *self)
{
    agent_esp_storage_t *st =
        AGENT_CONTAINER_OF(self, agent_esp_storage_t, base);

    return st->part->size;
}

static uint32_t st_erase_unit(agent_storage_t *self)
{
    agent_esp_storage_t *st =
        AGENT_CONTAINER_OF(self, agent_esp_storage_t, base);

    return st->part->erase_size;
}

static int st_read(agent_storage_t *self, uint32_t off, void *buf, size_t len)
{
    agent_esp_storage_t *st =
        AGENT_CONTAINER_OF(self, agent_esp_storage_t, base);

    if (!in_range(st, off, len))
        return FOTA_ERR_RANGE;
    return esp_err_to_fota(esp_partition_read(st->part, off, buf, len));
}

static int st_write(agent_storage_t *self, uint32_t off, const void *buf,
                    size_t len)
{
    agent_esp_storage_t *st =
        AGENT_CONTAINER_OF(self, agent_esp_storage_t, base);

    if (!in_range(st, off, len))
        return FOTA_ERR_RANGE;
    return esp_err_to_fota(esp_partition_write(st->part, off, buf, len));
}

static int st_erase(agent_storage_t *self, uint32_t off, uint32_t len)
{
    agent_esp_storage_t *st =
        AGENT_CONTAINER_OF(self, agent_esp_storage_t, base);

    if (!in_range(st, off, len))
        return FOTA_ERR_RANGE;
    if (off % st->part->erase_size != 0 || len % st->part->erase_size != 0)
        return FOTA_ERR_INVAL;
    return esp_err_to_fota(esp_partition_erase_range(st->part, off, len));
}

static int st_sync(agent_storage_t *self)
{
    (void)self; /* esp_partition_write() is durable on return */
    return 0;
}

static const char *rec_key(unsigned copy)
{
    return copy == 0 ? "rec0" : "rec1";
}

static int nvs_status(esp_err_t err)
{
    switch (err) {
    case ESP_OK:
        return AGENT_ESP_NVS_OK;
    case ESP_ERR_NVS_NOT_FOUND:
        return AGENT_ESP_NVS_NOT_FOUND;
    case ESP_ERR_NVS_INVALID_LENGTH:
        return AGENT_ESP_NVS_INVALID_LENGTH;
    case ESP_ERR_NVS_TYPE_MISMATCH:
        return AGENT_ESP_NVS_TYPE_MISMATCH;
    default:
        return AGENT_ESP_NVS_OTHER;
    }
}

static int st_rec_read(agent_storage_t *self, unsigned copy, void *buf,
                       size_t len)
{
    agent_esp_storage_t *st =
        AGENT_CONTAINER_OF(self, agent_esp_storage_t, base);
    agent_esp_nvs_verdict_t v;
    size_t n = len;
    esp_err_t err;

    if (copy > 1)
        return FOTA_ERR_INVAL;
    err = nvs_get_blob(st->nvs, rec_key(copy), buf, &n);
    v = agent_esp_nvs_map(AGENT_ESP_NVS_RECORD, nvs_status(err), n, len);
    switch (v.action) {
    case AGENT_ESP_NVS_USE:
        return 0;
    case AGENT_ESP_NVS_ABSENT:
        return v.rc;
    case AGENT_ESP_NVS_ERASE_KEY:
        ESP_LOGW(TAG,
                 "NVS %s: %s (%u bytes, want %u); erased, continuing "
                 "without it",
                 rec_key(copy), v.why, (unsigned)n, (unsigned)len);
        err = nvs_erase_key(st->nvs, rec_key(copy));
        if (err == ESP_OK)
            err = nvs_commit(st->nvs);
        if (err != ESP_OK)
            ESP_LOGE(TAG, "NVS %s: erase failed: %s", rec_key(copy),
                     esp_err_to_name(err));
        return v.rc;
    default:
        ESP_LOGE(TAG, "NVS %s: %s: %s", rec_key(copy), v.why,
                 esp_err_to_name(err));
        return esp_err_to_fota(err);
    }
}

static int st_rec_write(agent_storage_t *self, unsigned copy, const void *buf,
                        size_t len)
{
    agent_esp_storage_t *st =
        AGENT_CONTAINER_OF(self, agent_esp_storage_t, base);
    esp_err_t err;

    if (copy > 1)
        return FOTA_ERR_INVAL;
    err = nvs_set_blob(st->nvs, rec_key(copy), buf, len);
    if (err == ESP_OK)
        err = nvs_commit(st->nvs);
    return esp_err_to_fota(err);
}

static const agent_storage_ops_t s_storage_ops = {
    .size = st_size,
    .erase_unit = st_erase_unit,
    .read = st_read,
    .write = st_write,
    .erase = st_erase,
    .sync = st_sync,
    .rec_read = st_rec_read,
    .rec_write = st_rec_write,
};

/* One credential string: ns/key into buf. */
static int cred_get(nvs_handle_t h, const char *ns, const char *key, char *buf,
                    size_t size, bool required)
{
    agent_esp_nvs_verdict_t v;
    size_t n = size;
    esp_err_t err;

    err = nvs_get_str(h, key, buf, &n);
    if (!required &&
        (err == ESP_ERR_NVS_NOT_FOUND || (err == ESP_OK && n <= 1))) {
        buf[0] = '\0'; /* optional and absent or empty */
        return 0;
    }
    v = agent_esp_nvs_map(AGENT_ESP_NVS_CREDENTIAL, nvs_status(err), n, size);
    if (v.action == AGENT_ESP_NVS_USE)
        return 0;
    buf[0] = '\0';
    ESP_LOGE(TAG,
             "%s/%s: %s (%s); provision it (docs/hardware.md, "
             "credentials)",
             ns, key, v.why, esp_err_to_name(err));
    return v.rc;
}

int agent_esp_creds_load(agent_esp_creds_t *cr, const char *ns, bool need_s3)
{
    nvs_handle_t h;
    esp_err_t err;
    int rc;

    memset(cr, 0, sizeof *cr);
    err = nvs_open(ns, NVS_READONLY, &h);
    if (err != ESP_OK) {
        ESP_LOGE(TAG,
                 "credentials namespace '%s': %s; provision it "
                 "(docs/hardware.md, credentials)",
                 ns, esp_err_to_name(err));
        return err == ESP_ERR_NVS_NOT_FOUND ? FOTA_ERR_NOENT
                                            : FOTA_ERR_PLATFORM(err);
    }
    rc =
        cred_get(h, ns, "wifi_ssid", cr->wifi_ssid, sizeof cr->wifi_ssid, true);
    if (rc == 0)
        rc = cred_get(h, ns, "wifi_pass", cr->wifi_pass, sizeof cr->wifi_pass,
                      false);
    if (rc == 0)
        rc = cred_get(h, ns, "s3_key_id", cr->s3_key_id, sizeof cr->s3_key_id,
                      need_s3);
    if (rc == 0)
        rc = cred_get(h, ns, "s3_secret", cr->s3_secret, sizeof cr->s3_secret,
                      need_s3);
    nvs_close(h);
    return rc;
}

int agent_esp_storage_open(agent_esp_storage_t *st, const char *label,
                           const char *nvs_namespace)
{
    esp_err_t err;

    memset(st, 0, sizeof *st);
    st->base.ops = &s_storage_ops;
    st->part = esp_partition_find_first(ESP_PARTITION_TYPE_DATA,
                                        ESP_PARTITION_SUBTYPE_ANY, label);
    if (st->part == NULL)
        return FOTA_ERR_NOENT; /* no such partition in partitions.csv */
    err = nvs_open(nvs_namespace, NVS_READWRITE, &st->nvs);
    return esp_err_to_fota(err);
}
