/* check: the consistency rules of `twillctl ipam check` and gc.
 *
 * The block is the source of truth for who holds an address; handles only
 * count. So every rule starts from the blocks: each allocated ordinal is
 * turned into (address, block, attribute) and compared with the handles,
 * pods and nodes of the same snapshot. Lookups are linear or sorted scans
 * over the snapshot: a cluster has thousands of objects, not millions, and
 * check runs rarely. Nothing here does I/O or reads the clock. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block_alloc.h"
#include "check.h"
#include "handle.h"
#include "model/errors.h"

const char *ipam_finding_kind_name(enum ipam_finding_kind kind)
{
	switch (kind) {
	case IPAM_FINDING_LEAKED:
		return "leaked";
	case IPAM_FINDING_NO_HANDLE:
		return "no-handle";
	case IPAM_FINDING_EMPTY_HANDLE:
		return "empty-handle";
	case IPAM_FINDING_UNDERCOUNT:
		return "undercount";
	case IPAM_FINDING_ORPHAN_BLOCK:
		return "orphan-block";
	case IPAM_FINDING_STALE_AFFINITY:
		return "stale-affinity";
	case IPAM_FINDING_DUPLICATE:
		return "duplicate";
	case IPAM_FINDING_BAD_BLOCK:
		return "bad-block";
	}
	return "unknown";
}

time_t ipam_parse_timestamp(const char *text)
{
	struct tm tm;
	const char *rest;

	if (!text)
		return 0;
	memset(&tm, 0, sizeof(tm));
	rest = strptime(text, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!rest)
		return 0;
	if (*rest == '.')
		for (rest++; *rest >= '0' && *rest <= '9'; rest++)
			;
	if (strcmp(rest, "Z") != 0 && strcmp(rest, "+00:00") != 0)
		return 0;
	return timegm(&tm);
}

void ipam_findings_free(struct ipam_findings *f)
{
	if (!f)
		return;
	free(f->items);
	memset(f, 0, sizeof(*f));
}

static struct ipam_finding *add(struct ipam_findings *f, enum ipam_finding_kind kind)
{
	struct ipam_finding *it;

	if (f->count == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 16;
		struct ipam_finding *n = realloc(f->items, cap * sizeof(*n));

		if (!n)
			return NULL;
		f->items = n;
		f->cap = cap;
	}
	it = &f->items[f->count++];
	memset(it, 0, sizeof(*it));
	it->kind = kind;
	return it;
}

static void copy(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

const struct ipamhandle *ipam_snapshot_handle(const struct ipam_snapshot *s, const char *id)
{
	size_t i;

	for (i = 0; id && i < s->handle_count; i++)
		if (s->handles[i].handle_id && strcmp(s->handles[i].handle_id, id) == 0)
			return &s->handles[i];
	return NULL;
}

static const struct ipam_pod_ref *find_pod(const struct ipam_snapshot *s, const char *ns,
					   const char *name)
{
	size_t i;

	for (i = 0; i < s->pod_count; i++)
		if (strcmp(s->pods[i].namespace, ns) == 0 && strcmp(s->pods[i].name, name) == 0)
			return &s->pods[i];
	return NULL;
}

bool ipam_snapshot_has_node(const struct ipam_snapshot *s, const char *node)
{
	size_t i;

	for (i = 0; i < s->node_count; i++)
		if (strcmp(s->nodes[i], node) == 0)
			return true;
	return false;
}

static bool block_ok(const struct ipamblock *b, struct cidr *net)
{
	struct model_errors errs = MODEL_ERRORS_INIT;
	bool ok;

	ipamblock_validate(b, &errs);
	ok = !model_errors_failed(&errs) && b->cidr && cidr_parse(b->cidr, net) == 0;
	model_errors_free(&errs);
	return ok;
}

bool ipam_handle_names_container(const char *handle_id, const char *container_id)
{
	size_t hl = strlen(handle_id), cl = strlen(container_id);

	return hl > cl && handle_id[hl - cl - 1] == '.' &&
	       strcmp(handle_id + hl - cl, container_id) == 0;
}

static bool pod_gone(const struct ipam_snapshot *s, const struct ipamblock_attribute *a,
		     char *why, size_t size)
{
	const char *ns = labels_get(&a->secondary, IPAM_ATTR_NAMESPACE);
	const char *pod = labels_get(&a->secondary, IPAM_ATTR_POD);
	const struct ipam_pod_ref *p;

	if (!s->pods_known || !ns || !pod || !a->handle_id)
		return false;
	p = find_pod(s, ns, pod);
	if (!p) {
		snprintf(why, size, "pod %s/%s no longer exists", ns, pod);
		return true;
	}
	if (p->container_id && !ipam_handle_names_container(a->handle_id, p->container_id)) {
		snprintf(why, size, "pod %s/%s now runs container %s", ns, pod, p->container_id);
		return true;
	}
	return false;
}

static time_t newest(time_t a, time_t b)
{
	return a > b ? a : b;
}

/* Age of a handle for gc: its creation, or its last increment when the
 * engine recorded one later (a handle counted up again by a newer ADD is
 * as young as that ADD). */
