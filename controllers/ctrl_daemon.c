/* ctrl_daemon: the event loop (see ctrl_daemon.h).
 *
 * Two deadlines on CLOCK_MONOTONIC (node_at, leak_at; 0 = none) and one
 * timerfd armed for the earlier after every iteration, as in felix. The
 * passes run on this thread, so they are serialised with each other and
 * with the informer's callbacks; the elector runs on its own thread and
 * client so a long pass never delays a renewal, and every write of a pass
 * re-checks leadership. Informer callbacks only set deadlines. */
#include "ctrl_daemon.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "ctrl_metrics.h"
#include "engine.h"
#include "health_http.h"
#include "informer.h"
#include "kube_client.h"
#include "kubeconfig.h"
#include "leader_elect.h"
#include "log.h"
#include "reconcile.h"

struct ctrl {
	const struct ctrl_daemon_opts *o;
	struct kube_client *client;
	struct kube_client *lease_client;
	struct ipam_engine *engine;
	struct informer *nodes;
	struct leader_elect *le;
	struct health_http *http;
	struct ctrl_metrics m;
	struct ctrl_ctx ctx;
	int timer_fd;
	int signal_fd;
	bool leader;
	uint64_t node_at;
	uint64_t leak_at;
};

void ctrl_daemon_opts_init(struct ctrl_daemon_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->lease_name = "twill-controllers";
	lease_timing_default(&o->timing);
	o->leak_interval_s = 300;
	o->leak_grace_s = 900;
	o->node_retry_s = 30;
	o->node_debounce_ms = 200;
	o->metrics_port = 9094;
}

static void schedule(uint64_t *slot, uint64_t delay_ms)
{
	uint64_t at = leader_elect_now_ms() + delay_ms;

	if (!*slot || at < *slot)
		*slot = at;
}

static void arm_timer(struct ctrl *c)
{
	struct itimerspec its = { 0 };
	uint64_t at = c->node_at;

	if (c->leak_at && (!at || c->leak_at < at))
		at = c->leak_at;
	if (at) {
		its.it_value.tv_sec = (time_t)(at / 1000);
		its.it_value.tv_nsec = (long)(at % 1000) * 1000000 + 1;
	}
	timerfd_settime(c->timer_fd, TFD_TIMER_ABSTIME, &its, NULL);
}

static void on_node_delete(json_object *obj, void *arg)
{
	struct ctrl *c = arg;
	const char *name = kube_object_name(obj);

	log_info("event=node_deleted node=%s leader=%d", name ? name : "?", c->leader);
	if (c->leader)
		schedule(&c->node_at, (uint64_t)c->o->node_debounce_ms);
}

static int http_handler(const char *path, char *body, size_t size, const char **ctype,
			void *arg)
{
	struct ctrl *c = arg;

	if (strcmp(path, "/healthz") == 0) {
		snprintf(body, size, "ok %s\n", c->leader ? "leader" : "standby");
		return 200;
	}
	if (strcmp(path, "/metrics") == 0) {
		c->m.leader = c->leader;
		c->m.leader_transitions = c->le ? leader_elect_transitions(c->le) : 0;
		*ctype = "text/plain; version=0.0.4; charset=utf-8";
		ctrl_metrics_render(&c->m, body, size);
		return 200;
	}
	snprintf(body, size, "not found\n");
	return 404;
}

static void leadership(struct ctrl *c)
{
	bool now = leader_elect_is_leader(c->le);

	if (now == c->leader)
		return;
	c->leader = now;
	c->m.leader = now;
	if (now) {
		log_info("event=controllers_active leak_interval_s=%ld grace_s=%ld",
			 c->o->leak_interval_s, c->o->leak_grace_s);
		schedule(&c->node_at, 0);
		schedule(&c->leak_at, 0);
	} else {
		log_info("event=controllers_standby");
		c->node_at = 0;
		c->leak_at = 0;
	}
}

static void run_due(struct ctrl *c)
{
	uint64_t now = leader_elect_now_ms();
	bool pending = false;
	int rc;

	leadership(c);
	if (!c->leader)
		return;
	if (c->node_at && c->node_at <= now) {
		c->node_at = 0;
		rc = ctrl_reconcile_nodes(&c->ctx, &pending);
		if (rc < 0 && rc != -ECANCELED)
			log_warn("event=node_pass_failed err=%d", rc);
		if (rc < 0 || pending)
			schedule(&c->node_at, (uint64_t)c->o->node_retry_s * 1000);
	}
	now = leader_elect_now_ms();
	if (c->leak_at && c->leak_at <= now) {
		c->leak_at = 0;
		rc = ctrl_reconcile_leaks(&c->ctx);
		if (rc < 0 && rc != -ECANCELED)
			log_warn("event=leak_pass_failed err=%d", rc);
		schedule(&c->leak_at, (uint64_t)c->o->leak_interval_s * 1000);
	}
	leadership(c);
}

