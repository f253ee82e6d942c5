/*
 * agent_sim_target.c - persistent simulated target with a modelled
 * application (see agent_sim_target.h).
 */
#define _GNU_SOURCE
#include "agent_sim_target.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot_core.h"
#include "boot_port_host.h"
#include "fota/fota_err.h"
#include "fota/fota_image.h"
#include "fota/fota_layout.h"
#include "fota/fota_le.h"
#include "fota/fota_proto.h"
#include "sim_image.h"

/* Watchdog resets an application that never confirms may cause before
 * the model stops looking (the bootloader rolls back after
 * FOTA_TRIAL_ATTEMPTS, so this is never reached by a sound bootloader). */
#define SIM_APP_MAX_RESETS 16

/* ---- the target's own state, kept in the file -------------------------------- */

/* After the flash model, the file holds one 64-bit word with what the
 * target is doing (the chip keeps running while the agent process is
 * gone). One aligned 64-bit store, so a SIGKILL can never tear it:
 *   bits  0..15 magic, 16..23 mode (enum sim_target_mode),
 *   24..31 application slot + 1 (0: none), bit 32 that boot is a trial,
 *   bit 33 the application finished its self-test for that boot
 *   (confirmed, or crashed and was reset), bit 34 NRST held low. */
#define ST_MAGIC 0x5453u /* "ST" */
#define ST_FILE_SIZE (sizeof(sim_flash_t) + 64u)
#define ST_MODE(v) ((unsigned)((v) >> 16) & 0xFFu)
#define ST_SLOT(v) ((int)((v) >> 24 & 0xFFu) - 1)
#define ST_TRIAL(v) (((v) >> 32 & 1u) != 0)
#define ST_DONE(v) (((v) >> 33 & 1u) != 0)
#define ST_NRST(v) (((v) >> 34 & 1u) != 0)

_Static_assert(sizeof(sim_flash_t) % 8u == 0, "state word alignment");

/* The mapping is page-aligned and sim_flash_t a multiple of 8 bytes. */
static volatile uint64_t *st_word(sim_flash_t *f)
{
    return (volatile uint64_t *)(void *)((uint8_t *)f + sizeof(sim_flash_t));
}

static void target_save(agent_sim_target_t *t)
{
    const sim_wire_t *w = &t->wire;
    uint64_t v = ST_MAGIC;

    if (!t->flash)
        return;
    v |= (uint64_t)w->mode << 16;
    v |= (uint64_t)(uint8_t)(w->app_slot + 1) << 24;
    v |= (uint64_t)(w->app_trial ? 1u : 0u) << 32;
    v |= (uint64_t)(t->handled_boot == w->target_boots ? 1u : 0u) << 33;
    v |= (uint64_t)(w->nrst_low ? 1u : 0u) << 34;
    *st_word(t->flash) = v;
}

void agent_sim_target_settle(agent_sim_target_t *t)
{
    sim_wire_t *w = &t->wire;

    for (int i = 0; i < SIM_APP_MAX_RESETS; i++) {
        uint8_t hdr[FOTA_IMAGE_HDR_SIZE];
        uint32_t flags;

        /* While the agent holds CS low the application is not looked at:
         * the agent is about to talk to the bootloader (a reset now would
         * sample the strap and stay in update mode). */
        if (w->mode != SIM_TARGET_APP || w->app_slot < 0 || w->cs ||
            w->target_boots == t->handled_boot)
            return;
        t->handled_boot = w->target_boots;
        if (sim_flash_read(t->flash, (uint32_t)FOTA_SLOT_ADDR(w->app_slot), hdr,
                           sizeof(hdr)) < 0)
            return;
        flags = fota_get_le32(hdr + 28);
        /* The application's self-test takes a while. */
        sim_wire_advance_ns(w, (uint64_t)t->app_run_ms * 1000000u);
        if (!(flags & FOTA_IMAGE_F_NO_CONFIRM)) {
            if (sim_wire_app_confirm(w) == 0)
                t->app_confirms++;
            target_save(t);
            return;
        }
        /* A test build that never confirms: its watchdog resets the chip,
         * and the bootloader decides again (one trial attempt fewer). */
        t->app_crashes++;
        sim_wire_reset_target(w);
        target_save(t);
    }
}

/* ---- wrapped ports ------------------------------------------------------------ */

static int st_app_answer(void *ctx, uint8_t cmd, uint8_t *payload, size_t cap)
{
    agent_sim_target_t *t = ctx;

    if (cmd == FOTA_APP_CMD_STATUS && cap >= FOTA_APP_STATUS_PAYLOAD) {
        if (fota_app_status_build(t->flash->mem, t->wire.app_slot, 0, payload) <
            0)
            return -1;
        t->app_answers++;
        return (int)FOTA_APP_STATUS_PAYLOAD;
    }
    if (cmd == FOTA_APP_CMD_UPDATE && cap >= FOTA_APP_UPDATE_PAYLOAD) {
        payload[0] = 0;
        return (int)FOTA_APP_UPDATE_PAYLOAD;
    }
    return -1;
}

