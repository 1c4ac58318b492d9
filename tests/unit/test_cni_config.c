/* Unit tests for lib/cni_config (network config parsing, field-named errors)
 * and lib/cni_version (version gates, VERSION output). */
#include "twill_test.h"

#include <errno.h>
#include <stdlib.h>

#include "cni_config.h"
#include "cni_version.h"

#define GOOD "{\"cniVersion\":\"1.0.0\",\"name\":\"k8s-pod-network\",\"type\":\"twill-cni\"," \
	     "\"ipam\":{\"type\":\"host-local\",\"subnet\":\"10.1.0.0/16\"}"

static int parse(const char *text, struct cni_net_config *cfg, struct cni_error *err)
{
	cni_error_clear(err);
	return cni_config_parse(text, strlen(text), cfg, err);
}

/* Parse text expecting failure with code and a message containing needle. */
static void expect_error(const char *text, int code, const char *needle)
{
	struct cni_net_config cfg;
	struct cni_error err;

	assert_int_equal(parse(text, &cfg, &err), -EINVAL);
	assert_int_equal(err.code, code);
	if (!strstr(err.msg, needle))
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, needle);
	assert_null(cfg.root);
}

static void test_config_minimal(void **state)
{
	struct cni_net_config cfg;
	struct cni_error err;

	(void)state;
	assert_int_equal(parse(GOOD "}", &cfg, &err), 0);
	assert_string_equal(cfg.cni_version, "1.0.0");
	assert_string_equal(cfg.name, "k8s-pod-network");
	assert_string_equal(cfg.type, "twill-cni");
	assert_string_equal(cfg.ipam_type, "host-local");
	assert_int_equal(cfg.mtu, 0);
	assert_null(cfg.kubeconfig);
	assert_null(cfg.prev_result);
	cni_config_free(&cfg);
}

static void test_config_all_fields(void **state)
{
	struct cni_net_config cfg;
	struct cni_error err;

	(void)state;
	assert_int_equal(parse(GOOD ",\"mtu\":1450,\"kubernetes\":{\"kubeconfig\":\"/etc/k.conf\"},"
			       "\"log_level\":\"debug\",\"log_file\":\"/tmp/l\","
			       "\"dns\":{\"nameservers\":[\"10.96.0.10\"]},"
			       "\"prevResult\":{\"ips\":[]},\"runtimeConfig\":{\"portMappings\":[]},"
			       "\"extra\":true}", &cfg, &err), 0);
	assert_int_equal(cfg.mtu, 1450);
	assert_string_equal(cfg.kubeconfig, "/etc/k.conf");
	assert_string_equal(cfg.log_level, "debug");
	assert_string_equal(cfg.log_file, "/tmp/l");
	assert_non_null(cfg.dns);
	assert_non_null(cfg.prev_result);
	assert_non_null(cfg.runtime_config);
	/* unknown fields stay in root for the IPAM plugin */
	assert_true(json_object_object_get_ex(cfg.root, "extra", NULL));
	cni_config_free(&cfg);
}

static void test_config_not_json(void **state)
{
	(void)state;
	expect_error("this is not json", CNI_ERR_DECODE, "not valid JSON");
	expect_error("{\"cniVersion\":", CNI_ERR_DECODE, "not valid JSON");
	expect_error("[1,2]", CNI_ERR_DECODE, "must be a JSON object");
	expect_error("{} x", CNI_ERR_DECODE, "not valid JSON");
}

static void test_config_empty(void **state)
{
	struct cni_net_config cfg;
	struct cni_error err;

	(void)state;
	cni_error_clear(&err);
	assert_int_equal(cni_config_parse("", 0, &cfg, &err), -EINVAL);
	assert_int_equal(err.code, CNI_ERR_DECODE);
}

static void test_config_missing_fields(void **state)
{
	(void)state;
	expect_error("{\"cniVersion\":\"1.0.0\",\"type\":\"t\",\"ipam\":{\"type\":\"x\"}}",
		     CNI_ERR_INVALID_CONFIG, "name: required");
	expect_error("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"ipam\":{\"type\":\"x\"}}",
		     CNI_ERR_INVALID_CONFIG, "type: required");
	expect_error("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"t\"}",
		     CNI_ERR_INVALID_CONFIG, "ipam: required");
	expect_error("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"t\",\"ipam\":{}}",
		     CNI_ERR_INVALID_CONFIG, "ipam.type: required");
	expect_error("{\"name\":\"n\",\"type\":\"t\",\"ipam\":{\"type\":\"x\"}}",
		     CNI_ERR_INVALID_CONFIG, "cniVersion: required");
}

static void test_config_wrong_types(void **state)
{
	(void)state;
	expect_error("{\"cniVersion\":\"1.0.0\",\"name\":7,\"type\":\"t\",\"ipam\":{\"type\":\"x\"}}",
		     CNI_ERR_INVALID_CONFIG, "name: must be a string, got int");
	expect_error("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"t\",\"ipam\":\"x\"}",
		     CNI_ERR_INVALID_CONFIG, "ipam: must be an object");
	expect_error(GOOD ",\"kubernetes\":{\"kubeconfig\":5}}", CNI_ERR_INVALID_CONFIG,
		     "kubernetes.kubeconfig: must be a string");
	expect_error(GOOD ",\"runtimeConfig\":[]}", CNI_ERR_INVALID_CONFIG,
		     "runtimeConfig: must be an object");
}

