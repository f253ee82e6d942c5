/*
 * vboard.h - a virtual STM32F407 (Discovery) board on the Unicorn CPU
 * emulator, running the real firmware ELFs.
 *
 * Modelled: flash (the strict model sim/flash behind a FLASH controller with
 * the RM0090 register interface), SRAM, CCM, system memory/OTP/UID/option
 * bytes, RCC, PWR, GPIO A-E, SPI1 (slave, cycle-faithful), DMA2, USART1,
 * USART2, SysTick, NVIC/SCB with the ARMv7-M exception model, DWT cycle
 * counter, IWDG and the CRC unit. See docs/virtual-board.md.
 *
 * Time: one virtual clock for the whole board. Every instruction costs its
 * Cortex-M4 cycles (vb_m4timing.h: the TRM's instruction timings, flash
 * wait states through the ART accelerator, bus extras; or one cycle each
 * with cpi_model VBOARD_CPI_1) at the HCLK the firmware configured (168 MHz
 * after its PLL set-up, 16 MHz HSI out of reset); flash BSY stalls, SPI
 * bytes and UART characters take their real time on the same clock.
 * Nothing here sleeps: simulated time only moves while the board runs.
 *
 * Threading: a board is used from one thread. Functions return 0 (or a
 * count) on success and a negative FOTA_ERR_* code on failure.
 */
#ifndef VBOARD_H
#define VBOARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sim_flash.h"

typedef struct vboard vboard_t;

typedef struct vboard_config {
    uint8_t flash_timing; /* enum sim_flash_timing (typical or maximum) */
    bool hse_fails;       /* the 8 MHz crystal never starts (HSERDY stays 0) */
    uint32_t hse_startup_us; /* HSEON -> HSERDY; DS8626 tSU(HSE) typ 2 ms */
    uint32_t pll_lock_us;    /* PLLON -> PLLRDY; DS8626 tLOCK ~100 us */
    uint32_t junk_seed;      /* seeds the SRAM contents after a power cut */
    bool nss_high;           /* initial PA4 (NSS) level driven by the master */
    uint8_t cpi_model;       /* enum vboard_cpi_model */
} vboard_config_t;

/* How instructions are timed (docs/virtual-board.md "Cycle timing"). */
enum vboard_cpi_model {
    VBOARD_CPI_M4 = 0, /* Cortex-M4 cycle model with the ART accelerator */
    VBOARD_CPI_1 = 1,  /* every instruction one cycle, no wait states */
};

/* Reset kinds. The RCC_CSR flags set by each are listed in the docs. */
enum vboard_reset_kind {
    VBOARD_RESET_POWER = 0, /* power cut + power on: SRAM junk, flash kept */
    VBOARD_RESET_PIN = 1,   /* NRST pulse: SRAM kept */
};

/* Why vboard_run() returned. */
enum vboard_stop {
    VBOARD_STOP_TIME = 0,  /* the time limit was reached */
    VBOARD_STOP_INSNS = 1, /* the instruction limit was reached */
    VBOARD_STOP_PC = 2,    /* the PC reached the requested address */
    VBOARD_STOP_UART = 3,  /* the requested text appeared on USART1 TX */
    VBOARD_STOP_HALT = 4,  /* BKPT executed (vboard_halt_code() has its imm8) */
    VBOARD_STOP_FAULT = 5, /* the emulated CPU faulted (vboard_fault()) */
    VBOARD_STOP_IDLE = 6,  /* WFI with no limit and nothing that can wake it */
};

/* Stop conditions for vboard_run(); zero/NULL fields are unused. At least
 * one of max_ns / max_insns / pc / uart_text must be set. */
typedef struct vboard_until {
    uint64_t max_ns;    /* run at most this much simulated time */
    uint64_t max_insns; /* execute at most this many instructions */
    uint32_t pc;        /* stop before executing this address (0 = unset) */
    const char
        *uart_text; /* stop once USART1 TX (since the call) contains it */
} vboard_until_t;

/* One change of the Discovery LEDs (PD12 green, PD13 orange, PD14 red,
 * PD15 blue) as bits 0..3 of leds. */
typedef struct vboard_led_event {
    uint64_t t_ns;
    uint8_t leds;
} vboard_led_event_t;

/* RCC_CSR reset flags (bit positions as in RM0090). */
#define VBOARD_RST_BOR (1u << 25)
#define VBOARD_RST_PIN (1u << 26)
#define VBOARD_RST_POR (1u << 27)
#define VBOARD_RST_SFT (1u << 28)
#define VBOARD_RST_IWDG (1u << 29)

/* Defaults: typical flash timing, HSE works (2 ms start-up), PLL 100 us,
 * NSS high (not selected), Cortex-M4 cycle timing. */
void vboard_config_default(vboard_config_t *cfg);

/* A board with erased flash, powered off. cfg may be NULL (defaults).
 * Returns NULL when out of memory or when Unicorn cannot start. */
