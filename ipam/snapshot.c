/* snapshot: the list calls behind check/gc/show.
 *
 * Each kind is one paged list (kube_list merges pages). The order matters
 * for correctness of check under concurrent ADD/DEL (see check.h), so it is
 * fixed here and nowhere else. Parsing reuses lib/model; the model's
 * validation is not applied to blocks here because a broken block is
 * exactly what check wants to see. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "model/pod.h"
#include "snapshot.h"

static const struct kube_resource res_blocks = { "twill.dev", "v1", "ipamblocks", false };
static const struct kube_resource res_handles = { "twill.dev", "v1", "ipamhandles", false };
static const struct kube_resource res_affinities = { "twill.dev", "v1", "blockaffinities",
						     false };
static const struct kube_resource res_pools = { "twill.dev", "v1", "ippools", false };
static const struct kube_resource res_nodes = { "", "v1", "nodes", false };
static const struct kube_resource res_pods = { "", "v1", "pods", true };

typedef int (*parse_fn)(json_object *obj, void *item, struct model_errors *errs);

static int parse_block(json_object *o, void *it, struct model_errors *e)
{
	return ipamblock_from_json(o, it, e);
}

static int parse_handle(json_object *o, void *it, struct model_errors *e)
{
	return ipamhandle_from_json(o, it, e);
}

static int parse_affinity(json_object *o, void *it, struct model_errors *e)
{
	return blockaffinity_from_json(o, it, e);
}

static int parse_pool(json_object *o, void *it, struct model_errors *e)
{
	return ippool_from_json(o, it, e);
}

static int list(struct kube_client *c, const struct kube_resource *res, json_object **items,
		struct kube_error *err)
{
	json_object *obj = NULL, *arr;
	int rc = kube_list(c, res, NULL, NULL, &obj, err);

	if (rc < 0)
		return rc;
	if (!json_object_object_get_ex(obj, "items", &arr) ||
	    !json_object_is_type(arr, json_type_array)) {
		json_object_put(obj);
		return -EPROTO;
	}
	json_object_get(arr);
	json_object_put(obj);
	*items = arr;
	return 0;
}

/* Parse every item into a new array of size elements. keep_bad: keep items
 * with errors (blocks); else skip them. */
static int load(struct kube_client *c, const struct kube_resource *res, size_t size,
		parse_fn parse, void (*free_fn)(void *), bool keep_bad, void **out,
		size_t *count, struct kube_error *err)
{
	json_object *items = NULL;
	size_t n, i, k = 0;
	char *arr;
	int rc = list(c, res, &items, err);

	if (rc < 0)
		return rc;
	n = json_object_array_length(items);
	arr = calloc(n ? n : 1, size);
	if (!arr) {
		json_object_put(items);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		struct model_errors errs = MODEL_ERRORS_INIT;
		void *it = arr + k * size;
		int prc = parse(json_object_array_get_idx(items, i), it, &errs);

		if (prc == -ENOMEM) {
			model_errors_free(&errs);
			free_fn(it);
			rc = -ENOMEM;
			break;
		}
		if ((prc < 0 || model_errors_failed(&errs)) && !keep_bad) {
			log_warn("event=snapshot_skip resource=%s index=%zu", res->plural, i);
			free_fn(it);
			memset(it, 0, size);
		} else {
			k++;
		}
		model_errors_free(&errs);
	}
	json_object_put(items);
	if (rc < 0) {
		for (i = 0; i < k; i++)
			free_fn(arr + i * size);
		free(arr);
		return rc;
	}
	*out = arr;
	*count = k;
	return 0;
}

static void free_block(void *p)
{
	ipamblock_free(p);
}

static void free_handle(void *p)
{
	ipamhandle_free(p);
}

static void free_affinity(void *p)
{
	blockaffinity_free(p);
}

static void free_pool(void *p)
{
	ippool_free(p);
}

