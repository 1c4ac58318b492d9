/* http: a small HTTPS client over libcurl for talking to the Kubernetes API.
 *
 * libcurl is loaded on the first http_client_new() (lib/curl_dl.h), not at
 * program start: binaries that never make a request never pay for it.
 * Contract:
 * - TLS peer verification is always on. A CA must be given (file or in-memory
 *   PEM); there is deliberately no option to skip verification, so
 *   http_client_new() fails with -EINVAL when neither is set.
 * - Authentication: optional bearer token header, optional client certificate
 *   and key (files or in-memory PEM blobs).
 * - http_request() performs one request and returns the status and the whole
 *   body. http_stream() performs a GET whose body is handed to a callback
 *   chunk by chunk as it arrives (for watches); the callback can stop it.
 * - Return values: 0 when an HTTP response was received (whatever its status),
 *   else a negative errno classifying the transport failure:
 *       -ETIMEDOUT     connect or total timeout expired
 *       -ECONNREFUSED  nothing listening / connection refused
 *       -EHOSTUNREACH  host or network unreachable
 *       -EHOSTDOWN     host name could not be resolved (DNS)
 *       -EPROTO        TLS handshake or certificate verification failed
 *                      (wrong CA, bad client cert, hostname mismatch)
 *       -ECONNRESET    connection dropped mid-request / empty reply
 *       -ECANCELED     the cancel flag was raised
 *       -ENOMEM, -EINVAL, -EIO (anything else)
 *   and http_response.error holds curl's human-readable message.
 * - Thread-safety: http_request() serialises on a per-client mutex and reuses
 *   one curl easy handle (and its kept-alive connection). http_stream() uses
 *   its own short-lived handle, so one thread can watch while others do
 *   requests on the same client.
 * - Only https:// URLs are accepted (a plain http URL fails with -EINVAL):
 *   the bearer token must never travel in clear. */
#ifndef TWILL_HTTP_H
#define TWILL_HTTP_H

#include <stdatomic.h>
#include <stddef.h>

struct http_options {
	const char *ca_file;   /* PEM bundle path, or */
	const char *ca_pem;    /* PEM text in memory */
	const char *token;     /* bearer token, or NULL */
	const char *cert_file; /* client certificate (PEM) path, or */
	const char *cert_pem;  /* in memory */
	const char *key_file;  /* client key (PEM) path, or */
	const char *key_pem;   /* in memory */
	long connect_timeout_ms; /* 0: 10 s */
	long timeout_ms;         /* total per http_request(); 0: 30 s */
};

#define HTTP_ERROR_SIZE 256

struct http_response {
	long status;     /* HTTP status, 0 when no response was received */
	char *body;      /* NUL-terminated, malloc'd; NULL when empty */
	size_t body_len;
	char error[HTTP_ERROR_SIZE]; /* transport error text, "" on success */
};

struct http_client;

/* Copies everything it needs from opts. 0, -EINVAL (no CA, both file and
 * PEM for one item, key without cert; checked before libcurl is loaded),
 * -ENOMEM, or libcurl could not be loaded: -ELIBACC (library or symbol
 * missing) / -EIO (curl_global_init failed), reason in curl_dl_error(). */
int http_client_new(const struct http_options *opts, struct http_client **out);
void http_client_free(struct http_client *client);
/* Replace the bearer token (NULL or "": none) for the requests that start
 * afterwards; safe while other threads use the client. 0, -EINVAL or
 * -ENOMEM (the previous token stays). */
int http_client_set_token(struct http_client *client, const char *token);
/* Connect and total timeouts (as in http_options, 0: the defaults) for the
 * http_request() calls that start afterwards. */
void http_client_set_timeouts(struct http_client *client, long connect_ms, long total_ms);

/* method: "GET", "POST", "PUT", "PATCH", "DELETE". body may be NULL.
 * content_type applies to the body (default application/json). The response
 * must be released with http_response_clear() whatever the return value. */
int http_request(struct http_client *client, const char *method, const char *url,
		 const char *body, size_t body_len, const char *content_type,
		 struct http_response *resp);

/* Called per received chunk of a 2xx streaming response. Return 0 to go on,
 * > 0 to stop cleanly (http_stream returns 0), < 0 to stop with that error. */
typedef int (*http_chunk_fn)(const char *data, size_t len, void *ctx);

/* Streaming GET. timeout_ms bounds the whole stream (0: unbounded; rely on
 * the server's own timeout). When *cancel becomes non-zero the transfer is
 * aborted within about a second (-ECANCELED). For a non-2xx status the body
 * is not passed to fn but collected into resp->body (a Status object). */
int http_stream(struct http_client *client, const char *url, long timeout_ms,
		const atomic_int *cancel, http_chunk_fn fn, void *ctx,
		struct http_response *resp);

void http_response_clear(struct http_response *resp);

/* The classification above, from a CURLcode and the socket errno curl saw
 * (CURLINFO_OS_ERRNO). Exposed for tests. */
int http_error_from_curl(int curl_code, long os_errno);

#endif
