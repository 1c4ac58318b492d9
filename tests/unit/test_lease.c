/* Unit tests for lib/lease: the Lease record, timing rules, and the
 * elector's state machine on a fake clock — including two electors sharing
 * one fake API (compare-and-swap on a resourceVersion) to check that at
 * most one is leader at any instant and a standby takes over in time. */
#include "twill_test.h"

#include <errno.h>
#include <stdlib.h>

#include "lease.h"

static struct lease_timing timing(void)
{
	struct lease_timing t = { 4000, 3000, 500 };

	return t;
}

static void test_timing_rules(void **state)
{
	struct lease_timing t;
	char msg[256];

	(void)state;
	lease_timing_default(&t);
	assert_int_equal(lease_timing_validate(&t, msg, sizeof(msg)), 0);
	t.renew_deadline_ms = t.duration_ms;
	assert_int_equal(lease_timing_validate(&t, msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "renew deadline"));
	t = timing();
	t.retry_period_ms = t.renew_deadline_ms;
	assert_int_equal(lease_timing_validate(&t, msg, sizeof(msg)), -EINVAL);
	t = timing();
	t.duration_ms = 4500;
	assert_int_equal(lease_timing_validate(&t, msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "whole seconds"));
}

static void test_record_json_roundtrip(void **state)
{
	struct lease_record r = { 0 }, back;
	json_object *o, *spec, *v;

	(void)state;
	snprintf(r.holder, sizeof(r.holder), "ctl-a_0001");
	r.duration_s = 15;
	snprintf(r.renew_time, sizeof(r.renew_time), "2026-01-01T00:00:00.000000Z");
	r.transitions = 3;
	snprintf(r.resource_version, sizeof(r.resource_version), "42");
	o = lease_record_to_json(&r, "kube-system", "twill-controllers");
	assert_non_null(o);
	assert_int_equal(lease_record_from_json(o, &back), 0);
	assert_string_equal(back.holder, "ctl-a_0001");
	assert_int_equal(back.duration_s, 15);
	assert_int_equal(back.transitions, 3);
	assert_string_equal(back.resource_version, "42");
	json_object_put(o);
	/* a released record carries an explicit empty holder */
	r.holder[0] = '\0';
	o = lease_record_to_json(&r, "kube-system", "x");
	assert_true(json_object_object_get_ex(o, "spec", &spec));
	assert_true(json_object_object_get_ex(spec, "holderIdentity", &v));
	assert_string_equal(json_object_get_string(v), "");
	json_object_put(o);
	assert_int_equal(lease_record_from_json(NULL, &back), -EINVAL);
}

static void test_time_format(void **state)
{
	struct timespec ts = { 1767225600, 123456789 };
	char buf[LEASE_TIME_MAX];

	(void)state;
	lease_format_time(&ts, buf, sizeof(buf));
	assert_string_equal(buf, "2026-01-01T00:00:00.123456Z");
}

static void test_create_when_absent(void **state)
{
	struct lease_elector e;
	struct lease_record w;
	struct lease_timing t = timing();

	(void)state;
	lease_elector_init(&e, "a", &t);
	assert_int_equal(lease_elector_decide(&e, NULL, 1000, "T", &w), LEASE_STEP_CREATE);
	assert_string_equal(w.holder, "a");
	assert_int_equal(w.duration_s, 4);
	assert_false(lease_elector_is_leader(&e, 1000));
	lease_elector_result(&e, 0, &w, 1000);
	assert_true(lease_elector_is_leader(&e, 1000));
	/* lost the create race */
	lease_elector_init(&e, "b", &t);
	lease_elector_decide(&e, NULL, 1000, "T", &w);
	lease_elector_result(&e, -EEXIST, NULL, 1000);
	assert_false(lease_elector_is_leader(&e, 1000));
}

static void held_by(struct lease_record *r, const char *holder, const char *rv)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->holder, sizeof(r->holder), "%s", holder);
	snprintf(r->resource_version, sizeof(r->resource_version), "%s", rv);
	r->duration_s = 4;
	r->transitions = 1;
}

