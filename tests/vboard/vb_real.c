/*
 * vb_real.c - see vb_real.h.
 */
#include "vb_real.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot_port_host.h"
#include "fota/fota_err.h"
#include "fota/fota_layout.h"
#include "fota/fota_le.h"
#include "fota/fota_prng.h"
#include "tool.h"
#include "tool_image.h"

/* ELF32 little-endian field readers over a file loaded in memory. */
static uint32_t rd32(const uint8_t *p)
{
    return fota_get_le32(p);
}
static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

/* Walk the ELF32 symbol table; fn returns true to stop. */
static int elf_walk(const char *elf_path,
                    bool (*fn)(void *ctx, const char *name, uint32_t value,
                               uint32_t size, uint8_t info),
                    void *ctx)
{
    uint8_t *f = NULL;
    size_t len = 0;
    int rc = FOTA_ERR_CORRUPT;

    if (tool_read_file(elf_path, &f, &len) != 0)
        return FOTA_ERR_IO;
    if (len < 52 || memcmp(f, "\177ELF", 4) != 0 || f[4] != 1 || f[5] != 1)
        goto out;
    uint32_t shoff = rd32(&f[32]);
    uint16_t shentsize = rd16(&f[46]), shnum = rd16(&f[48]);

    if (shentsize < 40 || shoff > len ||
        (size_t)shnum * shentsize > len - shoff)
        goto out;
    rc = FOTA_ERR_NOENT;
    for (unsigned i = 0; i < shnum; i++) {
        const uint8_t *sh = &f[shoff + (size_t)i * shentsize];

        if (rd32(&sh[4]) != 2) /* SHT_SYMTAB */
            continue;
        uint32_t off = rd32(&sh[16]), size = rd32(&sh[20]),
                 link = rd32(&sh[24]);
        uint32_t entsize = rd32(&sh[36]);

        if (link >= shnum || entsize < 16 || off > len || size > len - off) {
            rc = FOTA_ERR_CORRUPT;
            goto out;
        }
        const uint8_t *strsh = &f[shoff + (size_t)link * shentsize];
        uint32_t stroff = rd32(&strsh[16]), strsize = rd32(&strsh[20]);

        if (stroff > len || strsize > len - stroff) {
            rc = FOTA_ERR_CORRUPT;
            goto out;
        }
        for (uint32_t s = 0; s + entsize <= size; s += entsize) {
            const uint8_t *sym = &f[off + s];
            uint32_t nm = rd32(&sym[0]);

            if (nm >= strsize)
                continue;
            const char *sname = (const char *)&f[stroff + nm];

            if (!memchr(sname, '\0', strsize - nm))
                continue;
            if (fn(ctx, sname, rd32(&sym[4]), rd32(&sym[8]), sym[12])) {
                rc = 0;
                goto out;
            }
        }
    }
out:
    free(f);
    return rc;
}

typedef struct by_name {
    const char *name;
    uint32_t addr;
} by_name_t;

static bool match_name(void *ctx, const char *name, uint32_t value,
                       uint32_t size, uint8_t info)
{
    by_name_t *q = ctx;

    (void)size;
    (void)info;
    if (strcmp(name, q->name) != 0)
        return false;
    q->addr = value;
    return true;
}

int vbr_elf_symbol(const char *elf_path, const char *name, uint32_t *addr)
{
    by_name_t q = {name, 0};
    int rc = elf_walk(elf_path, match_name, &q);

    if (rc == 0)
        *addr = q.addr;
    return rc;
}

typedef struct by_addr {
    uint32_t pc;
    char *name;
    size_t len;
} by_addr_t;

static bool match_addr(void *ctx, const char *name, uint32_t value,
                       uint32_t size, uint8_t info)
{
    by_addr_t *q = ctx;
    uint32_t start = value & ~1u;

    if ((info & 0xF) != 2 /* STT_FUNC */ || q->pc < start ||
        q->pc - start >= size)
        return false;
    snprintf(q->name, q->len, "%s", name);
    return true;
}

int vbr_elf_func_at(const char *elf_path, uint32_t pc, char *name, size_t len)
{
    by_addr_t q = {pc & ~1u, name, len};

    return elf_walk(elf_path, match_addr, &q);
}

