/* Unit tests for ipam/block_pick: next unclaimed block, affine and borrow
 * order, maxBlocksPerHost. */
#include "twill_test.h"

#include <errno.h>
#include <stdlib.h>

#include "block_pick.h"

static struct cidr C(const char *text)
{
	struct cidr c;

	assert_int_equal(cidr_parse(text, &c), 0);
	return c;
}

static void assert_cidr(const struct cidr *c, const char *text)
{
	char buf[CIDR_STRLEN];

	assert_int_equal(cidr_format(c, buf, sizeof(buf)), 0);
	assert_string_equal(buf, text);
}

static void test_first_block_of_empty_pool(void **state)
{
	struct cidr pool = C("10.244.0.0/16"), out;

	(void)state;
	assert_int_equal(ipam_pick_unclaimed(&pool, 26, NULL, 0, &out), 0);
	assert_cidr(&out, "10.244.0.0/26");
}

static void test_skips_taken_and_fills_gaps(void **state)
{
	struct cidr pool = C("10.244.0.0/16"), out;
	struct cidr taken[] = { C("10.244.0.128/26"), C("10.244.0.0/26"), C("10.9.0.0/26") };

	(void)state;
	assert_int_equal(ipam_pick_unclaimed(&pool, 26, taken, 3, &out), 0);
	assert_cidr(&out, "10.244.0.64/26");
	taken[2] = C("10.244.0.64/26");
	assert_int_equal(ipam_pick_unclaimed(&pool, 26, taken, 3, &out), 0);
	assert_cidr(&out, "10.244.0.192/26");
}

static void test_other_size_blocks_count_as_taken(void **state)
{
	struct cidr pool = C("10.0.0.0/24"), out;
	/* a /25 left from an older blockSize covers the first two /26 */
	struct cidr taken[] = { C("10.0.0.0/25"), C("10.0.0.200/29") };

	(void)state;
	assert_int_equal(ipam_pick_unclaimed(&pool, 26, taken, 2, &out), 0);
	assert_cidr(&out, "10.0.0.128/26");
	taken[0] = C("10.0.0.0/16"); /* a block bigger than the pool */
	assert_int_equal(ipam_pick_unclaimed(&pool, 26, taken, 1, &out), -ENOSPC);
}

static void test_pool_exhausted_of_blocks(void **state)
{
	struct cidr pool = C("10.0.0.0/25"), out;
	struct cidr taken[] = { C("10.0.0.0/26"), C("10.0.0.64/26") };

	(void)state;
	assert_int_equal(ipam_pick_unclaimed(&pool, 26, taken, 2, &out), -ENOSPC);
	assert_int_equal(ipam_pick_unclaimed(&pool, 24, NULL, 0, &out), -EINVAL);
	assert_int_equal(ipam_pick_unclaimed(&pool, 33, NULL, 0, &out), -EINVAL);
}

static void test_block_size_equal_to_pool(void **state)
{
	struct cidr pool = C("10.0.0.0/26"), out;

	(void)state;
	assert_int_equal(ipam_pick_unclaimed(&pool, 26, NULL, 0, &out), 0);
	assert_cidr(&out, "10.0.0.0/26");
	assert_int_equal(ipam_pick_unclaimed(&pool, 26, &out, 1, &out), -ENOSPC);
}

static void test_slash32_and_slash31_pools(void **state)
{
	struct cidr p32 = C("192.168.1.7/32"), p31 = C("192.168.1.8/31"), out, taken[2];

	(void)state;
	assert_int_equal(ipam_pick_unclaimed(&p32, 32, NULL, 0, &out), 0);
	assert_cidr(&out, "192.168.1.7/32");
	taken[0] = out;
	assert_int_equal(ipam_pick_unclaimed(&p32, 32, taken, 1, &out), -ENOSPC);
	assert_int_equal(ipam_pick_unclaimed(&p31, 32, NULL, 0, &out), 0);
	assert_cidr(&out, "192.168.1.8/32");
	taken[0] = out;
	assert_int_equal(ipam_pick_unclaimed(&p31, 32, taken, 1, &out), 0);
	assert_cidr(&out, "192.168.1.9/32");
	taken[1] = out;
	assert_int_equal(ipam_pick_unclaimed(&p31, 32, taken, 2, &out), -ENOSPC);
}

