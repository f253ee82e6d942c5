# Top-level entry points. `make test` is the test command; every target
# installs what it needs first (scripts/setup.sh is quick when all is there).

BUILD      ?= build
CROSS      ?= build-arm
JOBS       ?= $(shell nproc)
CMAKE_HOST  = cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Debug
# BOOT_PUBKEY: the Ed25519 public key (64 hex digits, `fota key pub`) the
# bootloader requires images to be signed with; BOOT_PUBKEY= (empty) clears
# it. BOOT_PRODUCT: the product id the bootloader accepts (default
# FOTA_PRODUCT_ID of include/fota/fota_config.h). Both stay in the CMake
# cache until given again.
cross_opt = $(if $(filter undefined,$(origin $(1))),,-D$(2)=$($(1)))
CMAKE_CROSS = cmake -S . -B $(CROSS) -DCMAKE_BUILD_TYPE=MinSizeRel \
              -DCMAKE_TOOLCHAIN_FILE=cmake/arm-none-eabi.cmake \
              $(call cross_opt,BOOT_PUBKEY,FOTA_BOOT_PUBKEY) \
              $(call cross_opt,BOOT_PRODUCT,FOTA_BOOT_PRODUCT)

.PHONY: all setup build cross check test powercut clean

all: build

setup:
	@bash scripts/setup.sh

build: setup
	@$(CMAKE_HOST) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# The portable cores compiled for Cortex-M4, freestanding.
cross: setup
	@$(CMAKE_CROSS) >/dev/null
	@cmake --build $(CROSS) -j $(JOBS)
	@echo "cross: portable cores build for arm-none-eabi"

# The fast tier: unit and protocol tests that need neither the virtual
# board nor an outside program (under 2 minutes on two cores).
CHECK_EXCLUDE = test_board_client|proto_stm32flash
check: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -L 'unit|protocol' \
	  -E '$(CHECK_EXCLUDE)'

# Everything; ends with the five slowest tests beside their time limits.
test: build cross
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS) \
	  --output-junit $(CURDIR)/$(BUILD)/ctest-junit.xml; rc=$$?; \
	  bash $(CURDIR)/scripts/ctest-slowest.sh $(CURDIR)/$(BUILD) $(CURDIR)/$(BUILD)/ctest-junit.xml; \
	  exit $$rc

# The full power-cut sweep (make test runs a bounded subset).
powercut: build
	@$(BUILD)/tests/powercut/powercut_sweep --full
	@$(MAKE) --no-print-directory cross
	@cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release -DFOTA_SANITIZE=OFF >/dev/null
	@cmake --build build-rel --target powercut_vboard -j $(JOBS) >/dev/null
	@build-rel/tests/powercut/powercut_vboard --full $(CROSS)

clean:
	rm -rf $(BUILD) $(CROSS)

.PHONY: size
# Bootloader flash/RAM and worst-case stack (cmake/fw_size.py explains the
# stack method); fails if the bootloader outgrows sectors 0-1.
size: cross
	@python3 cmake/fw_size.py size $(CROSS)/boot/fota-boot.elf $(CROSS)

.PHONY: lint
# The static gate (.ci/run runs it before the tests): clang-format,
# cppcheck and clang-tidy on the portable cores, the include rules.
lint: build
	@bash scripts/lint.sh $(BUILD)

.PHONY: fuzz bench
# Long fuzzing runs (make test runs a bounded number of iterations).
fuzz: setup
	@bash tests/fuzz/run.sh long

# Benchmarks printing figure lines.
bench: build
	@$(MAKE) --no-print-directory cross >/dev/null
	@CROSS=$(CROSS) bash tests/bench/run.sh $(BUILD)

.PHONY: bench-rgw
# Load test of a real S3: N simulated devices (the agent core) polling a
# local Ceph RGW through a phased, halted rollout (tests/bench/fleet_rgw.sh;
# FLEET_RGW_DEVICES, FLEET_RGW_DURATION_S, FLEET_RGW_POLL_MS).
bench-rgw: build
	@bash tests/bench/fleet_rgw.sh $(BUILD)

.PHONY: demo
# The update demo: S3 API server, the real firmware on fota board, update and rollback.
# The host build runs quietly first (its log is kept; shown on failure),
# so the demo's own story is what the terminal shows.
demo: setup
	@echo "demo: building the host tools (log: $(BUILD)/demo-build.log)"
	@mkdir -p $(BUILD)
	@{ $(CMAKE_HOST) && cmake --build $(BUILD) -j $(JOBS); } >$(BUILD)/demo-build.log 2>&1 || \
	  { tail -n 40 $(BUILD)/demo-build.log; echo "demo: build failed"; exit 1; }
	@bash scripts/demo.sh

