/* gc_exec: the writes of one gc action (see gc_exec.h).
 *
 * Everything that frees addresses goes through the engine, so its write
 * order (block before handle on release, empty-block release with a
 * version precondition) holds for the collector exactly as for CNI DEL.
 * Only the two object deletes and the affinity removal are direct API
 * writes, each conditioned on what the plan saw. */
#include "gc_exec.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const struct kube_resource res_affinities = { "twill.dev", "v1", "blockaffinities",
						     false };
static const struct kube_resource res_blocks = { "twill.dev", "v1", "ipamblocks", false };

struct unaffine_ctx {
	char want[300]; /* "host:<node>" */
	bool wrote;     /* the last attempt wanted a write */
};

/* kube_update_cas mutate: drop spec.affinity while it is host:<node>. */
static int unaffine(json_object *obj, void *arg)
{
	struct unaffine_ctx *ctx = arg;
	json_object *spec, *aff;

	ctx->wrote = false;
	if (!json_object_object_get_ex(obj, "spec", &spec) ||
	    !json_object_object_get_ex(spec, "affinity", &aff) ||
	    !json_object_is_type(aff, json_type_string) ||
	    strcmp(json_object_get_string(aff), ctx->want) != 0)
		return 1; /* re-homed or claimed meanwhile: leave it */
	json_object_object_del(spec, "affinity");
	ctx->wrote = true;
	return 0;
}

int ipam_gc_exec(struct kube_client *client, struct ipam_engine *engine,
		 const struct ipam_gc_action *a, bool *changed, char *err, size_t errlen)
{
	struct kube_error kerr;
	struct ip_addr ip;
	struct unaffine_ctx uctx;
	json_object *out = NULL;
	size_t n = 0;
	bool released = false;
	int rc;

	memset(&kerr, 0, sizeof(kerr));
	*changed = false;
	switch (a->kind) {
	case IPAM_GC_RELEASE_HANDLE:
		rc = ipam_release_handle(engine, a->handle_id, &n, err, errlen);
		*changed = rc == 0;
		return rc;
	case IPAM_GC_RELEASE_IP:
		if (ip_parse(a->ip, &ip) < 0) {
			snprintf(err, errlen, "bad address %s", a->ip);
			return -EINVAL;
		}
		rc = ipam_release_ip(engine, &ip, a->handle_id[0] ? a->handle_id : NULL, &released,
				     err, errlen);
		*changed = rc == 0 && released;
		return rc == -EPERM ? 0 : rc; /* changed hands since: not leaked */
	case IPAM_GC_DELETE_AFFINITY:
	case IPAM_GC_DELETE_BLOCK:
		rc = kube_delete(client,
				 a->kind == IPAM_GC_DELETE_BLOCK ? &res_blocks : &res_affinities, NULL,
				 a->object, a->resource_version[0] ? a->resource_version : NULL,
				 &kerr);
		*changed = rc == 0;
		if (rc == -ENOENT)
			rc = 0;
		if (rc < 0)
			snprintf(err, errlen, "%s", kerr.message);
		return rc;
	case IPAM_GC_UNAFFINE_BLOCK:
		memset(&uctx, 0, sizeof(uctx));
		snprintf(uctx.want, sizeof(uctx.want), "host:%.290s", a->node);
		rc = kube_update_cas(client, &res_blocks, NULL, a->object, unaffine, &uctx, 8, &out,
				     &kerr);
		*changed = rc == 0 && uctx.wrote;
		json_object_put(out);
		if (rc == -ENOENT)
			rc = 0;
		if (rc < 0)
			snprintf(err, errlen, "%s", kerr.message);
		return rc;
	}
	snprintf(err, errlen, "unknown action");
	return -EINVAL;
}
