/*
 * vb_regs.h - addresses, register offsets and bits of the modelled
 * STM32F407 peripherals, named as in RM0090 (section numbers per block)
 * and, for the core peripherals, the ARMv7-M Architecture Reference
 * Manual (B3) and the Cortex-M4 TRM.
 */
#ifndef VB_REGS_H
#define VB_REGS_H

/* Memory map (RM0090 2.3, table 1). */
#define VB_SRAM_BASE 0x20000000u
#define VB_SRAM_SIZE 0x20000u
#define VB_CCM_BASE 0x10000000u
#define VB_CCM_SIZE 0x10000u
#define VB_SYS_BASE 0x1FFF0000u /* system memory, OTP, UID, flash size */
#define VB_SYS_SIZE 0x8000u
#define VB_OPT_BASE 0x1FFFC000u /* option bytes */
#define VB_OPT_SIZE 0x1000u
#define VB_PERIPH_BASE 0x40000000u
#define VB_PERIPH_SIZE 0x80000u
#define VB_PPB_BASE 0xE0000000u
#define VB_PPB_SIZE 0x100000u

/* Peripheral bases. */
#define USART2_BASE 0x40004400u
#define IWDG_BASE 0x40003000u
#define PWR_BASE 0x40007000u
#define USART1_BASE 0x40011000u
#define SPI1_BASE 0x40013000u
#define SYSCFG_BASE 0x40013800u
#define EXTI_BASE 0x40013C00u
#define GPIO_BASE 0x40020000u
#define GPIO_STRIDE 0x400u
#define CRC_BASE 0x40023000u
#define RCC_BASE 0x40023800u
#define FLASH_IF_BASE 0x40023C00u
#define DMA2_BASE 0x40026400u
#define DWT_BASE 0xE0001000u
#define SCS_BASE 0xE000E000u
#define SYST_BASE 0xE000E010u
#define DBGMCU_BASE 0xE0042000u

/* RCC (RM0090 7.3). */
#define RCC_CR 0x00u
#define RCC_PLLCFGR 0x04u
#define RCC_CFGR 0x08u
#define RCC_AHB1ENR 0x30u
#define RCC_AHB2ENR 0x34u
#define RCC_APB1ENR 0x40u
#define RCC_APB2ENR 0x44u
#define RCC_BDCR 0x70u
#define RCC_CSR 0x74u
#define RCC_CR_HSION (1u << 0)
#define RCC_CR_HSIRDY (1u << 1)
#define RCC_CR_HSEON (1u << 16)
#define RCC_CR_HSERDY (1u << 17)
#define RCC_CR_PLLON (1u << 24)
#define RCC_CR_PLLRDY (1u << 25)
#define RCC_PLLCFGR_SRC_HSE (1u << 22)
#define RCC_CSR_RMVF (1u << 24)
#define RCC_AHB1_GPIO(n) (n)
#define RCC_AHB1_CRC 12
#define RCC_AHB1_DMA2 22
#define RCC_APB1_USART2 17
#define RCC_APB1_PWR 28
#define RCC_APB2_USART1 4
#define RCC_APB2_SPI1 12
#define RCC_APB2_SYSCFG 14

/* PWR (RM0090 5.4). */
#define PWR_CR 0x00u
#define PWR_CSR 0x04u
#define PWR_CSR_VOSRDY (1u << 14)

