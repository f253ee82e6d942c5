/*
 * app_log.h - the example application's UART log, queued: lines are put
 * in a RAM queue and fed to USART1 one character at a time whenever its
 * transmit register is empty (app_log_pump() from the main loop and from
 * every queueing call), so printing never holds up the self-test or the
 * confirm; 115200 baud moves one character every 87 us. A full queue
 * waits for room rather than drop a character. app_log_drain() sends the
 * rest before a reset or an emulator exit.
 */
#ifndef APP_LOG_H
#define APP_LOG_H

#include <stdint.h>

/* Queue s ("\n" goes out as "\r\n"). */
void app_log_puts(const char *s);
/* Queue v as eight lower-case hex digits. */
void app_log_hex(uint32_t v);
/* Move the next character to USART1 if it can take one now. */
void app_log_pump(void);
/* Send everything queued and wait for the last character's stop bit. */
void app_log_drain(void);

#endif /* APP_LOG_H */
