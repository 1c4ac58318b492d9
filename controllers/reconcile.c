/* reconcile: the I/O shell of both controllers (see reconcile.h).
 *
 * Snapshots are full lists (blocks first, see ipam/check.h): the passes are
 * rare (a node deletion, every few minutes) and a fresh list is the only
 * view that is consistent enough to decide deletions on. The leader check
 * sits in front of every single write, not only at the start of a pass,
 * because a pass can outlive the renew deadline. */
#include "reconcile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "gc.h"
#include "gc_exec.h"
#include "log.h"
#include "node_gc.h"
#include "snapshot.h"

static const struct kube_resource res_nodes = { "", "v1", "nodes", false };

static bool may_act(struct ctrl_ctx *c)
{
	return !c->le || leader_elect_is_leader(c->le);
}

static int load(struct ctrl_ctx *c, struct ipam_snapshot *s, const char *controller)
{
	struct kube_error kerr = { 0 };
	int rc = ipam_snapshot_load(c->client, true, s, &kerr);

	if (rc < 0) {
		c->m->reconcile_errors++;
		log_warn("event=snapshot_failed controller=%s err=%d msg=\"%s\"", controller, rc,
			 kerr.message);
	}
	return rc;
}

/* Carry out one action; returns 1 when it wrote, 0 when nothing was left to
 * do, -errno on failure (counted). */
static int act(struct ctrl_ctx *c, const char *controller, const struct ipam_gc_action *a)
{
	char err[IPAM_ERROR_MAX] = "", reason[IPAM_FINDING_TEXT_MAX + 8];
	bool changed = false;
	int rc = ipam_gc_exec(c->client, c->engine, a, &changed, err, sizeof(err));

	log_quote(reason, sizeof(reason), a->reason);
	if (rc < 0) {
		c->m->reconcile_errors++;
		log_warn("event=gc_action_failed controller=%s action=%s handle=%s ip=%s object=%s "
			 "node=%s err=%d msg=\"%s\"", controller, ipam_gc_action_name(a->kind),
			 a->handle_id[0] ? a->handle_id : "-", a->ip[0] ? a->ip : "-",
			 a->object[0] ? a->object : "-", a->node[0] ? a->node : "-", rc, err);
		return rc;
	}
	log_info("event=gc_action controller=%s action=%s handle=%s ip=%s object=%s node=%s "
		 "changed=%d reason=%s", controller, ipam_gc_action_name(a->kind),
		 a->handle_id[0] ? a->handle_id : "-", a->ip[0] ? a->ip : "-",
		 a->object[0] ? a->object : "-", a->node[0] ? a->node : "-", changed, reason);
	return changed ? 1 : 0;
}

/* The node is still gone (404 on a fresh read). Errors count as "not
 * gone": acting on a node that may exist is the unsafe direction. */
static bool still_gone(struct ctrl_ctx *c, const char *node)
{
	struct kube_error kerr = { 0 };
	json_object *obj = NULL;
	int rc = kube_get(c->client, &res_nodes, NULL, node, &obj, &kerr);

	json_object_put(obj);
	if (rc == 0)
		log_info("event=node_returned node=%s msg=\"a Node of that name exists again; its "
			 "IPAM state is left alone\"", node);
	else if (rc != -ENOENT)
		log_warn("event=node_read_failed node=%s err=%d msg=\"%s\"", node, rc, kerr.message);
	return rc == -ENOENT;
}

