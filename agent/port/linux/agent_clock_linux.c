/*
 * agent_clock_linux.c - clock port on CLOCK_MONOTONIC (see the header).
 */
#define _POSIX_C_SOURCE 200809L

#include "agent_clock_linux.h"

#include <errno.h>

static int sys_monotonic(struct timespec *ts)
{
    return clock_gettime(CLOCK_MONOTONIC, ts);
}

static int sys_nanosleep(const struct timespec *req, struct timespec *rem)
{
    return nanosleep(req, rem);
}

static const agent_clock_linux_sys_t s_sys = {
    .monotonic = sys_monotonic,
    .nanosleep = sys_nanosleep,
};

static uint32_t linux_now_ms(agent_clock_t *self)
{
    agent_clock_linux_t *c =
        AGENT_CONTAINER_OF(self, agent_clock_linux_t, base);
    struct timespec ts = {0, 0};

    /* CLOCK_MONOTONIC cannot fail with a valid id and pointer. */
    (void)c->sys->monotonic(&ts);
    /* Truncating to 32 bits is the contract: the core compares
     * differences only, so the wrap after 49 days is harmless. */
    return (uint32_t)((uint64_t)ts.tv_sec * 1000u +
                      (uint64_t)ts.tv_nsec / 1000000u);
}

static void linux_sleep_ms(agent_clock_t *self, uint32_t ms)
{
    agent_clock_linux_t *c =
        AGENT_CONTAINER_OF(self, agent_clock_linux_t, base);
    struct timespec req;
    struct timespec rem;

    req.tv_sec = (time_t)(ms / 1000u);
    req.tv_nsec = (long)(ms % 1000u) * 1000000L;
    /* A signal cuts the sleep short; sleep the rest ("at least ms").
     * Any other failure (EINVAL cannot happen with these values) ends it. */
    while (c->sys->nanosleep(&req, &rem) < 0 && errno == EINTR)
        req = rem;
}

static const agent_clock_ops_t s_ops = {
    .now_ms = linux_now_ms,
    .sleep_ms = linux_sleep_ms,
};

void agent_clock_linux_init(agent_clock_linux_t *c,
                            const agent_clock_linux_sys_t *sys)
{
    c->base.ops = &s_ops;
    c->sys = sys != NULL ? sys : &s_sys;
}
