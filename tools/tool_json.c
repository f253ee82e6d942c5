/*
 * tool_json.c - streaming JSON writer (see tool_json.h).
 */
#include "tool_json.h"

#include <inttypes.h>
#include <string.h>

void tool_json_init(tool_json_t *j, FILE *f)
{
    j->f = f;
    j->depth = 0;
    j->first[0] = true;
}

static void put_escaped(FILE *f, const char *s, size_t len)
{
    fputc('"', f);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"':
            fputs("\\\"", f);
            break;
        case '\\':
            fputs("\\\\", f);
            break;
        case '\n':
            fputs("\\n", f);
            break;
        case '\r':
            fputs("\\r", f);
            break;
        case '\t':
            fputs("\\t", f);
            break;
        default:
            /* Control characters and non-ASCII bytes are escaped, so the
             * output is valid JSON whatever bytes a header holds. */
            if (c < 0x20 || c >= 0x7F)
                fprintf(f, "\\u%04x", c);
            else
                fputc(c, f);
            break;
        }
    }
    fputc('"', f);
}

/* Comma, newline, indentation and key before any value. */
static void member(tool_json_t *j, const char *key)
{
    if (j->depth > 0) {
        if (!j->first[j->depth])
            fputc(',', j->f);
        fputc('\n', j->f);
        for (int i = 0; i < j->depth; i++)
            fputs("  ", j->f);
    }
    j->first[j->depth] = false;
    if (key != NULL) {
        put_escaped(j->f, key, strlen(key));
        fputs(": ", j->f);
    }
}

static void open_level(tool_json_t *j, const char *key, char c)
{
    member(j, key);
    fputc(c, j->f);
    if (j->depth + 1 < TOOL_JSON_MAX_DEPTH)
        j->depth++;
    j->first[j->depth] = true;
}

static void close_level(tool_json_t *j, char c)
{
    bool empty = j->first[j->depth];

    if (j->depth > 0)
        j->depth--;
    if (!empty) {
        fputc('\n', j->f);
        for (int i = 0; i < j->depth; i++)
            fputs("  ", j->f);
    }
    fputc(c, j->f);
    if (j->depth == 0)
        fputc('\n', j->f);
}

void tool_json_begin_obj(tool_json_t *j, const char *key)
{
    open_level(j, key, '{');
}

void tool_json_end_obj(tool_json_t *j)
{
    close_level(j, '}');
}

void tool_json_begin_arr(tool_json_t *j, const char *key)
{
    open_level(j, key, '[');
}

void tool_json_end_arr(tool_json_t *j)
{
    close_level(j, ']');
}

void tool_json_str(tool_json_t *j, const char *key, const char *val)
{
    member(j, key);
    put_escaped(j->f, val, strlen(val));
}

void tool_json_strn(tool_json_t *j, const char *key, const char *val,
                    size_t len)
{
    member(j, key);
    put_escaped(j->f, val, len);
}

void tool_json_uint(tool_json_t *j, const char *key, uint64_t val)
{
    member(j, key);
    fprintf(j->f, "%" PRIu64, val);
}

void tool_json_int(tool_json_t *j, const char *key, int64_t val)
{
    member(j, key);
    fprintf(j->f, "%" PRId64, val);
}

void tool_json_bool(tool_json_t *j, const char *key, bool val)
{
    member(j, key);
    fputs(val ? "true" : "false", j->f);
}

void tool_json_null(tool_json_t *j, const char *key)
{
    member(j, key);
    fputs("null", j->f);
}
