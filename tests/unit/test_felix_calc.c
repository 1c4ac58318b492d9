/* Unit tests for felix/calc: the encapsulation decision in every pool mode,
 * BGP on/off, same/different subnet, IPv6, missing node data, borrowed
 * addresses, precedence, disabled pools, VTEPs, NAT pools and MTU. */
#include "twill_test.h"

#include <errno.h>
#include <stdlib.h>

#include "calc.h"
#include "cni_names.h"

/* Three nodes: "a" (this one) and "b" in 10.0.0.0/24, "c" in 10.0.1.0/24. */
static struct calc_node nodes[3];
static struct calc_pool pool;
static struct calc_block blocks[4];
static struct calc_input in;
static struct calc_output out;

static struct cidr C(const char *text)
{
	struct cidr c;

	assert_int_equal(cidr_parse(text, &c), 0);
	return c;
}

static struct ip_addr IP(const char *text)
{
	struct ip_addr ip;

	assert_int_equal(ip_parse(text, &ip), 0);
	return ip;
}

static void set_node(struct calc_node *n, const char *name, const char *addr, const char *vtep,
		     uint8_t mac_last)
{
	memset(n, 0, sizeof(*n));
	n->name = name;
	if (addr) {
		n->has_ipv4 = true;
		n->ipv4 = C(addr);
	}
	if (vtep) {
		uint8_t mac[6] = {0x66, 0x00, 0x00, 0x00, 0x00, mac_last};

		n->has_vtep = true;
		memcpy(n->vtep_mac, mac, 6);
		n->vtep_addr = IP(vtep);
	}
}

static int setup(void **state)
{
	(void)state;
	memset(&in, 0, sizeof(in));
	memset(&out, 0, sizeof(out));
	memset(blocks, 0, sizeof(blocks));
	set_node(&nodes[0], "a", "10.0.0.1/24", "10.244.0.0", 1);
	set_node(&nodes[1], "b", "10.0.0.2/24", "10.244.1.0", 2);
	set_node(&nodes[2], "c", "10.0.1.3/24", "10.244.2.0", 3);
	memset(&pool, 0, sizeof(pool));
	pool.net = C("10.244.0.0/16");
	blocks[0].cidr = C("10.244.0.0/26");
	blocks[0].affinity_node = "a";
	blocks[1].cidr = C("10.244.1.0/26");
	blocks[1].affinity_node = "b";
	blocks[2].cidr = C("10.244.2.0/26");
	blocks[2].affinity_node = "c";
	in.this_node = "a";
	in.nodes = nodes;
	in.node_count = 3;
	in.pools = &pool;
	in.pool_count = 1;
	in.blocks = blocks;
	in.block_count = 3;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	calc_output_free(&out);
	return 0;
}

static const struct calc_route *route(const char *dst)
{
	struct cidr c = C(dst);

	return calc_output_find(&out, &c);
}

static void assert_kind(const char *dst, enum calc_route_kind kind)
{
	const struct calc_route *r = route(dst);

	assert_non_null(r);
	assert_string_equal(calc_route_kind_name(r->kind), calc_route_kind_name(kind));
}

static void assert_gw(const char *dst, const char *gw)
{
	const struct calc_route *r = route(dst);
	struct ip_addr want = IP(gw);

	assert_non_null(r);
	assert_true(r->has_gw);
	assert_true(ip_equal(&r->gw, &want));
}

static void compute(void)
{
	calc_output_free(&out);
	assert_int_equal(calc_compute(&in, &out), 0);
}

static void test_bgp_never_leaves_remote_to_bird(void **state)
{
	(void)state;
	compute();
	assert_int_equal(out.route_count, 3);
	assert_kind("10.244.0.0/26", CALC_ROUTE_BLACKHOLE);
	assert_kind("10.244.1.0/26", CALC_ROUTE_NONE);
	assert_string_equal(route("10.244.1.0/26")->reason, "bgp");
	assert_string_equal(route("10.244.1.0/26")->node, "b");
	assert_kind("10.244.2.0/26", CALC_ROUTE_NONE);
}

static void test_host_gw_same_subnet_direct(void **state)
{
	(void)state;
	in.program_cluster_routes = true;
	compute();
	assert_kind("10.244.1.0/26", CALC_ROUTE_DIRECT);
	assert_gw("10.244.1.0/26", "10.0.0.2");
	assert_string_equal(route("10.244.1.0/26")->ifname, "");
	assert_false(route("10.244.1.0/26")->onlink);
}

