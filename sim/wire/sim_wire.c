/*
 * sim_wire.c - the simulated SPI link and target (see sim_wire.h).
 */
#include "sim_wire.h"

#include <string.h>

#include "boot_port_host.h"
#include "fota/fota_err.h"
#include "fota/fota_prng.h"
#include "fota/fota_proto.h"

/* What MISO reads when no bootloader drives it (pull-up, or an
 * application that ignores the bus). */
#define SIM_WIRE_IDLE 0xFF

/* Engine polls without the flash becoming busy before the wire charges a
 * little CPU time: the engine may need a few polls to move from one queued
 * operation to the next, but must not spin for free forever. */
#define SIM_WIRE_FREE_POLLS 8
#define SIM_WIRE_CPU_STEP_NS 100

void sim_wire_default_cfg(sim_wire_cfg_t *cfg)
{
    cfg->sck_hz = 8000000u;
    cfg->xfer_overhead_ns = 10000u;
    cfg->baud = 115200u;
}

void sim_wire_no_faults(sim_wire_faults_t *faults)
{
    memset(faults, 0, sizeof(*faults));
    faults->window_end = SIM_WIRE_NEVER;
    faults->stall_at = SIM_WIRE_NEVER;
    faults->reset_at = SIM_WIRE_NEVER;
    faults->kill_at = SIM_WIRE_NEVER;
}

void sim_wire_set_faults(sim_wire_t *w, const sim_wire_faults_t *faults)
{
    if (faults)
        w->faults = *faults;
    else
        sim_wire_no_faults(&w->faults);
    w->rng = fota_prng_seed(w->faults.seed * 2654435761u + 0x9E3779B9u);
    w->stall_done = false;
    w->reset_done = false;
    w->stall_until_ns = 0;
    w->flip_a = SIM_WIRE_NEVER;
    w->flip_b = SIM_WIRE_NEVER;
}

static uint32_t wire_rand(sim_wire_t *w)
{
    return fota_prng_next(&w->rng);
}

/* ---- target ----------------------------------------------------------------- */

static void wire_enter_update(sim_wire_t *w)
{
    boot_proto_init(&w->proto, &w->boot, BOOT_LINK_SPI);
    boot_proto_init(&w->uproto, &w->boot, BOOT_LINK_UART);
    w->urx_head = 0;
    w->urx_count = 0;
    w->mode = SIM_TARGET_UPDATE;
    w->app_slot = -1;
    w->app_trial = false;
    /* Before the engine has answered anything, the data register holds
     * the busy/idle pattern. */
    w->preload = FOTA_PROTO_BUSY;
}

/* The boot decision: jump to an image or stay in update mode. */
static void wire_decide(sim_wire_t *w)
{
    boot_decision_t d;
    int rc;

    memset(&d, 0, sizeof(d));
    rc = boot_decide(&w->boot, &d);
    w->last_boot_rc = rc;
    if (rc == 0 && d.action == BOOT_ACTION_JUMP) {
        w->mode = SIM_TARGET_APP;
        w->app_slot = d.slot;
        w->app_trial = d.trial;
        return;
    }
    wire_enter_update(w);
}

/* Reset (power-on or NRST release): read the journal, sample the strap. */
static void wire_boot(sim_wire_t *w)
{
    int rc;

    w->target_boots++;
    rc = boot_init(&w->boot);
    w->last_boot_rc = rc;
    if (rc < 0 || w->cs) {
        /* CS held low across reset: the update-mode strap. A journal that
         * cannot be read also leaves the bootloader waiting for the host. */
        wire_enter_update(w);
        return;
    }
    wire_decide(w);
}

/* The engine asked for a reboot (Go, FOTA_OP_REBOOT): the bootloader
 * re-runs its decision; the strap is only sampled by a hardware reset. */
static void wire_reboot(sim_wire_t *w)
{
    int rc;

    w->reboots++;
    w->target_boots++;
    rc = boot_init(&w->boot);
    w->last_boot_rc = rc;
    if (rc < 0) {
        wire_enter_update(w);
        return;
    }
    wire_decide(w);
}

static void wire_take_request(sim_wire_t *w)
{
    if (w->mode == SIM_TARGET_UPDATE &&
        boot_proto_take_request(&w->proto) == BOOT_REQ_REBOOT)
        wire_reboot(w);
}

void sim_wire_reset_target(sim_wire_t *w)
{
    w->mode = SIM_TARGET_RESET;
    wire_boot(w);
}

