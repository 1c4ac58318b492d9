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
#include "log.h"
#include "model/node.h"
#include "netlink.h"
#include "tunnel_addr.h"

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

int vtep_alloc_ensure(struct kube_client *client, const char *node, int have_mac,
		      int have_addr, char *err, size_t errlen)
{
	char addr[IP_ADDR_STRLEN] = "", mac_text[18], handle[320];
	json_object *ann;
	uint8_t mac[6];
	int rc = 0;

	err[0] = '\0';
	if (have_mac && have_addr)
		return 0;
	if (!have_addr) {
		rc = vtep_handle_id(node, handle, sizeof(handle));
		if (rc == 0)
			rc = tunnel_addr_allocate(client, node, handle, addr, sizeof(addr), err,
						  errlen);
		if (rc < 0)
			return rc;
	}
	ann = json_object_new_object();
	if (!ann)
		return -ENOMEM;
	if (!have_mac) {
		vtep_mac_for_node(node, mac);
		netlink_mac_format(mac, mac_text);
		json_object_object_add(ann, NODE_ANNOTATION_VXLAN_MAC,
				       json_object_new_string(mac_text));
	}
	if (!have_addr)
		json_object_object_add(ann, NODE_ANNOTATION_VXLAN_ADDR, json_object_new_string(addr));
	rc = tunnel_addr_publish(client, node, ann, err, errlen);
	if (rc == 0)
		log_info("event=vtep_published node=%s mac=%s addr=%s", node,
			 have_mac ? "(kept)" : mac_text, have_addr ? "(kept)" : addr);
	return rc;
}
