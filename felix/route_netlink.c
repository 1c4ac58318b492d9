/* route_netlink: route_mgr's shim over raw rtnetlink (see route_netlink.h).
 *
 * Translation rules between struct route_entry and rtmsg:
 *  - table: rtm_table holds tables < 256 directly and RTA_TABLE always
 *    carries the full number (tables above 255 only fit there);
 *  - onlink is RTNH_F_ONLINK in rtm_flags, both ways;
 *  - unicast/blackhole/unreachable map to RTN_*; a route of another type is
 *    dumped as "unreachable with no device" only if it is ours, which makes
 *    the manager see it as different and rewrite or delete it;
 *  - device names are resolved with one RTM_GETLINK dump per call, which is
 *    cheaper than one if_nametoindex() ioctl per route at 10k routes.
 * Routes are written without RTA_PRIORITY (metric 0 for IPv4, the kernel's
 * 1024 for IPv6), so NLM_F_REPLACE always targets the same kernel entry. */
#include "route_netlink.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/rtnetlink.h>

struct dump_ctx {
	uint8_t protocol;
	struct rtnl_links links;
	struct route_entry *items;
	size_t n, cap;
	size_t family_start; /* where the family being dumped began */
};

/* An interrupted dump restarts only the current family's part. */
static void dump_reset(void *ctx)
{
	struct dump_ctx *c = ctx;

	c->n = c->family_start;
}

static void copy_addr(int family, const struct rtattr *rta, struct ip_addr *out)
{
	size_t len = family == AF_INET ? 4 : 16;

	memset(out, 0, sizeof(*out));
	out->family = family;
	if (rta && RTA_PAYLOAD(rta) >= len)
		memcpy(out->bytes, RTA_DATA(rta), len);
}

static int route_msg(const struct nlmsghdr *h, void *vctx)
{
	struct dump_ctx *c = vctx;
	const struct rtmsg *rtm = NLMSG_DATA(h);
	struct rtattr *tb[RTA_MAX + 1];
	struct route_entry *r;
	uint32_t table;

	if (h->nlmsg_type != RTM_NEWROUTE || h->nlmsg_len < NLMSG_LENGTH(sizeof(*rtm)))
		return 0;
	if (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6)
		return 0;
	if (rtm->rtm_flags & RTM_F_CLONED)
		return 0;
	rtnl_attr_parse(tb, RTA_MAX, RTM_RTA(rtm), h->nlmsg_len - NLMSG_LENGTH(sizeof(*rtm)));
	table = tb[RTA_TABLE] ? *(uint32_t *)RTA_DATA(tb[RTA_TABLE]) : rtm->rtm_table;
	if (table == RT_TABLE_LOCAL)
		return 0;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 256;
		struct route_entry *items = realloc(c->items, cap * sizeof(*items));

		if (!items)
			return -ENOMEM;
		c->items = items;
		c->cap = cap;
	}
	r = &c->items[c->n];
	memset(r, 0, sizeof(*r));
	r->table = table;
	copy_addr(rtm->rtm_family, tb[RTA_DST], &r->dst.addr);
	r->dst.prefix_len = rtm->rtm_dst_len;
	r->protocol = rtm->rtm_protocol;
	r->scope = rtm->rtm_scope;
	r->onlink = (rtm->rtm_flags & RTNH_F_ONLINK) != 0;
	switch (rtm->rtm_type) {
	case RTN_UNICAST:
		r->type = ROUTE_TYPE_UNICAST;
		break;
	case RTN_BLACKHOLE:
		r->type = ROUTE_TYPE_BLACKHOLE;
		break;
	case RTN_UNREACHABLE:
		r->type = ROUTE_TYPE_UNREACHABLE;
		break;
	default:
		if (rtm->rtm_protocol != c->protocol)
			return 0; /* e.g. broadcast/anycast entries: not ours */
		r->type = ROUTE_TYPE_UNREACHABLE;
		r->scope = 0xff; /* never equal to anything we want */
		break;
	}
	/* IPv6 reports blackhole/unreachable routes "dev lo"; the device of
	 * a route that forwards nowhere is not part of what we compare. */
	if (!tb[RTA_MULTIPATH] && r->type == ROUTE_TYPE_UNICAST) {
		if (tb[RTA_GATEWAY]) {
			r->has_gw = true;
			copy_addr(rtm->rtm_family, tb[RTA_GATEWAY], &r->gw);
		}
		if (tb[RTA_OIF]) {
			const char *name = rtnl_links_name(&c->links,
							   *(int *)RTA_DATA(tb[RTA_OIF]));

			/* An index we cannot name cannot equal a wanted
			 * device, so the route is rewritten: fine. */
			snprintf(r->ifname, sizeof(r->ifname), "%s", name ? name : "?");
		}
	}
	c->n++;
	return 0;
}

