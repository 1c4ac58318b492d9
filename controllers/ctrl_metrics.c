/* ctrl_metrics: Prometheus text for the controllers' counters (see
 * ctrl_metrics.h), appended through lib/prom_text, which reports a small
 * buffer once, at the end. */
#include "ctrl_metrics.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>

#include "prom_text.h"

int ctrl_metrics_render(const struct ctrl_metrics *m, char *buf, size_t size)
{
	struct prom_text o;

	if (!size)
		return -ENOSPC;
	prom_text_init(&o, buf, size, "twill_controllers");
	prom_text_metric(&o, "leader", "gauge", "1 while this instance holds the leader lease.",
	                 (uint64_t)(m->leader != 0));
	prom_text_metric(&o, "leader_transitions_total", "counter", "Times this instance became leader.",
	                 m->leader_transitions);
	prom_text_metric(&o, "leaks_found", "gauge", "IPAM leak findings in the last leak pass.",
	                 m->leaks_found);
	prom_text_metric(&o, "leaks_in_grace", "gauge",
	                 "Leak findings of the last pass still within the grace period.", m->leaks_in_grace);
	prom_text_metric(&o, "leaks_released_total", "counter", "Leak actions carried out.",
	                 m->leaks_released);
	prom_text_metric(&o, "nodes_cleaned_total", "counter",
	                 "Deleted nodes whose IPAM state was cleaned up.", m->nodes_cleaned);
	prom_text_metric(&o, "node_actions_total", "counter", "Node-controller actions carried out.",
	                 m->node_actions);
	prom_text_metric(&o, "allocations_kept", "gauge",
	                 "Addresses of deleted nodes kept because their pod still exists.",
	                 m->allocations_kept);
	prom_text_metric(&o, "reconcile_errors_total", "counter", "Failed passes and actions.",
	                 m->reconcile_errors);
	prom_text_metric(&o, "leak_passes_total", "counter", "Completed leak-controller passes.",
	                 m->leak_passes);
	prom_text_metric(&o, "node_passes_total", "counter", "Completed node-controller passes.",
	                 m->node_passes);
	prom_text_metric(&o, "last_leak_pass_timestamp_seconds", "gauge",
	                 "Unix time of the last completed leak pass.", m->last_leak_pass_unix);
	return prom_text_end(&o);
}
