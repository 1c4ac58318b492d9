/* cni_check: verify the pod's network still matches prevResult.
 *
 * Checked: the IPAM plugin's own CHECK; the pod interface (exists, up, MAC
 * and MTU as reported); every address prevResult assigns to it; the default
 * route via the fixed gateway for each family in use; the host veth (exists,
 * up); and the host route <ip>/32 dev twX scope link proto 81 per address.
 * The first mismatch is reported (code 999, message naming the object). */
#include <errno.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <unistd.h>

#include "cidr.h"
#include "cni_plugin.h"
#include "cni_version.h"
#include "ipam_exec.h"
#include "netlink.h"
#include "netns.h"

static int check_pod(const struct cni_plugin *p, struct nl_sock *pod, const struct cni_result *prev,
		     int index, struct cni_error *err)
{
	const struct cni_interface *itf = &prev->interfaces[index];
	struct cidr have[32];
	struct netlink_link link;
	bool fam[2] = { false, false };
	char mac[18], text[CIDR_STRLEN];
	size_t n = 0, i, j;
	int ret;

	if ((ret = netlink_link_get(pod, p->env.ifname, &link)) < 0)
		return cni_error_set(err, CNI_ERR_INTERNAL, "CHECK: interface %s in %s: %s",
				     p->env.ifname, p->env.netns, strerror(-ret));
	if (!link.up)
		return cni_error_set(err, CNI_ERR_INTERNAL, "CHECK: interface %s is down",
				     p->env.ifname);
	netlink_mac_format(link.mac, mac);
	if (itf->mac[0] && strcasecmp(itf->mac, mac) != 0)
		return cni_error_set(err, CNI_ERR_INTERNAL,
				     "CHECK: interface %s has MAC %s, prevResult says %s",
				     p->env.ifname, mac, itf->mac);
	if (itf->mtu > 0 && link.mtu != (unsigned)itf->mtu)
		return cni_error_set(err, CNI_ERR_INTERNAL,
				     "CHECK: interface %s has MTU %u, prevResult says %d",
				     p->env.ifname, link.mtu, itf->mtu);
	if ((ret = netlink_addr_list(pod, link.ifindex, AF_UNSPEC, have, 32, &n)) < 0)
		return cni_error_set(err, CNI_ERR_IO, "CHECK: addresses of %s: %s", p->env.ifname,
				     strerror(-ret));
	for (i = 0; i < prev->n_ips; i++) {
		const struct cni_ip *ip = &prev->ips[i];

		if (ip->interface != index)
			continue;
		fam[ip->address.addr.family == AF_INET6] = true;
		for (j = 0; j < n; j++)
			if (ip_equal(&have[j].addr, &ip->address.addr) &&
			    have[j].prefix_len == ip->address.prefix_len)
				break;
		if (j == n) {
			cidr_format(&ip->address, text, sizeof(text));
			return cni_error_set(err, CNI_ERR_INTERNAL,
					     "CHECK: address %s missing on %s", text, p->env.ifname);
		}
	}
	for (i = 0; i < 2; i++) {
		struct netlink_route r;
		struct cidr any;
		struct ip_addr gw;

		if (!fam[i])
			continue;
		memset(&any, 0, sizeof(any));
		memset(&r, 0, sizeof(r));
		any.addr.family = i ? AF_INET6 : AF_INET;
		ip_parse(i ? CNI_GATEWAY_V6 : CNI_GATEWAY_V4, &gw);
		if (netlink_route_find(pod, &any, link.ifindex, &r) < 0 || !r.has_gw ||
		    !ip_equal(&r.gw, &gw))
			return cni_error_set(err, CNI_ERR_INTERNAL,
					     "CHECK: default route via %s dev %s missing",
					     i ? CNI_GATEWAY_V6 : CNI_GATEWAY_V4, p->env.ifname);
	}
	return 0;
}

