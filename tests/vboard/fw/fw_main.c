/*
 * Tiny test firmware for the virtual board: one ELF, one routine per
 * command in the mailbox (fw_mbox.h). Each routine pokes one peripheral the
 * way real firmware does and leaves what it saw in the mailbox, then stops
 * with BKPT #<cmd>.
 */
#include "fw_mbox.h"
#include "fw_regs.h"
#include "fw_start.h"

static const uint32_t s_crc_data[8] = {0x00000000u, 0xFFFFFFFFu, 0x12345678u,
                                       0xDEADBEEFu, 0x01020304u, 0xA5A5A5A5u,
                                       0x80000001u, 0x7FFFFFFEu};

/* Wait until (reg & mask) == want, at most n polls. */
static int fw_wait(volatile uint32_t *reg, uint32_t mask, uint32_t want,
                   uint32_t n)
{
    while (n--)
        if ((*reg & mask) == want)
            return 0;
    return -1;
}

/* HSE 8 MHz -> PLL 168 MHz, falling back to HSI 16 MHz when the crystal
 * does not start. Returns 1 when running from HSE. */
static int fw_clock_168(void)
{
    int hse = 1;

    RCC_CR |= 1u << 16;
    if (fw_wait(&RCC_CR, 1u << 17, 1u << 17, 20000)) {
        RCC_CR &= ~(1u << 16);
        hse = 0;
    }
    /* VCO input 1 MHz (M = 8 or 16), N = 336, P = 2, Q = 7. */
    RCC_PLLCFGR = (hse ? 8u : 16u) | (336u << 6) | (0u << 16) |
                  ((uint32_t)hse << 22) | (7u << 24);
    FLASH_ACR = 5u | (1u << 8) | (1u << 9) | (1u << 10);
    RCC_CR |= 1u << 24;
    if (fw_wait(&RCC_CR, 1u << 25, 1u << 25, 100000))
        return -1;
    RCC_CFGR = (5u << 10) | (4u << 13) | 2u; /* APB1 /4, APB2 /2, SW = PLL */
    if (fw_wait(&RCC_CFGR, 0xCu, 0x8u, 100000))
        return -1;
    return hse;
}

static void fw_uart_init(uint32_t pclk2)
{
    RCC_AHB1ENR |= 1u;
    RCC_APB2ENR |= 1u << 4;
    GPIOA(0x00) = (GPIOA(0x00) & ~(0xFu << 18)) | (0xAu << 18); /* PA9/10 AF */
    GPIOA(0x24) = (GPIOA(0x24) & ~0xFF0u) | 0x770u;             /* AF7 */
    USART1_BRR = (pclk2 + 57600u) / 115200u;
    USART1_CR1 = (1u << 13) | (1u << 3) | (1u << 2);
}

static void fw_puts(const char *s)
{
    while (*s) {
        while (!(USART1_SR & (1u << 7))) {
        }
        USART1_DR = (uint8_t)*s++;
    }
    while (!(USART1_SR & (1u << 6))) {
    }
}

static void fw_leds(uint32_t pattern)
{
    GPIOD(0x18) = (pattern << 12) | ((~pattern & 0xFu) << 28);
}

static void fw_cmd_clock(void)
{
    uint32_t t0, n;

    s_mb[FW_MB_RES + 0] = (uint32_t)fw_clock_168();
    s_mb[FW_MB_RES + 1] = (RCC_CFGR >> 2) & 3u;
    RCC_AHB1ENR |= 1u << 3;
    GPIOD(0x00) = (GPIOD(0x00) & 0x00FFFFFFu) | 0x55000000u;
    fw_leds(0x5);
    fw_leds(0xA);
    fw_uart_init(84000000u);
    fw_puts("hello vboard\r\n");
    fw_leds(0x0);
    s_mb[FW_MB_RES + 2] = SCB_CPUID;
    s_mb[FW_MB_RES + 3] = FLASH_SIZE_KB;
    RCC_AHB1ENR |= 1u << 12;
    CRC_CR = 1;
    for (unsigned i = 0; i < 8; i++)
        CRC_DR = s_crc_data[i];
    s_mb[FW_MB_RES + 4] = CRC_DR;
    s_mb[FW_MB_RES + 5] = (uint32_t)(uintptr_t)s_crc_data;
    /* SysTick from the CPU clock against the cycle counter. */
    DWT_CTRL |= 1u;
    SYST_RVR = 0xFFFFFFu;
    SYST_CVR = 0;
    SYST_CSR = 5u;
    t0 = DWT_CYCCNT;
    for (n = 0; n < 1000; n++)
        __asm volatile("nop");
    s_mb[FW_MB_RES + 6] = 0xFFFFFFu - SYST_CVR;
    s_mb[FW_MB_RES + 7] = DWT_CYCCNT - t0;
    /* COUNTFLAG: a short reload wraps quickly, and reading clears it. */
    SYST_CSR = 0;
    SYST_RVR = 99;
    SYST_CVR = 0;
    SYST_CSR = 5u;
    for (n = 0; n < 100; n++)
        __asm volatile("nop");
    s_mb[FW_MB_RES + 8] = (SYST_CSR >> 16) & 1u;
    s_mb[FW_MB_RES + 9] = (SYST_CSR >> 16) & 1u;
}

