/* Unit tests for lib/cidr: strict parsing, RFC 5952 formatting, containment,
 * n-th address and block arithmetic at the edges of both families. */
#include "twill_test.h"

#include <errno.h>
#include <stdlib.h>

#include "cidr.h"

static struct ip_addr ip(const char *text)
{
	struct ip_addr a;

	assert_int_equal(ip_parse(text, &a), 0);
	return a;
}

static struct cidr net(const char *text)
{
	struct cidr c;

	assert_int_equal(cidr_parse(text, &c), 0);
	return c;
}

static void assert_ip_text(const struct ip_addr *a, const char *want)
{
	char buf[IP_ADDR_STRLEN];

	assert_int_equal(ip_format(a, buf, sizeof(buf)), 0);
	assert_string_equal(buf, want);
}

static void assert_cidr_text(const struct cidr *c, const char *want)
{
	char buf[CIDR_STRLEN];

	assert_int_equal(cidr_format(c, buf, sizeof(buf)), 0);
	assert_string_equal(buf, want);
}

static void test_ipv4_valid(void **state)
{
	struct ip_addr a;
	static const uint8_t zero[12];

	(void)state;
	a = ip("10.1.2.3");
	assert_int_equal(a.family, AF_INET);
	assert_int_equal(a.bytes[0], 10);
	assert_int_equal(a.bytes[3], 3);
	assert_memory_equal(a.bytes + 4, zero, sizeof(zero));
	a = ip("0.0.0.0");
	assert_ip_text(&a, "0.0.0.0");
	a = ip("255.255.255.255");
	assert_ip_text(&a, "255.255.255.255");
	a = ip("192.168.100.0");
	assert_ip_text(&a, "192.168.100.0");
}

static void test_ipv4_malformed(void **state)
{
	static const char *bad[] = {
		"", "1.2.3", "1.2.3.4.5", "256.0.0.1", "1.2.3.256", "01.2.3.4", "1.2.3.04",
		"00.0.0.0", "1..2.3", ".1.2.3", "1.2.3.", "1.2.3.4 ", " 1.2.3.4", "1.2.3.4x",
		"+1.2.3.4", "-1.2.3.4", "1.2.3.-4", "1234.1.1.1", "0x1.2.3.4", "1.2.3.4/24",
		"a.b.c.d", "1,2,3,4", "4294967295", "1.2.3.4\n",
	};
	struct ip_addr a;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (ip_parse(bad[i], &a) != -EINVAL)
			fail_msg("accepted %s", bad[i]);
	}
	assert_int_equal(ip_parse(NULL, &a), -EINVAL);
}

static void test_ipv6_valid_forms(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "::", "::" },
		{ "::1", "::1" },
		{ "2001:db8::", "2001:db8::" },
		{ "2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1" },
		{ "2001:DB8::A", "2001:db8::a" },
		{ "fd00:1:2:3:4:5:6:7", "fd00:1:2:3:4:5:6:7" },
		{ "::ffff:1.2.3.4", "::ffff:1.2.3.4" },
		{ "::ffff:0102:0304", "::ffff:1.2.3.4" },
		{ "1:0:0:1:0:0:0:1", "1:0:0:1::1" },	/* longest run wins */
		{ "1:0:0:1:0:0:1:1", "1::1:0:0:1:1" },	/* first of a tie */
		{ "1:0:1:1:1:1:1:1", "1:0:1:1:1:1:1:1" }, /* single 0 not compressed */
		{ "::1.2.3.4", "::102:304" },		/* compatible form is not mapped */
		{ "fe80::", "fe80::" },
		{ "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255",
		  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ip_addr a = ip(cases[i].in);

		assert_int_equal(a.family, AF_INET6);
		assert_ip_text(&a, cases[i].out);
	}
}

static void test_ipv6_malformed(void **state)
{
	static const char *bad[] = {
		":", ":::", "1::2::3", "fe80::1%eth0", "[::1]", "::1 ", " ::1", "12345::",
		"1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "g::1", "::ffff:01.2.3.4",
		"::ffff:1.2.3", "::ffff:256.1.1.1", ":1::", "1::2:", "::-1",
		"0000000000000000000000000000000000000000000000000000::1",
	};
	struct ip_addr a;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (ip_parse(bad[i], &a) != -EINVAL)
			fail_msg("accepted %s", bad[i]);
	}
}

