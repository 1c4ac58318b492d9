/* strv: a growable array of owned, formatted strings (char **items +
 * count), used for the "notes" lists that explain why an input was skipped.
 * The array is always NULL-free; strv_free() releases every string and the
 * array and resets both fields. */
#ifndef TWILL_STRV_H
#define TWILL_STRV_H

#include <stddef.h>

/* Append a printf-formatted string. 0 or -ENOMEM (the list is unchanged). */
int strv_appendf(char ***items, size_t *count, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void strv_free(char ***items, size_t *count);

#endif
