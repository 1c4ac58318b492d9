/* Unit tests for lib/kube_status: Status parsing, errno mapping, messages. */
#include "twill_test.h"

#include <errno.h>

#include "kube_status.h"

static void test_status_errno_mapping(void **state)
{
	(void)state;
	assert_int_equal(kube_status_to_errno(400, "BadRequest"), -EINVAL);
	assert_int_equal(kube_status_to_errno(401, NULL), -EACCES);
	assert_int_equal(kube_status_to_errno(403, "Forbidden"), -EPERM);
	assert_int_equal(kube_status_to_errno(404, "NotFound"), -ENOENT);
	assert_int_equal(kube_status_to_errno(405, NULL), -EOPNOTSUPP);
	assert_int_equal(kube_status_to_errno(409, "Conflict"), -EAGAIN);
	assert_int_equal(kube_status_to_errno(409, NULL), -EAGAIN);
	assert_int_equal(kube_status_to_errno(409, "AlreadyExists"), -EEXIST);
	assert_int_equal(kube_status_to_errno(410, "Expired"), -ESTALE);
	assert_int_equal(kube_status_to_errno(413, NULL), -EMSGSIZE);
	assert_int_equal(kube_status_to_errno(422, "Invalid"), -EINVAL);
	assert_int_equal(kube_status_to_errno(418, NULL), -EINVAL);
	assert_int_equal(kube_status_to_errno(429, NULL), -EBUSY);
	assert_int_equal(kube_status_to_errno(503, NULL), -EBUSY);
	assert_int_equal(kube_status_to_errno(504, NULL), -ETIMEDOUT);
	assert_int_equal(kube_status_to_errno(500, NULL), -EIO);
	assert_int_equal(kube_status_to_errno(302, NULL), -EIO);
}

static void test_status_parse_conflict(void **state)
{
	static const char body[] =
		"{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\","
		"\"message\":\"Operation cannot be fulfilled on ipamblocks \\\"x\\\": "
		"the object has been modified\",\"reason\":\"Conflict\",\"code\":409}";
	struct kube_error err;

	(void)state;
	assert_int_equal(kube_status_parse("PUT", "/apis/twill.dev/v1/ipamblocks/x", 409, body,
					   sizeof(body) - 1, &err),
			 -EAGAIN);
	assert_int_equal(err.code, 409);
	assert_string_equal(err.reason, "Conflict");
	assert_string_equal(err.message,
			    "PUT /apis/twill.dev/v1/ipamblocks/x: 409 Conflict: Operation cannot be "
			    "fulfilled on ipamblocks \"x\": the object has been modified");
}

static void test_status_parse_already_exists(void **state)
{
	static const char body[] = "{\"kind\":\"Status\",\"reason\":\"AlreadyExists\","
				   "\"message\":\"configmaps \\\"a\\\" already exists\",\"code\":409}";
	struct kube_error err;

	(void)state;
	assert_int_equal(kube_status_parse("POST", "/api/v1/namespaces/default/configmaps", 409,
					   body, sizeof(body) - 1, &err),
			 -EEXIST);
	assert_string_equal(err.reason, "AlreadyExists");
}

static void test_status_parse_unauthorized_hint(void **state)
{
	static const char body[] = "{\"kind\":\"Status\",\"reason\":\"Unauthorized\","
				   "\"message\":\"Unauthorized\",\"code\":401}";
	struct kube_error err;

	(void)state;
	assert_int_equal(kube_status_parse("GET", "/api/v1/nodes", 401, body, sizeof(body) - 1,
					   &err),
			 -EACCES);
	assert_string_equal(err.message,
			    "GET /api/v1/nodes: 401 Unauthorized: Unauthorized (no valid "
			    "credentials: check the kubeconfig's user token or client certificate)");
}

static void test_status_parse_not_json(void **state)
{
	static const char body[] = "<html>bad gateway</html>";
	struct kube_error err;

	(void)state;
	assert_int_equal(kube_status_parse("GET", "/api/v1/pods", 502, body, sizeof(body) - 1,
					   &err),
			 -EIO);
	assert_int_equal(err.code, 502);
	assert_string_equal(err.reason, "Unknown");
	assert_non_null(strstr(err.message, "502 Unknown: (no message)"));
	/* empty body, a 404 keeps its default reason */
	assert_int_equal(kube_status_parse("GET", "/x", 404, NULL, 0, &err), -ENOENT);
	assert_string_equal(err.reason, "NotFound");
	/* a JSON array is not a Status either; err may be NULL */
	assert_int_equal(kube_status_parse("GET", "/x", 410, "[1]", 3, NULL), -ESTALE);
}

static void test_status_message_one_line(void **state)
{
	static const char body[] = "{\"reason\":\"Invalid\",\"message\":\"spec.cidr: bad\\nsecond\","
				   "\"code\":422}";
	struct kube_error err;

	(void)state;
	assert_int_equal(kube_status_parse("POST", "/p", 422, body, sizeof(body) - 1, &err),
			 -EINVAL);
	assert_null(strchr(err.message, '\n'));
	assert_string_equal(err.message, "POST /p: 422 Invalid: spec.cidr: bad");
}

static void test_status_transport_error(void **state)
{
	struct kube_error err;

	(void)state;
	kube_error_transport(&err, "GET", "/api/v1/pods", -ECONNREFUSED,
			     "connection refused: Failed to connect");
	assert_int_equal(err.code, 0);
	assert_string_equal(err.message, "GET /api/v1/pods: connection refused: Failed to connect");
	kube_error_transport(&err, "GET", "/p", -ETIMEDOUT, "");
	assert_non_null(strstr(err.message, "timed out"));
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_status_errno_mapping),
	cmocka_unit_test(test_status_parse_conflict),
	cmocka_unit_test(test_status_parse_already_exists),
	cmocka_unit_test(test_status_parse_unauthorized_hint),
	cmocka_unit_test(test_status_parse_not_json),
	cmocka_unit_test(test_status_message_one_line),
	cmocka_unit_test(test_status_transport_error),
};

TWILL_TEST_MAIN(tests)
