/* felix_metrics: the numbers felix exports on /metrics, and their
 * Prometheus text rendering.
 *
 * Contract: plain counters and gauges the event loop updates (single
 * thread, no locking); felix_metrics_observe_apply() adds one dataplane
 * apply duration to a fixed-bucket histogram (seconds; buckets 1 ms .. 10 s).
 * felix_metrics_render() writes text format 0.0.4: # HELP / # TYPE lines,
 * names prefixed twill_felix_, histogram as _bucket{le=...} cumulative,
 * _sum and _count. Returns bytes written (without the NUL), or -ENOSPC when
 * buf is too small (buf then holds a truncated but NUL-terminated text). */
#ifndef TWILL_FELIX_METRICS_H
#define TWILL_FELIX_METRICS_H

#include <stddef.h>
#include <stdint.h>

#define FELIX_METRICS_BUCKETS 10

struct felix_metrics {
	uint64_t apply_buckets[FELIX_METRICS_BUCKETS]; /* non-cumulative counts */
	uint64_t apply_count;
	double apply_seconds_sum;
	uint64_t resyncs;            /* periodic re-dumps */
	uint64_t apply_errors;       /* applies that returned an error */
	uint64_t datastore_errors;   /* informer list/watch failures */
	uint64_t routes;             /* desired routes (gauge) */
	uint64_t endpoints;          /* local endpoint routes (gauge) */
	uint64_t vxlan_peers;        /* gauge */
	uint64_t route_conflicts;    /* gauge: last apply's conflicts */
	uint64_t policy_rules;       /* gauges: the last applied ruleset (table inet twill) */
	uint64_t policy_chains;
	uint64_t policy_sets;        /* sets and verdict maps */
	uint64_t policy_set_elements;
	uint64_t policy_endpoints;   /* local pods with chains */
	uint64_t policies;           /* NetworkPolicies known */
	uint64_t policy_applies;     /* counter: successful policy applies */
	uint64_t policy_apply_errors; /* counter: failed policy applies (old table kept) */
	int policy_enabled;          /* gauge: enforcement on */
	int ready;                   /* gauge: first full apply done */
};

void felix_metrics_observe_apply(struct felix_metrics *m, double seconds);
int felix_metrics_render(const struct felix_metrics *m, char *buf, size_t size);

#endif
