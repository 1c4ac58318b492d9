/* Unit tests for lib/bird_ctl: the `show protocols all` parser on replies
 * captured from BIRD 2.0.12 (up, down with an error, non-BGP protocols,
 * errors, truncation, garbage) and the socket client against a fake BIRD
 * served by a child process on a unix socket in a temporary directory. */
#include "twill_test.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bird_ctl.h"

/* From a real BIRD 2.0.12 (one BGP session shortened a little). */
static const char REPLY_UP[] =
	"2002-Name       Proto      Table      State  Since         Info\n"
	"1002-device1    Device     ---        up     16:49:47.204  \n"
	"1006-\n"
	"1002-twill_blocks4 Static     master4    up     16:49:52.887  \n"
	"1006-  Channel ipv4\n"
	"     State:          UP\n"
	"     Routes:         1 imported, 0 exported, 1 preferred\n"
	" \n"
	"1002-Mesh_10_99_0_12 BGP        ---        up     16:49:51.821  Established   \n"
	"1006-  Description:    twill mesh node2\n"
	"     BGP state:          Established\n"
	"     Neighbor address: 10.99.0.12\n"
	"     Neighbor AS:      64512\n"
	"     Local AS:         64513\n"
	"     Neighbor ID:      10.99.0.12\n"
	"     Local capabilities\n"
	"       Graceful restart\n"
	"         Restart time: 120\n"
	"     Source address:   10.99.0.11\n"
	"     Hold timer:       180.658/240\n"
	"   Channel ipv4\n"
	"     State:          UP\n"
	"     Routes:         2 imported, 3 exported, 1 preferred\n"
	"     Route change stats:     received   rejected   filtered    ignored   accepted\n"
	"       Import updates:              3          0          0          1          2\n"
	" \n"
	"0000 \n";

static const char REPLY_DOWN[] =
	"2002-Name       Proto      Table      State  Since         Info\n"
	"1002-Peer_10_99_0_1 BGP        ---        start  2026-11-24 16:50:01  Active        "
	"Socket: Connection refused\n"
	"1006-  Description:    twill global tor\n"
	"     BGP state:          Active\n"
	"     Neighbor address: 10.99.0.1\n"
	"     Neighbor AS:      65000\n"
	"     Local AS:         64512\n"
	"     Connect delay:    3.112/5\n"
	"     Last error:       Socket: Connection refused\n"
	"\n"
	"0000 \n";

static struct bird_ctl_protos parse_ok(const char *text)
{
	struct bird_ctl_protos ps;
	char err[256];
	int rc = bird_ctl_parse_protocols(text, strlen(text), &ps, err, sizeof(err));

	if (rc != 0)
		fail_msg("parse failed: %d %s", rc, err);
	return ps;
}

static void test_parse_established_mesh(void **state)
{
	struct bird_ctl_protos ps = parse_ok(REPLY_UP);
	const struct bird_ctl_proto *p;

	(void)state;
	assert_int_equal(ps.count, 3);
	assert_string_equal(ps.items[0].name, "device1");
	assert_string_equal(ps.items[0].proto, "Device");
	assert_null(ps.items[0].bgp_state);
	assert_false(bird_ctl_established(&ps.items[0]));
	p = &ps.items[2];
	assert_string_equal(p->name, "Mesh_10_99_0_12");
	assert_string_equal(p->proto, "BGP");
	assert_string_equal(p->table, "---");
	assert_string_equal(p->state, "up");
	assert_string_equal(p->since, "16:49:51.821");
	assert_string_equal(p->info, "Established");
	assert_string_equal(p->description, "twill mesh node2");
	assert_string_equal(p->twill_type, "mesh");
	assert_string_equal(p->twill_peer, "node2");
	assert_string_equal(p->bgp_state, "Established");
	assert_string_equal(p->neighbor_address, "10.99.0.12");
	assert_int_equal(p->neighbor_as, 64512);
	assert_int_equal(p->local_as, 64513);
	assert_null(p->last_error);
	assert_true(p->has_routes);
	assert_int_equal(p->imported, 2);
	assert_int_equal(p->exported, 3);
	assert_int_equal(p->preferred, 1);
	assert_true(bird_ctl_established(p));
	bird_ctl_protos_free(&ps);
	assert_null(ps.items);
}

