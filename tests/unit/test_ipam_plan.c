/* Unit tests for ipam/plan: the allocation decision across pools and
 * blocks — affine first, claim, borrowing, strictAffinity,
 * maxBlocksPerHost, autoAllocateBlocks, exhaustion messages. */
#include "twill_test.h"

#include <errno.h>
#include <stdlib.h>

#include "plan.h"

static void make_pool(struct ippool *p, const char *name, const char *cidr, int block_size)
{
	memset(p, 0, sizeof(*p));
	p->meta.name = (char *)name;
	p->cidr = (char *)cidr;
	p->block_size = block_size;
	p->allowed_uses = IPPOOL_USE_WORKLOAD;
	p->cidr_ok = cidr_parse_strict(cidr, &p->net) == 0;
	assert_true(p->cidr_ok);
}

static struct ipam_block_info B(const char *cidr, const char *node, uint64_t free_count)
{
	struct ipam_block_info b;

	memset(&b, 0, sizeof(b));
	assert_int_equal(cidr_parse(cidr, &b.cidr), 0);
	b.node = node;
	b.free = free_count;
	return b;
}

static void setup(struct ipam_plan_input *in, const struct ippool *const *pools, size_t np,
		  struct ipam_block_info *blocks, size_t nb)
{
	memset(in, 0, sizeof(*in));
	in->node = "n1";
	in->pools = pools;
	in->pool_count = np;
	in->blocks = blocks;
	in->block_count = nb;
	in->auto_allocate_blocks = true;
	ipam_plan_rank(in);
}

static void assert_claim(const struct ipam_plan *p, const char *text)
{
	char buf[CIDR_STRLEN];

	assert_int_equal(p->kind, IPAM_PLAN_CLAIM);
	assert_int_equal(cidr_format(&p->claim, buf, sizeof(buf)), 0);
	assert_string_equal(buf, text);
}

static void test_affine_block_first(void **state)
{
	struct ippool pool;
	const struct ippool *pools[] = { &pool };
	struct ipam_block_info blocks[] = { B("10.0.0.0/26", "n2", 64), B("10.0.0.64/26", "n1", 5) };
	struct ipam_plan_input in;
	struct ipam_plan plan;

	(void)state;
	make_pool(&pool, "default", "10.0.0.0/24", 26);
	setup(&in, pools, 1, blocks, 2);
	assert_int_equal(ipam_plan_next(&in, &plan), 0);
	assert_int_equal(plan.kind, IPAM_PLAN_AFFINE);
	assert_int_equal(plan.block, 1);
}

static void test_claim_next_block_and_excluded(void **state)
{
	struct ippool pool;
	const struct ippool *pools[] = { &pool };
	struct ipam_block_info blocks[] = { B("10.0.0.0/26", "n1", 0) };
	struct cidr lost;
	struct ipam_plan_input in;
	struct ipam_plan plan;

	(void)state;
	make_pool(&pool, "default", "10.0.0.0/24", 26);
	setup(&in, pools, 1, blocks, 1);
	assert_int_equal(ipam_plan_next(&in, &plan), 0);
	assert_claim(&plan, "10.0.0.64/26");
	assert_int_equal(plan.pool_rank, 0);
	/* another node won 10.0.0.64/26 in a race: take the next one */
	lost = plan.claim;
	in.excluded = &lost;
	in.excluded_count = 1;
	assert_int_equal(ipam_plan_next(&in, &plan), 0);
	assert_claim(&plan, "10.0.0.128/26");
}

static void test_second_pool_when_first_full(void **state)
{
	struct ippool p1, p2;
	const struct ippool *pools[] = { &p1, &p2 };
	struct ipam_block_info blocks[] = { B("10.0.0.0/26", "n2", 0) };
	struct ipam_plan_input in;
	struct ipam_plan plan;

	(void)state;
	make_pool(&p1, "small", "10.0.0.0/26", 26);
	make_pool(&p2, "big", "10.1.0.0/16", 26);
	setup(&in, pools, 2, blocks, 1);
	in.strict_affinity = true;
	assert_int_equal(ipam_plan_next(&in, &plan), 0);
	assert_claim(&plan, "10.1.0.0/26");
	assert_int_equal(plan.pool_rank, 1);
}

