/* labels: a small ordered key -> value map for Kubernetes labels and
 * annotations. Keys are unique; labels_set() replaces an existing value.
 * Lookups are linear: label sets are small (tens of entries) and a flat array
 * is both faster and simpler than a hash at that size. All strings are owned
 * by the map. */
#ifndef TWILL_LABELS_H
#define TWILL_LABELS_H

#include <stddef.h>

struct label {
	char *key;
	char *value;
};

struct labels {
	size_t count;
	struct label *items;
};

#define LABELS_INIT { 0, NULL }

/* Value for key, or NULL when absent. */
const char *labels_get(const struct labels *labels, const char *key);
/* Insert or replace. 0 or -ENOMEM. */
int labels_set(struct labels *labels, const char *key, const char *value);
/* Remove key if present; 0 whether or not it was there. */
int labels_unset(struct labels *labels, const char *key);
/* Deep copy into an empty dst. 0 or -ENOMEM (dst left empty). */
int labels_copy(struct labels *dst, const struct labels *src);
/* 1 when both hold the same keys with the same values, whatever the order. */
int labels_equal(const struct labels *a, const struct labels *b);
void labels_free(struct labels *labels);

#endif
