/*
 * sim_flash.h - strict model of the STM32F407's 1 MiB single-bank flash.
 *
 * Semantics as on silicon: the exact sector map (4x16, 1x64, 7x128 KiB);
 * erase sets a sector to 0xFF; programming ANDs (bits only go 1 -> 0) with
 * x32 words at 4-byte-aligned addresses; a program over non-erased bits is
 * counted (the design must never rely on it). Every operation takes its
 * datasheet time (DS8626, x32; typical or maximum) on a virtual clock, and
 * each erase counts towards its sector's wear.
 *
 * Power cuts: the model counts operations (one per word program, one per
 * sector erase). A cut can be armed at operation index N: the operation is
 * either not started (SIM_CUT_BEFORE) or torn (SIM_CUT_TORN: a word program
 * leaves a seeded random subset of its intended 1->0 bits cleared; an erase
 * leaves the sector a seeded mix of old data and 0xFF, word by word). Then
 * the model longjmps to the jmp_buf the harness gave, so no code after the
 * cut runs (as when power disappears). The flash array survives the cut.
 */
#ifndef SIM_FLASH_H
#define SIM_FLASH_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>

#include "fota/fota_layout.h"

enum sim_flash_timing {
    SIM_FLASH_TYPICAL = 0,
    SIM_FLASH_MAXIMUM = 1,
};

enum sim_cut_mode {
    SIM_CUT_NONE = 0,
    SIM_CUT_BEFORE = 1, /* the operation never starts */
    SIM_CUT_TORN = 2,   /* the operation is partly done */
};

typedef struct sim_flash {
    uint8_t mem[FOTA_FLASH_SIZE];
    uint32_t wear[FOTA_FLASH_SECTORS]; /* erase count per sector */
    uint64_t now_ns;                   /* virtual clock */
    uint64_t busy_until_ns;            /* end of the operation in flight */
    uint8_t timing;                    /* enum sim_flash_timing */
    uint64_t ops;                      /* operations performed (or started) */
    uint64_t words_programmed;
    uint64_t overwrites; /* programs that hit non-erased bits */
    uint32_t last_overwrite_addr;
    /* power cut */
    uint64_t cut_at;   /* operation index to cut at (ops value) */
    uint8_t cut_mode;  /* enum sim_cut_mode; NONE = disarmed */
    uint32_t cut_seed; /* chooses the torn pattern */
    jmp_buf *cut_jmp;  /* where the cut longjmps to */
    bool cut_happened;
} sim_flash_t;

/* Fresh chip: everything erased, clock 0, wear 0, no cut armed. */
void sim_flash_init(sim_flash_t *f, enum sim_flash_timing timing);

/* Arm a power cut at operation index at (the (at+1)-th operation from the
 * start of the model's life, i.e. when f->ops == at). */
void sim_flash_arm_cut(sim_flash_t *f, uint64_t at, enum sim_cut_mode mode,
                       uint32_t seed, jmp_buf *jmp);
void sim_flash_disarm(sim_flash_t *f);

/* Blocking operations: they advance the clock by the operation's time.
 * Return 0, FOTA_ERR_INVAL (alignment), FOTA_ERR_RANGE. */
int sim_flash_program_word(sim_flash_t *f, uint32_t addr, uint32_t word);
int sim_flash_erase_sector(sim_flash_t *f, unsigned sector);
int sim_flash_read(const sim_flash_t *f, uint32_t addr, void *dst,
                   uint32_t len);

/* Non-blocking forms: the content changes at once, the model stays busy
 * until now + operation time; starting while busy first waits (advances
 * the clock to the end of the previous operation, as the AHB stall does). */
int sim_flash_start_word(sim_flash_t *f, uint32_t addr, uint32_t word);
int sim_flash_start_erase(sim_flash_t *f, unsigned sector);
bool sim_flash_busy(const sim_flash_t *f);

/* Advance the virtual clock (CPU time, bus time). */
void sim_flash_advance_ns(sim_flash_t *f, uint64_t ns);

/* Datasheet times used, in ns, for the current timing mode. */
uint64_t sim_flash_prog_word_ns(const sim_flash_t *f);
uint64_t sim_flash_erase_ns(const sim_flash_t *f, unsigned sector);

#endif /* SIM_FLASH_H */
