/*
 * agent_clock_linux.h - the agent's clock port (agent_port.h) on a POSIX
 * host: CLOCK_MONOTONIC for now_ms() (never jumps with NTP or date
 * changes, so deadlines stay honest) and nanosleep() for sleep_ms().
 *
 * The two calls go through an agent_clock_linux_sys_t table so tests can
 * check the conversions and the EINTR handling without real time passing.
 */
#ifndef AGENT_CLOCK_LINUX_H
#define AGENT_CLOCK_LINUX_H

#include <time.h>

#include "agent_port.h"

typedef struct agent_clock_linux_sys {
    /* clock_gettime(CLOCK_MONOTONIC, ts) */
    int (*monotonic)(struct timespec *ts);
    int (*nanosleep)(const struct timespec *req, struct timespec *rem);
} agent_clock_linux_sys_t;

typedef struct agent_clock_linux {
    agent_clock_t base;
    const agent_clock_linux_sys_t *sys;
} agent_clock_linux_t;

/* Bind c to sys (NULL: the real calls). Cannot fail. */
void agent_clock_linux_init(agent_clock_linux_t *c,
                            const agent_clock_linux_sys_t *sys);

#endif /* AGENT_CLOCK_LINUX_H */
