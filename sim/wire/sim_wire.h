/*
 * sim_wire.h - a simulated SPI link between the update agent and the
 * bootloader's command engine, with a target that can be reset, and
 * seeded fault injection.
 *
 * The agent side is a set of agent_port.h instances (spi, gpio, clock), so
 * the agent core cannot tell this wire from a real SPI master or from the
 * virtual board. The target side is the real engine (boot_proto.h) and boot
 * core (boot_core.h) running through the host port (boot_port_host.h) on
 * the strict flash model (sim_flash.h).
 *
 * Byte-exact full duplex: for each byte the master clocks, it receives the
 * byte the slave had preloaded, and the engine receives the master's byte
 * and preloads its next one (boot_proto_spi_exchange()).
 *
 * Virtual time is the flash model's clock. A byte costs 8 bits at
 * cfg.sck_hz, each xfer() call (one SPI transaction) cfg.xfer_overhead_ns,
 * and sleep_ms() its duration. While time passes the wire keeps calling
 * boot_proto_poll(), so queued flash work advances exactly as the model's
 * operation times allow, in parallel with the bus. Everything is
 * deterministic: no wall clock, no threads, seeded faults.
 *
 * The target: NRST low holds it in reset (it answers nothing). On NRST
 * release it runs boot_init(); if CS is held low it enters update mode
 * (fresh engine), otherwise it runs boot_decide() and either "runs the
 * application" (MISO reads 0xFF, nothing answers) or enters update mode
 * when no image is bootable. BOOT_REQ_REBOOT from the engine (Go, reboot
 * operation) re-runs boot_init() + boot_decide(). Releasing CS drops the
 * engine's half frame (boot_proto_reset_link()).
 *
 * UART: the same commands over the AN3155 framing (USART1 on the chip).
 * w->uart is an agent_uart_t at cfg.baud; bytes take 11 bit times each
 * way; the target's answers queue in a FIFO the agent reads. The MOSI/MISO
 * fault rates apply to its transmit/receive bytes. Use one link at a time
 * (both engines serve the same boot context).
 *
 * The host port binds one flash model per process, so one wire is live at
 * a time (sim_wire_init() binds it).
 */
#ifndef SIM_WIRE_H
#define SIM_WIRE_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>

#include "agent_port.h"
#include "boot_core.h"
#include "boot_proto.h"
#include "sim_flash.h"

#define SIM_WIRE_NEVER UINT64_MAX

typedef struct sim_wire_cfg {
    uint32_t sck_hz;           /* SPI clock, 8 MHz by default */
    uint32_t xfer_overhead_ns; /* fixed cost of one transaction, 10 us by
                                  default (an ESP32 polling transaction) */
    uint32_t baud;             /* UART (8E1: 11 bits a byte), 115200 */
} sim_wire_cfg_t;

/* Bytes the target's UART may have sent and the agent not yet read. */
#define SIM_WIRE_UART_FIFO 1024

/* Faults. Byte indexes count the bytes the master clocked since
 * sim_wire_init() (sim_wire_t.bytes). Random faults hit each byte of the
 * window [window_start, window_end) with the given probability in parts
 * per million, at most max_faults in all (0: no cap), seeded by seed. */
typedef struct sim_wire_faults {
    uint32_t seed;
    uint32_t mosi_flip_ppm; /* one bit of the master's byte flipped */
    uint32_t miso_flip_ppm; /* one bit of the slave's byte flipped */
    uint32_t drop_ppm;      /* the slave misses the byte entirely */
    uint32_t dup_ppm;       /* the slave sees the byte twice (SCK glitch) */
    uint64_t window_start;
    uint64_t window_end; /* SIM_WIRE_NEVER: to the end */
    uint32_t max_faults;
    /* The slave stalls (answers BUSY, hears nothing) for stall_ms from
     * byte stall_at: a target whose SPI handler cannot run. */
    uint64_t stall_at;
    uint32_t stall_ms;
    /* The target resets (NRST pulse from a watchdog or brown-out) just
     * before byte reset_at. */
    uint64_t reset_at;
    /* The agent restarts just before byte kill_at: its pins float (CS
     * released) and the wire longjmps to *kill_jmp with value 1, so no
     * agent code runs after that point. */
    uint64_t kill_at;
    jmp_buf *kill_jmp;
    /* The next pair_flips long transactions (>= 200 bytes: data blocks)
     * each get the same bit flipped in two of their bytes, which the
     * block's XOR cannot see: damage that slips past the frame checks. */
    uint32_t pair_flips;
} sim_wire_faults_t;

