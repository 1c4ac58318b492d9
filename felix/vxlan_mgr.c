/* vxlan_mgr: the VXLAN device and its FDB/neighbour entries (see
 * vxlan_mgr.h for the order of operations).
 *
 * Entries are keyed by (kind, key) where the key is the MAC for FDB entries
 * (one remote node per MAC) and the IP for neighbours (one MAC per tunnel
 * address); a dumped entry with the key of a wanted one but other content is
 * rewritten with REPLACE, never deleted first, so a VTEP whose node IP
 * changed keeps forwarding until the new entry is in. Like route_mgr, the
 * manager keeps no kernel picture between applies; it re-reads the device,
 * its addresses and entries every time, which is what repairs drift. */
#include "vxlan_mgr.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

struct vxlan_mgr {
	struct vxlan_dataplane dp;
	char name[VXLAN_IFNAME_SIZE];
	bool in_sync;
	bool want_device;
	struct vxlan_device_spec spec;
	struct vxlan_entry *entries; /* sorted */
	size_t n_entries;
};

static int entry_key_compare(const struct vxlan_entry *a, const struct vxlan_entry *b)
{
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if (a->kind == VXLAN_ENTRY_FDB)
		return memcmp(a->mac, b->mac, sizeof(a->mac));
	return ip_compare(&a->ip, &b->ip);
}

static int entry_compare_void(const void *a, const void *b)
{
	return entry_key_compare(a, b);
}

/* Key, then content: makes the choice among duplicate keys deterministic. */
static int entry_full_compare_void(const void *pa, const void *pb)
{
	const struct vxlan_entry *a = pa, *b = pb;
	int c = entry_key_compare(a, b);

	if (c)
		return c;
	c = memcmp(a->mac, b->mac, sizeof(a->mac));
	return c ? c : ip_compare(&a->ip, &b->ip);
}

static bool entry_equal(const struct vxlan_entry *a, const struct vxlan_entry *b)
{
	return a->kind == b->kind && memcmp(a->mac, b->mac, sizeof(a->mac)) == 0 &&
	       ip_equal(&a->ip, &b->ip);
}

bool vxlan_link_compatible(const struct vxlan_link_state *link,
			   const struct vxlan_device_spec *spec)
{
	if (strcmp(link->kind, "vxlan") != 0)
		return false;
	if (link->vni != spec->vni || link->port != spec->port || link->learning)
		return false;
	if (link->has_local != spec->has_local)
		return false;
	return !spec->has_local || ip_equal(&link->local, &spec->local);
}

int vxlan_entries_for_peers(const struct vxlan_peer *peers, size_t n, struct vxlan_entry **out,
			    size_t *n_out)
{
	struct vxlan_entry *e;
	size_t i, k = 0;

	*out = NULL;
	*n_out = 0;
	e = calloc(2 * n + 1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		e[k].kind = VXLAN_ENTRY_FDB;
		memcpy(e[k].mac, peers[i].mac, 6);
		e[k++].ip = peers[i].node_ip;
		e[k].kind = VXLAN_ENTRY_NEIGH;
		memcpy(e[k].mac, peers[i].mac, 6);
		e[k++].ip = peers[i].tunnel_addr;
	}
	if (k > 1)
		qsort(e, k, sizeof(*e), entry_full_compare_void);
	*out = e;
	*n_out = k;
	return 0;
}

int vxlan_mgr_new(const struct vxlan_dataplane *dp, const char *name, struct vxlan_mgr **out)
{
	struct vxlan_mgr *m;

	if (!name || !name[0] || strlen(name) >= VXLAN_IFNAME_SIZE || !dp || !dp->link_get || !dp->link_create || !dp->link_delete || !dp->link_set ||
	    !dp->addr_list || !dp->addr_add || !dp->addr_del || !dp->dump_entries ||
	    !dp->replace_entries || !dp->delete_entries || !out)
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->dp = *dp;
	memcpy(m->name, name, strlen(name) + 1);
	memcpy(m->spec.name, m->name, sizeof(m->name));
	*out = m;
	return 0;
}

void vxlan_mgr_free(struct vxlan_mgr *m)
{
	if (!m)
		return;
	free(m->entries);
	free(m);
}

