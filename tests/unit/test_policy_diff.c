/* policy_diff: the incremental batch touches only what changed, in an order
 * the kernel accepts step by step (creations before references, a changed
 * set flushed before it is refilled, references dropped before deletions),
 * and holds no element command (libnftables would read every interval set's
 * elements first). The batches are run against a real kernel by
 * tests/e2e/test_policy_apply.py. */
#include "twill_test.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "test_policy_fixture.h"
#include "policy_compile.h"
#include "policy_diff.h"

static const struct policy_endpoint node1[] = {
	{ "twxa", "x", "a" }, { "twxb", "x", "b" }, { "twxc", "x", "c" },
};

static void compile(struct fx *f, struct policy_ruleset *rs)
{
	fx_build(f);
	assert_int_equal(policy_compile(&f->m, node1, 3, rs), 0);
}

static size_t count_lines(const char *text, const char *prefix)
{
	size_t n = 0, len = strlen(prefix);
	const char *p = text;

	while (p && *p) {
		if (strncmp(p, prefix, len) == 0)
			n++;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return n;
}

static long pos(const char *text, const char *needle)
{
	const char *p = strstr(text, needle);

	if (!p)
		fail_msg("batch lacks \"%s\":\n%s", needle, text);
	return p - text;
}

static size_t total_lines(const char *text)
{
	return count_lines(text, "");
}

static void test_identical_rulesets_give_empty_batch(void **state)
{
	struct policy_ruleset a, b;
	struct policy_diff_stats st;
	struct fx f1, f2;
	char *batch;

	(void)state;
	fx_init(&f1);
	fx_policy(&f1, "x", "deny-all", "{'podSelector':{}}");
	compile(&f1, &a);
	fx_init(&f2);
	fx_policy(&f2, "x", "deny-all", "{'podSelector':{}}");
	compile(&f2, &b);
	assert_int_equal(policy_diff(&a, &b, &batch, &st), 0);
	assert_string_equal(batch, "");
	assert_int_equal(st.elements_added + st.elements_removed + st.sets_added + st.chains_added, 0);
	free(batch);
	policy_ruleset_free(&a);
	policy_ruleset_free(&b);
	fx_free(&f1);
	fx_free(&f2);
}

static void test_policy_edit_changes_only_elements(void **state)
{
	struct policy_ruleset a, b;
	struct policy_diff_stats st;
	struct fx f1, f2;
	char *batch;

	(void)state;
	fx_init(&f1);
	fx_policy(&f1, "x", "p", "{'podSelector':{'matchLabels':{'pod':'a'}},'ingress':[{'ports':[{'port':80}]}]}");
	compile(&f1, &a);
	fx_init(&f2);
	fx_policy(&f2, "x", "p", "{'podSelector':{'matchLabels':{'pod':'a'}},'ingress':[{'ports':"
				 "[{'port':80},{'port':81}]}]}");
	compile(&f2, &b);
	assert_int_equal(policy_diff(&a, &b, &batch, &st), 0);
	/* 80 and 81 merge into one range: the two port sets are refilled */
	assert_string_equal(batch,
			    "flush set inet twill to_twxa_v4p\n"
			    "add set inet twill to_twxa_v4p { type ipv4_addr . inet_proto . "
			    "inet_service; flags interval; elements = { 0.0.0.0/0 . tcp . 80-81 }; }\n"
			    "flush set inet twill to_twxa_v6p\n"
			    "add set inet twill to_twxa_v6p { type ipv6_addr . inet_proto . "
			    "inet_service; flags interval; elements = { ::/0 . tcp . 80-81 }; }\n");
	assert_int_equal(st.elements_added, 2);
	assert_int_equal(st.elements_removed, 2);
	assert_int_equal(st.sets_refilled, 2);
	assert_int_equal(st.chains_added + st.chains_removed + st.chains_replaced, 0);
	free(batch);
	policy_ruleset_free(&a);
	policy_ruleset_free(&b);
	fx_free(&f1);
	fx_free(&f2);
}

static void test_peer_pod_ip_change(void **state)
{
	struct policy_ruleset a, b;
	struct policy_diff_stats st;
	struct fx f1, f2;
	char *batch;

	(void)state;
	fx_init(&f1);
	fx_policy(&f1, "x", "from-yb", "{'podSelector':{},'ingress':[{'from':[{'namespaceSelector':"
				       "{'matchLabels':{'ns':'y'}},'podSelector':{'matchLabels':{'pod':'b'}}}]}]}");
	compile(&f1, &a);
	fx_init(&f2);
	free(f2.pods[4].pod_ips[0]);
	f2.pods[4].pod_ips[0] = strdup("10.0.2.99"); /* y/b restarted with a new IP */
	fx_policy(&f2, "x", "from-yb", "{'podSelector':{},'ingress':[{'from':[{'namespaceSelector':"
				       "{'matchLabels':{'ns':'y'}},'podSelector':{'matchLabels':{'pod':'b'}}}]}]}");
	compile(&f2, &b);
	assert_int_equal(policy_diff(&a, &b, &batch, &st), 0);
	/* the v4 all-ports set of each of x's three pods, nothing else */
	assert_int_equal(count_lines(batch, "flush set inet twill to_twx"), 3);
	assert_int_equal(count_lines(batch, "add set inet twill to_twx"), 3);
	assert_int_equal(total_lines(batch), 6);
	assert_int_equal(st.sets_refilled, 3);
	assert_int_equal(st.elements_removed, 3);
	assert_int_equal(st.elements_added, 3);
	assert_true(pos(batch, "flush set inet twill to_twxa_v4\n") <
		    pos(batch, "add set inet twill to_twxa_v4 { type ipv4_addr; flags interval; "
			       "elements = { 10.0.2.99 }; }\n"));
	assert_null(strstr(batch, "10.0.2.11"));
	assert_null(strstr(batch, " element "));
	free(batch);
	policy_ruleset_free(&a);
	policy_ruleset_free(&b);
	fx_free(&f1);
	fx_free(&f2);
}

static void test_new_isolation_creates_before_referencing(void **state)
{
	struct policy_ruleset a, b;
	struct policy_diff_stats st;
	struct fx f1, f2;
	char *batch;

	(void)state;
	fx_init(&f1);
	compile(&f1, &a);
	fx_init(&f2);
	fx_policy(&f2, "x", "deny-a", "{'podSelector':{'matchLabels':{'pod':'a'}},"
				      "'policyTypes':['Ingress','Egress']}");
	compile(&f2, &b);
	assert_int_equal(policy_diff(&a, &b, &batch, &st), 0);
	assert_int_equal(st.sets_added, 8);
	assert_int_equal(st.chains_added, 2);
	assert_int_equal(st.elements_added, 2);
	assert_true(pos(batch, "add set inet twill to_twxa_v4p { type ipv4_addr . inet_proto . "
			       "inet_service; flags interval; }") <
		    pos(batch, "add chain inet twill to_twxa\n"));
	assert_true(pos(batch, "add rule inet twill to_twxa ip saddr @to_twxa_v4 accept") <
		    pos(batch, "add map inet twill to_pod { type ifname : verdict; elements = { "
			       "\"twxa\" : jump to_twxa }; }\n"));
	assert_true(pos(batch, "add chain inet twill from_twxa\n") <
		    pos(batch, "add map inet twill from_pod { type ifname : verdict; elements = { "
			       "\"twxa\" : jump from_twxa }; }\n"));
	/* only additions to the maps: added, not flushed and refilled */
	assert_int_equal(count_lines(batch, "delete"), 0);
	assert_int_equal(count_lines(batch, "flush"), 0);
	assert_int_equal(st.sets_refilled, 0);
	assert_null(strstr(batch, " element "));
	free(batch);
	/* and back: references go before the things they reference */
	assert_int_equal(policy_diff(&b, &a, &batch, &st), 0);
	assert_int_equal(st.sets_removed, 8);
	assert_int_equal(st.chains_removed, 2);
	assert_true(pos(batch, "flush map inet twill to_pod\n") <
		    pos(batch, "delete chain inet twill to_twxa\n"));
	assert_null(strstr(batch, " element "));
	assert_true(pos(batch, "flush chain inet twill to_twxa\n") <
		    pos(batch, "delete chain inet twill to_twxa\n"));
	assert_true(pos(batch, "delete chain inet twill to_twxa\n") <
		    pos(batch, "delete set inet twill to_twxa_v4\n"));
	assert_int_equal(count_lines(batch, "add"), 0);
	free(batch);
	policy_ruleset_free(&a);
	policy_ruleset_free(&b);
	fx_free(&f1);
	fx_free(&f2);
}

static void manual(struct policy_ruleset *rs, const char *set_type, const char *const *elems,
		   const char *rule)
{
	struct policy_set *s;
	struct policy_chain *c;

	memset(rs, 0, sizeof(*rs));
	assert_int_equal(policy_ruleset_add_set(rs, "s", false, set_type, true, &s), 0);
	for (; *elems; elems++)
		assert_int_equal(policy_strings_add(&s->elements, *elems), 0);
	assert_int_equal(policy_ruleset_add_chain(rs, "forward",
						  "type filter hook forward priority filter; policy accept;",
						  &c), 0);
	assert_int_equal(policy_strings_add(&c->rules, rule), 0);
	policy_ruleset_sort(rs);
}

static void test_changed_interval_set_is_flushed_then_refilled(void **state)
{
	static const char *const old_e[] = { "10.0.0.0/24", NULL };
	static const char *const new_e[] = { "10.0.0.0/25", "10.0.0.128/25", NULL };
	struct policy_ruleset a, b;
	struct policy_diff_stats st;
	char *batch;

	(void)state;
	manual(&a, "ipv4_addr", old_e, "ip saddr @s accept");
	manual(&b, "ipv4_addr", new_e, "ip saddr @s accept");
	assert_int_equal(policy_diff(&a, &b, &batch, &st), 0);
	/* the old interval is gone before the new ones arrive: they never overlap */
	assert_string_equal(batch, "flush set inet twill s\n"
				   "add set inet twill s { type ipv4_addr; flags interval; "
				   "elements = { 10.0.0.0/25, 10.0.0.128/25 }; }\n");
	assert_int_equal(st.elements_removed, 1);
	assert_int_equal(st.elements_added, 2);
	free(batch);
	policy_ruleset_free(&b);
	/* emptied: flushed, nothing re-added */
	manual(&b, "ipv4_addr", (const char *const[]){ NULL }, "ip saddr @s accept");
	assert_int_equal(policy_diff(&a, &b, &batch, &st), 0);
	assert_string_equal(batch, "flush set inet twill s\n");
	assert_int_equal(st.elements_removed, 1);
	free(batch);
	policy_ruleset_free(&a);
	policy_ruleset_free(&b);
}

/* Two sets, one changed: the unchanged one appears nowhere in the batch. */
static void two_sets(struct policy_ruleset *rs, const char *t_elem, bool seal)
{
	struct policy_set *s;
	struct policy_chain *c;

	memset(rs, 0, sizeof(*rs));
	assert_int_equal(policy_ruleset_add_set(rs, "keep", false, "ipv4_addr", true, &s), 0);
	assert_int_equal(policy_strings_add(&s->elements, "10.0.0.1"), 0);
	assert_int_equal(policy_strings_add(&s->elements, "10.0.0.2"), 0);
	assert_int_equal(policy_ruleset_add_set(rs, "turn", false, "ipv4_addr", true, &s), 0);
	assert_int_equal(policy_strings_add(&s->elements, t_elem), 0);
	assert_int_equal(policy_ruleset_add_chain(rs, "c", NULL, &c), 0);
	assert_int_equal(policy_strings_add(&c->rules, "ip saddr @keep ip daddr @turn accept"), 0);
	if (seal)
		assert_int_equal(policy_ruleset_sort(rs), 0);
}

static void test_unchanged_set_emits_nothing(void **state)
{
	struct policy_ruleset a, b;
	struct policy_diff_stats st;
	char *batch;
	int seal;

	(void)state;
	for (seal = 0; seal < 2; seal++) { /* by fingerprint, and by content when unsealed */
		two_sets(&a, "10.1.0.1", seal);
		two_sets(&b, "10.1.0.2", seal);
		assert_int_equal(a.sealed, seal);
		assert_int_equal(policy_diff(&a, &b, &batch, &st), 0);
		assert_string_equal(batch, "flush set inet twill turn\n"
					   "add set inet twill turn { type ipv4_addr; flags interval; "
					   "elements = { 10.1.0.2 }; }\n");
		assert_int_equal(st.sets_refilled, 1);
		free(batch);
		policy_ruleset_free(&b);
		two_sets(&b, "10.1.0.1", seal);
		assert_int_equal(policy_diff(&a, &b, &batch, &st), 0);
		assert_string_equal(batch, "");
		assert_int_equal(st.sets_refilled + st.elements_added + st.elements_removed, 0);
		free(batch);
		policy_ruleset_free(&a);
		policy_ruleset_free(&b);
	}
}

static void test_changed_chain_is_flushed_and_refilled(void **state)
{
	static const char *const e[] = { NULL };
	struct policy_ruleset a, b;
	struct policy_diff_stats st;
	char *batch;

	(void)state;
	manual(&a, "ipv4_addr", e, "ip saddr @s accept");
	manual(&b, "ipv4_addr", e, "ip daddr @s accept");
	assert_int_equal(policy_diff(&a, &b, &batch, &st), 0);
	assert_string_equal(batch, "flush chain inet twill forward\n"
				   "add rule inet twill forward ip daddr @s accept\n");
	assert_int_equal(st.chains_replaced, 1);
	free(batch);
	policy_ruleset_free(&a);
	policy_ruleset_free(&b);
}

static void test_shape_change_is_not_supported(void **state)
{
	static const char *const e[] = { NULL };
	struct policy_ruleset a, b;
	char *batch = (char *)"sentinel";

	(void)state;
	manual(&a, "ipv4_addr", e, "ip saddr @s accept");
	manual(&b, "ipv6_addr", e, "ip6 saddr @s accept");
	assert_int_equal(policy_diff(&a, &b, &batch, NULL), -ENOTSUP);
	assert_null(batch);
	assert_int_equal(policy_diff(NULL, &b, &batch, NULL), -EINVAL);
	policy_ruleset_free(&a);
	policy_ruleset_free(&b);
}

static void test_pure_addition_adds_only_the_new_elements(void **state)
{
	static const char *const old_e[] = { "10.0.0.1", "10.0.0.9", NULL };
	static const char *const new_e[] = { "10.0.0.1", "10.0.0.5", "10.0.0.9", "10.0.1.0/24",
					      NULL };
	struct policy_ruleset a, b;
	struct policy_diff_stats st;
	char *batch;

	(void)state;
	manual(&a, "ipv4_addr", old_e, "ip saddr @s accept");
	manual(&b, "ipv4_addr", new_e, "ip saddr @s accept");
	assert_int_equal(policy_diff(&a, &b, &batch, &st), 0);
	assert_string_equal(batch, "add set inet twill s { type ipv4_addr; flags interval; "
				   "elements = { 10.0.0.5, 10.0.1.0/24 }; }\n");
	assert_int_equal(st.elements_added, 2);
	assert_int_equal(st.elements_removed + st.sets_refilled, 0);
	free(batch);
	/* and back: a removal flushes and refills */
	assert_int_equal(policy_diff(&b, &a, &batch, &st), 0);
	assert_string_equal(batch, "flush set inet twill s\n"
				   "add set inet twill s { type ipv4_addr; flags interval; "
				   "elements = { 10.0.0.1, 10.0.0.9 }; }\n");
	assert_int_equal(st.elements_removed, 2);
	assert_int_equal(st.sets_refilled, 1);
	free(batch);
	policy_ruleset_free(&a);
	policy_ruleset_free(&b);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_identical_rulesets_give_empty_batch),
	cmocka_unit_test(test_policy_edit_changes_only_elements),
	cmocka_unit_test(test_peer_pod_ip_change),
	cmocka_unit_test(test_new_isolation_creates_before_referencing),
	cmocka_unit_test(test_changed_interval_set_is_flushed_then_refilled),
	cmocka_unit_test(test_unchanged_set_emits_nothing),
	cmocka_unit_test(test_pure_addition_adds_only_the_new_elements),
	cmocka_unit_test(test_changed_chain_is_flushed_and_refilled),
	cmocka_unit_test(test_shape_change_is_not_supported),
};

TWILL_TEST_MAIN(tests)
