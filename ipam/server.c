/* server: worker pool, per-request set-up and tear-down (server.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/epoll.h>
#include <signal.h>
#include <stdbool.h>
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
#include "unix_sock.h"

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
	if (!path || path[0] != '/')
		return -EINVAL;
	if ((rc = unix_sock_addr(path, &addr)) < 0)
		return rc;
	if ((rc = make_parent_dir(path)) < 0)
		return rc;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return -EEXIST;
		if (unlink(path) < 0)
			return -errno;
	}
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0)
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

/* The name of a "K=V" entry into buf: 0, or -E2BIG when it does not fit. */
static int entry_name(const char *entry, char *buf, size_t size)
{
	size_t n = strcspn(entry, "=");

	if (n >= size)
		return -E2BIG;
	memcpy(buf, entry, n);
	buf[n] = '\0';
	return 0;
}

/* Every forwarded variable out of the environment (the server's own ones
 * too: a request sees exactly what its client sent). */
static int clear_forwarded_env(void)
{
	char name[256];
	size_t i;

	for (i = 0; environ && environ[i];) {
		if (!ipam_server_forwarded(environ[i])) {
			i++;
			continue;
		}
		if (entry_name(environ[i], name, sizeof(name)) < 0)
			return -E2BIG;
		if (unsetenv(name) < 0)
			return -errno;
	}
	return 0;
}

/* The request's variables, copied (setenv): the request buffer is freed
 * before the next request. */
static int apply_env(const struct ipam_server_request *req)
{
	char name[256];
	size_t i;
	int rc;

	if ((rc = clear_forwarded_env()) < 0)
		return rc;
	for (i = 0; i < req->env_count; i++) {
		if (entry_name(req->env[i], name, sizeof(name)) < 0)
			return -E2BIG;
		if (setenv(name, req->env[i] + strlen(name) + 1, 1) < 0)
			return -errno;
	}
	return 0;
}

/* One request on conn; the connection is the caller's to close. */
static void serve_one(int conn, unsigned timeout_s, ipam_server_handler handler, void *arg)
{
	struct ipam_server_request req;
	struct timeval tv = { IPAM_SERVER_READ_TIMEOUT_S, 0 };
	char trailer[32], *buf = NULL;
	size_t len = 0;
	int rc, status = IPAM_SERVER_REFUSED, n, saved_stdout = -1;

	alarm(timeout_s);
	setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if ((rc = fd_read_all(conn, IPAM_SERVER_MAGIC_LEN + IPAM_SERVER_ENV_MAX + CNI_STDIN_MAX,
			      &buf, &len)) < 0) {
		log_warn("event=request_unreadable err=\"%s\"", strerror(-rc));
		goto out;
	}
	if ((rc = ipam_server_request_decode(buf, len, &req)) < 0 ||
	    (rc = apply_env(&req)) < 0) {
		log_warn("event=request_refused bytes=%zu err=\"%s\"", len, strerror(-rc));
		goto reply;
	}
	fflush(stdout);
	if ((saved_stdout = dup(STDOUT_FILENO)) < 0 || dup2(conn, STDOUT_FILENO) < 0) {
		log_error("event=worker_setup err=\"%s\"", strerror(errno));
		_exit(1); /* the client sees no answer; the pool replaces this worker */
	}
	status = handler(req.config, req.config_len, arg);
	if (fflush(stdout) != 0)
		status = -1;
	if (dup2(saved_stdout, STDOUT_FILENO) < 0)
		_exit(1);
	if (status < 0)
		goto out; /* the answer did not get out whole: no trailer */
	if (status > 255)
		status = 1;
reply:
	n = ipam_server_trailer(status, trailer, sizeof(trailer));
	if (n > 0)
		fd_write_all(conn, trailer, (size_t)n);
out:
	if (saved_stdout >= 0)
		close(saved_stdout);
	clear_forwarded_env();
	free(buf);
	alarm(0);
}

static volatile sig_atomic_t worker_stop;

static void on_worker_stop(int sig)
{
	(void)sig;
	worker_stop = 1;
}

/* Whether a client may be waiting (within IPAM_SERVER_POLL_MS). */
static bool wait_for_client(int ep, int listen_fd)
{
	struct pollfd pfd = { .fd = listen_fd, .events = POLLIN };
	struct epoll_event ev;

	if (ep >= 0)
		return epoll_wait(ep, &ev, 1, IPAM_SERVER_POLL_MS) > 0;
	return poll(&pfd, 1, IPAM_SERVER_POLL_MS) > 0 && (pfd.revents & POLLIN);
}

