/*
 * agent_linux_target.c - spidev + libgpiod + CLOCK_MONOTONIC opened as
 * one target (see the header).
 */
#include "agent_linux_target.h"

#include <string.h>

#include "fota/fota_err.h"

int agent_linux_target_open(agent_linux_target_t *t,
                            const agent_linux_target_cfg_t *cfg,
                            const char **what)
{
    const char *dummy;
    int rc;

    if (what == NULL)
        what = &dummy;
    *what = "";
    if (t == NULL || cfg == NULL || cfg->spi_dev == NULL || cfg->nrst == NULL ||
        cfg->cs == NULL)
        return FOTA_ERR_INVAL;
    memset(t, 0, sizeof *t);
    agent_clock_linux_init(&t->clock, NULL);

    /* CS first and deasserted, so nothing is selected (and the strap is
     * not set) while the rest comes up. */
    *what = "cs";
    rc = agent_gpiod_line_open(&t->cs, cfg->gpiod_sys, cfg->cs, false, 1,
                               "fota-cs");
    if (rc < 0)
        goto out;
    t->cs_open = true;
    *what = cfg->boot0 != NULL ? "nrst/boot0" : "nrst";
    rc = agent_gpio_gpiod_open(&t->gpio, cfg->gpiod_sys, cfg->nrst, cfg->boot0);
    if (rc < 0)
        goto out;
    t->gpio_open = true;
    *what = "spi";
    rc = agent_spi_spidev_open(&t->spi, cfg->spi_sys, cfg->spi_dev, cfg->hz,
                               cfg->no_cs, agent_gpiod_line_set_cb, &t->cs);
    if (rc < 0)
        goto out;
    t->spi_open = true;
    *what = "";
    rc = 0;
out:
    if (rc < 0)
        agent_linux_target_close(t);
    return rc;
}

void agent_linux_target_close(agent_linux_target_t *t)
{
    if (t == NULL)
        return;
    if (t->spi_open)
        agent_spi_spidev_close(&t->spi);
    if (t->gpio_open)
        agent_gpio_gpiod_close(&t->gpio);
    if (t->cs_open) {
        (void)agent_gpiod_line_set(&t->cs, 1);
        agent_gpiod_line_close(&t->cs);
    }
    t->spi_open = t->gpio_open = t->cs_open = false;
}
