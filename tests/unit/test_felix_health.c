/* Unit tests for felix/health_http (request parsing; a real exchange on
 * loopback with an ephemeral port) and felix/felix_metrics (text format). */
#include "twill_test.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "felix_metrics.h"
#include "health_http.h"

static void test_parse_request(void **state)
{
	char m[16], p[64];

	(void)state;
	assert_int_equal(health_http_parse_request("GET /readiness HTTP/1.1\r\nHost: x\r\n\r\n", m,
						   sizeof(m), p, sizeof(p)),
			 0);
	assert_string_equal(m, "GET");
	assert_string_equal(p, "/readiness");
	assert_int_equal(health_http_parse_request("HEAD /metrics?x=1 HTTP/1.0\r\n", m, sizeof(m),
						   p, sizeof(p)),
			 0);
	assert_string_equal(p, "/metrics");
	assert_int_equal(health_http_parse_request("GET /x\r\n", m, sizeof(m), p, sizeof(p)),
			 -EINVAL);
	assert_int_equal(health_http_parse_request("GET x HTTP/1.1\r\n", m, sizeof(m), p, sizeof(p)),
			 -EINVAL);
	assert_int_equal(health_http_parse_request("", m, sizeof(m), p, sizeof(p)), -EINVAL);
	assert_int_equal(health_http_parse_request("VERYLONGMETHODNAMEXX / HTTP/1.1", m, sizeof(m),
						   p, sizeof(p)),
			 -EINVAL);
}

static int ready;

static int handler(const char *path, char *body, size_t size, const char **ctype, void *ctx)
{
	(void)ctx;
	if (strcmp(path, "/readiness") == 0) {
		snprintf(body, size, ready ? "ready\n" : "not ready\n");
		return ready ? 200 : 503;
	}
	if (strcmp(path, "/metrics") == 0) {
		*ctype = "text/plain; version=0.0.4";
		snprintf(body, size, "twill_felix_ready %d\n", ready);
		return 200;
	}
	snprintf(body, size, "not found\n");
	return 404;
}

/* Send req to the server, let it answer, return the response text. */
static void exchange(struct health_http *h, const char *req, char *resp, size_t size)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(health_http_port(h))};
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	ssize_t n;
	size_t got = 0;

	assert_true(fd >= 0);
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(send(fd, req, strlen(req), 0), (ssize_t)strlen(req));
	assert_int_equal(health_http_serve(h), 1);
	while ((n = recv(fd, resp + got, size - 1 - got, 0)) > 0)
		got += (size_t)n;
	resp[got] = '\0';
	close(fd);
}

static void test_loopback_exchange(void **state)
{
	struct health_http *h;
	char resp[1024];

	(void)state;
	assert_int_equal(health_http_open("127.0.0.1", 0, handler, NULL, &h), 0);
	assert_true(health_http_port(h) > 0);
	assert_int_equal(health_http_serve(h), 0); /* nothing pending: returns at once */
	ready = 0;
	exchange(h, "GET /readiness HTTP/1.1\r\n\r\n", resp, sizeof(resp));
	assert_non_null(strstr(resp, "HTTP/1.0 503 "));
	ready = 1;
	exchange(h, "GET /readiness HTTP/1.1\r\n\r\n", resp, sizeof(resp));
	assert_non_null(strstr(resp, "HTTP/1.0 200 OK\r\n"));
	assert_non_null(strstr(resp, "Content-Length: 6\r\n"));
	assert_non_null(strstr(resp, "\r\n\r\nready\n"));
	exchange(h, "GET /metrics HTTP/1.1\r\n\r\n", resp, sizeof(resp));
	assert_non_null(strstr(resp, "Content-Type: text/plain; version=0.0.4"));
	exchange(h, "GET /nope HTTP/1.1\r\n\r\n", resp, sizeof(resp));
	assert_non_null(strstr(resp, " 404 "));
	exchange(h, "POST /readiness HTTP/1.1\r\n\r\n", resp, sizeof(resp));
	assert_non_null(strstr(resp, " 405 "));
	exchange(h, "garbage\r\n\r\n", resp, sizeof(resp));
	assert_non_null(strstr(resp, " 400 "));
	exchange(h, "HEAD /readiness HTTP/1.1\r\n\r\n", resp, sizeof(resp));
	assert_non_null(strstr(resp, " 200 "));
	assert_null(strstr(resp, "\r\n\r\nready"));
	health_http_close(h);
}

static void test_open_rejects_bad_args(void **state)
{
	struct health_http *h = NULL;

	(void)state;
	assert_int_equal(health_http_open("not-an-ip", 0, handler, NULL, &h), -EINVAL);
	assert_int_equal(health_http_open(NULL, 70000, handler, NULL, &h), -EINVAL);
	assert_int_equal(health_http_open(NULL, 0, NULL, NULL, &h), -EINVAL);
	assert_null(h);
}

static void test_metrics_render(void **state)
{
	struct felix_metrics m;
	char buf[8192];
	int n;

	(void)state;
	memset(&m, 0, sizeof(m));
	felix_metrics_observe_apply(&m, 0.0005);
	felix_metrics_observe_apply(&m, 0.02);
	felix_metrics_observe_apply(&m, 30);
	m.routes = 42;
	m.ready = 1;
	m.policy_rules = 17;
	m.policy_apply_errors = 2;
	m.policy_enabled = 1;
	n = felix_metrics_render(&m, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal((size_t)n, strlen(buf));
	assert_non_null(strstr(buf, "# TYPE twill_felix_apply_seconds histogram\n"));
	assert_non_null(strstr(buf, "twill_felix_apply_seconds_bucket{le=\"0.001\"} 1\n"));
	assert_non_null(strstr(buf, "twill_felix_apply_seconds_bucket{le=\"0.025\"} 2\n"));
	assert_non_null(strstr(buf, "twill_felix_apply_seconds_bucket{le=\"10\"} 2\n"));
	assert_non_null(strstr(buf, "twill_felix_apply_seconds_bucket{le=\"+Inf\"} 3\n"));
	assert_non_null(strstr(buf, "twill_felix_apply_seconds_count 3\n"));
	assert_non_null(strstr(buf, "# TYPE twill_felix_routes gauge\ntwill_felix_routes 42\n"));
	assert_non_null(strstr(buf, "twill_felix_ready 1\n"));
	assert_non_null(strstr(buf, "# TYPE twill_felix_policy_rules gauge\n"
				    "twill_felix_policy_rules 17\n"));
	assert_non_null(strstr(buf, "# TYPE twill_felix_policy_apply_errors_total counter\n"
				    "twill_felix_policy_apply_errors_total 2\n"));
	assert_non_null(strstr(buf, "twill_felix_policy_enabled 1\n"));
	assert_non_null(strstr(buf, "# TYPE twill_felix_resyncs_total counter\n"));
}

static void test_metrics_small_buffer(void **state)
{
	struct felix_metrics m;
	char buf[64];

	(void)state;
	memset(&m, 0, sizeof(m));
	assert_int_equal(felix_metrics_render(&m, buf, sizeof(buf)), -ENOSPC);
	assert_true(strlen(buf) < sizeof(buf));
	assert_int_equal(felix_metrics_render(&m, buf, 0), -ENOSPC);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_parse_request),
	cmocka_unit_test(test_loopback_exchange),
	cmocka_unit_test(test_open_rejects_bad_args),
	cmocka_unit_test(test_metrics_render),
	cmocka_unit_test(test_metrics_small_buffer),
};

TWILL_TEST_MAIN(tests)
