/*
 * fota_agent_arduino.c - FotaAgent.h: the ESP-IDF port's bundle started
 * from a sketch. Decisions stay in the core and agent_esp_logic.c.
 */
#include "FotaAgent.h"

#include "esp_log.h"
#include "fota/fota_err.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"

#define FOTA_AGENT_STACK_BYTES 12288 /* SHA-256, SigV4, manifest parser */

static const char *TAG = "fota";
static agent_esp_t s_agent; /* ~20 KiB: static, not on a stack */
static bool s_started;

void fota_agent_default_config(FotaAgentConfig *cfg)
{
    agent_esp_default_cfg(cfg);
}

void fota_agent_use_hspi(FotaAgentConfig *cfg)
{
    cfg->spi_host = AGENT_ESP_HSPI;
    agent_esp_spi_iomux(AGENT_ESP_HSPI, &cfg->pins.mosi, &cfg->pins.miso,
                        &cfg->pins.sck, &cfg->pins.cs);
}

int fota_agent_pins_safe(const FotaAgentConfig *cfg)
{
    return agent_esp_pins_safe(&cfg->pins);
}

int fota_agent_load_credentials(FotaAgentCredentials *cr, const char *ns,
                                bool need_s3)
{
    return agent_esp_creds_load(cr, ns, need_s3);
}

int fota_agent_begin(const FotaAgentConfig *cfg)
{
    int rc;

    if (s_started) {
        ESP_LOGE(TAG, "fota_agent_begin: already running");
        return FOTA_ERR_BUSY;
    }
    rc = agent_esp_start_cfg(&s_agent, cfg);
    if (rc < 0)
        return rc;
    /* Core 1 is where arduino-esp32 runs loop(); the agent blocks often
     * (SPI polls, HTTP), so sharing it costs the sketch little, and core
     * 0 stays with Wi-Fi. */
    if (xTaskCreatePinnedToCore(agent_esp_task, "fota_agent",
                                FOTA_AGENT_STACK_BYTES, &s_agent, 5, NULL,
                                1) != pdPASS)
        return FOTA_ERR_NOMEM;
    s_started = true;
    return 0;
}
