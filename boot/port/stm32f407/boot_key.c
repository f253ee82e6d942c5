/*
 * boot_key.c - the image signing key built into the bootloader
 * (boot_port.h: boot_signing_key). The build passes the key's 32 bytes as
 * FOTA_BOOT_PUBKEY_BYTES (CMake option FOTA_BOOT_PUBKEY, 64 hex digits, as
 * `fota key pub` prints it); without it this bootloader checks images for
 * integrity only, and docs/security.md says what that leaves open.
 */
#include "boot_port.h"

#include <stddef.h>

#include "fota/fota_ed25519.h"
#include "fota/fota_nomalloc.h"

#ifdef FOTA_BOOT_PUBKEY_BYTES
static const uint8_t s_key[FOTA_ED25519_PUB_SIZE] = {FOTA_BOOT_PUBKEY_BYTES};

const uint8_t *boot_signing_key(void)
{
    return s_key;
}
#else
const uint8_t *boot_signing_key(void)
{
    return NULL;
}
#endif
