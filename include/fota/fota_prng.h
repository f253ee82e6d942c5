/*
 * fota_prng.h - the one small deterministic generator of the project:
 * xorshift32 (G. Marsaglia, "Xorshift RNGs", Journal of Statistical
 * Software 8(14), 2003; shifts 13, 17, 5), period 2^32 - 1 over the
 * non-zero states. For reproducible test data, fault patterns, the
 * simulator's junk RAM and the agent's retry jitter. Never for secrets.
 */
#ifndef FOTA_PRNG_H
#define FOTA_PRNG_H

#include <stddef.h>
#include <stdint.h>

/* A usable state from any seed: 0 is the generator's fixed point. */
static inline uint32_t fota_prng_seed(uint32_t seed)
{
    return seed != 0 ? seed : 1u;
}

/* The next word; *state must not be 0 (fota_prng_seed). */
static inline uint32_t fota_prng_next(uint32_t *state)
{
    uint32_t x = *state;

    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *state = x;
    return x;
}

/* n bytes, each the low byte of the next word. */
static inline void fota_prng_fill(uint32_t *state, uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)fota_prng_next(state);
}

#endif /* FOTA_PRNG_H */
