/* twill-controllers: cluster-wide IPAM garbage collection (node controller
 * and leak controller), one active instance at a time through a Lease.
 * Configuration from flags, each with an environment variable the chart's
 * Deployment (and the lab) sets:
 *
 *   --kubeconfig PATH        KUBECONFIG             default: in-cluster
 *   --lease-namespace NS     POD_NAMESPACE          default: the kubeconfig's
 *   --lease-name NAME        TWILL_LEASE_NAME       default: twill-controllers
 *   --identity ID            POD_NAME (+ random)    default: hostname + random
 *   --lease-duration D       TWILL_LEASE_DURATION   default: 15s (whole seconds)
 *   --renew-deadline D       TWILL_RENEW_DEADLINE   default: 10s
 *   --retry-period D         TWILL_RETRY_PERIOD     default: 2s
 *   --leak-interval D        TWILL_LEAK_INTERVAL    default: 5m
 *   --leak-grace D           TWILL_LEAK_GRACE       default: 15m
 *   --node-retry D           TWILL_NODE_RETRY       default: 30s
 *   --metrics-port N         TWILL_METRICS_PORT     default: 9094 (/metrics, /healthz)
 *   --listen-addr ADDR       TWILL_LISTEN_ADDR      default: 0.0.0.0
 *   --log-level LEVEL        TWILL_LOG_LEVEL        default: info
 * Durations: 500ms, 90s, 15m, 1h30m, or plain seconds.
 * Exit codes: 0 after SIGTERM/SIGINT, 1 on a setup failure, 2 on bad usage. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "ctrl_daemon.h"
#include "gc.h"
#include "health_http.h"
#include "log.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: twill-controllers [--kubeconfig PATH] [--lease-namespace NS]\n"
		"         [--lease-name NAME] [--identity ID] [--lease-duration D]\n"
		"         [--renew-deadline D] [--retry-period D] [--leak-interval D]\n"
		"         [--leak-grace D] [--node-retry D] [--metrics-port N]\n"
		"         [--listen-addr ADDR] [--log-level LEVEL]\n"
		"durations: 500ms, 90s, 15m, 1h30m\n");
}

/* "500ms" or an ipam_gc_parse_duration() text -> milliseconds. */
static int parse_ms(const char *text, long *out)
{
	size_t n = text ? strlen(text) : 0;
	long s;
	char *end;

	if (n > 2 && strcmp(text + n - 2, "ms") == 0) {
		errno = 0;
		s = strtol(text, &end, 10);
		if (errno || end != text + n - 2 || s < 0 || text[0] < '0' || text[0] > '9')
			return -EINVAL;
		*out = s;
		return 0;
	}
	if (ipam_gc_parse_duration(text, &s) < 0)
		return -EINVAL;
	*out = s * 1000;
	return 0;
}

static int parse_s(const char *text, long *out)
{
	long ms;

	if (parse_ms(text, &ms) < 0 || ms % 1000 || ms == 0)
		return -EINVAL;
	*out = ms / 1000;
	return 0;
}

enum { O_KUBECONFIG = 256, O_LEASE_NS, O_LEASE_NAME, O_IDENTITY, O_DURATION, O_RENEW,
       O_RETRY, O_INTERVAL, O_GRACE, O_NODE_RETRY, O_PORT, O_LISTEN, O_LOG };

static const struct {
	int opt;
	const char *env;
} env_of[] = {
	{ O_LEASE_NAME, "TWILL_LEASE_NAME" },     { O_DURATION, "TWILL_LEASE_DURATION" },
	{ O_RENEW, "TWILL_RENEW_DEADLINE" },      { O_RETRY, "TWILL_RETRY_PERIOD" },
	{ O_INTERVAL, "TWILL_LEAK_INTERVAL" },    { O_GRACE, "TWILL_LEAK_GRACE" },
	{ O_NODE_RETRY, "TWILL_NODE_RETRY" },     { O_PORT, "TWILL_METRICS_PORT" },
	{ O_LISTEN, "TWILL_LISTEN_ADDR" },        { O_LOG, "TWILL_LOG_LEVEL" },
	{ O_LEASE_NS, "POD_NAMESPACE" },
};

