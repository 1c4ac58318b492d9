/* ipip_alloc: this node's IPIP tunnel address (see ipip_alloc.h).
 *
 * Crash safety as in vtep_alloc: the handle is emptied, then one address is
 * assigned, then the Node is patched; a crash in between leaves at worst an
 * allocation under the handle, which the next attempt releases again —
 * never a published address IPAM does not know about. The handle differs
 * from the VTEP's, so a node using both encapsulations (two pools) holds
 * two distinct tunnel addresses. */
#include "ipip_alloc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "model/node.h"
#include "tunnel_addr.h"

int ipip_handle_id(const char *node, char *buf, size_t size)
{
	int n = snprintf(buf, size, "ipip-tunnel-addr-%s", node);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static const char *str_at(json_object *o, const char *k1, const char *k2)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(o, k1, &v))
		return NULL;
	if (k2 && !json_object_object_get_ex(v, k2, &v))
		return NULL;
	return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

int ipip_self_tunnel_addr(json_object *nodes, const char *node, struct ip_addr *out)
{
	size_t i, n;

	if (!node || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (!nodes || !json_object_is_type(nodes, json_type_array))
		return -ENOENT;
	n = json_object_array_length(nodes);
	for (i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(nodes, i), *meta = NULL, *ann = NULL;
		const char *name, *addr;

		if (!json_object_object_get_ex(o, "metadata", &meta))
			continue;
		name = str_at(meta, "name", NULL);
		if (!name || strcmp(name, node) != 0)
			continue;
		if (!json_object_object_get_ex(meta, "annotations", &ann))
			return 0;
		addr = str_at(ann, NODE_ANNOTATION_IPIP_ADDR, NULL);
		if (!addr || ip_parse(addr, out) < 0 || out->family != AF_INET) {
			memset(out, 0, sizeof(*out));
			return 0;
		}
		return 1;
	}
	return -ENOENT;
}

int ipip_alloc_ensure(struct kube_client *client, const char *node, char *err, size_t errlen)
{
	char addr[IP_ADDR_STRLEN] = "", handle[320];
	json_object *ann;
	int rc;

	if (!client || !node || !err || !errlen)
		return -EINVAL;
	err[0] = '\0';
	rc = ipip_handle_id(node, handle, sizeof(handle));
	if (rc == 0)
		rc = tunnel_addr_allocate(client, node, handle, addr, sizeof(addr), err, errlen);
	if (rc < 0)
		return rc;
	ann = json_object_new_object();
	if (!ann)
		return -ENOMEM;
	json_object_object_add(ann, NODE_ANNOTATION_IPIP_ADDR, json_object_new_string(addr));
	rc = tunnel_addr_publish(client, node, ann, err, errlen);
	if (rc == 0)
		log_info("event=ipip_addr_published node=%s addr=%s", node, addr);
	return rc;
}
