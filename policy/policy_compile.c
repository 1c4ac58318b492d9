/* policy_compile: folding every policy that selects an endpoint into that
 * endpoint's four sets.
 *
 * For one endpoint and one direction, each rule contributes peer address
 * ranges R (per family): a pod peer its pods' IPs, an ipBlock its cidr
 * minus excepts, an absent peer list the whole family. With no ports, R goes
 * to the all-ports set; otherwise each port adds R × (protocol, port range)
 * rectangles. A named port resolves against the destination: for ingress
 * that is the endpoint itself; for egress every pod of the cluster whose IP
 * lies in R gets its own rectangle (its IP, the port its container calls by
 * that name) — exactly policy_port_resolve() as the verdict uses it.
 * policy_ranges makes the elements disjoint and canonical. */
#include "policy_compile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cni_names.h"
#include "log.h"
#include "policy_ranges.h"

#define MAX_POD_IPS 8

struct side_sets {
	struct policy_range_list all;
	struct policy_rect_list rects;
};

static bool iface_valid(const char *s)
{
	size_t n = 0;

	if (!s)
		return false;
	for (; s[n]; n++)
		if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z') ||
		      (s[n] >= '0' && s[n] <= '9') || s[n] == '_'))
			return false;
	return n >= 1 && n <= 15;
}

static int add_pod_ips(const struct policy_model *m, size_t pod, int family,
		       struct policy_range_list *r)
{
	struct ip_addr ips[MAX_POD_IPS];
	size_t n, i;
	int rc;

