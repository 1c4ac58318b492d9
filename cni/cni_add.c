/* cni_add: put one pod on the network.
 *
 * Order (each step recorded so the rollback undoes exactly what exists):
 *   1. open CNI_NETNS (fails before anything is allocated);
 *   2. IPAM ADD handed to the delegated plugin (or twill-ipam's server,
 *      ipam_exec.h), and while it works:
 *   3. veth pair, the peer created directly inside the pod netns (nothing
 *      in it needs the addresses); then the IPAM answer is waited for;
 *   4. host side: proxy_arp/forwarding sysctls, up;
 *   5. pod side: addresses as /32 (/128), up, default route via the fixed
 *      gateway (169.254.1.1 onlink; the host veth's link-local for IPv6);
 *   6. host routes <ip>/32 dev twX scope link proto 81;
 *   7. Pod annotations when a kubeconfig is configured: through twill-ipam's
 *      node-local server when ipam names one (the request is sent before
 *      step 5 and its answer waited for after step 6), else with an API
 *      client prepared on a thread started before step 2 (pod_annotate.h).
 * On failure: annotations cleared, host veth deleted (which takes the peer
 * and every route through it), then IPAM DEL. The result reports what was
 * configured (/32 addresses), not what the IPAM plugin proposed (/24), so a
 * later CHECK compares like with like. When a prevResult is given (twill-cni
 * chained after another plugin) its interfaces, ips and routes are kept and
 * ours appended, as the spec asks of chained plugins. */
#include <errno.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cidr.h"
#include "cni_plugin.h"
#include "cni_version.h"
#include "ipam_exec.h"
#include "log.h"
#include "netlink.h"
#include "netns.h"
#include "plugin_config.h"
#include "pod_annotate.h"

static const uint8_t host_mac[6] = { 0xee, 0xee, 0xee, 0xee, 0xee, 0xee };

struct add_state {
	int netns_fd;
	struct nl_sock *host, *pod;
	struct cni_result ipam;
	bool ipam_done, veth_done, annotated;
	struct cni_pod_annotator *annotator; /* NULL when not annotating */
	/* the annotation's values, alive until its wait */
	char pod_ip[IP_ADDR_STRLEN], pod_ips[CNI_RESULT_MAX_IPS * IP_ADDR_STRLEN];
	int host_ifindex, pod_ifindex;
	int pod_result_index;      /* the pod interface's index in the result */
	uint8_t pod_mac[6];
	unsigned mtu;
};

static int sysctl_set(const char *family, const char *knob_dir, const char *veth,
		      const char *knob, const char *value, struct cni_error *err)
{
	char path[128];
	int ret;

	snprintf(path, sizeof(path), "%s/%s/%s/%s", family, knob_dir, veth, knob);
	if ((ret = netlink_sysctl_write(path, value)) < 0)
		return cni_error_set(err, CNI_ERR_IO, "host sysctl %s: %s", path, strerror(-ret));
	return 0;
}

static int host_sysctls(const char *veth, bool v4, bool v6, struct cni_error *err)
{
	int ret = 0;

	if (v4 && ((ret = sysctl_set("ipv4", "conf", veth, "proxy_arp", "1", err)) ||
		   (ret = sysctl_set("ipv4", "conf", veth, "forwarding", "1", err)) ||
		   /* answer ARP for 169.254.1.1 at once, not after up to 0.8 s */
		   (ret = sysctl_set("ipv4", "neigh", veth, "proxy_delay", "0", err))))
		return ret;
	if (v6 && ((ret = sysctl_set("ipv6", "conf", veth, "proxy_ndp", "1", err)) ||
		   (ret = sysctl_set("ipv6", "conf", veth, "forwarding", "1", err))))
		return ret;
	return 0;
}

static unsigned choose_mtu(const struct cni_plugin *p, struct nl_sock *host)
{
	unsigned mtu = 0;

	if (p->cfg.mtu > 0)
		return (unsigned)p->cfg.mtu;
	if (netlink_default_route_mtu(host, AF_INET, &mtu) == 0 && mtu >= 68)
		return mtu;
	if (netlink_default_route_mtu(host, AF_INET6, &mtu) == 0 && mtu >= 1280)
		return mtu;
	return 1500;
}

static int pod_side(const struct cni_plugin *p, struct add_state *s, struct cni_result *out,
		    struct cni_error *err)
{
	const char *ifname = p->env.ifname;
	struct netlink_link link;
	struct netlink_route r;
	bool have[2] = { false, false };
	size_t i;
	int ret;

