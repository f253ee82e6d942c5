/*
 * Each peripheral model on its own: driven through its device-table row
 * with a stand-in for the board's services (no CPU, no board core), one
 * group of checks per device.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vb_dev.h"
#include "vb_regs.h"
#include "vb_scs.h"

/* ------------------------------------------------- stand-in services */

typedef struct fake {
    vb_sys_t sys;
    vboard_config_t cfg;
    sim_flash_t flash;
    uint8_t opt[16];
    bool irq[VB_NIRQ];
    unsigned pends[16];
    unsigned faults, req[8];
    uint32_t new_hclk;
    char tx[64];
    unsigned tx_unit[64], ntx;
    uint8_t leds;
    uint8_t mem[64];
    uint32_t bus_last_addr, bus_read_val, bus_written;
    uint32_t acr_written, acr_writes;
} fake_t;

static fake_t *F(vb_sys_t *s)
{
    return (fake_t *)(void *)s;
}

static void f_irq(vb_sys_t *s, unsigned n, bool level)
{
    F(s)->irq[n] = level;
}
static void f_pend(vb_sys_t *s, unsigned exc)
{
    F(s)->pends[exc & 15]++;
}
static void f_fault(vb_sys_t *s, const char *m)
{
    (void)m;
    F(s)->faults++;
}
static void f_request(vb_sys_t *s, enum vb_req r)
{
    F(s)->req[r & 7]++;
}
static bool f_gate(vb_sys_t *s, const vb_dev_t *d)
{
    (void)s;
    (void)d;
    return true;
}
static uint32_t f_bus_hz(vb_sys_t *s, enum vb_gate g)
{
    return g == VB_GATE_APB1 ? s->hclk_hz / 2 : s->hclk_hz;
}
static bool f_pin_af(vb_sys_t *s, unsigned port, unsigned pin, unsigned af)
{
    (void)s;
    return port == 0 && pin >= 4 && pin <= 7 && af == 5;
}
static void f_drq(vb_sys_t *s, unsigned line, bool level)
{
    if (level)
        s->drq |= line;
    else
        s->drq &= ~line;
}
static uint32_t f_bus_read(vb_sys_t *s, uint32_t a, unsigned size)
{
    (void)size;
    F(s)->bus_last_addr = a;
    s->drq &= ~(unsigned)VB_DRQ_SPI1_RX;
    return F(s)->bus_read_val;
}
static void f_bus_write(vb_sys_t *s, uint32_t a, uint32_t v, unsigned size)
{
    (void)size;
    F(s)->bus_last_addr = a;
    F(s)->bus_written = v;
    s->drq &= ~(unsigned)VB_DRQ_SPI1_TX;
}
static uint8_t *f_dma_mem(vb_sys_t *s, uint32_t a, bool write)
{
    (void)write;
    if (a >= 0x20000000u && a < 0x20000000u + sizeof F(s)->mem)
        return &F(s)->mem[a - 0x20000000u];
    return NULL;
}
static void f_clock(vb_sys_t *s, uint32_t hz)
{
    F(s)->new_hclk = hz;
    s->hclk_hz = hz;
    s->tpc = (uint32_t)(VB_TICK_HZ / hz);
}
static void f_uart_tx(vb_sys_t *s, unsigned unit, uint8_t c, bool replace)
{
    fake_t *f = F(s);

    (void)replace;
    if (f->ntx < sizeof f->tx - 1) {
        f->tx_unit[f->ntx] = unit;
        f->tx[f->ntx++] = (char)c;
    }
}
static void f_leds(vb_sys_t *s, uint8_t l)
{
    F(s)->leds = l;
}
static void f_flush(vb_sys_t *s, uint32_t lo, uint32_t hi)
{
    (void)s;
    (void)lo;
    (void)hi;
}

static void f_acr(vb_sys_t *s, uint32_t acr)
{
    F(s)->acr_written = acr;
    F(s)->acr_writes++;
}

static const vb_sys_ops_t s_fops = {
    f_irq,     f_pend, f_fault,    f_request,   f_gate,    f_bus_hz,
    f_pin_af,  f_drq,  f_bus_read, f_bus_write, f_dma_mem, f_clock,
    f_uart_tx, f_leds, f_flush,    f_acr};

