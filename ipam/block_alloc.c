/* block_alloc: the in-block allocator.
 *
 * Invariants kept by every function here (and checked on entry by
 * ipam_block_check, because the object comes from the API and may have been
 * written by anyone): allocations has one entry per address; each entry is
 * IPAMBLOCK_FREE or a valid attribute index; the free list holds exactly the
 * free ordinals, each once. Failure paths allocate everything they need
 * before touching the block, so an -ENOMEM never leaves it half-changed.
 *
 * The free list is a FIFO: head = next to hand out, tail = most recently
 * released. Popping the head is a memmove, which is fine at block sizes
 * (at most IPAMBLOCK_MAX_SIZE entries) and keeps the stored order simple. */
#include "block_alloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model/errors.h"

int ipam_block_check(const struct ipamblock *b)
{
	struct model_errors errs = MODEL_ERRORS_INIT;
	int ret;

	ipamblock_validate(b, &errs);
	ret = model_errors_failed(&errs) ? -EUCLEAN : 0;
	model_errors_free(&errs);
	return ret;
}

int ipam_block_cidr(const struct ipamblock *b, struct cidr *out)
{
	if (!b->cidr || cidr_parse(b->cidr, out) < 0)
		return -EINVAL;
	cidr_network(out);
	return 0;
}

uint64_t ipam_block_size(const struct ipamblock *b)
{
	return b->allocation_count;
}

uint64_t ipam_block_free_count(const struct ipamblock *b)
{
	return b->unallocated_count;
}

uint64_t ipam_block_used_count(const struct ipamblock *b)
{
	uint64_t used = 0;
	size_t i;

	for (i = 0; i < b->allocation_count; i++)
		if (b->allocations[i] != IPAMBLOCK_FREE)
			used++;
	return used;
}

bool ipam_block_is_empty(const struct ipamblock *b)
{
	return ipam_block_used_count(b) == 0;
}

const char *ipam_block_affinity_node(const struct ipamblock *b)
{
	if (!b->affinity || strncmp(b->affinity, "host:", 5) != 0 || !b->affinity[5])
		return NULL;
	return b->affinity + 5;
}

static bool same_str(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

uint64_t ipam_block_handle_count(const struct ipamblock *b, const char *handle_id)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < b->allocation_count; i++) {
		int64_t a = b->allocations[i];

		if (a >= 0 && (uint64_t)a < b->attribute_count &&
		    same_str(b->attributes[a].handle_id, handle_id))
			n++;
	}
	return n;
}

int ipam_block_init(struct ipamblock *b, const struct cidr *cidr, const char *node)
{
	char text[CIDR_STRLEN], name[CIDR_STRLEN];
	uint64_t size, i;
	int ret;

	memset(b, 0, sizeof(*b));
	if (!cidr_is_network(cidr) || cidr_size(cidr, &size) < 0 || size > IPAMBLOCK_MAX_SIZE ||
	    size == 0)
		return -EINVAL;
	ret = cidr_format(cidr, text, sizeof(text));
	if (ret < 0)
		return ret;
	ret = ipamblock_name_for_cidr(text, name, sizeof(name));
	if (ret < 0)
		return ret;
	b->meta.name = strdup(name);
	b->cidr = strdup(text);
	b->allocations = malloc(size * sizeof(*b->allocations));
	b->unallocated = malloc(size * sizeof(*b->unallocated));
	if (node) {
		size_t len = strlen(node) + 6;

		b->affinity = malloc(len);
		if (b->affinity) {
			memcpy(b->affinity, "host:", 5);
			memcpy(b->affinity + 5, node, len - 5);
		}
	}
	if (!b->meta.name || !b->cidr || !b->allocations || !b->unallocated ||
	    (node && !b->affinity)) {
		ipamblock_free(b);
		return -ENOMEM;
	}
	for (i = 0; i < size; i++) {
		b->allocations[i] = IPAMBLOCK_FREE;
		b->unallocated[i] = i;
	}
	b->allocation_count = size;
	b->unallocated_count = size;
	return 0;
}

static bool attr_matches(const struct ipamblock_attribute *a, const struct ipam_attrs *want)
{
	return same_str(a->handle_id, want->handle_id) &&
	       same_str(labels_get(&a->secondary, IPAM_ATTR_NAMESPACE), want->namespace) &&
	       same_str(labels_get(&a->secondary, IPAM_ATTR_POD), want->pod) &&
	       same_str(labels_get(&a->secondary, IPAM_ATTR_NODE), want->node) &&
	       same_str(labels_get(&a->secondary, IPAM_ATTR_TIMESTAMP), want->timestamp) &&
	       a->secondary.count == (size_t)(!!want->namespace + !!want->pod + !!want->node +
					     !!want->timestamp);
}

/* Index of an attribute equal to want, appending one if needed. */
static int attr_index(struct ipamblock *b, const struct ipam_attrs *want, int64_t *out)
{
	struct ipamblock_attribute *grown, attr;
	size_t i;

	for (i = 0; i < b->attribute_count; i++) {
		if (attr_matches(&b->attributes[i], want)) {
			*out = (int64_t)i;
			return 0;
		}
	}
	memset(&attr, 0, sizeof(attr));
	attr.handle_id = strdup(want->handle_id);
	if (!attr.handle_id ||
	    (want->namespace && labels_set(&attr.secondary, IPAM_ATTR_NAMESPACE, want->namespace) < 0) ||
	    (want->node && labels_set(&attr.secondary, IPAM_ATTR_NODE, want->node) < 0) ||
	    (want->pod && labels_set(&attr.secondary, IPAM_ATTR_POD, want->pod) < 0) ||
	    (want->timestamp &&
	     labels_set(&attr.secondary, IPAM_ATTR_TIMESTAMP, want->timestamp) < 0))
		goto nomem;
	grown = realloc(b->attributes, (b->attribute_count + 1) * sizeof(*grown));
	if (!grown)
		goto nomem;
	b->attributes = grown;
	b->attributes[b->attribute_count] = attr;
	*out = (int64_t)b->attribute_count++;
	return 0;
nomem:
	free(attr.handle_id);
	labels_free(&attr.secondary);
	return -ENOMEM;
}

