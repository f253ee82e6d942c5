/*
 * vb_dma.c - DMA2 (RM0090 section 10), streams 0-7 in direct mode with
 * byte-wide items, normal or circular; the SPI1 requests (channel 3: RX
 * on streams 0 and 2, TX on streams 3 and 5, table 43) are served. Requests are levels: the
 * board calls vb_dma_serve whenever one is asserted, and a stream write
 * serves what is pending. The data moves through the board's bus (PAR)
 * and memory services; a transfer takes a few AHB cycles, far below a
 * byte time on SPI, and is charged nothing.
 */
#include <stdio.h>
#include <string.h>

#include "vb_dev.h"
#include "vb_regs.h"

/* Stream flags (FEIF, DMEIF, TEIF, HTIF, TCIF at bits 0, 2-5 of the
 * stream's 6-bit field); fields of streams 0-3 / 4-7 start at bits 0, 6,
 * 16 and 22 of LISR / HISR. */
#define DMA_F_TEIF (1u << 3)
#define DMA_F_HTIF (1u << 4)
#define DMA_F_TCIF (1u << 5)
#define DMA_F_ALL 0x3Du

typedef struct vb_dma {
    uint32_t cr[8], ndtr[8], par[8], m0ar[8], m1ar[8], fcr[8];
    uint32_t isr[2];   /* LISR, HISR */
    uint32_t mptr[8];  /* memory address of the next transfer */
    uint32_t start[8]; /* NDTR when the stream was enabled */
    uint64_t bytes;    /* items moved */
    bool serving; /* inside vb_dma_serve (a transfer moves request lines) */
} vb_dma_t;

static const uint8_t s_flag_shift[4] = {0, 6, 16, 22};
/* DMA2 stream interrupts (RM0090 table 61). */
static const uint8_t s_stream_irq[8] = {56, 57, 58, 59, 60, 68, 69, 70};

static uint32_t dma_flags(const vb_dma_t *m, unsigned n)
{
    return (m->isr[n / 4] >> s_flag_shift[n % 4]) & DMA_F_ALL;
}

/* Each stream's interrupt line: its flags under their enables (TEIE,
 * HTIE, TCIE in SxCR; DMEIE bit 1 too). */
static void dma_lines(vb_sys_t *s, const vb_dma_t *m)
{
    for (unsigned n = 0; n < 8; n++) {
        uint32_t f = dma_flags(m, n), cr = m->cr[n];
        bool on = ((cr & DMA_CR_TCIE) && (f & DMA_F_TCIF)) ||
                  ((cr & DMA_CR_HTIE) && (f & DMA_F_HTIF)) ||
                  ((cr & DMA_CR_TEIE) && (f & DMA_F_TEIF)) ||
                  ((cr & 2u) && (f & 4u));

        s->ops->irq(s, s_stream_irq[n], on);
    }
}

static void dma_flag(vb_dma_t *m, unsigned n, uint32_t f)
{
    m->isr[n / 4] |= f << s_flag_shift[n % 4];
}

/* Stream n enabled for SPI1 (channel 3) in direction dir (0 peripheral to
 * memory, 1 memory to peripheral). The request does not depend on the
 * peripheral address, but a stream that serves it from anywhere but DR
 * would move other data and leave RXNE/TXE alone: not modelled, so it is
 * a board fault rather than a silent success. */
static bool dma_spi_stream(vb_sys_t *s, vb_dma_t *m, unsigned n, unsigned dir)
{
    uint32_t cr = m->cr[n];
    char msg[96];

    if (!(cr & DMA_CR_EN) || ((cr >> DMA_CR_CHSEL_SHIFT) & 7u) != 3 ||
        ((cr >> DMA_CR_DIR_SHIFT) & 3u) != dir)
        return false;
    if (m->par[n] != SPI1_BASE + SPI_DR) {
        snprintf(msg, sizeof msg,
                 "DMA2 stream %u serves SPI1 with PAR 0x%08x, not SPI1_DR (not "
                 "modelled)",
                 n, (unsigned)m->par[n]);
        s->ops->fault(s, msg);
        return false;
    }
    return true;
}