static void test_parse_down_session(void **state)
{
	struct bird_ctl_protos ps = parse_ok(REPLY_DOWN);
	const struct bird_ctl_proto *p = &ps.items[0];

	(void)state;
	assert_int_equal(ps.count, 1);
	assert_string_equal(p->state, "start");
	/* iso long time format: Since holds a space; Info begins after two. */
	assert_string_equal(p->since, "2026-11-24 16:50:01");
	assert_string_equal(p->info, "Active        Socket: Connection refused");
	assert_string_equal(p->twill_type, "global");
	assert_string_equal(p->twill_peer, "tor");
	assert_string_equal(p->bgp_state, "Active");
	assert_int_equal(p->neighbor_as, 65000);
	assert_string_equal(p->last_error, "Socket: Connection refused");
	assert_false(p->has_routes);
	assert_false(bird_ctl_established(p));
	bird_ctl_protos_free(&ps);
}

/* `show protocols` without "all": no details, state from the Info column. */
static void test_parse_short_table(void **state)
{
	static const char text[] =
		"0001 BIRD 2.0.12 ready.\n"
		"2002-Name       Proto      Table      State  Since         Info\n"
		"1002-Mesh_a     BGP        ---        up     16:49:51.821  Established   \n"
		"1002-Mesh_b     BGP        ---        start  16:49:51.821  Connect\n"
		"0000 \n";
	struct bird_ctl_protos ps = parse_ok(text);

	(void)state;
	assert_int_equal(ps.count, 2);
	assert_null(ps.items[0].description);
	assert_null(ps.items[0].twill_type);
	assert_true(bird_ctl_established(&ps.items[0]));
	assert_string_equal(ps.items[1].info, "Connect");
	assert_false(bird_ctl_established(&ps.items[1]));
	bird_ctl_protos_free(&ps);
}

static void test_parse_routes_with_filtered(void **state)
{
	static const char text[] =
		"1002-k          Kernel     master4    up     10:00:00.000  \n"
		"1006-  Channel ipv4\n"
		"     Routes:         5 imported, 2 filtered, 7 exported, 4 preferred\n"
		"   Channel ipv6\n"
		"     Routes:         1 imported, 1 exported, 0 preferred\n"
		"0000 \n";
	struct bird_ctl_protos ps = parse_ok(text);

	(void)state;
	assert_int_equal(ps.items[0].imported, 6);
	assert_int_equal(ps.items[0].exported, 8);
	assert_int_equal(ps.items[0].preferred, 4);
	bird_ctl_protos_free(&ps);
}

static void test_parse_foreign_description(void **state)
{
	static const char text[] =
		"1002-up1        BGP        ---        up     10:00:00.000  Established\n"
		"1006-  Description:    uplink to the core\n"
		"     BGP state:          Established\n"
		"1002-t2         BGP        ---        up     10:00:00.000  Established\n"
		"1006-  Description:    twill mesh\n"
		"0000 \n";
	struct bird_ctl_protos ps = parse_ok(text);

	(void)state;
	assert_string_equal(ps.items[0].description, "uplink to the core");
	assert_null(ps.items[0].twill_type);
	assert_null(ps.items[1].twill_type);	/* no name after the type */
	assert_null(ps.items[1].twill_peer);
	bird_ctl_protos_free(&ps);
}

static void expect_error(const char *text, size_t len, const char *needle)
{
	struct bird_ctl_protos ps = { (void *)1, 99 };
	char err[256];

	assert_int_equal(bird_ctl_parse_protocols(text, len, &ps, err, sizeof(err)), -EPROTO);
	assert_null(ps.items);
	assert_int_equal(ps.count, 0);
	if (!strstr(err, needle))
		fail_msg("error '%s' does not contain '%s'", err, needle);
}

