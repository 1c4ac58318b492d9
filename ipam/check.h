/* check: consistency rules over one snapshot of the IPAM objects — what
 * `twillctl ipam check` reports, what gc acts on, and the CNI CHECK test of
 * one handle. Pure: callers load the snapshot (ipam/snapshot.h) and pass
 * "now" in.
 *
 * Findings (struct ipam_finding), each with the time it became possible
 * (since; 0 = unknown) so gc can honour a grace period:
 *   LEAKED         an allocation whose pod (attributes namespace/pod) no
 *                  longer exists, or exists with another twill.dev/
 *                  containerID than the handle's; since = the newest of
 *                  the handle's creation, its IPAM_HANDLE_ASSIGNED_AT and
 *                  the allocation's IPAM_ATTR_TIMESTAMP
 *   NO_HANDLE      an allocation whose handle has no IPAMHandle object
 *   EMPTY_HANDLE   an IPAMHandle holding no address in any block;
 *                  since = the newer of the handle's creation and its
 *                  IPAM_HANDLE_ASSIGNED_AT (an ADD in flight stamps it
 *                  before it writes the block)
 *   UNDERCOUNT     a handle records fewer addresses in a block than the
 *                  block holds for it (breaks the engine's invariant)
 *   ORPHAN_BLOCK   a block affine to a node that has no Node object;
 *                  since = block creation
 *   STALE_AFFINITY a BlockAffinity without its block (pending or
 *                  pendingDeletion leftovers of a crash) or of a gone node;
 *                  since = affinity creation
 *   DUPLICATE      one address held in two blocks (overlapping blocks)
 *   BAD_BLOCK      a block that fails the model's consistency checks
 * Over-counting handles are the engine's documented crash residue and are
 * not findings. Rules about pods apply only when the snapshot has pods
 * (pods_known), about nodes only when nodes_known.
 * The snapshot must list blocks BEFORE handles: then an ADD in flight can
 * only look like an EMPTY_HANDLE (handle written first), which the grace
 * period covers, and a DEL in flight only like a NO_HANDLE whose address is
 * already free (gc re-checks the holder when releasing). */
#ifndef TWILL_IPAM_CHECK_H
#define TWILL_IPAM_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "cidr.h"
#include "model/blockaffinity.h"
#include "model/ipamblock.h"
#include "model/ipamhandle.h"
#include "model/ippool.h"

struct ipam_pod_ref {
	char *namespace;
	char *name;
	char *container_id; /* twill.dev/containerID annotation, NULL when absent */
	char *node;         /* spec.nodeName, NULL when unscheduled */
};

struct ipam_snapshot {
	struct ippool *pools;
	size_t pool_count;
	struct ipamblock *blocks;
	size_t block_count;
	struct ipamhandle *handles;
	size_t handle_count;
	struct blockaffinity *affinities;
	size_t affinity_count;
	char **nodes;
	size_t node_count;
	bool nodes_known;
	struct ipam_pod_ref *pods;
	size_t pod_count;
	bool pods_known;
};

enum ipam_finding_kind {
	IPAM_FINDING_LEAKED = 0,
	IPAM_FINDING_NO_HANDLE,
	IPAM_FINDING_EMPTY_HANDLE,
	IPAM_FINDING_UNDERCOUNT,
	IPAM_FINDING_ORPHAN_BLOCK,
	IPAM_FINDING_STALE_AFFINITY,
	IPAM_FINDING_DUPLICATE,
	IPAM_FINDING_BAD_BLOCK,
};

#define IPAM_FINDING_TEXT_MAX 320

struct ipam_finding {
	enum ipam_finding_kind kind;
	char ip[IP_ADDR_STRLEN];        /* "" when not about one address */
	char block[CIDR_STRLEN];        /* block cidr, "" when none */
	char handle_id[IPAM_FINDING_TEXT_MAX];
	char object[256];               /* handle/affinity/block object name */
	char detail[IPAM_FINDING_TEXT_MAX];
	time_t since;                   /* 0: unknown */
};

struct ipam_findings {
	struct ipam_finding *items;
	size_t count;
	size_t cap;
};

/* "leaked", "no-handle", ... (stable, used in reports and tests). */
const char *ipam_finding_kind_name(enum ipam_finding_kind kind);

/* Apply every rule to snap; findings are appended to out, rule by rule.
 * 0 or -ENOMEM. */
int ipam_check_run(const struct ipam_snapshot *snap, struct ipam_findings *out);
void ipam_findings_free(struct ipam_findings *f);

/* RFC 3339 UTC ("2026-01-02T03:04:05Z", fraction allowed) -> time_t; 0 for
 * NULL or unparseable text. */
time_t ipam_parse_timestamp(const char *text);

/* The handle's addresses across blocks (at most max), in block order. */
size_t ipam_check_handle_addrs(const struct ipamblock *blocks, size_t n, const char *handle_id,
			       struct ip_addr *out, size_t max);

/* CNI CHECK: every address in ips is held by handle_id and the handle holds
 * no other. 0, or -ENOENT (an address is free or held by someone else) /
 * -EEXIST (the handle holds an address ips lacks) with msg set. */
int ipam_check_handle(const struct ipamblock *blocks, size_t n, const char *handle_id,
		      const struct ip_addr *ips, size_t n_ips, char *msg, size_t msglen);

/* Who holds ip: the block index and attribute, or -ENOENT (no block
 * contains ip) / -ESRCH (free). */
int ipam_check_holder(const struct ipamblock *blocks, size_t n, const struct ip_addr *ip,
		      size_t *block_index, const struct ipamblock_attribute **attr);

void ipam_snapshot_free(struct ipam_snapshot *snap);
/* The snapshot's handle with this ID, or NULL (also for id NULL). */
const struct ipamhandle *ipam_snapshot_handle(const struct ipam_snapshot *snap, const char *id);
/* Whether the snapshot's node list names this node. */
bool ipam_snapshot_has_node(const struct ipam_snapshot *snap, const char *node);
/* Whether handle ID "<network>.<container>" was made for this container
 * (it ends with "." + container_id). */
bool ipam_handle_names_container(const char *handle_id, const char *container_id);

#endif
