/*
 * vb_periph.c - register models of the virtual STM32F407's peripherals
 * (RM0090 semantics): RCC, PWR, FLASH interface, GPIO A-E, SPI1 (slave),
 * USART1, CRC, IWDG, SysTick, SCB, DWT. Registers nobody models read back
 * what was written (a shadow array), so unrelated set-up code still runs.
 *
 * State that depends on time (ready bits, counters, UART shifter, flash
 * BSY) is computed from the virtual clock when the firmware looks at it,
 * which gives the same answers as ticking it every cycle.
 */
#include <stdlib.h>
#include <string.h>

#include "fota/fota_err.h"
#include "fota/fota_le.h"
#include "vb_internal.h"

/* Peripheral bases. */
#define IWDG_BASE 0x40003000u
#define PWR_BASE 0x40007000u
#define USART1_BASE 0x40011000u
#define SPI1_BASE 0x40013000u
#define GPIO_BASE 0x40020000u
#define CRC_BASE 0x40023000u
#define DMA2_BASE 0x40026400u
#define RCC_BASE 0x40023800u
#define FLASH_IF_BASE 0x40023C00u
#define DWT_BASE 0xE0001000u
#define SYST_BASE 0xE000E010u
#define SCB_BASE 0xE000ED00u
#define DBGMCU_IDCODE 0xE0042000u

/* RCC bits. */
#define RCC_CR_HSION (1u << 0)
#define RCC_CR_HSIRDY (1u << 1)
#define RCC_CR_HSEON (1u << 16)
#define RCC_CR_HSERDY (1u << 17)
#define RCC_CR_PLLON (1u << 24)
#define RCC_CR_PLLRDY (1u << 25)
#define RCC_AHB1_GPIO(n) (1u << (n))
#define RCC_AHB1_CRC (1u << 12)
#define RCC_AHB1_DMA2 (1u << 22)
#define RCC_APB2_USART1 (1u << 4)
#define RCC_APB2_SPI1 (1u << 12)
#define RCC_APB1_PWR (1u << 28)
#define RCC_CSR_RMVF (1u << 24)

/* FLASH interface bits. */
#define FL_SR_EOP (1u << 0)
#define FL_SR_OPERR (1u << 1)
#define FL_SR_WRPERR (1u << 4)
#define FL_SR_PGAERR (1u << 5)
#define FL_SR_PGPERR (1u << 6)
#define FL_SR_PGSERR (1u << 7)
#define FL_SR_BSY (1u << 16)
#define FL_SR_W1C 0xF3u
#define FL_SR_SEQERR (FL_SR_PGAERR | FL_SR_PGPERR | FL_SR_PGSERR | FL_SR_WRPERR)
#define FL_CR_PG (1u << 0)
#define FL_CR_SER (1u << 1)
#define FL_CR_MER (1u << 2)
#define FL_CR_SNB_SHIFT 3
#define FL_CR_SNB_MASK (0xFu << 3)
#define FL_CR_PSIZE_SHIFT 8
#define FL_CR_STRT (1u << 16)
#define FL_CR_EOPIE (1u << 24)
#define FL_CR_ERRIE (1u << 25)
#define FL_CR_LOCK (1u << 31)
#define FL_CR_RW (FL_CR_PG | FL_CR_SER | FL_CR_MER | FL_CR_SNB_MASK | \
                  (3u << 8) | FL_CR_EOPIE | FL_CR_ERRIE)
#define FL_KEY1 0x45670123u
#define FL_KEY2 0xCDEF89ABu
#define FL_OPTKEY1 0x08192A3Bu
#define FL_OPTKEY2 0x4C5D6E7Fu
#define FL_OPTCR_OPTLOCK (1u << 0)
#define FL_OPTCR_OPTSTRT (1u << 1)

/* SPI bits. */
#define SPI_CR1_CPHA (1u << 0)
#define SPI_CR1_CPOL (1u << 1)
#define SPI_CR1_MSTR (1u << 2)
#define SPI_CR1_SPE (1u << 6)
#define SPI_CR1_LSBFIRST (1u << 7)
#define SPI_CR1_SSI (1u << 8)
#define SPI_CR1_SSM (1u << 9)
#define SPI_CR1_DFF (1u << 11)
#define SPI_CR2_RXDMAEN (1u << 0)
#define SPI_CR2_TXDMAEN (1u << 1)
#define SPI_SR_RXNE (1u << 0)
#define SPI_SR_TXE (1u << 1)
#define SPI_SR_OVR (1u << 6)
#define SPI_SR_BSY (1u << 7)

/* USART bits. */
#define US_SR_ORE (1u << 3)
#define US_SR_RXNE (1u << 5)
#define US_SR_TC (1u << 6)
#define US_SR_TXE (1u << 7)
#define US_CR1_RE (1u << 2)
#define US_CR1_TE (1u << 3)
#define US_CR1_M (1u << 12)
#define US_CR1_UE (1u << 13)

#define SYST_CSR_ENABLE (1u << 0)
#define SYST_CSR_CLKSOURCE (1u << 2)
#define SYST_CSR_COUNTFLAG (1u << 16)

static uint32_t *vb_shadow(vboard_t *b, uint32_t reg)
{
    uint8_t *p = reg >= VB_PPB_BASE ? &b->shadow_ppb[reg - VB_PPB_BASE]
                                    : &b->shadow_periph[reg - VB_PERIPH_BASE];
    return (uint32_t *)(void *)p;
}

static uint32_t vb_merge(uint32_t old, uint32_t v, uint32_t mask)
{
    return (old & ~mask) | (v & mask);
}

static uint64_t vb_ns_to_ticks_ceil(uint64_t ns)
{
    return (ns * 252u + 24u) / 25u;
}

/* ------------------------------------------------------------------ RCC */

static bool vb_hse_ready(const vboard_t *b)
{
    return (b->rcc_cr & RCC_CR_HSEON) && b->ticks >= b->hse_ready_at;
}

static bool vb_pll_ready(const vboard_t *b)
{
    return (b->rcc_cr & RCC_CR_PLLON) && b->ticks >= b->pll_ready_at;
}

static uint32_t vb_pll_hz(const vboard_t *b)
{
    uint32_t c = b->rcc_pllcfgr;
    uint32_t m = c & 0x3Fu, n = (c >> 6) & 0x1FFu;
    uint32_t p = 2u * (((c >> 16) & 3u) + 1u);
    uint32_t src = (c & (1u << 22)) ? VB_HSE_HZ : VB_HSI_HZ;

    if (m < 2 || n < 2)
        return 0;
    return (uint32_t)((uint64_t)src / m * n / p);
}

static uint32_t vb_sysclk_hz(const vboard_t *b)
{
    switch ((b->rcc_cfgr >> 2) & 3u) {
    case 1:
        return VB_HSE_HZ;
    case 2:
        return vb_pll_hz(b);
    default:
        return VB_HSI_HZ;
    }
}

static uint32_t vb_apb2_hz(const vboard_t *b)
{
    uint32_t p = (b->rcc_cfgr >> 13) & 7u;

    return p < 4 ? b->hclk_hz : b->hclk_hz >> (p - 3);
}

static void vb_systick_rebase(vboard_t *b);
static void vb_dwt_rebase(vboard_t *b);

/* Apply a change of HCLK: counters clocked by it are rebased first, and the
 * flash wait states must already suit the new frequency (RM0090 table 10,
 * 2.7-3.6 V: one wait state per 30 MHz), as on silicon, where too few wait
 * states make the CPU read garbage. */
static void vb_set_hclk(vboard_t *b, uint32_t hz)
{
    static const uint16_t hpre_div[8] = {2, 4, 8, 16, 64, 128, 256, 512};
    uint32_t hpre = (b->rcc_cfgr >> 4) & 0xFu;

    if (hpre & 8u)
        hz /= hpre_div[hpre & 7u];
    if (!hz || hz == b->hclk_hz)
        return;
    vb_systick_rebase(b);
    vb_dwt_rebase(b);
    b->hclk_hz = hz;
    b->tpc = (uint32_t)(VB_TICK_HZ / hz);
    if (!b->tpc)
        b->tpc = 1;
    uint32_t need = (hz - 1u) / 30000000u;

    if ((b->f_acr & 7u) < need)
        vb_set_fault(b, "FLASH_ACR LATENCY=%u too low for HCLK %u Hz (needs %u)",
                     b->f_acr & 7u, hz, need);
}

