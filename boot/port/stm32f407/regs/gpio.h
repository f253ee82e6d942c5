/* gpio.h - General-purpose I/O ports (RM0090 section 8). */
#ifndef FW_REGS_GPIO_H
#define FW_REGS_GPIO_H

#include "mmio.h"

#define GPIOA (PERIPH_BASE_AHB1 + 0x0000u)
#define GPIOD (PERIPH_BASE_AHB1 + 0x0C00u)

#define GPIO_MODER(port) MMIO32((port) + 0x00u)
#define GPIO_OTYPER(port) MMIO32((port) + 0x04u)
#define GPIO_OSPEEDR(port) MMIO32((port) + 0x08u)
#define GPIO_PUPDR(port) MMIO32((port) + 0x0Cu)
#define GPIO_IDR(port) MMIO32((port) + 0x10u)
#define GPIO_ODR(port) MMIO32((port) + 0x14u)
#define GPIO_BSRR(port) MMIO32((port) + 0x18u)
#define GPIO_AFRL(port) MMIO32((port) + 0x20u)
#define GPIO_AFRH(port) MMIO32((port) + 0x24u)

/* Two-bit fields per pin in MODER, OSPEEDR, PUPDR. */
#define GPIO_MODE_INPUT 0x0u
#define GPIO_MODE_OUTPUT 0x1u
#define GPIO_MODE_AF 0x2u
#define GPIO_MODE_ANALOG 0x3u
#define GPIO_MODE_MASK(n) (0x3u << (2 * (n)))
#define GPIO_MODE(n, mode) ((mode) << (2 * (n)))

#define GPIO_PUPD_NONE 0x0u
#define GPIO_PUPD_PULLUP 0x1u
#define GPIO_PUPD_PULLDOWN 0x2u
#define GPIO_PUPD_MASK(n) (0x3u << (2 * (n)))
#define GPIO_PUPD(n, pupd) ((pupd) << (2 * (n)))

#define GPIO_OSPEED_HIGH 0x2u
#define GPIO_OSPEED_MASK(n) (0x3u << (2 * (n)))
#define GPIO_OSPEED(n, s) ((s) << (2 * (n)))

/* Four-bit alternate-function fields: AFRL for pins 0-7, AFRH for 8-15. */
#define GPIO_AFR_MASK(n) (0xFu << (4 * ((n)&7u)))
#define GPIO_AFR(n, af) ((af) << (4 * ((n)&7u)))
#define GPIO_AF5 0x5u /* SPI1/SPI2 */
#define GPIO_AF7 0x7u /* USART1..3 */

#define GPIO_BSRR_SET(n) (1u << (n))
#define GPIO_BSRR_RESET(n) (1u << ((n) + 16))

#endif /* FW_REGS_GPIO_H */
