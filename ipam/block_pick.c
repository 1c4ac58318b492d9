/* block_pick: block choice as pure functions over summaries.
 *
 * ipam_pick_unclaimed() turns every existing block that overlaps the pool
 * into a range of occupied block indices [lo, hi], sorts the ranges and
 * walks them for the first gap from index 0: O(n log n) in the number of
 * blocks and independent of the pool's size, which for IPv6 can be 2^58
 * blocks or more. */
#include "block_pick.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct range {
	uint64_t lo, hi;
};

static int range_cmp(const void *a, const void *b)
{
	const struct range *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return 0;
}

/* Occupied block indices of pool covered by e; false when e is outside. */
static bool occupied_range(const struct cidr *pool, unsigned block_len, const struct cidr *e,
			   struct range *r)
{
	struct cidr net = *e, first;
	uint64_t span;

	if (net.addr.family != pool->addr.family)
		return false;
	cidr_network(&net);
	if (net.prefix_len < pool->prefix_len) {
		/* e contains the whole pool (e.g. a block of a bigger old pool). */
		if (!cidr_contains(&net, pool))
			return false;
		r->lo = 0;
		r->hi = UINT64_MAX;
		return true;
	}
	if (!cidr_contains(pool, &net))
		return false;
	first = net;
	if (cidr_block_index(pool, block_len, &first.addr, &r->lo) < 0)
		return false;
	if (net.prefix_len >= block_len) {
		r->hi = r->lo;
		return true;
	}
	/* e is bigger than a block: it covers 2^(block_len - e len) blocks. */
	if (block_len - net.prefix_len >= 64) {
		r->hi = UINT64_MAX;
		return true;
	}
	span = (uint64_t)1 << (block_len - net.prefix_len);
	r->hi = r->lo + span - 1;
	if (r->hi < r->lo)
		r->hi = UINT64_MAX;
	return true;
}

int ipam_pick_unclaimed(const struct cidr *pool, unsigned block_len,
			const struct cidr *existing, size_t n, struct cidr *out)
{
	struct cidr net = *pool;
	struct range *ranges = NULL;
	uint64_t total, next = 0;
	bool bounded;
	size_t i, used = 0;
	int ret;

	cidr_network(&net);
	ret = cidr_block_count(&net, block_len, &total);
	if (ret == -ERANGE) {
		bounded = false;
		total = UINT64_MAX;
	} else if (ret < 0) {
		return ret;
	} else {
		bounded = true;
	}
	ranges = calloc(n + 1, sizeof(*ranges));
	if (!ranges)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		if (occupied_range(&net, block_len, &existing[i], &ranges[used]))
			used++;
	qsort(ranges, used, sizeof(*ranges), range_cmp);
	for (i = 0; i < used; i++) {
		if (ranges[i].lo > next)
			break;
		if (ranges[i].hi >= next) {
			if (ranges[i].hi == UINT64_MAX) {
				ret = -ENOSPC;
				goto out;
			}
			next = ranges[i].hi + 1;
		}
	}
	if (bounded && next >= total) {
		ret = -ENOSPC;
		goto out;
	}
	ret = cidr_nth_block(&net, block_len, next, out);
	if (ret == -ERANGE)
		ret = -ENOSPC;
out:
	free(ranges);
	return ret;
}

static int info_cidr_cmp(const struct ipam_block_info *a, const struct ipam_block_info *b)
{
	int c = ip_compare(&a->cidr.addr, &b->cidr.addr);

	if (c)
		return c;
	return (int)a->cidr.prefix_len - (int)b->cidr.prefix_len;
}

static bool is_node(const struct ipam_block_info *b, const char *node)
{
	return b->node && node && strcmp(b->node, node) == 0;
}

/* Insertion sort of indices: n is the number of blocks in a few pools and
 * the comparison needs the node, which qsort cannot pass. */
static void sort_indices(const struct ipam_block_info *blocks, size_t *order, size_t count,
			 int (*cmp)(const struct ipam_block_info *, const struct ipam_block_info *))
{
	size_t i, j, v;

	for (i = 1; i < count; i++) {
		v = order[i];
		for (j = i; j > 0 && cmp(&blocks[v], &blocks[order[j - 1]]) < 0; j--)
			order[j] = order[j - 1];
		order[j] = v;
	}
}

static int affine_cmp(const struct ipam_block_info *a, const struct ipam_block_info *b)
{
	if (a->pool_rank != b->pool_rank)
		return a->pool_rank < b->pool_rank ? -1 : 1;
	if (a->free != b->free)
		return a->free < b->free ? -1 : 1;
	return info_cidr_cmp(a, b);
}

static int borrow_cmp(const struct ipam_block_info *a, const struct ipam_block_info *b)
{
	if (a->pool_rank != b->pool_rank)
		return a->pool_rank < b->pool_rank ? -1 : 1;
	if ((a->node == NULL) != (b->node == NULL))
		return a->node == NULL ? -1 : 1;
	if (a->free != b->free)
		return a->free > b->free ? -1 : 1;
	return info_cidr_cmp(a, b);
}

void ipam_order_affine(const struct ipam_block_info *blocks, size_t n, const char *node,
		       size_t *order, size_t *count)
{
	size_t i;

	*count = 0;
	for (i = 0; i < n; i++)
		if (blocks[i].pool_rank >= 0 && blocks[i].free > 0 && is_node(&blocks[i], node))
			order[(*count)++] = i;
	sort_indices(blocks, order, *count, affine_cmp);
}

void ipam_order_borrow(const struct ipam_block_info *blocks, size_t n, const char *node,
		       size_t *order, size_t *count)
{
	size_t i;

	*count = 0;
	for (i = 0; i < n; i++)
		if (blocks[i].pool_rank >= 0 && blocks[i].free > 0 && !blocks[i].strict_affinity &&
		    !is_node(&blocks[i], node))
			order[(*count)++] = i;
	sort_indices(blocks, order, *count, borrow_cmp);
}

bool ipam_may_claim(size_t held, int max_blocks_per_host)
{
	return max_blocks_per_host <= 0 || held < (size_t)max_blocks_per_host;
}
