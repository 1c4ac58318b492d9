/* felix_apply: the apply step of twill-felix (see felix_state.h).
 *
 * Order inside one step: snapshot + calc + desired (only when the datastore
 * changed), then NetworkPolicy (first: a pod felix has just learned about
 * gets its chains before felix programs anything that reaches it; a
 * failure keeps the previous table, fail closed, and does not stop the
 * routing steps, because cutting routes would not make the old policy any
 * less in force), then VXLAN device and entries and the IPIP device tunl0
 * (routes through vxlan.twill / tunl0 need their device), routes, NAT outgoing, proxy_arp on the pods' veths. The
 * managers are created at the first in-sync step, because the route
 * protocol that marks our routes comes from the FelixConfiguration; they
 * are declared in sync at once (the step never runs before the informers
 * completed their initial lists). */
#include "felix_state.h"

#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calc.h"
#include "felix_desired.h"
#include "felix_snapshot.h"
#include "log.h"
#include "netlink.h"
#include "object_trim.h"
#include "route_netlink.h"
#include "ipip_alloc.h"
#include "ipip_netlink.h"
#include "vtep_alloc.h"
#include "vxlan_netlink.h"

#define IPAM_ERROR_BUF 512

static int make_managers(struct felix *f, int protocol)
{
	struct route_dataplane rdp;
	struct vxlan_dataplane vdp;
	struct ipip_dataplane idp;
	int rc;

	if (f->routes)
		return 0;
	route_netlink_dataplane(f->nl, &rdp);
	vxlan_netlink_dataplane(f->nl, &vdp);
	ipip_netlink_dataplane(f->nl, &idp);
	rc = route_mgr_new(&rdp, (uint8_t)protocol, &f->routes);
	if (!rc)
		rc = vxlan_mgr_new(&vdp, CALC_VXLAN_DEVICE, &f->vxlan);
	if (!rc)
		rc = ipip_mgr_new(&idp, CALC_IPIP_DEVICE, &f->ipip);
	if (!rc)
		rc = nat_nft_open(&f->nat_dp);
	if (!rc)
		rc = nat_mgr_new(&f->nat_dp, &f->nat);
	if (rc < 0)
		return rc;
	f->route_protocol = protocol;
	route_mgr_set_in_sync(f->routes, true);
	vxlan_mgr_set_in_sync(f->vxlan, true);
	ipip_mgr_set_in_sync(f->ipip, true);
	nat_mgr_set_in_sync(f->nat, true);
	return 0;
}

static void remember_endpoints(struct felix *f, const struct felix_desired *d)
{
	size_t i;

	for (i = 0; i < f->endpoint_if_count; i++)
		free(f->endpoint_ifs[i]);
	free(f->endpoint_ifs);
	f->endpoint_ifs = calloc(d->endpoint_count + 1, sizeof(*f->endpoint_ifs));
	f->endpoint_if_count = 0;
	if (!f->endpoint_ifs)
		return;
	for (i = 0; i < d->route_count; i++)
		if (d->routes[i].scope == 253 && d->routes[i].ifname[0] &&
		    f->endpoint_if_count < d->endpoint_count)
			f->endpoint_ifs[f->endpoint_if_count++] = strdup(d->routes[i].ifname);
}

/* This node publishes no VTEP but a pool wants VXLAN: allocate one. The
 * Node update it causes brings us back here with the VTEP in place. */
static void ensure_vtep(struct felix *f, const struct felix_snapshot *snap)
{
	bool have_mac, have_addr, vxlan = false;
	char err[IPAM_ERROR_BUF];
	size_t i;
	int rc;

	for (i = 0; i < snap->in.pool_count; i++)
		if (snap->in.pools[i].vxlan_mode != IPPOOL_MODE_NEVER &&
		    snap->in.pools[i].net.addr.family == AF_INET)
			vxlan = true;
	if (!vxlan || !felix_snapshot_self_vtep(snap, &have_mac, &have_addr) ||
	    (have_mac && have_addr) || felix_now_ms() < f->vtep_retry_at)
		return;
	rc = vtep_alloc_ensure(f->client, f->opts->node_name, have_mac, have_addr, err,
			       sizeof(err));
	if (rc < 0) {
		char quoted[600];

		log_warn("event=vtep_alloc_failed node=%s err=%d msg=%s", f->opts->node_name, rc,
			 log_quote(quoted, sizeof(quoted), err));
		f->vtep_retry_at = felix_now_ms() + VTEP_RETRY_MS;
		felix_schedule_apply(f, VTEP_RETRY_MS);
		f->dirty = true;
	}
}

