/* pod: Pod subset. Ports keep their container so named-port resolution can
 * mirror Kubernetes (a name resolves per pod, possibly to different numbers
 * in different pods). status.podIPs is flattened to strings. */
#include "model/pod.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"
#include "model/fields.h"

static const char *const proto_names[] = { "TCP", "UDP", "SCTP", NULL };

const char *model_protocol_name(enum model_protocol p)
{
	return p <= MODEL_PROTO_SCTP ? proto_names[p] : "?";
}

int model_protocol_parse(const char *text)
{
	return model_enum_index(proto_names, text);
}

int model_parse_pool_list(const char *text, char ***out, size_t *n)
{
	struct model_errors errs = MODEL_ERRORS_INIT;
	struct json_cursor c;
	json_object *arr, *wrap;
	int rc;

	*out = NULL;
	*n = 0;
	arr = json_tokener_parse(text);
	if (!json_object_is_type(arr, json_type_array)) {
		json_object_put(arr);
		return -EINVAL;
	}
	wrap = json_object_new_object();
	if (!wrap) {
		json_object_put(arr);
		return -ENOMEM;
	}
	json_object_object_add(wrap, "pools", arr);
	json_cursor_root(&c, wrap, &errs);
	rc = json_get_string_array(&c, "pools", out, n);
	json_object_put(wrap);
	model_errors_free(&errs);
	if (rc < 0) {
		json_string_array_free(*out, *n);
		*out = NULL;
		*n = 0;
		return rc;
	}
	if (!*out) {
		*out = calloc(1, sizeof(**out));
		if (!*out)
			return -ENOMEM;
	}
	return 0;
}

static int parse_ports(const struct json_cursor *cont, struct pod_container *pc)
{
	struct json_cursor item;
	json_object *arr;
	size_t len, i;
	int proto;

	if (json_cursor_array(cont, "ports", &arr, &len) <= 0)
		return 0;
	pc->ports = calloc(len + 1, sizeof(*pc->ports));
	if (!pc->ports)
		return -ENOMEM;
	for (i = 0; i < len; i++) {
		struct pod_port *p = &pc->ports[pc->port_count];

		if (json_cursor_index(cont, "ports", arr, i, &item) <= 0)
			continue;
		pc->port_count++;
		if (json_get_string(&item, "name", &p->name) == -ENOMEM)
			return -ENOMEM;
		json_get_int(&item, "containerPort", 1, 65535, &p->container_port);
		if (json_get_enum(&item, "protocol", proto_names, &proto) == 1)
			p->protocol = (enum model_protocol)proto;
	}
	return 0;
}

