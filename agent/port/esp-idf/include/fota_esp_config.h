/*
 * fota_esp_config.h - ESP-IDF Kconfig (CONFIG_FOTA_*) mapped to the
 * project's FOTA_* settings. The component points FOTA_CONFIG_FILE here,
 * so fota/fota_config.h includes it first; nothing outside the ESP-IDF
 * port ever sees a CONFIG_* symbol. Only agent_esp_kconfig.c and the
 * example read the FOTA_ESP_* names: the port itself is configured at run
 * time (agent_esp_cfg_t), which is how the Arduino library uses it.
 */
#ifndef FOTA_ESP_CONFIG_H
#define FOTA_ESP_CONFIG_H

#include "sdkconfig.h"

/* ---- settings of the portable core (fota/fota_config.h) ---- */
#define FOTA_PRODUCT_ID CONFIG_FOTA_PRODUCT_ID

/* ---- settings of the ESP-IDF port ---- */
/* Wi-Fi and S3 credentials live in NVS under this namespace. */
#define FOTA_ESP_CRED_NAMESPACE CONFIG_FOTA_CRED_NAMESPACE

#define FOTA_ESP_S3_ENDPOINT CONFIG_FOTA_S3_ENDPOINT
#define FOTA_ESP_S3_BUCKET CONFIG_FOTA_S3_BUCKET
#define FOTA_ESP_S3_PREFIX CONFIG_FOTA_S3_PREFIX
#define FOTA_ESP_S3_REGION CONFIG_FOTA_S3_REGION
#ifdef CONFIG_FOTA_S3_AUTH_SIGV4
#define FOTA_ESP_SIGV4 1
#else
#define FOTA_ESP_SIGV4 0
#endif
#ifdef CONFIG_FOTA_REPORT
#define FOTA_ESP_REPORT 1
#else
#define FOTA_ESP_REPORT 0
#endif

#define FOTA_ESP_DEVICE_ID CONFIG_FOTA_DEVICE_ID
/* Ed25519 signer key as 64 hex digits; "" = signatures not required. */
#define FOTA_ESP_SIGN_PUBKEY CONFIG_FOTA_SIGN_PUBKEY
#define FOTA_ESP_POLL_INTERVAL_S CONFIG_FOTA_POLL_INTERVAL_S

/* AGENT_ESP_HSPI / AGENT_ESP_VSPI (agent_esp_logic.h). */
#ifdef CONFIG_FOTA_SPI_HOST_HSPI
#define FOTA_ESP_SPI_HOST 2
#else
#define FOTA_ESP_SPI_HOST 3
#endif
#define FOTA_ESP_PIN_MOSI CONFIG_FOTA_PIN_MOSI
#define FOTA_ESP_PIN_MISO CONFIG_FOTA_PIN_MISO
#define FOTA_ESP_PIN_SCK CONFIG_FOTA_PIN_SCK
#define FOTA_ESP_PIN_CS CONFIG_FOTA_PIN_CS
#define FOTA_ESP_PIN_NRST CONFIG_FOTA_PIN_NRST
#define FOTA_ESP_PIN_BOOT0 CONFIG_FOTA_PIN_BOOT0
#define FOTA_ESP_SPI_HZ CONFIG_FOTA_SPI_HZ

#define FOTA_ESP_STAGING_LABEL CONFIG_FOTA_STAGING_LABEL
#define FOTA_ESP_NVS_NAMESPACE CONFIG_FOTA_NVS_NAMESPACE

/* Gateway self-update: "" = off. */
#ifdef CONFIG_FOTA_GATEWAY_UPDATE
#define FOTA_ESP_GATEWAY_PRODUCT CONFIG_FOTA_GATEWAY_PRODUCT
#define FOTA_ESP_GATEWAY_ATTEMPTS CONFIG_FOTA_GATEWAY_ATTEMPTS
#else
#define FOTA_ESP_GATEWAY_PRODUCT ""
#define FOTA_ESP_GATEWAY_ATTEMPTS 3
#endif

#endif /* FOTA_ESP_CONFIG_H */
