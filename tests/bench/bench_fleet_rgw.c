/*
 * bench_fleet_rgw.c - a load test of one real S3 server (Ceph RGW, started
 * by tests/bench/fleet_rgw.sh): N simulated devices, each the real agent
 * core with the libcurl HTTP port (one keep-alive connection per device),
 * file staging and the simulated target (the bootloader engine on the
 * flash model), polling one manifest in wall-clock time. The script
 * publishes a signed release with two phases and a spread and halts it
 * part-way through; the devices decide by themselves, as in the field.
 *
 * The simulated target binds one flash model per process, so each cycle
 * opens the device's own flash file as the target and closes it after, as
 * one `fota agent --once` run per cycle would. One thread runs the
 * devices' cycles in the order they fall due (poll interval +-10%,
 * agent_update_next_delay_ms), so the requests are
 * sequential: p50/p99 are the time of one request on an otherwise idle
 * server, from open() to close() (headers and body), and rps is what one
 * such client sustained, not the server's limit.
 *
 *   bench_fleet_rgw --endpoint URL --bucket B --prefix P --devices N
 *                   --duration-s S --poll-ms MS --flash TEMPLATE
 *                   --manifest-pub FILE --work DIR
 * (credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)
 *
 * Prints: fleet_rgw: devices=N requests=R errors=E p50_ms= p99_ms= rps=
 *         fleet_rgw_detail: ...
 * Exit status 1 when any request or cycle failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <curl/curl.h>

#include "agent_http_curl.h"
#include "agent_sim_target.h"
#include "agent_storage_file.h"
#include "agent_update.h"
#include "fota/fota_err.h"
#include "fota/fota_layout.h"

/* ---- clocks ------------------------------------------------------------------ */

static uint64_t mono_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint32_t c_now(agent_clock_t *self)
{
    (void)self;
    return (uint32_t)(mono_us() / 1000u);
}

