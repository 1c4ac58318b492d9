/* Unit tests for ipam/block_alloc: assignment, release, rotation of the
 * free list, /31 and /32 blocks, IPv6 /122 blocks, corrupted blocks. */
#include "twill_test.h"

#include <errno.h>
#include <stdlib.h>

#include "block_alloc.h"

static void make_block(struct ipamblock *b, const char *text, const char *node)
{
	struct cidr c;

	assert_int_equal(cidr_parse_strict(text, &c), 0);
	assert_int_equal(ipam_block_init(b, &c, node), 0);
	assert_int_equal(ipam_block_check(b), 0);
}

static const struct ipam_attrs pod_a = { "net.a", "default", "pod-a", "node1", NULL };
static const struct ipam_attrs pod_b = { "net.b", "default", "pod-b", "node1",
					 "2026-01-02T03:04:05Z" };

static void addr_text(const struct ipamblock *b, uint64_t ord, char *buf, size_t size)
{
	struct ip_addr ip;

	assert_int_equal(ipam_block_addr(b, ord, &ip), 0);
	assert_int_equal(ip_format(&ip, buf, size), 0);
}

static void test_init_block(void **state)
{
	struct ipamblock b;

	(void)state;
	make_block(&b, "10.244.0.64/26", "node1");
	assert_string_equal(b.meta.name, "10-244-0-64-26");
	assert_string_equal(b.cidr, "10.244.0.64/26");
	assert_string_equal(b.affinity, "host:node1");
	assert_string_equal(ipam_block_affinity_node(&b), "node1");
	assert_int_equal(ipam_block_size(&b), 64);
	assert_int_equal(ipam_block_free_count(&b), 64);
	assert_true(ipam_block_is_empty(&b));
	ipamblock_free(&b);
}

static void test_init_rejects_bad_cidr(void **state)
{
	struct ipamblock b;
	struct cidr c;

	(void)state;
	assert_int_equal(cidr_parse("10.0.0.1/26", &c), 0);
	assert_int_equal(ipam_block_init(&b, &c, NULL), -EINVAL); /* host bits */
	assert_int_equal(cidr_parse("10.0.0.0/16", &c), 0);
	assert_int_equal(ipam_block_init(&b, &c, NULL), -EINVAL); /* too large */
}

static void test_assign_sequential_and_attributes(void **state)
{
	struct ipamblock b;
	uint64_t ords[3];
	size_t got;
	char ip[IP_ADDR_STRLEN];

	(void)state;
	make_block(&b, "10.0.0.0/26", "node1");
	assert_int_equal(ipam_block_assign(&b, 2, &pod_a, ords, &got), 0);
	assert_int_equal(got, 2);
	assert_int_equal(ords[0], 0);
	assert_int_equal(ords[1], 1);
	addr_text(&b, ords[1], ip, sizeof(ip));
	assert_string_equal(ip, "10.0.0.1");
	assert_int_equal(ipam_block_assign(&b, 1, &pod_b, ords, &got), 0);
	assert_int_equal(ords[0], 2);
	assert_int_equal(b.attribute_count, 2);
	assert_string_equal(b.attributes[b.allocations[2]].handle_id, "net.b");
	assert_string_equal(labels_get(&b.attributes[b.allocations[2]].secondary, "pod"), "pod-b");
	assert_string_equal(labels_get(&b.attributes[b.allocations[2]].secondary, "timestamp"),
			    "2026-01-02T03:04:05Z");
	assert_null(labels_get(&b.attributes[b.allocations[0]].secondary, "timestamp"));
	assert_string_equal(labels_get(&b.attributes[b.allocations[0]].secondary, "namespace"),
			    "default");
	/* the same attributes again share the attribute entry */
	assert_int_equal(ipam_block_assign(&b, 1, &pod_a, ords, &got), 0);
	assert_int_equal(b.attribute_count, 2);
	assert_int_equal(ipam_block_handle_count(&b, "net.a"), 3);
	assert_int_equal(ipam_block_used_count(&b), 4);
	assert_int_equal(ipam_block_check(&b), 0);
	ipamblock_free(&b);
}

static void test_block_exhaustion(void **state)
{
	struct ipamblock b;
	uint64_t ords[8];
	size_t got;

	(void)state;
	make_block(&b, "10.0.0.0/30", "node1");
	/* partial: asked 8, only 4 exist */
	assert_int_equal(ipam_block_assign(&b, 8, &pod_a, ords, &got), 0);
	assert_int_equal(got, 4);
	assert_int_equal(ipam_block_free_count(&b), 0);
	assert_int_equal(ipam_block_assign(&b, 1, &pod_b, ords, &got), -ENOSPC);
	assert_int_equal(got, 0);
	assert_int_equal(ipam_block_check(&b), 0);
	ipamblock_free(&b);
}

