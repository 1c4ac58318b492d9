/* kube_probe: list configmaps in "default" with a kubeconfig whose pieces
 * can be overridden, and print the outcome as one line, so pytest can check
 * how authentication, TLS and connection failures are reported.
 *
 * usage: kube_probe KUBECONFIG [--token T | --token-file F | --no-token] [--ca FILE]
 *                   [--server URL] [--again N]
 * prints "ok items=N" (exit 0) or "error rc=-N code=C message=..." (exit 1).
 * --again N: after the first list, N more, each once a line arrives on stdin
 * (one client throughout: tests rotate the token file in between). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube_client.h"
#include "kubeconfig.h"
#include "log.h"

int main(int argc, char **argv)
{
	static const struct kube_resource configmaps = { "", "v1", "configmaps", true };
	struct kube_config cfg;
	struct kube_client *client = NULL;
	struct kube_error kerr = { 0 };
	json_object *list = NULL, *items;
	char err[512], line[64];
	int i, rc, again = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s KUBECONFIG [--token T|--no-token] [--ca F] [--server U]\n",
			argv[0]);
		return 2;
	}
	log_init("kube_probe");
	rc = kube_config_load_file(argv[1], &cfg, err, sizeof(err));
	if (rc) {
		printf("error rc=%d code=0 message=%s\n", rc, err);
		return 1;
	}
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--no-token") == 0) {
			free(cfg.token);
			free(cfg.token_file);
			cfg.token = cfg.token_file = NULL;
			continue;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "%s needs a value\n", argv[i]);
			kube_config_free(&cfg);
			return 2;
		}
		if (0) {
			free(cfg.token);
			free(cfg.token_file);
			cfg.token = cfg.token_file = NULL;
		} else if (strcmp(argv[i], "--token") == 0) {
			free(cfg.token);
			cfg.token = strdup(argv[++i]);
		} else if (strcmp(argv[i], "--token-file") == 0) {
			free(cfg.token);
			free(cfg.token_file);
			cfg.token = NULL;
			cfg.token_file = strdup(argv[++i]);
		} else if (strcmp(argv[i], "--again") == 0) {
			again = atoi(argv[++i]);
		} else if (strcmp(argv[i], "--ca") == 0) {
			free(cfg.ca_file);
			free(cfg.ca_data);
			cfg.ca_data = NULL;
			cfg.ca_file = strdup(argv[++i]);
		} else if (strcmp(argv[i], "--server") == 0) {
			free(cfg.server);
			cfg.server = strdup(argv[++i]);
		} else {
			fprintf(stderr, "unknown option %s\n", argv[i]);
			kube_config_free(&cfg);
			return 2;
		}
	}
	rc = kube_client_new_timeouts(&cfg, 5000, 10000, &client);
	if (rc) {
		printf("error rc=%d code=0 message=client: %s\n", rc, strerror(-rc));
		goto out;
	}
	for (;;) {
		rc = kube_list(client, &configmaps, "default", NULL, &list, &kerr);
		if (rc) {
			printf("error rc=%d code=%d message=%s\n", rc, kerr.code, kerr.message);
			goto out;
		}
		json_object_object_get_ex(list, "items", &items);
		printf("ok items=%zu\n", json_object_array_length(items));
		fflush(stdout);
		json_object_put(list);
		list = NULL;
		if (again-- <= 0 || !fgets(line, sizeof(line), stdin))
			break;
	}
out:
	json_object_put(list);
	kube_client_free(client);
	kube_config_free(&cfg);
	return rc ? 1 : 0;
}
