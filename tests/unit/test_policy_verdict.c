/* Truth tables for policy_verdict over the x/y/z × a/b/c cluster (see
 * test_policy_fixture.h), one case per NetworkPolicy semantic rule. A table
 * has one row per source pod and one column per destination pod, both in
 * the order x/a x/b x/c y/a y/b y/c z/a z/b z/c; '1' = allowed, '0' =
 * denied, '-' = the pod itself (not checked: it never leaves the pod). */
#include "twill_test.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "test_policy_fixture.h"
#include "policy_verdict.h"

static const char *const names[] = { "x/a", "x/b", "x/c", "y/a", "y/b", "y/c",
				     "z/a", "z/b", "z/c" };

static const char *proto_name(enum model_protocol p)
{
	return model_protocol_name(p);
}

static void check_table(struct fx *f, enum model_protocol proto, int port, const char *table)
{
	struct policy_ref src, dst;
	struct policy_verdict v;
	char why[512];
	size_t i, j, k = 0, bad = 0;

	for (i = 0; i < 9; i++)
		for (j = 0; j < 9; j++) {
			while (table[k] == ' ')
				k++;
			assert_true(table[k] == '0' || table[k] == '1' || table[k] == '-');
			if (table[k] != '-') {
				assert_int_equal(policy_ref_pod(&f->m, i, AF_INET, &src), 0);
				assert_int_equal(policy_ref_pod(&f->m, j, AF_INET, &dst), 0);
				assert_int_equal(policy_verdict(&f->m, &src, &dst, proto, port, &v), 0);
				if (v.allowed != (table[k] == '1')) {
					print_error("%s -> %s %d/%s: expected %s, got %s\n", names[i],
						    names[j], port, proto_name(proto),
						    table[k] == '1' ? "allow" : "deny",
						    policy_verdict_format(&f->m, &v, why, sizeof(why)));
					bad++;
				}
			}
			k++;
		}
	while (table[k] == ' ')
		k++;
	assert_int_equal(table[k], '\0');
	assert_int_equal(bad, 0);
}

static struct policy_verdict verdict(struct fx *f, const char *src, const char *dst,
				     enum model_protocol proto, int port)
{
	struct policy_ref s, d;
	struct policy_verdict v;
	struct ip_addr ip;
	char ns[8], name[8];

	if (strchr(src, '/')) {
		assert_int_equal(sscanf(src, "%7[^/]/%7s", ns, name), 2);
		assert_int_equal(policy_ref_pod(&f->m, (size_t)policy_model_find_pod(&f->m, ns, name),
						AF_INET, &s), 0);
	} else if (strcmp(src, "host") == 0) {
		memset(&s, 0, sizeof(s));
		s.kind = POLICY_REF_HOST;
		s.pod = -1;
	} else {
		assert_int_equal(ip_parse(src, &ip), 0);
		policy_ref_ip(&f->m, &ip, &s);
	}
	if (strchr(dst, '/')) {
		assert_int_equal(sscanf(dst, "%7[^/]/%7s", ns, name), 2);
		assert_int_equal(policy_ref_pod(&f->m, (size_t)policy_model_find_pod(&f->m, ns, name),
						AF_INET, &d), 0);
	} else {
		assert_int_equal(ip_parse(dst, &ip), 0);
		policy_ref_ip(&f->m, &ip, &d);
	}
	assert_int_equal(policy_verdict(&f->m, &s, &d, proto, port, &v), 0);
	return v;
}

static bool allowed(struct fx *f, const char *src, const char *dst, enum model_protocol proto,
		    int port)
{
	return verdict(f, src, dst, proto, port).allowed;
}

#define TCP MODEL_PROTO_TCP
#define UDP MODEL_PROTO_UDP
#define SCTP MODEL_PROTO_SCTP

static const char all_allowed[] = "-11 111 111  1-1 111 111  11- 111 111"
				  "111 -11 111  111 1-1 111  111 11- 111"
				  "111 111 -11  111 111 1-1  111 111 11-";
/* Ingress to every pod of x denied, all else allowed. */
static const char x_ingress_denied[] = "-00 111 111  0-0 111 111  00- 111 111"
				       "000 -11 111  000 1-1 111  000 11- 111"
				       "000 111 -11  000 111 1-1  000 111 11-";

