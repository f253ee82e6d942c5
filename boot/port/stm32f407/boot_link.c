/*
 * boot_link.c - update mode on the chip: SPI1 as a slave and USART1, both
 * feeding the protocol engine (boot_proto.h).
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
 * service.
 *
 * Receive: every byte the host clocks lands in a ring in SRAM by DMA2
 * stream 0 (channel 3 = SPI1_RX, RM0090 table 43) in circular mode
 * (RM0090 10.3.9), so bytes clocked back to back at full SCK are never
 * lost to an overrun however long the CPU takes for one of them; the loop
 * hands them to the engine in order (bulk payloads straight into the
 * engine's buffer, boot_proto_spi_rx_window).
 *
 * Transmit: SPI1 shifts out the transmit buffer at the start of every byte
 * and sends the same byte again when nothing new was written (RM0090
 * 28.3.3), so the loop writes DR with the engine's latest output and a
 * byte the engine wants repeated (the held ACK, the busy filler) simply
 * stays. Answers (Get, Get Version, Get ID, Read Memory, checksum, status)
 * go out by DMA2 stream 3 (channel 3 = SPI1_TX), armed while the ACK is
 * held and started the moment the ACK-of-ACK arrives, so the host may
 * clock them back to back. The one latency-critical moment is that
 * ACK-of-ACK: the first answer byte must be in the buffer before the byte
 * after the host's dummy begins; while the engine holds an ACK the loop
 * spins on the ring alone (fw_spi_hold) and reacts within a few dozen
 * cycles. docs/protocol.md "Host compatibility" gives the measured timing.
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
#include "regs/flash.h"
#include "regs/rcc.h"
#include "regs/scb.h"
#include "regs/spi.h"
#include "regs/usart.h"

#define FW_NSS_PIN 4
#define FW_DMA_RX_STREAM 0
#define FW_DMA_TX_STREAM 3
#define FW_DMA_SPI1_CHANNEL 3
/* Receive ring: the loop may fall this far behind the host (64 us at
 * 8 MHz; its longest pass with bytes pending is a few us, and payloads
 * leave the ring by block copies). The only longer stalls, a commit's
 * journal append or a status block, happen while the host polls, and a
 * ring lapped by polls loses nothing. */
#define FW_RING_SIZE 64u
/* Stream 3's flags in LISR/LIFCR (bits 22-27). */
#define FW_DMA_TX_FLAGS (DMA_LIFCR_ALL0 << 22)

static uint8_t s_ring[FW_RING_SIZE];

/* Longest wait on a held ACK without polling the engine. */
#define FW_HOLD_SLICE_MS 16u

/* Interrupts that end a sleep (RM0090 table 61), never taken: they and
 * SysTick sit at a priority BASEPRI masks, and a pending interrupt wakes
 * WFI whatever PRIMASK says (ARMv7-M B1.5.19), so the sleep drops BASEPRI
 * under PRIMASK. The one interrupt taken is the FLASH global interrupt,
 * above BASEPRI: it chains the words of a run (fw_flash_irq). */
#define FW_IRQ_FLASH 4u
#define FW_IRQ_SPI1 35u
#define FW_IRQ_USART1 37u
#define FW_WAKE_BITS                                                           \
    ((1u << (FW_IRQ_SPI1 - 32u)) | (1u << (FW_IRQ_USART1 - 32u)))
#define FW_PRIO_FLASH 0x00u
#define FW_PRIO_WAKE 0x80u /* = BASEPRI: masked */

static FW_RAMFUNC void fw_wake_clear(void)
{
    NVIC_ICPR(1) = FW_WAKE_BITS;
    SCB_ICSR = SCB_ICSR_PENDSTCLR;
}

/* Sleep until an SPI byte, a UART character, the next SysTick (1 ms) or
 * the end of a flash operation, whichever comes first. Call with the
 * wake-ups cleared (fw_wake_clear) before the check that found nothing to
 * do, so none is missed. */
