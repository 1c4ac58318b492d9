/* Unit tests for lib/netlink, run against the real kernel inside private
 * network namespaces: setup unshares twice, keeping the first namespace as
 * the "pod" side (fd) and staying in the second as the "host". Nothing is
 * ever created in the machine's own namespace, and both namespaces vanish
 * with the process. Skipped when namespaces cannot be created (not root). */
#include "twill_test.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include "netlink.h"

static int pod_fd = -1;
static struct nl_sock *host_sk, *pod_sk;
static const uint8_t ee[6] = { 0xee, 0xee, 0xee, 0xee, 0xee, 0xee };

static int setup(void **state)
{
	(void)state;
	if (unshare(CLONE_NEWNET) < 0)
		return 0; /* tests skip */
	pod_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (pod_fd < 0 || unshare(CLONE_NEWNET) < 0)
		return -1;
	if (netlink_open(&host_sk) < 0 || netlink_open_in_netns(pod_fd, &pod_sk) < 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	netlink_close(pod_sk);
	netlink_close(host_sk);
	pod_sk = host_sk = NULL;
	if (pod_fd >= 0)
		close(pod_fd);
	pod_fd = -1;
	return 0;
}

#define NEED_NETNS()                                                                           \
	do {                                                                                   \
		if (pod_fd < 0)                                                                \
			skip();                                                                \
	} while (0)

static ino_t own_netns(void)
{
	struct stat st;

	assert_int_equal(stat("/proc/self/ns/net", &st), 0);
	return st.st_ino;
}

static void make_pair(unsigned mtu)
{
	assert_int_equal(netlink_veth_create(host_sk, "twtest0", ee, "eth0", pod_fd, mtu), 0);
}

static void test_link_missing(void **state)
{
	struct netlink_link link;

	(void)state;
	NEED_NETNS();
	assert_int_equal(netlink_link_get(host_sk, "twnothere", &link), -ENODEV);
	assert_int_equal(netlink_link_delete(host_sk, "twnothere"), 0);
}

static void test_veth_peer_created_in_target_netns(void **state)
{
	struct netlink_link host, pod;
	ino_t before = own_netns();
	struct nl_sock *again = NULL;
	char mac[18];

	(void)state;
	NEED_NETNS();
	make_pair(1400);
	assert_int_equal(netlink_link_get(host_sk, "twtest0", &host), 0);
	assert_string_equal(host.kind, "veth");
	assert_int_equal(host.mtu, 1400);
	netlink_mac_format(host.mac, mac);
	assert_string_equal(mac, "ee:ee:ee:ee:ee:ee");
	/* the peer is not in the host namespace but in the pod's */
	assert_int_equal(netlink_link_get(host_sk, "eth0", &pod), -ENODEV);
	assert_int_equal(netlink_link_get(pod_sk, "eth0", &pod), 0);
	assert_int_equal(pod.mtu, 1400);
	assert_int_equal(pod.peer_ifindex, host.ifindex);
	/* opening a socket in another netns leaves the caller where it was */
	assert_int_equal(netlink_open_in_netns(pod_fd, &again), 0);
	assert_true(own_netns() == before);
	netlink_close(again);
	/* deleting one end removes both */
	assert_int_equal(netlink_link_delete(pod_sk, "eth0"), 0);
	assert_int_equal(netlink_link_get(host_sk, "twtest0", &host), -ENODEV);
}

static void test_veth_exists(void **state)
{
	(void)state;
	NEED_NETNS();
	make_pair(0);
	assert_int_equal(netlink_veth_create(host_sk, "twtest0", NULL, "eth1", pod_fd, 0), -EEXIST);
	assert_int_equal(netlink_veth_create(host_sk, "twtest1", NULL, "eth0", pod_fd, 0), -EEXIST);
}

static void test_pod_address_and_default_route(void **state)
{
	struct netlink_link pod;
	struct netlink_route r, found;
	struct cidr addr, list[8];
	size_t n = 0;

	(void)state;
	NEED_NETNS();
	make_pair(0);
	assert_int_equal(netlink_link_get(pod_sk, "eth0", &pod), 0);
	assert_int_equal(cidr_parse("10.9.0.5/32", &addr), 0);
	assert_int_equal(netlink_addr_add(pod_sk, pod.ifindex, &addr), 0);
	assert_int_equal(netlink_addr_add(pod_sk, pod.ifindex, &addr), -EEXIST);
	assert_int_equal(netlink_addr_list(pod_sk, pod.ifindex, AF_INET, list, 8, &n), 0);
	assert_int_equal(n, 1);
	assert_true(cidr_equal(&list[0], &addr));
	assert_int_equal(netlink_link_set_up(pod_sk, pod.ifindex), 0);
	memset(&r, 0, sizeof(r));
	r.dst.addr.family = AF_INET;
	assert_int_equal(ip_parse("169.254.1.1", &r.gw), 0);
	r.has_gw = r.onlink = true;
	r.ifindex = pod.ifindex;
	r.protocol = RTPROT_BOOT;
	assert_int_equal(netlink_route_replace(pod_sk, &r), 0);
	memset(&found, 0, sizeof(found));
	assert_int_equal(netlink_route_find(pod_sk, &r.dst, pod.ifindex, &found), 0);
	assert_true(found.has_gw && ip_equal(&found.gw, &r.gw));
	assert_true(found.onlink);
}

static void test_host_route_proto_replace_delete(void **state)
{
	struct netlink_link host;
	struct netlink_route r, found;

	(void)state;
	NEED_NETNS();
	make_pair(0);
	assert_int_equal(netlink_link_get(host_sk, "twtest0", &host), 0);
	assert_int_equal(netlink_link_set_up(host_sk, host.ifindex), 0);
	memset(&r, 0, sizeof(r));
	assert_int_equal(cidr_parse("10.9.0.5/32", &r.dst), 0);
	r.ifindex = host.ifindex;
	r.scope = RT_SCOPE_LINK;
	r.protocol = TWILL_ROUTE_PROTOCOL;
	assert_int_equal(netlink_route_replace(host_sk, &r), 0);
	assert_int_equal(netlink_route_replace(host_sk, &r), 0); /* replace is idempotent */
	memset(&found, 0, sizeof(found));
	assert_int_equal(netlink_route_find(host_sk, &r.dst, host.ifindex, &found), 0);
	assert_int_equal(found.protocol, TWILL_ROUTE_PROTOCOL);
	assert_int_equal(found.scope, RT_SCOPE_LINK);
	assert_false(found.has_gw);
	assert_int_equal(netlink_route_delete(host_sk, &r), 0);
	assert_int_equal(netlink_route_delete(host_sk, &r), 0); /* gone is fine */
	memset(&found, 0, sizeof(found));
	assert_int_equal(netlink_route_find(host_sk, &r.dst, 0, &found), -ENOENT);
}

static void test_ipv6_address(void **state)
{
	struct netlink_link pod;
	struct cidr addr, list[8];
	size_t n = 0, i, hits = 0;

	(void)state;
	NEED_NETNS();
	make_pair(0);
	assert_int_equal(netlink_link_get(pod_sk, "eth0", &pod), 0);
	assert_int_equal(cidr_parse("fd00:9::5/128", &addr), 0);
	assert_int_equal(netlink_addr_add(pod_sk, pod.ifindex, &addr), 0);
	assert_int_equal(netlink_addr_list(pod_sk, pod.ifindex, AF_INET6, list, 8, &n), 0);
	for (i = 0; i < n; i++)
		hits += cidr_equal(&list[i], &addr);
	assert_int_equal(hits, 1);
}

static void test_default_route_mtu(void **state)
{
	struct netlink_link up;
	struct netlink_route r;
	struct cidr addr;
	unsigned mtu = 0;
	int self;

	(void)state;
	NEED_NETNS();
	assert_int_equal(netlink_default_route_mtu(host_sk, AF_INET, &mtu), -ENOENT);
	/* an uplink pair entirely in the host namespace */
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	assert_true(self >= 0);
	assert_int_equal(netlink_veth_create(host_sk, "up0", NULL, "up1", self, 1300), 0);
	close(self);
	assert_int_equal(netlink_link_get(host_sk, "up0", &up), 0);
	assert_int_equal(cidr_parse("192.0.2.1/24", &addr), 0);
	assert_int_equal(netlink_addr_add(host_sk, up.ifindex, &addr), 0);
	assert_int_equal(netlink_link_set_up(host_sk, up.ifindex), 0);
	memset(&r, 0, sizeof(r));
	r.dst.addr.family = AF_INET;
	assert_int_equal(ip_parse("192.0.2.254", &r.gw), 0);
	r.has_gw = true;
	r.ifindex = up.ifindex;
	r.onlink = true;
	r.protocol = RTPROT_STATIC;
	assert_int_equal(netlink_route_replace(host_sk, &r), 0);
	assert_int_equal(netlink_default_route_mtu(host_sk, AF_INET, &mtu), 0);
	assert_int_equal(mtu, 1300);
}

static void test_sysctl(void **state)
{
	char buf[32];

	(void)state;
	NEED_NETNS();
	make_pair(0);
	assert_int_equal(netlink_sysctl_write("ipv4/conf/twtest0/proxy_arp", "1"), 0);
	assert_int_equal(netlink_sysctl_read("ipv4/conf/twtest0/proxy_arp", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "1");
	assert_int_equal(netlink_sysctl_write("ipv4/conf/twtest0/proxy_arp", "0"), 0);
	assert_int_equal(netlink_sysctl_read("ipv4/conf/twtest0/proxy_arp", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "0");
	assert_int_equal(netlink_sysctl_write("ipv4/conf/twnothere/proxy_arp", "1"), -ENOENT);
	assert_int_equal(netlink_sysctl_write("../kernel/hostname", "x"), -EINVAL);
	assert_int_equal(netlink_sysctl_write("/etc/passwd", "x"), -EINVAL);
}

static void test_mac_format(void **state)
{
	const uint8_t mac[6] = { 0x02, 0x0a, 0xff, 0x00, 0x10, 0xee };
	char buf[18];

	(void)state;
	netlink_mac_format(mac, buf);
	assert_string_equal(buf, "02:0a:ff:00:10:ee");
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test_setup_teardown(test_link_missing, setup, teardown),
	cmocka_unit_test_setup_teardown(test_veth_peer_created_in_target_netns, setup, teardown),
	cmocka_unit_test_setup_teardown(test_veth_exists, setup, teardown),
	cmocka_unit_test_setup_teardown(test_pod_address_and_default_route, setup, teardown),
	cmocka_unit_test_setup_teardown(test_host_route_proto_replace_delete, setup, teardown),
	cmocka_unit_test_setup_teardown(test_ipv6_address, setup, teardown),
	cmocka_unit_test_setup_teardown(test_default_route_mtu, setup, teardown),
	cmocka_unit_test_setup_teardown(test_sysctl, setup, teardown),
	cmocka_unit_test(test_mac_format),
};

TWILL_TEST_MAIN(tests)
