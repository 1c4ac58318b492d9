/* bird_render_cli NODE FILE.json...: render NODE's BIRD configuration from
 * datastore objects in JSON files (each a single object or a List with
 * "items"), printing it on stdout. Lets tests/e2e/test_bird_config.py feed
 * real renders to `bird -p`. Objects of kinds the renderer does not read are
 * ignored; an object that does not parse is an error (exit 1). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bird_model.h"
#include "bird_render.h"

#define MAX_OBJECTS 256

struct store {
	struct bgpconfig configs[8];
	size_t config_count;
	struct node nodes[MAX_OBJECTS];
	struct bgppeer peers[MAX_OBJECTS];
	struct ippool pools[MAX_OBJECTS];
	struct blockaffinity affs[MAX_OBJECTS];
	struct secret secrets[MAX_OBJECTS];
	const struct node *np[MAX_OBJECTS];
	const struct bgppeer *pp[MAX_OBJECTS];
	const struct ippool *poolp[MAX_OBJECTS];
	const struct blockaffinity *ap[MAX_OBJECTS];
	const struct secret *sp[MAX_OBJECTS];
	struct bird_sources src;
};

static int add_object(struct store *s, json_object *obj, const char *node_name)
{
	struct model_errors errs = MODEL_ERRORS_INIT;
	json_object *v;
	const char *api = "", *kind = "";
	int rc = 0;

	if (json_object_object_get_ex(obj, "apiVersion", &v))
		api = json_object_get_string(v);
	if (json_object_object_get_ex(obj, "kind", &v))
		kind = json_object_get_string(v);
	switch (model_kind_lookup(api, kind)) {
	case MODEL_KIND_BGPCONFIGURATION: {
		struct bgpconfig *c;

		if (s->config_count == 8)
			return -ENOSPC;
		c = &s->configs[s->config_count++];
		rc = bgpconfig_from_json(obj, c, &errs);
		if (rc == 0 && c->meta.name && strcmp(c->meta.name, "default") == 0)
			s->src.config = c;
		else if (rc == 0 && c->meta.name && strncmp(c->meta.name, "node.", 5) == 0 &&
			 strcmp(c->meta.name + 5, node_name) == 0)
			s->src.node_config = c;
		break;
	}
#define ADD(KIND, fn, arr, ptrs, count)                                        \
	case KIND:                                                             \
		if (s->src.count == MAX_OBJECTS)                               \
			return -ENOSPC;                                        \
		rc = fn##_from_json(obj, &s->arr[s->src.count], &errs);        \
		s->ptrs[s->src.count] = &s->arr[s->src.count];                 \
		s->src.count++;                                                \
		break;
	ADD(MODEL_KIND_NODE, node, nodes, np, node_count)
	ADD(MODEL_KIND_BGPPEER, bgppeer, peers, pp, peer_count)
	ADD(MODEL_KIND_IPPOOL, ippool, pools, poolp, pool_count)
	ADD(MODEL_KIND_BLOCKAFFINITY, blockaffinity, affs, ap, affinity_count)
	ADD(MODEL_KIND_SECRET, secret, secrets, sp, secret_count)
	default:
		break;
	}
	if (rc == 0 && model_errors_failed(&errs))
		rc = -EINVAL;
	if (rc < 0) {
		char line[512];

		fprintf(stderr, "bird_render_cli: %s %s does not parse\n", kind, api);
		for (size_t i = 0; i < errs.count; i++)
			fprintf(stderr, "  %s\n", model_errors_format(&errs, i, line, sizeof(line)));
	}
	model_errors_free(&errs);
	return rc;
}

static void store_free(struct store *s)
{
	size_t i;

	for (i = 0; i < s->config_count; i++)
		bgpconfig_free(&s->configs[i]);
	for (i = 0; i < s->src.node_count; i++)
		node_free(&s->nodes[i]);
	for (i = 0; i < s->src.peer_count; i++)
		bgppeer_free(&s->peers[i]);
	for (i = 0; i < s->src.pool_count; i++)
		ippool_free(&s->pools[i]);
	for (i = 0; i < s->src.affinity_count; i++)
		blockaffinity_free(&s->affs[i]);
	for (i = 0; i < s->src.secret_count; i++)
		secret_free(&s->secrets[i]);
	free(s);
}

int main(int argc, char **argv)
{
	struct store *s;
	struct bird_input in;
	char err[256], *text = NULL;
	int i, rc = 1;

	if (argc < 3) {
		fprintf(stderr, "usage: %s NODE FILE.json...\n", argv[0]);
		return 2;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return 1;
	s->src.node_name = argv[1];
	s->src.nodes = s->np;
	s->src.peers = s->pp;
	s->src.pools = s->poolp;
	s->src.affinities = s->ap;
	s->src.secrets = s->sp;
	for (i = 2; i < argc; i++) {
		json_object *root = json_object_from_file(argv[i]), *items;
		int bad = 0;

		if (!root) {
			fprintf(stderr, "bird_render_cli: %s: not JSON\n", argv[i]);
			goto out;
		}
		if (json_object_object_get_ex(root, "items", &items) &&
		    json_object_is_type(items, json_type_array)) {
			for (size_t j = 0; j < json_object_array_length(items) && !bad; j++)
				bad = add_object(s, json_object_array_get_idx(items, j), argv[1]) < 0;
		} else {
			bad = add_object(s, root, argv[1]) < 0;
		}
		json_object_put(root);
		if (bad)
			goto out;
	}
	if (bird_input_build(&s->src, &in, err, sizeof(err)) < 0) {
		fprintf(stderr, "bird_render_cli: %s\n", err);
		goto out;
	}
	if (bird_render(&in, &text, NULL) == 0) {
		fputs(text, stdout);
		rc = 0;
	}
	free(text);
	bird_input_free(&in);
out:
	store_free(s);
	return rc;
}
