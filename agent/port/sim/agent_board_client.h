/*
 * agent_board_client.h - the agent's target ports on a running `fota board`
 * (the virtual STM32F407 running the real bootloader and application, see
 * docs/virtual-board.md), reached over its UNIX stream socket:
 *
 *  - spi: every transaction is one `X` request (split at the 4096-byte
 *    message limit), preceded by a `W` of xfer_gap_us so that consecutive
 *    transactions are never closer than a real master would place them
 *    (~10 us per polled transaction on an ESP32; the same default as
 *    sim/vboard/vboard_agent.c). Both go out in one write and their two
 *    replies are read back in order: one round trip per transaction. CS is
 *    PA4 (`N`), which is also the NSS strap the bootloader samples at
 *    reset.
 *  - gpio: NRST (`R`); BOOT0 is strapped low on the board (FOTA_ERR_INVAL,
 *    as on the in-process virtual board).
 *  - clock: the board's virtual clock. now_ms() asks for it (`T`) and
 *    sleep_ms() runs the board for that long (`W`), so every deadline the
 *    agent's protocol code keeps is in the target's simulated time, the
 *    same time base the firmware's own timeouts and the flash operation
 *    times use; an agent on an emulator that runs at a fraction of real
 *    time then neither times out early nor waits for nothing. Between
 *    requests the board runs on by itself (paced to at most wall time), so
 *    simulated time also passes while the agent does other work, as it
 *    would on a real device.
 *
 * Waits for the board's replies have a wall-clock deadline (a board that
 * hangs, or one serving another client, which it does one at a time):
 * AGENT_BOARD_REPLY_MS plus, for a `W`, 60x the simulated time asked for
 * (an emulator under sanitizers runs at about 1/10 of real time). After a
 * transport error every call fails with FOTA_ERR_IO and the clock carries
 * on from the host's monotonic clock, so no deadline waits forever.
 *
 * Host only (POSIX sockets).
 */
#ifndef AGENT_BOARD_CLIENT_H
#define AGENT_BOARD_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "agent_port.h"

/* Wall-clock allowance for a reply beyond the simulated time it covers. */
#define AGENT_BOARD_REPLY_MS 20000u
/* Default gap before each SPI transaction, in microseconds. */
#define AGENT_BOARD_XFER_GAP_US 10u

typedef struct agent_board_client {
    int fd;
    bool failed; /* a transport error happened: everything fails */
    uint32_t xfer_gap_us;
    uint64_t open_ns;      /* board time when connected */
    uint64_t last_ns;      /* last board time seen */
    uint64_t fail_host_ms; /* host monotonic ms at the failure */
    uint64_t xfers;
    /* Pass these to agent_proto_init(). */
    agent_spi_t spi;
    agent_gpio_t gpio;
    agent_clock_t clock;
} agent_board_client_t;

/*
 * Connect to the board's socket at path, set its SCK to hz (0: leave it)
 * and read its clock. Leaves the pins as the board has them (PA4 is high
 * and NRST released after the board starts). Returns 0,
 * FOTA_ERR_NOENT (no such socket), FOTA_ERR_BUSY (nobody listening: the
 * board is not running), FOTA_ERR_TIMEOUT (no answer: another client is
 * connected) or another FOTA_ERR_*.
 */
int agent_board_client_open(agent_board_client_t *c, const char *path,
                            uint32_t hz);

/* Set the board's SCK rate (Hz, > 0), which paces its byte transfers. */
int agent_board_client_set_hz(agent_board_client_t *c, uint32_t hz);

/* Release CS (PA4 high) and disconnect; the board keeps running. */
void agent_board_client_close(agent_board_client_t *c);

/* Read the board's clock (ns since it started). */
int agent_board_client_read_ns(agent_board_client_t *c, uint64_t *ns);

/* Run the board for us microseconds of simulated time. */
int agent_board_client_wait_us(agent_board_client_t *c, uint64_t us);

/* Simulated time from the connection to the last time the agent read the
 * board's clock or ran it (ns); no request is made. */
uint64_t agent_board_client_time_ns(const agent_board_client_t *c);

#endif /* AGENT_BOARD_CLIENT_H */
