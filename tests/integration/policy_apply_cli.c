/* policy_apply_cli: drives policy/ (model -> compile -> apply) in the current
 * network namespace for tests/e2e/test_policy_apply.py.
 *
 *   policy_apply_cli [--loop N] STATE.json...
 *       STATE.json = {"namespaces": [Namespace...], "pods": [Pod...],
 *                     "policies": [NetworkPolicy...],
 *                     "endpoints": [{"iface": "twxa", "namespace": "x", "pod": "a"}]}
 *       Applies each state in turn with one applier (the first full, the
 *       rest incremental), then cycles through them N more times. One line
 *       per apply: "step=K mode=full|incremental sets_added=.. sets_removed=..
 *       sets_refilled=.. elements_added=.. elements_removed=.. chains_added=.. chains_removed=..
 *       sets=.. elements=.. chains=.. rules=.. compile_us=.. diff_us=..
 *       apply_us=..": the size of the compiled ruleset (sets and maps,
 *       their elements, chains, rules), and CLOCK_MONOTONIC microseconds
 *       spent in policy_compile() and in policy_apply() — the latter is the
 *       render (full) or diff (incremental) plus the one libnftables
 *       transaction, and nothing else (bench/policy reads it). diff_us
 *       times a separate policy_diff() of the same two rulesets run just
 *       before (0 when the apply is a full one), to split apply_us.
 *   policy_apply_cli --stdin
 *       Reads STATE.json paths from stdin, one per line, applying each as it
 *       arrives (a node agent for the packet tests) and printing its line.
 *   policy_apply_cli --run FILE
 *       Runs FILE's nft text as one transaction; prints "error: <nft error>"
 *       and exits 1 when nft rejects it.
 * Exit status 0 ok, 1 failure, 2 usage. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nftables/libnftables.h>

#include "log.h"
#include "model/namespace.h"
#include "model/networkpolicy.h"
#include "model/pod.h"
#include "policy_apply.h"
#include "policy_compile.h"
#include "policy_model.h"

struct state {
	json_object *root;
	struct pod *pods;
	size_t pod_count;
	struct k8s_namespace *ns;
	size_t ns_count;
	struct networkpolicy *np;
	size_t np_count;
	struct policy_endpoint *eps;
	size_t ep_count;
};

static void state_free(struct state *s)
{
	size_t i;

	for (i = 0; i < s->pod_count; i++)
		pod_free(&s->pods[i]);
	for (i = 0; i < s->ns_count; i++)
		namespace_free(&s->ns[i]);
	for (i = 0; i < s->np_count; i++)
		networkpolicy_free(&s->np[i]);
	free(s->pods);
	free(s->ns);
	free(s->np);
	free(s->eps);
	if (s->root)
		json_object_put(s->root);
	memset(s, 0, sizeof(*s));
}

static size_t array_len(json_object *root, const char *key, json_object **arr)
{
	if (!json_object_object_get_ex(root, key, arr) || !json_object_is_type(*arr, json_type_array))
		return 0;
	return json_object_array_length(*arr);
}

static int parse_one(const char *what, int rc, struct model_errors *errs)
{
	char buf[256];

	if (rc == 0 && !model_errors_failed(errs)) {
		model_errors_free(errs);
		return 0;
	}
	fprintf(stderr, "error: %s: %s\n", what,
		model_errors_count(errs) ? model_errors_format(errs, 0, buf, sizeof(buf)) : "unreadable");
	model_errors_free(errs);
	return -EINVAL;
}

static int state_load(const char *path, struct state *s)
{
	struct model_errors errs = MODEL_ERRORS_INIT;
	json_object *arr, *e, *v;
	size_t n, i;
	int rc = 0;

	memset(s, 0, sizeof(*s));
	s->root = json_object_from_file(path);
	if (!s->root) {
		fprintf(stderr, "error: %s: not JSON\n", path);
		return -EINVAL;
	}
	n = array_len(s->root, "namespaces", &arr);
	s->ns = calloc(n + 1, sizeof(*s->ns));
	for (i = 0; s->ns && i < n && rc == 0; i++, s->ns_count++)
		rc = parse_one("namespace", namespace_from_json(json_object_array_get_idx(arr, i),
								&s->ns[i], &errs), &errs);
	n = array_len(s->root, "pods", &arr);
	s->pods = calloc(n + 1, sizeof(*s->pods));
	for (i = 0; s->pods && i < n && rc == 0; i++, s->pod_count++)
		rc = parse_one("pod", pod_from_json(json_object_array_get_idx(arr, i), &s->pods[i],
						    &errs), &errs);
	n = array_len(s->root, "policies", &arr);
	s->np = calloc(n + 1, sizeof(*s->np));
	for (i = 0; s->np && i < n && rc == 0; i++, s->np_count++)
		rc = parse_one("policy", networkpolicy_from_json(json_object_array_get_idx(arr, i),
								 &s->np[i], &errs), &errs);
	n = array_len(s->root, "endpoints", &arr);
	s->eps = calloc(n + 1, sizeof(*s->eps));
	if (!s->ns || !s->pods || !s->np || !s->eps)
		return -ENOMEM;
	for (i = 0; i < n && rc == 0; i++) {
		e = json_object_array_get_idx(arr, i);
		/* strings stay owned by s->root */
		if (json_object_object_get_ex(e, "iface", &v))
			s->eps[i].iface = json_object_get_string(v);
		if (json_object_object_get_ex(e, "namespace", &v))
			s->eps[i].pod_namespace = json_object_get_string(v);
		if (json_object_object_get_ex(e, "pod", &v))
			s->eps[i].pod_name = json_object_get_string(v);
		s->ep_count++;
	}
	return rc;
}

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

