/*
 * fuzz_proto_engine.c - libFuzzer target for the bootloader's command
 * engine. The input is the host's byte stream:
 *
 *   byte 0    flags: bit 0 = link (0 SPI, 1 UART), bit 1 = escapes on,
 *             bit 2 = structured (below)
 *   bytes 1.. the bytes the host sends; with escapes on, 0xFE k lets
 *             k x 10 ms of virtual time pass (deadlines), 0xFD resets
 *             the link (NSS released)
 *
 * Structured inputs are a list of host actions, each framed correctly
 * here (lengths, complements, XORs), so that the deep paths are reached at
 * once: Write Memory of any length 1..256 continuing the previous one or
 * starting at a new word, Read Memory, Get Checksum, Get, erase, idle
 * time, raw bytes, link resets; each optionally sent back to back (the next
 * frame without waiting for the reply), with an over-read byte, or without
 * the ACK-of-ACK. Extra oracles when no raw bytes were sent: no word is
 * ever programmed over non-erased bits, and every byte of an ACKed write
 * is in flash at the end.
 *
 * The state before every input: a flash model with a confirmed image in
 * slot A (slot B is the inactive slot), as in the conformance tests.
 *
 * Policy oracle: every flash operation the engine issues is intercepted at
 * the flash model (linker --wrap of sim_flash_*): a program or erase outside
 * slot B aborts at once ("policy violation"), during the byte that caused
 * it. After every byte the harness also checks that no flash operation
 * bypassed the interception, and after every input that the whole array
 * outside slot B still equals the initial one.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot_core.h"
#include "boot_port_host.h"
#include "boot_proto.h"
#include "fota/fota_image.h"
#include "fota/fota_le.h"
#include "fota/fota_sha256.h"
#include "sim_flash.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int __real_sim_flash_program_word(sim_flash_t *f, uint32_t addr, uint32_t word);
int __real_sim_flash_erase_sector(sim_flash_t *f, unsigned sector);
int __real_sim_flash_start_word(sim_flash_t *f, uint32_t addr, uint32_t word);
int __real_sim_flash_start_erase(sim_flash_t *f, unsigned sector);
int __wrap_sim_flash_program_word(sim_flash_t *f, uint32_t addr, uint32_t word);
int __wrap_sim_flash_erase_sector(sim_flash_t *f, unsigned sector);
int __wrap_sim_flash_start_word(sim_flash_t *f, uint32_t addr, uint32_t word);
int __wrap_sim_flash_start_erase(sim_flash_t *f, unsigned sector);

static sim_flash_t s_base;  /* flash before every input */
static sim_flash_t s_flash; /* flash under test */
static boot_ctx_t s_base_ctx;
static boot_ctx_t s_ctx;
static boot_proto_t s_eng;
static int s_ready;
static int s_armed;         /* setup done: the oracle applies */
static uint64_t s_seen_ops; /* operations that went through the wrappers */
static int s_dirty;

static void violation(const char *what, uint32_t where)
{
    fprintf(stderr, "POLICY VIOLATION: %s at 0x%08x\n", what, (unsigned)where);
    abort();
}

static int in_slot_b(uint32_t addr, uint32_t len)
{
    return addr >= FOTA_SLOT_B_ADDR &&
           addr + len <= FOTA_SLOT_B_ADDR + FOTA_SLOT_SIZE;
}

static void check_word(uint32_t addr)
{
    if (s_armed) {
        if (!in_slot_b(addr, 4))
            violation("program", addr);
        s_seen_ops++;
        s_dirty = 1;
    }
}

static void check_sector(unsigned sector)
{
    if (s_armed) {
        if (sector < FOTA_SLOT_B_FIRST_SECTOR ||
            sector >= FOTA_SLOT_B_FIRST_SECTOR + FOTA_SLOT_SECTORS)
            violation("erase sector", sector);
        s_seen_ops++;
        s_dirty = 1;
    }
}

