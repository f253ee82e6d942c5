/*
 * boot_core.h - the bootloader's portable core: the metadata journal, image
 * verification, the boot decision (normal, trial, rollback, factory, update
 * mode), commit and confirm, and the bus write policy. No hardware, no heap,
 * no OS headers; it reaches flash only through boot_port.h.
 *
 * The caller owns the boot_ctx_t (only main.c holds the static instance).
 * Every function is called from the bootloader's single thread of control.
 * docs/journal.md describes the journal and why it survives power cuts;
 * docs/boot-flow.md the state machine.
 */
#ifndef BOOT_CORE_H
#define BOOT_CORE_H

#include <stdbool.h>
#include <stdint.h>

#include "fota/fota_config.h"
#include "fota/fota_err.h"
#include "fota/fota_image.h"
#include "fota/fota_journal.h"
#include "fota/fota_layout.h"

/* Where the newest valid journal record lives. */
enum boot_journal_area {
    BOOT_AREA_NONE = 0,  /* factory state: no valid record anywhere */
    BOOT_AREA_MAIN = 1,  /* sector 11 */
    BOOT_AREA_SPARE = 2, /* sector 2 (a compaction was interrupted) */
};

typedef struct boot_ctx {
    fota_journal_rec_t state; /* current state (valid if area != NONE) */
    uint8_t area;             /* enum boot_journal_area of the newest record */
    uint32_t main_next_off;   /* offset of the first free record in sector 11 */
    uint32_t records_written; /* appends since init (statistics) */
    uint32_t compactions;     /* compactions since init (statistics) */
    bool power_loss_reset;    /* set by the port before boot_decide: this
                                  boot began with a power-on or brown-out
                                  reset and no watchdog, software or
                                  low-power reset (RCC_CSR) */
    int8_t factory_slot;      /* factory state only: the slot the factory
                                  decision would boot as found at init
                                  (a valid header, the higher version), or
                                  -1 (boot_factory_scan) */
    uint8_t scratch[256];     /* read buffer (a record read back) */
} boot_ctx_t;

/* What the boot decision concluded. */
enum boot_action {
    BOOT_ACTION_JUMP = 0,        /* start the image in slot */
    BOOT_ACTION_UPDATE_MODE = 1, /* no bootable image: wait for the host */
};

typedef struct boot_decision {
    uint8_t action;       /* enum boot_action */
    int8_t slot;          /* slot to jump to, -1 for update mode */
    bool trial;           /* true if this boot is a trial of a pending image */
    uint32_t vector_addr; /* body start = vector table (slot + 0x200) */
    uint32_t msp;         /* initial stack pointer from the vector table */
    uint32_t entry;       /* reset handler address from the vector table */
    uint32_t confirm_window_ms; /* the image's effective confirm window
                                   (fota_image_confirm_window_ms) */
    uint32_t gate; /* FIH_SUCCESS (boot_fih.h) once the gate before the jump
                      passed; the port tests it again before jumping */
} boot_decision_t;

/* Bus operations the write policy rules on. */
enum boot_op {
    BOOT_OP_READ = 0,
    BOOT_OP_WRITE = 1,
    BOOT_OP_ERASE = 2,
};

/* Read the journal from both areas into ctx. Never writes flash.
 * Returns 0 (ctx->area tells whether a record was found) or an I/O error. */
int boot_init(boot_ctx_t *ctx);

/* Append a state change: rec->seq is assigned (newest + 1), the record is
 * programmed word by word, commit word last, compacting first when sector
 * 11 is full or when the newest record is not in sector 11. On success ctx
 * holds the new state. Returns 0 or a negative FOTA_ERR_*. */
int boot_journal_append(boot_ctx_t *ctx, const fota_journal_rec_t *rec);

/* Verify the image in slot: header sanity, magic, link address == the
 * slot, size fits, product id, security counter >= the recorded floor, and
 * with full=true the SHA-256 of header + body; with full=false the CRC
 * recorded in the journal for that slot (falls back to full when none is
 * recorded). On success fills *hdr (may be NULL). Returns 0,
 * FOTA_ERR_NOENT (erased/no magic), FOTA_ERR_CORRUPT, FOTA_ERR_RANGE,
 * FOTA_ERR_ROLLBACK. */
int boot_verify_image(boot_ctx_t *ctx, int slot, bool full,
                      fota_image_hdr_t *hdr);

