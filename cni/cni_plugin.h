/* cni_plugin: one invocation of twill-cni and the commands it runs.
 *
 * Contract: twill_cni_main.c fills struct cni_plugin from the environment
 * and stdin, then calls exactly one cni_cmd_*(). Each command returns 0 and
 * (for ADD/CHECK) sets *result to the JSON to print, or returns the CNI
 * error code with err filled; main turns that into the error object and the
 * exit status. Commands never exit() and leave nothing behind on failure:
 * ADD rolls back everything it created, in reverse order. */
#ifndef TWILL_CNI_PLUGIN_H
#define TWILL_CNI_PLUGIN_H

#include <stddef.h>

#include <json-c/json.h>

#include "cni_config.h"
#include "cni_env.h"
#include "cni_error.h"
#include "cni_names.h"
#include "cni_result.h"

/* The gateway pods see: answered by proxy ARP on the host veth. */
#define CNI_GATEWAY_V4 "169.254.1.1"
/* Link-local address the kernel derives from the host veth MAC
 * ee:ee:ee:ee:ee:ee (EUI-64), so IPv6 needs no proxy at all. */
#define CNI_GATEWAY_V6 "fe80::ecee:eeff:feee:eeee"

struct cni_plugin {
	char *const *envp;         /* environment handed on to the IPAM plugin */
	struct cni_env env;
	struct cni_net_config cfg;
	const char *stdin_text;    /* the config exactly as received */
	size_t stdin_len;
	char host_veth[CNI_IFNAME_MAX + 1];
};

int cni_cmd_add(struct cni_plugin *p, json_object **result, struct cni_error *err);
int cni_cmd_del(struct cni_plugin *p, struct cni_error *err);
int cni_cmd_check(struct cni_plugin *p, struct cni_error *err);
int cni_cmd_status(struct cni_plugin *p, struct cni_error *err);
int cni_cmd_gc(struct cni_plugin *p, struct cni_error *err);

#endif
