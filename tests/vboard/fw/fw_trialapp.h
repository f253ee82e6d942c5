/* The slot-A test application of test_vboard_trial (fw_trialapp.c): its
 * parameter block, patched into the binary by the test before packing, and
 * its report words at the start of CCM, read by the test. */
#ifndef FW_TRIALAPP_H
#define FW_TRIALAPP_H

#define TA_PARAM_MAGIC 0x50415254u /* "TRAP" */
/* Parameter words (after the magic). */
#define TA_P_CONFIRM_MS                                                        \
    1 /* call the bootloader's confirm after this long; 0: never */
#define TA_P_FILL_RAM                                                          \
    2                    /* 1: fill SRAM 0x20000000..0x2001FFEF with a pattern
                           * before the confirm and check it after */
#define TA_P_FEED_IWDG 3 /* 1: feed the IWDG in the main loop */
#define TA_P_WORDS 4

#define TA_REPORT_ADDR 0x10000000u
#define TA_REPORT_MAGIC 0xA11CE5EDu
/* Report words. */
#define TA_R_MAGIC 0      /* TA_REPORT_MAGIC once the application ran */
#define TA_R_STARTS 1     /* starts since the report was last valid */
#define TA_R_CONFIRM_RC 2 /* confirm's return value (0xFFFFFFFF: not called) */
#define TA_R_CONFIRM_MS 3 /* ms after start when confirm returned */
#define TA_R_RAM_BAD 4    /* SRAM words that changed across the confirm */
#define TA_R_RAM_FIRST 5  /* address of the first changed word */
#define TA_R_ALIVE_MS 6   /* ms since start, updated by the main loop */
#define TA_R_WORDS 8

/* The SRAM pattern: a function of the address, never the erased or zero
 * value. */
#define TA_PATTERN(addr) (((addr)*2654435761u) ^ 0x5A5A0F0Fu)

#endif
