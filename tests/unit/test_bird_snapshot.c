/* Unit tests for confgen/confgen_snapshot: informer lists become the
 * renderer's sources; malformed objects are skipped and counted, and only
 * the "default" and "node.<this node>" BGPConfigurations are used. */
#include "twill_test.h"

#include <errno.h>
#include <stdlib.h>

#include "confgen_snapshot.h"
#include "log.h"

static json_object *list(const char *text)
{
	json_object *o = json_tokener_parse(text);

	assert_non_null(o);
	assert_true(json_object_is_type(o, json_type_array));
	return o;
}

static void test_snapshot_wires_sources(void **state)
{
	struct confgen_lists l = {
		.configs = list("[{'apiVersion':'twill.dev/v1','kind':'BGPConfiguration','metadata':{'name':'node.other'},'spec':{'listenPort':1000}},"
				"{'apiVersion':'twill.dev/v1','kind':'BGPConfiguration','metadata':{'name':'default'},'spec':{'asNumber':65000}},"
				"{'apiVersion':'twill.dev/v1','kind':'BGPConfiguration','metadata':{'name':'node.n1'},'spec':{'listenPort':1790}}]"),
		.nodes = list("[{'apiVersion':'v1','kind':'Node','metadata':{'name':'n1','annotations':{'twill.dev/ipv4Address':'10.0.0.1/24'}}},"
			      "{'apiVersion':'v1','kind':'Node','metadata':{'name':'n2','annotations':{'twill.dev/asNumber':'0'}}}]"),
		.peers = list("[{'apiVersion':'twill.dev/v1','kind':'BGPPeer','metadata':{'name':'p'},'spec':{'peerIP':'192.0.2.1','asNumber':65001}},"
			      "{'apiVersion':'twill.dev/v1','kind':'BGPPeer','metadata':{'name':'bad'},'spec':{'peerIP':'not-an-ip','asNumber':65001}},"
			      "42]"),
		.pools = NULL,
	};
	struct confgen_snapshot s;
	struct bird_input in;
	char err[128];

	(void)state;
	log_set_level(LOG_LEVEL_ERROR); /* the skips are logged as warnings */
	assert_int_equal(confgen_snapshot_build(&s, "n1", &l), 0);
	assert_int_equal(s.config_count, 3);
	assert_non_null(s.src.config);
	assert_string_equal(s.src.config->meta.name, "default");
	assert_non_null(s.src.node_config);
	assert_string_equal(s.src.node_config->meta.name, "node.n1");
	/* n2 has a malformed AS annotation, "bad" a malformed peerIP, 42 is no object */
	assert_int_equal(s.src.node_count, 1);
	assert_int_equal(s.src.peer_count, 1);
	assert_string_equal(s.src.peers[0]->meta.name, "p");
	assert_int_equal(s.skipped, 3);
	assert_int_equal(s.src.pool_count, 0);
	assert_int_equal(bird_input_build(&s.src, &in, err, sizeof(err)), 0);
	assert_int_equal(in.as_number, 65000);
	assert_int_equal(in.listen_port, 1790);
	bird_input_free(&in);
	confgen_snapshot_free(&s);
	json_object_put(l.configs);
	json_object_put(l.nodes);
	json_object_put(l.peers);
}

static void test_snapshot_empty(void **state)
{
	struct confgen_lists l = { 0 };
	struct confgen_snapshot s;
	struct bird_input in;
	char err[128];

	(void)state;
	assert_int_equal(confgen_snapshot_build(&s, "n1", &l), 0);
	assert_null(s.src.config);
	assert_int_equal(s.src.node_count, 0);
	assert_int_equal(bird_input_build(&s.src, &in, err, sizeof(err)), -ENOENT);
	confgen_snapshot_free(&s);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_snapshot_wires_sources),
	cmocka_unit_test(test_snapshot_empty),
};

TWILL_TEST_MAIN(tests)
