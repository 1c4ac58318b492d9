/* policy_compile: golden files (tests/unit/data/policy/<name>.nft, validated
 * by the real nft in tests/e2e/test_policy_nft.py), the O(1) layout, and a
 * parity check: for every pod pair, protocol and port of interest, the
 * compiled sets allow exactly what policy_verdict allows on each side.
 * Set TWILL_UPDATE_GOLDEN=1 to rewrite the golden files after a reviewed
 * change. */
#include "twill_test.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "test_policy_fixture.h"
#include "policy_compile.h"
#include "policy_ranges.h"
#include "policy_verdict.h"

static const struct policy_endpoint node1[] = {
	{ "twxa", "x", "a" }, { "twxb", "x", "b" }, { "twxc", "x", "c" },
};

static const struct policy_endpoint all_pods[] = {
	{ "twxa", "x", "a" }, { "twxb", "x", "b" }, { "twxc", "x", "c" },
	{ "twya", "y", "a" }, { "twyb", "y", "b" }, { "twyc", "y", "c" },
	{ "twza", "z", "a" }, { "twzb", "z", "b" }, { "twzc", "z", "c" },
};

static char *render(const struct policy_ruleset *rs)
{
	char *text;

	assert_int_equal(policy_ruleset_render_string(rs, false, &text), 0);
	return text;
}

