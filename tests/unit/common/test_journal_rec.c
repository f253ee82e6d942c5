/*
 * test_journal_rec.c - the 64-byte journal record: layout, round trip,
 * erased and torn records, out-of-range fields.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fota/fota_crc32.h"
#include "fota/fota_err.h"
#include "fota/fota_journal.h"

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static void sample(fota_journal_rec_t *r)
{
    memset(r, 0, sizeof *r);
    r->seq = 0x01020304u;
    r->active = 1;
    r->attempts_left = 3;
    r->flags = 0x5A;
    r->sec_floor = 0x0A0B0C0Du;
    r->slot[0].state = FOTA_SLOT_CONFIRMED;
    r->slot[0].version = (fota_version_t){1, 2, 0x0304, 0x05060708u};
    r->slot[0].image_crc = 0xCAFEBABEu;
    r->slot[1].state = FOTA_SLOT_PENDING;
    r->slot[1].version = (fota_version_t){9, 8, 0x0706, 0x05040302u};
    r->slot[1].image_crc = 0xDEADBEEFu;
    r->boot_count = 0x00ABCDEFu;
}

/* Re-seal a modified buffer with a correct CRC, so the field checks (not
 * the CRC) are what rejects it. */
static void reseal(uint8_t *b)
{
    wr32(b + FOTA_JOURNAL_OFF_CRC, fota_crc32_st(b, FOTA_JOURNAL_OFF_CRC));
}

static void test_layout(void **state)
{
    fota_journal_rec_t r;
    uint8_t b[FOTA_JOURNAL_REC_SIZE];

    (void)state;
    sample(&r);
    fota_journal_rec_encode(&r, b);
    assert_memory_equal(b, "FOTJ", 4);
    assert_int_equal(rd32(b + 0), FOTA_JOURNAL_MAGIC);
    assert_int_equal(rd32(b + 4), 0x01020304u);
    assert_int_equal(b[4], 0x04);
    assert_int_equal(b[8], FOTA_JOURNAL_FORMAT);
    assert_int_equal(b[9], 1);
    assert_int_equal(b[10], 3);
    assert_int_equal(b[11], 0x5A);
    assert_int_equal(rd32(b + 12), 0x0A0B0C0Du);
    /* Slot A entry */
    assert_int_equal(b[16], FOTA_SLOT_CONFIRMED);
    assert_int_equal(b[17], 0xFF);
    assert_int_equal(b[18], 0xFF);
    assert_int_equal(b[19], 0xFF);
    assert_int_equal(b[20], 1);
    assert_int_equal(b[21], 2);
    assert_int_equal(b[22], 0x04);
    assert_int_equal(b[23], 0x03);
    assert_int_equal(rd32(b + 24), 0x05060708u);
    assert_int_equal(rd32(b + 28), 0xCAFEBABEu);
    /* Slot B entry */
    assert_int_equal(b[32], FOTA_SLOT_PENDING);
    assert_int_equal(b[36], 9);
    assert_int_equal(b[37], 8);
    assert_int_equal(b[38] | (b[39] << 8), 0x0706);
    assert_int_equal(rd32(b + 40), 0x05040302u);
    assert_int_equal(rd32(b + 44), 0xDEADBEEFu);
    assert_int_equal(rd32(b + 48), 0x00ABCDEFu);
    assert_int_equal(rd32(b + 52), 0xFFFFFFFFu);
    assert_int_equal(rd32(b + 56), fota_crc32_st(b, 56));
    assert_int_equal(rd32(b + 60), FOTA_JOURNAL_COMMIT);
}

