/*
 * boot_port_stm32.c - boot_port.h on the STM32F407: the FLASH controller
 * (blocking and non-blocking), the CRC unit, the millisecond clock and the
 * watchdog kick.
 *
 * Every function here is in .ramfunc: the protocol engine calls them from
 * its SRAM loop while flash is busy, and the blocking ones then poll
 * FLASH_SR without stalling on instruction fetches.
 *
 * The file is compiled a second time with FW_API_COPY=1 for the API
 * table's confirm path (boot/CMakeLists.txt): flash-resident, every symbol
 * prefixed fota_api_, and with no state at all - no non-blocking
 * operation, no idle hook - so it touches no RAM but the caller's stack.
 */
#include <stdbool.h>
#include <string.h>

#ifndef FW_API_COPY
#define FW_API_COPY 0
#endif

#include "boot_core.h"
#include "boot_port.h"
#include "fota/fota_assert.h"
#include "fota/fota_crc32.h"
#include "fota/fota_err.h"
#include "fota/fota_layout.h"
#include "fota/fota_nomalloc.h"
#include "fw_hw.h"
#include "fw_port.h"
#include "regs/crc.h"
#include "regs/flash.h"
#include "regs/iwdg.h"
#include "regs/rcc.h"
#include "regs/scb.h"

/* Loop bounds (no timer may be running: the API table path). One poll of
 * FLASH_SR is at least a few cycles, so at 168 MHz these are >= 100 us for
 * a word (datasheet max 100 us... at 16 MHz it is ten times longer) and
 * >= 4 s for an erase (128 KiB at x32: 2 s max). */
#define FW_FLASH_WORD_LOOPS 200000u
#define FW_FLASH_ERASE_LOOPS 700000000u
/* Deadlines of the non-blocking operations, by the millisecond clock. */
#define FW_FLASH_WORD_MS 10u
#define FW_FLASH_ERASE_MS 4000u

/* Words of flash fed to the CRC unit between two watchdog kicks and idle
 * hook calls: 4 KiB, ~8 us at 168 MHz, well under one UART character
 * (87 us), so the buffered boot log keeps the line busy. */
#define FW_CRC_BLOCK_WORDS 1024u

enum fw_flash_op {
    FW_OP_NONE = 0,
    FW_OP_ERASE = 1,
    FW_OP_WORD = 2,
};

#if FW_API_COPY
/* No operation is ever in flight and no hook is set in the API copy. */
#define FW_OP_BUSY() false

/* FOTA_ASSERT in the confirm path the application calls: no log (the
 * UART is the application's) and no RAM of the application's touched, so
 * a system reset (ARMv7-M ARM B3.2.6, AIRCR.SYSRESETREQ). The bootloader
 * then sees the journal as the last complete record left it. */
void fota_assert_failed(const char *file, int line)
{
    (void)file;
    (void)line;
    __asm__ volatile("dsb" ::: "memory");
    SCB_AIRCR = SCB_AIRCR_VECTKEY | SCB_AIRCR_SYSRESETREQ;
    __asm__ volatile("dsb" ::: "memory");
    for (;;) {
    }
}
#else
static uint8_t s_op;
static void (*s_idle_hook)(void);
static uint32_t s_op_start_ms;
static uint32_t s_op_limit_ms;
static uint32_t s_one_word; /* boot_flash_start_word's source */
#define FW_OP_BUSY() (s_op != FW_OP_NONE)
#endif

static inline __attribute__((always_inline)) bool fw_flash_range_ok(
    uint32_t addr, size_t len)
{
    return addr >= FOTA_FLASH_BASE && addr < FOTA_FLASH_END &&
           len <= (size_t)(FOTA_FLASH_END - addr);
}

static FW_RAMFUNC bool fw_flash_wait_idle(uint32_t loops)
{
    for (uint32_t n = 0; n < loops; n++)
        if (!(FLASH_SR & FLASH_SR_BSY))
            return true;
    return false;
}

static FW_RAMFUNC void fw_flash_lock(void)
{
    FLASH_CR = FLASH_CR_LOCK;
}

