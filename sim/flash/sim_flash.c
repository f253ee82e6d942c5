/*
 * sim_flash.c - strict model of the STM32F407's flash (see sim_flash.h).
 *
 * Everything the silicon does that a design could accidentally rely on is
 * modelled so that the host tests catch it: programming only clears bits,
 * erases take the datasheet time and wear the sector, and a power cut can
 * leave a word or a sector half done.
 */
#include "sim_flash.h"

#include <string.h>

#include "fota/fota_err.h"
#include "fota/fota_le.h"
#include "fota/fota_prng.h"

/* DS8626 table 44 (x32 parallelism, 2.7-3.6 V), in ns. */
#define PROG_WORD_TYP_NS 16000ull
#define PROG_WORD_MAX_NS 100000ull
#define ERASE_16K_TYP_NS 250000000ull
#define ERASE_16K_MAX_NS 500000000ull
#define ERASE_64K_TYP_NS 550000000ull
#define ERASE_64K_MAX_NS 1100000000ull
#define ERASE_128K_TYP_NS 1000000000ull
#define ERASE_128K_MAX_NS 2000000000ull

/* The torn patterns come from fota_prng_next. Its state is derived from
 * the seed and the operation's address so that two seeds give different
 * patterns and one seed always gives the same one. */
static uint32_t sim_rng_seed(uint32_t seed, uint32_t salt)
{
    /* Mix so that nearby seeds and addresses diverge at once; never 0,
     * which is the generator's fixed point. */
    uint32_t x = seed * 0x9E3779B1u ^ salt * 0x85EBCA77u;
    x ^= x >> 15;
    x *= 0x2C1B3C6Du;
    x ^= x >> 12;
    return x ? x : 0x6D2B79F5u;
}

void sim_flash_init(sim_flash_t *f, enum sim_flash_timing timing)
{
    memset(f->mem, FOTA_FLASH_ERASED, sizeof f->mem);
    memset(f->wear, 0, sizeof f->wear);
    f->now_ns = 0;
    f->busy_until_ns = 0;
    f->timing = (uint8_t)timing;
    f->ops = 0;
    f->words_programmed = 0;
    f->overwrites = 0;
    f->last_overwrite_addr = 0;
    f->cut_at = 0;
    f->cut_mode = SIM_CUT_NONE;
    f->cut_seed = 0;
    f->cut_jmp = NULL;
    f->cut_happened = false;
}

void sim_flash_arm_cut(sim_flash_t *f, uint64_t at, enum sim_cut_mode mode,
                       uint32_t seed, jmp_buf *jmp)
{
    f->cut_at = at;
    f->cut_mode = (uint8_t)mode;
    f->cut_seed = seed;
    f->cut_jmp = jmp;
    f->cut_happened = false;
}

void sim_flash_disarm(sim_flash_t *f)
{
    f->cut_mode = SIM_CUT_NONE;
    f->cut_jmp = NULL;
}

uint64_t sim_flash_prog_word_ns(const sim_flash_t *f)
{
    return f->timing == SIM_FLASH_MAXIMUM ? PROG_WORD_MAX_NS : PROG_WORD_TYP_NS;
}

uint64_t sim_flash_erase_ns(const sim_flash_t *f, unsigned sector)
{
    bool max = f->timing == SIM_FLASH_MAXIMUM;

    if (sector >= FOTA_FLASH_SECTORS)
        return 0;
    switch (FOTA_SECTOR_SIZE(sector)) {
    case 0x4000:
        return max ? ERASE_16K_MAX_NS : ERASE_16K_TYP_NS;
    case 0x10000:
        return max ? ERASE_64K_MAX_NS : ERASE_64K_TYP_NS;
    default:
        return max ? ERASE_128K_MAX_NS : ERASE_128K_TYP_NS;
    }
}

void sim_flash_advance_ns(sim_flash_t *f, uint64_t ns)
{
    f->now_ns += ns;
}

bool sim_flash_busy(const sim_flash_t *f)
{
    return f->now_ns < f->busy_until_ns;
}

/* A new operation cannot start before the previous one ended: the CPU
 * stalls on the bus (single bank), so the clock jumps to the end. */
static void sim_wait_idle(sim_flash_t *f)
{
    if (f->now_ns < f->busy_until_ns)
        f->now_ns = f->busy_until_ns;
}

static uint32_t sim_word_at(const sim_flash_t *f, uint32_t addr)
{
    return fota_get_le32(&f->mem[addr - FOTA_FLASH_BASE]);
}

static void sim_set_word(sim_flash_t *f, uint32_t addr, uint32_t v)
{
    fota_put_le32(&f->mem[addr - FOTA_FLASH_BASE], v);
}

static int sim_check_word(uint32_t addr)
{
    if (addr < FOTA_FLASH_BASE || addr > FOTA_FLASH_END - 4u)
        return FOTA_ERR_RANGE;
    if (addr % FOTA_FLASH_WRITE_ALIGN)
        return FOTA_ERR_INVAL;
    return 0;
}