static void test_round_trip(void **state)
{
    fota_journal_rec_t r, d;
    uint8_t b[FOTA_JOURNAL_REC_SIZE], b2[FOTA_JOURNAL_REC_SIZE];

    (void)state;
    sample(&r);
    fota_journal_rec_encode(&r, b);
    memset(&d, 0xEE, sizeof d);
    assert_int_equal(fota_journal_rec_decode(&d, b), 0);
    assert_int_equal(d.seq, r.seq);
    assert_int_equal(d.active, r.active);
    assert_int_equal(d.attempts_left, r.attempts_left);
    assert_int_equal(d.flags, r.flags);
    assert_int_equal(d.sec_floor, r.sec_floor);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(d.slot[i].state, r.slot[i].state);
        assert_int_equal(
            fota_version_cmp(&d.slot[i].version, &r.slot[i].version), 0);
        assert_int_equal(d.slot[i].image_crc, r.slot[i].image_crc);
    }
    assert_int_equal(d.boot_count, r.boot_count);
    fota_journal_rec_encode(&d, b2);
    assert_memory_equal(b, b2, sizeof b);

    /* Extremes of every state value and of active. */
    for (int a = 0; a <= 1; a++) {
        for (int s = FOTA_SLOT_EMPTY; s <= FOTA_SLOT_REJECTED; s++) {
            r.active = (uint8_t)a;
            r.slot[0].state = (uint8_t)s;
            r.slot[1].state = (uint8_t)(FOTA_SLOT_REJECTED - s);
            fota_journal_rec_encode(&r, b);
            assert_int_equal(fota_journal_rec_decode(&d, b), 0);
            assert_int_equal(d.active, a);
            assert_int_equal(d.slot[0].state, s);
            assert_int_equal(d.slot[1].state, FOTA_SLOT_REJECTED - s);
        }
    }
}

static void test_erased_is_noent(void **state)
{
    fota_journal_rec_t d;
    uint8_t b[FOTA_JOURNAL_REC_SIZE];

    (void)state;
    memset(b, 0xFF, sizeof b);
    assert_int_equal(fota_journal_rec_decode(&d, b), FOTA_ERR_NOENT);
    /* One programmed bit anywhere makes it not erased: corrupt. */
    for (size_t i = 0; i < sizeof b; i++) {
        b[i] = 0xFE;
        assert_int_equal(fota_journal_rec_decode(&d, b), FOTA_ERR_CORRUPT);
        b[i] = 0xFF;
    }
    memset(b, 0, sizeof b);
    assert_int_equal(fota_journal_rec_decode(&d, b), FOTA_ERR_CORRUPT);
}

/* A torn word program leaves a word somewhere between erased and its
 * intended value, and programming can only clear bits. So the damage to
 * model is bits that are 0 where the intended record has 1: clear each set
 * bit of the encoded record in turn (all 512 bit positions are visited) and
 * require rejection, for records with few and with many 1 bits. */
static void test_every_single_bit_clear_detected(void **state)
{
    fota_journal_rec_t r, d;
    uint8_t good[FOTA_JOURNAL_REC_SIZE], b[FOTA_JOURNAL_REC_SIZE];
    int checked = 0;

    (void)state;
    for (int variant = 0; variant < 3; variant++) {
        sample(&r);
        if (variant == 1) {
            r.seq = 0xFFFFFFFFu;
            r.sec_floor = 0xFFFFFFFFu;
            r.boot_count = 0xFFFFFFFFu;
            r.flags = 0xFF;
            r.attempts_left = 0xFF;
            r.slot[0].image_crc = r.slot[1].image_crc = 0xFFFFFFFFu;
        } else if (variant == 2) {
            memset(&r, 0, sizeof r);
        }
        fota_journal_rec_encode(&r, good);
        assert_int_equal(fota_journal_rec_decode(&d, good), 0);
        for (int bit = 0; bit < FOTA_JOURNAL_REC_SIZE * 8; bit++) {
            uint8_t mask = (uint8_t)(1u << (bit % 8));
            if (!(good[bit / 8] & mask))
                continue; /* already 0: clearing changes nothing */
            memcpy(b, good, sizeof b);
            b[bit / 8] &= (uint8_t)~mask;
            assert_int_equal(fota_journal_rec_decode(&d, b), FOTA_ERR_CORRUPT);
            checked++;
        }
    }
    /* The sweep must have exercised a substantial number of bits. */
    assert_true(checked > 3 * 100);
}

