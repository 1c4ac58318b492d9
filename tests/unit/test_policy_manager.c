/* policy_manager on a fake dataplane: nothing before sync, one apply per
 * change, none without, bad objects never drop a cached policy, failures
 * retried, endpoints are this node's pods under their CNI veth names. */
#include "twill_test.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "cni_names.h"
#include "test_policy_fixture.h"
#include "policy_manager.h"

struct fake {
	int calls;
	int resyncs;
	int removes;
	int fail_remove;
	int fail_next;
	char *last; /* rendered table of the last apply */
};

static int fake_apply(void *ctx, struct policy_ruleset *desired)
{
	struct fake *f = ctx;

	f->calls++;
	if (f->fail_next) {
		f->fail_next = 0;
		return -EIO;
	}
	free(f->last);
	assert_int_equal(policy_ruleset_render_string(desired, false, &f->last), 0);
	return 0;
}

static void fake_resync(void *ctx)
{
	((struct fake *)ctx)->resyncs++;
}

static int fake_remove(void *ctx)
{
	struct fake *f = ctx;

	f->removes++;
	if (f->fail_remove) {
		f->fail_remove = 0;
		return -EIO;
	}
	free(f->last);
	f->last = NULL;
	return 0;
}

struct env {
	struct fx fx;
	struct fake fake;
	struct policy_manager *m;
};

static void env_init(struct env *e)
{
	struct policy_manager_ops ops = { .apply = fake_apply, .resync = fake_resync,
					   .remove = fake_remove };
	json_object *o;
	size_t i;

	memset(e, 0, sizeof(*e));
	fx_init(&e->fx);
	ops.ctx = &e->fake;
	assert_int_equal(policy_manager_new("n1", &ops, &e->m), 0);
	for (i = 0; i < e->fx.pod_count; i++) {
		o = pod_to_json(&e->fx.pods[i]);
		assert_int_equal(policy_manager_on_pod(e->m, o, false), 0);
		json_object_put(o);
	}
	for (i = 0; i < 3; i++) {
		o = namespace_to_json(&e->fx.ns[i]);
		assert_int_equal(policy_manager_on_namespace(e->m, o, false), 0);
		json_object_put(o);
	}
}

static void env_free(struct env *e)
{
	policy_manager_free(e->m);
	free(e->fake.last);
	fx_free(&e->fx);
}

static void add_policy(struct env *e, const char *ns, const char *name, const char *spec)
{
	json_object *o;

	fx_policy(&e->fx, ns, name, spec);
	o = networkpolicy_to_json(&e->fx.np[e->fx.np_count - 1]);
	assert_int_equal(policy_manager_on_policy(e->m, o, false), 0);
	json_object_put(o);
}

static const char *veth(const char *ns, const char *pod)
{
	static char name[CNI_IFNAME_MAX + 1];

	assert_int_equal(cni_host_veth_name(ns, pod, NULL, name), 0);
	return name;
}

static void test_nothing_applied_before_sync(void **state)
{
	struct env e;

	(void)state;
	env_init(&e);
	add_policy(&e, "x", "deny", "{'podSelector':{}}");
	policy_manager_set_synced(e.m, POLICY_KIND_POD | POLICY_KIND_NAMESPACE);
	assert_int_equal(policy_manager_apply(e.m), -EAGAIN);
	assert_int_equal(e.fake.calls, 0);
	assert_false(policy_manager_ready(e.m));
	policy_manager_set_synced(e.m, POLICY_KIND_NETWORKPOLICY);
	assert_int_equal(policy_manager_apply(e.m), 0);
	assert_int_equal(e.fake.calls, 1);
	assert_true(policy_manager_ready(e.m));
	env_free(&e);
}

static void test_local_endpoints_use_cni_veth_names(void **state)
{
	struct policy_manager_stats st;
	char want[128];
	struct env e;

	(void)state;
	env_init(&e);
	add_policy(&e, "x", "deny", "{'podSelector':{}}");
	add_policy(&e, "y", "deny", "{'podSelector':{}}");
	policy_manager_set_synced(e.m, POLICY_KIND_ALL);
	assert_int_equal(policy_manager_apply(e.m), 0);
	/* x's pods are on n1, y's on n2: only x's are endpoints here */
	snprintf(want, sizeof(want), "\"%s\" : jump to_%s", veth("x", "a"), veth("x", "a"));
	assert_non_null(strstr(e.fake.last, want));
	snprintf(want, sizeof(want), "\"%s\"", veth("y", "a"));
	assert_null(strstr(e.fake.last, want));
	policy_manager_stats(e.m, &st);
	assert_int_equal(st.endpoints, 3);
	assert_int_equal(st.policies, 2);
	env_free(&e);
}

