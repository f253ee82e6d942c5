/*
 * fota_app.c - the application library on the STM32F407 (fota_app.h).
 * Registers are written directly (RM0090); nothing of a HAL is needed.
 */
#include "fota_app.h"

#include <stddef.h>
#include <string.h>

#include "fota/fota_err.h"
#include "fota/fota_layout.h"
#include "fota/fota_le.h"
#include "fota/fota_app_proto.h"

#define REG(a) (*(volatile uint32_t *)(uintptr_t)(a))

/* RM0090 2.3 memory map, 6.3 RCC, 8.4 GPIO, 28.5 SPI. */
#define RCC_AHB1ENR REG(0x40023830u)
#define RCC_APB2ENR REG(0x40023844u)
#define RCC_APB2RSTR REG(0x40023824u)
#define RCC_AHB1ENR_GPIOAEN (1u << 0)
#define RCC_APB2_SPI1 (1u << 12)
#define GPIOA_MODER REG(0x40020000u)
#define GPIOA_OSPEEDR REG(0x40020008u)
#define GPIOA_PUPDR REG(0x4002000Cu)
#define GPIOA_IDR REG(0x40020010u)
#define GPIOA_AFRL REG(0x40020020u)
#define SPI1_CR1 REG(0x40013000u)
#define SPI1_CR2 REG(0x40013004u)
#define SPI1_SR REG(0x40013008u)
#define SPI1_DR REG(0x4001300Cu)
#define SPI_CR1_SPE (1u << 6)
#define SPI_CR1_SSM (1u << 9)
#define SPI_CR2_ERRIE (1u << 5)
#define SPI_CR2_RXNEIE (1u << 6)
#define SPI_SR_RXNE (1u << 0)
#define SPI_SR_OVR (1u << 6)
/* ARMv7-M ARM B3.2.2 (SCB) and B3.4.3 (NVIC_ISERn); SPI1 is IRQ 35. */
#define SCB_AIRCR REG(0xE000ED0Cu)
#define NVIC_ISER1 REG(0xE000E104u)
#define SPI1_IRQ_BIT (1u << (35u - 32u))

/* Bootloader API table (docs/firmware.md). */
#define API_ADDR (FOTA_BOOT_ADDR + 0x200u)
#define API_MAGIC 0x50414246u
#define API_OFF_ABI 4u
#define API_OFF_BOOT_VERSION 8u
#define API_OFF_CONFIRM 12u
#define API_OFF_REQUEST_UPDATE 16u
/* The no-init request words (include/fota/fota_layout.h on the bootloader
 * side: the top 16 bytes of SRAM). */
#define NOINIT_ADDR (FOTA_SRAM_ADDR + FOTA_SRAM_SIZE - 0x10u)
#define REQ_UPDATE_MAGIC 0x54445055u

#define NSS_PIN 4u

typedef int (*api_confirm_fn)(int slot);
typedef void (*api_request_fn)(void);

static struct {
    int slot;
    unsigned mode;
    uint8_t flags; /* FOTA_APP_F_* */
    bool nss_high;
    void (*before_reset)(void);
    fota_app_link_t link;
    /* The status payload, rebuilt after every journal change this library
     * makes, so an answer is a copy (never a journal scan inside the gap
     * between two SPI bytes). */
    uint8_t status[FOTA_APP_STATUS_PAYLOAD];
} s_app = {.slot = -1};

static const uint8_t *flash_base(void)
{
    return (const uint8_t *)(uintptr_t)FOTA_FLASH_BASE;
}

static bool api_present(void)
{
    return REG(API_ADDR) == API_MAGIC && REG(API_ADDR + API_OFF_ABI) >= 1u;
}

__attribute__((noreturn)) static void app_reset(void)
{
    if (s_app.before_reset)
        s_app.before_reset();
    __asm__ volatile("dsb" ::: "memory");
    SCB_AIRCR = (0x05FAu << 16) | (1u << 2); /* VECTKEY, SYSRESETREQ */
    __asm__ volatile("dsb" ::: "memory");
    for (;;) {
    }
}

/* Before a reset of its own that must boot normally: give an agent that
 * is reading the status (CS low) time to finish, since CS low at reset is
 * the bootloader's update-mode strap. Bounded: about 50 ms at 168 MHz. */
static void wait_cs_released(void)
{
    for (uint32_t n = 0; n < 2000000u; n++)
        if (GPIOA_IDR & (1u << NSS_PIN))
            return;
}

static int refresh_status(void)
{
    return fota_app_status_build(flash_base(), s_app.slot, s_app.flags,
                                 s_app.status);
}

