/* calc: desired dataplane state from plain inputs (see calc.h).
 *
 * Routes are gathered in three passes with a precedence rank (endpoint 0,
 * blackhole 1, remote 2), then sorted by (destination, rank) and reduced to
 * the first entry per destination, which both orders the output for the
 * managers' diffs and implements precedence in one place: a pod that runs
 * here with an address of a block another node owns gets its /32 endpoint
 * route and the block route stays too (the kernel's longest match picks the
 * /32), while a duplicate destination never reaches the kernel twice.
 * Node lookups are linear: calc runs once per batched change over a few
 * hundred nodes, and keeping the inputs plain arrays keeps callers simple. */
#include "calc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cni_names.h"

struct ranked_route {
	struct calc_route route;
	int rank;
};

struct route_buf {
	struct ranked_route *items;
	size_t count;
	size_t cap;
};

static int route_buf_push(struct route_buf *buf, const struct calc_route *r, int rank)
{
	if (buf->count == buf->cap) {
		size_t cap = buf->cap ? buf->cap * 2 : 64;
		struct ranked_route *items = realloc(buf->items, cap * sizeof(*items));

		if (!items)
			return -ENOMEM;
		buf->items = items;
		buf->cap = cap;
	}
	buf->items[buf->count].route = *r;
	buf->items[buf->count].rank = rank;
	buf->count++;
	return 0;
}

static const struct calc_node *find_node(const struct calc_input *in, const char *name)
{
	size_t i;

	if (!name)
		return NULL;
	for (i = 0; i < in->node_count; i++)
		if (in->nodes[i].name && strcmp(in->nodes[i].name, name) == 0)
			return &in->nodes[i];
	return NULL;
}

/* Longest-prefix pool holding dst, or NULL. */
static const struct calc_pool *find_pool(const struct calc_input *in, const struct cidr *dst)
{
	const struct calc_pool *best = NULL;
	size_t i;

	for (i = 0; i < in->pool_count; i++) {
		const struct calc_pool *p = &in->pools[i];

		if (!cidr_contains(&p->net, dst))
			continue;
		if (!best || p->net.prefix_len > best->net.prefix_len)
			best = p;
	}
	return best;
}

static const struct cidr *node_addr(const struct calc_node *n, int family)
{
	if (!n)
		return NULL;
	if (family == AF_INET)
		return n->has_ipv4 ? &n->ipv4 : NULL;
	if (family == AF_INET6)
		return n->has_ipv6 ? &n->ipv6 : NULL;
	return NULL;
}

static void set_reason(struct calc_route *r, const char *reason)
{
	r->kind = CALC_ROUTE_NONE;
	r->ifname[0] = '\0';
	r->has_gw = false;
	r->onlink = false;
	snprintf(r->reason, sizeof(r->reason), "%s", reason);
}

/* Fill kind, device and next hop of a route to dst owned by remote node n.
 * Pure decision; see the rule in calc.h. */
static void decide_remote(const struct calc_input *in, const struct calc_node *self,
			  const struct calc_node *n, struct calc_route *r)
{
	int family = r->dst.addr.family;
	const struct calc_pool *pool = find_pool(in, &r->dst);
	enum ippool_encap_mode vxlan = pool ? pool->vxlan_mode : IPPOOL_MODE_NEVER;
	enum ippool_encap_mode ipip = pool ? pool->ipip_mode : IPPOOL_MODE_NEVER;
	const struct cidr *self_addr = node_addr(self, family);
	const struct cidr *peer_addr = node_addr(n, family);
	bool same_subnet;

	if (!n) {
		set_reason(r, "node-unknown");
		return;
	}
	if (!peer_addr) {
		set_reason(r, "node-has-no-address");
		return;
	}
	same_subnet = self_addr && cidr_contains_ip(self_addr, &peer_addr->addr);
	if (family == AF_INET6) {
		vxlan = IPPOOL_MODE_NEVER;
		ipip = IPPOOL_MODE_NEVER;
	}

	if (vxlan != IPPOOL_MODE_NEVER) {
		if (vxlan == IPPOOL_MODE_CROSS_SUBNET && !self_addr) {
			set_reason(r, "local-address-unknown");
			return;
		}
		if (vxlan == IPPOOL_MODE_ALWAYS || !same_subnet) {
			if (!n->has_vtep) {
				set_reason(r, "node-has-no-vtep");
				return;
			}
			r->kind = CALC_ROUTE_VXLAN;
			snprintf(r->ifname, sizeof(r->ifname), "%s", CALC_VXLAN_DEVICE);
			r->has_gw = true;
			r->gw = n->vtep_addr;
			r->onlink = true;
			return;
		}
	} else if (ipip != IPPOOL_MODE_NEVER) {
		if (ipip == IPPOOL_MODE_CROSS_SUBNET && !self_addr) {
			set_reason(r, "local-address-unknown");
			return;
		}
		if (ipip == IPPOOL_MODE_ALWAYS || !same_subnet) {
			r->kind = CALC_ROUTE_IPIP;
			snprintf(r->ifname, sizeof(r->ifname), "%s", CALC_IPIP_DEVICE);
			r->has_gw = true;
			r->gw = peer_addr->addr;
			r->onlink = true;
			return;
		}
	}

	/* No encapsulation for this destination. */
	if (!in->program_cluster_routes) {
		set_reason(r, "bgp");
		return;
	}
	if (!same_subnet) {
		set_reason(r, self_addr ? "not-on-link" : "local-address-unknown");
		return;
	}
	r->kind = CALC_ROUTE_DIRECT;
	r->ifname[0] = '\0';
	r->has_gw = true;
	r->gw = peer_addr->addr;
	r->onlink = false;
}

