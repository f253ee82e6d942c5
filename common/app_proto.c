/*
 * app_proto.c - the application status exchange: journal scan,
 * status payload and the responder's byte state machine (see
 * fota_app_proto.h). Portable C, no allocation, reads the flash image only
 * through the pointer it is given.
 */
#include "fota/fota_app_proto.h"

#include <string.h>

#include "fota/fota_config.h"
#include "fota/fota_err.h"
#include "fota/fota_layout.h"
#include "fota/fota_le.h"

enum { L_IDLE = 0, L_CMD, L_NCMD, L_SEND, L_DRAIN };

/* Offsets of the image header fields the payload needs (fota_image.h). */
#define HDR_OFF_MAGIC 0
#define HDR_OFF_VERSION 8
#define HDR_OFF_BODY_SIZE 20
#define HDR_OFF_LOAD_ADDR 24
#define HDR_OFF_CONFIRM_WINDOW 48

static const uint8_t *flash_at(const uint8_t *flash, uint32_t addr)
{
    return flash + (addr - FOTA_FLASH_BASE);
}

static void scan_area(const uint8_t *flash, uint32_t addr, uint32_t size,
                      uint8_t area, fota_journal_rec_t *best,
                      uint8_t *best_area)
{
    for (uint32_t off = 0; off + FOTA_JOURNAL_REC_SIZE <= size;
         off += FOTA_JOURNAL_REC_SIZE) {
        const uint8_t *p = flash_at(flash, addr + off);
        fota_journal_rec_t r;

        /* Only record slots starting with the magic can count; the CRC
         * is computed for those alone. */
        if (fota_get_le32(p) != FOTA_JOURNAL_MAGIC ||
            fota_journal_rec_decode(&r, p) != 0)
            continue;
        if (*best_area == 0 || r.seq > best->seq) {
            *best = r;
            *best_area = area;
        }
    }
}

int fota_app_journal_newest(const uint8_t *flash, fota_journal_rec_t *rec,
                            uint8_t *area)
{
    uint8_t a = 0;

    memset(rec, 0, sizeof(*rec));
    scan_area(flash, FOTA_JOURNAL_MAIN_ADDR, FOTA_JOURNAL_MAIN_SIZE, 1, rec,
              &a);
    scan_area(flash, FOTA_JOURNAL_SPARE_ADDR, FOTA_JOURNAL_SPARE_SIZE, 2, rec,
              &a);
    *area = a;
    return a ? 0 : FOTA_ERR_NOENT;
}

/* A slot holds a header that names this slot's body and fits it. */
static bool slot_hdr_valid(const uint8_t *flash, int slot)
{
    const uint8_t *h = flash_at(flash, (uint32_t)FOTA_SLOT_ADDR(slot));
    uint32_t body = fota_get_le32(h + HDR_OFF_BODY_SIZE);

    return fota_get_le32(h + HDR_OFF_MAGIC) == FOTA_IMAGE_MAGIC &&
           fota_get_le32(h + HDR_OFF_LOAD_ADDR) ==
               (uint32_t)FOTA_SLOT_BODY_ADDR(slot) &&
           body != 0 && body % 4u == 0 && body <= (uint32_t)FOTA_SLOT_BODY_MAX;
}

int fota_app_status_build(const uint8_t *flash, int slot, uint8_t flags,
                          uint8_t out[FOTA_APP_STATUS_PAYLOAD])
{
    const uint8_t *h;
    fota_journal_rec_t rec;
    fota_status_t st;
    fota_version_t v;
    uint8_t area = 0;
    uint32_t window;

    if (slot < 0 || slot >= FOTA_SLOT_COUNT || !slot_hdr_valid(flash, slot))
        return FOTA_ERR_CORRUPT;
    h = flash_at(flash, (uint32_t)FOTA_SLOT_ADDR(slot));
    fota_version_get(&v, h + HDR_OFF_VERSION);
    window = fota_get_le32(h + HDR_OFF_CONFIRM_WINDOW);
    if (window == 0)
        window = FOTA_CONFIRM_WINDOW_DEFAULT_MS;

    memset(&st, 0, sizeof(st));
    st.format = FOTA_STATUS_FORMAT;
    st.proto_version = FOTA_BOOT_PROTO_VERSION;
    st.active_slot = FOTA_STATUS_NO_SLOT;
    if (fota_app_journal_newest(flash, &rec, &area) == 0) {
        st.active_slot = rec.active;
        st.attempts_left = rec.attempts_left;
        st.journal_flags = rec.flags;
        st.journal_seq = rec.seq;
        st.sec_floor = rec.sec_floor;
        for (int s = 0; s < FOTA_SLOT_COUNT; s++) {
            st.slot[s].state = rec.slot[s].state;
            st.slot[s].version = rec.slot[s].version;
            st.slot[s].image_crc = rec.slot[s].image_crc;
        }
    }
    st.journal_area = area;
    /* The slot the application does not run from is the one an update
     * goes to. */
    st.inactive_slot = (uint8_t)(1 - slot);
    for (int s = 0; s < FOTA_SLOT_COUNT; s++) {
        st.slot[s].hdr_valid = slot_hdr_valid(flash, s) ? 1u : 0u;
        st.slot_addr[s] = (uint32_t)FOTA_SLOT_ADDR(s);
    }
    st.slot_size = FOTA_SLOT_SIZE;

    memset(out, 0, FOTA_APP_INFO_SIZE);
    out[0] = FOTA_APP_PROTO_VERSION;
    out[1] = (uint8_t)slot;
    out[2] = area ? rec.slot[slot].state : (uint8_t)FOTA_SLOT_EMPTY;
    out[3] = flags;
    fota_version_put(out + 4, &v);
    fota_put_le32(out + 12, window);
    fota_status_encode(&st, out + FOTA_APP_INFO_SIZE);
    return 0;
}

