/* main.h - what the example's files share (CubeIDE keeps these here). */
#ifndef MAIN_H
#define MAIN_H

#include <stdint.h>

extern volatile uint32_t uwTick;
extern uint32_t SystemCoreClock;

void SystemClock_Config(void);
uint32_t HAL_GetTick(void);
void HAL_Delay(uint32_t ms);
void log_puts(const char *s);

#endif /* MAIN_H */
