/* policy_diff: structural diff of two policy_ruleset values.
 *
 * Both rulesets keep sets and chains sorted by name, so the walk is a merge
 * by name; elements are compared as exact strings, which is sound because
 * the compiler emits one canonical element text for a given set of points
 * (policy_ranges). The batch is written in passes, one per step of the
 * order documented in the header, so a later pass never refers to
 * something an earlier pass has not created yet, and nothing is deleted
 * while still referenced. */
#include "policy_diff.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T POLICY_TABLE_FAMILY " " POLICY_TABLE

static int str_ptr_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char **sorted_copy(const struct policy_strings *s)
{
	char **v = calloc(s->count + 1, sizeof(*v));

	if (!v)
		return NULL;
	if (s->count) {
		memcpy(v, s->items, s->count * sizeof(*v));
		qsort(v, s->count, sizeof(*v), str_ptr_cmp);
	}
	return v;
}

/* Writes "a, b, ..." for the elements of x that are not in y; returns how many. */
static int element_delta(FILE *out, const struct policy_strings *x,
			 const struct policy_strings *y, size_t *n)
{
	char **a = sorted_copy(x), **b = sorted_copy(y);
	size_t i = 0, j = 0;
	int c, rc = 0;

	*n = 0;
	if (!a || !b) {
		rc = -ENOMEM;
		goto out;
	}
	while (i < x->count) {
		c = j < y->count ? strcmp(a[i], b[j]) : -1;
		if (c > 0) {
			j++;
			continue;
		}
		if (c < 0)
			fprintf(out, "%s%s", (*n)++ ? ", " : "", a[i]);
		else
			j++;
		i++;
	}
out:
	free(a);
	free(b);
	return rc;
}

/* "<verb> element T NAME { ... }" for the elements of x not in y, if any. */
static int write_elements(FILE *out, const char *verb, const char *name,
			  const struct policy_strings *x, const struct policy_strings *y,
			  size_t *count)
{
	char *list = NULL;
	size_t size = 0, n;
	FILE *mem = open_memstream(&list, &size);
	int rc = 0;

	if (!mem)
		return -ENOMEM;
	rc = element_delta(mem, x, y, &n);
	if (fclose(mem) != 0 && rc == 0)
		rc = -ENOMEM;
	if (rc == 0 && n) {
		fprintf(out, "%s element %s %s { %s }\n", verb, T, name, list);
		*count += n;
	}
	free(list);
	return rc;
}

static const struct policy_strings no_strings;

static void write_new_chain(FILE *out, const struct policy_chain *c)
{
	size_t i;

	if (c->hook)
		fprintf(out, "add chain %s %s { %s }\n", T, c->name, c->hook);
	else
		fprintf(out, "add chain %s %s\n", T, c->name);
	for (i = 0; i < c->rules.count; i++)
		fprintf(out, "add rule %s %s %s\n", T, c->name, c->rules.items[i]);
}

static bool set_shape_equal(const struct policy_set *a, const struct policy_set *b)
{
	return a->is_map == b->is_map && a->interval == b->interval && strcmp(a->type, b->type) == 0;
}

static bool hook_equal(const struct policy_chain *a, const struct policy_chain *b)
{
	if (!a->hook || !b->hook)
		return a->hook == b->hook;
	return strcmp(a->hook, b->hook) == 0;
}

static int write_batch(const struct policy_ruleset *o, const struct policy_ruleset *n, FILE *out,
		       struct policy_diff_stats *st)
{
	size_t i;
	int rc;

	/* 1. shapes that cannot change in place */
	for (i = 0; i < n->set_count; i++) {
		const struct policy_set *old = policy_ruleset_find_set(o, n->sets[i].name);

		if (old && !set_shape_equal(old, &n->sets[i]))
			return -ENOTSUP;
	}
	for (i = 0; i < n->chain_count; i++) {
		const struct policy_chain *old = policy_ruleset_find_chain(o, n->chains[i].name);

		if (old && !hook_equal(old, &n->chains[i]))
			return -ENOTSUP;
	}
	/* 2. new sets and maps, with their elements */
	for (i = 0; i < n->set_count; i++) {
		const struct policy_set *s = &n->sets[i];

		if (policy_ruleset_find_set(o, s->name))
			continue;
		fprintf(out, "add %s %s %s { type %s;%s }\n", s->is_map ? "map" : "set", T, s->name,
			s->type, s->interval ? " flags interval;" : "");
		st->sets_added++;
	}
	/* 3. new chains (their rules reference the sets from pass 2) */
	for (i = 0; i < n->chain_count; i++)
		if (!policy_ruleset_find_chain(o, n->chains[i].name)) {
			write_new_chain(out, &n->chains[i]);
			st->chains_added++;
		}
	/* 4. elements: removals first (intervals must never overlap), then additions */
	for (i = 0; i < o->set_count; i++) {
		const struct policy_set *s = &o->sets[i], *ns = policy_ruleset_find_set(n, s->name);

		if (!ns)
			continue;
		rc = write_elements(out, "delete", s->name, &s->elements, &ns->elements,
				    &st->elements_removed);
		if (rc < 0)
			return rc;
	}
	for (i = 0; i < n->set_count; i++) {
		const struct policy_set *s = &n->sets[i], *os = policy_ruleset_find_set(o, s->name);

		rc = write_elements(out, "add", s->name, &s->elements,
				    os ? &os->elements : &no_strings, &st->elements_added);
		if (rc < 0)
			return rc;
	}
	/* 5. kept chains whose rules changed */
	for (i = 0; i < n->chain_count; i++) {
		const struct policy_chain *c = &n->chains[i], *oc = policy_ruleset_find_chain(o, c->name);
		size_t k;

		if (!oc || policy_strings_equal(&oc->rules, &c->rules))
			continue;
		fprintf(out, "flush chain %s %s\n", T, c->name);
		for (k = 0; k < c->rules.count; k++)
			fprintf(out, "add rule %s %s %s\n", T, c->name, c->rules.items[k]);
		st->chains_replaced++;
	}
	/* 6. removed chains (no map element points at them any more) */
	for (i = 0; i < o->chain_count; i++)
		if (!policy_ruleset_find_chain(n, o->chains[i].name)) {
			fprintf(out, "flush chain %s %s\ndelete chain %s %s\n", T, o->chains[i].name, T,
				o->chains[i].name);
			st->chains_removed++;
		}
	/* 7. removed sets (no rule refers to them any more) */
	for (i = 0; i < o->set_count; i++)
		if (!policy_ruleset_find_set(n, o->sets[i].name)) {
			fprintf(out, "delete %s %s %s\n", o->sets[i].is_map ? "map" : "set", T,
				o->sets[i].name);
			st->sets_removed++;
		}
	return ferror(out) ? -EIO : 0;
}

int policy_diff(const struct policy_ruleset *old, const struct policy_ruleset *new_rs,
		char **batch, struct policy_diff_stats *stats)
{
	struct policy_diff_stats st = { 0 };
	size_t size = 0;
	FILE *out;
	int rc;

	if (!old || !new_rs || !batch)
		return -EINVAL;
	*batch = NULL;
	out = open_memstream(batch, &size);
	if (!out)
		return -ENOMEM;
	rc = write_batch(old, new_rs, out, &st);
	if (fclose(out) != 0 && rc == 0)
		rc = -ENOMEM;
	if (rc < 0) {
		free(*batch);
		*batch = NULL;
		return rc;
	}
	if (stats)
		*stats = st;
	return 0;
}