/* Unlock with the key sequence and clear stale status. A wrong sequence
 * locks the controller until reset, so check that it took. */
static FW_RAMFUNC int fw_flash_unlock(void)
{
    if (!fw_flash_wait_idle(FW_FLASH_ERASE_LOOPS))
        return FOTA_ERR_TIMEOUT;
    if (FLASH_CR & FLASH_CR_LOCK) {
        FLASH_KEYR = FLASH_KEYR_KEY1;
        FLASH_KEYR = FLASH_KEYR_KEY2;
        if (FLASH_CR & FLASH_CR_LOCK)
            return FOTA_ERR_IO;
    }
    FLASH_SR = FLASH_SR_ERRORS | FLASH_SR_EOP;
    return 0;
}

/* Errors of the finished operation: every SR error bit is checked and
 * cleared (write 1), whatever the result. */
static FW_RAMFUNC int fw_flash_check_sr(void)
{
    uint32_t sr = FLASH_SR;
    FLASH_SR = (sr & (FLASH_SR_ERRORS | FLASH_SR_EOP));
    return (sr & FLASH_SR_ERRORS) ? FOTA_ERR_IO : 0;
}

/* After an erase the caches may hold lines of the old contents: reset
 * them, which is only allowed while they are disabled. */
static FW_RAMFUNC void fw_flash_reset_caches(void)
{
    uint32_t acr = FLASH_ACR;
    FLASH_ACR = acr & ~(FLASH_ACR_ICEN | FLASH_ACR_DCEN);
    FLASH_ACR = (acr & ~(FLASH_ACR_ICEN | FLASH_ACR_DCEN)) | FLASH_ACR_ICRST |
                FLASH_ACR_DCRST;
    FLASH_ACR = acr & ~(FLASH_ACR_ICEN | FLASH_ACR_DCEN | FLASH_ACR_ICRST |
                        FLASH_ACR_DCRST);
    FLASH_ACR = acr;
}

static FW_RAMFUNC uint32_t fw_flash_word_at(uint32_t addr)
{
    return MMIO32(addr);
}

#if FW_API_COPY
static inline void fw_idle(void)
{
}
#else
void fw_port_set_idle_hook(void (*fn)(void))
{
    s_idle_hook = fn;
}

static FW_RAMFUNC void fw_idle(void)
{
    if (s_idle_hook != NULL)
        s_idle_hook();
}
#endif

FW_RAMFUNC int boot_flash_read(uint32_t addr, void *dst, size_t len)
{
    fw_idle();
    if (!fw_flash_range_ok(addr, len))
        return FOTA_ERR_RANGE;
    /* One aligned word (the engine's read-back of each programmed word):
     * a single load, not a memcpy call. */
    if (len == 4u && (addr & 3u) == 0) {
        uint32_t w = MMIO32(addr);
        __builtin_memcpy(dst, &w, 4);
        return 0;
    }
    memcpy(dst, (const void *)(uintptr_t)addr, len);
    return 0;
}

FW_RAMFUNC const void *boot_flash_map(uint32_t addr, size_t len)
{
    fw_idle();
    if (!fw_flash_range_ok(addr, len))
        return NULL;
    return (const void *)(uintptr_t)addr;
}

FW_RAMFUNC bool boot_flash_blank(uint32_t addr, size_t len)
{
    const uint32_t *p = (const uint32_t *)(uintptr_t)addr;
    const uint32_t *end = p + len / 4u;
    uint32_t acc = 0xFFFFFFFFu;

    fw_idle();
    if (!fw_flash_range_ok(addr, len) || (len & 31u) || (addr & 3u))
        return false;
    /* Eight words per LDM, ANDed in a tree: the pass costs the flash's
     * wait states per 16-byte line (RM0090 3.5.1) plus about one cycle per
     * word, no branch per word. */
    if (p != end) {
        __asm__ volatile("1:\n\t"
                         "ldmia %[p]!, {r2, r3, r4, r5, r6, r8, r9, r12}\n\t"
                         "and r2, r2, r3\n\t"
                         "and r4, r4, r5\n\t"
                         "and r6, r6, r8\n\t"
                         "and r9, r9, r12\n\t"
                         "and r2, r2, r4\n\t"
                         "and r6, r6, r9\n\t"
                         "and %[acc], %[acc], r2\n\t"
                         "and %[acc], %[acc], r6\n\t"
                         "cmp %[p], %[e]\n\t"
                         "bne 1b"
                         : [p] "+r"(p), [acc] "+r"(acc)
                         : [e] "r"(end)
                         : "r2", "r3", "r4", "r5", "r6", "r8", "r9", "r12",
                           "cc", "memory");
    }
    return acc == 0xFFFFFFFFu;
}

