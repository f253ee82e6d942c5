# Top-level entry points. `make test` is the test command; every target
# installs what it needs first (scripts/setup.sh is quick when all is there).

BUILD      ?= build
CROSS      ?= build-arm
JOBS       ?= $(shell nproc)
CMAKE_HOST  = cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Debug
CMAKE_CROSS = cmake -S . -B $(CROSS) -DCMAKE_BUILD_TYPE=MinSizeRel \
              -DCMAKE_TOOLCHAIN_FILE=cmake/arm-none-eabi.cmake

.PHONY: all setup build cross test powercut clean

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

test: build cross
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The full power-cut sweep (make test runs a bounded subset).
powercut: build
	@$(BUILD)/tests/powercut/powercut_sweep --full

clean:
	rm -rf $(BUILD) $(CROSS)

.PHONY: size
# Bootloader flash/RAM and worst-case stack (cmake/fw_size.py explains the
# stack method); fails if the bootloader outgrows sector 0.
size: cross
	@python3 cmake/fw_size.py size $(CROSS)/boot/fota-boot.elf $(CROSS)

.PHONY: fuzz bench
# Long fuzzing runs (make test runs a bounded number of iterations).
fuzz: setup
	@bash tests/fuzz/run.sh long

# Benchmarks printing figure lines.
bench: build
	@bash tests/bench/run.sh $(BUILD)

.PHONY: demo
# The update demo: S3 API server, simulated target, update and rollback.
demo: build
	@bash scripts/demo.sh
