/*
 * vb_dev.h - the interface between the virtual board's core (vboard.c) and
 * its peripheral models (vb_<device>.c), in both directions:
 *
 * - a peripheral is a class (vb_dev_class_t: state size, reset, register
 *   read/write, next timed event, event service) and one or more rows of
 *   the device table (vb_dev_t: name, base address, size, RCC clock gate,
 *   interrupt line, instance number), see vb_devtab.c;
 * - the board hands every call a vb_sys_t: the clock (read only for the
 *   peripherals), the board-level inputs, and a small set of services
 *   (raise an interrupt, request a reset or the end of the running slice,
 *   reach another bus address or memory for DMA, report a TX byte).
 *
 * Peripherals never run the CPU and never move the clock; only vboard.c
 * does. A peripheral's state is one flat struct without pointers, so a
 * snapshot copies it with memcpy through the table.
 */
#ifndef VB_DEV_H
#define VB_DEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim_flash.h"
#include "vboard.h"

/* The virtual clock counts ticks of 1/10.08 GHz: an integer number of
 * ticks per cycle at 168 MHz (60), 84 MHz, 16 MHz (630), 8 MHz (1260) and
 * per LSI period at 32 kHz (315000), so no clock the firmware uses drifts. */
#define VB_TICK_HZ 10080000000ull
#define VB_NS_TO_TICKS(ns) ((ns)*252u / 25u)
#define VB_TICKS_TO_NS(t) ((t)*25u / 252u)
#define VB_NEVER UINT64_MAX

#define VB_HSI_HZ 16000000u
#define VB_HSE_HZ 8000000u
#define VB_LSI_HZ 32000u

/* Bus enable registers of RCC that gate a peripheral's clock. */
enum vb_gate {
    VB_GATE_NONE = 0,
    VB_GATE_AHB1, /* RCC_AHB1ENR */
    VB_GATE_AHB2, /* RCC_AHB2ENR */
    VB_GATE_APB1, /* RCC_APB1ENR */
    VB_GATE_APB2, /* RCC_APB2ENR */
};

/* Requests a peripheral makes to the board. */
enum vb_req {
    VB_REQ_STOP = 1,   /* end the running slice before the next instruction */
    VB_REQ_SYSRESET,   /* AIRCR.SYSRESETREQ */
    VB_REQ_IWDG_RESET, /* the independent watchdog expired */
    VB_REQ_POWER_CUT,  /* an armed flash-model cut fired */
};

/* DMA request lines (RM0090 table 43), as bits of vb_sys_t.drq. */
enum vb_drq {
    VB_DRQ_SPI1_RX = 1u << 0,
    VB_DRQ_SPI1_TX = 1u << 1,
};

typedef struct vb_sys vb_sys_t;
typedef struct vb_dev vb_dev_t;