/* The clock switch happens once the selected source is ready. */
void vb_rcc_update(vboard_t *b)
{
    uint32_t sw = b->rcc_cfgr & 3u, sws = (b->rcc_cfgr >> 2) & 3u;

    if (sw != sws) {
        bool ready = sw == 0 || (sw == 1 && vb_hse_ready(b)) ||
                     (sw == 2 && vb_pll_ready(b));

        if (ready) {
            b->rcc_cfgr = (b->rcc_cfgr & ~0xCu) | (sw << 2);
            sws = sw;
        }
    }
    vb_set_hclk(b, vb_sysclk_hz(b));
}

static uint32_t vb_rcc_read(vboard_t *b, uint32_t off)
{
    vb_rcc_update(b);
    switch (off) {
    case 0x00:
        return b->rcc_cr | RCC_CR_HSIRDY | (vb_hse_ready(b) ? RCC_CR_HSERDY : 0) |
               (vb_pll_ready(b) ? RCC_CR_PLLRDY : 0);
    case 0x04:
        return b->rcc_pllcfgr;
    case 0x08:
        return b->rcc_cfgr;
    case 0x30:
        return b->rcc_ahb1enr;
    case 0x34:
        return b->rcc_ahb2enr;
    case 0x40:
        return b->rcc_apb1enr;
    case 0x44:
        return b->rcc_apb2enr;
    case 0x70:
        return b->rcc_bdcr;
    case 0x74:
        return b->rcc_csr_flags | (b->rcc_csr_low & 1u) |
               ((b->rcc_csr_low & 1u) ? 2u : 0u);
    default:
        return *vb_shadow(b, RCC_BASE + off);
    }
}

static void vb_rcc_write(vboard_t *b, uint32_t off, uint32_t v, uint32_t mask)
{
    vb_rcc_update(b);
    switch (off) {
    case 0x00: {
        uint32_t old = b->rcc_cr;
        uint32_t now = vb_merge(old, v, mask) & 0x050DFFF9u;

        now |= RCC_CR_HSION; /* HSI stays on while it clocks the CPU */
        if ((now & RCC_CR_HSEON) && !(old & RCC_CR_HSEON))
            b->hse_ready_at = b->cfg.hse_fails
                                  ? VB_NEVER
                                  : b->ticks + VB_NS_TO_TICKS(
                                                   (uint64_t)b->cfg.hse_startup_us *
                                                   1000u);
        if ((now & RCC_CR_PLLON) && !(old & RCC_CR_PLLON)) {
            uint64_t src = (b->rcc_pllcfgr & (1u << 22))
                               ? ((now & RCC_CR_HSEON) ? b->hse_ready_at : VB_NEVER)
                               : 0;
            uint64_t start = src > b->ticks ? src : b->ticks;

            b->pll_ready_at = start == VB_NEVER
                                  ? VB_NEVER
                                  : start + VB_NS_TO_TICKS(
                                                (uint64_t)b->cfg.pll_lock_us * 1000u);
        }
        /* The clock feeding SYSCLK cannot be switched off. */
        if (((b->rcc_cfgr >> 2) & 3u) == 2)
            now |= RCC_CR_PLLON;
        if (((b->rcc_cfgr >> 2) & 3u) == 1)
            now |= RCC_CR_HSEON;
        b->rcc_cr = now;
        break;
    }
    case 0x04:
        if (!(b->rcc_cr & RCC_CR_PLLON)) /* written only while the PLL is off */
            b->rcc_pllcfgr = vb_merge(b->rcc_pllcfgr, v, mask) & 0x0F437FFFu;
        break;
    case 0x08:
        b->rcc_cfgr = (vb_merge(b->rcc_cfgr, v, mask) & ~0xCu) | (b->rcc_cfgr & 0xCu);
        break;
    case 0x30:
        b->rcc_ahb1enr = vb_merge(b->rcc_ahb1enr, v, mask);
        break;
    case 0x34:
        b->rcc_ahb2enr = vb_merge(b->rcc_ahb2enr, v, mask);
        break;
    case 0x40:
        b->rcc_apb1enr = vb_merge(b->rcc_apb1enr, v, mask);
        break;
    case 0x44:
        b->rcc_apb2enr = vb_merge(b->rcc_apb2enr, v, mask);
        break;
    case 0x70:
        b->rcc_bdcr = vb_merge(b->rcc_bdcr, v, mask);
        break;
    case 0x74:
        if (v & mask & RCC_CSR_RMVF)
            b->rcc_csr_flags = 0;
        b->rcc_csr_low = vb_merge(b->rcc_csr_low, v, mask) & 1u;
        break;
    default:
        *vb_shadow(b, RCC_BASE + off) = vb_merge(*vb_shadow(b, RCC_BASE + off), v, mask);
        break;
    }
    vb_rcc_update(b);
}

/* ---------------------------------------------------------------- FLASH */

static uint32_t vb_flash_nwrp(const vboard_t *b)
{
    return (uint32_t)b->opt[8] | ((uint32_t)(b->opt[9] & 0x0F) << 8);
}

void vb_flash_stall(vboard_t *b)
{
    uint64_t ev = vb_next_event(b);

    if (b->f_busy_until <= b->ticks)
        return;
    /* The AHB holds the CPU until the operation ends, unless something
     * else happens first (the watchdog firing in the middle of an erase):
     * then time stops there and the CPU is asked to stop. */
    if (ev < b->f_busy_until) {
        if (ev > b->ticks)
            b->ticks = ev;
        b->stop_req = true;
        return;
    }
    b->ticks = b->f_busy_until;
}

static void vb_flash_settle(vboard_t *b)
{
    if (b->f_eop_pending && b->ticks >= b->f_busy_until) {
        b->f_eop_pending = false;
        /* RM0090: EOP is only raised when EOPIE is set. */
        if (b->f_cr & FL_CR_EOPIE)
            b->f_sr |= FL_SR_EOP;
        b->f_op_kind = 0;
    }
}

/* After a model operation: its end time, and an armed cut that fired. */
static void vb_flash_started(vboard_t *b, int rc)
{
    if (b->flash->cut_happened) {
        b->flash->cut_happened = false;
        b->f_cut_armed = false;
        b->f_op_kind = 0; /* the model already tore it */
        b->power_cut_pending = true;
        b->stop_req = true;
        return;
    }
    if (rc) {
        b->f_sr |= FL_SR_OPERR;
        return;
    }
    b->f_busy_until = vb_ns_to_ticks_ceil(b->flash->busy_until_ns);
    b->f_eop_pending = true;
}

static bool vb_flash_refuses(vboard_t *b)
{
    /* An operation is not started while a sequence error is pending. */
    return (b->f_sr & FL_SR_SEQERR) != 0;
}

void vb_flash_store(vboard_t *b, uint32_t addr, unsigned size, uint64_t value)
{
    uint32_t cr = b->f_cr;
    unsigned psize = 1u << ((cr >> FL_CR_PSIZE_SHIFT) & 3u);
    uint32_t aligned = addr & ~3u, shift = (addr & 3u) * 8u, m, word;
    int sector;

    vb_flash_stall(b);
    vb_flash_settle(b);
    vb_sync_flash_clock(b);
    if ((cr & FL_CR_LOCK) || !(cr & FL_CR_PG) || (cr & (FL_CR_SER | FL_CR_MER))) {
        b->f_sr |= FL_SR_PGSERR;
        return;
    }
    if (vb_flash_refuses(b))
        return;
    if (size != psize || size > 4) {
        b->f_sr |= FL_SR_PGPERR;
        return;
    }
    if (addr % size) {
        b->f_sr |= FL_SR_PGAERR;
        return;
    }
    sector = fota_sector_of(addr);
    if (sector < 0 || !(vb_flash_nwrp(b) & (1u << sector))) {
        b->f_sr |= FL_SR_WRPERR;
        return;
    }
    m = size == 4 ? 0xFFFFFFFFu : ((1u << (size * 8u)) - 1u) << shift;
    word = ~m | (((uint32_t)value << shift) & m);
    b->f_op_kind = 1;
    b->f_op_addr = aligned;
    b->f_op_old = fota_get_le32(&b->flash->mem[aligned - FOTA_FLASH_BASE]);
    b->f_op_new = word;
    vb_flash_started(b, sim_flash_start_word(b->flash, aligned, word));
}

