/*
 * agent_esp_logic.c - the ESP32 port's decisions as pure functions (see
 * agent_esp_logic.h). No ESP-IDF header: compiled on the host by the
 * tests as well.
 */
#include "agent_esp_logic.h"

#include "fota/fota_err.h"

agent_esp_nvs_verdict_t agent_esp_nvs_map(int kind, int status, size_t got,
                                          size_t want)
{
    agent_esp_nvs_verdict_t v = {AGENT_ESP_NVS_REFUSE, FOTA_ERR_IO,
                                 "NVS read failed"};
    bool record = kind == AGENT_ESP_NVS_RECORD;

    switch (status) {
    case AGENT_ESP_NVS_OK:
        if (!record || got == want) {
            /* A credential string shorter than its buffer is normal;
             * got counts the terminator, so 1 is the empty string. */
            if (record || (got > 1 && got <= want)) {
                v.action = AGENT_ESP_NVS_USE;
                v.rc = 0;
                v.why = "ok";
                return v;
            }
            v.rc = FOTA_ERR_INVAL;
            v.why = "credential is empty";
            return v;
        }
        v.action = AGENT_ESP_NVS_ERASE_KEY;
        v.rc = FOTA_ERR_NOENT;
        v.why = "record has another size than this version writes";
        return v;
    case AGENT_ESP_NVS_NOT_FOUND:
        if (record) {
            v.action = AGENT_ESP_NVS_ABSENT;
            v.rc = FOTA_ERR_NOENT;
            v.why = "no record yet";
        } else {
            v.rc = FOTA_ERR_NOENT;
            v.why = "credential not provisioned";
        }
        return v;
    case AGENT_ESP_NVS_INVALID_LENGTH:
        if (record) {
            v.action = AGENT_ESP_NVS_ERASE_KEY;
            v.rc = FOTA_ERR_NOENT;
            v.why = "record longer than this version writes";
        } else {
            v.rc = FOTA_ERR_RANGE;
            v.why = "credential longer than its buffer";
        }
        return v;
    case AGENT_ESP_NVS_TYPE_MISMATCH:
        if (record) {
            v.action = AGENT_ESP_NVS_ERASE_KEY;
            v.rc = FOTA_ERR_NOENT;
            v.why = "key holds another type than a blob";
        } else {
            v.rc = FOTA_ERR_INVAL;
            v.why = "credential is not a string";
        }
        return v;
    default:
        return v;
    }
}

/* ---- pins ---- */

/* Why pin cannot carry a signal (output: driven by the ESP32), or NULL. */
static const char *pin_rule(int pin, bool output)
{
    if (pin < 0 || pin > 39 || pin == 20 || pin == 24 ||
        (pin >= 28 && pin <= 31))
        return "no such GPIO on the ESP32";
    if (pin >= 6 && pin <= 11)
        return "GPIO 6-11 belong to the SPI flash";
    if (output && pin >= 34)
        return "GPIO 34-39 are inputs only";
    return NULL;
}

int agent_esp_pins_check(const agent_esp_pins_t *p, const char **role,
                         const char **why)
{
    static const char *const names[6] = {"MOSI", "MISO", "SCK",
                                         "CS",   "NRST", "BOOT0"};
    int pins[6];
    int i, j;

    *role = "pins";
    if (p == NULL) {
        *why = "no pin set";
        return FOTA_ERR_INVAL;
    }
    pins[0] = p->mosi;
    pins[1] = p->miso;
    pins[2] = p->sck;
    pins[3] = p->cs;
    pins[4] = p->nrst;
    pins[5] = p->boot0;
    for (i = 0; i < 6; i++) {
        if (i == 5 && pins[i] == AGENT_ESP_PIN_NONE)
            continue;
        *role = names[i];
        *why = pin_rule(pins[i], i != 1); /* MISO is the only input */
        if (*why != NULL)
            return FOTA_ERR_INVAL;
        for (j = 0; j < i; j++)
            if (pins[j] == pins[i]) {
                *why = "shares its GPIO with another signal";
                return FOTA_ERR_INVAL;
            }
    }
    *role = "pins";
    *why = "ok";
    return 0;
}

size_t agent_esp_safe_sequence(const agent_esp_pins_t *p,
                               agent_esp_pin_step_t out[AGENT_ESP_SAFE_STEPS])
{
    size_t n = 0;

    if (p->boot0 != AGENT_ESP_PIN_NONE) {
        out[n].pin = p->boot0;
        out[n].mode = AGENT_ESP_PIN_OUTPUT;
        out[n].level = 0;
        n++;
    }
    out[n].pin = p->cs;
    out[n].mode = AGENT_ESP_PIN_OUTPUT;
    out[n].level = 1;
    n++;
    out[n].pin = p->nrst;
    out[n].mode = AGENT_ESP_PIN_OPEN_DRAIN;
    out[n].level = 1;
    n++;
    return n;
}

/* ---- SPI host ---- */

int agent_esp_spi_iomux(int host, int *mosi, int *miso, int *sck, int *cs)
{
    switch (host) {
    case AGENT_ESP_HSPI:
        *mosi = 13;
        *miso = 12;
        *sck = 14;
        *cs = 15;
        return 0;
    case AGENT_ESP_VSPI:
        *mosi = 23;
        *miso = 19;
        *sck = 18;
        *cs = 5;
        return 0;
    default:
        return FOTA_ERR_INVAL;
    }
}

bool agent_esp_spi_on_iomux(int host, const agent_esp_pins_t *p)
{
    int mosi, miso, sck, cs;

    if (agent_esp_spi_iomux(host, &mosi, &miso, &sck, &cs) != 0)
        return false;
    return p->mosi == mosi && p->miso == miso && p->sck == sck;
}

/* ---- time ---- */

uint32_t agent_esp_sleep_ticks(uint32_t ms, uint32_t tick_hz)
{
    uint64_t t;

    if (ms == 0)
        return 0;
    if (tick_hz == 0)
        tick_hz = 1;
    t = ((uint64_t)ms * tick_hz + 999u) / 1000u + 1u;
    return t > UINT32_MAX ? UINT32_MAX : (uint32_t)t;
}

uint32_t agent_esp_wait_left_us(int64_t start_us, int64_t now_us,
                                uint32_t min_us)
{
    int64_t passed = now_us - start_us;

    if (passed < 0)
        return min_us; /* a clock that went back: wait the whole time */
    if (passed >= (int64_t)min_us)
        return 0;
    return min_us - (uint32_t)passed;
}

bool agent_esp_yield_due(int64_t *last_us, int64_t now_us)
{
    if (now_us - *last_us < (int64_t)AGENT_ESP_YIELD_US && now_us >= *last_us)
        return false;
    *last_us = now_us;
    return true;
}
