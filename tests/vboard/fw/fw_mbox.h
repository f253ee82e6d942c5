/* Mailbox shared by the virtual-board test firmware and the host tests: a
 * no-init SRAM area the host fills after reset (command, parameter) and the
 * firmware fills with results. Word offsets from FW_MBOX_ADDR. */
#ifndef FW_MBOX_H
#define FW_MBOX_H
#define FW_MBOX_ADDR 0x2001FC00u
#define FW_MB_CMD 0
#define FW_MB_MAGIC 1 /* FW_MAGIC once main() ran since the last power-on */
#define FW_MB_BOOTS 2 /* incremented by every boot of some commands */
#define FW_MB_PARAM 3
#define FW_MB_RES 4 /* results from here on */
#define FW_MAGIC 0x5EB0A4D5u

enum fw_cmd {
    FW_CMD_CLOCK = 1,
    FW_CMD_FLASH_PROG = 2,
    FW_CMD_FLASH_ERASE = 3,
    FW_CMD_FLASH_KEY = 4,
    FW_CMD_SPI_ECHO = 5,
    FW_CMD_UART_ECHO = 6,
    FW_CMD_IWDG = 7,
    FW_CMD_SYSRESET = 8,
    FW_CMD_COUNT = 9,
    FW_CMD_FLASH_LOOP = 10,
    FW_CMD_WFI = 11,
    FW_CMD_IWDG_ERASE = 12,
};
#endif
