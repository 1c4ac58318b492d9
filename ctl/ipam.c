/* ipam: `twillctl ipam show|check|release|gc`, the operator's view of block
 * IPAM.
 *
 *   show [--ip IP]        pools with used/total/%, blocks and addresses per
 *                         node; with --ip: who holds that address
 *   check [--grace D]     run ipam/check on a fresh snapshot; one line per
 *                         finding; exit 1 when any finding is older than
 *                         the grace period (default 15m; younger ones may be
 *                         an ADD in flight and are only counted)
 *   release --ip IP [--handle H]   free one address (only if H holds it)
 *   gc [--grace D] [--dry-run]     act on check's findings (ipam/gc.h)
 * Common: --kubeconfig PATH (else $KUBECONFIG, else in-cluster).
 * Exit: 0 ok / clean, 1 problems found or API error, 2 usage. The rules are
 * in ipam/check.h and ipam/gc.h; this file only loads, prints and writes. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "ctl.h"
#include "engine.h"
#include "gc.h"
#include "gc_exec.h"
#include "kube_client.h"
#include "kubeconfig.h"
#include "snapshot.h"

#define IPAM_DEFAULT_GRACE (15 * 60)

struct ipam_opts {
	const char *kubeconfig;
	const char *ip;
	const char *handle;
	long grace;
	bool dry_run;
};

static void ipam_usage(FILE *out)
{
	fprintf(out, "usage: twillctl ipam show [--ip IP]\n"
		     "       twillctl ipam check [--grace DURATION]\n"
		     "       twillctl ipam release --ip IP [--handle HANDLE]\n"
		     "       twillctl ipam gc [--grace DURATION] [--dry-run]\n"
		     "options: --kubeconfig PATH; DURATION like 0s, 90s, 15m, 1h (default 15m)\n");
}

static int ipam_connect(const struct ipam_opts *o, struct kube_config *cfg,
		   struct kube_client **client)
{
	char err[512] = "";
	int rc = kube_config_load_user(o->kubeconfig, cfg, err, sizeof(err));

	if (rc < 0) {
		fprintf(stderr, "twillctl ipam: %s\n", err[0] ? err : strerror(-rc));
		return rc;
	}
	rc = kube_client_new(cfg, client);
	if (rc < 0)
		fprintf(stderr, "twillctl ipam: cannot create API client: %s\n", strerror(-rc));
	return rc;
}

static int ipam_load(struct kube_client *c, bool pods, struct ipam_snapshot *s)
{
	struct kube_error kerr;
	int rc;

	memset(&kerr, 0, sizeof(kerr));
	rc = ipam_snapshot_load(c, pods, s, &kerr);
	if (rc < 0)
		fprintf(stderr, "twillctl ipam: reading IPAM objects: %s\n",
			kerr.message[0] ? kerr.message : strerror(-rc));
	return rc;
}

static size_t block_used(const struct ipamblock *b)
{
	size_t i, n = 0;

	for (i = 0; i < b->allocation_count; i++)
		n += b->allocations[i] >= 0;
	return n;
}

static int show_ip(const struct ipam_snapshot *s, const char *text)
{
	const struct ipamblock_attribute *a = NULL;
	struct ip_addr ip;
	size_t bi = 0, i;
	int rc;

	if (ip_parse(text, &ip) < 0) {
		fprintf(stderr, "twillctl ipam show: '%s' is not an IP address\n", text);
		return 2;
	}
	rc = ipam_check_holder(s->blocks, s->block_count, &ip, &bi, &a);
	if (rc == -ENOENT) {
		printf("%s: in no IPAM block\n", text);
		return 1;
	}
	if (rc < 0) {
		printf("%s: free (block %s, %s)\n", text, s->blocks[bi].cidr,
		       s->blocks[bi].affinity ? s->blocks[bi].affinity : "no affinity");
		return 0;
	}
	printf("%s: block %s (%s)\n  handle: %s\n", text, s->blocks[bi].cidr,
	       s->blocks[bi].affinity ? s->blocks[bi].affinity : "no affinity",
	       a->handle_id ? a->handle_id : "(none)");
	for (i = 0; i < a->secondary.count; i++)
		printf("  %s: %s\n", a->secondary.items[i].key, a->secondary.items[i].value);
	return 0;
}

/* Blocks grouped by node, then by cidr text. */
static int block_by_node(const void *a, const void *b)
{
	const struct ipamblock *x = *(const struct ipamblock *const *)a;
	const struct ipamblock *y = *(const struct ipamblock *const *)b;
	int c = strcmp(x->affinity ? x->affinity : "", y->affinity ? y->affinity : "");

	return c ? c : strcmp(x->cidr ? x->cidr : "", y->cidr ? y->cidr : "");
}

