/* bgpconfig: parse/serialise/validate. Communities referenced from
 * prefixAdvertisements are resolved by name first and only then read as a
 * literal, matching how the renderer will interpret them. */
#include "model/bgpconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const severity_names[] = { "Debug", "Info", "Warning", "Error",
					      "Fatal", NULL };
static const char *const spec_fields[] = {
	"asNumber", "nodeToNodeMeshEnabled", "logSeverityScreen", "listenPort",
	"serviceClusterIPs", "serviceExternalIPs", "serviceLoadBalancerIPs",
	"communities", "prefixAdvertisements", "nodeMeshMaxRestartTime",
	"nodeMeshPassword", NULL
};

const char *model_log_severity_name(enum model_log_severity s)
{
	return s <= MODEL_LOG_FATAL ? severity_names[s] : "?";
}

/* [{cidr: "..."}] -> string array. */
static int parse_cidr_list(const struct json_cursor *spec, const char *key,
			   char ***out, size_t *n)
{
	struct json_cursor item;
	json_object *arr;
	size_t len, i;
	char **list;

	if (json_cursor_array(spec, key, &arr, &len) <= 0)
		return 0;
	list = calloc(len + 1, sizeof(*list));
	if (!list)
		return -ENOMEM;
	*out = list;
	for (i = 0; i < len; i++) {
		if (json_cursor_index(spec, key, arr, i, &item) <= 0)
			continue;
		if (json_get_string(&item, "cidr", &list[*n]) == -ENOMEM)
			return -ENOMEM;
		if (!list[*n]) {
			json_error(&item, "cidr", "is required");
			continue;
		}
		(*n)++;
	}
	return 0;
}

static int parse_communities(const struct json_cursor *spec, struct bgpconfig *cfg)
{
	struct json_cursor item;
	json_object *arr;
	size_t len, i;

	if (json_cursor_array(spec, "communities", &arr, &len) <= 0)
		return 0;
	cfg->communities = calloc(len + 1, sizeof(*cfg->communities));
	if (!cfg->communities)
		return -ENOMEM;
	for (i = 0; i < len; i++) {
		struct bgp_community *c = &cfg->communities[cfg->community_count];

		if (json_cursor_index(spec, "communities", arr, i, &item) <= 0)
			continue;
		cfg->community_count++;
		if (json_get_string(&item, "name", &c->name) == -ENOMEM ||
		    json_get_string(&item, "value", &c->value) == -ENOMEM)
			return -ENOMEM;
	}
	return 0;
}

static int parse_prefix_adverts(const struct json_cursor *spec, struct bgpconfig *cfg)
{
	struct json_cursor item;
	json_object *arr;
	size_t len, i;

	if (json_cursor_array(spec, "prefixAdvertisements", &arr, &len) <= 0)
		return 0;
	cfg->prefix_advertisements = calloc(len + 1, sizeof(*cfg->prefix_advertisements));
	if (!cfg->prefix_advertisements)
		return -ENOMEM;
	for (i = 0; i < len; i++) {
		struct bgp_prefix_advertisement *p =
			&cfg->prefix_advertisements[cfg->prefix_advertisement_count];

		if (json_cursor_index(spec, "prefixAdvertisements", arr, i, &item) <= 0)
			continue;
		cfg->prefix_advertisement_count++;
		if (json_get_string(&item, "cidr", &p->cidr) == -ENOMEM ||
		    json_get_string_array(&item, "communities", &p->communities,
					  &p->community_count) == -ENOMEM)
			return -ENOMEM;
	}
	return 0;
}

int bgpconfig_from_json(json_object *obj, struct bgpconfig *cfg, struct model_errors *errs)
{
	struct json_cursor root, spec;
	int sev, rc;

	memset(cfg, 0, sizeof(*cfg));
	cfg->as_number = 64512;
	cfg->node_to_node_mesh_enabled = true;
	cfg->log_severity_screen = MODEL_LOG_INFO;
	cfg->listen_port = 179;
	rc = model_parse_envelope(obj, MODEL_API_VERSION, "BGPConfiguration", &cfg->meta,
				  errs, "spec", &root, &spec);
	if (rc < 0)
		return rc;
	model_warn_unknown(&spec, spec_fields);
	json_get_uint32(&spec, "asNumber", 1, UINT32_MAX, &cfg->as_number);
	json_get_bool(&spec, "nodeToNodeMeshEnabled", &cfg->node_to_node_mesh_enabled);
	if (json_get_enum(&spec, "logSeverityScreen", severity_names, &sev) == 1)
		cfg->log_severity_screen = (enum model_log_severity)sev;
	json_get_int(&spec, "listenPort", 1, 65535, &cfg->listen_port);
	if (parse_cidr_list(&spec, "serviceClusterIPs", &cfg->service_cluster_ips,
			    &cfg->service_cluster_ip_count) < 0 ||
	    parse_cidr_list(&spec, "serviceExternalIPs", &cfg->service_external_ips,
			    &cfg->service_external_ip_count) < 0 ||
	    parse_cidr_list(&spec, "serviceLoadBalancerIPs", &cfg->service_load_balancer_ips,
			    &cfg->service_load_balancer_ip_count) < 0 ||
	    parse_communities(&spec, cfg) < 0 || parse_prefix_adverts(&spec, cfg) < 0 ||
	    json_get_string(&spec, "nodeMeshMaxRestartTime",
			    &cfg->node_mesh_max_restart_time) == -ENOMEM ||
	    secret_key_ref_from_json(&spec, "nodeMeshPassword",
				     &cfg->node_mesh_password) == -ENOMEM)
		goto oom;
	if (!cfg->node_mesh_max_restart_time &&
	    !(cfg->node_mesh_max_restart_time = strdup("120s")))
		goto oom;
	return 0;
oom:
	if (errs)
		errs->oom = true;
	return -ENOMEM;
}

