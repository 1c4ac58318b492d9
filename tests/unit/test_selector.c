/* Unit tests for lib/selector (Calico selector strings) and lib/label_selector
 * (Kubernetes LabelSelector from JSON). */
#include "twill_test.h"

#include <errno.h>
#include <stdlib.h>

#include "label_selector.h"
#include "selector.h"

/* labels from "k=v,k2=v2" ("" for none) */
static struct labels mklabels(const char *spec)
{
	struct labels l = LABELS_INIT;
	char *copy = strdup(spec), *save = NULL, *item;

	assert_non_null(copy);
	for (item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');

		assert_non_null(eq);
		*eq = '\0';
		assert_int_equal(labels_set(&l, item, eq + 1), 0);
	}
	free(copy);
	return l;
}

/* Parse sel (must succeed) and match it against the labels spec. */
static int sel_match(const char *sel_text, const char *label_spec)
{
	struct selector *sel = NULL;
	struct labels l = mklabels(label_spec);
	char err[200];
	int ret;

	ret = selector_parse(sel_text, &sel, err, sizeof(err));
	if (ret != 0)
		fail_msg("selector_parse(%s) = %d: %s", sel_text, ret, err);
	ret = selector_matches(sel, &l);
	selector_free(sel);
	labels_free(&l);
	return ret;
}

/* Parse must fail; returns the message. */
static const char *sel_error(const char *sel_text)
{
	static char err[200];
	struct selector *sel = (struct selector *)1;

	if (selector_parse(sel_text, &sel, err, sizeof(err)) != -EINVAL)
		fail_msg("selector_parse(%s) did not fail", sel_text);
	assert_null(sel);
	assert_true(err[0] != '\0');
	return err;
}

static void test_sel_all_and_empty(void **state)
{
	(void)state;
	assert_int_equal(sel_match("all()", ""), 1);
	assert_int_equal(sel_match("  all ( )  ", "a=b"), 1);
	assert_int_equal(sel_match("", "a=b"), 0);	/* empty selects nothing */
	assert_int_equal(sel_match("   ", ""), 0);
	assert_int_equal(sel_match("!all()", "a=b"), 0);
}

static void test_sel_has(void **state)
{
	(void)state;
	assert_int_equal(sel_match("has(rack)", "rack=r1"), 1);
	assert_int_equal(sel_match("has(rack)", "rack="), 1);	/* empty value still present */
	assert_int_equal(sel_match("has(rack)", "zone=z"), 0);
	assert_int_equal(sel_match("!has(rack)", "zone=z"), 1);
	assert_int_equal(sel_match("! has( twill.dev/rack )", "twill.dev/rack=a"), 0);
	assert_int_equal(sel_match("has(twill.dev/rack)", "twill.dev/rack=a"), 1);
}

static void test_sel_equality(void **state)
{
	(void)state;
	assert_int_equal(sel_match("zone == 'a'", "zone=a"), 1);
	assert_int_equal(sel_match("zone == \"a\"", "zone=a"), 1);
	assert_int_equal(sel_match("zone=='a'", "zone=b"), 0);
	assert_int_equal(sel_match("zone == 'a'", ""), 0);
	assert_int_equal(sel_match("zone != 'a'", "zone=b"), 1);
	assert_int_equal(sel_match("zone != 'a'", ""), 1);	/* absent != anything */
	assert_int_equal(sel_match("zone != 'a'", "zone=a"), 0);
	assert_int_equal(sel_match("zone == ''", "zone="), 1);
	assert_int_equal(sel_match("zone == \"it's\"", "zone=it's"), 1);
}

static void test_sel_in_not_in(void **state)
{
	(void)state;
	assert_int_equal(sel_match("zone in {'a', 'b'}", "zone=b"), 1);
	assert_int_equal(sel_match("zone in {'a','b'}", "zone=c"), 0);
	assert_int_equal(sel_match("zone in {'a'}", ""), 0);
	assert_int_equal(sel_match("zone in {}", "zone=a"), 0);
	assert_int_equal(sel_match("zone not in {'a', \"b\"}", "zone=c"), 1);
	assert_int_equal(sel_match("zone not in {'a', 'b'}", "zone=a"), 0);
	assert_int_equal(sel_match("zone not in {'a'}", ""), 1);	/* absent: matches */
	assert_int_equal(sel_match("zone  not   in{}", "zone=a"), 1);
}

