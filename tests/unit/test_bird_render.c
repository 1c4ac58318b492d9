/* Golden-file tests for lib/bird_render: one small datastore per feature,
 * built through the real model parsers and bird_input_build(), rendered and
 * compared byte for byte with tests/unit/data/bird/<case>.conf. Each case
 * also asserts the lines that carry its feature, so regenerating a golden
 * (TWILL_UPDATE_GOLDEN=1) can never silently accept a regression in them.
 * tests/e2e/test_bird_config.py feeds every golden file to `bird -p`. */
#include "twill_test.h"

#include <errno.h>
#include <stdlib.h>

#include "bird_model.h"
#include "bird_render.h"

#define MAXOBJ 10

/* A datastore in JSON snippets (json-c accepts single quotes). */
struct world {
	const char *self;
	const char *config;
	const char *node_config;
	const char *nodes[MAXOBJ];
	const char *peers[MAXOBJ];
	const char *pools[MAXOBJ];
	const char *affinities[MAXOBJ];
	const char *secrets[MAXOBJ];
};

#define NODE(name, labels, annotations)                                        \
	"{'apiVersion':'v1','kind':'Node','metadata':{'name':'" name "',"     \
	"'labels':{" labels "},'annotations':{" annotations "}}}"
#define V4(a) "'twill.dev/ipv4Address':'" a "'"
#define V6(a) "'twill.dev/ipv6Address':'" a "'"
#define PEER(name, spec)                                                       \
	"{'apiVersion':'twill.dev/v1','kind':'BGPPeer','metadata':{'name':'" name \
	"'},'spec':{" spec "}}"
#define POOL(name, spec)                                                       \
	"{'apiVersion':'twill.dev/v1','kind':'IPPool','metadata':{'name':'" name \
	"'},'spec':{" spec "}}"
#define AFF(node, cidr, state)                                                 \
	"{'apiVersion':'twill.dev/v1','kind':'BlockAffinity','metadata':{'name':'" \
	node "-x'},'spec':{'node':'" node "','cidr':'" cidr "','state':'" state "'}}"
#define CONFIG(spec)                                                           \
	"{'apiVersion':'twill.dev/v1','kind':'BGPConfiguration','metadata':"  \
	"{'name':'default'},'spec':{" spec "}}"
#define SECRET(name, data)                                                     \
	"{'apiVersion':'v1','kind':'Secret','metadata':{'name':'" name          \
	"','namespace':'twill-system'},'stringData':{" data "}}"

#define POOL_DEFAULT POOL("default", "'cidr':'10.244.0.0/16'")

struct loaded {
	struct bgpconfig config, node_config;
	struct node nodes[MAXOBJ];
	struct bgppeer peers[MAXOBJ];
	struct ippool pools[MAXOBJ];
	struct blockaffinity affs[MAXOBJ];
	struct secret secrets[MAXOBJ];
	const struct node *np[MAXOBJ];
	const struct bgppeer *pp[MAXOBJ];
	const struct ippool *poolp[MAXOBJ];
	const struct blockaffinity *ap[MAXOBJ];
	const struct secret *sp[MAXOBJ];
	struct bird_sources src;
};