static int write_cidr_list(json_object *spec, const char *key, char *const *list, size_t n)
{
	json_object *arr, *item;
	size_t i;

	if (n == 0)
		return 0;
	arr = json_set_array(spec, key);
	if (!arr)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		item = json_object_new_object();
		if (json_array_add(arr, item) < 0 || json_set_string(item, "cidr", list[i]) < 0)
			return -ENOMEM;
	}
	return 0;
}

json_object *bgpconfig_to_json(const struct bgpconfig *cfg)
{
	json_object *obj, *spec, *arr, *item;
	size_t i;

	obj = model_build_envelope(MODEL_API_VERSION, "BGPConfiguration", &cfg->meta, &spec);
	if (!obj)
		return NULL;
	if (json_set_int64(spec, "asNumber", cfg->as_number) < 0 ||
	    json_set_bool(spec, "nodeToNodeMeshEnabled", cfg->node_to_node_mesh_enabled) < 0 ||
	    json_set_string(spec, "logSeverityScreen",
			    model_log_severity_name(cfg->log_severity_screen)) < 0 ||
	    json_set_int64(spec, "listenPort", cfg->listen_port) < 0 ||
	    write_cidr_list(spec, "serviceClusterIPs", cfg->service_cluster_ips,
			    cfg->service_cluster_ip_count) < 0 ||
	    write_cidr_list(spec, "serviceExternalIPs", cfg->service_external_ips,
			    cfg->service_external_ip_count) < 0 ||
	    write_cidr_list(spec, "serviceLoadBalancerIPs", cfg->service_load_balancer_ips,
			    cfg->service_load_balancer_ip_count) < 0 ||
	    json_set_string(spec, "nodeMeshMaxRestartTime", cfg->node_mesh_max_restart_time) < 0 ||
	    secret_key_ref_to_json(&cfg->node_mesh_password, spec, "nodeMeshPassword") < 0)
		goto fail;
	if (cfg->community_count) {
		arr = json_set_array(spec, "communities");
		if (!arr)
			goto fail;
		for (i = 0; i < cfg->community_count; i++) {
			item = json_object_new_object();
			if (json_array_add(arr, item) < 0 ||
			    json_set_string(item, "name", cfg->communities[i].name) < 0 ||
			    json_set_string(item, "value", cfg->communities[i].value) < 0)
				goto fail;
		}
	}
	if (cfg->prefix_advertisement_count) {
		arr = json_set_array(spec, "prefixAdvertisements");
		if (!arr)
			goto fail;
		for (i = 0; i < cfg->prefix_advertisement_count; i++) {
			const struct bgp_prefix_advertisement *p = &cfg->prefix_advertisements[i];

			item = json_object_new_object();
			if (json_array_add(arr, item) < 0 ||
			    json_set_string(item, "cidr", p->cidr) < 0 ||
			    json_set_string_array(item, "communities", p->communities,
						  p->community_count, false) < 0)
				goto fail;
		}
	}
	return obj;
fail:
	json_object_put(obj);
	return NULL;
}

static int parse_u32_part(const char **p, uint64_t max)
{
	uint64_t n = 0;
	const char *s = *p;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	while (*s >= '0' && *s <= '9') {
		n = n * 10 + (uint64_t)(*s - '0');
		if (n > max)
			return -EINVAL;
		s++;
	}
	*p = s;
	return 0;
}

int bgp_community_value_check(const char *text)
{
	const char *p = text;
	int parts = 1;

	if (!text)
		return -EINVAL;
	for (; *p; p++)
		if (*p == ':')
			parts++;
	if (parts != 2 && parts != 3)
		return -EINVAL;
	p = text;
	while (1) {
		if (parse_u32_part(&p, parts == 2 ? 0xffff : 0xffffffffu) < 0)
			return -EINVAL;
		if (*p == '\0')
			return 0;
		if (*p != ':')
			return -EINVAL;
		p++;
	}
}

static void validate_cidr_list(struct model_errors *errs, const char *key,
			       char *const *list, size_t n)
{
	char path[96];
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "spec.%s[%zu].cidr", key, i);
		model_check_cidr(errs, path, list[i], true, NULL);
	}
}

