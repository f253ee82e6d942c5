/*
 * tool_cmd_fleet.c - `fota fleet status|watch`: read the devices' reports
 * (<prefix>/reports/<device-id>.json, ListObjectsV2 with pagination),
 * count them per release (with the devices that rejected it and the
 * median and longest time of each update phase), and halt a rollout on
 * AWS IoT Jobs-style abort criteria ("rolled_back+failed > 5% after 20").
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "agent_manifest.h"
#include "agent_update.h"
#include "fota/fota_ed25519.h"
#include "fota/fota_err.h"
#include "tool.h"
#include "tool_json.h"
#include "tool_release.h"

#define VERSIONS_MAX 32

enum { C_UPDATED, C_ROLLED_BACK, C_FAILED, C_PENDING, C_COUNT };
static const char *const s_cname[C_COUNT] = {"updated", "rolled_back", "failed",
                                             "pending"};

typedef struct ver_count {
    char version[32];
    unsigned devices;
    unsigned c[C_COUNT];
    unsigned rejected_by; /* reports listing it under "rejected" */
    /* phase_ms of its finished updates (updated or rolled back), one
     * array per enum agent_upd_time, ntimed entries each */
    uint32_t *ms[AGENT_TIME_COUNT];
    unsigned ntimed, cap;
} ver_count_t;

typedef struct fleet {
    const tool_s3_t *s3;
    ver_count_t v[VERSIONS_MAX];
    unsigned nv;
    unsigned reports, unreadable;
    char err[400];
} fleet_t;

/* The string value of "name":"..." in a report, or "" (null or absent). */
static void report_str(const char *body, const char *name, char *out,
                       size_t size)
{
    char pat[48];
    const char *p, *e;

    out[0] = '\0';
    snprintf(pat, sizeof pat, "\"%s\":\"", name);
    p = strstr(body, pat);
    if (p == NULL)
        return;
    p += strlen(pat);
    e = strchr(p, '"');
    if (e == NULL || (size_t)(e - p) >= size)
        return;
    memcpy(out, p, (size_t)(e - p));
    out[e - p] = '\0';
}

static ver_count_t *ver_slot(fleet_t *f, const char *version)
{
    for (unsigned i = 0; i < f->nv; i++)
        if (strcmp(f->v[i].version, version) == 0)
            return &f->v[i];
    if (f->nv == VERSIONS_MAX)
        return NULL;
    snprintf(f->v[f->nv].version, sizeof f->v[f->nv].version, "%s", version);
    return &f->v[f->nv++];
}

/* Each version string of the report's "rejected" array, given to
 * ver_slot(); stops at the first malformed entry. */
static void count_rejected(fleet_t *f, const char *body)
{
    const char *p = strstr(body, "\"rejected\":[");
    char ver[32];

    if (p == NULL)
        return;
    p += strlen("\"rejected\":[");
    while (*p == '"') {
        const char *e = strchr(p + 1, '"');
        ver_count_t *v;

        if (e == NULL || (size_t)(e - p - 1) >= sizeof ver)
            return;
        memcpy(ver, p + 1, (size_t)(e - p - 1));
        ver[e - p - 1] = '\0';
        v = ver_slot(f, ver);
        if (v != NULL)
            v->rejected_by++;
        p = e + 1;
        if (*p != ',')
            return;
        p++;
    }
}

/* The report's "phase_ms":{"check":N,...}: true with every phase read. */
static bool report_phase_ms(const char *body, uint32_t ms[AGENT_TIME_COUNT])
{
    const char *p = strstr(body, "\"phase_ms\":{");
    const char *end;

    if (p == NULL)
        return false;
    p += strlen("\"phase_ms\":");
    end = strchr(p, '}');
    if (end == NULL)
        return false;
    for (int t = 0; t < AGENT_TIME_COUNT; t++) {
        char pat[24];
        const char *q;
        char *e;
        unsigned long n;

        snprintf(pat, sizeof pat, "\"%s\":", agent_update_time_name(t));
        q = strstr(p, pat);
        if (q == NULL || q > end)
            return false;
        q += strlen(pat);
        if (*q < '0' || *q > '9')
            return false;
        n = strtoul(q, &e, 10);
        if (e > end || n > UINT32_MAX)
            return false;
        ms[t] = (uint32_t)n;
    }
    return true;
}

