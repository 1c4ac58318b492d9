/* plugin_config: the "ipam" section of a network configuration as the
 * twill-ipam CNI plugin reads it, where the node name comes from, and which
 * pools a pod asked for through its annotations.
 *
 * Contract:
 * - ipam_plugin_config_parse() reads root.ipam (root = the whole network
 *   config, already checked by lib/cni_config):
 *     type         must be "twill-ipam"
 *     kubeconfig   path; else root.kubernetes.kubeconfig; else NULL (the
 *                  kubeconfig loader's defaults: $KUBECONFIG, in-cluster)
 *     nodename     string; else NULL (see ipam_plugin_nodename())
 *     ipv4_pools, ipv6_pools   arrays of pool names or CIDRs (default: any)
 *     assign_ipv4 (default true), assign_ipv6 (default false); not both false
 *     log_level (debug|info|warn|error), log_file
 *     timeout_seconds  API timeout per request, 1..300 (default 30); also
 *                  the longest wait for the node's host lock
 *     lock_dir     absolute directory of the per-node host lock (default
 *                  IPAM_HOST_LOCK_DIR, see host_lock.h); "" = no lock
 *     socket       absolute path of the node-local server's Unix socket
 *                  (server.h); absent or "" = no server: the plugin does
 *                  the work itself. At most 107 bytes (sun_path).
 *   A field of the wrong type is CNI error 7 naming "ipam.<field>".
 * - ipam_plugin_nodename(): cfg->nodename, else the first line of
 *   nodename_file (normally IPAM_NODENAME_FILE) when it exists and is not
 *   empty, else gethostname().
 * - ipam_plugin_pools_from_annotations(): the pod's annotation wins over its
 *   namespace's; a malformed annotation is an error naming the object (a typo
 *   must not silently fall back to another pool).
 * Strings are heap copies released by ipam_plugin_config_free(). */
#ifndef TWILL_IPAM_PLUGIN_CONFIG_H
#define TWILL_IPAM_PLUGIN_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "cni_error.h"

#define IPAM_PLUGIN_TYPE "twill-ipam"
#define IPAM_NODENAME_FILE "/var/lib/twill/nodename"
#define IPAM_SOCKET_PATH_MAX 107
#define IPAM_ANNOTATION_IPV6_POOLS "twill.dev/ipv6pools"

struct ipam_plugin_config {
	char *kubeconfig;
	char *nodename;
	char **pools_v4; /* NULL-terminated or NULL */
	size_t pools_v4_count;
	char **pools_v6;
	size_t pools_v6_count;
	bool assign_ipv4;
	bool assign_ipv6;
	char *log_level;
	char *log_file;
	int timeout_seconds;
	char *lock_dir; /* never NULL after a parse; "" = no host lock */
	char *socket;   /* NULL = no server */
};

/* 0, -EINVAL (err set, code 7) or -ENOMEM. *out is initialised by the call
 * and must be freed with ipam_plugin_config_free() whatever the result. */
int ipam_plugin_config_parse(json_object *root, struct ipam_plugin_config *out,
			     struct cni_error *err);
void ipam_plugin_config_free(struct ipam_plugin_config *cfg);

/* ipam.socket of a raw network configuration, without the full parse (the
 * plugin decides before anything else whether a server does the work): 0
 * with the path in buf, -ENOENT when unset, "" or the text is not a JSON
 * object with an ipam object, -EINVAL when it is not an absolute path, or
 * -ENAMETOOLONG (over 107 bytes or buf). A config the full parse rejects
 * is best reported by the plugin itself, so callers treat every error as
 * "no server". */
int ipam_plugin_socket_path(const char *text, size_t len, char *buf, size_t size);

/* 0, -ENOSPC (buf too small) or -errno from gethostname(). */
int ipam_plugin_nodename(const struct ipam_plugin_config *cfg, const char *nodename_file,
			 char *buf, size_t size);

/* Pool lists requested by annotations of pod and namespace (either may be
 * NULL). *v4 / *v6 are NULL-terminated lists (NULL when not requested) the
 * caller frees with ipam_plugin_pools_free(). 0, -EINVAL (err names the
 * object and annotation) or -ENOMEM. */
int ipam_plugin_pools_from_annotations(json_object *pod, json_object *ns, char ***v4,
				       size_t *v4_count, char ***v6, size_t *v6_count,
				       struct cni_error *err);
void ipam_plugin_pools_free(char **pools, size_t count);

#endif