vboard_t *vboard_create(const vboard_config_t *cfg);
void vboard_destroy(vboard_t *b);

/* Load an ELF32 little-endian ARM file: every PT_LOAD segment with file
 * data goes to its physical address, programmed into flash (AND, as a
 * programmer on erased flash) or copied into SRAM/CCM. Returns 0,
 * FOTA_ERR_IO (file), FOTA_ERR_CORRUPT (not an ELF32 ARM) or FOTA_ERR_RANGE
 * (a segment outside flash/SRAM/CCM). Call before vboard_reset(). */
int vboard_load_elf(vboard_t *b, const char *path);

/* Program a raw binary file (e.g. a packed slot image) at addr in flash
 * (AND semantics, as vboard_program_flash). Returns 0, FOTA_ERR_IO or
 * FOTA_ERR_RANGE. */
int vboard_load_bin(vboard_t *b, const char *path, uint32_t addr);

/* Replace main flash with a raw image file (at most 1 MiB, placed at
 * 0x08000000; the rest erased). Returns 0, FOTA_ERR_IO or FOTA_ERR_RANGE. */
int vboard_load_flash_image(vboard_t *b, const char *path);
/* Write the whole 1 MiB of main flash to a file. Returns 0 or FOTA_ERR_IO. */
int vboard_save_flash_image(const vboard_t *b, const char *path);

/* Program bytes straight into flash (AND semantics, no time, no counters):
 * factory programming. Returns 0 or FOTA_ERR_RANGE. */
int vboard_program_flash(vboard_t *b, uint32_t addr, const void *src,
                         size_t len);

/* The flash model itself (content, wear, operation counter, timing). */
sim_flash_t *vboard_flash(vboard_t *b);

/* Debugger-style memory access anywhere in flash, SRAM, CCM or system
 * memory (no side effects, no time). Returns 0 or FOTA_ERR_RANGE. */
int vboard_read_mem(const vboard_t *b, uint32_t addr, void *dst, size_t len);
/* Write SRAM or CCM only. Returns 0 or FOTA_ERR_RANGE. */
int vboard_write_mem(vboard_t *b, uint32_t addr, const void *src, size_t len);

/* Reset the board (see enum vboard_reset_kind). The CPU starts from the
 * vector table at address 0 (flash, BOOT0 low). A flash operation in
 * flight is torn, as on silicon. */
void vboard_reset(vboard_t *b, enum vboard_reset_kind kind);

/* Hold NRST low (true) or release it (false). While it is low the CPU does
 * not run; releasing it resets the board (PINRST). */
void vboard_set_nrst(vboard_t *b, bool low);

/* PA4 level driven by the master: the NSS strap at reset and the SPI1
 * chip select (low = selected). */
void vboard_set_nss(vboard_t *b, bool high);

/* Drive an input pin (port 0..4 = A..E, pin 0..15) to level 0/1, or -1 to
 * release it (then the pull-up/down decides; floating reads 0). */
void vboard_set_pin(vboard_t *b, unsigned port, unsigned pin, int level);
/* The pin's level as the board sees it (output data for outputs). */
int vboard_get_pin(const vboard_t *b, unsigned port, unsigned pin);

/* Run the firmware until one of the conditions in until holds, or it halts
 * or faults. Returns an enum vboard_stop value, or FOTA_ERR_INVAL. */
int vboard_run(vboard_t *b, const vboard_until_t *until);
/* Shorthands. */
int vboard_run_ns(vboard_t *b, uint64_t ns);
int vboard_run_insns(vboard_t *b, uint64_t n);

/* Execute exactly n more instructions (fewer if the firmware halts or
 * faults first), then cut the power and power the board on again. Returns
 * the number of instructions executed before the cut. */
uint64_t vboard_power_cut_after(vboard_t *b, uint64_t n);

/* Arm a power cut at the flash model's operation index op (see
 * sim_flash_arm_cut; mode SIM_CUT_BEFORE or SIM_CUT_TORN). When the
 * firmware starts that operation the board loses power: vboard_run()
 * returns VBOARD_STOP_TIME early and the board is powered on again. */
void vboard_arm_flash_cut(vboard_t *b, uint64_t op, enum sim_cut_mode mode,
                          uint32_t seed);
/* Harness shortcut for runs that do not need exact instruction counts
 * (e.g. checking which image a flash state boots): if a flash operation is
 * in flight, move the clock to its end (or to an earlier event such as the
 * watchdog) without executing instructions, as if the CPU had stalled on
 * the bus. Call it with the CPU stopped at the start of a BSY polling loop.
 * Returns true if time moved. */
bool vboard_stall_for_flash(vboard_t *b);

/* Number of power cuts so far (any cause). */
uint64_t vboard_power_cuts(const vboard_t *b);

