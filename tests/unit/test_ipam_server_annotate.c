/* Unit tests for ipam/server_annotate: the request twill-cni sends (set and
 * clear), every malformed request the worker refuses with a CNI error on
 * stdout, an unusable kubeconfig, and the client's reading of replies. No
 * API request is made (each case fails before one). */
#include "twill_test.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <unistd.h>

#include "server_annotate.h"

/* Runs ipam_server_annotate with stdout captured; returns the exit status
 * and the printed text in out. */
static int run_captured(const char *req, char *out, size_t size)
{
	FILE *tmp = tmpfile();
	int saved = dup(STDOUT_FILENO), status;
	struct ipam_api_cache cache;
	size_t n;

	memset(&cache, 0, sizeof(cache));
	assert_non_null(tmp);
	fflush(stdout);
	assert_true(dup2(fileno(tmp), STDOUT_FILENO) >= 0);
	status = ipam_server_annotate(req, strlen(req), &cache);
	fflush(stdout);
	assert_true(dup2(saved, STDOUT_FILENO) >= 0);
	close(saved);
	rewind(tmp);
	n = fread(out, 1, size - 1, tmp);
	out[n] = '\0';
	fclose(tmp);
	assert_null(cache.client); /* nothing built for a refused request */
	ipam_api_cache_clear(&cache);
	return status;
}

static void test_request_set_and_clear(void **state)
{
	char *set, *clear;
	json_object *o, *v;

	(void)state;
	set = ipam_server_annotate_request("/k", "ns1", "p1", "10.0.0.5", "10.0.0.5,fd00::5",
					   "cid");
	assert_non_null(set);
	o = json_tokener_parse(set);
	assert_non_null(o);
	assert_int_equal(json_object_object_length(o), 6);
	assert_true(json_object_object_get_ex(o, "podIPs", &v));
	assert_string_equal(json_object_get_string(v), "10.0.0.5,fd00::5");
	assert_true(json_object_object_get_ex(o, "kubeconfig", &v));
	assert_string_equal(json_object_get_string(v), "/k");
	json_object_put(o);
	clear = ipam_server_annotate_request("/k", "ns1", "p1", NULL, NULL, NULL);
	o = json_tokener_parse(clear);
	assert_int_equal(json_object_object_length(o), 3);
	assert_false(json_object_object_get_ex(o, "podIP", NULL));
	json_object_put(o);
	free(set);
	free(clear);
}

static void expect_refused(const char *req, const char *msg_part)
{
	char out[2048];
	json_object *o, *v;

	assert_int_equal(run_captured(req, out, sizeof(out)), 1);
	o = json_tokener_parse(out);
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "code", &v));
	assert_int_equal(json_object_get_int(v), CNI_ERR_INVALID_CONFIG);
	assert_true(json_object_object_get_ex(o, "msg", &v));
	if (!strstr(json_object_get_string(v), msg_part))
		fail_msg("msg %s lacks %s", json_object_get_string(v), msg_part);
	json_object_put(o);
}

static void test_bad_requests(void **state)
{
	(void)state;
	expect_refused("not json", "not a JSON object");
	expect_refused("[1]", "not a JSON object");
	expect_refused("{\"kubeconfig\":\"/k\",\"namespace\":\"n\"}", "name: required");
	expect_refused("{\"namespace\":\"n\",\"name\":\"p\"}", "kubeconfig: required");
	expect_refused("{\"kubeconfig\":\"/k\",\"namespace\":\"n\",\"name\":7}",
		       "name: must be a non-empty string");
	expect_refused("{\"kubeconfig\":\"/k\",\"namespace\":\"\",\"name\":\"p\"}",
		       "namespace: must be a non-empty string");
	expect_refused("{\"kubeconfig\":\"/k\",\"namespace\":\"n\",\"name\":\"p\","
		       "\"podIP\":\"10.0.0.1\"}",
		       "podIP, podIPs and containerID go together");
	expect_refused("{\"kubeconfig\":\"/nonexistent/kubeconfig\",\"namespace\":\"n\","
		       "\"name\":\"p\"}",
		       "kubernetes.kubeconfig: ");
}

static void test_reply(void **state)
{
	struct cni_error err;

	(void)state;
	cni_error_clear(&err);
	assert_int_equal(ipam_server_annotate_reply(0, "", &err), 0);
	assert_int_equal(ipam_server_annotate_reply(1, "{\"cniVersion\":\"1.0.0\",\"code\":11,"
						       "\"msg\":\"kubernetes: patching Pod a/b "
						       "failed\",\"details\":\"d\"}", &err),
			 11);
	assert_int_equal(err.code, 11);
	assert_string_equal(err.msg, "kubernetes: patching Pod a/b failed");
	assert_string_equal(err.details, "d");
	cni_error_clear(&err);
	assert_int_equal(ipam_server_annotate_reply(1, "garbage", &err), CNI_ERR_INTERNAL);
	assert_non_null(strstr(err.msg, "without an error object"));
	cni_error_clear(&err);
	assert_int_equal(ipam_server_annotate_reply(1, "{\"code\":0}", &err), CNI_ERR_INTERNAL);
	/* an empty msg (found by fuzz_ipam_server_proto) still gives a message */
	cni_error_clear(&err);
	assert_int_equal(ipam_server_annotate_reply(1, "{\"code\":54,\"msg\":\"\"}", &err), 54);
	assert_string_equal(err.msg, "kubernetes: error without msg");
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_request_set_and_clear),
	cmocka_unit_test(test_bad_requests),
	cmocka_unit_test(test_reply),
};

TWILL_TEST_MAIN(tests)