/* Any single bit flipped in either direction is also caught (stronger than
 * the flash failure model requires). */
static void test_every_single_bit_flip_detected(void **state)
{
    fota_journal_rec_t r, d;
    uint8_t good[FOTA_JOURNAL_REC_SIZE], b[FOTA_JOURNAL_REC_SIZE];

    (void)state;
    sample(&r);
    fota_journal_rec_encode(&r, good);
    for (int bit = 0; bit < FOTA_JOURNAL_REC_SIZE * 8; bit++) {
        memcpy(b, good, sizeof b);
        b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        assert_int_equal(fota_journal_rec_decode(&d, b), FOTA_ERR_CORRUPT);
    }
}

/* Programming stopped after k words (commit word last): every prefix short
 * of the whole record is rejected. */
static void test_partial_program_rejected(void **state)
{
    fota_journal_rec_t r, d;
    uint8_t good[FOTA_JOURNAL_REC_SIZE], b[FOTA_JOURNAL_REC_SIZE];

    (void)state;
    sample(&r);
    fota_journal_rec_encode(&r, good);
    for (int words = 1; words < FOTA_JOURNAL_REC_SIZE / 4; words++) {
        memset(b, 0xFF, sizeof b);
        memcpy(b, good, (size_t)words * 4);
        assert_int_equal(fota_journal_rec_decode(&d, b), FOTA_ERR_CORRUPT);
    }
    /* Everything but the commit word: not committed. */
    memcpy(b, good, sizeof b);
    wr32(b + FOTA_JOURNAL_OFF_COMMIT, 0xFFFFFFFFu);
    assert_int_equal(fota_journal_rec_decode(&d, b), FOTA_ERR_CORRUPT);
}

static void test_out_of_range_fields(void **state)
{
    fota_journal_rec_t r, d;
    uint8_t good[FOTA_JOURNAL_REC_SIZE], b[FOTA_JOURNAL_REC_SIZE];

    (void)state;
    sample(&r);
    fota_journal_rec_encode(&r, good);

    /* Sanity: resealing an unmodified record keeps it valid. */
    memcpy(b, good, sizeof b);
    reseal(b);
    assert_int_equal(fota_journal_rec_decode(&d, b), 0);

    for (int v = 2; v < 256; v++) {
        memcpy(b, good, sizeof b);
        b[9] = (uint8_t)v; /* active */
        reseal(b);
        assert_int_equal(fota_journal_rec_decode(&d, b), FOTA_ERR_CORRUPT);
    }
    for (int s = 0; s < 2; s++) {
        for (int v = 4; v < 256; v++) {
            memcpy(b, good, sizeof b);
            b[16 + 16 * s] = (uint8_t)v; /* slot state */
            reseal(b);
            assert_int_equal(fota_journal_rec_decode(&d, b), FOTA_ERR_CORRUPT);
        }
    }
    for (int v = 0; v < 256; v++) {
        if (v == FOTA_JOURNAL_FORMAT)
            continue;
        memcpy(b, good, sizeof b);
        b[8] = (uint8_t)v; /* format */
        reseal(b);
        assert_int_equal(fota_journal_rec_decode(&d, b), FOTA_ERR_CORRUPT);
    }
    /* Wrong magic with a good CRC. */
    memcpy(b, good, sizeof b);
    b[3] = 'X';
    reseal(b);
    assert_int_equal(fota_journal_rec_decode(&d, b), FOTA_ERR_CORRUPT);
    /* Commit word of another value. */
    memcpy(b, good, sizeof b);
    wr32(b + FOTA_JOURNAL_OFF_COMMIT, FOTA_JOURNAL_COMMIT & 0xFFFF0FFFu);
    assert_int_equal(fota_journal_rec_decode(&d, b), FOTA_ERR_CORRUPT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_erased_is_noent),
        cmocka_unit_test(test_every_single_bit_clear_detected),
        cmocka_unit_test(test_every_single_bit_flip_detected),
        cmocka_unit_test(test_partial_program_rejected),
        cmocka_unit_test(test_out_of_range_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
