/* bird_sessions: which BGP sessions this node runs, decided from a
 * bird_input. Pure; the renderer turns each session into one `protocol bgp`.
 *
 * Rules, in order (an earlier rule wins a neighbour (address, port) that a
 * later one also wants, so there is never more than one session to a peer):
 * 1. Node-to-node mesh (when enabled): every other node, once per address
 *    family both have. Named Mesh_<ip>.
 * 2. With the mesh off and this node a route reflector (it has a cluster
 *    ID): every other reflector. Named Node_<ip>. These sessions use the
 *    mesh password and restart time, as the mesh would have.
 * 3. BGPPeers with peerSelector, sorted by name: this node peers with node X
 *    when this node is selected (node / nodeSelector / neither = all) and X
 *    matches peerSelector, OR the other way round. Evaluating both
 *    directions makes these sessions symmetric: whenever one side configures
 *    one, so does the other, which is what makes rule 5 safe. Named Node_<ip>.
 * 4. BGPPeers with peerIP that select this node: one session to that address
 *    when this node has an address of its family. Named Peer_<ip>[_<port>].
 * 5. Between two twill nodes exactly one side initiates: the node with the
 *    lower address is active, the other `passive`, so a pair never races two
 *    connections into a collision.
 * 6. A reflector treats a same-AS node without a cluster ID as an `rr
 *    client`; reflectors among themselves are ordinary iBGP peers.
 * 7. A session is `direct` when the neighbour is inside the subnet of this
 *    node's address of that family, else multihop. */
#ifndef TWILL_BIRD_SESSIONS_H
#define TWILL_BIRD_SESSIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bird_model.h"
#include "bird_text.h"

enum bird_session_kind {
	BIRD_SESSION_MESH = 0,
	BIRD_SESSION_NODE,	/* another twill node, via RR or peerSelector */
	BIRD_SESSION_EXTERNAL,	/* peerIP */
};

struct bird_session {
	char name[BIRD_SYMBOL_MAX];
	enum bird_session_kind kind;
	const char *source;	/* node name (mesh/RR) or BGPPeer name */
	int family;
	struct ip_addr local, neighbor;
	uint16_t local_port, neighbor_port;
	uint32_t local_as, neighbor_as;
	bool passive;
	bool direct;
	bool rr_client;
	bool keep_next_hop;
	const char *password;	/* NULL = none; points into the input */
	uint32_t restart_s;	/* 0 = BIRD's default */
};

struct bird_session_list {
	struct bird_session *items;
	size_t count;
	char **notes;		/* sessions left out and why (no secrets) */
	size_t note_count;
};

/* 0 or -ENOMEM. A BGPPeer whose selector does not parse is skipped with a
 * note naming it; so is a session whose password is unusable. */
int bird_sessions_plan(const struct bird_input *in, struct bird_session_list *out);
void bird_session_list_free(struct bird_session_list *list);

#endif
