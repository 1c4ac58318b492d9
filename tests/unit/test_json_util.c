/* Unit tests for lib/json_util and lib/model/errors: typed getters record
 * errors with field paths, defaults survive absent keys, ranges quote the
 * bad value, hostile numbers never reach an undefined conversion. */
#include "twill_test.h"
#include "test_json.h"

#include <errno.h>
#include <stdlib.h>

#include "json_util.h"

static void test_absent_keeps_default(void **state)
{
	struct model_errors errs = MODEL_ERRORS_INIT;
	json_object *o = parse("{\"spec\": {\"x\": null}}");
	struct json_cursor root, spec;
	int n = 42;
	bool b = true;
	char *s = NULL;

	(void)state;
	json_cursor_root(&root, o, &errs);
	assert_int_equal(json_cursor_child(&root, "spec", &spec), 1);
	assert_string_equal(spec.path, "spec");
	assert_int_equal(json_get_int(&spec, "x", 0, 10, &n), 0);
	assert_int_equal(json_get_int(&spec, "missing", 0, 10, &n), 0);
	assert_int_equal(json_get_bool(&spec, "missing", &b), 0);
	assert_int_equal(json_get_string(&spec, "missing", &s), 0);
	assert_int_equal(n, 42);
	assert_true(b);
	assert_null(s);
	assert_false(model_errors_failed(&errs));
	json_object_put(o);
	model_errors_free(&errs);
}

static void test_wrong_type_names_path(void **state)
{
	struct model_errors errs = MODEL_ERRORS_INIT;
	json_object *o = parse("{\"spec\": {\"cidr\": 5, \"on\": \"yes\", \"sub\": []}}");
	struct json_cursor root, spec, sub;
	char *s = NULL;
	bool b = false;
	char line[256];

	(void)state;
	json_cursor_root(&root, o, &errs);
	model_errors_set_object(&errs, "IPPool", "pool-a");
	json_cursor_child(&root, "spec", &spec);
	assert_int_equal(json_get_string(&spec, "cidr", &s), -EINVAL);
	assert_int_equal(json_get_bool(&spec, "on", &b), -EINVAL);
	assert_int_equal(json_cursor_child(&spec, "sub", &sub), -EINVAL);
	assert_int_equal(model_errors_count(&errs), 3);
	assert_string_equal(model_errors_format(&errs, 0, line, sizeof(line)),
			    "IPPool \"pool-a\": spec.cidr: must be a string, got number");
	assert_non_null(model_errors_find(&errs, "spec.on"));
	assert_non_null(strstr(model_errors_find(&errs, "spec.sub")->message, "got array"));
	json_object_put(o);
	model_errors_free(&errs);
}

static void test_int_ranges_and_hostile_numbers(void **state)
{
	struct model_errors errs = MODEL_ERRORS_INIT;
	json_object *o = parse("{\"a\": 40, \"b\": 30.0, \"c\": 1.5, \"d\": 1e300,"
			       " \"e\": 18446744073709551615, \"f\": -1, \"g\": 4294967295}");
	struct json_cursor root;
	int v = 0;
	int64_t w = 0;
	uint32_t u = 0;
	const struct model_error *e;

	(void)state;
	json_cursor_root(&root, o, &errs);
	assert_int_equal(json_get_int(&root, "a", 20, 32, &v), -EINVAL);
	e = model_errors_find(&errs, "a");
	assert_non_null(e);
	assert_string_equal(e->message, "must be between 20 and 32, got 40");
	assert_int_equal(json_get_int(&root, "b", 20, 32, &v), 1);
	assert_int_equal(v, 30);
	assert_int_equal(json_get_int(&root, "c", 0, 10, &v), -EINVAL);
	assert_int_equal(json_get_int64(&root, "d", INT64_MIN, INT64_MAX, &w), -EINVAL);
	assert_int_equal(json_get_int64(&root, "e", 0, INT64_MAX - 1, &w), -EINVAL);
	assert_int_equal(json_get_uint32(&root, "f", 0, UINT32_MAX, &u), -EINVAL);
	assert_int_equal(json_get_uint32(&root, "g", 1, UINT32_MAX, &u), 1);
	assert_true(u == 4294967295u);
	assert_int_equal(model_errors_count(&errs), 5);
	json_object_put(o);
	model_errors_free(&errs);
}

