/* cni_result: one in-memory result, many wire versions.
 *
 * The plugin never forwards a delegated plugin's JSON verbatim: it parses it
 * into struct cni_result and writes it again in the version its own config
 * asked for. That is what makes "IPAM answers 1.0.0, runtime wants 1.1.0"
 * (or 0.3.1) work, and it validates every address before the plugin touches
 * the kernel with it. Unknown fields in a result are ignored, as the spec
 * asks of consumers. */
#include "cni_result.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cni_version.h"

void cni_result_init(struct cni_result *r)
{
	memset(r, 0, sizeof(*r));
}

void cni_result_free(struct cni_result *r)
{
	size_t i;

	for (i = 0; i < r->n_interfaces; i++)
		free(r->interfaces[i].sandbox);
	json_object_put(r->dns);
	cni_result_init(r);
}

static const char *type_label(json_object *v)
{
	return v ? json_type_to_name(json_object_get_type(v)) : "null";
}

#define BAD(...)                                                                               \
	do {                                                                                   \
		cni_error_set(err, CNI_ERR_DECODE, __VA_ARGS__);                               \
		return -EINVAL;                                                                \
	} while (0)

/* Optional string member: NULL when absent, -EINVAL when not a string. */
static int member_string(json_object *obj, const char *key, const char **out, const char *prefix,
			 const char *where, struct cni_error *err)
{
	json_object *v;

	*out = NULL;
	if (!json_object_object_get_ex(obj, key, &v) || !v)
		return 0;
	if (!json_object_is_type(v, json_type_string))
		BAD("%s: %s.%s: must be a string, got %s", prefix, where, key, type_label(v));
	*out = json_object_get_string(v);
	return 0;
}

static json_object *member_array(json_object *obj, const char *key, size_t max, const char *prefix,
				 struct cni_error *err, int *ret)
{
	json_object *v;

	*ret = 0;
	if (!json_object_object_get_ex(obj, key, &v) || !v)
		return NULL;
	if (!json_object_is_type(v, json_type_array)) {
		cni_error_set(err, CNI_ERR_DECODE, "%s: %s: must be an array, got %s", prefix, key,
			      type_label(v));
		*ret = -EINVAL;
		return NULL;
	}
	if (json_object_array_length(v) > max) {
		cni_error_set(err, CNI_ERR_DECODE, "%s: %s: more than %zu entries", prefix, key,
			      max);
		*ret = -EINVAL;
		return NULL;
	}
	return v;
}

static int parse_interface(json_object *o, size_t i, const char *prefix, struct cni_result *r,
			   struct cni_error *err)
{
	struct cni_interface *itf = &r->interfaces[i];
	const char *name, *mac, *sandbox;
	char where[48];
	json_object *mtu;

	snprintf(where, sizeof(where), "interfaces[%zu]", i);
	if (!json_object_is_type(o, json_type_object))
		BAD("%s: %s: must be an object", prefix, where);
	if (member_string(o, "name", &name, prefix, where, err) ||
	    member_string(o, "mac", &mac, prefix, where, err) ||
	    member_string(o, "sandbox", &sandbox, prefix, where, err))
		return -EINVAL;
	if (!name || !*name || strlen(name) >= sizeof(itf->name))
		BAD("%s: %s.name: missing or too long", prefix, where);
	snprintf(itf->name, sizeof(itf->name), "%s", name);
	snprintf(itf->mac, sizeof(itf->mac), "%s", mac ? mac : "");
	if (sandbox && *sandbox && !(itf->sandbox = strdup(sandbox)))
		return -ENOMEM;
	if (json_object_object_get_ex(o, "mtu", &mtu) && mtu) {
		if (!json_object_is_type(mtu, json_type_int) || json_object_get_int(mtu) < 0)
			BAD("%s: %s.mtu: must be a non-negative integer", prefix, where);
		itf->mtu = json_object_get_int(mtu);
	}
	return 0;
}