static void test_host_gw_other_subnet_unreachable(void **state)
{
	(void)state;
	in.program_cluster_routes = true;
	compute();
	assert_kind("10.244.2.0/26", CALC_ROUTE_NONE);
	assert_string_equal(route("10.244.2.0/26")->reason, "not-on-link");
}

static void test_vxlan_always(void **state)
{
	const struct calc_route *r;

	(void)state;
	pool.vxlan_mode = IPPOOL_MODE_ALWAYS;
	compute();
	assert_kind("10.244.1.0/26", CALC_ROUTE_VXLAN);
	assert_kind("10.244.2.0/26", CALC_ROUTE_VXLAN);
	r = route("10.244.2.0/26");
	assert_string_equal(r->ifname, "vxlan.twill");
	assert_true(r->onlink);
	assert_gw("10.244.2.0/26", "10.244.2.0");
}

static void test_vxlan_cross_subnet_bgp(void **state)
{
	(void)state;
	pool.vxlan_mode = IPPOOL_MODE_CROSS_SUBNET;
	compute();
	assert_kind("10.244.1.0/26", CALC_ROUTE_NONE); /* same subnet: BIRD */
	assert_string_equal(route("10.244.1.0/26")->reason, "bgp");
	assert_kind("10.244.2.0/26", CALC_ROUTE_VXLAN);
}

static void test_vxlan_cross_subnet_no_bgp(void **state)
{
	(void)state;
	pool.vxlan_mode = IPPOOL_MODE_CROSS_SUBNET;
	in.program_cluster_routes = true;
	compute();
	assert_kind("10.244.1.0/26", CALC_ROUTE_DIRECT);
	assert_gw("10.244.1.0/26", "10.0.0.2");
	assert_kind("10.244.2.0/26", CALC_ROUTE_VXLAN);
}

static void test_ipip_always(void **state)
{
	const struct calc_route *r;

	(void)state;
	pool.ipip_mode = IPPOOL_MODE_ALWAYS;
	compute();
	assert_kind("10.244.1.0/26", CALC_ROUTE_IPIP);
	r = route("10.244.2.0/26");
	assert_string_equal(calc_route_kind_name(r->kind), "ipip");
	assert_string_equal(r->ifname, "tunl0");
	assert_true(r->onlink);
	assert_gw("10.244.2.0/26", "10.0.1.3");
}

static void test_ipip_cross_subnet(void **state)
{
	(void)state;
	pool.ipip_mode = IPPOOL_MODE_CROSS_SUBNET;
	compute();
	assert_kind("10.244.1.0/26", CALC_ROUTE_NONE);
	assert_kind("10.244.2.0/26", CALC_ROUTE_IPIP);
	in.program_cluster_routes = true;
	compute();
	assert_kind("10.244.1.0/26", CALC_ROUTE_DIRECT);
	assert_kind("10.244.2.0/26", CALC_ROUTE_IPIP);
}

static void test_vxlan_wins_over_ipip(void **state)
{
	(void)state;
	pool.ipip_mode = IPPOOL_MODE_ALWAYS;
	pool.vxlan_mode = IPPOOL_MODE_ALWAYS;
	compute();
	assert_kind("10.244.1.0/26", CALC_ROUTE_VXLAN);
}

static void test_vxlan_without_vtep_is_none(void **state)
{
	(void)state;
	pool.vxlan_mode = IPPOOL_MODE_ALWAYS;
	nodes[2].has_vtep = false;
	compute();
	assert_kind("10.244.2.0/26", CALC_ROUTE_NONE);
	assert_string_equal(route("10.244.2.0/26")->reason, "node-has-no-vtep");
	assert_int_equal(out.vtep_count, 1); /* only b */
}

static void test_node_without_address(void **state)
{
	(void)state;
	pool.ipip_mode = IPPOOL_MODE_ALWAYS;
	nodes[1].has_ipv4 = false;
	compute();
	assert_kind("10.244.1.0/26", CALC_ROUTE_NONE);
	assert_string_equal(route("10.244.1.0/26")->reason, "node-has-no-address");
	assert_kind("10.244.2.0/26", CALC_ROUTE_IPIP);
}

