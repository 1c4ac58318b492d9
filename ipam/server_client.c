/* server_client: one request to the node-local IPAM server. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "cni_env.h"
#include "server_client.h"
#include "server_proto.h"

#define REPLY_MAX (CNI_STDIN_MAX + 64)

static int connect_to(const char *path, unsigned timeout_s, int *fd)
{
	struct sockaddr_un addr;
	struct timeval tv = { (time_t)timeout_s, 0 };
	int s;

	*fd = -1;
	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	strcpy(addr.sun_path, path);
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -errno;
	if (setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
	    connect(s, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int rc = -errno;

		close(s);
		return rc;
	}
	*fd = s;
	return 0;
}

static int send_all(int fd, const char *buf, size_t len)
{
	ssize_t w;

	while (len) {
		w = send(fd, buf, len, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

static int read_reply(int fd, char **out, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap), *nb;
	ssize_t r;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (n == cap) {
			if (cap >= REPLY_MAX) {
				free(buf);
				return -EFBIG;
			}
			cap *= 2;
			if (!(nb = realloc(buf, cap))) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			r = -errno;
			free(buf);
			return (int)r;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*out = buf;
	*len = n;
	return 0;
}

static int write_out(int fd, const char *buf, size_t len)
{
	ssize_t w;

	while (len) {
		w = write(fd, buf, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

int ipam_server_call(const char *path, char *const *envp, const char *config, size_t len,
		     int out_fd, unsigned timeout_s, int *status, bool *sent)
{
	char *req = NULL, *reply = NULL;
	size_t req_len = 0, reply_len = 0, body = 0;
	int fd = -1, rc;

	*sent = false;
	*status = 1;
	if ((rc = ipam_server_request_encode(envp, config, len, &req, &req_len)) < 0)
		return rc == -E2BIG ? -EHOSTDOWN : rc;
	if (connect_to(path, timeout_s, &fd) < 0) {
		rc = -EHOSTDOWN;
		goto out;
	}
	if (send_all(fd, req, req_len) < 0 || shutdown(fd, SHUT_WR) < 0) {
		/* A server that closed before reading everything took nothing. */
		rc = -EHOSTDOWN;
		goto out;
	}
	*sent = true;
	if (read_reply(fd, &reply, &reply_len) < 0 ||
	    ipam_server_reply_parse(reply, reply_len, &body, status) < 0) {
		rc = -ECONNRESET;
		goto out;
	}
	if (*status == IPAM_SERVER_REFUSED) {
		*sent = false;
		*status = 1;
		rc = -EHOSTDOWN;
		goto out;
	}
	rc = write_out(out_fd, reply, body);
out:
	if (fd >= 0)
		close(fd);
	free(req);
	free(reply);
	return rc;
}
