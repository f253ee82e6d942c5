/*
 * tool_target.c - target options and opening for `fota flash` and
 * `fota agent` (see tool_target.h).
 */
#include "tool_target.h"

#include <stdlib.h>
#include <string.h>

#include "fota/fota_err.h"

void tool_target_usage(FILE *f)
{
    fprintf(
        f,
        "  -t, --target sim:FILE   the simulated target (bootloader core on "
        "the flash\n"
        "                          model; `fota flash` and `fota agent` share "
        "it), its\n"
        "                          flash kept in FILE (created erased when "
        "missing)\n"
        "  -t, --target board:SOCK a running `fota board` (real bootloader and "
        "app on\n"
        "                          the virtual board) through its --spi-socket "
        "SOCK\n"
        "      --spi DEV           spidev device of the SPI master (mode 0)\n"
        "      --nrst CHIP:LINE    GPIO on the target's NRST (driven "
        "open-drain)\n"
        "      --cs-gpio CHIP:LINE GPIO on the target's NSS/PA4 (CS and "
        "strap)\n"
        "      --boot0 CHIP:LINE   GPIO on BOOT0, held low (optional)\n"
        "      --hz N              SPI clock in Hz (default %u)\n"
        "      --no-cs             set SPI_NO_CS on the controller (when it "
        "would\n"
        "                          toggle its own CS pin)\n",
        TOOL_TARGET_DEFAULT_HZ);
}

int tool_target_check(const char *prog, const tool_target_args_t *a,
                      const char *default_target, tool_target_sel_t *sel)
{
    const char *target = a->target;
    uint32_t hz = TOOL_TARGET_DEFAULT_HZ;

    memset(sel, 0, sizeof *sel);
    if (target == NULL && a->spi_dev == NULL)
        target = default_target;
    if ((target != NULL) == (a->spi_dev != NULL)) {
        fprintf(stderr,
                "%s: give either --target sim:FILE|board:SOCK or --spi DEV\n",
                prog);
        return TOOL_EXIT_USAGE;
    }
    if (target != NULL && strncmp(target, "sim:", 4) != 0 &&
        strncmp(target, "board:", 6) != 0) {
        fprintf(stderr,
                "%s: unknown target '%s' (sim:FILE, board:SOCK, or --spi "
                "for hardware)\n",
                prog, target);
        return TOOL_EXIT_USAGE;
    }
    if (target != NULL &&
        target[strncmp(target, "sim:", 4) == 0 ? 4 : 6] == '\0') {
        fprintf(stderr, "%s: %s needs a %s name\n", prog,
                strncmp(target, "sim:", 4) == 0 ? "sim:" : "board:",
                strncmp(target, "sim:", 4) == 0 ? "flash file" : "socket");
        return TOOL_EXIT_USAGE;
    }
    if (a->spi_dev != NULL && (a->nrst == NULL || a->cs == NULL)) {
        fprintf(stderr, "%s: --spi needs --nrst and --cs-gpio\n", prog);
        return TOOL_EXIT_USAGE;
    }
    if (a->hz != NULL && (tool_parse_u32(a->hz, &hz) != 0 ||
                          hz < TOOL_TARGET_MIN_HZ || hz > TOOL_TARGET_MAX_HZ)) {
        fprintf(stderr, "%s: --hz: %u..%u\n", prog, TOOL_TARGET_MIN_HZ,
                TOOL_TARGET_MAX_HZ);
        return TOOL_EXIT_USAGE;
    }
    if (target != NULL && strncmp(target, "board:", 6) == 0) {
        sel->board = true;
        sel->board_path = target + 6;
        sel->board_hz = a->hz != NULL ? hz : 0;
        return 0;
    }
    if (target != NULL) {
        sel->sim = true;
        sel->sim_path = target + 4;
        return 0;
    }
    sel->hw.spi_dev = a->spi_dev;
    sel->hw.nrst = a->nrst;
    sel->hw.cs = a->cs;
    sel->hw.boot0 = a->boot0;
    sel->hw.hz = hz;
    sel->hw.no_cs = a->no_cs;
    return 0;
}

