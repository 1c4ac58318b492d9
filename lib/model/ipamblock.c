/* ipamblock: parse/serialise/validate. The parser keeps whatever the object
 * says, even when inconsistent (a free list longer than the block, indices
 * past attributes): judging is ipamblock_validate()'s job, and keeping the
 * raw data lets it report precisely what is wrong. Values that cannot be
 * represented (a negative ordinal, a non-integer allocation) are parse
 * errors. */
#include "model/ipamblock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"
#include "model/fields.h"

static const char *const spec_fields[] = {
	"cidr", "affinity", "allocations", "unallocated", "attributes", "deleted",
	"sequenceNumber", "strictAffinity", NULL
};

int ipamblock_name_for_cidr(const char *cidr, char *buf, size_t size)
{
	size_t i, len = strlen(cidr);

	if (len + 1 > size)
		return -ENOSPC;
	for (i = 0; i <= len; i++)
		buf[i] = (cidr[i] == '.' || cidr[i] == ':' || cidr[i] == '/') ? '-' : cidr[i];
	return 0;
}

static int parse_allocations(const struct json_cursor *spec, struct ipamblock *b)
{
	json_object *arr, *v;
	size_t len, i;
	int64_t n;

	if (json_cursor_array(spec, "allocations", &arr, &len) <= 0)
		return 0;
	b->allocations = calloc(len + 1, sizeof(*b->allocations));
	if (!b->allocations)
		return -ENOMEM;
	b->allocation_count = len;
	for (i = 0; i < len; i++) {
		v = json_object_array_get_idx(arr, i);
		b->allocations[i] = IPAMBLOCK_FREE;
		if (!v || json_object_is_type(v, json_type_null))
			continue;
		if (json_value_int64(v, &n) < 0 || n < 0) {
			char key[48];

			snprintf(key, sizeof(key), "allocations[%zu]", i);
			json_error(spec, key, "must be null or an attribute index >= 0, got %s",
				   json_type_label(v));
			continue;
		}
		b->allocations[i] = n;
	}
	return 0;
}

static int parse_unallocated(const struct json_cursor *spec, struct ipamblock *b)
{
	json_object *arr, *v;
	size_t len, i;
	int64_t n;

	if (json_cursor_array(spec, "unallocated", &arr, &len) <= 0)
		return 0;
	b->unallocated = calloc(len + 1, sizeof(*b->unallocated));
	if (!b->unallocated)
		return -ENOMEM;
	for (i = 0; i < len; i++) {
		v = json_object_array_get_idx(arr, i);
		if (json_value_int64(v, &n) < 0 || n < 0) {
			char key[48];

			snprintf(key, sizeof(key), "unallocated[%zu]", i);
			json_error(spec, key, "must be an ordinal >= 0, got %s",
				   json_type_label(v));
			continue;
		}
		b->unallocated[b->unallocated_count++] = (uint64_t)n;
	}
	return 0;
}

static int parse_attributes(const struct json_cursor *spec, struct ipamblock *b)
{
	struct json_cursor item;
	json_object *arr;
	size_t len, i;

	if (json_cursor_array(spec, "attributes", &arr, &len) <= 0)
		return 0;
	b->attributes = calloc(len + 1, sizeof(*b->attributes));
	if (!b->attributes)
		return -ENOMEM;
	/* Keep every slot, even malformed ones, so allocation indices keep
	 * pointing where the writer meant. */
	b->attribute_count = len;
	for (i = 0; i < len; i++) {
		if (json_cursor_index(spec, "attributes", arr, i, &item) <= 0)
			continue;
		if (json_get_string(&item, "handle_id", &b->attributes[i].handle_id) == -ENOMEM ||
		    json_get_string_map(&item, "secondary", &b->attributes[i].secondary) == -ENOMEM)
			return -ENOMEM;
	}
	return 0;
}

int ipamblock_from_json(json_object *obj, struct ipamblock *block, struct model_errors *errs)
{
	struct json_cursor root, spec;
	int rc;

	memset(block, 0, sizeof(*block));
	rc = model_parse_envelope(obj, MODEL_API_VERSION, "IPAMBlock", &block->meta, errs,
				  "spec", &root, &spec);
	if (rc < 0)
		return rc;
	model_warn_unknown(&spec, spec_fields);
	json_get_bool(&spec, "deleted", &block->deleted);
	json_get_bool(&spec, "strictAffinity", &block->strict_affinity);
	json_get_int64(&spec, "sequenceNumber", 0, INT64_MAX, &block->sequence_number);
	if (json_get_string(&spec, "cidr", &block->cidr) == -ENOMEM ||
	    json_get_string(&spec, "affinity", &block->affinity) == -ENOMEM ||
	    parse_allocations(&spec, block) < 0 || parse_unallocated(&spec, block) < 0 ||
	    parse_attributes(&spec, block) < 0) {
		if (errs)
			errs->oom = true;
		return -ENOMEM;
	}
	return 0;
}

