/*
 * vb_flashif.c - the embedded flash interface (RM0090 section 3): ACR,
 * KEYR/OPTKEYR unlock sequences, SR error flags, CR program/erase starts
 * and OPTCR, over the strict flash model sim/flash. An operation holds BSY
 * for its real duration; the board stalls the CPU on flash while it is
 * busy (vb_flashif_busy_until). A reset in the middle of an operation
 * tears it (vb_flashif_tear).
 */
#include <string.h>

#include "fota/fota_layout.h"
#include "fota/fota_le.h"
#include "fota/fota_prng.h"
#include "vb_dev.h"
#include "vb_regs.h"

typedef struct vb_flashif {
    uint32_t acr, cr, sr, optcr;
    int key_stage, optkey_stage;
    bool key_lockout;
    uint64_t busy_until; /* ticks */
    bool eop_pending;
    /* the operation in flight, to tear it on a reset */
    int op_kind; /* 0 none, 1 word, 2 erase */
    uint32_t op_addr, op_old, op_new;
    unsigned op_sector;
    uint8_t op_backup[0x20000]; /* the sector before the erase */
} vb_flashif_t;

/* The flash model keeps its own nanosecond clock; it follows the board's. */
static void fl_sync_clock(const vb_sys_t *s)
{
    uint64_t ns = VB_TICKS_TO_NS(s->now);

    if (ns > s->flash->now_ns)
        s->flash->now_ns = ns;
}

static uint32_t fl_nwrp(const vb_sys_t *s)
{
    return (uint32_t)s->opt[8] | ((uint32_t)(s->opt[9] & 0x0F) << 8);
}

uint64_t vb_flashif_busy_until(const void *st)
{
    return ((const vb_flashif_t *)st)->busy_until;
}

unsigned vb_flashif_latency(const void *st)
{
    return ((const vb_flashif_t *)st)->acr & 7u;
}

uint32_t vb_flashif_acr(const void *st)
{
    return ((const vb_flashif_t *)st)->acr;
}

/* The flash global interrupt (position 4, RM0090 table 61) is a level:
 * EOP with EOPIE, or an error flag with ERRIE (RM0090 3.8, "Flash
 * interrupt request"). */
static void fl_line(vb_sys_t *s, const vb_flashif_t *f)
{
    bool on = ((f->cr & FL_CR_EOPIE) && (f->sr & FL_SR_EOP)) ||
              ((f->cr & FL_CR_ERRIE) && (f->sr & (FL_SR_OPERR | FL_SR_SEQERR)));

    s->ops->irq(s, (unsigned)vb_devices[VB_DEV_FLASH].irq, on);
}

static void fl_settle(vb_sys_t *s, vb_flashif_t *f)
{
    if (f->eop_pending && s->now >= f->busy_until) {
        f->eop_pending = false;
        /* RM0090: EOP is only raised when EOPIE is set. */
        if (f->cr & FL_CR_EOPIE)
            f->sr |= FL_SR_EOP;
        f->op_kind = 0;
        fl_line(s, f);
    }
}

/* After a model operation: its end time, and an armed cut that fired. */
static void fl_started(vb_sys_t *s, vb_flashif_t *f, int rc)
{
    if (s->flash->cut_happened) {
        s->flash->cut_happened = false;
        f->op_kind = 0; /* the model already tore it */
        s->ops->request(s, VB_REQ_POWER_CUT);
        return;
    }
    if (rc) {
        f->sr |= FL_SR_OPERR;
        return;
    }
    f->busy_until = vb_ns_to_ticks_ceil(s->flash->busy_until_ns);
    f->eop_pending = true;
}

/* An operation is not started while a sequence error is pending. */
static bool fl_refuses(const vb_flashif_t *f)
{
    return (f->sr & FL_SR_SEQERR) != 0;
}

/* A CPU store into main flash (the board has already waited out BSY). */
static void fl_store(vb_sys_t *s, void *st, uint32_t addr, unsigned size,
                     uint64_t value)
{
    vb_flashif_t *f = st;
    uint32_t cr = f->cr;
    unsigned psize = 1u << ((cr >> FL_CR_PSIZE_SHIFT) & 3u);
    uint32_t aligned = addr & ~3u, shift = (addr & 3u) * 8u, m, word;
    int sector;

    fl_settle(s, f);
    fl_sync_clock(s);
    if ((cr & FL_CR_LOCK) || !(cr & FL_CR_PG) ||
        (cr & (FL_CR_SER | FL_CR_MER))) {
        f->sr |= FL_SR_PGSERR;
        return;
    }
    if (fl_refuses(f))
        return;
    if (size != psize || size > 4) {
        f->sr |= FL_SR_PGPERR;
        return;
    }
    if (addr % size) {
        f->sr |= FL_SR_PGAERR;
        return;
    }
    sector = fota_sector_of(addr);
    if (sector < 0 || !(fl_nwrp(s) & (1u << sector))) {
        f->sr |= FL_SR_WRPERR;
        return;
    }
    m = size == 4 ? 0xFFFFFFFFu : ((1u << (size * 8u)) - 1u) << shift;
    word = ~m | (((uint32_t)value << shift) & m);
    f->op_kind = 1;
    f->op_addr = aligned;
    f->op_old = fota_get_le32(&s->flash->mem[aligned - FOTA_FLASH_BASE]);
    f->op_new = word;
    fl_started(s, f, sim_flash_start_word(s->flash, aligned, word));
}

