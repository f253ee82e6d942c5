/*
 * agent_storage_file.c - file-backed storage port (see agent_storage_file.h).
 */
#define _GNU_SOURCE
#include "agent_storage_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fota/fota_err.h"

#define SF_UNIT 4096u

static agent_storage_file_t *sf(agent_storage_t *self)
{
    return AGENT_CONTAINER_OF(self, agent_storage_file_t, base);
}

static uint32_t sf_size(agent_storage_t *self)
{
    return sf(self)->size;
}

static uint32_t sf_unit(agent_storage_t *self)
{
    return sf(self)->unit;
}

static int sf_check(agent_storage_file_t *s, uint32_t off, size_t len)
{
    return off > s->size || len > (size_t)(s->size - off) ? FOTA_ERR_RANGE : 0;
}

static int sf_pread(int fd, uint32_t off, void *buf, size_t len)
{
    size_t done = 0;

    while (done < len) {
        ssize_t n =
            pread(fd, (char *)buf + done, len - done, (off_t)off + (off_t)done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return FOTA_ERR_PLATFORM(errno);
        if (n == 0) {
            /* Past the end of a short file: erased. */
            memset((char *)buf + done, 0xFF, len - done);
            break;
        }
        done += (size_t)n;
    }
    return 0;
}

int agent_storage_file_pwrite(int fd, uint32_t off, const void *buf, size_t len)
{
    size_t done = 0;

    while (done < len) {
        ssize_t n = pwrite(fd, (const char *)buf + done, len - done,
                           (off_t)off + (off_t)done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return FOTA_ERR_PLATFORM(errno);
        done += (size_t)n;
    }
    return 0;
}

static int sf_read(agent_storage_t *self, uint32_t off, void *buf, size_t len)
{
    agent_storage_file_t *s = sf(self);
    int rc = sf_check(s, off, len);

    return rc < 0 ? rc : sf_pread(s->data_fd, off, buf, len);
}

static int sf_write(agent_storage_t *self, uint32_t off, const void *buf,
                    size_t len)
{
    agent_storage_file_t *s = sf(self);
    int rc = sf_check(s, off, len);

    return rc < 0 ? rc : agent_storage_file_pwrite(s->data_fd, off, buf, len);
}

static int sf_erase(agent_storage_t *self, uint32_t off, uint32_t len)
{
    agent_storage_file_t *s = sf(self);
    uint8_t ff[SF_UNIT];
    int rc = sf_check(s, off, len);

    if (rc < 0)
        return rc;
    if (off % s->unit || len % s->unit)
        return FOTA_ERR_INVAL;
    memset(ff, 0xFF, sizeof(ff));
    for (uint32_t o = off; o < off + len; o += SF_UNIT) {
        rc = agent_storage_file_pwrite(s->data_fd, o, ff, SF_UNIT);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int sf_sync(agent_storage_t *self)
{
    return fdatasync(sf(self)->data_fd) < 0 ? FOTA_ERR_PLATFORM(errno) : 0;
}

static int sf_rec_read(agent_storage_t *self, unsigned copy, void *buf,
                       size_t len)
{
    agent_storage_file_t *s = sf(self);
    struct stat st;

    if (copy > 1)
        return FOTA_ERR_INVAL;
    if (fstat(s->rec_fd[copy], &st) < 0)
        return FOTA_ERR_PLATFORM(errno);
    if (st.st_size < (off_t)len)
        return FOTA_ERR_NOENT;
    return sf_pread(s->rec_fd[copy], 0, buf, len);
}

static int sf_rec_write(agent_storage_t *self, unsigned copy, const void *buf,
                        size_t len)
{
    agent_storage_file_t *s = sf(self);
    int rc;

    if (copy > 1)
        return FOTA_ERR_INVAL;
    rc = agent_storage_file_pwrite(s->rec_fd[copy], 0, buf, len);
    if (rc < 0)
        return rc;
    return fsync(s->rec_fd[copy]) < 0 ? FOTA_ERR_PLATFORM(errno) : 0;
}

static const agent_storage_ops_t s_ops = {
    sf_size,  sf_unit, sf_read,     sf_write,
    sf_erase, sf_sync, sf_rec_read, sf_rec_write,
};

static int sf_open_file(const char *dir, const char *name, int *fd)
{
    char path[PATH_MAX];

    if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
        sizeof(path))
        return FOTA_ERR_NOMEM;
    *fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    return *fd < 0 ? FOTA_ERR_PLATFORM(errno) : 0;
}

int agent_storage_file_open(agent_storage_file_t *s, const char *dir,
                            uint32_t size)
{
    int rc;

    memset(s, 0, sizeof(*s));
    s->data_fd = s->rec_fd[0] = s->rec_fd[1] = -1;
    if (!size || size % SF_UNIT)
        return FOTA_ERR_INVAL;
    s->base.ops = &s_ops;
    s->size = size;
    s->unit = SF_UNIT;
    rc = sf_open_file(dir, "staging.img", &s->data_fd);
    /* One agent per state directory: a second one (a timer firing while
     * a manual run is going, a process that was thought dead) would
     * interleave its staging writes and records with ours. The kernel
     * drops the lock when the holder dies, even by SIGKILL. */
    if (rc == 0 && flock(s->data_fd, LOCK_EX | LOCK_NB) < 0)
        rc = errno == EWOULDBLOCK ? FOTA_ERR_BUSY : FOTA_ERR_PLATFORM(errno);
    if (rc == 0)
        rc = sf_open_file(dir, "progress.0", &s->rec_fd[0]);
    if (rc == 0)
        rc = sf_open_file(dir, "progress.1", &s->rec_fd[1]);
    if (rc < 0)
        agent_storage_file_close(s);
    return rc;
}

void agent_storage_file_close(agent_storage_file_t *s)
{
    if (s->data_fd >= 0)
        close(s->data_fd);
    for (int i = 0; i < 2; i++)
        if (s->rec_fd[i] >= 0)
            close(s->rec_fd[i]);
    s->data_fd = s->rec_fd[0] = s->rec_fd[1] = -1;
}
