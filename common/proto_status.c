/*
 * proto_status.c - the FOTA_OP_STATUS block codec (layout in fota_proto.h).
 * Field by field with the little-endian helpers: the block crosses the wire
 * between two different CPUs, so no struct is ever cast over it.
 */
#include "fota/fota_err.h"
#include "fota/fota_le.h"
#include "fota/fota_nomalloc.h"
#include "fota/fota_proto.h"

#define STATUS_OFF_SLOT 16
#define STATUS_SLOT_SIZE 16
#define STATUS_OFF_ADDR_A 48
#define STATUS_OFF_ADDR_B 52
#define STATUS_OFF_SLOT_SIZE 56
#define STATUS_OFF_STREAM_ERR 60

_Static_assert(STATUS_OFF_STREAM_ERR + 4 == FOTA_STATUS_SIZE,
               "status block layout must fill exactly 64 bytes");
_Static_assert(STATUS_OFF_SLOT + 2 * STATUS_SLOT_SIZE == STATUS_OFF_ADDR_A,
               "slot records precede the slot addresses");

void fota_status_encode(const fota_status_t *st, uint8_t buf[FOTA_STATUS_SIZE])
{
    memset(buf, 0, FOTA_STATUS_SIZE);
    buf[0] = st->format;
    buf[1] = st->proto_version;
    buf[2] = st->active_slot;
    buf[3] = st->inactive_slot;
    buf[4] = st->journal_area;
    buf[5] = st->attempts_left;
    buf[6] = st->journal_flags;
    fota_put_le32(buf + 8, st->journal_seq);
    fota_put_le32(buf + 12, st->sec_floor);
    for (int s = 0; s < 2; s++) {
        uint8_t *p = buf + STATUS_OFF_SLOT + s * STATUS_SLOT_SIZE;

        p[0] = st->slot[s].state;
        p[1] = st->slot[s].hdr_valid;
        p[2] = st->slot[s].version.major;
        p[3] = st->slot[s].version.minor;
        fota_put_le16(p + 4, st->slot[s].version.patch);
        fota_put_le32(p + 8, st->slot[s].version.build);
        fota_put_le32(p + 12, st->slot[s].image_crc);
    }
    fota_put_le32(buf + STATUS_OFF_ADDR_A, st->slot_addr[0]);
    fota_put_le32(buf + STATUS_OFF_ADDR_B, st->slot_addr[1]);
    fota_put_le32(buf + STATUS_OFF_SLOT_SIZE, st->slot_size);
    fota_put_le32(buf + STATUS_OFF_STREAM_ERR, (uint32_t)st->stream_error);
}

/* A slot number field: 0, 1, or (where allowed) "none". */
static int status_slot_ok(uint8_t v, int allow_none)
{
    return v < 2 || (allow_none && v == FOTA_STATUS_NO_SLOT);
}

int fota_status_decode(fota_status_t *st, const uint8_t *buf, size_t len)
{
    uint32_t err;

    if (buf == NULL || len < FOTA_STATUS_SIZE || buf[0] == 0)
        return FOTA_ERR_PROTO;
    if (!status_slot_ok(buf[2], 1) || !status_slot_ok(buf[3], 0) ||
        buf[4] > 2 || buf[7] != 0)
        return FOTA_ERR_CORRUPT;
    /* Validate everything before filling *st, so a refused block leaves
     * the caller's copy untouched. */
    for (int s = 0; s < 2; s++) {
        const uint8_t *p = buf + STATUS_OFF_SLOT + s * STATUS_SLOT_SIZE;

        if (p[1] > 1 || fota_get_le16(p + 6) != 0)
            return FOTA_ERR_CORRUPT;
    }
    st->format = buf[0];
    st->proto_version = buf[1];
    st->active_slot = buf[2];
    st->inactive_slot = buf[3];
    st->journal_area = buf[4];
    st->attempts_left = buf[5];
    st->journal_flags = buf[6];
    st->journal_seq = fota_get_le32(buf + 8);
    st->sec_floor = fota_get_le32(buf + 12);
    for (int s = 0; s < 2; s++) {
        const uint8_t *p = buf + STATUS_OFF_SLOT + s * STATUS_SLOT_SIZE;

        st->slot[s].state = p[0];
        st->slot[s].hdr_valid = p[1];
        st->slot[s].version.major = p[2];
        st->slot[s].version.minor = p[3];
        st->slot[s].version.patch = fota_get_le16(p + 4);
        st->slot[s].version.build = fota_get_le32(p + 8);
        st->slot[s].image_crc = fota_get_le32(p + 12);
    }
    st->slot_addr[0] = fota_get_le32(buf + STATUS_OFF_ADDR_A);
    st->slot_addr[1] = fota_get_le32(buf + STATUS_OFF_ADDR_B);
    st->slot_size = fota_get_le32(buf + STATUS_OFF_SLOT_SIZE);
    err = fota_get_le32(buf + STATUS_OFF_STREAM_ERR);
    /* Two's complement back to a signed error without an
     * implementation-defined conversion. */
    st->stream_error = err <= 0x7FFFFFFFu ? (int32_t)err : -(int32_t)(~err) - 1;
    return 0;
}
