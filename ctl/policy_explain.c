/* policy: `twillctl policy explain --from NS/POD|IP|node --to NS/POD|IP
 * --port PORT[/PROTO] [--kubeconfig PATH]`.
 *
 * Lists Pods, Namespaces and NetworkPolicies from the API server (one list
 * each, all namespaces) and hands them to policy_explain() (policy/), which
 * evaluates with the same model the nftables compiler is checked against.
 * Exit status: 0 when the question was answered (allow or deny, printed on
 * stdout as "verdict: ..."), 1 on API/transport errors or an unknown pod,
 * 2 on usage errors. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "kube_client.h"
#include "kubeconfig.h"
#include "policy_explain.h"

static const struct kube_resource res_pods = { "", "v1", "pods", true };
static const struct kube_resource res_namespaces = { "", "v1", "namespaces", false };
static const struct kube_resource res_policies = { "networking.k8s.io", "v1", "networkpolicies",
						   true };

static void policy_usage(FILE *out)
{
	fprintf(out, "usage: twillctl policy explain --from NS/POD|IP|node --to NS/POD|IP\n"
		     "                               [--port PORT[/TCP|UDP|SCTP]] [--kubeconfig PATH]\n"
		     "  Says whether a new connection would be allowed by the NetworkPolicies in\n"
		     "  force, and which policy and rule decides (or which policies isolate).\n"
		     "  --port defaults to 80/TCP; \"node\" is the destination pod's own node.\n");
}

static int list_all(struct kube_client *c, const struct kube_resource *res, json_object **out)
{
	struct kube_error kerr;
	int rc;

	memset(&kerr, 0, sizeof(kerr));
	rc = kube_list(c, res, NULL, NULL, out, &kerr);
	if (rc < 0)
		fprintf(stderr, "twillctl policy explain: list %s: %s\n", res->plural,
			kerr.message[0] ? kerr.message : strerror(-rc));
	return rc;
}

static int explain_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "port", required_argument, NULL, 'p' },
		{ "kubeconfig", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct policy_explain_query q = { NULL, NULL, "80/TCP" };
	json_object *pods = NULL, *namespaces = NULL, *policies = NULL;
	struct kube_client *client = NULL;
	struct kube_config cfg;
	const char *kubeconfig = NULL;
	char err[512];
	bool allowed = false;
	int c, rc, port, proto;

	optind = 1;
	while ((c = getopt_long(argc, argv, "f:t:p:k:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			q.from = optarg;
			break;
		case 't':
			q.to = optarg;
			break;
		case 'p':
			q.port = optarg;
			break;
		case 'k':
			kubeconfig = optarg;
			break;
		case 'h':
			policy_usage(stdout);
			return 0;
		default:
			policy_usage(stderr);
			return 2;
		}
	}
	if (!q.from || !q.to || optind != argc) {
		policy_usage(stderr);
		return 2;
	}
	if (policy_explain_parse_port(q.port, &port, &proto) < 0) {
		fprintf(stderr, "twillctl policy explain: --port %s: want PORT[/TCP|UDP|SCTP]\n",
			q.port);
		return 2;
	}
	memset(&cfg, 0, sizeof(cfg));
	err[0] = '\0';
	rc = kube_config_load_user(kubeconfig, &cfg, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "twillctl policy explain: %s\n", err[0] ? err : strerror(-rc));
		return 1;
	}
	rc = kube_client_new(&cfg, &client);
	if (rc < 0) {
		fprintf(stderr, "twillctl policy explain: cannot create API client: %s\n",
			strerror(-rc));
		goto out;
	}
	rc = list_all(client, &res_pods, &pods);
	if (rc == 0)
		rc = list_all(client, &res_namespaces, &namespaces);
	if (rc == 0)
		rc = list_all(client, &res_policies, &policies);
	if (rc < 0)
		goto out;
	rc = policy_explain(pods, namespaces, policies, &q, stdout, &allowed, err, sizeof(err));
	if (rc < 0)
		fprintf(stderr, "twillctl policy explain: %s\n", err[0] ? err : strerror(-rc));
	if (rc == -EINVAL) {
		rc = 2;
		goto done;
	}
out:
	rc = rc < 0 ? 1 : 0;
done:
	if (pods)
		json_object_put(pods);
	if (namespaces)
		json_object_put(namespaces);
	if (policies)
		json_object_put(policies);
	kube_client_free(client);
	kube_config_free(&cfg);
	return rc;
}

int ctl_policy_main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "explain") == 0)
		return explain_main(argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0)) {
		policy_usage(stdout);
		return 0;
	}
	policy_usage(stderr);
	return 2;
}
