/* ipam_exec: spawning the delegated IPAM plugin.
 *
 * posix_spawn() rather than fork()+exec(): glibc's posix_spawn runs the
 * child on the parent's memory (CLONE_VM|CLONE_VFORK) until it execs, so no
 * page tables are copied and no copy-on-write faults are taken in the
 * parent afterwards -- on every ADD, on the plugin's critical path. It also
 * reports a failed exec as its return value instead of a 127 exit status.
 *
 * stdin is a memfd holding the config rather than a pipe: the child may
 * write a large result before reading its input, and with two pipes that
 * ordering deadlocks; a memfd is fully written before the fork. stdout is a
 * pipe read to EOF, capped at 1 MiB (a result is a few hundred bytes; a
 * runaway plugin must not exhaust memory). stderr is inherited so the IPAM
 * plugin's logs reach the runtime like ours do. */
#include "ipam_exec.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cni_version.h"
#include "log.h"
#include "plugin_config.h"
#include "server.h"
#include "server_client.h"

#define IPAM_OUTPUT_MAX (1024 * 1024)

int cni_ipam_find(const char *cni_path, const char *type, char *out, size_t size)
{
	const char *p = cni_path;

	while (p && *p) {
		const char *end = strchr(p, ':');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		struct stat st;
		int n;

		if (len > 0) {
			n = snprintf(out, size, "%.*s/%s", (int)len, p, type);
			if (n > 0 && (size_t)n < size && stat(out, &st) == 0 && S_ISREG(st.st_mode) &&
			    access(out, X_OK) == 0)
				return 0;
		}
		p = end ? end + 1 : NULL;
	}
	if (size)
		out[0] = '\0';
	return -ENOENT;
}

/* envp with CNI_COMMAND replaced; the strings stay the caller's except the
 * one new entry, freed with the array. */
static char **env_with_command(char *const *envp, const char *command)
{
	size_t n = 0, i, j = 0;
	char **out;

	while (envp && envp[n])
		n++;
	out = calloc(n + 2, sizeof(*out));
	if (!out)
		return NULL;
	if (asprintf(&out[j++], "CNI_COMMAND=%s", command) < 0) {
		free(out);
		return NULL;
	}
	for (i = 0; i < n; i++)
		if (strncmp(envp[i], "CNI_COMMAND=", 12) != 0)
			out[j++] = envp[i];
	return out;
}

static int memfd_with(const char *text, size_t len)
{
	int fd = memfd_create("twill-cni-stdin", MFD_CLOEXEC);
	size_t done = 0;

	if (fd < 0)
		return -errno;
	while (done < len) {
		ssize_t n = write(fd, text + done, len - done);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			n = -errno;
			close(fd);
			return (int)n;
		}
		done += (size_t)n;
	}
	if (lseek(fd, 0, SEEK_SET) < 0) {
		int ret = -errno;

		close(fd);
		return ret;
	}
	return fd;
}

/* Start the plugin: its stdout is the read end *out_fd, its pid *pid. 0 or
 * -errno for failures to run it at all; when the spawn (the exec) itself
 * failed, *spawn_errno says why. */
static int spawn_plugin(const char *path, char **envp, const char *input, size_t input_len,
			pid_t *pid, int *out_fd, int *spawn_errno)
{
	int in_fd, pipefd[2] = { -1, -1 }, ret = 0;
	char *argv[] = { (char *)path, NULL };
	posix_spawn_file_actions_t fa;

	*out_fd = -1;
	*spawn_errno = 0;
	in_fd = memfd_with(input, input_len);
	if (in_fd < 0)
		return in_fd;
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		ret = -errno;
		goto out;
	}
	/* dup2 onto 0/1 clears close-on-exec there (also when the fd already
	 * is 0 or 1: POSIX asks adddup2 to clear it then). */
	if ((ret = posix_spawn_file_actions_init(&fa))) {
		ret = -ret;
		goto out;
	}
	if (!(ret = posix_spawn_file_actions_adddup2(&fa, in_fd, STDIN_FILENO)) &&
	    !(ret = posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO)))
		ret = posix_spawn(pid, path, &fa, NULL, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	if (ret) {
		*spawn_errno = ret;
		ret = -ret;
		goto out;
	}
	*out_fd = pipefd[0];
	pipefd[0] = -1;
out:
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	close(in_fd);
	return ret;
}

/* Read a started plugin's stdout to EOF (closing out_fd) and reap it:
 * *output (NUL-terminated) and *status, the wait status. 0 or -errno. */