/* FLASH interface (RM0090 3.9). */
#define FLASH_ACR 0x00u
#define FLASH_KEYR 0x04u
#define FLASH_OPTKEYR 0x08u
#define FLASH_SR 0x0Cu
#define FLASH_CR 0x10u
#define FLASH_OPTCR 0x14u
#define FL_SR_EOP (1u << 0)
#define FL_SR_OPERR (1u << 1)
#define FL_SR_WRPERR (1u << 4)
#define FL_SR_PGAERR (1u << 5)
#define FL_SR_PGPERR (1u << 6)
#define FL_SR_PGSERR (1u << 7)
#define FL_SR_BSY (1u << 16)
#define FL_SR_W1C 0xF3u
#define FL_SR_SEQERR (FL_SR_PGAERR | FL_SR_PGPERR | FL_SR_PGSERR | FL_SR_WRPERR)
#define FL_CR_PG (1u << 0)
#define FL_CR_SER (1u << 1)
#define FL_CR_MER (1u << 2)
#define FL_CR_SNB_SHIFT 3
#define FL_CR_SNB_MASK (0xFu << 3)
#define FL_CR_PSIZE_SHIFT 8
#define FL_CR_STRT (1u << 16)
#define FL_CR_EOPIE (1u << 24)
#define FL_CR_ERRIE (1u << 25)
#define FL_CR_LOCK (1u << 31)
#define FL_CR_RW                                                               \
    (FL_CR_PG | FL_CR_SER | FL_CR_MER | FL_CR_SNB_MASK | (3u << 8) |           \
     FL_CR_EOPIE | FL_CR_ERRIE)
#define FL_KEY1 0x45670123u
#define FL_KEY2 0xCDEF89ABu
#define FL_OPTKEY1 0x08192A3Bu
#define FL_OPTKEY2 0x4C5D6E7Fu
#define FL_OPTCR_OPTLOCK (1u << 0)
#define FL_OPTCR_OPTSTRT (1u << 1)

/* SYSCFG (RM0090 9.2). */
#define SYSCFG_MEMRMP 0x00u
#define SYSCFG_PMC 0x04u
#define SYSCFG_EXTICR1 0x08u
#define SYSCFG_CMPCR 0x20u

/* EXTI (RM0090 12.3). */
#define EXTI_IMR 0x00u
#define EXTI_EMR 0x04u
#define EXTI_RTSR 0x08u
#define EXTI_FTSR 0x0Cu
#define EXTI_SWIER 0x10u
#define EXTI_PR 0x14u

/* GPIO (RM0090 8.4). */
#define GPIO_MODER 0x00u
#define GPIO_OTYPER 0x04u
#define GPIO_OSPEEDR 0x08u
#define GPIO_PUPDR 0x0Cu
#define GPIO_IDR 0x10u
#define GPIO_ODR 0x14u
#define GPIO_BSRR 0x18u
#define GPIO_LCKR 0x1Cu
#define GPIO_AFRL 0x20u
#define GPIO_AFRH 0x24u

/* SPI (RM0090 28.5). */
#define SPI_CR1 0x00u
#define SPI_CR2 0x04u
#define SPI_SR 0x08u
#define SPI_DR 0x0Cu
#define SPI_CRCPR 0x10u
#define SPI_I2SCFGR 0x1Cu
#define SPI_I2SPR 0x20u
#define SPI_CR1_CPHA (1u << 0)
#define SPI_CR1_CPOL (1u << 1)
#define SPI_CR1_MSTR (1u << 2)
#define SPI_CR1_SPE (1u << 6)
#define SPI_CR1_LSBFIRST (1u << 7)
#define SPI_CR1_SSI (1u << 8)
#define SPI_CR1_SSM (1u << 9)
#define SPI_CR1_DFF (1u << 11)
#define SPI_CR2_RXDMAEN (1u << 0)
#define SPI_CR2_TXDMAEN (1u << 1)
#define SPI_CR2_ERRIE (1u << 5)
#define SPI_CR2_RXNEIE (1u << 6)
#define SPI_CR2_TXEIE (1u << 7)
#define SPI_SR_RXNE (1u << 0)
#define SPI_SR_TXE (1u << 1)
#define SPI_SR_OVR (1u << 6)
#define SPI_SR_BSY (1u << 7)

