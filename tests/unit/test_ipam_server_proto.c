/* Unit tests for ipam/server_proto: which variables travel, request
 * encode/decode round trip and every malformed request, reply trailers. */
#include "twill_test.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cni_env.h"
#include "server_proto.h"

static void test_forwarded(void **state)
{
	(void)state;
	assert_true(ipam_server_forwarded("CNI_COMMAND=ADD"));
	assert_true(ipam_server_forwarded("CNI_ARGS="));
	assert_true(ipam_server_forwarded("KUBECONFIG=/x"));
	assert_true(ipam_server_forwarded("KUBERNETES_SERVICE_HOST=10.0.0.1"));
	assert_true(ipam_server_forwarded("KUBERNETES_SERVICE_PORT"));
	assert_true(ipam_server_forwarded("TWILL_SERVER_OP=pod-annotations"));
	assert_false(ipam_server_forwarded("TWILL_SERVER=x"));
	assert_false(ipam_server_forwarded("CNI_=x"));
	assert_false(ipam_server_forwarded("CNI=x"));
	assert_false(ipam_server_forwarded("KUBECONFIGX=/x"));
	assert_false(ipam_server_forwarded("KUBERNETES_SERVICE_PORT_HTTPS=443"));
	assert_false(ipam_server_forwarded("PATH=/bin"));
	assert_false(ipam_server_forwarded("LD_PRELOAD=/evil.so"));
}

static void test_round_trip(void **state)
{
	char *envp[] = { "PATH=/usr/bin", "CNI_COMMAND=ADD", "LD_PRELOAD=/x.so",
			 "CNI_CONTAINERID=abc", "CNI_NOVALUE", "KUBECONFIG=/k", NULL };
	const char *conf = "{\"name\":\"n\"}";
	struct ipam_server_request req;
	char *buf;
	size_t len;

	(void)state;
	assert_int_equal(ipam_server_request_encode(envp, conf, strlen(conf), &buf, &len), 0);
	assert_memory_equal(buf, IPAM_SERVER_MAGIC, IPAM_SERVER_MAGIC_LEN);
	assert_int_equal(ipam_server_request_decode(buf, len, &req), 0);
	assert_int_equal(req.env_count, 3);
	assert_string_equal(req.env[0], "CNI_COMMAND=ADD");
	assert_string_equal(req.env[1], "CNI_CONTAINERID=abc");
	assert_string_equal(req.env[2], "KUBECONFIG=/k");
	assert_null(req.env[3]);
	assert_int_equal(req.config_len, strlen(conf));
	assert_memory_equal(req.config, conf, strlen(conf));
	free(buf);

	/* no environment, empty config */
	assert_int_equal(ipam_server_request_encode(NULL, "", 0, &buf, &len), 0);
	assert_int_equal(len, IPAM_SERVER_MAGIC_LEN + 1);
	assert_int_equal(ipam_server_request_decode(buf, len, &req), 0);
	assert_int_equal(req.env_count, 0);
	assert_int_equal(req.config_len, 0);
	free(buf);
}

static void test_encode_limits(void **state)
{
	char *envp[IPAM_SERVER_ENV_COUNT_MAX + 2], names[IPAM_SERVER_ENV_COUNT_MAX + 1][32];
	char *big, *buf = (char *)1;
	size_t len = 1, i;

	(void)state;
	for (i = 0; i <= IPAM_SERVER_ENV_COUNT_MAX; i++) {
		snprintf(names[i], sizeof(names[i]), "CNI_X%zu=1", i);
		envp[i] = names[i];
	}
	envp[IPAM_SERVER_ENV_COUNT_MAX + 1] = NULL;
	assert_int_equal(ipam_server_request_encode(envp, "{}", 2, &buf, &len), -E2BIG);
	assert_null(buf);
	assert_int_equal(len, 0);
	envp[IPAM_SERVER_ENV_COUNT_MAX] = NULL; /* exactly the maximum */
	assert_int_equal(ipam_server_request_encode(envp, "{}", 2, &buf, &len), 0);
	free(buf);
	big = malloc(IPAM_SERVER_ENV_MAX + 16);
	assert_non_null(big);
	memset(big, 'v', IPAM_SERVER_ENV_MAX + 15);
	memcpy(big, "CNI_ARGS=", 9);
	big[IPAM_SERVER_ENV_MAX + 15] = '\0';
	envp[0] = big;
	envp[1] = NULL;
	assert_int_equal(ipam_server_request_encode(envp, "{}", 2, &buf, &len), -E2BIG);
	assert_int_equal(ipam_server_request_encode(NULL, "{}", CNI_STDIN_MAX + 1, &buf, &len),
			 -E2BIG);
	free(big);
}