/* tunl0 is wanted when some IPv4 pool uses IPIP; it carries this node's
 * twill.dev/ipipTunnelAddr, allocated here (like the VTEP) when missing.
 * Until the address is published the device is configured without one:
 * routes through it work, traffic the node itself originates takes the
 * uplink address. The Node update the allocation causes recomputes. */
static int ipip_desired(struct felix *f, const struct felix_snapshot *snap,
			json_object *nodes, unsigned uplink)
{
	struct ipip_device_spec spec = {0};
	char err[IPAM_ERROR_BUF];
	bool want = false;
	size_t i;
	int rc;

	for (i = 0; i < snap->in.pool_count; i++)
		if (snap->in.pools[i].ipip_mode != IPPOOL_MODE_NEVER &&
		    snap->in.pools[i].net.addr.family == AF_INET && !snap->in.pools[i].disabled)
			want = true;
	if (!want)
		return ipip_mgr_set_desired(f->ipip, NULL);
	spec.mtu = snap->config.ipip_mtu > 0 ? (unsigned)snap->config.ipip_mtu
					     : calc_pod_mtu(uplink, CALC_ENCAP_IPIP);
	rc = ipip_self_tunnel_addr(nodes, f->opts->node_name, &spec.tunnel_addr);
	spec.has_tunnel_addr = rc == 1;
	if (rc == 0 && felix_now_ms() >= f->ipip_retry_at) {
		rc = ipip_alloc_ensure(f->client, f->opts->node_name, err, sizeof(err));
		if (rc < 0) {
			char quoted[600];

			log_warn("event=ipip_alloc_failed node=%s err=%d msg=%s",
				 f->opts->node_name, rc, log_quote(quoted, sizeof(quoted), err));
			f->ipip_retry_at = felix_now_ms() + VTEP_RETRY_MS;
			felix_schedule_apply(f, VTEP_RETRY_MS);
			f->dirty = true;
		}
	}
	return ipip_mgr_set_desired(f->ipip, &spec);
}

static bool pod_is_local(json_object *pod, void *node)
{
	return felix_pod_event_is_local(NULL, pod, node);
}

