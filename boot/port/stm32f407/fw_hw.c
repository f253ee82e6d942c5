/*
 * fw_hw.c - clock tree, SysTick, USART1 and reset, shared by the bootloader
 * and the example application. See fw_hw.h.
 */
#include "fw_hw.h"

#include "regs/flash.h"
#include "regs/gpio.h"
#include "regs/rcc.h"
#include "regs/scb.h"
#include "regs/usart.h"

#define FW_HSI_HZ 16000000u
#define FW_PLL_HZ 168000000u

/* Bound for each clock wait, in loop iterations: >= ~40 ms for the PLL
 * lock (waited on the 16 MHz HSI, ~0.1 ms needed), >= ~4 ms for a clock
 * switch at 168 MHz (a few cycles needed), so only an absent RCC (QEMU) or
 * a broken PLL reaches the bound. The crystal is waited for by the caller
 * of fw_clock_hse_ready(), against the millisecond clock. */
#define FW_CLOCK_WAIT_LOOPS 200000u
/* Bound for one USART byte: ~87 us at 115200 baud; 100000 iterations are
 * far longer at any clock, and a dead USART does not hang the caller. */
#define FW_UART_WAIT_LOOPS 100000u

static uint32_t s_hclk_hz = FW_HSI_HZ;
static uint32_t s_pclk2_hz = FW_HSI_HZ;
static uint32_t s_ms;

static bool fw_wait_set(volatile uint32_t *reg, uint32_t mask, uint32_t want)
{
    for (uint32_t n = 0; n < FW_CLOCK_WAIT_LOOPS; n++)
        if ((*reg & mask) == want)
            return true;
    return false;
}

/* PLL: VCO input 1 MHz (M = the source's MHz), VCO 336 MHz, SYSCLK /2 =
 * 168 MHz, /7 = 48 MHz for USB; the same output from either source. */
#define FW_PLLCFGR(m)                                                          \
    (((m) << RCC_PLLCFGR_PLLM_SHIFT) | (336u << RCC_PLLCFGR_PLLN_SHIFT) |      \
     (0u << RCC_PLLCFGR_PLLP_SHIFT) | (7u << RCC_PLLCFGR_PLLQ_SHIFT))
#define FW_PLLCFGR_HSI FW_PLLCFGR(16u)
#define FW_PLLCFGR_HSE (FW_PLLCFGR(8u) | RCC_PLLCFGR_PLLSRC)

#define FW_CFGR_SW_FIELD (RCC_CFGR_SW_MASK << RCC_CFGR_SW_SHIFT)
#define FW_CFGR_SWS_FIELD (RCC_CFGR_SWS_MASK << RCC_CFGR_SWS_SHIFT)
#define FW_CFGR_DIV_FIELDS                                                     \
    ((RCC_CFGR_HPRE_MASK << RCC_CFGR_HPRE_SHIFT) |                             \
     (RCC_CFGR_PPRE_MASK << RCC_CFGR_PPRE1_SHIFT) |                            \
     (RCC_CFGR_PPRE_MASK << RCC_CFGR_PPRE2_SHIFT))

/* Select the SYSCLK source sw and wait (bounded) until the switch took. */
static bool fw_clock_switch(uint32_t sw)
{
    RCC_CFGR = (RCC_CFGR & ~FW_CFGR_SW_FIELD) | (sw << RCC_CFGR_SW_SHIFT);
    return fw_wait_set(&RCC_CFGR, FW_CFGR_SWS_FIELD, sw << RCC_CFGR_SWS_SHIFT);
}

/* Lock the (stopped) PLL on cfg and run SYSCLK from it: AHB /1, APB1 /4
 * (42 MHz, its limit), APB2 /2 (84 MHz, its limit), the dividers set
 * before the switch so no bus ever runs over its limit. */
static bool fw_clock_pll(uint32_t cfg)
{
    RCC_PLLCFGR = cfg;
    RCC_CR |= RCC_CR_PLLON;
    if (!fw_wait_set(&RCC_CR, RCC_CR_PLLRDY, RCC_CR_PLLRDY))
        return false;
    RCC_CFGR = (RCC_CFGR & ~FW_CFGR_DIV_FIELDS) |
               (RCC_CFGR_PPRE_DIV4 << RCC_CFGR_PPRE1_SHIFT) |
               (RCC_CFGR_PPRE_DIV2 << RCC_CFGR_PPRE2_SHIFT);
    return fw_clock_switch(RCC_CFGR_SW_PLL);
}

/* Back to the reset clock: HSI 16 MHz, buses /1, PLL off; HSE off too
 * when it is not wanted any more. */
