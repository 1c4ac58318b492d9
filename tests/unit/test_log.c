/* Unit tests for lib/log: line shape, level filtering, quoting. */
#include "twill_test.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "log.h"

/* Capture what log_write emits through a pipe. */
static void capture(char *out, size_t size, void (*emit)(void))
{
	int fds[2];
	ssize_t n;

	assert_int_equal(pipe(fds), 0);
	log_set_fd(fds[1]);
	emit();
	log_set_fd(STDERR_FILENO);
	close(fds[1]);
	n = read(fds[0], out, size - 1);
	close(fds[0]);
	out[n < 0 ? 0 : n] = '\0';
}

static void emit_info(void)
{
	log_init("unit");
	log_set_level(LOG_LEVEL_INFO);
	log_info("event=test pool=%s", "default");
}

static void test_line_shape(void **state)
{
	char buf[512];

	(void)state;
	capture(buf, sizeof(buf), emit_info);
	assert_true(strncmp(buf, "ts=", 3) == 0);
	assert_non_null(strstr(buf, " level=info comp=unit event=test pool=default\n"));
	assert_ptr_equal(strchr(buf, '\n'), buf + strlen(buf) - 1);
}

static void emit_debug_filtered(void)
{
	log_set_level(LOG_LEVEL_INFO);
	log_debug("event=hidden");
	log_warn("event=shown");
}

static void test_level_filter(void **state)
{
	char buf[512];

	(void)state;
	capture(buf, sizeof(buf), emit_debug_filtered);
	assert_null(strstr(buf, "hidden"));
	assert_non_null(strstr(buf, "level=warn"));
}

static void emit_newline(void)
{
	log_set_level(LOG_LEVEL_DEBUG);
	log_error("event=multi msg=%s", "a\nb");
}

static void test_newlines_folded(void **state)
{
	char buf[512];

	(void)state;
	capture(buf, sizeof(buf), emit_newline);
	assert_non_null(strstr(buf, "msg=a b\n"));
	assert_int_equal(strchr(buf, '\n') - buf, (long)strlen(buf) - 1);
}

static void emit_long(void)
{
	static char big[10000];

	memset(big, 'x', sizeof(big) - 1);
	log_set_level(LOG_LEVEL_INFO);
	log_info("big=%s", big);
}

static void test_long_line_truncated(void **state)
{
	static char buf[16384];

	(void)state;
	capture(buf, sizeof(buf), emit_long);
	assert_true(strlen(buf) <= 4096);
	assert_non_null(strstr(buf, "...\n"));
}

static void test_level_parse(void **state)
{
	enum log_level level;

	(void)state;
	assert_int_equal(log_level_parse("DEBUG", &level), 0);
	assert_int_equal(level, LOG_LEVEL_DEBUG);
	assert_int_equal(log_level_parse("warning", &level), 0);
	assert_int_equal(level, LOG_LEVEL_WARN);
	assert_int_equal(log_level_parse("loud", &level), -EINVAL);
	assert_int_equal(log_level_parse(NULL, &level), -EINVAL);
}

static void test_quote(void **state)
{
	char buf[16];

	(void)state;
	assert_string_equal(log_quote(buf, sizeof(buf), "plain"), "plain");
	assert_string_equal(log_quote(buf, sizeof(buf), "two words"), "\"two words\"");
	assert_string_equal(log_quote(buf, sizeof(buf), "a\"b"), "\"a\\\"b\"");
	assert_string_equal(log_quote(buf, sizeof(buf), ""), "\"\"");
	/* truncation keeps the closing quote and the terminator */
	assert_string_equal(log_quote(buf, 8, "a b c d e f"), "\"a b c\"");
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_line_shape),
	cmocka_unit_test(test_level_filter),
	cmocka_unit_test(test_newlines_folded),
	cmocka_unit_test(test_long_line_truncated),
	cmocka_unit_test(test_level_parse),
	cmocka_unit_test(test_quote),
};

TWILL_TEST_MAIN(tests)
