/* crc.h - CRC calculation unit (RM0090 section 4): CRC-32 0x04C11DB7 over
 * 32-bit words, initial value 0xFFFFFFFF after a reset. */
#ifndef FW_REGS_CRC_H
#define FW_REGS_CRC_H

#include "mmio.h"

#define CRC_BASE (PERIPH_BASE_AHB1 + 0x3000u)

#define CRC_DR MMIO32(CRC_BASE + 0x00u)
#define CRC_IDR MMIO32(CRC_BASE + 0x04u)
#define CRC_CR MMIO32(CRC_BASE + 0x08u)

#define CRC_CR_RESET (1u << 0)

#endif /* FW_REGS_CRC_H */
