/*
 * vb_internal.h - state shared by the virtual board's core (vboard.c) and
 * its peripheral models (vb_periph.c). Not a public interface.
 */
#ifndef VB_INTERNAL_H
#define VB_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <unicorn/unicorn.h>

#include "vb_m4timing.h"
#include "vboard.h"

/* The virtual clock counts ticks of 1/10.08 GHz: an integer number of
 * ticks per cycle at 168 MHz (60), 84 MHz, 16 MHz (630), 8 MHz (1260) and
 * per LSI period at 32 kHz (315000), so no clock the firmware uses drifts. */
#define VB_TICK_HZ 10080000000ull
#define VB_NS_TO_TICKS(ns) ((ns) * 252u / 25u)
#define VB_TICKS_TO_NS(t) ((t) * 25u / 252u)
#define VB_NEVER UINT64_MAX

#define VB_HSI_HZ 16000000u
#define VB_HSE_HZ 8000000u
#define VB_LSI_HZ 32000u

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

#define VB_MAX_FIXUPS 16
#define VB_UART_RXQ 4096

/* A store to flash that the CPU lets through raw: the cell must be put
 * back to the model's value before anything reads it. */
typedef struct vb_fixup {
    uint32_t addr;
    uint32_t len;
    uint8_t bytes[8];
} vb_fixup_t;

typedef struct vb_gpio {
    uint32_t moder, otyper, ospeedr, pupdr, odr, lckr, afr[2];
    int8_t ext[16]; /* driven level from outside, -1 = undriven */
} vb_gpio_t;

struct vboard {
    vboard_config_t cfg;
    uc_engine *uc;
    uc_hook h_code, h_fwrite, h_fread, h_intr, h_bad;

    sim_flash_t *flash;
    uint8_t *sram, *ccm, *sys, *opt;
    uint8_t *shadow_periph, *shadow_ppb; /* unmodelled registers */

    /* clock */
    uint64_t ticks;      /* now */
    uint32_t tpc;        /* ticks per HCLK cycle */
    uint64_t insns;      /* since the last reset */
    uint64_t insns_total;
    uint64_t stop_tick, stop_insn; /* the current slice's limits */
    uint32_t stop_pc;    /* 0 = none */
    uint64_t run_start_insns; /* a PC stop never fires on the first instruction */
    bool stop_req;       /* a peripheral asked the CPU to stop */
    bool hook_stopped;
    bool pc_hit;
    uint32_t resume_pc;

    /* board state */
    bool powered;
    bool nrst_low;
    bool halted;
    int halt_code;
    char fault[160];
    bool reset_pending;  /* SYSRESETREQ */
    bool iwdg_reset_pending;
    bool power_cut_pending;
    uint64_t resets, power_cuts;
    uint32_t rcc_csr_flags;
    uint64_t unclocked;
    uint32_t junk_state;

    vb_fixup_t fix[VB_MAX_FIXUPS];
    unsigned nfix;

    /* flash controller */
    uint32_t f_acr, f_cr, f_sr, f_optcr, f_optcr_committed;
    int f_key_stage, f_optkey_stage;
    bool f_key_lockout;
    uint64_t f_busy_until; /* ticks */
    uint64_t f_eop_at;     /* ticks at which a pending EOP is raised */
    bool f_eop_pending;
    /* the operation in flight, to tear it on a reset */
    int f_op_kind;         /* 0 none, 1 word, 2 erase */
    uint32_t f_op_addr, f_op_old, f_op_new;
    unsigned f_op_sector;
    uint8_t *f_op_backup;  /* 128 KiB: the sector before the erase */
    uint32_t tb_flush_lo, tb_flush_hi; /* translated code to drop */
    bool f_cut_armed;

    /* RCC */
    uint32_t rcc_cr, rcc_pllcfgr, rcc_cfgr, rcc_ahb1enr, rcc_ahb2enr,
        rcc_apb1enr, rcc_apb2enr, rcc_csr_low, rcc_bdcr;
    uint64_t hse_ready_at, pll_ready_at;
    uint32_t hclk_hz;
    uint32_t pwr_cr;

