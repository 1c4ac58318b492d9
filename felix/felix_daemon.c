/* felix_daemon: the event loop (see felix_daemon.h for the contract).
 *
 * Timing lives in two deadlines on CLOCK_MONOTONIC, apply_at (throttle or
 * retry) and resync_at (periodic re-dump), and one timerfd armed for the
 * earlier of the two after every loop iteration. A burst of datastore events
 * therefore costs one calc and one apply: the first event arms apply_at,
 * later ones find it armed and leave it. The managers re-dump the kernel on
 * every apply, so a resync is simply an apply with nothing recomputed.
 *
 * The managers are created at the first in-sync apply, because the route
 * protocol that marks our routes comes from the FelixConfiguration. */
#include "felix_daemon.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "calc.h"
#include "felix_desired.h"
#include "felix_metrics.h"
#include "felix_snapshot.h"
#include "health_http.h"
#include "informer.h"
#include "kube_client.h"
#include "log.h"
#include "nat_mgr.h"
#include "netlink.h"
#include "route_mgr.h"
#include "route_netlink.h"
#include "rtnl.h"
#include "vxlan_mgr.h"
#include "vxlan_netlink.h"
#include "vtep_alloc.h"

#define RETRY_MS 1000
#define RETRY_MAX_MS 30000
#define DEFAULT_HEALTH 9099
#define DEFAULT_METRICS 9091
#define VTEP_RETRY_MS 5000
#define IPAM_ERROR_BUF 512

enum { INF_NODES, INF_POOLS, INF_BLOCKS, INF_PODS, INF_CONFIGS, INF_COUNT };

static const struct kube_resource resources[INF_COUNT] = {
	[INF_NODES] = {"", "v1", "nodes", false},
	[INF_POOLS] = {"twill.dev", "v1", "ippools", false},
	[INF_BLOCKS] = {"twill.dev", "v1", "ipamblocks", false},
	[INF_PODS] = {"", "v1", "pods", true},
	[INF_CONFIGS] = {"twill.dev", "v1", "felixconfigurations", false},
};

struct felix {
	const struct felix_daemon_opts *opts;
	struct kube_client *client;
	struct informer *inf[INF_COUNT];
	char pod_selector[300];
	struct rtnl *nl;
	struct nl_sock *nlsk;
	struct route_mgr *routes;
	struct vxlan_mgr *vxlan;
	struct nat_dataplane nat_dp;
	struct nat_mgr *nat;
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
	unsigned failures;      /* consecutive failed applies (retry backoff) */
	int route_protocol;
	char **endpoint_ifs; /* veths of the last desired set (proxy_arp) */
	size_t endpoint_if_count;
	struct felix_metrics m;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void schedule_apply(struct felix *f, int delay_ms)
{
	uint64_t at = now_ms() + (uint64_t)delay_ms;

