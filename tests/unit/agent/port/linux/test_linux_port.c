/*
 * test_linux_port.c - the Linux agent ports (spidev SPI, libgpiod GPIO,
 * CLOCK_MONOTONIC clock) below their system-call boundary: fakes record
 * every ioctl request and spi_ioc_transfer field, every gpiod request and
 * level, and the clock's conversions and EINTR handling.
 */
#define _DEFAULT_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <gpiod.h>
#include <linux/spi/spidev.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "agent_clock_linux.h"
#include "agent_gpio_gpiod.h"
#include "agent_spi_spidev.h"
#include "fota/fota_err.h"

/* ------------------------------------------------------------------ */
/* spidev fake                                                         */

#define MAX_CALLS 64
#define FAKE_FD 42

typedef struct ioctl_call {
    unsigned long req;
    uint8_t u8;                 /* WR_MODE / WR_BITS_PER_WORD argument */
    uint32_t u32;               /* WR_MAX_SPEED_HZ argument */
    struct spi_ioc_transfer tr; /* SPI_IOC_MESSAGE(1) argument */
    uint8_t tx[8]; /* first bytes the message sent (0xEE when tx_buf 0) */
} ioctl_call_t;

static struct {
    char path[64];
    int flags;
    int open_errno;    /* non-zero: open fails with it */
    int fail_ioctl_at; /* ioctl index that fails (-1: none) */
    int fail_errno;
    int short_at; /* message index that returns fewer bytes */
    ioctl_call_t calls[MAX_CALLS];
    int ncalls;
    int closes;
    int closed_fd;
    int cs_levels[16];
    int ncs;
    int cs_rc;
} s_spi;

static int fake_open(const char *path, int flags)
{
    snprintf(s_spi.path, sizeof s_spi.path, "%s", path);
    s_spi.flags = flags;
    if (s_spi.open_errno != 0) {
        errno = s_spi.open_errno;
        return -1;
    }
    return FAKE_FD;
}

static int fake_ioctl(int fd, unsigned long req, void *arg)
{
    ioctl_call_t *c;
    int idx = s_spi.ncalls;

    assert_int_equal(fd, FAKE_FD);
    assert_true(s_spi.ncalls < MAX_CALLS);
    c = &s_spi.calls[s_spi.ncalls++];
    memset(c, 0, sizeof *c);
    c->req = req;
    if (idx == s_spi.fail_ioctl_at) {
        errno = s_spi.fail_errno;
        return -1;
    }
    if (req == SPI_IOC_WR_MODE || req == SPI_IOC_WR_BITS_PER_WORD) {
        c->u8 = *(uint8_t *)arg;
        return 0;
    }
    if (req == SPI_IOC_WR_MAX_SPEED_HZ) {
        c->u32 = *(uint32_t *)arg;
        return 0;
    }
    if (req == SPI_IOC_MESSAGE(1)) {
        struct spi_ioc_transfer *tr = arg;
        uint8_t *rx = (uint8_t *)(uintptr_t)tr->rx_buf;
        const uint8_t *tx = (const uint8_t *)(uintptr_t)tr->tx_buf;
        uint32_t i;

        c->tr = *tr;
        for (i = 0; i < sizeof c->tx; i++)
            c->tx[i] = (tx != NULL && i < tr->len) ? tx[i] : 0xEE;
        /* The "slave" answers each byte with its index plus 0x30. */
        if (rx != NULL)
            for (i = 0; i < tr->len; i++)
                rx[i] = (uint8_t)(i + 0x30);
        if (idx == s_spi.short_at)
            return (int)tr->len - 1;
        return (int)tr->len;
    }
    fail_msg("unexpected ioctl 0x%lx", req);
    return -1;
}

static int fake_close(int fd)
{
    s_spi.closes++;
    s_spi.closed_fd = fd;
    return 0;
}

static const agent_spidev_sys_t s_fake_spi_sys = {
    .open = fake_open,
    .ioctl = fake_ioctl,
    .close = fake_close,
};

static int fake_cs(void *ctx, int level)
{
    assert_ptr_equal(ctx, &s_spi);
    assert_true(s_spi.ncs < 16);
    s_spi.cs_levels[s_spi.ncs++] = level;
    return s_spi.cs_rc;
}

