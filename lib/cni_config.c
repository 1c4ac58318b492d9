/* cni_config: parse and check the network configuration.
 *
 * Checks run in a fixed order (decode, cniVersion, name, type, ipam, then the
 * optional fields) so the reported field is deterministic when a config has
 * several problems; the runtime shows only one message. The parsed document
 * is kept whole because the spec requires the IPAM plugin to receive the
 * same configuration the main plugin got, unknown fields included. */
#include "cni_config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cni_version.h"
#include "log.h"

static json_object *parse_object(const char *text, size_t len, struct cni_error *err)
{
	json_tokener *tok;
	json_object *obj;
	enum json_tokener_error jerr;

	if (!text || len == 0) {
		cni_error_set(err, CNI_ERR_DECODE, "network configuration: empty stdin");
		return NULL;
	}
	if (len > 1024 * 1024) {
		cni_error_set(err, CNI_ERR_DECODE, "network configuration: larger than 1 MiB");
		return NULL;
	}
	tok = json_tokener_new();
	if (!tok)
		return NULL;
	obj = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	if (jerr == json_tokener_success && tok->char_offset < (int)len) {
		/* trailing non-space garbage after the object */
		size_t i;

		for (i = (size_t)tok->char_offset; i < len; i++)
			if (!isspace((unsigned char)text[i])) {
				json_object_put(obj);
				obj = NULL;
				jerr = json_tokener_error_parse_unexpected;
				break;
			}
	}
	json_tokener_free(tok);
	if (!obj || jerr != json_tokener_success) {
		json_object_put(obj);
		cni_error_set(err, CNI_ERR_DECODE, "network configuration: not valid JSON: %s",
			      jerr == json_tokener_continue ? "unexpected end of input"
						       : json_tokener_error_desc(jerr));
		return NULL;
	}
	if (!json_object_is_type(obj, json_type_object)) {
		json_object_put(obj);
		cni_error_set(err, CNI_ERR_DECODE,
			      "network configuration: must be a JSON object");
		return NULL;
	}
	return obj;
}

static const char *type_label(json_object *v)
{
	return v ? json_type_to_name(json_object_get_type(v)) : "null";
}

/* 1 present (copied), 0 absent, -EINVAL wrong type / empty when required. */
static int get_string(json_object *obj, const char *key, const char *path, bool required,
		      char **out, struct cni_error *err)
{
	json_object *v;

	if (!json_object_object_get_ex(obj, key, &v) || !v) {
		if (!required)
			return 0;
		cni_error_set(err, CNI_ERR_INVALID_CONFIG, "%s: required field missing", path);
		return -EINVAL;
	}
	if (!json_object_is_type(v, json_type_string)) {
		cni_error_set(err, CNI_ERR_INVALID_CONFIG, "%s: must be a string, got %s", path,
			      type_label(v));
		return -EINVAL;
	}
	if (required && json_object_get_string_len(v) == 0) {
		cni_error_set(err, CNI_ERR_INVALID_CONFIG, "%s: must not be empty", path);
		return -EINVAL;
	}
	*out = strdup(json_object_get_string(v));
	return *out ? 1 : -ENOMEM;
}

/* Borrow an optional object member; -EINVAL when present but not an object. */
static int get_object(json_object *obj, const char *key, const char *path, json_object **out,
		      struct cni_error *err)
{
	json_object *v;

	*out = NULL;
	if (!json_object_object_get_ex(obj, key, &v) || !v)
		return 0;
	if (!json_object_is_type(v, json_type_object)) {
		cni_error_set(err, CNI_ERR_INVALID_CONFIG, "%s: must be an object, got %s", path,
			      type_label(v));
		return -EINVAL;
	}
	*out = v;
	return 1;
}

static bool network_name_valid(const char *name)
{
	if (!isalnum((unsigned char)*name))
		return false;
	for (; *name; name++)
		if (!isalnum((unsigned char)*name) && *name != '_' && *name != '.' && *name != '-')
			return false;
	return true;
}

static int check_version(const char *version, struct cni_error *err)
{
	size_t i;
	char list[128] = "";

	if (cni_version_supported(version))
		return 0;
	for (i = 0; cni_supported_versions[i]; i++) {
		strncat(list, i ? ", " : "", sizeof(list) - strlen(list) - 1);
		strncat(list, cni_supported_versions[i], sizeof(list) - strlen(list) - 1);
	}
	cni_error_set(err, CNI_ERR_INCOMPATIBLE_VERSION,
		      "cniVersion: \"%.32s\" is not supported (supported: %s)", version, list);
	return -EINVAL;
}

static int parse_mtu(json_object *root, int *out, struct cni_error *err)
{
	json_object *v;
	int64_t mtu;

	if (!json_object_object_get_ex(root, "mtu", &v) || !v)
		return 0;
	if (!json_object_is_type(v, json_type_int)) {
		cni_error_set(err, CNI_ERR_INVALID_CONFIG, "mtu: must be an integer, got %s",
			      type_label(v));
		return -EINVAL;
	}
	mtu = json_object_get_int64(v);
	if (mtu != 0 && (mtu < 68 || mtu > 65535)) {
		cni_error_set(err, CNI_ERR_INVALID_CONFIG,
			      "mtu: must be 0 (auto) or between 68 and 65535, got %lld",
			      (long long)mtu);
		return -EINVAL;
	}
	*out = (int)mtu;
	return 0;
}