struct ruleset_size {
	size_t sets, elements, chains, rules;
};

static struct ruleset_size ruleset_size(const struct policy_ruleset *rs)
{
	struct ruleset_size z = { rs->set_count, 0, rs->chain_count, 0 };
	size_t i;

	for (i = 0; i < rs->set_count; i++)
		z.elements += rs->sets[i].elements.count;
	for (i = 0; i < rs->chain_count; i++)
		z.rules += rs->chains[i].rules.count;
	return z;
}

static int apply_state(struct policy_applier *a, const char *path, int step)
{
	struct policy_ruleset rs = { 0 };
	struct ruleset_size size = { 0 };
	struct policy_model m;
	struct state s;
	struct policy_input in;
	struct policy_diff_stats st;
	long long t0, t1, t2 = 0, compile_us, diff_us = 0;
	char *batch = NULL;
	int rc;

	rc = state_load(path, &s);
	if (rc < 0)
		goto out_state;
	in = (struct policy_input){ s.pods, s.pod_count, s.ns, s.ns_count, s.np, s.np_count };
	rc = policy_model_build(&in, &m);
	if (rc < 0)
		goto out_state;
	t0 = now_us();
	rc = policy_compile(&m, s.eps, s.ep_count, &rs);
	t1 = now_us();
	compile_us = t1 - t0;
	if (rc == 0) {
		size = ruleset_size(&rs); /* policy_apply() moves rs out on success */
		if (a->in_sync) {
			/* -ENOTSUP: policy_apply() falls back to a full apply */
			if (policy_diff(&a->current, &rs, &batch, &st) == -ENOMEM)
				rc = -ENOMEM;
			diff_us = now_us() - t1;
			free(batch);
		}
		t1 = now_us();
		if (rc == 0)
			rc = policy_apply(a, &rs);
		t2 = now_us();
	}
	if (rc == 0)
		printf("step=%d mode=%s sets_added=%zu sets_removed=%zu sets_refilled=%zu "
		       "elements_added=%zu "
		       "elements_removed=%zu chains_added=%zu chains_removed=%zu sets=%zu "
		       "elements=%zu chains=%zu rules=%zu compile_us=%lld diff_us=%lld "
		       "apply_us=%lld\n",
		       step, a->last_was_full ? "full" : "incremental", a->last.sets_added,
		       a->last.sets_removed, a->last.sets_refilled, a->last.elements_added, a->last.elements_removed,
		       a->last.chains_added, a->last.chains_removed, size.sets, size.elements,
		       size.chains, size.rules, compile_us, diff_us, t2 - t1);
	else
		fprintf(stderr, "error: %s: apply failed: %s\n", path, strerror(-rc));
	fflush(stdout);
	policy_ruleset_free(&rs);
	policy_model_free(&m);
out_state:
	state_free(&s);
	return rc;
}

static int run_file(const char *path)
{
	struct policy_applier a;
	char err[512], *text = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f = fopen(path, "r");
	int rc;

	if (!f) {
		perror(path);
		return 1;
	}
	n = getdelim(&text, &cap, '\0', f);
	fclose(f);
	if (n < 0) {
		free(text);
		return 1;
	}
	if (policy_applier_init(&a) < 0) {
		free(text);
		return 1;
	}
	rc = policy_nft_run(a.nft, text, err, sizeof(err));
	if (rc < 0)
		printf("error: %s\n", err);
	policy_applier_free(&a);
	free(text);
	return rc < 0 ? 1 : 0;
}

static int run_stdin(void)
{
	struct policy_applier a;
	char line[4096];
	int step = 0, rc = 0;

	if (policy_applier_init(&a) < 0)
		return 1;
	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\n")] = '\0';
		if (!line[0])
			continue;
		rc = apply_state(&a, line, step++);
		if (rc < 0) {
			printf("step=%d error=%d\n", step - 1, -rc);
			fflush(stdout);
		}
	}
	policy_applier_free(&a);
	return 0;
}

int main(int argc, char **argv)
{
	struct policy_applier a;
	int first = 1, loops = 0, i, k, step = 0, rc = 0;

	log_init("policy_apply_cli");
	if (argc == 3 && strcmp(argv[1], "--run") == 0)
		return run_file(argv[2]);
	if (argc == 2 && strcmp(argv[1], "--stdin") == 0)
		return run_stdin();
	if (argc > 2 && strcmp(argv[1], "--loop") == 0) {
		loops = atoi(argv[2]);
		first = 3;
	}
	if (first >= argc) {
		fprintf(stderr, "usage: %s [--loop N] STATE.json... | --run FILE\n", argv[0]);
		return 2;
	}
	if (policy_applier_init(&a) < 0) {
		fprintf(stderr, "error: libnftables context\n");
		return 1;
	}
	for (k = 0; k <= loops && rc == 0; k++)
		for (i = first; i < argc && rc == 0; i++)
			rc = apply_state(&a, argv[i], step++);
	policy_applier_free(&a);
	return rc < 0 ? 1 : 0;
}
