/*
 * fota_config.h - build-time settings. A build may point FOTA_CONFIG_FILE at
 * its own header (-DFOTA_CONFIG_FILE='"my_config.h"'); anything it leaves out
 * takes the default below. Feature switches are 0/1 and tested with #if;
 * -Wundef catches a misspelt one.
 */
#ifndef FOTA_CONFIG_H
#define FOTA_CONFIG_H

#ifdef FOTA_CONFIG_FILE
#include FOTA_CONFIG_FILE
#endif

/* Trial boots a committed image gets before it is rolled back. */
#ifndef FOTA_TRIAL_ATTEMPTS
#define FOTA_TRIAL_ATTEMPTS 3
#endif

/* Trial attempts ended by a power loss (a power-on or brown-out reset, no
 * watchdog or software reset) that are given back, at most, per committed
 * image: a power-flaky site keeps a good release, and an image that browns
 * out the board still runs out after FOTA_TRIAL_ATTEMPTS +
 * FOTA_TRIAL_POWER_LOSS_MAX boots. At most 7 (3 bits of the journal's
 * flags). */
#ifndef FOTA_TRIAL_POWER_LOSS_MAX
#define FOTA_TRIAL_POWER_LOSS_MAX 4
#endif

/* Bootloader version reported by Get Version and the status command
 * (major << 4 | minor, as ST encodes it). */
#ifndef FOTA_BOOT_PROTO_VERSION
#define FOTA_BOOT_PROTO_VERSION 0x11
#endif

/* Allow the Write/Readout (un)protect commands over the bus. */
#ifndef FOTA_ENABLE_PROTECTION_CMDS
#define FOTA_ENABLE_PROTECTION_CMDS 0
#endif

/* Product id the bootloader and agent accept (image header, manifest). */
#ifndef FOTA_PRODUCT_ID
#define FOTA_PRODUCT_ID "stm32f407-disco"
#endif

#endif /* FOTA_CONFIG_H */
