/* Unit tests for felix/vxlan_mgr on a fake dataplane: device creation and
 * recreation, MTU/up in place, tunnel address, FDB + neighbour diff and
 * order, no deletion before in-sync, drift repair, device removal. */
#include "twill_test.h"

#include <errno.h>
#include <stdlib.h>

#include "vxlan_mgr.h"

#define MAX_FAKE 32

struct fake {
	bool exists;
	struct vxlan_link_state link;
	struct cidr addrs[MAX_FAKE];
	size_t n_addrs;
	struct vxlan_entry entries[MAX_FAKE];
	size_t n_entries;
	int creates, deletes, sets, addr_adds, addr_dels;
	int next_ifindex;
	/* order of written entry kinds, for the ordering tests */
	enum vxlan_entry_kind written[MAX_FAKE];
	size_t n_written;
	enum vxlan_entry_kind removed[MAX_FAKE];
	size_t n_removed;
	int create_error;
};

static struct fake fk;
static struct vxlan_mgr *mgr;
static struct vxlan_device_spec spec;
static struct vxlan_peer peers[2];

static int f_link_get(void *ctx, const char *name, struct vxlan_link_state *out)
{
	(void)ctx;
	assert_string_equal(name, "vxlan.twill");
	if (!fk.exists)
		return -ENODEV;
	*out = fk.link;
	return 0;
}

static int f_link_create(void *ctx, const struct vxlan_device_spec *s)
{
	(void)ctx;
	assert_false(fk.exists);
	if (fk.create_error)
		return fk.create_error;
	fk.creates++;
	fk.exists = true;
	memset(&fk.link, 0, sizeof(fk.link));
	fk.link.ifindex = ++fk.next_ifindex;
	snprintf(fk.link.kind, sizeof(fk.link.kind), "vxlan");
	fk.link.vni = s->vni;
	fk.link.port = s->port;
	fk.link.has_local = s->has_local;
	fk.link.local = s->local;
	fk.link.mtu = s->mtu ? s->mtu : 1500;
	fk.n_addrs = 0;
	fk.n_entries = 0;
	return 0;
}

static int f_link_delete(void *ctx, int ifindex)
{
	(void)ctx;
	assert_true(fk.exists);
	assert_int_equal(ifindex, fk.link.ifindex);
	fk.deletes++;
	fk.exists = false;
	fk.n_entries = 0;
	fk.n_addrs = 0;
	return 0;
}

static int f_link_set(void *ctx, int ifindex, unsigned mtu, const uint8_t *mac, bool up)
{
	(void)ctx;
	assert_int_equal(ifindex, fk.link.ifindex);
	fk.sets++;
	if (mtu)
		fk.link.mtu = mtu;
	if (mac)
		memcpy(fk.link.mac, mac, 6);
	fk.link.up = up;
	return 0;
}

static int f_addr_list(void *ctx, int ifindex, struct cidr **out, size_t *n)
{
	(void)ctx;
	(void)ifindex;
	*out = malloc(MAX_FAKE * sizeof(**out));
	assert_non_null(*out);
	memcpy(*out, fk.addrs, fk.n_addrs * sizeof(**out));
	*n = fk.n_addrs;
	return 0;
}

static int f_addr_add(void *ctx, int ifindex, const struct cidr *a)
{
	(void)ctx;
	(void)ifindex;
	fk.addr_adds++;
	fk.addrs[fk.n_addrs++] = *a;
	return 0;
}

static int f_addr_del(void *ctx, int ifindex, const struct cidr *a)
{
	size_t i;

	(void)ctx;
	(void)ifindex;
	fk.addr_dels++;
	for (i = 0; i < fk.n_addrs; i++)
		if (cidr_equal(&fk.addrs[i], a)) {
			fk.addrs[i] = fk.addrs[--fk.n_addrs];
			return 0;
		}
	return -EADDRNOTAVAIL;
}

static int f_dump(void *ctx, int ifindex, struct vxlan_entry **out, size_t *n)
{
	(void)ctx;
	assert_int_equal(ifindex, fk.link.ifindex);
	*out = malloc(MAX_FAKE * sizeof(**out));
	assert_non_null(*out);
	memcpy(*out, fk.entries, fk.n_entries * sizeof(**out));
	*n = fk.n_entries;
	return 0;
}

