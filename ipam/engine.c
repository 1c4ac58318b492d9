/* engine: the write sequences of block IPAM, executed against the API.
 *
 * Each assign round re-reads the cluster (pools, config, node labels, all
 * IPAMBlocks), asks plan.c for one decision and executes it with CAS
 * writes; anything another writer changed in between shows up as a failed
 * precondition and simply starts another round on fresh data. Rounds are
 * bounded (max_attempts) so heavy contention ends in -EAGAIN, never a hang.
 *
 * CAS mutate callbacks parse the freshly read object into the model struct,
 * run the pure allocator on it and replace the object's spec with the
 * result; they are re-run from scratch on every 409 retry, so their context
 * only carries inputs and the outcome of the LAST run.
 *
 * Listing every block per round is O(blocks) per allocation. That is fine
 * at the sizes this targets (hundreds of nodes); a watch-fed cache can
 * replace load_blocks() later without touching the write order. */
#include "engine.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "block_alloc.h"
#include "handle.h"
#include "log.h"
#include "model/blockaffinity.h"
#include "model/ipamblock.h"
#include "model/ipamconfig.h"
#include "model/ipamhandle.h"
#include "model/ippool.h"
#include "model/node.h"
#include "plan.h"
#include "pool_select.h"

static const struct kube_resource res_blocks = { "twill.dev", "v1", "ipamblocks", false };
static const struct kube_resource res_affinities = { "twill.dev", "v1", "blockaffinities", false };
static const struct kube_resource res_handles = { "twill.dev", "v1", "ipamhandles", false };
static const struct kube_resource res_pools = { "twill.dev", "v1", "ippools", false };
static const struct kube_resource res_configs = { "twill.dev", "v1", "ipamconfigs", false };
static const struct kube_resource res_nodes = { "", "v1", "nodes", false };

struct ipam_engine {
	struct kube_client *client;
	int cas_retries;
	int max_attempts;
	bool keep_empty_blocks;
	unsigned seed;
};

struct cluster {
	struct ippool *pools;
	size_t pool_count;
	struct ipamconfig config;
	struct labels node_labels;
	struct ipamblock *blocks;
	size_t block_count;
};

static void set_err(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!err || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

int ipam_engine_new(struct kube_client *client, const struct ipam_engine_opts *opts,
		    struct ipam_engine **out)
{
	struct ipam_engine *e;

	*out = NULL;
	if (!client)
		return -EINVAL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->client = client;
	e->cas_retries = opts && opts->cas_retries > 0 ? opts->cas_retries : 8;
	e->max_attempts = opts && opts->max_attempts > 0 ? opts->max_attempts : 32;
	e->keep_empty_blocks = opts && opts->keep_empty_blocks;
	e->seed = (unsigned)getpid() ^ (unsigned)time(NULL);
	*out = e;
	return 0;
}

void ipam_engine_free(struct ipam_engine *engine)
{
	free(engine);
}

/* A short random pause after losing a CAS battle, so writers that collided
 * do not retry in lockstep. */
static void contention_pause(struct ipam_engine *e)
{
	usleep(1000 + (useconds_t)(rand_r(&e->seed) % 20000));
}

/* Replace obj's spec with the spec of fresh (consumed). */
static int replace_spec(json_object *obj, json_object *fresh)
{
	json_object *spec;

	if (!fresh)
		return -ENOMEM;
	if (!json_object_object_get_ex(fresh, "spec", &spec)) {
		json_object_put(fresh);
		return -EINVAL;
	}
	json_object_object_add(obj, "spec", json_object_get(spec));
	json_object_put(fresh);
	return 0;
}

static void cluster_free(struct cluster *c)
{
	size_t i;

	for (i = 0; i < c->pool_count; i++)
		ippool_free(&c->pools[i]);
	free(c->pools);
	for (i = 0; i < c->block_count; i++)
		ipamblock_free(&c->blocks[i]);
	free(c->blocks);
	ipamconfig_free(&c->config);
	labels_free(&c->node_labels);
	memset(c, 0, sizeof(*c));
}

static int list_items(struct ipam_engine *e, const struct kube_resource *res, json_object **list,
		      json_object **items, size_t *n, char *err, size_t errlen)
{
	struct kube_error kerr = { 0 };
	int ret;

	ret = kube_list(e->client, res, NULL, NULL, list, &kerr);
	if (ret < 0) {
		set_err(err, errlen, "listing %s: %s", res->plural, kerr.message);
		return ret;
	}
	if (!json_object_object_get_ex(*list, "items", items) ||
	    !json_object_is_type(*items, json_type_array)) {
		*n = 0;
		return 0;
	}
	*n = json_object_array_length(*items);
	return 0;
}

static int load_blocks(struct ipam_engine *e, struct cluster *c, char *err, size_t errlen)
{
	json_object *list = NULL, *items;
	size_t n, i;
	int ret;

	for (i = 0; i < c->block_count; i++)
		ipamblock_free(&c->blocks[i]);
	free(c->blocks);
	c->blocks = NULL;
	c->block_count = 0;
	ret = list_items(e, &res_blocks, &list, &items, &n, err, errlen);
	if (ret < 0)
		return ret;
	c->blocks = calloc(n + 1, sizeof(*c->blocks));
	if (!c->blocks) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct model_errors errs = MODEL_ERRORS_INIT;
		struct ipamblock *b = &c->blocks[c->block_count];

		ret = ipamblock_from_json(json_object_array_get_idx(items, i), b, &errs);
		model_errors_free(&errs);
		if (ret == -ENOMEM)
			goto out;
		/* Keep even an inconsistent block: its cidr is occupied, and
		 * plan sees it as full (free = 0) so nobody writes into it. */
		if (ret < 0 || !b->cidr) {
			ipamblock_free(b);
			continue;
		}
		c->block_count++;
	}
	ret = 0;
out:
	json_object_put(list);
	return ret;
}

