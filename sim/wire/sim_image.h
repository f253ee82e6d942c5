/*
 * sim_image.h - build test images (512-byte header + body) in memory, as
 * the packing tool would: a valid vector table, seeded body bytes and the
 * header's SHA-256. For the wire tests, the benchmark and the simulator.
 */
#ifndef SIM_IMAGE_H
#define SIM_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "fota/fota_image.h"
#include "sim_flash.h"

/* Build an image of FOTA_IMAGE_HDR_SIZE + body_size bytes (body_size a
 * multiple of 4, >= 8) linked for slot, version major.minor.0 build 0,
 * security counter sec, body bytes from seed, into buf (cap bytes).
 * Returns the image length, or FOTA_ERR_NOMEM / FOTA_ERR_INVAL. */
int sim_image_build(uint8_t *buf, size_t cap, int slot, uint8_t major,
                    uint8_t minor, uint32_t sec, uint32_t body_size,
                    uint32_t seed);

/* Program len bytes of img into slot's sectors (erased first) directly in
 * the model, as a factory programmer would. Returns 0 or FOTA_ERR_*. */
int sim_image_install(sim_flash_t *f, int slot, const uint8_t *img, size_t len);

#endif /* SIM_IMAGE_H */