static int answer(void *ctx, uint8_t cmd, uint8_t *payload, size_t cap)
{
    (void)ctx;
    if (cmd == FOTA_APP_CMD_STATUS && cap >= FOTA_APP_STATUS_PAYLOAD) {
        memcpy(payload, s_app.status, FOTA_APP_STATUS_PAYLOAD);
        return (int)FOTA_APP_STATUS_PAYLOAD;
    }
    if (cmd == FOTA_APP_CMD_UPDATE && cap >= FOTA_APP_UPDATE_PAYLOAD) {
        payload[0] = 0; /* accepted */
        return (int)FOTA_APP_UPDATE_PAYLOAD;
    }
    if (cmd == FOTA_APP_CMD_CONFIRM && cap >= FOTA_APP_CONFIRM_PAYLOAD) {
        payload[0] = fota_app_on_trial() ? FOTA_APP_CONFIRM_ACCEPTED
                                         : FOTA_APP_CONFIRM_CONFIRMED;
        return (int)FOTA_APP_CONFIRM_PAYLOAD;
    }
    return -1;
}

static void spi1_init(void)
{
    RCC_AHB1ENR |= RCC_AHB1ENR_GPIOAEN;
    RCC_APB2ENR |= RCC_APB2_SPI1;
    (void)RCC_APB2ENR;
    RCC_APB2RSTR |= RCC_APB2_SPI1;
    RCC_APB2RSTR &= ~RCC_APB2_SPI1;

    /* PA5..7 AF5; PA4 an input with pull-up (the agent's CS, read only to
     * drop half frames). SCK and MOSI pulled down. */
    uint32_t mode = GPIOA_MODER & ~(0xFFu << 8);
    mode |= (2u << 10) | (2u << 12) | (2u << 14);
    GPIOA_AFRL = (GPIOA_AFRL & ~0xFFF00000u) | 0x55500000u;
    GPIOA_OSPEEDR |= 0xFCu << 8;
    GPIOA_PUPDR =
        (GPIOA_PUPDR & ~(0xFFu << 8)) | (1u << 8) | (2u << 10) | (2u << 14);
    GPIOA_MODER = mode;

    /* Slave, CPOL 0 CPHA 0, 8 bits, MSB first, software NSS with SSI = 0:
     * the byte stream is self-synchronising (fota_app_proto.h). */
    SPI1_CR2 = 0;
    SPI1_CR1 = SPI_CR1_SSM;
    SPI1_DR = FOTA_APP_FILL;
    SPI1_CR1 |= SPI_CR1_SPE;
    if (s_app.mode == FOTA_APP_IRQ) {
        SPI1_CR2 = SPI_CR2_RXNEIE | SPI_CR2_ERRIE;
        NVIC_ISER1 = SPI1_IRQ_BIT;
    }
}

/* Which slot this code was linked for: where the library itself is. */
static int running_slot(void)
{
    uint32_t pc = (uint32_t)(uintptr_t)&fota_app_init;

    for (int s = 0; s < FOTA_SLOT_COUNT; s++)
        if (pc >= (uint32_t)FOTA_SLOT_BODY_ADDR(s) &&
            pc < (uint32_t)FOTA_SLOT_ADDR(s) + FOTA_SLOT_SIZE)
            return s;
    return -1;
}

int fota_app_init(unsigned mode)
{
    int slot = running_slot();

    if (slot < 0)
        return -1;
    s_app.slot = slot;
    s_app.mode = mode;
    fota_app_link_init(&s_app.link);
    if (refresh_status() < 0) {
        s_app.slot = -1;
        return -1;
    }
    spi1_init();
    /* The bootloader hands over with PRIMASK set (boot/port/stm32f407/
     * main.c, fw_jump), unlike a reset, which clears it (ARMv7-M ARM
     * B1.4.3); a CubeIDE/HAL application never unmasks, so its SysTick
     * tick would stop HAL_Delay() for ever. Unmask here, once the SPI1
     * responder is ready to take its interrupt. */
    __asm__ volatile("cpsie i" ::: "memory");
    return 0;
}

/* One SPI1 service step; the caller masks nothing (the IRQ runs it at its
 * priority, the main loop between its own work). */
