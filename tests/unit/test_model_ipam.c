/* Unit tests for the IPAM kinds: IPAMBlock internal consistency (each rule
 * the allocator relies on to detect a corrupted block), names derived from
 * CIDRs, BlockAffinity/IPAMHandle/IPAMConfig rules, round trips that keep
 * null allocations and null affinity. */
#include "twill_test.h"
#include "test_json.h"

#include <errno.h>
#include <stdlib.h>

#include "model/blockaffinity.h"
#include "model/ipamblock.h"
#include "model/ipamconfig.h"
#include "model/ipamhandle.h"
#include "model/validate_set.h"

/* A consistent /30 block with ordinal 1 allocated to attribute 0. */
static void small_block(struct ipamblock *b)
{
	struct model_errors errs = MODEL_ERRORS_INIT;
	json_object *o = parse(
		"{\"kind\":\"IPAMBlock\",\"metadata\":{\"name\":\"10-0-0-0-30\"},"
		"\"spec\":{\"cidr\":\"10.0.0.0/30\",\"affinity\":null,"
		"\"allocations\":[null,0,null,null],\"unallocated\":[2,3,0],"
		"\"attributes\":[{\"handle_id\":\"h1\",\"secondary\":{\"pod\":\"a\"}}]}}");

	assert_int_equal(ipamblock_from_json(o, b, &errs), 0);
	assert_false(model_errors_failed(&errs));
	json_object_put(o);
	model_errors_free(&errs);
}

static void test_block_sample_is_consistent(void **state)
{
	struct model_errors errs = MODEL_ERRORS_INIT;
	struct ipamblock b;
	json_object *o = load("ipamblock.json");

	(void)state;
	assert_int_equal(ipamblock_from_json(o, &b, &errs), 0);
	ipamblock_validate(&b, &errs);
	assert_false(model_errors_failed(&errs));
	assert_int_equal(b.allocation_count, 64);
	assert_true(b.allocations[0] == 0 && b.allocations[1] == 1 && b.allocations[2] == IPAMBLOCK_FREE);
	assert_int_equal(b.unallocated_count, 61);
	assert_string_equal(b.affinity, "host:node-1");
	assert_string_equal(labels_get(&b.attributes[0].secondary, "pod"), "web-1");
	assert_true(b.sequence_number == 7);
	assert_int_equal(model_round_trip(o), 0);
	ipamblock_free(&b);
	json_object_put(o);
	model_errors_free(&errs);
}

static void test_block_round_trip_keeps_nulls(void **state)
{
	struct model_errors errs = MODEL_ERRORS_INIT;
	struct ipamblock b;
	json_object *out, *spec, *v;

	(void)state;
	small_block(&b);
	out = ipamblock_to_json(&b);
	assert_non_null(out);
	assert_true(json_object_object_get_ex(out, "spec", &spec));
	/* affinity is written as null so a merge patch clears it. */
	assert_true(json_object_object_get_ex(spec, "affinity", &v));
	assert_null(v);
	assert_true(json_object_object_get_ex(spec, "allocations", &v));
	assert_null(json_object_array_get_idx(v, 0));
	assert_int_equal(json_object_get_int(json_object_array_get_idx(v, 1)), 0);
	ipamblock_free(&b);
	assert_int_equal(ipamblock_from_json(out, &b, &errs), 0);
	ipamblock_validate(&b, &errs);
	assert_false(model_errors_failed(&errs));
	assert_null(b.affinity);
	assert_true(b.unallocated[0] == 2 && b.unallocated[2] == 0);
	ipamblock_free(&b);
	json_object_put(out);
	model_errors_free(&errs);
}

static void test_block_allocations_length(void **state)
{
	struct model_errors errs = MODEL_ERRORS_INIT;
	struct ipamblock b;

	(void)state;
	small_block(&b);
	b.allocation_count = 3;
	ipamblock_validate(&b, &errs);
	assert_string_equal(model_errors_find(&errs, "spec.allocations")->message,
			    "must have one entry per address of 10.0.0.0/30 (4), got 3");
	b.allocation_count = 4;
	ipamblock_free(&b);
	model_errors_free(&errs);
}

static void test_block_attribute_index(void **state)
{
	struct model_errors errs = MODEL_ERRORS_INIT;
	struct ipamblock b;

	(void)state;
	small_block(&b);
	b.allocations[1] = 3;
	ipamblock_validate(&b, &errs);
	assert_non_null(strstr(model_errors_find(&errs, "spec.allocations[1]")->message,
			       "attribute index 3 is out of range (1 attributes)"));
	ipamblock_free(&b);
	model_errors_free(&errs);
}

