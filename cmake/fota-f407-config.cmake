# fota-f407-config.cmake - the integration kit for an application built
# outside this repository (docs/application.md):
#
#   list(APPEND CMAKE_PREFIX_PATH /path/to/fota-f407/cmake)   # or -D...
#   find_package(fota-f407 REQUIRED)
#
# or, from an installed prefix P (`cmake --install build --prefix P`, which
# puts this file in P/share/fota-f407/cmake), CMAKE_PREFIX_PATH=P.
#   add_executable(myapp main.c startup_stm32f407xx.s ...)
#   fota_add_application(myapp VERSION 1.2.3 [SEC_COUNTER 1]
#                        [SIGN_KEY key.pem] [CONFIRM_WINDOW_MS 8000]
#                        [PRODUCT id] [LINKER_SCRIPT_DIR dir])
#
# (or include(/path/to/fota-f407/cmake/fota-f407-config.cmake) directly).
# It needs nothing from this repository's build tree: the library sources,
# headers and linker templates are read from the kit's root (the directory
# above this file: the source tree, or P/share/fota-f407), and the host
# tool `fota` is FOTA_TOOL (a cache variable; default: P/bin/fota when this
# file was installed with it, otherwise `fota` on the PATH).
#
# fota_add_application() links <target> for slot A and a copy of it,
# <target>-slot-b, for slot B (same sources, options and libraries), both
# with the kit's linker templates and the application library, and after
# each link makes <target>-slot-a.img / <target>-slot-b.img next to the
# ELF: objcopy to a raw binary, `fota image pack` (and `fota image sign`
# with SIGN_KEY). The target `<target>-images` builds both.