int __wrap_sim_flash_program_word(sim_flash_t *f, uint32_t addr, uint32_t word)
{
    check_word(addr);
    return __real_sim_flash_program_word(f, addr, word);
}

int __wrap_sim_flash_erase_sector(sim_flash_t *f, unsigned sector)
{
    check_sector(sector);
    return __real_sim_flash_erase_sector(f, sector);
}

int __wrap_sim_flash_start_word(sim_flash_t *f, uint32_t addr, uint32_t word)
{
    check_word(addr);
    return __real_sim_flash_start_word(f, addr, word);
}

int __wrap_sim_flash_start_erase(sim_flash_t *f, unsigned sector)
{
    check_sector(sector);
    return __real_sim_flash_start_erase(f, sector);
}

/* A valid image for slot A, the way the conformance fixture builds it. */
static void install_slot_a(sim_flash_t *f)
{
    static uint8_t img[FOTA_IMAGE_HDR_SIZE + 2048];
    fota_image_hdr_t hdr;

    for (size_t i = FOTA_IMAGE_HDR_SIZE; i < sizeof img; i++)
        img[i] = (uint8_t)(i * 7);
    fota_put_le32(img + FOTA_IMAGE_HDR_SIZE, FOTA_NOINIT_ADDR);
    fota_put_le32(img + FOTA_IMAGE_HDR_SIZE + 4,
                  FOTA_SLOT_BODY_ADDR(0) + 0x101);
    fota_image_hdr_init(&hdr, 0, sizeof img - FOTA_IMAGE_HDR_SIZE,
                        FOTA_PRODUCT_ID);
    hdr.version.major = 1;
    hdr.sec_counter = 1;
    fota_image_seal(&hdr, img, img + FOTA_IMAGE_HDR_SIZE);
    for (size_t off = 0; off < sizeof img; off += 4)
        __real_sim_flash_program_word(f, FOTA_SLOT_A_ADDR + (uint32_t)off,
                                      fota_get_le32(img + off));
}

static void setup_once(void)
{
    boot_decision_t d;

    sim_flash_init(&s_base, SIM_FLASH_TYPICAL);
    install_slot_a(&s_base);
    boot_port_host_bind(&s_base);
    if (boot_init(&s_base_ctx) || boot_decide(&s_base_ctx, &d) ||
        boot_inactive_slot(&s_base_ctx) != 1) {
        fprintf(stderr, "fuzz setup: slot A did not boot\n");
        abort();
    }
    /* The decision recorded the factory state: that is the baseline. */
    s_flash = s_base;
    s_ready = 1;
}

/* Back to the baseline; only slot B (all the engine may touch) and the
 * model's counters need restoring. */
static void restore(void)
{
    if (s_dirty) {
        memcpy(&s_flash.mem[FOTA_SLOT_B_ADDR - FOTA_FLASH_BASE],
               &s_base.mem[FOTA_SLOT_B_ADDR - FOTA_FLASH_BASE], FOTA_SLOT_SIZE);
        s_dirty = 0;
    }
    memcpy(s_flash.wear, s_base.wear, sizeof s_flash.wear);
    s_flash.now_ns = s_base.now_ns;
    s_flash.busy_until_ns = s_base.busy_until_ns;
    s_flash.ops = s_base.ops;
    s_flash.words_programmed = s_base.words_programmed;
    s_flash.overwrites = s_base.overwrites;
    s_seen_ops = 0;
    s_ctx = s_base_ctx;
}

static void check_bypass(void)
{
    if (s_flash.ops - s_base.ops != s_seen_ops)
        violation("flash operation outside the checked path", 0);
}

/* Returns what boot_proto_poll() returns: 1 while flash work remains. */
static int poll_engine(void)
{
    uint8_t out[64];
    size_t n;
    int busy = boot_proto_poll(&s_eng, out, sizeof out, &n);

    (void)boot_proto_take_request(&s_eng);
    return busy;
}

/* ---- structured mode ------------------------------------------------- */

#define ST_AREA 0x4000u /* the first 16 KiB of slot B (sector 8) */

