/* nat_mgr: the `inet twill_nat` table (see nat_mgr.h).
 *
 * The whole table is the unit of change: it is small (two sets and a rule
 * per family), and replacing it in one transaction is both atomic and
 * idempotent, which a rule-by-rule diff would have to work for. "add table"
 * before "delete table" makes the delete valid on a first run, when the
 * table does not exist yet. */
#include "nat_mgr.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nftables/libnftables.h>

#include "log.h"

struct nat_mgr {
	struct nat_dataplane dp;
	bool in_sync;
	char *desired;  /* script */
	char *applied;  /* last script run successfully */
};

struct buf {
	char *p;
	size_t len, cap;
	bool oom;
};

__attribute__((format(printf, 2, 3))) static void bprintf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if (b->p && (size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = (b->cap + (size_t)n + 1) * 2;
		char *p = realloc(b->p, cap);

		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
}

static void render_set(struct buf *b, const char *name, const char *type, int family,
		       const struct cidr *pools, size_t n)
{
	size_t i;
	bool first = true;

	bprintf(b, "  set %s { type %s; flags interval;", name, type);
	for (i = 0; i < n; i++) {
		char text[CIDR_STRLEN];
		struct cidr net = pools[i];

		if (net.addr.family != family)
			continue;
		cidr_network(&net);
		if (cidr_format(&net, text, sizeof(text)) < 0)
			continue;
		bprintf(b, "%s%s", first ? " elements = { " : ", ", text);
		first = false;
	}
	bprintf(b, "%s }\n", first ? "" : " }");
}

static bool has_family(const struct cidr *pools, size_t n, int family)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (pools[i].addr.family == family)
			return true;
	return false;
}

char *nat_render(const struct cidr *nat_pools, size_t n_nat, const struct cidr *all_pools,
		 size_t n_all)
{
	struct buf b = {0};

	bprintf(&b, "add table inet %s\ndelete table inet %s\n", NAT_TABLE, NAT_TABLE);
	if (n_nat) {
		bprintf(&b, "table inet %s {\n", NAT_TABLE);
		render_set(&b, "nat_ip", "ipv4_addr", AF_INET, nat_pools, n_nat);
		render_set(&b, "pools_ip", "ipv4_addr", AF_INET, all_pools, n_all);
		render_set(&b, "nat_ip6", "ipv6_addr", AF_INET6, nat_pools, n_nat);
		render_set(&b, "pools_ip6", "ipv6_addr", AF_INET6, all_pools, n_all);
		bprintf(&b, "  chain postrouting {\n"
			    "    type nat hook postrouting priority srcnat; policy accept;\n");
		if (has_family(nat_pools, n_nat, AF_INET))
			bprintf(&b, "    ip saddr @nat_ip ip daddr != @pools_ip masquerade\n");
		if (has_family(nat_pools, n_nat, AF_INET6))
			bprintf(&b, "    ip6 saddr @nat_ip6 ip6 daddr != @pools_ip6 masquerade\n");
		bprintf(&b, "  }\n}\n");
	}
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

int nat_mgr_new(const struct nat_dataplane *dp, struct nat_mgr **out)
{
	struct nat_mgr *m;

	if (!dp || !dp->run || !out)
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->dp = *dp;
	*out = m;
	return 0;
}

void nat_mgr_free(struct nat_mgr *m)
{
	if (!m)
		return;
	free(m->desired);
	free(m->applied);
	free(m);
}

int nat_mgr_set_desired(struct nat_mgr *m, const struct cidr *nat_pools, size_t n_nat,
			const struct cidr *all_pools, size_t n_all)
{
	char *script = nat_render(nat_pools, n_nat, all_pools, n_all);

	if (!script)
		return -ENOMEM;
	free(m->desired);
	m->desired = script;
	return 0;
}

void nat_mgr_set_in_sync(struct nat_mgr *m, bool in_sync)
{
	m->in_sync = in_sync;
}

int nat_mgr_apply(struct nat_mgr *m, bool force, bool *changed)
{
	int rc;

	if (changed)
		*changed = false;
	if (!m->in_sync || !m->desired)
		return 0;
	if (!force && m->applied && strcmp(m->applied, m->desired) == 0)
		return 0;
	rc = m->dp.run(m->dp.ctx, m->desired);
	if (rc < 0) {
		log_warn("event=nat_apply_failed err=%d", rc);
		return rc;
	}
	free(m->applied);
	m->applied = strdup(m->desired);
	if (changed)
		*changed = true;
	return m->applied ? 0 : -ENOMEM;
}

/* ---- libnftables shim ---- */

static int nft_run(void *ctx, const char *script)
{
	struct nft_ctx *nft = ctx;
	const char *errbuf;
	int rc;

	rc = nft_run_cmd_from_buffer(nft, script);
	errbuf = nft_ctx_get_error_buffer(nft);
	if (rc != 0) {
		char quoted[1024];

		log_warn("event=nft_failed msg=%s",
			 log_quote(quoted, sizeof(quoted), errbuf ? errbuf : ""));
		return -EIO;
	}
	return 0;
}

int nat_nft_open(struct nat_dataplane *dp)
{
	struct nft_ctx *nft = nft_ctx_new(NFT_CTX_DEFAULT);

	if (!nft)
		return -ENOMEM;
	if (nft_ctx_buffer_error(nft) != 0 || nft_ctx_buffer_output(nft) != 0) {
		nft_ctx_free(nft);
		return -ENOMEM;
	}
	dp->run = nft_run;
	dp->ctx = nft;
	return 0;
}

void nat_nft_close(struct nat_dataplane *dp)
{
	if (dp && dp->ctx)
		nft_ctx_free(dp->ctx);
	if (dp)
		dp->ctx = NULL;
}