/* The memory side of one transfer: SRAM, or flash for memory to
 * peripheral (the F4's CCM RAM is not on the DMA bus); any other target
 * is a transfer error that disables the stream, as on silicon. */
static uint8_t *dma_mem(vb_sys_t *s, vb_dma_t *m, unsigned n)
{
    uint8_t *p =
        s->ops->dma_mem(s, m->mptr[n], !(m->cr[n] & (1u << DMA_CR_DIR_SHIFT)));

    if (!p) {
        dma_flag(m, n, DMA_F_TEIF);
        m->cr[n] &= ~DMA_CR_EN;
    }
    return p;
}

/* One data item moved: count down, half and complete flags. At 0 the
 * stream disables itself in normal mode; in circular mode NDTR and the
 * memory pointer are reloaded from their programmed values and requests
 * keep being served (RM0090 10.3.9). */
static void dma_item_done(vb_dma_t *m, unsigned n)
{
    if (m->cr[n] & DMA_CR_MINC)
        m->mptr[n]++;
    m->ndtr[n]--;
    m->bytes++;
    if (m->ndtr[n] == m->start[n] / 2)
        dma_flag(m, n, DMA_F_HTIF);
    if (m->ndtr[n] == 0) {
        dma_flag(m, n, DMA_F_TCIF);
        if (m->cr[n] & DMA_CR_CIRC) {
            m->ndtr[n] = m->start[n];
            m->mptr[n] = m->m0ar[n];
        } else {
            m->cr[n] &= ~DMA_CR_EN;
        }
    }
}

void vb_dma_serve(vb_sys_t *s, const vb_dev_t *d, void *st)
{
    vb_dma_t *m = st;

    if (m->serving || !s->ops->gate_on(s, d))
        return;
    m->serving = true;
    if (s->drq & VB_DRQ_SPI1_RX) {
        for (unsigned n = 0; n <= 2; n += 2) {
            uint8_t *p;

            if (!dma_spi_stream(s, m, n, 0))
                continue;
            p = dma_mem(s, m, n);
            if (p) {
                *p = (uint8_t)s->ops->bus_read(s, m->par[n], 1);
                dma_item_done(m, n);
            }
            break;
        }
    }
    if (s->drq & VB_DRQ_SPI1_TX) {
        for (unsigned n = 3; n <= 5; n += 2) {
            uint8_t *p;

            if (!dma_spi_stream(s, m, n, 1))
                continue;
            p = dma_mem(s, m, n);
            if (p) {
                s->ops->bus_write(s, m->par[n], *p, 1);
                dma_item_done(m, n);
            }
            break;
        }
    }
    m->serving = false;
    dma_lines(s, m);
}

static uint32_t dma_read(vb_sys_t *s, const vb_dev_t *d, void *st, uint32_t off)
{
    vb_dma_t *m = st;
    unsigned n;

    (void)s;
    (void)d;
    if (off == DMA_LISR || off == DMA_HISR)
        return m->isr[off / 4];
    if (off < DMA_S0 || off >= DMA_S0 + 8 * DMA_SSTRIDE)
        return 0;
    n = (off - DMA_S0) / DMA_SSTRIDE;
    switch ((off - DMA_S0) % DMA_SSTRIDE) {
    case DMA_SxCR:
        return m->cr[n];
    case DMA_SxNDTR:
        return m->ndtr[n];
    case DMA_SxPAR:
        return m->par[n];
    case DMA_SxM0AR:
        return m->m0ar[n];
    case DMA_SxM1AR:
        return m->m1ar[n];
    default:
        /* FCR: FIFO empty (FS = 100b) in direct mode. */
        return (m->fcr[n] & 0x87u) | (4u << 3);
    }
}