/* Whether the operation about to start (index f->ops) is the armed cut. */
static bool sim_cut_due(const sim_flash_t *f)
{
    return f->cut_mode != SIM_CUT_NONE && f->ops == f->cut_at;
}

/* Power is gone: disarm (a harness that keeps using the model must not be
 * cut twice) and leave through the harness's jmp_buf. Without one, the
 * operation reports FOTA_ERR_IO so unit tests can observe the damage. */
static int sim_power_off(sim_flash_t *f)
{
    jmp_buf *jmp = f->cut_jmp;

    f->cut_happened = true;
    f->cut_mode = SIM_CUT_NONE;
    f->cut_jmp = NULL;
    if (jmp)
        longjmp(*jmp, 1);
    return FOTA_ERR_IO;
}

/* Land a word program (whole or torn) on the array and its counters. */
static void sim_apply_word(sim_flash_t *f, uint32_t addr, uint32_t word,
                           bool torn)
{
    uint32_t old = sim_word_at(f, addr);
    uint32_t clear = old & ~word; /* bits this program turns 1 -> 0 */

    if (old != 0xFFFFFFFFu) {
        f->overwrites++;
        f->last_overwrite_addr = addr;
    }
    if (torn) {
        uint32_t s = sim_rng_seed(f->cut_seed, addr);
        clear &= fota_prng_next(&s);
    }
    sim_set_word(f, addr, old & ~clear);
    f->words_programmed++;
}

/* Land an erase (whole or torn) on the array and its wear counter. */
static void sim_apply_erase(sim_flash_t *f, unsigned sector, bool torn)
{
    uint32_t base = (uint32_t)FOTA_SECTOR_ADDR(sector);
    uint32_t size = (uint32_t)FOTA_SECTOR_SIZE(sector);

    f->wear[sector]++;
    if (!torn) {
        memset(&f->mem[base - FOTA_FLASH_BASE], FOTA_FLASH_ERASED, size);
        return;
    }
    /* An interrupted erase leaves cells anywhere between programmed and
     * erased: per word, keep the old value, erase it, or (one word in
     * eight) set a random subset of its bits back to 1. */
    uint32_t s = sim_rng_seed(f->cut_seed, base ^ 0xE5E5E5E5u);
    for (uint32_t off = 0; off < size; off += 4) {
        uint32_t r = fota_prng_next(&s);
        uint32_t old = sim_word_at(f, base + off);
        uint32_t v;

        if ((r & 7u) == 0)
            v = old | fota_prng_next(&s);
        else if (r & 8u)
            v = 0xFFFFFFFFu;
        else
            v = old;
        sim_set_word(f, base + off, v);
    }
}

static int sim_word_op(sim_flash_t *f, uint32_t addr, uint32_t word,
                       bool blocking)
{
    int rc = sim_check_word(addr);

    if (rc)
        return rc;
    sim_wait_idle(f);
    if (sim_cut_due(f)) {
        bool torn = f->cut_mode == SIM_CUT_TORN;

        f->ops++;
        if (torn) {
            sim_apply_word(f, addr, word, true);
            f->now_ns += sim_flash_prog_word_ns(f) / 2;
        }
        return sim_power_off(f);
    }
    f->ops++;
    sim_apply_word(f, addr, word, false);
    if (blocking)
        f->now_ns += sim_flash_prog_word_ns(f);
    else
        f->busy_until_ns = f->now_ns + sim_flash_prog_word_ns(f);
    return 0;
}

static int sim_erase_op(sim_flash_t *f, unsigned sector, bool blocking)
{
    if (sector >= FOTA_FLASH_SECTORS)
        return FOTA_ERR_RANGE;
    sim_wait_idle(f);
    if (sim_cut_due(f)) {
        bool torn = f->cut_mode == SIM_CUT_TORN;

        f->ops++;
        if (torn) {
            sim_apply_erase(f, sector, true);
            f->now_ns += sim_flash_erase_ns(f, sector) / 2;
        }
        return sim_power_off(f);
    }
    f->ops++;
    sim_apply_erase(f, sector, false);
    if (blocking)
        f->now_ns += sim_flash_erase_ns(f, sector);
    else
        f->busy_until_ns = f->now_ns + sim_flash_erase_ns(f, sector);
    return 0;
}

int sim_flash_program_word(sim_flash_t *f, uint32_t addr, uint32_t word)
{
    return sim_word_op(f, addr, word, true);
}

int sim_flash_erase_sector(sim_flash_t *f, unsigned sector)
{
    return sim_erase_op(f, sector, true);
}

int sim_flash_start_word(sim_flash_t *f, uint32_t addr, uint32_t word)
{
    return sim_word_op(f, addr, word, false);
}

int sim_flash_start_erase(sim_flash_t *f, unsigned sector)
{
    return sim_erase_op(f, sector, false);
}

int sim_flash_read(const sim_flash_t *f, uint32_t addr, void *dst, uint32_t len)
{
    if (addr < FOTA_FLASH_BASE || addr > FOTA_FLASH_END ||
        len > FOTA_FLASH_END - addr)
        return FOTA_ERR_RANGE;
    memcpy(dst, &f->mem[addr - FOTA_FLASH_BASE], len);
    return 0;
}
