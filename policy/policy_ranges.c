/* policy_ranges: interval arithmetic for nftables sets.
 *
 * Rectangles are made disjoint by sweeping the address axis: every
 * rectangle start and every end+1 is an event, so between two consecutive
 * event addresses the set of active (covering) rectangles is constant; its
 * port ranges are merged, and consecutive address slices with identical
 * port lists are joined again. The result is unique for a given set of
 * points (it does not depend on how the input was split), which is what
 * makes element-wise diffs between two compilations minimal. Cost is
 * O(n log n) for the sort plus the active set per event (small: the port
 * ranges overlapping one address). The top of the address space is
 * handled without overflow: an end at the family's maximum yields no end+1
 * event and the run still open at the end reaches the maximum. */
#include "policy_ranges.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

policy_u128 policy_addr_value(const struct ip_addr *ip)
{
	policy_u128 v = 0;
	int i, n = ip->family == AF_INET ? 4 : 16;

	for (i = 0; i < n; i++)
		v = (v << 8) | ip->bytes[i];
	return v;
}

void policy_addr_from_value(int family, policy_u128 v, struct ip_addr *out)
{
	int i, n = family == AF_INET ? 4 : 16;

	memset(out, 0, sizeof(*out));
	out->family = family;
	for (i = n - 1; i >= 0; i--) {
		out->bytes[i] = (uint8_t)(v & 0xff);
		v >>= 8;
	}
}

policy_u128 policy_addr_max(int family)
{
	return family == AF_INET ? (policy_u128)0xffffffffu : ~(policy_u128)0;
}

static void cidr_bounds(const struct cidr *c, policy_u128 *lo, policy_u128 *hi)
{
	unsigned bits = c->addr.family == AF_INET ? 32 : 128;
	unsigned host = bits - c->prefix_len;
	policy_u128 mask = host >= 128 ? ~(policy_u128)0 : (((policy_u128)1 << host) - 1);

	*lo = policy_addr_value(&c->addr) & ~mask;
	*hi = *lo | mask;
	*hi &= policy_addr_max(c->addr.family);
}

