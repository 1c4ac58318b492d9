/* plugin_config: parsing of twill-ipam's own configuration.
 *
 * The network config was validated as a whole by lib/cni_config, so this
 * file only looks at root.ipam (and the kubernetes.kubeconfig fallback that
 * twill-cni uses too, so one conflist line configures both plugins). Every
 * field is optional except type; defaults are set before reading so a
 * missing field never leaves a hole. Annotations use the same JSON-array
 * syntax as the pod model (model_parse_pool_list). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host_lock.h"
#include "model/pod.h"
#include "plugin_config.h"

static int get_string(json_object *obj, const char *key, char **out, struct cni_error *err)
{
	json_object *v;

	if (!json_object_object_get_ex(obj, key, &v) || json_object_is_type(v, json_type_null))
		return 0;
	if (!json_object_is_type(v, json_type_string))
	{
		cni_error_set(err, CNI_ERR_INVALID_CONFIG, "ipam.%s: must be a string", key);
		return -EINVAL;
	}
	free(*out);
	*out = strdup(json_object_get_string(v));
	return *out ? 0 : -ENOMEM;
}

static int get_bool(json_object *obj, const char *key, bool *out, struct cni_error *err)
{
	json_object *v;

	if (!json_object_object_get_ex(obj, key, &v) || json_object_is_type(v, json_type_null))
		return 0;
	if (!json_object_is_type(v, json_type_boolean)) {
		cni_error_set(err, CNI_ERR_INVALID_CONFIG, "ipam.%s: must be true or false", key);
		return -EINVAL;
	}
	*out = json_object_get_boolean(v);
	return 0;
}

void ipam_plugin_pools_free(char **pools, size_t count)
{
	size_t i;

	if (!pools)
		return;
	for (i = 0; i < count; i++)
		free(pools[i]);
	free(pools);
}

static int get_pools(json_object *obj, const char *key, char ***out, size_t *count,
		     struct cni_error *err)
{
	json_object *v;
	size_t i, n;
	char **list;

	if (!json_object_object_get_ex(obj, key, &v) || json_object_is_type(v, json_type_null))
		return 0;
	if (!json_object_is_type(v, json_type_array)) {
		cni_error_set(err, CNI_ERR_INVALID_CONFIG,
			      "ipam.%s: must be a list of pool names or CIDRs", key);
		return -EINVAL;
	}
	n = json_object_array_length(v);
	list = calloc(n + 1, sizeof(*list));
	if (!list)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		json_object *item = json_object_array_get_idx(v, i);

		if (!json_object_is_type(item, json_type_string) ||
		    json_object_get_string_len(item) == 0) {
			cni_error_set(err, CNI_ERR_INVALID_CONFIG,
				      "ipam.%s[%zu]: must be a non-empty string", key, i);
			ipam_plugin_pools_free(list, i);
			return -EINVAL;
		}
		list[i] = strdup(json_object_get_string(item));
		if (!list[i]) {
			ipam_plugin_pools_free(list, i);
			return -ENOMEM;
		}
	}
	*out = list;
	*count = n;
	return 0;
}

void ipam_plugin_config_free(struct ipam_plugin_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->kubeconfig);
	free(cfg->nodename);
	ipam_plugin_pools_free(cfg->pools_v4, cfg->pools_v4_count);
	ipam_plugin_pools_free(cfg->pools_v6, cfg->pools_v6_count);
	free(cfg->log_level);
	free(cfg->log_file);
	free(cfg->lock_dir);
	free(cfg->socket);
	memset(cfg, 0, sizeof(*cfg));
}

/* ipam.socket's rule: absolute, at most IPAM_SOCKET_PATH_MAX bytes (sun_path).
 * 0, -EINVAL or -ENAMETOOLONG. */
static int socket_path_check(const char *path)
{
	if (path[0] != '/')
		return -EINVAL;
	return strlen(path) > IPAM_SOCKET_PATH_MAX ? -ENAMETOOLONG : 0;
}

int ipam_plugin_config_parse(json_object *root, struct ipam_plugin_config *out,
			     struct cni_error *err)
{
	json_object *ipam, *type, *k8s, *timeout;
	int rc;

