/* ipamblock: twill.dev/v1 IPAMBlock — one block of a pool and who holds
 * each of its addresses.
 *
 * Shape made for the allocator: allocations[ordinal] is an index into
 * attributes or IPAMBLOCK_FREE (-1, JSON null); unallocated is the free list
 * of ordinals in allocation order (uint64_t so IPv6 ordinals fit). The
 * object's name is derived from the cidr (ipamblock_name_for_cidr()).
 * ipamblock_validate() checks internal consistency so the IPAM engine can
 * detect a corrupted block before trusting it:
 *   - cidr parses, has zero host bits, block size <= IPAMBLOCK_MAX_SIZE;
 *   - allocations has exactly one entry per address;
 *   - every allocation index is a valid attributes index;
 *   - unallocated holds in-range, distinct ordinals, each free in
 *     allocations, and every free ordinal is listed (free ∪ used = all);
 *   - affinity is absent or "host:<nodename>". */
#ifndef TWILL_MODEL_IPAMBLOCK_H
#define TWILL_MODEL_IPAMBLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "labels.h"
#include "model/model.h"

#define IPAMBLOCK_FREE (-1)
/* Largest block the model accepts: /20 (IPv4) or /116 (IPv6). */
#define IPAMBLOCK_MAX_SIZE 4096

struct ipamblock_attribute {
	char *handle_id;        /* NULL when absent */
	struct labels secondary; /* namespace, pod, node, timestamp ... */
};

struct ipamblock {
	struct object_meta meta;
	char *cidr;
	char *affinity; /* "host:<nodename>" or NULL */
	int64_t *allocations;
	size_t allocation_count;
	uint64_t *unallocated;
	size_t unallocated_count;
	struct ipamblock_attribute *attributes;
	size_t attribute_count;
	bool deleted;
	int64_t sequence_number;
	bool strict_affinity;
};

int ipamblock_from_json(json_object *obj, struct ipamblock *block, struct model_errors *errs);
json_object *ipamblock_to_json(const struct ipamblock *block);
void ipamblock_validate(const struct ipamblock *block, struct model_errors *errs);
void ipamblock_free(struct ipamblock *block);
/* "10.244.0.64/26" -> "10-244-0-64-26"; 0, -ENOSPC. */
int ipamblock_name_for_cidr(const char *cidr, char *buf, size_t size);

#endif