static fake_t *fake_new(void)
{
    fake_t *f = calloc(1, sizeof *f);

    assert_non_null(f);
    vboard_config_default(&f->cfg);
    sim_flash_init(&f->flash, SIM_FLASH_TYPICAL);
    memset(f->opt, 0xFF, sizeof f->opt);
    f->opt[0] = 0xEC; /* WDG_SW = 1: software watchdog */
    f->opt[8] = 0xFF;
    f->opt[9] = 0x0F;
    f->sys.ops = &s_fops;
    f->sys.cfg = &f->cfg;
    f->sys.flash = &f->flash;
    f->sys.opt = f->opt;
    f->sys.hclk_hz = VB_HSI_HZ;
    f->sys.tpc = (uint32_t)(VB_TICK_HZ / VB_HSI_HZ);
    f->sys.nss_high = false;
    return f;
}

/* A device row's state, reset. */
static void *dev_new(fake_t *f, const vb_dev_t *d)
{
    void *st = calloc(1, d->cls->state_size);

    assert_non_null(st);
    d->cls->reset(&f->sys, d, st, true);
    return st;
}

static const vb_dev_t *row(const char *name)
{
    for (unsigned i = 0; i < vb_ndevices; i++)
        if (strcmp(vb_devices[i].name, name) == 0)
            return &vb_devices[i];
    fail_msg("no device row %s", name);
    return NULL;
}

#define RD(d, st, off) (d)->cls->read(&f->sys, (d), (st), (off))
#define WR(d, st, off, v)                                                      \
    (d)->cls->write(&f->sys, (d), (st), (off), (v), 0xFFFFFFFFu)

/* ------------------------------------------------------------- tests */

static void test_table(void **state)
{
    (void)state;
    /* Rows do not overlap, except SysTick inside the system control space
     * (listed first, so it wins). */
    for (unsigned i = 0; i < vb_ndevices; i++)
        for (unsigned j = i + 1; j < vb_ndevices; j++) {
            const vb_dev_t *a = &vb_devices[i], *b = &vb_devices[j];
            bool overlap =
                a->base < b->base + b->size && b->base < a->base + a->size;

            if (overlap)
                assert_true(strcmp(a->name, "SysTick") == 0 &&
                            strcmp(b->name, "SCS") == 0);
        }
    assert_string_equal(vb_devices[VB_DEV_USART1].name, "USART1");
    assert_int_equal(row("USART2")->base, 0x40004400u);
    assert_int_equal(row("USART2")->gate, VB_GATE_APB1);
    assert_int_equal(row("USART2")->irq, 38);
}

static void test_rcc(void **state)
{
    fake_t *f = fake_new();
    const vb_dev_t *d = row("RCC");
    void *r = dev_new(f, d);

    (void)state;
    assert_int_equal(RD(d, r, RCC_CR) & 3u, 3u); /* HSION, HSIRDY */
    WR(d, r, RCC_CR, RCC_CR_HSION | RCC_CR_HSEON);
    assert_int_equal(RD(d, r, RCC_CR) & RCC_CR_HSERDY, 0);
    f->sys.now += VB_NS_TO_TICKS(2000000u);
    assert_int_equal(RD(d, r, RCC_CR) & RCC_CR_HSERDY, RCC_CR_HSERDY);
    /* PLL from HSE: M 8, N 336, P 2 -> 168 MHz. */
    WR(d, r, RCC_PLLCFGR, RCC_PLLCFGR_SRC_HSE | 8u | (336u << 6));
    WR(d, r, RCC_CR, RCC_CR_HSION | RCC_CR_HSEON | RCC_CR_PLLON);
    WR(d, r, RCC_CFGR, 2u);
    assert_int_equal((RD(d, r, RCC_CFGR) >> 2) & 3u, 0); /* not locked yet */
    assert_true(d->cls->next_event(&f->sys, d, r) > f->sys.now);
    f->sys.now = d->cls->next_event(&f->sys, d, r);
    d->cls->event(&f->sys, d, r);
    assert_int_equal((RD(d, r, RCC_CFGR) >> 2) & 3u, 2);
    assert_int_equal(f->new_hclk, 168000000u);
    /* Gates and bus clocks. */
    assert_false(vb_rcc_gate_on(r, VB_GATE_APB1, RCC_APB1_USART2));
    WR(d, r, RCC_APB1ENR, 1u << RCC_APB1_USART2);
    assert_true(vb_rcc_gate_on(r, VB_GATE_APB1, RCC_APB1_USART2));
    WR(d, r, RCC_CFGR, 2u | (5u << 10) | (4u << 13)); /* APB1 /4, APB2 /2 */
    assert_int_equal(vb_rcc_bus_hz(r, 168000000u, VB_GATE_APB1), 42000000u);
    assert_int_equal(vb_rcc_bus_hz(r, 168000000u, VB_GATE_APB2), 84000000u);
    free(r);
    free(f);
}

