/*
 * tool_cmd_device.c - `fota device`: read and steer a device's slots the
 * way mcumgr's `image list/test/confirm` does, over the same SPI link and
 * target options as `fota flash` (tool_target.h), through the agent core's
 * protocol client (agent_proto.h):
 *
 *   status    both slots (journal state, version, attempts left, whether
 *             the slot holds a valid header), the security floor and the
 *             bootloader protocol version. A running application that links
 *             the application library answers itself (no reset); otherwise
 *             a bootloader already in update mode answers FOTA_OP_STATUS;
 *             only when neither answers is the target reset into update
 *             mode (NRST with the CS strap) and rebooted afterwards.
 *   test      commit the inactive slot's image for a trial (FOTA_OP_COMMIT)
 *   confirm   confirm the pending slot (FOTA_OP_CONFIRM)
 *   rollback  reject the pending slot, keep the confirmed one
 *             (FOTA_OP_ROLLBACK)
 *   reset     reboot the target (FOTA_OP_REBOOT when the bootloader
 *             listens, an NRST pulse otherwise)
 *
 * test, confirm and rollback reach the bootloader: a running application
 * is asked to enter update mode (one software reset), and the target is
 * rebooted afterwards unless --no-reboot. docs/tools.md lists what each
 * does to the journal and how many resets it costs.
 */
#include <string.h>

#include "agent_proto.h"
#include "fota/fota_err.h"
#include "fota/fota_journal.h"
#include "tool.h"
#include "tool_json.h"
#include "tool_target.h"

/* What a subcommand does once it has the target. */
enum dev_cmd {
    DEV_STATUS = 0,
    DEV_TEST = 1,
    DEV_CONFIRM = 2,
    DEV_ROLLBACK = 3,
    DEV_RESET = 4,
};

static const char *const s_cmd_names[] = {"status", "test", "confirm",
                                          "rollback", "reset"};

typedef struct dev {
    const char *prog; /* "fota device status" */
    enum dev_cmd cmd;
    bool json;
    bool no_reboot;
    tool_target_t tg;
    tool_target_log_t log;
    agent_proto_t *proto;
    /* What was learnt. */
    bool have_status;
    bool from_app;         /* the running application answered */
    fota_app_info_t app;   /* valid when from_app */
    fota_status_t st;      /* the status block (application or bootloader) */
    bool in_boot;          /* a bootloader session is open (CS asserted) */
    bool entered_by_reset; /* status had to reset the target to ask */
    bool rebooted;
    const char *note; /* a line about the outcome, NULL: none */
} dctl_t;

static agent_proto_t s_proto; /* 2 KiB of buffers: keep it off the stack */

static void usage(FILE *f, const char *prog, enum dev_cmd cmd)
{
    static const char *const about[] = {
        "Show both slots (journal state, version, attempts left, header),\n"
        "the security floor and the bootloader protocol version. A running\n"
        "application answers itself without a reset; otherwise the "
        "bootloader\n"
        "answers (a target in neither state is reset into update mode, "
        "asked,\n"
        "and rebooted).\n",
        "Mark the image in the inactive slot for a trial (commit): the next\n"
        "boot runs it as a trial with its attempts; it must confirm itself\n"
        "(or be confirmed with `fota device confirm`) or it is rolled "
        "back.\n",
        "Confirm the pending slot (on trial, or committed and not booted\n"
        "yet): it becomes the active confirmed slot and the security floor\n"
        "rises to its counter. A trial running now is asked to confirm\n"
        "itself (it resets into its confirmed boot); otherwise the\n"
        "bootloader confirms. Nothing to do when no slot is pending.\n",
        "Reject the pending slot (its version is never committed there\n"
        "again) and keep the confirmed slot active. Fails when no slot is\n"
        "pending.\n",
        "Reboot the target: the bootloader runs its boot decision (a "
        "pending\n"
        "slot's trial attempt counts). --update-mode keeps it in the\n"
        "bootloader instead.\n",
    };

    fprintf(f, "usage: %s [options] --target sim:FILE|board:SOCK\n", prog);
    fprintf(f,
            "       %s [options] --spi DEV --nrst CHIP:LINE --cs-gpio "
            "CHIP:LINE\n\n",
            prog);
    fputs(about[cmd], f);
    fputs("\n      --json              print one JSON object (the status "
          "after the\n"
          "                          operation, outcome, target_resets, "
          "error)\n",
          f);
    if (cmd == DEV_TEST || cmd == DEV_CONFIRM || cmd == DEV_ROLLBACK)
        fputs("      --no-reboot         leave the target in update mode "
              "afterwards\n",
              f);
    if (cmd == DEV_RESET)
        fputs("      --update-mode       reset into the bootloader's update "
              "mode and\n"
              "                          stay there\n",
              f);
    fputs("  -v, --verbose           log every protocol retry and resync\n"
          "  -h, --help              this help\n"
          "target:\n",
          f);
    tool_target_usage(f);
}