static time_t handle_since(const struct ipamhandle *h)
{
	return newest(ipam_parse_timestamp(h->meta.creation_timestamp),
		      ipam_parse_timestamp(labels_get(&h->meta.annotations,
						      IPAM_HANDLE_ASSIGNED_AT)));
}

struct held {
	struct ip_addr ip;
	size_t block;
};

static int held_cmp(const void *a, const void *b)
{
	const struct held *x = a, *y = b;
	int c = ip_compare(&x->ip, &y->ip);

	if (c)
		return c;
	return x->block < y->block ? -1 : x->block > y->block;
}

/* Addresses per (handle, block) for the undercount rule. */
static int64_t block_count_for(const struct ipamblock *b, const char *handle_id)
{
	int64_t n = 0;
	size_t i;

	for (i = 0; i < b->allocation_count; i++) {
		int64_t k = b->allocations[i];

		if (k >= 0 && (size_t)k < b->attribute_count && b->attributes[k].handle_id &&
		    strcmp(b->attributes[k].handle_id, handle_id) == 0)
			n++;
	}
	return n;
}

static int check_allocations(const struct ipam_snapshot *s, struct ipam_findings *out,
			     struct held **held_out, size_t *held_n)
{
	struct held *held = NULL;
	size_t nheld = 0, cap = 0, bi, i;

	for (bi = 0; bi < s->block_count; bi++) {
		const struct ipamblock *b = &s->blocks[bi];
		struct cidr net;

		if (!block_ok(b, &net)) {
			struct ipam_finding *f = add(out, IPAM_FINDING_BAD_BLOCK);

			if (!f)
				goto oom;
			copy(f->block, sizeof(f->block), b->cidr);
			copy(f->object, sizeof(f->object), b->meta.name);
			copy(f->detail, sizeof(f->detail),
			     "allocations, free list and attributes disagree");
			continue;
		}
		for (i = 0; i < b->allocation_count; i++) {
			const struct ipamblock_attribute *a;
			const struct ipamhandle *h;
			struct ipam_finding *f;
			struct ip_addr ip;
			char why[IPAM_FINDING_TEXT_MAX];

			if (b->allocations[i] < 0)
				continue;
			a = &b->attributes[b->allocations[i]];
			if (cidr_nth_addr(&net, i, &ip) < 0)
				continue;
			if (nheld == cap) {
				size_t nc = cap ? cap * 2 : 256;
				struct held *n = realloc(held, nc * sizeof(*n));

				if (!n)
					goto oom;
				held = n;
				cap = nc;
			}
			held[nheld].ip = ip;
			held[nheld++].block = bi;
			h = ipam_snapshot_handle(s, a->handle_id);
			f = NULL;
			if (!h) {
				f = add(out, IPAM_FINDING_NO_HANDLE);
				if (!f)
					goto oom;
				snprintf(f->detail, sizeof(f->detail), "handle %s has no IPAMHandle",
					 a->handle_id ? a->handle_id : "(none)");
			} else if (pod_gone(s, a, why, sizeof(why))) {
				f = add(out, IPAM_FINDING_LEAKED);
				if (!f)
					goto oom;
				copy(f->detail, sizeof(f->detail), why);
				copy(f->object, sizeof(f->object), h->meta.name);
				f->since = newest(handle_since(h),
						  ipam_parse_timestamp(labels_get(&a->secondary,
										  IPAM_ATTR_TIMESTAMP)));
			}
			if (f) {
				ip_format(&ip, f->ip, sizeof(f->ip));
				copy(f->block, sizeof(f->block), b->cidr);
				copy(f->handle_id, sizeof(f->handle_id), a->handle_id);
			}
		}
	}
	*held_out = held;
	*held_n = nheld;
	return 0;
oom:
	free(held);
	return -ENOMEM;
}

static int check_duplicates(const struct ipam_snapshot *s, struct held *held, size_t n,
			    struct ipam_findings *out)
{
	size_t i;

