/* handle: handle IDs, object names and per-block counts.
 *
 * The object name must be a DNS-1123 subdomain. Container IDs are lowercase
 * hex in practice, but CNI network names are free text, so sanitising can be
 * lossy ("Net_A" and "net-a" both become "net-a"); the hash suffix added in
 * that case keeps distinct IDs on distinct objects. The hash is FNV-1a 32:
 * stable across versions and architectures, which matters because the name
 * must be recomputed identically at DEL time, possibly by a newer binary. */
#include "handle.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

int ipam_handle_id(const char *network, const char *container_id, char *buf, size_t size)
{
	int n;

	if (!network || !container_id || !network[0] || !container_id[0] ||
	    has_control(network) || has_control(container_id))
		return -EINVAL;
	n = snprintf(buf, size, "%s.%s", network, container_id);
	if (n < 0 || (size_t)n >= size) {
		if (size)
			buf[0] = '\0';
		return -ENOSPC;
	}
	return 0;
}

static uint32_t fnv1a(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

static bool is_alnum_lower(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

int ipam_handle_object_name(const char *handle_id, char *buf, size_t size)
{
	/* Room for "-" + 8 hex digits when a suffix is needed. */
	const size_t max_base = IPAM_HANDLE_NAME_MAX - 1 - 9;
	size_t i, len, start, end, out = 0;
	bool lossy = false;

	if (!handle_id || !handle_id[0])
		return -EINVAL;
	if (size < IPAM_HANDLE_NAME_MAX)
		return -ENOSPC;
	len = strlen(handle_id);
	for (i = 0; i < len && out < IPAM_HANDLE_NAME_MAX - 1; i++) {
		char c = handle_id[i];

		if (c >= 'A' && c <= 'Z') {
			/* Case folding is lossy too: "A" and "a" differ. */
			c = (char)(c - 'A' + 'a');
			lossy = true;
		} else if (!is_alnum_lower(c) && c != '.' && c != '-') {
			c = '-';
			lossy = true;
		}
		buf[out++] = c;
	}
	if (i < len)
		lossy = true;
	buf[out] = '\0';
	/* Trim to alphanumeric ends. */
	for (start = 0; start < out && !is_alnum_lower(buf[start]); start++)
		;
	for (end = out; end > start && !is_alnum_lower(buf[end - 1]); end--)
		;
	if (start == end) {
		buf[0] = '\0';
		return -EINVAL;
	}
	if (start > 0 || end < out)
		lossy = true;
	memmove(buf, buf + start, end - start);
	out = end - start;
	buf[out] = '\0';
	if (!lossy)
		return 0;
	if (out > max_base)
		out = max_base;
	while (out > 0 && !is_alnum_lower(buf[out - 1]))
		out--;
	snprintf(buf + out, size - out, "-%08x", fnv1a(handle_id));
	return 0;
}

int ipam_handle_init(struct ipamhandle *h, const char *handle_id)
{
	char name[IPAM_HANDLE_NAME_MAX];
	int ret;

	memset(h, 0, sizeof(*h));
	ret = ipam_handle_object_name(handle_id, name, sizeof(name));
	if (ret < 0)
		return ret;
	h->meta.name = strdup(name);
	h->handle_id = strdup(handle_id);
	if (!h->meta.name || !h->handle_id) {
		ipamhandle_free(h);
		return -ENOMEM;
	}
	return 0;
}

static struct ipamhandle_block *find_block(const struct ipamhandle *h, const char *cidr)
{
	size_t i;

	for (i = 0; i < h->block_count; i++)
		if (h->blocks[i].cidr && strcmp(h->blocks[i].cidr, cidr) == 0)
			return &h->blocks[i];
	return NULL;
}

int ipam_handle_add(struct ipamhandle *h, const char *block_cidr, int64_t delta)
{
	struct ipamhandle_block *b, *grown;

	if (!block_cidr || !block_cidr[0])
		return -EINVAL;
	b = find_block(h, block_cidr);
	if (!b) {
		char *copy;

		if (delta <= 0)
			return 0;
		copy = strdup(block_cidr);
		if (!copy)
			return -ENOMEM;
		grown = realloc(h->blocks, (h->block_count + 1) * sizeof(*h->blocks));
		if (!grown) {
			free(copy);
			return -ENOMEM;
		}
		h->blocks = grown;
		b = &h->blocks[h->block_count++];
		b->cidr = copy;
		b->count = 0;
	}
	if (delta < 0 && -delta >= b->count)
		b->count = 0;
	else if (delta > 0 && b->count > INT64_MAX - delta)
		b->count = INT64_MAX;
	else
		b->count += delta;
	if (b->count == 0) {
		size_t idx = (size_t)(b - h->blocks);

		free(b->cidr);
		memmove(b, b + 1, (h->block_count - idx - 1) * sizeof(*b));
		h->block_count--;
	}
	return 0;
}

int64_t ipam_handle_count(const struct ipamhandle *h, const char *block_cidr)
{
	const struct ipamhandle_block *b = find_block(h, block_cidr);

	return b ? b->count : 0;
}

int64_t ipam_handle_total(const struct ipamhandle *h)
{
	int64_t total = 0;
	size_t i;

	for (i = 0; i < h->block_count; i++)
		if (h->blocks[i].count > 0 && total <= INT64_MAX - h->blocks[i].count)
			total += h->blocks[i].count;
	return total;
}