	if ((ret = netlink_link_get(s->pod, ifname, &link)) < 0)
		return cni_error_set(err, CNI_ERR_IO, "pod interface %s: %s", ifname,
				     strerror(-ret));
	s->pod_ifindex = link.ifindex;
	memcpy(s->pod_mac, link.mac, 6);
	for (i = 0; i < s->ipam.n_ips; i++) {
		struct cidr addr = s->ipam.ips[i].address;
		char text[CIDR_STRLEN];

		addr.prefix_len = ip_max_prefix(addr.addr.family);
		cidr_format(&addr, text, sizeof(text));
		if ((ret = netlink_addr_add(s->pod, s->pod_ifindex, &addr)) < 0 && ret != -EEXIST)
			return cni_error_set(err, CNI_ERR_IO, "pod address %s on %s: %s", text, ifname,
					     strerror(-ret));
		if (cni_result_add_ip(out, &addr, NULL, s->pod_result_index) < 0)
			return cni_error_set(err, CNI_ERR_INTERNAL, "result: too many addresses");
		have[addr.addr.family == AF_INET6] = true;
	}
	if ((ret = netlink_link_set_up(s->pod, s->pod_ifindex)) < 0)
		return cni_error_set(err, CNI_ERR_IO, "pod interface %s up: %s", ifname,
				     strerror(-ret));
	for (i = 0; i < 2; i++) {
		size_t j;

		if (!have[i])
			continue;
		memset(&r, 0, sizeof(r));
		r.dst.addr.family = i ? AF_INET6 : AF_INET;
		ip_parse(i ? CNI_GATEWAY_V6 : CNI_GATEWAY_V4, &r.gw);
		r.has_gw = true;
		r.onlink = true;
		r.ifindex = s->pod_ifindex;
		r.protocol = RTPROT_BOOT;
		if ((ret = netlink_route_replace(s->pod, &r)) < 0)
			return cni_error_set(err, CNI_ERR_IO, "pod default route via %s: %s",
					     i ? CNI_GATEWAY_V6 : CNI_GATEWAY_V4, strerror(-ret));
		if (cni_result_add_route(out, &r.dst, &r.gw) < 0)
			return cni_error_set(err, CNI_ERR_INTERNAL, "result: too many routes");
		/* Extra routes the IPAM asked for go the same way. */
		for (j = 0; j < s->ipam.n_routes; j++) {
			struct netlink_route extra = r;

			if (s->ipam.routes[j].dst.addr.family != r.dst.addr.family ||
			    s->ipam.routes[j].dst.prefix_len == 0)
				continue;
			extra.dst = s->ipam.routes[j].dst;
			cidr_network(&extra.dst);
			if ((ret = netlink_route_replace(s->pod, &extra)) < 0)
				return cni_error_set(err, CNI_ERR_IO, "pod route from ipam routes[%zu]: "
						     "%s", j, strerror(-ret));
			if (cni_result_add_route(out, &extra.dst, &extra.gw) < 0)
				return cni_error_set(err, CNI_ERR_INTERNAL, "result: too many routes");
		}
	}
	return 0;
}

static int host_routes(const struct cni_plugin *p, struct add_state *s, struct cni_error *err)
{
	size_t i;
	int ret;

	for (i = 0; i < s->ipam.n_ips; i++) {
		struct netlink_route r;
		char text[CIDR_STRLEN];

		memset(&r, 0, sizeof(r));
		r.dst = s->ipam.ips[i].address;
		r.dst.prefix_len = ip_max_prefix(r.dst.addr.family);
		r.ifindex = s->host_ifindex;
		r.scope = RT_SCOPE_LINK;
		r.protocol = TWILL_ROUTE_PROTOCOL;
		cidr_format(&r.dst, text, sizeof(text));
		if ((ret = netlink_route_replace(s->host, &r)) < 0)
			return cni_error_set(err, CNI_ERR_IO, "host route %s dev %s: %s", text,
					     p->host_veth, strerror(-ret));
	}
	return 0;
}

/* Step 7 started: the patch is sent (to the server) while steps 5 and 6
 * run, and waited for by cni_pod_annotate_wait(). */
