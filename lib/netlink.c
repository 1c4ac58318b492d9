/* netlink: thin wrappers over libnl-route-3 with errno returns.
 *
 * libnl keeps its own error space (NLE_*); callers in twill reason in errno
 * (-EEXIST means "already there", -ENODEV "gone"), so every libnl return is
 * mapped through nle_to_errno() at this boundary and nowhere else.
 * Objects (links, routes, addresses) are built per call and released before
 * returning: these helpers run a handful of times per CNI ADD, not per
 * packet, so clarity beats caching. Dumps for lookups use libnl caches that
 * live only for the call. */
#include "netlink.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <netlink/addr.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>

static int nle_to_errno(int nle)
{
	switch (nle < 0 ? -nle : nle) {
	case 0: return 0;
	case NLE_EXIST: return -EEXIST;
	case NLE_NODEV: return -ENODEV;
	case NLE_OBJ_NOTFOUND: return -ENOENT;
	case NLE_NOADDR: return -EADDRNOTAVAIL;
	case NLE_PERM: return -EPERM;
	case NLE_NOACCESS: return -EACCES;
	case NLE_INVAL: return -EINVAL;
	case NLE_RANGE: return -ERANGE;
	case NLE_NOMEM: return -ENOMEM;
	case NLE_BUSY: return -EBUSY;
	case NLE_AGAIN: return -EAGAIN;
	case NLE_OPNOTSUPP: return -EOPNOTSUPP;
	case NLE_AF_NOSUPPORT: return -EAFNOSUPPORT;
	case NLE_MSGSIZE: return -EMSGSIZE;
	case NLE_NOATTR: return -ENOENT;
	default: return -EIO;
	}
}

int netlink_open(struct nl_sock **out)
{
	struct nl_sock *sk = nl_socket_alloc();
	int ret;

	*out = NULL;
	if (!sk)
		return -ENOMEM;
	ret = nl_connect(sk, NETLINK_ROUTE);
	if (ret < 0) {
		nl_socket_free(sk);
		return nle_to_errno(ret);
	}
	*out = sk;
	return 0;
}

int netlink_open_in_netns(int netns_fd, struct nl_sock **out)
{
	int self, ret;

	*out = NULL;
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return -errno;
	if (setns(netns_fd, CLONE_NEWNET) < 0) {
		ret = -errno;
		goto out;
	}
	ret = netlink_open(out);
	/* Returning home must not fail silently: the caller would go on
	 * configuring the pod's namespace as if it were the host's. */
	if (setns(self, CLONE_NEWNET) < 0) {
		int err = -errno;

		netlink_close(*out);
		*out = NULL;
		ret = err;
	}
out:
	close(self);
	return ret;
}

void netlink_close(struct nl_sock *sk)
{
	if (sk)
		nl_socket_free(sk);
}

static void link_fill(struct rtnl_link *link, struct netlink_link *out)
{
	struct nl_addr *mac = rtnl_link_get_addr(link);
	const char *kind = rtnl_link_get_type(link);

	memset(out, 0, sizeof(*out));
	out->ifindex = rtnl_link_get_ifindex(link);
	out->mtu = rtnl_link_get_mtu(link);
	out->up = (rtnl_link_get_flags(link) & IFF_UP) != 0;
	if (mac && nl_addr_get_len(mac) == 6)
		memcpy(out->mac, nl_addr_get_binary_addr(mac), 6);
	snprintf(out->kind, sizeof(out->kind), "%s", kind ? kind : "");
	out->peer_ifindex = rtnl_link_get_link(link);
}

int netlink_link_get(struct nl_sock *sk, const char *name, struct netlink_link *out)
{
	struct rtnl_link *link = NULL;
	int ret;

	ret = rtnl_link_get_kernel(sk, 0, name, &link);
	if (ret < 0) {
		ret = nle_to_errno(ret);
		return ret == -ENOENT ? -ENODEV : ret;
	}
	link_fill(link, out);
	rtnl_link_put(link);
	return 0;
}

