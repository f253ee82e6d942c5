/*
 * fota_err.h - error codes shared by every part of the system.
 *
 * Success is 0, failures are negative, positive returns are counts.
 * Errors are passed up unchanged; platform codes (errno, esp_err_t, ...)
 * are mapped into a reserved range with FOTA_ERR_PLATFORM() rather than
 * collapsed to -1.
 */
#ifndef FOTA_ERR_H
#define FOTA_ERR_H

enum fota_err {
    FOTA_OK = 0,
    FOTA_ERR_PERM = -1,       /* operation refused by policy */
    FOTA_ERR_NOENT = -2,      /* nothing there (no record, no image) */
    FOTA_ERR_IO = -5,         /* device or transport failed */
    FOTA_ERR_NOMEM = -12,     /* caller's buffer too small */
    FOTA_ERR_BUSY = -16,      /* resource busy, try again */
    FOTA_ERR_INVAL = -22,     /* bad argument (programmer or caller error) */
    FOTA_ERR_NOSPC = -28,     /* area full */
    FOTA_ERR_RANGE = -34,     /* address or size out of range */
    FOTA_ERR_PROTO = -71,     /* protocol violation on the wire */
    FOTA_ERR_CORRUPT = -84,   /* data failed an integrity check */
    FOTA_ERR_NACK = -85,      /* the target answered NACK */
    FOTA_ERR_TIMEOUT = -110,  /* a deadline passed */
    FOTA_ERR_STALE = -116,    /* object changed under us (ETag mismatch) */
    FOTA_ERR_AUTH = -129,     /* signature, key or credential rejected */
    FOTA_ERR_ROLLBACK = -130, /* security counter below the floor */
    FOTA_ERR_REJECTED = -131, /* version previously rejected by a trial boot */
};

/* The bootloader's image check refused the image for reason r (enum
 * fota_image_reason in fota_image_check.h, 1..15): a verdict on the image
 * itself, final for that release. On the wire (commit's result byte) it is
 * 160 + r. */
#define FOTA_ERR_IMAGE_BASE (-160)
#define FOTA_ERR_IMAGE(r) (FOTA_ERR_IMAGE_BASE - (r))
#define FOTA_ERR_IS_IMAGE(rc)                                                  \
    ((rc) < FOTA_ERR_IMAGE_BASE && (rc) >= FOTA_ERR_IMAGE_BASE - 15)
#define FOTA_ERR_IMAGE_REASON(rc) (FOTA_ERR_IMAGE_BASE - (rc))

/* Platform error e (a positive or negative platform code) mapped into a
 * reserved range below -1000 so it can travel through FOTA APIs intact. */
#define FOTA_ERR_PLATFORM_BASE (-1000)
#define FOTA_ERR_PLATFORM(e) (FOTA_ERR_PLATFORM_BASE - ((e) < 0 ? -(e) : (e)))
#define FOTA_ERR_IS_PLATFORM(rc) ((rc) <= FOTA_ERR_PLATFORM_BASE)

/* Short, static, human-readable name of an error code ("timeout", ...). */
const char *fota_strerror(int err);

#endif /* FOTA_ERR_H */
