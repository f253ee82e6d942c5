/* usart.h - Universal synchronous/asynchronous receiver transmitter
 * (RM0090 section 30). */
#ifndef FW_REGS_USART_H
#define FW_REGS_USART_H

#include "mmio.h"

#define USART1 (PERIPH_BASE_APB2 + 0x1000u)

#define USART_SR(u) MMIO32((u) + 0x00u)
#define USART_DR(u) MMIO32((u) + 0x04u)
#define USART_BRR(u) MMIO32((u) + 0x08u)
#define USART_CR1(u) MMIO32((u) + 0x0Cu)
#define USART_CR2(u) MMIO32((u) + 0x10u)
#define USART_CR3(u) MMIO32((u) + 0x14u)

/* USART_SR */
#define USART_SR_PE (1u << 0)
#define USART_SR_FE (1u << 1)
#define USART_SR_NF (1u << 2)
#define USART_SR_ORE (1u << 3)
#define USART_SR_RXNE (1u << 5)
#define USART_SR_TC (1u << 6)
#define USART_SR_TXE (1u << 7)

/* USART_CR1 */
#define USART_CR1_RE (1u << 2)
#define USART_CR1_RXNEIE (1u << 5)
#define USART_CR1_TE (1u << 3)
#define USART_CR1_PCE (1u << 10)
#define USART_CR1_M (1u << 12)
#define USART_CR1_UE (1u << 13)
#define USART_CR1_OVER8 (1u << 15)

#endif /* FW_REGS_USART_H */
