/* engine_internal: private interface between the engine's files (engine.c,
 * engine_state.c, engine_objects.c). Not for use outside ipam/engine*.c:
 * callers use engine.h. */
#ifndef TWILL_IPAM_ENGINE_INTERNAL_H
#define TWILL_IPAM_ENGINE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
};

/* What one assign round reads from the API. */
struct cluster {
	struct ippool *pools;
	size_t pool_count;
	struct ipamconfig config;
	struct labels node_labels;
	struct ipamblock *blocks;
	size_t block_count;
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
