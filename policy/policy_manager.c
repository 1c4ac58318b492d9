/* policy_manager: three object caches and one apply step.
 *
 * Each cache is a flat array of parsed model structs (every model kind
 * starts with its object_meta, which is what keys the cache), so building
 * the compiler's input is taking the arrays as they are — no copies. Order
 * inside a cache does not matter: the model sorts policies itself and the
 * compiler output is canonical. Lookups are linear; a node sees at most a
 * few thousand pods and the cost is dwarfed by the compile that follows.
 * The default apply hook owns a policy_applier (libnftables) created
 * lazily on first use, so a manager that is never synced never opens a
 * netlink socket. */
#include "policy_manager.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cni_names.h"
#include "log.h"
#include "model/namespace.h"
#include "model/networkpolicy.h"
#include "model/pod.h"
#include "policy_apply.h"
#include "policy_compile.h"
#include "policy_kinds.h"
#include "policy_model.h"

struct cache {
	const struct policy_kind *kind;
	char *items;
	size_t count, cap;
};

struct policy_manager {
	char *node_name;
	struct policy_manager_ops ops;
	struct policy_applier *applier; /* default ops only */
	struct cache pods, namespaces, policies;
	unsigned synced;
	bool dirty, ready;
	struct policy_manager_stats stats;
};

static struct object_meta *meta_at(const struct cache *c, size_t i)
{
	return (struct object_meta *)(void *)(c->items + i * c->kind->size);
}

static long cache_find(const struct cache *c, const char *ns, const char *name)
{
	size_t i;

	for (i = 0; i < c->count; i++) {
		const struct object_meta *m = meta_at(c, i);

		if (json_strcmp_null(m->namespace, ns) == 0 && json_strcmp_null(m->name, name) == 0)
			return (long)i;
	}
	return -1;
}

static void cache_free(struct cache *c)
{
	size_t i;

	for (i = 0; i < c->count; i++)
		c->kind->release(c->items + i * c->kind->size);
	free(c->items);
	c->items = NULL;
	c->count = c->cap = 0;
}

