/*
 * system_stm32f4xx.c - SystemInit() and SystemClock_Config() as a CubeIDE
 * project has them, for an application behind the fota-f407 bootloader.
 */
#include <stdint.h>

#include "main.h"
#include "stm32f4_regs.h"

uint32_t SystemCoreClock = 16000000u;

/* The vector table of this image (startup_stm32f407xx.s): in the slot
 * body, 512 bytes after the slot start (the image header comes first).
 * CubeIDE's USER_VECT_TAB_ADDRESS/VECT_TAB_OFFSET do the same with a
 * constant; taking the table's own address works for both slots. */
extern const uint32_t g_pfnVectors[];

void SystemInit(void);

void SystemInit(void)
{
    /* FPU: full access to CP10 and CP11 (ARMv7-M ARM B3.2.20). */
    SCB_CPACR |= (3u << 20) | (3u << 22);
    SCB_VTOR = (uint32_t)(uintptr_t)g_pfnVectors;
}

/* 168 MHz from the 8 MHz crystal: PLL M 8, N 336, P 2, Q 7; AHB /1, APB1
 * /4 (42 MHz), APB2 /2 (84 MHz); 5 flash wait states (RM0090 3.5.1). The
 * bootloader already leaves the chip at this clock, so this only checks
 * it; from HSI (a bootloader without crystal) it switches. */
void SystemClock_Config(void)
{
    if ((RCC_CFGR & RCC_CFGR_SWS_MASK) == RCC_CFGR_SWS_PLL) {
        SystemCoreClock = 168000000u;
        return;
    }
    RCC_CR |= RCC_CR_HSEON;
    for (uint32_t n = 0; !(RCC_CR & RCC_CR_HSERDY); n++)
        if (n > 1000000u)
            return; /* no crystal: stay on HSI */
    RCC_PLLCFGR = 8u | (336u << 6) | (0u << 16) | (1u << 22) | (7u << 24);
    RCC_CR |= RCC_CR_PLLON;
    while (!(RCC_CR & RCC_CR_PLLRDY)) {
    }
    FLASH_ACR =
        (1u << 8) | (1u << 9) | (1u << 10) | 5u; /* PRFTEN ICEN DCEN 5 WS */
    RCC_CFGR = (RCC_CFGR & ~0xFCF3u) | (5u << 10) | (4u << 13) | 2u;
    while ((RCC_CFGR & RCC_CFGR_SWS_MASK) != RCC_CFGR_SWS_PLL) {
    }
    SystemCoreClock = 168000000u;
}
