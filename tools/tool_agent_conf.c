/*
 * tool_agent_conf.c - config file and journal helpers of `fota agent`
 * (see tool_agent_conf.h).
 */
#define _GNU_SOURCE
#include "tool_agent_conf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const s_target_keys[] = {
    "target", "spi", "nrst", "cs-gpio", "boot0", "hz", "no-cs",
};

static bool is_target_key(const char *k)
{
    for (size_t i = 0; i < sizeof s_target_keys / sizeof s_target_keys[0]; i++)
        if (strcmp(k, s_target_keys[i]) == 0)
            return true;
    return false;
}

static const tool_opt_t *find_opt(const tool_opt_t *opts, size_t nopts,
                                  const char *name)
{
    for (size_t i = 0; i < nopts; i++)
        if (opts[i].long_name != NULL && strcmp(opts[i].long_name, name) == 0)
            return &opts[i];
    return NULL;
}

static char *trim(char *s)
{
    char *e;

    while (*s == ' ' || *s == '\t')
        s++;
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
        *--e = '\0';
    return s;
}

/* Does argv[1..] choose the target? */
static bool cli_picks_target(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];

        if (strcmp(a, "--") == 0)
            break;
        if (strcmp(a, "-t") == 0 || strncmp(a, "--target", 8) == 0 ||
            strncmp(a, "--spi", 5) == 0)
            return true;
    }
    return false;
}

static int read_file(const char *prog, const char *path, char **text)
{
    FILE *f = fopen(path, "r");
    long n;

    if (f == NULL) {
        fprintf(stderr, "%s: --config %s: %s\n", prog, path, strerror(errno));
        return TOOL_EXIT_USAGE;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || n > 65536 ||
        fseek(f, 0, SEEK_SET) != 0) {
        fprintf(stderr,
                "%s: --config %s: not a regular file of at most 64 KiB\n", prog,
                path);
        fclose(f);
        return TOOL_EXIT_USAGE;
    }
    *text = malloc((size_t)n + 1);
    if (*text == NULL || fread(*text, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "%s: --config %s: read failed\n", prog, path);
        fclose(f);
        free(*text);
        *text = NULL;
        return TOOL_EXIT_USAGE;
    }
    (*text)[n] = '\0';
    fclose(f);
    if (memchr(*text, '\0', (size_t)n) != NULL) {
        fprintf(stderr, "%s: --config %s: contains a NUL byte\n", prog, path);
        free(*text);
        *text = NULL;
        return TOOL_EXIT_USAGE;
    }
    return 0;
}

