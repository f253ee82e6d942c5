/*
 * tool_cmd_image.c - `fota image`: pack, inspect and verify image files.
 */
#include <stdlib.h>
#include <string.h>

#include "fota/fota_config.h"
#include "fota/fota_ed25519.h"
#include "fota/fota_err.h"
#include "tool.h"
#include "tool_image.h"

static void pack_usage(FILE *f)
{
    fprintf(
        f,
        "usage: fota image pack --slot a|b --version X.Y.Z[+BUILD] "
        "--sec-counter N\n"
        "                       [--product ID] [--flags N] "
        "[--confirm-window-ms N]\n"
        "                       [--no-vector-check]\n"
        "                       <raw.bin> -o <out.img>\n"
        "\n"
        "Wrap a raw binary, linked for the slot's body address (slot A "
        "0x%08x,\n"
        "slot B 0x%08x), in a 512-byte image header. The body is padded with\n"
        "0xFF to a multiple of 4 bytes and hashed (SHA-256 over header bytes\n"
        "0..63 and the body).\n"
        "\n"
        "  -s, --slot a|b          slot the binary is linked for\n"
        "  -V, --version VER       image version, MAJOR.MINOR.PATCH[+BUILD]\n"
        "                          (major, minor <= 255, patch <= 65535)\n"
        "      --sec-counter N     anti-rollback security counter (0..2^32-1)\n"
        "      --product ID        product id, at most 16 characters\n"
        "                          (default \"%s\")\n"
        "      --flags N           header flags, decimal or 0x-hex\n"
        "                          (bit 0: test build that never confirms)\n"
        "      --confirm-window-ms N\n"
        "                          time a trial boot has to confirm, 1..%u ms\n"
        "                          (default %u; the trial watchdog never "
        "fires\n"
        "                          earlier)\n"
        "      --no-vector-check   do not check that the vector table points\n"
        "                          into the slot\n"
        "  -o, --output FILE       image file to write\n"
        "  -h, --help              this help\n",
        (unsigned)FOTA_SLOT_BODY_ADDR(0), (unsigned)FOTA_SLOT_BODY_ADDR(1),
        FOTA_PRODUCT_ID, (unsigned)FOTA_CONFIRM_WINDOW_MAX_MS,
        (unsigned)FOTA_CONFIRM_WINDOW_DEFAULT_MS);
}

static int cmd_pack(int argc, char **argv)
{
    const char *slot_s = NULL, *ver_s = NULL, *sec_s = NULL, *product = NULL;
    const char *flags_s = NULL, *out_path = NULL, *window_s = NULL;
    bool no_vec = false, help = false;
    const tool_opt_t opts[] = {
        {"slot", 's', &slot_s, NULL},
        {"version", 'V', &ver_s, NULL},
        {"sec-counter", 0, &sec_s, NULL},
        {"product", 0, &product, NULL},
        {"flags", 0, &flags_s, NULL},
        {"confirm-window-ms", 0, &window_s, NULL},
        {"output", 'o', &out_path, NULL},
        {"no-vector-check", 0, NULL, &no_vec},
    };
    const char *pos[1];
    size_t npos;
    tool_pack_opts_t po;
    uint8_t *raw = NULL, *img = NULL;
    size_t raw_len, img_len;
    char err[256];
    int ret = TOOL_EXIT_USAGE;

    if (tool_parse_args("fota image pack", argc, argv, opts,
                        sizeof opts / sizeof opts[0], pos, 1, &npos,
                        &help) != 0)
        return TOOL_EXIT_USAGE;
    if (help) {
        pack_usage(stdout);
        return TOOL_EXIT_OK;
    }

    memset(&po, 0, sizeof po);
    po.product = product;
    po.no_vector_check = no_vec;
    po.slot = tool_parse_slot(slot_s);
    if (npos != 1 || out_path == NULL || slot_s == NULL || ver_s == NULL ||
        sec_s == NULL) {
        fprintf(stderr,
                "fota image pack: need --slot, --version, --sec-counter, "
                "an input file and -o (see --help)\n");
        goto out;
    }
    if (po.slot < 0) {
        fprintf(stderr, "fota image pack: --slot must be a or b, not '%s'\n",
                slot_s);
        goto out;
    }
    if (tool_parse_version(ver_s, &po.version) != 0) {
        fprintf(stderr,
                "fota image pack: bad --version '%s' (want MAJOR.MINOR.PATCH"
                "[+BUILD], major/minor <= 255, patch <= 65535)\n",
                ver_s);
        goto out;
    }
    if (tool_parse_u32(sec_s, &po.sec_counter) != 0) {
        fprintf(stderr, "fota image pack: bad --sec-counter '%s'\n", sec_s);
        goto out;
    }
    if (flags_s != NULL && tool_parse_u32(flags_s, &po.flags) != 0) {
        fprintf(stderr, "fota image pack: bad --flags '%s'\n", flags_s);
        goto out;
    }
    if (window_s != NULL &&
        (tool_parse_u32(window_s, &po.confirm_window_ms) != 0 ||
         po.confirm_window_ms == 0 ||
         po.confirm_window_ms > FOTA_CONFIRM_WINDOW_MAX_MS)) {
        fprintf(stderr,
                "fota image pack: bad --confirm-window-ms '%s' (want 1..%u)\n",
                window_s, (unsigned)FOTA_CONFIRM_WINDOW_MAX_MS);
        goto out;
    }

    ret = TOOL_EXIT_FAIL;
    if (tool_read_file(pos[0], &raw, &raw_len) != 0)
        goto out;
    if (tool_image_pack(raw, raw_len, &po, &img, &img_len, err, sizeof err) !=
        0) {
        fprintf(stderr, "fota image pack: %s: %s\n", pos[0], err);
        goto out;
    }
    if (tool_write_file(out_path, img, img_len) != 0)
        goto out;
    {
        char ver[40];
        tool_format_version(&po.version, ver, sizeof ver);
        printf(
            "%s: slot %s image, version %s, sec counter %lu, body %zu bytes, "
            "%zu bytes total\n",
            out_path, tool_slot_name(po.slot), ver,
            (unsigned long)po.sec_counter, img_len - FOTA_IMAGE_HDR_SIZE,
            img_len);
    }
    ret = TOOL_EXIT_OK;
out:
    free(raw);
    free(img);
    return ret;
}

