/* felixconfig: twill.dev/v1 FelixConfiguration. "default" is cluster-wide,
 * "node.<nodename>" overrides per node. Every field is optional; the struct
 * always holds effective values (defaults filled in by from_json or
 * felixconfig_init()). natOutgoingAddress and mtuIfacePattern stay NULL /
 * "" when not given. */
#ifndef TWILL_MODEL_FELIXCONFIG_H
#define TWILL_MODEL_FELIXCONFIG_H

#include <stdbool.h>

#include "model/bgpconfig.h" /* enum model_log_severity */
#include "model/model.h"

/* The rtnetlink protocol number twill's routes carry by default. */
#define FELIX_DEFAULT_ROUTE_PROTOCOL 81

enum felix_default_action { FELIX_ACTION_ACCEPT = 0, FELIX_ACTION_DROP };

struct felixconfig {
	struct object_meta meta;
	enum model_log_severity log_severity_screen; /* Fatal not allowed */
	char *route_refresh_interval;
	bool health_enabled;
	int health_port;
	bool prometheus_metrics_enabled;
	int prometheus_metrics_port;
	int vxlan_vni;
	int vxlan_port;
	int vxlan_mtu;
	int ipip_mtu;
	char *mtu_iface_pattern;
	char *interface_prefix;
	int route_protocol;
	bool program_cluster_routes; /* "Enabled" / "Disabled" */
	char *nat_outgoing_address;
	enum felix_default_action default_endpoint_to_host_action;
	bool ipv6_support;
	bool policy_enabled; /* NetworkPolicy enforcement (table inet twill) */
};

/* Defaults only (for nodes with no FelixConfiguration). 0 or -ENOMEM. */
int felixconfig_init(struct felixconfig *cfg);
int felixconfig_from_json(json_object *obj, struct felixconfig *cfg, struct model_errors *errs);
json_object *felixconfig_to_json(const struct felixconfig *cfg);
void felixconfig_validate(const struct felixconfig *cfg, struct model_errors *errs);
void felixconfig_free(struct felixconfig *cfg);

#endif
