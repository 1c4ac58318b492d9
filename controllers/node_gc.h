/* node_gc: what the node controller does about the IPAM state of deleted
 * nodes — a pure plan over one snapshot (ipam/snapshot.h, loaded with pods).
 *
 * A node is *gone* when IPAM state names it (a block's affinity host:N, a
 * BlockAffinity's node, an allocation's node attribute) and the snapshot
 * has no Node object of that name. For each gone node N the plan holds,
 * as ipam/gc.h actions tagged with node = N:
 *   1. every allocation recorded for N (node attribute N; or no node
 *      attribute in a block affine to N) is released by handle (or by
 *      address with the handle as precondition when the IPAMHandle is gone)
 *      — UNLESS its pod still exists and is bound to N or runs the handle's
 *      container: a Node object can be deleted while its kubelet and pods
 *      still run (and re-register under the same name), and Kubernetes'
 *      pod garbage collector deletes pods of a gone node on its own; those
 *      allocations are kept and N stays pending. Allocations without a pod
 *      (the node's own VXLAN/IPIP tunnel address) go with the node.
 *   2. a block affine to N that holds nothing is deleted (conditioned on its
 *      resourceVersion); one whose last addresses this plan releases is left
 *      to the engine, which deletes blocks it empties; one still holding
 *      only other nodes' addresses (borrowed) loses its affinity
 *      (UNAFFINE_BLOCK), so it is no longer routed to a ghost and the
 *      allocator may lend from or claim it; one holding kept addresses of N
 *      stays as it is.
 *   3. every BlockAffinity of N is deleted (conditioned on its
 *      resourceVersion) unless its block stays affine to N.
 * Running plan -> execute -> re-snapshot until a plan is empty converges:
 * each pass only acts on what the previous one left. BGP state needs no
 * action: twill keeps a node's BGP data on its Node object (annotations),
 * which went with it, and BGPPeers are the operator's configuration. */
#ifndef TWILL_CONTROLLERS_NODE_GC_H
#define TWILL_CONTROLLERS_NODE_GC_H

#include <stddef.h>

#include "check.h"
#include "gc.h"

struct ctrl_node_gc_plan {
	struct ipam_gc_plan gc;  /* actions in execution order, grouped by node */
	char **gone;             /* gone nodes, sorted */
	size_t gone_count;
	char **pending;          /* gone nodes this plan cannot finish (pods exist) */
	size_t pending_count;
	size_t kept;             /* allocations kept because their pod exists */
};

/* 0, -EINVAL (the snapshot lacks nodes or pods: nothing can be decided
 * safely) or -ENOMEM. */
int ctrl_node_gc_plan(const struct ipam_snapshot *snap, struct ctrl_node_gc_plan *out);
void ctrl_node_gc_plan_free(struct ctrl_node_gc_plan *plan);

#endif
