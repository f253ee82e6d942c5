/*
 * boot_proto.c - the bootloader's command engine (boot_proto.h): AN4286
 * framing on SPI, AN3155 framing on UART, one set of commands, the policy of
 * boot_core.h. docs/protocol.md describes every frame byte by byte; this
 * file is organised the same way:
 *
 *   bytes in  -> bp_rx_*       frame start, command + complement, phases
 *   phase done -> bp_phase_done  checks (XOR, lengths, policy), then either
 *                                an ACK/NACK reply, or work for the poll loop
 *   poll       -> bp_flash_step  streaming chunks and the command's flash job,
 *                                one non-blocking flash operation at a time
 *                 bp_run_pending the command's result once its work is done
 *   bytes out  -> the tx queue   SPI preloads, UART output
 *
 * The two links differ only in the reply: on SPI every ACK/NACK is preceded
 * by a dummy 0x00 and followed by the host's ACK-of-ACK (0x79), and every
 * answer starts with one dummy byte; on UART bytes go out as they are.
 */
#include "boot_proto.h"

#include "boot_port.h"
#include "fota/fota_assert.h"
#include "fota/fota_config.h"
#include "fota/fota_crc32.h"
#include "fota/fota_err.h"
#include "fota/fota_image.h"
#include "fota/fota_layout.h"
#include "fota/fota_le.h"
#include "fota/fota_nomalloc.h"
#include "fota/fota_proto.h"
#include "fota/fota_sha256.h"

#if FOTA_ENABLE_PROTECTION_CMDS
#error                                                                         \
    "protection commands need an option-byte port API that does not exist yet"
#endif

enum bp_state {
    BP_IDLE = 0,    /* waiting for a sync or a frame start */
    BP_SOF,         /* SPI: 0x5A seen, next is a command or the sync poll */
    BP_SOF0,        /* SPI: 0x5A 0x00 seen: Get frame or sync poll */
    BP_SYNC_ACKACK, /* SPI: sync ACK offered, waiting for 0x79 */
    BP_CMD_COMPL,   /* command byte seen, complement next */
    BP_RX,          /* receiving a phase of the command */
    BP_WAIT_WORK,   /* the poll loop is doing the command's work */
    BP_ACKACK,      /* SPI: ACK/NACK queued, waiting for the ACK-of-ACK */
    BP_DRAIN,       /* SPI: answer without trailing ACK being clocked out */
};

enum bp_phase {
    PH_NONE = 0,
    PH_ADDR,       /* addr(4) + XOR */
    PH_COUNT,      /* N, ~N (Read Memory) */
    PH_WDATA,      /* N, N+1 bytes, XOR (Write Memory) */
    PH_LEN,        /* length(4) + XOR (Get Checksum) */
    PH_ERASE_N,    /* SPI: N(2) + XOR */
    PH_ERASE_LIST, /* SPI: (N+1) codes(2) + XOR */
    PH_ERASE_UART, /* UART: N(2), codes, one XOR */
    PH_OPCODE,     /* opcode(2) + XOR */
    PH_BUF1,       /* size(2) + data + XOR */
    PH_BUF2,       /* size(2) + data + XOR (into a streaming chunk) */
};

/* What follows once an ACK has been delivered (UART: sent; SPI: the
 * ACK-of-ACK came back). */
enum bp_cont {
    CONT_IDLE = 0,
    CONT_NEXT,   /* receive the command's next phase */
    CONT_ANSWER, /* send the answer prepared in buf */
    CONT_REBOOT, /* ask the port to re-run the boot decision */
    CONT_WORK,   /* wait for the work in p->pend, then reply */
};

enum bp_pend {
    PEND_NONE = 0,
    PEND_CHUNK,   /* 0x51: ACK once a chunk buffer is free */
    PEND_READ,    /* Read Memory data */
    PEND_WRITE,   /* Write Memory programming */
    PEND_ERASE,   /* Extended Erase */
    PEND_CRC,     /* Get Checksum */
    PEND_SPECIAL, /* FOTA_OP_STATUS / COMMIT / REBOOT */
};

enum bp_job {
    JOB_NONE = 0,
    JOB_WRITE, /* program buf[1..] to job_addr, verify each word */
    JOB_ERASE, /* erase the sectors in job_mask */
    JOB_DONE,  /* finished; job_rc holds the result */
};

enum bp_fl {
    FL_NONE = 0,
    FL_CHUNK,    /* the rest of chunk[q_head] */
    FL_JOB_WORD, /* the rest of the Write Memory job */
    FL_JOB_ERASE,
    FL_CARRY, /* the padded Write Memory tail */
};

/* Upper bound on flash operations completed and started per poll call:
 * keeps one poll short on a port whose operations finish at once. */
#define BP_POLL_STEPS 8

static const uint8_t s_cmds[] = {
    FOTA_CMD_GET,
    FOTA_CMD_GET_VERSION,
    FOTA_CMD_GET_ID,
    FOTA_CMD_READ_MEMORY,
    FOTA_CMD_GO,
    FOTA_CMD_WRITE_MEMORY,
    FOTA_CMD_EXTENDED_ERASE,
    FOTA_CMD_GET_CHECKSUM,
    FOTA_CMD_SPECIAL,
    FOTA_CMD_EXTENDED_SPECIAL,
};

static bool bp_spi(const boot_proto_t *p)
{
    return p->link == BOOT_LINK_SPI;
}

/* ---- transmit queue ---------------------------------------------------- */

static void bp_tx_set(boot_proto_t *p, const uint8_t *b, uint16_t len)
{
    p->tx = b;
    p->tx_len = len;
    p->tx_pos = 0;
}

static bool bp_tx_empty(const boot_proto_t *p)
{
    return p->tx_pos >= p->tx_len;
}

/* ---- the slot's hash as it lands ---------------------------------------- */

/*
 * COMMIT verifies the whole image; the SHA-256 pass over the slot it needs
 * (about 60 ms for 256 KiB at 168 MHz) is made here instead, while the flash
 * programs: every range programmed and read back (a streamed chunk, a Write
 * Memory job, a padded tail) that continues the inactive slot from its
 * start, after an erase of its first sector, feeds the hash of header bytes
 * [0, 64) and the body, and COMMIT finds the digest made. A range out of
 * order or an erase of hashed bytes (by either engine: one flash) gives up
 * on it, and COMMIT hashes the slot itself.
 */
enum bp_hash_state { HS_OFF = 0, HS_RUN, HS_DONE };

/* A chunk's bytes are fed a block at a time from the poll loop: a block
 * is ~15 us at 168 MHz, inside what the receive path may lag. */
#define BP_HASH_SLICE 64u

static struct bp_hash {
    uint8_t st;         /* enum bp_hash_state */
    int8_t chunk;       /* chunk buffer still being fed, -1 none */
    uint32_t base;      /* the slot's address */
    uint32_t next;      /* slot offset accounted up to */
    uint32_t end;       /* header + body, from the header's first bytes */
    const uint8_t *src; /* bytes of [next, next + left) still to feed */
    uint32_t left;
    fota_sha256_t sha;
    uint8_t digest[FOTA_SHA256_SIZE];
} s_hash = {.chunk = -1};

