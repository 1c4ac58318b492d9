/* Unit tests for the BIRD renderer's input side: lib/bird_text (symbols,
 * password safety, durations), lib/bird_model (building the input from
 * model objects) and lib/bird_sessions (which sessions exist). */
#include "twill_test.h"
#include "test_json.h"

#include <errno.h>
#include <stdlib.h>

#include "bird_model.h"
#include "bird_sessions.h"
#include "bird_text.h"

static void test_symbol_for_peer(void **state)
{
	struct ip_addr ip;
	char buf[BIRD_SYMBOL_MAX];

	(void)state;
	assert_int_equal(ip_parse("10.0.0.1", &ip), 0);
	assert_int_equal(bird_symbol_for_peer(buf, sizeof(buf), "Mesh", &ip, 179), 0);
	assert_string_equal(buf, "Mesh_10_0_0_1");
	assert_int_equal(bird_symbol_for_peer(buf, sizeof(buf), "Peer", &ip, 1179), 0);
	assert_string_equal(buf, "Peer_10_0_0_1_1179");
	assert_int_equal(ip_parse("FD00:0::1", &ip), 0); /* canonical form, whatever was typed */
	assert_int_equal(bird_symbol_for_peer(buf, sizeof(buf), "Peer", &ip, 179), 0);
	assert_string_equal(buf, "Peer_fd00__1");
	assert_true(bird_symbol_ok(buf));
	assert_int_equal(bird_symbol_for_peer(buf, 8, "Peer", &ip, 179), -ENOSPC);
	assert_string_equal(buf, "");
	assert_int_equal(bird_symbol_for_peer(buf, sizeof(buf), "9bad", &ip, 179), -EINVAL);
	assert_int_equal(bird_symbol_for_peer(buf, sizeof(buf), "a b", &ip, 179), -EINVAL);
}

static void test_symbol_ok(void **state)
{
	(void)state;
	assert_true(bird_symbol_ok("_x9"));
	assert_false(bird_symbol_ok(""));
	assert_false(bird_symbol_ok(NULL));
	assert_false(bird_symbol_ok("9x"));
	assert_false(bird_symbol_ok("a-b"));
	assert_false(bird_symbol_ok("a\"b"));
}

static void test_password_ok(void **state)
{
	char long_pw[BIRD_PASSWORD_MAX + 2];

	(void)state;
	assert_true(bird_password_ok((const unsigned char *)"s3cr#t \\ {}", 11));
	assert_false(bird_password_ok((const unsigned char *)"a\"b", 3));
	assert_false(bird_password_ok((const unsigned char *)"a\nb", 3));
	assert_false(bird_password_ok((const unsigned char *)"a\0b", 3));
	assert_false(bird_password_ok((const unsigned char *)"\xc3\xa9", 2));
	assert_false(bird_password_ok((const unsigned char *)"", 0));
	memset(long_pw, 'x', sizeof(long_pw));
	assert_true(bird_password_ok((const unsigned char *)long_pw, BIRD_PASSWORD_MAX));
	assert_false(bird_password_ok((const unsigned char *)long_pw, BIRD_PASSWORD_MAX + 1));
}

static void test_restart_seconds(void **state)
{
	uint32_t s = 7;

	(void)state;
	assert_int_equal(bird_restart_seconds("120s", &s), 0);
	assert_int_equal(s, 120);
	assert_int_equal(bird_restart_seconds("2m", &s), 0);
	assert_int_equal(s, 120);
	assert_int_equal(bird_restart_seconds("1001ms", &s), 0);
	assert_int_equal(s, 2);
	assert_int_equal(bird_restart_seconds("0s", &s), 0);
	assert_int_equal(s, 1);
	assert_int_equal(bird_restart_seconds("2h", &s), 0);
	assert_int_equal(s, BIRD_RESTART_TIME_MAX);
	assert_int_equal(bird_restart_seconds("soon", &s), -EINVAL);
	assert_int_equal(bird_restart_seconds(NULL, &s), -EINVAL);
}

/* A tiny datastore built by hand (the golden tests use JSON fixtures). */
struct fixture {
	struct node nodes[3];
	struct bgppeer peers[3];
	struct blockaffinity affs[3];
	struct secret secret;
	const struct node *np[3];
	const struct bgppeer *pp[3];
	const struct blockaffinity *ap[3];
	const struct secret *sp[1];
	struct bird_sources src;
};

