/* calc: felix's pure desired-state computation.
 *
 * Input is plain data the daemon extracted from the datastore (this node's
 * name; every Node with its addresses and VXLAN tunnel data; the IPPools;
 * the IPAMBlocks with their affinity and the allocations that belong to
 * another node than the block's; the pods running on this node). Output is
 * what the dataplane managers must make true:
 *
 *  - one endpoint route per local pod IP: <ip>/32 (/128) dev tw<hash>
 *    scope link, the veth name being cni_host_veth_name(namespace, pod);
 *  - one blackhole route per block affine to this node, so BIRD can
 *    advertise the block and traffic to free addresses dies here instead
 *    of looping;
 *  - one route per remote block (and per address a remote node borrowed
 *    from a block it does not own, as a /32 or /128), of kind
 *      CALC_ROUTE_DIRECT  via the node IP (BGP off, node on-link: host-gw),
 *      CALC_ROUTE_VXLAN   via the node's VTEP address dev vxlan.twill onlink,
 *      CALC_ROUTE_IPIP    via the node IP dev tunl0 onlink,
 *      CALC_ROUTE_NONE    nobody at felix's level programs it (BIRD does when
 *                         BGP is on; unreachable otherwise), kept in the
 *                         output with a reason so status tools can show it;
 *  - one VTEP per remote node that published a VXLAN MAC and tunnel address
 *    and has an IPv4 address (neighbour + FDB entries of vxlan.twill);
 *  - the pools NAT outgoing masquerades from, and all pools (destinations
 *    inside any pool are never masqueraded).
 *
 * Encapsulation decision for a remote destination of node N in pool P (no
 * pool: Never/Never): VXLAN when P.vxlanMode is Always, or CrossSubnet and N
 * is outside this node's subnet; else IPIP by the same rule with ipipMode;
 * else no encapsulation: DIRECT when program_cluster_routes is set (BGP
 * disabled) and N is on-link (in this node's subnet), NONE otherwise.
 * "Same subnet" means: this node's address of that family, read in interface
 * form (10.0.0.1/24), contains N's address. IPv6 destinations are never
 * encapsulated (IPIP carries IPv4 only and twill's VTEPs are IPv4), so they
 * follow the no-encapsulation rule with the nodes' IPv6 addresses.
 * A tunnel route whose ingredients are missing (N has no address yet, no
 * VTEP yet, this node's address unknown for CrossSubnet) becomes NONE with a
 * reason: a route to a wrong place is worse than no route, and the Node
 * update that brings the data recomputes it.
 *
 * Disabled pools: "disabled" stops IPAM from handing out new addresses;
 * existing blocks keep their routes (their pods still run), and NAT outgoing
 * of a disabled pool still applies for the same reason.
 *
 * Precedence when two outputs have the same destination: endpoint route >
 * local blackhole > remote route. Output routes are sorted by destination
 * (calc_route_compare), unique by destination. All functions are pure: no
 * I/O, no globals; calc_compute only allocates its output. */
#ifndef TWILL_FELIX_CALC_H
#define TWILL_FELIX_CALC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cidr.h"
#include "model/ippool.h"

#define CALC_VXLAN_DEVICE "vxlan.twill"
#define CALC_IPIP_DEVICE "tunl0"
#define CALC_IFNAME_SIZE 16
#define CALC_NODE_NAME_SIZE 254 /* DNS subdomain: 253 + NUL */
#define CALC_REASON_SIZE 64

struct calc_node {
	const char *name;
	bool has_ipv4;
	struct cidr ipv4;        /* interface form: address + subnet length */
	bool has_ipv6;
	struct cidr ipv6;
	bool has_vtep;           /* both MAC and tunnel address published */
	uint8_t vtep_mac[6];
	struct ip_addr vtep_addr; /* IPv4 tunnel address of vxlan.twill */
};

struct calc_pool {
	struct cidr net;
	enum ippool_encap_mode ipip_mode;
	enum ippool_encap_mode vxlan_mode;
	bool nat_outgoing;
	bool disabled;
};

/* An address of a block allocated to a pod on another node than the
 * block's affine node ("borrowed"). */
struct calc_borrowed {
	struct ip_addr ip;
	const char *node;
};

struct calc_block {
	struct cidr cidr;
	const char *affinity_node;       /* NULL: no affinity */
	const struct calc_borrowed *borrowed;
	size_t borrowed_count;
};

struct calc_endpoint {
	const char *pod_namespace;
	const char *pod_name;
	const struct ip_addr *ips;
	size_t ip_count;
};

struct calc_input {
	const char *this_node;
	const struct calc_node *nodes;
	size_t node_count;
	const struct calc_pool *pools;
	size_t pool_count;
	const struct calc_block *blocks;
	size_t block_count;
	const struct calc_endpoint *endpoints;
	size_t endpoint_count;
	/* FelixConfiguration programClusterRoutes: BGP is off, felix routes
	 * remote blocks itself (host-gw when on-link). */
	bool program_cluster_routes;
};

enum calc_route_kind {
	CALC_ROUTE_ENDPOINT = 0,
	CALC_ROUTE_BLACKHOLE,
	CALC_ROUTE_DIRECT,
	CALC_ROUTE_VXLAN,
	CALC_ROUTE_IPIP,
	CALC_ROUTE_NONE,
};

struct calc_route {
	struct cidr dst;
	enum calc_route_kind kind;
	char ifname[CALC_IFNAME_SIZE]; /* veth, vxlan.twill, tunl0 or "" */
	bool has_gw;
	struct ip_addr gw;
	bool onlink;
	char node[CALC_NODE_NAME_SIZE]; /* owning node ("" for local kinds) */
	char reason[CALC_REASON_SIZE];  /* why NONE ("" otherwise) */
};

struct calc_vtep {
	char node[CALC_NODE_NAME_SIZE];
	struct ip_addr node_ip;
	uint8_t mac[6];
	struct ip_addr tunnel_addr;
};

struct calc_output {
	struct calc_route *routes;
	size_t route_count;
	struct calc_vtep *vteps;     /* sorted by node name */
	size_t vtep_count;
	struct cidr *nat_pools;      /* natOutgoing pools */
	size_t nat_pool_count;
	struct cidr *all_pools;
	size_t all_pool_count;
};

/* 0, -EINVAL (NULL input or this_node), -ENOMEM. On error *out is empty.
 * Entries that cannot be used (endpoint without a name) are skipped. */
int calc_compute(const struct calc_input *in, struct calc_output *out);
void calc_output_free(struct calc_output *out);

/* Orders by family, then network address, then prefix length. */
int calc_route_compare(const struct calc_route *a, const struct calc_route *b);
/* The route to exactly dst, or NULL. */
const struct calc_route *calc_output_find(const struct calc_output *out,
					  const struct cidr *dst);
const char *calc_route_kind_name(enum calc_route_kind kind);

enum calc_encap { CALC_ENCAP_NONE = 0, CALC_ENCAP_VXLAN, CALC_ENCAP_IPIP };
/* Pod MTU for an uplink MTU: -50 for VXLAN, -20 for IPIP, as is otherwise;
 * 0 when the uplink MTU is too small to carry anything sensible (< 576). */
unsigned calc_pod_mtu(unsigned uplink_mtu, enum calc_encap encap);

#endif
