/* netlink: small rtnetlink helpers (libnl-route-3) shared by twill-cni and
 * felix: links, veth pairs, addresses, routes, and /proc/sys/net writes.
 *
 * Contract:
 *  - Every function returns 0 or a negative errno (libnl's NLE_* codes are
 *    mapped back to errno: -EEXIST, -ENODEV, -ENOENT, -EPERM, ...).
 *  - A socket is bound to the network namespace it was opened in:
 *    netlink_open_in_netns() enters the target netns only for the socket()
 *    call and returns to the caller's netns before returning, so one thread
 *    can drive the host and a pod namespace through two sockets without
 *    ever being "inside" the pod. Not safe against other threads calling
 *    setns() at the same time (the plugin is single-threaded).
 *  - netlink_veth_create() creates the pair with the peer directly in the
 *    target netns (IFLA_NET_NS_FD inside VETH_INFO_PEER): no move, so no
 *    rtnl/RCU barrier on the hot path (DESIGN.md 8a).
 *  - Routes written through this module carry a protocol number; twill's is
 *    TWILL_ROUTE_PROTOCOL (81), which is how felix recognises routes it owns.
 *    netlink_route_replace() uses NLM_F_REPLACE (idempotent, no delete+add).
 *  - netlink_sysctl_write() writes under /proc/sys/net of the CALLER's
 *    netns: the path is relative ("ipv4/conf/tw1/proxy_arp"); ".." rejected. */
#ifndef TWILL_NETLINK_H
#define TWILL_NETLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cidr.h"

/* rtnetlink protocol of every route twill writes (FelixConfiguration
 * routeProtocol default). Named "twill" in /etc/iproute2/rt_protos.d. */
#define TWILL_ROUTE_PROTOCOL 81

struct nl_sock;

struct netlink_link {
	int ifindex;
	unsigned mtu;
	bool up;            /* IFF_UP set */
	uint8_t mac[6];
	char kind[16];      /* "veth", "dummy", "" when none */
	int peer_ifindex;   /* IFLA_LINK (veth peer's index in its netns), 0 if none */
};

struct netlink_route {
	struct cidr dst;
	bool has_gw;
	struct ip_addr gw;
	int ifindex;        /* 0: none */
	bool onlink;        /* RTNH_F_ONLINK on the next hop */
	uint8_t scope;      /* RT_SCOPE_UNIVERSE (0), RT_SCOPE_LINK (253) ... */
	uint8_t protocol;   /* RTPROT_*, or TWILL_ROUTE_PROTOCOL */
	uint32_t table;     /* 0: main */
};

int netlink_open(struct nl_sock **out);
/* Socket bound to the netns behind netns_fd (an open /run/netns/x or
 * /proc/<pid>/ns/net). */
int netlink_open_in_netns(int netns_fd, struct nl_sock **out);
void netlink_close(struct nl_sock *sk);

/* -ENODEV when there is no such link. */
int netlink_link_get(struct nl_sock *sk, const char *name, struct netlink_link *out);
int netlink_link_get_by_index(struct nl_sock *sk, int ifindex, struct netlink_link *out,
			      char name[16]);
/* 0 also when the link does not exist (deleting is idempotent). */
int netlink_link_delete(struct nl_sock *sk, const char *name);
int netlink_link_set_up(struct nl_sock *sk, int ifindex);

/* Create veth host_name (in sk's netns, MAC host_mac unless NULL) with peer
 * peer_name created directly in peer_netns_fd. mtu 0 keeps the default.
 * -EEXIST when either name is taken. */
int netlink_veth_create(struct nl_sock *sk, const char *host_name, const uint8_t host_mac[6],
			const char *peer_name, int peer_netns_fd, unsigned mtu);

/* Add addr (host bits = the address, prefix_len as given). IPv6 addresses
 * are added with IFA_F_NODAD: a /128 on a point-to-point veth cannot clash
 * and waiting for DAD would delay the pod. */
int netlink_addr_add(struct nl_sock *sk, int ifindex, const struct cidr *addr);
/* Addresses of one link and family (AF_UNSPEC: both), up to max. */
int netlink_addr_list(struct nl_sock *sk, int ifindex, int family, struct cidr *out,
		      size_t max, size_t *n);

int netlink_route_replace(struct nl_sock *sk, const struct netlink_route *r);
/* 0 also when the route does not exist. */
int netlink_route_delete(struct nl_sock *sk, const struct netlink_route *r);
/* Find the main-table (or r->table) route to exactly dst; fills out. When
 * ifindex > 0 only a route through that link counts. -ENOENT when none. */
int netlink_route_find(struct nl_sock *sk, const struct cidr *dst, int ifindex,
		       struct netlink_route *out);
/* MTU of the link the main table's default route of family goes through;
 * -ENOENT when there is no default route. */
int netlink_default_route_mtu(struct nl_sock *sk, int family, unsigned *mtu);

/* Write value to /proc/sys/net/<relpath>. */
int netlink_sysctl_write(const char *relpath, const char *value);
/* Read it (trailing newline stripped). */
int netlink_sysctl_read(const char *relpath, char *buf, size_t size);

/* "aa:bb:cc:dd:ee:ff" (lowercase) into buf of >= 18 bytes. */
void netlink_mac_format(const uint8_t mac[6], char *buf);

#endif
