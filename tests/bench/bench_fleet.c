/*
 * bench_fleet.c - the request load of a fleet on S3, by simulation: 10,000
 * devices polling one manifest every 300 s (+-10% jitter, the agent's
 * default) for one simulated day, through a staged rollout (10% at once,
 * 100% after 12 h, a 3,600 s start-delay spread) that is halted 12.5 h in.
 * Which device starts when is decided by the agent core's own rollout code
 * (agent_manifest_rollout_state, the same buckets and spread delays), so
 * the request pattern is the one a real fleet would make; the requests are
 * counted, not sent.
 *
 * Per poll: one GET (a 304 when unchanged; a 200 with the ~700-byte body
 * after a change and while a device waits for its phase, since it keeps no
 * ETag then). Per update: one ranged GET of the 66 KiB image and one report
 * PUT. The manifest changes twice (published at 0 with both phases, halted
 * at 12.5 h).
 *
 * Prices: Amazon S3 Standard, US East (N. Virginia), from
 * https://aws.amazon.com/s3/pricing/ : GET $0.0004 per 1,000 requests, PUT
 * $0.005 per 1,000, data transfer out to the internet $0.09 per GB (after
 * the first 100 GB a month, ignored here). A month is one such rollout day
 * and 29 quiet days (every poll a 304).
 *
 * Prints: fleet: devices=10000 sim_days=1 gets_per_device_day=<G>
 *         peak_rps=<P> usd_per_1000_devices_month=<C>
 * and the detail line fleet_detail: ...; S3's documented per-prefix limits
 * are 5,500 GET/HEAD and 3,500 PUT per second.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_manifest.h"
#include "fota/fota_prng.h"

#define DEVICES 10000u
#define DAY_S 86400u
#define POLL_S 300u
#define IMAGE_BYTES 66048u
#define MANIFEST_BYTES 700u
#define HALT_AT_S 45000u

#define USD_GET (0.0004 / 1000.0)
#define USD_PUT (0.005 / 1000.0)
#define USD_GB_OUT 0.09

static uint32_t s_rng = 0x12345678u;

static uint32_t rnd(void)
{
    return fota_prng_next(&s_rng);
}

typedef struct dev {
    char id[24];
    uint32_t next_poll;
    bool has_etag; /* the ETag it holds is the current manifest's */
    bool updated;
    unsigned seen_version; /* manifest generation it last read */
} dev_t;

int main(void)
{
    static dev_t d[DEVICES];
    static uint16_t per_s[DAY_S];
    agent_manifest_t m;
    uint64_t gets = 0, puts = 0, bytes = 0, updates = 0;
    unsigned peak = 0;
    double usd_day, usd_quiet, usd_month_1000;

    memset(&m, 0, sizeof m);
    snprintf(m.version_str, sizeof m.version_str, "1.1.0");
    m.n_phases = 2;
    m.phase[0].percent = 10;
    m.phase[0].start = 0;
    m.phase[1].percent = 100;
    m.phase[1].start = DAY_S / 2;
    m.spread_s = 3600;
    for (unsigned i = 0; i < DEVICES; i++) {
        snprintf(d[i].id, sizeof d[i].id, "stm32-%08x", i * 2654435761u);
        d[i].next_poll = rnd() % POLL_S;
    }
    /* Devices are independent (the halt time is fixed): walk each one's
     * polls over the day. */
    for (unsigned i = 0; i < DEVICES; i++) {
        dev_t *v = &d[i];

        for (uint32_t t = v->next_poll; t < DAY_S;
             t += POLL_S * 9u / 10u +
                  rnd() % (POLL_S / 5u + 1u)) { /* +-10% jitter */
            unsigned g = t >= HALT_AT_S ? 2u : 1u;

            m.halted = t >= HALT_AT_S; /* fota fleet watch / release halt */
            gets++;
            per_s[t]++;
            if (v->has_etag && v->seen_version == g)
                continue; /* 304: no body */
            bytes += MANIFEST_BYTES;
            v->seen_version = g;
            v->has_etag = true;
            if (v->updated)
                continue;
            switch (agent_manifest_rollout_state(&m, v->id, t, NULL, NULL)) {
            case AGENT_ROLLOUT_GO:
                gets++; /* the image, one ranged session */
                per_s[t]++;
                puts++; /* the report */
                bytes += IMAGE_BYTES;
                v->updated = true;
                updates++;
                break;
            case AGENT_ROLLOUT_WAIT:
                v->has_etag = false; /* re-read at the next poll */
                break;
            default:
                break;
            }
        }
    }
    for (uint32_t t = 0; t < DAY_S; t++)
        if (per_s[t] > peak)
            peak = per_s[t];
    usd_day = gets * USD_GET + puts * USD_PUT + bytes / 1e9 * USD_GB_OUT;
    usd_quiet = (double)DEVICES * (DAY_S / POLL_S) * USD_GET;
    usd_month_1000 = (usd_day + 29.0 * usd_quiet) * 1000.0 / DEVICES;
    printf("fleet: devices=%u sim_days=1 gets_per_device_day=%.1f peak_rps=%u "
           "usd_per_1000_devices_month=%.2f\n",
           DEVICES, (double)gets / DEVICES, peak, usd_month_1000);
    printf("fleet_detail: gets=%llu puts=%llu bytes_out=%llu updated=%llu "
           "halted_at_s=%u "
           "peak_rps_vs_s3_get_limit=%u/5500 avg_rps=%.1f\n",
           (unsigned long long)gets, (unsigned long long)puts,
           (unsigned long long)bytes, (unsigned long long)updates, HALT_AT_S,
           peak, (double)gets / DAY_S);
    return 0;
}
