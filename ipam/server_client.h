/* server_client: the client's side of the node-local server (server.h),
 * used by the twill-ipam plugin and, in-process, by twill-cni.
 *
 * Contract:
 * - ipam_server_send() connects to the Unix socket at path and sends the
 *   request (forwarded environment of envp + the network configuration,
 *   server_proto.h); receive and send timeouts of timeout_s seconds are set
 *   on the socket. 0 with *fd (the request delivered), -EHOSTDOWN when
 *   nobody took it (no socket, nothing listening, no permission, the
 *   request over the protocol's limits), or -ENOMEM.
 * - ipam_server_receive() waits for the whole reply on fd (and closes it):
 *   0 with *body (malloc'd, NUL-terminated, body_len bytes: what the plugin
 *   printed) and *status its exit status; -EHOSTDOWN when the server refused
 *   the request ("refused" trailer: it did not act, the caller does the
 *   work itself); -ECONNRESET when no complete reply came (server or worker
 *   died, timeout, malformed reply: the server may have acted on it).
 * - ipam_server_call() is both, then writes the body to out_fd only once it
 *   is whole, so a failed call never leaves half an answer behind: 0 with
 *   *status, -EHOSTDOWN / -ECONNRESET as above, or -errno of the write.
 *   *sent tells whether the request was delivered (and not refused). */
#ifndef TWILL_IPAM_SERVER_CLIENT_H
#define TWILL_IPAM_SERVER_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

int ipam_server_send(const char *path, char *const *envp, const char *config, size_t len,
		     unsigned timeout_s, int *fd);
int ipam_server_receive(int fd, char **body, size_t *body_len, int *status);
int ipam_server_call(const char *path, char *const *envp, const char *config, size_t len,
		     int out_fd, unsigned timeout_s, int *status, bool *sent);

#endif
