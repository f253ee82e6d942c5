/*
 * vboard.c - the virtual board's core: memory map, CPU engine, virtual
 * clock, run loop, resets, power cuts, ELF loading and the master-side API.
 * Peripheral register models live in vb_periph.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fota/fota_err.h"
#include "fota/fota_le.h"
#include "vb_internal.h"

void vb_set_fault(vboard_t *b, const char *fmt, ...)
{
    va_list ap;

    if (b->fault[0])
        return; /* keep the first cause */
    va_start(ap, fmt);
    vsnprintf(b->fault, sizeof b->fault, fmt, ap);
    va_end(ap);
    b->stop_req = true;
}

/* The flash model keeps its own nanosecond clock; it follows the board's. */
void vb_sync_flash_clock(vboard_t *b)
{
    uint64_t ns = VB_TICKS_TO_NS(b->ticks);

    if (ns > b->flash->now_ns)
        b->flash->now_ns = ns;
}

static bool vb_in_flash(uint64_t addr)
{
    return addr < FOTA_FLASH_SIZE ||
           (addr >= FOTA_FLASH_BASE && addr < FOTA_FLASH_END);
}

static void vb_apply_fixups(vboard_t *b)
{
    for (unsigned i = 0; i < b->nfix; i++)
        memcpy(&b->flash->mem[b->fix[i].addr - FOTA_FLASH_BASE],
               b->fix[i].bytes, b->fix[i].len);
    b->nfix = 0;
}

/* --- cycle timing (vb_m4timing.h) --- */
static uint32_t vb_m4_reg(void *ctx, unsigned r)
{
    vboard_t *b = ctx;
    uint32_t v = 0;

    if (r <= 12)
        uc_reg_read(b->uc, UC_ARM_REG_R0 + (int)r, &v);
    return v;
}

/* The one place the clock advances for an executed instruction. */
static void vb_advance_insn(vboard_t *b, uint32_t addr, uint32_t size)
{
    uint32_t c = 1;

    b->insns++;
    b->insns_total++;
    if (b->cfg.cpi_model == VBOARD_CPI_M4 && b->m4) {
        uint8_t buf[4] = {0, 0, 0, 0};
        const uint8_t *code = buf;
        uint32_t off = addr & (FOTA_FLASH_SIZE - 1u);

        if (size != 2 && size != 4)
            size = 2;
        if (vb_in_flash(addr) && off + size <= FOTA_FLASH_SIZE)
            code = &b->flash->mem[off];
        else if (addr - VB_SRAM_BASE <= VB_SRAM_SIZE - size)
            code = &b->sram[addr - VB_SRAM_BASE];
        else
            vboard_read_mem(b, addr, buf, size);
        c = vb_m4_insn(b->m4, &b->m4s, addr, size, code, b->f_acr);
    }
    b->cycles += c;
    b->ticks += (uint64_t)c * b->tpc;
}

/* Bus extras the instruction's cost does not include (flash data wait
 * states, peripheral bridges, the CRC unit). */
static void vb_advance_bus(vboard_t *b, uint32_t c)
{
    b->cycles += c;
    b->ticks += (uint64_t)c * b->tpc;
}
/* --- end cycle timing --- */

/*
 * Called before every instruction. Unicorn checks for a stop request right
 * after this hook, so stopping here means the instruction at addr has not
 * run: slices end on exact instruction counts and times.
 */
static void vb_hook_code(uc_engine *uc, uint64_t addr, uint32_t size, void *ud)
{
    vboard_t *b = ud;

    if (b->nfix)
        vb_apply_fixups(b);
    bool at_pc = b->stop_pc && (uint32_t)addr == b->stop_pc &&
                 b->insns != b->run_start_insns;

    if (b->stop_req || b->insns >= b->stop_insn || b->ticks >= b->stop_tick ||
        at_pc) {
        if (at_pc)
            b->pc_hit = true;
        b->hook_stopped = true;
        b->resume_pc = (uint32_t)addr;
        uc_emu_stop(uc);
        return;
    }
    /* Single bank: an instruction fetch from flash waits for BSY to clear
     * (or for an earlier event, which is then served first). */
    if (b->f_busy_until > b->ticks && vb_in_flash(addr)) {
        vb_flash_stall(b);
        if (b->stop_req) {
            b->hook_stopped = true;
            b->resume_pc = (uint32_t)addr;
            uc_emu_stop(uc);
            return;
        }
    }
    vb_advance_insn(b, (uint32_t)addr, size);
}

/* Data reads from flash also stall while it is busy. */
static void vb_hook_flash_read(uc_engine *uc, uc_mem_type type, uint64_t addr,
                               int size, int64_t value, void *ud)
{
    vboard_t *b = ud;

    (void)uc;
    (void)type;
    (void)size;
    (void)value;
    if (b->f_busy_until > b->ticks)
        vb_flash_stall(b);
    if (b->cfg.cpi_model == VBOARD_CPI_M4) /* cycle timing */
        vb_advance_bus(b, vb_m4_flash_data(&b->m4s, (uint32_t)addr, b->f_acr));
}

/* Stores to flash: the mapping is writable so Unicorn lets the raw value
 * through after this hook; the model decides what the cells really hold and
 * a fixup restores that before the next instruction. */
