/* twill-confgen: keeps this node's BIRD configuration in step with the
 * datastore.
 *
 * One event loop: six informers (BGPConfiguration, Node, BGPPeer, IPPool,
 * BlockAffinity, Secrets of twill-system) only mark the state dirty; a
 * timerfd debounces bursts (a rolling update touches many objects at once)
 * into one render. Nothing is rendered before every informer has finished
 * its initial list, so a half-listed datastore never drops sessions. Each
 * render goes through confgen_apply(): identical text is skipped, a text
 * BIRD rejects never replaces the working file (logged with BIRD's message,
 * counted, readiness unchanged), an accepted one is renamed into place and
 * BIRD told to `configure`. Counters go to an optional Prometheus textfile.
 * The rendered text holds MD5 passwords and is never logged. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "bird_model.h"
#include "bird_render.h"
#include "confgen_apply.h"
#include "confgen_snapshot.h"
#include "informer.h"
#include "kube_client.h"
#include "kubeconfig.h"
#include "log.h"

#define CONFGEN_RETRY_MS 5000

enum { INF_CONFIGS, INF_NODES, INF_PEERS, INF_POOLS, INF_AFFINITIES, INF_SECRETS, INF_COUNT };

static const struct kube_resource resources[INF_COUNT] = {
	[INF_CONFIGS] = { "twill.dev", "v1", "bgpconfigurations", false },
	[INF_NODES] = { "", "v1", "nodes", false },
	[INF_PEERS] = { "twill.dev", "v1", "bgppeers", false },
	[INF_POOLS] = { "twill.dev", "v1", "ippools", false },
	[INF_AFFINITIES] = { "twill.dev", "v1", "blockaffinities", false },
	[INF_SECRETS] = { "", "v1", "secrets", true },
};

struct counters {
	unsigned long renders, unchanged, applied, rejected, reloads, reload_failures,
		build_failures;
};

struct confgen {
	const char *node_name;
	const char *kubeconfig;
	const char *ready_file;
	const char *metrics_file;
	int debounce_ms;
	bool once;
	struct confgen_apply_opts apply;
	struct informer *inf[INF_COUNT];
	bool dirty, armed, ready;
	bool bird_current;	/* the running BIRD has loaded the file on disk */
	bool retry;		/* the last configure failed: try again later */
	struct counters c;
};

static void mark_dirty(struct confgen *cg)
{
	cg->dirty = true;
}

static void on_add(json_object *obj, void *ctx)
{
	(void)obj;
	mark_dirty(ctx);
}

static void on_update(json_object *old_obj, json_object *new_obj, void *ctx)
{
	(void)old_obj;
	(void)new_obj;
	mark_dirty(ctx);
}

static void on_delete(json_object *obj, void *ctx)
{
	(void)obj;
	mark_dirty(ctx);
}

/* Prometheus textfile, replaced atomically so a scraper never reads half. */
static void write_metrics(const struct confgen *cg)
{
	char tmp[4096];
	FILE *f;

	if (!cg->metrics_file)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", cg->metrics_file);
	f = fopen(tmp, "w");
	if (!f)
		return;
	fprintf(f,
		"# TYPE twill_confgen_renders_total counter\ntwill_confgen_renders_total %lu\n"
		"# TYPE twill_confgen_unchanged_total counter\ntwill_confgen_unchanged_total %lu\n"
		"# TYPE twill_confgen_applied_total counter\ntwill_confgen_applied_total %lu\n"
		"# TYPE twill_confgen_config_rejected_total counter\n"
		"twill_confgen_config_rejected_total %lu\n"
		"# TYPE twill_confgen_reloads_total counter\ntwill_confgen_reloads_total %lu\n"
		"# TYPE twill_confgen_reload_failures_total counter\n"
		"twill_confgen_reload_failures_total %lu\n"
		"# TYPE twill_confgen_build_failures_total counter\n"
		"twill_confgen_build_failures_total %lu\n"
		"# TYPE twill_confgen_ready gauge\ntwill_confgen_ready %d\n",
		cg->c.renders, cg->c.unchanged, cg->c.applied, cg->c.rejected, cg->c.reloads,
		cg->c.reload_failures, cg->c.build_failures, cg->ready ? 1 : 0);
	if (fclose(f) == 0)
		rename(tmp, cg->metrics_file);
	else
		unlink(tmp);
}

