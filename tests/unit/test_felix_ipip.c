/* Unit tests for felix/ipip_mgr on a fake dataplane (tunl0 creation and the
 * module's -EEXIST race, a foreign device left alone, MTU/up in place, the
 * tunnel address, no deletion before in-sync, IPv6 untouched, drift repair,
 * "not wanted" only removing addresses) and for ipip_alloc's reading of the
 * twill.dev/ipipTunnelAddr annotation. */
#include "twill_test.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "ipip_alloc.h"
#include "ipip_mgr.h"

#define MAX_FAKE 8

struct fake {
	bool exists;
	struct ipip_link_state link;
	struct cidr addrs[MAX_FAKE];
	size_t n_addrs;
	int creates, sets, addr_adds, addr_dels, gets;
	int create_error;     /* returned by link_create */
	bool create_appears;  /* with create_error: the module made it anyway */
	const char *create_kind;
};

static struct fake fk;

static int f_link_get(void *ctx, const char *name, struct ipip_link_state *out)
{
	(void)ctx;
	assert_string_equal(name, "tunl0");
	fk.gets++;
	if (!fk.exists)
		return -ENODEV;
	*out = fk.link;
	return 0;
}

static void appear(void)
{
	fk.exists = true;
	memset(&fk.link, 0, sizeof(fk.link));
	fk.link.ifindex = 7;
	snprintf(fk.link.kind, sizeof(fk.link.kind), "%s",
		 fk.create_kind ? fk.create_kind : "ipip");
	fk.link.mtu = 1480; /* the kernel's default for tunl0 */
}

static int f_link_create(void *ctx, const char *name)
{
	(void)ctx;
	assert_string_equal(name, "tunl0");
	assert_false(fk.exists);
	if (fk.create_error) {
		if (fk.create_appears)
			appear();
		return fk.create_error;
	}
	fk.creates++;
	appear();
	return 0;
}

static int f_link_set(void *ctx, int ifindex, unsigned mtu, bool up)
{
	(void)ctx;
	assert_true(fk.exists);
	assert_int_equal(ifindex, fk.link.ifindex);
	fk.sets++;
	if (mtu)
		fk.link.mtu = mtu;
	fk.link.up = up;
	return 0;
}