static void vb_hook_flash_write(uc_engine *uc, uc_mem_type type, uint64_t addr,
                                int size, int64_t value, void *ud)
{
    vboard_t *b = ud;
    uint32_t a = (uint32_t)addr;

    (void)uc;
    (void)type;
    if (a < FOTA_FLASH_SIZE)
        a += FOTA_FLASH_BASE;
    if (size <= 0 || size > 8 || a + (uint32_t)size > FOTA_FLASH_END)
        return;
    vb_flash_store(b, a, (unsigned)size, (uint64_t)value);
    if (b->nfix < VB_MAX_FIXUPS) {
        vb_fixup_t *fx = &b->fix[b->nfix++];

        fx->addr = a;
        fx->len = (uint32_t)size;
        memcpy(fx->bytes, &b->flash->mem[a - FOTA_FLASH_BASE], (size_t)size);
    }
}

static void vb_hook_intr(uc_engine *uc, uint32_t intno, void *ud)
{
    vboard_t *b = ud;
    uint32_t pc = 0;
    uint8_t op[2] = {0, 0};

    uc_reg_read(uc, UC_ARM_REG_PC, &pc);
    /* EXCP_BKPT is 7 in the CPU model; the PC points at the BKPT. */
    if (intno == 7) {
        vboard_read_mem(b, pc & ~1u, op, 2);
        if (op[1] == 0xBE) {
            b->halted = true;
            b->halt_code = op[0];
            b->resume_pc = pc;
            uc_emu_stop(uc);
            return;
        }
    }
    vb_set_fault(b, "exception %u at pc 0x%08x (no exception model)", intno, pc);
    uc_emu_stop(uc);
}

static bool vb_hook_bad(uc_engine *uc, uc_mem_type type, uint64_t addr,
                        int size, int64_t value, void *ud)
{
    vboard_t *b = ud;
    uint32_t pc = 0;

    (void)size;
    (void)value;
    uc_reg_read(uc, UC_ARM_REG_PC, &pc);
    vb_set_fault(b, "bus fault: %s at 0x%08x (pc 0x%08x)",
                 type == UC_MEM_FETCH_UNMAPPED || type == UC_MEM_FETCH_PROT
                     ? "fetch"
                 : type == UC_MEM_WRITE_UNMAPPED || type == UC_MEM_WRITE_PROT
                     ? "write"
                     : "read",
                 (uint32_t)addr, pc);
    return false;
}

static uint64_t vb_mmio_read_periph(uc_engine *uc, uint64_t off, unsigned size,
                                    void *ud)
{
    vboard_t *b = ud;

    (void)uc;
    if (b->cfg.cpi_model == VBOARD_CPI_M4) /* cycle timing */
        vb_advance_bus(b, vb_m4_periph(&b->m4s, VB_PERIPH_BASE + (uint32_t)off, false));
    return vb_periph_read(ud, VB_PERIPH_BASE + (uint32_t)off, size);
}

static void vb_mmio_write_periph(uc_engine *uc, uint64_t off, unsigned size,
                                 uint64_t value, void *ud)
{
    vboard_t *b = ud;

    (void)uc;
    if (b->cfg.cpi_model == VBOARD_CPI_M4) /* cycle timing */
        vb_advance_bus(b, vb_m4_periph(&b->m4s, VB_PERIPH_BASE + (uint32_t)off, true));
    vb_periph_write(ud, VB_PERIPH_BASE + (uint32_t)off, (uint32_t)value, size);
}

static uint64_t vb_mmio_read_ppb(uc_engine *uc, uint64_t off, unsigned size,
                                 void *ud)
{
    (void)uc;
    return vb_periph_read(ud, VB_PPB_BASE + (uint32_t)off, size);
}

static void vb_mmio_write_ppb(uc_engine *uc, uint64_t off, unsigned size,
                              uint64_t value, void *ud)
{
    (void)uc;
    vb_periph_write(ud, VB_PPB_BASE + (uint32_t)off, (uint32_t)value, size);
}

/* A fresh CPU for every reset: it also throws away translated code, so
 * code in flash that changed while the board was off is fetched anew. */
