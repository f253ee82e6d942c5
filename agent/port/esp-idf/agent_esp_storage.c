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
 * anything else.
 */
#include "agent_esp.h"

#include <string.h>

#include "fota/fota_err.h"

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
    agent_esp_storage_t *st = AGENT_CONTAINER_OF(self, agent_esp_storage_t, base);

    return st->part->size;
}

static uint32_t st_erase_unit(agent_storage_t *self)
{
    agent_esp_storage_t *st = AGENT_CONTAINER_OF(self, agent_esp_storage_t, base);

    return st->part->erase_size;
}

static int st_read(agent_storage_t *self, uint32_t off, void *buf, size_t len)
{
    agent_esp_storage_t *st = AGENT_CONTAINER_OF(self, agent_esp_storage_t, base);

    if (!in_range(st, off, len))
        return FOTA_ERR_RANGE;
    return esp_err_to_fota(esp_partition_read(st->part, off, buf, len));
}

static int st_write(agent_storage_t *self, uint32_t off, const void *buf,
                    size_t len)
{
    agent_esp_storage_t *st = AGENT_CONTAINER_OF(self, agent_esp_storage_t, base);

    if (!in_range(st, off, len))
        return FOTA_ERR_RANGE;
    return esp_err_to_fota(esp_partition_write(st->part, off, buf, len));
}

static int st_erase(agent_storage_t *self, uint32_t off, uint32_t len)
{
    agent_esp_storage_t *st = AGENT_CONTAINER_OF(self, agent_esp_storage_t, base);

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

static int st_rec_read(agent_storage_t *self, unsigned copy, void *buf,
                       size_t len)
{
    agent_esp_storage_t *st = AGENT_CONTAINER_OF(self, agent_esp_storage_t, base);
    size_t n = len;
    esp_err_t err;

    if (copy > 1)
        return FOTA_ERR_INVAL;
    err = nvs_get_blob(st->nvs, rec_key(copy), buf, &n);
    if (err != ESP_OK)
        return esp_err_to_fota(err);
    if (n != len)
        return FOTA_ERR_NOENT; /* a blob of another size: not our record */
    return 0;
}

static int st_rec_write(agent_storage_t *self, unsigned copy, const void *buf,
                        size_t len)
{
    agent_esp_storage_t *st = AGENT_CONTAINER_OF(self, agent_esp_storage_t, base);
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