static void vb_flash_erase(vboard_t *b, uint32_t cr)
{
    unsigned sector = (cr & FL_CR_SNB_MASK) >> FL_CR_SNB_SHIFT;
    int rc = 0;

    vb_sync_flash_clock(b);
    if ((cr & FL_CR_PG) || ((cr & FL_CR_SER) && (cr & FL_CR_MER))) {
        b->f_sr |= FL_SR_PGSERR;
        return;
    }
    if (vb_flash_refuses(b))
        return;
    if (cr & FL_CR_MER) {
        uint64_t start = b->flash->now_ns;

        if (vb_flash_nwrp(b) != 0xFFFu) {
            b->f_sr |= FL_SR_WRPERR;
            return;
        }
        for (unsigned s = 0; s < FOTA_FLASH_SECTORS && !rc; s++) {
            rc = sim_flash_erase_sector(b->flash, s);
            if (b->flash->cut_happened)
                break;
        }
        b->flash->busy_until_ns = b->flash->now_ns;
        b->flash->now_ns = start;
        b->tb_flush_lo = FOTA_FLASH_BASE;
        b->tb_flush_hi = FOTA_FLASH_END;
        b->stop_req = true;
        vb_flash_started(b, rc);
        return;
    }
    if (sector >= FOTA_FLASH_SECTORS) {
        b->f_sr |= FL_SR_PGSERR;
        return;
    }
    if (!(vb_flash_nwrp(b) & (1u << sector))) {
        b->f_sr |= FL_SR_WRPERR;
        return;
    }
    b->f_op_kind = 2;
    b->f_op_sector = sector;
    memcpy(b->f_op_backup,
           &b->flash->mem[(uint32_t)FOTA_SECTOR_ADDR(sector) - FOTA_FLASH_BASE],
           (size_t)FOTA_SECTOR_SIZE(sector));
    /* Code translated from this sector is stale now; drop it between
     * slices (the CPU cannot be fetching from flash while it is busy). */
    b->tb_flush_lo = (uint32_t)FOTA_SECTOR_ADDR(sector);
    b->tb_flush_hi = b->tb_flush_lo + (uint32_t)FOTA_SECTOR_SIZE(sector);
    b->stop_req = true;
    vb_flash_started(b, sim_flash_start_erase(b->flash, sector));
}

/* A reset or power cut in the middle of a program or erase leaves it torn:
 * a random subset of the word's 1->0 bits, or a sector where each word is
 * old, erased, or in between. */
void vb_flash_tear_inflight(vboard_t *b)
{
    uint32_t s = (uint32_t)(b->ticks ^ (b->ticks >> 32)) | 1u;

    if (b->f_op_kind && b->f_busy_until > b->ticks) {
        if (b->f_op_kind == 1) {
            uint32_t clear = b->f_op_old & ~b->f_op_new;

            s ^= s << 13, s ^= s >> 17, s ^= s << 5;
            fota_put_le32(&b->flash->mem[b->f_op_addr - FOTA_FLASH_BASE],
                          b->f_op_old & ~(clear & s));
        } else {
            uint32_t base = (uint32_t)FOTA_SECTOR_ADDR(b->f_op_sector);
            uint32_t size = (uint32_t)FOTA_SECTOR_SIZE(b->f_op_sector);

            for (uint32_t off = 0; off < size; off += 4) {
                uint32_t old = fota_get_le32(&b->f_op_backup[off]);
                uint32_t v;

                s ^= s << 13, s ^= s >> 17, s ^= s << 5;
                v = (s & 3u) == 0 ? old | s : (s & 4u) ? 0xFFFFFFFFu : old;
                fota_put_le32(&b->flash->mem[base - FOTA_FLASH_BASE + off], v);
            }
        }
    }
    b->f_op_kind = 0;
    b->f_busy_until = 0;
    b->f_eop_pending = false;
    vb_sync_flash_clock(b);
    b->flash->busy_until_ns = b->flash->now_ns;
}

static uint32_t vb_flash_read(vboard_t *b, uint32_t off)
{
    vb_flash_settle(b);
    switch (off) {
    case 0x00:
        return b->f_acr;
    case 0x0C:
        return b->f_sr | (b->f_busy_until > b->ticks ? FL_SR_BSY : 0);
    case 0x10:
        return b->f_cr;
    case 0x14:
        return b->f_optcr;
    default:
        return 0;
    }
}

static void vb_flash_write(vboard_t *b, uint32_t off, uint32_t v, uint32_t mask)
{
    vb_flash_settle(b);
    switch (off) {
    case 0x00: /* ACR; the cache reset bits self-clear */
        b->f_acr = vb_merge(b->f_acr, v, mask) & 0x707u;
        vb_m4_acr_write(&b->m4s, vb_merge(b->f_acr, v, mask)); /* cycle timing */
        vb_rcc_update(b);
        break;
    case 0x04: /* KEYR: any wrong value locks the interface until reset */
        if (!(b->f_cr & FL_CR_LOCK) || b->f_key_lockout)
            break;
        if (b->f_key_stage == 0 && v == FL_KEY1) {
            b->f_key_stage = 1;
        } else if (b->f_key_stage == 1 && v == FL_KEY2) {
            b->f_key_stage = 0;
            b->f_cr &= ~FL_CR_LOCK;
        } else {
            b->f_key_stage = 0;
            b->f_key_lockout = true;
        }
        break;
    case 0x08:
        if (!(b->f_optcr & FL_OPTCR_OPTLOCK))
            break;
        if (b->f_optkey_stage == 0 && v == FL_OPTKEY1) {
            b->f_optkey_stage = 1;
        } else if (b->f_optkey_stage == 1 && v == FL_OPTKEY2) {
            b->f_optkey_stage = 0;
            b->f_optcr &= ~FL_OPTCR_OPTLOCK;
        } else {
            b->f_optkey_stage = 0;
        }
        break;
    case 0x0C:
        b->f_sr &= ~(v & mask & FL_SR_W1C);
        break;
    case 0x10: {
        /* Writing CR while busy stalls the AHB until the end. */
        vb_flash_stall(b);
        vb_flash_settle(b);
        if (b->f_cr & FL_CR_LOCK)
            break;
        uint32_t nv = vb_merge(b->f_cr, v, mask);

        b->f_cr = nv & FL_CR_RW;
        if (nv & FL_CR_LOCK) {
            b->f_cr |= FL_CR_LOCK;
            break;
        }
        if ((nv & FL_CR_STRT) && (nv & (FL_CR_SER | FL_CR_MER)))
            vb_flash_erase(b, nv);
        break;
    }
    case 0x14:
        if (b->f_optcr & FL_OPTCR_OPTLOCK)
            break;
        b->f_optcr = vb_merge(b->f_optcr, v, mask) & 0x0FFFFFFFu;
        if (b->f_optcr & FL_OPTCR_OPTLOCK)
            break;
        if (b->f_optcr & FL_OPTCR_OPTSTRT) {
            /* Commit to the option bytes (kept across resets). */
            b->opt[0] = (uint8_t)(b->f_optcr & 0xECu);
            b->opt[1] = (uint8_t)(b->f_optcr >> 8);
            b->opt[2] = (uint8_t)~b->opt[0];
            b->opt[3] = (uint8_t)~b->opt[1];
            b->opt[8] = (uint8_t)(b->f_optcr >> 16);
            b->opt[9] = (uint8_t)((b->f_optcr >> 24) & 0x0F);
            b->opt[10] = (uint8_t)~b->opt[8];
            b->opt[11] = (uint8_t)~b->opt[9];
            b->f_optcr &= ~FL_OPTCR_OPTSTRT;
        }
        break;
    default:
        break;
    }
}

/* ----------------------------------------------------------------- GPIO */

static int vb_pin_level(const vboard_t *b, unsigned port, unsigned pin)
{
    const vb_gpio_t *g = &b->gpio[port];
    unsigned mode = (g->moder >> (2 * pin)) & 3u;
    unsigned pull = (g->pupdr >> (2 * pin)) & 3u;
    int ext = g->ext[pin];

    if (port == 0 && pin == 4)
        ext = b->nss_high ? 1 : 0;
    if (mode == 1) {
        bool od = (g->otyper >> pin) & 1u;
        bool out = (g->odr >> pin) & 1u;

        if (!od || !out)
            return out;
    } else if (mode == 3) {
        return 0;
    }
    if (ext >= 0)
        return ext;
    return pull == 1 ? 1 : 0;
}

int vboard_get_pin(const vboard_t *b, unsigned port, unsigned pin)
{
    if (port >= 5 || pin >= 16)
        return FOTA_ERR_INVAL;
    return vb_pin_level(b, port, pin);
}

static void vb_leds_update(vboard_t *b)
{
    const vb_gpio_t *g = &b->gpio[3];
    uint8_t leds = 0;

    for (unsigned i = 0; i < 4; i++) {
        unsigned pin = 12 + i;

        if (((g->moder >> (2 * pin)) & 3u) == 1 && ((g->odr >> pin) & 1u))
            leds |= (uint8_t)(1u << i);
    }
    if (leds == b->leds)
        return;
    b->leds = leds;
    if (b->led_n == b->led_cap) {
        size_t cap = b->led_cap ? b->led_cap * 2 : 64;
        vboard_led_event_t *n = realloc(b->led_log, cap * sizeof *n);

        if (!n)
            return;
        b->led_log = n;
        b->led_cap = cap;
    }
    b->led_log[b->led_n].t_ns = vboard_now_ns(b);
    b->led_log[b->led_n].leds = leds;
    b->led_n++;
}

