/* policy_ranges: ipBlock minus except, range merging, element formatting,
 * and a property test of rectangle normalisation against a brute-force
 * point set (same points covered, no point twice, canonical whatever the
 * input split). The PRNG is seeded so every run checks the same cases. */
#include "twill_test.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "policy_ranges.h"

static struct cidr C(const char *text)
{
	struct cidr c;

	assert_int_equal(cidr_parse(text, &c), 0);
	return c;
}

static void expect_ranges(const struct policy_range_list *l, const char *const *want)
{
	char buf[128];
	size_t i;

	for (i = 0; want[i]; i++) {
		assert_true(i < l->count);
		assert_string_equal(policy_range_format(l->family, l->items[i].lo, l->items[i].hi, buf,
							sizeof(buf)), want[i]);
	}
	assert_int_equal(l->count, i);
}

static void test_block_minus_except(void **state)
{
	static const char *const want[] = { "10.0.0.0/26", "10.0.0.65-10.0.0.127", "10.0.0.192/26",
					    NULL };
	struct cidr ex[] = { C("10.0.0.64/32"), C("10.0.0.128/26"), C("192.168.0.0/16"),
			     C("fd00::/8") };
	struct policy_range_list l = { .family = AF_INET };
	struct cidr block = C("10.0.0.0/24");

	(void)state;
	assert_int_equal(policy_ranges_add_block(&l, &block, ex, 4), 0);
	expect_ranges(&l, want);
	policy_ranges_free(&l);
}

static void test_except_covers_edges_and_all(void **state)
{
	static const char *const middle[] = { "10.0.0.1-10.0.0.254", NULL };
	static const char *const none[] = { NULL };
	struct cidr edges[] = { C("10.0.0.0/32"), C("10.0.0.255/32") };
	struct cidr all[] = { C("10.0.0.0/25"), C("10.0.0.0/8") };
	struct policy_range_list l = { .family = AF_INET };
	struct cidr block = C("10.0.0.0/24");

	(void)state;
	assert_int_equal(policy_ranges_add_block(&l, &block, edges, 2), 0);
	expect_ranges(&l, middle);
	policy_ranges_free(&l);
	l.family = AF_INET;
	assert_int_equal(policy_ranges_add_block(&l, &block, all, 2), 0);
	expect_ranges(&l, none);
	policy_ranges_free(&l);
}

static void test_whole_families(void **state)
{
	static const char *const v4[] = { "0.0.0.0/0", NULL };
	static const char *const v6[] = { "::/1", "8000::1-ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe",
					  NULL };
	struct cidr ex6[] = { C("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128"), C("8000::/128") };
	struct policy_range_list l = { .family = AF_INET };
	struct cidr all4 = C("0.0.0.0/0"), all6 = C("::/0");

	(void)state;
	assert_int_equal(policy_ranges_add_block(&l, &all4, NULL, 0), 0);
	/* a different family is ignored */
	assert_int_equal(policy_ranges_add_block(&l, &all6, NULL, 0), 0);
	expect_ranges(&l, v4);
	policy_ranges_free(&l);
	l.family = AF_INET6;
	assert_int_equal(policy_ranges_add_block(&l, &all6, ex6, 2), 0);
	policy_ranges_normalise(&l);
	/* except 8000:: splits, the top address is gone */
	expect_ranges(&l, v6);
	policy_ranges_free(&l);
}

static void test_normalise_merges_adjacent_and_overlapping(void **state)
{
	static const char *const want[] = { "10.0.0.0/23", "10.0.3.0-10.0.3.9", NULL };
	struct policy_range_list l = { .family = AF_INET };
	struct ip_addr a;

	(void)state;
	assert_int_equal(ip_parse("10.0.1.0", &a), 0);
	assert_int_equal(policy_ranges_add(&l, policy_addr_value(&a), policy_addr_value(&a) + 255), 0);
	assert_int_equal(ip_parse("10.0.0.0", &a), 0);
	assert_int_equal(policy_ranges_add(&l, policy_addr_value(&a), policy_addr_value(&a) + 255), 0);
	assert_int_equal(policy_ranges_add(&l, policy_addr_value(&a) + 5, policy_addr_value(&a) + 6), 0);
	assert_int_equal(ip_parse("10.0.3.0", &a), 0);
	assert_int_equal(policy_ranges_add(&l, policy_addr_value(&a), policy_addr_value(&a) + 9), 0);
	policy_ranges_normalise(&l);
	expect_ranges(&l, want);
	policy_ranges_free(&l);
}

/* ---- property test ---- */

#define ADDRS 48
#define PORTS 24
#define BASE 0x0a000000u /* 10.0.0.0 */

static unsigned long prng_state;

static unsigned prng(unsigned n)
{
	prng_state = prng_state * 6364136223846793005ul + 1442695040888963407ul;
	return (unsigned)((prng_state >> 33) % n);
}