json_object *ipamblock_to_json(const struct ipamblock *block)
{
	json_object *obj, *spec, *arr, *item;
	size_t i;

	obj = model_build_envelope(MODEL_API_VERSION, "IPAMBlock", &block->meta, &spec);
	if (!obj)
		return NULL;
	if (json_set_string(spec, "cidr", block->cidr) < 0)
		goto fail;
	/* null, not absent: a merge patch must be able to clear affinity. */
	if (json_object_object_add(spec, "affinity",
				   block->affinity ? json_object_new_string(block->affinity)
						   : NULL) < 0)
		goto fail;
	arr = json_set_array(spec, "allocations");
	if (!arr)
		goto fail;
	for (i = 0; i < block->allocation_count; i++) {
		item = block->allocations[i] < 0 ? NULL
						 : json_object_new_int64(block->allocations[i]);
		if (item == NULL && block->allocations[i] >= 0)
			goto fail;
		if (json_object_array_add(arr, item) < 0) {
			json_object_put(item);
			goto fail;
		}
	}
	arr = json_set_array(spec, "unallocated");
	if (!arr)
		goto fail;
	for (i = 0; i < block->unallocated_count; i++)
		if (json_array_add(arr, json_object_new_int64((int64_t)block->unallocated[i])) < 0)
			goto fail;
	arr = json_set_array(spec, "attributes");
	if (!arr)
		goto fail;
	for (i = 0; i < block->attribute_count; i++) {
		const struct ipamblock_attribute *a = &block->attributes[i];

		item = json_object_new_object();
		if (json_array_add(arr, item) < 0 ||
		    json_set_string(item, "handle_id", a->handle_id) < 0 ||
		    json_set_string_map(item, "secondary", &a->secondary, true) < 0)
			goto fail;
	}
	if (json_set_bool(spec, "deleted", block->deleted) < 0 ||
	    json_set_int64(spec, "sequenceNumber", block->sequence_number) < 0 ||
	    json_set_bool(spec, "strictAffinity", block->strict_affinity) < 0)
		goto fail;
	return obj;
fail:
	json_object_put(obj);
	return NULL;
}

void ipamblock_validate(const struct ipamblock *block, struct model_errors *errs)
{
	char expected[CIDR_STRLEN];
	unsigned char *seen = NULL;
	struct cidr net;
	uint64_t size = 0, u;
	size_t i;

	model_errors_set_object(errs, "IPAMBlock", block->meta.name);
	object_meta_validate_name(&block->meta, errs);
	if (block->affinity &&
	    (strncmp(block->affinity, "host:", 5) != 0 || block->affinity[5] == '\0'))
		model_errors_add(errs, "spec.affinity",
				 "must be \"host:<nodename>\" or null, got \"%.64s\"",
				 block->affinity);
	if (model_check_cidr(errs, "spec.cidr", block->cidr, true, &net) < 0 || !block->cidr)
		return;
	if (block->meta.name && ipamblock_name_for_cidr(block->cidr, expected,
							 sizeof(expected)) == 0 &&
	    strcmp(block->meta.name, expected) != 0)
		model_errors_add(errs, "metadata.name",
				 "must be \"%s\" (derived from spec.cidr %s), got \"%.64s\"",
				 expected, block->cidr, block->meta.name);
	if (cidr_size(&net, &size) < 0 || size > IPAMBLOCK_MAX_SIZE) {
		model_errors_add(errs, "spec.cidr",
				 "block %s is too large (at most %d addresses)", block->cidr,
				 IPAMBLOCK_MAX_SIZE);
		return;
	}
	if (block->allocation_count != size) {
		model_errors_add(errs, "spec.allocations",
				 "must have one entry per address of %s (%llu), got %zu",
				 block->cidr, (unsigned long long)size, block->allocation_count);
		return;
	}
	for (i = 0; i < block->allocation_count; i++) {
		int64_t a = block->allocations[i];
		char path[64];

		if (a == IPAMBLOCK_FREE) {
			continue;
		}
		if (a < 0 || (uint64_t)a >= block->attribute_count) {
			snprintf(path, sizeof(path), "spec.allocations[%zu]", i);
			model_errors_add(errs, path,
					 "attribute index %lld is out of range (%zu attributes)",
					 (long long)a, block->attribute_count);
		}
	}
	seen = calloc((size_t)size, 1);
	if (!seen) {
		if (errs)
			errs->oom = true;
		return;
	}
	for (i = 0; i < block->unallocated_count; i++) {
		char path[64];

		u = block->unallocated[i];
		snprintf(path, sizeof(path), "spec.unallocated[%zu]", i);
		if (u >= size) {
			model_errors_add(errs, path, "ordinal %llu is outside the block (size %llu)",
					 (unsigned long long)u, (unsigned long long)size);
			continue;
		}
		if (seen[u]) {
			model_errors_add(errs, path, "ordinal %llu is listed twice",
					 (unsigned long long)u);
			continue;
		}
		seen[u] = 1;
		if (block->allocations[u] != IPAMBLOCK_FREE)
			model_errors_add(errs, path,
					 "ordinal %llu is listed as free but allocated "
					 "(allocations[%llu] = %lld)",
					 (unsigned long long)u, (unsigned long long)u,
					 (long long)block->allocations[u]);
	}
	for (u = 0; u < size; u++) {
		if (block->allocations[u] == IPAMBLOCK_FREE && !seen[u]) {
			model_errors_add(errs, "spec.unallocated",
					 "free ordinal %llu (allocations[%llu] is null) is missing "
					 "from the free list",
					 (unsigned long long)u, (unsigned long long)u);
			break;
		}
	}
	free(seen);
}

void ipamblock_free(struct ipamblock *block)
{
	size_t i;

	object_meta_free(&block->meta);
	free(block->cidr);
	free(block->affinity);
	free(block->allocations);
	free(block->unallocated);
	for (i = 0; i < block->attribute_count; i++) {
		free(block->attributes[i].handle_id);
		labels_free(&block->attributes[i].secondary);
	}
	free(block->attributes);
	memset(block, 0, sizeof(*block));
}
