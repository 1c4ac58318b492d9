/* fuzz_model: arbitrary bytes -> json_tokener -> model_validate_object and
 * the per-kind round trip. Also retargets the document at every kind (by
 * rewriting apiVersion/kind) so one interesting spec exercises all parsers.
 * A round trip that changes the object (-EPROTO) is a model bug: abort so
 * libFuzzer keeps the input. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "model/model.h"

static void check(json_object *obj)
{
	struct model_errors errs = MODEL_ERRORS_INIT;
	char line[512];
	size_t i;

	model_validate_object(obj, &errs);
	for (i = 0; i < errs.count; i++)
		model_errors_format(&errs, i, line, sizeof(line));
	model_errors_free(&errs);
	if (model_round_trip(obj) == -EPROTO)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_tokener *tok;
	json_object *obj;
	int k;

	if (size > 1 << 16)
		return 0;
	tok = json_tokener_new_ex(64);
	if (!tok)
		return 0;
	obj = json_tokener_parse_ex(tok, (const char *)data, (int)size);
	json_tokener_free(tok);
	if (!obj)
		return 0;
	check(obj);
	if (json_object_is_type(obj, json_type_object)) {
		for (k = 1; k < MODEL_KIND_COUNT; k++) {
			enum model_kind kind = (enum model_kind)k;

			json_object_object_add(obj, "apiVersion",
					       json_object_new_string(model_kind_api_version(kind)));
			json_object_object_add(obj, "kind",
					       json_object_new_string(model_kind_name(kind)));
			check(obj);
		}
	}
	json_object_put(obj);
	return 0;
}
