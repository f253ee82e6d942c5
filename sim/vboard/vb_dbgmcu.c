/*
 * vb_dbgmcu.c - the MCU debug component's identity register (RM0090
 * 38.6.1): DEV_ID 0x413 (STM32F405/407), REV_ID 0x1007.
 */
#include "vb_dev.h"
#include "vb_regs.h"

static uint32_t dbg_read(vb_sys_t *s, const vb_dev_t *d, void *st, uint32_t off)
{
    (void)s;
    (void)d;
    (void)st;
    return off == DBGMCU_IDCODE ? 0x10076413u : 0;
}

static void dbg_write(vb_sys_t *s, const vb_dev_t *d, void *st, uint32_t off,
                      uint32_t v, uint32_t mask)
{
    (void)s;
    (void)d;
    (void)st;
    (void)off;
    (void)v;
    (void)mask;
}

static void dbg_reset(vb_sys_t *s, const vb_dev_t *d, void *st, bool power_on)
{
    (void)s;
    (void)d;
    (void)st;
    (void)power_on;
}

const vb_dev_class_t vb_dbgmcu_class = {
    .state_size = 1,
    .reset = dbg_reset,
    .read = dbg_read,
    .write = dbg_write,
};