FW_RAMFUNC int boot_flash_write(uint32_t addr, const void *src, size_t len)
{
    const uint8_t *p = src;
    int rc;

    if ((addr & 3u) || (len & 3u))
        return FOTA_ERR_INVAL;
    if (!fw_flash_range_ok(addr, len))
        return FOTA_ERR_RANGE;
    if (FW_OP_BUSY())
        return FOTA_ERR_BUSY;
    rc = fw_flash_unlock();
    if (rc < 0)
        goto out;
    FLASH_CR = FLASH_CR_PSIZE_X32 << FLASH_CR_PSIZE_SHIFT;
    FLASH_CR |= FLASH_CR_PG;
    for (size_t off = 0; off < len; off += 4) {
        /* Bytes assembled little-endian: src need not be aligned. */
        uint32_t w = (uint32_t)p[off] | (uint32_t)p[off + 1] << 8 |
                     (uint32_t)p[off + 2] << 16 | (uint32_t)p[off + 3] << 24;
        MMIO32(addr + off) = w;
        __asm__ volatile("dsb" ::: "memory");
        if (!fw_flash_wait_idle(FW_FLASH_WORD_LOOPS)) {
            rc = FOTA_ERR_TIMEOUT;
            goto out;
        }
        rc = fw_flash_check_sr();
        if (rc < 0)
            goto out;
        if (fw_flash_word_at(addr + off) != w) {
            rc = FOTA_ERR_IO;
            goto out;
        }
    }
out:
    FLASH_CR &= ~FLASH_CR_PG;
    fw_flash_lock();
    return rc;
}

FW_RAMFUNC int boot_flash_erase_sector(unsigned sector)
{
    int rc;

    if (sector >= FOTA_FLASH_SECTORS)
        return FOTA_ERR_RANGE;
    if (FW_OP_BUSY())
        return FOTA_ERR_BUSY;
    rc = fw_flash_unlock();
    if (rc < 0)
        goto out;
    FLASH_CR = (FLASH_CR_PSIZE_X32 << FLASH_CR_PSIZE_SHIFT) | FLASH_CR_SER |
               ((sector & FLASH_CR_SNB_MASK) << FLASH_CR_SNB_SHIFT);
    FLASH_CR |= FLASH_CR_STRT;
    __asm__ volatile("dsb" ::: "memory");
    if (!fw_flash_wait_idle(FW_FLASH_ERASE_LOOPS)) {
        rc = FOTA_ERR_TIMEOUT;
        goto out;
    }
    rc = fw_flash_check_sr();
out:
    FLASH_CR &= ~(FLASH_CR_SER | (FLASH_CR_SNB_MASK << FLASH_CR_SNB_SHIFT));
    fw_flash_lock();
    fw_flash_reset_caches();
    return rc;
}

#if !FW_API_COPY
FW_RAMFUNC int boot_flash_start_erase(unsigned sector)
{
    int rc;

    if (sector >= FOTA_FLASH_SECTORS)
        return FOTA_ERR_RANGE;
    if (s_op != FW_OP_NONE)
        return FOTA_ERR_BUSY;
    rc = fw_flash_unlock();
    if (rc < 0) {
        fw_flash_lock();
        return rc;
    }
    FLASH_CR = (FLASH_CR_PSIZE_X32 << FLASH_CR_PSIZE_SHIFT) | FLASH_CR_SER |
               ((sector & FLASH_CR_SNB_MASK) << FLASH_CR_SNB_SHIFT);
    FLASH_CR |= FLASH_CR_STRT;
    s_op = FW_OP_ERASE;
    s_op_start_ms = boot_clock_ms();
    s_op_limit_ms = FW_FLASH_ERASE_MS;
    return 0;
}

