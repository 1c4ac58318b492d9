/* felix_daemon: twill-felix's event loop — informers -> snapshot -> calc ->
 * desired -> managers, plus the health and metrics ports.
 *
 * Contract:
 *  - One thread runs everything (the informers' list/watch threads only
 *    queue events). Informer callbacks just mark the datastore dirty and arm
 *    the apply throttle; no syscalls towards the dataplane happen there.
 *  - The apply step runs when the throttle timer fires (throttle_ms after
 *    the first change of a burst), when a periodic resync is due
 *    (refresh_interval_s), or after a failed apply (retry in 1 s, doubling
 *    up to 30 s while failures continue). It does,
 *    in order: snapshot + calc (only if dirty), NetworkPolicy (table
 *    inet twill, one libnftables transaction; before anything that could
 *    make a pod reachable), VXLAN device and entries
 *    (routes through vxlan.twill need the device), routes, NAT outgoing
 *    (nftables table inet twill_nat, replaced atomically when it changes
 *    and on every resync), proxy_arp on the pods' veths.
 *  - Nothing is applied before every informer has completed its initial
 *    list; the managers' deletions are enabled at that point too (the
 *    datastore is in sync), so a restarted felix converges without ever
 *    removing a route it still wants.
 *  - NetworkPolicy: informers on all Pods (every pod's labels and IPs feed
 *    peer selectors; routes only react to this node's pods), Namespaces and
 *    NetworkPolicies feed policy_manager; the policy is applied only once
 *    all informers are in sync, so after a restart the previous felix's
 *    table stays in force until the new one has the complete view; a
 *    failed policy apply keeps the old table (fail closed) and is retried.
 *    With policy disabled (pinned 0 at start) the Namespace and
 *    NetworkPolicy informers are not started and the pod informer keeps
 *    to this node; a disabled policy removes table inet twill.
 *  - Readiness (/readiness 200) after the first apply in sync whose kernel
 *    dumps succeeded and, with policy on, whose policy apply succeeded;
 *    liveness (/liveness) is 200 while the loop runs.
 *  - SIGTERM/SIGINT end the loop and leave the dataplane as it is: pods keep
 *    their connectivity while felix restarts.
 *  - felix_daemon_run() returns 0 on a signal (or after one apply with
 *    once), -errno on a setup failure (logged once). */
#ifndef TWILL_FELIX_DAEMON_H
#define TWILL_FELIX_DAEMON_H

#include <stdbool.h>

struct felix_daemon_opts {
	const char *node_name;
	const char *kubeconfig;  /* NULL: $KUBECONFIG, then in-cluster */
	const char *listen_addr; /* health and metrics; NULL: 0.0.0.0 */
	int health_port;         /* -1: FelixConfiguration healthPort; 0: off */
	int metrics_port;        /* -1: prometheusMetricsPort; 0: off */
	int refresh_interval_s;  /* 0: FelixConfiguration routeRefreshInterval */
	int throttle_ms;         /* batching window after a change */
	bool bgp_disabled;       /* TWILL_NETWORKING_BACKEND=none */
	int policy_enabled;      /* -1: FelixConfiguration policyEnabled; 0/1: pinned */
	bool once;               /* exit after the first apply in sync */
};

void felix_daemon_opts_init(struct felix_daemon_opts *opts);
int felix_daemon_run(const struct felix_daemon_opts *opts);

/* "90s", "1m30s", "2m", "1h", "45" (seconds); 0 and *out set, or -EINVAL. */
int felix_parse_duration(const char *text, int *out_seconds);

#endif
