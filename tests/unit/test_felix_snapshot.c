/* Unit tests for felix/felix_snapshot (datastore JSON -> calc input) and
 * felix/felix_desired (calc output -> manager inputs). */
#include "twill_test.h"

#include <errno.h>
#include <stdlib.h>

#include <json-c/json.h>

#include "calc.h"
#include "felix_desired.h"
#include "felix_snapshot.h"

static const char *NODES =
	"[{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"a\",\"annotations\":{"
	"\"twill.dev/ipv4Address\":\"10.0.0.1/24\","
	"\"twill.dev/vxlanTunnelMACAddr\":\"66:00:00:00:00:0a\","
	"\"twill.dev/vxlanTunnelAddr\":\"10.244.0.0\"}}},"
	"{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"b\",\"annotations\":{"
	"\"twill.dev/ipv4Address\":\"10.0.0.2/24\","
	"\"twill.dev/vxlanTunnelMACAddr\":\"66:00:00:00:00:0b\","
	"\"twill.dev/vxlanTunnelAddr\":\"10.244.1.0\"}}},"
	"{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"c\"}},"
	"{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"bad\",\"annotations\":{"
	"\"twill.dev/ipv4Address\":\"10.0.0.300/24\"}}}]";

static const char *POOLS =
	"[{\"apiVersion\":\"twill.dev/v1\",\"kind\":\"IPPool\",\"metadata\":{\"name\":\"p\"},"
	"\"spec\":{\"cidr\":\"10.244.0.0/16\",\"vxlanMode\":\"Always\",\"natOutgoing\":true}}]";

/* Block of b with one address lent to a pod on a; a block of ours. */
static const char *BLOCKS =
	"[{\"apiVersion\":\"twill.dev/v1\",\"kind\":\"IPAMBlock\",\"metadata\":{\"name\":"
	"\"10-244-1-0-30\"},\"spec\":{\"cidr\":\"10.244.1.0/30\",\"affinity\":\"host:b\","
	"\"allocations\":[0,null,1,null],\"unallocated\":[1,3],\"attributes\":["
	"{\"handle_id\":\"h1\",\"secondary\":{\"node\":\"b\"}},"
	"{\"handle_id\":\"h2\",\"secondary\":{\"node\":\"a\"}}]}},"
	"{\"apiVersion\":\"twill.dev/v1\",\"kind\":\"IPAMBlock\",\"metadata\":{\"name\":"
	"\"10-244-0-0-30\"},\"spec\":{\"cidr\":\"10.244.0.0/30\",\"affinity\":\"host:a\","
	"\"allocations\":[null,null,null,null],\"unallocated\":[0,1,2,3],\"attributes\":[]}},"
	"{\"apiVersion\":\"twill.dev/v1\",\"kind\":\"IPAMBlock\",\"metadata\":{\"name\":"
	"\"10-244-9-0-30\"},\"spec\":{\"cidr\":\"10.244.9.0/30\",\"affinity\":\"host:b\","
	"\"deleted\":true,"
	"\"allocations\":[null,null,null,null],\"unallocated\":[0,1,2,3],\"attributes\":[]}}]";

static const char *PODS =
	"[{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"web\",\"namespace\":"
	"\"default\",\"annotations\":{\"twill.dev/podIPs\":\"10.244.1.2,fd00::2\"}},"
	"\"spec\":{\"nodeName\":\"a\"},\"status\":{\"podIP\":\"10.9.9.9\"}},"
	"{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"st\",\"namespace\":"
	"\"default\"},\"spec\":{\"nodeName\":\"a\"},\"status\":{\"podIPs\":[{\"ip\":\"10.244.0.1\"}]}},"
	"{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"host\",\"namespace\":"
	"\"default\"},\"spec\":{\"nodeName\":\"a\",\"hostNetwork\":true},"
	"\"status\":{\"podIP\":\"10.0.0.1\"}},"
	"{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"new\",\"namespace\":"
	"\"default\"},\"spec\":{\"nodeName\":\"a\"}},"
	"{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"else\",\"namespace\":"
	"\"default\"},\"spec\":{\"nodeName\":\"b\"},\"status\":{\"podIP\":\"10.244.1.1\"}}]";

static const char *CONFIGS =
	"[{\"apiVersion\":\"twill.dev/v1\",\"kind\":\"FelixConfiguration\",\"metadata\":{\"name\":"
	"\"default\"},\"spec\":{\"vxlanVNI\":5000}},"
	"{\"apiVersion\":\"twill.dev/v1\",\"kind\":\"FelixConfiguration\",\"metadata\":{\"name\":"
	"\"node.a\"},\"spec\":{\"vxlanVNI\":6000,\"programClusterRoutes\":\"Enabled\"}}]";

