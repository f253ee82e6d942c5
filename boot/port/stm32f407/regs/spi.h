/* spi.h - Serial peripheral interface (RM0090 section 28). */
#ifndef FW_REGS_SPI_H
#define FW_REGS_SPI_H

#include "mmio.h"

#define SPI1 (PERIPH_BASE_APB2 + 0x3000u)

#define SPI_CR1(spi) MMIO32((spi) + 0x00u)
#define SPI_CR2(spi) MMIO32((spi) + 0x04u)
#define SPI_SR(spi) MMIO32((spi) + 0x08u)
#define SPI_DR(spi) MMIO32((spi) + 0x0Cu)

/* SPI_CR1 */
#define SPI_CR1_CPHA (1u << 0)
#define SPI_CR1_CPOL (1u << 1)
#define SPI_CR1_MSTR (1u << 2)
#define SPI_CR1_BR_SHIFT 3
#define SPI_CR1_SPE (1u << 6)
#define SPI_CR1_LSBFIRST (1u << 7)
#define SPI_CR1_SSI (1u << 8)
#define SPI_CR1_SSM (1u << 9)
#define SPI_CR1_RXONLY (1u << 10)
#define SPI_CR1_DFF (1u << 11)
#define SPI_CR1_CRCEN (1u << 13)
#define SPI_CR1_BIDIOE (1u << 14)
#define SPI_CR1_BIDIMODE (1u << 15)

/* SPI_CR2 */
#define SPI_CR2_RXDMAEN (1u << 0)
#define SPI_CR2_TXDMAEN (1u << 1)
#define SPI_CR2_SSOE (1u << 2)
#define SPI_CR2_FRF (1u << 4)
#define SPI_CR2_ERRIE (1u << 5)
#define SPI_CR2_RXNEIE (1u << 6)

/* SPI_SR */
#define SPI_SR_RXNE (1u << 0)
#define SPI_SR_TXE (1u << 1)
#define SPI_SR_CRCERR (1u << 4)
#define SPI_SR_MODF (1u << 5)
#define SPI_SR_OVR (1u << 6)
#define SPI_SR_BSY (1u << 7)
#define SPI_SR_FRE (1u << 8)

#endif /* FW_REGS_SPI_H */