int fota_app_status_decode(fota_app_info_t *info, const uint8_t *p, size_t len)
{
    memset(info, 0, sizeof(*info));
    if (len < FOTA_APP_STATUS_PAYLOAD || p[0] != FOTA_APP_PROTO_VERSION)
        return FOTA_ERR_PROTO;
    info->proto_version = p[0];
    info->slot = p[1];
    info->state = p[2];
    info->flags = p[3];
    fota_version_get(&info->version, p + 4);
    info->confirm_window_ms = fota_get_le32(p + 12);
    if (info->slot >= FOTA_SLOT_COUNT || info->state > FOTA_SLOT_REJECTED ||
        info->confirm_window_ms == 0 ||
        info->confirm_window_ms > FOTA_CONFIRM_WINDOW_MAX_MS)
        return FOTA_ERR_CORRUPT;
    return fota_status_decode(&info->status, p + FOTA_APP_INFO_SIZE,
                              len - FOTA_APP_INFO_SIZE);
}

/* ---- the responder ------------------------------------------------------------ */

void fota_app_link_init(fota_app_link_t *l)
{
    memset(l, 0, sizeof(*l));
}

void fota_app_link_abort(fota_app_link_t *l)
{
    l->state = L_IDLE;
    l->pos = 0;
    l->len = 0;
}

static uint8_t link_idle(fota_app_link_t *l, uint8_t rx)
{
    l->state = rx == FOTA_APP_SOF ? L_CMD : L_IDLE;
    return FOTA_APP_FILL;
}

/* The request is complete: build the answer frame. */
static bool link_answer(fota_app_link_t *l, fota_app_answer_fn answer,
                        void *ctx)
{
    int n = answer(ctx, l->cmd, l->ans + 2, sizeof(l->ans) - 3);
    uint8_t x;

    if (n < 0 || (size_t)n > sizeof(l->ans) - 3)
        return false;
    l->ans[0] = FOTA_APP_ANS;
    l->ans[1] = (uint8_t)n;
    x = (uint8_t)n;
    for (int i = 0; i < n; i++)
        x ^= l->ans[2 + i];
    l->ans[2 + n] = x;
    l->len = (uint8_t)(n + 3);
    l->pos = 0;
    return true;
}

uint8_t fota_app_link_byte(fota_app_link_t *l, uint8_t rx,
                           fota_app_answer_fn answer, void *ctx)
{
    switch (l->state) {
    case L_CMD:
        l->cmd = rx;
        l->state = L_NCMD;
        return FOTA_APP_FILL;
    case L_NCMD:
        if ((uint8_t)(rx ^ l->cmd) != 0xFFu || !link_answer(l, answer, ctx))
            return link_idle(l, rx);
        l->state = L_SEND;
        return l->ans[l->pos++];
    case L_SEND:
    case L_DRAIN:
        /* The host clocks 0x00 while it reads; anything else is a new
         * request (it gave up on this answer). */
        if (rx != 0x00u) {
            fota_app_link_abort(l);
            return link_idle(l, rx);
        }
        if (l->state == L_DRAIN) {
            /* This byte carried the last answer byte out. */
            if (l->cmd == FOTA_APP_CMD_UPDATE)
                l->update_due = true;
            else if (l->cmd == FOTA_APP_CMD_CONFIRM)
                l->confirm_due = true;
            fota_app_link_abort(l);
            return FOTA_APP_FILL;
        }
        if (l->pos + 1u >= l->len)
            l->state = L_DRAIN;
        return l->ans[l->pos++];
    default:
        return link_idle(l, rx);
    }
}
