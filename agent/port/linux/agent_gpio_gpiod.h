/*
 * agent_gpio_gpiod.h - the agent's GPIO port (agent_port.h) on libgpiod
 * v1.6 (Debian 12), for a Linux host such as a Raspberry Pi wired to the
 * target: NRST (open drain), the optional BOOT0, and the chip-select line
 * the SPI port drives as a plain GPIO (CS doubles as the "stay in the
 * bootloader" strap and must stay low across a reset, which the spidev
 * driver's own CS cannot do).
 *
 * Lines are named "CHIP:OFFSET": "gpiochip0:17" (a chip name, looked up
 * under /dev) or "/dev/gpiochip0:17" (a path).
 *
 * Every libgpiod call goes through an agent_gpiod_sys_t table, so the unit
 * tests substitute a fake below the library boundary and check the exact
 * requests (flags, initial values, set values). NULL selects libgpiod.
 *
 * Host code: may allocate (libgpiod does); one task per instance.
 */
#ifndef AGENT_GPIO_GPIOD_H
#define AGENT_GPIO_GPIOD_H

#include <stdbool.h>

#include "agent_port.h"

struct gpiod_chip;
struct gpiod_line;

/* The libgpiod v1 calls the port uses (same meaning and return values). */
typedef struct agent_gpiod_sys {
    struct gpiod_chip *(*chip_open)(const char *path);
    struct gpiod_chip *(*chip_open_by_name)(const char *name);
    void (*chip_close)(struct gpiod_chip *chip);
    struct gpiod_line *(*chip_get_line)(struct gpiod_chip *chip,
                                        unsigned int offset);
    int (*line_request_output_flags)(struct gpiod_line *line,
                                     const char *consumer, int flags,
                                     int default_val);
    int (*line_set_value)(struct gpiod_line *line, int value);
    void (*line_release)(struct gpiod_line *line);
} agent_gpiod_sys_t;

/* The table that calls libgpiod itself. */
const agent_gpiod_sys_t *agent_gpiod_sys_default(void);

/* One requested output line. */
typedef struct agent_gpiod_line {
    const agent_gpiod_sys_t *sys;
    struct gpiod_chip *chip;
    struct gpiod_line *line;
    int level; /* last level set, for logs and tests */
} agent_gpiod_line_t;

/* Split "CHIP:OFFSET" into chip (copied into chip_buf, cap bytes) and
 * offset. Returns 0 or FOTA_ERR_INVAL (no colon, empty chip, bad or
 * trailing digits, chip name too long). */
int agent_gpiod_parse_spec(const char *spec, char *chip_buf, size_t cap,
                           unsigned *offset);

/* Open the chip of spec and request its line as an output with the given
 * initial level, open-drain when open_drain is set (the kernel emulates
 * open drain on controllers without it by switching the line to input for
 * a high level, which is exactly "released"). consumer names the user in
 * `gpioinfo`. sys NULL = libgpiod. Returns 0, FOTA_ERR_INVAL (bad spec),
 * FOTA_ERR_NOENT (no such chip or line) or FOTA_ERR_PLATFORM(errno). */
int agent_gpiod_line_open(agent_gpiod_line_t *l, const agent_gpiod_sys_t *sys,
                          const char *spec, bool open_drain, int initial,
                          const char *consumer);

/* Set the line to level (0 or 1). Returns 0 or FOTA_ERR_PLATFORM(errno). */
int agent_gpiod_line_set(agent_gpiod_line_t *l, int level);

/* agent_gpiod_line_set() with the signature of agent_spidev_cs_fn
 * (agent_spi_spidev.h): pass it with the CS line as ctx. */
int agent_gpiod_line_set_cb(void *line, int level);

/* Release the line and close its chip (safe on a line never opened or
 * already closed). */
void agent_gpiod_line_close(agent_gpiod_line_t *l);

/* The agent_gpio_t instance: NRST and, when wired, BOOT0. */
typedef struct agent_gpio_gpiod {
    agent_gpio_t base;
    agent_gpiod_line_t nrst;
    agent_gpiod_line_t boot0;
    bool has_boot0;
} agent_gpio_gpiod_t;

/* Request NRST (open drain, released = 1 at first) and, when boot0_spec is
 * non-NULL, BOOT0 (push-pull, 0 at first: boot our bootloader). The pins
 * are never driven in a way that fights the target: NRST is open drain
 * because the STM32 drives it low itself on internal resets.
 * Returns 0 or an agent_gpiod_line_open() error (nothing stays requested). */
int agent_gpio_gpiod_open(agent_gpio_gpiod_t *g, const agent_gpiod_sys_t *sys,
                          const char *nrst_spec, const char *boot0_spec);

/* Release NRST (level 1 first, so the target runs) and BOOT0. */
void agent_gpio_gpiod_close(agent_gpio_gpiod_t *g);

#endif /* AGENT_GPIO_GPIOD_H */