static void test_borrow_when_no_block_left(void **state)
{
	struct ippool pool;
	const struct ippool *pools[] = { &pool };
	struct ipam_block_info blocks[] = { B("10.0.0.0/26", "n2", 3), B("10.0.0.64/26", "n3", 9) };
	struct ipam_plan_input in;
	struct ipam_plan plan;

	(void)state;
	make_pool(&pool, "default", "10.0.0.0/25", 26);
	setup(&in, pools, 1, blocks, 2);
	assert_int_equal(ipam_plan_next(&in, &plan), 0);
	assert_int_equal(plan.kind, IPAM_PLAN_BORROW);
	assert_int_equal(plan.block, 1); /* most free */
}

static void test_strict_affinity_forbids_borrowing(void **state)
{
	struct ippool pool;
	const struct ippool *pools[] = { &pool };
	struct ipam_block_info blocks[] = { B("10.0.0.0/26", "n2", 3), B("10.0.0.64/26", "n3", 9) };
	struct ipam_plan_input in;
	struct ipam_plan plan;

	(void)state;
	make_pool(&pool, "default", "10.0.0.0/25", 26);
	setup(&in, pools, 1, blocks, 2);
	in.strict_affinity = true;
	assert_int_equal(ipam_plan_next(&in, &plan), 0);
	assert_int_equal(plan.kind, IPAM_PLAN_EXHAUSTED);
	assert_non_null(strstr(plan.why, "strictAffinity forbids borrowing"));
	assert_non_null(strstr(plan.why, "every block of these pools is claimed"));
}

static void test_max_blocks_per_host_then_borrow(void **state)
{
	struct ippool pool;
	const struct ippool *pools[] = { &pool };
	struct ipam_block_info blocks[] = { B("10.0.0.0/26", "n1", 0), B("10.0.0.64/26", "n2", 4) };
	struct ipam_plan_input in;
	struct ipam_plan plan;

	(void)state;
	make_pool(&pool, "default", "10.0.0.0/16", 26);
	setup(&in, pools, 1, blocks, 2);
	in.max_blocks_per_host = 1;
	assert_int_equal(ipam_plan_next(&in, &plan), 0);
	assert_int_equal(plan.kind, IPAM_PLAN_BORROW);
	assert_int_equal(plan.block, 1);
	/* with strict affinity too, nothing is possible and the limit is named */
	in.strict_affinity = true;
	assert_int_equal(ipam_plan_next(&in, &plan), 0);
	assert_int_equal(plan.kind, IPAM_PLAN_EXHAUSTED);
	assert_non_null(strstr(plan.why, "node holds 1 blocks, maxBlocksPerHost is 1"));
	/* raising the limit allows a claim again */
	in.max_blocks_per_host = 2;
	assert_int_equal(ipam_plan_next(&in, &plan), 0);
	assert_claim(&plan, "10.0.0.128/26");
}

static void test_auto_allocate_off(void **state)
{
	struct ippool pool;
	const struct ippool *pools[] = { &pool };
	struct ipam_plan_input in;
	struct ipam_plan plan;

	(void)state;
	make_pool(&pool, "default", "10.0.0.0/16", 26);
	setup(&in, pools, 1, NULL, 0);
	in.auto_allocate_blocks = false;
	assert_int_equal(ipam_plan_next(&in, &plan), 0);
	assert_int_equal(plan.kind, IPAM_PLAN_EXHAUSTED);
	assert_non_null(strstr(plan.why, "autoAllocateBlocks is false"));
}

static void test_exhaustion_message_names_pool_size_usage(void **state)
{
	struct ippool pool;
	const struct ippool *pools[] = { &pool };
	struct ipam_block_info blocks[] = { B("10.0.0.0/30", "n1", 0) };
	struct ipam_plan_input in;
	struct ipam_plan plan;

	(void)state;
	make_pool(&pool, "tiny", "10.0.0.0/30", 30);
	setup(&in, pools, 1, blocks, 1);
	assert_int_equal(ipam_plan_next(&in, &plan), 0);
	assert_int_equal(plan.kind, IPAM_PLAN_EXHAUSTED);
	assert_non_null(strstr(plan.why, "node \"n1\""));
	assert_non_null(strstr(plan.why, "pool \"tiny\" (10.0.0.0/30, 4 addresses, blockSize 30) "
					 "has 4 addresses in use, 0 free in 1 blocks"));
}

