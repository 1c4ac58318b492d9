/* bgpconfig: twill.dev/v1 BGPConfiguration. The object named "default" is
 * cluster-wide; "node.<nodename>" overrides it for one node.
 *
 * Defaults: asNumber 64512, nodeToNodeMeshEnabled true, logSeverityScreen
 * Info, listenPort 179, nodeMeshMaxRestartTime "120s". Service CIDR lists are
 * kept as plain string arrays (the {cidr: ...} wrapper is only JSON shape). */
#ifndef TWILL_MODEL_BGPCONFIG_H
#define TWILL_MODEL_BGPCONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/fields.h"
#include "model/model.h"

enum model_log_severity {
	MODEL_LOG_DEBUG = 0,
	MODEL_LOG_INFO,
	MODEL_LOG_WARNING,
	MODEL_LOG_ERROR,
	MODEL_LOG_FATAL,
};

struct bgp_community {
	char *name;
	char *value; /* "aa:nn" or "aa:nn:mm" */
};

struct bgp_prefix_advertisement {
	char *cidr;
	char **communities; /* community names or literal values */
	size_t community_count;
};

struct bgpconfig {
	struct object_meta meta;
	uint32_t as_number;
	bool node_to_node_mesh_enabled;
	enum model_log_severity log_severity_screen;
	int listen_port;
	char **service_cluster_ips;
	size_t service_cluster_ip_count;
	char **service_external_ips;
	size_t service_external_ip_count;
	char **service_load_balancer_ips;
	size_t service_load_balancer_ip_count;
	struct bgp_community *communities;
	size_t community_count;
	struct bgp_prefix_advertisement *prefix_advertisements;
	size_t prefix_advertisement_count;
	char *node_mesh_max_restart_time;
	struct secret_key_ref node_mesh_password;
};

int bgpconfig_from_json(json_object *obj, struct bgpconfig *cfg, struct model_errors *errs);
json_object *bgpconfig_to_json(const struct bgpconfig *cfg);
void bgpconfig_validate(const struct bgpconfig *cfg, struct model_errors *errs);
void bgpconfig_free(struct bgpconfig *cfg);

/* 0 when text is a standard ("aa:nn", 16-bit parts) or large ("aa:nn:mm",
 * 32-bit parts) community, -EINVAL otherwise. */
int bgp_community_value_check(const char *text);
const char *model_log_severity_name(enum model_log_severity s);

#endif
