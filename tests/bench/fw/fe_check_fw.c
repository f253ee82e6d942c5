/*
 * Field-arithmetic check firmware: common/ed25519.c included whole, so its
 * static field functions run on the board exactly as the bootloader's
 * Thumb-2 build has them. The host writes values into FC_ADDR, the
 * firmware writes the canonical encodings of a*b, a+b and a-b for every
 * pair and of every value alone, and the SHA-256 (the Thumb-2 block
 * function) of the given lengths of a buffer at offsets 0-3, then stops
 * with BKPT FC_HALT.
 */
#include "../../../common/ed25519.c"

#include "fe_check.h"

extern uint32_t _sdata, _edata, _ldata, _sbss, _ebss, _estack;
void bench_reset(void);
int main(void);

__attribute__((section(".isr"), used)) static const void *const s_vectors[2] = {
    &_estack, (const void *)bench_reset};

__attribute__((section(".reset"))) void bench_reset(void)
{
    uint32_t *s = &_ldata, *d = &_sdata;

    while (d < &_edata)
        *d++ = *s++;
    for (d = &_sbss; d < &_ebss; d++)
        *d = 0;
    main();
    for (;;) {
    }
}

static void load(fe_t *r, const volatile uint32_t *w)
{
    for (int i = 0; i < 8; i++)
        r->v[i] = w[i];
}

int main(void)
{
    volatile fc_area_t *area = (volatile fc_area_t *)FC_ADDR;
    uint32_t n = area->n;

    if (area->magic != FC_MAGIC || n > FC_MAX_VALUES) {
        __asm volatile("bkpt %0" : : "i"(FC_HALT_BAD));
    }
    for (uint32_t i = 0; i < n; i++) {
        fe_t a;
        uint8_t enc[32];

        load(&a, area->val[i]);
        fe_pack(enc, &a);
        for (int k = 0; k < 32; k++)
            area->pack[i][k] = enc[k];
        for (uint32_t j = 0; j < n; j++) {
            fe_t b, r;

            load(&b, area->val[j]);
            fe_mul(&r, &a, &b);
            fe_pack(enc, &r);
            for (int k = 0; k < 32; k++)
                area->res[i][j][0][k] = enc[k];
            fe_add(&r, &a, &b);
            fe_pack(enc, &r);
            for (int k = 0; k < 32; k++)
                area->res[i][j][1][k] = enc[k];
            fe_sub(&r, &a, &b);
            fe_pack(enc, &r);
            for (int k = 0; k < 32; k++)
                area->res[i][j][2][k] = enc[k];
        }
    }
    for (int o = 0; o < 4; o++) {
        for (int k = 0; k < FC_SHA_LENS; k++) {
            uint8_t d[FOTA_SHA256_SIZE];

            if (area->sha_len[k] + 3 > FC_SHA_BYTES)
                __asm volatile("bkpt %0" : : "i"(FC_HALT_BAD));
            fota_sha256((const uint8_t *)area->sha_in + o, area->sha_len[k], d);
            for (int i = 0; i < 32; i++)
                area->sha[o][k][i] = d[i];
        }
    }
    __asm volatile("bkpt %0" : : "i"(FC_HALT));
    return 0;
}
