/* node: Node subset. Only status.addresses and spec.podCIDR(s) are kept
 * besides metadata; everything else a kubelet writes is ignored. */
#include "model/node.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/fields.h"

int node_from_json(json_object *obj, struct node *node, struct model_errors *errs)
{
	struct json_cursor root, spec, status, item;
	json_object *arr;
	size_t len, i;
	int rc;

	memset(node, 0, sizeof(*node));
	rc = model_parse_envelope(obj, "v1", "Node", &node->meta, errs, "spec", &root, &spec);
	if (rc < 0)
		return rc;
	if (json_get_string(&spec, "podCIDR", &node->pod_cidr) == -ENOMEM ||
	    json_get_string_array(&spec, "podCIDRs", &node->pod_cidrs,
				  &node->pod_cidr_count) == -ENOMEM)
		goto oom;
	if (json_cursor_child(&root, "status", &status) <= 0 ||
	    json_cursor_array(&status, "addresses", &arr, &len) <= 0)
		return 0;
	node->addresses = calloc(len + 1, sizeof(*node->addresses));
	if (!node->addresses)
		goto oom;
	for (i = 0; i < len; i++) {
		struct node_address *a = &node->addresses[node->address_count];

		if (json_cursor_index(&status, "addresses", arr, i, &item) <= 0)
			continue;
		node->address_count++;
		if (json_get_string(&item, "type", &a->type) == -ENOMEM ||
		    json_get_string(&item, "address", &a->address) == -ENOMEM)
			goto oom;
	}
	return 0;
oom:
	if (errs)
		errs->oom = true;
	return -ENOMEM;
}

json_object *node_to_json(const struct node *node)
{
	json_object *obj, *spec, *status, *arr, *item;
	size_t i;

	obj = model_build_envelope("v1", "Node", &node->meta, &spec);
	if (!obj)
		return NULL;
	if (json_set_string(spec, "podCIDR", node->pod_cidr) < 0 ||
	    json_set_string_array(spec, "podCIDRs", node->pod_cidrs, node->pod_cidr_count,
				  false) < 0)
		goto fail;
	if (node->address_count) {
		status = json_set_object(obj, "status");
		arr = status ? json_set_array(status, "addresses") : NULL;
		if (!arr)
			goto fail;
		for (i = 0; i < node->address_count; i++) {
			item = json_object_new_object();
			if (json_array_add(arr, item) < 0 ||
			    json_set_string(item, "type", node->addresses[i].type) < 0 ||
			    json_set_string(item, "address", node->addresses[i].address) < 0)
				goto fail;
		}
	}
	return obj;
fail:
	json_object_put(obj);
	return NULL;
}

static int annotation_cidr(const struct node *node, const char *key, int family,
			   struct cidr *out)
{
	const char *v = labels_get(&node->meta.annotations, key);

	if (!v)
		return -ENOENT;
	if (cidr_parse(v, out) < 0 || out->addr.family != family)
		return -EINVAL;
	return 0;
}

int node_bgp_ipv4(const struct node *node, struct cidr *out)
{
	return annotation_cidr(node, NODE_ANNOTATION_IPV4_ADDRESS, AF_INET, out);
}

int node_bgp_ipv6(const struct node *node, struct cidr *out)
{
	return annotation_cidr(node, NODE_ANNOTATION_IPV6_ADDRESS, AF_INET6, out);
}

int node_as_number(const struct node *node, uint32_t *out)
{
	const char *v = labels_get(&node->meta.annotations, NODE_ANNOTATION_AS_NUMBER);
	uint64_t n = 0;
	const char *p;

	if (!v)
		return -ENOENT;
	if (!*v || strlen(v) > 10 || v[0] == '0')
		return -EINVAL;
	for (p = v; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		n = n * 10 + (uint64_t)(*p - '0');
	}
	if (n < 1 || n > UINT32_MAX)
		return -EINVAL;
	*out = (uint32_t)n;
	return 0;
}

const char *node_address_of_type(const struct node *node, const char *type)
{
	size_t i;

	for (i = 0; i < node->address_count; i++)
		if (node->addresses[i].type && strcmp(node->addresses[i].type, type) == 0)
			return node->addresses[i].address;
	return NULL;
}