/* Start over: st (HS_OFF, or HS_RUN for a slot at base just erased from
 * its first sector). */
static void bp_hash_reset(uint8_t st, uint32_t base)
{
    memset(&s_hash, 0, sizeof s_hash);
    s_hash.st = st;
    s_hash.chunk = -1;
    s_hash.base = base;
}

/* Account n bytes at slot offset s_hash.next (d: their data). */
static void bp_hash_feed(const uint8_t *d, uint32_t n)
{
    struct bp_hash *h = &s_hash;
    uint32_t off = h->next;

    if (off == 0) {
        uint32_t body = fota_get_le32(d + FOTA_IMAGE_OFF_BODY_SIZE);

        if (n < FOTA_IMAGE_HASHED_HDR_LEN || body == 0 ||
            body > (uint32_t)FOTA_SLOT_BODY_MAX ||
            body % FOTA_FLASH_WRITE_ALIGN != 0) {
            h->st = HS_OFF;
            return;
        }
        h->end = FOTA_IMAGE_HDR_SIZE + body;
        fota_sha256_init(&h->sha);
        fota_sha256_update(&h->sha, d, FOTA_IMAGE_HASHED_HDR_LEN);
    }
    if (off + n > FOTA_IMAGE_HDR_SIZE) {
        uint32_t from = off > FOTA_IMAGE_HDR_SIZE ? off : FOTA_IMAGE_HDR_SIZE;
        uint32_t to = off + n < h->end ? off + n : h->end;

        if (to > from)
            fota_sha256_update(&h->sha, d + (from - off), to - from);
    }
    h->next = off + n;
    if (h->next >= h->end) {
        fota_sha256_final(&h->sha, h->digest);
        h->st = HS_DONE;
    }
}

/* Feed what is pending: all of it, or one slice. */
static void bp_hash_pump(bool all)
{
    struct bp_hash *h = &s_hash;

    if (h->left == 0)
        return;
    while (h->left != 0) {
        uint32_t n = all || h->left < BP_HASH_SLICE ? h->left : BP_HASH_SLICE;

        if (h->st == HS_RUN)
            bp_hash_feed(h->src, n);
        h->src += n;
        h->left -= n;
        if (!all)
            break;
    }
    if (h->left == 0)
        h->chunk = -1;
}

/* len bytes at addr were programmed and read back (data: what they hold);
 * chunk: the chunk buffer they are in (fed later, slice by slice), or -1
 * (fed now). */
static void bp_hash_landed(uint32_t addr, const uint8_t *data, uint32_t len,
                           int chunk)
{
    struct bp_hash *h = &s_hash;

    bp_hash_pump(true);
    if (h->st == HS_OFF)
        return;
    if (h->st != HS_RUN || addr != h->base + h->next) {
        /* Bytes the hash covers may change (a word programmed again
         * clears bits): unless the range lies past the image. */
        if (h->end == 0 || addr < h->base + h->end)
            h->st = HS_OFF;
        return;
    }
    h->src = data;
    h->left = len;
    h->chunk = (int8_t)chunk;
    if (chunk < 0)
        bp_hash_pump(true);
}

/* Sector s is about to be erased. */
static void bp_hash_erasing(const boot_proto_t *p, unsigned s)
{
    struct bp_hash *h = &s_hash;
    uint32_t base = (uint32_t)FOTA_SLOT_ADDR(boot_inactive_slot(p->ctx));
    uint32_t lo = (uint32_t)FOTA_SECTOR_ADDR(s);

    bp_hash_pump(true);
    if (lo == base)
        bp_hash_reset(HS_RUN, base);
    else if (lo < h->base + h->next &&
             lo + (uint32_t)FOTA_SECTOR_SIZE(s) > h->base)
        h->st = HS_OFF;
}

/* The digest of slot, if every byte of its image landed in order. */
static const uint8_t *bp_hash_digest(int slot)
{
    bp_hash_pump(true);
    return s_hash.st == HS_DONE && s_hash.base == (uint32_t)FOTA_SLOT_ADDR(slot)
               ? s_hash.digest
               : NULL;
}

/* ---- chunks ------------------------------------------------------------ */

static void bp_release_fill(boot_proto_t *p)
{
    p->fill = -1;
}

/* Reserve a chunk for the 0x51 frame in progress; false if both are
 * queued. */
static bool bp_reserve_chunk(boot_proto_t *p)
{
    int8_t c = (int8_t)((p->q_head + p->q_count) % 2);

    if (p->q_count >= 2 || c == s_hash.chunk)
        return false;
    p->fill = c;
    return true;
}

static void bp_chunk_pop(boot_proto_t *p)
{
    p->q_head ^= 1;
    p->q_count--;
}

static void bp_stream_fail(boot_proto_t *p, int rc)
{
    if (p->stream_err == 0)
        p->stream_err = rc;
}

/* ---- frame state ------------------------------------------------------- */

static void bp_go_idle(boot_proto_t *p)
{
    p->st = BP_IDLE;
    p->phase = PH_NONE;
    p->cont = CONT_IDLE;
}

/* Abandon the frame in progress. A running erase finishes (its sectors are
 * in a known state only once done); the rest of a Write Memory is dropped
 * (its data buffer is about to be reused). Streaming chunks already queued
 * still complete; the one being filled is released. */
static void bp_abort(boot_proto_t *p)
{
    if (p->fill >= 0)
        bp_release_fill(p);
    if (p->job == JOB_WRITE) {
        p->job_len = p->job_off; /* nothing more to start */
        /* The tail of an unfinished write is dropped; the previous
         * write's tail it took in front goes back to being held (and is
         * programmed padded), unless its word is programmed already or
         * in flight. */
        p->carry_len = 0;
        if (p->job_merged != 0 && p->job_off == 0 &&
            p->fl_kind != FL_JOB_WORD) {
            memcpy(p->carry, p->buf + 1, p->job_merged);
            p->carry_addr = p->job_addr;
            p->carry_len = p->job_merged;
            p->carry_flush = 1;
        }
    }
    p->wr_merge = 0;
    if (p->job == JOB_WRITE || p->job == JOB_ERASE)
        p->job_orphan = 1;
    else if (p->job == JOB_DONE)
        p->job = JOB_NONE;
    p->pend = PEND_NONE;
    bp_tx_set(p, NULL, 0);
    bp_go_idle(p);
}

static void bp_run_cont(boot_proto_t *p, uint8_t cont);

/* Send ACK or NACK, then continue with cont (a NACK always ends the
 * frame). */
static void bp_reply(boot_proto_t *p, uint8_t byte, uint8_t cont)
{
    if (byte != FOTA_PROTO_ACK) {
        cont = CONT_IDLE;
        if (p->fill >= 0)
            bp_release_fill(p);
    }
    p->last_ms = boot_clock_ms();
    p->reply_ms =
        p->in_work ? FOTA_PROTO_RESULT_TIMEOUT_MS : FOTA_PROTO_REPLY_TIMEOUT_MS;
    if (bp_spi(p)) {
        p->small[0] = FOTA_PROTO_DUMMY;
        p->small[1] = byte;
        p->hold = byte;
        bp_tx_set(p, p->small, 2);
        p->st = BP_ACKACK;
        p->cont = cont;
        return;
    }
    p->small[0] = byte;
    bp_tx_set(p, p->small, 1);
    bp_run_cont(p, cont);
}

