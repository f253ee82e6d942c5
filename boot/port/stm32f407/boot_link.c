/*
 * boot_link.c - update mode on the chip: SPI1 as a polled slave and USART1,
 * both feeding the protocol engine (boot_proto.h).
 *
 * SPI1: PA4 NSS, PA5 SCK, PA6 MISO, PA7 MOSI on AF5; mode 0, 8-bit, MSB
 * first. NSS is managed in software (SSM=1, SSI=0: always selected), as
 * ST's OpenBootloader does: the AN4286 byte stream is self-synchronising
 * (0x5A start of frame, complement/XOR checks, NACK and re-sync), a host
 * may raise CS between any two bytes (the ESP32 driver does so per
 * transaction) without the slave losing its place in a frame, and the PA4
 * pin stays readable as the update-mode strap. There is a single slave on
 * the bus, so a MISO driven while CS is high harms nobody.
 *
 * The loop, the engine and everything they call while flash is busy run
 * from SRAM (.ramfunc and the linker script's wholesale placement of the
 * engine and core objects), so erases and writes never stall the bus
 * service: a byte the host clocks during an erase is answered with the
 * engine's busy byte instead of an overrun.
 *
 * Bulk payloads (Write Memory data, streaming-write chunks) are received
 * by DMA2 stream 0 (channel 3 = SPI1_RX) straight into the engine's
 * buffer (boot_proto_spi_rx_window): the host clocks them back to back at
 * full SCK, which one pass of this loop could not follow byte by byte
 * (docs/firmware.md, "SPI service and DMA"). Every other byte is handled
 * by the polled loop, one per host transaction.
 */
#include <stdbool.h>

#include "boot_port.h"
#include "boot_proto.h"
#include "fota/fota_nomalloc.h"
#include "fota/fota_proto.h"
#include "fw_hw.h"
#include "fw_port.h"
#include "regs/dma.h"
#include "regs/gpio.h"
#include "regs/rcc.h"
#include "regs/spi.h"

#define FW_NSS_PIN 4
#define FW_DMA_RX_STREAM 0
#define FW_DMA_SPI1_CHANNEL 3
#define FW_STRAP_SAMPLES 8

bool fw_strap_update_requested(void)
{
    RCC_AHB1ENR |= RCC_AHB1ENR_GPIOAEN;
    (void)RCC_AHB1ENR;
    GPIO_MODER(GPIOA) &= ~GPIO_MODE_MASK(FW_NSS_PIN);
    GPIO_PUPDR(GPIOA) = (GPIO_PUPDR(GPIOA) & ~GPIO_PUPD_MASK(FW_NSS_PIN)) |
                        GPIO_PUPD(FW_NSS_PIN, GPIO_PUPD_PULLUP);
    /* A GPIO block that does not hold its configuration (an emulator
     * without one reads 0) cannot report the pin: ignore the strap rather
     * than take every boot into update mode. */
    if ((GPIO_PUPDR(GPIOA) & GPIO_PUPD_MASK(FW_NSS_PIN)) !=
        GPIO_PUPD(FW_NSS_PIN, GPIO_PUPD_PULLUP))
        return false;
    /* Let the ~40 kOhm pull-up charge the line before the first sample. */
    for (volatile uint32_t n = 0; n < 2000u; n++) {
    }
    /* Low on every sample: a glitch must not keep us out of the
     * application. */
    for (unsigned i = 0; i < FW_STRAP_SAMPLES; i++) {
        if (GPIO_IDR(GPIOA) & (1u << FW_NSS_PIN))
            return false;
        for (volatile uint32_t n = 0; n < 200u; n++) {
        }
    }
    return true;
}

