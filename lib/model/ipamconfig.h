/* ipamconfig: twill.dev/v1 IPAMConfig, a single object named "default".
 * Defaults: strictAffinity false, autoAllocateBlocks true,
 * maxBlocksPerHost 0 (unlimited). */
#ifndef TWILL_MODEL_IPAMCONFIG_H
#define TWILL_MODEL_IPAMCONFIG_H

#include <stdbool.h>

#include "model/model.h"

struct ipamconfig {
	struct object_meta meta;
	bool strict_affinity;
	bool auto_allocate_blocks;
	int max_blocks_per_host;
};

/* Defaults (for clusters without the object). */
void ipamconfig_init(struct ipamconfig *cfg);
int ipamconfig_from_json(json_object *obj, struct ipamconfig *cfg, struct model_errors *errs);
json_object *ipamconfig_to_json(const struct ipamconfig *cfg);
void ipamconfig_validate(const struct ipamconfig *cfg, struct model_errors *errs);
void ipamconfig_free(struct ipamconfig *cfg);

#endif
