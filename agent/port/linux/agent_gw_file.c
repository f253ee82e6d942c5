/*
 * agent_gw_file.c - file-backed gateway slots (see agent_gw_file.h).
 */
#define _GNU_SOURCE
#include "agent_gw_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent_manifest.h"
#include "agent_storage_file.h"
#include "fota/fota_err.h"

#define GW_RECORD_MAGIC "fota-gateway-boot 1"

static agent_gw_file_t *gf(agent_gw_t *self)
{
    return AGENT_CONTAINER_OF(self, agent_gw_file_t, base);
}

static int gw_path(const agent_gw_file_t *g, char *out, size_t len,
                   const char *name)
{
    int n = snprintf(out, len, "%s/%s", g->dir, name);

    return n < 0 || (size_t)n >= len ? FOTA_ERR_NOMEM : 0;
}

static void fmt_version(const fota_version_t *v, char *out, size_t len)
{
    if (v->build)
        snprintf(out, len, "%u.%u.%u+%lu", v->major, v->minor, v->patch,
                 (unsigned long)v->build);
    else
        snprintf(out, len, "%u.%u.%u", v->major, v->minor, v->patch);
}

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = 0;

    if (fd < 0)
        return FOTA_ERR_PLATFORM(errno);
    if (fsync(fd) < 0)
        rc = FOTA_ERR_PLATFORM(errno);
    close(fd);
    return rc;
}

/* Write the record to boot.tmp, fsync, rename over boot, fsync the dir. */
static int rec_save(agent_gw_file_t *g)
{
    char path[AGENT_GW_FILE_PATH_MAX + 16], tmp[AGENT_GW_FILE_PATH_MAX + 16];
    char v[2][40], rej[40];
    FILE *f;
    int rc;

    if (gw_path(g, path, sizeof(path), "boot") < 0 ||
        gw_path(g, tmp, sizeof(tmp), "boot.tmp") < 0)
        return FOTA_ERR_NOMEM;
    for (int s = 0; s < 2; s++) {
        if (g->has_version[s])
            fmt_version(&g->version[s], v[s], sizeof(v[s]));
        else
            snprintf(v[s], sizeof(v[s]), "-");
    }
    if (g->has_rejected)
        fmt_version(&g->rejected, rej, sizeof(rej));
    else
        snprintf(rej, sizeof(rej), "-");
    f = fopen(tmp, "we");
    if (!f)
        return FOTA_ERR_PLATFORM(errno);
    fprintf(f,
            GW_RECORD_MAGIC "\nactive %c\nversion-a %s\nversion-b %s\n"
                            "pending %d\nattempts %lu\nstarts %lu\n"
                            "rejected %s\n",
            "ab"[g->active], v[0], v[1], g -> pending ? 1 : 0,
            (unsigned long)g -> attempts, (unsigned long)g -> starts, rej);
    if (fflush(f) != 0 || fsync(fileno(f)) < 0) {
        rc = FOTA_ERR_PLATFORM(errno);
        fclose(f);
        return rc;
    }
    if (fclose(f) != 0 || rename(tmp, path) < 0)
        return FOTA_ERR_PLATFORM(errno);
    return fsync_dir(g->dir);
}

static int parse_u32(const char *s, uint32_t *out)
{
    char *end;
    unsigned long v;

    if (s[0] < '0' || s[0] > '9')
        return -1;
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno || *end || v > UINT32_MAX)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

static int parse_ver(const char *s, fota_version_t *v, bool *has)
{
    if (strcmp(s, "-") == 0) {
        *has = false;
        return 0;
    }
    *has = true;
    return agent_manifest_parse_version(s, v);
}

/* Read <dir>/boot. Returns 0, FOTA_ERR_NOENT when absent, or
 * FOTA_ERR_CORRUPT naming the line on stderr. */