static void test_ip_v4_mapped_stays_v6(void **state)
{
	struct ip_addr mapped = ip("::ffff:10.0.0.1"), v4 = ip("10.0.0.1");
	struct cidr pool = net("10.0.0.0/8");

	(void)state;
	assert_int_equal(mapped.family, AF_INET6);
	assert_false(ip_equal(&mapped, &v4));
	assert_false(cidr_contains_ip(&pool, &mapped));
}

static void test_ip_format_buffer(void **state)
{
	struct ip_addr a = ip("192.168.1.1"), bad = { 0 };
	char buf[12];

	(void)state;
	/* "192.168.1.1" is 11 characters: 12 bytes fit, 11 do not. */
	assert_int_equal(ip_format(&a, buf, 11), -ENOSPC);
	assert_string_equal(buf, "");
	assert_int_equal(ip_format(&a, buf, 12), 0);
	assert_string_equal(buf, "192.168.1.1");
	assert_int_equal(ip_format(&a, NULL, 0), -ENOSPC);
	assert_int_equal(ip_format(&bad, buf, sizeof(buf)), -EINVAL);
}

static void test_ip_compare_order(void **state)
{
	struct ip_addr a = ip("10.0.0.1"), b = ip("10.0.0.2"), c = ip("9.255.255.255");
	struct ip_addr d = ip("::"), e = ip("::1");

	(void)state;
	assert_true(ip_compare(&a, &b) < 0);
	assert_true(ip_compare(&b, &a) > 0);
	assert_true(ip_compare(&c, &a) < 0);
	assert_int_equal(ip_compare(&a, &a), 0);
	assert_true(ip_compare(&b, &d) < 0);	/* every v4 before every v6 */
	assert_true(ip_compare(&d, &a) > 0);
	assert_true(ip_compare(&d, &e) < 0);
	assert_true(ip_equal(&a, &a));
	assert_false(ip_equal(&a, &b));
}

static void test_ip_from_v4(void **state)
{
	struct ip_addr a;

	(void)state;
	ip_from_v4(0x0a000001u, &a);
	assert_ip_text(&a, "10.0.0.1");
	assert_true(ip_equal(&a, &(struct ip_addr){ AF_INET, { 10, 0, 0, 1 } }));
}

static void test_cidr_parse_valid(void **state)
{
	struct cidr c;

	(void)state;
	c = net("10.0.0.0/24");
	assert_int_equal(c.prefix_len, 24);
	assert_cidr_text(&c, "10.0.0.0/24");
	c = net("10.0.0.1/24");	/* host bits kept as written */
	assert_cidr_text(&c, "10.0.0.1/24");
	assert_false(cidr_is_network(&c));
	c = net("0.0.0.0/0");
	assert_int_equal(c.prefix_len, 0);
	c = net("fd00::/64");
	assert_cidr_text(&c, "fd00::/64");
	c = net("::/0");
	assert_cidr_text(&c, "::/0");
	c = net("2001:DB8:0::1/128");
	assert_cidr_text(&c, "2001:db8::1/128");
	c = net("10.0.0.5/32");
	assert_true(cidr_is_network(&c));
}

static void test_cidr_parse_malformed(void **state)
{
	static const char *bad[] = {
		"", "/", "/24", "10.0.0.0", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1",
		"10.0.0.0/+1", "10.0.0.0/24x", "10.0.0.0/ 24", "10.0.0.0 /24", "10.0.0.0/024",
		"10.0.0.0/00", "10.0.0.0/1000", "10.0.0.0/24/24", "::/129", "::/1280",
		"fe80::1%eth0/64", "fe80::/64%eth0", "1.2.3/24", "256.0.0.0/8", "01.0.0.0/8",
		"10.0.0.0/2 4", "10.0.0.0/0x10", "10.0.0.0/99999999999999999999",
	};
	struct cidr c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (cidr_parse(bad[i], &c) != -EINVAL)
			fail_msg("accepted %s", bad[i]);
	}
}

static void test_cidr_parse_long_input(void **state)
{
	char *s = malloc(10000);
	struct cidr c;
	struct ip_addr a;

	(void)state;
	assert_non_null(s);
	memset(s, '1', 9999);
	s[9999] = '\0';
	assert_int_equal(cidr_parse(s, &c), -EINVAL);
	assert_int_equal(ip_parse(s, &a), -EINVAL);
	memcpy(s, "10.0.0.0/", 9);
	assert_int_equal(cidr_parse(s, &c), -EINVAL);
	memset(s, ':', 9999);
	assert_int_equal(ip_parse(s, &a), -EINVAL);
	free(s);
}