void fw_spi_slave_init(void)
{
    RCC_AHB1ENR |= RCC_AHB1ENR_GPIOAEN | RCC_AHB1ENR_DMA2EN;
    RCC_APB2ENR |= RCC_APB2ENR_SPI1EN;
    (void)RCC_APB2ENR;
    RCC_APB2RSTR |= RCC_APB2RSTR_SPI1RST;
    RCC_APB2RSTR &= ~RCC_APB2RSTR_SPI1RST;

    uint32_t mode_mask = 0, mode = 0, af_mask = 0, af = 0, sp_mask = 0, sp = 0;
    for (unsigned pin = 4; pin <= 7; pin++) {
        mode_mask |= GPIO_MODE_MASK(pin);
        mode |= GPIO_MODE(pin, GPIO_MODE_AF);
        af_mask |= GPIO_AFR_MASK(pin);
        af |= GPIO_AFR(pin, GPIO_AF5);
        sp_mask |= GPIO_OSPEED_MASK(pin);
        sp |= GPIO_OSPEED(pin, GPIO_OSPEED_HIGH);
    }
    GPIO_AFRL(GPIOA) = (GPIO_AFRL(GPIOA) & ~af_mask) | af;
    GPIO_OSPEEDR(GPIOA) = (GPIO_OSPEEDR(GPIOA) & ~sp_mask) | sp;
    /* NSS keeps its pull-up (an unconnected CS reads deselected); SCK and
     * MOSI are pulled down so a floating bus clocks nothing. */
    GPIO_PUPDR(GPIOA) =
        (GPIO_PUPDR(GPIOA) & ~(GPIO_PUPD_MASK(5) | GPIO_PUPD_MASK(7))) |
        GPIO_PUPD(5, GPIO_PUPD_PULLDOWN) | GPIO_PUPD(7, GPIO_PUPD_PULLDOWN);
    GPIO_MODER(GPIOA) = (GPIO_MODER(GPIOA) & ~mode_mask) | mode;

    /* Slave (MSTR=0), CPOL=0 CPHA=0, 8-bit, MSB first, software NSS with
     * SSI=0 (selected). */
    SPI_CR2(SPI1) = 0;
    SPI_CR1(SPI1) = SPI_CR1_SSM;
    /* The first byte the host clocks (its sync 0x5A) reads the sync
     * answer. */
    SPI_DR(SPI1) = FOTA_PROTO_SPI_SYNC_ACK;
    SPI_CR1(SPI1) |= SPI_CR1_SPE;
}

void fw_spi_slave_deinit(void)
{
    DMA2_SCR(FW_DMA_RX_STREAM) = 0;
    RCC_AHB1RSTR |= RCC_AHB1RSTR_DMA2RST;
    RCC_AHB1RSTR &= ~RCC_AHB1RSTR_DMA2RST;
    RCC_AHB1ENR &= ~RCC_AHB1ENR_DMA2EN;
    SPI_CR1(SPI1) = 0;
    RCC_APB2RSTR |= RCC_APB2RSTR_SPI1RST;
    RCC_APB2RSTR &= ~RCC_APB2RSTR_SPI1RST;
    RCC_APB2ENR &= ~RCC_APB2ENR_SPI1EN;
}

static FW_RAMFUNC void fw_link_uart_send(const uint8_t *buf, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fw_uart_putc(buf[i]);
}

/* Start receiving n bytes into dst by DMA: the stream first, then the
 * SPI's request (RM0090 28.3.9). A byte already waiting in DR raises the
 * request at once. Peripheral to memory, byte wide, memory increment,
 * direct mode (no FIFO: each byte is in SRAM as soon as NDTR counts it). */
static FW_RAMFUNC void fw_spi_dma_rx_start(uint8_t *dst, uint32_t n)
{
    DMA2_SCR(FW_DMA_RX_STREAM) = 0;
    DMA2_LIFCR = DMA_LIFCR_ALL0;
    DMA2_SPAR(FW_DMA_RX_STREAM) = (uint32_t)(uintptr_t)&SPI_DR(SPI1);
    DMA2_SM0AR(FW_DMA_RX_STREAM) = (uint32_t)(uintptr_t)dst;
    DMA2_SNDTR(FW_DMA_RX_STREAM) = n;
    DMA2_SFCR(FW_DMA_RX_STREAM) = 0;
    DMA2_SCR(FW_DMA_RX_STREAM) = DMA_SCR_CHSEL(FW_DMA_SPI1_CHANNEL) |
                                 DMA_SCR_PL_HIGH | DMA_SCR_MINC |
                                 DMA_SCR_DIR_P2M | DMA_SCR_EN;
    SPI_CR2(SPI1) |= SPI_CR2_RXDMAEN;
}

static FW_RAMFUNC void fw_spi_dma_rx_stop(void)
{
    SPI_CR2(SPI1) &= ~SPI_CR2_RXDMAEN;
    DMA2_SCR(FW_DMA_RX_STREAM) = 0;
    DMA2_LIFCR = DMA_LIFCR_ALL0;
}

/* The bulk window in progress: win bytes asked for, done of them handed
 * to the engine, the DMA count last seen and when it last moved. */
