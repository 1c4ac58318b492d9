/* plugin_result: ADD results and error objects of twill-ipam.
 *
 * The error mapping is the user interface of the plugin: its text ends up in
 * `kubectl describe pod`, so each class of failure says what to check (the
 * network, the CA, the token, RBAC, the pools), and the CNI code tells the
 * runtime whether a retry can help (11) or not. The engine's and the kube
 * client's own line is kept in details for the log reader. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "plugin_result.h"

int ipam_plugin_result_build(const struct ipam_result *res, struct cni_result *r)
{
	bool v4 = false, v6 = false;
	struct cidr dst;
	size_t i;

	cni_result_init(r);
	for (i = 0; i < res->count; i++) {
		struct cidr a;

		a.addr = res->addrs[i].addr;
		a.prefix_len = ip_max_prefix(a.addr.family);
		if (cni_result_add_ip(r, &a, NULL, -1) < 0)
			return -ENOSPC;
		if (a.prefix_len == 32)
			v4 = true;
		else
			v6 = true;
	}
	if (v4) {
		memset(&dst, 0, sizeof(dst));
		cidr_parse("0.0.0.0/0", &dst);
		if (cni_result_add_route(r, &dst, NULL) < 0)
			return -ENOSPC;
	}
	if (v6) {
		memset(&dst, 0, sizeof(dst));
		cidr_parse("::/0", &dst);
		if (cni_result_add_route(r, &dst, NULL) < 0)
			return -ENOSPC;
	}
	return 0;
}

static const char *unreachable_reason(int rc)
{
	switch (rc) {
	case -ECONNREFUSED:
		return "connection refused";
	case -EHOSTUNREACH:
		return "host unreachable";
	case -EHOSTDOWN:
		return "host name could not be resolved";
	case -ECONNRESET:
		return "connection reset";
	case -EBUSY:
		return "server busy (429/503)";
	default:
		return "unreachable";
	}
}

int ipam_plugin_error(int rc, const char *what, const char *message, const char *server,
		      struct cni_error *err)
{
	const char *srv = server ? server : "(unknown server)";
	const char *msg = message && message[0] ? message : strerror(rc < 0 ? -rc : rc);

	switch (rc) {
	case -ENOSPC:
		return cni_error_set_details(err, IPAM_CNI_ERR_EXHAUSTED, msg, "%s", msg);
	case -ENOENT:
		return cni_error_set_details(err, IPAM_CNI_ERR_NO_POOL, msg, "%s", msg);
	case -EAGAIN:
		return cni_error_set_details(err, CNI_ERR_TRY_AGAIN, msg, "%s: %s", what, msg);
	case -ECONNREFUSED:
	case -EHOSTUNREACH:
	case -EHOSTDOWN:
	case -ECONNRESET:
	case -EBUSY:
		return cni_error_set_details(err, CNI_ERR_TRY_AGAIN, msg,
					     "API server unreachable at %s: %s (while %s)", srv,
					     unreachable_reason(rc), what);
	case -ETIMEDOUT:
		return cni_error_set_details(err, CNI_ERR_TRY_AGAIN, msg,
					     "API server at %s timed out (while %s)", srv, what);
	case -EPROTO:
		return cni_error_set_details(err, CNI_ERR_IO, msg,
					     "TLS error talking to %s: certificate verify failed "
					     "or bad client certificate (check the kubeconfig's CA)",
					     srv);
	case -EACCES:
		return cni_error_set_details(err, CNI_ERR_IO, msg,
					     "401 Unauthorized from %s (check the kubeconfig's token)",
					     srv);
	case -EPERM:
		return cni_error_set_details(err, CNI_ERR_IO, msg,
					     "403 Forbidden: %s: not allowed (RBAC): %s", what, msg);
	default:
		return cni_error_set_details(err, CNI_ERR_INTERNAL, msg, "%s: %s", what, msg);
	}
}
