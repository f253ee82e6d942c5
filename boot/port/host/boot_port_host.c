/*
 * boot_port_host.c - boot_port.h on the strict flash model. The model does
 * the physics (AND programming, erase times, power cuts); this file only
 * adds the port's contract: argument checks before anything is touched,
 * ascending word order, a millisecond clock and a watchdog counter.
 */
#include "boot_port_host.h"

#include "boot_port.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fota/fota_assert.h"
#include "fota/fota_crc32.h"
#include "fota/fota_err.h"
#include "fota/fota_le.h"
#include "fota/fota_nomalloc.h"

/* FOTA_ASSERT / FOTA_UNREACHABLE on the host: a bug stops the program
 * where it is found (include/fota/fota_assert.h). */
void fota_assert_failed(const char *file, int line)
{
    fprintf(stderr, "%s:%d: firmware bug\n", file, line);
    abort();
}

static sim_flash_t *s_flash;
static uint32_t s_wdt_kicks;
static int32_t s_fail_after = -1;
static uint8_t s_key[32];
static bool s_has_key;
/* The run of words in flight (boot_flash_start_words): the word being
 * programmed, and the ones after it. */
static struct {
    uint32_t addr, word, left;
    const uint8_t *src;
    bool on;
} s_run;
static uint8_t s_one_word[4];

void boot_port_host_bind(sim_flash_t *f)
{
    s_flash = f;
    memset(&s_run, 0, sizeof s_run);
    s_wdt_kicks = 0;
    s_fail_after = -1;
}

void boot_port_host_set_signing_key(const uint8_t *key)
{
    s_has_key = key != NULL;
    if (key != NULL)
        memcpy(s_key, key, sizeof s_key);
}

const uint8_t *boot_signing_key(void)
{
    return s_has_key ? s_key : NULL;
}

sim_flash_t *boot_port_host_flash(void)
{
    return s_flash;
}

uint32_t boot_port_host_wdt_kicks(void)
{
    return s_wdt_kicks;
}

void boot_port_host_fail_after(int32_t ok_ops)
{
    s_fail_after = ok_ops < 0 ? -1 : ok_ops;
}

/* Consume one operation of the injected-failure budget; true when this
 * operation is the one that must fail. */
static bool host_injected_failure(void)
{
    if (s_fail_after < 0)
        return false;
    if (s_fail_after == 0) {
        s_fail_after = -1;
        return true;
    }
    s_fail_after--;
    return false;
}

/* [addr, addr + len) lies inside main flash (overflow-safe). */
static bool host_in_flash(uint32_t addr, size_t len)
{
    return addr >= FOTA_FLASH_BASE && addr <= FOTA_FLASH_END &&
           len <= (size_t)(FOTA_FLASH_END - addr);
}

/* On the single bank any flash read stalls the bus until the running
 * program or erase ends; the clock shows that wait. */
static void host_stall(void)
{
    if (s_flash->now_ns < s_flash->busy_until_ns)
        s_flash->now_ns = s_flash->busy_until_ns;
}

int boot_flash_read(uint32_t addr, void *dst, size_t len)
{
    if (!s_flash)
        return FOTA_ERR_IO;
    if (!host_in_flash(addr, len))
        return FOTA_ERR_RANGE;
    host_stall();
    return sim_flash_read(s_flash, addr, dst, (uint32_t)len);
}

const void *boot_flash_map(uint32_t addr, size_t len)
{
    if (!s_flash || !host_in_flash(addr, len))
        return NULL;
    host_stall();
    return &s_flash->mem[addr - FOTA_FLASH_BASE];
}

bool boot_flash_blank(uint32_t addr, size_t len)
{
    const uint8_t *p = boot_flash_map(addr, len);

    if (p == NULL || len % 32u != 0)
        return false;
    for (size_t i = 0; i < len; i++)
        if (p[i] != 0xFFu)
            return false;
    return true;
}

