/*
 * tool_cmd_key.c - `fota key`: make an Ed25519 signing key and show or
 * export its public half; and the key file readers `fota image sign` and
 * `fota image verify --pubkey` share (tool.h).
 *
 * Key files:
 * - secret key: the 32-byte RFC 8032 seed, raw (*.bin, or any name not
 *   ending in .pem) or as PKCS#8 PEM ("BEGIN PRIVATE KEY", the format
 *   `openssl genpkey -algorithm ed25519` writes, so either tool can make
 *   the key);
 * - public key: 32 raw bytes, 64 hex digits, or SubjectPublicKeyInfo PEM
 *   ("BEGIN PUBLIC KEY", what `openssl pkey -pubout` writes).
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fota/fota_ed25519.h"
#include "fota/fota_err.h"
#include "tool.h"

/* DER prefixes of the two PEM forms (RFC 8410): everything up to the key
 * bytes, which follow immediately (32 bytes each). */
static const uint8_t s_pkcs8_prefix[16] = {
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06,
    0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
};
static const uint8_t s_spki_prefix[12] = {
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
};

#define PEM_PRIV_BEGIN "-----BEGIN PRIVATE KEY-----"
#define PEM_PRIV_END "-----END PRIVATE KEY-----"
#define PEM_PUB_BEGIN "-----BEGIN PUBLIC KEY-----"
#define PEM_PUB_END "-----END PUBLIC KEY-----"

static const char s_b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_val(char c)
{
    const char *p = c != '\0' ? strchr(s_b64, c) : NULL;

    return p != NULL ? (int)(p - s_b64) : -1;
}

/* Decode the base64 between begin and end markers of text (whitespace
 * ignored). Returns the byte count, or -1 if the markers are missing or
 * the body is not base64 or longer than max. */
static int pem_decode(const char *text, size_t text_len, const char *begin,
                      const char *end, uint8_t *out, size_t max)
{
    char *copy = malloc(text_len + 1);
    const char *b, *e;
    uint32_t acc = 0;
    int bits = 0, n = -1;
    size_t len = 0;

    if (copy == NULL)
        return -1;
    memcpy(copy, text, text_len);
    copy[text_len] = '\0';
    b = strstr(copy, begin);
    e = b != NULL ? strstr(b, end) : NULL;
    if (b == NULL || e == NULL)
        goto out;
    for (const char *p = b + strlen(begin); p < e; p++) {
        int v;

        if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
            continue;
        if (*p == '=')
            break;
        v = b64_val(*p);
        if (v < 0)
            goto out;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (len == max)
                goto out;
            out[len++] = (uint8_t)(acc >> bits);
        }
    }
    n = (int)len;
out:
    memset(copy, 0, text_len);
    free(copy);
    return n;
}

static void pem_write(FILE *f, const char *begin, const char *end,
                      const uint8_t *der, size_t len)
{
    fprintf(f, "%s\n", begin);
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)der[i] << 16;
        size_t n = len - i < 3 ? len - i : 3;

        if (n > 1)
            v |= (uint32_t)der[i + 1] << 8;
        if (n > 2)
            v |= der[i + 2];
        fputc(s_b64[(v >> 18) & 63], f);
        fputc(s_b64[(v >> 12) & 63], f);
        fputc(n > 1 ? s_b64[(v >> 6) & 63] : '=', f);
        fputc(n > 2 ? s_b64[v & 63] : '=', f);
    }
    fprintf(f, "\n%s\n", end);
}