static void test_standby_waits_for_a_whole_duration(void **state)
{
	struct lease_elector e;
	struct lease_record cur, w;
	struct lease_timing t = timing();

	(void)state;
	lease_elector_init(&e, "b", &t);
	held_by(&cur, "a", "10");
	/* first sight counts as a change: no takeover for 4 s from now */
	assert_int_equal(lease_elector_decide(&e, &cur, 100000, "T", &w), LEASE_STEP_WAIT);
	assert_int_equal(lease_elector_decide(&e, &cur, 103999, "T", &w), LEASE_STEP_WAIT);
	/* the holder renewed (new version): the clock starts again */
	held_by(&cur, "a", "11");
	assert_int_equal(lease_elector_decide(&e, &cur, 103999, "T", &w), LEASE_STEP_WAIT);
	assert_int_equal(lease_elector_decide(&e, &cur, 107998, "T", &w), LEASE_STEP_WAIT);
	/* no change for a whole lease duration: take it over */
	assert_int_equal(lease_elector_decide(&e, &cur, 107999, "T2", &w), LEASE_STEP_UPDATE);
	assert_string_equal(w.holder, "b");
	assert_string_equal(w.resource_version, "11");
	assert_int_equal(w.transitions, 2);
	assert_string_equal(w.acquire_time, "T2");
	lease_elector_result(&e, 0, &w, 108000);
	assert_true(lease_elector_is_leader(&e, 108000));
}

static void test_released_lease_is_taken_at_once(void **state)
{
	struct lease_elector e;
	struct lease_record cur, w;
	struct lease_timing t = timing();

	(void)state;
	lease_elector_init(&e, "b", &t);
	held_by(&cur, "", "12");
	assert_int_equal(lease_elector_decide(&e, &cur, 5, "T", &w), LEASE_STEP_UPDATE);
	assert_string_equal(w.holder, "b");
}

static void test_leader_keeps_title_until_renew_deadline(void **state)
{
	struct lease_elector e;
	struct lease_record w, cur;
	struct lease_timing t = timing();

	(void)state;
	lease_elector_init(&e, "a", &t);
	lease_elector_decide(&e, NULL, 0, "T", &w);
	lease_elector_result(&e, 0, &w, 0);
	/* renewals fail (API down) */
	lease_elector_read_failed(&e, 500);
	assert_true(lease_elector_is_leader(&e, 2999));
	assert_false(lease_elector_is_leader(&e, 3000));
	lease_elector_read_failed(&e, 3000);
	assert_false(e.leader);
	/* a renewal within the deadline extends it */
	lease_elector_init(&e, "a", &t);
	lease_elector_decide(&e, NULL, 0, "T", &w);
	lease_elector_result(&e, 0, &w, 0);
	held_by(&cur, "a", "5");
	assert_int_equal(lease_elector_decide(&e, &cur, 2500, "T", &w), LEASE_STEP_UPDATE);
	lease_elector_result(&e, 0, &w, 2500);
	assert_true(lease_elector_is_leader(&e, 5499));
	assert_false(lease_elector_is_leader(&e, 5500));
	/* a failed renewal write counts the same */
	held_by(&cur, "a", "6");
	lease_elector_decide(&e, &cur, 3000, "T", &w);
	lease_elector_result(&e, -EAGAIN, NULL, 3000);
	assert_true(lease_elector_is_leader(&e, 3000));
}

static void test_another_holder_ends_leadership(void **state)
{
	struct lease_elector e;
	struct lease_record w, cur;
	struct lease_timing t = timing();

	(void)state;
	lease_elector_init(&e, "a", &t);
	lease_elector_decide(&e, NULL, 0, "T", &w);
	lease_elector_result(&e, 0, &w, 0);
	held_by(&cur, "b", "9");
	assert_int_equal(lease_elector_decide(&e, &cur, 100, "T", &w), LEASE_STEP_WAIT);
	assert_false(lease_elector_is_leader(&e, 100));
}