static int load_pools(struct ipam_engine *e, struct cluster *c, char *err, size_t errlen)
{
	json_object *list = NULL, *items;
	size_t n, i;
	int ret;

	ret = list_items(e, &res_pools, &list, &items, &n, err, errlen);
	if (ret < 0)
		return ret;
	c->pools = calloc(n + 1, sizeof(*c->pools));
	if (!c->pools) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct model_errors errs = MODEL_ERRORS_INIT;
		struct ippool *p = &c->pools[c->pool_count];

		ret = ippool_from_json(json_object_array_get_idx(items, i), p, &errs);
		if (ret == 0 && !model_errors_failed(&errs))
			ippool_validate(p, &errs);
		if (ret == -ENOMEM) {
			model_errors_free(&errs);
			goto out;
		}
		if (ret < 0 || model_errors_failed(&errs)) {
			char msg[256] = "";

			if (model_errors_count(&errs))
				model_errors_format(&errs, 0, msg, sizeof(msg));
			log_warn("event=ipam_pool_ignored reason=invalid detail=\"%s\"", msg);
			ippool_free(p);
			model_errors_free(&errs);
			continue;
		}
		model_errors_free(&errs);
		c->pool_count++;
	}
	ret = 0;
out:
	json_object_put(list);
	return ret;
}

static int load_config(struct ipam_engine *e, struct cluster *c, char *err, size_t errlen)
{
	struct model_errors errs = MODEL_ERRORS_INIT;
	struct kube_error kerr = { 0 };
	json_object *obj = NULL;
	int ret;

	ipamconfig_init(&c->config);
	ret = kube_get(e->client, &res_configs, NULL, "default", &obj, &kerr);
	if (ret == -ENOENT)
		return 0;
	if (ret < 0) {
		set_err(err, errlen, "reading IPAMConfig default: %s", kerr.message);
		return ret;
	}
	ipamconfig_free(&c->config);
	ret = ipamconfig_from_json(obj, &c->config, &errs);
	json_object_put(obj);
	if (ret < 0 || model_errors_failed(&errs)) {
		char msg[256] = "";

		if (model_errors_count(&errs))
			model_errors_format(&errs, 0, msg, sizeof(msg));
		set_err(err, errlen, "IPAMConfig default is invalid: %s", msg);
		model_errors_free(&errs);
		ipamconfig_free(&c->config);
		ipamconfig_init(&c->config);
		return ret < 0 ? ret : -EINVAL;
	}
	model_errors_free(&errs);
	return 0;
}

static int load_node_labels(struct ipam_engine *e, const char *node, struct cluster *c,
			    char *err, size_t errlen)
{
	struct model_errors errs = MODEL_ERRORS_INIT;
	struct kube_error kerr = { 0 };
	json_object *obj = NULL;
	struct node parsed;
	int ret;

	ret = kube_get(e->client, &res_nodes, NULL, node, &obj, &kerr);
	if (ret == -ENOENT) {
		/* Allocation for a node the API does not know (yet): only
		 * selectors that match empty labels (all()) apply. */
		log_warn("event=ipam_node_unknown node=%s", node);
		return 0;
	}
	if (ret < 0) {
		set_err(err, errlen, "reading Node %s: %s", node, kerr.message);
		return ret;
	}
	ret = node_from_json(obj, &parsed, &errs);
	json_object_put(obj);
	model_errors_free(&errs);
	if (ret < 0) {
		set_err(err, errlen, "Node %s could not be read", node);
		return ret;
	}
	ret = labels_copy(&c->node_labels, &parsed.meta.labels);
	node_free(&parsed);
	return ret;
}

/* ---- handle writes ---- */

struct handle_ctx {
	const char *handle_id;
	const char *block_cidr;
	int64_t delta;
	int64_t total; /* after the last run */
};

