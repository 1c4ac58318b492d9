/* Unit tests for ipam/gc: durations, the grace period, and which finding
 * becomes which action. */
#include "twill_test.h"

#include <errno.h>
#include <stdlib.h>

#include "gc.h"

static void test_durations(void **state)
{
	long v = -1;

	(void)state;
	assert_int_equal(ipam_gc_parse_duration("0s", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(ipam_gc_parse_duration("90", &v), 0);
	assert_int_equal(v, 90);
	assert_int_equal(ipam_gc_parse_duration("15m", &v), 0);
	assert_int_equal(v, 900);
	assert_int_equal(ipam_gc_parse_duration("1h30m", &v), 0);
	assert_int_equal(v, 5400);
	assert_int_equal(ipam_gc_parse_duration("", &v), -EINVAL);
	assert_int_equal(ipam_gc_parse_duration("1h30", &v), -EINVAL);
	assert_int_equal(ipam_gc_parse_duration("-5s", &v), -EINVAL);
	assert_int_equal(ipam_gc_parse_duration("5d", &v), -EINVAL);
}

static void finding(struct ipam_findings *f, enum ipam_finding_kind kind, const char *handle,
		    const char *object, time_t since)
{
	struct ipam_finding *it;

	f->items = realloc(f->items, (f->count + 1) * sizeof(*it));
	it = &f->items[f->count++];
	memset(it, 0, sizeof(*it));
	it->kind = kind;
	snprintf(it->handle_id, sizeof(it->handle_id), "%s", handle);
	snprintf(it->object, sizeof(it->object), "%s", object);
	snprintf(it->ip, sizeof(it->ip), "10.0.0.1");
	it->since = since;
}

static void test_plan_honours_grace(void **state)
{
	struct ipam_snapshot snap;
	struct ipam_findings f = { 0 };
	struct ipam_gc_plan plan;
	time_t now = 100000;

	(void)state;
	memset(&snap, 0, sizeof(snap));
	finding(&f, IPAM_FINDING_LEAKED, "net.old", "", now - 1000);
	finding(&f, IPAM_FINDING_LEAKED, "net.old", "", now - 1000); /* 2nd address, same handle */
	finding(&f, IPAM_FINDING_LEAKED, "net.young", "", now - 10);
	finding(&f, IPAM_FINDING_EMPTY_HANDLE, "net.empty", "", now - 10);
	finding(&f, IPAM_FINDING_EMPTY_HANDLE, "net.unknown-age", "", 0);
	finding(&f, IPAM_FINDING_NO_HANDLE, "net.gone", "", 0);
	finding(&f, IPAM_FINDING_STALE_AFFINITY, "", "n1-10-0-0-0-26", now - 1000);
	finding(&f, IPAM_FINDING_DUPLICATE, "", "", 0);
	finding(&f, IPAM_FINDING_UNDERCOUNT, "net.x", "", 0);

	assert_int_equal(ipam_gc_plan(&snap, &f, now, 60, &plan), 0);
	assert_int_equal(plan.count, 3);
	assert_int_equal(plan.actions[0].kind, IPAM_GC_RELEASE_HANDLE);
	assert_string_equal(plan.actions[0].handle_id, "net.old");
	assert_int_equal(plan.actions[1].kind, IPAM_GC_RELEASE_IP);
	assert_string_equal(plan.actions[1].handle_id, "net.gone");
	assert_string_equal(plan.actions[1].ip, "10.0.0.1");
	assert_int_equal(plan.actions[2].kind, IPAM_GC_DELETE_AFFINITY);
	assert_string_equal(plan.actions[2].object, "n1-10-0-0-0-26");
	assert_int_equal(plan.skipped_grace, 3);
	assert_int_equal(plan.skipped_manual, 2);
	ipam_gc_plan_free(&plan);

	/* grace 0: everything fixable is acted on, unknown age included */
	assert_int_equal(ipam_gc_plan(&snap, &f, now, 0, &plan), 0);
	assert_int_equal(plan.count, 6);
	assert_int_equal(plan.skipped_grace, 0);
	ipam_gc_plan_free(&plan);
	free(f.items);
}

/* A handle with one old and one young leak (an ADD reused it) is not
 * released: the release would free the young address too. */
static void test_young_finding_protects_its_handle(void **state)
{
	struct ipam_snapshot snap;
	struct ipam_findings f = { 0 };
	struct ipam_gc_plan plan;
	time_t now = 100000;

	(void)state;
	memset(&snap, 0, sizeof(snap));
	finding(&f, IPAM_FINDING_LEAKED, "net.reused", "", now - 1000);
	finding(&f, IPAM_FINDING_LEAKED, "net.reused", "", now - 10);
	finding(&f, IPAM_FINDING_LEAKED, "net.old", "", now - 1000);
	assert_int_equal(ipam_gc_plan(&snap, &f, now, 60, &plan), 0);
	assert_int_equal(plan.count, 1);
	assert_string_equal(plan.actions[0].handle_id, "net.old");
	assert_int_equal(plan.skipped_grace, 2);
	ipam_gc_plan_free(&plan);
	free(f.items);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_durations),
	cmocka_unit_test(test_plan_honours_grace),
	cmocka_unit_test(test_young_finding_protects_its_handle),
};

TWILL_TEST_MAIN(tests)
