/* policy_model: Kubernetes NetworkPolicies normalised against the cluster's
 * pods and namespaces — the one model both the verdict evaluator (twillctl
 * policy explain, truth-table tests) and the nftables compiler read.
 *
 * Contract:
 *  - Input is borrowed: the pod, namespace and policy arrays must outlive the
 *    model. Policies are kept in a canonical order (namespace, name) so
 *    "the first policy that allows" is stable whatever order the API listed
 *    them in; policy indices in the model refer to that order.
 *  - A policy selects the pods of its own namespace whose labels match its
 *    podSelector (an absent podSelector is {} = all). Pods with hostNetwork
 *    are never endpoints and never match a pod peer (their IP is the node's);
 *    neither are finished pods (phase Succeeded/Failed).
 *  - policyTypes is the effective set (Kubernetes defaulting applied:
 *    Ingress, plus Egress when egress rules exist).
 *  - A rule with `from`/`to` absent or [] allows every peer; with `ports`
 *    absent or [] every port of every protocol (ICMP included).
 *  - A peer is resolved into a sorted list of pod indices (podSelector
 *    and/or namespaceSelector: both present = AND; podSelector alone = own
 *    namespace; namespaceSelector alone = every pod of matching namespaces),
 *    or an ipBlock (cidr minus excepts), which matches any address — pod
 *    IPs included. A peer with none of the three matches nothing.
 *  - A port is (protocol, lo..hi) or (protocol, name); a name is resolved
 *    against the DESTINATION pod's container ports of the same protocol, so
 *    it matches nothing when the destination is not a pod.
 * Nothing here does I/O; policy_model_build() only fails with -ENOMEM or
 * -EINVAL (a NULL argument). Bad CIDRs in ipBlocks (which validation
 * rejects) make that peer match nothing and are logged once. */
#ifndef TWILL_POLICY_MODEL_H
#define TWILL_POLICY_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include "cidr.h"
#include "model/namespace.h"
#include "model/networkpolicy.h"
#include "model/pod.h"

struct policy_input {
	const struct pod *pods;
	size_t pod_count;
	const struct k8s_namespace *namespaces;
	size_t namespace_count;
	const struct networkpolicy *policies;
	size_t policy_count;
};

enum policy_peer_kind {
	POLICY_PEER_PODS,    /* pods[] */
	POLICY_PEER_IPBLOCK, /* block + except[] */
	POLICY_PEER_NONE,    /* matches nothing (empty or invalid peer) */
};

struct policy_peer {
	enum policy_peer_kind kind;
	size_t *pods; /* sorted indices into input.pods */
	size_t pod_count;
	struct cidr block;
	struct cidr *except;
	size_t except_count;
};

struct policy_port {
	enum model_protocol protocol;
	bool all_ports;   /* protocol given, port absent */
	const char *name; /* named port (borrowed), or NULL */
	int lo, hi;       /* numeric range when !all_ports && !name */
};

struct policy_rule {
	bool all_peers;
	struct policy_peer *peers;
	size_t peer_count;
	bool all_ports;
	struct policy_port *ports;
	size_t port_count;
};

struct policy_entry {
	const struct networkpolicy *np; /* borrowed */
	unsigned types;                 /* effective NETPOL_TYPE_* bits */
	size_t *selected;               /* sorted pod indices */
	size_t selected_count;
	struct policy_rule *ingress;
	size_t ingress_count;
	struct policy_rule *egress;
	size_t egress_count;
};

struct policy_model {
	struct policy_input in;
	struct policy_entry *entries; /* sorted by namespace, name */
	size_t entry_count;
};

int policy_model_build(const struct policy_input *in, struct policy_model *out);
void policy_model_free(struct policy_model *m);

/* Index of the pod ns/name in in.pods, or -1. */
long policy_model_find_pod(const struct policy_model *m, const char *ns, const char *name);
/* Index of the namespace's entry in in.namespaces, or -1. */
long policy_model_find_namespace(const struct policy_model *m, const char *name);
/* True when pod (index) takes part in policy: not hostNetwork, and not
 * finished (phase Succeeded or Failed: its IP may already be reused). */
bool policy_model_pod_is_endpoint(const struct policy_model *m, size_t pod);
/* True when entry selects pod. */
bool policy_entry_selects(const struct policy_entry *e, size_t pod);
/* True when the pod is listed in a sorted index array (bsearch). */
bool policy_index_contains(const size_t *list, size_t count, size_t pod);
/* Parse pod's IPs (podIPs, else podIP) into out[max]; returns how many. */
size_t policy_model_pod_ips(const struct policy_model *m, size_t pod, struct ip_addr *out,
			    size_t max);
/* The port range a policy_port allows towards destination pod dst_pod (-1:
 * not a pod). Returns true and sets *lo and *hi when it allows something for
 * protocol; a named port resolves to the first container port of dst_pod
 * with that name and protocol. */
bool policy_port_resolve(const struct policy_model *m, const struct policy_port *p,
			 long dst_pod, enum model_protocol protocol, int *lo, int *hi);
/* "ns/name" of an entry into buf. */
const char *policy_entry_name(const struct policy_entry *e, char *buf, size_t len);

#endif
