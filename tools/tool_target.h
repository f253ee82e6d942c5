/*
 * tool_target.h - the target a host command talks to over the SPI
 * bootloader protocol, chosen by the same options in `fota flash` and
 * `fota agent`:
 *   --target sim:FILE   the simulated target (agent/port/sim), its flash in FILE
 *   --target board:SOCK a running `fota board` (the real firmware on the
 *                       virtual board) through its UNIX socket
 *                       (agent/port/sim/agent_board_client.h)
 *   --spi DEV --nrst CHIP:LINE --cs-gpio CHIP:LINE [--boot0 CHIP:LINE]
 *         [--hz N] [--no-cs]
 *                       real hardware through agent_linux_target (spidev and
 *                       libgpiod on a Linux host)
 * Either way the result is the three ports agent_proto_init() takes.
 */
#ifndef TOOL_TARGET_H
#define TOOL_TARGET_H

#include <stdbool.h>
#include <stdint.h>

#include "agent_board_client.h"
#include "agent_linux_target.h"
#include "agent_sim_target.h"
#include "tool.h"

#define TOOL_TARGET_DEFAULT_HZ 8000000u
#define TOOL_TARGET_MIN_HZ 100000u
#define TOOL_TARGET_MAX_HZ 50000000u

/* The option values as given (NULL / false when absent). */
typedef struct tool_target_args {
    const char *target;  /* --target / -t */
    const char *spi_dev; /* --spi */
    const char *nrst;    /* --nrst */
    const char *cs;      /* --cs-gpio */
    const char *boot0;   /* --boot0 */
    const char *hz;      /* --hz */
    bool no_cs;          /* --no-cs */
} tool_target_args_t;

/* The target options bound to the tool_target_args_t *a, as initialisers
 * to put at the end of a command's tool_parse_args() table. */
#define TOOL_TARGET_OPTS(a)                                                    \
    {"target", 't', &(a)->target, NULL}, {"spi", 0, &(a)->spi_dev, NULL},      \
        {"nrst", 0, &(a)->nrst, NULL}, {"cs-gpio", 0, &(a)->cs, NULL},         \
        {"boot0", 0, &(a)->boot0, NULL}, {"hz", 0, &(a)->hz, NULL},            \
    {                                                                          \
        "no-cs", 0, NULL, &(a)->no_cs                                          \
    }

/* Help lines for the target options, for a command's usage text. */
void tool_target_usage(FILE *f);

/* The checked choice: a simulated target's file, a board's socket or a
 * hardware config. */
typedef struct tool_target_sel {
    bool sim;
    const char *sim_path; /* sim: the flash file */
    bool board;
    const char *board_path;      /* board: the socket */
    uint32_t board_hz;           /* board: SCK from --hz, 0 = board's own */
    agent_linux_target_cfg_t hw; /* hardware: what to open */
} tool_target_sel_t;

/*
 * Check the parsed options and turn them into a selection. With neither
 * --target nor --spi, default_target ("sim:FILE") is used when non-NULL,
 * otherwise that is an error. Errors (both given, neither sim: nor board:,
 * empty file name, --spi without --nrst/--cs-gpio, --hz out of 100 kHz..50 MHz) are
 * printed as "<prog>: ..." on stderr. Returns 0 or TOOL_EXIT_USAGE.
 */
int tool_target_check(const char *prog, const tool_target_args_t *a,
                      const char *default_target, tool_target_sel_t *sel);

/* An open target and its ports. */
typedef struct tool_target {
    bool sim;
    agent_spi_t *spi;
    agent_gpio_t *gpio;
    agent_clock_t *clock;
    agent_sim_target_t *simt; /* simulated: heap, owned */
    bool sim_open;
    bool board;
    agent_board_client_t bc; /* board */
    bool board_open;
    agent_linux_target_t hw; /* hardware */
    bool hw_open;
} tool_target_t;

/*
 * Open the selected target (a simulated one runs its power-on boot
 * decision). On failure prints "<prog>: <option> <value>: <reason>" and
 * returns the FOTA_ERR_*; nothing stays open. tg is zeroed first.
 */
int tool_target_open(const char *prog, tool_target_t *tg,
                     const tool_target_sel_t *sel);

/* Close the target (a simulated one keeps its flash in its file). */
void tool_target_close(tool_target_t *tg);

/* Simulated time the target has run, in ns (a board: from the connection
 * to the last time the agent read or advanced its clock); 0 for hardware. */
uint64_t tool_target_time_ns(const tool_target_t *tg);

/* The protocol client's log for the target commands: "<prog>: <level>:
 * <msg>" on stderr; info and debug lines only when verbose. */
typedef struct tool_target_log {
    agent_log_t base;
    const char *prog;
    bool verbose;
} tool_target_log_t;

void tool_target_log_init(tool_target_log_t *l, const char *prog, bool verbose);

#endif /* TOOL_TARGET_H */