static uint32_t vb_gpio_read(vboard_t *b, unsigned port, uint32_t off)
{
    vb_gpio_t *g = &b->gpio[port];
    uint32_t idr = 0;

    switch (off) {
    case 0x00:
        return g->moder;
    case 0x04:
        return g->otyper;
    case 0x08:
        return g->ospeedr;
    case 0x0C:
        return g->pupdr;
    case 0x10:
        for (unsigned p = 0; p < 16; p++)
            idr |= (uint32_t)vb_pin_level(b, port, p) << p;
        return idr;
    case 0x14:
        return g->odr;
    case 0x1C:
        return g->lckr;
    case 0x20:
        return g->afr[0];
    case 0x24:
        return g->afr[1];
    default:
        return 0; /* BSRR reads as 0 */
    }
}

static void vb_gpio_write(vboard_t *b, unsigned port, uint32_t off, uint32_t v,
                          uint32_t mask)
{
    vb_gpio_t *g = &b->gpio[port];

    switch (off) {
    case 0x00:
        g->moder = vb_merge(g->moder, v, mask);
        break;
    case 0x04:
        g->otyper = vb_merge(g->otyper, v, mask) & 0xFFFFu;
        break;
    case 0x08:
        g->ospeedr = vb_merge(g->ospeedr, v, mask);
        break;
    case 0x0C:
        g->pupdr = vb_merge(g->pupdr, v, mask);
        break;
    case 0x14:
        g->odr = vb_merge(g->odr, v, mask) & 0xFFFFu;
        break;
    case 0x18: {
        uint32_t w = v & mask;

        g->odr = (g->odr & ~(w >> 16)) | (w & 0xFFFFu); /* set wins */
        break;
    }
    case 0x1C:
        g->lckr = vb_merge(g->lckr, v, mask);
        break;
    case 0x20:
        g->afr[0] = vb_merge(g->afr[0], v, mask);
        break;
    case 0x24:
        g->afr[1] = vb_merge(g->afr[1], v, mask);
        break;
    default:
        break;
    }
    if (port == 3)
        vb_leds_update(b);
}

/* ------------------------------------------------------------------ DMA2 */

/* DMA_SxCR bits. */
#define DMA_CR_EN (1u << 0)
#define DMA_CR_DIR_SHIFT 6
#define DMA_CR_MINC (1u << 10)
#define DMA_CR_PSIZE_SHIFT 11
#define DMA_CR_MSIZE_SHIFT 13
#define DMA_CR_DBM (1u << 18)
#define DMA_CR_CHSEL_SHIFT 25
/* Stream flags (FEIF, DMEIF, TEIF, HTIF, TCIF at bits 0, 2-5 of the
 * stream's 6-bit field); fields of streams 0-3 / 4-7 start at bits 0, 6,
 * 16 and 22 of LISR / HISR. */
#define DMA_F_TEIF (1u << 3)
#define DMA_F_HTIF (1u << 4)
#define DMA_F_TCIF (1u << 5)
#define DMA_F_ALL 0x3Du

static const uint8_t s_dma_flag_shift[4] = {0, 6, 16, 22};

static void vb_dma_flag(vboard_t *b, unsigned s, uint32_t f)
{
    b->dma_isr[s / 4] |= f << s_dma_flag_shift[s % 4];
}

/* Stream s enabled for SPI1 (channel 3) in direction dir (0 peripheral to
 * memory, 1 memory to peripheral). The RM0090 table 43 mapping: SPI1_RX on
 * streams 0 and 2, SPI1_TX on 3 and 5. The request does not depend on the
 * peripheral address, but a stream that serves it from anywhere but DR
 * would move other data and leave RXNE/TXE alone: not modelled, so it is
 * a board fault rather than a silent success. */
static bool vb_dma_spi_stream(vboard_t *b, unsigned s, unsigned dir)
{
    uint32_t cr = b->dma_cr[s];

    if (!(cr & DMA_CR_EN) || ((cr >> DMA_CR_CHSEL_SHIFT) & 7u) != 3 ||
        ((cr >> DMA_CR_DIR_SHIFT) & 3u) != dir)
        return false;
    if (b->dma_par[s] != SPI1_BASE + 0x0Cu) {
        vb_set_fault(b, "DMA2 stream %u serves SPI1 with PAR 0x%08x, not SPI1_DR "
                        "(not modelled)", s, (unsigned)b->dma_par[s]);
        return false;
    }
    return true;
}

/* The memory side of one transfer: SRAM only (the F4's CCM RAM and the
 * flash are not reachable for DMA writes; any other target is a transfer
 * error that disables the stream, as on silicon). */
static uint8_t *vb_dma_mem(vboard_t *b, unsigned s)
{
    uint32_t a = b->dma_mptr[s];

    if (a >= VB_SRAM_BASE && a < VB_SRAM_BASE + VB_SRAM_SIZE)
        return &b->sram[a - VB_SRAM_BASE];
    if (b->dma_cr[s] & (1u << DMA_CR_DIR_SHIFT)) {
        /* Memory to peripheral may read flash. */
        if (a >= FOTA_FLASH_BASE && a < FOTA_FLASH_BASE + FOTA_FLASH_SIZE)
            return &b->flash->mem[a - FOTA_FLASH_BASE];
    }
    vb_dma_flag(b, s, DMA_F_TEIF);
    b->dma_cr[s] &= ~DMA_CR_EN;
    return NULL;
}

/* One data item moved: count down, half and complete flags; the stream
 * disables itself at 0 (normal mode). */
static void vb_dma_item_done(vboard_t *b, unsigned s)
{
    if (b->dma_cr[s] & DMA_CR_MINC)
        b->dma_mptr[s]++;
    b->dma_ndtr[s]--;
    b->dma_bytes++;
    if (b->dma_ndtr[s] == b->dma_start[s] / 2)
        vb_dma_flag(b, s, DMA_F_HTIF);
    if (b->dma_ndtr[s] == 0) {
        vb_dma_flag(b, s, DMA_F_TCIF);
        b->dma_cr[s] &= ~DMA_CR_EN;
    }
}

/* Serve SPI1's DMA requests: RXNE with RXDMAEN moves the received byte to
 * memory (clearing RXNE as a DR read does), TXE with TXDMAEN refills the
 * TX buffer. Requests are levels, so this runs whenever one may have
 * become active: a byte received or started, CR2 or a stream written. The
 * transfer itself takes a few AHB cycles, far below a byte time, and is
 * charged nothing. */
static void vb_dma_spi(vboard_t *b)
{
    if (!(b->rcc_ahb1enr & RCC_AHB1_DMA2))
        return;
    if ((b->spi_cr2 & SPI_CR2_RXDMAEN) && b->spi_rxne) {
        for (unsigned s = 0; s <= 2; s += 2) {
            uint8_t *m;

            if (!vb_dma_spi_stream(b, s, 0))
                continue;
            m = vb_dma_mem(b, s);
            if (!m)
                break;
            *m = b->spi_rxbuf;
            b->spi_rxne = false;
            /* A DMA read of DR is the first half of the OVR clearing
             * sequence too (RM0090 28.4.8): the CPU's next SR read ends
             * it. */
            if (b->spi_ovr)
                b->spi_ovr_dr_read = true;
            vb_dma_item_done(b, s);
            break;
        }
    }
    if ((b->spi_cr2 & SPI_CR2_TXDMAEN) && b->spi_txe) {
        for (unsigned s = 3; s <= 5; s += 2) {
            uint8_t *m;

            if (!vb_dma_spi_stream(b, s, 1))
                continue;
            m = vb_dma_mem(b, s);
            if (!m)
                break;
            b->spi_txbuf = *m;
            b->spi_txe = false;
            vb_dma_item_done(b, s);
            break;
        }
    }
}

static uint32_t vb_dma_read(vboard_t *b, uint32_t off)
{
    unsigned s;

    if (off == 0x00 || off == 0x04)
        return b->dma_isr[off / 4];
    if (off < 0x10 || off >= 0x10 + 8 * 0x18)
        return 0;
    s = (off - 0x10) / 0x18;
    switch ((off - 0x10) % 0x18) {
    case 0x00:
        return b->dma_cr[s];
    case 0x04:
        return b->dma_ndtr[s];
    case 0x08:
        return b->dma_par[s];
    case 0x0C:
        return b->dma_m0ar[s];
    case 0x10:
        return b->dma_m1ar[s];
    default:
        /* FCR: FIFO empty (FS = 100b) in direct mode. */
        return (b->dma_fcr[s] & 0x87u) | (4u << 3);
    }
}