static int recompute(struct felix *f)
{
	struct felix_lists lists = {0};
	struct felix_snapshot snap;
	struct felix_desired_opts dopts = {0};
	struct felix_desired d = {0};
	struct calc_output out = {0};
	unsigned uplink = 0;
	int rc;

	lists.nodes = informer_list(f->inf[INF_NODES]);
	lists.pools = informer_list(f->inf[INF_POOLS]);
	lists.blocks = informer_list(f->inf[INF_BLOCKS]);
	/* The informer holds every pod (policy peers); calc wants this node's. */
	lists.pods = informer_list_matching(f->inf[INF_PODS], pod_is_local,
					    (void *)f->opts->node_name);
	lists.configs = informer_list(f->inf[INF_CONFIGS]);
	rc = felix_snapshot_build(&snap, f->opts->node_name, &lists);
	if (rc < 0)
		goto out_lists;
	if (f->opts->bgp_disabled)
		snap.in.program_cluster_routes = true;
	ensure_vtep(f, &snap);
	if (!f->opts->refresh_interval_s &&
	    felix_parse_duration(snap.config.route_refresh_interval, &f->refresh_s) < 0)
		f->refresh_s = 90;
	felix_ports_follow_config(f, &snap.config);
	f->policy_config_enabled = snap.config.policy_enabled;
	rc = make_managers(f, snap.config.route_protocol);
	if (rc < 0)
		goto out_snap;
	if (snap.config.route_protocol != f->route_protocol)
		log_warn("event=route_protocol_change_ignored running=%d configured=%d "
			 "msg=\"restart felix to change the route protocol\"",
			 f->route_protocol, snap.config.route_protocol);
	rc = calc_compute(&snap.in, &out);
	if (rc < 0)
		goto out_snap;
	if (f->nlsk && netlink_default_route_mtu(f->nlsk, AF_INET, &uplink) < 0)
		uplink = 0;
	dopts.route_protocol = (uint8_t)f->route_protocol;
	dopts.vxlan_vni = (uint32_t)snap.config.vxlan_vni;
	dopts.vxlan_port = (uint16_t)snap.config.vxlan_port;
	dopts.vxlan_mtu = snap.config.vxlan_mtu > 0 ? (unsigned)snap.config.vxlan_mtu : 0;
	dopts.uplink_mtu = uplink;
	rc = felix_desired_build(&snap.in, &out, &dopts, &d);
	if (rc < 0)
		goto out_calc;
	rc = route_mgr_set_desired(f->routes, d.routes, d.route_count);
	if (!rc)
		rc = vxlan_mgr_set_desired(f->vxlan, d.want_vxlan ? &d.vxlan : NULL, d.peers,
					   d.peer_count);
	if (!rc)
		rc = ipip_desired(f, &snap, lists.nodes, uplink);
	if (!rc)
		rc = nat_mgr_set_desired(f->nat, out.nat_pools, out.nat_pool_count, out.all_pools,
					 out.all_pool_count);
	if (!rc) {
		f->m.routes = d.route_count;
		f->m.endpoints = d.endpoint_count;
		f->m.vxlan_peers = d.want_vxlan ? d.peer_count : 0;
		remember_endpoints(f, &d);
		log_info("event=recalc routes=%zu endpoints=%zu vxlan=%d peers=%zu skipped=%zu",
			 d.route_count, d.endpoint_count, d.want_vxlan, d.peer_count, snap.skipped);
	}
	felix_desired_free(&d);
out_calc:
	calc_output_free(&out);
out_snap:
	felix_snapshot_free(&snap);
out_lists:
	json_object_put(lists.nodes);
	json_object_put(lists.pools);
	json_object_put(lists.blocks);
	json_object_put(lists.pods);
	json_object_put(lists.configs);
	return rc;
}

/* NetworkPolicy: the manager compiles when its caches changed and writes
 * only the difference (one transaction); a resync rewrites the whole table
 * (drift repair). Returns 0 or the manager's error. */
static int policy_step(struct felix *f, bool resync)
{
	struct policy_manager_stats st;
	bool want = f->opts->policy_enabled >= 0 ? f->opts->policy_enabled != 0
						 : f->policy_config_enabled;
	int rc;

	/* Only reached in sync: every informer (these three included) listed. */
	policy_manager_set_synced(f->policy, POLICY_KIND_ALL);
	if (want && !f->policy_watch) {
		/* Pinned off at start: the informers policy needs do not run. */
		want = false;
	}
	if (!want) {
		rc = f->policy_state == FELIX_POLICY_OFF ? 0 : policy_manager_disable(f->policy);
		if (rc == 0)
			f->policy_state = FELIX_POLICY_OFF;
	} else {
		if (resync)
			policy_manager_resync(f->policy);
		rc = policy_manager_apply(f->policy);
		if (rc == 0)
			f->policy_state = FELIX_POLICY_ON;
		else
			f->m.policy_apply_errors++;
	}
	policy_manager_stats(f->policy, &st);
	f->m.policy_enabled = f->policy_state == FELIX_POLICY_ON;
	f->m.policy_rules = st.rules;
	f->m.policy_chains = st.chains;
	f->m.policy_sets = st.sets;
	f->m.policy_set_elements = st.elements;
	f->m.policy_endpoints = st.endpoints;
	f->m.policies = st.policies;
	f->m.policy_applies = st.applies;
	return rc;
}

/* proxy_arp on every local veth: the pod's default gateway 169.254.1.1 is
 * answered by the host side. The CNI plugin sets it; felix owns it after. */
