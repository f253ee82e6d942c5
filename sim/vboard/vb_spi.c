/*
 * vb_spi.c - SPI1 as a slave (RM0090 section 28), 8-bit frames: the
 * master's byte is split around its eight SCK periods (the board runs the
 * CPU in between): at the first edge the shift register takes the TX
 * buffer (the old byte again if the firmware did not write DR in time),
 * after the eighth the received byte lands in the RX buffer unless the
 * previous one is still unread (overrun, the new byte is lost). RXNE/TXE
 * drive the DMA request lines and, with RXNEIE/TXEIE/ERRIE, the SPI1
 * interrupt.
 */
#include "vb_dev.h"
#include "vb_regs.h"

typedef struct vb_spi {
    uint32_t cr1, cr2, crcpr, i2scfgr, i2spr;
    uint8_t txbuf, rxbuf, shift;
    bool txe, rxne, ovr, bsy, ovr_dr_read;
    uint64_t bytes, overruns, stale;
} vb_spi_t;

/* Request and interrupt lines follow the flags (both are levels). */
static void spi_lines(vb_sys_t *s, const vb_dev_t *d, const vb_spi_t *p)
{
    bool irq = ((p->cr2 & SPI_CR2_RXNEIE) && p->rxne) ||
               ((p->cr2 & SPI_CR2_TXEIE) && p->txe) ||
               ((p->cr2 & SPI_CR2_ERRIE) && p->ovr);

    s->ops->drq(s, VB_DRQ_SPI1_RX, (p->cr2 & SPI_CR2_RXDMAEN) && p->rxne);
    s->ops->drq(s, VB_DRQ_SPI1_TX, (p->cr2 & SPI_CR2_TXDMAEN) && p->txe);
    if (d->irq >= 0)
        s->ops->irq(s, (unsigned)d->irq, irq);
}

static uint8_t rev8(uint8_t x)
{
    x = (uint8_t)((x & 0xF0) >> 4 | (x & 0x0F) << 4);
    x = (uint8_t)((x & 0xCC) >> 2 | (x & 0x33) << 2);
    return (uint8_t)((x & 0xAA) >> 1 | (x & 0x55) << 1);
}

/* Whether SPI1 takes part in a byte the master clocks now. */
static bool spi_active(vb_sys_t *s, const vb_dev_t *d, const vb_spi_t *p)
{
    if (!s->ops->gate_on(s, d))
        return false;
    /* SCK, MISO, MOSI must reach the peripheral: PA5-PA7 on AF5. */
    if (!s->ops->pin_af(s, 0, 5, 5) || !s->ops->pin_af(s, 0, 6, 5) ||
        !s->ops->pin_af(s, 0, 7, 5))
        return false;
    if (!(p->cr1 & SPI_CR1_SPE) || (p->cr1 & SPI_CR1_MSTR))
        return false;
    if (p->cr1 & SPI_CR1_SSM)
        return !(p->cr1 & SPI_CR1_SSI);
    return !s->nss_high && s->ops->pin_af(s, 0, 4, 5);
}

bool vb_spi_byte_begin(vb_sys_t *s, const vb_dev_t *d, void *st, bool *stale)
{
    vb_spi_t *p = st;

    if (!spi_active(s, d, p))
        return false;
    if (p->cr1 & SPI_CR1_DFF)
        s->ops->fault(s, "SPI1 16-bit frames are not modelled");
    *stale = p->txe;
    if (p->txe)
        p->stale++;
    p->shift = p->txbuf;
    p->bsy = true;
    p->txe = true; /* the shifter took the buffer: a TX stream refills it */
    spi_lines(s, d, p);
    return true;
}

