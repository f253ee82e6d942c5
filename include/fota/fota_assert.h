/*
 * fota_assert.h - FOTA_ASSERT / FOTA_UNREACHABLE: firmware bugs, not bad
 * input (docs/developing.md, "Bugs and bad input").
 *
 * Bad input (a frame, an image, a journal record, a manifest) is never
 * asserted: it is refused with a FOTA_ERR_* code naming what was wrong.
 * FOTA_ASSERT(cond) states what the code itself guarantees (an enum the
 * code set, an index it computed); FOTA_UNREACHABLE() marks a switch
 * fallback or a state the code never enters. When one fires, the build's
 * port decides what happens, and it never returns:
 *   - host builds (tools, simulator, tests, fuzzing; boot/port/host): print
 *     "<file>:<line>: firmware bug" on stderr and abort();
 *   - the bootloader (boot/port/stm32f407/main.c): log the same line on the
 *     UART, leave the update-mode request in the no-init window and reset,
 *     so the chip comes back in update mode (no jump after a detected bug,
 *     and a host can still reach it); inside the confirm path the
 *     application calls through the API table, a plain system reset
 *     (that path may touch no RAM of the application's).
 */
#ifndef FOTA_ASSERT_H
#define FOTA_ASSERT_H

/* Reports a firmware bug at file:line; provided by each port. */
__attribute__((noreturn)) void fota_assert_failed(const char *file, int line);

/* The file name without its directory where the compiler knows it (GCC 12,
 * clang 9): the bootloader's flash holds one short string per file. */
#ifdef __FILE_NAME__
#define FOTA_ASSERT_FILE __FILE_NAME__
#else
#define FOTA_ASSERT_FILE __FILE__
#endif

#define FOTA_ASSERT(cond)                                                      \
    ((cond) ? (void)0 : fota_assert_failed(FOTA_ASSERT_FILE, __LINE__))
#define FOTA_UNREACHABLE() fota_assert_failed(FOTA_ASSERT_FILE, __LINE__)

#endif /* FOTA_ASSERT_H */
