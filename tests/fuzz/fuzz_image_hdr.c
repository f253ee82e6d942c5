/*
 * fuzz_image_hdr.c - libFuzzer target for the image header parser:
 * fota_image_hdr_decode, fota_image_check_slot and fota_image_tlv_find on
 * arbitrary 512-byte headers (the input, padded with 0xFF as erased flash
 * would be). Besides the sanitizers, it checks the parser's promises:
 * a TLV value found lies inside the declared TLV area, and a header that
 * passes check_slot really fits that slot.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fota/fota_err.h"
#include "fota/fota_image.h"
#include "fota/fota_le.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void broken(const char *what)
{
    fprintf(stderr, "PARSER PROMISE BROKEN: %s\n", what);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t buf[FOTA_IMAGE_HDR_SIZE];
    fota_image_hdr_t hdr;
    uint16_t types[3] = {FOTA_TLV_ED25519_SIG, FOTA_TLV_KEY_ID, 0};

    memset(buf, 0xFF, sizeof buf);
    memcpy(buf, data, size < sizeof buf ? size : sizeof buf);
    /* Extra input bytes choose a third TLV type to look for. */
    if (size >= sizeof buf + 2)
        types[2] = fota_get_le16(data + sizeof buf);

    if (fota_image_hdr_decode(&hdr, buf) != 0)
        return 0;
    if (hdr.magic != FOTA_IMAGE_MAGIC || hdr.tlv_size > FOTA_IMAGE_TLV_MAX)
        broken("decode accepted a bad magic or TLV size");
    for (int slot = 0; slot < 2; slot++) {
        if (fota_image_check_slot(&hdr, slot) == 0) {
            if (hdr.load_addr != (uint32_t)FOTA_SLOT_BODY_ADDR(slot) ||
                hdr.body_size == 0 || hdr.body_size > FOTA_SLOT_BODY_MAX)
                broken("check_slot accepted an image that does not fit");
        }
    }
    for (int i = 0; i < 3; i++) {
        const uint8_t *val = NULL;
        int len = fota_image_tlv_find(&hdr, types[i], &val);

        if (len >= 0) {
            if (val < hdr.tlv || val + len > hdr.tlv + hdr.tlv_size)
                broken("TLV value outside the TLV area");
            /* Touch every byte so ASan sees any overrun. */
            volatile uint8_t sink = 0;
            for (int k = 0; k < len; k++)
                sink ^= val[k];
            (void)sink;
        } else if (len != FOTA_ERR_NOENT && len != FOTA_ERR_CORRUPT) {
            broken("tlv_find returned an undocumented error");
        }
    }
    return 0;
}
