/*
 * boot_proto.h - the bootloader's command engine: ST's SPI bootloader
 * protocol (AN4286) and the UART form (AN3155) over the same commands,
 * with the policy of boot_core.h. Portable, polled, no heap.
 *
 * The engine is a byte-driven state machine so that the same code runs on
 * the chip (a polled SPI1 slave loop in SRAM), on the simulated wire and on
 * the virtual board. It never blocks on flash inside a byte handler: flash
 * work (erase, programming) is queued and advanced by boot_proto_poll(),
 * using the non-blocking port functions, while bytes keep being answered
 * with FOTA_PROTO_BUSY. The final ACK of a long operation is sent only when
 * its work is done.
 *
 * Port loop (SPI):   for (;;) { if (rx ready) DR = boot_proto_spi_exchange(p, DR);
 *                               else boot_proto_poll(p); }
 * Port loop (UART):  for (;;) { if (rx ready) send(out, boot_proto_uart_rx(p, b, out, n));
 *                               else boot_proto_poll(p) (and send what it returns); }
 */
#ifndef BOOT_PROTO_H
#define BOOT_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boot_core.h"

enum boot_link {
    BOOT_LINK_SPI = 0,
    BOOT_LINK_UART = 1,
};

/* What the engine asks the port to do once the current exchange is over. */
enum boot_request {
    BOOT_REQ_NONE = 0,
    BOOT_REQ_REBOOT = 1, /* Go or FOTA_OP_REBOOT: re-run the boot decision */
};

#include "boot_proto_state.h" /* struct boot_proto (engine internals) */

typedef struct boot_proto boot_proto_t;

/* Bind an engine to a boot context for one link. */
void boot_proto_init(boot_proto_t *p, boot_ctx_t *ctx, enum boot_link link);

/* SPI: the master clocked one byte; rx is what it sent. Returns the byte the
 * slave loads for the next exchange. */
uint8_t boot_proto_spi_exchange(boot_proto_t *p, uint8_t rx);

/* SPI bulk receive (optional; a port that calls only
 * boot_proto_spi_exchange() works unchanged). Returns how many of the next
 * bytes of the phase being received are plain payload that the port may
 * receive straight into *dst, e.g. by DMA, without an exchange call per
 * byte: the data of a Write Memory and of a streaming write's buffer 2,
 * once their size header is in. The phase's XOR byte is never part of the
 * window (it comes through boot_proto_spi_exchange()). 0 when the next byte
 * needs the engine. While the window is being received the slave's output
 * is not defined (the host ignores it). */
size_t boot_proto_spi_rx_window(boot_proto_t *p, uint8_t **dst);

/* The next n bytes of the window (all of it, or a part; parts follow each
 * other in order) have landed in *dst:
 * account for them exactly as if each had come through
 * boot_proto_spi_exchange() (XOR, counts, deadline). Ignored if the frame
 * was abandoned meanwhile. */
void boot_proto_spi_rx_window_done(boot_proto_t *p, size_t n);

/* UART: one byte received. Writes the bytes to transmit into out (at most
 * out_cap) and returns their count. */
size_t boot_proto_uart_rx(boot_proto_t *p, uint8_t rx, uint8_t *out,
                          size_t out_cap);

/* Advance queued flash work. For UART, bytes that became ready (the final
 * ACK of an erase) are written to out. Returns 1 while work remains,
 * 0 when idle; *out_len (may be NULL on SPI) gets the byte count. */
int boot_proto_poll(boot_proto_t *p, uint8_t *out, size_t out_cap,
                    size_t *out_len);

/* Whether the engine is offering a reply (SPI: an ACK/NACK waiting for
 * its ACK-of-ACK, or answer bytes being clocked out): the port does not
 * treat the link as idle meanwhile; the engine's reply deadline ends it. */
bool boot_proto_replying(const boot_proto_t *p);

/* Whether flash work is queued or running (streaming chunks, a write or
 * erase job, a held write tail to program): boot_proto_poll() has
 * something to advance. */
bool boot_proto_flash_pending(const boot_proto_t *p);

/* SPI: the ACK/NACK has been handed out and is being held until the
 * host's ACK-of-ACK (the port's latency-critical moment: what follows the
 * ACK-of-ACK must be in the transmit buffer within a byte time). */
bool boot_proto_spi_holding(const boot_proto_t *p);

/* SPI: whether receiving rx now would change nothing, neither the engine's
 * state nor the byte the slave shifts out (a poll while an ACK/NACK is
 * held or while the engine works): a port that lags behind the host may
 * drop such bytes without calling boot_proto_spi_exchange(), to catch up
 * before the next byte that matters. */
bool boot_proto_spi_inert(const boot_proto_t *p, uint8_t rx);

/* SPI: the answer that follows the held ACK once the ACK-of-ACK arrives,
 * after its leading dummy byte: a port may arm a transmit DMA with these
 * bytes beforehand and start it the moment the ACK-of-ACK is received. The
 * host clocks the dummy byte first (any byte may go out for it), then the
 * window, one byte per exchange; the port keeps calling
 * boot_proto_spi_exchange() for each received byte (its return value is
 * the same byte the DMA sends, and may be ignored). 0 when no answer
 * follows. The window ends with the ACK that is then held, or with the
 * idle filler FOTA_PROTO_BUSY. */
size_t boot_proto_spi_tx_window(const boot_proto_t *p, const uint8_t **src);

/* SPI: the host clocked n more bytes of the answer being sent, none of
 * them an ACK-of-ACK or a start of frame: account for them as n calls of
 * boot_proto_spi_exchange() would, at once. Returns how many bytes were
 * still part of the answer (<= n). */
size_t boot_proto_spi_tx_skip(boot_proto_t *p, size_t n);

/* Take (and clear) the pending enum boot_request. */
int boot_proto_take_request(boot_proto_t *p);

/* Abort any frame in progress (NSS released, reset of the link): the engine
 * waits for a new sync/command. Queued flash work still completes. */
void boot_proto_reset_link(boot_proto_t *p);

#endif /* BOOT_PROTO_H */
