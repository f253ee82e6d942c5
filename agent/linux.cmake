# The update agent on Linux hardware (spidev SPI, libgpiod NRST/CS/BOOT0,
# CLOCK_MONOTONIC), the `fota flash` command built on it, and their tests.
# The ESP-IDF component (agent/port/esp-idf) is built by idf.py, not here.
if(FOTA_HOST)
  find_path(FOTA_GPIOD_INCLUDE gpiod.h)
  find_library(FOTA_GPIOD_LIB gpiod)
  if(NOT FOTA_GPIOD_INCLUDE OR NOT FOTA_GPIOD_LIB)
    message(FATAL_ERROR "gpiod.h/libgpiod not found: install libgpiod-dev (make setup)")
  endif()

  add_library(fota_agent_linux STATIC
    ${CMAKE_CURRENT_LIST_DIR}/port/linux/agent_spi_spidev.c
    ${CMAKE_CURRENT_LIST_DIR}/port/linux/agent_gpio_gpiod.c
    ${CMAKE_CURRENT_LIST_DIR}/port/linux/agent_clock_linux.c
    ${CMAKE_CURRENT_LIST_DIR}/port/linux/agent_linux_target.c)
  target_include_directories(fota_agent_linux
    PUBLIC ${CMAKE_CURRENT_LIST_DIR}/port/linux
    PRIVATE ${FOTA_GPIOD_INCLUDE})
  target_link_libraries(fota_agent_linux PUBLIC fota_agent_core ${FOTA_GPIOD_LIB})

  # tools/ and tests/ are read after this file: attach `fota flash` to the
  # tool library and read the tests once they have been (deferred calls
  # run at the end of the top-level directory).
  function(fota_linux_port_late)
    target_sources(fota_tool_lib PRIVATE ${PROJECT_SOURCE_DIR}/tools/tool_cmd_flash.c
      ${PROJECT_SOURCE_DIR}/tools/tool_target.c)
    target_link_libraries(fota_tool_lib PUBLIC fota_agent_linux fota_agent_sim_target)
    include(${PROJECT_SOURCE_DIR}/tests/unit/linuxport/CMakeLists.txt)
  endfunction()
  cmake_language(DEFER CALL fota_linux_port_late)
endif()
