# fota_firmware.cmake - helpers for the firmware images (cross builds only):
# linker scripts generated from the layout header with the C preprocessor,
# bare-metal link options, a map file, and the raw .bin next to each ELF.

# Paths are taken from this file's own place, so a project outside the
# repository can include() it too.
get_filename_component(FOTA_FW_ROOT ${CMAKE_CURRENT_LIST_DIR}/.. ABSOLUTE)
set(FOTA_FW_PORT_DIR ${FOTA_FW_ROOT}/boot/port/stm32f407)

# fota_fw_ldscript(<out.ld> <template.ld.in> [DEFINES ...])
# Preprocesses template with -DFOTA_LINKER_SCRIPT and the layout headers on
# the include path, so every address is written once (fota_layout.h).
function(fota_fw_ldscript out template)
  set(defs)
  foreach(d ${ARGN})
    list(APPEND defs -D${d})
  endforeach()
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_C_COMPILER} -E -P -x c -undef -DFOTA_LINKER_SCRIPT ${defs}
            -I${FOTA_FW_ROOT}/include -I${FOTA_FW_PORT_DIR}
            ${template} -o ${out}
    DEPENDS ${template} ${FOTA_FW_ROOT}/include/fota/fota_layout.h
            ${FOTA_FW_PORT_DIR}/fw_layout.h
    COMMENT "Generating ${out}"
    VERBATIM)
endfunction()

# fota_fw_link(<target> <script>): bare-metal link with script, map file and
# a .bin of the loadable sections made after every link.
function(fota_fw_link target script)
  get_filename_component(script_name ${script} NAME)
  add_custom_target(${target}_ld DEPENDS ${script})
  add_dependencies(${target} ${target}_ld)
  set_target_properties(${target} PROPERTIES SUFFIX ".elf"
                        LINK_DEPENDS ${script})
  target_link_options(${target} PRIVATE
    -nostdlib -nostartfiles -Wl,--gc-sections -Wl,--no-warn-rwx-segments
    -Wl,-T,${script} -Wl,-Map=$<TARGET_FILE_DIR:${target}>/${target}.map)
  target_link_libraries(${target} PRIVATE gcc)
  add_custom_command(TARGET ${target} POST_BUILD
    COMMAND ${CMAKE_OBJCOPY} -O binary $<TARGET_FILE:${target}>
            $<TARGET_FILE_DIR:${target}>/${target}.bin
    VERBATIM)
endfunction()
