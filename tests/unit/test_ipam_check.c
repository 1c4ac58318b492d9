/* Unit tests for ipam/check: each consistency rule on a hand-made
 * snapshot, the pod/containerID rule, timestamps, and the CNI CHECK of one
 * handle. */
#include "twill_test.h"

#include <errno.h>
#include <stdlib.h>

#include "check.h"
#include "test_ipam_fixture.h"

/* Block 10.0.0.0/30: ordinal 0 -> attr 0 (h1, pod ns/p1), ordinal 1 ->
 * attr 1 (h2, pod ns/p2), 2 and 3 free. */
#define BLOCK_A                                                                     \
	"{\"metadata\":{\"name\":\"10-0-0-0-30\",\"creationTimestamp\":"            \
	"\"2026-01-01T00:00:00Z\"},\"spec\":{\"cidr\":\"10.0.0.0/30\",\"affinity\":"  \
	"\"host:n1\",\"allocations\":[0,1,null,null],\"unallocated\":[2,3],"        \
	"\"attributes\":[{\"handle_id\":\"net.c1\",\"secondary\":{\"namespace\":"   \
	"\"ns\",\"pod\":\"p1\",\"node\":\"n1\"}},{\"handle_id\":\"net.c2\","         \
	"\"secondary\":{\"namespace\":\"ns\",\"pod\":\"p2\",\"node\":\"n1\"}}]}}"

#define HANDLE(name, id, ts, cidr, n)                                               \
	"{\"metadata\":{\"name\":\"" name "\",\"creationTimestamp\":\"" ts "\"},"   \
	"\"spec\":{\"handleID\":\"" id "\",\"block\":{\"" cidr "\":" #n "}}}"

struct fixture {
	struct ipam_snapshot s;
	struct ipam_findings f;
};

static void add_affinity(struct ipam_snapshot *s, const char *node, const char *cidr,
			 const char *state)
{
	char text[512];

	snprintf(text, sizeof(text),
		 "{\"metadata\":{\"name\":\"%s-x\",\"creationTimestamp\":\"2026-01-01T00:00:00Z\"},"
		 "\"spec\":{\"node\":\"%s\",\"cidr\":\"%s\",\"state\":\"%s\"}}",
		 node, node, cidr, state);
	snap_add_affinity(s, text);
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	/* a healthy cluster: both pods exist, handles match, node exists */
	snap_add_block(&fx->s, BLOCK_A);
	snap_add_handle(&fx->s, HANDLE("net.c1", "net.c1", "2026-01-01T00:00:00Z", "10.0.0.0/30", 1));
	snap_add_handle(&fx->s, HANDLE("net.c2", "net.c2", "2026-01-01T00:00:00Z", "10.0.0.0/30", 1));
	add_affinity(&fx->s, "n1", "10.0.0.0/30", "confirmed");
	snap_add_node(&fx->s, "n1");
	snap_add_pod(&fx->s, "ns", "p1", NULL, NULL);
	snap_add_pod(&fx->s, "ns", "p2", NULL, "c2");
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	ipam_snapshot_free(&fx->s);
	ipam_findings_free(&fx->f);
	free(fx);
	return 0;
}

static void run(struct fixture *fx)
{
	ipam_findings_free(&fx->f);
	assert_int_equal(ipam_check_run(&fx->s, &fx->f), 0);
}

static const struct ipam_finding *only(struct fixture *fx, enum ipam_finding_kind kind)
{
	size_t i;

	for (i = 0; i < fx->f.count; i++)
		if (fx->f.items[i].kind != kind)
			fail_msg("unexpected %s: %s", ipam_finding_kind_name(fx->f.items[i].kind),
				 fx->f.items[i].detail);
	assert_int_equal(fx->f.count, 1);
	return &fx->f.items[0];
}

static void test_clean(void **state)
{
	struct fixture *fx = *state;

	run(fx);
	assert_int_equal(fx->f.count, 0);
}

