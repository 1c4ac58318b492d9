/* policy_verdict: the evaluator. Each side is computed independently by one
 * function told which end it protects (egress: the source pod, peers match
 * the destination; ingress: the destination pod, peers match the source);
 * named ports always resolve against the destination, whichever side
 * asks. The compiler (compile.c) encodes the same rules as address/port
 * sets; the truth-table tests pin this file down, and the compiler's
 * golden tests pin the encoding. */
#include "policy_verdict.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static bool peer_matches(const struct policy_peer *peer, const struct policy_ref *other)
{
	size_t i;

	switch (peer->kind) {
	case POLICY_PEER_PODS:
		return other->kind == POLICY_REF_POD && other->pod >= 0 &&
		       policy_index_contains(peer->pods, peer->pod_count, (size_t)other->pod);
	case POLICY_PEER_IPBLOCK:
		if (other->ip.family == 0 || !cidr_contains_ip(&peer->block, &other->ip))
			return false;
		for (i = 0; i < peer->except_count; i++)
			if (cidr_contains_ip(&peer->except[i], &other->ip))
				return false;
		return true;
	case POLICY_PEER_NONE:
		break;
	}
	return false;
}

static bool rule_matches(const struct policy_model *m, const struct policy_rule *r,
			 const struct policy_ref *other, long dst_pod,
			 enum model_protocol protocol, int port)
{
	bool peer_ok = r->all_peers, port_ok = r->all_ports;
	size_t i;
	int lo, hi;

	for (i = 0; !peer_ok && i < r->peer_count; i++)
		peer_ok = peer_matches(&r->peers[i], other);
	for (i = 0; peer_ok && !port_ok && i < r->port_count; i++)
		port_ok = policy_port_resolve(m, &r->ports[i], dst_pod, protocol, &lo, &hi) &&
			  port >= lo && port <= hi;
	return peer_ok && port_ok;
}

static void eval_side(const struct policy_model *m, unsigned type, const struct policy_ref *self,
		      const struct policy_ref *other, long dst_pod, enum model_protocol protocol,
		      int port, struct policy_side *side)
{
	size_t i, j;

	memset(side, 0, sizeof(*side));
	side->policy = side->rule = -1;
	side->allowed = true;
	if (self->kind != POLICY_REF_POD || self->pod < 0 ||
	    !policy_model_pod_is_endpoint(m, (size_t)self->pod))
		return;
	side->applies = true;
	for (i = 0; i < m->entry_count; i++) {
		const struct policy_entry *e = &m->entries[i];
		const struct policy_rule *rules = type == NETPOL_TYPE_INGRESS ? e->ingress : e->egress;
		size_t count = type == NETPOL_TYPE_INGRESS ? e->ingress_count : e->egress_count;

		if (!(e->types & type) || !policy_entry_selects(e, (size_t)self->pod))
			continue;
		if (side->isolating_count < POLICY_VERDICT_MAX_ISOLATING)
			side->isolating[side->isolating_count] = (long)i;
		side->isolating_count++;
		for (j = 0; side->policy < 0 && j < count; j++)
			if (rule_matches(m, &rules[j], other, dst_pod, protocol, port)) {
				side->policy = (long)i;
				side->rule = (long)j;
			}
	}
	side->isolated = side->isolating_count > 0;
	side->allowed = !side->isolated || side->policy >= 0;
}

int policy_ref_pod(const struct policy_model *m, size_t pod, int family, struct policy_ref *out)
{
	struct ip_addr ips[8];
	size_t n, i;

	if (!m || !out || pod >= m->in.pod_count)
		return -ENOENT;
	memset(out, 0, sizeof(*out));
	out->kind = POLICY_REF_POD;
	out->pod = (long)pod;
	n = policy_model_pod_ips(m, pod, ips, 8);
	for (i = 0; i < n; i++)
		if (family == 0 || ips[i].family == family) {
			out->ip = ips[i];
			break;
		}
	return 0;
}

void policy_ref_ip(const struct policy_model *m, const struct ip_addr *ip, struct policy_ref *out)
{
	struct ip_addr ips[8];
	size_t pod, n, i;

	memset(out, 0, sizeof(*out));
	out->kind = POLICY_REF_IP;
	out->pod = -1;
	out->ip = *ip;
	for (pod = 0; pod < m->in.pod_count; pod++) {
		if (!policy_model_pod_is_endpoint(m, pod))
			continue;
		n = policy_model_pod_ips(m, pod, ips, 8);
		for (i = 0; i < n; i++)
			if (ip_equal(&ips[i], ip)) {
				out->kind = POLICY_REF_POD;
				out->pod = (long)pod;
				return;
			}
	}
}

int policy_verdict(const struct policy_model *m, const struct policy_ref *src,
		   const struct policy_ref *dst, enum model_protocol protocol, int port,
		   struct policy_verdict *out)
{
	long dst_pod;

	if (!m || !src || !dst || !out || port < 0 || port > 65535 ||
	    dst->kind == POLICY_REF_HOST)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	dst_pod = dst->kind == POLICY_REF_POD ? dst->pod : -1;
	eval_side(m, NETPOL_TYPE_EGRESS, src, dst, dst_pod, protocol, port, &out->egress);
	eval_side(m, NETPOL_TYPE_INGRESS, dst, src, dst_pod, protocol, port, &out->ingress);
	if (src->kind == POLICY_REF_HOST && out->ingress.applies) {
		/* kubelet probes: the node is never cut off from its own pods. */
		out->allowed = true;
		out->reason = POLICY_REASON_HOST_LOCAL;
		return 0;
	}
	out->allowed = out->egress.allowed && out->ingress.allowed;
	if (!out->egress.allowed)
		out->reason = POLICY_REASON_EGRESS_DENIED;
	else if (!out->ingress.allowed)
		out->reason = POLICY_REASON_INGRESS_DENIED;
	else
		out->reason = POLICY_REASON_ALLOWED;
	return 0;
}

static size_t format_side(const struct policy_model *m, const char *dir,
			  const struct policy_side *s, char *buf, size_t len)
{
	char name[300];
	int n;

	if (!s->applies)
		n = snprintf(buf, len, "%s: not a pod", dir);
	else if (!s->isolated)
		n = snprintf(buf, len, "%s: not isolated", dir);
	else if (s->allowed)
		n = snprintf(buf, len, "%s: allowed by %s rule %ld", dir,
			     policy_entry_name(&m->entries[s->policy], name, sizeof(name)),
			     s->rule);
	else
		n = snprintf(buf, len, "%s: isolated by %s (%zu %s), no rule allows", dir,
			     policy_entry_name(&m->entries[s->isolating[0]], name, sizeof(name)),
			     s->isolating_count, s->isolating_count == 1 ? "policy" : "policies");
	if (n < 0)
		return 0;
	return (size_t)n < len ? (size_t)n : (len ? len - 1 : 0);
}

const char *policy_verdict_format(const struct policy_model *m, const struct policy_verdict *v,
				  char *buf, size_t len)
{
	size_t used;

	if (!len)
		return buf;
	if (v->reason == POLICY_REASON_HOST_LOCAL) {
		snprintf(buf, len, "allow: node to its own pod (always allowed)");
		return buf;
	}
	used = (size_t)snprintf(buf, len, "%s: ", v->allowed ? "allow" : "deny");
	if (used >= len)
		return buf;
	used += format_side(m, "egress", &v->egress, buf + used, len - used);
	if (used + 2 < len) {
		memcpy(buf + used, "; ", 3);
		used += 2;
		format_side(m, "ingress", &v->ingress, buf + used, len - used);
	}
	return buf;
}
