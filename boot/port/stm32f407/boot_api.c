/*
 * boot_api.c - the API table the application calls (boot_api.h has the
 * ABI). It lives at a fixed address in sector 0 and is placed by the
 * linker script (.boot_api).
 *
 * When the application calls in, all of SRAM and CCM is the application's:
 * the bootloader's .data, .bss and .ramfunc are gone. So the entries run
 * from flash on the caller's stack and touch no fixed RAM: confirm calls a
 * second, flash-resident copy of the journal and confirm code, compiled
 * from the same sources with every symbol prefixed fota_api_ and a
 * stateless flash port (boot/CMakeLists.txt, FW_API_COPY); its context is
 * a local. request_update_mode writes only the no-init window
 * (FOTA_NOINIT_ADDR). cmake/fw_size.py checks both after every link (no
 * call into SRAM, no literal pointing into SRAM below the no-init window)
 * and measures confirm's stack (docs/firmware.md).
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

_Static_assert(offsetof(struct boot_api_table, magic) == BOOT_API_OFF_MAGIC,
               "ABI");
_Static_assert(offsetof(struct boot_api_table, abi_version) ==
                   BOOT_API_OFF_ABI_VERSION,
               "ABI");
_Static_assert(offsetof(struct boot_api_table, boot_version) ==
                   BOOT_API_OFF_BOOT_VERSION,
               "ABI");
_Static_assert(offsetof(struct boot_api_table, confirm) == BOOT_API_OFF_CONFIRM,
               "ABI");
_Static_assert(offsetof(struct boot_api_table, request_update_mode) ==
                   BOOT_API_OFF_REQUEST_UPDATE,
               "ABI");
_Static_assert(sizeof(struct boot_api_table) == BOOT_API_SIZE, "ABI");

/* The flash-resident copies of boot_init and boot_confirm. */
int fota_api_boot_init(boot_ctx_t *ctx);
int fota_api_boot_confirm(boot_ctx_t *ctx, int slot);

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
    boot_ctx_t ctx;
    int rc;

    rc = fota_api_boot_init(&ctx);
    if (rc < 0)
        goto out;
    rc = fota_api_boot_confirm(&ctx, slot);
out:
    boot_api_irq_restore(primask);
    return rc;
}

static void boot_api_request_update_mode(void)
{
    fw_irq_disable();
    /* The window's address as one literal (the compiler would otherwise
     * form it from a base below the window plus an offset), so the link
     * check in cmake/fw_size.py sees exactly what is written. */
    uint32_t w = FOTA_NOINIT_ADDR;

    __asm__("" : "+r"(w));
    MMIO32(w) = FW_REQ_UPDATE_MAGIC;
    MMIO32(w + 4) = ~(uint32_t)FW_REQ_UPDATE_MAGIC;
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
