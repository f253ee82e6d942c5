/*
 * tool_util.c - dispatch, argument parsing, value parsing and file I/O for
 * the fota tool (see tool.h).
 */
#define _POSIX_C_SOURCE 200809L

#include "tool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fota/fota_err.h"

int tool_dispatch(const char *prog, const char *about, const tool_cmd_t *cmds,
                  size_t ncmds, int argc, char **argv)
{
    const char *name = argc > 1 ? argv[1] : NULL;
    bool help = name == NULL || strcmp(name, "--help") == 0 ||
                strcmp(name, "-h") == 0 || strcmp(name, "help") == 0;

    if (!help) {
        for (size_t i = 0; i < ncmds; i++)
            if (strcmp(cmds[i].name, name) == 0)
                return cmds[i].run(argc - 1, argv + 1);
        fprintf(stderr, "%s: unknown command '%s' (try '%s --help')\n", prog,
                name, prog);
        return TOOL_EXIT_USAGE;
    }

    FILE *out = name == NULL ? stderr : stdout;
    fprintf(out, "usage: %s <command> [options]\n\n%s\n\ncommands:\n", prog,
            about);
    for (size_t i = 0; i < ncmds; i++)
        fprintf(out, "  %-10s %s\n", cmds[i].name, cmds[i].summary);
    fprintf(out, "\nRun '%s <command> --help' for a command's options.\n",
            prog);
    return name == NULL ? TOOL_EXIT_USAGE : TOOL_EXIT_OK;
}

static const tool_opt_t *find_long(const tool_opt_t *opts, size_t nopts,
                                   const char *name, size_t len)
{
    for (size_t i = 0; i < nopts; i++)
        if (strlen(opts[i].long_name) == len &&
            strncmp(opts[i].long_name, name, len) == 0)
            return &opts[i];
    return NULL;
}

int tool_parse_args(const char *prog, int argc, char **argv,
                    const tool_opt_t *opts, size_t nopts, const char **pos,
                    size_t max_pos, size_t *npos, bool *help)
{
    bool only_pos = false;

    *npos = 0;
    *help = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const tool_opt_t *o = NULL;
        const char *inline_val = NULL;

        if (only_pos || a[0] != '-' || a[1] == '\0') {
            /* A lone "-" is positional (conventionally stdin/stdout). */
            if (*npos >= max_pos) {
                fprintf(stderr, "%s: unexpected argument '%s'\n", prog, a);
                return TOOL_EXIT_USAGE;
            }
            pos[(*npos)++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            only_pos = true;
            continue;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            *help = true;
            continue;
        }
        if (a[1] == '-') {
            const char *name = a + 2;
            const char *eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            o = find_long(opts, nopts, name, len);
            if (eq != NULL)
                inline_val = eq + 1;
        } else if (a[2] == '\0') {
            for (size_t k = 0; k < nopts; k++)
                if (opts[k].short_name != 0 && opts[k].short_name == a[1])
                    o = &opts[k];
        }
        if (o == NULL) {
            fprintf(stderr, "%s: unknown option '%s'\n", prog, a);
            return TOOL_EXIT_USAGE;
        }
        if (o->value == NULL) {
            if (inline_val != NULL) {
                fprintf(stderr, "%s: option '--%s' takes no value\n", prog,
                        o->long_name);
                return TOOL_EXIT_USAGE;
            }
            *o->flag = true;
            continue;
        }
        if (inline_val == NULL) {
            if (i + 1 >= argc) {
                fprintf(stderr, "%s: option '%s' needs a value\n", prog, a);
                return TOOL_EXIT_USAGE;
            }
            inline_val = argv[++i];
        }
        *o->value = inline_val;
    }
    return 0;
}

int tool_parse_slot(const char *s)
{
    if (s == NULL)
        return -1;
    if (strcmp(s, "a") == 0 || strcmp(s, "A") == 0 || strcmp(s, "0") == 0)
        return 0;
    if (strcmp(s, "b") == 0 || strcmp(s, "B") == 0 || strcmp(s, "1") == 0)
        return 1;
    return -1;
}

const char *tool_slot_name(int slot)
{
    return slot == 0 ? "A" : slot == 1 ? "B" : "?";
}

/* Strict unsigned parse of s[0..) up to end (exclusive) or the NUL.
 * strtoul alone accepts signs, spaces and overflow-wraps on some hosts. */
