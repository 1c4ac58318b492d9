/* server: accept loop, per-request fork, child set-up (server.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cni_env.h"
#include "fd_io.h"
#include "log.h"
#include "server.h"
#include "server_proto.h"

extern char **environ;

static int make_parent_dir(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int ipam_server_listen(const char *path, int *fd)
{
	struct sockaddr_un addr;
	struct stat st;
	int s = -1, rc;

	*fd = -1;
	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	if (!path || path[0] != '/')
		return -EINVAL;
	if (strlen(path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	strcpy(addr.sun_path, path);
	if ((rc = make_parent_dir(path)) < 0)
		return rc;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return -EEXIST;
		if (unlink(path) < 0)
			return -errno;
	}
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -errno;
	if (bind(s, (struct sockaddr *)&addr, sizeof(addr)) < 0 || chmod(path, 0600) < 0 ||
	    listen(s, 128) < 0) {
		rc = -errno;
		close(s);
		return rc;
	}
	*fd = s;
	return 0;
}

/* Root, or the server's own user (tests run it unprivileged). */
static int peer_allowed(int conn)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return 0;
	return cred.uid == 0 || cred.uid == geteuid();
}

/* The child's environment: the server's own minus every forwarded name,
 * plus the request's. */
static int apply_env(const struct ipam_server_request *req)
{
	char name[256];
	size_t i, n;

	for (i = 0; environ && environ[i];) {
		if (!ipam_server_forwarded(environ[i])) {
			i++;
			continue;
		}
		n = strcspn(environ[i], "=");
		if (n >= sizeof(name))
			return -E2BIG;
		memcpy(name, environ[i], n);
		name[n] = '\0';
		if (unsetenv(name) < 0)
			return -errno;
	}
	for (i = 0; i < req->env_count; i++)
		if (putenv(req->env[i]) < 0)
			return -errno;
	return 0;
}

static void child_main(int conn, int listen_fd, unsigned timeout_s,
		       ipam_server_handler handler, void *arg)
{
	struct ipam_server_request req;
	struct timeval tv = { IPAM_SERVER_READ_TIMEOUT_S, 0 };
	char trailer[32], *buf = NULL;
	size_t len = 0;
	int rc, status = IPAM_SERVER_REFUSED, devnull, n;

	close(listen_fd);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGALRM, SIG_DFL);
	alarm(timeout_s);
	setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if ((rc = fd_read_all(conn, IPAM_SERVER_MAGIC_LEN + IPAM_SERVER_ENV_MAX + CNI_STDIN_MAX,
			      &buf, &len)) < 0) {
		log_warn("event=request_unreadable err=\"%s\"", strerror(-rc));
		_exit(1);
	}
	if ((rc = ipam_server_request_decode(buf, len, &req)) < 0 ||
	    (rc = apply_env(&req)) < 0) {
		log_warn("event=request_refused bytes=%zu err=\"%s\"", len, strerror(-rc));
		goto reply;
	}
	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (devnull < 0 || dup2(devnull, STDIN_FILENO) < 0 || dup2(conn, STDOUT_FILENO) < 0) {
		log_error("event=child_setup err=\"%s\"", strerror(errno));
		_exit(1);
	}
	close(devnull);
	status = handler(req.config, req.config_len, arg);
	if (fflush(stdout) != 0)
		_exit(1);
	if (status < 0 || status > 255)
		status = 1;
reply:
	n = ipam_server_trailer(status, trailer, sizeof(trailer));
	if (n > 0)
		fd_write_all(conn, trailer, (size_t)n);
	/* _exit: the parent's atexit handlers (libcurl, ASan's report) are its own. */
	_exit(0);
}

static void reap(unsigned *children)
{
	pid_t pid;
	int st;

	while (*children && (pid = waitpid(-1, &st, WNOHANG)) > 0) {
		(*children)--;
		if (WIFSIGNALED(st))
			log_warn("event=child_killed pid=%d signal=%d", (int)pid, WTERMSIG(st));
	}
}

int ipam_server_run(int listen_fd, const struct ipam_server_opts *opts,
		    ipam_server_handler handler, void *arg, volatile sig_atomic_t *stop)
{
	struct pollfd pfd = { .fd = listen_fd, .events = POLLIN };
	unsigned children = 0, max = opts->max_children ? opts->max_children : 1;
	struct stat bound;
	int have_bound, conn, rc = 0;
	pid_t pid;

	have_bound = opts->socket_path && stat(opts->socket_path, &bound) == 0;
	while (!*stop) {
		reap(&children);
		if (children >= max) {
			poll(NULL, 0, 5);
			continue;
		}
		rc = poll(&pfd, 1, IPAM_SERVER_POLL_MS);
		if (rc < 0 && errno == EINTR) {
			rc = 0;
			continue;
		}
		if (rc < 0) {
			rc = -errno;
			break;
		}
		rc = 0;
		if (!(pfd.revents & POLLIN))
			continue;
		conn = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (conn < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == ECONNABORTED ||
			    errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
				continue;
			rc = -errno;
			break;
		}
		if (!peer_allowed(conn)) {
			log_warn("event=peer_refused reason=\"not root nor the server's user\"");
			close(conn);
			continue;
		}
		fflush(NULL);
		pid = fork();
		if (pid == 0)
			child_main(conn, listen_fd, opts->child_timeout_s, handler, arg);
		if (pid < 0)
			log_error("event=fork_failed err=\"%s\"", strerror(errno));
		else
			children++;
		close(conn);
	}
	if (have_bound) {
		struct stat now;

		if (stat(opts->socket_path, &now) == 0 && now.st_ino == bound.st_ino &&
		    now.st_dev == bound.st_dev)
			unlink(opts->socket_path);
	}
	while (children && waitpid(-1, NULL, 0) > 0)
		children--;
	return rc;
}
