/*
 * agent_esp_kconfig.c - the agent configured from Kconfig (idf.py
 * menuconfig) and NVS credentials: the ESP-IDF component's entry points.
 * The Arduino library leaves this file out and fills agent_esp_cfg_t
 * itself.
 */
#include "agent_esp.h"

#include "fota/fota_config.h"

static void kconfig_pins(agent_esp_pins_t *p)
{
    p->mosi = FOTA_ESP_PIN_MOSI;
    p->miso = FOTA_ESP_PIN_MISO;
    p->sck = FOTA_ESP_PIN_SCK;
    p->cs = FOTA_ESP_PIN_CS;
    p->nrst = FOTA_ESP_PIN_NRST;
    p->boot0 = FOTA_ESP_PIN_BOOT0;
}

int agent_esp_pins_safe_kconfig(void)
{
    agent_esp_pins_t p;

    kconfig_pins(&p);
    return agent_esp_pins_safe(&p);
}

int agent_esp_start(agent_esp_t *a)
{
    agent_esp_cfg_t c;
    int rc;

    agent_esp_default_cfg(&c);
    c.endpoint = FOTA_ESP_S3_ENDPOINT;
    c.bucket = FOTA_ESP_S3_BUCKET;
    c.prefix = FOTA_ESP_S3_PREFIX;
    c.region = FOTA_ESP_S3_REGION;
    c.report = FOTA_ESP_REPORT != 0;
    c.device_id = FOTA_ESP_DEVICE_ID;
    c.sign_pubkey_hex = FOTA_ESP_SIGN_PUBKEY;
    c.product = FOTA_PRODUCT_ID;
    c.poll_interval_s = FOTA_ESP_POLL_INTERVAL_S;
    c.spi_host = FOTA_ESP_SPI_HOST;
    kconfig_pins(&c.pins);
    c.spi_hz = FOTA_ESP_SPI_HZ;
    c.staging_label = FOTA_ESP_STAGING_LABEL;
    c.nvs_namespace = FOTA_ESP_NVS_NAMESPACE;
    c.gateway_product = FOTA_ESP_GATEWAY_PRODUCT;
    c.gateway_attempts = FOTA_ESP_GATEWAY_ATTEMPTS;
    if (FOTA_ESP_SIGV4) {
        /* The key comes from NVS, never from the image. */
        rc = agent_esp_creds_load(&a->creds, FOTA_ESP_CRED_NAMESPACE, true);
        if (rc < 0)
            return rc;
        c.access_key = a->creds.s3_key_id;
        c.secret_key = a->creds.s3_secret;
    }
    return agent_esp_start_cfg(a, &c);
}
