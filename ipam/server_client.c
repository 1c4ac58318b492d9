/* server_client: one request to the node-local IPAM server. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cni_env.h"
#include "fd_io.h"
#include "server_client.h"
#include "server_proto.h"
#include "unix_sock.h"

#define REPLY_MAX (CNI_STDIN_MAX + 64)

int ipam_server_send(const char *path, char *const *envp, const char *config, size_t len,
		     unsigned timeout_s, int *fd)
{
	char *req = NULL;
	size_t req_len = 0;
	int rc;

	*fd = -1;
	if ((rc = ipam_server_request_encode(envp, config, len, &req, &req_len)) < 0)
		return rc == -E2BIG ? -EHOSTDOWN : rc;
	if (unix_sock_connect(path, timeout_s, fd) < 0) {
		rc = -EHOSTDOWN;
		goto out;
	}
	if (fd_write_all(*fd, req, req_len) < 0 || shutdown(*fd, SHUT_WR) < 0) {
		/* A server that closed before reading everything took nothing. */
		close(*fd);
		*fd = -1;
		rc = -EHOSTDOWN;
		goto out;
	}
	rc = 0;
out:
	free(req);
	return rc;
}

int ipam_server_receive(int fd, char **body, size_t *body_len, int *status)
{
	char *reply = NULL;
	size_t reply_len = 0, n = 0;
	int rc;

	*body = NULL;
	*body_len = 0;
	*status = 1;
	rc = fd_read_all(fd, REPLY_MAX, &reply, &reply_len);
	close(fd);
	if (rc < 0 || ipam_server_reply_parse(reply, reply_len, &n, status) < 0) {
		free(reply);
		*status = 1;
		return -ECONNRESET;
	}
	if (*status == IPAM_SERVER_REFUSED) {
		free(reply);
		*status = 1;
		return -EHOSTDOWN;
	}
	reply[n] = '\0'; /* the trailer's NUL: the body ends there */
	*body = reply;
	*body_len = n;
	return 0;
}

int ipam_server_call(const char *path, char *const *envp, const char *config, size_t len,
		     int out_fd, unsigned timeout_s, int *status, bool *sent)
{
	char *body = NULL;
	size_t body_len = 0;
	int fd, rc;

	*sent = false;
	*status = 1;
	if ((rc = ipam_server_send(path, envp, config, len, timeout_s, &fd)) < 0)
		return rc;
	*sent = true;
	rc = ipam_server_receive(fd, &body, &body_len, status);
	if (rc == -EHOSTDOWN)
		*sent = false;
	if (rc == 0)
		rc = fd_write_all(out_fd, body, body_len);
	free(body);
	return rc;
}
