/* vtep_alloc: this node's VTEP MAC and tunnel address (see vtep_alloc.h).
 *
 * Order matters for crash safety: the address is allocated before the Node
 * is patched, and the handle is emptied before allocating, so the worst a
 * crash leaves is an allocation the next attempt releases again — never a
 * published address IPAM does not know about. */
#include "vtep_alloc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cni_names.h"
#include "engine.h"
#include "log.h"
#include "model/node.h"
#include "netlink.h"

static const struct kube_resource nodes_resource = {"", "v1", "nodes", false};

void vtep_mac_for_node(const char *node, uint8_t mac[6])
{
	char key[300];
	uint8_t digest[20];
	int n = snprintf(key, sizeof(key), "twill-vtep:%s", node ? node : "");

	cni_sha1(key, n > 0 && (size_t)n < sizeof(key) ? (size_t)n : strlen(key), digest);
	memcpy(mac, digest, 6);
	mac[0] = (uint8_t)((mac[0] | 0x02) & ~0x01);
}

int vtep_handle_id(const char *node, char *buf, size_t size)
{
	int n = snprintf(buf, size, "vxlan-tunnel-addr-%s", node);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static int allocate_addr(struct kube_client *client, const char *node, char *addr, size_t size,
			 char *err, size_t errlen)
{
	struct ipam_engine *engine = NULL;
	struct ipam_request req = {0};
	struct ipam_result res;
	char handle[320];
	int rc;

	rc = vtep_handle_id(node, handle, sizeof(handle));
	if (rc < 0)
		return rc;
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

int vtep_alloc_ensure(struct kube_client *client, const char *node, int have_mac,
		      int have_addr, char *err, size_t errlen)
{
	char addr[IP_ADDR_STRLEN] = "", mac_text[18];
	struct kube_error kerr = {0};
	json_object *patch = NULL, *meta, *ann;
	uint8_t mac[6];
	int rc = 0;

	err[0] = '\0';
	if (have_mac && have_addr)
		return 0;
	if (!have_addr) {
		rc = allocate_addr(client, node, addr, sizeof(addr), err, errlen);
		if (rc < 0)
			return rc;
	}
	patch = json_object_new_object();
	meta = json_object_new_object();
	ann = json_object_new_object();
	if (!patch || !meta || !ann) {
		json_object_put(patch);
		json_object_put(meta);
		json_object_put(ann);
		return -ENOMEM;
	}
	json_object_object_add(patch, "metadata", meta);
	json_object_object_add(meta, "annotations", ann);
	if (!have_mac) {
		vtep_mac_for_node(node, mac);
		netlink_mac_format(mac, mac_text);
		json_object_object_add(ann, NODE_ANNOTATION_VXLAN_MAC,
				       json_object_new_string(mac_text));
	}
	if (!have_addr)
		json_object_object_add(ann, NODE_ANNOTATION_VXLAN_ADDR, json_object_new_string(addr));
	rc = kube_patch_merge(client, &nodes_resource, NULL, node, patch, NULL, &kerr);
	if (rc < 0)
		snprintf(err, errlen, "%s", kerr.message);
	else
		log_info("event=vtep_published node=%s mac=%s addr=%s", node,
			 have_mac ? "(kept)" : mac_text, have_addr ? "(kept)" : addr);
	json_object_put(patch);
	return rc;
}
