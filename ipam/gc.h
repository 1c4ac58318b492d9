/* gc: what `twillctl ipam gc` does about check's findings — a pure plan.
 *
 * Contract: ipam_gc_plan() turns findings (ipam_check_run() on one
 * snapshot) into actions, never touching anything younger than the grace
 * period so an ADD in flight is never robbed:
 *   LEAKED          -> RELEASE_HANDLE (once per handle) when the finding is
 *                      older than grace (unknown age: skipped) and no other
 *                      LEAKED/EMPTY_HANDLE finding of that handle is younger
 *                      (the release would free its addresses too)
 *   NO_HANDLE       -> RELEASE_IP with the recorded handle as precondition
 *                      (no ADD writes a block before its handle, so there
 *                      is nothing in flight to protect; the precondition
 *                      stops it if the address changed hands meanwhile)
 *   EMPTY_HANDLE    -> RELEASE_HANDLE when older than grace
 *   STALE_AFFINITY  -> DELETE_AFFINITY when older than grace
 *   ORPHAN_BLOCK    -> DELETE_BLOCK when older than grace and it holds no
 *                      address (blocks with leaked addresses are released
 *                      by the engine when their last address goes)
 *   UNDERCOUNT, DUPLICATE, BAD_BLOCK -> nothing: they need an operator,
 *                      and are counted in skipped_manual.
 * Findings skipped for the grace period are counted in skipped_grace. */
#ifndef TWILL_IPAM_GC_H
#define TWILL_IPAM_GC_H

#include <stddef.h>
#include <time.h>

#include "check.h"

enum ipam_gc_action_kind {
	IPAM_GC_RELEASE_HANDLE = 0,
	IPAM_GC_RELEASE_IP,
	IPAM_GC_DELETE_AFFINITY,
	IPAM_GC_DELETE_BLOCK,
	/* Only planned by the node controller (controllers/node_gc.h): drop a
	 * gone node's affinity from a block other nodes still borrow from. */
	IPAM_GC_UNAFFINE_BLOCK,
};

struct ipam_gc_action {
	enum ipam_gc_action_kind kind;
	char ip[IP_ADDR_STRLEN];
	char handle_id[IPAM_FINDING_TEXT_MAX];
	char object[256];          /* affinity / block object name */
	char node[256];            /* UNAFFINE_BLOCK: the affinity's node */
	char resource_version[64]; /* precondition for deletes, "" = none */
	char reason[IPAM_FINDING_TEXT_MAX];
};

struct ipam_gc_plan {
	struct ipam_gc_action *actions;
	size_t count;
	size_t skipped_grace;
	size_t skipped_manual;
};

/* 0 or -ENOMEM. grace in seconds. */
int ipam_gc_plan(const struct ipam_snapshot *snap, const struct ipam_findings *findings,
		 time_t now, long grace, struct ipam_gc_plan *out);
void ipam_gc_plan_free(struct ipam_gc_plan *plan);
const char *ipam_gc_action_name(enum ipam_gc_action_kind kind);

/* "0", "90", "90s", "15m", "2h", "1h30m" -> seconds. 0 or -EINVAL. */
int ipam_gc_parse_duration(const char *text, long *out);

/* Whether a finding is still within the grace period. */
int ipam_gc_in_grace(const struct ipam_finding *f, time_t now, long grace);

#endif
