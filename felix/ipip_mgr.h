/* ipip_mgr: felix's owner of the IPIP tunnel device (tunl0): its mode, MTU,
 * up flag and tunnel address.
 *
 * Contract:
 *  - Desired state (ipip_mgr_set_desired, no I/O): either "no tunnel
 *    wanted" or a spec (MTU, tunnel address). Copied.
 *  - ipip_mgr_apply() reaches the kernel only through the ipip_dataplane
 *    shim, in this order:
 *      1. the device: tunl0 is the ipip module's fallback device (one per
 *         network namespace, appears when the module loads, cannot be
 *         deleted). When absent it is "created" (a kind-ipip link of that
 *         name, which loads the module; -EEXIST from the module's own
 *         tunl0 racing us counts as done) and read again. A link of that
 *         name of another kind is not ours: -EEXIST, nothing touched;
 *      2. MTU (when the spec has one) and the up flag are set in place;
 *      3. addresses: the tunnel address /32 added when missing; every other
 *         address removed (once in sync).
 *    With no tunnel wanted the device is left as it is (it cannot be
 *    deleted and carries nothing without routes), but its addresses are
 *    removed once in sync, so a node that stopped using IPIP stops
 *    answering on the old tunnel address.
 *  - Deletions wait for ipip_mgr_set_in_sync(true), like route_mgr and
 *    vxlan_mgr: a felix that has not read the datastore yet must not strip
 *    an address it will want back.
 *  - Idempotent, repairs drift (address removed, MTU changed, device set
 *    down by hand) because it re-reads the device every time. Returns 0 or
 *    the first error; everything else is still attempted. */
#ifndef TWILL_FELIX_IPIP_MGR_H
#define TWILL_FELIX_IPIP_MGR_H

#include <stdbool.h>
#include <stddef.h>

#include "cidr.h"

#define IPIP_IFNAME_SIZE 16

struct ipip_device_spec {
	unsigned mtu;               /* 0: leave the kernel's */
	bool has_tunnel_addr;
	struct ip_addr tunnel_addr; /* IPv4, assigned as /32 */
};

/* What the kernel says about a link of that name. */
struct ipip_link_state {
	int ifindex;
	char kind[16];
	unsigned mtu;
	bool up;
};

/* All return 0 or -errno. link_get: -ENODEV when absent. addr_list:
 * malloc'ed, caller frees. link_set: mtu 0 leaves it as is. */
struct ipip_dataplane {
	int (*link_get)(void *ctx, const char *name, struct ipip_link_state *out);
	int (*link_create)(void *ctx, const char *name);
	int (*link_set)(void *ctx, int ifindex, unsigned mtu, bool up);
	int (*addr_list)(void *ctx, int ifindex, struct cidr **out, size_t *n);
	int (*addr_add)(void *ctx, int ifindex, const struct cidr *addr);
	int (*addr_del)(void *ctx, int ifindex, const struct cidr *addr);
	void *ctx;
};

struct ipip_apply_stats {
	bool created;      /* the device was created by us */
	bool changed;      /* MTU or up flag written */
	size_t addr_added;
	size_t addr_deleted;
	size_t deferred;   /* deletions waiting for in-sync */
};

struct ipip_mgr;

/* name: the device (felix uses "tunl0"). 0, -EINVAL, -ENOMEM. */
int ipip_mgr_new(const struct ipip_dataplane *dp, const char *name, struct ipip_mgr **out);
void ipip_mgr_free(struct ipip_mgr *m);
/* spec NULL: no tunnel wanted. 0, -EINVAL (tunnel address not IPv4). */
int ipip_mgr_set_desired(struct ipip_mgr *m, const struct ipip_device_spec *spec);
void ipip_mgr_set_in_sync(struct ipip_mgr *m, bool in_sync);
int ipip_mgr_apply(struct ipip_mgr *m, struct ipip_apply_stats *stats);

#endif