static int sim_open(const char *prog, tool_target_t *tg, const char *path)
{
    int rc;

    tg->sim = true;
    tg->simt = calloc(1, sizeof *tg->simt);
    if (tg->simt == NULL) {
        rc = FOTA_ERR_NOMEM;
        goto out;
    }
    /* Opening the file is a power-on: the target runs its boot decision. */
    rc = agent_sim_target_open(tg->simt, path);
    if (rc < 0)
        goto out;
    tg->sim_open = true;
    tg->spi = &tg->simt->spi;
    tg->gpio = &tg->simt->gpio;
    tg->clock = &tg->simt->clock;
out:
    if (rc < 0) {
        fprintf(stderr, "%s: sim:%s: %s\n", prog, path, fota_strerror(rc));
        tool_target_close(tg);
    }
    return rc;
}

static int board_open(const char *prog, tool_target_t *tg, const char *path,
                      uint32_t hz)
{
    int rc;

    tg->board = true;
    rc = agent_board_client_open(&tg->bc, path, hz);
    if (rc < 0) {
        fprintf(stderr, "%s: board:%s: %s%s\n", prog, path, fota_strerror(rc),
                rc == FOTA_ERR_NOENT || rc == FOTA_ERR_BUSY
                    ? " (is `fota board --spi-socket` running there?)"
                : rc == FOTA_ERR_TIMEOUT
                    ? " (the board serves one client at a time)"
                    : "");
        return rc;
    }
    tg->board_open = true;
    tg->spi = &tg->bc.spi;
    tg->gpio = &tg->bc.gpio;
    tg->clock = &tg->bc.clock;
    return 0;
}

static int hw_open(const char *prog, tool_target_t *tg,
                   const agent_linux_target_cfg_t *cfg)
{
    const char *what = "";
    const char *spec;
    int rc;

    rc = agent_linux_target_open(&tg->hw, cfg, &what);
    if (rc < 0) {
        spec = strcmp(what, "cs") == 0     ? cfg->cs
               : strcmp(what, "spi") == 0  ? cfg->spi_dev
               : strcmp(what, "nrst") == 0 ? cfg->nrst
                                           : "";
        if (strcmp(what, "nrst/boot0") == 0)
            fprintf(stderr, "%s: --nrst %s / --boot0 %s: %s\n", prog, cfg->nrst,
                    cfg->boot0, fota_strerror(rc));
        else
            fprintf(
                stderr, "%s: --%s %s: %s%s\n", prog,
                strcmp(what, "cs") == 0 ? "cs-gpio" : what, spec,
                fota_strerror(rc),
                strcmp(what, "spi") == 0 && rc == FOTA_ERR_NOENT
                    ? " (no such spidev device: is the SPI controller enabled?)"
                    : "");
        return rc;
    }
    tg->hw_open = true;
    tg->spi = &tg->hw.spi.base;
    tg->gpio = &tg->hw.gpio.base;
    tg->clock = &tg->hw.clock.base;
    return 0;
}

int tool_target_open(const char *prog, tool_target_t *tg,
                     const tool_target_sel_t *sel)
{
    memset(tg, 0, sizeof *tg);
    if (sel->sim)
        return sim_open(prog, tg, sel->sim_path);
    if (sel->board)
        return board_open(prog, tg, sel->board_path, sel->board_hz);
    return hw_open(prog, tg, &sel->hw);
}

void tool_target_close(tool_target_t *tg)
{
    if (tg->sim) {
        if (tg->sim_open)
            agent_sim_target_close(tg->simt);
        free(tg->simt);
        tg->simt = NULL;
        tg->sim_open = false;
        return;
    }
    if (tg->board) {
        if (tg->board_open)
            agent_board_client_close(&tg->bc);
        tg->board_open = false;
        return;
    }
    if (tg->hw_open)
        agent_linux_target_close(&tg->hw);
    tg->hw_open = false;
}

uint64_t tool_target_time_ns(const tool_target_t *tg)
{
    if (tg->board && tg->board_open)
        return agent_board_client_time_ns(&tg->bc);
    return tg->sim && tg->sim_open ? agent_sim_target_time_ns(tg->simt) : 0;
}

static void target_log_write(agent_log_t *self, int level, const char *msg)
{
    tool_target_log_t *l = AGENT_CONTAINER_OF(self, tool_target_log_t, base);
    static const char *const names[] = {"error", "warn", "info", "debug"};

    if (level > AGENT_LOG_WARN && !l->verbose)
        return;
    fprintf(stderr, "%s: %s: %s\n", l->prog,
            (level >= 0 && level <= 3) ? names[level] : "log", msg);
}

static const agent_log_ops_t s_target_log_ops = {.write = target_log_write};

void tool_target_log_init(tool_target_log_t *l, const char *prog, bool verbose)
{
    l->base.ops = &s_target_log_ops;
    l->prog = prog;
    l->verbose = verbose;
}
