/*
 * sim_image.c - test image builder (see sim_image.h).
 */
#include "sim_image.h"

#include <string.h>

#include "fota/fota_config.h"
#include "fota/fota_err.h"
#include "fota/fota_layout.h"
#include "fota/fota_le.h"
#include "fota/fota_prng.h"
#include "fota/fota_sha256.h"

int sim_image_build(uint8_t *buf, size_t cap, int slot, uint8_t major,
                    uint8_t minor, uint32_t sec, uint32_t body_size,
                    uint32_t seed)
{
    fota_image_hdr_t hdr;
    size_t len = (size_t)FOTA_IMAGE_HDR_SIZE + body_size;
    uint8_t *body = buf + FOTA_IMAGE_HDR_SIZE;
    uint32_t body_addr;
    uint32_t x = seed * 747796405u + 2891336453u;

    if (slot < 0 || slot >= FOTA_SLOT_COUNT || body_size < 8 || body_size % 4 ||
        body_size > FOTA_SLOT_BODY_MAX)
        return FOTA_ERR_INVAL;
    if (cap < len)
        return FOTA_ERR_NOMEM;
    body_addr = (uint32_t)FOTA_SLOT_BODY_ADDR(slot);

    for (uint32_t i = 0; i < body_size; i++)
        body[i] = (uint8_t)(fota_prng_next(&x) >> 24);
    /* Vector table: initial MSP at the top of SRAM, reset handler (thumb)
     * inside the body. */
    fota_put_le32(body, FOTA_NOINIT_ADDR);
    fota_put_le32(body + 4, body_addr + (body_size > 0x200 ? 0x101u : 0x9u));

    fota_image_hdr_init(&hdr, slot, body_size, FOTA_PRODUCT_ID);
    hdr.version.major = major;
    hdr.version.minor = minor;
    hdr.sec_counter = sec;
    fota_image_seal(&hdr, buf, body);
    return (int)len;
}

int sim_image_install(sim_flash_t *f, int slot, const uint8_t *img, size_t len)
{
    uint32_t addr = (uint32_t)FOTA_SLOT_ADDR(slot);
    int rc;

    if (len % 4 || len > FOTA_SLOT_SIZE)
        return FOTA_ERR_INVAL;
    for (int s = 0; s < FOTA_SLOT_SECTORS; s++) {
        rc = sim_flash_erase_sector(
            f, (unsigned)(FOTA_SLOT_FIRST_SECTOR(slot) + s));
        if (rc < 0)
            return rc;
    }
    for (size_t off = 0; off < len; off += 4) {
        rc = sim_flash_program_word(f, addr + (uint32_t)off,
                                    fota_get_le32(img + off));
        if (rc < 0)
            return rc;
    }
    return 0;
}
