/*
 * app_selftest.c - self-test before the application confirms itself. A
 * failed test means the image never confirms, so the bootloader rolls back
 * after its trial attempts.
 *
 * The image check is the one a product would make at every start: the
 * STM32 CRC unit (RM0090 section 4: 0x04C11DB7, one 32-bit word every 4
 * AHB cycles) over the header and body, about 2.5 ms for 256 KiB at
 * 168 MHz, against the CRC the bootloader wrote into the journal for this
 * image when it committed it (after checking its SHA-256) and checks
 * before it confirms it. A SHA-256 pass over the image from flash would
 * cost about 70 ms; it is what the test falls back to when there is no
 * journal CRC or no CRC unit.
 */
#include "app_selftest.h"

#include <stdbool.h>
#include <stdint.h>

#include "app_log.h"
#include "fota/fota_crc32.h"
#include "fota/fota_err.h"
#include "fota/fota_image.h"
#include "fota/fota_layout.h"
#include "fota/fota_sha256.h"
#include "fota_app.h"
#include "fw_hw.h"
#include "regs/crc.h"
#include "regs/rcc.h"
#include "regs/scb.h"

#define APP_RAM_TEST_WORDS 256

static uint32_t s_ram_test[APP_RAM_TEST_WORDS];

static void app_fail(const char *what)
{
    app_log_puts("app: ");
    app_log_puts(what);
    app_log_puts(" FAIL\n");
}

/* Walking patterns and address-in-cell over a static buffer. */
static int app_test_ram(void)
{
    static const uint32_t patterns[] = {0x55555555u, 0xAAAAAAAAu, 0u,
                                        0xFFFFFFFFu};
    volatile uint32_t *buf = s_ram_test;
    for (unsigned p = 0; p < sizeof patterns / sizeof patterns[0]; p++) {
        for (unsigned i = 0; i < APP_RAM_TEST_WORDS; i++)
            buf[i] = patterns[p];
        for (unsigned i = 0; i < APP_RAM_TEST_WORDS; i++)
            if (buf[i] != patterns[p])
                return FOTA_ERR_IO;
    }
    for (unsigned i = 0; i < APP_RAM_TEST_WORDS; i++)
        buf[i] = (uint32_t)(uintptr_t)&buf[i];
    for (unsigned i = 0; i < APP_RAM_TEST_WORDS; i++)
        if (buf[i] != (uint32_t)(uintptr_t)&buf[i])
            return FOTA_ERR_IO;
    return 0;
}

/* Reset the CRC unit; false if it is absent (an emulator without it: DR
 * does not read its reset value). */
static bool app_crc_start(void)
{
    RCC_AHB1ENR |= RCC_AHB1ENR_CRCEN;
    (void)RCC_AHB1ENR;
    CRC_CR = CRC_CR_RESET;
    return CRC_DR == FOTA_CRC32_ST_INIT;
}

/* Words between two calls of the log pump in app_crc_unit: 1 KiB, about
 * 11 us, against 87 us per character at 115200 baud. */
#define APP_CRC_PUMP_WORDS 256u

/* The CRC unit over words words at p (word-aligned), four stores per loop
 * pass; the queued log keeps going out meanwhile. */
static uint32_t app_crc_unit(const uint32_t *p, uint32_t words)
{
    uint32_t i = 0;

    CRC_CR = CRC_CR_RESET;
    while (i + 4 <= words) {
        uint32_t end = words - i > APP_CRC_PUMP_WORDS ? i + APP_CRC_PUMP_WORDS
                                                      : words & ~3u;

        for (; i < end; i += 4) {
            CRC_DR = p[i];
            CRC_DR = p[i + 1];
            CRC_DR = p[i + 2];
            CRC_DR = p[i + 3];
        }
        app_log_pump();
    }
    for (; i < words; i++)
        CRC_DR = p[i];
    return CRC_DR;
}

/* The header's SHA-256 of the image against the image in flash. */
static int app_image_sha256(const uint8_t *hbuf, const fota_image_hdr_t *hdr)
{
    fota_sha256_t sha;
    uint8_t digest[FOTA_SHA256_SIZE];

    fota_image_hash_start(&sha, hbuf);
    fota_sha256_update(&sha, hbuf + FOTA_IMAGE_HDR_SIZE, hdr->body_size);
    fota_sha256_final(&sha, digest);
    for (unsigned i = 0; i < FOTA_SHA256_SIZE; i++)
        if (digest[i] != hdr->sha256[i])
            return FOTA_ERR_CORRUPT;
    return 0;
}

/* The header in front of the running body must describe this very body,
 * and the image must be the one the bootloader verified. */
static int app_test_image(int slot, app_selftest_info_t *info)
{
    const uint8_t *hbuf = (const uint8_t *)(uintptr_t)FOTA_SLOT_ADDR(slot);
    fota_image_hdr_t hdr;
    uint32_t journal_crc;
    int rc = fota_image_hdr_decode(&hdr, hbuf);

    if (rc < 0)
        return rc;
    rc = fota_image_check_slot(&hdr, slot);
    if (rc < 0)
        return rc;
    if (!fota_app_image_crc(&journal_crc) || !app_crc_start())
        return app_image_sha256(hbuf, &hdr);
    /* The unit must compute the journal's CRC (fota_crc32_st): checked on
     * the header against the software CRC first. */
    const uint32_t *words = (const uint32_t *)(uintptr_t)hbuf;
    if (app_crc_unit(words, FOTA_IMAGE_HDR_SIZE / 4u) !=
        fota_crc32_st(hbuf, FOTA_IMAGE_HDR_SIZE)) {
        app_fail("crc unit");
        return FOTA_ERR_IO;
    }
    info->image_crc =
        app_crc_unit(words, (FOTA_IMAGE_HDR_SIZE + hdr.body_size) / 4u);
    info->by_crc_unit = true;
    return info->image_crc == journal_crc ? 0 : FOTA_ERR_CORRUPT;
}

/* SysTick must count down at the clock the bootloader left. */
static int app_test_clock(void)
{
    uint32_t first = STK_CVR;
    for (uint32_t n = 0; n < 100000u; n++)
        if (STK_CVR != first)
            return 0;
    return FOTA_ERR_IO;
}

int app_selftest_run(int slot, app_selftest_info_t *info)
{
    int result = 0;

    info->by_crc_unit = false;
    info->image_crc = 0;
    int rc = app_test_ram();
    if (rc < 0) {
        app_fail("ram");
        result = rc;
    }
    rc = app_test_image(slot, info);
    if (rc < 0) {
        app_fail(info->by_crc_unit ? "image crc" : "image");
        result = rc;
    }
    rc = app_test_clock();
    if (rc < 0) {
        app_fail("systick");
        result = rc;
    }
    return result;
}
