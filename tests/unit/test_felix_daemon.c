/* Unit tests for the pure parts of felix/felix_daemon (duration parsing for
 * routeRefreshInterval / TWILL_ROUTE_REFRESH_INTERVAL, option defaults) and
 * felix/vtep_alloc (MAC derivation, handle naming). */
#include "twill_test.h"

#include <errno.h>

#include "felix_daemon.h"
#include "vtep_alloc.h"

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

static void test_vtep_mac_deterministic(void **state)
{
	uint8_t a[6], b[6], c[6];

	(void)state;
	vtep_mac_for_node("node-1", a);
	vtep_mac_for_node("node-1", b);
	vtep_mac_for_node("node-2", c);
	assert_memory_equal(a, b, 6);
	assert_memory_not_equal(a, c, 6);
	assert_int_equal(a[0] & 0x02, 0x02); /* locally administered */
	assert_int_equal(a[0] & 0x01, 0);    /* unicast */
	assert_int_equal(c[0] & 0x03, 0x02);
}

static void test_vtep_handle_id(void **state)
{
	char buf[64], small[8];

	(void)state;
	assert_int_equal(vtep_handle_id("node-1", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "vxlan-tunnel-addr-node-1");
	assert_int_equal(vtep_handle_id("node-1", small, sizeof(small)), -ENAMETOOLONG);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_vtep_mac_deterministic),
	cmocka_unit_test(test_vtep_handle_id),
	cmocka_unit_test(test_durations),
	cmocka_unit_test(test_bad_durations),
	cmocka_unit_test(test_opts_defaults),
};

TWILL_TEST_MAIN(tests)
