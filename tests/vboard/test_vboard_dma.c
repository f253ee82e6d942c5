/*
 * Virtual board: the DMA2 model on its own, SPI1 RX to SRAM as the
 * bootloader uses it for bulk payloads. The firmware (fw/fw_dma.c) serves
 * register reads and writes from the mailbox, so the host programs the
 * streams through the emulated CPU and clocks bytes in as the SPI master,
 * then checks against RM0090 (chapter 10, DMA; 28.3.9 and 28.4.8, SPI
 * DMA requests and overrun): NDTR counting down, HTIF/TCIF, memory
 * increment on and off, the stream/channel mapping of SPI1_RX, a stream
 * disabled mid-transfer, registers locked while a stream runs, overrun,
 * transfer errors and the DMA2 clock gate.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fota/fota_le.h"
#include "fw_dma.h"
#include "fw_mbox.h"
#include "vboard.h"

#define DMA2_BASE 0x40026400u
#define DMA_ISR(s) (DMA2_BASE + ((s) / 4u) * 4u)          /* LISR / HISR */
#define DMA_IFCR(s) (DMA2_BASE + 0x08u + ((s) / 4u) * 4u) /* LIFCR / HIFCR */
#define DMA_SCR(s) (DMA2_BASE + 0x10u + 0x18u * (s))
#define DMA_SNDTR(s) (DMA_SCR(s) + 0x04u)
#define DMA_SPAR(s) (DMA_SCR(s) + 0x08u)
#define DMA_SM0AR(s) (DMA_SCR(s) + 0x0Cu)
#define DMA_CR_EN (1u << 0)
#define DMA_CR_MINC (1u << 10)
#define DMA_CR_CHSEL(c) ((uint32_t)(c) << 25)
/* Per-stream flags, as bits of the stream's field. */
#define F_TEIF (1u << 3)
#define F_HTIF (1u << 4)
#define F_TCIF (1u << 5)
#define F_ALL 0x3Du

#define RCC_AHB1ENR 0x40023830u
#define RCC_AHB1_DMA2 (1u << 22)
#define SPI1_CR2 0x40013004u
#define SPI1_SR 0x40013008u
#define SPI1_DR 0x4001300Cu
#define SPI_CR2_RXDMAEN (1u << 0)
#define SPI_SR_RXNE (1u << 0)
#define SPI_SR_OVR (1u << 6)

#define BUF 0x20010000u /* DMA target in SRAM */
#define BUF_LEN 64u
#define SENTINEL 0xEEu

static const unsigned s_flag_shift[4] = {0, 6, 16, 22};

/* Mailbox words first..first+n-1, little-endian as the firmware sees them. */
static void mbox_read(vboard_t *b, unsigned first, uint32_t *w, unsigned n)
{
    uint8_t raw[16];

    assert_true(n <= 4);
    assert_int_equal(vboard_read_mem(b, FW_MBOX_ADDR + 4u * first, raw, 4u * n),
                     0);
    for (unsigned i = 0; i < n; i++)
        w[i] = fota_get_le32(raw + 4 * i);
}

static void mbox_write(vboard_t *b, unsigned first, const uint32_t *w,
                       unsigned n)
{
    uint8_t raw[16];

    assert_true(n <= 4);
    for (unsigned i = 0; i < n; i++)
        fota_put_le32(raw + 4 * i, w[i]);
    assert_int_equal(
        vboard_write_mem(b, FW_MBOX_ADDR + 4u * first, raw, 4u * n), 0);
}

static uint32_t mbox(vboard_t *b, unsigned word)
{
    uint32_t w;

    mbox_read(b, word, &w, 1);
    return w;
}

/* Have the firmware perform one operation; returns FW_DMA_RES. The
 * firmware loop takes a few hundred nanoseconds per operation. */