static struct felix_lists lists;
static struct felix_snapshot snap;

static int setup(void **state)
{
	(void)state;
	lists.nodes = json_tokener_parse(NODES);
	lists.pools = json_tokener_parse(POOLS);
	lists.blocks = json_tokener_parse(BLOCKS);
	lists.pods = json_tokener_parse(PODS);
	lists.configs = json_tokener_parse(CONFIGS);
	assert_non_null(lists.nodes);
	assert_non_null(lists.pools);
	assert_non_null(lists.blocks);
	assert_non_null(lists.pods);
	assert_non_null(lists.configs);
	memset(&snap, 0, sizeof(snap));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	felix_snapshot_free(&snap);
	json_object_put(lists.nodes);
	json_object_put(lists.pools);
	json_object_put(lists.blocks);
	json_object_put(lists.pods);
	json_object_put(lists.configs);
	return 0;
}

static const struct calc_node *node(const char *name)
{
	size_t i;

	for (i = 0; i < snap.in.node_count; i++)
		if (strcmp(snap.in.nodes[i].name, name) == 0)
			return &snap.in.nodes[i];
	return NULL;
}

static void test_nodes_parsed_bad_skipped(void **state)
{
	uint8_t mac_b[6] = {0x66, 0, 0, 0, 0, 0x0b};

	(void)state;
	assert_int_equal(felix_snapshot_build(&snap, "a", &lists), 0);
	assert_int_equal(snap.in.node_count, 3);
	assert_null(node("bad"));
	assert_true(snap.skipped >= 1);
	assert_true(node("b")->has_ipv4);
	assert_int_equal(node("b")->ipv4.prefix_len, 24);
	assert_true(node("b")->has_vtep);
	assert_memory_equal(node("b")->vtep_mac, mac_b, 6);
	assert_false(node("c")->has_vtep);
	assert_false(node("c")->has_ipv4);
}

static void test_blocks_and_borrowed(void **state)
{
	const struct calc_block *b;
	struct ip_addr lent;

	(void)state;
	assert_int_equal(felix_snapshot_build(&snap, "a", &lists), 0);
	assert_int_equal(snap.in.block_count, 2); /* the deleted one skipped */
	b = &snap.in.blocks[0];
	assert_string_equal(b->affinity_node, "b");
	assert_int_equal(b->borrowed_count, 1);
	assert_int_equal(ip_parse("10.244.1.2", &lent), 0);
	assert_true(ip_equal(&b->borrowed[0].ip, &lent));
	assert_string_equal(b->borrowed[0].node, "a");
	assert_string_equal(snap.in.blocks[1].affinity_node, "a");
	assert_int_equal(snap.in.blocks[1].borrowed_count, 0);
}

static void test_pods_local_with_ips_only(void **state)
{
	struct ip_addr ip;

	(void)state;
	assert_int_equal(felix_snapshot_build(&snap, "a", &lists), 0);
	assert_int_equal(snap.in.endpoint_count, 2);
	assert_string_equal(snap.in.endpoints[0].pod_name, "web");
	assert_int_equal(snap.in.endpoints[0].ip_count, 2); /* annotation wins over status */
	assert_int_equal(ip_parse("fd00::2", &ip), 0);
	assert_true(ip_equal(&snap.in.endpoints[0].ips[1], &ip));
	assert_string_equal(snap.in.endpoints[1].pod_name, "st");
	assert_int_equal(ip_parse("10.244.0.1", &ip), 0);
	assert_true(ip_equal(&snap.in.endpoints[1].ips[0], &ip));
}

static void test_node_config_wins(void **state)
{
	(void)state;
	assert_int_equal(felix_snapshot_build(&snap, "a", &lists), 0);
	assert_int_equal(snap.config.vxlan_vni, 6000);
	assert_true(snap.in.program_cluster_routes);
	felix_snapshot_free(&snap);
	assert_int_equal(felix_snapshot_build(&snap, "b", &lists), 0);
	assert_int_equal(snap.config.vxlan_vni, 5000);
	assert_false(snap.in.program_cluster_routes);
}

static void test_empty_lists_defaults(void **state)
{
	struct felix_lists none = {0};

	(void)state;
	assert_int_equal(felix_snapshot_build(&snap, "a", &none), 0);
	assert_int_equal(snap.in.node_count, 0);
	assert_int_equal(snap.config.vxlan_vni, 4096);
	assert_int_equal(snap.config.route_protocol, 81);
}