static void test_flashif(void **state)
{
    fake_t *f = fake_new();
    const vb_dev_t *d = row("FLASH");
    void *fl = dev_new(f, d);

    (void)state;
    assert_true(RD(d, fl, FLASH_CR) & FL_CR_LOCK);
    /* A store while locked is a programming sequence error. */
    vb_flashif_store(&f->sys, fl, 0x08008000u, 4, 0);
    assert_true(RD(d, fl, FLASH_SR) & FL_SR_PGSERR);
    WR(d, fl, FLASH_SR, FL_SR_PGSERR);
    WR(d, fl, FLASH_KEYR, FL_KEY1);
    WR(d, fl, FLASH_KEYR, FL_KEY2);
    assert_false(RD(d, fl, FLASH_CR) & FL_CR_LOCK);
    WR(d, fl, FLASH_CR, FL_CR_PG | (2u << FL_CR_PSIZE_SHIFT));
    vb_flashif_store(&f->sys, fl, 0x08008000u, 4, 0x12345678u);
    assert_true(RD(d, fl, FLASH_SR) & FL_SR_BSY);
    assert_true(vb_flashif_busy_until(fl) > f->sys.now);
    assert_int_equal(d->cls->stall(&f->sys, fl, FLASH_CR, true),
                     vb_flashif_busy_until(fl));
    f->sys.now = vb_flashif_busy_until(fl);
    assert_false(RD(d, fl, FLASH_SR) & FL_SR_BSY);
    assert_int_equal(f->flash.mem[0x8000], 0x78);
    /* Without EOPIE no EOP, and the interrupt line stays low. */
    assert_false(RD(d, fl, FLASH_SR) & FL_SR_EOP);
    assert_false(f->irq[4]);
    /* With EOPIE the end of the word raises EOP and line 4 at its time
     * (the device's event), writing EOP clears both; with ERRIE an error
     * raises it too. */
    WR(d, fl, FLASH_CR,
       FL_CR_PG | FL_CR_EOPIE | FL_CR_ERRIE | (2u << FL_CR_PSIZE_SHIFT));
    vb_flashif_store(&f->sys, fl, 0x08008004u, 4, 0x0BADF00Du);
    assert_false(f->irq[4]);
    assert_int_equal(d->cls->next_event(&f->sys, d, fl),
                     vb_flashif_busy_until(fl));
    f->sys.now = vb_flashif_busy_until(fl);
    d->cls->event(&f->sys, d, fl);
    assert_true(RD(d, fl, FLASH_SR) & FL_SR_EOP);
    assert_true(f->irq[4]);
    assert_int_equal(d->cls->next_event(&f->sys, d, fl), VB_NEVER);
    WR(d, fl, FLASH_SR, FL_SR_EOP);
    assert_false(f->irq[4]);
    vb_flashif_store(&f->sys, fl, 0x08008009u, 4, 0);
    assert_true(RD(d, fl, FLASH_SR) & FL_SR_PGAERR);
    assert_true(f->irq[4]);
    WR(d, fl, FLASH_SR, FL_SR_PGAERR);
    assert_false(f->irq[4]);
    WR(d, fl, FLASH_CR, FL_CR_PG | (2u << FL_CR_PSIZE_SHIFT));
    /* Wrong size for PSIZE. */
    vb_flashif_store(&f->sys, fl, 0x08008004u, 1, 0);
    assert_true(RD(d, fl, FLASH_SR) & FL_SR_PGPERR);
    assert_false(f->irq[4]);
    /* A wrong key locks the interface until reset. */
    WR(d, fl, FLASH_CR, FL_CR_LOCK);
    WR(d, fl, FLASH_KEYR, 0x1u);
    WR(d, fl, FLASH_KEYR, FL_KEY1);
    WR(d, fl, FLASH_KEYR, FL_KEY2);
    assert_true(RD(d, fl, FLASH_CR) & FL_CR_LOCK);
    /* FLASH_ACR: the cache-reset bits reach the board (its ART model) as
     * written and self-clear in the register. */
    WR(d, fl, FLASH_ACR, 0x1805u);
    assert_int_equal(f->acr_writes, 1);
    assert_int_equal(f->acr_written, 0x1805u);
    assert_int_equal(RD(d, fl, FLASH_ACR), 0x005u);
    assert_int_equal(vb_flashif_acr(fl), 0x005u);
    free(fl);
    free(f);
}