static int grow(void **items, size_t *cap, size_t count, size_t size)
{
	void *p;
	size_t ncap;

	if (count < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 16;
	p = realloc(*items, ncap * size);
	if (!p)
		return -ENOMEM;
	*items = p;
	*cap = ncap;
	return 0;
}

int policy_ranges_add(struct policy_range_list *l, policy_u128 lo, policy_u128 hi)
{
	if (grow((void **)&l->items, &l->cap, l->count, sizeof(*l->items)) < 0)
		return -ENOMEM;
	l->items[l->count].lo = lo;
	l->items[l->count].hi = hi;
	l->count++;
	return 0;
}

static int range_cmp(const void *a, const void *b)
{
	const struct policy_range *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	if (x->hi != y->hi)
		return x->hi < y->hi ? -1 : 1;
	return 0;
}

int policy_ranges_add_block(struct policy_range_list *l, const struct cidr *block,
			    const struct cidr *except, size_t except_count)
{
	struct policy_range_list ex = { 0 };
	policy_u128 lo, hi, cur, elo, ehi;
	size_t i;
	int rc = 0;

	if (block->addr.family != l->family)
		return 0;
	cidr_bounds(block, &lo, &hi);
	for (i = 0; i < except_count; i++) {
		if (except[i].addr.family != l->family)
			continue;
		cidr_bounds(&except[i], &elo, &ehi);
		if (ehi < lo || elo > hi)
			continue;
		rc = policy_ranges_add(&ex, elo < lo ? lo : elo, ehi > hi ? hi : ehi);
		if (rc < 0)
			goto out;
	}
	policy_ranges_normalise(&ex);
	cur = lo;
	for (i = 0; i < ex.count; i++) {
		if (ex.items[i].lo > cur) {
			rc = policy_ranges_add(l, cur, ex.items[i].lo - 1);
			if (rc < 0)
				goto out;
		}
		if (ex.items[i].hi == hi)
			goto out; /* the rest of the block is excepted */
		cur = ex.items[i].hi + 1;
	}
	rc = policy_ranges_add(l, cur, hi);
out:
	policy_ranges_free(&ex);
	return rc;
}

void policy_ranges_normalise(struct policy_range_list *l)
{
	size_t i, n = 0;

	if (l->count < 2)
		return;
	qsort(l->items, l->count, sizeof(*l->items), range_cmp);
	for (i = 1; i < l->count; i++) {
		struct policy_range *cur = &l->items[n];

		if (cur->hi == ~(policy_u128)0 || l->items[i].lo <= cur->hi + 1) {
			if (l->items[i].hi > cur->hi)
				cur->hi = l->items[i].hi;
		} else {
			l->items[++n] = l->items[i];
		}
	}
	l->count = n + 1;
}

void policy_ranges_free(struct policy_range_list *l)
{
	free(l->items);
	l->items = NULL;
	l->count = l->cap = 0;
}

int policy_rects_add(struct policy_rect_list *l, policy_u128 lo, policy_u128 hi,
		     enum model_protocol protocol, int port_lo, int port_hi)
{
	struct policy_rect *r;

	if (grow((void **)&l->items, &l->cap, l->count, sizeof(*l->items)) < 0)
		return -ENOMEM;
	r = &l->items[l->count++];
	r->lo = lo;
	r->hi = hi;
	r->protocol = protocol;
	r->port_lo = port_lo;
	r->port_hi = port_hi;
	return 0;
}

struct sweep_event {
	policy_u128 at;
	size_t rect;
	bool start;
};

static int event_cmp(const void *a, const void *b)
{
	const struct sweep_event *x = a, *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return x->rect < y->rect ? -1 : x->rect > y->rect;
}

/* The merged port ranges of the active rectangles. */
static int active_ports(const struct policy_rect_list *in, const size_t *active, size_t n,
			struct policy_range_list *ports)
{
	size_t i;
	int rc;

	ports->count = 0;
	for (i = 0; i < n; i++) {
		const struct policy_rect *r = &in->items[active[i]];

		rc = policy_ranges_add(ports, (policy_u128)r->port_lo, (policy_u128)r->port_hi);
		if (rc < 0)
			return rc;
	}
	policy_ranges_normalise(ports);
	return 0;
}

static bool same_ports(const struct policy_range_list *a, const struct policy_range_list *b)
{
	return a->count == b->count &&
	       (a->count == 0 || memcmp(a->items, b->items, a->count * sizeof(*a->items)) == 0);
}

static int emit(struct policy_rect_list *out, policy_u128 lo, policy_u128 hi,
		enum model_protocol p, const struct policy_range_list *ports)
{
	size_t i;
	int rc;

	for (i = 0; i < ports->count; i++) {
		rc = policy_rects_add(out, lo, hi, p, (int)ports->items[i].lo,
				      (int)ports->items[i].hi);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* One protocol: events sorted by address; between two distinct event
 * addresses the active set (and so the port list) is constant. */
static int sweep_protocol(const struct policy_rect_list *l, enum model_protocol p,
			  struct sweep_event *ev, size_t *active, struct policy_rect_list *out)
{
	struct policy_range_list cur = { 0 }, next = { 0 }, tmp;
	policy_u128 max = policy_addr_max(l->family), run_lo = 0;
	size_t i, k, n = 0, nactive = 0;
	bool open = false;
	int rc = 0;

	for (i = 0; i < l->count; i++) {
		if (l->items[i].protocol != p)
			continue;
		ev[n++] = (struct sweep_event){ l->items[i].lo, i, true };
		if (l->items[i].hi < max)
			ev[n++] = (struct sweep_event){ l->items[i].hi + 1, i, false };
	}
	qsort(ev, n, sizeof(*ev), event_cmp);
	for (i = 0; i < n;) {
		policy_u128 at = ev[i].at;

		for (; i < n && ev[i].at == at; i++) {
			if (ev[i].start) {
				active[nactive++] = ev[i].rect;
				continue;
			}
			for (k = 0; k < nactive; k++)
				if (active[k] == ev[i].rect) {
					active[k] = active[--nactive];
					break;
				}
		}
		rc = active_ports(l, active, nactive, &next);
		if (rc < 0)
			goto out;
		if (open && same_ports(&cur, &next))
			continue; /* the run goes on */
		if (open && cur.count) {
			rc = emit(out, run_lo, at - 1, p, &cur);
			if (rc < 0)
				goto out;
		}
		tmp = cur;
		cur = next;
		next = tmp;
		run_lo = at;
		open = true;
	}
	/* still active at the end: those rectangles reach the family's maximum */
	if (open && cur.count)
		rc = emit(out, run_lo, max, p, &cur);
out:
	policy_ranges_free(&cur);
	policy_ranges_free(&next);
	return rc;
}

int policy_rects_normalise(struct policy_rect_list *l)
{
	struct policy_rect_list out = { .family = l->family };
	struct sweep_event *ev = NULL;
	size_t *active = NULL;
	int p, rc = 0;

	if (l->count == 0)
		return 0;
	ev = calloc(2 * l->count, sizeof(*ev));
	active = calloc(l->count, sizeof(*active));
	if (!ev || !active) {
		rc = -ENOMEM;
		goto out;
	}
	for (p = MODEL_PROTO_TCP; p <= MODEL_PROTO_SCTP && rc == 0; p++)
		rc = sweep_protocol(l, (enum model_protocol)p, ev, active, &out);
	if (rc < 0)
		goto out;
	free(l->items);
	*l = out;
	out.items = NULL;
out:
	free(ev);
	free(active);
	free(out.items);
	return rc;
}

void policy_rects_free(struct policy_rect_list *l)
{
	free(l->items);
	l->items = NULL;
	l->count = l->cap = 0;
}

static int prefix_len_of(int family, policy_u128 lo, policy_u128 hi)
{
	unsigned bits = family == AF_INET ? 32 : 128, host;
	policy_u128 size_minus_1 = hi - lo;

	/* a prefix: size is a power of two and lo is aligned to it */
	if ((size_minus_1 & (size_minus_1 + 1)) != 0 || (lo & size_minus_1) != 0)
		return -1;
	for (host = 0; host < bits && ((size_minus_1 >> host) & 1); host++)
		;
	return (int)(bits - host);
}

const char *policy_range_format(int family, policy_u128 lo, policy_u128 hi, char *buf,
				size_t len)
{
	char a[IP_ADDR_STRLEN], b[IP_ADDR_STRLEN];
	struct ip_addr ip;
	int plen;

	policy_addr_from_value(family, lo, &ip);
	ip_format(&ip, a, sizeof(a));
	if (lo == hi) {
		snprintf(buf, len, "%s", a);
		return buf;
	}
	plen = prefix_len_of(family, lo, hi);
	if (plen >= 0) {
		snprintf(buf, len, "%s/%d", a, plen);
		return buf;
	}
	policy_addr_from_value(family, hi, &ip);
	ip_format(&ip, b, sizeof(b));
	snprintf(buf, len, "%s-%s", a, b);
	return buf;
}

const char *policy_nft_protocol(enum model_protocol p)
{
	switch (p) {
	case MODEL_PROTO_UDP:
		return "udp";
	case MODEL_PROTO_SCTP:
		return "sctp";
	case MODEL_PROTO_TCP:
		break;
	}
	return "tcp";
}
