/* bird_ctl: a client for BIRD 2's control socket (what birdc talks to), and a
 * parser for its `show protocols all` reply.
 *
 * The socket protocol is line based. Every reply line starts with a four
 * digit code followed by '-' (more lines follow) or ' ' (the last line of the
 * reply); a line starting with a single space continues the previous code.
 * 0001 is the greeting, 0000 ends a successful reply, 8xxx/9xxx are errors
 * (their text is the message), 1002 is one row of the protocol table and
 * 1006 the detail lines of that protocol.
 *
 * Contract:
 * - bird_ctl_command() connects, waits for the greeting, sends one command
 *   and returns the reply text exactly as received (without the greeting),
 *   up to and including its final line. It never blocks longer than
 *   timeout_ms per read and refuses replies over BIRD_CTL_MAX_REPLY.
 * - bird_ctl_parse_protocols() is pure: it never trusts the input (any byte
 *   sequence gives either a result or -EPROTO with a message in err) and
 *   never fails on a detail line it does not know.
 * - Session types: twill's renderer writes `description "twill <type>
 *   <name>"` on each BGP protocol (type mesh, rr, node or global; name the
 *   peer node or BGPPeer). The parser splits it into twill_type/twill_peer;
 *   both are NULL for protocols twill did not render. */
#ifndef TWILL_BIRD_CTL_H
#define TWILL_BIRD_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BIRD_CTL_MAX_REPLY (16u << 20)

struct bird_ctl_proto {
	char *name, *proto, *table, *state, *since, *info; /* the table row */
	char *description;	/* NULL without one */
	char *twill_type;	/* "mesh" / "rr" / "node" / "global", or NULL */
	char *twill_peer;	/* node or BGPPeer name, or NULL */
	char *bgp_state;	/* "Established", "Active", ...; NULL if not BGP */
	char *neighbor_address;	/* NULL if not shown */
	uint32_t neighbor_as, local_as; /* 0 if not shown */
	char *last_error;	/* NULL if none */
	bool has_routes;	/* a "Routes:" line was seen */
	unsigned long imported, exported, preferred; /* summed over channels */
};

struct bird_ctl_protos {
	struct bird_ctl_proto *items;	/* in BIRD's order */
	size_t count;
};

/* Send command to the BIRD listening on socket_path. 0 and *reply (malloc'd,
 * NUL-terminated, *len bytes) or -errno: connect errors as is, -ETIMEDOUT,
 * -EPROTO (not BIRD's protocol), -EFBIG, -ENOMEM. err explains. */
int bird_ctl_command(const char *socket_path, const char *command, int timeout_ms,
		     char **reply, size_t *len, char *err, size_t errlen);

/* Parse the reply to `show protocols all` (or `show protocols`). 0, -EPROTO
 * (malformed or truncated reply, or BIRD answered with an error: err holds
 * BIRD's message), -ENOMEM. out is empty again on error. */
int bird_ctl_parse_protocols(const char *reply, size_t len, struct bird_ctl_protos *out,
			     char *err, size_t errlen);
void bird_ctl_protos_free(struct bird_ctl_protos *p);

/* True for a BGP protocol whose session is up. */
bool bird_ctl_established(const struct bird_ctl_proto *p);

#endif