static int parse_containers(const struct json_cursor *spec, struct pod *pod)
{
	struct json_cursor item;
	json_object *arr;
	size_t len, i;

	if (json_cursor_array(spec, "containers", &arr, &len) <= 0)
		return 0;
	pod->containers = calloc(len + 1, sizeof(*pod->containers));
	if (!pod->containers)
		return -ENOMEM;
	for (i = 0; i < len; i++) {
		struct pod_container *pc = &pod->containers[pod->container_count];

		if (json_cursor_index(spec, "containers", arr, i, &item) <= 0)
			continue;
		pod->container_count++;
		if (json_get_string(&item, "name", &pc->name) == -ENOMEM ||
		    parse_ports(&item, pc) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int parse_status(const struct json_cursor *root, struct pod *pod)
{
	struct json_cursor status, item;
	json_object *arr;
	size_t len, i;

	if (json_cursor_child(root, "status", &status) <= 0)
		return 0;
	if (json_get_string(&status, "podIP", &pod->pod_ip) == -ENOMEM ||
	    json_get_string(&status, "phase", &pod->phase) == -ENOMEM)
		return -ENOMEM;
	if (json_cursor_array(&status, "podIPs", &arr, &len) <= 0)
		return 0;
	pod->pod_ips = calloc(len + 1, sizeof(*pod->pod_ips));
	if (!pod->pod_ips)
		return -ENOMEM;
	for (i = 0; i < len; i++) {
		if (json_cursor_index(&status, "podIPs", arr, i, &item) <= 0)
			continue;
		if (json_get_string(&item, "ip", &pod->pod_ips[pod->pod_ip_count]) == -ENOMEM)
			return -ENOMEM;
		if (pod->pod_ips[pod->pod_ip_count])
			pod->pod_ip_count++;
	}
	return 0;
}

int pod_from_json(json_object *obj, struct pod *pod, struct model_errors *errs)
{
	struct json_cursor root, spec;
	int rc;

	memset(pod, 0, sizeof(*pod));
	rc = model_parse_envelope(obj, "v1", "Pod", &pod->meta, errs, "spec", &root, &spec);
	if (rc < 0)
		return rc;
	json_get_bool(&spec, "hostNetwork", &pod->host_network);
	if (json_get_string(&spec, "nodeName", &pod->node_name) == -ENOMEM ||
	    parse_containers(&spec, pod) < 0 || parse_status(&root, pod) < 0) {
		if (errs)
			errs->oom = true;
		return -ENOMEM;
	}
	return 0;
}

json_object *pod_to_json(const struct pod *pod)
{
	json_object *obj, *spec, *status, *arr, *ports, *item, *port;
	size_t i, j;

	obj = model_build_envelope("v1", "Pod", &pod->meta, &spec);
	if (!obj)
		return NULL;
	if (json_set_string(spec, "nodeName", pod->node_name) < 0 ||
	    (pod->host_network && json_set_bool(spec, "hostNetwork", true) < 0))
		goto fail;
	if (pod->container_count) {
		arr = json_set_array(spec, "containers");
		if (!arr)
			goto fail;
		for (i = 0; i < pod->container_count; i++) {
			const struct pod_container *pc = &pod->containers[i];

			item = json_object_new_object();
			if (json_array_add(arr, item) < 0 ||
			    json_set_string(item, "name", pc->name) < 0)
				goto fail;
			if (!pc->port_count)
				continue;
			ports = json_set_array(item, "ports");
			if (!ports)
				goto fail;
			for (j = 0; j < pc->port_count; j++) {
				port = json_object_new_object();
				if (json_array_add(ports, port) < 0 ||
				    json_set_string(port, "name", pc->ports[j].name) < 0 ||
				    (pc->ports[j].container_port &&
				     json_set_int64(port, "containerPort",
						    pc->ports[j].container_port) < 0) ||
				    json_set_string(port, "protocol",
						    model_protocol_name(pc->ports[j].protocol)) < 0)
					goto fail;
			}
		}
	}
	if (pod->pod_ip || pod->phase || pod->pod_ip_count) {
		status = json_set_object(obj, "status");
		if (!status || json_set_string(status, "podIP", pod->pod_ip) < 0 ||
		    json_set_string(status, "phase", pod->phase) < 0)
			goto fail;
		if (pod->pod_ip_count) {
			arr = json_set_array(status, "podIPs");
			if (!arr)
				goto fail;
			for (i = 0; i < pod->pod_ip_count; i++) {
				item = json_object_new_object();
				if (json_array_add(arr, item) < 0 ||
				    json_set_string(item, "ip", pod->pod_ips[i]) < 0)
					goto fail;
			}
		}
	}
	return obj;
fail:
	json_object_put(obj);
	return NULL;
}

void pod_validate(const struct pod *pod, struct model_errors *errs)
{
	const char *pools;
	char path[96];
	char **list = NULL;
	size_t i, j, n = 0;

	model_errors_set_object(errs, "Pod", pod->meta.name);
	object_meta_validate_name(&pod->meta, errs);
	for (i = 0; i < pod->container_count; i++)
		for (j = 0; j < pod->containers[i].port_count; j++)
			if (pod->containers[i].ports[j].container_port < 1) {
				snprintf(path, sizeof(path),
					 "spec.containers[%zu].ports[%zu].containerPort", i, j);
				model_errors_add(errs, path, "is required (1..65535)");
			}
	if (pod->pod_ip)
		model_check_ip(errs, "status.podIP", pod->pod_ip, false, NULL);
	for (i = 0; i < pod->pod_ip_count; i++) {
		snprintf(path, sizeof(path), "status.podIPs[%zu].ip", i);
		model_check_ip(errs, path, pod->pod_ips[i], true, NULL);
	}
	pools = labels_get(&pod->meta.annotations, POD_ANNOTATION_IPV4_POOLS);
	if (pools && model_parse_pool_list(pools, &list, &n) == -EINVAL)
		model_errors_add(errs, "metadata.annotations[" POD_ANNOTATION_IPV4_POOLS "]",
				 "must be a JSON array of pool names or CIDRs, got '%.64s'", pools);
	json_string_array_free(list, n);
}

void pod_free(struct pod *pod)
{
	size_t i, j;

	object_meta_free(&pod->meta);
	free(pod->node_name);
	for (i = 0; i < pod->container_count; i++) {
		free(pod->containers[i].name);
		for (j = 0; j < pod->containers[i].port_count; j++)
			free(pod->containers[i].ports[j].name);
		free(pod->containers[i].ports);
	}
	free(pod->containers);
	free(pod->pod_ip);
	json_string_array_free(pod->pod_ips, pod->pod_ip_count);
	free(pod->phase);
	memset(pod, 0, sizeof(*pod));
}
