/*
 * mmio.h - memory-mapped register access for the STM32F407 port. Written
 * for this project in libopencm3's naming style (MMIO32, PERIPH_REG,
 * _SHIFT/_MASK); no vendor header is used anywhere.
 */
#ifndef FW_REGS_MMIO_H
#define FW_REGS_MMIO_H

#include <stdint.h>

#define MMIO32(addr) (*(volatile uint32_t *)(uintptr_t)(addr))
#define MMIO16(addr) (*(volatile uint16_t *)(uintptr_t)(addr))
#define MMIO8(addr) (*(volatile uint8_t *)(uintptr_t)(addr))

/* Peripheral bus bases (RM0090 memory map). */
#define PERIPH_BASE_APB1 0x40000000u
#define PERIPH_BASE_APB2 0x40010000u
#define PERIPH_BASE_AHB1 0x40020000u

#endif /* FW_REGS_MMIO_H */
