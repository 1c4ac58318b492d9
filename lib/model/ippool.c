/* ippool: parse/serialise/validate. The block size default depends on the
 * family, so it is resolved after the cidr is read: block_size 0 during
 * parsing means "not given". */
#include "model/ippool.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/fields.h"

static const char *const mode_names[] = { "Never", "Always", "CrossSubnet", NULL };
static const char *const use_names[] = { "Workload", "Tunnel", NULL };
static const char *const spec_fields[] = {
	"cidr", "blockSize", "ipipMode", "vxlanMode", "natOutgoing", "disabled",
	"disableBGPExport", "nodeSelector", "allowedUses", NULL
};

const char *ippool_mode_name(enum ippool_encap_mode mode)
{
	return mode <= IPPOOL_MODE_CROSS_SUBNET ? mode_names[mode] : "?";
}

static int parse_uses(const struct json_cursor *spec, struct ippool *pool)
{
	char **uses = NULL;
	size_t n = 0, i;
	int rc, idx;

	rc = json_get_string_array(spec, "allowedUses", &uses, &n);
	if (rc == -ENOMEM)
		return rc;
	if (rc == 0) {
		json_string_array_free(uses, n);
		return 0;
	}
	pool->allowed_uses = 0;
	for (i = 0; i < n; i++) {
		idx = model_enum_index(use_names, uses[i]);
		if (idx < 0) {
			char key[48];

			snprintf(key, sizeof(key), "allowedUses[%zu]", i);
			json_error(spec, key, "must be one of Workload, Tunnel, got \"%.64s\"",
				   uses[i]);
			continue;
		}
		pool->allowed_uses |= 1u << idx;
	}
	json_string_array_free(uses, n);
	return 0;
}

int ippool_from_json(json_object *obj, struct ippool *pool, struct model_errors *errs)
{
	struct json_cursor root, spec;
	int mode, rc;

	memset(pool, 0, sizeof(*pool));
	pool->allowed_uses = IPPOOL_USE_WORKLOAD | IPPOOL_USE_TUNNEL;
	rc = model_parse_envelope(obj, MODEL_API_VERSION, "IPPool", &pool->meta, errs,
				  "spec", &root, &spec);
	if (rc < 0)
		return rc;
	model_warn_unknown(&spec, spec_fields);
	if (json_get_string(&spec, "cidr", &pool->cidr) == -ENOMEM ||
	    json_get_string(&spec, "nodeSelector", &pool->node_selector) == -ENOMEM)
		return -ENOMEM;
	json_get_int(&spec, "blockSize", 0, 128, &pool->block_size);
	mode = 0;
	if (json_get_enum(&spec, "ipipMode", mode_names, &mode) == 1)
		pool->ipip_mode = (enum ippool_encap_mode)mode;
	mode = 0;
	if (json_get_enum(&spec, "vxlanMode", mode_names, &mode) == 1)
		pool->vxlan_mode = (enum ippool_encap_mode)mode;
	json_get_bool(&spec, "natOutgoing", &pool->nat_outgoing);
	json_get_bool(&spec, "disabled", &pool->disabled);
	json_get_bool(&spec, "disableBGPExport", &pool->disable_bgp_export);
	if (parse_uses(&spec, pool) < 0)
		return -ENOMEM;
	if (!pool->node_selector && !(pool->node_selector = strdup("all()")))
		return -ENOMEM;
	pool->cidr_ok = pool->cidr && cidr_parse(pool->cidr, &pool->net) == 0;
	if (pool->block_size == 0)
		pool->block_size = pool->cidr_ok && pool->net.addr.family == AF_INET6 ? 122 : 26;
	return 0;
}

json_object *ippool_to_json(const struct ippool *pool)
{
	json_object *obj, *spec, *uses;
	int i;

	obj = model_build_envelope(MODEL_API_VERSION, "IPPool", &pool->meta, &spec);
	if (!obj)
		return NULL;
	if (json_set_string(spec, "cidr", pool->cidr) < 0 ||
	    json_set_int64(spec, "blockSize", pool->block_size) < 0 ||
	    json_set_string(spec, "ipipMode", ippool_mode_name(pool->ipip_mode)) < 0 ||
	    json_set_string(spec, "vxlanMode", ippool_mode_name(pool->vxlan_mode)) < 0 ||
	    json_set_bool(spec, "natOutgoing", pool->nat_outgoing) < 0 ||
	    json_set_bool(spec, "disabled", pool->disabled) < 0 ||
	    json_set_bool(spec, "disableBGPExport", pool->disable_bgp_export) < 0 ||
	    json_set_string(spec, "nodeSelector", pool->node_selector) < 0)
		goto fail;
	uses = json_set_array(spec, "allowedUses");
	if (!uses)
		goto fail;
	for (i = 0; use_names[i]; i++)
		if ((pool->allowed_uses & (1u << i)) &&
		    json_array_add(uses, json_object_new_string(use_names[i])) < 0)
			goto fail;
	return obj;
fail:
	json_object_put(obj);
	return NULL;
}

void ippool_validate(const struct ippool *pool, struct model_errors *errs)
{
	struct cidr net;
	bool v6;
	int lo, hi;

	model_errors_set_object(errs, "IPPool", pool->meta.name);
	object_meta_validate_name(&pool->meta, errs);
	if (model_check_cidr(errs, "spec.cidr", pool->cidr, true, &net) == 0) {
		v6 = net.addr.family == AF_INET6;
		lo = v6 ? 116 : 20;
		hi = v6 ? 128 : 32;
		if (pool->block_size < lo || pool->block_size > hi)
			model_errors_add(errs, "spec.blockSize",
					 "must be between %d and %d for an IPv%d pool, got %d",
					 lo, hi, v6 ? 6 : 4, pool->block_size);
		else if ((unsigned)pool->block_size < net.prefix_len)
			model_errors_add(errs, "spec.blockSize",
					 "must not be smaller than the pool's prefix length %u "
					 "(a block cannot be larger than its pool), got %d",
					 net.prefix_len, pool->block_size);
		if (v6 && pool->ipip_mode != IPPOOL_MODE_NEVER)
			model_errors_add(errs, "spec.ipipMode",
					 "IPIP is IPv4 only, must be Never for IPv6 pool %s, got %s",
					 pool->cidr, ippool_mode_name(pool->ipip_mode));
	}
	if (pool->ipip_mode != IPPOOL_MODE_NEVER && pool->vxlan_mode != IPPOOL_MODE_NEVER)
		model_errors_add(errs, "spec.vxlanMode",
				 "ipipMode and vxlanMode cannot both be enabled, got ipipMode %s "
				 "and vxlanMode %s",
				 ippool_mode_name(pool->ipip_mode),
				 ippool_mode_name(pool->vxlan_mode));
	model_check_selector(errs, "spec.nodeSelector", pool->node_selector);
	if (pool->allowed_uses == 0)
		model_errors_add(errs, "spec.allowedUses",
				 "must list at least one of Workload, Tunnel");
}

void ippool_free(struct ippool *pool)
{
	object_meta_free(&pool->meta);
	free(pool->cidr);
	free(pool->node_selector);
	memset(pool, 0, sizeof(*pool));
}
