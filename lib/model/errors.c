/* model_errors: a growable array of (kind, name, path, message) entries.
 * Adding never fails from the caller's point of view: on allocation failure
 * the entry is dropped and `oom` is set, which model_errors_failed() reports,
 * so a validator can never turn an out-of-memory into "valid". */
#include "model/errors.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dup_or_null(const char *s, bool *failed)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*failed = true;
	return d;
}

void model_errors_set_object(struct model_errors *errs, const char *kind,
			     const char *name)
{
	bool failed = false;

	if (!errs)
		return;
	free(errs->kind);
	free(errs->name);
	errs->kind = dup_or_null(kind, &failed);
	errs->name = dup_or_null(name, &failed);
	if (failed)
		errs->oom = true;
}

__attribute__((format(printf, 4, 0)))
static void errors_addv(struct model_errors *errs, bool warning,
			const char *path, const char *fmt, va_list ap)
{
	struct model_error *grown, *e;
	bool failed = false;
	char *msg = NULL;

	if (!errs)
		return;
	if (vasprintf(&msg, fmt, ap) < 0) {
		errs->oom = true;
		return;
	}
	grown = realloc(errs->items, (errs->count + 1) * sizeof(*grown));
	if (!grown) {
		free(msg);
		errs->oom = true;
		return;
	}
	errs->items = grown;
	e = &grown[errs->count];
	e->kind = dup_or_null(errs->kind, &failed);
	e->name = dup_or_null(errs->name, &failed);
	e->path = dup_or_null(path ? path : "", &failed);
	e->message = msg;
	e->warning = warning;
	if (failed) {
		free(e->kind);
		free(e->name);
		free(e->path);
		free(e->message);
		errs->oom = true;
		return;
	}
	errs->count++;
}

void model_errors_add(struct model_errors *errs, const char *path,
		      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	errors_addv(errs, false, path, fmt, ap);
	va_end(ap);
}

void model_errors_warn(struct model_errors *errs, const char *path,
		       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	errors_addv(errs, true, path, fmt, ap);
	va_end(ap);
}

size_t model_errors_count(const struct model_errors *errs)
{
	size_t i, n = 0;

	if (!errs)
		return 0;
	for (i = 0; i < errs->count; i++)
		if (!errs->items[i].warning)
			n++;
	return n + (errs->oom ? 1 : 0);
}

bool model_errors_failed(const struct model_errors *errs)
{
	return model_errors_count(errs) > 0;
}

const char *model_errors_format(const struct model_errors *errs, size_t i,
				char *buf, size_t size)
{
	const struct model_error *e;
	int off = 0;

	if (size == 0)
		return buf;
	buf[0] = '\0';
	if (!errs || i >= errs->count)
		return buf;
	e = &errs->items[i];
	if (e->kind && e->name)
		off = snprintf(buf, size, "%s \"%s\": ", e->kind, e->name);
	else if (e->kind)
		off = snprintf(buf, size, "%s: ", e->kind);
	if (off < 0 || (size_t)off >= size)
		return buf;
	if (e->path && e->path[0])
		snprintf(buf + off, size - (size_t)off, "%s%s: %s",
			 e->warning ? "warning: " : "", e->path, e->message);
	else
		snprintf(buf + off, size - (size_t)off, "%s%s",
			 e->warning ? "warning: " : "", e->message);
	return buf;
}

const struct model_error *model_errors_find(const struct model_errors *errs,
					    const char *path)
{
	size_t i;

	if (!errs)
		return NULL;
	for (i = 0; i < errs->count; i++)
		if (strcmp(errs->items[i].path, path) == 0)
			return &errs->items[i];
	return NULL;
}

void model_errors_free(struct model_errors *errs)
{
	size_t i;

	if (!errs)
		return;
	for (i = 0; i < errs->count; i++) {
		free(errs->items[i].kind);
		free(errs->items[i].name);
		free(errs->items[i].path);
		free(errs->items[i].message);
	}
	free(errs->items);
	free(errs->kind);
	free(errs->name);
	memset(errs, 0, sizeof(*errs));
}