static void add_times(ver_count_t *v, const uint32_t ms[AGENT_TIME_COUNT])
{
    if (v->ntimed == v->cap) {
        unsigned cap = v->cap ? 2 * v->cap : 16;

        for (int t = 0; t < AGENT_TIME_COUNT; t++) {
            uint32_t *n = realloc(v->ms[t], cap * sizeof *n);
            if (n == NULL)
                return; /* counted, not timed */
            v->ms[t] = n;
        }
        v->cap = cap;
    }
    for (int t = 0; t < AGENT_TIME_COUNT; t++)
        v->ms[t][v->ntimed] = ms[t];
    v->ntimed++;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return (x > y) - (x < y);
}

/* Sort each phase's times; p50 is the lower median. */
static void phase_stats(ver_count_t *v, int t, uint32_t *p50, uint32_t *max)
{
    qsort(v->ms[t], v->ntimed, sizeof v->ms[t][0], cmp_u32);
    *p50 = v->ms[t][(v->ntimed - 1) / 2];
    *max = v->ms[t][v->ntimed - 1];
}

static void fleet_free(fleet_t *f)
{
    if (f == NULL)
        return;
    for (unsigned i = 0; i < f->nv; i++)
        for (int t = 0; t < AGENT_TIME_COUNT; t++)
            free(f->v[i].ms[t]);
    free(f);
}

/* One report: counted under the release it was about (target_version,
 * else the version it runs). */
static int on_key(void *ctx, const char *key)
{
    fleet_t *f = ctx;
    tool_s3_result_t res;
    uint8_t *body = NULL;
    size_t len = 0;
    char state[24], target[32], running[32];
    uint32_t ms[AGENT_TIME_COUNT];
    bool timed;
    ver_count_t *v;
    int c;

    if (strlen(key) < 5 || strcmp(key + strlen(key) - 5, ".json") != 0)
        return 0;
    if (tool_s3_get(f->s3, key, 16384, &body, &len, &res) != 0) {
        f->unreadable++;
        return 0;
    }
    f->reports++;
    report_str((const char *)body, "state", state, sizeof state);
    report_str((const char *)body, "target_version", target, sizeof target);
    report_str((const char *)body, "running_version", running, sizeof running);
    timed = report_phase_ms((const char *)body, ms);
    count_rejected(f, (const char *)body);
    free(body);
    v = ver_slot(f, target[0] ? target : running[0] ? running : "none");
    if (v == NULL)
        return 0;
    v->devices++;
    c = strcmp(state, "updated") == 0       ? C_UPDATED
        : strcmp(state, "rolled_back") == 0 ? C_ROLLED_BACK
        : strcmp(state, "error") == 0       ? C_FAILED
                                            : C_PENDING;
    v->c[c]++;
    if (timed && (c == C_UPDATED || c == C_ROLLED_BACK))
        add_times(v, ms);
    return 0;
}

/* Common options and the listing; returns 0 with f filled. */
typedef struct fleet_args {
    const char *endpoint, *bucket, *prefix_s, *region, *page_s, *mkey, *halt_if;
    bool json, help;
    char prefix[512];
    char ep[512];
    tool_s3_t s3;
    unsigned pages;
} fleet_args_t;