int netlink_link_get_by_index(struct nl_sock *sk, int ifindex, struct netlink_link *out,
			      char name[16])
{
	struct rtnl_link *link = NULL;
	int ret;

	ret = rtnl_link_get_kernel(sk, ifindex, NULL, &link);
	if (ret < 0) {
		ret = nle_to_errno(ret);
		return ret == -ENOENT ? -ENODEV : ret;
	}
	link_fill(link, out);
	if (name)
		snprintf(name, 16, "%s", rtnl_link_get_name(link) ? rtnl_link_get_name(link) : "");
	rtnl_link_put(link);
	return 0;
}

int netlink_link_delete(struct nl_sock *sk, const char *name)
{
	struct rtnl_link *link = rtnl_link_alloc();
	int ret;

	if (!link)
		return -ENOMEM;
	rtnl_link_set_name(link, name);
	ret = nle_to_errno(rtnl_link_delete(sk, link));
	rtnl_link_put(link);
	return ret == -ENODEV || ret == -ENOENT ? 0 : ret;
}

int netlink_link_set_up(struct nl_sock *sk, int ifindex)
{
	struct rtnl_link *orig = rtnl_link_alloc(), *change = rtnl_link_alloc();
	int ret = -ENOMEM;

	if (!orig || !change)
		goto out;
	rtnl_link_set_ifindex(orig, ifindex);
	rtnl_link_set_flags(change, IFF_UP);
	ret = nle_to_errno(rtnl_link_change(sk, orig, change, 0));
out:
	if (orig)
		rtnl_link_put(orig);
	if (change)
		rtnl_link_put(change);
	return ret;
}

int netlink_veth_create(struct nl_sock *sk, const char *host_name, const uint8_t host_mac[6],
			const char *peer_name, int peer_netns_fd, unsigned mtu)
{
	struct rtnl_link *host = rtnl_link_veth_alloc(), *peer = NULL;
	struct nl_addr *mac = NULL;
	int ret = -ENOMEM;

	if (!host)
		return -ENOMEM;
	peer = rtnl_link_veth_get_peer(host);
	if (!peer)
		goto out;
	rtnl_link_set_name(host, host_name);
	rtnl_link_set_name(peer, peer_name);
	rtnl_link_set_ns_fd(peer, peer_netns_fd);
	if (mtu) {
		rtnl_link_set_mtu(host, mtu);
		rtnl_link_set_mtu(peer, mtu);
	}
	if (host_mac) {
		mac = nl_addr_build(AF_LLC, host_mac, 6);
		if (!mac)
			goto out;
		rtnl_link_set_addr(host, mac);
	}
	ret = nle_to_errno(rtnl_link_add(sk, host, NLM_F_CREATE | NLM_F_EXCL));
out:
	if (mac)
		nl_addr_put(mac);
	if (peer)
		rtnl_link_put(peer);
	rtnl_link_veth_release(host);
	return ret;
}

static struct nl_addr *addr_from_cidr(const struct cidr *c, bool with_prefix)
{
	size_t len = c->addr.family == AF_INET ? 4 : 16;
	struct nl_addr *a = nl_addr_build(c->addr.family, c->addr.bytes, len);

	if (a)
		nl_addr_set_prefixlen(a, with_prefix ? (int)c->prefix_len : (int)len * 8);
	return a;
}

static int cidr_from_addr(struct nl_addr *a, struct cidr *out)
{
	unsigned len;

	memset(out, 0, sizeof(*out));
	if (!a)
		return -EINVAL;
	len = nl_addr_get_len(a);
	out->addr.family = nl_addr_get_family(a);
	if ((out->addr.family == AF_INET && len != 4) || (out->addr.family == AF_INET6 && len != 16))
		return -EINVAL;
	memcpy(out->addr.bytes, nl_addr_get_binary_addr(a), len);
	out->prefix_len = nl_addr_get_prefixlen(a);
	return 0;
}

