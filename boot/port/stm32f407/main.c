/*
 * main.c - the bootloader on the STM32F407: owns the boot context, brings up
 * the clocks, reads the update-mode requests (NSS strap, no-init RAM word),
 * runs the boot decision and either jumps to the chosen image or serves the
 * update protocol. docs/firmware.md describes the sequence.
 */
#include <stdbool.h>
#include <stdint.h>

#include "boot_core.h"
#include "boot_fih.h"
#include "boot_port.h"
#include "boot_proto.h"
#include "fota/fota_assert.h"
#include "fota/fota_err.h"
#include "fota/fota_image_check.h"
#include "fota/fota_layout.h"
#include "fota/fota_nomalloc.h"
#include "fw_hw.h"
#include "fw_iwdg.h"
#include "fw_layout.h"
#include "fw_port.h"
#include "regs/crc.h"
#include "regs/gpio.h"
#include "regs/rcc.h"
#include "regs/scb.h"
#include "regs/usart.h"

static boot_ctx_t s_ctx;
static boot_proto_t s_spi;
static boot_proto_t s_uart;

/*
 * The boot log is buffered: characters are queued here and fed to USART1
 * one at a time from the flash loops (fw_port_set_idle_hook) whenever the
 * transmitter is empty, so the ~5 ms the lines need at 115200 baud overlap
 * the journal scan and the image check instead of adding to them. Before
 * anything that needs the line (update mode, the jump, a reset) the queue
 * is drained synchronously, so no character is lost and the order stays.
 */
#define FW_LOG_SIZE 128u /* a power of two: the indices wrap freely */
static uint8_t s_log[FW_LOG_SIZE];
static uint32_t s_log_head; /* next free position */
static uint32_t s_log_tail; /* next character to send */

static FW_RAMFUNC void fw_log_pump(void)
{
    if (s_log_tail != s_log_head && (USART_SR(USART1) & USART_SR_TXE)) {
        USART_DR(USART1) = s_log[s_log_tail % FW_LOG_SIZE];
        s_log_tail++;
    }
}

/* Send the rest of the queue (fw_uart_putc waits, bounded, for TXE). */
static void fw_log_drain(void)
{
    while (s_log_tail != s_log_head) {
        fw_uart_putc(s_log[s_log_tail % FW_LOG_SIZE]);
        s_log_tail++;
    }
}

static void fw_log_putc(char c)
{
    /* Full: make room the slow way rather than drop the character. */
    if (s_log_head - s_log_tail >= FW_LOG_SIZE) {
        fw_uart_putc(s_log[s_log_tail % FW_LOG_SIZE]);
        s_log_tail++;
    }
    s_log[s_log_head % FW_LOG_SIZE] = (uint8_t)c;
    s_log_head++;
    fw_log_pump();
}

static void fw_log_puts(const char *s)
{
    while (*s) {
        if (*s == '\n')
            fw_log_putc('\r');
        fw_log_putc(*s++);
    }
}