static int handle_mutate(json_object *obj, void *vctx)
{
	struct model_errors errs = MODEL_ERRORS_INIT;
	struct handle_ctx *ctx = vctx;
	struct ipamhandle h;
	int ret;

	ret = ipamhandle_from_json(obj, &h, &errs);
	model_errors_free(&errs);
	if (ret < 0)
		return ret;
	if (h.handle_id && strcmp(h.handle_id, ctx->handle_id) != 0) {
		ipamhandle_free(&h);
		return -EEXIST; /* name collision with another handle ID */
	}
	ret = ipam_handle_add(&h, ctx->block_cidr, ctx->delta);
	ctx->total = ipam_handle_total(&h);
	if (ret == 0)
		ret = replace_spec(obj, ipamhandle_to_json(&h));
	ipamhandle_free(&h);
	return ret;
}

/* Add delta to handle_id's count for block_cidr, creating the handle on a
 * first increment and deleting it when it drops to zero. */
static int handle_adjust(struct ipam_engine *e, const char *handle_id, const char *block_cidr,
			 int64_t delta, char *err, size_t errlen)
{
	struct handle_ctx ctx = { handle_id, block_cidr, delta, 0 };
	char name[IPAM_HANDLE_NAME_MAX];
	struct kube_error kerr = { 0 };
	json_object *out = NULL;
	int attempt, ret;

	ret = ipam_handle_object_name(handle_id, name, sizeof(name));
	if (ret < 0) {
		set_err(err, errlen, "handle ID \"%.200s\" cannot be an object name", handle_id);
		return ret;
	}
	for (attempt = 0; attempt <= e->cas_retries; attempt++) {
		ret = kube_update_cas(e->client, &res_handles, NULL, name, handle_mutate, &ctx,
				      e->cas_retries, &out, &kerr);
		if (ret == -ENOENT && delta > 0) {
			struct ipamhandle h;
			json_object *obj;

			ret = ipam_handle_init(&h, handle_id);
			if (ret == 0)
				ret = ipam_handle_add(&h, block_cidr, delta);
			obj = ret == 0 ? ipamhandle_to_json(&h) : NULL;
			ipamhandle_free(&h);
			if (ret < 0 || !obj)
				return ret < 0 ? ret : -ENOMEM;
			ret = kube_create(e->client, &res_handles, NULL, obj, NULL, &kerr);
			json_object_put(obj);
			if (ret == -EEXIST)
				continue; /* created concurrently: update it instead */
		} else if (ret == -ENOENT) {
			return 0; /* nothing to decrement */
		} else if (ret == 0 && ctx.total == 0 && out) {
			const char *rv = kube_object_resource_version(out);

			/* Conditional: a concurrent increment keeps it. */
			ret = kube_delete(e->client, &res_handles, NULL, name, rv, &kerr);
			if (ret == -EAGAIN || ret == -ENOENT)
				ret = 0;
		}
		break;
	}
	json_object_put(out);
	if (ret < 0)
		set_err(err, errlen, "updating IPAMHandle %s: %s", name, kerr.message);
	return ret;
}

/* ---- block writes ---- */

struct assign_ctx {
	const struct ipam_attrs *attrs;
	size_t want;
	const char *require_node; /* AFFINE: the block must still be ours */
	bool forbid_strict;       /* BORROW: never write into a strict block */
	uint64_t ords[IPAM_RESULT_MAX];
	size_t got;
};

static int parse_block(json_object *obj, struct ipamblock *b)
{
	struct model_errors errs = MODEL_ERRORS_INIT;
	int ret = ipamblock_from_json(obj, b, &errs);

	model_errors_free(&errs);
	return ret;
}

static int assign_mutate(json_object *obj, void *vctx)
{
	struct assign_ctx *ctx = vctx;
	const char *node;
	struct ipamblock b;
	int ret;

	ctx->got = 0;
	ret = parse_block(obj, &b);
	if (ret < 0)
		return ret;
	node = ipam_block_affinity_node(&b);
	if ((ctx->require_node && (!node || strcmp(node, ctx->require_node) != 0)) ||
	    (ctx->forbid_strict && b.strict_affinity)) {
		ret = 1; /* the block changed hands since we listed it */
		goto out;
	}
	ret = ipam_block_assign(&b, ctx->want, ctx->attrs, ctx->ords, &ctx->got);
	if (ret == -ENOSPC) {
		ret = 1;
		goto out;
	}
	if (ret == 0)
		ret = replace_spec(obj, ipamblock_to_json(&b));
out:
	ipamblock_free(&b);
	return ret;
}

struct release_ctx {
	const char *handle_id;
	bool by_ordinal;
	uint64_t ordinal;
	uint64_t released;
	char *holder; /* by_ordinal: handle of the released address */
	bool empty;
};

static int release_mutate(json_object *obj, void *vctx)
{
	struct release_ctx *ctx = vctx;
	struct ipamblock b;
	int ret;

	ctx->released = 0;
	free(ctx->holder);
	ctx->holder = NULL;
	ret = parse_block(obj, &b);
	if (ret < 0)
		return ret;
	if (ctx->by_ordinal) {
		ret = ipam_block_release_ordinal(&b, ctx->ordinal, ctx->handle_id, &ctx->holder);
		if (ret == 0)
			ctx->released = 1;
		else if (ret == -ENOENT)
			ret = 1; /* already free */
	} else {
		ret = ipam_block_release_handle(&b, ctx->handle_id, &ctx->released);
		if (ret == 0 && ctx->released == 0)
			ret = 1;
	}
	ctx->empty = ipam_block_is_empty(&b);
	if (ret == 0)
		ret = replace_spec(obj, ipamblock_to_json(&b));
	ipamblock_free(&b);
	return ret;
}