static int vb_engine_open(vboard_t *b)
{
    uc_engine *uc = NULL;
    uc_err e;

    if (b->uc) {
        uc_close(b->uc);
        b->uc = NULL;
    }
    e = uc_open(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS, &uc);
    if (e != UC_ERR_OK)
        return FOTA_ERR_IO;
    uc_ctl_set_cpu_model(uc, UC_CPU_ARM_CORTEX_M4);
    e = uc_mem_map_ptr(uc, FOTA_FLASH_BASE, FOTA_FLASH_SIZE, UC_PROT_ALL,
                       b->flash->mem);
    if (!e)
        e = uc_mem_map_ptr(uc, 0, FOTA_FLASH_SIZE, UC_PROT_ALL, b->flash->mem);
    if (!e)
        e = uc_mem_map_ptr(uc, VB_SRAM_BASE, VB_SRAM_SIZE, UC_PROT_ALL, b->sram);
    if (!e)
        e = uc_mem_map_ptr(uc, VB_CCM_BASE, VB_CCM_SIZE,
                           UC_PROT_READ | UC_PROT_WRITE, b->ccm);
    if (!e)
        e = uc_mem_map_ptr(uc, VB_SYS_BASE, VB_SYS_SIZE,
                           UC_PROT_READ | UC_PROT_EXEC, b->sys);
    if (!e)
        e = uc_mem_map_ptr(uc, VB_OPT_BASE, VB_OPT_SIZE, UC_PROT_READ, b->opt);
    if (!e)
        e = uc_mmio_map(uc, VB_PERIPH_BASE, VB_PERIPH_SIZE, vb_mmio_read_periph,
                        b, vb_mmio_write_periph, b);
    if (!e)
        e = uc_mmio_map(uc, VB_PPB_BASE, VB_PPB_SIZE, vb_mmio_read_ppb, b,
                        vb_mmio_write_ppb, b);
    if (!e)
        e = uc_hook_add(uc, &b->h_code, UC_HOOK_CODE, (void *)vb_hook_code, b,
                        1, 0);
    if (!e)
        e = uc_hook_add(uc, &b->h_fwrite, UC_HOOK_MEM_WRITE,
                        (void *)vb_hook_flash_write, b, 0,
                        FOTA_FLASH_SIZE - 1);
    if (!e)
        e = uc_hook_add(uc, &b->h_fwrite, UC_HOOK_MEM_WRITE,
                        (void *)vb_hook_flash_write, b, FOTA_FLASH_BASE,
                        FOTA_FLASH_END - 1);
    if (!e)
        e = uc_hook_add(uc, &b->h_fread, UC_HOOK_MEM_READ,
                        (void *)vb_hook_flash_read, b, 0, FOTA_FLASH_SIZE - 1);
    if (!e)
        e = uc_hook_add(uc, &b->h_fread, UC_HOOK_MEM_READ,
                        (void *)vb_hook_flash_read, b, FOTA_FLASH_BASE,
                        FOTA_FLASH_END - 1);
    if (!e)
        e = uc_hook_add(uc, &b->h_intr, UC_HOOK_INTR, (void *)vb_hook_intr, b,
                        1, 0);
    if (!e)
        e = uc_hook_add(uc, &b->h_bad, UC_HOOK_MEM_INVALID, (void *)vb_hook_bad,
                        b, 1, 0);
    if (e) {
        uc_close(uc);
        return FOTA_ERR_IO;
    }
    b->uc = uc;
    return 0;
}

static uint32_t vb_junk(vboard_t *b)
{
    uint32_t x = b->junk_state;

    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    b->junk_state = x ? x : 0x1234567u;
    return b->junk_state;
}

static void vb_fill_junk(vboard_t *b, uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 4 <= n; i += 4)
        fota_put_le32(&p[i], vb_junk(b));
}

static void vb_init_sysmem(vboard_t *b)
{
    memset(b->sys, 0xFF, VB_SYS_SIZE);
    memset(b->opt, 0xFF, VB_OPT_SIZE);
    /* Unique device ID (0x1FFF7A10, 96 bits) and flash size in KiB. */
    fota_put_le32(&b->sys[0x7A10], 0x00300041u);
    fota_put_le32(&b->sys[0x7A14], 0x3137510Eu);
    fota_put_le32(&b->sys[0x7A18], 0x33383339u);
    b->sys[0x7A22] = 0x00;
    b->sys[0x7A23] = 0x04; /* 1024 */
    b->sys[0x7A22] = (uint8_t)(1024 & 0xFF);
    b->sys[0x7A23] = (uint8_t)(1024 >> 8);
    /* Option bytes: RDP level 0 (0xAA), USER 0xEC, no sector protected. */
    b->opt[0] = 0xEC;
    b->opt[1] = 0xAA;
    b->opt[2] = 0x13;
    b->opt[3] = 0x55;
    b->opt[8] = 0xFF;
    b->opt[9] = 0x0F;
    b->opt[10] = 0x00;
    b->opt[11] = 0xF0;
}

void vboard_config_default(vboard_config_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->flash_timing = SIM_FLASH_TYPICAL;
    cfg->hse_startup_us = 2000;
    cfg->pll_lock_us = 100;
    cfg->junk_seed = 0xC0FFEEu;
    cfg->nss_high = true;
    cfg->cpi_model = VBOARD_CPI_M4;
}

vboard_t *vboard_create(const vboard_config_t *cfg)
{
    vboard_t *b = calloc(1, sizeof *b);

    if (!b)
        return NULL;
    if (cfg)
        b->cfg = *cfg;
    else
        vboard_config_default(&b->cfg);
    b->flash = malloc(sizeof *b->flash);
    b->sram = malloc(VB_SRAM_SIZE);
    b->ccm = malloc(VB_CCM_SIZE);
    b->sys = malloc(VB_SYS_SIZE);
    b->opt = malloc(VB_OPT_SIZE);
    b->shadow_periph = calloc(1, VB_PERIPH_SIZE);
    b->shadow_ppb = calloc(1, VB_PPB_SIZE);
    b->f_op_backup = malloc(0x20000);
    if (b->cfg.cpi_model == VBOARD_CPI_M4 && !(b->m4 = vb_m4_create(vb_m4_reg, b))) {
        vboard_destroy(b); /* cycle timing */
        return NULL;
    }
    b->uart_cap = 4096;
    b->uart_out = malloc(b->uart_cap);
    if (!b->flash || !b->sram || !b->ccm || !b->sys || !b->opt ||
        !b->shadow_periph || !b->shadow_ppb || !b->f_op_backup || !b->uart_out) {
        vboard_destroy(b);
        return NULL;
    }
    b->uart_out[0] = '\0';
    sim_flash_init(b->flash, (enum sim_flash_timing)b->cfg.flash_timing);
    b->junk_state = b->cfg.junk_seed ? b->cfg.junk_seed : 0xC0FFEEu;
    vb_fill_junk(b, b->sram, VB_SRAM_SIZE);
    vb_fill_junk(b, b->ccm, VB_CCM_SIZE);
    vb_init_sysmem(b);
    b->nss_high = b->cfg.nss_high;
    b->spi_hz = 8000000u;
    for (unsigned p = 0; p < 5; p++)
        memset(b->gpio[p].ext, -1, sizeof b->gpio[p].ext);
    b->halt_code = -1;
    if (getenv("VBOARD_SPI_TRACE") && getenv("VBOARD_SPI_TRACE")[0] == '1')
        b->spi_trace = stderr;
    b->tpc = (uint32_t)(VB_TICK_HZ / VB_HSI_HZ);
    b->hclk_hz = VB_HSI_HZ;
    return b;
}