static void bp_ack(boot_proto_t *p, uint8_t cont)
{
    bp_reply(p, FOTA_PROTO_ACK, cont);
}

static void bp_nack(boot_proto_t *p)
{
    bp_reply(p, FOTA_PROTO_NACK, CONT_IDLE);
}

/* An answer goes into buf from offset 1 (buf[0] is the SPI dummy or the
 * UART ACK). */
#define BP_ANS (p->buf + 1)

/* ACK the phase, then send the len-byte answer at BP_ANS, followed by an
 * ACK if trailing, then continue with then. */
static void bp_reply_answer(boot_proto_t *p, uint16_t len, bool trailing,
                            uint8_t then)
{
    uint16_t n = (uint16_t)(1 + len);

    if (bp_spi(p)) {
        p->buf[0] = FOTA_PROTO_DUMMY;
        if (trailing) {
            p->buf[n++] = FOTA_PROTO_DUMMY;
            p->buf[n++] = FOTA_PROTO_ACK;
        } else {
            /* The idle filler closes an answer without an ACK, so that a
             * port sending the answer by DMA leaves the filler, not the
             * last data byte, in the transmit buffer. */
            p->buf[n++] = FOTA_PROTO_BUSY;
        }
        p->ans_len = n;
        p->ans_trailing = trailing;
        p->ans_then = then;
        bp_ack(p, CONT_ANSWER);
        return;
    }
    p->last_ms = boot_clock_ms();
    p->buf[0] = FOTA_PROTO_ACK;
    if (trailing)
        p->buf[n++] = FOTA_PROTO_ACK;
    bp_tx_set(p, p->buf, n);
    bp_run_cont(p, trailing ? then : CONT_IDLE);
}

/* ---- receiving phases -------------------------------------------------- */

static void bp_rx_begin(boot_proto_t *p, uint8_t phase, uint8_t hdr_len,
                        uint32_t total)
{
    p->st = BP_RX;
    p->phase = phase;
    p->rx_cnt = 0;
    p->rx_hdr_len = hdr_len;
    p->rx_total = total;
    p->rx_xor = 0;
    p->rx_skip = 0;
    p->rx_dst = p->buf;
    p->rx_cap = sizeof p->buf;
}

/* The next phase of the current command after an ACK. */
static void bp_next_phase(boot_proto_t *p)
{
    switch (p->phase) {
    case PH_NONE:
        switch (p->cmd) {
        case FOTA_CMD_EXTENDED_ERASE:
            if (bp_spi(p))
                bp_rx_begin(p, PH_ERASE_N, 3, 3);
            else
                bp_rx_begin(p, PH_ERASE_UART, 2, 0);
            return;
        case FOTA_CMD_SPECIAL:
        case FOTA_CMD_EXTENDED_SPECIAL:
            bp_rx_begin(p, PH_OPCODE, 3, 3);
            return;
        default:
            bp_rx_begin(p, PH_ADDR, 5, 5);
            return;
        }
    case PH_ADDR:
        if (p->cmd == FOTA_CMD_READ_MEMORY)
            bp_rx_begin(p, PH_COUNT, 2, 2);
        else if (p->cmd == FOTA_CMD_WRITE_MEMORY)
            bp_rx_begin(p, PH_WDATA, 1, 0);
        else
            bp_rx_begin(p, PH_LEN, 5, 5);
        return;
    case PH_ERASE_N: {
        uint32_t n = (uint32_t)p->erase_count * 2 + 1;
        bp_rx_begin(p, PH_ERASE_LIST, 4, n);
        return;
    }
    case PH_OPCODE:
        bp_rx_begin(p, PH_BUF1, 2, 0);
        return;
    case PH_BUF1:
        /* Buffer 2 of a streaming write lands directly in the reserved
         * chunk: the size header stays in rx_hdr. */
        bp_rx_begin(p, PH_BUF2, 2, 0);
        p->rx_skip = 2;
        p->rx_dst = p->chunk[p->fill].data;
        p->rx_cap = FOTA_PROTO_STREAM_MAX;
        return;
    default:
        FOTA_UNREACHABLE(); /* phases that end their command */
        return;
    }
}

static void bp_enter_work(boot_proto_t *p, uint8_t pend)
{
    p->pend = pend;
    p->st = BP_WAIT_WORK;
    /* SPI: the host's first poll after the frame reads the dummy; busy
     * bytes follow until the reply is ready. */
    if (bp_spi(p)) {
        p->small[0] = FOTA_PROTO_DUMMY;
        bp_tx_set(p, p->small, 1);
    }
}

static void bp_run_cont(boot_proto_t *p, uint8_t cont)
{
    switch (cont) {
    case CONT_NEXT:
        bp_next_phase(p);
        break;
    case CONT_ANSWER:
        bp_tx_set(p, p->buf, p->ans_len);
        p->last_ms = boot_clock_ms();
        p->hold = FOTA_PROTO_ACK;
        if (p->ans_trailing) {
            p->st = BP_ACKACK;
            p->cont = p->ans_then;
        } else {
            p->st = BP_DRAIN;
        }
        break;
    case CONT_REBOOT:
        p->request = BOOT_REQ_REBOOT;
        bp_go_idle(p);
        break;
    case CONT_WORK:
        bp_enter_work(p, p->pend);
        break;
    case CONT_IDLE:
    default:
        bp_go_idle(p);
        break;
    }
}

/* Go accepts only addresses that re-enter the verified boot path. */
static bool bp_go_ok(uint32_t addr)
{
    return addr == FOTA_FLASH_BASE || addr == FOTA_SLOT_BODY_ADDR(0) ||
           addr == FOTA_SLOT_BODY_ADDR(1);
}

static int bp_policy(const boot_proto_t *p, enum boot_op op, uint32_t addr,
                     uint32_t len)
{
    return boot_policy_check(p->ctx, op, addr, len);
}

/* Erase codes (MSB first) at codes into a sector mask; 0 if any code is
 * refused. */
static uint16_t bp_erase_mask(const boot_proto_t *p, const uint8_t *codes,
                              uint32_t count)
{
    uint16_t mask = 0;

    for (uint32_t i = 0; i < count; i++) {
        uint16_t s = fota_get_be16(codes + 2 * i);

        if (s >= FOTA_FLASH_SECTORS)
            return 0;
        if (bp_policy(p, BOOT_OP_ERASE, (uint32_t)FOTA_SECTOR_ADDR(s),
                      (uint32_t)FOTA_SECTOR_SIZE(s)) != 0)
            return 0;
        mask = (uint16_t)(mask | (1u << s));
    }
    return mask;
}

static void bp_erase_list(boot_proto_t *p, const uint8_t *codes, uint32_t count)
{
    uint16_t mask;

    if (count == 0 || count > FOTA_PROTO_ERASE_MAX_CODES) {
        bp_nack(p);
        return;
    }
    mask = bp_erase_mask(p, codes, count);
    if (mask == 0) {
        bp_nack(p);
        return;
    }
    p->job_mask = mask;
    bp_enter_work(p, PEND_ERASE);
}