static void sleep_us(uint64_t us)
{
    struct timespec ts = {(time_t)(us / 1000000u),
                          (long)(us % 1000000u) * 1000L};

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static void c_sleep(agent_clock_t *self, uint32_t ms)
{
    (void)self;
    sleep_us((uint64_t)ms * 1000u);
}

static const agent_clock_ops_t s_clock_ops = {c_now, c_sleep};
static agent_clock_t s_clock = {&s_clock_ops};

static int u_now(agent_utc_t *self, uint64_t *unix_s)
{
    (void)self;
    *unix_s = (uint64_t)time(NULL);
    return 0;
}

static const agent_utc_ops_t s_utc_ops = {u_now};
static agent_utc_t s_utc = {&s_utc_ops};

static void log_write(agent_log_t *self, int level, const char *msg)
{
    (void)self;
    if (level <= AGENT_LOG_WARN)
        fprintf(stderr, "fleet_rgw: agent: %s\n", msg);
}

static const agent_log_ops_t s_log_ops = {log_write};
static agent_log_t s_log = {&s_log_ops};

/* ---- an HTTP port that times each request --------------------------------------- */

typedef struct load {
    uint32_t *lat_us; /* one per request */
    size_t n, cap;
    unsigned errors; /* transport failures, 5xx, unexpected 4xx */
    unsigned gets, puts, not_modified, s412;
} load_t;

static load_t s_load;

typedef struct timed_http {
    agent_http_t base;
    agent_http_t *in;
    uint64_t t0;
    bool open;
} timed_http_t;

static timed_http_t *th(agent_http_t *self)
{
    return AGENT_CONTAINER_OF(self, timed_http_t, base);
}

static void load_add(uint64_t us)
{
    if (s_load.n == s_load.cap) {
        size_t cap = s_load.cap ? 2 * s_load.cap : 4096;
        uint32_t *p = realloc(s_load.lat_us, cap * sizeof *p);

        if (p == NULL) {
            s_load.errors++;
            return;
        }
        s_load.lat_us = p;
        s_load.cap = cap;
    }
    s_load.lat_us[s_load.n++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

static int t_open(agent_http_t *self, const agent_http_req_t *req)
{
    timed_http_t *t = th(self);
    int rc;

    if (req->method == AGENT_HTTP_PUT)
        s_load.puts++;
    else
        s_load.gets++;
    t->t0 = mono_us();
    rc = t->in->ops->open(t->in, req);
    if (rc < 0) {
        load_add(mono_us() - t->t0);
        s_load.errors++;
        return rc;
    }
    t->open = true;
    return 0;
}

static int t_status(agent_http_t *self)
{
    return th(self)->in->ops->status(th(self)->in);
}

static int t_etag(agent_http_t *self, char *buf, size_t len)
{
    return th(self)->in->ops->etag(th(self)->in, buf, len);
}

static int t_content_length(agent_http_t *self, uint32_t *len)
{
    return th(self)->in->ops->content_length(th(self)->in, len);
}

static int t_content_range(agent_http_t *self, uint32_t *a, uint32_t *b,
                           uint32_t *total)
{
    return th(self)->in->ops->content_range(th(self)->in, a, b, total);
}

static int t_read(agent_http_t *self, uint8_t *buf, size_t len)
{
    int n = th(self)->in->ops->read(th(self)->in, buf, len);

    if (n < 0)
        s_load.errors++;
    return n;
}

static int t_close(agent_http_t *self)
{
    timed_http_t *t = th(self);

    if (t->open) {
        int st = t->in->ops->status(t->in);

        t->open = false;
        if (st == 304)
            s_load.not_modified++;
        else if (st == 412)
            s_load.s412++;
        else if (st != 200 && st != 206)
            s_load.errors++;
        load_add(mono_us() - t->t0);
    }
    return t->in->ops->close(t->in);
}

static int t_header(agent_http_t *self, const char *name, char *buf, size_t len)
{
    agent_http_t *in = th(self)->in;

    return in->ops->header ? in->ops->header(in, name, buf, len)
                           : FOTA_ERR_NOENT;
}

static void t_error_text(agent_http_t *self, char *buf, size_t len)
{
    agent_http_t *in = th(self)->in;

    if (in->ops->error_text)
        in->ops->error_text(in, buf, len);
    else if (len)
        buf[0] = '\0';
}

static const agent_http_ops_t s_timed_ops = {
    t_open, t_status, t_etag,   t_content_length, t_content_range,
    t_read, t_close,  t_header, t_error_text,
};

/* ---- devices --------------------------------------------------------------------- */

/* The target of the device whose cycle runs (one per process). */
static agent_sim_target_t s_tgt;

typedef struct device {
    char id[24];
    char dir[600];
    char flash[700];
    agent_storage_file_t sto;
    agent_proto_t proto;
    timed_http_t http;
    agent_update_t u;
    uint64_t due_us;
    unsigned cycles, updated, halted, waiting, failed;
} device_t;

typedef struct args {
    const char *endpoint, *bucket, *prefix, *flash, *mpub, *work;
    unsigned devices, duration_s, poll_ms;
} args_t;

static int copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = in ? fopen(to, "wb") : NULL;
    char buf[65536];
    size_t n;
    int rc = 0;

    if (in == NULL || out == NULL) {
        rc = -1;
        goto out;
    }
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out) != n)
            rc = -1;
    if (ferror(in))
        rc = -1;
out:
    if (out && fclose(out) != 0)
        rc = -1;
    if (in)
        fclose(in);
    return rc;
}

static int device_open(device_t *d, unsigned i, const args_t *a,
                       const agent_update_cfg_t *base)
{
    agent_update_cfg_t cfg = *base;
    agent_update_ports_t p;
    agent_http_t *curl;
    int rc;

    snprintf(d->id, sizeof d->id, "dev-%u", i);
    snprintf(d->dir, sizeof d->dir, "%s/%s", a->work, d->id);
    if (mkdir(d->dir, 0755) < 0 && errno != EEXIST) {
        fprintf(stderr, "fleet_rgw: %s: %s\n", d->dir, strerror(errno));
        return -1;
    }
    snprintf(d->flash, sizeof d->flash, "%s/flash.bin", d->dir);
    if (copy_file(a->flash, d->flash) != 0) {
        fprintf(stderr, "fleet_rgw: copying %s to %s failed\n", a->flash,
                d->flash);
        return -1;
    }
    rc = agent_storage_file_open(&d->sto, d->dir, FOTA_SLOT_SIZE);
    if (rc == 0)
        rc = agent_http_curl_create(&curl);
    if (rc < 0) {
        fprintf(stderr, "fleet_rgw: %s: %s\n", d->id, fota_strerror(rc));
        return -1;
    }
    d->http.base.ops = &s_timed_ops;
    d->http.in = curl;
    agent_proto_init(&d->proto, &s_tgt.spi, &s_tgt.gpio, &s_tgt.clock, NULL,
                     NULL);
    cfg.device_id = d->id;
    memset(&p, 0, sizeof p);
    p.http = &d->http.base;
    p.storage = &d->sto.base;
    p.target = &d->proto;
    p.clock = &s_clock;
    p.utc = &s_utc;
    p.log = &s_log;
    rc = agent_update_init(&d->u, &cfg, &p);
    if (rc < 0) {
        fprintf(stderr, "fleet_rgw: %s: agent: %s\n", d->id, fota_strerror(rc));
        return -1;
    }
    return 0;
}