static void test_config_bad_values(void **state)
{
	(void)state;
	expect_error(GOOD ",\"mtu\":40}", CNI_ERR_INVALID_CONFIG, "mtu: must be 0 (auto)");
	expect_error(GOOD ",\"mtu\":\"1500\"}", CNI_ERR_INVALID_CONFIG, "mtu: must be an integer");
	expect_error(GOOD ",\"log_level\":\"loud\"}", CNI_ERR_INVALID_CONFIG, "log_level");
	expect_error("{\"cniVersion\":\"1.0.0\",\"name\":\"-bad\",\"type\":\"t\","
		     "\"ipam\":{\"type\":\"x\"}}", CNI_ERR_INVALID_CONFIG, "name: \"-bad\"");
	expect_error("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"t\","
		     "\"ipam\":{\"type\":\"../../bin/sh\"}}", CNI_ERR_INVALID_CONFIG,
		     "ipam.type: \"../../bin/sh\" must be a plugin name");
}

static void test_config_unknown_version(void **state)
{
	(void)state;
	expect_error("{\"cniVersion\":\"0.2.0\",\"name\":\"n\",\"type\":\"t\","
		     "\"ipam\":{\"type\":\"x\"}}", CNI_ERR_INCOMPATIBLE_VERSION,
		     "cniVersion: \"0.2.0\" is not supported");
	expect_error("{\"cniVersion\":\"9.9.9\",\"name\":\"n\",\"type\":\"t\"}",
		     CNI_ERR_INCOMPATIBLE_VERSION, "supported: 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0");
}

static void test_config_version_only(void **state)
{
	struct cni_error err;
	char *v = NULL;

	(void)state;
	cni_error_clear(&err);
	assert_int_equal(cni_config_version_only("  \n", 3, &v, &err), 0);
	assert_null(v);
	assert_int_equal(cni_config_version_only("{\"cniVersion\":\"0.4.0\"}", 22, &v, &err), 0);
	assert_string_equal(v, "0.4.0");
	free(v);
	assert_int_equal(cni_config_version_only("nope", 4, &v, &err), -EINVAL);
	assert_int_equal(err.code, CNI_ERR_DECODE);
}

static void test_config_with_version(void **state)
{
	struct cni_net_config cfg;
	struct cni_error err;
	char *text;

	(void)state;
	assert_int_equal(parse("{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"type\":\"t\","
			       "\"ipam\":{\"type\":\"x\",\"dataDir\":\"/d\"}}", &cfg, &err), 0);
	text = cni_config_with_version(&cfg, "1.0.0");
	assert_non_null(text);
	assert_non_null(strstr(text, "\"cniVersion\":\"1.0.0\""));
	assert_non_null(strstr(text, "\"dataDir\""));
	/* the parsed config itself is unchanged */
	assert_string_equal(cfg.cni_version, "1.1.0");
	free(text);
	cni_config_free(&cfg);
}

static void test_version_parse_compare(void **state)
{
	struct cni_version a, b;

	(void)state;
	assert_int_equal(cni_version_parse("0.3.1", &a), 0);
	assert_int_equal(cni_version_parse("1.0.0", &b), 0);
	assert_true(cni_version_compare(&a, &b) < 0);
	assert_int_equal(cni_version_parse("0.10.0", &b), 0);
	assert_true(cni_version_compare(&a, &b) < 0);
	assert_int_equal(cni_version_parse("1.0", &a), -EINVAL);
	assert_int_equal(cni_version_parse("1.0.0.0", &a), -EINVAL);
	assert_int_equal(cni_version_parse("01.0.0", &a), -EINVAL);
	assert_int_equal(cni_version_parse("v1.0.0", &a), -EINVAL);
	assert_int_equal(cni_version_parse(NULL, &a), -EINVAL);
}

static void test_version_gates(void **state)
{
	(void)state;
	assert_false(cni_version_has_check("0.3.1"));
	assert_true(cni_version_has_check("0.4.0"));
	assert_true(cni_version_has_check("1.1.0"));
	assert_false(cni_version_has_gc_status("1.0.0"));
	assert_true(cni_version_has_gc_status("1.1.0"));
	assert_true(cni_version_has_ip_version_field("0.4.0"));
	assert_false(cni_version_has_ip_version_field("1.0.0"));
	assert_false(cni_version_has_v11_fields("1.0.0"));
	assert_true(cni_version_supported("0.3.0"));
	assert_false(cni_version_supported("0.2.0"));
	assert_false(cni_version_supported("1.0"));
	assert_false(cni_version_at_least("garbage", "0.1.0"));
}

static void test_version_info_json(void **state)
{
	char *text;

	(void)state;
	text = cni_version_info_json("0.4.0");
	assert_non_null(text);
	assert_string_equal(text, "{\"cniVersion\":\"0.4.0\",\"supportedVersions\":"
				  "[\"0.3.0\",\"0.3.1\",\"0.4.0\",\"1.0.0\",\"1.1.0\"]}");
	free(text);
	text = cni_version_info_json(NULL);
	assert_non_null(strstr(text, "\"cniVersion\":\"1.1.0\""));
	free(text);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_config_minimal),
	cmocka_unit_test(test_config_all_fields),
	cmocka_unit_test(test_config_not_json),
	cmocka_unit_test(test_config_empty),
	cmocka_unit_test(test_config_missing_fields),
	cmocka_unit_test(test_config_wrong_types),
	cmocka_unit_test(test_config_bad_values),
	cmocka_unit_test(test_config_unknown_version),
	cmocka_unit_test(test_config_version_only),
	cmocka_unit_test(test_config_with_version),
	cmocka_unit_test(test_version_parse_compare),
	cmocka_unit_test(test_version_gates),
	cmocka_unit_test(test_version_info_json),
};

TWILL_TEST_MAIN(tests)
