/* Unit tests for lib/model bgpconfig, bgppeer, felixconfig: defaults,
 * communities and durations, peer exclusivity rules, peerIP forms, and the
 * peer-vs-node address family check. */
#include "twill_test.h"
#include "test_json.h"

#include <errno.h>
#include <stdlib.h>

#include "model/bgpconfig.h"
#include "model/bgppeer.h"
#include "model/felixconfig.h"
#include "model/node.h"
#include "model/validate_set.h"

static void test_bgpconfig_defaults(void **state)
{
	struct model_errors errs = MODEL_ERRORS_INIT;
	struct bgpconfig cfg;
	json_object *o = parse("{\"kind\":\"BGPConfiguration\",\"metadata\":{\"name\":\"default\"}}");

	(void)state;
	assert_int_equal(bgpconfig_from_json(o, &cfg, &errs), 0);
	assert_int_equal(cfg.as_number, 64512);
	assert_true(cfg.node_to_node_mesh_enabled);
	assert_int_equal(cfg.log_severity_screen, MODEL_LOG_INFO);
	assert_int_equal(cfg.listen_port, 179);
	assert_string_equal(cfg.node_mesh_max_restart_time, "120s");
	assert_null(cfg.node_mesh_password.name);
	bgpconfig_validate(&cfg, &errs);
	assert_false(model_errors_failed(&errs));
	bgpconfig_free(&cfg);
	json_object_put(o);
	model_errors_free(&errs);
}

static void test_bgpconfig_sample_round_trip(void **state)
{
	struct model_errors errs = MODEL_ERRORS_INIT;
	struct bgpconfig cfg;
	json_object *o = load("bgpconfiguration.json");

	(void)state;
	assert_int_equal(bgpconfig_from_json(o, &cfg, &errs), 0);
	bgpconfig_validate(&cfg, &errs);
	assert_false(model_errors_failed(&errs));
	assert_int_equal(cfg.service_cluster_ip_count, 1);
	assert_string_equal(cfg.service_cluster_ips[0], "10.96.0.0/12");
	assert_int_equal(cfg.community_count, 2);
	assert_string_equal(cfg.prefix_advertisements[0].communities[1], "64512:120");
	assert_string_equal(cfg.node_mesh_password.key, "mesh");
	assert_int_equal(model_round_trip(o), 0);
	bgpconfig_free(&cfg);
	json_object_put(o);
	model_errors_free(&errs);
}

static void test_bgpconfig_bad_values(void **state)
{
	struct model_errors errs = MODEL_ERRORS_INIT;
	struct bgpconfig cfg;
	json_object *o = parse(
		"{\"kind\":\"BGPConfiguration\",\"metadata\":{\"name\":\"cluster\"},"
		"\"spec\":{\"asNumber\":0,\"listenPort\":70000,"
		"\"communities\":[{\"name\":\"c1\",\"value\":\"65536:1\"},"
		"{\"name\":\"c2\",\"value\":\"1:2:4294967296\"},{\"name\":\"c3\",\"value\":\"1:2:3\"}],"
		"\"prefixAdvertisements\":[{\"cidr\":\"10.0.0.0/8\",\"communities\":[\"nope\",\"c3\"]}],"
		"\"nodeMeshMaxRestartTime\":\"2 minutes\",\"logSeverityScreen\":\"Loud\"}}");

	(void)state;
	assert_int_equal(bgpconfig_from_json(o, &cfg, &errs), 0);
	bgpconfig_validate(&cfg, &errs);
	assert_non_null(model_errors_find(&errs, "metadata.name"));
	assert_non_null(model_errors_find(&errs, "spec.asNumber"));
	assert_non_null(model_errors_find(&errs, "spec.listenPort"));
	assert_non_null(model_errors_find(&errs, "spec.logSeverityScreen"));
	assert_non_null(strstr(model_errors_find(&errs, "spec.communities[0].value")->message,
			       "\"65536:1\""));
	assert_non_null(model_errors_find(&errs, "spec.communities[1].value"));
	assert_null(model_errors_find(&errs, "spec.communities[2].value"));
	assert_non_null(model_errors_find(&errs, "spec.prefixAdvertisements[0].communities[0]"));
	assert_null(model_errors_find(&errs, "spec.prefixAdvertisements[0].communities[1]"));
	assert_non_null(strstr(model_errors_find(&errs, "spec.nodeMeshMaxRestartTime")->message,
			       "\"2 minutes\""));
	bgpconfig_free(&cfg);
	json_object_put(o);
	model_errors_free(&errs);
}