int netlink_addr_add(struct nl_sock *sk, int ifindex, const struct cidr *c)
{
	struct rtnl_addr *addr = rtnl_addr_alloc();
	struct nl_addr *local = NULL;
	int ret = -ENOMEM;

	if (!addr)
		return -ENOMEM;
	local = addr_from_cidr(c, true);
	if (!local)
		goto out;
	rtnl_addr_set_ifindex(addr, ifindex);
	rtnl_addr_set_family(addr, c->addr.family);
	ret = nle_to_errno(rtnl_addr_set_local(addr, local));
	if (ret)
		goto out;
	rtnl_addr_set_prefixlen(addr, (int)c->prefix_len);
	if (c->addr.family == AF_INET6)
		rtnl_addr_set_flags(addr, IFA_F_NODAD);
	ret = nle_to_errno(rtnl_addr_add(sk, addr, 0));
out:
	if (local)
		nl_addr_put(local);
	rtnl_addr_put(addr);
	return ret;
}

int netlink_addr_list(struct nl_sock *sk, int ifindex, int family, struct cidr *out, size_t max,
		      size_t *n)
{
	struct nl_cache *cache = NULL;
	struct nl_object *obj;
	int ret;

	*n = 0;
	ret = nle_to_errno(rtnl_addr_alloc_cache(sk, &cache));
	if (ret)
		return ret;
	for (obj = nl_cache_get_first(cache); obj; obj = nl_cache_get_next(obj)) {
		struct rtnl_addr *a = (struct rtnl_addr *)obj;

		if (rtnl_addr_get_ifindex(a) != ifindex)
			continue;
		if (family != AF_UNSPEC && rtnl_addr_get_family(a) != family)
			continue;
		if (*n >= max) {
			ret = -ENOSPC;
			break;
		}
		if (cidr_from_addr(rtnl_addr_get_local(a), &out[*n]) == 0)
			(*n)++;
	}
	nl_cache_free(cache);
	return ret;
}

static struct rtnl_route *route_build(const struct netlink_route *r)
{
	struct rtnl_route *route = rtnl_route_alloc();
	struct rtnl_nexthop *nh = NULL;
	struct nl_addr *dst = NULL, *gw = NULL;

	if (!route)
		return NULL;
	dst = addr_from_cidr(&r->dst, true);
	if (!dst)
		goto fail;
	rtnl_route_set_family(route, (uint8_t)r->dst.addr.family);
	if (rtnl_route_set_dst(route, dst) < 0)
		goto fail;
	rtnl_route_set_table(route, r->table ? r->table : RT_TABLE_MAIN);
	rtnl_route_set_type(route, RTN_UNICAST);
	rtnl_route_set_scope(route, r->scope);
	rtnl_route_set_protocol(route, r->protocol);
	nh = rtnl_route_nh_alloc();
	if (!nh)
		goto fail;
	if (r->ifindex > 0)
		rtnl_route_nh_set_ifindex(nh, r->ifindex);
	if (r->has_gw) {
		struct cidr g = { .addr = r->gw, .prefix_len = ip_max_prefix(r->gw.family) };

		gw = addr_from_cidr(&g, false);
		if (!gw) {
			rtnl_route_nh_free(nh);
			goto fail;
		}
		rtnl_route_nh_set_gateway(nh, gw);
	}
	if (r->onlink)
		rtnl_route_nh_set_flags(nh, RTNH_F_ONLINK);
	rtnl_route_add_nexthop(route, nh);
	if (gw)
		nl_addr_put(gw);
	nl_addr_put(dst);
	return route;
fail:
	if (gw)
		nl_addr_put(gw);
	if (dst)
		nl_addr_put(dst);
	rtnl_route_put(route);
	return NULL;
}

int netlink_route_replace(struct nl_sock *sk, const struct netlink_route *r)
{
	struct rtnl_route *route = route_build(r);
	int ret;

	if (!route)
		return -ENOMEM;
	ret = nle_to_errno(rtnl_route_add(sk, route, NLM_F_CREATE | NLM_F_REPLACE));
	rtnl_route_put(route);
	return ret;
}