static void test_no_policy_allows_everything(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f);
	fx_build(&f);
	check_table(&f, TCP, 80, all_allowed);
	check_table(&f, UDP, 80, all_allowed);
	assert_true(allowed(&f, "192.168.5.5", "x/a", TCP, 80));
	assert_true(allowed(&f, "x/a", "192.168.5.5", TCP, 443));
	fx_free(&f);
}

static void test_deny_all_ingress_absent_rules(void **state)
{
	struct fx f;
	struct policy_verdict v;

	(void)state;
	fx_init(&f);
	fx_policy(&f, "x", "deny-all", "{'podSelector':{}}");
	fx_build(&f);
	check_table(&f, TCP, 80, x_ingress_denied);
	check_table(&f, UDP, 80, x_ingress_denied);
	assert_false(allowed(&f, "192.168.5.5", "x/a", TCP, 80));
	v = verdict(&f, "y/a", "x/b", TCP, 80);
	assert_int_equal(v.reason, POLICY_REASON_INGRESS_DENIED);
	assert_true(v.ingress.isolated);
	assert_int_equal(v.ingress.isolating_count, 1);
	assert_false(v.egress.isolated);
	fx_free(&f);
}

static void test_ingress_empty_list_denies(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f);
	fx_policy(&f, "x", "empty", "{'podSelector':{},'ingress':[]}");
	fx_build(&f);
	check_table(&f, TCP, 80, x_ingress_denied);
	fx_free(&f);
}

static void test_ingress_empty_rule_allows_all(void **state)
{
	struct fx f;
	struct policy_verdict v;

	(void)state;
	fx_init(&f);
	fx_policy(&f, "x", "allow-all", "{'podSelector':{},'ingress':[{}]}");
	fx_build(&f);
	check_table(&f, TCP, 80, all_allowed);
	check_table(&f, SCTP, 9999, all_allowed);
	assert_true(allowed(&f, "192.168.5.5", "x/c", UDP, 53));
	v = verdict(&f, "y/a", "x/b", TCP, 80);
	assert_true(v.ingress.isolated);
	assert_int_equal(v.ingress.policy, 0);
	assert_int_equal(v.ingress.rule, 0);
	fx_free(&f);
}

static void test_policy_types_inferred_with_egress_rules(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f);
	/* no policyTypes + egress rules => Ingress and Egress, ingress denies all */
	fx_policy(&f, "x", "p", "{'podSelector':{'matchLabels':{'pod':'a'}},"
				"'egress':[{'to':[{'podSelector':{'matchLabels':{'pod':'b'}}}]}]}");
	fx_build(&f);
	check_table(&f, TCP, 80,
		    "-10 000 000  0-1 111 111  01- 111 111"
		    "011 -11 111  011 1-1 111  011 11- 111"
		    "011 111 -11  011 111 1-1  011 111 11-");
	fx_free(&f);
}

static void test_policy_types_egress_only(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f);
	fx_policy(&f, "x", "no-egress", "{'podSelector':{},'policyTypes':['Egress']}");
	fx_build(&f);
	check_table(&f, TCP, 80,
		    "-00 000 000  0-0 000 000  00- 000 000"
		    "111 -11 111  111 1-1 111  111 11- 111"
		    "111 111 -11  111 111 1-1  111 111 11-");
	assert_false(allowed(&f, "x/a", "8.8.8.8", UDP, 53));
	assert_true(allowed(&f, "8.8.8.8", "x/a", TCP, 80));
	fx_free(&f);
}

static void test_egress_empty_list_not_inferred(void **state)
{
	struct fx f;
	struct policy_verdict v;

	(void)state;
	fx_init(&f);
	/* egress: [] has no rules, so defaulting gives Ingress only */
	fx_policy(&f, "x", "p", "{'podSelector':{},'egress':[]}");
	fx_build(&f);
	check_table(&f, TCP, 80, x_ingress_denied);
	v = verdict(&f, "x/a", "8.8.8.8", TCP, 80);
	assert_true(v.allowed);
	assert_false(v.egress.isolated);
	fx_free(&f);
}

