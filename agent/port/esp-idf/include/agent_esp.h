/*
 * agent_esp.h - the update agent's ports on ESP-IDF v5.0 to v6.x (ESP32),
 * and a bundle that wires them to the portable core from a run-time
 * configuration (agent_esp_cfg_t: filled from Kconfig by
 * agent_esp_start(), or by an Arduino sketch).
 *
 * Every port is a thin adapter onto one ESP-IDF driver; no update
 * decision is made here (that is agent_update / agent_proto, tested on the
 * host):
 *   spi      spi_master on SPI3_HOST (VSPI) or SPI2_HOST (HSPI), mode 0,
 *            polling transactions, bus acquired while CS is asserted; CS is
 *            a GPIO because it doubles as the target's update-mode strap
 *            and must stay low across the target's reset; yields the CPU
 *            every AGENT_ESP_YIELD_US of back-to-back transfers
 *   gpio     NRST open-drain (GPIO_MODE_INPUT_OUTPUT_OD), optional BOOT0;
 *            an NRST low pulse lasts at least AGENT_ESP_NRST_MIN_US
 *   clock    esp_timer_get_time() and vTaskDelay() (at least the time
 *            asked for: agent_esp_sleep_ticks())
 *   utc      time() once SNTP has set it (SigV4, reports)
 *   log      ESP_LOG
 *   http     esp_http_client (open / fetch_headers / read), TLS checked
 *            against the ESP-IDF certificate bundle
 *   ota      the gateway's own images (agent_gateway.h) on ota_0/ota_1 and
 *            otadata: esp_ota_begin/write/end, esp_ota_set_boot_partition,
 *            esp_ota_mark_app_valid_cancel_rollback, the bootloader's
 *            rollback (CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE)
 *   storage  a data partition for the staged image, NVS for the two copies
 *            of the progress record (a copy of the wrong size is erased
 *            and forgotten), NVS strings for the credentials
 *
 * The decisions of these ports (pin rules and order, NVS result mapping,
 * sleep lengths, yields) are the pure functions of agent_esp_logic.h,
 * tested on the host.
 *
 * All functions run in the agent's task (never in an ISR). Initialisation
 * functions return 0 or a negative FOTA_ERR_* (esp_err_t codes travel as
 * FOTA_ERR_PLATFORM(err)).
 */
#ifndef AGENT_ESP_H
#define AGENT_ESP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent_http.h"
#include "agent_http_parse.h"
#include "agent_port.h"
#include "agent_proto.h"
#include "agent_storage.h"
#include "agent_update.h"
#include "agent_esp_logic.h"
#include "agent_gateway.h"
#include "fota/fota_ed25519.h"
#include "driver/spi_master.h"
#include "esp_http_client.h"
#include "esp_ota_ops.h"
#include "esp_partition.h"
#include "nvs.h"

/* ---- SPI ---- */

/* Largest single transaction the port hands to the driver; longer
 * transfers are split. Covers one streaming-write frame (2 + 1024 + 1). */
#define AGENT_ESP_SPI_CHUNK 2048

typedef struct agent_esp_spi {
    agent_spi_t base;
    spi_host_device_t host;
    spi_device_handle_t dev;
    int cs_pin;
    bool bus_held;
    int64_t last_yield_us; /* agent_esp_yield_due() */
    uint8_t *dma_tx;       /* AGENT_ESP_SPI_CHUNK bytes, DMA-capable */
    uint8_t *dma_rx;
} agent_esp_spi_t;

/* Initialise the bus (host: SPI3_HOST for the VSPI IO_MUX pins 23/19/18,
 * SPI2_HOST for HSPI's 13/12/14), add the target as a mode-0 device at hz
 * with no hardware CS, and drive cs_pin as a push-pull GPIO, high
 * (deasserted). */
int agent_esp_spi_open(agent_esp_spi_t *s, spi_host_device_t host, int mosi,
                       int miso, int sck, int cs_pin, int hz);

/* ---- GPIO ---- */