/* A transaction while the application runs and CS is asserted: the bytes
 * go to its responder (the wire's slave is the bootloader, silent then). */
static void st_app_xfer(agent_sim_target_t *t, const uint8_t *tx, uint8_t *rx,
                        size_t len)
{
    sim_wire_t *w = &t->wire;

    for (size_t i = 0; i < len; i++) {
        uint8_t out = t->app_next;

        t->app_next = fota_app_link_byte(&t->app_link, tx ? tx[i] : 0x00u,
                                         st_app_answer, t);
        if (rx)
            rx[i] = out;
    }
    sim_wire_advance_ns(w,
                        (uint64_t)w->cfg.xfer_overhead_ns +
                            (uint64_t)len * 8u * 1000000000u / w->cfg.sck_hz);
    if (t->app_link.update_due) {
        /* fota_app_request_update_mode(): a software reset with the
         * request word; CS is held, so the model's boot stays in update
         * mode too. */
        fota_app_link_init(&t->app_link);
        t->app_next = FOTA_APP_FILL;
        sim_wire_reset_target(w);
    }
}

static int st_xfer(agent_spi_t *self, const uint8_t *tx, uint8_t *rx,
                   size_t len, uint32_t timeout_ms)
{
    agent_sim_target_t *t = AGENT_CONTAINER_OF(self, agent_sim_target_t, spi);
    int rc = 0;

    if (t->wire.mode == SIM_TARGET_APP && t->wire.cs && t->wire.app_slot >= 0)
        st_app_xfer(t, tx, rx, len);
    else
        rc = t->wire.spi.ops->xfer(&t->wire.spi, tx, rx, len, timeout_ms);

    agent_sim_target_settle(t);
    target_save(t);
    return rc;
}

static int st_set_cs(agent_spi_t *self, bool asserted)
{
    agent_sim_target_t *t = AGENT_CONTAINER_OF(self, agent_sim_target_t, spi);
    int rc = t->wire.spi.ops->set_cs(&t->wire.spi, asserted);

    /* A CS edge ends a half exchange, as the library's poll does. */
    fota_app_link_abort(&t->app_link);
    t->app_next = FOTA_APP_FILL;
    agent_sim_target_settle(t);
    target_save(t);
    return rc;
}

static int st_gpio_set(agent_gpio_t *self, unsigned pin, int level)
{
    agent_sim_target_t *t = AGENT_CONTAINER_OF(self, agent_sim_target_t, gpio);
    int rc = t->wire.gpio.ops->set(&t->wire.gpio, pin, level);

    agent_sim_target_settle(t);
    target_save(t);
    return rc;
}

static uint32_t st_now_ms(agent_clock_t *self)
{
    agent_sim_target_t *t = AGENT_CONTAINER_OF(self, agent_sim_target_t, clock);

    return t->wire.clock.ops->now_ms(&t->wire.clock);
}

static void st_sleep_ms(agent_clock_t *self, uint32_t ms)
{
    agent_sim_target_t *t = AGENT_CONTAINER_OF(self, agent_sim_target_t, clock);

    agent_sim_target_settle(t);
    t->wire.clock.ops->sleep_ms(&t->wire.clock, ms);
    agent_sim_target_settle(t);
    target_save(t);
}

static const agent_spi_ops_t s_spi_ops = {st_xfer, st_set_cs};
static const agent_gpio_ops_t s_gpio_ops = {st_gpio_set};
static const agent_clock_ops_t s_clock_ops = {st_now_ms, st_sleep_ms};

/* ---- the flash file ------------------------------------------------------------ */

/* Map path as a sim_flash_t followed by the target state word (creating
 * or extending it). A new file or a raw 1 MiB flash image gets a fresh
 * model around its content; a file of the older layout (the model
 * without the state word) is extended and powers on like a new one. */