static int parse_ip(json_object *o, size_t i, const char *prefix, struct cni_result *r,
		    struct cni_error *err)
{
	struct cni_ip *ip = &r->ips[i];
	const char *address, *gateway, *version;
	char where[48];
	json_object *itf;

	snprintf(where, sizeof(where), "ips[%zu]", i);
	if (!json_object_is_type(o, json_type_object))
		BAD("%s: %s: must be an object", prefix, where);
	if (member_string(o, "address", &address, prefix, where, err) ||
	    member_string(o, "gateway", &gateway, prefix, where, err) ||
	    member_string(o, "version", &version, prefix, where, err))
		return -EINVAL;
	if (!address || cidr_parse(address, &ip->address))
		BAD("%s: %s.address: %s", prefix, where,
		    address ? "not an IP prefix (want \"ip/len\")" : "required field missing");
	if (gateway && *gateway) {
		if (ip_parse(gateway, &ip->gateway) || ip->gateway.family != ip->address.addr.family)
			BAD("%s: %s.gateway: \"%.48s\" is not an address of the same family", prefix,
			    where, gateway);
		ip->has_gateway = true;
	}
	if (version && !((strcmp(version, "4") == 0 && ip->address.addr.family == AF_INET) ||
			 (strcmp(version, "6") == 0 && ip->address.addr.family == AF_INET6)))
		BAD("%s: %s.version: \"%.8s\" does not match the address family", prefix, where,
		    version);
	ip->interface = -1;
	if (json_object_object_get_ex(o, "interface", &itf) && itf) {
		if (!json_object_is_type(itf, json_type_int) || json_object_get_int(itf) < 0 ||
		    (size_t)json_object_get_int(itf) >= r->n_interfaces)
			BAD("%s: %s.interface: must index interfaces[] (have %zu)", prefix, where,
			    r->n_interfaces);
		ip->interface = json_object_get_int(itf);
	}
	return 0;
}

static int parse_route(json_object *o, size_t i, const char *prefix, struct cni_result *r,
		       struct cni_error *err)
{
	struct cni_route *rt = &r->routes[i];
	const char *dst, *gw;
	char where[48];

	snprintf(where, sizeof(where), "routes[%zu]", i);
	if (!json_object_is_type(o, json_type_object))
		BAD("%s: %s: must be an object", prefix, where);
	if (member_string(o, "dst", &dst, prefix, where, err) ||
	    member_string(o, "gw", &gw, prefix, where, err))
		return -EINVAL;
	if (!dst || cidr_parse(dst, &rt->dst))
		BAD("%s: %s.dst: %s", prefix, where,
		    dst ? "not an IP prefix" : "required field missing");
	if (gw && *gw) {
		if (ip_parse(gw, &rt->gw) || rt->gw.family != rt->dst.addr.family)
			BAD("%s: %s.gw: \"%.48s\" is not an address of the same family", prefix,
			    where, gw);
		rt->has_gw = true;
	}
	return 0;
}

int cni_result_parse(json_object *obj, const char *prefix, struct cni_result *out,
		     struct cni_error *err)
{
	json_object *arr, *dns;
	size_t i;
	int ret;