typedef struct agent_esp_gpio {
    agent_gpio_t base;
    int nrst_pin;
    int boot0_pin;       /* -1: not wired */
    int64_t nrst_low_us; /* when NRST went low; -1: released */
} agent_esp_gpio_t;

/* The target's control lines to their safe state, in the order of
 * agent_esp_safe_sequence(): BOOT0 low, CS high, then NRST released. Call
 * it first thing in app_main()/setup(), before Wi-Fi and SNTP, so that
 * the STM32 never sits with floating straps while the ESP32 starts.
 * Returns 0 or FOTA_ERR_INVAL (pins unusable: logged with the reason) or
 * a platform code. */
int agent_esp_pins_safe(const agent_esp_pins_t *pins);

/* NRST as open drain, released (high) from the start; BOOT0 (if >= 0)
 * push-pull, low. */
int agent_esp_gpio_open(agent_esp_gpio_t *g, int nrst_pin, int boot0_pin);

/* ---- clock, UTC, log ---- */

typedef struct agent_esp_clock {
    agent_clock_t base;
} agent_esp_clock_t;

void agent_esp_clock_init(agent_esp_clock_t *c);

typedef struct agent_esp_utc {
    agent_utc_t base;
} agent_esp_utc_t;

/* UTC from time(); reports FOTA_ERR_NOENT until SNTP has set a plausible
 * date (anything before 2024 counts as "not set"). */
void agent_esp_utc_init(agent_esp_utc_t *u);

typedef struct agent_esp_log {
    agent_log_t base;
} agent_esp_log_t;

void agent_esp_log_init(agent_esp_log_t *l);

/* ---- HTTP ---- */

#define AGENT_ESP_HTTP_MAX_HDRS 8  /* extra request headers per request */
#define AGENT_ESP_HTTP_HDR_NAME 40 /* longest extra header name + 1 */

typedef struct agent_esp_http {
    agent_http_t base;
    esp_http_client_handle_t client;
    uint32_t default_timeout_ms;
    bool open;
    int status;
    /* Response headers, captured in HTTP_EVENT_ON_HEADER. */
    agent_http_hdrs_t hdrs;
    /* Extra header names set on the last request, removed before the
     * next (the client keeps request headers between requests). */
    char hdr_names[AGENT_ESP_HTTP_MAX_HDRS][AGENT_ESP_HTTP_HDR_NAME];
    size_t n_hdr_names;
} agent_esp_http_t;

/* Create the client (TLS through esp_crt_bundle_attach). base_url is any
 * URL on the endpoint (the client needs one at creation). */
int agent_esp_http_open(agent_esp_http_t *h, const char *base_url,
                        uint32_t timeout_ms);

/* ---- storage ---- */

typedef struct agent_esp_storage {
    agent_storage_t base;
    const esp_partition_t *part;
    nvs_handle_t nvs;
} agent_esp_storage_t;

/* Find the staging data partition by label and open the NVS namespace
 * (nvs_flash_init() must have run). */
int agent_esp_storage_open(agent_esp_storage_t *st, const char *label,
                           const char *nvs_namespace);

/* ---- the gateway's own OTA slots ---- */

typedef struct agent_esp_ota {
    agent_gw_t base;
    const esp_partition_t *part; /* being written */
    esp_ota_handle_t handle;
    bool open;
    uint32_t attempts; /* trial cycles of this boot that proved nothing */
} agent_esp_ota_t;

/* Check that the partition table has the two OTA app slots. Returns 0 or
 * FOTA_ERR_NOSPC (logged). */
int agent_esp_ota_open(agent_esp_ota_t *o);

/* ---- credentials (NVS strings, never in the image) ---- */

typedef struct agent_esp_creds {
    char wifi_ssid[33];  /* key wifi_ssid (required) */
    char wifi_pass[65];  /* key wifi_pass (absent: an open network) */
    char s3_key_id[129]; /* key s3_key_id (required for SigV4) */
    char s3_secret[129]; /* key s3_secret (required for SigV4) */
} agent_esp_creds_t;