static void test_gpio(void **state)
{
    fake_t *f = fake_new();
    const vb_dev_t *d = row("GPIOD"), *a = row("GPIOA");
    void *g = dev_new(f, d), *ga = dev_new(f, a);

    (void)state;
    WR(d, g, GPIO_MODER, 0x55u << 24); /* PD12-15 outputs */
    WR(d, g, GPIO_BSRR, (1u << 12) | (1u << 15));
    assert_int_equal(RD(d, g, GPIO_ODR), (1u << 12) | (1u << 15));
    assert_int_equal(f->leds, 0x9);
    WR(d, g, GPIO_BSRR, (1u << (12 + 16)) | (1u << 13));
    assert_int_equal(f->leds, 0xA);
    /* Inputs: the pull-up, then an external drive. */
    WR(d, g, GPIO_PUPDR, 1u << 0);
    assert_int_equal(RD(d, g, GPIO_IDR) & 1u, 1u);
    vb_gpio_drive(g, 0, 0);
    assert_int_equal(RD(d, g, GPIO_IDR) & 1u, 0u);
    /* PA4 follows the master's NSS. */
    f->sys.nss_high = true;
    assert_int_equal(vb_gpio_level(&f->sys, a, ga, 4), 1);
    f->sys.nss_high = false;
    assert_int_equal(vb_gpio_level(&f->sys, a, ga, 4), 0);
    WR(a, ga, GPIO_MODER, 2u << 10);
    WR(a, ga, GPIO_AFRL, 5u << 20);
    assert_true(vb_gpio_af(ga, 5, 5));
    assert_false(vb_gpio_af(ga, 6, 5));
    free(g);
    free(ga);
    free(f);
}

static void test_spi(void **state)
{
    fake_t *f = fake_new();
    const vb_dev_t *d = row("SPI1");
    void *p = dev_new(f, d);
    bool stale = false, lost = false;

    (void)state;
    assert_false(vb_spi_byte_begin(&f->sys, d, p, &stale)); /* SPE off */
    WR(d, p, SPI_CR1, SPI_CR1_SPE);
    WR(d, p, SPI_CR2, SPI_CR2_RXNEIE);
    WR(d, p, SPI_DR, 0xA5);
    assert_true(vb_spi_byte_begin(&f->sys, d, p, &stale));
    assert_false(stale);
    assert_int_equal(vb_spi_byte_end(&f->sys, d, p, 0x3C, &lost), 0xA5);
    assert_false(lost);
    assert_true(RD(d, p, SPI_SR) & SPI_SR_RXNE);
    assert_true(f->irq[35]);
    /* A second byte before DR was read: overrun, and the TX was stale. */
    assert_true(vb_spi_byte_begin(&f->sys, d, p, &stale));
    assert_true(stale);
    vb_spi_byte_end(&f->sys, d, p, 0x11, &lost);
    assert_true(lost);
    assert_true(RD(d, p, SPI_SR) & SPI_SR_OVR);
    assert_int_equal(RD(d, p, SPI_DR), 0x3C);
    assert_false(f->irq[35]);
    RD(d, p, SPI_SR); /* DR then SR clears OVR */
    assert_false(RD(d, p, SPI_SR) & SPI_SR_OVR);
    /* DMA request lines follow RXNE/TXE under RXDMAEN/TXDMAEN. */
    WR(d, p, SPI_CR2, SPI_CR2_TXDMAEN);
    assert_true(f->sys.drq & VB_DRQ_SPI1_TX);
    free(p);
    free(f);
}

