/*
 * Cycle micro-benchmarks for the virtual board's Cortex-M4 timing model:
 * each bench times one block of instructions of one class with DWT_CYCCNT
 * and leaves the cycles in the mailbox (fw_mbox.h, FW_MB_RES + enum fwc),
 * minus the cost of an empty block (the two CYCCNT reads and the NOPs
 * around the block). Then BKPT #0x42.
 *
 * The class benches run from SRAM (zero wait states: the TRM's figures);
 * the ART benches run the same block from flash with FLASH_ACR LATENCY = 5
 * and the prefetch buffer, instruction cache and data cache on or off.
 */
#include "fw_cycles.h"
#include "fw_mbox.h"
#include "fw_regs.h"
#include "fw_start.h"

/* A word that points to itself (pointer chase), and a scratch area. */
static uint32_t s_chase;
static uint32_t s_buf[8];
/* 32 words in flash, 16-byte aligned (8 data-cache lines). */
__attribute__((aligned(16))) static const uint32_t s_table[32] = {
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

#define R32(x) ".rept 32\n" x "\n.endr\n"
#define R64(x) ".rept 64\n" x "\n.endr\n"
#define R8(x) ".rept 8\n" x "\n.endr\n"

/* fn(): the raw CYCCNT difference around body (with r4-r7 set up first
 * and a NOP on either side of the block). */
#define FW_BENCH(fn, sect, setup, body, ...)                                   \
    __attribute__((section(sect), noinline, long_call)) static uint32_t fn(    \
        void)                                                                  \
    {                                                                          \
        uint32_t t0, t1;                                                       \
        __asm volatile(setup "\n.balign 16\n"                                  \
                             "ldr %[t0], [%[dwt]]\n nop\n" body "\n nop\n"     \
                             "ldr %[t1], [%[dwt]]\n"                           \
                       : [t0] "=&r"(t0), [t1] "=&r"(t1)                        \
                       : [dwt] "r"(&DWT_CYCCNT), ##__VA_ARGS__                 \
                       : "r4", "r5", "r6", "r7", "r8", "memory", "cc");        \
        return t1 - t0;                                                        \
    }

FW_BENCH(b_empty, ".ramfunc", "", "")
FW_BENCH(b_alu, ".ramfunc", "movs r4, #0", R32("adds r4, r4, #1"))
FW_BENCH(b_mul, ".ramfunc", "movs r4, #3\n movs r5, #5", R32("mul r4, r4, r5"))
FW_BENCH(b_mla, ".ramfunc", "movs r4, #3\n movs r5, #5\n movs r6, #7",
         R32("mla r4, r5, r6, r4"))
FW_BENCH(b_umull, ".ramfunc", "movs r6, #3\n movs r7, #5",
         R32("umull r4, r5, r6, r7"))
FW_BENCH(b_umaal, ".ramfunc",
         "movs r4, #0\n movs r5, #0\n movs r6, #3\n movs r7, #5",
         R32("umaal r4, r5, r6, r7"))
FW_BENCH(b_ldr, ".ramfunc", "mov r5, %[buf]",
         R32("ldr r4, [r5, #4]"), [buf] "r"(s_buf))
FW_BENCH(b_chase, ".ramfunc", "mov r4, %[p]",
         R32("ldr r4, [r4]"), [p] "r"(&s_chase))
FW_BENCH(b_str, ".ramfunc", "mov r5, %[buf]",
         R32("str r4, [r5, #8]"), [buf] "r"(s_buf))
FW_BENCH(b_ldm, ".ramfunc", "mov r8, %[buf]",
         R8("ldm r8, {r4-r7}"), [buf] "r"(s_buf))
FW_BENCH(b_stm, ".ramfunc", "mov r8, %[buf]",
         R8("stm r8, {r4-r7}"), [buf] "r"(s_buf))
FW_BENCH(b_pushpop, ".ramfunc", "", R8("push {r4-r7}\n pop {r4-r7}"))
FW_BENCH(b_branch, ".ramfunc", "", R32("b 1f\n nop\n 1:"))
FW_BENCH(b_loop, ".ramfunc", "", "movs r4, #32\n 1: subs r4, r4, #1\n bne 1b")
FW_BENCH(b_udiv_big, ".ramfunc", "mov r5, #0xFFFFFFFF\n movs r6, #1",
         R8("udiv r4, r5, r6"))
FW_BENCH(b_udiv_small, ".ramfunc", "movs r5, #1\n mov r6, #0xFFFFFFFF",
         R8("udiv r4, r5, r6"))
FW_BENCH(b_crc, ".ramfunc", "mov r5, %[crc]\n movs r4, #1",
         R32("str r4, [r5]"), [crc] "r"(&CRC_DR))
FW_BENCH(b_flash16, ".text", "movs r4, #0", R64("adds r4, r4, #1"))
FW_BENCH(b_flash32, ".text", "movs r4, #0", R64("adds.w r4, r4, #1"))
FW_BENCH(
    b_fdata, ".ramfunc", "mov r5, %[t]",
    ".irp o, "
    "0,4,8,12,16,20,24,28,32,36,40,44,48,52,56,60,64,68,72,76,80,84,88,92,96,"
    "100,104,108,112,116,120,124\n ldr r4, [r5, #\\o]\n .endr",
    [t] "r"(s_table))

FW_BENCH(b_svc, ".ramfunc", "", R8("svc #0"))

/* SVCall handler for b_svc: return at once. */
__attribute__((section(".ramfunc"), naked, used)) static void fw_svc(void)
{
    __asm volatile("bx lr");
}

/* A vector table in SRAM (ARMv7-M B3.2.5: VTOR aligned to the table size
 * rounded up to a power of two, at least 32 words) with SVCall (11). */
__attribute__((aligned(128))) static const void *s_vtab[32];

#define SCB_VTOR_REG REG(0xE000ED08)

#define ACR_LAT5 5u
#define ACR_PRFTEN (1u << 8)
#define ACR_ICEN (1u << 9)
#define ACR_DCEN (1u << 10)
#define ACR_ICRST (1u << 11)
#define ACR_DCRST (1u << 12)

/* Caches off and emptied, then acr. */
static void fw_acr(uint32_t acr)
{
    FLASH_ACR = ACR_LAT5;
    FLASH_ACR = ACR_LAT5 | ACR_ICRST | ACR_DCRST;
    FLASH_ACR = acr;
}

int main(void)
{
    uint32_t e;

    /* HSI 16 MHz with 5 wait states (more than the clock needs, allowed). */
    FLASH_ACR = ACR_LAT5;
    RCC_AHB1ENR |= 1u << 12; /* CRC */
    s_chase = (uint32_t)(uintptr_t)&s_chase;
    DWT_CTRL |= 1u;
    e = b_empty();
    s_mb[FW_MB_RES + FWC_EMPTY] = e;
    s_mb[FW_MB_RES + FWC_ALU] = b_alu() - e;
    s_mb[FW_MB_RES + FWC_MUL] = b_mul() - e;
    s_mb[FW_MB_RES + FWC_MLA] = b_mla() - e;
    s_mb[FW_MB_RES + FWC_UMULL] = b_umull() - e;
    s_mb[FW_MB_RES + FWC_UMAAL] = b_umaal() - e;
    s_mb[FW_MB_RES + FWC_LDR] = b_ldr() - e;
    s_mb[FW_MB_RES + FWC_LDR_CHASE] = b_chase() - e;
    s_mb[FW_MB_RES + FWC_STR] = b_str() - e;
    s_mb[FW_MB_RES + FWC_LDM] = b_ldm() - e;
    s_mb[FW_MB_RES + FWC_STM] = b_stm() - e;
    s_mb[FW_MB_RES + FWC_PUSHPOP] = b_pushpop() - e;
    s_mb[FW_MB_RES + FWC_BRANCH] = b_branch() - e;
    s_mb[FW_MB_RES + FWC_LOOP] = b_loop() - e;
    s_mb[FW_MB_RES + FWC_UDIV_BIG] = b_udiv_big() - e;
    s_mb[FW_MB_RES + FWC_UDIV_SMALL] = b_udiv_small() - e;
    CRC_CR = 1;
    s_mb[FW_MB_RES + FWC_CRC] = b_crc() - e;

    fw_acr(ACR_LAT5);
    s_mb[FW_MB_RES + FWC_FL_COLD] = b_flash16() - e;
    fw_acr(ACR_LAT5 | ACR_PRFTEN);
    s_mb[FW_MB_RES + FWC_FL_PRF16] = b_flash16() - e;
    s_mb[FW_MB_RES + FWC_FL_PRF32] = b_flash32() - e;
    fw_acr(ACR_LAT5 | ACR_PRFTEN | ACR_ICEN | ACR_DCEN);
    (void)b_flash16();
    s_mb[FW_MB_RES + FWC_FL_ART] = b_flash16() - e;

    fw_acr(ACR_LAT5 | ACR_PRFTEN | ACR_ICEN);
    s_mb[FW_MB_RES + FWC_FD_OFF] = b_fdata() - e;
    fw_acr(ACR_LAT5 | ACR_PRFTEN | ACR_ICEN | ACR_DCEN);
    s_mb[FW_MB_RES + FWC_FD_COLD] = b_fdata() - e;
    s_mb[FW_MB_RES + FWC_FD_WARM] = b_fdata() - e;
    s_vtab[0] = &_estack;
    s_vtab[1] = (const void *)fw_reset;
    s_vtab[11] = (const void *)((uintptr_t)fw_svc | 1u);
    SCB_VTOR_REG = (uint32_t)(uintptr_t)s_vtab;
    __asm volatile("dsb\n isb" ::: "memory");
    s_mb[FW_MB_RES + FWC_SVC] = b_svc() - e;
    s_mb[FW_MB_MAGIC] = FW_MAGIC;
    FW_HALT(FW_CYCLES_HALT);
    return 0;
}
