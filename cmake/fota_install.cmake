# fota_install.cmake - `cmake --install <build> [--prefix P]` for the
# integration kit: P/bin/fota (the host tool) and P/share/fota-f407 laid
# out like the kit's part of the source tree (lib/fota_app with its ld
# templates, the shared common/ sources, include/fota, cmake/), so that
#   find_package(fota-f407)   with CMAKE_PREFIX_PATH=P
# finds P/share/fota-f407/cmake/fota-f407-config.cmake (a standard
# find_package location), and a plain Makefile includes
# P/share/fota-f407/cmake/fota-f407.mk. The package's files are listed
# once, in fota-f407-sources.cmake. Host builds only.
include(${PROJECT_SOURCE_DIR}/cmake/fota-f407-sources.cmake)
set(FOTA_KIT_DEST share/fota-f407)

foreach(f ${FOTA_F407_KIT_SOURCES} ${FOTA_F407_KIT_HEADERS} ${FOTA_F407_KIT_LD}
          ${FOTA_F407_KIT_CMAKE})
  get_filename_component(dir ${f} DIRECTORY)
  install(FILES ${PROJECT_SOURCE_DIR}/${f} DESTINATION ${FOTA_KIT_DEST}/${dir})
endforeach()
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/fota
        DESTINATION ${FOTA_KIT_DEST}/include FILES_MATCHING PATTERN "*.h")
install(TARGETS fota RUNTIME DESTINATION bin)
