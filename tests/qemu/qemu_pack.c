/*
 * qemu_pack.c - minimal image packer for the QEMU cross-check: prepends the
 * 512-byte header (include/fota/fota_image.h) to an application body.
 *
 *   qemu_pack <body.bin> <slot 0|1> <major.minor.patch> <out.img>
 *
 * The full packer with signing lives in tools/; this one exists so the boot
 * path test depends on nothing but the shared formats.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fota/fota_config.h"
#include "fota/fota_image.h"
#include "fota/fota_sha256.h"

static int pack(const char *body_path, int slot, const char *ver,
                const char *out_path)
{
    FILE *in = NULL, *out = NULL;
    uint8_t *body = NULL;
    uint8_t hbuf[FOTA_IMAGE_HDR_SIZE];
    fota_image_hdr_t hdr;
    unsigned major, minor, patch;
    long size;
    size_t padded;
    int rc = 1;

    if (sscanf(ver, "%u.%u.%u", &major, &minor, &patch) != 3) {
        fprintf(stderr, "qemu_pack: bad version %s\n", ver);
        goto out;
    }
    in = fopen(body_path, "rb");
    if (in == NULL || fseek(in, 0, SEEK_END) != 0 || (size = ftell(in)) <= 0 ||
        fseek(in, 0, SEEK_SET) != 0) {
        fprintf(stderr, "qemu_pack: cannot read %s\n", body_path);
        goto out;
    }
    padded = ((size_t)size + 3u) & ~(size_t)3u;
    if (padded > FOTA_SLOT_BODY_MAX) {
        fprintf(stderr, "qemu_pack: body too large\n");
        goto out;
    }
    body = calloc(1, padded);
    if (body == NULL || fread(body, 1, (size_t)size, in) != (size_t)size)
        goto out;

    fota_image_hdr_init(&hdr, slot, (uint32_t)padded, FOTA_PRODUCT_ID);
    hdr.version.major = (uint8_t)major;
    hdr.version.minor = (uint8_t)minor;
    hdr.version.patch = (uint16_t)patch;
    fota_image_seal(&hdr, hbuf, body);

    out = fopen(out_path, "wb");
    if (out == NULL || fwrite(hbuf, 1, sizeof hbuf, out) != sizeof hbuf ||
        fwrite(body, 1, padded, out) != padded) {
        fprintf(stderr, "qemu_pack: cannot write %s\n", out_path);
        goto out;
    }
    rc = 0;
out:
    if (out != NULL && fclose(out) != 0)
        rc = 1;
    if (in != NULL)
        fclose(in);
    free(body);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 5 || (strcmp(argv[2], "0") != 0 && strcmp(argv[2], "1") != 0)) {
        fprintf(stderr,
                "usage: qemu_pack <body.bin> <slot 0|1> <x.y.z> <out.img>\n");
        return 2;
    }
    return pack(argv[1], argv[2][0] - '0', argv[3], argv[4]);
}