static void fw_clock_hsi(bool hse_off)
{
    RCC_CR |= RCC_CR_HSION;
    (void)fw_wait_set(&RCC_CR, RCC_CR_HSIRDY, RCC_CR_HSIRDY);
    (void)fw_clock_switch(RCC_CFGR_SW_HSI);
    RCC_CFGR &= ~FW_CFGR_DIV_FIELDS;
    RCC_CR &= ~(RCC_CR_PLLON | (hse_off ? RCC_CR_HSEON : 0u));
    s_hclk_hz = FW_HSI_HZ;
    s_pclk2_hz = FW_HSI_HZ;
}

void fw_clock_start(void)
{
    /* Wait states first: harmless at 16 MHz and required before 168 MHz
     * (5 WS at 2.7-3.6 V). Prefetch and both caches on; the caches are
     * reset (while disabled) so no stale line survives from a previous
     * program. */
    FLASH_ACR = 0;
    FLASH_ACR = FLASH_ACR_ICRST | FLASH_ACR_DCRST;
    FLASH_ACR = 0;
    FLASH_ACR = (5u << FLASH_ACR_LATENCY_SHIFT) | FLASH_ACR_PRFTEN |
                FLASH_ACR_ICEN | FLASH_ACR_DCEN;
    RCC_CR |= RCC_CR_HSEON;
    /* The PLL is off after reset, so PLLCFGR may be written. A PLL that
     * does not lock leaves SYSCLK on the HSI; fw_clock_setup sorts out
     * whatever state this left. */
    (void)fw_clock_pll(FW_PLLCFGR_HSI);
}

int fw_clock_setup(void)
{
    uint32_t sws = (RCC_CFGR >> RCC_CFGR_SWS_SHIFT) & RCC_CFGR_SWS_MASK;

    if (sws == RCC_CFGR_SW_PLL) {
        s_hclk_hz = FW_PLL_HZ;
        s_pclk2_hz = FW_PLL_HZ / 2;
        return (RCC_PLLCFGR & RCC_PLLCFGR_PLLSRC) ? FW_CLOCK_PLL_HSE
                                                  : FW_CLOCK_PLL_HSI;
    }
    /* The crystal keeps starting: fw_clock_use_hse may still get it. */
    fw_clock_hsi(false);
    return FW_CLOCK_HSI;
}

bool fw_clock_hse_ready(void)
{
    return (RCC_CR & RCC_CR_HSERDY) != 0;
}

int fw_clock_use_hse(void)
{
    uint32_t sws = (RCC_CFGR >> RCC_CFGR_SWS_SHIFT) & RCC_CFGR_SWS_MASK;

    if (sws == RCC_CFGR_SW_PLL && (RCC_PLLCFGR & RCC_PLLCFGR_PLLSRC))
        return FW_CLOCK_PLL_HSE;
    if (!fw_clock_hse_ready())
        goto fallback;
    /* PLLCFGR can only change while the PLL is off, and the PLL cannot
     * stop while it clocks the CPU: ~0.1 ms on the HSI for the relock. */
    if (!fw_clock_switch(RCC_CFGR_SW_HSI))
        goto fallback;
    RCC_CR &= ~RCC_CR_PLLON;
    if (!fw_wait_set(&RCC_CR, RCC_CR_PLLRDY, 0))
        goto fallback;
    if (!fw_clock_pll(FW_PLLCFGR_HSE))
        goto fallback;
    s_hclk_hz = FW_PLL_HZ;
    s_pclk2_hz = FW_PLL_HZ / 2;
    return FW_CLOCK_PLL_HSE;

fallback:
    fw_clock_hsi(true);
    return FW_CLOCK_HSI;
}

int fw_clock_detect(void)
{
    uint32_t sws = (RCC_CFGR >> RCC_CFGR_SWS_SHIFT) & RCC_CFGR_SWS_MASK;
    if (sws == RCC_CFGR_SW_PLL) {
        s_hclk_hz = FW_PLL_HZ;
        s_pclk2_hz = FW_PLL_HZ / 2;
        return FW_CLOCK_PLL_HSE;
    }
    s_hclk_hz = FW_HSI_HZ;
    s_pclk2_hz = FW_HSI_HZ;
    return FW_CLOCK_HSI;
}

uint32_t fw_hclk_hz(void)
{
    return s_hclk_hz;
}

uint32_t fw_pclk2_hz(void)
{
    return s_pclk2_hz;
}

void fw_systick_start(void)
{
    STK_CSR = 0;
    STK_RVR = s_hclk_hz / 1000u - 1u;
    STK_CVR = 0;
    s_ms = 0;
    STK_CSR = STK_CSR_CLKSOURCE_AHB | STK_CSR_ENABLE;
}