static void test_enum_lists_allowed_values(void **state)
{
	static const char *const modes[] = { "Never", "Always", "CrossSubnet", NULL };
	struct model_errors errs = MODEL_ERRORS_INIT;
	json_object *o = parse("{\"m\": \"Sometimes\", \"n\": \"Always\"}");
	struct json_cursor root;
	int m = 0;

	(void)state;
	json_cursor_root(&root, o, &errs);
	assert_int_equal(json_get_enum(&root, "n", modes, &m), 1);
	assert_int_equal(m, 1);
	assert_int_equal(json_get_enum(&root, "m", modes, &m), -EINVAL);
	assert_string_equal(errs.items[0].message,
			    "must be one of Never, Always, CrossSubnet, got \"Sometimes\"");
	json_object_put(o);
	model_errors_free(&errs);
}

static void test_string_array_and_map(void **state)
{
	struct model_errors errs = MODEL_ERRORS_INIT;
	json_object *o = parse("{\"l\": [\"a\", 1, \"b\"], \"m\": {\"k\": \"v\", \"bad\": true}}");
	struct labels map = LABELS_INIT;
	struct json_cursor root;
	char **arr = NULL;
	size_t n = 0;

	(void)state;
	json_cursor_root(&root, o, &errs);
	assert_int_equal(json_get_string_array(&root, "l", &arr, &n), -EINVAL);
	assert_int_equal(n, 2);
	assert_string_equal(arr[0], "a");
	assert_string_equal(arr[1], "b");
	assert_null(arr[2]);
	assert_non_null(model_errors_find(&errs, "l[1]"));
	assert_int_equal(json_get_string_map(&root, "m", &map), -EINVAL);
	assert_string_equal(labels_get(&map, "k"), "v");
	assert_null(labels_get(&map, "bad"));
	assert_non_null(model_errors_find(&errs, "m.bad"));
	json_string_array_free(arr, n);
	labels_free(&map);
	json_object_put(o);
	model_errors_free(&errs);
}

static void test_setters_skip_empty(void **state)
{
	json_object *o = json_object_new_object();
	struct labels empty = LABELS_INIT;
	char *vals[] = { (char *)"x" };

	(void)state;
	assert_int_equal(json_set_string(o, "none", NULL), 0);
	assert_int_equal(json_set_string_map(o, "labels", &empty, false), 0);
	assert_int_equal(json_set_string_array(o, "empty", NULL, 0, false), 0);
	assert_int_equal(json_set_string_array(o, "one", vals, 1, false), 0);
	assert_int_equal(json_set_int64(o, "big", INT64_MAX), 0);
	assert_string_equal(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
			    "{\"one\":[\"x\"],\"big\":9223372036854775807}");
	json_object_put(o);
}

static void test_errors_warnings_do_not_fail(void **state)
{
	struct model_errors errs = MODEL_ERRORS_INIT;
	char line[128];

	(void)state;
	model_errors_set_object(&errs, "BGPPeer", "p");
	model_errors_warn(&errs, "spec.bogus", "unknown field");
	assert_false(model_errors_failed(&errs));
	assert_string_equal(model_errors_format(&errs, 0, line, sizeof(line)),
			    "BGPPeer \"p\": warning: spec.bogus: unknown field");
	model_errors_add(&errs, "", "broken");
	assert_true(model_errors_failed(&errs));
	model_errors_free(&errs);
	assert_int_equal(errs.count, 0);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_absent_keeps_default),
	cmocka_unit_test(test_wrong_type_names_path),
	cmocka_unit_test(test_int_ranges_and_hostile_numbers),
	cmocka_unit_test(test_enum_lists_allowed_values),
	cmocka_unit_test(test_string_array_and_map),
	cmocka_unit_test(test_setters_skip_empty),
	cmocka_unit_test(test_errors_warnings_do_not_fail),
};

TWILL_TEST_MAIN(tests)
