/* Unit tests for lib/model/ippool and the pool overlap check: defaults per
 * family, every per-pool rule with its message, round trip, and overlapping
 * enabled pools naming both pools and both CIDRs. */
#include "twill_test.h"
#include "test_json.h"

#include <errno.h>
#include <stdlib.h>

#include "model/ippool.h"
#include "model/validate_set.h"

/* Parse + validate a pool from a spec body; returns formatted first error
 * (or "") in line. */
static int check_spec(const char *spec, struct model_errors *errs, char *line, size_t size)
{
	char doc[1024];
	struct ippool pool;
	json_object *o;
	int rc;

	snprintf(doc, sizeof(doc),
		 "{\"apiVersion\":\"twill.dev/v1\",\"kind\":\"IPPool\","
		 "\"metadata\":{\"name\":\"pool-a\"},\"spec\":%s}", spec);
	o = parse(doc);
	rc = ippool_from_json(o, &pool, errs);
	if (rc == 0)
		ippool_validate(&pool, errs);
	ippool_free(&pool);
	json_object_put(o);
	line[0] = '\0';
	if (errs->count)
		model_errors_format(errs, 0, line, size);
	return rc;
}

static void test_defaults_ipv4_and_ipv6(void **state)
{
	struct model_errors errs = MODEL_ERRORS_INIT;
	struct ippool pool;
	json_object *o;

	(void)state;
	o = json_object_from_file(TWILL_TESTDATA "/model/ippool-v6.json");
	assert_non_null(o);
	assert_int_equal(ippool_from_json(o, &pool, &errs), 0);
	assert_int_equal(pool.block_size, 122);
	assert_int_equal(pool.ipip_mode, IPPOOL_MODE_NEVER);
	assert_int_equal(pool.vxlan_mode, IPPOOL_MODE_NEVER);
	assert_false(pool.nat_outgoing);
	assert_false(pool.disabled);
	assert_string_equal(pool.node_selector, "all()");
	assert_int_equal(pool.allowed_uses, IPPOOL_USE_WORKLOAD | IPPOOL_USE_TUNNEL);
	assert_true(pool.cidr_ok);
	ippool_validate(&pool, &errs);
	assert_false(model_errors_failed(&errs));
	ippool_free(&pool);
	json_object_put(o);

	o = parse("{\"kind\":\"IPPool\",\"metadata\":{\"name\":\"p\"},"
		  "\"spec\":{\"cidr\":\"10.1.0.0/16\"}}");
	assert_int_equal(ippool_from_json(o, &pool, &errs), 0);
	assert_int_equal(pool.block_size, 26);
	ippool_free(&pool);
	json_object_put(o);
	model_errors_free(&errs);
}

static void test_block_size_range_message(void **state)
{
	struct model_errors errs = MODEL_ERRORS_INIT;
	char line[256];

	(void)state;
	check_spec("{\"cidr\":\"10.0.0.0/16\",\"blockSize\":40}", &errs, line, sizeof(line));
	assert_string_equal(line, "IPPool \"pool-a\": spec.blockSize: must be between 20 and "
				  "32 for an IPv4 pool, got 40");
	model_errors_free(&errs);
	check_spec("{\"cidr\":\"fd00::/64\",\"blockSize\":64}", &errs, line, sizeof(line));
	assert_non_null(strstr(line, "between 116 and 128 for an IPv6 pool, got 64"));
	model_errors_free(&errs);
}

static void test_block_larger_than_pool(void **state)
{
	struct model_errors errs = MODEL_ERRORS_INIT;
	char line[256];

	(void)state;
	check_spec("{\"cidr\":\"10.0.0.0/28\",\"blockSize\":26}", &errs, line, sizeof(line));
	assert_non_null(model_errors_find(&errs, "spec.blockSize"));
	assert_non_null(strstr(line, "prefix length 28"));
	model_errors_free(&errs);
	check_spec("{\"cidr\":\"10.0.0.0/26\",\"blockSize\":26}", &errs, line, sizeof(line));
	assert_false(model_errors_failed(&errs));
	model_errors_free(&errs);
}

static void test_cidr_rules(void **state)
{
	struct model_errors errs = MODEL_ERRORS_INIT;
	char line[256];

	(void)state;
	check_spec("{\"cidr\":\"10.0.0.1/16\"}", &errs, line, sizeof(line));
	assert_non_null(strstr(line, "spec.cidr: host bits must be zero"));
	assert_non_null(strstr(line, "10.0.0.1/16"));
	model_errors_free(&errs);
	check_spec("{\"cidr\":\"banana\"}", &errs, line, sizeof(line));
	assert_non_null(strstr(line, "spec.cidr: must be an IPv4 or IPv6 CIDR, got \"banana\""));
	model_errors_free(&errs);
	check_spec("{}", &errs, line, sizeof(line));
	assert_string_equal(model_errors_find(&errs, "spec.cidr")->message, "is required");
	model_errors_free(&errs);
}

