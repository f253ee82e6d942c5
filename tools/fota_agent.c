/*
 * fota_agent.c - `fota agent`: the update agent on a Linux host, with the
 * libcurl HTTP port, file storage and (by default) the simulated target.
 *
 *   fota agent --endpoint URL --bucket B [--prefix P] --device-id ID
 *              [--once | --interval S [--cycles N]] [--state-dir DIR]
 *              [--access-key K --secret-key S | AWS_* environment]
 *              [--target sim:FILE|board:SOCK | --spi ...] [--observe-ms N]
 *              [--json] [--quiet]
 *              [--config FILE]   (key=value options; the command line wins)
 *              [--gateway-product P [--gateway-dir DIR]
 *               [--gateway-version V] [--gateway-attempts N]]
 *   fota agent sim-install --flash FILE --slot a|b IMAGE
 *   fota agent sim-status --flash FILE [--json]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent_clock_linux.h"
#include "agent_gateway.h"
#include "agent_gw_file.h"
#include "agent_http_curl.h"
#include "agent_sim_target.h"
#include "agent_storage_file.h"
#include "agent_update.h"
#include "fota/fota_err.h"
#include "fota/fota_layout.h"
#include "tool.h"
#include "tool_agent_conf.h"
#include "tool_target.h"

int tool_cmd_agent(int argc, char **argv);

/* ---- host ports ---------------------------------------------------------------- */

/* The update flow's clock: the Linux port's (CLOCK_MONOTONIC, nanosleep). */
static agent_clock_linux_t s_clock;

/* FOTA_AGENT_CLOCK_OFFSET_S (seconds, may be negative) shifts the UTC the
 * agent believes in: a device with a wrong clock, for tests and
 * diagnosis of RequestTimeTooSkewed. */
static int host_utc(agent_utc_t *self, uint64_t *unix_s)
{
    const char *off = getenv("FOTA_AGENT_CLOCK_OFFSET_S");

    (void)self;
    *unix_s =
        (uint64_t)((int64_t)time(NULL) + (off ? strtoll(off, NULL, 10) : 0));
    return 0;
}

static const agent_utc_ops_t s_utc_ops = {host_utc};
static agent_utc_t s_utc = {&s_utc_ops};

static bool s_verbose;
static bool s_quiet;

static void host_log(agent_log_t *self, int level, const char *msg)
{
    (void)self;
    if (level <= AGENT_LOG_WARN || (s_verbose && !s_quiet))
        fprintf(stderr, "%sagent: %s\n",
                tool_journal_prefix(level <= AGENT_LOG_ERROR  ? 3
                                    : level <= AGENT_LOG_WARN ? 4
                                    : level <= AGENT_LOG_INFO ? 6
                                                              : 7),
                msg);
}

static const agent_log_ops_t s_log_ops = {host_log};
static agent_log_t s_log = {&s_log_ops};

/* ---- progress display ----------------------------------------------------------- */

typedef struct ui {
    bool tty;
    int last_ev;
    uint32_t last_pct;
} ui_t;

