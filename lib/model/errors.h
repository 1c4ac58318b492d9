/* model_errors: the list of problems found while parsing or validating a
 * resource. Parsers and validators never stop at the first problem: they keep
 * going and collect every error, each with the field path it concerns
 * ("spec.blockSize", "spec.communities[1].value") and a message that quotes
 * the offending value. model_errors_format() renders one entry as
 *     IPPool "pool-a": spec.blockSize: must be between 20 and 32 for an IPv4 pool, got 40
 * which is what twillctl validate prints and what daemons log.
 *
 * The object context (kind and name) is set by whoever knows it (the kind
 * parser, or model_validate_object) and is copied into every error recorded
 * afterwards. Warnings use the same list with warning = true; they never make
 * model_errors_failed() true. All strings are owned by the list. On -ENOMEM
 * the list remembers that it overflowed (oom = true) so a caller can still
 * tell that the object was not clean. */
#ifndef TWILL_MODEL_ERRORS_H
#define TWILL_MODEL_ERRORS_H

#include <stdbool.h>
#include <stddef.h>

struct model_error {
	char *kind;    /* "IPPool"; may be NULL */
	char *name;    /* metadata.name; may be NULL */
	char *path;    /* "spec.blockSize"; "" for the object itself */
	char *message; /* "must be between 20 and 32 ..., got 40" */
	bool warning;
};

struct model_errors {
	size_t count;
	struct model_error *items;
	char *kind; /* current context copied into new entries */
	char *name;
	bool oom;
};

#define MODEL_ERRORS_INIT { 0, NULL, NULL, NULL, false }

/* Set the kind/name copied into errors added from now on (NULL clears). */
void model_errors_set_object(struct model_errors *errs, const char *kind,
			     const char *name);
/* Record an error at path. Safe to call with errs == NULL (then a no-op). */
void model_errors_add(struct model_errors *errs, const char *path,
		      const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void model_errors_warn(struct model_errors *errs, const char *path,
		       const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Number of non-warning entries (plus one if an allocation failed). */
size_t model_errors_count(const struct model_errors *errs);
bool model_errors_failed(const struct model_errors *errs);
/* Render entry i into buf (always NUL-terminated). Returns buf. */
const char *model_errors_format(const struct model_errors *errs, size_t i,
				char *buf, size_t size);
/* First error whose path equals path, or NULL: handy in tests and callers
 * that want to react to one field. */
const struct model_error *model_errors_find(const struct model_errors *errs,
					    const char *path);
void model_errors_free(struct model_errors *errs);

#endif