static FW_RAMFUNC void fw_sleep(void)
{
    __asm__ volatile("cpsid i\n\t"
                     "msr basepri, %0\n\t"
                     "dsb\n\t"
                     "wfi\n\t"
                     "msr basepri, %1\n\t"
                     "cpsie i"
                     :
                     : "r"(0u), "r"(FW_PRIO_WAKE)
                     : "memory");
}

/* Update mode sleeps whenever the link is idle: the wake-up sources, and
 * the flash interrupt. */
static void fw_wake_setup(void)
{
    uint32_t basepri = FW_PRIO_WAKE;

    __asm__ volatile("cpsid i" ::: "memory");
    SPI_CR2(SPI1) |= SPI_CR2_RXNEIE;
    USART_CR1(USART1) |= USART_CR1_RXNEIE;
    STK_CSR |= STK_CSR_TICKINT;
    NVIC_IPR8(FW_IRQ_SPI1) = FW_PRIO_WAKE;
    NVIC_IPR8(FW_IRQ_USART1) = FW_PRIO_WAKE;
    NVIC_IPR8(FW_IRQ_FLASH) = FW_PRIO_FLASH;
    SCB_SHPR3 = (SCB_SHPR3 & 0x00FFFFFFu) | (FW_PRIO_WAKE << 24);
    fw_wake_clear();
    NVIC_ICPR(0) = 1u << FW_IRQ_FLASH;
    NVIC_ISER(1) = FW_WAKE_BITS;
    NVIC_ISER(0) = 1u << FW_IRQ_FLASH;
    __asm__ volatile("msr basepri, %0\n\tcpsie i" ::"r"(basepri) : "memory");
}

/* Undo fw_wake_setup when update mode ends (the chip resets right after,
 * but the handover stays clean). */
static void fw_wake_teardown(void)
{
    __asm__ volatile("cpsid i\n\tmsr basepri, %0" ::"r"(0u) : "memory");
    NVIC_ICER(0) = 1u << FW_IRQ_FLASH;
    NVIC_ICER(1) = FW_WAKE_BITS;
    STK_CSR &= ~STK_CSR_TICKINT;
    USART_CR1(USART1) &= ~USART_CR1_RXNEIE;
    fw_wake_clear();
    NVIC_ICPR(0) = 1u << FW_IRQ_FLASH;
}

/* An erase in flight (SER stays set while the sector is erased, RM0090
 * 3.6.3): nothing for the loop to do for a millisecond. */
static FW_RAMFUNC bool fw_flash_erasing(void)
{
    return (FLASH_SR & FLASH_SR_BSY) && (FLASH_CR & FLASH_CR_SER);
}
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

/* Enable DMA2 stream x for SPI1 (channel 3, RM0090 table 43) with its
 * flags clear: n byte-wide items between mem and SPI1_DR, memory
 * increment, direct mode, high priority; mode adds the direction and
 * circular mode. */
static FW_RAMFUNC void fw_spi_stream(unsigned x, const void *mem, uint32_t n,
                                     uint32_t mode)
{
    DMA2_SPAR(x) = (uint32_t)(uintptr_t)&SPI_DR(SPI1);
    DMA2_SM0AR(x) = (uint32_t)(uintptr_t)mem;
    DMA2_SNDTR(x) = n;
    DMA2_SFCR(x) = 0;
    DMA2_SCR(x) = DMA_SCR_CHSEL(FW_DMA_SPI1_CHANNEL) | DMA_SCR_PL_HIGH |
                  DMA_SCR_MINC | mode | DMA_SCR_EN;
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
    /* The receive ring: stream first, then the SPI's request, then the
     * SPI (RM0090 28.3.9). Peripheral to memory, byte wide, memory
     * increment, circular, direct mode. */
    DMA2_SCR(FW_DMA_RX_STREAM) = 0;
    DMA2_LIFCR = DMA_LIFCR_ALL0 | FW_DMA_TX_FLAGS;
    fw_spi_stream(FW_DMA_RX_STREAM, s_ring, FW_RING_SIZE,
                  DMA_SCR_CIRC | DMA_SCR_DIR_P2M);
    SPI_CR2(SPI1) = SPI_CR2_RXDMAEN;
    SPI_CR1(SPI1) |= SPI_CR1_SPE;
    fw_wake_setup();
}

