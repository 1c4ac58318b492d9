/* ipam_engine_cli: drives ipam/engine against an API server for
 * tests/e2e/test_ipam_engine.py.
 *
 *   ipam_engine_cli KUBECONFIG assign NODE HANDLE [v4 [v6 [POOL...]]]
 *       one line per address: "<ip> <block> <pool name>"
 *   ipam_engine_cli KUBECONFIG bulk NODE PREFIX COUNT
 *       COUNT assigns of one IPv4 address to handles PREFIX.0 .. PREFIX.N-1,
 *       one "<ip> <block>" line each (for the race test)
 *   ipam_engine_cli KUBECONFIG release HANDLE         -> "released <n>"
 *   ipam_engine_cli KUBECONFIG bulk-release PREFIX COUNT
 *   ipam_engine_cli KUBECONFIG release-ip IP [HANDLE] -> "released 0|1"
 * Exit status: 0 ok, 3 exhausted (-ENOSPC), 4 no pool (-ENOENT), 5 -EPERM,
 * 1 anything else; the engine's message goes to stderr as "error: ...". */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "kube_client.h"
#include "kubeconfig.h"
#include "log.h"

static int exit_code(int rc)
{
	switch (rc) {
	case 0:
		return 0;
	case -ENOSPC:
		return 3;
	case -ENOENT:
		return 4;
	case -EPERM:
		return 5;
	default:
		return 1;
	}
}

static void print_result(const struct ipam_result *res)
{
	char ip[IP_ADDR_STRLEN], block[CIDR_STRLEN];
	size_t i;

	for (i = 0; i < res->count; i++) {
		ip_format(&res->addrs[i].addr, ip, sizeof(ip));
		cidr_format(&res->addrs[i].block, block, sizeof(block));
		printf("%s %s %s\n", ip, block, res->addrs[i].pool_name);
	}
	fflush(stdout);
}

static int do_assign(struct ipam_engine *e, int argc, char **argv)
{
	struct ipam_request req;
	struct ipam_result res;
	int rc;

	if (argc < 2)
		return -EINVAL;
	memset(&req, 0, sizeof(req));
	req.node = argv[0];
	req.handle_id = argv[1];
	req.namespace = "default";
	req.pod = argv[1];
	req.num_v4 = argc > 2 ? (unsigned)atoi(argv[2]) : 1;
	req.num_v6 = argc > 3 ? (unsigned)atoi(argv[3]) : 0;
	if (argc > 4) {
		req.pools_v4 = (const char *const *)&argv[4];
		req.pools_v4_count = (size_t)(argc - 4);
		req.pools_v6 = req.pools_v4;
		req.pools_v6_count = req.pools_v4_count;
	}
	rc = ipam_assign(e, &req, &res);
	if (rc < 0) {
		fprintf(stderr, "error: rc=%d %s\n", rc, res.error);
		return rc;
	}
	print_result(&res);
	return 0;
}

static int do_bulk(struct ipam_engine *e, const char *node, const char *prefix, int count)
{
	struct ipam_request req;
	struct ipam_result res;
	char handle[256];
	int i, rc;

	for (i = 0; i < count; i++) {
		snprintf(handle, sizeof(handle), "%s.%d", prefix, i);
		memset(&req, 0, sizeof(req));
		req.node = node;
		req.handle_id = handle;
		req.num_v4 = 1;
		rc = ipam_assign(e, &req, &res);
		if (rc < 0) {
			fprintf(stderr, "error: handle=%s rc=%d %s\n", handle, rc, res.error);
			return rc;
		}
		print_result(&res);
	}
	return 0;
}

static int do_release(struct ipam_engine *e, const char *handle)
{
	char err[IPAM_ERROR_MAX] = "";
	size_t n = 0;
	int rc = ipam_release_handle(e, handle, &n, err, sizeof(err));

	if (rc < 0) {
		fprintf(stderr, "error: rc=%d %s\n", rc, err);
		return rc;
	}
	printf("released %zu\n", n);
	return 0;
}

static int do_bulk_release(struct ipam_engine *e, const char *prefix, int count)
{
	char handle[256], err[IPAM_ERROR_MAX] = "";
	size_t n = 0, total = 0;
	int i, rc;

	for (i = 0; i < count; i++) {
		snprintf(handle, sizeof(handle), "%s.%d", prefix, i);
		rc = ipam_release_handle(e, handle, &n, err, sizeof(err));
		if (rc < 0) {
			fprintf(stderr, "error: handle=%s rc=%d %s\n", handle, rc, err);
			return rc;
		}
		total += n;
	}
	printf("released %zu\n", total);
	return 0;
}

static int do_release_ip(struct ipam_engine *e, const char *text, const char *handle)
{
	char err[IPAM_ERROR_MAX] = "";
	struct ip_addr ip;
	bool released = false;
	int rc;

	if (ip_parse(text, &ip) < 0)
		return -EINVAL;
	rc = ipam_release_ip(e, &ip, handle, &released, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "error: rc=%d %s\n", rc, err);
		return rc;
	}
	printf("released %d\n", released ? 1 : 0);
	return 0;
}

int main(int argc, char **argv)
{
	struct kube_config cfg;
	struct kube_client *client = NULL;
	struct ipam_engine *engine = NULL;
	char err[512];
	const char *verb;
	int rc;

	if (argc < 3) {
		fprintf(stderr, "usage: %s KUBECONFIG assign|bulk|release|bulk-release|release-ip ...\n",
			argv[0]);
		return 2;
	}
	log_init("ipam-test");
	log_set_level(LOG_LEVEL_WARN);
	if (getenv("IPAM_DEBUG"))
		log_set_level(LOG_LEVEL_DEBUG);
	rc = kube_config_load_file(argv[1], &cfg, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "error: kubeconfig: %s\n", err);
		return 1;
	}
	rc = kube_client_new(&cfg, &client);
	if (rc == 0)
		rc = ipam_engine_new(client, NULL, &engine);
	if (rc < 0) {
		fprintf(stderr, "error: client: %d\n", rc);
		goto out;
	}
	verb = argv[2];
	if (strcmp(verb, "assign") == 0)
		rc = do_assign(engine, argc - 3, argv + 3);
	else if (strcmp(verb, "bulk") == 0 && argc == 6)
		rc = do_bulk(engine, argv[3], argv[4], atoi(argv[5]));
	else if (strcmp(verb, "release") == 0 && argc == 4)
		rc = do_release(engine, argv[3]);
	else if (strcmp(verb, "bulk-release") == 0 && argc == 5)
		rc = do_bulk_release(engine, argv[3], atoi(argv[4]));
	else if (strcmp(verb, "release-ip") == 0 && (argc == 4 || argc == 5))
		rc = do_release_ip(engine, argv[3], argc == 5 ? argv[4] : NULL);
	else {
		fprintf(stderr, "error: bad arguments for %s\n", verb);
		rc = -EINVAL;
	}
out:
	ipam_engine_free(engine);
	kube_client_free(client);
	kube_config_free(&cfg);
	return exit_code(rc);
}