static enum boot_link s_link;
static uint64_t s_byte_ns;
static uint8_t s_pre;       /* SPI: byte the slave loaded for the next one */
static uint8_t s_uart_last; /* UART: last ACK/NACK the engine sent */
static uint8_t s_expect[ST_AREA];
static uint8_t s_have[ST_AREA]; /* 1 where an ACKed write put s_expect */

static uint8_t st_byte(uint8_t b)
{
    uint8_t r = 0;

    sim_flash_advance_ns(&s_flash, s_byte_ns);
    if (s_link == BOOT_LINK_SPI) {
        r = s_pre;
        s_pre = boot_proto_spi_exchange(&s_eng, b);
    } else {
        uint8_t out[8];
        size_t n = boot_proto_uart_rx(&s_eng, b, out, sizeof out);

        for (size_t i = 0; i < n; i++)
            if (out[i] == 0x79 || out[i] == 0x1F)
                s_uart_last = out[i];
    }
    poll_engine();
    check_bypass();
    return r;
}

/* Quiet host for ms: 1 ms steps while the engine has flash work, 10 ms
 * steps while it is idle (only its deadlines move then, and they are
 * checked at each poll). */
static void st_idle_ms(uint32_t ms)
{
    int idle = 0;

    for (uint32_t t = 0; t < ms;) {
        uint32_t step = idle && ms - t >= 10 ? 10 : 1;

        sim_flash_advance_ns(&s_flash, 1000000ull * step);
        t += step;
        idle = !poll_engine();
    }
    check_bypass();
}

/* The reply: 1 ACK, 0 NACK, -1 none within max_ms. flags bit 5: one more
 * byte after it before the ACK-of-ACK. */
static int st_ack(uint32_t max_ms, unsigned flags)
{
    if (s_link == BOOT_LINK_UART) {
        for (uint32_t t = 0; t < max_ms && !s_uart_last; t += 10)
            st_idle_ms(10);
        int r = s_uart_last == 0x79 ? 1 : s_uart_last == 0x1F ? 0 : -1;
        s_uart_last = 0;
        return r;
    }
    for (uint32_t polls = 0; polls < 200 + max_ms / 10; polls++) {
        uint8_t r = st_byte(0x00);

        if (r == 0x79 || r == 0x1F) {
            if (flags & 0x20)
                (void)st_byte(0x00);
            (void)st_byte(0x79);
            return r == 0x79;
        }
        if (polls >= 200)
            st_idle_ms(10);
    }
    return -1;
}

static void st_send_xor(const uint8_t *b, size_t n)
{
    uint8_t x = n == 1 ? 0xFF : 0;

    for (size_t i = 0; i < n; i++) {
        x ^= b[i];
        (void)st_byte(b[i]);
    }
    (void)st_byte(x);
}

static int st_cmd(uint8_t cmd, unsigned flags)
{
    if (s_link == BOOT_LINK_SPI)
        (void)st_byte(0x5A);
    s_uart_last = 0;
    (void)st_byte(cmd);
    (void)st_byte((uint8_t)~cmd);
    return st_ack(100, flags);
}

static int st_addr(uint32_t a, uint32_t max_ms, unsigned flags)
{
    uint8_t b[4] = {(uint8_t)(a >> 24), (uint8_t)(a >> 16), (uint8_t)(a >> 8),
                    (uint8_t)a};

    s_uart_last = 0;
    st_send_xor(b, 4);
    return st_ack(max_ms, flags);
}

static void st_read_answer(size_t n, unsigned flags)
{
    if (s_link == BOOT_LINK_SPI)
        for (size_t i = 0; i < n + 1 + ((flags & 0x20) ? 1 : 0); i++)
            (void)st_byte(0x00);
}

