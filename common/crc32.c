/*
 * crc32.c - the ST and IEEE CRC-32 variants (see fota_crc32.h).
 *
 * Both use 16-entry (nibble) tables: 64 bytes of const each instead of 1 KiB,
 * which matters in a 16 KiB bootloader, at a cost of 8 table steps per 32
 * bits. The bootloader can use the STM32 CRC unit where speed matters; these
 * must give exactly the same answer.
 */
#include "fota/fota_crc32.h"
#include "fota/fota_le.h"
#include "fota/fota_nomalloc.h"

/* Non-reflected 0x04C11DB7: entry i is the register after shifting the
 * nibble i out of the top four bits (i << 28, four steps). */
static const uint32_t s_st_nibble[16] = {
    0x00000000u, 0x04C11DB7u, 0x09823B6Eu, 0x0D4326D9u,
    0x130476DCu, 0x17C56B6Bu, 0x1A864DB2u, 0x1E475005u,
    0x2608EDB8u, 0x22C9F00Fu, 0x2F8AD6D6u, 0x2B4BCB61u,
    0x350C9B64u, 0x31CD86D3u, 0x3C8EA00Au, 0x384FBDBDu,
};

/* Reflected 0xEDB88320: entry i is the register after shifting nibble i out
 * of the bottom four bits. */
static const uint32_t s_ieee_nibble[16] = {
    0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu,
    0x76DC4190u, 0x6B6B51F4u, 0x4DB26158u, 0x5005713Cu,
    0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu,
    0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu,
};

uint32_t fota_crc32_st_update(uint32_t crc, const void *data, size_t len)
{
    const uint8_t *p = data;

    /* The CRC unit takes whole words: the word the CPU loads (little-endian)
     * enters the register MSB first, i.e. it is XORed into the register as a
     * 32-bit value and then shifted out from the top. */
    for (size_t i = 0; i + 4 <= len; i += 4) {
        crc ^= fota_get_le32(p + i);
        for (int k = 0; k < 8; k++)
            crc = (crc << 4) ^ s_st_nibble[crc >> 28];
    }
    return crc;
}

uint32_t fota_crc32_st(const void *data, size_t len)
{
    return fota_crc32_st_update(FOTA_CRC32_ST_INIT, data, len);
}

uint32_t fota_crc32_ieee_update(uint32_t crc, const void *data, size_t len)
{
    const uint8_t *p = data;

    /* zlib convention: the caller passes the previous result (0 to start);
     * the pre- and post-inversion are applied here. */
    crc = ~crc;
    for (size_t i = 0; i < len; i++) {
        crc ^= p[i];
        crc = (crc >> 4) ^ s_ieee_nibble[crc & 0xFu];
        crc = (crc >> 4) ^ s_ieee_nibble[crc & 0xFu];
    }
    return ~crc;
}
