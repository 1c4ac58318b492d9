/* twill-cni: the CNI plugin binary.
 *
 * Reads CNI_* from the environment and the network configuration from
 * stdin, runs one command, prints the result (ADD) or an error object on
 * stdout and exits 0 or 1, as the CNI spec defines. This is the only place
 * that turns errors into output and exit codes. Logs go to stderr (or
 * log_file) at log_level (default warn), never to stdout, which belongs to
 * the protocol. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cni_env.h"
#include "cni_plugin.h"
#include "cni_version.h"
#include "log.h"

extern char **environ;

static int print_text(const char *text)
{
	if (!text || fputs(text, stdout) < 0 || fputc('\n', stdout) < 0 || fflush(stdout))
		return -EIO;
	return 0;
}

static int fail(const struct cni_error *err, const char *version)
{
	char *text = cni_error_json(err, version && cni_version_supported(version) ? version
									       : NULL);

	log_error("event=error code=%d msg=\"%s\"", err->code, err->msg);
	print_text(text ? text : "{\"code\":999,\"msg\":\"out of memory\"}");
	free(text);
	return 1;
}

static void setup_logging(const struct cni_net_config *cfg)
{
	enum log_level level = LOG_LEVEL_WARN;
	int fd;

	if (cfg->log_level)
		log_level_parse(cfg->log_level, &level);
	log_set_level(level);
	if (cfg->log_file) {
		fd = open(cfg->log_file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		if (fd >= 0)
			log_set_fd(fd); /* kept open until exit */
		else
			log_warn("event=log_file_unusable path=%s err=\"%s\"", cfg->log_file,
				 strerror(errno));
	}
}

int main(void)
{
	struct cni_plugin p;
	struct cni_error err;
	json_object *result = NULL;
	char *input = NULL, *version = NULL;
	size_t len = 0;
	int ret, status = 1;

	log_init("cni");
	log_set_level(LOG_LEVEL_WARN);
	memset(&p, 0, sizeof(p));
	cni_error_clear(&err);
	p.envp = environ;
	if ((ret = cni_read_stdin(STDIN_FILENO, &input, &len)) < 0) {
		cni_error_set(&err, CNI_ERR_IO, "stdin: %s", strerror(-ret));
		return fail(&err, NULL);
	}
	/* Errors are reported in the config's version when it has a usable one. */
	if (cni_config_version_only(input, len, &version, &err) < 0) {
		if (cni_command_parse(getenv("CNI_COMMAND")) == CNI_CMD_VERSION) {
			cni_error_clear(&err); /* VERSION does not need a config */
		} else {
			status = fail(&err, NULL);
			goto out;
		}
	}
	if (cni_env_parse(environ, &p.env, &err) < 0) {
		status = fail(&err, version);
		goto out;
	}
	if (p.env.command == CNI_CMD_VERSION) {
		char *text = cni_version_info_json(version && cni_version_supported(version)
							   ? version : NULL);

		status = print_text(text) ? 1 : 0;
		free(text);
		goto out;
	}
	p.stdin_text = input;
	p.stdin_len = len;
	if (cni_config_parse(input, len, &p.cfg, &err) < 0) {
		status = fail(&err, version);
		goto out;
	}
	setup_logging(&p.cfg);
	if (p.env.container_id &&
	    cni_host_veth_name(p.env.k8s.pod_namespace, p.env.k8s.pod_name, p.env.container_id,
			       p.host_veth) < 0) {
		cni_error_set(&err, CNI_ERR_INVALID_ENV, "CNI_CONTAINERID: cannot derive a name");
		status = fail(&err, version);
		goto out;
	}
	switch (p.env.command) {
	case CNI_CMD_ADD:
		ret = cni_cmd_add(&p, &result, &err);
		break;
	case CNI_CMD_DEL:
		ret = cni_cmd_del(&p, &err);
		break;
	case CNI_CMD_CHECK:
		ret = cni_cmd_check(&p, &err);
		break;
	case CNI_CMD_STATUS:
		ret = cni_cmd_status(&p, &err);
		break;
	case CNI_CMD_GC:
		ret = cni_cmd_gc(&p, &err);
		break;
	default:
		ret = cni_error_set(&err, CNI_ERR_INVALID_ENV, "CNI_COMMAND: unsupported");
		break;
	}
	if (ret) {
		status = fail(&err, p.cfg.cni_version);
		goto out;
	}
	status = 0;
	if (result && print_text(json_object_to_json_string_ext(result, JSON_C_TO_STRING_PLAIN |
								  JSON_C_TO_STRING_NOSLASHESCAPE)))
		status = 1;
out:
	json_object_put(result);
	cni_config_free(&p.cfg);
	cni_env_free(&p.env);
	free(version);
	free(input);
	return status;
}
