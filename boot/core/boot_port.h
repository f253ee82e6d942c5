/*
 * boot_port.h - what a bootloader platform provides. Exactly one platform
 * directory (boot/port/stm32f407 on the chip, boot/port/host on the flash
 * model) is linked in; there is no function table to corrupt.
 *
 * All functions are called from the bootloader's single thread of control
 * (no interrupts). Addresses are absolute flash addresses.
 */
#ifndef BOOT_PORT_H
#define BOOT_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Copy len bytes of flash at addr to dst. Returns 0 or a negative
 * FOTA_ERR_*: FOTA_ERR_RANGE outside main flash. */
int boot_flash_read(uint32_t addr, void *dst, size_t len);

/* The len bytes of flash at addr where the processor reads them in place
 * (memory-mapped on the chip), for passes that only read: NULL outside
 * main flash. Valid until the next write or erase. Costs what
 * boot_flash_read costs minus the copy (the chip port calls the same idle
 * hook), so callers take it in chunks no larger than they would read. */
const void *boot_flash_map(uint32_t addr, size_t len);

/* Whether the len bytes of flash at addr (len a multiple of 32) all read
 * 0xFF (erased); false outside main flash. The journal scan's pass over
 * mostly erased sectors: the chip port reads eight words per load
 * multiple. Calls the idle hook like boot_flash_read. */
bool boot_flash_blank(uint32_t addr, size_t len);

/* Program len bytes at addr (both multiples of 4, x32 parallelism) into
 * erased flash, word by word in ascending order. Returns 0, FOTA_ERR_INVAL
 * (alignment), FOTA_ERR_RANGE, or FOTA_ERR_IO when FLASH_SR reports an error
 * (the port checks SR after every word). */
int boot_flash_write(uint32_t addr, const void *src, size_t len);

/* Erase one sector (0..11) to 0xFF. Returns 0, FOTA_ERR_RANGE or
 * FOTA_ERR_IO. May take up to 2 s (128 KiB at x32). */
int boot_flash_erase_sector(unsigned sector);

/*
 * Non-blocking flash operations, for code that must keep serving the bus
 * while flash is busy (the protocol engine's erase and streaming writes; on
 * the single-bank F407 that code runs from SRAM). At most one operation is
 * in flight: start one only when boot_flash_op_status() returned <= 0.
 */

/* Start erasing sector (0..11). Returns 0 once started, or FOTA_ERR_*. */
int boot_flash_start_erase(unsigned sector);

/* Start programming one 32-bit word at addr (4-byte aligned). Returns 0
 * once started, or FOTA_ERR_*. */
int boot_flash_start_word(uint32_t addr, uint32_t word);

/* Start programming n >= 1 words from src (little-endian bytes, left
 * unchanged until the operation ends) to addr (4-byte aligned), in
 * ascending order, each read back and compared before the next starts.
 * One operation: boot_flash_op_status() reports 1 until the last word is
 * verified (0) or the first failure (FOTA_ERR_IO; words after it are not
 * programmed). Returns 0 once started, or FOTA_ERR_*. */
int boot_flash_start_words(uint32_t addr, const uint8_t *src, uint32_t n);

/* 1 while the started operation runs, 0 when it completed without error
 * (or none was started), FOTA_ERR_IO if FLASH_SR reported an error or a
 * programmed word reads back wrong (the error bits are cleared and the
 * flash locked again). */
int boot_flash_op_status(void);

/* fota_crc32_st over len bytes of flash at addr (len a multiple of 4). The
 * chip port uses the CRC unit; the host port computes it in software. */
uint32_t boot_flash_crc(uint32_t addr, size_t len);

/* Milliseconds since reset, monotonic (wraps after 49 days). */
uint32_t boot_clock_ms(void);

/* Feed the independent watchdog. Never call it in a loop that waits on the
 * host. */
void boot_wdt_kick(void);

/* The Ed25519 public key (32 bytes) every image must be signed with
 * before it first runs, or NULL when this bootloader was built without one
 * (images are then checked for integrity only). The key is part of the
 * bootloader's own flash, so nothing the bus can write changes it. */
const uint8_t *boot_signing_key(void);

#endif /* BOOT_PORT_H */