int vbr_pack(vbr_image_t *img, const char *bin_path, int slot, unsigned maj,
             unsigned min, unsigned patch, size_t pad_body, uint32_t flags)
{
    uint8_t *raw = NULL;
    size_t raw_len = 0;
    tool_pack_opts_t o;
    char err[200];
    int rc;

    memset(img, 0, sizeof *img);
    rc = tool_read_file(bin_path, &raw, &raw_len);
    if (rc < 0)
        return rc;
    if (pad_body > raw_len) {
        uint8_t *p = realloc(raw, pad_body);
        uint32_t x = 0x9E3779B9u;

        if (!p) {
            free(raw);
            return FOTA_ERR_NOMEM;
        }
        raw = p;
        /* A filler that is neither erased nor constant, so a check that
         * skipped part of the body could not pass by luck. */
        fota_prng_fill(&x, raw + raw_len, pad_body - raw_len);
        raw_len = pad_body;
    }
    memset(&o, 0, sizeof o);
    o.slot = slot;
    o.version.major = (uint8_t)maj;
    o.version.minor = (uint8_t)min;
    o.version.patch = (uint16_t)patch;
    o.flags = flags;
    rc = tool_image_pack(raw, raw_len, &o, &img->data, &img->len, err,
                         sizeof err);
    free(raw);
    if (rc < 0) {
        fprintf(stderr, "pack %s: %s\n", bin_path, err);
        return rc;
    }
    img->slot = slot;
    img->version = o.version;
    img->entry = fota_get_le32(&img->data[FOTA_IMAGE_HDR_SIZE + 4]) & ~1u;
    return 0;
}

void vbr_image_free(vbr_image_t *img)
{
    free(img->data);
    img->data = NULL;
}

int vbr_install(sim_flash_t *f, const vbr_image_t *img)
{
    uint32_t base = (uint32_t)FOTA_SLOT_ADDR(img->slot);
    unsigned first = (unsigned)FOTA_SLOT_FIRST_SECTOR(img->slot);
    int rc;

    for (unsigned s = first; s < first + FOTA_SLOT_SECTORS; s++) {
        rc = sim_flash_erase_sector(f, s);
        if (rc < 0)
            return rc;
    }
    for (size_t off = 0; off < img->len; off += 4) {
        uint8_t w[4] = {0xFF, 0xFF, 0xFF, 0xFF};

        memcpy(w, &img->data[off], img->len - off < 4 ? img->len - off : 4);
        rc = sim_flash_program_word(f, base + (uint32_t)off, fota_get_le32(w));
        if (rc < 0)
            return rc;
    }
    return 0;
}

void vbr_flash_to_board(vboard_t *b, const sim_flash_t *src)
{
    memcpy(vboard_flash(b)->mem, src->mem, FOTA_FLASH_SIZE);
}

static sim_flash_t s_scratch;

int vbr_journal_read(const uint8_t *mem, boot_ctx_t *ctx)
{
    sim_flash_t *prev = boot_port_host_flash();
    int rc;

    sim_flash_init(&s_scratch, SIM_FLASH_TYPICAL);
    memcpy(s_scratch.mem, mem, FOTA_FLASH_SIZE);
    boot_port_host_bind(&s_scratch);
    rc = boot_init(ctx);
    boot_port_host_bind(prev);
    return rc;
}

bool vbr_slot_holds(const uint8_t *mem, int slot, const vbr_image_t *img)
{
    sim_flash_t *prev = boot_port_host_flash();
    boot_ctx_t ctx;
    bool ok;

    if (img->slot != slot)
        return false;
    sim_flash_init(&s_scratch, SIM_FLASH_TYPICAL);
    memcpy(s_scratch.mem, mem, FOTA_FLASH_SIZE);
    boot_port_host_bind(&s_scratch);
    ok = boot_init(&ctx) == 0 && boot_verify_image(&ctx, slot, true, NULL) == 0;
    boot_port_host_bind(prev);
    return ok && memcmp(&mem[FOTA_SLOT_ADDR(slot) - FOTA_FLASH_BASE], img->data,
                        img->len) == 0;
}

/* ---- time profile by function ---- */

typedef struct sym_list {
    vbr_sym_t *v;
    size_t n, cap;
    bool nomem;
    const char *label; /* prefix of the names, or NULL */
} sym_list_t;

static bool collect_func(void *ctx, const char *name, uint32_t value,
                         uint32_t size, uint8_t info)
{
    sym_list_t *l = ctx;

    if ((info & 0xF) != 2 /* STT_FUNC */ || size == 0 || l->nomem)
        return false;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 256;
        vbr_sym_t *v = realloc(l->v, cap * sizeof *v);

        if (!v) {
            l->nomem = true;
            return false;
        }
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n].start = value & ~1u;
    l->v[l->n].size = size;
    snprintf(l->v[l->n].name, sizeof l->v[l->n].name, "%s%s%s",
             l->label ? l->label : "", l->label ? ":" : "", name);
    l->n++;
    return false; /* all of them */
}

