/* health_http: a tiny single-threaded HTTP/1.0 responder for health and
 * metrics ports (felix: :9099 /liveness, /readiness and :9091 /metrics;
 * twill-controllers: /healthz and /metrics).
 *
 * Contract:
 *  - health_http_open() listens (non-blocking, SO_REUSEADDR) on addr:port;
 *    port 0 picks a free port (health_http_port() tells which) for tests.
 *  - The owner polls health_http_fd() for POLLIN and then calls
 *    health_http_serve(), which accepts every pending connection and answers
 *    each one: read the request head (bounded: 4 KiB, 200 ms), call the
 *    handler with the path, write status line + headers + body, close. One
 *    slow or silent client costs at most the read timeout; a probe never
 *    waits for the event loop's other work beyond that.
 *  - Only GET and HEAD are answered (405 otherwise); a request that does not
 *    parse gets 400. The handler fills body (NUL-terminated, truncated to
 *    size) and returns the HTTP status. */
#ifndef TWILL_HEALTH_HTTP_H
#define TWILL_HEALTH_HTTP_H

#include <stddef.h>

/* Returns the HTTP status (200, 404, 503 ...). content_type may be left
 * alone ("text/plain; charset=utf-8"). */
typedef int (*health_http_handler)(const char *path, char *body, size_t size,
				   const char **content_type, void *ctx);

struct health_http;

/* addr NULL: all IPv4 addresses ("0.0.0.0"). 0 or -errno. */
int health_http_open(const char *addr, int port, health_http_handler fn, void *ctx,
		     struct health_http **out);
void health_http_close(struct health_http *h);
int health_http_fd(const struct health_http *h);
int health_http_port(const struct health_http *h);
/* A --*-port flag: decimal 0..65535 (0 = any free port), nothing else.
 * 0 or -EINVAL. */
int health_http_parse_port(const char *text, int *out);
/* Answer every pending connection; returns how many were answered. */
int health_http_serve(struct health_http *h);

/* ---- pure part, exposed for tests ---- */

/* Parse "METHOD SP PATH SP HTTP/x.y" from the head's first line. method
 * and path are NUL-terminated copies (query string cut off). 0 or -EINVAL. */
int health_http_parse_request(const char *head, char *method, size_t method_size, char *path,
			      size_t path_size);

#endif
