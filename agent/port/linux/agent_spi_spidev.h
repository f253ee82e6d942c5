/*
 * agent_spi_spidev.h - the agent's SPI port (agent_port.h) on the Linux
 * spidev driver (/dev/spidevB.C), e.g. a Raspberry Pi's SPI0 wired to the
 * STM32's SPI1.
 *
 * Mode 0, 8 bits per word, MSB first, at a configured clock. Each xfer()
 * is one SPI_IOC_MESSAGE of at most AGENT_SPIDEV_MAX_XFER bytes per
 * segment (spidev's default bufsiz is 4096). Chip select is NOT the
 * controller's: the protocol keeps CS low across many transfers and across
 * the target's reset (it is the "stay in the bootloader" strap), which a
 * spidev message cannot express, so set_cs() calls a callback that drives
 * a GPIO (agent_gpiod_line_set() in `fota flash`). On a Raspberry Pi, load
 * SPI0 with `dtoverlay=spi0-0cs` so that GPIO 8 (CE0) is free for that.
 *
 * The system calls (open, ioctl, close) go through an agent_spidev_sys_t
 * table so the unit tests check the exact ioctl requests and the fields
 * of every struct spi_ioc_transfer. NULL selects the real calls.
 *
 * spidev transfers cannot be cancelled: timeout_ms is not enforced by the
 * port; the controller driver bounds each message itself (a dead bus still
 * clocks), and an ETIMEDOUT from it is returned as FOTA_ERR_TIMEOUT.
 */
#ifndef AGENT_SPI_SPIDEV_H
#define AGENT_SPI_SPIDEV_H

#include <stdbool.h>
#include <stdint.h>

#include "agent_port.h"

/* Largest segment of one SPI_IOC_MESSAGE (spidev's default bufsiz). */
#define AGENT_SPIDEV_MAX_XFER 4096u

/* The system calls the port makes (same meaning and return values). */
typedef struct agent_spidev_sys {
    int (*open)(const char *path, int flags);
    int (*ioctl)(int fd, unsigned long request, void *arg);
    int (*close)(int fd);
} agent_spidev_sys_t;

/* The table that makes the real system calls. */
const agent_spidev_sys_t *agent_spidev_sys_default(void);

/* Drives the chip-select line: level 0 = asserted. Returns 0 or a FOTA_ERR. */
typedef int (*agent_spidev_cs_fn)(void *ctx, int level);

typedef struct agent_spi_spidev {
    agent_spi_t base;
    const agent_spidev_sys_t *sys;
    int fd;
    uint32_t hz;
    agent_spidev_cs_fn cs;
    void *cs_ctx;
    /* Statistics. */
    uint32_t messages;
    uint64_t bytes;
} agent_spi_spidev_t;

/* Open path (O_RDWR), set mode 0 (plus SPI_NO_CS when no_cs: for
 * controllers that would otherwise toggle their own CS pin), 8 bits per
 * word and hz as the maximum clock; cs drives the chip select (required).
 * sys NULL = real system calls. Returns 0, FOTA_ERR_INVAL,
 * FOTA_ERR_NOENT (no such device) or FOTA_ERR_PLATFORM(errno) (the device
 * is closed again on failure). */
int agent_spi_spidev_open(agent_spi_spidev_t *s, const agent_spidev_sys_t *sys,
                          const char *path, uint32_t hz, bool no_cs,
                          agent_spidev_cs_fn cs, void *cs_ctx);

/* Close the device (safe when not open). CS is left as it is. */
void agent_spi_spidev_close(agent_spi_spidev_t *s);

#endif /* AGENT_SPI_SPIDEV_H */
