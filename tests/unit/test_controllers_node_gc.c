/* Unit tests for controllers/node_gc: which IPAM objects of a deleted node
 * are released, deleted, re-homed or kept, on hand-made snapshots. */
#include "twill_test.h"

#include <errno.h>
#include <stdlib.h>

#include "node_gc.h"
#include "test_ipam_fixture.h"

static void add_handle(struct ipam_snapshot *s, const char *id)
{
	char text[512];

	snprintf(text, sizeof(text),
		 "{\"metadata\":{\"name\":\"%s\",\"creationTimestamp\":\"2026-01-01T00:00:00Z\"},"
		 "\"spec\":{\"handleID\":\"%s\",\"block\":{}}}", id, id);
	snap_add_handle(s, text);
}

static void add_affinity(struct ipam_snapshot *s, const char *node, const char *cidr,
			 const char *name)
{
	char text[512];

	snprintf(text, sizeof(text),
		 "{\"metadata\":{\"name\":\"%s\",\"resourceVersion\":\"77\"},"
		 "\"spec\":{\"node\":\"%s\",\"cidr\":\"%s\",\"state\":\"confirmed\"}}",
		 name, node, cidr);
	snap_add_affinity(s, text);
}

#define ATTR(h, pod, node)                                                          \
	"{\"handle_id\":\"" h "\",\"secondary\":{\"namespace\":\"ns\",\"pod\":\"" pod \
	"\",\"node\":\"" node "\"}}"

/* n2's block: a (pod gone), b (pod still on n2), the tunnel address. */
#define BLOCK_N2                                                                      \
	"{\"metadata\":{\"name\":\"10-0-0-0-30\",\"resourceVersion\":\"5\"},\"spec\":{"   \
	"\"cidr\":\"10.0.0.0/30\",\"affinity\":\"host:n2\",\"allocations\":[0,1,2,null]," \
	"\"unallocated\":[3],\"attributes\":[" ATTR("net.a", "a", "n2") ","               \
	ATTR("net.b", "b", "n2") ",{\"handle_id\":\"vxlan-tunnel-addr-n2\","             \
	"\"secondary\":{\"node\":\"n2\"}}]}}"
/* n2's empty block. */
#define BLOCK_N2_EMPTY                                                                \
	"{\"metadata\":{\"name\":\"10-0-0-4-30\",\"resourceVersion\":\"6\"},\"spec\":{"   \
	"\"cidr\":\"10.0.0.4/30\",\"affinity\":\"host:n2\",\"allocations\":[null,null,"  \
	"null,null],\"unallocated\":[0,1,2,3],\"attributes\":[]}}"
/* n2's block lending one address to a pod of n1. */
#define BLOCK_N2_LENT                                                                 \
	"{\"metadata\":{\"name\":\"10-0-0-8-30\",\"resourceVersion\":\"7\"},\"spec\":{"   \
	"\"cidr\":\"10.0.0.8/30\",\"affinity\":\"host:n2\",\"allocations\":[0,null,null," \
	"null],\"unallocated\":[1,2,3],\"attributes\":[" ATTR("net.c", "c", "n1") "]}}"
/* n1's block, healthy. */
#define BLOCK_N1                                                                      \
	"{\"metadata\":{\"name\":\"10-0-0-12-30\",\"resourceVersion\":\"8\"},\"spec\":{"  \
	"\"cidr\":\"10.0.0.12/30\",\"affinity\":\"host:n1\",\"allocations\":[0,null,"    \
	"null,null],\"unallocated\":[1,2,3],\"attributes\":[" ATTR("net.d", "d", "n1") "]}}"

