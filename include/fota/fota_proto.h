/*
 * fota_proto.h - the bus protocol both ends share: ST's SPI bootloader
 * protocol (AN4286) and its UART form (AN3155), plus the FOTA operations
 * carried by the Special (0x50) and Extended Special (0x51) commands.
 * docs/protocol.md describes every frame byte by byte.
 */
#ifndef FOTA_PROTO_H
#define FOTA_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "fota_image.h"

#define FOTA_PROTO_SPI_SYNC 0x5A /* host: start of frame / sync */
#define FOTA_PROTO_SPI_SYNC_ACK 0xA5
#define FOTA_PROTO_UART_SYNC 0x7F
#define FOTA_PROTO_ACK 0x79
#define FOTA_PROTO_NACK 0x1F
#define FOTA_PROTO_DUMMY                                                       \
    0x00 /* host clocks it to read; slave's pre-answer byte */
#define FOTA_PROTO_BUSY 0xA5 /* slave's filler while it works */

/* Standard commands. */
#define FOTA_CMD_GET 0x00
#define FOTA_CMD_GET_VERSION 0x01
#define FOTA_CMD_GET_ID 0x02
#define FOTA_CMD_READ_MEMORY 0x11
#define FOTA_CMD_GO 0x21
#define FOTA_CMD_WRITE_MEMORY 0x31
#define FOTA_CMD_EXTENDED_ERASE 0x44
#define FOTA_CMD_WRITE_PROTECT 0x63
#define FOTA_CMD_WRITE_UNPROTECT 0x73
#define FOTA_CMD_READOUT_PROTECT 0x82
#define FOTA_CMD_READOUT_UNPROTECT 0x92
#define FOTA_CMD_GET_CHECKSUM 0xA1
#define FOTA_CMD_SPECIAL 0x50
#define FOTA_CMD_EXTENDED_SPECIAL 0x51

#define FOTA_PROTO_PID 0x0413        /* STM32F405/407 */
#define FOTA_PROTO_MAX_RW 256        /* bytes per Read/Write Memory */
#define FOTA_PROTO_SPECIAL_MAX1 128  /* Special buffer 1 */
#define FOTA_PROTO_SPECIAL_MAX2 1024 /* Extended Special buffer 2 */

/* Extended Erase special codes (all refused: mass/bank erase would take the
 * bootloader and the running slot with them). */
#define FOTA_ERASE_MASS 0xFFFF
#define FOTA_ERASE_BANK1 0xFFFE
#define FOTA_ERASE_BANK2 0xFFFD

/* FOTA operations: the 16-bit opcode of Special / Extended Special. */
#define FOTA_OP_STATUS 0x4600 /* Special: -> status block */
#define FOTA_OP_COMMIT 0x4601 /* Special: slot u8 -> result */
#define FOTA_OP_REBOOT                                                         \
    0x4602 /* Special: -> result, then re-run the boot decision */
#define FOTA_OP_CONFIRM                                                        \
    0x4603 /* Special: -> result; confirm the pending (trial) slot */
#define FOTA_OP_ROLLBACK                                                       \
    0x4604 /* Special: -> result; reject the pending slot, keep the confirmed */
#define FOTA_OP_STREAM_WRITE                                                   \
    0x4610 /* Extended Special: streaming write, see docs/protocol.md */

/* Result byte carried in the status part of a FOTA operation's answer:
 * 0 for success, otherwise the magnitude of a FOTA_ERR_* code (so 84 means
 * FOTA_ERR_CORRUPT). */
#define FOTA_RESULT_OK 0

/* Result byte for a FOTA_ERR_* code too large to fit (platform codes). */
#define FOTA_RESULT_OTHER 0xFF

/* The result byte of rc (0 or a negative FOTA_ERR_*). */
static inline uint8_t fota_proto_result(int rc)
{
    if (rc >= 0)
        return FOTA_RESULT_OK;
    return rc >= -254 ? (uint8_t)-rc : FOTA_RESULT_OTHER;
}

