/*
 * agent_gw_file.h - the gateway's own two image slots (agent_gateway.h) on
 * plain files, for a Linux gateway:
 *
 *   <dir>/slot-a, <dir>/slot-b   the gateway images (opaque to the agent)
 *   <dir>/boot                   the boot record (text, one "key value" a
 *                                line): which slot runs, each slot's
 *                                version, trial state, attempts, the
 *                                version rolled back last
 *
 * "Self-update" installs into the slot that does not run (written as
 * slot-X.tmp, fsync()ed, renamed), then set_boot() makes it the running
 * slot on trial; the next start of the agent reads the boot record and so
 * runs (and proves, or rolls back) the new version. The boot record is
 * replaced atomically (a temporary file, fsync, rename, fsync of the
 * directory), so a crash leaves the old or the new record, never a mix.
 * Without a boot record the gateway is in its factory state: slot a runs
 * factory_version, valid.
 *
 * A start while the image is on trial counts as one attempt here (as
 * ESP-IDF's bootloader counts a reset of an unconfirmed image), so a
 * gateway image that dies before its first cycle is rolled back too:
 * agent_gw_file_open() rolls back instead of starting a trial image that
 * was already started max_attempts times without proving itself.
 */
#ifndef AGENT_GW_FILE_H
#define AGENT_GW_FILE_H

#include <stdbool.h>
#include <stdint.h>

#include "agent_gateway.h"

#define AGENT_GW_FILE_PATH_MAX 512

typedef struct agent_gw_file {
    agent_gw_t base;
    char dir[AGENT_GW_FILE_PATH_MAX];
    uint32_t max_size; /* largest image accepted */
    int fd;            /* slot being written, -1 when none */
    uint32_t written;  /* bytes written to it */
    unsigned active;   /* 0 = a, 1 = b */
    fota_version_t version[2];
    bool has_version[2];
    bool pending;
    uint32_t attempts; /* trial cycles that did not prove the image */
    uint32_t starts;   /* starts of the trial image */
    bool has_rejected;
    fota_version_t rejected;
    bool rolled_back_at_open; /* open() gave up a trial image */
} agent_gw_file_t;

/* Open (creating dir) with the factory version used when no boot record
 * exists; images above max_size bytes get FOTA_ERR_NOSPC. A trial image
 * already started max_attempts times without proof is rolled back here
 * (g->rolled_back_at_open). Returns 0, FOTA_ERR_CORRUPT for a boot record
 * that does not parse (named on stderr), or FOTA_ERR_PLATFORM(errno). */
int agent_gw_file_open(agent_gw_file_t *g, const char *dir,
                       const fota_version_t *factory_version, uint32_t max_size,
                       uint32_t max_attempts);

void agent_gw_file_close(agent_gw_file_t *g);

#endif /* AGENT_GW_FILE_H */