static void vb_dma_write(vboard_t *b, uint32_t off, uint32_t v, uint32_t mask)
{
    unsigned s;
    bool en;

    if (off == 0x08 || off == 0x0C) { /* LIFCR / HIFCR: write 1 to clear */
        b->dma_isr[(off - 0x08) / 4] &= ~(v & mask & 0x0F7D0F7Du);
        return;
    }
    if (off < 0x10 || off >= 0x10 + 8 * 0x18)
        return;
    s = (off - 0x10) / 0x18;
    en = b->dma_cr[s] & DMA_CR_EN;
    switch ((off - 0x10) % 0x18) {
    case 0x00:
        v = vb_merge(b->dma_cr[s], v, mask) & 0x0FEFFFFFu;
        if (en) {
            /* While enabled only EN can change (RM0090 10.5.5). Cleared
             * by software before NDTR reached 0, the stream stops after
             * the item in progress (none here: items move at once, and
             * direct mode has no FIFO to flush) and reports the end of
             * the transfer with TCIF; NDTR keeps the count left
             * (RM0090 10.3.14). */
            if (!(v & DMA_CR_EN)) {
                b->dma_cr[s] &= ~DMA_CR_EN;
                vb_dma_flag(b, s, DMA_F_TCIF);
            }
            break;
        }
        if ((v & DMA_CR_EN) &&
            (((v >> DMA_CR_PSIZE_SHIFT) & 3u) || ((v >> DMA_CR_MSIZE_SHIFT) & 3u) ||
             (v & DMA_CR_DBM)))
            vb_set_fault(b, "DMA2 stream %u: only byte-wide, single-buffer transfers are "
                            "modelled", s);
        if ((v & DMA_CR_EN) && b->dma_ndtr[s] == 0)
            v &= ~DMA_CR_EN; /* nothing to transfer: the stream stays off */
        if ((v & DMA_CR_EN) &&
            (b->dma_isr[s / 4] >> s_dma_flag_shift[s % 4]) & DMA_F_ALL)
            vb_set_fault(b, "DMA2 stream %u enabled with its flags not cleared", s);
        b->dma_cr[s] = v;
        if (v & DMA_CR_EN) {
            b->dma_mptr[s] = b->dma_m0ar[s];
            b->dma_start[s] = b->dma_ndtr[s];
        }
        break;
    case 0x04: /* registers below are read-only while the stream runs */
        if (!en)
            b->dma_ndtr[s] = vb_merge(b->dma_ndtr[s], v, mask) & 0xFFFFu;
        break;
    case 0x08:
        if (!en)
            b->dma_par[s] = vb_merge(b->dma_par[s], v, mask);
        break;
    case 0x0C:
        if (!en)
            b->dma_m0ar[s] = vb_merge(b->dma_m0ar[s], v, mask);
        break;
    case 0x10:
        if (!en)
            b->dma_m1ar[s] = vb_merge(b->dma_m1ar[s], v, mask);
        break;
    default:
        if (!en)
            b->dma_fcr[s] = vb_merge(b->dma_fcr[s], v, mask) & 0x87u;
        break;
    }
    vb_dma_spi(b);
}

/* ------------------------------------------------------------------ SPI */

static bool vb_pin_af(const vboard_t *b, unsigned port, unsigned pin, unsigned af)
{
    const vb_gpio_t *g = &b->gpio[port];

    return ((g->moder >> (2 * pin)) & 3u) == 2 &&
           ((g->afr[pin / 8] >> (4 * (pin % 8))) & 0xFu) == af;
}

static uint8_t vb_rev8(uint8_t x)
{
    x = (uint8_t)((x & 0xF0) >> 4 | (x & 0x0F) << 4);
    x = (uint8_t)((x & 0xCC) >> 2 | (x & 0x33) << 2);
    return (uint8_t)((x & 0xAA) >> 1 | (x & 0x55) << 1);
}

/* Whether SPI1 takes part in a byte the master clocks now. */
static bool vb_spi_active(const vboard_t *b)
{
    bool selected;

    if (!(b->rcc_apb2enr & RCC_APB2_SPI1) || !(b->rcc_ahb1enr & RCC_AHB1_GPIO(0)))
        return false;
    /* SCK, MISO, MOSI must reach the peripheral: PA5-PA7 on AF5. */
    if (!vb_pin_af(b, 0, 5, 5) || !vb_pin_af(b, 0, 6, 5) || !vb_pin_af(b, 0, 7, 5))
        return false;
    if (!(b->spi_cr1 & SPI_CR1_SPE) || (b->spi_cr1 & SPI_CR1_MSTR))
        return false;
    if (b->spi_cr1 & SPI_CR1_SSM)
        selected = !(b->spi_cr1 & SPI_CR1_SSI);
    else
        selected = !b->nss_high && vb_pin_af(b, 0, 4, 5);
    return selected;
}

/*
 * One byte clocked by the master. On the first edge the shift register
 * takes whatever the TX buffer holds (the firmware's new byte, or the old
 * one again if it did not write DR in time); after the eighth edge the
 * received byte goes to the RX buffer, unless the previous one is still
 * unread, which is an overrun (the new byte is lost).
 */
void vb_spi_byte(vboard_t *b, uint8_t mosi, uint8_t *miso, uint64_t byte_ticks)
{
    uint8_t out;
    bool mode_ok;

    bool stale, lost;

    if (!vb_spi_active(b)) {
        *miso = 0xFF; /* nobody drives MISO; the line idles high */
        if (b->spi_trace)
            fprintf(b->spi_trace, "spi %12.3f us mosi %02x miso ff (slave inactive)\n",
                    (double)vboard_now_ns(b) / 1e3, mosi);
        vb_run_ticks(b, byte_ticks);
        return;
    }
    if (b->spi_cr1 & SPI_CR1_DFF)
        vb_set_fault(b, "SPI1 16-bit frames are not modelled");
    stale = b->spi_txe;
    if (stale)
        b->spi_stale++;
    out = b->spi_txbuf;
    b->spi_txe = true;
    b->spi_bsy = true;
    vb_dma_spi(b); /* a TX stream refills the buffer at once */
    vb_run_ticks(b, byte_ticks);
    b->spi_bsy = false;
    mode_ok = (b->spi_cr1 & (SPI_CR1_CPOL | SPI_CR1_CPHA)) == 0;
    if (b->spi_cr1 & SPI_CR1_LSBFIRST) {
        out = vb_rev8(out);
        mosi = vb_rev8(mosi);
    }
    if (!mode_ok) {
        /* Wrong clock phase/polarity: each side samples one edge off. */
        out = (uint8_t)(out >> 1 | 0x80);
        mosi = (uint8_t)(mosi >> 1 | 0x80);
    }
    *miso = out;
    b->spi_bytes++;
    lost = b->spi_rxne || b->spi_ovr;
    if (b->spi_trace)
        fprintf(b->spi_trace, "spi %12.3f us mosi %02x miso %02x%s%s\n",
                (double)vboard_now_ns(b) / 1e3, mosi, out, stale ? " stale" : "",
                lost ? " OVERRUN" : "");
    if (lost) {
        if (!b->spi_ovr)
            b->spi_overruns++;
        b->spi_ovr = true;
    } else {
        b->spi_rxbuf = mosi;
        b->spi_rxne = true;
        vb_dma_spi(b);
    }
}

static uint32_t vb_spi_read(vboard_t *b, uint32_t off)
{
    uint32_t sr;

    switch (off) {
    case 0x00:
        return b->spi_cr1;
    case 0x04:
        return b->spi_cr2;
    case 0x08:
        sr = (b->spi_rxne ? SPI_SR_RXNE : 0) | (b->spi_txe ? SPI_SR_TXE : 0) |
             (b->spi_ovr ? SPI_SR_OVR : 0) | (b->spi_bsy ? SPI_SR_BSY : 0);
        if (b->spi_ovr_dr_read) { /* DR then SR clears OVR */
            b->spi_ovr = false;
            b->spi_ovr_dr_read = false;
        }
        return sr;
    case 0x0C:
        b->spi_rxne = false;
        if (b->spi_ovr)
            b->spi_ovr_dr_read = true;
        return b->spi_rxbuf;
    case 0x10:
        return b->spi_crcpr;
    case 0x1C:
        return b->spi_i2scfgr;
    case 0x20:
        return b->spi_i2spr;
    default:
        return 0;
    }
}

