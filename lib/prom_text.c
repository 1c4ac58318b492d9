/* prom_text: see prom_text.h. vsnprintf writes at the end of what is used;
 * an append that does not fit is cut back (the NUL put where it started) and
 * marks the text full, so later appends cannot land after a hole. */
#include "prom_text.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

void prom_text_init(struct prom_text *t, char *buf, size_t size, const char *prefix)
{
	t->buf = buf;
	t->size = size;
	t->used = 0;
	t->full = size == 0;
	t->prefix = prefix ? prefix : "";
	if (size)
		buf[0] = '\0';
}

void prom_text_printf(struct prom_text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->used, t->size - t->used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= t->size - t->used) {
		t->buf[t->used] = '\0';
		t->full = true;
		return;
	}
	t->used += (size_t)n;
}

void prom_text_metric(struct prom_text *t, const char *name, const char *type, const char *help,
		      uint64_t value)
{
	prom_text_printf(t, "# HELP %s_%s %s\n# TYPE %s_%s %s\n%s_%s %llu\n", t->prefix, name, help,
			 t->prefix, name, type, t->prefix, name, (unsigned long long)value);
}

int prom_text_end(const struct prom_text *t)
{
	return t->full ? -ENOSPC : (int)t->used;
}