void fw_spi_slave_deinit(void)
{
    fw_wake_teardown();
    SPI_CR2(SPI1) = 0;
    DMA2_SCR(FW_DMA_RX_STREAM) = 0;
    DMA2_SCR(FW_DMA_TX_STREAM) = 0;
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

/* The SPI side of the loop: the ring's read position and the answer being
 * sent by DMA. */
struct fw_spi {
    uint32_t rd;      /* next ring byte to hand to the engine */
    uint32_t armed;   /* bytes armed on the TX stream (0: not armed) */
    uint32_t tx_left; /* received bytes still inside the DMA'd answer */
};

/* Where the DMA writes the next byte: NDTR counts down from the ring
 * size and reloads at 0. */
static FW_RAMFUNC uint32_t fw_ring_wr(void)
{
    uint32_t left = DMA2_SNDTR(FW_DMA_RX_STREAM);

    return left == 0 || left > FW_RING_SIZE ? 0 : FW_RING_SIZE - left;
}

static FW_RAMFUNC void fw_spi_tx_stop(struct fw_spi *sp)
{
    SPI_CR2(SPI1) &= ~SPI_CR2_TXDMAEN;
    DMA2_SCR(FW_DMA_TX_STREAM) = 0;
    DMA2_LIFCR = FW_DMA_TX_FLAGS;
    sp->armed = 0;
    sp->tx_left = 0;
}

/* Arm (or drop) the TX stream for the answer behind the held ACK: the
 * stream is enabled, but moves nothing until TXDMAEN raises the request.
 * Memory to peripheral, byte wide, memory increment, direct mode. */
static FW_RAMFUNC void fw_spi_tx_arm(boot_proto_t *spi, struct fw_spi *sp)
{
    const uint8_t *src;
    uint32_t n;

    if (sp->tx_left != 0)
        return;
    n = (uint32_t)boot_proto_spi_tx_window(spi, &src);
    if (n == sp->armed)
        return;
    fw_spi_tx_stop(sp);
    if (n == 0)
        return;
    fw_spi_stream(FW_DMA_TX_STREAM, src, n, DMA_SCR_DIR_M2P);
    sp->armed = n;
}

/* The ACK-of-ACK while the engine holds an ACK: what the host clocks next
 * must be ready within a byte time. For an armed answer, the host's next
 * byte is the answer's dummy: if it has not begun yet it gets a dummy from
 * the buffer (the stream waits for it to be taken), if it has it is
 * shifting out the held ACK again, and the stream fills the buffer with
 * the first answer byte at once. Otherwise the held ACK stops: the busy
 * filler replaces it before the host can poll again. */
static FW_RAMFUNC void fw_spi_ackack(boot_proto_t *spi, struct fw_spi *sp)
{
    uint8_t out;

    if (sp->armed != 0) {
        if (!(SPI_SR(SPI1) & SPI_SR_BSY))
            SPI_DR(SPI1) = FOTA_PROTO_DUMMY;
        SPI_CR2(SPI1) |= SPI_CR2_TXDMAEN;
        sp->tx_left = sp->armed;
        sp->armed = 0;
        (void)boot_proto_spi_exchange(spi, FOTA_PROTO_ACK);
        return;
    }
    SPI_DR(SPI1) = FOTA_PROTO_BUSY;
    out = boot_proto_spi_exchange(spi, FOTA_PROTO_ACK);
    SPI_DR(SPI1) = out;
}

/* One received byte to the engine, and the engine's output to DR. */
static FW_RAMFUNC void fw_spi_byte(boot_proto_t *spi, struct fw_spi *sp,
                                   uint8_t rx)
{
    uint8_t out;

    if (rx == FOTA_PROTO_ACK && boot_proto_spi_holding(spi)) {
        fw_spi_ackack(spi, sp);
        return;
    }
    out = boot_proto_spi_exchange(spi, rx);
    if (sp->tx_left != 0) {
        /* The stream sends this byte's successor; the engine counts the
         * same bytes. An answer the engine left early (the host sent a new
         * frame, or its ACK-of-ACK without reading the trailing ACK) stops
         * the stream and gets the engine's byte. */
        if (boot_proto_replying(spi)) {
            if (--sp->tx_left == 0)
                fw_spi_tx_stop(sp);
            return;
        }
        fw_spi_tx_stop(sp);
    }
    SPI_DR(SPI1) = out;
}

/* Hand the ring's new bytes to the engine. */
static FW_RAMFUNC void fw_spi_take(boot_proto_t *spi, struct fw_spi *sp,
                                   uint32_t wr)
{
    while (sp->rd != wr) {
        uint8_t *dst;
        uint32_t n = (uint32_t)boot_proto_spi_rx_window(spi, &dst);

        if (n != 0) {
            /* Payload straight into the engine's buffer. */
            uint32_t avail = wr > sp->rd ? wr - sp->rd : FW_RING_SIZE - sp->rd;

            if (n > avail)
                n = avail;
            memcpy(dst, s_ring + sp->rd, n);
            boot_proto_spi_rx_window_done(spi, n);
            sp->rd = (sp->rd + n) % FW_RING_SIZE;
            continue;
        }
        uint8_t rx = s_ring[sp->rd];

        if (sp->tx_left != 0 && rx != FOTA_PROTO_ACK &&
            rx != FOTA_PROTO_SPI_SYNC) {
            /* The host's dummies while the stream sends the answer: the
             * engine counts them in one call. */
            uint32_t k = 0, i = sp->rd;

            while (i != wr && k < sp->tx_left && s_ring[i] != FOTA_PROTO_ACK &&
                   s_ring[i] != FOTA_PROTO_SPI_SYNC) {
                i = (i + 1) % FW_RING_SIZE;
                k++;
            }
            (void)boot_proto_spi_tx_skip(spi, k);
            sp->rd = i;
            sp->tx_left -= k;
            if (sp->tx_left == 0)
                fw_spi_tx_stop(sp);
            continue;
        }
        sp->rd = (sp->rd + 1) % FW_RING_SIZE;
        /* Polls while an ACK is held or the engine works: nothing to do,
         * and skipping them keeps the loop close behind the host. */
        if (sp->tx_left == 0 && boot_proto_spi_inert(spi, rx)) {
            /* Whether a byte is inert depends on the state alone (and on
             * its not being an ACK-of-ACK or a start of frame), so the
             * rest of such a run goes in one sweep. */
            while (sp->rd != wr && s_ring[sp->rd] != FOTA_PROTO_ACK &&
                   s_ring[sp->rd] != FOTA_PROTO_SPI_SYNC)
                sp->rd = (sp->rd + 1) % FW_RING_SIZE;
            continue;
        }
        fw_spi_byte(spi, sp, rx);
        fw_spi_tx_arm(spi, sp);
    }
}

/* While the engine holds an ACK: spin on the ring alone, for at most
 * FW_HOLD_SLICE_MS (the loop then polls the engine, its deadline and
 * flash work, and the UART once, about 3 us, and comes back). Polls are dropped as they land (they change nothing, see
 * boot_proto_spi_inert); the ACK-of-ACK is answered within a few dozen
 * cycles; a start of frame goes to the engine. Returns true if a byte
 * other than a poll arrived. */
static FW_RAMFUNC bool fw_spi_hold(boot_proto_t *spi, struct fw_spi *sp)
{
    uint32_t t0 = boot_clock_ms();
    uint32_t wr;
    uint8_t rx;

    fw_spi_tx_arm(spi, sp);
    for (;;) {
        uint32_t rd = sp->rd;

        wr = fw_ring_wr();
        if (wr == rd) {
            if (boot_clock_ms() - t0 >= FW_HOLD_SLICE_MS)
                return false;
            if (boot_proto_flash_pending(spi)) {
                /* Streaming chunks keep programming while an ACK waits:
                 * the next word starts as soon as the flash is free. */
                if (!(FLASH_SR & FLASH_SR_BSY))
                    (void)boot_proto_poll(spi, NULL, 0, NULL);
                continue;
            }
            fw_wake_clear();
            if (fw_ring_wr() == rd)
                fw_sleep();
            continue;
        }
        /* A few cycles a byte: the polls that were clocked while the
         * ACK was on its way must not delay the ACK-of-ACK. */
        do {
            rx = s_ring[rd];
            if (rx == FOTA_PROTO_ACK || rx == FOTA_PROTO_SPI_SYNC)
                break;
            rd = (rd + 1) % FW_RING_SIZE;
        } while (rd != wr);
        sp->rd = rd;
        if (rd != wr)
            break;
    }
    if (rx == FOTA_PROTO_ACK) {
        sp->rd = (sp->rd + 1) % FW_RING_SIZE;
        fw_spi_ackack(spi, sp);
        wr = fw_ring_wr();
    }
    fw_spi_take(spi, sp, wr);
    return true;
}

FW_RAMFUNC int fw_link_run(boot_proto_t *spi, boot_proto_t *uart)
{
    uint8_t out[FOTA_PROTO_MAX_RW + 8];
    uint32_t last_ms = boot_clock_ms();
    uint32_t reboot_ms = 0;
    bool rebooting = false;
    bool busy = false; /* flash work queued in either engine */
    bool busy_spi = false, busy_uart = false;
    struct fw_spi sp = {0, 0, 0};

    for (;;) {
        bool progress = false;
        uint32_t wr = fw_ring_wr();

        if (boot_proto_spi_holding(spi) && sp.tx_left == 0) {
            progress = fw_spi_hold(spi, &sp);
        } else if (wr != sp.rd) {
            fw_spi_take(spi, &sp, wr);
            progress = true;
            /* An ACK just handed out: its ACK-of-ACK may follow within
             * two byte times. */
            if (boot_proto_spi_holding(spi) && sp.tx_left == 0)
                (void)fw_spi_hold(spi, &sp);
        }
        if (!progress) {
            int c = fw_uart_getc();
            if (c >= 0) {
                size_t n =
                    boot_proto_uart_rx(uart, (uint8_t)c, out, sizeof out);
                fw_link_uart_send(out, n);
                progress = true;
            } else {
                size_t n = 0;
                busy_spi = boot_proto_poll(spi, NULL, 0, NULL) > 0;
                /* A reply that became ready may bring an answer. */
                fw_spi_tx_arm(spi, &sp);
                /* SPI bytes first: the UART engine's poll waits a turn. */
                if (fw_ring_wr() == sp.rd) {
                    busy_uart = boot_proto_poll(uart, out, sizeof out, &n) > 0;
                    fw_link_uart_send(out, n);
                }
                busy = busy_spi || busy_uart;
                /* Flash work advancing counts as progress: an erase takes
                 * up to 2 s without a host byte. */
                if (busy)
                    progress = true;
            }
        }

        /* Nothing arrived and no flash word is being programmed: sleep
         * until the next byte, character or millisecond. */
        if (!progress || (busy && fw_flash_erasing())) {
            fw_wake_clear();
            if (fw_ring_wr() == sp.rd && !(USART_SR(USART1) & USART_SR_RXNE))
                fw_sleep();
        }

        uint32_t now = boot_clock_ms();
        /* A reply kept for a host that polls late is no reason to leave
         * update mode; the engine's own deadline ends it. */
        bool replying = boot_proto_replying(spi) || boot_proto_replying(uart);
        if (progress || replying) {
            /* Fed only while something happens or a reply waits, never
             * while the link is idle. */
            boot_wdt_kick();
            if (progress)
                last_ms = now;
        }
        if (!rebooting && (boot_proto_take_request(spi) == BOOT_REQ_REBOOT ||
                           boot_proto_take_request(uart) == BOOT_REQ_REBOOT)) {
            rebooting = true;
            reboot_ms = now;
        }
        /* Never leave with flash work in flight: a reset would tear it. */
        if (busy)
            continue;
        if (rebooting && now - reboot_ms >= FW_REBOOT_GRACE_MS)
            return FW_LINK_REBOOT;
        if (!replying && now - last_ms >= FW_UPDATE_IDLE_MS)
            return FW_LINK_IDLE;
    }
}