static void ensure_proxy_arp(struct felix *f)
{
	size_t i;

	for (i = 0; i < f->endpoint_if_count; i++) {
		char path[96], value[8];

		if (!f->endpoint_ifs[i])
			continue;
		snprintf(path, sizeof(path), "ipv4/conf/%s/proxy_arp", f->endpoint_ifs[i]);
		if (netlink_sysctl_read(path, value, sizeof(value)) < 0)
			continue; /* veth not there (yet) */
		if (strcmp(value, "1") != 0 && netlink_sysctl_write(path, "1") < 0)
			log_warn("event=proxy_arp_failed dev=%s", f->endpoint_ifs[i]);
	}
}

void felix_apply(struct felix *f, bool resync)
{
	struct route_apply_stats rst;
	struct vxlan_apply_stats vst;
	uint64_t t0;
	int rc = 0, prc, vrc, irc, rrc, nrc;
	bool recomputed = false;

	f->apply_at = 0;
	if (!felix_all_synced(f))
		return; /* the initial lists' events will schedule us again */
	if (f->dirty || !f->routes) {
		/* Cleared first: recompute may mark it again (VTEP retry). */
		f->dirty = false;
		recomputed = true;
		rc = recompute(f);
		if (rc < 0) {
			log_error("event=recalc_failed err=%d", rc);
			f->dirty = true;
			felix_schedule_apply(f, RETRY_MS);
			if (!f->routes)
				return;
		}
	}
	if (recomputed || !f->applied_once) {
		/* A recompute and the informers' lists free many small json-c
		 * objects; hand whole free pages back (memory goal, docs/felix.md).
		 * Outside the timed apply. */
		malloc_trim(0);
	}
	t0 = felix_now_ms();
	prc = policy_step(f, resync);
	vrc = vxlan_mgr_apply(f->vxlan, &vst);
	irc = ipip_mgr_apply(f->ipip, NULL);
	if (irc < 0)
		log_warn("event=ipip_apply_failed dev=%s err=%d", CALC_IPIP_DEVICE, irc);
	rrc = route_mgr_apply(f->routes, &rst);
	nrc = nat_mgr_apply(f->nat, resync, NULL);
	ensure_proxy_arp(f);
	felix_metrics_observe_apply(&f->m, (double)(felix_now_ms() - t0) / 1000.0);
	f->m.route_conflicts = rst.conflicts;
	if (resync)
		f->m.resyncs++;
	f->applied_once = true;
	if (prc < 0 || vrc < 0 || irc < 0 || rrc < 0 || nrc < 0) {
		/* Doubling retry: a veth that stays missing (pod being torn
		 * down) must not turn into a write and a warning every second. */
		unsigned shift = f->failures < 5 ? f->failures : 5;
		int delay = RETRY_MS << shift;

		f->m.apply_errors++;
		f->failures++;
		felix_schedule_apply(f, delay < RETRY_MAX_MS ? delay : RETRY_MAX_MS);
	} else {
		f->failures = 0;
	}
	/* Ready once the kernel was read and written in sync with the
	 * datastore; single routes failing (a veth not there yet) are retried
	 * and do not hold readiness back. */
	if (!f->ready && rst.dump_ok && prc == 0) {
		f->ready = true;
		log_info("event=ready routes=%zu policy=%s", rst.desired,
			 f->policy_state == FELIX_POLICY_ON ? "on" : "off");
	}
	f->resync_at = felix_now_ms() + (uint64_t)f->refresh_s * 1000;
}

void felix_apply_release(struct felix *f)
{
	size_t i;

	route_mgr_free(f->routes);
	vxlan_mgr_free(f->vxlan);
	ipip_mgr_free(f->ipip);
	nat_mgr_free(f->nat);
	nat_nft_close(&f->nat_dp);
	for (i = 0; i < f->endpoint_if_count; i++)
		free(f->endpoint_ifs[i]);
	free(f->endpoint_ifs);
	f->routes = NULL;
	f->vxlan = NULL;
	f->ipip = NULL;
	f->nat = NULL;
	f->endpoint_ifs = NULL;
	f->endpoint_if_count = 0;
}