static void test_this_node_without_address_cross_subnet(void **state)
{
	(void)state;
	pool.vxlan_mode = IPPOOL_MODE_CROSS_SUBNET;
	nodes[0].has_ipv4 = false;
	compute();
	assert_kind("10.244.1.0/26", CALC_ROUTE_NONE);
	assert_string_equal(route("10.244.1.0/26")->reason, "local-address-unknown");
	/* Always does not need to know our subnet. */
	pool.vxlan_mode = IPPOOL_MODE_ALWAYS;
	compute();
	assert_kind("10.244.1.0/26", CALC_ROUTE_VXLAN);
}

static void test_unknown_owner_node(void **state)
{
	(void)state;
	blocks[1].affinity_node = "gone";
	in.program_cluster_routes = true;
	compute();
	assert_kind("10.244.1.0/26", CALC_ROUTE_NONE);
	assert_string_equal(route("10.244.1.0/26")->reason, "node-unknown");
}

static void test_block_outside_pools_is_never(void **state)
{
	(void)state;
	pool.vxlan_mode = IPPOOL_MODE_ALWAYS;
	blocks[1].cidr = C("192.168.7.0/26");
	in.program_cluster_routes = true;
	compute();
	assert_kind("192.168.7.0/26", CALC_ROUTE_DIRECT);
	assert_kind("10.244.2.0/26", CALC_ROUTE_VXLAN);
}

static void test_disabled_pool_keeps_routes(void **state)
{
	(void)state;
	pool.vxlan_mode = IPPOOL_MODE_ALWAYS;
	pool.disabled = true;
	pool.nat_outgoing = true;
	compute();
	assert_kind("10.244.0.0/26", CALC_ROUTE_BLACKHOLE);
	assert_kind("10.244.1.0/26", CALC_ROUTE_VXLAN);
	assert_int_equal(out.nat_pool_count, 1);
}

static void test_endpoint_routes_and_veth_name(void **state)
{
	struct ip_addr ips[2];
	struct calc_endpoint ep = {"default", "web-0", ips, 2};
	char veth[16];
	const struct calc_route *r;

	(void)state;
	ips[0] = IP("10.244.0.5");
	ips[1] = IP("fd00:10::5");
	in.endpoints = &ep;
	in.endpoint_count = 1;
	compute();
	assert_int_equal(cni_host_veth_name("default", "web-0", NULL, veth), 0);
	r = route("10.244.0.5/32");
	assert_non_null(r);
	assert_int_equal(r->kind, CALC_ROUTE_ENDPOINT);
	assert_string_equal(r->ifname, veth);
	assert_int_equal(strncmp(r->ifname, "tw", 2), 0);
	assert_int_equal(strlen(r->ifname), 13);
	r = route("fd00:10::5/128");
	assert_non_null(r);
	assert_string_equal(r->ifname, veth);
	assert_kind("10.244.0.0/26", CALC_ROUTE_BLACKHOLE);
}

static void test_endpoint_without_name_skipped(void **state)
{
	struct ip_addr ip = IP("10.244.0.9");
	struct calc_endpoint ep = {NULL, "x", &ip, 1};

	(void)state;
	in.endpoints = &ep;
	in.endpoint_count = 1;
	compute();
	assert_null(route("10.244.0.9/32"));
}

static void test_borrowed_local_pod_endpoint_wins(void **state)
{
	/* b's block holds a pod running here: the /32 endpoint route beside
	 * b's block route. */
	struct ip_addr ip = IP("10.244.1.7");
	struct calc_endpoint ep = {"ns", "borrower", &ip, 1};
	struct calc_borrowed bw = {IP("10.244.1.7"), "a"};

	(void)state;
	pool.vxlan_mode = IPPOOL_MODE_ALWAYS;
	blocks[1].borrowed = &bw;
	blocks[1].borrowed_count = 1;
	in.endpoints = &ep;
	in.endpoint_count = 1;
	compute();
	assert_kind("10.244.1.7/32", CALC_ROUTE_ENDPOINT);
	assert_kind("10.244.1.0/26", CALC_ROUTE_VXLAN);
	assert_int_equal(out.route_count, 4);
}