static bool mac_valid(const char *s)
{
	int i;

	if (strlen(s) != 17)
		return false;
	for (i = 0; i < 17; i++) {
		char c = s[i];
		bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
			   (c >= 'A' && c <= 'F');

		if (i % 3 == 2 ? c != ':' : !hex)
			return false;
	}
	return true;
}

static void check_annotation_ip(const struct node *node, const char *key, int family,
				struct model_errors *errs)
{
	const char *v = labels_get(&node->meta.annotations, key);
	char path[96];
	struct ip_addr ip;

	if (!v)
		return;
	snprintf(path, sizeof(path), "metadata.annotations[%s]", key);
	if (ip_parse(v, &ip) < 0 || (family && ip.family != family))
		model_errors_add(errs, path, "must be an IP%s address, got \"%.64s\"",
				 family == AF_INET ? "v4" : "", v);
}

void node_validate(const struct node *node, struct model_errors *errs)
{
	struct cidr c;
	uint32_t asn;
	const char *v;
	char path[96];
	size_t i;

	model_errors_set_object(errs, "Node", node->meta.name);
	object_meta_validate_name(&node->meta, errs);
	if (node_bgp_ipv4(node, &c) == -EINVAL) {
		snprintf(path, sizeof(path), "metadata.annotations[%s]", NODE_ANNOTATION_IPV4_ADDRESS);
		model_errors_add(errs, path, "must be an IPv4 address with prefix like "
				 "\"10.0.0.2/24\", got \"%.64s\"",
				 labels_get(&node->meta.annotations, NODE_ANNOTATION_IPV4_ADDRESS));
	}
	if (node_bgp_ipv6(node, &c) == -EINVAL) {
		snprintf(path, sizeof(path), "metadata.annotations[%s]", NODE_ANNOTATION_IPV6_ADDRESS);
		model_errors_add(errs, path, "must be an IPv6 address with prefix like "
				 "\"fd00::2/64\", got \"%.64s\"",
				 labels_get(&node->meta.annotations, NODE_ANNOTATION_IPV6_ADDRESS));
	}
	if (node_as_number(node, &asn) == -EINVAL) {
		snprintf(path, sizeof(path), "metadata.annotations[%s]", NODE_ANNOTATION_AS_NUMBER);
		model_errors_add(errs, path, "must be an AS number 1..4294967295, got \"%.64s\"",
				 labels_get(&node->meta.annotations, NODE_ANNOTATION_AS_NUMBER));
	}
	check_annotation_ip(node, NODE_ANNOTATION_RR_CLUSTER_ID, AF_INET, errs);
	check_annotation_ip(node, NODE_ANNOTATION_VXLAN_ADDR, 0, errs);
	check_annotation_ip(node, NODE_ANNOTATION_IPIP_ADDR, AF_INET, errs);
	v = labels_get(&node->meta.annotations, NODE_ANNOTATION_VXLAN_MAC);
	if (v && !mac_valid(v)) {
		snprintf(path, sizeof(path), "metadata.annotations[%s]", NODE_ANNOTATION_VXLAN_MAC);
		model_errors_add(errs, path, "must be a MAC address like \"66:0a:1b:2c:3d:4e\", "
				 "got \"%.64s\"", v);
	}
	if (node->pod_cidr) {
		model_check_cidr(errs, "spec.podCIDR", node->pod_cidr, false, NULL);
	}
	for (i = 0; i < node->pod_cidr_count; i++) {
		snprintf(path, sizeof(path), "spec.podCIDRs[%zu]", i);
		model_check_cidr(errs, path, node->pod_cidrs[i], true, NULL);
	}
}

void node_free(struct node *node)
{
	size_t i;

	object_meta_free(&node->meta);
	free(node->pod_cidr);
	json_string_array_free(node->pod_cidrs, node->pod_cidr_count);
	for (i = 0; i < node->address_count; i++) {
		free(node->addresses[i].type);
		free(node->addresses[i].address);
	}
	free(node->addresses);
	memset(node, 0, sizeof(*node));
}
