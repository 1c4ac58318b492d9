/* blockaffinity: parse/serialise/validate. */
#include "model/blockaffinity.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/fields.h"
#include "model/ipamblock.h"

static const char *const state_names[] = { "pending", "confirmed", "pendingDeletion", NULL };
static const char *const spec_fields[] = { "state", "node", "cidr", "deleted", NULL };

const char *blockaffinity_state_name(enum blockaffinity_state state)
{
	return state <= BLOCKAFFINITY_PENDING_DELETION ? state_names[state] : "?";
}

int blockaffinity_name(const char *node, const char *cidr, char *buf, size_t size)
{
	char block[CIDR_STRLEN + 8];
	int n;

	if (ipamblock_name_for_cidr(cidr, block, sizeof(block)) < 0)
		return -ENOSPC;
	n = snprintf(buf, size, "%s-%s", node, block);
	return n < 0 || (size_t)n >= size ? -ENOSPC : 0;
}

int blockaffinity_from_json(json_object *obj, struct blockaffinity *aff,
			    struct model_errors *errs)
{
	struct json_cursor root, spec;
	int st, rc;

	memset(aff, 0, sizeof(*aff));
	rc = model_parse_envelope(obj, MODEL_API_VERSION, "BlockAffinity", &aff->meta, errs,
				  "spec", &root, &spec);
	if (rc < 0)
		return rc;
	model_warn_unknown(&spec, spec_fields);
	if (json_get_enum(&spec, "state", state_names, &st) == 1) {
		aff->state = (enum blockaffinity_state)st;
		aff->state_set = true;
	}
	json_get_bool(&spec, "deleted", &aff->deleted);
	if (json_get_string(&spec, "node", &aff->node) == -ENOMEM ||
	    json_get_string(&spec, "cidr", &aff->cidr) == -ENOMEM)
		return -ENOMEM;
	return 0;
}

json_object *blockaffinity_to_json(const struct blockaffinity *aff)
{
	json_object *obj, *spec;

	obj = model_build_envelope(MODEL_API_VERSION, "BlockAffinity", &aff->meta, &spec);
	if (!obj)
		return NULL;
	if ((aff->state_set &&
	     json_set_string(spec, "state", blockaffinity_state_name(aff->state)) < 0) ||
	    json_set_string(spec, "node", aff->node) < 0 ||
	    json_set_string(spec, "cidr", aff->cidr) < 0 ||
	    json_set_bool(spec, "deleted", aff->deleted) < 0) {
		json_object_put(obj);
		return NULL;
	}
	return obj;
}

void blockaffinity_validate(const struct blockaffinity *aff, struct model_errors *errs)
{
	char expected[320];

	model_errors_set_object(errs, "BlockAffinity", aff->meta.name);
	object_meta_validate_name(&aff->meta, errs);
	if (!aff->state_set)
		model_errors_add(errs, "spec.state",
				 "is required (pending, confirmed or pendingDeletion)");
	if (!aff->node || !aff->node[0])
		model_errors_add(errs, "spec.node", "is required");
	if (model_check_cidr(errs, "spec.cidr", aff->cidr, true, NULL) < 0 || !aff->node ||
	    !aff->node[0] || !aff->meta.name)
		return;
	if (blockaffinity_name(aff->node, aff->cidr, expected, sizeof(expected)) == 0 &&
	    strcmp(expected, aff->meta.name) != 0)
		model_errors_add(errs, "metadata.name",
				 "must be \"%s\" (<node>-<block name>), got \"%.64s\"", expected,
				 aff->meta.name);
}

void blockaffinity_free(struct blockaffinity *aff)
{
	object_meta_free(&aff->meta);
	free(aff->node);
	free(aff->cidr);
	memset(aff, 0, sizeof(*aff));
}
