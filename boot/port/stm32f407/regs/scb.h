/* scb.h - Cortex-M4 system control block, SysTick and NVIC (ARMv7-M ARM,
 * PM0214). */
#ifndef FW_REGS_SCB_H
#define FW_REGS_SCB_H

#include "mmio.h"

#define SCB_BASE 0xE000ED00u
#define SCB_CPUID MMIO32(SCB_BASE + 0x00u)
#define SCB_ICSR MMIO32(SCB_BASE + 0x04u)
#define SCB_VTOR MMIO32(SCB_BASE + 0x08u)
#define SCB_AIRCR MMIO32(SCB_BASE + 0x0Cu)
#define SCB_SHCSR MMIO32(SCB_BASE + 0x24u)
#define SCB_CPACR MMIO32(SCB_BASE + 0x88u)

#define SCB_ICSR_PENDSTCLR (1u << 25)
#define SCB_AIRCR_VECTKEY (0x05FAu << 16)
#define SCB_AIRCR_SYSRESETREQ (1u << 2)
#define SCB_CPACR_CP10_CP11_FULL (0xFu << 20)

#define SYSTICK_BASE 0xE000E010u
#define STK_CSR MMIO32(SYSTICK_BASE + 0x00u)
#define STK_RVR MMIO32(SYSTICK_BASE + 0x04u)
#define STK_CVR MMIO32(SYSTICK_BASE + 0x08u)

#define STK_CSR_ENABLE (1u << 0)
#define STK_CSR_TICKINT (1u << 1)
#define STK_CSR_CLKSOURCE_AHB (1u << 2)
#define STK_CSR_COUNTFLAG (1u << 16)
#define STK_RVR_MAX 0x00FFFFFFu

#define NVIC_ISER(n) MMIO32(0xE000E100u + 4u * (n))
#define NVIC_ICER(n) MMIO32(0xE000E180u + 4u * (n))
#define NVIC_ICPR(n) MMIO32(0xE000E280u + 4u * (n))
/* One priority byte per interrupt (ARMv7-M B3.4.9; the F407 implements
 * the top 4 bits) and the system handlers' SHPR3 (B3.2.12). */
#define NVIC_IPR8(irq) MMIO8(0xE000E400u + (irq))
#define SCB_SHPR3 MMIO32(SCB_BASE + 0x20u)
#define NVIC_IRQ_WORDS 3 /* 82 interrupts on the F407 */

#endif /* FW_REGS_SCB_H */