/* The boot decision of docs/boot-flow.md, including its journal writes:
 * records a trial attempt before returning JUMP for a pending slot, reverts
 * and marks the image rejected when attempts are exhausted or it fails to
 * verify, records the factory state on first boot, and returns UPDATE_MODE
 * when no slot holds a valid image. Fails closed: the chosen image is
 * verified, and the verdict checked twice, before JUMP is returned. */
int boot_decide(boot_ctx_t *ctx, boot_decision_t *out);

/* The slot boot_decide will boot unless that slot's quick check fails:
 * the active confirmed slot when the journal holds a state and no slot is
 * pending; -1 otherwise (factory state, a trial, no confirmed slot), when
 * the decision depends on more than the journal. Lets the port announce
 * the expected boot while the check runs; only boot_decide decides. */
int boot_expected_slot(const boot_ctx_t *ctx);

/* Slot the bus may write: the slot that is not the one the bootloader
 * would boot - the active confirmed one, or in the factory state (empty
 * journal) the slot holding the image the factory decision would boot
 * (ctx->factory_slot); slot A when there is none. */
int boot_inactive_slot(const boot_ctx_t *ctx);

/* Whether a bus operation on [addr, addr + len) is allowed: WRITE and
 * ERASE only wholly inside the inactive slot (an ERASE range must cover
 * whole sectors), and WRITE only while that slot is not pending (a
 * committed image is never changed; an erase first withdraws the commit,
 * boot_erase_prepare); READ inside main flash. Returns 0 or
 * FOTA_ERR_PERM. */
int boot_policy_check(const boot_ctx_t *ctx, enum boot_op op, uint32_t addr,
                      uint32_t len);

/* Before erasing the sectors in sector_mask (bit n = sector n, each one
 * boot_policy_check allowed): if they belong to a pending slot, withdraw
 * its commit first with a journal record (the slot becomes EMPTY and the
 * trial is off), so a trial never runs an image changed after its commit.
 * Returns 0 or the journal error (then nothing may be erased). */
int boot_erase_prepare(boot_ctx_t *ctx, uint16_t sector_mask);

/* Called by boot_init: in the factory state, find the slot the factory
 * decision would boot from the headers alone (header and image check, the
 * higher version; no hash) into ctx->factory_slot. */
void boot_factory_scan(boot_ctx_t *ctx);

/* Commit the image in the inactive slot: full verification, then a record
 * that makes it pending with FOTA_TRIAL_ATTEMPTS attempts. On a
 * never-booted device (empty journal) the record also names the factory
 * image in the other slot, when it verifies, as the confirmed fallback with
 * its security counter as the floor, as its first boot would have
 * recorded; a committed image below that floor is refused. Returns 0,
 * FOTA_ERR_PERM (slot is not the inactive one), a verification error,
 * FOTA_ERR_ROLLBACK, or FOTA_ERR_REJECTED if this exact version was
 * rejected in that slot before. */
int boot_commit(boot_ctx_t *ctx, int slot);

/* boot_commit with the slot's SHA-256 (header bytes [0, 64) and the body)
 * already measured by the caller from the bytes it programmed and read
 * back (the protocol engine, as they landed): every check is made, only
 * the pass over the slot is not. digest NULL: boot_commit. */
int boot_commit_landed(boot_ctx_t *ctx, int slot,
                       const uint8_t digest[FOTA_SHA256_SIZE]);

/* Confirm the running slot (called by the application after its
 * self-test): the pending slot becomes active and confirmed, the security
 * floor rises to its counter. Confirming an already-confirmed active slot
 * is a no-op returning 0. Returns FOTA_ERR_PERM for any other slot. */
int boot_confirm(boot_ctx_t *ctx, int slot);

/* FOTA_OP_CONFIRM from the bus: confirm the pending slot (on trial, or
 * committed and not yet booted) as boot_confirm does. Returns 0,
 * FOTA_ERR_NOENT when no slot is pending, or boot_confirm's error. */
int boot_bus_confirm(boot_ctx_t *ctx);

/* FOTA_OP_ROLLBACK from the bus: mark the pending slot rejected (its
 * version kept) and end the trial, so the next boot runs the confirmed
 * slot (update mode when there is none). Returns 0, FOTA_ERR_NOENT when no
 * slot is pending, or the journal error. */
int boot_bus_rollback(boot_ctx_t *ctx);

#endif /* BOOT_CORE_H */