static void test_explicit_types_both_no_rules(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f);
	fx_policy(&f, "y", "lockdown", "{'podSelector':{'matchLabels':{'pod':'c'}},"
				       "'policyTypes':['Ingress','Egress']}");
	fx_build(&f);
	check_table(&f, TCP, 80,
		    "-11 110 111  1-1 110 111  11- 110 111"
		    "111 -10 111  111 1-0 111  000 00- 000"
		    "111 110 -11  111 110 1-1  111 110 11-");
	fx_free(&f);
}

static void test_pod_selector_own_namespace_only(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f);
	fx_policy(&f, "x", "from-b", "{'podSelector':{'matchLabels':{'pod':'a'}},"
				     "'ingress':[{'from':[{'podSelector':{'matchLabels':{'pod':'b'}}}]}]}");
	fx_build(&f);
	check_table(&f, TCP, 80,
		    "-11 111 111  1-1 111 111  01- 111 111"
		    "011 -11 111  011 1-1 111  011 11- 111"
		    "011 111 -11  011 111 1-1  011 111 11-");
	fx_free(&f);
}

static void test_namespace_selector_only(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f);
	fx_policy(&f, "x", "from-y", "{'podSelector':{},'ingress':[{'from':["
				     "{'namespaceSelector':{'matchLabels':{'ns':'y'}}}]}]}");
	fx_build(&f);
	check_table(&f, TCP, 80,
		    "-00 111 111  0-0 111 111  00- 111 111"
		    "111 -11 111  111 1-1 111  111 11- 111"
		    "000 111 -11  000 111 1-1  000 111 11-");
	fx_free(&f);
}

static void test_namespace_and_pod_selector_in_one_peer_is_and(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f);
	fx_policy(&f, "x", "and", "{'podSelector':{},'ingress':[{'from':[{"
				  "'namespaceSelector':{'matchLabels':{'ns':'y'}},"
				  "'podSelector':{'matchLabels':{'pod':'b'}}}]}]}");
	fx_build(&f);
	check_table(&f, TCP, 80,
		    "-00 111 111  0-0 111 111  00- 111 111"
		    "000 -11 111  111 1-1 111  000 11- 111"
		    "000 111 -11  000 111 1-1  000 111 11-");
	fx_free(&f);
}

static void test_separate_peers_are_or(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f);
	fx_policy(&f, "x", "or", "{'podSelector':{},'ingress':[{'from':["
				 "{'namespaceSelector':{'matchLabels':{'ns':'y'}}},"
				 "{'podSelector':{'matchLabels':{'pod':'b'}}}]}]}");
	fx_build(&f);
	check_table(&f, TCP, 80,
		    "-00 111 111  1-1 111 111  00- 111 111"
		    "111 -11 111  111 1-1 111  111 11- 111"
		    "000 111 -11  000 111 1-1  000 111 11-");
	fx_free(&f);
}

static void test_match_expressions_in(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f);
	fx_policy(&f, "x", "in", "{'podSelector':{},'ingress':[{'from':[{'namespaceSelector':"
				 "{'matchExpressions':[{'key':'ns','operator':'In','values':['x','z']}]}}]}]}");
	fx_build(&f);
	check_table(&f, TCP, 80,
		    "-11 111 111  1-1 111 111  11- 111 111"
		    "000 -11 111  000 1-1 111  000 11- 111"
		    "111 111 -11  111 111 1-1  111 111 11-");
	fx_free(&f);
}

static void test_match_expressions_not_in_matches_absent_key(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f);
	/* x has no env label at all: NotIn matches it; y (prod) does not */
	fx_policy(&f, "x", "notin", "{'podSelector':{},'ingress':[{'from':[{'namespaceSelector':"
				    "{'matchExpressions':[{'key':'env','operator':'NotIn','values':['prod']}]}}]}]}");
	fx_build(&f);
	check_table(&f, TCP, 80,
		    "-11 111 111  1-1 111 111  11- 111 111"
		    "000 -11 111  000 1-1 111  000 11- 111"
		    "111 111 -11  111 111 1-1  111 111 11-");
	fx_free(&f);
}

static void test_match_expressions_exists(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f);
	fx_policy(&f, "x", "exists", "{'podSelector':{},'ingress':[{'from':[{'namespaceSelector':"
				     "{'matchExpressions':[{'key':'env','operator':'Exists'}]}}]}]}");
	fx_build(&f);
	check_table(&f, TCP, 80,
		    "-00 111 111  0-0 111 111  00- 111 111"
		    "111 -11 111  111 1-1 111  111 11- 111"
		    "111 111 -11  111 111 1-1  111 111 11-");
	fx_free(&f);
}

