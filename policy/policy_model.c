/* policy_model: building the normalised model.
 *
 * Selector evaluation happens once here, not per question: each peer becomes
 * a sorted list of pod indices, each policy the sorted list of pods it
 * selects. The verdict evaluator and the compiler then only do membership
 * tests (bsearch) and CIDR containment, so both see exactly the same
 * resolution of podSelector/namespaceSelector. Namespace labels come from
 * the Namespace objects; a pod whose namespace object is unknown has no
 * namespace labels, so only {} or DoesNotExist/NotIn requirements match it
 * (the same answer the API would give for a namespace without labels). */
#include "policy_model.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static const struct labels no_labels = LABELS_INIT;

static int str_cmp_null(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

long policy_model_find_pod(const struct policy_model *m, const char *ns, const char *name)
{
	size_t i;

	for (i = 0; i < m->in.pod_count; i++) {
		const struct object_meta *meta = &m->in.pods[i].meta;

		if (str_cmp_null(meta->namespace, ns) == 0 && str_cmp_null(meta->name, name) == 0)
			return (long)i;
	}
	return -1;
}

long policy_model_find_namespace(const struct policy_model *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->in.namespace_count; i++)
		if (str_cmp_null(m->in.namespaces[i].meta.name, name) == 0)
			return (long)i;
	return -1;
}

bool policy_model_pod_is_endpoint(const struct policy_model *m, size_t pod)
{
	const struct pod *p;

	if (pod >= m->in.pod_count)
		return false;
	p = &m->in.pods[pod];
	/* a finished pod's address goes back to IPAM and may already be another
	 * pod's: it must not keep granting (or being granted) anything */
	return !p->host_network && !(p->phase && (strcmp(p->phase, "Succeeded") == 0 ||
						 strcmp(p->phase, "Failed") == 0));
}

