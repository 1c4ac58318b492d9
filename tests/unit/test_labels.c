/* Unit tests for lib/labels. */
#include "twill_test.h"

#include "labels.h"

static void test_set_get_replace(void **state)
{
	struct labels l = LABELS_INIT;

	(void)state;
	assert_null(labels_get(&l, "app"));
	assert_int_equal(labels_set(&l, "app", "web"), 0);
	assert_int_equal(labels_set(&l, "tier", "front"), 0);
	assert_string_equal(labels_get(&l, "app"), "web");
	assert_int_equal(labels_set(&l, "app", "db"), 0);
	assert_int_equal(l.count, 2);
	assert_string_equal(labels_get(&l, "app"), "db");
	labels_free(&l);
	assert_int_equal(l.count, 0);
}

static void test_unset_copy_equal(void **state)
{
	struct labels a = LABELS_INIT, b = LABELS_INIT;

	(void)state;
	labels_set(&a, "x", "1");
	labels_set(&a, "y", "2");
	labels_set(&a, "z", "3");
	assert_int_equal(labels_copy(&b, &a), 0);
	assert_true(labels_equal(&a, &b));
	assert_int_equal(labels_unset(&a, "y"), 0);
	assert_int_equal(labels_unset(&a, "absent"), 0);
	assert_int_equal(a.count, 2);
	assert_null(labels_get(&a, "y"));
	assert_string_equal(labels_get(&a, "z"), "3");
	assert_false(labels_equal(&a, &b));
	labels_set(&b, "y", "changed");
	labels_unset(&b, "y");
	assert_true(labels_equal(&a, &b));
	labels_set(&b, "x", "other");
	assert_false(labels_equal(&a, &b));
	labels_free(&a);
	labels_free(&b);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_set_get_replace),
	cmocka_unit_test(test_unset_copy_equal),
};

TWILL_TEST_MAIN(tests)
