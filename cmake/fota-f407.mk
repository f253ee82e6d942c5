# fota-f407.mk - the integration kit for a plain Makefile (the equivalent
# of fota-f407-config.cmake; docs/application.md):
#
#   FOTA_F407 := /path/to/fota-f407
#   include $(FOTA_F407)/cmake/fota-f407.mk
#   APP_SRCS := main.c system_stm32f4xx.c startup_stm32f407xx.s ...
#   APP_CFLAGS := -Wall -IInc
#   $(eval $(call fota_application,myapp,1.2.3,$(APP_SRCS),$(APP_CFLAGS)))
#
# gives myapp-slot-a.img and myapp-slot-b.img (make myapp-images), each
# linked with the kit's templates and the application library, packed with
# `fota image pack` and verified. Optional before the call:
#   FOTA_TOOL (default: fota on the PATH), FOTA_SEC_COUNTER (1),
#   FOTA_CONFIRM_WINDOW_MS, FOTA_SIGN_KEY, FOTA_PRODUCT, FOTA_OUT (build dir).

FOTA_F407 ?= $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/..)
FOTA_TOOL ?= fota
FOTA_SEC_COUNTER ?= 1
FOTA_OUT ?= build
FOTA_CC ?= arm-none-eabi-gcc
FOTA_OBJCOPY ?= arm-none-eabi-objcopy
FOTA_ARCH ?= -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16
FOTA_LD_DIR := $(FOTA_F407)/lib/fota_app/ld
FOTA_APP_SRCS := $(FOTA_F407)/lib/fota_app/fota_app.c \
  $(FOTA_F407)/common/app_proto.c \
  $(FOTA_F407)/common/journal_rec.c $(FOTA_F407)/common/proto_status.c \
  $(FOTA_F407)/common/crc32.c
FOTA_APP_INCLUDES := -I$(FOTA_F407)/lib/fota_app -I$(FOTA_F407)/include
FOTA_PACK_FLAGS = $(if $(FOTA_CONFIRM_WINDOW_MS),--confirm-window-ms $(FOTA_CONFIRM_WINDOW_MS)) \
  $(if $(FOTA_PRODUCT),--product $(FOTA_PRODUCT))

# fota_application <name>,<version>,<sources>,<cflags>
define fota_application
$(FOTA_OUT)/$(1)-slot-%.elf: $(3) $(FOTA_APP_SRCS) $(FOTA_LD_DIR)/fota_slot_%.ld $(FOTA_LD_DIR)/fota_sections.ld
	@mkdir -p $(FOTA_OUT)
	$(FOTA_CC) $(FOTA_ARCH) -Os -ffunction-sections -fdata-sections $(4) $(FOTA_APP_INCLUDES) \
	  -x assembler-with-cpp $(filter %.s %.S,$(3)) -x none $(filter-out %.s %.S,$(3)) $(FOTA_APP_SRCS) \
	  -nostartfiles --specs=nano.specs --specs=nosys.specs -Wl,--gc-sections \
	  -L$(FOTA_LD_DIR) -T$(FOTA_LD_DIR)/fota_slot_$$*.ld -T$(FOTA_LD_DIR)/fota_sections.ld \
	  -Wl,-Map=$(FOTA_OUT)/$(1)-slot-$$*.map -o $$@
$(FOTA_OUT)/$(1)-slot-%.img: $(FOTA_OUT)/$(1)-slot-%.elf
	$(FOTA_OBJCOPY) -O binary $$< $(FOTA_OUT)/$(1)-slot-$$*.bin
	$(FOTA_TOOL) image pack --slot $$* --version $(2) --sec-counter $(FOTA_SEC_COUNTER) \
	  $(FOTA_PACK_FLAGS) $(FOTA_OUT)/$(1)-slot-$$*.bin -o $$@
	$(if $(FOTA_SIGN_KEY),$(FOTA_TOOL) image sign --key $(FOTA_SIGN_KEY) $$@)
	$(FOTA_TOOL) image verify --slot $$* $$@
.PRECIOUS: $(FOTA_OUT)/$(1)-slot-%.elf
$(1)-images: $(FOTA_OUT)/$(1)-slot-a.img $(FOTA_OUT)/$(1)-slot-b.img
.PHONY: $(1)-images
endef
