/* confgen_snapshot: informer lists -> model structs -> bird_sources.
 *
 * Each kind is parsed by one generic loop driven by a small table of
 * function pointers, so adding a kind is one table row. Objects are parsed
 * into a flat array of the kind's struct; the pointer arrays the renderer
 * wants are filled afterwards (the flat array never moves once filled). */
#include "confgen_snapshot.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

typedef int (*parse_fn)(json_object *obj, void *out, struct model_errors *errs);
typedef void (*validate_fn)(const void *obj, struct model_errors *errs);
typedef void (*free_fn)(void *obj);

struct kind_ops {
	const char *kind;
	size_t size;
	parse_fn parse;
	validate_fn validate;
	free_fn release;
};

#define OPS(name, type, prefix)                                                \
	static int prefix##_parse(json_object *o, void *out, struct model_errors *e) \
	{                                                                      \
		return prefix##_from_json(o, out, e);                          \
	}                                                                      \
	static void prefix##_check(const void *obj, struct model_errors *e)    \
	{                                                                      \
		prefix##_validate(obj, e);                                     \
	}                                                                      \
	static void prefix##_release(void *obj)                                \
	{                                                                      \
		prefix##_free(obj);                                            \
	}                                                                      \
	static const struct kind_ops prefix##_ops = { name, sizeof(type),      \
		prefix##_parse, prefix##_check, prefix##_release }

OPS("BGPConfiguration", struct bgpconfig, bgpconfig);
OPS("Node", struct node, node);
OPS("BGPPeer", struct bgppeer, bgppeer);
OPS("IPPool", struct ippool, ippool);
OPS("BlockAffinity", struct blockaffinity, blockaffinity);
OPS("Secret", struct secret, secret);

/* Parse every element of list into a new array; *count gets how many made it. */
static int parse_list(const struct kind_ops *ops, json_object *list, void **out, size_t *count,
		      size_t *skipped)
{
	size_t i, n = list && json_object_is_type(list, json_type_array)
			      ? json_object_array_length(list) : 0;
	char *arr = calloc(n ? n : 1, ops->size);

	*out = arr;
	*count = 0;
	if (!arr)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct model_errors errs = MODEL_ERRORS_INIT;
		void *slot = arr + *count * ops->size;
		int rc = ops->parse(json_object_array_get_idx(list, i), slot, &errs);

		if (rc == -ENOMEM || errs.oom) {
			ops->release(slot);
			model_errors_free(&errs);
			return -ENOMEM;
		}
		if (rc == 0)
			ops->validate(slot, &errs);
		if (rc < 0 || model_errors_failed(&errs)) {
			char line[512] = "", quoted[600];

			if (errs.count)
				model_errors_format(&errs, 0, line, sizeof(line));
			log_warn("event=object_skipped kind=%s reason=%s", ops->kind,
				 log_quote(quoted, sizeof(quoted), line[0] ? line : "unreadable"));
			/* the parser zeroes first, so whatever it filled in is ours */
			ops->release(slot);
			memset(slot, 0, ops->size);
			(*skipped)++;
		} else {
			(*count)++;
		}
		model_errors_free(&errs);
	}
	return 0;
}

static int pointers(const void ***ptrs, const void *arr, size_t size, size_t count)
{
	*ptrs = calloc(count ? count : 1, sizeof(void *));
	if (!*ptrs)
		return -ENOMEM;
	for (size_t i = 0; i < count; i++)
		(*ptrs)[i] = (const char *)arr + i * size;
	return 0;
}

int confgen_snapshot_build(struct confgen_snapshot *s, const char *node_name,
			   const struct confgen_lists *l)
{
	char node_cfg[300];
	size_t i;
	int rc;

	memset(s, 0, sizeof(*s));
	s->src.node_name = node_name;
	if ((rc = parse_list(&bgpconfig_ops, l->configs, (void **)&s->configs, &s->config_count,
			     &s->skipped)) < 0 ||
	    (rc = parse_list(&node_ops, l->nodes, (void **)&s->nodes, &s->src.node_count,
			     &s->skipped)) < 0 ||
	    (rc = parse_list(&bgppeer_ops, l->peers, (void **)&s->peers, &s->src.peer_count,
			     &s->skipped)) < 0 ||
	    (rc = parse_list(&ippool_ops, l->pools, (void **)&s->pools, &s->src.pool_count,
			     &s->skipped)) < 0 ||
	    (rc = parse_list(&blockaffinity_ops, l->affinities, (void **)&s->affinities,
			     &s->src.affinity_count, &s->skipped)) < 0 ||
	    (rc = parse_list(&secret_ops, l->secrets, (void **)&s->secrets, &s->src.secret_count,
			     &s->skipped)) < 0)
		goto out;
	if ((rc = pointers((const void ***)&s->node_ptrs, s->nodes, sizeof(*s->nodes),
			   s->src.node_count)) < 0 ||
	    (rc = pointers((const void ***)&s->peer_ptrs, s->peers, sizeof(*s->peers),
			   s->src.peer_count)) < 0 ||
	    (rc = pointers((const void ***)&s->pool_ptrs, s->pools, sizeof(*s->pools),
			   s->src.pool_count)) < 0 ||
	    (rc = pointers((const void ***)&s->affinity_ptrs, s->affinities,
			   sizeof(*s->affinities), s->src.affinity_count)) < 0 ||
	    (rc = pointers((const void ***)&s->secret_ptrs, s->secrets, sizeof(*s->secrets),
			   s->src.secret_count)) < 0)
		goto out;
	s->src.nodes = s->node_ptrs;
	s->src.peers = s->peer_ptrs;
	s->src.pools = s->pool_ptrs;
	s->src.affinities = s->affinity_ptrs;
	s->src.secrets = s->secret_ptrs;
	snprintf(node_cfg, sizeof(node_cfg), "node.%s", node_name);
	for (i = 0; i < s->config_count; i++) {
		const char *name = s->configs[i].meta.name;

		if (name && strcmp(name, "default") == 0)
			s->src.config = &s->configs[i];
		else if (name && strcmp(name, node_cfg) == 0)
			s->src.node_config = &s->configs[i];
	}
	rc = 0;
out:
	if (rc < 0)
		confgen_snapshot_free(s);
	return rc;
}

void confgen_snapshot_free(struct confgen_snapshot *s)
{
	size_t i;

	for (i = 0; s->configs && i < s->config_count; i++)
		bgpconfig_free(&s->configs[i]);
	for (i = 0; s->nodes && i < s->src.node_count; i++)
		node_free(&s->nodes[i]);
	for (i = 0; s->peers && i < s->src.peer_count; i++)
		bgppeer_free(&s->peers[i]);
	for (i = 0; s->pools && i < s->src.pool_count; i++)
		ippool_free(&s->pools[i]);
	for (i = 0; s->affinities && i < s->src.affinity_count; i++)
		blockaffinity_free(&s->affinities[i]);
	for (i = 0; s->secrets && i < s->src.secret_count; i++)
		secret_free(&s->secrets[i]);
	free(s->configs);
	free(s->nodes);
	free(s->peers);
	free(s->pools);
	free(s->affinities);
	free(s->secrets);
	free(s->node_ptrs);
	free(s->peer_ptrs);
	free(s->pool_ptrs);
	free(s->affinity_ptrs);
	free(s->secret_ptrs);
	memset(s, 0, sizeof(*s));
}
