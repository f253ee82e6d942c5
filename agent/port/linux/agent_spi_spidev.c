/*
 * agent_spi_spidev.c - SPI port on Linux spidev (see agent_spi_spidev.h).
 */
#define _DEFAULT_SOURCE

#include "agent_spi_spidev.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/spi/spidev.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "fota/fota_err.h"

static int sys_open(const char *path, int flags)
{
    return open(path, flags);
}

static int sys_ioctl(int fd, unsigned long request, void *arg)
{
    return ioctl(fd, request, arg);
}

static int sys_close(int fd)
{
    return close(fd);
}

static const agent_spidev_sys_t s_sys = {
    .open = sys_open,
    .ioctl = sys_ioctl,
    .close = sys_close,
};

const agent_spidev_sys_t *agent_spidev_sys_default(void)
{
    return &s_sys;
}

static int errno_to_err(int e)
{
    if (e == ENOENT || e == ENODEV)
        return FOTA_ERR_NOENT;
    if (e == ETIMEDOUT)
        return FOTA_ERR_TIMEOUT;
    if (e == 0)
        return FOTA_ERR_IO;
    return FOTA_ERR_PLATFORM(e);
}

static int spidev_xfer(agent_spi_t *self, const uint8_t *tx, uint8_t *rx,
                       size_t len, uint32_t timeout_ms)
{
    agent_spi_spidev_t *s = AGENT_CONTAINER_OF(self, agent_spi_spidev_t, base);
    size_t done = 0;

    (void)timeout_ms; /* see the header: the kernel bounds the message */
    if (s->fd < 0)
        return FOTA_ERR_INVAL;
    while (done < len) {
        struct spi_ioc_transfer tr;
        size_t n = len - done;
        int rc;

        if (n > AGENT_SPIDEV_MAX_XFER)
            n = AGENT_SPIDEV_MAX_XFER;
        memset(&tr, 0, sizeof tr); /* unused fields (pad, nbits) must be 0 */
        /* A NULL tx buffer makes the SPI core shift out zeros, which are
         * the protocol's dummy bytes; a NULL rx buffer discards. */
        tr.tx_buf = tx != NULL ? (uint64_t)(uintptr_t)(tx + done) : 0;
        tr.rx_buf = rx != NULL ? (uint64_t)(uintptr_t)(rx + done) : 0;
        tr.len = (uint32_t)n;
        tr.speed_hz = s->hz;
        tr.bits_per_word = 8;
        tr.delay_usecs = 0;
        tr.cs_change = 0;
        errno = 0;
        rc = s->sys->ioctl(s->fd, SPI_IOC_MESSAGE(1), &tr);
        if (rc < 0)
            return errno_to_err(errno);
        if ((size_t)rc != n)
            return FOTA_ERR_IO; /* short message: the bus did not clock it all */
        s->messages++;
        s->bytes += n;
        done += n;
    }
    return 0;
}

static int spidev_set_cs(agent_spi_t *self, bool asserted)
{
    agent_spi_spidev_t *s = AGENT_CONTAINER_OF(self, agent_spi_spidev_t, base);

    return s->cs(s->cs_ctx, asserted ? 0 : 1);
}

static const agent_spi_ops_t s_spi_ops = {
    .xfer = spidev_xfer,
    .set_cs = spidev_set_cs,
};

int agent_spi_spidev_open(agent_spi_spidev_t *s, const agent_spidev_sys_t *sys,
                          const char *path, uint32_t hz, bool no_cs,
                          agent_spidev_cs_fn cs, void *cs_ctx)
{
    uint8_t mode = SPI_MODE_0;
    uint8_t bits = 8;
    uint32_t speed = hz;
    int rc;

    if (s == NULL || path == NULL || hz == 0 || cs == NULL)
        return FOTA_ERR_INVAL;
    memset(s, 0, sizeof *s);
    s->base.ops = &s_spi_ops;
    s->sys = sys != NULL ? sys : &s_sys;
    s->hz = hz;
    s->cs = cs;
    s->cs_ctx = cs_ctx;
    if (no_cs)
        mode |= SPI_NO_CS;

    errno = 0;
    s->fd = s->sys->open(path, O_RDWR | O_CLOEXEC);
    if (s->fd < 0) {
        rc = errno_to_err(errno);
        goto out;
    }
    /* SPI_IOC_WR_MODE takes one byte: mode 0 = CPOL 0, CPHA 0, which is
     * what the target's SPI1 slave is configured for. MSB first is the
     * default (SPI_LSB_FIRST not set). */
    errno = 0;
    if (s->sys->ioctl(s->fd, SPI_IOC_WR_MODE, &mode) < 0 ||
        s->sys->ioctl(s->fd, SPI_IOC_WR_BITS_PER_WORD, &bits) < 0 ||
        s->sys->ioctl(s->fd, SPI_IOC_WR_MAX_SPEED_HZ, &speed) < 0) {
        rc = errno_to_err(errno);
        goto out;
    }
    rc = 0;
out:
    if (rc < 0 && s->fd >= 0) {
        (void)s->sys->close(s->fd);
        s->fd = -1;
    }
    if (rc < 0)
        s->fd = -1;
    return rc;
}

void agent_spi_spidev_close(agent_spi_spidev_t *s)
{
    if (s == NULL || s->sys == NULL || s->fd < 0)
        return;
    (void)s->sys->close(s->fd);
    s->fd = -1;
}
