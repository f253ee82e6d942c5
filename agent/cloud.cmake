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
  ${CMAKE_CURRENT_LIST_DIR}/core/agent_http_parse.c
)
target_include_directories(fota_agent_cloud_core
  PUBLIC ${CMAKE_CURRENT_LIST_DIR}/core
  PRIVATE ${FOTA_CJSON_INCLUDE})
target_link_libraries(fota_agent_cloud_core PUBLIC fota_common)

if(FOTA_HOST)
  find_library(FOTA_CJSON_LIB cjson REQUIRED)
  target_link_libraries(fota_agent_cloud_core PUBLIC ${FOTA_CJSON_LIB})

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
