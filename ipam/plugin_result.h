/* plugin_result: what twill-ipam answers — the CNI result of an ADD, and a
 * CNI error object for every way an IPAM call can fail.
 *
 * Contract:
 * - ipam_plugin_result_build(): one ips[] entry per assigned address as a
 *   host prefix (/32, /128; pod addresses are routed individually), no
 *   gateway and no interface (IPAM results name none); routes[]: a default
 *   route per family that got an address (0.0.0.0/0, ::/0), no gateway —
 *   the main plugin decides the next hop.
 * - ipam_plugin_error(): maps an errno from the engine or the kube client
 *   (plus the one-line message it gave) to a CNI error:
 *     -ENOSPC  (pool exhausted)        code 100, engine's message
 *     -ENOENT  (no pool for the node)  code 101, engine's message
 *     -EAGAIN  (gave up on conflicts)  code 11 (try again later)
 *     -ECONNREFUSED/-EHOSTUNREACH/-EHOSTDOWN/-ECONNRESET/-EBUSY
 *              "API server unreachable at <server>: <reason>", code 11
 *     -ETIMEDOUT "API server at <server> timed out", code 11
 *     -EPROTO  "TLS error talking to <server>: ... (check the kubeconfig's
 *              CA)", code 5 (retrying does not fix a wrong CA)
 *     -EACCES  "401 Unauthorized (check the kubeconfig's token)", code 5
 *     -EPERM   "403 Forbidden: ... (RBAC)", code 5
 *     other    code 999 with the message
 *   The original message always goes into details. */
#ifndef TWILL_IPAM_PLUGIN_RESULT_H
#define TWILL_IPAM_PLUGIN_RESULT_H

#include "cni_error.h"
#include "cni_result.h"
#include "engine.h"

#define IPAM_CNI_ERR_EXHAUSTED 100
#define IPAM_CNI_ERR_NO_POOL 101

/* r is initialised by the call. 0 or -ENOSPC (more addresses than a result
 * holds). */
int ipam_plugin_result_build(const struct ipam_result *res, struct cni_result *r);

/* what: the operation ("assigning addresses", "reading pod default/p"),
 * server: the API server URL (may be NULL). Returns the CNI code. */
int ipam_plugin_error(int rc, const char *what, const char *message, const char *server,
		      struct cni_error *err);

#endif