static void test_freed_address_not_reused_immediately(void **state)
{
	struct ipamblock b;
	uint64_t ords[8], released;
	size_t got;

	(void)state;
	make_block(&b, "10.0.0.0/29", "node1");
	assert_int_equal(ipam_block_assign(&b, 1, &pod_a, ords, &got), 0);
	assert_int_equal(ords[0], 0);
	assert_int_equal(ipam_block_release_handle(&b, "net.a", &released), 0);
	assert_int_equal(released, 1);
	/* the next pod gets .1, not the .0 just freed */
	assert_int_equal(ipam_block_assign(&b, 1, &pod_b, ords, &got), 0);
	assert_int_equal(ords[0], 1);
	/* walk the rest of the block: .0 comes back only after all others */
	assert_int_equal(ipam_block_assign(&b, 7, &pod_b, ords, &got), 0);
	assert_int_equal(got, 7);
	assert_int_equal(ords[5], 7);
	assert_int_equal(ords[6], 0);
	ipamblock_free(&b);
}

static void test_release_by_handle_compacts_attributes(void **state)
{
	struct ipamblock b;
	uint64_t ords[4], released;
	size_t got;

	(void)state;
	make_block(&b, "10.0.0.0/28", "node1");
	assert_int_equal(ipam_block_assign(&b, 2, &pod_a, ords, &got), 0);
	assert_int_equal(ipam_block_assign(&b, 2, &pod_b, ords, &got), 0);
	assert_int_equal(ipam_block_release_handle(&b, "net.a", &released), 0);
	assert_int_equal(released, 2);
	assert_int_equal(b.attribute_count, 1);
	assert_string_equal(b.attributes[0].handle_id, "net.b");
	assert_int_equal(b.allocations[2], 0);
	assert_int_equal(b.allocations[0], IPAMBLOCK_FREE);
	assert_int_equal(ipam_block_check(&b), 0);
	/* idempotent */
	assert_int_equal(ipam_block_release_handle(&b, "net.a", &released), 0);
	assert_int_equal(released, 0);
	assert_int_equal(ipam_block_release_handle(&b, "net.b", &released), 0);
	assert_int_equal(released, 2);
	assert_true(ipam_block_is_empty(&b));
	assert_int_equal(b.attribute_count, 0);
	assert_int_equal(ipam_block_free_count(&b), 16);
	assert_int_equal(ipam_block_check(&b), 0);
	ipamblock_free(&b);
}

static void test_release_by_address(void **state)
{
	struct ipamblock b;
	struct ip_addr ip;
	uint64_t ords[2], ord;
	char *holder = NULL;
	size_t got;

	(void)state;
	make_block(&b, "10.0.0.0/29", "node1");
	assert_int_equal(ipam_block_assign(&b, 2, &pod_a, ords, &got), 0);
	assert_int_equal(ip_parse("10.0.0.1", &ip), 0);
	assert_int_equal(ipam_block_ordinal(&b, &ip, &ord), 0);
	assert_int_equal(ord, 1);
	/* wrong owner: refused, block unchanged */
	assert_int_equal(ipam_block_release_ordinal(&b, ord, "net.b", NULL), -EPERM);
	assert_int_equal(ipam_block_used_count(&b), 2);
	assert_int_equal(ipam_block_release_ordinal(&b, ord, NULL, &holder), 0);
	assert_string_equal(holder, "net.a");
	free(holder);
	assert_int_equal(ipam_block_release_ordinal(&b, ord, NULL, NULL), -ENOENT);
	assert_int_equal(ipam_block_release_ordinal(&b, 8, NULL, NULL), -ERANGE);
	assert_int_equal(ip_parse("10.0.0.9", &ip), 0);
	assert_int_equal(ipam_block_ordinal(&b, &ip, &ord), -ERANGE);
	assert_int_equal(ip_parse("fd00::1", &ip), 0);
	assert_int_equal(ipam_block_ordinal(&b, &ip, &ord), -ERANGE);
	assert_int_equal(ipam_block_handle_count(&b, "net.a"), 1);
	assert_int_equal(ipam_block_check(&b), 0);
	ipamblock_free(&b);
}

static void test_slash32_block(void **state)
{
	struct ipamblock b;
	uint64_t ord;
	size_t got;
	char ip[IP_ADDR_STRLEN];

	(void)state;
	make_block(&b, "192.168.7.9/32", "node1");
	assert_int_equal(ipam_block_size(&b), 1);
	assert_int_equal(ipam_block_assign(&b, 1, &pod_a, &ord, &got), 0);
	addr_text(&b, ord, ip, sizeof(ip));
	assert_string_equal(ip, "192.168.7.9");
	assert_int_equal(ipam_block_assign(&b, 1, &pod_b, &ord, &got), -ENOSPC);
	ipamblock_free(&b);
}