/* Read the credentials from namespace ns (nvs_flash_init(), or
 * nvs_flash_secure_init() for an encrypted NVS, must have run). need_s3:
 * the S3 key is required. A missing or unusable required key is logged by
 * name ("fota_cred/s3_secret: credential not provisioned") and returns its
 * FOTA_ERR_*; nothing is erased. */
int agent_esp_creds_load(agent_esp_creds_t *cr, const char *ns, bool need_s3);

/* ---- the bundle ---- */

/* Everything the agent needs, at run time. The strings must stay valid as
 * long as the agent runs (string literals, or static buffers). */
typedef struct agent_esp_cfg {
    const char *endpoint; /* "https://s3.eu-west-1.amazonaws.com" */
    const char *bucket;
    const char *prefix; /* no trailing '/' */
    const char *region;
    const char *access_key; /* NULL or "": anonymous / presigned */
    const char *secret_key;
    bool report;                 /* PUT reports/<device-id>.json (SigV4 only) */
    const char *device_id;       /* NULL or "": esp32-<MAC> */
    const char *sign_pubkey_hex; /* 64 hex digits; NULL or "": none */
    const char *product;         /* product id of images and manifest */
    uint32_t poll_interval_s;
    int spi_host; /* AGENT_ESP_VSPI or AGENT_ESP_HSPI */
    agent_esp_pins_t pins;
    uint32_t spi_hz;
    const char *staging_label; /* data partition for the staged image */
    const char *nvs_namespace; /* progress record */
    /* The gateway updates itself when set: the manifest's gateway target
     * for this product is installed into the other OTA slot. NULL or "":
     * the ESP32 firmware is left alone. */
    const char *gateway_product;
    uint32_t gateway_attempts; /* trial cycles before a rollback (>= 1) */
} agent_esp_cfg_t;

/* Defaults: VSPI at its IO_MUX pins, CS 5, NRST 4, no BOOT0, 8 MHz,
 * partition "fota_stage", NVS namespace "fota", product FOTA_PRODUCT_ID,
 * 300 s polls, anonymous, no gateway self-update (3 trial cycles when it
 * is on). endpoint/bucket/prefix are left NULL. */
void agent_esp_default_cfg(agent_esp_cfg_t *c);

typedef struct agent_esp {
    agent_esp_spi_t spi;
    agent_esp_gpio_t gpio;
    agent_esp_clock_t clock;
    agent_esp_utc_t utc;
    agent_esp_log_t log;
    agent_esp_http_t http;
    agent_esp_storage_t storage;
    agent_proto_t proto;
    agent_update_t update;
    agent_esp_ota_t ota;
    agent_gateway_t gateway;
    bool gateway_on; /* cfg.gateway_product was set */
    char device_id[AGENT_UPDATE_ID_SIZE];
    char base_url[AGENT_UPDATE_URL_SIZE];
    /* Decoded sign_pubkey_hex; the core's cfg points here, so it lives as
     * long as the agent. */
    uint8_t sign_pubkey[FOTA_ED25519_PUB_SIZE];
    agent_esp_creds_t creds; /* agent_esp_start(): read from NVS */
} agent_esp_t;

/* Open every port from cfg and initialise the protocol client and the
 * update flow (which loads the persisted progress record). Wi-Fi, SNTP and
 * nvs_flash_init() are the application's. a is large (~20 KiB): give it
 * static storage. Returns 0 or a negative FOTA_ERR_* (logged). */
int agent_esp_start_cfg(agent_esp_t *a, const agent_esp_cfg_t *cfg);

/* agent_esp_start_cfg() with the Kconfig settings and, for SigV4, the S3
 * key from the credentials namespace (agent_esp_kconfig.c; the component
 * only, not the Arduino library). */
int agent_esp_start(agent_esp_t *a);

/* agent_esp_pins_safe() with the Kconfig pins (component only). */
int agent_esp_pins_safe_kconfig(void);

/* The agent loop, for a FreeRTOS task: one poll cycle, then sleep the
 * delay the core asks for, forever. arg is the started agent_esp_t. */
void agent_esp_task(void *arg);

#endif /* AGENT_ESP_H */