static int setup(struct ctrl *c)
{
	static const struct kube_resource nodes = { "", "v1", "nodes", false };
	struct kube_config kcfg = { 0 };
	struct informer_options io = { 0 };
	struct leader_elect_opts lo;
	char err[512] = "";
	sigset_t mask;
	int rc;

	rc = kube_config_load(c->o->kubeconfig, &kcfg, err, sizeof(err));
	if (rc < 0) {
		log_error("event=kubeconfig_failed err=%d msg=\"%s\"", rc, err);
		return rc;
	}
	rc = kube_client_new(&kcfg, &c->client);
	/* The elector's requests must end well within the renew deadline, so
	 * one slow request leaves time for another try before it. */
	if (rc == 0)
		rc = kube_client_new_timeouts(&kcfg, 1000,
					      c->o->timing.renew_deadline_ms / 2 > 1000
						      ? c->o->timing.renew_deadline_ms / 2
						      : 1000,
					      &c->lease_client);
	kube_config_free(&kcfg);
	if (rc < 0)
		return rc;
	if ((rc = ipam_engine_new(c->client, NULL, &c->engine)) < 0)
		return rc;
	c->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	c->signal_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (c->timer_fd < 0 || c->signal_fd < 0)
		return -errno;
	if (c->o->metrics_port >= 0) {
		rc = health_http_open(c->o->listen_addr, c->o->metrics_port, http_handler, c,
				      &c->http);
		if (rc < 0) {
			log_error("event=listen_failed port=%d err=%d", c->o->metrics_port, rc);
			return rc;
		}
		log_info("event=listening what=metrics,healthz port=%d", health_http_port(c->http));
	}
	io.resource = nodes;
	io.handlers.on_delete = on_node_delete;
	io.handlers.ctx = c;
	if ((rc = informer_new(c->client, &io, &c->nodes)) < 0 ||
	    (rc = informer_start(c->nodes)) < 0)
		return rc;
	memset(&lo, 0, sizeof(lo));
	lo.namespace = c->o->lease_namespace ? c->o->lease_namespace
					     : kube_client_namespace(c->client);
	lo.name = c->o->lease_name;
	lo.identity = c->o->identity;
	lo.timing = c->o->timing;
	c->ctx.client = c->client;
	c->ctx.engine = c->engine;
	c->ctx.m = &c->m;
	c->ctx.grace_s = c->o->leak_grace_s;
	if ((rc = leader_elect_start(c->lease_client, &lo, &c->le)) < 0)
		return rc;
	c->ctx.le = c->le;
	return 0;
}

int ctrl_daemon_run(const struct ctrl_daemon_opts *o)
{
	struct ctrl c;
	int rc;

	memset(&c, 0, sizeof(c));
	c.o = o;
	c.timer_fd = -1;
	c.signal_fd = -1;
	log_info("event=start identity=%s leak_interval_s=%ld grace_s=%ld", o->identity,
		 o->leak_interval_s, o->leak_grace_s);
	rc = setup(&c);
	while (rc == 0) {
		struct pollfd pfd[5];
		int n = 0;

		arm_timer(&c);
		pfd[n++] = (struct pollfd){ c.signal_fd, POLLIN, 0 };
		pfd[n++] = (struct pollfd){ c.timer_fd, POLLIN, 0 };
		pfd[n++] = (struct pollfd){ leader_elect_fd(c.le), POLLIN, 0 };
		pfd[n++] = (struct pollfd){ informer_fd(c.nodes), POLLIN, 0 };
		if (c.http)
			pfd[n++] = (struct pollfd){ health_http_fd(c.http), POLLIN, 0 };
		/* Leadership can also lapse without an event (renew deadline): a
		 * leader wakes at least once per retry period to notice. */
		if (poll(pfd, (nfds_t)n, c.leader ? (int)o->timing.retry_period_ms : -1) < 0 &&
		    errno != EINTR) {
			rc = -errno;
			break;
		}
		if (pfd[0].revents & POLLIN) {
			log_info("event=stop");
			break;
		}
		if (pfd[2].revents & POLLIN)
			leader_elect_ack(c.le);
		if (pfd[3].revents & POLLIN)
			informer_dispatch(c.nodes);
		if (c.http && (pfd[4].revents & POLLIN))
			health_http_serve(c.http);
		if (pfd[1].revents & POLLIN) {
			uint64_t ticks;
			ssize_t got = read(c.timer_fd, &ticks, sizeof(ticks));

			(void)got;
		}
		run_due(&c);
	}
	/* Release first: a standby can take over while we tidy up. */
	leader_elect_stop(c.le, true);
	informer_free(c.nodes);
	health_http_close(c.http);
	ipam_engine_free(c.engine);
	kube_client_free(c.lease_client);
	kube_client_free(c.client);
	if (c.timer_fd >= 0)
		close(c.timer_fd);
	if (c.signal_fd >= 0)
		close(c.signal_fd);
	return rc;
}