typedef struct vb_sys_ops {
    /* External interrupt line IRQn: level (true = asserted). */
    void (*irq)(vb_sys_t *s, unsigned irqn, bool level);
    /* Pend a system exception (ARMv7-M exception number, e.g. 15 SysTick). */
    void (*pend)(vb_sys_t *s, unsigned exc);
    /* Stop the board with a reason (a model limit or a firmware error). */
    void (*fault)(vb_sys_t *s, const char *msg);
    void (*request)(vb_sys_t *s, enum vb_req req);
    /* Whether the RCC clock of row d is on. */
    bool (*gate_on)(vb_sys_t *s, const vb_dev_t *d);
    /* Kernel clock of the bus behind a gate (AHB: HCLK, APBx: PCLKx). */
    uint32_t (*bus_hz)(vb_sys_t *s, enum vb_gate bus);
    /* GPIO pin port.pin in alternate function af (its port clocked). */
    bool (*pin_af)(vb_sys_t *s, unsigned port, unsigned pin, unsigned af);
    /* A peripheral's DMA request line changed level. */
    void (*drq)(vb_sys_t *s, unsigned line, bool level);
    /* A bus master's access to a peripheral register (DMA to PAR). */
    uint32_t (*bus_read)(vb_sys_t *s, uint32_t addr, unsigned size);
    void (*bus_write)(vb_sys_t *s, uint32_t addr, uint32_t v, unsigned size);
    /* Backing byte of memory address addr for a DMA transfer (write: to
     * memory), NULL when the DMA cannot reach it. */
    uint8_t *(*dma_mem)(vb_sys_t *s, uint32_t addr, bool write);
    /* RCC changed HCLK (counters on the old clock are rebased first). */
    void (*clock_changed)(vb_sys_t *s, uint32_t hclk_hz);
    /* A byte left USART<unit>'s TX (replace: it overwrote the last one). */
    void (*uart_tx)(vb_sys_t *s, unsigned unit, uint8_t c, bool replace);
    /* The Discovery LEDs changed (bits 0..3 = PD12..PD15). */
    void (*leds)(vb_sys_t *s, uint8_t leds);
    /* Flash under translated code changed: drop [lo, hi). */
    void (*flush_code)(vb_sys_t *s, uint32_t lo, uint32_t hi);
    /* FLASH_ACR written, acr as written (the self-clearing ICRST/DCRST bits
     * included): the core's ART accelerator model follows it. */
    void (*acr_write)(vb_sys_t *s, uint32_t acr);
} vb_sys_ops_t;

struct vb_sys {
    const vb_sys_ops_t *ops;
    uint64_t now; /* board clock in ticks; only the board moves it */
    uint32_t tpc; /* ticks per HCLK cycle */
    uint32_t hclk_hz;
    uint32_t reset_flags; /* RCC_CSR[31:24], kept across resets */
    bool nss_high;        /* PA4 level driven by the SPI master */
    uint32_t drq;         /* DMA request lines now asserted (vb_drq) */
    const vboard_config_t *cfg;
    sim_flash_t *flash; /* main flash cells and timing */
    uint8_t *opt;       /* option bytes (0x1FFFC000) */
};

typedef struct vb_dev_class {
    size_t state_size;
    void (*reset)(vb_sys_t *s, const vb_dev_t *d, void *st, bool power_on);
    uint32_t (*read)(vb_sys_t *s, const vb_dev_t *d, void *st, uint32_t off);
    void (*write)(vb_sys_t *s, const vb_dev_t *d, void *st, uint32_t off,
                  uint32_t v, uint32_t mask);
    /* Tick of the next event the board must serve (VB_NEVER: none); NULL
     * when the device has no timed behaviour. */
    uint64_t (*next_event)(const vb_sys_t *s, const vb_dev_t *d,
                           const void *st);
    void (*event)(vb_sys_t *s, const vb_dev_t *d, void *st);
    /* An access that holds the bus until the returned tick (0: none), e.g.
     * FLASH_CR written while the flash is busy. */
    uint64_t (*stall)(const vb_sys_t *s, const void *st, uint32_t off,
                      bool write);
} vb_dev_class_t;

struct vb_dev {
    const char *name;
    const vb_dev_class_t *cls;
    uint32_t base, size;
    uint8_t gate;     /* enum vb_gate */
    uint8_t gate_bit; /* bit in that enable register */
    int16_t irq;      /* IRQn of its interrupt line, -1 none */
    uint8_t unit;     /* instance: GPIO port 0..4, USART number */
};

/* The device table (vb_devtab.c). The rows the board core talks to
 * directly have fixed indices. */
enum vb_dev_id {
    VB_DEV_RCC = 0,
    VB_DEV_FLASH,
    VB_DEV_GPIOA,
    VB_DEV_GPIOD = VB_DEV_GPIOA + 3,
    VB_DEV_SPI1 = VB_DEV_GPIOA + 5,
    VB_DEV_DMA2,
    VB_DEV_USART1,
    VB_DEV_IWDG,
    VB_DEV_SYSTICK,
    VB_DEV_SCS,
    VB_DEV_DWT,
    VB_DEV_SYSCFG,
    VB_DEV_EXTI,
    VB_DEV_FIXED /* rows from here on are reached only through the table */
};
extern const vb_dev_t vb_devices[];
extern const unsigned vb_ndevices;