static void test_parse_errors(void **state)
{
	static const char nul[] = "1002-a BGP --- up 1  x\0y\n0000 \n";

	(void)state;
	expect_error("9001 syntax error, unexpected CF_SYM_UNDEFINED\n", 48, "syntax error");
	expect_error("8003 No protocols match\n", 24, "BIRD: No protocols match");
	expect_error("1002-a BGP --- up 1  x\n1006-  BGP state: Established\n", 53,
		     "truncated");
	expect_error("", 0, "truncated");
	expect_error("1006-  BGP state: Established\n0000 \n", 36, "before any protocol");
	expect_error("hello world\n0000 \n", 18, "not a BIRD reply line");
	expect_error(" continuation first\n0000 \n", 26, "not a BIRD reply line");
	expect_error("1002-onlyname\n0000 \n", 20, "short protocol row");
	/* a tab is a separator, never a column of its own (found by fuzz_bird_ctl) */
	expect_error("1002-a \t BGP\t\t up\n0000 \n", 23, "short protocol row");
	expect_error(nul, sizeof(nul) - 1, "NUL");
}

/* A reply cut at every possible byte either parses or fails cleanly. */
static void test_parse_every_prefix(void **state)
{
	size_t n, len = strlen(REPLY_UP);

	(void)state;
	for (n = 0; n <= len; n++) {
		struct bird_ctl_protos ps;
		char err[256];
		int rc = bird_ctl_parse_protocols(REPLY_UP, n, &ps, err, sizeof(err));

		if (n < len - 1)
			assert_int_equal(rc, -EPROTO);
		else
			assert_int_equal(rc, 0);
		bird_ctl_protos_free(&ps);
	}
}

/* ---- the socket client against a fake BIRD ---- */

enum fake_mode { FAKE_OK, FAKE_SILENT, FAKE_NOT_BIRD, FAKE_CLOSE };

struct fake {
	char dir[64], path[128];
	pid_t pid;
};

/* Child: accept one client, greet, expect the command, answer per mode. */
static void fake_serve(int lfd, enum fake_mode mode)
{
	static const char greet[] = "0001 BIRD 2.0.12 ready.\n";
	char cmd[256];
	size_t got = 0;
	int c = accept(lfd, NULL, NULL);

	if (c < 0)
		_exit(3);
	if (mode == FAKE_NOT_BIRD) {
		(void)!write(c, "SSH-2.0-OpenSSH\r\n", 17);
		sleep(5);
		_exit(0);
	}
	(void)!write(c, greet, sizeof(greet) - 1);
	while (got < sizeof(cmd) - 1) {
		ssize_t n = read(c, cmd + got, sizeof(cmd) - 1 - got);

		if (n <= 0)
			_exit(4);
		got += (size_t)n;
		cmd[got] = '\0';
		if (strchr(cmd, '\n'))
			break;
	}
	if (strcmp(cmd, "show protocols all\n") != 0)
		_exit(5);
	if (mode == FAKE_SILENT) {
		sleep(5);
		_exit(0);
	}
	if (mode == FAKE_CLOSE) {
		(void)!write(c, "1002-a BGP --- up 1  x\n", 23);
		_exit(0);
	}
	/* In pieces, so the client has to reassemble lines. */
	(void)!write(c, REPLY_DOWN, 40);
	usleep(20000);
	(void)!write(c, REPLY_DOWN + 40, sizeof(REPLY_DOWN) - 1 - 40);
	sleep(5);	/* stays open: the client must stop at the final line */
	_exit(0);
}

static void fake_start(struct fake *f, enum fake_mode mode)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int lfd;

	strcpy(f->dir, "/tmp/twill-birdctl-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/bird.ctl", f->dir);
	strcpy(sa.sun_path, f->path);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 1), 0);
	f->pid = fork();
	assert_true(f->pid >= 0);
	if (f->pid == 0)
		fake_serve(lfd, mode);
	close(lfd);
}