static void test_encapsulation_rules(void **state)
{
	struct model_errors errs = MODEL_ERRORS_INIT;
	char line[256];

	(void)state;
	check_spec("{\"cidr\":\"fd00::/48\",\"ipipMode\":\"Always\"}", &errs, line, sizeof(line));
	assert_non_null(model_errors_find(&errs, "spec.ipipMode"));
	assert_non_null(strstr(line, "IPv4 only"));
	model_errors_free(&errs);
	check_spec("{\"cidr\":\"10.0.0.0/16\",\"ipipMode\":\"Always\",\"vxlanMode\":\"CrossSubnet\"}",
		   &errs, line, sizeof(line));
	assert_non_null(strstr(line, "cannot both be enabled"));
	model_errors_free(&errs);
	check_spec("{\"cidr\":\"10.0.0.0/16\",\"vxlanMode\":\"Sometimes\"}", &errs, line,
		   sizeof(line));
	assert_non_null(strstr(line, "spec.vxlanMode: must be one of Never, Always, CrossSubnet"));
	model_errors_free(&errs);
}

static void test_selector_and_uses(void **state)
{
	struct model_errors errs = MODEL_ERRORS_INIT;
	char line[256];

	(void)state;
	check_spec("{\"cidr\":\"10.0.0.0/16\",\"nodeSelector\":\"rack = 'a'\"}", &errs, line,
		   sizeof(line));
	assert_non_null(model_errors_find(&errs, "spec.nodeSelector"));
	model_errors_free(&errs);
	check_spec("{\"cidr\":\"10.0.0.0/16\",\"allowedUses\":[\"Workload\",\"Pets\"]}", &errs,
		   line, sizeof(line));
	assert_non_null(model_errors_find(&errs, "spec.allowedUses[1]"));
	model_errors_free(&errs);
	check_spec("{\"cidr\":\"10.0.0.0/16\",\"allowedUses\":[]}", &errs, line, sizeof(line));
	assert_non_null(model_errors_find(&errs, "spec.allowedUses"));
	model_errors_free(&errs);
}

static void test_round_trip_and_wrong_kind(void **state)
{
	struct model_errors errs = MODEL_ERRORS_INIT;
	struct ippool a, b;
	json_object *o, *out;

	(void)state;
	o = json_object_from_file(TWILL_TESTDATA "/model/ippool.json");
	assert_int_equal(ippool_from_json(o, &a, &errs), 0);
	out = ippool_to_json(&a);
	assert_non_null(out);
	assert_int_equal(ippool_from_json(out, &b, &errs), 0);
	assert_string_equal(a.cidr, b.cidr);
	assert_int_equal(a.vxlan_mode, IPPOOL_MODE_CROSS_SUBNET);
	assert_int_equal(b.vxlan_mode, IPPOOL_MODE_CROSS_SUBNET);
	assert_true(b.nat_outgoing);
	assert_true(object_meta_equal(&a.meta, &b.meta));
	assert_string_equal(b.meta.resource_version, "12");
	assert_int_equal(model_round_trip(o), 0);
	assert_false(model_errors_failed(&errs));
	ippool_free(&a);
	ippool_free(&b);
	json_object_put(out);
	json_object_put(o);

	o = parse("{\"kind\":\"BGPPeer\",\"spec\":{}}");
	assert_int_equal(ippool_from_json(o, &a, &errs), -EINVAL);
	assert_non_null(model_errors_find(&errs, "kind"));
	ippool_free(&a);
	json_object_put(o);
	model_errors_free(&errs);

	o = parse("{\"kind\":null,\"apiVersion\":\"twill.dev/v1\"}");
	assert_int_equal(ippool_from_json(o, &a, &errs), -EINVAL);
	assert_string_equal(model_errors_find(&errs, "kind")->message, "must be IPPool, got null");
	ippool_free(&a);
	json_object_put(o);
	model_errors_free(&errs);
}

static void make_pool(struct ippool *p, const char *name, const char *cidr, bool disabled)
{
	memset(p, 0, sizeof(*p));
	p->meta.name = strdup(name);
	p->cidr = strdup(cidr);
	p->block_size = 26;
	p->disabled = disabled;
}

static void test_overlapping_enabled_pools(void **state)
{
	struct model_errors errs = MODEL_ERRORS_INIT;
	struct ippool pools[4];
	char line[256];
	size_t i;

	(void)state;
	make_pool(&pools[0], "pool-a", "10.244.0.0/16", false);
	make_pool(&pools[1], "pool-b", "10.245.0.0/16", false);
	make_pool(&pools[2], "pool-c", "10.244.128.0/20", false);
	make_pool(&pools[3], "pool-d", "10.0.0.0/8", true);
	model_validate_pool_overlaps(pools, 4, &errs);
	assert_int_equal(model_errors_count(&errs), 1);
	model_errors_format(&errs, 0, line, sizeof(line));
	assert_string_equal(line, "IPPool \"pool-c\": spec.cidr: 10.244.128.0/20 overlaps "
				  "10.244.0.0/16 of enabled IPPool \"pool-a\"; enabled pools "
				  "must not overlap");
	model_errors_free(&errs);
	/* Disabling the inner pool removes the conflict. */
	pools[2].disabled = true;
	model_validate_pool_overlaps(pools, 4, &errs);
	assert_false(model_errors_failed(&errs));
	for (i = 0; i < 4; i++)
		ippool_free(&pools[i]);
	model_errors_free(&errs);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_defaults_ipv4_and_ipv6),
	cmocka_unit_test(test_block_size_range_message),
	cmocka_unit_test(test_block_larger_than_pool),
	cmocka_unit_test(test_cidr_rules),
	cmocka_unit_test(test_encapsulation_rules),
	cmocka_unit_test(test_selector_and_uses),
	cmocka_unit_test(test_round_trip_and_wrong_kind),
	cmocka_unit_test(test_overlapping_enabled_pools),
};

TWILL_TEST_MAIN(tests)
