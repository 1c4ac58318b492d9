/* Unit tests for felix/route_mgr on a fake dataplane: the diff, ownership
 * (foreign protocols untouched), no deletion before in-sync, idempotence,
 * drift repair, per-route failures retried, batch failures. */
#include "twill_test.h"

#include <errno.h>
#include <stdlib.h>

#include "route_mgr.h"

#define OURS 81
#define MAX_FAKE 64

struct fake_kernel {
	struct route_entry routes[MAX_FAKE];
	size_t n;
	int dumps, replace_calls, delete_calls;
	size_t replaced, deleted;
	const char *missing_dev; /* replace through it fails -ENODEV */
	int dump_error;
	int batch_error;
};

static struct fake_kernel fk;
static struct route_mgr *mgr;

static struct route_entry R(const char *dst, const char *dev, const char *gw)
{
	struct route_entry r;

	memset(&r, 0, sizeof(r));
	assert_int_equal(cidr_parse(dst, &r.dst), 0);
	if (dev)
		snprintf(r.ifname, sizeof(r.ifname), "%s", dev);
	if (gw) {
		r.has_gw = true;
		assert_int_equal(ip_parse(gw, &r.gw), 0);
	}
	r.protocol = OURS;
	return r;
}

static ssize_t fake_find(const struct route_entry *r)
{
	size_t i;

	for (i = 0; i < fk.n; i++)
		if (route_entry_key_compare(&fk.routes[i], r) == 0 &&
		    fk.routes[i].protocol == r->protocol)
			return (ssize_t)i;
	return -1;
}

static int fake_dump(void *ctx, uint8_t protocol, struct route_entry **out, size_t *n)
{
	size_t i;

	(void)ctx;
	fk.dumps++;
	*out = NULL;
	*n = 0;
	if (fk.dump_error)
		return fk.dump_error;
	*out = malloc(MAX_FAKE * sizeof(**out));
	assert_non_null(*out);
	(void)protocol; /* like the netlink shim: everything, the manager filters */
	for (i = 0; i < fk.n; i++)
		(*out)[(*n)++] = fk.routes[i];
	return 0;
}

static int fake_replace(void *ctx, const struct route_entry *routes, size_t n, int *errs)
{
	size_t i;

	(void)ctx;
	fk.replace_calls++;
	if (fk.batch_error)
		return fk.batch_error;
	for (i = 0; i < n; i++) {
		ssize_t at;

		assert_int_equal(routes[i].protocol, OURS);
		if (fk.missing_dev && strcmp(routes[i].ifname, fk.missing_dev) == 0) {
			errs[i] = -ENODEV;
			continue;
		}
		at = fake_find(&routes[i]);
		if (at < 0) {
			assert_true(fk.n < MAX_FAKE);
			at = (ssize_t)fk.n++;
		}
		fk.routes[at] = routes[i];
		errs[i] = 0;
		fk.replaced++;
	}
	return 0;
}

static int fake_delete(void *ctx, const struct route_entry *routes, size_t n, int *errs)
{
	size_t i;

	(void)ctx;
	fk.delete_calls++;
	if (fk.batch_error)
		return fk.batch_error;
	for (i = 0; i < n; i++) {
		ssize_t at = fake_find(&routes[i]);

		/* The manager must only ever delete what it owns. */
		assert_int_equal(routes[i].protocol, OURS);
		errs[i] = 0;
		if (at < 0)
			continue;
		fk.routes[at] = fk.routes[--fk.n];
		fk.deleted++;
	}
	return 0;
}

