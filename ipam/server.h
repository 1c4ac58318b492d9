/* server: the node-local twill-ipam server (`twill-ipam serve`).
 *
 * Why: a plugin process spends most of an ADD starting up (loading libcurl's
 * ~30 libraries, initialising OpenSSL) before it makes its few API requests,
 * and a process forked per request still pays the kernel's fork, copy-on-
 * write and exit costs (about half of such a child's CPU here). The server
 * loads libcurl once, then forks a pool of workers; each accepts requests on
 * the Unix socket one at a time and runs the plugin's own code (handler) for
 * each, with the forwarded CNI_* environment and the network configuration
 * from the request (server_proto.h) and its stdout on the connection. The
 * handler builds config and engine afresh per request; what a worker carries
 * from one request to the next is libcurl/OpenSSL's initialised state and
 * its API client with its kept-alive connection (api_cache.h: rebuilt when
 * the kubeconfig or a file it names changes), nothing IPAM-related. A worker
 * that crashes takes one request with it and is replaced; each retires after
 * requests_per_worker requests.
 *
 * Contract:
 * - ipam_server_listen(): creates the parent directory (0755) when missing,
 *   replaces a stale socket file (anything else at the path is -EEXIST),
 *   binds, chmods the socket 0600 and listens (non-blocking: the workers
 *   share it). 0 with *fd, or -errno (-ENAMETOOLONG when the path does not
 *   fit sun_path).
 * - ipam_server_run(): keeps opts->workers workers until *stop becomes
 *   non-zero (a signal handler sets it; noticed within IPAM_SERVER_POLL_MS);
 *   further clients wait in the listen backlog. Connections from a user other
 *   than root or the server's own are closed unanswered. A worker reads the
 *   whole request (IPAM_SERVER_READ_TIMEOUT_S at most), answers "refused" to
 *   one it cannot decode, and is killed by SIGALRM when one request takes
 *   longer than opts->child_timeout_s. On stop the socket is removed (if it
 *   is still the one bound), the workers finish the request they are serving
 *   (SIGTERM is blocked while they serve) and exit, and the call returns 0
 *   once all have; -ENOMEM when the pool cannot be set up. A fork that
 *   fails is logged and retried each IPAM_SERVER_POLL_MS.
 * - handler runs in a worker with the request's environment applied and
 *   stdout on the connection; its return value is the exit status sent in
 *   the trailer. It must release what it allocates (workers live long). */
#ifndef TWILL_IPAM_SERVER_H
#define TWILL_IPAM_SERVER_H

#include <signal.h>
#include <stddef.h>

#define IPAM_SERVER_SOCKET "/var/run/twill/ipam.sock"
#define IPAM_SERVER_POLL_MS 200
#define IPAM_SERVER_READ_TIMEOUT_S 10
#define IPAM_SERVER_CHILD_TIMEOUT_S 330
#define IPAM_SERVER_WORKERS 8
#define IPAM_SERVER_REQUESTS_PER_WORKER 500

struct ipam_server_opts {
	const char *socket_path;
	unsigned workers;
	unsigned child_timeout_s;
	unsigned requests_per_worker;
};

typedef int (*ipam_server_handler)(const char *config, size_t len, void *arg);

int ipam_server_listen(const char *path, int *fd);
int ipam_server_run(int listen_fd, const struct ipam_server_opts *opts,
		    ipam_server_handler handler, void *arg, volatile sig_atomic_t *stop);

#endif
