/* Unit tests for ipam/plugin_config and ipam/plugin_result: the ipam
 * section of the network config, node name sources, annotation pools, ADD
 * results in every version and the error mapping. */
#include "twill_test.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include <json-c/json.h>

#include "plugin_config.h"
#include "plugin_result.h"

static int parse(const char *text, struct ipam_plugin_config *cfg, struct cni_error *err)
{
	json_object *root = json_tokener_parse(text);
	int rc;

	assert_non_null(root);
	cni_error_clear(err);
	rc = ipam_plugin_config_parse(root, cfg, err);
	json_object_put(root);
	return rc;
}

static void test_defaults_and_fields(void **state)
{
	struct ipam_plugin_config cfg;
	struct cni_error err;

	(void)state;
	assert_int_equal(parse("{\"ipam\":{\"type\":\"twill-ipam\"}}", &cfg, &err), 0);
	assert_true(cfg.assign_ipv4);
	assert_false(cfg.assign_ipv6);
	assert_null(cfg.kubeconfig);
	assert_null(cfg.pools_v4);
	assert_int_equal(cfg.timeout_seconds, 30);
	assert_string_equal(cfg.lock_dir, "/var/run/twill");
	ipam_plugin_config_free(&cfg);

	/* lock_dir: a directory of one's own, or "" for no host lock */
	assert_int_equal(parse("{\"ipam\":{\"type\":\"twill-ipam\",\"lock_dir\":\"/tmp/l\"}}",
			       &cfg, &err), 0);
	assert_string_equal(cfg.lock_dir, "/tmp/l");
	ipam_plugin_config_free(&cfg);
	assert_int_equal(parse("{\"ipam\":{\"type\":\"twill-ipam\",\"lock_dir\":\"\"}}", &cfg,
			       &err), 0);
	assert_string_equal(cfg.lock_dir, "");
	ipam_plugin_config_free(&cfg);

	assert_int_equal(parse("{\"kubernetes\":{\"kubeconfig\":\"/top\"},\"ipam\":{\"type\":"
			       "\"twill-ipam\",\"nodename\":\"n1\",\"ipv4_pools\":[\"a\","
			       "\"10.0.0.0/16\"],\"ipv6_pools\":[\"v6\"],\"assign_ipv6\":true,"
			       "\"log_level\":\"debug\",\"timeout_seconds\":5}}",
			       &cfg, &err), 0);
	assert_string_equal(cfg.kubeconfig, "/top");
	assert_string_equal(cfg.nodename, "n1");
	assert_int_equal(cfg.pools_v4_count, 2);
	assert_string_equal(cfg.pools_v4[1], "10.0.0.0/16");
	assert_null(cfg.pools_v4[2]);
	assert_int_equal(cfg.pools_v6_count, 1);
	assert_true(cfg.assign_ipv6);
	assert_int_equal(cfg.timeout_seconds, 5);
	ipam_plugin_config_free(&cfg);

	/* ipam.kubeconfig wins over kubernetes.kubeconfig */
	assert_int_equal(parse("{\"kubernetes\":{\"kubeconfig\":\"/top\"},\"ipam\":{\"type\":"
			       "\"twill-ipam\",\"kubeconfig\":\"/own\"}}", &cfg, &err), 0);
	assert_string_equal(cfg.kubeconfig, "/own");
	ipam_plugin_config_free(&cfg);
}

static void expect_error(const char *text, const char *field)
{
	struct ipam_plugin_config cfg;
	struct cni_error err;

	assert_int_equal(parse(text, &cfg, &err), -EINVAL);
	assert_int_equal(err.code, CNI_ERR_INVALID_CONFIG);
	if (!strstr(err.msg, field))
		fail_msg("'%s' does not name %s", err.msg, field);
	ipam_plugin_config_free(&cfg);
}