.PHONY: flash-bootloader flash-app
# Put the bootloader / a first image on a Discovery board through its
# ST-LINK (docs/hardware.md). Uses st-flash (Debian: stlink-tools) after
# checking `st-info --probe`, or OpenOCD when st-flash is not installed.
APP_VERSION ?= 1.0.0
APP_SEC     ?= 1
APP_SLOT    ?= a
APP_ADDR     = $(if $(filter b B,$(APP_SLOT)),0x08080000,0x08020000)
define fota_probe_write
	@if command -v st-flash >/dev/null 2>&1; then \
	  n=$$(st-info --probe 2>/dev/null | sed -n 's/^Found \([0-9][0-9]*\) stlink.*/\1/p'); \
	  if [ "$${n:-0}" = "0" ]; then \
	    echo "flash: no ST-LINK probe attached (st-info --probe found none)."; \
	    echo "flash: connect the Discovery board's ST-LINK USB (CN1) and retry."; exit 1; fi; \
	  echo "flash: writing $(1) at $(2) with st-flash"; \
	  st-flash --reset write $(1) $(2); \
	elif command -v openocd >/dev/null 2>&1; then \
	  echo "flash: writing $(1) at $(2) with openocd"; \
	  openocd -f interface/stlink.cfg -f target/stm32f4x.cfg \
	    -c "program $(1) $(2) verify reset exit" || { \
	    echo "flash: openocd failed: is an ST-LINK probe attached (CN1 USB)?"; exit 1; }; \
	else \
	  echo "flash: neither st-flash nor openocd is installed:"; \
	  echo "flash:   sudo apt install stlink-tools   (or: openocd)"; exit 1; \
	fi
endef

flash-bootloader: cross
	$(call fota_probe_write,$(CROSS)/boot/fota-boot.bin,0x08000000)

flash-app: cross build
	@$(BUILD)/tools/fota image pack --slot $(APP_SLOT) --version $(APP_VERSION) \
	  --sec-counter $(APP_SEC) $(CROSS)/app/fota-app-slot-$(APP_SLOT).bin \
	  -o $(CROSS)/app/slot-$(APP_SLOT).img
	@$(if $(SIGN_KEY),$(BUILD)/tools/fota image sign --key $(SIGN_KEY) \
	  $(CROSS)/app/slot-$(APP_SLOT).img,true)
	$(call fota_probe_write,$(CROSS)/app/slot-$(APP_SLOT).img,$(APP_ADDR))

# Type-check the ESP-IDF component, the example, the assembled component
# and the Arduino library against ESP-IDF trees' headers with the host gcc
# (no Xtensa toolchain needed); several trees separated by ':':
#   make esp-idf-check IDF_PATH=~/esp/v5.0.9:~/esp/v5.5.5:~/esp/v6.0.2
.PHONY: esp-idf-check esp-idf-component arduino-check arduino-library
ESP_OUT       ?= build-esp
ESP_COMPONENT  = $(ESP_OUT)/component/fota_agent
ARDUINO_LIB    = $(ESP_OUT)/arduino/FotaAgent
esp-idf-component:
	@bash packaging/esp-idf-component.sh $(ESP_COMPONENT)

arduino-library:
	@bash packaging/arduino-library.sh $(ARDUINO_LIB)

esp-idf-check: esp-idf-component arduino-library
	@bash scripts/esp-idf-check.sh --component $(ESP_COMPONENT) \
	  --arduino $(ARDUINO_LIB) "$(IDF_PATH)"

# The Arduino library's C sources against ESP-IDF's headers, and its
# sketch against arduino-esp32's (ARDUINO_ESP32_PATH: an arduino-esp32 3.x
# tree; without it only the C part is checked).
arduino-check: arduino-library
	@bash scripts/esp-idf-check.sh --arduino $(ARDUINO_LIB) \
	  $(if $(ARDUINO_ESP32_PATH),--arduino-core $(ARDUINO_ESP32_PATH)) "$(IDF_PATH)"

# The Debian package fota-agent (packaging/deb.sh): an optimised build of
# the tool without sanitizers, the systemd unit and /etc/fota-agent.conf.
.PHONY: deb
DEB_BUILD ?= build-deb
deb: setup
	@cmake -S . -B $(DEB_BUILD) -DCMAKE_BUILD_TYPE=Release -DFOTA_SANITIZE=OFF >/dev/null
	@cmake --build $(DEB_BUILD) --target fota -j $(JOBS) >/dev/null
	@bash packaging/deb.sh $(DEB_BUILD)/tools/fota $(DEB_BUILD)
