/*
 * tool_json.h - a small streaming JSON writer for the tool's --json output.
 *
 * Values are written in order; the writer tracks nesting and commas and
 * escapes strings. Keys are given for members of objects and are NULL for
 * array elements. Output is indented with two spaces per level, ends with a
 * newline, and is meant for scripts (jq, python -m json.tool).
 */
#ifndef TOOL_JSON_H
#define TOOL_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define TOOL_JSON_MAX_DEPTH 16

typedef struct tool_json {
    FILE *f;
    int depth;
    bool first[TOOL_JSON_MAX_DEPTH]; /* no member written yet at this level */
} tool_json_t;

void tool_json_init(tool_json_t *j, FILE *f);
void tool_json_begin_obj(tool_json_t *j, const char *key);
void tool_json_end_obj(tool_json_t *j);
void tool_json_begin_arr(tool_json_t *j, const char *key);
void tool_json_end_arr(tool_json_t *j);
void tool_json_str(tool_json_t *j, const char *key, const char *val);
/* A string of exactly len bytes (may contain NUL, escaped as \u0000). */
void tool_json_strn(tool_json_t *j, const char *key, const char *val,
                    size_t len);
void tool_json_uint(tool_json_t *j, const char *key, uint64_t val);
void tool_json_int(tool_json_t *j, const char *key, int64_t val);
void tool_json_bool(tool_json_t *j, const char *key, bool val);
void tool_json_null(tool_json_t *j, const char *key);

#endif /* TOOL_JSON_H */