static bool same_key(const struct vxlan_entry *a, const struct vxlan_entry *b)
{
	if (a->kind != b->kind)
		return false;
	return a->kind == VXLAN_ENTRY_FDB ? memcmp(a->mac, b->mac, 6) == 0
					  : ip_equal(&a->ip, &b->ip);
}

static int f_replace(void *ctx, int ifindex, const struct vxlan_entry *e, size_t n, int *errs)
{
	size_t i, j;

	(void)ctx;
	(void)ifindex;
	for (i = 0; i < n; i++) {
		for (j = 0; j < fk.n_entries; j++)
			if (same_key(&fk.entries[j], &e[i]))
				break;
		if (j == fk.n_entries)
			fk.n_entries++;
		fk.entries[j] = e[i];
		fk.written[fk.n_written++] = e[i].kind;
		errs[i] = 0;
	}
	return 0;
}

static int f_delete(void *ctx, int ifindex, const struct vxlan_entry *e, size_t n, int *errs)
{
	size_t i, j;

	(void)ctx;
	(void)ifindex;
	for (i = 0; i < n; i++) {
		errs[i] = 0;
		fk.removed[fk.n_removed++] = e[i].kind;
		for (j = 0; j < fk.n_entries; j++)
			if (same_key(&fk.entries[j], &e[i])) {
				fk.entries[j] = fk.entries[--fk.n_entries];
				break;
			}
	}
	return 0;
}

static struct ip_addr IP(const char *text)
{
	struct ip_addr ip;

	assert_int_equal(ip_parse(text, &ip), 0);
	return ip;
}