static const char *json_meta_string(json_object *obj, const char *key)
{
	json_object *meta, *v;

	if (!obj || !json_object_object_get_ex(obj, "metadata", &meta) ||
	    !json_object_object_get_ex(meta, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* Returns 1 when the cache changed, 0 when not, or -errno. */
static int cache_event(struct cache *c, json_object *obj, bool deleted)
{
	struct model_errors errs = MODEL_ERRORS_INIT;
	const char *ns = json_meta_string(obj, "namespace"), *name = json_meta_string(obj, "name");
	char *slot, msg[200], quoted[256];
	long at;
	int rc;

	if (!name)
		return -EINVAL;
	at = cache_find(c, ns, name);
	if (deleted) {
		if (at < 0)
			return 0;
		c->kind->release(c->items + (size_t)at * c->kind->size);
		if ((size_t)at != c->count - 1)
			memcpy(c->items + (size_t)at * c->kind->size, c->items + (c->count - 1) * c->kind->size,
			       c->kind->size);
		c->count--;
		return 1;
	}
	if (at < 0 && c->count == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 16;
		char *p = realloc(c->items, ncap * c->kind->size);

		if (!p)
			return -ENOMEM;
		c->items = p;
		c->cap = ncap;
	}
	slot = calloc(1, c->kind->size);
	if (!slot)
		return -ENOMEM;
	rc = c->kind->parse(obj, slot, &errs);
	if (rc == 0 && model_errors_failed(&errs))
		rc = errs.oom ? -ENOMEM : -EINVAL;
	if (rc < 0) {
		if (rc == -EINVAL)
			log_warn("event=policy_object_rejected kind=%s object=%s/%s err=%s", c->kind->name,
				 ns ? ns : "", name,
				 log_quote(quoted, sizeof(quoted),
					   model_errors_count(&errs) ?
						   model_errors_format(&errs, 0, msg, sizeof(msg)) :
						   "unreadable"));
		c->kind->release(slot);
		free(slot);
		model_errors_free(&errs);
		return rc;
	}
	model_errors_free(&errs);
	if (at >= 0) {
		c->kind->release(c->items + (size_t)at * c->kind->size);
		memcpy(c->items + (size_t)at * c->kind->size, slot, c->kind->size);
	} else {
		memcpy(c->items + c->count * c->kind->size, slot, c->kind->size);
		c->count++;
	}
	free(slot);
	return 1;
}

/* The libnftables applier, made on first use (a felix with policy disabled
 * never opens one). */
static int ensure_applier(struct policy_manager *m)
{
	int rc;

	if (m->applier)
		return 0;
	m->applier = calloc(1, sizeof(*m->applier));
	if (!m->applier)
		return -ENOMEM;
	rc = policy_applier_init(m->applier);
	if (rc < 0) {
		free(m->applier);
		m->applier = NULL;
	}
	return rc;
}

static int default_apply(void *ctx, struct policy_ruleset *desired)
{
	struct policy_manager *m = ctx;
	int rc = ensure_applier(m);

	return rc < 0 ? rc : policy_apply(m->applier, desired);
}

static void default_resync(void *ctx)
{
	struct policy_manager *m = ctx;

	if (m->applier)
		policy_applier_resync(m->applier);
}

/* "add, then delete" in one transaction: succeeds whether or not the table
 * exists, and never leaves half of it behind. */
static int default_remove(void *ctx)
{
	struct policy_manager *m = ctx;
	char err[512], quoted[600];
	int rc;

	rc = ensure_applier(m);
	if (rc < 0)
		return rc;
	rc = policy_nft_run(m->applier->nft,
			    "add table " POLICY_TABLE_FAMILY " " POLICY_TABLE "\n"
			    "delete table " POLICY_TABLE_FAMILY " " POLICY_TABLE "\n",
			    err, sizeof(err));
	if (rc < 0)
		log_error("event=policy_remove_failed err=%s",
			  log_quote(quoted, sizeof(quoted), err));
	policy_applier_resync(m->applier);
	return rc;
}

int policy_manager_new(const char *node_name, const struct policy_manager_ops *ops,
		       struct policy_manager **out)
{
	struct policy_manager *m;

	if (!node_name || !out)
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->node_name = strdup(node_name);
	if (!m->node_name) {
		free(m);
		return -ENOMEM;
	}
	if (ops && ops->apply) {
		m->ops = *ops;
	} else {
		m->ops.apply = default_apply;
		m->ops.resync = default_resync;
		m->ops.remove = default_remove;
		m->ops.ctx = m;
	}
	m->pods.kind = &policy_kind_pod;
	m->namespaces.kind = &policy_kind_namespace;
	m->policies.kind = &policy_kind_networkpolicy;
	m->dirty = true;
	*out = m;
	return 0;
}

void policy_manager_free(struct policy_manager *m)
{
	if (!m)
		return;
	cache_free(&m->pods);
	cache_free(&m->namespaces);
	cache_free(&m->policies);
	if (m->applier) {
		policy_applier_free(m->applier);
		free(m->applier);
	}
	free(m->node_name);
	free(m);
}

static int on_event(struct policy_manager *m, struct cache *c, json_object *obj, bool deleted)
{
	int rc;

	if (!m || !obj)
		return -EINVAL;
	rc = cache_event(c, obj, deleted);
	if (rc > 0)
		m->dirty = true;
	return rc < 0 ? rc : 0;
}

int policy_manager_on_pod(struct policy_manager *m, json_object *obj, bool deleted)
{
	return on_event(m, m ? &m->pods : NULL, obj, deleted);
}

int policy_manager_on_namespace(struct policy_manager *m, json_object *obj, bool deleted)
{
	return on_event(m, m ? &m->namespaces : NULL, obj, deleted);
}

int policy_manager_on_policy(struct policy_manager *m, json_object *obj, bool deleted)
{
	return on_event(m, m ? &m->policies : NULL, obj, deleted);
}

void policy_manager_set_synced(struct policy_manager *m, unsigned kinds)
{
	m->synced |= kinds & POLICY_KIND_ALL;
}

void policy_manager_resync(struct policy_manager *m)
{
	if (m->ops.resync)
		m->ops.resync(m->ops.ctx);
	m->dirty = true;
}

int policy_manager_disable(struct policy_manager *m)
{
	int rc = 0;

	if (!m)
		return -EINVAL;
	if (m->ops.remove)
		rc = m->ops.remove(m->ops.ctx);
	else if (m->ops.resync)
		m->ops.resync(m->ops.ctx);
	m->dirty = true;
	m->ready = false;
	if (rc == 0) {
		m->stats.chains = m->stats.rules = m->stats.sets = m->stats.elements = 0;
		m->stats.endpoints = 0;
		log_info("event=policy_disabled node=%s table=%s_%s removed=1", m->node_name,
			 POLICY_TABLE_FAMILY, POLICY_TABLE);
	}
	return rc;
}

bool policy_manager_dirty(const struct policy_manager *m)
{
	return m->dirty;
}

bool policy_manager_ready(const struct policy_manager *m)
{
	return m->ready;
}

void policy_manager_stats(const struct policy_manager *m, struct policy_manager_stats *out)
{
	*out = m->stats;
}

/* This node's endpoints; iface names live in names[i]. */
static int local_endpoints(const struct policy_manager *m, struct policy_endpoint **out,
			   char (**names)[CNI_IFNAME_MAX + 1], size_t *count)
{
	const struct pod *pods = (const struct pod *)(const void *)m->pods.items;
	size_t i, n = 0;

	*out = calloc(m->pods.count + 1, sizeof(**out));
	*names = calloc(m->pods.count + 1, sizeof(**names));
	if (!*out || !*names)
		return -ENOMEM;
	for (i = 0; i < m->pods.count; i++) {
		const struct pod *p = &pods[i];

		if (p->host_network || json_strcmp_null(p->node_name, m->node_name) != 0 ||
		    cni_host_veth_name(p->meta.namespace, p->meta.name, NULL, (*names)[n]) < 0)
			continue;
		(*out)[n].iface = (*names)[n];
		(*out)[n].pod_namespace = p->meta.namespace;
		(*out)[n].pod_name = p->meta.name;
		n++;
	}
	*count = n;
	return 0;
}

/* Counted before apply: the applier may take the ruleset's contents. */
static void ruleset_shape(const struct policy_ruleset *rs, struct policy_manager_stats *out)
{
	size_t i;

	out->chains = rs->chain_count;
	out->sets = rs->set_count;
	for (i = 0; i < rs->chain_count; i++)
		out->rules += rs->chains[i].rules.count;
	for (i = 0; i < rs->set_count; i++)
		out->elements += rs->sets[i].elements.count;
}

int policy_manager_apply(struct policy_manager *m)
{
	struct policy_ruleset rs = { 0 };
	struct policy_endpoint *eps = NULL;
	char (*names)[CNI_IFNAME_MAX + 1] = NULL;
	struct policy_model model = { 0 };
	struct policy_input in;
	struct policy_manager_stats shape = { 0 };
	size_t n = 0;
	int rc;

	if (!m)
		return -EINVAL;
	if ((m->synced & POLICY_KIND_ALL) != POLICY_KIND_ALL)
		return -EAGAIN;
	if (!m->dirty)
		return 0;
	in = (struct policy_input){
		(const struct pod *)(const void *)m->pods.items, m->pods.count,
		(const struct k8s_namespace *)(const void *)m->namespaces.items, m->namespaces.count,
		(const struct networkpolicy *)(const void *)m->policies.items, m->policies.count,
	};
	rc = policy_model_build(&in, &model);
	if (rc == 0)
		rc = local_endpoints(m, &eps, &names, &n);
	if (rc == 0)
		rc = policy_compile(&model, eps, n, &rs);
	if (rc == 0) {
		m->stats.compiles++;
		m->stats.endpoints = n;
		m->stats.policies = m->policies.count;
		ruleset_shape(&rs, &shape);
		rc = m->ops.apply(m->ops.ctx, &rs);
	}
	if (rc == 0) {
		m->stats.chains = shape.chains;
		m->stats.rules = shape.rules;
		m->stats.sets = shape.sets;
		m->stats.elements = shape.elements;
		m->stats.applies++;
		m->dirty = false;
		m->ready = true;
	} else {
		m->stats.apply_errors++;
		log_error("event=policy_manager_apply_failed node=%s err=%d", m->node_name, rc);
	}
	policy_ruleset_free(&rs);
	policy_model_free(&model);
	free(eps);
	free(names);
	return rc;
}
