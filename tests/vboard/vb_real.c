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
