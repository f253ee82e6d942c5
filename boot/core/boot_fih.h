/*
 * boot_fih.h - fault-injection hardening for the decisions before the jump
 * (docs/security.md, docs/developing.md).
 *
 * A voltage or clock glitch can skip one instruction or corrupt one
 * register. A verdict held in an int and tested once by "cbz" falls to a
 * single skipped branch, and a redundant second test of the same int is
 * legally removed by the optimiser (it knows the value has not changed).
 * So a security verdict here is:
 *   - a tagged word: FIH_SUCCESS, or anything else for failure (FIH_FAILURE,
 *     its complement, where a check has no result code); FIH_SUCCESS is
 *     neither 0 nor all ones, so a cleared or stuck register is never
 *     success;
 *   - kept in a volatile object, so each test is a fresh load from memory
 *     that the compiler must emit (C11 5.1.2.3: accesses to volatile
 *     objects are side effects, evaluated strictly by the abstract machine);
 *   - tested twice by FIH_FAILED: two loads, two compares, two branches.
 *     One skipped instruction cannot pass both.
 * tests/vboard/check_fih.py disassembles the built bootloader and fails if
 * any of these double tests is missing from the boot gate.
 */
#ifndef BOOT_FIH_H
#define BOOT_FIH_H

#include <stdbool.h>
#include <stdint.h>

typedef uint32_t fih_int;

#define FIH_SUCCESS ((fih_int)0x6C9A35E3u)
#define FIH_FAILURE ((fih_int)0x9365CA1Cu) /* ~FIH_SUCCESS */

/* The tagged verdict of a FOTA_ERR_* style result: FIH_SUCCESS for 0,
 * another word for any other value. Branch-free, so there is no branch to
 * skip on the way from the result to the verdict. */
static inline fih_int fih_rc(int rc)
{
    return FIH_SUCCESS ^ (uint32_t)rc;
}

/* The tagged verdict of a boolean check. */
static inline fih_int fih_bool(bool ok)
{
    return ok ? FIH_SUCCESS : FIH_FAILURE;
}

/* True unless the verdict v (an fih_int lvalue) reads as FIH_SUCCESS
 * twice. A macro, not a function: at -Os a shared function would be
 * called once and its one result tested by one branch. Both reads go
 * through a volatile lvalue, so both compares and both branches stay. */
#define FIH_VREAD(v) (*(const volatile fih_int *)&(v))
#define FIH_FAILED(v)                                                          \
    (FIH_VREAD(v) != FIH_SUCCESS || FIH_VREAD(v) != FIH_SUCCESS)

#endif /* BOOT_FIH_H */