int netlink_route_delete(struct nl_sock *sk, const struct netlink_route *r)
{
	struct rtnl_route *route = route_build(r);
	int ret;

	if (!route)
		return -ENOMEM;
	ret = nle_to_errno(rtnl_route_delete(sk, route, 0));
	rtnl_route_put(route);
	/* ESRCH from the kernel arrives as NLE_OBJ_NOTFOUND */
	return ret == -ENOENT || ret == -ENODEV ? 0 : ret;
}

static void route_fill(struct rtnl_route *route, struct netlink_route *out)
{
	struct rtnl_nexthop *nh;
	struct cidr g;

	memset(out, 0, sizeof(*out));
	cidr_from_addr(rtnl_route_get_dst(route), &out->dst);
	out->scope = rtnl_route_get_scope(route);
	out->protocol = rtnl_route_get_protocol(route);
	out->table = rtnl_route_get_table(route);
	if (rtnl_route_get_nnexthops(route) < 1)
		return;
	nh = rtnl_route_nexthop_n(route, 0);
	out->ifindex = rtnl_route_nh_get_ifindex(nh);
	out->onlink = (rtnl_route_nh_get_flags(nh) & RTNH_F_ONLINK) != 0;
	if (rtnl_route_nh_get_gateway(nh) &&
	    cidr_from_addr(rtnl_route_nh_get_gateway(nh), &g) == 0) {
		out->has_gw = true;
		out->gw = g.addr;
	}
}

int netlink_route_find(struct nl_sock *sk, const struct cidr *dst, int ifindex,
		       struct netlink_route *out)
{
	struct nl_cache *cache = NULL;
	struct nl_object *obj;
	int ret;

	ret = nle_to_errno(rtnl_route_alloc_cache(sk, dst->addr.family, 0, &cache));
	if (ret)
		return ret;
	ret = -ENOENT;
	for (obj = nl_cache_get_first(cache); obj; obj = nl_cache_get_next(obj)) {
		struct netlink_route r;

		route_fill((struct rtnl_route *)obj, &r);
		if (r.table != (out->table ? out->table : RT_TABLE_MAIN) ||
		    r.dst.addr.family != dst->addr.family || !cidr_equal(&r.dst, dst))
			continue;
		if (ifindex > 0 && r.ifindex != ifindex)
			continue;
		*out = r;
		ret = 0;
		break;
	}
	nl_cache_free(cache);
	return ret;
}

int netlink_default_route_mtu(struct nl_sock *sk, int family, unsigned *mtu)
{
	struct netlink_route r;
	struct netlink_link link;
	struct cidr any;
	int ret;

	memset(&any, 0, sizeof(any));
	memset(&r, 0, sizeof(r));
	any.addr.family = family;
	ret = netlink_route_find(sk, &any, 0, &r);
	if (ret)
		return ret;
	if (r.ifindex <= 0)
		return -ENOENT;
	ret = netlink_link_get_by_index(sk, r.ifindex, &link, NULL);
	if (ret)
		return ret;
	*mtu = link.mtu;
	return 0;
}

static int sysctl_path(const char *relpath, char *buf, size_t size)
{
	int n;

	if (!relpath || strstr(relpath, "..") || relpath[0] == '/')
		return -EINVAL;
	n = snprintf(buf, size, "/proc/sys/net/%s", relpath);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int netlink_sysctl_write(const char *relpath, const char *value)
{
	char path[256];
	size_t len = strlen(value);
	ssize_t n;
	int fd, ret;

	if ((ret = sysctl_path(relpath, path, sizeof(path))))
		return ret;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, value, len);
	ret = n < 0 ? -errno : (size_t)n != len ? -EIO : 0;
	close(fd);
	return ret;
}

int netlink_sysctl_read(const char *relpath, char *buf, size_t size)
{
	char path[256];
	ssize_t n;
	int fd, ret;

	if (size == 0)
		return -EINVAL;
	if ((ret = sysctl_path(relpath, path, sizeof(path))))
		return ret;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	ret = n < 0 ? -errno : 0;
	close(fd);
	if (ret)
		return ret;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

void netlink_mac_format(const uint8_t mac[6], char *buf)
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
}