	cni_result_init(out);
	if (!json_object_is_type(obj, json_type_object)) {
		cni_error_set(err, CNI_ERR_DECODE, "%s: must be a JSON object", prefix);
		return -EINVAL;
	}
	if (json_object_object_get_ex(obj, "ip4", NULL) || json_object_object_get_ex(obj, "ip6", NULL)) {
		cni_error_set(err, CNI_ERR_INCOMPATIBLE_VERSION,
			      "%s: 0.2.0-style result (ip4/ip6) is not supported", prefix);
		return -EINVAL;
	}
	arr = member_array(obj, "interfaces", CNI_RESULT_MAX_INTERFACES, prefix, err, &ret);
	for (i = 0; !ret && arr && i < json_object_array_length(arr); i++) {
		out->n_interfaces = i + 1;
		ret = parse_interface(json_object_array_get_idx(arr, i), i, prefix, out, err);
	}
	if (ret)
		goto fail;
	arr = member_array(obj, "ips", CNI_RESULT_MAX_IPS, prefix, err, &ret);
	for (i = 0; !ret && arr && i < json_object_array_length(arr); i++) {
		out->n_ips = i + 1;
		ret = parse_ip(json_object_array_get_idx(arr, i), i, prefix, out, err);
	}
	if (ret)
		goto fail;
	arr = member_array(obj, "routes", CNI_RESULT_MAX_ROUTES, prefix, err, &ret);
	for (i = 0; !ret && arr && i < json_object_array_length(arr); i++) {
		out->n_routes = i + 1;
		ret = parse_route(json_object_array_get_idx(arr, i), i, prefix, out, err);
	}
	if (ret)
		goto fail;
	if (json_object_object_get_ex(obj, "dns", &dns) && dns) {
		if (!json_object_is_type(dns, json_type_object)) {
			cni_error_set(err, CNI_ERR_DECODE, "%s: dns: must be an object", prefix);
			ret = -EINVAL;
			goto fail;
		}
		if (json_object_deep_copy(dns, &out->dns, NULL) < 0) {
			ret = -ENOMEM;
			goto fail;
		}
	}
	return 0;
fail:
	cni_result_free(out);
	return ret;
}

int cni_result_parse_text(const char *text, size_t len, const char *prefix,
			  struct cni_result *out, struct cni_error *err)
{
	json_tokener *tok = json_tokener_new();
	json_object *obj;
	int ret;

	cni_result_init(out);
	if (!tok)
		return -ENOMEM;
	obj = len ? json_tokener_parse_ex(tok, text, (int)len) : NULL;
	if (!obj || json_tokener_get_error(tok) != json_tokener_success) {
		json_tokener_free(tok);
		json_object_put(obj);
		cni_error_set(err, CNI_ERR_DECODE, "%s: not valid JSON", prefix);
		return -EINVAL;
	}
	json_tokener_free(tok);
	ret = cni_result_parse(obj, prefix, out, err);
	json_object_put(obj);
	return ret;
}