static int index_cmp(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

bool policy_index_contains(const size_t *list, size_t count, size_t pod)
{
	return count && bsearch(&pod, list, count, sizeof(*list), index_cmp) != NULL;
}

bool policy_entry_selects(const struct policy_entry *e, size_t pod)
{
	return policy_index_contains(e->selected, e->selected_count, pod);
}

static const struct labels *namespace_labels(const struct policy_model *m, const char *ns)
{
	long i = policy_model_find_namespace(m, ns);

	return i < 0 ? &no_labels : &m->in.namespaces[i].meta.labels;
}

size_t policy_model_pod_ips(const struct policy_model *m, size_t pod, struct ip_addr *out,
			    size_t max)
{
	const struct pod *p = &m->in.pods[pod];
	size_t i, n = 0;

	for (i = 0; i < p->pod_ip_count && n < max; i++)
		if (p->pod_ips[i] && ip_parse(p->pod_ips[i], &out[n]) == 0)
			n++;
	if (n == 0 && p->pod_ip && max && ip_parse(p->pod_ip, &out[0]) == 0)
		n = 1;
	return n;
}

/* Pods matching pod_sel (NULL = any) in namespaces matching ns_sel (NULL =
 * only own_ns). Writes a sorted list. */
static int select_pods(const struct policy_model *m, const struct label_selector *pod_sel,
		       const struct label_selector *ns_sel, const char *own_ns, size_t **out,
		       size_t *count)
{
	size_t i, n = 0;
	size_t *list = calloc(m->in.pod_count + 1, sizeof(*list));

	if (!list)
		return -ENOMEM;
	for (i = 0; i < m->in.pod_count; i++) {
		const struct pod *p = &m->in.pods[i];

		if (!policy_model_pod_is_endpoint(m, i))
			continue;
		if (ns_sel) {
			if (!label_selector_matches(ns_sel,
						    namespace_labels(m, p->meta.namespace)))
				continue;
		} else if (str_cmp_null(p->meta.namespace, own_ns) != 0) {
			continue;
		}
		if (pod_sel && !label_selector_matches(pod_sel, &p->meta.labels))
			continue;
		list[n++] = i; /* ascending by construction */
	}
	*out = list;
	*count = n;
	return 0;
}

static int build_peer(const struct policy_model *m, const struct networkpolicy *np,
		      const struct netpol_peer *src, struct policy_peer *dst)
{
	size_t i;

	if (src->has_ip_block) {
		dst->kind = POLICY_PEER_IPBLOCK;
		if (!src->ip_block.cidr || cidr_parse(src->ip_block.cidr, &dst->block) < 0)
			goto invalid;
		cidr_network(&dst->block);
		dst->except = calloc(src->ip_block.except_count + 1, sizeof(*dst->except));
		if (!dst->except)
			return -ENOMEM;
		for (i = 0; i < src->ip_block.except_count; i++) {
			struct cidr *ex = &dst->except[dst->except_count];

			if (!src->ip_block.except[i] || cidr_parse(src->ip_block.except[i], ex) < 0)
				goto invalid;
			cidr_network(ex);
			dst->except_count++;
		}
		return 0;
	}
	if (!src->pod_selector.present && !src->namespace_selector.present) {
		dst->kind = POLICY_PEER_NONE;
		return 0;
	}
	dst->kind = POLICY_PEER_PODS;
	return select_pods(m, src->pod_selector.present ? &src->pod_selector.sel : NULL,
			   src->namespace_selector.present ? &src->namespace_selector.sel : NULL,
			   np->meta.namespace, &dst->pods, &dst->pod_count);
invalid:
	log_warn("event=policy_peer_invalid policy=%s/%s cidr=%s",
		 np->meta.namespace ? np->meta.namespace : "",
		 np->meta.name ? np->meta.name : "",
		 src->ip_block.cidr ? src->ip_block.cidr : "");
	free(dst->except);
	dst->except = NULL;
	dst->except_count = 0;
	dst->kind = POLICY_PEER_NONE;
	return 0;
}

static void build_port(const struct netpol_port *src, struct policy_port *dst)
{
	dst->protocol = src->protocol;
	if (src->port_name) {
		dst->name = src->port_name;
	} else if (src->port > 0) {
		dst->lo = src->port;
		dst->hi = src->end_port >= src->port ? src->end_port : src->port;
	} else {
		dst->all_ports = true;
	}
}

static int build_rules(const struct policy_model *m, const struct networkpolicy *np,
		       const struct netpol_rule *src, size_t count, struct policy_rule **out,
		       size_t *out_count)
{
	size_t i, j;
	int rc;

	*out = calloc(count + 1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	*out_count = count;
	for (i = 0; i < count; i++) {
		struct policy_rule *r = &(*out)[i];

		r->all_peers = src[i].peer_count == 0;
		r->all_ports = src[i].port_count == 0;
		r->peers = calloc(src[i].peer_count + 1, sizeof(*r->peers));
		r->ports = calloc(src[i].port_count + 1, sizeof(*r->ports));
		if (!r->peers || !r->ports)
			return -ENOMEM;
		for (j = 0; j < src[i].peer_count; j++) {
			rc = build_peer(m, np, &src[i].peers[j], &r->peers[j]);
			r->peer_count = j + 1;
			if (rc < 0)
				return rc;
		}
		for (j = 0; j < src[i].port_count; j++)
			build_port(&src[i].ports[j], &r->ports[j]);
		r->port_count = src[i].port_count;
	}
	return 0;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct policy_entry *x = a, *y = b;
	int c = str_cmp_null(x->np->meta.namespace, y->np->meta.namespace);

	return c ? c : str_cmp_null(x->np->meta.name, y->np->meta.name);
}

int policy_model_build(const struct policy_input *in, struct policy_model *out)
{
	size_t i;
	int rc;

	if (!in || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->in = *in;
	out->entries = calloc(in->policy_count + 1, sizeof(*out->entries));
	if (!out->entries)
		return -ENOMEM;
	for (i = 0; i < in->policy_count; i++)
		out->entries[i].np = &in->policies[i];
	out->entry_count = in->policy_count;
	qsort(out->entries, out->entry_count, sizeof(*out->entries), entry_cmp);
	for (i = 0; i < out->entry_count; i++) {
		struct policy_entry *e = &out->entries[i];
		const struct networkpolicy *np = e->np;

		e->types = networkpolicy_effective_types(np);
		rc = select_pods(out, np->pod_selector.present ? &np->pod_selector.sel : NULL,
				 NULL, np->meta.namespace, &e->selected, &e->selected_count);
		if (rc < 0)
			goto fail;
		rc = build_rules(out, np, np->ingress, np->ingress_count, &e->ingress,
				 &e->ingress_count);
		if (rc < 0)
			goto fail;
		rc = build_rules(out, np, np->egress, np->egress_count, &e->egress,
				 &e->egress_count);
		if (rc < 0)
			goto fail;
	}
	return 0;
fail:
	policy_model_free(out);
	return rc;
}

static void free_rules(struct policy_rule *rules, size_t count)
{
	size_t i, j;

	if (!rules)
		return;
	for (i = 0; i < count; i++) {
		for (j = 0; j < rules[i].peer_count; j++) {
			free(rules[i].peers[j].pods);
			free(rules[i].peers[j].except);
		}
		free(rules[i].peers);
		free(rules[i].ports);
	}
	free(rules);
}

void policy_model_free(struct policy_model *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; m->entries && i < m->entry_count; i++) {
		free(m->entries[i].selected);
		free_rules(m->entries[i].ingress, m->entries[i].ingress_count);
		free_rules(m->entries[i].egress, m->entries[i].egress_count);
	}
	free(m->entries);
	memset(m, 0, sizeof(*m));
}

bool policy_port_resolve(const struct policy_model *m, const struct policy_port *p,
			 long dst_pod, enum model_protocol protocol, int *lo, int *hi)
{
	const struct pod *pod;
	size_t c, k;

	if (p->protocol != protocol)
		return false;
	if (p->all_ports) {
		*lo = 0;
		*hi = 65535;
		return true;
	}
	if (!p->name) {
		*lo = p->lo;
		*hi = p->hi;
		return true;
	}
	if (dst_pod < 0 || (size_t)dst_pod >= m->in.pod_count)
		return false;
	pod = &m->in.pods[dst_pod];
	for (c = 0; c < pod->container_count; c++)
		for (k = 0; k < pod->containers[c].port_count; k++) {
			const struct pod_port *pp = &pod->containers[c].ports[k];

			if (pp->name && strcmp(pp->name, p->name) == 0 &&
			    pp->protocol == protocol) {
				*lo = *hi = pp->container_port;
				return true;
			}
		}
	return false;
}

const char *policy_entry_name(const struct policy_entry *e, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", e->np->meta.namespace ? e->np->meta.namespace : "",
		 e->np->meta.name ? e->np->meta.name : "");
	return buf;
}