static void vb_spi_write(vboard_t *b, uint32_t off, uint32_t v, uint32_t mask)
{
    switch (off) {
    case 0x00:
        b->spi_cr1 = vb_merge(b->spi_cr1, v, mask) & 0xFFFFu;
        break;
    case 0x04:
        b->spi_cr2 = vb_merge(b->spi_cr2, v, mask) & 0xF7u;
        vb_dma_spi(b);
        break;
    case 0x0C:
        b->spi_txbuf = (uint8_t)(v & mask);
        b->spi_txe = false;
        break;
    case 0x10:
        b->spi_crcpr = vb_merge(b->spi_crcpr, v, mask) & 0xFFFFu;
        break;
    case 0x1C:
        b->spi_i2scfgr = vb_merge(b->spi_i2scfgr, v, mask);
        break;
    case 0x20:
        b->spi_i2spr = vb_merge(b->spi_i2spr, v, mask);
        break;
    default:
        break;
    }
}

/* ---------------------------------------------------------------- USART */

static uint64_t vb_us_char_ticks(const vboard_t *b)
{
    uint32_t bits = 1u + ((b->us_cr1 & US_CR1_M) ? 9u : 8u) +
                    (((b->us_cr2 >> 12) & 3u) == 2 ? 2u : 1u);
    uint32_t brr = b->us_brr ? b->us_brr : 1u;

    /* OVER8 = 0: baud = fPCLK2 / BRR. */
    return (uint64_t)bits * brr * (VB_TICK_HZ / vb_apb2_hz(b));
}

static void vb_us_update(vboard_t *b)
{
    if (b->us_buf_full && b->ticks >= b->us_shift_end) {
        b->us_buf_full = false;
        b->us_shift_end += vb_us_char_ticks(b);
    }
    while (b->us_rxq_n && b->us_rxq_at[b->us_rxq_head] <= b->ticks) {
        uint8_t c = b->us_rxq[b->us_rxq_head];

        b->us_rxq_head = (b->us_rxq_head + 1) % VB_UART_RXQ;
        b->us_rxq_n--;
        if ((b->us_cr1 & (US_CR1_UE | US_CR1_RE)) != (US_CR1_UE | US_CR1_RE))
            continue;
        if (b->us_rxne) {
            b->us_ore = true;
        } else {
            b->us_rdr = c;
            b->us_rxne = true;
        }
    }
}

static void vb_uart_capture(vboard_t *b, uint8_t c, bool replace)
{
    if (replace && b->uart_len) {
        b->uart_out[b->uart_len - 1] = (char)c;
    } else {
        if (b->uart_len + 2 > b->uart_cap) {
            char *n = realloc(b->uart_out, b->uart_cap * 2);

            if (!n)
                return;
            b->uart_out = n;
            b->uart_cap *= 2;
        }
        b->uart_out[b->uart_len++] = (char)c;
    }
    b->uart_out[b->uart_len] = '\0';
    if (b->uart_sink)
        b->uart_sink(b->uart_sink_ctx, c);
    if (b->uart_wait && strstr(b->uart_out + b->uart_match_from, b->uart_wait)) {
        b->uart_hit = true;
        b->stop_req = true;
    }
}

int vboard_uart_send(vboard_t *b, const void *data, size_t len)
{
    const uint8_t *d = data;

    if (len > VB_UART_RXQ - b->us_rxq_n)
        return FOTA_ERR_NOMEM;
    for (size_t i = 0; i < len; i++) {
        size_t slot = (b->us_rxq_head + b->us_rxq_n) % VB_UART_RXQ;
        uint64_t t = b->us_rx_last > b->ticks ? b->us_rx_last : b->ticks;

        t += vb_us_char_ticks(b);
        b->us_rxq[slot] = d[i];
        b->us_rxq_at[slot] = t;
        b->us_rx_last = t;
        b->us_rxq_n++;
    }
    return 0;
}

static uint32_t vb_us_read(vboard_t *b, uint32_t off)
{
    vb_us_update(b);
    switch (off) {
    case 0x00:
        return (b->us_buf_full ? 0 : US_SR_TXE) |
               (!b->us_buf_full && b->ticks >= b->us_shift_end ? US_SR_TC : 0) |
               (b->us_rxne ? US_SR_RXNE : 0) | (b->us_ore ? US_SR_ORE : 0);
    case 0x04:
        b->us_rxne = false;
        b->us_ore = false; /* SR then DR clears ORE */
        return b->us_rdr;
    case 0x08:
        return b->us_brr;
    case 0x0C:
        return b->us_cr1;
    case 0x10:
        return b->us_cr2;
    case 0x14:
        return b->us_cr3;
    case 0x18:
        return b->us_gtpr;
    default:
        return 0;
    }
}

static void vb_us_write(vboard_t *b, uint32_t off, uint32_t v, uint32_t mask)
{
    vb_us_update(b);
    switch (off) {
    case 0x04: {
        uint8_t c = (uint8_t)(v & mask);

        if ((b->us_cr1 & (US_CR1_UE | US_CR1_TE)) != (US_CR1_UE | US_CR1_TE))
            break;
        if (!b->us_buf_full && b->ticks >= b->us_shift_end) {
            b->us_shift_end = b->ticks + vb_us_char_ticks(b);
            vb_uart_capture(b, c, false);
        } else if (!b->us_buf_full) {
            b->us_buf_full = true;
            vb_uart_capture(b, c, false);
        } else {
            vb_uart_capture(b, c, true); /* TXE was 0: overwrites the buffer */
        }
        break;
    }
    case 0x08:
        b->us_brr = vb_merge(b->us_brr, v, mask) & 0xFFFFu;
        break;
    case 0x0C:
        b->us_cr1 = vb_merge(b->us_cr1, v, mask) & 0xBFFFu;
        break;
    case 0x10:
        b->us_cr2 = vb_merge(b->us_cr2, v, mask);
        break;
    case 0x14:
        b->us_cr3 = vb_merge(b->us_cr3, v, mask);
        break;
    case 0x18:
        b->us_gtpr = vb_merge(b->us_gtpr, v, mask);
        break;
    default:
        break;
    }
}

/* ------------------------------------------------------------ CRC, IWDG */

static uint32_t vb_crc_word(uint32_t crc, uint32_t w)
{
    crc ^= w;
    for (int i = 0; i < 32; i++)
        crc = (crc & 0x80000000u) ? (crc << 1) ^ 0x04C11DB7u : crc << 1;
    return crc;
}

static uint64_t vb_lsi_ticks(void)
{
    return VB_TICK_HZ / VB_LSI_HZ;
}

static void vb_iwdg_reload(vboard_t *b)
{
    b->iwdg_expiry = b->ticks + (uint64_t)(b->iwdg_rlr + 1u) *
                                    (4u << b->iwdg_pr) * vb_lsi_ticks();
}

static uint32_t vb_iwdg_read(vboard_t *b, uint32_t off)
{
    switch (off) {
    case 0x04:
        return b->iwdg_pr;
    case 0x08:
        return b->iwdg_rlr;
    case 0x0C:
        return (b->ticks < b->iwdg_pvu_until ? 1u : 0u) |
               (b->ticks < b->iwdg_rvu_until ? 2u : 0u);
    default:
        return 0;
    }
}

static void vb_iwdg_write(vboard_t *b, uint32_t off, uint32_t v)
{
    /* The register update crosses into the LSI domain: PVU/RVU stay set
     * for about five LSI periods (RM0090 IWDG_SR). */
    uint64_t upd = b->ticks + 5u * vb_lsi_ticks();

    switch (off) {
    case 0x00:
        v &= 0xFFFFu;
        if (v == 0xCCCCu) {
            if (!b->iwdg_on) {
                b->iwdg_on = true;
                vb_iwdg_reload(b);
            }
            b->iwdg_unlocked = false;
        } else if (v == 0xAAAAu) {
            vb_iwdg_reload(b);
            b->iwdg_unlocked = false;
        } else {
            b->iwdg_unlocked = v == 0x5555u;
        }
        break;
    case 0x04:
        if (b->iwdg_unlocked) {
            b->iwdg_pr = v & 7u;
            b->iwdg_pvu_until = upd;
        }
        break;
    case 0x08:
        if (b->iwdg_unlocked) {
            b->iwdg_rlr = v & 0xFFFu;
            b->iwdg_rvu_until = upd;
        }
        break;
    default:
        break;
    }
}

/* ------------------------------------------------- SysTick, DWT and SCB */

static uint64_t vb_st_period_ticks(const vboard_t *b)
{
    return (uint64_t)b->tpc * ((b->st_csr & SYST_CSR_CLKSOURCE) ? 1u : 8u);
}

/* Counter value and number of times it reached 0 after n clocks from the
 * base value. */