/* ---- affinity writes ---- */

struct affinity_ctx {
	enum blockaffinity_state want;
	bool only_from_pending_deletion;
};

static int affinity_mutate(json_object *obj, void *vctx)
{
	struct model_errors errs = MODEL_ERRORS_INIT;
	struct affinity_ctx *ctx = vctx;
	struct blockaffinity a;
	int ret;

	ret = blockaffinity_from_json(obj, &a, &errs);
	model_errors_free(&errs);
	if (ret < 0)
		return ret;
	if ((a.state_set && a.state == ctx->want) ||
	    (ctx->only_from_pending_deletion && a.state != BLOCKAFFINITY_PENDING_DELETION)) {
		blockaffinity_free(&a);
		return 1;
	}
	a.state = ctx->want;
	a.state_set = true;
	ret = replace_spec(obj, blockaffinity_to_json(&a));
	blockaffinity_free(&a);
	return ret;
}

static int affinity_set(struct ipam_engine *e, const char *name, enum blockaffinity_state want,
			bool only_from_pending_deletion)
{
	struct affinity_ctx ctx = { want, only_from_pending_deletion };
	struct kube_error kerr = { 0 };
	int ret;

	ret = kube_update_cas(e->client, &res_affinities, NULL, name, affinity_mutate, &ctx,
			      e->cas_retries, NULL, &kerr);
	if (ret < 0 && ret != -ENOENT)
		log_warn("event=ipam_affinity_update_failed affinity=%s state=%s err=%d", name,
			 blockaffinity_state_name(want), ret);
	return ret == -ENOENT ? 0 : ret;
}

static const char *block_name_of(const char *cidr, char *buf, size_t size)
{
	if (ipamblock_name_for_cidr(cidr, buf, size) < 0)
		buf[0] = '\0';
	return buf;
}

/* resourceVersion of affinity name when it is in state pending, else NULL. */
static char *pending_affinity_version(struct ipam_engine *e, const char *name)
{
	struct model_errors errs = MODEL_ERRORS_INIT;
	struct blockaffinity a;
	json_object *obj = NULL;
	char *rv = NULL;

	if (kube_get(e->client, &res_affinities, NULL, name, &obj, NULL) < 0)
		return NULL;
	if (blockaffinity_from_json(obj, &a, &errs) == 0) {
		if (a.state_set && a.state == BLOCKAFFINITY_PENDING &&
		    kube_object_resource_version(obj))
			rv = strdup(kube_object_resource_version(obj));
		blockaffinity_free(&a);
	}
	model_errors_free(&errs);
	json_object_put(obj);
	return rv;
}

/* Claim block cidr for node. 0: the block exists and is affine to node;
 * -EEXIST: another writer owns it (take the next one). */
static int claim_block(struct ipam_engine *e, const struct cidr *cidr, const char *node,
		       bool strict, char *err, size_t errlen)
{
	struct blockaffinity aff;
	struct ipamblock block;
	struct kube_error kerr = { 0 };
	char text[CIDR_STRLEN], aff_name[320], bname[CIDR_STRLEN];
	json_object *obj = NULL, *created = NULL;
	char *aff_rv = NULL;
	int ret;

	if (cidr_format(cidr, text, sizeof(text)) < 0 ||
	    blockaffinity_name(node, text, aff_name, sizeof(aff_name)) < 0) {
		set_err(err, errlen, "node name \"%.100s\" is too long", node);
		return -EINVAL;
	}
	/* 1. Announce the claim. A leftover affinity of ours (earlier crash)
	 *    is fine: it is confirmed or removed below. */
	memset(&aff, 0, sizeof(aff));
	aff.meta.name = aff_name;
	aff.state = BLOCKAFFINITY_PENDING;
	aff.state_set = true;
	aff.node = (char *)node;
	aff.cidr = text;
	obj = blockaffinity_to_json(&aff);
	if (!obj)
		return -ENOMEM;
	ret = kube_create(e->client, &res_affinities, NULL, obj, &created, &kerr);
	json_object_put(obj);
	obj = NULL;
	if (ret == 0) {
		const char *rv = kube_object_resource_version(created);

		aff_rv = rv ? strdup(rv) : NULL;
	} else if (ret != -EEXIST) {
		set_err(err, errlen, "creating BlockAffinity %s: %s", aff_name, kerr.message);
		goto out;
	}
	/* 2. The block create is the arbiter: exactly one writer succeeds. */
	ret = ipam_block_init(&block, cidr, node);
	if (ret < 0)
		goto out;
	block.strict_affinity = strict;
	obj = ipamblock_to_json(&block);
	ipamblock_free(&block);
	if (!obj) {
		ret = -ENOMEM;
		goto out;
	}
	ret = kube_create(e->client, &res_blocks, NULL, obj, NULL, &kerr);
	json_object_put(obj);
	obj = NULL;
	if (ret == -EEXIST) {
		json_object *cur = NULL;
		struct ipamblock existing;
		const char *owner = NULL;

		if (kube_get(e->client, &res_blocks, NULL, block_name_of(text, bname, sizeof(bname)), &cur, NULL) == 0 &&
		    parse_block(cur, &existing) == 0) {
			owner = ipam_block_affinity_node(&existing);
			ret = owner && strcmp(owner, node) == 0 ? 0 : -EEXIST;
			ipamblock_free(&existing);
		}
		json_object_put(cur);
		if (ret == -EEXIST) {
			log_info("event=ipam_claim_lost block=%s node=%s", text, node);
			/* Withdraw our pending claim: the version we made, or a
			 * leftover of ours if it is still only pending. */
			if (!aff_rv)
				aff_rv = pending_affinity_version(e, aff_name);
			if (aff_rv)
				kube_delete(e->client, &res_affinities, NULL, aff_name, aff_rv, NULL);
			goto out;
		}
	} else if (ret < 0) {
		set_err(err, errlen, "creating IPAMBlock %s: %s", text, kerr.message);
		goto out;
	}
	/* 3. Confirm: from now on routing may advertise the block. */
	ret = affinity_set(e, aff_name, BLOCKAFFINITY_CONFIRMED, false);
	if (ret < 0) {
		/* The block is ours either way; a later round repairs it. */
		ret = 0;
	}
	log_info("event=ipam_block_claimed block=%s node=%s", text, node);
out:
	free(aff_rv);
	json_object_put(created);
	return ret;
}