static void test_leaked_when_pod_gone(void **state)
{
	struct fixture *fx = *state;
	const struct ipam_finding *f;

	free(fx->s.pods[0].namespace);
	fx->s.pods[0].namespace = strdup("other");
	run(fx);
	f = only(fx, IPAM_FINDING_LEAKED);
	assert_string_equal(f->ip, "10.0.0.0");
	assert_string_equal(f->handle_id, "net.c1");
	assert_string_equal(f->block, "10.0.0.0/30");
	assert_string_equal(f->detail, "pod ns/p1 no longer exists");
	assert_int_equal(f->since, ipam_parse_timestamp("2026-01-01T00:00:00Z"));
}

/* gc's age of a leak is the newest stamp the engine left: a handle counted
 * up again (assigned-at) or an allocation made (timestamp) after the
 * handle's creation makes the finding that young. */
static void test_age_is_the_newest_stamp(void **state)
{
	struct fixture *fx = *state;
	const struct ipam_finding *f;
	size_t i;

	free(fx->s.pods[0].namespace);
	fx->s.pods[0].namespace = strdup("other");
	assert_int_equal(labels_set(&fx->s.handles[0].meta.annotations, "twill.dev/assigned-at",
				    "2026-03-01T00:00:00Z"), 0);
	run(fx);
	f = only(fx, IPAM_FINDING_LEAKED);
	assert_int_equal(f->since, ipam_parse_timestamp("2026-03-01T00:00:00Z"));
	assert_int_equal(labels_set(&fx->s.blocks[0].attributes[0].secondary, "timestamp",
				    "2026-04-01T00:00:00Z"), 0);
	run(fx);
	f = only(fx, IPAM_FINDING_LEAKED);
	assert_int_equal(f->since, ipam_parse_timestamp("2026-04-01T00:00:00Z"));
	/* an older stamp never makes it older than the handle */
	assert_int_equal(labels_set(&fx->s.blocks[0].attributes[0].secondary, "timestamp",
				    "2025-01-01T00:00:00Z"), 0);
	run(fx);
	f = only(fx, IPAM_FINDING_LEAKED);
	assert_int_equal(f->since, ipam_parse_timestamp("2026-03-01T00:00:00Z"));
	/* an empty handle counted up again is as young as that increment */
	free(fx->s.pods[0].namespace);
	fx->s.pods[0].namespace = strdup("ns");
	snap_add_handle(&fx->s, HANDLE("net.c3", "net.c3", "2026-02-01T00:00:00Z", "10.0.0.0/30", 1));
	assert_int_equal(labels_set(&fx->s.handles[2].meta.annotations, "twill.dev/assigned-at",
				    "2026-05-01T00:00:00Z"), 0);
	run(fx);
	f = NULL;
	for (i = 0; i < fx->f.count; i++)
		if (fx->f.items[i].kind == IPAM_FINDING_EMPTY_HANDLE)
			f = &fx->f.items[i];
	assert_non_null(f);
	assert_int_equal(f->since, ipam_parse_timestamp("2026-05-01T00:00:00Z"));
}

static void test_leaked_when_pod_recreated(void **state)
{
	struct fixture *fx = *state;
	const struct ipam_finding *f;

	free(fx->s.pods[1].container_id);
	fx->s.pods[1].container_id = strdup("c9");
	run(fx);
	f = only(fx, IPAM_FINDING_LEAKED);
	assert_string_equal(f->ip, "10.0.0.1");
	assert_non_null(strstr(f->detail, "now runs container c9"));
}

static void test_pods_unknown_means_no_leak_rule(void **state)
{
	struct fixture *fx = *state;

	fx->s.pod_count = 0; /* the pods stay allocated; teardown frees via pods */
	fx->s.pods_known = false;
	run(fx);
	assert_int_equal(fx->f.count, 0);
	fx->s.pod_count = 2;
}

