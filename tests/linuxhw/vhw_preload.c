/*
 * vhw_preload.c - the Linux kernel's spidev and GPIO character devices,
 * as seen by an unchanged `fota flash --spi ...` or `fota agent --spi ...`,
 * wired to a running `fota board` (the real bootloader and application on
 * the virtual STM32F407). Loaded with LD_PRELOAD, it stands in for the
 * kernel below the system-call boundary of the Linux port:
 *
 *  - open()/ioctl()/close() on the spidev path: SPI_IOC_WR_MODE,
 *    _BITS_PER_WORD and _MAX_SPEED_HZ (and their reads) as the kernel
 *    keeps them; SPI_IOC_MESSAGE(n) with spidev's rules (the whole message
 *    at most bufsiz = 4096 bytes or EMSGSIZE, a NULL tx_buf sends zeros,
 *    per-transfer speed_hz and bits_per_word, delay_usecs after a
 *    transfer, the return value is the byte count). Each transfer goes to
 *    the board as one SPI transaction at its clock rate.
 *  - libgpiod v1 (gpiod_chip_open*, gpiod_chip_get_line,
 *    gpiod_line_request_output_flags, gpiod_line_set_value, ...) on one
 *    named chip whose line offsets are wired to the board's NRST, PA4
 *    (CS / update-mode strap) and BOOT0.
 *  - the clock: once the board is connected, CLOCK_MONOTONIC (and
 *    _RAW, _BOOTTIME) and nanosleep()/clock_nanosleep() on them follow
 *    the board's simulated time on the thread that connected it, as time
 *    follows the guest in any co-simulation: the emulator runs the
 *    firmware slower than silicon, and a host waiting on its own clock
 *    would time out on a flash erase the chip has not had the cycles to
 *    finish. The clock continues from the real one at the switch, so it
 *    stays monotonic; between requests the board runs on by itself, so
 *    time passes while the agent talks HTTP.
 *
 * Everything else (other paths, other fds, other chips, other threads)
 * goes to the real functions. What the wiring would punish on a real board is counted as a
 * violation in the report: NRST requested push-pull (it fights the chip's
 * own reset driver), BOOT0 driven high (the chip would boot its ROM), the
 * bus clocked while CS is released, a mode other than 0 or a word size
 * other than 8 (the bytes are then garbled as the slave would see them).
 *
 * Environment:
 *   FOTA_VHW_SOCKET  the board's --spi-socket (required)
 *   FOTA_VHW_SPIDEV  the spidev path it answers (default /dev/spidev0.0)
 *   FOTA_VHW_CHIP    the GPIO chip name (default gpiochip0; /dev/NAME too)
 *   FOTA_VHW_NRST, FOTA_VHW_CS, FOTA_VHW_BOOT0
 *                    line offsets (default 17, 8, 27: docs/hardware.md)
 *   FOTA_VHW_FAULT   a wiring fault: "miso-open" (MISO not connected: the
 *                    master reads 0xFF), "nrst-open" (NRST not connected:
 *                    resets never reach the chip)
 *   FOTA_VHW_REPORT  file that receives key=value counts at exit
 *
 * Test support only: never linked into the product.
 */
#define _GNU_SOURCE

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <gpiod.h>
#include <linux/spi/spidev.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "agent_board_client.h"

/* spidev's default bufsiz (module parameter): the largest message. */
#define VHW_BUFSIZ 4096u
#define VHW_MAX_VIOLATIONS 8

/* The three roles a line can have on the board. */
enum { VHW_NONE = -1, VHW_NRST = 0, VHW_CS = 1, VHW_BOOT0 = 2 };

struct gpiod_chip {
    int magic;
};

struct gpiod_line {
    int role;
    unsigned offset;
    bool requested;
    bool open_drain;
    int value;
};

static struct {
    bool init;
    const char *socket;
    const char *spidev;
    const char *chip;
    unsigned offsets[3];
    bool miso_open, nrst_open;
    const char *report;

    agent_board_client_t bc;
    bool connected;
    bool board_failed;
    pthread_t owner;       /* the thread whose clock is the board's */
    uint64_t real0_ns;     /* CLOCK_MONOTONIC when the board connected */
    uint64_t board0_ns;    /* the board's clock then */
    uint64_t last_virt_ns; /* last virtual time handed out */
    int64_t after_ns;      /* virtual - real once the board is gone */

