/* vxlan_netlink: vxlan_mgr's shim over raw rtnetlink (see vxlan_netlink.h).
 *
 * Message shapes (what `ip link add type vxlan`, `ip neigh replace` and
 * `bridge fdb replace ... self permanent` send):
 *  - device: RTM_NEWLINK with IFLA_LINKINFO { kind "vxlan", data { ID,
 *    PORT (network order), LEARNING 0, LOCAL } } and IFLA_MTU;
 *  - neighbour: RTM_NEWNEIGH, AF_INET, NUD_PERMANENT, NDA_DST + NDA_LLADDR;
 *  - FDB entry: RTM_NEWNEIGH, AF_BRIDGE, NTF_SELF (the vxlan device's own
 *    table, not a bridge's), NUD_PERMANENT, NDA_LLADDR + NDA_DST.
 * Dumps ask for everything of the family and filter on the ifindex here:
 * strict dump checking rejects some header filters on older kernels, and
 * the kernel filtering is only an optimisation. */
#include "vxlan_netlink.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <net/if.h>

/* ---- link ---- */

static int parse_link(const struct nlmsghdr *h, void *vctx)
{
	struct vxlan_link_state *out = vctx;
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	struct rtattr *tb[IFLA_MAX + 1], *li[IFLA_INFO_MAX + 1], *vx[IFLA_VXLAN_MAX + 1];

	if (h->nlmsg_type != RTM_NEWLINK || h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return -EPROTO;
	memset(out, 0, sizeof(*out));
	out->ifindex = ifi->ifi_index;
	out->up = (ifi->ifi_flags & IFF_UP) != 0;
	rtnl_attr_parse(tb, IFLA_MAX, IFLA_RTA(ifi), h->nlmsg_len - NLMSG_LENGTH(sizeof(*ifi)));
	if (tb[IFLA_MTU])
		out->mtu = *(uint32_t *)RTA_DATA(tb[IFLA_MTU]);
	if (tb[IFLA_ADDRESS] && RTA_PAYLOAD(tb[IFLA_ADDRESS]) == 6)
		memcpy(out->mac, RTA_DATA(tb[IFLA_ADDRESS]), 6);
	if (!tb[IFLA_LINKINFO])
		return 0;
	rtnl_attr_parse(li, IFLA_INFO_MAX, RTA_DATA(tb[IFLA_LINKINFO]),
			RTA_PAYLOAD(tb[IFLA_LINKINFO]));
	if (li[IFLA_INFO_KIND])
		snprintf(out->kind, sizeof(out->kind), "%.*s",
			 (int)RTA_PAYLOAD(li[IFLA_INFO_KIND]), (char *)RTA_DATA(li[IFLA_INFO_KIND]));
	if (strcmp(out->kind, "vxlan") != 0 || !li[IFLA_INFO_DATA])
		return 0;
	rtnl_attr_parse(vx, IFLA_VXLAN_MAX, RTA_DATA(li[IFLA_INFO_DATA]),
			RTA_PAYLOAD(li[IFLA_INFO_DATA]));
	if (vx[IFLA_VXLAN_ID])
		out->vni = *(uint32_t *)RTA_DATA(vx[IFLA_VXLAN_ID]);
	if (vx[IFLA_VXLAN_PORT])
		out->port = ntohs(*(uint16_t *)RTA_DATA(vx[IFLA_VXLAN_PORT]));
	if (vx[IFLA_VXLAN_LEARNING])
		out->learning = *(uint8_t *)RTA_DATA(vx[IFLA_VXLAN_LEARNING]) != 0;
	if (vx[IFLA_VXLAN_LOCAL] && RTA_PAYLOAD(vx[IFLA_VXLAN_LOCAL]) >= 4) {
		uint32_t any = 0;

		if (memcmp(RTA_DATA(vx[IFLA_VXLAN_LOCAL]), &any, 4) != 0) {
			out->has_local = true;
			out->local.family = AF_INET;
			memcpy(out->local.bytes, RTA_DATA(vx[IFLA_VXLAN_LOCAL]), 4);
		}
	}
	return 0;
}

int vxlan_netlink_link_get(struct rtnl *nl, const char *name, struct vxlan_link_state *out)
{
	char buf[RTNL_MSG_MAX] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	struct ifinfomsg *ifi = NLMSG_DATA(h);
	int rc;

	memset(buf, 0, sizeof(buf));
	h->nlmsg_len = NLMSG_LENGTH(sizeof(*ifi));
	h->nlmsg_type = RTM_GETLINK;
	ifi->ifi_family = AF_UNSPEC;
	rc = rtnl_attr_put(h, IFLA_IFNAME, name, strlen(name) + 1);
	if (rc < 0)
		return rc;
	return rtnl_get(nl, h, parse_link, out);
}

struct one_msg {
	void (*build)(struct nlmsghdr *h, const void *arg);
	const void *arg;
	int rc;
};

/* Run a single write request with an ack (a batch of one). */
static int build_one(size_t i, struct nlmsghdr *h, void *ctx)
{
	struct one_msg *m = ctx;

	(void)i;
	m->build(h, m->arg);
	return m->rc;
}

static int request_one(struct rtnl *nl, void (*build)(struct nlmsghdr *, const void *),
		       const void *arg)
{
	struct one_msg m = {build, arg, 0};
	int err = 0, rc;

	rc = rtnl_batch(nl, 1, build_one, &m, &err);
	return rc < 0 ? rc : err;
}

static void build_create(struct nlmsghdr *h, const void *arg)
{
	const struct vxlan_device_spec *spec = arg;
	struct ifinfomsg *ifi = NLMSG_DATA(h);
	struct rtattr *info, *data;
	uint16_t port = htons(spec->port);
	uint8_t learning = 0;

	h->nlmsg_len = NLMSG_LENGTH(sizeof(*ifi));
	h->nlmsg_type = RTM_NEWLINK;
	h->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	ifi->ifi_family = AF_UNSPEC;
	rtnl_attr_put(h, IFLA_IFNAME, spec->name, strlen(spec->name) + 1);
	if (spec->mtu)
		rtnl_attr_put_u32(h, IFLA_MTU, spec->mtu);
	if (spec->has_mac)
		rtnl_attr_put(h, IFLA_ADDRESS, spec->mac, 6);
	info = rtnl_nest_start(h, IFLA_LINKINFO);
	rtnl_attr_put(h, IFLA_INFO_KIND, "vxlan", 5);
	data = rtnl_nest_start(h, IFLA_INFO_DATA);
	rtnl_attr_put_u32(h, IFLA_VXLAN_ID, spec->vni);
	rtnl_attr_put(h, IFLA_VXLAN_PORT, &port, sizeof(port));
	rtnl_attr_put(h, IFLA_VXLAN_LEARNING, &learning, sizeof(learning));
	if (spec->has_local && spec->local.family == AF_INET)
		rtnl_attr_put(h, IFLA_VXLAN_LOCAL, spec->local.bytes, 4);
	rtnl_nest_end(h, data);
	rtnl_nest_end(h, info);
}

int vxlan_netlink_link_create(struct rtnl *nl, const struct vxlan_device_spec *spec)
{
	return request_one(nl, build_create, spec);
}

struct link_change {
	int ifindex;
	unsigned mtu;
	const uint8_t *mac;
	bool up;
	bool del;
};

static void build_link_change(struct nlmsghdr *h, const void *arg)
{
	const struct link_change *c = arg;
	struct ifinfomsg *ifi = NLMSG_DATA(h);

	h->nlmsg_len = NLMSG_LENGTH(sizeof(*ifi));
	h->nlmsg_type = c->del ? RTM_DELLINK : RTM_NEWLINK;
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = c->ifindex;
	if (c->del)
		return;
	ifi->ifi_change = IFF_UP;
	ifi->ifi_flags = c->up ? IFF_UP : 0;
	if (c->mtu)
		rtnl_attr_put_u32(h, IFLA_MTU, c->mtu);
	if (c->mac)
		rtnl_attr_put(h, IFLA_ADDRESS, c->mac, 6);
}

int vxlan_netlink_link_delete(struct rtnl *nl, int ifindex)
{
	struct link_change c = {.ifindex = ifindex, .del = true};
	int rc = request_one(nl, build_link_change, &c);

	return rc == -ENODEV ? 0 : rc;
}

int vxlan_netlink_link_set(struct rtnl *nl, int ifindex, unsigned mtu, const uint8_t *mac,
			   bool up)
{
	struct link_change c = {.ifindex = ifindex, .mtu = mtu, .mac = mac, .up = up};

	return request_one(nl, build_link_change, &c);
}

/* ---- addresses ---- */

struct addr_collect {
	int ifindex;
	struct cidr *items;
	size_t n, cap, start;
};

static void addr_reset(void *ctx)
{
	struct addr_collect *c = ctx;

	c->n = c->start;
}

static int addr_msg(const struct nlmsghdr *h, void *vctx)
{
	struct addr_collect *c = vctx;
	const struct ifaddrmsg *ifa = NLMSG_DATA(h);
	struct rtattr *tb[IFA_MAX + 1], *a;
	size_t len;

	if (h->nlmsg_type != RTM_NEWADDR || h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifa)) ||
	    (int)ifa->ifa_index != c->ifindex)
		return 0;
	if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)
		return 0;
	rtnl_attr_parse(tb, IFA_MAX, IFA_RTA(ifa), h->nlmsg_len - NLMSG_LENGTH(sizeof(*ifa)));
	a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	len = ifa->ifa_family == AF_INET ? 4 : 16;
	if (!a || RTA_PAYLOAD(a) < len)
		return 0;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 8;
		struct cidr *items = realloc(c->items, cap * sizeof(*items));

		if (!items)
			return -ENOMEM;
		c->items = items;
		c->cap = cap;
	}
	memset(&c->items[c->n], 0, sizeof(c->items[c->n]));
	c->items[c->n].addr.family = ifa->ifa_family;
	memcpy(c->items[c->n].addr.bytes, RTA_DATA(a), len);
	c->items[c->n].prefix_len = ifa->ifa_prefixlen;
	c->n++;
	return 0;
}

