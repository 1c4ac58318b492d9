/* felix_snapshot: informer lists -> model structs -> struct calc_input.
 *
 * Parsing goes through one loop per list with the kind's from_json /
 * validate / free passed in, so every kind gets the same skip-and-log
 * behaviour. The calc arrays are sized from the parsed counts up front and
 * never move afterwards, because the calc structs point into them (blocks
 * into the borrowed array, endpoints into the IP array) and into the model
 * structs' strings (node and pod names). */
#include "felix_snapshot.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block_alloc.h"
#include "kube_client.h"
#include "log.h"
#include "model/ipamblock.h"
#include "model/ippool.h"
#include "model/node.h"
#include "model/pod.h"

struct felix_snapshot_data {
	struct node *nodes;
	size_t node_count;
	struct ippool *pools;
	size_t pool_count;
	struct ipamblock *blocks;
	size_t block_count;
	struct pod *pods;
	size_t pod_count;
	struct calc_node *cnodes;
	struct calc_pool *cpools;
	struct calc_block *cblocks;
	struct calc_borrowed *borrowed;
	struct calc_endpoint *endpoints;
	struct ip_addr *ips;
};

typedef int (*parse_fn)(json_object *obj, void *out, struct model_errors *errs);
typedef void (*check_fn)(const void *obj, struct model_errors *errs);
typedef void (*release_fn)(void *obj);

#define KIND_OPS(prefix)                                                       \
	static int prefix##_parse_any(json_object *o, void *out, struct model_errors *e) \
	{                                                                      \
		return prefix##_from_json(o, out, e);                          \
	}                                                                      \
	static void prefix##_check_any(const void *obj, struct model_errors *e) \
	{                                                                      \
		prefix##_validate(obj, e);                                     \
	}                                                                      \
	static void prefix##_release_any(void *obj)                            \
	{                                                                      \
		prefix##_free(obj);                                            \
	}

KIND_OPS(node)
KIND_OPS(ippool)
KIND_OPS(ipamblock)
KIND_OPS(pod)
KIND_OPS(felixconfig)

static int parse_all(const char *kind, size_t size, parse_fn parse, check_fn check,
		     release_fn release, json_object *list, void **out, size_t *count,
		     size_t *skipped)
{
	size_t i, n = list && json_object_is_type(list, json_type_array)
			      ? json_object_array_length(list) : 0;
	char *items = calloc(n ? n : 1, size);

	*out = items;
	*count = 0;
	if (!items)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct model_errors errs = MODEL_ERRORS_INIT;
		json_object *obj = json_object_array_get_idx(list, i);
		void *slot = items + *count * size;
		int rc = parse(obj, slot, &errs);

		if (rc == -ENOMEM || errs.oom) {
			release(slot);
			model_errors_free(&errs);
			return -ENOMEM;
		}
		if (rc == 0)
			check(slot, &errs);
		if (rc < 0 || model_errors_failed(&errs)) {
			char first[400] = "", quoted[480], name[300];
			const char *objname = kube_object_name(obj);

			if (model_errors_count(&errs))
				model_errors_format(&errs, 0, first, sizeof(first));
			log_warn("event=object_skipped kind=%s name=%s reason=%s", kind,
				 log_quote(name, sizeof(name), objname ? objname : "?"),
				 log_quote(quoted, sizeof(quoted), first));
			release(slot);
			memset(slot, 0, size);
			(*skipped)++;
		} else {
			(*count)++;
		}
		model_errors_free(&errs);
	}
	return 0;
}

int felix_parse_mac(const char *text, uint8_t mac[6])
{
	unsigned v[6];
	char tail;
	int i;

	if (!text || strlen(text) != 17 ||
	    sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
		   &tail) != 6)
		return -EINVAL;
	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return 0;
}

static void fill_node(const struct node *n, struct calc_node *c)
{
	const char *mac = labels_get(&n->meta.annotations, NODE_ANNOTATION_VXLAN_MAC);
	const char *vtep = labels_get(&n->meta.annotations, NODE_ANNOTATION_VXLAN_ADDR);

	memset(c, 0, sizeof(*c));
	c->name = n->meta.name;
	c->has_ipv4 = node_bgp_ipv4(n, &c->ipv4) == 0;
	c->has_ipv6 = node_bgp_ipv6(n, &c->ipv6) == 0;
	if (mac && vtep && felix_parse_mac(mac, c->vtep_mac) == 0 &&
	    ip_parse(vtep, &c->vtep_addr) == 0 && c->vtep_addr.family == AF_INET)
		c->has_vtep = true;
}

/* Count the borrowed addresses of b (for sizing) or fill them. */
static size_t block_borrowed(const struct ipamblock *b, const struct cidr *net, const char *owner,
			     struct calc_borrowed *out)
{
	size_t ord, n = 0;

