/* Shared by fe_check_fw.c (the board) and test_crypto_m4.c (the host). */
#ifndef FE_CHECK_H
#define FE_CHECK_H
#include <stdint.h>
#define FC_ADDR 0x20010000u
#define FC_MAGIC 0xFEC0FFEEu
#define FC_MAX_VALUES 24
#define FC_SHA_LENS 12
#define FC_SHA_BYTES 704 /* the longest hashed length plus the offsets 0-3 */
#define FC_HALT 0x21
#define FC_HALT_BAD 0x22
typedef struct {
    uint32_t magic, n;
    uint32_t val[FC_MAX_VALUES][8]; /* little-endian words */
    uint32_t sha_len[FC_SHA_LENS];
    uint8_t sha_in[FC_SHA_BYTES];    /* hashed at offsets 0-3 */
    uint8_t pack[FC_MAX_VALUES][32]; /* canonical encoding */
    uint8_t res[FC_MAX_VALUES][FC_MAX_VALUES][3][32]; /* a*b, a+b, a-b */
    uint8_t sha[4][FC_SHA_LENS][32]; /* SHA-256 per offset, length */
} fc_area_t;
#endif