    int spi_fd; /* the fd handed out for the spidev path, -1 if not open */
    uint8_t mode;
    uint8_t bits;
    uint32_t max_hz;
    uint32_t board_hz; /* rate last sent to the board */
    int cs_level;

    struct gpiod_chip chip_obj;
    int chip_opens;
    struct gpiod_line lines[3];

    /* Counts for the report. */
    unsigned long opens, messages, transfers, bytes, max_message;
    unsigned long emsgsize, cs_asserts, nrst_pulses;
    uint32_t max_speed_seen;
    unsigned violations;
    char violation[VHW_MAX_VIOLATIONS][96];
} g = {.spi_fd = -1};

/* Set while this thread is inside a board request: the client's own
 * deadlines run on the real clock. */
static __thread bool t_in_board;

/* ---- the real functions ---- */

typedef int (*open_fn)(const char *, int, ...);
typedef int (*ioctl_fn)(int, unsigned long, ...);
typedef int (*close_fn)(int);
typedef int (*clock_gettime_fn)(clockid_t, struct timespec *);
typedef int (*nanosleep_fn)(const struct timespec *, struct timespec *);

static void *next_sym(const char *name)
{
    void *p = dlsym(RTLD_NEXT, name);

    if (p == NULL) {
        fprintf(stderr, "vhw: no next %s\n", name);
        abort();
    }
    return p;
}

static unsigned env_uint(const char *name, unsigned dflt)
{
    const char *v = getenv(name);

    return v != NULL && *v != '\0' ? (unsigned)strtoul(v, NULL, 10) : dflt;
}

static void vhw_init(void)
{
    const char *fault;

    if (g.init)
        return;
    g.init = true;
    g.socket = getenv("FOTA_VHW_SOCKET");
    g.spidev = getenv("FOTA_VHW_SPIDEV");
    if (g.spidev == NULL)
        g.spidev = "/dev/spidev0.0";
    g.chip = getenv("FOTA_VHW_CHIP");
    if (g.chip == NULL)
        g.chip = "gpiochip0";
    g.offsets[VHW_NRST] = env_uint("FOTA_VHW_NRST", 17);
    g.offsets[VHW_CS] = env_uint("FOTA_VHW_CS", 8);
    g.offsets[VHW_BOOT0] = env_uint("FOTA_VHW_BOOT0", 27);
    fault = getenv("FOTA_VHW_FAULT");
    g.miso_open = fault != NULL && strcmp(fault, "miso-open") == 0;
    g.nrst_open = fault != NULL && strcmp(fault, "nrst-open") == 0;
    g.report = getenv("FOTA_VHW_REPORT");
    g.mode = SPI_MODE_0;
    g.bits = 8;
    g.max_hz = 500000; /* a spidev default before the first WR_MAX_SPEED */
    g.cs_level = 1;
}

static void violation(const char *fmt, ...)
{
    va_list ap;

    if (g.violations < VHW_MAX_VIOLATIONS) {
        va_start(ap, fmt);
        vsnprintf(g.violation[g.violations], sizeof g.violation[0], fmt, ap);
        va_end(ap);
    }
    g.violations++;
}