	memset(out, 0, sizeof(*out));
	out->assign_ipv4 = true;
	out->timeout_seconds = 30;
	if (!root || !json_object_object_get_ex(root, "ipam", &ipam) ||
	    !json_object_is_type(ipam, json_type_object)) {
		cni_error_set(err, CNI_ERR_INVALID_CONFIG, "ipam: missing");
		return -EINVAL;
	}
	if (!json_object_object_get_ex(ipam, "type", &type) ||
	    !json_object_is_type(type, json_type_string) ||
	    strcmp(json_object_get_string(type), IPAM_PLUGIN_TYPE) != 0) {
		cni_error_set(err, CNI_ERR_INVALID_CONFIG, "ipam.type: must be \"%s\"",
			      IPAM_PLUGIN_TYPE);
		return -EINVAL;
	}
	if ((rc = get_string(ipam, "kubeconfig", &out->kubeconfig, err)) < 0)
		return rc;
	if (!out->kubeconfig && json_object_object_get_ex(root, "kubernetes", &k8s) &&
	    json_object_is_type(k8s, json_type_object)) {
		json_object *kc;

		if (json_object_object_get_ex(k8s, "kubeconfig", &kc) &&
		    json_object_is_type(kc, json_type_string) &&
		    !(out->kubeconfig = strdup(json_object_get_string(kc))))
			return -ENOMEM;
	}
	if ((rc = get_string(ipam, "nodename", &out->nodename, err)) < 0 ||
	    (rc = get_pools(ipam, "ipv4_pools", &out->pools_v4, &out->pools_v4_count, err)) < 0 ||
	    (rc = get_pools(ipam, "ipv6_pools", &out->pools_v6, &out->pools_v6_count, err)) < 0 ||
	    (rc = get_bool(ipam, "assign_ipv4", &out->assign_ipv4, err)) < 0 ||
	    (rc = get_bool(ipam, "assign_ipv6", &out->assign_ipv6, err)) < 0 ||
	    (rc = get_string(ipam, "log_level", &out->log_level, err)) < 0 ||
	    (rc = get_string(ipam, "log_file", &out->log_file, err)) < 0 ||
	    (rc = get_string(ipam, "lock_dir", &out->lock_dir, err)) < 0 ||
	    (rc = get_string(ipam, "socket", &out->socket, err)) < 0)
		return rc;
	if (out->socket && !out->socket[0]) {
		free(out->socket);
		out->socket = NULL;
	}
	if (out->socket && socket_path_check(out->socket) < 0) {
		cni_error_set(err, CNI_ERR_INVALID_CONFIG,
			      "ipam.socket: must be an absolute path of at most %d bytes or \"\"",
			      IPAM_SOCKET_PATH_MAX);
		return -EINVAL;
	}
	if (!out->lock_dir && !(out->lock_dir = strdup(IPAM_HOST_LOCK_DIR)))
		return -ENOMEM;
	if (out->lock_dir[0] && out->lock_dir[0] != '/') {
		cni_error_set(err, CNI_ERR_INVALID_CONFIG,
			      "ipam.lock_dir: must be an absolute path or \"\" (no lock)");
		return -EINVAL;
	}
	if (out->nodename && !out->nodename[0]) {
		free(out->nodename);
		out->nodename = NULL;
	}
	if (json_object_object_get_ex(ipam, "timeout_seconds", &timeout) &&
	    !json_object_is_type(timeout, json_type_null)) {
		int64_t t = json_object_get_int64(timeout);

		if (!json_object_is_type(timeout, json_type_int) || t < 1 || t > 300) {
			cni_error_set(err, CNI_ERR_INVALID_CONFIG,
				      "ipam.timeout_seconds: must be an integer 1..300");
			return -EINVAL;
		}
		out->timeout_seconds = (int)t;
	}
	if (out->log_level && strcmp(out->log_level, "debug") && strcmp(out->log_level, "info") &&
	    strcmp(out->log_level, "warn") && strcmp(out->log_level, "error")) {
		cni_error_set(err, CNI_ERR_INVALID_CONFIG,
			      "ipam.log_level: must be debug, info, warn or error");
		return -EINVAL;
	}
	if (!out->assign_ipv4 && !out->assign_ipv6) {
		cni_error_set(err, CNI_ERR_INVALID_CONFIG,
			      "ipam: assign_ipv4 and assign_ipv6 are both false: nothing to assign");
		return -EINVAL;
	}
	return 0;
}

