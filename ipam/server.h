/* server: the node-local twill-ipam fork server (`twill-ipam serve`).
 *
 * Why: a plugin process spends most of an ADD starting up (loading libcurl's
 * ~30 libraries, initialising OpenSSL) before it makes its few API requests.
 * The server pays that once: it loads libcurl at start, then for every
 * connection on its Unix socket forks a child that runs the plugin's own
 * code (handler) with the forwarded CNI_* environment and the network
 * configuration from the request (server_proto.h), its stdout being the
 * connection. Every request still runs in a fresh process: the same host
 * lock, the same write order, no state carried between requests, and a
 * child that crashes or is killed affects one request only.
 *
 * Contract:
 * - ipam_server_listen(): creates the parent directory (0755) when missing,
 *   replaces a stale socket file (anything else at the path is -EEXIST),
 *   binds, chmods the socket 0600 and listens. 0 with *fd, or -errno
 *   (-ENAMETOOLONG when the path does not fit sun_path).
 * - ipam_server_run(): accepts until *stop becomes non-zero (a signal
 *   handler sets it; the loop notices within IPAM_SERVER_POLL_MS), with at
 *   most opts->max_children requests in flight (further clients wait in the
 *   listen backlog). Connections from a user other than root or the
 *   server's own are closed unanswered. A child reads the whole request
 *   (IPAM_SERVER_READ_TIMEOUT_S at most), answers "refused" to one it cannot
 *   decode, and is killed by SIGALRM after opts->child_timeout_s. On stop the
 *   socket is removed (if it is still the one bound) and the call waits for
 *   the children in flight, so no accepted request is cut short, then
 *   returns 0. -errno on a failure of the listening socket itself.
 * - handler runs in the child with the request's environment applied and
 *   stdout on the connection; its return value is the exit status sent in
 *   the trailer. */
#ifndef TWILL_IPAM_SERVER_H
#define TWILL_IPAM_SERVER_H

#include <signal.h>
#include <stddef.h>

#define IPAM_SERVER_SOCKET "/var/run/twill/ipam.sock"
#define IPAM_SERVER_POLL_MS 200
#define IPAM_SERVER_READ_TIMEOUT_S 10
#define IPAM_SERVER_CHILD_TIMEOUT_S 330
#define IPAM_SERVER_MAX_CHILDREN 32

struct ipam_server_opts {
	const char *socket_path;
	unsigned max_children;
	unsigned child_timeout_s;
};

typedef int (*ipam_server_handler)(const char *config, size_t len, void *arg);

int ipam_server_listen(const char *path, int *fd);
int ipam_server_run(int listen_fd, const struct ipam_server_opts *opts,
		    ipam_server_handler handler, void *arg, volatile sig_atomic_t *stop);

#endif
