/*
 * FotaAgent.h - the update agent for arduino-esp32 3.x sketches.
 *
 * The agent runs in its own FreeRTOS task and uses ESP-IDF's drivers
 * directly (spi_master, gpio, esp_http_client, NVS, a data partition), the
 * same port the ESP-IDF component uses, configured here at run time
 * instead of through Kconfig.
 *
 *     FotaAgentConfig cfg;
 *     fota_agent_default_config(&cfg);     // VSPI pins, NRST 4, 8 MHz
 *     fota_agent_pins_safe(&cfg);          // first thing in setup()
 *     ... WiFi.begin(); wait for WL_CONNECTED ...
 *     cfg.endpoint = "https://s3.eu-west-1.amazonaws.com"; cfg.bucket = ...;
 *     fota_agent_begin(&cfg);              // starts the agent task
 *
 * SPI: the agent owns its SPI host through ESP-IDF's spi_master driver.
 * arduino-esp32's global SPI object drives VSPI (SPI3) on the ESP32, the
 * agent's default host: a sketch that also uses SPI must give the agent
 * HSPI (cfg.spi_host = FOTA_AGENT_HSPI and the HSPI pins, see
 * fota_agent_use_hspi()) or use another SPIClass(HSPI) itself.
 */
#ifndef FOTA_AGENT_ARDUINO_H
#define FOTA_AGENT_ARDUINO_H

#include "agent_esp.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef agent_esp_cfg_t FotaAgentConfig;
typedef agent_esp_creds_t FotaAgentCredentials;

#define FOTA_AGENT_VSPI AGENT_ESP_VSPI
#define FOTA_AGENT_HSPI AGENT_ESP_HSPI

/* Defaults (agent_esp_default_cfg()): VSPI MOSI 23, MISO 19, SCK 18,
 * CS 5, NRST 4, no BOOT0, 8 MHz, partition "fota_stage", NVS "fota". */
void fota_agent_default_config(FotaAgentConfig *cfg);

/* Switch cfg to HSPI and its IO_MUX pins (MOSI 13, MISO 12, SCK 14,
 * CS 15). GPIO 12 is a boot strap of the ESP32: docs/hardware.md. */
void fota_agent_use_hspi(FotaAgentConfig *cfg);

/* NRST/CS/BOOT0 to their safe state (BOOT0 low, CS high, NRST released),
 * before Wi-Fi. Returns 0 or a negative FOTA_ERR_* (logged). */
int fota_agent_pins_safe(const FotaAgentConfig *cfg);

/* The Wi-Fi network and S3 key from the NVS namespace ns (the same
 * layout as the component's, provisioned the same way; need_s3: SigV4). */
int fota_agent_load_credentials(FotaAgentCredentials *cr, const char *ns,
                                bool need_s3);

/* Start the agent with cfg (its strings must stay valid: literals or
 * static buffers) in a task of 12 KiB stack at priority 5 on core 1.
 * Call once, after Wi-Fi is up. Returns 0 or a negative FOTA_ERR_*. */
int fota_agent_begin(const FotaAgentConfig *cfg);

#ifdef __cplusplus
}
#endif

#endif /* FOTA_AGENT_ARDUINO_H */