int vxlan_mgr_set_desired(struct vxlan_mgr *m, const struct vxlan_device_spec *spec,
			  const struct vxlan_peer *peers, size_t n_peers)
{
	struct vxlan_entry *entries = NULL;
	size_t n = 0, i;
	int rc;

	if (spec) {
		if (spec->vni > 0xffffff)
			return -EINVAL;
		for (i = 0; i < n_peers; i++)
			if (peers[i].node_ip.family != AF_INET ||
			    peers[i].tunnel_addr.family != AF_INET)
				return -EINVAL;
		rc = vxlan_entries_for_peers(peers, n_peers, &entries, &n);
		if (rc < 0)
			return rc;
		/* Two peers claiming one MAC or tunnel address: keep the
		 * smallest entry of each key so the kernel is told one
		 * consistent thing, the same one every time. */
		if (n > 1) {
			size_t kept = 1;

			for (i = 1; i < n; i++)
				if (entry_key_compare(&entries[kept - 1], &entries[i]) != 0)
					entries[kept++] = entries[i];
			n = kept;
		}
		m->spec = *spec;
		memcpy(m->spec.name, m->name, sizeof(m->name));
	}
	free(m->entries);
	m->entries = entries;
	m->n_entries = n;
	m->want_device = spec != NULL;
	return 0;
}

void vxlan_mgr_set_in_sync(struct vxlan_mgr *m, bool in_sync)
{
	m->in_sync = in_sync;
}

static void note_err(int *first, int rc)
{
	if (rc < 0 && !*first)
		*first = rc;
}

/* Step 1: make the device exist with the right parameters. */
static int ensure_device(struct vxlan_mgr *m, struct vxlan_link_state *link,
			 struct vxlan_apply_stats *st)
{
	int rc = m->dp.link_get(m->dp.ctx, m->spec.name, link);

	if (rc == 0 && !vxlan_link_compatible(link, &m->spec)) {
		log_info("event=vxlan_recreate dev=%s kind=%s vni=%u port=%u learning=%d",
			 m->spec.name, link->kind, link->vni, link->port, link->learning);
		rc = m->dp.link_delete(m->dp.ctx, link->ifindex);
		if (rc < 0)
			return rc;
		rc = -ENODEV;
	}
	if (rc == -ENODEV) {
		rc = m->dp.link_create(m->dp.ctx, &m->spec);
		if (rc < 0)
			return rc;
		st->created = true;
		log_info("event=vxlan_created dev=%s vni=%u port=%u mtu=%u", m->spec.name,
			 m->spec.vni, m->spec.port, m->spec.mtu);
		rc = m->dp.link_get(m->dp.ctx, m->spec.name, link);
	}
	if (rc < 0)
		return rc;
	if (!link->up || (m->spec.mtu && link->mtu != m->spec.mtu) ||
	    (m->spec.has_mac && memcmp(link->mac, m->spec.mac, 6) != 0))
		rc = m->dp.link_set(m->dp.ctx, link->ifindex, m->spec.mtu,
				    m->spec.has_mac ? m->spec.mac : NULL, true);
	return rc;
}

/* Step 2: exactly the tunnel address (stray ones removed once in sync). */
static int ensure_addresses(struct vxlan_mgr *m, int ifindex, struct vxlan_apply_stats *st)
{
	struct cidr *addrs = NULL, want;
	size_t n = 0, i;
	bool have = false;
	int rc, first = 0;

	rc = m->dp.addr_list(m->dp.ctx, ifindex, &addrs, &n);
	if (rc < 0)
		return rc;
	if (m->spec.has_tunnel_addr) {
		want.addr = m->spec.tunnel_addr;
		want.prefix_len = ip_max_prefix(want.addr.family);
	}
	for (i = 0; i < n; i++) {
		if (m->spec.has_tunnel_addr && ip_equal(&addrs[i].addr, &want.addr) &&
		    addrs[i].prefix_len == want.prefix_len) {
			have = true;
			continue;
		}
		if (addrs[i].addr.family == AF_INET6 && addrs[i].addr.bytes[0] == 0xfe &&
		    (addrs[i].addr.bytes[1] & 0xc0) == 0x80)
			continue; /* the kernel's own link-local */
		if (!m->in_sync) {
			st->deferred++;
			continue;
		}
		note_err(&first, m->dp.addr_del(m->dp.ctx, ifindex, &addrs[i]));
	}
	if (m->spec.has_tunnel_addr && !have)
		note_err(&first, m->dp.addr_add(m->dp.ctx, ifindex, &want));
	free(addrs);
	return first;
}

