/* felix_metrics: Prometheus text for felix's counters (see felix_metrics.h).
 *
 * Rendering appends into the caller's buffer through one helper that tracks
 * overflow, so a too-small buffer is reported once at the end rather than
 * checked after every line. */
#include "felix_metrics.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

static const double bucket_bounds[FELIX_METRICS_BUCKETS] = {
	0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 2.5, 10,
};

void felix_metrics_observe_apply(struct felix_metrics *m, double seconds)
{
	int i;

	if (seconds < 0)
		seconds = 0;
	m->apply_count++;
	m->apply_seconds_sum += seconds;
	for (i = 0; i < FELIX_METRICS_BUCKETS; i++)
		if (seconds <= bucket_bounds[i]) {
			m->apply_buckets[i]++;
			return;
		}
	/* Above the last bound: counted only in +Inf (apply_count). */
}

struct out {
	char *buf;
	size_t size, used;
	bool full;
};

__attribute__((format(printf, 2, 3))) static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->used, o->size - o->used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->size - o->used) {
		o->full = true;
		return;
	}
	o->used += (size_t)n;
}

static void metric(struct out *o, const char *name, const char *type, const char *help,
		   uint64_t value)
{
	put(o, "# HELP twill_felix_%s %s\n# TYPE twill_felix_%s %s\ntwill_felix_%s %llu\n", name,
	    help, name, type, name, (unsigned long long)value);
}

int felix_metrics_render(const struct felix_metrics *m, char *buf, size_t size)
{
	struct out o = {buf, size, 0, false};
	uint64_t cumulative = 0;
	int i;

	if (!size)
		return -ENOSPC;
	buf[0] = '\0';
	put(&o, "# HELP twill_felix_apply_seconds Time of one dataplane apply.\n"
		"# TYPE twill_felix_apply_seconds histogram\n");
	for (i = 0; i < FELIX_METRICS_BUCKETS; i++) {
		cumulative += m->apply_buckets[i];
		put(&o, "twill_felix_apply_seconds_bucket{le=\"%g\"} %llu\n", bucket_bounds[i],
		    (unsigned long long)cumulative);
	}
	put(&o, "twill_felix_apply_seconds_bucket{le=\"+Inf\"} %llu\n",
	    (unsigned long long)m->apply_count);
	put(&o, "twill_felix_apply_seconds_sum %.6f\n", m->apply_seconds_sum);
	put(&o, "twill_felix_apply_seconds_count %llu\n", (unsigned long long)m->apply_count);
	metric(&o, "resyncs_total", "counter", "Periodic kernel re-dumps.", m->resyncs);
	metric(&o, "apply_errors_total", "counter", "Applies that ended with an error.",
	       m->apply_errors);
	metric(&o, "datastore_errors_total", "counter", "Failed datastore lists and watches.",
	       m->datastore_errors);
	metric(&o, "routes", "gauge", "Routes felix wants programmed.", m->routes);
	metric(&o, "endpoints", "gauge", "Local workload endpoint routes.", m->endpoints);
	metric(&o, "vxlan_peers", "gauge", "Remote VTEPs programmed.", m->vxlan_peers);
	metric(&o, "route_conflicts", "gauge", "Wanted prefixes held by other protocols.",
	       m->route_conflicts);
	metric(&o, "policy_enabled", "gauge", "1 when NetworkPolicy enforcement is on.",
	       (uint64_t)(m->policy_enabled != 0));
	metric(&o, "policy_rules", "gauge", "Rules in table inet twill.", m->policy_rules);
	metric(&o, "policy_chains", "gauge", "Chains in table inet twill.", m->policy_chains);
	metric(&o, "policy_sets", "gauge", "Sets and verdict maps in table inet twill.",
	       m->policy_sets);
	metric(&o, "policy_set_elements", "gauge", "Elements over all sets and maps.",
	       m->policy_set_elements);
	metric(&o, "policy_endpoints", "gauge", "Local pods with policy chains.",
	       m->policy_endpoints);
	metric(&o, "policies", "gauge", "NetworkPolicies known.", m->policies);
	metric(&o, "policy_applies_total", "counter", "Successful policy applies.",
	       m->policy_applies);
	metric(&o, "policy_apply_errors_total", "counter",
	       "Failed policy applies (the previous table stays).", m->policy_apply_errors);
	metric(&o, "ready", "gauge", "1 once the first full apply completed.",
	       (uint64_t)(m->ready != 0));
	if (o.full)
		return -ENOSPC;
	return (int)o.used;
}