static const struct bgp_community *find_community(const struct bgpconfig *cfg,
						  const char *name)
{
	size_t i;

	for (i = 0; i < cfg->community_count; i++)
		if (cfg->communities[i].name && strcmp(cfg->communities[i].name, name) == 0)
			return &cfg->communities[i];
	return NULL;
}

void bgpconfig_validate(const struct bgpconfig *cfg, struct model_errors *errs)
{
	char path[96];
	size_t i, j;

	model_errors_set_object(errs, "BGPConfiguration", cfg->meta.name);
	object_meta_validate_name(&cfg->meta, errs);
	if (cfg->meta.name && strcmp(cfg->meta.name, "default") != 0 &&
	    strncmp(cfg->meta.name, "node.", 5) != 0)
		model_errors_add(errs, "metadata.name",
				 "must be \"default\" or \"node.<nodename>\", got \"%.64s\"",
				 cfg->meta.name);
	if (cfg->as_number == 0)
		model_errors_add(errs, "spec.asNumber", "must be between 1 and 4294967295, got 0");
	if (cfg->listen_port < 1 || cfg->listen_port > 65535)
		model_errors_add(errs, "spec.listenPort", "must be between 1 and 65535, got %d",
				 cfg->listen_port);
	validate_cidr_list(errs, "serviceClusterIPs", cfg->service_cluster_ips,
			   cfg->service_cluster_ip_count);
	validate_cidr_list(errs, "serviceExternalIPs", cfg->service_external_ips,
			   cfg->service_external_ip_count);
	validate_cidr_list(errs, "serviceLoadBalancerIPs", cfg->service_load_balancer_ips,
			   cfg->service_load_balancer_ip_count);
	for (i = 0; i < cfg->community_count; i++) {
		const struct bgp_community *c = &cfg->communities[i];

		if (!c->name || !c->name[0]) {
			snprintf(path, sizeof(path), "spec.communities[%zu].name", i);
			model_errors_add(errs, path, "is required");
		} else {
			for (j = 0; j < i; j++)
				if (cfg->communities[j].name &&
				    strcmp(cfg->communities[j].name, c->name) == 0) {
					snprintf(path, sizeof(path), "spec.communities[%zu].name", i);
					model_errors_add(errs, path, "duplicate community name \"%.64s\"",
							 c->name);
					break;
				}
		}
		snprintf(path, sizeof(path), "spec.communities[%zu].value", i);
		if (bgp_community_value_check(c->value) < 0)
			model_errors_add(errs, path,
					 "must be \"aa:nn\" (16-bit numbers) or \"aa:nn:mm\" "
					 "(32-bit numbers), got \"%.64s\"",
					 c->value ? c->value : "");
	}
	for (i = 0; i < cfg->prefix_advertisement_count; i++) {
		const struct bgp_prefix_advertisement *p = &cfg->prefix_advertisements[i];

		snprintf(path, sizeof(path), "spec.prefixAdvertisements[%zu].cidr", i);
		model_check_cidr(errs, path, p->cidr, true, NULL);
		for (j = 0; j < p->community_count; j++) {
			if (find_community(cfg, p->communities[j]) ||
			    bgp_community_value_check(p->communities[j]) == 0)
				continue;
			snprintf(path, sizeof(path),
				 "spec.prefixAdvertisements[%zu].communities[%zu]", i, j);
			model_errors_add(errs, path,
					 "must name a community in spec.communities or be a "
					 "literal aa:nn value, got \"%.64s\"",
					 p->communities[j]);
		}
	}
	model_check_duration(errs, "spec.nodeMeshMaxRestartTime",
			     cfg->node_mesh_max_restart_time);
	secret_key_ref_validate(&cfg->node_mesh_password, errs, "spec.nodeMeshPassword");
}

void bgpconfig_free(struct bgpconfig *cfg)
{
	size_t i;

	object_meta_free(&cfg->meta);
	json_string_array_free(cfg->service_cluster_ips, cfg->service_cluster_ip_count);
	json_string_array_free(cfg->service_external_ips, cfg->service_external_ip_count);
	json_string_array_free(cfg->service_load_balancer_ips,
			       cfg->service_load_balancer_ip_count);
	for (i = 0; i < cfg->community_count; i++) {
		free(cfg->communities[i].name);
		free(cfg->communities[i].value);
	}
	free(cfg->communities);
	for (i = 0; i < cfg->prefix_advertisement_count; i++) {
		free(cfg->prefix_advertisements[i].cidr);
		json_string_array_free(cfg->prefix_advertisements[i].communities,
				       cfg->prefix_advertisements[i].community_count);
	}
	free(cfg->prefix_advertisements);
	free(cfg->node_mesh_max_restart_time);
	secret_key_ref_free(&cfg->node_mesh_password);
	memset(cfg, 0, sizeof(*cfg));
}