static int setup(void **state)
{
	struct vxlan_dataplane dp = {f_link_get, f_link_create, f_link_delete, f_link_set,
				     f_addr_list, f_addr_add, f_addr_del, f_dump,
				     f_replace, f_delete, NULL};
	uint8_t mac1[6] = {0x66, 0, 0, 0, 0, 1}, mac2[6] = {0x66, 0, 0, 0, 0, 2};

	(void)state;
	memset(&fk, 0, sizeof(fk));
	fk.next_ifindex = 10;
	memset(&spec, 0, sizeof(spec));
	spec.vni = 4096;
	spec.port = 4789;
	spec.has_local = true;
	spec.local = IP("10.0.0.1");
	spec.mtu = 1450;
	spec.has_tunnel_addr = true;
	spec.tunnel_addr = IP("10.244.0.0");
	memcpy(peers[0].mac, mac1, 6);
	peers[0].tunnel_addr = IP("10.244.1.0");
	peers[0].node_ip = IP("10.0.0.2");
	memcpy(peers[1].mac, mac2, 6);
	peers[1].tunnel_addr = IP("10.244.2.0");
	peers[1].node_ip = IP("10.0.1.3");
	assert_int_equal(vxlan_mgr_new(&dp, "vxlan.twill", &mgr), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vxlan_mgr_free(mgr);
	mgr = NULL;
	return 0;
}

static bool has_entry(enum vxlan_entry_kind kind, const uint8_t mac[6], const char *ip)
{
	struct ip_addr want = IP(ip);
	size_t i;

	for (i = 0; i < fk.n_entries; i++)
		if (fk.entries[i].kind == kind && memcmp(fk.entries[i].mac, mac, 6) == 0 &&
		    ip_equal(&fk.entries[i].ip, &want))
			return true;
	return false;
}

static void test_creates_device_and_entries(void **state)
{
	struct vxlan_apply_stats st;

	(void)state;
	assert_int_equal(vxlan_mgr_set_desired(mgr, &spec, peers, 2), 0);
	assert_int_equal(vxlan_mgr_apply(mgr, &st), 0);
	assert_true(st.created);
	assert_int_equal(fk.creates, 1);
	assert_true(fk.link.up);
	assert_int_equal(fk.link.mtu, 1450);
	assert_int_equal(fk.n_addrs, 1);
	assert_int_equal(fk.addrs[0].prefix_len, 32);
	assert_int_equal(st.replaced, 4);
	assert_true(has_entry(VXLAN_ENTRY_FDB, peers[0].mac, "10.0.0.2"));
	assert_true(has_entry(VXLAN_ENTRY_NEIGH, peers[0].mac, "10.244.1.0"));
	assert_true(has_entry(VXLAN_ENTRY_FDB, peers[1].mac, "10.0.1.3"));
	assert_true(has_entry(VXLAN_ENTRY_NEIGH, peers[1].mac, "10.244.2.0"));
}

static void test_fdb_written_before_neighbours(void **state)
{
	size_t i;

	(void)state;
	assert_int_equal(vxlan_mgr_set_desired(mgr, &spec, peers, 2), 0);
	assert_int_equal(vxlan_mgr_apply(mgr, NULL), 0);
	assert_int_equal(fk.n_written, 4);
	for (i = 0; i < 2; i++)
		assert_int_equal(fk.written[i], VXLAN_ENTRY_FDB);
	for (i = 2; i < 4; i++)
		assert_int_equal(fk.written[i], VXLAN_ENTRY_NEIGH);
}

static void test_idempotent(void **state)
{
	struct vxlan_apply_stats st;

	(void)state;
	vxlan_mgr_set_in_sync(mgr, true);
	assert_int_equal(vxlan_mgr_set_desired(mgr, &spec, peers, 2), 0);
	assert_int_equal(vxlan_mgr_apply(mgr, NULL), 0);
	assert_int_equal(vxlan_mgr_apply(mgr, &st), 0);
	assert_false(st.created);
	assert_int_equal(st.replaced + st.deleted + st.failed, 0);
	assert_int_equal(fk.creates, 1);
	assert_int_equal(fk.sets, 1);
	assert_int_equal(fk.addr_adds, 1);
}

static void test_wrong_vni_recreates(void **state)
{
	struct vxlan_apply_stats st;

	(void)state;
	assert_int_equal(vxlan_mgr_set_desired(mgr, &spec, peers, 1), 0);
	assert_int_equal(vxlan_mgr_apply(mgr, NULL), 0);
	fk.link.vni = 77; /* someone recreated it by hand */
	assert_int_equal(vxlan_mgr_apply(mgr, &st), 0);
	assert_true(st.created);
	assert_int_equal(fk.deletes, 1);
	assert_int_equal(fk.link.vni, 4096);
	assert_int_equal(fk.n_entries, 2); /* entries back on the new device */
}

static void test_learning_or_kind_recreates(void **state)
{
	struct vxlan_link_state l;

	(void)state;
	memset(&l, 0, sizeof(l));
	snprintf(l.kind, sizeof(l.kind), "vxlan");
	l.vni = 4096;
	l.port = 4789;
	l.has_local = true;
	l.local = IP("10.0.0.1");
	assert_true(vxlan_link_compatible(&l, &spec));
	l.learning = true;
	assert_false(vxlan_link_compatible(&l, &spec));
	l.learning = false;
	snprintf(l.kind, sizeof(l.kind), "dummy");
	assert_false(vxlan_link_compatible(&l, &spec));
	snprintf(l.kind, sizeof(l.kind), "vxlan");
	l.port = 8472;
	assert_false(vxlan_link_compatible(&l, &spec));
	l.port = 4789;
	l.local = IP("10.0.0.9");
	assert_false(vxlan_link_compatible(&l, &spec));
}

static void test_mtu_fixed_in_place(void **state)
{
	struct vxlan_apply_stats st;

	(void)state;
	assert_int_equal(vxlan_mgr_set_desired(mgr, &spec, peers, 2), 0);
	assert_int_equal(vxlan_mgr_apply(mgr, NULL), 0);
	spec.mtu = 8950;
	assert_int_equal(vxlan_mgr_set_desired(mgr, &spec, peers, 2), 0);
	assert_int_equal(vxlan_mgr_apply(mgr, &st), 0);
	assert_false(st.created);
	assert_int_equal(fk.link.mtu, 8950);
	spec.has_mac = true;
	spec.mac[0] = 0x66;
	spec.mac[5] = 0x42;
	assert_int_equal(vxlan_mgr_set_desired(mgr, &spec, peers, 2), 0);
	assert_int_equal(vxlan_mgr_apply(mgr, NULL), 0);
	assert_memory_equal(fk.link.mac, spec.mac, 6);
	fk.link.up = false;
	assert_int_equal(vxlan_mgr_apply(mgr, NULL), 0);
	assert_true(fk.link.up);
	assert_int_equal(fk.creates, 1);
}

static void test_peer_removed_after_in_sync(void **state)
{
	struct vxlan_apply_stats st;

	(void)state;
	assert_int_equal(vxlan_mgr_set_desired(mgr, &spec, peers, 2), 0);
	assert_int_equal(vxlan_mgr_apply(mgr, NULL), 0);
	assert_int_equal(vxlan_mgr_set_desired(mgr, &spec, peers, 1), 0);
	assert_int_equal(vxlan_mgr_apply(mgr, &st), 0);
	assert_int_equal(st.deferred, 2);
	assert_int_equal(fk.n_entries, 4);
	vxlan_mgr_set_in_sync(mgr, true);
	assert_int_equal(vxlan_mgr_apply(mgr, &st), 0);
	assert_int_equal(st.deleted, 2);
	assert_int_equal(fk.n_entries, 2);
	assert_false(has_entry(VXLAN_ENTRY_FDB, peers[1].mac, "10.0.1.3"));
	/* Neighbour removed before the FDB entry it used. */
	assert_int_equal(fk.removed[0], VXLAN_ENTRY_NEIGH);
	assert_int_equal(fk.removed[1], VXLAN_ENTRY_FDB);
}

static void test_node_ip_change_replaced(void **state)
{
	struct vxlan_apply_stats st;

	(void)state;
	vxlan_mgr_set_in_sync(mgr, true);
	assert_int_equal(vxlan_mgr_set_desired(mgr, &spec, peers, 2), 0);
	assert_int_equal(vxlan_mgr_apply(mgr, NULL), 0);
	peers[0].node_ip = IP("10.0.0.22");
	assert_int_equal(vxlan_mgr_set_desired(mgr, &spec, peers, 2), 0);
	assert_int_equal(vxlan_mgr_apply(mgr, &st), 0);
	assert_int_equal(st.replaced, 1);
	assert_int_equal(st.deleted, 0);
	assert_true(has_entry(VXLAN_ENTRY_FDB, peers[0].mac, "10.0.0.22"));
}

static void test_drift_repaired(void **state)
{
	struct vxlan_apply_stats st;

	(void)state;
	vxlan_mgr_set_in_sync(mgr, true);
	assert_int_equal(vxlan_mgr_set_desired(mgr, &spec, peers, 2), 0);
	assert_int_equal(vxlan_mgr_apply(mgr, NULL), 0);
	fk.n_entries = 1; /* three entries flushed by hand */
	fk.n_addrs = 0;   /* address removed */
	fk.addrs[fk.n_addrs].addr = IP("192.0.2.1");
	fk.addrs[fk.n_addrs++].prefix_len = 24; /* and a stray one added */
	assert_int_equal(vxlan_mgr_apply(mgr, &st), 0);
	assert_int_equal(st.replaced, 3);
	assert_int_equal(fk.n_entries, 4);
	assert_int_equal(fk.n_addrs, 1);
	assert_int_equal(fk.addrs[0].prefix_len, 32);
}

static void test_device_deleted_by_hand_recreated(void **state)
{
	struct vxlan_apply_stats st;

	(void)state;
	assert_int_equal(vxlan_mgr_set_desired(mgr, &spec, peers, 2), 0);
	assert_int_equal(vxlan_mgr_apply(mgr, NULL), 0);
	fk.exists = false;
	assert_int_equal(vxlan_mgr_apply(mgr, &st), 0);
	assert_true(st.created);
	assert_int_equal(fk.n_entries, 4);
}

static void test_no_device_wanted(void **state)
{
	struct vxlan_apply_stats st;

	(void)state;
	assert_int_equal(vxlan_mgr_set_desired(mgr, &spec, peers, 2), 0);
	assert_int_equal(vxlan_mgr_apply(mgr, NULL), 0);
	assert_int_equal(vxlan_mgr_set_desired(mgr, NULL, NULL, 0), 0);
	assert_int_equal(vxlan_mgr_apply(mgr, &st), 0);
	assert_true(fk.exists); /* not before in-sync */
	assert_int_equal(st.deferred, 1);
	vxlan_mgr_set_in_sync(mgr, true);
	assert_int_equal(vxlan_mgr_apply(mgr, &st), 0);
	assert_true(st.deleted_device);
	assert_false(fk.exists);
	assert_int_equal(vxlan_mgr_apply(mgr, &st), 0); /* absent: nothing to do */
	assert_int_equal(fk.deletes, 1);
}

static void test_create_failure_reported(void **state)
{
	(void)state;
	fk.create_error = -EPERM;
	assert_int_equal(vxlan_mgr_set_desired(mgr, &spec, peers, 2), 0);
	assert_int_equal(vxlan_mgr_apply(mgr, NULL), -EPERM);
	fk.create_error = 0;
	assert_int_equal(vxlan_mgr_apply(mgr, NULL), 0);
	assert_int_equal(fk.n_entries, 4);
}

static void test_invalid_desired(void **state)
{
	struct vxlan_peer bad = peers[0];

	(void)state;
	spec.vni = 1u << 24;
	assert_int_equal(vxlan_mgr_set_desired(mgr, &spec, peers, 2), -EINVAL);
	spec.vni = 4096;
	bad.node_ip = IP("fd00::2");
	assert_int_equal(vxlan_mgr_set_desired(mgr, &spec, &bad, 1), -EINVAL);
}

static void test_entries_for_peers_sorted_and_dedup(void **state)
{
	struct vxlan_peer dup[3];
	struct vxlan_entry *e;
	size_t n;

	(void)state;
	dup[0] = peers[1];
	dup[1] = peers[0];
	dup[2] = peers[0];
	dup[2].node_ip = IP("10.0.0.99"); /* same MAC claimed twice */
	assert_int_equal(vxlan_entries_for_peers(dup, 2, &e, &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(e[0].kind, VXLAN_ENTRY_FDB);
	assert_memory_equal(e[0].mac, peers[0].mac, 6);
	assert_int_equal(e[2].kind, VXLAN_ENTRY_NEIGH);
	free(e);
	assert_int_equal(vxlan_mgr_set_desired(mgr, &spec, dup, 3), 0);
	assert_int_equal(vxlan_mgr_apply(mgr, NULL), 0);
	assert_int_equal(fk.n_entries, 4); /* one FDB entry for the shared MAC */
	assert_true(has_entry(VXLAN_ENTRY_FDB, peers[0].mac, "10.0.0.2")); /* the smaller */
}

static void test_new_rejects_bad_name(void **state)
{
	struct vxlan_dataplane dp = {0};
	struct vxlan_mgr *m = NULL;

	(void)state;
	assert_int_equal(vxlan_mgr_new(&dp, "vxlan.twill", &m), -EINVAL);
	assert_int_equal(vxlan_mgr_new(NULL, "", &m), -EINVAL);
	assert_null(m);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test_setup_teardown(test_creates_device_and_entries, setup, teardown),
	cmocka_unit_test_setup_teardown(test_fdb_written_before_neighbours, setup, teardown),
	cmocka_unit_test_setup_teardown(test_idempotent, setup, teardown),
	cmocka_unit_test_setup_teardown(test_wrong_vni_recreates, setup, teardown),
	cmocka_unit_test_setup_teardown(test_learning_or_kind_recreates, setup, teardown),
	cmocka_unit_test_setup_teardown(test_mtu_fixed_in_place, setup, teardown),
	cmocka_unit_test_setup_teardown(test_peer_removed_after_in_sync, setup, teardown),
	cmocka_unit_test_setup_teardown(test_node_ip_change_replaced, setup, teardown),
	cmocka_unit_test_setup_teardown(test_drift_repaired, setup, teardown),
	cmocka_unit_test_setup_teardown(test_device_deleted_by_hand_recreated, setup, teardown),
	cmocka_unit_test_setup_teardown(test_no_device_wanted, setup, teardown),
	cmocka_unit_test_setup_teardown(test_create_failure_reported, setup, teardown),
	cmocka_unit_test_setup_teardown(test_invalid_desired, setup, teardown),
	cmocka_unit_test_setup_teardown(test_entries_for_peers_sorted_and_dedup, setup, teardown),
	cmocka_unit_test_setup_teardown(test_new_rejects_bad_name, setup, teardown),
};

TWILL_TEST_MAIN(tests)