/* Shared by inspect and verify: the image file, the slot to check (or -1),
 * the product to require (or NULL), human or JSON output. */
static int examine(const char *path, int slot, const char *product, bool json,
                   bool verbose, const char *pub_path)
{
    uint8_t pub[FOTA_ED25519_PUB_SIZE];
    uint8_t *img = NULL;
    size_t len;
    tool_image_report_t *r = NULL;
    int ret = TOOL_EXIT_FAIL;

    if (pub_path != NULL && tool_key_load_pub(pub_path, pub) != 0)
        goto out;
    if (tool_read_file(path, &img, &len) != 0)
        goto out;
    /* The report holds a whole header copy; keep it off the stack. */
    r = malloc(sizeof *r);
    if (r == NULL)
        goto out;
    bool ok = tool_image_analyse(img, len, slot, product, r);
    /* Always add the signature line; it can only fail with a key given. */
    ok = tool_image_check_sig(r, pub_path != NULL ? pub : NULL) && ok;
    if (json) {
        tool_image_print_json(stdout, r);
    } else {
        printf("%s:\n", path);
        tool_image_print(stdout, r, verbose);
        if (!verbose || !ok)
            printf("%s: %s\n", path, ok ? "OK" : "INVALID");
    }
    ret = ok ? TOOL_EXIT_OK : TOOL_EXIT_FAIL;
out:
    free(r);
    free(img);
    return ret;
}

static int cmd_inspect(int argc, char **argv)
{
    bool json = false, help = false;
    const char *pub_path = NULL, *product = NULL;
    const tool_opt_t opts[] = {{"json", 'j', NULL, &json},
                               {"pubkey", 0, &pub_path, NULL},
                               {"product", 0, &product, NULL}};
    const char *pos[1];
    size_t npos;

    if (tool_parse_args("fota image inspect", argc, argv, opts, 3, pos, 1,
                        &npos, &help) != 0)
        return TOOL_EXIT_USAGE;
    if (help) {
        printf("usage: fota image inspect <image.img> [--product ID] [--pubkey "
               "PUB] [--json]\n"
               "\n"
               "Show an image's header fields, TLV records (key id, "
               "signature), computed\n"
               "hash and ST CRC, and the result of every check 'fota image "
               "verify'\n"
               "makes (the slot is taken from the load address). Exit status 0 "
               "if all\n"
               "checks pass.\n"
               "\n"
               "      --product ID  the product id the bootloader accepts "
               "(default\n"
               "                    \"" FOTA_PRODUCT_ID "\")\n"
               "      --pubkey PUB  also verify the Ed25519 signature with "
               "this key\n"
               "  -j, --json        one JSON object on stdout\n"
               "  -h, --help        this help\n");
        return TOOL_EXIT_OK;
    }
    if (npos != 1) {
        fprintf(stderr,
                "fota image inspect: need one image file (see --help)\n");
        return TOOL_EXIT_USAGE;
    }
    return examine(pos[0], -1, product, json, true, pub_path);
}

