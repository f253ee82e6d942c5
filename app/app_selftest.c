/*
 * app_selftest.c - self-test before the application confirms itself. A
 * failed test means the image never confirms, so the bootloader rolls back
 * after its trial attempts.
 */
#include "app_selftest.h"

#include <stdbool.h>
#include <stdint.h>

#include "fota/fota_crc32.h"
#include "fota/fota_err.h"
#include "fota/fota_image.h"
#include "fota/fota_layout.h"
#include "fota/fota_sha256.h"
#include "fw_hw.h"
#include "regs/crc.h"
#include "regs/rcc.h"
#include "regs/scb.h"

#define APP_RAM_TEST_WORDS 256

static uint32_t s_ram_test[APP_RAM_TEST_WORDS];

static void app_report(const char *what, int rc)
{
    fw_uart_puts("app: ");
    fw_uart_puts(what);
    fw_uart_puts(rc == 0 ? " ok\n" : " FAIL\n");
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

/* The header in front of the running body must describe this very body,
 * and its SHA-256 must match: this is the image the bootloader verified,
 * checked again by its own code. */
static int app_test_image(int slot, fota_image_hdr_t *hdr)
{
    const uint8_t *hbuf = (const uint8_t *)(uintptr_t)FOTA_SLOT_ADDR(slot);
    int rc = fota_image_hdr_decode(hdr, hbuf);
    if (rc < 0)
        return rc;
    rc = fota_image_check_slot(hdr, slot);
    if (rc < 0)
        return rc;
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

/* CRC unit over the body vs the software CRC. Returns 1 if the unit is
 * absent (an emulator without it: DR does not read its reset value). */
static int app_test_crc(int slot, const fota_image_hdr_t *hdr)
{
    const uint8_t *body = (const uint8_t *)(uintptr_t)FOTA_SLOT_BODY_ADDR(slot);
    RCC_AHB1ENR |= RCC_AHB1ENR_CRCEN;
    (void)RCC_AHB1ENR;
    CRC_CR = CRC_CR_RESET;
    if (CRC_DR != 0xFFFFFFFFu)
        return 1;
    for (uint32_t off = 0; off < hdr->body_size; off += 4) {
        uint32_t w = (uint32_t)body[off] | (uint32_t)body[off + 1] << 8 |
                     (uint32_t)body[off + 2] << 16 |
                     (uint32_t)body[off + 3] << 24;
        CRC_DR = w;
    }
    uint32_t hw = CRC_DR;
    uint32_t sw = fota_crc32_st(body, hdr->body_size);
    fw_uart_puts("app: body crc ");
    fw_uart_put_hex(hw);
    fw_uart_puts("\n");
    return hw == sw ? 0 : FOTA_ERR_CORRUPT;
}

/* SysTick must count down at the clock the bootloader left. */
static int app_test_clock(int clk)
{
    fw_uart_puts(clk == FW_CLOCK_PLL_HSE ? "app: clock pll 168 MHz\n"
                                         : "app: clock hsi 16 MHz\n");
    uint32_t first = STK_CVR;
    for (uint32_t n = 0; n < 100000u; n++)
        if (STK_CVR != first)
            return 0;
    return FOTA_ERR_IO;
}

int app_selftest_run(int slot, int clk)
{
    int result = 0;
    fota_image_hdr_t hdr;

    int rc = app_test_ram();
    app_report("ram", rc);
    if (rc < 0)
        result = rc;

    rc = app_test_image(slot, &hdr);
    app_report("image sha256", rc);
    if (rc < 0) {
        result = rc;
    } else {
        rc = app_test_crc(slot, &hdr);
        if (rc > 0)
            fw_uart_puts("app: crc unit absent, not checked\n");
        else
            app_report("crc unit", rc);
        if (rc < 0)
            result = rc;
    }

    rc = app_test_clock(clk);
    app_report("systick", rc);
    if (rc < 0)
        result = rc;
    return result;
}
