/*
 * fw_startup.c - reset handler and vector table, shared by the bootloader and
 * the example application (each links it with its own linker script).
 *
 * The reset handler copies .data and .ramfunc from flash to SRAM, zeroes
 * .bss, enables the FPU (the code is built hard-float, and any FP
 * instruction before CP10/CP11 are enabled would fault), then calls main().
 * The one interrupt either program takes is the bootloader's FLASH global
 * interrupt in update mode (fw_flash_irq, boot_port_stm32.c); every other
 * exception except reset is a fault, and a fault resets the chip
 * (fail-safe: the boot decision runs again and trial attempts are
 * counted).
 */
#include <stdint.h>

#include "fw_hw.h"
#include "regs/scb.h"

/* Linker-script symbols (boot.ld.in, app.ld.in). */
extern uint32_t _sidata, _sdata, _edata;
extern uint32_t _siramfunc, _sramfunc, _eramfunc;
extern uint32_t _sbss, _ebss;
extern uint32_t _estack;

int main(void);
void fw_reset_handler(void);
void fw_fault_handler(void);

/* Word loops the compiler must not turn into memcpy/memset calls, whose
 * code may itself live in .ramfunc that is not copied yet. The copy moves
 * four words per LDM/STM pair: its source is flash, where each 16-byte
 * line costs the wait states once (RM0090 3.5.1), so the instructions per
 * word are what is left to save; the rest goes through a volatile word
 * loop. */
static void fw_copy_words(uint32_t *dst, const uint32_t *src, uint32_t *end)
{
    volatile uint32_t *d = dst;

#if defined(__thumb2__)
    uint32_t *end4 = dst + ((uint32_t)(end - dst) & ~3u);
    if (end > dst && dst != end4) {
        __asm__ volatile("1:\n\t"
                         "ldmia %[s]!, {r2, r3, r4, r5}\n\t"
                         "stmia %[d]!, {r2, r3, r4, r5}\n\t"
                         "cmp %[d], %[e]\n\t"
                         "bne 1b"
                         : [s] "+r"(src), [d] "+r"(dst)
                         : [e] "r"(end4)
                         : "r2", "r3", "r4", "r5", "cc", "memory");
        d = dst;
    }
#endif
    while (d < end)
        *d++ = *src++;
}

static void fw_zero_words(uint32_t *dst, uint32_t *end)
{
    volatile uint32_t *d = dst;
    while (d < end)
        *d++ = 0;
}

__attribute__((weak)) void fw_early_init(void)
{
}

void fw_reset_handler(void)
{
    fw_early_init();
    fw_ram_init();
    SCB_CPACR |= SCB_CPACR_CP10_CP11_FULL;
    __asm__ volatile("dsb\n\tisb" ::: "memory");
    (void)main();
    fw_system_reset();
}

void fw_ram_init(void)
{
    fw_copy_words(&_sdata, &_sidata, &_edata);
    fw_copy_words(&_sramfunc, &_siramfunc, &_eramfunc);
    fw_zero_words(&_sbss, &_ebss);
}

void fw_fault_handler(void)
{
    fw_system_reset();
}

/* A program without a flash interrupt handler treats it as a fault. */
void fw_flash_irq(void) __attribute__((weak, alias("fw_fault_handler")));

typedef void (*fw_vector_t)(void);

/* 16 core exceptions + 82 STM32F407 interrupts. */
#define FW_VECTORS (16 + 82)

__attribute__((section(".vectors"), used))
const fw_vector_t fw_vector_table[FW_VECTORS] = {
    [0] = (fw_vector_t)(uintptr_t)&_estack,
    [1] = fw_reset_handler,
    [2 ... 16 + 3] = fw_fault_handler,
    [16 + 4] = fw_flash_irq, /* FLASH global interrupt (RM0090 table 61) */
    [16 + 5 ... FW_VECTORS - 1] = fw_fault_handler,
};