int sim_wire_app_confirm(sim_wire_t *w)
{
    if (w->mode != SIM_TARGET_APP || w->app_slot < 0)
        return FOTA_ERR_PERM;
    return boot_confirm(&w->boot, w->app_slot);
}

/* ---- UART target output ------------------------------------------------------ */

static uint64_t wire_uart_byte_ns(const sim_wire_t *w)
{
    return 11000000000ull / w->cfg.baud; /* start, 8 data, parity, stop */
}

/* Queue bytes the UART engine produced: each finishes arriving one byte
 * time after the previous one (or after now). */
static void wire_uart_push(sim_wire_t *w, const uint8_t *b, size_t n)
{
    uint64_t t = w->flash->now_ns;

    if (w->urx_count) {
        uint16_t last =
            (uint16_t)((w->urx_head + w->urx_count - 1) % SIM_WIRE_UART_FIFO);
        if (w->urx_ready_ns[last] > t)
            t = w->urx_ready_ns[last];
    }
    for (size_t i = 0; i < n; i++) {
        if (w->urx_count >= SIM_WIRE_UART_FIFO) {
            w->urx_overflows++;
            continue;
        }
        uint16_t at =
            (uint16_t)((w->urx_head + w->urx_count) % SIM_WIRE_UART_FIFO);
        t += wire_uart_byte_ns(w);
        w->urx[at] = b[i];
        w->urx_ready_ns[at] = t;
        w->urx_count++;
    }
}

/* Poll both engines; returns whether either has work left. */
static int wire_poll_engines(sim_wire_t *w)
{
    uint8_t out[64];
    size_t n = 0;
    int more = boot_proto_poll(&w->proto, NULL, 0, NULL);

    wire_take_request(w);
    if (w->mode != SIM_TARGET_UPDATE)
        return 0;
    more |= boot_proto_poll(&w->uproto, out, sizeof(out), &n);
    wire_uart_push(w, out, n);
    if (boot_proto_take_request(&w->uproto) == BOOT_REQ_REBOOT)
        wire_reboot(w);
    return more;
}

/* ---- time ---------------------------------------------------------------------- */

void sim_wire_advance_ns(sim_wire_t *w, uint64_t ns)
{
    sim_flash_t *f = w->flash;
    uint64_t end = f->now_ns + ns;
    unsigned free_polls = 0;

    while (f->now_ns < end) {
        if (w->mode != SIM_TARGET_UPDATE) {
            sim_flash_advance_ns(f, end - f->now_ns);
            break;
        }
        int more = wire_poll_engines(w);
        if (f->now_ns >= end)
            break;
        if (sim_flash_busy(f)) {
            /* Jump to the end of the flash operation (or of the interval). */
            uint64_t until = f->busy_until_ns < end ? f->busy_until_ns : end;
            sim_flash_advance_ns(f, until - f->now_ns);
            free_polls = 0;
        } else if (more > 0 && free_polls < SIM_WIRE_FREE_POLLS) {
            free_polls++;
        } else if (more > 0) {
            uint64_t step = end - f->now_ns;
            if (step > SIM_WIRE_CPU_STEP_NS)
                step = SIM_WIRE_CPU_STEP_NS;
            sim_flash_advance_ns(f, step);
            free_polls = 0;
        } else {
            /* Idle engine: nothing happens until the next byte, except
             * its own timeouts, which it checks on the next poll. */
            sim_flash_advance_ns(f, end - f->now_ns);
        }
    }
    /* Let the engine see the final time (frame timeouts, finished work). */
    if (w->mode == SIM_TARGET_UPDATE)
        (void)wire_poll_engines(w);
}

/* ---- one byte on the bus --------------------------------------------------- */

static uint8_t wire_exchange(sim_wire_t *w, uint8_t mosi)
{
    uint8_t miso = w->preload;

    w->preload = boot_proto_spi_exchange(&w->proto, mosi);
    wire_take_request(w);
    return miso;
}

static bool wire_in_window(const sim_wire_t *w)
{
    const sim_wire_faults_t *fl = &w->faults;

    if (w->bytes < fl->window_start || w->bytes >= fl->window_end)
        return false;
    return fl->max_faults == 0 || w->faults_injected < fl->max_faults;
}

/* Draw against a probability in ppm. */
static bool wire_hit(sim_wire_t *w, uint32_t ppm)
{
    if (!ppm)
        return false;
    return wire_rand(w) % 1000000u < ppm;
}

