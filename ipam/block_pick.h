/* block_pick: which block to use (pure, no I/O).
 *
 * The engine summarises every IPAMBlock it listed as a struct
 * ipam_block_info and asks three questions:
 * - ipam_pick_unclaimed(): the first block CIDR of a pool that no existing
 *   block overlaps. "First" is the lowest index, so a cluster fills its
 *   pools from the bottom and block CIDRs are predictable in logs. Blocks of
 *   another size (left over from an earlier blockSize) still count as
 *   occupied wherever they overlap. Works for IPv6 pools whose block count
 *   does not fit in 64 bits: only the first existing+1 indices can be
 *   needed.
 * - ipam_order_affine(): the node's own blocks with free space, in the
 *   order to try: pool rank first (the request's/selection's order), then
 *   the FULLEST block first so allocations pack into few blocks and empty
 *   blocks can be released, then by CIDR for determinism.
 * - ipam_order_borrow(): blocks of other nodes (or of no node) with free
 *   space, to use when this node may not claim a new block and strict
 *   affinity is off: pool rank, then blocks without affinity first (nobody
 *   routes them), then MOST free first (borrow where it hurts least), then
 *   CIDR. Blocks marked strictAffinity are never lent.
 * - ipam_may_claim(): maxBlocksPerHost (0 = unlimited). */
#ifndef TWILL_IPAM_BLOCK_PICK_H
#define TWILL_IPAM_BLOCK_PICK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cidr.h"

struct ipam_block_info {
	struct cidr cidr;
	const char *node;    /* affinity node, NULL when none */
	uint64_t free;       /* free addresses */
	int pool_rank;       /* index of the eligible pool holding it, -1: none */
	bool strict_affinity;
};

/* First /block_len block of pool not overlapping any of existing[0..n).
 * 0 and *out, -ENOSPC when every block is taken, -EINVAL (block_len shorter
 * than the pool prefix or too long for the family), -ENOMEM. */
int ipam_pick_unclaimed(const struct cidr *pool, unsigned block_len,
			const struct cidr *existing, size_t n, struct cidr *out);

/* Write indices into blocks[] in the order to try into order (room for n);
 * *count receives how many qualify. */
void ipam_order_affine(const struct ipam_block_info *blocks, size_t n, const char *node,
		       size_t *order, size_t *count);
void ipam_order_borrow(const struct ipam_block_info *blocks, size_t n, const char *node,
		       size_t *order, size_t *count);

/* true when a node holding `held` affine blocks may claim one more. */
bool ipam_may_claim(size_t held, int max_blocks_per_host);

#endif
