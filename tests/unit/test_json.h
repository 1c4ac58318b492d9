/* Shared helpers for unit tests that build model objects from JSON: parse a
 * literal, or load a sample from tests/testdata/model/. Both fail the current
 * test (cmocka assert) instead of returning NULL, so callers need no checks.
 * The caller owns the returned object (json_object_put). */
#ifndef TWILL_TEST_JSON_H
#define TWILL_TEST_JSON_H

#include <stdio.h>

#include <json-c/json.h>

#include "twill_test.h"

static inline json_object *parse(const char *text)
{
	json_object *o = json_tokener_parse(text);

	assert_non_null(o);
	return o;
}

static inline json_object *load(const char *name)
{
	char path[512];
	json_object *o;

	snprintf(path, sizeof(path), "%s/model/%s", TWILL_TESTDATA, name);
	o = json_object_from_file(path);
	assert_non_null(o);
	return o;
}

#endif