int cni_config_parse(const char *text, size_t len, struct cni_net_config *out,
		     struct cni_error *err)
{
	json_object *ipam, *kube;
	enum log_level level;
	int ret;

	memset(out, 0, sizeof(*out));
	out->root = parse_object(text, len, err);
	if (!out->root)
		return cni_error_is_set(err) ? -EINVAL : -ENOMEM;
	if ((ret = get_string(out->root, "cniVersion", "cniVersion", true, &out->cni_version,
			      err)) < 0)
		goto fail;
	if ((ret = check_version(out->cni_version, err)) < 0)
		goto fail;
	if ((ret = get_string(out->root, "name", "name", true, &out->name, err)) < 0)
		goto fail;
	if (!network_name_valid(out->name)) {
		cni_error_set(err, CNI_ERR_INVALID_CONFIG,
			      "name: \"%.64s\" must start with a letter or digit and hold only "
			      "letters, digits, '_', '.' or '-'", out->name);
		ret = -EINVAL;
		goto fail;
	}
	if ((ret = get_string(out->root, "type", "type", true, &out->type, err)) < 0)
		goto fail;
	if ((ret = get_object(out->root, "ipam", "ipam", &ipam, err)) < 0)
		goto fail;
	if (!ipam) {
		cni_error_set(err, CNI_ERR_INVALID_CONFIG, "ipam: required field missing");
		ret = -EINVAL;
		goto fail;
	}
	if ((ret = get_string(ipam, "type", "ipam.type", true, &out->ipam_type, err)) < 0)
		goto fail;
	if (strchr(out->ipam_type, '/') || strcmp(out->ipam_type, ".") == 0 ||
	    strcmp(out->ipam_type, "..") == 0) {
		cni_error_set(err, CNI_ERR_INVALID_CONFIG,
			      "ipam.type: \"%.64s\" must be a plugin name, not a path",
			      out->ipam_type);
		ret = -EINVAL;
		goto fail;
	}
	if ((ret = parse_mtu(out->root, &out->mtu, err)) < 0)
		goto fail;
	if ((ret = get_object(out->root, "kubernetes", "kubernetes", &kube, err)) < 0)
		goto fail;
	if (kube && (ret = get_string(kube, "kubeconfig", "kubernetes.kubeconfig", false,
				      &out->kubeconfig, err)) < 0)
		goto fail;
	if (out->kubeconfig && !*out->kubeconfig) {
		free(out->kubeconfig);
		out->kubeconfig = NULL;
	}
	if ((ret = get_string(out->root, "log_level", "log_level", false, &out->log_level,
			      err)) < 0)
		goto fail;
	if (out->log_level && log_level_parse(out->log_level, &level) < 0) {
		cni_error_set(err, CNI_ERR_INVALID_CONFIG,
			      "log_level: \"%.32s\" must be debug, info, warn or error",
			      out->log_level);
		ret = -EINVAL;
		goto fail;
	}
	if ((ret = get_string(out->root, "log_file", "log_file", false, &out->log_file, err)) < 0)
		goto fail;
	if ((ret = get_object(out->root, "dns", "dns", &out->dns, err)) < 0 ||
	    (ret = get_object(out->root, "prevResult", "prevResult", &out->prev_result, err)) < 0 ||
	    (ret = get_object(out->root, "runtimeConfig", "runtimeConfig", &out->runtime_config,
			      err)) < 0)
		goto fail;
	return 0;
fail:
	cni_config_free(out);
	return ret == -ENOMEM ? -ENOMEM : -EINVAL;
}

int cni_config_version_only(const char *text, size_t len, char **out, struct cni_error *err)
{
	json_object *root, *v;
	size_t i;

	*out = NULL;
	for (i = 0; i < len && isspace((unsigned char)text[i]); i++)
		;
	if (i == len)
		return 0;
	root = parse_object(text, len, err);
	if (!root)
		return cni_error_is_set(err) ? -EINVAL : -ENOMEM;
	if (json_object_object_get_ex(root, "cniVersion", &v) &&
	    json_object_is_type(v, json_type_string)) {
		*out = strdup(json_object_get_string(v));
		if (!*out) {
			json_object_put(root);
			return -ENOMEM;
		}
	}
	json_object_put(root);
	return 0;
}

char *cni_config_with_version(const struct cni_net_config *cfg, const char *version)
{
	json_object *copy = NULL;
	char *text = NULL;

	if (json_object_deep_copy(cfg->root, &copy, NULL) < 0)
		return NULL;
	if (json_object_object_add(copy, "cniVersion", json_object_new_string(version)) == 0)
		text = strdup(json_object_to_json_string_ext(copy, JSON_C_TO_STRING_PLAIN));
	json_object_put(copy);
	return text;
}

void cni_config_free(struct cni_net_config *cfg)
{
	json_object_put(cfg->root);
	free(cfg->cni_version);
	free(cfg->name);
	free(cfg->type);
	free(cfg->ipam_type);
	free(cfg->kubeconfig);
	free(cfg->log_level);
	free(cfg->log_file);
	memset(cfg, 0, sizeof(*cfg));
}
