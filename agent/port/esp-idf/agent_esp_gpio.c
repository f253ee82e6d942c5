/*
 * agent_esp_gpio.c - GPIO port: the target's NRST and optional BOOT0.
 *
 * NRST is bidirectional on the STM32 (its own reset sources pull it low
 * for >= 20 us, and it has an internal pull-up), so the ESP32 drives it
 * open-drain: 0 pulls it low, 1 releases it. A push-pull driver would
 * fight the target's own resets.
 */
#include "agent_esp.h"

#include <string.h>

#include "driver/gpio.h"
#include "fota/fota_err.h"

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
    err = gpio_set_level((gpio_num_t)num, level ? 1 : 0);
    return err == ESP_OK ? 0 : FOTA_ERR_PLATFORM(err);
}

static const agent_gpio_ops_t s_gpio_ops = {
    .set = gpio_pin_set,
};

static esp_err_t config_pin(int pin, gpio_mode_t mode, int level)
{
    gpio_config_t io;
    esp_err_t err;

    /* Level first: the output latch holds it when the driver turns on. */
    gpio_set_level((gpio_num_t)pin, level);
    memset(&io, 0, sizeof io);
    io.pin_bit_mask = 1ULL << pin;
    io.mode = mode;
    io.pull_up_en = GPIO_PULLUP_DISABLE; /* the STM32 has its own */
    io.pull_down_en = GPIO_PULLDOWN_DISABLE;
    io.intr_type = GPIO_INTR_DISABLE;
    err = gpio_config(&io);
    if (err == ESP_OK)
        err = gpio_set_level((gpio_num_t)pin, level);
    return err;
}

int agent_esp_gpio_open(agent_esp_gpio_t *g, int nrst_pin, int boot0_pin)
{
    esp_err_t err;

    memset(g, 0, sizeof *g);
    g->base.ops = &s_gpio_ops;
    g->nrst_pin = nrst_pin;
    g->boot0_pin = boot0_pin;
    if (nrst_pin < 0)
        return FOTA_ERR_INVAL;
    err = config_pin(nrst_pin, GPIO_MODE_INPUT_OUTPUT_OD, 1);
    if (err == ESP_OK && boot0_pin >= 0)
        err = config_pin(boot0_pin, GPIO_MODE_OUTPUT, 0);
    return err == ESP_OK ? 0 : FOTA_ERR_PLATFORM(err);
}