static void test_dma(void **state)
{
    fake_t *f = fake_new();
    const vb_dev_t *d = row("DMA2");
    void *m = dev_new(f, d);
    uint32_t s0 = DMA_S0; /* stream 0: SPI1_RX on channel 3 */

    (void)state;
    WR(d, m, s0 + DMA_SxNDTR, 2);
    WR(d, m, s0 + DMA_SxPAR, SPI1_BASE + SPI_DR);
    WR(d, m, s0 + DMA_SxM0AR, 0x20000000u);
    WR(d, m, s0 + DMA_SxCR,
       DMA_CR_EN | DMA_CR_MINC | DMA_CR_TCIE | (3u << DMA_CR_CHSEL_SHIFT));
    for (uint8_t v = 0x41; v <= 0x42; v++) {
        f->bus_read_val = v;
        f->sys.drq |= VB_DRQ_SPI1_RX;
        vb_dma_serve(&f->sys, d, m);
    }
    assert_int_equal(f->bus_last_addr, SPI1_BASE + SPI_DR);
    assert_memory_equal(f->mem, "AB", 2);
    assert_int_equal(RD(d, m, s0 + DMA_SxNDTR), 0);
    assert_false(RD(d, m, s0 + DMA_SxCR) & DMA_CR_EN);
    assert_int_equal(RD(d, m, DMA_LISR) & 0x30u, 0x30u); /* HTIF0, TCIF0 */
    assert_true(f->irq[56]);
    WR(d, m, DMA_LIFCR, 0x3Du);
    assert_false(f->irq[56]);
    /* A stream pointed at a memory the DMA cannot reach: transfer error. */
    WR(d, m, s0 + DMA_SxNDTR, 1);
    WR(d, m, s0 + DMA_SxM0AR, 0x10000000u);
    WR(d, m, s0 + DMA_SxCR, DMA_CR_EN | (3u << DMA_CR_CHSEL_SHIFT));
    f->sys.drq |= VB_DRQ_SPI1_RX;
    vb_dma_serve(&f->sys, d, m);
    assert_true(RD(d, m, DMA_LISR) & (1u << 3)); /* TEIF0 */
    /* Circular mode (RM0090 10.3.9): at 0 NDTR and the memory pointer
     * reload, TCIF is set and the stream stays enabled. */
    WR(d, m, DMA_LIFCR, 0x3Du);
    f->sys.drq &= ~(unsigned)VB_DRQ_SPI1_RX;
    WR(d, m, s0 + DMA_SxNDTR, 2);
    WR(d, m, s0 + DMA_SxM0AR, 0x20000000u);
    WR(d, m, s0 + DMA_SxCR,
       DMA_CR_EN | DMA_CR_MINC | DMA_CR_CIRC | (3u << DMA_CR_CHSEL_SHIFT));
    for (uint8_t v = 0x61; v <= 0x63; v++) {
        f->bus_read_val = v;
        f->sys.drq |= VB_DRQ_SPI1_RX;
        vb_dma_serve(&f->sys, d, m);
    }
    assert_memory_equal(f->mem, "cb", 2); /* the third byte wrapped */
    assert_int_equal(RD(d, m, s0 + DMA_SxNDTR), 1);
    assert_true(RD(d, m, s0 + DMA_SxCR) & DMA_CR_EN);
    assert_true(RD(d, m, DMA_LISR) & 0x20u); /* TCIF0 */
    free(m);
    free(f);
}