static int add_str(json_object *o, const char *key, const char *value)
{
	json_object *v = json_object_new_string(value);

	if (!v)
		return -ENOMEM;
	if (json_object_object_add(o, key, v)) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

static int add_obj(json_object *parent, json_object *child)
{
	if (!child)
		return -ENOMEM;
	if (json_object_array_add(parent, child)) {
		json_object_put(child);
		return -ENOMEM;
	}
	return 0;
}

static json_object *interface_json(const struct cni_interface *itf, bool v11)
{
	json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	if (add_str(o, "name", itf->name) || (itf->mac[0] && add_str(o, "mac", itf->mac)) ||
	    (itf->sandbox && add_str(o, "sandbox", itf->sandbox)) ||
	    (v11 && itf->mtu > 0 &&
	     json_object_object_add(o, "mtu", json_object_new_int(itf->mtu)))) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static json_object *ip_json(const struct cni_ip *ip, bool with_version)
{
	json_object *o = json_object_new_object();
	char buf[CIDR_STRLEN];

	if (!o)
		return NULL;
	if (with_version && add_str(o, "version", ip->address.addr.family == AF_INET ? "4" : "6"))
		goto fail;
	if (cidr_format(&ip->address, buf, sizeof(buf)) || add_str(o, "address", buf))
		goto fail;
	if (ip->has_gateway &&
	    (ip_format(&ip->gateway, buf, sizeof(buf)) || add_str(o, "gateway", buf)))
		goto fail;
	if (ip->interface >= 0 &&
	    json_object_object_add(o, "interface", json_object_new_int(ip->interface)))
		goto fail;
	return o;
fail:
	json_object_put(o);
	return NULL;
}

static json_object *route_json(const struct cni_route *rt)
{
	json_object *o = json_object_new_object();
	char buf[CIDR_STRLEN];
	struct cidr dst = rt->dst;

	if (!o)
		return NULL;
	cidr_network(&dst);
	if (cidr_format(&dst, buf, sizeof(buf)) || add_str(o, "dst", buf) ||
	    (rt->has_gw && (ip_format(&rt->gw, buf, sizeof(buf)) || add_str(o, "gw", buf)))) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

json_object *cni_result_to_json(const struct cni_result *r, const char *version)
{
	json_object *o = json_object_new_object(), *arr, *dns = NULL;
	bool v11 = cni_version_has_v11_fields(version);
	bool with_version = cni_version_has_ip_version_field(version);
	size_t i;

	if (!o || add_str(o, "cniVersion", version))
		goto fail;
	if (r->n_interfaces) {
		if (!(arr = json_object_new_array()) || json_object_object_add(o, "interfaces", arr))
			goto fail_arr;
		for (i = 0; i < r->n_interfaces; i++)
			if (add_obj(arr, interface_json(&r->interfaces[i], v11)))
				goto fail;
	}
	if (!(arr = json_object_new_array()) || json_object_object_add(o, "ips", arr))
		goto fail_arr;
	for (i = 0; i < r->n_ips; i++)
		if (add_obj(arr, ip_json(&r->ips[i], with_version)))
			goto fail;
	if (r->n_routes) {
		if (!(arr = json_object_new_array()) || json_object_object_add(o, "routes", arr))
			goto fail_arr;
		for (i = 0; i < r->n_routes; i++)
			if (add_obj(arr, route_json(&r->routes[i])))
				goto fail;
	}
	if (r->dns) {
		if (json_object_deep_copy(r->dns, &dns, NULL) < 0 ||
		    json_object_object_add(o, "dns", dns)) {
			json_object_put(dns);
			goto fail;
		}
	} else {
		if (!(dns = json_object_new_object()) || json_object_object_add(o, "dns", dns)) {
			json_object_put(dns);
			goto fail;
		}
	}
	return o;
fail_arr:
	json_object_put(arr);
fail:
	json_object_put(o);
	return NULL;
}

int cni_result_add_interface(struct cni_result *r, const char *name, const char *mac,
			     const char *sandbox, int mtu)
{
	struct cni_interface *itf;

	if (r->n_interfaces >= CNI_RESULT_MAX_INTERFACES)
		return -ENOSPC;
	itf = &r->interfaces[r->n_interfaces];
	memset(itf, 0, sizeof(*itf));
	snprintf(itf->name, sizeof(itf->name), "%s", name);
	snprintf(itf->mac, sizeof(itf->mac), "%s", mac ? mac : "");
	if (sandbox && !(itf->sandbox = strdup(sandbox)))
		return -ENOMEM;
	itf->mtu = mtu;
	return (int)r->n_interfaces++;
}

int cni_result_add_ip(struct cni_result *r, const struct cidr *address,
		      const struct ip_addr *gateway, int interface)
{
	struct cni_ip *ip;

	if (r->n_ips >= CNI_RESULT_MAX_IPS)
		return -ENOSPC;
	ip = &r->ips[r->n_ips];
	memset(ip, 0, sizeof(*ip));
	ip->address = *address;
	if (gateway) {
		ip->has_gateway = true;
		ip->gateway = *gateway;
	}
	ip->interface = interface;
	return (int)r->n_ips++;
}

int cni_result_add_route(struct cni_result *r, const struct cidr *dst, const struct ip_addr *gw)
{
	struct cni_route *rt;

	if (r->n_routes >= CNI_RESULT_MAX_ROUTES)
		return -ENOSPC;
	rt = &r->routes[r->n_routes];
	memset(rt, 0, sizeof(*rt));
	rt->dst = *dst;
	if (gw) {
		rt->has_gw = true;
		rt->gw = *gw;
	}
	return (int)r->n_routes++;
}
