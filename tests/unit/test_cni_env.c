/* Unit tests for lib/cni_env (CNI_* variables, CNI_ARGS), lib/cni_names
 * (SHA-1, host veth names, interface names) and lib/cni_error. */
#include "twill_test.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cni_env.h"
#include "cni_error.h"
#include "cni_names.h"

static void expect_env_error(char *const *envp, const char *needle)
{
	struct cni_env env;
	struct cni_error err;

	cni_error_clear(&err);
	assert_int_equal(cni_env_parse(envp, &env, &err), -EINVAL);
	assert_int_equal(err.code, CNI_ERR_INVALID_ENV);
	if (!strstr(err.msg, needle))
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, needle);
}

static void test_env_add_complete(void **state)
{
	char *envp[] = { "PATH=/bin", "CNI_COMMAND=ADD", "CNI_CONTAINERID=abc123",
			 "CNI_NETNS=/run/netns/x", "CNI_IFNAME=eth0", "CNI_PATH=/opt/cni/bin",
			 "CNI_ARGS=IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0;"
			 "K8S_POD_INFRA_CONTAINER_ID=abc123", NULL };
	struct cni_env env;
	struct cni_error err;

	(void)state;
	cni_error_clear(&err);
	assert_int_equal(cni_env_parse(envp, &env, &err), 0);
	assert_int_equal(env.command, CNI_CMD_ADD);
	assert_string_equal(env.container_id, "abc123");
	assert_string_equal(env.netns, "/run/netns/x");
	assert_string_equal(env.ifname, "eth0");
	assert_string_equal(env.path, "/opt/cni/bin");
	assert_string_equal(env.k8s.pod_namespace, "default");
	assert_string_equal(env.k8s.pod_name, "web-0");
	assert_string_equal(env.k8s.infra_container_id, "abc123");
	cni_env_free(&env);
}

static void test_env_missing_netns(void **state)
{
	char *add[] = { "CNI_COMMAND=ADD", "CNI_CONTAINERID=a", "CNI_IFNAME=eth0",
			"CNI_PATH=/p", NULL };
	char *add_empty[] = { "CNI_COMMAND=ADD", "CNI_CONTAINERID=a", "CNI_NETNS=",
			      "CNI_IFNAME=eth0", "CNI_PATH=/p", NULL };
	char *del[] = { "CNI_COMMAND=DEL", "CNI_CONTAINERID=a", "CNI_IFNAME=eth0",
			"CNI_PATH=/p", NULL };
	struct cni_env env;
	struct cni_error err;

	(void)state;
	expect_env_error(add, "CNI_NETNS: required for ADD");
	expect_env_error(add_empty, "CNI_NETNS");
	/* DEL may come after the netns is gone */
	cni_error_clear(&err);
	assert_int_equal(cni_env_parse(del, &env, &err), 0);
	assert_null(env.netns);
	cni_env_free(&env);
}

static void test_env_command(void **state)
{
	char *none[] = { "CNI_PATH=/p", NULL };
	char *bad[] = { "CNI_COMMAND=ATTACH", NULL };
	char *version[] = { "CNI_COMMAND=VERSION", NULL };
	char *status[] = { "CNI_COMMAND=STATUS", NULL };
	struct cni_env env;
	struct cni_error err;

	(void)state;
	expect_env_error(none, "CNI_COMMAND: not set");
	expect_env_error(bad, "CNI_COMMAND: unknown command \"ATTACH\"");
	expect_env_error(status, "CNI_PATH: required for STATUS");
	cni_error_clear(&err);
	assert_int_equal(cni_env_parse(version, &env, &err), 0);
	assert_int_equal(env.command, CNI_CMD_VERSION);
	cni_env_free(&env);
	assert_int_equal(cni_command_parse("GC"), CNI_CMD_GC);
	assert_string_equal(cni_command_name(CNI_CMD_CHECK), "CHECK");
}

static void test_env_ifname_too_long(void **state)
{
	char *envp[] = { "CNI_COMMAND=ADD", "CNI_CONTAINERID=a", "CNI_NETNS=/n",
			 "CNI_IFNAME=eth0123456789abcd", "CNI_PATH=/p", NULL };

	(void)state;
	expect_env_error(envp, "CNI_IFNAME: \"eth0123456789abcd\" is not a valid interface name: "
			       "longer than 15");
}

