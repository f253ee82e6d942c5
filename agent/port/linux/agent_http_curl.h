/*
 * agent_http_curl.h - the agent's HTTP port (agent_http.h) on libcurl, for
 * Linux hosts (the `fota agent` tool, tests, the demo).
 *
 * One instance holds one libcurl easy handle inside a multi handle; the
 * multi handle keeps the connection pool, so consecutive requests to the
 * same server reuse one keep-alive connection. read() is pull style over
 * libcurl's push-style write callback: the callback fills a small internal
 * buffer and pauses the transfer (CURL_WRITEFUNC_PAUSE) when it is full;
 * read() drains it and un-pauses. Not thread-safe: one task per instance.
 * This port lives outside the portable core and may allocate.
 */
#ifndef AGENT_HTTP_CURL_H
#define AGENT_HTTP_CURL_H

#include "agent_http.h"

/* Create an instance. Returns 0 and *out, FOTA_ERR_NOMEM, or a platform
 * code when libcurl cannot be initialised. */
int agent_http_curl_create(agent_http_t **out);

/* Close any open request and free the instance (NULL is allowed). */
void agent_http_curl_destroy(agent_http_t *http);

/* Number of new connections the last completed or closed request had to
 * open (0 when it reused a kept-alive one), for tests and statistics. */
long agent_http_curl_new_connections(agent_http_t *http);

#endif /* AGENT_HTTP_CURL_H */