static uint32_t vb_st_value(const vboard_t *b, uint64_t n, uint64_t *zeros)
{
    uint64_t v0 = b->st_base_val, p = (uint64_t)b->st_rvr + 1u;

    if (n == 0) {
        *zeros = 0;
        return b->st_base_val;
    }
    if (v0 == 0) {
        *zeros = b->st_rvr ? n / p : 0;
        return b->st_rvr ? (uint32_t)(b->st_rvr - (n - 1u) % p) : 0;
    }
    if (n < v0) {
        *zeros = 0;
        return (uint32_t)(v0 - n);
    }
    if (!b->st_rvr) { /* RVR 0: the counter stops at 0 */
        *zeros = 1;
        return 0;
    }
    *zeros = 1u + (n - v0) / p;
    return n == v0 ? 0 : (uint32_t)(b->st_rvr - (n - v0 - 1u) % p);
}

static void vb_systick_rebase(vboard_t *b)
{
    uint64_t per = vb_st_period_ticks(b), n, zeros;

    if (!(b->st_csr & SYST_CSR_ENABLE))
        return;
    n = (b->ticks - b->st_base_ticks) / per;
    b->st_base_val = vb_st_value(b, n, &zeros);
    if (zeros > b->st_zeros_seen)
        b->st_csr |= SYST_CSR_COUNTFLAG;
    b->st_zeros_seen = 0;
    b->st_base_ticks += n * per;
}

static void vb_dwt_rebase(vboard_t *b)
{
    if (b->dwt_ctrl & 1u)
        b->dwt_base_val += (uint32_t)((b->ticks - b->dwt_base_ticks) / b->tpc);
    b->dwt_base_ticks = b->ticks;
}

static uint32_t vb_ppb_read(vboard_t *b, uint32_t reg)
{
    uint32_t v;

    switch (reg) {
    case SYST_BASE + 0x0:
        vb_systick_rebase(b);
        v = b->st_csr;
        b->st_csr &= ~SYST_CSR_COUNTFLAG;
        return v;
    case SYST_BASE + 0x4:
        return b->st_rvr;
    case SYST_BASE + 0x8:
        vb_systick_rebase(b);
        return b->st_base_val;
    case SYST_BASE + 0xC:
        return 0x40000000u | (b->hclk_hz / 8u / 100u - 1u); /* NOREF, 10 ms */
    case DWT_BASE + 0x0:
        return b->dwt_ctrl | 0x40000000u; /* NUMCOMP = 4 */
    case DWT_BASE + 0x4:
        vb_dwt_rebase(b);
        return b->dwt_base_val;
    case SCB_BASE + 0x00:
        return 0x410FC241u; /* Cortex-M4 r0p1 */
    case SCB_BASE + 0x08:
        return b->scb_vtor;
    case SCB_BASE + 0x0C:
        return 0xFA050000u | (b->scb_aircr & 0x700u);
    case SCB_BASE + 0x10:
        return b->scb_scr;
    case SCB_BASE + 0x14:
        return b->scb_ccr;
    case SCB_BASE + 0x24:
        return b->scb_shcsr;
    case SCB_BASE + 0x88:
        return b->scb_cpacr;
    case DBGMCU_IDCODE:
        return 0x10076413u; /* DEV_ID 0x413, REV_ID 0x1007 */
    default:
        return *vb_shadow(b, reg);
    }
}

static void vb_ppb_write(vboard_t *b, uint32_t reg, uint32_t v, uint32_t mask)
{
    switch (reg) {
    case SYST_BASE + 0x0: {
        uint32_t nv = vb_merge(b->st_csr, v, mask) & 7u;

        vb_systick_rebase(b);
        if ((nv & SYST_CSR_ENABLE) && !(b->st_csr & SYST_CSR_ENABLE)) {
            b->st_base_ticks = b->ticks;
            b->st_zeros_seen = 0;
        }
        b->st_csr = (b->st_csr & SYST_CSR_COUNTFLAG) | nv;
        break;
    }
    case SYST_BASE + 0x4:
        vb_systick_rebase(b);
        b->st_rvr = vb_merge(b->st_rvr, v, mask) & 0xFFFFFFu;
        break;
    case SYST_BASE + 0x8: /* any write clears the counter and COUNTFLAG */
        vb_systick_rebase(b);
        b->st_base_val = 0;
        b->st_base_ticks = b->ticks;
        b->st_zeros_seen = 0;
        b->st_csr &= ~SYST_CSR_COUNTFLAG;
        break;
    case DWT_BASE + 0x0:
        vb_dwt_rebase(b);
        b->dwt_ctrl = vb_merge(b->dwt_ctrl, v, mask) & 0x0FFFFFFFu;
        break;
    case DWT_BASE + 0x4:
        vb_dwt_rebase(b);
        b->dwt_base_val = vb_merge(b->dwt_base_val, v, mask);
        break;
    case SCB_BASE + 0x08:
        b->scb_vtor = vb_merge(b->scb_vtor, v, mask) & 0xFFFFFF80u;
        break;
    case SCB_BASE + 0x0C:
        if (((v & mask) >> 16) != 0x05FAu)
            break; /* writes without VECTKEY are ignored */
        b->scb_aircr = v & 0x700u;
        if (v & (1u << 2)) { /* SYSRESETREQ */
            b->reset_pending = true;
            b->stop_req = true;
        }
        break;
    case SCB_BASE + 0x10:
        b->scb_scr = vb_merge(b->scb_scr, v, mask);
        break;
    case SCB_BASE + 0x14:
        b->scb_ccr = vb_merge(b->scb_ccr, v, mask);
        break;
    case SCB_BASE + 0x24:
        b->scb_shcsr = vb_merge(b->scb_shcsr, v, mask);
        break;
    case SCB_BASE + 0x88:
        b->scb_cpacr = vb_merge(b->scb_cpacr, v, mask) & 0x00F00000u;
        break;
    default:
        *vb_shadow(b, reg) = vb_merge(*vb_shadow(b, reg), v, mask);
        break;
    }
}

/* ------------------------------------------------------------- dispatch */

/* Peripheral registers of a block whose RCC clock is off read as 0 and
 * ignore writes. Returns false (and counts it) in that case. */
static bool vb_clocked(vboard_t *b, uint32_t reg)
{
    bool on = true;

    if (reg >= GPIO_BASE && reg < GPIO_BASE + 5 * 0x400u)
        on = b->rcc_ahb1enr & RCC_AHB1_GPIO((reg - GPIO_BASE) / 0x400u);
    else if (reg >= SPI1_BASE && reg < SPI1_BASE + 0x400u)
        on = b->rcc_apb2enr & RCC_APB2_SPI1;
    else if (reg >= USART1_BASE && reg < USART1_BASE + 0x400u)
        on = b->rcc_apb2enr & RCC_APB2_USART1;
    else if (reg >= CRC_BASE && reg < CRC_BASE + 0x400u)
        on = b->rcc_ahb1enr & RCC_AHB1_CRC;
    else if (reg >= DMA2_BASE && reg < DMA2_BASE + 0x400u)
        on = b->rcc_ahb1enr & RCC_AHB1_DMA2;
    else if (reg >= PWR_BASE && reg < PWR_BASE + 0x400u)
        on = b->rcc_apb1enr & RCC_APB1_PWR;
    if (!on)
        b->unclocked++;
    return on;
}

static uint32_t vb_reg_read(vboard_t *b, uint32_t reg)
{
    if (!vb_clocked(b, reg))
        return 0;
    if (reg >= VB_PPB_BASE)
        return vb_ppb_read(b, reg);
    if (reg >= GPIO_BASE && reg < GPIO_BASE + 5 * 0x400u)
        return vb_gpio_read(b, (reg - GPIO_BASE) / 0x400u, reg & 0x3FFu);
    if (reg >= RCC_BASE && reg < RCC_BASE + 0x400u)
        return vb_rcc_read(b, reg - RCC_BASE);
    if (reg >= FLASH_IF_BASE && reg < FLASH_IF_BASE + 0x400u)
        return vb_flash_read(b, reg - FLASH_IF_BASE);
    if (reg >= SPI1_BASE && reg < SPI1_BASE + 0x400u)
        return vb_spi_read(b, reg - SPI1_BASE);
    if (reg >= DMA2_BASE && reg < DMA2_BASE + 0x400u)
        return vb_dma_read(b, reg - DMA2_BASE);
    if (reg >= USART1_BASE && reg < USART1_BASE + 0x400u)
        return vb_us_read(b, reg - USART1_BASE);
    if (reg >= IWDG_BASE && reg < IWDG_BASE + 0x400u)
        return vb_iwdg_read(b, reg - IWDG_BASE);
    if (reg == CRC_BASE)
        return b->crc_dr;
    if (reg == CRC_BASE + 4)
        return b->crc_idr;
    if (reg == CRC_BASE + 8)
        return 0;
    if (reg == PWR_BASE)
        return b->pwr_cr;
    if (reg == PWR_BASE + 4)
        return 1u << 14; /* VOSRDY */
    return *vb_shadow(b, reg);
}

