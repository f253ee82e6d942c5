/*
 * fota_err.c - names for the shared error codes.
 */
#include "fota/fota_err.h"
#include "fota/fota_image_check.h"
#include "fota/fota_nomalloc.h"

const char *fota_strerror(int err)
{
    if (FOTA_ERR_IS_PLATFORM(err))
        return "platform error";
    if (FOTA_ERR_IS_IMAGE(err)) {
        /* One static string per reason, so callers can keep the pointer. */
        static const char *const img[FOTA_IMG_REASONS] = {
            "image refused",
            "image refused: load address",
            "image refused: body size",
            "image refused: product id",
            "image refused: confirm window",
            "image refused: security counter",
            "image refused: initial stack pointer",
            "image refused: reset vector",
        };
        int r = FOTA_ERR_IMAGE_REASON(err);
        return r > 0 && r < FOTA_IMG_REASONS ? img[r] : "image refused";
    }
    switch (err) {
    case FOTA_OK:
        return "ok";
    case FOTA_ERR_PERM:
        return "refused by policy";
    case FOTA_ERR_NOENT:
        return "not found";
    case FOTA_ERR_IO:
        return "i/o error";
    case FOTA_ERR_NOMEM:
        return "buffer too small";
    case FOTA_ERR_BUSY:
        return "busy";
    case FOTA_ERR_INVAL:
        return "invalid argument";
    case FOTA_ERR_NOSPC:
        return "no space";
    case FOTA_ERR_RANGE:
        return "out of range";
    case FOTA_ERR_PROTO:
        return "protocol error";
    case FOTA_ERR_CORRUPT:
        return "corrupt data";
    case FOTA_ERR_NACK:
        return "target answered NACK";
    case FOTA_ERR_TIMEOUT:
        return "timeout";
    case FOTA_ERR_STALE:
        return "object changed (stale)";
    case FOTA_ERR_AUTH:
        return "authentication failed";
    case FOTA_ERR_ROLLBACK:
        return "security counter below floor";
    case FOTA_ERR_REJECTED:
        return "version previously rejected";
    default:
        return err > 0 ? "success (count)" : "unknown error";
    }
}
