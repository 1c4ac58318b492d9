/* server_proto: encoding and decoding of the plugin <-> server bytes. Pure:
 * no I/O, so every malformed input is unit-tested and fuzzed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cni_env.h"
#include "server_proto.h"

static const char *const forwarded_names[] = {
	"KUBECONFIG",
	"KUBERNETES_SERVICE_HOST",
	"KUBERNETES_SERVICE_PORT",
	"TWILL_SERVER_OP", /* server_annotate.h */
};

bool ipam_server_forwarded(const char *entry)
{
	size_t n = strcspn(entry, "="), i;

	if (n > 4 && strncmp(entry, "CNI_", 4) == 0)
		return true;
	for (i = 0; i < sizeof(forwarded_names) / sizeof(forwarded_names[0]); i++)
		if (strlen(forwarded_names[i]) == n && strncmp(entry, forwarded_names[i], n) == 0)
			return true;
	return false;
}

int ipam_server_request_encode(char *const *envp, const char *config, size_t len, char **out,
			       size_t *out_len)
{
	size_t env_bytes = 1, count = 0, pos = 0, i, n;
	char *buf;

	*out = NULL;
	*out_len = 0;
	if (len > CNI_STDIN_MAX)
		return -E2BIG;
	for (i = 0; envp && envp[i]; i++) {
		if (!strchr(envp[i], '=') || !ipam_server_forwarded(envp[i]))
			continue;
		env_bytes += strlen(envp[i]) + 1;
		count++;
	}
	if (count > IPAM_SERVER_ENV_COUNT_MAX || env_bytes > IPAM_SERVER_ENV_MAX)
		return -E2BIG;
	if (!(buf = malloc(IPAM_SERVER_MAGIC_LEN + env_bytes + len + 1)))
		return -ENOMEM;
	memcpy(buf, IPAM_SERVER_MAGIC, IPAM_SERVER_MAGIC_LEN);
	pos = IPAM_SERVER_MAGIC_LEN;
	for (i = 0; envp && envp[i]; i++) {
		if (!strchr(envp[i], '=') || !ipam_server_forwarded(envp[i]))
			continue;
		n = strlen(envp[i]) + 1;
		memcpy(buf + pos, envp[i], n);
		pos += n;
	}
	buf[pos++] = '\0';
	if (len)
		memcpy(buf + pos, config, len);
	pos += len;
	buf[pos] = '\0'; /* not sent: makes the buffer a string for debugging */
	*out = buf;
	*out_len = pos;
	return 0;
}

int ipam_server_request_decode(char *buf, size_t len, struct ipam_server_request *out)
{
	size_t pos = IPAM_SERVER_MAGIC_LEN, n;
	char *end;

	memset(out, 0, sizeof(*out));
	if (len < IPAM_SERVER_MAGIC_LEN || memcmp(buf, IPAM_SERVER_MAGIC, IPAM_SERVER_MAGIC_LEN))
		return -EPROTO;
	for (;;) {
		if (pos >= len || pos - IPAM_SERVER_MAGIC_LEN >= IPAM_SERVER_ENV_MAX)
			return -EPROTO;
		end = memchr(buf + pos, '\0', len - pos);
		if (!end)
			return -EPROTO;
		n = (size_t)(end - (buf + pos));
		if (n == 0)
			break;
		if (out->env_count == IPAM_SERVER_ENV_COUNT_MAX || !memchr(buf + pos, '=', n) ||
		    buf[pos] == '=' || !ipam_server_forwarded(buf + pos))
			return -EPROTO;
		out->env[out->env_count++] = buf + pos;
		pos += n + 1;
	}
	pos++;
	if (pos - IPAM_SERVER_MAGIC_LEN > IPAM_SERVER_ENV_MAX || len - pos > CNI_STDIN_MAX)
		return -EPROTO;
	out->env[out->env_count] = NULL;
	out->config = buf + pos;
	out->config_len = len - pos;
	return 0;
}

int ipam_server_trailer(int status, char *buf, size_t size)
{
	int n;

	if (status == IPAM_SERVER_REFUSED)
		n = snprintf(buf, size, "%crefused\n", '\0');
	else if (status >= 0)
		n = snprintf(buf, size, "%c%d\n", '\0', status);
	else
		return -EINVAL;
	if (n < 0 || (size_t)n >= size)
		return -ENOSPC;
	return n;
}

int ipam_server_reply_parse(const char *buf, size_t len, size_t *body_len, int *status)
{
	const char *nul = NULL, *p, *t;
	size_t i, tlen;
	long v = 0;

	for (i = len; i > 0; i--) {
		if (buf[i - 1] == '\0') {
			nul = buf + i - 1;
			break;
		}
	}
	if (!nul)
		return -EPROTO;
	t = nul + 1;
	tlen = (size_t)(buf + len - t);
	if (tlen < 2 || t[tlen - 1] != '\n')
		return -EPROTO;
	if (tlen == 8 && memcmp(t, "refused\n", 8) == 0) {
		*body_len = (size_t)(nul - buf);
		*status = IPAM_SERVER_REFUSED;
		return 0;
	}
	if (tlen > 4)
		return -EPROTO; /* exit statuses are 0..255 */
	for (p = t; p < t + tlen - 1; p++) {
		if (*p < '0' || *p > '9')
			return -EPROTO;
		v = v * 10 + (*p - '0');
	}
	if (v > 255)
		return -EPROTO;
	*body_len = (size_t)(nul - buf);
	*status = (int)v;
	return 0;
}
