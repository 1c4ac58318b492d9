/* Unit tests for ipam/pool_select: eligibility, order, requests, and the
 * explanation when nothing matches. */
#include "twill_test.h"

#include <errno.h>
#include <stdlib.h>

#include "pool_select.h"

static void make_pool(struct ippool *p, const char *name, const char *cidr, int block_size,
		      const char *selector)
{
	memset(p, 0, sizeof(*p));
	p->meta.name = (char *)name;
	p->cidr = (char *)cidr;
	p->block_size = block_size;
	p->node_selector = (char *)selector;
	p->allowed_uses = IPPOOL_USE_WORKLOAD | IPPOOL_USE_TUNNEL;
	p->cidr_ok = cidr_parse_strict(cidr, &p->net) == 0;
}

static struct labels zone_a(void)
{
	struct labels l = LABELS_INIT;

	assert_int_equal(labels_set(&l, "zone", "a"), 0);
	return l;
}

static void test_all_enabled_sorted_by_name(void **state)
{
	struct ippool pools[3];
	struct ipam_pool_query q = { "node1", NULL, AF_INET, IPPOOL_USE_WORKLOAD, NULL, 0 };
	size_t order[3], count;

	(void)state;
	make_pool(&pools[0], "zeta", "10.1.0.0/16", 26, NULL);
	make_pool(&pools[1], "alpha", "10.2.0.0/16", 26, "all()");
	make_pool(&pools[2], "v6", "fd00::/48", 122, NULL);
	assert_int_equal(ipam_pool_select(pools, 3, &q, order, &count, NULL, 0), 0);
	assert_int_equal(count, 2);
	assert_int_equal(order[0], 1);
	assert_int_equal(order[1], 0);
	q.family = AF_INET6;
	assert_int_equal(ipam_pool_select(pools, 3, &q, order, &count, NULL, 0), 0);
	assert_int_equal(count, 1);
	assert_int_equal(order[0], 2);
}

static void test_disabled_pool_skipped(void **state)
{
	struct ippool pools[2];
	struct ipam_pool_query q = { "node1", NULL, AF_INET, IPPOOL_USE_WORKLOAD, NULL, 0 };
	size_t order[2], count;
	char why[512];

	(void)state;
	make_pool(&pools[0], "a-off", "10.1.0.0/16", 26, NULL);
	pools[0].disabled = true;
	make_pool(&pools[1], "b-on", "10.2.0.0/16", 26, NULL);
	assert_int_equal(ipam_pool_select(pools, 2, &q, order, &count, why, sizeof(why)), 0);
	assert_int_equal(count, 1);
	assert_int_equal(order[0], 1);
	pools[1].disabled = true;
	assert_int_equal(ipam_pool_select(pools, 2, &q, order, &count, why, sizeof(why)), -ENOENT);
	assert_int_equal(count, 0);
	assert_non_null(strstr(why, "node \"node1\""));
	assert_non_null(strstr(why, "a-off: disabled"));
	assert_non_null(strstr(why, "b-on: disabled"));
}

static void test_node_selector(void **state)
{
	struct ippool pools[2];
	struct labels l = zone_a();
	struct ipam_pool_query q = { "node1", &l, AF_INET, IPPOOL_USE_WORKLOAD, NULL, 0 };
	size_t order[2], count;
	char why[512];

	(void)state;
	make_pool(&pools[0], "pool-a", "10.1.0.0/16", 26, "zone == 'a'");
	make_pool(&pools[1], "pool-b", "10.2.0.0/16", 26, "zone == 'b'");
	assert_int_equal(ipam_pool_select(pools, 2, &q, order, &count, why, sizeof(why)), 0);
	assert_int_equal(count, 1);
	assert_int_equal(order[0], 0);
	labels_free(&l);
	q.node_labels = NULL;
	assert_int_equal(ipam_pool_select(pools, 2, &q, order, &count, why, sizeof(why)), -ENOENT);
	assert_non_null(strstr(why, "pool-b: nodeSelector \"zone == 'b'\" does not match"));
}

static void test_invalid_selector_explained(void **state)
{
	struct ippool pool;
	struct ipam_pool_query q = { "node1", NULL, AF_INET, IPPOOL_USE_WORKLOAD, NULL, 0 };
	size_t order[1], count;
	char why[512];

	(void)state;
	make_pool(&pool, "bad", "10.1.0.0/16", 26, "zone = 'a'");
	assert_int_equal(ipam_pool_select(&pool, 1, &q, order, &count, why, sizeof(why)), -ENOENT);
	assert_non_null(strstr(why, "bad: nodeSelector \"zone = 'a'\" is invalid"));
}

static void test_requested_pools_in_request_order(void **state)
{
	struct ippool pools[3];
	const char *req[] = { "10.3.0.0/16", "alpha", "alpha" };
	struct ipam_pool_query q = { "node1", NULL, AF_INET, IPPOOL_USE_WORKLOAD, req, 3 };
	size_t order[3], count;

	(void)state;
	make_pool(&pools[0], "alpha", "10.1.0.0/16", 26, NULL);
	make_pool(&pools[1], "beta", "10.2.0.0/16", 26, NULL);
	make_pool(&pools[2], "gamma", "10.3.0.0/16", 26, NULL);
	assert_int_equal(ipam_pool_select(pools, 3, &q, order, &count, NULL, 0), 0);
	assert_int_equal(count, 2); /* duplicate ignored, beta not requested */
	assert_int_equal(order[0], 2);
	assert_int_equal(order[1], 0);
}