/* DMA (RM0090 10.5). Stream x registers at 0x10 + 0x18 * x. */
#define DMA_LISR 0x00u
#define DMA_HISR 0x04u
#define DMA_LIFCR 0x08u
#define DMA_HIFCR 0x0Cu
#define DMA_S0 0x10u
#define DMA_SSTRIDE 0x18u
#define DMA_SxCR 0x00u
#define DMA_SxNDTR 0x04u
#define DMA_SxPAR 0x08u
#define DMA_SxM0AR 0x0Cu
#define DMA_SxM1AR 0x10u
#define DMA_SxFCR 0x14u
#define DMA_CR_EN (1u << 0)
#define DMA_CR_TEIE (1u << 2)
#define DMA_CR_HTIE (1u << 3)
#define DMA_CR_TCIE (1u << 4)
#define DMA_CR_DIR_SHIFT 6
#define DMA_CR_CIRC (1u << 8)
#define DMA_CR_MINC (1u << 10)
#define DMA_CR_PSIZE_SHIFT 11
#define DMA_CR_MSIZE_SHIFT 13
#define DMA_CR_DBM (1u << 18)
#define DMA_CR_CHSEL_SHIFT 25

/* USART (RM0090 30.6). */
#define USART_SR 0x00u
#define USART_DR 0x04u
#define USART_BRR 0x08u
#define USART_CR1 0x0Cu
#define USART_CR2 0x10u
#define USART_CR3 0x14u
#define USART_GTPR 0x18u
#define US_SR_ORE (1u << 3)
#define US_SR_RXNE (1u << 5)
#define US_SR_TC (1u << 6)
#define US_SR_TXE (1u << 7)
#define US_CR1_RE (1u << 2)
#define US_CR1_TE (1u << 3)
#define US_CR1_RXNEIE (1u << 5)
#define US_CR1_TCIE (1u << 6)
#define US_CR1_TXEIE (1u << 7)
#define US_CR1_M (1u << 12)
#define US_CR1_UE (1u << 13)

/* CRC (RM0090 4.4). */
#define CRC_DR 0x00u
#define CRC_IDR 0x04u
#define CRC_CR 0x08u

/* IWDG (RM0090 19.4). */
#define IWDG_KR 0x00u
#define IWDG_PR 0x04u
#define IWDG_RLR 0x08u
#define IWDG_SR 0x0Cu

/* SysTick (ARMv7-M B3.3.2), offsets from SYST_BASE. */
#define SYST_CSR 0x0u
#define SYST_RVR 0x4u
#define SYST_CVR 0x8u
#define SYST_CALIB 0xCu
#define SYST_CSR_ENABLE (1u << 0)
#define SYST_CSR_TICKINT (1u << 1)
#define SYST_CSR_CLKSOURCE (1u << 2)
#define SYST_CSR_COUNTFLAG (1u << 16)

/* DWT (ARMv7-M C1.8), offsets from DWT_BASE. */
#define DWT_CTRL 0x0u
#define DWT_CYCCNT 0x4u

/* System control space (ARMv7-M B3.2, B3.4), offsets from SCS_BASE. */
#define SCS_ICTR 0x004u
#define NVIC_ISER 0x100u
#define NVIC_ICER 0x180u
#define NVIC_ISPR 0x200u
#define NVIC_ICPR 0x280u
#define NVIC_IABR 0x300u
#define NVIC_IPR 0x400u
#define SCB_CPUID 0xD00u
#define SCB_ICSR 0xD04u
#define SCB_VTOR 0xD08u
#define SCB_AIRCR 0xD0Cu
#define SCB_SCR 0xD10u
#define SCB_CCR 0xD14u
#define SCB_SHPR1 0xD18u
#define SCB_SHPR2 0xD1Cu
#define SCB_SHPR3 0xD20u
#define SCB_SHCSR 0xD24u
#define SCB_CFSR 0xD28u
#define SCB_HFSR 0xD2Cu
#define SCB_MMFAR 0xD34u
#define SCB_BFAR 0xD38u
#define SCB_CPACR 0xD88u
#define SCS_STIR 0xF00u
#define SCB_FPCCR 0xF34u
#define SCB_FPCAR 0xF38u
#define SCB_FPDSCR 0xF3Cu
#define SCB_AIRCR_VECTKEY 0x05FAu
#define SCB_AIRCR_SYSRESETREQ (1u << 2)
#define SCB_CCR_STKALIGN (1u << 9)

/* DBGMCU (RM0090 38.6). */
#define DBGMCU_IDCODE 0x0u

#endif /* VB_REGS_H */
