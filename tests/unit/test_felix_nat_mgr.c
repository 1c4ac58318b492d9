/* Unit tests for felix/nat_mgr: the rendered nft script and the apply rules
 * (nothing before in-sync, only on change or force, retry after failure). */
#include "twill_test.h"

#include <errno.h>
#include <stdlib.h>

#include "nat_mgr.h"

static int runs;
static int fail_next;
static char last[2048];

static int fake_run(void *ctx, const char *script)
{
	(void)ctx;
	if (fail_next) {
		fail_next = 0;
		return -EIO;
	}
	runs++;
	snprintf(last, sizeof(last), "%s", script);
	return 0;
}

static struct cidr C(const char *text)
{
	struct cidr c;

	assert_int_equal(cidr_parse(text, &c), 0);
	return c;
}

static void test_render_v4_and_v6(void **state)
{
	struct cidr nat[2] = {C("10.244.0.0/16"), C("fd00:10::/48")};
	struct cidr all[3] = {C("10.244.0.0/16"), C("10.245.0.0/16"), C("fd00:10::/48")};
	char *s;

	(void)state;
	s = nat_render(nat, 2, all, 3);
	assert_non_null(s);
	assert_int_equal(strncmp(s, "add table inet twill_nat\ndelete table inet twill_nat\n", 52),
			 0);
	assert_non_null(strstr(s, "set nat_ip { type ipv4_addr; flags interval; "
				  "elements = { 10.244.0.0/16 } }"));
	assert_non_null(strstr(s, "elements = { 10.244.0.0/16, 10.245.0.0/16 }"));
	assert_non_null(strstr(s, "set nat_ip6 { type ipv6_addr; flags interval; "
				  "elements = { fd00:10::/48 } }"));
	assert_non_null(strstr(s, "type nat hook postrouting priority srcnat;"));
	assert_non_null(strstr(s, "ip saddr @nat_ip ip daddr != @pools_ip masquerade"));
	assert_non_null(strstr(s, "ip6 saddr @nat_ip6 ip6 daddr != @pools_ip6 masquerade"));
	free(s);
}

static void test_render_v4_only_has_no_v6_rule(void **state)
{
	struct cidr nat = C("10.244.7.1/16"); /* host bits dropped */
	char *s;

	(void)state;
	s = nat_render(&nat, 1, &nat, 1);
	assert_non_null(s);
	assert_non_null(strstr(s, "elements = { 10.244.0.0/16 }"));
	assert_null(strstr(s, "ip6 saddr"));
	assert_non_null(strstr(s, "set nat_ip6 { type ipv6_addr; flags interval; }"));
	free(s);
}

static void test_render_no_nat_removes_table(void **state)
{
	struct cidr all = C("10.244.0.0/16");
	char *s;

	(void)state;
	s = nat_render(NULL, 0, &all, 1);
	assert_non_null(s);
	assert_string_equal(s, "add table inet twill_nat\ndelete table inet twill_nat\n");
	free(s);
}

static void test_apply_rules(void **state)
{
	struct nat_dataplane dp = {fake_run, NULL};
	struct cidr nat = C("10.244.0.0/16"), other = C("10.245.0.0/16");
	struct nat_mgr *m;
	bool changed;

	(void)state;
	runs = 0;
	assert_int_equal(nat_mgr_new(&dp, &m), 0);
	assert_int_equal(nat_mgr_set_desired(m, &nat, 1, &nat, 1), 0);
	assert_int_equal(nat_mgr_apply(m, false, &changed), 0);
	assert_false(changed);
	assert_int_equal(runs, 0); /* not in sync yet */
	nat_mgr_set_in_sync(m, true);
	assert_int_equal(nat_mgr_apply(m, false, &changed), 0);
	assert_true(changed);
	assert_int_equal(runs, 1);
	assert_int_equal(nat_mgr_apply(m, false, &changed), 0);
	assert_false(changed);
	assert_int_equal(runs, 1); /* unchanged */
	assert_int_equal(nat_mgr_apply(m, true, &changed), 0);
	assert_int_equal(runs, 2); /* resync forces */
	assert_int_equal(nat_mgr_set_desired(m, &other, 1, &other, 1), 0);
	fail_next = 1;
	assert_int_equal(nat_mgr_apply(m, false, &changed), -EIO);
	assert_false(changed);
	assert_int_equal(nat_mgr_apply(m, false, &changed), 0); /* retried */
	assert_int_equal(runs, 3);
	assert_non_null(strstr(last, "10.245.0.0/16"));
	nat_mgr_free(m);
}

static void test_new_rejects_null(void **state)
{
	struct nat_dataplane dp = {NULL, NULL};
	struct nat_mgr *m = NULL;

	(void)state;
	assert_int_equal(nat_mgr_new(&dp, &m), -EINVAL);
	assert_int_equal(nat_mgr_new(NULL, &m), -EINVAL);
	assert_null(m);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_render_v4_and_v6),
	cmocka_unit_test(test_render_v4_only_has_no_v6_rule),
	cmocka_unit_test(test_render_no_nat_removes_table),
	cmocka_unit_test(test_apply_rules),
	cmocka_unit_test(test_new_rejects_null),
};

TWILL_TEST_MAIN(tests)
