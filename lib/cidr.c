/* cidr: address and prefix arithmetic.
 *
 * Every computation goes through one representation: a 128-bit unsigned
 * integer (struct u128, two uint64_t halves) holding the address value, with
 * IPv4 in the low 32 bits. Masks, containment, n-th address and block
 * splitting are then plain integer operations and cannot disagree between
 * the families. Shifts by 128 or more are defined here to give 0, which
 * makes /0 and "host bits = 128" fall out without special cases.
 *
 * Parsing is strict on purpose: the address text reaches us from CRDs and
 * CNI configs, and a lenient parser (octal "010", zones, spaces) would let
 * two components read the same field as different networks. IPv4 is parsed
 * by hand; IPv6 is checked for its character set and length and then handed
 * to inet_pton(), whose IPv6 grammar is exactly RFC 4291 (it rejects
 * leading zeros in an embedded dotted quad too). Formatting is done by hand
 * so the output is RFC 5952 regardless of libc quirks (glibc prints
 * "::1.2.3.4" for IPv4-compatible addresses, which RFC 5952 does not). */
#include "cidr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

struct u128 {
	uint64_t hi, lo;
};

static struct u128 u128_shl(struct u128 v, unsigned s)
{
	struct u128 r = { 0, 0 };

	if (s == 0)
		return v;
	if (s >= 128)
		return r;
	if (s >= 64) {
		r.hi = v.lo << (s - 64);
		return r;
	}
	r.hi = (v.hi << s) | (v.lo >> (64 - s));
	r.lo = v.lo << s;
	return r;
}

static struct u128 u128_shr(struct u128 v, unsigned s)
{
	struct u128 r = { 0, 0 };

	if (s == 0)
		return v;
	if (s >= 128)
		return r;
	if (s >= 64) {
		r.lo = v.hi >> (s - 64);
		return r;
	}
	r.lo = (v.lo >> s) | (v.hi << (64 - s));
	r.hi = v.hi >> s;
	return r;
}

static struct u128 u128_add(struct u128 a, struct u128 b)
{
	struct u128 r;

	r.lo = a.lo + b.lo;
	r.hi = a.hi + b.hi + (r.lo < a.lo);
	return r;
}

static struct u128 u128_sub(struct u128 a, struct u128 b)
{
	struct u128 r;

	r.lo = a.lo - b.lo;
	r.hi = a.hi - b.hi - (a.lo < b.lo);
	return r;
}

/* Ones in the low `bits` bits. */
static struct u128 u128_low_mask(unsigned bits)
{
	struct u128 one = { 0, 1 };

	if (bits >= 128)
		return (struct u128){ UINT64_MAX, UINT64_MAX };
	return u128_sub(u128_shl(one, bits), (struct u128){ 0, 1 });
}

static struct u128 ip_to_u128(const struct ip_addr *ip)
{
	struct u128 v = { 0, 0 };
	int i;

	if (ip->family == AF_INET) {
		for (i = 0; i < 4; i++)
			v.lo = (v.lo << 8) | ip->bytes[i];
		return v;
	}
	for (i = 0; i < 8; i++)
		v.hi = (v.hi << 8) | ip->bytes[i];
	for (i = 8; i < 16; i++)
		v.lo = (v.lo << 8) | ip->bytes[i];
	return v;
}

static void ip_from_u128(int family, struct u128 v, struct ip_addr *out)
{
	int i;

	memset(out, 0, sizeof(*out));
	out->family = family;
	if (family == AF_INET) {
		for (i = 3; i >= 0; i--, v.lo >>= 8)
			out->bytes[i] = (uint8_t)v.lo;
		return;
	}
	for (i = 15; i >= 8; i--, v.lo >>= 8)
		out->bytes[i] = (uint8_t)v.lo;
	for (i = 7; i >= 0; i--, v.hi >>= 8)
		out->bytes[i] = (uint8_t)v.hi;
}

unsigned ip_max_prefix(int family)
{
	if (family == AF_INET)
		return 32;
	if (family == AF_INET6)
		return 128;
	return 0;
}

static bool cidr_valid(const struct cidr *c)
{
	unsigned max = ip_max_prefix(c->addr.family);

	return max && c->prefix_len <= max;
}