struct fw_win {
    uint32_t win;
    uint32_t done;
    uint32_t ndtr;
    uint32_t moved_ms;
};

/* Follow a running bulk receive. Bytes already in SRAM go to the engine as
 * they arrive (so the XOR is ready when the last one lands), keeping the
 * newest one back until the stream reports completion. A host that stops
 * in the middle is given the engine's byte deadline, then the frame is
 * abandoned. Returns true when something moved. */
static FW_RAMFUNC bool fw_win_service(boot_proto_t *spi, struct fw_win *w,
                                      uint32_t now)
{
    bool complete = (DMA2_LISR & DMA_LISR_TCIF0) != 0;
    uint32_t ndtr = DMA2_SNDTR(FW_DMA_RX_STREAM);
    uint32_t landed = complete ? w->win : w->win - ndtr;
    bool moved = ndtr != w->ndtr || complete;

    if (!complete && landed > 0)
        landed--;
    if (landed > w->done) {
        boot_proto_spi_rx_window_done(spi, landed - w->done);
        w->done = landed;
    }
    if (moved) {
        w->ndtr = ndtr;
        w->moved_ms = now;
    }
    if (complete) {
        fw_spi_dma_rx_stop();
        w->win = 0;
        return true;
    }
    if (now - w->moved_ms > FOTA_PROTO_BYTE_TIMEOUT_MS) {
        fw_spi_dma_rx_stop();
        boot_proto_reset_link(spi);
        w->win = 0;
        return true;
    }
    return moved;
}

FW_RAMFUNC int fw_link_run(boot_proto_t *spi, boot_proto_t *uart)
{
    uint8_t out[FOTA_PROTO_MAX_RW + 8];
    uint32_t last_ms = boot_clock_ms();
    uint32_t reboot_ms = 0;
    bool rebooting = false;
    int busy = 0; /* flash work queued in either engine */
    struct fw_win w = {0, 0, 0, 0};

    for (;;) {
        bool progress = false;
        uint32_t sr;

        if (w.win != 0) {
            /* DMA owns DR: the CPU keeps the flash busy meanwhile. */
            progress = fw_win_service(spi, &w, boot_clock_ms());
            sr = 0;
        } else {
            sr = SPI_SR(SPI1);
        }
        if (sr & SPI_SR_RXNE) {
            uint8_t rx = (uint8_t)SPI_DR(SPI1);
            uint8_t *dst;
            uint32_t n;

            if (sr & SPI_SR_OVR)
                (void)SPI_SR(SPI1); /* DR then SR read clears OVR */
            SPI_DR(SPI1) = boot_proto_spi_exchange(spi, rx);
            n = (uint32_t)boot_proto_spi_rx_window(spi, &dst);
            if (n != 0) {
                fw_spi_dma_rx_start(dst, n);
                w.win = n;
                w.done = 0;
                w.ndtr = n;
                w.moved_ms = boot_clock_ms();
            }
            progress = true;
        } else {
            int c = fw_uart_getc();
            if (c >= 0) {
                size_t n =
                    boot_proto_uart_rx(uart, (uint8_t)c, out, sizeof out);
                fw_link_uart_send(out, n);
                progress = true;
            } else {
                size_t n = 0;
                busy = boot_proto_poll(spi, NULL, 0, NULL) > 0;
                busy |= boot_proto_poll(uart, out, sizeof out, &n) > 0;
                fw_link_uart_send(out, n);
                /* Flash work advancing counts as progress: an erase takes
                 * up to 2 s without a host byte. */
                if (busy > 0)
                    progress = true;
            }
        }

        uint32_t now = boot_clock_ms();
        if (progress) {
            /* Fed only while something happens, never while waiting. */
            boot_wdt_kick();
            last_ms = now;
        }
        if (!rebooting && (boot_proto_take_request(spi) == BOOT_REQ_REBOOT ||
                           boot_proto_take_request(uart) == BOOT_REQ_REBOOT)) {
            rebooting = true;
            reboot_ms = now;
        }
        /* Never leave with flash work in flight: a reset would tear it. */
        if (busy || w.win != 0)
            continue;
        if (rebooting && now - reboot_ms >= FW_REBOOT_GRACE_MS)
            return FW_LINK_REBOOT;
        if (now - last_ms >= FW_UPDATE_IDLE_MS)
            return FW_LINK_IDLE;
    }
}