static void cover(const struct policy_rect_list *l, unsigned char pts[3][ADDRS][PORTS], bool strict)
{
	size_t i;
	unsigned a;
	int p;

	for (i = 0; i < l->count; i++) {
		const struct policy_rect *r = &l->items[i];

		for (a = (unsigned)(r->lo - BASE); a <= (unsigned)(r->hi - BASE); a++)
			for (p = r->port_lo; p <= r->port_hi; p++) {
				if (strict)
					assert_int_equal(pts[r->protocol][a][p], 0); /* disjoint */
				pts[r->protocol][a][p] = 1;
			}
	}
}

static void rect_to_text(const struct policy_rect_list *l, char *buf, size_t len)
{
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < l->count && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%u-%u/%d/%d-%d;",
					 (unsigned)l->items[i].lo, (unsigned)l->items[i].hi,
					 l->items[i].protocol, l->items[i].port_lo, l->items[i].port_hi);
}

static void test_rect_normalise_property(void **state)
{
	static unsigned char want[3][ADDRS][PORTS], got[3][ADDRS][PORTS];
	static char text1[65536], text2[65536];
	int round;

	(void)state;
	prng_state = 42;
	for (round = 0; round < 200; round++) {
		struct policy_rect_list l = { .family = AF_INET }, points = { .family = AF_INET };
		unsigned n = 1 + prng(12), i, a, p, pr;

		for (i = 0; i < n; i++) {
			unsigned lo = prng(ADDRS), hi = lo + prng(ADDRS - lo);
			unsigned plo = prng(PORTS), phi = plo + prng(PORTS - plo);

			assert_int_equal(policy_rects_add(&l, BASE + lo, BASE + hi,
							  (enum model_protocol)prng(3), (int)plo,
							  (int)phi), 0);
		}
		memset(want, 0, sizeof(want));
		memset(got, 0, sizeof(got));
		cover(&l, want, false);
		assert_int_equal(policy_rects_normalise(&l), 0);
		cover(&l, got, true);
		assert_memory_equal(want, got, sizeof(want));
		/* canonical: the same points given one by one normalise identically */
		for (pr = 0; pr < 3; pr++)
			for (a = 0; a < ADDRS; a++)
				for (p = 0; p < PORTS; p++)
					if (want[pr][a][p])
						assert_int_equal(policy_rects_add(&points, BASE + a, BASE + a,
										  (enum model_protocol)pr,
										  (int)p, (int)p), 0);
		assert_int_equal(policy_rects_normalise(&points), 0);
		rect_to_text(&l, text1, sizeof(text1));
		rect_to_text(&points, text2, sizeof(text2));
		assert_string_equal(text1, text2);
		policy_rects_free(&l);
		policy_rects_free(&points);
	}
}

static void test_rect_normalise_many_pods_one_port(void **state)
{
	struct policy_rect_list l = { .family = AF_INET };
	unsigned i;

	(void)state;
	/* 20000 pods two addresses apart, each with its own overlapping copy:
	 * a quadratic sweep would take minutes here */
	for (i = 0; i < 20000; i++) {
		assert_int_equal(policy_rects_add(&l, BASE + 2 * i, BASE + 2 * i, MODEL_PROTO_TCP, 80,
						  80), 0);
		assert_int_equal(policy_rects_add(&l, BASE + 2 * i, BASE + 2 * i, MODEL_PROTO_TCP, 80,
						  81), 0);
	}
	assert_int_equal(policy_rects_normalise(&l), 0);
	assert_int_equal(l.count, 20000);
	assert_int_equal(l.items[0].port_hi, 81);
	policy_rects_free(&l);
}

static void test_format(void **state)
{
	char buf[128];
	struct ip_addr a, b;

	(void)state;
	assert_int_equal(ip_parse("10.0.0.5", &a), 0);
	assert_int_equal(ip_parse("10.0.0.6", &b), 0);
	assert_string_equal(policy_range_format(AF_INET, policy_addr_value(&a), policy_addr_value(&a),
						buf, sizeof(buf)), "10.0.0.5");
	assert_string_equal(policy_range_format(AF_INET, policy_addr_value(&a), policy_addr_value(&b),
						buf, sizeof(buf)), "10.0.0.5-10.0.0.6");
	assert_string_equal(policy_range_format(AF_INET, policy_addr_value(&a) - 1,
						policy_addr_value(&a), buf, sizeof(buf)), "10.0.0.4/31");
	assert_string_equal(policy_range_format(AF_INET6, 0, ~(policy_u128)0, buf, sizeof(buf)),
			    "::/0");
	assert_string_equal(policy_nft_protocol(MODEL_PROTO_SCTP), "sctp");
	assert_string_equal(policy_nft_protocol(MODEL_PROTO_UDP), "udp");
	assert_string_equal(policy_nft_protocol(MODEL_PROTO_TCP), "tcp");
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_block_minus_except),
	cmocka_unit_test(test_except_covers_edges_and_all),
	cmocka_unit_test(test_whole_families),
	cmocka_unit_test(test_normalise_merges_adjacent_and_overlapping),
	cmocka_unit_test(test_rect_normalise_property),
	cmocka_unit_test(test_rect_normalise_many_pods_one_port),
	cmocka_unit_test(test_format),
};

TWILL_TEST_MAIN(tests)
