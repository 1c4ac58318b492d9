/* vxlan_mgr: felix's owner of the VXLAN device (vxlan.twill) and its
 * per-remote-VTEP forwarding entries.
 *
 * Contract:
 *  - Desired state (vxlan_mgr_set_desired, no I/O): either "no device" or a
 *    device spec (name, VNI, UDP port, local node IP, MTU, tunnel address)
 *    plus one peer per remote VTEP (MAC, tunnel address, node IP). Learning
 *    is always off: every remote MAC is programmed, none is learned.
 *  - vxlan_mgr_apply() reaches the kernel only through the vxlan_dataplane
 *    shim, in this order:
 *      1. the device: created when missing; recreated when a property the
 *         kernel cannot change in place (kind, VNI, port, local address,
 *         learning) differs; MTU, MAC and the up flag are set in place;
 *      2. its addresses: the tunnel address /32 added, others removed;
 *      3. FDB entries (MAC -> node IP, permanent) replaced for wanted peers,
 *         then neighbour entries (tunnel address -> MAC, permanent): a
 *         neighbour is only usable once the FDB can carry its frames;
 *      4. unwanted neighbours, then unwanted FDB entries, deleted;
 *      5. with no device wanted, the device deleted (which drops its
 *         entries with it).
 *    Deletions (4, 5, and removing stray addresses) wait for
 *    vxlan_mgr_set_in_sync(true), like route_mgr. Recreating a device with
 *    wrong parameters is not deferred: it cannot carry our traffic anyway.
 *  - Ownership: the device is ours by name; every permanent neighbour and
 *    every FDB entry on it is ours. Nothing on other devices is touched.
 *  - apply() is idempotent and repairs drift (entries or addresses removed
 *    by hand, the device deleted) because it re-reads the device every time.
 *    Returns 0 or the first error; failed items are retried next apply. */
#ifndef TWILL_FELIX_VXLAN_MGR_H
#define TWILL_FELIX_VXLAN_MGR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cidr.h"

#define VXLAN_IFNAME_SIZE 16

struct vxlan_device_spec {
	char name[VXLAN_IFNAME_SIZE]; /* set by the manager (its device name) */
	uint32_t vni;
	uint16_t port;
	bool has_local;
	struct ip_addr local;       /* this node's IP: source of the UDP packets */
	unsigned mtu;               /* 0: leave the kernel's */
	bool has_mac;
	uint8_t mac[6];             /* the node's published VTEP MAC */
	bool has_tunnel_addr;
	struct ip_addr tunnel_addr; /* assigned as /32 */
};

/* What the kernel says about a link of that name. */
struct vxlan_link_state {
	int ifindex;
	char kind[16];
	uint32_t vni;
	uint16_t port;
	bool learning;
	bool has_local;
	struct ip_addr local;
	unsigned mtu;
	bool up;
	uint8_t mac[6];
};

enum vxlan_entry_kind { VXLAN_ENTRY_FDB = 0, VXLAN_ENTRY_NEIGH };

/* FDB: mac -> ip (the remote node). Neighbour: ip (the remote tunnel
 * address) -> mac. */
struct vxlan_entry {
	enum vxlan_entry_kind kind;
	uint8_t mac[6];
	struct ip_addr ip;
};

struct vxlan_peer {
	uint8_t mac[6];
	struct ip_addr tunnel_addr;
	struct ip_addr node_ip;
};

/* All functions return 0 or -errno. link_get: -ENODEV when absent.
 * dump_entries: the permanent IPv4 neighbours and all FDB entries of
 * ifindex (malloc'ed, caller frees). Batches fill errs[i] per entry. */
struct vxlan_dataplane {
	int (*link_get)(void *ctx, const char *name, struct vxlan_link_state *out);
	int (*link_create)(void *ctx, const struct vxlan_device_spec *spec);
	int (*link_delete)(void *ctx, int ifindex);
	/* mtu 0 / mac NULL: leave as is. */
	int (*link_set)(void *ctx, int ifindex, unsigned mtu, const uint8_t *mac, bool up);
	int (*addr_list)(void *ctx, int ifindex, struct cidr **out, size_t *n);
	int (*addr_add)(void *ctx, int ifindex, const struct cidr *addr);
	int (*addr_del)(void *ctx, int ifindex, const struct cidr *addr);
	int (*dump_entries)(void *ctx, int ifindex, struct vxlan_entry **out, size_t *n);
	int (*replace_entries)(void *ctx, int ifindex, const struct vxlan_entry *e, size_t n,
			       int *errs);
	int (*delete_entries)(void *ctx, int ifindex, const struct vxlan_entry *e, size_t n,
			      int *errs);
	void *ctx;
};

struct vxlan_apply_stats {
	bool created;        /* the device was (re)created */
	bool deleted_device;
	size_t replaced;     /* entries written */
	size_t deleted;      /* entries removed */
	size_t failed;
	size_t deferred;     /* deletions waiting for in-sync */
};

struct vxlan_mgr;

/* The manager owns the device called name (so it can delete it after a
 * restart even if it never wanted it in this run). 0, -EINVAL, -ENOMEM. */
int vxlan_mgr_new(const struct vxlan_dataplane *dp, const char *name, struct vxlan_mgr **out);
void vxlan_mgr_free(struct vxlan_mgr *m);
/* spec NULL: no device wanted (peers ignored). Copies everything. 0,
 * -EINVAL (VNI above 2^24-1, non-IPv4 peer), -ENOMEM. */
int vxlan_mgr_set_desired(struct vxlan_mgr *m, const struct vxlan_device_spec *spec,
			  const struct vxlan_peer *peers, size_t n_peers);
void vxlan_mgr_set_in_sync(struct vxlan_mgr *m, bool in_sync);
int vxlan_mgr_apply(struct vxlan_mgr *m, struct vxlan_apply_stats *stats);

/* ---- pure parts, exposed for tests ---- */

/* Whether an existing link can serve spec without being recreated. */
bool vxlan_link_compatible(const struct vxlan_link_state *link,
			   const struct vxlan_device_spec *spec);
/* Entries wanted for peers: one FDB and one neighbour per peer, sorted
 * (kind, then key: MAC for FDB, IP for neighbours). Malloc'ed. */
int vxlan_entries_for_peers(const struct vxlan_peer *peers, size_t n,
			    struct vxlan_entry **out, size_t *n_out);

#endif