void vboard_destroy(vboard_t *b)
{
    if (!b)
        return;
    if (b->uc)
        uc_close(b->uc);
    vb_m4_destroy(b->m4); /* cycle timing */
    free(b->flash);
    free(b->sram);
    free(b->ccm);
    free(b->sys);
    free(b->opt);
    free(b->shadow_periph);
    free(b->shadow_ppb);
    free(b->f_op_backup);
    free(b->uart_out);
    free(b->led_log);
    free(b);
}

sim_flash_t *vboard_flash(vboard_t *b)
{
    return b->flash;
}

/* Pointer to len bytes of backing store at addr, or NULL. */
static uint8_t *vb_backing(const vboard_t *b, uint32_t addr, size_t len)
{
    struct {
        uint32_t base, size;
        uint8_t *p;
    } r[] = {
        {FOTA_FLASH_BASE, FOTA_FLASH_SIZE, b->flash->mem},
        {0, FOTA_FLASH_SIZE, b->flash->mem},
        {VB_SRAM_BASE, VB_SRAM_SIZE, b->sram},
        {VB_CCM_BASE, VB_CCM_SIZE, b->ccm},
        {VB_SYS_BASE, VB_SYS_SIZE, b->sys},
        {VB_OPT_BASE, VB_OPT_SIZE, b->opt},
    };

    for (size_t i = 0; i < sizeof r / sizeof r[0]; i++)
        if (addr >= r[i].base && addr - r[i].base <= r[i].size &&
            len <= r[i].size - (addr - r[i].base))
            return r[i].p + (addr - r[i].base);
    return NULL;
}

int vboard_read_mem(const vboard_t *b, uint32_t addr, void *dst, size_t len)
{
    const uint8_t *p = vb_backing(b, addr, len);

    if (!p)
        return FOTA_ERR_RANGE;
    memcpy(dst, p, len);
    return 0;
}

int vboard_write_mem(vboard_t *b, uint32_t addr, const void *src, size_t len)
{
    uint8_t *p = NULL;

    if ((addr >= VB_SRAM_BASE && addr < VB_SRAM_BASE + VB_SRAM_SIZE) ||
        (addr >= VB_CCM_BASE && addr < VB_CCM_BASE + VB_CCM_SIZE))
        p = vb_backing(b, addr, len);
    if (!p)
        return FOTA_ERR_RANGE;
    memcpy(p, src, len);
    return 0;
}

int vboard_program_flash(vboard_t *b, uint32_t addr, const void *src, size_t len)
{
    const uint8_t *s = src;

    if (addr < FOTA_FLASH_BASE || addr > FOTA_FLASH_END ||
        len > FOTA_FLASH_END - addr)
        return FOTA_ERR_RANGE;
    for (size_t i = 0; i < len; i++)
        b->flash->mem[addr - FOTA_FLASH_BASE + i] &= s[i];
    return 0;
}

static uint8_t *vb_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    long n;

    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
        fseek(f, 0, SEEK_SET) == 0) {
        buf = malloc((size_t)n + 1);
        if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
            free(buf);
            buf = NULL;
        }
        *len = (size_t)n;
    }
    fclose(f);
    return buf;
}

int vboard_load_elf(vboard_t *b, const char *path)
{
    size_t len = 0;
    uint8_t *e = vb_read_file(path, &len);
    int rc = 0;

    if (!e)
        return FOTA_ERR_IO;
    /* ELF32, little-endian, ARM (machine 40), with program headers. */
    if (len < 52 || memcmp(e, "\177ELF", 4) != 0 || e[4] != 1 || e[5] != 1 ||
        fota_get_le16(&e[18]) != 40) {
        rc = FOTA_ERR_CORRUPT;
        goto out;
    }
    uint32_t phoff = fota_get_le32(&e[28]);
    uint16_t phentsize = fota_get_le16(&e[42]);
    uint16_t phnum = fota_get_le16(&e[44]);

    if (phentsize < 32 || phoff > len || (size_t)phnum * phentsize > len - phoff) {
        rc = FOTA_ERR_CORRUPT;
        goto out;
    }
    for (unsigned i = 0; i < phnum; i++) {
        const uint8_t *ph = &e[phoff + (size_t)i * phentsize];
        uint32_t type = fota_get_le32(&ph[0]);
        uint32_t off = fota_get_le32(&ph[4]);
        uint32_t paddr = fota_get_le32(&ph[12]);
        uint32_t filesz = fota_get_le32(&ph[16]);

        if (type != 1 || filesz == 0) /* PT_LOAD with data */
            continue;
        if (off > len || filesz > len - off) {
            rc = FOTA_ERR_CORRUPT;
            goto out;
        }
        if (paddr >= FOTA_FLASH_BASE && paddr < FOTA_FLASH_END)
            rc = vboard_program_flash(b, paddr, &e[off], filesz);
        else
            rc = vboard_write_mem(b, paddr, &e[off], filesz);
        if (rc)
            goto out;
    }
out:
    free(e);
    return rc;
}

