/*
 * agent_linux_target.h - the three agent ports for a real target on a
 * Linux host, opened together: SPI through spidev, NRST/BOOT0 and the
 * CS strap through libgpiod, the clock on CLOCK_MONOTONIC. This is what
 * `fota flash --spi ...` uses; `fota agent` can open its hardware target
 * the same way. Host code.
 */
#ifndef AGENT_LINUX_TARGET_H
#define AGENT_LINUX_TARGET_H

#include <stdbool.h>
#include <stdint.h>

#include "agent_clock_linux.h"
#include "agent_gpio_gpiod.h"
#include "agent_spi_spidev.h"

typedef struct agent_linux_target_cfg {
    const char *spi_dev; /* "/dev/spidev0.0" */
    const char *nrst;    /* "gpiochip0:17" (open drain) */
    const char *cs;      /* "gpiochip0:8" (CS + update-mode strap) */
    const char *boot0;   /* "gpiochip0:27" or NULL when not wired */
    uint32_t hz;         /* SPI clock */
    bool no_cs;          /* set SPI_NO_CS on the controller */
    /* System-call tables; NULL = the real ones. Tests pass fakes. */
    const agent_spidev_sys_t *spi_sys;
    const agent_gpiod_sys_t *gpiod_sys;
} agent_linux_target_cfg_t;

typedef struct agent_linux_target {
    agent_spi_spidev_t spi;
    agent_gpio_gpiod_t gpio;
    agent_gpiod_line_t cs;
    agent_clock_linux_t clock;
    bool spi_open, gpio_open, cs_open;
} agent_linux_target_t;

/* Open CS (deasserted), NRST (released) and BOOT0 (low), then the SPI
 * device. On failure everything opened so far is closed again and *what
 * names the option that failed ("cs", "nrst", "spi"). Returns 0 or the
 * port's FOTA_ERR_*. Pass &t->spi.base, &t->gpio.base, &t->clock.base to
 * agent_proto_init(). */
int agent_linux_target_open(agent_linux_target_t *t,
                            const agent_linux_target_cfg_t *cfg,
                            const char **what);

/* Release everything: CS high (deasserted), NRST released, BOOT0 low. */
void agent_linux_target_close(agent_linux_target_t *t);

#endif /* AGENT_LINUX_TARGET_H */