/* Register helpers shared by the models. */
static inline uint32_t vb_merge(uint32_t old, uint32_t v, uint32_t mask)
{
    return (old & ~mask) | (v & mask);
}

static inline uint64_t vb_ns_to_ticks_ceil(uint64_t ns)
{
    return (ns * 252u + 24u) / 25u;
}

/* Classes (one per vb_<device>.c). */
extern const vb_dev_class_t vb_rcc_class, vb_pwr_class, vb_flashif_class,
    vb_gpio_class, vb_spi_class, vb_dma_class, vb_usart_class, vb_crc_class,
    vb_iwdg_class, vb_systick_class, vb_scs_class, vb_dwt_class,
    vb_dbgmcu_class, vb_syscfg_class, vb_exti_class;

/* Calls the board core makes into particular devices. */
/* RCC: clock gates and bus clocks. */
bool vb_rcc_gate_on(const void *rcc, enum vb_gate gate, unsigned bit);
uint32_t vb_rcc_bus_hz(const void *rcc, uint32_t hclk_hz, enum vb_gate bus);
/* FLASH interface: a CPU store into flash memory, the end of the operation
 * in flight, and tearing it on a reset. */
void vb_flashif_store(vb_sys_t *s, void *fl, uint32_t addr, unsigned size,
                      uint64_t value);
uint64_t vb_flashif_busy_until(const void *fl);
unsigned vb_flashif_latency(const void *fl);
uint32_t vb_flashif_acr(
    const void *fl); /* FLASH_ACR: LATENCY, PRFTEN, ICEN, DCEN */
void vb_flashif_tear(vb_sys_t *s, void *fl);
/* GPIO: pin levels and external drive. */
int vb_gpio_level(const vb_sys_t *s, const vb_dev_t *d, const void *g,
                  unsigned pin);
bool vb_gpio_af(const void *g, unsigned pin, unsigned af);
void vb_gpio_drive(void *g, unsigned pin, int level);
/* SPI1 slave: one byte clocked by the master, in two halves around the
 * byte's time (the board runs the CPU in between). */
bool vb_spi_byte_begin(vb_sys_t *s, const vb_dev_t *d, void *spi, bool *stale);
uint8_t vb_spi_byte_end(vb_sys_t *s, const vb_dev_t *d, void *spi, uint8_t mosi,
                        bool *lost);
void vb_spi_stats(const void *spi, uint64_t *bytes, uint64_t *overruns,
                  uint64_t *stale);
/* DMA2: serve the request lines now asserted. */
void vb_dma_serve(vb_sys_t *s, const vb_dev_t *d, void *dma);
/* USART: queue bytes for RX. Returns 0 or FOTA_ERR_NOMEM. */
int vb_usart_rx_push(vb_sys_t *s, const vb_dev_t *d, void *u,
                     const uint8_t *data, size_t len);
/* SYSCFG: the GPIO port (0 = A) EXTICR selects for EXTI line 0-15. */
unsigned vb_syscfg_exti_port(const void *syscfg, unsigned line);
/* EXTI: an edge on line (rising or falling). */
void vb_exti_edge(vb_sys_t *s, const vb_dev_t *d, void *exti, unsigned line,
                  bool rising);
/* IWDG: stopped while NRST is held low. */
void vb_iwdg_halt(void *w);
/* SysTick and DWT count HCLK cycles: rebase before HCLK changes. */
void vb_systick_rebase(vb_sys_t *s, void *st);
void vb_dwt_rebase(vb_sys_t *s, void *st);

#endif /* VB_DEV_H */
