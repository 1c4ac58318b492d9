/* Unit tests for confgen/confgen_apply: a rendered BIRD config reaches the
 * live file only after `bird -p` accepted it, atomically, mode 0600; a
 * rejected render leaves the working file untouched. Checkers are stand-ins
 * (/bin/true, /bin/false, /bin/echo) so the rules are tested without BIRD;
 * one case uses the real `bird` when installed. */
#include "twill_test.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "confgen_apply.h"

struct dir {
	char path[64];
	char conf[128];
};

static void dir_make(struct dir *d)
{
	snprintf(d->path, sizeof(d->path), "/tmp/twill-bird-apply-XXXXXX");
	assert_non_null(mkdtemp(d->path));
	snprintf(d->conf, sizeof(d->conf), "%s/bird.conf", d->path);
}

static int dir_entries(const struct dir *d)
{
	DIR *dh = opendir(d->path);
	struct dirent *e;
	int n = 0;

	assert_non_null(dh);
	while ((e = readdir(dh)))
		n += e->d_name[0] != '.';
	closedir(dh);
	return n;
}

static void dir_remove(struct dir *d)
{
	DIR *dh = opendir(d->path);
	struct dirent *e;
	char p[512];

	assert_non_null(dh);
	while ((e = readdir(dh))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", d->path, e->d_name);
		unlink(p);
	}
	closedir(dh);
	rmdir(d->path);
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static char *get(const char *path)
{
	static char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void test_accepted_config_replaces_file(void **state)
{
	struct dir d;
	struct confgen_apply_result r;
	struct stat st;
	struct confgen_apply_opts o = { .bird_path = "/bin/true" };

	(void)state;
	dir_make(&d);
	o.config_path = d.conf;
	put(d.conf, "old\n");
	assert_int_equal(confgen_apply(&o, "new\n", 4, &r), 0);
	assert_true(r.changed);
	assert_false(r.rejected);
	assert_false(r.reconfigured); /* no control socket given */
	assert_string_equal(get(d.conf), "new\n");
	assert_int_equal(stat(d.conf, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600); /* it holds MD5 passwords */
	assert_int_equal(dir_entries(&d), 1);	   /* no temporary file left */
	dir_remove(&d);
}

static void test_rejected_config_never_replaces_file(void **state)
{
	struct dir d;
	struct confgen_apply_result r;
	struct confgen_apply_opts o = { .bird_path = "/bin/false", .birdc_path = "/bin/true",
					.control_socket = "/nonexistent.ctl" };

	(void)state;
	dir_make(&d);
	o.config_path = d.conf;
	put(d.conf, "working config\n");
	assert_int_equal(confgen_apply(&o, "broken\n", 7, &r), -EINVAL);
	assert_true(r.rejected);
	assert_false(r.changed);
	assert_false(r.reconfigured);
	assert_non_null(strstr(r.message, "bird -p rejected"));
	assert_string_equal(get(d.conf), "working config\n");
	assert_int_equal(dir_entries(&d), 1);
	dir_remove(&d);
}

static void test_real_bird_rejects_bad_render(void **state)
{
	struct dir d;
	struct confgen_apply_result r;
	struct confgen_apply_opts o = { 0 };
	const char *good = "router id 10.0.0.1;\nprotocol device { scan time 10; }\n";
	const char *bad = "router id 10.0.0.1;\nprotocol bgp X { password \"a\"b\"; }\n";
	char out[256];
	int status;

	(void)state;
	if (confgen_run((char *const[]){ "bird", "--version", NULL }, out, sizeof(out), &status,
			CONFGEN_CHILD_TIMEOUT_MS) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
		skip(); /* BIRD is not installed here */
	}
	dir_make(&d);
	o.config_path = d.conf;
	assert_int_equal(confgen_apply(&o, good, strlen(good), &r), 0);
	assert_true(r.changed);
	assert_int_equal(confgen_apply(&o, bad, strlen(bad), &r), -EINVAL);
	assert_true(r.rejected);
	assert_non_null(strstr(r.message, "syntax error")); /* BIRD's own words */
	assert_string_equal(get(d.conf), good);
	assert_int_equal(dir_entries(&d), 1);
	dir_remove(&d);
}

static void test_unchanged_text_is_not_rechecked(void **state)
{
	struct dir d;
	struct confgen_apply_result r;
	struct confgen_apply_opts o = { .bird_path = "/nonexistent/bird",
					.birdc_path = "/nonexistent/birdc",
					.control_socket = "/nonexistent.ctl" };

	(void)state;
	dir_make(&d);
	o.config_path = d.conf;
	put(d.conf, "same\n");
	/* neither program exists: any attempt to run one would fail the call */
	assert_int_equal(confgen_apply(&o, "same\n", 5, &r), 0);
	assert_false(r.changed);
	assert_false(r.reconfigured);
	/* one byte more is a change, and then the missing checker is an error */
	assert_int_equal(confgen_apply(&o, "same\n\n", 6, &r), -EINVAL);
	assert_string_equal(get(d.conf), "same\n");
	dir_remove(&d);
}

static void test_reconfigure_reads_birdc_answer(void **state)
{
	struct dir d;
	struct confgen_apply_result r;
	/* echo prints its arguments: "-s <socket> configure" */
	struct confgen_apply_opts o = { .bird_path = "/bin/true", .birdc_path = "/bin/echo",
					.control_socket = "Reconfigured" };

	(void)state;
	dir_make(&d);
	o.config_path = d.conf;
	assert_int_equal(confgen_apply(&o, "a\n", 2, &r), 0);
	assert_true(r.changed);
	assert_true(r.reconfigured);
	/* birdc exits 0 when BIRD refuses too: its answer decides */
	o.control_socket = "/run/bird.ctl";
	assert_int_equal(confgen_apply(&o, "b\n", 2, &r), -EIO);
	assert_true(r.changed); /* the file passed the parser: BIRD loads it on restart */
	assert_false(r.reconfigured);
	assert_non_null(strstr(r.message, "birdc configure failed: -s /run/bird.ctl configure"));
	dir_remove(&d);
}

static void test_unchanged_file_reconfigured_on_request(void **state)
{
	struct dir d;
	struct confgen_apply_result r;
	struct confgen_apply_opts o = { .bird_path = "/nonexistent/bird", .birdc_path = "/bin/echo",
					.control_socket = "Reconfigured",
					.reconfigure_unchanged = true };

	(void)state;
	dir_make(&d);
	o.config_path = d.conf;
	put(d.conf, "same\n");
	/* not re-checked (the checker does not exist), but BIRD is told to load it */
	assert_int_equal(confgen_apply(&o, "same\n", 5, &r), 0);
	assert_false(r.changed);
	assert_true(r.reconfigured);
	o.reconfigure_unchanged = false;
	assert_int_equal(confgen_apply(&o, "same\n", 5, &r), 0);
	assert_false(r.reconfigured);
	dir_remove(&d);
}

static void test_run_times_out(void **state)
{
	char out[64];
	int status;

	(void)state;
	assert_int_equal(confgen_run((char *const[]){ "sleep", "10", NULL }, out, sizeof(out),
				     &status, 100),
			 -ETIMEDOUT);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(confgen_run((char *const[]){ "/nonexistent/x", NULL }, out, sizeof(out),
				     &status, 1000),
			 -ENOENT);
}

static void test_run_collects_output(void **state)
{
	char out[8];
	int status;

	(void)state;
	assert_int_equal(confgen_run((char *const[]){ "sh", "-c", "echo out; echo err >&2; exit 3", NULL },
				     out, sizeof(out), &status, CONFGEN_CHILD_TIMEOUT_MS),
			 0);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 3);
	assert_string_equal(out, "out\nerr"); /* truncated to the buffer */
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_accepted_config_replaces_file),
	cmocka_unit_test(test_rejected_config_never_replaces_file),
	cmocka_unit_test(test_real_bird_rejects_bad_render),
	cmocka_unit_test(test_unchanged_text_is_not_rechecked),
	cmocka_unit_test(test_reconfigure_reads_birdc_answer),
	cmocka_unit_test(test_unchanged_file_reconfigured_on_request),
	cmocka_unit_test(test_run_times_out),
	cmocka_unit_test(test_run_collects_output),
};

TWILL_TEST_MAIN(tests)