static void test_cidr_parse_strict(void **state)
{
	struct cidr c;

	(void)state;
	assert_int_equal(cidr_parse_strict("10.0.0.0/24", &c), 0);
	assert_int_equal(cidr_parse_strict("10.0.0.1/24", &c), -EINVAL);
	assert_int_equal(cidr_parse_strict("10.0.0.128/25", &c), 0);
	assert_int_equal(cidr_parse_strict("10.0.0.64/25", &c), -EINVAL);
	assert_int_equal(cidr_parse_strict("fd00::/64", &c), 0);
	assert_int_equal(cidr_parse_strict("fd00::1/64", &c), -EINVAL);
	assert_int_equal(cidr_parse_strict("fd00::1/128", &c), 0);
	assert_int_equal(cidr_parse_strict("1.0.0.0/0", &c), -EINVAL);
	assert_int_equal(cidr_parse_strict("garbage", &c), -EINVAL);
}

static void test_cidr_network(void **state)
{
	struct cidr c = net("10.1.2.3/16"), v6 = net("fd00:1:2:3:4:5:6:7/50");

	(void)state;
	cidr_network(&c);
	assert_cidr_text(&c, "10.1.0.0/16");
	cidr_network(&c);
	assert_cidr_text(&c, "10.1.0.0/16");
	cidr_network(&v6);
	assert_cidr_text(&v6, "fd00:1:2::/50");
	c = net("255.255.255.255/0");
	cidr_network(&c);
	assert_cidr_text(&c, "0.0.0.0/0");
	c = net("10.0.0.3/31");
	cidr_network(&c);
	assert_cidr_text(&c, "10.0.0.2/31");
	v6 = net("::ffff/127");
	cidr_network(&v6);
	assert_cidr_text(&v6, "::fffe/127");
}

static void test_cidr_format_errors(void **state)
{
	struct cidr c = net("fd00::/64"), bad = net("10.0.0.0/8");
	char buf[9];

	(void)state;
	assert_int_equal(cidr_format(&c, buf, sizeof(buf)), -ENOSPC); /* 9 chars */
	assert_string_equal(buf, "");
	bad.prefix_len = 33;
	assert_int_equal(cidr_format(&bad, buf, sizeof(buf)), -EINVAL);
}

static void test_contains_ip(void **state)
{
	struct cidr c = net("10.0.0.0/24"), all = net("0.0.0.0/0"), host = net("10.0.0.7/32");
	struct cidr v6 = net("fd00::/64");
	struct ip_addr in = ip("10.0.0.255"), out = ip("10.0.1.0"), first = ip("10.0.0.0");

	(void)state;
	assert_true(cidr_contains_ip(&c, &in));
	assert_true(cidr_contains_ip(&c, &first));
	assert_false(cidr_contains_ip(&c, &out));
	assert_true(cidr_contains_ip(&all, &out));
	assert_true(cidr_contains_ip(&host, &(struct ip_addr){ AF_INET, { 10, 0, 0, 7 } }));
	assert_false(cidr_contains_ip(&host, &in));
	assert_false(cidr_contains_ip(&v6, &in));
	in = ip("fd00::ffff:ffff:ffff:ffff");
	assert_true(cidr_contains_ip(&v6, &in));
	in = ip("fd00:0:0:1::");
	assert_false(cidr_contains_ip(&v6, &in));
}

static void test_contains_overlaps_matrix(void **state)
{
	/* Rows/columns: a=10.0.0.0/8 b=10.1.0.0/16 c=10.1.2.0/24 d=10.2.0.0/16
	 * e=0.0.0.0/0 f=fd00::/8 g=10.1.2.3/24 (same network as c). */
	static const char *nets[] = { "10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "10.2.0.0/16",
				      "0.0.0.0/0",  "fd00::/8",    "10.1.2.3/24" };
	static const int contains[7][7] = {
		{ 1, 1, 1, 1, 0, 0, 1 }, { 0, 1, 1, 0, 0, 0, 1 }, { 0, 0, 1, 0, 0, 0, 1 },
		{ 0, 0, 0, 1, 0, 0, 0 }, { 1, 1, 1, 1, 1, 0, 1 }, { 0, 0, 0, 0, 0, 1, 0 },
		{ 0, 0, 1, 0, 0, 0, 1 },
	};
	size_t i, j;

	(void)state;
	for (i = 0; i < 7; i++) {
		for (j = 0; j < 7; j++) {
			struct cidr a = net(nets[i]), b = net(nets[j]);
			int want_overlap = contains[i][j] || contains[j][i];

			if (cidr_contains(&a, &b) != contains[i][j])
				fail_msg("contains(%s, %s) != %d", nets[i], nets[j], contains[i][j]);
			if (cidr_overlaps(&a, &b) != want_overlap)
				fail_msg("overlaps(%s, %s) != %d", nets[i], nets[j], want_overlap);
		}
	}
}

