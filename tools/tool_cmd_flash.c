/*
 * tool_cmd_flash.c - `fota flash`: write an image into the target's
 * inactive slot, verify it with Get Checksum, commit and reboot, through
 * the agent core's protocol client (agent_proto_flash_image), on either
 *   - real hardware: a Linux SPI master (spidev) with NRST and the CS strap
 *     on GPIO lines (libgpiod), e.g. a Raspberry Pi wired to a Discovery
 *     board (docs/hardware.md), or
 *   - the simulated target: the bootloader core and command engine on the
 *     strict flash model behind the simulated wire, with its modelled
 *     application, persisted in a file: the same target `fota agent` opens
 *     (agent/port/sim/agent_sim_target.h), so the two can take turns.
 * Both run exactly the same client code; only the three ports differ.
 */
#define _DEFAULT_SOURCE

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent_proto.h"
#include "fota/fota_crc32.h"
#include "fota/fota_err.h"
#include "fota/fota_layout.h"
#include "tool.h"
#include "tool_json.h"
#include "tool_target.h"

#define FLASH_MAX_IMAGES 2

static void usage(FILE *f)
{
    fprintf(
        f,
        "usage: fota flash <image> [<image>] --target "
        "sim:<flash-file>|board:<socket>\n"
        "       fota flash <image> [<image>] --spi /dev/spidevB.C --nrst "
        "CHIP:LINE\n"
        "                  --cs-gpio CHIP:LINE [--boot0 CHIP:LINE] [--hz N] "
        "[--no-cs]\n"
        "\n"
        "Write an image into the target's inactive slot over the SPI "
        "bootloader\n"
        "protocol: enter update mode (a running application that links "
        "the\n"
        "application library is asked to reset into it; only when nothing\n"
        "answers is NRST pulsed with CS held low, the update-mode strap),\n"
        "erase the sectors the image needs, stream it, compare Get Checksum "
        "with\n"
        "the image's CRC, commit it and reboot the target into its trial "
        "boot.\n"
        "Give both builds of a release (slot-a.img and slot-b.img) to let the\n"
        "tool pick the one linked for whichever slot is inactive.\n"
        "\n"
        "      --write-memory      use standard Write Memory (256-byte "
        "blocks)\n"
        "                          instead of the streaming extension\n"
        "      --no-reboot         leave the target in update mode after "
        "commit\n"
        "      --nrst-reset        always enter update mode by an NRST "
        "pulse with\n"
        "                          CS held, even when an application "
        "answers\n"
        "                          (checks the NRST wiring)\n"
        "      --json              print one JSON object (outcome, slot, "
        "version,\n"
        "                          bytes, rebooted, target_resets, error) "
        "instead of\n"
        "                          the figure line\n"
        "  -v, --verbose           log every protocol retry and resync\n"
        "  -h, --help              this help\n"
        "target:\n");
    tool_target_usage(f);
}

/* ---- progress, image source ---- */

typedef struct image {
    const char *path;
    uint8_t *data;
    size_t len;
    fota_image_hdr_t hdr;
    int slot; /* slot the header is linked for */
} image_t;

static int image_read(void *ctx, uint32_t off, void *buf, size_t len)
{
    const image_t *img = ctx;

    if ((size_t)off > img->len || len > img->len - off)
        return FOTA_ERR_RANGE;
    memcpy(buf, img->data + off, len);
    return 0;
}

static void progress(void *ctx, int phase, uint32_t done, uint32_t total)
{
    uint32_t *last_pct = ctx;
    uint32_t pct;

    switch (phase) {
    case AGENT_PHASE_ERASE:
        fprintf(stderr, "fota flash: erasing\n");
        break;
    case AGENT_PHASE_WRITE:
        pct = total ? (uint32_t)((uint64_t)done * 100u / total) : 100u;
        /* A line per 10 %: readable in logs and on a terminal alike. */
        if (pct / 10u != *last_pct / 10u || done == total) {
            fprintf(stderr, "fota flash: writing %3u%% (%u/%u bytes)\n",
                    (unsigned)pct, (unsigned)done, (unsigned)total);
            *last_pct = pct;
        }
        break;
    case AGENT_PHASE_VERIFY:
        fprintf(stderr, "fota flash: verifying (Get Checksum)\n");
        break;
    case AGENT_PHASE_COMMIT:
        fprintf(stderr, "fota flash: committing\n");
        break;
    default:
        break;
    }
}

