/* Unit tests for cni/ipam_exec: finding the IPAM plugin in CNI_PATH and the
 * delegation protocol (same env but CNI_COMMAND, same stdin, result or error
 * object back, 1.1.0 -> 1.0.0 retry), with /bin/sh stub plugins written to a
 * private temp dir that teardown removes. */
#include "twill_test.h"

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cni_plugin.h"
#include "ipam_exec.h"

struct fixture {
	char dir[64];
	char path_var[200];
	char *envp[8];
	struct cni_plugin p;
	char config[512];
};

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static void write_file(const char *dir, const char *name, const char *text, mode_t mode)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static char *read_file(const char *dir, const char *name, char *buf, size_t size)
{
	char path[PATH_MAX];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f)
		return NULL;
	n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

/* A plugin config for ipam type `type` at cniVersion `version`. */
static void use_config(struct fixture *fx, const char *type, const char *version)
{
	struct cni_error err;

	cni_config_free(&fx->p.cfg);
	snprintf(fx->config, sizeof(fx->config),
		 "{\"cniVersion\":\"%s\",\"name\":\"n\",\"type\":\"twill-cni\","
		 "\"ipam\":{\"type\":\"%s\",\"extra\":42}}", version, type);
	cni_error_clear(&err);
	assert_int_equal(cni_config_parse(fx->config, strlen(fx->config), &fx->p.cfg, &err), 0);
	fx->p.stdin_text = fx->config;
	fx->p.stdin_len = strlen(fx->config);
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/twill-ipam-exec-XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	snprintf(fx->path_var, sizeof(fx->path_var), "CNI_PATH=/nonexistent::%s", fx->dir);
	fx->envp[0] = "CNI_COMMAND=ADD";
	fx->envp[1] = "CNI_CONTAINERID=c1";
	fx->envp[2] = fx->path_var;
	fx->envp[3] = "PATH=/usr/bin:/bin";
	fx->envp[4] = NULL;
	fx->p.envp = fx->envp;
	fx->p.env.path = fx->path_var + strlen("CNI_PATH=");
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	cni_config_free(&fx->p.cfg);
	nftw(fx->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(fx);
	return 0;
}

static const char result_stub[] =
	"#!/bin/sh\n"
	"cat > \"$(dirname \"$0\")/stdin.$CNI_COMMAND\"\n"
	"echo \"$CNI_COMMAND $CNI_CONTAINERID\" >> \"$(dirname \"$0\")/calls\"\n"
	"[ \"$CNI_COMMAND\" = ADD ] && echo '{\"cniVersion\":\"1.0.0\",\"ips\":"
	"[{\"address\":\"10.1.0.7/24\",\"gateway\":\"10.1.0.1\"}],\"dns\":{\"domain\":\"d\"}}'\n"
	"exit 0\n";

static void test_find_in_path_order(void **state)
{
	struct fixture *fx = *state;
	char out[PATH_MAX], sub[PATH_MAX], path[PATH_MAX * 2 + 8];

	write_file(fx->dir, "plain", "not executable", 0644);
	assert_int_equal(cni_ipam_find(fx->p.env.path, "plain", out, sizeof(out)), -ENOENT);
	assert_int_equal(cni_ipam_find(fx->p.env.path, "absent", out, sizeof(out)), -ENOENT);
	assert_string_equal(out, "");
	snprintf(sub, sizeof(sub), "%s/sub", fx->dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	write_file(sub, "ipam", "#!/bin/sh\n", 0755);
	write_file(fx->dir, "ipam", "#!/bin/sh\n", 0755);
	snprintf(path, sizeof(path), "%s:%s", sub, fx->dir);
	assert_int_equal(cni_ipam_find(path, "ipam", out, sizeof(out)), 0);
	assert_string_equal(strrchr(out, '/') - 3, "sub/ipam");
	/* a directory of that name is skipped */
	assert_int_equal(cni_ipam_find(fx->dir, "sub", out, sizeof(out)), -ENOENT);
}

static void test_add_parses_result_and_passes_stdin(void **state)
{
	struct fixture *fx = *state;
	struct cni_result r;
	struct cni_error err;
	char buf[1024];

	write_file(fx->dir, "stub", result_stub, 0755);
	use_config(fx, "stub", "1.0.0");
	cni_error_clear(&err);
	assert_int_equal(cni_ipam_exec(&fx->p, CNI_CMD_ADD, &r, &err), 0);
	assert_int_equal(r.n_ips, 1);
	assert_true(r.ips[0].has_gateway);
	assert_non_null(r.dns);
	cni_result_free(&r);
	/* stdin is the configuration exactly as received */
	assert_non_null(read_file(fx->dir, "stdin.ADD", buf, sizeof(buf)));
	assert_string_equal(buf, fx->config);
}

static void test_del_changes_only_the_command(void **state)
{
	struct fixture *fx = *state;
	struct cni_result r;
	struct cni_error err;
	char buf[256];

	write_file(fx->dir, "stub", result_stub, 0755);
	use_config(fx, "stub", "1.0.0");
	cni_error_clear(&err);
	assert_int_equal(cni_ipam_exec(&fx->p, CNI_CMD_DEL, &r, &err), 0);
	assert_int_equal(r.n_ips, 0);
	assert_non_null(read_file(fx->dir, "calls", buf, sizeof(buf)));
	assert_string_equal(buf, "DEL c1\n");
}

static void test_error_object_passed_on(void **state)
{
	struct fixture *fx = *state;
	struct cni_result r;
	struct cni_error err;

	write_file(fx->dir, "busy",
		   "#!/bin/sh\ncat >/dev/null\necho '{\"code\":11,\"msg\":\"no free address\","
		   "\"details\":\"pool p\"}'\nexit 1\n", 0755);
	use_config(fx, "busy", "1.0.0");
	cni_error_clear(&err);
	assert_int_equal(cni_ipam_exec(&fx->p, CNI_CMD_ADD, &r, &err), 11);
	assert_string_equal(err.msg, "ipam plugin busy: no free address");
	assert_string_equal(err.details, "pool p");
}

static void test_failures_without_error_object(void **state)
{
	struct fixture *fx = *state;
	struct cni_result r;
	struct cni_error err;

	write_file(fx->dir, "dies", "#!/bin/sh\ncat >/dev/null\nexit 3\n", 0755);
	use_config(fx, "dies", "1.0.0");
	cni_error_clear(&err);
	assert_int_equal(cni_ipam_exec(&fx->p, CNI_CMD_ADD, &r, &err), CNI_ERR_INTERNAL);
	assert_non_null(strstr(err.msg, "exited with status 3"));

	write_file(fx->dir, "garbage", "#!/bin/sh\ncat >/dev/null\necho '[1,2'\n", 0755);
	use_config(fx, "garbage", "1.0.0");
	cni_error_clear(&err);
	assert_int_equal(cni_ipam_exec(&fx->p, CNI_CMD_ADD, &r, &err), CNI_ERR_DECODE);
	assert_non_null(strstr(err.msg, "ipam plugin garbage result (1.0.0)"));

	/* executable bit but no format the kernel runs: the spawn itself fails */
	write_file(fx->dir, "noexec", "not a program\n", 0755);
	use_config(fx, "noexec", "1.0.0");
	cni_error_clear(&err);
	assert_int_equal(cni_ipam_exec(&fx->p, CNI_CMD_ADD, &r, &err), CNI_ERR_INTERNAL);
	assert_string_equal(err.msg, "ipam plugin noexec: could not be executed: Exec format error");

	use_config(fx, "missing", "1.0.0");
	cni_error_clear(&err);
	assert_int_equal(cni_ipam_exec(&fx->p, CNI_CMD_ADD, &r, &err), CNI_ERR_INVALID_CONFIG);
	assert_non_null(strstr(err.msg, "ipam.type: plugin \"missing\" not found in CNI_PATH"));
}

static void test_110_falls_back_to_100(void **state)
{
	struct fixture *fx = *state;
	struct cni_result r;
	struct cni_error err;
	char buf[1024];

	/* answers "incompatible version" to 1.1.0, a result to 1.0.0 */
	write_file(fx->dir, "old",
		   "#!/bin/sh\nin=$(cat)\necho x >> \"$(dirname \"$0\")/calls\"\n"
		   "case \"$in\" in *'\"1.1.0\"'*) echo '{\"code\":1,\"msg\":\"incompatible\"}'; "
		   "exit 1;; esac\n"
		   "echo \"$in\" > \"$(dirname \"$0\")/stdin.retry\"\n"
		   "echo '{\"cniVersion\":\"1.0.0\",\"ips\":[{\"address\":\"10.1.0.8/24\"}]}'\n",
		   0755);
	use_config(fx, "old", "1.1.0");
	cni_error_clear(&err);
	assert_int_equal(cni_ipam_exec(&fx->p, CNI_CMD_ADD, &r, &err), 0);
	assert_false(cni_error_is_set(&err));
	assert_int_equal(r.n_ips, 1);
	cni_result_free(&r);
	assert_non_null(read_file(fx->dir, "calls", buf, sizeof(buf)));
	assert_string_equal(buf, "x\nx\n");
	/* the retry carried the whole config, ipam fields included */
	assert_non_null(read_file(fx->dir, "stdin.retry", buf, sizeof(buf)));
	assert_non_null(strstr(buf, "\"cniVersion\":\"1.0.0\""));
	assert_non_null(strstr(buf, "\"extra\":42"));
	/* a 1.0.0 config is not retried: the error stands */
	use_config(fx, "old", "1.0.0");
	write_file(fx->dir, "old", "#!/bin/sh\ncat >/dev/null\n"
		   "echo '{\"code\":1,\"msg\":\"incompatible\"}'\nexit 1\n", 0755);
	cni_error_clear(&err);
	assert_int_equal(cni_ipam_exec(&fx->p, CNI_CMD_ADD, &r, &err), 1);
}

static void test_supports_version(void **state)
{
	struct fixture *fx = *state;
	bool yes = true;

	write_file(fx->dir, "v", "#!/bin/sh\ncat >/dev/null\n[ \"$CNI_COMMAND\" = VERSION ] || "
		   "exit 9\necho '{\"cniVersion\":\"1.0.0\",\"supportedVersions\":"
		   "[\"0.4.0\",\"1.0.0\"]}'\n", 0755);
	use_config(fx, "v", "1.1.0");
	assert_int_equal(cni_ipam_supports(&fx->p, "1.1.0", &yes), 0);
	assert_false(yes);
	assert_int_equal(cni_ipam_supports(&fx->p, "1.0.0", &yes), 0);
	assert_true(yes);
	use_config(fx, "absent", "1.1.0");
	assert_int_equal(cni_ipam_supports(&fx->p, "1.0.0", &yes), -ENOENT);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test_setup_teardown(test_find_in_path_order, setup, teardown),
	cmocka_unit_test_setup_teardown(test_add_parses_result_and_passes_stdin, setup, teardown),
	cmocka_unit_test_setup_teardown(test_del_changes_only_the_command, setup, teardown),
	cmocka_unit_test_setup_teardown(test_error_object_passed_on, setup, teardown),
	cmocka_unit_test_setup_teardown(test_failures_without_error_object, setup, teardown),
	cmocka_unit_test_setup_teardown(test_110_falls_back_to_100, setup, teardown),
	cmocka_unit_test_setup_teardown(test_supports_version, setup, teardown),
};

TWILL_TEST_MAIN(tests)
