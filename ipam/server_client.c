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
	if (unix_sock_connect(path, timeout_s, &fd) < 0) {
		rc = -EHOSTDOWN;
		goto out;
	}
	if (fd_write_all(fd, req, req_len) < 0 || shutdown(fd, SHUT_WR) < 0) {
		/* A server that closed before reading everything took nothing. */
		rc = -EHOSTDOWN;
		goto out;
	}
	*sent = true;
	if (fd_read_all(fd, REPLY_MAX, &reply, &reply_len) < 0 ||
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
	rc = fd_write_all(out_fd, reply, body);
out:
	if (fd >= 0)
		close(fd);
	free(req);
	free(reply);
	return rc;
}
