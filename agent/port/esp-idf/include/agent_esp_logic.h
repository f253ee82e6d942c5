/*
 * agent_esp_logic.h - the decisions of the ESP32 port, as pure functions
 * the host tests (tests/unit/agent/port/esp-idf) run: what an NVS read result means,
 * which pins are usable and in what order they reach a safe state, how
 * long to sleep so that "at least ms" holds, when a long transfer must
 * yield, which IO_MUX pins belong to which SPI host.
 *
 * Nothing here includes an ESP-IDF header: the port translates esp_err_t
 * and driver state into the small enums below, calls these functions and
 * applies the answer. The same file is compiled into the ESP-IDF
 * component, the Arduino library and the host tests.
 */
#ifndef AGENT_ESP_LOGIC_H
#define AGENT_ESP_LOGIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- NVS results ---- */

/* What nvs_get_blob()/nvs_get_str() reported, as the port classifies its
 * esp_err_t: */
enum agent_esp_nvs_status {
    AGENT_ESP_NVS_OK = 0,         /* ESP_OK */
    AGENT_ESP_NVS_NOT_FOUND,      /* ESP_ERR_NVS_NOT_FOUND */
    AGENT_ESP_NVS_INVALID_LENGTH, /* ESP_ERR_NVS_INVALID_LENGTH: the value
                                   * is longer than the buffer */
    AGENT_ESP_NVS_TYPE_MISMATCH,  /* ESP_ERR_NVS_TYPE_MISMATCH */
    AGENT_ESP_NVS_OTHER,          /* anything else (flash fault, ...) */
};

/* What the value is: */
enum agent_esp_nvs_kind {
    AGENT_ESP_NVS_RECORD, /* a progress-record copy the agent wrote itself */
    AGENT_ESP_NVS_CREDENTIAL, /* a provisioned string (Wi-Fi, S3 key) */
};

/* What the port does about it: */
enum agent_esp_nvs_action {
    AGENT_ESP_NVS_USE,       /* the value is good */
    AGENT_ESP_NVS_ABSENT,    /* treat as never written */
    AGENT_ESP_NVS_ERASE_KEY, /* erase the key, log, then treat as absent */
    AGENT_ESP_NVS_REFUSE,    /* stop with the error (names the key) */
};

typedef struct agent_esp_nvs_verdict {
    int action;      /* enum agent_esp_nvs_action */
    int rc;          /* FOTA_ERR_* the port returns (0 for USE) */
    const char *why; /* for the log line; static text */
} agent_esp_nvs_verdict_t;

/* got: the length NVS reported (for blobs: the stored size; for strings:
 * including the terminator); want: the exact size of a record, or the
 * buffer size of a credential. A record of the wrong size (an older
 * layout, a torn write by a foreign tool) is erased and the agent
 * continues without it, as after a fresh install; a credential that is
 * missing, empty, too long or not a string refuses to start (optional
 * ones are the caller's business: it skips the call's verdict for
 * NOT_FOUND). */
agent_esp_nvs_verdict_t agent_esp_nvs_map(int kind, int status, size_t got,
                                          size_t want);

/* ---- pins ---- */

#define AGENT_ESP_PIN_NONE (-1)

typedef struct agent_esp_pins {
    int mosi, miso, sck; /* SPI bus */
    int cs;              /* a GPIO output (also the update-mode strap) */
    int nrst;            /* open drain */
    int boot0;           /* AGENT_ESP_PIN_NONE: not wired */
} agent_esp_pins_t;

/* ESP32 (not S2/S3/C3) pin rules (ESP32 datasheet 2.2 and TRM 4.10):
 * 0..39 exist except 20, 24, 28..31; 34..39 are inputs only; 6..11 are
 * the SPI flash. Returns 0, or FOTA_ERR_INVAL with *role naming the
 * signal ("MOSI", ..., "BOOT0") and *why the rule it breaks (also for two
 * signals on one GPIO); both point to static text. */
int agent_esp_pins_check(const agent_esp_pins_t *p, const char **role,
                         const char **why);

/* One step of a pin set-up: latch level, then switch the pin to mode. */
enum agent_esp_pin_mode {
    AGENT_ESP_PIN_OUTPUT,    /* push-pull */
    AGENT_ESP_PIN_OPEN_DRAIN /* input + open-drain output */
};
typedef struct agent_esp_pin_step {
    int pin;
    int mode; /* enum agent_esp_pin_mode */
    int level;
} agent_esp_pin_step_t;

#define AGENT_ESP_SAFE_STEPS 3

/* The steps that put the target's control lines into the state in which
 * it runs its application undisturbed, in the order they must happen:
 * BOOT0 low (boot from flash), CS high (no update-mode strap, no select),
 * and only then NRST released, so that a target coming out of reset
 * samples both straps already at their safe levels (RM0090 2.4: BOOT0 is
 * latched on the 4th SYSCLK rising edge after reset). Fills up to
 * AGENT_ESP_SAFE_STEPS steps; returns how many. */
size_t agent_esp_safe_sequence(const agent_esp_pins_t *p,
                               agent_esp_pin_step_t out[AGENT_ESP_SAFE_STEPS]);

/* ---- SPI host ---- */

enum agent_esp_spi_host { AGENT_ESP_HSPI = 2, AGENT_ESP_VSPI = 3 };

/* The IO_MUX pins of SPI2 (HSPI) and SPI3 (VSPI) on the ESP32 (TRM 4.10,
 * table "IO_MUX Pin Functions"): with them the bus skips the GPIO matrix.
 * Returns 0 or FOTA_ERR_INVAL for another host. */
int agent_esp_spi_iomux(int host, int *mosi, int *miso, int *sck, int *cs);

/* True when mosi/miso/sck are host's IO_MUX pins. */
bool agent_esp_spi_on_iomux(int host, const agent_esp_pins_t *p);

/* ---- time ---- */

/* FreeRTOS ticks to delay so that at least ms milliseconds pass:
 * vTaskDelay(n) returns after n tick interrupts, the first of which may
 * come at once, so it lasts between n - 1 and n periods; one more than
 * ceil(ms / period). 0 for ms == 0. */
uint32_t agent_esp_sleep_ticks(uint32_t ms, uint32_t tick_hz);

/* Microseconds still to wait until min_us have passed since start_us
 * (both from esp_timer_get_time(); 0 when done). */
uint32_t agent_esp_wait_left_us(int64_t start_us, int64_t now_us,
                                uint32_t min_us);

/* Shortest NRST low time the port produces, whatever sleep_ms(1) does.
 * The STM32F407 takes a low pulse longer than 300 ns as a reset (DS8626,
 * "NRST pin characteristics", V_NF(NRST)); 1 ms leaves margin for the RC
 * of long wires and a slow open-drain rise. */
#define AGENT_ESP_NRST_MIN_US 1000u

/* ---- yielding in long transfers ---- */

/* The longest the agent task runs SPI transfers without blocking: below
 * the task watchdog's 5 s default and short enough that the Arduino
 * loop task and Wi-Fi get the CPU. */
#define AGENT_ESP_YIELD_US 100000u

/* True when more than AGENT_ESP_YIELD_US passed since *last_us (then
 * *last_us = now_us: the caller yields now). */
bool agent_esp_yield_due(int64_t *last_us, int64_t now_us);

#endif /* AGENT_ESP_LOGIC_H */
