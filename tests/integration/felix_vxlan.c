/* felix_vxlan: drive felix's vxlan_mgr over the real netlink shim in the
 * current network namespace, for tests/e2e/test_felix_vxlan.py.
 *
 *   felix_vxlan <local-ip> <tunnel-addr> <mtu> [mac=<mac>] [sync] [none] [peer...]
 *
 * peer = <mac>,<tunnel-addr>,<node-ip>. "none" wants no device at all;
 * mac= sets the device's own MAC (the node's published VTEP MAC).
 * Prints one line of key=value stats; exit 0 when apply returned 0. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "rtnl.h"
#include "vxlan_mgr.h"
#include "vxlan_netlink.h"

static int parse_mac(const char *text, uint8_t mac[6])
{
	unsigned m[6];
	int i;

	if (sscanf(text, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6)
		return -1;
	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)m[i];
	return 0;
}

static int parse_peer(const char *text, struct vxlan_peer *p)
{
	char buf[128], *tun, *node;
	snprintf(buf, sizeof(buf), "%s", text);
	tun = strchr(buf, ',');
	if (!tun)
		return -1;
	*tun++ = '\0';
	node = strchr(tun, ',');
	if (!node)
		return -1;
	*node++ = '\0';
	if (parse_mac(buf, p->mac) < 0)
		return -1;
	return ip_parse(tun, &p->tunnel_addr) < 0 || ip_parse(node, &p->node_ip) < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
	struct vxlan_device_spec spec;
	struct vxlan_peer peers[16];
	struct vxlan_dataplane dp;
	struct vxlan_apply_stats st = {0};
	struct vxlan_mgr *mgr = NULL;
	struct rtnl *nl = NULL;
	bool sync = false, none = false;
	size_t n = 0;
	int i, rc;

	memset(&spec, 0, sizeof(spec));
	if (argc < 4 || ip_parse(argv[1], &spec.local) < 0 ||
	    ip_parse(argv[2], &spec.tunnel_addr) < 0) {
		fprintf(stderr, "usage: felix_vxlan <local-ip> <tunnel-addr> <mtu> [mac=M] [sync] [none] "
				"[mac,tunnel,node...]\n");
		return 2;
	}
	log_init("felix_vxlan");
	spec.has_local = true;
	spec.has_tunnel_addr = true;
	spec.vni = 4096;
	spec.port = 4789;
	spec.mtu = (unsigned)atoi(argv[3]);
	for (i = 4; i < argc; i++) {
		if (strcmp(argv[i], "sync") == 0)
			sync = true;
		else if (strcmp(argv[i], "none") == 0)
			none = true;
		else if (strncmp(argv[i], "mac=", 4) == 0 && parse_mac(argv[i] + 4, spec.mac) == 0)
			spec.has_mac = true;
		else if (n < 16 && parse_peer(argv[i], &peers[n]) == 0)
			n++;
		else
			return 2;
	}
	rc = rtnl_open(&nl);
	if (rc < 0)
		goto out;
	vxlan_netlink_dataplane(nl, &dp);
	rc = vxlan_mgr_new(&dp, "vxlan.twill", &mgr);
	if (!rc)
		rc = vxlan_mgr_set_desired(mgr, none ? NULL : &spec, peers, n);
	if (rc < 0)
		goto out;
	vxlan_mgr_set_in_sync(mgr, sync);
	rc = vxlan_mgr_apply(mgr, &st);
out:
	printf("rc=%d created=%d deleted_device=%d replaced=%zu deleted=%zu failed=%zu "
	       "deferred=%zu\n",
	       rc, st.created, st.deleted_device, st.replaced, st.deleted, st.failed, st.deferred);
	vxlan_mgr_free(mgr);
	rtnl_close(nl);
	return rc == 0 ? 0 : 1;
}
