/*
 * vb_host.h - an AN4286 SPI host on the virtual board's master port, for
 * the conformance suite that runs the real bootloader: configurable the
 * way hosts in the field behave (SPI clock, gaps between the bytes of a
 * transfer, whole frames and whole answers in one transfer, an over-read
 * byte after each ACK and answer, a blind final ACK-of-ACK, a sleep before
 * polling a long operation's result). Written from AN4286 and
 * docs/protocol.md, independently of the agent's client.
 */
#ifndef VB_HOST_H
#define VB_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vboard.h"

typedef struct vb_host {
    vboard_t *b;
    uint32_t hz;          /* SCK */
    uint32_t gap_ns;      /* between the bytes of one transfer */
    uint32_t txn_gap_ns;  /* between transfers */
    bool over_read;       /* one more byte after each ACK and each answer */
    bool blind_ackack;    /* final ACK-of-ACK without polling for the ACK */
    uint32_t sleep_ms;    /* before polling the result of an erase */
    uint32_t polls;       /* polls of the last ACK wait */
    uint32_t stale_polls; /* bytes of answers that were not the answer */
} vb_host_t;

#define VBH_TIMEOUT (-1)

void vbh_init(vb_host_t *h, vboard_t *b, uint32_t hz, uint32_t gap_ns);

/* One transfer of n bytes (tx NULL: zeros; rx may be NULL). */
void vbh_xfer(vb_host_t *h, const uint8_t *tx, uint8_t *rx, size_t n);

/* Poll one byte per transfer until ACK/NACK (at most max_ms of simulated
 * time), over-read if configured, send the ACK-of-ACK. Returns the byte or
 * VBH_TIMEOUT. */
int vbh_ack(vb_host_t *h, uint32_t max_ms);

/* Sync: 0x5A, then vbh_ack. */
int vbh_sync(vb_host_t *h);

/* Whole commands: 0 on success, FOTA_ERR_NACK, FOTA_ERR_TIMEOUT or
 * FOTA_ERR_PROTO (an answer that does not parse). Every multi-byte answer
 * is read in one transfer. */
int vbh_get(vb_host_t *h, uint8_t *ver, uint8_t *cmds, size_t *ncmds);
int vbh_get_version(vb_host_t *h, uint8_t *ver);
int vbh_get_id(vb_host_t *h, uint16_t *pid);
int vbh_read(vb_host_t *h, uint32_t addr, uint8_t *buf, size_t n);
int vbh_write(vb_host_t *h, uint32_t addr, const uint8_t *buf, size_t n);
int vbh_erase(vb_host_t *h, const uint16_t *sectors, size_t n);
int vbh_checksum(vb_host_t *h, uint32_t addr, uint32_t len, uint32_t *crc);

#endif /* VB_HOST_H */