/* Special (0x50) buffer 1 complete: the size must suit the opcode. */
static void bp_special_buf1(boot_proto_t *p, uint16_t size)
{
    uint16_t want = p->opcode == FOTA_OP_COMMIT ? 1 : 0;

    if (size != want || (p->opcode == FOTA_OP_COMMIT && p->buf[2] > 1)) {
        bp_nack(p);
        return;
    }
    bp_enter_work(p, PEND_SPECIAL);
}

/* Extended Special buffer 1: the streaming write's target address. */
static void bp_stream_buf1(boot_proto_t *p, uint16_t size)
{
    uint32_t addr;

    if (size != 4) {
        bp_nack(p);
        return;
    }
    addr = fota_get_be32(p->buf + 2);
    if (addr % FOTA_FLASH_WRITE_ALIGN ||
        bp_policy(p, BOOT_OP_WRITE, addr, 4) != 0) {
        bp_nack(p);
        return;
    }
    p->addr = addr;
    bp_ack(p, CONT_NEXT);
}

/* Extended Special buffer 2: the data, already in the reserved chunk. */
static void bp_stream_buf2(boot_proto_t *p, uint16_t size)
{
    struct boot_proto_chunk *c;
    uint8_t *a = BP_ANS;

    if (size < FOTA_PROTO_STREAM_MIN || size > FOTA_PROTO_STREAM_MAX ||
        size % FOTA_FLASH_WRITE_ALIGN ||
        bp_policy(p, BOOT_OP_WRITE, p->addr, size) != 0) {
        bp_nack(p);
        return;
    }
    c = &p->chunk[p->fill];
    c->addr = p->addr;
    c->len = size;
    p->fill = -1;
    p->q_count++;
    /* The status reports the sticky error so far: the chunk just queued
     * is programmed after this answer. */
    fota_put_be16(a, 1);
    a[2] = fota_proto_result(p->stream_err);
    bp_reply_answer(p, 3, true, CONT_IDLE);
}

/* A phase's bytes are all in: check and act. */
static void bp_phase_done(boot_proto_t *p)
{
    const uint8_t *b = p->buf;

    if (p->phase == PH_COUNT) {
        if ((uint8_t)(p->rx_hdr[0] ^ p->rx_hdr[1]) != 0xFF) {
            bp_nack(p);
            return;
        }
    } else if (p->rx_xor != 0) {
        bp_nack(p);
        return;
    }

    switch (p->phase) {
    case PH_ADDR: {
        uint32_t addr = fota_get_be32(b);
        bool ok;

        p->addr = addr;
        switch (p->cmd) {
        case FOTA_CMD_GO:
            if (bp_go_ok(addr))
                bp_ack(p, CONT_REBOOT);
            else
                bp_nack(p);
            return;
        case FOTA_CMD_READ_MEMORY:
            ok = bp_policy(p, BOOT_OP_READ, addr, 1) == 0;
            break;
        case FOTA_CMD_WRITE_MEMORY:
            /* Word aligned, or right after the tail the previous write
             * left (which it then completes). */
            p->wr_merge = p->carry_len != 0 && !p->carry_flush &&
                          addr == p->carry_addr + p->carry_len;
            if (p->carry_len != 0 && !p->wr_merge)
                p->carry_flush = 1;
            ok = (addr % FOTA_FLASH_WRITE_ALIGN == 0 || p->wr_merge) &&
                 bp_policy(p, BOOT_OP_WRITE,
                           addr & ~(uint32_t)(FOTA_FLASH_WRITE_ALIGN - 1),
                           4) == 0;
            break;
        default: /* Get Checksum */
            ok = addr % 4 == 0 && bp_policy(p, BOOT_OP_READ, addr, 4) == 0;
            break;
        }
        if (ok)
            bp_ack(p, CONT_NEXT);
        else
            bp_nack(p);
        return;
    }
    case PH_COUNT:
        if (bp_policy(p, BOOT_OP_READ, p->addr, (uint32_t)b[0] + 1) != 0) {
            bp_nack(p);
            return;
        }
        bp_enter_work(p, PEND_READ);
        return;
    case PH_WDATA: {
        /* Any length 1..256: the words it covers, from the carried tail
         * on, all inside the writable slot. */
        uint32_t start = p->wr_merge ? p->carry_addr : p->addr;
        uint32_t n = (uint32_t)b[0] + 1 + (p->wr_merge ? p->carry_len : 0);
        uint32_t span = (n + FOTA_FLASH_WRITE_ALIGN - 1) &
                        ~(uint32_t)(FOTA_FLASH_WRITE_ALIGN - 1);

        if (bp_policy(p, BOOT_OP_WRITE, start, span) != 0) {
            p->wr_merge = 0;
            bp_nack(p);
            return;
        }
        bp_enter_work(p, PEND_WRITE);
        return;
    }
    case PH_LEN: {
        uint32_t len = fota_get_be32(b);

        if (len == 0 || len % 4 ||
            bp_policy(p, BOOT_OP_READ, p->addr, len) != 0) {
            bp_nack(p);
            return;
        }
        p->len = len;
        p->pend = PEND_CRC;
        bp_ack(p, CONT_WORK);
        return;
    }
    case PH_ERASE_N: {
        uint16_t n = fota_get_be16(b);

        /* Mass, bank and reserved special codes: never (they would take
         * the bootloader and the running slot with them). */
        if (n >= 0xFFF0 || (uint32_t)n + 1 > FOTA_PROTO_ERASE_MAX_CODES) {
            bp_nack(p);
            return;
        }
        p->erase_count = (uint16_t)(n + 1);
        bp_ack(p, CONT_NEXT);
        return;
    }
    case PH_ERASE_LIST:
        bp_erase_list(p, b, p->erase_count);
        return;
    case PH_ERASE_UART: {
        uint16_t n = fota_get_be16(p->rx_hdr);

        if (n >= 0xFFF0) {
            bp_nack(p);
            return;
        }
        bp_erase_list(p, b + 2, (uint32_t)n + 1);
        return;
    }
    case PH_OPCODE: {
        uint16_t op = fota_get_be16(b);
        bool ok = p->cmd == FOTA_CMD_SPECIAL
                      ? (op == FOTA_OP_STATUS || op == FOTA_OP_COMMIT ||
                         op == FOTA_OP_REBOOT || op == FOTA_OP_CONFIRM ||
                         op == FOTA_OP_ROLLBACK)
                      : op == FOTA_OP_STREAM_WRITE;

        p->opcode = op;
        if (ok)
            bp_ack(p, CONT_NEXT);
        else
            bp_nack(p);
        return;
    }
    case PH_BUF1: {
        uint16_t size = fota_get_be16(p->rx_hdr);

        if (size > FOTA_PROTO_SPECIAL_MAX1) {
            bp_nack(p);
            return;
        }
        if (p->cmd == FOTA_CMD_SPECIAL)
            bp_special_buf1(p, size);
        else
            bp_stream_buf1(p, size);
        return;
    }
    case PH_BUF2:
        bp_stream_buf2(p, fota_get_be16(p->rx_hdr));
        return;
    default:
        FOTA_UNREACHABLE(); /* PH_NONE: no phase was received */
        return;
    }
}

