/* http: one curl easy handle per client for plain requests, guarded by a
 * mutex and curl_easy_reset() between requests: reset keeps the handle's
 * connection cache, so consecutive API calls reuse one kept-alive TLS
 * connection. Streams get their own handle because a watch may hold it for
 * minutes. Every handle is configured by http_setup(), the single place where
 * TLS options are set, which is what keeps "verification always on" true:
 * no code path sets CURLOPT_SSL_VERIFYPEER/HOST to 0.
 *
 * In-memory PEMs use curl's *_BLOB options with CURL_BLOB_COPY, so the
 * client owns its copies and the caller's strings may go away. When a CA PEM
 * is given the system CA file/path are cleared so that only the cluster's CA
 * is trusted.
 *
 * libcurl is reached through curl_dl (loaded on the first http_client_new),
 * never linked: every call goes through the client's table `c->cu`. */
#include "http.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "curl_dl.h"

#define HTTP_MAX_ERROR_BODY (1u << 20)
#define HTTP_CONNECT_TIMEOUT_MS 10000L
#define HTTP_TIMEOUT_MS 30000L

struct http_client {
	const struct curl_dl *cu;
	pthread_mutex_t lock;
	CURL *handle;
	char *ca_file, *ca_pem, *cert_file, *cert_pem, *key_file, *key_pem;
	pthread_mutex_t auth_lock; /* guards auth_header: replaced while other threads send */
	char *auth_header;         /* "Authorization: Bearer ..." */
	long connect_timeout_ms;
	long timeout_ms;
};

int http_error_from_curl(int curl_code, long os_errno)
{
	switch ((CURLcode)curl_code) {
	case CURLE_OK:
		return 0;
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_COULDNT_CONNECT:
		if (os_errno == EHOSTUNREACH || os_errno == ENETUNREACH)
			return -EHOSTUNREACH;
		if (os_errno == ETIMEDOUT)
			return -ETIMEDOUT;
		return -ECONNREFUSED;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return -EHOSTDOWN;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_USE_SSL_FAILED:
		return -EPROTO;
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
		return -ECONNRESET;
	case CURLE_ABORTED_BY_CALLBACK:
		return -ECANCELED;
	case CURLE_OUT_OF_MEMORY:
		return -ENOMEM;
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return -EINVAL;
	default:
		return -EIO;
	}
}

static const char *http_error_kind(int err)
{
	switch (err) {
	case -ETIMEDOUT:
		return "timeout";
	case -ECONNREFUSED:
		return "connection refused";
	case -EHOSTUNREACH:
		return "host unreachable";
	case -EHOSTDOWN:
		return "DNS resolution failed";
	case -EPROTO:
		return "TLS error";
	case -ECONNRESET:
		return "connection reset";
	case -ECANCELED:
		return "cancelled";
	default:
		return "transport error";
	}
}

static int http_dup(char **dst, const char *src)
{
	*dst = NULL;
	if (!src)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : -ENOMEM;
}

void http_client_free(struct http_client *client)
{
	if (!client)
		return;
	if (client->handle)
		client->cu->easy_cleanup(client->handle);
	pthread_mutex_destroy(&client->lock);
	pthread_mutex_destroy(&client->auth_lock);
	free(client->ca_file);
	free(client->ca_pem);
	free(client->cert_file);
	free(client->cert_pem);
	free(client->key_file);
	free(client->key_pem);
	if (client->auth_header) {
		/* The token is a secret: do not leave it in freed heap memory. */
		memset(client->auth_header, 0, strlen(client->auth_header));
		free(client->auth_header);
	}
	free(client);
}