/* Give an empty block back: affinity pendingDeletion -> block delete
 * conditioned on the version we saw empty -> affinity delete. */
static int release_empty_block(struct ipam_engine *e, const char *cidr_text)
{
	char bname[CIDR_STRLEN], aff_name[320], *node = NULL;
	bool marked = false;
	int attempt, ret = 0;

	block_name_of(cidr_text, bname, sizeof(bname));
	for (attempt = 0; attempt <= e->cas_retries; attempt++) {
		struct kube_error kerr = { 0 };
		struct ipamblock b;
		json_object *obj = NULL;
		char *rv;

		ret = kube_get(e->client, &res_blocks, NULL, bname, &obj, &kerr);
		if (ret == -ENOENT) {
			ret = 0;
			break;
		}
		if (ret < 0)
			break;
		ret = parse_block(obj, &b);
		rv = kube_object_resource_version(obj) ? strdup(kube_object_resource_version(obj))
						       : NULL;
		json_object_put(obj);
		if (ret < 0) {
			free(rv);
			break;
		}
		if (!ipam_block_is_empty(&b) || ipam_block_check(&b) < 0) {
			/* Someone allocated meanwhile: the block stays. */
			if (marked)
				affinity_set(e, aff_name, BLOCKAFFINITY_CONFIRMED, true);
			ipamblock_free(&b);
			free(rv);
			ret = 0;
			goto out;
		}
		if (!node && ipam_block_affinity_node(&b)) {
			node = strdup(ipam_block_affinity_node(&b));
			if (!node || blockaffinity_name(node, cidr_text, aff_name, sizeof(aff_name)) < 0) {
				free(node);
				node = NULL;
			}
		}
		ipamblock_free(&b);
		if (node && !marked) {
			affinity_set(e, aff_name, BLOCKAFFINITY_PENDING_DELETION, false);
			marked = true;
		}
		ret = kube_delete(e->client, &res_blocks, NULL, bname, rv, &kerr);
		free(rv);
		if (ret == -EAGAIN)
			continue;
		if (ret == -ENOENT)
			ret = 0;
		if (ret < 0) {
			log_warn("event=ipam_block_release_failed block=%s err=%d", cidr_text, ret);
			goto out;
		}
		log_info("event=ipam_block_released block=%s node=%s", cidr_text, node ? node : "");
		break;
	}
	if (ret == 0 && node) {
		ret = kube_delete(e->client, &res_affinities, NULL, aff_name, NULL, NULL);
		if (ret == -ENOENT)
			ret = 0;
	}
out:
	free(node);
	return ret;
}

/* ---- assign ---- */

static void result_add(struct ipam_result *res, const struct ip_addr *ip, const struct cidr *block,
		       const struct ippool *pool)
{
	struct ipam_assigned *a = &res->addrs[res->count++];

	memset(a, 0, sizeof(*a));
	a->addr = *ip;
	a->block = *block;
	if (pool) {
		a->pool = pool->net;
		snprintf(a->pool_name, sizeof(a->pool_name), "%s", pool->meta.name ? pool->meta.name : "");
	}
}

/* Assign up to want addresses in the block named by info: handle first,
 * then the block. *got may be less than want (or 0) when the block filled
 * up or changed hands meanwhile. */
