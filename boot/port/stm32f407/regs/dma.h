/* dma.h - DMA controller 2 (RM0090 section 10). Only what the SPI1 bulk
 * receive uses: SPI1_RX is request channel 3 of stream 0 (or 2), SPI1_TX
 * channel 3 of stream 3 (or 5) (RM0090 table 43, DMA2 request mapping). */
#ifndef FW_REGS_DMA_H
#define FW_REGS_DMA_H

#include "mmio.h"

#define DMA2_BASE (PERIPH_BASE_AHB1 + 0x6400u)

#define DMA2_LISR MMIO32(DMA2_BASE + 0x00u)
#define DMA2_HISR MMIO32(DMA2_BASE + 0x04u)
#define DMA2_LIFCR MMIO32(DMA2_BASE + 0x08u)
#define DMA2_HIFCR MMIO32(DMA2_BASE + 0x0Cu)

/* Stream x registers. */
#define DMA2_SCR(x) MMIO32(DMA2_BASE + 0x10u + 0x18u * (x))
#define DMA2_SNDTR(x) MMIO32(DMA2_BASE + 0x14u + 0x18u * (x))
#define DMA2_SPAR(x) MMIO32(DMA2_BASE + 0x18u + 0x18u * (x))
#define DMA2_SM0AR(x) MMIO32(DMA2_BASE + 0x1Cu + 0x18u * (x))
#define DMA2_SFCR(x) MMIO32(DMA2_BASE + 0x24u + 0x18u * (x))

/* DMA_SxCR */
#define DMA_SCR_EN (1u << 0)
#define DMA_SCR_DIR_P2M (0u << 6)
#define DMA_SCR_DIR_M2P (1u << 6)
#define DMA_SCR_CIRC (1u << 8)
#define DMA_SCR_MINC (1u << 10)
#define DMA_SCR_PL_HIGH (2u << 16)
#define DMA_SCR_CHSEL(c) ((uint32_t)(c) << 25)

/* Stream 0 flags in LISR / clear bits in LIFCR (streams 1-3 shift by 6,
 * 16 and 22). */
#define DMA_LISR_FEIF0 (1u << 0)
#define DMA_LISR_DMEIF0 (1u << 2)
#define DMA_LISR_TEIF0 (1u << 3)
#define DMA_LISR_HTIF0 (1u << 4)
#define DMA_LISR_TCIF0 (1u << 5)
#define DMA_LIFCR_ALL0 0x3Du

#endif /* FW_REGS_DMA_H */