static int check_host(const struct cni_plugin *p, struct nl_sock *host,
		      const struct cni_result *prev, int index, struct cni_error *err)
{
	struct netlink_link link;
	char text[CIDR_STRLEN];
	size_t i;
	int ret;

	if ((ret = netlink_link_get(host, p->host_veth, &link)) < 0)
		return cni_error_set(err, CNI_ERR_INTERNAL, "CHECK: host veth %s: %s",
				     p->host_veth, strerror(-ret));
	if (!link.up)
		return cni_error_set(err, CNI_ERR_INTERNAL, "CHECK: host veth %s is down",
				     p->host_veth);
	for (i = 0; i < prev->n_ips; i++) {
		struct netlink_route r;
		struct cidr dst;

		if (prev->ips[i].interface != index)
			continue;
		dst = prev->ips[i].address;
		dst.prefix_len = ip_max_prefix(dst.addr.family);
		cidr_format(&dst, text, sizeof(text));
		memset(&r, 0, sizeof(r));
		if (netlink_route_find(host, &dst, link.ifindex, &r) < 0)
			return cni_error_set(err, CNI_ERR_INTERNAL,
					     "CHECK: host route %s dev %s missing", text,
					     p->host_veth);
		/* IPv6 routes have no scope in the kernel (always universe). */
		if (r.protocol != TWILL_ROUTE_PROTOCOL ||
		    (dst.addr.family == AF_INET && r.scope != RT_SCOPE_LINK))
			return cni_error_set(err, CNI_ERR_INTERNAL,
					     "CHECK: host route %s dev %s has proto %u scope %u, "
					     "want proto %u scope link", text, p->host_veth,
					     r.protocol, r.scope, TWILL_ROUTE_PROTOCOL);
	}
	return 0;
}

int cni_cmd_check(struct cni_plugin *p, struct cni_error *err)
{
	struct cni_result prev, none;
	struct nl_sock *host = NULL, *pod = NULL;
	int fd = -1, index = -1, ret;
	size_t i;

	cni_result_init(&prev);
	if (!cni_version_has_check(p->cfg.cni_version))
		return cni_error_set(err, CNI_ERR_INCOMPATIBLE_VERSION,
				     "cniVersion: %s does not support CHECK (needs 0.4.0 or later)",
				     p->cfg.cni_version);
	if (!p->cfg.prev_result)
		return cni_error_set(err, CNI_ERR_INVALID_CONFIG, "prevResult: required for CHECK");
	if (cni_result_parse(p->cfg.prev_result, "prevResult", &prev, err) < 0)
		return err->code ? err->code
				 : cni_error_set(err, CNI_ERR_INTERNAL, "prevResult: out of memory");
	for (i = 0; i < prev.n_interfaces; i++)
		if (strcmp(prev.interfaces[i].name, p->env.ifname) == 0 && prev.interfaces[i].sandbox)
			index = (int)i;
	if (index < 0) {
		ret = cni_error_set(err, CNI_ERR_INVALID_CONFIG,
				    "prevResult.interfaces: no interface %s with a sandbox",
				    p->env.ifname);
		goto out;
	}
	if ((ret = cni_ipam_exec(p, CNI_CMD_CHECK, &none, err)))
		goto out;
	if ((ret = cni_netns_open(p->env.netns, &fd)) < 0) {
		ret = cni_error_set(err, CNI_ERR_INVALID_ENV, "CNI_NETNS: %s: %s", p->env.netns,
				    ret == -EINVAL ? "not a network namespace" : strerror(-ret));
		goto out;
	}
	if ((ret = netlink_open(&host)) < 0 || (ret = netlink_open_in_netns(fd, &pod)) < 0) {
		ret = cni_error_set(err, CNI_ERR_IO, "netlink: %s", strerror(-ret));
		goto out;
	}
	if ((ret = check_pod(p, pod, &prev, index, err)))
		goto out;
	ret = check_host(p, host, &prev, index, err);
out:
	netlink_close(pod);
	netlink_close(host);
	if (fd >= 0)
		close(fd);
	cni_result_free(&prev);
	return ret;
}