static void test_apply_only_when_dirty(void **state)
{
	struct env e;
	json_object *o;

	(void)state;
	env_init(&e);
	policy_manager_set_synced(e.m, POLICY_KIND_ALL);
	assert_int_equal(policy_manager_apply(e.m), 0);
	assert_int_equal(policy_manager_apply(e.m), 0);
	assert_int_equal(e.fake.calls, 1);
	assert_false(policy_manager_dirty(e.m));
	/* deleting something unknown changes nothing */
	o = fx_json("{'apiVersion':'v1','kind':'Pod','metadata':{'name':'ghost','namespace':'x'}}");
	assert_int_equal(policy_manager_on_pod(e.m, o, true), 0);
	json_object_put(o);
	assert_false(policy_manager_dirty(e.m));
	add_policy(&e, "x", "deny", "{'podSelector':{'matchLabels':{'pod':'b'}}}");
	assert_true(policy_manager_dirty(e.m));
	assert_int_equal(policy_manager_apply(e.m), 0);
	assert_int_equal(e.fake.calls, 2);
	assert_non_null(strstr(e.fake.last, veth("x", "b")));
	env_free(&e);
}

static void test_delete_and_label_change(void **state)
{
	struct env e;
	json_object *o;
	char want[128];

	(void)state;
	env_init(&e);
	add_policy(&e, "x", "deny-b", "{'podSelector':{'matchLabels':{'pod':'b'}}}");
	policy_manager_set_synced(e.m, POLICY_KIND_ALL);
	assert_int_equal(policy_manager_apply(e.m), 0);
	snprintf(want, sizeof(want), "jump to_%s", veth("x", "b"));
	assert_non_null(strstr(e.fake.last, want));
	/* x/c relabelled pod=b: now selected too */
	o = fx_json("{'apiVersion':'v1','kind':'Pod','metadata':{'name':'c','namespace':'x',"
		    "'labels':{'pod':'b'}},'spec':{'nodeName':'n1','containers':[{'name':'app'}]},"
		    "'status':{'podIP':'10.0.1.12'}}");
	assert_int_equal(policy_manager_on_pod(e.m, o, false), 0);
	json_object_put(o);
	assert_int_equal(policy_manager_apply(e.m), 0);
	snprintf(want, sizeof(want), "jump to_%s", veth("x", "c"));
	assert_non_null(strstr(e.fake.last, want));
	/* policy deleted: nobody isolated */
	o = fx_json("{'apiVersion':'networking.k8s.io/v1','kind':'NetworkPolicy','metadata':"
		    "{'name':'deny-b','namespace':'x'}}");
	assert_int_equal(policy_manager_on_policy(e.m, o, true), 0);
	json_object_put(o);
	assert_int_equal(policy_manager_apply(e.m), 0);
	assert_null(strstr(e.fake.last, "jump"));
	env_free(&e);
}

static void test_bad_update_keeps_cached_policy(void **state)
{
	struct env e;
	json_object *o;

	(void)state;
	env_init(&e);
	add_policy(&e, "x", "deny", "{'podSelector':{}}");
	policy_manager_set_synced(e.m, POLICY_KIND_ALL);
	assert_int_equal(policy_manager_apply(e.m), 0);
	o = fx_json("{'apiVersion':'networking.k8s.io/v1','kind':'NetworkPolicy','metadata':"
		    "{'name':'deny','namespace':'x'},'spec':{'podSelector':{'matchExpressions':"
		    "[{'key':'k','operator':'Equals'}]}}}");
	assert_int_equal(policy_manager_on_policy(e.m, o, false), -EINVAL);
	json_object_put(o);
	assert_false(policy_manager_dirty(e.m));
	o = fx_json("{'metadata':{}}");
	assert_int_equal(policy_manager_on_pod(e.m, o, false), -EINVAL);
	json_object_put(o);
	assert_int_equal(policy_manager_on_pod(e.m, NULL, false), -EINVAL);
	env_free(&e);
}