/* One action from the input at *i; returns false when the input ends. */
static bool st_action(const uint8_t *d, size_t size, size_t *i, uint32_t *cur,
                      bool *raw)
{
    uint8_t op, arg;
    unsigned flags;
    bool wait;

    if (*i + 2 > size)
        return false;
    op = d[(*i)++];
    arg = d[(*i)++];
    flags = op & 0xF0u;
    wait = !(flags & 0x10);
    switch (op & 7u) {
    case 0: { /* Write Memory of arg+1 bytes */
        size_t n = (size_t)arg + 1;
        uint32_t at = (op & 0x08) ? *cur : ((*cur + 3u) & ~3u);
        uint8_t frame[258];
        int r;

        if (at + n > ST_AREA)
            return true;
        frame[0] = arg;
        for (size_t k = 0; k < n; k++)
            frame[1 + k] = (uint8_t)(at + k * 7u + arg);
        if (st_cmd(0x31, flags) != 1 ||
            st_addr(FOTA_SLOT_B_ADDR + at, 100, 0) != 1)
            return true;
        s_uart_last = 0;
        st_send_xor(frame, n + 1);
        *cur = at + (uint32_t)n;
        r = wait ? st_ack(1000, flags) : -1;
        if (r == 1)
            for (size_t k = 0; k < n; k++) {
                s_expect[at + k] = frame[1 + k];
                s_have[at + k] = 1;
            }
        return true;
    }
    case 1: { /* Read Memory */
        uint8_t c = arg;

        if (st_cmd(0x11, flags) != 1 ||
            st_addr(FOTA_SLOT_B_ADDR + (uint32_t)arg * 64u, 100, 0) != 1)
            return true;
        s_uart_last = 0;
        st_send_xor(&c, 1);
        if (wait && st_ack(1000, 0) == 1)
            st_read_answer((size_t)c + 1, flags);
        return true;
    }
    case 2: { /* Get Checksum of what was written so far */
        uint32_t len = ((*cur + 3u) & ~3u);

        if (len == 0 || st_cmd(0xA1, flags) != 1 ||
            st_addr(FOTA_SLOT_B_ADDR, 100, 0) != 1 || st_addr(len, 100, 0) != 1)
            return true;
        if (wait && st_ack(1000, 0) == 1)
            st_read_answer(5, flags);
        return true;
    }
    case 3: /* Get; flags bit 6: the final ACK-of-ACK sent blind */
        if (st_cmd(0x00, flags) == 1 && wait) {
            st_read_answer(12, flags & ~0x20u);
            if ((flags & 0x40) && s_link == BOOT_LINK_SPI)
                (void)st_byte(0x79);
            else
                (void)st_ack(100, flags);
        }
        return true;
    case 4: { /* raw bytes */
        size_t n = arg % 16u;

        *raw = true;
        for (size_t k = 0; k < n && *i < size; k++)
            (void)st_byte(d[(*i)++]);
        return true;
    }
    case 5: /* idle */
        st_idle_ms((uint32_t)arg * 50u);
        return true;
    case 6: { /* erase sector 8 */
        uint8_t n[2] = {0, 0}, sec[2] = {0, 8};

        if (st_cmd(0x44, flags) != 1)
            return true;
        s_uart_last = 0;
        if (s_link == BOOT_LINK_SPI) {
            st_send_xor(n, 2);
            if (st_ack(100, 0) != 1)
                return true;
            s_uart_last = 0;
            st_send_xor(sec, 2);
        } else {
            uint8_t f[4] = {0, 0, 0, 8};
            st_send_xor(f, 4);
        }
        if (st_ack(4000, flags) == 1) {
            memset(s_have, 0, sizeof s_have);
            *cur = 0;
        }
        return true;
    }
    default:
        boot_proto_reset_link(&s_eng);
        return true;
    }
}

