/*
 * vb_devtab.c - the virtual board's device table: every modelled
 * peripheral with its address range, RCC clock gate (RM0090 7.3.10-7.3.14)
 * and interrupt line (RM0090 table 61). Adding a peripheral is one model
 * file and one row here (docs/virtual-board.md).
 */
#include "vb_dev.h"
#include "vb_regs.h"

#define GPIO_ROW(n, nm)                                                        \
    [VB_DEV_GPIOA + (n)] = {nm,                                                \
                            &vb_gpio_class,                                    \
                            GPIO_BASE + (n)*GPIO_STRIDE,                       \
                            0x400,                                             \
                            VB_GATE_AHB1,                                      \
                            RCC_AHB1_GPIO(n),                                  \
                            -1,                                                \
                            (n)}

const vb_dev_t vb_devices[] = {
    [VB_DEV_RCC] = {"RCC", &vb_rcc_class, RCC_BASE, 0x400, VB_GATE_NONE, 0, -1,
                    0},
    [VB_DEV_FLASH] = {"FLASH", &vb_flashif_class, FLASH_IF_BASE, 0x400,
                      VB_GATE_NONE, 0, 4, 0},
    GPIO_ROW(0, "GPIOA"),
    GPIO_ROW(1, "GPIOB"),
    GPIO_ROW(2, "GPIOC"),
    GPIO_ROW(3, "GPIOD"),
    GPIO_ROW(4, "GPIOE"),
    [VB_DEV_SPI1] = {"SPI1", &vb_spi_class, SPI1_BASE, 0x400, VB_GATE_APB2,
                     RCC_APB2_SPI1, 35, 1},
    [VB_DEV_DMA2] = {"DMA2", &vb_dma_class, DMA2_BASE, 0x400, VB_GATE_AHB1,
                     RCC_AHB1_DMA2, 56, 2},
    [VB_DEV_USART1] = {"USART1", &vb_usart_class, USART1_BASE, 0x400,
                       VB_GATE_APB2, RCC_APB2_USART1, 37, 1},
    [VB_DEV_IWDG] = {"IWDG", &vb_iwdg_class, IWDG_BASE, 0x400, VB_GATE_NONE, 0,
                     -1, 0},
    [VB_DEV_SYSTICK] = {"SysTick", &vb_systick_class, SYST_BASE, 0x10,
                        VB_GATE_NONE, 0, -1, 0},
    [VB_DEV_SCS] = {"SCS", &vb_scs_class, SCS_BASE, 0x1000, VB_GATE_NONE, 0, -1,
                    0},
    [VB_DEV_DWT] = {"DWT", &vb_dwt_class, DWT_BASE, 0x1000, VB_GATE_NONE, 0, -1,
                    0},
    [VB_DEV_SYSCFG] = {"SYSCFG", &vb_syscfg_class, SYSCFG_BASE, 0x400,
                       VB_GATE_APB2, RCC_APB2_SYSCFG, -1, 0},
    [VB_DEV_EXTI] = {"EXTI", &vb_exti_class, EXTI_BASE, 0x400, VB_GATE_NONE, 0,
                     6, 0},
    {"PWR", &vb_pwr_class, PWR_BASE, 0x400, VB_GATE_APB1, RCC_APB1_PWR, -1, 0},
    {"CRC", &vb_crc_class, CRC_BASE, 0x400, VB_GATE_AHB1, RCC_AHB1_CRC, -1, 0},
    {"DBGMCU", &vb_dbgmcu_class, DBGMCU_BASE, 0x400, VB_GATE_NONE, 0, -1, 0},
    {"USART2", &vb_usart_class, USART2_BASE, 0x400, VB_GATE_APB1,
     RCC_APB1_USART2, 38, 2},
};

const unsigned vb_ndevices = sizeof vb_devices / sizeof vb_devices[0];