static void test_borrowed_by_remote_node(void **state)
{
	/* Our block lends an address to c: /32 towards c, blackhole stays. */
	struct calc_borrowed bw[2] = {{IP("10.244.0.9"), "c"}, {IP("10.244.0.10"), "a"}};

	(void)state;
	pool.vxlan_mode = IPPOOL_MODE_CROSS_SUBNET;
	blocks[0].borrowed = bw;
	blocks[0].borrowed_count = 2;
	compute();
	assert_kind("10.244.0.0/26", CALC_ROUTE_BLACKHOLE);
	assert_kind("10.244.0.9/32", CALC_ROUTE_VXLAN);
	assert_string_equal(route("10.244.0.9/32")->node, "c");
	assert_null(route("10.244.0.10/32")); /* ours: endpoint route's job */
}

static void test_endpoint_beats_remote_same_dst(void **state)
{
	/* Stale data: b's block says the address is lent to c, but the pod
	 * runs here. The local endpoint route must win. */
	struct ip_addr ip = IP("10.244.1.9");
	struct calc_endpoint ep = {"ns", "p", &ip, 1};
	struct calc_borrowed bw = {IP("10.244.1.9"), "c"};

	(void)state;
	pool.ipip_mode = IPPOOL_MODE_ALWAYS;
	blocks[1].borrowed = &bw;
	blocks[1].borrowed_count = 1;
	in.endpoints = &ep;
	in.endpoint_count = 1;
	compute();
	assert_kind("10.244.1.9/32", CALC_ROUTE_ENDPOINT);
}

static void test_unowned_block_only_borrowed(void **state)
{
	struct calc_borrowed bw = {IP("10.244.3.4"), "b"};

	(void)state;
	in.program_cluster_routes = true;
	blocks[3].cidr = C("10.244.3.0/26");
	blocks[3].affinity_node = NULL;
	blocks[3].borrowed = &bw;
	blocks[3].borrowed_count = 1;
	in.block_count = 4;
	compute();
	assert_null(route("10.244.3.0/26"));
	assert_kind("10.244.3.4/32", CALC_ROUTE_DIRECT);
	assert_gw("10.244.3.4/32", "10.0.0.2");
}

static void test_ipv6_blocks(void **state)
{
	struct calc_pool pools[2];

	(void)state;
	pools[0] = pool;
	memset(&pools[1], 0, sizeof(pools[1]));
	pools[1].net = C("fd00:10::/48");
	pools[1].vxlan_mode = IPPOOL_MODE_ALWAYS; /* ignored for IPv6 */
	nodes[0].has_ipv6 = true;
	nodes[0].ipv6 = C("fd00:1::1/64");
	nodes[1].has_ipv6 = true;
	nodes[1].ipv6 = C("fd00:1::2/64");
	blocks[0].cidr = C("fd00:10::/122");
	blocks[1].cidr = C("fd00:10::40/122");
	blocks[2].cidr = C("fd00:10::80/122");
	in.pools = pools;
	in.pool_count = 2;
	in.program_cluster_routes = true;
	compute();
	assert_kind("fd00:10::/122", CALC_ROUTE_BLACKHOLE);
	assert_kind("fd00:10::40/122", CALC_ROUTE_DIRECT);
	assert_gw("fd00:10::40/122", "fd00:1::2");
	assert_kind("fd00:10::80/122", CALC_ROUTE_NONE); /* c has no IPv6 */
	assert_string_equal(route("fd00:10::80/122")->reason, "node-has-no-address");
}

static void test_output_sorted_and_unique(void **state)
{
	size_t i;

	(void)state;
	blocks[3] = blocks[1]; /* the same block listed twice */
	in.block_count = 4;
	compute();
	assert_int_equal(out.route_count, 3);
	for (i = 1; i < out.route_count; i++)
		assert_true(calc_route_compare(&out.routes[i - 1], &out.routes[i]) < 0);
}

static void test_vteps(void **state)
{
	uint8_t mac_c[6] = {0x66, 0, 0, 0, 0, 3};
	struct ip_addr ip_c = IP("10.0.1.3");

	(void)state;
	compute();
	assert_int_equal(out.vtep_count, 2); /* never our own */
	assert_string_equal(out.vteps[0].node, "b");
	assert_string_equal(out.vteps[1].node, "c");
	assert_memory_equal(out.vteps[1].mac, mac_c, 6);
	assert_true(ip_equal(&out.vteps[1].node_ip, &ip_c));
}

