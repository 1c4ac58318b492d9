/* felix/object_trim: what felix keeps of cached Pods, Namespaces and
 * NetworkPolicies (the model parses the trimmed object to the same struct
 * as the full one; the bulk goes), and which pod events touch routes. */
#include "twill_test.h"

#include <stdlib.h>

#include <json-c/json.h>

#include "model/namespace.h"
#include "model/networkpolicy.h"
#include "model/pod.h"
#include "object_trim.h"

static const char *const FULL_POD =
	"{\"apiVersion\":\"v1\",\"kind\":\"Pod\","
	"\"metadata\":{\"name\":\"web-1\",\"namespace\":\"shop\",\"uid\":\"u-1\","
	"\"resourceVersion\":\"42\",\"generation\":3,"
	"\"creationTimestamp\":\"2026-01-01T00:00:00Z\","
	"\"labels\":{\"app\":\"web\",\"tier\":\"front\"},"
	"\"annotations\":{\"twill.dev/podIPs\":\"10.0.0.5\","
	"\"kubectl.kubernetes.io/last-applied-configuration\":\"{...big...}\"},"
	"\"ownerReferences\":[{\"kind\":\"ReplicaSet\",\"name\":\"web\"}],"
	"\"managedFields\":[{\"manager\":\"kubectl\",\"fieldsV1\":{\"f:spec\":{}}}]},"
	"\"spec\":{\"nodeName\":\"n1\",\"hostNetwork\":false,\"serviceAccountName\":\"default\","
	"\"volumes\":[{\"name\":\"token\",\"projected\":{}}],"
	"\"containers\":[{\"name\":\"main\",\"image\":\"nginx\",\"args\":[\"-g\"],"
	"\"env\":[{\"name\":\"A\",\"value\":\"b\"}],"
	"\"ports\":[{\"name\":\"http\",\"containerPort\":8080,\"protocol\":\"TCP\"}]}],"
	"\"tolerations\":[{\"key\":\"k\"}]},"
	"\"status\":{\"phase\":\"Running\",\"podIP\":\"10.0.0.5\","
	"\"podIPs\":[{\"ip\":\"10.0.0.5\"}],\"hostIP\":\"192.168.1.1\","
	"\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}],"
	"\"containerStatuses\":[{\"name\":\"main\",\"ready\":true}]}}";

static json_object *parse(const char *text)
{
	json_object *o = json_tokener_parse(text);

	assert_non_null(o);
	return o;
}

static bool has_path(json_object *o, const char *a, const char *b)
{
	json_object *v;

	if (!json_object_object_get_ex(o, a, &v))
		return false;
	return !b || json_object_object_get_ex(v, b, NULL);
}

static void test_pod_trim_keeps_what_felix_reads(void **state)
{
	json_object *full = parse(FULL_POD), *trimmed = parse(FULL_POD);
	struct pod a = { 0 }, b = { 0 };
	struct model_errors ea = MODEL_ERRORS_INIT, eb = MODEL_ERRORS_INIT;
	json_object *c0;

	(void)state;
	felix_trim_pod(trimmed);
	assert_int_equal(pod_from_json(full, &a, &ea), 0);
	assert_int_equal(pod_from_json(trimmed, &b, &eb), 0);
	assert_false(model_errors_failed(&eb));
	assert_string_equal(b.meta.name, "web-1");
	assert_string_equal(b.meta.namespace, "shop");
	assert_string_equal(b.meta.resource_version, "42");
	assert_string_equal(b.node_name, a.node_name);
	assert_int_equal(b.host_network, a.host_network);
	assert_string_equal(b.phase, "Running");
	assert_string_equal(b.pod_ip, "10.0.0.5");
	assert_int_equal(b.pod_ip_count, 1);
	assert_int_equal(b.container_count, 1);
	assert_int_equal(b.containers[0].port_count, 1);
	assert_string_equal(b.containers[0].ports[0].name, "http");
	assert_int_equal(b.containers[0].ports[0].container_port, 8080);
	assert_string_equal(labels_get(&b.meta.labels, "app"), "web");
	assert_string_equal(labels_get(&b.meta.annotations, "twill.dev/podIPs"), "10.0.0.5");
	assert_null(labels_get(&b.meta.annotations,
			       "kubectl.kubernetes.io/last-applied-configuration"));
	/* the bulk is gone */
	assert_false(has_path(json_object_object_get(trimmed, "metadata"), "managedFields", NULL));
	assert_false(has_path(json_object_object_get(trimmed, "metadata"), "ownerReferences",
			      NULL));
	assert_false(has_path(trimmed, "spec", "volumes"));
	assert_false(has_path(trimmed, "spec", "tolerations"));
	assert_false(has_path(trimmed, "status", "conditions"));
	assert_false(has_path(trimmed, "status", "hostIP"));
	c0 = json_object_array_get_idx(
		json_object_object_get(json_object_object_get(trimmed, "spec"), "containers"), 0);
	assert_false(json_object_object_get_ex(c0, "image", NULL));
	assert_false(json_object_object_get_ex(c0, "env", NULL));
	assert_true(strlen(json_object_to_json_string(trimmed)) <
		    strlen(json_object_to_json_string(full)) / 2);
	pod_free(&a);
	pod_free(&b);
	model_errors_free(&ea);
	model_errors_free(&eb);
	json_object_put(full);
	json_object_put(trimmed);
}

