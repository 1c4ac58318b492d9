/* libFuzzer target: arbitrary bytes as a request the IPAM server reads from
 * its socket, as a reply the plugin reads back, and as the config the
 * plugin scans for ipam.socket, and as the body of an annotation reply
 * twill-cni reads (server_annotate.h: a failure is always a CNI error with a
 * positive code and a message). Never a crash, leak or out-of-bounds read.
 * A decoded request holds only forwarded "K=V" entries and its config lies
 * inside the input; re-encoding it decodes to the same request. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "plugin_config.h"
#include "server_annotate.h"
#include "server_proto.h"

static void check_request(const char *buf, size_t size, const struct ipam_server_request *req)
{
	struct ipam_server_request again;
	char *enc = NULL;
	size_t i, enc_len = 0;

	if (req->env[req->env_count] || req->env_count > IPAM_SERVER_ENV_COUNT_MAX)
		__builtin_trap();
	for (i = 0; i < req->env_count; i++)
		if (!strchr(req->env[i], '=') || !ipam_server_forwarded(req->env[i]))
			__builtin_trap();
	if (req->config < buf || req->config + req->config_len != buf + size)
		__builtin_trap();
	if (ipam_server_request_encode(req->env, req->config, req->config_len, &enc, &enc_len) < 0)
		return;
	if (ipam_server_request_decode(enc, enc_len, &again) != 0 ||
	    again.env_count != req->env_count || again.config_len != req->config_len ||
	    memcmp(again.config, req->config, req->config_len))
		__builtin_trap();
	for (i = 0; i < req->env_count; i++)
		if (strcmp(again.env[i], req->env[i]))
			__builtin_trap();
	free(enc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipam_server_request req;
	char *buf = malloc(size + 1), path[IPAM_SOCKET_PATH_MAX + 1];
	struct cni_error err;
	size_t body;
	int status, code;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	if (ipam_server_request_decode(buf, size, &req) == 0)
		check_request(buf, size, &req);
	memcpy(buf, data, size);
	if (ipam_server_reply_parse(buf, size, &body, &status) == 0 &&
	    (body >= size || (status != IPAM_SERVER_REFUSED && (status < 0 || status > 255))))
		__builtin_trap();
	if (ipam_plugin_socket_path(buf, size, path, sizeof(path)) == 0 &&
	    (path[0] != '/' || strlen(path) > IPAM_SOCKET_PATH_MAX))
		__builtin_trap();
	cni_error_clear(&err);
	memcpy(buf, data, size);
	code = ipam_server_annotate_reply(1, buf, &err);
	if (code <= 0 || code != err.code || !err.msg[0])
		__builtin_trap();
	free(buf);
	return 0;
}