	for (ord = 0; ord < b->allocation_count; ord++) {
		int64_t idx = b->allocations[ord];
		const char *node;

		if (idx < 0 || (size_t)idx >= b->attribute_count)
			continue;
		node = labels_get(&b->attributes[idx].secondary, "node");
		if (!node || (owner && strcmp(node, owner) == 0))
			continue;
		if (out) {
			if (cidr_nth_addr(net, ord, &out[n].ip) < 0)
				continue;
			out[n].node = node;
		}
		n++;
	}
	return n;
}

/* Fill ips (room for max) from the pod; returns how many. */
static size_t pod_ips(const struct pod *p, struct ip_addr *ips, size_t max)
{
	const char *ann = labels_get(&p->meta.annotations, POD_ANNOTATION_POD_IPS);
	size_t n = 0, i;

	if (ann && ann[0]) {
		char buf[512], *save = NULL, *tok;

		snprintf(buf, sizeof(buf), "%s", ann);
		for (tok = strtok_r(buf, ",", &save); tok && n < max;
		     tok = strtok_r(NULL, ",", &save)) {
			struct cidr c;

			/* Tolerate "ip" and "ip/len". */
			if (ip_parse(tok, &ips[n]) == 0)
				n++;
			else if (cidr_parse(tok, &c) == 0)
				ips[n++] = c.addr;
		}
		return n;
	}
	for (i = 0; i < p->pod_ip_count && n < max; i++)
		if (ip_parse(p->pod_ips[i], &ips[n]) == 0)
			n++;
	if (!n && p->pod_ip && max && ip_parse(p->pod_ip, &ips[0]) == 0)
		n = 1;
	return n;
}

#define MAX_POD_IPS 4

static int pick_config(struct felix_snapshot *s, const char *node_name, json_object *list)
{
	struct felixconfig *configs = NULL;
	size_t n = 0, i, skipped = 0;
	char node_cfg[300];
	const struct felixconfig *pick = NULL;
	int rc;

	rc = parse_all("FelixConfiguration", sizeof(*configs), felixconfig_parse_any,
		       felixconfig_check_any, felixconfig_release_any, list, (void **)&configs,
		       &n, &skipped);
	s->skipped += skipped;
	if (rc < 0)
		goto out;
	snprintf(node_cfg, sizeof(node_cfg), "node.%s", node_name);
	for (i = 0; i < n; i++)
		if (configs[i].meta.name && strcmp(configs[i].meta.name, node_cfg) == 0)
			pick = &configs[i];
	for (i = 0; i < n && !pick; i++)
		if (configs[i].meta.name && strcmp(configs[i].meta.name, "default") == 0)
			pick = &configs[i];
	if (pick) {
		/* Move it out of the array so freeing the rest leaves it. */
		s->config = *pick;
		memset((void *)pick, 0, sizeof(*pick));
	} else {
		rc = felixconfig_init(&s->config);
	}
out:
	for (i = 0; i < n; i++)
		felixconfig_free(&configs[i]);
	free(configs);
	return rc;
}