static void ui_bar(ui_t *ui, const char *what, uint32_t done, uint32_t total)
{
    uint32_t pct = total ? (uint32_t)((uint64_t)done * 100u / total) : 100u;

    if (ui->tty) {
        char bar[41];
        uint32_t fill = pct * 40u / 100u;

        for (uint32_t i = 0; i < 40; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[40] = '\0';
        fprintf(stderr, "\r%-9s [%s] %3u%% %u/%u bytes", what, bar, pct, done,
                total);
        if (done >= total)
            fputc('\n', stderr);
        fflush(stderr);
    } else if (pct / 25u != ui->last_pct / 25u || done >= total ||
               ui->last_pct > pct) {
        /* Plain lines: every quarter. */
        fprintf(stderr, "%s%s: %u/%u bytes (%u%%)\n", tool_journal_prefix(6),
                what, done, total, pct);
    }
    ui->last_pct = pct;
}

static void ui_event(void *ctx, int ev, uint32_t done, uint32_t total)
{
    ui_t *ui = ctx;

    if (s_quiet)
        return;
    if (ev != ui->last_ev)
        ui->last_pct = 0;
    switch (ev) {
    case AGENT_EV_POLL:
        fprintf(stderr, "%spoll: manifest HTTP %u\n", tool_journal_prefix(6),
                done);
        break;
    case AGENT_EV_DOWNLOAD:
        ui_bar(ui, "download", done, total);
        break;
    case AGENT_EV_VERIFIED:
        fprintf(stderr, "%sverify: image SHA-256 and header OK (%u bytes)\n",
                tool_journal_prefix(6), total);
        break;
    case AGENT_EV_FLASH:
        ui_bar(ui, "flash", done, total);
        break;
    case AGENT_EV_COMMITTED:
        fprintf(stderr,
                "%scommit: image committed, target rebooted into its trial\n",
                tool_journal_prefix(5));
        break;
    case AGENT_EV_OUTCOME:
        fprintf(stderr, "%soutcome: %s\n", tool_journal_prefix(5),
                agent_update_outcome_name((int)done));
        break;
    default:
        break;
    }
    ui->last_ev = ev;
}

/* ---- sim-install / sim-status ---------------------------------------------------------- */

static int cmd_sim_install(int argc, char **argv)
{
    const char *flash = NULL, *slot_s = "a";
    const char *pos[1];
    size_t npos = 0;
    bool help = false;
    const tool_opt_t opts[] = {
        {"flash", 'f', &flash, NULL},
        {"slot", 's', &slot_s, NULL},
    };
    agent_sim_target_t *t;
    uint8_t *img = NULL;
    size_t len = 0;
    int slot, rc;

    rc = tool_parse_args("fota agent sim-install", argc, argv, opts, 2, pos, 1,
                         &npos, &help);
    if (rc)
        return rc;
    if (help || !flash || npos != 1) {
        fprintf(
            help ? stdout : stderr,
            "usage: fota agent sim-install --flash FILE [--slot a|b] IMAGE\n"
            "Factory-program IMAGE into a slot of the simulated target's flash "
            "file.\n");
        return help ? TOOL_EXIT_OK : TOOL_EXIT_USAGE;
    }
    slot = tool_parse_slot(slot_s);
    if (slot < 0)
        return TOOL_EXIT_USAGE;
    if (tool_read_file(pos[0], &img, &len) < 0)
        return TOOL_EXIT_FAIL;
    t = calloc(1, sizeof(*t));
    if (!t) {
        free(img);
        return TOOL_EXIT_FAIL;
    }
    rc = agent_sim_target_open(t, flash);
    if (rc == 0) {
        rc = agent_sim_target_install(t, slot, img, len);
        agent_sim_target_close(t);
    }
    free(t);
    free(img);
    if (rc < 0) {
        fprintf(stderr, "fota agent sim-install: %s\n", fota_strerror(rc));
        return TOOL_EXIT_FAIL;
    }
    return TOOL_EXIT_OK;
}

static int cmd_sim_status(int argc, char **argv)
{
    const char *flash = NULL;
    bool json = false, help = false;
    const tool_opt_t opts[] = {
        {"flash", 'f', &flash, NULL},
        {"json", 0, NULL, &json},
    };
    fota_version_t v;
    char vs[40];
    int slot, rc;

    const char *pos[1];
    size_t npos = 0;

    rc = tool_parse_args("fota agent sim-status", argc, argv, opts, 2, pos, 0,
                         &npos, &help);
    if (rc)
        return rc;
    if (help || !flash) {
        fprintf(help ? stdout : stderr,
                "usage: fota agent sim-status --flash FILE [--json]\n"
                "What a cold boot of the simulated target would run (the file "
                "is not changed);\n"
                "with --json also the erase count of every flash sector "
                "(\"erases\").\n");
        return help ? TOOL_EXIT_OK : TOOL_EXIT_USAGE;
    }
    rc = agent_sim_target_check_boot(flash, &slot, &v);
    tool_format_version(&v, vs, sizeof(vs));
    char wear_s[FOTA_FLASH_SECTORS * 12] = "";
    uint32_t wear[FOTA_FLASH_SECTORS];
    if (agent_sim_target_wear(flash, wear) == 0)
        for (int i = 0; i < FOTA_FLASH_SECTORS; i++)
            snprintf(wear_s + strlen(wear_s), sizeof(wear_s) - strlen(wear_s),
                     "%s%u", i ? "," : "", wear[i]);
    if (json)
        printf("{\"bootable\":%s,\"slot\":%s%s%s,\"version\":\"%s\",\"result\":"
               "\"%s\","
               "\"erases\":[%s]}\n",
               rc == 0 ? "true" : "false", rc == 0 ? "\"" : "",
               rc == 0 ? tool_slot_name(slot) : "null", rc == 0 ? "\"" : "",
               rc == 0 ? vs : "", fota_strerror(rc), wear_s);
    else if (rc == 0)
        printf("bootable: slot %s, version %s\n", tool_slot_name(slot), vs);
    else
        printf("not bootable: %s\n", fota_strerror(rc));
    return rc == 0 ? TOOL_EXIT_OK : TOOL_EXIT_FAIL;
}

/* ---- run ---------------------------------------------------------------------------- */

static void usage_run(FILE *out)
{
    fprintf(
        out,
        "usage: fota agent --endpoint URL --bucket B [--prefix P] --device-id "
        "ID\n"
        "                  [--once | --interval S [--cycles N]] [--state-dir "
        "DIR]\n"
        "                  [--access-key K --secret-key S] [--region R] "
        "[--no-report]\n"
        "                  [--target sim:<flash-file> | --spi DEV --nrst "
        "CHIP:LINE\n"
        "                   --cs-gpio CHIP:LINE [--boot0 CHIP:LINE] [--hz N] "
        "[--no-cs]]\n"
        "                  [--observe-ms N] [--checkpoint N] [--timeout-ms N]\n"
        "                  [--pubkey PUB] [--manifest-pubkey PUB] [--json] "
        "[--quiet]\n"
        "                  [--verbose] [--config FILE]\n"
        "                  [--gateway-product P [--gateway-dir DIR] "
        "[--gateway-version V]\n"
        "                   [--gateway-attempts N]]\n"
        "       fota agent sim-install --flash FILE [--slot a|b] IMAGE\n"
        "       fota agent sim-status --flash FILE [--json]\n"
        "Run the update agent: poll <prefix>/manifest.json, download, verify, "
        "flash,\n"
        "commit and observe the target. Credentials also come from "
        "AWS_ACCESS_KEY_ID,\n"
        "AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN and AWS_REGION; without any "
        "the\n"
        "requests are anonymous. Reports go to "
        "<prefix>/reports/<device-id>.json when\n"
        "credentials are set. The state directory keeps the staged image and "
        "the\n"
        "progress record, so a killed agent resumes. With --pubkey (an "
        "Ed25519\n"
        "public key from 'fota key pub') an image must carry a valid signature "
        "by\n"
        "that key or it is refused before anything is written to the target.\n"
        "With --manifest-pubkey (the release-manifest key's public half) a "
        "manifest\n"
        "must be signed by it, unexpired and not older than one accepted "
        "before.\n"
        "--config FILE reads options from FILE first (key=value lines, keys "
        "are\n"
        "the long option names, flags true/false; /etc/fota-agent.conf for "
        "the\n"
        "service); the command line overrides them. Under systemd "
        "(JOURNAL_STREAM)\n"
        "every log line carries its syslog priority (<3> error .. <7> debug).\n"
        "The agent learns the target's state from its running application "
        "(the\n"
        "fota_app library answers on SPI1) and resets nothing unless it "
        "installs:\n"
        "docs/agent.md lists the resets of one update.\n"
        "\n"
        "      --endpoint URL      S3 endpoint (http://host:port or "
        "https://...)\n"
        "      --bucket B          bucket holding the releases (path-style)\n"
        "      --prefix P          key prefix of manifest.json and the images\n"
        "      --device-id ID      rollout bucket and report name of this "
        "device\n"
        "      --once              one poll cycle (the default without "
        "--interval)\n"
        "      --interval S        poll every S seconds (+-10%% jitter)\n"
        "      --cycles N          stop after N cycles (with --interval)\n"
        "      --state-dir DIR     staged image and progress record\n"
        "                          (default fota-agent-state)\n"
        "      --access-key K      SigV4 access key (or AWS_ACCESS_KEY_ID)\n"
        "      --secret-key S      SigV4 secret key (or "
        "AWS_SECRET_ACCESS_KEY)\n"
        "      --region R          SigV4 region (or AWS_REGION; us-east-1)\n"
        "      --no-report         do not PUT reports/<device-id>.json\n"
        "      --observe-ms N      after a commit, ask the application every N "
        "ms of\n"
        "                          target time until the trial ends, within "
        "the\n"
        "                          image's confirm window per attempt (default "
        "500)\n"
        "      --checkpoint N      persist download progress every N bytes\n"
        "      --timeout-ms N      per HTTP call (default 10000)\n"
        "      --pubkey PUB        require an Ed25519 signature by this key\n"
        "      --manifest-pubkey PUB  require a signed, unexpired manifest not "
        "older\n"
        "                          than one accepted before (the manifest "
        "key)\n"
        "      --gateway-product P  update this gateway too: the manifest's "
        "gateway\n"
        "                          target for product P is installed into "
        "the other\n"
        "                          file-backed slot; the agent then exits "
        "with 75\n"
        "                          (restart me) and the next start must "
        "reach S3 and\n"
        "                          the target or, after the attempts, it "
        "rolls back\n"
        "      --gateway-dir DIR   the gateway's slots and boot record\n"
        "                          (default <state-dir>/gateway)\n"
        "      --gateway-version V  the factory version (no boot record "
        "yet; 1.0.0)\n"
        "      --gateway-attempts N  trial cycles before a rollback "
        "(default 3)\n"
        "      --json              summary as one JSON object\n"
        "      --config FILE       options from FILE first (the command line "
        "wins)\n"
        "  -q, --quiet             no progress lines\n"
        "  -v, --verbose           the agent's log lines\n"
        "  -h, --help              this help\n"
        "The target is the simulated one in fota-sim-flash.bin unless "
        "given:\n");
    tool_target_usage(out);
}

/* With json and more, the object is left open for print_gateway(). */
static void print_summary(const agent_update_t *u, const tool_target_t *t,
                          const agent_proto_t *proto, uint64_t wall_ms,
                          bool json, bool more)
{
    unsigned resets = (unsigned)agent_proto_target_resets(proto);
    const fota_status_t *st = &u->status;
    char run[40] = "none", slot[4] = "-";

    if (u->status_valid && st->active_slot < FOTA_SLOT_COUNT) {
        tool_format_version(&st->slot[st->active_slot].version, run,
                            sizeof(run));
        snprintf(slot, sizeof(slot), "%s", tool_slot_name(st->active_slot));
    }
    if (json) {
        printf(
            "{\"outcome\":\"%s\",\"error\":\"%s\",\"running_version\":\"%s\","
            "\"running_slot\":\"%s\",\"cycles\":%u,\"manifest_gets\":%u,"
            "\"not_modified\":%u,\"image_requests\":%u,\"image_bytes\":%u,"
            "\"resumes\":%u,\"restarts\":%u,\"flashes\":%u,\"reports\":%u,"
            "\"refused\":%u,\"target_resets\":%u,\"hw_time_ms\":%llu,\"wall_"
            "ms\":%llu%s",
            agent_update_outcome_name(u->outcome),
            u->last_error ? agent_update_strerror(u->last_error) : "none", run,
            slot, u->stats.cycles, u->stats.manifest_gets,
            u->stats.not_modified, u->stats.image_requests,
            u->stats.image_bytes, u->stats.resumes, u->stats.restarts,
            u->stats.flashes, u->stats.reports, u->stats.refused, resets,
            (unsigned long long)(tool_target_time_ns(t) / 1000000u),
            (unsigned long long)wall_ms, more ? "," : "}\n");
    } else {
        printf("%sagent: outcome=%s error=%s running=%s slot=%s cycles=%u "
               "manifest_gets=%u "
               "not_modified=%u image_requests=%u image_bytes=%u resumes=%u "
               "restarts=%u "
               "flashes=%u reports=%u refused=%u target_resets=%u "
               "hw_time_ms=%llu wall_ms=%llu\n",
               tool_journal_prefix(u->outcome == AGENT_OUT_ERROR ? 4 : 6),
               agent_update_outcome_name(u->outcome),
               u->last_error ? agent_update_strerror(u->last_error) : "none",
               run, slot, u->stats.cycles, u->stats.manifest_gets,
               u->stats.not_modified, u->stats.image_requests,
               u->stats.image_bytes, u->stats.resumes, u->stats.restarts,
               u->stats.flashes, u->stats.reports, u->stats.refused, resets,
               (unsigned long long)(tool_target_time_ns(t) / 1000000u),
               (unsigned long long)wall_ms);
    }
    fflush(stdout);
}

/* The gateway side of the run (--gateway-product), after the agent's: a
 * line of its own, or the last members of the JSON object. */
static void print_gateway(const agent_gateway_t *g, bool json)
{
    char run[40];

    tool_format_version(&g->info.running, run, sizeof(run));
    if (json)
        printf("\"gateway_outcome\":\"%s\",\"gateway_running\":\"%s\","
               "\"gateway_pending\":%s,\"gateway_attempts\":%u,"
               "\"gateway_restart\":%s,\"gateway_why\":\"%s\"}\n",
               agent_gateway_outcome_name(g->outcome), run,
               g->info.pending_verify ? "true" : "false",
               (unsigned)g->info.attempts, g->restart ? "true" : "false",
               g->why ? g->why : "");
    else
        printf("%sgateway: outcome=%s running=%s pending=%s attempts=%u "
               "restart=%s%s%s\n",
               tool_journal_prefix(g->outcome == AGENT_GW_ERROR ? 4 : 6),
               agent_gateway_outcome_name(g->outcome), run,
               g->info.pending_verify ? "yes" : "no",
               (unsigned)g->info.attempts, g->restart ? "yes" : "no",
               g->why ? " why=" : "", g->why ? g->why : "");
    fflush(stdout);
}

/* Exit status asking the service manager to start the agent again (the
 * gateway switched images): EX_TEMPFAIL of sysexits.h. */
#define AGENT_EXIT_RESTART 75

static tool_agent_conf_t s_conf; /* --config's options, while running */

static int cmd_run_args(int argc, char **argv)
{
    const char *endpoint = NULL, *bucket = NULL, *prefix = "", *device = NULL;
    const char *interval_s = NULL, *cycles_s = NULL,
               *state_dir = "fota-agent-state";
    const char *access = getenv("AWS_ACCESS_KEY_ID"),
               *secret = getenv("AWS_SECRET_ACCESS_KEY");
    const char *region = getenv("AWS_REGION");
    const char *observe_s = NULL, *checkpoint_s = NULL, *timeout_s = NULL;
    const char *pub_path = NULL, *mpub_path = NULL, *config_path = NULL;
    const char *gw_product = NULL, *gw_dir = NULL, *gw_version = "1.0.0",
               *gw_attempts_s = NULL;
    uint8_t mpub[FOTA_ED25519_PUB_SIZE];
    uint8_t pub[FOTA_ED25519_PUB_SIZE];
    bool once = false, json = false, help = false, no_report = false;
    tool_target_args_t ta = {0};
    tool_target_sel_t sel;
    const tool_opt_t opts[] = {
        {"endpoint", 0, &endpoint, NULL},
        {"bucket", 0, &bucket, NULL},
        {"prefix", 0, &prefix, NULL},
        {"device-id", 0, &device, NULL},
        {"interval", 0, &interval_s, NULL},
        {"cycles", 0, &cycles_s, NULL},
        {"state-dir", 0, &state_dir, NULL},
        {"access-key", 0, &access, NULL},
        {"secret-key", 0, &secret, NULL},
        {"region", 0, &region, NULL},
        {"observe-ms", 0, &observe_s, NULL},
        {"checkpoint", 0, &checkpoint_s, NULL},
        {"timeout-ms", 0, &timeout_s, NULL},
        {"once", 0, NULL, &once},
        {"json", 0, NULL, &json},
        {"quiet", 'q', NULL, &s_quiet},
        {"verbose", 'v', NULL, &s_verbose},
        {"no-report", 0, NULL, &no_report},
        {"pubkey", 0, &pub_path, NULL},
        {"config", 0, &config_path, NULL},
        {"manifest-pubkey", 0, &mpub_path, NULL},
        {"gateway-product", 0, &gw_product, NULL},
        {"gateway-dir", 0, &gw_dir, NULL},
        {"gateway-version", 0, &gw_version, NULL},
        {"gateway-attempts", 0, &gw_attempts_s, NULL},
        TOOL_TARGET_OPTS(&ta),
    };
    agent_update_cfg_t cfg;
    agent_update_ports_t ports;
    agent_storage_file_t sto;
    tool_target_t *t = NULL;
    agent_proto_t *proto = NULL;
    agent_update_t *u = NULL;
    agent_http_t *http = NULL;
    agent_gateway_t gw;
    agent_gateway_cfg_t gw_cfg;
    agent_gw_file_t gwf;
    fota_version_t gw_factory;
    char gw_dir_buf[AGENT_GW_FILE_PATH_MAX];
    bool gw_open = false;
    uint32_t interval = 0, cycles = 0, v;
    uint32_t t0;
    ui_t ui = {isatty(2) != 0, -1, 0};
    const char *pos[1];
    size_t npos = 0;
    int rc, exit_code = TOOL_EXIT_FAIL;

    /* --config FILE: the file's options first, the command line after
     * (s_conf is freed by cmd_run() once this returns). */
    rc = tool_agent_conf_expand("fota agent", argc, argv, opts,
                                sizeof(opts) / sizeof(opts[0]), &s_conf);
    if (rc)
        return rc;
    rc = tool_parse_args("fota agent", s_conf.argc, s_conf.argv, opts,
                         sizeof(opts) / sizeof(opts[0]), pos, 0, &npos, &help);
    if (rc)
        return rc;
    if (help) {
        usage_run(stdout);
        return TOOL_EXIT_OK;
    }
    if (tool_target_check("fota agent", &ta, "sim:fota-sim-flash.bin", &sel) !=
        0)
        return TOOL_EXIT_USAGE;
    if (!endpoint || !bucket || !device ||
        (interval_s && tool_parse_u32(interval_s, &interval) < 0) ||
        (cycles_s && tool_parse_u32(cycles_s, &cycles) < 0)) {
        usage_run(stderr);
        return TOOL_EXIT_USAGE;
    }
    if (!interval_s)
        once = true;
    agent_gateway_default_cfg(&gw_cfg);
    gw_cfg.product = gw_product;
    if (gw_product &&
        (!*gw_product || strlen(gw_product) >= AGENT_MANIFEST_GW_PRODUCT_SIZE ||
         agent_manifest_parse_version(gw_version, &gw_factory) < 0 ||
         (gw_attempts_s &&
          (tool_parse_u32(gw_attempts_s, &gw_cfg.max_attempts) < 0 ||
           gw_cfg.max_attempts == 0)))) {
        fprintf(stderr,
                "fota agent: bad gateway options: --gateway-product 1..%d "
                "characters, --gateway-version major.minor.patch[+build], "
                "--gateway-attempts >= 1\n",
                AGENT_MANIFEST_GW_PRODUCT_SIZE - 1);
        return TOOL_EXIT_USAGE;
    }
    if (!region || !*region)
        region = getenv("AWS_DEFAULT_REGION");
    agent_update_default_cfg(&cfg);
    cfg.endpoint = endpoint;
    cfg.bucket = bucket;
    cfg.prefix = prefix;
    cfg.device_id = device;
    cfg.access_key = access && *access ? access : NULL;
    cfg.secret_key = secret;
    cfg.session_token = getenv("AWS_SESSION_TOKEN");
    if (cfg.session_token && !*cfg.session_token)
        cfg.session_token = NULL;
    if (region && *region)
        cfg.region = region;
    cfg.report = cfg.access_key && !no_report;
    cfg.interval_ms = interval * 1000u;
    cfg.observe_wait_ms = 500;
    if (observe_s && tool_parse_u32(observe_s, &v) == 0)
        cfg.observe_wait_ms = v;
    if (checkpoint_s && tool_parse_u32(checkpoint_s, &v) == 0)
        cfg.checkpoint_bytes = v;
    if (timeout_s && tool_parse_u32(timeout_s, &v) == 0)
        cfg.http_timeout_ms = v;
    if (pub_path) {
        if (tool_key_load_pub(pub_path, pub) != 0)
            return TOOL_EXIT_USAGE;
        cfg.sign_pubkey = pub;
    }
    if (mpub_path) {
        if (tool_key_load_pub(mpub_path, mpub) != 0)
            return TOOL_EXIT_USAGE;
        cfg.manifest_pubkey = mpub;
    }

    if (mkdir(state_dir, 0755) < 0 && errno != EEXIST) {
        fprintf(stderr, "fota agent: %s: %s\n", state_dir, strerror(errno));
        return TOOL_EXIT_FAIL;
    }
    t = calloc(1, sizeof(*t));
    proto = calloc(1, sizeof(*proto));
    u = calloc(1, sizeof(*u));
    if (!t || !proto || !u)
        goto out;
    rc = agent_storage_file_open(&sto, state_dir, FOTA_SLOT_SIZE);
    if (rc < 0) {
        fprintf(stderr, "fota agent: state dir %s: %s\n", state_dir,
                fota_strerror(rc));
        goto out;
    }
    rc = tool_target_open("fota agent", t, &sel);
    if (rc < 0)
        goto out_sto;
    agent_proto_init(proto, t->spi, t->gpio, t->clock, &s_log, NULL);
    rc = agent_http_curl_create(&http);
    if (rc < 0) {
        fprintf(stderr, "fota agent: libcurl: %s\n", fota_strerror(rc));
        goto out_t;
    }
    memset(&ports, 0, sizeof(ports));
    ports.http = http;
    ports.storage = &sto.base;
    ports.target = proto;
    agent_clock_linux_init(&s_clock, NULL);
    ports.clock = &s_clock.base;
    ports.utc = &s_utc;
    ports.log = &s_log;
    ports.event = ui_event;
    ports.event_ctx = &ui;
    rc = agent_update_init(u, &cfg, &ports);
    if (rc < 0) {
        fprintf(stderr, "fota agent: %s\n", fota_strerror(rc));
        goto out_http;
    }
    if (gw_product) {
        if (!gw_dir) {
            snprintf(gw_dir_buf, sizeof(gw_dir_buf), "%s/gateway", state_dir);
            gw_dir = gw_dir_buf;
        }
        rc = agent_gw_file_open(&gwf, gw_dir, &gw_factory, 64u << 20,
                                gw_cfg.max_attempts);
        if (rc == 0)
            gw_open = true;
        if (rc == 0)
            rc = agent_gateway_init(&gw, &gw_cfg, &gwf.base, u);
        if (rc < 0) {
            fprintf(stderr, "fota agent: gateway slots %s: %s\n", gw_dir,
                    fota_strerror(rc));
            goto out_http;
        }
        if (gwf.rolled_back_at_open)
            fprintf(stderr,
                    "%sgateway: the trial image was started %u times "
                    "without proving itself: rolled back\n",
                    tool_journal_prefix(3), (unsigned)gw_cfg.max_attempts);
    }
    t0 = s_clock.base.ops->now_ms(&s_clock.base);
    for (uint32_t n = 0;; n++) {
        rc = gw_open ? agent_gateway_run_once(&gw) : agent_update_run_once(u);
        if (once || (cycles && n + 1 >= cycles) || (gw_open && gw.restart))
            break;
        uint32_t d = agent_update_next_delay_ms(u);
        if (!s_quiet)
            fprintf(stderr, "%snext poll in %u ms\n", tool_journal_prefix(7),
                    d);
        s_clock.base.ops->sleep_ms(&s_clock.base, d);
    }
    print_summary(u, t, proto, s_clock.base.ops->now_ms(&s_clock.base) - t0,
                  json, gw_open);
    exit_code = u->outcome == AGENT_OUT_ERROR || u->outcome == AGENT_OUT_REFUSED
                    ? TOOL_EXIT_FAIL
                    : TOOL_EXIT_OK;
    if (gw_open) {
        print_gateway(&gw, json);
        if (gw.restart)
            exit_code = AGENT_EXIT_RESTART;
        else if (gw.outcome == AGENT_GW_ERROR)
            exit_code = TOOL_EXIT_FAIL;
    }
out_http:
    if (gw_open)
        agent_gw_file_close(&gwf);
    agent_http_curl_destroy(http);
out_t:
    tool_target_close(t);
out_sto:
    agent_storage_file_close(&sto);
out:
    free(u);
    free(proto);
    free(t);
    return exit_code;
}

static int cmd_run(int argc, char **argv)
{
    int rc = cmd_run_args(argc, argv);

    tool_agent_conf_free(&s_conf);
    return rc;
}

int tool_cmd_agent(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "sim-install") == 0)
        return cmd_sim_install(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "sim-status") == 0)
        return cmd_sim_status(argc - 1, argv + 1);
    return cmd_run(argc, argv);
}
