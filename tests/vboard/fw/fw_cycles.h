/* Result slots of the cycle micro-benchmark firmware (fw_cycles.c), word
 * offsets from FW_MB_RES in the mailbox (fw_mbox.h). */
#ifndef FW_CYCLES_H
#define FW_CYCLES_H
#define FW_CYCLES_HALT 0x42
enum fwc {
    FWC_EMPTY = 0,  /* raw cost of the empty block (not subtracted) */
    FWC_ALU,        /* 32 x ADDS (16-bit) */
    FWC_MUL,        /* 32 x MUL */
    FWC_MLA,        /* 32 x MLA */
    FWC_UMULL,      /* 32 x UMULL */
    FWC_UMAAL,      /* 32 x UMAAL */
    FWC_LDR,        /* 32 x independent LDR (pipelined) */
    FWC_LDR_CHASE,  /* 32 x LDR r4,[r4] (each address from the previous load) */
    FWC_STR,        /* 32 x STR Rt,[Rn,#imm] */
    FWC_LDM,        /* 8 x LDM {r4-r7} */
    FWC_STM,        /* 8 x STM {r4-r7} */
    FWC_PUSHPOP,    /* 8 x (PUSH {r4-r7}; POP {r4-r7}) */
    FWC_BRANCH,     /* 32 x taken B over a NOP */
    FWC_LOOP,       /* MOV #32 then 32 x (SUBS; BNE) */
    FWC_UDIV_BIG,   /* 8 x UDIV 0xFFFFFFFF / 1 */
    FWC_UDIV_SMALL, /* 8 x UDIV 1 / 0xFFFFFFFF */
    FWC_CRC,        /* 32 x STR to CRC_DR back to back */
    FWC_FL_COLD,    /* 64 x ADDS from flash, ART off (ACR LATENCY 5 only) */
    FWC_FL_PRF16,   /* 64 x ADDS from flash, prefetch only */
    FWC_FL_PRF32,   /* 64 x ADDS.W from flash, prefetch only */
    FWC_FL_ART,     /* 64 x ADDS from flash, ART on, second run (cache warm) */
    FWC_FD_OFF,     /* 32 x LDR of a flash table, data cache off */
    FWC_FD_COLD,    /* 32 x LDR of a flash table, data cache on, cold */
    FWC_FD_WARM,    /* the same again, cache warm */
    FWC_SVC,        /* 8 x SVC into a handler that only returns (BX LR) */
    FWC_N
};

#endif
