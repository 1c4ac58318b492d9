/* policy_explain: the report twillctl policy explain prints, from JSON lists
 * as the API returns them (built here from the x/y/z × a/b/c fixture). */
#include "twill_test.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "test_policy_fixture.h"
#include "policy_explain.h"

struct lists {
	json_object *pods, *namespaces, *policies;
};

static void to_lists(struct fx *f, struct lists *l)
{
	json_object *items;
	size_t i;

	l->pods = json_object_new_object();
	items = json_object_new_array();
	for (i = 0; i < f->pod_count; i++)
		json_object_array_add(items, pod_to_json(&f->pods[i]));
	json_object_object_add(l->pods, "items", items);
	l->namespaces = json_object_new_array(); /* a plain array works too */
	for (i = 0; i < 3; i++)
		json_object_array_add(l->namespaces, namespace_to_json(&f->ns[i]));
	l->policies = json_object_new_object();
	items = json_object_new_array();
	for (i = 0; i < f->np_count; i++)
		json_object_array_add(items, networkpolicy_to_json(&f->np[i]));
	json_object_object_add(l->policies, "items", items);
}

static void lists_free(struct lists *l)
{
	json_object_put(l->pods);
	json_object_put(l->namespaces);
	json_object_put(l->policies);
}

/* Runs explain; returns its rc, report in out (caller frees). */
static int run(struct lists *l, const char *from, const char *to, const char *port, char **out,
	       bool *allowed, char *err)
{
	struct policy_explain_query q = { from, to, port };
	size_t size = 0;
	FILE *f = open_memstream(out, &size);
	int rc;

	assert_non_null(f);
	rc = policy_explain(l->pods, l->namespaces, l->policies, &q, f, allowed, err, 256);
	fclose(f);
	return rc;
}

static void setup_cluster(struct fx *f, struct lists *l)
{
	fx_init(f);
	fx_policy(f, "y", "deny-all", "{'podSelector':{}}");
	fx_policy(f, "y", "b-from-x", "{'podSelector':{'matchLabels':{'pod':'b'}},'ingress':["
				      "{'ports':[{'port':81}]},{'from':[{'namespaceSelector':"
				      "{'matchLabels':{'ns':'x'}}}],'ports':[{'port':80}]}]}");
	fx_policy(f, "z", "no-egress", "{'podSelector':{},'policyTypes':['Egress']}");
	fx_build(f);
	to_lists(f, l);
}

static void test_allow_names_policy_and_rule(void **state)
{
	struct fx f;
	struct lists l;
	char *out = NULL, err[256];
	bool allowed = false;

	(void)state;
	setup_cluster(&f, &l);
	assert_int_equal(run(&l, "x/a", "y/b", "80/TCP", &out, &allowed, err), 0);
	assert_true(allowed);
	assert_string_equal(out, "verdict: allow\n"
				 "from: pod x/a (10.0.1.10)\n"
				 "to: pod y/b (10.0.2.11)\n"
				 "port: 80/TCP\n"
				 "egress: allowed: no egress policy selects the pod\n"
				 "ingress: allowed by y/b-from-x rule ingress[1]\n"
				 "reason: allow: egress: not isolated; ingress: allowed by y/b-from-x rule 1\n"
				 "policies: 3, pods: 9, namespaces: 3\n");
	free(out);
	lists_free(&l);
	fx_free(&f);
}

static void test_deny_lists_isolating_policies(void **state)
{
	struct fx f;
	struct lists l;
	char *out = NULL, err[256];
	bool allowed = true;

	(void)state;
	setup_cluster(&f, &l);
	assert_int_equal(run(&l, "z/a", "y/b", "80", &out, &allowed, err), 0);
	assert_false(allowed);
	assert_non_null(strstr(out, "verdict: deny\n"));
	assert_non_null(strstr(out, "egress: denied: isolated by z/no-egress; no rule of it allows this\n"));
	assert_non_null(strstr(out, "ingress: denied: isolated by y/b-from-x, y/deny-all; no rule of "
				    "them allows this\n"));
	free(out);
	lists_free(&l);
	fx_free(&f);
}

