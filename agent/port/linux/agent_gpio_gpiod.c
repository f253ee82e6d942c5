/*
 * agent_gpio_gpiod.c - GPIO port on libgpiod v1 (see agent_gpio_gpiod.h).
 */
#define _DEFAULT_SOURCE

#include "agent_gpio_gpiod.h"

#include <errno.h>
#include <gpiod.h>
#include <string.h>

#include "fota/fota_err.h"

/* libgpiod's own functions, reached through the table so tests can put a
 * fake in their place. */
static const agent_gpiod_sys_t s_libgpiod = {
    .chip_open = gpiod_chip_open,
    .chip_open_by_name = gpiod_chip_open_by_name,
    .chip_close = gpiod_chip_close,
    .chip_get_line = gpiod_chip_get_line,
    .line_request_output_flags = gpiod_line_request_output_flags,
    .line_set_value = gpiod_line_set_value,
    .line_release = gpiod_line_release,
};

const agent_gpiod_sys_t *agent_gpiod_sys_default(void)
{
    return &s_libgpiod;
}

/* errno after a failed library call, as a FOTA error; ENOENT/ENODEV (no
 * such chip) and EINVAL on a line offset are "not there". */
static int errno_to_err(int e)
{
    if (e == ENOENT || e == ENODEV)
        return FOTA_ERR_NOENT;
    if (e == 0)
        return FOTA_ERR_IO;
    return FOTA_ERR_PLATFORM(e);
}

int agent_gpiod_parse_spec(const char *spec, char *chip_buf, size_t cap,
                           unsigned *offset)
{
    const char *colon;
    size_t chip_len;
    const char *p;
    unsigned long v = 0;

    if (spec == NULL || chip_buf == NULL || offset == NULL || cap == 0)
        return FOTA_ERR_INVAL;
    /* The last colon: a path never ends in ":<digits>" by accident. */
    colon = strrchr(spec, ':');
    if (colon == NULL || colon == spec || colon[1] == '\0')
        return FOTA_ERR_INVAL;
    chip_len = (size_t)(colon - spec);
    if (chip_len + 1 > cap)
        return FOTA_ERR_INVAL;
    for (p = colon + 1; *p != '\0'; p++) {
        if (*p < '0' || *p > '9')
            return FOTA_ERR_INVAL;
        v = v * 10u + (unsigned long)(*p - '0');
        if (v > 0xFFFFu) /* no GPIO chip has more lines than this */
            return FOTA_ERR_INVAL;
    }
    memcpy(chip_buf, spec, chip_len);
    chip_buf[chip_len] = '\0';
    *offset = (unsigned)v;
    return 0;
}

int agent_gpiod_line_open(agent_gpiod_line_t *l, const agent_gpiod_sys_t *sys,
                          const char *spec, bool open_drain, int initial,
                          const char *consumer)
{
    char chip_name[128];
    unsigned offset;
    int rc;
    int flags = open_drain ? GPIOD_LINE_REQUEST_FLAG_OPEN_DRAIN : 0;

    if (l == NULL)
        return FOTA_ERR_INVAL;
    memset(l, 0, sizeof *l);
    l->sys = sys != NULL ? sys : &s_libgpiod;
    rc = agent_gpiod_parse_spec(spec, chip_name, sizeof chip_name, &offset);
    if (rc < 0)
        return rc;

    errno = 0;
    if (chip_name[0] == '/')
        l->chip = l->sys->chip_open(chip_name);
    else
        l->chip = l->sys->chip_open_by_name(chip_name);
    if (l->chip == NULL) {
        rc = errno_to_err(errno);
        goto out;
    }
    errno = 0;
    l->line = l->sys->chip_get_line(l->chip, offset);
    if (l->line == NULL) {
        rc = errno == EINVAL ? FOTA_ERR_NOENT : errno_to_err(errno);
        goto out;
    }
    /* The initial level is part of the request, so the line never shows
     * a glitch of the wrong level between the request and the first set
     * (a glitch low on NRST would reset the target). */
    errno = 0;
    if (l->sys->line_request_output_flags(l->line, consumer, flags,
                                          initial ? 1 : 0) < 0) {
        rc = errno_to_err(errno);
        l->line = NULL; /* not requested: nothing to release */
        goto out;
    }
    l->level = initial ? 1 : 0;
    rc = 0;
out:
    if (rc < 0 && l->chip != NULL) {
        l->sys->chip_close(l->chip);
        l->chip = NULL;
    }
    return rc;
}

int agent_gpiod_line_set(agent_gpiod_line_t *l, int level)
{
    if (l == NULL || l->line == NULL)
        return FOTA_ERR_INVAL;
    errno = 0;
    if (l->sys->line_set_value(l->line, level ? 1 : 0) < 0)
        return errno_to_err(errno);
    l->level = level ? 1 : 0;
    return 0;
}

int agent_gpiod_line_set_cb(void *line, int level)
{
    return agent_gpiod_line_set((agent_gpiod_line_t *)line, level);
}

void agent_gpiod_line_close(agent_gpiod_line_t *l)
{
    if (l == NULL || l->sys == NULL)
        return;
    if (l->line != NULL)
        l->sys->line_release(l->line);
    if (l->chip != NULL)
        l->sys->chip_close(l->chip);
    l->line = NULL;
    l->chip = NULL;
}

static int gpiod_set(agent_gpio_t *self, unsigned pin, int level)
{
    agent_gpio_gpiod_t *g = AGENT_CONTAINER_OF(self, agent_gpio_gpiod_t, base);

    switch (pin) {
    case AGENT_PIN_NRST:
        return agent_gpiod_line_set(&g->nrst, level);
    case AGENT_PIN_BOOT0:
        if (!g->has_boot0)
            return FOTA_ERR_INVAL; /* not wired on this board */
        return agent_gpiod_line_set(&g->boot0, level);
    default:
        return FOTA_ERR_INVAL;
    }
}

static const agent_gpio_ops_t s_gpio_ops = {
    .set = gpiod_set,
};

int agent_gpio_gpiod_open(agent_gpio_gpiod_t *g, const agent_gpiod_sys_t *sys,
                          const char *nrst_spec, const char *boot0_spec)
{
    int rc;

    if (g == NULL || nrst_spec == NULL)
        return FOTA_ERR_INVAL;
    memset(g, 0, sizeof *g);
    g->base.ops = &s_gpio_ops;
    /* NRST starts released: opening the port must not reset the target. */
    rc = agent_gpiod_line_open(&g->nrst, sys, nrst_spec, true, 1, "fota-nrst");
    if (rc < 0)
        return rc;
    if (boot0_spec != NULL) {
        rc = agent_gpiod_line_open(&g->boot0, sys, boot0_spec, false, 0,
                                   "fota-boot0");
        if (rc < 0) {
            agent_gpiod_line_close(&g->nrst);
            return rc;
        }
        g->has_boot0 = true;
    }
    return 0;
}

void agent_gpio_gpiod_close(agent_gpio_gpiod_t *g)
{
    if (g == NULL)
        return;
    if (g->nrst.line != NULL)
        (void)agent_gpiod_line_set(&g->nrst, 1);
    agent_gpiod_line_close(&g->nrst);
    if (g->has_boot0) {
        (void)agent_gpiod_line_set(&g->boot0, 0);
        agent_gpiod_line_close(&g->boot0);
    }
    g->has_boot0 = false;
}
