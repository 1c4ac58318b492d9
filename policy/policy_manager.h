/* policy_manager: felix's policy dataplane manager — the cache of Pods,
 * Namespaces and NetworkPolicies fed by informer events, and the apply step
 * that compiles this node's ruleset and hands it to the applier.
 *
 * Contract (DESIGN.md §9 sync discipline):
 *  - Event handlers (policy_manager_on_*) only parse, record and mark dirty;
 *    they never touch the kernel. A delete needs only metadata.
 *  - Nothing is applied before all three kinds are synced (their informers'
 *    initial lists are in): a partial view would either open traffic (a
 *    policy not yet seen) or cut it (a peer pod not yet seen). Until then
 *    policy_manager_apply() returns -EAGAIN and the kernel keeps whatever it
 *    had (after a restart: the previous felix's complete table).
 *  - policy_manager_apply() compiles only when something changed since the
 *    last successful apply; the applier then writes only the difference (one
 *    transaction). On failure the manager stays dirty and retries on the
 *    next call; ready stays false until the first success (readiness).
 *  - This node's endpoints are its pods (spec.nodeName == node name, not
 *    hostNetwork) with the host-side veth cni_host_veth_name(ns, pod).
 *  - An object that fails to parse is rejected with -EINVAL and the cached
 *    version (if any) is kept: a bad update never removes a policy.
 * The apply hook is replaceable (tests run on a fake dataplane); NULL ops
 * means libnftables in the current network namespace. */
#ifndef TWILL_POLICY_MANAGER_H
#define TWILL_POLICY_MANAGER_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "policy_ruleset.h"

enum policy_manager_kind {
	POLICY_KIND_POD = 1u << 0,
	POLICY_KIND_NAMESPACE = 1u << 1,
	POLICY_KIND_NETWORKPOLICY = 1u << 2,
};
#define POLICY_KIND_ALL (POLICY_KIND_POD | POLICY_KIND_NAMESPACE | POLICY_KIND_NETWORKPOLICY)

struct policy_manager_ops {
	/* Make the dataplane equal *desired; may take ownership (leave it empty). */
	int (*apply)(void *ctx, struct policy_ruleset *desired);
	/* Optional: forget what the dataplane holds; the next apply rewrites all. */
	void (*resync)(void *ctx);
	void *ctx;
	/* Optional: remove the whole table (policy_manager_disable). */
	int (*remove)(void *ctx);
};

struct policy_manager_stats {
	unsigned long applies;       /* successful applies */
	unsigned long apply_errors;
	unsigned long compiles;
	size_t endpoints;            /* local endpoints in the last compile */
	size_t policies;
	/* Shape of the last successfully applied ruleset (gauges). */
	size_t chains;
	size_t rules;                /* rules over all chains */
	size_t sets;                 /* sets and verdict maps */
	size_t elements;             /* elements over all sets and maps */
};

struct policy_manager;

int policy_manager_new(const char *node_name, const struct policy_manager_ops *ops,
		       struct policy_manager **out);
void policy_manager_free(struct policy_manager *m);

/* deleted=false: add or update; true: remove (by namespace/name). */
int policy_manager_on_pod(struct policy_manager *m, json_object *obj, bool deleted);
int policy_manager_on_namespace(struct policy_manager *m, json_object *obj, bool deleted);
int policy_manager_on_policy(struct policy_manager *m, json_object *obj, bool deleted);
/* Mark kinds (POLICY_KIND_* bits) whose initial list is complete. */
void policy_manager_set_synced(struct policy_manager *m, unsigned kinds);

/* Drift repair (call periodically): the next apply replaces the whole table
 * in one transaction even if nothing changed, undoing foreign edits. */
void policy_manager_resync(struct policy_manager *m);
bool policy_manager_dirty(const struct policy_manager *m);
bool policy_manager_ready(const struct policy_manager *m);
/* 0 (applied, or nothing to do), -EAGAIN (not synced yet), or the error of
 * compile/apply. */
int policy_manager_apply(struct policy_manager *m);
void policy_manager_stats(const struct policy_manager *m, struct policy_manager_stats *out);

/* Enforcement switched off by configuration: remove table inet twill in one
 * transaction (absent is fine) and forget what was applied, so a later
 * policy_manager_apply() writes the whole table again. Caches keep being
 * fed meanwhile. 0 or the remove hook's error (the manager is then left
 * dirty so the caller may retry). */
int policy_manager_disable(struct policy_manager *m);

#endif
