/*
 * agent_storage_file.h - the agent's storage port (agent_storage.h) on
 * plain files in a state directory, for Linux hosts:
 *
 *   <dir>/staging.img   the staging area (size given at open, erased = 0xFF)
 *   <dir>/progress.0    progress record copy 0 (AGENT_STORAGE_REC_SIZE)
 *   <dir>/progress.1    progress record copy 1
 *
 * sync() is fdatasync() of the staging file; rec_write() writes a copy and
 * fsync()s it before returning, so the core's order (data, sync, record)
 * holds across a crash of the process or of the machine. Only one process
 * at a time may use a state directory (exclusive flock on staging.img).
 */
#ifndef AGENT_STORAGE_FILE_H
#define AGENT_STORAGE_FILE_H

#include <stdint.h>

#include "agent_storage.h"

typedef struct agent_storage_file {
    agent_storage_t base;
    int data_fd;
    int rec_fd[2];
    uint32_t size;
    uint32_t unit;
} agent_storage_file_t;

/* Open (creating) the files in dir (which must exist) with a staging area
 * of size bytes (a multiple of 4096), and take an exclusive lock on the
 * directory's staging file (flock, released on close or when the process
 * dies). Returns 0, FOTA_ERR_BUSY when another process holds the state
 * directory, or FOTA_ERR_PLATFORM(errno). */
int agent_storage_file_open(agent_storage_file_t *s, const char *dir,
                            uint32_t size);

void agent_storage_file_close(agent_storage_file_t *s);

/* pwrite() all len bytes at off (retried on EINTR and short writes).
 * Returns 0 or FOTA_ERR_PLATFORM(errno). */
int agent_storage_file_pwrite(int fd, uint32_t off, const void *buf,
                              size_t len);

#endif /* AGENT_STORAGE_FILE_H */
