/* confgen_apply: temp file -> `bird -p` -> rename -> `birdc configure`.
 *
 * The order is the whole point: nothing touches config_path until BIRD's own
 * parser has accepted the exact bytes that will be renamed over it, and the
 * rename is the only step that changes what BIRD would load. The temporary
 * file lives in the same directory (rename must not cross filesystems) and
 * has a pid-qualified name created with O_EXCL, so two writers never share
 * one. Children run with posix_spawnp, their output through one pipe read
 * with a deadline, so a hung birdc cannot wedge the daemon. */
#include "confgen_apply.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fd_io.h"

extern char **environ;

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

int confgen_run(char *const argv[], char *out, size_t size, int *status, int timeout_ms)
{
	posix_spawn_file_actions_t fa;
	int fds[2], rc = 0;
	size_t used = 0;
	long deadline = now_ms() + timeout_ms;
	pid_t pid;

	if (size)
		out[0] = '\0';
	*status = -1;
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, fds[1], STDERR_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	rc = -posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (rc < 0) {
		close(fds[0]);
		return rc;
	}
	for (;;) {
		struct pollfd p = { .fd = fds[0], .events = POLLIN };
		char scratch[512];
		long left = deadline - now_ms();
		ssize_t n;

		if (left <= 0) {
			kill(pid, SIGKILL);
			rc = -ETIMEDOUT;
			break;
		}
		if (poll(&p, 1, (int)left) < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			kill(pid, SIGKILL);
			break;
		}
		if (!p.revents)
			continue;
		n = read(fds[0], scratch, sizeof(scratch));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (size && used < size - 1) {
			size_t take = (size_t)n < size - 1 - used ? (size_t)n : size - 1 - used;

			memcpy(out + used, scratch, take);
			used += take;
			out[used] = '\0';
		}
	}
	close(fds[0]);
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
	return rc;
}

/* Messages may be cut short: a truncated line is still worth logging. */
static void set_message(struct confgen_apply_result *res, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void set_message(struct confgen_apply_result *res, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(res->message, sizeof(res->message), fmt, ap);
	va_end(ap);
}

/* Collapse output into one log-friendly line. */
static void one_line(char *s)
{
	size_t n;

	for (char *p = s; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	n = strlen(s);
	while (n && s[n - 1] == ' ')
		s[--n] = '\0';
}

static bool same_content(const char *path, const char *text, size_t len)
{
	struct stat st;
	char buf[8192];
	size_t off = 0;
	bool same = false;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	if (fstat(fd, &st) < 0 || (size_t)st.st_size != len)
		goto out;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto out;
		if (n == 0)
			break;
		if (off + (size_t)n > len || memcmp(buf, text + off, (size_t)n) != 0)
			goto out;
		off += (size_t)n;
	}
	same = off == len;
out:
	close(fd);
	return same;
}

static int fsync_dir_of(const char *path)
{
	char *copy = strdup(path);
	int fd, rc = 0;

	if (!copy)
		return -ENOMEM;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0)
		rc = -errno;
	if (fd >= 0)
		close(fd);
	free(copy);
	return rc;
}

int confgen_apply(const struct confgen_apply_opts *opts, const char *text, size_t len,
		  struct confgen_apply_result *res)
{
	char tmp[4096], out[sizeof(res->message)];
	char *argv[6];
	int fd = -1, rc, status;
	bool tmp_exists = false;

	memset(res, 0, sizeof(*res));
	if (!opts->config_path || !text)
		return -EINVAL;
	if (same_content(opts->config_path, text, len))
		goto reconfigure_skip;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", opts->config_path, (long)getpid()) >=
	    (int)sizeof(tmp))
		return -ENAMETOOLONG;
	unlink(tmp); /* a leftover of this pid's earlier crash */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = -errno;
		set_message(res, "cannot create %s: %s", tmp,
			 strerror(-rc));
		return rc;
	}
	tmp_exists = true;
	if ((rc = fd_write_all(fd, text, len)) < 0 || (fsync(fd) < 0 && (rc = -errno) < 0)) {
		set_message(res, "cannot write %s: %s", tmp,
			 strerror(-rc));
		goto out;
	}
	close(fd);
	fd = -1;

	argv[0] = (char *)(opts->bird_path ? opts->bird_path : "bird");
	argv[1] = "-p";
	argv[2] = "-c";
	argv[3] = tmp;
	argv[4] = NULL;
	rc = confgen_run(argv, out, sizeof(out), &status, CONFGEN_CHILD_TIMEOUT_MS);
	if (rc < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		one_line(out);
		res->rejected = true;
		set_message(res, "bird -p rejected the new config: %s",
			 rc < 0 ? strerror(-rc) : out[0] ? out : "no message");
		rc = -EINVAL;
		goto out;
	}
	if (rename(tmp, opts->config_path) < 0) {
		rc = -errno;
		set_message(res, "cannot rename %s to %s: %s", tmp,
			 opts->config_path, strerror(-rc));
		goto out;
	}
	tmp_exists = false;
	res->changed = true;
	fsync_dir_of(opts->config_path); /* best effort: the rename already happened */

reconfigure_skip:
	rc = 0;
	if (!opts->control_socket || (!res->changed && !opts->reconfigure_unchanged))
		goto out;
	argv[0] = (char *)(opts->birdc_path ? opts->birdc_path : "birdc");
	argv[1] = "-s";
	argv[2] = (char *)opts->control_socket;
	argv[3] = "configure";
	argv[4] = NULL;
	rc = confgen_run(argv, out, sizeof(out), &status, CONFGEN_CHILD_TIMEOUT_MS);
	one_line(out);
	/* birdc exits 0 even when BIRD refuses; its words decide. */
	if (rc == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
	    (strstr(out, "Reconfigured") || strstr(out, "Reconfiguration in progress"))) {
		res->reconfigured = true;
		set_message(res, "%s", out);
	} else {
		set_message(res, "birdc configure failed: %s",
			 rc < 0 ? strerror(-rc) : out[0] ? out : "no message");
		rc = -EIO;
	}
out:
	if (fd >= 0)
		close(fd);
	if (tmp_exists)
		unlink(tmp);
	return rc;
}