static void set_ready(struct confgen *cg)
{
	int fd;

	if (cg->ready)
		return;
	cg->ready = true;
	log_info("event=ready config=%s", cg->apply.config_path);
	if (cg->ready_file && (fd = open(cg->ready_file, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) >= 0)
		close(fd);
}

/* One render + apply. 0 when the file on disk is current afterwards. */
static int render_and_apply(struct confgen *cg)
{
	struct confgen_lists lists = { 0 };
	json_object **slots[INF_COUNT] = { &lists.configs, &lists.nodes, &lists.peers,
					   &lists.pools, &lists.affinities, &lists.secrets };
	struct confgen_snapshot snap;
	struct confgen_apply_result res;
	struct bird_input in;
	char err[512], quoted[1200];
	char *text = NULL;
	size_t len = 0, i;
	int rc;

	for (i = 0; i < INF_COUNT; i++) {
		*slots[i] = informer_list(cg->inf[i]);
		if (!*slots[i]) {
			rc = -ENOMEM;
			goto out_lists;
		}
	}
	rc = confgen_snapshot_build(&snap, cg->node_name, &lists);
	if (rc < 0)
		goto out_lists;
	rc = bird_input_build(&snap.src, &in, err, sizeof(err));
	if (rc < 0) {
		cg->c.build_failures++;
		log_warn("event=render_skipped node=%s reason=%s", cg->node_name,
			 log_quote(quoted, sizeof(quoted), err[0] ? err : strerror(-rc)));
		goto out_snap;
	}
	for (i = 0; i < in.note_count; i++)
		log_info("event=render_note node=%s note=%s", cg->node_name,
			 log_quote(quoted, sizeof(quoted), in.notes[i]));
	rc = bird_render(&in, &text, &len);
	bird_input_free(&in);
	if (rc < 0)
		goto out_snap;
	cg->c.renders++;
	/* Until a configure has succeeded, an unchanged file proves nothing
	 * about what BIRD runs (we may have restarted after a failed one). */
	cg->apply.reconfigure_unchanged = !cg->bird_current;
	rc = confgen_apply(&cg->apply, text, len, &res);
	if (res.reconfigured)
		cg->bird_current = true;
	if (rc == -EIO) {
		cg->bird_current = false;
		cg->retry = true;
	}
	log_quote(quoted, sizeof(quoted), res.message);
	if (res.rejected) {
		/* The working file stays; so does readiness (it reflects that file). */
		cg->c.rejected++;
		log_error("event=config_rejected config=%s bytes=%zu bird=%s", cg->apply.config_path,
			  len, quoted);
	} else if (rc == -EIO) {
		cg->c.applied++;
		cg->c.reload_failures++;
		log_error("event=reload_failed config=%s birdc=%s", cg->apply.config_path, quoted);
	} else if (rc < 0) {
		log_error("event=apply_failed config=%s err=%s", cg->apply.config_path, quoted);
	} else if (!res.changed) {
		cg->c.unchanged++;
		cg->c.reloads += res.reconfigured;
		if (res.reconfigured)
			log_info("event=config_reloaded config=%s reason=unconfirmed_load",
				 cg->apply.config_path);
		else
			log_debug("event=config_unchanged config=%s", cg->apply.config_path);
	} else {
		cg->c.applied++;
		cg->c.reloads += res.reconfigured;
		log_info("event=config_applied config=%s bytes=%zu reconfigured=%s", cg->apply.config_path,
			 len, res.reconfigured ? "true" : "false");
	}
	if (rc == 0 || rc == -EIO)
		set_ready(cg);
	free(text);
out_snap:
	if (snap.skipped)
		log_warn("event=objects_skipped count=%zu", snap.skipped);
	confgen_snapshot_free(&snap);
out_lists:
	for (i = 0; i < INF_COUNT; i++)
		json_object_put(*slots[i]);
	write_metrics(cg);
	return rc;
}

static int arm(int tfd, int ms)
{
	struct itimerspec its = { .it_value = { ms / 1000, (long)(ms % 1000) * 1000000L } };

	if (ms <= 0)
		its.it_value.tv_nsec = 1;
	return timerfd_settime(tfd, 0, &its, NULL) < 0 ? -errno : 0;
}

static bool all_synced(struct confgen *cg)
{
	for (size_t i = 0; i < INF_COUNT; i++)
		if (!informer_synced(cg->inf[i]))
			return false;
	return true;
}

static int run(struct confgen *cg, struct kube_client *client)
{
	struct pollfd fds[INF_COUNT + 2];
	struct informer_options io;
	sigset_t sigs;
	int tfd = -1, sfd = -1, rc = 0;
	size_t i;

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (sfd < 0 || tfd < 0) {
		rc = -errno;
		goto out;
	}
	for (i = 0; i < INF_COUNT; i++) {
		memset(&io, 0, sizeof(io));
		io.resource = resources[i];
		io.namespace = i == INF_SECRETS ? MODEL_TWILL_NAMESPACE : NULL;
		io.handlers = (struct informer_handlers){ on_add, on_update, on_delete, cg };
		if ((rc = informer_new(client, &io, &cg->inf[i])) < 0 ||
		    (rc = informer_start(cg->inf[i])) < 0)
			goto out;
		fds[i] = (struct pollfd){ .fd = informer_fd(cg->inf[i]), .events = POLLIN };
	}
	fds[INF_COUNT] = (struct pollfd){ .fd = tfd, .events = POLLIN };
	fds[INF_COUNT + 1] = (struct pollfd){ .fd = sfd, .events = POLLIN };
	cg->dirty = true; /* the first render happens once everything is listed */
	for (;;) {
		if (cg->retry && !cg->armed) {
			/* BIRD refused or did not answer `configure`: ask again
			 * later, not at event speed. */
			cg->retry = false;
			cg->dirty = true;
			if ((rc = arm(tfd, CONFGEN_RETRY_MS)) < 0)
				goto out;
			cg->armed = true;
		}
		if (cg->dirty && !cg->armed) {
			if ((rc = arm(tfd, cg->debounce_ms)) < 0)
				goto out;
			cg->armed = true;
		}
		if (poll(fds, INF_COUNT + 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			goto out;
		}
		if (fds[INF_COUNT + 1].revents) {
			log_info("event=shutdown");
			rc = 0;
			goto out;
		}
		for (i = 0; i < INF_COUNT; i++)
			if (fds[i].revents)
				informer_dispatch(cg->inf[i]);
		if (fds[INF_COUNT].revents) {
			uint64_t ticks;

			if (read(tfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN) {
				rc = -errno;
				goto out;
			}
			cg->armed = false;
			if (!all_synced(cg))
				continue; /* still dirty: re-armed at the top */
			cg->dirty = false;
			rc = render_and_apply(cg);
			if (cg->once)
				goto out;
			rc = 0;
		}
	}
out:
	for (i = 0; i < INF_COUNT; i++) {
		informer_free(cg->inf[i]);
		cg->inf[i] = NULL;
	}
	if (tfd >= 0)
		close(tfd);
	if (sfd >= 0)
		close(sfd);
	return rc;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: twill-confgen [options]\n"
		"  --node NAME          this node (default: $NODENAME, else hostname)\n"
		"  --kubeconfig PATH    default: $KUBECONFIG, else in-cluster\n"
		"  --config PATH        BIRD config file (default /etc/bird/bird.conf)\n"
		"  --socket PATH        BIRD control socket for `configure` (default\n"
		"                       /run/bird/bird.ctl; \"\" = never reconfigure)\n"
		"  --bird PATH          BIRD binary for `bird -p` (default bird)\n"
		"  --birdc PATH         birdc binary (default birdc)\n"
		"  --debounce-ms N      wait this long after a change (default 250)\n"
		"  --ready-file PATH    created after the first config is in place\n"
		"  --metrics-file PATH  Prometheus textfile with the counters\n"
		"  --once               render and apply once, then exit\n"
		"  --log-level LEVEL    debug|info|warn|error\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "node", required_argument, NULL, 'n' },
		{ "kubeconfig", required_argument, NULL, 'k' },
		{ "config", required_argument, NULL, 'c' },
		{ "socket", required_argument, NULL, 's' },
		{ "bird", required_argument, NULL, 'b' },
		{ "birdc", required_argument, NULL, 'B' },
		{ "debounce-ms", required_argument, NULL, 'd' },
		{ "ready-file", required_argument, NULL, 'r' },
		{ "metrics-file", required_argument, NULL, 'm' },
		{ "once", no_argument, NULL, 'o' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct confgen cg = { .debounce_ms = 250 };
	struct kube_config kcfg = { 0 };
	struct kube_client *client = NULL;
	const char *socket_path = "/run/bird/bird.ctl";
	char host[256], err[512];
	enum log_level level;
	int opt, rc;

	log_init("confgen");
	cg.apply.config_path = "/etc/bird/bird.conf";
	cg.node_name = getenv("NODENAME");
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'n': cg.node_name = optarg; break;
		case 'k': cg.kubeconfig = optarg; break;
		case 'c': cg.apply.config_path = optarg; break;
		case 's': socket_path = optarg; break;
		case 'b': cg.apply.bird_path = optarg; break;
		case 'B': cg.apply.birdc_path = optarg; break;
		case 'd': cg.debounce_ms = atoi(optarg); break;
		case 'r': cg.ready_file = optarg; break;
		case 'm': cg.metrics_file = optarg; break;
		case 'o': cg.once = true; break;
		case 'l':
			if (log_level_parse(optarg, &level) < 0) {
				fprintf(stderr, "twill-confgen: bad --log-level %s\n", optarg);
				return 2;
			}
			log_set_level(level);
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc || cg.debounce_ms < 0 || cg.debounce_ms > 60000) {
		usage(stderr);
		return 2;
	}
	cg.apply.control_socket = socket_path[0] ? socket_path : NULL;
	if (!cg.node_name || !cg.node_name[0]) {
		if (gethostname(host, sizeof(host)) < 0) {
			fprintf(stderr, "twill-confgen: no --node and no hostname\n");
			return 2;
		}
		host[sizeof(host) - 1] = '\0';
		cg.node_name = host;
	}
	rc = kube_config_load(cg.kubeconfig, &kcfg, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "twill-confgen: %s\n", err[0] ? err : strerror(-rc));
		return 1;
	}
	rc = kube_client_new(&kcfg, &client);
	if (rc < 0) {
		fprintf(stderr, "twill-confgen: cannot create API client: %s\n", strerror(-rc));
		kube_config_free(&kcfg);
		return 1;
	}
	log_info("event=start node=%s config=%s socket=%s", cg.node_name, cg.apply.config_path,
		 cg.apply.control_socket ? cg.apply.control_socket : "none");
	rc = run(&cg, client);
	kube_client_free(client);
	kube_config_free(&kcfg);
	if (rc < 0) {
		fprintf(stderr, "twill-confgen: %s\n", strerror(-rc));
		return 1;
	}
	return 0;
}