static void annotate_start(const struct cni_plugin *p, struct add_state *s)
{
	size_t i;

	if (!s->annotator)
		return;
	for (i = 0; i < s->ipam.n_ips; i++) {
		char text[IP_ADDR_STRLEN];

		ip_format(&s->ipam.ips[i].address.addr, text, sizeof(text));
		if (i == 0)
			snprintf(s->pod_ip, sizeof(s->pod_ip), "%s", text);
		if (i)
			strncat(s->pod_ips, ",", sizeof(s->pod_ips) - strlen(s->pod_ips) - 1);
		strncat(s->pod_ips, text, sizeof(s->pod_ips) - strlen(s->pod_ips) - 1);
	}
	/* A patch that fails may still have been applied (a timeout, a server
	 * that died after the write): the rollback clears in any case, and
	 * clearing keys that are not there changes nothing. */
	s->annotated = true;
	cni_pod_annotate_set_start(s->annotator, p->env.k8s.pod_namespace, p->env.k8s.pod_name,
				   s->pod_ip, s->pod_ips, p->env.container_id);
}

static void rollback(const struct cni_plugin *p, struct add_state *s)
{
	struct cni_error ignored;
	struct cni_result none;
	int ret;

	cni_error_clear(&ignored);
	if (s->annotated)
		cni_pod_annotate_clear(s->annotator, p->env.k8s.pod_namespace,
				       p->env.k8s.pod_name, &ignored);
	if (s->veth_done && (ret = netlink_link_delete(s->host, p->host_veth)) < 0)
		log_error("event=rollback_veth_failed veth=%s err=\"%s\"", p->host_veth,
			  strerror(-ret));
	if (s->ipam_done) {
		cni_error_clear(&ignored);
		if (cni_ipam_exec(p, CNI_CMD_DEL, &none, &ignored))
			log_error("event=rollback_ipam_failed container=%s msg=\"%s\"",
				  p->env.container_id, ignored.msg);
		cni_result_free(&none);
	}
}

/* Step 3: the veth pair, host side looked up. 0 or the CNI code. */
static int make_veth(const struct cni_plugin *p, struct add_state *s, struct cni_error *err)
{
	struct netlink_link link;
	int ret;

	s->mtu = choose_mtu(p, s->host);
	/* A host veth with our name but no pod behind it is left from an
	 * earlier sandbox of the same pod whose netns vanished mid-ADD. */
	if (netlink_link_get(s->host, p->host_veth, &link) == 0) {
		log_warn("event=stale_veth_deleted veth=%s", p->host_veth);
		netlink_link_delete(s->host, p->host_veth);
	}
	ret = netlink_veth_create(s->host, p->host_veth, host_mac, p->env.ifname, s->netns_fd,
				  s->mtu);
	if (ret < 0)
		return cni_error_set(err, ret == -EEXIST ? CNI_ERR_TRY_AGAIN : CNI_ERR_IO,
				     "veth %s/%s: %s", p->host_veth, p->env.ifname, strerror(-ret));
	s->veth_done = true;
	if ((ret = netlink_link_get(s->host, p->host_veth, &link)) < 0)
		return cni_error_set(err, CNI_ERR_IO, "veth %s: %s", p->host_veth, strerror(-ret));
	s->host_ifindex = link.ifindex;
	return 0;
}

