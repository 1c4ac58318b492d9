/* ipam_exec: delegate to the IPAM plugin named by ipam.type, per the spec's
 * delegation rules: found in CNI_PATH, run with the same environment (only
 * CNI_COMMAND may differ, e.g. DEL while rolling back an ADD) and the same
 * network configuration on stdin; its stdout is a result or an error object.
 *
 * Contract: cni_ipam_exec() returns 0 and the parsed result (ADD) or 0 with
 * an empty result (DEL/CHECK/GC/STATUS), or a CNI error code with err set:
 *   - plugin not in CNI_PATH: 7, "ipam.type: plugin \"x\" not found in
 *     CNI_PATH (...)"; the network config names a plugin that is not there;
 *   - plugin reported an error: its own code, msg prefixed with the plugin;
 *   - plugin died or printed garbage: 999 / 6.
 * Version: when the config says 1.1.0 and the IPAM plugin answers "1"
 * (incompatible version), the call is retried once with cniVersion 1.0.0,
 * whose result has the same shape; the result is converted back by the
 * caller. This lets twill-cni 1.1.0 work with 1.0.0-era IPAM plugins such as
 * the reference host-local. */
#ifndef TWILL_CNI_IPAM_EXEC_H
#define TWILL_CNI_IPAM_EXEC_H

#include <stdbool.h>

#include "cni_plugin.h"

/* Absolute path of plugin type in the ':'-separated cni_path. 0, -ENOENT. */
int cni_ipam_find(const char *cni_path, const char *type, char *out, size_t size);
int cni_ipam_exec(const struct cni_plugin *p, enum cni_command cmd, struct cni_result *result,
		  struct cni_error *err);
/* Ask the IPAM plugin (VERSION) whether it speaks version: *out. 0,
 * -ENOENT (not in CNI_PATH) or -errno when it cannot be run. */
int cni_ipam_supports(const struct cni_plugin *p, const char *version, bool *out);

#endif