static int collect_plugin(pid_t pid, int out_fd, char **output, size_t *output_len, int *status)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int ret = 0;

	*output = NULL;
	for (;;) {
		ssize_t n;

		if (cap - len < 4096) {
			char *nb;

			if (cap >= IPAM_OUTPUT_MAX) {
				ret = -EMSGSIZE;
				break;
			}
			nb = realloc(buf, cap + 65536);
			if (!nb) {
				ret = -ENOMEM;
				break;
			}
			buf = nb;
			cap += 65536;
		}
		n = read(out_fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(out_fd);
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
	if (ret == 0 && buf) {
		buf[len] = '\0';
		*output = buf;
		*output_len = len;
		buf = NULL;
	} else if (ret == 0) {
		*output = strdup("");
		*output_len = 0;
		if (!*output)
			ret = -ENOMEM;
	}
	free(buf);
	return ret;
}

/* Run the plugin once, to the end. */
static int run_plugin(const char *path, char **envp, const char *input, size_t input_len,
		      char **output, size_t *output_len, int *status, int *spawn_errno)
{
	int out_fd, ret;
	pid_t pid;

	*output = NULL;
	if ((ret = spawn_plugin(path, envp, input, input_len, &pid, &out_fd, spawn_errno)) < 0)
		return ret;
	return collect_plugin(pid, out_fd, output, output_len, status);
}

/* Turn a failed run into err: the plugin's own error object when it printed
 * one, else a description of how it died. Returns the code. */
static int plugin_failure(const char *type, const char *output, int status, struct cni_error *err)
{
	json_object *obj = output && *output ? json_tokener_parse(output) : NULL;
	json_object *code = NULL, *msg = NULL, *details = NULL;
	int ret;

	if (obj && json_object_object_get_ex(obj, "code", &code) &&
	    json_object_is_type(code, json_type_int)) {
		json_object_object_get_ex(obj, "msg", &msg);
		json_object_object_get_ex(obj, "details", &details);
		ret = json_object_get_int(code);
		if (ret <= 0)
			ret = CNI_ERR_INTERNAL;
		cni_error_set_details(err, ret, details ? json_object_get_string(details) : NULL,
				      "ipam plugin %s: %s", type,
				      msg ? json_object_get_string(msg) : "error without msg");
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
		ret = cni_error_set(err, CNI_ERR_INTERNAL, "ipam plugin %s: could not be executed",
				    type);
	} else if (WIFSIGNALED(status)) {
		ret = cni_error_set(err, CNI_ERR_INTERNAL, "ipam plugin %s: killed by signal %d",
				    type, WTERMSIG(status));
	} else {
		ret = cni_error_set(err, CNI_ERR_INTERNAL,
				    "ipam plugin %s: exited with status %d without an error object",
				    type, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	}
	json_object_put(obj);
	return ret;
}

/* What a finished run means: the result (ADD) or the plugin's error. The
 * status is a wait status. */
static int interpret(const struct cni_plugin *p, enum cni_command cmd, const char *version,
		     const char *output, size_t output_len, int status, struct cni_result *result,
		     struct cni_error *err)
{
	char prefix[96];

	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return plugin_failure(p->cfg.ipam_type, output, status, err);
	if (cmd != CNI_CMD_ADD)
		return 0;
	snprintf(prefix, sizeof(prefix), "ipam plugin %s result (%s)", p->cfg.ipam_type, version);
	if (cni_result_parse_text(output, output_len, prefix, result, err) < 0)
		return err->code ? err->code : CNI_ERR_DECODE;
	return 0;
}

/* A failure to run the plugin at all as a CNI error. */
static int run_failure(const struct cni_plugin *p, int ret, int spawn_errno,
		       struct cni_error *err)
{
	if (spawn_errno)
		return cni_error_set(err, CNI_ERR_INTERNAL, "ipam plugin %s: could not be executed: "
				     "%s", p->cfg.ipam_type, strerror(spawn_errno));
	return cni_error_set(err, CNI_ERR_IO, "ipam plugin %s: %s", p->cfg.ipam_type,
			     strerror(-ret));
}

static int run_once(const struct cni_plugin *p, const char *path, enum cni_command cmd,
		    const char *input, size_t input_len, const char *version,
		    struct cni_result *result, struct cni_error *err)
{
	char **envp = env_with_command(p->envp, cni_command_name(cmd));
	char *output = NULL;
	size_t output_len = 0;
	int status = 0, spawn_errno = 0, ret;

	if (!envp)
		return cni_error_set(err, CNI_ERR_INTERNAL, "ipam: out of memory");
	ret = run_plugin(path, envp, input, input_len, &output, &output_len, &status,
			 &spawn_errno);
	free(envp[0]);
	free(envp);
	if (ret < 0)
		ret = run_failure(p, ret, spawn_errno, err);
	else
		ret = interpret(p, cmd, version, output, output_len, status, result, err);
	free(output);
	return ret;
}

/* The first run's outcome (ret, first); for a 1.1.0 config the plugin
 * refused as incompatible, one more run in 1.0.0, whose results have the
 * same shape. */
static int version_fallback(const struct cni_plugin *p, const char *path, enum cni_command cmd,
			    int ret, const struct cni_error *first, struct cni_result *result,
			    struct cni_error *err)
{
	char *downgraded;

	if (ret != CNI_ERR_INCOMPATIBLE_VERSION || strcmp(p->cfg.cni_version, "1.1.0") != 0 ||
	    cmd == CNI_CMD_GC || cmd == CNI_CMD_STATUS) {
		if (ret)
			cni_error_set_details(err, first->code, first->details, "%s", first->msg);
		return ret;
	}
	downgraded = cni_config_with_version(&p->cfg, "1.0.0");
	if (!downgraded)
		return cni_error_set(err, CNI_ERR_INTERNAL, "ipam: out of memory");
	log_info("event=ipam_version_fallback plugin=%s from=1.1.0 to=1.0.0", p->cfg.ipam_type);
	cni_result_free(result);
	cni_result_init(result);
	ret = run_once(p, path, cmd, downgraded, strlen(downgraded), "1.0.0", result, err);
	free(downgraded);
	return ret;
}

/* The plugin run to the end here (start's fallback when the server did
 * not take a request, or did not answer a DEL/CHECK). */
static int exec_to_end(const struct cni_plugin *p, const char *path, enum cni_command cmd,
		       struct cni_result *result, struct cni_error *err)
{
	struct cni_error first;
	int ret;

	cni_error_clear(&first);
	ret = run_once(p, path, cmd, p->stdin_text, p->stdin_len, p->cfg.cni_version, result,
		       &first);
	return version_fallback(p, path, cmd, ret, &first, result, err);
}

struct cni_ipam_call {
	const struct cni_plugin *p;
	enum cni_command cmd;
	char path[PATH_MAX];
	char socket[IPAM_SOCKET_PATH_MAX + 1];
	int sock_fd; /* >= 0: the request is with the node-local server */
	int out_fd;  /* >= 0: the plugin runs as pid */
	pid_t pid;
};

bool cni_ipam_server_socket(const struct cni_plugin *p, char *buf, size_t size)
{
	return strcmp(p->cfg.ipam_type, CNI_TWILL_IPAM) == 0 &&
	       ipam_plugin_socket_path(p->stdin_text, p->stdin_len, buf, size) == 0;
}

/* twill-ipam with ipam.socket: the request goes to its node-local server
 * from this process, as the twill-ipam plugin would send it. */
static bool server_eligible(const struct cni_plugin *p, enum cni_command cmd, char *sock,
			    size_t size)
{
	return (cmd == CNI_CMD_ADD || cmd == CNI_CMD_DEL || cmd == CNI_CMD_CHECK) &&
	       cni_ipam_server_socket(p, sock, size);
}

int cni_ipam_start(const struct cni_plugin *p, enum cni_command cmd, struct cni_ipam_call **out,
		   struct cni_error *err)
{
	struct cni_ipam_call *call;
	char **envp = NULL;
	int ret = 0, spawn_errno = 0;

	*out = NULL;
	if (!(call = calloc(1, sizeof(*call))))
		return cni_error_set(err, CNI_ERR_INTERNAL, "ipam: out of memory");
	call->p = p;
	call->cmd = cmd;
	call->sock_fd = call->out_fd = -1;
	if (cni_ipam_find(p->env.path, p->cfg.ipam_type, call->path, sizeof(call->path)) < 0) {
		ret = cni_error_set(err, CNI_ERR_INVALID_CONFIG,
				    "ipam.type: plugin \"%s\" not found in CNI_PATH (%s)",
				    p->cfg.ipam_type, p->env.path ? p->env.path : "");
		goto out;
	}
	if (!(envp = env_with_command(p->envp, cni_command_name(cmd)))) {
		ret = cni_error_set(err, CNI_ERR_INTERNAL, "ipam: out of memory");
		goto out;
	}
	if (server_eligible(p, cmd, call->socket, sizeof(call->socket))) {
		if (ipam_server_send(call->socket, envp, p->stdin_text, p->stdin_len,
				     IPAM_SERVER_CHILD_TIMEOUT_S + 10, &call->sock_fd) == 0) {
			log_debug("event=ipam_server command=%s socket=%s", cni_command_name(cmd),
				  call->socket);
			goto out;
		}
		log_info("event=ipam_server_fallback socket=%s reason=\"not reachable\"",
			 call->socket);
	}
	log_debug("event=ipam_exec command=%s plugin=%s", cni_command_name(cmd), call->path);
	ret = spawn_plugin(call->path, envp, p->stdin_text, p->stdin_len, &call->pid,
			   &call->out_fd, &spawn_errno);
	if (ret < 0)
		ret = run_failure(p, ret, spawn_errno, err);
out:
	if (envp) {
		free(envp[0]);
		free(envp);
	}
	if (ret) {
		free(call);
		return ret;
	}
	*out = call;
	return 0;
}

int cni_ipam_finish(struct cni_ipam_call *call, struct cni_result *result, struct cni_error *err)
{
	const struct cni_plugin *p = call->p;
	struct cni_error first;
	char *output = NULL;
	size_t len = 0;
	int ret, status = 0;

	cni_result_init(result);
	cni_error_clear(&first);
	if (call->sock_fd >= 0) {
		ret = ipam_server_receive(call->sock_fd, &output, &len, &status);
		if (ret == 0) {
			/* an exit status; interpret() takes a wait status */
			ret = interpret(p, call->cmd, p->cfg.cni_version, output, len,
					(status & 0xff) << 8, result, err);
		} else if (ret == -ECONNRESET && call->cmd == CNI_CMD_ADD) {
			/* The server may have assigned: running ADD again could
			 * double it. The runtime retries (after a DEL). */
			ret = cni_error_set(err, CNI_ERR_TRY_AGAIN,
					    "ipam plugin %s: IPAM server at %s took the request but "
					    "gave no answer; try again", p->cfg.ipam_type, call->socket);
		} else {
			log_info("event=ipam_server_fallback socket=%s reason=\"%s\"", call->socket,
				 ret == -EHOSTDOWN ? "refused" : "no answer");
			ret = exec_to_end(p, call->path, call->cmd, result, err);
		}
	} else {
		ret = collect_plugin(call->pid, call->out_fd, &output, &len, &status);
		if (ret < 0)
			ret = run_failure(p, ret, 0, &first);
		else
			ret = interpret(p, call->cmd, p->cfg.cni_version, output, len, status, result,
					&first);
		ret = version_fallback(p, call->path, call->cmd, ret, &first, result, err);
	}
	free(output);
	free(call);
	return ret;
}

int cni_ipam_exec(const struct cni_plugin *p, enum cni_command cmd, struct cni_result *result,
		  struct cni_error *err)
{
	struct cni_ipam_call *call;
	int ret;

	cni_result_init(result);
	if ((ret = cni_ipam_start(p, cmd, &call, err)))
		return ret;
	return cni_ipam_finish(call, result, err);
}

int cni_ipam_supports(const struct cni_plugin *p, const char *version, bool *out)
{
	char path[PATH_MAX], input[64], *output = NULL;
	char **envp;
	json_object *obj = NULL, *arr;
	size_t len = 0, i;
	int status = 0, spawn_errno, ret;

	*out = false;
	if (cni_ipam_find(p->env.path, p->cfg.ipam_type, path, sizeof(path)) < 0)
		return -ENOENT;
	envp = env_with_command(p->envp, "VERSION");
	if (!envp)
		return -ENOMEM;
	snprintf(input, sizeof(input), "{\"cniVersion\":\"%s\"}", version);
	ret = run_plugin(path, envp, input, strlen(input), &output, &len, &status, &spawn_errno);
	free(envp[0]);
	free(envp);
	if (ret < 0)
		return ret;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && (obj = json_tokener_parse(output)) &&
	    json_object_object_get_ex(obj, "supportedVersions", &arr) &&
	    json_object_is_type(arr, json_type_array))
		for (i = 0; i < json_object_array_length(arr); i++)
			if (strcmp(json_object_get_string(json_object_array_get_idx(arr, i)),
				   version) == 0)
				*out = true;
	json_object_put(obj);
	free(output);
	return 0;
}