static const char *state_name(uint8_t state)
{
    switch (state) {
    case FOTA_SLOT_EMPTY:
        return "empty";
    case FOTA_SLOT_CONFIRMED:
        return "confirmed";
    case FOTA_SLOT_PENDING:
        return "pending";
    case FOTA_SLOT_REJECTED:
        return "rejected";
    default:
        return "unknown";
    }
}

static int pending_slot(const fota_status_t *st)
{
    for (int s = 0; s < FOTA_SLOT_COUNT; s++)
        if (st->slot[s].state == FOTA_SLOT_PENDING)
            return s;
    return -1;
}

/* ---- talking to the target ---- */

/* Open a bootloader session: the bootloader already listens, a running
 * application is asked for update mode, or NRST with the strap. */
static int dev_enter_boot(dctl_t *d)
{
    int rc;

    if (d->in_boot)
        return 0;
    rc = agent_proto_enter_update_gently(d->proto);
    if (rc < 0) {
        fprintf(stderr, "%s: no answer from the bootloader: %s\n", d->prog,
                fota_strerror(rc));
        return rc;
    }
    d->in_boot = true;
    return 0;
}

static int dev_boot_status(dctl_t *d)
{
    int rc = agent_proto_status(d->proto, &d->st);

    if (rc < 0) {
        fprintf(stderr, "%s: FOTA_OP_STATUS: %s\n", d->prog, fota_strerror(rc));
        return rc;
    }
    d->have_status = true;
    d->from_app = false;
    return 0;
}

/* Learn the state with as little disturbance as possible: the running
 * application, then a bootloader in update mode; with may_reset, a reset
 * into update mode as the last resort. */
static int dev_observe(dctl_t *d, bool may_reset)
{
    int rc;

    rc = agent_proto_app_status(d->proto, &d->app);
    if (rc == 0) {
        d->from_app = true;
        d->have_status = true;
        d->st = d->app.status;
        return 0;
    }
    if (rc != FOTA_ERR_NOENT)
        goto fail;
    rc = agent_proto_probe_boot(d->proto);
    if (rc == 0) {
        d->in_boot = true;
        return dev_boot_status(d);
    }
    if (rc != FOTA_ERR_NOENT)
        goto fail;
    if (!may_reset)
        return FOTA_ERR_NOENT;
    rc = agent_proto_enter_update(d->proto);
    if (rc < 0)
        goto fail;
    d->in_boot = true;
    d->entered_by_reset = true;
    return dev_boot_status(d);
fail:
    fprintf(stderr, "%s: no answer from the target: %s\n", d->prog,
            fota_strerror(rc));
    return rc;
}

