/* Unit tests for lib/fd_io: reading to EOF with a size cap, writing whole
 * buffers to pipes and sockets, a vanished socket peer is -EPIPE (no
 * SIGPIPE). */
#include "twill_test.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fd_io.h"

/* A child writes n bytes of 'x' into a pipe; returns the read end. */
static int feeder(size_t n, pid_t *pid)
{
	int p[2];

	assert_int_equal(pipe(p), 0);
	*pid = fork();
	assert_true(*pid >= 0);
	if (*pid == 0) {
		char chunk[4096];

		close(p[0]);
		memset(chunk, 'x', sizeof(chunk));
		while (n) {
			size_t k = n < sizeof(chunk) ? n : sizeof(chunk);

			if (fd_write_all(p[1], chunk, k) < 0)
				_exit(1);
			n -= k;
		}
		_exit(0);
	}
	close(p[1]);
	return p[0];
}

static int read_n(size_t n, size_t max, size_t *got)
{
	char *buf = NULL;
	pid_t pid;
	int fd = feeder(n, &pid), rc;

	rc = fd_read_all(fd, max, &buf, got);
	close(fd);
	waitpid(pid, NULL, 0);
	if (rc == 0) {
		assert_non_null(buf);
		assert_int_equal(buf[*got], '\0');
		assert_true(*got == 0 || buf[*got - 1] == 'x');
	} else {
		assert_null(buf);
	}
	free(buf);
	return rc;
}

static void test_read_all(void **state)
{
	size_t got = 99;

	(void)state;
	assert_int_equal(read_n(0, 100, &got), 0);
	assert_int_equal(got, 0);
	assert_int_equal(read_n(100, 100, &got), 0); /* exactly the cap */
	assert_int_equal(got, 100);
	assert_int_equal(read_n(101, 100, &got), -EFBIG);
	assert_int_equal(read_n(200000, 200000, &got), 0); /* several reallocs */
	assert_int_equal(got, 200000);
	assert_int_equal(read_n(200001, 200000, &got), -EFBIG);
}

static void test_read_errors(void **state)
{
	char *buf = (char *)1;
	size_t len = 5;

	(void)state;
	assert_int_equal(fd_read_all(-1, 10, &buf, &len), -EBADF);
	assert_null(buf);
	assert_int_equal(len, 0);
}

static void test_write_socket_and_pipe(void **state)
{
	char big[100000], back[100001];
	int sv[2], p[2];
	size_t got = 0;
	ssize_t n;

	(void)state;
	memset(big, 'y', sizeof(big));
	/* a pipe is not a socket: falls back to write() */
	assert_int_equal(pipe(p), 0);
	assert_int_equal(fd_write_all(p[1], "hello", 5), 0);
	close(p[1]);
	assert_int_equal(read(p[0], back, sizeof(back)), 5);
	close(p[0]);
	/* a socket whose peer has gone: -EPIPE, and the process lives */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	close(sv[1]);
	assert_int_equal(fd_write_all(sv[0], big, sizeof(big)), -EPIPE);
	close(sv[0]);
	/* a big buffer arrives whole through a socket read by a child */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	if (fork() == 0) {
		close(sv[0]);
		while ((n = read(sv[1], back + got, sizeof(back) - got)) > 0)
			got += (size_t)n;
		_exit(got == sizeof(big) ? 0 : 1);
	}
	close(sv[1]);
	assert_int_equal(fd_write_all(sv[0], big, sizeof(big)), 0);
	close(sv[0]);
	{
		int st;

		assert_true(wait(&st) > 0);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_read_all),
	cmocka_unit_test(test_read_errors),
	cmocka_unit_test(test_write_socket_and_pipe),
};

TWILL_TEST_MAIN(tests)
