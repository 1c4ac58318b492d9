/* Shared harness for twill's cmocka unit tests.
 *
 * Each test program ends with TWILL_TEST_MAIN(tests). With no argument it runs
 * every case; with one argument it runs only the case of that exact name, which
 * is how CMake registers each case as its own ctest test. A name that matches
 * no case fails, so a renamed test can never silently pass. */
#ifndef TWILL_TEST_H
#define TWILL_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#define TWILL_TEST_MAIN(tests)                                                 \
	int main(int argc, char **argv)                                        \
	{                                                                      \
		if (argc > 1) {                                                \
			size_t i, found = 0;                                   \
			for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) \
				if (strcmp(tests[i].name, argv[1]) == 0)       \
					found = 1;                             \
			if (!found) {                                          \
				fprintf(stderr, "no test named %s\n", argv[1]); \
				return 2;                                      \
			}                                                      \
			cmocka_set_test_filter(argv[1]);                       \
		}                                                              \
		return cmocka_run_group_tests(tests, NULL, NULL);              \
	}

#endif