static int fleet_list(const char *name, fleet_args_t *a, fleet_t *f)
{
    char err[400], list_prefix[600];
    uint32_t page = 1000;
    tool_s3_result_t res;
    size_t n;

    if (a->bucket == NULL || a->prefix_s == NULL) {
        fprintf(stderr,
                "fota fleet %s: need --bucket and --prefix (see --help)\n",
                name);
        return TOOL_EXIT_USAGE;
    }
    while (*a->prefix_s == '/')
        a->prefix_s++;
    snprintf(a->prefix, sizeof a->prefix, "%s", a->prefix_s);
    n = strlen(a->prefix);
    while (n > 0 && a->prefix[n - 1] == '/')
        a->prefix[--n] = '\0';
    if (a->page_s != NULL &&
        (tool_parse_u32(a->page_s, &page) != 0 || page == 0 || page > 1000)) {
        fprintf(stderr, "fota fleet %s: --page-size must be 1..1000\n", name);
        return TOOL_EXIT_USAGE;
    }
    if (tool_s3_from_env(&a->s3, a->endpoint, a->bucket, a->region, false,
                         a->ep, sizeof a->ep, err, sizeof err) != 0) {
        fprintf(stderr, "fota fleet %s: %s\n", name, err);
        return TOOL_EXIT_FAIL;
    }
    memset(f, 0, sizeof *f);
    f->s3 = &a->s3;
    snprintf(list_prefix, sizeof list_prefix, "%s/reports/", a->prefix);
    if (tool_s3_list(&a->s3, list_prefix, page, on_key, f, &a->pages, &res) !=
        0) {
        fprintf(stderr, "fota fleet %s: listing %s failed: %s\n", name,
                list_prefix, res.message);
        return TOOL_EXIT_FAIL;
    }
    return 0;
}

static void print_counts(fleet_t *f, const fleet_args_t *a)
{
    uint32_t p50, max;

    if (a->json) {
        tool_json_t j;

        tool_json_init(&j, stdout);
        tool_json_begin_obj(&j, NULL);
        tool_json_uint(&j, "reports", f->reports);
        tool_json_uint(&j, "unreadable", f->unreadable);
        tool_json_uint(&j, "list_pages", a->pages);
        tool_json_begin_arr(&j, "versions");
        for (unsigned i = 0; i < f->nv; i++) {
            tool_json_begin_obj(&j, NULL);
            tool_json_str(&j, "version", f->v[i].version);
            tool_json_uint(&j, "devices", f->v[i].devices);
            for (int c = 0; c < C_COUNT; c++)
                tool_json_uint(&j, s_cname[c], f->v[i].c[c]);
            tool_json_uint(&j, "rejected_by", f->v[i].rejected_by);
            tool_json_begin_obj(&j, "phase_ms");
            tool_json_uint(&j, "timed", f->v[i].ntimed);
            for (int t = 0; f->v[i].ntimed && t < AGENT_TIME_COUNT; t++) {
                phase_stats(&f->v[i], t, &p50, &max);
                tool_json_begin_obj(&j, agent_update_time_name(t));
                tool_json_uint(&j, "p50", p50);
                tool_json_uint(&j, "max", max);
                tool_json_end_obj(&j);
            }
            tool_json_end_obj(&j);
            tool_json_end_obj(&j);
        }
        tool_json_end_arr(&j);
        tool_json_end_obj(&j);
        return;
    }
    printf("fleet: reports=%u unreadable=%u list_pages=%u\n", f->reports,
           f->unreadable, a->pages);
    for (unsigned i = 0; i < f->nv; i++) {
        printf("fleet: version=%s devices=%u updated=%u rolled_back=%u "
               "failed=%u pending=%u rejected_by=%u\n",
               f->v[i].version, f->v[i].devices, f->v[i].c[C_UPDATED],
               f->v[i].c[C_ROLLED_BACK], f->v[i].c[C_FAILED],
               f->v[i].c[C_PENDING], f->v[i].rejected_by);
        if (f->v[i].ntimed == 0)
            continue;
        printf("fleet_times: version=%s timed=%u", f->v[i].version,
               f->v[i].ntimed);
        for (int t = 0; t < AGENT_TIME_COUNT; t++) {
            phase_stats(&f->v[i], t, &p50, &max);
            printf(" %s_ms_p50=%u %s_ms_max=%u", agent_update_time_name(t), p50,
                   agent_update_time_name(t), max);
        }
        printf("\n");
    }
}