static void test_match_expressions_does_not_exist_on_pods(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f);
	/* select pods without tier=db among pods with tier (a, b) via two
	 * requirements that must both hold, across all namespaces */
	fx_policy(&f, "x", "dne", "{'podSelector':{'matchExpressions':[{'key':'env','operator':"
				  "'DoesNotExist'},{'key':'tier','operator':'In','values':['db']}]},"
				  "'ingress':[{'from':[{'namespaceSelector':{},'podSelector':"
				  "{'matchExpressions':[{'key':'tier','operator':'NotIn','values':['db']}]}}]}]}");
	fx_build(&f);
	/* only x/c is selected; a and b pods from anywhere may reach it */
	check_table(&f, TCP, 80,
		    "-11 111 111  1-1 111 111  11- 111 111"
		    "111 -11 111  111 1-1 111  110 11- 111"
		    "111 111 -11  111 111 1-1  110 111 11-");
	fx_free(&f);
}

static void test_empty_namespace_selector_means_all_pods_not_external(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f);
	fx_policy(&f, "x", "all-ns", "{'podSelector':{},'ingress':[{'from':[{'namespaceSelector':{}}]}]}");
	fx_build(&f);
	check_table(&f, TCP, 80, all_allowed);
	assert_false(allowed(&f, "192.168.5.5", "x/a", TCP, 80));
	fx_free(&f);
}

static void test_empty_from_list_allows_all_sources(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f);
	fx_policy(&f, "x", "from-empty", "{'podSelector':{},'ingress':[{'from':[],'ports':[{'port':80}]}]}");
	fx_build(&f);
	check_table(&f, TCP, 80, all_allowed);
	check_table(&f, TCP, 81, x_ingress_denied);
	assert_true(allowed(&f, "192.168.5.5", "x/a", TCP, 80));
	fx_free(&f);
}

static void test_ip_block_external_and_pods(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f);
	/* 10.0.2.0/24 is namespace y's pods: ipBlock applies to pod IPs too */
	fx_policy(&f, "x", "cidr", "{'podSelector':{},'ingress':[{'from':[{'ipBlock':"
				   "{'cidr':'10.0.2.0/24'}},{'ipBlock':{'cidr':'192.168.0.0/16'}}]}]}");
	fx_build(&f);
	check_table(&f, TCP, 80,
		    "-00 111 111  0-0 111 111  00- 111 111"
		    "111 -11 111  111 1-1 111  111 11- 111"
		    "000 111 -11  000 111 1-1  000 111 11-");
	assert_true(allowed(&f, "192.168.5.5", "x/a", TCP, 80));
	assert_false(allowed(&f, "172.16.0.1", "x/a", TCP, 80));
	fx_free(&f);
}

static void test_ip_block_except_applies_to_pods(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f);
	fx_policy(&f, "x", "except", "{'podSelector':{},'ingress':[{'from':[{'ipBlock':"
				     "{'cidr':'10.0.0.0/8','except':['10.0.2.11/32','10.0.3.0/24']}}]}]}");
	fx_build(&f);
	check_table(&f, TCP, 80,
		    "-11 111 111  1-1 111 111  11- 111 111"
		    "111 -11 111  000 1-1 111  111 11- 111"
		    "000 111 -11  000 111 1-1  000 111 11-");
	assert_true(allowed(&f, "10.9.9.9", "x/a", TCP, 80));
	assert_false(allowed(&f, "10.0.3.200", "x/a", TCP, 80));
	fx_free(&f);
}

static void test_egress_ip_block_except(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f);
	fx_policy(&f, "x", "egress-cidr", "{'podSelector':{'matchLabels':{'pod':'a'}},"
					  "'policyTypes':['Egress'],'egress':[{'to':[{'ipBlock':"
					  "{'cidr':'0.0.0.0/0','except':['10.0.0.0/8']}}]}]}");
	fx_build(&f);
	assert_true(allowed(&f, "x/a", "8.8.8.8", UDP, 53));
	assert_false(allowed(&f, "x/a", "10.200.0.1", TCP, 80));
	assert_false(allowed(&f, "x/a", "y/b", TCP, 80));
	assert_true(allowed(&f, "x/b", "y/b", TCP, 80));
	fx_free(&f);
}