static void test_parse_mac(void **state)
{
	uint8_t mac[6];

	(void)state;
	assert_int_equal(felix_parse_mac("66:0a:BB:00:01:ff", mac), 0);
	assert_int_equal(mac[2], 0xbb);
	assert_int_equal(felix_parse_mac("66:0a:bb:00:01", mac), -EINVAL);
	assert_int_equal(felix_parse_mac("66:0a:bb:00:01:ff:", mac), -EINVAL);
	assert_int_equal(felix_parse_mac("66-0a-bb-00-01-ff", mac), -EINVAL);
	assert_int_equal(felix_parse_mac(NULL, mac), -EINVAL);
}

/* End to end through calc: what the managers get on node a. */
static void test_desired_from_snapshot(void **state)
{
	struct felix_desired_opts opts = {81, 4096, 4789, 0, 1500};
	struct calc_output out;
	struct felix_desired d;
	const struct route_entry *r = NULL;
	size_t i;
	struct cidr block_b;

	(void)state;
	assert_int_equal(felix_snapshot_build(&snap, "a", &lists), 0);
	assert_int_equal(calc_compute(&snap.in, &out), 0);
	assert_int_equal(felix_desired_build(&snap.in, &out, &opts, &d), 0);
	assert_int_equal(d.endpoint_count, 3); /* web (2 IPs) + st */
	assert_int_equal(cidr_parse("10.244.1.0/30", &block_b), 0);
	for (i = 0; i < d.route_count; i++)
		if (cidr_equal(&d.routes[i].dst, &block_b))
			r = &d.routes[i];
	assert_non_null(r);
	assert_string_equal(r->ifname, "vxlan.twill");
	assert_true(r->onlink);
	assert_int_equal(r->protocol, 81);
	assert_true(d.want_vxlan);
	assert_int_equal(d.vxlan.mtu, 1450);
	assert_int_equal(d.vxlan.vni, 4096);
	assert_int_equal(d.vxlan.mac[5], 0x0a);
	assert_int_equal(d.peer_count, 1); /* b; c has no VTEP */
	assert_int_equal(d.peers[0].mac[5], 0x0b);
	felix_desired_free(&d);
	calc_output_free(&out);
}

static void test_desired_shapes(void **state)
{
	struct calc_route routes[4];
	struct calc_output out = {0};
	struct calc_input in = {0};
	struct felix_desired_opts opts = {81, 4096, 4789, 1400, 9000};
	struct felix_desired d;

	(void)state;
	memset(routes, 0, sizeof(routes));
	cidr_parse("10.244.0.5/32", &routes[0].dst);
	routes[0].kind = CALC_ROUTE_ENDPOINT;
	snprintf(routes[0].ifname, sizeof(routes[0].ifname), "tw0123456789a");
	cidr_parse("10.244.0.0/26", &routes[1].dst);
	routes[1].kind = CALC_ROUTE_BLACKHOLE;
	cidr_parse("10.244.1.0/26", &routes[2].dst);
	routes[2].kind = CALC_ROUTE_DIRECT;
	routes[2].has_gw = true;
	ip_parse("10.0.0.2", &routes[2].gw);
	cidr_parse("10.244.2.0/26", &routes[3].dst);
	routes[3].kind = CALC_ROUTE_NONE;
	out.routes = routes;
	out.route_count = 4;
	in.this_node = "a";
	assert_int_equal(felix_desired_build(&in, &out, &opts, &d), 0);
	assert_int_equal(d.route_count, 3);
	assert_int_equal(d.routes[0].scope, 253);
	assert_string_equal(d.routes[0].ifname, "tw0123456789a");
	assert_int_equal(d.routes[1].type, ROUTE_TYPE_BLACKHOLE);
	assert_int_equal(d.routes[2].scope, 0);
	assert_true(d.routes[2].has_gw);
	assert_string_equal(d.routes[2].ifname, "");
	assert_false(d.want_vxlan); /* no self node */
	felix_desired_free(&d);
	assert_int_equal(felix_desired_build(NULL, &out, &opts, &d), -EINVAL);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test_setup_teardown(test_nodes_parsed_bad_skipped, setup, teardown),
	cmocka_unit_test_setup_teardown(test_blocks_and_borrowed, setup, teardown),
	cmocka_unit_test_setup_teardown(test_pods_local_with_ips_only, setup, teardown),
	cmocka_unit_test_setup_teardown(test_node_config_wins, setup, teardown),
	cmocka_unit_test_setup_teardown(test_empty_lists_defaults, setup, teardown),
	cmocka_unit_test_setup_teardown(test_parse_mac, setup, teardown),
	cmocka_unit_test_setup_teardown(test_desired_from_snapshot, setup, teardown),
	cmocka_unit_test_setup_teardown(test_desired_shapes, setup, teardown),
};

TWILL_TEST_MAIN(tests)
