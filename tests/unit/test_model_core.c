/* Unit tests for the core Kubernetes kinds (Node, Pod, Namespace,
 * NetworkPolicy, Secret), the kind dispatcher, the resource table, and a
 * sweep over every sample object: each validates clean and round-trips. */
#include "twill_test.h"
#include "test_json.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>

#include "model/model.h"
#include "model/namespace.h"
#include "model/networkpolicy.h"
#include "model/node.h"
#include "model/pod.h"
#include "model/resources.h"
#include "model/secret.h"

static void test_node_annotations(void **state)
{
	struct model_errors errs = MODEL_ERRORS_INIT;
	struct node n;
	struct cidr c;
	uint32_t asn = 0;
	json_object *o = load("node.json");

	(void)state;
	assert_int_equal(node_from_json(o, &n, &errs), 0);
	node_validate(&n, &errs);
	assert_false(model_errors_failed(&errs));
	assert_int_equal(node_bgp_ipv4(&n, &c), 0);
	assert_int_equal(c.prefix_len, 24);
	assert_int_equal(node_bgp_ipv6(&n, &c), 0);
	assert_int_equal(node_as_number(&n, &asn), 0);
	assert_true(asn == 64513);
	assert_string_equal(node_address_of_type(&n, "InternalIP"), "10.0.0.2");
	assert_null(node_address_of_type(&n, "ExternalIP"));
	assert_int_equal(model_round_trip(o), 0);
	node_free(&n);
	json_object_put(o);

	o = parse("{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"n\","
		  "\"annotations\":{\"twill.dev/ipv4Address\":\"fd00::1/64\","
		  "\"twill.dev/asNumber\":\"4294967296\",\"twill.dev/vxlanTunnelMACAddr\":\"zz\","
		  "\"twill.dev/routeReflectorClusterID\":\"1.2.3\"}}}");
	assert_int_equal(node_from_json(o, &n, &errs), 0);
	assert_int_equal(node_bgp_ipv4(&n, &c), -EINVAL);
	assert_int_equal(node_bgp_ipv6(&n, &c), -ENOENT);
	node_validate(&n, &errs);
	assert_int_equal(model_errors_count(&errs), 4);
	assert_non_null(model_errors_find(&errs, "metadata.annotations[twill.dev/asNumber]"));
	node_free(&n);
	json_object_put(o);
	model_errors_free(&errs);
}