int http_client_new(const struct http_options *opts, struct http_client **out)
{
	struct http_client *c = NULL;
	int rc;

	*out = NULL;
	if (!opts || (!opts->ca_file && !opts->ca_pem))
		return -EINVAL;
	if ((opts->ca_file && opts->ca_pem) || (opts->cert_file && opts->cert_pem) ||
	    (opts->key_file && opts->key_pem))
		return -EINVAL;
	if ((opts->cert_file || opts->cert_pem) != (opts->key_file || opts->key_pem))
		return -EINVAL;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	if ((rc = curl_dl_get(&c->cu)) < 0) {
		free(c);
		return rc;
	}
	pthread_mutex_init(&c->lock, NULL);
	pthread_mutex_init(&c->auth_lock, NULL);
	rc = -ENOMEM;
	if (http_dup(&c->ca_file, opts->ca_file) || http_dup(&c->ca_pem, opts->ca_pem) ||
	    http_dup(&c->cert_file, opts->cert_file) || http_dup(&c->cert_pem, opts->cert_pem) ||
	    http_dup(&c->key_file, opts->key_file) || http_dup(&c->key_pem, opts->key_pem))
		goto out;
	if (opts->token && *opts->token) {
		if (asprintf(&c->auth_header, "Authorization: Bearer %s", opts->token) < 0) {
			c->auth_header = NULL;
			goto out;
		}
	}
	c->connect_timeout_ms = opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms
							     : HTTP_CONNECT_TIMEOUT_MS;
	c->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : HTTP_TIMEOUT_MS;
	c->handle = c->cu->easy_init();
	if (!c->handle)
		goto out;
	*out = c;
	c = NULL;
	rc = 0;
out:
	http_client_free(c);
	return rc;
}

void http_client_set_timeouts(struct http_client *client, long connect_ms, long total_ms)
{
	pthread_mutex_lock(&client->lock);
	client->connect_timeout_ms = connect_ms > 0 ? connect_ms : HTTP_CONNECT_TIMEOUT_MS;
	client->timeout_ms = total_ms > 0 ? total_ms : HTTP_TIMEOUT_MS;
	pthread_mutex_unlock(&client->lock);
}

int http_client_set_token(struct http_client *client, const char *token)
{
	char *header = NULL, *old;

	if (!client)
		return -EINVAL;
	if (token && *token && asprintf(&header, "Authorization: Bearer %s", token) < 0)
		return -ENOMEM;
	pthread_mutex_lock(&client->auth_lock);
	old = client->auth_header;
	client->auth_header = header;
	pthread_mutex_unlock(&client->auth_lock);
	if (old) {
		memset(old, 0, strlen(old));
		free(old);
	}
	return 0;
}

void http_response_clear(struct http_response *resp)
{
	if (!resp)
		return;
	free(resp->body);
	resp->body = NULL;
	resp->body_len = 0;
}

static void http_blob(const struct curl_dl *cu, CURL *h, CURLoption opt, const char *pem)
{
	struct curl_blob blob = {
		.data = (void *)pem,
		.len = strlen(pem),
		.flags = CURL_BLOB_COPY,
	};

	cu->easy_setopt(h, opt, &blob);
}

/* Options shared by every handle. Returns a header list the caller frees. */
static struct curl_slist *http_setup(struct http_client *c, CURL *h, char *errbuf,
				     const char *content_type, int *err)
{
	struct curl_slist *headers = NULL, *tmp;
	char ct[128];

	*err = 0;
	c->cu->easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	c->cu->easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	c->cu->easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	c->cu->easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
	c->cu->easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
	c->cu->easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	c->cu->easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	c->cu->easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (c->ca_file) {
		c->cu->easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
		c->cu->easy_setopt(h, CURLOPT_CAPATH, NULL);
	} else {
		c->cu->easy_setopt(h, CURLOPT_CAINFO, NULL);
		c->cu->easy_setopt(h, CURLOPT_CAPATH, NULL);
		http_blob(c->cu, h, CURLOPT_CAINFO_BLOB, c->ca_pem);
	}
	if (c->cert_file)
		c->cu->easy_setopt(h, CURLOPT_SSLCERT, c->cert_file);
	else if (c->cert_pem)
		http_blob(c->cu, h, CURLOPT_SSLCERT_BLOB, c->cert_pem);
	if (c->key_file)
		c->cu->easy_setopt(h, CURLOPT_SSLKEY, c->key_file);
	else if (c->key_pem)
		http_blob(c->cu, h, CURLOPT_SSLKEY_BLOB, c->key_pem);

	tmp = c->cu->slist_append(headers, "Accept: application/json");
	if (!tmp)
		goto oom;
	headers = tmp;
	pthread_mutex_lock(&c->auth_lock);
	tmp = c->auth_header ? c->cu->slist_append(headers, c->auth_header) : headers;
	pthread_mutex_unlock(&c->auth_lock);
	if (!tmp)
		goto oom;
	headers = tmp;
	if (content_type) {
		snprintf(ct, sizeof(ct), "Content-Type: %s", content_type);
		tmp = c->cu->slist_append(headers, ct);
		if (!tmp)
			goto oom;
		headers = tmp;
	}
	/* curl would otherwise send "Expect: 100-continue" for large PUTs and
	 * wait for a reply that simple servers never send. */
	tmp = c->cu->slist_append(headers, "Expect:");
	if (!tmp)
		goto oom;
	headers = tmp;
	c->cu->easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	return headers;
oom:
	c->cu->slist_free_all(headers);
	*err = -ENOMEM;
	return NULL;
}

