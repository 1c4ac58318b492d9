/* felixconfig: parse/serialise/validate. Ranges are checked while parsing
 * (json_get_int) and again in validate, because callers may build the struct
 * by hand (per-node overrides merged over "default"). */
#include "model/felixconfig.h"

#include <errno.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "model/fields.h"

static const char *const severity_names[] = { "Debug", "Info", "Warning", "Error", NULL };
static const char *const enabled_names[] = { "Disabled", "Enabled", NULL };
static const char *const action_names[] = { "Accept", "Drop", NULL };
static const char *const spec_fields[] = {
	"logSeverityScreen", "routeRefreshInterval", "healthEnabled", "healthPort",
	"prometheusMetricsEnabled", "prometheusMetricsPort", "vxlanVNI", "vxlanPort",
	"vxlanMTU", "ipipMTU", "mtuIfacePattern", "interfacePrefix", "routeProtocol",
	"programClusterRoutes", "natOutgoingAddress", "defaultEndpointToHostAction",
	"ipv6Support", "policyEnabled", NULL
};

static void set_defaults(struct felixconfig *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->log_severity_screen = MODEL_LOG_INFO;
	cfg->health_enabled = true;
	cfg->health_port = 9099;
	cfg->prometheus_metrics_enabled = true;
	cfg->prometheus_metrics_port = 9091;
	cfg->vxlan_vni = 4096;
	cfg->vxlan_port = 4789;
	cfg->route_protocol = FELIX_DEFAULT_ROUTE_PROTOCOL;
	cfg->ipv6_support = true;
	cfg->policy_enabled = true;
}

static int fill_strings(struct felixconfig *cfg)
{
	if (!cfg->route_refresh_interval && !(cfg->route_refresh_interval = strdup("90s")))
		return -ENOMEM;
	if (!cfg->mtu_iface_pattern && !(cfg->mtu_iface_pattern = strdup("")))
		return -ENOMEM;
	if (!cfg->interface_prefix && !(cfg->interface_prefix = strdup("tw")))
		return -ENOMEM;
	return 0;
}

int felixconfig_init(struct felixconfig *cfg)
{
	set_defaults(cfg);
	return fill_strings(cfg);
}

int felixconfig_from_json(json_object *obj, struct felixconfig *cfg, struct model_errors *errs)
{
	struct json_cursor root, spec;
	int v, rc;

	set_defaults(cfg);
	rc = model_parse_envelope(obj, MODEL_API_VERSION, "FelixConfiguration", &cfg->meta,
				  errs, "spec", &root, &spec);
	if (rc < 0)
		return rc;
	model_warn_unknown(&spec, spec_fields);
	if (json_get_enum(&spec, "logSeverityScreen", severity_names, &v) == 1)
		cfg->log_severity_screen = (enum model_log_severity)v;
	if (json_get_enum(&spec, "programClusterRoutes", enabled_names, &v) == 1)
		cfg->program_cluster_routes = v == 1;
	if (json_get_enum(&spec, "defaultEndpointToHostAction", action_names, &v) == 1)
		cfg->default_endpoint_to_host_action = (enum felix_default_action)v;
	json_get_bool(&spec, "healthEnabled", &cfg->health_enabled);
	json_get_bool(&spec, "prometheusMetricsEnabled", &cfg->prometheus_metrics_enabled);
	json_get_bool(&spec, "ipv6Support", &cfg->ipv6_support);
	json_get_bool(&spec, "policyEnabled", &cfg->policy_enabled);
	json_get_int(&spec, "healthPort", 1, 65535, &cfg->health_port);
	json_get_int(&spec, "prometheusMetricsPort", 1, 65535, &cfg->prometheus_metrics_port);
	json_get_int(&spec, "vxlanVNI", 1, 16777215, &cfg->vxlan_vni);
	json_get_int(&spec, "vxlanPort", 1, 65535, &cfg->vxlan_port);
	json_get_int(&spec, "vxlanMTU", 0, 9000, &cfg->vxlan_mtu);
	json_get_int(&spec, "ipipMTU", 0, 9000, &cfg->ipip_mtu);
	json_get_int(&spec, "routeProtocol", 1, 255, &cfg->route_protocol);
	if (json_get_string(&spec, "routeRefreshInterval", &cfg->route_refresh_interval) == -ENOMEM ||
	    json_get_string(&spec, "mtuIfacePattern", &cfg->mtu_iface_pattern) == -ENOMEM ||
	    json_get_string(&spec, "interfacePrefix", &cfg->interface_prefix) == -ENOMEM ||
	    json_get_string(&spec, "natOutgoingAddress", &cfg->nat_outgoing_address) == -ENOMEM ||
	    fill_strings(cfg) < 0) {
		if (errs)
			errs->oom = true;
		return -ENOMEM;
	}
	return 0;
}

