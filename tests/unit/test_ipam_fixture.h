/* Shared builders for unit tests that hand-make an IPAM snapshot
 * (ipam/check.h struct ipam_snapshot): each appends one object, parsed from
 * JSON with the model's own parser, and fails the current test (cmocka
 * assert) when the text does not parse or validate. The snapshot owns what
 * is added (ipam_snapshot_free). */
#ifndef TWILL_TEST_IPAM_FIXTURE_H
#define TWILL_TEST_IPAM_FIXTURE_H

#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "test_json.h"

static inline void snap_add_block(struct ipam_snapshot *s, const char *text)
{
	struct model_errors errs = MODEL_ERRORS_INIT;
	json_object *o = parse(text);

	s->blocks = realloc(s->blocks, (s->block_count + 1) * sizeof(*s->blocks));
	assert_int_equal(ipamblock_from_json(o, &s->blocks[s->block_count++], &errs), 0);
	model_errors_free(&errs);
	json_object_put(o);
}

static inline void snap_add_handle(struct ipam_snapshot *s, const char *text)
{
	struct model_errors errs = MODEL_ERRORS_INIT;
	json_object *o = parse(text);

	s->handles = realloc(s->handles, (s->handle_count + 1) * sizeof(*s->handles));
	assert_int_equal(ipamhandle_from_json(o, &s->handles[s->handle_count++], &errs), 0);
	model_errors_free(&errs);
	json_object_put(o);
}

static inline void snap_add_affinity(struct ipam_snapshot *s, const char *text)
{
	struct model_errors errs = MODEL_ERRORS_INIT;
	json_object *o = parse(text);

	s->affinities = realloc(s->affinities, (s->affinity_count + 1) * sizeof(*s->affinities));
	assert_int_equal(blockaffinity_from_json(o, &s->affinities[s->affinity_count++], &errs),
			 0);
	model_errors_free(&errs);
	json_object_put(o);
}

static inline void snap_add_node(struct ipam_snapshot *s, const char *name)
{
	s->nodes = realloc(s->nodes, (s->node_count + 1) * sizeof(*s->nodes));
	s->nodes[s->node_count++] = strdup(name);
	s->nodes_known = true;
}

/* node and cid (the twill.dev/containerID annotation) may be NULL. */
static inline void snap_add_pod(struct ipam_snapshot *s, const char *ns, const char *name,
				const char *node, const char *cid)
{
	struct ipam_pod_ref *p;

	s->pods = realloc(s->pods, (s->pod_count + 1) * sizeof(*s->pods));
	p = &s->pods[s->pod_count++];
	p->namespace = strdup(ns);
	p->name = strdup(name);
	p->node = node ? strdup(node) : NULL;
	p->container_id = cid ? strdup(cid) : NULL;
	s->pods_known = true;
}

#endif
