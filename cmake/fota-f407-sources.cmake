# fota-f407-sources.cmake - the files of the integration kit, relative to
# the kit's root (the source tree, or <prefix>/share/fota-f407 once
# installed). Read by fota-f407-config.cmake (what the application library
# compiles) and by fota_install.cmake (what `cmake --install` copies).
# cmake/fota-f407.mk lists the same library sources for plain Makefiles.

# The application library: its own sources plus the journal record, status
# block and CRC code it shares with the bootloader.
set(FOTA_F407_KIT_SOURCES
  lib/fota_app/fota_app.c
  common/app_proto.c
  common/journal_rec.c
  common/proto_status.c
  common/crc32.c)
set(FOTA_F407_KIT_HEADERS lib/fota_app/fota_app.h)
# GNU ld templates for both slots (docs/application.md).
set(FOTA_F407_KIT_LD
  lib/fota_app/ld/fota_slot_a.ld
  lib/fota_app/ld/fota_slot_b.ld
  lib/fota_app/ld/fota_sections.ld)
# The package files themselves.
set(FOTA_F407_KIT_CMAKE
  cmake/fota-f407-config.cmake
  cmake/fota-f407-sources.cmake
  cmake/fota-f407.mk)
