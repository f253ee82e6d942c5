/*
 * vb_gpio.c - general-purpose I/O ports A-E (RM0090 section 8), one table
 * row per port: mode, output type, pull-up/down, alternate functions, ODR
 * and BSRR, and IDR from the outputs, the external drive and the pulls.
 * Port D reports the Discovery LEDs (PD12-PD15); PA4 is the SPI master's
 * chip select.
 */
#include <string.h>

#include "vb_dev.h"
#include "vb_regs.h"

typedef struct vb_gpio {
    uint32_t moder, otyper, ospeedr, pupdr, odr, lckr, afr[2];
    int8_t ext[16]; /* driven level from outside, -1 = undriven */
} vb_gpio_t;

int vb_gpio_level(const vb_sys_t *s, const vb_dev_t *d, const void *st,
                  unsigned pin)
{
    const vb_gpio_t *g = st;
    unsigned mode = (g->moder >> (2 * pin)) & 3u;
    unsigned pull = (g->pupdr >> (2 * pin)) & 3u;
    int ext = g->ext[pin];

    if (d->unit == 0 && pin == 4)
        ext = s->nss_high ? 1 : 0;
    if (mode == 1) {
        bool od = (g->otyper >> pin) & 1u;
        bool out = (g->odr >> pin) & 1u;

        if (!od || !out)
            return out;
    } else if (mode == 3) {
        return 0;
    }
    if (ext >= 0)
        return ext;
    return pull == 1 ? 1 : 0;
}

bool vb_gpio_af(const void *st, unsigned pin, unsigned af)
{
    const vb_gpio_t *g = st;

    return ((g->moder >> (2 * pin)) & 3u) == 2 &&
           ((g->afr[pin / 8] >> (4 * (pin % 8))) & 0xFu) == af;
}

void vb_gpio_drive(void *st, unsigned pin, int level)
{
    ((vb_gpio_t *)st)->ext[pin] = (int8_t)(level < 0 ? -1 : level != 0);
}

static void gpio_leds(vb_sys_t *s, const vb_gpio_t *g)
{
    uint8_t leds = 0;

    for (unsigned i = 0; i < 4; i++) {
        unsigned pin = 12 + i;

        if (((g->moder >> (2 * pin)) & 3u) == 1 && ((g->odr >> pin) & 1u))
            leds |= (uint8_t)(1u << i);
    }
    s->ops->leds(s, leds);
}

static uint32_t gpio_read(vb_sys_t *s, const vb_dev_t *d, void *st,
                          uint32_t off)
{
    vb_gpio_t *g = st;
    uint32_t idr = 0;

    switch (off) {
    case GPIO_MODER:
        return g->moder;
    case GPIO_OTYPER:
        return g->otyper;
    case GPIO_OSPEEDR:
        return g->ospeedr;
    case GPIO_PUPDR:
        return g->pupdr;
    case GPIO_IDR:
        for (unsigned p = 0; p < 16; p++)
            idr |= (uint32_t)vb_gpio_level(s, d, g, p) << p;
        return idr;
    case GPIO_ODR:
        return g->odr;
    case GPIO_LCKR:
        return g->lckr;
    case GPIO_AFRL:
        return g->afr[0];
    case GPIO_AFRH:
        return g->afr[1];
    default:
        return 0; /* BSRR reads as 0 */
    }
}

static void gpio_write(vb_sys_t *s, const vb_dev_t *d, void *st, uint32_t off,
                       uint32_t v, uint32_t mask)
{
    vb_gpio_t *g = st;

    switch (off) {
    case GPIO_MODER:
        g->moder = vb_merge(g->moder, v, mask);
        break;
    case GPIO_OTYPER:
        g->otyper = vb_merge(g->otyper, v, mask) & 0xFFFFu;
        break;
    case GPIO_OSPEEDR:
        g->ospeedr = vb_merge(g->ospeedr, v, mask);
        break;
    case GPIO_PUPDR:
        g->pupdr = vb_merge(g->pupdr, v, mask);
        break;
    case GPIO_ODR:
        g->odr = vb_merge(g->odr, v, mask) & 0xFFFFu;
        break;
    case GPIO_BSRR: {
        uint32_t w = v & mask;

        g->odr = (g->odr & ~(w >> 16)) | (w & 0xFFFFu); /* set wins */
        break;
    }
    case GPIO_LCKR:
        g->lckr = vb_merge(g->lckr, v, mask);
        break;
    case GPIO_AFRL:
        g->afr[0] = vb_merge(g->afr[0], v, mask);
        break;
    case GPIO_AFRH:
        g->afr[1] = vb_merge(g->afr[1], v, mask);
        break;
    default:
        break;
    }
    if (d->unit == 3)
        gpio_leds(s, g);
}

/* Reset values (RM0090 8.4): PA13-15 and PB3-4 are the debug port. */
static void gpio_reset(vb_sys_t *s, const vb_dev_t *d, void *st, bool power_on)
{
    vb_gpio_t *g = st;

    (void)power_on;
    memset(g, 0, sizeof *g);
    memset(g->ext, -1, sizeof g->ext);
    if (d->unit == 0) {
        g->moder = 0xA8000000u;
        g->pupdr = 0x64000000u;
        g->ospeedr = 0x0C000000u;
    } else if (d->unit == 1) {
        g->moder = 0x00000280u;
        g->pupdr = 0x00000100u;
        g->ospeedr = 0x000000C0u;
    } else if (d->unit == 3) {
        gpio_leds(s, g);
    }
}

const vb_dev_class_t vb_gpio_class = {
    .state_size = sizeof(vb_gpio_t),
    .reset = gpio_reset,
    .read = gpio_read,
    .write = gpio_write,
};
