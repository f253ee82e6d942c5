/*
 * agent_esp_gpio.c - GPIO port: the target's NRST and optional BOOT0, and
 * the safe state of all control lines at start.
 *
 * NRST is bidirectional on the STM32 (its own reset sources pull it low
 * for >= 20 us, and it has an internal pull-up), so the ESP32 drives it
 * open-drain: 0 pulls it low, 1 releases it. A push-pull driver would
 * fight the target's own resets.
 *
 * A low NRST lasts at least AGENT_ESP_NRST_MIN_US whatever the caller's
 * sleep did: the release waits out the rest with esp_rom_delay_us(),
 * measured on esp_timer (vTaskDelay() of one tick can end at once).
 */
#include "agent_esp.h"

#include <string.h>

#include "driver/gpio.h"
#include "esp_log.h"
#include "esp_rom_sys.h"
#include "esp_timer.h"
#include "fota/fota_err.h"

static const char *TAG = "fota";

static int gpio_pin_set(agent_gpio_t *self, unsigned pin, int level)
{
    agent_esp_gpio_t *g = AGENT_CONTAINER_OF(self, agent_esp_gpio_t, base);
    int num;
    esp_err_t err;

    switch (pin) {
    case AGENT_PIN_NRST:
        num = g->nrst_pin;
        break;
    case AGENT_PIN_BOOT0:
        num = g->boot0_pin;
        break;
    default:
        return FOTA_ERR_INVAL;
    }
    if (num < 0)
        return FOTA_ERR_INVAL; /* not wired on this board */
    if (pin == AGENT_PIN_NRST && level && g->nrst_low_us >= 0) {
        uint32_t left = agent_esp_wait_left_us(
            g->nrst_low_us, esp_timer_get_time(), AGENT_ESP_NRST_MIN_US);

        if (left > 0)
            esp_rom_delay_us(left);
    }
    err = gpio_set_level((gpio_num_t)num, level ? 1 : 0);
    if (err != ESP_OK)
        return FOTA_ERR_PLATFORM(err);
    if (pin == AGENT_PIN_NRST)
        g->nrst_low_us = level ? -1 : esp_timer_get_time();
    return 0;
}

static const agent_gpio_ops_t s_gpio_ops = {
    .set = gpio_pin_set,
};

static esp_err_t config_pin(int pin, int mode, int level)
{
    gpio_config_t io;
    esp_err_t err;

    /* Level first: the output latch holds it when the driver turns on. */
    gpio_set_level((gpio_num_t)pin, level);
    memset(&io, 0, sizeof io);
    io.pin_bit_mask = 1ULL << pin;
    io.mode = mode == AGENT_ESP_PIN_OPEN_DRAIN ? GPIO_MODE_INPUT_OUTPUT_OD
                                               : GPIO_MODE_OUTPUT;
    io.pull_up_en = GPIO_PULLUP_DISABLE; /* the STM32 has its own */
    io.pull_down_en = GPIO_PULLDOWN_DISABLE;
    io.intr_type = GPIO_INTR_DISABLE;
    err = gpio_config(&io);
    if (err == ESP_OK)
        err = gpio_set_level((gpio_num_t)pin, level);
    return err;
}

int agent_esp_pins_safe(const agent_esp_pins_t *pins)
{
    agent_esp_pin_step_t steps[AGENT_ESP_SAFE_STEPS];
    const char *role, *why;
    size_t n, i;

    if (agent_esp_pins_check(pins, &role, &why) != 0) {
        ESP_LOGE(TAG, "%s pin: %s; control lines left alone", role, why);
        return FOTA_ERR_INVAL;
    }
    n = agent_esp_safe_sequence(pins, steps);
    for (i = 0; i < n; i++) {
        esp_err_t err = config_pin(steps[i].pin, steps[i].mode, steps[i].level);

        if (err != ESP_OK)
            return FOTA_ERR_PLATFORM(err);
    }
    return 0;
}

int agent_esp_gpio_open(agent_esp_gpio_t *g, int nrst_pin, int boot0_pin)
{
    esp_err_t err;

    memset(g, 0, sizeof *g);
    g->base.ops = &s_gpio_ops;
    g->nrst_pin = nrst_pin;
    g->boot0_pin = boot0_pin;
    g->nrst_low_us = -1;
    if (nrst_pin < 0)
        return FOTA_ERR_INVAL;
    err = config_pin(nrst_pin, AGENT_ESP_PIN_OPEN_DRAIN, 1);
    if (err == ESP_OK && boot0_pin >= 0)
        err = config_pin(boot0_pin, AGENT_ESP_PIN_OUTPUT, 0);
    return err == ESP_OK ? 0 : FOTA_ERR_PLATFORM(err);
}