static int spi_setup(void **state)
{
    (void)state;
    memset(&s_spi, 0, sizeof s_spi);
    s_spi.fail_ioctl_at = -1;
    s_spi.short_at = -1;
    return 0;
}

static void open_ok(agent_spi_spidev_t *s, uint32_t hz, bool no_cs)
{
    assert_int_equal(agent_spi_spidev_open(s, &s_fake_spi_sys, "/dev/spidev0.0",
                                           hz, no_cs, fake_cs, &s_spi),
                     0);
}

static void test_spidev_open_configures_mode0(void **state)
{
    agent_spi_spidev_t s;

    (void)state;
    open_ok(&s, 8000000, false);
    assert_string_equal(s_spi.path, "/dev/spidev0.0");
    assert_int_equal(s_spi.flags & O_ACCMODE, O_RDWR);
    assert_int_equal(s_spi.ncalls, 3);
    assert_int_equal(s_spi.calls[0].req, SPI_IOC_WR_MODE);
    assert_int_equal(s_spi.calls[0].u8, SPI_MODE_0);
    assert_int_equal(s_spi.calls[1].req, SPI_IOC_WR_BITS_PER_WORD);
    assert_int_equal(s_spi.calls[1].u8, 8);
    assert_int_equal(s_spi.calls[2].req, SPI_IOC_WR_MAX_SPEED_HZ);
    assert_int_equal(s_spi.calls[2].u32, 8000000);
    agent_spi_spidev_close(&s);
    assert_int_equal(s_spi.closes, 1);
    assert_int_equal(s_spi.closed_fd, FAKE_FD);
    agent_spi_spidev_close(&s); /* second close is a no-op */
    assert_int_equal(s_spi.closes, 1);
}

static void test_spidev_no_cs_flag(void **state)
{
    agent_spi_spidev_t s;

    (void)state;
    open_ok(&s, 1000000, true);
    assert_int_equal(s_spi.calls[0].u8, SPI_MODE_0 | SPI_NO_CS);
    assert_int_equal(s_spi.calls[2].u32, 1000000);
    agent_spi_spidev_close(&s);
}

static void test_spidev_open_errors(void **state)
{
    agent_spi_spidev_t s;

    (void)state;
    s_spi.open_errno = ENOENT;
    assert_int_equal(agent_spi_spidev_open(&s, &s_fake_spi_sys, "/dev/x",
                                           8000000, false, fake_cs, &s_spi),
                     FOTA_ERR_NOENT);
    assert_int_equal(s_spi.closes, 0);

    spi_setup(NULL);
    s_spi.open_errno = EACCES;
    assert_int_equal(agent_spi_spidev_open(&s, &s_fake_spi_sys, "/dev/x",
                                           8000000, false, fake_cs, &s_spi),
                     FOTA_ERR_PLATFORM(EACCES));

    /* The controller refuses the speed: the device is closed again. */
    spi_setup(NULL);
    s_spi.fail_ioctl_at = 2;
    s_spi.fail_errno = EINVAL;
    assert_int_equal(agent_spi_spidev_open(&s, &s_fake_spi_sys, "/dev/x",
                                           8000000, false, fake_cs, &s_spi),
                     FOTA_ERR_PLATFORM(EINVAL));
    assert_int_equal(s_spi.closes, 1);
    assert_int_equal(s.fd, -1);

    /* Missing arguments never reach the system. */
    spi_setup(NULL);
    assert_int_equal(agent_spi_spidev_open(&s, &s_fake_spi_sys, "/dev/x", 0,
                                           false, fake_cs, &s_spi),
                     FOTA_ERR_INVAL);
    assert_int_equal(agent_spi_spidev_open(&s, &s_fake_spi_sys, "/dev/x",
                                           8000000, false, NULL, NULL),
                     FOTA_ERR_INVAL);
    assert_int_equal(s_spi.ncalls, 0);
}

