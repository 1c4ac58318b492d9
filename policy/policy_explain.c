/* policy_explain: JSON lists -> model -> one verdict, printed.
 *
 * Everything the answer depends on goes through policy_model_build() and
 * policy_verdict(), the code the compiler's parity test checks, so explain
 * cannot disagree with what the dataplane was compiled from (given the
 * same objects). Parsing is lenient per object (a pod that fails
 * validation is skipped and noted) because an operator asking "why is this
 * dropped" should get an answer even when an unrelated object is odd. */
#include "policy_explain.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cidr.h"
#include "model/namespace.h"
#include "model/networkpolicy.h"
#include "model/pod.h"
#include "policy_kinds.h"
#include "policy_model.h"
#include "policy_verdict.h"

struct explain_objects {
	struct pod *pods;
	size_t pod_count;
	struct k8s_namespace *ns;
	size_t ns_count;
	struct networkpolicy *np;
	size_t np_count;
	size_t skipped;
};

static json_object *items_of(json_object *list)
{
	json_object *items;

	if (!list)
		return NULL;
	if (json_object_is_type(list, json_type_array))
		return list;
	if (json_object_object_get_ex(list, "items", &items) &&
	    json_object_is_type(items, json_type_array))
		return items;
	return NULL;
}

/* Parses every item as kind into a fresh array of kind->size structs. */
static int parse_items(json_object *list, const struct policy_kind *kind, void **out,
		       size_t *count, size_t *skipped)
{
	size_t elem_size = kind->size;
	json_object *items = items_of(list);
	size_t n = items ? json_object_array_length(items) : 0, i;
	char *arr = calloc(n + 1, elem_size);

	*out = arr;
	*count = 0;
	if (!arr)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct model_errors errs = MODEL_ERRORS_INIT;
		void *slot = arr + *count * elem_size;
		int rc = kind->parse(json_object_array_get_idx(items, i), slot, &errs);

		if (rc == -ENOMEM || errs.oom) {
			model_errors_free(&errs);
			kind->release(slot);
			return -ENOMEM;
		}
		if (rc < 0 || model_errors_failed(&errs)) {
			kind->release(slot);
			memset(slot, 0, elem_size);
			(*skipped)++;
		} else {
			(*count)++;
		}
		model_errors_free(&errs);
	}
	return 0;
}

static void objects_free(struct explain_objects *o)
{
	size_t i;

	for (i = 0; o->pods && i < o->pod_count; i++)
		pod_free(&o->pods[i]);
	for (i = 0; o->ns && i < o->ns_count; i++)
		namespace_free(&o->ns[i]);
	for (i = 0; o->np && i < o->np_count; i++)
		networkpolicy_free(&o->np[i]);
	free(o->pods);
	free(o->ns);
	free(o->np);
}

int policy_explain_parse_port(const char *text, int *port, int *protocol)
{
	const char *slash;
	char *end;
	long v;

	if (!text || !*text)
		return -EINVAL;
	v = strtol(text, &end, 10);
	if (end == text || v < 1 || v > 65535 || (*end && *end != '/'))
		return -EINVAL;
	*port = (int)v;
	*protocol = MODEL_PROTO_TCP;
	slash = strchr(text, '/');
	if (!slash)
		return 0;
	if (strcasecmp(slash + 1, "TCP") == 0)
		*protocol = MODEL_PROTO_TCP;
	else if (strcasecmp(slash + 1, "UDP") == 0)
		*protocol = MODEL_PROTO_UDP;
	else if (strcasecmp(slash + 1, "SCTP") == 0)
		*protocol = MODEL_PROTO_SCTP;
	else
		return -EINVAL;
	return 0;
}

/* Endpoint text -> ref. family: preferred address family for pods. */
static int resolve(const struct policy_model *m, const char *text, bool source, int family,
		   struct policy_ref *ref, char *err, size_t errlen)
{
	char ns[254], name[254];
	struct ip_addr ip;
	const char *slash;
	long pod;

	if (!text || !*text) {
		snprintf(err, errlen, "missing %s endpoint", source ? "--from" : "--to");
		return -EINVAL;
	}
	if (ip_parse(text, &ip) == 0) {
		policy_ref_ip(m, &ip, ref);
		return 0;
	}
	if (strcmp(text, "node") == 0) {
		if (!source) {
			snprintf(err, errlen, "\"node\" can only be the source");
			return -EINVAL;
		}
		memset(ref, 0, sizeof(*ref));
		ref->kind = POLICY_REF_HOST;
		ref->pod = -1;
		return 0;
	}
	slash = strchr(text, '/');
	if (!slash || slash == text || !slash[1] || (size_t)(slash - text) >= sizeof(ns) ||
	    strlen(slash + 1) >= sizeof(name) || strchr(slash + 1, '/')) {
		snprintf(err, errlen, "%s: want NAMESPACE/POD, an IP address%s", text,
			 source ? " or \"node\"" : "");
		return -EINVAL;
	}
	snprintf(ns, sizeof(ns), "%.*s", (int)(slash - text), text);
	snprintf(name, sizeof(name), "%s", slash + 1);
	pod = policy_model_find_pod(m, ns, name);
	if (pod < 0) {
		snprintf(err, errlen, "pod %s/%s not found", ns, name);
		return -ENOENT;
	}
	policy_ref_pod(m, (size_t)pod, family, ref);
	if (family && ref->ip.family == 0)
		policy_ref_pod(m, (size_t)pod, 0, ref);
	return 0;
}

