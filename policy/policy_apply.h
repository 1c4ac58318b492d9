/* policy_apply: the thin I/O shell that puts compiled rulesets into the
 * kernel through libnftables, in the current network namespace.
 *
 * Contract:
 *  - policy_apply() makes the kernel's table inet twill equal `desired`.
 *    The first call (or any call after policy_applier_resync()) replaces
 *    the whole table in one transaction; later calls run policy_diff's
 *    batch, also one transaction. Either way the kernel holds the old
 *    ruleset or the new one, never a mix: fail closed, the old policy stays.
 *  - When an incremental batch fails (someone edited our table, or the
 *    diff needs a shape change: -ENOTSUP), it falls back to the full
 *    replacement once. On success the applier takes ownership of *desired
 *    (moved out; *desired is left empty); on failure *desired is untouched
 *    and the applier still believes the previous ruleset.
 *  - policy_nft_run() runs any nft text as one transaction and returns the
 *    first line of nft's error output in err.
 * Returns 0, -ENOMEM, or -EIO (nft rejected the batch; logged with the
 * error text). Not thread-safe: one applier per event loop. */
#ifndef TWILL_POLICY_APPLY_H
#define TWILL_POLICY_APPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "policy_diff.h"
#include "policy_ruleset.h"

struct nft_ctx;

struct policy_applier {
	struct nft_ctx *nft;
	struct policy_ruleset current;
	bool in_sync;                  /* current == kernel, as far as we know */
	struct policy_diff_stats last; /* what the last apply changed */
	bool last_was_full;
};

int policy_applier_init(struct policy_applier *a);
void policy_applier_free(struct policy_applier *a);
/* Next apply replaces the whole table (periodic drift repair, restarts). */
void policy_applier_resync(struct policy_applier *a);
int policy_apply(struct policy_applier *a, struct policy_ruleset *desired);

int policy_nft_run(struct nft_ctx *nft, const char *text, char *err, size_t errlen);

#endif
