/* ipip_netlink: ipip_mgr's shim over raw rtnetlink (see ipip_netlink.h).
 *
 * The link read reuses vxlan_netlink's RTM_GETLINK parser, which reports
 * kind, MTU and flags for any link; creation is the one message shape of
 * its own (`ip link add tunl0 type ipip`: a bare IFLA_LINKINFO with kind
 * "ipip" and no data, so the kernel's defaults — no local, no remote,
 * protocol IPIP — are what a fallback device has anyway). */
#include "ipip_netlink.h"

#include <errno.h>
#include <string.h>

#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include "vxlan_netlink.h"

int ipip_netlink_link_get(struct rtnl *nl, const char *name, struct ipip_link_state *out)
{
	struct vxlan_link_state l;
	int rc = vxlan_netlink_link_get(nl, name, &l);

	memset(out, 0, sizeof(*out));
	if (rc < 0)
		return rc;
	out->ifindex = l.ifindex;
	memcpy(out->kind, l.kind, sizeof(out->kind));
	out->mtu = l.mtu;
	out->up = l.up;
	return 0;
}

static int build_create(size_t i, struct nlmsghdr *h, void *ctx)
{
	const char *name = ctx;
	struct ifinfomsg *ifi = NLMSG_DATA(h);
	struct rtattr *info;
	int rc;

	(void)i;
	h->nlmsg_len = NLMSG_LENGTH(sizeof(*ifi));
	h->nlmsg_type = RTM_NEWLINK;
	h->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	ifi->ifi_family = AF_UNSPEC;
	rc = rtnl_attr_put(h, IFLA_IFNAME, name, strlen(name) + 1);
	if (rc < 0)
		return rc;
	info = rtnl_nest_start(h, IFLA_LINKINFO);
	if (!info)
		return -EMSGSIZE;
	rc = rtnl_attr_put(h, IFLA_INFO_KIND, "ipip", 4);
	rtnl_nest_end(h, info);
	return rc;
}

int ipip_netlink_link_create(struct rtnl *nl, const char *name)
{
	int err = 0, rc = rtnl_batch(nl, 1, build_create, (void *)name, &err);

	return rc < 0 ? rc : err;
}

static int dp_link_get(void *ctx, const char *name, struct ipip_link_state *out)
{
	return ipip_netlink_link_get(ctx, name, out);
}

static int dp_link_create(void *ctx, const char *name)
{
	return ipip_netlink_link_create(ctx, name);
}

static int dp_link_set(void *ctx, int ifindex, unsigned mtu, bool up)
{
	return vxlan_netlink_link_set(ctx, ifindex, mtu, NULL, up);
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

void ipip_netlink_dataplane(struct rtnl *nl, struct ipip_dataplane *dp)
{
	memset(dp, 0, sizeof(*dp));
	dp->link_get = dp_link_get;
	dp->link_create = dp_link_create;
	dp->link_set = dp_link_set;
	dp->addr_list = dp_addr_list;
	dp->addr_add = dp_addr_add;
	dp->addr_del = dp_addr_del;
	dp->ctx = nl;
}
