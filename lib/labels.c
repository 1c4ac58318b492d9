/* labels: flat array map; see labels.h for why it is not a hash. */
#include "labels.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static struct label *labels_find(const struct labels *labels, const char *key)
{
	size_t i;

	for (i = 0; i < labels->count; i++)
		if (strcmp(labels->items[i].key, key) == 0)
			return &labels->items[i];
	return NULL;
}

const char *labels_get(const struct labels *labels, const char *key)
{
	const struct label *l = labels_find(labels, key);

	return l ? l->value : NULL;
}

int labels_set(struct labels *labels, const char *key, const char *value)
{
	struct label *l = labels_find(labels, key);
	struct label *grown;
	char *k = NULL, *v;

	v = strdup(value);
	if (!v)
		return -ENOMEM;
	if (l) {
		free(l->value);
		l->value = v;
		return 0;
	}
	k = strdup(key);
	grown = k ? realloc(labels->items, (labels->count + 1) * sizeof(*grown)) : NULL;
	if (!grown) {
		free(k);
		free(v);
		return -ENOMEM;
	}
	labels->items = grown;
	labels->items[labels->count].key = k;
	labels->items[labels->count].value = v;
	labels->count++;
	return 0;
}

int labels_unset(struct labels *labels, const char *key)
{
	struct label *l = labels_find(labels, key);
	size_t idx;

	if (!l)
		return 0;
	idx = (size_t)(l - labels->items);
	free(l->key);
	free(l->value);
	memmove(&labels->items[idx], &labels->items[idx + 1],
		(labels->count - idx - 1) * sizeof(*l));
	labels->count--;
	return 0;
}

int labels_copy(struct labels *dst, const struct labels *src)
{
	size_t i;
	int ret;

	for (i = 0; i < src->count; i++) {
		ret = labels_set(dst, src->items[i].key, src->items[i].value);
		if (ret < 0) {
			labels_free(dst);
			return ret;
		}
	}
	return 0;
}

int labels_equal(const struct labels *a, const struct labels *b)
{
	size_t i;

	if (a->count != b->count)
		return 0;
	for (i = 0; i < a->count; i++) {
		const char *v = labels_get(b, a->items[i].key);

		if (!v || strcmp(v, a->items[i].value) != 0)
			return 0;
	}
	return 1;
}

void labels_free(struct labels *labels)
{
	size_t i;

	for (i = 0; i < labels->count; i++) {
		free(labels->items[i].key);
		free(labels->items[i].value);
	}
	free(labels->items);
	labels->items = NULL;
	labels->count = 0;
}
