/*
 * host_ack.h - what the test host models (proto_host.c on the engine,
 * vb_host.c on the board) make of the slave's answer to a frame: ACK is
 * success, NACK is FOTA_ERR_NACK, anything else (nothing within the
 * deadline) FOTA_ERR_TIMEOUT.
 */
#ifndef HOST_ACK_H
#define HOST_ACK_H

#include "fota/fota_err.h"
#include "fota/fota_proto.h"

static inline int host_ack_rc(int a)
{
    if (a == FOTA_PROTO_ACK)
        return 0;
    return a == FOTA_PROTO_NACK ? FOTA_ERR_NACK : FOTA_ERR_TIMEOUT;
}

/* Return from the calling function unless x is an ACK. */
#define HOST_TRY(x)                                                            \
    do {                                                                       \
        int rc_ = host_ack_rc(x);                                              \
        if (rc_)                                                               \
            return rc_;                                                        \
    } while (0)

#endif /* HOST_ACK_H */