int felix_snapshot_build(struct felix_snapshot *s, const char *node_name,
			 const struct felix_lists *lists)
{
	struct felix_snapshot_data *d;
	size_t i, n_borrowed = 0, n_ep = 0, b_at = 0;
	int rc;

	memset(s, 0, sizeof(*s));
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	s->data = d;
	rc = parse_all("Node", sizeof(struct node), node_parse_any, node_check_any,
		       node_release_any, lists->nodes, (void **)&d->nodes, &d->node_count,
		       &s->skipped);
	if (!rc)
		rc = parse_all("IPPool", sizeof(struct ippool), ippool_parse_any, ippool_check_any,
			       ippool_release_any, lists->pools, (void **)&d->pools,
			       &d->pool_count, &s->skipped);
	if (!rc)
		rc = parse_all("IPAMBlock", sizeof(struct ipamblock), ipamblock_parse_any,
			       ipamblock_check_any, ipamblock_release_any, lists->blocks,
			       (void **)&d->blocks, &d->block_count, &s->skipped);
	if (!rc)
		rc = parse_all("Pod", sizeof(struct pod), pod_parse_any, pod_check_any,
			       pod_release_any, lists->pods, (void **)&d->pods, &d->pod_count,
			       &s->skipped);
	if (!rc)
		rc = pick_config(s, node_name, lists->configs);
	if (rc < 0)
		goto fail;

	for (i = 0; i < d->block_count; i++) {
		struct cidr net;

		if (!d->blocks[i].deleted && cidr_parse(d->blocks[i].cidr, &net) == 0)
			n_borrowed += block_borrowed(&d->blocks[i], &net,
						     ipam_block_affinity_node(&d->blocks[i]), NULL);
	}
	d->cnodes = calloc(d->node_count + 1, sizeof(*d->cnodes));
	d->cpools = calloc(d->pool_count + 1, sizeof(*d->cpools));
	d->cblocks = calloc(d->block_count + 1, sizeof(*d->cblocks));
	d->borrowed = calloc(n_borrowed + 1, sizeof(*d->borrowed));
	d->endpoints = calloc(d->pod_count + 1, sizeof(*d->endpoints));
	d->ips = calloc(d->pod_count * MAX_POD_IPS + 1, sizeof(*d->ips));
	if (!d->cnodes || !d->cpools || !d->cblocks || !d->borrowed || !d->endpoints || !d->ips) {
		rc = -ENOMEM;
		goto fail;
	}

	for (i = 0; i < d->node_count; i++)
		fill_node(&d->nodes[i], &d->cnodes[i]);
	for (i = 0; i < d->pool_count; i++) {
		const struct ippool *p = &d->pools[i];
		struct calc_pool *c = &d->cpools[s->in.pool_count];

		if (!p->cidr_ok)
			continue;
		c->net = p->net;
		c->ipip_mode = p->ipip_mode;
		c->vxlan_mode = p->vxlan_mode;
		c->nat_outgoing = p->nat_outgoing;
		c->disabled = p->disabled;
		s->in.pool_count++;
	}
	for (i = 0; i < d->block_count; i++) {
		const struct ipamblock *b = &d->blocks[i];
		struct calc_block *c = &d->cblocks[s->in.block_count];

		if (b->deleted || cidr_parse(b->cidr, &c->cidr) < 0)
			continue;
		c->affinity_node = ipam_block_affinity_node(b);
		c->borrowed = &d->borrowed[b_at];
		c->borrowed_count = block_borrowed(b, &c->cidr, c->affinity_node, &d->borrowed[b_at]);
		b_at += c->borrowed_count;
		s->in.block_count++;
	}
	for (i = 0; i < d->pod_count; i++) {
		const struct pod *p = &d->pods[i];
		struct calc_endpoint *e = &d->endpoints[n_ep];
		struct ip_addr *ips = &d->ips[n_ep * MAX_POD_IPS];

		if (p->host_network || !p->node_name || strcmp(p->node_name, node_name) != 0)
			continue;
		e->ip_count = pod_ips(p, ips, MAX_POD_IPS);
		if (!e->ip_count)
			continue;
		e->pod_namespace = p->meta.namespace;
		e->pod_name = p->meta.name;
		e->ips = ips;
		n_ep++;
	}
	s->in.this_node = node_name;
	s->in.nodes = d->cnodes;
	s->in.node_count = d->node_count;
	s->in.pools = d->cpools;
	s->in.blocks = d->cblocks;
	s->in.endpoints = d->endpoints;
	s->in.endpoint_count = n_ep;
	s->in.program_cluster_routes = s->config.program_cluster_routes;
	return 0;
fail:
	felix_snapshot_free(s);
	return rc;
}

bool felix_snapshot_self_vtep(const struct felix_snapshot *s, bool *have_mac, bool *have_addr)
{
	const struct felix_snapshot_data *d = s->data;
	size_t i;

	*have_mac = false;
	*have_addr = false;
	if (!d || !s->in.this_node)
		return false;
	for (i = 0; i < d->node_count; i++) {
		const struct node *n = &d->nodes[i];
		const char *mac, *addr;
		uint8_t bytes[6];
		struct ip_addr ip;

		if (!n->meta.name || strcmp(n->meta.name, s->in.this_node) != 0)
			continue;
		mac = labels_get(&n->meta.annotations, NODE_ANNOTATION_VXLAN_MAC);
		addr = labels_get(&n->meta.annotations, NODE_ANNOTATION_VXLAN_ADDR);
		*have_mac = mac && felix_parse_mac(mac, bytes) == 0;
		*have_addr = addr && ip_parse(addr, &ip) == 0 && ip.family == AF_INET;
		return true;
	}
	return false;
}

void felix_snapshot_free(struct felix_snapshot *s)
{
	struct felix_snapshot_data *d = s->data;
	size_t i;

	if (d) {
		for (i = 0; i < d->node_count; i++)
			node_free(&d->nodes[i]);
		for (i = 0; i < d->pool_count; i++)
			ippool_free(&d->pools[i]);
		for (i = 0; i < d->block_count; i++)
			ipamblock_free(&d->blocks[i]);
		for (i = 0; i < d->pod_count; i++)
			pod_free(&d->pods[i]);
		free(d->nodes);
		free(d->pools);
		free(d->blocks);
		free(d->pods);
		free(d->cnodes);
		free(d->cpools);
		free(d->cblocks);
		free(d->borrowed);
		free(d->endpoints);
		free(d->ips);
		free(d);
	}
	felixconfig_free(&s->config);
	memset(s, 0, sizeof(*s));
}