static void test_no_handle_and_empty_handle(void **state)
{
	struct fixture *fx = *state;
	const struct ipam_finding *f;
	size_t i;

	/* drop handle c2: its address has no handle */
	ipamhandle_free(&fx->s.handles[1]);
	fx->s.handle_count = 1;
	run(fx);
	f = only(fx, IPAM_FINDING_NO_HANDLE);
	assert_string_equal(f->ip, "10.0.0.1");
	assert_string_equal(f->handle_id, "net.c2");
	/* a handle that holds nothing */
	snap_add_handle(&fx->s, HANDLE("net.c3", "net.c3", "2026-02-01T00:00:00.5Z", "10.0.0.0/30", 2));
	run(fx);
	assert_int_equal(fx->f.count, 2);
	for (i = 0; i < 2; i++)
		if (fx->f.items[i].kind == IPAM_FINDING_EMPTY_HANDLE) {
			assert_string_equal(fx->f.items[i].handle_id, "net.c3");
			assert_int_equal(fx->f.items[i].since,
					 ipam_parse_timestamp("2026-02-01T00:00:00Z"));
		}
}

static void test_undercount(void **state)
{
	struct fixture *fx = *state;
	const struct ipam_finding *f;

	ipamhandle_free(&fx->s.handles[0]);
	fx->s.handles[0] = fx->s.handles[1];
	fx->s.handle_count = 1;
	snap_add_handle(&fx->s, HANDLE("net.c1", "net.c1", "2026-01-01T00:00:00Z", "10.9.0.0/30", 1));
	run(fx);
	f = only(fx, IPAM_FINDING_UNDERCOUNT);
	assert_string_equal(f->handle_id, "net.c1");
	assert_string_equal(f->detail, "handle records 0, block holds 1");
}

static void test_orphan_block_and_stale_affinities(void **state)
{
	struct fixture *fx = *state;
	size_t i, orphan = 0, stale = 0;

	free(fx->s.nodes[0]);
	fx->s.nodes[0] = strdup("n2");
	add_affinity(&fx->s, "n2", "10.0.0.4/30", "pending"); /* no block */
	run(fx);
	for (i = 0; i < fx->f.count; i++) {
		if (fx->f.items[i].kind == IPAM_FINDING_ORPHAN_BLOCK) {
			orphan++;
			assert_string_equal(fx->f.items[i].detail, "affine to node n1, which is gone");
		} else if (fx->f.items[i].kind == IPAM_FINDING_STALE_AFFINITY) {
			stale++;
		} else {
			fail_msg("unexpected %s", fx->f.items[i].detail);
		}
	}
	assert_int_equal(orphan, 1);
	assert_int_equal(stale, 2); /* n1's (node gone) and n2's pending one (no block) */
}

static void test_duplicate_across_overlapping_blocks(void **state)
{
	struct fixture *fx = *state;
	const struct ipam_finding *f;

	/* a /31 overlapping A's first two addresses, holding 10.0.0.1 for c2 too */
	snap_add_block(&fx->s, "{\"metadata\":{\"name\":\"10-0-0-0-31\"},\"spec\":{\"cidr\":"
			  "\"10.0.0.0/31\",\"affinity\":\"host:n1\",\"allocations\":[null,0],"
			  "\"unallocated\":[0],\"attributes\":[{\"handle_id\":\"net.c2\","
			  "\"secondary\":{\"namespace\":\"ns\",\"pod\":\"p2\"}}]}}");
	add_affinity(&fx->s, "n1", "10.0.0.0/31", "confirmed");
	run(fx);
	f = NULL;
	for (size_t i = 0; i < fx->f.count; i++)
		if (fx->f.items[i].kind == IPAM_FINDING_DUPLICATE)
			f = &fx->f.items[i];
		else if (fx->f.items[i].kind != IPAM_FINDING_UNDERCOUNT)
			fail_msg("unexpected %s", fx->f.items[i].detail);
	assert_non_null(f);
	assert_string_equal(f->ip, "10.0.0.1");
}

