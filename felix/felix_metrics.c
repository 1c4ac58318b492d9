/* felix_metrics: Prometheus text for felix's counters (see felix_metrics.h).
 *
 * Rendering appends into the caller's buffer through lib/prom_text, which
 * tracks overflow, so a too-small buffer is reported once at the end rather
 * than checked after every line. */
#include "felix_metrics.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>

#include "prom_text.h"

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

int felix_metrics_render(const struct felix_metrics *m, char *buf, size_t size)
{
	struct prom_text o;
	uint64_t cumulative = 0;
	int i;

	if (!size)
		return -ENOSPC;
	prom_text_init(&o, buf, size, "twill_felix");
	prom_text_printf(&o, "# HELP twill_felix_apply_seconds Time of one dataplane apply.\n"
		"# TYPE twill_felix_apply_seconds histogram\n");
	for (i = 0; i < FELIX_METRICS_BUCKETS; i++) {
		cumulative += m->apply_buckets[i];
		prom_text_printf(&o, "twill_felix_apply_seconds_bucket{le=\"%g\"} %llu\n", bucket_bounds[i],
		    (unsigned long long)cumulative);
	}
	prom_text_printf(&o, "twill_felix_apply_seconds_bucket{le=\"+Inf\"} %llu\n",
	                 (unsigned long long)m->apply_count);
	prom_text_printf(&o, "twill_felix_apply_seconds_sum %.6f\n", m->apply_seconds_sum);
	prom_text_printf(&o, "twill_felix_apply_seconds_count %llu\n", (unsigned long long)m->apply_count);
	prom_text_metric(&o, "resyncs_total", "counter", "Periodic kernel re-dumps.", m->resyncs);
	prom_text_metric(&o, "apply_errors_total", "counter", "Applies that ended with an error.",
	                 m->apply_errors);
	prom_text_metric(&o, "datastore_errors_total", "counter", "Failed datastore lists and watches.",
	                 m->datastore_errors);
	prom_text_metric(&o, "routes", "gauge", "Routes felix wants programmed.", m->routes);
	prom_text_metric(&o, "endpoints", "gauge", "Local workload endpoint routes.", m->endpoints);
	prom_text_metric(&o, "vxlan_peers", "gauge", "Remote VTEPs programmed.", m->vxlan_peers);
	prom_text_metric(&o, "route_conflicts", "gauge", "Wanted prefixes held by other protocols.",
	                 m->route_conflicts);
	prom_text_metric(&o, "policy_enabled", "gauge", "1 when NetworkPolicy enforcement is on.",
	                 (uint64_t)(m->policy_enabled != 0));
	prom_text_metric(&o, "policy_rules", "gauge", "Rules in table inet twill.", m->policy_rules);
	prom_text_metric(&o, "policy_chains", "gauge", "Chains in table inet twill.", m->policy_chains);
	prom_text_metric(&o, "policy_sets", "gauge", "Sets and verdict maps in table inet twill.",
	                 m->policy_sets);
	prom_text_metric(&o, "policy_set_elements", "gauge", "Elements over all sets and maps.",
	                 m->policy_set_elements);
	prom_text_metric(&o, "policy_endpoints", "gauge", "Local pods with policy chains.",
	                 m->policy_endpoints);
	prom_text_metric(&o, "policies", "gauge", "NetworkPolicies known.", m->policies);
	prom_text_metric(&o, "policy_applies_total", "counter", "Successful policy applies.",
	                 m->policy_applies);
	prom_text_metric(&o, "policy_apply_errors_total", "counter",
	                 "Failed policy applies (the previous table stays).", m->policy_apply_errors);
	prom_text_metric(&o, "ready", "gauge", "1 once the first full apply completed.",
	                 (uint64_t)(m->ready != 0));
	return prom_text_end(&o);
}