get_filename_component(FOTA_F407_ROOT "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)
set(FOTA_F407_FOUND TRUE)
set(fota-f407_FOUND TRUE)
set(FOTA_F407_LIB_DIR "${FOTA_F407_ROOT}/lib/fota_app")
set(FOTA_F407_LD_DIR "${FOTA_F407_LIB_DIR}/ld")
set(FOTA_F407_INCLUDE_DIRS "${FOTA_F407_LIB_DIR}" "${FOTA_F407_ROOT}/include")
include("${CMAKE_CURRENT_LIST_DIR}/fota-f407-sources.cmake")
set(FOTA_F407_SOURCES)
foreach(f ${FOTA_F407_KIT_SOURCES})
  list(APPEND FOTA_F407_SOURCES "${FOTA_F407_ROOT}/${f}")
endforeach()

# Installed: the tool sits in P/bin next to P/share/fota-f407.
get_filename_component(_fota_f407_bin "${FOTA_F407_ROOT}/../../bin/fota" ABSOLUTE)
if(FOTA_F407_ROOT MATCHES "/share/fota-f407$" AND EXISTS "${_fota_f407_bin}")
  set(FOTA_TOOL "${_fota_f407_bin}" CACHE FILEPATH "The fota host tool (fota image pack/sign)")
else()
  set(FOTA_TOOL "fota" CACHE FILEPATH "The fota host tool (fota image pack/sign)")
endif()

# fota_app: the library as an object library, once per project.
if(NOT TARGET fota_f407_app)
  add_library(fota_f407_app OBJECT ${FOTA_F407_SOURCES})
  target_include_directories(fota_f407_app PUBLIC ${FOTA_F407_INCLUDE_DIRS})
  target_compile_options(fota_f407_app PRIVATE -ffunction-sections -fdata-sections)
endif()

function(fota_add_application target)
  cmake_parse_arguments(FA "" "VERSION;SEC_COUNTER;SIGN_KEY;CONFIRM_WINDOW_MS;PRODUCT;LINKER_SCRIPT_DIR" "" ${ARGN})
  if(NOT FA_VERSION)
    message(FATAL_ERROR "fota_add_application(${target}): VERSION is required")
  endif()
  if(NOT TARGET ${target})
    message(FATAL_ERROR "fota_add_application(${target}): no such target")
  endif()
  if(NOT FA_SEC_COUNTER)
    set(FA_SEC_COUNTER 1)
  endif()
  if(NOT FA_LINKER_SCRIPT_DIR)
    set(FA_LINKER_SCRIPT_DIR "${FOTA_F407_LD_DIR}")
  endif()
  if(FA_CONFIRM_WINDOW_MS AND FA_CONFIRM_WINDOW_MS GREATER 20000)
    message(FATAL_ERROR "fota_add_application(${target}): CONFIRM_WINDOW_MS ${FA_CONFIRM_WINDOW_MS} is above the maximum 20000")
  endif()
  set(pack_extra)
  if(FA_CONFIRM_WINDOW_MS)
    list(APPEND pack_extra --confirm-window-ms ${FA_CONFIRM_WINDOW_MS})
  endif()
  if(FA_PRODUCT)
    list(APPEND pack_extra --product ${FA_PRODUCT})
  endif()

  # The slot-B twin: same sources and usage requirements as the target.
  set(twin ${target}-slot-b)
  get_target_property(srcs ${target} SOURCES)
  get_target_property(srcdir ${target} SOURCE_DIR)
  set(abs_srcs)
  foreach(s ${srcs})
    if(IS_ABSOLUTE "${s}")
      list(APPEND abs_srcs "${s}")
    else()
      list(APPEND abs_srcs "${srcdir}/${s}")
    endif()
  endforeach()
  add_executable(${twin} ${abs_srcs})
  foreach(prop INCLUDE_DIRECTORIES COMPILE_DEFINITIONS COMPILE_OPTIONS LINK_OPTIONS)
    get_target_property(v ${target} ${prop})
    if(v)
      set_property(TARGET ${twin} PROPERTY ${prop} "${v}")
    endif()
  endforeach()
  get_target_property(libs ${target} LINK_LIBRARIES)
  if(libs)
    target_link_libraries(${twin} PRIVATE ${libs})
  endif()

  set(images)
  foreach(slot a b)
    if(slot STREQUAL "a")
      set(t ${target})
    else()
      set(t ${twin})
    endif()
    target_sources(${t} PRIVATE $<TARGET_OBJECTS:fota_f407_app>)
    target_include_directories(${t} PRIVATE ${FOTA_F407_INCLUDE_DIRS})
    set(script "${FA_LINKER_SCRIPT_DIR}/fota_slot_${slot}.ld")
    target_link_options(${t} PRIVATE -L${FOTA_F407_LD_DIR} -L${FA_LINKER_SCRIPT_DIR}
      -T${script} -T${FOTA_F407_LD_DIR}/fota_sections.ld -Wl,--gc-sections
      -Wl,-Map=$<TARGET_FILE_DIR:${t}>/${target}-slot-${slot}.map)
    set_target_properties(${t} PROPERTIES SUFFIX ".elf"
      LINK_DEPENDS "${script};${FOTA_F407_LD_DIR}/fota_sections.ld")
    set(bin $<TARGET_FILE_DIR:${t}>/${target}-slot-${slot}.bin)
    set(img $<TARGET_FILE_DIR:${t}>/${target}-slot-${slot}.img)
    set(sign_cmd)
    if(FA_SIGN_KEY)
      set(sign_cmd COMMAND ${FOTA_TOOL} image sign --key ${FA_SIGN_KEY} ${img})
    endif()
    add_custom_command(TARGET ${t} POST_BUILD
      COMMAND ${CMAKE_OBJCOPY} -O binary $<TARGET_FILE:${t}> ${bin}
      COMMAND ${FOTA_TOOL} image pack --slot ${slot} --version ${FA_VERSION}
              --sec-counter ${FA_SEC_COUNTER} ${pack_extra} ${bin} -o ${img}
      ${sign_cmd}
      COMMAND ${FOTA_TOOL} image verify --slot ${slot} ${img}
      COMMENT "fota: ${target} slot ${slot} image ${FA_VERSION}"
      VERBATIM)
  endforeach()
  add_custom_target(${target}-images ALL DEPENDS ${target} ${twin})
endfunction()