/* The total length of a variable phase, once its header is in. */
static uint32_t bp_phase_total(const boot_proto_t *p)
{
    switch (p->phase) {
    case PH_WDATA:
        return 1 + ((uint32_t)p->rx_hdr[0] + 1) + 1;
    case PH_ERASE_UART: {
        uint16_t n = fota_get_be16(p->rx_hdr);
        return n >= 0xFFF0 ? 3 : 2 + ((uint32_t)n + 1) * 2 + 1;
    }
    default: /* PH_BUF1, PH_BUF2: size(2) + data + XOR */
        return 2 + (uint32_t)fota_get_be16(p->rx_hdr) + 1;
    }
}

static void bp_rx_phase_byte(boot_proto_t *p, uint8_t b)
{
    uint32_t i = p->rx_cnt++;

    p->rx_xor ^= b;
    if (i < sizeof p->rx_hdr)
        p->rx_hdr[i] = b;
    /* Bytes beyond the buffer are counted and checked but not kept: an
     * oversize phase is answered with a NACK once it is over. */
    if (i >= p->rx_skip && i - p->rx_skip < p->rx_cap)
        p->rx_dst[i - p->rx_skip] = b;
    if (p->rx_total == 0 && p->rx_cnt == p->rx_hdr_len)
        p->rx_total = bp_phase_total(p);
    if (p->rx_total != 0 && p->rx_cnt == p->rx_total)
        bp_phase_done(p);
}

/* The command frame is complete and its complement checked. */
static void bp_command(boot_proto_t *p)
{
    uint8_t *a = BP_ANS;

    p->phase = PH_NONE;
    switch (p->cmd) {
    case FOTA_CMD_GET:
        a[0] = (uint8_t)sizeof s_cmds; /* bytes that follow, minus one */
        a[1] = FOTA_BOOT_PROTO_VERSION;
        memcpy(a + 2, s_cmds, sizeof s_cmds);
        bp_reply_answer(p, (uint16_t)(2 + sizeof s_cmds), true, CONT_IDLE);
        return;
    case FOTA_CMD_GET_VERSION:
        a[0] = FOTA_BOOT_PROTO_VERSION;
        if (bp_spi(p)) {
            bp_reply_answer(p, 1, true, CONT_IDLE);
            return;
        }
        /* AN3155: two option bytes follow (ROM compatibility: 0). */
        a[1] = 0;
        a[2] = 0;
        bp_reply_answer(p, 3, true, CONT_IDLE);
        return;
    case FOTA_CMD_GET_ID:
        a[0] = 1;
        fota_put_be16(a + 1, FOTA_PROTO_PID);
        bp_reply_answer(p, 3, true, CONT_IDLE);
        return;
    case FOTA_CMD_WRITE_MEMORY:
        bp_ack(p, CONT_NEXT);
        return;
    case FOTA_CMD_READ_MEMORY:
    case FOTA_CMD_GO:
    case FOTA_CMD_EXTENDED_ERASE:
    case FOTA_CMD_GET_CHECKSUM:
    case FOTA_CMD_SPECIAL:
        /* These read or change flash: a carried write tail is programmed
         * first. */
        if (p->carry_len != 0)
            p->carry_flush = 1;
        bp_ack(p, CONT_NEXT);
        return;
    case FOTA_CMD_EXTENDED_SPECIAL:
        if (p->carry_len != 0)
            p->carry_flush = 1;
        /* Flow control: the frame is ACKed only once a chunk is free. */
        if (bp_reserve_chunk(p))
            bp_ack(p, CONT_NEXT);
        else
            bp_enter_work(p, PEND_CHUNK);
        return;
    default:
        /* Unknown commands and the refused protection commands. */
        bp_nack(p);
        return;
    }
}

/* Deadline check before a byte is handled and from the poll loop, at
 * time now. */
static void bp_check_deadline_at(boot_proto_t *p, uint32_t now)
{
    uint32_t limit;

    switch (p->st) {
    case BP_IDLE:
    case BP_WAIT_WORK:
        return; /* nothing expected from the host, or the slave is busy */
    case BP_ACKACK:
    case BP_DRAIN:
        limit = p->reply_ms;
        break;
    default:
        limit = FOTA_PROTO_BYTE_TIMEOUT_MS;
        break;
    }
    if ((uint32_t)(now - p->last_ms) > limit)
        bp_abort(p);
}

static void bp_check_deadline(boot_proto_t *p)
{
    bp_check_deadline_at(p, boot_clock_ms());
}

/* One byte from the host, link-independent part. */
/* SPI: states in which a 0x5A can only be a new start of frame (the host
 * gave up on the reply, missed it, or restarts): the frame in progress is
 * abandoned and the new one begins. Inside a phase's bytes 0x5A is data. */
static bool bp_resync_state(uint8_t st)
{
    return st == BP_SOF || st == BP_SOF0 || st == BP_SYNC_ACKACK ||
           st == BP_CMD_COMPL || st == BP_WAIT_WORK || st == BP_ACKACK ||
           st == BP_DRAIN;
}

/* States offering a reply: the host's polls do not move its deadline,
 * which counts from the moment the reply became ready. */
static bool bp_replying(uint8_t st)
{
    return st == BP_ACKACK || st == BP_DRAIN || st == BP_WAIT_WORK;
}

/* The ACK-of-ACK counts once the reply's ACK/NACK has been clocked out
 * (earlier bytes are the host's polls), or, after an answer that ends
 * with an ACK, once its data is out: a host may send it blind instead of
 * reading the trailing dummy and ACK. */
static bool bp_ackack_due(const boot_proto_t *p)
{
    if (bp_tx_empty(p))
        return true;
    return p->tx == p->buf && p->ans_trailing && p->tx_len == p->ans_len &&
           p->tx_pos + 2u >= p->tx_len;
}