static int setup(void **state)
{
	struct ipam_snapshot *s = calloc(1, sizeof(*s));

	snap_add_block(s, BLOCK_N2);
	snap_add_block(s, BLOCK_N2_EMPTY);
	snap_add_block(s, BLOCK_N2_LENT);
	snap_add_block(s, BLOCK_N1);
	add_handle(s, "net.a");
	add_handle(s, "net.b");
	add_handle(s, "vxlan-tunnel-addr-n2");
	add_handle(s, "net.c");
	add_handle(s, "net.d");
	add_affinity(s, "n2", "10.0.0.0/30", "n2-10-0-0-0-30");
	add_affinity(s, "n2", "10.0.0.4/30", "n2-10-0-0-4-30");
	add_affinity(s, "n2", "10.0.0.8/30", "n2-10-0-0-8-30");
	add_affinity(s, "n2", "10.0.0.16/30", "n2-10-0-0-16-30"); /* no block */
	add_affinity(s, "n1", "10.0.0.12/30", "n1-10-0-0-12-30");
	snap_add_node(s, "n1");
	snap_add_pod(s, "ns", "b", "n2", NULL);
	snap_add_pod(s, "ns", "c", "n1", "c");
	snap_add_pod(s, "ns", "d", "n1", "d");
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	ipam_snapshot_free(*state);
	free(*state);
	return 0;
}

static const struct ipam_gc_action *find(const struct ctrl_node_gc_plan *p,
					 enum ipam_gc_action_kind kind, const char *what)
{
	size_t i;

	for (i = 0; i < p->gc.count; i++) {
		const struct ipam_gc_action *a = &p->gc.actions[i];

		if (a->kind == kind && (strcmp(a->handle_id, what) == 0 ||
					strcmp(a->object, what) == 0))
			return a;
	}
	return NULL;
}

static void test_gone_node_plan(void **state)
{
	struct ipam_snapshot *s = *state;
	struct ctrl_node_gc_plan p;
	const struct ipam_gc_action *a;
	size_t i;

	assert_int_equal(ctrl_node_gc_plan(s, &p), 0);
	assert_int_equal(p.gone_count, 1);
	assert_string_equal(p.gone[0], "n2");
	/* pod a is gone; the tunnel address goes with its node */
	assert_non_null(a = find(&p, IPAM_GC_RELEASE_HANDLE, "net.a"));
	assert_string_equal(a->ip, "10.0.0.0");
	assert_string_equal(a->node, "n2");
	assert_non_null(find(&p, IPAM_GC_RELEASE_HANDLE, "vxlan-tunnel-addr-n2"));
	/* pod b still runs on n2 (kubelet may be alive): kept, node pending */
	assert_null(find(&p, IPAM_GC_RELEASE_HANDLE, "net.b"));
	assert_int_equal(p.kept, 1);
	assert_int_equal(p.pending_count, 1);
	/* its block keeps its affinity and its BlockAffinity */
	assert_null(find(&p, IPAM_GC_UNAFFINE_BLOCK, "10-0-0-0-30"));
	assert_null(find(&p, IPAM_GC_DELETE_AFFINITY, "n2-10-0-0-0-30"));
	/* the empty block goes, conditioned on its version */
	assert_non_null(a = find(&p, IPAM_GC_DELETE_BLOCK, "10-0-0-4-30"));
	assert_string_equal(a->resource_version, "6");
	/* the lending block is re-homed: n1's pod c keeps its address */
	assert_non_null(a = find(&p, IPAM_GC_UNAFFINE_BLOCK, "10-0-0-8-30"));
	assert_string_equal(a->node, "n2");
	assert_null(find(&p, IPAM_GC_RELEASE_HANDLE, "net.c"));
	/* affinities of n2 that no block keeps are deleted */
	assert_non_null(a = find(&p, IPAM_GC_DELETE_AFFINITY, "n2-10-0-0-4-30"));
	assert_string_equal(a->resource_version, "77");
	assert_non_null(find(&p, IPAM_GC_DELETE_AFFINITY, "n2-10-0-0-8-30"));
	assert_non_null(find(&p, IPAM_GC_DELETE_AFFINITY, "n2-10-0-0-16-30"));
	/* nothing of the live node is touched */
	for (i = 0; i < p.gc.count; i++) {
		assert_string_equal(p.gc.actions[i].node, "n2");
		assert_string_not_equal(p.gc.actions[i].handle_id, "net.d");
		assert_string_not_equal(p.gc.actions[i].object, "n1-10-0-0-12-30");
	}
	ctrl_node_gc_plan_free(&p);
}

