/* validate_set: cross-object checks. Pool overlap is O(n^2) over pools,
 * which is fine: clusters have a handful of pools. Pools whose cidr does not
 * parse are skipped here; ippool_validate() already reports them. */
#include "model/validate_set.h"

#include <errno.h>
#include <string.h>

#include "selector.h"

static const char *name_or_empty(const char *s)
{
	return s ? s : "";
}

void model_validate_pool_overlaps(const struct ippool *pools, size_t n,
				  struct model_errors *errs)
{
	struct cidr a, b;
	size_t i, j;

	for (i = 0; i < n; i++) {
		if (pools[i].disabled || !pools[i].cidr || cidr_parse(pools[i].cidr, &a) < 0)
			continue;
		for (j = 0; j < i; j++) {
			if (pools[j].disabled || !pools[j].cidr ||
			    cidr_parse(pools[j].cidr, &b) < 0 || !cidr_overlaps(&a, &b))
				continue;
			model_errors_set_object(errs, "IPPool", pools[i].meta.name);
			model_errors_add(errs, "spec.cidr",
					 "%s overlaps %s of enabled IPPool \"%s\"; enabled pools "
					 "must not overlap",
					 pools[i].cidr, pools[j].cidr,
					 name_or_empty(pools[j].meta.name));
		}
	}
}

/* Does the peer apply to this node? */
static int peer_applies(const struct bgppeer *peer, const struct node *node)
{
	struct selector *sel = NULL;
	int match;

	if (peer->node && peer->node[0])
		return node->meta.name && strcmp(peer->node, node->meta.name) == 0;
	if (!peer->node_selector || !peer->node_selector[0])
		return 1;
	if (selector_parse(peer->node_selector, &sel, NULL, 0) < 0)
		return 0;
	match = selector_matches(sel, &node->meta.labels);
	selector_free(sel);
	return match;
}

void model_validate_peer_families(const struct bgppeer *peer, const struct node *nodes,
				  size_t n, struct model_errors *errs)
{
	struct ip_addr ip;
	struct cidr c4, c6;
	uint16_t port;
	bool has4, has6;
	size_t i;

	if (!peer->peer_ip || bgppeer_parse_peer_ip(peer->peer_ip, &ip, &port) < 0)
		return;
	for (i = 0; i < n; i++) {
		if (!peer_applies(peer, &nodes[i]))
			continue;
		has4 = node_bgp_ipv4(&nodes[i], &c4) == 0;
		has6 = node_bgp_ipv6(&nodes[i], &c6) == 0;
		if (!has4 && !has6)
			continue;
		if ((ip.family == AF_INET && has4) || (ip.family == AF_INET6 && has6))
			continue;
		model_errors_set_object(errs, "BGPPeer", peer->meta.name);
		model_errors_add(errs, "spec.peerIP",
				 "IPv%d peer %s but node \"%s\" has no IPv%d address "
				 "(annotation %s)",
				 ip.family == AF_INET ? 4 : 6, peer->peer_ip,
				 name_or_empty(nodes[i].meta.name), ip.family == AF_INET ? 4 : 6,
				 ip.family == AF_INET ? NODE_ANNOTATION_IPV4_ADDRESS
						      : NODE_ANNOTATION_IPV6_ADDRESS);
	}
}

void model_validate_block_in_pools(const struct ipamblock *block,
				   const struct ippool *pools, size_t n,
				   struct model_errors *errs)
{
	struct cidr b, p;
	size_t i;

	if (!block->cidr || cidr_parse(block->cidr, &b) < 0)
		return;
	model_errors_set_object(errs, "IPAMBlock", block->meta.name);
	for (i = 0; i < n; i++) {
		if (!pools[i].cidr || cidr_parse(pools[i].cidr, &p) < 0 || !cidr_contains(&p, &b))
			continue;
		if ((int)b.prefix_len != pools[i].block_size)
			model_errors_add(errs, "spec.cidr",
					 "block %s is a /%u but IPPool \"%s\" (%s) has blockSize %d",
					 block->cidr, b.prefix_len, name_or_empty(pools[i].meta.name),
					 pools[i].cidr, pools[i].block_size);
		return;
	}
	model_errors_add(errs, "spec.cidr", "block %s is not inside any IPPool", block->cidr);
}