static void spi1_service(void)
{
    uint32_t sr = SPI1_SR;

    if (sr & SPI_SR_OVR) {
        /* A byte was lost: the frame cannot be trusted. Reading DR then SR
         * clears OVR (RM0090 28.4.8). */
        (void)SPI1_DR;
        (void)SPI1_SR;
        fota_app_link_abort(&s_app.link);
        SPI1_DR = FOTA_APP_FILL;
        return;
    }
    if (sr & SPI_SR_RXNE) {
        uint8_t rx = (uint8_t)SPI1_DR;
        SPI1_DR = fota_app_link_byte(&s_app.link, rx, answer, NULL);
    }
    if (s_app.link.update_due)
        fota_app_request_update_mode();
    if (s_app.link.confirm_due) {
        /* The host's confirm (`fota device confirm`): on a trial this
         * resets into the confirmed boot once the host released CS; a
         * refusal leaves the trial running, which the host sees in the
         * status. */
        s_app.link.confirm_due = false;
        (void)fota_app_confirm();
    }
}

void fota_app_poll(void)
{
    bool high;

    if (s_app.slot < 0)
        return;
    /* A byte clocked while CS was low belongs to the exchange: serve it
     * before a rising CS ends the exchange, or the byte that completes an
     * answer (and makes a CONFIRM or UPDATE due) would be dropped. */
    if (s_app.mode == FOTA_APP_POLLED)
        spi1_service();
    /* A rising CS ends whatever the host was saying. */
    high = (GPIOA_IDR & (1u << NSS_PIN)) != 0;
    if (high && !s_app.nss_high)
        fota_app_link_abort(&s_app.link);
    s_app.nss_high = high;
}

void fota_app_spi1_irq(void)
{
    if (s_app.slot >= 0)
        spi1_service();
}

int fota_app_slot(void)
{
    return s_app.slot;
}

fota_app_version_t fota_app_version(void)
{
    fota_app_version_t v = {0, 0, 0, 0};

    if (s_app.slot >= 0) {
        v.major = s_app.status[4];
        v.minor = s_app.status[5];
        v.patch = fota_get_le16(s_app.status + 6);
        v.build = fota_get_le32(s_app.status + 8);
    }
    return v;
}

bool fota_app_on_trial(void)
{
    return s_app.slot >= 0 && s_app.status[2] == FOTA_SLOT_PENDING;
}

uint32_t fota_app_confirm_window_ms(void)
{
    return s_app.slot >= 0 ? fota_get_le32(s_app.status + 12)
                           : FOTA_CONFIRM_WINDOW_DEFAULT_MS;
}

unsigned fota_app_attempts_left(void)
{
    /* Status block byte 5: attempts_left. */
    return fota_app_on_trial() ? s_app.status[FOTA_APP_INFO_SIZE + 5] : 0u;
}

bool fota_app_image_crc(uint32_t *crc)
{
    fota_status_t st;
    uint8_t state;

    if (s_app.slot < 0 ||
        fota_status_decode(&st, s_app.status + FOTA_APP_INFO_SIZE,
                           FOTA_STATUS_SIZE) < 0)
        return false;
    state = st.slot[s_app.slot].state;
    if (state != FOTA_SLOT_CONFIRMED && state != FOTA_SLOT_PENDING)
        return false;
    *crc = st.slot[s_app.slot].image_crc;
    return true;
}

uint32_t fota_app_boot_version(void)
{
    return api_present() ? REG(API_ADDR + API_OFF_BOOT_VERSION) : 0u;
}

void fota_app_set_before_reset(void (*fn)(void))
{
    s_app.before_reset = fn;
}

int fota_app_confirm_keep_running(void)
{
    int rc;

    if (s_app.slot < 0)
        return FOTA_ERR_INVAL;
    if (!api_present())
        return FOTA_ERR_NOENT;
    rc = ((api_confirm_fn)REG(API_ADDR + API_OFF_CONFIRM))(s_app.slot);
    if (rc < 0)
        return rc;
    s_app.flags |= FOTA_APP_F_CONFIRMED_NOW;
    (void)refresh_status();
    return 0;
}

int fota_app_confirm(void)
{
    bool trial = fota_app_on_trial();
    int rc = fota_app_confirm_keep_running();

    if (rc < 0)
        return rc;
    /* The trial's IWDG cannot be stopped: restart into the confirmed boot,
     * where the bootloader does not start it. */
    if (trial) {
        wait_cs_released();
        app_reset();
    }
    return 0;
}

void fota_app_request_update_mode(void)
{
    if (s_app.before_reset)
        s_app.before_reset();
    if (api_present())
        ((api_request_fn)REG(API_ADDR + API_OFF_REQUEST_UPDATE))();
    /* No API (or it returned): write the request words ourselves. */
    REG(NOINIT_ADDR) = REQ_UPDATE_MAGIC;
    REG(NOINIT_ADDR + 4u) = ~REQ_UPDATE_MAGIC;
    s_app.before_reset = NULL;
    app_reset();
}
