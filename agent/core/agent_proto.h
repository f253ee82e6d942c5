/*
 * agent_proto.h - the update agent's client for the bootloader's SPI
 * protocol (ST AN4286 framing plus the FOTA operations of fota_proto.h;
 * docs/protocol.md has the byte-level description).
 *
 * Portable: it reaches the target only through agent_port.h (SPI, GPIO,
 * clock, optional log), allocates nothing and keeps its buffers in the
 * caller-owned agent_proto_t. Single task; not reentrant per context.
 *
 * Session model: CS is asserted for the whole session (the target samples
 * it at reset as the "stay in the bootloader" strap, and the engine drops
 * a half-received frame when CS goes high). A command that fails on the
 * wire (NACK, no ACK before its deadline, malformed answer) marks the link
 * unsynchronised; the next attempt first re-synchronises (CS pulse, which
 * makes the engine drop any half frame, then 0x5A and the ACK procedure)
 * and then resends, when resending cannot do harm. Retries are bounded by
 * cfg.retries.
 *
 * Every wait has a deadline computed from the clock port: plain ACKs use
 * cfg.ack_timeout_ms; operations that end with flash work get deadlines
 * sized from the F407 datasheet maxima (100 us per word, 2 s per 128 KiB
 * sector at x32) plus a margin.
 */
#ifndef AGENT_PROTO_H
#define AGENT_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent_port.h"
#include "fota/fota_err.h"
#include "fota/fota_app_proto.h"
#include "fota/fota_proto.h"

/* Datasheet maxima (DS8626, x32) the deadlines are built from. */
#define AGENT_WORD_PROG_MAX_US 100u
#define AGENT_ERASE_16K_MAX_MS 500u
#define AGENT_ERASE_64K_MAX_MS 1100u
#define AGENT_ERASE_128K_MAX_MS 2000u

/* Largest data part of one streaming write (Extended Special buffer 2). */
#define AGENT_STREAM_CHUNK FOTA_PROTO_SPECIAL_MAX2

typedef struct agent_proto_cfg {
    uint32_t retries; /* attempts per command, >= 1 */
    uint32_t
        sync_attempts; /* reset + sync attempts when entering update mode */
    uint32_t ack_timeout_ms;  /* deadline for an ACK that needs no flash work */
    uint32_t sync_timeout_ms; /* deadline for the sync ACK: the target may be
                                 finishing an erase it was given before */
    uint32_t margin_ms;       /* added to every flash-work deadline */
    uint32_t poll_spin_ms;    /* poll back to back this long, then sleep 1 ms
                                 between polls (long waits: erase) */
    uint32_t reset_pulse_ms;  /* NRST low time (datasheet: >= 300 ns) */
    uint32_t boot_wait_ms;    /* after a reset, the longest the bootloader
                                 may take to listen: sync frames are sent
                                 every sync_poll_ms until then, then one
                                 more with the full ACK deadline */
    uint32_t sync_poll_ms;    /* interval of the sync frames after a reset
                                 (0: one sync after boot_wait_ms) */
    uint32_t sync_poll_polls; /* dummies each such frame is given for its
                                 answer (0: as sync_poll_ms = 0) */
    uint32_t xfer_timeout_ms; /* passed to spi xfer */
    bool byte_xfers;          /* one protocol byte per SPI transaction (the
                                 polled slave answers each in the gap before
                                 the next); only bulk payloads (Write Memory
                                 data, streaming chunk data), which the slave
                                 receives by DMA, go back to back. false:
                                 every frame part in one transaction (a slave
                                 that keeps up at full SCK, e.g. sim_wire) */
    uint32_t app_timeout_ms;  /* how long a running application may take to
                                 start its answer (it serves SPI1 from its
                                 main loop or an interrupt) */
    uint32_t app_tries;       /* application exchanges before giving up */
} agent_proto_cfg_t;

