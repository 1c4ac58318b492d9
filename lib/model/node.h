/* node: the parts of a Kubernetes v1 Node twill uses. twill's per-node BGP
 * and tunnel data lives in annotations (NODE_ANNOTATION_*); node_validate()
 * checks their formats so a typo is reported against the annotation key
 * instead of silently breaking BGP. Unknown fields are ignored. */
#ifndef TWILL_MODEL_NODE_H
#define TWILL_MODEL_NODE_H

#include <stddef.h>

#include "cidr.h"
#include "model/model.h"

#define NODE_ANNOTATION_IPV4_ADDRESS "twill.dev/ipv4Address"
#define NODE_ANNOTATION_IPV6_ADDRESS "twill.dev/ipv6Address"
#define NODE_ANNOTATION_AS_NUMBER "twill.dev/asNumber"
#define NODE_ANNOTATION_RR_CLUSTER_ID "twill.dev/routeReflectorClusterID"
#define NODE_ANNOTATION_VXLAN_MAC "twill.dev/vxlanTunnelMACAddr"
#define NODE_ANNOTATION_VXLAN_ADDR "twill.dev/vxlanTunnelAddr"
#define NODE_ANNOTATION_IPIP_ADDR "twill.dev/ipipTunnelAddr"

struct node_address {
	char *type; /* InternalIP, ExternalIP, Hostname, ... */
	char *address;
};

struct node {
	struct object_meta meta;
	char *pod_cidr;
	char **pod_cidrs;
	size_t pod_cidr_count;
	struct node_address *addresses;
	size_t address_count;
};

int node_from_json(json_object *obj, struct node *node, struct model_errors *errs);
json_object *node_to_json(const struct node *node);
void node_validate(const struct node *node, struct model_errors *errs);
void node_free(struct node *node);

/* Annotation accessors: 0 and *out set, -ENOENT when absent, -EINVAL when
 * malformed. node_bgp_ipv4/6 return the interface form (host bits kept). */
int node_bgp_ipv4(const struct node *node, struct cidr *out);
int node_bgp_ipv6(const struct node *node, struct cidr *out);
int node_as_number(const struct node *node, uint32_t *out);
/* First status address of the given type ("InternalIP"), or NULL. */
const char *node_address_of_type(const struct node *node, const char *type);

#endif