static void test_block_free_list_rules(void **state)
{
	struct model_errors errs = MODEL_ERRORS_INIT;
	struct ipamblock b;

	(void)state;
	/* A free ordinal missing from the free list. */
	small_block(&b);
	b.unallocated_count = 2;
	ipamblock_validate(&b, &errs);
	assert_non_null(strstr(model_errors_find(&errs, "spec.unallocated")->message,
			       "free ordinal 0"));
	model_errors_free(&errs);
	/* Allocated ordinal listed as free, and a duplicate. */
	b.unallocated_count = 3;
	b.unallocated[2] = 1;
	ipamblock_validate(&b, &errs);
	assert_non_null(strstr(model_errors_find(&errs, "spec.unallocated[2]")->message,
			       "listed as free but allocated"));
	model_errors_free(&errs);
	b.unallocated[2] = 2;
	ipamblock_validate(&b, &errs);
	assert_non_null(strstr(model_errors_find(&errs, "spec.unallocated[2]")->message,
			       "listed twice"));
	model_errors_free(&errs);
	b.unallocated[2] = 4;
	ipamblock_validate(&b, &errs);
	assert_non_null(strstr(model_errors_find(&errs, "spec.unallocated[2]")->message,
			       "outside the block"));
	ipamblock_free(&b);
	model_errors_free(&errs);
}

static void test_block_name_and_affinity(void **state)
{
	struct model_errors errs = MODEL_ERRORS_INIT;
	struct ipamblock b;
	char name[64];

	(void)state;
	assert_int_equal(ipamblock_name_for_cidr("10.244.0.64/26", name, sizeof(name)), 0);
	assert_string_equal(name, "10-244-0-64-26");
	assert_int_equal(ipamblock_name_for_cidr("fd00:1::/122", name, sizeof(name)), 0);
	assert_string_equal(name, "fd00-1---122");
	assert_int_equal(ipamblock_name_for_cidr("fd00:1::/122", name, 5), -ENOSPC);
	small_block(&b);
	free(b.meta.name);
	b.meta.name = strdup("10-0-0-4-30");
	b.affinity = strdup("node:n1");
	ipamblock_validate(&b, &errs);
	assert_non_null(strstr(model_errors_find(&errs, "metadata.name")->message,
			       "must be \"10-0-0-0-30\""));
	assert_non_null(model_errors_find(&errs, "spec.affinity"));
	ipamblock_free(&b);
	model_errors_free(&errs);
}

static void test_block_hostile_values(void **state)
{
	struct model_errors errs = MODEL_ERRORS_INIT;
	struct ipamblock b;
	json_object *o = parse(
		"{\"kind\":\"IPAMBlock\",\"metadata\":{\"name\":\"10-0-0-0-8\"},"
		"\"spec\":{\"cidr\":\"10.0.0.0/8\",\"allocations\":[-5,\"x\",1e40],"
		"\"unallocated\":[-1, 2.5],\"attributes\":[7],\"sequenceNumber\":-3}}");

	(void)state;
	assert_int_equal(ipamblock_from_json(o, &b, &errs), 0);
	assert_non_null(model_errors_find(&errs, "spec.allocations[0]"));
	assert_non_null(model_errors_find(&errs, "spec.allocations[1]"));
	assert_non_null(model_errors_find(&errs, "spec.allocations[2]"));
	assert_non_null(model_errors_find(&errs, "spec.unallocated[0]"));
	assert_non_null(model_errors_find(&errs, "spec.unallocated[1]"));
	assert_non_null(model_errors_find(&errs, "spec.attributes[0]"));
	assert_non_null(model_errors_find(&errs, "spec.sequenceNumber"));
	model_errors_free(&errs);
	/* A /8 would need 16M allocations: refused before any allocation. */
	ipamblock_validate(&b, &errs);
	assert_non_null(strstr(model_errors_find(&errs, "spec.cidr")->message, "too large"));
	ipamblock_free(&b);
	json_object_put(o);
	model_errors_free(&errs);
}

static void test_block_in_pools(void **state)
{
	struct model_errors errs = MODEL_ERRORS_INIT;
	struct ipamblock b;
	struct ippool pool;

	(void)state;
	small_block(&b);
	memset(&pool, 0, sizeof(pool));
	pool.meta.name = strdup("pool-a");
	pool.cidr = strdup("10.0.0.0/24");
	pool.block_size = 26;
	model_validate_block_in_pools(&b, &pool, 1, &errs);
	assert_non_null(strstr(model_errors_find(&errs, "spec.cidr")->message,
			       "is a /30 but IPPool \"pool-a\""));
	model_errors_free(&errs);
	pool.block_size = 30;
	model_validate_block_in_pools(&b, &pool, 1, &errs);
	assert_false(model_errors_failed(&errs));
	free(pool.cidr);
	pool.cidr = strdup("192.168.0.0/24");
	model_validate_block_in_pools(&b, &pool, 1, &errs);
	assert_non_null(strstr(errs.items[0].message, "not inside any IPPool"));
	ippool_free(&pool);
	ipamblock_free(&b);
	model_errors_free(&errs);
}