int vboard_load_bin(vboard_t *b, const char *path, uint32_t addr)
{
    size_t len = 0;
    uint8_t *bin = vb_read_file(path, &len);
    int rc;

    if (!bin)
        return FOTA_ERR_IO;
    rc = vboard_program_flash(b, addr, bin, len);
    free(bin);
    return rc;
}

int vboard_load_flash_image(vboard_t *b, const char *path)
{
    size_t len = 0;
    uint8_t *img = vb_read_file(path, &len);
    int rc = 0;

    if (!img)
        return FOTA_ERR_IO;
    if (len > FOTA_FLASH_SIZE) {
        rc = FOTA_ERR_RANGE;
        goto out;
    }
    memset(b->flash->mem, FOTA_FLASH_ERASED, FOTA_FLASH_SIZE);
    memcpy(b->flash->mem, img, len);
out:
    free(img);
    return rc;
}

int vboard_save_flash_image(const vboard_t *b, const char *path)
{
    FILE *f = fopen(path, "wb");
    int rc = 0;

    if (!f)
        return FOTA_ERR_IO;
    if (fwrite(b->flash->mem, 1, FOTA_FLASH_SIZE, f) != FOTA_FLASH_SIZE)
        rc = FOTA_ERR_IO;
    if (fclose(f) != 0)
        rc = FOTA_ERR_IO;
    return rc;
}

void vboard_reset(vboard_t *b, enum vboard_reset_kind kind)
{
    uint8_t vec[8];
    uint32_t sp, pc;

    vb_flash_tear_inflight(b);
    if (kind == VBOARD_RESET_POWER) {
        /* SRAM and CCM lose their content; nothing of the old state is
         * trustworthy afterwards, which the firmware must cope with. */
        vb_fill_junk(b, b->sram, VB_SRAM_SIZE);
        vb_fill_junk(b, b->ccm, VB_CCM_SIZE);
        b->rcc_csr_flags = VBOARD_RST_POR | VBOARD_RST_PIN | VBOARD_RST_BOR;
        b->power_cuts += b->powered ? 1 : 0;
        b->powered = true;
    } else {
        b->rcc_csr_flags |= VBOARD_RST_PIN;
    }
    b->nfix = 0;
    vb_periph_reset(b, kind == VBOARD_RESET_POWER);
    b->insns = 0;
    b->cycles = 0;                /* cycle timing */
    vb_m4_state_reset(&b->m4s);
    b->halted = false;
    b->halt_code = -1;
    b->fault[0] = '\0';
    b->stop_req = false;
    b->reset_pending = false;
    b->iwdg_reset_pending = false;
    b->power_cut_pending = false;
    b->resets++;
    if (vb_engine_open(b) != 0) {
        vb_set_fault(b, "cpu engine failed to start");
        b->halted = true;
        return;
    }
    vboard_read_mem(b, 0, vec, sizeof vec);
    sp = fota_get_le32(&vec[0]);
    pc = fota_get_le32(&vec[4]);
    uc_reg_write(b->uc, UC_ARM_REG_SP, &sp);
    uc_reg_write(b->uc, UC_ARM_REG_MSP, &sp);
    b->resume_pc = pc & ~1u;
}

/* Internal reset requests (SYSRESETREQ, IWDG, armed flash cut). */
static void vb_take_pending_resets(vboard_t *b)
{
    if (b->power_cut_pending) {
        vboard_reset(b, VBOARD_RESET_POWER);
    } else if (b->iwdg_reset_pending) {
        b->rcc_csr_flags |= VBOARD_RST_IWDG | VBOARD_RST_PIN;
        vboard_reset(b, VBOARD_RESET_PIN);
    } else if (b->reset_pending) {
        b->rcc_csr_flags |= VBOARD_RST_SFT | VBOARD_RST_PIN;
        vboard_reset(b, VBOARD_RESET_PIN);
    }
}

/*
 * Run the CPU until the clock reaches until_tick, the instruction counter
 * reaches until_insn, or a stop condition (PC, UART text, halt, fault).
 * Between slices, timed peripheral events (watchdog expiry, clock switch)
 * are serviced.
 */
