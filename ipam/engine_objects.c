/* engine_objects: the lifecycle writes of IPAMHandle, BlockAffinity and
 * IPAMBlock objects — handle count updates, block claims and the release of
 * empty blocks — each a sequence of creates and resourceVersion-conditioned
 * updates/deletes whose order is what makes a crash between two of them
 * harmless (docs/ipam.md walks through every crash point).
 *
 * Every mutate callback parses the freshly read object, changes the model
 * struct and replaces the object's spec; kube_update_cas re-runs it from
 * scratch on each 409, so callbacks are pure functions of (object, ctx). */
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

/* ---- handle writes ---- */

struct handle_ctx {
	const char *handle_id;
	const char *block_cidr;
	int64_t delta;
	const char *stamp; /* IPAM_HANDLE_ASSIGNED_AT value for an increment */
	int64_t total;     /* after the last run */
};

/* Record when the handle last counted an address in: an increment is the
 * start of an ADD whose block write may still be in flight, and gc must
 * not take the handle for an empty one before the grace period is over. */
static int stamp_handle(json_object *obj, const char *stamp)
{
	json_object *meta, *ann;

	if (!json_object_object_get_ex(obj, "metadata", &meta) ||
	    !json_object_is_type(meta, json_type_object))
		return -EINVAL;
	if (!json_object_object_get_ex(meta, "annotations", &ann) ||
	    !json_object_is_type(ann, json_type_object)) {
		ann = json_object_new_object();
		if (!ann || json_object_object_add(meta, "annotations", ann) < 0) {
			json_object_put(ann);
			return -ENOMEM;
		}
	}
	return json_object_object_add(ann, IPAM_HANDLE_ASSIGNED_AT,
				      json_object_new_string(stamp)) < 0 ? -ENOMEM : 0;
}

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
		ret = ipam_replace_spec(obj, ipamhandle_to_json(&h));
	if (ret == 0 && ctx->delta > 0)
		ret = stamp_handle(obj, ctx->stamp);
	ipamhandle_free(&h);
	return ret;
}

/* First increment of a new handle: one create, no read. -EEXIST when the
 * handle (or another ID's object of the same name) exists already. */
static int handle_create(struct ipam_engine *e, const struct handle_ctx *ctx,
			 struct kube_error *kerr)
{
	struct ipamhandle h;
	json_object *obj;
	int ret;

	ret = ipam_handle_init(&h, ctx->handle_id);
	if (ret == 0)
		ret = ipam_handle_add(&h, ctx->block_cidr, ctx->delta);
	obj = ret == 0 ? ipamhandle_to_json(&h) : NULL;
	ipamhandle_free(&h);
	if (ret < 0 || !obj)
		return ret < 0 ? ret : -ENOMEM;
	ret = stamp_handle(obj, ctx->stamp);
	if (ret == 0)
		ret = kube_create(e->client, &ipam_res_handles, NULL, obj, NULL, kerr);
	json_object_put(obj);
	return ret;
}

/* Add delta to handle_id's count for block_cidr, creating the handle on a
 * first increment and deleting it when it drops to zero. */
int ipam_handle_adjust(struct ipam_engine *e, const char *handle_id, const char *block_cidr,
			 int64_t delta, char *err, size_t errlen)
{
	char name[IPAM_HANDLE_NAME_MAX], stamp[32];
	struct handle_ctx ctx = { handle_id, block_cidr, delta,
				  ipam_timestamp_now(stamp, sizeof(stamp)), 0 };
	struct kube_error kerr = { 0 };
	json_object *out = NULL;
	int attempt, ret;

	ret = ipam_handle_object_name(handle_id, name, sizeof(name));
	if (ret < 0) {
		ipam_set_err(err, errlen, "handle ID \"%.200s\" cannot be an object name", handle_id);
		return ret;
	}
	/* An ADD's handle is almost always new: try the create first. */
	if (delta > 0) {
		ret = handle_create(e, &ctx, &kerr);
		if (ret != -EEXIST) {
			if (ret < 0)
				ipam_set_err(err, errlen, "creating IPAMHandle %s: %s", name,
					     kerr.message);
			return ret;
		}
	}
	for (attempt = 0; attempt <= e->cas_retries; attempt++) {
		ret = kube_update_cas(e->client, &ipam_res_handles, NULL, name, handle_mutate, &ctx,
				      e->cas_retries, &out, &kerr);
		if (ret == -ENOENT && delta > 0) {
			ret = handle_create(e, &ctx, &kerr);
			if (ret == -EEXIST)
				continue; /* created concurrently: update it instead */
		} else if (ret == -ENOENT) {
			return 0; /* nothing to decrement */
		} else if (ret == 0 && ctx.total == 0 && out) {
			const char *rv = kube_object_resource_version(out);

			/* Conditional: a concurrent increment keeps it. */
			ret = kube_delete(e->client, &ipam_res_handles, NULL, name, rv, &kerr);
			if (ret == -EAGAIN || ret == -ENOENT)
				ret = 0;
		}
		break;
	}
	json_object_put(out);
	if (ret < 0)
		ipam_set_err(err, errlen, "updating IPAMHandle %s: %s", name, kerr.message);
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
	ret = ipam_replace_spec(obj, blockaffinity_to_json(&a));
	blockaffinity_free(&a);
	return ret;
}

