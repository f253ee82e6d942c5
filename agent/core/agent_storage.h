/*
 * agent_storage.h - the storage port: where the update agent stages a
 * downloaded image and keeps its progress record.
 *
 * Same shape as the ports in agent_port.h (const ops table + `self`, get
 * back to the platform state with AGENT_CONTAINER_OF). Two concerns live
 * behind one instance:
 *
 *  - the staging area: size() bytes addressed from 0, with flash
 *    semantics (ESP32 partition, Linux file, RAM in tests): write() only
 *    onto bytes erased since they were last written, erase() in whole
 *    erase_unit() blocks. The core erases before it writes and keeps every
 *    checkpoint on an erase-unit boundary, so a resumed download re-erases
 *    from the checkpoint and never writes over unerased bytes.
 *
 *  - the progress record: two copies (0 and 1) of AGENT_STORAGE_REC_SIZE
 *    bytes each, kept apart from the staging area (an ESP32 NVS blob, two
 *    small files, two flash sectors). The core writes the copies
 *    alternately, each with a sequence number and a CRC, so a write torn by
 *    a power cut only ever damages the older copy; the port needs no
 *    atomicity of its own, only durability when rec_write() returns.
 *
 * Ordering (power safety): the core calls sync() after writing staged data
 * and only then writes a record that counts those bytes, so a record never
 * claims bytes that are not durable.
 *
 * All functions return 0 or a negative FOTA_ERR_* (platform codes as
 * FOTA_ERR_PLATFORM()); out-of-range offsets give FOTA_ERR_RANGE.
 */
#ifndef AGENT_STORAGE_H
#define AGENT_STORAGE_H

#include <stddef.h>
#include <stdint.h>

#include "agent_port.h"

/* Size of one progress-record copy (bytes). */
#define AGENT_STORAGE_REC_SIZE 512

struct agent_storage;

typedef struct agent_storage_ops {
    /* Bytes in the staging area. */
    uint32_t (*size)(struct agent_storage *self);
    /* Erase granularity of the staging area (a power of two, >= 4). */
    uint32_t (*erase_unit)(struct agent_storage *self);
    /* Read len bytes of the staging area at off. */
    int (*read)(struct agent_storage *self, uint32_t off, void *buf,
                size_t len);
    /* Write len bytes at off (onto erased bytes only; not yet durable). */
    int (*write)(struct agent_storage *self, uint32_t off, const void *buf,
                 size_t len);
    /* Erase [off, off + len): both multiples of erase_unit(). */
    int (*erase)(struct agent_storage *self, uint32_t off, uint32_t len);
    /* Make every staging write so far durable (fsync, cache flush). */
    int (*sync)(struct agent_storage *self);
    /* Read record copy `copy` (0/1) into buf (AGENT_STORAGE_REC_SIZE
     * bytes). A copy never written reads as anything (the core's CRC
     * rejects it) or returns FOTA_ERR_NOENT. */
    int (*rec_read)(struct agent_storage *self, unsigned copy, void *buf,
                    size_t len);
    /* Write record copy `copy`; durable when it returns 0. */
    int (*rec_write)(struct agent_storage *self, unsigned copy, const void *buf,
                     size_t len);
} agent_storage_ops_t;

typedef struct agent_storage {
    const agent_storage_ops_t *ops;
} agent_storage_t;

#endif /* AGENT_STORAGE_H */