static void test_numeric_port_tcp_default(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f);
	fx_policy(&f, "x", "port80", "{'podSelector':{},'ingress':[{'ports':[{'port':80}]}]}");
	fx_build(&f);
	check_table(&f, TCP, 80, all_allowed);
	check_table(&f, TCP, 81, x_ingress_denied);
	check_table(&f, UDP, 80, x_ingress_denied);
	fx_free(&f);
}

static void test_udp_and_sctp_ports(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f);
	fx_policy(&f, "x", "udp", "{'podSelector':{},'ingress':[{'ports':[{'port':80,'protocol':'UDP'},"
				  "{'port':90,'protocol':'SCTP'}]}]}");
	fx_build(&f);
	check_table(&f, UDP, 80, all_allowed);
	check_table(&f, TCP, 80, x_ingress_denied);
	check_table(&f, SCTP, 90, all_allowed);
	check_table(&f, SCTP, 80, x_ingress_denied);
	fx_free(&f);
}

static void test_protocol_without_port_allows_all_its_ports(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f);
	fx_policy(&f, "x", "udp-any", "{'podSelector':{},'ingress':[{'ports':[{'protocol':'UDP'}]}]}");
	fx_build(&f);
	check_table(&f, UDP, 80, all_allowed);
	check_table(&f, UDP, 5353, all_allowed);
	check_table(&f, TCP, 80, x_ingress_denied);
	fx_free(&f);
}

static void test_end_port_range(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f);
	fx_policy(&f, "x", "range", "{'podSelector':{},'ingress':[{'ports':[{'port':80,'endPort':81}]}]}");
	fx_build(&f);
	check_table(&f, TCP, 80, all_allowed);
	check_table(&f, TCP, 81, all_allowed);
	check_table(&f, TCP, 82, x_ingress_denied);
	check_table(&f, TCP, 79, x_ingress_denied);
	fx_free(&f);
}

static void test_named_port_ingress_per_destination(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f);
	/* web = 80 on a and b, 81 on c */
	fx_policy(&f, "x", "web", "{'podSelector':{},'ingress':[{'ports':[{'port':'web'}]}]}");
	fx_build(&f);
	check_table(&f, TCP, 80,
		    "-10 111 111  1-0 111 111  11- 111 111"
		    "110 -11 111  110 1-1 111  110 11- 111"
		    "110 111 -11  110 111 1-1  110 111 11-");
	check_table(&f, TCP, 81,
		    "-01 111 111  0-1 111 111  00- 111 111"
		    "001 -11 111  001 1-1 111  001 11- 111"
		    "001 111 -11  001 111 1-1  001 111 11-");
	fx_free(&f);
}

static void test_named_port_egress_per_destination(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f);
	fx_policy(&f, "y", "web-out", "{'podSelector':{'matchLabels':{'pod':'a'}},"
				      "'policyTypes':['Egress'],'egress':[{'ports':[{'port':'web'}]}]}");
	fx_build(&f);
	assert_true(allowed(&f, "y/a", "x/a", TCP, 80));
	assert_false(allowed(&f, "y/a", "x/a", TCP, 81));
	assert_true(allowed(&f, "y/a", "z/c", TCP, 81));
	assert_false(allowed(&f, "y/a", "z/c", TCP, 80));
	/* not a pod: a named port resolves to nothing */
	assert_false(allowed(&f, "y/a", "8.8.8.8", TCP, 80));
	fx_free(&f);
}

static void test_named_port_needs_matching_protocol(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f);
	/* serve-80-udp is UDP; asking for it as TCP (the default) matches nothing */
	fx_policy(&f, "x", "wrong-proto", "{'podSelector':{},'ingress':[{'ports':[{'port':'serve-80-udp'}]}]}");
	fx_policy(&f, "x", "right-proto", "{'podSelector':{},'ingress':[{'ports':[{'port':'serve-81-tcp',"
					  "'protocol':'TCP'}]}]}");
	fx_build(&f);
	check_table(&f, UDP, 80, x_ingress_denied);
	check_table(&f, TCP, 80, x_ingress_denied);
	check_table(&f, TCP, 81, all_allowed);
	fx_free(&f);
}