static int parse_uint(const char *s, const char **end, uint64_t max,
                      uint64_t *out)
{
    uint64_t v = 0;
    int base = 10;
    const char *p = s;
    size_t digits = 0;

    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
    }
    for (;; p++, digits++) {
        int d;
        if (*p >= '0' && *p <= '9')
            d = *p - '0';
        else if (base == 16 && *p >= 'a' && *p <= 'f')
            d = *p - 'a' + 10;
        else if (base == 16 && *p >= 'A' && *p <= 'F')
            d = *p - 'A' + 10;
        else
            break;
        v = v * (uint64_t)base + (uint64_t)d;
        if (v > max)
            return FOTA_ERR_RANGE;
    }
    if (digits == 0)
        return FOTA_ERR_INVAL;
    *end = p;
    *out = v;
    return 0;
}

int tool_parse_u32(const char *s, uint32_t *out)
{
    const char *end;
    uint64_t v;

    if (s == NULL || parse_uint(s, &end, UINT32_MAX, &v) != 0 || *end != '\0')
        return FOTA_ERR_INVAL;
    *out = (uint32_t)v;
    return 0;
}

int tool_parse_version(const char *s, fota_version_t *v)
{
    static const uint64_t max[4] = {255, 255, 65535, UINT32_MAX};
    static const char sep[4] = {'.', '.', '+', '\0'};
    uint64_t part[4] = {0, 0, 0, 0};
    const char *p = s;

    if (s == NULL)
        return FOTA_ERR_INVAL;
    for (int i = 0; i < 4; i++) {
        const char *end;
        /* Plain decimal only: "0x1.2.3" is almost certainly a mistake. */
        if (*p < '0' || *p > '9' ||
            (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')))
            return FOTA_ERR_INVAL;
        if (parse_uint(p, &end, max[i], &part[i]) != 0)
            return FOTA_ERR_INVAL;
        p = end;
        if (i == 2 && *p == '\0')
            break; /* no +build */
        if (*p != sep[i])
            return FOTA_ERR_INVAL;
        if (i < 3)
            p++;
    }
    v->major = (uint8_t)part[0];
    v->minor = (uint8_t)part[1];
    v->patch = (uint16_t)part[2];
    v->build = (uint32_t)part[3];
    return 0;
}

void tool_format_version(const fota_version_t *v, char *buf, size_t len)
{
    if (v->build != 0)
        snprintf(buf, len, "%u.%u.%u+%lu", (unsigned)v->major,
                 (unsigned)v->minor, (unsigned)v->patch,
                 (unsigned long)v->build);
    else
        snprintf(buf, len, "%u.%u.%u", (unsigned)v->major, (unsigned)v->minor,
                 (unsigned)v->patch);
}

int tool_read_file(const char *path, uint8_t **data, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t cap = 0, n = 0;
    int rc = 0;

    *data = NULL;
    *len = 0;
    if (f == NULL) {
        fprintf(stderr, "cannot open '%s': %s\n", path, strerror(errno));
        return FOTA_ERR_NOENT;
    }
    /* Read in growing chunks rather than trusting a size from fseek/ftell,
     * so pipes and special files work too. */
    for (;;) {
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 65536;
            uint8_t *nb = realloc(buf, ncap);
            if (nb == NULL) {
                rc = FOTA_ERR_NOMEM;
                fprintf(stderr, "out of memory reading '%s'\n", path);
                goto out;
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        fprintf(stderr, "cannot read '%s': %s\n", path, strerror(errno));
        rc = FOTA_ERR_IO;
        goto out;
    }
    *data = buf;
    *len = n;
    buf = NULL;
out:
    free(buf);
    fclose(f);
    return rc;
}

int tool_write_file(const char *path, const uint8_t *data, size_t len)
{
    size_t tlen = strlen(path) + 8;
    char *tmp = malloc(tlen);
    FILE *f = NULL;
    int rc = 0;

    if (tmp == NULL)
        return FOTA_ERR_NOMEM;
    snprintf(tmp, tlen, "%s.tmp~", path);
    f = fopen(tmp, "wb");
    if (f == NULL) {
        fprintf(stderr, "cannot create '%s': %s\n", tmp, strerror(errno));
        rc = FOTA_ERR_IO;
        goto out;
    }
    if (fwrite(data, 1, len, f) != len || fflush(f) != 0) {
        fprintf(stderr, "cannot write '%s': %s\n", tmp, strerror(errno));
        rc = FOTA_ERR_IO;
        goto out;
    }
    if (fclose(f) != 0) {
        f = NULL;
        fprintf(stderr, "cannot write '%s': %s\n", tmp, strerror(errno));
        rc = FOTA_ERR_IO;
        goto out;
    }
    f = NULL;
    if (rename(tmp, path) != 0) {
        fprintf(stderr, "cannot rename '%s' to '%s': %s\n", tmp, path,
                strerror(errno));
        rc = FOTA_ERR_IO;
        goto out;
    }
out:
    if (f != NULL)
        fclose(f);
    if (rc != 0)
        remove(tmp);
    free(tmp);
    return rc;
}