static void test_spidev_xfer_fields(void **state)
{
    agent_spi_spidev_t s;
    const uint8_t tx[5] = {0x5A, 0x11, 0xEE, 0x00, 0x79};
    uint8_t rx[5];
    const ioctl_call_t *c;

    (void)state;
    open_ok(&s, 4000000, false);
    memset(rx, 0xCC, sizeof rx);
    assert_int_equal(s.base.ops->xfer(&s.base, tx, rx, sizeof tx, 100), 0);
    assert_int_equal(s_spi.ncalls, 4);
    c = &s_spi.calls[3];
    assert_int_equal(c->req, SPI_IOC_MESSAGE(1));
    assert_int_equal(c->tr.len, 5);
    assert_int_equal(c->tr.speed_hz, 4000000);
    assert_int_equal(c->tr.bits_per_word, 8);
    assert_int_equal(c->tr.cs_change, 0);
    assert_int_equal(c->tr.delay_usecs, 0);
    assert_int_equal(c->tr.tx_nbits, 0);
    assert_int_equal(c->tr.rx_nbits, 0);
    assert_int_equal(c->tr.pad, 0);
    assert_ptr_equal((void *)(uintptr_t)c->tr.tx_buf, tx);
    assert_ptr_equal((void *)(uintptr_t)c->tr.rx_buf, rx);
    assert_memory_equal(c->tx, tx, 5);
    assert_int_equal(rx[0], 0x30);
    assert_int_equal(rx[4], 0x34);
    assert_int_equal(s.messages, 1);
    /* The SPI port itself never touches CS during a transfer. */
    assert_int_equal(s_spi.ncs, 0);
    agent_spi_spidev_close(&s);
}

static void test_spidev_null_buffers(void **state)
{
    agent_spi_spidev_t s;
    uint8_t rx[3];

    (void)state;
    open_ok(&s, 8000000, false);
    /* tx NULL: the kernel shifts out zeros (the protocol's dummies). */
    assert_int_equal(s.base.ops->xfer(&s.base, NULL, rx, 3, 100), 0);
    assert_int_equal(s_spi.calls[3].tr.tx_buf, 0);
    assert_ptr_equal((void *)(uintptr_t)s_spi.calls[3].tr.rx_buf, rx);
    /* rx NULL: discarded. */
    assert_int_equal(s.base.ops->xfer(&s.base, rx, NULL, 3, 100), 0);
    assert_int_equal(s_spi.calls[4].tr.rx_buf, 0);
    assert_int_equal(s_spi.calls[4].tr.len, 3);
    agent_spi_spidev_close(&s);
}

static void test_spidev_splits_long_transfers(void **state)
{
    agent_spi_spidev_t s;
    static uint8_t tx[AGENT_SPIDEV_MAX_XFER * 2 + 10];
    static uint8_t rx[sizeof tx];

    (void)state;
    open_ok(&s, 8000000, false);
    assert_int_equal(s.base.ops->xfer(&s.base, tx, rx, sizeof tx, 100), 0);
    assert_int_equal(s_spi.ncalls, 3 + 3);
    assert_int_equal(s_spi.calls[3].tr.len, AGENT_SPIDEV_MAX_XFER);
    assert_int_equal(s_spi.calls[4].tr.len, AGENT_SPIDEV_MAX_XFER);
    assert_int_equal(s_spi.calls[5].tr.len, 10);
    assert_ptr_equal((void *)(uintptr_t)s_spi.calls[4].tr.tx_buf,
                     tx + AGENT_SPIDEV_MAX_XFER);
    assert_ptr_equal((void *)(uintptr_t)s_spi.calls[5].tr.rx_buf,
                     rx + 2 * AGENT_SPIDEV_MAX_XFER);
    assert_int_equal(s.bytes, sizeof tx);
    agent_spi_spidev_close(&s);
}

static void test_spidev_xfer_errors(void **state)
{
    agent_spi_spidev_t s;
    uint8_t buf[4] = {0};

    (void)state;
    open_ok(&s, 8000000, false);
    s_spi.fail_ioctl_at = 3;
    s_spi.fail_errno = ETIMEDOUT;
    assert_int_equal(s.base.ops->xfer(&s.base, buf, buf, 4, 100),
                     FOTA_ERR_TIMEOUT);
    s_spi.fail_ioctl_at = 4;
    s_spi.fail_errno = EIO;
    assert_int_equal(s.base.ops->xfer(&s.base, buf, buf, 4, 100),
                     FOTA_ERR_PLATFORM(EIO));
    s_spi.short_at = 5;
    assert_int_equal(s.base.ops->xfer(&s.base, buf, buf, 4, 100), FOTA_ERR_IO);
    agent_spi_spidev_close(&s);
    assert_int_equal(s.base.ops->xfer(&s.base, buf, buf, 4, 100),
                     FOTA_ERR_INVAL);
}