/*
 * Words are the update's inner loop: the flash programs one in 16 us
 * typical (DS8626) and every cycle between the end of one word and the
 * start of the next leaves it idle. So a run of words is chained by the
 * flash's own end-of-operation interrupt (FLASH global interrupt, RM0090
 * 3.8 and table 61): fw_flash_irq reads the finished word back, clears EOP
 * and stores the next one, whatever the loop is doing meanwhile (a few
 * dozen cycles a word). The controller stays unlocked after a run (PG
 * cleared, so a stray write into flash only sets PGSERR and programs
 * nothing: RM0090, FLASH_SR) and the next run skips the key sequence.
 * Every other operation (an erase, a blocking write, a failed or timed-out
 * run) locks the controller again when it ends; update mode ends in a
 * reset, so the application never sees it unlocked.
 */
/* The run in flight. The interrupt owns it while rc is 1. */
static struct fw_run {
    volatile int32_t rc; /* 1 running, 0 done, < 0 failed */
    uint32_t addr;       /* the word being programmed */
    uint32_t word;
    uint32_t next;      /* the word after it (valid while left != 0) */
    uint32_t left;      /* words after the one being programmed */
    const uint8_t *src; /* the bytes of the word after next */
} s_run;

/* A little-endian word at any alignment (the Write Memory data follow a
 * count byte): one LDR, which the Cortex-M4 performs unaligned (ARMv7-M
 * A3.2.1, CCR.UNALIGN_TRP clear). */
typedef struct {
    uint32_t v;
} __attribute__((packed, may_alias)) fw_u32_any;

static inline __attribute__((always_inline)) uint32_t fw_run_word(
    const uint8_t *p)
{
    return ((const fw_u32_any *)(const void *)p)->v;
}

/* The end of a chained word (EOP) or a programming error (ERRIE). The
 * path from the end of one word to the start of the next is a status read,
 * the read-back compare and the store; the bookkeeping follows while the
 * flash programs. */
FW_RAMFUNC void fw_flash_irq(void)
{
    struct fw_run *r = &s_run;
    uint32_t sr = FLASH_SR;

    if (r->rc == 1 && !(sr & FLASH_SR_ERRORS) && MMIO32(r->addr) == r->word) {
        if (r->left != 0) {
            uint32_t a = r->addr + 4, w = r->next;

            MMIO32(a) = w;
            FLASH_SR = FLASH_SR_ERRORS | FLASH_SR_EOP;
            r->addr = a;
            r->word = w;
            if (--r->left != 0) {
                r->next = fw_run_word(r->src);
                r->src += 4;
            }
            return;
        }
        r->rc = 0;
    } else if (r->rc == 1) {
        r->rc = FOTA_ERR_IO;
    }
    /* The run ended (or an interrupt without one): PG and the interrupts
     * off, the controller unlocked. */
    FLASH_SR = FLASH_SR_ERRORS | FLASH_SR_EOP;
    FLASH_CR = FLASH_CR_PSIZE_X32 << FLASH_CR_PSIZE_SHIFT;
}

