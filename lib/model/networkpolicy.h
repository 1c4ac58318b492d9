/* networkpolicy: Kubernetes networking.k8s.io/v1 NetworkPolicy.
 *
 * The API's meaning hangs on presence, so the struct keeps it explicitly:
 *   - a selector that is absent differs from {} (which matches everything):
 *     netpol_selector.present;
 *   - `ingress` absent, `ingress: []` and `ingress: [{}]` are three different
 *     things (no rules / no rules / one rule allowing all): ingress_present +
 *     ingress_count, and inside a rule `from` absent vs [] (both: all
 *     sources) is kept too so a round trip is exact;
 *   - policyTypes absent means "Ingress, plus Egress if there are egress
 *     rules": networkpolicy_effective_types() applies that rule.
 * A port is numeric (port > 0), named (port_name) or absent (all ports). */
#ifndef TWILL_MODEL_NETWORKPOLICY_H
#define TWILL_MODEL_NETWORKPOLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "label_selector.h"
#include "model/model.h"
#include "model/pod.h" /* enum model_protocol */

enum netpol_type {
	NETPOL_TYPE_INGRESS = 1u << 0,
	NETPOL_TYPE_EGRESS = 1u << 1,
};

struct netpol_selector {
	bool present;
	struct label_selector sel;
};

struct netpol_ip_block {
	char *cidr;
	char **except;
	size_t except_count;
};

struct netpol_peer {
	struct netpol_selector pod_selector;
	struct netpol_selector namespace_selector;
	bool has_ip_block;
	struct netpol_ip_block ip_block;
};

struct netpol_port {
	enum model_protocol protocol; /* default TCP */
	int port;        /* 0 = absent or named */
	char *port_name; /* named port, or NULL */
	int end_port;    /* 0 = absent */
};

struct netpol_rule {
	bool peers_present; /* `from` / `to` given */
	struct netpol_peer *peers;
	size_t peer_count;
	bool ports_present;
	struct netpol_port *ports;
	size_t port_count;
};

struct networkpolicy {
	struct object_meta meta;
	struct netpol_selector pod_selector;
	bool policy_types_present;
	unsigned policy_types; /* enum netpol_type bits, as written */
	bool ingress_present;
	struct netpol_rule *ingress;
	size_t ingress_count;
	bool egress_present;
	struct netpol_rule *egress;
	size_t egress_count;
};

int networkpolicy_from_json(json_object *obj, struct networkpolicy *np,
			    struct model_errors *errs);
json_object *networkpolicy_to_json(const struct networkpolicy *np);
void networkpolicy_validate(const struct networkpolicy *np, struct model_errors *errs);
void networkpolicy_free(struct networkpolicy *np);
/* Policy types in force (Kubernetes defaulting applied). */
unsigned networkpolicy_effective_types(const struct networkpolicy *np);

#endif
