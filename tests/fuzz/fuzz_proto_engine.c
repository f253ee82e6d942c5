/*
 * fuzz_proto_engine.c - libFuzzer target for the bootloader's command
 * engine. The input is the host's byte stream:
 *
 *   byte 0    flags: bit 0 = link (0 SPI, 1 UART), bit 1 = escapes on
 *   bytes 1.. the bytes the host sends; with escapes on, 0xFE k lets
 *             k x 10 ms of virtual time pass (deadlines), 0xFD resets
 *             the link (NSS released)
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

static void poll_engine(void)
{
    uint8_t out[64];
    size_t n;

    boot_proto_poll(&s_eng, out, sizeof out, &n);
    (void)boot_proto_take_request(&s_eng);
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