static int assign_in_block(struct ipam_engine *e, const struct ipam_request *req,
			   const struct ipam_block_info *info, bool affine, bool strict,
			   size_t want, const struct ippool *pool, struct ipam_result *res,
			   size_t *got, char *err, size_t errlen)
{
	struct ipam_attrs attrs = { req->handle_id, req->namespace, req->pod, req->node };
	struct assign_ctx ctx;
	struct kube_error kerr = { 0 };
	char text[CIDR_STRLEN], bname[CIDR_STRLEN];
	size_t i;
	int ret;

	*got = 0;
	if (want > info->free)
		want = (size_t)info->free;
	cidr_format(&info->cidr, text, sizeof(text));
	ret = handle_adjust(e, req->handle_id, text, (int64_t)want, err, errlen);
	if (ret < 0)
		return ret;
	memset(&ctx, 0, sizeof(ctx));
	ctx.attrs = &attrs;
	ctx.want = want;
	ctx.require_node = affine ? req->node : NULL;
	ctx.forbid_strict = !affine;
	(void)strict;
	ret = kube_update_cas(e->client, &res_blocks, NULL, block_name_of(text, bname, sizeof(bname)),
			      assign_mutate, &ctx, e->cas_retries, NULL, &kerr);
	if (ret == -ENOENT)
		ret = 0; /* released meanwhile: got stays 0 */
	if (ret < 0) {
		/* The last mutate run's result was never written. */
		ctx.got = 0;
		if (ret != -EAGAIN)
			set_err(err, errlen, "updating IPAMBlock %s: %s", text, kerr.message);
	}
	if (ctx.got < want) {
		/* Give back the part of the handle count not used. */
		int undo = handle_adjust(e, req->handle_id, text, -(int64_t)(want - ctx.got),
					 NULL, 0);

		if (undo < 0)
			log_warn("event=ipam_handle_overcount handle=%s block=%s err=%d",
				 req->handle_id, text, undo);
	}
	if (ret == -EAGAIN)
		ret = 0; /* contention: the caller starts another round */
	if (ret < 0)
		return ret;
	for (i = 0; i < ctx.got; i++) {
		struct ip_addr ip;
		char ipt[IP_ADDR_STRLEN];

		if (cidr_nth_addr(&info->cidr, ctx.ords[i], &ip) < 0)
			continue;
		result_add(res, &ip, &info->cidr, pool);
		ip_format(&ip, ipt, sizeof(ipt));
		log_info("event=ipam_assigned ip=%s block=%s handle=%s node=%s mode=%s", ipt, text,
			 req->handle_id, req->node, affine ? "affine" : "borrowed");
	}
	*got = ctx.got;
	return 0;
}

static int assign_family(struct ipam_engine *e, const struct ipam_request *req, int family,
			 unsigned want, struct cluster *c, struct ipam_result *res)
{
	const char *const *requested = family == AF_INET ? req->pools_v4 : req->pools_v6;
	size_t nreq = family == AF_INET ? req->pools_v4_count : req->pools_v6_count;
	struct ipam_pool_query q = { req->node, &c->node_labels, family,
				     req->tunnel ? IPPOOL_USE_TUNNEL : IPPOOL_USE_WORKLOAD,
				     requested, nreq };
	const struct ippool **eligible = NULL;
	struct ipam_block_info *infos = NULL;
	struct cidr *excluded = NULL;
	size_t *order = NULL, count, i, nexcl = 0, remaining = want;
	struct ipam_plan_input in;
	struct ipam_plan *plan = NULL;
	int attempt, ret;

	order = calloc(c->pool_count + 1, sizeof(*order));
	eligible = calloc(c->pool_count + 1, sizeof(*eligible));
	excluded = calloc((size_t)e->max_attempts + 1, sizeof(*excluded));
	plan = calloc(1, sizeof(*plan));
	if (!order || !eligible || !excluded || !plan) {
		ret = -ENOMEM;
		goto out;
	}
	ret = ipam_pool_select(c->pools, c->pool_count, &q, order, &count, res->error,
			       sizeof(res->error));
	if (ret < 0)
		goto out;
	for (i = 0; i < count; i++)
		eligible[i] = &c->pools[order[i]];
	for (attempt = 0; remaining > 0; attempt++) {
		size_t got = 0;

		if (attempt >= e->max_attempts) {
			set_err(res->error, sizeof(res->error),
				"gave up after %d rounds of conflicting writes for node \"%s\"; "
				"retry", attempt, req->node);
			ret = -EAGAIN;
			goto out;
		}
		if (attempt > 0) {
			ret = load_blocks(e, c, res->error, sizeof(res->error));
			if (ret < 0)
				goto out;
		}
		free(infos);
		infos = calloc(c->block_count + 1, sizeof(*infos));
		if (!infos) {
			ret = -ENOMEM;
			goto out;
		}
		for (i = 0; i < c->block_count; i++) {
			const struct ipamblock *b = &c->blocks[i];

			if (ipam_block_cidr(b, &infos[i].cidr) < 0)
				infos[i].cidr.addr.family = AF_UNSPEC;
			infos[i].node = ipam_block_affinity_node(b);
			infos[i].free = ipam_block_check(b) == 0 ? ipam_block_free_count(b) : 0;
			infos[i].strict_affinity = b->strict_affinity;
		}
		memset(&in, 0, sizeof(in));
		in.node = req->node;
		in.pools = eligible;
		in.pool_count = count;
		in.blocks = infos;
		in.block_count = c->block_count;
		in.excluded = excluded;
		in.excluded_count = nexcl;
		in.strict_affinity = c->config.strict_affinity;
		in.max_blocks_per_host = c->config.max_blocks_per_host;
		in.auto_allocate_blocks = c->config.auto_allocate_blocks;
		ipam_plan_rank(&in);
		ret = ipam_plan_next(&in, plan);
		if (ret < 0)
			goto out;
		switch (plan->kind) {
		case IPAM_PLAN_EXHAUSTED:
			set_err(res->error, sizeof(res->error), "%s", plan->why);
			ret = -ENOSPC;
			goto out;
		case IPAM_PLAN_CLAIM:
			ret = claim_block(e, &plan->claim, req->node, c->config.strict_affinity,
					  res->error, sizeof(res->error));
			if (ret == -EEXIST) {
				excluded[nexcl++] = plan->claim;
				ret = 0;
			}
			if (ret < 0)
				goto out;
			continue;
		case IPAM_PLAN_AFFINE:
		case IPAM_PLAN_BORROW:
			ret = assign_in_block(e, req, &infos[plan->block],
					      plan->kind == IPAM_PLAN_AFFINE, c->config.strict_affinity,
					      remaining, eligible[infos[plan->block].pool_rank], res,
					      &got, res->error, sizeof(res->error));
			if (ret < 0)
				goto out;
			if (got == 0)
				contention_pause(e);
			remaining -= got;
			break;
		}
	}
	ret = 0;
out:
	free(order);
	free(eligible);
	free(excluded);
	free(infos);
	free(plan);
	return ret;
}