static int vb_exec(vboard_t *b, uint64_t until_tick, uint64_t until_insn)
{
    if (!b->powered)
        vboard_reset(b, VBOARD_RESET_POWER);
    for (;;) {
        if (b->reset_pending || b->iwdg_reset_pending || b->power_cut_pending) {
            bool cut = b->power_cut_pending;

            vb_take_pending_resets(b);
            if (cut)
                return VBOARD_STOP_TIME;
        }
        if (b->pc_hit)
            return VBOARD_STOP_PC;
        if (b->uart_hit)
            return VBOARD_STOP_UART;
        if (b->fault[0])
            return VBOARD_STOP_FAULT;
        if (b->halted)
            return VBOARD_STOP_HALT;
        if (b->ticks >= until_tick)
            return VBOARD_STOP_TIME;
        if (b->insns >= until_insn)
            return VBOARD_STOP_INSNS;

        uint64_t ev = vb_next_event(b);

        if (ev <= b->ticks) {
            vb_service_events(b);
            continue;
        }
        if (b->nrst_low) {
            /* Held in reset: time passes, nothing runs. */
            if (until_tick == VB_NEVER)
                return VBOARD_STOP_IDLE;
            b->ticks = until_tick;
            continue;
        }
        b->stop_tick = until_tick < ev ? until_tick : ev;
        b->stop_insn = until_insn;
        b->hook_stopped = false;
        b->stop_req = false;

        uc_err e = uc_emu_start(b->uc, b->resume_pc | 1u, 1, 0, 0);

        if (b->nfix)
            vb_apply_fixups(b);
        if (b->tb_flush_hi) {
            /* Flash changed under code that may have been translated. */
            uc_ctl_remove_cache(b->uc, b->tb_flush_lo, b->tb_flush_hi);
            uc_ctl_remove_cache(b->uc, b->tb_flush_lo - FOTA_FLASH_BASE,
                                b->tb_flush_hi - FOTA_FLASH_BASE);
            vb_m4_invalidate(b->m4, b->tb_flush_lo, b->tb_flush_hi); /* cycle timing */
            b->tb_flush_lo = b->tb_flush_hi = 0;
        }
        if (b->halted || b->fault[0] || b->pc_hit)
            continue;
        if (e != UC_ERR_OK) {
            uint32_t pc = 0;

            uc_reg_read(b->uc, UC_ARM_REG_PC, &pc);
            vb_set_fault(b, "cpu stopped: %s at pc 0x%08x", uc_strerror(e), pc);
            continue;
        }
        if (!b->hook_stopped) {
            /* Unicorn returns on WFI: the core sleeps until the next event.
             * Without interrupts only a board-side event can matter, so
             * time jumps to the end of the slice and the CPU resumes after
             * the WFI. */
            uint32_t pc = 0;

            uc_reg_read(b->uc, UC_ARM_REG_PC, &pc);
            b->resume_pc = pc;
            if (b->stop_tick == VB_NEVER)
                return VBOARD_STOP_IDLE;
            b->ticks = b->stop_tick;
        }
    }
}

int vboard_run(vboard_t *b, const vboard_until_t *u)
{
    uint64_t until_tick = VB_NEVER, until_insn = VB_NEVER;
    int rc;

    if (!u || (!u->max_ns && !u->max_insns && !u->pc && !u->uart_text))
        return FOTA_ERR_INVAL;
    if (!b->powered)
        vboard_reset(b, VBOARD_RESET_POWER);
    if (u->max_ns)
        until_tick = b->ticks + VB_NS_TO_TICKS(u->max_ns);
    if (u->max_insns)
        until_insn = b->insns + u->max_insns;
    b->stop_pc = u->pc & ~1u;
    b->run_start_insns = b->insns;
    b->pc_hit = false;
    b->uart_wait = u->uart_text;
    b->uart_match_from = b->uart_len;
    b->uart_hit = false;
    rc = vb_exec(b, until_tick, until_insn);
    b->stop_pc = 0;
    b->pc_hit = false;
    b->uart_wait = NULL;
    b->uart_hit = false;
    return rc;
}

int vboard_run_ns(vboard_t *b, uint64_t ns)
{
    vboard_until_t u = {.max_ns = ns ? ns : 1};

    return vboard_run(b, &u);
}

int vboard_run_insns(vboard_t *b, uint64_t n)
{
    vboard_until_t u = {.max_insns = n ? n : 1};

    if (!n)
        return VBOARD_STOP_INSNS;
    return vboard_run(b, &u);
}

uint64_t vboard_power_cut_after(vboard_t *b, uint64_t n)
{
    uint64_t start;

    if (!b->powered)
        vboard_reset(b, VBOARD_RESET_POWER);
    start = b->insns_total;
    if (n)
        vboard_run_insns(b, n);
    start = b->insns_total - start;
    vboard_reset(b, VBOARD_RESET_POWER);
    return start;
}

void vboard_arm_flash_cut(vboard_t *b, uint64_t op, enum sim_cut_mode mode,
                          uint32_t seed)
{
    sim_flash_arm_cut(b->flash, op, mode, seed, NULL);
    b->f_cut_armed = mode != SIM_CUT_NONE;
}

bool vboard_stall_for_flash(vboard_t *b)
{
    uint64_t t = b->ticks;

    vb_flash_stall(b);
    /* vb_flash_stall asks a running CPU to stop when an event comes first;
     * nothing runs here, the next vboard_run serves the event. */
    b->stop_req = false;
    return b->ticks != t;
}

uint64_t vboard_power_cuts(const vboard_t *b)
{
    return b->power_cuts;
}

void vboard_set_nrst(vboard_t *b, bool low)
{
    if (b->nrst_low && !low) {
        b->nrst_low = false;
        b->rcc_csr_flags |= VBOARD_RST_PIN;
        vboard_reset(b, VBOARD_RESET_PIN);
        return;
    }
    if (low && !b->nrst_low) {
        /* Everything stops while NRST is low, the watchdog included. */
        vb_flash_tear_inflight(b);
        b->iwdg_on = false;
    }
    b->nrst_low = low;
}

void vboard_set_nss(vboard_t *b, bool high)
{
    b->nss_high = high;
}

void vboard_spi_set_cs(vboard_t *b, bool asserted)
{
    b->nss_high = !asserted;
}

void vboard_set_pin(vboard_t *b, unsigned port, unsigned pin, int level)
{
    if (port >= 5 || pin >= 16)
        return;
    if (port == 0 && pin == 4 && level >= 0) {
        b->nss_high = level != 0;
        return;
    }
    b->gpio[port].ext[pin] = (int8_t)(level < 0 ? -1 : level != 0);
}