int vxlan_netlink_addr_list(struct rtnl *nl, int ifindex, struct cidr **out, size_t *n)
{
	struct ifaddrmsg ifa = {.ifa_family = AF_UNSPEC};
	struct addr_collect c = {.ifindex = ifindex};
	int rc;

	*out = NULL;
	*n = 0;
	rc = rtnl_dump(nl, RTM_GETADDR, &ifa, sizeof(ifa), addr_msg, addr_reset, &c);
	if (rc < 0) {
		free(c.items);
		return rc;
	}
	*out = c.items;
	*n = c.n;
	return 0;
}

struct addr_change {
	int ifindex;
	const struct cidr *addr;
	bool del;
};

static void build_addr(struct nlmsghdr *h, const void *arg)
{
	const struct addr_change *c = arg;
	struct ifaddrmsg *ifa = NLMSG_DATA(h);
	size_t len = c->addr->addr.family == AF_INET ? 4 : 16;

	h->nlmsg_len = NLMSG_LENGTH(sizeof(*ifa));
	h->nlmsg_type = c->del ? RTM_DELADDR : RTM_NEWADDR;
	h->nlmsg_flags = c->del ? 0 : NLM_F_CREATE | NLM_F_REPLACE;
	ifa->ifa_family = (unsigned char)c->addr->addr.family;
	ifa->ifa_prefixlen = (unsigned char)c->addr->prefix_len;
	ifa->ifa_index = (unsigned)c->ifindex;
	rtnl_attr_put(h, IFA_LOCAL, c->addr->addr.bytes, len);
	rtnl_attr_put(h, IFA_ADDRESS, c->addr->addr.bytes, len);
}

