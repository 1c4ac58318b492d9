/* cni_del: take a pod off the network; idempotent.
 *
 * Only the pod side is deleted by name: removing CNI_IFNAME inside the pod
 * netns destroys the veth pair, and with the host end go the host routes
 * through it. The host veth is never deleted by its derived name, because
 * that name belongs to the pod, not the sandbox: a DEL for an old sandbox
 * must not cut the network of the pod's new one. If the netns is already
 * gone, the kernel destroyed the pair with it. Missing netns, interface or
 * allocation are therefore all success; only a failure to reach an
 * existing resource is an error (so the runtime retries). */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "cni_plugin.h"
#include "ipam_exec.h"
#include "log.h"
#include "netlink.h"
#include "netns.h"

static int delete_pod_interface(const struct cni_plugin *p, struct cni_error *err)
{
	struct nl_sock *pod = NULL;
	struct netlink_link link;
	int fd = -1, ret;

	if (!p->env.netns)
		return 0;
	ret = cni_netns_open(p->env.netns, &fd);
	if (ret == -ENOENT || ret == -EINVAL) {
		log_debug("event=del_netns_gone netns=%s", p->env.netns);
		return 0;
	}
	if (ret < 0)
		return cni_error_set(err, CNI_ERR_IO, "CNI_NETNS: %s: %s", p->env.netns,
				     strerror(-ret));
	if ((ret = netlink_open_in_netns(fd, &pod)) < 0) {
		ret = cni_error_set(err, CNI_ERR_IO, "netlink in %s: %s", p->env.netns,
				    strerror(-ret));
		goto out;
	}
	ret = netlink_link_get(pod, p->env.ifname, &link);
	if (ret == -ENODEV) {
		ret = 0;
		goto out;
	}
	if (ret == 0 && strcmp(link.kind, "veth") != 0) {
		/* Not ours (another plugin's interface of the same name). */
		log_warn("event=del_skip_non_veth ifname=%s kind=%s", p->env.ifname, link.kind);
		goto out;
	}
	if (ret == 0)
		ret = netlink_link_delete(pod, p->env.ifname);
	if (ret < 0)
		ret = cni_error_set(err, CNI_ERR_IO, "delete %s in %s: %s", p->env.ifname,
				    p->env.netns, strerror(-ret));
out:
	netlink_close(pod);
	if (fd >= 0)
		close(fd);
	return ret;
}

int cni_cmd_del(struct cni_plugin *p, struct cni_error *err)
{
	struct cni_result none;
	int ret;

	if ((ret = delete_pod_interface(p, err)))
		return ret;
	ret = cni_ipam_exec(p, CNI_CMD_DEL, &none, err);
	cni_result_free(&none);
	if (ret == 0)
		log_info("event=del container=%s veth=%s", p->env.container_id, p->host_veth);
	return ret;
}
