/*
 * tool.h - shared plumbing of the `fota` host tool: command dispatch,
 * argument parsing, file I/O and value parsing.
 *
 * Each command group (image, release, agent, board, flash) lives in its own
 * tool_cmd_<group>.c and exports one entry point with the tool_cmd_fn
 * signature; tools/fota.c lists the groups. Host code: may allocate, uses
 * libc, reports errors on stderr.
 */
#ifndef TOOL_H
#define TOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fota/fota_ed25519.h"
#include "fota/fota_image.h"
#include "fota/fota_text.h"

/* Process exit codes, the same for every subcommand. */
#define TOOL_EXIT_OK 0
#define TOOL_EXIT_FAIL 1  /* the operation ran and failed (bad image, I/O) */
#define TOOL_EXIT_USAGE 2 /* bad command line */

/* A command: argv[0] is the command's own name (e.g. "pack"). Returns a
 * TOOL_EXIT_* code. */
typedef int (*tool_cmd_fn)(int argc, char **argv);

typedef struct tool_cmd {
    const char *name;
    const char *summary; /* one line for the parent's --help */
    tool_cmd_fn run;
} tool_cmd_t;

/* Run the command in cmds named by argv[1]. argv[0] is the group's full
 * name for messages ("fota image"). Handles --help/-h/help and unknown
 * names. Returns a TOOL_EXIT_* code. */
int tool_dispatch(const char *prog, const char *about, const tool_cmd_t *cmds,
                  size_t ncmds, int argc, char **argv);

/* Command groups (one source file each). */
int tool_cmd_image(int argc, char **argv);
int tool_cmd_release(int argc, char **argv);
int tool_cmd_fleet(int argc, char **argv);
int tool_cmd_flash(int argc, char **argv);
int tool_cmd_board(int argc, char **argv);
int tool_cmd_key(int argc, char **argv);
int tool_cmd_device(int argc, char **argv);

/* ---- signing keys (tool_cmd_key.c) ---- */

/* Read an Ed25519 secret key: a 32-byte seed file or PKCS#8 PEM. Returns 0,
 * or FOTA_ERR_IO / FOTA_ERR_INVAL with a message on stderr. */
int tool_key_load_seed(const char *path, uint8_t seed[FOTA_ED25519_SEED_SIZE]);

/* Read an Ed25519 public key: 32 raw bytes, 64 hex digits or a PEM
 * "PUBLIC KEY". Returns 0, or FOTA_ERR_IO / FOTA_ERR_INVAL with a message. */
int tool_key_load_pub(const char *path, uint8_t pub[FOTA_ED25519_PUB_SIZE]);

/* ---- argument parsing ---- */

/* One option. long_name without the dashes ("slot"); short_name 0 if none.
 * If value is non-NULL the option takes an argument ("--slot a",
 * "--slot=a", "-s a") stored in *value; otherwise it is a flag and *flag
 * is set to true. */
typedef struct tool_opt {
    const char *long_name;
    char short_name;
    const char **value;
    bool *flag;
} tool_opt_t;

/* Parse argv[1..argc) (argv[0] is the command name): options anywhere,
 * "--" ends options, everything else is positional and stored in pos (at
 * most max_pos). "-h"/"--help" set *help. Prints a message naming prog on
 * stderr and returns TOOL_EXIT_USAGE on an unknown option, a missing
 * value or too many positional arguments; 0 otherwise. */
int tool_parse_args(const char *prog, int argc, char **argv,
                    const tool_opt_t *opts, size_t nopts, const char **pos,
                    size_t max_pos, size_t *npos, bool *help);

/* ---- values ---- */

/* "a"/"A"/"0" -> 0, "b"/"B"/"1" -> 1; else -1. */
int tool_parse_slot(const char *s);

/* Slot letter for 0/1, "?" otherwise. */
const char *tool_slot_name(int slot);

/* Unsigned 32-bit number, decimal or 0x-hex, nothing trailing. */
int tool_parse_u32(const char *s, uint32_t *out);

/* "MAJOR.MINOR.PATCH[+BUILD]" with major, minor <= 255, patch <= 65535,
 * build <= 2^32-1. Returns 0 or FOTA_ERR_INVAL. */
int tool_parse_version(const char *s, fota_version_t *v);

/* "1.2.3" or "1.2.3+45" (build shown only when non-zero) into buf. */
void tool_format_version(const fota_version_t *v, char *buf, size_t len);

/* ---- files ---- */

/* Read a whole file into a malloc'd buffer (*data, *len; free() it).
 * Returns 0, or a FOTA_ERR_* code with a message on stderr. */
int tool_read_file(const char *path, uint8_t **data, size_t *len);

/* Write len bytes to path via a temporary file and rename, so a failed
 * write never leaves a half-written output under the final name. */
int tool_write_file(const char *path, const uint8_t *data, size_t len);

#endif /* TOOL_H */