static uint8_t wire_clock_byte(sim_wire_t *w, uint8_t mosi)
{
    sim_wire_faults_t *fl = &w->faults;
    uint64_t byte_ns = 8000000000ull / w->cfg.sck_hz;
    uint8_t miso;

    if (!w->stall_done && w->bytes >= fl->stall_at && fl->stall_ms) {
        w->stall_done = true;
        w->stall_until_ns =
            w->flash->now_ns + (uint64_t)fl->stall_ms * 1000000u;
        w->faults_injected++;
    }
    if (!w->reset_done && w->bytes >= fl->reset_at) {
        w->reset_done = true;
        w->faults_injected++;
        sim_wire_reset_target(w);
    }

    sim_wire_advance_ns(w, byte_ns);

    if (w->mode != SIM_TARGET_UPDATE) {
        miso = SIM_WIRE_IDLE;
    } else if (w->flash->now_ns < w->stall_until_ns) {
        /* The slave's handler does not run: the master reads the busy
         * pattern and the byte is lost. */
        miso = FOTA_PROTO_BUSY;
    } else if (wire_in_window(w) && wire_hit(w, fl->drop_ppm)) {
        w->faults_injected++;
        miso = w->preload; /* the slave never saw the clocks */
    } else if (wire_in_window(w) && wire_hit(w, fl->dup_ppm)) {
        w->faults_injected++;
        miso = wire_exchange(w, mosi);
        if (w->mode == SIM_TARGET_UPDATE)
            (void)wire_exchange(w, mosi);
    } else {
        if (w->bytes == w->flip_a || w->bytes == w->flip_b)
            mosi ^= 0x10;
        if (wire_in_window(w) && wire_hit(w, fl->mosi_flip_ppm)) {
            w->faults_injected++;
            mosi ^= (uint8_t)(1u << (wire_rand(w) % 8u));
        }
        miso = wire_exchange(w, mosi);
    }
    if (wire_in_window(w) && wire_hit(w, fl->miso_flip_ppm)) {
        w->faults_injected++;
        miso ^= (uint8_t)(1u << (wire_rand(w) % 8u));
    }
    w->bytes++;
    return miso;
}

/* ---- agent-side ports --------------------------------------------------------- */

static int wire_xfer(agent_spi_t *self, const uint8_t *tx, uint8_t *rx,
                     size_t len, uint32_t timeout_ms)
{
    sim_wire_t *w = AGENT_CONTAINER_OF(self, sim_wire_t, spi);

    (void)timeout_ms; /* the simulated bus never hangs */
    w->xfers++;
    sim_wire_advance_ns(w, w->cfg.xfer_overhead_ns);
    if (w->faults.pair_flips && len >= 200 && w->mode == SIM_TARGET_UPDATE) {
        w->faults.pair_flips--;
        w->faults_injected++;
        w->flip_a = w->bytes + 40;
        w->flip_b = w->bytes + 42;
    }
    for (size_t i = 0; i < len; i++) {
        if (w->bytes >= w->faults.kill_at && w->faults.kill_jmp) {
            jmp_buf *jb = w->faults.kill_jmp;

            /* The agent's MCU resets: its pins float, CS goes high. */
            w->faults.kill_at = SIM_WIRE_NEVER;
            w->faults.kill_jmp = NULL;
            w->faults_injected++;
            w->cs = false;
            if (w->mode == SIM_TARGET_UPDATE)
                boot_proto_reset_link(&w->proto);
            longjmp(*jb, 1);
        }
        uint8_t in = wire_clock_byte(w, tx ? tx[i] : FOTA_PROTO_DUMMY);
        if (rx)
            rx[i] = in;
    }
    return 0;
}

static int wire_uart_write(agent_uart_t *self, const uint8_t *tx, size_t len,
                           uint32_t timeout_ms)
{
    sim_wire_t *w = AGENT_CONTAINER_OF(self, sim_wire_t, uart);
    uint8_t out[64];

    (void)timeout_ms; /* the simulated line never blocks */
    for (size_t i = 0; i < len; i++) {
        uint8_t b = tx[i];

        sim_wire_advance_ns(w, wire_uart_byte_ns(w));
        if (wire_in_window(w) && wire_hit(w, w->faults.mosi_flip_ppm)) {
            w->faults_injected++;
            b ^= (uint8_t)(1u << (wire_rand(w) % 8u));
        }
        if (w->mode == SIM_TARGET_UPDATE) {
            size_t n = boot_proto_uart_rx(&w->uproto, b, out, sizeof(out));

            wire_uart_push(w, out, n);
            if (boot_proto_take_request(&w->uproto) == BOOT_REQ_REBOOT)
                wire_reboot(w);
        }
        w->bytes++;
    }
    return 0;
}