static void test_slash31_block_uses_both_addresses(void **state)
{
	struct ipamblock b;
	uint64_t ords[2];
	size_t got;
	char ip[IP_ADDR_STRLEN];

	(void)state;
	make_block(&b, "192.168.7.8/31", "node1");
	assert_int_equal(ipam_block_assign(&b, 2, &pod_a, ords, &got), 0);
	assert_int_equal(got, 2);
	addr_text(&b, ords[0], ip, sizeof(ip));
	assert_string_equal(ip, "192.168.7.8");
	addr_text(&b, ords[1], ip, sizeof(ip));
	assert_string_equal(ip, "192.168.7.9");
	ipamblock_free(&b);
}

static void test_ipv6_122_block(void **state)
{
	struct ipamblock b;
	uint64_t ords[64];
	size_t got;
	char ip[IP_ADDR_STRLEN];

	(void)state;
	make_block(&b, "fd00:10:244::40/122", "node1");
	assert_string_equal(b.meta.name, "fd00-10-244--40-122");
	assert_int_equal(ipam_block_size(&b), 64);
	assert_int_equal(ipam_block_assign(&b, 64, &pod_a, ords, &got), 0);
	assert_int_equal(got, 64);
	addr_text(&b, ords[63], ip, sizeof(ip));
	assert_string_equal(ip, "fd00:10:244::7f");
	assert_int_equal(ipam_block_assign(&b, 1, &pod_b, ords, &got), -ENOSPC);
	ipamblock_free(&b);
}

static void test_corrupted_block_refused(void **state)
{
	struct ipamblock b;
	uint64_t ords[2], released;
	size_t got;

	(void)state;
	make_block(&b, "10.0.0.0/30", "node1");
	/* ordinal 0 listed free but also marked allocated to a missing attribute */
	b.allocations[0] = 3;
	assert_int_equal(ipam_block_check(&b), -EUCLEAN);
	assert_int_equal(ipam_block_assign(&b, 1, &pod_a, ords, &got), -EUCLEAN);
	assert_int_equal(ipam_block_release_handle(&b, "net.a", &released), -EUCLEAN);
	b.allocations[0] = IPAMBLOCK_FREE;
	/* duplicate on the free list would hand the same address out twice */
	b.unallocated[1] = 0;
	assert_int_equal(ipam_block_assign(&b, 1, &pod_a, ords, &got), -EUCLEAN);
	ipamblock_free(&b);
}

static void test_bad_assign_args(void **state)
{
	struct ipamblock b;
	struct ipam_attrs none = { NULL, NULL, NULL, NULL, NULL };
	uint64_t ords[1];
	size_t got;

	(void)state;
	make_block(&b, "10.0.0.0/30", NULL);
	assert_null(ipam_block_affinity_node(&b));
	assert_int_equal(ipam_block_assign(&b, 1, &none, ords, &got), -EINVAL);
	assert_int_equal(ipam_block_assign(&b, 0, &pod_a, ords, &got), -EINVAL);
	assert_int_equal(ipam_block_free_count(&b), 4);
	ipamblock_free(&b);
}

static void test_json_round_trip_keeps_rotation(void **state)
{
	struct model_errors errs = MODEL_ERRORS_INIT;
	struct ipamblock b, back;
	uint64_t ords[2], released;
	json_object *obj;
	size_t got;

	(void)state;
	make_block(&b, "10.0.0.0/30", "node1");
	assert_int_equal(ipam_block_assign(&b, 2, &pod_a, ords, &got), 0);
	assert_int_equal(ipam_block_release_handle(&b, "net.a", &released), 0);
	obj = ipamblock_to_json(&b);
	assert_non_null(obj);
	assert_int_equal(ipamblock_from_json(obj, &back, &errs), 0);
	assert_false(model_errors_failed(&errs));
	assert_int_equal(ipam_block_check(&back), 0);
	/* after the round trip the next address is still .2, not the freed .0 */
	assert_int_equal(ipam_block_assign(&back, 1, &pod_b, ords, &got), 0);
	assert_int_equal(ords[0], 2);
	json_object_put(obj);
	ipamblock_free(&b);
	ipamblock_free(&back);
	model_errors_free(&errs);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_init_block),
	cmocka_unit_test(test_init_rejects_bad_cidr),
	cmocka_unit_test(test_assign_sequential_and_attributes),
	cmocka_unit_test(test_block_exhaustion),
	cmocka_unit_test(test_freed_address_not_reused_immediately),
	cmocka_unit_test(test_release_by_handle_compacts_attributes),
	cmocka_unit_test(test_release_by_address),
	cmocka_unit_test(test_slash32_block),
	cmocka_unit_test(test_slash31_block_uses_both_addresses),
	cmocka_unit_test(test_ipv6_122_block),
	cmocka_unit_test(test_corrupted_block_refused),
	cmocka_unit_test(test_bad_assign_args),
	cmocka_unit_test(test_json_round_trip_keeps_rotation),
};

TWILL_TEST_MAIN(tests)
