/* policy_ruleset: storage and rendering. Rendering goes through a FILE so
 * the same code writes golden files, stdout and (via open_memstream) the
 * string handed to libnftables. Elements are written one per line so a
 * diff of two golden files reads like the change in the dataplane. */
#include "policy_ruleset.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static int grow(void **items, size_t *cap, size_t count, size_t size)
{
	void *p;
	size_t ncap;

	if (count < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 8;
	p = realloc(*items, ncap * size);
	if (!p)
		return -ENOMEM;
	memset((char *)p + *cap * size, 0, (ncap - *cap) * size);
	*items = p;
	*cap = ncap;
	return 0;
}

int policy_strings_add(struct policy_strings *s, const char *text)
{
	char *copy;

	if (grow((void **)&s->items, &s->cap, s->count, sizeof(*s->items)) < 0)
		return -ENOMEM;
	copy = strdup(text);
	if (!copy)
		return -ENOMEM;
	s->items[s->count++] = copy;
	return 0;
}

int policy_strings_addf(struct policy_strings *s, const char *fmt, ...)
{
	char *text = NULL;
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	rc = policy_strings_add(s, text);
	free(text);
	return rc;
}

bool policy_strings_equal(const struct policy_strings *a, const struct policy_strings *b)
{
	size_t i;

	if (a->count != b->count)
		return false;
	for (i = 0; i < a->count; i++)
		if (strcmp(a->items[i], b->items[i]) != 0)
			return false;
	return true;
}

void policy_strings_free(struct policy_strings *s)
{
	size_t i;

	for (i = 0; i < s->count; i++)
		free(s->items[i]);
	free(s->items);
	memset(s, 0, sizeof(*s));
}

int policy_ruleset_add_set(struct policy_ruleset *rs, const char *name, bool is_map,
			   const char *type, bool interval, struct policy_set **out)
{
	struct policy_set *s;

	if (!name || !type || policy_ruleset_find_set(rs, name))
		return -EINVAL;
	if (grow((void **)&rs->sets, &rs->set_cap, rs->set_count, sizeof(*rs->sets)) < 0)
		return -ENOMEM;
	s = &rs->sets[rs->set_count];
	memset(s, 0, sizeof(*s));
	s->name = strdup(name);
	s->type = strdup(type);
	if (!s->name || !s->type) {
		free(s->name);
		free(s->type);
		return -ENOMEM;
	}
	s->is_map = is_map;
	s->interval = interval;
	rs->set_count++;
	rs->sealed = false;
	if (out)
		*out = s;
	return 0;
}

int policy_ruleset_add_chain(struct policy_ruleset *rs, const char *name, const char *hook,
			     struct policy_chain **out)
{
	struct policy_chain *c;

	if (!name || policy_ruleset_find_chain(rs, name))
		return -EINVAL;
	if (grow((void **)&rs->chains, &rs->chain_cap, rs->chain_count, sizeof(*rs->chains)) < 0)
		return -ENOMEM;
	c = &rs->chains[rs->chain_count];
	memset(c, 0, sizeof(*c));
	c->name = strdup(name);
	c->hook = hook ? strdup(hook) : NULL;
	if (!c->name || (hook && !c->hook)) {
		free(c->name);
		free(c->hook);
		return -ENOMEM;
	}
	rs->chain_count++;
	rs->sealed = false;
	if (out)
		*out = c;
	return 0;
}

static int set_cmp(const void *a, const void *b)
{
	return strcmp(((const struct policy_set *)a)->name, ((const struct policy_set *)b)->name);
}

static int chain_cmp(const void *a, const void *b)
{
	return strcmp(((const struct policy_chain *)a)->name,
		      ((const struct policy_chain *)b)->name);
}

int policy_ruleset_sort(struct policy_ruleset *rs)
{
	size_t i;
	int rc;

	rs->sealed = false;
	if (rs->set_count)
		qsort(rs->sets, rs->set_count, sizeof(*rs->sets), set_cmp);
	if (rs->chain_count)
		qsort(rs->chains, rs->chain_count, sizeof(*rs->chains), chain_cmp);
	for (i = 0; i < rs->set_count; i++) {
		rc = policy_fingerprint_set(&rs->sets[i], rs->sets[i].fingerprint);
		if (rc < 0)
			return rc;
	}
	for (i = 0; i < rs->chain_count; i++) {
		rc = policy_fingerprint_chain(&rs->chains[i], rs->chains[i].fingerprint);
		if (rc < 0)
			return rc;
	}
	rs->sealed = true;
	return 0;
}

static int set_name_cmp(const void *key, const void *item)
{
	return strcmp(key, ((const struct policy_set *)item)->name);
}

static int chain_name_cmp(const void *key, const void *item)
{
	return strcmp(key, ((const struct policy_chain *)item)->name);
}

/* Sealed rulesets are sorted by name: a diff of thousands of sets looks
 * each one up in the other ruleset, so this must not be a linear walk. */
const struct policy_set *policy_ruleset_find_set(const struct policy_ruleset *rs,
						 const char *name)
{
	size_t i;

	if (rs->sealed)
		return rs->set_count ? bsearch(name, rs->sets, rs->set_count, sizeof(*rs->sets),
					       set_name_cmp) : NULL;
	for (i = 0; i < rs->set_count; i++)
		if (strcmp(rs->sets[i].name, name) == 0)
			return &rs->sets[i];
	return NULL;
}

const struct policy_chain *policy_ruleset_find_chain(const struct policy_ruleset *rs,
						     const char *name)
{
	size_t i;

	if (rs->sealed)
		return rs->chain_count ? bsearch(name, rs->chains, rs->chain_count,
						 sizeof(*rs->chains), chain_name_cmp) : NULL;
	for (i = 0; i < rs->chain_count; i++)
		if (strcmp(rs->chains[i].name, name) == 0)
			return &rs->chains[i];
	return NULL;
}

void policy_ruleset_free(struct policy_ruleset *rs)
{
	size_t i;

	if (!rs)
		return;
	for (i = 0; i < rs->set_count; i++) {
		free(rs->sets[i].name);
		free(rs->sets[i].type);
		policy_strings_free(&rs->sets[i].elements);
	}
	for (i = 0; i < rs->chain_count; i++) {
		free(rs->chains[i].name);
		free(rs->chains[i].hook);
		policy_strings_free(&rs->chains[i].rules);
	}
	free(rs->sets);
	free(rs->chains);
	memset(rs, 0, sizeof(*rs));
}

static void render_set(const struct policy_set *s, FILE *out)
{
	size_t i;

	fprintf(out, "\t%s %s {\n\t\ttype %s\n", s->is_map ? "map" : "set", s->name, s->type);
	if (s->interval)
		fprintf(out, "\t\tflags interval\n");
	if (s->elements.count) {
		fprintf(out, "\t\telements = {\n");
		for (i = 0; i < s->elements.count; i++)
			fprintf(out, "\t\t\t%s%s\n", s->elements.items[i],
				i + 1 < s->elements.count ? "," : "");
		fprintf(out, "\t\t}\n");
	}
	fprintf(out, "\t}\n");
}

static void render_chain(const struct policy_chain *c, FILE *out)
{
	size_t i;

	fprintf(out, "\tchain %s {\n", c->name);
	if (c->hook)
		fprintf(out, "\t\t%s\n", c->hook);
	for (i = 0; i < c->rules.count; i++)
		fprintf(out, "\t\t%s\n", c->rules.items[i]);
	fprintf(out, "\t}\n");
}

int policy_ruleset_render_table(const struct policy_ruleset *rs, FILE *out)
{
	size_t i;

	fprintf(out, "table %s %s {\n", POLICY_TABLE_FAMILY, POLICY_TABLE);
	for (i = 0; i < rs->set_count; i++)
		render_set(&rs->sets[i], out);
	for (i = 0; i < rs->chain_count; i++)
		render_chain(&rs->chains[i], out);
	fprintf(out, "}\n");
	return ferror(out) ? -EIO : 0;
}

int policy_ruleset_render(const struct policy_ruleset *rs, FILE *out)
{
	fprintf(out, "table %s %s\ndelete table %s %s\n", POLICY_TABLE_FAMILY, POLICY_TABLE,
		POLICY_TABLE_FAMILY, POLICY_TABLE);
	return policy_ruleset_render_table(rs, out);
}

int policy_ruleset_render_string(const struct policy_ruleset *rs, bool full, char **text)
{
	size_t size = 0;
	FILE *f;
	int rc;

	*text = NULL;
	f = open_memstream(text, &size);
	if (!f)
		return -ENOMEM;
	rc = full ? policy_ruleset_render(rs, f) : policy_ruleset_render_table(rs, f);
	if (fclose(f) != 0 && rc == 0)
		rc = -ENOMEM;
	if (rc < 0) {
		free(*text);
		*text = NULL;
	}
	return rc;
}