static int decode_text(const char *text, size_t len)
{
	struct ipam_server_request req;
	char *copy = malloc(len + 1);
	int rc;

	assert_non_null(copy);
	memcpy(copy, text, len);
	copy[len] = '\0';
	rc = ipam_server_request_decode(copy, len, &req);
	free(copy);
	return rc;
}

#define DECODE(lit) decode_text(lit, sizeof(lit) - 1)

static void test_decode_rejects(void **state)
{
	char *many;
	size_t i, pos;

	(void)state;
	assert_int_equal(DECODE("TWIPAM1\n\0{}"), 0);
	assert_int_equal(DECODE("TWIPAM1\nCNI_COMMAND=DEL\0\0{}"), 0);
	assert_int_equal(DECODE(""), -EPROTO);
	assert_int_equal(DECODE("TWIPAM1"), -EPROTO);
	assert_int_equal(DECODE("TWIPAM2\n\0{}"), -EPROTO);     /* another version */
	assert_int_equal(DECODE("TWIPAM1\n"), -EPROTO);         /* no terminator */
	assert_int_equal(DECODE("TWIPAM1\nCNI_COMMAND=ADD"), -EPROTO);
	assert_int_equal(DECODE("TWIPAM1\nCNI_COMMAND=ADD\0"), -EPROTO);
	assert_int_equal(DECODE("TWIPAM1\nPATH=/bin\0\0{}"), -EPROTO); /* not forwarded */
	assert_int_equal(DECODE("TWIPAM1\nCNI_COMMAND\0\0{}"), -EPROTO); /* no '=' */
	assert_int_equal(DECODE("TWIPAM1\n=CNI_X\0\0{}"), -EPROTO);
	/* one entry over the count limit */
	many = malloc(IPAM_SERVER_MAGIC_LEN + (IPAM_SERVER_ENV_COUNT_MAX + 1) * 8 + 4);
	assert_non_null(many);
	memcpy(many, IPAM_SERVER_MAGIC, IPAM_SERVER_MAGIC_LEN);
	pos = IPAM_SERVER_MAGIC_LEN;
	for (i = 0; i <= IPAM_SERVER_ENV_COUNT_MAX; i++) {
		memcpy(many + pos, "CNI_A=1", 8);
		pos += 8;
	}
	many[pos++] = '\0';
	assert_int_equal(decode_text(many, pos), -EPROTO);
	free(many);
}

static void test_trailer_and_reply(void **state)
{
	char buf[64], reply[64];
	size_t body;
	int n, status;

	(void)state;
	n = ipam_server_trailer(0, buf, sizeof(buf));
	assert_int_equal(n, 3);
	assert_memory_equal(buf, "\0" "0\n", 3);
	assert_int_equal(ipam_server_trailer(255, buf, sizeof(buf)), 5);
	assert_int_equal(ipam_server_trailer(IPAM_SERVER_REFUSED, buf, sizeof(buf)), 9);
	assert_int_equal(ipam_server_trailer(-5, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(ipam_server_trailer(1, buf, 2), -ENOSPC);

	memcpy(reply, "{\"a\":1}\n", 8);
	n = ipam_server_trailer(1, reply + 8, sizeof(reply) - 8);
	assert_int_equal(ipam_server_reply_parse(reply, 8 + (size_t)n, &body, &status), 0);
	assert_int_equal(body, 8);
	assert_int_equal(status, 1);
	assert_int_equal(ipam_server_reply_parse("\0refused\n", 9, &body, &status), 0);
	assert_int_equal(status, IPAM_SERVER_REFUSED);
	assert_int_equal(body, 0);
	assert_int_equal(ipam_server_reply_parse("\0" "0\n", 3, &body, &status), 0);
	assert_int_equal(status, 0);
	assert_int_equal(ipam_server_reply_parse("", 0, &body, &status), -EPROTO);
	assert_int_equal(ipam_server_reply_parse("{\"half\": ", 9, &body, &status), -EPROTO);
	assert_int_equal(ipam_server_reply_parse("x\0" "0", 3, &body, &status), -EPROTO);
	assert_int_equal(ipam_server_reply_parse("x\0\n", 3, &body, &status), -EPROTO);
	assert_int_equal(ipam_server_reply_parse("x\0" "256\n", 6, &body, &status), -EPROTO);
	assert_int_equal(ipam_server_reply_parse("x\0" "1x\n", 5, &body, &status), -EPROTO);
	assert_int_equal(ipam_server_reply_parse("x\0" "1000\n", 7, &body, &status), -EPROTO);
	assert_int_equal(ipam_server_reply_parse("x\0refusedX\n", 11, &body, &status), -EPROTO);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_forwarded),
	cmocka_unit_test(test_round_trip),
	cmocka_unit_test(test_encode_limits),
	cmocka_unit_test(test_decode_rejects),
	cmocka_unit_test(test_trailer_and_reply),
};

TWILL_TEST_MAIN(tests)