static void test_requested_pool_problems(void **state)
{
	struct ippool pools[2];
	const char *req[] = { "missing", "off", "v6" };
	struct ipam_pool_query q = { "node1", NULL, AF_INET, IPPOOL_USE_WORKLOAD, req, 3 };
	size_t order[2], count;
	char why[512];

	(void)state;
	make_pool(&pools[0], "off", "10.1.0.0/16", 26, NULL);
	pools[0].disabled = true;
	make_pool(&pools[1], "v6", "fd00::/48", 122, NULL);
	assert_int_equal(ipam_pool_select(pools, 2, &q, order, &count, why, sizeof(why)), -ENOENT);
	assert_non_null(strstr(why, "missing: no such pool"));
	assert_non_null(strstr(why, "off: disabled"));
	assert_non_null(strstr(why, "v6: is IPv6, IPv4 wanted"));
}

static void test_use_and_deletion(void **state)
{
	struct ippool pools[2];
	struct ipam_pool_query q = { "node1", NULL, AF_INET, IPPOOL_USE_WORKLOAD, NULL, 0 };
	size_t order[2], count;
	char why[512];

	(void)state;
	make_pool(&pools[0], "tunnel-only", "10.1.0.0/16", 26, NULL);
	pools[0].allowed_uses = IPPOOL_USE_TUNNEL;
	make_pool(&pools[1], "going", "10.2.0.0/16", 26, NULL);
	pools[1].meta.deletion_timestamp = (char *)"2026-01-01T00:00:00Z";
	assert_int_equal(ipam_pool_select(pools, 2, &q, order, &count, why, sizeof(why)), -ENOENT);
	assert_non_null(strstr(why, "allowedUses excludes Workload"));
	assert_non_null(strstr(why, "going: being deleted"));
	q.use = IPPOOL_USE_TUNNEL;
	assert_int_equal(ipam_pool_select(pools, 2, &q, order, &count, why, sizeof(why)), 0);
	assert_int_equal(order[0], 0);
	q.family = 7;
	assert_int_equal(ipam_pool_select(pools, 2, &q, order, &count, why, sizeof(why)), -EINVAL);
}

static void test_no_pools_and_tiny_buffer(void **state)
{
	struct ipam_pool_query q = { "node1", NULL, AF_INET, IPPOOL_USE_WORKLOAD, NULL, 0 };
	size_t order[1], count;
	char why[512], tiny[16];

	(void)state;
	assert_int_equal(ipam_pool_select(NULL, 0, &q, order, &count, why, sizeof(why)), -ENOENT);
	assert_non_null(strstr(why, "no IPPool exists"));
	assert_int_equal(ipam_pool_select(NULL, 0, &q, order, &count, tiny, sizeof(tiny)), -ENOENT);
	assert_true(strlen(tiny) < sizeof(tiny));
}

static void test_find_containing(void **state)
{
	struct ippool pools[2];
	struct cidr c;

	(void)state;
	make_pool(&pools[0], "a", "10.1.0.0/16", 26, NULL);
	make_pool(&pools[1], "b", "fd00::/48", 122, NULL);
	assert_int_equal(cidr_parse("fd00::40/122", &c), 0);
	assert_int_equal(ipam_pool_find_containing(pools, 2, &c), 1);
	assert_int_equal(cidr_parse("10.9.0.0/26", &c), 0);
	assert_int_equal(ipam_pool_find_containing(pools, 2, &c), -1);
}

/* The engine skips reading the Node only when no selector can look at it. */
static void test_need_node_labels(void **state)
{
	struct ippool pools[3];

	(void)state;
	make_pool(&pools[0], "a", "10.0.0.0/16", 26, NULL);
	make_pool(&pools[1], "b", "10.1.0.0/16", 26, " all() ");
	assert_false(ipam_pools_need_node_labels(pools, 2));
	assert_false(ipam_pools_need_node_labels(pools, 0));
	make_pool(&pools[2], "c", "10.2.0.0/16", 26, "!has(zone)");
	assert_true(ipam_pools_need_node_labels(pools, 3));
	make_pool(&pools[2], "c", "10.2.0.0/16", 26, "");
	assert_true(ipam_pools_need_node_labels(pools, 3));
	make_pool(&pools[2], "c", "10.2.0.0/16", 26, "all() || zone == 'a'");
	assert_true(ipam_pools_need_node_labels(pools, 3));
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_all_enabled_sorted_by_name),
	cmocka_unit_test(test_disabled_pool_skipped),
	cmocka_unit_test(test_node_selector),
	cmocka_unit_test(test_invalid_selector_explained),
	cmocka_unit_test(test_requested_pools_in_request_order),
	cmocka_unit_test(test_requested_pool_problems),
	cmocka_unit_test(test_use_and_deletion),
	cmocka_unit_test(test_no_pools_and_tiny_buffer),
	cmocka_unit_test(test_find_containing),
	cmocka_unit_test(test_need_node_labels),
};

TWILL_TEST_MAIN(tests)
