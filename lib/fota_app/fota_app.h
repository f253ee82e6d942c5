/*
 * fota_app.h - the application side of fota-f407: what an STM32F407
 * application links to live with the bootloader (docs/application.md).
 *
 * Plain C, no HAL: registers from RM0090. It
 *  - confirms a trial boot through the bootloader's API table
 *    (0x08000200 + 12) and then resets into the confirmed boot, because the
 *    trial's IWDG cannot be stopped (RM0090 21.3.2);
 *  - tells the application whether it runs as a trial, from which slot,
 *    which version, with which confirm window and how many attempts left;
 *  - asks the bootloader for update mode (API table + 16);
 *  - answers the update agent's status / enter-update-mode / confirm
 *    exchange on SPI1 while the application runs, so the agent never has
 *    to reset a running application to learn its state (docs/protocol.md,
 *    "Talking to a running application"). Polled (fota_app_poll() from the
 *    main loop) or interrupt-driven (fota_app_spi1_irq() from
 *    SPI1_IRQHandler).
 *
 * SPI1 belongs to the library: PA4 (CS from the agent, input with pull-up),
 * PA5 SCK, PA6 MISO, PA7 MOSI on AF5, slave, mode 0, 8 bits, software NSS.
 * Call everything from thread mode except fota_app_spi1_irq().
 */
#ifndef FOTA_APP_H
#define FOTA_APP_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* How the SPI1 responder is driven. */
#define FOTA_APP_POLLED                                                        \
    0u /* the main loop calls fota_app_poll() often
                              (every few microseconds while the agent talks) */
#define FOTA_APP_IRQ                                                           \
    1u /* SPI1_IRQHandler calls fota_app_spi1_irq(); the
                              library enables the RXNE/error interrupts and
                              NVIC line 35 (RM0090 table 61) */

typedef struct fota_app_version {
    uint8_t major;
    uint8_t minor;
    uint16_t patch;
    uint32_t build;
} fota_app_version_t;

/* Find the running slot and its header, read the journal, start the SPI1
 * responder, then unmask interrupts (cpsie i): the bootloader jumps to the
 * application with PRIMASK set. Returns 0, or -1 when the code does not run from a slot body
 * (not linked with the kit's linker script) or the slot header is bad. */
int fota_app_init(unsigned mode);

/* Polled mode: serve SPI1 (a few dozen cycles when nothing happens). May
 * not return: an agent's "enter update mode" resets into the bootloader. */
void fota_app_poll(void);

/* Interrupt mode: call from SPI1_IRQHandler. */
void fota_app_spi1_irq(void);

/* Slot the application runs from: 0 (A), 1 (B), -1 before init. */
int fota_app_slot(void);

/* The running image's version (from its header). */
fota_app_version_t fota_app_version(void);

/* This boot is a trial of a pending image: confirm it inside
 * fota_app_confirm_window_ms() of boot or the bootloader's IWDG resets it
 * and the attempt counts. */
bool fota_app_on_trial(void);

/* The image's confirm window, ms (header value, default 8000 applied). */
uint32_t fota_app_confirm_window_ms(void);

/* Trial boots left after this one (journal), 0 when not on trial. */
unsigned fota_app_attempts_left(void);

/* The journal's CRC of the running image (header and body, as the STM32
 * CRC unit computes it over little-endian words: fota_crc32_st), recorded
 * when the bootloader committed or verified it. Returns false when the
 * journal holds no record for a confirmed or pending running slot. */
bool fota_app_image_crc(uint32_t *crc);

/* Bootloader version from the API table (major << 16 | minor << 8 |
 * patch), 0 without a bootloader. */
uint32_t fota_app_boot_version(void);

/* Called right before every reset the library makes (confirm, update
 * mode): flush a UART, park a motor. NULL: none. */
void fota_app_set_before_reset(void (*fn)(void));

/* Confirm the running image. On a trial boot: confirm through the
 * bootloader, then reset into the confirmed boot (one planned reset per
 * update; this call does not return). On a confirmed boot: nothing to do,
 * returns 0. Returns a negative FOTA_ERR_* code from the bootloader
 * (-2: no bootloader API) when it could not confirm. */
int fota_app_confirm(void);

/* Confirm and keep running: for an application that feeds the IWDG the
 * trial started (IWDG_KR = 0xAAAA at least every confirm window / 2).
 * Returns 0 or a negative FOTA_ERR_* code. */
int fota_app_confirm_keep_running(void);

/* Reset into the bootloader's update mode (no return). */
void fota_app_request_update_mode(void) __attribute__((noreturn));

#ifdef __cplusplus
}
#endif

#endif /* FOTA_APP_H */
