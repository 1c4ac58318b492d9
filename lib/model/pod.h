/* pod: the parts of a Kubernetes v1 Pod twill uses (placement, host
 * networking, named container ports for NetworkPolicy, and the IPs). twill's
 * own per-pod data lives in annotations (POD_ANNOTATION_*). */
#ifndef TWILL_MODEL_POD_H
#define TWILL_MODEL_POD_H

#include <stdbool.h>
#include <stddef.h>

#include "model/model.h"

#define POD_ANNOTATION_POD_IP "twill.dev/podIP"
#define POD_ANNOTATION_POD_IPS "twill.dev/podIPs"
#define POD_ANNOTATION_CONTAINER_ID "twill.dev/containerID"
#define POD_ANNOTATION_IPV4_POOLS "twill.dev/ipv4pools"

enum model_protocol { MODEL_PROTO_TCP = 0, MODEL_PROTO_UDP, MODEL_PROTO_SCTP };

struct pod_port {
	char *name;         /* NULL when unnamed */
	int container_port; /* 1..65535 */
	enum model_protocol protocol;
};

struct pod_container {
	char *name;
	struct pod_port *ports;
	size_t port_count;
};

struct pod {
	struct object_meta meta;
	char *node_name;
	bool host_network;
	struct pod_container *containers;
	size_t container_count;
	char *pod_ip;
	char **pod_ips;
	size_t pod_ip_count;
	char *phase;
};

int pod_from_json(json_object *obj, struct pod *pod, struct model_errors *errs);
json_object *pod_to_json(const struct pod *pod);
void pod_validate(const struct pod *pod, struct model_errors *errs);
void pod_free(struct pod *pod);
/* "TCP" / "UDP" / "SCTP"; -1 from model_protocol_parse() when unknown. */
const char *model_protocol_name(enum model_protocol p);
int model_protocol_parse(const char *text);

/* Parse a twill.dev/ipv4pools annotation value (JSON array of strings).
 * *out is a NULL-terminated array (count in *n). 0, -EINVAL, -ENOMEM. */
int model_parse_pool_list(const char *text, char ***out, size_t *n);

#endif