static void st_run(const uint8_t *data, size_t size)
{
    size_t i = 1;
    uint32_t cur = 0;
    bool raw = false;
    uint64_t ow0 = s_flash.overwrites;

    memset(s_have, 0, sizeof s_have);
    s_pre = 0xA5;
    s_uart_last = 0;
    if (s_link == BOOT_LINK_SPI) {
        (void)st_byte(0x5A);
        (void)st_ack(100, 0);
    } else {
        (void)st_byte(0x7F);
        (void)st_ack(100, 0);
    }
    for (int n = 0; n < 64 && st_action(data, size, &i, &cur, &raw); n++)
        ;
    /* A held write tail is programmed after a reply deadline of quiet,
     * counted once a reply left waiting has expired (coarse steps: nothing
     * else happens meanwhile). */
    for (int t = 0; t < 42; t++) {
        sim_flash_advance_ns(&s_flash, 1000000000u);
        poll_engine();
    }
    for (int t = 0; t < 600 && boot_proto_poll(&s_eng, NULL, 0, NULL); t++)
        sim_flash_advance_ns(&s_flash, 10000000);
    if (raw)
        return;
    if (s_flash.overwrites != ow0)
        violation("program over non-erased bits",
                  (uint32_t)s_flash.last_overwrite_addr);
    for (uint32_t a = 0; a < ST_AREA; a++)
        if (s_have[a] &&
            s_flash.mem[FOTA_SLOT_B_ADDR - FOTA_FLASH_BASE + a] != s_expect[a])
            violation("ACKed write not in flash", FOTA_SLOT_B_ADDR + a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    enum boot_link link;
    int escapes;
    uint64_t byte_ns;

    if (!s_ready)
        setup_once();
    if (size < 1)
        return 0;
    restore();
    boot_port_host_bind(&s_flash);
    s_armed = 1;
    link = (data[0] & 1) ? BOOT_LINK_UART : BOOT_LINK_SPI;
    escapes = (data[0] & 2) != 0;
    byte_ns = link == BOOT_LINK_SPI ? 10000 : 86806;
    boot_proto_init(&s_eng, &s_ctx, link);
    s_link = link;
    s_byte_ns = byte_ns;

    if (data[0] & 4) {
        st_run(data, size);
        size = 0; /* the byte loop below has nothing to do */
    }
    for (size_t i = 1; i < size; i++) {
        uint8_t b = data[i];

        if (escapes && b == 0xFE && i + 1 < size) {
            uint32_t ms = data[++i] * 10u;
            for (uint32_t t = 0; t < ms; t += 5) {
                sim_flash_advance_ns(&s_flash, 5000000);
                poll_engine();
            }
            check_bypass();
            continue;
        }
        if (escapes && b == 0xFD) {
            boot_proto_reset_link(&s_eng);
            continue;
        }
        sim_flash_advance_ns(&s_flash, byte_ns);
        if (link == BOOT_LINK_SPI) {
            (void)boot_proto_spi_exchange(&s_eng, b);
        } else {
            uint8_t out[8];
            (void)boot_proto_uart_rx(&s_eng, b, out, sizeof out);
        }
        poll_engine();
        check_bypass();
    }
    /* Let queued work finish (a sector erase takes about a second). */
    for (int t = 0; t < 600; t++) {
        uint8_t out[64];
        size_t n;
        if (!boot_proto_poll(&s_eng, out, sizeof out, &n))
            break;
        sim_flash_advance_ns(&s_flash, 10000000);
    }
    check_bypass();
    s_armed = 0;
    /* The whole array outside slot B is as it was. */
    if (memcmp(s_flash.mem, s_base.mem, FOTA_SLOT_B_ADDR - FOTA_FLASH_BASE) ||
        memcmp(
            &s_flash.mem[FOTA_SLOT_B_ADDR + FOTA_SLOT_SIZE - FOTA_FLASH_BASE],
            &s_base.mem[FOTA_SLOT_B_ADDR + FOTA_SLOT_SIZE - FOTA_FLASH_BASE],
            FOTA_FLASH_END - FOTA_SLOT_B_ADDR - FOTA_SLOT_SIZE))
        violation("flash changed outside slot B", 0);
    /* The engine's own view never changed either. */
    if (memcmp(&s_ctx.state, &s_base_ctx.state, sizeof s_ctx.state) != 0)
        violation("journal state changed", 0);
    boot_port_host_bind(NULL);
    return 0;
}