/* FOTA_OP_REBOOT: the session ends, the bootloader decides again. */
static int dev_reboot(dctl_t *d)
{
    int rc = agent_proto_reboot(d->proto);

    d->in_boot = false;
    if (rc < 0) {
        fprintf(stderr, "%s: reboot: %s\n", d->prog, fota_strerror(rc));
        return rc;
    }
    d->rebooted = true;
    return 0;
}

/* End of a changing operation: read the status it left, then reboot
 * unless asked not to. */
static int dev_finish(dctl_t *d, bool reboot)
{
    int rc = dev_boot_status(d);

    if (rc < 0 || !reboot)
        return rc;
    return dev_reboot(d);
}

static int dev_status(dctl_t *d)
{
    int rc = dev_observe(d, true);

    if (rc < 0)
        return rc;
    /* Leave the target as it was found: a target that had to be reset to
     * be asked goes back to its boot decision. */
    return d->entered_by_reset ? dev_reboot(d) : 0;
}

static int dev_test(dctl_t *d)
{
    int slot;
    int rc;

    rc = dev_enter_boot(d);
    if (rc == 0)
        rc = dev_boot_status(d);
    if (rc < 0)
        return rc;
    slot = d->st.inactive_slot;
    if (!d->st.slot[slot].hdr_valid) {
        fprintf(stderr,
                "%s: the inactive slot %s holds no valid image (write one "
                "with `fota flash --no-reboot` first)\n",
                d->prog, tool_slot_name(slot));
        return FOTA_ERR_NOENT;
    }
    rc = agent_proto_commit(d->proto, slot);
    if (rc < 0) {
        fprintf(stderr, "%s: commit of slot %s refused: %s\n", d->prog,
                tool_slot_name(slot), fota_strerror(rc));
        (void)dev_finish(d, !d->no_reboot);
        return rc;
    }
    return dev_finish(d, !d->no_reboot);
}

/* How long `confirm` waits for an application that confirmed at its
 * request to answer again from its confirmed boot. */
#define DEV_APP_BACK_MS 10000u
#define DEV_APP_POLL_MS 100u

/* confirm through the running application on trial (FOTA_APP_CMD_CONFIRM):
 * it confirms and resets into the confirmed boot, then answers again.
 * Returns 0 done (d->st from the application afterwards), 1 when the
 * application cannot do it (the bootloader must), or an error. */
static int dev_app_confirm(dctl_t *d)
{
    agent_clock_t *clk = d->proto->clock;
    int rc = agent_proto_app_confirm(d->proto);

    if (rc == FOTA_ERR_NOENT || rc == 1)
        return 1; /* an older library, or nothing for it to confirm */
    if (rc < 0) {
        fprintf(stderr, "%s: application confirm: %s\n", d->prog,
                fota_strerror(rc));
        return rc;
    }
    for (uint32_t t = 0; t < DEV_APP_BACK_MS; t += DEV_APP_POLL_MS) {
        clk->ops->sleep_ms(clk, DEV_APP_POLL_MS);
        if (agent_proto_app_status(d->proto, &d->app) == 0 &&
            d->app.state == FOTA_SLOT_CONFIRMED) {
            d->st = d->app.status;
            d->rebooted = true; /* by the application, into its confirmed
                                   boot */
            d->note = "confirmed by the running application";
            return 0;
        }
    }
    fprintf(stderr,
            "%s: the application accepted the confirm but did not come back "
            "confirmed within %u ms\n",
            d->prog, DEV_APP_BACK_MS);
    return FOTA_ERR_TIMEOUT;
}

/* confirm and rollback: both act on the pending slot. The running
 * application's status tells first whether there is one, so a device
 * with nothing pending is not reset for nothing. */