static void host_prefix(const struct ip_addr *ip, struct cidr *out)
{
	out->addr = *ip;
	out->prefix_len = ip_max_prefix(ip->family);
}

static int add_endpoints(const struct calc_input *in, struct route_buf *buf)
{
	size_t i, j;
	int rc;

	for (i = 0; i < in->endpoint_count; i++) {
		const struct calc_endpoint *ep = &in->endpoints[i];
		struct calc_route r;
		char veth[CNI_IFNAME_MAX + 1];

		if (!ep->pod_namespace || !ep->pod_name ||
		    cni_host_veth_name(ep->pod_namespace, ep->pod_name, NULL, veth) < 0)
			continue;
		for (j = 0; j < ep->ip_count; j++) {
			if (!ip_max_prefix(ep->ips[j].family))
				continue;
			memset(&r, 0, sizeof(r));
			host_prefix(&ep->ips[j], &r.dst);
			r.kind = CALC_ROUTE_ENDPOINT;
			snprintf(r.ifname, sizeof(r.ifname), "%s", veth);
			rc = route_buf_push(buf, &r, 0);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

static int add_remote(const struct calc_input *in, const struct calc_node *self,
		      const struct cidr *dst, const char *owner, struct route_buf *buf)
{
	struct calc_route r;

	memset(&r, 0, sizeof(r));
	r.dst = *dst;
	cidr_network(&r.dst);
	snprintf(r.node, sizeof(r.node), "%s", owner);
	decide_remote(in, self, find_node(in, owner), &r);
	return route_buf_push(buf, &r, 2);
}

static int add_blocks(const struct calc_input *in, struct route_buf *buf)
{
	const struct calc_node *self = find_node(in, in->this_node);
	size_t i, j;
	int rc;

	for (i = 0; i < in->block_count; i++) {
		const struct calc_block *b = &in->blocks[i];
		const char *owner = b->affinity_node;

		if (!ip_max_prefix(b->cidr.addr.family))
			continue;
		if (owner && strcmp(owner, in->this_node) == 0) {
			struct calc_route r;

			memset(&r, 0, sizeof(r));
			r.dst = b->cidr;
			cidr_network(&r.dst);
			r.kind = CALC_ROUTE_BLACKHOLE;
			rc = route_buf_push(buf, &r, 1);
		} else if (owner) {
			rc = add_remote(in, self, &b->cidr, owner, buf);
		} else {
			rc = 0; /* unowned block: only its borrowed addresses route */
		}
		if (rc < 0)
			return rc;
		for (j = 0; j < b->borrowed_count; j++) {
			const struct calc_borrowed *bw = &b->borrowed[j];
			struct cidr host;

			/* Local pods are endpoint routes; an allocation of the
			 * owner itself is covered by the block route. */
			if (!bw->node || strcmp(bw->node, in->this_node) == 0 ||
			    (owner && strcmp(bw->node, owner) == 0) ||
			    !ip_max_prefix(bw->ip.family))
				continue;
			host_prefix(&bw->ip, &host);
			rc = add_remote(in, self, &host, bw->node, buf);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

int calc_route_compare(const struct calc_route *a, const struct calc_route *b)
{
	int c = ip_compare(&a->dst.addr, &b->dst.addr);

	if (c)
		return c;
	if (a->dst.prefix_len != b->dst.prefix_len)
		return a->dst.prefix_len < b->dst.prefix_len ? -1 : 1;
	return 0;
}

static int ranked_compare(const void *pa, const void *pb)
{
	const struct ranked_route *a = pa, *b = pb;
	int c = calc_route_compare(&a->route, &b->route);

	if (c)
		return c;
	return a->rank - b->rank;
}

static int vtep_compare(const void *pa, const void *pb)
{
	const struct calc_vtep *a = pa, *b = pb;

	return strcmp(a->node, b->node);
}

static int add_vteps(const struct calc_input *in, struct calc_output *out)
{
	size_t i;

	out->vteps = calloc(in->node_count ? in->node_count : 1, sizeof(*out->vteps));
	if (!out->vteps)
		return -ENOMEM;
	for (i = 0; i < in->node_count; i++) {
		const struct calc_node *n = &in->nodes[i];
		struct calc_vtep *v;

		if (!n->name || strcmp(n->name, in->this_node) == 0 || !n->has_vtep ||
		    !n->has_ipv4)
			continue;
		v = &out->vteps[out->vtep_count++];
		snprintf(v->node, sizeof(v->node), "%s", n->name);
		v->node_ip = n->ipv4.addr;
		memcpy(v->mac, n->vtep_mac, sizeof(v->mac));
		v->tunnel_addr = n->vtep_addr;
	}
	qsort(out->vteps, out->vtep_count, sizeof(*out->vteps), vtep_compare);
	return 0;
}

static int add_pools(const struct calc_input *in, struct calc_output *out)
{
	size_t i, n = in->pool_count ? in->pool_count : 1;

	out->nat_pools = calloc(n, sizeof(*out->nat_pools));
	out->all_pools = calloc(n, sizeof(*out->all_pools));
	if (!out->nat_pools || !out->all_pools)
		return -ENOMEM;
	for (i = 0; i < in->pool_count; i++) {
		struct cidr net = in->pools[i].net;

		cidr_network(&net);
		out->all_pools[out->all_pool_count++] = net;
		if (in->pools[i].nat_outgoing)
			out->nat_pools[out->nat_pool_count++] = net;
	}
	return 0;
}

int calc_compute(const struct calc_input *in, struct calc_output *out)
{
	struct route_buf buf = {0};
	size_t i;
	int rc;

	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (!in || !in->this_node)
		return -EINVAL;

	rc = add_endpoints(in, &buf);
	if (rc < 0)
		goto out;
	rc = add_blocks(in, &buf);
	if (rc < 0)
		goto out;
	if (buf.count > 1)
		qsort(buf.items, buf.count, sizeof(*buf.items), ranked_compare);

	out->routes = calloc(buf.count ? buf.count : 1, sizeof(*out->routes));
	if (!out->routes) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < buf.count; i++) {
		if (out->route_count &&
		    calc_route_compare(&out->routes[out->route_count - 1],
				       &buf.items[i].route) == 0)
			continue; /* lower precedence duplicate */
		out->routes[out->route_count++] = buf.items[i].route;
	}
	rc = add_vteps(in, out);
	if (rc < 0)
		goto out;
	rc = add_pools(in, out);
out:
	free(buf.items);
	if (rc < 0)
		calc_output_free(out);
	return rc;
}

void calc_output_free(struct calc_output *out)
{
	if (!out)
		return;
	free(out->routes);
	free(out->vteps);
	free(out->nat_pools);
	free(out->all_pools);
	memset(out, 0, sizeof(*out));
}

const struct calc_route *calc_output_find(const struct calc_output *out, const struct cidr *dst)
{
	struct calc_route key;
	size_t lo = 0, hi;

	if (!out || !dst)
		return NULL;
	memset(&key, 0, sizeof(key));
	key.dst = *dst;
	cidr_network(&key.dst);
	hi = out->route_count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = calc_route_compare(&out->routes[mid], &key);

		if (c == 0)
			return &out->routes[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const char *calc_route_kind_name(enum calc_route_kind kind)
{
	switch (kind) {
	case CALC_ROUTE_ENDPOINT:
		return "endpoint";
	case CALC_ROUTE_BLACKHOLE:
		return "blackhole";
	case CALC_ROUTE_DIRECT:
		return "direct";
	case CALC_ROUTE_VXLAN:
		return "vxlan";
	case CALC_ROUTE_IPIP:
		return "ipip";
	case CALC_ROUTE_NONE:
		return "none";
	}
	return "unknown";
}

unsigned calc_pod_mtu(unsigned uplink_mtu, enum calc_encap encap)
{
	unsigned overhead = encap == CALC_ENCAP_VXLAN ? 50 : encap == CALC_ENCAP_IPIP ? 20 : 0;

	if (uplink_mtu < 576 + overhead)
		return 0;
	return uplink_mtu - overhead;
}
