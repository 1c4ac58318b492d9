/* ctrl_daemon: twill-controllers' event loop — leader election, the Node
 * informer, the two controllers' schedules, /healthz and /metrics.
 *
 * Contract:
 *  - Every instance runs the elector (lib/leader_elect) on its own API
 *    client; only the leader reconciles. On becoming leader it runs a node
 *    pass and a leak pass at once (level-triggered: nodes deleted while no
 *    leader was up are found too), then a leak pass every leak_interval_s
 *    and a node pass after every Node delete event (debounced by
 *    node_debounce_ms) and every node_retry_s while a deleted node's pods
 *    still exist. Losing leadership cancels whatever was scheduled.
 *  - One port (metrics_port, 0 = any free port, < 0 = none) answers
 *    /metrics (ctrl_metrics) and /healthz (200 "ok leader|standby").
 *  - SIGTERM/SIGINT: stop, releasing the lease if held; returns 0. Setup
 *    failures return -errno. */
#ifndef TWILL_CONTROLLERS_DAEMON_H
#define TWILL_CONTROLLERS_DAEMON_H

#include "lease.h"

struct ctrl_daemon_opts {
	const char *kubeconfig;      /* NULL: $KUBECONFIG, else in-cluster */
	const char *lease_namespace; /* NULL: the kubeconfig's namespace */
	const char *lease_name;
	const char *identity;
	struct lease_timing timing;
	long leak_interval_s;
	long leak_grace_s;
	long node_retry_s;
	int node_debounce_ms;
	const char *listen_addr;     /* NULL: 0.0.0.0 */
	int metrics_port;
};

void ctrl_daemon_opts_init(struct ctrl_daemon_opts *o);
int ctrl_daemon_run(const struct ctrl_daemon_opts *o);

#endif
