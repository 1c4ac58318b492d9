/* ipamhandle: twill.dev/v1 IPAMHandle — what one handle (usually one pod's
 * container ID) holds, as a count of addresses per block. The name is the
 * handle ID made API-safe (ipamhandle_name()). */
#ifndef TWILL_MODEL_IPAMHANDLE_H
#define TWILL_MODEL_IPAMHANDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/model.h"

struct ipamhandle_block {
	char *cidr;
	int64_t count;
};

struct ipamhandle {
	struct object_meta meta;
	char *handle_id;
	struct ipamhandle_block *blocks;
	size_t block_count;
	bool deleted;
};

int ipamhandle_from_json(json_object *obj, struct ipamhandle *h, struct model_errors *errs);
json_object *ipamhandle_to_json(const struct ipamhandle *h);
void ipamhandle_validate(const struct ipamhandle *h, struct model_errors *errs);
void ipamhandle_free(struct ipamhandle *h);
/* Lowercase handle_id, every char outside [a-z0-9.-] becomes '-', trimmed
 * to 253 chars. 0 or -ENOSPC (size too small). */
int ipamhandle_name(const char *handle_id, char *buf, size_t size);

#endif
