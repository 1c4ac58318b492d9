/* rtnl: raw rtnetlink dumps and pipelined request batches (see rtnl.h).
 *
 * Batching: requests are built back to back into one 64 KiB buffer and sent
 * with a single send(); each carries a sequence number seq_base + i so the
 * acks, which the kernel answers in order, map back to their request even if
 * some are missing (a request the kernel could not parse still gets an
 * NLMSG_ERROR). We then recv() until every request of the chunk has its ack,
 * each recv typically returning hundreds of them. Chunks keep the number of
 * in-flight acks far below the receive buffer (acks are 36 bytes with
 * NETLINK_CAP_ACK; a 64 KiB chunk holds at most ~1000 route requests).
 * The receive buffer is enlarged best-effort for big dumps. */
#include "rtnl.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#define RTNL_CHUNK (64 * 1024)
#define RTNL_RECV_BUF (256 * 1024)
#define RTNL_DUMP_RETRIES 3

#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif
#ifndef NETLINK_GET_STRICT_CHK
#define NETLINK_GET_STRICT_CHK 12
#endif

struct rtnl {
	int fd;
	uint32_t seq;
	uint32_t pid;
	char *rbuf;
	char *sbuf;
};

int rtnl_open(struct rtnl **out)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	socklen_t salen = sizeof(sa);
	struct rtnl *nl;
	int one = 1, rcvbuf = 4 * 1024 * 1024;
	int rc;

	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return -ENOMEM;
	nl->rbuf = malloc(RTNL_RECV_BUF);
	nl->sbuf = malloc(RTNL_CHUNK);
	if (!nl->rbuf || !nl->sbuf) {
		rc = -ENOMEM;
		goto fail;
	}
	nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (nl->fd < 0) {
		rc = -errno;
		goto fail_nofd;
	}
	/* Best effort: a bigger buffer for dumps; FORCE needs CAP_NET_ADMIN. */
	if (setsockopt(nl->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		(void)setsockopt(nl->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	(void)setsockopt(nl->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	/* Lets the kernel filter route dumps by table/protocol; we filter
	 * again ourselves, so older kernels are fine without it. */
	(void)setsockopt(nl->fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &one, sizeof(one));
	if (bind(nl->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(nl->fd, (struct sockaddr *)&sa, &salen) < 0) {
		rc = -errno;
		goto fail;
	}
	nl->pid = sa.nl_pid;
	nl->seq = (uint32_t)getpid() << 8;
	*out = nl;
	return 0;
fail:
	close(nl->fd);
fail_nofd:
	free(nl->rbuf);
	free(nl->sbuf);
	free(nl);
	return rc;
}

void rtnl_close(struct rtnl *nl)
{
	if (!nl)
		return;
	close(nl->fd);
	free(nl->rbuf);
	free(nl->sbuf);
	free(nl);
}

static ssize_t rtnl_recv(struct rtnl *nl)
{
	ssize_t n;

	do {
		n = recv(nl->fd, nl->rbuf, RTNL_RECV_BUF, 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -EPIPE;
	return n;
}

static int rtnl_dump_once(struct rtnl *nl, uint16_t type, const void *payload, size_t len,
			  rtnl_msg_fn fn, void *ctx, bool *interrupted)
{
	struct nlmsghdr *req = (struct nlmsghdr *)nl->sbuf;
	uint32_t seq = ++nl->seq;
	int cb_rc = 0;

	if (NLMSG_SPACE(len) > RTNL_CHUNK)
		return -EMSGSIZE;
	memset(req, 0, NLMSG_SPACE(len));
	req->nlmsg_len = NLMSG_LENGTH(len);
	req->nlmsg_type = type;
	req->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req->nlmsg_seq = seq;
	memcpy(NLMSG_DATA(req), payload, len);
	if (send(nl->fd, req, req->nlmsg_len, 0) < 0)
		return -errno;
	*interrupted = false;
	for (;;) {
		ssize_t got = rtnl_recv(nl);
		struct nlmsghdr *h;
		unsigned int left;

		if (got < 0)
			return (int)got;
		left = (unsigned int)got;
		for (h = (struct nlmsghdr *)nl->rbuf; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
			if (h->nlmsg_seq != seq || h->nlmsg_pid != nl->pid)
				continue; /* a stale answer to an earlier request */
			if (h->nlmsg_flags & NLM_F_DUMP_INTR)
				*interrupted = true;
			if (h->nlmsg_type == NLMSG_DONE)
				return cb_rc;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				return e->error ? e->error : cb_rc;
			}
			if (!cb_rc)
				cb_rc = fn(h, ctx);
		}
	}
}

int rtnl_dump(struct rtnl *nl, uint16_t type, const void *payload, size_t len, rtnl_msg_fn fn,
	      rtnl_reset_fn reset, void *ctx)
{
	int attempt, rc = 0;

	for (attempt = 0; attempt <= RTNL_DUMP_RETRIES; attempt++) {
		bool interrupted = false;

		if (attempt && reset)
			reset(ctx);
		rc = rtnl_dump_once(nl, type, payload, len, fn, ctx, &interrupted);
		if (rc < 0 || !interrupted)
			return rc;
	}
	return -EAGAIN;
}

int rtnl_get(struct rtnl *nl, struct nlmsghdr *h, rtnl_msg_fn fn, void *ctx)
{
	uint32_t seq = ++nl->seq;

	h->nlmsg_flags |= NLM_F_REQUEST;
	h->nlmsg_seq = seq;
	h->nlmsg_pid = 0;
	if (send(nl->fd, h, h->nlmsg_len, 0) < 0)
		return -errno;
	for (;;) {
		ssize_t got = rtnl_recv(nl);
		struct nlmsghdr *r;
		unsigned int left;

		if (got < 0)
			return (int)got;
		left = (unsigned int)got;
		for (r = (struct nlmsghdr *)nl->rbuf; NLMSG_OK(r, left); r = NLMSG_NEXT(r, left)) {
			if (r->nlmsg_seq != seq)
				continue;
			if (r->nlmsg_type == NLMSG_ERROR)
				return ((const struct nlmsgerr *)NLMSG_DATA(r))->error;
			return fn(r, ctx);
		}
	}
}

/* Wait for the acks of seqs [base, base + count); fill errs[idx[k]]. */
static int rtnl_collect_acks(struct rtnl *nl, uint32_t base, size_t count, const size_t *idx,
			     int *errs)
{
	size_t answered = 0;

	while (answered < count) {
		ssize_t got = rtnl_recv(nl);
		struct nlmsghdr *h;
		unsigned int left;

		if (got < 0)
			return (int)got;
		left = (unsigned int)got;
		for (h = (struct nlmsghdr *)nl->rbuf; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
			uint32_t k = h->nlmsg_seq - base;
			const struct nlmsgerr *e;

			if (h->nlmsg_type != NLMSG_ERROR || k >= count)
				continue;
			e = NLMSG_DATA(h);
			errs[idx[k]] = e->error;
			answered++;
		}
	}
	return 0;
}

int rtnl_batch(struct rtnl *nl, size_t n, rtnl_build_fn build, void *ctx, int *errs)
{
	size_t *idx = NULL, i = 0, j;
	int rc = 0;

	idx = malloc((RTNL_CHUNK / NLMSG_HDRLEN + 1) * sizeof(*idx));
	if (!idx)
		return -ENOMEM;
	while (i < n) {
		size_t used = 0, count = 0;
		uint32_t base = nl->seq + 1;
		char msg[RTNL_MSG_MAX] __attribute__((aligned(NLMSG_ALIGNTO)));

		/* Fill a chunk. */
		while (i < n) {
			struct nlmsghdr *h = (struct nlmsghdr *)msg;
			int brc;

			memset(msg, 0, sizeof(msg));
			h->nlmsg_len = NLMSG_HDRLEN;
			brc = build(i, h, ctx);
			if (brc != 0) {
				errs[i] = brc < 0 ? brc : 0;
				i++;
				continue;
			}
			if (used + NLMSG_ALIGN(h->nlmsg_len) > RTNL_CHUNK)
				break;
			h->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
			h->nlmsg_seq = base + (uint32_t)count;
			h->nlmsg_pid = 0;
			memcpy(nl->sbuf + used, h, h->nlmsg_len);
			used += NLMSG_ALIGN(h->nlmsg_len);
			errs[i] = -EIO; /* until its ack says otherwise */
			idx[count++] = i;
			i++;
		}
		if (!count)
			continue;
		nl->seq = base + (uint32_t)count - 1;
		if (send(nl->fd, nl->sbuf, used, 0) < 0) {
			rc = -errno;
			goto out;
		}
		rc = rtnl_collect_acks(nl, base, count, idx, errs);
		if (rc < 0)
			goto out;
	}
out:
	if (rc < 0)
		for (j = i; j < n; j++)
			errs[j] = -EIO;
	free(idx);
	return rc;
}

int rtnl_attr_put(struct nlmsghdr *h, uint16_t type, const void *data, size_t len)
{
	struct rtattr *rta;
	size_t need = NLMSG_ALIGN(h->nlmsg_len) + RTA_SPACE(len);

	if (need > RTNL_MSG_MAX)
		return -EMSGSIZE;
	rta = (struct rtattr *)((char *)h + NLMSG_ALIGN(h->nlmsg_len));
	rta->rta_type = type;
	rta->rta_len = (unsigned short)RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(rta), data, len);
	h->nlmsg_len = (uint32_t)need;
	return 0;
}

int rtnl_attr_put_u32(struct nlmsghdr *h, uint16_t type, uint32_t value)
{
	return rtnl_attr_put(h, type, &value, sizeof(value));
}

struct rtattr *rtnl_nest_start(struct nlmsghdr *h, uint16_t type)
{
	struct rtattr *nest = (struct rtattr *)((char *)h + NLMSG_ALIGN(h->nlmsg_len));

	if (rtnl_attr_put(h, type, NULL, 0) < 0)
		return NULL;
	return nest;
}

void rtnl_nest_end(struct nlmsghdr *h, struct rtattr *nest)
{
	nest->rta_len = (unsigned short)((char *)h + h->nlmsg_len - (char *)nest);
}

void rtnl_attr_parse(struct rtattr **tb, unsigned max, struct rtattr *attr, size_t len)
{
	int left = (int)len;

	memset(tb, 0, (max + 1) * sizeof(*tb));
	for (; RTA_OK(attr, left); attr = RTA_NEXT(attr, left)) {
		unsigned type = attr->rta_type & ~NLA_F_NESTED;

		if (type <= max)
			tb[type] = attr;
	}
}

/* ---- link names ---- */

struct link_collect {
	struct rtnl_link_name *items;
	size_t n, cap;
};

static void link_reset(void *ctx)
{
	((struct link_collect *)ctx)->n = 0;
}

static int link_msg(const struct nlmsghdr *h, void *ctx)
{
	struct link_collect *c = ctx;
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	struct rtattr *tb[IFLA_MAX + 1];
	size_t plen;

	if (h->nlmsg_type != RTM_NEWLINK || h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return 0;
	plen = h->nlmsg_len - NLMSG_LENGTH(sizeof(*ifi));
	rtnl_attr_parse(tb, IFLA_MAX, IFLA_RTA(ifi), plen);
	if (!tb[IFLA_IFNAME])
		return 0;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct rtnl_link_name *items = realloc(c->items, cap * sizeof(*items));

		if (!items)
			return -ENOMEM;
		c->items = items;
		c->cap = cap;
	}
	c->items[c->n].ifindex = ifi->ifi_index;
	memset(c->items[c->n].name, 0, sizeof(c->items[c->n].name));
	strncpy(c->items[c->n].name, RTA_DATA(tb[IFLA_IFNAME]),
		sizeof(c->items[c->n].name) - 1);
	c->n++;
	return 0;
}

static int by_index_cmp(const void *a, const void *b)
{
	const struct rtnl_link_name *x = a, *y = b;

	return (x->ifindex > y->ifindex) - (x->ifindex < y->ifindex);
}

static int by_name_cmp(const void *a, const void *b)
{
	const struct rtnl_link_name *x = a, *y = b;

	return strcmp(x->name, y->name);
}

int rtnl_links_load(struct rtnl *nl, struct rtnl_links *out)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
	struct link_collect c = {0};
	int rc;

	memset(out, 0, sizeof(*out));
	rc = rtnl_dump(nl, RTM_GETLINK, &ifi, sizeof(ifi), link_msg, link_reset, &c);
	if (rc < 0)
		goto fail;
	out->by_index = c.items;
	out->n = c.n;
	out->by_name = malloc((c.n ? c.n : 1) * sizeof(*out->by_name));
	if (!out->by_name) {
		rc = -ENOMEM;
		goto fail;
	}
	if (c.n) {
		memcpy(out->by_name, c.items, c.n * sizeof(*c.items));
		qsort(out->by_index, c.n, sizeof(*c.items), by_index_cmp);
		qsort(out->by_name, c.n, sizeof(*c.items), by_name_cmp);
	}
	return 0;
fail:
	free(c.items);
	memset(out, 0, sizeof(*out));
	return rc;
}

void rtnl_links_free(struct rtnl_links *links)
{
	free(links->by_index);
	free(links->by_name);
	memset(links, 0, sizeof(*links));
}

int rtnl_links_index(const struct rtnl_links *links, const char *name)
{
	struct rtnl_link_name key = {0};
	const struct rtnl_link_name *hit;

	if (!links->n || !name || !name[0])
		return 0;
	strncpy(key.name, name, sizeof(key.name) - 1);
	hit = bsearch(&key, links->by_name, links->n, sizeof(key), by_name_cmp);
	return hit ? hit->ifindex : 0;
}

const char *rtnl_links_name(const struct rtnl_links *links, int ifindex)
{
	struct rtnl_link_name key = {.ifindex = ifindex};
	const struct rtnl_link_name *hit;

	if (!links->n)
		return NULL;
	hit = bsearch(&key, links->by_index, links->n, sizeof(key), by_index_cmp);
	return hit ? hit->name : NULL;
}
