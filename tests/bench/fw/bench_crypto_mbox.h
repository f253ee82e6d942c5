/* Mailbox of the crypto benchmark firmware (bench_crypto_fw.c) and its host
 * (tests/bench/bench_crypto_m4.c): word offsets from BC_MBOX_ADDR. */
#ifndef BENCH_CRYPTO_MBOX_H
#define BENCH_CRYPTO_MBOX_H
#define BC_MBOX_ADDR 0x2001FC00u
#define BC_CMD 0    /* in: BC_CMD_* */
#define BC_LEN 1    /* in: message length (verify) or bytes hashed (sha256) */
#define BC_RC 2     /* out: fota_ed25519_verify's result */
#define BC_FN 3     /* out: entry of the function about to be measured */
#define BC_GO 12    /* in: BC_GO_MAGIC lets the firmware make the call */
#define BC_CYC 13   /* out: DWT_CYCCNT across the call (the board's clock) */
#define BC_DIGEST 4 /* out: 8 words, the SHA-256 digest */
#define BC_PUB 16   /* in: 8 words */
#define BC_SIG 24   /* in: 16 words */
#define BC_MSG 40   /* in: up to BC_MSG_MAX bytes */
#define BC_MSG_MAX 256
#define BC_SHA_ADDR 0x08000000u /* sha256 hashes flash from here */
#define BC_CMD_VERIFY 1
#define BC_CMD_SHA256 2
#define BC_GO_MAGIC 0x60B0C0DEu
/* BKPT code at the end. */
#define BC_HALT_DONE 0x12
#endif