static void test_usart(void **state)
{
    fake_t *f = fake_new();
    const vb_dev_t *d1 = row("USART1"), *d2 = row("USART2");
    void *u1 = dev_new(f, d1), *u2 = dev_new(f, d2);
    uint64_t t0;

    (void)state;
    /* USART2 on APB1 (8 MHz here): BRR 0x45 ~ 115200 baud. */
    WR(d2, u2, USART_BRR, 0x45);
    WR(d2, u2, USART_CR1, US_CR1_UE | US_CR1_TE | US_CR1_RE | US_CR1_TCIE);
    WR(d2, u2, USART_DR, 'h');
    WR(d2, u2, USART_DR, 'i');
    assert_int_equal(f->ntx, 2);
    assert_int_equal(f->tx_unit[0], 2);
    assert_memory_equal(f->tx, "hi", 2);
    assert_false(RD(d2, u2, USART_SR) &
                 US_SR_TXE); /* 'i' waits in the buffer */
    assert_false(f->irq[38]);
    t0 = d2->cls->next_event(&f->sys, d2, u2);
    /* 10 bits * 0x45 * 2 periods of the 16 MHz clock (APB1 at 8 MHz). */
    assert_int_equal(t0 - f->sys.now, 10u * 0x45u * (VB_TICK_HZ / 8000000u));
    f->sys.now = t0;
    d2->cls->event(&f->sys, d2, u2);
    assert_true(RD(d2, u2, USART_SR) & US_SR_TXE);
    assert_false(RD(d2, u2, USART_SR) & US_SR_TC);
    f->sys.now = d2->cls->next_event(&f->sys, d2, u2);
    d2->cls->event(&f->sys, d2, u2);
    assert_true(RD(d2, u2, USART_SR) & US_SR_TC);
    assert_true(f->irq[38]);
    /* USART1 RX: a byte arrives one character time later. */
    WR(d1, u1, USART_BRR, 0x8B);
    WR(d1, u1, USART_CR1, US_CR1_UE | US_CR1_RE | US_CR1_RXNEIE);
    assert_int_equal(vb_usart_rx_push(&f->sys, d1, u1, (const uint8_t *)"x", 1),
                     0);
    assert_false(RD(d1, u1, USART_SR) & US_SR_RXNE);
    f->sys.now = d1->cls->next_event(&f->sys, d1, u1);
    d1->cls->event(&f->sys, d1, u1);
    assert_true(f->irq[37]);
    assert_int_equal(RD(d1, u1, USART_DR), 'x');
    assert_false(f->irq[37]);
    free(u1);
    free(u2);
    free(f);
}

static void test_crc_iwdg_pwr_dbgmcu(void **state)
{
    fake_t *f = fake_new();
    const vb_dev_t *dc = row("CRC"), *dw = row("IWDG"), *dp = row("PWR"),
                   *dd = row("DBGMCU");
    void *c = dev_new(f, dc), *w = dev_new(f, dw), *p = dev_new(f, dp),
         *g = dev_new(f, dd);

    (void)state;
    /* STM32 CRC of the word 0x12345678 from the reset value. */
    WR(dc, c, CRC_DR, 0x12345678u);
    assert_int_equal(RD(dc, c, CRC_DR), 0xDF8A8A2Bu);
    WR(dc, c, CRC_CR, 1u);
    assert_int_equal(RD(dc, c, CRC_DR), 0xFFFFFFFFu);
    /* Software watchdog: off until 0xCCCC; expires after (RLR+1)*4<<PR LSI periods. */
    assert_int_equal(dw->cls->next_event(&f->sys, dw, w), VB_NEVER);
    WR(dw, w, IWDG_KR, 0x5555u);
    WR(dw, w, IWDG_RLR, 9u);
    assert_int_equal(RD(dw, w, IWDG_SR) & 2u, 2u); /* RVU */
    WR(dw, w, IWDG_KR, 0xCCCCu);
    assert_int_equal(dw->cls->next_event(&f->sys, dw, w) - f->sys.now,
                     10u * 4u * (VB_TICK_HZ / VB_LSI_HZ));
    f->sys.now = dw->cls->next_event(&f->sys, dw, w);
    dw->cls->event(&f->sys, dw, w);
    assert_int_equal(f->req[VB_REQ_IWDG_RESET], 1);
    assert_int_equal(RD(dp, p, PWR_CSR), PWR_CSR_VOSRDY);
    WR(dp, p, PWR_CR, 0xC000u);
    assert_int_equal(RD(dp, p, PWR_CR), 0xC000u);
    assert_int_equal(RD(dd, g, DBGMCU_IDCODE) & 0xFFFu, 0x413u);
    free(c);
    free(w);
    free(p);
    free(g);
    free(f);
}

