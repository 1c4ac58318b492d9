/* engine: the write sequences of block IPAM, executed against the API.
 *
 * Each assign round reads the cluster, asks plan.c for one decision and
 * executes it with CAS writes; anything another writer changed in between
 * shows up as a failed precondition and simply starts another round on
 * fresh data. Rounds are bounded (max_attempts) so heavy contention ends in
 * -EAGAIN, never a hang.
 *
 * The steady state reads as little as a correct decision needs: the pools,
 * the Node only when a pool's nodeSelector could depend on its labels, and
 * only the node's own blocks (label-selected). That view suffices to decide
 * AFFINE; any other decision (claim, borrow, exhausted) is taken only after
 * reading the IPAMConfig and every block. The block CAS starts from the
 * listed object (its resourceVersion is the precondition), so an
 * uncontended allocation is one list of pools, one list of the node's
 * blocks, one handle create and one block update.
 *
 * CAS mutate callbacks parse the freshly read object into the model struct,
 * run the pure allocator on it and replace the object's spec with the
 * result; they are re-run from scratch on every 409 retry, so their context
 * only carries inputs and the outcome of the LAST run.
 *
 * A claim, borrow or exhaustion lists every block: O(blocks), rare. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "block_alloc.h"
#include "engine_internal.h"
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
	e->deadline_seconds = opts && opts->assign_deadline_seconds > 0
				      ? opts->assign_deadline_seconds : IPAM_ASSIGN_DEADLINE_DEFAULT;
	e->seed = (unsigned)getpid() ^ (unsigned)time(NULL);
	*out = e;
	return 0;
}

void ipam_engine_free(struct ipam_engine *engine)
{
	free(engine);
}

bool ipam_past_deadline(const struct ipam_engine *e)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > e->deadline.tv_sec ||
	       (now.tv_sec == e->deadline.tv_sec && now.tv_nsec >= e->deadline.tv_nsec);
}

/* A short random pause after losing a CAS battle, so writers that collided
 * do not retry in lockstep. */
void ipam_contention_pause(struct ipam_engine *e)
{
	usleep(1000 + (useconds_t)(rand_r(&e->seed) % 20000));
}

/* ---- block writes ---- */

struct assign_ctx {
	const struct ipam_engine *engine;
	const struct ipam_attrs *attrs;
	size_t want;
	const char *require_node; /* AFFINE: the block must still be ours */
	bool forbid_strict;       /* BORROW: never write into a strict block */
	uint64_t ords[IPAM_RESULT_MAX];
	size_t got;
};

static int assign_mutate(json_object *obj, void *vctx)
{
	struct assign_ctx *ctx = vctx;
	const char *node;
	struct ipamblock b;
	int ret;

	ctx->got = 0;
	/* Checked at every attempt, right before the write: an assign past
	 * its deadline never writes a block (gc's grace period relies on it). */
	if (ipam_past_deadline(ctx->engine))
		return -ETIMEDOUT;
	ret = ipam_parse_block(obj, &b);
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
		ret = ipam_replace_spec(obj, ipamblock_to_json(&b));
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
	ret = ipam_parse_block(obj, &b);
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
		ret = ipam_replace_spec(obj, ipamblock_to_json(&b));
	ipamblock_free(&b);
	return ret;
}

/* kube_update_cas whose first attempt starts from seed (an object as
 * listed, with its resourceVersion) instead of a fresh read; a 409 falls
 * back to the normal read-mutate-write loop. */
static int update_seeded(struct ipam_engine *e, const struct kube_resource *res,
			 const char *name, json_object *seed, kube_mutate_fn mutate, void *ctx,
			 struct kube_error *kerr)
{
	json_object *copy = NULL;
	int ret;