static void device_close(device_t *d)
{
    agent_http_curl_destroy(d->http.in);
    agent_storage_file_close(&d->sto);
}

/* One cycle of device d with its flash file as the target. */
static int device_cycle(device_t *d)
{
    int rc = agent_sim_target_open(&s_tgt, d->flash);

    if (rc < 0) {
        fprintf(stderr, "fleet_rgw: %s: %s\n", d->flash, fota_strerror(rc));
        return rc;
    }
    agent_proto_init(&d->proto, &s_tgt.spi, &s_tgt.gpio, &s_tgt.clock, NULL,
                     NULL);
    rc = agent_update_run_once(&d->u);
    agent_sim_target_close(&s_tgt);
    return rc;
}

static int cmp_u32(const void *x, const void *y)
{
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

    return (a > b) - (a < b);
}

/* The q-th quantile (nearest rank) of the sorted latencies, in ms. */
static double quantile_ms(double q)
{
    size_t k;

    if (s_load.n == 0)
        return 0.0;
    k = (size_t)(q * (double)s_load.n + 0.999999);
    if (k < 1)
        k = 1;
    if (k > s_load.n)
        k = s_load.n;
    return s_load.lat_us[k - 1] / 1000.0;
}

static int parse_u(const char *s, unsigned lo, unsigned hi, unsigned *out)
{
    char *e;
    unsigned long v;

    errno = 0;
    v = strtoul(s, &e, 10);
    if (errno || e == s || *e || v < lo || v > hi)
        return -1;
    *out = (unsigned)v;
    return 0;
}

