/* node_gc: the node controller's decisions (see node_gc.h).
 *
 * The snapshot is scanned per gone node: allocations first (to know which
 * blocks this plan empties and which keep addresses of the node), then its
 * blocks, then its affinities. Everything is a linear scan: a cluster has
 * thousands of IPAM objects and the plan runs on node deletion only.
 * The pod-exists test is deliberately wider than check's "leaked" rule: a
 * pod bound to the gone node keeps its address even if it has no container
 * annotation yet, because its kubelet may still be running it. */
#include "node_gc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block_alloc.h"
#include "cidr.h"

static bool in_list(char **list, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(list[i], name) == 0)
			return true;
	return false;
}

static int list_add(char ***list, size_t *n, const char *name)
{
	char **grown;

	if (!name || !*name || in_list(*list, *n, name))
		return 0;
	grown = realloc(*list, (*n + 1) * sizeof(**list));
	if (!grown)
		return -ENOMEM;
	*list = grown;
	if (!(grown[*n] = strdup(name)))
		return -ENOMEM;
	(*n)++;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int note_gone(const struct ipam_snapshot *s, const char *node, struct ctrl_node_gc_plan *p)
{
	if (!node || !*node || ipam_snapshot_has_node(s, node))
		return 0;
	return list_add(&p->gone, &p->gone_count, node);
}

static int find_gone(const struct ipam_snapshot *s, struct ctrl_node_gc_plan *p)
{
	size_t i, j;
	int rc = 0;

	for (i = 0; rc == 0 && i < s->block_count; i++) {
		const struct ipamblock *b = &s->blocks[i];

		rc = note_gone(s, ipam_block_affinity_node(b), p);
		for (j = 0; rc == 0 && j < b->attribute_count; j++)
			rc = note_gone(s, labels_get(&b->attributes[j].secondary, IPAM_ATTR_NODE), p);
	}
	for (i = 0; rc == 0 && i < s->affinity_count; i++)
		rc = note_gone(s, s->affinities[i].node, p);
	if (rc == 0 && p->gone_count > 1)
		qsort(p->gone, p->gone_count, sizeof(*p->gone), cmp_str);
	return rc;
}

/* The allocation's pod still exists and may be running it. */
static bool pod_holds(const struct ipam_snapshot *s, const struct ipamblock_attribute *a,
		      const char *node)
{
	const char *ns = labels_get(&a->secondary, IPAM_ATTR_NAMESPACE);
	const char *pod = labels_get(&a->secondary, IPAM_ATTR_POD);
	size_t i;

	if (!ns || !pod)
		return false;
	for (i = 0; i < s->pod_count; i++) {
		const struct ipam_pod_ref *p = &s->pods[i];

		if (strcmp(p->namespace, ns) != 0 || strcmp(p->name, pod) != 0)
			continue;
		if (p->node && strcmp(p->node, node) == 0)
			return true;
		if (p->container_id && a->handle_id &&
		    ipam_handle_names_container(a->handle_id, p->container_id))
			return true;
		return false; /* a newer pod of that name, elsewhere */
	}
	return false;
}

/* Whose is this allocation: its node attribute, else the block's node. */
static const char *alloc_node(const struct ipamblock *b, const struct ipamblock_attribute *a)
{
	const char *n = labels_get(&a->secondary, IPAM_ATTR_NODE);

	return n && *n ? n : ipam_block_affinity_node(b);
}

static struct ipam_gc_action *add(struct ctrl_node_gc_plan *p, enum ipam_gc_action_kind kind,
				  const char *node)
{
	struct ipam_gc_action *n = realloc(p->gc.actions, (p->gc.count + 1) * sizeof(*n)), *a;

	if (!n)
		return NULL;
	p->gc.actions = n;
	a = &n[p->gc.count++];
	memset(a, 0, sizeof(*a));
	a->kind = kind;
	snprintf(a->node, sizeof(a->node), "%s", node);
	return a;
}

static bool planned_handle(const struct ctrl_node_gc_plan *p, const char *id)
{
	size_t i;

	for (i = 0; i < p->gc.count; i++)
		if (p->gc.actions[i].kind == IPAM_GC_RELEASE_HANDLE &&
		    strcmp(p->gc.actions[i].handle_id, id) == 0)
			return true;
	return false;
}

/* Per block of the snapshot: how the plan leaves it. */
struct block_fate {
	size_t held;     /* allocations now */
	size_t released; /* released by this plan */
	size_t kept_own; /* kept allocations of the gone node */
};

static int plan_allocations(const struct ipam_snapshot *s, const char *node,
			    struct block_fate *fate, struct ctrl_node_gc_plan *p)
{
	size_t bi, i;

	for (bi = 0; bi < s->block_count; bi++) {
		const struct ipamblock *b = &s->blocks[bi];
		struct cidr net;

		if (!b->cidr || cidr_parse(b->cidr, &net) < 0)
			continue;
		for (i = 0; i < b->allocation_count; i++) {
			const struct ipamblock_attribute *a;
			struct ipam_gc_action *act;
			const char *owner;
			struct ip_addr ip;
			int64_t k = b->allocations[i];

			if (k < 0 || (size_t)k >= b->attribute_count)
				continue;
			a = &b->attributes[k];
			owner = alloc_node(b, a);
			if (!owner || strcmp(owner, node) != 0)
				continue;
			if (pod_holds(s, a, node)) {
				fate[bi].kept_own++;
				p->kept++;
				continue;
			}
			fate[bi].released++;
			if (!a->handle_id || cidr_nth_addr(&net, i, &ip) < 0)
				continue;
			if (ipam_snapshot_handle(s, a->handle_id)) {
				if (planned_handle(p, a->handle_id))
					continue;
				if (!(act = add(p, IPAM_GC_RELEASE_HANDLE, node)))
					return -ENOMEM;
			} else if (!(act = add(p, IPAM_GC_RELEASE_IP, node))) {
				return -ENOMEM;
			}
			ip_format(&ip, act->ip, sizeof(act->ip));
			snprintf(act->handle_id, sizeof(act->handle_id), "%s", a->handle_id);
			snprintf(act->reason, sizeof(act->reason), "node %.200s is gone", node);
		}
	}
	return 0;
}

static bool affinity_kept(const struct ipam_snapshot *s, const struct block_fate *fate,
			  const struct blockaffinity *aff)
{
	size_t bi;

	for (bi = 0; bi < s->block_count; bi++) {
		const char *bn = ipam_block_affinity_node(&s->blocks[bi]);

		if (s->blocks[bi].cidr && aff->cidr && strcmp(s->blocks[bi].cidr, aff->cidr) == 0 &&
		    bn && strcmp(bn, aff->node) == 0)
			return fate[bi].kept_own > 0;
	}
	return false;
}

static int plan_blocks(const struct ipam_snapshot *s, const char *node,
		       const struct block_fate *fate, struct ctrl_node_gc_plan *p)
{
	struct ipam_gc_action *act;
	size_t bi, i;

	for (bi = 0; bi < s->block_count; bi++) {
		const struct ipamblock *b = &s->blocks[bi];
		const char *bn = ipam_block_affinity_node(b);
		enum ipam_gc_action_kind kind;

		if (!bn || strcmp(bn, node) != 0 || fate[bi].kept_own)
			continue;
		if (fate[bi].held == 0)
			kind = IPAM_GC_DELETE_BLOCK;
		else if (fate[bi].held == fate[bi].released)
			continue; /* the engine deletes the block it empties */
		else
			kind = IPAM_GC_UNAFFINE_BLOCK; /* only borrowed addresses left */
		if (!(act = add(p, kind, node)))
			return -ENOMEM;
		snprintf(act->object, sizeof(act->object), "%s", b->meta.name ? b->meta.name : "");
		if (kind == IPAM_GC_DELETE_BLOCK && b->meta.resource_version)
			snprintf(act->resource_version, sizeof(act->resource_version), "%s",
				 b->meta.resource_version);
		snprintf(act->reason, sizeof(act->reason), "block %.60s of gone node %.200s %s",
			 b->cidr ? b->cidr : "?", node,
			 kind == IPAM_GC_DELETE_BLOCK ? "is empty" : "only lends addresses");
	}
	for (i = 0; i < s->affinity_count; i++) {
		const struct blockaffinity *aff = &s->affinities[i];

		if (!aff->node || strcmp(aff->node, node) != 0 || !aff->meta.name ||
		    affinity_kept(s, fate, aff))
			continue;
		if (!(act = add(p, IPAM_GC_DELETE_AFFINITY, node)))
			return -ENOMEM;
		snprintf(act->object, sizeof(act->object), "%s", aff->meta.name);
		if (aff->meta.resource_version)
			snprintf(act->resource_version, sizeof(act->resource_version), "%s",
				 aff->meta.resource_version);
		snprintf(act->reason, sizeof(act->reason), "affinity of gone node %.200s", node);
	}
	return 0;
}

int ctrl_node_gc_plan(const struct ipam_snapshot *s, struct ctrl_node_gc_plan *out)
{
	struct block_fate *fate = NULL;
	size_t g, bi, i;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!s->nodes_known || !s->pods_known)
		return -EINVAL;
	if ((rc = find_gone(s, out)) < 0)
		goto out;
	fate = calloc(s->block_count ? s->block_count : 1, sizeof(*fate));
	if (!fate) {
		rc = -ENOMEM;
		goto out;
	}
	for (g = 0; g < out->gone_count; g++) {
		const char *node = out->gone[g];
		size_t kept_before = out->kept;

		memset(fate, 0, (s->block_count ? s->block_count : 1) * sizeof(*fate));
		for (bi = 0; bi < s->block_count; bi++)
			for (i = 0; i < s->blocks[bi].allocation_count; i++)
				if (s->blocks[bi].allocations[i] >= 0)
					fate[bi].held++;
		if ((rc = plan_allocations(s, node, fate, out)) < 0 ||
		    (rc = plan_blocks(s, node, fate, out)) < 0)
			goto out;
		if (out->kept > kept_before && (rc = list_add(&out->pending, &out->pending_count,
							      node)) < 0)
			goto out;
	}
out:
	free(fate);
	if (rc < 0)
		ctrl_node_gc_plan_free(out);
	return rc;
}

void ctrl_node_gc_plan_free(struct ctrl_node_gc_plan *p)
{
	size_t i;

	if (!p)
		return;
	ipam_gc_plan_free(&p->gc);
	for (i = 0; i < p->gone_count; i++)
		free(p->gone[i]);
	for (i = 0; i < p->pending_count; i++)
		free(p->pending[i]);
	free(p->gone);
	free(p->pending);
	memset(p, 0, sizeof(*p));
}