static void test_addresses_and_node(void **state)
{
	struct fx f;
	struct lists l;
	char *out = NULL, err[256];
	bool allowed = false;

	(void)state;
	setup_cluster(&f, &l);
	/* a pod's IP is that pod */
	assert_int_equal(run(&l, "10.0.1.11", "y/b", "81/tcp", &out, &allowed, err), 0);
	assert_true(allowed);
	assert_non_null(strstr(out, "from: pod x/b (10.0.1.11)\n"));
	assert_non_null(strstr(out, "ingress: allowed by y/b-from-x rule ingress[0]\n"));
	free(out);
	/* an outside address is no pod; deny-all still isolates y/a */
	assert_int_equal(run(&l, "192.0.2.7", "y/a", "53/UDP", &out, &allowed, err), 0);
	assert_false(allowed);
	assert_non_null(strstr(out, "from: address 192.0.2.7 (not a pod)\n"));
	assert_non_null(strstr(out, "egress: not restricted (not a pod)\n"));
	free(out);
	/* kubelet probes */
	assert_int_equal(run(&l, "node", "y/a", "8080", &out, &allowed, err), 0);
	assert_true(allowed);
	assert_non_null(strstr(out, "reason: a node always reaches its own pods"));
	free(out);
	lists_free(&l);
	fx_free(&f);
}

static void test_errors(void **state)
{
	struct fx f;
	struct lists l;
	char *out = NULL, err[256];
	bool allowed;

	(void)state;
	setup_cluster(&f, &l);
	assert_int_equal(run(&l, "x/a", "y/nope", "80", &out, &allowed, err), -ENOENT);
	assert_string_equal(err, "pod y/nope not found");
	free(out);
	assert_int_equal(run(&l, "x/a", "y/b", "80/ICMP", &out, &allowed, err), -EINVAL);
	free(out);
	assert_int_equal(run(&l, "x/a", "y/b", "0", &out, &allowed, err), -EINVAL);
	free(out);
	assert_int_equal(run(&l, "x/a", "node", "80", &out, &allowed, err), -EINVAL);
	free(out);
	assert_int_equal(run(&l, "x/a/b", "y/b", "80", &out, &allowed, err), -EINVAL);
	assert_non_null(strstr(err, "want NAMESPACE/POD"));
	free(out);
	lists_free(&l);
	fx_free(&f);
}

static void test_invalid_objects_are_skipped(void **state)
{
	struct fx f;
	struct lists l;
	json_object *items, *bad;
	char *out = NULL, err[256];
	bool allowed = true;

	(void)state;
	setup_cluster(&f, &l);
	json_object_object_get_ex(l.policies, "items", &items);
	bad = fx_json("{'apiVersion':'networking.k8s.io/v1','kind':'NetworkPolicy','metadata':"
		      "{'name':'odd','namespace':'x'},'spec':{'podSelector':{'matchExpressions':"
		      "[{'key':'a','operator':'Equals'}]}}}");
	json_object_array_add(items, bad);
	assert_int_equal(run(&l, "x/a", "y/a", "80", &out, &allowed, err), 0);
	assert_false(allowed);
	assert_non_null(strstr(out, "policies: 3, pods: 9, namespaces: 3 (1 invalid objects ignored)\n"));
	free(out);
	lists_free(&l);
	fx_free(&f);
}

static void test_parse_port(void **state)
{
	int port, proto;

	(void)state;
	assert_int_equal(policy_explain_parse_port("443", &port, &proto), 0);
	assert_int_equal(port, 443);
	assert_int_equal(proto, MODEL_PROTO_TCP);
	assert_int_equal(policy_explain_parse_port("5353/udp", &port, &proto), 0);
	assert_int_equal(proto, MODEL_PROTO_UDP);
	assert_int_equal(policy_explain_parse_port("9/SCTP", &port, &proto), 0);
	assert_int_equal(proto, MODEL_PROTO_SCTP);
	assert_int_equal(policy_explain_parse_port("65536", &port, &proto), -EINVAL);
	assert_int_equal(policy_explain_parse_port("80x", &port, &proto), -EINVAL);
	assert_int_equal(policy_explain_parse_port("", &port, &proto), -EINVAL);
	assert_int_equal(policy_explain_parse_port(NULL, &port, &proto), -EINVAL);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_allow_names_policy_and_rule),
	cmocka_unit_test(test_deny_lists_isolating_policies),
	cmocka_unit_test(test_addresses_and_node),
	cmocka_unit_test(test_errors),
	cmocka_unit_test(test_invalid_objects_are_skipped),
	cmocka_unit_test(test_parse_port),
};

TWILL_TEST_MAIN(tests)