/*
 * SPI1 master side (the agent's end of the wire). SCK in mode 0, 8-bit, MSB
 * first. Each byte takes 8 SCK periods of simulated time, during which the
 * firmware runs; bytes follow back to back.
 */
/* SCK frequency, default 8 MHz. */
void vboard_spi_set_hz(vboard_t *b, uint32_t hz);
/* Assert (true: NSS low) or release the chip select (same pin as the strap). */
void vboard_spi_set_cs(vboard_t *b, bool asserted);
/* Exchange len bytes: tx may be NULL (sends 0x00), rx may be NULL. Returns 0
 * or FOTA_ERR_INVAL. A disabled or unwired slave answers 0xFF. */
int vboard_spi_xfer(vboard_t *b, const uint8_t *tx, uint8_t *rx, size_t len);
/* Counters: bytes exchanged, overruns (a byte lost because the firmware had
 * not read the previous one) and stale bytes (TX buffer not reloaded). */
void vboard_spi_stats(const vboard_t *b, uint64_t *bytes, uint64_t *overruns,
                      uint64_t *stale);

/* Write one line per SPI byte (time, MOSI, MISO, stale/overrun marks) to
 * f (NULL stops). The environment variable VBOARD_SPI_TRACE=1 turns it on
 * for stderr at vboard_create(). */
void vboard_spi_trace(vboard_t *b, FILE *f);

/* USART1. Captured TX since power-on (NUL-terminated view, length in *len). */
const char *vboard_uart_output(const vboard_t *b, size_t *len);
/* Forget the captured text. */
void vboard_uart_clear(vboard_t *b);
/* Each TX byte is also passed to sink (may be NULL). */
void vboard_uart_set_sink(vboard_t *b, void (*sink)(void *ctx, uint8_t byte),
                          void *ctx);
/* Queue bytes for the firmware's RX; they arrive one character time apart
 * at the configured baud rate. Returns 0 or FOTA_ERR_NOMEM. */
int vboard_uart_send(vboard_t *b, const void *data, size_t len);

/* USART2 (PA2 TX, PA3 RX, APB1): a second log port. Captured TX since
 * power-on, and a sink for each TX byte (may be NULL). */
const char *vboard_uart2_output(const vboard_t *b, size_t *len);
void vboard_uart2_set_sink(vboard_t *b, void (*sink)(void *ctx, uint8_t byte),
                           void *ctx);

/* Exceptions the board has taken since creation (interrupts, SVC, faults;
 * each tail-chained one counts). */
uint64_t vboard_exceptions(const vboard_t *b);

/* LEDs PD12..PD15 as bits 0..3 (1 = lit), and their change log. */
uint8_t vboard_leds(const vboard_t *b);
size_t vboard_led_log(const vboard_t *b, const vboard_led_event_t **events);

/*
 * Snapshots: the whole board (CPU registers, SRAM, CCM, flash model,
 * peripheral state, clock, UART capture, LED log) at an instruction
 * boundary, between runs. Restoring one into the same or another board
 * (created with the same config) continues exactly as the original would,
 * so a power-cut sweep can run to a point once and try many cuts from it.
 * A snapshot takes about 3.5 MiB.
 */
typedef struct vboard_snapshot vboard_snapshot_t;

/* Capture b. Returns NULL when out of memory. */
vboard_snapshot_t *vboard_snapshot(const vboard_t *b);
/* Put b back into the snapshot's state. The UART sink and SPI trace
 * attached to b stay. Returns 0, FOTA_ERR_NOMEM or FOTA_ERR_IO. */
int vboard_restore(vboard_t *b, const vboard_snapshot_t *s);
void vboard_snapshot_free(vboard_snapshot_t *s);

/* Clock and state. */
uint64_t vboard_now_ns(const vboard_t *b);
uint64_t vboard_insns(const vboard_t *b);       /* since the last reset */
uint64_t vboard_insns_total(const vboard_t *b); /* since creation */
/* CPU cycles spent executing instructions since the last reset (wait
 * states included; flash BSY stalls and WFI sleep excluded). Equals
 * vboard_insns() with VBOARD_CPI_1. */
uint64_t vboard_cycles(const vboard_t *b);
uint32_t vboard_hclk_hz(const vboard_t *b);
uint32_t vboard_pc(const vboard_t *b);
uint32_t vboard_reg(const vboard_t *b, int uc_arm_reg); /* UC_ARM_REG_* */
uint32_t vboard_reset_flags(const vboard_t *b); /* RCC_CSR[31:24] bits */
uint64_t vboard_reset_count(const vboard_t *b);
int vboard_halt_code(const vboard_t *b);     /* BKPT imm8, or -1 */
const char *vboard_fault(const vboard_t *b); /* NULL when none */
/* Accesses to peripherals whose RCC clock was off (ignored, read 0). */
uint64_t vboard_unclocked_accesses(const vboard_t *b);

#endif /* VBOARD_H */