static uint32_t fw_op(vboard_t *b, uint32_t op, uint32_t addr, uint32_t val)
{
    const uint32_t args[2] = {addr, val};

    /* Arguments first: the firmware acts as soon as it sees the op. */
    mbox_write(b, FW_DMA_ADDR, args, 2);
    mbox_write(b, FW_DMA_OP, &op, 1);
    for (int i = 0; i < 200; i++) {
        int rc = vboard_run_ns(b, 1000);

        if (rc == VBOARD_STOP_FAULT)
            fail_msg("board fault: %s", vboard_fault(b));
        if (mbox(b, FW_DMA_OP) == FW_DMA_OP_NONE)
            return mbox(b, FW_DMA_RES);
    }
    fail_msg("firmware did not serve op %u at 0x%08x", (unsigned)op,
             (unsigned)addr);
    return 0;
}

static uint32_t rd(vboard_t *b, uint32_t addr)
{
    return fw_op(b, FW_DMA_OP_READ, addr, 0);
}

static void wr(vboard_t *b, uint32_t addr, uint32_t val)
{
    fw_op(b, FW_DMA_OP_WRITE, addr, val);
}

/* A powered board whose firmware has set up SPI1 and waits for
 * operations; the DMA buffer holds SENTINEL; the master selects the
 * slave. */
static vboard_t *board_new(void)
{
    vboard_t *b = vboard_create(NULL);
    uint8_t fill[BUF_LEN];
    const uint32_t idle[2] = {FW_DMA_OP_NONE, 0}; /* OP, READY: SRAM is junk */

    assert_non_null(b);
    assert_int_equal(vboard_load_elf(b, VB_DMA_FW_ELF), 0);
    vboard_reset(b, VBOARD_RESET_POWER);
    mbox_write(b, FW_DMA_OP, idle, 2);
    for (int i = 0; i < 100 && mbox(b, FW_DMA_READY) != FW_DMA_MAGIC; i++)
        assert_int_equal(vboard_run_ns(b, 10000), VBOARD_STOP_TIME);
    assert_int_equal(mbox(b, FW_DMA_READY), FW_DMA_MAGIC);
    memset(fill, SENTINEL, sizeof fill);
    assert_int_equal(vboard_write_mem(b, BUF, fill, sizeof fill), 0);
    vboard_spi_set_cs(b, true);
    return b;
}

static uint32_t flags(vboard_t *b, unsigned s)
{
    return (rd(b, DMA_ISR(s)) >> s_flag_shift[s % 4]) & F_ALL;
}

static void clear_flags(vboard_t *b, unsigned s)
{
    wr(b, DMA_IFCR(s), F_ALL << s_flag_shift[s % 4]);
}

/* Program stream s for peripheral-to-memory from SPI1_DR: n bytes to mem,
 * on channel ch, memory increment if minc, then enable it. */
static void rx_stream(vboard_t *b, unsigned s, unsigned ch, bool minc,
                      uint32_t mem, uint32_t n)
{
    wr(b, DMA_SCR(s), 0);
    clear_flags(b, s);
    wr(b, DMA_SPAR(s), SPI1_DR);
    wr(b, DMA_SM0AR(s), mem);
    wr(b, DMA_SNDTR(s), n);
    wr(b, DMA_SCR(s), DMA_CR_CHSEL(ch) | (minc ? DMA_CR_MINC : 0) | DMA_CR_EN);
}

static void send(vboard_t *b, uint8_t v)
{
    assert_int_equal(vboard_spi_xfer(b, &v, NULL, 1), 0);
}

static uint8_t mem8(vboard_t *b, uint32_t addr)
{
    uint8_t v;

    assert_int_equal(vboard_read_mem(b, addr, &v, 1), 0);
    return v;
}

static uint64_t overruns(vboard_t *b)
{
    uint64_t o;

    vboard_spi_stats(b, NULL, &o, NULL);
    return o;
}

