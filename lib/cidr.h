/* cidr: IPv4/IPv6 addresses and prefixes, and the arithmetic IPAM and routing
 * need on them (containment, overlap, n-th address, splitting into blocks).
 *
 * Contract:
 * - An address is a family (AF_INET or AF_INET6) plus 16 bytes in network
 *   order; IPv4 uses bytes[0..3] and bytes[4..15] are always zero, so two
 *   addresses compare equal with memcmp() of the whole struct after a parse.
 * - Text accepted by ip_parse(): dotted-quad IPv4 with exactly four decimal
 *   octets 0..255 and no leading zeros ("01.2.3.4" is rejected, as Go's
 *   net/netip does, because other parsers read it as octal); IPv6 in any RFC
 *   4291 form, including an embedded dotted-quad tail ("::ffff:1.2.3.4").
 *   Rejected: zones ("fe80::1%eth0"), brackets, whitespace anywhere, signs,
 *   anything longer than 45 characters, trailing garbage.
 * - An IPv4-mapped IPv6 address ("::ffff:1.2.3.4") stays AF_INET6: it is a
 *   different address from 1.2.3.4 for routing purposes, and twill never
 *   silently converts between families.
 * - ip_format() writes RFC 5952 text: lowercase, no leading zeros, the
 *   longest run (first on ties) of two or more zero groups as "::", and the
 *   dotted-quad tail only for IPv4-mapped addresses.
 * - A prefix length is a decimal number 0..32 (v4) or 0..128 (v6) with no
 *   sign, no leading zeros ("/08" rejected, "/0" fine) and nothing after it.
 * - cidr_parse() keeps host bits as written ("10.0.0.1/24" is the interface
 *   form); cidr_parse_strict() rejects them. Every other function treats a
 *   cidr as its network (host bits ignored) unless it says otherwise.
 * - Functions taking two addresses or prefixes of different families report
 *   "no" (false / -EAFNOSUPPORT), never an error code disguised as a value.
 * None of these functions allocate; all are safe on any input. */
#ifndef TWILL_CIDR_H
#define TWILL_CIDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct ip_addr {
	int family;		/* AF_INET or AF_INET6 */
	uint8_t bytes[16];	/* network order; IPv4 in bytes[0..3] */
};

struct cidr {
	struct ip_addr addr;
	unsigned prefix_len;
};

/* Longest text either format function can produce, with the NUL. */
#define IP_ADDR_STRLEN 46	/* INET6_ADDRSTRLEN */
#define CIDR_STRLEN (IP_ADDR_STRLEN + 4)

/* 32 or 128 for a valid family, 0 otherwise. */
unsigned ip_max_prefix(int family);

/* 0 or -EINVAL on anything malformed (see the rules above). */
int ip_parse(const char *text, struct ip_addr *out);
/* 0, -ENOSPC when buf is too small (buf then holds ""), -EINVAL bad family. */
int ip_format(const struct ip_addr *ip, char *buf, size_t len);
/* Build an IPv4 address from a host-order 32-bit value. */
void ip_from_v4(uint32_t host_order, struct ip_addr *out);

bool ip_equal(const struct ip_addr *a, const struct ip_addr *b);
/* Orders IPv4 before IPv6, then by numeric value: <0, 0, >0. */
int ip_compare(const struct ip_addr *a, const struct ip_addr *b);

/* "10.0.0.0/24", "fd00::/64", "10.0.0.1/24". 0 or -EINVAL. A bare address
 * without "/len" is rejected: callers that want a host route write /32. */
int cidr_parse(const char *text, struct cidr *out);
/* As cidr_parse() but also -EINVAL when host bits are set. */
int cidr_parse_strict(const char *text, struct cidr *out);
/* "addr/len" with the address exactly as stored (host bits kept). */
int cidr_format(const struct cidr *c, char *buf, size_t len);

/* Clear the host bits in place. */
void cidr_network(struct cidr *c);
bool cidr_is_network(const struct cidr *c);
/* Same family, prefix length and network (host bits ignored). */
bool cidr_equal(const struct cidr *a, const struct cidr *b);

bool cidr_contains_ip(const struct cidr *c, const struct ip_addr *ip);
/* inner is equal to or a subnet of outer. */
bool cidr_contains(const struct cidr *outer, const struct cidr *inner);
/* Share at least one address; false across families. */
bool cidr_overlaps(const struct cidr *a, const struct cidr *b);

/* Number of addresses in c: 0, or -ERANGE when it does not fit in uint64_t
 * (an IPv6 prefix of /64 or shorter). */
int cidr_size(const struct cidr *c, uint64_t *out);
/* The n-th address of c counting from its network address (n = 0).
 * -ERANGE when n is not below the size of c. */
int cidr_nth_addr(const struct cidr *c, uint64_t n, struct ip_addr *out);
/* Inverse of cidr_nth_addr(): -ERANGE when ip is outside c or its index does
 * not fit in uint64_t, -EAFNOSUPPORT across families. */
int cidr_addr_index(const struct cidr *c, const struct ip_addr *ip, uint64_t *out);

/* How many /block_len blocks c splits into. -EINVAL when block_len is
 * shorter than c's prefix or longer than the family allows; -ERANGE when the
 * count does not fit in uint64_t. */
int cidr_block_count(const struct cidr *c, unsigned block_len, uint64_t *out);
/* The n-th /block_len block of c (n = 0 starts at c's network address).
 * Errors as cidr_block_count(), plus -ERANGE when n is past the end. */
int cidr_nth_block(const struct cidr *c, unsigned block_len, uint64_t n, struct cidr *out);
/* Index of the /block_len block of c that holds ip. -ERANGE when ip is
 * outside c, -EAFNOSUPPORT across families, -EINVAL as cidr_block_count(). */
int cidr_block_index(const struct cidr *c, unsigned block_len, const struct ip_addr *ip,
		     uint64_t *out);

#endif
