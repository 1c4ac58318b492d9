/* rtnl: a raw NETLINK_ROUTE socket for felix's bulk work — dumps, and
 * batches of requests packed many to a sendmsg with their acks read in bulk.
 *
 * Why not libnl (lib/netlink.h)? Its request path sends one message and
 * waits for its ack, which is exactly what `ip -batch` does; programming
 * 10k routes fast needs the kernel to see hundreds of requests per syscall
 * and us to drain hundreds of acks per recv (DESIGN.md 8a).
 *
 * Contract:
 *  - Functions return 0 or -errno. The socket belongs to the network
 *    namespace the caller was in at rtnl_open().
 *  - rtnl_dump(): one NLM_F_DUMP request; fn runs for every message of the
 *    answer (fn's non-zero return stops the walk and is returned after the
 *    rest of the answer is drained, so the socket stays usable). A dump the
 *    kernel flags as interrupted (NLM_F_DUMP_INTR: the table changed while
 *    it was read) is restarted, up to 3 times, then -EAGAIN; reset (may be
 *    NULL) runs before each restart so fn's collector starts over.
 *  - rtnl_batch(): build(i) writes request i (type, flags, payload; rtnl
 *    sets seq and pid) and returns 0 to send it, 1 to skip it (errs[i] = 0)
 *    or -errno (errs[i] = that; not sent). Requests are packed into 64 KiB
 *    sendmsg chunks; the acks of a chunk are drained before the next one.
 *    Every sent request carries NLM_F_ACK; errs[i] receives the kernel's
 *    answer (0 or -errno). The return value is 0 or a socket-level error,
 *    after which the errs of unsent/unanswered requests are -EIO.
 *  - Acks are capped (NETLINK_CAP_ACK) so a chunk of requests never
 *    overflows the receive buffer with echoed payloads. */
#ifndef TWILL_FELIX_RTNL_H
#define TWILL_FELIX_RTNL_H

#include <stddef.h>
#include <stdint.h>

#include <linux/netlink.h>

struct rtnl;

/* Most bytes one request may use (header included). */
#define RTNL_MSG_MAX 1024

int rtnl_open(struct rtnl **out);
void rtnl_close(struct rtnl *nl);

typedef int (*rtnl_msg_fn)(const struct nlmsghdr *h, void *ctx);
typedef void (*rtnl_reset_fn)(void *ctx);

/* payload (an rtmsg, ifinfomsg, ndmsg ...) of len bytes follows the header. */
int rtnl_dump(struct rtnl *nl, uint16_t type, const void *payload, size_t len,
	      rtnl_msg_fn fn, rtnl_reset_fn reset, void *ctx);

/* One non-dump request (e.g. RTM_GETLINK by IFLA_IFNAME) built in h (room
 * RTNL_MSG_MAX; set type and payload; NLM_F_REQUEST is added); fn runs on
 * the single answer. The kernel's error (-ENODEV ...) is returned. */
int rtnl_get(struct rtnl *nl, struct nlmsghdr *h, rtnl_msg_fn fn, void *ctx);

/* h has RTNL_MSG_MAX bytes of room, zeroed; set h->nlmsg_type, nlmsg_flags
 * (NLM_F_REQUEST and NLM_F_ACK are added), nlmsg_len (use rtnl_attr_put). */
typedef int (*rtnl_build_fn)(size_t i, struct nlmsghdr *h, void *ctx);
int rtnl_batch(struct rtnl *nl, size_t n, rtnl_build_fn build, void *ctx, int *errs);

/* Append an attribute to h (whose room is RTNL_MSG_MAX). 0 or -EMSGSIZE. */
int rtnl_attr_put(struct nlmsghdr *h, uint16_t type, const void *data, size_t len);
int rtnl_attr_put_u32(struct nlmsghdr *h, uint16_t type, uint32_t value);
/* Open a nested attribute; close it with rtnl_nest_end(h, nest). NULL on
 * -EMSGSIZE. */
struct rtattr *rtnl_nest_start(struct nlmsghdr *h, uint16_t type);
void rtnl_nest_end(struct nlmsghdr *h, struct rtattr *nest);

/* Fill tb[0..max] with the attributes in [attr, attr+len); later
 * duplicates win; absent ones NULL. */
void rtnl_attr_parse(struct rtattr **tb, unsigned max, struct rtattr *attr, size_t len);

/* Interface index <-> name map from one RTM_GETLINK dump. */
struct rtnl_link_name {
	int ifindex;
	char name[16];
};
struct rtnl_links {
	struct rtnl_link_name *by_index; /* sorted by ifindex */
	struct rtnl_link_name *by_name;  /* sorted by name */
	size_t n;
};
int rtnl_links_load(struct rtnl *nl, struct rtnl_links *out);
void rtnl_links_free(struct rtnl_links *links);
/* 0 when unknown. */
int rtnl_links_index(const struct rtnl_links *links, const char *name);
/* NULL when unknown. */
const char *rtnl_links_name(const struct rtnl_links *links, int ifindex);

#endif
