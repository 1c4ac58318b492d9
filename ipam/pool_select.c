/* pool_select: eligibility checks and their explanations.
 *
 * Each check returns a reason string (or NULL when the pool passes) so the
 * selection and the error message come from one place and cannot disagree.
 * The explanation is appended to a fixed buffer; when it is full the text
 * ends with "..." rather than failing, because a truncated reason is still
 * more useful than none. */
#include "pool_select.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "selector.h"

struct why_buf {
	char *buf;
	size_t size, len;
};

static void why_add(struct why_buf *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void why_add(struct why_buf *w, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!w->buf || w->size == 0 || w->len + 1 >= w->size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(w->buf + w->len, w->size - w->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= w->size - w->len) {
		w->len = w->size - 1;
		if (w->size > 4)
			memcpy(w->buf + w->size - 4, "...", 4);
		return;
	}
	w->len += (size_t)n;
}

static const char *family_name(int family)
{
	return family == AF_INET6 ? "IPv6" : "IPv4";
}

/* NULL when pool passes; else a static or buf-held reason. */
static const char *check_pool(const struct ippool *p, const struct ipam_pool_query *q,
			      char *buf, size_t size)
{
	static const struct labels empty = LABELS_INIT;
	const char *text = p->node_selector ? p->node_selector : "all()";
	struct selector *sel = NULL;
	char err[128];
	int ret;

	if (!p->cidr_ok)
		return "cidr is not valid";
	if (p->net.addr.family != q->family) {
		snprintf(buf, size, "is %s, %s wanted", family_name(p->net.addr.family),
			 family_name(q->family));
		return buf;
	}
	if (p->disabled)
		return "disabled";
	if (p->meta.deletion_timestamp)
		return "being deleted";
	if (!(p->allowed_uses & q->use))
		return q->use & IPPOOL_USE_TUNNEL ? "allowedUses excludes Tunnel"
						  : "allowedUses excludes Workload";
	ret = selector_parse(text, &sel, err, sizeof(err));
	if (ret < 0) {
		snprintf(buf, size, "nodeSelector \"%.64s\" is invalid (%.80s)", text,
			 ret == -ENOMEM ? "out of memory" : err);
		return buf;
	}
	ret = selector_matches(sel, q->node_labels ? q->node_labels : &empty);
	selector_free(sel);
	if (!ret) {
		snprintf(buf, size, "nodeSelector \"%.64s\" does not match the node's labels", text);
		return buf;
	}
	return NULL;
}

static int name_cmp(const struct ippool *a, const struct ippool *b)
{
	const char *x = a->meta.name ? a->meta.name : "", *y = b->meta.name ? b->meta.name : "";

	return strcmp(x, y);
}

static bool pool_is(const struct ippool *p, const char *ref)
{
	struct cidr c;

	if (p->meta.name && strcmp(p->meta.name, ref) == 0)
		return true;
	if (p->cidr && strcmp(p->cidr, ref) == 0)
		return true;
	return p->cidr_ok && cidr_parse(ref, &c) == 0 && cidr_equal(&c, &p->net);
}

int ipam_pool_select(const struct ippool *pools, size_t n, const struct ipam_pool_query *q,
		     size_t *order, size_t *count, char *why, size_t whylen)
{
	struct why_buf w = { why, whylen, 0 };
	const char *node = q->node ? q->node : "?";
	const char *reason;
	char buf[256];
	size_t i, j, k, v;

	*count = 0;
	if (why && whylen)
		why[0] = '\0';
	if ((q->family != AF_INET && q->family != AF_INET6) || !q->use)
		return -EINVAL;
	if (q->requested_count) {
		why_add(&w, "no requested %s pool is usable on node \"%s\":",
			family_name(q->family), node);
		for (i = 0; i < q->requested_count; i++) {
			for (j = 0; j < n && !pool_is(&pools[j], q->requested[i]); j++)
				;
			if (j == n) {
				why_add(&w, " %s: no such pool;", q->requested[i]);
				continue;
			}
			for (k = 0; k < *count && order[k] != j; k++)
				;
			if (k < *count)
				continue; /* listed twice */
			reason = check_pool(&pools[j], q, buf, sizeof(buf));
			if (reason) {
				why_add(&w, " %s: %s;", q->requested[i], reason);
				continue;
			}
			order[(*count)++] = j;
		}
	} else {
		why_add(&w, "no %s pool matches node \"%s\":", family_name(q->family), node);
		if (n == 0)
			why_add(&w, " no IPPool exists;");
		for (i = 0; i < n; i++) {
			reason = check_pool(&pools[i], q, buf, sizeof(buf));
			if (reason) {
				why_add(&w, " %s: %s;", pools[i].meta.name ? pools[i].meta.name : "?",
					reason);
				continue;
			}
			order[(*count)++] = i;
		}
		for (i = 1; i < *count; i++) {
			v = order[i];
			for (j = i; j > 0 && name_cmp(&pools[v], &pools[order[j - 1]]) < 0; j--)
				order[j] = order[j - 1];
			order[j] = v;
		}
	}
	if (*count == 0) {
		/* Drop the trailing ';' for a clean single line. */
		if (why && w.len && why[w.len - 1] == ';')
			why[w.len - 1] = '\0';
		return -ENOENT;
	}
	if (why && whylen)
		why[0] = '\0';
	return 0;
}

long ipam_pool_find_containing(const struct ippool *pools, size_t n, const struct cidr *c)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (pools[i].cidr_ok && cidr_contains(&pools[i].net, c))
			return (long)i;
	return -1;
}

bool ipam_pools_need_node_labels(const struct ippool *pools, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const char *t = pools[i].node_selector;
		size_t len;

		if (!t)
			continue;
		while (*t == ' ' || *t == '\t')
			t++;
		len = strlen(t);
		while (len && (t[len - 1] == ' ' || t[len - 1] == '\t'))
			len--;
		if (len != 5 || strncmp(t, "all()", 5) != 0)
			return true;
	}
	return false;
}
