/* Mailbox of the DMA test firmware (fw_dma.c): a register server. The host
 * puts an address (and a value) in the mailbox and an operation in
 * FW_DMA_OP; the firmware performs it with a real load or store, leaves
 * the result and clears FW_DMA_OP. Word offsets from FW_MBOX_ADDR. */
#ifndef FW_DMA_H
#define FW_DMA_H
#define FW_DMA_OP 0
#define FW_DMA_READY 1 /* FW_DMA_MAGIC once the firmware set up SPI1 */
#define FW_DMA_ADDR 2
#define FW_DMA_VAL 3
#define FW_DMA_RES 4  /* result of FW_DMA_OP_READ */
#define FW_DMA_DONE 5 /* operations performed */
#define FW_DMA_MAGIC 0xD3A2F00Du

enum fw_dma_op {
    FW_DMA_OP_NONE = 0,
    FW_DMA_OP_READ = 1,  /* RES = *(uint32_t *)ADDR */
    FW_DMA_OP_WRITE = 2, /* *(uint32_t *)ADDR = VAL */
    FW_DMA_OP_HALT = 3,  /* BKPT #3 */
};
#endif