static void bp_rx(boot_proto_t *p, uint8_t b)
{
    uint32_t now = boot_clock_ms();

    bp_check_deadline_at(p, now);
    if (bp_spi(p) && b == FOTA_PROTO_SPI_SYNC && bp_resync_state(p->st))
        bp_abort(p);
    if (!bp_replying(p->st))
        p->last_ms = now;

    switch (p->st) {
    case BP_IDLE:
        if (bp_spi(p)) {
            if (b == FOTA_PROTO_SPI_SYNC) {
                p->st = BP_SOF;
                p->small[0] = FOTA_PROTO_DUMMY;
                bp_tx_set(p, p->small, 1);
            }
            /* Anything else between frames is ignored, as ST's slave
             * does: it waits for a start of frame. */
            return;
        }
        if (b == FOTA_PROTO_UART_SYNC) {
            p->small[0] = FOTA_PROTO_ACK;
            bp_tx_set(p, p->small, 1);
            return;
        }
        p->cmd = b;
        p->st = BP_CMD_COMPL;
        return;
    case BP_SOF:
        if (b == FOTA_CMD_GET) {
            /* Either the Get command or the first poll of a sync: decide
             * on the next byte. No ACK is offered before that: a port
             * that lags a few bytes behind the host must never leave an
             * ACK in its transmit buffer that the host could take for the
             * ACK of a frame (a sync takes one more poll instead). */
            p->st = BP_SOF0;
            p->small[0] = FOTA_PROTO_DUMMY;
            bp_tx_set(p, p->small, 1);
            return;
        }
        p->cmd = b;
        p->st = BP_CMD_COMPL;
        return;
    case BP_SOF0:
        if (b == 0xFF) {
            p->cmd = FOTA_CMD_GET;
            bp_tx_set(p, NULL, 0);
            bp_command(p);
            return;
        }
        if (b == FOTA_PROTO_ACK) {
            bp_go_idle(p);
            return;
        }
        if (b == FOTA_PROTO_DUMMY) {
            p->st = BP_SYNC_ACKACK;
            p->small[0] = FOTA_PROTO_ACK;
            bp_tx_set(p, p->small, 1);
            return;
        }
        bp_nack(p);
        return;
    case BP_SYNC_ACKACK:
        if (b == FOTA_PROTO_ACK) {
            bp_tx_set(p, NULL, 0);
            bp_go_idle(p);
        } else {
            p->small[0] = FOTA_PROTO_ACK;
            bp_tx_set(p, p->small, 1);
        }
        return;
    case BP_CMD_COMPL:
        if ((uint8_t)(p->cmd ^ b) != 0xFF) {
            bp_nack(p);
            return;
        }
        bp_command(p);
        return;
    case BP_RX:
        bp_rx_phase_byte(p, b);
        return;
    case BP_ACKACK:
        /* The ACK-of-ACK counts only once the reply has been clocked out
         * entirely; bytes before it are the host's polls. */
        if (b == FOTA_PROTO_ACK && bp_ackack_due(p)) {
            uint8_t cont = p->cont;

            p->cont = CONT_IDLE;
            bp_tx_set(p, NULL, 0);
            bp_run_cont(p, cont);
        }
        return;
    case BP_DRAIN:
        if (bp_tx_empty(p))
            bp_go_idle(p);
        return;
    case BP_WAIT_WORK:
    default:
        return;
    }
}

/* ---- flash work (poll loop) --------------------------------------------- */

/* The held Write Memory tail's word, the bytes past it left erased. */
static void bp_carry_word(const boot_proto_t *p, uint8_t w[4])
{
    memset(w, 0xFF, 4);
    memcpy(w, p->carry, p->carry_len);
}

/* Start the next flash operation; false when there is nothing to start.
 * A running job goes first: jobs start only when no chunk is queued, so
 * chunks queued later never overtake it. */
static bool bp_flash_start(boot_proto_t *p)
{
    int rc;

    if (p->carry_flush && p->carry_len != 0 && p->job == JOB_NONE) {
        /* The tail's word with the bytes past it left erased (0xFF). */
        uint8_t w[4];

        bp_carry_word(p, w);
        rc = boot_flash_start_word(p->carry_addr, fota_get_le32(w));
        if (rc < 0) {
            bp_stream_fail(p, rc);
            p->carry_len = 0;
            p->carry_flush = 0;
            return true;
        }
        p->fl_kind = FL_CARRY;
        return true;
    }
    if (p->job == JOB_WRITE) {
        if (p->job_off >= p->job_len) {
            p->job = JOB_DONE;
            return true;
        }
        rc = boot_flash_start_words(p->job_addr + p->job_off,
                                    p->buf + 1 + p->job_off,
                                    (uint32_t)(p->job_len - p->job_off) / 4u);
        if (rc < 0) {
            p->job_rc = rc;
            p->job = JOB_DONE;
            return true;
        }
        p->fl_kind = FL_JOB_WORD;
        return true;
    }
    if (p->job == JOB_ERASE) {
        unsigned s;

        if (p->job_mask == 0) {
            p->job = JOB_DONE;
            return true;
        }
        for (s = 0; !(p->job_mask & (1u << s)); s++)
            ;
        p->job_mask = (uint16_t)(p->job_mask & ~(1u << s));
        bp_hash_erasing(p, s);
        rc = boot_flash_start_erase(s);
        if (rc < 0) {
            p->job_rc = rc;
            p->job = JOB_DONE;
            return true;
        }
        p->fl_kind = FL_JOB_ERASE;
        return true;
    }
    if (p->q_count > 0) {
        struct boot_proto_chunk *c = &p->chunk[p->q_head];

        if (p->stream_err != 0) {
            /* After a failure the rest of the stream is dropped: the image
             * is bad anyway and the host learns it from the status. */
            bp_chunk_pop(p);
            return true;
        }
        rc = boot_flash_start_words(c->addr, c->data, c->len / 4u);
        if (rc < 0) {
            bp_stream_fail(p, rc);
            return true;
        }
        p->fl_kind = FL_CHUNK;
        return true;
    }
    return false;
}

/* The port reads every programmed word back (boot_flash_start_words). */
static void bp_flash_done(boot_proto_t *p, int st)
{
    uint8_t kind = p->fl_kind;

    p->fl_kind = FL_NONE;
    switch (kind) {
    case FL_CHUNK: {
        struct boot_proto_chunk *c = &p->chunk[p->q_head];

        if (st < 0) {
            bp_stream_fail(p, st);
            return;
        }
        bp_hash_landed(c->addr, c->data, c->len, p->q_head);
        bp_chunk_pop(p);
        return;
    }
    case FL_JOB_WORD:
        if (st < 0) {
            p->job_rc = st;
            p->job = JOB_DONE;
            return;
        }
        bp_hash_landed(p->job_addr + p->job_off, p->buf + 1 + p->job_off,
                       (uint32_t)(p->job_len - p->job_off), -1);
        p->job_off = p->job_len;
        return;
    case FL_JOB_ERASE:
        if (st < 0) {
            p->job_rc = st;
            p->job = JOB_DONE;
        }
        return;
    case FL_CARRY:
        /* A failure shows in the status (stream_error) and in the checksum
         * the host takes. */
        if (st < 0) {
            bp_stream_fail(p, st);
        } else {
            uint8_t w[4];

            bp_carry_word(p, w);
            bp_hash_landed(p->carry_addr, w, sizeof w, -1);
        }
        p->carry_len = 0;
        p->carry_flush = 0;
        return;
    default:
        FOTA_UNREACHABLE(); /* FL_NONE: only called with an op */
    }
}

static void bp_flash_step(boot_proto_t *p)
{
    bp_hash_pump(false);
    for (int i = 0; i < BP_POLL_STEPS; i++) {
        if (p->fl_kind != FL_NONE) {
            int st = boot_flash_op_status();

            if (st > 0)
                return;
            bp_flash_done(p, st);
        }
        if (p->job == JOB_DONE && p->job_orphan) {
            p->job = JOB_NONE;
            p->job_orphan = 0;
        }
        if (!bp_flash_start(p))
            return;
    }
}

/* Nothing queued, nothing running, no write tail held back: "drained". */
static bool bp_drained(const boot_proto_t *p)
{
    return p->q_count == 0 && p->fl_kind == FL_NONE && p->job == JOB_NONE &&
           p->carry_len == 0;
}

/* Drained, asking for a held write tail to be programmed meanwhile. */
static bool bp_settled(boot_proto_t *p)
{
    if (p->carry_len != 0)
        p->carry_flush = 1;
    return bp_drained(p);
}

