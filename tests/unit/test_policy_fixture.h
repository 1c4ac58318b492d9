/* The Kubernetes NetworkPolicy e2e cluster shape shared by the policy tests:
 * namespaces x, y, z (labels ns=<name>; y env=prod, z env=dev) and pods a,
 * b, c in each (labels pod=<name>; a and b tier=web, c tier=db), IPs
 * 10.0.<1|2|3>.<10|11|12> and fd00::<1|2|3>:<10|11|12>. Every pod serves
 * TCP 80 "serve-80-tcp", TCP 81 "serve-81-tcp", UDP 80 "serve-80-udp" and
 * a port named "web": 80 on a and b, 81 on c (so named ports must resolve
 * per destination pod). Pods of x live on node n1, others on n2.
 * Objects are written as JSON with ' for " to keep the tests readable. */
#ifndef TWILL_TEST_POLICY_FIXTURE_H
#define TWILL_TEST_POLICY_FIXTURE_H

#include <stdlib.h>

#include "policy_model.h"

#define FX_MAX_PODS 16
#define FX_MAX_POLICIES 8

struct fx {
	struct pod pods[FX_MAX_PODS];
	size_t pod_count;
	struct k8s_namespace ns[3];
	struct networkpolicy np[FX_MAX_POLICIES];
	size_t np_count;
	struct policy_model m;
};

static inline json_object *fx_json(const char *text)
{
	char *copy = strdup(text), *p;
	json_object *obj;

	assert_non_null(copy);
	for (p = copy; *p; p++)
		if (*p == '\'')
			*p = '"';
	obj = json_tokener_parse(copy);
	if (!obj)
		fail_msg("bad fixture JSON: %s", copy);
	free(copy);
	return obj;
}

/* Adds a pod; extra is spliced into spec (e.g. "'hostNetwork':true,"). */
static inline void fx_add_pod(struct fx *f, const char *ns, const char *name, const char *labels,
		       const char *ip4, const char *ip6, const char *node, const char *extra,
		       int web_port)
{
	struct model_errors errs = MODEL_ERRORS_INIT;
	char text[2048];
	json_object *obj;

	assert_true(f->pod_count < FX_MAX_PODS);
	snprintf(text, sizeof(text),
		 "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'%s','namespace':'%s',"
		 "'labels':{%s}},'spec':{%s'nodeName':'%s','containers':[{'name':'app','ports':["
		 "{'name':'serve-80-tcp','containerPort':80,'protocol':'TCP'},"
		 "{'name':'serve-81-tcp','containerPort':81,'protocol':'TCP'},"
		 "{'name':'serve-80-udp','containerPort':80,'protocol':'UDP'},"
		 "{'name':'web','containerPort':%d}]}]},"
		 "'status':{'podIP':'%s','podIPs':[{'ip':'%s'}%s%s%s]}}",
		 name, ns, labels, extra ? extra : "", node, web_port, ip4, ip4,
		 ip6 ? ",{'ip':'" : "", ip6 ? ip6 : "", ip6 ? "'}" : "");
	obj = fx_json(text);
	assert_int_equal(pod_from_json(obj, &f->pods[f->pod_count], &errs), 0);
	assert_false(model_errors_failed(&errs));
	model_errors_free(&errs);
	json_object_put(obj);
	f->pod_count++;
}

static inline void fx_init(struct fx *f)
{
	static const char *const nss[] = { "x", "y", "z" };
	static const char *const nslabels[] = { "'ns':'x'", "'ns':'y','env':'prod'",
						"'ns':'z','env':'dev'" };
	static const char *const pods[] = { "a", "b", "c" };
	struct model_errors errs = MODEL_ERRORS_INIT;
	char text[512], labels[128], ip4[32], ip6[48];
	json_object *obj;
	size_t i, j;

	memset(f, 0, sizeof(*f));
	for (i = 0; i < 3; i++) {
		snprintf(text, sizeof(text),
			 "{'apiVersion':'v1','kind':'Namespace','metadata':{'name':'%s','labels':{%s}}}",
			 nss[i], nslabels[i]);
		obj = fx_json(text);
		assert_int_equal(namespace_from_json(obj, &f->ns[i], &errs), 0);
		assert_false(model_errors_failed(&errs));
		model_errors_free(&errs);
		json_object_put(obj);
		for (j = 0; j < 3; j++) {
			snprintf(labels, sizeof(labels), "'pod':'%s','tier':'%s'", pods[j],
				 j < 2 ? "web" : "db");
			snprintf(ip4, sizeof(ip4), "10.0.%zu.%zu", i + 1, j + 10);
			snprintf(ip6, sizeof(ip6), "fd00::%zu:%zu", i + 1, j + 10);
			fx_add_pod(f, nss[i], pods[j], labels, ip4, ip6, i == 0 ? "n1" : "n2", NULL,
				   j < 2 ? 80 : 81);
		}
	}
}

/* spec is the policy's spec object. */
static inline void fx_policy(struct fx *f, const char *ns, const char *name, const char *spec)
{
	struct model_errors errs = MODEL_ERRORS_INIT;
	char text[4096];
	json_object *obj;

	assert_true(f->np_count < FX_MAX_POLICIES);
	snprintf(text, sizeof(text),
		 "{'apiVersion':'networking.k8s.io/v1','kind':'NetworkPolicy',"
		 "'metadata':{'name':'%s','namespace':'%s'},'spec':%s}",
		 name, ns, spec);
	obj = fx_json(text);
	assert_int_equal(networkpolicy_from_json(obj, &f->np[f->np_count], &errs), 0);
	if (model_errors_failed(&errs)) {
		char buf[256];

		fail_msg("policy %s: %s", name, model_errors_format(&errs, 0, buf, sizeof(buf)));
	}
	model_errors_free(&errs);
	json_object_put(obj);
	f->np_count++;
}

static inline void fx_build(struct fx *f)
{
	struct policy_input in = {
		.pods = f->pods, .pod_count = f->pod_count,
		.namespaces = f->ns, .namespace_count = 3,
		.policies = f->np, .policy_count = f->np_count,
	};

	assert_int_equal(policy_model_build(&in, &f->m), 0);
}

static inline void fx_free(struct fx *f)
{
	size_t i;

	policy_model_free(&f->m);
	for (i = 0; i < f->pod_count; i++)
		pod_free(&f->pods[i]);
	for (i = 0; i < 3; i++)
		namespace_free(&f->ns[i]);
	for (i = 0; i < f->np_count; i++)
		networkpolicy_free(&f->np[i]);
}

#endif