static void test_spidev_cs_levels(void **state)
{
    agent_spi_spidev_t s;

    (void)state;
    open_ok(&s, 8000000, false);
    assert_int_equal(s.base.ops->set_cs(&s.base, true), 0);
    assert_int_equal(s.base.ops->set_cs(&s.base, false), 0);
    assert_int_equal(s_spi.ncs, 2);
    assert_int_equal(s_spi.cs_levels[0], 0); /* asserted = low */
    assert_int_equal(s_spi.cs_levels[1], 1);
    s_spi.cs_rc = FOTA_ERR_PLATFORM(EBUSY);
    assert_int_equal(s.base.ops->set_cs(&s.base, true),
                     FOTA_ERR_PLATFORM(EBUSY));
    agent_spi_spidev_close(&s);
}

/* ------------------------------------------------------------------ */
/* libgpiod fake                                                       */

struct gpiod_chip {
    char name[64];
    int open;
};

struct gpiod_line {
    unsigned offset;
    int requested;
    int flags;
    char consumer[32];
    int value;
    int sets;
    int released;
};

static struct {
    struct gpiod_chip chips[4];
    int nchips;
    int by_path; /* opens by path */
    int by_name; /* opens by name */
    int closes;
    struct gpiod_line lines[4];
    int nlines;
    unsigned max_offset; /* offsets above it do not exist */
    int fail_request_errno;
    int fail_set_errno;
    const char *missing_chip;
} s_gp;

static struct gpiod_chip *fake_chip_get(const char *name)
{
    struct gpiod_chip *c;

    if (s_gp.missing_chip != NULL && strcmp(name, s_gp.missing_chip) == 0) {
        errno = ENOENT;
        return NULL;
    }
    assert_true(s_gp.nchips < 4);
    c = &s_gp.chips[s_gp.nchips++];
    snprintf(c->name, sizeof c->name, "%s", name);
    c->open = 1;
    return c;
}

static struct gpiod_chip *fake_chip_open(const char *path)
{
    s_gp.by_path++;
    return fake_chip_get(path);
}

static struct gpiod_chip *fake_chip_open_by_name(const char *name)
{
    s_gp.by_name++;
    return fake_chip_get(name);
}

static void fake_chip_close(struct gpiod_chip *c)
{
    assert_int_equal(c->open, 1);
    c->open = 0;
    s_gp.closes++;
}

static struct gpiod_line *fake_get_line(struct gpiod_chip *c, unsigned off)
{
    struct gpiod_line *l;

    assert_int_equal(c->open, 1);
    if (off > s_gp.max_offset) {
        errno = EINVAL;
        return NULL;
    }
    assert_true(s_gp.nlines < 4);
    l = &s_gp.lines[s_gp.nlines++];
    memset(l, 0, sizeof *l);
    l->offset = off;
    l->value = -1;
    return l;
}

static int fake_request(struct gpiod_line *l, const char *consumer, int flags,
                        int def)
{
    if (s_gp.fail_request_errno != 0) {
        errno = s_gp.fail_request_errno;
        return -1;
    }
    l->requested = 1;
    l->flags = flags;
    l->value = def;
    snprintf(l->consumer, sizeof l->consumer, "%s", consumer);
    return 0;
}

static int fake_set(struct gpiod_line *l, int v)
{
    assert_int_equal(l->requested, 1);
    if (s_gp.fail_set_errno != 0) {
        errno = s_gp.fail_set_errno;
        return -1;
    }
    l->value = v;
    l->sets++;
    return 0;
}

static void fake_release(struct gpiod_line *l)
{
    assert_int_equal(l->requested, 1);
    l->requested = 0;
    l->released = 1;
}

static const agent_gpiod_sys_t s_fake_gpiod = {
    .chip_open = fake_chip_open,
    .chip_open_by_name = fake_chip_open_by_name,
    .chip_close = fake_chip_close,
    .chip_get_line = fake_get_line,
    .line_request_output_flags = fake_request,
    .line_set_value = fake_set,
    .line_release = fake_release,
};