/* Set up the Write Memory job: buf holds N, the data, XOR. A tail the
 * previous write left goes in front (the data move up by its length; the
 * XOR byte, already checked, is overwritten); the whole words are
 * programmed and the last 1-3 bytes become the new tail. */
static void bp_write_job(boot_proto_t *p)
{
    uint32_t c = p->wr_merge ? p->carry_len : 0;
    uint32_t n = (uint32_t)p->buf[0] + 1;
    uint32_t start = p->wr_merge ? p->carry_addr : p->addr;
    uint32_t total = c + n;
    uint32_t full = total & ~(uint32_t)(FOTA_FLASH_WRITE_ALIGN - 1);

    if (c != 0) {
        memmove(p->buf + 1 + c, p->buf + 1, n);
        memcpy(p->buf + 1, p->carry, c);
    }
    p->carry_len = (uint8_t)(total - full);
    p->carry_addr = start + full;
    p->carry_flush = 0;
    memcpy(p->carry, p->buf + 1 + full, p->carry_len);
    p->wr_merge = 0;
    p->job_merged = (uint8_t)c;
    p->job_len = (uint16_t)full;
    p->job_addr = start;
    p->job_off = 0;
    p->job = JOB_WRITE;
}

/* Whether slot holds a header that decodes and fits the slot. Uses the
 * (drained, hence free) first chunk as a 512-byte read buffer. */
static uint8_t bp_slot_hdr_valid(boot_proto_t *p, int slot)
{
    fota_image_hdr_t hdr;
    uint8_t *raw = p->chunk[0].data;

    if (boot_flash_read((uint32_t)FOTA_SLOT_ADDR(slot), raw,
                        FOTA_IMAGE_HDR_SIZE) < 0)
        return 0;
    if (fota_image_hdr_decode(&hdr, raw) < 0)
        return 0;
    return fota_image_check_slot(&hdr, slot) == 0;
}

static void bp_status_answer(boot_proto_t *p)
{
    const boot_ctx_t *ctx = p->ctx;
    fota_status_t st;
    uint8_t *a = BP_ANS;
    bool have = ctx->area != BOOT_AREA_NONE;

    memset(&st, 0, sizeof st);
    st.format = FOTA_STATUS_FORMAT;
    st.proto_version = FOTA_BOOT_PROTO_VERSION;
    st.active_slot = have ? ctx->state.active : FOTA_STATUS_NO_SLOT;
    st.inactive_slot = (uint8_t)boot_inactive_slot(ctx);
    st.journal_area = ctx->area;
    st.attempts_left = have ? ctx->state.attempts_left : 0;
    st.journal_flags = have ? ctx->state.flags : 0;
    st.journal_seq = have ? ctx->state.seq : 0;
    st.sec_floor = have ? ctx->state.sec_floor : 0;
    for (int s = 0; s < FOTA_SLOT_COUNT; s++) {
        if (have) {
            st.slot[s].state = ctx->state.slot[s].state;
            st.slot[s].version = ctx->state.slot[s].version;
            st.slot[s].image_crc = ctx->state.slot[s].image_crc;
        } else {
            st.slot[s].state = FOTA_SLOT_EMPTY;
            st.slot[s].image_crc = 0xFFFFFFFFu;
        }
        st.slot[s].hdr_valid = bp_slot_hdr_valid(p, s);
        st.slot_addr[s] = (uint32_t)FOTA_SLOT_ADDR(s);
    }
    st.slot_size = FOTA_SLOT_SIZE;
    st.stream_error = p->stream_err;

    fota_put_be16(a, FOTA_STATUS_SIZE);
    fota_status_encode(&st, a + 2);
    fota_put_be16(a + 2 + FOTA_STATUS_SIZE, 1);
    a[4 + FOTA_STATUS_SIZE] = FOTA_RESULT_OK;
    bp_reply_answer(p, 5 + FOTA_STATUS_SIZE, true, CONT_IDLE);
}

static void bp_special_run(boot_proto_t *p)
{
    uint8_t *a = BP_ANS;
    int rc = 0;
    uint8_t then = CONT_IDLE;

    if (p->opcode == FOTA_OP_STATUS) {
        bp_status_answer(p);
        return;
    }
    if (p->opcode == FOTA_OP_COMMIT)
        /* The one synchronous flash use: the journal append must not be
         * interleaved with anything else. */
        rc = boot_commit_landed(p->ctx, p->buf[2], bp_hash_digest(p->buf[2]));
    else if (p->opcode == FOTA_OP_CONFIRM)
        rc = boot_bus_confirm(p->ctx); /* journal append, like commit */
    else if (p->opcode == FOTA_OP_ROLLBACK)
        rc = boot_bus_rollback(p->ctx);
    else
        then = CONT_REBOOT;
    fota_put_be16(a, 0);
    fota_put_be16(a + 2, 1);
    a[4] = fota_proto_result(rc);
    bp_reply_answer(p, 5, true, then);
}

/* The pending command's result, once its work allows. */
static void bp_run_pending(boot_proto_t *p)
{
    switch (p->pend) {
    case PEND_CHUNK:
        if (bp_reserve_chunk(p)) {
            p->pend = PEND_NONE;
            bp_ack(p, CONT_NEXT);
        }
        return;
    case PEND_WRITE:
    case PEND_ERASE:
        if (p->job == JOB_DONE && !p->job_orphan) {
            int rc = p->job_rc;

            p->job = JOB_NONE;
            p->pend = PEND_NONE;
            if (rc == 0 && p->cmd == FOTA_CMD_EXTENDED_ERASE)
                p->stream_err = 0; /* a fresh start for the next upload */
            if (rc != 0 && p->cmd == FOTA_CMD_WRITE_MEMORY)
                p->carry_len = 0; /* a failed write leaves no tail */
            bp_reply(p, rc == 0 ? FOTA_PROTO_ACK : FOTA_PROTO_NACK, CONT_IDLE);
            return;
        }
        if (p->job == JOB_NONE &&
            (p->pend == PEND_WRITE && p->wr_merge
                 ? p->q_count == 0 && p->fl_kind == FL_NONE
                 : bp_settled(p))) {
            p->job_rc = 0;
            p->job_orphan = 0;
            if (p->pend == PEND_WRITE) {
                bp_write_job(p);
            } else {
                /* A pending slot's commit is withdrawn through the journal
                 * before any of its sectors is erased (synchronous, like
                 * commit; nothing else is in flight here). */
                p->job_rc = boot_erase_prepare(p->ctx, p->job_mask);
                p->job = p->job_rc < 0 ? JOB_DONE : JOB_ERASE;
            }
            if (p->job != JOB_DONE)
                bp_flash_step(p);
        }
        return;
    case PEND_READ:
        if (bp_settled(p)) {
            uint16_t n = (uint16_t)(p->buf[0] + 1);
            int rc = boot_flash_read(p->addr, BP_ANS, n);

            p->pend = PEND_NONE;
            if (rc < 0)
                bp_nack(p);
            else
                bp_reply_answer(p, n, false, CONT_IDLE);
        }
        return;
    case PEND_CRC:
        if (bp_settled(p)) {
            uint32_t crc = boot_flash_crc(p->addr, p->len);
            uint8_t *a = BP_ANS;

            p->pend = PEND_NONE;
            fota_put_be32(a, crc);
            a[4] = (uint8_t)(a[0] ^ a[1] ^ a[2] ^ a[3]);
            bp_reply_answer(p, 5, false, CONT_IDLE);
        }
        return;
    case PEND_SPECIAL:
        if (bp_settled(p)) {
            p->pend = PEND_NONE;
            bp_special_run(p);
        }
        return;
    case PEND_NONE:
    default:
        return;
    }
}

