/*
 * agent_sim_target.h - the simulated target the host agent talks to: the
 * bootloader core and protocol engine on the strict flash model, reached
 * through the simulated SPI wire (sim/wire), plus two things the wire does
 * not model:
 *
 *  - persistence: the flash model lives in a file mapped MAP_SHARED, so
 *    the device's flash survives the agent process being killed at any
 *    point (the kernel keeps the pages). The file starts with the raw
 *    1 MiB flash image (sim_flash_t.mem is its first member), followed by
 *    the model's clocks and wear counters, then one word with the chip's
 *    own state (in reset, running the bootloader in update mode, or
 *    running the application of slot X, as a trial or not, with its
 *    self-test finished or not, NRST held low by the agent). A raw 1 MiB
 *    image is accepted and extended.
 *
 *  - a device that keeps running across agent restarts: killing the agent
 *    process does not reset the STM32, so opening the file continues from
 *    the saved state instead of booting (an application whose self-test
 *    had not finished finishes it; the bootloader stays in update mode
 *    with a fresh link, as CS floats high when the agent dies). Only an
 *    NRST pulse, the engine's reboot, or a power cycle boot the chip: an
 *    agent that died holding NRST low releases the reset (the pin floats),
 *    which boots it. A file without the state word (new, older layout)
 *    powers on. The flash contents change at once in the model, so a
 *    SIGKILL can at worst stop the target between two words of a flash
 *    operation, which is a power cut (the power-cut sweeps cover it).
 *
 *  - the application's status responder: while an application runs, SPI
 *    bytes go to the same responder the application library runs
 *    (fota_app_proto.h), answering from the model's flash; its "enter
 *    update mode" resets the target with CS held, into update mode.
 *
 *  - the application: when the bootloader jumps to an image, the modelled
 *    application runs its self-test (cfg app_run_ms of virtual time) and
 *    confirms itself (boot_confirm) unless its header carries
 *    FOTA_IMAGE_F_NO_CONFIRM; such an image resets instead (a watchdog
 *    reset), so its trial attempts run out and the bootloader rolls back.
 *
 * The agent-side ports (spi, gpio, clock) wrap the wire's and let the
 * application act after each call. Host only; one target per process (the
 * bootloader's host port binds one flash model).
 */
#ifndef AGENT_SIM_TARGET_H
#define AGENT_SIM_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent_port.h"
#include "fota/fota_app_proto.h"
#include "sim_wire.h"

typedef struct agent_sim_target {
    sim_wire_t wire;
    sim_flash_t *flash; /* the mapped file */
    int fd;
    uint32_t app_run_ms;   /* virtual time the application runs before it
                             confirms or crashes */
    uint32_t handled_boot; /* wire.target_boots the app already acted on */
    uint32_t app_confirms;
    uint32_t app_crashes;
    /* The modelled application's SPI1 responder: the library's own state
     * machine (common/app_proto.c) on the model's flash. */
    fota_app_link_t app_link;
    uint8_t app_next; /* byte the responder clocks out next */
    uint32_t app_answers;
    agent_spi_t spi; /* pass these to agent_proto_init() */
    agent_gpio_t gpio;
    agent_clock_t clock;
} agent_sim_target_t;

/* Map (creating if needed) the flash file and take the target over in the
 * state the file records (power it on if it records none). Holds an
 * exclusive lock on the file until close (one agent drives a device).
 * Returns 0, FOTA_ERR_BUSY when another process has the file open as a
 * target, or a negative FOTA_ERR_* (FOTA_ERR_PLATFORM(errno)). */
int agent_sim_target_open(agent_sim_target_t *t, const char *path);

/* A power cycle: the bootloader decides again from the flash contents. */
void agent_sim_target_power_cycle(agent_sim_target_t *t);

/* Save the target's state, unmap and close (the file keeps the flash and
 * the state: the next open continues from it). */
void agent_sim_target_close(agent_sim_target_t *t);

/* Let the modelled application act if one was just started. */
void agent_sim_target_settle(agent_sim_target_t *t);

/* Factory programming: write img into slot directly in the model (as a
 * programmer would). Returns 0 or FOTA_ERR_*. */
int agent_sim_target_install(agent_sim_target_t *t, int slot,
                             const uint8_t *img, size_t len);

/* What a cold boot of the flash file would do, decided on a scratch copy
 * (the file is not changed): *slot = slot it would run (-1: update mode),
 * *version its header version. Returns 0 when an image would boot,
 * FOTA_ERR_NOENT when the bootloader would wait in update mode, or an
 * error. */
int agent_sim_target_check_boot(const char *path, int *slot,
                                fota_version_t *version);

/* The erase count of every sector in the flash file (the flash model's
 * wear counters; the file is not changed). Returns 0 or an error. */
int agent_sim_target_wear(const char *path, uint32_t wear[FOTA_FLASH_SECTORS]);

/* Virtual hardware time so far (ns). */
uint64_t agent_sim_target_time_ns(const agent_sim_target_t *t);

#endif /* AGENT_SIM_TARGET_H */
