/*
 * boot_api.h - the bootloader's API table: the ABI between the bootloader in
 * sector 0 and the application. docs/firmware.md documents it.
 *
 * The table is at FW_API_ADDR (0x08000200), right after the bootloader's
 * vector table, and never moves. All words are little-endian; function
 * entries are Thumb addresses (bit 0 set) called with the AAPCS.
 *
 *   off  word                   meaning
 *     0  magic                  BOOT_API_MAGIC
 *     4  abi_version            BOOT_API_ABI_VERSION (entries are only ever
 *                               appended; a newer bootloader keeps these)
 *     8  boot_version           bootloader version: major << 16 | minor << 8
 *                               | patch
 *    12  confirm                int confirm(int slot)
 *    16  request_update_mode    void request_update_mode(void), no return
 *
 * Calling context: thread mode, privileged, from the application's main
 * flow (not an interrupt handler). confirm() takes a few hundred bytes of
 * the caller's stack, masks interrupts while it runs (it programs flash,
 * and on the single-bank F407 the application's handlers could not run
 * anyway), re-initialises the bootloader's RAM region and restores
 * PRIMASK before returning. The application must not use the bootloader's
 * RAM (0x20010000-0x2001FFFF): fw_layout.h.
 */
#ifndef BOOT_API_H
#define BOOT_API_H

#include <stdint.h>

#include "fw_layout.h"

#define BOOT_API_MAGIC 0x50414246u /* bytes 'F','B','A','P' */
#define BOOT_API_ABI_VERSION 1u

#define BOOT_API_OFF_MAGIC 0
#define BOOT_API_OFF_ABI_VERSION 4
#define BOOT_API_OFF_BOOT_VERSION 8
#define BOOT_API_OFF_CONFIRM 12
#define BOOT_API_OFF_REQUEST_UPDATE 16
#define BOOT_API_SIZE 20

/* confirm(slot): run the core's boot_confirm() for slot (0 = A, 1 = B) on a
 * freshly read journal. Returns 0 (confirmed, or already confirmed) or a
 * negative FOTA_ERR_* (FOTA_ERR_PERM: slot is not the running pending or
 * active slot). */
typedef int (*boot_api_confirm_fn)(int slot);

/* request_update_mode(): set the no-init request word and reset; the
 * bootloader then stays in update mode. Never returns. */
typedef void (*boot_api_request_update_fn)(void);

#endif /* BOOT_API_H */
