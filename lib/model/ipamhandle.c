/* ipamhandle: parse/serialise/validate. spec.block is a JSON map; it is kept
 * as an array in insertion order so serialisation is deterministic. */
#include "model/ipamhandle.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/fields.h"

static const char *const spec_fields[] = { "handleID", "block", "deleted", NULL };

int ipamhandle_name(const char *handle_id, char *buf, size_t size)
{
	size_t i, len = strlen(handle_id);

	if (len > 253)
		len = 253;
	if (len + 1 > size)
		return -ENOSPC;
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)tolower((unsigned char)handle_id[i]);

		buf[i] = (isalnum(ch) || ch == '.' || ch == '-') ? (char)ch : '-';
	}
	buf[len] = '\0';
	return 0;
}

static int parse_blocks(const struct json_cursor *spec, struct ipamhandle *h)
{
	struct json_cursor map;
	json_object *o;
	size_t n;
	int64_t count;

	if (json_cursor_child(spec, "block", &map) <= 0)
		return 0;
	o = map.obj;
	n = (size_t)json_object_object_length(o);
	h->blocks = calloc(n + 1, sizeof(*h->blocks));
	if (!h->blocks)
		return -ENOMEM;
	json_object_object_foreach(o, key, val) {
		(void)val;
		count = 0;
		if (json_get_int64(&map, key, 0, INT64_MAX, &count) != 1)
			continue;
		h->blocks[h->block_count].cidr = strdup(key);
		if (!h->blocks[h->block_count].cidr)
			return -ENOMEM;
		h->blocks[h->block_count++].count = count;
	}
	return 0;
}

int ipamhandle_from_json(json_object *obj, struct ipamhandle *h, struct model_errors *errs)
{
	struct json_cursor root, spec;
	int rc;

	memset(h, 0, sizeof(*h));
	rc = model_parse_envelope(obj, MODEL_API_VERSION, "IPAMHandle", &h->meta, errs, "spec",
				  &root, &spec);
	if (rc < 0)
		return rc;
	model_warn_unknown(&spec, spec_fields);
	json_get_bool(&spec, "deleted", &h->deleted);
	if (json_get_string(&spec, "handleID", &h->handle_id) == -ENOMEM ||
	    parse_blocks(&spec, h) < 0) {
		if (errs)
			errs->oom = true;
		return -ENOMEM;
	}
	return 0;
}

json_object *ipamhandle_to_json(const struct ipamhandle *h)
{
	json_object *obj, *spec, *map;
	size_t i;

	obj = model_build_envelope(MODEL_API_VERSION, "IPAMHandle", &h->meta, &spec);
	if (!obj)
		return NULL;
	if (json_set_string(spec, "handleID", h->handle_id) < 0)
		goto fail;
	map = json_set_object(spec, "block");
	if (!map)
		goto fail;
	for (i = 0; i < h->block_count; i++)
		if (json_set_int64(map, h->blocks[i].cidr, h->blocks[i].count) < 0)
			goto fail;
	if (json_set_bool(spec, "deleted", h->deleted) < 0)
		goto fail;
	return obj;
fail:
	json_object_put(obj);
	return NULL;
}

void ipamhandle_validate(const struct ipamhandle *h, struct model_errors *errs)
{
	char path[CIDR_STRLEN + 32];
	char expected[256];
	size_t i;

	model_errors_set_object(errs, "IPAMHandle", h->meta.name);
	object_meta_validate_name(&h->meta, errs);
	if (!h->handle_id || !h->handle_id[0])
		model_errors_add(errs, "spec.handleID", "is required");
	else if (h->meta.name && ipamhandle_name(h->handle_id, expected, sizeof(expected)) == 0 &&
		 strcmp(expected, h->meta.name) != 0)
		model_errors_add(errs, "metadata.name",
				 "must be \"%.64s\" (derived from spec.handleID), got \"%.64s\"",
				 expected, h->meta.name);
	for (i = 0; i < h->block_count; i++) {
		snprintf(path, sizeof(path), "spec.block[%.*s]", CIDR_STRLEN, h->blocks[i].cidr);
		model_check_cidr(errs, path, h->blocks[i].cidr, true, NULL);
	}
}

void ipamhandle_free(struct ipamhandle *h)
{
	size_t i;

	object_meta_free(&h->meta);
	free(h->handle_id);
	for (i = 0; i < h->block_count; i++)
		free(h->blocks[i].cidr);
	free(h->blocks);
	memset(h, 0, sizeof(*h));
}