static void fw_log_dec(uint32_t v)
{
    char buf[11];
    int n = 0;
    do {
        buf[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v && n < (int)sizeof buf);
    while (n)
        fw_log_putc(buf[--n]);
}

/* Stop feeding the log from the flash loops and send what is queued. */
static void fw_log_sync(void)
{
    fw_port_set_idle_hook(NULL);
    fw_log_drain();
}

static void fw_log(const char *s)
{
    fw_log_puts("boot: ");
    fw_log_puts(s);
}

static void fw_log_rc(const char *what, int rc)
{
    fw_log(what);
    fw_log_puts(" rc=-");
    fw_log_dec((uint32_t)-rc);
    fw_log_puts("\n");
}

/* "boot: boot slot A" (or "trial boot slot B"): the decision's line. */
static void fw_log_decision(int slot, bool trial)
{
    fw_log(trial ? "trial boot slot " : "boot slot ");
    fw_log_putc(slot == 0 ? 'A' : 'B');
    fw_log_puts("\n");
}

/* The application's one-shot request: both words must match, and they are
 * cleared whatever they held. */
static bool fw_take_noinit_request(void)
{
    bool req = MMIO32(FW_NOINIT_ADDR) == FW_REQ_UPDATE_MAGIC &&
               MMIO32(FW_NOINIT_ADDR + 4) == ~(uint32_t)FW_REQ_UPDATE_MAGIC;
    MMIO32(FW_NOINIT_ADDR) = 0;
    MMIO32(FW_NOINIT_ADDR + 4) = 0;
    return req;
}

/* FOTA_ASSERT / FOTA_UNREACHABLE (include/fota/fota_assert.h): a bug in
 * the bootloader itself. It may fire in the SRAM code while a flash
 * operation runs, so it touches nothing in flash: it leaves a bug report
 * in the no-init window (magic, complement, file, line) and resets. A
 * program or erase cut by the reset is a torn operation the journal
 * tolerates as it does a power cut. The next boot logs the report and
 * goes to update mode: never a jump after a detected bug, and a host can
 * still reach the device. */
FW_RAMFUNC void fota_assert_failed(const char *file, int line)
{
    fw_irq_disable();
    MMIO32(FW_NOINIT_ADDR) = FW_REQ_BUG_MAGIC;
    MMIO32(FW_NOINIT_ADDR + 4) = ~(uint32_t)FW_REQ_BUG_MAGIC;
    MMIO32(FW_NOINIT_ADDR + 8) = (uint32_t)file;
    MMIO32(FW_NOINIT_ADDR + 12) = (uint32_t)line;
    /* ARMv7-M ARM B3.2.6: AIRCR.SYSRESETREQ, after the stores complete. */
    __asm__ volatile("dsb" ::: "memory");
    SCB_AIRCR = SCB_AIRCR_VECTKEY | SCB_AIRCR_SYSRESETREQ;
    __asm__ volatile("dsb" ::: "memory");
    for (;;) {
    }
}

/* The report fota_assert_failed left before the reset, if any (cleared).
 * The file name is printed only if it points into the bootloader's flash
 * or SRAM image, at most FW_BUG_FILE_MAX printable characters. */
#define FW_BUG_FILE_MAX 40u
static bool fw_take_bug_report(void)
{
    bool bug = MMIO32(FW_NOINIT_ADDR) == FW_REQ_BUG_MAGIC &&
               MMIO32(FW_NOINIT_ADDR + 4) == ~(uint32_t)FW_REQ_BUG_MAGIC;
    uint32_t file = MMIO32(FW_NOINIT_ADDR + 8);
    uint32_t line = MMIO32(FW_NOINIT_ADDR + 12);

    for (uint32_t i = 0; i < FOTA_NOINIT_SIZE; i += 4)
        MMIO32(FW_NOINIT_ADDR + i) = 0;
    if (!bug)
        return false;
    /* Where the name may lie: the bootloader's flash, or its SRAM below
     * the window. Reads stop at the region's end. */
    uint32_t end =
        file >= FOTA_BOOT_ADDR && file < FOTA_BOOT_ADDR + FOTA_BOOT_SIZE
            ? FOTA_BOOT_ADDR + FOTA_BOOT_SIZE
        : file >= FW_BOOT_RAM_ADDR && file < FW_NOINIT_ADDR ? FW_NOINIT_ADDR
                                                            : 0;
    fw_log("firmware bug at ");
    if (end == 0)
        fw_log_puts("?");
    for (uint32_t a = file, n = 0; end != 0 && a < end && n < FW_BUG_FILE_MAX;
         a++, n++) {
        char c = *(const char *)a;
        if (c < ' ' || c >= 0x7F)
            break;
        fw_log_putc(c);
    }
    fw_log_putc(':');
    fw_log_dec(line);
    fw_log_puts(" in the last boot\n");
    return true;
}

static void fw_log_reset_cause(uint32_t csr)
{
    fw_log_puts(" reset=");
    if (csr & RCC_CSR_IWDGRSTF)
        fw_log_puts("iwdg");
    else if (csr & RCC_CSR_SFTRSTF)
        fw_log_puts("soft");
    else if (csr & RCC_CSR_PORRSTF)
        fw_log_puts("por");
    else if (csr & RCC_CSR_PINRSTF)
        fw_log_puts("pin");
    else
        fw_log_puts("other");
}

/* Hand the chip over as close to its reset state as the application may
 * expect: interrupts masked (the application enables what it needs),
 * SysTick off, the peripherals the bootloader used reset and unclocked.
 * The clock tree stays at 168 MHz (or HSI if that is what we got). */
__attribute__((noreturn)) static void fw_jump(const boot_decision_t *d)
{
    fw_log_sync();
    fw_uart_deinit();
    fw_irq_disable();
    fw_systick_stop();
    for (unsigned i = 0; i < NVIC_IRQ_WORDS; i++) {
        NVIC_ICER(i) = 0xFFFFFFFFu;
        NVIC_ICPR(i) = 0xFFFFFFFFu;
    }
    RCC_AHB1RSTR |= RCC_AHB1RSTR_GPIOARST | RCC_AHB1RSTR_CRCRST;
    RCC_AHB1RSTR &= ~(RCC_AHB1RSTR_GPIOARST | RCC_AHB1RSTR_CRCRST);
    RCC_AHB1ENR &= ~(RCC_AHB1ENR_GPIOAEN | RCC_AHB1ENR_CRCEN);

    SCB_VTOR = d->vector_addr;
    __asm__ volatile("dsb\n\tisb" ::: "memory");
    __asm__ volatile("msr msp, %0\n\t"
                     "bx %1\n\t" ::"r"(d->msp),
                     "r"(d->entry)
                     : "memory");
    for (;;) {
    }
}

/* The journal could not be written in the factory state (no record at
 * all): boot the highest fully verified image without recording it, as the
 * factory decision would have, rather than refusing a good image. There is
 * no trial to count in this state. Used on QEMU, whose flash ignores
 * writes. Returns -1 when no image verifies. */
static int fw_factory_fallback(boot_decision_t *d)
{
    fota_image_hdr_t hdr[FOTA_SLOT_COUNT];
    int best = -1;

    for (int s = 0; s < FOTA_SLOT_COUNT; s++) {
        if (boot_verify_image(&s_ctx, s, true, &hdr[s]) != 0)
            continue;
        if (best < 0 ||
            fota_version_cmp(&hdr[s].version, &hdr[best].version) > 0)
            best = s;
    }
    if (best < 0)
        return -1;
    uint32_t vec = (uint32_t)FOTA_SLOT_BODY_ADDR(best);
    uint32_t msp = MMIO32(vec);
    uint32_t entry = MMIO32(vec + 4);
    /* boot_verify_image applied the whole image check to these words; the
     * same rules again on what is about to be jumped to. */
    if (!fota_image_sp_ok(msp) ||
        !fota_image_entry_ok(entry, vec, hdr[best].body_size))
        return -1;
    d->action = BOOT_ACTION_JUMP;
    d->slot = (int8_t)best;
    d->trial = false;
    d->vector_addr = vec;
    d->msp = msp;
    d->entry = entry;
    d->confirm_window_ms = fota_image_confirm_window_ms(&hdr[best]);
    d->gate = FIH_SUCCESS;
    return 0;
}

/* From the reset handler (registers only): the RAM copy and the boot
 * decision run at 168 MHz from the HSI, while the crystal starts (~2 ms);
 * fw_clock_handover moves the PLL onto it before the hand-over. */
void fw_early_init(void)
{
    fw_clock_start();
}

/* How long the crystal may still take once the decision is made (it was
 * started at reset, and needs ~2 ms typical, DS8626): one that is not
 * running after this is taken as dead and the HSI fallback is used, as
 * before. The loop bound only matters if SysTick does not count. */
#define FW_HSE_WAIT_MS 50u
#define FW_HSE_WAIT_LOOPS 1000000u /* >= 50 ms at 168 MHz, ~25 cycles each */

static bool s_clock_final;

/*
 * Before the jump and before update mode: the application is handed the
 * crystal's 168 MHz (docs/firmware.md), and the USART link of update mode
 * needs its accuracy. The log keeps going out while the crystal finishes
 * starting; it pauses only for the relock (~0.1 ms on the HSI, the line
 * idle), and the rest of it goes out at the crystal's accuracy. Runs once.
 */
static void fw_clock_handover(void)
{
    uint32_t t0 = fw_ms();

    if (s_clock_final)
        return;
    s_clock_final = true;
    for (uint32_t n = 0; n < FW_HSE_WAIT_LOOPS && !fw_clock_hse_ready() &&
                         fw_ms() - t0 < FW_HSE_WAIT_MS;
         n++)
        fw_log_pump();
    fw_uart_flush();
    uint32_t hz = fw_hclk_hz();
    int clk = fw_clock_use_hse();
    /* Normally 168 MHz before and after; when the clock did change (the
     * 16 MHz fallback), SysTick and the baud divider follow it. */
    if (fw_hclk_hz() != hz) {
        fw_systick_start();
        fw_uart_init();
    }
    if (clk != FW_CLOCK_PLL_HSE)
        fw_log("no crystal, clk=hsi16\n");
}

/* The SPI link's CS input (PA4, the update-mode strap at reset), and how
 * long a reboot waits for the host to raise it. */
#define FW_CS_PIN 4u
#define FW_REBOOT_CS_WAIT_MS 20u

__attribute__((noreturn)) static void fw_update_mode(void)
{
    fw_clock_handover();
    fw_log("update mode\n");
    /* The protocol loop is timing-critical and owns the flash loops from
     * here: the log goes out synchronously. */
    fw_log_sync();
    fw_port_iwdg_start(FW_IWDG_UPDATE_PR, FW_IWDG_UPDATE_RLR);
    boot_proto_init(&s_spi, &s_ctx, BOOT_LINK_SPI);
    boot_proto_init(&s_uart, &s_ctx, BOOT_LINK_UART);
    fw_spi_slave_init();
    int why = fw_link_run(&s_spi, &s_uart);
    fw_spi_slave_deinit();
    /* A reboot was asked for once the host had clocked its last byte; it
     * still holds CS (PA4) low, which at the reset would be the strap.
     * Reset as soon as it lets go, or after FW_REBOOT_CS_WAIT_MS (a host
     * that never raises CS asked for update mode anyway). */
    if (why == FW_LINK_REBOOT) {
        uint32_t t0 = fw_ms();

        while (!(GPIO_IDR(GPIOA) & (1u << FW_CS_PIN)) &&
               fw_ms() - t0 < FW_REBOOT_CS_WAIT_MS) {
        }
    }
    fw_log(why == FW_LINK_REBOOT ? "reboot\n" : "idle, reset\n");
    fw_log_drain();
    fw_uart_flush();
    fw_system_reset();
}

int main(void)
{
    uint32_t csr = RCC_CSR;
    RCC_CSR |= RCC_CSR_RMVF;
    bool bug = MMIO32(FW_NOINIT_ADDR) == FW_REQ_BUG_MAGIC;
    bool app_req = !bug && fw_take_noinit_request();
    (void)fw_clock_setup();
    fw_systick_start();
    fw_uart_init();
    fw_port_set_idle_hook(fw_log_pump);

    fw_log_puts("\nfota-boot ");
    fw_log_dec(FW_BOOT_VERSION_MAJOR);
    fw_log_putc('.');
    fw_log_dec(FW_BOOT_VERSION_MINOR);
    fw_log_putc('.');
    fw_log_dec(FW_BOOT_VERSION_PATCH);
    fw_log_reset_cause(csr);
    fw_log_puts("\n");
    if (bug && fw_take_bug_report())
        fw_update_mode();

    bool strap = fw_strap_update_requested();
    int rc = boot_init(&s_ctx);
    if (rc < 0) {
        fw_log_rc("journal read failed", rc);
        fw_update_mode();
    }
    if (strap || app_req) {
        fw_log(strap ? "nss strap low\n" : "requested by application\n");
        fw_update_mode();
    }

    /* A trial attempt that a power loss ended is given back (bounded,
     * docs/boot-flow.md): POR/BOR set and nothing that means the image or
     * a watchdog reset the chip (RM0090 7.3.21). */
    s_ctx.power_loss_reset = (csr & (RCC_CSR_PORRSTF | RCC_CSR_BORRSTF)) != 0 &&
                             (csr & (RCC_CSR_IWDGRSTF | RCC_CSR_WWDGRSTF |
                                     RCC_CSR_SFTRSTF | RCC_CSR_LPWRRSTF)) == 0;
    /* The decision line goes out while the image check runs (the UART
     * needs ~1.7 ms for it, about a third of a confirmed boot): when the
     * journal names the slot, it is announced now, and corrected below if
     * its check fails. */
    int expected = boot_expected_slot(&s_ctx);
    if (expected >= 0)
        fw_log_decision(expected, false);
    boot_decision_t d;
    rc = boot_decide(&s_ctx, &d);
    bool announced = rc == 0 && d.action == BOOT_ACTION_JUMP && !d.trial &&
                     d.slot == expected;
    if (expected >= 0 && !announced) {
        fw_log("slot ");
        fw_log_putc(expected == 0 ? 'A' : 'B');
        fw_log_puts(" not booted\n");
    }
    if (rc < 0) {
        fw_log_rc("decision failed", rc);
        if (s_ctx.area != BOOT_AREA_NONE || fw_factory_fallback(&d) < 0)
            fw_update_mode();
        fw_log("factory state, journal not writable: booting unrecorded\n");
    }
    /* The gate's verdict, tested twice here and twice again right before
     * the jump (boot_fih.h): a glitch must defeat every one of them. */
    volatile fih_int gate = d.gate;
    if (d.action != BOOT_ACTION_JUMP || d.slot < 0 || FIH_FAILED(gate))
        fw_update_mode();

    fw_clock_handover();
    if (!announced)
        fw_log_decision(d.slot, d.trial);
    /* A trial image that hangs before confirming is reset by the watchdog
     * and the next boot counts the attempt. The period honours the image's
     * confirm window even at the fastest LSI (fw_iwdg.h). A confirmed image
     * runs without a watchdog unless it starts one itself. */
    if (d.trial) {
        uint32_t pr, rlr;

        fw_iwdg_for_window(d.confirm_window_ms, &pr, &rlr);
        fw_port_iwdg_start(pr, rlr);
    }
    if (FIH_FAILED(gate))
        fw_update_mode();
    fw_jump(&d);
}