static int rec_load(agent_gw_file_t *g)
{
    char path[AGENT_GW_FILE_PATH_MAX + 16], line[128];
    unsigned seen = 0, lineno = 0;
    FILE *f;

    if (gw_path(g, path, sizeof(path), "boot") < 0)
        return FOTA_ERR_NOMEM;
    f = fopen(path, "re");
    if (!f)
        return errno == ENOENT ? FOTA_ERR_NOENT : FOTA_ERR_PLATFORM(errno);
    while (fgets(line, sizeof(line), f)) {
        char *val;
        uint32_t n = 0;
        int bad = 0;

        lineno++;
        line[strcspn(line, "\n")] = '\0';
        if (lineno == 1) {
            if (strcmp(line, GW_RECORD_MAGIC) != 0)
                goto corrupt;
            continue;
        }
        val = strchr(line, ' ');
        if (!val)
            goto corrupt;
        *val++ = '\0';
        if (strcmp(line, "active") == 0) {
            bad = strcmp(val, "a") != 0 && strcmp(val, "b") != 0;
            g->active = val[0] == 'b';
            seen |= 1;
        } else if (strcmp(line, "version-a") == 0) {
            bad = parse_ver(val, &g->version[0], &g->has_version[0]);
            seen |= 2;
        } else if (strcmp(line, "version-b") == 0) {
            bad = parse_ver(val, &g->version[1], &g->has_version[1]);
            seen |= 4;
        } else if (strcmp(line, "pending") == 0) {
            bad = parse_u32(val, &n) || n > 1;
            g->pending = n == 1;
            seen |= 8;
        } else if (strcmp(line, "attempts") == 0) {
            bad = parse_u32(val, &g->attempts);
        } else if (strcmp(line, "starts") == 0) {
            bad = parse_u32(val, &g->starts);
        } else if (strcmp(line, "rejected") == 0) {
            bad = parse_ver(val, &g->rejected, &g->has_rejected);
        } /* other keys: written by a newer agent, ignored */
        if (bad)
            goto corrupt;
    }
    fclose(f);
    if (seen != 15 || !g->has_version[g->active]) {
        fprintf(stderr,
                "gateway: %s: incomplete boot record (active, version-a, "
                "version-b, pending needed; the active slot needs a version)\n",
                path);
        return FOTA_ERR_CORRUPT;
    }
    return 0;
corrupt:
    fprintf(stderr, "gateway: %s line %u: not a boot record line\n", path,
            lineno);
    fclose(f);
    return FOTA_ERR_CORRUPT;
}

/* Back to the other slot; the running trial version is rejected. */
static int do_rollback(agent_gw_file_t *g)
{
    g->has_rejected = true;
    g->rejected = g->version[g->active];
    g->active ^= 1u;
    g->pending = false;
    g->attempts = 0;
    g->starts = 0;
    return rec_save(g);
}

static int gf_info(agent_gw_t *self, agent_gw_info_t *out)
{
    agent_gw_file_t *g = gf(self);

    memset(out, 0, sizeof(*out));
    out->running = g->version[g->active];
    out->pending_verify = g->pending;
    out->attempts = g->attempts;
    out->has_rejected = g->has_rejected;
    out->rejected = g->rejected;
    return 0;
}

static int gf_begin(agent_gw_t *self, uint32_t size)
{
    agent_gw_file_t *g = gf(self);
    char tmp[AGENT_GW_FILE_PATH_MAX + 16];

    if (size > g->max_size)
        return FOTA_ERR_NOSPC;
    if (g->fd >= 0)
        close(g->fd);
    if (gw_path(g, tmp, sizeof(tmp), g->active ? "slot-a.tmp" : "slot-b.tmp") <
        0)
        return FOTA_ERR_NOMEM;
    g->written = 0;
    g->fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    return g->fd < 0 ? FOTA_ERR_PLATFORM(errno) : 0;
}

static int gf_write(agent_gw_t *self, const void *buf, size_t len)
{
    agent_gw_file_t *g = gf(self);
    int rc;

    if (g->fd < 0 || len > g->max_size - g->written)
        return g->fd < 0 ? FOTA_ERR_INVAL : FOTA_ERR_NOSPC;
    rc = agent_storage_file_pwrite(g->fd, g->written, buf, len);
    if (rc == 0)
        g->written += (uint32_t)len;
    return rc;
}

