/* route_mgr: desired routes vs. the kernel's routes of our protocol.
 *
 * The desired set is kept sorted by key so the diff is one pass over the
 * dump with a binary search per dumped route (O(m log n)), which matters at
 * 10k routes. A "satisfied" bit per desired route records that the dump
 * already holds it exactly; everything unsatisfied is replaced, and every
 * dumped route of ours whose key is not desired is deleted (once in sync).
 * A desired prefix held only by another protocol's route is a conflict and
 * is not written: NLM_F_REPLACE would silently overwrite that route.
 * The manager holds no picture of the kernel between applies: every apply
 * re-dumps, which is what repairs drift (a route deleted by hand, a veth
 * recreated) without any event from the kernel. */
#include "route_mgr.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define ROUTE_TABLE_MAIN 254

struct route_mgr {
	struct route_dataplane dp;
	uint8_t protocol;
	bool in_sync;
	struct route_entry *desired;
	size_t n_desired;
};

static uint32_t table_of(const struct route_entry *r)
{
	return r->table ? r->table : ROUTE_TABLE_MAIN;
}

int route_entry_key_compare(const struct route_entry *a, const struct route_entry *b)
{
	uint32_t ta = table_of(a), tb = table_of(b);
	int c;

	if (ta != tb)
		return ta < tb ? -1 : 1;
	c = ip_compare(&a->dst.addr, &b->dst.addr);
	if (c)
		return c;
	if (a->dst.prefix_len != b->dst.prefix_len)
		return a->dst.prefix_len < b->dst.prefix_len ? -1 : 1;
	return 0;
}

bool route_entry_equal(const struct route_entry *a, const struct route_entry *b)
{
	if (route_entry_key_compare(a, b) != 0)
		return false;
	/* IPv6 keeps no route scope: the kernel reports every route as global,
	 * so comparing it would rewrite link-scoped IPv6 routes on each apply. */
	if (a->type != b->type || a->onlink != b->onlink || a->protocol != b->protocol ||
	    a->has_gw != b->has_gw || (a->dst.addr.family != AF_INET6 && a->scope != b->scope))
		return false;
	/* A gateway route wanted without a device takes the one the kernel
	 * resolves for the gateway, which the dump then reports. */
	if (!(a->ifname[0] == '\0' && a->has_gw) &&
	    strncmp(a->ifname, b->ifname, ROUTE_IFNAME_SIZE) != 0)
		return false;
	return !a->has_gw || ip_equal(&a->gw, &b->gw);
}

static int key_compare_void(const void *a, const void *b)
{
	return route_entry_key_compare(a, b);
}

struct indexed_entry {
	struct route_entry r;
	size_t idx;
};

static int indexed_compare(const void *pa, const void *pb)
{
	const struct indexed_entry *a = pa, *b = pb;
	int c = route_entry_key_compare(&a->r, &b->r);

	if (c)
		return c;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

int route_diff(const struct route_entry *desired, size_t n_desired,
	       const struct route_entry *actual, size_t n_actual, uint8_t protocol,
	       size_t **replace, size_t *n_replace, size_t **remove, size_t *n_remove,
	       size_t *n_conflict)
{
	enum { OURS_EQUAL = 1, OURS_PRESENT = 2, FOREIGN = 4 };
	uint8_t *seen = NULL;
	size_t i;
	int rc = 0;

	*replace = NULL;
	*remove = NULL;
	*n_replace = 0;
	*n_remove = 0;
	*n_conflict = 0;
	seen = calloc(n_desired ? n_desired : 1, sizeof(*seen));
	*replace = malloc((n_desired ? n_desired : 1) * sizeof(**replace));
	*remove = malloc((n_actual ? n_actual : 1) * sizeof(**remove));
	if (!seen || !*replace || !*remove) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n_actual; i++) {
		const struct route_entry *want = NULL;

		if (n_desired)
			want = bsearch(&actual[i], desired, n_desired, sizeof(*desired),
				       key_compare_void);
		if (actual[i].protocol != protocol) {
			/* Not ours: never touched, and it blocks a write of
			 * ours to the same prefix (REPLACE would overwrite it). */
			if (want)
				seen[want - desired] |= FOREIGN;
			continue;
		}
		if (!want) {
			(*remove)[(*n_remove)++] = i;
			continue;
		}
		seen[want - desired] |= OURS_PRESENT;
		if (route_entry_equal(want, &actual[i]))
			seen[want - desired] |= OURS_EQUAL;
	}
	for (i = 0; i < n_desired; i++) {
		if (seen[i] & OURS_EQUAL)
			continue;
		if ((seen[i] & FOREIGN) && !(seen[i] & OURS_PRESENT)) {
			(*n_conflict)++;
			continue;
		}
		(*replace)[(*n_replace)++] = i;
	}
out:
	free(seen);
	if (rc < 0) {
		free(*replace);
		free(*remove);
		*replace = NULL;
		*remove = NULL;
	}
	return rc;
}

int route_mgr_new(const struct route_dataplane *dp, uint8_t protocol, struct route_mgr **out)
{
	struct route_mgr *m;

	if (!dp || !dp->dump || !dp->replace_batch || !dp->delete_batch || !out)
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->dp = *dp;
	m->protocol = protocol;
	*out = m;
	return 0;
}

void route_mgr_free(struct route_mgr *m)
{
	if (!m)
		return;
	free(m->desired);
	free(m);
}

