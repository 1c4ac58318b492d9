/* strv: see strv.h. Grows by one element per append: lists are short
 * (a handful of notes per render), so amortised growth buys nothing. */
#include "strv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

int strv_appendf(char ***items, size_t *count, const char *fmt, ...)
{
	char **grown;
	char *text;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	grown = realloc(*items, (*count + 1) * sizeof(*grown));
	if (!grown) {
		free(text);
		return -ENOMEM;
	}
	*items = grown;
	grown[(*count)++] = text;
	return 0;
}

void strv_free(char ***items, size_t *count)
{
	size_t i;

	for (i = 0; i < *count; i++)
		free((*items)[i]);
	free(*items);
	*items = NULL;
	*count = 0;
}