int vxlan_netlink_addr_add(struct rtnl *nl, int ifindex, const struct cidr *addr)
{
	struct addr_change c = {ifindex, addr, false};

	return request_one(nl, build_addr, &c);
}

int vxlan_netlink_addr_del(struct rtnl *nl, int ifindex, const struct cidr *addr)
{
	struct addr_change c = {ifindex, addr, true};
	int rc = request_one(nl, build_addr, &c);

	return rc == -EADDRNOTAVAIL ? 0 : rc;
}

/* ---- neighbour and FDB entries ---- */

struct entry_collect {
	int ifindex;
	enum vxlan_entry_kind kind;
	struct vxlan_entry *items;
	size_t n, cap, start;
};

static void entry_reset(void *ctx)
{
	struct entry_collect *c = ctx;

	c->n = c->start;
}

static int entry_msg(const struct nlmsghdr *h, void *vctx)
{
	struct entry_collect *c = vctx;
	const struct ndmsg *nd = NLMSG_DATA(h);
	struct rtattr *tb[NDA_MAX + 1];
	struct vxlan_entry *e;

	if (h->nlmsg_type != RTM_NEWNEIGH || h->nlmsg_len < NLMSG_LENGTH(sizeof(*nd)) ||
	    nd->ndm_ifindex != c->ifindex)
		return 0;
	if (c->kind == VXLAN_ENTRY_NEIGH && !(nd->ndm_state & NUD_PERMANENT))
		return 0; /* the kernel's own resolution attempts are not ours */
	rtnl_attr_parse(tb, NDA_MAX, (struct rtattr *)((char *)nd + NLMSG_ALIGN(sizeof(*nd))),
			h->nlmsg_len - NLMSG_LENGTH(sizeof(*nd)));
	if (!tb[NDA_LLADDR] || RTA_PAYLOAD(tb[NDA_LLADDR]) != 6)
		return 0;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 32;
		struct vxlan_entry *items = realloc(c->items, cap * sizeof(*items));

		if (!items)
			return -ENOMEM;
		c->items = items;
		c->cap = cap;
	}
	e = &c->items[c->n++];
	memset(e, 0, sizeof(*e));
	e->kind = c->kind;
	memcpy(e->mac, RTA_DATA(tb[NDA_LLADDR]), 6);
	if (tb[NDA_DST] && RTA_PAYLOAD(tb[NDA_DST]) == 4) {
		e->ip.family = AF_INET;
		memcpy(e->ip.bytes, RTA_DATA(tb[NDA_DST]), 4);
	} else if (tb[NDA_DST] && RTA_PAYLOAD(tb[NDA_DST]) == 16) {
		e->ip.family = AF_INET6;
		memcpy(e->ip.bytes, RTA_DATA(tb[NDA_DST]), 16);
	}
	return 0;
}

