/* tunnel_addr: allocation and publication of a node's tunnel address (see
 * tunnel_addr.h). One engine per call: these run once per node lifetime (and
 * on retries), so a cached engine would only hold stale state. */
#include "tunnel_addr.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "engine.h"

static const struct kube_resource nodes_resource = {"", "v1", "nodes", false};

int tunnel_addr_allocate(struct kube_client *client, const char *node, const char *handle,
			 char *addr, size_t size, char *err, size_t errlen)
{
	struct ipam_engine *engine = NULL;
	struct ipam_request req = {0};
	struct ipam_result res;
	int rc;

	rc = ipam_engine_new(client, NULL, &engine);
	if (rc < 0)
		return rc;
	rc = ipam_release_handle(engine, handle, NULL, err, errlen);
	if (rc < 0)
		goto out;
	req.handle_id = handle;
	req.node = node;
	req.num_v4 = 1;
	req.tunnel = true;
	memset(&res, 0, sizeof(res));
	rc = ipam_assign(engine, &req, &res);
	if (rc < 0) {
		snprintf(err, errlen, "%s", res.error);
		goto out;
	}
	rc = res.count == 1 ? ip_format(&res.addrs[0].addr, addr, size) : -EIO;
out:
	ipam_engine_free(engine);
	return rc;
}

int tunnel_addr_publish(struct kube_client *client, const char *node, json_object *annotations,
			char *err, size_t errlen)
{
	struct kube_error kerr = {0};
	json_object *patch = NULL, *meta = NULL;
	int rc;

	if (!annotations)
		return -ENOMEM;
	patch = json_object_new_object();
	meta = json_object_new_object();
	if (!patch || !meta) {
		json_object_put(meta);
		json_object_put(annotations);
		rc = -ENOMEM;
		goto out;
	}
	json_object_object_add(meta, "annotations", annotations);
	json_object_object_add(patch, "metadata", meta);
	rc = kube_patch_merge(client, &nodes_resource, NULL, node, patch, NULL, &kerr);
	if (rc < 0)
		snprintf(err, errlen, "%s", kerr.message);
out:
	json_object_put(patch);
	return rc;
}