static void test_env_container_id(void **state)
{
	char *envp[] = { "CNI_COMMAND=DEL", "CNI_CONTAINERID=../etc", "CNI_IFNAME=eth0",
			 "CNI_PATH=/p", NULL };
	char *missing[] = { "CNI_COMMAND=CHECK", "CNI_NETNS=/n", "CNI_IFNAME=eth0",
			    "CNI_PATH=/p", NULL };

	(void)state;
	expect_env_error(envp, "CNI_CONTAINERID");
	expect_env_error(missing, "CNI_CONTAINERID: required for CHECK");
}

static void test_args_parse(void **state)
{
	struct cni_k8s_args args = { 0 };
	struct cni_error err;

	(void)state;
	cni_error_clear(&err);
	assert_int_equal(cni_args_parse("K8S_POD_NAME=a;K8S_POD_NAME=b;Foo=", &args, &err), 0);
	assert_string_equal(args.pod_name, "b"); /* last one wins */
	assert_null(args.pod_namespace);
	assert_int_equal(cni_args_parse("", &args, &err), 0);
	assert_null(args.pod_name);
	assert_int_equal(cni_args_parse("K8S_POD_NAME=a;garbage", &args, &err), -EINVAL);
	assert_int_equal(err.code, CNI_ERR_INVALID_ENV);
	assert_non_null(strstr(err.msg, "CNI_ARGS: pair \"garbage\""));
	assert_null(args.pod_name);
	cni_error_clear(&err);
	assert_int_equal(cni_args_parse("=x", &args, &err), -EINVAL);
	cni_k8s_args_free(&args);
}

