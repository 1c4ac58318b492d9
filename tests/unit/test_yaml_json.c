/* Unit tests for lib/yaml_json: scalar typing, multi-document streams,
 * anchors, bounded alias expansion, errors with positions, and emit -> parse
 * round trips. */
#include "twill_test.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "yaml_json.h"

static json_object *parse_one(const char *yaml)
{
	json_object *obj = NULL;
	char err[256];
	int ret = yaml_json_parse_one(yaml, strlen(yaml), &obj, err, sizeof(err));

	if (ret != 0)
		fail_msg("parse of <<%s>> failed (%d): %s", yaml, ret, err);
	return obj;
}

static const char *parse_error(const char *yaml)
{
	static char err[256];
	json_object **docs = (json_object **)1;
	size_t count = 99;

	err[0] = '\0';
	if (yaml_json_parse_all(yaml, strlen(yaml), &docs, &count, err, sizeof(err)) != -EINVAL)
		fail_msg("parse of <<%s>> did not fail", yaml);
	assert_null(docs);
	assert_int_equal(count, 0);
	return err;
}

/* Compact JSON text of the single document in yaml. */
static void assert_yaml_json(const char *yaml, const char *want_json)
{
	json_object *obj = parse_one(yaml);
	const char *got = json_object_to_json_string_ext(
		obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

	if (strcmp(got, want_json) != 0)
		fail_msg("<<%s>> gave %s, want %s", yaml, got, want_json);
	json_object_put(obj);
}

static void test_scalar_typing_table(void **state)
{
	static const struct {
		const char *yaml, *json;
	} cases[] = {
		{ "v: true", "{\"v\":true}" },
		{ "v: False", "{\"v\":false}" },
		{ "v: TRUE", "{\"v\":true}" },
		{ "v: yes", "{\"v\":\"yes\"}" },	/* YAML 1.2: a string */
		{ "v: off", "{\"v\":\"off\"}" },
		{ "v: null", "{\"v\":null}" },
		{ "v: ~", "{\"v\":null}" },
		{ "v:", "{\"v\":null}" },
		{ "v: NULL", "{\"v\":null}" },
		{ "v: 42", "{\"v\":42}" },
		{ "v: -17", "{\"v\":-17}" },
		{ "v: +3", "{\"v\":3}" },
		{ "v: 0o17", "{\"v\":15}" },
		{ "v: 0x1F", "{\"v\":31}" },
		{ "v: 0755", "{\"v\":755}" },	/* 1.2 core: decimal */
		{ "v: 9223372036854775807", "{\"v\":9223372036854775807}" },
		{ "v: 1.5", "{\"v\":1.5}" },
		{ "v: -2.5e3", "{\"v\":-2500.0}" },
		{ "v: .5", "{\"v\":0.5}" },
		{ "v: 1e3", "{\"v\":1000.0}" },
		{ "v: 1.2.3", "{\"v\":\"1.2.3\"}" },
		{ "v: 10.0.0.0/16", "{\"v\":\"10.0.0.0/16\"}" },
		{ "v: 0x", "{\"v\":\"0x\"}" },
		{ "v: 12abc", "{\"v\":\"12abc\"}" },
		{ "v: '42'", "{\"v\":\"42\"}" },
		{ "v: \"true\"", "{\"v\":\"true\"}" },
		{ "v: ''", "{\"v\":\"\"}" },
		{ "v: 'null'", "{\"v\":\"null\"}" },
		{ "v: !!str 123", "{\"v\":\"123\"}" },
		{ "v: !!int \"7\"", "{\"v\":7}" },
		{ "v: !!float 1", "{\"v\":1.0}" },
		{ "v: ! 12", "{\"v\":\"12\"}" },
		{ "v: |\n  line1\n  line2\n", "{\"v\":\"line1\\nline2\\n\"}" },
		{ "v: >\n  folded\n  text\n", "{\"v\":\"folded text\\n\"}" },
		{ "1: one", "{\"1\":\"one\"}" },	/* keys are strings */
		{ "v: héllo", "{\"v\":\"héllo\"}" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_yaml_json(cases[i].yaml, cases[i].json);
}

static void test_special_floats(void **state)
{
	json_object *obj = parse_one("a: .inf\nb: -.Inf\nc: .NaN\n"), *v;

	(void)state;
	assert_true(json_object_object_get_ex(obj, "a", &v));
	assert_true(isinf(json_object_get_double(v)) && json_object_get_double(v) > 0);
	assert_true(json_object_object_get_ex(obj, "b", &v));
	assert_true(isinf(json_object_get_double(v)) && json_object_get_double(v) < 0);
	assert_true(json_object_object_get_ex(obj, "c", &v));
	assert_true(isnan(json_object_get_double(v)));
	json_object_put(obj);
}

static void test_kubeconfig_shape(void **state)
{
	static const char *yaml =
		"apiVersion: v1\n"
		"kind: Config\n"
		"clusters:\n"
		"- name: lab\n"
		"  cluster:\n"
		"    server: https://127.0.0.1:6443\n"
		"    certificate-authority: /etc/twill/ca.crt\n"
		"users:\n"
		"- name: admin\n"
		"  user:\n"
		"    token: abc.def\n"
		"contexts:\n"
		"- name: lab\n"
		"  context: {cluster: lab, user: admin, namespace: default}\n"
		"current-context: lab\n"
		"preferences: {}\n";
	json_object *obj = parse_one(yaml), *v, *c;

	(void)state;
	assert_true(json_object_object_get_ex(obj, "clusters", &v));
	assert_int_equal(json_object_array_length(v), 1);
	c = json_object_array_get_idx(v, 0);
	assert_true(json_object_object_get_ex(c, "cluster", &c));
	assert_true(json_object_object_get_ex(c, "server", &v));
	assert_string_equal(json_object_get_string(v), "https://127.0.0.1:6443");
	assert_true(json_object_object_get_ex(obj, "contexts", &v));
	c = json_object_array_get_idx(v, 0);
	assert_true(json_object_object_get_ex(c, "context", &c));
	assert_true(json_object_object_get_ex(c, "namespace", &v));
	assert_string_equal(json_object_get_string(v), "default");
	assert_true(json_object_object_get_ex(obj, "current-context", &v));
	assert_string_equal(json_object_get_string(v), "lab");
	assert_true(json_object_object_get_ex(obj, "preferences", &v));
	assert_int_equal(json_object_object_length(v), 0);
	json_object_put(obj);
}

static void test_multi_document(void **state)
{
	static const char *yaml = "# leading comment\n"
				  "---\n"
				  "kind: IPPool\n"
				  "---\n"
				  "# only a comment\n"
				  "---\n"
				  "kind: BGPPeer\n"
				  "...\n"
				  "---\n"
				  "- 1\n"
				  "- 2\n"
				  "---\n";
	json_object **docs = NULL;
	size_t count = 0;
	char err[200];

	(void)state;
	assert_int_equal(yaml_json_parse_all(yaml, strlen(yaml), &docs, &count, err, sizeof(err)),
			 0);
	assert_int_equal(count, 3);
	assert_string_equal(json_object_to_json_string_ext(docs[0], JSON_C_TO_STRING_PLAIN),
			    "{\"kind\":\"IPPool\"}");
	assert_string_equal(json_object_to_json_string_ext(docs[1], JSON_C_TO_STRING_PLAIN),
			    "{\"kind\":\"BGPPeer\"}");
	assert_string_equal(json_object_to_json_string_ext(docs[2], JSON_C_TO_STRING_PLAIN),
			    "[1,2]");
	yaml_json_free_docs(docs, count);
}

static void test_empty_stream_and_parse_one_count(void **state)
{
	json_object **docs = (json_object **)1, *obj;
	size_t count = 5;
	char err[200];

	(void)state;
	assert_int_equal(yaml_json_parse_all("", 0, &docs, &count, err, sizeof(err)), 0);
	assert_int_equal(count, 0);
	assert_null(docs);
	assert_int_equal(yaml_json_parse_one("# nothing\n", 10, &obj, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "no document");
	assert_int_equal(yaml_json_parse_one("a: 1\n---\nb: 2\n", 14, &obj, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "expected one document, found 2");
	assert_null(obj);
	/* length is honoured: the text after len is never read */
	assert_int_equal(yaml_json_parse_one("a: 1\n---\nb: 2\n", 5, &obj, err, sizeof(err)), 0);
	assert_string_equal(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN),
			    "{\"a\":1}");
	json_object_put(obj);
}

static void test_anchors_and_aliases(void **state)
{
	json_object *obj, *a, *b;

	(void)state;
	assert_yaml_json("base: &b {x: 1, y: [a, b]}\ncopy: *b\n",
			 "{\"base\":{\"x\":1,\"y\":[\"a\",\"b\"]},\"copy\":{\"x\":1,\"y\":[\"a\",\"b\"]}}");
	assert_yaml_json("- &v 5\n- *v\n- &v six\n- *v\n", "[5,5,\"six\",\"six\"]");
	assert_yaml_json("a: &n\nb: *n\n", "{\"a\":null,\"b\":null}");
	/* aliases are deep copies: changing one leaves the other alone */
	obj = parse_one("a: &x {k: 1}\nb: *x\n");
	assert_true(json_object_object_get_ex(obj, "a", &a));
	assert_true(json_object_object_get_ex(obj, "b", &b));
	assert_ptr_not_equal(a, b);
	json_object_object_add(a, "k", json_object_new_int(2));
	assert_string_equal(json_object_to_json_string_ext(b, JSON_C_TO_STRING_PLAIN), "{\"k\":1}");
	json_object_put(obj);
}

static void test_alias_bomb_bounded(void **state)
{
	/* Each level doubles... tenfold: 10^9 nodes if expanded. */
	static const char *bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
				  "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
				  "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
				  "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
				  "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
				  "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
				  "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
				  "h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
				  "i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]\n";
	const char *err;

	(void)state;
	err = parse_error(bomb);
	assert_non_null(strstr(err, "document too large"));
	assert_true(strncmp(err, "line ", 5) == 0);
}

static void test_depth_bounded(void **state)
{
	size_t n = 5000, i;
	char *s = malloc(2 * n + 1);
	const char *err;

	(void)state;
	assert_non_null(s);
	for (i = 0; i < n; i++)
		s[i] = '[';
	for (i = 0; i < n; i++)
		s[n + i] = ']';
	s[2 * n] = '\0';
	err = parse_error(s);
	assert_non_null(strstr(err, "nesting deeper than"));
	free(s);
}

static void test_errors_carry_position(void **state)
{
	(void)state;
	assert_string_equal(parse_error("a: 1\nb: 2\na: 3\n"), "line 3 column 1: duplicate key \"a\"");
	assert_string_equal(parse_error("x:\n  y: 1\n  y: 2\n"),
			    "line 3 column 3: duplicate key \"y\"");
	assert_string_equal(parse_error("a: *nope\n"), "line 1 column 4: unknown anchor \"nope\"");
	assert_string_equal(parse_error("? [a, b]\n: c\n"),
			    "line 1 column 3: mapping keys must be scalars");
	assert_string_equal(parse_error("v: !!int abc\n"),
			    "line 1 column 4: value \"abc\" is not a valid int");
	assert_string_equal(parse_error("v: !!bool yes\n"),
			    "line 1 column 4: value \"yes\" is not a valid bool");
	/* libyaml's own diagnostics, with our 1-based position prefix */
	assert_true(strncmp(parse_error("a: [1, 2\n"), "line 2 column 1: ", 17) == 0);
	assert_true(strncmp(parse_error("a: b\n c: d\n  - x\n"), "line ", 5) == 0);
	assert_true(strncmp(parse_error("key: 'unterminated\n"), "line ", 5) == 0);
	assert_non_null(strstr(parse_error("a:\tb: c\n- d\n"), "line "));
}

static void test_anchor_scope_is_per_document(void **state)
{
	(void)state;
	assert_string_equal(parse_error("a: &x 1\n---\nb: *x\n"),
			    "line 3 column 4: unknown anchor \"x\"");
}

/* emit obj, parse it back, and require equality; returns the YAML text. */
static char *roundtrip(json_object *obj)
{
	char *yaml = NULL, err[256];
	json_object *back = NULL;

	assert_int_equal(yaml_json_emit(obj, &yaml), 0);
	if (yaml_json_parse_one(yaml, strlen(yaml), &back, err, sizeof(err)) != 0)
		fail_msg("re-parse of <<%s>> failed: %s", yaml, err);
	if (!json_object_equal(obj, back))
		fail_msg("round trip changed %s into %s via <<%s>>",
			 json_object_to_json_string(obj), json_object_to_json_string(back), yaml);
	json_object_put(back);
	return yaml;
}

static void test_emit_kubectl_style(void **state)
{
	json_object *obj = json_tokener_parse(
		"{\"apiVersion\":\"twill.dev/v1\",\"kind\":\"IPPool\","
		"\"metadata\":{\"name\":\"default\",\"labels\":{\"a\":\"b\"}},"
		"\"spec\":{\"cidr\":\"10.244.0.0/16\",\"blockSize\":26,\"natOutgoing\":true,"
		"\"nodeSelector\":\"all()\",\"list\":[{\"x\":1,\"y\":2},\"s\"],\"empty\":{},"
		"\"none\":[]}}");
	char *yaml;

	(void)state;
	assert_non_null(obj);
	yaml = roundtrip(obj);
	assert_string_equal(yaml, "apiVersion: twill.dev/v1\n"
				  "kind: IPPool\n"
				  "metadata:\n"
				  "  name: default\n"
				  "  labels:\n"
				  "    a: b\n"
				  "spec:\n"
				  "  cidr: 10.244.0.0/16\n"
				  "  blockSize: 26\n"
				  "  natOutgoing: true\n"
				  "  nodeSelector: all()\n"
				  "  list:\n"
				  "  - x: 1\n"
				  "    \"y\": 2\n"	/* YAML 1.1 boolean to kubectl: quoted */
				  "  - s\n"
				  "  empty: {}\n"
				  "  none: []\n");
	free(yaml);
	json_object_put(obj);
}

static void test_emit_quotes_ambiguous_strings(void **state)
{
	static const char *strings[] = {
		"true", "False", "null", "~", "", "42", "-7", "0x1f", "0o17", "1.5", "1e3", ".inf",
		".NaN", "yes", "off", "Y", "0755", "1_000", "12:30", "- item", "a: b", "#hash",
		"x #y", "trailing ", " leading", "multi\nline", "tab\there", "quote\"s",
		"single'quote", "@at", "`tick", "{brace}", "[bracket]", "*star", "&amp", "!bang",
		"%pct", "|pipe", ">gt", "héllo wörld", "back\\slash", "ctrl\x01", "---", "...",
		"? q", "=", "<<",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
		json_object *obj = json_object_new_object();
		char *yaml;

		json_object_object_add(obj, strings[i], json_object_new_string(strings[i]));
		json_object_object_add(obj, "list", json_object_new_array());
		json_object_array_add(json_object_object_get(obj, "list"),
				      json_object_new_string(strings[i]));
		yaml = roundtrip(obj);
		free(yaml);
		json_object_put(obj);
	}
}

static void test_emit_numbers_roundtrip(void **state)
{
	static const double doubles[] = { 0.0, 1.0, -1.5, 0.1, 1e300, -2.5e-300, 123456789.125,
					  3.141592653589793 };
	json_object *arr = json_object_new_array();
	char *yaml;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(doubles) / sizeof(doubles[0]); i++)
		json_object_array_add(arr, json_object_new_double(doubles[i]));
	json_object_array_add(arr, json_object_new_int64(INT64_MIN));
	json_object_array_add(arr, json_object_new_int64(INT64_MAX));
	json_object_array_add(arr, json_object_new_int(0));
	json_object_array_add(arr, NULL);
	json_object_array_add(arr, json_object_new_boolean(0));
	yaml = roundtrip(arr);
	assert_non_null(strstr(yaml, "- 1.0\n"));	/* a double stays a double */
	assert_non_null(strstr(yaml, "- 0.1\n"));	/* shortest form */
	assert_non_null(strstr(yaml, "- null\n"));
	free(yaml);
	json_object_put(arr);
}

static void test_emit_scalar_roots_and_errors(void **state)
{
	char *yaml = NULL;
	json_object *nul = json_object_new_string_len("a\0b", 3), *s = json_object_new_string("x");

	(void)state;
	assert_int_equal(yaml_json_emit(nul, &yaml), -EINVAL);
	assert_null(yaml);
	{
		json_object *bad_utf8 = json_object_new_string("\xff\xfe"), *deep, *inner;
		int i;

		assert_int_equal(yaml_json_emit(bad_utf8, &yaml), -EINVAL);
		assert_null(yaml);
		json_object_put(bad_utf8);
		deep = json_object_new_array();
		for (i = 0, inner = deep; i < YAML_JSON_MAX_DEPTH + 5; i++) {
			json_object *next = json_object_new_array();

			json_object_array_add(inner, next);
			inner = next;
		}
		assert_int_equal(yaml_json_emit(deep, &yaml), -EINVAL);
		assert_null(yaml);
		json_object_put(deep);
	}
	assert_int_equal(yaml_json_emit(NULL, &yaml), 0);
	assert_non_null(strstr(yaml, "null"));
	free(yaml);
	yaml = roundtrip(s);
	free(yaml);
	json_object_put(nul);
	json_object_put(s);
}

static void test_parse_emit_parse_manifest(void **state)
{
	static const char *manifest =
		"apiVersion: networking.k8s.io/v1\n"
		"kind: NetworkPolicy\n"
		"metadata: {name: deny, namespace: prod, annotations: {note: 'yes'}}\n"
		"spec:\n"
		"  podSelector:\n"
		"    matchExpressions:\n"
		"    - {key: app, operator: In, values: [web, '8080']}\n"
		"  ingress:\n"
		"  - ports:\n"
		"    - port: 8080\n"
		"      protocol: TCP\n"
		"    from:\n"
		"    - ipBlock: {cidr: 10.0.0.0/8, except: ['10.1.0.0/16']}\n";
	json_object *obj = parse_one(manifest);
	char *yaml;

	(void)state;
	yaml = roundtrip(obj);
	assert_non_null(strstr(yaml, "note: \"yes\"\n"));
	assert_non_null(strstr(yaml, "- \"8080\"\n"));
	assert_non_null(strstr(yaml, "- port: 8080\n"));
	free(yaml);
	json_object_put(obj);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_scalar_typing_table),
	cmocka_unit_test(test_special_floats),
	cmocka_unit_test(test_kubeconfig_shape),
	cmocka_unit_test(test_multi_document),
	cmocka_unit_test(test_empty_stream_and_parse_one_count),
	cmocka_unit_test(test_anchors_and_aliases),
	cmocka_unit_test(test_alias_bomb_bounded),
	cmocka_unit_test(test_depth_bounded),
	cmocka_unit_test(test_errors_carry_position),
	cmocka_unit_test(test_anchor_scope_is_per_document),
	cmocka_unit_test(test_emit_kubectl_style),
	cmocka_unit_test(test_emit_quotes_ambiguous_strings),
	cmocka_unit_test(test_emit_numbers_roundtrip),
	cmocka_unit_test(test_emit_scalar_roots_and_errors),
	cmocka_unit_test(test_parse_emit_parse_manifest),
};

TWILL_TEST_MAIN(tests)
