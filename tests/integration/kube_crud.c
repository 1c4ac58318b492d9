/* kube_crud: one kube_client call from the command line, for pytest to check
 * paths, verbs and error mapping on any resource (core or CRD, namespaced or
 * cluster-scoped).
 *
 * usage: kube_crud KUBECONFIG GROUP VERSION PLURAL NAMESPACED NS VERB [ARGS]
 *   GROUP "" for core, NAMESPACED 0/1, NS "-" for none / all namespaces
 *   get NAME | list [LABELSELECTOR] | create JSON | update JSON
 *   patch NAME JSON | delete NAME [RESOURCEVERSION]
 * prints "ok <object JSON>" (exit 0; list prints "ok items=N transformed=T with_data=D rv=RV") or
 * "error rc=-N code=C reason=R message=M" (exit 1). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube_client.h"
#include "kubeconfig.h"
#include "log.h"

static int usage(const char *prog)
{
	fprintf(stderr, "usage: %s KUBECONFIG GROUP VERSION PLURAL NAMESPACED NS VERB [ARGS]\n",
		prog);
	return 2;
}

/* list: each item is trimmed of "data" as its page arrives (kube_list_opts
 * .transform); the output counts the calls and the items still holding it. */
static int transformed;

static void list_transform(json_object *item)
{
	transformed++;
	json_object_object_del(item, "data");
}

static size_t with_data(json_object *items)
{
	size_t i, n = 0;

	for (i = 0; i < json_object_array_length(items); i++)
		n += json_object_object_get_ex(json_object_array_get_idx(items, i), "data", NULL);
	return n;
}

int main(int argc, char **argv)
{
	struct kube_resource res;
	struct kube_config cfg;
	struct kube_client *client = NULL;
	struct kube_error kerr = { 0 };
	json_object *in = NULL, *out = NULL, *items;
	const char *ns, *verb;
	char err[512];
	int rc;

	if (argc < 8)
		return usage(argv[0]);
	log_init("kube_crud");
	res.group = argv[2];
	res.version = argv[3];
	res.plural = argv[4];
	res.namespaced = strcmp(argv[5], "1") == 0;
	ns = strcmp(argv[6], "-") == 0 ? NULL : argv[6];
	verb = argv[7];
	rc = kube_config_load_file(argv[1], &cfg, err, sizeof(err));
	if (rc) {
		printf("error rc=%d code=0 reason=config message=%s\n", rc, err);
		return 1;
	}
	rc = kube_client_new(&cfg, &client);
	kube_config_free(&cfg);
	if (rc) {
		printf("error rc=%d code=0 reason=client message=%s\n", rc, strerror(-rc));
		return 1;
	}
	if (strcmp(verb, "get") == 0 && argc == 9) {
		rc = kube_get(client, &res, ns, argv[8], &out, &kerr);
	} else if (strcmp(verb, "list") == 0) {
		struct kube_list_opts opts = { .label_selector = argc > 8 ? argv[8] : NULL,
					       .page_size = 1, .transform = list_transform };

		rc = kube_list(client, &res, ns, &opts, &out, &kerr);
		if (!rc) {
			json_object_object_get_ex(out, "items", &items);
			printf("ok items=%zu transformed=%d with_data=%zu rv=%s\n",
			       json_object_array_length(items), transformed, with_data(items),
			       kube_object_resource_version(out));
			goto out;
		}
	} else if ((strcmp(verb, "create") == 0 || strcmp(verb, "update") == 0) && argc == 9) {
		in = json_tokener_parse(argv[8]);
		if (!in)
			return usage(argv[0]);
		rc = verb[0] == 'c' ? kube_create(client, &res, ns, in, &out, &kerr)
				    : kube_update(client, &res, ns, NULL, in, &out, &kerr);
	} else if (strcmp(verb, "patch") == 0 && argc == 10) {
		in = json_tokener_parse(argv[9]);
		if (!in)
			return usage(argv[0]);
		rc = kube_patch_merge(client, &res, ns, argv[8], in, &out, &kerr);
	} else if (strcmp(verb, "delete") == 0 && (argc == 9 || argc == 10)) {
		rc = kube_delete(client, &res, ns, argv[8], argc == 10 ? argv[9] : NULL, &kerr);
	} else {
		kube_client_free(client);
		return usage(argv[0]);
	}
	if (rc)
		printf("error rc=%d code=%d reason=%s message=%s\n", rc, kerr.code, kerr.reason,
		       kerr.message);
	else
		printf("ok %s\n", out ? json_object_to_json_string_ext(out, JSON_C_TO_STRING_PLAIN)
				      : "{}");
out:
	json_object_put(in);
	json_object_put(out);
	kube_client_free(client);
	return rc ? 1 : 0;
}
