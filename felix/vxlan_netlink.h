/* vxlan_netlink: vxlan_mgr's shim onto the kernel (felix/rtnl).
 *
 * Contract:
 *  - link_get: RTM_GETLINK by name; -ENODEV when absent. Reports kind,
 *    VNI, port, learning and local address from IFLA_LINKINFO.
 *  - link_create: a vxlan device with learning off, created down (the
 *    manager sets MTU and up afterwards, so an existing device and a new one
 *    go through the same path). link_delete of a vanished device is 0.
 *  - dump_entries: permanent IPv4 neighbours and all FDB entries (the
 *    device's own table, NTF_SELF) of that ifindex.
 *  - replace/delete: batched through rtnl_batch; deleting an absent entry
 *    counts as done.
 *  - The shim keeps the rtnl socket it was given; the caller closes it. */
#ifndef TWILL_FELIX_VXLAN_NETLINK_H
#define TWILL_FELIX_VXLAN_NETLINK_H

#include "rtnl.h"
#include "vxlan_mgr.h"

void vxlan_netlink_dataplane(struct rtnl *nl, struct vxlan_dataplane *dp);

int vxlan_netlink_link_get(struct rtnl *nl, const char *name, struct vxlan_link_state *out);
int vxlan_netlink_link_create(struct rtnl *nl, const struct vxlan_device_spec *spec);
int vxlan_netlink_link_delete(struct rtnl *nl, int ifindex);
int vxlan_netlink_link_set(struct rtnl *nl, int ifindex, unsigned mtu, const uint8_t *mac,
			   bool up);
int vxlan_netlink_addr_list(struct rtnl *nl, int ifindex, struct cidr **out, size_t *n);
int vxlan_netlink_addr_add(struct rtnl *nl, int ifindex, const struct cidr *addr);
int vxlan_netlink_addr_del(struct rtnl *nl, int ifindex, const struct cidr *addr);
int vxlan_netlink_dump_entries(struct rtnl *nl, int ifindex, struct vxlan_entry **out,
			       size_t *n);
int vxlan_netlink_replace_entries(struct rtnl *nl, int ifindex, const struct vxlan_entry *e,
				  size_t n, int *errs);
int vxlan_netlink_delete_entries(struct rtnl *nl, int ifindex, const struct vxlan_entry *e,
				 size_t n, int *errs);

#endif