static int apply(struct ctrl_daemon_opts *o, int opt, const char *v, const char **level)
{
	long ms;

	switch (opt) {
	case O_KUBECONFIG: o->kubeconfig = v; return 0;
	case O_LEASE_NS: o->lease_namespace = *v ? v : NULL; return 0;
	case O_LEASE_NAME: o->lease_name = v; return *v ? 0 : -EINVAL;
	case O_IDENTITY: o->identity = v; return *v ? 0 : -EINVAL;
	case O_DURATION:
		if (parse_ms(v, &ms) < 0)
			return -EINVAL;
		o->timing.duration_ms = ms;
		return 0;
	case O_RENEW:
		if (parse_ms(v, &ms) < 0)
			return -EINVAL;
		o->timing.renew_deadline_ms = ms;
		return 0;
	case O_RETRY:
		if (parse_ms(v, &ms) < 0)
			return -EINVAL;
		o->timing.retry_period_ms = ms;
		return 0;
	case O_INTERVAL: return parse_s(v, &o->leak_interval_s);
	case O_GRACE: return ipam_gc_parse_duration(v, &o->leak_grace_s);
	case O_NODE_RETRY: return parse_s(v, &o->node_retry_s);
	case O_PORT: return health_http_parse_port(v, &o->metrics_port);
	case O_LISTEN: o->listen_addr = v; return 0;
	case O_LOG: *level = v; return 0;
	}
	return -EINVAL;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "kubeconfig", required_argument, NULL, O_KUBECONFIG },
		{ "lease-namespace", required_argument, NULL, O_LEASE_NS },
		{ "lease-name", required_argument, NULL, O_LEASE_NAME },
		{ "identity", required_argument, NULL, O_IDENTITY },
		{ "lease-duration", required_argument, NULL, O_DURATION },
		{ "renew-deadline", required_argument, NULL, O_RENEW },
		{ "retry-period", required_argument, NULL, O_RETRY },
		{ "leak-interval", required_argument, NULL, O_INTERVAL },
		{ "leak-grace", required_argument, NULL, O_GRACE },
		{ "node-retry", required_argument, NULL, O_NODE_RETRY },
		{ "metrics-port", required_argument, NULL, O_PORT },
		{ "listen-addr", required_argument, NULL, O_LISTEN },
		{ "log-level", required_argument, NULL, O_LOG },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctrl_daemon_opts o;
	const char *level_text = NULL, *base;
	char identity[300], host[256], msg[256];
	unsigned char rnd[4] = { 0 };
	enum log_level level;
	size_t i;
	int opt, rc;

	log_init("controllers");
	ctrl_daemon_opts_init(&o);
	for (i = 0; i < sizeof(env_of) / sizeof(env_of[0]); i++) {
		const char *v = getenv(env_of[i].env);

		if (v && *v && apply(&o, env_of[i].opt, v, &level_text) < 0) {
			fprintf(stderr, "twill-controllers: bad %s '%s'\n", env_of[i].env, v);
			return 2;
		}
	}
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (opt == 'h') {
			usage(stdout);
			return 0;
		}
		if (opt == '?' || apply(&o, opt, optarg, &level_text) < 0) {
			if (opt != '?')
				fprintf(stderr, "twill-controllers: bad value '%s' for --%s\n",
					optarg, longopts[opt - O_KUBECONFIG].name);
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (level_text) {
		if (log_level_parse(level_text, &level) < 0) {
			fprintf(stderr, "twill-controllers: bad log level %s\n", level_text);
			return 2;
		}
		log_set_level(level);
	}
	if (lease_timing_validate(&o.timing, msg, sizeof(msg)) < 0) {
		fprintf(stderr, "twill-controllers: %s\n", msg);
		return 2;
	}
	if (!o.identity) {
		/* Unique per process: a restarted pod must not inherit its old
		 * lease as if it had renewed it all along. */
		base = getenv("POD_NAME");
		if (!base || !*base) {
			if (gethostname(host, sizeof(host)) < 0)
				snprintf(host, sizeof(host), "twill-controllers");
			host[sizeof(host) - 1] = '\0';
			base = host;
		}
		if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
			memset(rnd, 0, sizeof(rnd));
		snprintf(identity, sizeof(identity), "%.250s_%02x%02x%02x%02x", base, rnd[0], rnd[1],
			 rnd[2], rnd[3]);
		o.identity = identity;
	}
	rc = ctrl_daemon_run(&o);
	return rc < 0 ? 1 : 0;
}
