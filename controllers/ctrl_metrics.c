/* ctrl_metrics: Prometheus text for the controllers' counters (see
 * ctrl_metrics.h). One appending helper tracks overflow so a small buffer
 * is reported once, at the end. */
#include "ctrl_metrics.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

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
	put(o, "# HELP twill_controllers_%s %s\n# TYPE twill_controllers_%s %s\n"
	       "twill_controllers_%s %llu\n",
	    name, help, name, type, name, (unsigned long long)value);
}

int ctrl_metrics_render(const struct ctrl_metrics *m, char *buf, size_t size)
{
	struct out o = { buf, size, 0, false };

	if (!size)
		return -ENOSPC;
	buf[0] = '\0';
	metric(&o, "leader", "gauge", "1 while this instance holds the leader lease.",
	       (uint64_t)(m->leader != 0));
	metric(&o, "leader_transitions_total", "counter", "Times this instance became leader.",
	       m->leader_transitions);
	metric(&o, "leaks_found", "gauge", "IPAM leak findings in the last leak pass.",
	       m->leaks_found);
	metric(&o, "leaks_in_grace", "gauge",
	       "Leak findings of the last pass still within the grace period.", m->leaks_in_grace);
	metric(&o, "leaks_released_total", "counter", "Leak actions carried out.",
	       m->leaks_released);
	metric(&o, "nodes_cleaned_total", "counter",
	       "Deleted nodes whose IPAM state was cleaned up.", m->nodes_cleaned);
	metric(&o, "node_actions_total", "counter", "Node-controller actions carried out.",
	       m->node_actions);
	metric(&o, "allocations_kept", "gauge",
	       "Addresses of deleted nodes kept because their pod still exists.",
	       m->allocations_kept);
	metric(&o, "reconcile_errors_total", "counter", "Failed passes and actions.",
	       m->reconcile_errors);
	metric(&o, "leak_passes_total", "counter", "Completed leak-controller passes.",
	       m->leak_passes);
	metric(&o, "node_passes_total", "counter", "Completed node-controller passes.",
	       m->node_passes);
	metric(&o, "last_leak_pass_timestamp_seconds", "gauge",
	       "Unix time of the last completed leak pass.", m->last_leak_pass_unix);
	if (o.full)
		return -ENOSPC;
	return (int)o.used;
}
