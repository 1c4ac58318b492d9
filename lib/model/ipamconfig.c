/* ipamconfig: parse/serialise/validate. */
#include "model/ipamconfig.h"

#include <limits.h>
#include <string.h>

#include "model/fields.h"

static const char *const spec_fields[] = { "strictAffinity", "autoAllocateBlocks",
					   "maxBlocksPerHost", NULL };

void ipamconfig_init(struct ipamconfig *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->auto_allocate_blocks = true;
}

int ipamconfig_from_json(json_object *obj, struct ipamconfig *cfg, struct model_errors *errs)
{
	struct json_cursor root, spec;
	int rc;

	ipamconfig_init(cfg);
	rc = model_parse_envelope(obj, MODEL_API_VERSION, "IPAMConfig", &cfg->meta, errs,
				  "spec", &root, &spec);
	if (rc < 0)
		return rc;
	model_warn_unknown(&spec, spec_fields);
	json_get_bool(&spec, "strictAffinity", &cfg->strict_affinity);
	json_get_bool(&spec, "autoAllocateBlocks", &cfg->auto_allocate_blocks);
	json_get_int(&spec, "maxBlocksPerHost", 0, INT_MAX, &cfg->max_blocks_per_host);
	return 0;
}

json_object *ipamconfig_to_json(const struct ipamconfig *cfg)
{
	json_object *obj, *spec;

	obj = model_build_envelope(MODEL_API_VERSION, "IPAMConfig", &cfg->meta, &spec);
	if (!obj)
		return NULL;
	if (json_set_bool(spec, "strictAffinity", cfg->strict_affinity) < 0 ||
	    json_set_bool(spec, "autoAllocateBlocks", cfg->auto_allocate_blocks) < 0 ||
	    json_set_int64(spec, "maxBlocksPerHost", cfg->max_blocks_per_host) < 0) {
		json_object_put(obj);
		return NULL;
	}
	return obj;
}

void ipamconfig_validate(const struct ipamconfig *cfg, struct model_errors *errs)
{
	model_errors_set_object(errs, "IPAMConfig", cfg->meta.name);
	object_meta_validate_name(&cfg->meta, errs);
	if (cfg->meta.name && strcmp(cfg->meta.name, "default") != 0)
		model_errors_add(errs, "metadata.name",
				 "must be \"default\" (IPAMConfig is a singleton), got \"%.64s\"",
				 cfg->meta.name);
	if (cfg->max_blocks_per_host < 0)
		model_errors_add(errs, "spec.maxBlocksPerHost", "must be >= 0, got %d",
				 cfg->max_blocks_per_host);
}

void ipamconfig_free(struct ipamconfig *cfg)
{
	object_meta_free(&cfg->meta);
	memset(cfg, 0, sizeof(*cfg));
}