/*
 * Deadlines the slave applies (docs/protocol.md, "Timeouts"). A frame whose
 * next byte does not arrive within FOTA_PROTO_BYTE_TIMEOUT_MS is abandoned
 * and the slave waits for a new sync/frame. While the slave offers an answer
 * (an ACK waiting for its SPI ACK-of-ACK, answer bytes being clocked out)
 * the host gets FOTA_PROTO_REPLY_TIMEOUT_MS, counted from the moment the
 * answer became ready and not restarted by the host's polling bytes.
 * Replies that conclude work (the ACK of an erase or a write, Read Memory
 * and checksum data, Special results) are kept FOTA_PROTO_RESULT_TIMEOUT_MS,
 * so a host may sleep through a long erase before it polls. Time the slave
 * spends working never counts.
 */
#ifndef FOTA_PROTO_BYTE_TIMEOUT_MS
#define FOTA_PROTO_BYTE_TIMEOUT_MS 1000u
#endif
#ifndef FOTA_PROTO_REPLY_TIMEOUT_MS
#define FOTA_PROTO_REPLY_TIMEOUT_MS 10000u
#endif
#ifndef FOTA_PROTO_RESULT_TIMEOUT_MS
#define FOTA_PROTO_RESULT_TIMEOUT_MS 30000u
#endif

/* Extended Erase: most sector codes one frame may carry. */
#define FOTA_PROTO_ERASE_MAX_CODES 128

/* Streaming write (FOTA_OP_STREAM_WRITE): chunk sizes, bytes. */
#define FOTA_PROTO_STREAM_MIN 4
#define FOTA_PROTO_STREAM_MAX FOTA_PROTO_SPECIAL_MAX2

/*
 * The status block: the data answered by FOTA_OP_STATUS. 64 bytes, every
 * multi-byte field little-endian:
 *
 *   off size field
 *     0   1  format          FOTA_STATUS_FORMAT
 *     1   1  proto_version   FOTA_BOOT_PROTO_VERSION of the bootloader
 *     2   1  active_slot     0/1, FOTA_STATUS_NO_SLOT in the factory state
 *     3   1  inactive_slot   the slot the bus may write (0/1)
 *     4   1  journal_area    enum boot_journal_area (0 none, 1 main, 2 spare)
 *     5   1  attempts_left   trial boots left for a pending slot
 *     6   1  journal_flags   flags byte of the newest journal record
 *     7   1  reserved        0
 *     8   4  journal_seq     sequence number of the newest record (0: none)
 *    12   4  sec_floor       lowest security counter still accepted
 *    16  16  slot A          state u8 (enum fota_slot_state), hdr_valid u8,
 *                            major u8, minor u8, patch u16, reserved u16 (0),
 *                            build u32, image CRC u32 (journal's record)
 *    32  16  slot B          same
 *    48   4  slot_a_addr
 *    52   4  slot_b_addr
 *    56   4  slot_size
 *    60   4  stream_error    sticky streaming-write error (0 or FOTA_ERR_*,
 *                            two's complement)
 */
#define FOTA_STATUS_SIZE 64
#define FOTA_STATUS_FORMAT 1
#define FOTA_STATUS_NO_SLOT 0xFF

typedef struct fota_status_slot {
    uint8_t state;     /* enum fota_slot_state (journal) */
    uint8_t hdr_valid; /* 1: the slot holds a header that decodes and fits */
    fota_version_t version; /* journal's version for the slot */
    uint32_t image_crc;     /* journal's image CRC for the slot */
} fota_status_slot_t;

typedef struct fota_status {
    uint8_t format;
    uint8_t proto_version;
    uint8_t active_slot;
    uint8_t inactive_slot;
    uint8_t journal_area;
    uint8_t attempts_left;
    uint8_t journal_flags;
    uint32_t journal_seq;
    uint32_t sec_floor;
    fota_status_slot_t slot[2];
    uint32_t slot_addr[2];
    uint32_t slot_size;
    int32_t stream_error;
} fota_status_t;

/* Serialise st into buf (FOTA_STATUS_SIZE bytes). Any context. */
void fota_status_encode(const fota_status_t *st, uint8_t buf[FOTA_STATUS_SIZE]);

/* Parse a status block of len bytes. Returns 0, FOTA_ERR_PROTO when len is
 * shorter than FOTA_STATUS_SIZE or the format is 0 (not a status block), or
 * FOTA_ERR_CORRUPT when a field is out of range (slot numbers, reserved
 * bytes not zero). A newer format (> FOTA_STATUS_FORMAT) is decoded as far as
 * this version knows it: the first 64 bytes keep their meaning. */
int fota_status_decode(fota_status_t *st, const uint8_t *buf, size_t len);

#endif /* FOTA_PROTO_H */
