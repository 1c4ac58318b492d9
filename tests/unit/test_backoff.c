/* Unit tests for lib/backoff: growth, cap, jitter bounds, reset. */
#include "twill_test.h"

#include "backoff.h"

static void test_backoff_bounds_and_cap(void **state)
{
	struct backoff b;
	unsigned i, d, expect_base = 100;

	(void)state;
	backoff_init(&b, 100, 5000, 42);
	for (i = 0; i < 40; i++) {
		d = backoff_next(&b);
		assert_true(d >= expect_base / 2);
		assert_true(d <= expect_base);
		assert_true(d <= 5000);
		if (expect_base < 5000)
			expect_base = expect_base * 2 > 5000 ? 5000 : expect_base * 2;
	}
	/* long past the cap: still capped, never overflowed to 0 */
	assert_int_equal(backoff_base(&b, 1000), 5000);
	assert_int_equal(backoff_base(&b, 0), 100);
	assert_int_equal(backoff_base(&b, 3), 800);
}

static void test_backoff_jitter_varies(void **state)
{
	struct backoff b;
	unsigned i, first, differs = 0;

	(void)state;
	backoff_init(&b, 1000, 1000, 7);
	first = backoff_next(&b);
	for (i = 0; i < 50; i++)
		if (backoff_next(&b) != first)
			differs = 1;
	assert_true(differs);
}

static void test_backoff_reset(void **state)
{
	struct backoff b;
	unsigned i;

	(void)state;
	backoff_init(&b, 10, 10000, 0);
	for (i = 0; i < 10; i++)
		backoff_next(&b);
	assert_true(b.attempt == 10);
	backoff_reset(&b);
	assert_true(backoff_next(&b) <= 10);
}

static void test_backoff_degenerate_params(void **state)
{
	struct backoff b;

	(void)state;
	backoff_init(&b, 0, 0, 1);
	assert_int_equal(b.initial_ms, 1);
	assert_int_equal(b.max_ms, 1);
	assert_true(backoff_next(&b) <= 1);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_backoff_bounds_and_cap),
	cmocka_unit_test(test_backoff_jitter_varies),
	cmocka_unit_test(test_backoff_reset),
	cmocka_unit_test(test_backoff_degenerate_params),
};

TWILL_TEST_MAIN(tests)