/* Counters for tests, logs and the benchmark. */
typedef struct agent_proto_stats {
    uint32_t commands;           /* command frames sent */
    uint32_t nacks;              /* NACKs received */
    uint32_t timeouts;           /* ACK deadlines missed */
    uint32_t resyncs;            /* re-synchronisations */
    uint32_t resets;             /* NRST pulses driven */
    uint32_t app_requests;       /* application exchanges sent */
    uint32_t app_answers;        /* ... answered by a running application */
    uint32_t app_update_resets;  /* update mode entered at the application's
                                   own request (a software reset) */
    uint32_t reboots;            /* FOTA_OP_REBOOT served (a software reset) */
    uint32_t app_confirm_resets; /* a trial confirmed at the host's request
                                    by the application (its reset into the
                                    confirmed boot) */
} agent_proto_stats_t;

typedef struct agent_proto {
    agent_spi_t *spi;
    agent_gpio_t *gpio;
    agent_clock_t *clock;
    agent_log_t *log; /* may be NULL */
    agent_proto_cfg_t cfg;
    agent_proto_stats_t stats;
    bool synced;         /* the link is known to be at a frame boundary */
    bool commit_refused; /* the last COMMIT was answered with a refusal: a
                            verdict on the image itself (final for that
                            release; agent_proto_flash_image returns it
                            without a second pass) */
    /* Frame buffer: the largest outgoing part is a streaming-write chunk
     * (2 size bytes + 1024 data + XOR). */
    uint8_t buf[2 + AGENT_STREAM_CHUNK + 1];
    /* Image chunk read through the caller's callback. */
    uint8_t chunk[AGENT_STREAM_CHUNK];
} agent_proto_t;

/* Every reset of the target this client caused: NRST pulses, update mode
 * requests the application carried out, reboots. */
uint32_t agent_proto_target_resets(const agent_proto_t *t);

/* Fill cfg with the defaults (4 retries, 100 ms ACK, 3 s sync, ...). */
void agent_proto_default_cfg(agent_proto_cfg_t *cfg);

/* Bind a context to its ports. cfg NULL takes the defaults. log may be
 * NULL. Does not touch the bus. */
void agent_proto_init(agent_proto_t *t, agent_spi_t *spi, agent_gpio_t *gpio,
                      agent_clock_t *clock, agent_log_t *log,
                      const agent_proto_cfg_t *cfg);

/* Reset the target into update mode and synchronise: CS asserted, NRST
 * pulsed low (CS held low across the reset is the strap), then a sync
 * frame every cfg.sync_poll_ms until one is answered, up to
 * cfg.boot_wait_ms after the reset, and a last one with the full ACK
 * deadline. Repeats the whole sequence up to cfg.sync_attempts times.
 * Returns 0, FOTA_ERR_TIMEOUT (target never answered), or a port error. */
int agent_proto_enter_update(agent_proto_t *t);

/* Reset the target into a normal boot: CS released (no strap), NRST
 * pulsed low; the bootloader runs its boot decision. Counts in
 * stats.resets. Returns 0 or a port error. */
int agent_proto_reset(agent_proto_t *t);

/* Synchronise with a target already in update mode (CS pulse, 0x5A, ACK
 * procedure; a NACK also proves the engine is listening). Returns 0 or
 * FOTA_ERR_TIMEOUT / a port error. */
int agent_proto_sync(agent_proto_t *t);

/* Release CS (end of session). The target keeps running what it runs. */
int agent_proto_release(agent_proto_t *t);

/* ---- A running application (docs/protocol.md, "Talking to a running
 * application"): nothing here resets the target. ---- */

/* Ask the running application for its status. CS is asserted for the
 * exchange only (a reset with CS low would be the update-mode strap).
 * Returns 0 with *info filled, FOTA_ERR_NOENT when no application answers
 * within cfg.app_tries exchanges (the bootloader runs, or the application
 * does not link the library), or a port error. */
int agent_proto_app_status(agent_proto_t *t, fota_app_info_t *info);