static void test_policies_are_additive(void **state)
{
	struct fx f;
	struct policy_verdict v;

	(void)state;
	fx_init(&f);
	fx_policy(&f, "x", "b-from-y", "{'podSelector':{'matchLabels':{'pod':'b'}},'ingress':[{'from':"
				       "[{'namespaceSelector':{'matchLabels':{'ns':'y'}}}]}]}");
	fx_policy(&f, "x", "a-from-z", "{'podSelector':{'matchLabels':{'pod':'b'}},'ingress':[{'from':"
				       "[{'namespaceSelector':{'matchLabels':{'ns':'z'}}}]}]}");
	fx_build(&f);
	check_table(&f, TCP, 80,
		    "-01 111 111  1-1 111 111  10- 111 111"
		    "111 -11 111  111 1-1 111  111 11- 111"
		    "111 111 -11  111 111 1-1  111 111 11-");
	v = verdict(&f, "z/a", "x/b", TCP, 80);
	assert_int_equal(v.ingress.isolating_count, 2);
	/* canonical order: a-from-z sorts before b-from-y */
	assert_int_equal(v.ingress.policy, 0);
	assert_string_equal(f.m.entries[v.ingress.policy].np->meta.name, "a-from-z");
	fx_free(&f);
}

static void test_both_egress_and_ingress_must_allow(void **state)
{
	struct fx f;
	struct policy_verdict v;

	(void)state;
	fx_init(&f);
	/* x/a may send only to y; y/b accepts only from z */
	fx_policy(&f, "x", "a-to-y", "{'podSelector':{'matchLabels':{'pod':'a'}},'policyTypes':['Egress'],"
				     "'egress':[{'to':[{'namespaceSelector':{'matchLabels':{'ns':'y'}}}]}]}");
	fx_policy(&f, "y", "b-from-z", "{'podSelector':{'matchLabels':{'pod':'b'}},'ingress':[{'from':"
				       "[{'namespaceSelector':{'matchLabels':{'ns':'z'}}}]}]}");
	fx_build(&f);
	v = verdict(&f, "x/a", "y/b", TCP, 80);
	assert_false(v.allowed);
	assert_true(v.egress.allowed);
	assert_int_equal(v.reason, POLICY_REASON_INGRESS_DENIED);
	v = verdict(&f, "x/a", "z/b", TCP, 80);
	assert_false(v.allowed);
	assert_int_equal(v.reason, POLICY_REASON_EGRESS_DENIED);
	assert_true(allowed(&f, "x/a", "y/a", TCP, 80));
	assert_true(allowed(&f, "z/c", "y/b", TCP, 80));
	assert_false(allowed(&f, "x/b", "y/b", TCP, 80));
	fx_free(&f);
}

static void test_host_reaches_local_pods(void **state)
{
	struct fx f;
	struct policy_verdict v;

	(void)state;
	fx_init(&f);
	fx_policy(&f, "x", "deny-all", "{'podSelector':{},'policyTypes':['Ingress','Egress']}");
	fx_build(&f);
	v = verdict(&f, "host", "x/a", TCP, 8080);
	assert_true(v.allowed);
	assert_int_equal(v.reason, POLICY_REASON_HOST_LOCAL);
	/* another node's address is just an address */
	assert_false(allowed(&f, "192.168.1.2", "x/a", TCP, 8080));
	fx_free(&f);
}

static void test_host_network_pods_are_not_endpoints(void **state)
{
	struct fx f;
	struct policy_verdict v;

	(void)state;
	fx_init(&f);
	fx_add_pod(&f, "x", "hn", "'pod':'a'", "192.168.1.1", NULL, "n1", "'hostNetwork':true,", 80);
	fx_policy(&f, "x", "from-a", "{'podSelector':{},'ingress':[{'from':[{'podSelector':"
				     "{'matchLabels':{'pod':'a'}}}]}]}");
	fx_build(&f);
	/* hn carries pod=a but is neither selected nor a pod peer */
	assert_false(allowed(&f, "192.168.1.1", "x/b", TCP, 80));
	assert_true(allowed(&f, "x/a", "x/b", TCP, 80));
	v = verdict(&f, "x/b", "192.168.1.1", TCP, 80);
	assert_false(v.ingress.applies);
	assert_true(v.allowed);
	fx_free(&f);
}

