/* policy_apply: libnftables shell.
 *
 * libnftables turns one buffer into one netlink batch, which the kernel
 * commits atomically — that is the whole basis of "no moment where traffic
 * is unfiltered or wrongly dropped": the full replacement is
 * "table; delete table; table {...}" in one buffer, and an incremental
 * update is the diff batch in one buffer. Errors are captured in nft's
 * error buffer (never printed to our stderr) and logged once, here. */
#include "policy_apply.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nftables/libnftables.h>

#include "log.h"

int policy_nft_run(struct nft_ctx *nft, const char *text, char *err, size_t errlen)
{
	const char *e;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	if (!nft || !text)
		return -EINVAL;
	rc = nft_run_cmd_from_buffer(nft, text);
	if (rc == 0)
		return 0;
	e = nft_ctx_get_error_buffer(nft);
	if (err && errlen && e) {
		size_t n = strcspn(e, "\n");

		snprintf(err, errlen, "%.*s", (int)n, e);
	}
	return -EIO;
}

int policy_applier_init(struct policy_applier *a)
{
	memset(a, 0, sizeof(*a));
	a->nft = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!a->nft)
		return -ENOMEM;
	/* keep nft's messages for our log instead of its default stderr */
	if (nft_ctx_buffer_output(a->nft) < 0 || nft_ctx_buffer_error(a->nft) < 0) {
		nft_ctx_free(a->nft);
		a->nft = NULL;
		return -ENOMEM;
	}
	return 0;
}

void policy_applier_free(struct policy_applier *a)
{
	if (!a)
		return;
	if (a->nft)
		nft_ctx_free(a->nft);
	policy_ruleset_free(&a->current);
	memset(a, 0, sizeof(*a));
}

void policy_applier_resync(struct policy_applier *a)
{
	a->in_sync = false;
}

static int apply_full(struct policy_applier *a, const struct policy_ruleset *desired)
{
	char *text = NULL, err[512], quoted[600];
	int rc;

	rc = policy_ruleset_render_string(desired, true, &text);
	if (rc < 0)
		return rc;
	rc = policy_nft_run(a->nft, text, err, sizeof(err));
	if (rc < 0)
		log_error("event=policy_apply_failed mode=full err=%s",
			  log_quote(quoted, sizeof(quoted), err));
	free(text);
	return rc;
}

static void adopt(struct policy_applier *a, struct policy_ruleset *desired)
{
	policy_ruleset_free(&a->current);
	a->current = *desired;
	memset(desired, 0, sizeof(*desired));
	a->in_sync = true;
}

int policy_apply(struct policy_applier *a, struct policy_ruleset *desired)
{
	struct policy_diff_stats st = { 0 };
	char *batch = NULL, err[512], quoted[600];
	int rc;

	if (!a || !a->nft || !desired)
		return -EINVAL;
	if (a->in_sync) {
		rc = policy_diff(&a->current, desired, &batch, &st);
		if (rc == -ENOMEM)
			return rc;
		if (rc == 0 && batch[0] == '\0') {
			free(batch);
			memset(&a->last, 0, sizeof(a->last));
			a->last_was_full = false;
			adopt(a, desired);
			return 0;
		}
		if (rc == 0) {
			rc = policy_nft_run(a->nft, batch, err, sizeof(err));
			free(batch);
			if (rc == 0) {
				a->last = st;
				a->last_was_full = false;
				log_info("event=policy_applied mode=incremental sets_added=%zu "
					 "sets_removed=%zu sets_refilled=%zu elements_added=%zu "
					 "elements_removed=%zu chains_added=%zu chains_removed=%zu "
					 "chains_replaced=%zu",
					 st.sets_added, st.sets_removed, st.sets_refilled,
					 st.elements_added, st.elements_removed, st.chains_added,
					 st.chains_removed, st.chains_replaced);
				adopt(a, desired);
				return 0;
			}
			log_warn("event=policy_apply_failed mode=incremental err=%s fallback=full",
				 log_quote(quoted, sizeof(quoted), err));
		}
	}
	rc = apply_full(a, desired);
	if (rc < 0) {
		a->in_sync = false;
		return rc;
	}
	memset(&a->last, 0, sizeof(a->last));
	a->last_was_full = true;
	log_info("event=policy_applied mode=full sets=%zu chains=%zu", desired->set_count,
		 desired->chain_count);
	adopt(a, desired);
	return 0;
}
