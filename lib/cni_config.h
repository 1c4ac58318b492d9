/* cni_config: the network configuration twill-cni receives on stdin.
 *
 * Accepted fields (everything else is kept in root and passed through):
 *   cniVersion   one of cni_supported_versions (else error 1)
 *   name         ^[A-Za-z0-9][A-Za-z0-9_.-]*$
 *   type         non-empty string
 *   ipam         object with a non-empty string "type" naming a plugin (no '/')
 *   mtu          integer, 0 (= auto from the host's uplink) or 68..65535
 *   kubernetes   object; kubernetes.kubeconfig: path to a kubeconfig file
 *   log_level    debug|info|warn|error (default warn)
 *   log_file     path; log lines are appended there instead of stderr
 *   dns          object, copied into the result when the IPAM gives none
 *   prevResult   object (result of the previous plugin / for CHECK and DEL)
 *   runtimeConfig object, passed through untouched (to IPAM and chained plugins)
 * Errors: text that is not a JSON object -> 6 (decode); a field missing or of
 * the wrong type -> 7 with "<field>: <problem>"; unsupported cniVersion -> 1.
 * For VERSION the config may be empty: cni_config_version_only() extracts
 * just cniVersion. */
#ifndef TWILL_CNI_CONFIG_H
#define TWILL_CNI_CONFIG_H

#include <stddef.h>

#include <json-c/json.h>

#include "cni_error.h"

struct cni_net_config {
	json_object *root;           /* the whole document (owned) */
	char *cni_version;
	char *name;
	char *type;
	char *ipam_type;
	int mtu;                     /* 0 = auto */
	char *kubeconfig;            /* NULL when not configured */
	char *log_level;
	char *log_file;
	json_object *dns;            /* borrowed from root, may be NULL */
	json_object *prev_result;    /* borrowed from root, may be NULL */
	json_object *runtime_config; /* borrowed from root, may be NULL */
};

/* 0, -EINVAL (err set) or -ENOMEM. On error *out is left empty. */
int cni_config_parse(const char *text, size_t len, struct cni_net_config *out,
		     struct cni_error *err);
/* cniVersion of a possibly-empty config for VERSION: *out is a heap copy,
 * NULL when the text is empty or has no cniVersion. 0, -EINVAL (not JSON:
 * err code 6) or -ENOMEM. */
int cni_config_version_only(const char *text, size_t len, char **out, struct cni_error *err);
/* The config re-serialised with cniVersion replaced (for delegating to an
 * IPAM plugin that only knows an older version with the same result shape).
 * Malloc'd, NULL on -ENOMEM. */
char *cni_config_with_version(const struct cni_net_config *cfg, const char *version);
void cni_config_free(struct cni_net_config *cfg);

#endif