	if (n > 1)
		qsort(held, n, sizeof(*held), held_cmp);
	for (i = 1; i < n; i++) {
		struct ipam_finding *f;

		if (!ip_equal(&held[i].ip, &held[i - 1].ip))
			continue;
		if (!(f = add(out, IPAM_FINDING_DUPLICATE)))
			return -ENOMEM;
		ip_format(&held[i].ip, f->ip, sizeof(f->ip));
		copy(f->block, sizeof(f->block), s->blocks[held[i].block].cidr);
		snprintf(f->detail, sizeof(f->detail), "also held in block %s",
			 s->blocks[held[i - 1].block].cidr);
	}
	return 0;
}

static int check_handles(const struct ipam_snapshot *s, struct ipam_findings *out)
{
	size_t hi, j, bi;

	for (hi = 0; hi < s->handle_count; hi++) {
		const struct ipamhandle *h = &s->handles[hi];
		int64_t total = 0;

		if (!h->handle_id)
			continue;
		for (bi = 0; bi < s->block_count; bi++) {
			int64_t held = block_count_for(&s->blocks[bi], h->handle_id);

			total += held;
			if (held > ipam_handle_count(h, s->blocks[bi].cidr)) {
				struct ipam_finding *f = add(out, IPAM_FINDING_UNDERCOUNT);

				if (!f)
					return -ENOMEM;
				copy(f->handle_id, sizeof(f->handle_id), h->handle_id);
				copy(f->object, sizeof(f->object), h->meta.name);
				copy(f->block, sizeof(f->block), s->blocks[bi].cidr);
				snprintf(f->detail, sizeof(f->detail),
					 "handle records %lld, block holds %lld",
					 (long long)ipam_handle_count(h, s->blocks[bi].cidr),
					 (long long)held);
			}
		}
		if (total == 0) {
			struct ipam_finding *f = add(out, IPAM_FINDING_EMPTY_HANDLE);

			if (!f)
				return -ENOMEM;
			copy(f->handle_id, sizeof(f->handle_id), h->handle_id);
			copy(f->object, sizeof(f->object), h->meta.name);
			j = (size_t)ipam_handle_total(h);
			snprintf(f->detail, sizeof(f->detail),
				 "handle records %zu addresses, no block holds any", j);
			f->since = handle_since(h);
		}
	}
	return 0;
}

static const char *block_node(const struct ipamblock *b)
{
	return b->affinity && strncmp(b->affinity, "host:", 5) == 0 ? b->affinity + 5 : NULL;
}

static int check_blocks_and_affinities(const struct ipam_snapshot *s, struct ipam_findings *out)
{
	size_t i, j;

	for (i = 0; s->nodes_known && i < s->block_count; i++) {
		const char *node = block_node(&s->blocks[i]);
		struct ipam_finding *f;

		if (!node || ipam_snapshot_has_node(s, node))
			continue;
		if (!(f = add(out, IPAM_FINDING_ORPHAN_BLOCK)))
			return -ENOMEM;
		copy(f->block, sizeof(f->block), s->blocks[i].cidr);
		copy(f->object, sizeof(f->object), s->blocks[i].meta.name);
		snprintf(f->detail, sizeof(f->detail), "affine to node %s, which is gone", node);
		f->since = ipam_parse_timestamp(s->blocks[i].meta.creation_timestamp);
	}
	for (i = 0; i < s->affinity_count; i++) {
		const struct blockaffinity *a = &s->affinities[i];
		bool has_block = false, gone;
		struct ipam_finding *f;

		for (j = 0; j < s->block_count && a->cidr; j++)
			if (s->blocks[j].cidr && strcmp(s->blocks[j].cidr, a->cidr) == 0 &&
			    block_node(&s->blocks[j]) && a->node &&
			    strcmp(block_node(&s->blocks[j]), a->node) == 0)
				has_block = true;
		gone = s->nodes_known && a->node && !ipam_snapshot_has_node(s, a->node);
		if (has_block && !gone)
			continue;
		if (!(f = add(out, IPAM_FINDING_STALE_AFFINITY)))
			return -ENOMEM;
		copy(f->block, sizeof(f->block), a->cidr);
		copy(f->object, sizeof(f->object), a->meta.name);
		snprintf(f->detail, sizeof(f->detail), "%s affinity of node %s %s",
			 blockaffinity_state_name(a->state), a->node ? a->node : "?",
			 has_block ? "which is gone" : "without its block");
		f->since = ipam_parse_timestamp(a->meta.creation_timestamp);
	}
	return 0;
}