static void test_duration_parse(void **state)
{
	uint64_t ms = 0;

	(void)state;
	assert_int_equal(model_duration_parse("90s", &ms), 0);
	assert_true(ms == 90000);
	assert_int_equal(model_duration_parse("1h30m", &ms), 0);
	assert_true(ms == 5400000);
	assert_int_equal(model_duration_parse("500ms", &ms), 0);
	assert_true(ms == 500);
	assert_int_equal(model_duration_parse("", &ms), -EINVAL);
	assert_int_equal(model_duration_parse("5", &ms), -EINVAL);
	assert_int_equal(model_duration_parse("1.5s", &ms), -EINVAL);
	assert_int_equal(model_duration_parse("-1s", &ms), -EINVAL);
	assert_int_equal(model_duration_parse("99999999999999999999h", &ms), -EINVAL);
}

static void peer_errors(const char *spec, struct model_errors *errs)
{
	char doc[1024];
	struct bgppeer peer;
	json_object *o;

	snprintf(doc, sizeof(doc),
		 "{\"kind\":\"BGPPeer\",\"metadata\":{\"name\":\"p1\"},\"spec\":%s}", spec);
	o = parse(doc);
	assert_int_equal(bgppeer_from_json(o, &peer, errs), 0);
	bgppeer_validate(&peer, errs);
	bgppeer_free(&peer);
	json_object_put(o);
}

static void test_bgppeer_exclusivity_rules(void **state)
{
	struct model_errors errs = MODEL_ERRORS_INIT;

	(void)state;
	peer_errors("{}", &errs);
	assert_non_null(strstr(model_errors_find(&errs, "spec.peerIP")->message,
			       "one of spec.peerIP or spec.peerSelector"));
	model_errors_free(&errs);
	peer_errors("{\"peerIP\":\"10.0.0.1\"}", &errs);
	assert_non_null(model_errors_find(&errs, "spec.asNumber"));
	model_errors_free(&errs);
	peer_errors("{\"peerIP\":\"10.0.0.1\",\"asNumber\":65000,\"peerSelector\":\"all()\"}", &errs);
	assert_non_null(model_errors_find(&errs, "spec.peerSelector"));
	model_errors_free(&errs);
	peer_errors("{\"peerSelector\":\"has(rr)\",\"node\":\"n1\",\"nodeSelector\":\"all()\"}",
		    &errs);
	assert_non_null(model_errors_find(&errs, "spec.nodeSelector"));
	assert_int_equal(model_errors_count(&errs), 1);
	model_errors_free(&errs);
	peer_errors("{\"peerSelector\":\"has(rr)\",\"sourceAddress\":\"Somewhere\","
		    "\"password\":{\"secretKeyRef\":{\"name\":\"s\"}}}", &errs);
	assert_non_null(model_errors_find(&errs, "spec.sourceAddress"));
	assert_non_null(model_errors_find(&errs, "spec.password.secretKeyRef.key"));
	model_errors_free(&errs);
}

static void test_bgppeer_peer_ip_forms(void **state)
{
	struct ip_addr ip;
	uint16_t port;
	struct model_errors errs = MODEL_ERRORS_INIT;
	struct bgppeer peer;
	json_object *o = load("bgppeer.json");

	(void)state;
	assert_int_equal(bgppeer_parse_peer_ip("10.0.0.1", &ip, &port), 0);
	assert_int_equal(port, 179);
	assert_int_equal(bgppeer_parse_peer_ip("10.0.0.1:1179", &ip, &port), 0);
	assert_int_equal(port, 1179);
	assert_int_equal(ip.family, AF_INET);
	assert_int_equal(bgppeer_parse_peer_ip("fd00::1", &ip, &port), 0);
	assert_int_equal(ip.family, AF_INET6);
	assert_int_equal(bgppeer_parse_peer_ip("[fd00::1]:1790", &ip, &port), 0);
	assert_int_equal(port, 1790);
	assert_int_equal(bgppeer_parse_peer_ip("10.0.0.1:0", &ip, &port), -EINVAL);
	assert_int_equal(bgppeer_parse_peer_ip("10.0.0.1:70000", &ip, &port), -EINVAL);
	assert_int_equal(bgppeer_parse_peer_ip("[10.0.0.1]:179", &ip, &port), -EINVAL);
	assert_int_equal(bgppeer_parse_peer_ip("host:179", &ip, &port), -EINVAL);

	assert_int_equal(bgppeer_from_json(o, &peer, &errs), 0);
	bgppeer_validate(&peer, &errs);
	assert_false(model_errors_failed(&errs));
	assert_int_equal(peer.as_number, 65001);
	assert_int_equal(model_round_trip(o), 0);
	bgppeer_free(&peer);
	json_object_put(o);
	model_errors_free(&errs);
}

