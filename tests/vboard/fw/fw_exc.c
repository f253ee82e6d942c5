/*
 * Exception-model test firmware: nested interrupts with priorities and
 * PRIGROUP, tail-chaining, BASEPRI/PRIMASK masking, SVC with arguments in
 * the stacked frame, SysTick at 1 kHz, and a PendSV round robin of two
 * tasks on PSP. Each observation is one line on USART2 (115200 baud at the
 * 16 MHz HSI); the numbers also go to the mailbox, then BKPT #0x5E.
 * Software-pended interrupt lines 0-2 (WWDG, PVD, TAMP_STAMP) serve as
 * test interrupts, so the firmware runs unchanged on other STM32F4 models.
 */
#include <stdbool.h>

#include "fw_mbox.h"
#include "fw_regs.h"

extern uint32_t _sdata, _edata, _ldata, _sbss, _ebss, _estack;
void fw_reset(void);
void fw_svc(void);
void fw_pendsv(void);
static void fw_systick(void);
static void fw_irq0(void);
static void fw_irq1(void);
static void fw_irq2(void);
static void fw_fault(void);
static int main_exc(void);

#define NVIC_ISER0 REG(0xE000E100)
#define NVIC_ISPR0 REG(0xE000E200)
#define NVIC_IABR0 REG(0xE000E300)
#define NVIC_IPR8(n) REG8(0xE000E400 + (n))
#define SCB_ICSR REG(0xE000ED04)
#define SCB_SHPR2 REG(0xE000ED1C)
#define SCB_SHPR3 REG(0xE000ED20)
#define USART2_SR REG(0x40004400)
#define USART2_DR REG(0x40004404)
#define USART2_BRR REG(0x40004408)
#define USART2_CR1 REG(0x4000440C)

__attribute__((section(".isr"),
               used)) static const void *const s_vectors[16 + 3] = {
    &_estack,
    (const void *)fw_reset,
    (const void *)fw_fault,
    (const void *)fw_fault,
    (const void *)fw_fault,
    (const void *)fw_fault,
    (const void *)fw_fault,
    0,
    0,
    0,
    0,
    (const void *)fw_svc,
    0,
    0,
    (const void *)fw_pendsv,
    (const void *)fw_systick,
    (const void *)fw_irq0,
    (const void *)fw_irq1,
    (const void *)fw_irq2};

__attribute__((section(".mbox"))) static volatile uint32_t s_mb[256];

static volatile char s_log[16];
static volatile unsigned s_nlog;
static volatile uint32_t s_ticks, s_nested_icsr, s_nested_iabr, s_pend_in_irq0;
static volatile uint32_t s_svc_imm;

void fw_reset(void)
{
    uint32_t *s = &_ldata, *d = &_sdata;

    while (d < &_edata)
        *d++ = *s++;
    for (d = &_sbss; d < &_ebss; d++)
        *d = 0;
    main_exc();
    FW_HALT(0xEE);
    for (;;) {
    }
}

static void fw_fault(void)
{
    FW_HALT(0xFA);
}

static void logc(char c)
{
    if (s_nlog < sizeof s_log - 1)
        s_log[s_nlog++] = c;
}

/* IRQ0 (priority 0x80) pends IRQ1 (0x40, preempts unless PRIGROUP puts
 * both in one group) and IRQ2 (0xC0, waits: tail-chained). */
static void fw_irq0(void)
{
    logc('A');
    NVIC_ISPR0 = 1u << 1;
    s_pend_in_irq0 = NVIC_ISPR0 & 2u;
    logc('a');
}

static void fw_irq1(void)
{
    logc('B');
    s_nested_icsr = SCB_ICSR & 0x1FFu;
    s_nested_iabr = NVIC_IABR0;
    NVIC_ISPR0 = 1u << 2;
}

static void fw_irq2(void)
{
    logc('C');
}

static volatile bool s_rr_mode;
static void rr_tick(void);

static void fw_systick(void)
{
    s_ticks++;
    if (s_rr_mode)
        rr_tick();
}

/* SVC: the immediate from the instruction before the stacked PC, r0 of the
 * frame + 1 as the result. */
