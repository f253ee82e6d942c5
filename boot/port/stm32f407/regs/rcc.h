/* rcc.h - Reset and clock control (RM0090 section 7). */
#ifndef FW_REGS_RCC_H
#define FW_REGS_RCC_H

#include "mmio.h"

#define RCC_BASE (PERIPH_BASE_AHB1 + 0x3800u)

#define RCC_CR MMIO32(RCC_BASE + 0x00u)
#define RCC_PLLCFGR MMIO32(RCC_BASE + 0x04u)
#define RCC_CFGR MMIO32(RCC_BASE + 0x08u)
#define RCC_CIR MMIO32(RCC_BASE + 0x0Cu)
#define RCC_AHB1RSTR MMIO32(RCC_BASE + 0x10u)
#define RCC_APB1RSTR MMIO32(RCC_BASE + 0x20u)
#define RCC_APB2RSTR MMIO32(RCC_BASE + 0x24u)
#define RCC_AHB1ENR MMIO32(RCC_BASE + 0x30u)
#define RCC_APB1ENR MMIO32(RCC_BASE + 0x40u)
#define RCC_APB2ENR MMIO32(RCC_BASE + 0x44u)
#define RCC_CSR MMIO32(RCC_BASE + 0x74u)

/* RCC_CR */
#define RCC_CR_HSION (1u << 0)
#define RCC_CR_HSIRDY (1u << 1)
#define RCC_CR_HSEON (1u << 16)
#define RCC_CR_HSERDY (1u << 17)
#define RCC_CR_HSEBYP (1u << 18)
#define RCC_CR_CSSON (1u << 19)
#define RCC_CR_PLLON (1u << 24)
#define RCC_CR_PLLRDY (1u << 25)

/* RCC_PLLCFGR: f_vco = f_in * N / M, f_sys = f_vco / P, f_usb = f_vco / Q */
#define RCC_PLLCFGR_PLLM_SHIFT 0
#define RCC_PLLCFGR_PLLN_SHIFT 6
#define RCC_PLLCFGR_PLLP_SHIFT 16     /* 0: /2, 1: /4, 2: /6, 3: /8 */
#define RCC_PLLCFGR_PLLSRC (1u << 22) /* 1 = HSE */
#define RCC_PLLCFGR_PLLQ_SHIFT 24

/* RCC_CFGR */
#define RCC_CFGR_SW_SHIFT 0
#define RCC_CFGR_SW_MASK 0x3u
#define RCC_CFGR_SWS_SHIFT 2
#define RCC_CFGR_SWS_MASK 0x3u
#define RCC_CFGR_SW_HSI 0x0u
#define RCC_CFGR_SW_HSE 0x1u
#define RCC_CFGR_SW_PLL 0x2u
#define RCC_CFGR_HPRE_SHIFT 4
#define RCC_CFGR_HPRE_MASK 0xFu
#define RCC_CFGR_PPRE1_SHIFT 10
#define RCC_CFGR_PPRE2_SHIFT 13
#define RCC_CFGR_PPRE_MASK 0x7u
#define RCC_CFGR_PPRE_DIV1 0x0u
#define RCC_CFGR_PPRE_DIV2 0x4u
#define RCC_CFGR_PPRE_DIV4 0x5u

/* RCC_AHB1ENR / RCC_AHB1RSTR */
#define RCC_AHB1ENR_GPIOAEN (1u << 0)
#define RCC_AHB1ENR_GPIODEN (1u << 3)
#define RCC_AHB1ENR_CRCEN (1u << 12)
#define RCC_AHB1ENR_DMA2EN (1u << 22)
#define RCC_AHB1RSTR_GPIOARST (1u << 0)
#define RCC_AHB1RSTR_GPIODRST (1u << 3)
#define RCC_AHB1RSTR_CRCRST (1u << 12)
#define RCC_AHB1RSTR_DMA2RST (1u << 22)

/* RCC_APB2ENR / RCC_APB2RSTR */
#define RCC_APB2ENR_USART1EN (1u << 4)
#define RCC_APB2ENR_SPI1EN (1u << 12)
#define RCC_APB2RSTR_USART1RST (1u << 4)
#define RCC_APB2RSTR_SPI1RST (1u << 12)

/* RCC_CSR: LSI and the reset flags (sticky until RMVF). */
#define RCC_CSR_LSION (1u << 0)
#define RCC_CSR_LSIRDY (1u << 1)
#define RCC_CSR_RMVF (1u << 24)
#define RCC_CSR_BORRSTF (1u << 25)
#define RCC_CSR_PINRSTF (1u << 26)
#define RCC_CSR_PORRSTF (1u << 27)
#define RCC_CSR_SFTRSTF (1u << 28)
#define RCC_CSR_IWDGRSTF (1u << 29)
#define RCC_CSR_WWDGRSTF (1u << 30)
#define RCC_CSR_LPWRRSTF (1u << 31)

#endif /* FW_REGS_RCC_H */