struct http_buffer {
	char *data;
	size_t len;
	size_t cap;
	size_t limit;
	int overflow;
};

static int http_buffer_append(struct http_buffer *b, const char *data, size_t len)
{
	char *grown;
	size_t cap;

	if (b->limit && b->len + len > b->limit) {
		b->overflow = 1;
		return 0;
	}
	if (b->len + len + 1 > b->cap) {
		cap = b->cap ? b->cap : 4096;
		while (cap < b->len + len + 1)
			cap *= 2;
		grown = realloc(b->data, cap);
		if (!grown)
			return -ENOMEM;
		b->data = grown;
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

static size_t http_write_buffer(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	size_t len = size * nmemb;

	if (http_buffer_append(userdata, ptr, len) < 0)
		return 0; /* curl turns a short write into CURLE_WRITE_ERROR */
	return len;
}

static void http_finish(const struct curl_dl *cu, CURL *h, CURLcode code, const char *errbuf, int *rc,
			struct http_response *resp)
{
	long os_errno = 0;

	cu->easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
	if (code == CURLE_OK) {
		*rc = 0;
		return;
	}
	cu->easy_getinfo(h, CURLINFO_OS_ERRNO, &os_errno);
	*rc = http_error_from_curl(code, os_errno);
	snprintf(resp->error, sizeof(resp->error), "%s: %s", http_error_kind(*rc),
		 errbuf[0] ? errbuf : cu->easy_strerror(code));
	/* curl's messages sometimes end in a newline; keep logs one line. */
	resp->error[strcspn(resp->error, "\n")] = '\0';
}

int http_request(struct http_client *client, const char *method, const char *url,
		 const char *body, size_t body_len, const char *content_type,
		 struct http_response *resp)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct http_buffer buf = { 0 };
	struct curl_slist *headers = NULL;
	const struct curl_dl *cu;
	CURL *h;
	CURLcode code;
	int rc;

	memset(resp, 0, sizeof(*resp));
	if (!client || !method || !url)
		return -EINVAL;
	cu = client->cu;
	pthread_mutex_lock(&client->lock);
	h = client->handle;
	cu->easy_reset(h);
	headers = http_setup(client, h, errbuf, body ? (content_type ? content_type : "application/json") : NULL, &rc);
	if (rc)
		goto out;
	cu->easy_setopt(h, CURLOPT_URL, url);
	cu->easy_setopt(h, CURLOPT_TIMEOUT_MS, client->timeout_ms);
	cu->easy_setopt(h, CURLOPT_WRITEFUNCTION, http_write_buffer);
	cu->easy_setopt(h, CURLOPT_WRITEDATA, &buf);
	if (strcmp(method, "GET") == 0) {
		cu->easy_setopt(h, CURLOPT_HTTPGET, 1L);
	} else {
		cu->easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
		if (body) {
			cu->easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
			cu->easy_setopt(h, CURLOPT_POSTFIELDS, body);
		} else if (strcmp(method, "DELETE") != 0) {
			cu->easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
			cu->easy_setopt(h, CURLOPT_POSTFIELDS, "");
		}
	}
	code = cu->easy_perform(h);
	http_finish(cu, h, code, errbuf, &rc, resp);
	if (rc == 0) {
		resp->body = buf.data;
		resp->body_len = buf.len;
		buf.data = NULL;
	}
out:
	/* The header list holds the token: drop it with the handle's options. */
	cu->easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	pthread_mutex_unlock(&client->lock);
	cu->slist_free_all(headers);
	free(buf.data);
	return rc;
}

struct http_stream_state {
	const struct curl_dl *cu;
	CURL *handle;
	http_chunk_fn fn;
	void *ctx;
	int fn_rc;
	const atomic_int *cancel;
	struct http_buffer error_body;
};

static size_t http_write_stream(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct http_stream_state *s = userdata;
	size_t len = size * nmemb;
	long status = 0;

	s->cu->easy_getinfo(s->handle, CURLINFO_RESPONSE_CODE, &status);
	if (status < 200 || status > 299)
		return http_buffer_append(&s->error_body, ptr, len) < 0 ? 0 : len;
	s->fn_rc = s->fn(ptr, len, s->ctx);
	return s->fn_rc ? 0 : len;
}

static int http_progress(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
			 curl_off_t ulnow)
{
	struct http_stream_state *s = userdata;

	return s->cancel && atomic_load(s->cancel) ? 1 : 0;
}

int http_stream(struct http_client *client, const char *url, long timeout_ms,
		const atomic_int *cancel, http_chunk_fn fn, void *ctx,
		struct http_response *resp)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct http_stream_state s = { 0 };
	struct curl_slist *headers = NULL;
	CURLcode code;
	int rc;

	memset(resp, 0, sizeof(*resp));
	if (!client || !url || !fn)
		return -EINVAL;
	s.cu = client->cu;
	s.handle = s.cu->easy_init();
	if (!s.handle)
		return -ENOMEM;
	s.fn = fn;
	s.ctx = ctx;
	s.cancel = cancel;
	s.error_body.limit = HTTP_MAX_ERROR_BODY;
	headers = http_setup(client, s.handle, errbuf, NULL, &rc);
	if (rc)
		goto out;
	s.cu->easy_setopt(s.handle, CURLOPT_URL, url);
	s.cu->easy_setopt(s.handle, CURLOPT_HTTPGET, 1L);
	if (timeout_ms > 0)
		s.cu->easy_setopt(s.handle, CURLOPT_TIMEOUT_MS, timeout_ms);
	s.cu->easy_setopt(s.handle, CURLOPT_WRITEFUNCTION, http_write_stream);
	s.cu->easy_setopt(s.handle, CURLOPT_WRITEDATA, &s);
	s.cu->easy_setopt(s.handle, CURLOPT_NOPROGRESS, 0L);
	s.cu->easy_setopt(s.handle, CURLOPT_XFERINFOFUNCTION, http_progress);
	s.cu->easy_setopt(s.handle, CURLOPT_XFERINFODATA, &s);
	code = s.cu->easy_perform(s.handle);
	if (code == CURLE_WRITE_ERROR && s.fn_rc) {
		/* Stopped by the callback, not a transport failure. */
		s.cu->easy_getinfo(s.handle, CURLINFO_RESPONSE_CODE, &resp->status);
		rc = s.fn_rc > 0 ? 0 : s.fn_rc;
		goto out;
	}
	http_finish(s.cu, s.handle, code, errbuf, &rc, resp);
	if (rc == 0 && s.error_body.data) {
		resp->body = s.error_body.data;
		resp->body_len = s.error_body.len;
		s.error_body.data = NULL;
	}
out:
	s.cu->easy_cleanup(s.handle);
	s.cu->slist_free_all(headers);
	free(s.error_body.data);
	return rc;
}