static int f_addr_list(void *ctx, int ifindex, struct cidr **out, size_t *n)
{
	(void)ctx;
	assert_int_equal(ifindex, fk.link.ifindex);
	*out = calloc(fk.n_addrs + 1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	memcpy(*out, fk.addrs, fk.n_addrs * sizeof(**out));
	*n = fk.n_addrs;
	return 0;
}

static int f_addr_add(void *ctx, int ifindex, const struct cidr *a)
{
	(void)ctx;
	assert_int_equal(ifindex, fk.link.ifindex);
	assert_true(fk.n_addrs < MAX_FAKE);
	fk.addrs[fk.n_addrs++] = *a;
	fk.addr_adds++;
	return 0;
}

static int f_addr_del(void *ctx, int ifindex, const struct cidr *a)
{
	size_t i;

	(void)ctx;
	assert_int_equal(ifindex, fk.link.ifindex);
	for (i = 0; i < fk.n_addrs; i++)
		if (cidr_equal(&fk.addrs[i], a)) {
			fk.addrs[i] = fk.addrs[--fk.n_addrs];
			fk.addr_dels++;
			return 0;
		}
	return -EADDRNOTAVAIL;
}

static const struct ipip_dataplane fake_dp = {f_link_get, f_link_create, f_link_set,
					      f_addr_list, f_addr_add, f_addr_del, NULL};

static struct ipip_mgr *new_mgr(bool in_sync)
{
	struct ipip_mgr *m = NULL;

	memset(&fk, 0, sizeof(fk));
	assert_int_equal(ipip_mgr_new(&fake_dp, "tunl0", &m), 0);
	ipip_mgr_set_in_sync(m, in_sync);
	return m;
}

static struct ipip_device_spec spec_of(const char *addr, unsigned mtu)
{
	struct ipip_device_spec s;

	memset(&s, 0, sizeof(s));
	s.mtu = mtu;
	if (addr) {
		s.has_tunnel_addr = true;
		assert_int_equal(ip_parse(addr, &s.tunnel_addr), 0);
	}
	return s;
}

static struct cidr cidr_of(const char *text)
{
	struct cidr c;

	assert_int_equal(cidr_parse(text, &c), 0);
	return c;
}

static bool has_addr(const char *text)
{
	struct cidr c = cidr_of(text);
	size_t i;

	for (i = 0; i < fk.n_addrs; i++)
		if (cidr_equal(&fk.addrs[i], &c))
			return true;
	return false;
}

static void test_creates_configures_and_is_idempotent(void **state)
{
	struct ipip_mgr *m = new_mgr(true);
	struct ipip_device_spec s = spec_of("10.244.3.1", 1480 - 30);
	struct ipip_apply_stats st;

	(void)state;
	assert_int_equal(ipip_mgr_set_desired(m, &s), 0);
	assert_int_equal(ipip_mgr_apply(m, &st), 0);
	assert_true(st.created);
	assert_true(st.changed);
	assert_int_equal(fk.creates, 1);
	assert_true(fk.link.up);
	assert_int_equal(fk.link.mtu, 1450);
	assert_int_equal(fk.n_addrs, 1);
	assert_true(has_addr("10.244.3.1/32"));
	assert_int_equal(st.addr_added, 1);

	/* Nothing changed: nothing written. */
	assert_int_equal(ipip_mgr_apply(m, &st), 0);
	assert_false(st.created);
	assert_false(st.changed);
	assert_int_equal(st.addr_added + st.addr_deleted, 0);
	assert_int_equal(fk.creates + fk.sets + fk.addr_adds, 1 + 1 + 1);
	ipip_mgr_free(m);
}

static void test_module_tunl0_wins_the_race(void **state)
{
	struct ipip_mgr *m = new_mgr(true);
	struct ipip_device_spec s = spec_of("10.244.3.1", 0);
	struct ipip_apply_stats st;

	(void)state;
	fk.create_error = -EEXIST;
	fk.create_appears = true;
	assert_int_equal(ipip_mgr_set_desired(m, &s), 0);
	assert_int_equal(ipip_mgr_apply(m, &st), 0);
	assert_false(st.created);
	assert_true(fk.link.up);
	assert_int_equal(fk.link.mtu, 1480); /* mtu 0: the kernel's kept */
	assert_true(has_addr("10.244.3.1/32"));
	ipip_mgr_free(m);
}

static void test_no_ipip_in_kernel_is_reported(void **state)
{
	struct ipip_mgr *m = new_mgr(true);
	struct ipip_device_spec s = spec_of("10.244.3.1", 1450);

	(void)state;
	fk.create_error = -EOPNOTSUPP;
	assert_int_equal(ipip_mgr_set_desired(m, &s), 0);
	assert_int_equal(ipip_mgr_apply(m, NULL), -EOPNOTSUPP);
	assert_false(fk.exists);
	assert_int_equal(fk.sets + fk.addr_adds, 0);
	ipip_mgr_free(m);
}

static void test_foreign_device_left_alone(void **state)
{
	struct ipip_mgr *m = new_mgr(true);
	struct ipip_device_spec s = spec_of("10.244.3.1", 1450);

	(void)state;
	fk.create_kind = "gre";
	appear();
	fk.addrs[fk.n_addrs++] = cidr_of("192.0.2.1/24");
	assert_int_equal(ipip_mgr_set_desired(m, &s), 0);
	assert_int_equal(ipip_mgr_apply(m, NULL), -EEXIST);
	assert_int_equal(fk.sets + fk.addr_adds + fk.addr_dels, 0);
	/* Not wanted either: still not touched. */
	assert_int_equal(ipip_mgr_set_desired(m, NULL), 0);
	assert_int_equal(ipip_mgr_apply(m, NULL), 0);
	assert_int_equal(fk.addr_dels, 0);
	ipip_mgr_free(m);
}

static void test_stray_addresses_removed_only_in_sync(void **state)
{
	struct ipip_mgr *m = new_mgr(false);
	struct ipip_device_spec s = spec_of("10.244.3.1", 1450);
	struct ipip_apply_stats st;

	(void)state;
	appear();
	fk.link.up = true;
	fk.link.mtu = 1450;
	fk.addrs[fk.n_addrs++] = cidr_of("10.244.9.9/32");
	fk.addrs[fk.n_addrs++] = cidr_of("fe80::1/64");
	assert_int_equal(ipip_mgr_set_desired(m, &s), 0);
	assert_int_equal(ipip_mgr_apply(m, &st), 0);
	assert_int_equal(st.deferred, 1);
	assert_true(has_addr("10.244.9.9/32"));
	assert_true(has_addr("10.244.3.1/32"));
	assert_int_equal(fk.sets, 0);

	ipip_mgr_set_in_sync(m, true);
	assert_int_equal(ipip_mgr_apply(m, &st), 0);
	assert_int_equal(st.addr_deleted, 1);
	assert_false(has_addr("10.244.9.9/32"));
	assert_true(has_addr("10.244.3.1/32"));
	assert_true(has_addr("fe80::1/64")); /* not IPv4: not ours */
	ipip_mgr_free(m);
}

static void test_drift_repaired(void **state)
{
	struct ipip_mgr *m = new_mgr(true);
	struct ipip_device_spec s = spec_of("10.244.3.1", 1450);
	struct ipip_apply_stats st;

	(void)state;
	assert_int_equal(ipip_mgr_set_desired(m, &s), 0);
	assert_int_equal(ipip_mgr_apply(m, NULL), 0);
	fk.link.up = false;   /* ip link set tunl0 down */
	fk.link.mtu = 1480;   /* ip link set tunl0 mtu 1480 */
	fk.n_addrs = 0;       /* ip addr flush dev tunl0 */
	assert_int_equal(ipip_mgr_apply(m, &st), 0);
	assert_true(st.changed);
	assert_true(fk.link.up);
	assert_int_equal(fk.link.mtu, 1450);
	assert_true(has_addr("10.244.3.1/32"));
	assert_int_equal(fk.creates, 1);
	ipip_mgr_free(m);
}

static void test_address_change_and_unwanted(void **state)
{
	struct ipip_mgr *m = new_mgr(true);
	struct ipip_device_spec s = spec_of("10.244.3.1", 1450);

	(void)state;
	assert_int_equal(ipip_mgr_set_desired(m, &s), 0);
	assert_int_equal(ipip_mgr_apply(m, NULL), 0);
	s = spec_of("10.244.3.2", 1450);
	assert_int_equal(ipip_mgr_set_desired(m, &s), 0);
	assert_int_equal(ipip_mgr_apply(m, NULL), 0);
	assert_int_equal(fk.n_addrs, 1);
	assert_true(has_addr("10.244.3.2/32"));

	/* No pool uses IPIP any more: the address goes, the device stays. */
	assert_int_equal(ipip_mgr_set_desired(m, NULL), 0);
	assert_int_equal(ipip_mgr_apply(m, NULL), 0);
	assert_int_equal(fk.n_addrs, 0);
	assert_true(fk.exists);
	ipip_mgr_free(m);
}

static void test_unwanted_and_absent_creates_nothing(void **state)
{
	struct ipip_mgr *m = new_mgr(true);

	(void)state;
	assert_int_equal(ipip_mgr_set_desired(m, NULL), 0);
	assert_int_equal(ipip_mgr_apply(m, NULL), 0);
	assert_false(fk.exists);
	assert_int_equal(fk.creates, 0);
	ipip_mgr_free(m);
}

static void test_bad_arguments(void **state)
{
	struct ipip_mgr *m = NULL;
	struct ipip_dataplane dp = fake_dp;
	struct ipip_device_spec s = spec_of(NULL, 0);

	(void)state;
	assert_int_equal(ipip_mgr_new(&fake_dp, "", &m), -EINVAL);
	assert_int_equal(ipip_mgr_new(&fake_dp, "a-name-that-is-too-long", &m), -EINVAL);
	dp.addr_del = NULL;
	assert_int_equal(ipip_mgr_new(&dp, "tunl0", &m), -EINVAL);
	assert_null(m);
	m = new_mgr(true);
	s.has_tunnel_addr = true;
	assert_int_equal(ip_parse("fd00::1", &s.tunnel_addr), 0);
	assert_int_equal(ipip_mgr_set_desired(m, &s), -EINVAL);
	assert_int_equal(ipip_mgr_apply(NULL, NULL), -EINVAL);
	ipip_mgr_free(m);
}

static void test_self_tunnel_addr_from_nodes(void **state)
{
	json_object *nodes = json_tokener_parse(
		"[{\"metadata\":{\"name\":\"n1\",\"annotations\":"
		"{\"twill.dev/ipipTunnelAddr\":\"10.244.1.1\"}}},"
		" {\"metadata\":{\"name\":\"n2\"}},"
		" {\"metadata\":{\"name\":\"n3\",\"annotations\":"
		"{\"twill.dev/ipipTunnelAddr\":\"not-an-ip\"}}},"
		" {\"metadata\":{\"name\":\"n4\",\"annotations\":"
		"{\"twill.dev/ipipTunnelAddr\":\"fd00::1\"}}},"
		" {\"spec\":{}}]");
	struct ip_addr ip, want;
	char handle[64];

	(void)state;
	assert_non_null(nodes);
	assert_int_equal(ipip_self_tunnel_addr(nodes, "n1", &ip), 1);
	assert_int_equal(ip_parse("10.244.1.1", &want), 0);
	assert_true(ip_equal(&ip, &want));
	assert_int_equal(ipip_self_tunnel_addr(nodes, "n2", &ip), 0);
	assert_int_equal(ipip_self_tunnel_addr(nodes, "n3", &ip), 0);
	assert_int_equal(ipip_self_tunnel_addr(nodes, "n4", &ip), 0);
	assert_int_equal(ipip_self_tunnel_addr(nodes, "n9", &ip), -ENOENT);
	assert_int_equal(ipip_self_tunnel_addr(NULL, "n1", &ip), -ENOENT);
	assert_int_equal(ipip_self_tunnel_addr(nodes, NULL, &ip), -EINVAL);
	json_object_put(nodes);

	assert_int_equal(ipip_handle_id("n1", handle, sizeof(handle)), 0);
	assert_string_equal(handle, "ipip-tunnel-addr-n1");
	assert_int_equal(ipip_handle_id("n1", handle, 10), -ENAMETOOLONG);
}


static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_creates_configures_and_is_idempotent),
	cmocka_unit_test(test_module_tunl0_wins_the_race),
	cmocka_unit_test(test_no_ipip_in_kernel_is_reported),
	cmocka_unit_test(test_foreign_device_left_alone),
	cmocka_unit_test(test_stray_addresses_removed_only_in_sync),
	cmocka_unit_test(test_drift_repaired),
	cmocka_unit_test(test_address_change_and_unwanted),
	cmocka_unit_test(test_unwanted_and_absent_creates_nothing),
	cmocka_unit_test(test_bad_arguments),
	cmocka_unit_test(test_self_tunnel_addr_from_nodes),
};

TWILL_TEST_MAIN(tests)