void vboard_spi_set_hz(vboard_t *b, uint32_t hz)
{
    if (hz)
        b->spi_hz = hz;
}

int vboard_spi_xfer(vboard_t *b, const uint8_t *tx, uint8_t *rx, size_t len)
{
    uint64_t byte_ticks;

    if (!b->spi_hz)
        return FOTA_ERR_INVAL;
    if (!b->powered)
        vboard_reset(b, VBOARD_RESET_POWER);
    byte_ticks = (8u * VB_TICK_HZ + b->spi_hz / 2) / b->spi_hz;
    /* Byte i ends at t0 + (i + 1) byte times: the master's clock does not
     * drift when the CPU's last instruction of a byte ends after it (cycle
     * timing: instructions take several cycles). */
    uint64_t end = b->ticks;

    for (size_t i = 0; i < len; i++) {
        uint8_t miso = 0xFF;

        end += byte_ticks;
        vb_spi_byte(b, tx ? tx[i] : 0x00, &miso, end > b->ticks ? end - b->ticks : 0);
        if (rx)
            rx[i] = miso;
    }
    return 0;
}

/* Called by the SPI model: let the firmware run for the byte's duration. */
void vb_run_ticks(vboard_t *b, uint64_t ticks)
{
    uint64_t until = b->ticks + ticks;

    while (b->ticks < until) {
        int rc = vb_exec(b, until, VB_NEVER);

        if (rc == VBOARD_STOP_HALT || rc == VBOARD_STOP_FAULT ||
            rc == VBOARD_STOP_IDLE) {
            b->ticks = until; /* a dead CPU does not stop the clock */
            break;
        }
    }
}

void vboard_spi_trace(vboard_t *b, FILE *f)
{
    b->spi_trace = f;
}

void vboard_spi_stats(const vboard_t *b, uint64_t *bytes, uint64_t *overruns,
                      uint64_t *stale)
{
    if (bytes)
        *bytes = b->spi_bytes;
    if (overruns)
        *overruns = b->spi_overruns;
    if (stale)
        *stale = b->spi_stale;
}

const char *vboard_uart_output(const vboard_t *b, size_t *len)
{
    if (len)
        *len = b->uart_len;
    return b->uart_out;
}

void vboard_uart_clear(vboard_t *b)
{
    b->uart_len = 0;
    b->uart_match_from = 0;
    b->uart_out[0] = '\0';
}

void vboard_uart_set_sink(vboard_t *b, void (*sink)(void *ctx, uint8_t byte),
                          void *ctx)
{
    b->uart_sink = sink;
    b->uart_sink_ctx = ctx;
}

uint8_t vboard_leds(const vboard_t *b)
{
    return b->leds;
}

size_t vboard_led_log(const vboard_t *b, const vboard_led_event_t **events)
{
    if (events)
        *events = b->led_log;
    return b->led_n;
}

uint64_t vboard_now_ns(const vboard_t *b)
{
    return VB_TICKS_TO_NS(b->ticks);
}

uint64_t vboard_insns(const vboard_t *b)
{
    return b->insns;
}

uint64_t vboard_insns_total(const vboard_t *b)
{
    return b->insns_total;
}

uint64_t vboard_cycles(const vboard_t *b)
{
    return b->cycles;
}

uint32_t vboard_hclk_hz(const vboard_t *b)
{
    return b->hclk_hz;
}

uint32_t vboard_pc(const vboard_t *b)
{
    return b->resume_pc;
}

uint32_t vboard_reg(const vboard_t *b, int reg)
{
    uint32_t v = 0;

    if (b->uc)
        uc_reg_read(b->uc, reg, &v);
    return v;
}

uint32_t vboard_reset_flags(const vboard_t *b)
{
    return b->rcc_csr_flags;
}

uint64_t vboard_reset_count(const vboard_t *b)
{
    return b->resets;
}

int vboard_halt_code(const vboard_t *b)
{
    return b->halted ? b->halt_code : -1;
}

const char *vboard_fault(const vboard_t *b)
{
    return b->fault[0] ? b->fault : NULL;
}

uint64_t vboard_unclocked_accesses(const vboard_t *b)
{
    return b->unclocked;
}

/* ------------------------------------------------------------ snapshots */

/* The CPU state a firmware without exceptions can have (thread mode):
 * CONTROL first, so that MSP and PSP land in their banks. */
static const int s_snap_regs32[] = {
    UC_ARM_REG_CONTROL, UC_ARM_REG_MSP,     UC_ARM_REG_PSP,
    UC_ARM_REG_R0,      UC_ARM_REG_R1,      UC_ARM_REG_R2,
    UC_ARM_REG_R3,      UC_ARM_REG_R4,      UC_ARM_REG_R5,
    UC_ARM_REG_R6,      UC_ARM_REG_R7,      UC_ARM_REG_R8,
    UC_ARM_REG_R9,      UC_ARM_REG_R10,     UC_ARM_REG_R11,
    UC_ARM_REG_R12,     UC_ARM_REG_LR,      UC_ARM_REG_XPSR,
    UC_ARM_REG_ITSTATE, UC_ARM_REG_PRIMASK, UC_ARM_REG_BASEPRI,
    UC_ARM_REG_FAULTMASK, UC_ARM_REG_FPSCR,
};
#define VB_SNAP_NREGS (sizeof s_snap_regs32 / sizeof s_snap_regs32[0])