static void dma_write(vb_sys_t *s, const vb_dev_t *d, void *st, uint32_t off,
                      uint32_t v, uint32_t mask)
{
    vb_dma_t *m = st;
    unsigned n;
    bool en;
    char msg[96];

    if (off == DMA_LIFCR || off == DMA_HIFCR) { /* write 1 to clear */
        m->isr[(off - DMA_LIFCR) / 4] &= ~(v & mask & 0x0F7D0F7Du);
        dma_lines(s, m);
        return;
    }
    if (off < DMA_S0 || off >= DMA_S0 + 8 * DMA_SSTRIDE)
        return;
    n = (off - DMA_S0) / DMA_SSTRIDE;
    en = m->cr[n] & DMA_CR_EN;
    switch ((off - DMA_S0) % DMA_SSTRIDE) {
    case DMA_SxCR:
        v = vb_merge(m->cr[n], v, mask) & 0x0FEFFFFFu;
        if (en) {
            /* While enabled only EN can change (RM0090 10.5.5). Cleared
             * by software before NDTR reached 0, the stream stops after
             * the item in progress (none here: items move at once, and
             * direct mode has no FIFO to flush) and reports the end of
             * the transfer with TCIF; NDTR keeps the count left
             * (RM0090 10.3.14). */
            if (!(v & DMA_CR_EN)) {
                m->cr[n] &= ~DMA_CR_EN;
                dma_flag(m, n, DMA_F_TCIF);
            }
            break;
        }
        if ((v & DMA_CR_EN) &&
            (((v >> DMA_CR_PSIZE_SHIFT) & 3u) ||
             ((v >> DMA_CR_MSIZE_SHIFT) & 3u) || (v & DMA_CR_DBM))) {
            snprintf(msg, sizeof msg,
                     "DMA2 stream %u: only byte-wide, single-buffer transfers "
                     "are modelled",
                     n);
            s->ops->fault(s, msg);
        }
        if ((v & DMA_CR_EN) && m->ndtr[n] == 0)
            v &= ~DMA_CR_EN; /* nothing to transfer: the stream stays off */
        if ((v & DMA_CR_EN) && dma_flags(m, n)) {
            snprintf(msg, sizeof msg,
                     "DMA2 stream %u enabled with its flags not cleared", n);
            s->ops->fault(s, msg);
        }
        m->cr[n] = v;
        if (v & DMA_CR_EN) {
            m->mptr[n] = m->m0ar[n];
            m->start[n] = m->ndtr[n];
        }
        break;
    case DMA_SxNDTR: /* registers below are read-only while the stream runs */
        if (!en)
            m->ndtr[n] = vb_merge(m->ndtr[n], v, mask) & 0xFFFFu;
        break;
    case DMA_SxPAR:
        if (!en)
            m->par[n] = vb_merge(m->par[n], v, mask);
        break;
    case DMA_SxM0AR:
        if (!en)
            m->m0ar[n] = vb_merge(m->m0ar[n], v, mask);
        break;
    case DMA_SxM1AR:
        if (!en)
            m->m1ar[n] = vb_merge(m->m1ar[n], v, mask);
        break;
    default:
        if (!en)
            m->fcr[n] = vb_merge(m->fcr[n], v, mask) & 0x87u;
        break;
    }
    vb_dma_serve(s, d, m);
}

static void dma_reset(vb_sys_t *s, const vb_dev_t *d, void *st, bool power_on)
{
    vb_dma_t *m = st;
    uint64_t bytes = m->bytes;

    (void)s;
    (void)d;
    (void)power_on;
    memset(m, 0, sizeof *m);
    m->bytes = bytes;
}

const vb_dev_class_t vb_dma_class = {
    .state_size = sizeof(vb_dma_t),
    .reset = dma_reset,
    .read = dma_read,
    .write = dma_write,
};