static void test_systick_dwt(void **state)
{
    fake_t *f = fake_new();
    const vb_dev_t *d = row("SysTick"), *dd = row("DWT");
    void *t = dev_new(f, d), *w = dev_new(f, dd);
    uint64_t ev;

    (void)state;
    WR(d, t, SYST_RVR, 999u);
    WR(d, t, SYST_CVR, 0);
    WR(d, t, SYST_CSR, SYST_CSR_ENABLE | SYST_CSR_CLKSOURCE);
    assert_int_equal(d->cls->next_event(&f->sys, d, t),
                     VB_NEVER); /* no TICKINT */
    WR(d, t, SYST_CSR, SYST_CSR_ENABLE | SYST_CSR_CLKSOURCE | SYST_CSR_TICKINT);
    ev = d->cls->next_event(&f->sys, d, t);
    assert_int_equal(ev - f->sys.now, 1000u * f->sys.tpc);
    f->sys.now = ev - f->sys.tpc;
    assert_int_equal(RD(d, t, SYST_CVR), 1u);
    f->sys.now = ev;
    d->cls->event(&f->sys, d, t);
    assert_int_equal(f->pends[15], 1);
    assert_true(RD(d, t, SYST_CSR) & SYST_CSR_COUNTFLAG);
    assert_false(RD(d, t, SYST_CSR) &
                 SYST_CSR_COUNTFLAG); /* cleared by the read */
    assert_int_equal(d->cls->next_event(&f->sys, d, t) - f->sys.now,
                     1000u * f->sys.tpc);
    WR(dd, w, DWT_CTRL, 1u);
    f->sys.now += 123u * f->sys.tpc;
    assert_int_equal(RD(dd, w, DWT_CYCCNT), 123u);
    free(t);
    free(w);
    free(f);
}

static void test_scs(void **state)
{
    fake_t *f = fake_new();
    const vb_dev_t *d = row("SCS");
    vb_scs_t *c = dev_new(f, d);

    (void)state;
    assert_int_equal(RD(d, c, SCB_CPUID), 0x410FC241u);
    assert_true(RD(d, c, SCB_CCR) & SCB_CCR_STKALIGN);
    /* IRQ 37 (USART1) at priority 0x40, IRQ 38 at 0x50; byte writes. */
    d->cls->write(&f->sys, d, c, NVIC_IPR + 36, 0x40u << 8, 0xFF00u);
    d->cls->write(&f->sys, d, c, NVIC_IPR + 36, 0x5Fu << 16, 0xFF0000u);
    assert_int_equal(RD(d, c, NVIC_IPR + 36),
                     (0x50u << 16) | (0x40u << 8)); /* 4 bits */
    vb_scs_level(c, 37, true);
    vb_scs_level(c, 38, true);
    assert_int_equal(vb_scs_best_pending(c), 0); /* not enabled */
    WR(d, c, NVIC_ISER + 4, (1u << 5) | (1u << 6));
    assert_int_equal(RD(d, c, NVIC_ISER + 4), (1u << 5) | (1u << 6));
    assert_int_equal(vb_scs_best_pending(c), 16 + 37);
    assert_int_equal(RD(d, c, NVIC_ISPR + 4), (1u << 5) | (1u << 6));
    /* BASEPRI 0x40 masks both; 0x60 lets 0x40 and 0x50 through. */
    assert_int_equal(vb_scs_exec_prio(c, 0, 0x40, 0), 0x40);
    assert_int_equal(vb_scs_exec_prio(c, 1, 0, 0), 0);
    assert_int_equal(vb_scs_exec_prio(c, 0, 0, 1), -1);
    vb_scs_activate(c, 16 + 37);
    assert_int_equal(RD(d, c, SCB_ICSR) & 0x1FFu, 16 + 37);
    assert_int_equal((RD(d, c, SCB_ICSR) >> 12) & 0x1FFu, 16 + 38);
    assert_int_equal(RD(d, c, NVIC_IABR + 4), 1u << 5);
    assert_int_equal(vb_scs_exec_prio(c, 0, 0, 0), 0x40);
    /* PRIGROUP 5: group = bits 7:6, so 0x40 and 0x50 share group 0x40. */
    WR(d, c, SCB_AIRCR, (SCB_AIRCR_VECTKEY << 16) | (5u << 8));
    assert_int_equal(vb_scs_group(c, 0x50), 0x40);
    assert_int_equal((RD(d, c, SCB_AIRCR) >> 8) & 7u, 5u);
    /* The line still high at return pends again (level-sensitive). */
    assert_true(vb_scs_deactivate(c, 16 + 37));
    assert_true(RD(d, c, NVIC_ISPR + 4) & (1u << 5));
    assert_false(vb_scs_deactivate(c, 16 + 37)); /* not active */
    /* PendSV, SysTick through ICSR; priorities in SHPR3. */
    WR(d, c, SCB_SHPR3, 0xF0E00000u);
    assert_int_equal(vb_scs_prio(c, 14), 0xE0);
    assert_int_equal(vb_scs_prio(c, 15), 0xF0);
    WR(d, c, NVIC_ICER + 4, (1u << 5) | (1u << 6));
    WR(d, c, SCB_ICSR, 1u << 28);
    assert_int_equal(vb_scs_best_pending(c), 14);
    WR(d, c, SCB_ICSR, 1u << 27);
    assert_int_equal(vb_scs_best_pending(c), 0);
    /* Faults are disabled until SHCSR enables them. */
    assert_false(vb_scs_enabled(c, 6));
    WR(d, c, SCB_SHCSR, 1u << 18);
    assert_true(vb_scs_enabled(c, 6));
    /* AIRCR without VECTKEY is ignored; with it SYSRESETREQ asks for a reset. */
    WR(d, c, SCB_AIRCR, SCB_AIRCR_SYSRESETREQ);
    assert_int_equal(f->req[VB_REQ_SYSRESET], 0);
    WR(d, c, SCB_AIRCR, (SCB_AIRCR_VECTKEY << 16) | SCB_AIRCR_SYSRESETREQ);
    assert_int_equal(f->req[VB_REQ_SYSRESET], 1);
    WR(d, c, SCS_STIR, 3);
    assert_true(RD(d, c, NVIC_ISPR) & (1u << 3));
    free(c);
    free(f);
}