static void test_finished_pods_are_not_peers(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f);
	/* x/done once held 10.0.1.99 and matched pod=b; it has finished */
	fx_add_pod(&f, "x", "done", "'pod':'b'", "10.0.1.99", NULL, "n1", NULL, 80);
	free(f.pods[f.pod_count - 1].phase);
	f.pods[f.pod_count - 1].phase = strdup("Succeeded");
	fx_policy(&f, "x", "from-b", "{'podSelector':{'matchLabels':{'pod':'a'}},"
				     "'ingress':[{'from':[{'podSelector':{'matchLabels':{'pod':'b'}}}]}]}");
	fx_build(&f);
	assert_true(allowed(&f, "x/b", "x/a", TCP, 80));
	assert_false(allowed(&f, "10.0.1.99", "x/a", TCP, 80));
	assert_false(policy_model_pod_is_endpoint(&f.m, f.pod_count - 1));
	fx_free(&f);
}

static void test_policy_selects_only_its_namespace(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f);
	fx_policy(&f, "z", "deny-a", "{'podSelector':{'matchLabels':{'pod':'a'}}}");
	fx_build(&f);
	check_table(&f, TCP, 80,
		    "-11 111 011  1-1 111 011  11- 111 011"
		    "111 -11 011  111 1-1 011  111 11- 011"
		    "111 111 -11  111 111 0-1  111 111 01-");
	fx_free(&f);
}

static void test_unknown_namespace_has_no_labels(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f);
	fx_add_pod(&f, "w", "a", "'pod':'a'", "10.0.4.10", NULL, "n2", NULL, 80);
	fx_policy(&f, "x", "not-prod", "{'podSelector':{},'ingress':[{'from':[{'namespaceSelector':"
				       "{'matchExpressions':[{'key':'env','operator':'DoesNotExist'}]}}]}]}");
	fx_build(&f);
	assert_true(allowed(&f, "10.0.4.10", "x/a", TCP, 80));
	assert_false(allowed(&f, "y/a", "x/a", TCP, 80));
	assert_true(allowed(&f, "x/b", "x/a", TCP, 80));
	fx_free(&f);
}

static void test_ipv6_ip_block(void **state)
{
	struct fx f;
	struct policy_ref s, d;
	struct policy_verdict v;

	(void)state;
	fx_init(&f);
	fx_policy(&f, "x", "v6", "{'podSelector':{},'ingress':[{'from':[{'ipBlock':"
				 "{'cidr':'fd00::/16','except':['fd00::3:0/112']}}]}]}");
	fx_build(&f);
	assert_int_equal(policy_ref_pod(&f.m, 3, AF_INET6, &s), 0); /* y/a */
	assert_int_equal(policy_ref_pod(&f.m, 0, AF_INET6, &d), 0); /* x/a */
	assert_int_equal(policy_verdict(&f.m, &s, &d, TCP, 80, &v), 0);
	assert_true(v.allowed);
	assert_int_equal(policy_ref_pod(&f.m, 6, AF_INET6, &s), 0); /* z/a */
	assert_int_equal(policy_verdict(&f.m, &s, &d, TCP, 80, &v), 0);
	assert_false(v.allowed);
	/* the IPv4 address of y/a is outside an IPv6 block */
	assert_false(allowed(&f, "y/a", "x/a", TCP, 80));
	fx_free(&f);
}

static void test_explanation_text(void **state)
{
	struct fx f;
	struct policy_verdict v;
	char buf[256];

	(void)state;
	fx_init(&f);
	fx_policy(&f, "x", "deny-all", "{'podSelector':{}}");
	fx_policy(&f, "x", "allow-80", "{'podSelector':{'matchLabels':{'pod':'a'}},"
				       "'ingress':[{'ports':[{'port':81}]},{'ports':[{'port':80}]}]}");
	fx_build(&f);
	v = verdict(&f, "y/a", "x/a", TCP, 80);
	assert_string_equal(policy_verdict_format(&f.m, &v, buf, sizeof(buf)),
			    "allow: egress: not isolated; ingress: allowed by x/allow-80 rule 1");
	v = verdict(&f, "y/a", "x/b", TCP, 80);
	assert_string_equal(policy_verdict_format(&f.m, &v, buf, sizeof(buf)),
			    "deny: egress: not isolated; ingress: isolated by x/deny-all (1 policy), "
			    "no rule allows");
	v = verdict(&f, "y/a", "x/a", TCP, 82);
	assert_string_equal(policy_verdict_format(&f.m, &v, buf, sizeof(buf)),
			    "deny: egress: not isolated; ingress: isolated by x/allow-80 (2 policies), "
			    "no rule allows");
	fx_free(&f);
}