static uint64_t real_ns(void)
{
    struct timespec ts;

    ((clock_gettime_fn)next_sym("clock_gettime"))(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Connect to the board on first use (GPIO or SPI, whichever comes first). */
static int board(void)
{
    int rc;

    if (g.connected)
        return g.board_failed ? -1 : 0;
    if (g.socket == NULL) {
        fprintf(stderr, "vhw: FOTA_VHW_SOCKET is not set\n");
        return -1;
    }
    t_in_board = true;
    rc = agent_board_client_open(&g.bc, g.socket, 0);
    if (rc == 0)
        rc = agent_board_client_read_ns(&g.bc, &g.board0_ns);
    t_in_board = false;
    if (rc < 0) {
        fprintf(stderr, "vhw: cannot reach the board at %s (%d)\n", g.socket,
                rc);
        return -1;
    }
    g.real0_ns = real_ns();
    g.last_virt_ns = g.real0_ns;
    g.owner = pthread_self();
    g.connected = true;
    return 0;
}

/* A board request failed: nothing is sent to it again, and the clock
 * carries on from the real one. */
static void board_lost(void)
{
    if (g.board_failed)
        return;
    g.board_failed = true;
    g.after_ns = (int64_t)(g.last_virt_ns - real_ns());
}

/* ---- spidev ---- */

static bool is_spidev(const char *path)
{
    vhw_init();
    return path != NULL && strcmp(path, g.spidev) == 0;
}

static int spidev_open(int flags)
{
    int fd;

    if ((flags & O_ACCMODE) != O_RDWR) {
        errno = EACCES;
        return -1;
    }
    if (g.spi_fd >= 0) {
        errno = EBUSY; /* spidev allows one opener per device node here */
        return -1;
    }
    if (board() < 0) {
        errno = EIO;
        return -1;
    }
    /* A real descriptor, so the number is unique in the process. */
    fd = ((open_fn)next_sym("open"))("/dev/null", O_RDWR | (flags & O_CLOEXEC));
    if (fd < 0)
        return -1;
    g.spi_fd = fd;
    g.opens++;
    return fd;
}

/* What a mode-0 slave and the master exchange when the master runs with
 * CPHA = 1: both sides sample half a clock off, so each byte stream
 * arrives shifted by one bit. */
static void shift_right_1(uint8_t *p, size_t n)
{
    uint8_t carry = 0;

    for (size_t i = 0; i < n; i++) {
        uint8_t next = (uint8_t)(p[i] << 7);

        p[i] = (uint8_t)(p[i] >> 1 | carry);
        carry = next;
    }
}

static int spidev_transfer(const struct spi_ioc_transfer *t)
{
    /* A message is at most VHW_BUFSIZ bytes (spidev_message checks). */
    static uint8_t buf[VHW_BUFSIZ];
    uint32_t hz = t->speed_hz ? t->speed_hz : g.max_hz;
    uint8_t bits = t->bits_per_word ? t->bits_per_word : g.bits;
    int rc;

    if (t->len == 0)
        return 0;
    if (g.cs_level != 0)
        violation("SPI clocked with CS released (%u bytes)", t->len);
    if (bits != 8)
        violation("word size %u bits (the slave takes 8)", bits);
    if (hz != g.board_hz) {
        t_in_board = true;
        rc = agent_board_client_set_hz(&g.bc, hz);
        t_in_board = false;
        if (rc < 0) {
            board_lost();
            return -EIO;
        }
        g.board_hz = hz;
    }
    if (hz > g.max_speed_seen)
        g.max_speed_seen = hz;
    if (t->tx_buf != 0)
        memcpy(buf, (const void *)(uintptr_t)t->tx_buf, t->len);
    else
        memset(buf, 0, t->len);
    if (g.mode & SPI_CPHA)
        shift_right_1(buf, t->len);
    t_in_board = true;
    rc = g.bc.spi.ops->xfer(&g.bc.spi, buf, buf, t->len, 1000);
    t_in_board = false;
    if (rc == 0 && (g.mode & SPI_CPHA))
        shift_right_1(buf, t->len);
    if (rc == 0 && g.miso_open)
        memset(buf, 0xFF, t->len); /* a floating MISO with the pull-up */
    if (rc == 0 && t->rx_buf != 0)
        memcpy((void *)(uintptr_t)t->rx_buf, buf, t->len);
    if (rc < 0) {
        board_lost();
        return -EIO;
    }
    g.transfers++;
    g.bytes += t->len;
    if (t->delay_usecs) {
        t_in_board = true;
        rc = agent_board_client_wait_us(&g.bc, t->delay_usecs);
        t_in_board = false;
        if (rc < 0)
            board_lost();
    }
    return 0;
}

static int spidev_message(unsigned n, const struct spi_ioc_transfer *t)
{
    unsigned long total = 0;

    for (unsigned i = 0; i < n; i++)
        total += t[i].len;
    if (total > VHW_BUFSIZ) {
        g.emsgsize++;
        errno = EMSGSIZE;
        return -1;
    }
    if (g.board_failed) {
        errno = EIO;
        return -1;
    }
    for (unsigned i = 0; i < n; i++) {
        int rc = spidev_transfer(&t[i]);

        if (rc < 0) {
            errno = -rc;
            return -1;
        }
    }
    g.messages++;
    if (total > g.max_message)
        g.max_message = total;
    return (int)total;
}

static int spidev_ioctl(unsigned long req, void *arg)
{
    if (arg == NULL) {
        errno = EFAULT;
        return -1;
    }
    if (_IOC_TYPE(req) == SPI_IOC_MAGIC && _IOC_NR(req) == 0 &&
        _IOC_DIR(req) == _IOC_WRITE) {
        unsigned size = _IOC_SIZE(req);

        if (size % sizeof(struct spi_ioc_transfer) != 0) {
            errno = EINVAL;
            return -1;
        }
        return spidev_message(size / sizeof(struct spi_ioc_transfer), arg);
    }
    switch (req) {
    case SPI_IOC_WR_MODE:
        g.mode = *(const uint8_t *)arg;
        if ((g.mode & (SPI_CPOL | SPI_CPHA)) != SPI_MODE_0)
            violation("SPI mode %u (the slave is mode 0)", g.mode & 3u);
        return 0;
    case SPI_IOC_RD_MODE:
        *(uint8_t *)arg = g.mode;
        return 0;
    case SPI_IOC_WR_BITS_PER_WORD:
        g.bits = *(const uint8_t *)arg;
        if (g.bits != 8)
            violation("word size %u bits (the slave takes 8)", g.bits);
        return 0;
    case SPI_IOC_RD_BITS_PER_WORD:
        *(uint8_t *)arg = g.bits;
        return 0;
    case SPI_IOC_WR_MAX_SPEED_HZ:
        if (*(const uint32_t *)arg == 0) {
            errno = EINVAL;
            return -1;
        }
        g.max_hz = *(const uint32_t *)arg;
        return 0;
    case SPI_IOC_RD_MAX_SPEED_HZ:
        *(uint32_t *)arg = g.max_hz;
        return 0;
    default:
        errno = ENOTTY;
        return -1;
    }
}

int open(const char *path, int flags, ...);
int ioctl(int fd, unsigned long req, ...);
int close(int fd);

int open(const char *path, int flags, ...)
{
    mode_t mode = 0;
    va_list ap;

    if (is_spidev(path))
        return spidev_open(flags);
    if (flags & (O_CREAT | O_TMPFILE)) {
        va_start(ap, flags);
        mode = (mode_t)va_arg(ap, int);
        va_end(ap);
    }
    return ((open_fn)next_sym("open"))(path, flags, mode);
}

/* The same entry under its large-file name (one function on LP64). */
__attribute__((alias("open"))) int open64(const char *path, int flags, ...);

int ioctl(int fd, unsigned long req, ...)
{
    va_list ap;
    void *arg;

    va_start(ap, req);
    arg = va_arg(ap, void *);
    va_end(ap);
    if (g.spi_fd >= 0 && fd == g.spi_fd)
        return spidev_ioctl(req, arg);
    return ((ioctl_fn)next_sym("ioctl"))(fd, req, arg);
}

int close(int fd)
{
    if (g.spi_fd >= 0 && fd == g.spi_fd)
        g.spi_fd = -1;
    return ((close_fn)next_sym("close"))(fd);
}

/* ---- libgpiod v1 ---- */

typedef struct gpiod_chip *(*chip_open_fn)(const char *);

static bool is_chip(const char *name_or_path)
{
    vhw_init();
    if (name_or_path == NULL)
        return false;
    if (strncmp(name_or_path, "/dev/", 5) == 0)
        name_or_path += 5;
    return strcmp(name_or_path, g.chip) == 0;
}

static struct gpiod_chip *chip_open(void)
{
    if (board() < 0) {
        errno = EIO;
        return NULL;
    }
    g.chip_opens++;
    return &g.chip_obj;
}

struct gpiod_chip *gpiod_chip_open(const char *path)
{
    if (is_chip(path))
        return chip_open();
    return ((chip_open_fn)next_sym("gpiod_chip_open"))(path);
}

struct gpiod_chip *gpiod_chip_open_by_name(const char *name)
{
    if (is_chip(name))
        return chip_open();
    return ((chip_open_fn)next_sym("gpiod_chip_open_by_name"))(name);
}

void gpiod_chip_close(struct gpiod_chip *chip)
{
    if (chip == &g.chip_obj) {
        for (int r = 0; r < 3; r++)
            g.lines[r].requested = false; /* the kernel releases them */
        g.chip_opens--;
        return;
    }
    ((void (*)(struct gpiod_chip *))next_sym("gpiod_chip_close"))(chip);
}

struct gpiod_line *gpiod_chip_get_line(struct gpiod_chip *chip,
                                       unsigned int offset)
{
    if (chip != &g.chip_obj)
        return ((struct gpiod_line * (*)(struct gpiod_chip *, unsigned))
                    next_sym("gpiod_chip_get_line"))(chip, offset);
    for (int r = 0; r < 3; r++) {
        if (g.offsets[r] == offset) {
            g.lines[r].role = r;
            g.lines[r].offset = offset;
            return &g.lines[r];
        }
    }
    errno = EINVAL; /* a line that is not wired to anything here */
    return NULL;
}

static bool is_our_line(const struct gpiod_line *l)
{
    return l >= &g.lines[0] && l < &g.lines[3];
}

/* Drive a line as the board sees it. */
static int line_drive(struct gpiod_line *l, int value)
{
    int rc = 0;

    if (g.board_failed) {
        errno = EIO;
        return -1;
    }
    t_in_board = true;
    switch (l->role) {
    case VHW_NRST:
        if (value == 0 && l->value != 0)
            g.nrst_pulses++;
        if (!g.nrst_open)
            rc = g.bc.gpio.ops->set(&g.bc.gpio, AGENT_PIN_NRST, value);
        break;
    case VHW_CS:
        if (value == 0 && g.cs_level != 0)
            g.cs_asserts++;
        g.cs_level = value;
        rc = g.bc.spi.ops->set_cs(&g.bc.spi, value == 0);
        break;
    case VHW_BOOT0:
        if (value != 0)
            violation("BOOT0 driven high (the chip would boot its ROM)");
        break;
    default:
        break;
    }
    t_in_board = false;
    if (rc < 0) {
        board_lost();
        errno = EIO;
        return -1;
    }
    l->value = value;
    return 0;
}

int gpiod_line_request_output_flags(struct gpiod_line *line,
                                    const char *consumer, int flags,
                                    int default_val)
{
    if (!is_our_line(line))
        return ((int (*)(struct gpiod_line *, const char *, int, int))next_sym(
            "gpiod_line_request_output_flags"))(line, consumer, flags,
                                                default_val);
    if (line->requested) {
        errno = EBUSY;
        return -1;
    }
    line->open_drain = (flags & GPIOD_LINE_REQUEST_FLAG_OPEN_DRAIN) != 0;
    if (line->role == VHW_NRST && !line->open_drain)
        violation("NRST requested push-pull (it must be open drain)");
    line->requested = true;
    line->value = 1; /* the line idles high until driven */
    return line_drive(line, default_val != 0);
}

int gpiod_line_set_value(struct gpiod_line *line, int value)
{
    if (!is_our_line(line))
        return ((int (*)(struct gpiod_line *, int))next_sym(
            "gpiod_line_set_value"))(line, value);
    if (!line->requested) {
        errno = EPERM;
        return -1;
    }
    return line_drive(line, value != 0);
}

void gpiod_line_release(struct gpiod_line *line)
{
    if (!is_our_line(line)) {
        ((void (*)(struct gpiod_line *))next_sym("gpiod_line_release"))(line);
        return;
    }
    /* Released: an open-drain NRST floats high (the chip's pull-up); the
     * CS line keeps its level until the pin is reconfigured. */
    if (line->role == VHW_NRST && line->value == 0)
        (void)line_drive(line, 1);
    line->requested = false;
}

/* ---- the clock ---- */

static bool is_board_clock(clockid_t clk)
{
    return (clk == CLOCK_MONOTONIC || clk == CLOCK_MONOTONIC_RAW ||
            clk == CLOCK_BOOTTIME) &&
           g.connected && !t_in_board && pthread_equal(pthread_self(), g.owner);
}

/* The virtual monotonic clock: the real one at the switch plus the
 * board's time since; never goes backwards. */
static uint64_t virt_ns(void)
{
    uint64_t b, v;
    int rc = -1;

    if (!g.board_failed) {
        t_in_board = true;
        rc = agent_board_client_read_ns(&g.bc, &b);
        t_in_board = false;
        if (rc < 0)
            board_lost();
    }
    v = rc == 0 ? g.real0_ns + (b - g.board0_ns)
                : (uint64_t)((int64_t)real_ns() + g.after_ns);
    if (v < g.last_virt_ns)
        v = g.last_virt_ns;
    g.last_virt_ns = v;
    return v;
}

int clock_gettime(clockid_t clk, struct timespec *ts)
{
    uint64_t v;

    if (!is_board_clock(clk))
        return ((clock_gettime_fn)next_sym("clock_gettime"))(clk, ts);
    v = virt_ns();
    ts->tv_sec = (time_t)(v / 1000000000u);
    ts->tv_nsec = (long)(v % 1000000000u);
    return 0;
}

/* Sleep for ns of board time (the real clock once the board is gone). */
static int virt_sleep(uint64_t ns)
{
    struct timespec ts;
    int rc = -1;

    if (!g.board_failed) {
        t_in_board = true;
        rc = agent_board_client_wait_us(&g.bc, (ns + 999u) / 1000u);
        t_in_board = false;
        if (rc < 0)
            board_lost();
    }
    if (rc == 0)
        return 0;
    ts.tv_sec = (time_t)(ns / 1000000000u);
    ts.tv_nsec = (long)(ns % 1000000000u);
    return ((nanosleep_fn)next_sym("nanosleep"))(&ts, NULL);
}

static bool bad_timespec(const struct timespec *ts)
{
    return ts == NULL || ts->tv_sec < 0 || ts->tv_nsec < 0 ||
           ts->tv_nsec >= 1000000000L;
}

int nanosleep(const struct timespec *req, struct timespec *rem)
{
    if (!is_board_clock(CLOCK_MONOTONIC))
        return ((nanosleep_fn)next_sym("nanosleep"))(req, rem);
    if (bad_timespec(req)) {
        errno = EINVAL;
        return -1;
    }
    return virt_sleep((uint64_t)req->tv_sec * 1000000000u +
                      (uint64_t)req->tv_nsec);
}

int clock_nanosleep(clockid_t clk, int flags, const struct timespec *req,
                    struct timespec *rem)
{
    uint64_t want, now;

    if (!is_board_clock(clk))
        return ((int (*)(clockid_t, int, const struct timespec *,
                         struct timespec *))next_sym("clock_nanosleep"))(
            clk, flags, req, rem);
    if (bad_timespec(req))
        return EINVAL;
    want = (uint64_t)req->tv_sec * 1000000000u + (uint64_t)req->tv_nsec;
    if (flags & TIMER_ABSTIME) {
        now = virt_ns();
        want = want > now ? want - now : 0;
    }
    return virt_sleep(want) == 0 ? 0 : errno;
}

/* ---- report ---- */

__attribute__((destructor)) static void vhw_report(void)
{
    FILE *f;

    if (g.connected && !g.board_failed) {
        t_in_board = true;
        agent_board_client_close(&g.bc);
        t_in_board = false;
    }
    if (!g.init || g.report == NULL)
        return;
    f = fopen(g.report, "a");
    if (f == NULL)
        return;
    fprintf(f,
            "opens=%lu messages=%lu transfers=%lu bytes=%lu max_message=%lu "
            "emsgsize=%lu mode=%u bits=%u max_speed_hz=%u cs_asserts=%lu "
            "nrst_pulses=%lu board_ms=%llu violations=%u\n",
            g.opens, g.messages, g.transfers, g.bytes, g.max_message,
            g.emsgsize, g.mode, g.bits, g.max_speed_seen, g.cs_asserts,
            g.nrst_pulses,
            (unsigned long long)((g.last_virt_ns - g.real0_ns) / 1000000u),
            g.violations);
    for (unsigned i = 0; i < g.violations && i < VHW_MAX_VIOLATIONS; i++)
        fprintf(f, "violation: %s\n", g.violation[i]);
    fclose(f);
}