static void test_cidr_equal(void **state)
{
	struct cidr a = net("10.1.2.3/24"), b = net("10.1.2.0/24"), c = net("10.1.2.0/25");
	struct cidr v6 = net("::a01:200/120");

	(void)state;
	assert_true(cidr_equal(&a, &b));
	assert_false(cidr_equal(&b, &c));
	assert_false(cidr_equal(&b, &v6));
}

static void test_size(void **state)
{
	struct cidr c;
	uint64_t n;

	(void)state;
	c = net("10.0.0.0/24");
	assert_int_equal(cidr_size(&c, &n), 0);
	assert_int_equal(n, 256);
	c = net("10.0.0.0/32");
	assert_int_equal(cidr_size(&c, &n), 0);
	assert_int_equal(n, 1);
	c = net("10.0.0.0/31");
	assert_int_equal(cidr_size(&c, &n), 0);
	assert_int_equal(n, 2);
	c = net("0.0.0.0/0");
	assert_int_equal(cidr_size(&c, &n), 0);
	assert_int_equal(n, UINT64_C(4294967296));
	c = net("fd00::/65");
	assert_int_equal(cidr_size(&c, &n), 0);
	assert_int_equal(n, UINT64_C(1) << 63);
	c = net("fd00::/64");
	assert_int_equal(cidr_size(&c, &n), -ERANGE);
	c = net("::/0");
	assert_int_equal(cidr_size(&c, &n), -ERANGE);
	c = net("::1/128");
	assert_int_equal(cidr_size(&c, &n), 0);
	assert_int_equal(n, 1);
	c = net("::/127");
	assert_int_equal(cidr_size(&c, &n), 0);
	assert_int_equal(n, 2);
}

static void test_nth_addr_v4(void **state)
{
	struct cidr c = net("10.0.0.77/24");	/* host bits ignored */
	struct ip_addr a;
	uint64_t idx;

	(void)state;
	assert_int_equal(cidr_nth_addr(&c, 0, &a), 0);
	assert_ip_text(&a, "10.0.0.0");
	assert_int_equal(cidr_nth_addr(&c, 255, &a), 0);
	assert_ip_text(&a, "10.0.0.255");
	assert_int_equal(cidr_nth_addr(&c, 256, &a), -ERANGE);
	assert_int_equal(cidr_nth_addr(&c, UINT64_MAX, &a), -ERANGE);
	c = net("255.255.255.254/31");
	assert_int_equal(cidr_nth_addr(&c, 1, &a), 0);
	assert_ip_text(&a, "255.255.255.255");
	assert_int_equal(cidr_nth_addr(&c, 2, &a), -ERANGE);
	c = net("0.0.0.0/0");
	assert_int_equal(cidr_nth_addr(&c, UINT64_C(4294967295), &a), 0);
	assert_ip_text(&a, "255.255.255.255");
	assert_int_equal(cidr_nth_addr(&c, UINT64_C(4294967296), &a), -ERANGE);
	assert_int_equal(cidr_addr_index(&c, &a, &idx), 0);
	assert_int_equal(idx, UINT64_C(4294967295));
}

