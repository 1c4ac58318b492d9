/* blockaffinity: twill.dev/v1 BlockAffinity — the claim of one node on one
 * block. Name: "<node>-<block name>" (blockaffinity_name()). The state
 * machine (pending -> confirmed -> pendingDeletion) is driven by IPAM; the
 * model only checks that the fields are well-formed and agree. */
#ifndef TWILL_MODEL_BLOCKAFFINITY_H
#define TWILL_MODEL_BLOCKAFFINITY_H

#include <stdbool.h>
#include <stddef.h>

#include "model/model.h"

enum blockaffinity_state {
	BLOCKAFFINITY_PENDING = 0,
	BLOCKAFFINITY_CONFIRMED,
	BLOCKAFFINITY_PENDING_DELETION,
};

struct blockaffinity {
	struct object_meta meta;
	enum blockaffinity_state state;
	bool state_set; /* state is required: remember whether it was given */
	char *node;
	char *cidr;
	bool deleted;
};

int blockaffinity_from_json(json_object *obj, struct blockaffinity *aff,
			    struct model_errors *errs);
json_object *blockaffinity_to_json(const struct blockaffinity *aff);
void blockaffinity_validate(const struct blockaffinity *aff, struct model_errors *errs);
void blockaffinity_free(struct blockaffinity *aff);
/* "<node>-<block name>"; 0 or -ENOSPC. */
int blockaffinity_name(const char *node, const char *cidr, char *buf, size_t size);
const char *blockaffinity_state_name(enum blockaffinity_state state);

#endif