static int show(const struct ipam_snapshot *s)
{
	const struct ipamblock **order;
	size_t i, j;

	printf("%-20s %-24s %8s %10s %7s\n", "POOL", "CIDR", "USED", "TOTAL", "USE%");
	for (i = 0; i < s->pool_count; i++) {
		const struct ippool *p = &s->pools[i];
		uint64_t total = 0, used = 0;
		struct cidr net;

		if (!p->cidr || cidr_parse(p->cidr, &net) < 0)
			continue;
		if (cidr_size(&net, &total) < 0)
			total = UINT64_MAX;
		for (j = 0; j < s->block_count; j++) {
			struct cidr b;

			if (s->blocks[j].cidr && cidr_parse(s->blocks[j].cidr, &b) == 0 &&
			    cidr_contains(&net, &b))
				used += block_used(&s->blocks[j]);
		}
		printf("%-20s %-24s %8llu %10llu %6.1f%%\n", p->meta.name, p->cidr,
		       (unsigned long long)used, (unsigned long long)total,
		       total ? 100.0 * (double)used / (double)total : 0.0);
	}
	printf("\n%-20s %-24s %8s %10s\n", "NODE", "BLOCK", "USED", "SIZE");
	order = calloc(s->block_count ? s->block_count : 1, sizeof(*order));
	if (!order)
		return 1;
	for (i = 0; i < s->block_count; i++)
		order[i] = &s->blocks[i];
	qsort(order, s->block_count, sizeof(*order), block_by_node);
	for (i = 0; i < s->block_count; i++) {
		const struct ipamblock *b = order[i];

		printf("%-20s %-24s %8zu %10zu\n",
		       b->affinity && !strncmp(b->affinity, "host:", 5) ? b->affinity + 5 : "(none)",
		       b->cidr, block_used(b), b->allocation_count);
	}
	free(order);
	return 0;
}

static int report(const struct ipam_findings *f, time_t now, long grace)
{
	size_t i, wrong = 0, young = 0;

	for (i = 0; i < f->count; i++) {
		const struct ipam_finding *it = &f->items[i];

		if (ipam_gc_in_grace(it, now, grace)) {
			young++;
			continue;
		}
		wrong++;
		printf("%-15s ip=%s block=%s handle=%s object=%s: %s\n",
		       ipam_finding_kind_name(it->kind), it->ip[0] ? it->ip : "-",
		       it->block[0] ? it->block : "-", it->handle_id[0] ? it->handle_id : "-",
		       it->object[0] ? it->object : "-", it->detail);
	}
	printf("%zu problem%s", wrong, wrong == 1 ? "" : "s");
	if (young)
		printf(", %zu younger than the grace period (%lds) not counted", young, grace);
	printf("\n");
	return wrong ? 1 : 0;
}

static int check(struct kube_client *c, const struct ipam_opts *o)
{
	struct ipam_snapshot s;
	struct ipam_findings f = { 0 };
	int rc;

	if (ipam_load(c, true, &s) < 0)
		return 1;
	rc = ipam_check_run(&s, &f);
	if (rc < 0)
		fprintf(stderr, "twillctl ipam check: %s\n", strerror(-rc));
	else
		rc = report(&f, time(NULL), o->grace);
	ipam_findings_free(&f);
	ipam_snapshot_free(&s);
	return rc < 0 ? 1 : rc;
}

static int release(struct kube_client *c, const struct ipam_opts *o)
{
	struct ipam_engine *e = NULL;
	char err[IPAM_ERROR_MAX] = "";
	struct ip_addr ip;
	bool released = false;
	int rc;

	if (!o->ip || ip_parse(o->ip, &ip) < 0) {
		fprintf(stderr, "twillctl ipam release: --ip IP is required\n");
		return 2;
	}
	if ((rc = ipam_engine_new(c, NULL, &e)) < 0)
		return 1;
	rc = ipam_release_ip(e, &ip, o->handle, &released, err, sizeof(err));
	ipam_engine_free(e);
	if (rc < 0) {
		fprintf(stderr, "twillctl ipam release: %s\n", err[0] ? err : strerror(-rc));
		return 1;
	}
	printf("%s %s\n", o->ip, released ? "released" : "was not allocated");
	return 0;
}

