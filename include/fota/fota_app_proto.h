/*
 * fota_app_proto.h - the application status exchange on SPI1 (the wire
 * part of the application library, portable C: the firmware library, the
 * agent and the host model of the target all use it). docs/protocol.md,
 * "Talking to a running application", describes it byte by byte.
 *
 * Request (host -> application), one byte per transaction:
 *   FOTA_APP_SOF, cmd, ~cmd
 * Answer (application -> host, clocked by the host with 0x00 dummies):
 *   filler bytes (FOTA_APP_FILL) until the application has the answer, then
 *   FOTA_APP_ANS, len, payload[len], xor(len, payload)
 *
 * The bootloader never sends FOTA_APP_ANS: it answers only AN4286 frames
 * (0x5A start) with ACK 0x79 / NACK 0x1F, so a host tells a running
 * application from the bootloader without resetting anything.
 */
#ifndef FOTA_APP_PROTO_H
#define FOTA_APP_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fota/fota_image.h"
#include "fota/fota_journal.h"
#include "fota/fota_proto.h"

#define FOTA_APP_SOF 0xA6u  /* request start (not 0x5A: no AN4286 frame) */
#define FOTA_APP_ANS 0xA7u  /* answer start */
#define FOTA_APP_FILL 0x00u /* what the application clocks out when idle */
#define FOTA_APP_CMD_STATUS 0x01u /* answer the status payload */
#define FOTA_APP_CMD_UPDATE 0x02u /* answer, then request update mode */
#define FOTA_APP_CMD_CONFIRM                                                   \
    0x03u /* answer, then confirm (a trial: and reset into the confirmed       \
             boot) */
#define FOTA_APP_PROTO_VERSION 1u

/* Status payload: 16 bytes about the running application, then the
 * bootloader's 64-byte status block (fota_proto.h) as the application
 * computes it from the journal and the slot headers in flash:
 *   0 u8  FOTA_APP_PROTO_VERSION
 *   1 u8  running slot (0 A, 1 B)
 *   2 u8  running slot's journal state (enum fota_slot_state: 1 confirmed,
 *         2 pending = this boot is a trial)
 *   3 u8  flags: bit 0 confirmed during this boot
 *   4 8   running image's version (major u8, minor u8, patch u16, build u32)
 *  12 u32 running image's confirm window, ms (default applied)
 *  16 64  status block */
#define FOTA_APP_INFO_SIZE 16u
#define FOTA_APP_STATUS_PAYLOAD (FOTA_APP_INFO_SIZE + FOTA_STATUS_SIZE)
#define FOTA_APP_UPDATE_PAYLOAD 1u
/* Confirm answer byte: the application confirms once the answer is out
 * (ACCEPTED: it runs a trial, and resets into the confirmed boot), or there
 * is nothing to confirm (CONFIRMED: it runs confirmed already). */
#define FOTA_APP_CONFIRM_PAYLOAD 1u
#define FOTA_APP_CONFIRM_ACCEPTED 0x00u
#define FOTA_APP_CONFIRM_CONFIRMED 0x01u
#define FOTA_APP_F_CONFIRMED_NOW 0x01u
/* Longest answer frame: marker, length, payload, XOR. */
#define FOTA_APP_FRAME_MAX (FOTA_APP_STATUS_PAYLOAD + 3u)

/* What the application reports about itself (decoded payload). */
typedef struct fota_app_info {
    uint8_t proto_version;
    uint8_t slot;           /* running slot */
    uint8_t state;          /* enum fota_slot_state of the running slot */
    uint8_t flags;          /* FOTA_APP_F_* */
    fota_version_t version; /* running image */
    uint32_t confirm_window_ms;
    fota_status_t status; /* as the bootloader's status block reads */
} fota_app_info_t;

/* The newest intact journal record in the flash image at flash (the 1 MiB
 * from FOTA_FLASH_BASE, memory-mapped on the chip). Returns 0 and fills
 * *rec, *area (1 main, 2 spare), or FOTA_ERR_NOENT (no record: a factory
 * device). Reads only. */
int fota_app_journal_newest(const uint8_t *flash, fota_journal_rec_t *rec,
                            uint8_t *area);

/* Build the status payload for an application running from slot, reading
 * the flash image at flash. flags: FOTA_APP_F_*. out holds
 * FOTA_APP_STATUS_PAYLOAD bytes. Returns 0 or FOTA_ERR_CORRUPT (the running
 * slot's header does not decode). */
int fota_app_status_build(const uint8_t *flash, int slot, uint8_t flags,
                          uint8_t out[FOTA_APP_STATUS_PAYLOAD]);

/* Decode a status payload of len bytes. Returns 0, FOTA_ERR_PROTO (too
 * short, unknown version) or FOTA_ERR_CORRUPT (a field out of range). */
int fota_app_status_decode(fota_app_info_t *info, const uint8_t *p, size_t len);

/* The responder's byte-level state machine (one per SPI slave). */
typedef struct fota_app_link {
    uint8_t state; /* internal */
    uint8_t cmd;
    uint8_t pos, len; /* answer being clocked out */
    bool update_due;  /* the UPDATE answer went out: request update mode */
    bool confirm_due; /* the CONFIRM answer went out: confirm */
    uint8_t ans[FOTA_APP_FRAME_MAX];
} fota_app_link_t;

/* Answer builder: fill payload (cap bytes) for cmd and return its length,
 * or a negative value to ignore the request. */
typedef int (*fota_app_answer_fn)(void *ctx, uint8_t cmd, uint8_t *payload,
                                  size_t cap);

void fota_app_link_init(fota_app_link_t *l);

/* One byte received from the host; returns the byte to clock out next.
 * Sets l->update_due (l->confirm_due) once the whole UPDATE (CONFIRM)
 * answer has been sent. */
uint8_t fota_app_link_byte(fota_app_link_t *l, uint8_t rx,
                           fota_app_answer_fn answer, void *ctx);

/* Drop a half-received request or half-sent answer (overrun, CS edge). */
void fota_app_link_abort(fota_app_link_t *l);

#endif /* FOTA_APP_PROTO_H */
