/* bird_sessions: session planning (rules in the header).
 *
 * The list is built in rule order and deduplicated by (family, neighbour
 * address, neighbour port) as it grows, so precedence is simply "first
 * added wins". Nodes and peers arrive sorted from bird_input_build(), which
 * makes the output order — and so the rendered text — deterministic.
 * Sessions whose password is unusable are dropped here, never rendered
 * without it. */
#include "bird_sessions.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "selector.h"
#include "strv.h"


static const struct cidr *node_addr(const struct bird_node *n, int family)
{
	if (family == AF_INET)
		return n->has_v4 ? &n->v4 : NULL;
	return n->has_v6 ? &n->v6 : NULL;
}

static bool taken(const struct bird_session_list *l, const struct ip_addr *ip, uint16_t port)
{
	size_t i;

	for (i = 0; i < l->count; i++)
		if (ip_equal(&l->items[i].neighbor, ip) && l->items[i].neighbor_port == port)
			return true;
	return false;
}

/* Append s unless its neighbour already has a session. */
static int add(struct bird_session_list *l, struct bird_session *s, const char *prefix)
{
	struct bird_session *grown;
	char addr[IP_ADDR_STRLEN];

	ip_format(&s->neighbor, addr, sizeof(addr));
	/* Overlap between node rules (mesh and a peerSelector both reaching a
	 * node) is normal; only a BGPPeer losing its peerIP is worth a note. */
	if (taken(l, &s->neighbor, s->neighbor_port))
		return s->kind != BIRD_SESSION_EXTERNAL ? 0 :
			strv_appendf(&l->notes, &l->note_count, "%s: neighbour %s port %u already has a session; not duplicated",
			     s->source, addr, (unsigned)s->neighbor_port);
	/* Node sessions all use the cluster's listenPort: leaving it out of
	 * the name keeps names stable, and (address, port) stays unique. */
	if (bird_symbol_for_peer(s->name, sizeof(s->name), prefix, &s->neighbor,
				 s->kind == BIRD_SESSION_EXTERNAL ? s->neighbor_port : 179) < 0)
		return strv_appendf(&l->notes, &l->note_count, "%s: cannot name a session for %s; skipped", s->source, addr);
	grown = realloc(l->items, (l->count + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	l->items = grown;
	l->items[l->count++] = *s;
	return 0;
}

static bool in_subnet(const struct cidr *local, const struct ip_addr *ip)
{
	return cidr_contains_ip(local, ip);
}

/* A session between this node and another twill node, for one family. */
static int add_node_session(const struct bird_input *in, const struct bird_node *other,
			    int family, enum bird_session_kind kind, const struct bird_peer *via,
			    struct bird_session_list *l)
{
	const struct bird_node *self = &in->nodes[in->self];
	const struct cidr *mine = node_addr(self, family), *theirs = node_addr(other, family);
	const struct bird_password *pw = via ? &via->password : &in->mesh_password;
	struct bird_session s;

	if (!mine || !theirs)
		return 0;
	if (pw->state == BIRD_PASSWORD_UNUSABLE)
		return strv_appendf(&l->notes, &l->note_count, "%s: node %s: password unusable; session not rendered",
			    via ? via->name : "node mesh", other->name);
	memset(&s, 0, sizeof(s));
	s.kind = kind;
	s.source = via ? via->name : other->name;
	s.family = family;
	s.local = mine->addr;
	s.neighbor = theirs->addr;
	s.local_port = in->listen_port;
	s.neighbor_port = in->listen_port;
	s.local_as = self->as_number;
	s.neighbor_as = other->as_number;
	s.passive = ip_compare(&mine->addr, &theirs->addr) > 0;
	s.direct = in_subnet(mine, &theirs->addr);
	s.rr_client = self->rr_cluster_id && !other->rr_cluster_id &&
		      self->as_number == other->as_number;
	s.keep_next_hop = via && via->keep_original_next_hop;
	s.password = pw->state == BIRD_PASSWORD_SET ? pw->value : NULL;
	s.restart_s = via && via->restart_s ? via->restart_s : in->mesh_restart_s;
	return add(l, &s, kind == BIRD_SESSION_MESH ? "Mesh" : "Node");
}

static int add_node_sessions(const struct bird_input *in, const struct bird_node *other,
			     enum bird_session_kind kind, const struct bird_peer *via,
			     struct bird_session_list *l)
{
	int rc = add_node_session(in, other, AF_INET, kind, via, l);

	return rc < 0 ? rc : add_node_session(in, other, AF_INET6, kind, via, l);
}

/* Does BGPPeer p select node n (node / nodeSelector / neither)? */
static bool peer_selects(const struct bird_peer *p, const struct selector *node_sel,
			 const struct bird_node *n)
{
	if (p->node)
		return strcmp(p->node, n->name) == 0;
	if (node_sel)
		return selector_matches(node_sel, &n->labels);
	return true;
}

static int parse_or_note(const struct bird_peer *p, const char *field, const char *text,
			 struct selector **out, struct bird_session_list *l)
{
	char err[160];
	int rc;

	*out = NULL;
	if (!text)
		return 0;
	rc = selector_parse(text, out, err, sizeof(err));
	if (rc == -EINVAL)
		return strv_appendf(&l->notes, &l->note_count, "BGPPeer %s: %s: %s; skipped", p->name, field, err) < 0 ? -ENOMEM
										   : -EINVAL;
	return rc;
}

static int plan_peer(const struct bird_input *in, const struct bird_peer *p,
		     struct bird_session_list *l)
{
	const struct bird_node *self = &in->nodes[in->self];
	struct selector *node_sel = NULL, *peer_sel = NULL;
	const struct cidr *mine;
	struct bird_session s;
	char addr[IP_ADDR_STRLEN];
	size_t i;
	int rc;

	rc = parse_or_note(p, "nodeSelector", p->node_selector, &node_sel, l);
	if (rc == 0)
		rc = parse_or_note(p, "peerSelector", p->peer_selector, &peer_sel, l);
	if (rc < 0)
		goto out;
	if (peer_sel) {
		for (i = 0; i < in->node_count && rc == 0; i++) {
			const struct bird_node *x = &in->nodes[i];

			if (i == in->self)
				continue;
			if ((peer_selects(p, node_sel, self) && selector_matches(peer_sel, &x->labels)) ||
			    (peer_selects(p, node_sel, x) && selector_matches(peer_sel, &self->labels)))
				rc = add_node_sessions(in, x, BIRD_SESSION_NODE, p, l);
		}
		goto out;
	}
	if (!p->has_ip || !peer_selects(p, node_sel, self))
		goto out;
	ip_format(&p->ip, addr, sizeof(addr));
	mine = node_addr(self, p->ip.family);
	if (!mine) {
		rc = strv_appendf(&l->notes, &l->note_count, "BGPPeer %s: this node has no address of the family of %s; skipped",
			  p->name, addr);
		goto out;
	}
	if (ip_equal(&mine->addr, &p->ip))
		goto out; /* a node selected to peer with itself */
	if (p->password.state == BIRD_PASSWORD_UNUSABLE) {
		rc = strv_appendf(&l->notes, &l->note_count, "BGPPeer %s: password unusable; session not rendered", p->name);
		goto out;
	}
	memset(&s, 0, sizeof(s));
	s.kind = BIRD_SESSION_EXTERNAL;
	s.source = p->name;
	s.family = p->ip.family;
	s.local = mine->addr;
	s.neighbor = p->ip;
	s.local_port = in->listen_port;
	s.neighbor_port = p->port;
	s.local_as = self->as_number;
	s.neighbor_as = p->as_number ? p->as_number : self->as_number;
	s.direct = in_subnet(mine, &p->ip);
	s.rr_client = false;
	s.keep_next_hop = p->keep_original_next_hop;
	s.password = p->password.state == BIRD_PASSWORD_SET ? p->password.value : NULL;
	s.restart_s = p->restart_s;
	rc = add(l, &s, "Peer");
out:
	selector_free(node_sel);
	selector_free(peer_sel);
	return rc == -EINVAL ? 0 : rc;
}

int bird_sessions_plan(const struct bird_input *in, struct bird_session_list *out)
{
	const struct bird_node *self;
	size_t i;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (in->self >= in->node_count)
		return -EINVAL;
	self = &in->nodes[in->self];
	for (i = 0; i < in->node_count && rc == 0; i++) {
		const struct bird_node *x = &in->nodes[i];

		if (i == in->self)
			continue;
		if (in->mesh_enabled)
			rc = add_node_sessions(in, x, BIRD_SESSION_MESH, NULL, out);
		else if (self->rr_cluster_id && x->rr_cluster_id)
			rc = add_node_sessions(in, x, BIRD_SESSION_NODE, NULL, out);
	}
	for (i = 0; i < in->peer_count && rc == 0; i++)
		rc = plan_peer(in, &in->peers[i], out);
	if (rc < 0)
		bird_session_list_free(out);
	return rc;
}

void bird_session_list_free(struct bird_session_list *list)
{
	free(list->items);
	strv_free(&list->notes, &list->note_count);
	memset(list, 0, sizeof(*list));
}
