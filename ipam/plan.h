/* plan: the allocation decision for one step (pure, no I/O).
 *
 * Given the eligible pools (already ranked by pool_select), a summary of
 * every block in the cluster and the IPAMConfig knobs, decide where the
 * next address should come from:
 *   1. a block affine to this node with free space (block_pick order);
 *   2. else claim a new block, if autoAllocateBlocks is on and the node is
 *      below maxBlocksPerHost: the first unclaimed block of the first pool
 *      (by rank) that has one;
 *   3. else, unless strictAffinity is on, borrow from another node's block;
 *   4. else exhausted, with a one-line explanation naming every pool, its
 *      size and its usage, and the rule that stopped us (maxBlocksPerHost,
 *      strictAffinity, autoAllocateBlocks).
 * The engine executes the decision, and when a write loses a race (block
 * created by someone else, block filled up meanwhile) it adds the CIDR to
 * `excluded` or refreshes the summary and asks again, so each decision is
 * made on the freshest view without any global lock. */
#ifndef TWILL_IPAM_PLAN_H
#define TWILL_IPAM_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "block_pick.h"
#include "model/ippool.h"

struct ipam_plan_input {
	const char *node;
	const struct ippool *const *pools; /* eligible pools, best first */
	size_t pool_count;
	struct ipam_block_info *blocks;     /* every block; pool_rank set by ipam_plan_rank */
	size_t block_count;
	const struct cidr *excluded;        /* CIDRs not to claim this round */
	size_t excluded_count;
	bool strict_affinity;
	int max_blocks_per_host;            /* 0: unlimited */
	bool auto_allocate_blocks;
};

enum ipam_plan_kind {
	IPAM_PLAN_AFFINE = 0, /* assign in blocks[block] (ours) */
	IPAM_PLAN_CLAIM,      /* claim `claim` in pools[pool_rank] */
	IPAM_PLAN_BORROW,     /* assign in blocks[block] (another node's) */
	IPAM_PLAN_EXHAUSTED,  /* nothing possible; see why */
};

struct ipam_plan {
	enum ipam_plan_kind kind;
	size_t block;
	struct cidr claim;
	size_t pool_rank;
	char why[768];
};

/* Set each block's pool_rank to the rank of the eligible pool containing it
 * (-1 when none). */
void ipam_plan_rank(struct ipam_plan_input *in);
/* 0 with out filled (kind EXHAUSTED is a result, not an error: the caller
 * turns it into -ENOSPC with out->why); -ENOMEM, -EINVAL. */
int ipam_plan_next(const struct ipam_plan_input *in, struct ipam_plan *out);
/* Number of blocks affine to node (all pools, for maxBlocksPerHost). */
size_t ipam_plan_affine_count(const struct ipam_plan_input *in);

#endif