static void fw_unlock(void)
{
    if (FLASH_CR & (1u << 31)) {
        FLASH_KEYR = 0x45670123u;
        FLASH_KEYR = 0xCDEF89ABu;
    }
}

static void fw_cmd_flash_prog(void)
{
    volatile uint32_t *w = (volatile uint32_t *)0x08020000u;

    fw_unlock();
    FLASH_SR = 0xF3u;
    FLASH_CR = (2u << 8) | 1u | (1u << 24); /* x32, PG, EOPIE */
    *w = 0x12345678u;
    while (FLASH_SR & (1u << 16)) {
    }
    *w = 0xFFFF0000u;
    while (FLASH_SR & (1u << 16)) {
    }
    s_mb[FW_MB_RES + 0] = FLASH_SR;
    s_mb[FW_MB_RES + 1] = *w;
    FLASH_SR = 0xF3u;
    *(volatile uint8_t *)0x08020010u = 0x00; /* byte store with PSIZE x32 */
    s_mb[FW_MB_RES + 2] = FLASH_SR;
    FLASH_SR = 0xF3u;
    FLASH_CR = 2u << 8; /* PG clear */
    w[8] = 0;
    s_mb[FW_MB_RES + 3] = FLASH_SR;
    FLASH_SR = 0xF3u;
    FLASH_CR |= 1u << 31;
    s_mb[FW_MB_RES + 4] = FLASH_CR;
    s_mb[FW_MB_RES + 5] = w[4];
    s_mb[FW_MB_RES + 6] = w[8];
}

__attribute__((section(".ramfunc"), noinline, long_call)) static uint32_t
fw_ram_erase(unsigned sector)
{
    uint32_t polls = 0;

    FLASH_CR = (2u << 8) | 2u | (sector << 3);
    FLASH_CR |= 1u << 16;
    while (FLASH_SR & (1u << 16))
        polls++;
    return polls;
}

static void fw_cmd_flash_erase(void)
{
    uint32_t t0, polls = 0;

    DWT_CTRL |= 1u;
    fw_unlock();
    FLASH_SR = 0xF3u;
    /* From flash: the fetch after STRT stalls until the erase is over. */
    t0 = DWT_CYCCNT;
    FLASH_CR = (2u << 8) | 2u | (5u << 3);
    FLASH_CR |= 1u << 16;
    while (FLASH_SR & (1u << 16))
        polls++;
    s_mb[FW_MB_RES + 0] = DWT_CYCCNT - t0;
    s_mb[FW_MB_RES + 1] = polls;
    /* From SRAM: the CPU keeps running while the sector erases. */
    t0 = DWT_CYCCNT;
    s_mb[FW_MB_RES + 2] = fw_ram_erase(6);
    s_mb[FW_MB_RES + 3] = DWT_CYCCNT - t0;
    s_mb[FW_MB_RES + 4] = FLASH_SR;
    FLASH_CR = 1u << 31;
}

static void fw_cmd_flash_key(void)
{
    FLASH_KEYR = 0x11111111u; /* wrong: locked until reset */
    FLASH_KEYR = 0x45670123u;
    FLASH_KEYR = 0xCDEF89ABu;
    s_mb[FW_MB_RES + 0] = FLASH_CR;
}

static void fw_spi_init(void)
{
    RCC_AHB1ENR |= 1u;
    RCC_APB2ENR |= 1u << 12;
    GPIOA(0x00) = (GPIOA(0x00) & ~0xFF00u) | 0xAA00u;         /* PA4-7 AF */
    GPIOA(0x20) = (GPIOA(0x20) & ~0xFFFF0000u) | 0x55550000u; /* AF5 */
    SPI1_CR1 = 1u << 6; /* slave, mode 0, hardware NSS, SPE */
}

/* Echo each byte + 1, with an optional delay (param bits 8..) to make the
 * firmware too slow for the master. */
static void fw_cmd_spi_echo(void)
{
    uint32_t p = s_mb[FW_MB_PARAM], n = 0, ovr = 0;
    uint32_t delay = p >> 8;

    if (p & 1u)
        fw_clock_168();
    fw_spi_init();
    SPI1_DR = 0xA5;
    for (;;) {
        while (!(SPI1_SR & 1u)) {
        }
        uint8_t c = (uint8_t)SPI1_DR;

        for (volatile uint32_t i = 0; i < delay; i++) {
        }
        SPI1_DR = (uint8_t)(c + 1u);
        if (SPI1_SR & (1u << 6))
            ovr++;
        s_mb[FW_MB_RES + 0] = ++n;
        s_mb[FW_MB_RES + 1] = ovr;
        if (c == 0xFF)
            break;
    }
}