int ipam_block_assign(struct ipamblock *b, size_t want, const struct ipam_attrs *attrs,
		      uint64_t *ords, size_t *got)
{
	int64_t idx;
	size_t n, i;
	int ret;

	*got = 0;
	if (!attrs || !attrs->handle_id || !attrs->handle_id[0] || want == 0)
		return -EINVAL;
	ret = ipam_block_check(b);
	if (ret < 0)
		return ret;
	if (b->unallocated_count == 0)
		return -ENOSPC;
	ret = attr_index(b, attrs, &idx);
	if (ret < 0)
		return ret;
	n = want < b->unallocated_count ? want : b->unallocated_count;
	for (i = 0; i < n; i++) {
		ords[i] = b->unallocated[i];
		b->allocations[ords[i]] = idx;
	}
	memmove(b->unallocated, b->unallocated + n,
		(b->unallocated_count - n) * sizeof(*b->unallocated));
	b->unallocated_count -= n;
	b->sequence_number++;
	*got = n;
	return 0;
}

/* Room for every ordinal on the free list, so releases never allocate
 * halfway through. */
static int reserve_free_list(struct ipamblock *b)
{
	uint64_t *grown;

	grown = realloc(b->unallocated, (b->allocation_count + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	b->unallocated = grown;
	return 0;
}

/* Drop attributes no allocation references and renumber the rest. remap
 * must have room for attribute_count entries. */
static void compact_attributes(struct ipamblock *b, int64_t *remap)
{
	size_t i, kept = 0;

	for (i = 0; i < b->attribute_count; i++)
		remap[i] = -1;
	for (i = 0; i < b->allocation_count; i++)
		if (b->allocations[i] >= 0)
			remap[b->allocations[i]] = 0;
	for (i = 0; i < b->attribute_count; i++) {
		if (remap[i] < 0) {
			free(b->attributes[i].handle_id);
			labels_free(&b->attributes[i].secondary);
			continue;
		}
		remap[i] = (int64_t)kept;
		b->attributes[kept++] = b->attributes[i];
	}
	b->attribute_count = kept;
	for (i = 0; i < b->allocation_count; i++)
		if (b->allocations[i] >= 0)
			b->allocations[i] = remap[b->allocations[i]];
}

int ipam_block_release_handle(struct ipamblock *b, const char *handle_id, uint64_t *released)
{
	int64_t *remap;
	uint64_t n = 0;
	size_t i;
	int ret;

	*released = 0;
	if (!handle_id)
		return -EINVAL;
	ret = ipam_block_check(b);
	if (ret < 0)
		return ret;
	if (ipam_block_handle_count(b, handle_id) == 0)
		return 0;
	remap = malloc((b->attribute_count + 1) * sizeof(*remap));
	if (!remap || reserve_free_list(b) < 0) {
		free(remap);
		return -ENOMEM;
	}
	for (i = 0; i < b->allocation_count; i++) {
		int64_t a = b->allocations[i];

		if (a < 0 || !same_str(b->attributes[a].handle_id, handle_id))
			continue;
		b->allocations[i] = IPAMBLOCK_FREE;
		b->unallocated[b->unallocated_count++] = i;
		n++;
	}
	compact_attributes(b, remap);
	free(remap);
	b->sequence_number++;
	*released = n;
	return 0;
}

int ipam_block_release_ordinal(struct ipamblock *b, uint64_t ordinal, const char *handle_id,
			       char **handle_out)
{
	const char *holder;
	char *copy = NULL;
	int64_t *remap, a;
	int ret;

	if (handle_out)
		*handle_out = NULL;
	ret = ipam_block_check(b);
	if (ret < 0)
		return ret;
	if (ordinal >= b->allocation_count)
		return -ERANGE;
	a = b->allocations[ordinal];
	if (a == IPAMBLOCK_FREE)
		return -ENOENT;
	holder = b->attributes[a].handle_id;
	if (handle_id && !same_str(holder, handle_id))
		return -EPERM;
	remap = malloc((b->attribute_count + 1) * sizeof(*remap));
	if (handle_out && holder)
		copy = strdup(holder);
	if (!remap || (handle_out && holder && !copy) || reserve_free_list(b) < 0) {
		free(remap);
		free(copy);
		return -ENOMEM;
	}
	b->allocations[ordinal] = IPAMBLOCK_FREE;
	b->unallocated[b->unallocated_count++] = ordinal;
	compact_attributes(b, remap);
	free(remap);
	b->sequence_number++;
	if (handle_out)
		*handle_out = copy;
	return 0;
}

int ipam_block_addr(const struct ipamblock *b, uint64_t ordinal, struct ip_addr *out)
{
	struct cidr c;

	if (ipam_block_cidr(b, &c) < 0)
		return -EINVAL;
	if (ordinal >= b->allocation_count)
		return -ERANGE;
	return cidr_nth_addr(&c, ordinal, out);
}

int ipam_block_ordinal(const struct ipamblock *b, const struct ip_addr *ip, uint64_t *out)
{
	struct cidr c;
	int ret;

	if (ipam_block_cidr(b, &c) < 0)
		return -EINVAL;
	ret = cidr_addr_index(&c, ip, out);
	if (ret == -EAFNOSUPPORT)
		return -ERANGE;
	if (ret == 0 && *out >= b->allocation_count)
		return -ERANGE;
	return ret;
}
