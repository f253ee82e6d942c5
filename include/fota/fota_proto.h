/*
 * fota_proto.h - the bus protocol both ends share: ST's SPI bootloader
 * protocol (AN4286) and its UART form (AN3155), plus the FOTA operations
 * carried by the Special (0x50) and Extended Special (0x51) commands.
 * docs/protocol.md describes every frame byte by byte.
 */
#ifndef FOTA_PROTO_H
#define FOTA_PROTO_H

#include <stdint.h>

#define FOTA_PROTO_SPI_SYNC 0x5A    /* host: start of frame / sync */
#define FOTA_PROTO_SPI_SYNC_ACK 0xA5
#define FOTA_PROTO_UART_SYNC 0x7F
#define FOTA_PROTO_ACK 0x79
#define FOTA_PROTO_NACK 0x1F
#define FOTA_PROTO_DUMMY 0x00       /* host clocks it to read; slave's pre-answer byte */
#define FOTA_PROTO_BUSY 0xA5        /* slave's filler while it works */

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

#define FOTA_PROTO_PID 0x0413       /* STM32F405/407 */
#define FOTA_PROTO_MAX_RW 256       /* bytes per Read/Write Memory */
#define FOTA_PROTO_SPECIAL_MAX1 128 /* Special buffer 1 */
#define FOTA_PROTO_SPECIAL_MAX2 1024 /* Extended Special buffer 2 */

/* Extended Erase special codes (all refused: mass/bank erase would take the
 * bootloader and the running slot with them). */
#define FOTA_ERASE_MASS 0xFFFF
#define FOTA_ERASE_BANK1 0xFFFE
#define FOTA_ERASE_BANK2 0xFFFD

/* FOTA operations: the 16-bit opcode of Special / Extended Special. */
#define FOTA_OP_STATUS 0x4600        /* Special: -> status block */
#define FOTA_OP_COMMIT 0x4601        /* Special: slot u8 -> result */
#define FOTA_OP_REBOOT 0x4602        /* Special: -> result, then re-run the boot decision */
#define FOTA_OP_STREAM_WRITE 0x4610  /* Extended Special: streaming write, see docs/protocol.md */

/* Result byte carried in the status part of a FOTA operation's answer:
 * 0 for success, otherwise the magnitude of a FOTA_ERR_* code (so 84 means
 * FOTA_ERR_CORRUPT). */
#define FOTA_RESULT_OK 0

#endif /* FOTA_PROTO_H */