static void test_bad_block(void **state)
{
	struct fixture *fx = *state;

	snap_add_block(&fx->s, "{\"metadata\":{\"name\":\"10-0-1-0-31\"},\"spec\":{\"cidr\":"
			  "\"10.0.1.0/31\",\"allocations\":[null,null],\"unallocated\":[0],"
			  "\"attributes\":[]}}");
	run(fx);
	assert_string_equal(only(fx, IPAM_FINDING_BAD_BLOCK)->block, "10.0.1.0/31");
}

static void test_timestamps(void **state)
{
	(void)state;
	assert_int_equal(ipam_parse_timestamp("1970-01-01T00:01:00Z"), 60);
	assert_int_equal(ipam_parse_timestamp("1970-01-01T00:01:00.123456Z"), 60);
	assert_int_equal(ipam_parse_timestamp("1970-01-01T00:01:00+02:00"), 0);
	assert_int_equal(ipam_parse_timestamp("yesterday"), 0);
	assert_int_equal(ipam_parse_timestamp(NULL), 0);
}

static void test_cni_check_of_one_handle(void **state)
{
	struct fixture *fx = *state;
	struct ip_addr ips[2];
	char msg[256];

	assert_int_equal(ip_parse("10.0.0.0", &ips[0]), 0);
	assert_int_equal(ipam_check_handle(fx->s.blocks, fx->s.block_count, "net.c1", ips, 1, msg,
					   sizeof(msg)), 0);
	assert_int_equal(ipam_check_handle(fx->s.blocks, fx->s.block_count, "net.c2", ips, 1, msg,
					   sizeof(msg)), -ENOENT);
	assert_string_equal(msg, "10.0.0.0 is held by handle net.c1, not net.c2");
	assert_int_equal(ip_parse("10.0.0.3", &ips[0]), 0);
	assert_int_equal(ipam_check_handle(fx->s.blocks, fx->s.block_count, "net.c1", ips, 1, msg,
					   sizeof(msg)), -ENOENT);
	assert_string_equal(msg, "10.0.0.3 is not allocated (block 10.0.0.0/30)");
	assert_int_equal(ip_parse("10.9.9.9", &ips[0]), 0);
	assert_int_equal(ipam_check_handle(fx->s.blocks, fx->s.block_count, "net.c1", ips, 1, msg,
					   sizeof(msg)), -ENOENT);
	/* the handle holds an address the result does not list */
	assert_int_equal(ipam_check_handle(fx->s.blocks, fx->s.block_count, "net.c1", ips, 0, msg,
					   sizeof(msg)), -EEXIST);
	assert_non_null(strstr(msg, "also holds 10.0.0.0"));
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test_setup_teardown(test_clean, setup, teardown),
	cmocka_unit_test_setup_teardown(test_leaked_when_pod_gone, setup, teardown),
	cmocka_unit_test_setup_teardown(test_age_is_the_newest_stamp, setup, teardown),
	cmocka_unit_test_setup_teardown(test_leaked_when_pod_recreated, setup, teardown),
	cmocka_unit_test_setup_teardown(test_pods_unknown_means_no_leak_rule, setup, teardown),
	cmocka_unit_test_setup_teardown(test_no_handle_and_empty_handle, setup, teardown),
	cmocka_unit_test_setup_teardown(test_undercount, setup, teardown),
	cmocka_unit_test_setup_teardown(test_orphan_block_and_stale_affinities, setup, teardown),
	cmocka_unit_test_setup_teardown(test_duplicate_across_overlapping_blocks, setup, teardown),
	cmocka_unit_test_setup_teardown(test_bad_block, setup, teardown),
	cmocka_unit_test(test_timestamps),
	cmocka_unit_test_setup_teardown(test_cni_check_of_one_handle, setup, teardown),
};

TWILL_TEST_MAIN(tests)