uint8_t vb_spi_byte_end(vb_sys_t *s, const vb_dev_t *d, void *st, uint8_t mosi,
                        bool *lost)
{
    vb_spi_t *p = st;
    uint8_t out = p->shift;

    (void)d;
    p->bsy = false;
    if (p->cr1 & SPI_CR1_LSBFIRST) {
        out = rev8(out);
        mosi = rev8(mosi);
    }
    if (p->cr1 & (SPI_CR1_CPOL | SPI_CR1_CPHA)) {
        /* Wrong clock phase/polarity: each side samples one edge off. */
        out = (uint8_t)(out >> 1 | 0x80);
        mosi = (uint8_t)(mosi >> 1 | 0x80);
    }
    p->bytes++;
    *lost = p->rxne || p->ovr;
    if (*lost) {
        if (!p->ovr)
            p->overruns++;
        p->ovr = true;
    } else {
        p->rxbuf = mosi;
        p->rxne = true;
    }
    spi_lines(s, d, p);
    return out;
}

void vb_spi_stats(const void *st, uint64_t *bytes, uint64_t *overruns,
                  uint64_t *stale)
{
    const vb_spi_t *p = st;

    if (bytes)
        *bytes = p->bytes;
    if (overruns)
        *overruns = p->overruns;
    if (stale)
        *stale = p->stale;
}

static uint32_t spi_read(vb_sys_t *s, const vb_dev_t *d, void *st, uint32_t off)
{
    vb_spi_t *p = st;
    uint32_t sr;

    switch (off) {
    case SPI_CR1:
        return p->cr1;
    case SPI_CR2:
        return p->cr2;
    case SPI_SR:
        sr = (p->rxne ? SPI_SR_RXNE : 0) | (p->txe ? SPI_SR_TXE : 0) |
             (p->ovr ? SPI_SR_OVR : 0) | (p->bsy ? SPI_SR_BSY : 0);
        if (p->ovr_dr_read) { /* DR then SR clears OVR (RM0090 28.4.8) */
            p->ovr = false;
            p->ovr_dr_read = false;
            spi_lines(s, d, p);
        }
        return sr;
    case SPI_DR:
        /* A DMA read of DR is the first half of the OVR clearing sequence
         * too: the CPU's next SR read ends it. */
        p->rxne = false;
        if (p->ovr)
            p->ovr_dr_read = true;
        spi_lines(s, d, p);
        return p->rxbuf;
    case SPI_CRCPR:
        return p->crcpr;
    case SPI_I2SCFGR:
        return p->i2scfgr;
    case SPI_I2SPR:
        return p->i2spr;
    default:
        return 0;
    }
}

static void spi_write(vb_sys_t *s, const vb_dev_t *d, void *st, uint32_t off,
                      uint32_t v, uint32_t mask)
{
    vb_spi_t *p = st;

    switch (off) {
    case SPI_CR1:
        p->cr1 = vb_merge(p->cr1, v, mask) & 0xFFFFu;
        break;
    case SPI_CR2:
        p->cr2 = vb_merge(p->cr2, v, mask) & 0xF7u;
        break;
    case SPI_DR:
        p->txbuf = (uint8_t)(v & mask);
        p->txe = false;
        break;
    case SPI_CRCPR:
        p->crcpr = vb_merge(p->crcpr, v, mask) & 0xFFFFu;
        break;
    case SPI_I2SCFGR:
        p->i2scfgr = vb_merge(p->i2scfgr, v, mask);
        break;
    case SPI_I2SPR:
        p->i2spr = vb_merge(p->i2spr, v, mask);
        break;
    default:
        return;
    }
    spi_lines(s, d, p);
}

static void spi_reset(vb_sys_t *s, const vb_dev_t *d, void *st, bool power_on)
{
    vb_spi_t *p = st;

    (void)s;
    (void)d;
    (void)power_on;
    p->cr1 = p->cr2 = 0;
    p->crcpr = 7;
    p->i2scfgr = p->i2spr = 0;
    p->txbuf = p->rxbuf = 0;
    p->txe = true;
    p->rxne = p->ovr = p->bsy = p->ovr_dr_read = false;
}

const vb_dev_class_t vb_spi_class = {
    .state_size = sizeof(vb_spi_t),
    .reset = spi_reset,
    .read = spi_read,
    .write = spi_write,
};
