/*
 * vb_crc.c - CRC calculation unit (RM0090 section 4): CRC-32 (polynomial
 * 0x04C11DB7, MSB first) over 32-bit words written to CRC_DR.
 */
#include "vb_dev.h"
#include "vb_regs.h"

typedef struct vb_crc {
    uint32_t dr, idr;
} vb_crc_t;

static uint32_t crc_word(uint32_t crc, uint32_t w)
{
    crc ^= w;
    for (int i = 0; i < 32; i++)
        crc = (crc & 0x80000000u) ? (crc << 1) ^ 0x04C11DB7u : crc << 1;
    return crc;
}

static uint32_t crc_read(vb_sys_t *s, const vb_dev_t *d, void *st, uint32_t off)
{
    vb_crc_t *c = st;

    (void)s;
    (void)d;
    if (off == CRC_DR)
        return c->dr;
    if (off == CRC_IDR)
        return c->idr;
    return 0;
}

static void crc_write(vb_sys_t *s, const vb_dev_t *d, void *st, uint32_t off,
                      uint32_t v, uint32_t mask)
{
    vb_crc_t *c = st;

    (void)s;
    (void)d;
    if (off == CRC_DR)
        c->dr = crc_word(c->dr, v); /* 32-bit writes only */
    else if (off == CRC_IDR)
        c->idr = vb_merge(c->idr, v, mask) & 0xFFu;
    else if (off == CRC_CR && (v & mask & 1u))
        c->dr = 0xFFFFFFFFu;
}

static void crc_reset(vb_sys_t *s, const vb_dev_t *d, void *st, bool power_on)
{
    vb_crc_t *c = st;

    (void)s;
    (void)d;
    (void)power_on;
    c->dr = 0xFFFFFFFFu;
    c->idr = 0;
}

const vb_dev_class_t vb_crc_class = {
    .state_size = sizeof(vb_crc_t),
    .reset = crc_reset,
    .read = crc_read,
    .write = crc_write,
};
