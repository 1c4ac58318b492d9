/* libFuzzer target: arbitrary bytes as a YAML stream. Parsing must never
 * crash, leak or run away (alias bombs and deep nesting are bounded); a
 * failure must leave a message; and every parsed document must survive
 * emit -> parse unchanged, compared as JSON text so NaN compares equal. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "yaml_json.h"

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond))                                                   \
			__builtin_trap();                                      \
	} while (0)

static void check_roundtrip(json_object *doc)
{
	json_object *back = NULL;
	char *yaml = NULL, *want, err[256];

	if (yaml_json_emit(doc, &yaml) < 0) {
		CHECK(yaml == NULL);
		return;	/* e.g. invalid UTF-8 inside a double-quoted scalar */
	}
	CHECK(yaml_json_parse_one(yaml, strlen(yaml), &back, err, sizeof(err)) == 0);
	want = strdup(json_object_to_json_string(doc));
	if (want)
		CHECK(strcmp(want, json_object_to_json_string(back)) == 0);
	free(want);
	free(yaml);
	json_object_put(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_object **docs = NULL;
	size_t count = 0, i;
	char err[256];

	err[0] = 'x';
	if (yaml_json_parse_all((const char *)data, size, &docs, &count, err, sizeof(err)) < 0) {
		CHECK(docs == NULL && count == 0 && memchr(err, '\0', sizeof(err)));
		return 0;
	}
	for (i = 0; i < count; i++) {
		CHECK(docs[i] != NULL);
		check_roundtrip(docs[i]);
	}
	yaml_json_free_docs(docs, count);
	return 0;
}