static int parse_common(const char *name, int argc, char **argv,
                        fleet_args_t *a, bool watch)
{
    const tool_opt_t opts[] = {
        {"endpoint", 0, &a->endpoint, NULL},
        {"bucket", 0, &a->bucket, NULL},
        {"prefix", 0, &a->prefix_s, NULL},
        {"region", 0, &a->region, NULL},
        {"page-size", 0, &a->page_s, NULL},
        {"json", 'j', NULL, &a->json},
        {"halt-if", 0, &a->halt_if, NULL},
        {"manifest-key", 0, &a->mkey, NULL},
    };
    const char *pos[1];
    size_t npos;
    char full[32];

    snprintf(full, sizeof full, "fota fleet %s", name);
    if (tool_parse_args(full, argc, argv, opts,
                        sizeof opts / sizeof opts[0] - (watch ? 0 : 2), pos, 0,
                        &npos, &a->help) != 0)
        return TOOL_EXIT_USAGE;
    return 0;
}

static int cmd_status(int argc, char **argv)
{
    fleet_args_t a = {0};
    fleet_t *f;
    int rc = parse_common("status", argc, argv, &a, false);

    if (rc != 0)
        return rc;
    if (a.help) {
        printf("usage: fota fleet status --bucket B --prefix P [--endpoint "
               "URL] [--region R]\n"
               "                         [--page-size N] [--json]\n\n"
               "List <prefix>/reports/ (ListObjectsV2, N keys a page, default "
               "1000),\n"
               "read every report and print per release: devices, updated, "
               "rolled\n"
               "back, failed (state error), pending (any other state) and the "
               "devices\n"
               "that rejected it; then the median and longest time of each "
               "update\n"
               "phase (check, download, flash, trial) of its finished "
               "updates.\n");
        return TOOL_EXIT_OK;
    }
    f = calloc(1, sizeof *f);
    if (f == NULL || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        free(f);
        return TOOL_EXIT_FAIL;
    }
    rc = fleet_list("status", &a, f);
    if (rc == 0)
        print_counts(f, &a);
    curl_global_cleanup();
    fleet_free(f);
    return rc;
}

/* "a+b > 5% after 20" / ">= 3 after 0": the sum of the named counts of
 * the current release compared with a count or a percentage of its
 * finished devices (updated + rolled back + failed), once at least the
 * "after" number of them finished. */
typedef struct criterion {
    bool term[C_COUNT];
    bool ge, percent;
    double limit;
    unsigned after;
} criterion_t;

static int parse_criterion(const char *s, criterion_t *c)
{
    char buf[128], *p, *tok, *save = NULL;
    char cmp[3] = "", lim[32] = "";
    unsigned after = 0;
    int n = 0;

    memset(c, 0, sizeof *c);
    if (strlen(s) >= sizeof buf)
        return -1;
    snprintf(buf, sizeof buf, "%s", s);
    p = strpbrk(buf, "<>");
    if (p == NULL || *p == '<')
        return -1;
    *p = '\0';
    if (sscanf(p + 1, "%2[=]%n", cmp, &n) == 1)
        c->ge = true;
    if (sscanf(p + 1 + n, " %31[0-9.%] after %u", lim, &after) < 1)
        return -1;
    c->after = after;
    c->percent = strchr(lim, '%') != NULL;
    c->limit = strtod(lim, NULL);
    for (tok = strtok_r(buf, "+ ", &save); tok != NULL;
         tok = strtok_r(NULL, "+ ", &save)) {
        int k;
        for (k = 0; k < C_COUNT && strcmp(tok, s_cname[k]) != 0; k++)
            ;
        if (k == C_COUNT)
            return -1;
        c->term[k] = true;
    }
    for (int k = 0; k < C_COUNT; k++)
        if (c->term[k])
            return 0;
    return -1;
}