static void fw_cmd_uart_echo(void)
{
    fw_uart_init(16000000u);
    for (;;) {
        while (!(USART1_SR & (1u << 5))) {
        }
        uint8_t c = (uint8_t)USART1_DR;

        if (c == '.')
            break;
        if (c >= 'a' && c <= 'z')
            c = (uint8_t)(c - 32);
        while (!(USART1_SR & (1u << 7))) {
        }
        USART1_DR = c;
    }
    fw_puts("!");
}

static void fw_cmd_iwdg(void)
{
    s_mb[FW_MB_RES + 0] = RCC_CSR;
    if (RCC_CSR & (1u << 29)) {
        RCC_CSR |= 1u << 24; /* RMVF */
        s_mb[FW_MB_RES + 1] = RCC_CSR;
        return;
    }
    IWDG_KR = 0x5555u;
    IWDG_PR = 0;   /* LSI / 4: 125 us per count */
    IWDG_RLR = 79; /* 10 ms */
    fw_wait(&IWDG_SR, 3u, 0u, 100000);
    IWDG_KR = 0xCCCCu;
    for (unsigned i = 0; i < 5; i++) {
        for (volatile uint32_t d = 0; d < 2000; d++) {
        }
        IWDG_KR = 0xAAAAu;
    }
    s_mb[FW_MB_RES + 2] = 0x57C4u; /* stuck from here on */
    for (;;) {
    }
}

static void fw_cmd_sysreset(void)
{
    if (s_mb[FW_MB_BOOTS] == 1) {
        SCB_AIRCR = 0x05FA0004u;
        for (;;) {
        }
    }
    s_mb[FW_MB_RES + 0] = RCC_CSR;
}

static void fw_cmd_count(void)
{
    uint32_t i = 0;

    for (;;)
        s_mb[FW_MB_RES + 0] = i++;
}

static void fw_cmd_flash_loop(void)
{
    volatile uint32_t *w = (volatile uint32_t *)0x08020000u;

    fw_unlock();
    FLASH_CR = (2u << 8) | 1u;
    for (uint32_t i = 0; i < 200; i++) {
        w[i] = i;
        while (FLASH_SR & (1u << 16)) {
        }
    }
    FLASH_CR = 1u << 31;
}

/* A watchdog shorter than a sector erase run from flash: the reset comes
 * in the middle of the erase. */
static void fw_cmd_iwdg_erase(void)
{
    if (s_mb[FW_MB_BOOTS] != 1)
        return;
    IWDG_KR = 0x5555u;
    IWDG_PR = 0;
    IWDG_RLR = 79; /* 10 ms */
    IWDG_KR = 0xCCCCu;
    fw_unlock();
    FLASH_CR = (2u << 8) | 2u | (5u << 3);
    FLASH_CR |= 1u << 16;
    while (FLASH_SR & (1u << 16)) {
    }
    s_mb[FW_MB_RES + 0] = 0xE5u; /* never reached */
}

static void fw_cmd_wfi(void)
{
    s_mb[FW_MB_RES + 0] = 1;
    __asm volatile("wfi");
    s_mb[FW_MB_RES + 1] = 2;
}

int main(void)
{
    uint32_t cmd = s_mb[FW_MB_CMD];

    s_mb[FW_MB_MAGIC] = FW_MAGIC;
    s_mb[FW_MB_BOOTS]++;
    switch (cmd) {
    case FW_CMD_CLOCK:
        fw_cmd_clock();
        FW_HALT(FW_CMD_CLOCK);
        break;
    case FW_CMD_FLASH_PROG:
        fw_cmd_flash_prog();
        FW_HALT(FW_CMD_FLASH_PROG);
        break;
    case FW_CMD_FLASH_ERASE:
        fw_cmd_flash_erase();
        FW_HALT(FW_CMD_FLASH_ERASE);
        break;
    case FW_CMD_FLASH_KEY:
        fw_cmd_flash_key();
        FW_HALT(FW_CMD_FLASH_KEY);
        break;
    case FW_CMD_SPI_ECHO:
        fw_cmd_spi_echo();
        FW_HALT(FW_CMD_SPI_ECHO);
        break;
    case FW_CMD_UART_ECHO:
        fw_cmd_uart_echo();
        FW_HALT(FW_CMD_UART_ECHO);
        break;
    case FW_CMD_IWDG:
        fw_cmd_iwdg();
        FW_HALT(FW_CMD_IWDG);
        break;
    case FW_CMD_SYSRESET:
        fw_cmd_sysreset();
        FW_HALT(FW_CMD_SYSRESET);
        break;
    case FW_CMD_COUNT:
        fw_cmd_count();
        break;
    case FW_CMD_FLASH_LOOP:
        fw_cmd_flash_loop();
        FW_HALT(FW_CMD_FLASH_LOOP);
        break;
    case FW_CMD_WFI:
        fw_cmd_wfi();
        FW_HALT(FW_CMD_WFI);
        break;
    case FW_CMD_IWDG_ERASE:
        fw_cmd_iwdg_erase();
        FW_HALT(FW_CMD_IWDG_ERASE);
        break;
    default:
        FW_HALT(0xFF);
        break;
    }
    return 0;
}