static int dev_pending_op(dctl_t *d)
{
    bool confirm = d->cmd == DEV_CONFIRM;
    int rc;

    rc = dev_observe(d, false);
    if (rc < 0 && rc != FOTA_ERR_NOENT)
        return rc;
    if (rc == 0 && pending_slot(&d->st) < 0) {
        if (confirm) {
            d->note = "nothing pending: the active slot is confirmed";
            return 0;
        }
        fprintf(stderr, "%s: no slot is pending: nothing to roll back\n",
                d->prog);
        return FOTA_ERR_NOENT;
    }
    /* A trial running now confirms itself at our request: one reset (its
     * own, into the confirmed boot) instead of update mode and a reboot. */
    if (rc == 0 && confirm && !d->no_reboot && d->from_app &&
        d->app.state == FOTA_SLOT_PENDING) {
        rc = dev_app_confirm(d);
        if (rc <= 0)
            return rc;
    }
    rc = dev_enter_boot(d);
    if (rc < 0)
        return rc;
    rc = confirm ? agent_proto_confirm(d->proto)
                 : agent_proto_rollback(d->proto);
    if (rc == FOTA_ERR_NOENT && confirm) {
        d->note = "nothing pending: the active slot is confirmed";
        rc = 0;
    } else if (rc < 0) {
        fprintf(stderr, "%s: %s%s\n", d->prog, fota_strerror(rc),
                rc == FOTA_ERR_NOENT ? " (no slot is pending)" : "");
        (void)dev_finish(d, !d->no_reboot);
        return rc;
    }
    return dev_finish(d, !d->no_reboot);
}

static int dev_reset(dctl_t *d, bool update_mode)
{
    int rc;

    if (update_mode) {
        rc = dev_enter_boot(d);
        if (rc == 0)
            rc = dev_boot_status(d);
        return rc;
    }
    rc = agent_proto_probe_boot(d->proto);
    if (rc == 0) {
        d->in_boot = true;
        rc = dev_finish(d, true);
    } else if (rc == FOTA_ERR_NOENT) {
        rc = agent_proto_reset(d->proto);
        d->rebooted = rc == 0;
    }
    if (rc < 0)
        fprintf(stderr, "%s: reset: %s\n", d->prog, fota_strerror(rc));
    return rc;
}

/* ---- output ---- */

static void format_slot_version(const dctl_t *d, int s, char *buf, size_t len)
{
    const fota_status_slot_t *sl = &d->st.slot[s];

    if (sl->state == FOTA_SLOT_EMPTY)
        snprintf(buf, len, "-");
    else
        tool_format_version(&sl->version, buf, len);
}

static void print_text(const dctl_t *d, uint32_t resets)
{
    const fota_status_t *st = &d->st;
    char ver[32];

    if (d->have_status) {
        printf("device: source=%s", d->from_app ? "app" : "bootloader");
        if (d->from_app)
            printf(" running=%s trial=%d", tool_slot_name(d->app.slot),
                   d->app.state == FOTA_SLOT_PENDING ? 1 : 0);
        printf(" boot_proto=%u.%u active=%s inactive=%s sec_floor=%u "
               "journal_seq=%u",
               (unsigned)(st->proto_version >> 4),
               (unsigned)(st->proto_version & 0xFu),
               st->active_slot <= 1 ? tool_slot_name(st->active_slot) : "none",
               tool_slot_name(st->inactive_slot), (unsigned)st->sec_floor,
               (unsigned)st->journal_seq);
        printf(" target_resets=%u\n", (unsigned)resets);
        for (int s = 0; s < FOTA_SLOT_COUNT; s++) {
            format_slot_version(d, s, ver, sizeof ver);
            printf(
                "slot %s: state=%s version=%s header=%s attempts_left=%u%s\n",
                tool_slot_name(s), state_name(st->slot[s].state), ver,
                st->slot[s].hdr_valid ? "valid" : "none",
                st->slot[s].state == FOTA_SLOT_PENDING
                    ? (unsigned)st->attempts_left
                    : 0u,
                st->active_slot == s ? " active" : "");
        }
    }
    if (d->note)
        printf("device: %s\n", d->note);
    if (d->cmd != DEV_STATUS)
        printf("device: %s done%s\n", s_cmd_names[d->cmd],
               d->rebooted ? ", target rebooted" : "");
}

