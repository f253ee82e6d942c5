/*
 * vb_scs.h - the NVIC/SCB state and the calls the board core makes to
 * take and return from exceptions (vb_scs.c).
 */
#ifndef VB_SCS_H
#define VB_SCS_H

#include <stdbool.h>
#include <stdint.h>

#define VB_NIRQ 82             /* STM32F407 interrupt lines (RM0090 table 61) */
#define VB_NEXC (16 + VB_NIRQ) /* exception numbers 0..97 */
#define VB_PRIO_MASK 0xF0u     /* 4 priority bits implemented */

typedef struct vb_scs {
    uint8_t prio[VB_NEXC];   /* priority byte of exceptions 4..97 */
    uint8_t enable[VB_NEXC]; /* NVIC_ISER of the interrupts */
    uint8_t pending[VB_NEXC];
    uint8_t active[VB_NEXC];
    uint8_t level[VB_NEXC]; /* interrupt line levels */
    uint8_t stack[VB_NEXC]; /* active exceptions, in order of entry */
    unsigned depth, npending;
    uint32_t vtor, aircr, scr, ccr, shcsr_en, cfsr, hfsr, cpacr, fpccr;
    uint32_t other[1024];
} vb_scs_t;

int vb_scs_group(const vb_scs_t *c, int prio);
int vb_scs_prio(const vb_scs_t *c, unsigned exc);
bool vb_scs_enabled(const vb_scs_t *c, unsigned exc);
int vb_scs_exec_prio(const vb_scs_t *c, uint32_t primask, uint32_t basepri,
                     uint32_t faultmask);
unsigned vb_scs_best_pending(const vb_scs_t *c);
void vb_scs_pend(vb_scs_t *c, unsigned exc);
void vb_scs_level(vb_scs_t *c, unsigned irqn, bool level);
void vb_scs_activate(vb_scs_t *c, unsigned exc);
bool vb_scs_deactivate(vb_scs_t *c, unsigned exc);
unsigned vb_scs_current(const vb_scs_t *c);
void vb_scs_fault_status(vb_scs_t *c, uint32_t cfsr, uint32_t hfsr);

#endif /* VB_SCS_H */
