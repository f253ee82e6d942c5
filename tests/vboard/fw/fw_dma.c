/*
 * DMA test firmware for the virtual board: sets up SPI1 as a slave (HSI
 * 16 MHz, PA4-PA7 on AF5, hardware NSS) with the GPIOA, SPI1 and DMA2
 * clocks on, then serves register reads and writes from the mailbox
 * (fw_dma.h). The host programs DMA2 through these, so every access goes
 * through the CPU and the board's bus decoding, as the bootloader's do.
 */
#include "fw_dma.h"
#include "fw_mbox.h"
#include "fw_regs.h"

extern uint32_t _sdata, _edata, _ldata, _sbss, _ebss, _estack;
void fw_reset(void);

__attribute__((section(".isr"), used)) static const void *const s_vectors[2] = {
    &_estack, (const void *)fw_reset};

__attribute__((section(".mbox"))) static volatile uint32_t s_mb[256];

static void fw_dma_serve(void)
{
    RCC_AHB1ENR |= 1u | (1u << 22);                           /* GPIOA, DMA2 */
    RCC_APB2ENR |= 1u << 12;                                  /* SPI1 */
    GPIOA(0x00) = (GPIOA(0x00) & ~0xFF00u) | 0xAA00u;         /* PA4-7 AF */
    GPIOA(0x20) = (GPIOA(0x20) & ~0xFFFF0000u) | 0x55550000u; /* AF5 */
    SPI1_CR1 = 1u << 6; /* slave, mode 0, hardware NSS, SPE */
    SPI1_DR = 0xA5;
    s_mb[FW_DMA_READY] = FW_DMA_MAGIC;
    for (;;) {
        uint32_t op = s_mb[FW_DMA_OP];

        if (op == FW_DMA_OP_READ)
            s_mb[FW_DMA_RES] = REG(s_mb[FW_DMA_ADDR]);
        else if (op == FW_DMA_OP_WRITE)
            REG(s_mb[FW_DMA_ADDR]) = s_mb[FW_DMA_VAL];
        else if (op == FW_DMA_OP_HALT)
            FW_HALT(FW_DMA_OP_HALT);
        else
            continue;
        s_mb[FW_DMA_DONE]++;
        s_mb[FW_DMA_OP] = FW_DMA_OP_NONE;
    }
}

void fw_reset(void)
{
    uint32_t *s = &_ldata, *d = &_sdata;

    while (d < &_edata)
        *d++ = *s++;
    for (d = &_sbss; d < &_ebss; d++)
        *d = 0;
    fw_dma_serve();
}