static void test_nat_pools(void **state)
{
	struct calc_pool pools[2];
	struct cidr want = C("10.245.0.0/16");

	(void)state;
	pools[0] = pool;
	memset(&pools[1], 0, sizeof(pools[1]));
	pools[1].net = C("10.245.0.0/16");
	pools[1].nat_outgoing = true;
	in.pools = pools;
	in.pool_count = 2;
	compute();
	assert_int_equal(out.all_pool_count, 2);
	assert_int_equal(out.nat_pool_count, 1);
	assert_true(cidr_equal(&out.nat_pools[0], &want));
}

static void test_bad_input(void **state)
{
	(void)state;
	assert_int_equal(calc_compute(NULL, &out), -EINVAL);
	in.this_node = NULL;
	assert_int_equal(calc_compute(&in, &out), -EINVAL);
	assert_int_equal(out.route_count, 0);
	assert_null(out.routes);
}

static void test_empty_input(void **state)
{
	(void)state;
	in.node_count = 0;
	in.pool_count = 0;
	in.block_count = 0;
	compute();
	assert_int_equal(out.route_count, 0);
	assert_int_equal(out.vtep_count, 0);
}

static void test_pod_mtu(void **state)
{
	(void)state;
	assert_int_equal(calc_pod_mtu(1500, CALC_ENCAP_VXLAN), 1450);
	assert_int_equal(calc_pod_mtu(1500, CALC_ENCAP_IPIP), 1480);
	assert_int_equal(calc_pod_mtu(9000, CALC_ENCAP_NONE), 9000);
	assert_int_equal(calc_pod_mtu(600, CALC_ENCAP_VXLAN), 0);
	assert_int_equal(calc_pod_mtu(0, CALC_ENCAP_NONE), 0);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test_setup_teardown(test_bgp_never_leaves_remote_to_bird, setup, teardown),
	cmocka_unit_test_setup_teardown(test_host_gw_same_subnet_direct, setup, teardown),
	cmocka_unit_test_setup_teardown(test_host_gw_other_subnet_unreachable, setup, teardown),
	cmocka_unit_test_setup_teardown(test_vxlan_always, setup, teardown),
	cmocka_unit_test_setup_teardown(test_vxlan_cross_subnet_bgp, setup, teardown),
	cmocka_unit_test_setup_teardown(test_vxlan_cross_subnet_no_bgp, setup, teardown),
	cmocka_unit_test_setup_teardown(test_ipip_always, setup, teardown),
	cmocka_unit_test_setup_teardown(test_ipip_cross_subnet, setup, teardown),
	cmocka_unit_test_setup_teardown(test_vxlan_wins_over_ipip, setup, teardown),
	cmocka_unit_test_setup_teardown(test_vxlan_without_vtep_is_none, setup, teardown),
	cmocka_unit_test_setup_teardown(test_node_without_address, setup, teardown),
	cmocka_unit_test_setup_teardown(test_this_node_without_address_cross_subnet, setup, teardown),
	cmocka_unit_test_setup_teardown(test_unknown_owner_node, setup, teardown),
	cmocka_unit_test_setup_teardown(test_block_outside_pools_is_never, setup, teardown),
	cmocka_unit_test_setup_teardown(test_disabled_pool_keeps_routes, setup, teardown),
	cmocka_unit_test_setup_teardown(test_endpoint_routes_and_veth_name, setup, teardown),
	cmocka_unit_test_setup_teardown(test_endpoint_without_name_skipped, setup, teardown),
	cmocka_unit_test_setup_teardown(test_borrowed_local_pod_endpoint_wins, setup, teardown),
	cmocka_unit_test_setup_teardown(test_borrowed_by_remote_node, setup, teardown),
	cmocka_unit_test_setup_teardown(test_endpoint_beats_remote_same_dst, setup, teardown),
	cmocka_unit_test_setup_teardown(test_unowned_block_only_borrowed, setup, teardown),
	cmocka_unit_test_setup_teardown(test_ipv6_blocks, setup, teardown),
	cmocka_unit_test_setup_teardown(test_output_sorted_and_unique, setup, teardown),
	cmocka_unit_test_setup_teardown(test_vteps, setup, teardown),
	cmocka_unit_test_setup_teardown(test_nat_pools, setup, teardown),
	cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
	cmocka_unit_test_setup_teardown(test_empty_input, setup, teardown),
	cmocka_unit_test_setup_teardown(test_pod_mtu, setup, teardown),
};

TWILL_TEST_MAIN(tests)