/* Ask the running application to confirm its image (FOTA_APP_CMD_CONFIRM,
 * `fota device confirm`). Returns 0 when it accepted: it runs a trial and
 * confirms once the answer is out, then resets into the confirmed boot
 * (counted in target resets; the caller reads the status again to see the
 * outcome); 1 when it runs confirmed already (nothing done);
 * FOTA_ERR_NOENT when no application answers (or its library predates the
 * command), FOTA_ERR_PROTO for an unknown answer, or a port error. */
int agent_proto_app_confirm(agent_proto_t *t);

/* Whether the bootloader listens in update mode now (CS asserted, 0x5A,
 * ACK or NACK within cfg.app_timeout_ms). Returns 0 synchronised with CS
 * still asserted, FOTA_ERR_NOENT with CS released, or a port error.
 * Resets nothing. */
int agent_proto_probe_boot(agent_proto_t *t);

/* Put the target in update mode with as little disturbance as possible:
 * a bootloader already in update mode is used as it is; a running
 * application is asked (it resets into update mode itself, one software
 * reset); only when neither answers is NRST pulsed with CS held
 * (agent_proto_enter_update). Ends synchronised with CS asserted. */
int agent_proto_enter_update_gently(agent_proto_t *t);

/* ---- AN4286 commands. All return 0 or a negative FOTA_ERR_*:
 * FOTA_ERR_NACK (refused, after retries), FOTA_ERR_TIMEOUT,
 * FOTA_ERR_PROTO (malformed answer), FOTA_ERR_INVAL (bad argument). ---- */

/* Get (0x00): protocol version and the supported command codes (up to
 * cap; *n gets the number the target listed, which may exceed cap). */
int agent_proto_get(agent_proto_t *t, uint8_t *version, uint8_t *cmds,
                    size_t cap, size_t *n);

/* Get Version (0x01): bootloader protocol version (major << 4 | minor). */
int agent_proto_get_version(agent_proto_t *t, uint8_t *version);

/* Get ID (0x02): product id (0x413 for the F405/407). */
int agent_proto_get_id(agent_proto_t *t, uint16_t *pid);

/* Read Memory (0x11): len (1..256) bytes from addr. */
int agent_proto_read_memory(agent_proto_t *t, uint32_t addr, void *buf,
                            size_t len);

/* Go (0x21): the target re-runs its boot decision (addr must be the flash
 * base or a slot body). Not retried once the address went out: a second Go
 * would hit whatever booted. */
int agent_proto_go(agent_proto_t *t, uint32_t addr);

/* Write Memory (0x31): len (1..256) bytes at addr (word-aligned); the
 * length is padded to a multiple of 4 with 0xFF. Returns after the target
 * programmed and acknowledged the data. */
int agent_proto_write_memory(agent_proto_t *t, uint32_t addr, const void *data,
                             size_t len);

/* Extended Erase (0x44) of n (1..12) sector numbers; returns after all are
 * erased (deadline: the sum of their datasheet maxima plus margin). */
int agent_proto_extended_erase(agent_proto_t *t, const uint16_t *sectors,
                               size_t n);

/* Get Checksum (0xA1): fota_crc32_st over len (multiple of 4) bytes at
 * addr, after the target drained its queued programming. */
int agent_proto_get_checksum(agent_proto_t *t, uint32_t addr, uint32_t len,
                             uint32_t *crc);

/* Special (0x50): opcode with up to 128 data bytes. The answer's data goes
 * to out (cap out_cap, *out_len the size the target sent; FOTA_ERR_NOMEM if
 * it does not fit) and its status to *status (first status byte, 0 if the
 * target sent none). */
int agent_proto_special(agent_proto_t *t, uint16_t opcode, const void *data,
                        size_t len, void *out, size_t out_cap, size_t *out_len,
                        uint8_t *status);

/* Extended Special (0x51): opcode, buffer 1 (<= 128) and buffer 2
 * (<= 1024); *status gets the first status byte (0 if none). */
int agent_proto_ext_special(agent_proto_t *t, uint16_t opcode, const void *d1,
                            size_t l1, const void *d2, size_t l2,
                            uint8_t *status);