static int write_entries(struct vxlan_mgr *m, int ifindex, bool del,
			 const struct vxlan_entry *e, size_t n, size_t *ok, size_t *failed)
{
	int *errs;
	size_t i;
	int rc, first = 0;

	if (!n)
		return 0;
	errs = calloc(n, sizeof(*errs));
	if (!errs)
		return -ENOMEM;
	rc = del ? m->dp.delete_entries(m->dp.ctx, ifindex, e, n, errs)
		 : m->dp.replace_entries(m->dp.ctx, ifindex, e, n, errs);
	if (rc < 0) {
		*failed += n;
		first = rc;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (!errs[i]) {
			(*ok)++;
			continue;
		}
		(*failed)++;
		if (!first) {
			char ip[IP_ADDR_STRLEN];

			first = errs[i];
			ip_format(&e[i].ip, ip, sizeof(ip));
			log_warn("event=vxlan_entry_failed op=%s kind=%s ip=%s err=%d",
				 del ? "delete" : "replace",
				 e[i].kind == VXLAN_ENTRY_FDB ? "fdb" : "neigh", ip, errs[i]);
		}
	}
out:
	free(errs);
	return first;
}

/* Steps 3 and 4. */
static int sync_entries(struct vxlan_mgr *m, int ifindex, struct vxlan_apply_stats *st)
{
	struct vxlan_entry *actual = NULL, *add = NULL, *del = NULL;
	bool *satisfied = NULL;
	size_t n_actual = 0, n_add = 0, n_del = 0, i;
	int rc, first = 0;

	rc = m->dp.dump_entries(m->dp.ctx, ifindex, &actual, &n_actual);
	if (rc < 0)
		return rc;
	satisfied = calloc(m->n_entries + 1, sizeof(*satisfied));
	add = calloc(m->n_entries + 1, sizeof(*add));
	del = calloc(n_actual + 1, sizeof(*del));
	if (!satisfied || !add || !del) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n_actual; i++) {
		const struct vxlan_entry *want = NULL;

		if (m->n_entries)
			want = bsearch(&actual[i], m->entries, m->n_entries, sizeof(*want),
				       entry_compare_void);
		if (!want)
			del[n_del++] = actual[i];
		else if (entry_equal(want, &actual[i]))
			satisfied[want - m->entries] = true;
	}
	/* Sorted by kind with FDB first: FDB entries are written before the
	 * neighbours that rely on them. */
	for (i = 0; i < m->n_entries; i++)
		if (!satisfied[i])
			add[n_add++] = m->entries[i];
	note_err(&first, write_entries(m, ifindex, false, add, n_add, &st->replaced, &st->failed));
	if (!m->in_sync) {
		st->deferred += n_del;
		goto out;
	}
	/* Neighbours before FDB entries: reverse the kind order. */
	if (n_del > 1)
		qsort(del, n_del, sizeof(*del), entry_compare_void);
	for (i = 0; i < n_del / 2; i++) {
		struct vxlan_entry t = del[i];

		del[i] = del[n_del - 1 - i];
		del[n_del - 1 - i] = t;
	}
	note_err(&first, write_entries(m, ifindex, true, del, n_del, &st->deleted, &st->failed));
out:
	free(actual);
	free(satisfied);
	free(add);
	free(del);
	return rc < 0 ? rc : first;
}

int vxlan_mgr_apply(struct vxlan_mgr *m, struct vxlan_apply_stats *stats)
{
	struct vxlan_apply_stats st = {0};
	struct vxlan_link_state link;
	int rc, first = 0;

	memset(&link, 0, sizeof(link));
	if (!m->want_device) {
		/* Step 5. */
		rc = m->dp.link_get(m->dp.ctx, m->spec.name, &link);
		if (rc == -ENODEV)
			goto out;
		if (rc < 0) {
			first = rc;
			goto out;
		}
		if (!m->in_sync) {
			st.deferred++;
			goto out;
		}
		first = m->dp.link_delete(m->dp.ctx, link.ifindex);
		st.deleted_device = first == 0;
		goto out;
	}
	rc = ensure_device(m, &link, &st);
	if (rc < 0) {
		log_warn("event=vxlan_device_failed dev=%s err=%d", m->spec.name, rc);
		first = rc;
		goto out;
	}
	note_err(&first, ensure_addresses(m, link.ifindex, &st));
	note_err(&first, sync_entries(m, link.ifindex, &st));
out:
	if (st.created || st.deleted_device || st.replaced || st.deleted || st.failed)
		log_info("event=vxlan_apply dev=%s created=%d deleted_device=%d replaced=%zu "
			 "deleted=%zu failed=%zu deferred=%zu",
			 m->name, st.created, st.deleted_device,
			 st.replaced, st.deleted, st.failed, st.deferred);
	if (stats)
		*stats = st;
	return first;
}
