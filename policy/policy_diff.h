/* policy_diff: the nft command batch that turns one compiled ruleset into
 * another by touching only what changed — the content of changed sets/maps,
 * whole sets and chains of endpoints that appeared or vanished, chains whose
 * rules differ. Unchanged sets and chains are recognised by fingerprint
 * (policy_fingerprint.h) when both rulesets are sealed, so the cost is one
 * name lookup per set/chain plus the size of what changed.
 *
 * Contract:
 *  - Output is a batch of `nft` commands (one per line) for table inet
 *    twill, meant to be run as ONE libnftables transaction: either all of
 *    it applies or none, so no packet ever sees a half-updated table.
 *  - Command order makes every intermediate step of the batch valid (the
 *    kernel checks references as it goes): new sets/maps with their
 *    elements; new chains and their rules; kept sets/maps whose content
 *    changed: with only additions, the new elements are added ("add set ..
 *    { elements = {..} }"), with any removal the set is flushed and refilled
 *    ("flush set" then the same with all its elements); rules of changed
 *    chains (flush + re-add); flush and delete of removed chains; delete of
 *    removed sets/maps.
 *  - The batch never holds an element command ("add/delete element"):
 *    libnftables 1.0.6 answers any of them by dumping the elements of every
 *    interval set of the table (its cache flag NFT_CACHE_SETELEM_MAYBE; one
 *    netlink dump per set, ~3,000 at 1,000 pods), which cost more than the
 *    change itself. "flush set" and "add set" with inline elements need only
 *    the table and set lists, so an apply costs what the changed sets hold.
 *  - Stats count elements as the difference between old and new content
 *    (a refilled set of 100 elements with one new counts elements_added 1),
 *    sets_refilled the kept sets that were flushed and refilled.
 *  - An empty batch ("" with stats all zero) means nothing to do.
 *  - -ENOTSUP when a set keeps its name but changes type/flags, or a chain
 *    keeps its name but changes its hook: the caller replaces the whole
 *    table instead (also atomic). -ENOMEM, -EINVAL (NULL). */
#ifndef TWILL_POLICY_DIFF_H
#define TWILL_POLICY_DIFF_H

#include <stddef.h>

#include "policy_ruleset.h"

struct policy_diff_stats {
	size_t sets_added, sets_removed;
	size_t elements_added, elements_removed;
	size_t chains_added, chains_removed, chains_replaced;
	size_t sets_refilled;
};

int policy_diff(const struct policy_ruleset *old, const struct policy_ruleset *new_rs,
		char **batch, struct policy_diff_stats *stats);

#endif
