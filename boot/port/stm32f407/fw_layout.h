/*
 * fw_layout.h - RAM split and fixed addresses shared by the bootloader, the
 * example application and their linker scripts. Preprocessor only (plain
 * integer expressions), like fota_layout.h, so `cpp -P` on a .ld.in
 * template can use it.
 *
 *  0x20000000 .. 0x2001FFEF  ~128 KiB the application's RAM once it runs
 *                                     (and all 64 KiB of CCM). While the
 *                                     bootloader runs, its .ramfunc, .data,
 *                                     .bss and stack use the top 64 KiB of
 *                                     it; nothing of that is kept after the
 *                                     jump (the API table runs from flash
 *                                     on the caller's stack, boot_api.c).
 *  0x2001FFF0 .. 0x2001FFFF   16 B    no-init words (update-mode request),
 *                                     never initialised by either startup
 *                                     (FOTA_NOINIT_ADDR/SIZE, fota_layout.h)
 *
 *  0x08000000                 bootloader vector table
 *  0x08000200                 bootloader API table (docs/firmware.md)
 */
#ifndef FW_LAYOUT_H
#define FW_LAYOUT_H

#include "fota/fota_layout.h"

#define FW_NOINIT_SIZE FOTA_NOINIT_SIZE
#define FW_NOINIT_ADDR FOTA_NOINIT_ADDR

#define FW_BOOT_RAM_ADDR 0x20010000
#define FW_BOOT_RAM_SIZE (FW_NOINIT_ADDR - FW_BOOT_RAM_ADDR)
#define FW_BOOT_STACK_SIZE                                                     \
    0x1800 /* Ed25519 verification: ~5.8 KiB worst case */

#define FW_APP_RAM_ADDR FOTA_APP_SRAM_ADDR
#define FW_APP_RAM_SIZE FOTA_APP_SRAM_SIZE
#define FW_APP_STACK_SIZE 0x1000

/* The API table sits right after the bootloader's vector table. */
#define FW_API_ADDR (FOTA_BOOT_ADDR + 0x200)

/* No-init request words: word 0 = magic, word 1 = its complement, so random
 * power-on RAM content is not mistaken for a request. */
#define FW_REQ_UPDATE_MAGIC 0x54445055 /* "UPDT" */
/* The bootloader's own bug report (main.c, fota_assert_failed): words 2
 * and 3 hold the file name's address and the line. */
#define FW_REQ_BUG_MAGIC 0x21475542 /* "BUG!" */

#endif /* FW_LAYOUT_H */
