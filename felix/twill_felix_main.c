/* twill-felix: the node agent. Configuration comes from the environment the
 * DaemonSet (and the lab) sets, with command-line flags for local runs:
 *
 *   NODENAME / TWILL_NODENAME   this node's name (default: the hostname)
 *   KUBECONFIG                  kubeconfig path (default: in-cluster)
 *   TWILL_NETWORKING_BACKEND    "bird" (default) or "none": BGP disabled,
 *                               felix programs remote blocks itself
 *   TWILL_LOG_LEVEL             debug | info | warn | error
 *   TWILL_HEALTH_PORT, TWILL_METRICS_PORT, TWILL_ROUTE_REFRESH_INTERVAL
 *                               override the FelixConfiguration values
 *   TWILL_POLICY_ENABLED        true | false: pins NetworkPolicy enforcement
 *                               (default: FelixConfiguration policyEnabled)
 *
 * Exit codes: 0 after SIGTERM/SIGINT (or --once), 1 on a setup failure,
 * 2 on bad usage. */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "felix_daemon.h"
#include "health_http.h"
#include "log.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: twill-felix [--node NAME] [--kubeconfig PATH] [--health-port N]\n"
		"                   [--metrics-port N] [--refresh SECONDS|DURATION]\n"
		"                   [--throttle-ms N] [--bgp-disabled] [--once]\n"
		"                   [--policy-enabled true|false] [--log-level LEVEL]\n");
}

/* true/false (also 1/0, yes/no, on/off): 1 or 0; -EINVAL otherwise. */
static int parse_switch(const char *text)
{
	static const char *const on[] = {"true", "1", "yes", "on", NULL};
	static const char *const off[] = {"false", "0", "no", "off", NULL};
	size_t i;

	for (i = 0; text && on[i]; i++)
		if (strcasecmp(text, on[i]) == 0)
			return 1;
	for (i = 0; text && off[i]; i++)
		if (strcasecmp(text, off[i]) == 0)
			return 0;
	return -EINVAL;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"node", required_argument, NULL, 'n'},
		{"kubeconfig", required_argument, NULL, 'k'},
		{"health-port", required_argument, NULL, 'H'},
		{"metrics-port", required_argument, NULL, 'M'},
		{"refresh", required_argument, NULL, 'r'},
		{"throttle-ms", required_argument, NULL, 't'},
		{"bgp-disabled", no_argument, NULL, 'b'},
		{"once", no_argument, NULL, 'o'},
		{"log-level", required_argument, NULL, 'l'},
		{"policy-enabled", required_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct felix_daemon_opts opts;
	const char *env, *level_text = getenv("TWILL_LOG_LEVEL");
	enum log_level level;
	char host[256];
	int opt, rc;

	log_init("felix");
	/* One malloc arena for every thread. glibc gives each allocating thread
	 * its own arena; the informer threads parse whole list pages in theirs,
	 * which then keep their high-water mark, out of reach of the
	 * post-recompute malloc_trim. felix's threads mostly wait on sockets,
	 * so one arena costs no contention. Set before any thread exists. */
	mallopt(M_ARENA_MAX, 1);
	felix_daemon_opts_init(&opts);
	opts.node_name = getenv("TWILL_NODENAME");
	if (!opts.node_name || !*opts.node_name)
		opts.node_name = getenv("NODENAME");
	env = getenv("TWILL_NETWORKING_BACKEND");
	opts.bgp_disabled = env && strcmp(env, "none") == 0;
	if ((env = getenv("TWILL_HEALTH_PORT")) && health_http_parse_port(env, &opts.health_port) < 0) {
		fprintf(stderr, "twill-felix: bad TWILL_HEALTH_PORT %s\n", env);
		return 2;
	}
	if ((env = getenv("TWILL_METRICS_PORT")) && health_http_parse_port(env, &opts.metrics_port) < 0) {
		fprintf(stderr, "twill-felix: bad TWILL_METRICS_PORT %s\n", env);
		return 2;
	}
	if ((env = getenv("TWILL_ROUTE_REFRESH_INTERVAL")) &&
	    felix_parse_duration(env, &opts.refresh_interval_s) < 0) {
		fprintf(stderr, "twill-felix: bad TWILL_ROUTE_REFRESH_INTERVAL %s\n", env);
		return 2;
	}
	if ((env = getenv("TWILL_POLICY_ENABLED")) && *env &&
	    (opts.policy_enabled = parse_switch(env)) < 0) {
		fprintf(stderr, "twill-felix: bad TWILL_POLICY_ENABLED %s (true or false)\n", env);
		return 2;
	}
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'n': opts.node_name = optarg; break;
		case 'k': opts.kubeconfig = optarg; break;
		case 'H':
			if (health_http_parse_port(optarg, &opts.health_port) < 0)
				goto bad;
			break;
		case 'M':
			if (health_http_parse_port(optarg, &opts.metrics_port) < 0)
				goto bad;
			break;
		case 'r':
			if (felix_parse_duration(optarg, &opts.refresh_interval_s) < 0)
				goto bad;
			break;
		case 't':
			opts.throttle_ms = atoi(optarg);
			if (opts.throttle_ms < 0 || opts.throttle_ms > 60000)
				goto bad;
			break;
		case 'b': opts.bgp_disabled = true; break;
		case 'o': opts.once = true; break;
		case 'l': level_text = optarg; break;
		case 'p':
			opts.policy_enabled = parse_switch(optarg);
			if (opts.policy_enabled < 0)
				goto bad;
			break;
		case 'h': usage(stdout); return 0;
		default: goto bad;
		}
	}
	if (optind != argc)
		goto bad;
	if (level_text) {
		if (log_level_parse(level_text, &level) < 0) {
			fprintf(stderr, "twill-felix: bad log level %s\n", level_text);
			return 2;
		}
		log_set_level(level);
	}
	if (!opts.node_name || !*opts.node_name) {
		if (gethostname(host, sizeof(host)) < 0) {
			fprintf(stderr, "twill-felix: no node name (NODENAME) and no hostname\n");
			return 2;
		}
		host[sizeof(host) - 1] = '\0';
		opts.node_name = host;
	}
	rc = felix_daemon_run(&opts);
	return rc < 0 ? 1 : 0;
bad:
	usage(stderr);
	return 2;
}