int cni_cmd_add(struct cni_plugin *p, json_object **result, struct cni_error *err)
{
	struct add_state s;
	struct cni_result out;
	struct cni_ipam_call *ipam_call;
	struct cni_error veth_err;
	struct netlink_link link;
	char mac[18], server[IPAM_SOCKET_PATH_MAX + 1];
	bool v4 = false, v6 = false;
	size_t i;
	int ret, veth_ret;

	memset(&s, 0, sizeof(s));
	s.netns_fd = -1;
	cni_result_init(&out);
	*result = NULL;
	if ((ret = cni_netns_open(p->env.netns, &s.netns_fd)) < 0) {
		ret = cni_error_set(err, CNI_ERR_INVALID_ENV, "CNI_NETNS: %s: %s", p->env.netns,
				    ret == -EINVAL ? "not a network namespace" : strerror(-ret));
		goto out;
	}
	if ((ret = netlink_open(&s.host)) < 0 ||
	    (ret = netlink_open_in_netns(s.netns_fd, &s.pod)) < 0) {
		ret = cni_error_set(err, CNI_ERR_IO, "netlink: %s", strerror(-ret));
		goto out;
	}
	if (netlink_link_get(s.pod, p->env.ifname, &link) == 0) {
		ret = cni_error_set(err, CNI_ERR_INVALID_ENV,
				    "CNI_IFNAME: interface %s already exists in CNI_NETNS %s",
				    p->env.ifname, p->env.netns);
		goto out;
	}
	/* Not first in a chain: keep what earlier plugins reported and append. */
	if (p->cfg.prev_result &&
	    cni_result_parse(p->cfg.prev_result, "prevResult", &out, err) < 0) {
		ret = err->code ? err->code
				: cni_error_set(err, CNI_ERR_INTERNAL, "prevResult: out of memory");
		goto out;
	}
	/* Started before the IPAM plugin so that preparing the API client
	 * overlaps it; joined by the annotation (pod_annotate.h). */
	if (p->cfg.kubeconfig && p->env.k8s.pod_namespace && p->env.k8s.pod_name &&
	    (ret = cni_pod_annotator_start(p->cfg.kubeconfig,
					   cni_ipam_server_socket(p, server, sizeof(server))
						   ? server : NULL,
					   &s.annotator, err)))
		goto out;
	if ((ret = cni_ipam_start(p, CNI_CMD_ADD, &ipam_call, err)))
		goto out;
	cni_error_clear(&veth_err);
	veth_ret = make_veth(p, &s, &veth_err);
	ret = cni_ipam_finish(ipam_call, &s.ipam, err);
	if (ret)
		goto out;
	s.ipam_done = true;
	if (veth_ret) {
		ret = cni_error_set_details(err, veth_err.code, veth_err.details, "%s", veth_err.msg);
		goto out;
	}
	if (s.ipam.n_ips == 0) {
		ret = cni_error_set(err, CNI_ERR_INTERNAL, "ipam plugin %s returned no IP address",
				    p->cfg.ipam_type);
		goto out;
	}
	for (i = 0; i < s.ipam.n_ips; i++) {
		v4 |= s.ipam.ips[i].address.addr.family == AF_INET;
		v6 |= s.ipam.ips[i].address.addr.family == AF_INET6;
	}
	if ((ret = host_sysctls(p->host_veth, v4, v6, err)))
		goto out;
	if ((ret = netlink_link_set_up(s.host, s.host_ifindex)) < 0) {
		ret = cni_error_set(err, CNI_ERR_IO, "veth %s up: %s", p->host_veth,
				    strerror(-ret));
		goto out;
	}
	netlink_mac_format(host_mac, mac);
	if (cni_result_add_interface(&out, p->host_veth, mac, NULL, (int)s.mtu) < 0 ||
	    (s.pod_result_index = cni_result_add_interface(&out, p->env.ifname, "", p->env.netns,
							   (int)s.mtu)) < 0) {
		ret = cni_error_set(err, CNI_ERR_INTERNAL, "result: too many interfaces");
		goto out;
	}
	annotate_start(p, &s);
	if ((ret = pod_side(p, &s, &out, err)))
		goto out;
	netlink_mac_format(s.pod_mac, out.interfaces[s.pod_result_index].mac);
	if ((ret = host_routes(p, &s, err)))
		goto out;
	if (s.annotator && (ret = cni_pod_annotate_wait(s.annotator, err)))
		goto out;
	if (!out.dns || json_object_object_length(out.dns) == 0) {
		json_object_put(out.dns);
		out.dns = NULL;
		if (s.ipam.dns && json_object_object_length(s.ipam.dns) > 0)
			json_object_deep_copy(s.ipam.dns, &out.dns, NULL);
		else if (p->cfg.dns)
			json_object_deep_copy(p->cfg.dns, &out.dns, NULL);
	}
	*result = cni_result_to_json(&out, p->cfg.cni_version);
	if (!*result)
		ret = cni_error_set(err, CNI_ERR_INTERNAL, "result: out of memory");
	else
		log_info("event=add container=%s veth=%s ifname=%s ips=%zu mtu=%u",
			 p->env.container_id, p->host_veth, p->env.ifname, s.ipam.n_ips, s.mtu);
out:
	if (ret)
		rollback(p, &s);
	cni_pod_annotator_free(s.annotator);
	cni_result_free(&out);
	cni_result_free(&s.ipam);
	netlink_close(s.pod);
	netlink_close(s.host);
	if (s.netns_fd >= 0)
		close(s.netns_fd);
	return ret;
}
