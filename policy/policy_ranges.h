/* policy_ranges: address ranges and (address range × protocol × port range)
 * rectangles in the canonical form nftables interval sets need.
 *
 * Why: an nftables interval set rejects overlapping elements ("File exists")
 * and a delete must name an element exactly as it was added. So every set
 * twill writes holds disjoint elements computed here, deterministically
 * (sorted by protocol, then address, then port), which makes the compiled
 * text stable for golden files and element-wise diffs exact.
 *
 * Contract:
 *  - Addresses are unsigned 128-bit numbers within one family (IPv4 uses
 *    0..2^32-1); ranges are inclusive [lo, hi].
 *  - policy_ranges_add_block() adds cidr minus every except prefix (the
 *    ipBlock semantics); excepts outside the cidr or of another family are
 *    ignored.
 *  - policy_rects_normalise() turns any union of rectangles into disjoint
 *    ones covering exactly the same points; policy_ranges_normalise() does
 *    the same for plain ranges (merging overlapping and adjacent ones).
 *  - Formatting: a single address as "a", an exact prefix as "a/len", else
 *    "a-b"; ports as "p" or "lo-hi"; protocols as nft names.
 * 0 or -ENOMEM; no other failure. */
#ifndef TWILL_POLICY_RANGES_H
#define TWILL_POLICY_RANGES_H

#include <stddef.h>
#include <stdint.h>

#include "cidr.h"
#include "model/pod.h"

typedef unsigned __int128 policy_u128;

struct policy_range {
	policy_u128 lo, hi;
};

struct policy_range_list {
	int family;
	struct policy_range *items;
	size_t count, cap;
};

struct policy_rect {
	policy_u128 lo, hi; /* addresses */
	enum model_protocol protocol;
	int port_lo, port_hi;
};

struct policy_rect_list {
	int family;
	struct policy_rect *items;
	size_t count, cap;
};

policy_u128 policy_addr_value(const struct ip_addr *ip);
void policy_addr_from_value(int family, policy_u128 v, struct ip_addr *out);
/* Largest address of the family. */
policy_u128 policy_addr_max(int family);

int policy_ranges_add(struct policy_range_list *l, policy_u128 lo, policy_u128 hi);
int policy_ranges_add_block(struct policy_range_list *l, const struct cidr *block,
			    const struct cidr *except, size_t except_count);
void policy_ranges_normalise(struct policy_range_list *l);
void policy_ranges_free(struct policy_range_list *l);

int policy_rects_add(struct policy_rect_list *l, policy_u128 lo, policy_u128 hi,
		     enum model_protocol protocol, int port_lo, int port_hi);
int policy_rects_normalise(struct policy_rect_list *l);
void policy_rects_free(struct policy_rect_list *l);

/* "10.0.0.0/24", "10.0.0.5", "10.0.0.1-10.0.0.6". buf >= 2 * IP_ADDR_STRLEN. */
const char *policy_range_format(int family, policy_u128 lo, policy_u128 hi, char *buf,
				size_t len);
/* "tcp" / "udp" / "sctp". */
const char *policy_nft_protocol(enum model_protocol p);

#endif
