/*
 * agent_esp_sys.c - clock (esp_timer + FreeRTOS), UTC (time() set by
 * SNTP) and log (ESP_LOG) ports.
 */
#include "agent_esp.h"

#include <time.h>

#include "esp_log.h"
#include "esp_rom_sys.h"
#include "esp_timer.h"
#include "fota/fota_err.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"

static const char *TAG = "fota";

/* ---- clock ---- */

static uint32_t clock_now_ms(agent_clock_t *self)
{
    (void)self;
    /* esp_timer counts microseconds since boot in 64 bits; the contract
     * wants milliseconds wrapping at 2^32 (only differences are used). */
    return (uint32_t)(esp_timer_get_time() / 1000);
}

static void clock_sleep_ms(agent_clock_t *self, uint32_t ms)
{
    int64_t start = esp_timer_get_time();
    uint32_t left;

    (void)self;
    if (ms == 0)
        return;
    /* "At least ms": vTaskDelay(n) may end after n - 1 periods, so one
     * tick more than ceil(ms / period) (agent_esp_sleep_ticks()). With
     * CONFIG_FREERTOS_HZ=100 a 1 ms sleep lasts 10..20 ms (the example's
     * sdkconfig.defaults sets 1000 Hz: 1..2 ms). What the delay still
     * left short of a protocol-length sleep (up to 1 s; it returns at
     * once when the scheduler is suspended) is waited out on esp_timer. */
    vTaskDelay((TickType_t)agent_esp_sleep_ticks(ms, configTICK_RATE_HZ));
    if (ms > 1000u)
        return;
    while ((left = agent_esp_wait_left_us(start, esp_timer_get_time(),
                                          ms * 1000u)) > 0)
        esp_rom_delay_us(left > 1000u ? 1000u : left);
}

static const agent_clock_ops_t s_clock_ops = {
    .now_ms = clock_now_ms,
    .sleep_ms = clock_sleep_ms,
};

void agent_esp_clock_init(agent_esp_clock_t *c)
{
    c->base.ops = &s_clock_ops;
}

/* ---- UTC ---- */

/* 2024-01-01T00:00:00Z: the RTC starts at 1970 after a power-on, so an
 * earlier date means SNTP has not answered yet. */
#define AGENT_ESP_UTC_MIN 1704067200LL

static int utc_now(agent_utc_t *self, uint64_t *unix_s)
{
    time_t now = time(NULL);

    (void)self;
    if ((long long)now < AGENT_ESP_UTC_MIN)
        return FOTA_ERR_NOENT;
    *unix_s = (uint64_t)now;
    return 0;
}

static const agent_utc_ops_t s_utc_ops = {
    .now = utc_now,
};

void agent_esp_utc_init(agent_esp_utc_t *u)
{
    u->base.ops = &s_utc_ops;
}

/* ---- log ---- */

static void log_write(agent_log_t *self, int level, const char *msg)
{
    (void)self;
    switch (level) {
    case AGENT_LOG_ERROR:
        ESP_LOGE(TAG, "%s", msg);
        break;
    case AGENT_LOG_WARN:
        ESP_LOGW(TAG, "%s", msg);
        break;
    case AGENT_LOG_INFO:
        ESP_LOGI(TAG, "%s", msg);
        break;
    default:
        ESP_LOGD(TAG, "%s", msg);
        break;
    }
}

static const agent_log_ops_t s_log_ops = {
    .write = log_write,
};

void agent_esp_log_init(agent_esp_log_t *l)
{
    l->base.ops = &s_log_ops;
}