static void test_pod_ports_and_ips(void **state)
{
	struct model_errors errs = MODEL_ERRORS_INIT;
	struct pod p;
	char **pools = NULL;
	size_t n = 0;
	json_object *o = load("pod.json");

	(void)state;
	assert_int_equal(pod_from_json(o, &p, &errs), 0);
	pod_validate(&p, &errs);
	assert_false(model_errors_failed(&errs));
	assert_string_equal(p.node_name, "node-1");
	assert_int_equal(p.containers[0].port_count, 2);
	assert_int_equal(p.containers[0].ports[0].protocol, MODEL_PROTO_TCP);
	assert_int_equal(p.containers[0].ports[1].protocol, MODEL_PROTO_UDP);
	assert_string_equal(p.pod_ips[0], "10.244.0.64");
	assert_int_equal(model_parse_pool_list(labels_get(&p.meta.annotations,
							  POD_ANNOTATION_IPV4_POOLS),
					       &pools, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(pools[0], "pool-a");
	json_string_array_free(pools, n);
	assert_int_equal(model_round_trip(o), 0);
	pod_free(&p);
	json_object_put(o);

	o = parse("{\"kind\":\"Pod\",\"metadata\":{\"name\":\"x\",\"annotations\":"
		  "{\"twill.dev/ipv4pools\":\"pool-a\"}},\"spec\":{\"containers\":[{\"ports\":"
		  "[{\"containerPort\":0,\"protocol\":\"ICMP\"}]}]},\"status\":{\"podIP\":\"1.2.3\"}}");
	assert_int_equal(pod_from_json(o, &p, &errs), 0);
	pod_validate(&p, &errs);
	assert_non_null(model_errors_find(&errs, "spec.containers[0].ports[0].containerPort"));
	assert_non_null(model_errors_find(&errs, "spec.containers[0].ports[0].protocol"));
	assert_non_null(model_errors_find(&errs, "status.podIP"));
	assert_non_null(model_errors_find(&errs, "metadata.annotations[twill.dev/ipv4pools]"));
	pod_free(&p);
	json_object_put(o);
	model_errors_free(&errs);
}

static struct networkpolicy *np_parse(const char *spec, struct model_errors *errs)
{
	static struct networkpolicy np;
	char doc[2048];
	json_object *o;

	snprintf(doc, sizeof(doc),
		 "{\"apiVersion\":\"networking.k8s.io/v1\",\"kind\":\"NetworkPolicy\","
		 "\"metadata\":{\"name\":\"np\",\"namespace\":\"default\"},\"spec\":%s}", spec);
	o = parse(doc);
	assert_int_equal(networkpolicy_from_json(o, &np, errs), 0);
	assert_int_equal(model_round_trip(o), 0);
	json_object_put(o);
	networkpolicy_validate(&np, errs);
	return &np;
}

static void test_netpol_absent_vs_empty(void **state)
{
	struct model_errors errs = MODEL_ERRORS_INIT;
	struct networkpolicy *np;

	(void)state;
	np = np_parse("{\"podSelector\":{}}", &errs);
	assert_true(np->pod_selector.present);
	assert_true(label_selector_is_empty(&np->pod_selector.sel));
	assert_false(np->ingress_present);
	assert_false(np->policy_types_present);
	assert_int_equal(networkpolicy_effective_types(np), NETPOL_TYPE_INGRESS);
	networkpolicy_free(np);

	np = np_parse("{\"podSelector\":{},\"ingress\":[]}", &errs);
	assert_true(np->ingress_present);
	assert_int_equal(np->ingress_count, 0);
	networkpolicy_free(np);

	np = np_parse("{\"podSelector\":{},\"ingress\":[{}],\"egress\":[{\"to\":[]}]}", &errs);
	assert_int_equal(np->ingress_count, 1);
	assert_false(np->ingress[0].peers_present);
	assert_true(np->egress[0].peers_present);
	assert_int_equal(np->egress[0].peer_count, 0);
	assert_int_equal(networkpolicy_effective_types(np),
			 NETPOL_TYPE_INGRESS | NETPOL_TYPE_EGRESS);
	networkpolicy_free(np);

	np = np_parse("{\"podSelector\":{},\"policyTypes\":[\"Egress\"],"
		      "\"ingress\":[{\"from\":[{\"namespaceSelector\":{}}]}]}", &errs);
	assert_int_equal(networkpolicy_effective_types(np), NETPOL_TYPE_EGRESS);
	assert_true(np->ingress[0].peers[0].namespace_selector.present);
	assert_false(np->ingress[0].peers[0].pod_selector.present);
	networkpolicy_free(np);
	assert_false(model_errors_failed(&errs));

	np = np_parse("{}", &errs);
	assert_non_null(model_errors_find(&errs, "spec.podSelector"));
	networkpolicy_free(np);
	model_errors_free(&errs);
}

static void test_netpol_sample_and_rules(void **state)
{
	struct model_errors errs = MODEL_ERRORS_INIT;
	struct networkpolicy np, *bad;
	json_object *o = load("networkpolicy.json");

	(void)state;
	assert_int_equal(networkpolicy_from_json(o, &np, &errs), 0);
	networkpolicy_validate(&np, &errs);
	assert_false(model_errors_failed(&errs));
	assert_int_equal(np.ingress_count, 2);
	assert_int_equal(np.ingress[0].peer_count, 3);
	assert_string_equal(np.ingress[0].ports[0].port_name, "http");
	assert_int_equal(np.ingress[0].ports[1].port, 8000);
	assert_int_equal(np.ingress[0].ports[1].end_port, 8080);
	assert_int_equal(np.ingress[0].ports[1].protocol, MODEL_PROTO_TCP);
	assert_string_equal(np.ingress[0].peers[2].ip_block.except[0], "172.17.1.0/24");
	assert_true(np.egress_present);
	assert_int_equal(np.egress_count, 0);
	assert_int_equal(model_round_trip(o), 0);
	networkpolicy_free(&np);
	json_object_put(o);

	bad = np_parse("{\"podSelector\":{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Equals\"}]},"
		       "\"ingress\":[{\"from\":[{},{\"ipBlock\":{\"cidr\":\"10.0.0.0/8\","
		       "\"except\":[\"11.0.0.0/8\"]},\"podSelector\":{}}],"
		       "\"ports\":[{\"port\":\"http\",\"endPort\":90},{\"port\":90,\"endPort\":80}]}],"
		       "\"policyTypes\":[\"Sideways\"]}", &errs);
	assert_non_null(model_errors_find(&errs, "spec.podSelector"));
	assert_non_null(model_errors_find(&errs, "spec.policyTypes[0]"));
	assert_non_null(strstr(model_errors_find(&errs, "spec.ingress[0].from[0]")->message,
			       "must set"));
	assert_non_null(strstr(model_errors_find(&errs, "spec.ingress[0].from[1]")->message,
			       "cannot be combined"));
	assert_non_null(model_errors_find(&errs, "spec.ingress[0].from[1].ipBlock.except[0]"));
	assert_non_null(strstr(model_errors_find(&errs, "spec.ingress[0].ports[0]")->message,
			       "needs a numeric port"));
	assert_non_null(strstr(model_errors_find(&errs, "spec.ingress[0].ports[1]")->message,
			       "must not be below port 90"));
	networkpolicy_free(bad);
	model_errors_free(&errs);
}

static void test_secret_base64(void **state)
{
	struct model_errors errs = MODEL_ERRORS_INIT;
	unsigned char *out = NULL;
	const unsigned char *v;
	struct secret s;
	size_t len = 0;
	char *enc;
	json_object *o = load("secret.json");

	(void)state;
	assert_int_equal(secret_from_json(o, &s, &errs), 0);
	assert_false(model_errors_failed(&errs));
	v = secret_get(&s, "tor-a", &len);
	assert_non_null(v);
	assert_int_equal(len, 6);
	assert_memory_equal(v, "s3cr3t", 6);
	assert_string_equal((const char *)secret_get(&s, "extra", &len), "plain");
	assert_null(secret_get(&s, "missing", NULL));
	assert_int_equal(model_round_trip(o), 0);
	secret_free(&s);
	json_object_put(o);

	assert_int_equal(model_base64_decode("AGE=", &out, &len), 0);
	assert_int_equal(len, 2);
	assert_true(out[0] == 0 && out[1] == 'a');
	free(out);
	assert_int_equal(model_base64_decode("", &out, &len), 0);
	assert_int_equal(len, 0);
	free(out);
	assert_int_equal(model_base64_decode("YQ", &out, &len), -EINVAL);
	assert_int_equal(model_base64_decode("YR==", &out, &len), -EINVAL);
	assert_int_equal(model_base64_decode("Y===", &out, &len), -EINVAL);
	assert_int_equal(model_base64_decode("Y Q=", &out, &len), -EINVAL);
	assert_int_equal(model_base64_decode("YQ==YQ==", &out, &len), -EINVAL);
	enc = model_base64_encode((const unsigned char *)"\0ab", 3);
	assert_string_equal(enc, "AGFi");
	free(enc);

	o = parse("{\"kind\":\"Secret\",\"metadata\":{\"name\":\"s\"},"
		  "\"data\":{\"k\":\"not base64!\",\"n\":5}}");
	assert_int_equal(secret_from_json(o, &s, &errs), 0);
	assert_string_equal(model_errors_find(&errs, "data.k")->message, "is not valid base64");
	assert_non_null(model_errors_find(&errs, "data.n"));
	assert_null(secret_get(&s, "k", NULL));
	secret_free(&s);
	json_object_put(o);
	model_errors_free(&errs);
}

static void test_dispatch_unknown_and_warnings(void **state)
{
	struct model_errors errs = MODEL_ERRORS_INIT;
	json_object *o;
	char line[256];

	(void)state;
	o = parse("{\"apiVersion\":\"crd.projectcalico.org/v1\",\"kind\":\"IPPool\"}");
	assert_int_equal(model_validate_object(o, &errs), -EINVAL);
	model_errors_format(&errs, 0, line, sizeof(line));
	assert_string_equal(line, "kind: unknown apiVersion/kind "
				  "\"crd.projectcalico.org/v1\"/\"IPPool\": twill does not "
				  "model this kind");
	json_object_put(o);
	model_errors_free(&errs);

	o = parse("{\"apiVersion\":\"twill.dev/v1\",\"kind\":\"IPPool\"}");
	json_object_object_add(o, "kind", NULL);
	assert_int_equal(model_validate_object(o, &errs), -EINVAL);
	assert_non_null(model_errors_find(&errs, "kind"));
	json_object_put(o);
	model_errors_free(&errs);

	o = parse("[1,2]");
	assert_int_equal(model_validate_object(o, &errs), -EINVAL);
	assert_int_equal(model_round_trip(o), -EINVAL);
	json_object_put(o);
	model_errors_free(&errs);

	o = parse("{\"apiVersion\":\"twill.dev/v1\",\"kind\":\"IPPool\","
		  "\"metadata\":{\"name\":\"p\"},\"spec\":{\"cidr\":\"10.0.0.0/16\",\"ipip\":true}}");
	assert_int_equal(model_validate_object(o, &errs), 0);
	assert_false(model_errors_failed(&errs));
	assert_int_equal(errs.count, 1);
	assert_true(errs.items[0].warning);
	assert_string_equal(errs.items[0].path, "spec.ipip");
	json_object_put(o);
	model_errors_free(&errs);

	assert_int_equal(model_kind_lookup("twill.dev/v1", "BGPPeer"), MODEL_KIND_BGPPEER);
	assert_int_equal(model_kind_lookup("v1", "BGPPeer"), MODEL_KIND_UNKNOWN);
	assert_int_equal(model_kind_lookup("networking.k8s.io/v1", "NetworkPolicy"),
			 MODEL_KIND_NETWORKPOLICY);
	assert_string_equal(model_kind_name(MODEL_KIND_IPAMBLOCK), "IPAMBlock");
}

static void test_resource_table(void **state)
{
	const struct model_resource *r;
	size_t n, i;
	char buf[64];

	(void)state;
	r = model_resource_by_plural("twpool");
	assert_non_null(r);
	assert_string_equal(r->kind, "IPPool");
	assert_ptr_equal(model_resource_by_plural("ippool"), r);
	assert_ptr_equal(model_resource_by_plural("IPPools"), r);
	assert_ptr_equal(model_resource_by_kind("IPPool"), r);
	assert_string_equal(model_resource_api_version(r, buf, sizeof(buf)), "twill.dev/v1");
	assert_false(r->namespaced);
	r = model_resource_by_kind("NetworkPolicy");
	assert_string_equal(r->group, "networking.k8s.io");
	assert_true(r->namespaced);
	r = model_resource_by_plural("leases");
	assert_string_equal(r->group, "coordination.k8s.io");
	r = model_resource_by_kind("Pod");
	assert_string_equal(model_resource_api_version(r, buf, sizeof(buf)), "v1");
	assert_null(model_resource_by_plural("widgets"));
	/* Every modelled kind has a resource entry. */
	for (i = 1; i < MODEL_KIND_COUNT; i++)
		assert_non_null(model_resource_by_kind(model_kind_name((enum model_kind)i)));
	model_resources(&n);
	/* The modelled kinds plus Lease (used by the kube client only). */
	assert_int_equal(n, (MODEL_KIND_COUNT - 1) + 1);
}

static void test_all_samples_validate_and_round_trip(void **state)
{
	char path[512];
	struct dirent *de;
	DIR *d;
	int seen = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/model", TWILL_TESTDATA);
	d = opendir(path);
	assert_non_null(d);
	while ((de = readdir(d))) {
		struct model_errors errs = MODEL_ERRORS_INIT;
		json_object *o;
		char line[256];
		size_t i;

		if (!strstr(de->d_name, ".json"))
			continue;
		o = load(de->d_name);
		assert_int_equal(model_validate_object(o, &errs), 0);
		for (i = 0; i < errs.count; i++)
			print_message("%s: %s\n", de->d_name,
				      model_errors_format(&errs, i, line, sizeof(line)));
		assert_int_equal(errs.count, 0);
		assert_int_equal(model_round_trip(o), 0);
		json_object_put(o);
		model_errors_free(&errs);
		seen++;
	}
	closedir(d);
	assert_true(seen >= 14);
}

static void test_namespace_pools_annotation(void **state)
{
	struct model_errors errs = MODEL_ERRORS_INIT;
	struct k8s_namespace ns;
	json_object *o = parse("{\"kind\":\"Namespace\",\"metadata\":{\"name\":\"Bad_Name\","
			       "\"annotations\":{\"twill.dev/ipv4pools\":\"[1]\"}}}");

	(void)state;
	assert_int_equal(namespace_from_json(o, &ns, &errs), 0);
	namespace_validate(&ns, &errs);
	assert_non_null(model_errors_find(&errs, "metadata.name"));
	assert_non_null(model_errors_find(&errs, "metadata.annotations[twill.dev/ipv4pools]"));
	namespace_free(&ns);
	json_object_put(o);
	model_errors_free(&errs);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_node_annotations),
	cmocka_unit_test(test_pod_ports_and_ips),
	cmocka_unit_test(test_netpol_absent_vs_empty),
	cmocka_unit_test(test_netpol_sample_and_rules),
	cmocka_unit_test(test_secret_base64),
	cmocka_unit_test(test_dispatch_unknown_and_warnings),
	cmocka_unit_test(test_resource_table),
	cmocka_unit_test(test_all_samples_validate_and_round_trip),
	cmocka_unit_test(test_namespace_pools_annotation),
};

TWILL_TEST_MAIN(tests)