int route_mgr_set_desired(struct route_mgr *m, const struct route_entry *routes, size_t n)
{
	struct route_entry *copy;
	size_t i, kept = 0;

	for (i = 0; i < n; i++)
		if (!ip_max_prefix(routes[i].dst.addr.family) ||
		    routes[i].dst.prefix_len > ip_max_prefix(routes[i].dst.addr.family))
			return -EINVAL;
	copy = malloc((n ? n : 1) * sizeof(*copy));
	if (!copy)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		copy[i] = routes[i];
		cidr_network(&copy[i].dst);
		copy[i].protocol = m->protocol;
		copy[i].ifname[ROUTE_IFNAME_SIZE - 1] = '\0';
		if (copy[i].table == ROUTE_TABLE_MAIN)
			copy[i].table = 0;
	}
	/* Of equal keys the last given wins: sort by (key, input index) and
	 * keep the last entry of each run. */
	if (n > 1) {
		struct indexed_entry *tmp = malloc(n * sizeof(*tmp));

		if (!tmp) {
			free(copy);
			return -ENOMEM;
		}
		for (i = 0; i < n; i++) {
			tmp[i].r = copy[i];
			tmp[i].idx = i;
		}
		qsort(tmp, n, sizeof(*tmp), indexed_compare);
		for (i = 0; i < n; i++) {
			if (i + 1 < n && route_entry_key_compare(&tmp[i].r, &tmp[i + 1].r) == 0)
				continue;
			copy[kept++] = tmp[i].r;
		}
		free(tmp);
	} else {
		kept = n;
	}
	free(m->desired);
	m->desired = copy;
	m->n_desired = kept;
	return 0;
}

void route_mgr_set_in_sync(struct route_mgr *m, bool in_sync)
{
	m->in_sync = in_sync;
}

/* Gather the selected entries into a contiguous array for the shim, write
 * them, and count results. */
static int write_batch(struct route_mgr *m, bool del, const struct route_entry *src,
		       const size_t *idx, size_t n, size_t *ok, size_t *failed)
{
	struct route_entry *batch = NULL;
	int *errs = NULL;
	size_t i;
	int rc = 0, first_err = 0;

	if (!n)
		return 0;
	batch = malloc(n * sizeof(*batch));
	errs = calloc(n, sizeof(*errs));
	if (!batch || !errs) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++)
		batch[i] = src[idx[i]];
	rc = del ? m->dp.delete_batch(m->dp.ctx, batch, n, errs)
		 : m->dp.replace_batch(m->dp.ctx, batch, n, errs);
	if (rc < 0) {
		*failed += n;
		log_warn("event=route_batch_failed op=%s routes=%zu err=%d", del ? "delete" : "replace",
			 n, rc);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (errs[i] == 0) {
			(*ok)++;
			continue;
		}
		if (!first_err) {
			char dst[CIDR_STRLEN];

			first_err = errs[i];
			cidr_format(&batch[i].dst, dst, sizeof(dst));
			log_warn("event=route_write_failed op=%s dst=%s dev=%s err=%d",
				 del ? "delete" : "replace", dst,
				 batch[i].ifname[0] ? batch[i].ifname : "-", errs[i]);
		}
		(*failed)++;
	}
	rc = first_err;
out:
	free(batch);
	free(errs);
	return rc;
}

int route_mgr_apply(struct route_mgr *m, struct route_apply_stats *stats)
{
	struct route_apply_stats st = {0};
	struct route_entry *actual = NULL;
	size_t n_actual = 0, *replace = NULL, *remove = NULL, n_replace, n_remove, i;
	int rc, wrc;

	st.desired = m->n_desired;
	rc = m->dp.dump(m->dp.ctx, m->protocol, &actual, &n_actual);
	if (rc < 0) {
		log_warn("event=route_dump_failed err=%d", rc);
		goto out;
	}
	st.dump_ok = true;
	for (i = 0; i < n_actual; i++) {
		if (actual[i].table == ROUTE_TABLE_MAIN)
			actual[i].table = 0;
		if (actual[i].protocol == m->protocol)
			st.dumped++;
	}
	rc = route_diff(m->desired, m->n_desired, actual, n_actual, m->protocol, &replace,
			&n_replace, &remove, &n_remove, &st.conflicts);
	if (rc < 0)
		goto out;
	if (st.conflicts)
		log_warn("event=route_conflict routes=%zu msg=\"a route of another protocol "
			 "holds a prefix felix wants; left alone\"", st.conflicts);
	/* Replace first: a prefix changing next hop is never missing. */
	rc = write_batch(m, false, m->desired, replace, n_replace, &st.replaced, &st.failed);
	if (!m->in_sync) {
		st.deferred = n_remove;
		goto out;
	}
	wrc = write_batch(m, true, actual, remove, n_remove, &st.deleted, &st.failed);
	if (!rc)
		rc = wrc;
out:
	if (st.replaced || st.deleted || st.failed)
		log_info("event=route_apply desired=%zu dumped=%zu replaced=%zu deleted=%zu "
			 "failed=%zu deferred=%zu conflicts=%zu",
			 st.desired, st.dumped, st.replaced, st.deleted, st.failed, st.deferred,
			 st.conflicts);
	free(actual);
	free(replace);
	free(remove);
	if (stats)
		*stats = st;
	return rc;
}