static void test_peer_family_vs_nodes(void **state)
{
	struct model_errors errs = MODEL_ERRORS_INIT;
	struct node nodes[2];
	struct bgppeer peer;
	json_object *o;
	char line[256];

	(void)state;
	o = load("node.json");
	assert_int_equal(node_from_json(o, &nodes[0], &errs), 0);
	json_object_put(o);
	o = parse("{\"kind\":\"Node\",\"metadata\":{\"name\":\"node-2\",\"labels\":{\"rack\":\"a\"},"
		  "\"annotations\":{\"twill.dev/ipv4Address\":\"10.0.0.3/24\"}}}");
	assert_int_equal(node_from_json(o, &nodes[1], &errs), 0);
	json_object_put(o);
	o = parse("{\"kind\":\"BGPPeer\",\"metadata\":{\"name\":\"v6-tor\"},"
		  "\"spec\":{\"nodeSelector\":\"rack == 'a'\",\"peerIP\":\"[fd00::1]:179\","
		  "\"asNumber\":65001}}");
	assert_int_equal(bgppeer_from_json(o, &peer, &errs), 0);
	json_object_put(o);
	model_validate_peer_families(&peer, nodes, 2, &errs);
	assert_int_equal(model_errors_count(&errs), 1);
	model_errors_format(&errs, 0, line, sizeof(line));
	assert_string_equal(line, "BGPPeer \"v6-tor\": spec.peerIP: IPv6 peer [fd00::1]:179 but "
				  "node \"node-2\" has no IPv6 address (annotation "
				  "twill.dev/ipv6Address)");
	model_errors_free(&errs);
	/* Pinned to node-1 (dual stack): fine. */
	peer.node = strdup("node-1");
	free(peer.node_selector);
	peer.node_selector = NULL;
	model_validate_peer_families(&peer, nodes, 2, &errs);
	assert_false(model_errors_failed(&errs));
	bgppeer_free(&peer);
	node_free(&nodes[0]);
	node_free(&nodes[1]);
	model_errors_free(&errs);
}

static void test_felixconfig_defaults_and_rules(void **state)
{
	struct model_errors errs = MODEL_ERRORS_INIT;
	struct felixconfig cfg;
	json_object *o;

	(void)state;
	assert_int_equal(felixconfig_init(&cfg), 0);
	assert_int_equal(cfg.health_port, 9099);
	assert_int_equal(cfg.prometheus_metrics_port, 9091);
	assert_int_equal(cfg.vxlan_vni, 4096);
	assert_int_equal(cfg.vxlan_port, 4789);
	assert_int_equal(cfg.route_protocol, 81);
	assert_string_equal(cfg.route_refresh_interval, "90s");
	assert_string_equal(cfg.interface_prefix, "tw");
	assert_false(cfg.program_cluster_routes);
	assert_true(cfg.ipv6_support);
	felixconfig_free(&cfg);

	o = load("felixconfiguration.json");
	assert_int_equal(felixconfig_from_json(o, &cfg, &errs), 0);
	felixconfig_validate(&cfg, &errs);
	assert_false(model_errors_failed(&errs));
	assert_true(cfg.program_cluster_routes);
	assert_int_equal(cfg.default_endpoint_to_host_action, FELIX_ACTION_DROP);
	assert_int_equal(cfg.vxlan_mtu, 1450);
	assert_int_equal(model_round_trip(o), 0);
	felixconfig_free(&cfg);
	json_object_put(o);

	o = parse("{\"kind\":\"FelixConfiguration\",\"metadata\":{\"name\":\"node.n1\"},"
		  "\"spec\":{\"vxlanVNI\":16777216,\"routeProtocol\":0,\"mtuIfacePattern\":\"(\","
		  "\"natOutgoingAddress\":\"fd00::1\",\"interfacePrefix\":\"Cali\","
		  "\"logSeverityScreen\":\"Fatal\",\"routeRefreshInterval\":\"soon\"}}");
	assert_int_equal(felixconfig_from_json(o, &cfg, &errs), 0);
	felixconfig_validate(&cfg, &errs);
	assert_non_null(strstr(model_errors_find(&errs, "spec.vxlanVNI")->message,
			       "got 16777216"));
	assert_non_null(model_errors_find(&errs, "spec.routeProtocol"));
	assert_non_null(model_errors_find(&errs, "spec.mtuIfacePattern"));
	assert_non_null(model_errors_find(&errs, "spec.natOutgoingAddress"));
	assert_non_null(model_errors_find(&errs, "spec.interfacePrefix"));
	assert_non_null(model_errors_find(&errs, "spec.logSeverityScreen"));
	assert_non_null(model_errors_find(&errs, "spec.routeRefreshInterval"));
	assert_null(model_errors_find(&errs, "metadata.name"));
	felixconfig_free(&cfg);
	json_object_put(o);
	model_errors_free(&errs);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_bgpconfig_defaults),
	cmocka_unit_test(test_bgpconfig_sample_round_trip),
	cmocka_unit_test(test_bgpconfig_bad_values),
	cmocka_unit_test(test_duration_parse),
	cmocka_unit_test(test_bgppeer_exclusivity_rules),
	cmocka_unit_test(test_bgppeer_peer_ip_forms),
	cmocka_unit_test(test_peer_family_vs_nodes),
	cmocka_unit_test(test_felixconfig_defaults_and_rules),
};

TWILL_TEST_MAIN(tests)