static void test_release_only_own(void **state)
{
	struct lease_elector e;
	struct lease_record w, cur;
	struct lease_timing t = timing();

	(void)state;
	lease_elector_init(&e, "a", &t);
	held_by(&cur, "b", "3");
	assert_false(lease_elector_release(&e, &cur, "T", &w));
	held_by(&cur, "a", "3");
	assert_true(lease_elector_release(&e, &cur, "T", &w));
	assert_string_equal(w.holder, "");
	assert_string_equal(w.resource_version, "3");
	assert_int_equal(w.transitions, 1);
}

/* A fake API: one Lease with a resourceVersion; writes are CAS. */
struct fake_api {
	bool exists;
	struct lease_record rec;
	long rv;
};

static int fake_write(struct fake_api *api, enum lease_step s, struct lease_record *w)
{
	if (s == LEASE_STEP_CREATE && api->exists)
		return -EEXIST;
	if (s == LEASE_STEP_UPDATE &&
	    (!api->exists || strtol(w->resource_version, NULL, 10) != api->rv))
		return -EAGAIN;
	api->exists = true;
	api->rec = *w;
	snprintf(api->rec.resource_version, sizeof(api->rec.resource_version), "%ld", ++api->rv);
	*w = api->rec;
	return 0;
}

static void try_once(struct fake_api *api, struct lease_elector *e, uint64_t now)
{
	struct lease_record cur = api->rec, w;
	enum lease_step s = lease_elector_decide(e, api->exists ? &cur : NULL, now, "T", &w);

	if (s != LEASE_STEP_WAIT)
		lease_elector_result(e, fake_write(api, s, &w), &w, now);
}

static void test_two_electors_one_leader_and_takeover(void **state)
{
	struct fake_api api = { 0 };
	struct lease_elector a, b;
	struct lease_timing t = timing();
	uint64_t now, killed = 0, took_over = 0;
	int a_alive = 1;

	(void)state;
	lease_elector_init(&a, "a", &t);
	lease_elector_init(&b, "b", &t);
	/* b tries a little later than a in every period */
	for (now = 0; now < 30000; now += 50) {
		if (a_alive && now % t.retry_period_ms == 0)
			try_once(&api, &a, now);
		if (now % t.retry_period_ms == 200)
			try_once(&api, &b, now);
		assert_false(a_alive && lease_elector_is_leader(&a, now) &&
			     lease_elector_is_leader(&b, now));
		if (now == 10000) {
			assert_true(lease_elector_is_leader(&a, now)); /* first one won */
			a_alive = 0;                                    /* kill -9 a */
			killed = now;
		}
		if (killed && !took_over && lease_elector_is_leader(&b, now))
			took_over = now;
		/* a dead leader's title lapses on its own clock */
		if (killed && now >= killed + (uint64_t)t.renew_deadline_ms)
			assert_false(lease_elector_is_leader(&a, now));
	}
	assert_true(took_over > killed);
	assert_true(took_over - killed <= (uint64_t)(t.duration_ms + 2 * t.retry_period_ms));
	/* and b never had it while a was renewing */
	assert_true(took_over >= killed + (uint64_t)t.renew_deadline_ms);
}


static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_timing_rules),
	cmocka_unit_test(test_record_json_roundtrip),
	cmocka_unit_test(test_time_format),
	cmocka_unit_test(test_create_when_absent),
	cmocka_unit_test(test_standby_waits_for_a_whole_duration),
	cmocka_unit_test(test_released_lease_is_taken_at_once),
	cmocka_unit_test(test_leader_keeps_title_until_renew_deadline),
	cmocka_unit_test(test_another_holder_ends_leadership),
	cmocka_unit_test(test_release_only_own),
	cmocka_unit_test(test_two_electors_one_leader_and_takeover),
};

TWILL_TEST_MAIN(tests)