struct vboard_snapshot {
    struct vboard board;    /* scalar state; its pointers are not used */
    sim_flash_t flash;
    uint8_t sram[VB_SRAM_SIZE];
    uint8_t ccm[VB_CCM_SIZE];
    uint8_t opt[VB_OPT_SIZE];
    uint8_t shadow_periph[VB_PERIPH_SIZE];
    uint8_t shadow_ppb[VB_PPB_SIZE];
    uint8_t op_backup[0x20000];
    char *uart_out;
    vboard_led_event_t *led_log;
    bool has_cpu;
    uint32_t regs[VB_SNAP_NREGS];
    uint64_t dregs[16];
};

vboard_snapshot_t *vboard_snapshot(const vboard_t *b)
{
    vboard_snapshot_t *s = malloc(sizeof *s);

    if (!s)
        return NULL;
    s->board = *b;
    s->flash = *b->flash;
    memcpy(s->sram, b->sram, VB_SRAM_SIZE);
    memcpy(s->ccm, b->ccm, VB_CCM_SIZE);
    memcpy(s->opt, b->opt, VB_OPT_SIZE);
    memcpy(s->shadow_periph, b->shadow_periph, VB_PERIPH_SIZE);
    memcpy(s->shadow_ppb, b->shadow_ppb, VB_PPB_SIZE);
    memcpy(s->op_backup, b->f_op_backup, sizeof s->op_backup);
    s->uart_out = malloc(b->uart_len + 1);
    s->led_log = malloc((b->led_n ? b->led_n : 1) * sizeof *s->led_log);
    if (!s->uart_out || !s->led_log) {
        vboard_snapshot_free(s);
        return NULL;
    }
    memcpy(s->uart_out, b->uart_out, b->uart_len + 1);
    if (b->led_n)
        memcpy(s->led_log, b->led_log, b->led_n * sizeof *s->led_log);
    s->has_cpu = b->uc != NULL;
    for (size_t i = 0; s->has_cpu && i < VB_SNAP_NREGS; i++) {
        s->regs[i] = 0;
        uc_reg_read(b->uc, s_snap_regs32[i], &s->regs[i]);
    }
    for (int i = 0; s->has_cpu && i < 16; i++) {
        s->dregs[i] = 0;
        uc_reg_read(b->uc, UC_ARM_REG_D0 + i, &s->dregs[i]);
    }
    return s;
}

int vboard_restore(vboard_t *b, const vboard_snapshot_t *s)
{
    struct vboard keep = *b;
    char *uart;
    vboard_led_event_t *leds;

    uart = realloc(b->uart_out, s->board.uart_cap);
    if (!uart)
        return FOTA_ERR_NOMEM;
    b->uart_out = uart;
    leds = s->board.led_cap ? realloc(b->led_log, s->board.led_cap * sizeof *leds)
                            : b->led_log;
    if (s->board.led_cap && !leds)
        return FOTA_ERR_NOMEM;
    keep.uart_out = uart;
    keep.led_log = leds;

    *b = s->board;
    /* The board's own buffers and host attachments stay. */
    b->uc = keep.uc;
    b->m4 = keep.m4; /* cycle timing: the cost cache checks the code bytes */
    b->flash = keep.flash;
    b->sram = keep.sram;
    b->ccm = keep.ccm;
    b->sys = keep.sys;
    b->opt = keep.opt;
    b->shadow_periph = keep.shadow_periph;
    b->shadow_ppb = keep.shadow_ppb;
    b->f_op_backup = keep.f_op_backup;
    b->uart_out = keep.uart_out;
    b->led_log = keep.led_log;
    b->uart_sink = keep.uart_sink;
    b->uart_sink_ctx = keep.uart_sink_ctx;
    b->spi_trace = keep.spi_trace;
    b->uart_wait = NULL;
    b->uart_hit = false;
    b->stop_pc = 0;
    b->pc_hit = false;

    *b->flash = s->flash;
    memcpy(b->sram, s->sram, VB_SRAM_SIZE);
    memcpy(b->ccm, s->ccm, VB_CCM_SIZE);
    memcpy(b->opt, s->opt, VB_OPT_SIZE);
    memcpy(b->shadow_periph, s->shadow_periph, VB_PERIPH_SIZE);
    memcpy(b->shadow_ppb, s->shadow_ppb, VB_PPB_SIZE);
    memcpy(b->f_op_backup, s->op_backup, sizeof s->op_backup);
    memcpy(b->uart_out, s->uart_out, s->board.uart_len + 1);
    if (s->board.led_n)
        memcpy(b->led_log, s->led_log, s->board.led_n * sizeof *b->led_log);

    if (!s->has_cpu) {
        if (b->uc)
            uc_close(b->uc);
        b->uc = NULL;
        return 0;
    }
    /* A fresh engine (no stale translations) with the saved registers. */
    if (vb_engine_open(b) != 0)
        return FOTA_ERR_IO;
    for (size_t i = 0; i < VB_SNAP_NREGS; i++)
        uc_reg_write(b->uc, s_snap_regs32[i], &s->regs[i]);
    for (int i = 0; i < 16; i++)
        uc_reg_write(b->uc, UC_ARM_REG_D0 + i, &s->dregs[i]);
    return 0;
}

void vboard_snapshot_free(vboard_snapshot_t *s)
{
    if (!s)
        return;
    free(s->uart_out);
    free(s->led_log);
    free(s);
}
