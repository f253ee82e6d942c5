/*
 * agent_esp_http.c - HTTP port on esp_http_client (see agent_http.h for
 * the contract and agent_esp.h for the instance).
 *
 * Pull style maps directly onto esp_http_client's streaming API:
 * set_url/set_method/set_header -> open(write_len) -> write (PUT body) ->
 * fetch_headers -> get_status_code -> read ... -> close. The response
 * headers the core asks for (ETag, Content-Length, Content-Range) are
 * captured in HTTP_EVENT_ON_HEADER, because esp_http_client keeps no
 * response-header table of its own, and parsed by the core's
 * agent_http_parse.c, the same code the libcurl port uses.
 *
 * Connections: close() drops the connection (esp_http_client_close) after
 * every request, the same way esp_https_ota does between its Range
 * requests. Reusing a kept-alive connection through the open/read API was
 * not verified on hardware, and a poll cycle makes only a few requests.
 */
#include "agent_esp.h"

#include <stdio.h>
#include <string.h>

#include "agent_http_parse.h"
#include "esp_crt_bundle.h"
#include "fota/fota_err.h"

static int esp_err_to_fota(esp_err_t err)
{
    if (err == ESP_OK)
        return 0;
    if (err == ESP_ERR_HTTP_EAGAIN || err == ESP_ERR_TIMEOUT)
        return FOTA_ERR_TIMEOUT;
    return FOTA_ERR_PLATFORM(err);
}

static esp_err_t on_event(esp_http_client_event_t *evt)
{
    agent_esp_http_t *h = evt->user_data;

    if (evt->event_id != HTTP_EVENT_ON_HEADER || h == NULL ||
        evt->header_key == NULL || evt->header_value == NULL)
        return ESP_OK;
    agent_http_hdrs_feed(&h->hdrs, evt->header_key, strlen(evt->header_key),
                         evt->header_value, strlen(evt->header_value));
    return ESP_OK;
}

/* Headers the port itself sets per request (removed before each new one). */
static const char *const s_own_headers[] = {
    "Range",
    "If-None-Match",
    "If-Match",
    "Content-Type",
};

static int http_open(agent_http_t *self, const agent_http_req_t *req)
{
    agent_esp_http_t *h = AGENT_CONTAINER_OF(self, agent_esp_http_t, base);
    esp_http_client_method_t method;
    char range[48];
    esp_err_t err;
    int64_t hl;
    size_t i;
    int rc;

    if (h->open)
        return FOTA_ERR_BUSY;
    if (req == NULL || req->url == NULL ||
        req->n_headers > AGENT_ESP_HTTP_MAX_HDRS ||
        (req->body_len > 0 && req->body == NULL) || req->body_len > INT32_MAX)
        return FOTA_ERR_INVAL;
    switch (req->method) {
    case AGENT_HTTP_GET:
        method = HTTP_METHOD_GET;
        break;
    case AGENT_HTTP_HEAD:
        method = HTTP_METHOD_HEAD;
        break;
    case AGENT_HTTP_PUT:
        method = HTTP_METHOD_PUT;
        break;
    default:
        return FOTA_ERR_INVAL;
    }
    for (i = 0; i < req->n_headers; i++)
        if (req->headers[i].name == NULL || req->headers[i].value == NULL ||
            strlen(req->headers[i].name) >= AGENT_ESP_HTTP_HDR_NAME)
            return FOTA_ERR_INVAL;

    /* The client keeps request headers from one request to the next. */
    for (i = 0; i < sizeof s_own_headers / sizeof s_own_headers[0]; i++)
        esp_http_client_delete_header(h->client, s_own_headers[i]);
    for (i = 0; i < h->n_hdr_names; i++)
        esp_http_client_delete_header(h->client, h->hdr_names[i]);
    h->n_hdr_names = 0;

    err = esp_http_client_set_url(h->client, req->url);
    if (err == ESP_OK)
        err = esp_http_client_set_method(h->client, method);
    if (err == ESP_OK)
        err = esp_http_client_set_timeout_ms(
            h->client,
            (int)(req->timeout_ms ? req->timeout_ms : h->default_timeout_ms));
    if (err == ESP_OK && req->has_range) {
        if (req->range_end == AGENT_HTTP_RANGE_OPEN)
            snprintf(range, sizeof range, "bytes=%lu-",
                     (unsigned long)req->range_start);
        else
            snprintf(range, sizeof range, "bytes=%lu-%lu",
                     (unsigned long)req->range_start,
                     (unsigned long)req->range_end);
        err = esp_http_client_set_header(h->client, "Range", range);
    }
    if (err == ESP_OK && req->if_none_match != NULL)
        err = esp_http_client_set_header(h->client, "If-None-Match",
                                         req->if_none_match);
    if (err == ESP_OK && req->if_match != NULL)
        err = esp_http_client_set_header(h->client, "If-Match", req->if_match);
    if (err == ESP_OK && req->content_type != NULL)
        err = esp_http_client_set_header(h->client, "Content-Type",
                                         req->content_type);
    for (i = 0; err == ESP_OK && i < req->n_headers; i++) {
        err = esp_http_client_set_header(h->client, req->headers[i].name,
                                         req->headers[i].value);
        snprintf(h->hdr_names[h->n_hdr_names++], AGENT_ESP_HTTP_HDR_NAME, "%s",
                 req->headers[i].name);
    }
    if (err != ESP_OK)
        return esp_err_to_fota(err);

    /* Fresh response state before any event can fire. */
    h->status = 0;
    agent_http_hdrs_reset(&h->hdrs);

    err = esp_http_client_open(h->client, (int)req->body_len);
    if (err != ESP_OK)
        return esp_err_to_fota(err);
    if (req->body_len > 0) {
        size_t off = 0;

        while (off < req->body_len) {
            int w =
                esp_http_client_write(h->client, (const char *)req->body + off,
                                      (int)(req->body_len - off));
            if (w <= 0) {
                rc = FOTA_ERR_IO;
                goto fail;
            }
            off += (size_t)w;
        }
    }
    hl = esp_http_client_fetch_headers(h->client);
    if (hl < 0) {
        rc = hl == -ESP_ERR_HTTP_EAGAIN ? FOTA_ERR_TIMEOUT : FOTA_ERR_IO;
        goto fail;
    }
    h->status = esp_http_client_get_status_code(h->client);
    h->open = true;
    return 0;
fail:
    esp_http_client_close(h->client);
    return rc;
}

