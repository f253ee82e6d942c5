/*
 * bench_flash_update.c - how close a full image update over SPI comes to
 * the flash's own limit.
 *
 * A 256 KiB image (header + body) is written into the inactive slot by the
 * real agent client through the simulated wire to the real bootloader
 * engine on the flash model (TYPICAL datasheet timings), at 8 MHz SCK with
 * 10 us of agent overhead per SPI transaction. Simulated time from the
 * start of the erase to a matching Get Checksum (commit excluded) is
 * compared with the flash's own minimum: the erase time of the sectors the
 * image needs plus the programming time of its words, both from the
 * model's timing functions. Deterministic: no wall clock is involved.
 *
 * Prints, for the streaming path and the standard Write Memory path:
 *   flash_update: bytes=262144 sim_s=<t> limit_s=<l> ratio=<r> path=<p>
 * Exit status 1 if an update fails.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_proto.h"
#include "fota/fota_layout.h"
#include "sim_flash.h"
#include "sim_image.h"
#include "sim_wire.h"

#define IMAGE_BYTES (256u * 1024u)

typedef struct bench {
    sim_flash_t flash;
    sim_wire_t wire;
    agent_proto_t agent;
    uint8_t img_a[FOTA_IMAGE_HDR_SIZE + 4096];
    uint8_t img[IMAGE_BYTES];
    uint64_t t_erase_ns;
    uint64_t t_verified_ns;
} bench_t;

static int bench_read(void *ctx, uint32_t off, void *buf, size_t len)
{
    bench_t *b = ctx;

    memcpy(buf, b->img + off, len);
    return 0;
}

static void bench_progress(void *ctx, int phase, uint32_t done, uint32_t total)
{
    bench_t *b = ctx;

    (void)done;
    (void)total;
    if (phase == AGENT_PHASE_ERASE)
        b->t_erase_ns = b->flash.now_ns;
    else if (phase == AGENT_PHASE_VERIFIED)
        b->t_verified_ns = b->flash.now_ns;
}

static int bench_run(bool write_memory, const char *path)
{
    bench_t *b = calloc(1, sizeof(*b));
    agent_flash_req_t req;
    uint64_t limit_ns = 0;
    int n, rc = 1;

    if (!b)
        return 1;
    sim_flash_init(&b->flash, SIM_FLASH_TYPICAL);
    n = sim_image_build(b->img_a, sizeof(b->img_a), 0, 1, 0, 1, 4096, 1);
    if (n < 0 || sim_image_install(&b->flash, 0, b->img_a, (size_t)n) < 0)
        goto out;
    /* The update goes to slot B (the factory boot confirms slot A). */
    n = sim_image_build(b->img, sizeof(b->img), 1, 2, 0, 1,
                        IMAGE_BYTES - FOTA_IMAGE_HDR_SIZE, 2);
    if (n != (int)IMAGE_BYTES)
        goto out;
    sim_wire_init(&b->wire, &b->flash, NULL); /* 8 MHz, 10 us */
    agent_proto_init(&b->agent, &b->wire.spi, &b->wire.gpio, &b->wire.clock,
                     NULL, NULL);

    memset(&req, 0, sizeof(req));
    req.read = bench_read;
    req.read_ctx = b;
    req.len = IMAGE_BYTES;
    req.use_write_memory = write_memory;
    req.progress = bench_progress;
    req.progress_ctx = b;
    rc = agent_proto_flash_image(&b->agent, &req);
    if (rc != 0) {
        fprintf(stderr, "flash_update: path=%s failed: %d\n", path, rc);
        rc = 1;
        goto out;
    }

    /* The flash's own minimum: erase of the covered sectors plus one
     * program time per word. */
    for (unsigned s = FOTA_SLOT_B_FIRST_SECTOR;
         s < FOTA_FLASH_SECTORS &&
         (uint32_t)FOTA_SECTOR_ADDR(s) < FOTA_SLOT_B_ADDR + IMAGE_BYTES;
         s++)
        limit_ns += sim_flash_erase_ns(&b->flash, s);
    limit_ns += (uint64_t)(IMAGE_BYTES / 4) * sim_flash_prog_word_ns(&b->flash);

    double sim_s = (double)(b->t_verified_ns - b->t_erase_ns) / 1e9;
    double limit_s = (double)limit_ns / 1e9;
    printf(
        "flash_update: bytes=%u sim_s=%.4f limit_s=%.4f ratio=%.4f path=%s\n",
        IMAGE_BYTES, sim_s, limit_s, sim_s / limit_s, path);
    fflush(stdout);
    fprintf(
        stderr,
        "  (%s: %llu SPI bytes, %llu transactions, %u NACKs, %u timeouts)\n",
        path, (unsigned long long)b->wire.bytes,
        (unsigned long long)b->wire.xfers, b->agent.stats.nacks,
        b->agent.stats.timeouts);
    rc = 0;
out:
    free(b);
    return rc;
}

int main(void)
{
    int rc = 0;

    rc |= bench_run(false, "stream");
    rc |= bench_run(true, "write_memory");
    return rc;
}