int ipam_plugin_nodename(const struct ipam_plugin_config *cfg, const char *nodename_file,
			 char *buf, size_t size)
{
	FILE *f;

	if (cfg && cfg->nodename) {
		if (strlen(cfg->nodename) >= size)
			return -ENOSPC;
		strcpy(buf, cfg->nodename);
		return 0;
	}
	if (nodename_file && (f = fopen(nodename_file, "re"))) {
		char line[256];
		bool ok = fgets(line, sizeof(line), f) != NULL;

		fclose(f);
		if (ok) {
			line[strcspn(line, " \t\r\n")] = '\0';
			if (line[0]) {
				if (strlen(line) >= size)
					return -ENOSPC;
				strcpy(buf, line);
				return 0;
			}
		}
	}
	if (size == 0)
		return -ENOSPC;
	if (gethostname(buf, size) < 0)
		return -errno;
	buf[size - 1] = '\0';
	return 0;
}

static const char *annotation(json_object *obj, const char *key)
{
	json_object *md, *ann, *v;

	if (!obj || !json_object_object_get_ex(obj, "metadata", &md) ||
	    !json_object_object_get_ex(md, "annotations", &ann) ||
	    !json_object_object_get_ex(ann, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int pools_from(json_object *pod, json_object *ns, const char *key, char ***out,
		      size_t *count, struct cni_error *err)
{
	const char *text = annotation(pod, key);
	const char *what = "pod";
	int rc;

	if (!text) {
		text = annotation(ns, key);
		what = "namespace";
	}
	if (!text)
		return 0;
	rc = model_parse_pool_list(text, out, count);
	if (rc == -EINVAL)
		cni_error_set(err, CNI_ERR_INVALID_CONFIG,
			      "%s annotation %s: must be a JSON list of pool names or CIDRs, got %s",
			      what, key, text);
	return rc;
}

int ipam_plugin_pools_from_annotations(json_object *pod, json_object *ns, char ***v4,
				       size_t *v4_count, char ***v6, size_t *v6_count,
				       struct cni_error *err)
{
	int rc;

	*v4 = *v6 = NULL;
	*v4_count = *v6_count = 0;
	rc = pools_from(pod, ns, POD_ANNOTATION_IPV4_POOLS, v4, v4_count, err);
	if (rc == 0)
		rc = pools_from(pod, ns, IPAM_ANNOTATION_IPV6_POOLS, v6, v6_count, err);
	if (rc < 0) {
		ipam_plugin_pools_free(*v4, *v4_count);
		*v4 = NULL;
		*v4_count = 0;
	}
	return rc;
}

int ipam_plugin_socket_path(const char *text, size_t len, char *buf, size_t size)
{
	json_tokener *tok = json_tokener_new();
	json_object *root = NULL, *ipam, *sock;
	const char *path;
	int rc = -ENOENT;

	if (!tok)
		return -ENOMEM;
	if (len <= (size_t)INT32_MAX)
		root = json_tokener_parse_ex(tok, text, (int)len);
	json_tokener_free(tok);
	if (!root || !json_object_object_get_ex(root, "ipam", &ipam) ||
	    !json_object_is_type(ipam, json_type_object) ||
	    !json_object_object_get_ex(ipam, "socket", &sock) ||
	    !json_object_is_type(sock, json_type_string))
		goto out;
	path = json_object_get_string(sock);
	if (!path[0])
		goto out;
	if ((rc = socket_path_check(path)) == 0 && strlen(path) >= size)
		rc = -ENAMETOOLONG;
	if (rc == 0)
		strcpy(buf, path);
out:
	json_object_put(root);
	return rc;
}
