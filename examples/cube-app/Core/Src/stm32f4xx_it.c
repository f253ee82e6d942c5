/*
 * stm32f4xx_it.c - the interrupt handlers of the example (they override
 * the weak ones of startup_stm32f407xx.s).
 */
#include "fota_app.h"
#include "main.h"

void SysTick_Handler(void);
void SPI1_IRQHandler(void);

volatile uint32_t uwTick;

/* 1 kHz tick, as HAL_IncTick() keeps it. */
void SysTick_Handler(void)
{
    uwTick++;
}

/* The agent's status exchange on SPI1: answered by the library. */
void SPI1_IRQHandler(void)
{
    fota_app_spi1_irq();
}
