/* felix_daemon: the event loop (see felix_daemon.h for the contract).
 *
 * Timing lives in two deadlines on CLOCK_MONOTONIC, apply_at (throttle or
 * retry) and resync_at (periodic re-dump), and one timerfd armed for the
 * earlier of the two after every loop iteration. A burst of datastore events
 * therefore costs one calc and one apply: the first event arms apply_at,
 * later ones find it armed and leave it. The managers re-dump the kernel on
 * every apply, so a resync is simply an apply with nothing recomputed.
 * The apply step itself lives in felix_apply.c. */
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

#include "felix_state.h"
#include "log.h"
#include "netlink.h"
#include "object_trim.h"

#define DEFAULT_HEALTH 9099
#define DEFAULT_METRICS 9091

static const struct kube_resource resources[INF_COUNT] = {
	[INF_NODES] = {"", "v1", "nodes", false},
	[INF_POOLS] = {"twill.dev", "v1", "ippools", false},
	[INF_BLOCKS] = {"twill.dev", "v1", "ipamblocks", false},
	[INF_PODS] = {"", "v1", "pods", true},
	[INF_CONFIGS] = {"twill.dev", "v1", "felixconfigurations", false},
	[INF_NAMESPACES] = {"", "v1", "namespaces", false},
	[INF_POLICIES] = {"networking.k8s.io", "v1", "networkpolicies", true},
};

