/* reconcile: one pass of the node controller and of the leak controller —
 * snapshot, pure plan (controllers/node_gc.h, ipam/check.h + ipam/gc.h),
 * writes (ipam/gc_exec.h).
 *
 * Contract:
 *  - Before every write the pass asks may_act (the leader elector): once
 *    leadership is lost no further write is started and the pass returns
 *    -ECANCELED. With le NULL (tests) it always acts.
 *  - Node pass: plan -> execute -> re-snapshot, until a plan has no action
 *    (at most CTRL_NODE_ROUNDS rounds). Before the first action for a node
 *    the Node is read again: if it exists (it came back under the same
 *    name) its actions are skipped. *pending is set when a gone node keeps
 *    addresses whose pods still exist (retry later).
 *  - Leak pass: ipam_check_run() + ipam_gc_plan(now, grace) on a snapshot
 *    with pods — the rules of `twillctl ipam gc --grace`, nothing more.
 *  - Each action carried out is logged as one line: event=gc_action
 *    controller=node|leak action=<kind> handle= ip= object= node= reason=.
 *  - Metrics are updated in c->m. Returns 0 or -errno (a failed action is
 *    counted and logged, and the pass goes on with the next one). */
#ifndef TWILL_CONTROLLERS_RECONCILE_H
#define TWILL_CONTROLLERS_RECONCILE_H

#include <stdbool.h>

#include "ctrl_metrics.h"
#include "engine.h"
#include "kube_client.h"
#include "leader_elect.h"

#define CTRL_NODE_ROUNDS 4

struct ctrl_ctx {
	struct kube_client *client;
	struct ipam_engine *engine;
	struct leader_elect *le; /* NULL: always act */
	struct ctrl_metrics *m;
	long grace_s;            /* leak grace period */
};

int ctrl_reconcile_nodes(struct ctrl_ctx *c, bool *pending);
int ctrl_reconcile_leaks(struct ctrl_ctx *c);

#endif
