/* gc: the garbage collector's decisions, separated from its writes.
 *
 * The rules live in gc.h. The one subtle point is age: "since" is the
 * creation time of the object whose existence makes the finding possible
 * (the handle for a leak, the affinity for a stale affinity), taken from
 * the API server's clock, while "now" comes from the caller's clock; a
 * grace period of minutes absorbs normal skew. Unknown age counts as young
 * for everything that an in-flight ADD could produce. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gc.h"

const char *ipam_gc_action_name(enum ipam_gc_action_kind kind)
{
	switch (kind) {
	case IPAM_GC_RELEASE_HANDLE:
		return "release-handle";
	case IPAM_GC_RELEASE_IP:
		return "release-ip";
	case IPAM_GC_DELETE_AFFINITY:
		return "delete-affinity";
	case IPAM_GC_DELETE_BLOCK:
		return "delete-block";
	case IPAM_GC_UNAFFINE_BLOCK:
		return "unaffine-block";
	}
	return "unknown";
}

int ipam_gc_parse_duration(const char *text, long *out)
{
	long total = 0;
	const char *p = text;

	if (!text || !*text)
		return -EINVAL;
	while (*p) {
		char *end;
		long v, mult = 1;

		if (*p < '0' || *p > '9')
			return -EINVAL;
		errno = 0;
		v = strtol(p, &end, 10);
		if (errno || v < 0 || v > 100000000L)
			return -EINVAL;
		switch (*end) {
		case 'h':
			mult = 3600;
			end++;
			break;
		case 'm':
			mult = 60;
			end++;
			break;
		case 's':
			end++;
			break;
		case '\0':
			if (p != text)
				return -EINVAL; /* "1h30" is ambiguous */
			break;
		default:
			return -EINVAL;
		}
		total += v * mult;
		if (total > 100000000L)
			return -EINVAL;
		p = end;
	}
	*out = total;
	return 0;
}

int ipam_gc_in_grace(const struct ipam_finding *f, time_t now, long grace)
{
	switch (f->kind) {
	case IPAM_FINDING_LEAKED:
	case IPAM_FINDING_EMPTY_HANDLE:
	case IPAM_FINDING_STALE_AFFINITY:
	case IPAM_FINDING_ORPHAN_BLOCK:
		if (grace <= 0)
			return 0;
		return f->since == 0 || now - f->since < grace;
	default:
		return 0;
	}
}

static struct ipam_gc_action *add(struct ipam_gc_plan *p, enum ipam_gc_action_kind kind,
				  const struct ipam_finding *f)
{
	struct ipam_gc_action *n = realloc(p->actions, (p->count + 1) * sizeof(*n)), *a;

	if (!n)
		return NULL;
	p->actions = n;
	a = &n[p->count++];
	memset(a, 0, sizeof(*a));
	a->kind = kind;
	snprintf(a->ip, sizeof(a->ip), "%s", f->ip);
	snprintf(a->handle_id, sizeof(a->handle_id), "%s", f->handle_id);
	snprintf(a->object, sizeof(a->object), "%s", f->object);
	snprintf(a->reason, sizeof(a->reason), "%s: %.280s", ipam_finding_kind_name(f->kind),
		 f->detail);
	return a;
}

static bool planned_handle(const struct ipam_gc_plan *p, const char *handle_id)
{
	size_t i;

	for (i = 0; i < p->count; i++)
		if (p->actions[i].kind == IPAM_GC_RELEASE_HANDLE &&
		    strcmp(p->actions[i].handle_id, handle_id) == 0)
			return true;
	return false;
}

static const struct ipamblock *block_named(const struct ipam_snapshot *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->block_count; i++)
		if (s->blocks[i].meta.name && strcmp(s->blocks[i].meta.name, name) == 0)
			return &s->blocks[i];
	return NULL;
}

static const char *affinity_version(const struct ipam_snapshot *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->affinity_count; i++)
		if (s->affinities[i].meta.name && strcmp(s->affinities[i].meta.name, name) == 0)
			return s->affinities[i].meta.resource_version;
	return NULL;
}

static bool block_empty(const struct ipamblock *b)
{
	size_t i;

	for (i = 0; i < b->allocation_count; i++)
		if (b->allocations[i] >= 0)
			return false;
	return true;
}

/* Releasing a handle frees every address it holds, so one finding of the
 * handle still within the grace period (a newer ADD counted it up or
 * allocated under it) protects the whole handle. */
static bool handle_in_grace(const struct ipam_findings *findings, const char *handle_id,
			    time_t now, long grace)
{
	size_t i;

	for (i = 0; i < findings->count; i++) {
		const struct ipam_finding *f = &findings->items[i];

		if ((f->kind == IPAM_FINDING_LEAKED || f->kind == IPAM_FINDING_EMPTY_HANDLE) &&
		    strcmp(f->handle_id, handle_id) == 0 && ipam_gc_in_grace(f, now, grace))
			return true;
	}
	return false;
}

int ipam_gc_plan(const struct ipam_snapshot *snap, const struct ipam_findings *findings,
		 time_t now, long grace, struct ipam_gc_plan *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < findings->count; i++) {
		const struct ipam_finding *f = &findings->items[i];
		struct ipam_gc_action *a = NULL;
		const struct ipamblock *b;
		const char *rv = NULL;

		if (ipam_gc_in_grace(f, now, grace)) {
			out->skipped_grace++;
			continue;
		}
		switch (f->kind) {
		case IPAM_FINDING_LEAKED:
		case IPAM_FINDING_EMPTY_HANDLE:
			if (planned_handle(out, f->handle_id))
				continue;
			if (handle_in_grace(findings, f->handle_id, now, grace)) {
				out->skipped_grace++;
				continue;
			}
			a = add(out, IPAM_GC_RELEASE_HANDLE, f);
			break;
		case IPAM_FINDING_NO_HANDLE:
			a = add(out, IPAM_GC_RELEASE_IP, f);
			break;
		case IPAM_FINDING_STALE_AFFINITY:
			a = add(out, IPAM_GC_DELETE_AFFINITY, f);
			rv = affinity_version(snap, f->object);
			break;
		case IPAM_FINDING_ORPHAN_BLOCK:
			b = block_named(snap, f->object);
			if (!b || !block_empty(b))
				continue; /* its leaked addresses go first */
			a = add(out, IPAM_GC_DELETE_BLOCK, f);
			rv = b->meta.resource_version;
			break;
		default:
			out->skipped_manual++;
			continue;
		}
		if (!a) {
			ipam_gc_plan_free(out);
			return -ENOMEM;
		}
		if (rv)
			snprintf(a->resource_version, sizeof(a->resource_version), "%s", rv);
	}
	return 0;
}

void ipam_gc_plan_free(struct ipam_gc_plan *plan)
{
	if (!plan)
		return;
	free(plan->actions);
	memset(plan, 0, sizeof(*plan));
}