/* One round: 1 when something was written, 0 when the plan was empty. */
static int node_round(struct ctrl_ctx *c, bool *pending, char ***cleaned, size_t *ncleaned)
{
	struct ipam_snapshot s;
	struct ctrl_node_gc_plan plan;
	char current[256] = "";
	bool skip = false;
	int rc, wrote = 0;
	size_t i;

	if ((rc = load(c, &s, "node")) < 0)
		return rc;
	rc = ctrl_node_gc_plan(&s, &plan);
	ipam_snapshot_free(&s);
	if (rc < 0) {
		c->m->reconcile_errors++;
		return rc;
	}
	*pending = plan.pending_count > 0;
	c->m->allocations_kept = plan.kept;
	for (i = 0; i < plan.pending_count; i++)
		log_info("event=node_pending node=%s msg=\"pods of the deleted node still exist; "
			 "their addresses are kept until the pods are gone\"", plan.pending[i]);
	for (i = 0; i < plan.gc.count; i++) {
		const struct ipam_gc_action *a = &plan.gc.actions[i];

		if (!may_act(c)) {
			rc = -ECANCELED;
			goto out;
		}
		if (strcmp(current, a->node) != 0) {
			snprintf(current, sizeof(current), "%s", a->node);
			skip = !still_gone(c, a->node);
		}
		if (skip)
			continue;
		if (act(c, "node", a) > 0) {
			c->m->node_actions++;
			wrote = 1;
		}
	}
	/* Remember the gone nodes this round touched: cleaned once a later
	 * round finds nothing left for them. */
	for (i = 0; i < plan.gone_count && plan.gc.count; i++) {
		size_t j;
		bool known = false;

		for (j = 0; j < *ncleaned; j++)
			known = known || strcmp((*cleaned)[j], plan.gone[i]) == 0;
		if (!known && *ncleaned < 64) {
			char **grown = realloc(*cleaned, (*ncleaned + 1) * sizeof(**cleaned));

			if (grown) {
				*cleaned = grown;
				if ((grown[*ncleaned] = strdup(plan.gone[i])))
					(*ncleaned)++;
			}
		}
	}
	rc = wrote;
out:
	ctrl_node_gc_plan_free(&plan);
	return rc;
}

int ctrl_reconcile_nodes(struct ctrl_ctx *c, bool *pending)
{
	char **touched = NULL;
	size_t ntouched = 0, i;
	int round, rc = 0;

	*pending = false;
	for (round = 0; round < CTRL_NODE_ROUNDS; round++) {
		if (!may_act(c))
			return -ECANCELED;
		rc = node_round(c, pending, &touched, &ntouched);
		if (rc <= 0)
			break;
	}
	if (rc >= 0) {
		c->m->node_passes++;
		if (!*pending)
			c->m->nodes_cleaned += ntouched;
		for (i = 0; i < ntouched && !*pending; i++)
			log_info("event=node_cleaned node=%s", touched[i]);
		rc = 0;
	}
	for (i = 0; i < ntouched; i++)
		free(touched[i]);
	free(touched);
	return rc;
}

static bool is_leak(enum ipam_finding_kind k)
{
	return k == IPAM_FINDING_LEAKED || k == IPAM_FINDING_NO_HANDLE ||
	       k == IPAM_FINDING_EMPTY_HANDLE || k == IPAM_FINDING_ORPHAN_BLOCK ||
	       k == IPAM_FINDING_STALE_AFFINITY;
}

int ctrl_reconcile_leaks(struct ctrl_ctx *c)
{
	struct ipam_snapshot s;
	struct ipam_findings f = { 0 };
	struct ipam_gc_plan plan = { 0 };
	size_t i, found = 0;
	time_t now;
	int rc;

	if ((rc = load(c, &s, "leak")) < 0)
		return rc;
	now = time(NULL);
	rc = ipam_check_run(&s, &f);
	if (rc == 0)
		rc = ipam_gc_plan(&s, &f, now, c->grace_s, &plan);
	if (rc < 0) {
		c->m->reconcile_errors++;
		goto out;
	}
	for (i = 0; i < f.count; i++)
		found += is_leak(f.items[i].kind);
	c->m->leaks_found = found;
	c->m->leaks_in_grace = plan.skipped_grace;
	log_info("event=leak_pass findings=%zu actions=%zu in_grace=%zu need_operator=%zu "
		 "grace_s=%ld", f.count, plan.count, plan.skipped_grace, plan.skipped_manual,
		 c->grace_s);
	for (i = 0; i < plan.count; i++) {
		if (!may_act(c)) {
			rc = -ECANCELED;
			goto out;
		}
		if (act(c, "leak", &plan.actions[i]) > 0)
			c->m->leaks_released++;
	}
	c->m->leak_passes++;
	c->m->last_leak_pass_unix = (uint64_t)time(NULL);
out:
	ipam_gc_plan_free(&plan);
	ipam_findings_free(&f);
	ipam_snapshot_free(&s);
	return rc;
}