static int gc(struct kube_client *c, const struct ipam_opts *o)
{
	struct ipam_snapshot s;
	struct ipam_findings f = { 0 };
	struct ipam_gc_plan plan = { 0 };
	struct ipam_engine *e = NULL;
	size_t i, done = 0, failed = 0;
	int rc;

	if (ipam_load(c, true, &s) < 0)
		return 1;
	rc = ipam_check_run(&s, &f);
	if (rc == 0)
		rc = ipam_gc_plan(&s, &f, time(NULL), o->grace, &plan);
	if (rc == 0 && !o->dry_run)
		rc = ipam_engine_new(c, NULL, &e);
	if (rc < 0) {
		fprintf(stderr, "twillctl ipam gc: %s\n", strerror(-rc));
		goto out;
	}
	for (i = 0; i < plan.count; i++) {
		const struct ipam_gc_action *a = &plan.actions[i];
		char err[IPAM_ERROR_MAX] = "";
		const char *what = a->handle_id[0] ? a->handle_id : a->object;
		bool changed;

		if (o->dry_run) {
			printf("would %s %s%s%s (%s)\n", ipam_gc_action_name(a->kind), what,
			       a->ip[0] ? " " : "", a->ip, a->reason);
			continue;
		}
		rc = ipam_gc_exec(c, e, a, &changed, err, sizeof(err));
		if (rc < 0) {
			failed++;
			fprintf(stderr, "twillctl ipam gc: %s %s: %s\n",
				ipam_gc_action_name(a->kind), what, err[0] ? err : strerror(-rc));
			continue;
		}
		done++;
		printf("%s %s%s%s (%s)\n", ipam_gc_action_name(a->kind), what, a->ip[0] ? " " : "",
		       a->ip, a->reason);
	}
	printf("gc: %zu done, %zu failed, %zu in grace period, %zu need an operator\n", done,
	       failed, plan.skipped_grace, plan.skipped_manual);
	rc = failed ? 1 : 0;
out:
	ipam_engine_free(e);
	ipam_gc_plan_free(&plan);
	ipam_findings_free(&f);
	ipam_snapshot_free(&s);
	return rc < 0 ? 1 : rc;
}

int ctl_ipam_main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "kubeconfig", required_argument, NULL, 'k' },
		{ "ip", required_argument, NULL, 'i' },
		{ "handle", required_argument, NULL, 'H' },
		{ "grace", required_argument, NULL, 'g' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct kube_config cfg;
	struct kube_client *client = NULL;
	struct ipam_snapshot s;
	struct ipam_opts o;
	const char *verb;
	int opt, rc;

	memset(&o, 0, sizeof(o));
	memset(&cfg, 0, sizeof(cfg));
	o.grace = IPAM_DEFAULT_GRACE;
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		ipam_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	verb = argv[1];
	optind = 2;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (opt) {
		case 'k':
			o.kubeconfig = optarg;
			break;
		case 'i':
			o.ip = optarg;
			break;
		case 'H':
			o.handle = optarg;
			break;
		case 'g':
			if (ipam_gc_parse_duration(optarg, &o.grace) < 0) {
				fprintf(stderr, "twillctl ipam: bad --grace '%s' (like 0s, 15m)\n",
					optarg);
				return 2;
			}
			break;
		case 'n':
			o.dry_run = true;
			break;
		case 'h':
			ipam_usage(stdout);
			return 0;
		default:
			fprintf(stderr, "twillctl ipam: bad option '%s'\n", argv[optind - 1]);
			ipam_usage(stderr);
			return 2;
		}
	}
	if (optind < argc || (strcmp(verb, "show") && strcmp(verb, "check") &&
			      strcmp(verb, "release") && strcmp(verb, "gc"))) {
		ipam_usage(stderr);
		return 2;
	}
	if (ipam_connect(&o, &cfg, &client) < 0) {
		rc = 1;
		goto out;
	}
	if (!strcmp(verb, "check")) {
		rc = check(client, &o);
	} else if (!strcmp(verb, "release")) {
		rc = release(client, &o);
	} else if (!strcmp(verb, "gc")) {
		rc = gc(client, &o);
	} else {
		if (ipam_load(client, false, &s) < 0) {
			rc = 1;
			goto out;
		}
		rc = o.ip ? show_ip(&s, o.ip) : show(&s);
		ipam_snapshot_free(&s);
	}
out:
	kube_client_free(client);
	kube_config_free(&cfg);
	return rc;
}