uint64_t felix_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void felix_schedule_apply(struct felix *f, int delay_ms)
{
	uint64_t at = felix_now_ms() + (uint64_t)delay_ms;

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
	felix_schedule_apply(f, f->opts->throttle_ms);
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

/* Pods feed the policy caches (every pod: peers) and the routes (this
 * node's pods only: a remote pod changing labels recomputes no route). */
static void pod_event(struct felix *f, json_object *old_obj, json_object *new_obj)
{
	if (f->policy_watch)
		policy_manager_on_pod(f->policy, new_obj ? new_obj : old_obj, !new_obj);
	if (felix_pod_event_is_local(old_obj, new_obj, f->opts->node_name))
		f->dirty = true;
	felix_schedule_apply(f, f->opts->throttle_ms);
}

static void on_pod_add(json_object *obj, void *ctx)
{
	pod_event(ctx, NULL, obj);
}

static void on_pod_update(json_object *old_obj, json_object *new_obj, void *ctx)
{
	pod_event(ctx, old_obj, new_obj);
}

static void on_pod_delete(json_object *obj, void *ctx)
{
	pod_event(ctx, obj, NULL);
}

/* Namespaces and NetworkPolicies matter to the policy step only: recorded
 * in the manager (which marks itself dirty), no route recompute. */
static void namespace_event(struct felix *f, json_object *obj, bool deleted)
{
	policy_manager_on_namespace(f->policy, obj, deleted);
	felix_schedule_apply(f, f->opts->throttle_ms);
}

static void on_ns_add(json_object *obj, void *ctx)
{
	namespace_event(ctx, obj, false);
}

static void on_ns_update(json_object *old_obj, json_object *new_obj, void *ctx)
{
	(void)old_obj;
	namespace_event(ctx, new_obj, false);
}

static void on_ns_delete(json_object *obj, void *ctx)
{
	namespace_event(ctx, obj, true);
}

static void netpol_event(struct felix *f, json_object *obj, bool deleted)
{
	policy_manager_on_policy(f->policy, obj, deleted);
	felix_schedule_apply(f, f->opts->throttle_ms);
}

static void on_np_add(json_object *obj, void *ctx)
{
	netpol_event(ctx, obj, false);
}

static void on_np_update(json_object *old_obj, json_object *new_obj, void *ctx)
{
	(void)old_obj;
	netpol_event(ctx, new_obj, false);
}

static void on_np_delete(json_object *obj, void *ctx)
{
	netpol_event(ctx, obj, true);
}

bool felix_all_synced(struct felix *f)
{
	int i;

	for (i = 0; i < INF_COUNT; i++)
		if (f->inf[i] && !informer_synced(f->inf[i]))
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
		if (!f->inf[i])
			continue;
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

void felix_ports_follow_config(struct felix *f, const struct felixconfig *cfg)
{
	set_port(f, &f->health,
		 f->opts->health_port >= 0 ? f->opts->health_port
		 : cfg->health_enabled ? cfg->health_port : 0,
		 health_handler, "health");
	set_port(f, &f->metrics_http,
		 f->opts->metrics_port >= 0 ? f->opts->metrics_port
		 : cfg->prometheus_metrics_enabled ? cfg->prometheus_metrics_port : 0,
		 metrics_handler, "metrics");
}

/* ---- setup and loop ---- */

static int start_informers(struct felix *f)
{
	int i, rc;

	/* With policy on, every pod of the cluster is needed (peer selectors),
	 * trimmed to what felix reads; with policy off, only this node's. */
	snprintf(f->pod_selector, sizeof(f->pod_selector), "spec.nodeName=%s",
		 f->opts->node_name);
	for (i = 0; i < INF_COUNT; i++) {
		struct informer_options io = {0};

		if ((i == INF_NAMESPACES || i == INF_POLICIES) && !f->policy_watch)
			continue;
		io.resource = resources[i];
		io.handlers.on_add = on_add;
		io.handlers.on_update = on_update;
		io.handlers.on_delete = on_delete;
		io.handlers.ctx = f;
		switch (i) {
		case INF_PODS:
			io.field_selector = f->policy_watch ? NULL : f->pod_selector;
			io.transform = felix_trim_pod;
			io.compact_cache = true; /* ~0.5 KB instead of ~8 KB a pod */
			io.handlers.on_add = on_pod_add;
			io.handlers.on_update = on_pod_update;
			io.handlers.on_delete = on_pod_delete;
			break;
		case INF_NAMESPACES:
			io.transform = felix_trim_object;
			io.handlers.on_add = on_ns_add;
			io.handlers.on_update = on_ns_update;
			io.handlers.on_delete = on_ns_delete;
			break;
		case INF_POLICIES:
			io.transform = felix_trim_object;
			io.handlers.on_add = on_np_add;
			io.handlers.on_update = on_np_update;
			io.handlers.on_delete = on_np_delete;
			break;
		default:
			break;
		}
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
	/* The manager opens libnftables lazily, at its first write. */
	rc = policy_manager_new(f->opts->node_name, NULL, &f->policy);
	if (rc < 0)
		return rc;
	f->policy_watch = f->opts->policy_enabled != 0;
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
	felix_apply_release(f);
	policy_manager_free(f->policy); /* the table stays: fail closed */
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
	/* The default until a FelixConfiguration is read: never remove the
	 * table because configuration is missing. */
	f.policy_config_enabled = true;
	log_info("event=start node=%s bgp=%s policy=%s", opts->node_name,
		 opts->bgp_disabled ? "disabled" : "bird",
		 opts->policy_enabled < 0 ? "config" : opts->policy_enabled ? "on" : "off");
	rc = setup(&f);
	if (rc < 0)
		goto out;
	for (;;) {
		struct pollfd pfd[INF_COUNT + 4];
		int n = 0, hi = -1, mi = -1;

		arm_timer(&f);
		for (i = 0; i < INF_COUNT; i++)
			pfd[n++] = (struct pollfd){f.inf[i] ? informer_fd(f.inf[i]) : -1, POLLIN, 0};
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
			if (f.inf[i] && (pfd[i].revents & POLLIN))
				informer_dispatch(f.inf[i]);
		if (!was_synced && felix_all_synced(&f)) {
			was_synced = true;
			log_info("event=datastore_in_sync");
			f.dirty = true;
			felix_schedule_apply(&f, 0);
		}
		if (hi >= 0 && (pfd[hi].revents & POLLIN))
			health_http_serve(f.health);
		if (mi >= 0 && (pfd[mi].revents & POLLIN))
			health_http_serve(f.metrics_http);
		if (pfd[INF_COUNT].revents & POLLIN) {
			uint64_t ticks, now = felix_now_ms();
			ssize_t got = read(f.timer_fd, &ticks, sizeof(ticks));

			(void)got;
			if (f.apply_at && f.apply_at <= now) {
				felix_apply(&f, false);
			} else if (f.resync_at && f.resync_at <= now) {
				log_debug("event=resync");
				felix_apply(&f, true);
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
	opts->policy_enabled = -1;
}