static int affinity_set(struct ipam_engine *e, const char *name, enum blockaffinity_state want,
			bool only_from_pending_deletion)
{
	struct affinity_ctx ctx = { want, only_from_pending_deletion };
	struct kube_error kerr = { 0 };
	int ret;

	ret = kube_update_cas(e->client, &ipam_res_affinities, NULL, name, affinity_mutate, &ctx,
			      e->cas_retries, NULL, &kerr);
	if (ret < 0 && ret != -ENOENT)
		log_warn("event=ipam_affinity_update_failed affinity=%s state=%s err=%d", name,
			 blockaffinity_state_name(want), ret);
	return ret == -ENOENT ? 0 : ret;
}


/* resourceVersion of affinity name when it is in state pending, else NULL. */
static char *pending_affinity_version(struct ipam_engine *e, const char *name)
{
	struct model_errors errs = MODEL_ERRORS_INIT;
	struct blockaffinity a;
	json_object *obj = NULL;
	char *rv = NULL;

	if (kube_get(e->client, &ipam_res_affinities, NULL, name, &obj, NULL) < 0)
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
int ipam_claim_block(struct ipam_engine *e, const struct cidr *cidr, const char *node,
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
		ipam_set_err(err, errlen, "node name \"%.100s\" is too long", node);
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
	ret = kube_create(e->client, &ipam_res_affinities, NULL, obj, &created, &kerr);
	json_object_put(obj);
	obj = NULL;
	if (ret == 0) {
		const char *rv = kube_object_resource_version(created);

		aff_rv = rv ? strdup(rv) : NULL;
	} else if (ret != -EEXIST) {
		ipam_set_err(err, errlen, "creating BlockAffinity %s: %s", aff_name, kerr.message);
		goto out;
	}
	/* 2. The block create is the arbiter: exactly one writer succeeds. */
	ret = ipam_block_init(&block, cidr, node);
	if (ret < 0)
		goto out;
	block.strict_affinity = strict;
	if (ipam_node_label_ok(node) &&
	    labels_set(&block.meta.labels, IPAM_BLOCK_NODE_LABEL, node) < 0) {
		ipamblock_free(&block);
		ret = -ENOMEM;
		goto out;
	}
	obj = ipamblock_to_json(&block);
	ipamblock_free(&block);
	if (!obj) {
		ret = -ENOMEM;
		goto out;
	}
	ret = kube_create(e->client, &ipam_res_blocks, NULL, obj, NULL, &kerr);
	json_object_put(obj);
	obj = NULL;
	if (ret == -EEXIST) {
		json_object *cur = NULL;
		struct ipamblock existing;
		const char *owner = NULL;

		ipam_block_name_of(text, bname, sizeof(bname));
		if (kube_get(e->client, &ipam_res_blocks, NULL, bname, &cur, NULL) == 0 &&
		    ipam_parse_block(cur, &existing) == 0) {
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
				kube_delete(e->client, &ipam_res_affinities, NULL, aff_name, aff_rv, NULL);
			goto out;
		}
	} else if (ret < 0) {
		ipam_set_err(err, errlen, "creating IPAMBlock %s: %s", text, kerr.message);
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
int ipam_release_empty_block(struct ipam_engine *e, const char *cidr_text)
{
	char bname[CIDR_STRLEN], aff_name[320], *node = NULL;
	bool marked = false;
	int attempt, ret = 0;

	ipam_block_name_of(cidr_text, bname, sizeof(bname));
	for (attempt = 0; attempt <= e->cas_retries; attempt++) {
		struct kube_error kerr = { 0 };
		struct ipamblock b;
		json_object *obj = NULL;
		char *rv;

		ret = kube_get(e->client, &ipam_res_blocks, NULL, bname, &obj, &kerr);
		if (ret == -ENOENT) {
			ret = 0;
			break;
		}
		if (ret < 0)
			break;
		ret = ipam_parse_block(obj, &b);
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
		ret = kube_delete(e->client, &ipam_res_blocks, NULL, bname, rv, &kerr);
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
		ret = kube_delete(e->client, &ipam_res_affinities, NULL, aff_name, NULL, NULL);
		if (ret == -ENOENT)
			ret = 0;
	}
out:
	free(node);
	return ret;
}