static void rx_counts_down_sets_flags_and_increments(void **state)
{
    vboard_t *b = board_new();

    (void)state;
    rx_stream(b, 0, 3, true, BUF, 8);
    wr(b, SPI1_CR2, SPI_CR2_RXDMAEN);
    assert_int_equal(rd(b, DMA_SNDTR(0)), 8);
    assert_true(rd(b, DMA_SCR(0)) & DMA_CR_EN);
    for (unsigned i = 0; i < 8; i++) {
        send(b, (uint8_t)(0x30 + i));
        /* One byte, one transfer: NDTR counts what is left. */
        assert_int_equal(rd(b, DMA_SNDTR(0)), 7 - i);
        /* DR was read by the DMA: nothing waits for the CPU. */
        assert_int_equal(rd(b, SPI1_SR) & SPI_SR_RXNE, 0);
        assert_int_equal(mem8(b, BUF + i), 0x30 + i);
        assert_int_equal(mem8(b, BUF + i + 1), SENTINEL);
        /* Half transfer at NDTR = 4, transfer complete at 0 only. */
        assert_int_equal(flags(b, 0),
                         (i >= 3 ? F_HTIF : 0) | (i == 7 ? F_TCIF : 0));
        /* The address register itself does not move (RM0090 10.5.7). */
        assert_int_equal(rd(b, DMA_SM0AR(0)), BUF);
    }
    /* Normal mode: the stream disabled itself at NDTR = 0. */
    assert_int_equal(rd(b, DMA_SCR(0)) & DMA_CR_EN, 0);
    assert_int_equal(overruns(b), 0);

    /* The next byte stays in DR for the CPU; the one after overruns. */
    send(b, 0x40);
    assert_int_equal(mem8(b, BUF + 8), SENTINEL);
    assert_int_equal(rd(b, SPI1_SR) & (SPI_SR_RXNE | SPI_SR_OVR), SPI_SR_RXNE);
    send(b, 0x41);
    assert_int_equal(overruns(b), 1);
    assert_int_equal(rd(b, SPI1_SR) & (SPI_SR_RXNE | SPI_SR_OVR),
                     SPI_SR_RXNE | SPI_SR_OVR);
    /* DR then SR clears OVR; DR holds the byte before the lost one. */
    assert_int_equal(rd(b, SPI1_DR) & 0xFFu, 0x40);
    assert_true(rd(b, SPI1_SR) & SPI_SR_OVR);
    assert_int_equal(rd(b, SPI1_SR) & (SPI_SR_RXNE | SPI_SR_OVR), 0);

    /* Flags clear by writing 1 to the IFCR bits. */
    clear_flags(b, 0);
    assert_int_equal(flags(b, 0), 0);
    vboard_destroy(b);
}

static void rx_without_minc_and_the_stream_mapping(void **state)
{
    vboard_t *b = board_new();

    (void)state;
    wr(b, SPI1_CR2, SPI_CR2_RXDMAEN);
    /* Stream 1 has no SPI1 request, and stream 0 on channel 0 neither
     * (RM0090 table 43: SPI1_RX is channel 3 of streams 0 and 2). */
    rx_stream(b, 1, 3, true, BUF, 4);
    rx_stream(b, 0, 0, true, BUF + 8, 4);
    send(b, 0x11);
    assert_int_equal(rd(b, DMA_SNDTR(1)), 4);
    assert_int_equal(rd(b, DMA_SNDTR(0)), 4);
    assert_int_equal(mem8(b, BUF), SENTINEL);
    assert_int_equal(mem8(b, BUF + 8), SENTINEL);
    assert_int_equal(rd(b, SPI1_SR) & SPI_SR_RXNE, SPI_SR_RXNE);
    wr(b, DMA_SCR(1), 0);
    wr(b, DMA_SCR(0), 0);

    /* Stream 2, memory address fixed: every byte lands on BUF + 16. The
     * byte already waiting in DR is a pending request: it moves as soon
     * as the stream is enabled. */
    rx_stream(b, 2, 3, false, BUF + 16, 4);
    assert_int_equal(rd(b, DMA_SNDTR(2)), 3);
    assert_int_equal(mem8(b, BUF + 16), 0x11);
    send(b, 0x22);
    send(b, 0x33);
    assert_int_equal(mem8(b, BUF + 16), 0x33);
    assert_int_equal(flags(b, 2), F_HTIF);
    send(b, 0x44);
    assert_int_equal(mem8(b, BUF + 16), 0x44);
    assert_int_equal(mem8(b, BUF + 17), SENTINEL);
    assert_int_equal(mem8(b, BUF + 15), SENTINEL);
    assert_int_equal(rd(b, DMA_SNDTR(2)), 0);
    assert_int_equal(flags(b, 2), F_HTIF | F_TCIF);
    /* Stream 2's flags are bits 16-21 of LISR; streams 0 and 1 (bits 0-5,
     * 6-11) only show the TCIF of being disabled by software. */
    assert_int_equal(rd(b, DMA_ISR(2)),
                     ((F_HTIF | F_TCIF) << 16) | (F_TCIF << 6) | F_TCIF);
    assert_int_equal(overruns(b), 0);
    vboard_destroy(b);
}