enum sim_target_mode {
    SIM_TARGET_RESET = 0,  /* held in reset */
    SIM_TARGET_APP = 1,    /* running an application image */
    SIM_TARGET_UPDATE = 2, /* bootloader in update mode, engine answering */
};

typedef struct sim_wire {
    sim_flash_t *flash;
    sim_wire_cfg_t cfg;
    sim_wire_faults_t faults;
    boot_ctx_t boot;
    boot_proto_t proto;  /* SPI engine */
    boot_proto_t uproto; /* UART engine on the same boot context */
    uint8_t mode;        /* enum sim_target_mode */
    int8_t app_slot;     /* slot the application runs from, or -1 */
    bool app_trial;      /* that boot is a trial of a pending image */
    bool cs;             /* CS asserted (low) */
    bool nrst_low;
    uint8_t preload; /* byte the slave returns on the next clock */
    uint32_t rng;
    uint64_t stall_until_ns;
    bool stall_done;
    bool reset_done;
    uint64_t flip_a, flip_b; /* byte indexes of the pending pair flip */
    /* Statistics. */
    uint64_t bytes; /* bytes clocked by the master */
    uint64_t xfers; /* transactions */
    uint32_t faults_injected;
    uint32_t target_boots; /* boots (power-on, NRST, reboot requests) */
    uint32_t reboots;      /* BOOT_REQ_REBOOT requests served */
    int last_boot_rc;      /* boot_init/boot_decide result of the last boot */
    /* UART: target -> agent bytes, each with the time its stop bit ends. */
    uint8_t urx[SIM_WIRE_UART_FIFO];
    uint64_t urx_ready_ns[SIM_WIRE_UART_FIFO];
    uint16_t urx_head;
    uint16_t urx_count;
    uint32_t urx_overflows;
    /* Agent-side ports (pass &w->spi etc. to agent_proto_init()). */
    agent_spi_t spi;
    agent_uart_t uart;
    agent_gpio_t gpio;
    agent_clock_t clock;
} sim_wire_t;

/* Defaults: 8 MHz, 10 us per transaction. */
void sim_wire_default_cfg(sim_wire_cfg_t *cfg);

/* Bind the wire to flash (and the host port to flash), clear faults, and
 * power the target on with CS released: boot_init() + boot_decide() on
 * whatever the flash holds. cfg NULL takes the defaults. */
void sim_wire_init(sim_wire_t *w, sim_flash_t *flash,
                   const sim_wire_cfg_t *cfg);

/* Replace the fault plan (NULL: no faults). Resets the fault generator. */
void sim_wire_set_faults(sim_wire_t *w, const sim_wire_faults_t *faults);

/* A fault plan with nothing armed (every index SIM_WIRE_NEVER). */
void sim_wire_no_faults(sim_wire_faults_t *faults);

/* Let ns of virtual time pass, serving the engine's queued work. */
void sim_wire_advance_ns(sim_wire_t *w, uint64_t ns);

/* Reset the target now (as a pulse on NRST), keeping the CS level. */
void sim_wire_reset_target(sim_wire_t *w);

/* The running application confirms itself (boot_confirm on its slot).
 * Returns boot_confirm()'s result, FOTA_ERR_PERM if no application runs. */
int sim_wire_app_confirm(sim_wire_t *w);

#endif /* SIM_WIRE_H */
