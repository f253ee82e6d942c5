/*
 * boot_api.c - the API table the application calls (boot_api.h has the
 * ABI). It lives at a fixed address in sector 0 and is placed by the
 * linker script (.boot_api).
 *
 * When the application calls in, the bootloader's RAM (the region reserved
 * for it by fw_layout.h) holds stale or no data, and its .ramfunc copy
 * may be gone. Each entry therefore re-runs the RAM initialisation of the
 * bootloader first; the application never uses that region, so this is
 * safe, and no state leaks from one call to the next.
 */
#include <stddef.h>
#include <stdint.h>

#include "boot_api.h"
#include "boot_core.h"
#include "fota/fota_err.h"
#include "fota/fota_nomalloc.h"
#include "fw_hw.h"
#include "fw_port.h"
#include "regs/mmio.h"

struct boot_api_table {
    uint32_t magic;
    uint32_t abi_version;
    uint32_t boot_version;
    boot_api_confirm_fn confirm;
    boot_api_request_update_fn request_update_mode;
};

_Static_assert(offsetof(struct boot_api_table, magic) == BOOT_API_OFF_MAGIC, "ABI");
_Static_assert(offsetof(struct boot_api_table, abi_version) == BOOT_API_OFF_ABI_VERSION, "ABI");
_Static_assert(offsetof(struct boot_api_table, boot_version) == BOOT_API_OFF_BOOT_VERSION, "ABI");
_Static_assert(offsetof(struct boot_api_table, confirm) == BOOT_API_OFF_CONFIRM, "ABI");
_Static_assert(offsetof(struct boot_api_table, request_update_mode) ==
                   BOOT_API_OFF_REQUEST_UPDATE, "ABI");
_Static_assert(sizeof(struct boot_api_table) == BOOT_API_SIZE, "ABI");

/* The confirm call's context: in the bootloader's own RAM, re-initialised
 * on every call. */
static boot_ctx_t s_api_ctx;

static uint32_t boot_api_irq_save(void)
{
    uint32_t primask;
    __asm__ volatile("mrs %0, primask\n\tcpsid i" : "=r"(primask)::"memory");
    return primask;
}

static void boot_api_irq_restore(uint32_t primask)
{
    __asm__ volatile("msr primask, %0" ::"r"(primask) : "memory");
}

static int boot_api_confirm(int slot)
{
    uint32_t primask = boot_api_irq_save();
    int rc;

    fw_ram_init();
    rc = boot_init(&s_api_ctx);
    if (rc < 0)
        goto out;
    rc = boot_confirm(&s_api_ctx, slot);
out:
    boot_api_irq_restore(primask);
    return rc;
}

static void boot_api_request_update_mode(void)
{
    fw_irq_disable();
    MMIO32(FW_NOINIT_ADDR) = FW_REQ_UPDATE_MAGIC;
    MMIO32(FW_NOINIT_ADDR + 4) = ~(uint32_t)FW_REQ_UPDATE_MAGIC;
    fw_system_reset();
}

__attribute__((section(".boot_api"), used))
const struct boot_api_table boot_api_table = {
    .magic = BOOT_API_MAGIC,
    .abi_version = BOOT_API_ABI_VERSION,
    .boot_version = FW_BOOT_VERSION_WORD,
    .confirm = boot_api_confirm,
    .request_update_mode = boot_api_request_update_mode,
};