static int cmd_watch(int argc, char **argv)
{
    static uint64_t arena[AGENT_MANIFEST_ARENA_SIZE / sizeof(uint64_t)];
    fleet_args_t a = {0};
    criterion_t crit;
    fleet_t *f = NULL;
    agent_manifest_t m;
    tool_s3_result_t res;
    uint8_t *body = NULL, seed[FOTA_ED25519_SEED_SIZE];
    size_t len = 0;
    char key[600], msg[400];
    const ver_count_t *v = NULL;
    unsigned sum = 0, finished;
    double value;
    bool hit;
    int rc = parse_common("watch", argc, argv, &a, true);

    if (rc != 0)
        return rc;
    if (a.help) {
        printf(
            "usage: fota fleet watch --bucket B --prefix P --halt-if EXPR\n"
            "                        [--manifest-key SEED] [--endpoint URL] "
            "[--region R]\n\n"
            "Count the reports of the release the manifest names (as fleet "
            "status)\n"
            "and halt its rollout when EXPR holds, e.g.\n"
            "  --halt-if 'rolled_back+failed > 5%% after 20'\n"
            "(terms: updated, rolled_back, failed, pending; > or >=; a count "
            "or a\n"
            "percentage of the finished devices; 'after N': only once N "
            "devices\n"
            "finished). Runs once (cron, CI). Halting republishes the "
            "manifest\n"
            "signed with --manifest-key. Exit 0 whether or not it halted.\n");
        return TOOL_EXIT_OK;
    }
    if (a.halt_if == NULL || parse_criterion(a.halt_if, &crit) != 0) {
        fprintf(stderr, "fota fleet watch: need --halt-if 'TERM[+TERM] > N[%%] "
                        "[after M]'\n");
        return TOOL_EXIT_USAGE;
    }
    if (a.mkey != NULL && tool_key_load_seed(a.mkey, seed) != 0)
        return TOOL_EXIT_FAIL;
    f = calloc(1, sizeof *f);
    if (f == NULL || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        free(f);
        return TOOL_EXIT_FAIL;
    }
    rc = fleet_list("watch", &a, f);
    if (rc != 0)
        goto out;
    rc = TOOL_EXIT_FAIL;
    tool_release_manifest_key(a.prefix, key, sizeof key);
    if (tool_s3_get(&a.s3, key, AGENT_MANIFEST_TEXT_MAX, &body, &len, &res) !=
            0 ||
        agent_manifest_parse((const char *)body, len, arena, sizeof arena,
                             &m) != 0) {
        fprintf(stderr, "fota fleet watch: cannot read %s: %s\n", key,
                res.message[0] ? res.message : m.error);
        goto out;
    }
    for (unsigned i = 0; i < f->nv; i++)
        if (strcmp(f->v[i].version, m.version_str) == 0)
            v = &f->v[i];
    finished = v ? v->c[C_UPDATED] + v->c[C_ROLLED_BACK] + v->c[C_FAILED] : 0;
    for (int k = 0; v && k < C_COUNT; k++)
        sum += crit.term[k] ? v->c[k] : 0;
    value =
        crit.percent ? (finished ? 100.0 * sum / finished : 0.0) : (double)sum;
    hit = finished >= crit.after &&
          (crit.ge ? value >= crit.limit : value > crit.limit);
    printf("fleet watch: %s: %u of %u finished devices (%.1f%%) match '%s'%s\n",
           m.version_str, sum, finished,
           finished ? 100.0 * sum / finished : 0.0, a.halt_if,
           finished < crit.after ? ": too few finished yet" : "");
    rc = TOOL_EXIT_OK;
    if (!hit) {
        printf("fleet watch: rollout of %s continues\n", m.version_str);
    } else if (m.halted) {
        printf(
            "fleet watch: criterion met; the rollout of %s is already halted\n",
            m.version_str);
    } else {
        if (tool_release_set_rollout(&a.s3, a.prefix, TOOL_ROLLOUT_HALT, 0, 0,
                                     a.mkey ? seed : NULL, 30u * 86400u, msg,
                                     sizeof msg) != 0) {
            fprintf(stderr,
                    "fota fleet watch: criterion met but halting failed: %s\n",
                    msg);
            rc = TOOL_EXIT_FAIL;
        } else {
            printf("fleet watch: criterion met: %s\n", msg);
        }
    }
out:
    free(body);
    curl_global_cleanup();
    fleet_free(f);
    return rc;
}

static const tool_cmd_t s_fleet_cmds[] = {
    {"status", "count the devices' reports per release", cmd_status},
    {"watch", "halt the rollout when an abort criterion holds", cmd_watch},
};

int tool_cmd_fleet(int argc, char **argv)
{
    return tool_dispatch(
        "fota fleet", "Read the fleet's reports and act on them.", s_fleet_cmds,
        sizeof s_fleet_cmds / sizeof s_fleet_cmds[0], argc, argv);
}