static int map_flash(const char *path, bool lock, int *fd_out,
                     sim_flash_t **out)
{
    size_t size = ST_FILE_SIZE;
    struct stat sb;
    sim_flash_t *f;
    bool fresh_model;
    int fd, rc;

    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return FOTA_ERR_PLATFORM(errno);
    /* One device, one driver: two processes would each run their own copy
     * of the chip's RAM over the same flash. */
    if (lock && flock(fd, LOCK_EX | LOCK_NB) < 0) {
        rc = errno == EWOULDBLOCK ? FOTA_ERR_BUSY : FOTA_ERR_PLATFORM(errno);
        close(fd);
        return rc;
    }
    if (fstat(fd, &sb) < 0)
        goto err;
    if (sb.st_size != 0 && sb.st_size != (off_t)FOTA_FLASH_SIZE &&
        sb.st_size != (off_t)sizeof(sim_flash_t) && sb.st_size != (off_t)size) {
        close(fd);
        return FOTA_ERR_RANGE;
    }
    fresh_model = sb.st_size == 0 || sb.st_size == (off_t)FOTA_FLASH_SIZE;
    /* ftruncate extends with zeros: no state word yet (power-on). */
    if (sb.st_size != (off_t)size && ftruncate(fd, (off_t)size) < 0)
        goto err;
    f = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (f == MAP_FAILED)
        goto err;
    if (fresh_model) {
        sim_flash_t *fresh = malloc(sizeof(*fresh));

        if (!fresh) {
            munmap(f, size);
            close(fd);
            return FOTA_ERR_NOMEM;
        }
        sim_flash_init(fresh, SIM_FLASH_TYPICAL);
        if (sb.st_size == (off_t)FOTA_FLASH_SIZE)
            memcpy(fresh->mem, f->mem, FOTA_FLASH_SIZE);
        memcpy(f, fresh, sizeof(*fresh));
        free(fresh);
    }
    /* Nothing of a previous process's power-cut harness survives. */
    f->cut_mode = SIM_CUT_NONE;
    f->cut_jmp = NULL;
    f->cut_happened = false;
    f->busy_until_ns = f->now_ns;
    *fd_out = fd;
    *out = f;
    return 0;
err:
    rc = FOTA_ERR_PLATFORM(errno);
    close(fd);
    return rc;
}

/* Power-on: the bootloader decides, the application (if any) runs. */
static void target_power_on(agent_sim_target_t *t)
{
    sim_wire_init(&t->wire, t->flash, NULL);
    t->handled_boot = 0;
    agent_sim_target_settle(t);
    target_save(t);
}

/* Pick the target up where the previous process left it (state word v):
 * the chip never stopped. sim_wire_init() always powers the target on, so
 * it runs on a scratch copy of the flash (whatever that boot writes is
 * thrown away) and the wire is then pointed at the real flash with the
 * saved state. Returns 0 or FOTA_ERR_NOMEM. */
static int target_resume(agent_sim_target_t *t, uint64_t v)
{
    sim_wire_t *w = &t->wire;
    sim_flash_t *scratch = malloc(sizeof(*scratch));
    unsigned mode = ST_MODE(v);
    int slot = ST_SLOT(v);
    int rc;

    if (!scratch)
        return FOTA_ERR_NOMEM;
    memcpy(scratch, t->flash, sizeof(*scratch));
    sim_wire_init(w, scratch, NULL);
    w->flash = t->flash;
    boot_port_host_bind(t->flash);
    free(scratch);
    /* The bootloader's RAM (journal state) as it was: boot_init() only
     * reads the journal. */
    rc = boot_init(&w->boot);
    w->last_boot_rc = rc;
    w->cs = false;
    w->nrst_low = false;
    if (ST_NRST(v) || mode == SIM_TARGET_RESET || rc < 0) {
        /* The agent died holding NRST low: the line floats, the pull-up
         * ends the reset, and with CS floating high too the chip boots
         * normally. That is a real reset, caused by the agent's death. */
        sim_wire_reset_target(w);
        t->handled_boot = 0;
    } else if (mode == SIM_TARGET_APP && slot >= 0 && slot < FOTA_SLOT_COUNT) {
        /* The application keeps running; if its self-test had not
         * finished, it finishes now (settle below). */
        w->mode = SIM_TARGET_APP;
        w->app_slot = (int8_t)slot;
        w->app_trial = ST_TRIAL(v);
        t->handled_boot = ST_DONE(v) ? w->target_boots : w->target_boots - 1u;
    } else {
        /* The bootloader waits in update mode. CS floated high when the
         * agent died, which drops a half-received frame; the engine starts
         * a fresh session (the agent always begins with a reset into the
         * bootloader anyway). */
        boot_proto_init(&w->proto, &w->boot, BOOT_LINK_SPI);
        boot_proto_init(&w->uproto, &w->boot, BOOT_LINK_UART);
        w->mode = SIM_TARGET_UPDATE;
        w->app_slot = -1;
        w->app_trial = false;
        w->preload = FOTA_PROTO_BUSY;
        t->handled_boot = w->target_boots;
    }
    agent_sim_target_settle(t);
    target_save(t);
    return 0;
}

