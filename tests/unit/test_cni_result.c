/* Unit tests for lib/cni_result: parsing results of every supported version
 * and writing them in every supported version (the conversions). */
#include "twill_test.h"

#include <errno.h>
#include <stdlib.h>

#include "cni_result.h"

static const char v031[] =
	"{\"cniVersion\":\"0.3.1\",\"interfaces\":[{\"name\":\"tw1\",\"mac\":\"ee:ee:ee:ee:ee:ee\"},"
	"{\"name\":\"eth0\",\"mac\":\"02:00:00:00:00:01\",\"sandbox\":\"/run/netns/p\"}],"
	"\"ips\":[{\"version\":\"4\",\"address\":\"10.1.0.5/24\",\"gateway\":\"10.1.0.1\","
	"\"interface\":1},{\"version\":\"6\",\"address\":\"fd00::5/64\",\"interface\":1}],"
	"\"routes\":[{\"dst\":\"0.0.0.0/0\",\"gw\":\"10.1.0.1\"},{\"dst\":\"::/0\"}],"
	"\"dns\":{\"nameservers\":[\"10.96.0.10\"],\"search\":[\"svc\"]}}";

static int parse(const char *text, struct cni_result *r, struct cni_error *err)
{
	cni_error_clear(err);
	return cni_result_parse_text(text, strlen(text), "ipam result", r, err);
}

static void expect_bad(const char *text, const char *needle)
{
	struct cni_result r;
	struct cni_error err;

	assert_int_equal(parse(text, &r, &err), -EINVAL);
	assert_true(err.code == CNI_ERR_DECODE || err.code == CNI_ERR_INCOMPATIBLE_VERSION);
	if (!strstr(err.msg, needle))
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, needle);
	assert_int_equal(r.n_ips, 0);
	assert_null(r.dns);
}

static char *to_text(const struct cni_result *r, const char *version)
{
	json_object *o = cni_result_to_json(r, version);
	char *text;

	assert_non_null(o);
	text = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return text;
}

static void test_result_parse_031(void **state)
{
	struct cni_result r;
	struct cni_error err;
	char buf[CIDR_STRLEN];

	(void)state;
	assert_int_equal(parse(v031, &r, &err), 0);
	assert_int_equal(r.n_interfaces, 2);
	assert_string_equal(r.interfaces[1].sandbox, "/run/netns/p");
	assert_null(r.interfaces[0].sandbox);
	assert_int_equal(r.n_ips, 2);
	cidr_format(&r.ips[0].address, buf, sizeof(buf));
	assert_string_equal(buf, "10.1.0.5/24");
	assert_true(r.ips[0].has_gateway);
	assert_int_equal(r.ips[0].interface, 1);
	assert_int_equal(r.ips[1].address.addr.family, AF_INET6);
	assert_false(r.ips[1].has_gateway);
	assert_int_equal(r.n_routes, 2);
	assert_false(r.routes[1].has_gw);
	assert_non_null(r.dns);
	cni_result_free(&r);
}

static void test_result_to_100_drops_version(void **state)
{
	struct cni_result r;
	struct cni_error err;
	char *text;

	(void)state;
	assert_int_equal(parse(v031, &r, &err), 0);
	text = to_text(&r, "1.0.0");
	assert_null(strstr(text, "\"version\""));
	assert_non_null(strstr(text, "\"cniVersion\":\"1.0.0\""));
	assert_non_null(strstr(text, "{\"address\":\"10.1.0.5/24\",\"gateway\":\"10.1.0.1\","
				     "\"interface\":1}"));
	assert_non_null(strstr(text, "\"sandbox\":\"/run/netns/p\""));
	assert_non_null(strstr(text, "\"search\":[\"svc\"]"));
	free(text);
	cni_result_free(&r);
}

static void test_result_to_031_adds_version(void **state)
{
	struct cni_result r;
	struct cni_error err;
	char *text;

	(void)state;
	assert_int_equal(parse("{\"cniVersion\":\"1.0.0\",\"ips\":[{\"address\":\"fd00::7/128\"},"
			       "{\"address\":\"10.0.0.7/32\"}]}", &r, &err), 0);
	assert_int_equal(r.ips[0].interface, -1);
	text = to_text(&r, "0.3.1");
	assert_non_null(strstr(text, "{\"version\":\"6\",\"address\":\"fd00::7/128\"}"));
	assert_non_null(strstr(text, "{\"version\":\"4\",\"address\":\"10.0.0.7/32\"}"));
	/* no interfaces and no routes: those keys are left out, dns is {} */
	assert_null(strstr(text, "interfaces"));
	assert_null(strstr(text, "routes"));
	assert_non_null(strstr(text, "\"dns\":{}"));
	free(text);
	text = to_text(&r, "0.4.0");
	assert_non_null(strstr(text, "\"version\":\"4\""));
	free(text);
	cni_result_free(&r);
}

static void test_result_mtu_only_in_110(void **state)
{
	struct cni_result r;
	char *text;

	(void)state;
	cni_result_init(&r);
	assert_int_equal(cni_result_add_interface(&r, "eth0", "02:00:00:00:00:02", "/n", 1450), 0);
	text = to_text(&r, "1.1.0");
	assert_non_null(strstr(text, "\"mtu\":1450"));
	free(text);
	text = to_text(&r, "1.0.0");
	assert_null(strstr(text, "mtu"));
	free(text);
	cni_result_free(&r);
}