static void test_bad_arguments(void **state)
{
	struct fx f;
	struct policy_ref s, d;
	struct policy_verdict v;

	(void)state;
	fx_init(&f);
	fx_build(&f);
	assert_int_equal(policy_ref_pod(&f.m, 0, AF_INET, &s), 0);
	assert_int_equal(policy_ref_pod(&f.m, 1, AF_INET, &d), 0);
	assert_int_equal(policy_ref_pod(&f.m, 99, AF_INET, &d), -ENOENT);
	assert_int_equal(policy_verdict(&f.m, &s, &d, TCP, 70000, &v), -EINVAL);
	assert_int_equal(policy_verdict(&f.m, &s, &d, TCP, -1, &v), -EINVAL);
	s.kind = POLICY_REF_HOST;
	assert_int_equal(policy_verdict(&f.m, &d, &s, TCP, 80, &v), -EINVAL);
	assert_int_equal(policy_model_build(NULL, &f.m), -EINVAL);
	fx_free(&f);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_no_policy_allows_everything),
	cmocka_unit_test(test_deny_all_ingress_absent_rules),
	cmocka_unit_test(test_ingress_empty_list_denies),
	cmocka_unit_test(test_ingress_empty_rule_allows_all),
	cmocka_unit_test(test_policy_types_inferred_with_egress_rules),
	cmocka_unit_test(test_policy_types_egress_only),
	cmocka_unit_test(test_egress_empty_list_not_inferred),
	cmocka_unit_test(test_explicit_types_both_no_rules),
	cmocka_unit_test(test_pod_selector_own_namespace_only),
	cmocka_unit_test(test_namespace_selector_only),
	cmocka_unit_test(test_namespace_and_pod_selector_in_one_peer_is_and),
	cmocka_unit_test(test_separate_peers_are_or),
	cmocka_unit_test(test_match_expressions_in),
	cmocka_unit_test(test_match_expressions_not_in_matches_absent_key),
	cmocka_unit_test(test_match_expressions_exists),
	cmocka_unit_test(test_match_expressions_does_not_exist_on_pods),
	cmocka_unit_test(test_empty_namespace_selector_means_all_pods_not_external),
	cmocka_unit_test(test_empty_from_list_allows_all_sources),
	cmocka_unit_test(test_ip_block_external_and_pods),
	cmocka_unit_test(test_ip_block_except_applies_to_pods),
	cmocka_unit_test(test_egress_ip_block_except),
	cmocka_unit_test(test_numeric_port_tcp_default),
	cmocka_unit_test(test_udp_and_sctp_ports),
	cmocka_unit_test(test_protocol_without_port_allows_all_its_ports),
	cmocka_unit_test(test_end_port_range),
	cmocka_unit_test(test_named_port_ingress_per_destination),
	cmocka_unit_test(test_named_port_egress_per_destination),
	cmocka_unit_test(test_named_port_needs_matching_protocol),
	cmocka_unit_test(test_policies_are_additive),
	cmocka_unit_test(test_both_egress_and_ingress_must_allow),
	cmocka_unit_test(test_host_reaches_local_pods),
	cmocka_unit_test(test_host_network_pods_are_not_endpoints),
	cmocka_unit_test(test_finished_pods_are_not_peers),
	cmocka_unit_test(test_policy_selects_only_its_namespace),
	cmocka_unit_test(test_unknown_namespace_has_no_labels),
	cmocka_unit_test(test_ipv6_ip_block),
	cmocka_unit_test(test_explanation_text),
	cmocka_unit_test(test_bad_arguments),
};

TWILL_TEST_MAIN(tests)