static void test_errors_name_the_field(void **state)
{
	(void)state;
	expect_error("{}", "ipam");
	expect_error("{\"ipam\":{\"type\":\"host-local\"}}", "ipam.type");
	expect_error("{\"ipam\":{\"type\":\"twill-ipam\",\"ipv4_pools\":\"a\"}}",
		     "ipam.ipv4_pools");
	expect_error("{\"ipam\":{\"type\":\"twill-ipam\",\"ipv6_pools\":[\"\"]}}",
		     "ipam.ipv6_pools[0]");
	expect_error("{\"ipam\":{\"type\":\"twill-ipam\",\"assign_ipv4\":\"yes\"}}",
		     "ipam.assign_ipv4");
	expect_error("{\"ipam\":{\"type\":\"twill-ipam\",\"assign_ipv4\":false}}",
		     "nothing to assign");
	expect_error("{\"ipam\":{\"type\":\"twill-ipam\",\"nodename\":7}}", "ipam.nodename");
	expect_error("{\"ipam\":{\"type\":\"twill-ipam\",\"log_level\":\"loud\"}}",
		     "ipam.log_level");
	expect_error("{\"ipam\":{\"type\":\"twill-ipam\",\"timeout_seconds\":0}}",
		     "ipam.timeout_seconds");
	expect_error("{\"ipam\":{\"type\":\"twill-ipam\",\"lock_dir\":\"run/twill\"}}",
		     "ipam.lock_dir");
	expect_error("{\"ipam\":{\"type\":\"twill-ipam\",\"lock_dir\":1}}", "ipam.lock_dir");
}