static void vb_reg_write(vboard_t *b, uint32_t reg, uint32_t v, uint32_t mask)
{
    if (!vb_clocked(b, reg))
        return;
    if (reg >= VB_PPB_BASE)
        vb_ppb_write(b, reg, v, mask);
    else if (reg >= GPIO_BASE && reg < GPIO_BASE + 5 * 0x400u)
        vb_gpio_write(b, (reg - GPIO_BASE) / 0x400u, reg & 0x3FFu, v, mask);
    else if (reg >= RCC_BASE && reg < RCC_BASE + 0x400u)
        vb_rcc_write(b, reg - RCC_BASE, v, mask);
    else if (reg >= FLASH_IF_BASE && reg < FLASH_IF_BASE + 0x400u)
        vb_flash_write(b, reg - FLASH_IF_BASE, v, mask);
    else if (reg >= SPI1_BASE && reg < SPI1_BASE + 0x400u)
        vb_spi_write(b, reg - SPI1_BASE, v, mask);
    else if (reg >= DMA2_BASE && reg < DMA2_BASE + 0x400u)
        vb_dma_write(b, reg - DMA2_BASE, v, mask);
    else if (reg >= USART1_BASE && reg < USART1_BASE + 0x400u)
        vb_us_write(b, reg - USART1_BASE, v, mask);
    else if (reg >= IWDG_BASE && reg < IWDG_BASE + 0x400u)
        vb_iwdg_write(b, reg - IWDG_BASE, v & mask);
    else if (reg == CRC_BASE)
        b->crc_dr = vb_crc_word(b->crc_dr, v); /* 32-bit writes only */
    else if (reg == CRC_BASE + 4)
        b->crc_idr = vb_merge(b->crc_idr, v, mask) & 0xFFu;
    else if (reg == CRC_BASE + 8) {
        if (v & mask & 1u)
            b->crc_dr = 0xFFFFFFFFu;
    } else if (reg == PWR_BASE)
        b->pwr_cr = vb_merge(b->pwr_cr, v, mask);
    else
        *vb_shadow(b, reg) = vb_merge(*vb_shadow(b, reg), v, mask);
}

uint64_t vb_periph_read(vboard_t *b, uint32_t addr, unsigned size)
{
    uint32_t shift = (addr & 3u) * 8u;
    uint32_t v = vb_reg_read(b, addr & ~3u) >> shift;

    return size >= 4 ? v : v & ((1u << (size * 8u)) - 1u);
}

void vb_periph_write(vboard_t *b, uint32_t addr, uint32_t val, unsigned size)
{
    uint32_t shift = (addr & 3u) * 8u;
    uint32_t mask = size >= 4 ? 0xFFFFFFFFu
                              : ((1u << (size * 8u)) - 1u) << shift;

    vb_reg_write(b, addr & ~3u, val << shift, mask);
    /* A write can create an earlier event (watchdog started or reloaded,
     * clock switch pending): end the running slice there. */
    uint64_t ev = vb_next_event(b);

    if (ev < b->stop_tick)
        b->stop_tick = ev;
}

/* -------------------------------------------------------------- events */

uint64_t vb_next_event(const vboard_t *b)
{
    uint64_t ev = VB_NEVER;
    uint32_t sw = b->rcc_cfgr & 3u;

    if (b->iwdg_on)
        ev = b->iwdg_expiry;
    /* A pending clock switch changes the instruction rate. */
    if (sw != ((b->rcc_cfgr >> 2) & 3u)) {
        uint64_t t = sw == 1 ? b->hse_ready_at : sw == 2 ? b->pll_ready_at : 0;

        if (t > b->ticks && t < ev)
            ev = t;
    }
    return ev;
}

void vb_service_events(vboard_t *b)
{
    vb_rcc_update(b);
    if (b->iwdg_on && b->ticks >= b->iwdg_expiry) {
        b->iwdg_on = false;
        b->iwdg_reset_pending = true;
    }
}

void vb_periph_reset(vboard_t *b, bool power_on)
{
    b->rcc_cr = 0x00000083u;
    b->rcc_pllcfgr = 0x24003010u;
    b->rcc_cfgr = 0;
    b->rcc_ahb1enr = 0x00100000u;
    b->rcc_ahb2enr = 0;
    b->rcc_apb1enr = 0;
    b->rcc_apb2enr = 0;
    b->rcc_csr_low = 0;
    if (power_on)
        b->rcc_bdcr = 0;
    b->hse_ready_at = VB_NEVER;
    b->pll_ready_at = VB_NEVER;
    b->hclk_hz = VB_HSI_HZ;
    b->tpc = (uint32_t)(VB_TICK_HZ / VB_HSI_HZ);
    b->pwr_cr = 0x4000u;

    b->f_acr = 0;
    b->f_cr = FL_CR_LOCK;
    b->f_sr = 0;
    b->f_key_stage = 0;
    b->f_optkey_stage = 0;
    b->f_key_lockout = false;
    b->f_optcr = ((uint32_t)(b->opt[9] & 0x0F) << 24) | ((uint32_t)b->opt[8] << 16) |
                 ((uint32_t)b->opt[1] << 8) | (b->opt[0] & 0xECu) | FL_OPTCR_OPTLOCK;
    b->tb_flush_lo = b->tb_flush_hi = 0;

    memset(b->gpio, 0, sizeof b->gpio);
    for (unsigned p = 0; p < 5; p++)
        memset(b->gpio[p].ext, -1, sizeof b->gpio[p].ext);
    b->gpio[0].moder = 0xA8000000u;
    b->gpio[0].pupdr = 0x64000000u;
    b->gpio[0].ospeedr = 0x0C000000u;
    b->gpio[1].moder = 0x00000280u;
    b->gpio[1].pupdr = 0x00000100u;
    b->gpio[1].ospeedr = 0x000000C0u;
    vb_leds_update(b);

    b->spi_cr1 = b->spi_cr2 = 0;
    b->spi_crcpr = 7;
    b->spi_i2scfgr = b->spi_i2spr = 0;
    b->spi_txbuf = b->spi_rxbuf = 0;
    b->spi_txe = true;
    b->spi_rxne = b->spi_ovr = b->spi_bsy = b->spi_ovr_dr_read = false;

    memset(b->dma_cr, 0, sizeof b->dma_cr);
    memset(b->dma_ndtr, 0, sizeof b->dma_ndtr);
    memset(b->dma_par, 0, sizeof b->dma_par);
    memset(b->dma_m0ar, 0, sizeof b->dma_m0ar);
    memset(b->dma_m1ar, 0, sizeof b->dma_m1ar);
    memset(b->dma_fcr, 0, sizeof b->dma_fcr);
    memset(b->dma_isr, 0, sizeof b->dma_isr);

    b->us_cr1 = b->us_cr2 = b->us_cr3 = b->us_brr = b->us_gtpr = 0;
    b->us_shift_end = 0;
    b->us_buf_full = false;
    b->us_rxne = b->us_ore = false;
    b->us_rxq_n = 0;
    b->us_rxq_head = 0;
    b->us_rx_last = 0;

    b->st_csr = 0;
    b->st_rvr = 0;
    b->st_base_val = 0;
    b->st_base_ticks = b->ticks;
    b->st_zeros_seen = 0;
    b->dwt_ctrl = 0;
    b->dwt_base_val = 0;
    b->dwt_base_ticks = b->ticks;
    b->scb_vtor = 0;
    b->scb_aircr = 0;
    b->scb_scr = 0;
    b->scb_ccr = 0x200u;
    b->scb_shcsr = 0;
    b->scb_cpacr = 0;

    /* USER option bit WDG_SW = 0 selects the hardware watchdog. */
    b->iwdg_pr = 0;
    b->iwdg_rlr = 0xFFF;
    b->iwdg_unlocked = false;
    b->iwdg_pvu_until = b->iwdg_rvu_until = 0;
    b->iwdg_on = !(b->opt[0] & 0x20u);
    if (b->iwdg_on)
        vb_iwdg_reload(b);

    b->crc_dr = 0xFFFFFFFFu;
    b->crc_idr = 0;
    memset(b->shadow_periph, 0, VB_PERIPH_SIZE);
    memset(b->shadow_ppb, 0, VB_PPB_SIZE);
}