int ipam_assign(struct ipam_engine *e, const struct ipam_request *req, struct ipam_result *res)
{
	struct cluster c;
	size_t i;
	int ret;

	memset(res, 0, sizeof(*res));
	memset(&c, 0, sizeof(c));
	ipamconfig_init(&c.config);
	if (!req->handle_id || !req->handle_id[0] || !req->node || !req->node[0] ||
	    req->num_v4 + req->num_v6 == 0 || req->num_v4 + req->num_v6 > IPAM_RESULT_MAX) {
		set_err(res->error, sizeof(res->error),
			"invalid request: need a handle, a node and 1..%d addresses",
			IPAM_RESULT_MAX);
		return -EINVAL;
	}
	ret = load_config(e, &c, res->error, sizeof(res->error));
	if (ret == 0)
		ret = load_pools(e, &c, res->error, sizeof(res->error));
	if (ret == 0)
		ret = load_node_labels(e, req->node, &c, res->error, sizeof(res->error));
	if (ret == 0)
		ret = load_blocks(e, &c, res->error, sizeof(res->error));
	if (ret == 0 && req->num_v4)
		ret = assign_family(e, req, AF_INET, req->num_v4, &c, res);
	if (ret == 0 && req->num_v6) {
		/* Blocks changed if IPv4 claimed one; start from fresh data. */
		ret = req->num_v4 ? load_blocks(e, &c, res->error, sizeof(res->error)) : 0;
		if (ret == 0)
			ret = assign_family(e, req, AF_INET6, req->num_v6, &c, res);
	}
	if (ret < 0) {
		/* Undo this call's partial work so a failed ADD holds nothing. */
		for (i = 0; i < res->count; i++)
			ipam_release_ip(e, &res->addrs[i].addr, req->handle_id, NULL, NULL, 0);
		res->count = 0;
		log_warn("event=ipam_assign_failed handle=%s node=%s err=%d", req->handle_id,
			 req->node, ret);
	}
	cluster_free(&c);
	return ret;
}

/* ---- release ---- */