static void hex(const uint8_t *d, char *out)
{
	size_t i;

	for (i = 0; i < 20; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static void test_sha1_vectors(void **state)
{
	uint8_t d[20];
	char h[41];
	static char million[1000000];

	(void)state;
	cni_sha1("abc", 3, d);
	hex(d, h);
	assert_string_equal(h, "a9993e364706816aba3e25717850c26c9cd0d89d");
	cni_sha1("", 0, d);
	hex(d, h);
	assert_string_equal(h, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
	/* 56 bytes: the padding spills into a second block */
	cni_sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, d);
	hex(d, h);
	assert_string_equal(h, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
	memset(million, 'a', sizeof(million));
	cni_sha1(million, sizeof(million), d);
	hex(d, h);
	assert_string_equal(h, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

static void test_host_veth_name(void **state)
{
	char name[CNI_IFNAME_MAX + 1], other[CNI_IFNAME_MAX + 1];

	(void)state;
	assert_int_equal(cni_host_veth_name("default", "web-0", "cid", name), 0);
	assert_int_equal(strlen(name), CNI_HOST_VETH_NAME_LEN);
	assert_memory_equal(name, "tw", 2);
	assert_null(cni_ifname_valid(name));
	assert_int_equal(cni_host_veth_name("default", "web-1", "cid", other), 0);
	assert_string_not_equal(name, other);
	/* no pod identity: the container id is the key */
	assert_int_equal(cni_host_veth_name(NULL, "web-0", "cid", other), 0);
	assert_string_not_equal(name, other);
	assert_int_equal(cni_host_veth_name(NULL, NULL, NULL, other), -EINVAL);
}

static void test_host_veth_name_known(void **state)
{
	char name[CNI_IFNAME_MAX + 1];

	(void)state;
	/* printf 'ns1.pod1' | sha1sum -> first 11 hex chars */
	assert_int_equal(cni_host_veth_name("ns1", "pod1", NULL, name), 0);
	assert_string_equal(name, "twe822bf90b23");
}

static void test_ifname_valid(void **state)
{
	(void)state;
	assert_null(cni_ifname_valid("eth0"));
	assert_null(cni_ifname_valid("abcdefghijklmno"));
	assert_non_null(cni_ifname_valid("abcdefghijklmnop"));
	assert_non_null(cni_ifname_valid(""));
	assert_non_null(cni_ifname_valid(NULL));
	assert_non_null(cni_ifname_valid("."));
	assert_non_null(cni_ifname_valid(".."));
	assert_non_null(cni_ifname_valid("a/b"));
	assert_non_null(cni_ifname_valid("a b"));
	assert_non_null(cni_ifname_valid("a:1"));
}

static void test_error_first_wins_and_json(void **state)
{
	struct cni_error err;
	char *text;

	(void)state;
	cni_error_clear(&err);
	assert_false(cni_error_is_set(&err));
	assert_int_equal(cni_error_set(&err, CNI_ERR_INVALID_CONFIG, "ipam.type: \"%s\" not found",
				       "x"), CNI_ERR_INVALID_CONFIG);
	cni_error_set(&err, CNI_ERR_IO, "rollback failed");
	assert_int_equal(err.code, CNI_ERR_INVALID_CONFIG);
	text = cni_error_json(&err, "0.4.0");
	assert_non_null(text);
	assert_string_equal(text, "{\"cniVersion\":\"0.4.0\",\"code\":7,"
				  "\"msg\":\"ipam.type: \\\"x\\\" not found\"}");
	free(text);
	cni_error_clear(&err);
	cni_error_set_details(&err, CNI_ERR_TRY_AGAIN, "connection refused", "kubernetes: %s",
			      "unreachable");
	text = cni_error_json(&err, NULL);
	assert_non_null(strstr(text, "\"code\":11"));
	assert_non_null(strstr(text, "\"details\":\"connection refused\""));
	assert_non_null(strstr(text, "\"cniVersion\":\"1.1.0\""));
	free(text);
	assert_string_equal(cni_error_code_name(4), "invalid environment variables");
	assert_string_equal(cni_error_code_name(7), "invalid network configuration");
	assert_int_equal(CNI_ERR_INVALID_ENV, 4);
	assert_int_equal(CNI_ERR_INVALID_CONFIG, 7);
	assert_string_equal(cni_error_code_name(12345), "internal error");
}

/* stdin: read whole past the 16 KiB growth step; a closed fd is an empty
 * config; twice CNI_STDIN_MAX is refused. */
static void write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		assert_true(n > 0);
		buf += n;
		len -= (size_t)n;
	}
}

static void test_read_stdin(void **state)
{
	char *big, *out = NULL;
	size_t len = 0, n = 40000;
	int fds[2];
	pid_t pid;

	(void)state;
	big = malloc(2 * CNI_STDIN_MAX);
	assert_non_null(big);
	memset(big, 'x', 2 * CNI_STDIN_MAX);
	assert_int_equal(pipe(fds), 0);
	write_all(fds[1], big, n); /* fits in the pipe buffer (64 KiB) */
	close(fds[1]);
	assert_int_equal(cni_read_stdin(fds[0], &out, &len), 0);
	close(fds[0]);
	assert_int_equal(len, n);
	assert_int_equal(out[n], '\0');
	assert_int_equal(out[n - 1], 'x');
	free(out);

	out = NULL;
	assert_int_equal(cni_read_stdin(-1, &out, &len), 0); /* EBADF: closed stdin */
	assert_int_equal(len, 0);
	assert_string_equal(out, "");
	free(out);

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		write_all(fds[1], big, 2 * CNI_STDIN_MAX);
		_exit(0);
	}
	close(fds[1]);
	out = NULL;
	assert_int_equal(cni_read_stdin(fds[0], &out, &len), -EFBIG);
	assert_null(out);
	close(fds[0]); /* the writer gets EPIPE and exits */
	free(big);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_env_add_complete),
	cmocka_unit_test(test_env_missing_netns),
	cmocka_unit_test(test_env_command),
	cmocka_unit_test(test_env_ifname_too_long),
	cmocka_unit_test(test_env_container_id),
	cmocka_unit_test(test_args_parse),
	cmocka_unit_test(test_sha1_vectors),
	cmocka_unit_test(test_host_veth_name),
	cmocka_unit_test(test_host_veth_name_known),
	cmocka_unit_test(test_ifname_valid),
	cmocka_unit_test(test_error_first_wins_and_json),
	cmocka_unit_test(test_read_stdin),
};

TWILL_TEST_MAIN(tests)