json_object *felixconfig_to_json(const struct felixconfig *cfg)
{
	json_object *obj, *spec;

	obj = model_build_envelope(MODEL_API_VERSION, "FelixConfiguration", &cfg->meta, &spec);
	if (!obj)
		return NULL;
	if (json_set_string(spec, "logSeverityScreen",
			    model_log_severity_name(cfg->log_severity_screen)) < 0 ||
	    json_set_string(spec, "routeRefreshInterval", cfg->route_refresh_interval) < 0 ||
	    json_set_bool(spec, "healthEnabled", cfg->health_enabled) < 0 ||
	    json_set_int64(spec, "healthPort", cfg->health_port) < 0 ||
	    json_set_bool(spec, "prometheusMetricsEnabled", cfg->prometheus_metrics_enabled) < 0 ||
	    json_set_int64(spec, "prometheusMetricsPort", cfg->prometheus_metrics_port) < 0 ||
	    json_set_int64(spec, "vxlanVNI", cfg->vxlan_vni) < 0 ||
	    json_set_int64(spec, "vxlanPort", cfg->vxlan_port) < 0 ||
	    json_set_int64(spec, "vxlanMTU", cfg->vxlan_mtu) < 0 ||
	    json_set_int64(spec, "ipipMTU", cfg->ipip_mtu) < 0 ||
	    json_set_string(spec, "mtuIfacePattern", cfg->mtu_iface_pattern) < 0 ||
	    json_set_string(spec, "interfacePrefix", cfg->interface_prefix) < 0 ||
	    json_set_int64(spec, "routeProtocol", cfg->route_protocol) < 0 ||
	    json_set_string(spec, "programClusterRoutes",
			    enabled_names[cfg->program_cluster_routes ? 1 : 0]) < 0 ||
	    json_set_string(spec, "natOutgoingAddress", cfg->nat_outgoing_address) < 0 ||
	    json_set_string(spec, "defaultEndpointToHostAction",
			    action_names[cfg->default_endpoint_to_host_action]) < 0 ||
	    json_set_bool(spec, "ipv6Support", cfg->ipv6_support) < 0 ||
	    json_set_bool(spec, "policyEnabled", cfg->policy_enabled) < 0) {
		json_object_put(obj);
		return NULL;
	}
	return obj;
}

static void check_range(struct model_errors *errs, const char *path, int v, int lo, int hi)
{
	if (v < lo || v > hi)
		model_errors_add(errs, path, "must be between %d and %d, got %d", lo, hi, v);
}

void felixconfig_validate(const struct felixconfig *cfg, struct model_errors *errs)
{
	struct ip_addr ip;
	regex_t re;
	size_t i;

	model_errors_set_object(errs, "FelixConfiguration", cfg->meta.name);
	object_meta_validate_name(&cfg->meta, errs);
	if (cfg->meta.name && strcmp(cfg->meta.name, "default") != 0 &&
	    strncmp(cfg->meta.name, "node.", 5) != 0)
		model_errors_add(errs, "metadata.name",
				 "must be \"default\" or \"node.<nodename>\", got \"%.64s\"",
				 cfg->meta.name);
	if (cfg->log_severity_screen > MODEL_LOG_ERROR)
		model_errors_add(errs, "spec.logSeverityScreen",
				 "must be one of Debug, Info, Warning, Error");
	model_check_duration(errs, "spec.routeRefreshInterval", cfg->route_refresh_interval);
	check_range(errs, "spec.healthPort", cfg->health_port, 1, 65535);
	check_range(errs, "spec.prometheusMetricsPort", cfg->prometheus_metrics_port, 1, 65535);
	check_range(errs, "spec.vxlanVNI", cfg->vxlan_vni, 1, 16777215);
	check_range(errs, "spec.vxlanPort", cfg->vxlan_port, 1, 65535);
	check_range(errs, "spec.vxlanMTU", cfg->vxlan_mtu, 0, 9000);
	check_range(errs, "spec.ipipMTU", cfg->ipip_mtu, 0, 9000);
	check_range(errs, "spec.routeProtocol", cfg->route_protocol, 1, 255);
	if (cfg->mtu_iface_pattern && cfg->mtu_iface_pattern[0]) {
		if (regcomp(&re, cfg->mtu_iface_pattern, REG_EXTENDED | REG_NOSUB) != 0)
			model_errors_add(errs, "spec.mtuIfacePattern",
					 "must be a valid extended regular expression, got \"%.64s\"",
					 cfg->mtu_iface_pattern);
		else
			regfree(&re);
	}
	/* The prefix becomes part of interface names (max 15 chars with 11
	 * hash chars), so it must be short and name-safe. */
	if (!cfg->interface_prefix || !cfg->interface_prefix[0] ||
	    strlen(cfg->interface_prefix) > 4) {
		model_errors_add(errs, "spec.interfacePrefix",
				 "must be 1 to 4 characters, got \"%.64s\"",
				 cfg->interface_prefix ? cfg->interface_prefix : "");
	} else {
		for (i = 0; cfg->interface_prefix[i]; i++) {
			char ch = cfg->interface_prefix[i];

			if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'))) {
				model_errors_add(errs, "spec.interfacePrefix",
						 "must be lowercase letters and digits, got \"%.64s\"",
						 cfg->interface_prefix);
				break;
			}
		}
	}
	if (cfg->nat_outgoing_address &&
	    (ip_parse(cfg->nat_outgoing_address, &ip) < 0 || ip.family != AF_INET))
		model_errors_add(errs, "spec.natOutgoingAddress",
				 "must be an IPv4 address, got \"%.64s\"", cfg->nat_outgoing_address);
}

void felixconfig_free(struct felixconfig *cfg)
{
	object_meta_free(&cfg->meta);
	free(cfg->route_refresh_interval);
	free(cfg->mtu_iface_pattern);
	free(cfg->interface_prefix);
	free(cfg->nat_outgoing_address);
	memset(cfg, 0, sizeof(*cfg));
}
