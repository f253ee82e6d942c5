/*
 * fota.c - entry point of the `fota` host tool: one binary, one command
 * group per source file (tool_cmd_<group>.c). To add a group, write its
 * entry point, declare it in tool.h and list it here.
 */
#include <string.h>

#include "tool.h"

/* `fota agent` (tools/fota_agent.c, built by agent/update.cmake). */
int tool_cmd_agent(int argc, char **argv);

static const tool_cmd_t s_groups[] = {
    {"image", "pack, inspect and verify firmware images", tool_cmd_image},
    {"release", "publish releases to S3 and show the current one",
     tool_cmd_release},
    {"fleet", "the fleet's reports: status, halt on failures", tool_cmd_fleet},
    {"board", "run the virtual board standalone (flash file, UART, SPI socket)",
     tool_cmd_board},
    {"key", "make image signing keys and show their public half", tool_cmd_key},
    {"flash", "write an image into the target's inactive slot over SPI",
     tool_cmd_flash},
    {"device", "show a device's slots; test, confirm, roll back, reset",
     tool_cmd_device},
    {"agent", "run the update agent against S3 and the (simulated) target",
     tool_cmd_agent},
};

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        printf("fota tool, image header v%d\n", FOTA_IMAGE_HDR_VERSION);
        return TOOL_EXIT_OK;
    }
    return tool_dispatch(
        "fota", "Host tool of the STM32F407 dual-slot firmware update system.",
        s_groups, sizeof s_groups / sizeof s_groups[0], argc, argv);
}