static int ip_parse_v4(const char *s, uint8_t bytes[4])
{
	int octet;

	for (octet = 0; octet < 4; octet++) {
		unsigned value = 0;
		int digits = 0;

		if (octet > 0) {
			if (*s != '.')
				return -EINVAL;
			s++;
		}
		if (s[0] == '0' && s[1] >= '0' && s[1] <= '9')
			return -EINVAL;	/* leading zero: octal to some parsers */
		while (*s >= '0' && *s <= '9' && digits < 3) {
			value = value * 10 + (unsigned)(*s - '0');
			s++;
			digits++;
		}
		if (digits == 0 || value > 255)
			return -EINVAL;
		bytes[octet] = (uint8_t)value;
	}
	return *s == '\0' ? 0 : -EINVAL;
}

int ip_parse(const char *text, struct ip_addr *out)
{
	struct ip_addr ip;
	size_t len, i;

	if (!text || !out)
		return -EINVAL;
	len = strlen(text);
	if (len == 0 || len > IP_ADDR_STRLEN - 1)
		return -EINVAL;
	memset(&ip, 0, sizeof(ip));
	if (!strchr(text, ':')) {
		if (ip_parse_v4(text, ip.bytes) < 0)
			return -EINVAL;
		ip.family = AF_INET;
		*out = ip;
		return 0;
	}
	for (i = 0; i < len; i++) {
		char ch = text[i];
		bool hex = (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
			   (ch >= 'A' && ch <= 'F');

		if (!hex && ch != ':' && ch != '.')
			return -EINVAL;
	}
	if (inet_pton(AF_INET6, text, ip.bytes) != 1)
		return -EINVAL;
	ip.family = AF_INET6;
	*out = ip;
	return 0;
}

void ip_from_v4(uint32_t host_order, struct ip_addr *out)
{
	ip_from_u128(AF_INET, (struct u128){ 0, host_order }, out);
}

static bool ip_is_v4_mapped(const struct ip_addr *ip)
{
	static const uint8_t prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return ip->family == AF_INET6 && memcmp(ip->bytes, prefix, sizeof(prefix)) == 0;
}

static int ip_format_v6(const struct ip_addr *ip, char *tmp, size_t size)
{
	unsigned groups[8];
	int best = -1, best_len = 0, run = -1, run_len = 0, i;
	size_t n = 0;

	if (ip_is_v4_mapped(ip))
		return snprintf(tmp, size, "::ffff:%u.%u.%u.%u", ip->bytes[12], ip->bytes[13],
				ip->bytes[14], ip->bytes[15]);
	for (i = 0; i < 8; i++)
		groups[i] = (unsigned)ip->bytes[2 * i] << 8 | ip->bytes[2 * i + 1];
	/* RFC 5952 4.2: compress the longest run of >= 2 zero groups, the
	 * first one when two runs tie. */
	for (i = 0; i < 8; i++) {
		if (groups[i] != 0) {
			run = -1;
			continue;
		}
		if (run < 0) {
			run = i;
			run_len = 0;
		}
		run_len++;
		if (run_len > best_len) {
			best = run;
			best_len = run_len;
		}
	}
	if (best_len < 2) {
		best = -1;
		best_len = 0;
	}
	for (i = 0; i < 8; i++) {
		if (i == best) {
			n += (size_t)snprintf(tmp + n, size - n, "::");
			i += best_len - 1;
			continue;
		}
		if (i > 0 && i != best + best_len)
			n += (size_t)snprintf(tmp + n, size - n, ":");
		n += (size_t)snprintf(tmp + n, size - n, "%x", groups[i]);
	}
	return (int)n;
}

int ip_format(const struct ip_addr *ip, char *buf, size_t len)
{
	char tmp[IP_ADDR_STRLEN];
	int n;

	if (buf && len)
		buf[0] = '\0';
	if (ip->family == AF_INET)
		n = snprintf(tmp, sizeof(tmp), "%u.%u.%u.%u", ip->bytes[0], ip->bytes[1],
			     ip->bytes[2], ip->bytes[3]);
	else if (ip->family == AF_INET6)
		n = ip_format_v6(ip, tmp, sizeof(tmp));
	else
		return -EINVAL;
	if (!buf || (size_t)n >= len)
		return -ENOSPC;
	memcpy(buf, tmp, (size_t)n + 1);
	return 0;
}

bool ip_equal(const struct ip_addr *a, const struct ip_addr *b)
{
	return ip_compare(a, b) == 0;
}

int ip_compare(const struct ip_addr *a, const struct ip_addr *b)
{
	size_t len = a->family == AF_INET ? 4 : 16;

	if (a->family != b->family)
		return a->family == AF_INET ? -1 : b->family == AF_INET ? 1 :
		       (a->family < b->family ? -1 : 1);
	return memcmp(a->bytes, b->bytes, len);
}

/* Decimal 0..max, no sign, no leading zero, nothing after it. */
static int prefix_parse(const char *s, unsigned max, unsigned *out)
{
	unsigned value = 0;
	size_t i;

	if (s[0] == '\0' || (s[0] == '0' && s[1] != '\0'))
		return -EINVAL;
	for (i = 0; s[i]; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 3)
			return -EINVAL;
		value = value * 10 + (unsigned)(s[i] - '0');
	}
	if (value > max)
		return -EINVAL;
	*out = value;
	return 0;
}

