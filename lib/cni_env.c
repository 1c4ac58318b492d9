/* cni_env: validation of the invocation environment, before any I/O.
 *
 * The plugin checks every variable up front so a runtime bug (missing
 * CNI_NETNS, an over-long CNI_IFNAME) is answered with error 4 naming the
 * variable instead of surfacing later as a netlink EINVAL after an address
 * was already allocated. */
#include "cni_env.h"
#include "fd_io.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cni_names.h"

static const char *const command_names[] = {
	[CNI_CMD_NONE] = "",        [CNI_CMD_ADD] = "ADD", [CNI_CMD_DEL] = "DEL",
	[CNI_CMD_CHECK] = "CHECK",  [CNI_CMD_VERSION] = "VERSION",
	[CNI_CMD_GC] = "GC",        [CNI_CMD_STATUS] = "STATUS",
};

enum cni_command cni_command_parse(const char *text)
{
	int i;

	if (!text)
		return CNI_CMD_NONE;
	for (i = CNI_CMD_ADD; i <= CNI_CMD_STATUS; i++)
		if (strcmp(text, command_names[i]) == 0)
			return (enum cni_command)i;
	return CNI_CMD_NONE;
}

const char *cni_command_name(enum cni_command cmd)
{
	if ((int)cmd < CNI_CMD_NONE || cmd > CNI_CMD_STATUS)
		return "";
	return command_names[cmd];
}

static const char *env_lookup(char *const *envp, const char *key)
{
	size_t klen = strlen(key);

	for (; envp && *envp; envp++)
		if (strncmp(*envp, key, klen) == 0 && (*envp)[klen] == '=')
			return *envp + klen + 1;
	return NULL;
}

static int dup_env(char *const *envp, const char *key, char **out)
{
	const char *v = env_lookup(envp, key);

	*out = NULL;
	if (!v || !*v)
		return 0;
	*out = strdup(v);
	return *out ? 0 : -ENOMEM;
}

static bool container_id_valid(const char *id)
{
	if (!isalnum((unsigned char)*id))
		return false;
	for (; *id; id++)
		if (!isalnum((unsigned char)*id) && *id != '_' && *id != '.' && *id != '-')
			return false;
	return true;
}

void cni_k8s_args_free(struct cni_k8s_args *args)
{
	free(args->pod_namespace);
	free(args->pod_name);
	free(args->infra_container_id);
	memset(args, 0, sizeof(*args));
}

int cni_args_parse(const char *text, struct cni_k8s_args *out, struct cni_error *err)
{
	char *copy = NULL, *save = NULL, *pair;
	int ret = 0;

	cni_k8s_args_free(out);
	if (!text || !*text)
		return 0;
	copy = strdup(text);
	if (!copy)
		return -ENOMEM;
	for (pair = strtok_r(copy, ";", &save); pair; pair = strtok_r(NULL, ";", &save)) {
		char *eq = strchr(pair, '='), **slot = NULL;

		if (!eq || eq == pair) {
			cni_error_set(err, CNI_ERR_INVALID_ENV,
				      "CNI_ARGS: pair \"%.64s\" is not KEY=VALUE", pair);
			ret = -EINVAL;
			goto out;
		}
		*eq = '\0';
		if (strcmp(pair, "K8S_POD_NAMESPACE") == 0)
			slot = &out->pod_namespace;
		else if (strcmp(pair, "K8S_POD_NAME") == 0)
			slot = &out->pod_name;
		else if (strcmp(pair, "K8S_POD_INFRA_CONTAINER_ID") == 0)
			slot = &out->infra_container_id;
		if (!slot)
			continue; /* IgnoreUnknown and runtime-specific keys */
		free(*slot);
		*slot = eq[1] ? strdup(eq + 1) : NULL;
		if (eq[1] && !*slot) {
			ret = -ENOMEM;
			goto out;
		}
	}
out:
	free(copy);
	if (ret)
		cni_k8s_args_free(out);
	return ret;
}

static int require(const char *value, const char *name, enum cni_command cmd,
		   struct cni_error *err)
{
	if (value)
		return 0;
	cni_error_set(err, CNI_ERR_INVALID_ENV, "%s: required for %s but not set", name,
		      cni_command_name(cmd));
	return -EINVAL;
}

int cni_env_parse(char *const *envp, struct cni_env *out, struct cni_error *err)
{
	const char *cmd = env_lookup(envp, "CNI_COMMAND"), *why;
	int ret;

	memset(out, 0, sizeof(*out));
	out->command = cni_command_parse(cmd);
	if (out->command == CNI_CMD_NONE) {
		cni_error_set(err, CNI_ERR_INVALID_ENV, "CNI_COMMAND: %s \"%.32s\"",
			      cmd ? "unknown command" : "not set", cmd ? cmd : "");
		return -EINVAL;
	}
	if ((ret = dup_env(envp, "CNI_CONTAINERID", &out->container_id)) ||
	    (ret = dup_env(envp, "CNI_NETNS", &out->netns)) ||
	    (ret = dup_env(envp, "CNI_IFNAME", &out->ifname)) ||
	    (ret = dup_env(envp, "CNI_ARGS", &out->args)) ||
	    (ret = dup_env(envp, "CNI_PATH", &out->path)))
		goto fail;
	switch (out->command) {
	case CNI_CMD_ADD:
	case CNI_CMD_CHECK:
		ret = require(out->netns, "CNI_NETNS", out->command, err);
		/* fall through */
	case CNI_CMD_DEL:
		if (!ret)
			ret = require(out->container_id, "CNI_CONTAINERID", out->command, err);
		if (!ret)
			ret = require(out->ifname, "CNI_IFNAME", out->command, err);
		/* fall through */
	case CNI_CMD_GC:
	case CNI_CMD_STATUS:
		if (!ret)
			ret = require(out->path, "CNI_PATH", out->command, err);
		break;
	default:
		break;
	}
	if (ret)
		goto fail;
	if (out->container_id && !container_id_valid(out->container_id)) {
		cni_error_set(err, CNI_ERR_INVALID_ENV,
			      "CNI_CONTAINERID: \"%.64s\" must be letters, digits, '_', '.' or '-'",
			      out->container_id);
		ret = -EINVAL;
		goto fail;
	}
	if (out->ifname && (why = cni_ifname_valid(out->ifname))) {
		cni_error_set(err, CNI_ERR_INVALID_ENV, "CNI_IFNAME: \"%.64s\" is not a valid "
			      "interface name: %s", out->ifname, why);
		ret = -EINVAL;
		goto fail;
	}
	if ((ret = cni_args_parse(out->args, &out->k8s, err)))
		goto fail;
	return 0;
fail:
	cni_env_free(out);
	return ret;
}

void cni_env_free(struct cni_env *env)
{
	free(env->container_id);
	free(env->netns);
	free(env->ifname);
	free(env->args);
	free(env->path);
	cni_k8s_args_free(&env->k8s);
	memset(env, 0, sizeof(*env));
}

int cni_read_stdin(int fd, char **out, size_t *len)
{
	int rc = fd_read_all(fd, CNI_STDIN_MAX, out, len);

	if (rc == -EBADF) { /* a closed stdin reads as empty */
		if (!(*out = calloc(1, 1)))
			return -ENOMEM;
		*len = 0;
		return 0;
	}
	return rc;
}
