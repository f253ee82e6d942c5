/*
 * fw_hw.h - small hardware helpers shared by the bootloader port and the
 * example application: clock tree, SysTick millisecond clock, USART1,
 * reset. Everything is polled; nothing enables an interrupt.
 */
#ifndef FW_HW_H
#define FW_HW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Code that must run while flash is busy (single bank: any fetch from
 * flash stalls) goes to SRAM; startup copies .ramfunc there. noinline so
 * it is never inlined back into a flash-resident caller's body where it
 * would be fetched from flash. */
#if defined(FW_API_COPY) && FW_API_COPY
/* The API table's copy of the confirm path (boot/CMakeLists.txt) runs from
 * flash: the application owns all of SRAM, so nothing of it is in RAM. */
#define FW_RAMFUNC __attribute__((noinline))
#else
#define FW_RAMFUNC __attribute__((section(".ramfunc"), noinline))
#endif

/* Clock sources the bootloader can be running on. Only FW_CLOCK_HSI and
 * FW_CLOCK_PLL_HSE are ever handed to the application, so a PLL found
 * running by fw_clock_detect() is always the crystal's. */
enum fw_clock_src {
    FW_CLOCK_HSI = 0,     /* 16 MHz internal RC: the reset clock, fallback */
    FW_CLOCK_PLL_HSE = 1, /* 8 MHz crystal -> PLL -> 168 MHz */
    FW_CLOCK_PLL_HSI = 2, /* 16 MHz HSI -> PLL -> 168 MHz (bootloader only) */
};

/* Bootloader, from the reset handler before the RAM copy (registers only,
 * no .data/.bss): 5 flash wait states, prefetch and caches; start the HSE
 * crystal (DS8626 tSU(HSE) ~2 ms) and, without waiting for it, run
 * SYSCLK at 168 MHz from the HSI through the PLL (M=16, N=336, P=2, Q=7;
 * AHB 168, APB2 84, APB1 42 MHz). Every wait is a bounded loop; if the PLL
 * does not lock or switch, SYSCLK stays on the HSI. */
void fw_clock_start(void);

/* Record the clock fw_clock_start() reached (the PLL, or the HSI with all
 * buses /1 if it failed) for fw_hclk_hz()/fw_pclk2_hz(). Returns the enum
 * fw_clock_src in use. */
int fw_clock_setup(void);

/* Whether the HSE crystal is running (RCC_CR.HSERDY). */
bool fw_clock_hse_ready(void);

/* Move the PLL onto the crystal (M=8, same 168 MHz and bus clocks): the
 * accurate clock the application is handed and update mode's USART needs.
 * SYSCLK runs on the HSI for the ~0.1 ms relock, so USART1 must be idle
 * (TC set) and must be re-initialised if the return value says the clock
 * changed. Does nothing if already there. If the crystal is not ready or
 * the PLL does not lock (bounded waits), falls back to the HSI at 16 MHz,
 * buses /1, PLL and HSE off. Returns the enum fw_clock_src in use. */
int fw_clock_use_hse(void);

/* The clocks in Hz as set up by fw_clock_setup()/fw_clock_use_hse() (or,
 * in the application, as read back from RCC_CFGR by fw_clock_detect()). */
uint32_t fw_hclk_hz(void);
uint32_t fw_pclk2_hz(void);

/* Application side: work out the clock the bootloader left (SWS field). */
int fw_clock_detect(void);

/* SysTick as a polled 1 ms tick (no interrupt): reload = HCLK/1000. */
void fw_systick_start(void);
/* Stop SysTick (before a jump or reset). */
void fw_systick_stop(void);

/* Milliseconds since fw_systick_start(). Polls COUNTFLAG: a tick is counted
 * per call that sees the flag, so the clock can only lag real time if the
 * caller does not poll for more than 1 ms; deadlines computed from it are
 * therefore never cut short. Lives in SRAM (used while flash is busy). */
uint32_t fw_ms(void);

/* USART1 on PA9 (TX) / PA10 (RX), AF7, 115200 8N1, polled. */
void fw_uart_init(void);
/* Transmit one byte; waits for TXE with a bounded loop. */
void fw_uart_putc(uint8_t c);
void fw_uart_puts(const char *s);
void fw_uart_put_hex(uint32_t v);
void fw_uart_put_dec(uint32_t v);
/* Wait for the last byte to leave the shift register (bounded). */
void fw_uart_flush(void);
/* A received byte (0..255), or -1 if none. Clears overrun/framing errors. */
int fw_uart_getc(void);
/* Put USART1 and its pins back to their reset state. */
void fw_uart_deinit(void);

/* Copy .data/.ramfunc and zero .bss of the current program. */
void fw_ram_init(void);

/* Called by the reset handler before fw_ram_init, so it may touch
 * registers only (no .data, .bss or .ramfunc yet). The default (weak)
 * does nothing; the bootloader calls fw_clock_start() here, so the RAM
 * copy already runs at 168 MHz and the crystal starts meanwhile. */
void fw_early_init(void);

/* Request a system reset (AIRCR.SYSRESETREQ); never returns. */
__attribute__((noreturn)) void fw_system_reset(void);

/* The FLASH global interrupt's handler (vector 16 + 4): the bootloader's
 * chained word programming; a fault in a program without one. */
void fw_flash_irq(void);

static inline void fw_irq_disable(void)
{
    __asm__ volatile("cpsid i" ::: "memory");
}

#endif /* FW_HW_H */