static void test_result_round_trip_all_versions(void **state)
{
	static const char *const versions[] = { "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0" };
	struct cni_result r, back;
	struct cni_error err;
	size_t i;

	(void)state;
	assert_int_equal(parse(v031, &r, &err), 0);
	for (i = 0; i < 5; i++) {
		char *text = to_text(&r, versions[i]);

		assert_int_equal(parse(text, &back, &err), 0);
		assert_int_equal(back.n_interfaces, r.n_interfaces);
		assert_int_equal(back.n_ips, r.n_ips);
		assert_int_equal(back.n_routes, r.n_routes);
		assert_true(cidr_equal(&back.ips[1].address, &r.ips[1].address));
		assert_true(ip_equal(&back.routes[0].gw, &r.routes[0].gw));
		assert_int_equal(back.ips[0].interface, 1);
		cni_result_free(&back);
		free(text);
	}
	cni_result_free(&r);
}

static void test_result_bad_input(void **state)
{
	(void)state;
	expect_bad("nope", "not valid JSON");
	expect_bad("[]", "must be a JSON object");
	expect_bad("{\"ip4\":{\"ip\":\"10.0.0.1/24\"}}", "0.2.0-style");
	expect_bad("{\"ips\":[{\"address\":\"10.0.0.1\"}]}", "ips[0].address: not an IP prefix");
	expect_bad("{\"ips\":[{}]}", "ips[0].address: required");
	expect_bad("{\"ips\":[{\"address\":\"10.0.0.1/24\",\"version\":\"6\"}]}",
		   "ips[0].version");
	expect_bad("{\"ips\":[{\"address\":\"10.0.0.1/24\",\"gateway\":\"fd00::1\"}]}",
		   "ips[0].gateway");
	expect_bad("{\"ips\":[{\"address\":\"10.0.0.1/24\",\"interface\":0}]}",
		   "ips[0].interface: must index interfaces[] (have 0)");
	expect_bad("{\"routes\":{}}", "routes: must be an array");
	expect_bad("{\"routes\":[{\"gw\":\"1.2.3.4\"}]}", "routes[0].dst: required");
	expect_bad("{\"interfaces\":[{\"mac\":\"x\"}]}", "interfaces[0].name");
	expect_bad("{\"dns\":[]}", "dns: must be an object");
}

static void test_result_limits(void **state)
{
	struct cni_result r;
	struct cni_ip_list_text { char buf[4096]; } t;
	struct cidr c;
	size_t i, n = 0;

	(void)state;
	n += (size_t)sprintf(t.buf + n, "{\"ips\":[");
	for (i = 0; i < CNI_RESULT_MAX_IPS + 1; i++)
		n += (size_t)sprintf(t.buf + n, "%s{\"address\":\"10.0.0.%zu/32\"}", i ? "," : "",
				     i + 1);
	sprintf(t.buf + n, "]}");
	expect_bad(t.buf, "ips: more than 16 entries");
	cni_result_init(&r);
	assert_int_equal(cidr_parse("10.0.0.1/32", &c), 0);
	for (i = 0; i < CNI_RESULT_MAX_ROUTES; i++)
		assert_int_equal(cni_result_add_route(&r, &c, NULL), (int)i);
	assert_int_equal(cni_result_add_route(&r, &c, NULL), -ENOSPC);
	cni_result_free(&r);
}

static void test_result_builders(void **state)
{
	struct cni_result r;
	struct cidr addr, dst;
	struct ip_addr gw;
	char *text;

	(void)state;
	cni_result_init(&r);
	assert_int_equal(cni_result_add_interface(&r, "twabc", "ee:ee:ee:ee:ee:ee", NULL, 0), 0);
	assert_int_equal(cni_result_add_interface(&r, "eth0", "02:11:22:33:44:55", "/run/netns/p",
						  0), 1);
	assert_int_equal(cidr_parse("10.2.0.9/32", &addr), 0);
	assert_int_equal(cni_result_add_ip(&r, &addr, NULL, 1), 0);
	assert_int_equal(cidr_parse("0.0.0.0/0", &dst), 0);
	assert_int_equal(ip_parse("169.254.1.1", &gw), 0);
	assert_int_equal(cni_result_add_route(&r, &dst, &gw), 0);
	text = to_text(&r, "1.0.0");
	assert_string_equal(text,
		"{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"name\":\"twabc\",\"mac\":"
		"\"ee:ee:ee:ee:ee:ee\"},{\"name\":\"eth0\",\"mac\":\"02:11:22:33:44:55\","
		"\"sandbox\":\"/run/netns/p\"}],\"ips\":[{\"address\":\"10.2.0.9/32\","
		"\"interface\":1}],\"routes\":[{\"dst\":\"0.0.0.0/0\",\"gw\":\"169.254.1.1\"}],"
		"\"dns\":{}}");
	free(text);
	cni_result_free(&r);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_result_parse_031),
	cmocka_unit_test(test_result_to_100_drops_version),
	cmocka_unit_test(test_result_to_031_adds_version),
	cmocka_unit_test(test_result_mtu_only_in_110),
	cmocka_unit_test(test_result_round_trip_all_versions),
	cmocka_unit_test(test_result_bad_input),
	cmocka_unit_test(test_result_limits),
	cmocka_unit_test(test_result_builders),
};

TWILL_TEST_MAIN(tests)
