/* route_mgr: felix's owner of kernel routes carrying twill's protocol.
 *
 * Contract:
 *  - Desired routes are keyed by (table, destination). route_mgr_set_desired()
 *    replaces the whole desired set (copied; duplicates by key: last wins)
 *    and does no I/O, so the event loop can call it from any handler.
 *  - route_mgr_apply() reaches the kernel only through the route_dataplane
 *    shim: dump the routes with our protocol, diff, then
 *      1. replace (NLM_F_REPLACE) every wanted route that is missing or
 *         different, in one batch;
 *      2. delete every dumped route of ours that is not wanted, in one batch
 *         — only once the caller declared the datastore in sync
 *         (route_mgr_set_in_sync): before that, a half-loaded desired set
 *         would make us delete routes carrying live traffic (a restart must
 *         not drop a packet).
 *    Replacing before deleting means a prefix moving between next hops is
 *    never absent. Routes with another protocol are never deleted or
 *    overwritten: a wanted prefix that only another protocol's route holds
 *    (same table and destination) is a conflict, counted and logged, and
 *    left alone until that route goes away.
 *  - apply() is idempotent; a second apply with nothing changed writes
 *    nothing. Per-route failures (e.g. -ENODEV: the veth is not there yet)
 *    do not stop the batch; they are counted, logged once per apply, and
 *    the route is retried on the next apply. The return value is 0 when
 *    the dump worked and every write succeeded, else the first error.
 *  - Devices are named, not indexed: the kernel's ifindex of a veth changes
 *    when the CNI plugin recreates it; the netlink shim translates. */
#ifndef TWILL_FELIX_ROUTE_MGR_H
#define TWILL_FELIX_ROUTE_MGR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cidr.h"

#define ROUTE_IFNAME_SIZE 16

enum route_type {
	ROUTE_TYPE_UNICAST = 0,
	ROUTE_TYPE_BLACKHOLE,
	ROUTE_TYPE_UNREACHABLE,
};

struct route_entry {
	uint32_t table;                 /* 0 or 254: main */
	struct cidr dst;                /* network form */
	enum route_type type;
	char ifname[ROUTE_IFNAME_SIZE]; /* "" when none */
	bool has_gw;
	struct ip_addr gw;
	bool onlink;
	uint8_t scope;                  /* RT_SCOPE_* */
	uint8_t protocol;               /* set by the manager on writes */
};

/* The kernel as route_mgr sees it. Every function returns 0 or -errno.
 * dump: the routes of both families in every table but "local", as a
 *   malloc'ed array the caller frees (NULL when empty). It must return all
 *   routes of `protocol` and should return the others too (they are needed
 *   to detect conflicts; the manager never writes them).
 * replace_batch / delete_batch: write n routes; errs[i] receives 0 or the
 *   -errno of route i. The return value is about the batch as a whole (a
 *   socket failure), not about single routes. */
struct route_dataplane {
	int (*dump)(void *ctx, uint8_t protocol, struct route_entry **out, size_t *n);
	int (*replace_batch)(void *ctx, const struct route_entry *routes, size_t n, int *errs);
	int (*delete_batch)(void *ctx, const struct route_entry *routes, size_t n, int *errs);
	void *ctx;
};

struct route_apply_stats {
	bool dump_ok;     /* the kernel was read (writes may still have failed) */
	size_t desired;
	size_t dumped;    /* ours in the kernel before the apply */
	size_t replaced;  /* written successfully */
	size_t deleted;
	size_t failed;    /* writes that returned an error */
	size_t deferred;  /* unwanted routes kept because not yet in sync */
	size_t conflicts; /* wanted prefixes held by another protocol's route */
};

struct route_mgr;

/* dp is copied. protocol: the rtnetlink protocol that marks our routes. */
int route_mgr_new(const struct route_dataplane *dp, uint8_t protocol, struct route_mgr **out);
void route_mgr_free(struct route_mgr *m);
/* 0, -EINVAL (bad dst family), -ENOMEM (desired set unchanged then). */
int route_mgr_set_desired(struct route_mgr *m, const struct route_entry *routes, size_t n);
void route_mgr_set_in_sync(struct route_mgr *m, bool in_sync);
int route_mgr_apply(struct route_mgr *m, struct route_apply_stats *stats);

/* ---- pure parts, exposed for tests ---- */

/* Key order: table (0 and 254 are the same table), family, address, length. */
int route_entry_key_compare(const struct route_entry *a, const struct route_entry *b);
/* wanted and actual have the same key and forwarding content (type,
 * device, gateway, onlink, scope, protocol). A wanted gateway route with no
 * device matches whatever device actual went out on (the kernel resolved it). */
bool route_entry_equal(const struct route_entry *wanted, const struct route_entry *actual);

/* Diff sorted, key-unique desired against actual (any order): indexes into
 * desired of routes to replace and into actual of routes to delete; actual
 * entries of another protocol are never deleted, and a desired key only they
 * hold is counted in n_conflict instead of replaced. Arrays are malloc'ed.
 * 0 or -ENOMEM. */
int route_diff(const struct route_entry *desired, size_t n_desired,
	       const struct route_entry *actual, size_t n_actual, uint8_t protocol,
	       size_t **replace, size_t *n_replace, size_t **remove, size_t *n_remove,
	       size_t *n_conflict);

#endif