static double wall_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int load_image(image_t *img, const char *path)
{
    int rc;

    memset(img, 0, sizeof *img);
    img->path = path;
    img->slot = -1;
    rc = tool_read_file(path, &img->data, &img->len);
    if (rc < 0)
        return rc;
    if (img->len < FOTA_IMAGE_HDR_SIZE ||
        fota_image_hdr_decode(&img->hdr, img->data) < 0) {
        fprintf(stderr, "fota flash: %s: not an image (no valid header)\n",
                path);
        return FOTA_ERR_CORRUPT;
    }
    if (fota_image_check_slot(&img->hdr, 0) == 0)
        img->slot = 0;
    else if (fota_image_check_slot(&img->hdr, 1) == 0)
        img->slot = 1;
    if (img->slot < 0 ||
        img->len != (size_t)FOTA_IMAGE_HDR_SIZE + img->hdr.body_size) {
        fprintf(stderr,
                "fota flash: %s: header does not fit a slot or the "
                "file size\n",
                path);
        return FOTA_ERR_CORRUPT;
    }
    return 0;
}

/* The one JSON object of --json: what happened, whatever the outcome. */
static void print_json(const char *outcome, const image_t *img, int slot,
                       uint32_t resets, bool rebooted, int rc)
{
    tool_json_t j;
    char ver[32];

    tool_json_init(&j, stdout);
    tool_json_begin_obj(&j, NULL);
    tool_json_str(&j, "outcome", outcome);
    if (slot == 0 || slot == 1)
        tool_json_str(&j, "slot", tool_slot_name(slot));
    else
        tool_json_null(&j, "slot");
    if (img != NULL) {
        tool_format_version(&img->hdr.version, ver, sizeof ver);
        tool_json_str(&j, "image", img->path);
        tool_json_str(&j, "version", ver);
        tool_json_uint(&j, "bytes", img->len);
    } else {
        tool_json_null(&j, "image");
        tool_json_null(&j, "version");
        tool_json_uint(&j, "bytes", 0);
    }
    tool_json_bool(&j, "rebooted", rebooted);
    tool_json_uint(&j, "target_resets", resets);
    if (rc < 0)
        tool_json_str(&j, "error", fota_strerror(rc));
    else
        tool_json_null(&j, "error");
    tool_json_end_obj(&j);
}

