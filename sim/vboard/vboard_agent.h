/*
 * vboard_agent.h - the update agent's ports (agent/core/agent_port.h) on a
 * virtual board, the same way sim/wire offers them on the host engine: the
 * agent's core cannot tell whether it talks to the simulated wire or to the
 * real bootloader running on the virtual STM32F407.
 *
 * Time: the agent's clock is the board's virtual clock; sleep_ms() runs the
 * firmware for that long. Every SPI transaction first lets xfer_gap_ns of
 * time pass (the master's per-transaction overhead, ~10 us for an ESP32
 * polling transaction), then clocks its bytes back to back at the board's
 * SCK (vboard_spi_set_hz()).
 */
#ifndef VBOARD_AGENT_H
#define VBOARD_AGENT_H

#include <stddef.h>
#include <stdint.h>

#include "agent_port.h"
#include "vboard.h"

typedef struct vboard_agent {
    vboard_t *board;
    uint32_t xfer_gap_ns;
    size_t uart_rd; /* next USART1 TX byte the agent has not read */
    uint64_t xfers;
    /* Pass these to agent_proto_init() and friends. */
    agent_spi_t spi;
    agent_uart_t uart;
    agent_gpio_t gpio;
    agent_clock_t clock;
} vboard_agent_t;

/* Bind the ports to board b (10 us gap per SPI transaction). */
void vboard_agent_init(vboard_agent_t *a, vboard_t *b);

/* Let ns of simulated time pass whatever the firmware does (a halted or
 * faulted CPU does not stop the clock). */
void vboard_advance_ns(vboard_t *b, uint64_t ns);

#endif /* VBOARD_AGENT_H */
