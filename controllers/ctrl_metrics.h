/* ctrl_metrics: the numbers twill-controllers exports on /metrics, and their
 * Prometheus text rendering.
 *
 * Contract: plain counters and gauges the event loop updates (one thread,
 * no locking). ctrl_metrics_render() writes text format 0.0.4 (# HELP /
 * # TYPE, names prefixed twill_controllers_) and returns the bytes written,
 * or -ENOSPC when buf is too small (buf then holds a truncated,
 * NUL-terminated text). */
#ifndef TWILL_CONTROLLERS_METRICS_H
#define TWILL_CONTROLLERS_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct ctrl_metrics {
	int leader;                     /* gauge: 1 while this instance holds the lease */
	uint64_t leader_transitions;    /* times this instance became leader */
	uint64_t leaks_found;           /* gauge: leak findings in the last leak pass */
	uint64_t leaks_in_grace;        /* gauge: of those, still within the grace period */
	uint64_t leaks_released;        /* counter: leak actions carried out */
	uint64_t nodes_cleaned;         /* counter: gone nodes whose IPAM state is gone */
	uint64_t node_actions;          /* counter: node-controller actions carried out */
	uint64_t allocations_kept;      /* gauge: gone nodes' addresses kept (pod exists) */
	uint64_t reconcile_errors;      /* counter: passes or actions that failed */
	uint64_t leak_passes;           /* counter */
	uint64_t node_passes;           /* counter */
	uint64_t last_leak_pass_unix;   /* gauge: wall time of the last completed leak pass */
};

int ctrl_metrics_render(const struct ctrl_metrics *m, char *buf, size_t size);

#endif