int tool_cmd_flash(int argc, char **argv)
{
    tool_target_args_t ta = {0};
    tool_target_sel_t sel;
    bool write_memory = false, no_reboot = false, json = false;
    bool nrst_reset = false;
    bool verbose = false, help = false;
    const tool_opt_t opts[] = {
        {"write-memory", 0, NULL, &write_memory},
        {"no-reboot", 0, NULL, &no_reboot},
        {"json", 0, NULL, &json},
        {"nrst-reset", 0, NULL, &nrst_reset},
        {"verbose", 'v', NULL, &verbose},
        TOOL_TARGET_OPTS(&ta),
    };
    const char *pos[FLASH_MAX_IMAGES];
    size_t npos = 0;
    image_t imgs[FLASH_MAX_IMAGES];
    size_t nimgs = 0;
    const image_t *img = NULL;
    tool_target_t tg;
    tool_target_log_t log;
    static agent_proto_t proto; /* 2 KiB of buffers: keep it off the stack */
    agent_flash_req_t req;
    fota_status_t st;
    uint32_t last_pct = 0;
    double t0, t1;
    uint64_t sim_t0 = 0;
    bool opened = false;
    int slot = -1;
    int ret = TOOL_EXIT_USAGE;
    int rc = 0;
    size_t i;

    memset(&tg, 0, sizeof tg);
    memset(imgs, 0, sizeof imgs);
    memset(&req, 0, sizeof req);
    if (tool_parse_args("fota flash", argc, argv, opts,
                        sizeof opts / sizeof opts[0], pos, FLASH_MAX_IMAGES,
                        &npos, &help) != 0)
        return TOOL_EXIT_USAGE;
    if (help) {
        usage(stdout);
        return TOOL_EXIT_OK;
    }
    tool_target_log_init(&log, "fota flash", verbose);
    if (npos == 0) {
        fprintf(stderr, "fota flash: need an image file (see --help)\n");
        return TOOL_EXIT_USAGE;
    }
    if (tool_target_check("fota flash", &ta, NULL, &sel) != 0)
        return TOOL_EXIT_USAGE;

    ret = TOOL_EXIT_FAIL;
    for (i = 0; i < npos; i++) {
        rc = load_image(&imgs[i], pos[i]);
        if (rc < 0)
            goto out;
        nimgs++;
    }

    rc = tool_target_open("fota flash", &tg, &sel);
    if (rc < 0)
        goto out;
    opened = true;
    if (tg.sim)
        sim_t0 = tool_target_time_ns(&tg);
    t0 = wall_s();

    agent_proto_init(&proto, tg.spi, tg.gpio, tg.clock, &log.base, NULL);
    /* A running application is asked to enter update mode (one software
     * reset it makes itself); NRST is pulsed only when nothing answers. */
    fprintf(stderr, "fota flash: entering update mode\n");
    rc = nrst_reset ? agent_proto_enter_update(&proto)
                    : agent_proto_enter_update_gently(&proto);
    if (rc == 0)
        rc = agent_proto_status(&proto, &st);
    if (rc < 0) {
        fprintf(stderr,
                "fota flash: no answer from the bootloader: %s "
                "(docs/hardware.md, troubleshooting)\n",
                fota_strerror(rc));
        goto out_release;
    }
    slot = st.inactive_slot;
    for (i = 0; i < nimgs; i++)
        if (imgs[i].slot == st.inactive_slot)
            img = &imgs[i];
    if (img == NULL) {
        fprintf(stderr,
                "fota flash: the inactive slot is %s; no image given "
                "is linked for it (pass the slot-%s build)\n",
                tool_slot_name(st.inactive_slot),
                st.inactive_slot == 0 ? "a" : "b");
        rc = FOTA_ERR_RANGE;
        goto out_release;
    }
    fprintf(stderr, "fota flash: active slot %s, writing %s into slot %s\n",
            st.active_slot <= 1 ? tool_slot_name(st.active_slot) : "none",
            img->path, tool_slot_name(st.inactive_slot));

    req.read = image_read;
    req.read_ctx = (void *)img;
    req.len = (uint32_t)img->len;
    req.use_write_memory = write_memory;
    req.reboot = !no_reboot;
    req.skip_enter = true;
    req.progress = progress;
    req.progress_ctx = &last_pct;
    rc = agent_proto_flash_image(&proto, &req);
    if (rc < 0 && proto.commit_refused && !no_reboot) {
        /* The bootloader verified the slot and refused it: nothing
         * changed, so boot the running image again instead of leaving the
         * target waiting in update mode. */
        (void)agent_proto_reboot(&proto);
    }
    if (rc < 0) {
        fprintf(
            stderr, "fota flash: failed: %s%s\n", fota_strerror(rc),
            rc == FOTA_ERR_AUTH
                ? " (the bootloader refused the image's signature: sign it "
                  "with "
                  "the key the bootloader was built with, `fota image sign`)"
                : "");
        goto out_release;
    }
    if (tg.sim)
        agent_sim_target_settle(tg.simt); /* the booted image runs */
    t1 = wall_s();
    if (!json) {
        char ver[32];

        tool_format_version(&img->hdr.version, ver, sizeof ver);
        printf("flash: image=%s version=%s slot=%s bytes=%zu crc=0x%08x "
               "committed=1 rebooted=%d",
               img->path, ver, tool_slot_name(img->slot), img->len,
               (unsigned)fota_crc32_st(img->data, img->len),
               req.reboot ? 1 : 0);
        if (tg.sim)
            printf(" sim_s=%.3f",
                   (double)(tool_target_time_ns(&tg) - sim_t0) / 1e9);
        printf(" wall_s=%.3f resyncs=%u nacks=%u timeouts=%u "
               "target_resets=%u\n",
               t1 - t0, (unsigned)proto.stats.resyncs,
               (unsigned)proto.stats.nacks, (unsigned)proto.stats.timeouts,
               (unsigned)agent_proto_target_resets(&proto));
    }
    ret = TOOL_EXIT_OK;

out_release:
    if (ret != TOOL_EXIT_OK || no_reboot)
        (void)agent_proto_release(&proto);
out:
    if (json)
        print_json(ret == TOOL_EXIT_OK              ? "committed"
                   : proto.commit_refused && opened ? "refused"
                                                    : "error",
                   img, slot, opened ? agent_proto_target_resets(&proto) : 0,
                   ret == TOOL_EXIT_OK && req.reboot, rc);
    /* A simulated target keeps whatever state a failure left, as the real
     * chip would. */
    tool_target_close(&tg);
    for (i = 0; i < FLASH_MAX_IMAGES; i++)
        free(imgs[i].data);
    return ret;
}
