/*
 * agent_esp.c - the ESP-IDF ports wired to the portable agent from Kconfig,
 * and the agent task. Nothing here decides anything about an update.
 */
#include "agent_esp.h"

#include <stdio.h>
#include <string.h>

#include "esp_log.h"
#include "esp_mac.h"
#include "fota/fota_config.h"
#include "fota/fota_err.h"
#include "fota/fota_text.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"

static const char *TAG = "fota";

int agent_esp_start(agent_esp_t *a)
{
    agent_update_cfg_t cfg;
    agent_update_ports_t ports;
    uint8_t mac[6];
    int rc;

    memset(a, 0, sizeof *a);

    /* The signer key first: a malformed one must stop the agent before it
     * touches the target, rather than silently run without signatures. */
    if (FOTA_ESP_SIGN_PUBKEY[0] != '\0') {
        rc = fota_hex_decode(FOTA_ESP_SIGN_PUBKEY, strlen(FOTA_ESP_SIGN_PUBKEY),
                             a->sign_pubkey, sizeof a->sign_pubkey);
        if (rc < 0) {
            ESP_LOGE(TAG, "CONFIG_FOTA_SIGN_PUBKEY: need exactly %u hex digits "
                          "(got %u characters%s); not starting",
                     (unsigned)(2 * sizeof a->sign_pubkey),
                     (unsigned)strlen(FOTA_ESP_SIGN_PUBKEY),
                     rc == FOTA_ERR_CORRUPT ? ", not all hex" : "");
            return FOTA_ERR_INVAL;
        }
    }

    if (FOTA_ESP_DEVICE_ID[0] != '\0') {
        snprintf(a->device_id, sizeof a->device_id, "%s", FOTA_ESP_DEVICE_ID);
    } else {
        /* A stable id that needs no provisioning: the factory MAC. */
        esp_err_t err = esp_efuse_mac_get_default(mac);

        if (err != ESP_OK)
            return FOTA_ERR_PLATFORM(err);
        snprintf(a->device_id, sizeof a->device_id,
                 "esp32-%02x%02x%02x%02x%02x%02x", mac[0], mac[1], mac[2],
                 mac[3], mac[4], mac[5]);
    }
    snprintf(a->base_url, sizeof a->base_url, "%s/%s/", FOTA_ESP_S3_ENDPOINT,
             FOTA_ESP_S3_BUCKET);

    agent_esp_clock_init(&a->clock);
    agent_esp_utc_init(&a->utc);
    agent_esp_log_init(&a->log);
    rc = agent_esp_gpio_open(&a->gpio, FOTA_ESP_PIN_NRST, FOTA_ESP_PIN_BOOT0);
    if (rc < 0) {
        ESP_LOGE(TAG, "NRST/BOOT0 GPIO setup failed: %d", rc);
        return rc;
    }
    rc = agent_esp_spi_open(&a->spi, SPI3_HOST, FOTA_ESP_PIN_MOSI,
                            FOTA_ESP_PIN_MISO, FOTA_ESP_PIN_SCK,
                            FOTA_ESP_PIN_CS, FOTA_ESP_SPI_HZ);
    if (rc < 0) {
        ESP_LOGE(TAG, "SPI setup failed: %d", rc);
        return rc;
    }
    rc = agent_esp_storage_open(&a->storage, FOTA_ESP_STAGING_LABEL,
                                FOTA_ESP_NVS_NAMESPACE);
    if (rc < 0) {
        ESP_LOGE(TAG, "staging partition '%s' / NVS: %d", FOTA_ESP_STAGING_LABEL,
                 rc);
        return rc;
    }

    agent_update_default_cfg(&cfg);
    cfg.endpoint = FOTA_ESP_S3_ENDPOINT;
    cfg.bucket = FOTA_ESP_S3_BUCKET;
    cfg.prefix = FOTA_ESP_S3_PREFIX;
    cfg.region = FOTA_ESP_S3_REGION;
    cfg.device_id = a->device_id;
    cfg.product = FOTA_PRODUCT_ID;
    cfg.interval_ms = FOTA_ESP_POLL_INTERVAL_MS;
#if FOTA_ESP_SIGV4
    cfg.access_key = FOTA_ESP_S3_ACCESS_KEY;
    cfg.secret_key = FOTA_ESP_S3_SECRET_KEY;
#endif
    cfg.report = FOTA_ESP_REPORT != 0;
    if (FOTA_ESP_SIGN_PUBKEY[0] != '\0')
        cfg.sign_pubkey = a->sign_pubkey;

    rc = agent_esp_http_open(&a->http, a->base_url, cfg.http_timeout_ms);
    if (rc < 0) {
        ESP_LOGE(TAG, "HTTP client setup failed: %d", rc);
        return rc;
    }

    agent_proto_init(&a->proto, &a->spi.base, &a->gpio.base, &a->clock.base,
                     &a->log.base, NULL);

    memset(&ports, 0, sizeof ports);
    ports.http = &a->http.base;
    ports.storage = &a->storage.base;
    ports.target = &a->proto;
    ports.clock = &a->clock.base;
    ports.utc = &a->utc.base;
    ports.log = &a->log.base;
    rc = agent_update_init(&a->update, &cfg, &ports);
    if (rc < 0) {
        ESP_LOGE(TAG, "agent init failed: %d", rc);
        return rc;
    }
    ESP_LOGI(TAG, "agent %s: %s%s/manifest.json, SPI %d Hz, signatures %s",
             a->device_id, a->base_url, FOTA_ESP_S3_PREFIX, FOTA_ESP_SPI_HZ,
             cfg.sign_pubkey != NULL ? "required" : "not required");
    return 0;
}

void agent_esp_task(void *arg)
{
    agent_esp_t *a = arg;

    for (;;) {
        int rc = agent_update_run_once(&a->update);
        uint32_t delay_ms = agent_update_next_delay_ms(&a->update);

        if (rc < 0)
            ESP_LOGW(TAG, "cycle failed: %s (%d); next try in %lu s",
                     fota_strerror(rc), rc, (unsigned long)(delay_ms / 1000));
        else
            ESP_LOGI(TAG, "cycle: %s; next poll in %lu s",
                     agent_update_outcome_name(rc),
                     (unsigned long)(delay_ms / 1000));
        a->clock.base.ops->sleep_ms(&a->clock.base, delay_ms);
    }
}
