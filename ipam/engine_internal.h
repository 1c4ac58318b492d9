/* engine_internal: private interface between the engine's files (engine.c,
 * engine_state.c, engine_objects.c). Not for use outside ipam/engine*.c:
 * callers use engine.h. */
#ifndef TWILL_IPAM_ENGINE_INTERNAL_H
#define TWILL_IPAM_ENGINE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "engine.h"
#include "labels.h"
#include "model/ipamblock.h"
#include "model/ipamconfig.h"
#include "model/ippool.h"

extern const struct kube_resource ipam_res_blocks;
extern const struct kube_resource ipam_res_affinities;
extern const struct kube_resource ipam_res_handles;
extern const struct kube_resource ipam_res_pools;
extern const struct kube_resource ipam_res_configs;
extern const struct kube_resource ipam_res_nodes;

struct ipam_engine {
	struct kube_client *client;
	int cas_retries;
	int max_attempts;
	bool keep_empty_blocks;
	unsigned seed;
	int deadline_seconds;
	struct timespec deadline; /* of the assign in progress (CLOCK_MONOTONIC) */
};

/* Whether the assign in progress is past its deadline. */
bool ipam_past_deadline(const struct ipam_engine *e);

/* Label on every IPAMBlock created with an affinity: the node's name (when
 * it is a valid label value), so a node lists its own blocks, not all. */
#define IPAM_BLOCK_NODE_LABEL "twill.dev/node"

/* What one assign round reads from the API. blocks_partial: only the
 * node's labelled blocks were listed (enough for an AFFINE decision; any
 * other decision needs every block and the config). block_json[i] is
 * block i as listed (borrowed from block_list), the first CAS attempt's
 * base, so a write needs no fresh read unless it loses a race. */
struct cluster {
	struct ippool *pools;
	size_t pool_count;
	struct ipamconfig config;
	bool config_loaded;
	struct labels node_labels;
	struct ipamblock *blocks;
	json_object **block_json;
	json_object *block_list;
	size_t block_count;
	bool blocks_partial;
};

/* One line into err (may be NULL when len is 0). */
void ipam_set_err(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Replace obj's spec with the spec of fresh (consumed). 0, -ENOMEM, -EINVAL. */
int ipam_replace_spec(json_object *obj, json_object *fresh);
int ipam_parse_block(json_object *obj, struct ipamblock *b);
/* IPAMBlock object name of a block cidr into buf ("" if it does not fit). */
const char *ipam_block_name_of(const char *cidr, char *buf, size_t size);
/* A short random pause after losing a CAS battle. */
void ipam_contention_pause(struct ipam_engine *e);

void ipam_cluster_free(struct cluster *c);
/* Each replaces the corresponding part of c; 0 or -errno with err set. */
int ipam_load_blocks(struct ipam_engine *e, struct cluster *c, char *err, size_t errlen);
/* Only the blocks labelled as node's when node's name can be a label value
 * (c->blocks_partial), else every block. */
int ipam_load_node_blocks(struct ipam_engine *e, const char *node, struct cluster *c,
			  char *err, size_t errlen);
/* Whether node can be the value of IPAM_BLOCK_NODE_LABEL. */
bool ipam_node_label_ok(const char *node);
/* Now as RFC 3339 UTC ("2026-01-02T03:04:05Z") into buf (>= 21 bytes). */
const char *ipam_timestamp_now(char *buf, size_t size);
int ipam_load_pools(struct ipam_engine *e, struct cluster *c, char *err, size_t errlen);
int ipam_load_config(struct ipam_engine *e, struct cluster *c, char *err, size_t errlen);
int ipam_load_node_labels(struct ipam_engine *e, const char *node, struct cluster *c,
			  char *err, size_t errlen);

/* Add delta to handle_id's count for block_cidr: creates the handle on a
 * first increment, deletes it (conditionally) when it reaches zero. */
int ipam_handle_adjust(struct ipam_engine *e, const char *handle_id, const char *block_cidr,
		       int64_t delta, char *err, size_t errlen);
/* Claim cidr for node: 0 when the block exists affine to node, -EEXIST when
 * another node won it. */
int ipam_claim_block(struct ipam_engine *e, const struct cidr *cidr, const char *node,
		     bool strict, char *err, size_t errlen);
/* Release the block if it is (still) empty, with its affinity. */
int ipam_release_empty_block(struct ipam_engine *e, const char *cidr_text);

#endif