static int gf_finish(agent_gw_t *self)
{
    agent_gw_file_t *g = gf(self);
    char tmp[AGENT_GW_FILE_PATH_MAX + 16], path[AGENT_GW_FILE_PATH_MAX + 16];
    const char *name = g->active ? "slot-a" : "slot-b";
    int rc = 0;

    if (g->fd < 0)
        return FOTA_ERR_INVAL;
    if (fsync(g->fd) < 0)
        rc = FOTA_ERR_PLATFORM(errno);
    close(g->fd);
    g->fd = -1;
    if (rc < 0)
        return rc;
    if (gw_path(g, path, sizeof(path), name) < 0 ||
        snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
        return FOTA_ERR_NOMEM;
    if (rename(tmp, path) < 0)
        return FOTA_ERR_PLATFORM(errno);
    return fsync_dir(g->dir);
}

static void gf_abort(agent_gw_t *self)
{
    agent_gw_file_t *g = gf(self);
    char tmp[AGENT_GW_FILE_PATH_MAX + 16];

    if (g->fd >= 0)
        close(g->fd);
    g->fd = -1;
    if (gw_path(g, tmp, sizeof(tmp), g->active ? "slot-a.tmp" : "slot-b.tmp") ==
        0)
        (void)unlink(tmp);
}

static int gf_set_boot(agent_gw_t *self, const fota_version_t *v)
{
    agent_gw_file_t *g = gf(self);
    unsigned other = g->active ^ 1u;

    g->version[other] = *v;
    g->has_version[other] = true;
    g->active = other;
    g->pending = true;
    g->attempts = 0;
    g->starts = 0;
    return rec_save(g);
}

static int gf_mark_valid(agent_gw_t *self)
{
    agent_gw_file_t *g = gf(self);

    g->pending = false;
    g->attempts = 0;
    g->starts = 0;
    return rec_save(g);
}

static int gf_note_attempt(agent_gw_t *self)
{
    agent_gw_file_t *g = gf(self);

    g->attempts++;
    return rec_save(g);
}

static int gf_rollback(agent_gw_t *self)
{
    return do_rollback(gf(self));
}

static int gf_reboot(agent_gw_t *self)
{
    (void)self; /* the caller restarts the process (agent_gateway_t.restart) */
    return 0;
}

static const agent_gw_ops_t s_ops = {
    gf_info,     gf_begin,      gf_write,        gf_finish,   gf_abort,
    gf_set_boot, gf_mark_valid, gf_note_attempt, gf_rollback, gf_reboot,
};

int agent_gw_file_open(agent_gw_file_t *g, const char *dir,
                       const fota_version_t *factory_version, uint32_t max_size,
                       uint32_t max_attempts)
{
    int rc;

    memset(g, 0, sizeof(*g));
    g->base.ops = &s_ops;
    g->fd = -1;
    g->max_size = max_size;
    if (snprintf(g->dir, sizeof(g->dir), "%s", dir) >= (int)sizeof(g->dir))
        return FOTA_ERR_NOMEM;
    if (mkdir(dir, 0755) < 0 && errno != EEXIST)
        return FOTA_ERR_PLATFORM(errno);
    rc = rec_load(g);
    if (rc == FOTA_ERR_NOENT) {
        memset(g->version, 0, sizeof(g->version));
        g->active = 0;
        g->version[0] = *factory_version;
        g->has_version[0] = true;
        return rec_save(g);
    }
    if (rc < 0)
        return rc;
    if (g->pending) {
        if (g->starts >= max_attempts) {
            g->rolled_back_at_open = true;
            return do_rollback(g);
        }
        g->starts++;
        return rec_save(g);
    }
    return 0;
}

void agent_gw_file_close(agent_gw_file_t *g)
{
    if (g->fd >= 0)
        gf_abort(&g->base);
}
