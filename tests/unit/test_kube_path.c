/* Unit tests for kube_client path and query building. */
#include "twill_test.h"

#include <errno.h>

#include "kube_client.h"

static const struct kube_resource configmaps = { "", "v1", "configmaps", true };
static const struct kube_resource nodes = { NULL, "v1", "nodes", false };
static const struct kube_resource ippools = { "twill.dev", "v1", "ippools", false };
static const struct kube_resource netpols = { "networking.k8s.io", "v1", "networkpolicies", true };

static void test_path_core_namespaced(void **state)
{
	char buf[256];

	(void)state;
	assert_int_equal(kube_path(buf, sizeof(buf), &configmaps, "kube-system", NULL), 0);
	assert_string_equal(buf, "/api/v1/namespaces/kube-system/configmaps");
	assert_int_equal(kube_path(buf, sizeof(buf), &configmaps, "default", "cfg.1"), 0);
	assert_string_equal(buf, "/api/v1/namespaces/default/configmaps/cfg.1");
	/* all namespaces */
	assert_int_equal(kube_path(buf, sizeof(buf), &configmaps, NULL, NULL), 0);
	assert_string_equal(buf, "/api/v1/configmaps");
	/* an object of a namespaced resource needs its namespace */
	assert_int_equal(kube_path(buf, sizeof(buf), &configmaps, NULL, "x"), -EINVAL);
}

static void test_path_cluster_and_group(void **state)
{
	char buf[256];

	(void)state;
	assert_int_equal(kube_path(buf, sizeof(buf), &nodes, NULL, "node-1"), 0);
	assert_string_equal(buf, "/api/v1/nodes/node-1");
	/* a namespace given for a cluster resource is ignored */
	assert_int_equal(kube_path(buf, sizeof(buf), &ippools, "default", "pool-a"), 0);
	assert_string_equal(buf, "/apis/twill.dev/v1/ippools/pool-a");
	assert_int_equal(kube_path(buf, sizeof(buf), &netpols, "ns1", NULL), 0);
	assert_string_equal(buf, "/apis/networking.k8s.io/v1/namespaces/ns1/networkpolicies");
}

static void test_path_escaping_and_errors(void **state)
{
	char buf[256];
	struct kube_resource bad = { "", NULL, "pods", true };

	(void)state;
	assert_int_equal(kube_path(buf, sizeof(buf), &configmaps, "default", "a/b c"), 0);
	assert_string_equal(buf, "/api/v1/namespaces/default/configmaps/a%2Fb%20c");
	assert_int_equal(kube_path(buf, sizeof(buf), &bad, "default", NULL), -EINVAL);
	assert_int_equal(kube_path(buf, sizeof(buf), &configmaps, "", NULL), -EINVAL);
	assert_int_equal(kube_path(buf, sizeof(buf), &configmaps, "default", ""), -EINVAL);
	/* too small: refused, never truncated */
	assert_int_equal(kube_path(buf, 12, &configmaps, "default", "x"), -ENAMETOOLONG);
	assert_string_equal(buf, "");
}

static void test_query_escaping(void **state)
{
	char buf[256] = "/api/v1/pods";

	(void)state;
	assert_int_equal(kube_query_append(buf, sizeof(buf), "labelSelector",
					   "app in (a,b),tier!=db"), 0);
	assert_string_equal(buf, "/api/v1/pods?labelSelector=app%20in%20%28a%2Cb%29%2Ctier%21%3Ddb");
	assert_int_equal(kube_query_append(buf, sizeof(buf), "fieldSelector",
					   "spec.nodeName=node-1"), 0);
	assert_non_null(strstr(buf, "&fieldSelector=spec.nodeName%3Dnode-1"));
	/* continue tokens are base64: '+', '/' and '=' must be escaped */
	strcpy(buf, "/p");
	assert_int_equal(kube_query_append(buf, sizeof(buf), "continue", "ab+/="), 0);
	assert_string_equal(buf, "/p?continue=ab%2B%2F%3D");
}

static void test_query_too_long_unchanged(void **state)
{
	char buf[24] = "/api/v1/pods";

	(void)state;
	assert_int_equal(kube_query_append(buf, sizeof(buf), "labelSelector", "a=b"),
			 -ENAMETOOLONG);
	assert_string_equal(buf, "/api/v1/pods");
}

static void test_object_meta_accessors(void **state)
{
	json_object *obj = json_tokener_parse(
		"{\"metadata\":{\"name\":\"n\",\"namespace\":\"ns\",\"resourceVersion\":\"42\"}}");
	json_object *bare = json_tokener_parse("{\"metadata\":{\"name\":7}}");

	(void)state;
	assert_string_equal(kube_object_name(obj), "n");
	assert_string_equal(kube_object_namespace(obj), "ns");
	assert_string_equal(kube_object_resource_version(obj), "42");
	assert_null(kube_object_name(bare));
	assert_null(kube_object_resource_version(bare));
	assert_null(kube_object_name(NULL));
	json_object_put(obj);
	json_object_put(bare);
}

static void test_client_new_requires_ca(void **state)
{
	struct kube_config cfg = { 0 };
	struct kube_client *c = (struct kube_client *)1;

	(void)state;
	cfg.server = "https://127.0.0.1:6443";
	assert_int_equal(kube_client_new(&cfg, &c), -EINVAL);
	assert_null(c);
	cfg.ca_data = "-----BEGIN CERTIFICATE-----\n";
	cfg.server = NULL;
	assert_int_equal(kube_client_new(&cfg, &c), -EINVAL);
	cfg.server = "https://127.0.0.1:6443/";
	cfg.token_file = "/nonexistent/token";
	assert_int_equal(kube_client_new(&cfg, &c), -EINVAL);
	cfg.token_file = NULL;
	assert_int_equal(kube_client_new(&cfg, &c), 0);
	assert_string_equal(kube_client_namespace(c), "default");
	kube_client_free(c);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_path_core_namespaced),
	cmocka_unit_test(test_path_cluster_and_group),
	cmocka_unit_test(test_path_escaping_and_errors),
	cmocka_unit_test(test_query_escaping),
	cmocka_unit_test(test_query_too_long_unchanged),
	cmocka_unit_test(test_object_meta_accessors),
	cmocka_unit_test(test_client_new_requires_ca),
};

TWILL_TEST_MAIN(tests)