int vxlan_netlink_dump_entries(struct rtnl *nl, int ifindex, struct vxlan_entry **out,
			       size_t *n)
{
	struct entry_collect c = {.ifindex = ifindex};
	struct ndmsg nd;
	int rc;

	*out = NULL;
	*n = 0;
	memset(&nd, 0, sizeof(nd));
	nd.ndm_family = AF_INET;
	c.kind = VXLAN_ENTRY_NEIGH;
	rc = rtnl_dump(nl, RTM_GETNEIGH, &nd, sizeof(nd), entry_msg, entry_reset, &c);
	if (rc < 0)
		goto fail;
	nd.ndm_family = AF_BRIDGE;
	c.kind = VXLAN_ENTRY_FDB;
	c.start = c.n;
	rc = rtnl_dump(nl, RTM_GETNEIGH, &nd, sizeof(nd), entry_msg, entry_reset, &c);
	if (rc < 0)
		goto fail;
	*out = c.items;
	*n = c.n;
	return 0;
fail:
	free(c.items);
	return rc;
}

struct entry_write {
	int ifindex;
	const struct vxlan_entry *entries;
	bool del;
};

static int build_entry(size_t i, struct nlmsghdr *h, void *vctx)
{
	struct entry_write *w = vctx;
	const struct vxlan_entry *e = &w->entries[i];
	struct ndmsg *nd = NLMSG_DATA(h);
	size_t len = e->ip.family == AF_INET ? 4 : 16;
	int rc;

	if (e->ip.family != AF_INET && e->ip.family != AF_INET6)
		return -EAFNOSUPPORT;
	h->nlmsg_len = NLMSG_LENGTH(sizeof(*nd));
	h->nlmsg_type = w->del ? RTM_DELNEIGH : RTM_NEWNEIGH;
	h->nlmsg_flags = w->del ? 0 : NLM_F_CREATE | NLM_F_REPLACE;
	nd->ndm_ifindex = w->ifindex;
	nd->ndm_state = NUD_PERMANENT;
	if (e->kind == VXLAN_ENTRY_FDB) {
		nd->ndm_family = AF_BRIDGE;
		nd->ndm_flags = NTF_SELF;
	} else {
		nd->ndm_family = AF_INET;
	}
	rc = rtnl_attr_put(h, NDA_LLADDR, e->mac, 6);
	if (!rc)
		rc = rtnl_attr_put(h, NDA_DST, e->ip.bytes, len);
	return rc;
}