void vb_flashif_store(vb_sys_t *s, void *st, uint32_t addr, unsigned size,
                      uint64_t value)
{
    fl_store(s, st, addr, size, value);
    fl_line(s, st);
}

static void fl_erase(vb_sys_t *s, vb_flashif_t *f, uint32_t cr)
{
    unsigned sector = (cr & FL_CR_SNB_MASK) >> FL_CR_SNB_SHIFT;
    int rc = 0;

    fl_sync_clock(s);
    if ((cr & FL_CR_PG) || ((cr & FL_CR_SER) && (cr & FL_CR_MER))) {
        f->sr |= FL_SR_PGSERR;
        return;
    }
    if (fl_refuses(f))
        return;
    if (cr & FL_CR_MER) {
        uint64_t start = s->flash->now_ns;

        if (fl_nwrp(s) != 0xFFFu) {
            f->sr |= FL_SR_WRPERR;
            return;
        }
        for (unsigned n = 0; n < FOTA_FLASH_SECTORS && !rc; n++) {
            rc = sim_flash_erase_sector(s->flash, n);
            if (s->flash->cut_happened)
                break;
        }
        s->flash->busy_until_ns = s->flash->now_ns;
        s->flash->now_ns = start;
        s->ops->flush_code(s, FOTA_FLASH_BASE, FOTA_FLASH_END);
        fl_started(s, f, rc);
        return;
    }
    if (sector >= FOTA_FLASH_SECTORS) {
        f->sr |= FL_SR_PGSERR;
        return;
    }
    if (!(fl_nwrp(s) & (1u << sector))) {
        f->sr |= FL_SR_WRPERR;
        return;
    }
    f->op_kind = 2;
    f->op_sector = sector;
    memcpy(f->op_backup,
           &s->flash->mem[(uint32_t)FOTA_SECTOR_ADDR(sector) - FOTA_FLASH_BASE],
           (size_t)FOTA_SECTOR_SIZE(sector));
    /* Code translated from this sector is stale now; the board drops it
     * between slices (the CPU cannot be fetching from flash while it is
     * busy). */
    s->ops->flush_code(s, (uint32_t)FOTA_SECTOR_ADDR(sector),
                       (uint32_t)FOTA_SECTOR_ADDR(sector) +
                           (uint32_t)FOTA_SECTOR_SIZE(sector));
    fl_started(s, f, sim_flash_start_erase(s->flash, sector));
}

/* A reset or power cut in the middle of a program or erase leaves it torn:
 * a random subset of the word's 1->0 bits, or a sector where each word is
 * old, erased, or in between. */
void vb_flashif_tear(vb_sys_t *s, void *st)
{
    vb_flashif_t *f = st;
    uint32_t r = (uint32_t)(s->now ^ (s->now >> 32)) | 1u;

    if (f->op_kind && f->busy_until > s->now) {
        if (f->op_kind == 1) {
            uint32_t clear = f->op_old & ~f->op_new;

            (void)fota_prng_next(&r);
            fota_put_le32(&s->flash->mem[f->op_addr - FOTA_FLASH_BASE],
                          f->op_old & ~(clear & r));
        } else {
            uint32_t base = (uint32_t)FOTA_SECTOR_ADDR(f->op_sector);
            uint32_t size = (uint32_t)FOTA_SECTOR_SIZE(f->op_sector);

            for (uint32_t off = 0; off < size; off += 4) {
                uint32_t old = fota_get_le32(&f->op_backup[off]);
                uint32_t v;

                (void)fota_prng_next(&r);
                v = (r & 3u) == 0 ? old | r : (r & 4u) ? 0xFFFFFFFFu : old;
                fota_put_le32(&s->flash->mem[base - FOTA_FLASH_BASE + off], v);
            }
        }
    }
    f->op_kind = 0;
    f->busy_until = 0;
    f->eop_pending = false;
    fl_sync_clock(s);
    s->flash->busy_until_ns = s->flash->now_ns;
}

static uint32_t fl_read(vb_sys_t *s, const vb_dev_t *d, void *st, uint32_t off)
{
    vb_flashif_t *f = st;

    (void)d;
    fl_settle(s, f);
    switch (off) {
    case FLASH_ACR:
        return f->acr;
    case FLASH_SR:
        return f->sr | (f->busy_until > s->now ? FL_SR_BSY : 0);
    case FLASH_CR:
        return f->cr;
    case FLASH_OPTCR:
        return f->optcr;
    default:
        return 0;
    }
}

