/*
 * main.c - ESP32 update agent for the STM32F407 dual-slot bootloader.
 *
 * Brings up what the agent needs and then runs it: first the target's
 * control lines to their safe state (before anything that can take
 * seconds), NVS (progress record, credentials, Wi-Fi calibration), Wi-Fi
 * in station mode with the network from NVS, SNTP (SigV4 signatures and
 * reports need the UTC time), then the agent task from the fota component
 * (agent/port/esp-idf), which polls S3 and updates the target over SPI.
 * Settings come from `idf.py menuconfig` -> "FOTA update agent"; the
 * Wi-Fi network and the S3 key from NVS (credentials.csv, docs/hardware.md).
 */
#include <string.h>
#include <time.h>

#include "agent_esp.h"
#include "esp_event.h"
#include "esp_idf_version.h"
#include "esp_log.h"
#include "esp_netif.h"
#include "esp_sntp.h"
#include "esp_wifi.h"
#include "fota/fota_config.h"
#include "freertos/FreeRTOS.h"
#include "freertos/event_groups.h"
#include "freertos/task.h"
#include "nvs_flash.h"

static const char *TAG = "main";

#define WIFI_UP_BIT BIT0
#define AGENT_STACK_BYTES 12288 /* SHA-256, SigV4 and the manifest parser */

static EventGroupHandle_t s_net;
static agent_esp_t s_agent; /* ~20 KiB of buffers: static, not the stack */
static agent_esp_creds_t s_creds;

static void on_wifi_event(void *arg, esp_event_base_t base, int32_t id,
                          void *data)
{
    (void)arg;
    (void)data;
    if (base == WIFI_EVENT && id == WIFI_EVENT_STA_START) {
        esp_wifi_connect();
    } else if (base == WIFI_EVENT && id == WIFI_EVENT_STA_DISCONNECTED) {
        /* Keep trying: the agent's own back-off covers the outage. */
        xEventGroupClearBits(s_net, WIFI_UP_BIT);
        esp_wifi_connect();
    } else if (base == IP_EVENT && id == IP_EVENT_STA_GOT_IP) {
        xEventGroupSetBits(s_net, WIFI_UP_BIT);
    }
}

static void wifi_start(void)
{
    wifi_init_config_t init = WIFI_INIT_CONFIG_DEFAULT();
    wifi_config_t sta;

    s_net = xEventGroupCreate();
    ESP_ERROR_CHECK(esp_netif_init());
    ESP_ERROR_CHECK(esp_event_loop_create_default());
    esp_netif_create_default_wifi_sta();
    ESP_ERROR_CHECK(esp_wifi_init(&init));
    ESP_ERROR_CHECK(esp_event_handler_instance_register(
        WIFI_EVENT, ESP_EVENT_ANY_ID, on_wifi_event, NULL, NULL));
    ESP_ERROR_CHECK(esp_event_handler_instance_register(
        IP_EVENT, IP_EVENT_STA_GOT_IP, on_wifi_event, NULL, NULL));

    memset(&sta, 0, sizeof sta);
    /* ssid is 32 bytes and may be unterminated; password 64. */
    memcpy(sta.sta.ssid, s_creds.wifi_ssid, strnlen(s_creds.wifi_ssid, 32));
    memcpy(sta.sta.password, s_creds.wifi_pass, strnlen(s_creds.wifi_pass, 64));
    sta.sta.threshold.authmode =
        s_creds.wifi_pass[0] != '\0' ? WIFI_AUTH_WPA2_PSK : WIFI_AUTH_OPEN;
    ESP_ERROR_CHECK(esp_wifi_set_mode(WIFI_MODE_STA));
    ESP_ERROR_CHECK(esp_wifi_set_config(WIFI_IF_STA, &sta));
    ESP_ERROR_CHECK(esp_wifi_start());
}

static void sntp_start(void)
{
    /* The API was renamed in 5.1 (esp_sntp_*); 5.0 has lwIP's names. */
#if ESP_IDF_VERSION >= ESP_IDF_VERSION_VAL(5, 1, 0)
    esp_sntp_setoperatingmode(ESP_SNTP_OPMODE_POLL);
    esp_sntp_setservername(0, "pool.ntp.org");
    esp_sntp_init();
#else
    sntp_setoperatingmode(SNTP_OPMODE_POLL);
    sntp_setservername(0, "pool.ntp.org");
    sntp_init();
#endif
}

void app_main(void)
{
    esp_err_t err;
    int rc;

    /* Before anything else: the ESP32's reset left NRST/CS/BOOT0 floating. */
    rc = agent_esp_pins_safe_kconfig();
    if (rc < 0)
        ESP_LOGE(TAG, "target control lines: %d (check menuconfig pins)", rc);

    err = nvs_flash_init();
    if (err == ESP_ERR_NVS_NO_FREE_PAGES ||
        err == ESP_ERR_NVS_NEW_VERSION_FOUND) {
        /* Only after a layout change of the NVS partition itself; the
         * agent then starts without a progress record (a fresh poll). */
        ESP_ERROR_CHECK(nvs_flash_erase());
        err = nvs_flash_init();
    }
    ESP_ERROR_CHECK(err);

    rc = agent_esp_creds_load(&s_creds, FOTA_ESP_CRED_NAMESPACE,
                              FOTA_ESP_SIGV4 != 0);
    if (rc < 0) {
        ESP_LOGE(TAG,
                 "no credentials (%d): flash the NVS image made from "
                 "credentials.csv",
                 rc);
        return;
    }
    wifi_start();
    ESP_LOGI(TAG, "waiting for Wi-Fi '%s'", s_creds.wifi_ssid);
    xEventGroupWaitBits(s_net, WIFI_UP_BIT, pdFALSE, pdTRUE, portMAX_DELAY);
    sntp_start();

#if FOTA_ESP_SIGV4
    /* SigV4 requests are refused when the clock is off by > 15 min:
     * wait (bounded) for the first SNTP answer. Anonymous access does not
     * need the time, and the agent reports FOTA_ERR_NOENT itself if it is
     * still unknown later. */
    for (int i = 0; i < 30 && time(NULL) < 1704067200; i++)
        vTaskDelay(pdMS_TO_TICKS(1000));
#endif

    rc = agent_esp_start(&s_agent);
    if (rc < 0) {
        ESP_LOGE(TAG,
                 "agent start failed (%d): check menuconfig and "
                 "partitions.csv",
                 rc);
        return;
    }
    xTaskCreate(agent_esp_task, "fota_agent", AGENT_STACK_BYTES, &s_agent, 5,
                NULL);
}