static bool is_space(uint8_t c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

/* 64 hex digits, surrounding whitespace allowed. */
static bool parse_hex32(const uint8_t *text, size_t len, uint8_t out[32])
{
    size_t i = 0;

    while (i < len && is_space(text[i]))
        i++;
    while (len > i && is_space(text[len - 1]))
        len--;
    return fota_hex_decode((const char *)text + i, len - i, out, 32) == 32;
}

int tool_key_load_seed(const char *path, uint8_t seed[FOTA_ED25519_SEED_SIZE])
{
    uint8_t *data = NULL, der[64];
    size_t len = 0;
    int rc = FOTA_ERR_INVAL, n;

    if (tool_read_file(path, &data, &len) != 0)
        return FOTA_ERR_IO;
    if (len == FOTA_ED25519_SEED_SIZE) {
        memcpy(seed, data, FOTA_ED25519_SEED_SIZE);
        rc = 0;
        goto out;
    }
    n = pem_decode((const char *)data, len, PEM_PRIV_BEGIN, PEM_PRIV_END, der,
                   sizeof der);
    if (n == (int)sizeof s_pkcs8_prefix + FOTA_ED25519_SEED_SIZE &&
        memcmp(der, s_pkcs8_prefix, sizeof s_pkcs8_prefix) == 0) {
        memcpy(seed, der + sizeof s_pkcs8_prefix, FOTA_ED25519_SEED_SIZE);
        rc = 0;
        goto out;
    }
    fprintf(stderr,
            "%s: not an Ed25519 secret key (want a 32-byte seed file or a "
            "PKCS#8 PEM "
            "\"" PEM_PRIV_BEGIN "\" Ed25519 key)\n",
            path);
out:
    memset(der, 0, sizeof der);
    if (data != NULL)
        memset(data, 0, len);
    free(data);
    return rc;
}

int tool_key_load_pub(const char *path, uint8_t pub[FOTA_ED25519_PUB_SIZE])
{
    uint8_t *data = NULL, der[64];
    size_t len = 0;
    int rc = FOTA_ERR_INVAL, n;

    if (tool_read_file(path, &data, &len) != 0)
        return FOTA_ERR_IO;
    if (len == FOTA_ED25519_PUB_SIZE) {
        memcpy(pub, data, FOTA_ED25519_PUB_SIZE);
        rc = 0;
    } else if (parse_hex32(data, len, pub)) {
        rc = 0;
    } else {
        n = pem_decode((const char *)data, len, PEM_PUB_BEGIN, PEM_PUB_END, der,
                       sizeof der);
        if (n == (int)sizeof s_spki_prefix + FOTA_ED25519_PUB_SIZE &&
            memcmp(der, s_spki_prefix, sizeof s_spki_prefix) == 0) {
            memcpy(pub, der + sizeof s_spki_prefix, FOTA_ED25519_PUB_SIZE);
            rc = 0;
        }
    }
    if (rc != 0)
        fprintf(stderr,
                "%s: not an Ed25519 public key (want 32 raw bytes, 64 hex "
                "digits or a "
                "\"" PEM_PUB_BEGIN "\" PEM)\n",
                path);
    free(data);
    return rc;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);

    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* Create path with mode 0600 from the first byte on (no window in which
 * the secret is readable by others), refusing to replace a file. */
static int write_secret(const char *path, const uint8_t *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    size_t done = 0;

    if (fd < 0) {
        fprintf(stderr, "fota key gen: cannot create '%s': %s\n", path,
                errno == EEXIST ? "file exists (keys are never overwritten)"
                                : strerror(errno));
        return FOTA_ERR_IO;
    }
    /* open()'s mode passes through the umask; make it exactly 0600. */
    if (fchmod(fd, 0600) != 0) {
        fprintf(stderr, "fota key gen: cannot chmod '%s': %s\n", path,
                strerror(errno));
        close(fd);
        unlink(path);
        return FOTA_ERR_IO;
    }
    while (done < len) {
        ssize_t w = write(fd, data + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            fprintf(stderr, "fota key gen: cannot write '%s': %s\n", path,
                    strerror(errno));
            close(fd);
            unlink(path);
            return FOTA_ERR_IO;
        }
        done += (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        fprintf(stderr, "fota key gen: cannot write '%s': %s\n", path,
                strerror(errno));
        unlink(path);
        return FOTA_ERR_IO;
    }
    return 0;
}

static int read_urandom(uint8_t *buf, size_t len)
{
    int fd = open("/dev/urandom", O_RDONLY);
    size_t done = 0;

    if (fd < 0) {
        fprintf(stderr, "fota key gen: cannot open /dev/urandom: %s\n",
                strerror(errno));
        return FOTA_ERR_IO;
    }
    while (done < len) {
        ssize_t r = read(fd, buf + done, len - done);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            fprintf(stderr, "fota key gen: cannot read /dev/urandom\n");
            close(fd);
            return FOTA_ERR_IO;
        }
        done += (size_t)r;
    }
    close(fd);
    return 0;
}

static void print_pub(const uint8_t pub[FOTA_ED25519_PUB_SIZE])
{
    char hex[2 * FOTA_ED25519_PUB_SIZE + 1],
        idhex[2 * FOTA_ED25519_KEY_ID_SIZE + 1];
    uint8_t id[FOTA_ED25519_KEY_ID_SIZE];

    fota_ed25519_key_id(id, pub);
    fota_hex_encode(pub, FOTA_ED25519_PUB_SIZE, hex);
    fota_hex_encode(id, sizeof id, idhex);
    printf("public key %s\nkey id     %s\n", hex, idhex);
}

static int cmd_gen(int argc, char **argv)
{
    const char *out_path = NULL;
    bool help = false;
    const tool_opt_t opts[] = {{"output", 'o', &out_path, NULL}};
    const char *pos[1];
    size_t npos;
    uint8_t seed[FOTA_ED25519_SEED_SIZE], pub[FOTA_ED25519_PUB_SIZE];
    uint8_t der[sizeof s_pkcs8_prefix + FOTA_ED25519_SEED_SIZE];
    char *pem = NULL;
    size_t pem_len = 0;
    int ret = TOOL_EXIT_FAIL;

    if (tool_parse_args("fota key gen", argc, argv, opts, 1, pos, 0, &npos,
                        &help) != 0)
        return TOOL_EXIT_USAGE;
    if (help) {
        printf(
            "usage: fota key gen -o <key.pem|key.bin>\n"
            "\n"
            "Make an Ed25519 signing key from 32 bytes of /dev/urandom. A "
            "name\n"
            "ending in .pem gets PKCS#8 PEM (as openssl genpkey writes), any "
            "other\n"
            "name the raw 32-byte seed. The file is created with mode 0600 and "
            "an\n"
            "existing file is never replaced. Prints the public key and key "
            "id.\n"
            "Keep the key offline; give devices only `fota key pub`'s output.\n"
            "\n"
            "  -o, --output FILE   key file to create\n"
            "  -h, --help          this help\n");
        return TOOL_EXIT_OK;
    }
    if (out_path == NULL) {
        fprintf(stderr, "fota key gen: need -o <key file> (see --help)\n");
        return TOOL_EXIT_USAGE;
    }
    if (read_urandom(seed, sizeof seed) != 0)
        goto out;
    fota_ed25519_pubkey(pub, seed);
    if (ends_with(out_path, ".pem")) {
        FILE *m = open_memstream(&pem, &pem_len);
        if (m == NULL)
            goto out;
        memcpy(der, s_pkcs8_prefix, sizeof s_pkcs8_prefix);
        memcpy(der + sizeof s_pkcs8_prefix, seed, sizeof seed);
        pem_write(m, PEM_PRIV_BEGIN, PEM_PRIV_END, der, sizeof der);
        fclose(m);
        if (write_secret(out_path, (const uint8_t *)pem, pem_len) != 0)
            goto out;
    } else if (write_secret(out_path, seed, sizeof seed) != 0) {
        goto out;
    }
    printf("%s: new Ed25519 signing key (mode 0600)\n", out_path);
    print_pub(pub);
    ret = TOOL_EXIT_OK;
out:
    memset(seed, 0, sizeof seed);
    memset(der, 0, sizeof der);
    if (pem != NULL)
        memset(pem, 0, pem_len);
    free(pem);
    return ret;
}

static int cmd_pub(int argc, char **argv)
{
    const char *out_path = NULL;
    bool help = false, pem = false;
    const tool_opt_t opts[] = {
        {"output", 'o', &out_path, NULL},
        {"pem", 0, NULL, &pem},
    };
    const char *pos[1];
    size_t npos;
    uint8_t seed[FOTA_ED25519_SEED_SIZE], pub[FOTA_ED25519_PUB_SIZE];
    int ret = TOOL_EXIT_FAIL;

    if (tool_parse_args("fota key pub", argc, argv, opts,
                        sizeof opts / sizeof opts[0], pos, 1, &npos,
                        &help) != 0)
        return TOOL_EXIT_USAGE;
    if (help) {
        printf(
            "usage: fota key pub <key.pem|key.bin> [-o pub.bin] [--pem]\n"
            "\n"
            "Print the public key (hex) and key id of a secret key, and with "
            "-o\n"
            "write the 32-byte public key: what the agent's configuration and\n"
            "`fota image verify --pubkey` take.\n"
            "\n"
            "  -o, --output FILE   write the public key (32 raw bytes)\n"
            "      --pem           write it as a PEM \"PUBLIC KEY\" instead\n"
            "  -h, --help          this help\n");
        return TOOL_EXIT_OK;
    }
    if (npos != 1) {
        fprintf(stderr, "fota key pub: need one key file (see --help)\n");
        return TOOL_EXIT_USAGE;
    }
    if (tool_key_load_seed(pos[0], seed) != 0)
        goto out;
    fota_ed25519_pubkey(pub, seed);
    if (out_path != NULL) {
        if (pem) {
            uint8_t der[sizeof s_spki_prefix + FOTA_ED25519_PUB_SIZE];
            char *buf = NULL;
            size_t blen = 0;
            FILE *m = open_memstream(&buf, &blen);
            int rc;

            if (m == NULL)
                goto out;
            memcpy(der, s_spki_prefix, sizeof s_spki_prefix);
            memcpy(der + sizeof s_spki_prefix, pub, sizeof pub);
            pem_write(m, PEM_PUB_BEGIN, PEM_PUB_END, der, sizeof der);
            fclose(m);
            rc = tool_write_file(out_path, (const uint8_t *)buf, blen);
            free(buf);
            if (rc != 0)
                goto out;
        } else if (tool_write_file(out_path, pub, sizeof pub) != 0) {
            goto out;
        }
    }
    print_pub(pub);
    ret = TOOL_EXIT_OK;
out:
    memset(seed, 0, sizeof seed);
    return ret;
}

static const tool_cmd_t s_key_cmds[] = {
    {"gen", "make a new Ed25519 signing key", cmd_gen},
    {"pub", "show or export a key's public half", cmd_pub},
};

int tool_cmd_key(int argc, char **argv)
{
    return tool_dispatch(
        "fota key", "Make and inspect image signing keys (Ed25519).",
        s_key_cmds, sizeof s_key_cmds / sizeof s_key_cmds[0], argc, argv);
}
