/* route_netlink: route_mgr's shim onto the kernel (felix/rtnl).
 *
 * Contract:
 *  - dump: RTM_GETROUTE for IPv4 then IPv6, every table, keeping only routes
 *    whose protocol is the one asked for (the kernel filters too when it
 *    supports strict dump checking; we never rely on it) and that are not
 *    cloned/cache entries. Multipath routes are returned without device or
 *    gateway, so the manager sees them as different and replaces them.
 *  - replace_batch: RTM_NEWROUTE with NLM_F_CREATE|NLM_F_REPLACE, many per
 *    sendmsg, acks read in bulk. Device names are resolved through one link
 *    dump per batch; an unknown name is -ENODEV for that route only.
 *  - delete_batch: RTM_DELROUTE naming destination, table, type and our
 *    protocol, so the kernel itself refuses to delete another protocol's
 *    route of the same prefix. A route already gone (-ESRCH/-ENOENT) counts
 *    as deleted.
 *  - The shim keeps the rtnl socket it was given; the caller closes it. */
#ifndef TWILL_FELIX_ROUTE_NETLINK_H
#define TWILL_FELIX_ROUTE_NETLINK_H

#include "route_mgr.h"
#include "rtnl.h"

/* Fill dp with the netlink implementation over nl. */
void route_netlink_dataplane(struct rtnl *nl, struct route_dataplane *dp);

int route_netlink_dump(struct rtnl *nl, uint8_t protocol, struct route_entry **out, size_t *n);
int route_netlink_replace_batch(struct rtnl *nl, const struct route_entry *routes, size_t n,
				int *errs);
int route_netlink_delete_batch(struct rtnl *nl, const struct route_entry *routes, size_t n,
			       int *errs);

#endif