	if (!f->apply_at || at < f->apply_at)
		f->apply_at = at;
}

static void arm_timer(struct felix *f)
{
	struct itimerspec its = {0};
	uint64_t at = f->apply_at;

	if (f->resync_at && (!at || f->resync_at < at))
		at = f->resync_at;
	if (at) {
		/* Absolute time; 0 would disarm, so never pass it. */
		its.it_value.tv_sec = (time_t)(at / 1000);
		its.it_value.tv_nsec = (long)(at % 1000) * 1000000 + 1;
	}
	timerfd_settime(f->timer_fd, TFD_TIMER_ABSTIME, &its, NULL);
}

/* ---- informer callbacks: record, never touch the dataplane ---- */

static void on_change(struct felix *f)
{
	f->dirty = true;
	schedule_apply(f, f->opts->throttle_ms);
}

static void on_add(json_object *obj, void *ctx)
{
	(void)obj;
	on_change(ctx);
}

static void on_update(json_object *old_obj, json_object *new_obj, void *ctx)
{
	(void)old_obj;
	(void)new_obj;
	on_change(ctx);
}

static void on_delete(json_object *obj, void *ctx)
{
	(void)obj;
	on_change(ctx);
}

static bool all_synced(struct felix *f)
{
	int i;

	for (i = 0; i < INF_COUNT; i++)
		if (!informer_synced(f->inf[i]))
			return false;
	return true;
}

/* ---- health and metrics ---- */

static int health_handler(const char *path, char *body, size_t size, const char **ctype,
			  void *ctx)
{
	struct felix *f = ctx;

	(void)ctype;
	if (strcmp(path, "/liveness") == 0) {
		snprintf(body, size, "ok\n");
		return 200;
	}
	if (strcmp(path, "/readiness") == 0) {
		snprintf(body, size, f->ready ? "ready\n" : "not ready\n");
		return f->ready ? 200 : 503;
	}
	snprintf(body, size, "not found\n");
	return 404;
}

static int metrics_handler(const char *path, char *body, size_t size, const char **ctype,
			   void *ctx)
{
	struct felix *f = ctx;
	struct informer_stats st;
	int i;

	if (strcmp(path, "/metrics") != 0) {
		snprintf(body, size, "not found\n");
		return 404;
	}
	f->m.datastore_errors = 0;
	for (i = 0; i < INF_COUNT; i++) {
		informer_stats(f->inf[i], &st);
		f->m.datastore_errors += st.errors;
	}
	f->m.ready = f->ready;
	*ctype = "text/plain; version=0.0.4; charset=utf-8";
	felix_metrics_render(&f->m, body, size);
	return 200;
}

/* Listen on want (<= 0: not at all), moving the listener when the wanted
 * port changed (a FelixConfiguration update). */
static void set_port(struct felix *f, struct health_http **slot, int want,
		     health_http_handler fn, const char *what)
{
	int rc;

	if (*slot && want > 0 && health_http_port(*slot) == want)
		return;
	if (*slot) {
		health_http_close(*slot);
		*slot = NULL;
		log_info("event=listener_closed what=%s", what);
	}
	if (want <= 0)
		return;
	rc = health_http_open(f->opts->listen_addr, want, fn, f, slot);
	if (rc < 0)
		log_error("event=listen_failed what=%s port=%d err=%d", what, want, rc);
	else
		log_info("event=listening what=%s port=%d", what, health_http_port(*slot));
}

/* ---- the apply step ---- */

static int make_managers(struct felix *f, int protocol)
{
	struct route_dataplane rdp;
	struct vxlan_dataplane vdp;
	int rc;

	if (f->routes)
		return 0;
	route_netlink_dataplane(f->nl, &rdp);
	vxlan_netlink_dataplane(f->nl, &vdp);
	rc = route_mgr_new(&rdp, (uint8_t)protocol, &f->routes);
	if (!rc)
		rc = vxlan_mgr_new(&vdp, CALC_VXLAN_DEVICE, &f->vxlan);
	if (!rc)
		rc = nat_nft_open(&f->nat_dp);
	if (!rc)
		rc = nat_mgr_new(&f->nat_dp, &f->nat);
	if (rc < 0)
		return rc;
	f->route_protocol = protocol;
	route_mgr_set_in_sync(f->routes, true);
	vxlan_mgr_set_in_sync(f->vxlan, true);
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
	    (have_mac && have_addr) || now_ms() < f->vtep_retry_at)
		return;
	rc = vtep_alloc_ensure(f->client, f->opts->node_name, have_mac, have_addr, err,
			       sizeof(err));
	if (rc < 0) {
		char quoted[600];

		log_warn("event=vtep_alloc_failed node=%s err=%d msg=%s", f->opts->node_name, rc,
			 log_quote(quoted, sizeof(quoted), err));
		f->vtep_retry_at = now_ms() + VTEP_RETRY_MS;
		schedule_apply(f, VTEP_RETRY_MS);
		f->dirty = true;
	}
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
	lists.pods = informer_list(f->inf[INF_PODS]);
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
	set_port(f, &f->health,
		 f->opts->health_port >= 0 ? f->opts->health_port
		 : snap.config.health_enabled ? snap.config.health_port : 0,
		 health_handler, "health");
	set_port(f, &f->metrics_http,
		 f->opts->metrics_port >= 0 ? f->opts->metrics_port
		 : snap.config.prometheus_metrics_enabled ? snap.config.prometheus_metrics_port : 0,
		 metrics_handler, "metrics");
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

static void apply(struct felix *f, bool resync)
{
	struct route_apply_stats rst;
	struct vxlan_apply_stats vst;
	uint64_t t0;
	int rc = 0, vrc, rrc, nrc;

	f->apply_at = 0;
	if (!all_synced(f))
		return; /* the initial lists' events will schedule us again */
	if (f->dirty || !f->routes) {
		/* Cleared first: recompute may mark it again (VTEP retry). */
		f->dirty = false;
		rc = recompute(f);
		if (rc < 0) {
			log_error("event=recalc_failed err=%d", rc);
			f->dirty = true;
			schedule_apply(f, RETRY_MS);
			if (!f->routes)
				return;
		}
	}
	t0 = now_ms();
	vrc = vxlan_mgr_apply(f->vxlan, &vst);
	rrc = route_mgr_apply(f->routes, &rst);
	nrc = nat_mgr_apply(f->nat, resync, NULL);
	ensure_proxy_arp(f);
	felix_metrics_observe_apply(&f->m, (double)(now_ms() - t0) / 1000.0);
	f->m.route_conflicts = rst.conflicts;
	if (resync)
		f->m.resyncs++;
	f->applied_once = true;
	if (vrc < 0 || rrc < 0 || nrc < 0) {
		/* Doubling retry: a veth that stays missing (pod being torn
		 * down) must not turn into a write and a warning every second. */
		unsigned shift = f->failures < 5 ? f->failures : 5;
		int delay = RETRY_MS << shift;

		f->m.apply_errors++;
		f->failures++;
		schedule_apply(f, delay < RETRY_MAX_MS ? delay : RETRY_MAX_MS);
	} else {
		f->failures = 0;
	}
	/* Ready once the kernel was read and written in sync with the
	 * datastore; single routes failing (a veth not there yet) are retried
	 * and do not hold readiness back. */
	if (!f->ready && rst.dump_ok) {
		f->ready = true;
		log_info("event=ready routes=%zu", rst.desired);
	}
	f->resync_at = now_ms() + (uint64_t)f->refresh_s * 1000;
}

/* ---- setup and loop ---- */

static int start_informers(struct felix *f)
{
	int i, rc;

	snprintf(f->pod_selector, sizeof(f->pod_selector), "spec.nodeName=%s",
		 f->opts->node_name);
	for (i = 0; i < INF_COUNT; i++) {
		struct informer_options io = {0};

		io.resource = resources[i];
		io.field_selector = i == INF_PODS ? f->pod_selector : NULL;
		io.handlers.on_add = on_add;
		io.handlers.on_update = on_update;
		io.handlers.on_delete = on_delete;
		io.handlers.ctx = f;
		rc = informer_new(f->client, &io, &f->inf[i]);
		if (!rc)
			rc = informer_start(f->inf[i]);
		if (rc < 0) {
			log_error("event=informer_failed resource=%s err=%d", resources[i].plural, rc);
			return rc;
		}
	}
	return 0;
}

static int setup(struct felix *f)
{
	struct kube_config kcfg = {0};
	char err[512] = "";
	sigset_t mask;
	int rc;

	rc = kube_config_load(f->opts->kubeconfig, &kcfg, err, sizeof(err));
	if (rc < 0) {
		log_error("event=kubeconfig_failed err=%d msg=\"%s\"", rc, err);
		return rc;
	}
	rc = kube_client_new(&kcfg, &f->client);
	kube_config_free(&kcfg);
	if (rc < 0)
		return rc;
	rc = rtnl_open(&f->nl);
	if (rc < 0) {
		log_error("event=netlink_failed err=%d", rc);
		return rc;
	}
	if (netlink_open(&f->nlsk) < 0)
		f->nlsk = NULL; /* MTU detection only; not fatal */
	f->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	f->signal_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (f->timer_fd < 0 || f->signal_fd < 0)
		return -errno;
	/* Until the FelixConfiguration is read: the flags, else the defaults,
	 * so liveness answers while the datastore is still loading. */
	set_port(f, &f->health, f->opts->health_port >= 0 ? f->opts->health_port : DEFAULT_HEALTH,
		 health_handler, "health");
	set_port(f, &f->metrics_http,
		 f->opts->metrics_port >= 0 ? f->opts->metrics_port : DEFAULT_METRICS,
		 metrics_handler, "metrics");
	return start_informers(f);
}

static void teardown(struct felix *f)
{
	size_t i;

	for (i = 0; i < INF_COUNT; i++)
		informer_free(f->inf[i]);
	route_mgr_free(f->routes);
	vxlan_mgr_free(f->vxlan);
	nat_mgr_free(f->nat);
	nat_nft_close(&f->nat_dp);
	health_http_close(f->health);
	health_http_close(f->metrics_http);
	rtnl_close(f->nl);
	if (f->nlsk)
		netlink_close(f->nlsk);
	if (f->timer_fd >= 0)
		close(f->timer_fd);
	if (f->signal_fd >= 0)
		close(f->signal_fd);
	kube_client_free(f->client);
	for (i = 0; i < f->endpoint_if_count; i++)
		free(f->endpoint_ifs[i]);
	free(f->endpoint_ifs);
}

int felix_daemon_run(const struct felix_daemon_opts *opts)
{
	struct felix f;
	bool was_synced = false;
	int rc, i;

	memset(&f, 0, sizeof(f));
	f.opts = opts;
	f.timer_fd = -1;
	f.signal_fd = -1;
	f.refresh_s = opts->refresh_interval_s > 0 ? opts->refresh_interval_s : 90;
	log_info("event=start node=%s bgp=%s", opts->node_name,
		 opts->bgp_disabled ? "disabled" : "bird");
	rc = setup(&f);
	if (rc < 0)
		goto out;
	for (;;) {
		struct pollfd pfd[INF_COUNT + 4];
		int n = 0, hi = -1, mi = -1;

		arm_timer(&f);
		for (i = 0; i < INF_COUNT; i++)
			pfd[n++] = (struct pollfd){informer_fd(f.inf[i]), POLLIN, 0};
		pfd[n++] = (struct pollfd){f.timer_fd, POLLIN, 0};
		pfd[n++] = (struct pollfd){f.signal_fd, POLLIN, 0};
		if (f.health) {
			hi = n;
			pfd[n++] = (struct pollfd){health_http_fd(f.health), POLLIN, 0};
		}
		if (f.metrics_http) {
			mi = n;
			pfd[n++] = (struct pollfd){health_http_fd(f.metrics_http), POLLIN, 0};
		}
		/* The synced flag flips on the informer thread without an event
		 * when a list is empty: poll with a short timeout until then. */
		if (poll(pfd, (nfds_t)n, was_synced ? -1 : 100) < 0 && errno != EINTR) {
			rc = -errno;
			break;
		}
		if (pfd[INF_COUNT + 1].revents & POLLIN) {
			log_info("event=stop msg=\"dataplane left in place\"");
			rc = 0;
			break;
		}
		for (i = 0; i < INF_COUNT; i++)
			if (pfd[i].revents & POLLIN)
				informer_dispatch(f.inf[i]);
		if (!was_synced && all_synced(&f)) {
			was_synced = true;
			log_info("event=datastore_in_sync");
			f.dirty = true;
			schedule_apply(&f, 0);
		}
		if (hi >= 0 && (pfd[hi].revents & POLLIN))
			health_http_serve(f.health);
		if (mi >= 0 && (pfd[mi].revents & POLLIN))
			health_http_serve(f.metrics_http);
		if (pfd[INF_COUNT].revents & POLLIN) {
			uint64_t ticks, now = now_ms();
			ssize_t got = read(f.timer_fd, &ticks, sizeof(ticks));

			(void)got;
			if (f.apply_at && f.apply_at <= now) {
				apply(&f, false);
			} else if (f.resync_at && f.resync_at <= now) {
				log_debug("event=resync");
				apply(&f, true);
			}
			if (opts->once && f.applied_once) {
				rc = 0;
				break;
			}
		}
	}
out:
	teardown(&f);
	return rc;
}

int felix_parse_duration(const char *text, int *out_seconds)
{
	long total = 0, value;
	const char *p = text;
	char *end;

	if (!text || !*text)
		return -EINVAL;
	while (*p) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		value = strtol(p, &end, 10);
		if (value > 1000000)
			return -EINVAL;
		switch (*end) {
		case 'h':
			value *= 3600;
			end++;
			break;
		case 'm':
			value *= 60;
			end++;
			break;
		case 's':
			end++;
			break;
		case '\0':
			if (p != text)
				return -EINVAL; /* "1m30": unit missing at the end */
			break;
		default:
			return -EINVAL;
		}
		total += value;
		if (total > 86400 * 365)
			return -EINVAL;
		p = end;
	}
	*out_seconds = (int)total;
	return 0;
}

void felix_daemon_opts_init(struct felix_daemon_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->health_port = -1;
	opts->metrics_port = -1;
	opts->throttle_ms = 100;
}