/* More keys to drop than one pass holds: all of them still go. */
static void test_trim_many_annotations(void **state)
{
	json_object *o = parse("{\"apiVersion\":\"v1\",\"kind\":\"Namespace\","
			       "\"metadata\":{\"name\":\"x\",\"labels\":{\"a\":\"1\"}},"
			       "\"status\":{\"phase\":\"Active\"}}");
	json_object *meta = json_object_object_get(o, "metadata"), *ann = json_object_new_object();
	struct k8s_namespace ns = { 0 };
	struct model_errors errs = MODEL_ERRORS_INIT;
	char key[64];
	int i;

	(void)state;
	for (i = 0; i < 200; i++) {
		snprintf(key, sizeof(key), "example.com/k%d", i);
		json_object_object_add(ann, key, json_object_new_string("v"));
	}
	json_object_object_add(ann, "twill.dev/keep", json_object_new_string("yes"));
	json_object_object_add(meta, "annotations", ann);
	felix_trim_object(o);
	assert_int_equal(json_object_object_length(ann), 1);
	assert_false(json_object_object_get_ex(o, "status", NULL));
	assert_int_equal(namespace_from_json(o, &ns, &errs), 0);
	assert_string_equal(labels_get(&ns.meta.labels, "a"), "1");
	namespace_free(&ns);
	model_errors_free(&errs);
	json_object_put(o);
}

static void test_policy_trim_keeps_spec(void **state)
{
	const char *text =
		"{\"apiVersion\":\"networking.k8s.io/v1\",\"kind\":\"NetworkPolicy\","
		"\"metadata\":{\"name\":\"p\",\"namespace\":\"x\",\"resourceVersion\":\"7\","
		"\"annotations\":{\"kubectl.kubernetes.io/last-applied-configuration\":\"{}\"},"
		"\"managedFields\":[{}]},"
		"\"spec\":{\"podSelector\":{\"matchLabels\":{\"app\":\"db\"}},"
		"\"ingress\":[{\"from\":[{\"podSelector\":{}}],\"ports\":[{\"port\":5432}]}]}}";
	json_object *full = parse(text), *trimmed = parse(text);
	struct networkpolicy a = { 0 }, b = { 0 };
	struct model_errors ea = MODEL_ERRORS_INIT, eb = MODEL_ERRORS_INIT;

	(void)state;
	felix_trim_object(trimmed);
	assert_int_equal(networkpolicy_from_json(full, &a, &ea), 0);
	assert_int_equal(networkpolicy_from_json(trimmed, &b, &eb), 0);
	assert_false(model_errors_failed(&eb));
	assert_string_equal(json_object_to_json_string(json_object_object_get(full, "spec")),
			    json_object_to_json_string(json_object_object_get(trimmed, "spec")));
	assert_false(json_object_object_get_ex(json_object_object_get(trimmed, "metadata"),
					       "managedFields", NULL));
	networkpolicy_free(&a);
	networkpolicy_free(&b);
	model_errors_free(&ea);
	model_errors_free(&eb);
	json_object_put(full);
	json_object_put(trimmed);
}

/* Malformed shapes are dropped, never crash. */
static void test_trim_odd_shapes(void **state)
{
	json_object *o = parse("{\"kind\":\"Pod\",\"metadata\":\"x\",\"spec\":[1],"
			       "\"status\":{\"phase\":3,\"x\":1}}");
	json_object *n = parse("[1,2]");

	(void)state;
	felix_trim_pod(o);
	felix_trim_pod(n);
	felix_trim_object(n);
	felix_trim_pod(NULL);
	assert_false(json_object_object_get_ex(json_object_object_get(o, "status"), "x", NULL));
	json_object_put(o);
	json_object_put(n);
}

static void test_pod_event_is_local(void **state)
{
	json_object *here = parse("{\"metadata\":{\"name\":\"a\"},\"spec\":{\"nodeName\":\"n1\"}}");
	json_object *there = parse("{\"metadata\":{\"name\":\"a\"},\"spec\":{\"nodeName\":\"n2\"}}");
	json_object *unscheduled = parse("{\"metadata\":{\"name\":\"a\"},\"spec\":{}}");

	(void)state;
	assert_true(felix_pod_event_is_local(NULL, here, "n1"));
	assert_true(felix_pod_event_is_local(here, NULL, "n1"));
	assert_false(felix_pod_event_is_local(NULL, there, "n1"));
	assert_false(felix_pod_event_is_local(there, there, "n1"));
	/* scheduled here later: the update concerns us */
	assert_true(felix_pod_event_is_local(unscheduled, here, "n1"));
	assert_false(felix_pod_event_is_local(unscheduled, NULL, "n1"));
	assert_false(felix_pod_event_is_local(here, here, NULL));
	assert_false(felix_pod_event_is_local(here, here, "n"));
	json_object_put(here);
	json_object_put(there);
	json_object_put(unscheduled);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_pod_trim_keeps_what_felix_reads),
	cmocka_unit_test(test_trim_many_annotations),
	cmocka_unit_test(test_policy_trim_keeps_spec),
	cmocka_unit_test(test_trim_odd_shapes),
	cmocka_unit_test(test_pod_event_is_local),
};

TWILL_TEST_MAIN(tests)
