/* kube_cas: compare-and-swap increments of data.counter in one ConfigMap.
 *
 * usage: kube_cas KUBECONFIG NAMESPACE NAME increment N
 *            N increments through kube_update_cas; a short pause between read
 *            and write widens the race window when two of these run at once.
 *        kube_cas KUBECONFIG NAMESPACE NAME race
 *            one increment whose first attempt is made stale by a competing
 *            write from inside the mutate callback: the retry must win, once.
 * prints "done increments=N conflicts=C attempts=A" (exit 0) or an error. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kube_client.h"
#include "kubeconfig.h"
#include "log.h"

static const struct kube_resource configmaps = { "", "v1", "configmaps", true };

struct cas_ctx {
	struct kube_client *client;
	const char *ns, *name;
	int attempts;
	int race; /* make the first attempt stale */
	unsigned pause_us;
};

static long counter_of(json_object *obj)
{
	json_object *data, *value;

	if (!json_object_object_get_ex(obj, "data", &data) ||
	    !json_object_object_get_ex(data, "counter", &value))
		return 0;
	return strtol(json_object_get_string(value), NULL, 10);
}

static int set_counter(json_object *obj, long value)
{
	json_object *data;
	char text[32];

	if (!json_object_object_get_ex(obj, "data", &data) ||
	    !json_object_is_type(data, json_type_object)) {
		data = json_object_new_object();
		if (!data)
			return -ENOMEM;
		json_object_object_add(obj, "data", data);
	}
	snprintf(text, sizeof(text), "%ld", value);
	return json_object_object_add(data, "counter", json_object_new_string(text)) ? -ENOMEM : 0;
}

/* A competing writer: a plain GET + PUT of counter+1 on its own. */
static int compete(struct cas_ctx *c)
{
	struct kube_error err;
	json_object *obj = NULL;
	int rc;

	rc = kube_get(c->client, &configmaps, c->ns, c->name, &obj, &err);
	if (!rc)
		rc = set_counter(obj, counter_of(obj) + 1);
	if (!rc)
		rc = kube_update(c->client, &configmaps, c->ns, c->name, obj, NULL, &err);
	if (rc)
		fprintf(stderr, "competing write failed: %s\n", err.message);
	json_object_put(obj);
	return rc;
}

static int increment(json_object *obj, void *ctx)
{
	struct cas_ctx *c = ctx;
	int rc;

	c->attempts++;
	if (c->race && c->attempts == 1) {
		rc = compete(c);
		if (rc)
			return rc;
	}
	if (c->pause_us)
		usleep(c->pause_us);
	return set_counter(obj, counter_of(obj) + 1);
}

int main(int argc, char **argv)
{
	struct cas_ctx ctx = { 0 };
	struct kube_config cfg;
	struct kube_client_stats st;
	struct kube_error kerr;
	char err[512];
	long i, n = 1;
	int rc;

	if (argc < 5 || (strcmp(argv[4], "race") != 0 &&
			 (strcmp(argv[4], "increment") != 0 || argc < 6))) {
		fprintf(stderr, "usage: %s KUBECONFIG NS NAME increment N | race\n", argv[0]);
		return 2;
	}
	log_init("kube_cas");
	rc = kube_config_load_file(argv[1], &cfg, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	rc = kube_client_new(&cfg, &ctx.client);
	kube_config_free(&cfg);
	if (rc) {
		fprintf(stderr, "client: %s\n", strerror(-rc));
		return 1;
	}
	ctx.ns = argv[2];
	ctx.name = argv[3];
	if (strcmp(argv[4], "race") == 0) {
		ctx.race = 1;
	} else {
		n = strtol(argv[5], NULL, 10);
		ctx.pause_us = 3000;
	}
	for (i = 0; i < n; i++) {
		rc = kube_update_cas(ctx.client, &configmaps, ctx.ns, ctx.name, increment, &ctx, 1000,
				     NULL, &kerr);
		if (rc) {
			fprintf(stderr, "cas failed rc=%d: %s\n", rc, kerr.message);
			break;
		}
	}
	kube_client_stats(ctx.client, &st);
	if (!rc)
		printf("done increments=%ld conflicts=%lu attempts=%d\n", n, st.conflicts,
		       ctx.attempts);
	kube_client_free(ctx.client);
	return rc ? 1 : 0;
}