static void print_json(const dctl_t *d, int rc, uint32_t resets)
{
    const fota_status_t *st = &d->st;
    tool_json_t j;
    char ver[32];

    tool_json_init(&j, stdout);
    tool_json_begin_obj(&j, NULL);
    tool_json_str(&j, "command", s_cmd_names[d->cmd]);
    tool_json_str(&j, "outcome", rc == 0 ? "ok" : "error");
    if (rc < 0)
        tool_json_str(&j, "error", fota_strerror(rc));
    else
        tool_json_null(&j, "error");
    if (d->note)
        tool_json_str(&j, "note", d->note);
    tool_json_bool(&j, "rebooted", d->rebooted);
    tool_json_uint(&j, "target_resets", resets);
    if (!d->have_status) {
        tool_json_null(&j, "status");
        tool_json_end_obj(&j);
        return;
    }
    tool_json_begin_obj(&j, "status");
    tool_json_str(&j, "source", d->from_app ? "app" : "bootloader");
    if (d->from_app) {
        tool_json_str(&j, "running_slot", tool_slot_name(d->app.slot));
        tool_json_bool(&j, "on_trial", d->app.state == FOTA_SLOT_PENDING);
        tool_format_version(&d->app.version, ver, sizeof ver);
        tool_json_str(&j, "running_version", ver);
        tool_json_uint(&j, "confirm_window_ms", d->app.confirm_window_ms);
    } else {
        tool_json_null(&j, "running_slot");
    }
    snprintf(ver, sizeof ver, "%u.%u", (unsigned)(st->proto_version >> 4),
             (unsigned)(st->proto_version & 0xFu));
    tool_json_str(&j, "boot_proto_version", ver);
    if (st->active_slot <= 1)
        tool_json_str(&j, "active_slot", tool_slot_name(st->active_slot));
    else
        tool_json_null(&j, "active_slot");
    tool_json_str(&j, "inactive_slot", tool_slot_name(st->inactive_slot));
    tool_json_uint(&j, "sec_floor", st->sec_floor);
    tool_json_uint(&j, "journal_seq", st->journal_seq);
    tool_json_uint(&j, "attempts_left", st->attempts_left);
    tool_json_begin_arr(&j, "slots");
    for (int s = 0; s < FOTA_SLOT_COUNT; s++) {
        tool_json_begin_obj(&j, NULL);
        tool_json_str(&j, "slot", tool_slot_name(s));
        tool_json_str(&j, "state", state_name(st->slot[s].state));
        if (st->slot[s].state == FOTA_SLOT_EMPTY) {
            tool_json_null(&j, "version");
        } else {
            format_slot_version(d, s, ver, sizeof ver);
            tool_json_str(&j, "version", ver);
        }
        tool_json_bool(&j, "header_valid", st->slot[s].hdr_valid != 0);
        tool_json_bool(&j, "active", st->active_slot == s);
        tool_json_uint(
            &j, "attempts_left",
            st->slot[s].state == FOTA_SLOT_PENDING ? st->attempts_left : 0u);
        tool_json_end_obj(&j);
    }
    tool_json_end_arr(&j);
    tool_json_end_obj(&j);
    tool_json_end_obj(&j);
}

/* ---- entry points ---- */