FW_RAMFUNC int boot_flash_start_words(uint32_t addr, const uint8_t *src,
                                      uint32_t n)
{
    int rc;

    if ((addr & 3u) || n == 0)
        return FOTA_ERR_INVAL;
    if (!fw_flash_range_ok(addr, (size_t)n * 4u))
        return FOTA_ERR_RANGE;
    if (s_op != FW_OP_NONE)
        return FOTA_ERR_BUSY;
    if ((FLASH_CR & FLASH_CR_LOCK) || (FLASH_SR & FLASH_SR_BSY)) {
        rc = fw_flash_unlock();
        if (rc < 0) {
            fw_flash_lock();
            return rc;
        }
    } else {
        FLASH_SR = FLASH_SR_ERRORS | FLASH_SR_EOP;
    }
    s_op = FW_OP_WORD;
    s_run.addr = addr;
    s_run.word = fw_run_word(src);
    s_run.left = n - 1;
    s_run.src = src + 4;
    if (n > 1) {
        s_run.next = fw_run_word(src + 4);
        s_run.src = src + 8;
    }
    s_run.rc = 1;
    s_op_start_ms = boot_clock_ms();
    s_op_limit_ms = FW_FLASH_WORD_MS + n / 8u;
    /* The run's state is in memory before the interrupt can fire. */
    __asm__ volatile("" ::: "memory");
    FLASH_CR = (FLASH_CR_PSIZE_X32 << FLASH_CR_PSIZE_SHIFT) | FLASH_CR_PG |
               FLASH_CR_EOPIE | FLASH_CR_ERRIE;
    MMIO32(addr) = s_run.word;
    return 0;
}

FW_RAMFUNC int boot_flash_start_word(uint32_t addr, uint32_t word)
{
    s_one_word = word;
    return boot_flash_start_words(addr, (const uint8_t *)&s_one_word, 1);
}

FW_RAMFUNC int boot_flash_op_status(void)
{
    int rc;

    if (s_op == FW_OP_NONE)
        return 0;
    if (s_op == FW_OP_WORD) {
        rc = s_run.rc;
        if (rc == 0) {
            s_op = FW_OP_NONE;
            return 0;
        }
        if (rc < 0)
            goto out;
    } else if (!(FLASH_SR & FLASH_SR_BSY)) {
        rc = fw_flash_check_sr();
        goto out;
    }
    if (boot_clock_ms() - s_op_start_ms <= s_op_limit_ms)
        return 1;
    /* A flash operation cannot be aborted; report it and refuse new ones
     * until BSY clears (the unlock waits for it). */
    rc = FOTA_ERR_TIMEOUT;
out:
    s_run.rc = FOTA_ERR_TIMEOUT; /* a late interrupt stores nothing */
    FLASH_CR &= ~(FLASH_CR_PG | FLASH_CR_SER | FLASH_CR_EOPIE | FLASH_CR_ERRIE |
                  (FLASH_CR_SNB_MASK << FLASH_CR_SNB_SHIFT));
    fw_flash_lock();
    if (s_op == FW_OP_ERASE)
        fw_flash_reset_caches();
    s_op = FW_OP_NONE;
    return rc < 0 ? FOTA_ERR_IO : 0;
}

#endif /* !FW_API_COPY */

/* Eight words into CRC_DR, each store followed by the load of the word
 * eight further on (boot_flash_crc's pipelined loop). */
#define FW_CRC_STEP8                                                           \
    "str r2, [%[dr]]\n\t"                                                      \
    "ldr r2, [%[s]], #4\n\t"                                                   \
    "str r3, [%[dr]]\n\t"                                                      \
    "ldr r3, [%[s]], #4\n\t"                                                   \
    "str r4, [%[dr]]\n\t"                                                      \
    "ldr r4, [%[s]], #4\n\t"                                                   \
    "str r5, [%[dr]]\n\t"                                                      \
    "ldr r5, [%[s]], #4\n\t"                                                   \
    "str r6, [%[dr]]\n\t"                                                      \
    "ldr r6, [%[s]], #4\n\t"                                                   \
    "str r8, [%[dr]]\n\t"                                                      \
    "ldr r8, [%[s]], #4\n\t"                                                   \
    "str r9, [%[dr]]\n\t"                                                      \
    "ldr r9, [%[s]], #4\n\t"                                                   \
    "str r12, [%[dr]]\n\t"                                                     \
    "ldr r12, [%[s]], #4\n\t"

/* The CRC unit computes exactly fota_crc32_st (0x04C11DB7, init all ones,
 * 32-bit words as loaded). An emulator without the unit (QEMU) does not
 * read back the reset value; then the software CRC gives the same
 * answer, more slowly. */
