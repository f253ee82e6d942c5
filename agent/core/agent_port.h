/*
 * agent_port.h - what a platform gives the update agent's portable core.
 *
 * One small const table of function pointers per concern (SPI, GPIO,
 * clock, log; HTTP and storage follow the same shape later), each called
 * with the instance it belongs to as `self`. A platform embeds the base
 * struct in its own state and gets back to it with AGENT_CONTAINER_OF, so
 * one build can hold several instances (two targets, a real and a
 * simulated link) and the core needs no globals:
 *
 *     struct esp_spi { agent_spi_t base; spi_device_handle_t dev; };
 *     static int esp_xfer(agent_spi_t *self, ...)
 *     {
 *         struct esp_spi *p = AGENT_CONTAINER_OF(self, struct esp_spi, base);
 *         ...
 *     }
 *
 * Every function returns 0 or a negative FOTA_ERR_* (platform codes mapped
 * with FOTA_ERR_PLATFORM()), never blocks without a deadline, and is called
 * from the agent's single task (not from an ISR).
 */
#ifndef AGENT_PORT_H
#define AGENT_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The struct that contains member `member` (of type T) at address ptr. */
#define AGENT_CONTAINER_OF(ptr, type, member)                                  \
    ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

/* ---- SPI master (mode 0, 8-bit, MSB first) ---------------------------- */

struct agent_spi;

typedef struct agent_spi_ops {
    /* Clock len bytes full duplex: tx[i] goes out while rx[i] comes in.
     * tx may be NULL (clock 0x00 dummies); rx may be NULL (discard). CS is
     * NOT touched: the protocol holds it asserted across many transfers
     * (a frame spans several, and CS low is also the target's "stay in the
     * bootloader" strap), so the port drives CS only through set_cs().
     * timeout_ms bounds the transfer itself (a stuck DMA, a dead bus).
     * Returns 0, FOTA_ERR_TIMEOUT, FOTA_ERR_IO or a platform code. */
    int (*xfer)(struct agent_spi *self, const uint8_t *tx, uint8_t *rx,
                size_t len, uint32_t timeout_ms);
    /* Drive the chip-select line: asserted = electrically low. */
    int (*set_cs)(struct agent_spi *self, bool asserted);
} agent_spi_ops_t;

typedef struct agent_spi {
    const agent_spi_ops_t *ops;
} agent_spi_t;

/* ---- UART (8E1, the AN3155 link to the bootloader or ST's ROM) ----------- */

struct agent_uart;

typedef struct agent_uart_ops {
    /* Send len bytes. Returns 0, FOTA_ERR_TIMEOUT or a platform code. */
    int (*write)(struct agent_uart *self, const uint8_t *tx, size_t len,
                 uint32_t timeout_ms);
    /* Receive up to len bytes, returning when len arrived or timeout_ms
     * passed. Returns the count received (0 on timeout) or a negative
     * FOTA_ERR_*. */
    int (*read)(struct agent_uart *self, uint8_t *rx, size_t len,
                uint32_t timeout_ms);
} agent_uart_ops_t;

typedef struct agent_uart {
    const agent_uart_ops_t *ops;
} agent_uart_t;

/* ---- GPIO towards the target -------------------------------------------- */

/* Target pins the agent may drive. */
enum agent_pin {
    AGENT_PIN_NRST = 0,  /* target reset: open drain, 0 = held in reset */
    AGENT_PIN_BOOT0 = 1, /* ROM-bootloader strap (optional recovery path) */
};

struct agent_gpio;

typedef struct agent_gpio_ops {
    /* Set pin (enum agent_pin) to level 0 (low) or 1 (high; for the
     * open-drain NRST this means released, the target's pull-up wins).
     * Returns 0, FOTA_ERR_INVAL for a pin the board does not wire, or a
     * platform code. */
    int (*set)(struct agent_gpio *self, unsigned pin, int level);
} agent_gpio_ops_t;

typedef struct agent_gpio {
    const agent_gpio_ops_t *ops;
} agent_gpio_t;

/* ---- Clock --------------------------------------------------------------- */

struct agent_clock;

typedef struct agent_clock_ops {
    /* Milliseconds from an arbitrary origin, monotonic, wrapping at 2^32.
     * The core only ever compares differences, so the wrap is harmless. */
    uint32_t (*now_ms)(struct agent_clock *self);
    /* Give up the CPU for at least ms milliseconds. */
    void (*sleep_ms)(struct agent_clock *self, uint32_t ms);
} agent_clock_ops_t;

typedef struct agent_clock {
    const agent_clock_ops_t *ops;
} agent_clock_t;

/* ---- Log (optional: every user accepts a NULL log) ----------------------- */

enum agent_log_level {
    AGENT_LOG_ERROR = 0,
    AGENT_LOG_WARN = 1,
    AGENT_LOG_INFO = 2,
    AGENT_LOG_DEBUG = 3,
};

struct agent_log;

typedef struct agent_log_ops {
    /* One complete message (no trailing newline), level an enum
     * agent_log_level. msg is only valid during the call. */
    void (*write)(struct agent_log *self, int level, const char *msg);
} agent_log_ops_t;

typedef struct agent_log {
    const agent_log_ops_t *ops;
} agent_log_t;

/* Later concerns (HTTP with byte ranges, image staging storage) add their
 * own agent_<concern>_ops_t + agent_<concern>_t pairs here, same shape. */

#endif /* AGENT_PORT_H */
