/* Unit tests for the pure parts of felix/felix_daemon: duration parsing for
 * routeRefreshInterval / TWILL_ROUTE_REFRESH_INTERVAL and option defaults. */
#include "twill_test.h"

#include <errno.h>

#include "felix_daemon.h"

static void test_durations(void **state)
{
	int s = -1;

	(void)state;
	assert_int_equal(felix_parse_duration("90s", &s), 0);
	assert_int_equal(s, 90);
	assert_int_equal(felix_parse_duration("1m30s", &s), 0);
	assert_int_equal(s, 90);
	assert_int_equal(felix_parse_duration("2m", &s), 0);
	assert_int_equal(s, 120);
	assert_int_equal(felix_parse_duration("1h", &s), 0);
	assert_int_equal(s, 3600);
	assert_int_equal(felix_parse_duration("45", &s), 0);
	assert_int_equal(s, 45);
	assert_int_equal(felix_parse_duration("0s", &s), 0);
	assert_int_equal(s, 0);
}

static void test_bad_durations(void **state)
{
	int s = 7;

	(void)state;
	assert_int_equal(felix_parse_duration("", &s), -EINVAL);
	assert_int_equal(felix_parse_duration(NULL, &s), -EINVAL);
	assert_int_equal(felix_parse_duration("1m30", &s), -EINVAL);
	assert_int_equal(felix_parse_duration("-5s", &s), -EINVAL);
	assert_int_equal(felix_parse_duration("5x", &s), -EINVAL);
	assert_int_equal(felix_parse_duration("s", &s), -EINVAL);
	assert_int_equal(felix_parse_duration("9999999h", &s), -EINVAL);
	assert_int_equal(s, 7);
}

static void test_opts_defaults(void **state)
{
	struct felix_daemon_opts o;

	(void)state;
	felix_daemon_opts_init(&o);
	assert_int_equal(o.health_port, -1);
	assert_int_equal(o.metrics_port, -1);
	assert_true(o.throttle_ms > 0);
	assert_false(o.once);
	assert_null(o.node_name);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_durations),
	cmocka_unit_test(test_bad_durations),
	cmocka_unit_test(test_opts_defaults),
};

TWILL_TEST_MAIN(tests)