static void test_pod_gone_later_finishes(void **state)
{
	struct ipam_snapshot *s = *state;
	struct ctrl_node_gc_plan p;

	/* Kubernetes' pod GC deleted b (the last pod of n2) */
	free(s->pods[0].namespace);
	free(s->pods[0].name);
	free(s->pods[0].node);
	s->pods[0] = s->pods[--s->pod_count];
	assert_int_equal(ctrl_node_gc_plan(s, &p), 0);
	assert_non_null(find(&p, IPAM_GC_RELEASE_HANDLE, "net.b"));
	assert_int_equal(p.kept, 0);
	assert_int_equal(p.pending_count, 0);
	/* every address of the block is released: the engine deletes it */
	assert_null(find(&p, IPAM_GC_DELETE_BLOCK, "10-0-0-0-30"));
	assert_null(find(&p, IPAM_GC_UNAFFINE_BLOCK, "10-0-0-0-30"));
	assert_non_null(find(&p, IPAM_GC_DELETE_AFFINITY, "n2-10-0-0-0-30"));
	ctrl_node_gc_plan_free(&p);
}

static void test_pod_name_reused_elsewhere(void **state)
{
	struct ipam_snapshot *s = *state;
	struct ctrl_node_gc_plan p;

	/* b was rescheduled to n1 as a new pod (new container): n2's is stale */
	free(s->pods[0].node);
	s->pods[0].node = strdup("n1");
	s->pods[0].container_id = strdup("new");
	assert_int_equal(ctrl_node_gc_plan(s, &p), 0);
	assert_non_null(find(&p, IPAM_GC_RELEASE_HANDLE, "net.b"));
	ctrl_node_gc_plan_free(&p);
	/* ... but if it still runs the handle's container, it is kept */
	free(s->pods[0].container_id);
	s->pods[0].container_id = strdup("b");
	assert_int_equal(ctrl_node_gc_plan(s, &p), 0);
	assert_null(find(&p, IPAM_GC_RELEASE_HANDLE, "net.b"));
	ctrl_node_gc_plan_free(&p);
}

static void test_node_back_or_unknown(void **state)
{
	struct ipam_snapshot *s = *state;
	struct ctrl_node_gc_plan p;

	snap_add_node(s, "n2");
	assert_int_equal(ctrl_node_gc_plan(s, &p), 0);
	assert_int_equal(p.gone_count, 0);
	assert_int_equal(p.gc.count, 0);
	ctrl_node_gc_plan_free(&p);
	/* without the pod list nothing can be decided safely */
	s->pods_known = false;
	assert_int_equal(ctrl_node_gc_plan(s, &p), -EINVAL);
	s->pods_known = true;
	s->nodes_known = false;
	assert_int_equal(ctrl_node_gc_plan(s, &p), -EINVAL);
}

static void test_missing_handle_releases_by_address(void **state)
{
	struct ipam_snapshot *s = *state;
	struct ctrl_node_gc_plan p;
	const struct ipam_gc_action *a;
	size_t i;

	for (i = 0; i < s->handle_count; i++)
		if (strcmp(s->handles[i].handle_id, "net.a") == 0) {
			ipamhandle_free(&s->handles[i]);
			s->handles[i] = s->handles[--s->handle_count];
			break;
		}
	assert_int_equal(ctrl_node_gc_plan(s, &p), 0);
	assert_non_null(a = find(&p, IPAM_GC_RELEASE_IP, "net.a"));
	assert_string_equal(a->ip, "10.0.0.0");
	ctrl_node_gc_plan_free(&p);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test_setup_teardown(test_gone_node_plan, setup, teardown),
	cmocka_unit_test_setup_teardown(test_pod_gone_later_finishes, setup, teardown),
	cmocka_unit_test_setup_teardown(test_pod_name_reused_elsewhere, setup, teardown),
	cmocka_unit_test_setup_teardown(test_node_back_or_unknown, setup, teardown),
	cmocka_unit_test_setup_teardown(test_missing_handle_releases_by_address, setup, teardown),
};

TWILL_TEST_MAIN(tests)