static void test_sel_and_or_precedence(void **state)
{
	(void)state;
	assert_int_equal(sel_match("a == '1' && b == '2'", "a=1,b=2"), 1);
	assert_int_equal(sel_match("a == '1' && b == '2'", "a=1,b=3"), 0);
	assert_int_equal(sel_match("a == '1' || b == '2'", "a=0,b=2"), 1);
	/* && binds tighter: x || (y && z) */
	assert_int_equal(sel_match("has(x) || has(y) && has(z)", "x=1"), 1);
	assert_int_equal(sel_match("(has(x) || has(y)) && has(z)", "x=1"), 0);
	assert_int_equal(sel_match("has(y) && has(z) || has(x)", "x=1"), 1);
	assert_int_equal(sel_match("!(has(x) || has(y))", "z=1"), 1);
	assert_int_equal(sel_match("!(has(x) || has(y))", "y=1"), 0);
	assert_int_equal(sel_match("!!has(x)", "x=1"), 1);
	assert_int_equal(sel_match("((((has(x)))))", "x=1"), 1);
	assert_int_equal(sel_match("has(a)&&has(b)&&has(c)", "a=1,b=1,c=1"), 1);
	assert_int_equal(sel_match("has(a)&&has(b)&&has(c)", "a=1,c=1"), 0);
}

static void test_sel_keyword_named_keys(void **state)
{
	(void)state;
	assert_int_equal(sel_match("all == 'yes'", "all=yes"), 1);
	assert_int_equal(sel_match("has == 'x' && in in {'y'}", "has=x,in=y"), 1);
	assert_int_equal(sel_match("not != 'a'", "not=b"), 1);
}

static void test_sel_error_messages(void **state)
{
	(void)state;
	assert_string_equal(sel_error("rack= 'a'"),
			    "unexpected '=' at offset 4, expected '==', '!=', 'in' or 'not in'");
	assert_string_equal(sel_error("rack == a"),
			    "unexpected 'a' at offset 8, expected a quoted string");
	assert_string_equal(sel_error("rack == 'a"),
			    "unterminated string starting at offset 8");
	assert_string_equal(sel_error("has(rack"),
			    "unexpected end of input at offset 8, expected ')'");
	assert_string_equal(sel_error("has(x) &&"),
			    "unexpected end of input at offset 9, expected a label key, "
			    "'all()', 'has(', '!' or '('");
	assert_string_equal(sel_error("has(x) & has(y)"),
			    "unexpected '&' at offset 7, expected '&&', '||' or end of selector");
	assert_string_equal(sel_error("zone not {'a'}"),
			    "unexpected '{' at offset 9, expected 'in' after 'not'");
	assert_string_equal(sel_error("zone in {'a' 'b'}"),
			    "unexpected ''' at offset 13, expected ',' or '}'");
	assert_string_equal(sel_error("(has(x)"),
			    "unexpected end of input at offset 7, expected ')' or an operator "
			    "('&&', '||')");
	assert_string_equal(sel_error("all(x)"),
			    "unexpected 'x' at offset 4, expected ')' (all() takes no arguments)");
	assert_string_equal(sel_error("-bad == 'x'"), "invalid label key \"-bad\" at offset 0");
	assert_string_equal(sel_error("has(a/b/c)"), "invalid label key \"a/b/c\" at offset 4");
	assert_string_equal(sel_error("a == 'x'\x01"),
			    "unexpected byte 0x01 at offset 8, expected '&&', '||' or end of "
			    "selector");
}