static int setup(void **state)
{
	struct route_dataplane dp = {fake_dump, fake_replace, fake_delete, NULL};

	(void)state;
	memset(&fk, 0, sizeof(fk));
	assert_int_equal(route_mgr_new(&dp, OURS, &mgr), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	route_mgr_free(mgr);
	mgr = NULL;
	return 0;
}

static void kernel_add(struct route_entry r)
{
	fk.routes[fk.n++] = r;
}

static bool kernel_has(const struct route_entry *r)
{
	ssize_t at = fake_find(r);

	return at >= 0 && route_entry_equal(&fk.routes[at], r);
}

static void test_apply_installs_desired(void **state)
{
	struct route_entry want[2] = {R("10.244.0.5/32", "tw1", NULL),
				      R("10.244.1.0/26", NULL, "10.0.0.2")};
	struct route_apply_stats st;

	(void)state;
	assert_int_equal(route_mgr_set_desired(mgr, want, 2), 0);
	assert_int_equal(route_mgr_apply(mgr, &st), 0);
	assert_int_equal(st.replaced, 2);
	assert_true(st.dump_ok);
	assert_int_equal(fk.replace_calls, 1); /* one batch */
	assert_true(kernel_has(&want[0]));
	assert_true(kernel_has(&want[1]));
}

static void test_apply_idempotent(void **state)
{
	struct route_entry want = R("10.244.1.0/26", "vxlan.twill", "10.244.1.0");
	struct route_apply_stats st;

	(void)state;
	want.onlink = true;
	assert_int_equal(route_mgr_set_desired(mgr, &want, 1), 0);
	route_mgr_set_in_sync(mgr, true);
	assert_int_equal(route_mgr_apply(mgr, NULL), 0);
	assert_int_equal(route_mgr_apply(mgr, &st), 0);
	assert_int_equal(st.replaced, 0);
	assert_int_equal(st.deleted, 0);
	assert_int_equal(st.dumped, 1);
	assert_int_equal(fk.replace_calls, 1);
	assert_int_equal(fk.delete_calls, 0);
}

static void test_no_delete_before_in_sync(void **state)
{
	struct route_apply_stats st;

	(void)state;
	kernel_add(R("10.244.9.0/26", NULL, "10.0.0.9")); /* ours, from before a restart */
	assert_int_equal(route_mgr_set_desired(mgr, NULL, 0), 0);
	assert_int_equal(route_mgr_apply(mgr, &st), 0);
	assert_int_equal(st.deferred, 1);
	assert_int_equal(fk.n, 1);
	route_mgr_set_in_sync(mgr, true);
	assert_int_equal(route_mgr_apply(mgr, &st), 0);
	assert_int_equal(st.deleted, 1);
	assert_int_equal(fk.n, 0);
}

static void test_foreign_routes_untouched(void **state)
{
	struct route_entry bird = R("10.244.2.0/26", NULL, "10.0.0.2");
	struct route_entry stat = R("192.168.0.0/16", NULL, "10.0.0.254");
	struct route_entry want = R("10.244.1.0/26", NULL, "10.0.0.3");

	(void)state;
	bird.protocol = 12; /* bird */
	stat.protocol = 4;  /* static */
	kernel_add(bird);
	kernel_add(stat);
	route_mgr_set_in_sync(mgr, true);
	assert_int_equal(route_mgr_set_desired(mgr, &want, 1), 0);
	assert_int_equal(route_mgr_apply(mgr, NULL), 0);
	assert_true(kernel_has(&bird));
	assert_true(kernel_has(&stat));
	assert_true(kernel_has(&want));
	assert_int_equal(fk.deleted, 0);
}

static void test_foreign_prefix_is_conflict(void **state)
{
	struct route_entry stat = R("10.244.1.0/26", NULL, "10.0.0.254");
	struct route_entry want = R("10.244.1.0/26", NULL, "10.0.0.3");
	struct route_apply_stats st;

	(void)state;
	stat.protocol = 4;
	kernel_add(stat);
	route_mgr_set_in_sync(mgr, true);
	assert_int_equal(route_mgr_set_desired(mgr, &want, 1), 0);
	assert_int_equal(route_mgr_apply(mgr, &st), 0);
	assert_int_equal(st.conflicts, 1);
	assert_int_equal(st.replaced, 0);
	assert_int_equal(fk.replace_calls, 0);
	assert_true(kernel_has(&stat));
	/* The admin removes the static route: felix takes the prefix. */
	fk.n = 0;
	assert_int_equal(route_mgr_apply(mgr, &st), 0);
	assert_int_equal(st.conflicts, 0);
	assert_true(kernel_has(&want));
}

static void test_changed_route_replaced_not_deleted(void **state)
{
	struct route_entry old = R("10.244.1.0/26", NULL, "10.0.0.2");
	struct route_entry now = R("10.244.1.0/26", "vxlan.twill", "10.244.1.0");
	struct route_apply_stats st;

	(void)state;
	now.onlink = true;
	kernel_add(old);
	route_mgr_set_in_sync(mgr, true);
	assert_int_equal(route_mgr_set_desired(mgr, &now, 1), 0);
	assert_int_equal(route_mgr_apply(mgr, &st), 0);
	assert_int_equal(st.replaced, 1);
	assert_int_equal(st.deleted, 0);
	assert_int_equal(fk.delete_calls, 0);
	assert_int_equal(fk.n, 1);
	assert_true(kernel_has(&now));
}

static void test_unwanted_deleted_wanted_kept(void **state)
{
	struct route_entry keep = R("10.244.0.5/32", "tw1", NULL);
	struct route_entry gone = R("10.244.0.6/32", "tw2", NULL);
	struct route_apply_stats st;

	(void)state;
	keep.scope = 253;
	gone.scope = 253;
	kernel_add(keep);
	kernel_add(gone);
	route_mgr_set_in_sync(mgr, true);
	assert_int_equal(route_mgr_set_desired(mgr, &keep, 1), 0);
	assert_int_equal(route_mgr_apply(mgr, &st), 0);
	assert_int_equal(st.deleted, 1);
	assert_int_equal(st.replaced, 0);
	assert_true(kernel_has(&keep));
	assert_false(kernel_has(&gone));
}

static void test_drift_repaired(void **state)
{
	struct route_entry want[3] = {R("10.244.0.5/32", "tw1", NULL),
				      R("10.244.0.6/32", "tw2", NULL),
				      R("10.244.0.0/26", NULL, NULL)};
	struct route_apply_stats st;

	(void)state;
	want[2].type = ROUTE_TYPE_BLACKHOLE;
	route_mgr_set_in_sync(mgr, true);
	assert_int_equal(route_mgr_set_desired(mgr, want, 3), 0);
	assert_int_equal(route_mgr_apply(mgr, NULL), 0);
	/* Someone deletes one and rewrites another by hand. */
	fk.routes[fake_find(&want[0])] = fk.routes[--fk.n];
	snprintf(fk.routes[fake_find(&want[1])].ifname, ROUTE_IFNAME_SIZE, "eth9");
	assert_int_equal(route_mgr_apply(mgr, &st), 0);
	assert_int_equal(st.replaced, 2);
	assert_true(kernel_has(&want[0]));
	assert_true(kernel_has(&want[1]));
	assert_true(kernel_has(&want[2]));
}

static void test_missing_device_retried(void **state)
{
	struct route_entry want[2] = {R("10.244.0.5/32", "tw1", NULL),
				      R("10.244.0.6/32", "twgone", NULL)};
	struct route_apply_stats st;

	(void)state;
	fk.missing_dev = "twgone";
	assert_int_equal(route_mgr_set_desired(mgr, want, 2), 0);
	assert_int_equal(route_mgr_apply(mgr, &st), -ENODEV);
	assert_int_equal(st.replaced, 1);
	assert_int_equal(st.failed, 1);
	assert_true(kernel_has(&want[0]));
	/* The veth appears: the next apply writes only the missing one. */
	fk.missing_dev = NULL;
	assert_int_equal(route_mgr_apply(mgr, &st), 0);
	assert_int_equal(st.replaced, 1);
	assert_true(kernel_has(&want[1]));
}

static void test_dump_failure_writes_nothing(void **state)
{
	struct route_entry want = R("10.244.0.5/32", "tw1", NULL);
	struct route_apply_stats st;

	(void)state;
	fk.dump_error = -EIO;
	route_mgr_set_in_sync(mgr, true);
	assert_int_equal(route_mgr_set_desired(mgr, &want, 1), 0);
	assert_int_equal(route_mgr_apply(mgr, &st), -EIO);
	assert_false(st.dump_ok);
	assert_int_equal(fk.replace_calls, 0);
	assert_int_equal(fk.delete_calls, 0);
}

static void test_batch_failure_reported(void **state)
{
	struct route_entry want = R("10.244.0.5/32", "tw1", NULL);
	struct route_apply_stats st;

	(void)state;
	fk.batch_error = -ENOBUFS;
	assert_int_equal(route_mgr_set_desired(mgr, &want, 1), 0);
	assert_int_equal(route_mgr_apply(mgr, &st), -ENOBUFS);
	assert_int_equal(st.failed, 1);
	fk.batch_error = 0;
	assert_int_equal(route_mgr_apply(mgr, &st), 0);
	assert_true(kernel_has(&want));
}

static void test_set_desired_last_wins_and_normalises(void **state)
{
	struct route_entry want[3] = {R("10.244.1.0/26", NULL, "10.0.0.2"),
				      R("10.244.0.5/32", "tw1", NULL),
				      R("10.244.1.9/26", NULL, "10.0.0.3")};
	struct route_entry expect = R("10.244.1.0/26", NULL, "10.0.0.3");
	struct route_apply_stats st;

	(void)state;
	want[0].protocol = 3; /* the manager stamps its own protocol */
	want[2].table = 254;  /* main, spelled out */
	assert_int_equal(route_mgr_set_desired(mgr, want, 3), 0);
	assert_int_equal(route_mgr_apply(mgr, &st), 0);
	assert_int_equal(st.desired, 2);
	assert_true(kernel_has(&expect));
}

static void test_set_desired_rejects_bad_family(void **state)
{
	struct route_entry bad;
	struct route_entry good = R("10.244.0.5/32", "tw1", NULL);
	struct route_apply_stats st;

	(void)state;
	memset(&bad, 0, sizeof(bad));
	assert_int_equal(route_mgr_set_desired(mgr, &good, 1), 0);
	assert_int_equal(route_mgr_set_desired(mgr, &bad, 1), -EINVAL);
	assert_int_equal(route_mgr_apply(mgr, &st), 0);
	assert_int_equal(st.desired, 1); /* the old set stayed */
}

static void test_diff_pure(void **state)
{
	struct route_entry desired[3] = {R("10.0.1.0/24", NULL, "10.9.0.1"),
					 R("10.0.2.0/24", NULL, "10.9.0.2"),
					 R("10.0.3.0/24", NULL, "10.9.0.3")};
	struct route_entry actual[4] = {R("10.0.3.0/24", NULL, "10.9.0.3"),
					R("10.0.2.0/24", NULL, "10.9.0.9"),
					R("10.0.4.0/24", NULL, "10.9.0.4"),
					R("10.0.5.0/24", NULL, "10.9.0.5")};
	size_t *rep, *rem, nrep, nrem, nconf;

	(void)state;
	actual[3].protocol = 2; /* kernel */
	assert_int_equal(route_diff(desired, 3, actual, 4, OURS, &rep, &nrep, &rem, &nrem, &nconf),
			 0);
	assert_int_equal(nconf, 0);
	assert_int_equal(nrep, 2);
	assert_int_equal(rep[0], 0);
	assert_int_equal(rep[1], 1);
	assert_int_equal(nrem, 1);
	assert_int_equal(rem[0], 2);
	free(rep);
	free(rem);
}

static void test_entry_equal_fields(void **state)
{
	struct route_entry a = R("10.0.1.0/24", "eth0", "10.9.0.1"), b;

	(void)state;
	b = a;
	assert_true(route_entry_equal(&a, &b));
	b.onlink = true;
	assert_false(route_entry_equal(&a, &b));
	b = a;
	b.scope = 253;
	assert_false(route_entry_equal(&a, &b));
	b = a;
	b.type = ROUTE_TYPE_BLACKHOLE;
	assert_false(route_entry_equal(&a, &b));
	b = a;
	b.table = 254;
	a.table = 0;
	assert_true(route_entry_equal(&a, &b));
	b.table = 100;
	assert_false(route_entry_equal(&a, &b));
	/* Wanted via a gateway without a device: the kernel's pick is fine. */
	a = R("10.0.1.0/24", NULL, "10.9.0.1");
	b = R("10.0.1.0/24", "eth0", "10.9.0.1");
	assert_true(route_entry_equal(&a, &b));
	assert_false(route_entry_equal(&b, &a));
	b = R("10.0.1.0/24", "eth0", "10.9.0.2");
	assert_false(route_entry_equal(&a, &b));
	/* IPv6: the kernel reports scope global for a route written "scope link". */
	a = R("fd00::5/128", "tw1", NULL);
	a.scope = 253;
	b = a;
	b.scope = 0;
	assert_true(route_entry_equal(&a, &b));
}

static void test_ipv6_routes(void **state)
{
	struct route_entry want = R("fd00:10::40/122", NULL, "fd00:1::2");
	struct route_entry stale = R("fd00:10::80/122", NULL, "fd00:1::3");

	(void)state;
	kernel_add(stale);
	route_mgr_set_in_sync(mgr, true);
	assert_int_equal(route_mgr_set_desired(mgr, &want, 1), 0);
	assert_int_equal(route_mgr_apply(mgr, NULL), 0);
	assert_true(kernel_has(&want));
	assert_false(kernel_has(&stale));
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test_setup_teardown(test_apply_installs_desired, setup, teardown),
	cmocka_unit_test_setup_teardown(test_apply_idempotent, setup, teardown),
	cmocka_unit_test_setup_teardown(test_no_delete_before_in_sync, setup, teardown),
	cmocka_unit_test_setup_teardown(test_foreign_routes_untouched, setup, teardown),
	cmocka_unit_test_setup_teardown(test_foreign_prefix_is_conflict, setup, teardown),
	cmocka_unit_test_setup_teardown(test_changed_route_replaced_not_deleted, setup, teardown),
	cmocka_unit_test_setup_teardown(test_unwanted_deleted_wanted_kept, setup, teardown),
	cmocka_unit_test_setup_teardown(test_drift_repaired, setup, teardown),
	cmocka_unit_test_setup_teardown(test_missing_device_retried, setup, teardown),
	cmocka_unit_test_setup_teardown(test_dump_failure_writes_nothing, setup, teardown),
	cmocka_unit_test_setup_teardown(test_batch_failure_reported, setup, teardown),
	cmocka_unit_test_setup_teardown(test_set_desired_last_wins_and_normalises, setup, teardown),
	cmocka_unit_test_setup_teardown(test_set_desired_rejects_bad_family, setup, teardown),
	cmocka_unit_test_setup_teardown(test_diff_pure, setup, teardown),
	cmocka_unit_test_setup_teardown(test_entry_equal_fields, setup, teardown),
	cmocka_unit_test_setup_teardown(test_ipv6_routes, setup, teardown),
};

TWILL_TEST_MAIN(tests)
