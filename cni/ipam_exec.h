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
 * the reference host-local.
 *
 * In two steps: cni_ipam_start() hands the request over (spawns the
 * plugin, or sends it to the server below) and returns at once, so the
 * caller can do work that does not need the addresses meanwhile;
 * cni_ipam_finish() waits for the answer and frees the call. Every started
 * call must be finished (the plugin may have assigned addresses by then).
 * cni_ipam_exec() is both.
 *
 * twill-ipam's node-local server: when ipam.type is twill-ipam and the
 * config names ipam.socket, ADD/DEL/CHECK go to that server from this
 * process, exactly as the twill-ipam plugin would send them (its CNI_*
 * variables, the config), saving the plugin's exec; twill-ipam must still
 * be in CNI_PATH. The same fallbacks as the plugin's: nobody listening or
 * the server refuses -> the plugin is exec'd; the server took an ADD but
 * gave no answer -> 11 naming the socket; a DEL/CHECK without answer ->
 * the plugin is exec'd. */
#ifndef TWILL_CNI_IPAM_EXEC_H
#define TWILL_CNI_IPAM_EXEC_H

#include <stdbool.h>

#include "cni_plugin.h"

/* Absolute path of plugin type in the ':'-separated cni_path. 0, -ENOENT. */
int cni_ipam_find(const char *cni_path, const char *type, char *out, size_t size);
#define CNI_TWILL_IPAM "twill-ipam"

struct cni_ipam_call;

int cni_ipam_exec(const struct cni_plugin *p, enum cni_command cmd, struct cni_result *result,
		  struct cni_error *err);
/* 0 with *call, or the CNI error code (err set; nothing started). */
int cni_ipam_start(const struct cni_plugin *p, enum cni_command cmd, struct cni_ipam_call **call,
		   struct cni_error *err);
/* Whether ipam is twill-ipam with a server socket (into buf, at least
 * IPAM_SOCKET_PATH_MAX + 1 bytes). */
bool cni_ipam_server_socket(const struct cni_plugin *p, char *buf, size_t size);
/* As cni_ipam_exec's return; frees call. */
int cni_ipam_finish(struct cni_ipam_call *call, struct cni_result *result, struct cni_error *err);
/* Ask the IPAM plugin (VERSION) whether it speaks version: *out. 0,
 * -ENOENT (not in CNI_PATH) or -errno when it cannot be run. */
int cni_ipam_supports(const struct cni_plugin *p, const char *version, bool *out);

#endif