static int gp_setup(void **state)
{
    (void)state;
    memset(&s_gp, 0, sizeof s_gp);
    s_gp.max_offset = 53;
    return 0;
}

static void test_gpiod_parse_spec(void **state)
{
    char chip[32];
    unsigned off = 99;

    (void)state;
    assert_int_equal(
        agent_gpiod_parse_spec("gpiochip0:17", chip, sizeof chip, &off), 0);
    assert_string_equal(chip, "gpiochip0");
    assert_int_equal(off, 17);
    assert_int_equal(
        agent_gpiod_parse_spec("/dev/gpiochip1:0", chip, sizeof chip, &off), 0);
    assert_string_equal(chip, "/dev/gpiochip1");
    assert_int_equal(off, 0);
    assert_int_equal(
        agent_gpiod_parse_spec("gpiochip0", chip, sizeof chip, &off),
        FOTA_ERR_INVAL);
    assert_int_equal(agent_gpiod_parse_spec(":17", chip, sizeof chip, &off),
                     FOTA_ERR_INVAL);
    assert_int_equal(
        agent_gpiod_parse_spec("gpiochip0:", chip, sizeof chip, &off),
        FOTA_ERR_INVAL);
    assert_int_equal(
        agent_gpiod_parse_spec("gpiochip0:1x", chip, sizeof chip, &off),
        FOTA_ERR_INVAL);
    assert_int_equal(
        agent_gpiod_parse_spec("gpiochip0:-1", chip, sizeof chip, &off),
        FOTA_ERR_INVAL);
    assert_int_equal(
        agent_gpiod_parse_spec("gpiochip0:99999999", chip, sizeof chip, &off),
        FOTA_ERR_INVAL);
    assert_int_equal(
        agent_gpiod_parse_spec("averyveryverylongchipname:1", chip, 8, &off),
        FOTA_ERR_INVAL);
}

static void test_gpiod_nrst_open_drain_released(void **state)
{
    agent_gpio_gpiod_t g;
    struct gpiod_line *nrst;

    (void)state;
    assert_int_equal(
        agent_gpio_gpiod_open(&g, &s_fake_gpiod, "gpiochip0:17", NULL), 0);
    assert_int_equal(s_gp.by_name, 1);
    assert_string_equal(s_gp.chips[0].name, "gpiochip0");
    nrst = &s_gp.lines[0];
    assert_int_equal(nrst->offset, 17);
    /* Open drain, and released (high) from the request on: opening the
     * port must neither reset the target nor ever drive NRST high. */
    assert_int_equal(nrst->flags, GPIOD_LINE_REQUEST_FLAG_OPEN_DRAIN);
    assert_int_equal(nrst->value, 1);
    assert_int_equal(nrst->sets, 0);

    assert_int_equal(g.base.ops->set(&g.base, AGENT_PIN_NRST, 0), 0);
    assert_int_equal(nrst->value, 0);
    assert_int_equal(g.base.ops->set(&g.base, AGENT_PIN_NRST, 1), 0);
    assert_int_equal(nrst->value, 1);
    assert_int_equal(nrst->sets, 2);
    /* BOOT0 not wired, unknown pins refused. */
    assert_int_equal(g.base.ops->set(&g.base, AGENT_PIN_BOOT0, 1),
                     FOTA_ERR_INVAL);
    assert_int_equal(g.base.ops->set(&g.base, 7, 1), FOTA_ERR_INVAL);

    /* Closing leaves NRST released. */
    assert_int_equal(g.base.ops->set(&g.base, AGENT_PIN_NRST, 0), 0);
    agent_gpio_gpiod_close(&g);
    assert_int_equal(nrst->value, 1);
    assert_int_equal(nrst->released, 1);
    assert_int_equal(s_gp.closes, 1);
}

