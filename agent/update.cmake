# Update agent flow (agent_update), its Linux storage port, the persistent
# simulated target, the `fota agent` bundle, and their tests.

add_library(fota_agent_update STATIC ${CMAKE_CURRENT_LIST_DIR}/core/agent_update.c)
target_include_directories(fota_agent_update PUBLIC ${CMAKE_CURRENT_LIST_DIR}/core)
target_link_libraries(fota_agent_update PUBLIC fota_agent_core fota_agent_cloud_core fota_common)

if(FOTA_HOST)
  add_library(fota_agent_storage_file STATIC
    ${CMAKE_CURRENT_LIST_DIR}/port/linux/agent_storage_file.c)
  target_include_directories(fota_agent_storage_file
    PUBLIC ${CMAKE_CURRENT_LIST_DIR}/port/linux ${CMAKE_CURRENT_LIST_DIR}/core)
  target_link_libraries(fota_agent_storage_file PUBLIC fota_common)

  # fota_sim_wire is defined in sim/, read after this file: CMake resolves
  # the name when it generates.
  # With it, the client of a running `fota board` (agent_board_client):
  # the other target `fota agent` and `fota flash` can take (board:PATH).
  add_library(fota_agent_sim_target STATIC
    ${CMAKE_CURRENT_LIST_DIR}/port/sim/agent_sim_target.c
    ${CMAKE_CURRENT_LIST_DIR}/port/sim/agent_board_client.c)
  target_include_directories(fota_agent_sim_target
    PUBLIC ${CMAKE_CURRENT_LIST_DIR}/port/sim)
  target_link_libraries(fota_agent_sim_target PUBLIC fota_sim_wire)

  # Everything `fota agent` (tools/fota_agent.c) needs.
  add_library(fota_agent_update_host INTERFACE)
  target_link_libraries(fota_agent_update_host INTERFACE
    fota_agent_update fota_agent_storage_file fota_agent_sim_target
    fota_agent_http_curl)

  # Tests use fota_add_test() from tests/CMakeLists.txt, read later.
  get_filename_component(_fota_update_tests
    ${CMAKE_CURRENT_LIST_DIR}/../tests/unit/update/CMakeLists.txt ABSOLUTE)
  if(EXISTS ${_fota_update_tests})
    cmake_language(DEFER CALL include ${_fota_update_tests})
  endif()
  get_filename_component(_fota_board_tests
    ${CMAKE_CURRENT_LIST_DIR}/../tests/unit/boardclient/CMakeLists.txt ABSOLUTE)
  if(EXISTS ${_fota_board_tests})
    cmake_language(DEFER CALL include ${_fota_board_tests})
  endif()
endif()

# `fota agent`: tools/ is read after this file, so attach the command to
# the tool once it exists (deferred to the end of the top level).
if(FOTA_HOST)
  function(fota_update_tool_late)
    target_sources(fota PRIVATE ${PROJECT_SOURCE_DIR}/tools/fota_agent.c)
    target_link_libraries(fota PRIVATE fota_agent_update_host)
  endfunction()
  cmake_language(DEFER CALL fota_update_tool_late)
endif()