static void test_slash32_pool(void **state)
{
	struct ippool pool;
	const struct ippool *pools[] = { &pool };
	struct ipam_block_info blocks[1];
	struct ipam_plan_input in;
	struct ipam_plan plan;

	(void)state;
	make_pool(&pool, "one", "192.168.5.5/32", 32);
	setup(&in, pools, 1, NULL, 0);
	assert_int_equal(ipam_plan_next(&in, &plan), 0);
	assert_claim(&plan, "192.168.5.5/32");
	blocks[0] = B("192.168.5.5/32", "n2", 0);
	setup(&in, pools, 1, blocks, 1);
	assert_int_equal(ipam_plan_next(&in, &plan), 0);
	assert_int_equal(plan.kind, IPAM_PLAN_EXHAUSTED);
	assert_non_null(strstr(plan.why, "(192.168.5.5/32, 1 addresses, blockSize 32) "
					 "has 1 addresses in use"));
}

static void test_slash31_pool_two_nodes(void **state)
{
	struct ippool pool;
	const struct ippool *pools[] = { &pool };
	struct ipam_block_info blocks[] = { B("192.168.5.8/32", "n2", 0) };
	struct ipam_plan_input in;
	struct ipam_plan plan;

	(void)state;
	make_pool(&pool, "pair", "192.168.5.8/31", 32);
	setup(&in, pools, 1, blocks, 1);
	assert_int_equal(ipam_plan_next(&in, &plan), 0);
	assert_claim(&plan, "192.168.5.9/32");
}

static void test_block_size_equal_to_prefix_borrowed(void **state)
{
	struct ippool pool;
	const struct ippool *pools[] = { &pool };
	struct ipam_block_info blocks[] = { B("10.5.0.0/28", "n2", 7) };
	struct ipam_plan_input in;
	struct ipam_plan plan;

	(void)state;
	make_pool(&pool, "single", "10.5.0.0/28", 28);
	setup(&in, pools, 1, NULL, 0);
	assert_int_equal(ipam_plan_next(&in, &plan), 0);
	assert_claim(&plan, "10.5.0.0/28");
	/* once n2 holds the only block, n1 shares it by borrowing */
	setup(&in, pools, 1, blocks, 1);
	assert_int_equal(ipam_plan_next(&in, &plan), 0);
	assert_int_equal(plan.kind, IPAM_PLAN_BORROW);
	assert_int_equal(plan.block, 0);
}

static void test_ipv6_122_blocks(void **state)
{
	struct ippool pool;
	const struct ippool *pools[] = { &pool };
	struct ipam_block_info blocks[] = { B("fd00::/122", "n2", 64), B("10.0.0.0/26", "n1", 64) };
	struct ipam_plan_input in;
	struct ipam_plan plan;

	(void)state;
	make_pool(&pool, "v6", "fd00::/64", 122);
	setup(&in, pools, 1, blocks, 2);
	/* n1's IPv4 block is not in an eligible pool: rank -1, not used */
	assert_int_equal(blocks[1].pool_rank, -1);
	assert_int_equal(ipam_plan_next(&in, &plan), 0);
	assert_claim(&plan, "fd00::40/122");
	/* maxBlocksPerHost counts blocks of every family */
	in.max_blocks_per_host = 1;
	assert_int_equal(ipam_plan_next(&in, &plan), 0);
	assert_int_equal(plan.kind, IPAM_PLAN_BORROW);
}

static void test_bad_input(void **state)
{
	struct ipam_plan_input in;
	struct ipam_plan plan;

	(void)state;
	memset(&in, 0, sizeof(in));
	assert_int_equal(ipam_plan_next(&in, &plan), -EINVAL);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_affine_block_first),
	cmocka_unit_test(test_claim_next_block_and_excluded),
	cmocka_unit_test(test_second_pool_when_first_full),
	cmocka_unit_test(test_borrow_when_no_block_left),
	cmocka_unit_test(test_strict_affinity_forbids_borrowing),
	cmocka_unit_test(test_max_blocks_per_host_then_borrow),
	cmocka_unit_test(test_auto_allocate_off),
	cmocka_unit_test(test_exhaustion_message_names_pool_size_usage),
	cmocka_unit_test(test_slash32_pool),
	cmocka_unit_test(test_slash31_pool_two_nodes),
	cmocka_unit_test(test_block_size_equal_to_prefix_borrowed),
	cmocka_unit_test(test_ipv6_122_blocks),
	cmocka_unit_test(test_bad_input),
};

TWILL_TEST_MAIN(tests)