int agent_sim_target_open(agent_sim_target_t *t, const char *path)
{
    uint64_t v;
    int rc;

    memset(t, 0, sizeof(*t));
    t->fd = -1;
    rc = map_flash(path, true, &t->fd, &t->flash);
    if (rc < 0)
        return rc;
    t->app_run_ms = 100;
    t->spi.ops = &s_spi_ops;
    t->gpio.ops = &s_gpio_ops;
    t->clock.ops = &s_clock_ops;
    /* The file says what the chip was doing when the last process let go
     * of it; only a file without that (new, or an older layout) is a
     * power-on. */
    v = *st_word(t->flash);
    if ((v & 0xFFFFu) != ST_MAGIC) {
        target_power_on(t);
        return 0;
    }
    rc = target_resume(t, v);
    if (rc < 0)
        agent_sim_target_close(t);
    return rc;
}

void agent_sim_target_power_cycle(agent_sim_target_t *t)
{
    target_power_on(t);
}

void agent_sim_target_close(agent_sim_target_t *t)
{
    if (t->flash) {
        target_save(t);
        boot_port_host_bind(NULL);
        msync(t->flash, ST_FILE_SIZE, MS_SYNC);
        munmap(t->flash, ST_FILE_SIZE);
    }
    if (t->fd >= 0)
        close(t->fd);
    t->flash = NULL;
    t->fd = -1;
}

int agent_sim_target_install(agent_sim_target_t *t, int slot,
                             const uint8_t *img, size_t len)
{
    int rc = sim_image_install(t->flash, slot, img, len);

    if (rc < 0)
        return rc;
    /* Power-cycle so the bootloader sees the new content. */
    target_power_on(t);
    return 0;
}

/* Read path into *f without changing the file: a raw 1 MiB flash image (a
 * `fota board` file) gets a fresh model around it, a target file's model
 * is taken as it is. */
static int read_flash_copy(const char *path, sim_flash_t *f)
{
    struct stat sb;
    uint8_t *dst;
    size_t want, got = 0;
    bool raw;
    int fd, rc = 0;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? FOTA_ERR_NOENT : FOTA_ERR_PLATFORM(errno);
    if (fstat(fd, &sb) < 0) {
        rc = FOTA_ERR_PLATFORM(errno);
        goto out;
    }
    raw = sb.st_size == (off_t)FOTA_FLASH_SIZE;
    if (!raw && sb.st_size != (off_t)sizeof(sim_flash_t) &&
        sb.st_size != (off_t)ST_FILE_SIZE) {
        rc = FOTA_ERR_RANGE;
        goto out;
    }
    if (raw)
        sim_flash_init(f, SIM_FLASH_TYPICAL);
    dst = raw ? f->mem : (uint8_t *)f;
    want = raw ? FOTA_FLASH_SIZE : sizeof(sim_flash_t);
    while (got < want) {
        ssize_t n = read(fd, dst + got, want - got);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = n < 0 ? FOTA_ERR_PLATFORM(errno) : FOTA_ERR_IO;
            goto out;
        }
        got += (size_t)n;
    }
    f->cut_mode = SIM_CUT_NONE;
    f->cut_jmp = NULL;
    f->cut_happened = false;
    f->busy_until_ns = f->now_ns;
out:
    close(fd);
    return rc;
}

int agent_sim_target_check_boot(const char *path, int *slot,
                                fota_version_t *version)
{
    sim_flash_t *copy = NULL;
    boot_ctx_t *ctx = NULL;
    boot_decision_t d;
    fota_image_hdr_t hdr;
    int rc;

    *slot = -1;
    memset(version, 0, sizeof(*version));
    copy = malloc(sizeof(*copy));
    ctx = malloc(sizeof(*ctx));
    if (!copy || !ctx) {
        rc = FOTA_ERR_NOMEM;
        goto out;
    }
    rc = read_flash_copy(path, copy);
    if (rc < 0)
        goto out;
    boot_port_host_bind(copy);
    rc = boot_init(ctx);
    if (rc < 0)
        goto out;
    memset(&d, 0, sizeof(d));
    rc = boot_decide(ctx, &d);
    if (rc < 0)
        goto out;
    if (d.action != BOOT_ACTION_JUMP) {
        rc = FOTA_ERR_NOENT;
        goto out;
    }
    /* The decision verified the image; read its version for the caller. */
    rc = boot_verify_image(ctx, d.slot, true, &hdr);
    if (rc < 0)
        goto out;
    *slot = d.slot;
    *version = hdr.version;
out:
    boot_port_host_bind(NULL);
    free(copy);
    free(ctx);
    return rc;
}

int agent_sim_target_wear(const char *path, uint32_t wear[FOTA_FLASH_SECTORS])
{
    sim_flash_t *f = malloc(sizeof(*f));
    int rc;

    if (!f)
        return FOTA_ERR_NOMEM;
    rc = read_flash_copy(path, f);
    if (rc == 0)
        memcpy(wear, f->wear, sizeof(f->wear));
    free(f);
    return rc;
}

uint64_t agent_sim_target_time_ns(const agent_sim_target_t *t)
{
    return t->flash ? t->flash->now_ns : 0;
}