static void test_socket(void **state)
{
	struct ipam_plugin_config cfg;
	struct cni_error err;
	char buf[128], long_path[140];
	const char *ok = "{\"ipam\":{\"type\":\"twill-ipam\",\"socket\":\"/run/t/ipam.sock\"}}";

	(void)state;
	assert_int_equal(parse("{\"ipam\":{\"type\":\"twill-ipam\"}}", &cfg, &err), 0);
	assert_null(cfg.socket); /* default: no server */
	ipam_plugin_config_free(&cfg);
	assert_int_equal(parse(ok, &cfg, &err), 0);
	assert_string_equal(cfg.socket, "/run/t/ipam.sock");
	ipam_plugin_config_free(&cfg);
	assert_int_equal(parse("{\"ipam\":{\"type\":\"twill-ipam\",\"socket\":\"\"}}", &cfg,
			       &err), 0);
	assert_null(cfg.socket);
	ipam_plugin_config_free(&cfg);
	assert_int_equal(parse("{\"ipam\":{\"type\":\"twill-ipam\",\"socket\":\"x.sock\"}}",
			       &cfg, &err), -EINVAL);
	assert_int_equal(err.code, 7);
	assert_non_null(strstr(err.msg, "ipam.socket"));
	ipam_plugin_config_free(&cfg);
	assert_int_equal(parse("{\"ipam\":{\"type\":\"twill-ipam\",\"socket\":3}}", &cfg,
			       &err), -EINVAL);
	assert_non_null(strstr(err.msg, "ipam.socket"));
	ipam_plugin_config_free(&cfg);

	/* the light extraction the plugin does before anything else */
	assert_int_equal(ipam_plugin_socket_path(ok, strlen(ok), buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/run/t/ipam.sock");
	assert_int_equal(ipam_plugin_socket_path(ok, strlen(ok), buf, 8), -ENAMETOOLONG);
	assert_int_equal(ipam_plugin_socket_path("{\"ipam\":{}}", 11, buf, sizeof(buf)), -ENOENT);
	assert_int_equal(ipam_plugin_socket_path("not json", 8, buf, sizeof(buf)), -ENOENT);
	assert_int_equal(ipam_plugin_socket_path("", 0, buf, sizeof(buf)), -ENOENT);
	assert_int_equal(ipam_plugin_socket_path("{\"ipam\":{\"socket\":\"\"}}", 24, buf,
						 sizeof(buf)), -ENOENT);
	assert_int_equal(ipam_plugin_socket_path("{\"ipam\":{\"socket\":\"r\"}}", 25, buf,
						 sizeof(buf)), -EINVAL);
	memset(long_path, 'a', sizeof(long_path) - 1);
	long_path[0] = '/';
	long_path[sizeof(long_path) - 1] = '\0';
	snprintf(buf, sizeof(buf), "x");
	{
		char text[256];

		snprintf(text, sizeof(text), "{\"ipam\":{\"socket\":\"%s\"}}", long_path);
		assert_int_equal(ipam_plugin_socket_path(text, strlen(text), buf, sizeof(buf)),
				 -ENAMETOOLONG);
		snprintf(text, sizeof(text), "{\"ipam\":{\"type\":\"twill-ipam\",\"socket\":\"%s\"}}",
			 long_path);
		assert_int_equal(parse(text, &cfg, &err), -EINVAL);
		ipam_plugin_config_free(&cfg);
	}
}

static void test_nodename_sources(void **state)
{
	struct ipam_plugin_config cfg;
	char path[] = "/tmp/twill-nodename-XXXXXX", buf[64], host[64];
	int fd;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	cfg.nodename = "from-config";
	assert_int_equal(ipam_plugin_nodename(&cfg, "/nonexistent", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "from-config");
	assert_int_equal(ipam_plugin_nodename(&cfg, NULL, buf, 4), -ENOSPC);
	cfg.nodename = NULL;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "file-node\n", 10), 10);
	close(fd);
	assert_int_equal(ipam_plugin_nodename(&cfg, path, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "file-node");
	unlink(path);
	assert_int_equal(ipam_plugin_nodename(&cfg, path, buf, sizeof(buf)), 0);
	assert_int_equal(gethostname(host, sizeof(host)), 0);
	assert_string_equal(buf, host);
}

static void test_annotation_pools(void **state)
{
	json_object *pod = json_tokener_parse(
		"{\"metadata\":{\"annotations\":{\"twill.dev/ipv4pools\":\"[\\\"p1\\\"]\"}}}");
	json_object *ns = json_tokener_parse(
		"{\"metadata\":{\"annotations\":{\"twill.dev/ipv4pools\":\"[\\\"n1\\\",\\\"n2\\\"]\","
		"\"twill.dev/ipv6pools\":\"[\\\"v6\\\"]\"}}}");
	json_object *bad = json_tokener_parse(
		"{\"metadata\":{\"annotations\":{\"twill.dev/ipv4pools\":\"p1\"}}}");
	struct cni_error err;
	char **v4, **v6;
	size_t n4, n6;

	(void)state;
	cni_error_clear(&err);
	assert_int_equal(ipam_plugin_pools_from_annotations(pod, ns, &v4, &n4, &v6, &n6, &err), 0);
	assert_int_equal(n4, 1);
	assert_string_equal(v4[0], "p1");
	assert_int_equal(n6, 1); /* the pod says nothing about v6: namespace's */
	assert_string_equal(v6[0], "v6");
	ipam_plugin_pools_free(v4, n4);
	ipam_plugin_pools_free(v6, n6);
	assert_int_equal(ipam_plugin_pools_from_annotations(NULL, ns, &v4, &n4, &v6, &n6, &err), 0);
	assert_int_equal(n4, 2);
	ipam_plugin_pools_free(v4, n4);
	ipam_plugin_pools_free(v6, n6);
	assert_int_equal(ipam_plugin_pools_from_annotations(NULL, NULL, &v4, &n4, &v6, &n6, &err),
			 0);
	assert_null(v4);
	assert_null(v6);
	assert_int_equal(ipam_plugin_pools_from_annotations(bad, ns, &v4, &n4, &v6, &n6, &err),
			 -EINVAL);
	assert_non_null(strstr(err.msg, "pod annotation twill.dev/ipv4pools"));
	json_object_put(pod);
	json_object_put(ns);
	json_object_put(bad);
}

static void one_result(const char *version, const char *expect)
{
	struct ipam_result res;
	struct cni_result r;
	json_object *obj;

	memset(&res, 0, sizeof(res));
	res.count = 2;
	assert_int_equal(ip_parse("10.1.2.3", &res.addrs[0].addr), 0);
	assert_int_equal(ip_parse("fd00::5", &res.addrs[1].addr), 0);
	assert_int_equal(ipam_plugin_result_build(&res, &r), 0);
	obj = cni_result_to_json(&r, version);
	assert_non_null(obj);
	assert_string_equal(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
							    JSON_C_TO_STRING_NOSLASHESCAPE),
			    expect);
	json_object_put(obj);
	cni_result_free(&r);
}

static void test_result_every_version(void **state)
{
	(void)state;
	one_result("0.3.1", "{\"cniVersion\":\"0.3.1\",\"ips\":[{\"version\":\"4\",\"address\":"
			    "\"10.1.2.3/32\"},{\"version\":\"6\",\"address\":\"fd00::5/128\"}],"
			    "\"routes\":[{\"dst\":\"0.0.0.0/0\"},{\"dst\":\"::/0\"}],\"dns\":{}}");
	one_result("1.1.0", "{\"cniVersion\":\"1.1.0\",\"ips\":[{\"address\":\"10.1.2.3/32\"},"
			    "{\"address\":\"fd00::5/128\"}],\"routes\":[{\"dst\":\"0.0.0.0/0\"},"
			    "{\"dst\":\"::/0\"}],\"dns\":{}}");
}

static void test_error_mapping(void **state)
{
	struct cni_error err;

	(void)state;
	cni_error_clear(&err);
	assert_int_equal(ipam_plugin_error(-ECONNREFUSED, "assigning", "GET /x: refused",
					   "https://10.0.0.1:6443", &err), CNI_ERR_TRY_AGAIN);
	assert_string_equal(err.msg, "API server unreachable at https://10.0.0.1:6443: "
				     "connection refused (while assigning)");
	assert_string_equal(err.details, "GET /x: refused");
	cni_error_clear(&err);
	assert_int_equal(ipam_plugin_error(-ETIMEDOUT, "a", "", "https://s", &err),
			 CNI_ERR_TRY_AGAIN);
	assert_non_null(strstr(err.msg, "timed out"));
	cni_error_clear(&err);
	assert_int_equal(ipam_plugin_error(-EPROTO, "a", "SSL problem", "https://s", &err),
			 CNI_ERR_IO);
	assert_non_null(strstr(err.msg, "TLS error talking to https://s"));
	assert_non_null(strstr(err.msg, "kubeconfig's CA"));
	cni_error_clear(&err);
	ipam_plugin_error(-EACCES, "a", "401", "https://s", &err);
	assert_non_null(strstr(err.msg, "401 Unauthorized"));
	assert_non_null(strstr(err.msg, "token"));
	cni_error_clear(&err);
	ipam_plugin_error(-EPERM, "updating IPAMBlock", "forbidden", "https://s", &err);
	assert_non_null(strstr(err.msg, "403 Forbidden"));
	assert_non_null(strstr(err.msg, "RBAC"));
	cni_error_clear(&err);
	assert_int_equal(ipam_plugin_error(-ENOSPC, "a", "pool \"p\" full", NULL, &err),
			 IPAM_CNI_ERR_EXHAUSTED);
	assert_string_equal(err.msg, "pool \"p\" full");
	cni_error_clear(&err);
	assert_int_equal(ipam_plugin_error(-EAGAIN, "a", "gave up", NULL, &err),
			 CNI_ERR_TRY_AGAIN);
	cni_error_clear(&err);
	assert_int_equal(ipam_plugin_error(-ENOENT, "a", "no pool", NULL, &err),
			 IPAM_CNI_ERR_NO_POOL);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_defaults_and_fields),
	cmocka_unit_test(test_errors_name_the_field),
	cmocka_unit_test(test_socket),
	cmocka_unit_test(test_nodename_sources),
	cmocka_unit_test(test_annotation_pools),
	cmocka_unit_test(test_result_every_version),
	cmocka_unit_test(test_error_mapping),
};

TWILL_TEST_MAIN(tests)
