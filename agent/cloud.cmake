# Cloud side of the update agent: SigV4 signing and the release manifest in
# the portable core (host and Cortex-M4), the libcurl HTTP port (host).

# cJSON: Debian's libcjson-dev on the host; ESP-IDF bundles it as its json
# component. The cross build only compiles the core (it links nothing), so
# it borrows the host's header: cJSON.h needs nothing but <stddef.h>.
find_path(FOTA_CJSON_INCLUDE cJSON.h PATHS /usr/include/cjson
          PATH_SUFFIXES cjson NO_CMAKE_FIND_ROOT_PATH)
if(NOT FOTA_CJSON_INCLUDE)
  message(FATAL_ERROR "cJSON.h not found: install libcjson-dev (make setup)")
endif()

add_library(fota_agent_cloud_core STATIC
  ${CMAKE_CURRENT_LIST_DIR}/core/agent_sigv4.c
  ${CMAKE_CURRENT_LIST_DIR}/core/agent_manifest.c
)
target_include_directories(fota_agent_cloud_core
  PUBLIC ${CMAKE_CURRENT_LIST_DIR}/core
  PRIVATE ${FOTA_CJSON_INCLUDE})
target_link_libraries(fota_agent_cloud_core PUBLIC fota_common)

if(FOTA_HOST)
  find_library(FOTA_CJSON_LIB cjson REQUIRED)
  target_link_libraries(fota_agent_cloud_core PUBLIC ${FOTA_CJSON_LIB})
  # The library must carry the fix for CVE-2023-53154 (a one-byte
  # over-read in cJSON 1.7.15-1.7.17): a probe feeds it the reproducing
  # input in front of a guard page (cmake/cjson-cve-2023-53154.c says
  # why this test and not a version check). Cached once it passed.
  if(NOT FOTA_CJSON_CVE_2023_53154_FIXED)
    try_run(_cjson_run _cjson_compiled ${CMAKE_BINARY_DIR}/cjson-cve-check
      SOURCES ${PROJECT_SOURCE_DIR}/cmake/cjson-cve-2023-53154.c
      CMAKE_FLAGS -DINCLUDE_DIRECTORIES=${FOTA_CJSON_INCLUDE}
      LINK_LIBRARIES ${FOTA_CJSON_LIB}
      COMPILE_OUTPUT_VARIABLE _cjson_cout
      RUN_OUTPUT_VARIABLE _cjson_rout)
    if(NOT _cjson_compiled)
      message(FATAL_ERROR "cJSON CVE-2023-53154 probe did not build:\n${_cjson_cout}")
    endif()
    if(NOT _cjson_run STREQUAL "0")
      message(FATAL_ERROR "${FOTA_CJSON_LIB} has CVE-2023-53154 (one-byte "
        "over-read on a 198-byte input; probe result: ${_cjson_run}). "
        "Install cJSON >= 1.7.18 or Debian's 1.7.15-1+deb12u4 or later.")
    endif()
    string(STRIP "${_cjson_rout}" _cjson_rout)
    message(STATUS "${_cjson_rout}")
    set(FOTA_CJSON_CVE_2023_53154_FIXED ON CACHE INTERNAL
        "the probe of cmake/cjson-cve-2023-53154.c passed")
  endif()

  find_package(CURL REQUIRED)
  add_library(fota_agent_http_curl STATIC
    ${CMAKE_CURRENT_LIST_DIR}/port/linux/agent_http_curl.c)
  target_include_directories(fota_agent_http_curl
    PUBLIC ${CMAKE_CURRENT_LIST_DIR}/port/linux)
  target_link_libraries(fota_agent_http_curl
    PUBLIC fota_agent_cloud_core CURL::libcurl)

  # The tests use fota_add_test(), defined by tests/CMakeLists.txt, which
  # the top level reads after this file: read them once it has (a deferred
  # call may not add a subdirectory, hence include()).
  get_filename_component(_fota_cloud_tests
    ${CMAKE_CURRENT_LIST_DIR}/../tests/unit/cloud/CMakeLists.txt ABSOLUTE)
  cmake_language(DEFER CALL include ${_fota_cloud_tests})
endif()
