/* policy_fingerprint and the sealed ruleset: digests are equal exactly when
 * the content is (kind, type, flags, elements or rules, in order; not the
 * name), and a sealed ruleset finds sets and chains by binary search. */
#include "twill_test.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "policy_fingerprint.h"
#include "policy_ruleset.h"

static void fp_set(const char *name, bool is_map, const char *type, bool interval,
		   const char *const *elems, uint8_t out[POLICY_FINGERPRINT_LEN])
{
	struct policy_ruleset rs = { 0 };
	struct policy_set *s;

	assert_int_equal(policy_ruleset_add_set(&rs, name, is_map, type, interval, &s), 0);
	for (; *elems; elems++)
		assert_int_equal(policy_strings_add(&s->elements, *elems), 0);
	assert_int_equal(policy_fingerprint_set(s, out), 0);
	policy_ruleset_free(&rs);
}

static void test_set_fingerprint_equal_iff_content_equal(void **state)
{
	static const char *const ab[] = { "10.0.0.1", "10.0.0.2", NULL };
	static const char *const ab2[] = { "10.0.0.1", "10.0.0.2", NULL };
	static const char *const ba[] = { "10.0.0.2", "10.0.0.1", NULL };
	static const char *const a[] = { "10.0.0.1", NULL };
	static const char *const none[] = { NULL };
	static const char *const split1[] = { "10.0.0.1", "0.0.2", NULL };
	static const char *const split2[] = { "10.0.0.", "10.0.2", NULL };
	uint8_t x[POLICY_FINGERPRINT_LEN], y[POLICY_FINGERPRINT_LEN];

	(void)state;
	fp_set("s", false, "ipv4_addr", true, ab, x);
	fp_set("s", false, "ipv4_addr", true, ab2, y);
	assert_true(policy_fingerprint_equal(x, y));
	fp_set("other_name", false, "ipv4_addr", true, ab2, y); /* names are matched, not hashed */
	assert_true(policy_fingerprint_equal(x, y));
	fp_set("s", false, "ipv4_addr", true, ba, y);
	assert_false(policy_fingerprint_equal(x, y));
	fp_set("s", false, "ipv4_addr", true, a, y);
	assert_false(policy_fingerprint_equal(x, y));
	fp_set("s", false, "ipv4_addr", false, ab, y);
	assert_false(policy_fingerprint_equal(x, y));
	fp_set("s", true, "ipv4_addr", true, ab, y);
	assert_false(policy_fingerprint_equal(x, y));
	fp_set("s", false, "ipv6_addr", true, ab, y);
	assert_false(policy_fingerprint_equal(x, y));
	/* item boundaries count: "10.0.0.1","0.0.2" is not "10.0.0.","10.0.2" */
	fp_set("s", false, "ipv4_addr", true, split1, x);
	fp_set("s", false, "ipv4_addr", true, split2, y);
	assert_false(policy_fingerprint_equal(x, y));
	fp_set("s", false, "ipv4_addr", true, none, x);
	fp_set("t", false, "ipv4_addr", true, none, y);
	assert_true(policy_fingerprint_equal(x, y));
}

static void test_chain_fingerprint_equal_iff_content_equal(void **state)
{
	struct policy_ruleset rs = { 0 };
	struct policy_chain *c;
	uint8_t fp[5][POLICY_FINGERPRINT_LEN];
	int i, j;

	(void)state;
	assert_int_equal(policy_ruleset_add_chain(&rs, "c0", NULL, &c), 0);
	assert_int_equal(policy_strings_add(&c->rules, "ip saddr @s accept"), 0);
	assert_int_equal(policy_ruleset_add_chain(&rs, "c1", NULL, &c), 0); /* same as c0 */
	assert_int_equal(policy_strings_add(&c->rules, "ip saddr @s accept"), 0);
	assert_int_equal(policy_ruleset_add_chain(&rs, "c2", NULL, &c), 0);
	assert_int_equal(policy_strings_add(&c->rules, "ip daddr @s accept"), 0);
	assert_int_equal(policy_ruleset_add_chain(&rs, "c3", "type filter hook input priority "
						  "filter; policy accept;", &c), 0);
	assert_int_equal(policy_strings_add(&c->rules, "ip saddr @s accept"), 0);
	assert_int_equal(policy_ruleset_add_chain(&rs, "c4", "", &c), 0); /* "" hook is not none */
	assert_int_equal(policy_strings_add(&c->rules, "ip saddr @s accept"), 0);
	for (i = 0; i < 5; i++)
		assert_int_equal(policy_fingerprint_chain(&rs.chains[i], fp[i]), 0);
	for (i = 0; i < 5; i++)
		for (j = 0; j < 5; j++)
			assert_int_equal(policy_fingerprint_equal(fp[i], fp[j]),
					 i == j || (i < 2 && j < 2));
	policy_ruleset_free(&rs);
}

static void test_sort_seals_and_finds(void **state)
{
	static const char *const names[] = { "to_b", "from_a", "to_a", "from_pod", "to_pod", "x" };
	struct policy_ruleset rs = { 0 };
	struct policy_set *s;
	size_t i;

	(void)state;
	for (i = 0; i < 6; i++) {
		assert_int_equal(policy_ruleset_add_set(&rs, names[i], false, "ipv4_addr", true, &s),
				 0);
		assert_int_equal(policy_strings_addf(&s->elements, "10.0.0.%zu", i), 0);
	}
	assert_false(rs.sealed);
	assert_int_equal(policy_ruleset_add_set(&rs, "to_a", false, "ipv4_addr", true, NULL),
			 -EINVAL); /* duplicate, found while unsealed */
	assert_int_equal(policy_ruleset_sort(&rs), 0);
	assert_true(rs.sealed);
	for (i = 0; i < 6; i++) {
		const struct policy_set *f = policy_ruleset_find_set(&rs, names[i]);
		char want[16];

		assert_non_null(f);
		assert_string_equal(f->name, names[i]);
		snprintf(want, sizeof(want), "10.0.0.%zu", i);
		assert_string_equal(f->elements.items[0], want);
	}
	assert_null(policy_ruleset_find_set(&rs, "to_c"));
	assert_null(policy_ruleset_find_set(&rs, "a"));
	assert_null(policy_ruleset_find_set(&rs, "zz"));
	assert_null(policy_ruleset_find_chain(&rs, "forward"));
	/* adding unseals (the new set is unsorted and has no fingerprint) */
	assert_int_equal(policy_ruleset_add_set(&rs, "a", false, "ipv4_addr", true, NULL), 0);
	assert_false(rs.sealed);
	assert_non_null(policy_ruleset_find_set(&rs, "a"));
	assert_non_null(policy_ruleset_find_set(&rs, "x"));
	policy_ruleset_free(&rs);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_set_fingerprint_equal_iff_content_equal),
	cmocka_unit_test(test_chain_fingerprint_equal_iff_content_equal),
	cmocka_unit_test(test_sort_seals_and_finds),
};

TWILL_TEST_MAIN(tests)
