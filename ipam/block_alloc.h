/* block_alloc: address assignment inside one IPAMBlock (pure, no I/O).
 *
 * Contract:
 * - Works on the model's struct ipamblock in place; the caller serialises
 *   it back (ipamblock_to_json) and writes it with a resourceVersion CAS.
 * - Ordinal k is the k-th address of the block's cidr. allocations[k] is an
 *   index into attributes or IPAMBLOCK_FREE; unallocated is the free list.
 * - Assignment takes ordinals from the HEAD of the free list and release
 *   appends to the TAIL, so the list rotates: an address just freed is the
 *   last one handed out again. A deleted pod's IP is therefore not given to
 *   the next pod while stale routes, conntrack entries or peers' caches may
 *   still point at it.
 * - Every allocation of one assign call shares one attribute entry (handle
 *   ID + secondary: namespace, pod, node, timestamp). An identical existing attribute
 *   is reused; attributes no longer referenced are dropped on release and
 *   the allocation indices renumbered, so the object does not grow forever.
 * - Functions refuse (-EUCLEAN) a block that fails ipam_block_check():
 *   writing on top of a corrupted block would hand out duplicates.
 * Return values: 0 or -errno; on error the block is unchanged. */
#ifndef TWILL_IPAM_BLOCK_ALLOC_H
#define TWILL_IPAM_BLOCK_ALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cidr.h"
#include "model/ipamblock.h"

/* Secondary attribute keys (Calico-compatible names). */
#define IPAM_ATTR_NAMESPACE "namespace"
#define IPAM_ATTR_POD "pod"
#define IPAM_ATTR_NODE "node"
/* When the allocation was made: RFC 3339 UTC from the allocating node's
 * clock. The age gc's grace period is measured against (docs/ipam.md). */
#define IPAM_ATTR_TIMESTAMP "timestamp"

struct ipam_attrs {
	const char *handle_id; /* required */
	const char *namespace; /* optional (NULL: not recorded) */
	const char *pod;
	const char *node;
	const char *timestamp; /* optional: IPAM_ATTR_TIMESTAMP */
};

/* Build an empty block for cidr (host bits must be clear) with affinity
 * "host:<node>" (node NULL: no affinity). Name is derived from the cidr.
 * -EINVAL (host bits, block larger than IPAMBLOCK_MAX_SIZE), -ENOMEM. */
int ipam_block_init(struct ipamblock *b, const struct cidr *cidr, const char *node);
/* 0 when the block is internally consistent (ipamblock_validate), else
 * -EUCLEAN. */
int ipam_block_check(const struct ipamblock *b);
/* Parsed spec.cidr (network). -EINVAL when unparsable. */
int ipam_block_cidr(const struct ipamblock *b, struct cidr *out);

uint64_t ipam_block_size(const struct ipamblock *b);
uint64_t ipam_block_free_count(const struct ipamblock *b);
uint64_t ipam_block_used_count(const struct ipamblock *b);
bool ipam_block_is_empty(const struct ipamblock *b);
/* Node named by "host:<node>" affinity, or NULL. */
const char *ipam_block_affinity_node(const struct ipamblock *b);
/* Addresses held by handle_id. */
uint64_t ipam_block_handle_count(const struct ipamblock *b, const char *handle_id);

/* Assign up to want addresses to attrs; ordinals written to ords (room for
 * want), count to *got. -ENOSPC when the block has no free address,
 * -EINVAL (no handle, want 0), -EUCLEAN, -ENOMEM. */
int ipam_block_assign(struct ipamblock *b, size_t want, const struct ipam_attrs *attrs,
		      uint64_t *ords, size_t *got);
/* Release every address of handle_id; *released counts them (0 is fine:
 * release is idempotent). -EUCLEAN, -ENOMEM. */
int ipam_block_release_handle(struct ipamblock *b, const char *handle_id, uint64_t *released);
/* Release one ordinal. When handle_id is non-NULL the ordinal must belong to
 * it (-EPERM otherwise, so a stale DEL cannot free a reused address).
 * -ENOENT when it is already free, -ERANGE outside the block. If
 * handle_out is non-NULL it receives a copy of the holder's handle ID (or
 * NULL), for the caller's handle bookkeeping. */
int ipam_block_release_ordinal(struct ipamblock *b, uint64_t ordinal, const char *handle_id,
			       char **handle_out);

/* Address <-> ordinal. -ERANGE outside the block, -EINVAL bad cidr. */
int ipam_block_addr(const struct ipamblock *b, uint64_t ordinal, struct ip_addr *out);
int ipam_block_ordinal(const struct ipamblock *b, const struct ip_addr *ip, uint64_t *out);

#endif
