/* policy_compile: the pure compiler from the normalised model (policy_model.h)
 * and this node's endpoints to the nftables ruleset of table inet twill.
 *
 * Layout (docs/policy.md has the picture):
 *   chain forward  hook forward: ct established,related accept; ct invalid
 *                  drop; unknown pod interface drop (both ways); iifname
 *                  vmap @from_pod; oifname vmap @to_pod
 *   chain input    hook input: ct established,related accept; IPv6 neighbour
 *                  discovery accept; unknown pod interface drop; iifname vmap
 *                  @from_pod
 *   set endpoints  every endpoint's interface. A new connection from or to an
 *                  interface named like a pod veth (CNI_VETH_PREFIX "tw*")
 *                  that is not in it is dropped: a pod felix has not
 *                  programmed yet is never reachable unfiltered (fail closed,
 *                  as Calico does with unknown workload interfaces).
 *   map from_pod   interface -> jump from_<iface>  (egress-isolated pods only)
 *   map to_pod     interface -> jump to_<iface>    (ingress-isolated pods only)
 *   chain to_<iface>/from_<iface>: four set lookups, then counter drop.
 *     ingress: `ip saddr @to_<iface>_v4 accept` (peers allowed on every
 *     port and protocol) and `ip saddr . meta l4proto . th dport
 *     @to_<iface>_v4p accept` (peer × protocol × port), the same for ip6;
 *     egress uses daddr and `return` so the destination's ingress chain is
 *     still consulted on this node.
 * Per-packet cost is two map lookups plus at most four set lookups per
 * direction whatever the number of policies, rules or pods: every policy
 * selecting an endpoint is folded into that endpoint's sets. Every chain is
 * a fixed template, so a change of policies, labels or pods changes only
 * set and map ELEMENTS (plus whole chains/sets for endpoints that appear,
 * vanish or change isolation) — which is what policy_diff applies.
 * Traffic from the node to its own pods leaves through the output hook,
 * which twill does not filter: the kubelet-probe allowance needs no rule.
 *
 * Semantics are policy_verdict's: an address/port is in an endpoint's sets
 * exactly when policy_verdict would allow that side. Pods not isolated in a
 * direction have no chain and no map element for it.
 * Returns 0, -ENOMEM, or -EINVAL (NULL argument, an interface name that is
 * not [A-Za-z0-9_]{1,15}). Endpoints whose pod is unknown or hostNetwork
 * are skipped (logged). */
#ifndef TWILL_POLICY_COMPILE_H
#define TWILL_POLICY_COMPILE_H

#include <stddef.h>

#include "policy_model.h"
#include "policy_ruleset.h"

#define POLICY_MAP_FROM_POD "from_pod"
#define POLICY_MAP_TO_POD "to_pod"
#define POLICY_SET_ENDPOINTS "endpoints"

struct policy_endpoint {
	const char *iface; /* host-side interface, e.g. "tw1a2b3c4d5e6" */
	const char *pod_namespace;
	const char *pod_name;
};

int policy_compile(const struct policy_model *m, const struct policy_endpoint *endpoints,
		   size_t endpoint_count, struct policy_ruleset *out);

#endif
