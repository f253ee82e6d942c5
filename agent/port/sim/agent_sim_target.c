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
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot_core.h"
#include "boot_port_host.h"
#include "fota/fota_err.h"
#include "fota/fota_image.h"
#include "fota/fota_layout.h"
#include "fota/fota_le.h"
#include "sim_image.h"

/* Watchdog resets an application that never confirms may cause before
 * the model stops looking (the bootloader rolls back after
 * FOTA_TRIAL_ATTEMPTS, so this is never reached by a sound bootloader). */
#define SIM_APP_MAX_RESETS 16

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
            return;
        }
        /* A test build that never confirms: its watchdog resets the chip,
         * and the bootloader decides again (one trial attempt fewer). */
        t->app_crashes++;
        sim_wire_reset_target(w);
    }
}

/* ---- wrapped ports ------------------------------------------------------------ */

static int st_xfer(agent_spi_t *self, const uint8_t *tx, uint8_t *rx,
                   size_t len, uint32_t timeout_ms)
{
    agent_sim_target_t *t = AGENT_CONTAINER_OF(self, agent_sim_target_t, spi);
    int rc = t->wire.spi.ops->xfer(&t->wire.spi, tx, rx, len, timeout_ms);

    agent_sim_target_settle(t);
    return rc;
}

static int st_set_cs(agent_spi_t *self, bool asserted)
{
    agent_sim_target_t *t = AGENT_CONTAINER_OF(self, agent_sim_target_t, spi);
    int rc = t->wire.spi.ops->set_cs(&t->wire.spi, asserted);

    agent_sim_target_settle(t);
    return rc;
}

static int st_gpio_set(agent_gpio_t *self, unsigned pin, int level)
{
    agent_sim_target_t *t = AGENT_CONTAINER_OF(self, agent_sim_target_t, gpio);
    int rc = t->wire.gpio.ops->set(&t->wire.gpio, pin, level);

    agent_sim_target_settle(t);
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
}

static const agent_spi_ops_t s_spi_ops = {st_xfer, st_set_cs};
static const agent_gpio_ops_t s_gpio_ops = {st_gpio_set};
static const agent_clock_ops_t s_clock_ops = {st_now_ms, st_sleep_ms};

/* ---- the flash file ------------------------------------------------------------ */

/* Map path as a sim_flash_t (creating or extending it). */
static int map_flash(const char *path, int *fd_out, sim_flash_t **out)
{
    size_t size = sizeof(sim_flash_t);
    struct stat sb;
    sim_flash_t *f;
    int fd, rc;

    fd = open(path, O_RDWR | O_CREAT, 0644);
    if (fd < 0)
        return FOTA_ERR_PLATFORM(errno);
    if (fstat(fd, &sb) < 0)
        goto err;
    if (sb.st_size != 0 && sb.st_size != (off_t)FOTA_FLASH_SIZE &&
        sb.st_size != (off_t)size) {
        close(fd);
        return FOTA_ERR_RANGE;
    }
    if (sb.st_size != (off_t)size && ftruncate(fd, (off_t)size) < 0)
        goto err;
    f = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (f == MAP_FAILED)
        goto err;
    if (sb.st_size != (off_t)size) {
        /* New file, or a raw flash image: fresh model state around the
         * (erased or given) flash content. */
        sim_flash_t *fresh = malloc(size);

        if (!fresh) {
            munmap(f, size);
            close(fd);
            return FOTA_ERR_NOMEM;
        }
        sim_flash_init(fresh, SIM_FLASH_TYPICAL);
        if (sb.st_size == (off_t)FOTA_FLASH_SIZE)
            memcpy(fresh->mem, f->mem, FOTA_FLASH_SIZE);
        memcpy(f, fresh, size);
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

int agent_sim_target_open(agent_sim_target_t *t, const char *path)
{
    int rc;

    memset(t, 0, sizeof(*t));
    t->fd = -1;
    rc = map_flash(path, &t->fd, &t->flash);
    if (rc < 0)
        return rc;
    t->app_run_ms = 100;
    t->spi.ops = &s_spi_ops;
    t->gpio.ops = &s_gpio_ops;
    t->clock.ops = &s_clock_ops;
    /* Power-on: the bootloader decides, the application (if any) runs. */
    sim_wire_init(&t->wire, t->flash, NULL);
    agent_sim_target_settle(t);
    return 0;
}

void agent_sim_target_close(agent_sim_target_t *t)
{
    if (t->flash) {
        boot_port_host_bind(NULL);
        msync(t->flash, sizeof(sim_flash_t), MS_SYNC);
        munmap(t->flash, sizeof(sim_flash_t));
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
    sim_wire_reset_target(&t->wire);
    agent_sim_target_settle(t);
    return 0;
}

int agent_sim_target_check_boot(const char *path, int *slot,
                                fota_version_t *version)
{
    sim_flash_t *copy = NULL, *f = NULL;
    boot_ctx_t *ctx = NULL;
    boot_decision_t d;
    fota_image_hdr_t hdr;
    int fd = -1, rc;

    *slot = -1;
    memset(version, 0, sizeof(*version));
    rc = map_flash(path, &fd, &f);
    if (rc < 0)
        return rc;
    copy = malloc(sizeof(*copy));
    ctx = malloc(sizeof(*ctx));
    if (!copy || !ctx) {
        rc = FOTA_ERR_NOMEM;
        goto out;
    }
    memcpy(copy, f, sizeof(*copy));
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
    munmap(f, sizeof(sim_flash_t));
    close(fd);
    return rc;
}

uint64_t agent_sim_target_time_ns(const agent_sim_target_t *t)
{
    return t->flash ? t->flash->now_ns : 0;
}