static void test_nth_addr_v6(void **state)
{
	struct cidr c = net("fd00::/64");
	struct ip_addr a;
	uint64_t idx;

	(void)state;
	assert_int_equal(cidr_nth_addr(&c, UINT64_MAX, &a), 0);
	assert_ip_text(&a, "fd00::ffff:ffff:ffff:ffff");
	assert_int_equal(cidr_addr_index(&c, &a, &idx), 0);
	assert_true(idx == UINT64_MAX);
	c = net("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff0/124");
	assert_int_equal(cidr_nth_addr(&c, 15, &a), 0);
	assert_ip_text(&a, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	assert_int_equal(cidr_nth_addr(&c, 16, &a), -ERANGE);
	c = net("::/0");	/* carry across the 64-bit halves */
	assert_int_equal(cidr_nth_addr(&c, 1, &a), 0);
	assert_ip_text(&a, "::1");
	c = net("fd00::/63");
	a = ip("fd00:0:0:1::");
	assert_int_equal(cidr_addr_index(&c, &a, &idx), -ERANGE); /* index 2^64 */
	a = ip("fd00::5");
	assert_int_equal(cidr_addr_index(&c, &a, &idx), 0);
	assert_int_equal(idx, 5);
	c = net("::1/128");
	assert_int_equal(cidr_nth_addr(&c, 0, &a), 0);
	assert_ip_text(&a, "::1");
	assert_int_equal(cidr_nth_addr(&c, 1, &a), -ERANGE);
}

static void test_addr_index_errors(void **state)
{
	struct cidr c = net("10.0.0.0/24");
	struct ip_addr out = ip("10.0.1.0"), v6 = ip("::1"), in = ip("10.0.0.9");
	uint64_t idx = 99;

	(void)state;
	assert_int_equal(cidr_addr_index(&c, &out, &idx), -ERANGE);
	assert_int_equal(cidr_addr_index(&c, &v6, &idx), -EAFNOSUPPORT);
	assert_int_equal(idx, 99);
	assert_int_equal(cidr_addr_index(&c, &in, &idx), 0);
	assert_int_equal(idx, 9);
}

static void test_nth_index_roundtrip(void **state)
{
	static const char *nets[] = { "10.0.0.0/22", "192.168.255.0/28", "fd00:1::/118",
				      "2001:db8:ffff:ffff:ffff:ffff:ffff:ff00/120" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(nets) / sizeof(nets[0]); i++) {
		struct cidr c = net(nets[i]);
		uint64_t size, n, back;

		assert_int_equal(cidr_size(&c, &size), 0);
		for (n = 0; n < size; n++) {
			struct ip_addr a;

			assert_int_equal(cidr_nth_addr(&c, n, &a), 0);
			assert_true(cidr_contains_ip(&c, &a));
			assert_int_equal(cidr_addr_index(&c, &a, &back), 0);
			assert_true(back == n);
		}
	}
}

static void test_block_count(void **state)
{
	struct cidr c;
	uint64_t n;

	(void)state;
	c = net("10.0.0.0/24");
	assert_int_equal(cidr_block_count(&c, 26, &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(cidr_block_count(&c, 24, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(cidr_block_count(&c, 32, &n), 0);
	assert_int_equal(n, 256);
	assert_int_equal(cidr_block_count(&c, 23, &n), -EINVAL);
	assert_int_equal(cidr_block_count(&c, 33, &n), -EINVAL);
	c = net("10.0.0.5/32");
	assert_int_equal(cidr_block_count(&c, 32, &n), 0);
	assert_int_equal(n, 1);
	c = net("fd00::/64");
	assert_int_equal(cidr_block_count(&c, 122, &n), 0);
	assert_true(n == UINT64_C(1) << 58);
	assert_int_equal(cidr_block_count(&c, 128, &n), -ERANGE);
	assert_int_equal(cidr_block_count(&c, 127, &n), 0);
	assert_true(n == UINT64_C(1) << 63);
	assert_int_equal(cidr_block_count(&c, 129, &n), -EINVAL);
	c = net("0.0.0.0/0");
	assert_int_equal(cidr_block_count(&c, 32, &n), 0);
	assert_true(n == UINT64_C(1) << 32);
}

static void test_nth_block(void **state)
{
	struct cidr c = net("10.0.0.0/24"), b;

	(void)state;
	assert_int_equal(cidr_nth_block(&c, 26, 0, &b), 0);
	assert_cidr_text(&b, "10.0.0.0/26");
	assert_int_equal(cidr_nth_block(&c, 26, 3, &b), 0);
	assert_cidr_text(&b, "10.0.0.192/26");
	assert_int_equal(cidr_nth_block(&c, 26, 4, &b), -ERANGE);
	assert_int_equal(cidr_nth_block(&c, 20, 0, &b), -EINVAL);
	c = net("fd00::/64");
	assert_int_equal(cidr_nth_block(&c, 122, (UINT64_C(1) << 58) - 1, &b), 0);
	assert_cidr_text(&b, "fd00::ffff:ffff:ffff:ffc0/122");
	assert_int_equal(cidr_nth_block(&c, 122, UINT64_C(1) << 58, &b), -ERANGE);
	assert_int_equal(cidr_nth_block(&c, 122, 1, &b), 0);
	assert_cidr_text(&b, "fd00::40/122");
	c = net("::/0");	/* 2^128 /128 blocks: every uint64 index is in range */
	assert_int_equal(cidr_nth_block(&c, 64, UINT64_MAX, &b), 0);
	assert_cidr_text(&b, "ffff:ffff:ffff:ffff::/64");
	assert_int_equal(cidr_nth_block(&c, 1, 1, &b), 0);
	assert_cidr_text(&b, "8000::/1");
	c = net("192.168.0.7/32");
	assert_int_equal(cidr_nth_block(&c, 32, 0, &b), 0);
	assert_cidr_text(&b, "192.168.0.7/32");
}

static void test_block_index(void **state)
{
	struct cidr c = net("10.0.0.0/16"), b;
	struct ip_addr a = ip("10.0.3.65"), v6 = ip("fd00::1"), out = ip("10.1.0.0");
	uint64_t n;

	(void)state;
	assert_int_equal(cidr_block_index(&c, 26, &a, &n), 0);
	assert_int_equal(n, 13);	/* 3*4 + 1 */
	assert_int_equal(cidr_nth_block(&c, 26, n, &b), 0);
	assert_true(cidr_contains_ip(&b, &a));
	assert_int_equal(cidr_block_index(&c, 26, &out, &n), -ERANGE);
	assert_int_equal(cidr_block_index(&c, 26, &v6, &n), -EAFNOSUPPORT);
	assert_int_equal(cidr_block_index(&c, 15, &a, &n), -EINVAL);
	c = net("fd00::/64");
	a = ip("fd00::ffff:ffff:ffff:ffc1");
	assert_int_equal(cidr_block_index(&c, 122, &a, &n), 0);
	assert_true(n == (UINT64_C(1) << 58) - 1);
	c = net("::/0");
	a = ip("ffff::");
	assert_int_equal(cidr_block_index(&c, 128, &a, &n), -ERANGE);
	assert_int_equal(cidr_block_index(&c, 64, &a, &n), 0);
	assert_true(n == UINT64_C(0xffff) << 48);
}

static void test_invalid_struct_is_safe(void **state)
{
	struct cidr zero = { 0 }, ok = net("10.0.0.0/8"), wide = net("10.0.0.0/8");
	struct ip_addr a = ip("10.0.0.1");
	uint64_t n;

	(void)state;
	wide.prefix_len = 40;
	assert_false(cidr_contains_ip(&zero, &a));
	assert_false(cidr_contains(&ok, &zero));
	assert_false(cidr_overlaps(&wide, &ok));
	assert_false(cidr_is_network(&wide));
	assert_int_equal(cidr_size(&wide, &n), -EINVAL);
	assert_int_equal(cidr_nth_addr(&zero, 0, &a), -EINVAL);
	assert_int_equal(ip_max_prefix(0), 0);
	cidr_network(&wide);	/* must not touch memory outside */
	assert_int_equal(wide.prefix_len, 40);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_ipv4_valid),
	cmocka_unit_test(test_ipv4_malformed),
	cmocka_unit_test(test_ipv6_valid_forms),
	cmocka_unit_test(test_ipv6_malformed),
	cmocka_unit_test(test_ip_v4_mapped_stays_v6),
	cmocka_unit_test(test_ip_format_buffer),
	cmocka_unit_test(test_ip_compare_order),
	cmocka_unit_test(test_ip_from_v4),
	cmocka_unit_test(test_cidr_parse_valid),
	cmocka_unit_test(test_cidr_parse_malformed),
	cmocka_unit_test(test_cidr_parse_long_input),
	cmocka_unit_test(test_cidr_parse_strict),
	cmocka_unit_test(test_cidr_network),
	cmocka_unit_test(test_cidr_format_errors),
	cmocka_unit_test(test_contains_ip),
	cmocka_unit_test(test_contains_overlaps_matrix),
	cmocka_unit_test(test_cidr_equal),
	cmocka_unit_test(test_size),
	cmocka_unit_test(test_nth_addr_v4),
	cmocka_unit_test(test_nth_addr_v6),
	cmocka_unit_test(test_addr_index_errors),
	cmocka_unit_test(test_nth_index_roundtrip),
	cmocka_unit_test(test_block_count),
	cmocka_unit_test(test_nth_block),
	cmocka_unit_test(test_block_index),
	cmocka_unit_test(test_invalid_struct_is_safe),
};

TWILL_TEST_MAIN(tests)
