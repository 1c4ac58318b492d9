/* Unit tests for lib/http: option validation, error classification, and
 * transport failures against loopback sockets this test creates. */
#include "twill_test.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <unistd.h>

#include "curl_dl.h"
#include "http.h"

static const char dummy_ca[] = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
/* A real (self-signed) CA certificate, so failures below come from the
 * connection and not from loading the trust store. */
static const char test_ca_file[] = TWILL_TESTDATA "/kubeconfig/ca.crt";

/* A loopback TCP listener on an ephemeral port. */
static int listen_loopback(int *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

static struct http_client *client_with(long timeout_ms)
{
	struct http_options o = { .ca_file = test_ca_file, .token = "t0k", .timeout_ms = timeout_ms,
				  .connect_timeout_ms = timeout_ms };
	struct http_client *c;

	assert_int_equal(http_client_new(&o, &c), 0);
	return c;
}

static bool libcurl_mapped(void)
{
	char line[512];
	bool found = false;
	FILE *f = fopen("/proc/self/maps", "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "/" CURL_DL_SONAME))
			found = true;
	fclose(f);
	return found;
}

/* First in the list: run in one process with the others, it must come before
 * any case that creates a client. */
static void test_http_libcurl_loaded_on_first_client(void **state)
{
	struct http_options bad = { 0 };
	struct http_client *c;

	(void)state;
	/* Not linked: a program that never builds a client never loads it. */
	assert_false(libcurl_mapped());
	/* Invalid options are refused before anything is loaded. */
	assert_int_equal(http_client_new(&bad, &c), -EINVAL);
	assert_false(libcurl_mapped());
	c = client_with(1000);
	assert_true(libcurl_mapped());
	assert_string_equal(curl_dl_error(), "");
	http_client_free(c);
	/* Loaded once: a second client reuses the same table. */
	c = client_with(1000);
	http_client_free(c);
}

static void test_http_options_validated(void **state)
{
	struct http_options o = { 0 };
	struct http_client *c = (struct http_client *)1;

	(void)state;
	/* no CA at all: there is no insecure mode to fall back to */
	assert_int_equal(http_client_new(&o, &c), -EINVAL);
	assert_null(c);
	o.ca_file = "/ca.pem";
	o.ca_pem = dummy_ca;
	assert_int_equal(http_client_new(&o, &c), -EINVAL);
	o.ca_pem = NULL;
	o.cert_file = "/c.pem"; /* cert without key */
	assert_int_equal(http_client_new(&o, &c), -EINVAL);
	o.key_pem = "k";
	assert_int_equal(http_client_new(&o, &c), 0);
	http_client_free(c);
}

static void test_http_error_classification(void **state)
{
	(void)state;
	assert_int_equal(http_error_from_curl(CURLE_OK, 0), 0);
	assert_int_equal(http_error_from_curl(CURLE_OPERATION_TIMEDOUT, 0), -ETIMEDOUT);
	assert_int_equal(http_error_from_curl(CURLE_COULDNT_CONNECT, ECONNREFUSED), -ECONNREFUSED);
	assert_int_equal(http_error_from_curl(CURLE_COULDNT_CONNECT, ENETUNREACH), -EHOSTUNREACH);
	assert_int_equal(http_error_from_curl(CURLE_COULDNT_CONNECT, EHOSTUNREACH), -EHOSTUNREACH);
	assert_int_equal(http_error_from_curl(CURLE_COULDNT_RESOLVE_HOST, 0), -EHOSTDOWN);
	assert_int_equal(http_error_from_curl(CURLE_PEER_FAILED_VERIFICATION, 0), -EPROTO);
	assert_int_equal(http_error_from_curl(CURLE_SSL_CONNECT_ERROR, 0), -EPROTO);
	assert_int_equal(http_error_from_curl(CURLE_SSL_CACERT_BADFILE, 0), -EPROTO);
	assert_int_equal(http_error_from_curl(CURLE_GOT_NOTHING, 0), -ECONNRESET);
	assert_int_equal(http_error_from_curl(CURLE_ABORTED_BY_CALLBACK, 0), -ECANCELED);
	assert_int_equal(http_error_from_curl(CURLE_UNSUPPORTED_PROTOCOL, 0), -EINVAL);
	assert_int_equal(http_error_from_curl(CURLE_TOO_MANY_REDIRECTS, 0), -EIO);
}

static void test_http_connection_refused(void **state)
{
	struct http_client *c = client_with(5000);
	struct http_response resp;
	char url[64];
	int port, fd = listen_loopback(&port);

	(void)state;
	close(fd); /* the port is now (almost certainly) closed */
	snprintf(url, sizeof(url), "https://127.0.0.1:%d/api", port);
	assert_int_equal(http_request(c, "GET", url, NULL, 0, NULL, &resp), -ECONNREFUSED);
	assert_int_equal(resp.status, 0);
	assert_true(strncmp(resp.error, "connection refused: ", 20) == 0);
	http_response_clear(&resp);
	http_client_free(c);
}

static void test_http_plain_url_refused(void **state)
{
	struct http_client *c = client_with(5000);
	struct http_response resp;

	(void)state;
	assert_int_equal(http_request(c, "GET", "http://127.0.0.1:1/", NULL, 0, NULL, &resp),
			 -EINVAL);
	http_response_clear(&resp);
	http_client_free(c);
}

/* Accepts one connection and answers in plain text: not a TLS server. */
static void *plaintext_server(void *arg)
{
	static const char reply[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
	int fd = *(int *)arg, conn;
	char buf[512];

	conn = accept(fd, NULL, NULL);
	if (conn >= 0) {
		if (read(conn, buf, sizeof(buf)) > 0 && write(conn, reply, sizeof(reply) - 1) < 0)
			buf[0] = 0;
		close(conn);
	}
	return NULL;
}

static void test_http_tls_failure(void **state)
{
	struct http_client *c = client_with(5000);
	struct http_response resp;
	pthread_t thread;
	char url[64];
	int port, fd = listen_loopback(&port);

	(void)state;
	assert_int_equal(pthread_create(&thread, NULL, plaintext_server, &fd), 0);
	snprintf(url, sizeof(url), "https://127.0.0.1:%d/api", port);
	assert_int_equal(http_request(c, "GET", url, NULL, 0, NULL, &resp), -EPROTO);
	assert_true(strncmp(resp.error, "TLS error: ", 11) == 0);
	http_response_clear(&resp);
	pthread_join(thread, NULL);
	close(fd);
	http_client_free(c);
}

static void test_http_timeout(void **state)
{
	struct http_client *c = client_with(300);
	struct http_response resp;
	char url[64];
	int port, fd = listen_loopback(&port);

	(void)state;
	/* The kernel completes the TCP handshake from the backlog, but nobody
	 * ever answers the TLS ClientHello. */
	snprintf(url, sizeof(url), "https://127.0.0.1:%d/api", port);
	assert_int_equal(http_request(c, "GET", url, NULL, 0, NULL, &resp), -ETIMEDOUT);
	assert_true(strncmp(resp.error, "timeout: ", 9) == 0);
	http_response_clear(&resp);
	close(fd);
	http_client_free(c);
}

static int never_called(const char *data, size_t len, void *ctx)
{
	(void)data;
	(void)len;
	(void)ctx;
	fail();
	return 0;
}

static void test_http_stream_cancelled(void **state)
{
	struct http_client *c = client_with(5000);
	struct http_response resp;
	atomic_int cancel = 1;
	char url[64];
	int port, fd = listen_loopback(&port), rc;

	(void)state;
	snprintf(url, sizeof(url), "https://127.0.0.1:%d/watch", port);
	/* Cancel is checked by curl's progress callback, which runs while the
	 * connection is in progress: an already-raised flag aborts it. */
	rc = http_stream(c, url, 0, &cancel, never_called, NULL, &resp);
	assert_int_equal(rc, -ECANCELED);
	http_response_clear(&resp);
	close(fd);
	http_client_free(c);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_http_libcurl_loaded_on_first_client),
	cmocka_unit_test(test_http_options_validated),
	cmocka_unit_test(test_http_error_classification),
	cmocka_unit_test(test_http_connection_refused),
	cmocka_unit_test(test_http_plain_url_refused),
	cmocka_unit_test(test_http_tls_failure),
	cmocka_unit_test(test_http_timeout),
	cmocka_unit_test(test_http_stream_cancelled),
};

TWILL_TEST_MAIN(tests)