#define LOAD(kind, text, dst)                                                  \
	do {                                                                   \
		struct model_errors e_ = MODEL_ERRORS_INIT;                    \
		json_object *o_ = json_tokener_parse(text);                    \
		assert_non_null(o_);                                           \
		assert_int_equal(kind##_from_json(o_, dst, &e_), 0);           \
		if (model_errors_failed(&e_))                                  \
			fprintf(stderr, "fixture error: %s\n", text);          \
		assert_false(model_errors_failed(&e_));                        \
		model_errors_free(&e_);                                        \
		json_object_put(o_);                                           \
	} while (0)

static struct loaded *load(const struct world *w)
{
	struct loaded *l = calloc(1, sizeof(*l));
	size_t i;

	assert_non_null(l);
	l->src.node_name = w->self;
	if (w->config) {
		LOAD(bgpconfig, w->config, &l->config);
		l->src.config = &l->config;
	}
	if (w->node_config) {
		LOAD(bgpconfig, w->node_config, &l->node_config);
		l->src.node_config = &l->node_config;
	}
	for (i = 0; i < MAXOBJ && w->nodes[i]; i++) {
		LOAD(node, w->nodes[i], &l->nodes[i]);
		l->np[l->src.node_count++] = &l->nodes[i];
	}
	for (i = 0; i < MAXOBJ && w->peers[i]; i++) {
		LOAD(bgppeer, w->peers[i], &l->peers[i]);
		l->pp[l->src.peer_count++] = &l->peers[i];
	}
	for (i = 0; i < MAXOBJ && w->pools[i]; i++) {
		LOAD(ippool, w->pools[i], &l->pools[i]);
		l->poolp[l->src.pool_count++] = &l->pools[i];
	}
	for (i = 0; i < MAXOBJ && w->affinities[i]; i++) {
		LOAD(blockaffinity, w->affinities[i], &l->affs[i]);
		l->ap[l->src.affinity_count++] = &l->affs[i];
	}
	for (i = 0; i < MAXOBJ && w->secrets[i]; i++) {
		LOAD(secret, w->secrets[i], &l->secrets[i]);
		l->sp[l->src.secret_count++] = &l->secrets[i];
	}
	l->src.nodes = l->np;
	l->src.peers = l->pp;
	l->src.pools = l->poolp;
	l->src.affinities = l->ap;
	l->src.secrets = l->sp;
	return l;
}

static void unload(struct loaded *l)
{
	size_t i;

	if (l->src.config)
		bgpconfig_free(&l->config);
	if (l->src.node_config)
		bgpconfig_free(&l->node_config);
	for (i = 0; i < l->src.node_count; i++)
		node_free(&l->nodes[i]);
	for (i = 0; i < l->src.peer_count; i++)
		bgppeer_free(&l->peers[i]);
	for (i = 0; i < l->src.pool_count; i++)
		ippool_free(&l->pools[i]);
	for (i = 0; i < l->src.affinity_count; i++)
		blockaffinity_free(&l->affs[i]);
	for (i = 0; i < l->src.secret_count; i++)
		secret_free(&l->secrets[i]);
	free(l);
}

/* Render w for w->self; the caller frees the text. */
static char *render(const struct world *w)
{
	struct loaded *l = load(w);
	struct bird_input in;
	char err[256], *text = NULL;
	size_t len = 0;

	assert_int_equal(bird_input_build(&l->src, &in, err, sizeof(err)), 0);
	assert_int_equal(bird_render(&in, &text, &len), 0);
	assert_int_equal(strlen(text), len);
	bird_input_free(&in);
	unload(l);
	return text;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, (size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* Compare with the golden file; TWILL_UPDATE_GOLDEN=1 rewrites it. */
static void golden(const char *name, const char *text)
{
	char path[512];
	char *want;
	size_t line = 1, i;

	snprintf(path, sizeof(path), "%s/bird/%s.conf", TWILL_TESTDATA, name);
	if (getenv("TWILL_UPDATE_GOLDEN")) {
		FILE *f = fopen(path, "wb");

		assert_non_null(f);
		fputs(text, f);
		fclose(f);
	}
	want = read_file(path);
	if (!want)
		fail_msg("missing golden file %s (run with TWILL_UPDATE_GOLDEN=1)", path);
	for (i = 0; want[i] && want[i] == text[i]; i++)
		line += want[i] == '\n';
	if (want[i] != text[i])
		fprintf(stderr, "%s differs at line %zu:\n--- got:\n%s\n", path, line, text);
	assert_string_equal(text, want);
	free(want);
}

static void has(const char *text, const char *needle)
{
	if (!strstr(text, needle))
		fail_msg("expected to find [%s] in:\n%s", needle, text);
}

static void lacks(const char *text, const char *needle)
{
	if (strstr(text, needle))
		fail_msg("expected NOT to find [%s] in:\n%s", needle, text);
}

/* Text of protocol `name` up to its closing line, for per-session checks. */
static char *protocol_block_of(const char *text, const char *type, const char *name)
{
	char head[128];
	const char *start, *end;

	snprintf(head, sizeof(head), "protocol %s %s {", type, name);
	start = strstr(text, head);
	if (!start)
		fail_msg("no [%s] in:\n%s", head, text);
	end = strstr(start, "\n}\n");
	assert_non_null(end);
	return strndup(start, (size_t)(end - start) + 3);
}

static char *protocol_block(const char *text, const char *name)
{
	return protocol_block_of(text, "bgp", name);
}

#define NODE_A NODE("node-a", "'rack':'a'", V4("10.0.0.1/24"))
#define NODE_B NODE("node-b", "'rack':'a'", V4("10.0.0.2/24"))
#define NODE_C NODE("node-c", "'rack':'b'", V4("10.0.0.3/24"))

static void test_mesh_active_passive(void **state)
{
	struct world w = { .self = "node-b", .nodes = { NODE_C, NODE_A, NODE_B },
			   .pools = { POOL_DEFAULT },
			   .affinities = { AFF("node-b", "10.244.1.0/26", "confirmed"),
					   AFF("node-a", "10.244.0.0/26", "confirmed") } };
	char *t = render(&w), *p;

	(void)state;
	golden("mesh", t);
	has(t, "router id 10.0.0.2;");
	/* node-a has the lower address: it initiates, node-b waits */
	p = protocol_block(t, "Mesh_10_0_0_1");
	has(p, "passive on;");
	has(p, "direct;");
	has(p, "gateway direct;");
	has(p, "description \"twill mesh node-a\";"); /* read by twillctl node status */
	free(p);
	p = protocol_block(t, "Mesh_10_0_0_3");
	lacks(p, "passive");
	has(p, "local 10.0.0.2 port 179 as 64512;");
	has(p, "neighbor 10.0.0.3 port 179 as 64512;");
	has(p, "graceful restart time 120;");
	free(p);
	lacks(t, "Mesh_10_0_0_2");
	has(t, "route 10.244.1.0/26 blackhole;");
	lacks(t, "10.244.0.0/26 blackhole");
	free(t);
}

#define RR_LABEL "'route-reflector':'true'"
#define RR1 NODE("rr-1", RR_LABEL, V4("10.0.0.10/24") ",'twill.dev/routeReflectorClusterID':'224.0.0.1'")
#define RR2 NODE("rr-2", RR_LABEL, V4("10.0.0.11/24") ",'twill.dev/routeReflectorClusterID':'224.0.0.1'")
#define RR_WORLD(self_name)                                                    \
	{ .self = self_name,                                                   \
	  .config = CONFIG("'nodeToNodeMeshEnabled':false"),                   \
	  .nodes = { RR1, RR2, NODE_A, NODE_B },                               \
	  .peers = { PEER("to-reflectors", "'nodeSelector':'all()','peerSelector':'has(route-reflector)'") }, \
	  .pools = { POOL_DEFAULT } }

static void test_rr_server(void **state)
{
	struct world w = RR_WORLD("rr-1");
	char *t = render(&w), *p;

	(void)state;
	golden("rr_server", t);
	lacks(t, "Mesh_");
	p = protocol_block(t, "Node_10_0_0_1");
	has(p, "rr client;");
	has(p, "rr cluster id 224.0.0.1;");
	has(p, "passive on;"); /* the client's address is lower: it initiates */
	has(p, "description \"twill rr node-a\";");
	free(p);
	p = protocol_block(t, "Node_10_0_0_11");
	lacks(p, "rr client");
	has(p, "description \"twill rr rr-2\";");
	free(p);
	/* a reflector passes on the clients' pool routes */
	has(t, "if source = RTS_BGP && net ~ [ 10.244.0.0/16+ ] then accept;");
	free(t);
}

static void test_rr_client(void **state)
{
	struct world w = RR_WORLD("node-a");
	char *t = render(&w);

	(void)state;
	golden("rr_client", t);
	has(t, "protocol bgp Node_10_0_0_10 {");
	has(t, "protocol bgp Node_10_0_0_11 {");
	has(t, "description \"twill rr rr-1\";"); /* the peer is a reflector */
	lacks(t, "10_0_0_2 {"); /* no session to the other client */
	lacks(t, "rr client");
	lacks(t, "RTS_BGP &&");
	free(t);
}

static void test_global_peer(void **state)
{
	struct world w = { .self = "node-a", .nodes = { NODE_A, NODE_B },
			   .peers = { PEER("tor", "'peerIP':'10.0.0.254','asNumber':65001") },
			   .pools = { POOL_DEFAULT } };
	char *t = render(&w), *p;

	(void)state;
	golden("global_peer", t);
	p = protocol_block(t, "Peer_10_0_0_254");
	has(p, "neighbor 10.0.0.254 port 179 as 65001;");
	has(p, "local 10.0.0.1 port 179 as 64512;");
	lacks(p, "passive");
	has(p, "direct;");
	has(p, "description \"twill global tor\";"); /* no node / nodeSelector */
	free(p);
	w.self = "node-b";
	t = (free(t), render(&w));
	has(t, "protocol bgp Peer_10_0_0_254 {");
	free(t);
}

static void test_node_specific_peer(void **state)
{
	struct world w = { .self = "node-a", .nodes = { NODE_A, NODE_B },
			   .peers = { PEER("tor-a", "'node':'node-a','peerIP':'192.0.2.1','asNumber':65001") },
			   .pools = { POOL_DEFAULT } };
	char *t = render(&w), *p;

	(void)state;
	golden("node_peer", t);
	p = protocol_block(t, "Peer_192_0_2_1");
	has(p, "multihop;"); /* not in node-a's subnet */
	lacks(p, "gateway direct");
	has(p, "description \"twill node tor-a\";");
	free(p);
	w.self = "node-b";
	t = (free(t), render(&w));
	lacks(t, "Peer_192_0_2_1");
	free(t);
}

static void test_node_selector_peer(void **state)
{
	struct world w = { .self = "node-c", .nodes = { NODE_A, NODE_B, NODE_C },
			   .peers = { PEER("rack-a-tor", "'nodeSelector':\"rack == 'a'\",'peerIP':'10.0.0.250','asNumber':65010"),
				      PEER("rack-b-tor", "'nodeSelector':\"rack == 'b'\",'peerIP':'10.0.0.251:1179','asNumber':65011") },
			   .pools = { POOL_DEFAULT } };
	char *t = render(&w);

	(void)state;
	golden("node_selector_peer", t);
	lacks(t, "10_0_0_250");
	has(t, "protocol bgp Peer_10_0_0_251_1179 {");
	has(t, "neighbor 10.0.0.251 port 1179 as 65011;");
	has(t, "description \"twill node rack-b-tor\";");
	free(t);
}

static void test_peer_selector_symmetric(void **state)
{
	struct world w = { .self = "node-a",
			   .config = CONFIG("'nodeToNodeMeshEnabled':false"),
			   .nodes = { NODE_A, NODE_B, NODE_C },
			   .peers = { PEER("a-to-b", "'nodeSelector':\"rack == 'a'\",'peerSelector':\"rack == 'b'\"") },
			   .pools = { POOL_DEFAULT } };
	char *t = render(&w), *p;

	(void)state;
	golden("peer_selector_a", t);
	p = protocol_block(t, "Node_10_0_0_3");
	lacks(p, "passive"); /* 10.0.0.1 < 10.0.0.3: node-a initiates */
	has(p, "description \"twill node node-c\";"); /* peerSelector, no reflector */
	free(p);
	lacks(t, "Node_10_0_0_2"); /* node-b is rack a too: not selected by peerSelector */
	/* node-c matches only the peerSelector, yet peers back with both rack-a nodes */
	w.self = "node-c";
	t = (free(t), render(&w));
	golden("peer_selector_c", t);
	p = protocol_block(t, "Node_10_0_0_1");
	has(p, "passive on;");
	free(p);
	has(t, "protocol bgp Node_10_0_0_2 {");
	free(t);
}

#define SECRETS SECRET("bgp-secrets", "'tor':'s3cret-tor','mesh':'m#sh\\\\pw'")

static void test_md5_password(void **state)
{
	struct world w = { .self = "node-a",
			   .config = CONFIG("'nodeMeshPassword':{'secretKeyRef':{'name':'bgp-secrets','key':'mesh'}}"),
			   .nodes = { NODE_A, NODE_B },
			   .peers = { PEER("tor", "'peerIP':'10.0.0.254','asNumber':65001,'password':{'secretKeyRef':{'name':'bgp-secrets','key':'tor'}}") },
			   .pools = { POOL_DEFAULT }, .secrets = { SECRETS } };
	char *t = render(&w), *p;

	(void)state;
	golden("md5", t);
	p = protocol_block(t, "Peer_10_0_0_254");
	has(p, "password \"s3cret-tor\";");
	free(p);
	p = protocol_block(t, "Mesh_10_0_0_2");
	has(p, "password \"m#sh\\pw\";");
	free(p);
	free(t);
}

static void test_md5_missing_secret_fails_closed(void **state)
{
	struct world w = { .self = "node-a", .nodes = { NODE_A, NODE_B },
			   .peers = { PEER("tor", "'peerIP':'10.0.0.254','asNumber':65001,'password':{'secretKeyRef':{'name':'nope','key':'tor'}}"),
				      PEER("tor2", "'peerIP':'10.0.0.253','asNumber':65001,'password':{'secretKeyRef':{'name':'bgp-secrets','key':'absent'}}") },
			   .pools = { POOL_DEFAULT }, .secrets = { SECRETS } };
	char *t = render(&w);

	(void)state;
	golden("md5_missing", t);
	/* never an unauthenticated session in place of an authenticated one */
	lacks(t, "protocol bgp Peer_10_0_0_254");
	lacks(t, "protocol bgp Peer_10_0_0_253");
	has(t, "# note: BGPPeer tor: password secret twill-system/nope key tor not found");
	has(t, "protocol bgp Mesh_10_0_0_2 {");
	free(t);
}

static void test_md5_hostile_password(void **state)
{
	struct world w = { .self = "node-a", .nodes = { NODE_A },
			   .peers = { PEER("tor", "'peerIP':'10.0.0.254','asNumber':65001,'password':{'secretKeyRef':{'name':'evil','key':'k'}}"),
				      PEER("tor2", "'peerIP':'10.0.0.253','asNumber':65001,'password':{'secretKeyRef':{'name':'evil','key':'nl'}}") },
			   .pools = { POOL_DEFAULT },
			   .secrets = { SECRET("evil", "'k':'x\"; } protocol bgp Inject { neighbor 1.2.3.4 as 1; ipv4; } #','nl':'a\\nb'") } };
	char *t = render(&w);

	(void)state;
	golden("md5_hostile", t);
	lacks(t, "Inject");
	lacks(t, "protocol bgp Peer_");
	has(t, "# note: BGPPeer tor: password in secret evil key k is empty, longer than 80 bytes or holds a double quote");
	free(t);
}

static void test_graceful_restart(void **state)
{
	struct world w = { .self = "node-a",
			   .config = CONFIG("'nodeMeshMaxRestartTime':'5m'"),
			   .nodes = { NODE_A, NODE_B },
			   .peers = { PEER("slow", "'peerIP':'10.0.0.250','asNumber':65001,'maxRestartTime':'1h30m'"),
				      PEER("quick", "'peerIP':'10.0.0.251','asNumber':65001,'maxRestartTime':'1500ms'"),
				      PEER("plain", "'peerIP':'10.0.0.252','asNumber':65001") },
			   .pools = { POOL_DEFAULT } };
	char *t = render(&w), *p;

	(void)state;
	golden("graceful_restart", t);
	p = protocol_block(t, "Mesh_10_0_0_2");
	has(p, "graceful restart time 300;");
	free(p);
	p = protocol_block(t, "Peer_10_0_0_250");
	has(p, "graceful restart time 4095;"); /* clamped to the 12-bit field */
	free(p);
	p = protocol_block(t, "Peer_10_0_0_251");
	has(p, "graceful restart time 2;"); /* rounded up */
	free(p);
	p = protocol_block(t, "Peer_10_0_0_252");
	has(p, "graceful restart on;");
	lacks(p, "graceful restart time");
	free(p);
	/* A restarting BIRD keeps the kernel's routes and prunes them only after
	 * the recovery (docs/bgp.md: Restarting BIRD without losing routes). */
	p = protocol_block_of(t, "kernel", "twill_kernel4");
	has(p, "persist;");
	has(p, "graceful restart;");
	free(p);
	free(t);
}

static void test_keep_original_next_hop(void **state)
{
	struct world w = { .self = "node-a", .nodes = { NODE_A },
			   .peers = { PEER("tor", "'peerIP':'10.0.0.254','asNumber':65001,'keepOriginalNextHop':true"),
				      PEER("tor2", "'peerIP':'10.0.0.253','asNumber':65001") },
			   .pools = { POOL_DEFAULT } };
	char *t = render(&w), *p;

	(void)state;
	golden("keep_next_hop", t);
	p = protocol_block(t, "Peer_10_0_0_254");
	has(p, "next hop keep;");
	free(p);
	p = protocol_block(t, "Peer_10_0_0_253");
	lacks(p, "next hop keep");
	free(p);
	free(t);
}

static void test_communities(void **state)
{
	struct world w = { .self = "node-a",
			   .config = CONFIG("'communities':[{'name':'no-export','value':'65535:65281'},{'name':'big','value':'64512:300:400'}],"
					    "'prefixAdvertisements':[{'cidr':'10.244.0.0/16','communities':['no-export','64512:100']},"
					    "{'cidr':'10.96.0.0/12','communities':['big']}],"
					    "'serviceClusterIPs':[{'cidr':'10.96.0.0/12'}]"),
			   .nodes = { NODE_A },
			   .pools = { POOL_DEFAULT },
			   .affinities = { AFF("node-a", "10.244.0.0/26", "confirmed") } };
	char *t = render(&w);

	(void)state;
	golden("communities", t);
	has(t, "\tif net ~ [ 10.244.0.0/16+ ] then {\n"
	       "\t\tbgp_community.add((65535, 65281));\n"
	       "\t\tbgp_community.add((64512, 100));\n\t}\n");
	has(t, "bgp_large_community.add((64512, 300, 400));");
	free(t);
}

static void test_service_ips(void **state)
{
	struct world w = { .self = "node-a",
			   .config = CONFIG("'serviceClusterIPs':[{'cidr':'10.96.0.0/12'},{'cidr':'fd00:96::/112'}],"
					    "'serviceExternalIPs':[{'cidr':'192.0.2.0/24'},{'cidr':'10.96.0.0/12'}],"
					    "'serviceLoadBalancerIPs':[{'cidr':'198.51.100.0/24'}]"),
			   .nodes = { NODE_A }, .pools = { POOL_DEFAULT } };
	char *t = render(&w);

	(void)state;
	golden("service_ips", t);
	has(t, "protocol static twill_services4 {\n\tipv4;\n"
	       "\troute 10.96.0.0/12 blackhole;\n\troute 192.0.2.0/24 blackhole;\n"
	       "\troute 198.51.100.0/24 blackhole;\n}\n");
	/* the IPv6 service range needs an IPv6 node address to be advertised */
	lacks(t, "fd00:96::");
	has(t, "if proto = \"twill_services4\" then accept;");
	free(t);
}

static void test_listen_port(void **state)
{
	struct world w = { .self = "node-a", .config = CONFIG("'listenPort':1790"),
			   .nodes = { NODE_A, NODE_B },
			   .peers = { PEER("tor", "'peerIP':'10.0.0.254','asNumber':65001") },
			   .pools = { POOL_DEFAULT } };
	char *t = render(&w), *p;

	(void)state;
	golden("listen_port", t);
	p = protocol_block(t, "Mesh_10_0_0_2"); /* other nodes listen there too */
	has(p, "local 10.0.0.1 port 1790 as 64512;");
	has(p, "neighbor 10.0.0.2 port 1790 as 64512;");
	free(p);
	p = protocol_block(t, "Peer_10_0_0_254");
	has(p, "neighbor 10.0.0.254 port 179 as 65001;");
	free(p);
	free(t);
}

#define DUAL_A NODE("node-a", "", V4("10.0.0.1/24") "," V6("fd00::1/64"))
#define DUAL_B NODE("node-b", "", V4("10.0.0.2/24") "," V6("fd00::2/64"))

static void test_ipv6_peers(void **state)
{
	struct world w = { .self = "node-b", .nodes = { DUAL_A, DUAL_B },
			   .peers = { PEER("tor6", "'peerIP':'[fd00::fe]:1179','asNumber':65001"),
				      PEER("far6", "'peerIP':'2001:db8::1','asNumber':65002") },
			   .pools = { POOL_DEFAULT, POOL("v6", "'cidr':'fd10::/48'") },
			   .affinities = { AFF("node-b", "10.244.1.0/26", "confirmed"),
					   AFF("node-b", "fd10::40/122", "confirmed") } };
	char *t = render(&w), *p;

	(void)state;
	golden("ipv6", t);
	p = protocol_block(t, "Mesh_fd00__1");
	has(p, "neighbor fd00::1 port 179 as 64512;");
	has(p, "\tipv6 {\n\t\timport filter twill_import_v6;");
	has(p, "passive on;");
	free(p);
	p = protocol_block(t, "Peer_fd00__fe_1179");
	has(p, "direct;");
	free(p);
	p = protocol_block(t, "Peer_2001_db8__1");
	has(p, "multihop;");
	free(p);
	has(t, "protocol static twill_blocks6 {\n\tipv6;\n\troute fd10::40/122 blackhole;\n}");
	has(t, "protocol kernel twill_kernel6 {");
	has(t, "if gw ~ fd00::/64 then accept;");
	free(t);
}

static void test_as_per_node_override(void **state)
{
	struct world w = { .self = "node-a", .config = CONFIG("'asNumber':64600"),
			   .nodes = { NODE("node-a", "", V4("10.0.0.1/24") ",'twill.dev/asNumber':'65100'"),
				      NODE_B },
			   .pools = { POOL_DEFAULT } };
	char *t = render(&w), *p;

	(void)state;
	golden("as_override", t);
	p = protocol_block(t, "Mesh_10_0_0_2");
	has(p, "local 10.0.0.1 port 179 as 65100;");
	has(p, "neighbor 10.0.0.2 port 179 as 64600;");
	free(p);
	free(t);
}

static void test_filters_own_blocks_and_pools(void **state)
{
	struct world w = { .self = "node-a", .nodes = { NODE_A, NODE_B },
			   .pools = { POOL_DEFAULT,
				      POOL("tunnelled", "'cidr':'10.250.0.0/16','ipipMode':'Always'"),
				      POOL("vx", "'cidr':'10.251.0.0/16','vxlanMode':'CrossSubnet'"),
				      POOL("private", "'cidr':'10.252.0.0/16','disableBGPExport':true") },
			   .affinities = { AFF("node-a", "10.244.0.64/26", "confirmed"),
					   AFF("node-a", "10.244.0.0/26", "confirmed"),
					   AFF("node-a", "10.252.0.0/26", "confirmed"),
					   AFF("node-a", "10.244.9.0/26", "pending"),
					   AFF("node-b", "10.244.1.0/26", "confirmed") } };
	char *t = render(&w);

	(void)state;
	golden("filters", t);
	has(t, "\tif net ~ [ 10.244.0.0/26+, 10.244.0.64/26+, 10.252.0.0/26+ ] then reject;\n\taccept;\n");
	has(t, "\tif net ~ [ 10.252.0.0/16+ ] then reject;\n");
	has(t, "\tif net ~ [ 10.250.0.0/16+ ] then reject;\n");
	has(t, "\tif gw ~ 10.0.0.0/24 then accept;\n\treject;\n");
	has(t, "\t\timport none;\n");
	lacks(t, "10.244.9.0"); /* pending claims are not advertised */
	lacks(t, "10.244.1.0");
	lacks(t, "10.251.0.0/16+ ] then reject"); /* CrossSubnet is decided by next hop */
	free(t);
}

static void test_ipv6_only_router_id(void **state)
{
	struct world w = { .self = "node-6", .nodes = { NODE("node-6", "", V6("fd00::6/64")),
							NODE("node-7", "", V6("fd00::7/64")) },
			   .pools = { POOL("v6", "'cidr':'fd10::/48'") } };
	char *t = render(&w), *t2;

	(void)state;
	golden("ipv6_only", t);
	has(t, "router id 24");
	lacks(t, "twill_kernel4");
	lacks(t, "ipv4");
	t2 = render(&w);
	assert_string_equal(t, t2);
	free(t);
	free(t2);
}

static void test_cross_subnet_mesh(void **state)
{
	struct world w = { .self = "node-a",
			   .nodes = { NODE_A, NODE("node-far", "", V4("10.1.0.5/24")) },
			   .pools = { POOL("vx", "'cidr':'10.244.0.0/16','vxlanMode':'CrossSubnet'") } };
	char *t = render(&w), *p;

	(void)state;
	golden("cross_subnet", t);
	p = protocol_block(t, "Mesh_10_1_0_5");
	has(p, "multihop;");
	lacks(p, "gateway direct");
	free(p);
	free(t);
}

static void test_deterministic_order(void **state)
{
	struct world w1 = { .self = "node-b", .nodes = { NODE_A, NODE_B, NODE_C },
			    .peers = { PEER("p1", "'peerIP':'10.0.0.250','asNumber':65001"),
				       PEER("p2", "'peerIP':'10.0.0.251','asNumber':65001") },
			    .pools = { POOL_DEFAULT, POOL("b", "'cidr':'10.200.0.0/16'") },
			    .affinities = { AFF("node-b", "10.244.1.0/26", "confirmed"),
					    AFF("node-b", "10.200.0.0/26", "confirmed") } };
	struct world w2 = { .self = "node-b", .nodes = { NODE_C, NODE_B, NODE_A },
			    .peers = { PEER("p2", "'peerIP':'10.0.0.251','asNumber':65001"),
				       PEER("p1", "'peerIP':'10.0.0.250','asNumber':65001") },
			    .pools = { POOL("b", "'cidr':'10.200.0.0/16'"), POOL_DEFAULT },
			    .affinities = { AFF("node-b", "10.200.0.0/26", "confirmed"),
					    AFF("node-b", "10.244.1.0/26", "confirmed") } };
	char *a = render(&w1), *b = render(&w2), *c = render(&w1);

	(void)state;
	assert_string_equal(a, b);
	assert_string_equal(a, c);
	/* sessions in rule order: mesh first, then peers by name */
	assert_true(strstr(a, "Mesh_10_0_0_3") < strstr(a, "Peer_10_0_0_250"));
	assert_true(strstr(a, "Peer_10_0_0_250") < strstr(a, "Peer_10_0_0_251"));
	free(a);
	free(b);
	free(c);
}

static void test_log_severity_and_node_config(void **state)
{
	struct world w = { .self = "node-a", .config = CONFIG("'logSeverityScreen':'Debug'"),
			   .nodes = { NODE_A }, .pools = { POOL_DEFAULT } };
	char *t = render(&w);

	(void)state;
	has(t, "log stderr all;");
	free(t);
	w.node_config = "{'apiVersion':'twill.dev/v1','kind':'BGPConfiguration','metadata':"
			"{'name':'node.node-a'},'spec':{'logSeverityScreen':'Error'}}";
	t = render(&w);
	has(t, "log stderr { error, auth, fatal, bug };");
	free(t);
}

static void test_hostile_names_stay_in_comments(void **state)
{
	struct world w = { .self = "node-a",
			   .nodes = { NODE_A, NODE("evil\nprotocol bgp X { }", "", V4("10.0.0.9/24")) },
			   .pools = { POOL_DEFAULT } };
	char *t = render(&w);

	(void)state;
	golden("hostile_names", t);
	lacks(t, "\nprotocol bgp X");
	has(t, "# node-to-node mesh with node evil?protocol bgp X { }\n");
	/* a BIRD string has no escapes: only name characters reach the description */
	has(t, "\tdescription \"twill mesh evil_protocol_bgp_X____\";\n");
	free(t);
}

static void test_duplicate_neighbour_one_session(void **state)
{
	struct world w = { .self = "node-a", .nodes = { NODE_A, NODE_B },
			   .peers = { PEER("dup", "'peerIP':'10.0.0.2','asNumber':64512") },
			   .pools = { POOL_DEFAULT } };
	char *t = render(&w);
	const char *first;

	(void)state;
	first = strstr(t, "neighbor 10.0.0.2 ");
	assert_non_null(first);
	assert_null(strstr(first + 1, "neighbor 10.0.0.2 "));
	has(t, "# note: dup: neighbour 10.0.0.2 port 179 already has a session; not duplicated");
	free(t);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_mesh_active_passive),
	cmocka_unit_test(test_rr_server),
	cmocka_unit_test(test_rr_client),
	cmocka_unit_test(test_global_peer),
	cmocka_unit_test(test_node_specific_peer),
	cmocka_unit_test(test_node_selector_peer),
	cmocka_unit_test(test_peer_selector_symmetric),
	cmocka_unit_test(test_md5_password),
	cmocka_unit_test(test_md5_missing_secret_fails_closed),
	cmocka_unit_test(test_md5_hostile_password),
	cmocka_unit_test(test_graceful_restart),
	cmocka_unit_test(test_keep_original_next_hop),
	cmocka_unit_test(test_communities),
	cmocka_unit_test(test_service_ips),
	cmocka_unit_test(test_listen_port),
	cmocka_unit_test(test_ipv6_peers),
	cmocka_unit_test(test_as_per_node_override),
	cmocka_unit_test(test_filters_own_blocks_and_pools),
	cmocka_unit_test(test_ipv6_only_router_id),
	cmocka_unit_test(test_cross_subnet_mesh),
	cmocka_unit_test(test_deterministic_order),
	cmocka_unit_test(test_log_severity_and_node_config),
	cmocka_unit_test(test_hostile_names_stay_in_comments),
	cmocka_unit_test(test_duplicate_neighbour_one_session),
};

TWILL_TEST_MAIN(tests)