static int write_entries(struct rtnl *nl, int ifindex, const struct vxlan_entry *e, size_t n,
			 int *errs, bool del)
{
	struct entry_write w = {ifindex, e, del};
	size_t i;
	int rc = rtnl_batch(nl, n, build_entry, &w, errs);

	if (del)
		for (i = 0; i < n; i++)
			if (errs[i] == -ENOENT)
				errs[i] = 0;
	return rc;
}

int vxlan_netlink_replace_entries(struct rtnl *nl, int ifindex, const struct vxlan_entry *e,
				  size_t n, int *errs)
{
	return write_entries(nl, ifindex, e, n, errs, false);
}

int vxlan_netlink_delete_entries(struct rtnl *nl, int ifindex, const struct vxlan_entry *e,
				 size_t n, int *errs)
{
	return write_entries(nl, ifindex, e, n, errs, true);
}

/* ---- the shim ---- */

static int dp_link_get(void *ctx, const char *name, struct vxlan_link_state *out)
{
	return vxlan_netlink_link_get(ctx, name, out);
}

static int dp_link_create(void *ctx, const struct vxlan_device_spec *spec)
{
	return vxlan_netlink_link_create(ctx, spec);
}

static int dp_link_delete(void *ctx, int ifindex)
{
	return vxlan_netlink_link_delete(ctx, ifindex);
}

static int dp_link_set(void *ctx, int ifindex, unsigned mtu, const uint8_t *mac, bool up)
{
	return vxlan_netlink_link_set(ctx, ifindex, mtu, mac, up);
}

static int dp_addr_list(void *ctx, int ifindex, struct cidr **out, size_t *n)
{
	return vxlan_netlink_addr_list(ctx, ifindex, out, n);
}

static int dp_addr_add(void *ctx, int ifindex, const struct cidr *addr)
{
	return vxlan_netlink_addr_add(ctx, ifindex, addr);
}

static int dp_addr_del(void *ctx, int ifindex, const struct cidr *addr)
{
	return vxlan_netlink_addr_del(ctx, ifindex, addr);
}

static int dp_dump(void *ctx, int ifindex, struct vxlan_entry **out, size_t *n)
{
	return vxlan_netlink_dump_entries(ctx, ifindex, out, n);
}

static int dp_replace(void *ctx, int ifindex, const struct vxlan_entry *e, size_t n, int *errs)
{
	return vxlan_netlink_replace_entries(ctx, ifindex, e, n, errs);
}

static int dp_delete(void *ctx, int ifindex, const struct vxlan_entry *e, size_t n, int *errs)
{
	return vxlan_netlink_delete_entries(ctx, ifindex, e, n, errs);
}

void vxlan_netlink_dataplane(struct rtnl *nl, struct vxlan_dataplane *dp)
{
	dp->link_get = dp_link_get;
	dp->link_create = dp_link_create;
	dp->link_delete = dp_link_delete;
	dp->link_set = dp_link_set;
	dp->addr_list = dp_addr_list;
	dp->addr_add = dp_addr_add;
	dp->addr_del = dp_addr_del;
	dp->dump_entries = dp_dump;
	dp->replace_entries = dp_replace;
	dp->delete_entries = dp_delete;
	dp->ctx = nl;
}
