/*
 * vb_internal.h - the board core's state (vboard.c). Peripheral models do
 * not include it: they see only vb_dev.h.
 */
#ifndef VB_INTERNAL_H
#define VB_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <unicorn/unicorn.h>

#include "vb_dev.h"
#include "vb_m4timing.h"
#include "vb_regs.h"
#include "vboard.h"

#define VB_MAX_FIXUPS 16
#define VB_MAX_DEVICES 32
#define VB_PERIPH_PAGES (VB_PERIPH_SIZE / 0x400u)

/* A store to flash that the CPU lets through raw: the cell must be put
 * back to the model's value before anything reads it. */
typedef struct vb_fixup {
    uint32_t addr;
    uint32_t len;
    uint8_t bytes[8];
} vb_fixup_t;

/* Text captured from one USART's TX. */
typedef struct vb_capture {
    char *out;
    size_t len, cap;
} vb_capture_t;

struct vboard {
    vb_sys_t sys; /* first: the services' context is the board */
    vboard_config_t cfg;
    uc_engine *uc;
    uc_hook h_code, h_fwrite, h_fread, h_intr, h_bad;

    sim_flash_t *flash;
    uint8_t *sram, *ccm, *sys_mem, *opt;
    uint8_t *shadow_periph, *shadow_ppb; /* registers of no modelled device */

    /* devices: one state block per table row */
    void *dev[VB_MAX_DEVICES];
    uint8_t periph_page[VB_PERIPH_PAGES]; /* row + 1 per 1 KiB page, 0 none */

    /* clock (sys.now is the time) */
    uint64_t insns; /* since the last reset */
    uint64_t insns_total;
    uint64_t stop_tick, stop_insn; /* the current slice's limits */
    uint32_t stop_pc;              /* 0 = none */
    uint64_t
        run_start_insns; /* a PC stop never fires on the first instruction */
    bool stop_req;       /* a peripheral asked the CPU to stop */
    bool hook_stopped;
    bool pc_hit;
    uint32_t resume_pc;
    bool in_dma;
    uint32_t tb_flush_lo, tb_flush_hi; /* translated code to drop */

    /* exceptions */
    bool exc_check; /* something may be pending: poll before each instruction */
    unsigned exc_take;   /* an exception to enter before the next instruction */
    uint32_t exc_return; /* EXC_RETURN branched to, 0 none */
    unsigned
        sync_exc;     /* an instruction raised an exception (SVC, UsageFault) */
    uint32_t sync_pc; /* its return address */
    uint32_t sync_cfsr;  /* the UsageFault status bit */
    uint32_t it_ring[4]; /* addresses of the last instructions (IT blocks) */
    unsigned it_pos;
    uint64_t exc_taken;
    bool exc_tail; /* a return just happened: an entry now tail-chains */

    /* board state */
    bool powered;
    bool nrst_low;
    bool halted;
    int halt_code;
    char fault[160];
    bool reset_pending; /* SYSRESETREQ */
    bool iwdg_reset_pending;
    bool power_cut_pending;
    uint64_t resets, power_cuts;
    uint64_t unclocked;
    uint32_t junk_state;

    vb_fixup_t fix[VB_MAX_FIXUPS];
    unsigned nfix;

    vboard_led_event_t *led_log;
    size_t led_n, led_cap;
    uint8_t leds;

    uint32_t spi_hz;
    FILE *spi_trace;

    vb_capture_t uart[3]; /* USART1, USART2 TX (index = unit) */
    size_t uart_match_from;
    const char *uart_wait;
    bool uart_hit;
    void (*uart_sink)(void *ctx, uint8_t byte);
    void *uart_sink_ctx;
    void (*uart2_sink)(void *ctx, uint8_t byte);
    void *uart2_sink_ctx;

    /* --- cycle timing (vb_m4timing.h) --- */
    vb_m4_t *m4;       /* decoder and cost cache: kept across restores */
    vb_m4_state_t m4s; /* ART, pipeline, CRC busy: part of a snapshot */
    uint64_t cycles;   /* CPU cycles of executed instructions since reset */
    /* --- end cycle timing --- */
};

/* Run the firmware for ticks of simulated time (vboard.c). */
void vb_run_ticks(vboard_t *b, uint64_t ticks);

#endif /* VB_INTERNAL_H */
