/* cni_env: the CNI_* environment variables of one plugin invocation.
 *
 * Contract: cni_env_parse() reads an environ-style array ("KEY=value", NULL
 * terminated) and checks what the spec requires for the command:
 *   ADD, CHECK : CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME, CNI_PATH
 *   DEL        : CNI_CONTAINERID, CNI_IFNAME, CNI_PATH (CNI_NETNS optional)
 *   GC, STATUS : CNI_PATH
 *   VERSION    : nothing
 * CNI_CONTAINERID must start with a letter or digit and hold only letters,
 * digits, '_', '.' and '-'; CNI_IFNAME must be a valid kernel interface name.
 * CNI_ARGS ("K=V;K=V") is parsed for K8S_POD_NAMESPACE, K8S_POD_NAME and
 * K8S_POD_INFRA_CONTAINER_ID; other keys (IgnoreUnknown, ...) are ignored, a
 * pair without '=' is an error. Every failure, an unknown CNI_COMMAND too,
 * is CNI error 4 (invalid environment variables) with a message naming the
 * variable. Strings in
 * struct cni_env are heap copies freed by cni_env_free(). */
#ifndef TWILL_CNI_ENV_H
#define TWILL_CNI_ENV_H

#include "cni_error.h"

enum cni_command {
	CNI_CMD_NONE = 0,
	CNI_CMD_ADD,
	CNI_CMD_DEL,
	CNI_CMD_CHECK,
	CNI_CMD_VERSION,
	CNI_CMD_GC,
	CNI_CMD_STATUS,
};

struct cni_k8s_args {
	char *pod_namespace;
	char *pod_name;
	char *infra_container_id;
};

struct cni_env {
	enum cni_command command;
	char *container_id;
	char *netns;   /* NULL when unset or empty */
	char *ifname;
	char *args;    /* raw CNI_ARGS */
	char *path;    /* raw CNI_PATH */
	struct cni_k8s_args k8s;
};

/* "ADD" -> CNI_CMD_ADD...; CNI_CMD_NONE for anything else. */
enum cni_command cni_command_parse(const char *text);
const char *cni_command_name(enum cni_command cmd);

/* 0, or -EINVAL with err set (code 4), or -ENOMEM. */
int cni_env_parse(char *const *envp, struct cni_env *out, struct cni_error *err);
/* Parse CNI_ARGS text into out (replacing its fields). */
int cni_args_parse(const char *text, struct cni_k8s_args *out, struct cni_error *err);
void cni_k8s_args_free(struct cni_k8s_args *args);
void cni_env_free(struct cni_env *env);

#include <stddef.h>

#define CNI_STDIN_MAX (1024 * 1024)

/* The network configuration a runtime writes to the plugin's stdin: reads fd
 * to EOF into *out (NUL-terminated, *len bytes, caller frees). A closed fd
 * (VERSION from some runtimes) reads as empty. 0, -EFBIG once the buffer
 * would grow past CNI_STDIN_MAX (input beyond about 1 MiB), -ENOMEM or the
 * read's -errno. */
int cni_read_stdin(int fd, char **out, size_t *len);

#endif
