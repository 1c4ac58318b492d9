/* policy_diff: structural diff of two policy_ruleset values.
 *
 * Both rulesets keep sets and chains sorted by name, so the walk is a merge
 * by name; elements are compared as exact strings, which is sound because
 * the compiler emits one canonical element text for a given set of points
 * (policy_ranges). A kept set or chain whose fingerprint is unchanged is
 * skipped without looking at its elements or rules (both rulesets sealed),
 * so the cost of a diff is one lookup per name plus the size of what
 * changed, not the size of the ruleset. The batch is written in passes, one per step of the
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

/* The elements of x that are not in y: *n of them, in *only (sorted,
 * pointing into x; NULL-terminated, freed by the caller). */
static int element_delta(const struct policy_strings *x, const struct policy_strings *y,
			 char ***only, size_t *n)
{
	char **a = sorted_copy(x), **b = sorted_copy(y);
	size_t i = 0, j = 0;
	int c, rc = 0;

	*n = 0;
	*only = NULL;
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
			a[(*n)++] = a[i]; /* compacts in place: *n <= i */
		else
			j++;
		i++;
	}
	a[*n] = NULL;
	*only = a;
	a = NULL;
out:
	free(a);
	free(b);
	return rc;
}

/* "add set|map T NAME { type ..; [flags interval;] [elements = { .. }] }":
 * the one form that adds elements without libnftables 1.0.6 reading the
 * elements of every interval set of the table first (see the header). */
static void write_set_decl(FILE *out, const struct policy_set *s, char *const *elements,
			   size_t count)
{
	size_t i;

	fprintf(out, "add %s %s %s { type %s;%s", s->is_map ? "map" : "set", T, s->name, s->type,
		s->interval ? " flags interval;" : "");
	if (count) {
		fputs(" elements = { ", out);
		for (i = 0; i < count; i++)
			fprintf(out, "%s%s", i ? ", " : "", elements[i]);
		fputs(" };", out);
	}
	fputs(" }\n", out);
}

/* A kept set whose content changed. Only additions: they are added (the
 * compiler's elements never overlap, so new ones cannot collide with kept
 * ones). Any removal: the set is flushed and refilled, as libnftables can
 * only delete elements after reading those of every interval set. */
static int write_changed_set(FILE *out, const struct policy_set *os, const struct policy_set *s,
			     struct policy_diff_stats *st)
{
	char **added = NULL, **removed = NULL;
	size_t n_added, n_removed;
	int rc;

	rc = element_delta(&s->elements, &os->elements, &added, &n_added);
	if (rc == 0)
		rc = element_delta(&os->elements, &s->elements, &removed, &n_removed);
	if (rc < 0)
		goto out;
	if (n_added == 0 && n_removed == 0)
		goto out; /* same elements in another order */
	if (n_removed == 0) {
		write_set_decl(out, s, added, n_added);
	} else {
		fprintf(out, "flush %s %s %s\n", s->is_map ? "map" : "set", T, s->name);
		if (s->elements.count)
			write_set_decl(out, s, s->elements.items, s->elements.count);
		st->sets_refilled++;
	}
	st->elements_added += n_added;
	st->elements_removed += n_removed;
out:
	free(added);
	free(removed);
	return rc;
}

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

/* Same content? Fingerprints when both sides have them, else the strings. */
static bool set_unchanged(const struct policy_ruleset *o, const struct policy_set *a,
			  const struct policy_ruleset *n, const struct policy_set *b)
{
	if (o->sealed && n->sealed)
		return policy_fingerprint_equal(a->fingerprint, b->fingerprint);
	return policy_strings_equal(&a->elements, &b->elements);
}

static bool chain_unchanged(const struct policy_ruleset *o, const struct policy_chain *a,
			    const struct policy_ruleset *n, const struct policy_chain *b)
{
	if (o->sealed && n->sealed)
		return policy_fingerprint_equal(a->fingerprint, b->fingerprint);
	return policy_strings_equal(&a->rules, &b->rules);
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
		write_set_decl(out, s, s->elements.items, s->elements.count);
		st->sets_added++;
		st->elements_added += s->elements.count;
	}
	/* 3. new chains (their rules reference the sets from pass 2) */
	for (i = 0; i < n->chain_count; i++)
		if (!policy_ruleset_find_chain(o, n->chains[i].name)) {
			write_new_chain(out, &n->chains[i]);
			st->chains_added++;
		}
	/* 4. kept sets whose content changed: new elements added, or the set
	 * flushed and refilled when any went (the rules that use it stay; the
	 * transaction makes the swap atomic, so no packet sees it half filled) */
	for (i = 0; i < n->set_count; i++) {
		const struct policy_set *s = &n->sets[i], *os = policy_ruleset_find_set(o, s->name);

		if (!os || set_unchanged(o, os, n, s))
			continue;
		rc = write_changed_set(out, os, s, st);
		if (rc < 0)
			return rc;
	}
	/* 5. kept chains whose rules changed */
	for (i = 0; i < n->chain_count; i++) {
		const struct policy_chain *c = &n->chains[i], *oc = policy_ruleset_find_chain(o, c->name);
		size_t k;

		if (!oc || chain_unchanged(o, oc, n, c))
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
