/* snapshot: read the IPAM objects (and the Nodes and Pods they refer to)
 * from the API into a struct ipam_snapshot for check, gc and show.
 *
 * Contract: lists IPAMBlocks first, then IPAMHandles, BlockAffinities,
 * IPPools, Nodes and (when with_pods) Pods of all namespaces — the order
 * check.h relies on. Objects that do not parse are skipped with a warning
 * in the log, except blocks, which are kept (check reports them). Returns 0
 * or the kube client's -errno with err filled; on error the snapshot is
 * left empty. */
#ifndef TWILL_IPAM_SNAPSHOT_H
#define TWILL_IPAM_SNAPSHOT_H

#include <stdbool.h>

#include "check.h"
#include "kube_client.h"

int ipam_snapshot_load(struct kube_client *client, bool with_pods, struct ipam_snapshot *out,
		       struct kube_error *err);
/* Only the blocks (for the plugin's CHECK and `show --ip`). */
int ipam_snapshot_load_blocks(struct kube_client *client, struct ipam_snapshot *out,
			      struct kube_error *err);

#endif