static int parse_bool(const char *v, bool *out)
{
    static const char *const yes[] = {"true", "yes", "1", "on"};
    static const char *const no[] = {"false", "no", "0", "off"};

    for (size_t i = 0; i < 4; i++) {
        if (strcmp(v, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcmp(v, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return -1;
}

int tool_agent_conf_expand(const char *prog, int argc, char **argv,
                           const tool_opt_t *opts, size_t nopts,
                           tool_agent_conf_t *out)
{
    const char *path = NULL;
    char *line, *next;
    char **nv, *wp;
    int n = 1, lineno = 0;
    bool skip_target;
    char seen[64][32];
    size_t nseen = 0;

    memset(out, 0, sizeof *out);
    out->argc = argc;
    out->argv = argv;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if (strcmp(argv[i], "--config") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "%s: --config needs a file\n", prog);
                return TOOL_EXIT_USAGE;
            }
            path = argv[i + 1];
        } else if (strncmp(argv[i], "--config=", 9) == 0) {
            path = argv[i] + 9;
        }
    }
    if (path == NULL)
        return 0;
    if (read_file(prog, path, &out->text) != 0)
        return TOOL_EXIT_USAGE;
    /* At most two words per line, plus the command line. */
    nv = calloc((size_t)argc + 2u * (strlen(out->text) / 2u + 1u) + 1u,
                sizeof *nv);
    if (nv == NULL) {
        free(out->text);
        out->text = NULL;
        return TOOL_EXIT_FAIL;
    }
    out->words = malloc(2u * strlen(out->text) + 3u);
    if (out->words == NULL) {
        free(nv);
        free(out->text);
        out->text = NULL;
        return TOOL_EXIT_FAIL;
    }
    wp = out->words;
    nv[0] = argv[0];
    skip_target = cli_picks_target(argc, argv);
    for (line = out->text; line != NULL; line = next) {
        const tool_opt_t *o;
        char *eq, *key, *val;

        next = strchr(line, '\n');
        if (next != NULL)
            *next++ = '\0';
        lineno++;
        line = trim(line);
        if (*line == '\0' || *line == '#')
            continue;
        eq = strchr(line, '=');
        if (eq == NULL) {
            fprintf(stderr, "%s: %s:%d: expected key=value, got '%s'\n", prog,
                    path, lineno, line);
            goto bad;
        }
        *eq = '\0';
        key = trim(line);
        val = trim(eq + 1);
        if (val[0] == '"') {
            size_t l = strlen(val);

            if (l < 2 || val[l - 1] != '"') {
                fprintf(stderr, "%s: %s:%d: %s: unterminated quote\n", prog,
                        path, lineno, key);
                goto bad;
            }
            val[l - 1] = '\0';
            val++;
        }
        o = find_opt(opts, nopts, key);
        if (o == NULL || strcmp(key, "config") == 0) {
            fprintf(stderr, "%s: %s:%d: unknown key '%s'%s\n", prog, path,
                    lineno, key,
                    o != NULL ? " (a config file cannot name another)"
                              : " (keys are the long option names)");
            goto bad;
        }
        for (size_t i = 0; i < nseen; i++)
            if (strcmp(seen[i], key) == 0) {
                fprintf(stderr, "%s: %s:%d: '%s' given twice\n", prog, path,
                        lineno, key);
                goto bad;
            }
        if (nseen < sizeof seen / sizeof seen[0] &&
            strlen(key) < sizeof seen[0])
            strcpy(seen[nseen++], key);
        if (skip_target && is_target_key(key))
            continue;
        if (o->flag != NULL) {
            bool on;

            if (parse_bool(val, &on) != 0) {
                fprintf(stderr,
                        "%s: %s:%d: %s: expected true or false, got '%s'\n",
                        prog, path, lineno, key, val);
                goto bad;
            }
            if (!on)
                continue;
        } else if (*val == '\0') {
            fprintf(stderr,
                    "%s: %s:%d: %s: empty value (comment the line out "
                    "instead)\n",
                    prog, path, lineno, key);
            goto bad;
        }
        /* "--key" goes into words (room for every line's key, checked
         * by construction: each key is shorter than its line). */
        wp[0] = '-';
        wp[1] = '-';
        strcpy(wp + 2, key);
        nv[n++] = wp;
        wp += strlen(key) + 3;
        if (o->flag == NULL)
            nv[n++] = val;
    }
    for (int i = 1; i < argc; i++)
        nv[n++] = argv[i];
    nv[n] = NULL;
    out->argc = n;
    out->argv = nv;
    out->owned = true;
    return 0;
bad:
    out->argc = n;
    out->argv = nv;
    out->owned = true;
    tool_agent_conf_free(out);
    return TOOL_EXIT_USAGE;
}

void tool_agent_conf_free(tool_agent_conf_t *c)
{
    if (c->owned)
        free(c->argv);
    free(c->text);
    free(c->words);
    memset(c, 0, sizeof *c);
}

bool tool_journal_stderr(void)
{
    const char *js = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat st;

    if (js == NULL || sscanf(js, "%llu:%llu", &dev, &ino) != 2)
        return false;
    if (fstat(2, &st) != 0)
        return false;
    return (unsigned long long)st.st_dev == dev &&
           (unsigned long long)st.st_ino == ino;
}

const char *tool_journal_prefix(int prio)
{
    static int journal = -1;
    static const char *const p[8] = {"<0>", "<1>", "<2>", "<3>",
                                     "<4>", "<5>", "<6>", "<7>"};

    if (journal < 0)
        journal = tool_journal_stderr() ? 1 : 0;
    if (!journal || prio < 0 || prio > 7)
        return "";
    return p[prio];
}
