/*
 * test_vboard_crc.c - the bootloader's flash CRC (boot_flash_crc on the
 * CRC unit: a software-pipelined loop over 4 KiB blocks of 8-word groups
 * plus a word tail) against the host's fota_crc32_st, through Get Checksum
 * on the real bootloader on the virtual board, for lengths and offsets
 * around every boundary of that loop: fewer than eight words, one group,
 * odd and even group counts, the 4 KiB block edges, and starts that are
 * not 16-byte (flash line) aligned. The region read is the bootloader's
 * own code in sectors 0-1, so the words are not uniform.
 *
 * Usage: test_vboard_crc <fota-boot.elf>
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "agent_proto.h"
#include "fota/fota_crc32.h"
#include "fota/fota_layout.h"
#include "sim_flash.h"
#include "vboard.h"
#include "vboard_agent.h"

static const char *s_boot_elf;

static void crc_matches_host_at_every_loop_boundary(void **state)
{
    /* Words: 1..7 (tail only), 8 (one group), 9, 16, 17, 24 (odd/even
     * group counts), the 1024-word block and its neighbours, and lengths
     * spanning two and more blocks. */
    static const uint32_t words[] = {
        1,    2,    7,    8,    9,    15,   16,   17,   24,   31,   32,  33,
        1016, 1023, 1024, 1025, 1032, 2047, 2048, 2049, 3080, 4095, 7000};
    static const uint32_t offsets[] = {0, 4, 8, 12, 16, 20, 508};
    vboard_t *b = vboard_create(NULL);
    vboard_agent_t va;
    agent_proto_t *p = malloc(sizeof *p);
    unsigned checked = 0;

    (void)state;
    assert_non_null(b);
    assert_non_null(p);
    assert_int_equal(vboard_load_elf(b, s_boot_elf), 0);
    vboard_set_nss(b, true);
    vboard_reset(b, VBOARD_RESET_POWER);
    vboard_agent_init(&va, b);
    agent_proto_init(p, &va.spi, &va.gpio, &va.clock, NULL, NULL);
    vboard_run_ns(b, 1000000u);
    assert_int_equal(agent_proto_enter_update(p), 0);

    for (size_t o = 0; o < sizeof offsets / sizeof offsets[0]; o++) {
        for (size_t w = 0; w < sizeof words / sizeof words[0]; w++) {
            uint32_t off = offsets[o], len = words[w] * 4u, crc = 0;
            const uint8_t *mem = vboard_flash(b)->mem;

            assert_true(off + len <= 2u * 16384u);
            assert_int_equal(
                agent_proto_get_checksum(p, FOTA_FLASH_BASE + off, len, &crc),
                0);
            if (crc != fota_crc32_st(mem + off, len))
                fail_msg("offset %u, %u words: board 0x%08x, host 0x%08x",
                         (unsigned)off, (unsigned)words[w], (unsigned)crc,
                         (unsigned)fota_crc32_st(mem + off, len));
            checked++;
        }
    }
    /* The region is not uniform: a CRC that ignored its input would not
     * pass all of the above, but say so explicitly for two ranges. */
    assert_int_not_equal(fota_crc32_st(vboard_flash(b)->mem, 4096),
                         fota_crc32_st(vboard_flash(b)->mem + 4096, 4096));
    assert_int_equal(checked, 7u * 23u);
    assert_null(vboard_fault(b));
    free(p);
    vboard_destroy(b);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(crc_matches_host_at_every_loop_boundary),
    };

    if (argc != 2) {
        fprintf(stderr, "usage: %s <fota-boot.elf>\n", argv[0]);
        return 2;
    }
    s_boot_elf = argv[1];
    return cmocka_run_group_tests(tests, NULL, NULL);
}
