/* confgen_snapshot: one consistent view of the datastore for one render —
 * the informers' JSON lists parsed into model structs and wired into a
 * struct bird_sources.
 *
 * Objects that do not parse or fail validation are skipped, counted in
 * `skipped` and logged once per snapshot with their kind, name and first
 * error (BGP must keep working when one BGPPeer is malformed). Only the
 * BGPConfiguration named "default" and "node.<this node>" are used; Secrets
 * are taken as listed (the daemon lists only MODEL_TWILL_NAMESPACE). The
 * snapshot owns everything; src points into it until confgen_snapshot_free(). */
#ifndef TWILL_CONFGEN_SNAPSHOT_H
#define TWILL_CONFGEN_SNAPSHOT_H

#include <stddef.h>

#include <json-c/json.h>

#include "bird_model.h"

struct confgen_lists {
	json_object *configs;	/* arrays of objects; NULL = empty */
	json_object *nodes;
	json_object *peers;
	json_object *pools;
	json_object *affinities;
	json_object *secrets;
};

struct confgen_snapshot {
	struct bgpconfig *configs;
	size_t config_count;
	struct node *nodes;
	struct bgppeer *peers;
	struct ippool *pools;
	struct blockaffinity *affinities;
	struct secret *secrets;
	const struct node **node_ptrs;
	const struct bgppeer **peer_ptrs;
	const struct ippool **pool_ptrs;
	const struct blockaffinity **affinity_ptrs;
	const struct secret **secret_ptrs;
	size_t skipped;
	struct bird_sources src;
};

/* 0 or -ENOMEM (s then freed). node_name must outlive the snapshot. */
int confgen_snapshot_build(struct confgen_snapshot *s, const char *node_name,
			   const struct confgen_lists *lists);
void confgen_snapshot_free(struct confgen_snapshot *s);

#endif