/* ---- public API ----------------------------------------------------------- */

void boot_proto_init(boot_proto_t *p, boot_ctx_t *ctx, enum boot_link link)
{
    memset(p, 0, sizeof *p);
    p->ctx = ctx;
    p->link = (uint8_t)link;
    p->fill = -1;
    bp_hash_reset(HS_OFF, 0);
    p->last_ms = boot_clock_ms();
    bp_go_idle(p);
}

uint8_t boot_proto_spi_exchange(boot_proto_t *p, uint8_t rx)
{
    bp_rx(p, rx);
    if (!bp_tx_empty(p))
        return p->tx[p->tx_pos++];
    /* The ACK/NACK is held until its ACK-of-ACK: a host that over-reads
     * or misses it reads it again. */
    if (p->st == BP_ACKACK)
        return p->hold;
    return FOTA_PROTO_BUSY;
}

/* The window covers payload bytes only: after the phase's size header,
 * up to (not including) its XOR byte, and within the phase's buffer (an
 * oversize phase continues byte by byte past it, then gets its NACK). */
size_t boot_proto_spi_rx_window(boot_proto_t *p, uint8_t **dst)
{
    uint32_t pos, end;

    if (!bp_spi(p) || p->st != BP_RX ||
        (p->phase != PH_WDATA && p->phase != PH_BUF2) || p->rx_total == 0 ||
        p->rx_cnt < p->rx_hdr_len)
        return 0;
    pos = p->rx_cnt - p->rx_skip;
    end = p->rx_total - 1 - p->rx_skip;
    if (end > p->rx_cap)
        end = p->rx_cap;
    if (pos >= end)
        return 0;
    *dst = p->rx_dst + pos;
    p->win_phase = p->phase;
    p->win_cnt = p->rx_cnt;
    return end - pos;
}

void boot_proto_spi_rx_window_done(boot_proto_t *p, size_t n)
{
    const uint8_t *src;
    uint8_t x = 0;

    /* The same frame, at the same byte: otherwise the frame was abandoned
     * (deadline, link reset) while the bytes arrived, and they are dropped
     * as a dead frame's bytes would be. */
    if (p->st != BP_RX || p->phase != p->win_phase || p->rx_cnt != p->win_cnt)
        return;
    src = p->rx_dst + (p->rx_cnt - p->rx_skip);
    for (size_t i = 0; i < n; i++)
        x ^= src[i];
    /* No header byte lies in the window, so rx_hdr is complete already,
     * and the window ends before the XOR, so the phase is not done. */
    p->rx_xor ^= x;
    p->rx_cnt += (uint32_t)n;
    p->win_cnt = p->rx_cnt; /* the port may report the window in parts */
    p->last_ms = boot_clock_ms();
}

/* Move queued output to out (UART). */
static size_t bp_flush(boot_proto_t *p, uint8_t *out, size_t out_cap)
{
    size_t n = 0;

    if (out == NULL)
        return 0;
    while (n < out_cap && !bp_tx_empty(p))
        out[n++] = p->tx[p->tx_pos++];
    return n;
}

size_t boot_proto_uart_rx(boot_proto_t *p, uint8_t rx, uint8_t *out,
                          size_t out_cap)
{
    bp_rx(p, rx);
    return bp_flush(p, out, out_cap);
}

int boot_proto_poll(boot_proto_t *p, uint8_t *out, size_t out_cap,
                    size_t *out_len)
{
    size_t n = 0;

    /* A write tail the host has not continued for a reply deadline is
     * programmed (padded) so that it is not lost with a reset; a reply
     * that expired first counts (the port leaves update mode once no
     * reply waits). */
    bp_check_deadline(p);
    if (p->carry_len != 0 && p->st == BP_IDLE &&
        (uint32_t)(boot_clock_ms() - p->last_ms) > FOTA_PROTO_REPLY_TIMEOUT_MS)
        p->carry_flush = 1;
    bp_flash_step(p);
    if (p->st == BP_WAIT_WORK) {
        p->in_work = 1;
        bp_run_pending(p);
        /* A job that just started or finished may allow more. */
        bp_flash_step(p);
        if (p->st == BP_WAIT_WORK)
            bp_run_pending(p);
        p->in_work = 0;
    }
    bp_check_deadline(p);
    if (!bp_spi(p))
        n = bp_flush(p, out, out_cap);
    if (out_len)
        *out_len = n;
    return p->fl_kind != FL_NONE || p->q_count > 0 || p->job != JOB_NONE ||
           p->pend != PEND_NONE || (p->carry_len != 0 && p->carry_flush) ||
           (!bp_spi(p) && !bp_tx_empty(p));
}

bool boot_proto_replying(const boot_proto_t *p)
{
    return p->st == BP_ACKACK || p->st == BP_DRAIN;
}

bool boot_proto_flash_pending(const boot_proto_t *p)
{
    return p->fl_kind != FL_NONE || p->q_count > 0 || p->job != JOB_NONE ||
           (p->carry_len != 0 && p->carry_flush);
}

bool boot_proto_spi_holding(const boot_proto_t *p)
{
    return bp_spi(p) && (p->st == BP_ACKACK || p->st == BP_SYNC_ACKACK) &&
           bp_tx_empty(p);
}

bool boot_proto_spi_inert(const boot_proto_t *p, uint8_t rx)
{
    return bp_spi(p) &&
           (p->st == BP_ACKACK || p->st == BP_SYNC_ACKACK ||
            p->st == BP_WAIT_WORK) &&
           bp_tx_empty(p) && rx != FOTA_PROTO_ACK && rx != FOTA_PROTO_SPI_SYNC;
}

size_t boot_proto_spi_tx_skip(boot_proto_t *p, size_t n)
{
    size_t k = 0;

    if (!bp_spi(p) || (p->st != BP_ACKACK && p->st != BP_DRAIN))
        return 0;
    while (k < n && !bp_tx_empty(p)) {
        p->tx_pos++;
        k++;
    }
    if (p->st == BP_DRAIN && bp_tx_empty(p))
        bp_go_idle(p);
    return k;
}

size_t boot_proto_spi_tx_window(const boot_proto_t *p, const uint8_t **src)
{
    if (!bp_spi(p) || p->st != BP_ACKACK || p->cont != CONT_ANSWER ||
        p->ans_len < 2)
        return 0;
    *src = p->buf + 1;
    return (size_t)p->ans_len - 1;
}

int boot_proto_take_request(boot_proto_t *p)
{
    int r = p->request;

    p->request = BOOT_REQ_NONE;
    return r;
}

void boot_proto_reset_link(boot_proto_t *p)
{
    bp_abort(p);
}
