/*
 * test_crypto_m4 - the Cortex-M4 build of the Ed25519 field arithmetic
 * (Thumb-2 multiplication, addition, subtraction; common/ed25519.c) run on
 * the virtual board against the portable C build of the same file on the
 * host, over the values where carries and folds happen: 0, 1, 19, 37, 38,
 * p - 1, p, p + 1, 2^255 - 1, 2^255, 2^255 + 18, 2^256 - 39, 2^256 - 38,
 * 2^256 - 1, single high words, and pseudo-random values. Every product,
 * sum and difference of every pair, and every value's canonical encoding,
 * must be the same on both. Also the Thumb-2 SHA-256 block function:
 * digests of lengths across the padding and block boundaries, at byte
 * offsets 0-3 (unaligned loads), against the host's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../common/ed25519.c"
#include "fota/fota_prng.h"
#include "fota/fota_sha256.h"

#include "fe_check.h"
#include "vboard.h"

static void set_words(uint32_t w[8], uint32_t fill, uint32_t w0, uint32_t w7)
{
    for (int i = 0; i < 8; i++)
        w[i] = fill;
    w[0] = w0;
    w[7] = w7;
}

static uint32_t fc_values(uint32_t val[FC_MAX_VALUES][8])
{
    uint32_t n = 0, x = 0x9E3779B9u;

    set_words(val[n++], 0, 0, 0); /* 0 */
    set_words(val[n++], 0, 1, 0); /* 1 */
    set_words(val[n++], 0, 19, 0);
    set_words(val[n++], 0, 37, 0);
    set_words(val[n++], 0, 38, 0);
    set_words(val[n++], 0xffffffffu, 0xffffffecu, 0x7fffffffu); /* p - 1 */
    set_words(val[n++], 0xffffffffu, 0xffffffedu, 0x7fffffffu); /* p */
    set_words(val[n++], 0xffffffffu, 0xffffffeeu, 0x7fffffffu); /* p + 1 */
    set_words(val[n++], 0xffffffffu, 0xffffffffu, 0x7fffffffu); /* 2^255 - 1 */
    set_words(val[n++], 0, 0, 0x80000000u);                     /* 2^255 */
    set_words(val[n++], 0, 18, 0x80000000u);                    /* 2^255 + 18 */
    set_words(val[n++], 0xffffffffu, 0xffffffd9u, 0xffffffffu); /* 2^256 - 39 */
    set_words(val[n++], 0xffffffffu, 0xffffffdau, 0xffffffffu); /* 2^256 - 38 */
    set_words(val[n++], 0xffffffffu, 0xffffffffu, 0xffffffffu); /* 2^256 - 1 */
    set_words(val[n++], 0, 0, 0xffffffffu);
    set_words(val[n++], 0xffffffffu, 0, 0);
    while (n < FC_MAX_VALUES) {
        for (int i = 0; i < 8; i++)
            val[n][i] = fota_prng_next(&x);
        n++;
    }
    return n;
}

static void test_field_on_board(void **state)
{
    static fc_area_t in, out;
    vboard_t *b = vboard_create(NULL);
    vboard_until_t u = {.max_insns = 50000000u};
    int rc;

    (void)state;
    assert_non_null(b);
    assert_int_equal(vboard_load_elf(b, FE_CHECK_FW_ELF), 0);
    vboard_reset(b, VBOARD_RESET_POWER);
    memset(&in, 0, sizeof in);
    in.magic = FC_MAGIC;
    in.n = fc_values(in.val);
    {
        static const uint32_t lens[FC_SHA_LENS] = {0,  1,   55,  56,  63,  64,
                                                   65, 119, 120, 128, 200, 700};

        memcpy(in.sha_len, lens, sizeof lens);
        for (size_t i = 0; i < sizeof in.sha_in; i++)
            in.sha_in[i] = (uint8_t)(i * 131u + 7u);
    }
    assert_int_equal(
        vboard_write_mem(b, FC_ADDR, &in, offsetof(fc_area_t, pack)), 0);
    rc = vboard_run(b, &u);
    if (rc != VBOARD_STOP_HALT)
        fail_msg("the firmware stopped (%d): %s", rc,
                 vboard_fault(b) ? vboard_fault(b) : "");
    assert_int_equal(vboard_halt_code(b), FC_HALT);
    assert_int_equal(vboard_read_mem(b, FC_ADDR, &out, sizeof out), 0);
    for (uint32_t i = 0; i < in.n; i++) {
        fe_t a;
        uint8_t want[32];

        memcpy(a.v, in.val[i], sizeof a.v);
        fe_pack(want, &a);
        if (memcmp(want, out.pack[i], 32) != 0)
            fail_msg("fe_pack of value %u differs on the board", (unsigned)i);
        for (uint32_t j = 0; j < in.n; j++) {
            fe_t x, r;

            memcpy(x.v, in.val[j], sizeof x.v);
            fe_mul(&r, &a, &x);
            fe_pack(want, &r);
            if (memcmp(want, out.res[i][j][0], 32) != 0)
                fail_msg("fe_mul of values %u, %u differs on the board",
                         (unsigned)i, (unsigned)j);
            fe_add(&r, &a, &x);
            fe_pack(want, &r);
            if (memcmp(want, out.res[i][j][1], 32) != 0)
                fail_msg("fe_add of values %u, %u differs on the board",
                         (unsigned)i, (unsigned)j);
            fe_sub(&r, &a, &x);
            fe_pack(want, &r);
            if (memcmp(want, out.res[i][j][2], 32) != 0)
                fail_msg("fe_sub of values %u, %u differs on the board",
                         (unsigned)i, (unsigned)j);
        }
    }
    for (int o = 0; o < 4; o++) {
        for (int k = 0; k < FC_SHA_LENS; k++) {
            uint8_t want[FOTA_SHA256_SIZE];

            fota_sha256(in.sha_in + o, in.sha_len[k], want);
            if (memcmp(want, out.sha[o][k], 32) != 0)
                fail_msg(
                    "SHA-256 of %u bytes at offset %d differs on the board",
                    (unsigned)in.sha_len[k], o);
        }
    }
    print_message(
        "%u values, %u products, sums and differences equal on the board\n",
        (unsigned)in.n, (unsigned)(in.n * in.n));
    vboard_destroy(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_field_on_board),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