int boot_flash_write(uint32_t addr, const void *src, size_t len)
{
    const uint8_t *p = src;

    if (!s_flash)
        return FOTA_ERR_IO;
    if (!host_in_flash(addr, len))
        return FOTA_ERR_RANGE;
    if (addr % FOTA_FLASH_WRITE_ALIGN || len % FOTA_FLASH_WRITE_ALIGN)
        return FOTA_ERR_INVAL;
    /* Ascending order matters: the journal's commit word is the last word
     * of a record and must land after everything it vouches for. */
    for (size_t off = 0; off < len; off += 4) {
        int rc;

        if (host_injected_failure())
            return FOTA_ERR_IO;
        rc = sim_flash_program_word(s_flash, addr + (uint32_t)off,
                                    fota_get_le32(p + off));
        if (rc)
            return rc;
    }
    return 0;
}

int boot_flash_erase_sector(unsigned sector)
{
    if (!s_flash)
        return FOTA_ERR_IO;
    if (sector >= FOTA_FLASH_SECTORS)
        return FOTA_ERR_RANGE;
    if (host_injected_failure())
        return FOTA_ERR_IO;
    return sim_flash_erase_sector(s_flash, sector);
}

int boot_flash_start_erase(unsigned sector)
{
    if (!s_flash)
        return FOTA_ERR_IO;
    if (sector >= FOTA_FLASH_SECTORS)
        return FOTA_ERR_RANGE;
    if (host_injected_failure())
        return FOTA_ERR_IO;
    return sim_flash_start_erase(s_flash, sector);
}

static int host_start_run_word(void)
{
    if (host_injected_failure())
        return FOTA_ERR_IO;
    return sim_flash_start_word(s_flash, s_run.addr, s_run.word);
}

int boot_flash_start_words(uint32_t addr, const uint8_t *src, uint32_t n)
{
    int rc;

    if (!s_flash)
        return FOTA_ERR_IO;
    if (n == 0 || addr % FOTA_FLASH_WRITE_ALIGN)
        return FOTA_ERR_INVAL;
    if (n > (uint32_t)FOTA_FLASH_SIZE / 4u || !host_in_flash(addr, n * 4u))
        return FOTA_ERR_RANGE;
    if (s_run.on || sim_flash_busy(s_flash))
        return FOTA_ERR_BUSY;
    s_run.addr = addr;
    s_run.word = fota_get_le32(src);
    s_run.src = src + 4;
    s_run.left = n - 1;
    rc = host_start_run_word();
    s_run.on = rc == 0;
    return rc;
}

int boot_flash_start_word(uint32_t addr, uint32_t word)
{
    fota_put_le32(s_one_word, word);
    return boot_flash_start_words(addr, s_one_word, 1);
}

int boot_flash_op_status(void)
{
    int rc;

    if (!s_flash)
        return 0;
    if (sim_flash_busy(s_flash))
        return 1;
    if (!s_run.on)
        return 0;
    /* The word just programmed reads back, then the next one starts. */
    if (fota_get_le32(&s_flash->mem[s_run.addr - FOTA_FLASH_BASE]) !=
        s_run.word) {
        s_run.on = false;
        return FOTA_ERR_IO;
    }
    if (s_run.left == 0) {
        s_run.on = false;
        return 0;
    }
    s_run.addr += 4;
    s_run.word = fota_get_le32(s_run.src);
    s_run.src += 4;
    s_run.left--;
    rc = host_start_run_word();
    if (rc < 0) {
        s_run.on = false;
        return rc;
    }
    return 1;
}

uint32_t boot_flash_crc(uint32_t addr, size_t len)
{
    /* The contract has no error return: outside flash (a caller bug, the
     * policy checks ranges first) the CRC of nothing is returned. */
    if (!s_flash || !host_in_flash(addr, len))
        return FOTA_CRC32_ST_INIT;
    host_stall();
    return fota_crc32_st(&s_flash->mem[addr - FOTA_FLASH_BASE], len);
}

uint32_t boot_clock_ms(void)
{
    if (!s_flash)
        return 0;
    /* Truncation to 32 bits is the documented 49-day wrap. */
    return (uint32_t)(s_flash->now_ns / 1000000u);
}

void boot_wdt_kick(void)
{
    s_wdt_kicks++;
}
