/* Unit tests for ipam/host_lock: path naming, mutual exclusion between
 * processes, the timeout, and release on exit (also by SIGKILL). Uses a
 * private temporary directory. */
#include "twill_test.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host_lock.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/twill-hostlock-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_path(void **state)
{
	char buf[512], long_node[300];

	(void)state;
	assert_int_equal(ipam_host_lock_path("/run/twill", "node-1", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/run/twill/ipam.node-1.lock");
	memset(long_node, 'n', sizeof(long_node) - 1);
	long_node[sizeof(long_node) - 1] = '\0';
	assert_int_equal(ipam_host_lock_path("/run/twill", long_node, buf, sizeof(buf)), 0);
	assert_int_equal(strlen(buf), strlen("/run/twill/ipam..lock") + 16);
	assert_int_equal(ipam_host_lock_path("/run/twill", "a/b", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(ipam_host_lock_path("", "n", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(ipam_host_lock_path("/run/twill", "node-1", buf, 10), -ENAMETOOLONG);
}

/* Child: try to take node's lock with timeout_ms; exit 0 when taken,
 * 1 on timeout, 2 otherwise. */
static pid_t try_in_child(const char *node, long timeout_ms)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		char err[512];
		int fd, rc = ipam_host_lock_acquire(dir, node, timeout_ms, &fd, err, sizeof(err));

		_exit(rc == 0 ? 0 : rc == -ETIMEDOUT ? 1 : 2);
	}
	return pid;
}

static int child_status(pid_t pid)
{
	int st = 0;

	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static void test_exclusive_and_timeout(void **state)
{
	char err[512];
	int fd = -1;

	(void)state;
	assert_int_equal(ipam_host_lock_acquire(dir, "n1", 1000, &fd, err, sizeof(err)), 0);
	assert_true(fd >= 0);
	/* held: another process times out, with a message naming the file */
	assert_int_equal(child_status(try_in_child("n1", 50)), 1);
	/* another node's lock is independent */
	assert_int_equal(child_status(try_in_child("n2", 50)), 0);
	ipam_host_lock_release(fd);
	assert_int_equal(child_status(try_in_child("n1", 50)), 0);
	ipam_host_lock_release(-1); /* no-op */
}

static void test_timeout_message(void **state)
{
	char err[512] = "";
	int fd = -1, fd2 = -1;

	(void)state;
	assert_int_equal(ipam_host_lock_acquire(dir, "n3", 1000, &fd, err, sizeof(err)), 0);
	/* flock locks belong to the open file: a second open in this process
	 * conflicts too, which is what a concurrent plugin process sees */
	assert_int_equal(ipam_host_lock_acquire(dir, "n3", 20, &fd2, err, sizeof(err)),
			 -ETIMEDOUT);
	assert_int_equal(fd2, -1);
	assert_non_null(strstr(err, "ipam.n3.lock"));
	assert_non_null(strstr(err, "retry"));
	ipam_host_lock_release(fd);
}

static void test_released_when_holder_killed(void **state)
{
	int pipefd[2];
	char c;
	pid_t holder;

	(void)state;
	assert_int_equal(pipe(pipefd), 0);
	holder = fork();
	assert_true(holder >= 0);
	if (holder == 0) {
		char err[512];
		int fd;

		close(pipefd[0]);
		if (ipam_host_lock_acquire(dir, "n4", 1000, &fd, err, sizeof(err)) != 0)
			_exit(2);
		(void)!write(pipefd[1], "x", 1);
		pause();
		_exit(0);
	}
	close(pipefd[1]);
	assert_int_equal(read(pipefd[0], &c, 1), 1);
	close(pipefd[0]);
	assert_int_equal(child_status(try_in_child("n4", 20)), 1);
	kill(holder, SIGKILL);
	assert_int_equal(waitpid(holder, NULL, 0), holder);
	assert_int_equal(child_status(try_in_child("n4", 1000)), 0);
}

static void test_unusable_dir(void **state)
{
	char err[512] = "", sub[128];
	int fd = -1;

	(void)state;
	snprintf(sub, sizeof(sub), "%s/missing/deeper", dir);
	assert_int_equal(ipam_host_lock_acquire(sub, "n5", 10, &fd, err, sizeof(err)), -ENOENT);
	assert_int_equal(fd, -1);
	assert_non_null(strstr(err, "creating directory"));
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_path),
	cmocka_unit_test_setup_teardown(test_exclusive_and_timeout, setup, teardown),
	cmocka_unit_test_setup_teardown(test_timeout_message, setup, teardown),
	cmocka_unit_test_setup_teardown(test_released_when_holder_killed, setup, teardown),
	cmocka_unit_test_setup_teardown(test_unusable_dir, setup, teardown),
};

TWILL_TEST_MAIN(tests)