static const char *meta_string(json_object *obj, const char *key)
{
	json_object *md, *v;

	if (!json_object_object_get_ex(obj, "metadata", &md) ||
	    !json_object_object_get_ex(md, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int load_nodes(struct kube_client *c, struct ipam_snapshot *s, struct kube_error *err)
{
	json_object *items = NULL;
	size_t n, i;
	int rc = list(c, &res_nodes, &items, err);

	if (rc < 0)
		return rc;
	n = json_object_array_length(items);
	s->nodes = calloc(n ? n : 1, sizeof(*s->nodes));
	if (!s->nodes)
		rc = -ENOMEM;
	for (i = 0; rc == 0 && i < n; i++) {
		const char *name = meta_string(json_object_array_get_idx(items, i), "name");

		if (!name)
			continue;
		if (!(s->nodes[s->node_count] = strdup(name)))
			rc = -ENOMEM;
		else
			s->node_count++;
	}
	json_object_put(items);
	s->nodes_known = rc == 0;
	return rc;
}

static int load_pods(struct kube_client *c, struct ipam_snapshot *s, struct kube_error *err)
{
	json_object *items = NULL;
	size_t n, i;
	int rc = list(c, &res_pods, &items, err);

	if (rc < 0)
		return rc;
	n = json_object_array_length(items);
	s->pods = calloc(n ? n : 1, sizeof(*s->pods));
	if (!s->pods)
		rc = -ENOMEM;
	for (i = 0; rc == 0 && i < n; i++) {
		json_object *pod = json_object_array_get_idx(items, i), *md, *ann, *v;
		const char *name = meta_string(pod, "name"), *ns = meta_string(pod, "namespace");
		struct ipam_pod_ref *p = &s->pods[s->pod_count];

		if (!name || !ns)
			continue;
		p->namespace = strdup(ns);
		p->name = strdup(name);
		if (json_object_object_get_ex(pod, "spec", &md) &&
		    json_object_object_get_ex(md, "nodeName", &v) &&
		    json_object_is_type(v, json_type_string))
			p->node = strdup(json_object_get_string(v));
		if (json_object_object_get_ex(pod, "metadata", &md) &&
		    json_object_object_get_ex(md, "annotations", &ann) &&
		    json_object_object_get_ex(ann, POD_ANNOTATION_CONTAINER_ID, &v) &&
		    json_object_is_type(v, json_type_string))
			p->container_id = strdup(json_object_get_string(v));
		s->pod_count++;
		if (!p->namespace || !p->name)
			rc = -ENOMEM;
	}
	json_object_put(items);
	s->pods_known = rc == 0;
	return rc;
}

int ipam_snapshot_load_blocks(struct kube_client *client, struct ipam_snapshot *out,
			      struct kube_error *err)
{
	void *arr = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = load(client, &res_blocks, sizeof(struct ipamblock), parse_block, free_block, true,
		  &arr, &out->block_count, err);
	if (rc == 0)
		out->blocks = arr;
	return rc;
}

int ipam_snapshot_load(struct kube_client *client, bool with_pods, struct ipam_snapshot *out,
		       struct kube_error *err)
{
	void *arr = NULL;
	int rc;

	/* Blocks before handles: see check.h. */
	if ((rc = ipam_snapshot_load_blocks(client, out, err)) < 0)
		goto out;
	if ((rc = load(client, &res_handles, sizeof(struct ipamhandle), parse_handle, free_handle,
		       false, &arr, &out->handle_count, err)) < 0)
		goto out;
	out->handles = arr;
	if ((rc = load(client, &res_affinities, sizeof(struct blockaffinity), parse_affinity,
		       free_affinity, false, &arr, &out->affinity_count, err)) < 0)
		goto out;
	out->affinities = arr;
	if ((rc = load(client, &res_pools, sizeof(struct ippool), parse_pool, free_pool, false,
		       &arr, &out->pool_count, err)) < 0)
		goto out;
	out->pools = arr;
	if ((rc = load_nodes(client, out, err)) < 0)
		goto out;
	if (with_pods)
		rc = load_pods(client, out, err);
out:
	if (rc < 0)
		ipam_snapshot_free(out);
	return rc;
}
