/*
 * boot_port_host.h - the bootloader port onto the strict flash model
 * (sim/flash). Tests, the power-cut sweep and the simulator choose the
 * model instance at run time with boot_port_host_bind(); every boot_port.h
 * function then acts on it. Single-threaded, like the bootloader itself.
 */
#ifndef BOOT_PORT_HOST_H
#define BOOT_PORT_HOST_H

#include <stdint.h>

#include "sim_flash.h"

/* Make f the flash every boot_port.h function uses (NULL unbinds: flash
 * functions then return FOTA_ERR_IO). Resets the watchdog kick counter and
 * any injected failure. */
void boot_port_host_bind(sim_flash_t *f);

/* The model currently bound (NULL if none). */
sim_flash_t *boot_port_host_flash(void);

/* Number of boot_wdt_kick() calls since the last bind. */
uint32_t boot_port_host_wdt_kicks(void);

/* Make key (32 bytes, copied) the signing key boot_signing_key() returns,
 * as if the bootloader had been built with it; NULL: none (the default).
 * It stays across binds, like a key compiled into the bootloader. */
void boot_port_host_set_signing_key(const uint8_t *key);

/* Inject a FLASH_SR error: after ok_ops more successful word programs or
 * erases (blocking or started), the next one fails with FOTA_ERR_IO without
 * touching the flash, as a PGSERR/WRPERR would. The failure fires once.
 * A negative value cancels the injection. */
void boot_port_host_fail_after(int32_t ok_ops);

#endif /* BOOT_PORT_HOST_H */