#define FROM(kind, text, dst)                                                  \
	do {                                                                   \
		struct model_errors e_ = MODEL_ERRORS_INIT;                    \
		json_object *o_ = parse(text);                                 \
		assert_int_equal(kind##_from_json(o_, dst, &e_), 0);           \
		model_errors_free(&e_);                                        \
		json_object_put(o_);                                           \
	} while (0)

static void fixture_init(struct fixture *f, const char *self)
{
	memset(f, 0, sizeof(*f));
	FROM(node, "{'kind':'Node','apiVersion':'v1','metadata':{'name':'n2','labels':{'r':'b'},"
		   "'annotations':{'twill.dev/ipv4Address':'10.0.0.2/24','twill.dev/asNumber':'65002'}}}",
	     &f->nodes[0]);
	FROM(node, "{'kind':'Node','apiVersion':'v1','metadata':{'name':'n1','labels':{'r':'a'},"
		   "'annotations':{'twill.dev/ipv4Address':'10.0.0.1/24',"
		   "'twill.dev/routeReflectorClusterID':'not-an-ip'}}}", &f->nodes[1]);
	FROM(node, "{'kind':'Node','apiVersion':'v1','metadata':{'name':'bare'}}", &f->nodes[2]);
	FROM(bgppeer, "{'kind':'BGPPeer','apiVersion':'twill.dev/v1','metadata':{'name':'zz'},"
		      "'spec':{'peerIP':'192.0.2.1','asNumber':65001,'maxRestartTime':'90s',"
		      "'password':{'secretKeyRef':{'name':'s','key':'k'}}}}", &f->peers[0]);
	FROM(bgppeer, "{'kind':'BGPPeer','apiVersion':'twill.dev/v1','metadata':{'name':'aa'},"
		      "'spec':{'peerIP':'192.0.2.2','asNumber':65001,"
		      "'password':{'secretKeyRef':{'name':'s','key':'missing'}}}}", &f->peers[1]);
	FROM(bgppeer, "{'kind':'BGPPeer','apiVersion':'twill.dev/v1','metadata':{'name':'bad-sel'},"
		      "'spec':{'peerSelector':'r ==','nodeSelector':'all()'}}", &f->peers[2]);
	FROM(blockaffinity, "{'kind':'BlockAffinity','apiVersion':'twill.dev/v1','metadata':{'name':'a'},"
			    "'spec':{'node':'n1','cidr':'10.244.0.64/26','state':'confirmed'}}", &f->affs[0]);
	FROM(blockaffinity, "{'kind':'BlockAffinity','apiVersion':'twill.dev/v1','metadata':{'name':'b'},"
			    "'spec':{'node':'n1','cidr':'10.244.0.0/26','state':'pendingDeletion'}}", &f->affs[1]);
	FROM(blockaffinity, "{'kind':'BlockAffinity','apiVersion':'twill.dev/v1','metadata':{'name':'c'},"
			    "'spec':{'node':'n2','cidr':'10.244.1.0/26','state':'confirmed'}}", &f->affs[2]);
	FROM(secret, "{'kind':'Secret','apiVersion':'v1','metadata':{'name':'s','namespace':'twill-system'},"
		     "'data':{'k':'aHVudGVyMg=='}}", &f->secret);
	for (size_t i = 0; i < 3; i++) {
		f->np[i] = &f->nodes[i];
		f->pp[i] = &f->peers[i];
		f->ap[i] = &f->affs[i];
	}
	f->sp[0] = &f->secret;
	f->src = (struct bird_sources){ .node_name = self, .nodes = f->np, .node_count = 3,
					.peers = f->pp, .peer_count = 3,
					.affinities = f->ap, .affinity_count = 3,
					.secrets = f->sp, .secret_count = 1 };
}

static void fixture_free(struct fixture *f)
{
	for (size_t i = 0; i < 3; i++) {
		node_free(&f->nodes[i]);
		bgppeer_free(&f->peers[i]);
		blockaffinity_free(&f->affs[i]);
	}
	secret_free(&f->secret);
}

static bool has_note(char *const *notes, size_t n, const char *needle)
{
	for (size_t i = 0; i < n; i++)
		if (strstr(notes[i], needle))
			return true;
	return false;
}

static void test_build_resolves_everything(void **state)
{
	struct fixture f;
	struct bird_input in;
	char err[128];
	char buf[CIDR_STRLEN];

	(void)state;
	fixture_init(&f, "n1");
	assert_int_equal(bird_input_build(&f.src, &in, err, sizeof(err)), 0);
	/* defaults without a BGPConfiguration */
	assert_int_equal(in.as_number, BIRD_DEFAULT_AS);
	assert_true(in.mesh_enabled);
	assert_int_equal(in.listen_port, 179);
	assert_int_equal(in.mesh_restart_s, BIRD_DEFAULT_RESTART_S);
	/* nodes sorted by name, the address-less one dropped with a note */
	assert_int_equal(in.node_count, 2);
	assert_string_equal(in.nodes[0].name, "n1");
	assert_string_equal(in.nodes[1].name, "n2");
	assert_int_equal(in.self, 0);
	assert_int_equal(in.nodes[0].as_number, BIRD_DEFAULT_AS);
	assert_int_equal(in.nodes[1].as_number, 65002);
	assert_null(in.nodes[0].rr_cluster_id); /* malformed cluster ID: not a reflector */
	assert_true(has_note(in.notes, in.note_count, "node bare: no BGP address"));
	assert_true(has_note(in.notes, in.note_count, "node n1: twill.dev/routeReflectorClusterID"));
	/* only this node's confirmed blocks */
	assert_int_equal(in.block_count, 1);
	cidr_format(&in.blocks[0], buf, sizeof(buf));
	assert_string_equal(buf, "10.244.0.64/26");
	/* peers sorted; secrets resolved or marked unusable */
	assert_int_equal(in.peer_count, 3);
	assert_string_equal(in.peers[0].name, "aa");
	assert_int_equal(in.peers[0].password.state, BIRD_PASSWORD_UNUSABLE);
	assert_null(in.peers[0].password.value);
	assert_string_equal(in.peers[2].name, "zz");
	assert_int_equal(in.peers[2].password.state, BIRD_PASSWORD_SET);
	assert_string_equal(in.peers[2].password.value, "hunter2");
	assert_int_equal(in.peers[2].restart_s, 90);
	/* notes never carry the secret's value */
	for (size_t i = 0; i < in.note_count; i++)
		assert_null(strstr(in.notes[i], "hunter2"));
	bird_input_free(&in);
	fixture_free(&f);
}

static void test_build_unknown_node(void **state)
{
	struct fixture f;
	struct bird_input in;
	char err[128];

	(void)state;
	fixture_init(&f, "ghost");
	assert_int_equal(bird_input_build(&f.src, &in, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "node ghost not found");
	assert_int_equal(in.node_count, 0);
	assert_null(in.nodes);
	fixture_free(&f);
}

static void test_build_node_without_address(void **state)
{
	struct fixture f;
	struct bird_input in;
	char err[128];

	(void)state;
	fixture_init(&f, "bare");
	assert_int_equal(bird_input_build(&f.src, &in, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "twill.dev/ipv4Address"));
	fixture_free(&f);
}

static const struct bird_session *find(const struct bird_session_list *l, const char *name)
{
	for (size_t i = 0; i < l->count; i++)
		if (strcmp(l->items[i].name, name) == 0)
			return &l->items[i];
	return NULL;
}

static void test_sessions_plan(void **state)
{
	struct fixture f;
	struct bird_input in;
	struct bird_session_list l;
	const struct bird_session *s;
	char err[128];

	(void)state;
	fixture_init(&f, "n1");
	assert_int_equal(bird_input_build(&f.src, &in, err, sizeof(err)), 0);
	assert_int_equal(bird_sessions_plan(&in, &l), 0);
	/* mesh to n2 (eBGP: n2 overrides its AS), n1 has the lower address */
	s = find(&l, "Mesh_10_0_0_2");
	assert_non_null(s);
	assert_false(s->passive);
	assert_true(s->direct);
	assert_int_equal(s->local_as, 64512);
	assert_int_equal(s->neighbor_as, 65002);
	assert_null(s->password);
	/* peer zz with its password; aa left out (missing key); bad-sel noted */
	s = find(&l, "Peer_192_0_2_1");
	assert_non_null(s);
	assert_string_equal(s->password, "hunter2");
	assert_false(s->direct);
	assert_int_equal(s->restart_s, 90);
	assert_null(find(&l, "Peer_192_0_2_2"));
	assert_int_equal(l.count, 2);
	assert_true(has_note(l.notes, l.note_count, "BGPPeer aa: password unusable"));
	assert_true(has_note(l.notes, l.note_count, "BGPPeer bad-sel: peerSelector:"));
	bird_session_list_free(&l);
	bird_input_free(&in);
	fixture_free(&f);
}

static void test_sessions_passive_side(void **state)
{
	struct fixture f;
	struct bird_input in;
	struct bird_session_list l;
	const struct bird_session *s;
	char err[128];

	(void)state;
	fixture_init(&f, "n2");
	assert_int_equal(bird_input_build(&f.src, &in, err, sizeof(err)), 0);
	assert_int_equal(bird_sessions_plan(&in, &l), 0);
	s = find(&l, "Mesh_10_0_0_1");
	assert_non_null(s);
	assert_true(s->passive); /* the other end of the pair waits */
	assert_int_equal(s->local_as, 65002);
	bird_session_list_free(&l);
	bird_input_free(&in);
	fixture_free(&f);
}

static void test_sessions_reject_bad_self(void **state)
{
	struct bird_input in;
	struct bird_session_list l;

	(void)state;
	memset(&in, 0, sizeof(in));
	in.self = 3;
	assert_int_equal(bird_sessions_plan(&in, &l), -EINVAL);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_symbol_for_peer),
	cmocka_unit_test(test_symbol_ok),
	cmocka_unit_test(test_password_ok),
	cmocka_unit_test(test_restart_seconds),
	cmocka_unit_test(test_build_resolves_everything),
	cmocka_unit_test(test_build_unknown_node),
	cmocka_unit_test(test_build_node_without_address),
	cmocka_unit_test(test_sessions_plan),
	cmocka_unit_test(test_sessions_passive_side),
	cmocka_unit_test(test_sessions_reject_bad_self),
};

TWILL_TEST_MAIN(tests)
