/*
 * proto_host.h - the host side of the bootloader protocol, for tests: an
 * SPI master (AN4286: 0x5A frames, dummy polls, ACK-of-ACK) or a UART host
 * (AN3155) driving a boot_proto engine byte by byte on the flash model.
 * Written from the protocol description, independently of the agent's
 * client, so the two check each other.
 *
 * Time: every byte costs link time on the model's virtual clock, and the
 * engine's poll loop runs between bytes, as on the chip.
 */
#ifndef PROTO_HOST_H
#define PROTO_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boot_core.h"
#include "boot_proto.h"
#include "sim_flash.h"

#define PH_TIMEOUT (-1) /* no ACK/NACK within the host's deadline */

typedef struct proto_host {
    boot_proto_t *eng;
    sim_flash_t *flash;
    uint8_t link;          /* enum boot_link */
    uint64_t byte_ns;      /* link time per byte */
    uint32_t polls;        /* SPI dummy polls / UART waits of the last ph_ack */
    uint64_t exchanges;    /* bytes clocked (SPI) or sent (UART) */
    uint8_t uart_rx[4096]; /* UART bytes from the engine, not yet read */
    size_t uart_head, uart_len;
    uint8_t spi_preload; /* SPI: byte the slave loaded for the next clock */
    int requests;        /* BOOT_REQ_REBOOT seen */
} proto_host_t;

/* Fixture: a fresh flash model with a confirmed valid image (version 1.0)
 * in slot A, booted once so the journal records it; slot B is inactive. */
typedef struct proto_fix {
    sim_flash_t *flash;
    boot_ctx_t ctx;
    boot_proto_t eng;
    proto_host_t host;
} proto_fix_t;

void proto_fix_setup(proto_fix_t *fx, enum boot_link link);
void proto_fix_teardown(proto_fix_t *fx);

/* Build a valid image for slot (header + body of body_size bytes) into out
 * (FOTA_IMAGE_HDR_SIZE + body_size bytes); seed varies the body. */
void proto_image_build(uint8_t *out, int slot, uint32_t body_size,
                       uint8_t major, uint8_t minor, uint32_t seed);

/* Program bytes straight into the model (test setup, not over the bus):
 * erases the slot first. */
void proto_image_install(sim_flash_t *f, int slot, const uint8_t *img,
                         size_t len);

void ph_init(proto_host_t *h, boot_proto_t *eng, sim_flash_t *f,
             enum boot_link link);

/* Raw byte: SPI returns what the slave shifted out, UART returns 0. */
uint8_t ph_byte(proto_host_t *h, uint8_t b);
void ph_bytes(proto_host_t *h, const uint8_t *b, size_t n);
/* Send b followed by their XOR. */
void ph_bytes_xor(proto_host_t *h, const uint8_t *b, size_t n);

/* Wait for ACK/NACK (SPI: dummy polls then the ACK-of-ACK). Returns
 * FOTA_PROTO_ACK, FOTA_PROTO_NACK or PH_TIMEOUT after max_ms of virtual
 * time. */
int ph_ack(proto_host_t *h, uint32_t max_ms);

/* Sync (SPI 0x5A / UART 0x7F) and wait for the ACK. */
int ph_sync(proto_host_t *h);

/* Command frame (cmd, ~cmd; SPI with 0x5A), then ph_ack. */
int ph_cmd(proto_host_t *h, uint8_t cmd);

/* Read n answer bytes (SPI: one dummy first). Returns 0 or PH_TIMEOUT. */
int ph_read(proto_host_t *h, uint8_t *buf, size_t n);

/* Let virtual time pass with the engine polled (no bus traffic). */
void ph_idle(proto_host_t *h, uint32_t ms);

/* Whole commands. Return 0 on success, FOTA_ERR_NACK on a NACK at any step,
 * FOTA_ERR_TIMEOUT. */
int ph_get(proto_host_t *h, uint8_t *ver, uint8_t *cmds, size_t *ncmds);
int ph_read_mem(proto_host_t *h, uint32_t addr, uint8_t *buf, size_t n);
int ph_write_mem(proto_host_t *h, uint32_t addr, const uint8_t *buf, size_t n);
int ph_erase(proto_host_t *h, const uint16_t *codes, size_t n);
int ph_erase_special(proto_host_t *h, uint16_t code);
int ph_checksum(proto_host_t *h, uint32_t addr, uint32_t len, uint32_t *crc);
int ph_go(proto_host_t *h, uint32_t addr);
/* Special 0x50: answer data into data (cap), its size to *dlen, the status
 * byte to *status. */
int ph_special(proto_host_t *h, uint16_t op, const uint8_t *in, size_t in_len,
               uint8_t *data, size_t cap, size_t *dlen, uint8_t *status);
/* Extended Special streaming write of n bytes at addr. */
int ph_stream(proto_host_t *h, uint32_t addr, const uint8_t *buf, size_t n,
              uint8_t *status);

#endif /* PROTO_HOST_H */