static void test_syscfg_exti(void **state)
{
    fake_t *f = fake_new();
    const vb_dev_t *dc = row("SYSCFG"), *de = row("EXTI");
    void *c = dev_new(f, dc), *e = dev_new(f, de);

    (void)state;
    assert_int_equal(vb_syscfg_exti_port(c, 0), 0); /* PA0 at reset */
    WR(dc, c, SYSCFG_EXTICR1 + 4, 3u << 4);         /* EXTI5 <- PD5 */
    assert_int_equal(vb_syscfg_exti_port(c, 5), 3);
    assert_int_equal(vb_syscfg_exti_port(c, 4), 0);
    /* Line 0 rising edge, unmasked: PR0 and EXTI0 (IRQ 6). */
    WR(de, e, EXTI_RTSR, 1u);
    vb_exti_edge(&f->sys, de, e, 0, false);
    assert_int_equal(RD(de, e, EXTI_PR), 0); /* falling edge not selected */
    vb_exti_edge(&f->sys, de, e, 0, true);
    assert_int_equal(RD(de, e, EXTI_PR), 1u);
    assert_false(f->irq[6]); /* masked */
    WR(de, e, EXTI_IMR, 1u | (1u << 5) | (1u << 12));
    assert_true(f->irq[6]);
    WR(de, e, EXTI_PR, 1u);
    assert_false(f->irq[6]);
    /* Software trigger on lines 5 and 12: EXTI9_5 (23), EXTI15_10 (40). */
    WR(de, e, EXTI_SWIER, (1u << 5) | (1u << 12));
    assert_true(f->irq[23]);
    assert_true(f->irq[40]);
    WR(de, e, EXTI_PR, 1u << 5);
    assert_false(f->irq[23]);
    assert_int_equal(RD(de, e, EXTI_SWIER), 1u << 12);
    free(c);
    free(e);
    free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_rcc),
        cmocka_unit_test(test_flashif),
        cmocka_unit_test(test_gpio),
        cmocka_unit_test(test_spi),
        cmocka_unit_test(test_dma),
        cmocka_unit_test(test_usart),
        cmocka_unit_test(test_crc_iwdg_pwr_dbgmcu),
        cmocka_unit_test(test_systick_dwt),
        cmocka_unit_test(test_scs),
        cmocka_unit_test(test_syscfg_exti),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