__attribute__((naked)) void fw_svc(void)
{
    __asm volatile("tst lr, #4\n"
                   "ite eq\n"
                   "mrseq r0, msp\n"
                   "mrsne r0, psp\n"
                   "b fw_svc_c\n");
}

void fw_svc_c(uint32_t *frame);
void fw_svc_c(uint32_t *frame)
{
    const uint8_t *pc = (const uint8_t *)frame[6];

    s_svc_imm = pc[-2];
    frame[0] += 1;
}

static uint32_t fw_svc5(uint32_t arg)
{
    register uint32_t r0 __asm("r0") = arg;

    __asm volatile("svc #5" : "+r"(r0) : : "memory");
    return r0;
}

static void putc2(char c)
{
    while (!(USART2_SR & (1u << 7))) {
    }
    USART2_DR = (uint8_t)c;
}

static void puts2(const char *s)
{
    while (*s)
        putc2(*s++);
}

static void putu2(uint32_t v)
{
    char b[11];
    int n = 0;

    do {
        b[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v);
    while (n)
        putc2(b[--n]);
}

static void log_line(const char *name)
{
    puts2(name);
    putc2(' ');
    for (unsigned i = 0; i < s_nlog; i++)
        putc2(s_log[i]);
    putc2('\n');
    s_nlog = 0;
}

/* ----------------------------------------------------- round robin */

#define RR_SWITCHES 20
static uint32_t s_stack[2][128];
uint32_t *volatile s_task_sp[2];
volatile uint32_t s_cur;
static volatile uint32_t s_switches, s_count[2], s_alt_ok = 1, s_last = 2,
                                                 s_sp_ok = 1;

/* PendSV: save r4-r11 of the running task on its PSP, switch to the other
 * one. */
__attribute__((naked)) void fw_pendsv(void)
{
    __asm volatile("mrs r0, psp\n"
                   "stmdb r0!, {r4-r11}\n"
                   "ldr r1, =s_cur\n"
                   "ldr r2, [r1]\n"
                   "ldr r3, =s_task_sp\n"
                   "str r0, [r3, r2, lsl #2]\n"
                   "eor r2, r2, #1\n"
                   "str r2, [r1]\n"
                   "ldr r0, [r3, r2, lsl #2]\n"
                   "ldmia r0!, {r4-r11}\n"
                   "msr psp, r0\n"
                   "bx lr\n");
}

static void rr_tick(void)
{
    if (s_switches < RR_SWITCHES) {
        if (s_cur == s_last)
            s_alt_ok = 0;
        s_last = s_cur;
        s_switches++;
        SCB_ICSR = 1u << 28; /* PENDSVSET */
    }
}

static void fw_task(uint32_t id)
{
    volatile uint32_t mine = 0xC0DE0000u | id; /* on this task's stack */

    for (;;) {
        s_count[id]++;
        if (mine != (0xC0DE0000u | id))
            s_sp_ok = 0;
        if (s_switches >= RR_SWITCHES && id == 0)
            return;
    }
}

static void task0(void)
{
    fw_task(0);
    /* Back in thread mode on PSP: report and stop. */
    puts2("rr switches ");
    putu2(s_switches);
    puts2(" alternate ");
    putu2(s_alt_ok);
    puts2(" both ");
    putu2(s_count[0] > 0 && s_count[1] > 0);
    puts2(" stacks ");
    putu2(s_sp_ok);
    putc2('\n');
    puts2("done\n");
    s_mb[FW_MB_RES + 9] = s_switches;
    s_mb[FW_MB_RES + 10] = s_alt_ok;
    s_mb[FW_MB_RES + 11] = s_count[0];
    s_mb[FW_MB_RES + 12] = s_count[1];
    FW_HALT(0x5E);
}

static void task1(void)
{
    fw_task(1);
}

/* An initial frame: r4-r11, then r0-r3, r12, lr, pc, xPSR. */
static uint32_t *task_frame(uint32_t *top, void (*entry)(void))
{
    uint32_t *sp = top - 16;

    for (int i = 0; i < 16; i++)
        sp[i] = 0;
    sp[8 + 5] = 0xFFFFFFFFu;
    sp[8 + 6] = (uint32_t)entry & ~1u;
    sp[8 + 7] = 1u << 24;
    return sp;
}

static int main_exc(void)
{
    uint32_t r, before, seen;

    RCC_APB1ENR |= 1u << 17; /* USART2 */
    RCC_AHB1ENR |= 1u;       /* GPIOA: PA2/PA3 AF7 */
    GPIOA(0x00) = (GPIOA(0x00) & ~0xF0u) | 0xA0u;
    GPIOA(0x20) = (GPIOA(0x20) & ~0xFF00u) | 0x7700u;
    USART2_BRR = 139; /* 16 MHz / 115200 */
    USART2_CR1 = (1u << 13) | (1u << 3);
    puts2("fw_exc\n");

    NVIC_IPR8(0) = 0x80;
    NVIC_IPR8(1) = 0x40;
    NVIC_IPR8(2) = 0xC0;
    NVIC_ISER0 = 7u;

    /* 1. Nesting and tail-chaining. */
    NVIC_ISPR0 = 1u;
    log_line("nest");
    s_mb[FW_MB_RES + 0] = s_nested_icsr;
    s_mb[FW_MB_RES + 1] = s_nested_iabr;
    puts2("nested vectactive ");
    putu2(s_nested_icsr);
    puts2(" iabr ");
    putu2(s_nested_iabr);
    putc2('\n');

    /* 2. PRIGROUP 7: one group, subpriorities only: nothing preempts. */
    SCB_AIRCR = 0x05FA0000u | (7u << 8);
    NVIC_ISPR0 = 1u;
    log_line("prigroup7");
    SCB_AIRCR = 0x05FA0000u | (3u << 8);

    /* 3. BASEPRI 0x40 holds IRQ1 (0x40) back; 0x50 lets it through. */
    __asm volatile("msr basepri, %0" ::"r"(0x40u));
    NVIC_ISPR0 = 2u;
    __asm volatile("isb");
    logc(s_nlog ? '!' : '-');
    __asm volatile("msr basepri, %0" ::"r"(0x50u));
    __asm volatile("isb");
    __asm volatile("msr basepri, %0" ::"r"(0u));
    log_line("basepri");

    /* 4. PRIMASK: pended, taken at CPSIE. */
    __asm volatile("cpsid i");
    NVIC_ISPR0 = 4u;
    __asm volatile("isb");
    logc(s_nlog ? '!' : '-');
    __asm volatile("cpsie i");
    __asm volatile("isb");
    log_line("primask");

    /* 5. SVC. */
    r = fw_svc5(41);
    puts2("svc imm ");
    putu2(s_svc_imm);
    puts2(" r0 ");
    putu2(r);
    putc2('\n');
    s_mb[FW_MB_RES + 2] = s_svc_imm;
    s_mb[FW_MB_RES + 3] = r;

    /* 6. SysTick at 1 kHz on the 16 MHz core clock: 100 ticks in the
     * time of 1.6 M DWT cycles. */
    SCB_SHPR3 = (0xE0u << 24) | (0xF0u << 16); /* SysTick 0xE0, PendSV 0xF0 */
    DWT_CTRL |= 1u;
    SYST_RVR = 16000u - 1u;
    SYST_CVR = 0;
    SYST_CSR = 7u;
    before = DWT_CYCCNT;
    while (s_ticks < 100u) {
    }
    seen = DWT_CYCCNT - before;
    s_mb[FW_MB_RES + 4] = seen;
    puts2("systick 100 ticks\n");
    SYST_CSR = 0;

    /* 7. Round robin: SysTick pends PendSV, PendSV switches tasks on
     * PSP; thread mode runs on PSP from the first task on. */
    s_task_sp[1] = task_frame(&s_stack[1][128], task1);
    s_cur = 0;
    s_mb[FW_MB_RES + 5] = s_ticks;
    {
        uint32_t *top = &s_stack[0][128];

        __asm volatile("msr psp, %0\n"
                       "movs r1, #2\n"
                       "msr control, r1\n"
                       "isb\n" ::"r"(top)
                       : "r1", "memory");
    }
    s_rr_mode = true;
    s_ticks = 0;
    SYST_CVR = 0;
    SYST_CSR = 7u;
    task0();
    return 0;
}
