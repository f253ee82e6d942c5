/*
 * tool_agent_conf.h - `fota agent` as a service: options from a config
 * file (/etc/fota-agent.conf) and log lines for the systemd journal.
 */
#ifndef TOOL_AGENT_CONF_H
#define TOOL_AGENT_CONF_H

#include <stdbool.h>
#include <stddef.h>

#include "tool.h"

/*
 * The config file: one "key=value" per line, keys being the long names of
 * the command's options (endpoint=..., interval=300, spi=/dev/spidev0.0);
 * blanks around key and value are ignored, a value may be in double
 * quotes, '#' starts a comment line. A flag option takes true/false
 * (yes/no, 1/0); false leaves it off. Unknown keys, a value for nothing,
 * a bad flag value or a key given twice are errors naming FILE:LINE.
 *
 * tool_agent_conf_expand() finds "--config FILE" (or --config=FILE) in
 * argv and returns, in *out, argv[0], the file's options as "--key"
 * ["value"], then argv[1..]: parsed in that order, the command line
 * overrides the file (a later value wins). One group is exclusive: when
 * the command line picks the target (--target, or --spi), the file's
 * target keys (target spi nrst cs-gpio boot0 hz no-cs) are left out.
 * Without --config, *out is argv itself. Returns 0, or TOOL_EXIT_USAGE
 * (FILE unreadable, or a bad line; the message is printed).
 * tool_agent_conf_free() releases *out.
 */
typedef struct tool_agent_conf {
    int argc;
    char **argv;
    char *text;  /* the file's contents, values point into it */
    char *words; /* the "--key" words */
    bool owned;  /* argv was allocated here */
} tool_agent_conf_t;

int tool_agent_conf_expand(const char *prog, int argc, char **argv,
                           const tool_opt_t *opts, size_t nopts,
                           tool_agent_conf_t *out);
void tool_agent_conf_free(tool_agent_conf_t *c);

/*
 * The journal: true when stderr is connected to the systemd journal
 * (JOURNAL_STREAM names stderr's device and inode, systemd.exec(5)).
 * tool_journal_prefix(prio) is then "<prio>" (sd-daemon(3): 3 error,
 * 4 warning, 6 info, 7 debug) to put in front of a line, and "" otherwise.
 */
bool tool_journal_stderr(void);
const char *tool_journal_prefix(int prio);

#endif /* TOOL_AGENT_CONF_H */