static void test_gpiod_boot0_push_pull_low(void **state)
{
    agent_gpio_gpiod_t g;
    struct gpiod_line *boot0;

    (void)state;
    assert_int_equal(agent_gpio_gpiod_open(&g, &s_fake_gpiod, "gpiochip0:17",
                                           "/dev/gpiochip0:27"),
                     0);
    assert_int_equal(s_gp.by_path, 1);
    boot0 = &s_gp.lines[1];
    assert_int_equal(boot0->offset, 27);
    assert_int_equal(boot0->flags, 0);
    assert_int_equal(boot0->value, 0);
    assert_int_equal(g.base.ops->set(&g.base, AGENT_PIN_BOOT0, 1), 0);
    assert_int_equal(boot0->value, 1);
    agent_gpio_gpiod_close(&g);
    assert_int_equal(boot0->value, 0);
    assert_int_equal(boot0->released, 1);
    assert_int_equal(s_gp.closes, 2);
}

static void test_gpiod_open_failures_release_everything(void **state)
{
    agent_gpio_gpiod_t g;
    agent_gpiod_line_t l;

    (void)state;
    /* No such chip. */
    s_gp.missing_chip = "gpiochip9";
    assert_int_equal(
        agent_gpio_gpiod_open(&g, &s_fake_gpiod, "gpiochip9:1", NULL),
        FOTA_ERR_NOENT);
    /* No such line: the chip is closed again. */
    gp_setup(NULL);
    assert_int_equal(
        agent_gpiod_line_open(&l, &s_fake_gpiod, "gpiochip0:60", true, 1, "t"),
        FOTA_ERR_NOENT);
    assert_int_equal(s_gp.closes, 1);
    /* BOOT0 fails after NRST was requested: NRST is released again. */
    gp_setup(NULL);
    s_gp.missing_chip = "gpiochip1";
    assert_int_equal(
        agent_gpio_gpiod_open(&g, &s_fake_gpiod, "gpiochip0:17", "gpiochip1:3"),
        FOTA_ERR_NOENT);
    assert_int_equal(s_gp.lines[0].released, 1);
    assert_int_equal(s_gp.closes, 1);
    /* The line is busy (another consumer). */
    gp_setup(NULL);
    s_gp.fail_request_errno = EBUSY;
    assert_int_equal(
        agent_gpiod_line_open(&l, &s_fake_gpiod, "gpiochip0:8", false, 1, "t"),
        FOTA_ERR_PLATFORM(EBUSY));
    assert_int_equal(s_gp.closes, 1);
    assert_int_equal(s_gp.lines[0].released, 0); /* never requested */
    /* Bad spec touches nothing. */
    gp_setup(NULL);
    assert_int_equal(
        agent_gpiod_line_open(&l, &s_fake_gpiod, "8", false, 1, "t"),
        FOTA_ERR_INVAL);
    assert_int_equal(s_gp.nchips, 0);
}

static void test_gpiod_cs_line_drives_spi_cs(void **state)
{
    agent_gpiod_line_t cs;
    agent_spi_spidev_t s;

    (void)state;
    spi_setup(NULL);
    assert_int_equal(agent_gpiod_line_open(&cs, &s_fake_gpiod, "gpiochip0:8",
                                           false, 1, "fota-cs"),
                     0);
    assert_string_equal(s_gp.lines[0].consumer, "fota-cs");
    assert_int_equal(s_gp.lines[0].value, 1); /* deasserted at first */
    assert_int_equal(agent_spi_spidev_open(&s, &s_fake_spi_sys,
                                           "/dev/spidev0.0", 8000000, false,
                                           agent_gpiod_line_set_cb, &cs),
                     0);
    assert_int_equal(s.base.ops->set_cs(&s.base, true), 0);
    assert_int_equal(s_gp.lines[0].value, 0);
    assert_int_equal(s.base.ops->set_cs(&s.base, false), 0);
    assert_int_equal(s_gp.lines[0].value, 1);
    s_gp.fail_set_errno = EIO;
    assert_int_equal(s.base.ops->set_cs(&s.base, true), FOTA_ERR_PLATFORM(EIO));
    agent_spi_spidev_close(&s);
    agent_gpiod_line_close(&cs);
    assert_int_equal(s_gp.lines[0].released, 1);
}

/* ------------------------------------------------------------------ */
/* clock fake                                                          */

static struct {
    struct timespec now;
    struct timespec slept[8];
    int nsleeps;
    int eintr; /* nanosleep calls that are interrupted */
} s_clk;