static int wire_uart_read(agent_uart_t *self, uint8_t *rx, size_t len,
                          uint32_t timeout_ms)
{
    sim_wire_t *w = AGENT_CONTAINER_OF(self, sim_wire_t, uart);
    uint64_t deadline = w->flash->now_ns + (uint64_t)timeout_ms * 1000000u;
    size_t got = 0;

    while (got < len) {
        uint64_t now = w->flash->now_ns;

        if (w->urx_count && w->urx_ready_ns[w->urx_head] <= now) {
            uint8_t b = w->urx[w->urx_head];

            w->urx_head = (uint16_t)((w->urx_head + 1) % SIM_WIRE_UART_FIFO);
            w->urx_count--;
            if (wire_in_window(w) && wire_hit(w, w->faults.miso_flip_ppm)) {
                w->faults_injected++;
                b ^= (uint8_t)(1u << (wire_rand(w) % 8u));
            }
            rx[got++] = b;
            continue;
        }
        if (now >= deadline)
            break;
        uint64_t until = w->urx_count ? w->urx_ready_ns[w->urx_head]
                                      : now + wire_uart_byte_ns(w);
        if (until > deadline)
            until = deadline;
        sim_wire_advance_ns(w, until - now);
    }
    return (int)got;
}

static int wire_set_cs(agent_spi_t *self, bool asserted)
{
    sim_wire_t *w = AGENT_CONTAINER_OF(self, sim_wire_t, spi);

    if (w->cs && !asserted && w->mode == SIM_TARGET_UPDATE)
        boot_proto_reset_link(&w->proto);
    w->cs = asserted;
    return 0;
}

static int wire_gpio_set(agent_gpio_t *self, unsigned pin, int level)
{
    sim_wire_t *w = AGENT_CONTAINER_OF(self, sim_wire_t, gpio);

    switch (pin) {
    case AGENT_PIN_NRST:
        if (!level) {
            w->nrst_low = true;
            w->mode = SIM_TARGET_RESET;
        } else if (w->nrst_low) {
            w->nrst_low = false;
            wire_boot(w);
        }
        return 0;
    case AGENT_PIN_BOOT0:
        return 0; /* the ROM bootloader is not modelled; BOOT0 is ignored */
    default:
        return FOTA_ERR_INVAL;
    }
}

static uint32_t wire_now_ms(agent_clock_t *self)
{
    sim_wire_t *w = AGENT_CONTAINER_OF(self, sim_wire_t, clock);

    return (uint32_t)(w->flash->now_ns / 1000000u);
}

static void wire_sleep_ms(agent_clock_t *self, uint32_t ms)
{
    sim_wire_t *w = AGENT_CONTAINER_OF(self, sim_wire_t, clock);

    sim_wire_advance_ns(w, (uint64_t)ms * 1000000u);
}

static const agent_spi_ops_t s_wire_spi_ops = {wire_xfer, wire_set_cs};
static const agent_uart_ops_t s_wire_uart_ops = {wire_uart_write,
                                                 wire_uart_read};
static const agent_gpio_ops_t s_wire_gpio_ops = {wire_gpio_set};
static const agent_clock_ops_t s_wire_clock_ops = {wire_now_ms, wire_sleep_ms};

void sim_wire_init(sim_wire_t *w, sim_flash_t *flash, const sim_wire_cfg_t *cfg)
{
    memset(w, 0, sizeof(*w));
    w->flash = flash;
    if (cfg)
        w->cfg = *cfg;
    else
        sim_wire_default_cfg(&w->cfg);
    if (!w->cfg.sck_hz)
        w->cfg.sck_hz = 8000000u;
    if (!w->cfg.baud)
        w->cfg.baud = 115200u;
    w->spi.ops = &s_wire_spi_ops;
    w->uart.ops = &s_wire_uart_ops;
    w->gpio.ops = &s_wire_gpio_ops;
    w->clock.ops = &s_wire_clock_ops;
    w->app_slot = -1;
    sim_wire_set_faults(w, NULL);
    boot_port_host_bind(flash);
    wire_boot(w); /* power-on with CS released */
}