static void stream_disabled_mid_transfer(void **state)
{
    vboard_t *b = board_new();

    (void)state;
    rx_stream(b, 0, 3, true, BUF, 16);
    wr(b, SPI1_CR2, SPI_CR2_RXDMAEN);
    for (unsigned i = 0; i < 5; i++)
        send(b, (uint8_t)(0x50 + i));
    assert_int_equal(rd(b, DMA_SNDTR(0)), 11);
    /* While the stream runs its set-up registers are locked (RM0090
     * 10.5.5-10.5.7). */
    wr(b, DMA_SNDTR(0), 100);
    wr(b, DMA_SM0AR(0), BUF + 32);
    assert_int_equal(rd(b, DMA_SNDTR(0)), 11);
    assert_int_equal(rd(b, DMA_SM0AR(0)), BUF);

    /* Software clears EN: the stream stops at once (direct mode has no
     * FIFO to flush), NDTR keeps what was left, and the end of the
     * transfer is reported with TCIF (RM0090 10.3.14). */
    wr(b, DMA_SCR(0), rd(b, DMA_SCR(0)) & ~DMA_CR_EN);
    assert_int_equal(rd(b, DMA_SCR(0)) & DMA_CR_EN, 0);
    assert_int_equal(rd(b, DMA_SNDTR(0)), 11);
    assert_int_equal(flags(b, 0) & F_TCIF, F_TCIF);
    send(b, 0x60);
    assert_int_equal(mem8(b, BUF + 5), SENTINEL);
    assert_int_equal(rd(b, SPI1_SR) & SPI_SR_RXNE, SPI_SR_RXNE);
    for (unsigned i = 0; i < 5; i++)
        assert_int_equal(mem8(b, BUF + i), 0x50 + i);

    /* Re-armed where the bootloader would (flags cleared first): the byte
     * waiting in DR goes first. */
    rx_stream(b, 0, 3, true, BUF + 32, 2);
    assert_int_equal(mem8(b, BUF + 32), 0x60);
    send(b, 0x61);
    assert_int_equal(mem8(b, BUF + 33), 0x61);
    assert_int_equal(flags(b, 0), F_HTIF | F_TCIF);
    assert_int_equal(overruns(b), 0);
    vboard_destroy(b);
}

/* Overrun with a stream armed: RXDMAEN off while bytes arrive, so the
 * second one overruns. Enabling the request hands the held byte to the
 * DMA; the bytes that follow are lost until the CPU completes the clear
 * sequence (the DMA's DR read counts as its first half, RM0090 28.4.8). */