static int cmd_verify(int argc, char **argv)
{
    bool json = false, help = false;
    const char *slot_s = NULL, *product = NULL, *pub_path = NULL;
    const tool_opt_t opts[] = {
        {"slot", 's', &slot_s, NULL},
        {"product", 0, &product, NULL},
        {"json", 'j', NULL, &json},
        {"pubkey", 0, &pub_path, NULL},
    };
    const char *pos[1];
    size_t npos;
    int slot = -1;

    if (tool_parse_args("fota image verify", argc, argv, opts,
                        sizeof opts / sizeof opts[0], pos, 1, &npos,
                        &help) != 0)
        return TOOL_EXIT_USAGE;
    if (help) {
        printf(
            "usage: fota image verify <image.img> [--slot a|b] [--product ID]\n"
            "                         [--pubkey PUB] [--json]\n"
            "\n"
            "Check an image as the bootloader would before accepting it: "
            "header\n"
            "(magic, version, size), the load address and size fit the slot, "
            "the\n"
            "file is exactly header + body, the SHA-256 matches, the TLV area "
            "is\n"
            "well-formed, and the bootloader's own image check passes (the "
            "same code:\n"
            "link address, size, product, confirm window, initial SP in "
            "application\n"
            "RAM or CCM, reset vector in the body). With --pubkey,\n"
            "also as the agent would: the Ed25519 signature of the hash must "
            "verify\n"
            "with that key (32 raw bytes, 64 hex digits or PEM).\n"
            "Exit status 0 only if every check passes, 1 otherwise.\n"
            "\n"
            "  -s, --slot a|b    slot the image must be built for (default: "
            "the\n"
            "                    slot its load address names)\n"
            "      --product ID  the product id the bootloader accepts "
            "(default\n"
            "                    \"" FOTA_PRODUCT_ID "\")\n"
            "      --pubkey PUB  require a valid signature by this key\n"
            "  -j, --json        one JSON object on stdout\n"
            "  -h, --help        this help\n");
        return TOOL_EXIT_OK;
    }
    if (npos != 1) {
        fprintf(stderr,
                "fota image verify: need one image file (see --help)\n");
        return TOOL_EXIT_USAGE;
    }
    if (slot_s != NULL) {
        slot = tool_parse_slot(slot_s);
        if (slot < 0) {
            fprintf(stderr,
                    "fota image verify: --slot must be a or b, not '%s'\n",
                    slot_s);
            return TOOL_EXIT_USAGE;
        }
    }
    return examine(pos[0], slot, product, json, false, pub_path);
}

static int cmd_sign(int argc, char **argv)
{
    const char *key_path = NULL, *out_path = NULL;
    bool help = false;
    const tool_opt_t opts[] = {
        {"key", 'k', &key_path, NULL},
        {"output", 'o', &out_path, NULL},
    };
    const char *pos[1];
    size_t npos, len = 0;
    uint8_t seed[FOTA_ED25519_SEED_SIZE], *img = NULL;
    char err[300];
    int ret = TOOL_EXIT_FAIL;

    if (tool_parse_args("fota image sign", argc, argv, opts,
                        sizeof opts / sizeof opts[0], pos, 1, &npos,
                        &help) != 0)
        return TOOL_EXIT_USAGE;
    if (help) {
        printf(
            "usage: fota image sign --key <key.pem|key.bin> <image.img> [-o "
            "out.img]\n"
            "\n"
            "Sign an image: put the key id (first 8 bytes of SHA-256 of the "
            "public\n"
            "key) and an Ed25519 signature of the header's SHA-256 field into "
            "the\n"
            "header's TLV area, replacing any earlier ones. The TLV area is "
            "not\n"
            "hashed, so the image hash does not change. The image must pass\n"
            "'fota image verify' first. Without -o the image is signed in "
            "place.\n"
            "\n"
            "  -k, --key FILE      secret key ('fota key gen')\n"
            "  -o, --output FILE   signed image to write (default: the input)\n"
            "  -h, --help          this help\n");
        return TOOL_EXIT_OK;
    }
    if (npos != 1 || key_path == NULL) {
        fprintf(stderr,
                "fota image sign: need --key and an image file (see --help)\n");
        return TOOL_EXIT_USAGE;
    }
    if (tool_key_load_seed(key_path, seed) != 0)
        goto out;
    if (tool_read_file(pos[0], &img, &len) != 0)
        goto out;
    if (tool_image_sign(img, len, seed, err, sizeof err) != 0) {
        fprintf(stderr, "fota image sign: %s: %s\n", pos[0], err);
        goto out;
    }
    if (out_path == NULL)
        out_path = pos[0];
    if (tool_write_file(out_path, img, len) != 0)
        goto out;
    {
        uint8_t pub[FOTA_ED25519_PUB_SIZE], id[FOTA_ED25519_KEY_ID_SIZE];
        char idhex[2 * FOTA_ED25519_KEY_ID_SIZE + 1];

        fota_ed25519_pubkey(pub, seed);
        fota_ed25519_key_id(id, pub);
        fota_hex_encode(id, sizeof id, idhex);
        printf("%s: signed with key id %s\n", out_path, idhex);
    }
    ret = TOOL_EXIT_OK;
out:
    memset(seed, 0, sizeof seed);
    free(img);
    return ret;
}

static const tool_cmd_t s_image_cmds[] = {
    {"pack", "wrap a raw binary in an image header", cmd_pack},
    {"inspect", "show an image's header and checks", cmd_inspect},
    {"verify", "check an image (exit 0 only if valid)", cmd_verify},
    {"sign", "sign an image with an Ed25519 key", cmd_sign},
};

int tool_cmd_image(int argc, char **argv)
{
    return tool_dispatch(
        "fota image", "Build and check firmware images (.img).", s_image_cmds,
        sizeof s_image_cmds / sizeof s_image_cmds[0], argc, argv);
}
