/* felix_routes: drive felix's route_mgr over the real netlink shim in the
 * current network namespace, for tests/e2e/test_felix_routes.py (run it
 * with `ip netns exec`).
 *
 *   felix_routes <count> <dev> <gw> [sync]
 *
 * Desired set: <count> endpoint-like routes 10.200.<i/256>.<i%256>/32 dev
 * <dev> scope link, one blackhole 10.201.0.0/24, one 10.202.0.0/24 via <gw>,
 * one IPv6 blackhole fd00:201::/64 and one IPv6 endpoint route fd00:200::5/128
 * dev <dev> scope link (4 routes besides the <count> ones). "sync" declares the datastore in
 * sync (deletions allowed). Prints one line of key=value apply stats and
 * exits 0 when the apply returned 0 (1 otherwise, 2 on usage errors). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "route_mgr.h"
#include "route_netlink.h"
#include "rtnl.h"

#define RT_SCOPE_LINK_VALUE 253

int main(int argc, char **argv)
{
	struct route_dataplane dp;
	struct route_apply_stats st;
	struct route_entry *routes = NULL;
	struct route_mgr *mgr = NULL;
	struct rtnl *nl = NULL;
	struct ip_addr gw;
	long count;
	size_t n = 0, i;
	int rc, status = 1;

	if (argc < 4 || (count = strtol(argv[1], NULL, 10)) < 0 || count > 65536 ||
	    ip_parse(argv[3], &gw) < 0) {
		fprintf(stderr, "usage: felix_routes <count> <dev> <gw> [sync]\n");
		return 2;
	}
	log_init("felix_routes");
	routes = calloc((size_t)count + 4, sizeof(*routes));
	if (!routes)
		return 1;
	for (i = 0; i < (size_t)count; i++) {
		struct route_entry *r = &routes[n++];

		ip_from_v4(0x0ac80000u | (uint32_t)i, &r->dst.addr); /* 10.200.0.0 + i */
		r->dst.prefix_len = 32;
		snprintf(r->ifname, sizeof(r->ifname), "%s", argv[2]);
		r->scope = RT_SCOPE_LINK_VALUE;
	}
	cidr_parse("10.201.0.0/24", &routes[n].dst);
	routes[n++].type = ROUTE_TYPE_BLACKHOLE;
	cidr_parse("10.202.0.0/24", &routes[n].dst);
	routes[n].has_gw = true;
	routes[n++].gw = gw;
	cidr_parse("fd00:201::/64", &routes[n].dst);
	routes[n++].type = ROUTE_TYPE_BLACKHOLE;
	cidr_parse("fd00:200::5/128", &routes[n].dst);
	snprintf(routes[n].ifname, sizeof(routes[n].ifname), "%s", argv[2]);
	routes[n++].scope = RT_SCOPE_LINK_VALUE;

	rc = rtnl_open(&nl);
	if (rc < 0) {
		fprintf(stderr, "rtnl_open: %s\n", strerror(-rc));
		goto out;
	}
	route_netlink_dataplane(nl, &dp);
	rc = route_mgr_new(&dp, 81, &mgr);
	if (!rc)
		rc = route_mgr_set_desired(mgr, routes, n);
	if (rc < 0)
		goto out;
	route_mgr_set_in_sync(mgr, argc > 4 && strcmp(argv[4], "sync") == 0);
	rc = route_mgr_apply(mgr, &st);
	printf("rc=%d desired=%zu dumped=%zu replaced=%zu deleted=%zu failed=%zu deferred=%zu "
	       "conflicts=%zu\n",
	       rc, st.desired, st.dumped, st.replaced, st.deleted, st.failed, st.deferred,
	       st.conflicts);
	status = rc == 0 ? 0 : 1;
out:
	route_mgr_free(mgr);
	rtnl_close(nl);
	free(routes);
	return status;
}
