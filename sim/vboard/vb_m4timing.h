/*
 * vb_m4timing.h - Cortex-M4 cycle model for the virtual board.
 *
 * The cost of every executed instruction in HCLK cycles: the static cost
 * from the Cortex-M4 TRM (r0p1, 3.3.1 table 3-1 "Processor instruction set
 * summary", 3.3.2 "Load/store timings"), decoded once per address with
 * Capstone and cached, plus the dynamic parts seen in the executed stream:
 * pipeline refill after a taken branch, load/store pipelining, address
 * dependencies, IT folding, the divider's early termination, and the flash
 * wait states through the ART accelerator (RM0090 3.4, 3.5.2, FLASH_ACR).
 * Bus extras: peripheral accesses and the CRC unit's 4 AHB cycles per
 * word (RM0090 4.3). Exception entry/exit cycles (TRM 5.5.1) for the board's
 * exception model. docs/virtual-board.md "Cycle timing" lists what is and
 * is not modelled and the error band.
 *
 * Two parts: vb_m4_t holds the decoder and the per-address cost cache (a
 * pure function of the code bytes, so it is not part of a board snapshot);
 * vb_m4_state_t is the dynamic state (ART contents, previous instruction,
 * CRC unit busy) and is plain data the board copies with its snapshots.
 */
#ifndef VB_M4TIMING_H
#define VB_M4TIMING_H

#include <stdbool.h>
#include <stdint.h>

/* TRM 5.5.1 "Exception handling": 12 cycles from the exception to the
 * handler's first instruction, 10 cycles back (zero wait state memory). */
#define VB_M4_EXC_ENTRY_CYCLES 12u
#define VB_M4_EXC_EXIT_CYCLES 10u
/* TRM 5.5.1: a return that tail-chains into a pending exception, 6 cycles
 * from the last instruction of one handler to the first of the next. */
#define VB_M4_EXC_TAILCHAIN_CYCLES 6u
/* RM0090 4.3: the CRC calculation takes 4 AHB clock cycles per word. */
#define VB_M4_CRC_CYCLES 4u

/* FLASH_ACR fields (RM0090 3.9.1). */
#define VB_M4_ACR_LATENCY 0x7u
#define VB_M4_ACR_PRFTEN (1u << 8)
#define VB_M4_ACR_ICEN (1u << 9)
#define VB_M4_ACR_DCEN (1u << 10)
#define VB_M4_ACR_ICRST (1u << 11)
#define VB_M4_ACR_DCRST (1u << 12)

/* ART geometry (RM0090 3.4): 64 instruction-cache lines and 8 data-cache
 * lines of 128 bits. RM0090 does not state the associativity; the model
 * uses 16 sets of 4 ways (instructions) and 8 fully associative lines
 * (data), least recently used replaced. */
#define VB_M4_IC_SETS 16u
#define VB_M4_IC_WAYS 4u
#define VB_M4_DC_LINES 8u

typedef struct vb_m4_state {
    uint64_t cycles;    /* core cycles modelled since the last reset */
    uint64_t use;       /* LRU stamp */
    uint32_t prev_addr; /* previous instruction (0: none) */
    uint32_t prev_size;
    uint32_t prev_info;
    uint32_t line;     /* flash line being executed + 1 (0: none) */
    uint32_t pf_line;  /* line in (or on its way to) the prefetch buffer + 1 */
    uint64_t pf_ready; /* cycle at which pf_line is available */
    uint32_t ic_tag[VB_M4_IC_SETS][VB_M4_IC_WAYS]; /* line + 1, 0 = empty */
    uint64_t ic_use[VB_M4_IC_SETS][VB_M4_IC_WAYS];
    uint32_t dc_tag[VB_M4_DC_LINES];
    uint64_t dc_use[VB_M4_DC_LINES];
    uint64_t crc_ready; /* cycle at which the CRC unit is free */
    uint64_t ic_hits, ic_misses, dc_hits, dc_misses, flash_stalls;
} vb_m4_state_t;

typedef struct vb_m4 vb_m4_t;

/* Reads core register r (0..15) of the running CPU (for the divider). */
typedef uint32_t (*vb_m4_reg_fn)(void *ctx, unsigned r);

/* A decoder with an empty cost cache; NULL when out of memory or when
 * Capstone cannot start. */
vb_m4_t *vb_m4_create(vb_m4_reg_fn reg, void *reg_ctx);
void vb_m4_destroy(vb_m4_t *m);
/* Forget the costs of code in [lo, hi) (flash programmed or erased). */
void vb_m4_invalidate(vb_m4_t *m, uint32_t lo, uint32_t hi);

/* CPU reset: empty ART, no previous instruction. */
void vb_m4_state_reset(vb_m4_state_t *s);
/* FLASH_ACR write: ICRST/DCRST empty the caches (RM0090 3.5.2). */
void vb_m4_acr_write(vb_m4_state_t *s, uint32_t acr);

/* Cycles of the instruction about to execute at addr (size 2 or 4 bytes,
 * code = its bytes), with FLASH_ACR = acr. Includes the refill of a taken
 * branch before it and the instruction-fetch wait states. */
uint32_t vb_m4_insn(vb_m4_t *m, vb_m4_state_t *s, uint32_t addr, uint32_t size,
                    const uint8_t *code, uint32_t acr);
/* Extra cycles of a data read from flash at addr (D-cache, wait states). */
uint32_t vb_m4_flash_data(vb_m4_state_t *s, uint32_t addr, uint32_t acr);
/* Extra cycles of a CPU access to a peripheral register at addr; a CRC_DR
 * access waits for the unit, a CRC_DR write starts its 4-cycle computation. */
uint32_t vb_m4_periph(vb_m4_state_t *s, uint32_t addr, bool write);
/* Exception entry / return: their cycles; the pipeline starts afresh. */
uint32_t vb_m4_exception_entry(vb_m4_state_t *s);
uint32_t vb_m4_exception_exit(vb_m4_state_t *s);
uint32_t vb_m4_exception_tailchain(vb_m4_state_t *s);

#endif /* VB_M4TIMING_H */
