/* kube_informer: run an informer on ConfigMaps with a label selector and
 * report, one line each on stdout, every callback it dispatches:
 *     SYNCED
 *     ADD <ns>/<name> <rv>
 *     UPDATE <ns>/<name> <old rv> <new rv>
 *     DELETE <ns>/<name> <rv>
 * Commands on stdin (one per line):
 *     dump  -> "CACHE <name>=<rv> ..." (sorted by name) then
 *              "STATS lists=.. relists=.. watches=.. reconnects=.. expired=.. errors=.."
 *     quit  -> stop the informer, free everything, exit 0
 * usage: kube_informer KUBECONFIG NAMESPACE LABELSELECTOR WATCH_TIMEOUT_SECONDS
 * The event loop is the daemons' shape: poll() on stdin and informer_fd(). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "informer.h"
#include "kubeconfig.h"
#include "log.h"

static void print_obj(const char *what, json_object *obj)
{
	printf("%s %s/%s %s", what, kube_object_namespace(obj), kube_object_name(obj),
	       kube_object_resource_version(obj));
}

static void on_add(json_object *obj, void *ctx)
{
	print_obj("ADD", obj);
	printf("\n");
}

static void on_update(json_object *old_obj, json_object *new_obj, void *ctx)
{
	print_obj("UPDATE", old_obj);
	printf(" %s\n", kube_object_resource_version(new_obj));
}

static void on_delete(json_object *obj, void *ctx)
{
	print_obj("DELETE", obj);
	printf("\n");
}

static int by_name(const void *a, const void *b)
{
	json_object *const *x = a, *const *y = b;

	return strcmp(kube_object_name(*x), kube_object_name(*y));
}

static void dump(struct informer *inf)
{
	struct informer_stats st;
	json_object *all = informer_list(inf);
	size_t i, n = all ? json_object_array_length(all) : 0;

	if (n)
		json_object_array_sort(all, by_name);
	printf("CACHE");
	for (i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(all, i);

		printf(" %s=%s", kube_object_name(o), kube_object_resource_version(o));
	}
	printf("\n");
	json_object_put(all);
	informer_stats(inf, &st);
	printf("STATS lists=%lu relists=%lu watches=%lu reconnects=%lu expired=%lu errors=%lu\n",
	       st.lists, st.relists, st.watches, st.watch_reconnects, st.expired, st.errors);
}

int main(int argc, char **argv)
{
	struct informer_options opts = {
		.resource = { "", "v1", "configmaps", true },
		.handlers = { on_add, on_update, on_delete, NULL },
		.backoff_initial_ms = 100,
		.backoff_max_ms = 1000,
		.page_size = 2, /* exercise pagination */
	};
	struct kube_client *client = NULL;
	struct informer *inf = NULL;
	struct kube_config cfg;
	struct pollfd pfd[2];
	char err[512], line[256];
	int rc, synced_told = 0, running = 1;

	if (argc < 5) {
		fprintf(stderr, "usage: %s KUBECONFIG NS LABELSELECTOR WATCH_TIMEOUT [compact]\n",
			argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	log_init("kube_informer");
	rc = kube_config_load_file(argv[1], &cfg, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	rc = kube_client_new(&cfg, &client);
	kube_config_free(&cfg);
	if (rc)
		goto out;
	opts.namespace = argv[2];
	opts.label_selector = argv[3];
	opts.watch_timeout_seconds = atoi(argv[4]);
	opts.compact_cache = argc > 5 && strcmp(argv[5], "compact") == 0;
	rc = informer_new(client, &opts, &inf);
	if (!rc)
		rc = informer_start(inf);
	if (rc)
		goto out;
	pfd[0].fd = STDIN_FILENO;
	pfd[0].events = POLLIN;
	pfd[1].fd = informer_fd(inf);
	pfd[1].events = POLLIN;
	while (running) {
		if (poll(pfd, 2, 200) < 0) {
			if (errno == EINTR) /* SIGSTOP/SIGCONT from the test */
				continue;
			rc = -errno;
			break;
		}
		if (pfd[1].revents & POLLIN)
			informer_dispatch(inf);
		if (!synced_told && informer_synced(inf)) {
			/* The initial list's adds are queued before synced is set. */
			informer_dispatch(inf);
			printf("SYNCED\n");
			synced_told = 1;
		}
		if (pfd[0].revents & (POLLIN | POLLHUP)) {
			if (!fgets(line, sizeof(line), stdin) || strncmp(line, "quit", 4) == 0) {
				running = 0;
			} else if (strncmp(line, "dump", 4) == 0) {
				informer_dispatch(inf);
				dump(inf);
			}
		}
	}
out:
	informer_free(inf);
	kube_client_free(client);
	if (rc)
		fprintf(stderr, "error: %s\n", strerror(-rc));
	return rc ? 1 : 0;
}