FW_RAMFUNC uint32_t boot_flash_crc(uint32_t addr, size_t len)
{
    if (!fw_flash_range_ok(addr, len))
        return 0;
    RCC_AHB1ENR |= RCC_AHB1ENR_CRCEN;
    (void)RCC_AHB1ENR;
    CRC_CR = CRC_CR_RESET;
    if (CRC_DR != FOTA_CRC32_ST_INIT)
        return fota_crc32_st((const void *)(uintptr_t)addr, len);
    /* The loop is the cost. The unit takes a word every 4 cycles
     * (RM0090 4.3: 4 AHB clock cycles per 32-bit word); each 16-byte flash
     * line the loads touch first costs the wait states (5 at 168 MHz,
     * RM0090 3.5.1; the data cache only helps a line read twice). Software
     * pipelined so the loads overlap the unit's work: eight words are held
     * in registers, and each store into DR is followed by the load of the
     * word eight further on, so the gap between two stores is one load
     * (the unit's 4 cycles cover it) and only the first load of a line
     * stalls the unit. The image does not change under us, so the loads
     * need not be volatile. The watchdog is kicked (and the idle hook
     * called) once per 4 KiB block, not tested per word. */
    const uint32_t *src = (const uint32_t *)(uintptr_t)addr;
    size_t words = len / 4u;
    while (words) {
        size_t block = words < FW_CRC_BLOCK_WORDS ? words : FW_CRC_BLOCK_WORDS;
        size_t groups = block / 8u;
        words -= block;
        boot_wdt_kick();
        fw_idle();
        if (groups) {
            /* After the first group: pairs of groups, then maybe one. */
            const uint32_t *e16 = src + 8u + 16u * ((groups - 1u) / 2u);
            const uint32_t *e8 = src + 8u * groups;
            __asm__ volatile(
                "ldmia %[s]!, {r2, r3, r4, r5, r6, r8, r9, r12}\n\t"
                "cmp %[s], %[e16]\n\t"
                "beq 3f\n"
                "1:\n\t" FW_CRC_STEP8 FW_CRC_STEP8 "cmp %[s], %[e16]\n\t"
                "bne 1b\n"
                "3:\n\t"
                "cmp %[s], %[e8]\n\t"
                "beq 2f\n\t" FW_CRC_STEP8 "2:\n\t"
                "str r2, [%[dr]]\n\t"
                "str r3, [%[dr]]\n\t"
                "str r4, [%[dr]]\n\t"
                "str r5, [%[dr]]\n\t"
                "str r6, [%[dr]]\n\t"
                "str r8, [%[dr]]\n\t"
                "str r9, [%[dr]]\n\t"
                "str r12, [%[dr]]"
                : [s] "+r"(src)
                : [e16] "r"(e16), [e8] "r"(e8), [dr] "r"(&CRC_DR)
                : "r2", "r3", "r4", "r5", "r6", "r8", "r9", "r12", "cc",
                  "memory");
        }
        for (block &= 7u; block; block--)
            CRC_DR = *src++;
    }
    return CRC_DR;
}

#if !FW_API_COPY
FW_RAMFUNC uint32_t boot_clock_ms(void)
{
    return fw_ms();
}

#endif

FW_RAMFUNC void boot_wdt_kick(void)
{
    IWDG_KR = IWDG_KR_RESET;
}

#if !FW_API_COPY
void fw_port_iwdg_start(uint32_t prescaler, uint32_t reload)
{
    IWDG_KR = IWDG_KR_UNLOCK;
    IWDG_PR = prescaler;
    IWDG_RLR = reload;
    /* The new values cross into the LSI domain in a few LSI cycles. */
    for (uint32_t n = 0; n < 100000u; n++)
        if ((IWDG_SR & (IWDG_SR_PVU | IWDG_SR_RVU)) == 0)
            break;
    IWDG_KR = IWDG_KR_RESET;
    IWDG_KR = IWDG_KR_START;
}
#endif
