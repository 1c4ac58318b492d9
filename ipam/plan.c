/* plan: one allocation decision.
 *
 * maxBlocksPerHost counts every block affine to the node, in any pool and
 * family, as Calico does: the limit exists to bound the routes a node
 * advertises, which does not depend on the pool. The exhaustion message is
 * computed from the same summaries the decision used, so it describes
 * exactly the state that made us give up. */
#include "plan.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ipam_plan_rank(struct ipam_plan_input *in)
{
	size_t i, r;

	for (i = 0; i < in->block_count; i++) {
		in->blocks[i].pool_rank = -1;
		for (r = 0; r < in->pool_count; r++) {
			if (in->pools[r]->cidr_ok && cidr_contains(&in->pools[r]->net, &in->blocks[i].cidr)) {
				in->blocks[i].pool_rank = (int)r;
				break;
			}
		}
	}
}

size_t ipam_plan_affine_count(const struct ipam_plan_input *in)
{
	size_t i, n = 0;

	for (i = 0; i < in->block_count; i++)
		if (in->blocks[i].node && in->node && strcmp(in->blocks[i].node, in->node) == 0)
			n++;
	return n;
}

static void append(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void append(char *buf, size_t size, const char *fmt, ...)
{
	size_t len = strlen(buf);
	va_list ap;
	int n;

	if (len + 1 >= size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + len, size - len, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n >= size - len && size > 4)
		memcpy(buf + size - 4, "...", 4);
}

/* "1024" or "2^70" addresses in the pool. */
static void pool_size_text(const struct ippool *p, char *buf, size_t size)
{
	uint64_t n;

	if (cidr_size(&p->net, &n) == 0)
		snprintf(buf, size, "%" PRIu64, n);
	else
		snprintf(buf, size, "2^%u", ip_max_prefix(p->net.addr.family) - p->net.prefix_len);
}

static void explain(const struct ipam_plan_input *in, size_t held, bool claim_blocked_by_limit,
		    char *why, size_t size)
{
	char total[32];
	size_t r, i;

	why[0] = '\0';
	append(why, size, "no address available for node \"%s\":", in->node ? in->node : "?");
	for (r = 0; r < in->pool_count; r++) {
		const struct ippool *p = in->pools[r];
		uint64_t used = 0, capacity = 0, blocks = 0;

		for (i = 0; i < in->block_count; i++) {
			const struct ipam_block_info *b = &in->blocks[i];
			uint64_t bsize;

			if (b->pool_rank != (int)r)
				continue;
			blocks++;
			if (cidr_size(&b->cidr, &bsize) == 0) {
				capacity += bsize;
				used += bsize - (b->free < bsize ? b->free : bsize);
			}
		}
		pool_size_text(p, total, sizeof(total));
		append(why, size,
		       " pool \"%s\" (%s, %s addresses, blockSize %d) has %" PRIu64
		       " addresses in use, %" PRIu64 " free in %" PRIu64 " blocks;",
		       p->meta.name ? p->meta.name : "?", p->cidr ? p->cidr : "?", total,
		       p->block_size, used, capacity - used, blocks);
	}
	if (!in->auto_allocate_blocks)
		append(why, size, " autoAllocateBlocks is false;");
	else if (claim_blocked_by_limit)
		append(why, size, " node holds %zu blocks, maxBlocksPerHost is %d;", held,
		       in->max_blocks_per_host);
	else
		append(why, size, " every block of these pools is claimed;");
	if (in->strict_affinity)
		append(why, size, " strictAffinity forbids borrowing from other nodes' blocks");
	else
		append(why, size, " no other node's block has a free address");
}

int ipam_plan_next(const struct ipam_plan_input *in, struct ipam_plan *out)
{
	struct cidr *taken = NULL;
	size_t *order = NULL;
	size_t count, held, i, r, ntaken = 0;
	bool limited = false;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	if (!in->node || !in->pools)
		return -EINVAL;
	order = calloc(in->block_count + 1, sizeof(*order));
	taken = calloc(in->block_count + in->excluded_count + 1, sizeof(*taken));
	if (!order || !taken) {
		ret = -ENOMEM;
		goto out;
	}
	ipam_order_affine(in->blocks, in->block_count, in->node, order, &count);
	if (count) {
		out->kind = IPAM_PLAN_AFFINE;
		out->block = order[0];
		goto out;
	}
	held = ipam_plan_affine_count(in);
	if (in->auto_allocate_blocks && ipam_may_claim(held, in->max_blocks_per_host)) {
		for (i = 0; i < in->block_count; i++)
			taken[ntaken++] = in->blocks[i].cidr;
		for (i = 0; i < in->excluded_count; i++)
			taken[ntaken++] = in->excluded[i];
		for (r = 0; r < in->pool_count; r++) {
			const struct ippool *p = in->pools[r];

			if (!p->cidr_ok)
				continue;
			ret = ipam_pick_unclaimed(&p->net, (unsigned)p->block_size, taken, ntaken,
						  &out->claim);
			if (ret == 0) {
				out->kind = IPAM_PLAN_CLAIM;
				out->pool_rank = r;
				goto out;
			}
			if (ret == -ENOMEM)
				goto out;
			ret = 0; /* -ENOSPC or a bad blockSize: try the next pool */
		}
	} else if (in->auto_allocate_blocks) {
		limited = true;
	}
	if (!in->strict_affinity) {
		ipam_order_borrow(in->blocks, in->block_count, in->node, order, &count);
		if (count) {
			out->kind = IPAM_PLAN_BORROW;
			out->block = order[0];
			goto out;
		}
	}
	out->kind = IPAM_PLAN_EXHAUSTED;
	explain(in, held, limited, out->why, sizeof(out->why));
out:
	free(order);
	free(taken);
	return ret;
}
