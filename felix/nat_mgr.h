/* nat_mgr: NAT outgoing — masquerade traffic from natOutgoing pools to
 * destinations outside every pool.
 *
 * Contract:
 *  - Ownership marker: the nftables table `inet twill_nat`; nothing outside
 *    it is ever read or written (policy owns `inet twill`).
 *  - nat_render() is pure: desired pools -> one nft script that creates the
 *    table if needed, deletes it and re-creates it in full, which libnftables
 *    runs as ONE transaction: the old rules stay active until the new ones
 *    replace them, so there is never a window without NAT.
 *  - nat_mgr_apply() runs that script when the desired text changed since
 *    the last successful run, or when force is set (periodic resync: repairs
 *    a table flushed or edited by hand). With no natOutgoing pool the table
 *    is deleted instead. Nothing is done before nat_mgr_set_in_sync(true):
 *    a half-loaded pool list must not drop masquerading for live flows.
 *  - Rule shape per family: `<fam> saddr @nat_<fam> <fam> daddr != @pools_<fam>
 *    masquerade` in a srcnat postrouting chain; sets use interval flags. */
#ifndef TWILL_FELIX_NAT_MGR_H
#define TWILL_FELIX_NAT_MGR_H

#include <stdbool.h>
#include <stddef.h>

#include "cidr.h"

#define NAT_TABLE "twill_nat"

/* Runs an nft script atomically; 0 or -errno (the shim logs nft's message). */
struct nat_dataplane {
	int (*run)(void *ctx, const char *script);
	void *ctx;
};

struct nat_mgr;

int nat_mgr_new(const struct nat_dataplane *dp, struct nat_mgr **out);
void nat_mgr_free(struct nat_mgr *m);
/* Copies both lists. 0, -ENOMEM (desired state unchanged then). */
int nat_mgr_set_desired(struct nat_mgr *m, const struct cidr *nat_pools, size_t n_nat,
			const struct cidr *all_pools, size_t n_all);
void nat_mgr_set_in_sync(struct nat_mgr *m, bool in_sync);
/* *changed (may be NULL) tells whether the dataplane was written. */
int nat_mgr_apply(struct nat_mgr *m, bool force, bool *changed);

/* malloc'ed script, or NULL on -ENOMEM. With n_nat == 0 the script only
 * removes the table (idempotently). */
char *nat_render(const struct cidr *nat_pools, size_t n_nat, const struct cidr *all_pools,
		 size_t n_all);

/* The libnftables implementation of the shim. */
int nat_nft_open(struct nat_dataplane *dp);
void nat_nft_close(struct nat_dataplane *dp);

#endif