int cidr_parse(const char *text, struct cidr *out)
{
	char addr[IP_ADDR_STRLEN];
	struct cidr c;
	const char *slash;
	size_t addr_len;

	if (!text || !out)
		return -EINVAL;
	slash = strchr(text, '/');
	if (!slash)
		return -EINVAL;
	addr_len = (size_t)(slash - text);
	if (addr_len == 0 || addr_len >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, text, addr_len);
	addr[addr_len] = '\0';
	memset(&c, 0, sizeof(c));
	if (ip_parse(addr, &c.addr) < 0)
		return -EINVAL;
	if (prefix_parse(slash + 1, ip_max_prefix(c.addr.family), &c.prefix_len) < 0)
		return -EINVAL;
	*out = c;
	return 0;
}

int cidr_parse_strict(const char *text, struct cidr *out)
{
	struct cidr c;

	if (cidr_parse(text, &c) < 0 || !cidr_is_network(&c))
		return -EINVAL;
	*out = c;
	return 0;
}

int cidr_format(const struct cidr *c, char *buf, size_t len)
{
	char tmp[CIDR_STRLEN];
	size_t n;
	int ret;

	if (buf && len)
		buf[0] = '\0';
	if (!cidr_valid(c))
		return -EINVAL;
	ret = ip_format(&c->addr, tmp, sizeof(tmp));
	if (ret < 0)
		return ret;
	n = strlen(tmp);
	snprintf(tmp + n, sizeof(tmp) - n, "/%u", c->prefix_len);
	n = strlen(tmp);
	if (!buf || n >= len)
		return -ENOSPC;
	memcpy(buf, tmp, n + 1);
	return 0;
}

static unsigned cidr_host_bits(const struct cidr *c)
{
	return ip_max_prefix(c->addr.family) - c->prefix_len;
}

/* Network value of c (host bits cleared). */
static struct u128 cidr_base(const struct cidr *c)
{
	struct u128 v = ip_to_u128(&c->addr);
	struct u128 host = u128_low_mask(cidr_host_bits(c));

	v.hi &= ~host.hi;
	v.lo &= ~host.lo;
	return v;
}

void cidr_network(struct cidr *c)
{
	if (!cidr_valid(c))
		return;
	ip_from_u128(c->addr.family, cidr_base(c), &c->addr);
}

bool cidr_is_network(const struct cidr *c)
{
	struct u128 v, base;

	if (!cidr_valid(c))
		return false;
	v = ip_to_u128(&c->addr);
	base = cidr_base(c);
	return v.hi == base.hi && v.lo == base.lo;
}

bool cidr_equal(const struct cidr *a, const struct cidr *b)
{
	struct u128 x, y;

	if (!cidr_valid(a) || !cidr_valid(b) || a->addr.family != b->addr.family ||
	    a->prefix_len != b->prefix_len)
		return false;
	x = cidr_base(a);
	y = cidr_base(b);
	return x.hi == y.hi && x.lo == y.lo;
}