    vb_gpio_t gpio[5];
    vboard_led_event_t *led_log;
    size_t led_n, led_cap;
    uint8_t leds;

    /* SPI1 */
    uint32_t spi_cr1, spi_cr2, spi_crcpr, spi_i2scfgr, spi_i2spr;
    uint8_t spi_txbuf, spi_rxbuf;
    bool spi_txe, spi_rxne, spi_ovr, spi_bsy, spi_ovr_dr_read;
    uint32_t spi_hz;
    bool nss_high;
    uint64_t spi_bytes, spi_overruns, spi_stale;
    FILE *spi_trace;

    /* DMA2 (streams 0-7; the SPI1 requests are served) */
    uint32_t dma_cr[8], dma_ndtr[8], dma_par[8], dma_m0ar[8], dma_m1ar[8],
        dma_fcr[8];
    uint32_t dma_isr[2];     /* LISR, HISR */
    uint32_t dma_mptr[8];    /* memory address of the next transfer */
    uint32_t dma_start[8];   /* NDTR when the stream was enabled */
    uint64_t dma_bytes;      /* bytes moved between SPI1 and memory */

    /* USART1 */
    uint32_t us_cr1, us_cr2, us_cr3, us_brr, us_gtpr;
    uint64_t us_shift_end;  /* ticks: the shifter is busy until then */
    bool us_buf_full;
    bool us_tc_cleared;
    uint8_t us_rdr;
    bool us_rxne, us_ore;
    uint8_t us_rxq[VB_UART_RXQ];
    uint64_t us_rxq_at[VB_UART_RXQ];
    size_t us_rxq_head, us_rxq_n;
    uint64_t us_rx_last;
    char *uart_out;
    size_t uart_len, uart_cap, uart_match_from;
    const char *uart_wait;
    bool uart_hit;
    void (*uart_sink)(void *ctx, uint8_t byte);
    void *uart_sink_ctx;

    /* SysTick, DWT, SCB */
    uint32_t st_csr, st_rvr, st_base_val;
    uint64_t st_base_ticks, st_zeros_seen;
    uint32_t dwt_ctrl, dwt_base_val;
    uint64_t dwt_base_ticks;
    uint32_t scb_vtor, scb_aircr, scb_scr, scb_ccr, scb_cpacr, scb_shcsr;

    /* IWDG */
    bool iwdg_on, iwdg_unlocked;
    uint32_t iwdg_pr, iwdg_rlr;
    uint64_t iwdg_expiry, iwdg_pvu_until, iwdg_rvu_until;

    /* CRC unit */
    uint32_t crc_dr, crc_idr;

    /* --- cycle timing (vb_m4timing.h) --- */
    vb_m4_t *m4;         /* decoder and cost cache: kept across restores */
    vb_m4_state_t m4s;   /* ART, pipeline, CRC busy: part of a snapshot */
    uint64_t cycles;     /* CPU cycles of executed instructions since reset */
    /* --- end cycle timing --- */
};

/* vb_periph.c */
void vb_periph_reset(vboard_t *b, bool power_on);
uint64_t vb_periph_read(vboard_t *b, uint32_t addr, unsigned size);
void vb_periph_write(vboard_t *b, uint32_t addr, uint32_t val, unsigned size);
void vb_flash_store(vboard_t *b, uint32_t addr, unsigned size, uint64_t value);
void vb_flash_stall(vboard_t *b);
void vb_flash_tear_inflight(vboard_t *b);
uint64_t vb_next_event(const vboard_t *b);
void vb_service_events(vboard_t *b);
void vb_spi_byte(vboard_t *b, uint8_t mosi, uint8_t *miso, uint64_t byte_ticks);
void vb_rcc_update(vboard_t *b);

/* vboard.c */
void vb_set_fault(vboard_t *b, const char *fmt, ...);
void vb_sync_flash_clock(vboard_t *b);
void vb_run_ticks(vboard_t *b, uint64_t ticks);

#endif /* VB_INTERNAL_H */
