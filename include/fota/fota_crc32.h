/*
 * fota_crc32.h - the two CRC-32 variants the project uses.
 *
 * fota_crc32_st:   what the STM32 CRC unit and ST's Get Checksum (0xA1)
 *                  compute: polynomial 0x04C11DB7, initial value 0xFFFFFFFF,
 *                  no reflection, no final XOR, fed 32-bit words MSB first.
 *                  A word is read from memory little-endian (as the Cortex-M4
 *                  loads it), so over bytes b0 b1 b2 b3 the bit stream is
 *                  b3 b2 b1 b0. Equals CRC-32/MPEG-2 of the byte-swapped words.
 *                  Used for Get Checksum, the boot-time image check and
 *                  journal records (the bootloader can use the CRC unit).
 * fota_crc32_ieee: CRC-32/ISO-HDLC (zlib, Ethernet): reflected 0xEDB88320,
 *                  init and xorout 0xFFFFFFFF. Check value 0xCBF43926.
 *                  Used where a host tool or a file format expects "crc32".
 */
#ifndef FOTA_CRC32_H
#define FOTA_CRC32_H

#include <stddef.h>
#include <stdint.h>

#define FOTA_CRC32_ST_INIT 0xFFFFFFFFu

/* Continue an ST CRC over len bytes (len a multiple of 4; trailing bytes of a
 * shorter len are ignored). Start with FOTA_CRC32_ST_INIT. Any context. */
uint32_t fota_crc32_st_update(uint32_t crc, const void *data, size_t len);

/* ST CRC of len bytes from the initial value. */
uint32_t fota_crc32_st(const void *data, size_t len);

/* Continue a zlib-style CRC-32 (start with 0) over len bytes. */
uint32_t fota_crc32_ieee_update(uint32_t crc, const void *data, size_t len);

#endif /* FOTA_CRC32_H */