/* ---- FOTA operations ---- */

/* FOTA_OP_STATUS: read and decode the status block. */
int agent_proto_status(agent_proto_t *t, fota_status_t *st);

/* FOTA_OP_COMMIT of slot: the target verifies the slot in full and makes
 * it pending. Never sent twice: if the answer is lost, the status decides
 * (the slot is pending: success). Returns 0 or the target's verdict as a
 * FOTA_ERR_* (e.g. FOTA_ERR_CORRUPT, FOTA_ERR_REJECTED, FOTA_ERR_PERM). */
int agent_proto_commit(agent_proto_t *t, int slot);

/* FOTA_OP_CONFIRM: the pending slot (on trial, or committed and not yet
 * booted) becomes the confirmed active one. FOTA_OP_ROLLBACK: the pending
 * slot is marked rejected and the confirmed one stays active. Neither is
 * sent twice: if the answer is lost, the status decides (no slot pending
 * any more: success). Return 0, FOTA_ERR_NOENT (nothing pending), the
 * target's other verdict as a FOTA_ERR_*, or a link error. */
int agent_proto_confirm(agent_proto_t *t);
int agent_proto_rollback(agent_proto_t *t);

/* FOTA_OP_REBOOT, then CS released so that the target boots normally. */
int agent_proto_reboot(agent_proto_t *t);

/* FOTA_OP_STREAM_WRITE of len (4..1024, multiple of 4) bytes at addr.
 * Returns when the target accepted the chunk (it programs it in the
 * background); a non-zero sticky stream error reported by the target is
 * returned as its FOTA_ERR_*. */
int agent_proto_stream_write(agent_proto_t *t, uint32_t addr, const void *data,
                             size_t len);

/* ---- High level: write an image into the inactive slot ---- */

/* Phases reported to the progress callback. */
enum agent_phase {
    AGENT_PHASE_CONNECT = 0,  /* resetting into update mode, status */
    AGENT_PHASE_ERASE = 1,    /* erase of the needed sectors starts */
    AGENT_PHASE_WRITE = 2,    /* done/total bytes written so far */
    AGENT_PHASE_VERIFY = 3,   /* Get Checksum starts */
    AGENT_PHASE_VERIFIED = 4, /* checksum matched */
    AGENT_PHASE_COMMIT = 5,   /* commit starts */
    AGENT_PHASE_DONE = 6,     /* committed (and rebooted if asked) */
};

typedef struct agent_flash_req {
    /* Image = 512-byte header + body, len bytes, read at offset off. The
     * callback returns 0 (or the number of bytes, == len) or a negative
     * FOTA_ERR_*, passed up unchanged. */
    int (*read)(void *ctx, uint32_t off, void *buf, size_t len);
    void *read_ctx;
    uint32_t len;
    bool use_write_memory; /* standard 256-byte Write Memory, not streaming */
    bool reboot;           /* reboot the target after the commit */
    bool skip_enter;       /* the caller already entered update mode */
    /* Optional progress: phase (enum agent_phase), bytes done of total. */
    void (*progress)(void *ctx, int phase, uint32_t done, uint32_t total);
    void *progress_ctx;
} agent_flash_req_t;

/* Write an image into the inactive slot and commit it: enter update mode,
 * read the status (which slot is inactive), check that the image header
 * is valid and linked for that slot, erase only the sectors the image
 * covers, write it (streaming or Write Memory), compare Get Checksum with
 * the locally computed fota_crc32_st, commit, optionally reboot. Starting
 * over after any interruption is always safe: the running slot is never
 * addressed. Returns 0, FOTA_ERR_RANGE (image not linked for the inactive
 * slot or too big), FOTA_ERR_CORRUPT (bad header, or the checksum did not
 * match what was sent), a target verdict from commit, or a link error. */
int agent_proto_flash_image(agent_proto_t *t, const agent_flash_req_t *req);

#endif /* AGENT_PROTO_H */
