/* Unit tests for lib/prom_text: the exposition lines of one metric, and
 * that a buffer too small fails once with -ENOSPC, keeping only whole
 * appends (never a half line after a cut). */
#include "twill_test.h"

#include <errno.h>
#include <string.h>

#include "prom_text.h"

static void test_metric_lines(void **state)
{
	char buf[256];
	struct prom_text t;

	(void)state;
	prom_text_init(&t, buf, sizeof(buf), "twill_x");
	prom_text_metric(&t, "ready", "gauge", "1 once ready.", 1);
	prom_text_printf(&t, "twill_x_seconds_sum %.1f\n", 2.5);
	assert_int_equal(prom_text_end(&t), (int)strlen(buf));
	assert_string_equal(buf, "# HELP twill_x_ready 1 once ready.\n"
				 "# TYPE twill_x_ready gauge\n"
				 "twill_x_ready 1\n"
				 "twill_x_seconds_sum 2.5\n");
}

static void test_overflow_is_reported_once_and_cut_clean(void **state)
{
	char buf[40];
	struct prom_text t;

	(void)state;
	prom_text_init(&t, buf, sizeof(buf), "p");
	prom_text_printf(&t, "p_a 1\n");
	prom_text_metric(&t, "long_name", "counter", "does not fit in forty bytes", 7);
	prom_text_printf(&t, "p_b 2\n"); /* would fit, but must not land after the cut */
	assert_int_equal(prom_text_end(&t), -ENOSPC);
	assert_string_equal(buf, "p_a 1\n");

	prom_text_init(&t, buf, 0, "p");
	prom_text_printf(&t, "x");
	assert_int_equal(prom_text_end(&t), -ENOSPC);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_metric_lines),
	cmocka_unit_test(test_overflow_is_reported_once_and_cut_clean),
};

TWILL_TEST_MAIN(tests)
