/*
 * boot_test_util.c - see boot_test_util.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "boot_port.h"
#include "boot_port_host.h"
#include "boot_test_util.h"
#include "fota/fota_ed25519.h"
#include "fota/fota_le.h"

sim_flash_t *tbu_flash_new(void)
{
    sim_flash_t *f = malloc(sizeof *f);

    assert_non_null(f);
    sim_flash_init(f, SIM_FLASH_TYPICAL);
    boot_port_host_bind(f);
    return f;
}

void tbu_flash_free(sim_flash_t *f)
{
    boot_port_host_bind(NULL);
    free(f);
}

int tbu_setup(void **state)
{
    *state = tbu_flash_new();
    /* A bootloader without a signing key unless the test gives it one. */
    boot_port_host_set_signing_key(NULL);
    return 0;
}

int tbu_teardown(void **state)
{
    sim_flash_t *f = *state;
    uint64_t overwrites = f->overwrites;

    tbu_flash_free(f);
    return overwrites == 0 ? 0 : -1;
}

void tbu_image_default(tbu_image_t *img, uint8_t major, uint8_t minor,
                       uint32_t sec_counter)
{
    memset(img, 0, sizeof *img);
    img->version.major = major;
    img->version.minor = minor;
    img->version.patch = 0;
    img->version.build = 100u + major * 10u + minor;
    img->sec_counter = sec_counter;
    img->body_size = 4096;
    img->msp = FOTA_NOINIT_ADDR;
    img->entry = 0;
    img->load_slot = -1;
}

/* Append one TLV record to the header's TLV area. */
static void put_tlv(fota_image_hdr_t *hdr, uint16_t type, const uint8_t *val,
                    uint16_t len)
{
    assert_true(hdr->tlv_size + 4u + len <= FOTA_IMAGE_TLV_MAX);
    fota_put_le16(hdr->tlv + hdr->tlv_size, type);
    fota_put_le16(hdr->tlv + hdr->tlv_size + 2, len);
    memcpy(hdr->tlv + hdr->tlv_size + 4, val, len);
    hdr->tlv_size = (uint16_t)(hdr->tlv_size + 4u + len);
}

/* The key id and an Ed25519 signature of the sha256 field, as `fota image
 * sign` writes them. */
static void sign_header(fota_image_hdr_t *hdr, const tbu_image_t *img)
{
    uint8_t pub[FOTA_ED25519_PUB_SIZE], id[FOTA_ED25519_KEY_ID_SIZE];
    uint8_t sig[FOTA_ED25519_SIG_SIZE];

    fota_ed25519_pubkey(pub, img->sign_seed);
    fota_ed25519_sign(sig, hdr->sha256, sizeof hdr->sha256, img->sign_seed,
                      pub);
    if (img->bad_sig)
        sig[17] ^= 0x08;
    memset(hdr->tlv, 0xFF, sizeof hdr->tlv);
    hdr->tlv_size = 0;
    if (!img->no_key_id) {
        fota_ed25519_key_id(id, pub);
        put_tlv(hdr, FOTA_TLV_KEY_ID, id, sizeof id);
    }
    put_tlv(hdr, FOTA_TLV_ED25519_SIG, sig, sizeof sig);
}

void tbu_image_write(int slot, const tbu_image_t *img)
{
    uint8_t hbuf[FOTA_IMAGE_HDR_SIZE];
    fota_image_hdr_t hdr;
    int link_slot = img->load_slot >= 0 ? img->load_slot : slot;
    uint8_t *body = malloc(img->body_size);
    const char *product = img->product ? img->product : FOTA_PRODUCT_ID;

    assert_non_null(body);
    /* Body: vector table, then a pattern that depends on the version so
     * that two releases differ everywhere. */
    for (uint32_t i = 0; i < img->body_size; i++)
        body[i] = (uint8_t)(i * 7u + img->version.major * 31u +
                            img->version.minor * 13u + (uint32_t)slot);
    fota_put_le32(body, img->msp);
    fota_put_le32(body + 4,
                  img->entry
                      ? img->entry
                      : (uint32_t)FOTA_SLOT_BODY_ADDR(link_slot) + 0x101u);

    fota_image_hdr_init(&hdr, link_slot, img->body_size, product);
    hdr.version = img->version;
    hdr.sec_counter = img->sec_counter;
    hdr.confirm_window_ms = img->confirm_window_ms;
    fota_image_seal(&hdr, hbuf, body);
    if (img->bad_hash)
        hdr.sha256[5] ^= 0x40;
    if (img->sign_seed != NULL)
        sign_header(&hdr, img);
    fota_image_hdr_encode(&hdr, hbuf);

    for (int s = 0; s < FOTA_SLOT_SECTORS; s++)
        assert_int_equal(boot_flash_erase_sector(
                             (unsigned)(FOTA_SLOT_FIRST_SECTOR(slot) + s)),
                         0);
    assert_int_equal(
        boot_flash_write((uint32_t)FOTA_SLOT_ADDR(slot), hbuf, sizeof hbuf), 0);
    assert_int_equal(boot_flash_write((uint32_t)FOTA_SLOT_BODY_ADDR(slot), body,
                                      img->body_size),
                     0);
    free(body);
}

void tbu_corrupt(sim_flash_t *f, int slot, uint32_t off)
{
    f->mem[(uint32_t)FOTA_SLOT_ADDR(slot) - FOTA_FLASH_BASE + off] ^= 0x01;
}

void tbu_reboot(boot_ctx_t *ctx, boot_decision_t *d)
{
    memset(ctx, 0xA5, sizeof *ctx); /* nothing may survive a reset */
    assert_int_equal(boot_init(ctx), 0);
    assert_int_equal(boot_decide(ctx, d), 0);
}
