/*
 * Crypto benchmark firmware: the bootloader's Ed25519 verifier and SHA-256
 * (common/, built with the bootloader's flags) called once per run. The
 * firmware publishes the entry of the function it is about to call and
 * waits for the host's go, so that the host can stop at the entry and
 * count the call's instructions up to its return. The host fills the
 * mailbox (bench_crypto_mbox.h) before the first run.
 */
#include <stdint.h>

#include "bench_crypto_mbox.h"
#include "fota/fota_ed25519.h"
#include "fota/fota_sha256.h"

extern uint32_t _sdata, _edata, _ldata, _sbss, _ebss, _estack;
void bench_reset(void);
int main(void);

__attribute__((section(".isr"), used)) static const void *const s_vectors[2] = {
    &_estack, (const void *)bench_reset};

__attribute__((section(".mbox"))) static volatile uint32_t s_mb[256];

#define FLASH_ACR (*(volatile uint32_t *)0x40023C00u)
/* ARMv7-M ARM C1.6.5 (DEMCR.TRCENA), C1.8.8 (DWT_CTRL.CYCCNTENA). */
#define DEMCR (*(volatile uint32_t *)0xE000EDFCu)
#define DWT_CTRL (*(volatile uint32_t *)0xE0001000u)
#define DWT_CYCCNT (*(volatile uint32_t *)0xE0001004u)
#define HALT(code) __asm volatile("bkpt %0" : : "i"(code) : "memory")

static void announce(uint32_t fn)
{
    s_mb[BC_FN] = fn;
    while (s_mb[BC_GO] != BC_GO_MAGIC) {
    }
}

__attribute__((section(".reset"))) void bench_reset(void)
{
    uint32_t *s = &_ldata, *d = &_sdata;

    while (d < &_edata)
        *d++ = *s++;
    for (d = &_sbss; d < &_ebss; d++)
        *d = 0;
    /* The bootloader's flash set-up at 168 MHz (RM0090 3.5.1): five wait
     * states, prefetch, instruction and data caches. */
    FLASH_ACR = 5u | (1u << 8) | (1u << 9) | (1u << 10);
    DEMCR |= 1u << 24;
    DWT_CYCCNT = 0;
    DWT_CTRL |= 1u;
    main();
    HALT(BC_HALT_DONE);
    for (;;) {
    }
}

int main(void)
{
    static uint8_t pub[32], sig[64], msg[BC_MSG_MAX];
    static uint8_t digest[FOTA_SHA256_SIZE];
    uint32_t len = s_mb[BC_LEN], c0;

    if (s_mb[BC_CMD] == BC_CMD_VERIFY) {
        int rc;

        if (len > BC_MSG_MAX)
            return -1;
        for (int i = 0; i < 32; i++)
            pub[i] = ((const volatile uint8_t *)&s_mb[BC_PUB])[i];
        for (int i = 0; i < 64; i++)
            sig[i] = ((const volatile uint8_t *)&s_mb[BC_SIG])[i];
        for (uint32_t i = 0; i < len; i++)
            msg[i] = ((const volatile uint8_t *)&s_mb[BC_MSG])[i];
        announce((uint32_t)(uintptr_t)&fota_ed25519_verify);
        c0 = DWT_CYCCNT;
        rc = fota_ed25519_verify(sig, msg, len, pub);
        s_mb[BC_CYC] = DWT_CYCCNT - c0;
        s_mb[BC_RC] = (uint32_t)rc;
    } else if (s_mb[BC_CMD] == BC_CMD_SHA256) {
        announce((uint32_t)(uintptr_t)&fota_sha256);
        c0 = DWT_CYCCNT;
        fota_sha256((const void *)BC_SHA_ADDR, len, digest);
        s_mb[BC_CYC] = DWT_CYCCNT - c0;
        for (int i = 0; i < 8; i++)
            s_mb[BC_DIGEST + i] = (uint32_t)digest[4 * i] |
                                  (uint32_t)digest[4 * i + 1] << 8 |
                                  (uint32_t)digest[4 * i + 2] << 16 |
                                  (uint32_t)digest[4 * i + 3] << 24;
    }
    return 0;
}
