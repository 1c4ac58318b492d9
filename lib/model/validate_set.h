/* validate_set: semantic checks across several objects, which no CRD schema
 * (and no single-object validator) can express:
 *   - two enabled IPPools may not overlap (the error names both pools and
 *     both CIDRs, and is recorded against the later pool);
 *   - a BGPPeer with a peerIP must have, on every node it applies to, a BGP
 *     address of the same family (twill.dev/ipv4Address / ipv6Address);
 *     nodes with neither annotation are skipped (their family is unknown);
 *   - an IPAMBlock must lie inside an IPPool and have that pool's block size
 *     (model_validate_block_in_pools), so IPAM notices orphaned blocks.
 * Per-object rules (blockSize range, block internal consistency) live in the
 * kind files and are not repeated here. */
#ifndef TWILL_MODEL_VALIDATE_SET_H
#define TWILL_MODEL_VALIDATE_SET_H

#include <stddef.h>

#include "model/bgppeer.h"
#include "model/ipamblock.h"
#include "model/ippool.h"
#include "model/node.h"

void model_validate_pool_overlaps(const struct ippool *pools, size_t n,
				  struct model_errors *errs);
void model_validate_peer_families(const struct bgppeer *peer, const struct node *nodes,
				  size_t n, struct model_errors *errs);
void model_validate_block_in_pools(const struct ipamblock *block,
				   const struct ippool *pools, size_t n,
				   struct model_errors *errs);

#endif
