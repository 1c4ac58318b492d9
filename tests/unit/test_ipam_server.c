/* Unit tests for ipam/server and ipam/server_client over a real Unix socket
 * in a private temporary directory, with a stand-in handler (no API): the
 * child sees the client's forwarded variables and otherwise the server's
 * own environment, stdout and status come back,
 * a child that dies is -ECONNRESET, nobody listening is -EHOSTDOWN, an
 * undecodable request is refused, SIGTERM removes the socket. */
#include "twill_test.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "server.h"
#include "server_client.h"
#include "server_proto.h"

static char dir[64], sock[128];
static volatile sig_atomic_t stop_flag;
static pid_t server_pid = -1; /* killed by teardown when a test fails */

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/twill-ipamsrv-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(sock, sizeof(sock), "%s/run/ipam.sock", dir); /* run/ made by listen */
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	if (server_pid > 0) {
		kill(server_pid, SIGKILL);
		waitpid(server_pid, NULL, 0);
		server_pid = -1;
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Echo: CNI_COMMAND, FOO (not forwarded), the config; status 3. "kill"
 * as the config: the child dies without answering. */
static int handler(const char *config, size_t len, void *arg)
{
	const char *foo = getenv("FOO"), *cmd = getenv("CNI_COMMAND");

	(void)arg;
	if (len == 4 && !memcmp(config, "kill", 4))
		raise(SIGKILL);
	printf("%s|%s|%.*s", cmd ? cmd : "-", foo ? foo : "unset", (int)len, config);
	return 3;
}

static void on_term(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static bool listening(void)
{
	struct sockaddr_un addr;
	int s = socket(AF_UNIX, SOCK_STREAM, 0), rc;

	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	strcpy(addr.sun_path, sock);
	rc = connect(s, (struct sockaddr *)&addr, sizeof(addr));
	close(s);
	return rc == 0;
}

static pid_t start_server(void)
{
	struct ipam_server_opts opts = { sock, 3, 30, 100 };
	struct stat st;
	pid_t pid;
	int fd, i;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_term;
		sigaction(SIGTERM, &sa, NULL);
		setenv("FOO", "server-own", 1);
		if (ipam_server_listen(sock, &fd) < 0)
			_exit(10);
		_exit(ipam_server_run(fd, &opts, handler, NULL, &stop_flag) == 0 ? 0 : 11);
	}
	server_pid = pid;
	for (i = 0; i < 500 && !listening(); i++)
		usleep(10000);
	assert_true(listening());
	assert_int_equal(stat(sock, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	return pid;
}

static void stop_server(pid_t pid)
{
	int st;

	kill(pid, SIGTERM);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	server_pid = -1;
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(access(sock, F_OK), -1); /* removed on stop */
}

static char out_buf[4096];

static int call(const char *config, int *status, bool *sent)
{
	char *envp[] = { "CNI_COMMAND=ADD", "FOO=client", NULL };
	char path[128];
	int fd, rc;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/out", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	rc = ipam_server_call(sock, envp, config, strlen(config), fd, 30, status, sent);
	n = pread(fd, out_buf, sizeof(out_buf) - 1, 0);
	out_buf[n > 0 ? n : 0] = '\0';
	close(fd);
	return rc;
}

static void test_round_trip(void **state)
{
	bool sent;
	int status;
	pid_t pid;

	(void)state;
	pid = start_server();
	assert_int_equal(call("{\"x\":1}", &status, &sent), 0);
	assert_true(sent);
	assert_int_equal(status, 3);
	/* the client's FOO does not travel: the child keeps the server's own */
	assert_string_equal(out_buf, "ADD|server-own|{\"x\":1}");
	stop_server(pid);
}

static void test_child_dies(void **state)
{
	bool sent;
	int status;
	pid_t pid;

	(void)state;
	pid = start_server();
	assert_int_equal(call("kill", &status, &sent), -ECONNRESET);
	assert_true(sent);
	assert_string_equal(out_buf, ""); /* nothing half-written */
	assert_int_equal(call("{}", &status, &sent), 0); /* the server lives on */
	stop_server(pid);
}

static void test_nobody_listening(void **state)
{
	struct sockaddr_un addr;
	bool sent = true;
	int status, s;

	(void)state;
	assert_int_equal(call("{}", &status, &sent), -EHOSTDOWN);
	assert_false(sent);
	/* a stale socket file: the same */
	snprintf(sock, sizeof(sock), "%s/stale.sock", dir);
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	strcpy(addr.sun_path, sock);
	assert_int_equal(bind(s, (struct sockaddr *)&addr, sizeof(addr)), 0);
	close(s);
	assert_int_equal(call("{}", &status, &sent), -EHOSTDOWN);
	assert_false(sent);
	/* and a server replaces it */
	stop_server(start_server());
}

static void test_refused(void **state)
{
	struct sockaddr_un addr;
	char reply[64];
	ssize_t n, got = 0;
	pid_t pid;
	int s;

	(void)state;
	pid = start_server();
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	strcpy(addr.sun_path, sock);
	assert_int_equal(connect(s, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(write(s, "TWIPAM9\n\0{}", 11), 11);
	shutdown(s, SHUT_WR);
	while ((n = read(s, reply + got, sizeof(reply) - 1 - (size_t)got)) > 0)
		got += n;
	close(s);
	assert_int_equal(got, 9);
	assert_memory_equal(reply, "\0refused\n", 9);
	stop_server(pid);
}

static void test_listen_errors(void **state)
{
	char path[200];
	int fd = 5;

	(void)state;
	assert_int_equal(ipam_server_listen("relative.sock", &fd), -EINVAL);
	assert_int_equal(fd, -1);
	memset(path, 'x', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	assert_int_equal(ipam_server_listen(path, &fd), -ENAMETOOLONG);
	snprintf(path, sizeof(path), "%s/file", dir);
	fclose(fopen(path, "w"));
	assert_int_equal(ipam_server_listen(path, &fd), -EEXIST); /* never removes a file */
	assert_int_equal(access(path, F_OK), 0);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
	cmocka_unit_test_setup_teardown(test_child_dies, setup, teardown),
	cmocka_unit_test_setup_teardown(test_nobody_listening, setup, teardown),
	cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
	cmocka_unit_test_setup_teardown(test_listen_errors, setup, teardown),
};

TWILL_TEST_MAIN(tests)