	if (seed && json_object_deep_copy(seed, &copy, NULL) == 0) {
		ret = mutate(copy, ctx);
		if (ret == 0)
			ret = kube_update(e->client, res, NULL, name, copy, NULL, kerr);
		json_object_put(copy);
		if (ret > 0)
			ret = 0;
		/* > 0 from mutate: nothing to write on the listed version; a
		 * fresh read might differ, but declining is always safe. */
		if (ret != -EAGAIN)
			return ret;
	}
	return kube_update_cas(e->client, res, NULL, name, mutate, ctx, e->cas_retries, NULL,
			       kerr);
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
			   const struct ipam_block_info *info, json_object *listed, bool affine,
			   size_t want, const struct ippool *pool, struct ipam_result *res,
			   size_t *got, char *err, size_t errlen)
{
	char stamp[32];
	struct ipam_attrs attrs = { req->handle_id, req->namespace, req->pod, req->node,
				    ipam_timestamp_now(stamp, sizeof(stamp)) };
	struct assign_ctx ctx;
	struct kube_error kerr = { 0 };
	char text[CIDR_STRLEN], bname[CIDR_STRLEN];
	size_t i;
	int ret;

	*got = 0;
	if (want > info->free)
		want = (size_t)info->free;
	cidr_format(&info->cidr, text, sizeof(text));
	ret = ipam_handle_adjust(e, req->handle_id, text, (int64_t)want, err, errlen);
	if (ret < 0)
		return ret;
	memset(&ctx, 0, sizeof(ctx));
	ctx.engine = e;
	ctx.attrs = &attrs;
	ctx.want = want;
	ctx.require_node = affine ? req->node : NULL;
	ctx.forbid_strict = !affine;
	ipam_block_name_of(text, bname, sizeof(bname));
	ret = update_seeded(e, &ipam_res_blocks, bname, listed, assign_mutate, &ctx, &kerr);
	if (ret == -ENOENT)
		ret = 0; /* released meanwhile: got stays 0 */
	if (ret < 0) {
		/* The last mutate run's result was never written. */
		ctx.got = 0;
		if (ret == -ETIMEDOUT && ipam_past_deadline(e))
			ipam_set_err(err, errlen, "gave up: assigning took longer than %d s",
				     e->deadline_seconds);
		else if (ret != -EAGAIN)
			ipam_set_err(err, errlen, "updating IPAMBlock %s: %s", text, kerr.message);
	}
	if (ctx.got < want) {
		/* Give back the part of the handle count not used. */
		int undo = ipam_handle_adjust(e, req->handle_id, text, -(int64_t)(want - ctx.got),
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

		if (ipam_past_deadline(e)) {
			ipam_set_err(res->error, sizeof(res->error),
				"gave up: assigning for node \"%s\" took longer than %d s", req->node,
				e->deadline_seconds);
			ret = -ETIMEDOUT;
			goto out;
		}
		if (attempt >= e->max_attempts) {
			ipam_set_err(res->error, sizeof(res->error),
				"gave up after %d rounds of conflicting writes for node \"%s\"; "
				"retry", attempt, req->node);
			ret = -EAGAIN;
			goto out;
		}
		if (attempt > 0) {
			ret = ipam_load_node_blocks(e, req->node, c, res->error, sizeof(res->error));
			if (ret < 0)
				goto out;
		}
	replan:
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
		if (plan->kind != IPAM_PLAN_AFFINE && (c->blocks_partial || !c->config_loaded)) {
			/* Only AFFINE can be decided on the node's own blocks. */
			ret = c->config_loaded ? 0 : ipam_load_config(e, c, res->error,
								       sizeof(res->error));
			if (ret == 0 && c->blocks_partial)
				ret = ipam_load_blocks(e, c, res->error, sizeof(res->error));
			if (ret < 0)
				goto out;
			goto replan;
		}
		switch (plan->kind) {
		case IPAM_PLAN_EXHAUSTED:
			ipam_set_err(res->error, sizeof(res->error), "%s", plan->why);
			ret = -ENOSPC;
			goto out;
		case IPAM_PLAN_CLAIM:
			ret = ipam_claim_block(e, &plan->claim, req->node, c->config.strict_affinity,
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
			ret = assign_in_block(e, req, &infos[plan->block], c->block_json[plan->block],
					      plan->kind == IPAM_PLAN_AFFINE, remaining,
					      eligible[infos[plan->block].pool_rank], res, &got,
					      res->error, sizeof(res->error));
			if (ret < 0)
				goto out;
			if (got == 0)
				ipam_contention_pause(e);
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
	clock_gettime(CLOCK_MONOTONIC, &e->deadline);
	e->deadline.tv_sec += e->deadline_seconds;
	if (!req->handle_id || !req->handle_id[0] || !req->node || !req->node[0] ||
	    req->num_v4 + req->num_v6 == 0 || req->num_v4 + req->num_v6 > IPAM_RESULT_MAX) {
		ipam_set_err(res->error, sizeof(res->error),
			"invalid request: need a handle, a node and 1..%d addresses",
			IPAM_RESULT_MAX);
		return -EINVAL;
	}
	/* IPAMConfig only matters beyond the affine case: assign_family
	 * reads it (with every block) when it gets there. */
	ret = ipam_load_pools(e, &c, res->error, sizeof(res->error));
	if (ret == 0 && ipam_pools_need_node_labels(c.pools, c.pool_count))
		ret = ipam_load_node_labels(e, req->node, &c, res->error, sizeof(res->error));
	if (ret == 0)
		ret = ipam_load_node_blocks(e, req->node, &c, res->error, sizeof(res->error));
	if (ret == 0 && req->num_v4)
		ret = assign_family(e, req, AF_INET, req->num_v4, &c, res);
	if (ret == 0 && req->num_v6) {
		/* Blocks changed if IPv4 claimed one; start from fresh data. */
		ret = req->num_v4 ? ipam_load_node_blocks(e, req->node, &c, res->error,
							  sizeof(res->error)) : 0;
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
	ipam_cluster_free(&c);
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
		ipam_set_err(err, errlen, "invalid handle ID");
		return ret;
	}
	for (attempt = 0; attempt <= e->cas_retries; attempt++) {
		struct model_errors errs = MODEL_ERRORS_INIT;
		struct kube_error kerr = { 0 };
		json_object *obj = NULL;
		struct ipamhandle h;
		char *rv;

		ret = kube_get(e->client, &ipam_res_handles, NULL, name, &obj, &kerr);
		if (ret == -ENOENT) {
			ret = 0;
			break;
		}
		if (ret < 0) {
			ipam_set_err(err, errlen, "reading IPAMHandle %s: %s", name, kerr.message);
			break;
		}
		ret = ipamhandle_from_json(obj, &h, &errs);
		model_errors_free(&errs);
		rv = kube_object_resource_version(obj) ? strdup(kube_object_resource_version(obj))
						       : NULL;
		json_object_put(obj);
		if (ret < 0) {
			free(rv);
			ipam_set_err(err, errlen, "IPAMHandle %s could not be read", name);
			break;
		}
		/* Blocks first: the handle must outlive every allocation it
		 * counts, so a crash here leaves it for the next DEL. */
		for (i = 0; i < h.block_count && ret == 0; i++) {
			struct release_ctx ctx = { handle_id, false, 0, 0, NULL, false };

			ret = kube_update_cas(e->client, &ipam_res_blocks, NULL,
					      ipam_block_name_of(h.blocks[i].cidr, bname, sizeof(bname)),
					      release_mutate, &ctx, e->cas_retries, NULL, &kerr);
			free(ctx.holder);
			if (ret == -ENOENT) {
				ret = 0;
				continue;
			}
			if (ret < 0) {
				ipam_set_err(err, errlen, "releasing in IPAMBlock %s: %s", h.blocks[i].cidr,
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
		ret = kube_delete(e->client, &ipam_res_handles, NULL, name, rv, &kerr);
		free(rv);
		if (ret == -EAGAIN)
			continue; /* the handle changed: release what it holds now */
		if (ret == -ENOENT)
			ret = 0;
		if (ret < 0)
			ipam_set_err(err, errlen, "deleting IPAMHandle %s: %s", name, kerr.message);
		break;
	}
	if (ret == 0 && attempt > e->cas_retries) {
		ipam_set_err(err, errlen, "IPAMHandle %s kept changing; retry", name);
		ret = -EAGAIN;
	}
	for (i = 0; i < nempty; i++) {
		if (ret == 0 && !e->keep_empty_blocks)
			ipam_release_empty_block(e, emptied[i]);
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
	ret = ipam_load_blocks(e, &c, err, errlen);
	if (ret < 0)
		goto out;
	for (i = 0; i < c.block_count; i++) {
		if (ipam_block_ordinal(&c.blocks[i], ip, &ord) == 0) {
			cidr_text = c.blocks[i].cidr;
			break;
		}
	}
	if (!cidr_text) {
		ipam_set_err(err, errlen, "no IPAMBlock contains %s", ipt);
		ret = -ENOENT;
		goto out;
	}
	ctx.handle_id = handle_id;
	ctx.by_ordinal = true;
	ctx.ordinal = ord;
	ret = kube_update_cas(e->client, &ipam_res_blocks, NULL,
			      ipam_block_name_of(cidr_text, bname, sizeof(bname)), release_mutate, &ctx,
			      e->cas_retries, NULL, &kerr);
	if (ret == -EPERM) {
		ipam_set_err(err, errlen, "%s is not held by handle %s", ipt, handle_id);
		goto out;
	}
	if (ret == -ENOENT) {
		ret = 0; /* block gone: nothing held */
		goto out;
	}
	if (ret < 0) {
		ipam_set_err(err, errlen, "releasing %s in IPAMBlock %s: %s", ipt, cidr_text, kerr.message);
		goto out;
	}
	if (!ctx.released)
		goto out;
	if (released)
		*released = true;
	log_info("event=ipam_released ip=%s block=%s handle=%s", ipt, cidr_text,
		 ctx.holder ? ctx.holder : "");
	if (ctx.holder)
		ret = ipam_handle_adjust(e, ctx.holder, cidr_text, -1, err, errlen);
	if (ret == 0 && ctx.empty && !e->keep_empty_blocks)
		ipam_release_empty_block(e, cidr_text);
out:
	free(ctx.holder);
	ipam_cluster_free(&c);
	return ret;
}