static void fl_write(vb_sys_t *s, const vb_dev_t *d, void *st, uint32_t off,
                     uint32_t v, uint32_t mask)
{
    vb_flashif_t *f = st;

    (void)d;
    fl_settle(s, f);
    switch (off) {
    case FLASH_ACR: /* the cache reset bits self-clear */
        f->acr = vb_merge(f->acr, v, mask) & 0x707u;
        s->ops->acr_write(s, vb_merge(f->acr, v, mask));
        break;
    case FLASH_KEYR: /* any wrong value locks the interface until reset */
        if (!(f->cr & FL_CR_LOCK) || f->key_lockout)
            break;
        if (f->key_stage == 0 && v == FL_KEY1) {
            f->key_stage = 1;
        } else if (f->key_stage == 1 && v == FL_KEY2) {
            f->key_stage = 0;
            f->cr &= ~FL_CR_LOCK;
        } else {
            f->key_stage = 0;
            f->key_lockout = true;
        }
        break;
    case FLASH_OPTKEYR:
        if (!(f->optcr & FL_OPTCR_OPTLOCK))
            break;
        if (f->optkey_stage == 0 && v == FL_OPTKEY1) {
            f->optkey_stage = 1;
        } else if (f->optkey_stage == 1 && v == FL_OPTKEY2) {
            f->optkey_stage = 0;
            f->optcr &= ~FL_OPTCR_OPTLOCK;
        } else {
            f->optkey_stage = 0;
        }
        break;
    case FLASH_SR:
        f->sr &= ~(v & mask & FL_SR_W1C);
        break;
    case FLASH_CR: {
        uint32_t nv;

        if (f->cr & FL_CR_LOCK)
            break;
        nv = vb_merge(f->cr, v, mask);
        f->cr = nv & FL_CR_RW;
        if (nv & FL_CR_LOCK) {
            f->cr |= FL_CR_LOCK;
            break;
        }
        if ((nv & FL_CR_STRT) && (nv & (FL_CR_SER | FL_CR_MER)))
            fl_erase(s, f, nv);
        break;
    }
    case FLASH_OPTCR:
        if (f->optcr & FL_OPTCR_OPTLOCK)
            break;
        f->optcr = vb_merge(f->optcr, v, mask) & 0x0FFFFFFFu;
        if (f->optcr & FL_OPTCR_OPTLOCK)
            break;
        if (f->optcr & FL_OPTCR_OPTSTRT) {
            /* Commit to the option bytes (kept across resets). */
            uint8_t *o = s->opt;

            o[0] = (uint8_t)(f->optcr & 0xECu);
            o[1] = (uint8_t)(f->optcr >> 8);
            o[2] = (uint8_t)~o[0];
            o[3] = (uint8_t)~o[1];
            o[8] = (uint8_t)(f->optcr >> 16);
            o[9] = (uint8_t)((f->optcr >> 24) & 0x0F);
            o[10] = (uint8_t)~o[8];
            o[11] = (uint8_t)~o[9];
            f->optcr &= ~FL_OPTCR_OPTSTRT;
        }
        break;
    default:
        break;
    }
    fl_line(s, f);
}

/* Writing CR while busy stalls the AHB until the operation ends. */
static uint64_t fl_stall(const vb_sys_t *s, const void *st, uint32_t off,
                         bool write)
{
    const vb_flashif_t *f = st;

    return write && off == FLASH_CR && f->busy_until > s->now ? f->busy_until
                                                              : 0;
}

static void fl_reset(vb_sys_t *s, const vb_dev_t *d, void *st, bool power_on)
{
    vb_flashif_t *f = st;
    const uint8_t *o = s->opt;

    (void)d;
    (void)power_on;
    f->acr = 0;
    f->cr = FL_CR_LOCK;
    f->sr = 0;
    f->key_stage = 0;
    f->optkey_stage = 0;
    f->key_lockout = false;
    f->optcr = ((uint32_t)(o[9] & 0x0F) << 24) | ((uint32_t)o[8] << 16) |
               ((uint32_t)o[1] << 8) | (o[0] & 0xECu) | FL_OPTCR_OPTLOCK;
    f->op_kind = 0;
    f->busy_until = 0;
    f->eop_pending = false;
    fl_line(s, f);
}

/* The end of an operation raises EOP (and the interrupt) at its time. */
static uint64_t fl_next_event(const vb_sys_t *s, const vb_dev_t *d,
                              const void *st)
{
    const vb_flashif_t *f = st;

    (void)s;
    (void)d;
    return f->eop_pending ? f->busy_until : VB_NEVER;
}

static void fl_event(vb_sys_t *s, const vb_dev_t *d, void *st)
{
    (void)d;
    fl_settle(s, st);
}

const vb_dev_class_t vb_flashif_class = {
    .state_size = sizeof(vb_flashif_t),
    .reset = fl_reset,
    .read = fl_read,
    .write = fl_write,
    .stall = fl_stall,
    .next_event = fl_next_event,
    .event = fl_event,
};
