/* libFuzzer target: arbitrary bytes as address and prefix text. Parsing must
 * never crash; whatever parses must obey the module's algebra: formatting is
 * canonical and re-parses to the same value, cidr_network() is idempotent, a
 * prefix contains and overlaps itself, its first and last addresses are inside
 * it and map back to their indexes, and its blocks tile it. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond))                                                   \
			__builtin_trap();                                      \
	} while (0)

static void check_ip(const char *text)
{
	struct ip_addr a, b;
	char buf[IP_ADDR_STRLEN], again[IP_ADDR_STRLEN];

	if (ip_parse(text, &a) < 0)
		return;
	CHECK(ip_format(&a, buf, sizeof(buf)) == 0);
	CHECK(ip_parse(buf, &b) == 0);
	CHECK(memcmp(&a, &b, sizeof(a)) == 0);
	CHECK(ip_format(&b, again, sizeof(again)) == 0);
	CHECK(strcmp(buf, again) == 0);
	CHECK(ip_compare(&a, &b) == 0);
}

static void check_blocks(const struct cidr *c)
{
	unsigned max = ip_max_prefix(c->addr.family);
	unsigned block_len = c->prefix_len + 3 > max ? max : c->prefix_len + 3;
	uint64_t count, idx;
	struct cidr first, last;

	CHECK(cidr_block_count(c, block_len, &count) == 0);
	CHECK(count == (uint64_t)1 << (block_len - c->prefix_len));
	CHECK(cidr_nth_block(c, block_len, 0, &first) == 0);
	CHECK(cidr_nth_block(c, block_len, count - 1, &last) == 0);
	CHECK(cidr_nth_block(c, block_len, count, &first) == -ERANGE);
	CHECK(cidr_contains(c, &first) && cidr_contains(c, &last));
	CHECK(cidr_is_network(&first) && cidr_is_network(&last));
	CHECK(cidr_block_index(c, block_len, &last.addr, &idx) == 0 && idx == count - 1);
	CHECK(cidr_block_index(c, block_len, &c->addr, &idx) == 0);
	CHECK(idx < count);
	CHECK(cidr_block_count(c, max + 1, &count) == -EINVAL);
}

static void check_cidr(const char *text)
{
	struct cidr c, d, n;
	struct ip_addr first, last;
	char buf[CIDR_STRLEN];
	uint64_t size, idx;
	int strict;

	strict = cidr_parse_strict(text, &d) == 0;
	if (cidr_parse(text, &c) < 0) {
		CHECK(!strict);
		return;
	}
	CHECK(strict == cidr_is_network(&c));
	CHECK(cidr_format(&c, buf, sizeof(buf)) == 0);
	CHECK(cidr_parse(buf, &d) == 0);
	CHECK(memcmp(&c, &d, sizeof(c)) == 0);

	n = c;
	cidr_network(&n);
	CHECK(cidr_is_network(&n));
	d = n;
	cidr_network(&d);
	CHECK(memcmp(&n, &d, sizeof(n)) == 0);
	CHECK(cidr_equal(&c, &n));
	CHECK(cidr_contains(&c, &c) && cidr_overlaps(&c, &c));
	CHECK(cidr_contains_ip(&c, &c.addr));

	CHECK(cidr_nth_addr(&c, 0, &first) == 0);
	CHECK(ip_equal(&first, &n.addr));
	CHECK(cidr_addr_index(&c, &first, &idx) == 0 && idx == 0);
	if (cidr_size(&c, &size) == 0) {
		CHECK(size >= 1);
		CHECK(cidr_nth_addr(&c, size - 1, &last) == 0);
		CHECK(cidr_contains_ip(&c, &last));
		CHECK(cidr_addr_index(&c, &last, &idx) == 0 && idx == size - 1);
		CHECK(cidr_nth_addr(&c, size, &last) == -ERANGE);
	} else {
		CHECK(c.addr.family == AF_INET6 && c.prefix_len <= 64);
	}
	if (c.prefix_len > 0) {
		/* the parent prefix contains c but not the other way round */
		struct cidr parent = c;

		parent.prefix_len--;
		CHECK(cidr_contains(&parent, &c) && !cidr_contains(&c, &parent));
		CHECK(cidr_overlaps(&c, &parent));
	}
	check_blocks(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	check_ip(text);
	check_cidr(text);
	free(text);
	return 0;
}