static void overrun_with_a_stream_armed(void **state)
{
    vboard_t *b = board_new();

    (void)state;
    rx_stream(b, 0, 3, true, BUF, 8);
    send(b, 0x71);
    send(b, 0x72);
    assert_int_equal(overruns(b), 1);
    assert_int_equal(rd(b, DMA_SNDTR(0)), 8);
    wr(b, SPI1_CR2, SPI_CR2_RXDMAEN);
    assert_int_equal(rd(b, DMA_SNDTR(0)), 7);
    assert_int_equal(mem8(b, BUF), 0x71);
    send(b, 0x73); /* lost: OVR is still set */
    assert_int_equal(rd(b, DMA_SNDTR(0)), 7);
    assert_int_equal(mem8(b, BUF + 1), SENTINEL);
    /* The SR read that reports OVR also completes the clear sequence. */
    assert_true(rd(b, SPI1_SR) & SPI_SR_OVR);
    assert_int_equal(rd(b, SPI1_SR) & SPI_SR_OVR, 0);
    send(b, 0x74);
    assert_int_equal(rd(b, DMA_SNDTR(0)), 6);
    assert_int_equal(mem8(b, BUF + 1), 0x74);
    assert_int_equal(overruns(b), 1);
    vboard_destroy(b);
}

/* Targets a DMA cannot write end the transfer with TEIF and a disabled
 * stream; with the DMA2 clock off no request is served at all. */
static void transfer_errors_and_clock_gate(void **state)
{
    vboard_t *b = board_new();
    const uint32_t bad[] = {0x08080000u /* flash */, 0x10000000u /* CCM */};

    (void)state;
    wr(b, SPI1_CR2, SPI_CR2_RXDMAEN);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rx_stream(b, 2, 3, true, bad[i], 4);
        send(b, 0x80);
        assert_int_equal(flags(b, 2), F_TEIF);
        assert_int_equal(rd(b, DMA_SCR(2)) & DMA_CR_EN, 0);
        assert_int_equal(rd(b, DMA_SNDTR(2)), 4);
        (void)rd(b, SPI1_DR);
    }
    assert_int_equal(mem8(b, 0x08080000u), 0xFF); /* flash untouched */

    wr(b, RCC_AHB1ENR, rd(b, RCC_AHB1ENR) & ~RCC_AHB1_DMA2);
    rx_stream(b, 0, 3, true, BUF, 4); /* writes ignored: clock off */
    send(b, 0x90);
    assert_int_equal(mem8(b, BUF), SENTINEL);
    assert_int_equal(rd(b, SPI1_SR) & SPI_SR_RXNE, SPI_SR_RXNE);
    wr(b, RCC_AHB1ENR, rd(b, RCC_AHB1ENR) | RCC_AHB1_DMA2);
    assert_int_equal(rd(b, DMA_SNDTR(0)), 0);
    rx_stream(b, 0, 3, true, BUF, 4);
    assert_int_equal(mem8(b, BUF), 0x90);
    vboard_destroy(b);
}

/* A stream on SPI1's request whose peripheral address is not SPI1_DR is
 * outside the model: the board stops with a fault naming it. */
static void wrong_peripheral_address_is_a_fault(void **state)
{
    vboard_t *b = board_new();
    const char *f;

    (void)state;
    wr(b, DMA_SCR(0), 0);
    clear_flags(b, 0);
    wr(b, DMA_SPAR(0), 0x40013008u); /* SR, not DR */
    wr(b, DMA_SM0AR(0), BUF);
    wr(b, DMA_SNDTR(0), 4);
    wr(b, DMA_SCR(0), DMA_CR_CHSEL(3) | DMA_CR_MINC | DMA_CR_EN);
    wr(b, SPI1_CR2, SPI_CR2_RXDMAEN);
    send(b, 0x01);
    assert_int_equal(vboard_run_ns(b, 1000), VBOARD_STOP_FAULT);
    f = vboard_fault(b);
    assert_non_null(f);
    assert_non_null(strstr(f, "DMA2 stream 0"));
    assert_int_equal(mem8(b, BUF), SENTINEL);
    vboard_destroy(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rx_counts_down_sets_flags_and_increments),
        cmocka_unit_test(rx_without_minc_and_the_stream_mapping),
        cmocka_unit_test(stream_disabled_mid_transfer),
        cmocka_unit_test(overrun_with_a_stream_armed),
        cmocka_unit_test(transfer_errors_and_clock_gate),
        cmocka_unit_test(wrong_peripheral_address_is_a_fault),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