static void test_blockaffinity(void **state)
{
	struct model_errors errs = MODEL_ERRORS_INIT;
	struct blockaffinity a;
	json_object *o = load("blockaffinity.json");
	char name[128];

	(void)state;
	assert_int_equal(blockaffinity_name("node-1", "10.244.0.64/26", name, sizeof(name)), 0);
	assert_string_equal(name, "node-1-10-244-0-64-26");
	assert_int_equal(blockaffinity_from_json(o, &a, &errs), 0);
	blockaffinity_validate(&a, &errs);
	assert_false(model_errors_failed(&errs));
	assert_int_equal(a.state, BLOCKAFFINITY_CONFIRMED);
	assert_int_equal(model_round_trip(o), 0);
	blockaffinity_free(&a);
	json_object_put(o);

	o = parse("{\"kind\":\"BlockAffinity\",\"metadata\":{\"name\":\"n2-10-0-0-0-26\"},"
		  "\"spec\":{\"node\":\"n1\",\"cidr\":\"10.0.0.0/26\",\"state\":\"gone\"}}");
	assert_int_equal(blockaffinity_from_json(o, &a, &errs), 0);
	blockaffinity_validate(&a, &errs);
	assert_non_null(model_errors_find(&errs, "spec.state"));
	assert_non_null(strstr(model_errors_find(&errs, "metadata.name")->message,
			       "must be \"n1-10-0-0-0-26\""));
	blockaffinity_free(&a);
	json_object_put(o);
	model_errors_free(&errs);
}

static void test_ipamhandle_and_config(void **state)
{
	struct model_errors errs = MODEL_ERRORS_INIT;
	struct ipamhandle h;
	struct ipamconfig c;
	json_object *o = load("ipamhandle.json");
	char name[64];

	(void)state;
	assert_int_equal(ipamhandle_name("K8s-Pod_Network.ABC/1", name, sizeof(name)), 0);
	assert_string_equal(name, "k8s-pod-network.abc-1");
	assert_int_equal(ipamhandle_from_json(o, &h, &errs), 0);
	ipamhandle_validate(&h, &errs);
	assert_false(model_errors_failed(&errs));
	assert_int_equal(h.block_count, 1);
	assert_string_equal(h.blocks[0].cidr, "10.244.0.64/26");
	assert_true(h.blocks[0].count == 2);
	assert_int_equal(model_round_trip(o), 0);
	ipamhandle_free(&h);
	json_object_put(o);

	o = parse("{\"kind\":\"IPAMHandle\",\"metadata\":{\"name\":\"h\"},"
		  "\"spec\":{\"block\":{\"10.0.0.1/26\":1,\"10.0.1.0/26\":-1}}}");
	assert_int_equal(ipamhandle_from_json(o, &h, &errs), 0);
	ipamhandle_validate(&h, &errs);
	assert_non_null(model_errors_find(&errs, "spec.handleID"));
	assert_non_null(model_errors_find(&errs, "spec.block.10.0.1.0/26"));
	assert_non_null(model_errors_find(&errs, "spec.block[10.0.0.1/26]"));
	ipamhandle_free(&h);
	json_object_put(o);
	model_errors_free(&errs);

	o = parse("{\"kind\":\"IPAMHandle\",\"metadata\":{\"name\":\"h\"},"
		  "\"spec\":{\"handleID\":\"K8s-Pod.X\"}}");
	assert_int_equal(ipamhandle_from_json(o, &h, &errs), 0);
	ipamhandle_validate(&h, &errs);
	assert_non_null(strstr(model_errors_find(&errs, "metadata.name")->message,
			       "must be \"k8s-pod.x\""));
	ipamhandle_free(&h);
	json_object_put(o);
	model_errors_free(&errs);

	o = parse("{\"kind\":\"IPAMConfig\",\"metadata\":{\"name\":\"other\"},"
		  "\"spec\":{\"maxBlocksPerHost\":-1}}");
	assert_int_equal(ipamconfig_from_json(o, &c, &errs), 0);
	assert_true(c.auto_allocate_blocks);
	assert_false(c.strict_affinity);
	assert_int_equal(c.max_blocks_per_host, 0);
	ipamconfig_validate(&c, &errs);
	assert_non_null(model_errors_find(&errs, "spec.maxBlocksPerHost"));
	assert_non_null(model_errors_find(&errs, "metadata.name"));
	ipamconfig_free(&c);
	json_object_put(o);
	model_errors_free(&errs);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_block_sample_is_consistent),
	cmocka_unit_test(test_block_round_trip_keeps_nulls),
	cmocka_unit_test(test_block_allocations_length),
	cmocka_unit_test(test_block_attribute_index),
	cmocka_unit_test(test_block_free_list_rules),
	cmocka_unit_test(test_block_name_and_affinity),
	cmocka_unit_test(test_block_hostile_values),
	cmocka_unit_test(test_block_in_pools),
	cmocka_unit_test(test_blockaffinity),
	cmocka_unit_test(test_ipamhandle_and_config),
};

TWILL_TEST_MAIN(tests)