static void check_golden(const struct policy_ruleset *rs, const char *name)
{
	char path[512], *text = render(rs), *want;
	FILE *f;
	long size;

	snprintf(path, sizeof(path), "%s/policy/%s.nft", TWILL_TESTDATA, name);
	if (getenv("TWILL_UPDATE_GOLDEN")) {
		f = fopen(path, "w");
		assert_non_null(f);
		fputs(text, f);
		fclose(f);
	}
	f = fopen(path, "r");
	if (!f)
		fail_msg("missing golden file %s", path);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	want = calloc(1, (size_t)size + 1);
	assert_non_null(want);
	assert_int_equal(fread(want, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	if (strcmp(text, want) != 0)
		print_error("compiled ruleset differs from %s:\n%s\n", path, text);
	assert_string_equal(text, want);
	free(want);
	free(text);
}

static void compile(struct fx *f, const struct policy_endpoint *eps, size_t n,
		    struct policy_ruleset *rs)
{
	fx_build(f);
	assert_int_equal(policy_compile(&f->m, eps, n, rs), 0);
}

static void test_golden_no_policies(void **state)
{
	struct policy_ruleset rs;
	struct fx f;

	(void)state;
	fx_init(&f);
	compile(&f, node1, 3, &rs);
	check_golden(&rs, "no_policies");
	/* nothing isolated: no endpoint chains, empty maps; but every endpoint
	 * is known, so none of them meets the unknown-interface drop */
	assert_int_equal(rs.chain_count, 2);
	assert_int_equal(policy_ruleset_find_set(&rs, POLICY_MAP_TO_POD)->elements.count, 0);
	assert_int_equal(policy_ruleset_find_set(&rs, POLICY_SET_ENDPOINTS)->elements.count, 3);
	policy_ruleset_free(&rs);
	fx_free(&f);
}

static void test_golden_deny_all(void **state)
{
	struct policy_ruleset rs;
	struct fx f;

	(void)state;
	fx_init(&f);
	fx_policy(&f, "x", "deny-all", "{'podSelector':{},'policyTypes':['Ingress','Egress']}");
	compile(&f, node1, 3, &rs);
	check_golden(&rs, "deny_all");
	assert_int_equal(policy_ruleset_find_set(&rs, POLICY_MAP_TO_POD)->elements.count, 3);
	assert_int_equal(policy_ruleset_find_set(&rs, "to_twxa_v4")->elements.count, 0);
	policy_ruleset_free(&rs);
	fx_free(&f);
}

static void add_mixed_policies(struct fx *f)
{
	fx_policy(f, "x", "web", "{'podSelector':{'matchLabels':{'tier':'web'}},'ingress':["
				 "{'from':[{'namespaceSelector':{'matchLabels':{'ns':'y'}},"
				 "'podSelector':{'matchLabels':{'pod':'b'}}},{'podSelector':{}}],"
				 "'ports':[{'port':80},{'port':'web'},{'port':81,'protocol':'UDP'}]},"
				 "{'from':[{'ipBlock':{'cidr':'10.0.0.0/16','except':['10.0.3.0/24',"
				 "'10.0.2.11/32']}},{'ipBlock':{'cidr':'fd00::/16','except':['fd00::3:0/112']}}],"
				 "'ports':[{'port':8000,'endPort':8080},{'protocol':'SCTP'}]}]}");
	fx_policy(f, "x", "db", "{'podSelector':{'matchLabels':{'tier':'db'}},"
				"'policyTypes':['Ingress','Egress'],'ingress':[{'from':[{'podSelector':"
				"{'matchExpressions':[{'key':'tier','operator':'In','values':['web']}]}}]}],"
				"'egress':[{'to':[{'namespaceSelector':{'matchExpressions':[{'key':'env',"
				"'operator':'Exists'}]}}],'ports':[{'port':'web'},{'port':'serve-80-udp',"
				"'protocol':'UDP'}]},{'to':[{'ipBlock':{'cidr':'0.0.0.0/0','except':"
				"['10.0.0.0/8','192.168.0.0/16']}}],'ports':[{'port':53,'protocol':'UDP'}]}]}");
	fx_policy(f, "y", "from-x", "{'podSelector':{'matchLabels':{'pod':'a'}},'ingress':[{'from':"
				    "[{'namespaceSelector':{'matchLabels':{'ns':'x'}}}]}]}");
}

static void test_golden_mixed(void **state)
{
	struct policy_ruleset rs;
	struct fx f;

	(void)state;
	fx_init(&f);
	add_mixed_policies(&f);
	compile(&f, node1, 3, &rs);
	check_golden(&rs, "mixed");
	policy_ruleset_free(&rs);
	fx_free(&f);
}

/* ---- parity: parse the compiled elements back and test membership ---- */

struct elem {
	int family;
	policy_u128 lo, hi;
	int has_port;
	enum model_protocol proto;
	int plo, phi;
};

static void parse_addr_range(const char *text, struct elem *e)
{
	char a[64], b[64];
	struct ip_addr ip;
	struct cidr c;
	const char *dash = strchr(text, '-');

	if (strchr(text, '/')) {
		assert_int_equal(cidr_parse(text, &c), 0);
		e->family = c.addr.family;
		{
			unsigned bits = c.addr.family == AF_INET ? 32 : 128, host = bits - c.prefix_len;
			policy_u128 mask = host >= 128 ? ~(policy_u128)0 : (((policy_u128)1 << host) - 1);

			e->lo = policy_addr_value(&c.addr) & ~mask;
			e->hi = e->lo | mask;
		}
	} else if (dash) {
		snprintf(a, sizeof(a), "%.*s", (int)(dash - text), text);
		snprintf(b, sizeof(b), "%s", dash + 1);
		assert_int_equal(ip_parse(a, &ip), 0);
		e->family = ip.family;
		e->lo = policy_addr_value(&ip);
		assert_int_equal(ip_parse(b, &ip), 0);
		e->hi = policy_addr_value(&ip);
	} else {
		assert_int_equal(ip_parse(text, &ip), 0);
		e->family = ip.family;
		e->lo = e->hi = policy_addr_value(&ip);
	}
}

static void parse_elem(const char *text, struct elem *e)
{
	char addr[128], proto[8], ports[32];

	memset(e, 0, sizeof(*e));
	if (sscanf(text, "%127s . %7s . %31s", addr, proto, ports) == 3) {
		e->has_port = 1;
		e->proto = strcmp(proto, "tcp") == 0 ? MODEL_PROTO_TCP :
			   strcmp(proto, "udp") == 0 ? MODEL_PROTO_UDP : MODEL_PROTO_SCTP;
		if (sscanf(ports, "%d-%d", &e->plo, &e->phi) != 2)
			e->phi = e->plo = atoi(ports);
	} else {
		snprintf(addr, sizeof(addr), "%s", text);
	}
	parse_addr_range(addr, e);
}

static bool set_has(const struct policy_ruleset *rs, const char *name, const struct ip_addr *ip,
		    int with_port, enum model_protocol proto, int port)
{
	const struct policy_set *s = policy_ruleset_find_set(rs, name);
	policy_u128 v = policy_addr_value(ip);
	struct elem e;
	size_t i;

	assert_non_null(s);
	for (i = 0; i < s->elements.count; i++) {
		parse_elem(s->elements.items[i], &e);
		if (e.family != ip->family || v < e.lo || v > e.hi)
			continue;
		if (!with_port || (e.proto == proto && port >= e.plo && port <= e.phi))
			return true;
	}
	return false;
}

/* What the compiled ruleset says about one side: the endpoint's own chain
 * (absent = not isolated = allowed) looked up with the other end's IP. */
static bool compiled_allows(const struct policy_ruleset *rs, const char *dir, const char *iface,
			    const struct ip_addr *other, enum model_protocol proto, int port)
{
	char name[64];
	const char *fam = other->family == AF_INET ? "v4" : "v6";

	snprintf(name, sizeof(name), "%s_%s", dir, iface);
	if (!policy_ruleset_find_chain(rs, name))
		return true;
	snprintf(name, sizeof(name), "%s_%s_%s", dir, iface, fam);
	if (set_has(rs, name, other, 0, proto, port))
		return true;
	snprintf(name, sizeof(name), "%s_%s_%sp", dir, iface, fam);
	return set_has(rs, name, other, 1, proto, port);
}

static void check_parity(struct fx *f, const struct policy_ruleset *rs, int family)
{
	static const int ports[] = { 53, 79, 80, 81, 82, 8000, 8080, 8081, 9999 };
	struct policy_ref s, d;
	struct policy_verdict v;
	size_t i, j, k;
	int p, mism = 0;

	for (i = 0; i < 9; i++)
		for (j = 0; j < 9; j++)
			for (p = MODEL_PROTO_TCP; p <= MODEL_PROTO_SCTP; p++)
				for (k = 0; k < sizeof(ports) / sizeof(ports[0]); k++) {
					bool in, out;

					if (i == j)
						continue;
					assert_int_equal(policy_ref_pod(&f->m, i, family, &s), 0);
					assert_int_equal(policy_ref_pod(&f->m, j, family, &d), 0);
					assert_int_equal(policy_verdict(&f->m, &s, &d, (enum model_protocol)p,
									ports[k], &v), 0);
					out = compiled_allows(rs, "from", all_pods[i].iface, &d.ip,
							      (enum model_protocol)p, ports[k]);
					in = compiled_allows(rs, "to", all_pods[j].iface, &s.ip,
							     (enum model_protocol)p, ports[k]);
					if (out != v.egress.allowed || in != v.ingress.allowed) {
						print_error("%s -> %s %d/%d fam %d: verdict e=%d i=%d, "
							    "compiled e=%d i=%d\n", all_pods[i].iface,
							    all_pods[j].iface, ports[k], p, family,
							    v.egress.allowed, v.ingress.allowed, out, in);
						mism++;
					}
				}
	assert_int_equal(mism, 0);
}

static void test_parity_with_verdict(void **state)
{
	struct policy_ruleset rs;
	struct fx f;

	(void)state;
	fx_init(&f);
	add_mixed_policies(&f);
	fx_policy(&f, "z", "egress-web", "{'podSelector':{},'policyTypes':['Egress'],'egress':["
					 "{'to':[{'ipBlock':{'cidr':'10.0.0.0/14','except':['10.0.1.12/32']}}],"
					 "'ports':[{'port':'web'},{'port':8000,'endPort':8080,'protocol':'UDP'}]}]}");
	compile(&f, all_pods, 9, &rs);
	check_parity(&f, &rs, AF_INET);
	check_parity(&f, &rs, AF_INET6);
	policy_ruleset_free(&rs);
	fx_free(&f);
}

static void test_chain_length_independent_of_policy_count(void **state)
{
	struct policy_ruleset one, many;
	struct fx f1, f2;
	char name[32];
	size_t i;

	(void)state;
	fx_init(&f1);
	fx_policy(&f1, "x", "p0", "{'podSelector':{},'ingress':[{'ports':[{'port':80}]}]}");
	compile(&f1, node1, 3, &one);
	fx_init(&f2);
	for (i = 0; i < FX_MAX_POLICIES; i++) {
		char spec[256];

		snprintf(name, sizeof(name), "p%zu", i);
		snprintf(spec, sizeof(spec), "{'podSelector':{},'ingress':[{'from':[{'ipBlock':"
					     "{'cidr':'192.168.%zu.0/24'}}],'ports':[{'port':%zu}]}]}",
			 i, 1000 + i);
		fx_policy(&f2, "x", name, spec);
	}
	compile(&f2, node1, 3, &many);
	assert_int_equal(one.chain_count, many.chain_count);
	for (i = 0; i < one.chain_count; i++)
		assert_int_equal(one.chains[i].rules.count, many.chains[i].rules.count);
	assert_int_equal(policy_ruleset_find_chain(&many, "to_twxa")->rules.count, 5);
	assert_int_equal(policy_ruleset_find_set(&many, "to_twxa_v4p")->elements.count,
			 FX_MAX_POLICIES);
	policy_ruleset_free(&one);
	policy_ruleset_free(&many);
	fx_free(&f1);
	fx_free(&f2);
}

static void test_overlapping_rules_make_disjoint_elements(void **state)
{
	struct policy_ruleset rs;
	struct fx f;
	const struct policy_set *s;

	(void)state;
	fx_init(&f);
	fx_policy(&f, "x", "p1", "{'podSelector':{'matchLabels':{'pod':'a'}},'ingress':[{'from':"
				 "[{'ipBlock':{'cidr':'10.0.0.0/16'}}],'ports':[{'port':80,'endPort':90}]}]}");
	fx_policy(&f, "x", "p2", "{'podSelector':{'matchLabels':{'pod':'a'}},'ingress':[{'from':"
				 "[{'ipBlock':{'cidr':'10.0.1.0/24'}}],'ports':[{'port':85,'endPort':100}]},"
				 "{'from':[{'ipBlock':{'cidr':'10.1.0.0/16'}},{'ipBlock':{'cidr':'10.0.0.0/8',"
				 "'except':['10.0.0.0/9']}}]}]}");
	compile(&f, node1, 1, &rs);
	s = policy_ruleset_find_set(&rs, "to_twxa_v4p");
	assert_int_equal(s->elements.count, 3);
	assert_string_equal(s->elements.items[0], "10.0.0.0/24 . tcp . 80-90");
	assert_string_equal(s->elements.items[1], "10.0.1.0/24 . tcp . 80-100");
	assert_string_equal(s->elements.items[2], "10.0.2.0-10.0.255.255 . tcp . 80-90");
	s = policy_ruleset_find_set(&rs, "to_twxa_v4");
	assert_int_equal(s->elements.count, 2);
	assert_string_equal(s->elements.items[0], "10.1.0.0/16");
	assert_string_equal(s->elements.items[1], "10.128.0.0/9");
	policy_ruleset_free(&rs);
	fx_free(&f);
}

static void test_bad_endpoints(void **state)
{
	static const struct policy_endpoint bad_name[] = { { "tw-x-a", "x", "a" } };
	static const struct policy_endpoint unknown[] = { { "twq", "x", "nope" } };
	static const struct policy_endpoint dup[] = { { "twxa", "x", "a" }, { "twxa", "x", "b" } };
	struct policy_ruleset rs;
	struct fx f;

	(void)state;
	fx_init(&f);
	fx_policy(&f, "x", "deny-all", "{'podSelector':{}}");
	fx_build(&f);
	assert_int_equal(policy_compile(&f.m, bad_name, 1, &rs), -EINVAL);
	assert_int_equal(policy_compile(&f.m, dup, 2, &rs), -EINVAL);
	assert_int_equal(policy_compile(&f.m, unknown, 1, &rs), 0);
	assert_int_equal(rs.chain_count, 2);
	/* an interface whose pod is unknown is not an endpoint: the base chains'
	 * "unknown pod interface" rules drop its new connections */
	assert_int_equal(policy_ruleset_find_set(&rs, POLICY_SET_ENDPOINTS)->elements.count, 0);
	policy_ruleset_free(&rs);
	assert_int_equal(policy_compile(NULL, node1, 1, &rs), -EINVAL);
	fx_free(&f);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_golden_no_policies),
	cmocka_unit_test(test_golden_deny_all),
	cmocka_unit_test(test_golden_mixed),
	cmocka_unit_test(test_parity_with_verdict),
	cmocka_unit_test(test_chain_length_independent_of_policy_count),
	cmocka_unit_test(test_overlapping_rules_make_disjoint_elements),
	cmocka_unit_test(test_bad_endpoints),
};

TWILL_TEST_MAIN(tests)