static int sym_cmp(const void *a, const void *b)
{
    const vbr_sym_t *x = a, *y = b;

    return x->start < y->start ? -1 : x->start > y->start ? 1 : 0;
}

int vbr_prof_init(vbr_prof_t *p, const char *const *elf_paths,
                  const char *const *labels, size_t n)
{
    sym_list_t l = {0};

    memset(p, 0, sizeof *p);
    for (size_t i = 0; i < n; i++) {
        if (!elf_paths[i])
            continue;
        l.label = labels ? labels[i] : NULL;
        int rc = elf_walk(elf_paths[i], collect_func, &l);

        /* elf_walk says NOENT when no callback stopped the walk. */
        if (rc != 0 && rc != FOTA_ERR_NOENT) {
            fprintf(stderr, "profile: cannot read the symbols of %s (%d)\n",
                    elf_paths[i], rc);
            free(l.v);
            return rc;
        }
        if (l.nomem) {
            free(l.v);
            return FOTA_ERR_NOMEM;
        }
    }
    if (l.n)
        qsort(l.v, l.n, sizeof l.v[0], sym_cmp);
    p->ns = calloc(l.n + 1, sizeof p->ns[0]);
    if (!p->ns) {
        free(l.v);
        return FOTA_ERR_NOMEM;
    }
    p->syms = l.v;
    p->nsyms = l.n;
    return 0;
}

void vbr_prof_free(vbr_prof_t *p)
{
    free(p->syms);
    free(p->ns);
    memset(p, 0, sizeof *p);
}

void vbr_prof_restart(vbr_prof_t *p, uint64_t now_ns)
{
    memset(p->ns, 0, (p->nsyms + 1) * sizeof p->ns[0]);
    p->total_ns = 0;
    p->last_ns = now_ns;
    p->unknown_pc = 0;
}

/* Index of the symbol holding pc, or nsyms. */
static size_t prof_find(const vbr_prof_t *p, uint32_t pc)
{
    size_t lo = 0, hi = p->nsyms;

    /* The last symbol starting at or below pc. */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (p->syms[mid].start <= pc)
            lo = mid + 1;
        else
            hi = mid;
    }
    /* Symbols may nest or overlap (aliases): look back a few. */
    for (size_t i = lo, k = 0; i > 0 && k < 4; i--, k++)
        if (pc - p->syms[i - 1].start < p->syms[i - 1].size)
            return i - 1;
    return p->nsyms;
}

void vbr_prof_sample(vbr_prof_t *p, uint32_t pc, uint64_t now_ns)
{
    uint64_t dt = now_ns > p->last_ns ? now_ns - p->last_ns : 0;
    size_t i = prof_find(p, pc & ~1u);

    if (i == p->nsyms && p->unknown_pc == 0)
        p->unknown_pc = pc;
    p->ns[i] += dt;
    p->total_ns += dt;
    p->last_ns = now_ns;
}

void vbr_prof_sample_board(vbr_prof_t *p, const vboard_t *b)
{
    vbr_prof_sample(p, vboard_pc(b), vboard_now_ns(b));
}

void vbr_prof_print(const vbr_prof_t *p, FILE *f, const char *title,
                    unsigned top)
{
    bool *shown = calloc(p->nsyms + 1, sizeof *shown);

    fprintf(f, "%s: %.3f ms\n", title, (double)p->total_ns / 1e6);
    if (!shown)
        return;
    for (unsigned k = 0; k < top; k++) {
        size_t best = p->nsyms + 1;

        for (size_t i = 0; i <= p->nsyms; i++)
            if (!shown[i] && p->ns[i] &&
                (best > p->nsyms || p->ns[i] > p->ns[best]))
                best = i;
        if (best > p->nsyms)
            break;
        shown[best] = true;
        if (best == p->nsyms)
            fprintf(f, "  %8.3f ms %5.1f%%  (no symbol, e.g. 0x%08x)\n",
                    (double)p->ns[best] / 1e6,
                    100.0 * (double)p->ns[best] / (double)p->total_ns,
                    (unsigned)p->unknown_pc);
        else
            fprintf(f, "  %8.3f ms %5.1f%%  %s\n", (double)p->ns[best] / 1e6,
                    100.0 * (double)p->ns[best] / (double)p->total_ns,
                    p->syms[best].name);
    }
    free(shown);
}
