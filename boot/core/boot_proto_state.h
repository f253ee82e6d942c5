/*
 * boot_proto_state.h - the command engine's state (included by
 * boot_proto.h; only boot_proto.c touches the fields). The caller owns the
 * instance; it holds every buffer the engine uses, so nothing is on the
 * heap and the RAM cost is visible here: two streaming chunks (2 x 1 KiB)
 * and one 260-byte frame/answer buffer, about 2.4 KiB in all.
 */
#ifndef BOOT_PROTO_STATE_H
#define BOOT_PROTO_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "boot_core.h"
#include "fota/fota_proto.h"

/* One streaming-write chunk: filled by an Extended Special frame, then
 * programmed word by word in the background. */
struct boot_proto_chunk {
    uint32_t addr; /* flash address of data[0] */
    uint16_t len;  /* bytes (multiple of 4), programmed as one run */
    uint8_t data[FOTA_PROTO_STREAM_MAX];
};

struct boot_proto {
    boot_ctx_t *ctx;
    uint8_t link;      /* enum boot_link */
    uint8_t st;        /* receive state (boot_proto.c: enum bp_state) */
    uint8_t cmd;       /* command of the frame in progress */
    uint8_t phase;     /* phase of that command (enum bp_phase) */
    uint8_t cont;      /* what follows the ACK being delivered */
    uint8_t request;   /* enum boot_request, taken by the port */
    uint8_t pend;      /* work the current frame waits for (enum bp_pend) */
    uint32_t last_ms;  /* last host byte, or the moment an answer got ready */
    uint32_t reply_ms; /* deadline of the reply being offered */
    uint8_t hold;      /* SPI: byte repeated once the reply is out */
    uint8_t in_work;   /* the reply being built concludes queued work */

    /* Fields gathered from earlier phases of the current command. */
    uint32_t addr;
    uint32_t len; /* Get Checksum length */
    uint16_t opcode;
    uint16_t erase_count;

    /* Receiving one phase: rx_total bytes (0 until the header told us),
     * XOR of all of them must come out 0 (complement for single bytes). */
    uint32_t rx_cnt;
    uint32_t rx_total;
    uint8_t rx_hdr_len;
    uint8_t rx_xor;
    uint8_t rx_skip; /* leading bytes kept in rx_hdr only */
    uint8_t rx_hdr[4];
    uint8_t *rx_dst;
    uint16_t rx_cap;
    uint8_t win_phase; /* phase and count when a bulk window was given */
    uint32_t win_cnt;

    /* Transmit queue: bytes the host clocks out (SPI) or the UART sends. */
    const uint8_t *tx;
    uint16_t tx_len;
    uint16_t tx_pos;
    uint8_t small[4];     /* ACK/NACK replies */
    uint16_t ans_len;     /* answer prepared in buf, sent after an SPI ACK */
    uint8_t ans_trailing; /* the answer ends with an ACK */
    uint8_t ans_then;     /* continuation after that trailing ACK */

    /* The frame and answer buffer: Write Memory data, erase lists, special
     * buffer 1, and answers (dummy/ACK + up to 256 bytes + dummy + ACK). */
    uint8_t buf[FOTA_PROTO_MAX_RW + 4];

    /* Streaming chunks: a FIFO of q_count queued chunks from q_head, plus
     * at most one being filled (fill >= 0). */
    struct boot_proto_chunk chunk[2];
    uint8_t q_head;
    uint8_t q_count;
    int8_t fill;
    int32_t stream_err; /* sticky: first failure since the last erase */

    /* The one flash job of a command (Write Memory words or erase sectors),
     * run after the queued chunks. */
    uint8_t job;        /* enum bp_job */
    uint8_t job_orphan; /* its frame was abandoned: finish silently */
    uint16_t job_off;
    uint16_t job_len;
    uint16_t job_mask; /* sectors still to erase */
    uint32_t job_addr;
    int job_rc;

    /* Write Memory tail: the last 1-3 bytes of a write that end inside a
     * flash word, kept unprogrammed so that a write at the next address
     * completes the word; padded with 0xFF and programmed before anything
     * else reads or changes flash (carry_flush). */
    uint32_t carry_addr; /* word address */
    uint8_t carry_len;   /* bytes valid from carry_addr, 0 when empty */
    uint8_t carry_flush; /* program it (padded) before the next work */
    uint8_t wr_merge;    /* the Write Memory in progress continues it */
    uint8_t job_merged;  /* tail bytes the write job took in front */
    uint8_t carry[4];

    /* The flash operation in flight (one at a time). */
    uint8_t fl_kind; /* enum bp_fl */
};

#endif /* BOOT_PROTO_STATE_H */
