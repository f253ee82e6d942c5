/*
 * fota_layout.h - the STM32F407VG flash layout: the single source of truth.
 *
 * Used by the bootloader, the agent, the tools, the simulator and, through
 * the C preprocessor, the linker scripts. Keep every value a plain integer
 * literal expression (no casts, no enums) so that `cpp -P` on a linker
 * script template can use it.
 *
 *  sector  address      size     use
 *  0-1     0x08000000   32 KiB   bootloader (with the Ed25519 verifier)
 *  2       0x08008000   16 KiB   metadata journal, compaction area
 *  3-4     0x0800C000   80 KiB   application data, never touched by updates
 *  5-7     0x08020000  384 KiB   slot A
 *  8-10    0x08080000  384 KiB   slot B
 *  11      0x080E0000  128 KiB   metadata journal, primary area
 */
#ifndef FOTA_LAYOUT_H
#define FOTA_LAYOUT_H

#define FOTA_FLASH_BASE 0x08000000
#define FOTA_FLASH_SIZE 0x00100000
#define FOTA_FLASH_END (FOTA_FLASH_BASE + FOTA_FLASH_SIZE)
#define FOTA_FLASH_SECTORS 12
#define FOTA_FLASH_ERASED 0xFF
#define FOTA_FLASH_WRITE_ALIGN 4 /* x32 programming, 2.7-3.6 V */

/* Sector n's start address and size (F407: 4x16 KiB, 1x64 KiB, 7x128 KiB). */
#define FOTA_SECTOR_SIZE(n) ((n) < 4 ? 0x4000 : (n) == 4 ? 0x10000 : 0x20000)
#define FOTA_SECTOR_ADDR(n)                                                    \
    ((n) < 4    ? FOTA_FLASH_BASE + (n)*0x4000                                 \
     : (n) == 4 ? FOTA_FLASH_BASE + 0x10000                                    \
                : FOTA_FLASH_BASE + 0x20000 + ((n)-5) * 0x20000)

/* The bootloader: sectors 0 and 1. */
#define FOTA_BOOT_ADDR 0x08000000
#define FOTA_BOOT_SIZE 0x8000
#define FOTA_BOOT_SECTOR 0
#define FOTA_BOOT_SECTORS 2

#define FOTA_APPDATA_ADDR 0x0800C000
#define FOTA_APPDATA_SIZE 0x14000

#define FOTA_SLOT_COUNT 2
#define FOTA_SLOT_SIZE 0x60000
#define FOTA_SLOT_A_ADDR 0x08020000
#define FOTA_SLOT_A_FIRST_SECTOR 5
#define FOTA_SLOT_B_ADDR 0x08080000
#define FOTA_SLOT_B_FIRST_SECTOR 8
#define FOTA_SLOT_SECTORS 3
#define FOTA_SLOT_ADDR(s) ((s) == 0 ? FOTA_SLOT_A_ADDR : FOTA_SLOT_B_ADDR)
#define FOTA_SLOT_FIRST_SECTOR(s)                                              \
    ((s) == 0 ? FOTA_SLOT_A_FIRST_SECTOR : FOTA_SLOT_B_FIRST_SECTOR)

/* Journal: primary area (sector 11) and its compaction partner (sector 2). */
#define FOTA_JOURNAL_MAIN_ADDR 0x080E0000
#define FOTA_JOURNAL_MAIN_SIZE 0x20000
#define FOTA_JOURNAL_MAIN_SECTOR 11
#define FOTA_JOURNAL_SPARE_ADDR 0x08008000
#define FOTA_JOURNAL_SPARE_SIZE 0x4000
#define FOTA_JOURNAL_SPARE_SECTOR 2

/* The image header occupies the first 512 bytes of a slot; the body, which
 * starts with the vector table, follows (VTOR needs 512-byte alignment). */
#define FOTA_IMAGE_HDR_SIZE 0x200
#define FOTA_SLOT_BODY_ADDR(s) (FOTA_SLOT_ADDR(s) + FOTA_IMAGE_HDR_SIZE)
#define FOTA_SLOT_BODY_MAX (FOTA_SLOT_SIZE - FOTA_IMAGE_HDR_SIZE)

/* SRAM (SRAM1 + SRAM2 contiguous) and CCM. */
#define FOTA_SRAM_ADDR 0x20000000
#define FOTA_SRAM_SIZE 0x20000
#define FOTA_CCM_ADDR 0x10000000
#define FOTA_CCM_SIZE 0x10000

/* The only RAM the bootloader keeps across the jump: 16 bytes of no-init
 * words at the top of SRAM (the update-mode request), never initialised by
 * either startup. Everything below it, and all of CCM, is the
 * application's: its initial stack pointer may be anywhere in
 * (FOTA_SRAM_ADDR, FOTA_NOINIT_ADDR] or (FOTA_CCM_ADDR, FOTA_CCM_ADDR +
 * FOTA_CCM_SIZE], word aligned (fota_image_sp_ok). */
#define FOTA_NOINIT_SIZE 0x10
#define FOTA_NOINIT_ADDR 0x2001FFF0
#define FOTA_APP_SRAM_ADDR FOTA_SRAM_ADDR
#define FOTA_APP_SRAM_SIZE (FOTA_NOINIT_ADDR - FOTA_SRAM_ADDR)

#ifndef __ASSEMBLER__
#ifndef FOTA_LINKER_SCRIPT
#include <stdint.h>

/* Sector holding flash address addr, or -1 if addr is outside main flash. */
static inline int fota_sector_of(uint32_t addr)
{
    if (addr < FOTA_FLASH_BASE || addr >= FOTA_FLASH_END)
        return -1;
    for (int n = FOTA_FLASH_SECTORS - 1; n >= 0; n--)
        if (addr >= (uint32_t)FOTA_SECTOR_ADDR(n))
            return n;
    return -1;
}

/* Slot (0 = A, 1 = B) whose area contains addr, or -1. */
static inline int fota_slot_of(uint32_t addr)
{
    for (int s = 0; s < FOTA_SLOT_COUNT; s++)
        if (addr >= (uint32_t)FOTA_SLOT_ADDR(s) &&
            addr - (uint32_t)FOTA_SLOT_ADDR(s) < (uint32_t)FOTA_SLOT_SIZE)
            return s;
    return -1;
}
#endif
#endif

#endif /* FOTA_LAYOUT_H */
