/* server_annotate: the node-local server's second operation, the Pod
 * annotation patch twill-cni makes at the end of an ADD (and clears when it
 * rolls one back), done by a worker on its kept API connection
 * (api_cache.h), so that twill-cni needs neither libcurl nor a TLS
 * handshake of its own.
 *
 * Request: the forwarded variable IPAM_SERVER_OP_VAR=
 * IPAM_SERVER_OP_ANNOTATE (server_proto.h) and, in place of the network
 * configuration, a JSON object
 *     {"kubeconfig": path, "namespace": ns, "name": pod,
 *      "podIP": ip, "podIPs": "ip[,ip]", "containerID": id}
 * with all three of podIP/podIPs/containerID (set them) or none (clear
 * them); the server patches nothing else.
 *
 * Contract:
 * - ipam_server_annotate_request(): that object as text (malloc'd), or
 *   NULL when out of memory; pod_ip/pod_ips/container_id all NULL = clear.
 * - ipam_server_annotate(): runs one request in a worker; prints nothing
 *   and returns 0 when the Pod was patched, else prints a CNI error object
 *   and returns 1: 7 (invalid network config) for a request it cannot read
 *   (naming the field) or an unusable kubeconfig, else
 *   pod_annotations_patch()'s error -- the same codes and messages as
 *   twill-cni's own patch.
 * - ipam_server_annotate_reply(): the client's reading of a reply (exit
 *   status + body): 0, or the code with err set from the error object. */
#ifndef TWILL_IPAM_SERVER_ANNOTATE_H
#define TWILL_IPAM_SERVER_ANNOTATE_H

#include <stddef.h>

#include "api_cache.h"
#include "cni_error.h"

#define IPAM_SERVER_OP_VAR "TWILL_SERVER_OP"
#define IPAM_SERVER_OP_ANNOTATE "pod-annotations"
/* The client's API timeouts: an ADD must not hang on the API server. */
#define IPAM_ANNOTATE_CONNECT_MS 3000L
#define IPAM_ANNOTATE_TOTAL_MS 10000L

char *ipam_server_annotate_request(const char *kubeconfig, const char *ns, const char *name,
				   const char *pod_ip, const char *pod_ips,
				   const char *container_id);
int ipam_server_annotate(const char *request, size_t len, struct ipam_api_cache *cache);
int ipam_server_annotate_reply(int status, const char *body, struct cni_error *err);

#endif
