/*
 * vb_real.h - helpers for the tests and sweeps that run the real firmware
 * from build-arm/ on the virtual board: symbol addresses from the
 * bootloader ELF, slot images packed in-process (as `fota image pack`),
 * and flash states prepared with the host boot core on a model whose array
 * is then copied into the board (the journal format is the same).
 */
#ifndef VB_REAL_H
#define VB_REAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "boot_core.h"
#include "sim_flash.h"
#include "vboard.h"

/* A packed slot image (header + body). */
typedef struct vbr_image {
    uint8_t *data;
    size_t len;
    int slot;
    fota_version_t version;
    uint32_t entry; /* reset handler (Thumb bit cleared) */
} vbr_image_t;

/* Address of the symbol name in an ELF32 file. Returns 0,
 * FOTA_ERR_IO (file), FOTA_ERR_CORRUPT (not ELF32) or FOTA_ERR_NOENT. */
int vbr_elf_symbol(const char *elf_path, const char *name, uint32_t *addr);

/* Name of the function symbol of an ELF32 file that contains pc (into
 * name, len bytes). Returns 0, FOTA_ERR_IO, FOTA_ERR_CORRUPT or
 * FOTA_ERR_NOENT. Reads the file each call: for reports, not loops. */
int vbr_elf_func_at(const char *elf_path, uint32_t pc, char *name, size_t len);

/* Pack the raw application binary bin_path (linked for slot) as version
 * "maj.min.patch". pad_body > 0 pads the raw binary with a filler pattern to
 * that many bytes first, so the header's body_size covers it. flags are
 * FOTA_IMAGE_F_*. Returns 0 or a negative FOTA_ERR_* (message on stderr). */
int vbr_pack(vbr_image_t *img, const char *bin_path, int slot, unsigned maj,
             unsigned min, unsigned patch, size_t pad_body, uint32_t flags);
void vbr_image_free(vbr_image_t *img);

/* Erase the slot's sectors of f and program img there (blocking model
 * operations, as a programmer would). Returns 0 or a FOTA_ERR_*. */
int vbr_install(sim_flash_t *f, const vbr_image_t *img);

/* Copy the whole flash array of src into the board (before a reset: the
 * reset drops any code translated from the old contents). */
void vbr_flash_to_board(vboard_t *b, const sim_flash_t *src);

/* Read the journal of a flash array with the host boot core (a private
 * copy, nothing written). Returns boot_init's result; ctx filled. */
int vbr_journal_read(const uint8_t *mem, boot_ctx_t *ctx);

/* Verify slot of a flash array with the host boot core (full SHA-256) and
 * compare it byte for byte with img. Returns true if both hold. */
bool vbr_slot_holds(const uint8_t *mem, int slot, const vbr_image_t *img);

/* A time profile of the firmware by function: the PC sampled at moments of
 * simulated time, each sample weighted with the time since the previous
 * one, and the samples summed by the function symbol of the ELF files
 * given that contains the PC (code in SRAM included: the symbols carry
 * the run addresses). */
typedef struct vbr_sym {
    uint32_t start, size;
    char name[48];
} vbr_sym_t;

typedef struct vbr_prof {
    vbr_sym_t *syms; /* sorted by start */
    size_t nsyms;
    uint64_t *ns; /* per symbol, then one for PCs without a symbol */
    uint64_t total_ns;
    uint64_t last_ns;    /* time of the previous sample */
    uint32_t unknown_pc; /* the first PC without a symbol */
} vbr_prof_t;

/* Load the function symbols of the n ELF files (NULL entries skipped);
 * labels (NULL, or n entries, each NULL or a short name) prefix the names
 * of each file's functions ("label:name"), to tell apart functions of the
 * same name in different images. Returns 0, or a FOTA_ERR_* with a
 * message on stderr. */
int vbr_prof_init(vbr_prof_t *p, const char *const *elf_paths,
                  const char *const *labels, size_t n);
void vbr_prof_free(vbr_prof_t *p);
/* Forget the samples; the next sample's weight counts from now_ns. */
void vbr_prof_restart(vbr_prof_t *p, uint64_t now_ns);
/* One sample: pc at simulated time now_ns. */
void vbr_prof_sample(vbr_prof_t *p, uint32_t pc, uint64_t now_ns);
/* Sample board b's PC now. */
void vbr_prof_sample_board(vbr_prof_t *p, const vboard_t *b);
/* Print "<title>: <total> ms" and the top functions by time to f. */
void vbr_prof_print(const vbr_prof_t *p, FILE *f, const char *title,
                    unsigned top);

#endif /* VB_REAL_H */