bool cidr_contains_ip(const struct cidr *c, const struct ip_addr *ip)
{
	struct cidr host;

	if (!cidr_valid(c) || ip->family != c->addr.family)
		return false;
	host.addr = *ip;
	host.prefix_len = c->prefix_len;
	return cidr_equal(c, &host);
}

bool cidr_contains(const struct cidr *outer, const struct cidr *inner)
{
	if (!cidr_valid(outer) || !cidr_valid(inner) || inner->prefix_len < outer->prefix_len)
		return false;
	return cidr_contains_ip(outer, &inner->addr);
}

bool cidr_overlaps(const struct cidr *a, const struct cidr *b)
{
	/* Two prefixes overlap exactly when one contains the other. */
	return cidr_contains(a, b) || cidr_contains(b, a);
}

int cidr_size(const struct cidr *c, uint64_t *out)
{
	unsigned host_bits;

	if (!cidr_valid(c))
		return -EINVAL;
	host_bits = cidr_host_bits(c);
	if (host_bits >= 64)
		return -ERANGE;
	*out = (uint64_t)1 << host_bits;
	return 0;
}

int cidr_nth_addr(const struct cidr *c, uint64_t n, struct ip_addr *out)
{
	if (!cidr_valid(c))
		return -EINVAL;
	if (cidr_host_bits(c) < 64 && n >= (uint64_t)1 << cidr_host_bits(c))
		return -ERANGE;
	ip_from_u128(c->addr.family, u128_add(cidr_base(c), (struct u128){ 0, n }), out);
	return 0;
}

int cidr_addr_index(const struct cidr *c, const struct ip_addr *ip, uint64_t *out)
{
	struct u128 offset;

	if (!cidr_valid(c))
		return -EINVAL;
	if (ip->family != c->addr.family)
		return -EAFNOSUPPORT;
	if (!cidr_contains_ip(c, ip))
		return -ERANGE;
	offset = u128_sub(ip_to_u128(ip), cidr_base(c));
	if (offset.hi)
		return -ERANGE;
	*out = offset.lo;
	return 0;
}

static int block_check(const struct cidr *c, unsigned block_len)
{
	if (!cidr_valid(c) || block_len < c->prefix_len ||
	    block_len > ip_max_prefix(c->addr.family))
		return -EINVAL;
	return 0;
}

int cidr_block_count(const struct cidr *c, unsigned block_len, uint64_t *out)
{
	int ret = block_check(c, block_len);

	if (ret < 0)
		return ret;
	if (block_len - c->prefix_len >= 64)
		return -ERANGE;
	*out = (uint64_t)1 << (block_len - c->prefix_len);
	return 0;
}

int cidr_nth_block(const struct cidr *c, unsigned block_len, uint64_t n, struct cidr *out)
{
	unsigned split_bits;
	struct u128 offset;
	struct cidr block;
	int ret = block_check(c, block_len);

	if (ret < 0)
		return ret;
	split_bits = block_len - c->prefix_len;
	if (split_bits < 64 && n >= (uint64_t)1 << split_bits)
		return -ERANGE;
	offset = u128_shl((struct u128){ 0, n }, ip_max_prefix(c->addr.family) - block_len);
	ip_from_u128(c->addr.family, u128_add(cidr_base(c), offset), &block.addr);
	block.prefix_len = block_len;
	*out = block;
	return 0;
}

int cidr_block_index(const struct cidr *c, unsigned block_len, const struct ip_addr *ip,
		     uint64_t *out)
{
	struct u128 index;
	int ret = block_check(c, block_len);

	if (ret < 0)
		return ret;
	if (ip->family != c->addr.family)
		return -EAFNOSUPPORT;
	if (!cidr_contains_ip(c, ip))
		return -ERANGE;
	index = u128_shr(u128_sub(ip_to_u128(ip), cidr_base(c)),
			 ip_max_prefix(c->addr.family) - block_len);
	if (index.hi)
		return -ERANGE;
	*out = index.lo;
	return 0;
}