static void test_sel_more_malformed(void **state)
{
	static const char *bad[] = {
		"all", "has()", "has('x')", "x in 'a'", "x in {'a',}", "x in {'a'",
		"x == 'a' ||", "()", "!", "x ==", "x === 'a'", "|| has(x)", "has(x) has(y)",
		"x in {a}", "UPPER.example.com/x == 'a'",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		sel_error(bad[i]);
}

static void test_sel_depth_and_size_bounded(void **state)
{
	size_t n = 100000, i;
	char *s = malloc(2 * n + 32), *p = s;
	struct selector *sel = NULL;
	char err[200];

	(void)state;
	assert_non_null(s);
	for (i = 0; i < n; i++)
		*p++ = '(';
	strcpy(p, "has(x)");
	assert_int_equal(selector_parse(s, &sel, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "nested deeper"));
	/* exactly at the limit still parses */
	memset(s, '!', SELECTOR_MAX_DEPTH - 1);
	strcpy(s + SELECTOR_MAX_DEPTH - 1, "has(x)");
	assert_int_equal(selector_parse(s, &sel, err, sizeof(err)), 0);
	selector_free(sel);
	/* a very long && chain is refused, not recursed into */
	p = s;
	for (i = 0; i < n / 8; i++) {
		memcpy(p, "has(x)&&", 8);
		p += 8;
	}
	strcpy(p, "has(x)");
	assert_int_equal(selector_parse(s, &sel, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "more than"));
	free(s);
}

static void test_sel_text_and_null_safety(void **state)
{
	struct selector *sel = NULL;
	struct labels l = mklabels("a=1");

	(void)state;
	assert_int_equal(selector_parse(" has(a) ", &sel, NULL, 0), 0);
	assert_string_equal(selector_text(sel), " has(a) ");
	assert_int_equal(selector_matches(sel, &l), 1);
	assert_int_equal(selector_matches(sel, NULL), 0);
	assert_int_equal(selector_matches(NULL, &l), 0);
	selector_free(sel);
	selector_free(NULL);
	assert_int_equal(selector_parse(NULL, &sel, NULL, 0), -EINVAL);
	labels_free(&l);
}

/* ---- Kubernetes LabelSelector ---- */

static int ls_parse(const char *json, struct label_selector *out, char *err, size_t errlen)
{
	json_object *obj = json_tokener_parse(json);
	int ret;

	assert_non_null(obj);
	ret = label_selector_from_json(obj, out, err, errlen);
	json_object_put(obj);
	return ret;
}

static int ls_match(const char *json, const char *label_spec)
{
	struct label_selector sel = LABEL_SELECTOR_INIT;
	struct labels l = mklabels(label_spec);
	char err[200];
	int ret;

	if (ls_parse(json, &sel, err, sizeof(err)) != 0)
		fail_msg("label_selector_from_json(%s): %s", json, err);
	ret = label_selector_matches(&sel, &l);
	label_selector_free(&sel);
	labels_free(&l);
	return ret;
}

static const char *ls_error(const char *json)
{
	static char err[300];
	struct label_selector sel = LABEL_SELECTOR_INIT;

	if (ls_parse(json, &sel, err, sizeof(err)) != -EINVAL)
		fail_msg("label_selector_from_json(%s) did not fail", json);
	assert_true(label_selector_is_empty(&sel));
	return err;
}

static void test_ls_empty_matches_everything(void **state)
{
	struct label_selector sel = LABEL_SELECTOR_INIT;

	(void)state;
	assert_int_equal(ls_match("{}", ""), 1);
	assert_int_equal(ls_match("{}", "app=web"), 1);
	assert_int_equal(ls_match("{\"matchLabels\": {}, \"matchExpressions\": []}", "a=b"), 1);
	assert_int_equal(ls_match("{\"matchLabels\": null}", "a=b"), 1);
	assert_int_equal(ls_parse("{}", &sel, NULL, 0), 0);
	assert_true(label_selector_is_empty(&sel));
	label_selector_free(&sel);
}

static void test_ls_match_labels(void **state)
{
	static const char *sel = "{\"matchLabels\": {\"app\": \"web\", \"tier\": \"front\"}}";

	(void)state;
	assert_int_equal(ls_match(sel, "app=web,tier=front,extra=1"), 1);
	assert_int_equal(ls_match(sel, "app=web"), 0);
	assert_int_equal(ls_match(sel, "app=web,tier=back"), 0);
	assert_int_equal(ls_match("{\"matchLabels\": {\"k\": \"\"}}", "k="), 1);
	assert_int_equal(ls_match("{\"matchLabels\": {\"k\": \"\"}}", ""), 0);
}

static void test_ls_operators(void **state)
{
	(void)state;
	assert_int_equal(ls_match("{\"matchExpressions\": [{\"key\": \"env\", \"operator\": "
				  "\"In\", \"values\": [\"prod\", \"stage\"]}]}",
				  "env=stage"),
			 1);
	assert_int_equal(ls_match("{\"matchExpressions\": [{\"key\": \"env\", \"operator\": "
				  "\"In\", \"values\": [\"prod\"]}]}",
				  ""),
			 0);
	assert_int_equal(ls_match("{\"matchExpressions\": [{\"key\": \"env\", \"operator\": "
				  "\"NotIn\", \"values\": [\"prod\"]}]}",
				  ""),
			 1);	/* NotIn matches an absent key */
	assert_int_equal(ls_match("{\"matchExpressions\": [{\"key\": \"env\", \"operator\": "
				  "\"NotIn\", \"values\": [\"prod\"]}]}",
				  "env=prod"),
			 0);
	assert_int_equal(ls_match("{\"matchExpressions\": [{\"key\": \"env\", \"operator\": "
				  "\"Exists\"}]}",
				  "env="),
			 1);
	assert_int_equal(ls_match("{\"matchExpressions\": [{\"key\": \"env\", \"operator\": "
				  "\"Exists\", \"values\": []}]}",
				  "x=1"),
			 0);
	assert_int_equal(ls_match("{\"matchExpressions\": [{\"key\": \"env\", \"operator\": "
				  "\"DoesNotExist\"}]}",
				  "x=1"),
			 1);
	assert_int_equal(ls_match("{\"matchExpressions\": [{\"key\": \"env\", \"operator\": "
				  "\"DoesNotExist\", \"values\": null}]}",
				  "env=a"),
			 0);
}

static void test_ls_and_semantics(void **state)
{
	static const char *sel = "{\"matchLabels\": {\"app\": \"db\"}, \"matchExpressions\": ["
				  "{\"key\": \"twill.dev/zone\", \"operator\": \"In\", \"values\": "
				  "[\"a\"]},"
				  "{\"key\": \"canary\", \"operator\": \"DoesNotExist\"}]}";

	(void)state;
	assert_int_equal(ls_match(sel, "app=db,twill.dev/zone=a"), 1);
	assert_int_equal(ls_match(sel, "app=db,twill.dev/zone=a,canary=1"), 0);
	assert_int_equal(ls_match(sel, "app=db,twill.dev/zone=b"), 0);
	assert_int_equal(ls_match(sel, "app=web,twill.dev/zone=a"), 0);
}

static void test_ls_errors_name_the_field(void **state)
{
	(void)state;
	assert_string_equal(ls_error("{\"matchExpressions\": [{\"key\": \"a\", \"operator\": "
				     "\"Exists\"}, {\"key\": \"b\", \"operator\": \"Equals\", "
				     "\"values\": [\"x\"]}]}"),
			    "matchExpressions[1].operator: unsupported value \"Equals\"");
	assert_string_equal(ls_error("{\"matchExpressions\": [{\"key\": \"a\", \"operator\": "
				     "\"In\", \"values\": []}]}"),
			    "matchExpressions[0].values: must be specified when operator is In");
	assert_string_equal(ls_error("{\"matchExpressions\": [{\"key\": \"a\", \"operator\": "
				     "\"NotIn\"}]}"),
			    "matchExpressions[0].values: must be specified when operator is NotIn");
	assert_string_equal(ls_error("{\"matchExpressions\": [{\"key\": \"a\", \"operator\": "
				     "\"Exists\", \"values\": [\"x\"]}]}"),
			    "matchExpressions[0].values: may not be specified when operator is "
			    "Exists");
	assert_string_equal(ls_error("{\"matchExpressions\": [{\"operator\": \"Exists\"}]}"),
			    "matchExpressions[0].key: required");
	assert_string_equal(ls_error("{\"matchExpressions\": [{\"key\": \"a\"}]}"),
			    "matchExpressions[0].operator: required");
	assert_string_equal(ls_error("{\"matchExpressions\": [{\"key\": \"-a\", \"operator\": "
				     "\"Exists\"}]}"),
			    "matchExpressions[0].key: invalid label key \"-a\"");
	assert_string_equal(ls_error("{\"matchExpressions\": [{\"key\": \"a\", \"operator\": "
				     "\"In\", \"values\": [\"ok\", 5]}]}"),
			    "matchExpressions[0].values[1]: expected a string");
	assert_string_equal(ls_error("{\"matchExpressions\": [{\"key\": \"a\", \"operator\": "
				     "\"In\", \"values\": [\"bad value\"]}]}"),
			    "matchExpressions[0].values[0]: invalid label value \"bad value\"");
	assert_string_equal(ls_error("{\"matchLabels\": {\"app\": 3}}"),
			    "matchLabels.app: expected a string");
	assert_string_equal(ls_error("{\"matchLabels\": {\"a b\": \"x\"}}"),
			    "matchLabels: invalid label key \"a b\"");
	assert_string_equal(ls_error("{\"matchLabels\": []}"), "matchLabels: expected an object");
	assert_string_equal(ls_error("{\"matchExpressions\": {}}"),
			    "matchExpressions: expected an array");
	assert_string_equal(ls_error("{\"matchExpression\": []}"),
			    "matchExpression: unknown field");
	assert_string_equal(ls_error("[]"), "expected a label selector object");
}

static void test_label_key_value_rules(void **state)
{
	(void)state;
	assert_true(label_key_valid("app"));
	assert_true(label_key_valid("twill.dev/rack"));
	assert_true(label_key_valid("kubernetes.io/hostname"));
	assert_true(label_key_valid("a_b.c-d"));
	assert_true(label_key_valid("A"));
	assert_false(label_key_valid(""));
	assert_false(label_key_valid("/x"));
	assert_false(label_key_valid("x/"));
	assert_false(label_key_valid("a/b/c"));
	assert_false(label_key_valid("Twill.dev/x"));	/* prefix must be lowercase */
	assert_false(label_key_valid("-x"));
	assert_false(label_key_valid("x."));
	assert_false(label_key_valid("a..b/x"));
	assert_false(label_key_valid(
		"a234567890123456789012345678901234567890123456789012345678901234"));
	assert_true(label_key_valid(
		"a23456789012345678901234567890123456789012345678901234567890123"));
	assert_true(label_value_valid(""));
	assert_true(label_value_valid("v1.2_3-x"));
	assert_false(label_value_valid("a/b"));
	assert_false(label_value_valid("_x"));
	assert_false(label_value_valid(NULL));
	assert_string_equal(label_selector_op_name(LABEL_SELECTOR_DOES_NOT_EXIST), "DoesNotExist");
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_sel_all_and_empty),
	cmocka_unit_test(test_sel_has),
	cmocka_unit_test(test_sel_equality),
	cmocka_unit_test(test_sel_in_not_in),
	cmocka_unit_test(test_sel_and_or_precedence),
	cmocka_unit_test(test_sel_keyword_named_keys),
	cmocka_unit_test(test_sel_error_messages),
	cmocka_unit_test(test_sel_more_malformed),
	cmocka_unit_test(test_sel_depth_and_size_bounded),
	cmocka_unit_test(test_sel_text_and_null_safety),
	cmocka_unit_test(test_ls_empty_matches_everything),
	cmocka_unit_test(test_ls_match_labels),
	cmocka_unit_test(test_ls_operators),
	cmocka_unit_test(test_ls_and_semantics),
	cmocka_unit_test(test_ls_errors_name_the_field),
	cmocka_unit_test(test_label_key_value_rules),
};

TWILL_TEST_MAIN(tests)