int route_netlink_dump(struct rtnl *nl, uint8_t protocol, struct route_entry **out, size_t *n)
{
	static const int families[] = {AF_INET, AF_INET6};
	struct dump_ctx c = {.protocol = protocol};
	size_t f;
	int rc;

	*out = NULL;
	*n = 0;
	rc = rtnl_links_load(nl, &c.links);
	if (rc < 0)
		return rc;
	for (f = 0; f < 2; f++) {
		struct rtmsg rtm = {.rtm_family = (unsigned char)families[f]};

		c.family_start = c.n;
		rc = rtnl_dump(nl, RTM_GETROUTE, &rtm, sizeof(rtm), route_msg, dump_reset, &c);
		if (rc < 0)
			goto out;
	}
	*out = c.items;
	*n = c.n;
	c.items = NULL;
out:
	free(c.items);
	rtnl_links_free(&c.links);
	return rc;
}

struct write_ctx {
	const struct route_entry *routes;
	struct rtnl_links links;
	bool del;
};

static int build_route(size_t i, struct nlmsghdr *h, void *vctx)
{
	struct write_ctx *c = vctx;
	const struct route_entry *r = &c->routes[i];
	struct rtmsg *rtm = NLMSG_DATA(h);
	int family = r->dst.addr.family;
	size_t alen = family == AF_INET ? 4 : 16;
	uint32_t table = r->table ? r->table : RT_TABLE_MAIN;
	int rc = 0;

	if (family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	h->nlmsg_len = NLMSG_LENGTH(sizeof(*rtm));
	rtm->rtm_family = (unsigned char)family;
	rtm->rtm_dst_len = (unsigned char)r->dst.prefix_len;
	rtm->rtm_table = table < 256 ? (unsigned char)table : RT_TABLE_UNSPEC;
	rtm->rtm_protocol = r->protocol;
	if (c->del) {
		/* Match any type and scope, but only our protocol. */
		h->nlmsg_type = RTM_DELROUTE;
		rtm->rtm_scope = RT_SCOPE_NOWHERE;
		rtm->rtm_type = RTN_UNSPEC;
	} else {
		h->nlmsg_type = RTM_NEWROUTE;
		h->nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
		rtm->rtm_scope = r->scope;
		rtm->rtm_type = r->type == ROUTE_TYPE_BLACKHOLE     ? RTN_BLACKHOLE
				: r->type == ROUTE_TYPE_UNREACHABLE ? RTN_UNREACHABLE
								    : RTN_UNICAST;
		if (r->onlink)
			rtm->rtm_flags |= RTNH_F_ONLINK;
	}
	if (r->dst.prefix_len)
		rc = rtnl_attr_put(h, RTA_DST, r->dst.addr.bytes, alen);
	if (!rc)
		rc = rtnl_attr_put_u32(h, RTA_TABLE, table);
	if (c->del)
		return rc;
	if (!rc && r->has_gw) {
		if (r->gw.family != family)
			return -EAFNOSUPPORT;
		rc = rtnl_attr_put(h, RTA_GATEWAY, r->gw.bytes, alen);
	}
	if (!rc && r->ifname[0]) {
		int ifindex = rtnl_links_index(&c->links, r->ifname);

		if (!ifindex)
			return -ENODEV;
		rc = rtnl_attr_put_u32(h, RTA_OIF, (uint32_t)ifindex);
	}
	return rc;
}

static int write_batch(struct rtnl *nl, const struct route_entry *routes, size_t n, int *errs,
		       bool del)
{
	struct write_ctx c = {.routes = routes, .del = del};
	size_t i;
	int rc;

	if (!del) {
		rc = rtnl_links_load(nl, &c.links);
		if (rc < 0)
			return rc;
	}
	rc = rtnl_batch(nl, n, build_route, &c, errs);
	if (del)
		for (i = 0; i < n; i++)
			if (errs[i] == -ESRCH || errs[i] == -ENOENT)
				errs[i] = 0;
	rtnl_links_free(&c.links);
	return rc;
}

int route_netlink_replace_batch(struct rtnl *nl, const struct route_entry *routes, size_t n,
				int *errs)
{
	return write_batch(nl, routes, n, errs, false);
}

int route_netlink_delete_batch(struct rtnl *nl, const struct route_entry *routes, size_t n,
			       int *errs)
{
	return write_batch(nl, routes, n, errs, true);
}

static int dp_dump(void *ctx, uint8_t protocol, struct route_entry **out, size_t *n)
{
	return route_netlink_dump(ctx, protocol, out, n);
}

static int dp_replace(void *ctx, const struct route_entry *routes, size_t n, int *errs)
{
	return route_netlink_replace_batch(ctx, routes, n, errs);
}

static int dp_delete(void *ctx, const struct route_entry *routes, size_t n, int *errs)
{
	return route_netlink_delete_batch(ctx, routes, n, errs);
}

void route_netlink_dataplane(struct rtnl *nl, struct route_dataplane *dp)
{
	dp->dump = dp_dump;
	dp->replace_batch = dp_replace;
	dp->delete_batch = dp_delete;
	dp->ctx = nl;
}
