/* pool_select: which IP pools an allocation may use (pure, no I/O).
 *
 * Contract:
 * - Without a request, a pool is eligible when it is of the wanted family,
 *   has a valid cidr, is not disabled, is not being deleted, allows the
 *   wanted use (workload or tunnel), and its nodeSelector (default "all()")
 *   matches the node's labels. Eligible pools come out sorted by name so
 *   every node and every retry sees the same order.
 * - With a request (the twill.dev/ipv4pools annotation of the pod or its
 *   namespace, or the CNI config), only the requested pools are used, in
 *   the requested order; each entry names a pool by metadata.name or by
 *   its cidr text. A requested pool must pass the same checks: asking for
 *   a disabled pool, or one whose nodeSelector excludes this node, is an
 *   error rather than a silent fallback to another pool, because the user
 *   asked for addresses that are routable where that pool is.
 * - When nothing is eligible the result is -ENOENT and `why` holds one
 *   line naming the node and, for each pool considered, why it was skipped
 *   ("pool-b: disabled; pool-c: nodeSelector \"zone == 'a'\" does not match
 *   node labels"), so the operator sees the cause in the CNI error. */
#ifndef TWILL_IPAM_POOL_SELECT_H
#define TWILL_IPAM_POOL_SELECT_H

#include <stdbool.h>
#include <stddef.h>

#include "labels.h"
#include "model/ippool.h"

struct ipam_pool_query {
	const char *node;                 /* for messages */
	const struct labels *node_labels; /* NULL: no labels */
	int family;                       /* AF_INET or AF_INET6 */
	unsigned use;                     /* IPPOOL_USE_WORKLOAD or _TUNNEL */
	const char *const *requested;     /* names or cidrs; NULL: none */
	size_t requested_count;
};

/* Fill order (room for n) with indices into pools, count in *count.
 * 0 when at least one pool is eligible; -ENOENT with why set otherwise;
 * -EINVAL for a bad query (unknown family, no use bit). why may be NULL
 * when whylen is 0. */
int ipam_pool_select(const struct ippool *pools, size_t n, const struct ipam_pool_query *q,
		     size_t *order, size_t *count, char *why, size_t whylen);

/* Whether selecting among pools can depend on the node's labels: false
 * when every pool's nodeSelector is absent or exactly "all()" (surrounding
 * blanks allowed), so the caller may skip reading the Node. */
bool ipam_pools_need_node_labels(const struct ippool *pools, size_t n);

/* Index of the pool (among pools) whose cidr contains the block or address
 * prefix c; -1 when none. */
long ipam_pool_find_containing(const struct ippool *pools, size_t n, const struct cidr *c);

#endif
