/* ipip_netlink: ipip_mgr's shim onto the kernel (felix/rtnl).
 *
 * Contract:
 *  - link_get: RTM_GETLINK by name (kind, MTU, up); -ENODEV when absent.
 *  - link_create: RTM_NEWLINK kind "ipip" with only a name (CREATE|EXCL).
 *    Asking for kind ipip makes the kernel load the ipip module, whose
 *    per-namespace fallback device is tunl0; so for that name the answer is
 *    usually -EEXIST (the module created it first), which ipip_mgr takes as
 *    done. -EOPNOTSUPP: the kernel has no ipip support.
 *  - link_set, addresses: the generic link and address calls shared with
 *    vxlan_netlink (nothing in them is VXLAN-specific).
 *  - The shim keeps the rtnl socket it was given; the caller closes it. */
#ifndef TWILL_FELIX_IPIP_NETLINK_H
#define TWILL_FELIX_IPIP_NETLINK_H

#include "ipip_mgr.h"
#include "rtnl.h"

void ipip_netlink_dataplane(struct rtnl *nl, struct ipip_dataplane *dp);

int ipip_netlink_link_get(struct rtnl *nl, const char *name, struct ipip_link_state *out);
int ipip_netlink_link_create(struct rtnl *nl, const char *name);

#endif
