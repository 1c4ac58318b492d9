/* policy_diff: the nft command batch that turns one compiled ruleset into
 * another by touching only what changed — set/map elements, whole sets and
 * chains of endpoints that appeared or vanished, chains whose rules differ.
 *
 * Contract:
 *  - Output is a batch of `nft` commands (one per line) for table inet
 *    twill, meant to be run as ONE libnftables transaction: either all of
 *    it applies or none, so no packet ever sees a half-updated table.
 *  - Command order makes every intermediate step of the batch valid (the
 *    kernel checks references as it goes): new sets/maps, new chains and
 *    their rules; removed elements, then added elements, of every kept set
 *    (removals first because interval elements may not overlap); rules of
 *    changed chains (flush + re-add); flush and delete of removed chains;
 *    delete of removed sets/maps.
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
};

int policy_diff(const struct policy_ruleset *old, const struct policy_ruleset *new_rs,
		char **batch, struct policy_diff_stats *stats);

#endif
