/*
 * fw_port.h - internals of the STM32F407 bootloader port shared between
 * main.c, boot_link.c, boot_api.c and boot_port_stm32.c.
 */
#ifndef FW_PORT_H
#define FW_PORT_H

#include <stdbool.h>
#include <stdint.h>

#include "boot_core.h"
#include "boot_proto.h"

/* Bootloader version (CMake: FOTA_BOOT_VERSION_*). */
#ifndef FW_BOOT_VERSION_MAJOR
#define FW_BOOT_VERSION_MAJOR 1
#endif
#ifndef FW_BOOT_VERSION_MINOR
#define FW_BOOT_VERSION_MINOR 0
#endif
#ifndef FW_BOOT_VERSION_PATCH
#define FW_BOOT_VERSION_PATCH 0
#endif
#define FW_BOOT_VERSION_WORD                                                   \
    ((FW_BOOT_VERSION_MAJOR << 16) | (FW_BOOT_VERSION_MINOR << 8) |            \
     FW_BOOT_VERSION_PATCH)

/* Watchdog policy (docs/firmware.md). LSI is 32 kHz nominal but 17-47 kHz
 * over parts and temperature; the periods below are nominal. A trial boot's
 * period comes from the image's confirm window (fw_iwdg.h); a confirmed
 * boot starts no watchdog. Update mode's own watchdog ends with update
 * mode: every way out of it is a system reset, which stops an IWDG started
 * by software (RM0090 21.3.2, option bit WDG_SW = 1). */
#define FW_IWDG_UPDATE_PR 0x6u    /* /256: 8 ms per count */
#define FW_IWDG_UPDATE_RLR 0xFFFu /* 32.8 s nominal, >= 22.3 s at 47 kHz */
/* Update mode gives up after this long without a host byte or flash
 * progress, and resets into the boot decision; shorter than the shortest
 * update-mode watchdog period, so it is the normal way out. */
#define FW_UPDATE_IDLE_MS 15000u
/* After the engine asks for a reboot (once the host clocked the final
 * ACK-of-ACK), keep serving the link this long before leaving it; main.c
 * then waits for CS to rise before the reset. */
#define FW_REBOOT_GRACE_MS 1u

/* A function the long flash loops (boot_flash_read, each 4 KiB of
 * boot_flash_crc) call while the boot decision runs: main.c feeds its
 * buffered log to USART1 from it, so the characters go out while the
 * journal is scanned and the image checked. NULL (the default) calls
 * nothing; main.c clears it before update mode and before the jump, so
 * neither the protocol loop nor an application calling the API table ever
 * runs it. */
void fw_port_set_idle_hook(void (*fn)(void));

/* Start the independent watchdog (it cannot be stopped until reset). */
void fw_port_iwdg_start(uint32_t prescaler, uint32_t reload);

/* SPI1 slave on PA4-PA7 (AF5, mode 0, 8 bit, MSB first, software NSS). */
void fw_spi_slave_init(void);
void fw_spi_slave_deinit(void);

/* The NSS strap: PA4 as an input with pull-up, sampled several times.
 * true when held low (stay in update mode). */
bool fw_strap_update_requested(void);

/* Update mode: serve the protocol engines over SPI1 and USART1 until a
 * reboot is requested or the host stays silent for FW_UPDATE_IDLE_MS.
 * Runs from SRAM. Returns the reason (enum fw_link_exit). */
enum fw_link_exit {
    FW_LINK_REBOOT = 0,
    FW_LINK_IDLE = 1,
};
int fw_link_run(boot_proto_t *spi, boot_proto_t *uart);

#endif /* FW_PORT_H */