static void worker_main(int listen_fd, const struct ipam_server_opts *opts,
			ipam_server_handler handler, void *arg, const sigset_t *mask)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE };
	struct sigaction sa;
	sigset_t term, old;
	unsigned served = 0, max = opts->requests_per_worker ? opts->requests_per_worker : 1;
	int conn, devnull, ep;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_worker_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGINT, SIG_IGN); /* the parent decides */
	signal(SIGALRM, SIG_DFL);
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_SETMASK, mask, NULL); /* spawn() blocked SIGTERM */
	/* The worker's own stdin/stdout are nobody's: requests get theirs. */
	if ((devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) >= 0) {
		dup2(devnull, STDIN_FILENO);
		dup2(devnull, STDOUT_FILENO);
		close(devnull);
	}
	/* Each worker waits on its own epoll set with EPOLLEXCLUSIVE, so a
	 * client wakes one idle worker (rarely a few), not all of them: on a
	 * small node the herd's wake-ups compete for the CPU the request
	 * needs. Without epoll (it cannot fail here but for memory), plain
	 * poll: all wake, one wins the accept. */
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep >= 0 && epoll_ctl(ep, EPOLL_CTL_ADD, listen_fd, &ev) < 0) {
		close(ep);
		ep = -1;
	}
	while (!worker_stop && served < max) {
		if (!wait_for_client(ep, listen_fd))
			continue;
		conn = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (conn < 0)
			continue;
		if (!peer_allowed(conn)) {
			log_warn("event=peer_refused reason=\"not root nor the server's user\"");
			close(conn);
			continue;
		}
		/* A stop while serving waits until the answer is out. */
		sigprocmask(SIG_BLOCK, &term, &old);
		serve_one(conn, opts->child_timeout_s, handler, arg);
		close(conn);
		served++;
		sigprocmask(SIG_SETMASK, &old, NULL);
	}
	fflush(NULL);
	/* _exit: the parent's atexit handlers (libcurl, ASan's report) are its own. */
	_exit(0);
}

struct pool {
	pid_t *pids;
	unsigned size;
	unsigned alive;
};

static int spawn(struct pool *pool, unsigned slot, int listen_fd,
		 const struct ipam_server_opts *opts, ipam_server_handler handler, void *arg)
{
	sigset_t term, old;
	pid_t pid;
	int err;

	/* SIGTERM stays blocked until the worker has its own handler: one that
	 * arrived in between would otherwise run the parent's and be lost. */
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_BLOCK, &term, &old);
	fflush(NULL);
	pid = fork();
	if (pid == 0)
		worker_main(listen_fd, opts, handler, arg, &old);
	err = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		log_error("event=fork_failed err=\"%s\"", strerror(err));
		return -err;
	}
	pool->pids[slot] = pid;
	pool->alive++;
	return 0;
}

/* Reap exited workers; with respawn, replace each. */
static void reap(struct pool *pool, bool respawn, int listen_fd,
		 const struct ipam_server_opts *opts, ipam_server_handler handler, void *arg)
{
	unsigned i;
	pid_t pid;
	int st;

	while (pool->alive && (pid = waitpid(-1, &st, WNOHANG)) > 0) {
		for (i = 0; i < pool->size && pool->pids[i] != pid; i++)
			;
		if (i == pool->size)
			continue;
		pool->pids[i] = 0;
		pool->alive--;
		if (WIFSIGNALED(st))
			log_warn("event=child_killed pid=%d signal=%d", (int)pid, WTERMSIG(st));
		if (respawn)
			spawn(pool, i, listen_fd, opts, handler, arg);
	}
}

int ipam_server_run(int listen_fd, const struct ipam_server_opts *opts,
		    ipam_server_handler handler, void *arg, volatile sig_atomic_t *stop)
{
	struct pool pool = { NULL, opts->workers ? opts->workers : 1, 0 };
	struct stat bound, now;
	int have_bound;
	unsigned i;

	if (!(pool.pids = calloc(pool.size, sizeof(*pool.pids))))
		return -ENOMEM;
	have_bound = opts->socket_path && stat(opts->socket_path, &bound) == 0;
	for (i = 0; i < pool.size; i++)
		spawn(&pool, i, listen_fd, opts, handler, arg);
	while (!*stop) {
		reap(&pool, true, listen_fd, opts, handler, arg);
		for (i = 0; i < pool.size; i++) /* a fork that failed earlier */
			if (!pool.pids[i])
				spawn(&pool, i, listen_fd, opts, handler, arg);
		poll(NULL, 0, IPAM_SERVER_POLL_MS);
	}
	if (have_bound && stat(opts->socket_path, &now) == 0 && now.st_ino == bound.st_ino &&
	    now.st_dev == bound.st_dev)
		unlink(opts->socket_path);
	for (i = 0; i < pool.size; i++)
		if (pool.pids[i])
			kill(pool.pids[i], SIGTERM);
	while (pool.alive) {
		reap(&pool, false, listen_fd, opts, handler, arg);
		if (pool.alive)
			poll(NULL, 0, 20);
	}
	free(pool.pids);
	return 0;
}
