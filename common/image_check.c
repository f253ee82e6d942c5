/*
 * image_check.c - the one verdict on an image (fota_image_check.h), shared
 * by the bootloader and the tools.
 */
#include "fota/fota_image_check.h"
#include "fota/fota_err.h"
#include "fota/fota_layout.h"

bool fota_image_sp_ok(uint32_t sp)
{
    bool sram =
        sp > (uint32_t)FOTA_SRAM_ADDR && sp <= (uint32_t)FOTA_NOINIT_ADDR;
    bool ccm = sp > (uint32_t)FOTA_CCM_ADDR &&
               sp <= (uint32_t)FOTA_CCM_ADDR + FOTA_CCM_SIZE;

    return (sram || ccm) && (sp & 3u) == 0;
}

bool fota_image_entry_ok(uint32_t entry, uint32_t body_addr, uint32_t body_size)
{
    uint32_t target = entry & ~1u;

    /* Thumb state is mandatory on Cortex-M: a reset vector with bit 0
     * clear faults on the first instruction (ARMv7-M ARM B1.5.3). */
    return (entry & 1u) != 0 && target >= body_addr &&
           target - body_addr < body_size;
}

bool fota_image_product_ok(const fota_image_hdr_t *hdr, const char *product)
{
    size_t i = 0;

    if (product == NULL || product[0] == '\0')
        return false;
    for (; i < FOTA_IMAGE_PRODUCT_LEN && product[i] != '\0'; i++)
        if (hdr->product[i] != product[i])
            return false;
    if (product[i] != '\0')
        return false; /* longer than the field */
    /* The rest of the field is NUL padding, so "stm32f407-disco-x" does
     * not pass for "stm32f407-disco". */
    for (; i < FOTA_IMAGE_PRODUCT_LEN; i++)
        if (hdr->product[i] != '\0')
            return false;
    return true;
}

int fota_image_check(const fota_image_hdr_t *hdr, int slot, const char *product,
                     uint32_t sec_floor, uint32_t sp, uint32_t entry)
{
    if (slot < 0 || slot >= FOTA_SLOT_COUNT ||
        hdr->load_addr != (uint32_t)FOTA_SLOT_BODY_ADDR(slot))
        return FOTA_IMG_LOAD_ADDR;
    if (hdr->body_size == 0 || hdr->body_size % FOTA_FLASH_WRITE_ALIGN != 0 ||
        hdr->body_size > (uint32_t)FOTA_SLOT_BODY_MAX)
        return FOTA_IMG_SIZE;
    if (!fota_image_product_ok(hdr, product))
        return FOTA_IMG_PRODUCT;
    if (hdr->confirm_window_ms > FOTA_CONFIRM_WINDOW_MAX_MS)
        return FOTA_IMG_WINDOW;
    if (hdr->sec_counter < sec_floor)
        return FOTA_IMG_ROLLBACK;
    if (!fota_image_sp_ok(sp))
        return FOTA_IMG_SP;
    if (!fota_image_entry_ok(entry, hdr->load_addr, hdr->body_size))
        return FOTA_IMG_ENTRY;
    return FOTA_IMG_OK;
}

const char *fota_image_reason_name(int reason)
{
    static const char *const names[FOTA_IMG_REASONS] = {
        "ok",     "load-addr", "size", "product",
        "window", "rollback",  "sp",   "entry",
    };

    return reason >= 0 && reason < FOTA_IMG_REASONS ? names[reason] : "unknown";
}

int fota_image_reason_err(int reason)
{
    if (reason == FOTA_IMG_OK)
        return 0;
    if (reason == FOTA_IMG_ROLLBACK)
        return FOTA_ERR_ROLLBACK;
    return FOTA_ERR_IMAGE(reason);
}
