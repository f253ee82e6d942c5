/*
 * agent_esp.c - the ESP-IDF ports wired to the portable agent from a
 * run-time configuration, and the agent task. Nothing here decides
 * anything about an update.
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

static bool set(const char *s)
{
    return s != NULL && s[0] != '\0';
}

void agent_esp_default_cfg(agent_esp_cfg_t *c)
{
    memset(c, 0, sizeof *c);
    c->product = FOTA_PRODUCT_ID;
    c->poll_interval_s = 300;
    c->spi_host = AGENT_ESP_VSPI;
    agent_esp_spi_iomux(AGENT_ESP_VSPI, &c->pins.mosi, &c->pins.miso,
                        &c->pins.sck, &c->pins.cs);
    c->pins.nrst = 4;
    c->pins.boot0 = AGENT_ESP_PIN_NONE;
    c->spi_hz = 8000000;
    c->staging_label = "fota_stage";
    c->nvs_namespace = "fota";
    c->gateway_attempts = 3;
}

int agent_esp_start_cfg(agent_esp_t *a, const agent_esp_cfg_t *c)
{
    agent_update_cfg_t cfg;
    agent_update_ports_t ports;
    const char *role, *why;
    uint8_t mac[6];
    int rc;

    /* Keep the credentials agent_esp_start() may have put there. */
    memset(a, 0, offsetof(agent_esp_t, creds));
    if (!set(c->endpoint) || !set(c->bucket) || c->prefix == NULL) {
        ESP_LOGE(TAG, "configuration: endpoint, bucket and prefix are "
                      "required; not starting");
        return FOTA_ERR_INVAL;
    }
    if (set(c->access_key) != set(c->secret_key)) {
        ESP_LOGE(TAG, "configuration: S3 access key and secret go together "
                      "(one of them is empty); not starting");
        return FOTA_ERR_INVAL;
    }
    if (c->report && !set(c->secret_key)) {
        ESP_LOGE(TAG, "configuration: reports need a SigV4 key; not starting");
        return FOTA_ERR_INVAL;
    }
    if (c->spi_host != AGENT_ESP_VSPI && c->spi_host != AGENT_ESP_HSPI) {
        ESP_LOGE(TAG,
                 "configuration: SPI host %d is neither HSPI (2) nor "
                 "VSPI (3); not starting",
                 c->spi_host);
        return FOTA_ERR_INVAL;
    }
    if (agent_esp_pins_check(&c->pins, &role, &why) != 0) {
        ESP_LOGE(TAG, "configuration: %s pin: %s; not starting", role, why);
        return FOTA_ERR_INVAL;
    }
    if (!agent_esp_spi_on_iomux(c->spi_host, &c->pins))
        ESP_LOGW(TAG,
                 "SPI pins are not %s's IO_MUX pins: routed through "
                 "the GPIO matrix",
                 c->spi_host == AGENT_ESP_HSPI ? "HSPI" : "VSPI");

    /* The signer key first: a malformed one must stop the agent before it
     * touches the target, rather than silently run without signatures. */
    if (set(c->sign_pubkey_hex)) {
        rc = fota_hex_decode(c->sign_pubkey_hex, strlen(c->sign_pubkey_hex),
                             a->sign_pubkey, sizeof a->sign_pubkey);
        if (rc < 0) {
            ESP_LOGE(TAG,
                     "signing public key: need exactly %u hex digits "
                     "(got %u characters%s); not starting",
                     (unsigned)(2 * sizeof a->sign_pubkey),
                     (unsigned)strlen(c->sign_pubkey_hex),
                     rc == FOTA_ERR_CORRUPT ? ", not all hex" : "");
            return FOTA_ERR_INVAL;
        }
    }

    if (set(c->device_id)) {
        snprintf(a->device_id, sizeof a->device_id, "%s", c->device_id);
    } else {
        /* A stable id that needs no provisioning: the factory MAC. */
        esp_err_t err = esp_efuse_mac_get_default(mac);

        if (err != ESP_OK)
            return FOTA_ERR_PLATFORM(err);
        snprintf(a->device_id, sizeof a->device_id,
                 "esp32-%02x%02x%02x%02x%02x%02x", mac[0], mac[1], mac[2],
                 mac[3], mac[4], mac[5]);
    }
    snprintf(a->base_url, sizeof a->base_url, "%s/%s/", c->endpoint, c->bucket);

    agent_esp_clock_init(&a->clock);
    agent_esp_utc_init(&a->utc);
    agent_esp_log_init(&a->log);
    rc = agent_esp_gpio_open(&a->gpio, c->pins.nrst, c->pins.boot0);
    if (rc < 0) {
        ESP_LOGE(TAG, "NRST/BOOT0 GPIO setup failed: %d", rc);
        return rc;
    }
    rc = agent_esp_spi_open(
        &a->spi, c->spi_host == AGENT_ESP_HSPI ? SPI2_HOST : SPI3_HOST,
        c->pins.mosi, c->pins.miso, c->pins.sck, c->pins.cs, (int)c->spi_hz);
    if (rc < 0) {
        ESP_LOGE(TAG, "SPI setup failed: %d", rc);
        return rc;
    }
    rc =
        agent_esp_storage_open(&a->storage, c->staging_label, c->nvs_namespace);
    if (rc < 0) {
        ESP_LOGE(TAG, "staging partition '%s' / NVS: %d", c->staging_label, rc);
        return rc;
    }

    agent_update_default_cfg(&cfg);
    cfg.endpoint = c->endpoint;
    cfg.bucket = c->bucket;
    cfg.prefix = c->prefix;
    cfg.region = c->region;
    cfg.device_id = a->device_id;
    cfg.product = set(c->product) ? c->product : FOTA_PRODUCT_ID;
    cfg.interval_ms = c->poll_interval_s * 1000u;
    if (set(c->secret_key)) {
        cfg.access_key = c->access_key;
        cfg.secret_key = c->secret_key;
    }
    cfg.report = c->report;
    if (set(c->sign_pubkey_hex))
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
    if (set(c->gateway_product)) {
        agent_gateway_cfg_t gcfg;

        agent_gateway_default_cfg(&gcfg);
        gcfg.product = c->gateway_product;
        if (c->gateway_attempts)
            gcfg.max_attempts = c->gateway_attempts;
        rc = agent_esp_ota_open(&a->ota);
        if (rc == 0)
            rc = agent_gateway_init(&a->gateway, &gcfg, &a->ota.base,
                                    &a->update);
        /* The STM32's updates do not depend on it: go on without. */
        if (rc < 0)
            ESP_LOGE(TAG, "gateway self-update off: setup failed (%d)", rc);
        a->gateway_on = rc == 0;
    }
    ESP_LOGI(TAG, "agent %s: %s%s/manifest.json, SPI%d %lu Hz, signatures %s",
             a->device_id, a->base_url, c->prefix, c->spi_host,
             (unsigned long)c->spi_hz,
             cfg.sign_pubkey != NULL ? "required" : "not required");
    return 0;
}

void agent_esp_task(void *arg)
{
    agent_esp_t *a = arg;

    for (;;) {
        int rc = a->gateway_on ? agent_gateway_run_once(&a->gateway)
                               : agent_update_run_once(&a->update);
        uint32_t delay_ms = agent_update_next_delay_ms(&a->update);

        if (a->gateway_on && a->gateway.outcome != AGENT_GW_NONE)
            ESP_LOGI(TAG, "gateway: %s%s%s",
                     agent_gateway_outcome_name(a->gateway.outcome),
                     a->gateway.why ? ": " : "",
                     a->gateway.why ? a->gateway.why : "");

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