static int http_status(agent_http_t *self)
{
    agent_esp_http_t *h = AGENT_CONTAINER_OF(self, agent_esp_http_t, base);

    return h->open ? h->status : FOTA_ERR_INVAL;
}

static int http_etag(agent_http_t *self, char *buf, size_t len)
{
    agent_esp_http_t *h = AGENT_CONTAINER_OF(self, agent_esp_http_t, base);

    return h->open ? agent_http_hdrs_etag(&h->hdrs, buf, len) : FOTA_ERR_INVAL;
}

static int http_content_length(agent_http_t *self, uint32_t *len)
{
    agent_esp_http_t *h = AGENT_CONTAINER_OF(self, agent_esp_http_t, base);

    return h->open ? agent_http_hdrs_content_length(&h->hdrs, len)
                   : FOTA_ERR_INVAL;
}

static int http_content_range(agent_http_t *self, uint32_t *start,
                              uint32_t *end, uint32_t *total)
{
    agent_esp_http_t *h = AGENT_CONTAINER_OF(self, agent_esp_http_t, base);

    return h->open ? agent_http_hdrs_content_range(&h->hdrs, start, end, total)
                   : FOTA_ERR_INVAL;
}

static int http_read(agent_http_t *self, uint8_t *buf, size_t len)
{
    agent_esp_http_t *h = AGENT_CONTAINER_OF(self, agent_esp_http_t, base);
    int n;

    if (!h->open)
        return FOTA_ERR_INVAL;
    if (len > INT32_MAX)
        len = INT32_MAX;
    n = esp_http_client_read(h->client, (char *)buf, (int)len);
    if (n > 0)
        return n;
    if (n == -ESP_ERR_HTTP_EAGAIN)
        return FOTA_ERR_TIMEOUT;
    if (n < 0)
        return FOTA_ERR_IO;
    /* 0: the end of the body, or a connection closed early. Only the
     * first is the end; the second must look like an error so that the
     * core resumes with a Range request instead of trusting a short body. */
    if (!esp_http_client_is_complete_data_received(h->client))
        return FOTA_ERR_IO;
    return 0;
}

static int http_close(agent_http_t *self)
{
    agent_esp_http_t *h = AGENT_CONTAINER_OF(self, agent_esp_http_t, base);
    esp_err_t err;

    if (!h->open)
        return 0;
    h->open = false;
    err = esp_http_client_close(h->client);
    return err == ESP_OK ? 0 : FOTA_ERR_PLATFORM(err);
}

static const agent_http_ops_t s_http_ops = {
    .open = http_open,
    .status = http_status,
    .etag = http_etag,
    .content_length = http_content_length,
    .content_range = http_content_range,
    .read = http_read,
    .close = http_close,
};

int agent_esp_http_open(agent_esp_http_t *h, const char *base_url,
                        uint32_t timeout_ms)
{
    esp_http_client_config_t cfg;

    memset(h, 0, sizeof *h);
    h->base.ops = &s_http_ops;
    h->default_timeout_ms = timeout_ms;
    memset(&cfg, 0, sizeof cfg);
    cfg.url = base_url;
    cfg.timeout_ms = (int)timeout_ms;
    cfg.event_handler = on_event;
    cfg.user_data = h;
    cfg.crt_bundle_attach = esp_crt_bundle_attach; /* https:// endpoints */
    cfg.disable_auto_redirect = true; /* S3 answers, it does not redirect */
    cfg.buffer_size = 2048;
    cfg.buffer_size_tx = 2048; /* SigV4 Authorization header is long */
    h->client = esp_http_client_init(&cfg);
    return h->client != NULL ? 0 : FOTA_ERR_NOMEM;
}
