/* iwdg.h - Independent watchdog (RM0090 section 21), clocked by the LSI
 * (~32 kHz, 17-47 kHz over temperature and parts). */
#ifndef FW_REGS_IWDG_H
#define FW_REGS_IWDG_H

#include "mmio.h"

#define IWDG_BASE (PERIPH_BASE_APB1 + 0x3000u)

#define IWDG_KR MMIO32(IWDG_BASE + 0x00u)
#define IWDG_PR MMIO32(IWDG_BASE + 0x04u)
#define IWDG_RLR MMIO32(IWDG_BASE + 0x08u)
#define IWDG_SR MMIO32(IWDG_BASE + 0x0Cu)

#define IWDG_KR_RESET 0xAAAAu  /* reload the counter */
#define IWDG_KR_UNLOCK 0x5555u /* allow PR/RLR writes */
#define IWDG_KR_START 0xCCCCu  /* start; cannot be stopped until reset */

#define IWDG_PR_DIV4 0x0u
#define IWDG_PR_DIV64 0x4u
#define IWDG_PR_DIV256 0x6u
#define IWDG_RLR_MAX 0xFFFu

#define IWDG_SR_PVU (1u << 0)
#define IWDG_SR_RVU (1u << 1)

#endif /* FW_REGS_IWDG_H */
