/* server_client: the plugin's side of the node-local server (server.h).
 *
 * Contract: ipam_server_call() connects to the Unix socket at path, sends
 * the request (forwarded environment of envp + the network configuration,
 * server_proto.h), waits for the whole reply (at most timeout_s seconds)
 * and only then writes its body to out_fd, so a failed call never leaves
 * half an answer behind. Returns
 *   0            with *status the plugin's exit status;
 *   -EHOSTDOWN   nobody took the request: no socket, nothing listening,
 *                no permission, or the server refused it ("refused"
 *                trailer). The caller does the work itself;
 *   -ECONNRESET  the request was delivered but no complete reply came
 *                (server or child died, timeout, malformed reply): the
 *                server may have acted on it;
 *   -errno       writing the body to out_fd failed, or out of memory.
 * *sent tells whether the request was delivered (meaningful on failure). */
#ifndef TWILL_IPAM_SERVER_CLIENT_H
#define TWILL_IPAM_SERVER_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

int ipam_server_call(const char *path, char *const *envp, const char *config, size_t len,
		     int out_fd, unsigned timeout_s, int *status, bool *sent);

#endif
