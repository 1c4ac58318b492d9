/* ipip_mgr: the IPIP fallback device tunl0 (see ipip_mgr.h for the order of
 * operations).
 *
 * Like vxlan_mgr the manager keeps no picture of the kernel between applies:
 * every apply reads the link and its addresses again, which is what repairs
 * drift. Unlike vxlan.twill, tunl0 is never deleted or recreated: the
 * kernel's ipip module owns its existence, and its parameters (no local or
 * remote address, mode ipip) are the only ones a fallback device can have,
 * so there is nothing to be incompatible about except its kind. */
#include "ipip_mgr.h"

#include <errno.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

struct ipip_mgr {
	struct ipip_dataplane dp;
	char name[IPIP_IFNAME_SIZE];
	bool in_sync;
	bool want_device;
	struct ipip_device_spec spec;
};

int ipip_mgr_new(const struct ipip_dataplane *dp, const char *name, struct ipip_mgr **out)
{
	struct ipip_mgr *m;

	if (!dp || !name || !name[0] || strlen(name) >= IPIP_IFNAME_SIZE || !out ||
	    !dp->link_get || !dp->link_create || !dp->link_set || !dp->addr_list ||
	    !dp->addr_add || !dp->addr_del)
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->dp = *dp;
	memcpy(m->name, name, strlen(name) + 1);
	*out = m;
	return 0;
}

void ipip_mgr_free(struct ipip_mgr *m)
{
	free(m);
}

int ipip_mgr_set_desired(struct ipip_mgr *m, const struct ipip_device_spec *spec)
{
	if (!m)
		return -EINVAL;
	if (spec && spec->has_tunnel_addr && spec->tunnel_addr.family != AF_INET)
		return -EINVAL;
	m->want_device = spec != NULL;
	if (spec)
		m->spec = *spec;
	else
		memset(&m->spec, 0, sizeof(m->spec));
	return 0;
}

void ipip_mgr_set_in_sync(struct ipip_mgr *m, bool in_sync)
{
	if (m)
		m->in_sync = in_sync;
}

static void note_err(int *first, int rc)
{
	if (rc < 0 && !*first)
		*first = rc;
}

/* Step 1 and 2: the device exists, is ours (kind ipip), has the MTU, is up. */
static int ensure_device(struct ipip_mgr *m, struct ipip_link_state *link,
			 struct ipip_apply_stats *st)
{
	int rc = m->dp.link_get(m->dp.ctx, m->name, link);

	if (rc == -ENODEV) {
		rc = m->dp.link_create(m->dp.ctx, m->name);
		if (rc == 0)
			st->created = true;
		else if (rc != -EEXIST) /* the module's own tunl0 won the race */
			return rc;
		rc = m->dp.link_get(m->dp.ctx, m->name, link);
		if (rc == 0 && st->created)
			log_info("event=ipip_created dev=%s ifindex=%d", m->name, link->ifindex);
	}
	if (rc < 0)
		return rc;
	if (strcmp(link->kind, "ipip") != 0) {
		log_warn("event=ipip_foreign_device dev=%s kind=%s msg=\"not touching it\"",
			 m->name, link->kind);
		return -EEXIST;
	}
	if (!link->up || (m->spec.mtu && link->mtu != m->spec.mtu)) {
		rc = m->dp.link_set(m->dp.ctx, link->ifindex, m->spec.mtu, true);
		if (rc < 0)
			return rc;
		st->changed = true;
		log_info("event=ipip_link_set dev=%s mtu=%u was_mtu=%u was_up=%d", m->name,
			 m->spec.mtu, link->mtu, link->up);
	}
	return 0;
}

/* Step 3: exactly the wanted /32 (none when the tunnel is not wanted). */
static int sync_addrs(struct ipip_mgr *m, int ifindex, struct ipip_apply_stats *st)
{
	struct cidr want = {0}, *have = NULL;
	bool want_addr = m->want_device && m->spec.has_tunnel_addr, found = false;
	size_t n = 0, i;
	int rc, first = 0;

	if (want_addr) {
		want.addr = m->spec.tunnel_addr;
		want.prefix_len = 32;
	}
	rc = m->dp.addr_list(m->dp.ctx, ifindex, &have, &n);
	if (rc < 0)
		return rc;
	for (i = 0; i < n; i++) {
		if (have[i].addr.family != AF_INET)
			continue; /* IPIP carries IPv4 only: other families are not ours */
		if (want_addr && cidr_equal(&have[i], &want)) {
			found = true;
			continue;
		}
		if (!m->in_sync) {
			st->deferred++;
			continue;
		}
		rc = m->dp.addr_del(m->dp.ctx, ifindex, &have[i]);
		note_err(&first, rc);
		if (rc == 0)
			st->addr_deleted++;
	}
	if (want_addr && !found) {
		rc = m->dp.addr_add(m->dp.ctx, ifindex, &want);
		note_err(&first, rc);
		if (rc == 0)
			st->addr_added++;
	}
	free(have);
	return first;
}

int ipip_mgr_apply(struct ipip_mgr *m, struct ipip_apply_stats *stats)
{
	struct ipip_apply_stats local;
	struct ipip_link_state link;
	int rc;

	if (!stats)
		stats = &local;
	memset(stats, 0, sizeof(*stats));
	if (!m)
		return -EINVAL;
	memset(&link, 0, sizeof(link));
	if (m->want_device) {
		rc = ensure_device(m, &link, stats);
		if (rc < 0)
			return rc;
	} else {
		/* Not wanted: only our addresses go; a missing module is fine. */
		rc = m->dp.link_get(m->dp.ctx, m->name, &link);
		if (rc == -ENODEV)
			return 0;
		if (rc < 0)
			return rc;
		if (strcmp(link.kind, "ipip") != 0)
			return 0;
	}
	return sync_addrs(m, link.ifindex, stats);
}