int ipam_check_run(const struct ipam_snapshot *snap, struct ipam_findings *out)
{
	struct held *held = NULL;
	size_t nheld = 0;
	int rc;

	if ((rc = check_allocations(snap, out, &held, &nheld)) < 0)
		return rc;
	rc = check_duplicates(snap, held, nheld, out);
	free(held);
	if (rc == 0)
		rc = check_handles(snap, out);
	if (rc == 0)
		rc = check_blocks_and_affinities(snap, out);
	return rc;
}

int ipam_check_holder(const struct ipamblock *blocks, size_t n, const struct ip_addr *ip,
		      size_t *block_index, const struct ipamblock_attribute **attr)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct cidr net;
		uint64_t ord;
		int64_t k;

		if (!blocks[i].cidr || cidr_parse(blocks[i].cidr, &net) < 0 ||
		    !cidr_contains_ip(&net, ip) || cidr_addr_index(&net, ip, &ord) < 0)
			continue;
		*block_index = i;
		if (ord >= blocks[i].allocation_count)
			return -ESRCH;
		k = blocks[i].allocations[ord];
		if (k < 0 || (size_t)k >= blocks[i].attribute_count)
			return -ESRCH;
		*attr = &blocks[i].attributes[k];
		return 0;
	}
	return -ENOENT;
}

size_t ipam_check_handle_addrs(const struct ipamblock *blocks, size_t n, const char *handle_id,
			       struct ip_addr *out, size_t max)
{
	size_t count = 0, bi, i;

	for (bi = 0; bi < n; bi++) {
		struct cidr net;

		if (!blocks[bi].cidr || cidr_parse(blocks[bi].cidr, &net) < 0)
			continue;
		for (i = 0; i < blocks[bi].allocation_count; i++) {
			int64_t k = blocks[bi].allocations[i];

			if (k < 0 || (size_t)k >= blocks[bi].attribute_count ||
			    !blocks[bi].attributes[k].handle_id ||
			    strcmp(blocks[bi].attributes[k].handle_id, handle_id) != 0)
				continue;
			if (count < max && cidr_nth_addr(&net, i, &out[count]) < 0)
				continue;
			count++;
		}
	}
	return count;
}

int ipam_check_handle(const struct ipamblock *blocks, size_t n, const char *handle_id,
		      const struct ip_addr *ips, size_t n_ips, char *msg, size_t msglen)
{
	struct ip_addr held[64];
	char text[IP_ADDR_STRLEN];
	size_t nheld, i, j;

	for (i = 0; i < n_ips; i++) {
		const struct ipamblock_attribute *a = NULL;
		size_t bi;
		int rc = ipam_check_holder(blocks, n, &ips[i], &bi, &a);

		ip_format(&ips[i], text, sizeof(text));
		if (rc == -ENOENT) {
			snprintf(msg, msglen, "%s is in no IPAM block", text);
			return -ENOENT;
		}
		if (rc < 0) {
			snprintf(msg, msglen, "%s is not allocated (block %s)", text,
				 blocks[bi].cidr);
			return -ENOENT;
		}
		if (!a->handle_id || strcmp(a->handle_id, handle_id) != 0) {
			snprintf(msg, msglen, "%s is held by handle %s, not %s", text,
				 a->handle_id ? a->handle_id : "(none)", handle_id);
			return -ENOENT;
		}
	}
	nheld = ipam_check_handle_addrs(blocks, n, handle_id, held, 64);
	for (i = 0; i < nheld && i < 64; i++) {
		bool found = false;

		for (j = 0; j < n_ips && !found; j++)
			found = ip_equal(&held[i], &ips[j]);
		if (!found) {
			ip_format(&held[i], text, sizeof(text));
			snprintf(msg, msglen, "handle %s also holds %s, which prevResult lacks",
				 handle_id, text);
			return -EEXIST;
		}
	}
	return 0;
}

void ipam_snapshot_free(struct ipam_snapshot *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->pool_count; i++)
		ippool_free(&s->pools[i]);
	for (i = 0; i < s->block_count; i++)
		ipamblock_free(&s->blocks[i]);
	for (i = 0; i < s->handle_count; i++)
		ipamhandle_free(&s->handles[i]);
	for (i = 0; i < s->affinity_count; i++)
		blockaffinity_free(&s->affinities[i]);
	for (i = 0; i < s->node_count; i++)
		free(s->nodes[i]);
	for (i = 0; i < s->pod_count; i++) {
		free(s->pods[i].namespace);
		free(s->pods[i].name);
		free(s->pods[i].container_id);
		free(s->pods[i].node);
	}
	free(s->pools);
	free(s->blocks);
	free(s->handles);
	free(s->affinities);
	free(s->nodes);
	free(s->pods);
	memset(s, 0, sizeof(*s));
}
