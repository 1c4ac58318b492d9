/* felix_state: the daemon's state, shared by felix_daemon.c (event loop,
 * informers, HTTP) and felix_apply.c (the apply step) and by nothing else.
 *
 * Contract: one thread owns a struct felix. The informer callbacks and
 * timers only change the bookkeeping fields (dirty, apply_at, resync_at);
 * everything that touches the dataplane happens in felix_apply(). */
#ifndef TWILL_FELIX_STATE_H
#define TWILL_FELIX_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "felix_daemon.h"
#include "felix_metrics.h"
#include "health_http.h"
#include "informer.h"
#include "ipip_mgr.h"
#include "kube_client.h"
#include "model/felixconfig.h"
#include "nat_mgr.h"
#include "policy_manager.h"
#include "route_mgr.h"
#include "rtnl.h"
#include "vxlan_mgr.h"

#define RETRY_MS 1000
#define RETRY_MAX_MS 30000
#define VTEP_RETRY_MS 5000

struct nl_sock;

/* INF_NAMESPACES and INF_POLICIES are NULL when policy is pinned off. */
enum {
	INF_NODES,
	INF_POOLS,
	INF_BLOCKS,
	INF_PODS,
	INF_CONFIGS,
	INF_NAMESPACES,
	INF_POLICIES,
	INF_COUNT
};

enum felix_policy_state { FELIX_POLICY_UNKNOWN, FELIX_POLICY_ON, FELIX_POLICY_OFF };

struct felix {
	const struct felix_daemon_opts *opts;
	struct kube_client *client;
	struct informer *inf[INF_COUNT];
	char pod_selector[300];
	struct rtnl *nl;
	struct nl_sock *nlsk;
	struct route_mgr *routes;
	struct vxlan_mgr *vxlan;
	struct ipip_mgr *ipip;
	struct nat_dataplane nat_dp;
	struct nat_mgr *nat;
	struct policy_manager *policy;
	bool policy_watch;           /* Namespace/NetworkPolicy informers, all pods */
	bool policy_config_enabled;  /* FelixConfiguration policyEnabled, last recompute */
	enum felix_policy_state policy_state;
	struct health_http *health;
	struct health_http *metrics_http;
	int timer_fd;
	int signal_fd;
	bool dirty;
	bool ready;
	bool applied_once;
	uint64_t apply_at;  /* ms, 0: none */
	uint64_t resync_at; /* ms, 0: none */
	int refresh_s;
	uint64_t vtep_retry_at; /* ms: next VTEP allocation attempt allowed */
	uint64_t ipip_retry_at; /* ms: next IPIP address allocation attempt allowed */
	unsigned failures;      /* consecutive failed applies (retry backoff) */
	int route_protocol;
	char **endpoint_ifs; /* veths of the last desired set (proxy_arp) */
	size_t endpoint_if_count;
	struct felix_metrics m;
};

uint64_t felix_now_ms(void);
/* Arm the apply deadline delay_ms from now unless an earlier one is set. */
void felix_schedule_apply(struct felix *f, int delay_ms);
/* Every informer completed its initial list. */
bool felix_all_synced(struct felix *f);
/* Move the health/metrics listeners to what cfg (and the flags) say. */
void felix_ports_follow_config(struct felix *f, const struct felixconfig *cfg);

/* The apply step (felix_apply.c): recompute when dirty, then write the
 * dataplane; schedules its own retry. */
void felix_apply(struct felix *f, bool resync);
/* Free what felix_apply created (managers, remembered veths). */
void felix_apply_release(struct felix *f);

#endif