	n = policy_model_pod_ips(m, pod, ips, MAX_POD_IPS);
	for (i = 0; i < n; i++) {
		if (ips[i].family != family)
			continue;
		rc = policy_ranges_add(r, policy_addr_value(&ips[i]), policy_addr_value(&ips[i]));
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* R for a rule, one family. */
static int rule_ranges(const struct policy_model *m, const struct policy_rule *rule, int family,
		       struct policy_range_list *r)
{
	size_t i, k;
	int rc;

	if (rule->all_peers)
		return policy_ranges_add(r, 0, policy_addr_max(family));
	for (i = 0; i < rule->peer_count; i++) {
		const struct policy_peer *p = &rule->peers[i];

		switch (p->kind) {
		case POLICY_PEER_PODS:
			for (k = 0; k < p->pod_count; k++) {
				rc = add_pod_ips(m, p->pods[k], family, r);
				if (rc < 0)
					return rc;
			}
			break;
		case POLICY_PEER_IPBLOCK:
			rc = policy_ranges_add_block(r, &p->block, p->except, p->except_count);
			if (rc < 0)
				return rc;
			break;
		case POLICY_PEER_NONE:
			break;
		}
	}
	policy_ranges_normalise(r);
	return 0;
}

static bool ranges_contain(const struct policy_range_list *r, policy_u128 v)
{
	size_t i;

	for (i = 0; i < r->count; i++)
		if (r->items[i].lo <= v && v <= r->items[i].hi)
			return true;
	return false;
}

/* Named port of an egress rule: one rectangle per destination pod in R. */
static int egress_named_port(const struct policy_model *m, const struct policy_port *port,
			     const struct policy_range_list *r, struct policy_rect_list *rects)
{
	struct ip_addr ips[MAX_POD_IPS];
	size_t q, n, i;
	int lo, hi, rc;

	for (q = 0; q < m->in.pod_count; q++) {
		if (!policy_model_pod_is_endpoint(m, q) ||
		    !policy_port_resolve(m, port, (long)q, port->protocol, &lo, &hi))
			continue;
		n = policy_model_pod_ips(m, q, ips, MAX_POD_IPS);
		for (i = 0; i < n; i++) {
			policy_u128 v = policy_addr_value(&ips[i]);

			if (ips[i].family != rects->family || !ranges_contain(r, v))
				continue;
			rc = policy_rects_add(rects, v, v, port->protocol, lo, hi);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

static int add_rule(const struct policy_model *m, const struct policy_rule *rule, unsigned dir,
		    size_t self, struct side_sets *s)
{
	struct policy_range_list r = { .family = s->all.family };
	size_t i, k;
	int lo, hi, rc;

	rc = rule_ranges(m, rule, s->all.family, &r);
	if (rc < 0 || r.count == 0)
		goto out;
	if (rule->all_ports) {
		for (k = 0; k < r.count && rc == 0; k++)
			rc = policy_ranges_add(&s->all, r.items[k].lo, r.items[k].hi);
		goto out;
	}
	for (i = 0; i < rule->port_count && rc == 0; i++) {
		const struct policy_port *port = &rule->ports[i];

		if (port->name && dir == NETPOL_TYPE_EGRESS) {
			rc = egress_named_port(m, port, &r, &s->rects);
			continue;
		}
		if (!policy_port_resolve(m, port, (long)self, port->protocol, &lo, &hi))
			continue;
		for (k = 0; k < r.count && rc == 0; k++)
			rc = policy_rects_add(&s->rects, r.items[k].lo, r.items[k].hi,
					      port->protocol, lo, hi);
	}
out:
	policy_ranges_free(&r);
	return rc;
}

static int emit_sets(const struct side_sets *s, const char *prefix, const char *fam,
		     struct policy_ruleset *out)
{
	char name[64], addr[2 * IP_ADDR_STRLEN + 8];
	const char *addr_type = s->all.family == AF_INET ? "ipv4_addr" : "ipv6_addr";
	char type[96];
	struct policy_set *set;
	size_t i;
	int rc;

	snprintf(name, sizeof(name), "%s_%s", prefix, fam);
	rc = policy_ruleset_add_set(out, name, false, addr_type, true, &set);
	for (i = 0; rc == 0 && i < s->all.count; i++)
		rc = policy_strings_add(&set->elements,
					policy_range_format(s->all.family, s->all.items[i].lo,
							    s->all.items[i].hi, addr, sizeof(addr)));
	if (rc < 0)
		return rc;
	snprintf(name, sizeof(name), "%s_%sp", prefix, fam);
	snprintf(type, sizeof(type), "%s . inet_proto . inet_service", addr_type);
	rc = policy_ruleset_add_set(out, name, false, type, true, &set);
	for (i = 0; rc == 0 && i < s->rects.count; i++) {
		const struct policy_rect *r = &s->rects.items[i];

		policy_range_format(s->rects.family, r->lo, r->hi, addr, sizeof(addr));
		if (r->port_lo == r->port_hi)
			rc = policy_strings_addf(&set->elements, "%s . %s . %d", addr,
						 policy_nft_protocol(r->protocol), r->port_lo);
		else
			rc = policy_strings_addf(&set->elements, "%s . %s . %d-%d", addr,
						 policy_nft_protocol(r->protocol), r->port_lo,
						 r->port_hi);
	}
	return rc;
}

static int emit_chain(const char *prefix, unsigned dir, struct policy_ruleset *out)
{
	const char *field = dir == NETPOL_TYPE_INGRESS ? "saddr" : "daddr";
	const char *verdict = dir == NETPOL_TYPE_INGRESS ? "accept" : "return";
	struct policy_chain *c;
	int rc;

	rc = policy_ruleset_add_chain(out, prefix, NULL, &c);
	if (rc < 0)
		return rc;
	if (policy_strings_addf(&c->rules, "ip %s @%s_v4 %s", field, prefix, verdict) < 0 ||
	    policy_strings_addf(&c->rules, "ip %s . meta l4proto . th dport @%s_v4p %s", field,
				prefix, verdict) < 0 ||
	    policy_strings_addf(&c->rules, "ip6 %s @%s_v6 %s", field, prefix, verdict) < 0 ||
	    policy_strings_addf(&c->rules, "ip6 %s . meta l4proto . th dport @%s_v6p %s", field,
				prefix, verdict) < 0 ||
	    policy_strings_add(&c->rules, "counter drop") < 0)
		return -ENOMEM;
	return 0;
}

/* One endpoint, one direction. *isolated tells the caller to add the map element. */
static int compile_side(const struct policy_model *m, size_t pod, const char *iface,
			unsigned dir, struct policy_ruleset *out, bool *isolated)
{
	static const int families[2] = { AF_INET, AF_INET6 };
	struct side_sets s[2] = { 0 };
	char prefix[32];
	size_t e, j, f;
	int rc = 0;

	*isolated = false;
	for (f = 0; f < 2; f++) {
		s[f].all.family = families[f];
		s[f].rects.family = families[f];
	}
	for (e = 0; e < m->entry_count; e++) {
		const struct policy_entry *en = &m->entries[e];
		const struct policy_rule *rules = dir == NETPOL_TYPE_INGRESS ? en->ingress : en->egress;
		size_t count = dir == NETPOL_TYPE_INGRESS ? en->ingress_count : en->egress_count;

		if (!(en->types & dir) || !policy_entry_selects(en, pod))
			continue;
		*isolated = true;
		for (j = 0; j < count; j++)
			for (f = 0; f < 2; f++) {
				rc = add_rule(m, &rules[j], dir, pod, &s[f]);
				if (rc < 0)
					goto out;
			}
	}
	if (!*isolated)
		goto out;
	snprintf(prefix, sizeof(prefix), "%s_%s", dir == NETPOL_TYPE_INGRESS ? "to" : "from", iface);
	for (f = 0; f < 2; f++) {
		policy_ranges_normalise(&s[f].all);
		rc = policy_rects_normalise(&s[f].rects);
		if (rc < 0)
			goto out;
		rc = emit_sets(&s[f], prefix, f == 0 ? "v4" : "v6", out);
		if (rc < 0)
			goto out;
	}
	rc = emit_chain(prefix, dir, out);
out:
	for (f = 0; f < 2; f++) {
		policy_ranges_free(&s[f].all);
		policy_rects_free(&s[f].rects);
	}
	return rc;
}

/* Fail closed: a pod interface felix has not programmed yet (its Pod not
 * seen, or not bound to this node) passes nothing new until it is. */
#define UNKNOWN_FROM                                                                     \
	"iifname \"" CNI_VETH_PREFIX "*\" iifname != @" POLICY_SET_ENDPOINTS                 \
	" counter drop comment \"unknown pod interface\""
#define UNKNOWN_TO                                                                       \
	"oifname \"" CNI_VETH_PREFIX "*\" oifname != @" POLICY_SET_ENDPOINTS                 \
	" counter drop comment \"unknown pod interface\""

static int emit_base(struct policy_ruleset *out)
{
	struct policy_chain *c;
	int rc;

	rc = policy_ruleset_add_set(out, POLICY_MAP_FROM_POD, true, "ifname : verdict", false, NULL);
	if (rc == 0)
		rc = policy_ruleset_add_set(out, POLICY_SET_ENDPOINTS, false, "ifname", false, NULL);
	if (rc == 0)
		rc = policy_ruleset_add_set(out, POLICY_MAP_TO_POD, true, "ifname : verdict", false,
					    NULL);
	if (rc == 0)
		rc = policy_ruleset_add_chain(out, "forward",
					      "type filter hook forward priority filter; policy accept;",
					      &c);
	if (rc < 0)
		return rc;
	/* replies and related ICMP first: the common case costs one lookup */
	if (policy_strings_add(&c->rules, "ct state established,related accept") < 0 ||
	    policy_strings_add(&c->rules, "ct state invalid drop") < 0 ||
	    policy_strings_add(&c->rules, UNKNOWN_FROM) < 0 ||
	    policy_strings_add(&c->rules, UNKNOWN_TO) < 0 ||
	    policy_strings_add(&c->rules, "iifname vmap @" POLICY_MAP_FROM_POD) < 0 ||
	    policy_strings_add(&c->rules, "oifname vmap @" POLICY_MAP_TO_POD) < 0)
		return -ENOMEM;
	rc = policy_ruleset_add_chain(out, "input",
				      "type filter hook input priority filter; policy accept;", &c);
	if (rc < 0)
		return rc;
	/* pods to the node itself are egress too; neighbour discovery must
	 * survive isolation or an IPv6 pod loses its gateway */
	if (policy_strings_add(&c->rules, "ct state established,related accept") < 0 ||
	    policy_strings_add(&c->rules, "icmpv6 type { nd-router-solicit, nd-neighbor-solicit, "
					  "nd-neighbor-advert } accept") < 0 ||
	    policy_strings_add(&c->rules, UNKNOWN_FROM) < 0 ||
	    policy_strings_add(&c->rules, "iifname vmap @" POLICY_MAP_FROM_POD) < 0)
		return -ENOMEM;
	return 0;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static struct policy_set *find_set(struct policy_ruleset *rs, const char *name)
{
	return (struct policy_set *)policy_ruleset_find_set(rs, name);
}

int policy_compile(const struct policy_model *m, const struct policy_endpoint *endpoints,
		   size_t endpoint_count, struct policy_ruleset *out)
{
	size_t i;
	long pod;
	bool iso;
	int rc;

	if (!m || !out || (endpoint_count && !endpoints))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	rc = emit_base(out);
	if (rc < 0)
		goto fail;
	for (i = 0; i < endpoint_count; i++) {
		const struct policy_endpoint *ep = &endpoints[i];

		if (!iface_valid(ep->iface)) {
			log_error("event=policy_compile_failed iface=%s err=\"invalid interface name\"",
				  ep->iface ? ep->iface : "");
			rc = -EINVAL;
			goto fail;
		}
		pod = policy_model_find_pod(m, ep->pod_namespace, ep->pod_name);
		if (pod < 0 || !policy_model_pod_is_endpoint(m, (size_t)pod)) {
			log_warn("event=policy_endpoint_skipped iface=%s pod=%s/%s reason=%s", ep->iface,
				 ep->pod_namespace ? ep->pod_namespace : "",
				 ep->pod_name ? ep->pod_name : "",
				 pod < 0 ? "unknown_pod" : "host_network");
			continue;
		}
		rc = policy_strings_addf(&find_set(out, POLICY_SET_ENDPOINTS)->elements, "\"%s\"",
					 ep->iface);
		if (rc == 0)
			rc = compile_side(m, (size_t)pod, ep->iface, NETPOL_TYPE_INGRESS, out, &iso);
		if (rc == 0 && iso)
			rc = policy_strings_addf(&find_set(out, POLICY_MAP_TO_POD)->elements,
						 "\"%s\" : jump to_%s", ep->iface, ep->iface);
		if (rc == 0)
			rc = compile_side(m, (size_t)pod, ep->iface, NETPOL_TYPE_EGRESS, out, &iso);
		if (rc == 0 && iso)
			rc = policy_strings_addf(&find_set(out, POLICY_MAP_FROM_POD)->elements,
						 "\"%s\" : jump from_%s", ep->iface, ep->iface);
		if (rc < 0)
			goto fail;
	}
	for (i = 0; i < out->set_count; i++)
		if ((out->sets[i].is_map || strcmp(out->sets[i].name, POLICY_SET_ENDPOINTS) == 0) &&
		    out->sets[i].elements.count)
			qsort(out->sets[i].elements.items, out->sets[i].elements.count,
			      sizeof(char *), str_cmp);
	rc = policy_ruleset_sort(out);
	if (rc < 0)
		goto fail;
	return 0;
fail:
	policy_ruleset_free(out);
	return rc;
}
