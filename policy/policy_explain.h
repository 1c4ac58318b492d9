/* policy_explain: the pure core of `twillctl policy explain` — from the API's
 * list objects (Pods, Namespaces, NetworkPolicies) and a question ("from
 * x/a to y/b on 80/TCP"), the verdict and the reason, computed by the same
 * model and evaluator the compiler is checked against.
 *
 * Contract:
 *  - An endpoint is "NAMESPACE/POD" or an IP address (an address that
 *    belongs to a pod is treated as that pod), or "node" as the source
 *    (the destination pod's own node: kubelet probes).
 *  - A port is "PORT[/PROTO]" with PROTO TCP (default), UDP or SCTP,
 *    case-insensitive, PORT 1..65535.
 *  - Objects that fail to parse are skipped with a note on the report, so
 *    one odd object never hides the answer for the others.
 *  - The report is a few "key: value" lines; the first is
 *    "verdict: allow" or "verdict: deny".
 * Returns 0 with *allowed set, -EINVAL (bad endpoint/port text, message in
 * err), -ENOENT (named pod not found, message in err), -ENOMEM. */
#ifndef TWILL_POLICY_EXPLAIN_H
#define TWILL_POLICY_EXPLAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <json-c/json.h>

struct policy_explain_query {
	const char *from;
	const char *to;
	const char *port; /* "80/TCP" */
};

/* *_list are List objects ({"items": [...]}) or plain arrays; NULL = empty. */
int policy_explain(json_object *pod_list, json_object *namespace_list,
		   json_object *policy_list, const struct policy_explain_query *q, FILE *out,
		   bool *allowed, char *err, size_t errlen);

/* Parse "80", "80/TCP", "53/udp". 0 or -EINVAL. */
int policy_explain_parse_port(const char *text, int *port, int *protocol);

#endif