static void test_failed_apply_is_retried(void **state)
{
	struct policy_manager_stats st;
	struct env e;

	(void)state;
	env_init(&e);
	policy_manager_set_synced(e.m, POLICY_KIND_ALL);
	e.fake.fail_next = 1;
	assert_int_equal(policy_manager_apply(e.m), -EIO);
	assert_false(policy_manager_ready(e.m));
	assert_true(policy_manager_dirty(e.m));
	assert_int_equal(policy_manager_apply(e.m), 0);
	assert_true(policy_manager_ready(e.m));
	policy_manager_stats(e.m, &st);
	assert_int_equal(st.apply_errors, 1);
	assert_int_equal(st.applies, 1);
	assert_int_equal(e.fake.calls, 2);
	env_free(&e);
}

static void test_resync_reapplies_unchanged_state(void **state)
{
	struct env e;

	(void)state;
	env_init(&e);
	policy_manager_set_synced(e.m, POLICY_KIND_ALL);
	assert_int_equal(policy_manager_apply(e.m), 0);
	assert_int_equal(policy_manager_apply(e.m), 0);
	assert_int_equal(e.fake.calls, 1);
	policy_manager_resync(e.m);
	assert_int_equal(e.fake.resyncs, 1);
	assert_true(policy_manager_dirty(e.m));
	assert_int_equal(policy_manager_apply(e.m), 0);
	assert_int_equal(e.fake.calls, 2);
	env_free(&e);
}

/* The shape gauges felix exports count the applied table: chains and their
 * rules, sets/maps and their elements. */
static void test_stats_count_the_applied_ruleset(void **state)
{
	struct policy_manager_stats st;
	const char *p;
	size_t chains = 0, elements = 0;
	struct env e;

	(void)state;
	env_init(&e);
	add_policy(&e, "x", "deny", "{'podSelector':{}}");
	policy_manager_set_synced(e.m, POLICY_KIND_ALL);
	assert_int_equal(policy_manager_apply(e.m), 0);
	policy_manager_stats(e.m, &st);
	for (p = e.fake.last; (p = strstr(p, "\tchain ")); p++)
		chains++;
	assert_int_equal(st.chains, chains);
	/* forward + input + to_<veth> for 3 ingress-isolated pods */
	assert_int_equal(st.chains, 5);
	assert_true(st.rules >= 3 * 5);
	/* to_pod map: one element per isolated pod; deny-all sets are empty;
	 * the endpoints set names the 3 local pods' interfaces */
	for (p = e.fake.last; (p = strstr(p, ": jump to_")); p++)
		elements++;
	assert_int_equal(elements, 3);
	assert_int_equal(st.elements, 3 + 3);
	assert_true(st.sets >= 3);
	env_free(&e);
}

/* policyEnabled=false: the table goes (once), the caches stay fed, and
 * switching back on writes the whole table again. */
static void test_disable_removes_table_and_reenable_rewrites(void **state)
{
	struct policy_manager_stats st;
	struct env e;

	(void)state;
	env_init(&e);
	add_policy(&e, "x", "deny", "{'podSelector':{}}");
	policy_manager_set_synced(e.m, POLICY_KIND_ALL);
	assert_int_equal(policy_manager_apply(e.m), 0);
	e.fake.fail_remove = 1;
	assert_int_equal(policy_manager_disable(e.m), -EIO);
	policy_manager_stats(e.m, &st);
	assert_int_not_equal(st.chains, 0); /* the table is still there */
	assert_int_equal(policy_manager_disable(e.m), 0);
	assert_int_equal(e.fake.removes, 2);
	assert_false(policy_manager_ready(e.m));
	policy_manager_stats(e.m, &st);
	assert_int_equal(st.chains, 0);
	assert_int_equal(st.rules, 0);
	add_policy(&e, "y", "deny", "{'podSelector':{}}");
	assert_true(policy_manager_dirty(e.m));
	assert_int_equal(policy_manager_apply(e.m), 0);
	assert_true(policy_manager_ready(e.m));
	assert_non_null(e.fake.last);
	assert_non_null(strstr(e.fake.last, veth("x", "a")));
	env_free(&e);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_stats_count_the_applied_ruleset),
	cmocka_unit_test(test_disable_removes_table_and_reenable_rewrites),
	cmocka_unit_test(test_nothing_applied_before_sync),
	cmocka_unit_test(test_local_endpoints_use_cni_veth_names),
	cmocka_unit_test(test_apply_only_when_dirty),
	cmocka_unit_test(test_delete_and_label_change),
	cmocka_unit_test(test_bad_update_keeps_cached_policy),
	cmocka_unit_test(test_failed_apply_is_retried),
	cmocka_unit_test(test_resync_reapplies_unchanged_state),
};

TWILL_TEST_MAIN(tests)