void fw_systick_stop(void)
{
    STK_CSR = 0;
    STK_RVR = 0;
    STK_CVR = 0;
    SCB_ICSR = SCB_ICSR_PENDSTCLR;
}

FW_RAMFUNC uint32_t fw_ms(void)
{
    /* Reading CSR clears COUNTFLAG. */
    if (STK_CSR & STK_CSR_COUNTFLAG)
        s_ms++;
    return s_ms;
}

void fw_uart_init(void)
{
    RCC_AHB1ENR |= RCC_AHB1ENR_GPIOAEN;
    RCC_APB2ENR |= RCC_APB2ENR_USART1EN;
    (void)RCC_APB2ENR; /* let the enable settle before touching USART1 */

    /* PA9 TX, PA10 RX: AF7; RX pulled up so a floating line reads idle. */
    GPIO_AFRH(GPIOA) =
        (GPIO_AFRH(GPIOA) & ~(GPIO_AFR_MASK(9) | GPIO_AFR_MASK(10))) |
        GPIO_AFR(9, GPIO_AF7) | GPIO_AFR(10, GPIO_AF7);
    GPIO_PUPDR(GPIOA) = (GPIO_PUPDR(GPIOA) & ~GPIO_PUPD_MASK(10)) |
                        GPIO_PUPD(10, GPIO_PUPD_PULLUP);
    GPIO_MODER(GPIOA) =
        (GPIO_MODER(GPIOA) & ~(GPIO_MODE_MASK(9) | GPIO_MODE_MASK(10))) |
        GPIO_MODE(9, GPIO_MODE_AF) | GPIO_MODE(10, GPIO_MODE_AF);

    USART_CR1(USART1) = 0;
    /* Oversampling by 16: BRR = f_pclk2 / baud (mantissa.fraction/16),
     * rounded to nearest. */
    USART_BRR(USART1) = (s_pclk2_hz + 115200u / 2u) / 115200u;
    USART_CR2(USART1) = 0; /* 1 stop bit */
    USART_CR3(USART1) = 0;
    USART_CR1(USART1) = USART_CR1_UE | USART_CR1_TE | USART_CR1_RE; /* 8N1 */
}

void fw_uart_deinit(void)
{
    fw_uart_flush();
    RCC_APB2RSTR |= RCC_APB2RSTR_USART1RST;
    RCC_APB2RSTR &= ~RCC_APB2RSTR_USART1RST;
    RCC_APB2ENR &= ~RCC_APB2ENR_USART1EN;
}

FW_RAMFUNC void fw_uart_putc(uint8_t c)
{
    for (uint32_t n = 0; n < FW_UART_WAIT_LOOPS; n++) {
        if (USART_SR(USART1) & USART_SR_TXE)
            break;
    }
    USART_DR(USART1) = c;
}

void fw_uart_flush(void)
{
    for (uint32_t n = 0; n < FW_UART_WAIT_LOOPS; n++)
        if (USART_SR(USART1) & USART_SR_TC)
            return;
}

void fw_uart_puts(const char *s)
{
    while (*s) {
        if (*s == '\n')
            fw_uart_putc('\r');
        fw_uart_putc((uint8_t)*s++);
    }
}

void fw_uart_put_hex(uint32_t v)
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 28; i >= 0; i -= 4)
        fw_uart_putc((uint8_t)hex[(v >> i) & 0xFu]);
}

void fw_uart_put_dec(uint32_t v)
{
    char buf[11];
    int n = 0;
    do {
        buf[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v && n < (int)sizeof buf);
    while (n)
        fw_uart_putc((uint8_t)buf[--n]);
}

FW_RAMFUNC int fw_uart_getc(void)
{
    uint32_t sr = USART_SR(USART1);
    if (sr & (USART_SR_ORE | USART_SR_FE | USART_SR_NF | USART_SR_PE)) {
        /* Errors clear by reading SR then DR; the byte is dropped (the
         * protocol's checksums and NACKs deal with the loss). */
        (void)USART_DR(USART1);
        return -1;
    }
    if (sr & USART_SR_RXNE)
        return (int)(USART_DR(USART1) & 0xFFu);
    return -1;
}

void fw_system_reset(void)
{
    __asm__ volatile("dsb" ::: "memory");
    SCB_AIRCR = SCB_AIRCR_VECTKEY | SCB_AIRCR_SYSRESETREQ;
    __asm__ volatile("dsb" ::: "memory");
    for (;;) {
    }
}
