/* policy_verdict: would this packet be allowed, and why — evaluated on the
 * normalised model (policy/model.h), never on nftables state.
 *
 * Contract (networking.k8s.io/v1):
 *  - A connection from src to dst flows only when BOTH the egress side (src
 *    is a pod) and the ingress side (dst is a pod) allow it. A side that is
 *    not a pod does not restrict.
 *  - A pod is isolated for a direction when at least one policy of that
 *    type selects it; an isolated side allows when any rule of any such
 *    policy matches (policies are additive, OR). The deciding policy/rule
 *    reported is the first in (namespace, name, rule index) order.
 *  - A rule matches when a peer matches the other end (peers OR'ed; an
 *    absent/empty peer list matches all) and a port matches (absent/empty
 *    list = all ports and protocols; named ports resolved against the
 *    destination pod).
 *  - The node reaches its own pods whatever their ingress policy says
 *    (kubelet probes): src kind POLICY_REF_HOST means "the destination
 *    pod's node".
 *  - Replies of an allowed connection are allowed (conntrack); callers ask
 *    about the connection's first packet only.
 * Pure; no allocation. */
#ifndef TWILL_POLICY_VERDICT_H
#define TWILL_POLICY_VERDICT_H

#include <stdbool.h>
#include <stddef.h>

#include "cidr.h"
#include "policy_model.h"

enum policy_ref_kind {
	POLICY_REF_POD,  /* pod index + one of its IPs */
	POLICY_REF_IP,   /* an address that is not a pod */
	POLICY_REF_HOST, /* the destination pod's own node (source only) */
};

struct policy_ref {
	enum policy_ref_kind kind;
	long pod;          /* index into the model's pods for POLICY_REF_POD */
	struct ip_addr ip; /* family 0 when the pod has no address */
};

enum policy_reason {
	POLICY_REASON_ALLOWED,        /* both sides allow (maybe by not isolating) */
	POLICY_REASON_HOST_LOCAL,     /* node to its own pod */
	POLICY_REASON_EGRESS_DENIED,  /* source pod egress-isolated, no rule allows */
	POLICY_REASON_INGRESS_DENIED, /* destination pod ingress-isolated, no rule allows */
};

#define POLICY_VERDICT_MAX_ISOLATING 8

struct policy_side {
	bool applies;  /* that end is a pod subject to policy */
	bool isolated; /* at least one policy of this direction selects it */
	bool allowed;
	long policy;   /* deciding entry index (model order), -1 when none */
	long rule;     /* rule index in that entry, -1 when none */
	size_t isolating_count; /* policies isolating this side (all of them) */
	long isolating[POLICY_VERDICT_MAX_ISOLATING]; /* the first ones */
};

struct policy_verdict {
	bool allowed;
	enum policy_reason reason;
	struct policy_side egress;  /* of src */
	struct policy_side ingress; /* of dst */
};

/* A reference to pod `pod` using its first address of `family` (0: its
 * first address at all). 0, or -ENOENT when the pod index is out of range. */
int policy_ref_pod(const struct policy_model *m, size_t pod, int family, struct policy_ref *out);
/* An address; resolved to the pod holding it when there is one. */
void policy_ref_ip(const struct policy_model *m, const struct ip_addr *ip, struct policy_ref *out);

/* Evaluate the first packet of a connection. 0, or -EINVAL on a bad
 * argument (NULL, port outside 0..65535, HOST as destination). */
int policy_verdict(const struct policy_model *m, const struct policy_ref *src,
		   const struct policy_ref *dst, enum model_protocol protocol, int port,
		   struct policy_verdict *out);

/* One line explanation, e.g.
 *   "allow: egress not isolated; ingress allowed by x/allow-a rule 0"
 *   "deny: ingress isolated by x/deny-all (1 policy), no rule allows" */
const char *policy_verdict_format(const struct policy_model *m, const struct policy_verdict *v,
				  char *buf, size_t len);

#endif
