/* engine: block IPAM over the Kubernetes API (the I/O shell around the pure
 * allocator in pool_select, block_pick, plan, block_alloc and handle).
 *
 * Contract:
 * - State lives only in CRDs: IPPool (read), IPAMConfig "default" (read;
 *   absent = defaults), Node labels (read, for nodeSelector), IPAMBlock,
 *   BlockAffinity and IPAMHandle (read and written). No process-wide lock and
 *   no single writer: every write is a create (which fails if the name
 *   exists) or an update/delete conditioned on the resourceVersion read,
 *   retried a bounded number of times on 409 Conflict.
 * - Write order (docs/ipam.md explains each crash point):
 *   claim:   BlockAffinity(pending) create -> IPAMBlock create (AlreadyExists
 *            from another node = lost the race: drop our affinity, take the
 *            next block) -> BlockAffinity confirmed.
 *   assign:  IPAMHandle count += n  ->  IPAMBlock allocation (CAS). If the
 *            block could give fewer than n, the handle is decremented again.
 *   release: IPAMBlock allocation freed (CAS) -> IPAMHandle decremented or
 *            deleted. An emptied block is released: BlockAffinity
 *            pendingDeletion -> IPAMBlock delete with resourceVersion
 *            precondition (a concurrent allocation makes it fail, and the
 *            affinity goes back to confirmed) -> BlockAffinity delete.
 *   Invariant: a handle's count for a block is never lower than what the
 *   block holds for it, so a crash can leave an over-count (repaired by the
 *   next release) but never an allocation no handle knows about.
 * - Errors: 0 or -errno. -ENOENT: no pool usable (message names the node
 *   and each pool's reason); -ENOSPC: exhausted (message names each pool,
 *   its size and usage, and the rule that stopped allocation); -EAGAIN: gave
 *   up after the bounded retries under contention; -ETIMEDOUT: the assign
 *   ran past its deadline (opts) and stopped writing; API errors as
 *   lib/kube_client. The message is one line in the caller's buffer.
 * - Thread safety: an engine may be used from one thread at a time; use one
 *   engine per thread (they may share nothing but the API). */
#ifndef TWILL_IPAM_ENGINE_H
#define TWILL_IPAM_ENGINE_H

#include <stdbool.h>
#include <stddef.h>

#include "cidr.h"
#include "kube_client.h"

#define IPAM_RESULT_MAX 16
#define IPAM_ERROR_MAX 1024

struct ipam_engine_opts {
	int cas_retries;  /* retries of one CAS write on 409; 0: default 8 */
	int max_attempts; /* plan/execute rounds per address batch; 0: 32 */
	bool keep_empty_blocks; /* do not release blocks emptied by a release */
	/* No block write of an assign starts later than this after the call
	 * began (gc's grace period must exceed it plus one request timeout, see
	 * docs/ipam.md); 0: IPAM_ASSIGN_DEADLINE_DEFAULT. */
	int assign_deadline_seconds;
};

#define IPAM_ASSIGN_DEADLINE_DEFAULT 120

struct ipam_request {
	const char *handle_id; /* ipam_handle_id(network, container id) */
	const char *node;      /* the node the addresses are for */
	const char *namespace; /* recorded in the block's attributes; optional */
	const char *pod;       /* optional */
	unsigned num_v4;
	unsigned num_v6;
	const char *const *pools_v4; /* requested pools (names or cidrs); NULL: any */
	size_t pools_v4_count;
	const char *const *pools_v6;
	size_t pools_v6_count;
	bool tunnel; /* allocate from pools allowing Tunnel use instead of Workload */
};

struct ipam_assigned {
	struct ip_addr addr;
	struct cidr block;
	struct cidr pool;
	char pool_name[254];
};

struct ipam_result {
	size_t count;
	struct ipam_assigned addrs[IPAM_RESULT_MAX];
	char error[IPAM_ERROR_MAX];
};

struct ipam_engine;

/* The client stays the caller's. opts may be NULL. 0, -EINVAL, -ENOMEM. */
int ipam_engine_new(struct kube_client *client, const struct ipam_engine_opts *opts,
		    struct ipam_engine **out);
void ipam_engine_free(struct ipam_engine *engine);

/* Assign num_v4 + num_v6 (at most IPAM_RESULT_MAX) addresses to the
 * request's handle. On failure the addresses assigned so far by this call
 * are released again, so a failed ADD leaves nothing behind. */
int ipam_assign(struct ipam_engine *engine, const struct ipam_request *req,
		struct ipam_result *res);
/* Release everything handle_id holds and delete its IPAMHandle. Idempotent:
 * an unknown handle releases 0 and returns 0. released may be NULL. */
int ipam_release_handle(struct ipam_engine *engine, const char *handle_id, size_t *released,
			char *err, size_t errlen);
/* Release one address. handle_id non-NULL: only if that handle holds it
 * (-EPERM otherwise). An address that is already free returns 0 with
 * *released false. -ENOENT when no block contains ip. */
int ipam_release_ip(struct ipam_engine *engine, const struct ip_addr *ip, const char *handle_id,
		    bool *released, char *err, size_t errlen);

#endif