int ipam_release_handle(struct ipam_engine *e, const char *handle_id, size_t *released,
			char *err, size_t errlen)
{
	char name[IPAM_HANDLE_NAME_MAX], bname[CIDR_STRLEN];
	char **emptied = NULL;
	size_t nempty = 0, total = 0, i;
	int attempt, ret;

	if (released)
		*released = 0;
	ret = ipam_handle_object_name(handle_id ? handle_id : "", name, sizeof(name));
	if (ret < 0) {
		set_err(err, errlen, "invalid handle ID");
		return ret;
	}
	for (attempt = 0; attempt <= e->cas_retries; attempt++) {
		struct model_errors errs = MODEL_ERRORS_INIT;
		struct kube_error kerr = { 0 };
		json_object *obj = NULL;
		struct ipamhandle h;
		char *rv;

		ret = kube_get(e->client, &res_handles, NULL, name, &obj, &kerr);
		if (ret == -ENOENT) {
			ret = 0;
			break;
		}
		if (ret < 0) {
			set_err(err, errlen, "reading IPAMHandle %s: %s", name, kerr.message);
			break;
		}
		ret = ipamhandle_from_json(obj, &h, &errs);
		model_errors_free(&errs);
		rv = kube_object_resource_version(obj) ? strdup(kube_object_resource_version(obj))
						       : NULL;
		json_object_put(obj);
		if (ret < 0) {
			free(rv);
			set_err(err, errlen, "IPAMHandle %s could not be read", name);
			break;
		}
		/* Blocks first: the handle must outlive every allocation it
		 * counts, so a crash here leaves it for the next DEL. */
		for (i = 0; i < h.block_count && ret == 0; i++) {
			struct release_ctx ctx = { handle_id, false, 0, 0, NULL, false };

			ret = kube_update_cas(e->client, &res_blocks, NULL,
					      block_name_of(h.blocks[i].cidr, bname, sizeof(bname)),
					      release_mutate, &ctx, e->cas_retries, NULL, &kerr);
			free(ctx.holder);
			if (ret == -ENOENT) {
				ret = 0;
				continue;
			}
			if (ret < 0) {
				set_err(err, errlen, "releasing in IPAMBlock %s: %s", h.blocks[i].cidr,
					kerr.message);
				break;
			}
			total += ctx.released;
			if (ctx.empty && ctx.released) {
				char **grown = realloc(emptied, (nempty + 1) * sizeof(*grown));

				if (grown) {
					emptied = grown;
					emptied[nempty] = strdup(h.blocks[i].cidr);
					if (emptied[nempty])
						nempty++;
				}
			}
		}
		ipamhandle_free(&h);
		if (ret < 0) {
			free(rv);
			break;
		}
		ret = kube_delete(e->client, &res_handles, NULL, name, rv, &kerr);
		free(rv);
		if (ret == -EAGAIN)
			continue; /* the handle changed: release what it holds now */
		if (ret == -ENOENT)
			ret = 0;
		if (ret < 0)
			set_err(err, errlen, "deleting IPAMHandle %s: %s", name, kerr.message);
		break;
	}
	if (ret == 0 && attempt > e->cas_retries) {
		set_err(err, errlen, "IPAMHandle %s kept changing; retry", name);
		ret = -EAGAIN;
	}
	for (i = 0; i < nempty; i++) {
		if (ret == 0 && !e->keep_empty_blocks)
			release_empty_block(e, emptied[i]);
		free(emptied[i]);
	}
	free(emptied);
	if (released)
		*released = total;
	if (ret == 0)
		log_info("event=ipam_released handle=%s addresses=%zu", handle_id, total);
	return ret;
}

int ipam_release_ip(struct ipam_engine *e, const struct ip_addr *ip, const char *handle_id,
		    bool *released, char *err, size_t errlen)
{
	struct cluster c;
	struct release_ctx ctx;
	struct kube_error kerr = { 0 };
	char bname[CIDR_STRLEN], ipt[IP_ADDR_STRLEN] = "?";
	const char *cidr_text = NULL;
	uint64_t ord = 0;
	size_t i;
	int ret;

	if (released)
		*released = false;
	memset(&c, 0, sizeof(c));
	memset(&ctx, 0, sizeof(ctx));
	ip_format(ip, ipt, sizeof(ipt));
	ret = load_blocks(e, &c, err, errlen);
	if (ret < 0)
		goto out;
	for (i = 0; i < c.block_count; i++) {
		if (ipam_block_ordinal(&c.blocks[i], ip, &ord) == 0) {
			cidr_text = c.blocks[i].cidr;
			break;
		}
	}
	if (!cidr_text) {
		set_err(err, errlen, "no IPAMBlock contains %s", ipt);
		ret = -ENOENT;
		goto out;
	}
	ctx.handle_id = handle_id;
	ctx.by_ordinal = true;
	ctx.ordinal = ord;
	ret = kube_update_cas(e->client, &res_blocks, NULL,
			      block_name_of(cidr_text, bname, sizeof(bname)), release_mutate, &ctx,
			      e->cas_retries, NULL, &kerr);
	if (ret == -EPERM) {
		set_err(err, errlen, "%s is not held by handle %s", ipt, handle_id);
		goto out;
	}
	if (ret == -ENOENT) {
		ret = 0; /* block gone: nothing held */
		goto out;
	}
	if (ret < 0) {
		set_err(err, errlen, "releasing %s in IPAMBlock %s: %s", ipt, cidr_text, kerr.message);
		goto out;
	}
	if (!ctx.released)
		goto out;
	if (released)
		*released = true;
	log_info("event=ipam_released ip=%s block=%s handle=%s", ipt, cidr_text,
		 ctx.holder ? ctx.holder : "");
	if (ctx.holder)
		ret = handle_adjust(e, ctx.holder, cidr_text, -1, err, errlen);
	if (ret == 0 && ctx.empty && !e->keep_empty_blocks)
		release_empty_block(e, cidr_text);
out:
	free(ctx.holder);
	cluster_free(&c);
	return ret;
}