static int device_run(enum dev_cmd cmd, int argc, char **argv)
{
    char prog[32];
    tool_target_args_t ta = {0};
    tool_target_sel_t sel;
    bool json = false, no_reboot = false, update_mode = false;
    bool verbose = false, help = false;
    const tool_opt_t common[] = {
        {"json", 0, NULL, &json},
        {"verbose", 'v', NULL, &verbose},
        TOOL_TARGET_OPTS(&ta),
    };
    tool_opt_t opts[sizeof common / sizeof common[0] + 1];
    size_t nopts = sizeof common / sizeof common[0];
    size_t npos = 0;
    dctl_t d;
    int rc;

    snprintf(prog, sizeof prog, "fota device %s", s_cmd_names[cmd]);
    memcpy(opts, common, sizeof common);
    if (cmd == DEV_TEST || cmd == DEV_CONFIRM || cmd == DEV_ROLLBACK)
        opts[nopts++] = (tool_opt_t){"no-reboot", 0, NULL, &no_reboot};
    if (cmd == DEV_RESET)
        opts[nopts++] = (tool_opt_t){"update-mode", 0, NULL, &update_mode};
    if (tool_parse_args(prog, argc, argv, opts, nopts, NULL, 0, &npos, &help) !=
        0)
        return TOOL_EXIT_USAGE;
    if (help) {
        usage(stdout, prog, cmd);
        return TOOL_EXIT_OK;
    }
    if (tool_target_check(prog, &ta, NULL, &sel) != 0)
        return TOOL_EXIT_USAGE;

    memset(&d, 0, sizeof d);
    d.prog = prog;
    d.cmd = cmd;
    d.json = json;
    d.no_reboot = no_reboot;
    d.proto = &s_proto;
    tool_target_log_init(&d.log, prog, verbose);
    rc = tool_target_open(prog, &d.tg, &sel);
    if (rc < 0) {
        if (json)
            print_json(&d, rc, 0);
        return TOOL_EXIT_FAIL;
    }
    agent_proto_init(d.proto, d.tg.spi, d.tg.gpio, d.tg.clock, &d.log.base,
                     NULL);
    switch (cmd) {
    case DEV_STATUS:
        rc = dev_status(&d);
        break;
    case DEV_TEST:
        rc = dev_test(&d);
        break;
    case DEV_CONFIRM:
    case DEV_ROLLBACK:
        rc = dev_pending_op(&d);
        break;
    case DEV_RESET:
    default:
        rc = dev_reset(&d, update_mode);
        break;
    }
    /* A bootloader session ends with CS released: the target stays in
     * update mode (the strap is sampled only at reset). */
    if (d.in_boot)
        (void)agent_proto_release(d.proto);
    if (d.tg.sim)
        agent_sim_target_settle(d.tg.simt);
    if (json)
        print_json(&d, rc, agent_proto_target_resets(d.proto));
    else if (rc == 0)
        print_text(&d, agent_proto_target_resets(d.proto));
    tool_target_close(&d.tg);
    return rc == 0 ? TOOL_EXIT_OK : TOOL_EXIT_FAIL;
}

static int cmd_status(int argc, char **argv)
{
    return device_run(DEV_STATUS, argc, argv);
}

static int cmd_test(int argc, char **argv)
{
    return device_run(DEV_TEST, argc, argv);
}

static int cmd_confirm(int argc, char **argv)
{
    return device_run(DEV_CONFIRM, argc, argv);
}

static int cmd_rollback(int argc, char **argv)
{
    return device_run(DEV_ROLLBACK, argc, argv);
}

static int cmd_reset(int argc, char **argv)
{
    return device_run(DEV_RESET, argc, argv);
}

static const tool_cmd_t s_device_cmds[] = {
    {"status", "both slots, attempts left, security floor (no reset)",
     cmd_status},
    {"test", "commit the inactive slot's image for a trial boot", cmd_test},
    {"confirm", "confirm the pending slot", cmd_confirm},
    {"rollback", "reject the pending slot, keep the confirmed one",
     cmd_rollback},
    {"reset", "reboot the target (or stay in update mode)", cmd_reset},
};

int tool_cmd_device(int argc, char **argv)
{
    return tool_dispatch(
        "fota device",
        "Read and steer a device's slots (like mcumgr image list/test/"
        "confirm).",
        s_device_cmds, sizeof s_device_cmds / sizeof s_device_cmds[0], argc,
        argv);
}