static int parse_args(int argc, char **argv, args_t *a)
{
    memset(a, 0, sizeof *a);
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        int bad = 0;

        if (!strcmp(k, "--endpoint"))
            a->endpoint = v;
        else if (!strcmp(k, "--bucket"))
            a->bucket = v;
        else if (!strcmp(k, "--prefix"))
            a->prefix = v;
        else if (!strcmp(k, "--flash"))
            a->flash = v;
        else if (!strcmp(k, "--manifest-pub"))
            a->mpub = v;
        else if (!strcmp(k, "--work"))
            a->work = v;
        else if (!strcmp(k, "--devices"))
            bad = parse_u(v, 1, 2000, &a->devices);
        else if (!strcmp(k, "--duration-s"))
            bad = parse_u(v, 1, 3600, &a->duration_s);
        else if (!strcmp(k, "--poll-ms"))
            bad = parse_u(v, 100, 3600000, &a->poll_ms);
        else
            bad = 1;
        if (bad) {
            fprintf(stderr, "fleet_rgw: bad option %s %s\n", k, v);
            return -1;
        }
    }
    if (argc % 2 == 0 || !a->endpoint || !a->bucket || !a->prefix ||
        !a->flash || !a->mpub || !a->work || !a->devices || !a->duration_s ||
        !a->poll_ms) {
        fprintf(stderr,
                "usage: bench_fleet_rgw --endpoint URL --bucket B --prefix P "
                "--devices N\n"
                "       --duration-s S --poll-ms MS --flash TEMPLATE "
                "--manifest-pub FILE --work DIR\n");
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    static uint8_t mpub[32];
    agent_update_cfg_t cfg;
    device_t *dev;
    args_t a;
    FILE *f;
    uint64_t t0, end, t_last = 0;
    unsigned updated = 0, halted = 0, waiting = 0, failed = 0, cycles = 0;
    int exit_code = 1;

    if (parse_args(argc, argv, &a) != 0)
        return 2;
    f = fopen(a.mpub, "rb");
    if (f == NULL || fread(mpub, 1, sizeof mpub, f) != sizeof mpub) {
        fprintf(stderr, "fleet_rgw: %s: not a 32-byte public key\n", a.mpub);
        if (f)
            fclose(f);
        return 2;
    }
    fclose(f);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return 1;
    agent_update_default_cfg(&cfg);
    cfg.endpoint = a.endpoint;
    cfg.bucket = a.bucket;
    cfg.prefix = a.prefix;
    cfg.access_key = getenv("AWS_ACCESS_KEY_ID");
    cfg.secret_key = getenv("AWS_SECRET_ACCESS_KEY");
    cfg.report = cfg.access_key != NULL;
    cfg.interval_ms = a.poll_ms;
    cfg.observe_wait_ms = 200;
    cfg.manifest_pubkey = mpub;
    dev = calloc(a.devices, sizeof *dev);
    if (dev == NULL)
        return 1;
    for (unsigned i = 0; i < a.devices; i++) {
        if (device_open(&dev[i], i, &a, &cfg) != 0) {
            for (unsigned k = 0; k < i; k++)
                device_close(&dev[k]);
            free(dev);
            return 1;
        }
        /* First polls spread over one interval, as a fleet powered on at
         * different times. */
        dev[i].due_us = (uint64_t)a.poll_ms * 1000u * i / a.devices;
    }
    t0 = mono_us();
    end = t0 + (uint64_t)a.duration_s * 1000000u;
    for (unsigned i = 0; i < a.devices; i++)
        dev[i].due_us += t0;
    for (;;) {
        device_t *d = &dev[0];
        uint64_t now;
        int rc;

        for (unsigned i = 1; i < a.devices; i++)
            if (dev[i].due_us < d->due_us)
                d = &dev[i];
        if (d->due_us >= end)
            break;
        now = mono_us();
        if (d->due_us > now)
            sleep_us(d->due_us - now);
        rc = device_cycle(d);
        d->cycles++;
        if (rc == AGENT_OUT_UPDATED)
            d->updated++;
        else if (rc < 0 || rc == AGENT_OUT_ERROR ||
                 rc == AGENT_OUT_ROLLED_BACK || rc == AGENT_OUT_REFUSED)
            d->failed++;
        else if (d->u.stats.last_skip == AGENT_SKIP_HALTED)
            d->halted++;
        else if (d->u.stats.last_skip == AGENT_SKIP_WAITING)
            d->waiting++;
        if (rc < 0 && d->u.err_detail[0])
            fprintf(stderr, "fleet_rgw: %s: %s\n", d->id, d->u.err_detail);
        t_last = mono_us();
        d->due_us =
            t_last + (uint64_t)agent_update_next_delay_ms(&d->u) * 1000u;
    }
    for (unsigned i = 0; i < a.devices; i++) {
        cycles += dev[i].cycles;
        updated += dev[i].updated != 0;
        halted += dev[i].halted != 0 && dev[i].updated == 0;
        waiting += dev[i].waiting;
        failed += dev[i].failed;
    }
    qsort(s_load.lat_us, s_load.n, sizeof s_load.lat_us[0], cmp_u32);
    {
        double wall_s = (double)(t_last - t0) / 1e6;

        printf("fleet_rgw: devices=%u requests=%zu errors=%u p50_ms=%.1f "
               "p99_ms=%.1f rps=%.1f\n",
               a.devices, s_load.n, s_load.errors + failed, quantile_ms(0.50),
               quantile_ms(0.99), wall_s > 0 ? (double)s_load.n / wall_s : 0.0);
        printf("fleet_rgw_detail: duration_s=%u poll_ms=%u cycles=%u gets=%u "
               "puts=%u not_modified=%u updated=%u held_by_halt=%u "
               "waiting_polls=%u failed_cycles=%u gets_per_device_poll=%.3f "
               "max_ms=%.1f\n",
               a.duration_s, a.poll_ms, cycles, s_load.gets, s_load.puts,
               s_load.not_modified, updated, halted, waiting, failed,
               cycles ? (double)s_load.gets / cycles : 0.0, quantile_ms(1.0));
    }
    exit_code = s_load.errors + failed ? 1 : 0;
    for (unsigned i = 0; i < a.devices; i++)
        device_close(&dev[i]);
    free(dev);
    free(s_load.lat_us);
    curl_global_cleanup();
    return exit_code;
}