static int fake_stop(struct fake *f)
{
	int status = 0;

	kill(f->pid, SIGTERM);
	waitpid(f->pid, &status, 0);
	unlink(f->path);
	rmdir(f->dir);
	return status;
}

static void test_command_roundtrip(void **state)
{
	struct fake f;
	struct bird_ctl_protos ps;
	char err[256], *reply = NULL;
	size_t len = 0;
	int rc, st;

	(void)state;
	fake_start(&f, FAKE_OK);
	rc = bird_ctl_command(f.path, "show protocols all", 5000, &reply, &len, err, sizeof(err));
	st = fake_stop(&f);
	if (rc != 0)
		fail_msg("command: %d %s", rc, err);
	/* The child was still serving (killed by us), not exited on a bad command. */
	assert_true(WIFSIGNALED(st));
	assert_int_equal(len, strlen(REPLY_DOWN));
	assert_string_equal(reply, REPLY_DOWN);	/* greeting dropped */
	assert_int_equal(bird_ctl_parse_protocols(reply, len, &ps, err, sizeof(err)), 0);
	assert_int_equal(ps.count, 1);
	assert_string_equal(ps.items[0].last_error, "Socket: Connection refused");
	bird_ctl_protos_free(&ps);
	free(reply);
}

static void expect_command_error(enum fake_mode mode, int want, const char *needle)
{
	struct fake f;
	char err[256], *reply = (char *)1;
	size_t len = 7;
	int rc;

	fake_start(&f, mode);
	rc = bird_ctl_command(f.path, "show protocols all", 200, &reply, &len, err, sizeof(err));
	fake_stop(&f);
	assert_int_equal(rc, want);
	assert_null(reply);
	assert_int_equal(len, 0);
	if (!strstr(err, needle))
		fail_msg("error '%s' does not contain '%s'", err, needle);
}

static void test_command_timeout(void **state)
{
	(void)state;
	expect_command_error(FAKE_SILENT, -ETIMEDOUT, "no complete reply");
}

static void test_command_not_bird(void **state)
{
	(void)state;
	expect_command_error(FAKE_NOT_BIRD, -EPROTO, "another protocol");
}

static void test_command_closed_midway(void **state)
{
	(void)state;
	expect_command_error(FAKE_CLOSE, -EPROTO, "closed the connection");
}

static void test_command_bad_arguments(void **state)
{
	char err[256], *reply, longpath[200];

	(void)state;
	assert_int_equal(bird_ctl_command("/nonexistent/twill/bird.ctl", "show status", 100,
					  &reply, NULL, err, sizeof(err)),
			 -ENOENT);
	assert_null(reply);
	assert_non_null(strstr(err, "/nonexistent/twill/bird.ctl"));
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	assert_int_equal(bird_ctl_command(longpath, "show status", 100, &reply, NULL, err,
					  sizeof(err)),
			 -ENAMETOOLONG);
	/* A second line would be a second command BIRD runs: refused. */
	assert_int_equal(bird_ctl_command("/nonexistent", "show status\ndown", 100, &reply, NULL,
					  err, sizeof(err)),
			 -EINVAL);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_parse_established_mesh),
	cmocka_unit_test(test_parse_down_session),
	cmocka_unit_test(test_parse_short_table),
	cmocka_unit_test(test_parse_routes_with_filtered),
	cmocka_unit_test(test_parse_foreign_description),
	cmocka_unit_test(test_parse_errors),
	cmocka_unit_test(test_parse_every_prefix),
	cmocka_unit_test(test_command_roundtrip),
	cmocka_unit_test(test_command_timeout),
	cmocka_unit_test(test_command_not_bird),
	cmocka_unit_test(test_command_closed_midway),
	cmocka_unit_test(test_command_bad_arguments),
};

TWILL_TEST_MAIN(tests)