static int fake_monotonic(struct timespec *ts)
{
    *ts = s_clk.now;
    return 0;
}

static int fake_nanosleep(const struct timespec *req, struct timespec *rem)
{
    assert_true(s_clk.nsleeps < 8);
    s_clk.slept[s_clk.nsleeps++] = *req;
    if (s_clk.eintr > 0) {
        s_clk.eintr--;
        /* Interrupted half way. */
        rem->tv_sec = req->tv_sec / 2;
        rem->tv_nsec = req->tv_nsec / 2;
        errno = EINTR;
        return -1;
    }
    return 0;
}

static const agent_clock_linux_sys_t s_fake_clk = {
    .monotonic = fake_monotonic,
    .nanosleep = fake_nanosleep,
};

static void test_clock_now_ms(void **state)
{
    agent_clock_linux_t c;

    (void)state;
    memset(&s_clk, 0, sizeof s_clk);
    agent_clock_linux_init(&c, &s_fake_clk);
    s_clk.now.tv_sec = 12;
    s_clk.now.tv_nsec = 345999999;
    assert_int_equal(c.base.ops->now_ms(&c.base), 12345u);
    /* Past 2^32 ms the value wraps (the core compares differences). */
    s_clk.now.tv_sec = 4294968; /* 4294968000 ms = 2^32 + 704 */
    s_clk.now.tv_nsec = 1000000;
    assert_int_equal(c.base.ops->now_ms(&c.base), 705u);
}

static void test_clock_sleep_resumes_after_signal(void **state)
{
    agent_clock_linux_t c;

    (void)state;
    memset(&s_clk, 0, sizeof s_clk);
    agent_clock_linux_init(&c, &s_fake_clk);
    c.base.ops->sleep_ms(&c.base, 2500);
    assert_int_equal(s_clk.nsleeps, 1);
    assert_int_equal(s_clk.slept[0].tv_sec, 2);
    assert_int_equal(s_clk.slept[0].tv_nsec, 500000000L);

    s_clk.nsleeps = 0;
    s_clk.eintr = 2;
    c.base.ops->sleep_ms(&c.base, 3000);
    assert_int_equal(s_clk.nsleeps, 3);
    assert_int_equal(s_clk.slept[1].tv_sec,
                     1); /* the remainder the signal left */
    assert_int_equal(s_clk.slept[2].tv_sec, 0);
}

static void test_clock_real_is_monotonic(void **state)
{
    agent_clock_linux_t c;
    uint32_t t0;
    uint32_t t1;

    (void)state;
    agent_clock_linux_init(&c, NULL);
    t0 = c.base.ops->now_ms(&c.base);
    c.base.ops->sleep_ms(&c.base, 5);
    t1 = c.base.ops->now_ms(&c.base);
    assert_true(t1 - t0 >= 5);
    assert_true(t1 - t0 < 5000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_spidev_open_configures_mode0, spi_setup),
        cmocka_unit_test_setup(test_spidev_no_cs_flag, spi_setup),
        cmocka_unit_test_setup(test_spidev_open_errors, spi_setup),
        cmocka_unit_test_setup(test_spidev_xfer_fields, spi_setup),
        cmocka_unit_test_setup(test_spidev_null_buffers, spi_setup),
        cmocka_unit_test_setup(test_spidev_splits_long_transfers, spi_setup),
        cmocka_unit_test_setup(test_spidev_xfer_errors, spi_setup),
        cmocka_unit_test_setup(test_spidev_cs_levels, spi_setup),
        cmocka_unit_test_setup(test_gpiod_parse_spec, gp_setup),
        cmocka_unit_test_setup(test_gpiod_nrst_open_drain_released, gp_setup),
        cmocka_unit_test_setup(test_gpiod_boot0_push_pull_low, gp_setup),
        cmocka_unit_test_setup(test_gpiod_open_failures_release_everything,
                               gp_setup),
        cmocka_unit_test_setup(test_gpiod_cs_line_drives_spi_cs, gp_setup),
        cmocka_unit_test(test_clock_now_ms),
        cmocka_unit_test(test_clock_sleep_resumes_after_signal),
        cmocka_unit_test(test_clock_real_is_monotonic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