static void print_endpoint(FILE *out, const char *key, const struct policy_model *m,
			   const struct policy_ref *r)
{
	char ip[IP_ADDR_STRLEN] = "";
	const struct pod *p;

	if (r->ip.family)
		ip_format(&r->ip, ip, sizeof(ip));
	switch (r->kind) {
	case POLICY_REF_POD:
		p = &m->in.pods[r->pod];
		fprintf(out, "%s: pod %s/%s%s%s%s\n", key, p->meta.namespace ? p->meta.namespace : "",
			p->meta.name ? p->meta.name : "", ip[0] ? " (" : "", ip, ip[0] ? ")" : "");
		break;
	case POLICY_REF_IP:
		fprintf(out, "%s: address %s (not a pod)\n", key, ip);
		break;
	case POLICY_REF_HOST:
		fprintf(out, "%s: the destination pod's node\n", key);
		break;
	}
}

static void print_side(FILE *out, const char *key, const struct policy_model *m,
		       const struct policy_side *s)
{
	char name[300];
	size_t i;

	fprintf(out, "%s: ", key);
	if (!s->applies) {
		fprintf(out, "not restricted (not a pod)\n");
		return;
	}
	if (!s->isolated) {
		fprintf(out, "allowed: no %s policy selects the pod\n", key);
		return;
	}
	if (s->allowed) {
		fprintf(out, "allowed by %s rule %s[%ld]\n",
			policy_entry_name(&m->entries[s->policy], name, sizeof(name)), key, s->rule);
		return;
	}
	fprintf(out, "denied: isolated by ");
	for (i = 0; i < s->isolating_count && i < POLICY_VERDICT_MAX_ISOLATING; i++)
		fprintf(out, "%s%s", i ? ", " : "",
			policy_entry_name(&m->entries[s->isolating[i]], name, sizeof(name)));
	if (s->isolating_count > POLICY_VERDICT_MAX_ISOLATING)
		fprintf(out, " and %zu more", s->isolating_count - POLICY_VERDICT_MAX_ISOLATING);
	fprintf(out, "; no rule of %s allows this\n", s->isolating_count == 1 ? "it" : "them");
}

int policy_explain(json_object *pod_list, json_object *namespace_list,
		   json_object *policy_list, const struct policy_explain_query *q, FILE *out,
		   bool *allowed, char *err, size_t errlen)
{
	struct explain_objects o = { 0 };
	struct policy_model m = { 0 };
	struct policy_input in;
	struct policy_ref src, dst;
	struct policy_verdict v;
	struct ip_addr probe;
	char why[512];
	int port, proto, family = AF_INET, rc;

	if (err && errlen)
		err[0] = '\0';
	if (!q || !out || !allowed || !err)
		return -EINVAL;
	rc = policy_explain_parse_port(q->port, &port, &proto);
	if (rc < 0) {
		snprintf(err, errlen, "%s: want PORT[/TCP|UDP|SCTP]", q->port ? q->port : "");
		return rc;
	}
	rc = parse_items(pod_list, &policy_kind_pod, (void **)&o.pods, &o.pod_count, &o.skipped);
	if (rc == 0)
		rc = parse_items(namespace_list, &policy_kind_namespace, (void **)&o.ns, &o.ns_count,
				 &o.skipped);
	if (rc == 0)
		rc = parse_items(policy_list, &policy_kind_networkpolicy, (void **)&o.np,
				 &o.np_count, &o.skipped);
	if (rc < 0)
		goto out;
	in = (struct policy_input){ o.pods, o.pod_count, o.ns, o.ns_count, o.np, o.np_count };
	rc = policy_model_build(&in, &m);
	if (rc < 0)
		goto out;
	/* an address on either side decides the family asked about */
	if ((q->to && ip_parse(q->to, &probe) == 0) || (q->from && ip_parse(q->from, &probe) == 0))
		family = probe.family;
	rc = resolve(&m, q->from, true, family, &src, err, errlen);
	if (rc == 0)
		rc = resolve(&m, q->to, false, family, &dst, err, errlen);
	if (rc == 0 && src.kind == POLICY_REF_HOST && dst.kind != POLICY_REF_POD) {
		snprintf(err, errlen, "\"node\" as source needs a pod as destination");
		rc = -EINVAL;
	}
	if (rc == 0)
		rc = policy_verdict(&m, &src, &dst, (enum model_protocol)proto, port, &v);
	if (rc < 0)
		goto out;
	*allowed = v.allowed;
	fprintf(out, "verdict: %s\n", v.allowed ? "allow" : "deny");
	print_endpoint(out, "from", &m, &src);
	print_endpoint(out, "to", &m, &dst);
	fprintf(out, "port: %d/%s\n", port, model_protocol_name((enum model_protocol)proto));
	if (v.reason == POLICY_REASON_HOST_LOCAL) {
		fprintf(out, "reason: a node always reaches its own pods (kubelet probes)\n");
	} else {
		print_side(out, "egress", &m, &v.egress);
		print_side(out, "ingress", &m, &v.ingress);
		fprintf(out, "reason: %s\n", policy_verdict_format(&m, &v, why, sizeof(why)));
	}
	fprintf(out, "policies: %zu, pods: %zu, namespaces: %zu", o.np_count, o.pod_count,
		o.ns_count);
	if (o.skipped)
		fprintf(out, " (%zu invalid objects ignored)", o.skipped);
	fprintf(out, "\n");
out:
	policy_model_free(&m);
	objects_free(&o);
	return rc;
}