static void test_ipv6_huge_pool(void **state)
{
	/* 2^74 blocks: the count does not fit in 64 bits */
	struct cidr pool = C("fd00:10:244::/48"), out, taken[1];

	(void)state;
	assert_int_equal(ipam_pick_unclaimed(&pool, 122, NULL, 0, &out), 0);
	assert_cidr(&out, "fd00:10:244::/122");
	taken[0] = out;
	assert_int_equal(ipam_pick_unclaimed(&pool, 122, taken, 1, &out), 0);
	assert_cidr(&out, "fd00:10:244::40/122");
	/* an IPv4 block never occupies an IPv6 pool */
	taken[0] = C("10.0.0.0/26");
	assert_int_equal(ipam_pick_unclaimed(&pool, 122, taken, 1, &out), 0);
	assert_cidr(&out, "fd00:10:244::/122");
}

static void test_affine_order_packs_fullest_first(void **state)
{
	struct ipam_block_info b[] = {
		{ C("10.0.0.0/26"), "n1", 10, 0, false },
		{ C("10.0.0.64/26"), "n1", 3, 0, false },
		{ C("10.0.0.128/26"), "n2", 1, 0, false },  /* not ours */
		{ C("10.0.0.192/26"), "n1", 0, 0, false },  /* full */
		{ C("10.1.0.0/26"), "n1", 1, 1, false },    /* lower-ranked pool */
		{ C("10.2.0.0/26"), "n1", 1, -1, false },   /* not eligible */
	};
	size_t order[6], count;

	(void)state;
	ipam_order_affine(b, 6, "n1", order, &count);
	assert_int_equal(count, 3);
	assert_int_equal(order[0], 1);
	assert_int_equal(order[1], 0);
	assert_int_equal(order[2], 4);
}

static void test_borrow_order(void **state)
{
	struct ipam_block_info b[] = {
		{ C("10.0.0.0/26"), "n2", 5, 0, false },
		{ C("10.0.0.64/26"), "n3", 20, 0, false },
		{ C("10.0.0.128/26"), NULL, 1, 0, false },  /* orphan first */
		{ C("10.0.0.192/26"), "n4", 30, 0, true },  /* strict: never lent */
		{ C("10.1.0.0/26"), "n1", 50, 0, false },   /* ours: not borrowing */
		{ C("10.2.0.0/26"), "n2", 0, 0, false },    /* full */
	};
	size_t order[6], count;

	(void)state;
	ipam_order_borrow(b, 6, "n1", order, &count);
	assert_int_equal(count, 3);
	assert_int_equal(order[0], 2);
	assert_int_equal(order[1], 1);
	assert_int_equal(order[2], 0);
}

static void test_max_blocks_per_host(void **state)
{
	(void)state;
	assert_true(ipam_may_claim(100, 0));
	assert_true(ipam_may_claim(1, 2));
	assert_false(ipam_may_claim(2, 2));
	assert_false(ipam_may_claim(3, 2));
	assert_true(ipam_may_claim(0, -1));
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_first_block_of_empty_pool),
	cmocka_unit_test(test_skips_taken_and_fills_gaps),
	cmocka_unit_test(test_other_size_blocks_count_as_taken),
	cmocka_unit_test(test_pool_exhausted_of_blocks),
	cmocka_unit_test(test_block_size_equal_to_pool),
	cmocka_unit_test(test_slash32_and_slash31_pools),
	cmocka_unit_test(test_ipv6_huge_pool),
	cmocka_unit_test(test_affine_order_packs_fullest_first),
	cmocka_unit_test(test_borrow_order),
	cmocka_unit_test(test_max_blocks_per_host),
};

TWILL_TEST_MAIN(tests)
